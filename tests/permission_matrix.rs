//! Every route against every kind of requester, generated from the server's own route
//! table (`nautobot-server show-urls --json`), so that a new route — core or plugin, UI
//! or API, any method — is covered without anyone writing a test for it.
//!
//! Requesters: an anonymous visitor, a logged-in user without permissions, a user
//! holding exactly the permissions the route declares (granted through one object
//! permission rewritten as the matrix goes), a superuser, and a superuser's read-only
//! API token. Each request names an object that does not exist, so a requester who may
//! use the route gets a 404 or a validation error — never 403, a login redirect or a
//! 5xx — and nothing is changed. Runs on SQLite and on PostgreSQL.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use support::{both_backends, Backend, Client, Response, Root, Server, ADMIN_TOKEN};

both_backends!(every_route_answers_every_requester_as_its_access_says);

/// An id no object has.
const MISSING: &str = "00000000-0000-4000-8000-00000000abcd";
const HOLDER_TOKEN: &str = "4444444444444444444444444444444444444444";
const READ_ONLY_TOKEN: &str = "3333333333333333333333333333333333333333";
const PLUGINS: &[&str] = &["example_plugin", "device_lifecycle", "lifecycle_reports"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    WithoutPermission,
    WithPermission,
    Superuser,
    ReadOnlyToken,
}

/// One method of one route, as the table has it.
#[derive(Debug, Clone)]
struct Entry {
    path: String,
    owner: String,
    method: String,
    access: Value,
}

fn table(root: &Root) -> Vec<Entry> {
    let out = root.run(&["show-urls", "--json"]).success();
    let routes: Value = serde_json::from_str(&out.stdout).expect("show-urls --json");
    let mut entries = Vec::new();
    for route in routes.as_array().expect("a list of routes") {
        for method in route["methods"].as_array().expect("methods") {
            entries.push(Entry {
                path: route["path"].as_str().unwrap().to_string(),
                owner: route["owner"].as_str().unwrap().to_string(),
                method: method["method"].as_str().unwrap().to_string(),
                access: method["access"].clone(),
            });
        }
    }
    // Logging out ends the session the rest of the matrix uses: last.
    entries.sort_by_key(|e| e.path == "/logout/");
    entries
}

/// The path with its parameters filled: ids that name nothing, the example plugin.
fn concrete(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        let name = &rest[start + 1..end - 1];
        out.push_str(match name.split(':').next().unwrap_or_default() {
            "name" => "example_plugin",
            "tail" => "user/",
            "file" => "missing.css",
            _ => MISSING,
        });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn is_unsafe(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// The permissions an access names (empty for public, login and staff).
fn permissions(access: &Value) -> Vec<String> {
    match access["kind"].as_str() {
        Some("permission") => vec![access["value"].as_str().unwrap().to_string()],
        Some("permissions") => access["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether `role` may use a route with `access` (on the API when `api`).
fn allowed(role: Role, access: &Value, method: &str) -> bool {
    let kind = access["kind"].as_str().unwrap();
    match role {
        Role::Anonymous => kind == "public",
        Role::WithoutPermission => matches!(kind, "public" | "login"),
        Role::WithPermission => kind != "staff",
        Role::Superuser => true,
        Role::ReadOnlyToken => !is_unsafe(method),
    }
}

/// Sets the one object permission the permission holder has to exactly `perms`.
fn grant(admin: &Client, permission_id: &str, perms: &[String]) {
    let mut object_types = Vec::new();
    let mut actions = Vec::new();
    for perm in perms {
        let (app, rest) = perm.split_once('.').expect("app_label.action_model");
        let (action, model) = rest.split_once('_').expect("action_model");
        let object_type = format!("{app}.{model}");
        if !object_types.contains(&object_type) {
            object_types.push(object_type);
        }
        if !actions.contains(&action.to_string()) {
            actions.push(action.to_string());
        }
    }
    let res = admin.send_json(
        "PATCH",
        &format!("/api/users/permissions/{permission_id}/"),
        &json!({"object_types": object_types, "actions": actions}),
    );
    assert_eq!(res.status, 200, "granting {perms:?}: {}", res.body);
}

fn send(client: &Client, entry: &Entry, role: Role) -> Response {
    let path = concrete(&entry.path);
    let api = path.starts_with("/api/");
    let csrf = client.cookie("csrftoken").unwrap_or_default();
    if !is_unsafe(&entry.method) {
        return client.request(&entry.method, &path, &[], None);
    }
    if api {
        let mut headers = vec![("Content-Type", "application/json")];
        if role != Role::ReadOnlyToken {
            headers.push(("X-CSRFToken", csrf.as_str()));
        }
        client.request(&entry.method, &path, &headers, Some("{}"))
    } else {
        let body = format!("csrfmiddlewaretoken={csrf}");
        client.request(
            &entry.method,
            &path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(&body),
        )
    }
}

/// Whether the answer refuses the requester (403, 401 or a redirect to the login page).
fn refused(res: &Response) -> bool {
    res.status == 403
        || res.status == 401
        || (res.status == 302
            && res
                .header("location")
                .is_some_and(|l| l.starts_with("/login/")))
}

fn logged_in(server: &Server, username: &str, password: &str) -> Client {
    let client = server.client();
    let res = client.login(username, password);
    assert_eq!(res.status, 302, "{username} logs in: {}", res.body);
    client
}

fn every_route_answers_every_requester_as_its_access_says(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(PLUGINS);
    root.install();
    for (user, token) in [("holder", Some(HOLDER_TOKEN)), ("nobody", None)] {
        let mut args = vec!["createuser", "--username", user, "--password", "pw"];
        if let Some(token) = token {
            args.extend(["--token", token]);
        }
        root.run(&args).success();
    }
    let entries = table(&root);
    let server = root.start();
    let admin_api = server.client().with_token(ADMIN_TOKEN);

    // The holder's one permission, rewritten for each route; the read-only token.
    let holder =
        admin_api.get("/api/users/users/?username=holder").json()["results"][0]["id"].clone();
    let res = admin_api.send_json(
        "POST",
        "/api/users/permissions/",
        &json!({"name": "matrix", "object_types": ["dcim.location"], "actions": ["view"],
                "users": [holder]}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let permission_id = res.json()["id"].as_str().unwrap().to_string();
    let admin_id =
        admin_api.get("/api/users/users/?username=admin").json()["results"][0]["id"].clone();
    let res = admin_api.send_json(
        "POST",
        "/api/users/tokens/",
        &json!({"user": admin_id, "key": READ_ONLY_TOKEN, "write_enabled": false}),
    );
    assert_eq!(res.status, 201, "{}", res.body);

    let anonymous = server.client();
    anonymous.get("/login/");
    let clients: Vec<(Role, Client)> = vec![
        (Role::Anonymous, anonymous),
        (Role::WithoutPermission, logged_in(&server, "nobody", "pw")),
        (Role::WithPermission, logged_in(&server, "holder", "pw")),
        (Role::Superuser, logged_in(&server, "admin", "admin")),
        (
            Role::ReadOnlyToken,
            server.client().with_token(READ_ONLY_TOKEN),
        ),
    ];

    // Plugin routes are in the table, and nothing is left out of the server: a route
    // without parameters is never "not found" for a superuser.
    let owners: std::collections::BTreeSet<&str> =
        entries.iter().map(|e| e.owner.as_str()).collect();
    for plugin in PLUGINS {
        assert!(owners.contains(plugin), "{plugin} has routes: {owners:?}");
    }

    let mut failures = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut granted: Option<Vec<String>> = None;
    for entry in &entries {
        let perms = permissions(&entry.access);
        for (role, client) in &clients {
            let api = entry.path.starts_with("/api/");
            if *role == Role::ReadOnlyToken && !api {
                continue; // tokens are for the API
            }
            if *role == Role::WithPermission
                && !perms.is_empty()
                && granted.as_ref() != Some(&perms)
            {
                grant(&admin_api, &permission_id, &perms);
                granted = Some(perms.clone());
            }
            let res = send(client, entry, *role);
            *counts.entry("requests").or_default() += 1;
            let what = format!(
                "{:?} {} {} ({}): {} {}",
                role,
                entry.method,
                entry.path,
                entry.access,
                res.status,
                res.body.chars().take(160).collect::<String>()
            );
            if res.status >= 500 {
                failures.push(format!("server error: {what}"));
                continue;
            }
            if entry.path == "/logout/" {
                // Everyone may log out; the answer is the login page.
                if res.status != 302 || res.header("location") != Some("/login/") {
                    failures.push(format!("logout: {what}"));
                }
                continue;
            }
            // A plugin view without declared permissions needs a login from the host
            // and may refuse further on its own (the example's summary checks the
            // model's permissions).
            let plugin_decides = entry.owner != "core"
                && entry.access["kind"] == "login"
                && *role != Role::Anonymous;
            let expected = allowed(*role, &entry.access, &entry.method);
            if plugin_decides && refused(&res) && res.status == 403 {
                *counts.entry("refused by the plugin itself").or_default() += 1;
            } else if expected && refused(&res) {
                failures.push(format!("refused but allowed: {what}"));
            } else if !expected && !refused(&res) {
                failures.push(format!("allowed but should be refused: {what}"));
            } else if !expected && *role == Role::Anonymous && api && res.status != 403 {
                failures.push(format!("anonymous API call not 403: {what}"));
            } else if !expected
                && *role == Role::ReadOnlyToken
                && !res
                    .body
                    .contains("This token does not have write permissions.")
            {
                failures.push(format!(
                    "read-only token refused for another reason: {what}"
                ));
            }
            if *role == Role::Superuser
                && !entry.path.contains('{')
                && entry.method == "GET"
                && res.status == 404
            {
                failures.push(format!("in the table but not served: {what}"));
            }
        }
    }
    println!(
        "permission matrix: {} routes/methods, {counts:?}",
        entries.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} answers break the matrix:\n{}",
        failures.len(),
        counts["requests"],
        failures.join("\n")
    );
}
