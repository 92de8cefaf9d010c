//! What an attacker probing the server finds closed (issue 11's findings): null
//! characters and oversized offsets answered 400 on both databases, login throttling,
//! failed logins that leave a live session alone, change-log and nested-object
//! permissions, private file modes, CSV formula injection, CSRF tokens bound to the
//! session, and the Content-Security-Policy header; and issue 19's cost limits: at most
//! `MAX_FILTER_VALUES` filter values, SQLite's expression limits as 400, bodies over
//! `DATA_UPLOAD_MAX_MEMORY_SIZE` as a JSON 413. Each test runs on SQLite and on
//! PostgreSQL.

use serde_json::{json, Value};
use support::{both_backends, data, Backend, Client, Root, Server, ADMIN_TOKEN};

both_backends!(
    null_characters_are_refused_everywhere,
    offsets_beyond_any_table_are_refused,
    failed_logins_are_throttled_per_account_and_address,
    a_failed_login_leaves_the_live_session_alone,
    pages_carry_a_content_security_policy,
    a_viewer_of_one_model_sees_no_more_than_it,
    csv_exports_do_not_run_as_formulas,
    csrf_tokens_are_bound_to_the_session,
    thousands_of_filter_values_are_refused_at_once,
    many_filter_values_within_the_limit_are_answered,
    oversized_bodies_answer_json_413,
    csv_exports_stream_every_row_across_chunks,
    a_username_cannot_forge_log_lines,
);

fn start(backend: Backend) -> (Root, Server) {
    support::start(backend, &["example_plugin"])
}

fn api(server: &Server) -> Client {
    server.client().with_token(ADMIN_TOKEN)
}

const NULL_REFUSED: &str = "Null characters are not allowed.";

fn null_characters_are_refused_everywhere(backend: Backend) {
    let (_root, server) = start(backend);
    let api = api(&server);
    let site = data::location_type(&api, "Site");
    assert_eq!(data::post_location(&api, "kept", &site).status, 201);

    let browser = server.client();
    browser.login("admin", "admin");
    for query in ["name=%00", "q=%00", "name__ic=%00", "name=a%00b", "q=x%00"] {
        let res = api.get(&format!("/api/dcim/locations/?{query}"));
        assert_eq!(res.status, 400, "{query}: {}", res.body);
        assert!(res.body.contains(NULL_REFUSED), "{query}: {}", res.body);
        // The list page drops a filter it cannot use and says why, as for any other.
        let res = browser.get(&format!("/dcim/locations/?{query}"));
        assert_eq!(res.status, 200, "{query}");
        assert!(res.body.contains(NULL_REFUSED), "{query}: {}", res.body);
        assert!(res.body.contains("kept"), "{query}: the unfiltered list");
    }

    // A JSON body with \u0000 in a string: refused, nothing written.
    let res = api.send_json(
        "POST",
        "/api/dcim/locations/",
        &json!({"name": "bad\u{0}name", "location_type": site, "status": "Active"}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(res.json()["name"], json!([NULL_REFUSED]), "{}", res.body);
    let res = api.send_json(
        "POST",
        "/api/dcim/locations/",
        &json!({"name": "ok", "location_type": site, "status": "Active",
                "description": "x\u{0}"}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(res.json()["description"], json!([NULL_REFUSED]));
    // A reference (by id, by attributes, in a tag list) holding \u0000: the field's
    // error, not a 500 from an aborted transaction (found by schemathesis on PostgreSQL).
    for (field, value) in [
        ("parent", json!({"id": "\u{11}x\u{0}y"})),
        ("parent", json!({"name": "a\u{0}"})),
        ("parent", json!("a\u{0}")),
        ("tags", json!([{"name": "t\u{0}"}])),
    ] {
        let mut body = json!({"name": "ref", "location_type": site, "status": "Active"});
        body[field] = value;
        let res = api.send_json("POST", "/api/dcim/locations/", &body);
        assert_eq!(res.status, 400, "{field}: {}", res.body);
        assert_eq!(res.json()[field], json!([NULL_REFUSED]), "{}", res.body);
    }
    let kept = api.get("/api/dcim/locations/?name=kept").json();
    let id = kept["results"][0]["id"].as_str().unwrap().to_string();
    let res = api.send_json(
        "PATCH",
        &format!("/api/dcim/locations/{id}/"),
        &json!({"description": "\u{0}"}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(api.get("/api/dcim/locations/").json()["count"], json!(1));

    // The same in a UI form.
    browser.get("/dcim/locations/add/");
    let csrf = browser.cookie("csrftoken").unwrap();
    let res = browser.post_form(
        "/dcim/locations/add/",
        &[
            ("csrfmiddlewaretoken", &csrf),
            ("name", "form\u{0}name"),
            ("location_type", site.as_str().unwrap()),
            ("status", "Active"),
        ],
    );
    assert_eq!(res.status, 200, "the form comes back with the error");
    assert!(res.body.contains(NULL_REFUSED), "{}", res.body);
    assert_eq!(api.get("/api/dcim/locations/").json()["count"], json!(1));

    // A login name with a null character is a failed login, not a 500.
    let visitor = server.client();
    visitor.get("/login/");
    let csrf = visitor.cookie("csrftoken").unwrap();
    let res = visitor.post_form(
        "/login/",
        &[
            ("csrfmiddlewaretoken", &csrf),
            ("username", "ad\u{0}min"),
            ("password", "admin"),
        ],
    );
    assert!(res.status < 500, "{}: {}", res.status, res.body);
    assert!(visitor.cookie("sessionid").is_none());
}

fn offsets_beyond_any_table_are_refused(backend: Backend) {
    let (_root, server) = start(backend);
    let api = api(&server);
    let site = data::location_type(&api, "Site");
    assert_eq!(data::post_location(&api, "one", &site).status, 201);
    let browser = server.client();
    browser.login("admin", "admin");
    for offset in ["9223372036854775808", "99999999999999999999999", "-1"] {
        let res = api.get(&format!("/api/dcim/locations/?offset={offset}"));
        assert_eq!(res.status, 400, "offset={offset}: {}", res.body);
        assert!(res.json()["offset"].is_array(), "{}", res.body);
        for page in ["page", "per_page"] {
            let res = browser.get(&format!("/dcim/locations/?{page}={offset}"));
            assert_eq!(res.status, 200, "UI {page}={offset}");
            assert!(
                res.body.contains("one"),
                "UI {page}={offset}: a page of the list"
            );
        }
    }
    // The largest offset a database accepts is an empty page, not an error.
    let res = api.get("/api/dcim/locations/?offset=9223372036854775807");
    assert_eq!(res.status, 200, "{}", res.body);
    let page: Value = res.json();
    assert_eq!(page["results"], json!([]));
    assert_eq!(page["count"], json!(1));
}

/// Posts the login form with a fresh CSRF cookie.
fn try_login(client: &Client, username: &str, password: &str) -> support::Response {
    if client.cookie("csrftoken").is_none() {
        client.get("/login/");
    }
    let csrf = client.cookie("csrftoken").unwrap();
    client.post_form(
        "/login/",
        &[
            ("csrfmiddlewaretoken", &csrf),
            ("username", username),
            ("password", password),
        ],
    )
}

fn failed_logins_are_throttled_per_account_and_address(backend: Backend) {
    let mut root = Root::new(backend);
    root.set("LOGIN_FAILURE_LIMIT", "3")
        .set("LOGIN_FAILURE_LIMIT_PER_ADDRESS", "6")
        .set("LOGIN_FAILURE_WINDOW", "120");
    root.install();
    root.run(&["createuser", "--username", "erin", "--password", "erin-pw"])
        .success();
    let server = root.start();
    let guesser = server.client();
    for guess in ["a", "b", "c"] {
        let res = try_login(&guesser, "admin", guess);
        assert_eq!(res.status, 200, "a wrong password shows the form again");
        assert!(res
            .body
            .contains("Please enter a correct username and password"));
    }
    // The account's failures are used up: even the right password waits.
    let res = try_login(&guesser, "admin", "admin");
    assert_eq!(res.status, 429, "{}", res.body);
    let wait: u64 = res
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=120).contains(&wait), "Retry-After: {wait}");
    assert!(
        res.body.contains("Too many failed login attempts"),
        "{}",
        res.body
    );
    assert!(guesser.cookie("sessionid").is_none());

    // Another account from the same address still logs in, until the address has
    // used up its own failures.
    let erin = server.client();
    let res = try_login(&erin, "erin", "erin-pw");
    assert_eq!(res.status, 302, "{}", res.body);
    for user in ["x", "y", "z"] {
        assert_eq!(try_login(&guesser, user, "nope").status, 200);
    }
    let res = try_login(&server.client(), "erin", "erin-pw");
    assert_eq!(res.status, 429, "the address is throttled: {}", res.body);

    // API tokens are not throttled, and a session already open stays open.
    let api = api(&server);
    assert_eq!(api.get("/api/status/").status, 200);
    assert_eq!(erin.get("/").status, 200, "erin is still logged in");
}

fn a_failed_login_leaves_the_live_session_alone(backend: Backend) {
    let (_root, server) = start(backend);
    let browser = server.client();
    browser.login("admin", "admin");
    let session = browser.cookie("sessionid").expect("a session");
    assert_eq!(browser.get("/dcim/locations/").status, 200);
    let res = try_login(&browser, "admin", "wrong");
    assert_eq!(res.status, 200);
    assert_eq!(
        browser.cookie("sessionid").as_deref(),
        Some(session.as_str())
    );
    assert_eq!(
        browser.get("/dcim/locations/").status,
        200,
        "still logged in"
    );
    // A successful login replaces the session (no fixation).
    let res = try_login(&browser, "admin", "admin");
    assert_eq!(res.status, 302);
    let renewed = browser.cookie("sessionid").unwrap();
    assert_ne!(renewed, session);
    let old = server.client();
    let res = old.request(
        "GET",
        "/dcim/locations/",
        &[("Cookie", &format!("sessionid={session}"))],
        None,
    );
    assert_eq!(res.status, 302, "the replaced session is gone");
}

fn pages_carry_a_content_security_policy(backend: Backend) {
    let (mut root, server) = start(backend);
    let visitor = server.client();
    let res = visitor.get("/login/");
    let policy = res
        .header("content-security-policy")
        .expect("a CSP header")
        .to_string();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    // The core pages satisfy it: no inline script and nothing from another site.
    let browser = server.client();
    browser.login("admin", "admin");
    for path in [
        "/",
        "/login/",
        "/dcim/locations/",
        "/dcim/locations/add/",
        "/extras/jobs/",
    ] {
        let res = browser.get(path);
        let body = &res.body;
        let inline_script = body.match_indices("<script").any(|(i, _)| {
            let tag = &body[i..body[i..].find('>').map_or(body.len(), |e| i + e)];
            !tag.contains(" src=")
        });
        assert!(!inline_script, "{path} has an inline script");
        assert!(
            !body.contains(" onclick=") && !body.contains("javascript:"),
            "{path}"
        );
        assert!(
            !body.contains("src=\"http") && !body.contains("href=\"http"),
            "{path}"
        );
    }
    drop(server);
    // Configurable, and "" turns it off.
    root.set("CONTENT_SECURITY_POLICY", "\"default-src 'none'\"");
    let server = root.start();
    let res = server.client().get("/login/");
    assert_eq!(
        res.header("content-security-policy"),
        Some("default-src 'none'")
    );
    drop(server);
    root.set("CONTENT_SECURITY_POLICY", "\"\"");
    let server = root.start();
    assert_eq!(
        server
            .client()
            .get("/login/")
            .header("content-security-policy"),
        None
    );
}

const VIEWER_TOKEN: &str = "7777777777777777777777777777777777777777";

fn a_viewer_of_one_model_sees_no_more_than_it(backend: Backend) {
    let (root, server) = start(backend);
    root.run(&[
        "createuser",
        "--username",
        "viewer",
        "--password",
        "viewer-pw",
        "--permission",
        "dcim.view_location",
        "--token",
        VIEWER_TOKEN,
    ])
    .success();
    let admin = api(&server);
    let site = data::location_type(&admin, "Site");
    let tag = admin.send_json(
        "POST",
        "/api/extras/tags/",
        &json!({"name": "Core", "content_types": ["dcim.location"]}),
    );
    assert_eq!(tag.status, 201, "{}", tag.body);
    let res = admin.send_json(
        "POST",
        "/api/dcim/locations/",
        &json!({"name": "hq", "location_type": site, "status": "Active",
                "tags": [tag.json()["id"]]}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_str().unwrap().to_string();

    let viewer = server.client().with_token(VIEWER_TOKEN);
    assert_eq!(viewer.get("/api/dcim/location-types/").status, 403);
    assert_eq!(viewer.get("/api/extras/tags/").status, 403);
    assert_eq!(viewer.get("/api/extras/object-changes/").status, 403);
    // ?depth=1 expands only what the viewer may view: the rest stay brief references.
    for path in [
        format!("/api/dcim/locations/{id}/?depth=1"),
        "/api/dcim/locations/?depth=1".to_string(),
    ] {
        let res = viewer.get(&path);
        assert_eq!(res.status, 200, "{}", res.body);
        let body = res.json();
        let location = if body["results"].is_array() {
            body["results"][0].clone()
        } else {
            body
        };
        let reference = &location["location_type"];
        assert_eq!(reference["id"], site, "{path}");
        assert!(
            reference.get("name").is_none(),
            "{path} leaks the location type: {reference}"
        );
        let tag = &location["tags"][0];
        assert!(
            tag["id"].is_string() && tag.get("name").is_none(),
            "{path} leaks the tag: {tag}"
        );
    }
    // The admin still gets them expanded.
    let full = admin
        .get(&format!("/api/dcim/locations/{id}/?depth=1"))
        .json();
    assert_eq!(full["location_type"]["name"], json!("Site"));
    assert_eq!(full["tags"][0]["name"], json!("Core"));

    // The change log follows the API's rule in the UI too, tab included.
    let browser = server.client();
    browser.login("viewer", "viewer-pw");
    // The home page counts only what the viewer may view.
    let home = browser.get("/");
    assert!(
        home.body.contains("data-model=\"dcim.location\""),
        "{}",
        home.body
    );
    for hidden in [
        "dcim.locationtype",
        "extras.tag",
        "dcim.device",
        "extras.job",
    ] {
        assert!(
            !home.body.contains(&format!("data-model=\"{hidden}\"")),
            "{hidden}"
        );
    }
    let page = browser.get(&format!("/dcim/locations/{id}/"));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("tab-changelog"), "no Change Log tab");
    let res = browser.get(&format!("/dcim/locations/{id}/changelog/"));
    assert_eq!(res.status, 403, "{}", res.body);
    let admin_browser = server.client();
    admin_browser.login("admin", "admin");
    assert!(admin_browser
        .get(&format!("/dcim/locations/{id}/"))
        .body
        .contains("tab-changelog"));
    assert_eq!(
        admin_browser
            .get(&format!("/dcim/locations/{id}/changelog/"))
            .status,
        200
    );
}

fn csv_exports_do_not_run_as_formulas(backend: Backend) {
    let (_root, server) = start(backend);
    let api = api(&server);
    let site = data::location_type(&api, "Site");
    let formula = "=HYPERLINK(\"http://evil.example.com\",\"click\")";
    let res = api.send_json(
        "POST",
        "/api/dcim/locations/",
        &json!({"name": "hq", "location_type": site, "status": "Active",
                "description": formula}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.json()["description"], json!(formula), "stored as given");
    let browser = server.client();
    browser.login("admin", "admin");
    let csv = browser.get("/dcim/locations/?export=csv").body;
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example.com\"\",\"\"click\"\")\""),
        "{csv}"
    );
    assert!(!csv.contains(",=") && !csv.contains(",\"="), "{csv}");

    // Importing the export back gives the value as it was.
    api.send_json(
        "DELETE",
        "/api/dcim/locations/",
        &json!([{"id": res.json()["id"]}]),
    );
    assert_eq!(api.get("/api/dcim/locations/").json()["count"], json!(0));
    browser.get("/dcim/locations/import/");
    let csrf = browser.cookie("csrftoken").unwrap();
    let res = browser.post_form(
        "/dcim/locations/import/",
        &[("csrfmiddlewaretoken", &csrf), ("csv_data", &csv)],
    );
    assert!(res.status == 302 || res.status == 200, "{}", res.body);
    let back = api.get("/api/dcim/locations/?name=hq").json();
    assert_eq!(back["results"][0]["description"], json!(formula), "{back}");
}

/// File modes concern the SQLite file and the configuration; PostgreSQL keeps its data
/// in its own server, so this one runs on SQLite only.
#[test]
fn init_and_migrate_leave_secrets_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = tempfile::tempdir().unwrap();
    let root = Root::new(Backend::Sqlite);
    let target = dir.path().join("nb");
    let env = [("NAUTOBOT_ROOT", target.to_str().unwrap())];
    root.run_with_env(&["init"], &env).success();
    root.run_with_env(&["migrate"], &env).success();
    root.run_with_env(
        &[
            "createsuperuser",
            "--username",
            "a",
            "--email",
            "a@example.com",
            "--password",
            "pw",
        ],
        &env,
    )
    .success();
    assert_eq!(mode(&target), 0o700, "the root");
    assert_eq!(mode(&target.join("plugins")), 0o700);
    assert_eq!(
        mode(&target.join("nautobot_config.toml")),
        0o600,
        "SECRET_KEY"
    );
    let mut databases = 0;
    for entry in std::fs::read_dir(&target).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.contains(".sqlite3") {
            databases += 1;
            assert_eq!(mode(&path), 0o600, "{name}");
        }
    }
    assert!(databases >= 2, "the database and its job log");
}

fn csrf_tokens_are_bound_to_the_session(backend: Backend) {
    let (_root, server) = start(backend);
    let api = api(&server);
    let site = data::location_type(&api, "Site");
    let site = site.as_str().unwrap();
    let victim = server.client();
    victim.login("admin", "admin");
    let session = victim.cookie("sessionid").unwrap();
    let bound = victim.cookie("csrftoken").unwrap();

    // An attacker who plants a csrftoken cookie of their choosing (a sibling subdomain
    // can) and submits the same value is refused: the session has its own token.
    let planted = "ab".repeat(32);
    let cookies = format!("sessionid={session}; csrftoken={planted}");
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrfmiddlewaretoken", planted.as_str()),
            ("name", "planted"),
            ("location_type", site),
            ("status", "Active"),
        ])
        .finish();
    let res = server.client().request(
        "POST",
        "/dcim/locations/add/",
        &[
            ("Cookie", &cookies),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(&form),
    );
    assert_eq!(res.status, 403, "{}", res.body);
    let res = server.client().request(
        "POST",
        "/api/dcim/locations/",
        &[
            ("Cookie", &cookies),
            ("X-CSRFToken", &planted),
            ("Content-Type", "application/json"),
        ],
        Some(&json!({"name": "planted", "location_type": site, "status": "Active"}).to_string()),
    );
    assert_eq!(res.status, 403, "{}", res.body);
    // The page the victim gets puts its own token back in the cookie and the form.
    let page =
        server
            .client()
            .request("GET", "/dcim/locations/add/", &[("Cookie", &cookies)], None);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&bound),
        "the form carries the session's token"
    );
    assert!(
        page.headers_named("set-cookie")
            .iter()
            .any(|c| c.starts_with(&format!("csrftoken={bound}"))),
        "the planted cookie is replaced"
    );

    // The session's own token works, in a form and from a script.
    let res = victim.post_form(
        "/dcim/locations/add/",
        &[
            ("csrfmiddlewaretoken", bound.as_str()),
            ("name", "real"),
            ("location_type", site),
            ("status", "Active"),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    let res = victim.request(
        "POST",
        "/api/dcim/locations/",
        &[
            ("X-CSRFToken", &bound),
            ("Content-Type", "application/json"),
        ],
        Some(&json!({"name": "scripted", "location_type": site, "status": "Active"}).to_string()),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let names: Vec<Value> = api.get("/api/dcim/locations/?sort=name").json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("real"), json!("scripted")]);
    // Another session's token is no good either.
    let other = server.client();
    other.login("admin", "admin");
    let theirs = other.cookie("csrftoken").unwrap();
    assert_ne!(theirs, bound);
    let res = victim.post_form(
        "/dcim/locations/add/",
        &[
            ("csrfmiddlewaretoken", theirs.as_str()),
            ("name", "x"),
            ("location_type", site),
            ("status", "Active"),
        ],
    );
    assert_eq!(res.status, 403);
}

/// `?tags=t0&tags=t1…` with `n` values.
fn repeated(name: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{name}=t{i}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn thousands_of_filter_values_are_refused_at_once(backend: Backend) {
    let (_root, server) = start(backend);
    let api = api(&server);
    let browser = server.client();
    browser.login("admin", "admin");
    let started = std::time::Instant::now();
    let res = api.get(&format!("/api/dcim/locations/?{}", repeated("tags", 6000)));
    let took = started.elapsed();
    assert_eq!(res.status, 400, "{}", res.body);
    let body = res.json();
    let message = body["tags"][0].as_str().unwrap_or_default();
    assert!(
        message.contains("MAX_FILTER_VALUES") && message.contains("6000"),
        "{body}"
    );
    // Refused before any database work: well under a second even on a loaded machine.
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
    let page = browser.get(&format!("/dcim/locations/?{}", repeated("tags", 1001)));
    assert_eq!(page.status, 400);
    assert!(page.body.contains("MAX_FILTER_VALUES"), "{}", page.body);
    // The server serves everyone else as before.
    assert_eq!(api.get("/api/dcim/locations/").status, 200);
}

fn many_filter_values_within_the_limit_are_answered(backend: Backend) {
    let (_root, server) = start(backend);
    let api = api(&server);
    let site = data::location_type(&api, "Site");
    assert_eq!(data::post_location(&api, "t7", &site).status, 201);
    // 1,000 values of one filter: one list for the database, on SQLite too (which
    // refused 1,000 OR-ed conditions with "Expression tree is too large").
    for name in ["name", "tags", "location_type", "id"] {
        let res = api.get(&format!("/api/dcim/locations/?{}", repeated(name, 1000)));
        assert_eq!(res.status, 200, "{name}: {}", res.body);
        let expected = if name == "name" { 1 } else { 0 };
        assert_eq!(res.json()["count"], expected, "{name}");
    }
    // A search longer than SQLite's LIKE limit is the client's error, not a 500.
    let long = "x".repeat(60_000);
    let res = api.get(&format!("/api/dcim/locations/?name__ic={long}"));
    assert!(
        res.status == 200 || res.status == 400,
        "{} {}",
        res.status,
        res.body
    );
    let res = api.get(&format!("/api/dcim/locations/?q={long}"));
    assert!(
        res.status == 200 || res.status == 400,
        "{} {}",
        res.status,
        res.body
    );
}

fn oversized_bodies_answer_json_413(backend: Backend) {
    let mut root = Root::new(backend);
    root.set("DATA_UPLOAD_MAX_MEMORY_SIZE", "100000");
    root.install();
    let server = root.start();
    let api = api(&server);
    let site = data::location_type(&api, "Site");
    let big = json!({"name": "big", "location_type": site, "status": "Active",
                     "description": "x".repeat(150_000)});
    let res = api.send_json("POST", "/api/dcim/locations/", &big);
    assert_eq!(res.status, 413, "{}", res.body);
    assert!(res
        .header("content-type")
        .unwrap_or_default()
        .starts_with("application/json"));
    assert!(
        res.json()["detail"]
            .as_str()
            .unwrap()
            .contains("DATA_UPLOAD_MAX_MEMORY_SIZE"),
        "{}",
        res.body
    );
    // Below the limit (and above actix's old 256 KiB default when raised) it is read.
    let small = json!({"name": "small", "location_type": site, "status": "Active",
                       "description": "x".repeat(50_000)});
    let res = api.send_json("POST", "/api/dcim/locations/", &small);
    assert_ne!(res.status, 413, "{}", res.body);
}

fn csv_exports_stream_every_row_across_chunks(backend: Backend) {
    let (_root, server) = start(backend);
    let api = api(&server);
    let site = data::location_type(&api, "Site");
    // More than two chunks of 500, the last one partial.
    let locations: Vec<Value> = (0..1203)
        .map(|i| json!({"name": format!("loc-{i:05}"), "location_type": site, "status": "Active"}))
        .collect();
    let res = api.send_json("POST", "/api/dcim/locations/", &Value::Array(locations));
    assert_eq!(
        res.status,
        201,
        "{}",
        res.body.chars().take(300).collect::<String>()
    );
    let browser = server.client();
    browser.login("admin", "admin");
    let export = browser.get("/dcim/locations/?export=csv");
    assert_eq!(export.status, 200);
    assert!(export
        .header("content-type")
        .unwrap()
        .starts_with("text/csv"));
    let lines: Vec<&str> = export.body.lines().collect();
    let column = lines[0]
        .split(',')
        .position(|c| c == "name")
        .expect("a name column");
    let name_of = |line: &str| line.split(',').nth(column).unwrap_or_default().to_string();
    let names: Vec<String> = lines[1..].iter().map(|l| name_of(l)).collect();
    let expected: Vec<String> = (0..1203).map(|i| format!("loc-{i:05}")).collect();
    assert_eq!(names, expected, "every row once, in order");
    // Filters and sorting hold across chunks too.
    let export = browser.get("/dcim/locations/?export=csv&sort=-name&name__isw=loc-006");
    let names: Vec<String> = export.body.lines().skip(1).map(name_of).collect();
    let expected: Vec<String> = (600..700).rev().map(|i| format!("loc-{i:05}")).collect();
    assert_eq!(names, expected);
    // A refused filter is an error page, not a file.
    let res = browser.get("/dcim/locations/?export=csv&offset=x");
    assert_ne!(
        res.header("content-type").unwrap_or_default(),
        "text/csv; charset=utf-8"
    );
}

fn a_username_cannot_forge_log_lines(backend: Backend) {
    let mut root = Root::new(backend);
    root.set("LOG_LEVEL", "\"INFO\"");
    root.install();
    let server = root.start();
    let client = server.client();
    let forged = "mallory\nERROR forged line\r\u{1b}[2J";
    let res = try_login(&client, forged, "x");
    assert_eq!(res.status, 200);
    let huge = "u".repeat(1 << 20);
    let res = try_login(&client, &huge, "x");
    assert!(
        res.status == 200 || res.status == 413 || res.status == 400,
        "{}",
        res.status
    );
    // The log holds the attempt on one line, its control characters escaped.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let log = loop {
        let log = server.log();
        if log.contains("mallory") || std::time::Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let line = log
        .lines()
        .find(|l| l.contains("mallory"))
        .unwrap_or_else(|| panic!("the failed login is logged: {log}"));
    assert!(
        line.contains("mallory\\nERROR forged line\\r\\u{1b}[2J"),
        "{line}"
    );
    assert!(!log.lines().any(|l| l.starts_with("ERROR forged")), "{log}");
    assert!(!log.contains('\u{1b}'), "no raw escape reaches the log");
}

/// A body trickled slower than the server waits (10 s between parts) is cut off with 408,
/// as a slow request head is; other clients are served meanwhile. (No database work:
/// SQLite only.)
#[test]
fn a_trickled_body_times_out() {
    use std::io::{Read, Write};
    let (_root, server) = start(Backend::Sqlite);
    let address = server.base_url().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    let head = format!(
        "POST /api/dcim/location-types/ HTTP/1.1\r\nHost: {address}\r\nAuthorization: Token {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\": "
    );
    stream.write_all(head.as_bytes()).unwrap();
    let started = std::time::Instant::now();
    // Meanwhile everyone else is served.
    assert_eq!(api(&server).get("/api/status/").status, 200);
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive in time"), "{answer}");
    assert!(
        waited >= std::time::Duration::from_secs(9) && waited < std::time::Duration::from_secs(25),
        "{waited:?}"
    );
    assert_eq!(
        api(&server).get("/api/dcim/location-types/").json()["count"],
        0,
        "nothing was created"
    );
}
