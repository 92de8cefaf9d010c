//! The OpenAPI document at `/api/docs/?format=openapi`: generated from the core and the
//! plugins' models, served to authenticated users only. Each test runs on SQLite and on
//! PostgreSQL.

use support::{both_backends, Backend, Root, ADMIN_TOKEN};

both_backends!(
    the_schema_describes_core_and_plugin_models,
    every_api_route_is_in_the_document,
    the_docs_page_is_swagger_ui_from_embedded_assets,
);

/// The version of `swagger-ui-dist` vendored in `host/api/assets/swagger-ui/`.
const SWAGGER_UI_VERSION: &str = "5.35.0";
const BUNDLE: &str = include_str!("../host/api/assets/swagger-ui/swagger-ui-bundle.js");
const CSS: &str = include_str!("../host/api/assets/swagger-ui/swagger-ui.css");
const INIT: &str = include_str!("../host/api/assets/swagger-ui/init.js");

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

    // Without `format=openapi`: the Swagger UI page, with a link to the document for
    // browsers without JavaScript.
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
        // The document itself is the one API page it does not describe; Swagger UI's
        // files for it, under /api/docs/swagger-ui/, are not API operations either.
        if !path.starts_with("/api/")
            || path == "/api/docs/"
            || path.starts_with("/api/docs/swagger-ui/")
        {
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

/// `/api/docs/` is Swagger UI: an HTML page (for a browser session and for a token)
/// loading the versioned bundle and stylesheet and the init script, all embedded in the
/// server, without inline script (the CSP allows scripts from 'self' only). The assets
/// are public and cached; the page and the document still need a login.
fn the_docs_page_is_swagger_ui_from_embedded_assets(backend: Backend) {
    let mut root = Root::new(backend);
    root.install();
    let server = root.start();

    let bundle_path = format!("/api/docs/swagger-ui/{SWAGGER_UI_VERSION}/swagger-ui-bundle.js");
    let css_path = format!("/api/docs/swagger-ui/{SWAGGER_UI_VERSION}/swagger-ui.css");
    let init_path = "/api/docs/swagger-ui/init.js";

    let browser = server.client();
    assert_eq!(browser.login("admin", "admin").status, 302);
    let token = server.client().with_token(ADMIN_TOKEN);
    for (who, client) in [("session", &browser), ("token", &token)] {
        let page = client.get("/api/docs/");
        assert_eq!(page.status, 200, "{who}: {}", page.body);
        assert!(
            page.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{who}: {:?}",
            page.header("content-type")
        );
        let body = &page.body;
        assert!(body.contains("<div id=\"swagger-ui\""), "{who}: {body}");
        assert!(
            body.contains(&format!("<link rel=\"stylesheet\" href=\"{css_path}\">")),
            "{who}: {body}"
        );
        assert!(
            body.contains(&format!("<script src=\"{bundle_path}\"></script>")),
            "{who}: {body}"
        );
        assert!(
            body.contains(&format!("<script src=\"{init_path}\"></script>")),
            "{who}: {body}"
        );
        // Every script is external: no inline code for the CSP to refuse.
        assert_eq!(body.matches("<script").count(), 2, "{who}: {body}");
        assert_eq!(body.matches("<script src=").count(), 2, "{who}: {body}");
        assert!(!body.contains("cdn") && !body.contains("unpkg"), "{body}");
        if let Some(csp) = page.header("content-security-policy") {
            assert!(csp.contains("script-src 'self'"), "{csp}");
        }

        // The document is unchanged: JSON.
        let doc = client.get("/api/docs/?format=openapi");
        assert_eq!(doc.status, 200, "{who}");
        assert!(
            doc.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{who}"
        );
        assert!(doc.json()["paths"].is_object());
    }

    // The init script points Swagger UI at the document, and sends the CSRF token with
    // unsafe "Try it out" calls made with the browser's session.
    assert!(INIT.contains("\"/api/docs/?format=openapi\""));
    assert!(INIT.contains("requestInterceptor"));
    assert!(INIT.contains("X-CSRFToken") && INIT.contains("csrftoken"));

    // The assets: public (no credentials), the right types, cached, the vendored bytes.
    let anonymous = server.client();
    for (path, content_type, bytes, cache) in [
        (
            bundle_path.as_str(),
            "application/javascript",
            BUNDLE,
            "immutable",
        ),
        (css_path.as_str(), "text/css", CSS, "immutable"),
        (init_path, "application/javascript", INIT, "no-cache"),
    ] {
        let res = anonymous.get(path);
        assert_eq!(
            res.status,
            200,
            "{path}: {}",
            res.header("content-type").unwrap_or("")
        );
        assert!(
            res.header("content-type")
                .is_some_and(|t| t.starts_with(content_type)),
            "{path}: {:?}",
            res.header("content-type")
        );
        let cache_control = res.header("cache-control").unwrap_or_default();
        assert!(cache_control.contains(cache), "{path}: {cache_control:?}");
        if cache == "immutable" {
            assert!(cache_control.contains("max-age=31536000"), "{path}");
        }
        assert!(
            res.body.len() == bytes.len() && res.body == bytes,
            "{path}: different bytes"
        );
    }
    // Another version is not served.
    assert_eq!(
        anonymous
            .get("/api/docs/swagger-ui/0.0.0/swagger-ui-bundle.js")
            .status,
        404
    );

    // Anonymous visitors are refused the page and the document as before: 403, JSON.
    for path in ["/api/docs/", "/api/docs/?format=openapi"] {
        let res = anonymous.get(path);
        assert_eq!(res.status, 403, "{path}");
        assert!(
            res.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{path}: {:?}",
            res.header("content-type")
        );
    }
}
