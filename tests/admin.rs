//! Users, groups, API tokens and object permissions through the generic model pages
//! (`/users/users/`, `/users/groups/`, `/users/tokens/`, `/users/permissions/`):
//! superusers manage them, what they set takes effect at once, passwords and token keys
//! are never shown back, others need object permissions, and the old admin addresses
//! redirect. Each test runs on SQLite and on PostgreSQL.

use support::{both_backends, Backend, Client, Root, Server, ADMIN_TOKEN};

both_backends!(
    superusers_manage_users_groups_tokens_and_permissions,
    others_need_object_permissions,
    forms_need_the_csrf_token,
    old_admin_addresses_redirect,
);

fn start(backend: Backend) -> (Root, Server) {
    support::start(backend, &[])
}

/// Posts `fields` to `path` with the client's CSRF token.
fn post(client: &Client, path: &str, fields: &[(&str, &str)]) -> support::Response {
    let csrf = client.cookie("csrftoken").expect("a csrftoken cookie");
    let mut all: Vec<(&str, &str)> = vec![("csrfmiddlewaretoken", &csrf)];
    all.extend_from_slice(fields);
    client.post_form(path, &all)
}

/// Posts a form that must succeed with a redirect; returns where to.
fn post_ok(client: &Client, path: &str, fields: &[(&str, &str)]) -> String {
    let res = post(client, path, fields);
    assert_eq!(res.status, 302, "POST {path}: {}", res.body);
    res.header("location").unwrap_or_default().to_string()
}

/// The id of the object of `list` (an API list path) whose `field` is `value`.
fn id_of(api: &Client, list: &str, field: &str, value: &str) -> String {
    let res = api.get(&format!("{list}?{field}={value}"));
    assert_eq!(res.status, 200, "{}", res.body);
    res.json()["results"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {value} in {list}: {}", res.body))
        .to_string()
}

fn superusers_manage_users_groups_tokens_and_permissions(backend: Backend) {
    let (_root, server) = start(backend);
    let admin = server.login("admin", "admin");
    let api = server.client().with_token(ADMIN_TOKEN);

    // The menu leads to the four lists.
    let home = admin.get("/");
    for url in [
        "/users/users/",
        "/users/groups/",
        "/users/tokens/",
        "/users/permissions/",
    ] {
        assert!(home.body.contains(&format!("href=\"{url}\"")), "{url}");
        assert_eq!(admin.get(url).status, 200, "{url}");
    }

    // A group, then a user in it, with a password.
    post_ok(&admin, "/users/groups/add/", &[("name", "netops")]);
    let group = id_of(&api, "/api/users/groups/", "name", "netops");
    let form = admin.get("/users/users/add/");
    assert!(
        form.body.contains("type=\"password\" name=\"password\""),
        "{}",
        form.body
    );
    let detail = post_ok(
        &admin,
        "/users/users/add/",
        &[
            ("username", "carol"),
            ("email", "carol@example.com"),
            ("password", "carol-pw"),
            ("is_active", "on"),
            ("groups", &group),
        ],
    );
    let carol = id_of(&api, "/api/users/users/", "username", "carol");
    assert_eq!(detail, format!("/users/users/{carol}/"));
    let page = admin.get(&detail);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("netops"), "{}", page.body);
    assert!(!page.body.contains("argon2"), "{}", page.body);
    let export = admin.get("/users/users/?export=csv");
    assert_eq!(export.status, 200);
    assert!(export.body.contains("carol"));
    assert!(!export.body.contains("argon2") && !export.body.contains("password"));
    let changes = admin.get(&format!("{detail}changelog/"));
    assert!(!changes.body.contains("argon2"), "{}", changes.body);

    // Carol logs in, but sees no locations until a permission grants her group that.
    let carol_ui = server.login("carol", "carol-pw");
    assert_eq!(carol_ui.get("/dcim/locations/").status, 403);
    post_ok(
        &admin,
        "/users/permissions/add/",
        &[
            ("name", "view locations"),
            ("enabled", "on"),
            ("object_types", "dcim.location"),
            ("actions", "[\"view\"]"),
            ("groups", &group),
        ],
    );
    assert_eq!(carol_ui.get("/dcim/locations/").status, 200);

    // A token for carol: its key is shown once, then works on the API.
    let res = post(
        &admin,
        "/users/tokens/add/",
        &[
            ("user", &carol),
            ("write_enabled", "on"),
            ("description", "made in the UI"),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let marker = "id=\"secret-key\">";
    let start = res.body.find(marker).expect("the new key is shown") + marker.len();
    let key: String = res.body[start..].chars().take(40).collect();
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()) && key.len() == 40);
    let carol_api = server.client().with_token(&key);
    assert_eq!(carol_api.get("/api/dcim/locations/").status, 200);
    let token = id_of(
        &api,
        "/api/users/tokens/",
        "description",
        "made%20in%20the%20UI",
    );
    let token_page = admin.get(&format!("/users/tokens/{token}/"));
    assert!(
        !token_page.body.contains(&key),
        "the key is shown once only"
    );

    // Editing without a password keeps it.
    post_ok(
        &admin,
        &format!("/users/users/{carol}/edit/"),
        &[
            ("username", "carol"),
            ("email", "carol@example.net"),
            ("password", ""),
            ("is_active", "on"),
            ("groups", &group),
        ],
    );
    server.login("carol", "carol-pw");
    assert_eq!(
        api.get(&format!("/api/users/users/{carol}/")).json()["email"],
        "carol@example.net"
    );

    // Deleting: the token goes with its user; the permission and the group by hand.
    for path in [
        format!(
            "/users/permissions/{}/delete/",
            id_of(&api, "/api/users/permissions/", "name", "view%20locations")
        ),
        format!("/users/users/{carol}/delete/"),
        format!("/users/groups/{group}/delete/"),
    ] {
        post_ok(&admin, &path, &[]);
    }
    assert_eq!(
        api.get("/api/users/users/?username=carol").json()["count"],
        0
    );
    assert_eq!(api.get(&format!("/api/users/tokens/{token}/")).status, 404);
    assert_eq!(carol_api.get("/api/dcim/locations/").status, 403);
    assert_eq!(api.get("/api/users/groups/").json()["count"], 0);
    assert_eq!(api.get("/api/users/permissions/").json()["count"], 0);
}

fn others_need_object_permissions(backend: Backend) {
    let (root, server) = start(backend);
    root.run(&["createuser", "--username", "dave", "--password", "dave-pw"])
        .success();
    root.run(&[
        "createuser",
        "--username",
        "erin",
        "--password",
        "erin-pw",
        "--permission",
        "users.view_user",
    ])
    .success();
    let api = server.client().with_token(ADMIN_TOKEN);
    let admin_id = id_of(&api, "/api/users/users/", "username", "admin");

    let dave = server.login("dave", "dave-pw");
    for path in [
        "/users/users/",
        "/users/users/add/",
        "/users/groups/",
        "/users/permissions/",
    ] {
        assert_eq!(dave.get(path).status, 403, "{path}");
    }
    assert!(!dave.get("/").body.contains("href=\"/users/users/\""));

    let erin = server.login("erin", "erin-pw");
    let list = erin.get("/users/users/");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("dave"));
    assert!(!list.body.contains("argon2"));
    assert_eq!(erin.get(&format!("/users/users/{admin_id}/")).status, 200);
    assert_eq!(erin.get("/users/users/add/").status, 403);
    assert_eq!(
        erin.get(&format!("/users/users/{admin_id}/edit/")).status,
        403
    );
    let res = post(&erin, &format!("/users/users/{admin_id}/delete/"), &[]);
    assert_eq!(res.status, 403);
    assert_eq!(erin.get("/users/groups/").status, 403);
    assert!(erin.get("/").body.contains("href=\"/users/users/\""));
}

fn forms_need_the_csrf_token(backend: Backend) {
    let (_root, server) = start(backend);
    let admin = server.login("admin", "admin");
    let res = admin.post_form("/users/groups/add/", &[("name", "sneaky")]);
    assert_eq!(res.status, 403, "{}", res.body);
    let api = server.client().with_token(ADMIN_TOKEN);
    assert_eq!(api.get("/api/users/groups/").json()["count"], 0);
}

fn old_admin_addresses_redirect(backend: Backend) {
    let (_root, server) = start(backend);
    let admin = server.login("admin", "admin");
    for (old, new) in [
        ("/admin/", "/users/users/"),
        ("/admin/users/group/add/", "/users/groups/add/"),
        ("/admin/users/objectpermission/", "/users/permissions/"),
        ("/user/api-tokens/", "/users/tokens/"),
    ] {
        let res = admin.get(old);
        assert_eq!(res.status, 301, "{old}");
        assert_eq!(res.header("location"), Some(new), "{old}");
    }
}
