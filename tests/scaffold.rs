//! `nautobot-server plugins new`: the crate it writes builds offline, passes its own
//! tests (which use the test kit on SQLite and PostgreSQL), and installs the README's way
//! into a fresh root, where `check` passes and its pages and API answer. Bad names,
//! existing folders and missing `--abi-path` folders are refused.
//!
//! The new crate is built in `target/scaffold/` so that later runs reuse its compiled
//! dependencies: warm, this file takes well under a minute; cold (a fresh clone), the
//! first build of abi_stable and the test kit's dependencies adds a couple of minutes.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use support::{paths, Backend, Output, Root, ADMIN_TOKEN};

/// Runs `nautobot-server <args>` with no configuration at all.
fn server(args: &[&str]) -> Output {
    let mut cmd = Command::new(paths::server_bin());
    for (key, _) in std::env::vars() {
        if key.starts_with("NAUTOBOT_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run nautobot-server");
    Output::from(out)
}

/// The repository checkout these tests run in.
fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `cargo <args>` in `dir`, building into `target/scaffold/`, with the kit pointed at the
/// server under test.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = paths::profile_dir()
        .parent()
        .expect("target/<profile> has a parent")
        .join("scaffold");
    let mut cmd = Command::new(cargo);
    let started = Instant::now();
    let out = cmd
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .env("NAUTOBOT_SERVER_BIN", paths::server_bin())
        .env_remove("NAUTOBOT_PLUGIN_DIR")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run cargo");
    println!(
        "cargo {} took {:.1} s",
        args.join(" "),
        started.elapsed().as_secs_f64()
    );
    Output::from(out)
}

#[test]
fn a_new_plugin_builds_passes_its_tests_and_installs() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let out = server(&[
        "plugins",
        "new",
        "my_plugin",
        "--path",
        tmp.path().to_str().unwrap(),
    ])
    .success();
    let dir = tmp.path().join("my_plugin");
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        ".gitignore",
        "README.md",
        "src/lib.rs",
        "templates/my_plugin/home.html",
        "static/my_plugin/my_plugin.css",
        "tests/plugin.rs",
    ] {
        assert!(dir.join(file).is_file(), "{file} is written");
        assert!(
            out.stdout.contains(&format!("  {file}\n")),
            "{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("cargo build"), "{}", out.stdout);
    assert!(
        out.stdout.contains("NAUTOBOT_SERVER_BIN="),
        "{}",
        out.stdout
    );
    // The dependencies are this checkout's crates, by absolute path.
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let abi = checkout().join("plugin-abi").canonicalize().unwrap();
    assert!(
        manifest.contains(&format!(
            "nautobot-plugin-abi = {{ path = \"{}\" }}",
            abi.display()
        )),
        "{manifest}"
    );
    assert!(manifest.contains("\n[workspace]\n"), "{manifest}");

    // Laid out as rustfmt would.
    let fmt = cargo(&dir, &["fmt", "--check"]);
    assert_eq!(
        fmt.code, 0,
        "cargo fmt --check:\n{}{}",
        fmt.stdout, fmt.stderr
    );

    // It builds offline, with the versions of this checkout's Cargo.lock, and its own
    // tests pass: unit tests, and the kit loading it into the server on every backend.
    let build = cargo(&dir, &["build", "--offline"]);
    assert_eq!(build.code, 0, "cargo build failed:\n{}", build.stderr);
    let test = cargo(&dir, &["test", "--offline"]);
    assert_eq!(
        test.code, 0,
        "cargo test failed:\n{}\n{}",
        test.stdout, test.stderr
    );
    for name in [
        "the_migrations_build_the_declared_models",
        "the_home_page_renders_for_the_admin",
        "the_api_view_answers_json",
        "things_are_created_and_listed_through_the_api",
        "the_job_runs_to_completion",
    ] {
        assert!(
            test.stdout.contains(&format!("test {name} ... ok"))
                || test.stdout.contains(&format!("test tests::{name} ... ok")),
            "{name} ran and passed:\n{}",
            test.stdout
        );
    }

    // Installed the README's way: library into PLUGINS_DIR, PLUGINS, migrate,
    // collectstatic, check, start.
    let library = paths::profile_dir()
        .parent()
        .unwrap()
        .join("scaffold/debug")
        .join(format!(
            "{}my_plugin{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        ));
    let mut root = Root::new(Backend::Sqlite);
    std::fs::copy(
        &library,
        root.plugins_dir().join(library.file_name().unwrap()),
    )
    .expect("copy the library");
    root.set("PLUGINS", "[\"my_plugin\"]");
    root.plugin_config("my_plugin", "greeting = \"Installed\"");
    root.install();
    let check = root.run(&["check"]).success();
    assert!(
        check
            .stdout
            .contains("System check identified no issues (1 plugin loaded)."),
        "{}",
        check.stdout
    );
    assert!(root.path().join("static/my_plugin/my_plugin.css").is_file());
    let server = root.start();
    let ui = server.client();
    assert_eq!(ui.login("admin", "admin").status, 302);
    let home = ui.get("/plugins/my-plugin/");
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("Installed, admin!"), "{}", home.body);
    assert!(home.body.contains("/static/my_plugin/my_plugin.css"));
    let css = ui.get("/static/my_plugin/my_plugin.css");
    assert_eq!(css.status, 200);
    let api = server.client().with_token(ADMIN_TOKEN);
    let root_view = api.get("/api/plugins/my-plugin/").json();
    assert_eq!(root_view["plugin"], "my_plugin", "{root_view}");
    let res = api.send_json(
        "POST",
        "/api/plugins/my-plugin/things/",
        &serde_json::json!({"name": "installed"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(
        ui.get("/plugins/my-plugin/things/").status,
        200,
        "the generic list page"
    );
    let menu = ui.get("/");
    assert!(menu.body.contains("My Plugin"), "the menu tab");
}

#[test]
fn invalid_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().to_str().unwrap();
    for name in ["My-Plugin", "1plugin", "my plugin"] {
        let out = server(&["plugins", "new", name, "--path", path]);
        assert_eq!(out.code, 2, "{name}: {}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("invalid plugin name '{name}'"))
                && out.stderr.contains("[a-z][a-z0-9_]*"),
            "{}",
            out.stderr
        );
    }
    let out = server(&["plugins", "new", "dcim", "--path", path]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("reserved"), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn an_existing_directory_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my_plugin");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "mine").unwrap();
    let out = server(&[
        "plugins",
        "new",
        "my_plugin",
        "--path",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("already exists and is not empty"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.toml")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn abi_path_must_exist_and_brings_the_kit_beside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().to_str().unwrap();
    let missing = tmp.path().join("nowhere/plugin-abi");
    let out = server(&[
        "plugins",
        "new",
        "my_plugin",
        "--path",
        path,
        "--abi-path",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no such directory"), "{}", out.stderr);
    assert!(!tmp.path().join("my_plugin").exists());

    let abi = checkout().join("plugin-abi");
    server(&[
        "plugins",
        "new",
        "other_plugin",
        "--path",
        path,
        "--abi-path",
        abi.to_str().unwrap(),
    ])
    .success();
    let manifest = std::fs::read_to_string(tmp.path().join("other_plugin/Cargo.toml")).unwrap();
    let abi = abi.canonicalize().unwrap();
    let kit = abi.parent().unwrap().join("plugin-test");
    assert!(
        manifest.contains(&format!(
            "nautobot-plugin-abi = {{ path = \"{}\" }}",
            abi.display()
        )),
        "{manifest}"
    );
    assert!(
        manifest.contains(&format!(
            "nautobot-plugin-test = {{ path = \"{}\" }}",
            kit.display()
        )),
        "{manifest}"
    );
    assert!(tmp.path().join("other_plugin/Cargo.lock").is_file());
}
