//! The `users` app's REST API (`/api/users/users/`, `groups/`, `tokens/`,
//! `permissions/`): passwords are written hashed and never read back, a token's key is
//! shown only in the answer that creates it, users who are not superusers see only
//! their own tokens, and everything else needs object permissions. Each test runs on
//! SQLite and PostgreSQL.

use serde_json::{json, Value};
use support::{both_backends, Backend, Client, Root, Server, ADMIN_TOKEN};

both_backends!(
    passwords_are_written_hashed_and_never_shown,
    token_keys_are_shown_once,
    users_see_only_their_own_tokens,
    others_need_object_permissions,
    groups_and_permissions_grant_what_they_list,
    superusers_accounts_are_superusers_alone,
    a_new_password_ends_the_other_sessions,
);

const CAROL_TOKEN: &str = "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff";
const DAVE_TOKEN: &str = "da7eda7eda7eda7eda7eda7eda7eda7eda7eda7e";

fn start(backend: Backend) -> (Root, Server) {
    let mut root = Root::new(backend);
    root.install();
    root.run(&[
        "createuser",
        "--username",
        "carol",
        "--password",
        "carol-pw",
        "--token",
        CAROL_TOKEN,
    ])
    .success();
    let server = root.start();
    (root, server)
}

fn api(server: &Server) -> Client {
    server.client().with_token(ADMIN_TOKEN)
}

/// Whether `value` (a response, a page) mentions a password hash anywhere.
fn shows_a_hash(text: &str) -> bool {
    text.contains("argon2") || text.contains("\"password\"")
}

fn passwords_are_written_hashed_and_never_shown(backend: Backend) {
    let (_root, server) = start(backend);
    let api = api(&server);
    let res = api.send_json(
        "POST",
        "/api/users/users/",
        &json!({"username": "dave", "password": "dave-pw", "email": "dave@example.com"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert!(!shows_a_hash(&res.body), "{}", res.body);
    let body = res.json();
    assert_eq!(body["username"], "dave");
    assert_eq!(body["is_superuser"], false);
    assert_eq!(body["groups"], json!([]));
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(server.client().login("dave", "dave-pw").status, 302);

    for path in [
        format!("/api/users/users/{id}/"),
        "/api/users/users/".to_string(),
        format!("/api/users/users/{id}/?depth=1"),
        format!("/api/extras/object-changes/?changed_object_id={id}"),
    ] {
        let res = api.get(&path);
        assert_eq!(res.status, 200, "{path}: {}", res.body);
        assert!(!shows_a_hash(&res.body), "{path}: {}", res.body);
    }
    // No filtering or sorting on the hash either.
    assert_eq!(api.get("/api/users/users/?password=x").status, 400);
    assert_eq!(api.get("/api/users/users/?sort=password").status, 400);

    // A new password replaces the old; a change without one keeps it.
    let path = format!("/api/users/users/{id}/");
    let res = api.send_json("PATCH", &path, &json!({"password": "new-pw"}));
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(!shows_a_hash(&res.body));
    assert_eq!(server.client().login("dave", "dave-pw").status, 200);
    assert_eq!(server.client().login("dave", "new-pw").status, 302);
    let res = api.send_json("PATCH", &path, &json!({"first_name": "Dave"}));
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(server.client().login("dave", "new-pw").status, 302);

    // A user created without a password cannot log in with any.
    let res = api.send_json("POST", "/api/users/users/", &json!({"username": "nopw"}));
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(server.client().login("nopw", "").status, 200);
    // Bad usernames and e-mail addresses are refused with Django's messages.
    let res = api.send_json(
        "POST",
        "/api/users/users/",
        &json!({"username": "has space", "email": "nope"}),
    );
    assert_eq!(res.status, 400);
    assert!(res.json()["username"].is_array() && res.json()["email"].is_array());
    let res = api.send_json("POST", "/api/users/users/", &json!({"username": "dave"}));
    assert_eq!(res.status, 400, "{}", res.body);
}

fn token_keys_are_shown_once(backend: Backend) {
    let (_root, server) = start(backend);
    let api = api(&server);
    let res = api.send_json(
        "POST",
        "/api/users/tokens/",
        &json!({"description": "automation", "write_enabled": false}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(
        res.header("cache-control"),
        Some("no-store"),
        "the answer showing a key is never cached"
    );
    let body = res.json();
    let key = body["key"].as_str().expect("the key, once").to_string();
    assert_eq!(key.len(), 40);
    assert_eq!(body["user"]["object_type"], "users.user");
    let id = body["id"].as_str().unwrap().to_string();
    for path in [
        format!("/api/users/tokens/{id}/"),
        "/api/users/tokens/".to_string(),
        format!("/api/extras/object-changes/?changed_object_id={id}"),
    ] {
        let res = api.get(&path);
        assert_eq!(res.status, 200);
        assert!(!res.body.contains(&key), "{path}: {}", res.body);
    }
    let detail = api.get(&format!("/api/users/tokens/{id}/")).json();
    assert!(detail.get("key").is_none());
    assert_eq!(detail["write_enabled"], false);

    // The new key works, read-only as asked.
    let new = server.client().with_token(&key);
    assert_eq!(new.get("/api/users/users/").status, 200);
    let res = new.send_json("POST", "/api/users/groups/", &json!({"name": "x"}));
    assert_eq!(res.status, 403);
    // A key may be given; a malformed one is refused.
    let res = api.send_json(
        "POST",
        "/api/users/tokens/",
        &json!({"key": "abc", "description": "short"}),
    );
    assert_eq!(res.status, 400);
    assert!(res.json()["key"].is_array());
    // Deleted, it stops working.
    assert_eq!(
        api.request("DELETE", &format!("/api/users/tokens/{id}/"), &[], None)
            .status,
        204
    );
    assert_eq!(new.get("/api/users/users/").status, 403);
}

fn users_see_only_their_own_tokens(backend: Backend) {
    let (root, server) = start(backend);
    root.run(&[
        "createuser",
        "--username",
        "erin",
        "--password",
        "erin-pw",
        "--permission",
        "users.view_token",
        "--permission",
        "users.add_token",
        "--permission",
        "users.change_token",
        "--permission",
        "users.delete_token",
        "--token",
        "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1",
    ])
    .success();
    let admin = api(&server);
    let erin = server
        .client()
        .with_token("e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1");
    let all = admin.get("/api/users/tokens/").json();
    assert_eq!(all["count"], 3, "admin's, carol's and erin's");
    let mine = erin.get("/api/users/tokens/").json();
    assert_eq!(mine["count"], 1, "{mine}");
    let erin_id = mine["results"][0]["user"]["id"].clone();
    let admins: Vec<&Value> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["user"]["id"] != erin_id)
        .collect();
    let other = admins[0]["id"].as_str().unwrap();
    assert_eq!(erin.get(&format!("/api/users/tokens/{other}/")).status, 404);
    let path = format!("/api/users/tokens/{other}/");
    let res = erin.send_json("PATCH", &path, &json!({"description": "mine now"}));
    assert_eq!(res.status, 404);
    assert_eq!(erin.request("DELETE", &path, &[], None).status, 404);

    // A new token is hers; one for someone else is refused.
    let res = erin.send_json("POST", "/api/users/tokens/", &json!({"description": "ci"}));
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.json()["user"]["id"], erin_id);
    let admin_id = admin.get("/api/users/users/?username=admin").json()["results"][0]["id"].clone();
    let res = erin.send_json(
        "POST",
        "/api/users/tokens/",
        &json!({"description": "theirs", "user": admin_id}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(erin.get("/api/users/tokens/").json()["count"], 2);
}

fn others_need_object_permissions(backend: Backend) {
    let (_root, server) = start(backend);
    let carol = server.client().with_token(CAROL_TOKEN);
    for path in [
        "/api/users/users/",
        "/api/users/groups/",
        "/api/users/tokens/",
        "/api/users/permissions/",
    ] {
        assert_eq!(carol.get(path).status, 403, "{path}");
    }
    let res = carol.send_json(
        "POST",
        "/api/users/users/",
        &json!({"username": "mallory", "password": "x", "is_superuser": true}),
    );
    assert_eq!(res.status, 403);
    assert_eq!(server.client().get("/api/users/users/").status, 403);
    // The app root lists the four endpoints.
    let root = api(&server).get("/api/users/").json();
    for name in ["users", "groups", "tokens", "permissions"] {
        assert!(root[name].as_str().is_some(), "{root}");
    }
}

fn groups_and_permissions_grant_what_they_list(backend: Backend) {
    let (_root, server) = start(backend);
    let api = api(&server);
    let carol = server.client().with_token(CAROL_TOKEN);
    let group = api
        .send_json("POST", "/api/users/groups/", &json!({"name": "editors"}))
        .json();
    let carol_id = api.get("/api/users/users/?username=carol").json()["results"][0]["id"].clone();
    let res = api.send_json(
        "PATCH",
        &format!("/api/users/users/{}/", carol_id.as_str().unwrap()),
        &json!({"groups": [group["id"]]}),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["groups"][0]["id"], group["id"]);
    let res = api.send_json(
        "POST",
        "/api/users/permissions/",
        &json!({
            "name": "user editors",
            "object_types": ["users.user"],
            "actions": ["view", "change"],
            "groups": [group["id"]],
        }),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let permission = res.json();
    assert_eq!(permission["enabled"], true);
    assert_eq!(permission["groups"][0]["id"], group["id"]);
    assert_eq!(permission["users"], json!([]));
    assert_eq!(carol.get("/api/users/users/").status, 200);
    assert_eq!(carol.get("/api/users/groups/").status, 403);
    // Changing users does not let her make anyone a superuser.
    let path = format!("/api/users/users/{}/", carol_id.as_str().unwrap());
    let res = carol.send_json("PATCH", &path, &json!({"is_superuser": true}));
    assert_eq!(res.status, 400, "{}", res.body);
    let res = carol.send_json("PATCH", &path, &json!({"first_name": "Carol"}));
    assert_eq!(res.status, 200, "{}", res.body);
    // Unknown object types are refused.
    let res = api.send_json(
        "POST",
        "/api/users/permissions/",
        &json!({"name": "odd", "object_types": ["nope.nothing"], "actions": ["view"]}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    // Disabling the permission takes it away.
    let res = api.send_json(
        "PATCH",
        &format!(
            "/api/users/permissions/{}/",
            permission["id"].as_str().unwrap()
        ),
        &json!({"enabled": false}),
    );
    assert_eq!(res.status, 200);
    assert_eq!(carol.get("/api/users/users/").status, 403);
}

fn user_id(api: &Client, username: &str) -> String {
    api.get(&format!("/api/users/users/?username={username}"))
        .json()["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn superusers_accounts_are_superusers_alone(backend: Backend) {
    let (root, server) = start(backend);
    root.run(&["createuser", "--username", "dave", "--password", "dave-pw"])
        .success();
    let api = api(&server);
    let carol = server.client().with_token(CAROL_TOKEN);
    let group = api
        .send_json("POST", "/api/users/groups/", &json!({"name": "admins"}))
        .json();
    let carol_id = user_id(&api, "carol");
    let res = api.send_json(
        "POST",
        "/api/users/permissions/",
        &json!({"name": "user admin", "object_types": ["users.user"],
                "actions": ["view", "change", "delete"], "users": [carol_id]}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let admin_path = format!("/api/users/users/{}/", user_id(&api, "admin"));
    for change in [
        json!({"password": "stolen"}),
        json!({"is_active": false}),
        json!({"groups": [group["id"]]}),
        json!({"email": "carol@example.com"}),
    ] {
        let res = carol.send_json("PATCH", &admin_path, &change);
        assert_eq!(res.status, 403, "{change}: {}", res.body);
    }
    let res = carol.request("DELETE", &admin_path, &[], None);
    assert_eq!(res.status, 403, "{}", res.body);
    let admin = api.get(&admin_path).json();
    assert_eq!(admin["is_active"], true);
    assert_eq!(admin["groups"], json!([]));
    assert_eq!(
        server.client().login("admin", "stolen").status,
        200,
        "the old password stays"
    );
    assert_eq!(server.client().login("admin", "admin").status, 302);
    // Nor does she join a group herself.
    let res = carol.send_json(
        "PATCH",
        &format!("/api/users/users/{carol_id}/"),
        &json!({"groups": [group["id"]]}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(res.body.contains("groups"), "{}", res.body);
    // Other users are hers to manage.
    let dave_path = format!("/api/users/users/{}/", user_id(&api, "dave"));
    let res = carol.send_json(
        "PATCH",
        &dave_path,
        &json!({"password": "new-dave-pw", "groups": [group["id"]]}),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(server.client().login("dave", "new-dave-pw").status, 302);
    // createsuperuser checks the email as the API does.
    let out = root.run(&[
        "createsuperuser",
        "--username",
        "eve",
        "--email",
        "not an email",
        "--password",
        "pw",
    ]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("email"), "{}", out.stderr);
    assert_eq!(api.get("/api/users/users/?username=eve").json()["count"], 0);
}

/// Whether `client`'s session is still logged in.
fn logged_in(client: &Client) -> bool {
    client.get("/").status == 200
}

fn a_new_password_ends_the_other_sessions(backend: Backend) {
    let (root, server) = start(backend);
    root.run(&[
        "createuser",
        "--username",
        "dave",
        "--password",
        "dave-pw",
        "--token",
        DAVE_TOKEN,
    ])
    .success();
    let api = api(&server);
    let dave_id = user_id(&api, "dave");
    let dave_path = format!("/api/users/users/{dave_id}/");
    // Dave may change himself only (`$user`).
    let res = api.send_json(
        "POST",
        "/api/users/permissions/",
        &json!({"name": "self", "object_types": ["users.user"], "actions": ["view", "change"],
                "constraints": {"id": "$user"}, "users": [dave_id]}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let first = server.login("dave", "dave-pw");
    let second = server.login("dave", "dave-pw");
    assert!(logged_in(&first) && logged_in(&second));
    // An administrator sets a new password: every session of his ends; tokens stay.
    let res = api.send_json("PATCH", &dave_path, &json!({"password": "pw-2"}));
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(!logged_in(&first) && !logged_in(&second));
    let token = server.client().with_token(DAVE_TOKEN);
    assert_eq!(token.get(&dave_path).status, 200);
    // He changes it himself from one session: that one stays, the other ends.
    let mine = server.login("dave", "pw-2");
    let other = server.login("dave", "pw-2");
    let csrf = mine.cookie("csrftoken").unwrap();
    let res = mine.request(
        "PATCH",
        &dave_path,
        &[
            ("Content-Type", "application/json"),
            ("X-CSRFToken", csrf.as_str()),
        ],
        Some(&json!({"password": "pw-3"}).to_string()),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(logged_in(&mine), "the session that changed it stays");
    assert!(!logged_in(&other), "his other session ended");
    // He may not change anyone else.
    let res = token.send_json(
        "PATCH",
        &format!("/api/users/users/{}/", user_id(&api, "carol")),
        &json!({"first_name": "C"}),
    );
    assert_eq!(res.status, 404, "{}", res.body);
}
