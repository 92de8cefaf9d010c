//! The REST API as the real `pynautobot` 3.x client sees it: the pytest suite in
//! `tests/pynautobot/` runs against a live server with the example plugin, on SQLite and
//! on PostgreSQL.
//!
//! `scripts/test` prepares the Python side in `target/pyvenv` (`NAUTOBOT_TEST_PYTHON`
//! names another interpreter). Without it the test is skipped with a printed reason —
//! except under `CI=true`, where it must run. `PYNAUTOBOT_PYTEST_ARGS` adds arguments
//! to pytest's, split on whitespace (e.g. `-k plugin`).

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use support::{both_backends, Backend, Root, ADMIN_TOKEN};

both_backends!(pynautobot_drives_the_rest_api);

/// How long the whole pytest run may take before it is stopped.
const PYTEST_TIMEOUT: Duration = Duration::from_secs(600);

/// The workspace root: the parent of this crate's folder.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lies inside the workspace")
        .to_path_buf()
}

/// The Python that has `pynautobot` and `pytest`, or why there is none.
fn python() -> Result<PathBuf, String> {
    let python = std::env::var_os("NAUTOBOT_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/pyvenv/bin/python"));
    let imports = Command::new(&python)
        .args(["-c", "import pynautobot, pytest"])
        .stdin(Stdio::null())
        .output();
    match imports {
        Ok(out) if out.status.success() => Ok(python),
        Ok(out) => Err(format!(
            "{} cannot import pynautobot and pytest (run scripts/test, which installs them): {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(err) => Err(format!(
            "{} cannot be run (run scripts/test, which creates it): {err}",
            python.display()
        )),
    }
}

/// The Python to use; `None` (after printing why) when the test is to be skipped.
fn python_or_skip(test: &str) -> Option<PathBuf> {
    match python() {
        Ok(python) => Some(python),
        Err(reason) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{test} needs the pynautobot virtualenv under CI=true: {reason}");
            }
            println!("SKIPPED {test}: {reason}");
            None
        }
    }
}

/// `PYNAUTOBOT_PYTEST_ARGS`, split on whitespace.
fn extra_pytest_args() -> Vec<String> {
    std::env::var("PYNAUTOBOT_PYTEST_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn pynautobot_drives_the_rest_api(backend: Backend) {
    let Some(python) = python_or_skip("pynautobot_drives_the_rest_api") else {
        return;
    };
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();

    // Output goes to files: a pipe left unread could fill up and stall pytest.
    let stdout_path = root.path().join("pytest.stdout");
    let stderr_path = root.path().join("pytest.stderr");
    let mut cmd = Command::new(&python);
    for (key, _) in std::env::vars() {
        if key.starts_with("NAUTOBOT_") || key.starts_with("PYTEST_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .args([
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
        .env("NAUTOBOT_TOKEN", ADMIN_TOKEN)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("create pytest.stdout"))
        .stderr(std::fs::File::create(&stderr_path).expect("create pytest.stderr"))
        .spawn()
        .unwrap_or_else(|e| panic!("run {} -m pytest: {e}", python.display()));

    let deadline = Instant::now() + PYTEST_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for pytest") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let outcome = match status {
        Some(status) if status.success() => return,
        Some(status) => format!("pytest exited with {status}"),
        None => format!("pytest did not finish within {PYTEST_TIMEOUT:?} and was stopped"),
    };
    panic!(
        "{outcome} ({backend:?})\n--- pytest stdout:\n{stdout}\n--- pytest stderr:\n{stderr}\n--- server log:\n{}",
        server.log()
    );
}
