//! The OpenAPI document at `/api/docs/?format=openapi`: generated from the core and the
//! plugins' models, served to authenticated users only. Each test runs on SQLite and on
//! PostgreSQL.

use support::{both_backends, Backend, Root, ADMIN_TOKEN};

both_backends!(the_schema_describes_core_and_plugin_models);

fn the_schema_describes_core_and_plugin_models(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();

    let api = server.client().with_token(ADMIN_TOKEN);
    let res = api.get("/api/docs/?format=openapi");
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        res.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        res.header("content-type")
    );
    let doc = res.json();
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["version"], "2.4");
    assert_eq!(
        doc["servers"][0]["url"],
        server.base_url().trim_end_matches('/')
    );
    let paths = doc["paths"].as_object().expect("paths");
    let plugin_models = &paths["/api/plugins/example-plugin/example-models/"];
    assert_eq!(
        plugin_models["get"]["operationId"],
        "plugins_example_plugin_example_models_list"
    );
    assert_eq!(
        paths["/api/plugins/example-plugin/example-models/{id}/"]["get"]["operationId"],
        "plugins_example_plugin_example_models_retrieve"
    );
    assert!(paths["/api/dcim/locations/"]["post"].is_object());
    assert!(paths.contains_key("/api/plugins/example-plugin/status/"));
    assert_eq!(
        doc["components"]["securitySchemes"]["tokenAuth"]["name"],
        "Authorization"
    );

    // Without `format=openapi`: a page linking to the document.
    let page = api.get("/api/docs/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("href=\"/api/docs/?format=openapi\""));

    // Login is required.
    let anonymous = server.client();
    assert_eq!(anonymous.get("/api/docs/?format=openapi").status, 403);
    assert_eq!(anonymous.get("/api/docs/").status, 403);
}
