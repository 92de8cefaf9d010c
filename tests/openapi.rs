//! The OpenAPI document at `/api/docs/?format=openapi`: generated from the core and the
//! plugins' models, served to authenticated users only. Each test runs on SQLite and on
//! PostgreSQL.

use support::{both_backends, Backend, Root, ADMIN_TOKEN};

both_backends!(
    the_schema_describes_core_and_plugin_models,
    every_api_route_is_in_the_document,
);

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

/// The route table (`show-urls --json`) against the document: every method of every
/// `/api/` route, core and plugin, is described (HEAD and OPTIONS aside), so that
/// clients and schemathesis see all of the API.
fn every_api_route_is_in_the_document(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin", "device_lifecycle", "lifecycle_reports"]);
    root.install();
    let table: serde_json::Value =
        serde_json::from_str(&root.run(&["show-urls", "--json"]).success().stdout).unwrap();
    let server = root.start();
    let doc = server
        .client()
        .with_token(ADMIN_TOKEN)
        .get("/api/docs/?format=openapi")
        .json();
    let paths = doc["paths"].as_object().expect("paths");
    let mut missing = Vec::new();
    let mut checked = 0;
    for route in table.as_array().unwrap() {
        let path = route["path"].as_str().unwrap();
        // The document itself is the one API page it does not describe.
        if !path.starts_with("/api/") || path == "/api/docs/" {
            continue;
        }
        for method in route["methods"].as_array().unwrap() {
            let method = method["method"].as_str().unwrap().to_ascii_lowercase();
            if method == "head" || method == "options" {
                continue;
            }
            checked += 1;
            if paths.get(path).and_then(|p| p.get(&method)).is_none() {
                missing.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(checked > 100, "{checked} API routes checked");
    assert!(
        missing.is_empty(),
        "not in the OpenAPI document: {missing:#?}"
    );
}
