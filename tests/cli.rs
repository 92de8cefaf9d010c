//! The `nautobot-server` subcommands an operator runs: migrate, showmigrations,
//! createsuperuser, createuser, collectstatic, check, plugins list/inspect, --version.
//! Database commands run on SQLite and on PostgreSQL.

use support::{both_backends, Backend, Root};

both_backends!(
    migrate_says_what_it_applied_and_is_idempotent,
    createsuperuser_creates_a_working_login_and_token,
    createsuperuser_refuses_bad_input_with_one_line,
    collectstatic_copies_core_and_plugin_files_idempotently,
    check_runs_every_start_up_check,
);

fn migrate_says_what_it_applied_and_is_idempotent(backend: Backend) {
    let root = Root::new(backend);
    let before = root.run(&["showmigrations"]).success();
    let every = [
        ("core", "0001_auth"),
        ("core", "0002_data"),
        ("core", "0003_jobs"),
        ("core", "0004_rowcount"),
        ("core", "0005_plugin_set"),
        ("core", "0006_users_models"),
        ("extras", "0001_initial"),
        ("extras", "0002_custom_fields"),
        ("extras", "0003_computed_fields"),
        ("extras", "0004_config_contexts"),
        ("extras", "0005_relationships"),
        ("dcim", "0001_initial"),
        ("dcim", "0002_device_primary_ip4"),
        ("dcim", "0003_device_local_config_context"),
        ("ipam", "0001_initial"),
    ];
    let listing = |mark: &str| {
        let mut out = String::new();
        let mut app = "";
        for (a, name) in every {
            if a != app {
                out.push_str(&format!("{a}\n"));
                app = a;
            }
            out.push_str(&format!(" [{mark}] {name}\n"));
        }
        out
    };
    assert_eq!(before.stdout, listing(" "));
    let first = root.run(&["migrate"]).success();
    for (app, name) in every {
        assert!(
            first
                .stdout
                .contains(&format!("Applying {app}.{name}... OK")),
            "{}",
            first.stdout
        );
    }
    let second = root.run(&["migrate"]).success();
    assert!(second.stdout.contains("No migrations to apply."));
    assert!(!second.stdout.contains("Applying"));
    let after = root.run(&["showmigrations"]).success();
    assert_eq!(after.stdout, listing("X"));
}

fn createsuperuser_creates_a_working_login_and_token(backend: Backend) {
    let root = Root::new(backend);
    root.run(&["migrate"]).success();
    let out = root
        .run(&[
            "createsuperuser",
            "--username",
            "ops",
            "--email",
            "ops@example.com",
            "--password",
            "correct horse",
            "--token",
            "abcdefabcdefabcdefabcdefabcdefabcdefabcd",
        ])
        .success();
    assert!(out.stdout.contains("Superuser created successfully."));
    assert!(out
        .stdout
        .contains("API token created: abcdefabcdefabcdefabcdefabcdefabcdefabcd"));
    root.run(&["collectstatic", "--no-input"]).success();
    let server = root.start();
    let client = server.client();
    assert_eq!(client.login("ops", "correct horse").status, 302);
    assert_eq!(client.get("/plugins/installed-plugins/").status, 200);
    let api = server
        .client()
        .with_token("abcdefabcdefabcdefabcdefabcdefabcdefabcd");
    assert_eq!(
        api.get("/api/plugins/installed-plugins/").status,
        200,
        "superusers are staff"
    );
}

fn createsuperuser_refuses_bad_input_with_one_line(backend: Backend) {
    let root = Root::new(backend);
    let args = [
        "createsuperuser",
        "--username",
        "admin",
        "--email",
        "a@example.com",
        "--password",
        "pw",
    ];
    let out = root.run(&args);
    assert_eq!(out.code, 5, "before migrate: {}", out.stderr);
    assert!(
        out.stderr_lines()[0].contains("unapplied migrations: run `nautobot-server migrate` first")
    );
    root.run(&["migrate"]).success();
    root.run(&args).success();
    let again = root.run(&args);
    assert_ne!(again.code, 0);
    assert_eq!(
        out_line(&again.stderr),
        "Error: a user named 'admin' already exists"
    );
    let missing = root.run(&[
        "createsuperuser",
        "--username",
        "x",
        "--email",
        "x@example.com",
    ]);
    assert_eq!(missing.code, 2);
    assert_eq!(
        out_line(&missing.stderr),
        "Error: --password is required when not running interactively"
    );
    let bad_token = root.run(&[
        "createsuperuser",
        "--username",
        "y",
        "--email",
        "y@example.com",
        "--password",
        "pw",
        "--token",
        "short",
    ]);
    assert_ne!(bad_token.code, 0);
    assert!(out_line(&bad_token.stderr).contains("a token key must be 40 hexadecimal characters"));
    // Nothing half-created: the user of the refused token does not exist.
    let retry = root.run(&[
        "createsuperuser",
        "--username",
        "y",
        "--email",
        "y@example.com",
        "--password",
        "pw",
    ]);
    assert_eq!(retry.code, 0, "{}", retry.stderr);
    let bad_permission = root.run(&[
        "createuser",
        "--username",
        "z",
        "--password",
        "pw",
        "--permission",
        "everything",
    ]);
    assert_eq!(bad_permission.code, 2);
    assert!(out_line(&bad_permission.stderr).contains("'everything' is not a permission"));
}

fn out_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got:\n{stderr}");
    lines[0].to_string()
}

fn collectstatic_copies_core_and_plugin_files_idempotently(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    let out = root.run(&["collectstatic", "--no-input"]).success();
    let static_root = root.path().join("static");
    assert!(out.stdout.contains("Copying 'nautobot/css/base.css'"));
    assert!(out.stdout.contains("Copying 'nautobot/js/localtime.js'"));
    assert!(out
        .stdout
        .contains("Copying 'example_plugin/css/example.css'"));
    assert!(out.stdout.contains(&format!(
        "4 static files copied to '{}', 0 unmodified.",
        static_root.display()
    )));
    let css = std::fs::read_to_string(static_root.join("example_plugin/css/example.css")).unwrap();
    assert!(css.contains(".example-greeting"));
    assert!(static_root.join("nautobot/css/base.css").is_file());
    let again = root.run(&["collectstatic", "--no-input"]).success();
    assert!(again.stdout.contains("0 static files copied"));
    assert!(again.stdout.contains("4 unmodified."));
    assert!(!again.stdout.contains("Copying"));
}

fn check_runs_every_start_up_check(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    let out = root.run(&["check"]);
    assert_eq!(out.code, 5, "unmigrated database: {}", out.stderr);
    assert!(out
        .stderr
        .contains("has unapplied migrations of core: run `nautobot-server migrate`"));
    root.run(&["migrate"]).success();
    let out = root.run(&["check"]).success();
    assert_eq!(
        out.stdout.trim(),
        "System check identified no issues (1 plugin loaded)."
    );
}

#[test]
fn plugins_inspect_prints_the_manifest_of_a_library_file() {
    let root = Root::new(Backend::Sqlite);
    let library = support::paths::plugin_library("example_plugin");
    let out = root
        .run(&["plugins", "inspect", library.to_str().unwrap()])
        .success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(report["abi_version"], "1.2.0");
    let manifest = &report["manifest"];
    assert_eq!(manifest["name"], "example_plugin");
    assert_eq!(manifest["verbose_name"], "Example Plugin");
    assert_eq!(manifest["base_url"], "example-plugin");
    assert_eq!(
        manifest["default_settings"]["example_setting"],
        "default value"
    );
    assert_eq!(manifest["menu_items"][0]["name"], "Example Menu");
    assert_eq!(
        manifest["menu_items"][0]["groups"][0]["name"],
        "Example Group 1"
    );
    assert!(manifest["static_files"][0]["content_base64"]
        .as_str()
        .unwrap()
        .contains("--full to show"));
    let full = root
        .run(&["plugins", "inspect", "--full", library.to_str().unwrap()])
        .success();
    let full: serde_json::Value = serde_json::from_str(&full.stdout).unwrap();
    assert!(full["manifest"]["templates"][0]["source"]
        .as_str()
        .unwrap()
        .contains("{% extends \"base.html\" %}"));

    let garbage = root.path().join("libgarbage.so");
    std::fs::write(&garbage, "nope").unwrap();
    let out = root.run(&["plugins", "inspect", garbage.to_str().unwrap()]);
    assert_eq!(out.code, 4);
    assert_eq!(out.stderr_lines().len(), 1);
    assert!(out.stderr.contains("Plugin 'garbage'"));
    assert!(out.stderr.contains("not a loadable library"));
}

/// `plugins inspect` runs every check `check` runs on one library: the same one-line
/// refusal, exit code 4, for libraries `check` and `migrate` refuse.
#[test]
fn plugins_inspect_refuses_what_check_refuses() {
    let root = Root::new(Backend::Sqlite);
    for (plugin, fragments) in [
        (
            "bad_models",
            &[
                "Plugin 'bad_models'",
                "model bad_models.widget uses a reserved field name",
                "a field named 'created'",
            ][..],
        ),
        (
            "future_plugin",
            &["requires Nautobot minimum version 9.0.0", "found 1.2.0"][..],
        ),
        (
            "template_escape_plugin",
            &["template outside the plugin's namespace"][..],
        ),
        (
            "panic_ready_plugin",
            &[
                "panicked while starting",
                "the database of widgets is missing",
            ][..],
        ),
    ] {
        let library = support::paths::plugin_library(plugin);
        let out = root.run(&["plugins", "inspect", library.to_str().unwrap()]);
        assert_eq!(out.code, 4, "{plugin}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{plugin}: {}", out.stdout);
        let lines = out.stderr_lines();
        assert_eq!(lines.len(), 1, "{plugin}: {}", out.stderr);
        for fragment in fragments {
            assert!(
                lines[0].contains(fragment),
                "{plugin}: {fragment:?} in {}",
                lines[0]
            );
        }
    }
    // A plugin whose models refer to its dependency's models passes on its own.
    let library = support::paths::plugin_library("model_dependent");
    let out = root
        .run(&["plugins", "inspect", library.to_str().unwrap()])
        .success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(report["checks"], "passed");
}

#[test]
fn version_and_usage_errors() {
    let root = Root::new(Backend::Sqlite);
    let out = root.run(&["--version"]).success();
    assert_eq!(out.stdout.trim(), "nautobot-server 1.2.0");
    let out = root.run(&["frobnicate"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("unrecognized subcommand 'frobnicate'"));
    let out = root.run(&["runserver", "--help"]).success();
    assert!(out.stdout.contains("--bind"));
}
