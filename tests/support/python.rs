//! Python tools driven against a started server: the interpreter of `target/pyvenv`
//! (which `scripts/test` creates and fills), and one run of a tool with its output in
//! files and a time limit.

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

/// The workspace root: the parent of the `tests/` crate's folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lies inside the workspace")
        .to_path_buf()
}

/// The Python that can import every one of `modules` (`NAUTOBOT_TEST_PYTHON`, else
/// `target/pyvenv/bin/python`), or why there is none.
pub fn python_with(modules: &[&str]) -> Result<PathBuf, String> {
    let python = std::env::var_os("NAUTOBOT_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/pyvenv/bin/python"));
    let imports = Command::new(&python)
        .args(["-c", &format!("import {}", modules.join(", "))])
        .stdin(Stdio::null())
        .output();
    match imports {
        Ok(out) if out.status.success() => Ok(python),
        Ok(out) => Err(format!(
            "{} cannot import {} (run scripts/test, which installs them): {}",
            python.display(),
            modules.join(", "),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(err) => Err(format!(
            "{} cannot be run (run scripts/test, which creates it): {err}",
            python.display()
        )),
    }
}

/// [`python_with`]; `None` (after printing why) when `test` is to be skipped — never
/// under `CI=true`, where the packages must be there.
pub fn python_or_skip(test: &str, modules: &[&str]) -> Option<PathBuf> {
    match python_with(modules) {
        Ok(python) => Some(python),
        Err(reason) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{test} needs the Python virtualenv under CI=true: {reason}");
            }
            println!("SKIPPED {test}: {reason}");
            None
        }
    }
}

/// What a tool run printed and how it ended.
pub struct ToolRun {
    /// The exit status; `None` when it ran past its time and was stopped.
    pub status: Option<ExitStatus>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl ToolRun {
    /// Whether it exited with success.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// How it ended, in words.
    pub fn outcome(&self, tool: &str, limit: Duration) -> String {
        match self.status {
            Some(status) => format!("{tool} exited with {status}"),
            None => format!("{tool} did not finish within {limit:?} and was stopped"),
        }
    }
}

/// Runs `cmd` — without the `NAUTOBOT_*` and `PYTEST_*` variables of this process
/// (those `cmd` sets itself stay), never through a proxy for loopback — for at most
/// `limit`, its output written to `<dir>/<name>.stdout` and `.stderr` (a pipe left
/// unread could fill up and stall it).
pub fn run_tool(mut cmd: Command, dir: &Path, name: &str, limit: Duration) -> ToolRun {
    let own: Vec<std::ffi::OsString> = cmd.get_envs().map(|(k, _)| k.to_owned()).collect();
    for (key, _) in std::env::vars() {
        if (key.starts_with("NAUTOBOT_") || key.starts_with("PYTEST_"))
            && !own.iter().any(|k| *k == *key)
        {
            cmd.env_remove(key);
        }
    }
    let stdout_path = dir.join(format!("{name}.stdout"));
    let stderr_path = dir.join(format!("{name}.stderr"));
    let mut child = cmd
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("create the tool's stdout file"))
        .stderr(std::fs::File::create(&stderr_path).expect("create the tool's stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("run {name}: {e}"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the tool") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    ToolRun {
        status,
        stdout: std::fs::read_to_string(&stdout_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
    }
}
