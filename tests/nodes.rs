//! Several nodes on one PostgreSQL database, as users grow past one machine: two servers
//! and two workers, each with its own root and configuration. A session made on one
//! server is valid on the other; jobs queued through either run exactly once on some
//! worker; a node whose plugin set differs from the one the database was migrated with
//! refuses to start with one line saying what differs.

use std::time::Duration;

use serde_json::{json, Value};
use support::{Backend, Client, Root, ADMIN_TOKEN};

/// A node's root: the plugins, the shared database, the shared SECRET_KEY (the harness
/// gives every root the same one).
fn node(primary: &Root, plugins: &[&str]) -> Root {
    let mut root = Root::new(Backend::Postgres);
    root.plugins(plugins)
        .set("DATABASE_URL", &format!("{:?}", primary.database.url))
        .set("JOBS_AUTO_ENABLE", "true");
    root
}

fn job_id(api: &Client) -> String {
    api.get("/api/extras/jobs/?job_class_name=example_create_models")
        .json()["results"][0]["id"]
        .as_str()
        .expect("the job")
        .to_string()
}

#[test]
fn two_servers_and_two_workers_share_one_postgresql() {
    if Backend::postgres_or_skip("two_servers_and_two_workers_share_one_postgresql").is_none() {
        return;
    }
    let mut primary = Root::new(Backend::Postgres);
    primary
        .plugins(&["example_plugin"])
        .set("JOBS_AUTO_ENABLE", "true");
    primary.install();
    let secondary = node(&primary, &["example_plugin"]);
    // The second node migrates nothing: the database is already as its plugins need.
    secondary.run(&["check"]).success();
    let a = primary.start();
    let b = secondary.start();

    // A session made on one server is valid on the other.
    let on_a = a.client();
    assert_eq!(on_a.login("admin", "admin").status, 302);
    let session = on_a.cookie("sessionid").expect("a session cookie");
    let page = b.client().request(
        "GET",
        "/dcim/locations/",
        &[("Cookie", &format!("sessionid={session}"))],
        None,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"current-user\""));

    // Runs queued through both servers run exactly once each, across two workers.
    let (api_a, api_b) = (
        a.client().with_token(ADMIN_TOKEN),
        b.client().with_token(ADMIN_TOKEN),
    );
    let job = job_id(&api_a);
    assert_eq!(job, job_id(&api_b));
    const RUNS: usize = 40;
    for i in 0..RUNS {
        let api = if i % 2 == 0 { &api_a } else { &api_b };
        let res = api.send_json(
            "POST",
            &format!("/api/extras/jobs/{job}/run/"),
            &json!({"data": {"prefix": format!("node{i}"), "count": 1}}),
        );
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let workers: Vec<_> = [&primary, &secondary]
        .iter()
        .map(|root| {
            root.command(&["worker", "--burst"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start a worker")
        })
        .collect();
    for mut worker in workers {
        let status =
            support::data::wait_for_exit(&mut worker, Duration::from_secs(120), "a worker");
        assert!(status.success(), "a worker failed");
    }
    let results = api_b.get("/api/extras/job-results/?limit=0").json();
    assert_eq!(results["count"], RUNS);
    let list = results["results"].as_array().unwrap();
    assert!(
        list.iter().all(|r| r["status"]["value"] == "success"),
        "{results}"
    );
    let ran_on: std::collections::HashSet<&str> =
        list.iter().filter_map(|r| r["worker"].as_str()).collect();
    assert!(!ran_on.is_empty() && ran_on.len() <= 2, "{ran_on:?}");
    // Exactly once: each run created its one object, and no name twice.
    let models = api_a
        .get("/api/plugins/example-plugin/example-models/?limit=0&name__isw=node")
        .json();
    assert_eq!(models["count"], RUNS, "{models}");
    let names: std::collections::HashSet<&str> = models["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m: &Value| m["name"].as_str())
        .collect();
    assert_eq!(names.len(), RUNS);

    // A node whose plugins differ from the database's set refuses, in one line.
    let without = node(&primary, &[]);
    let out = without.run(&["check"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(
        lines[0].contains("the plugins here differ from those")
            && lines[0].contains("(example_plugin 1.0.0 is not loaded here)")
            && lines[0].ends_with(
                "after changing PLUGINS or installing a plugin, run `nautobot-server migrate`"
            ),
        "{}",
        lines[0]
    );
    let extra = node(&primary, &["example_plugin", "dependent_plugin"]);
    let out = extra.run(&["start", "--bind", "127.0.0.1:0"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("(dependent_plugin 0.2.0 is loaded here but not in the database's set)"),
        "{}",
        out.stderr
    );
    // Migrating with the new set records it; the old servers then refuse to restart
    // until they load it too.
    extra.run(&["migrate"]).success();
    extra.run(&["check"]).success();
    let out = secondary.run(&["check"]);
    assert_eq!(out.code, 5);
    assert!(out
        .stderr
        .contains("dependent_plugin 0.2.0 is not loaded here"));
}
