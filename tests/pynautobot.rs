//! The REST API as the real `pynautobot` 3.x client sees it: the pytest suite in
//! `tests/pynautobot/` runs against a live server with the example plugin, on SQLite and
//! on PostgreSQL.
//!
//! `scripts/test` prepares the Python side in `target/pyvenv` (`NAUTOBOT_TEST_PYTHON`
//! names another interpreter). Without it the test is skipped with a printed reason —
//! except under `CI=true`, where it must run. `PYNAUTOBOT_PYTEST_ARGS` adds arguments
//! to pytest's, split on whitespace (e.g. `-k plugin`).

use std::{process::Command, time::Duration};

use support::{
    both_backends,
    python::{python_or_skip, run_tool, workspace_root},
    Backend, Root, ADMIN_TOKEN,
};

both_backends!(pynautobot_drives_the_rest_api);

/// How long the whole pytest run may take before it is stopped.
const PYTEST_TIMEOUT: Duration = Duration::from_secs(600);

/// `PYNAUTOBOT_PYTEST_ARGS`, split on whitespace.
fn extra_pytest_args() -> Vec<String> {
    std::env::var("PYNAUTOBOT_PYTEST_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn pynautobot_drives_the_rest_api(backend: Backend) {
    let Some(python) = python_or_skip("pynautobot_drives_the_rest_api", &["pynautobot", "pytest"])
    else {
        return;
    };
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();

    let mut cmd = Command::new(&python);
    cmd.args([
        "-m",
        "pytest",
        "-q",
        "-x",
        "--tb=short",
        "-p",
        "no:cacheprovider",
    ])
    .args(extra_pytest_args())
    .arg("tests/pynautobot")
    .current_dir(workspace_root())
    .env("NAUTOBOT_URL", server.base_url())
    .env("NAUTOBOT_TOKEN", ADMIN_TOKEN);
    let run = run_tool(cmd, root.path(), "pytest", PYTEST_TIMEOUT);
    if run.success() {
        return;
    }
    panic!(
        "{} ({backend:?})\n--- pytest stdout:\n{}\n--- pytest stderr:\n{}\n--- server log:\n{}",
        run.outcome("pytest", PYTEST_TIMEOUT),
        run.stdout,
        run.stderr,
        server.log()
    );
}
