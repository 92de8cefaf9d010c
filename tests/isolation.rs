//! `PLUGINS_ISOLATED`: plugins run in a host process of their own. A segfault, abort or
//! hang in one fails only the call in flight (502 or 504 naming the plugin), the host
//! process is started again for the next call, and the server stays up; the plugin's
//! host services (settings, permissions, the database verbs) work as in process. Its
//! `PLUGINS_ISOLATED_WORKERS` host processes serve calls side by side: clients holding
//! some on hanging calls do not stop the others.

use serde_json::json;
use support::{both_backends, Backend, Root, ADMIN_TOKEN};

both_backends!(
    a_crash_in_an_isolated_plugin_fails_only_its_call,
    an_isolated_plugin_serves_calls_side_by_side
);

fn a_crash_in_an_isolated_plugin_fails_only_its_call(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin", "faulty_plugin"])
        .set(
            "PLUGINS_ISOLATED",
            "[\"faulty_plugin\", \"example_plugin\"]",
        )
        .set("PLUGIN_CALL_TIMEOUT", "2")
        .set("JOBS_AUTO_ENABLE", "true");
    root.install();
    let mut server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let pid = server.pid();

    assert_eq!(
        api.get("/api/plugins/faulty/ok/").json(),
        json!({"ok": true})
    );
    for (path, how) in [
        (
            "/api/plugins/faulty/segfault/",
            "SIGSEGV, a segmentation fault",
        ),
        ("/api/plugins/faulty/abort/", "SIGABRT, an abort"),
    ] {
        let res = api.get(path);
        assert_eq!(res.status, 502, "{path}: {}", res.body);
        assert_eq!(
            res.json(),
            json!({"detail": format!("The plugin 'faulty_plugin' crashed ({how}) while handling this request; it is restarted for the next one.")})
        );
        let again = api.get("/api/plugins/faulty/ok/");
        assert_eq!(
            again.status,
            200,
            "after {path}: {}\n{}",
            again.body,
            server.log()
        );
    }
    // A hang: 504 at the deadline, the host process is killed, the next call is served.
    let res = api.get("/api/plugins/faulty/hang/");
    assert_eq!(res.status, 504, "{}", res.body);
    assert_eq!(api.get("/api/plugins/faulty/ok/").status, 200);
    // The UI too.
    let ui = server.client();
    assert_eq!(ui.login("admin", "admin").status, 302);
    let page = ui.get("/plugins/faulty/segfault/");
    assert_eq!(page.status, 502);
    assert!(page
        .body
        .contains("crashed (SIGSEGV, a segmentation fault)"));
    assert_eq!(ui.get("/plugins/faulty/ok/").status, 200);

    // The server never went down.
    assert!(server.is_running());
    assert_eq!(server.pid(), pid);
    assert_eq!(server.client().get("/health/").status, 200);

    // Host services across the process boundary: settings and permissions…
    let status = api.get("/api/plugins/example-plugin/status/");
    assert_eq!(status.status, 200, "{}", status.body);
    let status = status.json();
    assert_eq!(status["settings"]["example_setting"], "default value");
    assert_eq!(status["user"], "admin");
    assert_eq!(status["can_view_examplemodel"], true);
    // … the database verbs and the plugin's own templates …
    let summary = api.send_json(
        "POST",
        "/api/plugins/example-plugin/summary/",
        &json!({"name": "isolated"}),
    );
    assert_eq!(summary.status, 201, "{}", summary.body);
    assert_eq!(
        api.get("/api/plugins/example-plugin/example-models/?name=isolated-2")
            .json()["count"],
        1
    );
    let home = ui.get("/plugins/example-plugin/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Hello from the example plugin"));
    // … and validators: the example plugin's refusal comes back from its host process.
    let lt = support::data::location_type(&api, "Site");
    let res = support::data::post_location(&api, "this location has a matching name", &lt);
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(
        res.json(),
        json!({"name": ["Location name must not be 'this location has a matching name'"]})
    );
    assert!(server
        .log()
        .contains("the isolated plugin's host process crashed"));

    // Jobs: a worker runs the isolated plugin's job in a plugin host of its own, with the
    // job's transaction and log behind the host services.
    let job = api
        .get("/api/extras/jobs/?job_class_name=example_create_models")
        .json()["results"][0]["id"]
        .as_str()
        .expect("the job")
        .to_string();
    let queued = api.send_json(
        "POST",
        &format!("/api/extras/jobs/{job}/run/"),
        &json!({"data": {"prefix": "iso", "count": 2}}),
    );
    assert_eq!(queued.status, 201, "{}", queued.body);
    root.run(&["worker", "--burst"]).success();
    let result = api
        .get(&format!(
            "/api/extras/job-results/{}/",
            queued.json()["job_result"]["id"].as_str().unwrap()
        ))
        .json();
    assert_eq!(result["status"]["value"], "success", "{result}");
    assert_eq!(
        api.get("/api/plugins/example-plugin/example-models/?name__isw=iso-")
            .json()["count"],
        2
    );
}

fn an_isolated_plugin_serves_calls_side_by_side(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["faulty_plugin"])
        .set("PLUGINS_ISOLATED", "[\"faulty_plugin\"]")
        .set("PLUGINS_ISOLATED_WORKERS", "3")
        .set("PLUGIN_CALL_TIMEOUT", "3");
    root.install();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    assert_eq!(api.get("/api/plugins/faulty/ok/").status, 200);
    // Two clients hang one host process each…
    let hangs: Vec<_> = (0..2)
        .map(|_| {
            let client = server.client().with_token(ADMIN_TOKEN);
            std::thread::spawn(move || client.get("/api/plugins/faulty/hang/").status)
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // …while the third serves everyone else at once, and writes its validator covers.
    let started = std::time::Instant::now();
    let res = api.get("/api/plugins/faulty/ok/");
    assert_eq!(res.status, 200, "{}", res.body);
    let site = support::data::location_type(&api, "Site");
    assert_eq!(
        support::data::post_location(&api, "served", &site).status,
        201
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "served in {:?}",
        started.elapsed()
    );
    for hang in hangs {
        assert_eq!(hang.join().unwrap(), 504);
    }
    assert_eq!(api.get("/api/plugins/faulty/ok/").status, 200);
}
