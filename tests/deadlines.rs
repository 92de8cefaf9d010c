//! `PLUGIN_CALL_TIMEOUT`: a plugin call that does not return in time costs its request a
//! 504 naming the plugin, while other requests keep being served; a write whose validator
//! timed out is rolled back; stuck calls are logged once per minute, not per request;
//! `/health/` turns unhealthy when stuck calls hold as many threads as the server has
//! database connections.

use std::time::{Duration, Instant};

use serde_json::json;
use support::{both_backends, Backend, Root, ADMIN_TOKEN};

both_backends!(
    a_plugin_call_past_its_deadline_costs_only_its_request,
    a_hung_plugin_holds_at_most_its_share_of_threads,
    a_hung_validator_releases_its_write_at_the_deadline
);

fn a_plugin_call_past_its_deadline_costs_only_its_request(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["faulty_plugin", "data_misbehaving"])
        .set("PLUGIN_CALL_TIMEOUT", "1")
        .set("DATABASE_POOL_SIZE", "3");
    root.install();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let ui = server.client();
    assert_eq!(ui.login("admin", "admin").status, 302);

    // A UI view and an API view that never return: 504 after about a second each.
    let started = Instant::now();
    let page = ui.get("/plugins/faulty/hang/");
    assert_eq!(page.status, 504, "{}", page.body);
    assert!(page.body.contains(
        "The plugin &#x27;faulty_plugin&#x27; did not answer within 1 s (PLUGIN_CALL_TIMEOUT)."
    ));
    let res = api.get("/api/plugins/faulty/hang/");
    assert_eq!(res.status, 504);
    assert_eq!(
        res.json(),
        json!({"detail": "The plugin 'faulty_plugin' did not answer within 1 s (PLUGIN_CALL_TIMEOUT)."})
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    // The server goes on serving, the same plugin included.
    assert_eq!(api.get("/api/plugins/faulty/ok/").status, 200);
    assert_eq!(ui.get("/dcim/locations/").status, 200);
    assert_eq!(server.client().get("/health/").status, 200);

    // A validator that answers after the deadline: 504 at the deadline, and the write
    // is rolled back when the validator returns.
    let location_type = support::data::location_type(&api, "Site");
    let create = |name: &str| support::data::post_location(&api, name, &location_type);
    let res = create("slow please");
    assert_eq!(res.status, 504, "{}", res.body);
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        api.get("/api/dcim/locations/?name=slow%20please").json()["count"],
        0,
        "the write of a timed-out validator stood"
    );
    assert_eq!(create("quick").status, 201);

    // A middleware and a panel on a core page that never return: 504 as well.
    let res = ui.get("/plugins/data-misbehaving/middleware-hang/");
    assert_eq!(res.status, 504, "{}", res.body);
    let hung = create("hang here");
    assert_eq!(hung.status, 201, "{}", hung.body);
    let id = hung.json()["id"].as_str().unwrap().to_string();
    let page = ui.get(&format!("/dcim/locations/{id}/"));
    assert_eq!(page.status, 504, "{}", page.body);
    assert!(page.body.contains("data_misbehaving"), "{}", page.body);
    assert_eq!(api.get(&format!("/api/dcim/locations/{id}/")).status, 200);

    // Logged once per window however many requests timed out.
    let log = server.log();
    assert_eq!(
        log.matches("a plugin call ran past PLUGIN_CALL_TIMEOUT")
            .count(),
        1,
        "{log}"
    );

    // Four hung calls (two views, the middleware, the panel) hold more threads than the
    // 3 connections: unhealthy.
    let health = server.client().get("/health/");
    assert_eq!(health.status, 503, "{}", health.body);
    assert!(
        health.body.starts_with(
            "UNHEALTHY: 4 plugin calls are stuck past PLUGIN_CALL_TIMEOUT (plugins: data_misbehaving, faulty_plugin)"
        ),
        "{}",
        health.body
    );
    // Still serving what does not need the stuck plugin.
    assert_eq!(api.get("/api/dcim/locations/").status, 200);
}

#[test]
fn a_deadline_that_is_not_a_number_of_seconds_is_refused() {
    let mut root = Root::new(Backend::Sqlite);
    root.set("PLUGIN_CALL_TIMEOUT", "-1");
    let out = root.run(&["check"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("PLUGIN_CALL_TIMEOUT"), "{}", out.stderr);
}

fn a_hung_plugin_holds_at_most_its_share_of_threads(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["faulty_plugin"])
        .set("PLUGIN_CALL_TIMEOUT", "1")
        .set("PLUGIN_MAX_CONCURRENT_CALLS", "2");
    root.install();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let location_type = support::data::location_type(&api, "Site");
    // Two hung calls: each answered 504, each keeps its thread.
    for _ in 0..2 {
        assert_eq!(api.get("/api/plugins/faulty/hang/").status, 504);
    }
    // A third call of the plugin is refused at once, naming the setting…
    let started = Instant::now();
    let res = api.get("/api/plugins/faulty/ok/");
    assert_eq!(res.status, 503, "{}", res.body);
    assert!(
        res.body.contains("PLUGIN_MAX_CONCURRENT_CALLS"),
        "{}",
        res.body
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // …as is a write its validator covers; writes it does not cover go on.
    let res = support::data::post_location(&api, "covered", &location_type);
    assert_eq!(res.status, 503, "{}", res.body);
    assert_eq!(
        api.get("/api/dcim/locations/?name=covered").json()["count"],
        0
    );
    let res = api.send_json(
        "POST",
        "/api/dcim/manufacturers/",
        &json!({"name": "not covered"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(api.get("/api/dcim/locations/").status, 200);
}

/// A validator that hangs (here: sleeps 30 s) costs its write a 504 and a rollback at the
/// deadline, and the write's locks with it: other writes go on at once — on SQLite too,
/// where the write held the database's one write lock.
fn a_hung_validator_releases_its_write_at_the_deadline(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["faulty_plugin"])
        .set("PLUGIN_CALL_TIMEOUT", "1")
        .plugin_config("faulty_plugin", "validator_sleep = 30");
    root.install();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let location_type = support::data::location_type(&api, "Site");
    let started = Instant::now();
    let res = support::data::post_location(&api, "slow please", &location_type);
    assert_eq!(res.status, 504, "{}", res.body);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The database is free again: writes it covers and writes it does not.
    let started = Instant::now();
    let res = api.send_json("POST", "/api/dcim/manufacturers/", &json!({"name": "next"}));
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(
        support::data::post_location(&api, "quick", &location_type).status,
        201
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        api.get("/api/dcim/locations/?name=slow%20please").json()["count"],
        0
    );
}
