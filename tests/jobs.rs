//! Jobs as registered at start-up: listed with their variables, disabled until enabled
//! (or enabled with `JOBS_AUTO_ENABLE`), marked not installed — never deleted — when
//! their plugin goes, and served read-only through the model layer (REST and UI). Each
//! test runs on SQLite and PostgreSQL.

use serde_json::Value;
use support::{both_backends, Backend, Root, ADMIN_TOKEN};

both_backends!(
    plugin_jobs_are_registered_disabled_with_their_variables,
    jobs_auto_enable_enables_new_jobs,
    jobs_of_a_removed_plugin_are_kept_as_not_installed,
);

fn jobs(root: &Root) -> Vec<Value> {
    let server = root.start();
    let list = server
        .client()
        .with_token(ADMIN_TOKEN)
        .get("/api/extras/jobs/?module_name=example_plugin")
        .json();
    list["results"].as_array().cloned().unwrap_or_default()
}

fn plugin_jobs_are_registered_disabled_with_their_variables(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let list = api
        .get("/api/extras/jobs/?module_name=example_plugin")
        .json();
    assert_eq!(list["count"], 6, "{list}");
    let results = list["results"].as_array().unwrap();
    let create = results
        .iter()
        .find(|j| j["job_class_name"] == "example_create_models")
        .expect("the create job");
    assert_eq!(create["name"], "Create Example Models");
    assert_eq!(create["grouping"], "Example Jobs");
    assert_eq!(create["enabled"], false);
    assert_eq!(create["installed"], true);
    assert_eq!(create["object_type"], "extras.job");
    let vars = create["variables"].as_array().unwrap();
    assert_eq!(vars[0]["name"], "prefix");
    assert_eq!(vars[0]["type"], "string");
    assert_eq!(vars[1]["name"], "count");
    assert_eq!(vars[1]["default"], 3);
    let every = results
        .iter()
        .find(|j| j["job_class_name"] == "example_every_variable")
        .unwrap();
    assert_eq!(every["dryrun_default"], true);
    // Read-only through the API; listed in the UI.
    let id = create["id"].as_str().unwrap();
    let res = api.send_json(
        "POST",
        "/api/extras/jobs/",
        &serde_json::json!({"name": "x"}),
    );
    assert_eq!(res.status, 405);
    assert_eq!(api.get(&format!("/api/extras/jobs/{id}/")).status, 200);
    let ui = server.client();
    assert_eq!(ui.login("admin", "admin").status, 302);
    let page = ui.get("/extras/jobs/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Create Example Models"));
    assert!(
        page.body.contains("href=\"/extras/jobs/\""),
        "the Jobs menu"
    );
    // Registering again (a restart) keeps one row per job.
    drop(server);
    assert_eq!(jobs(&root).len(), 6);
}

fn jobs_auto_enable_enables_new_jobs(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"])
        .set("JOBS_AUTO_ENABLE", "true");
    root.install();
    let all = jobs(&root);
    assert_eq!(all.len(), 6);
    assert!(all.iter().all(|j| j["enabled"] == true));
}

fn jobs_of_a_removed_plugin_are_kept_as_not_installed(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    assert!(jobs(&root).iter().all(|j| j["installed"] == true));
    root.plugins(&[]);
    let after = jobs(&root);
    assert_eq!(after.len(), 6, "kept");
    assert!(after.iter().all(|j| j["installed"] == false));
    // Back again: installed, and still disabled.
    root.plugins(&["example_plugin"]);
    let again = jobs(&root);
    assert!(again
        .iter()
        .all(|j| j["installed"] == true && j["enabled"] == false));
}
