//! The core web surface as a browser or API client sees it: login, sessions shared
//! through the database, tokens, the installed-plugins pages and API, status, allowed
//! hosts, static files, errors. Each test runs on SQLite and on PostgreSQL.

use std::io::{Read, Write};

use support::{both_backends, Backend, Root, Server, ADMIN_TOKEN};

both_backends!(
    anonymous_visitors_are_sent_to_login_and_anonymous_api_calls_refused,
    logging_in_and_out_through_the_form,
    sessions_are_shared_by_servers_on_one_database,
    api_tokens_authenticate_api_calls,
    installed_plugins_pages_and_api,
    status_reports_versions_and_plugins,
    hosts_outside_allowed_hosts_are_refused,
    static_files_are_served_from_static_root_without_traversal,
    anonymous_access_when_login_is_not_required,
    unknown_pages_and_endpoints_answer_404,
    no_redirect_leads_to_another_site,
    browsers_get_the_api_as_html_and_clients_as_json,
);

fn server_with_example(backend: Backend) -> (Root, Server) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();
    (root, server)
}

fn anonymous_visitors_are_sent_to_login_and_anonymous_api_calls_refused(backend: Backend) {
    let (_root, server) = server_with_example(backend);
    let client = server.client();
    for path in [
        "/",
        "/plugins/installed-plugins/",
        "/plugins/example-plugin/",
    ] {
        let res = client.get(path);
        assert_eq!(res.status, 302, "{path}");
        let encoded: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(
            res.header("location"),
            Some(format!("/login/?next={encoded}").as_str())
        );
    }
    for path in [
        "/api/",
        "/api/status/",
        "/api/plugins/",
        "/api/plugins/example-plugin/",
    ] {
        let res = client.get(path);
        assert_eq!(res.status, 403, "{path}");
        assert_eq!(
            res.json(),
            serde_json::json!({"detail": "Authentication credentials were not provided."})
        );
        assert_eq!(res.header("api-version"), Some("2.4"));
    }
}

fn logging_in_and_out_through_the_form(backend: Backend) {
    let (_root, server) = server_with_example(backend);
    let client = server.client();

    // The form carries the CSRF token of the cookie it sets.
    let page = client.get("/login/?next=/plugins/installed-plugins/");
    assert_eq!(page.status, 200);
    let csrf = client.cookie("csrftoken").expect("csrftoken cookie");
    assert!(page
        .body
        .contains(&format!("name=\"csrfmiddlewaretoken\" value=\"{csrf}\"")));
    assert!(page.body.contains("value=\"/plugins/installed-plugins/\""));

    // Without the token the post is refused, whatever the credentials.
    let res = client.post_form("/login/", &[("username", "admin"), ("password", "admin")]);
    assert_eq!(res.status, 403);
    assert!(
        res.body.contains("CSRF verification failed"),
        "{}",
        res.body
    );
    assert!(client.cookie("sessionid").is_none());

    // A wrong password re-renders the form with Django's message.
    let res = client.post_form(
        "/login/",
        &[
            ("username", "admin"),
            ("password", "wrong"),
            ("csrfmiddlewaretoken", &csrf),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(res
        .body
        .contains("Please enter a correct username and password."));
    assert!(client.cookie("sessionid").is_none());

    // The right one opens a session and goes where `next` said (local paths only).
    let res = client.post_form(
        "/login/",
        &[
            ("username", "admin"),
            ("password", "admin"),
            ("csrfmiddlewaretoken", &csrf),
            ("next", "/plugins/installed-plugins/"),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.header("location"), Some("/plugins/installed-plugins/"));
    let cookie = res.set_cookie("sessionid").expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");

    let home = client.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("id=\"current-user\">admin<"));
    assert_eq!(home.header("x-frame-options"), Some("DENY"));
    assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
    assert!(home.header("x-request-id").is_some());

    // Logging in again replaces the session instead of adding to it. The CSRF token
    // changed at login (it is the session's now), as Django rotates it.
    assert_ne!(client.cookie("csrftoken").unwrap(), csrf);
    let csrf = client.cookie("csrftoken").unwrap();
    let first_session = client.cookie("sessionid").unwrap();
    let res = client.post_form(
        "/login/",
        &[
            ("username", "admin"),
            ("password", "admin"),
            ("csrfmiddlewaretoken", &csrf),
        ],
    );
    assert_eq!(res.status, 302);
    assert_ne!(client.cookie("sessionid").unwrap(), first_session);
    let stale = server.client();
    let res = stale.request(
        "GET",
        "/",
        &[("Cookie", &format!("sessionid={first_session}"))],
        None,
    );
    assert_eq!(res.status, 302, "the replaced session is gone");
    assert!(home.body.contains("data-tab=\"Example Menu\""));

    // An offsite `next` is ignored.
    let other = server.client();
    other.get("/login/");
    let token = other.cookie("csrftoken").unwrap();
    let res = other.post_form(
        "/login/",
        &[
            ("username", "admin"),
            ("password", "admin"),
            ("csrfmiddlewaretoken", &token),
            ("next", "//evil.example.com/"),
        ],
    );
    assert_eq!(res.header("location"), Some("/"));

    // Logging out ends the session server-side: the old cookie no longer works.
    let session = client.cookie("sessionid").unwrap();
    let res = client.get("/logout/");
    assert_eq!(res.status, 302);
    assert_eq!(res.header("location"), Some("/login/"));
    assert!(client.cookie("sessionid").is_none());
    assert_eq!(client.get("/").status, 302);
    let replay = server.client();
    let res = replay.request(
        "GET",
        "/",
        &[("Cookie", &format!("sessionid={session}"))],
        None,
    );
    assert_eq!(res.status, 302, "a logged-out session cannot be replayed");
}

fn sessions_are_shared_by_servers_on_one_database(backend: Backend) {
    let (root, first) = server_with_example(backend);
    let second = root.start();
    let client = first.client();
    assert_eq!(client.login("admin", "admin").status, 302);
    let session = client.cookie("sessionid").unwrap();
    let elsewhere = second.client();
    let res = elsewhere.request(
        "GET",
        "/plugins/installed-plugins/",
        &[("Cookie", &format!("sessionid={session}"))],
        None,
    );
    assert_eq!(res.status, 200, "the second server knows the session");
    assert!(res.body.contains("id=\"current-user\">admin<"));
}

fn api_tokens_authenticate_api_calls(backend: Backend) {
    let (root, server) = server_with_example(backend);
    let api = server.client().with_token(ADMIN_TOKEN);
    let res = api.get("/api/");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("api-version"), Some("2.4"));
    let base = server.base_url();
    assert_eq!(res.json()["status"], format!("{base}/api/status/"));
    assert_eq!(res.json()["plugins"], format!("{base}/api/plugins/"));

    let bad = server
        .client()
        .with_token("ffffffffffffffffffffffffffffffffffffffff");
    let res = bad.get("/api/status/");
    assert_eq!(res.status, 403);
    assert_eq!(res.json(), serde_json::json!({"detail": "Invalid token"}));
    let malformed = server.client();
    let res = malformed.request(
        "GET",
        "/api/status/",
        &[("Authorization", "Bearer x")],
        None,
    );
    assert_eq!(res.status, 403);
    assert_eq!(res.json()["detail"], "Invalid token");

    // Tokens are for the API; UI pages use sessions.
    let res = api.get("/plugins/installed-plugins/");
    assert_eq!(res.status, 302);

    // A read-only token may read but not write.
    root.run(&[
        "createuser",
        "--username",
        "reader",
        "--password",
        "reader",
        "--token",
        "1111111111111111111111111111111111111111",
        "--read-only-token",
    ])
    .success();
    let reader = server
        .client()
        .with_token("1111111111111111111111111111111111111111");
    assert_eq!(reader.get("/api/status/").status, 200);
    let res = reader.send_json(
        "POST",
        "/api/plugins/example-plugin/echo/",
        &serde_json::json!({"a": 1}),
    );
    assert_eq!(res.status, 403);
    assert_eq!(
        res.json()["detail"],
        "This token does not have write permissions."
    );
}

fn installed_plugins_pages_and_api(backend: Backend) {
    let (root, server) = server_with_example(backend);
    let client = server.client();
    client.login("admin", "admin");
    for (path, title) in [
        ("/plugins/installed-plugins/", "Installed Plugins"),
        ("/apps/installed-apps/", "Installed Apps"),
    ] {
        let page = client.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains(&format!("<h1>{title}</h1>")), "{path}");
        assert!(page.body.contains("data-plugin=\"example_plugin\""));
        for text in [
            "Example Plugin",
            "Nautobot-rs maintainers",
            "maintainers@example.com",
            "An example plugin showing views",
            "<td>1.0.0</td>",
            "<code>example-plugin</code>",
            "href=\"/plugins/example-plugin/\">Home<",
            "href=\"/plugins/example-plugin/config/\">Config<",
            "href=\"/plugins/example-plugin/docs/\">Docs<",
        ] {
            assert!(page.body.contains(text), "{path} shows {text:?}");
        }
    }
    let detail = client.get("/plugins/installed-plugins/example_plugin/");
    assert_eq!(detail.status, 200);
    for text in [
        "<h1>Example Plugin</h1>",
        "/api/plugins/example-plugin/",
        "libexample_plugin.so",
        "example_setting",
        "add_header",
        "items/{pk}/",
        "example_plugin.view_examplemodel",
    ] {
        assert!(detail.body.contains(text), "the detail page shows {text:?}");
    }
    assert_eq!(
        client.get("/apps/installed-apps/example_plugin/").status,
        200
    );
    let missing = client.get("/plugins/installed-plugins/nope/");
    assert_eq!(missing.status, 404);
    assert!(missing
        .body
        .contains("No plugin named &#x27;nope&#x27; is installed."));

    let api = server.client().with_token(ADMIN_TOKEN);
    let base = server.base_url();
    let res = api.get("/api/plugins/");
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json(),
        serde_json::json!({
            "installed-plugins": format!("{base}/api/plugins/installed-plugins/"),
            "example-plugin": format!("{base}/api/plugins/example-plugin/"),
        })
    );
    let res = api.get("/api/plugins/installed-plugins/");
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json(),
        serde_json::json!([{
            "name": "Example Plugin",
            "package": "example_plugin",
            "app_label": "example_plugin",
            "author": "Nautobot-rs maintainers",
            "author_email": "maintainers@example.com",
            "description": "An example plugin showing views, API, navigation, middleware, static files, models, custom validators, template content and jobs.",
            "version": "1.0.0",
            "home_url": format!("{base}/plugins/example-plugin/"),
            "config_url": format!("{base}/plugins/example-plugin/config/"),
            "docs_url": format!("{base}/plugins/example-plugin/docs/"),
        }])
    );

    // As in Nautobot, the installed-plugins API is for staff.
    root.run(&[
        "createuser",
        "--username",
        "user",
        "--password",
        "user",
        "--token",
        "2222222222222222222222222222222222222222",
    ])
    .success();
    let user = server
        .client()
        .with_token("2222222222222222222222222222222222222222");
    let res = user.get("/api/plugins/installed-plugins/");
    assert_eq!(res.status, 403);
    assert_eq!(
        res.json()["detail"],
        "You do not have permission to perform this action."
    );
}

fn status_reports_versions_and_plugins(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin", "dependent_plugin"]);
    root.install();
    let server = root.start();
    let res = server.client().with_token(ADMIN_TOKEN).get("/api/status/");
    assert_eq!(res.status, 200);
    let status = res.json();
    assert_eq!(status["nautobot-version"], "1.2.0");
    assert_eq!(status["api-version"], "2.4");
    let plugins = serde_json::json!({"example_plugin": "1.0.0", "dependent_plugin": "0.2.0"});
    assert_eq!(status["plugins"], plugins);
    assert_eq!(status["nautobot-apps"], plugins);
    assert!(status["rust-version"]
        .as_str()
        .unwrap()
        .starts_with("rustc "));
    let expected_backend = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    };
    assert_eq!(status["database"]["backend"], expected_backend);
    assert!(!status["database"]["version"].as_str().unwrap().is_empty());
}

fn hosts_outside_allowed_hosts_are_refused(backend: Backend) {
    let (_root, server) = server_with_example(backend);
    let client = server.client();
    let res = client.request("GET", "/login/", &[("Host", "evil.example.com")], None);
    assert_eq!(res.status, 400);
    assert!(
        res.body
            .contains("Invalid HTTP_HOST header: 'evil.example.com'"),
        "{}",
        res.body
    );
    let res = client.request(
        "GET",
        "/login/",
        &[("Host", &format!("localhost:{}", server.port))],
        None,
    );
    assert_eq!(res.status, 200);
    // Forwarding headers are any client's to set: they neither pass the check nor shape
    // the URLs the API answers with.
    let res = client.request(
        "GET",
        "/login/",
        &[
            ("Host", "evil.example.com"),
            ("X-Forwarded-Host", "127.0.0.1"),
        ],
        None,
    );
    assert_eq!(res.status, 400);
    let api = server.client().with_token(ADMIN_TOKEN);
    let res = api.request(
        "GET",
        "/api/",
        &[
            ("X-Forwarded-Host", "evil.example.com"),
            ("Forwarded", "host=evil.example.com"),
        ],
        None,
    );
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json()["status"],
        format!("{}/api/status/", server.base_url())
    );
}

/// Sends a raw request line, so that `..` reaches the server unnormalised.
fn raw_get(server: &Server, target: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

fn static_files_are_served_from_static_root_without_traversal(backend: Backend) {
    let (root, server) = server_with_example(backend);
    let client = server.client();
    let css = client.get("/static/example_plugin/css/example.css");
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.body.contains(".example-greeting"));
    let core = client.get("/static/nautobot/css/base.css");
    assert_eq!(core.status, 200);
    assert!(core.body.contains(".navbar"));

    // A file next to STATIC_ROOT that traversal would reach.
    std::fs::write(root.path().join("secret.txt"), "do not serve").unwrap();
    for target in [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/example_plugin/../../secret.txt",
        "/static/../nautobot_config.toml",
    ] {
        let answer = raw_get(&server, target);
        let status_line = answer.lines().next().unwrap_or_default().to_string();
        assert!(
            !answer.contains("do not serve"),
            "{target} leaked a file: {status_line}"
        );
        assert!(
            !answer.contains("SECRET_KEY"),
            "{target} leaked the configuration"
        );
        assert!(
            !status_line.contains(" 200 "),
            "{target} must not succeed: {status_line}"
        );
    }
    // Directories are not listed.
    assert_ne!(client.get("/static/example_plugin/").status, 200);
}

fn anonymous_access_when_login_is_not_required(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.set("LOGIN_REQUIRED", "false");
    root.install();
    let server = root.start();
    let client = server.client();
    let home = client.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("id=\"login-link\""));
    assert_eq!(client.get("/api/status/").status, 200);
    assert_eq!(client.get("/plugins/example-plugin/").status, 200);
    // A view that requires a permission still needs a login.
    let res = client.get("/plugins/example-plugin/protected/");
    assert_eq!(res.status, 302);
    assert!(res.header("location").unwrap().starts_with("/login/?next="));
    // The installed-plugins page is for logged-in users, as in Nautobot.
    assert_eq!(client.get("/plugins/installed-plugins/").status, 302);
}

fn unknown_pages_and_endpoints_answer_404(backend: Backend) {
    let (_root, server) = server_with_example(backend);
    let client = server.client();
    client.login("admin", "admin");
    let page = client.get("/no/such/page/");
    assert_eq!(page.status, 404);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.body.contains("<h1>404 Not Found</h1>"));
    let res = client.get("/plugins/installed-plugins");
    assert_eq!(res.status, 301);
    assert_eq!(res.header("location"), Some("/plugins/installed-plugins/"));
    let api = server.client().with_token(ADMIN_TOKEN);
    let res = api.get("/api/no/such/endpoint/");
    assert_eq!(res.status, 404);
    assert_eq!(res.json(), serde_json::json!({"detail": "Not found."}));
    let res = api.send_json("PUT", "/api/status/", &serde_json::json!({}));
    assert_eq!(res.status, 405);
}

/// Open redirects (issue 11's findings): a path with two leading slashes or a backslash
/// is not "completed" with a slash into an off-site redirect; `next` and `return_url`
/// with a tab, newline or backslash (which browsers drop or read as `/`) are ignored.
fn no_redirect_leads_to_another_site(backend: Backend) {
    let (_root, server) = server_with_example(backend);
    let anonymous = server.client();
    for path in [
        "//evil.example.com",
        "/\\evil.example.com",
        "//evil.example.com/x",
    ] {
        let res = anonymous.get(path);
        let location = res.header("location").unwrap_or_default().to_string();
        assert!(
            !location.starts_with("//") && !location.starts_with("/\\"),
            "{path} -> {} {location}",
            res.status
        );
    }
    let client = server.client();
    client.get("/login/");
    for next in [
        "/\t/evil.example.com",
        "/\n/evil.example.com",
        "/\\evil.example.com",
    ] {
        // Each login rotates the token: the form repeats the current one.
        let token = client.cookie("csrftoken").unwrap();
        let res = client.post_form(
            "/login/",
            &[
                ("username", "admin"),
                ("password", "admin"),
                ("csrfmiddlewaretoken", &token),
                ("next", next),
            ],
        );
        assert_eq!(res.status, 302);
        assert_eq!(res.header("location"), Some("/"), "next={next:?}");
    }
    // return_url on an add form: neither the Cancel link nor the redirect after saving
    // may use it.
    let form = client.get("/dcim/location-types/add/?return_url=/%09/evil.example.com");
    assert_eq!(form.status, 200);
    assert!(!form.body.contains("evil.example.com"), "{}", form.body);
    let token = client.cookie("csrftoken").unwrap();
    let res = client.post_form(
        "/dcim/location-types/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("name", "Site"),
            ("return_url", "/\t/evil.example.com"),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    assert!(
        !res.header("location").unwrap_or_default().contains("evil"),
        "{:?}",
        res.header("location")
    );
}

/// The browsable API: what a browser (Accept naming text/html) gets from an /api/ page.
fn browsers_get_the_api_as_html_and_clients_as_json(backend: Backend) {
    let (_root, server) = server_with_example(backend);
    let api = server.client().with_token(ADMIN_TOKEN);
    let res = api.send_json(
        "POST",
        "/api/dcim/location-types/",
        &serde_json::json!({"name": "Site <b>"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let browser = server.client();
    browser.login("admin", "admin");
    let html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let res = browser.request(
        "GET",
        "/api/dcim/location-types/",
        &[("Accept", html)],
        None,
    );
    assert_eq!(res.status, 200);
    assert!(res
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html")));
    assert_eq!(res.header("api-version"), Some("2.4"));
    assert!(
        res.body.contains("id=\"api-status\">HTTP 200 OK"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("id=\"current-user\">admin<"),
        "in the site's layout"
    );
    // URLs are links; data is escaped.
    assert!(
        res.body.contains("<a href=\"http://127.0.0.1:"),
        "{}",
        res.body
    );
    assert!(res.body.contains("Site &lt;b&gt;") && !res.body.contains("Site <b>"));
    assert!(
        res.body
            .contains("href=\"&#x2F;api&#x2F;dcim&#x2F;location-types&#x2F;?format=json\"")
            || res
                .body
                .contains("href=\"/api/dcim/location-types/?format=json\"")
    );
    // ?format=json, and every client that does not ask for HTML, get JSON.
    for (path, accept) in [
        ("/api/dcim/location-types/?format=json", html),
        ("/api/dcim/location-types/", "application/json"),
        ("/api/dcim/location-types/", "*/*"),
        ("/api/docs/?format=openapi", html),
    ] {
        let res = browser.request("GET", path, &[("Accept", accept)], None);
        assert_eq!(res.status, 200, "{path} {accept}");
        assert!(
            res.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{path} {accept}: {:?}",
            res.header("content-type")
        );
    }
    // An error a browser gets is a page too, with its status.
    let anonymous = server.client();
    let res = anonymous.request("GET", "/api/dcim/locations/", &[("Accept", html)], None);
    assert_eq!(res.status, 403);
    assert!(res.body.contains("HTTP 403 Forbidden"), "{}", res.body);
}
