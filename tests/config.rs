//! Configuration as an operator meets it: `init`, where the file is looked for,
//! `NAUTOBOT_<KEY>` overrides, and the one-line errors for wrong values.

use support::{Backend, Root};

fn only_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got:\n{stderr}");
    lines[0].to_string()
}

#[test]
fn init_writes_a_documented_config_with_a_fresh_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = Root::new(Backend::Sqlite);
    let target = dir.path().join("nb");
    let out = root
        .run_with_env(&["init"], &[("NAUTOBOT_ROOT", target.to_str().unwrap())])
        .success();
    let config = target.join("nautobot_config.toml");
    assert!(out.stdout.contains(&format!(
        "Configuration file created at {}",
        config.display()
    )));
    assert!(target.join("plugins").is_dir(), "init creates PLUGINS_DIR");
    let text = std::fs::read_to_string(&config).unwrap();
    let key_line = text
        .lines()
        .find(|l| l.starts_with("SECRET_KEY = "))
        .expect("a SECRET_KEY line");
    assert!(
        key_line.len() > "SECRET_KEY = \"\"".len() + 50,
        "{key_line}"
    );
    for key in [
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "PLUGINS",
        "PLUGINS_DIR",
        "PLUGINS_CONFIG",
        "STATIC_ROOT",
        "STATIC_URL",
        "LOGIN_REQUIRED",
        "LOG_LEVEL",
    ] {
        assert!(text.contains(&format!("# {key} (")), "{key} is documented");
    }

    // A second init refuses to overwrite, and a second root gets another key.
    let again = root.run_with_env(&["init"], &[("NAUTOBOT_ROOT", target.to_str().unwrap())]);
    assert_ne!(again.code, 0);
    assert!(only_line(&again.stderr).contains("already exists"));
    let other = dir.path().join("nb2");
    root.run_with_env(&["init"], &[("NAUTOBOT_ROOT", other.to_str().unwrap())])
        .success();
    let other_text = std::fs::read_to_string(other.join("nautobot_config.toml")).unwrap();
    assert_ne!(text, other_text, "each init draws its own SECRET_KEY");

    // The generated file works as it is: the server starts from it.
    let out = root.run_with_env(&["migrate"], &[("NAUTOBOT_ROOT", target.to_str().unwrap())]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(target.join("nautobot.sqlite3").is_file());
}

#[test]
fn a_missing_config_file_says_how_to_create_one() {
    let root = Root::new(Backend::Sqlite);
    std::fs::remove_file(root.config_path()).unwrap();
    let out = root.run(&["check"]);
    assert_eq!(out.code, 3);
    let line = only_line(&out.stderr);
    assert!(line.contains(&format!(
        "configuration file {} not found",
        root.config_path().display()
    )));
    assert!(line.contains("nautobot-server init"));
}

#[test]
fn the_config_file_is_found_through_nautobot_config_and_the_flag() {
    let mut root = Root::new(Backend::Sqlite);
    root.set("PLUGINS", "[\"ghost_plugin\"]");
    let elsewhere = root.path().join("elsewhere.toml");
    std::fs::rename(root.config_path(), &elsewhere).unwrap();
    let path = elsewhere.to_str().unwrap();
    // Found either way: the ghost plugin it lists is what fails.
    let out = root.run_with_env(&["check"], &[("NAUTOBOT_CONFIG", path)]);
    assert!(
        only_line(&out.stderr).contains("Plugin 'ghost_plugin'"),
        "{}",
        out.stderr
    );
    let out = root.run(&["--config", path, "check"]);
    assert!(
        only_line(&out.stderr).contains("Plugin 'ghost_plugin'"),
        "{}",
        out.stderr
    );
    let out = root.run(&["check", "--config", path]);
    assert!(
        only_line(&out.stderr).contains("Plugin 'ghost_plugin'"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_wrong_type_names_the_key_and_the_expected_type() {
    for (key, value, expected) in [
        (
            "LOGIN_REQUIRED",
            "\"yes\"",
            "LOGIN_REQUIRED must be a boolean (true or false), found a string (\"yes\")",
        ),
        (
            "PLUGINS",
            "\"example_plugin\"",
            "PLUGINS must be a list of strings, found a string",
        ),
        (
            "SESSION_COOKIE_AGE",
            "\"2w\"",
            "SESSION_COOKIE_AGE must be a non-negative integer",
        ),
        (
            "PLUGINS_CONFIG",
            "[1]",
            "PLUGINS_CONFIG must be a table, found a list",
        ),
        (
            "DATABASE_URL",
            "\"mysql://db/nb\"",
            "DATABASE_URL must start with sqlite:// or postgres://",
        ),
        (
            "LOG_LEVEL",
            "\"LOUD\"",
            "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        ),
        (
            "STATIC_URL",
            "\"static\"",
            "STATIC_URL must be a path starting and ending with '/'",
        ),
    ] {
        let mut root = Root::new(Backend::Sqlite);
        root.set(key, value);
        let out = root.run(&["check"]);
        assert_eq!(out.code, 3, "{key}: {}", out.stderr);
        let line = only_line(&out.stderr);
        let prefix = format!("Error: {}: {expected}", root.config_path().display());
        assert!(line.starts_with(&prefix), "{key}: {line}");
    }
}

#[test]
fn an_unknown_key_is_a_warning_not_an_error() {
    let mut root = Root::new(Backend::Sqlite);
    root.set("PLUGIN", "[\"example_plugin\"]");
    root.run(&["migrate"]).success();
    let out = root.run(&["check"]).success();
    assert!(
        out.stderr.contains("unknown setting PLUGIN is ignored"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("WARN"));
}

#[test]
fn environment_variables_override_the_file() {
    let mut root = Root::new(Backend::Sqlite);
    root.plugins(&["example_plugin"]);
    root.set("PLUGINS", "[]");
    root.run(&["migrate"]).success();
    let out = root
        .run_with_env(
            &["plugins", "list"],
            &[("NAUTOBOT_PLUGINS", "example_plugin")],
        )
        .success();
    assert!(out.stdout.contains("example_plugin"), "{}", out.stdout);
    let out = root.run(&["plugins", "list"]).success();
    assert!(out.stdout.contains("No plugins are listed in PLUGINS."));

    let out = root.run_with_env(&["check"], &[("NAUTOBOT_LOGIN_REQUIRED", "maybe")]);
    assert_eq!(out.code, 3);
    assert_eq!(
        only_line(&out.stderr),
        "Error: environment variable NAUTOBOT_LOGIN_REQUIRED: LOGIN_REQUIRED must be a boolean (true or false), found \"maybe\""
    );
    let out = root.run_with_env(
        &["check"],
        &[("NAUTOBOT_PLUGINS_CONFIG", "{\"example_plugin\": 3}")],
    );
    assert_eq!(out.code, 3);
    assert!(only_line(&out.stderr).contains("PLUGINS_CONFIG.example_plugin must be a table"));
}

#[test]
fn an_unreachable_database_is_one_line() {
    let mut root = Root::new(Backend::Sqlite);
    // A loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    root.set(
        "DATABASE_URL",
        &format!("\"postgres://nobody:hunter2@127.0.0.1:{port}/nautobot\""),
    );
    let out = root.run(&["migrate"]);
    assert_eq!(out.code, 5);
    let line = only_line(&out.stderr);
    assert!(
        line.starts_with(
            "Error: database error: cannot connect to postgres://nobody:***@127.0.0.1:"
        ),
        "{line}"
    );
    assert!(!line.contains("hunter2"), "the password is not shown");
}
