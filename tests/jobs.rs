//! Jobs as registered at start-up: listed with their variables, disabled until enabled
//! (or enabled with `JOBS_AUTO_ENABLE`), marked not installed — never deleted — when
//! their plugin goes, and served read-only through the model layer (REST and UI). Each
//! test runs on SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{both_backends, Backend, Client, Root, Server, ADMIN_TOKEN};

both_backends!(
    plugin_jobs_are_registered_disabled_with_their_variables,
    jobs_auto_enable_enables_new_jobs,
    jobs_of_a_removed_plugin_are_kept_as_not_installed,
    a_job_runs_through_the_api_and_a_worker,
    failures_panics_and_dry_runs_roll_back_but_keep_their_logs,
    runs_are_checked_before_they_are_queued,
    a_worker_that_dies_has_its_job_failed_by_another,
    a_worker_stopped_with_sigterm_leaves_the_count_and_finishes_its_job,
    runjob_runs_a_job_locally,
    two_workers_drain_the_queue_running_each_job_once,
    a_job_past_its_time_limit_is_stopped_and_failed,
    scheduled_runs_are_queued_once_when_due,
    a_pending_run_can_be_revoked,
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
    // Removed from PLUGINS (tables left in place): `migrate` records the new plugin set.
    root.plugins(&[]);
    root.run(&["migrate"]).success();
    let after = jobs(&root);
    assert_eq!(after.len(), 6, "kept");
    assert!(after.iter().all(|j| j["installed"] == false));
    // Back again: installed, and still disabled.
    root.plugins(&["example_plugin"]);
    root.run(&["migrate"]).success();
    let again = jobs(&root);
    assert!(again
        .iter()
        .all(|j| j["installed"] == true && j["enabled"] == false));
}

/// A root with example_plugin and its jobs enabled, and a server.
fn with_jobs(backend: Backend) -> (Root, Server, Client) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"])
        .set("JOBS_AUTO_ENABLE", "true");
    root.install();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    (root, server, api)
}

fn job_id(api: &Client, class: &str) -> String {
    let list = api
        .get(&format!("/api/extras/jobs/?job_class_name={class}"))
        .json();
    list["results"][0]["id"]
        .as_str()
        .expect("the job")
        .to_string()
}

/// A `nautobot-server worker` of `root` running in the background, its output dropped.
fn start_worker(root: &Root) -> std::process::Child {
    root.command(&["worker"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start a worker")
}

/// Queues a run through the API; the job result's id.
fn run(api: &Client, class: &str, body: Value) -> String {
    let res = api.send_json(
        "POST",
        &format!("/api/extras/jobs/{}/run/", job_id(api, class)),
        &body,
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let out = res.json();
    assert_eq!(out["job_result"]["status"]["value"], "pending");
    out["job_result"]["id"].as_str().unwrap().to_string()
}

fn result(api: &Client, id: &str) -> Value {
    api.get(&format!("/api/extras/job-results/{id}/")).json()
}

fn log(api: &Client, id: &str) -> Vec<String> {
    let logs = api
        .get(&format!("/api/extras/job-logs/?job_result={id}&limit=0"))
        .json();
    logs["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{}: {}",
                l["log_level"]["value"].as_str().unwrap(),
                l["message"].as_str().unwrap()
            )
        })
        .collect()
}

fn drain(root: &Root) {
    root.run(&["worker", "--burst"]).success();
}

fn a_job_runs_through_the_api_and_a_worker(backend: Backend) {
    let (root, _server, api) = with_jobs(backend);
    let id = run(
        &api,
        "example_create_models",
        json!({"data": {"prefix": "api", "count": 2, "number": 7}, "dryrun": false}),
    );
    drain(&root);
    let done = result(&api, &id);
    assert_eq!(done["status"]["value"], "success", "{done}");
    assert_eq!(done["result"], json!({"created": 2}));
    assert_eq!(done["user_name"], "admin");
    assert!(done["date_done"].is_string());
    let made = api
        .get("/api/plugins/example-plugin/example-models/?name__isw=api-")
        .json();
    assert_eq!(made["count"], 2);
    assert_eq!(made["results"][0]["number"], 7);
    let lines = log(&api, &id);
    assert!(
        lines.contains(&"success: Created api-1".to_string()),
        "{lines:?}"
    );
    assert!(lines.contains(&"success: Job completed; its changes were committed.".to_string()));
    // The change log names the user who ran the job.
    let change = api
        .get(&format!(
            "/api/extras/object-changes/?changed_object_id={}",
            made["results"][0]["id"].as_str().unwrap()
        ))
        .json();
    assert_eq!(change["results"][0]["user_name"], "admin");
    // The status API counts no worker now (the burst worker has stopped).
    assert_eq!(api.get("/api/status/").json()["workers-running"], 0);
}

fn failures_panics_and_dry_runs_roll_back_but_keep_their_logs(backend: Backend) {
    let (root, _server, api) = with_jobs(backend);
    let failed = run(
        &api,
        "example_fail_after_changes",
        json!({"data": {"name": "failed"}}),
    );
    let panicked = run(
        &api,
        "example_panic_after_changes",
        json!({"data": {"name": "panicked"}}),
    );
    let dry = run(
        &api,
        "example_create_models",
        json!({"data": {"prefix": "dry", "count": 1}, "dryrun": true}),
    );
    drain(&root);
    for (id, expected) in [
        (&failed, "info: Created failed, now failing"),
        (&panicked, "info: Created panicked, now panicking"),
    ] {
        let done = result(&api, id);
        assert_eq!(done["status"]["value"], "failure", "{done}");
        assert!(done["traceback"]
            .as_str()
            .unwrap()
            .contains("the job's changes were rolled back"));
        let lines = log(&api, id);
        assert!(lines.contains(&expected.to_string()), "{lines:?}");
    }
    let done = result(&api, &dry);
    assert_eq!(done["status"]["value"], "success");
    assert_eq!(done["dryrun"], true);
    assert!(log(&api, &dry)
        .contains(&"success: Dry run completed; its changes were rolled back.".to_string()));
    // None of their changes stayed, and no change record either.
    let models = api
        .get("/api/plugins/example-plugin/example-models/")
        .json();
    assert_eq!(models["count"], 0, "{models}");
    let changes = api
        .get("/api/extras/object-changes/?changed_object_type=example_plugin.examplemodel")
        .json();
    assert_eq!(changes["count"], 0);
}

fn runs_are_checked_before_they_are_queued(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    root.run(&[
        "createuser",
        "--username",
        "viewer",
        "--password",
        "viewer-pw",
        "--permission",
        "extras.view_job",
        "--token",
        "9999999999999999999999999999999999999999",
    ])
    .success();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let id = job_id(&api, "example_create_models");
    // Disabled until enabled.
    let res = api.send_json("POST", &format!("/api/extras/jobs/{id}/run/"), &json!({}));
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(res.body.contains("not enabled"));
    let res = api.send_json(
        "PATCH",
        &format!("/api/extras/jobs/{id}/"),
        &json!({"enabled": true}),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["enabled"], true);
    let res = api.send_json(
        "PATCH",
        &format!("/api/extras/jobs/{id}/"),
        &json!({"name": "x"}),
    );
    assert_eq!(res.status, 400);
    // Variables are checked, with a message per variable.
    let res = api.send_json(
        "POST",
        &format!("/api/extras/jobs/{id}/run/"),
        &json!({"data": {"count": 0, "bogus": 1}}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    let body = res.json();
    assert_eq!(body["data.prefix"], json!(["This field is required."]));
    assert_eq!(
        body["data.count"],
        json!(["Ensure this value is greater than or equal to 1."])
    );
    assert!(body["data.bogus"].is_array());
    // Running needs extras.run_job.
    let viewer = server
        .client()
        .with_token("9999999999999999999999999999999999999999");
    let res = viewer.send_json(
        "POST",
        &format!("/api/extras/jobs/{id}/run/"),
        &json!({"data": {"prefix": "v"}}),
    );
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(api.get("/api/extras/job-results/").json()["count"], 0);
}

fn a_worker_that_dies_has_its_job_failed_by_another(backend: Backend) {
    let (root, _server, api) = with_jobs(backend);
    let id = run(
        &api,
        "example_long_running",
        json!({"data": {"seconds": 60}}),
    );
    let mut worker = start_worker(&root);
    let started = Instant::now();
    loop {
        let lines = log(&api, &id);
        if lines.iter().any(|l| l.contains("Step 1 of 60")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the job did not start: {lines:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    worker.kill().expect("kill the worker");
    let _ = worker.wait();
    assert_eq!(result(&api, &id)["status"]["value"], "running");
    std::thread::sleep(Duration::from_secs(3));
    root.run(&["worker", "--burst", "--stale-after", "2"])
        .success();
    let done = result(&api, &id);
    assert_eq!(done["status"]["value"], "failure", "{done}");
    assert!(done["traceback"]
        .as_str()
        .unwrap()
        .contains("stopped responding"));
    // Its log up to the crash is kept.
    assert!(log(&api, &id).iter().any(|l| l.contains("Step 1 of 60")));
}

/// SIGTERM (what systemd and `kill` send): the worker leaves `/api/status/`'s count at
/// once, claims nothing more, finishes the job it runs and exits 0.
fn a_worker_stopped_with_sigterm_leaves_the_count_and_finishes_its_job(backend: Backend) {
    let (root, _server, api) = with_jobs(backend);
    let id = run(
        &api,
        "example_long_running",
        json!({"data": {"seconds": 4}}),
    );
    let mut worker = start_worker(&root);
    let workers = || api.get("/api/status/").json()["celery-workers-running"].clone();
    let started = Instant::now();
    while !log(&api, &id).iter().any(|l| l.contains("Step 1 of 4")) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the job did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(workers(), 1);
    // Queued behind it: must not be claimed by the stopping worker.
    let second = run(
        &api,
        "example_long_running",
        json!({"data": {"seconds": 1}}),
    );
    support::data::signal(worker.id(), "TERM");
    let signalled = Instant::now();
    while workers() != 0 {
        assert!(
            signalled.elapsed() < Duration::from_secs(2),
            "the stopping worker is still counted"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = support::data::wait_for_exit(&mut worker, Duration::from_secs(30), "the worker");
    assert!(status.success(), "{status:?}");
    let done = result(&api, &id);
    assert_eq!(done["status"]["value"], "success", "{done}");
    assert!(log(&api, &id).iter().any(|l| l.contains("Step 4 of 4")));
    assert_eq!(result(&api, &second)["status"]["value"], "pending");
}

fn runjob_runs_a_job_locally(backend: Backend) {
    let (root, _server, api) = with_jobs(backend);
    let out = root
        .run(&[
            "runjob",
            "example_plugin.example_create_models",
            "--data",
            r#"{"prefix": "cli", "count": 1}"#,
            "--local",
            "--username",
            "admin",
        ])
        .success();
    assert!(
        out.stdout.contains("[success] Created cli-1"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(": success"));
    assert_eq!(
        api.get("/api/plugins/example-plugin/example-models/?name=cli-1")
            .json()["count"],
        1
    );
    let bad = root.run(&[
        "runjob",
        "example_plugin.example_fail_after_changes",
        "--local",
        "--username",
        "admin",
    ]);
    assert_ne!(bad.code, 0);
    assert!(bad.stdout.contains("[failure]"), "{}", bad.stdout);
}

/// 200 queued runs, two workers with two slots each: every run done exactly once (a run
/// done twice would fail on its second try, the names being unique), both workers
/// working. Prints the rate.
fn two_workers_drain_the_queue_running_each_job_once(backend: Backend) {
    let (root, _server, api) = with_jobs(backend);
    let job = job_id(&api, "example_create_models");
    for i in 0..200 {
        let res = api.send_json(
            "POST",
            &format!("/api/extras/jobs/{job}/run/"),
            &json!({"data": {"prefix": format!("q{i}"), "count": 1}}),
        );
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let started = Instant::now();
    let spawn = || {
        root.command(&["worker", "--burst", "--concurrency", "2"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start a worker")
    };
    let (a, b) = (spawn(), spawn());
    for mut w in [a, b] {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Some(status) = w.try_wait().expect("wait for a worker") {
                assert!(status.success(), "a worker failed");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the workers did not drain the queue"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let results = api.get("/api/extras/job-results/?limit=0").json();
    assert_eq!(results["count"], 200);
    let list = results["results"].as_array().unwrap();
    let failed: Vec<&Value> = list
        .iter()
        .filter(|r| r["status"]["value"] != "success")
        .collect();
    assert!(
        failed.is_empty(),
        "{} runs did not succeed: {:?}",
        failed.len(),
        failed.first()
    );
    let workers: std::collections::HashSet<&str> =
        list.iter().map(|r| r["worker"].as_str().unwrap()).collect();
    assert_eq!(workers.len(), 2, "both workers ran jobs");
    let made = api
        .get("/api/plugins/example-plugin/example-models/?name__isw=q&limit=1")
        .json();
    assert_eq!(made["count"], 200);
    println!(
        "{backend:?}: two workers (2 slots each) drained 200 jobs in {seconds:.1} s: {:.1} jobs/s",
        200.0 / seconds
    );
}

fn a_job_past_its_time_limit_is_stopped_and_failed(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin", "jobs_misbehaving"])
        .set("JOBS_AUTO_ENABLE", "true");
    root.install();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let id = run(&api, "spin", json!({}));
    let started = Instant::now();
    let out = root.run(&["worker", "--burst"]);
    assert_ne!(out.code, 0, "the worker stops: {}", out.stderr);
    assert!(
        out.stderr.contains("exceeded its time limit of 2 s"),
        "{}",
        out.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    let done = result(&api, &id);
    assert_eq!(done["status"]["value"], "failure", "{done}");
    assert!(done["traceback"]
        .as_str()
        .unwrap()
        .contains("exceeded its time limit of 2 s"));
    let lines = log(&api, &id);
    assert!(
        lines.contains(&"warning: The job exceeded its soft time limit of 1 s.".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("Still spinning")),
        "{lines:?}"
    );
    // The next worker finds nothing left to do.
    root.run(&["worker", "--burst"]).success();
    assert_eq!(result(&api, &id)["status"]["value"], "failure");
}

fn scheduled_runs_are_queued_once_when_due(backend: Backend) {
    let (root, _server, api) = with_jobs(backend);
    let job = job_id(&api, "example_create_models");
    let soon = (std::time::SystemTime::now() + Duration::from_secs(1))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let start = chrono_like(soon);
    let res = api.send_json(
        "POST",
        &format!("/api/extras/jobs/{job}/run/"),
        &json!({"data": {"prefix": "once", "count": 1},
                "schedule": {"name": "once soon", "interval": "future", "start_time": start}}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let body = res.json();
    assert!(body["job_result"].is_null());
    let once = body["scheduled_job"]["id"].as_str().unwrap().to_string();
    // Every 5 minutes from a minute ago: due now, then not for four minutes.
    let past = chrono_like(soon - 61);
    let res = api.send_json(
        "POST",
        &format!("/api/extras/jobs/{job}/run/"),
        &json!({"data": {"prefix": "every", "count": 1},
                "schedule": {"name": "every 5", "interval": "minutes", "every": 5, "start_time": past}}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let every = res.json()["scheduled_job"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(Duration::from_secs(2));
    drain(&root);
    drain(&root);
    let results = api.get("/api/extras/job-results/?limit=0").json();
    let list = results["results"].as_array().unwrap();
    let of = |schedule: &str| {
        list.iter()
            .filter(|r| r["scheduled_job_id"] == schedule)
            .collect::<Vec<_>>()
    };
    assert_eq!(of(&once).len(), 1, "{results}");
    assert_eq!(of(&every).len(), 1, "{results}");
    assert!(of(&once).iter().all(|r| r["status"]["value"] == "success"));
    let once_now = api
        .get(&format!("/api/extras/scheduled-jobs/{once}/"))
        .json();
    assert_eq!(once_now["enabled"], false);
    assert!(once_now["next_run"].is_null());
    let every_now = api
        .get(&format!("/api/extras/scheduled-jobs/{every}/"))
        .json();
    assert_eq!(every_now["enabled"], true);
    assert!(every_now["next_run"].as_str().unwrap() > every_now["last_run_at"].as_str().unwrap());
    assert_eq!(
        api.get("/api/plugins/example-plugin/example-models/?name__isw=once")
            .json()["count"],
        1
    );
    if backend == Backend::Postgres {
        // Two workers: one scheduler (the advisory lock).
        let spawn = || {
            root.command(&["worker"])
                .env("NAUTOBOT_LOG_LEVEL", "INFO")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start a worker")
        };
        let (mut a, mut b) = (spawn(), spawn());
        std::thread::sleep(Duration::from_secs(4));
        let _ = a.kill();
        let _ = b.kill();
        let out_a = a.wait_with_output().unwrap();
        let out_b = b.wait_with_output().unwrap();
        let schedulers = [out_a, out_b]
            .iter()
            .filter(|o| {
                String::from_utf8_lossy(&o.stderr).contains("this worker runs the scheduler")
            })
            .count();
        assert_eq!(schedulers, 1);
    }
}

/// An RFC 3339 UTC time for `secs` since the epoch.
fn chrono_like(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}

fn a_pending_run_can_be_revoked(backend: Backend) {
    let (root, _server, api) = with_jobs(backend);
    let id = run(
        &api,
        "example_create_models",
        json!({"data": {"prefix": "rev"}}),
    );
    let res = api.send_json(
        "POST",
        &format!("/api/extras/job-results/{id}/revoke/"),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["status"]["value"], "revoked");
    drain(&root);
    assert_eq!(result(&api, &id)["status"]["value"], "revoked");
    assert_eq!(
        api.get("/api/plugins/example-plugin/example-models/?name__isw=rev")
            .json()["count"],
        0
    );
    let res = api.send_json(
        "POST",
        &format!("/api/extras/job-results/{id}/revoke/"),
        &json!({}),
    );
    assert_eq!(res.status, 409);
}
