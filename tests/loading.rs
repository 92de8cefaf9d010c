//! Every way a plugin can be refused at start-up, each with its own real library fixture
//! and its own one-line message naming the plugin, the file, what was expected and what
//! was found. These run `nautobot-server check` (and once `start`) in a fresh root.

use support::{Backend, Output, Root};

/// A root on SQLite with `plugins` installed and listed (no database needed: the plugin
/// checks fail before the database is opened).
fn root_with(plugins: &[&str]) -> Root {
    let mut root = Root::new(Backend::Sqlite);
    root.plugins(plugins);
    root
}

/// Asserts that `check` refused the plugin with exactly one line on stderr that starts
/// with `Error: Plugin '<plugin>'` and contains every fragment — and nothing like a
/// panic, backtrace or layout dump.
fn assert_refused(out: &Output, plugin: &str, fragments: &[&str]) -> String {
    assert_eq!(out.code, 4, "exit code of a refused plugin\n{}", out.stderr);
    let lines = out.stderr_lines();
    assert_eq!(
        lines.len(),
        1,
        "exactly one line on stderr, got:\n{}",
        out.stderr
    );
    let line = lines[0];
    assert!(
        line.starts_with(&format!("Error: Plugin '{plugin}'")),
        "the line names the plugin: {line}"
    );
    for fragment in fragments {
        assert!(line.contains(fragment), "expected {fragment:?} in: {line}");
    }
    for noise in [
        "panicked at",
        "stack backtrace",
        "RootModule",
        "layout",
        "\t",
    ] {
        assert!(
            !out.stderr.contains(noise),
            "no {noise:?} in: {}",
            out.stderr
        );
    }
    line.to_string()
}

fn file_of(root: &Root, plugin: &str) -> String {
    root.plugins_dir()
        .join(format!("lib{plugin}.so"))
        .display()
        .to_string()
}

#[test]
fn a_missing_library_names_the_path_searched() {
    let mut root = Root::new(Backend::Sqlite);
    root.set("PLUGINS", "[\"ghost_plugin\"]");
    let path = file_of(&root, "ghost_plugin");
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "ghost_plugin",
        &[
            &format!("({path})"),
            "library not found",
            &format!("expected a file at {path}"),
            "found no such file",
        ],
    );
}

#[test]
fn a_file_that_is_not_a_library_is_refused() {
    let mut root = Root::new(Backend::Sqlite);
    std::fs::write(
        root.plugins_dir().join("libgarbage.so"),
        "#!/bin/sh\necho hi\n",
    )
    .unwrap();
    root.set("PLUGINS", "[\"garbage\"]");
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "garbage",
        &[
            "not a loadable library",
            "expected a shared library",
            "found a file the loader refuses",
        ],
    );
}

#[test]
fn a_library_without_our_root_module_is_refused() {
    let root = root_with(&["no_root_module"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "no_root_module",
        &[
            &file_of(&root, "no_root_module"),
            "not a Nautobot plugin",
            "expected a library exporting the nautobot_plugin root module",
            "found a library without an abi_stable root module",
        ],
    );
}

#[test]
fn a_plugin_built_for_another_abi_major_is_refused() {
    let root = root_with(&["abi_v2_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "abi_v2_plugin",
        &[
            "built for an incompatible plugin ABI",
            "expected nautobot-plugin-abi 1.x",
            "found nautobot-plugin-abi 2.0.0",
        ],
    );
}

#[test]
fn a_plugin_built_with_panic_abort_is_refused() {
    let root = root_with(&["panic_abort_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "panic_abort_plugin",
        &[
            "built with panic = \"abort\"",
            "expected panic = \"unwind\"",
            "found panic = \"abort\"",
        ],
    );
}

#[test]
fn a_manifest_name_that_differs_from_the_plugins_entry_is_refused() {
    let mut root = Root::new(Backend::Sqlite);
    let library = support::paths::plugin_library("example_plugin");
    std::fs::copy(library, root.plugins_dir().join("librenamed_plugin.so")).unwrap();
    root.set("PLUGINS", "[\"renamed_plugin\"]");
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "renamed_plugin",
        &[
            "manifest name differs from the PLUGINS entry",
            "expected 'renamed_plugin', found 'example_plugin'",
        ],
    );
}

#[test]
fn a_plugin_requiring_a_newer_host_is_refused() {
    let root = root_with(&["future_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "future_plugin",
        &[
            "requires Nautobot minimum version 9.0.0",
            "expected host version >= 9.0.0",
            "found 1.2.0",
        ],
    );
}

#[test]
fn a_plugin_supporting_only_older_hosts_is_refused() {
    let root = root_with(&["ancient_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "ancient_plugin",
        &[
            "requires Nautobot maximum version 0.9.0",
            "expected host version <= 0.9.0",
            "found 1.2.0",
        ],
    );
}

#[test]
fn a_missing_required_setting_is_refused_and_loads_once_given() {
    let mut root = root_with(&["settings_plugin"]);
    let out = root.run(&["check"]);
    let config = root.config_path().display().to_string();
    assert_refused(
        &out,
        "settings_plugin",
        &[
            "requires 'api_token' to be present in the PLUGINS_CONFIG['settings_plugin'] section",
            &format!("expected PLUGINS_CONFIG.settings_plugin.api_token in {config}"),
            "found no such key",
        ],
    );
    root.plugin_config("settings_plugin", "api_token = \"s3cret\"");
    root.run(&["migrate"]).success();
    let out = root.run(&["check"]).success();
    assert!(out
        .stdout
        .contains("System check identified no issues (1 plugin loaded)."));
}

#[test]
fn an_invalid_base_url_is_refused() {
    let root = root_with(&["bad_base_url_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "bad_base_url_plugin",
        &[
            "invalid base_url",
            "expected lower-case letters, digits and hyphens",
            "found 'Bad URL!'",
        ],
    );
}

#[test]
fn a_duplicate_base_url_is_refused() {
    let root = root_with(&["example_plugin", "duplicate_base_url_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "duplicate_base_url_plugin",
        &[
            "base_url already in use",
            "found 'example-plugin', the base_url of 'example_plugin'",
        ],
    );
}

#[test]
fn a_route_outside_the_namespace_is_refused() {
    let root = root_with(&["route_escape_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "route_escape_plugin",
        &[
            "view 'escape' has a path outside the plugin's namespace",
            "found '../../admin/'",
        ],
    );
}

#[test]
fn a_home_page_item_linking_to_no_view_is_refused() {
    let root = root_with(&["bad_home_panel_plugin"]);
    let out = root.run(&["check"]);
    let file = file_of(&root, "bad_home_panel_plugin");
    let line = assert_refused(
        &out,
        "bad_home_panel_plugin",
        &[
            "home page item 'Widgets' of panel 'Widgets' links to no view",
            "expected one of the plugin's views without path parameters (home), or <model>_list / <model>_add",
            "found 'widgets_list'",
        ],
    );
    assert_eq!(
        line,
        format!("Error: Plugin 'bad_home_panel_plugin' ({file}): home page item 'Widgets' of panel 'Widgets' links to no view: expected one of the plugin's views without path parameters (home), or <model>_list / <model>_add, found 'widgets_list'")
    );
}

#[test]
fn a_template_outside_the_namespace_is_refused() {
    let root = root_with(&["template_escape_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "template_escape_plugin",
        &[
            "template outside the plugin's namespace",
            "expected a template name starting with 'template_escape_plugin/'",
            "found 'base.html'",
        ],
    );
}

#[test]
fn a_static_file_outside_the_namespace_is_refused() {
    let root = root_with(&["static_escape_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "static_escape_plugin",
        &[
            "static file outside the plugin's namespace",
            "found '../nautobot/css/base.css'",
        ],
    );
}

#[test]
fn a_missing_dependency_is_refused() {
    let root = root_with(&["needs_missing_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "needs_missing_plugin",
        &[
            "dependency 'not_installed_plugin' is missing",
            "expected 'not_installed_plugin' listed in PLUGINS",
            "found PLUGINS = [\"needs_missing_plugin\"]",
        ],
    );
}

#[test]
fn a_dependency_of_the_wrong_version_is_refused() {
    let root = root_with(&["example_plugin", "needs_newer_example"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "needs_newer_example",
        &[
            "dependency 'example_plugin' has an unsupported version",
            "expected example_plugin >=9.0.0",
            "found example_plugin 1.0.0",
        ],
    );
}

#[test]
fn a_dependency_cycle_is_refused() {
    let root = root_with(&["cycle_a_plugin", "cycle_b_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "cycle_a_plugin",
        &[
            "dependency cycle",
            "found cycle_a_plugin -> cycle_b_plugin -> cycle_a_plugin",
        ],
    );
}

#[test]
fn dependencies_load_first_whatever_the_order_of_plugins() {
    let root = root_with(&["dependent_plugin", "example_plugin"]);
    root.run(&["migrate"]).success();
    let out = root.run(&["plugins", "list"]).success();
    let example = out
        .stdout
        .find("example_plugin ")
        .expect("example_plugin listed");
    let dependent = out
        .stdout
        .find("dependent_plugin ")
        .expect("dependent_plugin listed");
    assert!(example < dependent, "load order:\n{}", out.stdout);
    root.run(&["check"]).success();
}

#[test]
fn an_extension_of_a_field_that_does_not_exist_is_refused() {
    let root = root_with(&["bad_extension_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "bad_extension_plugin",
        &[
            &file_of(&root, "bad_extension_plugin"),
            "an extension does not resolve",
            "filter extension 'bad_extension_plugin_rack'",
            "'dcim.device' has no field 'rack'",
        ],
    );
}

#[test]
fn a_panic_inside_instantiate_is_refused() {
    let root = root_with(&["panic_ready_plugin"]);
    let out = root.run(&["check"]);
    assert_refused(
        &out,
        "panic_ready_plugin",
        &[
            "panicked while starting",
            "found a panic: the database of widgets is missing",
            "panic_ready_plugin/src/lib.rs",
        ],
    );
}

#[test]
fn the_same_plugin_listed_twice_is_refused() {
    let root = root_with(&["example_plugin", "example_plugin"]);
    let out = root.run(&["check"]);
    let line = assert_refused(
        &out,
        "example_plugin",
        &[
            "listed twice in PLUGINS",
            "found 'example_plugin' at positions 1 and 2",
        ],
    );
    assert!(line.starts_with("Error: Plugin 'example_plugin': listed twice"));
}

#[test]
fn start_stops_with_the_same_line_as_check() {
    let root = root_with(&["future_plugin"]);
    let check = root.run(&["check"]);
    let start = root.run(&["start", "--bind", "127.0.0.1:0"]);
    assert_eq!(start.code, 4, "{}", start.stderr);
    assert_eq!(check.stderr_lines(), start.stderr_lines());
}

/// A library cut short (an interrupted copy) is refused in one line by `check`,
/// `plugins inspect`, `plugins install` and `start` — never a SIGBUS.
#[test]
fn a_truncated_library_is_refused_in_one_line() {
    let whole = std::fs::read(support::paths::plugin_library("example_plugin")).unwrap();
    for keep in [1024, 64 * 1024, whole.len() / 2, whole.len() - 4096] {
        let mut root = Root::new(Backend::Sqlite);
        let library = root.plugins_dir().join("libexample_plugin.so");
        std::fs::write(&library, &whole[..keep]).unwrap();
        root.set("PLUGINS", "[\"example_plugin\"]");
        let out = root.run(&["check"]);
        let line = assert_refused(
            &out,
            "example_plugin",
            &["not a loadable library", "cut short"],
        );
        assert!(line.contains(&format!("{keep} bytes")), "{line}");
        let out = root.run(&["plugins", "inspect", library.to_str().unwrap()]);
        assert_refused(&out, "example_plugin", &["cut short"]);
        let elsewhere = root.path().join("libexample_plugin.so");
        std::fs::rename(&library, &elsewhere).unwrap();
        let out = root.run(&["plugins", "install", elsewhere.to_str().unwrap()]);
        assert_ne!(out.code, 0, "{}", out.stdout);
        assert!(out.code > 0, "an exit code, not a signal: {}", out.code);
        assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
        assert!(out.stderr.contains("cut short"), "{}", out.stderr);
        std::fs::rename(&elsewhere, &library).unwrap();
        let out = root.run(&["start", "--bind", "127.0.0.1:1"]);
        assert!(out.code > 0, "an exit code, not a signal: {}", out.code);
        assert!(out.stderr.contains("cut short"), "{}", out.stderr);
    }
}
