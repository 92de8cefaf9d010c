//! A plugin library built from the first nautobot-plugin-abi 1.0.0 sources (kept in
//! tests/fixtures/abi-1.0.0/, with the commit and the command that built it) loads on
//! today's host and every capability it has works: views rendered from its templates,
//! settings, REST API views, middleware, the navigation menu and its static file.

use std::path::PathBuf;

use support::{both_backends, Backend, Root, ADMIN_TOKEN};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/abi-1.0.0/libexample_plugin.so")
}

both_backends!(a_plugin_built_for_abi_1_0_0_keeps_working);

fn a_plugin_built_for_abi_1_0_0_keeps_working(backend: Backend) {
    let mut root = Root::new(backend);
    // `plugins` lists it and copies today's build; the 1.0.0 library replaces that copy.
    root.plugins(&["example_plugin"]);
    std::fs::copy(fixture(), root.plugins_dir().join("libexample_plugin.so")).unwrap();

    let inspected = root
        .run(&["plugins", "inspect", fixture().to_str().unwrap()])
        .success();
    let report: serde_json::Value = serde_json::from_str(&inspected.stdout).expect("JSON");
    assert_eq!(report["abi_version"], "1.0.0");
    assert_eq!(report["checks"], "passed");
    // A 1.0 manifest knows nothing of the fields added since; they default.
    assert!(report["manifest"].get("banners").is_none());
    assert!(report["manifest"].get("homepage_layout").is_none());

    root.install();
    let check = root.run(&["check"]).success();
    assert_eq!(
        check.stdout.trim(),
        "System check identified no issues (1 plugin loaded)."
    );

    let server = root.start();
    let client = server.client();
    assert_eq!(client.login("admin", "admin").status, 302);

    // The home page shows the core panels; a 1.0 plugin adds none.
    let page = client.get("/");
    assert_eq!(page.status, 200, "{}", server.log());
    assert!(page.body.contains("data-panel=\"Organization\""));
    assert!(!page.body.contains("data-plugin="), "{}", page.body);

    let home = client.get("/plugins/example-plugin/");
    assert_eq!(home.status, 200, "{}", server.log());
    assert!(
        home.body.contains("Hello from the example plugin"),
        "{}",
        home.body
    );
    assert!(home.body.contains("Example Menu"), "the plugin's menu tab");
    // Its middleware still runs on every response.
    assert_eq!(
        home.header("x-example-plugin"),
        Some("example_plugin/1.0.0")
    );
    assert_eq!(
        home.header("x-plugin-middleware"),
        Some("example_plugin.trace")
    );

    let api = server.client().with_token(ADMIN_TOKEN);
    let status = api.get("/api/plugins/example-plugin/status/");
    assert_eq!(status.status, 200);
    let status = status.json();
    assert_eq!(status["plugin"], "example_plugin");
    assert_eq!(status["version"], "1.0.0");
    assert_eq!(status["user"], "admin");
    assert_eq!(status["settings"]["example_setting"], "default value");
    let echo = api.send_json(
        "POST",
        "/api/plugins/example-plugin/echo/",
        &serde_json::json!({"ping": 1}),
    );
    assert_eq!(echo.status, 201);
    assert_eq!(echo.json()["echo"]["ping"], 1);

    let css = client.get("/static/example_plugin/css/example.css");
    assert_eq!(css.status, 200);
    assert!(!css.body.is_empty());

    // The host's own pages keep working with it loaded.
    let plugins = client.get("/plugins/installed-plugins/");
    assert_eq!(plugins.status, 200);
    assert!(plugins.body.contains("Example Plugin"));
    // And the library serving all this is the 1.0.0 one, not today's build.
    let detail = client.get("/plugins/installed-plugins/example_plugin/");
    assert_eq!(detail.status, 200);
    assert!(
        detail
            .body
            .contains("<tr><th>Plugin ABI</th><td>1.0.0</td></tr>"),
        "{}",
        detail.body
    );
}
