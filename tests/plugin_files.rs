//! Plugin library files as an operator handles them: a running server never maps the
//! file in `PLUGINS_DIR` (it loads a private copy), so replacing, half-writing or deleting
//! it changes nothing until the next start; `plugins install` checks a file and places it
//! atomically; `PLUGINS_SHA256` pins a library's digest.

use sha2::{Digest, Sha256};
use support::{both_backends, Backend, Root};

both_backends!(replacing_or_deleting_a_loaded_library_changes_nothing_until_restart);

fn sha256_of(path: &std::path::Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn replacing_or_deleting_a_loaded_library_changes_nothing_until_restart(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let mut server = root.start();
    let client = server.client();
    assert_eq!(client.login("admin", "admin").status, 302);
    assert_eq!(client.get("/plugins/example-plugin/").status, 200);

    // The process maps a private copy, never the operator's file.
    let library = root.plugins_dir().join("libexample_plugin.so");
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", server.pid())).unwrap();
    assert!(
        !maps.contains(library.to_str().unwrap()),
        "the server maps {}",
        library.display()
    );
    assert!(maps.contains("memfd:libexample_plugin.so"), "{maps}");

    // `cp new-build over it` rewrites the same inode: first half a file, then another
    // library altogether, then nothing at all.
    let original = std::fs::read(&library).unwrap();
    std::fs::write(&library, &original[..original.len() / 2]).unwrap();
    assert_eq!(client.get("/plugins/example-plugin/").status, 200);
    let other = std::fs::read(support::paths::plugin_library("dependent_plugin")).unwrap();
    std::fs::write(&library, other).unwrap();
    for _ in 0..20 {
        let page = client.get("/plugins/example-plugin/");
        assert_eq!(page.status, 200, "{}", server.log());
        assert!(page.body.contains("Hello from the example plugin"));
    }
    std::fs::remove_file(&library).unwrap();
    assert_eq!(client.get("/plugins/example-plugin/").status, 200);
    assert_eq!(
        client.get("/api/plugins/example-plugin/status/").status,
        200
    );
    assert!(server.is_running(), "{}", server.log());

    // The next start reads the file as it now is.
    let out = root.run(&["check"]);
    assert_eq!(out.code, 4);
    assert!(out.stderr.contains("library not found"), "{}", out.stderr);
}

#[test]
fn plugins_install_checks_the_file_and_places_it_atomically() {
    let root = Root::new(Backend::Sqlite);
    let source = support::paths::plugin_library("example_plugin");
    let digest = sha256_of(&source);
    let out = root
        .run(&["plugins", "install", source.to_str().unwrap()])
        .success();
    let placed = root.plugins_dir().join("libexample_plugin.so");
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        format!(
            "Installed example_plugin 1.0.0 (sha256 {digest}) as {}.",
            placed.display()
        )
    );
    assert!(out.stdout.contains("add \"example_plugin\" to PLUGINS"));
    assert_eq!(sha256_of(&placed), digest);
    let leftovers: Vec<_> = std::fs::read_dir(root.plugins_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(leftovers, vec!["libexample_plugin.so".to_string()]);

    // A file any load check refuses is refused with check's line, and nothing is placed.
    let garbage = root.path().join("libgarbage.so");
    std::fs::write(&garbage, "not a library").unwrap();
    for (file, fragment) in [
        (garbage.clone(), "Plugin 'garbage'"),
        (
            support::paths::plugin_library("bad_models"),
            "model bad_models.widget uses a reserved field name",
        ),
        (
            support::paths::plugin_library("future_plugin"),
            "requires Nautobot minimum version 9.0.0",
        ),
    ] {
        let out = root.run(&["plugins", "install", file.to_str().unwrap()]);
        assert_eq!(out.code, 4, "{}", out.stderr);
        assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
        assert!(out.stderr.contains(fragment), "{}", out.stderr);
    }
    let names: Vec<_> = std::fs::read_dir(root.plugins_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, vec!["libexample_plugin.so".to_string()]);

    let odd = root.path().join("example.so");
    std::fs::copy(&source, &odd).unwrap();
    let out = root.run(&["plugins", "install", odd.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("is not named like a plugin library"));
}

#[test]
fn plugins_sha256_pins_a_library() {
    let mut root = Root::new(Backend::Sqlite);
    root.plugins(&["example_plugin"]);
    let library = root.plugins_dir().join("libexample_plugin.so");
    let digest = sha256_of(&library);

    // inspect prints the digest to pin.
    let out = root
        .run(&["plugins", "inspect", library.to_str().unwrap()])
        .success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["sha256"], digest.as_str());

    let wrong = "0".repeat(64);
    root.set(
        "PLUGINS_SHA256",
        &format!("{{ example_plugin = \"{wrong}\" }}"),
    );
    for command in [&["check"][..], &["migrate"]] {
        let out = root.run(command);
        assert_eq!(out.code, 4, "{}", out.stderr);
        assert_eq!(
            out.stderr.trim(),
            format!(
                "Error: Plugin 'example_plugin' ({}): library differs from its PLUGINS_SHA256 pin: expected sha256 {wrong}, found sha256 {digest}",
                library.display()
            )
        );
    }
    // install refuses a file the pin does not match.
    let out = root.run(&[
        "plugins",
        "install",
        support::paths::plugin_library("example_plugin")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out
        .stderr
        .contains("update PLUGINS_SHA256.example_plugin first"));

    // The right pin (any case) loads.
    root.set(
        "PLUGINS_SHA256",
        &format!("{{ example_plugin = \"{}\" }}", digest.to_uppercase()),
    );
    root.run(&["migrate"]).success();
    let out = root.run(&["check"]).success();
    assert!(out.stdout.contains("no issues"));

    // A malformed pin is a configuration error.
    root.set("PLUGINS_SHA256", "{ example_plugin = \"abc\" }");
    let out = root.run(&["check"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out
        .stderr
        .contains("PLUGINS_SHA256.example_plugin must be the library's SHA-256 digest as 64 hexadecimal digits"));
}
