//! The kit used as a plugin author would, with the workspace's example plugin
//! (`target/<profile>/libexample_plugin.so`, built by `scripts/build-plugins` or
//! `cargo build -p example_plugin`), on every backend.
//!
//! `NAUTOBOT_SERVER_BIN=$PWD/target/debug/nautobot-server cargo test -p nautobot-plugin-test`

use nautobot_plugin_test::{backends, Backend, TestServer};
use serde_json::json;

const MODELS: &str = "/api/plugins/example-plugin/example-models/";

fn start(backend: Backend) -> TestServer {
    TestServer::builder()
        .plugin("example_plugin")
        .plugin_config("example_plugin", json!({"greeting": "Hello from the kit"}))
        .backend(backend)
        .start()
}

#[test]
fn the_api_answers_by_permission() {
    for backend in backends("the_api_answers_by_permission") {
        let server = start(backend);
        let admin = server.admin();
        let res = admin.post_json(MODELS, &json!({"name": "one", "number": 1}));
        assert_eq!(res.status, 201, "{backend}: {}", res.body);
        let list = admin.get(MODELS);
        assert_eq!(list.status, 200, "{}", list.body);
        assert_eq!(list.header("content-type"), Some("application/json"));
        assert_eq!(list.json()["count"], 1);
        assert_eq!(list.json()["results"][0]["name"], "one");

        let nobody = server.user_with_permissions("nobody", &[]);
        assert_eq!(nobody.username(), Some("nobody"));
        let res = nobody.get(MODELS);
        assert_eq!(res.status, 403, "{}", res.body);

        let viewer = server.user_with_permissions("viewer", &["example_plugin.view_examplemodel"]);
        let res = viewer.get(MODELS);
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.json()["count"], 1);
        // Viewing is not adding.
        let res = viewer.post_json(MODELS, &json!({"name": "two"}));
        assert_eq!(res.status, 403, "{}", res.body);

        let res = server.anonymous().get(MODELS);
        assert_eq!(res.status, 403, "{}", res.body);

        // PATCH, PUT and DELETE through the same client.
        let id = list.json()["results"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let one = format!("{MODELS}{id}/");
        let res = admin.patch_json(&one, &json!({"number": 5}));
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.json()["number"], 5);
        let res = admin.put_json(&one, &json!({"name": "uno", "number": 6}));
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(admin.get(&one).json()["name"], "uno");
        assert_eq!(admin.delete(&one).status, 204);
        assert_eq!(admin.get(MODELS).json()["count"], 0);
    }
}

#[test]
fn pages_render_with_the_plugin_config_and_forms_create_objects() {
    for backend in backends("pages_render_with_the_plugin_config_and_forms_create_objects") {
        let server = start(backend);
        let admin = server.admin();
        let home = admin.get_page("/plugins/example-plugin/");
        assert_eq!(home.status, 200, "{}", server.log());
        assert!(
            home.text().contains("Hello from the kit, admin!"),
            "{}",
            home.body
        );
        // Anonymous visitors are sent to the login page.
        let res = server.anonymous().get_page("/plugins/example-plugin/");
        assert_eq!(res.status, 302);
        assert!(res.header("location").unwrap().starts_with("/login/"));

        // The generic add form, CSRF handled by the client; no redirect is followed.
        let res = admin.post_form(
            "/plugins/example-plugin/example-models/add/",
            &[("name", "from-form"), ("number", "7")],
        );
        assert_eq!(res.status, 302, "{}", res.body);
        let location = res.header("location").unwrap();
        assert!(
            location.starts_with("/plugins/example-plugin/example-models/"),
            "{location}"
        );
        let made = admin.get(&format!("{MODELS}?name=from-form")).json();
        assert_eq!(made["count"], 1, "{made}");
        assert_eq!(made["results"][0]["number"], 7);

        // An anonymous client gets its CSRF cookie by itself, and is refused.
        let res = server.anonymous().post_form(
            "/plugins/example-plugin/example-models/add/",
            &[("name", "anon"), ("number", "1")],
        );
        assert_eq!(res.status, 302, "sent to log in: {}", res.body);
        assert_eq!(admin.get(MODELS).json()["count"], 1);

        // The server's log is there for assertions.
        assert!(
            server.log().contains("example plugin ready"),
            "{}",
            server.log()
        );
    }
}

#[test]
fn jobs_run_to_completion_through_a_worker() {
    for backend in backends("jobs_run_to_completion_through_a_worker") {
        let server = start(backend);
        let run = server.run_job(
            "example_plugin.example_create_models",
            json!({"prefix": "job", "count": 2}),
        );
        assert_eq!(
            run.status,
            "success",
            "{backend}: {:?}\n{}",
            run.messages(),
            server.worker_log()
        );
        assert_eq!(run.result, json!({"created": 2}));
        assert!(
            run.messages()
                .contains(&"success: Created job-1".to_string()),
            "{:?}",
            run.messages()
        );
        assert_eq!(run.log[0]["message"], "Running job Create Example Models");
        let admin = server.admin();
        assert_eq!(
            admin.get(&format!("{MODELS}?name__isw=job-")).json()["count"],
            2
        );

        // The same worker runs the next one; a failing job is a result, not a panic.
        let failed = server.run_job(
            "example_plugin.example_fail_after_changes",
            json!({"name": "doomed"}),
        );
        assert_eq!(failed.status, "failure");
        assert!(
            failed.traceback.contains("example failure after changes"),
            "{}",
            failed.traceback
        );
        let dry = server.run_job_dryrun(
            "example_plugin.example_create_models",
            json!({"prefix": "dry", "count": 1}),
        );
        assert_eq!(dry.status, "success");
        assert_eq!(
            admin.get(&format!("{MODELS}?name__isw=dry")).json()["count"],
            0
        );
    }
}

#[test]
fn the_cli_runs_with_the_servers_configuration() {
    let server = TestServer::builder()
        .plugin("example_plugin")
        .setting("JOBS_AUTO_ENABLE", json!(true))
        .start();
    let out = server.run_cli(&["check"]).success();
    assert!(
        out.stdout
            .contains("System check identified no issues (1 plugin loaded)."),
        "{}",
        out.stdout
    );
    let out = server.run_cli(&["plugins", "list"]).success();
    assert!(out.stdout.contains("example_plugin"), "{}", out.stdout);
    let config = std::fs::read_to_string(server.root().join("nautobot_config.toml")).unwrap();
    assert!(config.contains("JOBS_AUTO_ENABLE = true"), "{config}");
    assert!(server.url("/api/").starts_with("http://127.0.0.1:"));
    let jobs = server
        .admin()
        .get("/api/extras/jobs/?module_name=example_plugin")
        .json();
    assert_eq!(jobs["results"][0]["enabled"], true, "{jobs}");
}

#[test]
#[should_panic(expected = "there is no job example_plugin.no_such_job")]
fn an_unknown_job_is_named_in_the_panic() {
    let server = TestServer::builder().plugin("example_plugin").start();
    server.run_job("example_plugin.no_such_job", json!({}));
}

#[test]
#[should_panic(expected = "running job example_plugin.example_create_models was refused")]
fn invalid_job_variables_panic_with_the_answer() {
    let server = TestServer::builder().plugin("example_plugin").start();
    server.run_job("example_plugin.example_create_models", json!({"count": 0}));
}

#[test]
fn the_root_and_database_go_when_the_server_is_dropped() {
    for backend in backends("the_root_and_database_go_when_the_server_is_dropped") {
        let server = TestServer::builder().backend(backend).start();
        let root = server.root().to_path_buf();
        assert!(root.join("nautobot_config.toml").is_file());
        assert_eq!(server.backend(), backend);
        let status = server.admin().get("/api/status/").json();
        let expected = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        };
        assert_eq!(status["database"]["backend"], expected, "{status}");
        let base = server.base_url();
        drop(server);
        assert!(!root.exists(), "{} is removed", root.display());
        assert!(
            ureq::get(&format!("{base}/health/")).call().is_err(),
            "the server is stopped"
        );
    }
}
