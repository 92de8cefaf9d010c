//! Plugins at request time: their pages, REST API, menu entries, middleware, settings and
//! permissions, and the isolation of a plugin that panics or fails. Each test runs on
//! SQLite and on PostgreSQL.

use support::{both_backends, Backend, Client, Root, Server, ADMIN_TOKEN};

both_backends!(
    the_example_plugin_pages_render_inside_the_site,
    plugin_forms_need_the_csrf_token,
    the_example_plugin_api,
    plugin_views_check_permissions,
    menu_entries_from_several_plugins_merge_into_one_tab,
    settings_merge_defaults_under_the_operators_values,
    a_misbehaving_plugin_costs_only_the_request,
    middleware_runs_around_every_request_in_onion_order,
);

use support::start;

fn admin(server: &Server) -> Client {
    let client = server.client();
    assert_eq!(client.login("admin", "admin").status, 302);
    client
}

fn the_example_plugin_pages_render_inside_the_site(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin"]);
    let client = admin(&server);
    let home = client.get("/plugins/example-plugin/");
    assert_eq!(home.status, 200);
    // The plugin's own template, extending the core base layout (menu, user, footer).
    assert!(home
        .body
        .contains("<title>Example Plugin - Nautobot</title>"));
    assert!(home
        .body
        .contains("id=\"example-greeting\">Hello from the example plugin, admin!"));
    assert!(home
        .body
        .contains("<code id=\"example-setting\">default value</code>"));
    assert!(home
        .body
        .contains("href=\"/static/example_plugin/css/example.css\""));
    assert!(home.body.contains("id=\"nav-menu\""));
    assert!(home.body.contains("nautobot-server 1.2.0"));

    let config = client.get("/plugins/example-plugin/config/");
    assert_eq!(config.status, 200);
    assert!(config.body.contains("<code>greeting</code>"));
    assert_eq!(client.get("/plugins/example-plugin/docs/").status, 200);

    let item = client.get("/plugins/example-plugin/items/42/");
    assert_eq!(item.status, 200);
    assert!(item.body.contains("id=\"example-page-message\">Item 42<"));
    // A plugin's "not found" is a 404 page of the site.
    let missing = client.get("/plugins/example-plugin/items/0/");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("There is no item 0."));
    // Redirects and raw bytes pass through.
    let res = client.get("/plugins/example-plugin/go/");
    assert_eq!(res.status, 302);
    assert_eq!(res.header("location"), Some("/plugins/example-plugin/"));
    let res = client.get("/plugins/example-plugin/export.txt");
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"example_plugin.txt\"")
    );
    assert!(
        res.body.contains("example_setting = \"default value\"\n"),
        "{}",
        res.body
    );
    // Paths the plugin did not declare do not exist.
    assert_eq!(
        client.get("/plugins/example-plugin/nothing-here/").status,
        404
    );
    // Methods it did not declare are refused.
    let res = client.post_form("/plugins/example-plugin/", &[]);
    assert_eq!(res.status, 405);
}

fn plugin_forms_need_the_csrf_token(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin"]);
    let client = admin(&server);
    let form = client.get("/plugins/example-plugin/form/");
    assert_eq!(form.status, 200);
    let csrf = client.cookie("csrftoken").unwrap();
    assert!(
        form.body.contains(&format!("value=\"{csrf}\"")),
        "the form embeds the token"
    );

    let res = client.post_form("/plugins/example-plugin/form/", &[("message", "hi")]);
    assert_eq!(res.status, 403);
    assert!(res.body.contains("CSRF verification failed"));

    let res = client.post_form(
        "/plugins/example-plugin/form/",
        &[
            ("message", "<b>hi</b> & bye"),
            ("csrfmiddlewaretoken", &csrf),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    // Rendered through HostServices::render, autoescaped.
    assert!(res
        .body
        .contains("You said: <strong>&lt;b&gt;hi&lt;/b&gt; &amp; bye</strong>"));

    let res = client.post_form(
        "/plugins/example-plugin/form/",
        &[("message", " "), ("csrfmiddlewaretoken", &csrf)],
    );
    assert_eq!(res.status, 400);
    assert!(res.body.contains("A message is required."));
}

fn the_example_plugin_api(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin"]);
    let api = server.client().with_token(ADMIN_TOKEN);
    let res = api.get("/api/plugins/example-plugin/");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("api-version"), Some("2.4"));
    assert_eq!(
        res.json(),
        serde_json::json!({
            "status": "/api/plugins/example-plugin/status/",
            "echo": "/api/plugins/example-plugin/echo/",
        })
    );
    let res = api.get("/api/plugins/example-plugin/status/");
    assert_eq!(res.status, 200);
    let status = res.json();
    assert_eq!(status["plugin"], "example_plugin");
    assert_eq!(status["user"], "admin");
    assert_eq!(status["can_view_examplemodel"], true);
    assert_eq!(status["settings"]["example_setting"], "default value");

    let res = api.send_json(
        "POST",
        "/api/plugins/example-plugin/echo/",
        &serde_json::json!({"x": [1, 2]}),
    );
    assert_eq!(res.status, 201);
    assert_eq!(res.json(), serde_json::json!({"echo": {"x": [1, 2]}}));
    let res = api.request(
        "POST",
        "/api/plugins/example-plugin/echo/",
        &[("Content-Type", "application/json")],
        Some("{not json"),
    );
    assert_eq!(res.status, 400);
    assert!(res.json()["detail"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    let res = api.get("/api/plugins/example-plugin/echo/");
    assert_eq!(res.status, 405);
    assert_eq!(res.json()["detail"], "Method \"GET\" not allowed.");

    // With a session instead of a token, unsafe API calls need the CSRF header.
    let browser = admin(&server);
    let body = serde_json::json!({"y": 1});
    let res = browser.send_json("POST", "/api/plugins/example-plugin/echo/", &body);
    assert_eq!(res.status, 403);
    assert!(res.json()["detail"].as_str().unwrap().contains("CSRF"));
    let csrf = browser.cookie("csrftoken").unwrap();
    let res = browser.request(
        "POST",
        "/api/plugins/example-plugin/echo/",
        &[("Content-Type", "application/json"), ("X-CSRFToken", &csrf)],
        Some(&body.to_string()),
    );
    assert_eq!(res.status, 201);
}

fn plugin_views_check_permissions(backend: Backend) {
    let (root, server) = start(backend, &["example_plugin"]);
    root.run(&[
        "createuser",
        "--username",
        "alice",
        "--password",
        "alice-pw",
        "--token",
        "3333333333333333333333333333333333333333",
    ])
    .success();
    root.run(&[
        "createuser",
        "--username",
        "bob",
        "--password",
        "bob-pw",
        "--permission",
        "example_plugin.view_examplemodel",
        "--permission",
        "example_plugin.add_examplemodel",
        "--token",
        "4444444444444444444444444444444444444444",
    ])
    .success();

    let alice = server.client();
    assert_eq!(alice.login("alice", "alice-pw").status, 302);
    let res = alice.get("/plugins/example-plugin/protected/");
    assert_eq!(res.status, 403);
    assert!(res
        .body
        .contains("You do not have permission to perform this action."));
    // Without example_plugin.add_examplemodel the menu hides the Add button.
    let home = alice.get("/plugins/example-plugin/");
    assert!(home.body.contains(">Example Home<"));
    assert!(!home.body.contains("title=\"Add\""));
    let res = server
        .client()
        .with_token("3333333333333333333333333333333333333333")
        .get("/api/plugins/example-plugin/status/");
    assert_eq!(res.json()["can_view_examplemodel"], false);

    let bob = server.client();
    assert_eq!(bob.login("bob", "bob-pw").status, 302);
    let res = bob.get("/plugins/example-plugin/protected/");
    assert_eq!(res.status, 200);
    assert!(res
        .body
        .contains("Only users with example_plugin.view_examplemodel see this (bob)."));
    assert!(bob
        .get("/plugins/example-plugin/")
        .body
        .contains("title=\"Add\""));
    let res = server
        .client()
        .with_token("4444444444444444444444444444444444444444")
        .get("/api/plugins/example-plugin/status/");
    assert_eq!(res.json()["can_view_examplemodel"], true);
}

fn menu_entries_from_several_plugins_merge_into_one_tab(backend: Backend) {
    let (_root, server) = start(backend, &["dependent_plugin", "example_plugin"]);
    let client = admin(&server);
    let page = client.get("/");
    assert_eq!(page.body.matches("data-tab=\"Example Menu\"").count(), 1);
    let example = page.body.find(">Example Home<").expect("the example item");
    let dependent = page
        .body
        .find(">Dependent Item<")
        .expect("the dependent item");
    assert!(example < dependent, "items ordered by weight");
    let plugins_tab = page
        .body
        .find("data-tab=\"Plugins\"")
        .expect("the core tab");
    assert!(dependent < plugins_tab, "tabs ordered by weight");
    assert!(page
        .body
        .contains("href=\"/plugins/dependent-plugin/\">Dependent Item<"));
    // A menu item can open the generic pages of the plugin's own models.
    assert!(page
        .body
        .contains("href=\"/plugins/example-plugin/example-models/\">Example Models<"));
    assert!(page
        .body
        .contains("href=\"/plugins/example-plugin/example-models/add/\""));
}

fn settings_merge_defaults_under_the_operators_values(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["settings_plugin"]);
    root.plugin_config("settings_plugin", "api_token = \"s3cret\"\ntimeout = 5");
    root.install();
    let server = root.start();
    let res = server
        .client()
        .with_token(ADMIN_TOKEN)
        .get("/api/plugins/settings-plugin/");
    assert_eq!(res.status, 200);
    let body = res.json();
    assert_eq!(
        body["config"],
        serde_json::json!({"timeout": 5, "region": "eu", "api_token": "s3cret"}),
        "the operator's timeout wins, the default region fills in"
    );
    assert_eq!(body["timeout_via_host"], 5);
    assert_eq!(
        body["secret_key_via_host"],
        serde_json::Value::Null,
        "no reading other settings"
    );
}

fn a_misbehaving_plugin_costs_only_the_request(backend: Backend) {
    let (_root, mut server) = start(backend, &["example_plugin", "misbehaving_plugin"]);
    let client = admin(&server);
    let api = server.client().with_token(ADMIN_TOKEN);

    let res = client.get("/plugins/misbehaving/panic/");
    assert_eq!(res.status, 500);
    assert!(res
        .body
        .contains("The plugin &#x27;misbehaving_plugin&#x27; failed while handling this request."));
    assert!(
        !res.body.contains("panicked on purpose"),
        "details stay in the log"
    );
    let res = api.get("/api/plugins/misbehaving/panic/");
    assert_eq!(res.status, 500);
    assert_eq!(
        res.json(),
        serde_json::json!({"detail": "The plugin 'misbehaving_plugin' failed while handling this request."})
    );
    assert_eq!(client.get("/plugins/misbehaving/fail/").status, 500);
    // Answers the host cannot use: another plugin's template; rendering core templates.
    assert_eq!(client.get("/plugins/misbehaving/nonsense/").status, 500);
    let res = client.get("/plugins/misbehaving/steal/");
    assert_eq!(
        res.status, 403,
        "HostServices::render refuses other namespaces"
    );
    assert!(!res.body.contains("owned"));
    // Middleware failing on the way in or out.
    assert_eq!(
        client.get("/plugins/misbehaving/middleware-panic/").status,
        500
    );
    assert_eq!(
        client.get("/plugins/misbehaving/response-panic/").status,
        500
    );
    // Validation errors become 400s keyed by field.
    let res = api.get("/api/plugins/misbehaving/invalid/");
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json(),
        serde_json::json!({"name": ["This field is required."]})
    );
    // A host service asked for something that does not exist answers with an error the
    // plugin can handle; nothing crashes.
    let res = api.get("/api/plugins/misbehaving/ok/");
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json()["data_layer"],
        "not found: no model 'dcim.nothing'"
    );

    // The server goes on serving everyone.
    assert!(server.is_running());
    for _ in 0..3 {
        assert_eq!(client.get("/plugins/example-plugin/").status, 200);
        assert_eq!(api.get("/api/status/").status, 200);
    }
    let log = server.log();
    for expected in [
        "misbehaving_plugin panicked on purpose (at example-plugins/fixtures/misbehaving_plugin/src/lib.rs",
        "plugin=misbehaving_plugin kind=\"view\" handler=\"panics\"",
        "plugin=misbehaving_plugin kind=\"middleware_request\" handler=\"guard\"",
        "plugin=misbehaving_plugin kind=\"middleware_response\" handler=\"guard\"",
        "it may render only its own templates, not 'example_plugin/home.html'",
        // HostServices::log, tagged with the plugin's name.
        "about to answer with another plugin's template plugin=\"misbehaving_plugin\"",
    ] {
        assert!(log.contains(expected), "the log names the plugin: {expected:?}\n{log}");
    }
    assert!(!log.contains("stack backtrace"));
}

fn middleware_runs_around_every_request_in_onion_order(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin", "misbehaving_plugin"]);
    let client = server.client();
    // On every response, core pages and redirects included.
    for path in [
        "/login/",
        "/",
        "/static/nautobot/css/base.css",
        "/api/status/",
    ] {
        let res = client.get(path);
        if path.starts_with("/static/") {
            assert_eq!(
                res.header("x-example-plugin"),
                None,
                "static files skip middleware"
            );
            continue;
        }
        assert_eq!(
            res.header("x-example-plugin"),
            Some("example_plugin/1.0.0"),
            "{path}"
        );
        // Declared order: example_plugin.add_header, example_plugin.trace,
        // misbehaving_plugin.guard; responses pass through them in reverse.
        assert_eq!(
            res.header("x-plugin-middleware"),
            Some("misbehaving_plugin.guard, example_plugin.trace"),
            "{path}"
        );
    }
    // A request middleware may answer on its own; the view and the middleware after it
    // do not run, and the answer goes back out through the middleware before it.
    let res = client.get("/plugins/misbehaving/short-circuit/");
    assert_eq!(res.status, 418);
    assert_eq!(res.json()["answered_by"], "misbehaving_plugin middleware");
    assert_eq!(res.header("x-example-plugin"), Some("example_plugin/1.0.0"));
    assert_eq!(
        res.header("x-plugin-middleware"),
        Some("example_plugin.trace")
    );
}
