//! The home page's plugin panels (`homepage_layout`): the example plugin's panel with
//! the count of its objects and working links, its item merged into the core
//! "Organization" panel, and items hidden from users without their permissions. Each
//! test runs on SQLite and on PostgreSQL. (A plugin whose home page item links nowhere
//! is refused at load: `tests/loading.rs`.)

use serde_json::{json, Value};
use support::{both_backends, Backend, Client, Response, Root, Server, ADMIN_TOKEN};

both_backends!(
    the_example_plugin_panel_counts_its_models_and_links_to_them,
    home_page_items_need_their_permissions,
);

fn start(backend: Backend) -> (Root, Server) {
    support::start(backend, &["example_plugin"])
}

fn post(client: &Client, path: &str, body: Value) {
    let res = client.send_json("POST", path, &body);
    assert_eq!(res.status, 201, "POST {path}: {}", res.body);
}

/// The names of the home page's panels, in page order.
fn panel_names(home: &Response) -> Vec<String> {
    home.body
        .split("data-panel=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// The HTML of the panel headed `name`, if the page shows it.
fn panel(home: &Response, name: &str) -> Option<String> {
    let at = home.body.find(&format!("data-panel=\"{name}\""))?;
    let rest = &home.body[at..];
    Some(rest[..rest.find("</table>")?].to_string())
}

/// The rows of a panel's HTML: `(data-model, link, label, count cell)` for each.
fn rows(panel: &str) -> Vec<(String, String, String, String)> {
    let between = |text: &str, start: &str, end: &str| -> String {
        text.split(start)
            .nth(1)
            .and_then(|r| r.split(end).next())
            .unwrap_or_default()
            .to_string()
    };
    panel
        .split("<tr")
        .skip(1)
        .map(|row| {
            (
                between(row, "data-model=\"", "\""),
                between(row, "<a href=\"", "\""),
                between(&between(row, "<a href=\"", "</a>"), "\">", "\n"),
                between(row, "<td class=\"count\">", "</td>"),
            )
        })
        .collect()
}

/// The part of the home page holding the panels.
fn panels_html(home: &Response) -> String {
    let at = home.body.find("id=\"home-panels\"").expect("the panels");
    let rest = &home.body[at..];
    rest[..rest.find("Installed plugins").expect("the plugins panel")].to_string()
}

fn row(panel: &str, label: &str) -> Option<(String, String, String, String)> {
    rows(panel).into_iter().find(|r| r.2 == label)
}

fn the_example_plugin_panel_counts_its_models_and_links_to_them(backend: Backend) {
    let (_root, server) = start(backend);
    let admin = server.login("admin", "admin");
    let home = admin.get("/");
    assert_eq!(home.status, 200);
    // The plugin's panel comes after the core panels.
    assert_eq!(
        panel_names(&home),
        ["Organization", "Devices", "IPAM", "Jobs", "Example Plugin"]
    );
    let example = panel(&home, "Example Plugin").expect("the example plugin's panel");
    let models = "/plugins/example-plugin/example-models/";
    assert_eq!(
        rows(&example),
        [
            (
                "example_plugin.examplemodel".to_string(),
                models.to_string(),
                "Example Models".to_string(),
                "0".to_string()
            ),
            (
                String::new(),
                "/plugins/example-plugin/protected/".to_string(),
                "Protected Page".to_string(),
                String::new()
            ),
        ]
    );
    assert!(example.contains(
        "<div class=\"muted home-item-description\">Examples with a unique name and a number</div>"
    ));
    assert!(example.contains("data-plugin=\"example_plugin\""));

    let api = server.client().with_token(ADMIN_TOKEN);
    post(
        &api,
        "/api/plugins/example-plugin/example-models/",
        json!([{"name": "one"}, {"name": "two"}, {"name": "three"}, {"name": "four"}]),
    );
    post(
        &api,
        "/api/plugins/example-plugin/another-example-models/",
        json!({"name": "elsewhere"}),
    );
    let home = admin.get("/");
    let example = panel(&home, "Example Plugin").expect("the example plugin's panel");
    let (_, link, _, count) = row(&example, "Example Models").expect("Example Models");
    assert_eq!(count, "4", "{example}");
    let list = admin.get(&link);
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Showing 1-4 of 4"), "{}", list.body);
    let (_, link, _, _) = row(&example, "Protected Page").expect("Protected Page");
    assert_eq!(admin.get(&link).status, 200);

    // The item merged into the core "Organization" panel, after the core items.
    let organization = panel(&home, "Organization").expect("the Organization panel");
    let merged = rows(&organization);
    let last = merged.last().expect("rows in Organization");
    assert_eq!(
        last,
        &(
            "example_plugin.anotherexamplemodel".to_string(),
            "/plugins/example-plugin/another-example-models/".to_string(),
            "Another Example Models".to_string(),
            "1".to_string()
        ),
        "{organization}"
    );
    assert_eq!(merged[0].0, "dcim.location");
    assert_eq!(
        merged.len(),
        6,
        "five core items and the plugin's: {organization}"
    );
    assert_eq!(admin.get(&last.1).status, 200);
    // Merged, not a second panel of the same name.
    assert_eq!(home.body.matches("data-panel=\"Organization\"").count(), 1);
}

fn home_page_items_need_their_permissions(backend: Backend) {
    let (root, server) = start(backend);
    for (user, permissions) in [
        ("alice", &[][..]),
        ("bob", &["example_plugin.view_examplemodel"][..]),
        (
            "carol",
            &[
                "example_plugin.view_anotherexamplemodel",
                "dcim.view_location",
            ][..],
        ),
    ] {
        let password = format!("{user}-pw");
        let mut args = vec![
            "createuser",
            "--username",
            user,
            "--password",
            password.as_str(),
        ];
        for permission in permissions {
            args.extend(["--permission", *permission]);
        }
        root.run(&args).success();
    }
    let api = server.client().with_token(ADMIN_TOKEN);
    post(
        &api,
        "/api/plugins/example-plugin/example-models/",
        json!([{"name": "one"}, {"name": "two"}]),
    );

    // No permission: no plugin item, so no plugin panel (and no core one either).
    let alice = server.login("alice", "alice-pw");
    let home = alice.get("/");
    assert_eq!(home.status, 200);
    assert!(panel_names(&home).is_empty(), "{:?}", panel_names(&home));
    assert!(
        !panels_html(&home).contains("example-plugin"),
        "{}",
        home.body
    );

    // May view example models: that item with its count, and the page needing the same
    // permission; not the model it may not view.
    let bob = server.login("bob", "bob-pw");
    let home = bob.get("/");
    assert_eq!(panel_names(&home), ["Example Plugin"]);
    let example = panel(&home, "Example Plugin").expect("the example plugin's panel");
    let labels: Vec<String> = rows(&example).into_iter().map(|r| r.2).collect();
    assert_eq!(labels, ["Example Models", "Protected Page"]);
    assert_eq!(row(&example, "Example Models").expect("row").3, "2");
    assert!(!panels_html(&home).contains("another-example-models"));

    // May view the other model and locations: the merged item in Organization, but
    // neither the example models nor the page that needs their view permission.
    let carol = server.login("carol", "carol-pw");
    let home = carol.get("/");
    assert_eq!(panel_names(&home), ["Organization"]);
    let organization = panel(&home, "Organization").expect("the Organization panel");
    let models: Vec<String> = rows(&organization).into_iter().map(|r| r.0).collect();
    assert_eq!(
        models,
        ["dcim.location", "example_plugin.anotherexamplemodel"]
    );
    let shown = panels_html(&home);
    assert!(!shown.contains("Protected Page"), "{shown}");
    assert!(!shown.contains("/example-models/"), "{shown}");
}
