//! The admin pages (`/admin/`): superusers manage users, groups, object permissions and API
//! tokens through server-rendered forms, and what they set takes effect on the API at
//! once. Each test runs on SQLite and on PostgreSQL.

use support::{both_backends, Backend, Client, Root, Server};

both_backends!(
    staff_grant_permissions_through_users_groups_and_tokens,
    users_groups_and_permissions_can_be_edited_and_deleted,
    only_superusers_may_use_the_admin,
    admin_forms_need_the_csrf_token,
    invalid_input_is_shown_beside_each_field,
    nobody_deletes_their_own_account,
);

fn start(backend: Backend) -> (Root, Server) {
    let mut root = Root::new(backend);
    root.install();
    let server = root.start();
    (root, server)
}

fn admin(server: &Server) -> Client {
    let client = server.client();
    assert_eq!(client.login("admin", "admin").status, 302);
    client
}

/// Posts `fields` to `path` with the client's CSRF token.
fn post(client: &Client, path: &str, fields: &[(&str, &str)]) -> support::Response {
    let csrf = client.cookie("csrftoken").expect("a csrftoken cookie");
    let mut all: Vec<(&str, &str)> = vec![("csrfmiddlewaretoken", &csrf)];
    all.extend_from_slice(fields);
    client.post_form(path, &all)
}

/// Posts a form that must succeed: a redirect to `list`.
fn post_ok(client: &Client, path: &str, fields: &[(&str, &str)], list: &str) {
    let res = post(client, path, fields);
    assert_eq!(res.status, 302, "POST {path}: {}", res.body);
    assert_eq!(res.header("location"), Some(list));
}

/// The id of the row named `name` in an admin change list.
fn row_id(client: &Client, list: &str, name: &str) -> String {
    let page = client.get(list);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"admin-table\""));
    let marker = format!("\" data-name=\"{name}\"");
    let end = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no row {name} in {list}: {}", page.body));
    let start = page.body[..end]
        .rfind("data-id=\"")
        .expect("rows carry data-id")
        + "data-id=\"".len();
    page.body[start..end].to_string()
}

/// Whether the change list at `list` has a row named `name`.
fn has_row(client: &Client, list: &str, name: &str) -> bool {
    client
        .get(list)
        .body
        .contains(&format!("data-name=\"{name}\""))
}

/// Creates a token for `user_id` through the admin and returns the key shown once.
fn create_token(client: &Client, user_id: &str) -> String {
    let res = post(
        client,
        "/admin/users/token/add/",
        &[
            ("user", user_id),
            ("write_enabled", "on"),
            ("description", "made in the admin"),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let marker = "id=\"new-token-key\">";
    let start = res.body.find(marker).expect("the new key is shown") + marker.len();
    let key: String = res.body[start..].chars().take(40).collect();
    assert!(
        key.len() == 40 && key.chars().all(|c| c.is_ascii_hexdigit()),
        "{key}"
    );
    key
}

/// Creates user `username` (password `<username>-pw`) and returns their id.
fn create_user(client: &Client, username: &str, extra: &[(&str, &str)]) -> String {
    let password = format!("{username}-pw");
    let mut fields = vec![
        ("username", username),
        ("email", "someone@example.com"),
        ("password", password.as_str()),
        ("is_active", "on"),
    ];
    fields.extend_from_slice(extra);
    post_ok(
        client,
        "/admin/users/user/add/",
        &fields,
        "/admin/users/user/",
    );
    row_id(client, "/admin/users/user/", username)
}

fn staff_grant_permissions_through_users_groups_and_tokens(backend: Backend) {
    let (_root, server) = start(backend);
    let admin = admin(&server);

    let index = admin.get("/admin/");
    assert_eq!(index.status, 200, "{}", index.body);
    for section in ["user", "group", "token", "objectpermission"] {
        assert!(
            index
                .body
                .contains(&format!("href=\"/admin/users/{section}/\"")),
            "{section}: {}",
            index.body
        );
    }
    let add = admin.get("/admin/users/user/");
    assert!(add.body.contains("id=\"add-button\""));

    let carol = create_user(&admin, "carol", &[]);
    post_ok(
        &admin,
        "/admin/users/group/add/",
        &[("name", "Location viewers"), ("members", &carol)],
        "/admin/users/group/",
    );
    let group = row_id(&admin, "/admin/users/group/", "Location viewers");
    // The user list shows the membership.
    let users = admin.get("/admin/users/user/");
    assert!(users.body.contains("Location viewers"), "{}", users.body);

    // Every model is offered, hidden ones are not.
    let form = admin.get("/admin/users/objectpermission/add/");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"dcim.location\""));
    assert!(form.body.contains("value=\"dcim.device\""));
    assert!(!form.body.contains("value=\"extras.taggeditem\""));
    post_ok(
        &admin,
        "/admin/users/objectpermission/add/",
        &[
            ("name", "View locations"),
            ("enabled", "on"),
            ("object_types", "dcim.location"),
            ("actions", "view"),
            ("groups", &group),
        ],
        "/admin/users/objectpermission/",
    );
    let list = admin.get("/admin/users/objectpermission/");
    assert!(list.body.contains("dcim.location"), "{}", list.body);
    assert!(list.body.contains("Location viewers"));

    // Carol logs in and may view locations, not devices.
    let session = server.client();
    assert_eq!(session.login("carol", "carol-pw").status, 302);
    assert_eq!(session.get("/api/dcim/locations/").status, 200);
    assert_eq!(session.get("/api/dcim/devices/").status, 403);

    // A token made in the admin works for her on the API; its key is shown once.
    let key = create_token(&admin, &carol);
    let tokens = admin.get("/admin/users/token/");
    assert_eq!(tokens.status, 200);
    assert!(tokens.body.contains(&key[36..]));
    assert!(!tokens.body.contains(&key), "the list masks keys");
    let api = Client::new(&server.base_url()).with_token(&key);
    assert_eq!(api.get("/api/dcim/locations/").status, 200);
    assert_eq!(api.get("/api/dcim/devices/").status, 403);

    // A key of one's own choosing is kept; deleting a token ends its use.
    let chosen = "abcdefabcdefabcdefabcdefabcdefabcdef1234";
    let res = post(
        &admin,
        "/admin/users/token/add/",
        &[("user", &carol), ("key", chosen)],
    );
    assert!(res
        .body
        .contains(&format!("id=\"new-token-key\">{chosen}<")));
    let token = row_id(&admin, "/admin/users/token/", "carol");
    let confirm = admin.get(&format!("/admin/users/token/{token}/delete/"));
    assert_eq!(confirm.status, 200);
    post_ok(
        &admin,
        &format!("/admin/users/token/{token}/delete/"),
        &[],
        "/admin/users/token/",
    );
    let remaining = admin.get("/admin/users/token/");
    assert_eq!(remaining.body.matches("data-name=\"carol\"").count(), 1);
    let (kept, deleted) = if remaining.body.contains(&key[36..]) {
        (key.as_str(), chosen)
    } else {
        (chosen, key.as_str())
    };
    let with = |k: &str| Client::new(&server.base_url()).with_token(k);
    assert_eq!(with(deleted).get("/api/dcim/locations/").status, 403);
    assert_eq!(with(kept).get("/api/dcim/locations/").status, 200);
}

fn users_groups_and_permissions_can_be_edited_and_deleted(backend: Backend) {
    let (_root, server) = start(backend);
    let admin = admin(&server);
    let dave = create_user(&admin, "dave", &[]);
    post_ok(
        &admin,
        "/admin/users/objectpermission/add/",
        &[
            ("name", "Devices"),
            ("enabled", "on"),
            ("object_types", "dcim.device"),
            ("object_types", "dcim.location"),
            ("actions", "view"),
            ("actions", "change"),
            ("users", &dave),
        ],
        "/admin/users/objectpermission/",
    );
    let session = server.client();
    assert_eq!(session.login("dave", "dave-pw").status, 302);
    assert_eq!(session.get("/api/dcim/devices/").status, 200);

    // The edit form shows what is stored.
    let permission = row_id(&admin, "/admin/users/objectpermission/", "Devices");
    let change = format!("/admin/users/objectpermission/{permission}/change/");
    let form = admin.get(&change);
    assert_eq!(form.status, 200);
    assert!(form
        .body
        .contains("<option value=\"dcim.device\" selected>"));
    assert!(form
        .body
        .contains("value=\"change\" id=\"id_actions_2\" checked"));
    // Disabling it takes the grant away.
    post_ok(
        &admin,
        &change,
        &[
            ("name", "Devices"),
            ("object_types", "dcim.device"),
            ("actions", "view"),
            ("users", &dave),
        ],
        "/admin/users/objectpermission/",
    );
    assert_eq!(session.get("/api/dcim/devices/").status, 403);

    // Rename dave and change his password: the old one stops working, the new one works.
    let user_change = format!("/admin/users/user/{dave}/change/");
    let form = admin.get(&user_change);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"dave\""));
    post_ok(
        &admin,
        &user_change,
        &[
            ("username", "david"),
            ("email", "david@example.com"),
            ("password", "new-pw"),
            ("is_active", "on"),
            ("is_staff", "on"),
        ],
        "/admin/users/user/",
    );
    assert_eq!(server.client().login("david", "dave-pw").status, 200);
    let david = server.client();
    assert_eq!(david.login("david", "new-pw").status, 302);
    // Staff status alone does not open the admin: it can grant anything, superuser
    // status included, so it is for superusers only. An empty password keeps the
    // current one.
    assert_eq!(david.get("/admin/").status, 403);
    post_ok(
        &admin,
        &user_change,
        &[("username", "david"), ("password", ""), ("is_active", "on")],
        "/admin/users/user/",
    );
    assert_eq!(server.client().login("david", "new-pw").status, 302);
    assert_eq!(david.get("/admin/").status, 403);

    // Groups: add, rename with members, delete.
    post_ok(
        &admin,
        "/admin/users/group/add/",
        &[("name", "Operators")],
        "/admin/users/group/",
    );
    let group = row_id(&admin, "/admin/users/group/", "Operators");
    post_ok(
        &admin,
        &format!("/admin/users/group/{group}/change/"),
        &[("name", "Network operators"), ("members", &dave)],
        "/admin/users/group/",
    );
    assert!(has_row(&admin, "/admin/users/group/", "Network operators"));
    let user_form = admin.get(&user_change);
    assert!(user_form
        .body
        .contains(&format!("value=\"{group}\" id=\"id_groups_0\" checked")));
    post_ok(
        &admin,
        &format!("/admin/users/group/{group}/delete/"),
        &[],
        "/admin/users/group/",
    );
    assert!(!has_row(&admin, "/admin/users/group/", "Network operators"));

    // Deleting the permission and the user.
    let confirm = admin.get(&format!(
        "/admin/users/objectpermission/{permission}/delete/"
    ));
    assert!(confirm.body.contains("id=\"confirm-delete\""));
    post_ok(
        &admin,
        &format!("/admin/users/objectpermission/{permission}/delete/"),
        &[],
        "/admin/users/objectpermission/",
    );
    assert!(!has_row(
        &admin,
        "/admin/users/objectpermission/",
        "Devices"
    ));
    let confirm = admin.get(&format!("/admin/users/user/{dave}/delete/"));
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("id=\"confirm-delete\""));
    post_ok(
        &admin,
        &format!("/admin/users/user/{dave}/delete/"),
        &[],
        "/admin/users/user/",
    );
    assert!(!has_row(&admin, "/admin/users/user/", "david"));
    assert_eq!(david.get("/api/dcim/locations/").status, 403);
    assert_eq!(admin.get(&user_change).status, 404);
}

fn only_superusers_may_use_the_admin(backend: Backend) {
    let (root, server) = start(backend);
    root.run(&["createuser", "--username", "erin", "--password", "erin-pw"])
        .success();
    let erin = server.client();
    assert_eq!(erin.login("erin", "erin-pw").status, 302);
    for path in [
        "/admin/",
        "/admin/users/user/",
        "/admin/users/user/add/",
        "/admin/users/group/",
        "/admin/users/token/",
        "/admin/users/objectpermission/",
    ] {
        assert_eq!(erin.get(path).status, 403, "{path}");
    }
    let res = post(
        &erin,
        "/admin/users/user/add/",
        &[("username", "mallory"), ("password", "x")],
    );
    assert_eq!(res.status, 403);

    let anonymous = server.client();
    let res = anonymous.get("/admin/users/user/");
    assert_eq!(res.status, 302);
    assert_eq!(
        res.header("location"),
        Some("/login/?next=%2Fadmin%2Fusers%2Fuser%2F")
    );
    let admin = admin(&server);
    assert!(!has_row(&admin, "/admin/users/user/", "mallory"));
}

fn admin_forms_need_the_csrf_token(backend: Backend) {
    let (_root, server) = start(backend);
    let admin = admin(&server);
    let fields = [("username", "frank"), ("password", "frank-pw")];
    let res = admin.post_form("/admin/users/user/add/", &fields);
    assert_eq!(res.status, 403, "{}", res.body);
    assert!(res.body.contains("CSRF"));
    let mut wrong = vec![("csrfmiddlewaretoken", "0".repeat(64))];
    wrong.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        admin.post_form("/admin/users/user/add/", &wrong).status,
        403
    );
    let admin_id = row_id(&admin, "/admin/users/user/", "admin");
    assert_eq!(
        admin
            .post_form(&format!("/admin/users/user/{admin_id}/delete/"), &[])
            .status,
        403
    );
    assert!(!has_row(&admin, "/admin/users/user/", "frank"));
}

fn invalid_input_is_shown_beside_each_field(backend: Backend) {
    let (_root, server) = start(backend);
    let admin = admin(&server);
    let res = post(
        &admin,
        "/admin/users/user/add/",
        &[
            ("username", "admin"),
            ("email", "not an address"),
            ("password", "pw"),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(
        res.body
            .contains("class=\"field-error\" data-field=\"username\">A user with that username already exists."),
        "{}",
        res.body
    );
    assert!(res.body.contains("Enter a valid email address."));
    // What was typed is shown again, never the password.
    assert!(res.body.contains("value=\"not an address\""));
    assert!(!res.body.contains("value=\"pw\""));

    let res = post(&admin, "/admin/users/user/add/", &[("username", "gina")]);
    assert!(res
        .body
        .contains("data-field=\"password\">This field is required."));
    assert!(!has_row(&admin, "/admin/users/user/", "gina"));

    post_ok(
        &admin,
        "/admin/users/group/add/",
        &[("name", "Ops")],
        "/admin/users/group/",
    );
    let res = post(&admin, "/admin/users/group/add/", &[("name", "Ops")]);
    assert!(res
        .body
        .contains("data-field=\"name\">A group with that name already exists."));

    let res = post(
        &admin,
        "/admin/users/objectpermission/add/",
        &[("name", "Nothing"), ("object_types", "nosuch.model")],
    );
    assert!(res
        .body
        .contains("data-field=\"object_types\">Select a valid choice."));
    assert!(res
        .body
        .contains("data-field=\"actions\">At least one action must be specified."));
    assert!(!has_row(
        &admin,
        "/admin/users/objectpermission/",
        "Nothing"
    ));

    let res = post(
        &admin,
        "/admin/users/token/add/",
        &[("user", ""), ("key", "short")],
    );
    assert!(res
        .body
        .contains("data-field=\"user\">This field is required."));
    assert!(res
        .body
        .contains("data-field=\"key\">A key must be 40 hexadecimal characters"));
}

fn nobody_deletes_their_own_account(backend: Backend) {
    let (_root, server) = start(backend);
    let admin = admin(&server);
    let me = row_id(&admin, "/admin/users/user/", "admin");
    let page = admin.get(&format!("/admin/users/user/{me}/delete/"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("You cannot delete your own account."));
    assert!(!page.body.contains("id=\"confirm-delete\""));
    let res = post(&admin, &format!("/admin/users/user/{me}/delete/"), &[]);
    assert_eq!(res.status, 400);
    assert!(has_row(&admin, "/admin/users/user/", "admin"));
}
