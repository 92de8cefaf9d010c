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
//!
//! Then a constrained user, per model of the table (core and plugins, with the small
//! sample network loaded): granted view, change and delete on one object only
//! (`{"id": …}`), it lists, counts, reads, exports and selects exactly that object on
//! every REST and UI route, and every read or write of another answers 404 and changes
//! nothing.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use support::{both_backends, Backend, Client, Response, Root, Server, ADMIN_TOKEN};

both_backends!(
    every_route_answers_every_requester_as_its_access_says,
    a_constrained_user_reaches_exactly_its_slice_of_every_model,
    constraints_follow_relations_and_bound_every_write
);

/// An id no object has.
const MISSING: &str = "00000000-0000-4000-8000-00000000abcd";
const HOLDER_TOKEN: &str = "4444444444444444444444444444444444444444";
const READ_ONLY_TOKEN: &str = "3333333333333333333333333333333333333333";
const SCOPED_TOKEN: &str = "5555555555555555555555555555555555555555";
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

/// A model as the route table serves it: its label, REST list path and UI list path.
#[derive(Debug)]
struct Served {
    label: String,
    api: String,
    ui: Option<String>,
    /// The methods its REST list route takes.
    list_methods: Vec<String>,
    /// The methods its REST detail route takes.
    detail_methods: Vec<String>,
    /// The methods its UI routes take, by path.
    ui_routes: BTreeMap<String, Vec<String>>,
}

/// Every model with a REST list route (`GET /api/…/`, needing `<app>.view_<model>`).
fn served_models(entries: &[Entry]) -> Vec<Served> {
    let mut out = Vec::new();
    for e in entries {
        let Some(perm) = e.access["value"].as_str() else {
            continue;
        };
        if e.method != "GET"
            || e.access["kind"] != "permission"
            || !e.path.starts_with("/api/")
            || e.path.contains('{')
        {
            continue;
        }
        let Some((app, rest)) = perm.split_once('.') else {
            continue;
        };
        let Some(model) = rest.strip_prefix("view_") else {
            continue;
        };
        let detail = format!("{}{{id}}/", e.path);
        let detail_methods: Vec<String> = entries
            .iter()
            .filter(|d| d.path == detail)
            .map(|d| d.method.clone())
            .collect();
        if detail_methods.is_empty() {
            continue; // not a model's list
        }
        let ui = entries
            .iter()
            .find(|u| {
                u.method == "GET"
                    && !u.path.starts_with("/api/")
                    && !u.path.contains('{')
                    && u.access == e.access
                    && entries
                        .iter()
                        .any(|d| d.path == format!("{}{{id}}/", u.path))
            })
            .map(|u| u.path.clone());
        let mut ui_routes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if let Some(ui) = &ui {
            for u in entries.iter().filter(|u| u.path.starts_with(ui.as_str())) {
                ui_routes
                    .entry(u.path.clone())
                    .or_default()
                    .push(u.method.clone());
            }
        }
        out.push(Served {
            label: format!("{app}.{model}"),
            api: e.path.clone(),
            ui,
            list_methods: entries
                .iter()
                .filter(|l| l.path == e.path)
                .map(|l| l.method.clone())
                .collect(),
            detail_methods,
            ui_routes,
        });
    }
    out
}

/// A root with the plugins and the small sample network, and a user `scoped` (password
/// `pw`, token [`SCOPED_TOKEN`]) without permissions yet.
fn sample_root_with_scoped_user(backend: Backend) -> Root {
    let mut root = Root::new(backend);
    root.plugins(PLUGINS);
    root.install();
    root.run(&["load-sample-data", "--scale", "small"])
        .success();
    root.run(&[
        "createuser",
        "--username",
        "scoped",
        "--password",
        "pw",
        "--token",
        SCOPED_TOKEN,
    ])
    .success();
    root
}

fn a_constrained_user_reaches_exactly_its_slice_of_every_model(backend: Backend) {
    let root = sample_root_with_scoped_user(backend);
    let entries = table(&root);
    let models = served_models(&entries);
    let server = root.start();
    let admin = server.client().with_token(ADMIN_TOKEN);
    let admin_ui = logged_in(&server, "admin", "admin");
    let api = server.client().with_token(SCOPED_TOKEN);
    let ui = logged_in(&server, "scoped", "pw");
    let scoped_id =
        admin.get("/api/users/users/?username=scoped").json()["results"][0]["id"].clone();
    let res = admin.send_json(
        "POST",
        "/api/users/permissions/",
        &json!({"name": "slice", "object_types": ["dcim.location"], "actions": ["view"],
                "users": [scoped_id]}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let permission = format!(
        "/api/users/permissions/{}/",
        res.json()["id"].as_str().unwrap()
    );

    let mut failures: Vec<String> = Vec::new();
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    for m in &models {
        // Tokens are their owner's whatever the grant (tested in users_api).
        if m.label == "users.token" {
            continue;
        }
        let all = admin.get(&format!("{}?limit=2", m.api));
        let ids: Vec<String> = all.json()["results"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|o| o["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let [inside, outside] = ids.as_slice() else {
            skipped.push(m.label.clone());
            continue;
        };
        let res = admin.send_json(
            "PATCH",
            &permission,
            &json!({"object_types": [m.label], "actions": ["view", "change", "delete"],
                    "constraints": {"id": inside}}),
        );
        assert_eq!(res.status, 200, "granting {}: {}", m.label, res.body);
        checked.push(m.label.clone());
        let mut expect = |what: &str, ok: bool, res: &Response| {
            if !ok {
                failures.push(format!(
                    "{} {what}: {} {}",
                    m.label,
                    res.status,
                    res.body.chars().take(200).collect::<String>()
                ));
            }
        };
        // REST: the list, its count, its filters and depth; the detail.
        for query in [
            "",
            "?depth=1",
            "?limit=1000",
            &format!("?id={inside}&id={outside}"),
        ] {
            let res = api.get(&format!("{}{query}", m.api));
            let body = res.json();
            let listed: Vec<&str> = body["results"]
                .as_array()
                .map(|r| r.iter().filter_map(|o| o["id"].as_str()).collect())
                .unwrap_or_default();
            expect(
                &format!("REST list{query} holds exactly the granted object"),
                res.status == 200 && body["count"] == 1 && listed == [inside.as_str()],
                &res,
            );
        }
        let res = api.get(&format!("{}?id={outside}", m.api));
        expect(
            "REST filter to another counts 0",
            res.json()["count"] == 0,
            &res,
        );
        let res = api.get(&format!("{}{inside}/", m.api));
        expect("REST detail of the granted object", res.status == 200, &res);
        let res = api.get(&format!("{}{outside}/", m.api));
        expect("REST detail of another is 404", res.status == 404, &res);
        let res = api.get(&format!("{}{outside}/?depth=1", m.api));
        expect(
            "REST detail (depth 1) of another is 404",
            res.status == 404,
            &res,
        );
        // REST writes of another: 404, nothing changed.
        let before = admin.get(&format!("{}{outside}/", m.api)).body;
        let methods = &m.detail_methods;
        if methods.iter().any(|x| x == "PATCH") {
            let res = api.send_json("PATCH", &format!("{}{outside}/", m.api), &json!({}));
            expect("REST PATCH of another is 404", res.status == 404, &res);
        }
        if m.list_methods.iter().any(|x| x == "PATCH") {
            let res = api.send_json("PATCH", &m.api, &json!([{"id": outside}]));
            expect("REST bulk PATCH of another is 404", res.status == 404, &res);
        }
        if methods.iter().any(|x| x == "DELETE") {
            let res = api.request("DELETE", &format!("{}{outside}/", m.api), &[], None);
            expect("REST DELETE of another is 404", res.status == 404, &res);
        }
        if m.list_methods.iter().any(|x| x == "DELETE") {
            let res = api.send_json("DELETE", &m.api, &json!([{"id": outside}]));
            expect(
                "REST bulk DELETE of another is 404",
                res.status == 404,
                &res,
            );
        }
        // The UI: list, detail, edit, delete, bulk actions, export.
        if let Some(path) = &m.ui {
            let res = ui.get(&format!("{path}?per_page=1000"));
            // A row is its selection box; lists without bulk actions (read-only
            // models) mark a row by the link to its object.
            let selectable = res.body.contains("name=\"pk\"");
            let row = |id: &str| {
                if selectable {
                    format!("name=\"pk\" value=\"{id}\"")
                } else {
                    format!("\"{path}{id}/")
                }
            };
            expect(
                "UI list shows exactly the granted object",
                res.status == 200
                    && res.body.contains(&row(inside))
                    && !res.body.contains(&row(outside)),
                &res,
            );
            let res = ui.get(&format!("{path}{inside}/"));
            expect("UI detail of the granted object", res.status == 200, &res);
            let res = ui.get(&format!("{path}{outside}/"));
            expect("UI detail of another is 404", res.status == 404, &res);
            for (tail, action) in [("edit/", "edit"), ("delete/", "delete")] {
                let pattern = format!("{path}{{id}}/{tail}");
                if m.ui_routes
                    .get(&pattern)
                    .is_some_and(|ms| ms.iter().any(|x| x == "GET"))
                {
                    let res = ui.get(&format!("{path}{outside}/{tail}"));
                    expect(
                        &format!("UI {action} of another is 404"),
                        res.status == 404,
                        &res,
                    );
                }
            }
            let export = ui.get(&format!("{path}?export=csv"));
            let expected = admin_ui.get(&format!("{path}?export=csv&id={inside}"));
            if expected
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/csv"))
            {
                expect(
                    "UI CSV export holds exactly the granted object",
                    export.status == 200 && export.body == expected.body,
                    &export,
                );
            }
            let csrf = ui.cookie("csrftoken").unwrap_or_default();
            for (tail, confirm) in [("delete/", "_confirm"), ("edit/", "_apply")] {
                if m.ui_routes
                    .get(&format!("{path}{tail}"))
                    .is_some_and(|ms| ms.iter().any(|x| x == "POST"))
                {
                    let res = ui.post_form(
                        &format!("{path}{tail}"),
                        &[
                            ("csrfmiddlewaretoken", &csrf),
                            ("pk", outside),
                            (confirm, "1"),
                        ],
                    );
                    expect(
                        &format!("UI bulk {tail} of another selects nothing"),
                        res.status == 302,
                        &res,
                    );
                }
            }
        }
        let after = admin.get(&format!("{}{outside}/", m.api));
        expect(
            "another object is unchanged",
            after.status == 200 && after.body == before,
            &after,
        );
    }
    println!(
        "constrained user: {} models checked, {} skipped (fewer than two objects): {skipped:?}",
        checked.len(),
        skipped.len()
    );
    for must in [
        "dcim.location",
        "dcim.device",
        "ipam.ipaddress",
        "extras.objectchange",
        "users.user",
    ] {
        assert!(
            checked.iter().any(|c| c == must),
            "{must} was not checked: {checked:?}"
        );
    }
    assert!(
        checked.iter().any(|c| c.starts_with("example_plugin.")),
        "a plugin model was checked: {checked:?}"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Grants `actions` on `object_type` to `user` with `constraints`; the permission's id.
fn grant_constrained(
    admin: &Client,
    name: &str,
    object_type: &str,
    actions: &[&str],
    constraints: Value,
    user: &Value,
) -> String {
    let res = admin.send_json(
        "POST",
        "/api/users/permissions/",
        &json!({"name": name, "object_types": [object_type], "actions": actions,
                "constraints": constraints, "users": [user]}),
    );
    assert_eq!(res.status, 201, "{name}: {}", res.body);
    res.json()["id"].as_str().unwrap().to_string()
}

fn constraints_follow_relations_and_bound_every_write(backend: Backend) {
    let root = sample_root_with_scoped_user(backend);
    let server = root.start();
    let admin = server.client().with_token(ADMIN_TOKEN);
    let api = server.client().with_token(SCOPED_TOKEN);
    let scoped = admin.get("/api/users/users/?username=scoped").json()["results"][0]["id"].clone();

    // A device, its location A, and another location B.
    let device = admin.get("/api/dcim/devices/?limit=1").json()["results"][0].clone();
    let a_id = device["location"]["id"].as_str().unwrap().to_string();
    let a = admin.get(&format!("/api/dcim/locations/{a_id}/")).json();
    let a_name = a["name"].as_str().unwrap().to_string();
    let b = admin.get("/api/dcim/locations/?limit=50").json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] != a["id"])
        .cloned()
        .unwrap();
    let device_url = format!("/api/dcim/devices/{}/", device["id"].as_str().unwrap());

    // Constraints are checked when saved.
    let res = admin.send_json(
        "POST",
        "/api/users/permissions/",
        &json!({"name": "bad", "object_types": ["dcim.location"], "actions": ["view"],
                "constraints": {"nope": 1}}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(
        res.json()["constraints"][0]
            .as_str()
            .unwrap()
            .contains("nope"),
        "{}",
        res.body
    );
    let res = admin.send_json(
        "POST",
        "/api/users/permissions/",
        &json!({"name": "bad2", "object_types": ["dcim.device"], "actions": ["view"],
                "constraints": [{"location__nope__name": "x"}]}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(
        admin.get("/api/users/permissions/?name=bad").json()["count"],
        0
    );

    grant_constrained(
        &admin,
        "team locations",
        "dcim.location",
        &["view", "add", "change", "delete"],
        json!({"name": a_name}),
        &scoped,
    );
    grant_constrained(
        &admin,
        "team devices",
        "dcim.device",
        &["view", "change"],
        json!({"location__name": a_name}),
        &scoped,
    );
    grant_constrained(
        &admin,
        "own user",
        "users.user",
        &["view"],
        json!({"id": "$user"}),
        &scoped,
    );
    grant_constrained(
        &admin,
        "A models",
        "example_plugin.examplemodel",
        &["view", "add", "change", "delete"],
        json!([{"name__istartswith": "a"}, {"name__istartswith": "b"}]),
        &scoped,
    );

    // Reads follow the relation.
    let mine = api.get("/api/dcim/devices/?limit=1000").json();
    let theirs = admin
        .get(&format!("/api/dcim/devices/?location={a_id}&limit=1000"))
        .json();
    assert_eq!(mine["count"], theirs["count"]);
    assert!(mine["count"].as_u64().unwrap() >= 1);
    for d in mine["results"].as_array().unwrap() {
        assert_eq!(d["location"]["id"], a["id"], "{d}");
    }
    let locations = api.get("/api/dcim/locations/").json();
    assert_eq!(locations["count"], 1, "{locations}");
    let users = api.get("/api/users/users/").json();
    assert_eq!(users["count"], 1, "{users}");
    assert_eq!(users["results"][0]["username"], "scoped");

    // Writes may not leave the scope: moving a device out, renaming a location out,
    // creating outside — each 403, and nothing changed.
    let res = api.send_json("PATCH", &device_url, &json!({"location": b["id"]}));
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(admin.get(&device_url).json()["location"]["id"], a["id"]);
    let others: Vec<Value> = mine["results"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|d| json!({"id": d["id"], "location": b["id"]}))
        .collect();
    let res = api.send_json("PATCH", "/api/dcim/devices/", &Value::Array(others));
    assert_eq!(res.status, 403, "{}", res.body);
    let still = admin
        .get(&format!("/api/dcim/devices/?location={a_id}&limit=1000"))
        .json();
    assert_eq!(still["count"], theirs["count"]);
    let res = api.send_json(
        "PATCH",
        &format!("/api/dcim/locations/{a_id}/"),
        &json!({"name": format!("{a_name}-renamed")}),
    );
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(
        admin.get(&format!("/api/dcim/locations/{a_id}/")).json()["name"],
        a_name.as_str()
    );
    let res = api.send_json(
        "POST",
        "/api/dcim/locations/",
        &json!({"name": "Outside-new", "location_type": a["location_type"]["id"], "status": "Active"}),
    );
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(
        admin.get("/api/dcim/locations/?name=Outside-new").json()["count"],
        0
    );
    // A change that stays inside is fine.
    let res = api.send_json(
        "PATCH",
        &format!("/api/dcim/locations/{a_id}/"),
        &json!({"description": "ours"}),
    );
    assert_eq!(res.status, 200, "{}", res.body);

    // The UI's forms go through the same checks.
    let ui = logged_in(&server, "scoped", "pw");
    let csrf = ui.cookie("csrftoken").unwrap_or_default();
    let res = ui.post_form(
        &format!("/dcim/locations/{a_id}/edit/"),
        &[
            ("csrfmiddlewaretoken", csrf.as_str()),
            ("name", "Moved-away"),
            ("location_type", a["location_type"]["id"].as_str().unwrap()),
            ("status", a["status"]["id"].as_str().unwrap()),
        ],
    );
    assert_ne!(res.status, 302, "the edit was refused: {}", res.body);
    assert_eq!(
        admin.get(&format!("/api/dcim/locations/{a_id}/")).json()["name"],
        a_name.as_str()
    );
    let res = ui.get(&format!("/dcim/locations/{}/", b["id"].as_str().unwrap()));
    assert_eq!(res.status, 404);

    // A plugin's host reads and writes act for the user, within the same constraints.
    let all = admin
        .get("/api/plugins/example-plugin/example-models/?limit=1000")
        .json();
    let expected = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            let n = m["name"].as_str().unwrap().to_lowercase();
            n.starts_with('a') || n.starts_with('b')
        })
        .count();
    assert!(
        expected < all["count"].as_u64().unwrap() as usize,
        "the sample has models outside the grant"
    );
    let summary = api.get("/api/plugins/example-plugin/summary/").json();
    assert_eq!(summary["count"], expected, "{summary}");
    let res = api.send_json(
        "POST",
        "/api/plugins/example-plugin/summary/",
        &json!({"name": "Zed"}),
    );
    assert_ne!(res.status, 201, "{}", res.body);
    assert_eq!(
        admin
            .get("/api/plugins/example-plugin/example-models/?name=Zed")
            .json()["count"],
        0
    );
    let res = api.send_json(
        "POST",
        "/api/plugins/example-plugin/summary/",
        &json!({"name": "Ax"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.json()["fetched"], "Ax-2");
}
