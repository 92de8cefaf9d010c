//! [`TestServer`]: a temporary `nautobot-server` installation with the plugins under
//! test, serving on a free loopback port.

use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

use command_fds::{CommandFdExt, FdMapping};
use serde_json::{json, Value};

use crate::{backend::TestDatabase, client::Client, util, Backend};

/// The superuser every test server has.
pub const ADMIN_USERNAME: &str = "admin";
/// The superuser's password.
pub const ADMIN_PASSWORD: &str = "admin";

/// How long [`TestServerBuilder::start`] waits for the server to answer.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long [`TestServer::run_job`] waits for a run to finish.
const JOB_TIMEOUT: Duration = Duration::from_secs(120);

/// The `nautobot-server` binary: `NAUTOBOT_SERVER_BIN`, else `nautobot-server` on `PATH`.
/// Panics, naming both, when neither is there.
pub fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NAUTOBOT_SERVER_BIN").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "NAUTOBOT_SERVER_BIN is {}, which is not a file: point it at a built \
             nautobot-server binary",
            path.display()
        );
        return path;
    }
    let exe = format!("nautobot-server{}", std::env::consts::EXE_SUFFIX);
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(&exe);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "cannot find the nautobot-server binary: set NAUTOBOT_SERVER_BIN to its path, or put \
         nautobot-server on PATH"
    );
}

/// The file name of plugin `name`'s library on this OS (`lib<name>.so` on Linux).
pub fn library_file_name(name: &str) -> String {
    format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// Where the library of plugin `name` is looked for: `NAUTOBOT_PLUGIN_DIR` when set, else
/// the cargo target profile folder of the running test (`target/debug/` when the test
/// executable is `target/debug/deps/<test>-<hash>`; [`find_plugin_library`] looks in its
/// `deps/` too).
pub fn plugin_library_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("NAUTOBOT_PLUGIN_DIR").filter(|p| !p.is_empty()) {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe()
        .unwrap_or_else(|e| panic!("the test cannot find its own executable: {e}"));
    let parent = exe.parent().unwrap_or_else(|| Path::new("."));
    if parent.file_name().is_some_and(|n| n == "deps") {
        parent.parent().unwrap_or(parent).to_path_buf()
    } else {
        parent.to_path_buf()
    }
}

/// The library file of plugin `name` in [`plugin_library_dir`]. Panics when it is missing,
/// or — for the crate whose tests are running — when it is older than the crate's
/// `Cargo.toml`, `src/`, `templates/` or `static/` (a stale build would be tested).
pub fn find_plugin_library(name: &str) -> PathBuf {
    let dir = plugin_library_dir();
    let file = library_file_name(name);
    let path = dir.join(&file);
    // Without NAUTOBOT_PLUGIN_DIR, also `target/<profile>/deps/`: where `cargo test` leaves
    // the library it builds for the tests (only `cargo build` copies it one folder up).
    // The newer of the two is the one to test.
    let path = if std::env::var_os("NAUTOBOT_PLUGIN_DIR").is_some_and(|d| !d.is_empty()) {
        path
    } else {
        let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
        let in_deps = dir.join("deps").join(&file);
        match (modified(&path), modified(&in_deps)) {
            (Some(top), Some(deps)) if deps > top => in_deps,
            (None, Some(_)) => in_deps,
            _ => path,
        }
    };
    assert!(
        path.is_file(),
        "the library of plugin {name} is missing: expected {}; run `cargo build` first \
         (or set NAUTOBOT_PLUGIN_DIR to the folder holding it, or give the file with \
         TestServerBuilder::library)",
        path.display()
    );
    if let Some(source) = newer_source(name, &path) {
        panic!(
            "the library of plugin {name}, {}, is older than {}: run `cargo build` first \
             (`cargo test` builds it itself only when the crate-type list has \"rlib\" \
             besides \"cdylib\")",
            path.display(),
            source.display()
        );
    }
    path
}

/// For the crate under test (cargo sets `CARGO_PKG_NAME` and `CARGO_MANIFEST_DIR` when it
/// runs tests): a source file changed after `library` was built, if any.
fn newer_source(name: &str, library: &Path) -> Option<PathBuf> {
    let package = std::env::var("CARGO_PKG_NAME").ok()?;
    if package.replace('-', "_") != name {
        return None;
    }
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let built = fs::metadata(library).and_then(|m| m.modified()).ok()?;
    let mut pending = vec![
        manifest_dir.join("Cargo.toml"),
        manifest_dir.join("src"),
        manifest_dir.join("templates"),
        manifest_dir.join("static"),
    ];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        seen += 1;
        if seen > 10_000 {
            return None;
        }
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(entries) = fs::read_dir(&path) {
                pending.extend(entries.flatten().map(|e| e.path()));
            }
        } else if meta.modified().is_ok_and(|m| m > built) {
            return Some(path);
        }
    }
    None
}

/// What a `nautobot-server` command printed, and how it exited.
#[derive(Debug, Clone)]
pub struct CliOutput {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CliOutput {
    /// Panics, showing everything the command printed, unless it exited with 0.
    pub fn success(self) -> CliOutput {
        assert_eq!(
            self.code, 0,
            "the command failed with exit code {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// One finished job run, as [`TestServer::run_job`] returns it.
#[derive(Debug, Clone)]
pub struct JobResult {
    /// The job result's id.
    pub id: String,
    /// The final status: `success`, `failure` or `revoked`.
    pub status: String,
    /// The log entries, oldest first, as `/api/extras/job-logs/` gives them (each with
    /// `log_level.value`, `message`, `log_object`, `absolute_url` …).
    pub log: Vec<Value>,
    /// What the job returned (`null` unless it succeeded).
    pub result: Value,
    /// Why it failed (`""` otherwise).
    pub traceback: String,
    /// The whole job result, as `/api/extras/job-results/<id>/` gives it.
    pub raw: Value,
}

impl JobResult {
    /// The log as `"<level>: <message>"` lines, e.g. `"success: Created x-1"`.
    pub fn messages(&self) -> Vec<String> {
        self.log
            .iter()
            .map(|entry| {
                let level = entry["log_level"]["value"]
                    .as_str()
                    .or_else(|| entry["log_level"].as_str())
                    .unwrap_or_default();
                format!("{level}: {}", entry["message"].as_str().unwrap_or_default())
            })
            .collect()
    }

    /// Whether the run succeeded.
    pub fn succeeded(&self) -> bool {
        self.status == "success"
    }
}

/// Builds a [`TestServer`]; see [`TestServer::builder`].
#[derive(Debug, Clone, Default)]
#[must_use = "call .start() to start the server"]
pub struct TestServerBuilder {
    plugins: Vec<String>,
    libraries: Vec<(String, PathBuf)>,
    plugin_configs: Vec<(String, Value)>,
    settings: Vec<(String, Value)>,
    backend: Backend,
}

impl TestServerBuilder {
    /// Loads plugin `name`: lists it in `PLUGINS` and copies its library into the test
    /// server's `PLUGINS_DIR`. The library is `lib<name>.so` in the cargo target folder
    /// of the running test (see [`plugin_library_dir`]) unless [`library`] gave it.
    /// Plugins are listed in the order added.
    ///
    /// [`library`]: TestServerBuilder::library
    pub fn plugin(mut self, name: &str) -> Self {
        if !self.plugins.iter().any(|p| p == name) {
            self.plugins.push(name.to_string());
        }
        self
    }

    /// Loads the plugin library at `path` (a `lib<name>.so` file): the plugin is named
    /// after the file, listed in `PLUGINS` like [`plugin`](TestServerBuilder::plugin) does,
    /// and this file is used instead of searching for one. Panics if the file is missing
    /// or not named like a plugin library.
    pub fn library(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        assert!(
            path.is_file(),
            "the plugin library {} does not exist",
            path.display()
        );
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let name = file
            .strip_prefix(std::env::consts::DLL_PREFIX)
            .and_then(|f| f.strip_suffix(std::env::consts::DLL_SUFFIX))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| {
                panic!(
                    "{} is not named like a plugin library: expected {}",
                    path.display(),
                    library_file_name("<plugin name>")
                )
            })
            .to_string();
        self.libraries.retain(|(n, _)| *n != name);
        self.libraries.push((name.clone(), path.to_path_buf()));
        self.plugin(&name)
    }

    /// Sets plugin `name`'s settings: `[PLUGINS_CONFIG.<name>]` in the configuration,
    /// from a JSON object (`json!({"greeting": "hi"})`; `null` values are not possible in
    /// TOML and panic).
    pub fn plugin_config(mut self, name: &str, settings: Value) -> Self {
        self.plugin_configs.retain(|(n, _)| n != name);
        self.plugin_configs.push((name.to_string(), settings));
        self
    }

    /// Sets any other configuration key, e.g. `.setting("LOGIN_REQUIRED", json!(false))`,
    /// `.setting("EXEMPT_VIEW_PERMISSIONS", json!(["*"]))` or
    /// `.setting("JOBS_AUTO_ENABLE", json!(true))`. The kit already sets `SECRET_KEY`
    /// (through `init`), `DATABASE_URL`, `PLUGINS`, `PLUGINS_DIR`, `ALLOWED_HOSTS` and
    /// `LOG_LEVEL` (`"INFO"`); a setting given here wins.
    pub fn setting(mut self, key: &str, value: Value) -> Self {
        self.settings.retain(|(k, _)| k != key);
        self.settings.push((key.to_string(), value));
        self
    }

    /// The database backend (default [`Backend::Sqlite`]).
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Sets the server up and starts it: a temporary `NAUTOBOT_ROOT` (`nautobot-server
    /// init`), the configuration, the plugin libraries copied into its `PLUGINS_DIR`,
    /// `migrate`, `collectstatic --no-input`, the superuser [`ADMIN_USERNAME`] with
    /// [`ADMIN_PASSWORD`] and an API token, then `nautobot-server start` on a free
    /// loopback port, waiting (at most 60 s) until `/health/` answers.
    ///
    /// Panics with the command's output (or the server's log) when any step fails.
    pub fn start(self) -> TestServer {
        let binary = server_binary();
        let mut libraries = Vec::new();
        for name in &self.plugins {
            let path = self
                .libraries
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, p)| p.clone())
                .unwrap_or_else(|| find_plugin_library(name));
            libraries.push(path);
        }
        let dir = tempfile::Builder::new()
            .prefix("nautobot-plugin-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let root = dir.path().to_path_buf();
        let database = TestDatabase::create(self.backend, &root);
        let mut server = TestServer {
            child: None,
            worker: Mutex::new(None),
            port: 0,
            log_path: root.join("server.log"),
            worker_log_path: root.join("worker.log"),
            binary,
            backend: self.backend,
            admin_token: util::random_hex(40),
            plugins: self.plugins.clone(),
            database: Some(database),
            dir: Some(dir),
            root,
        };
        server.run_cli(&["init"]).success();
        let plugins_dir = server.root.join("plugins");
        fs::create_dir_all(&plugins_dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", plugins_dir.display()));
        for source in &libraries {
            let target = plugins_dir.join(source.file_name().unwrap_or_default());
            fs::copy(source, &target).unwrap_or_else(|e| {
                panic!(
                    "cannot copy {} to {}: {e}",
                    source.display(),
                    target.display()
                )
            });
        }
        server.write_config(&self, &plugins_dir);
        server.run_cli(&["migrate"]).success();
        server.run_cli(&["collectstatic", "--no-input"]).success();
        let token = server.admin_token.clone();
        server
            .run_cli(&[
                "createsuperuser",
                "--username",
                ADMIN_USERNAME,
                "--email",
                "admin@example.com",
                "--password",
                ADMIN_PASSWORD,
                "--token",
                &token,
            ])
            .success();
        server.serve();
        server
    }
}

/// A running `nautobot-server` with the plugins under test, in a temporary
/// `NAUTOBOT_ROOT` with a database of its own.
///
/// Dropping it stops the server (and the job worker, if [`run_job`](TestServer::run_job)
/// started one), drops its PostgreSQL database and deletes the root.
///
/// The kit **panics** with a clear message on any failure (a missing binary or library,
/// a command that fails, a server that does not start, a job that does not finish): it
/// is meant for tests, where a panic is a failed test with its reason.
///
/// ```no_run
/// use nautobot_plugin_test::{backends, TestServer};
/// use serde_json::json;
///
/// #[test]
/// fn my_api_works() {
///     for backend in backends("my_api_works") {
///         let server = TestServer::builder()
///             .plugin("my_plugin")
///             .plugin_config("my_plugin", json!({"greeting": "hi"}))
///             .backend(backend)
///             .start();
///         let admin = server.admin();
///         let res = admin.post_json("/api/plugins/my-plugin/things/", &json!({"name": "a"}));
///         assert_eq!(res.status, 201, "{}", res.body);
///         let viewer = server.user_with_permissions("viewer", &["my_plugin.view_thing"]);
///         assert_eq!(viewer.get("/api/plugins/my-plugin/things/").json()["count"], 1);
///         assert_eq!(server.anonymous().get("/api/plugins/my-plugin/things/").status, 403);
///         let run = server.run_job("my_plugin.my_job", json!({"count": 2}));
///         assert_eq!(run.status, "success", "{:?}\n{}", run.messages(), server.log());
///     }
/// }
/// ```
pub struct TestServer {
    child: Option<Child>,
    worker: Mutex<Option<Child>>,
    port: u16,
    log_path: PathBuf,
    worker_log_path: PathBuf,
    binary: PathBuf,
    backend: Backend,
    admin_token: String,
    plugins: Vec<String>,
    // Dropped in this order after the processes are stopped: database, then root.
    database: Option<TestDatabase>,
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("url", &self.base_url())
            .field("root", &self.root)
            .field("backend", &self.backend)
            .field("plugins", &self.plugins)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// A builder with no plugins and [`Backend::Sqlite`]:
    /// `TestServer::builder().plugin("my_plugin").backend(backend).start()`.
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder::default()
    }

    /// The temporary `NAUTOBOT_ROOT` (configuration `nautobot_config.toml`, `plugins/`,
    /// `static/`, the SQLite file, and the server's and worker's logs).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The database backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The `DATABASE_URL` the server uses.
    pub fn database_url(&self) -> &str {
        self.database.as_ref().map(|d| d.url.as_str()).unwrap_or("")
    }

    /// The port the server listens on, at 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The absolute URL of `path` (`/api/…` → `http://127.0.0.1:<port>/api/…`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The superuser's API token key.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// A client acting as the superuser [`ADMIN_USERNAME`]: logged in to the UI (session
    /// cookie and CSRF token) and holding its API token. Each call logs in anew and
    /// returns a new client.
    pub fn admin(&self) -> Client {
        self.logged_in(ADMIN_USERNAME, ADMIN_PASSWORD, &self.admin_token)
    }

    /// Creates a regular (not superuser) user `username` holding exactly `permissions`
    /// (`"<app_label>.<action>_<model>"`, e.g. `"dcim.view_device"`,
    /// `"my_plugin.add_thing"`, `"extras.run_job"`), with a password and an API token,
    /// through `nautobot-server createuser`; returns a client logged in as that user
    /// (session and token), like [`admin`](TestServer::admin). Its password is
    /// `<username>-password`. Panics if the user cannot be created (e.g. it exists).
    pub fn user_with_permissions(&self, username: &str, permissions: &[&str]) -> Client {
        let password = format!("{username}-password");
        let token = util::random_hex(40);
        let mut args = vec![
            "createuser",
            "--username",
            username,
            "--password",
            &password,
            "--email",
            "user@example.com",
            "--token",
            &token,
        ];
        for permission in permissions {
            args.push("--permission");
            args.push(permission);
        }
        self.run_cli(&args).success();
        self.logged_in(username, &password, &token)
    }

    /// A client with no session and no token.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.base_url())
    }

    fn logged_in(&self, username: &str, password: &str, token: &str) -> Client {
        let mut client = Client::new(&self.base_url()).with_token(token);
        let res = client.login(username, password);
        assert_eq!(
            res.status,
            302,
            "logging in as {username} failed (status {}):\n{}\nserver log:\n{}",
            res.status,
            res.body,
            self.log()
        );
        client.set_user(username, password);
        client
    }

    /// Everything the server has written to stderr so far (its log, at `LOG_LEVEL`
    /// `INFO` unless a [`setting`](TestServerBuilder::setting) changed it).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Everything the job worker has written to stderr so far (empty before the first
    /// [`run_job`](TestServer::run_job)).
    pub fn worker_log(&self) -> String {
        fs::read_to_string(&self.worker_log_path).unwrap_or_default()
    }

    /// A `nautobot-server` command for this server's root (`NAUTOBOT_ROOT` set, the
    /// caller's other `NAUTOBOT_*` and `RUST_LOG` variables removed), not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.binary);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("NAUTOBOT_") || key == "RUST_LOG" {
                cmd.env_remove(key.as_ref());
            }
        }
        cmd.env("NAUTOBOT_ROOT", &self.root)
            .env("RUST_BACKTRACE", "0")
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `nautobot-server <args>` with this server's configuration and waits for it,
    /// e.g. `server.run_cli(&["check"]).success()`. Does not panic on failure: look at
    /// [`CliOutput::code`] or call [`CliOutput::success`].
    pub fn run_cli(&self, args: &[&str]) -> CliOutput {
        let out = self.command(args).output().unwrap_or_else(|e| {
            panic!(
                "cannot run {} {}: {e}",
                self.binary.display(),
                args.join(" ")
            )
        });
        CliOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The id of job `<plugin>.<job name>` as registered. Panics, listing the plugin's
    /// jobs, when there is no such job.
    pub fn job_id(&self, job: &str) -> String {
        let (module, class) = job.split_once('.').unwrap_or_else(|| {
            panic!("job {job:?} is not named <plugin>.<job name>, e.g. my_plugin.my_job")
        });
        let api = self.api();
        let list = api
            .get(&format!(
                "/api/extras/jobs/?module_name={module}&job_class_name={class}"
            ))
            .json();
        if let Some(id) = list["results"][0]["id"].as_str() {
            return id.to_string();
        }
        let all = api
            .get(&format!("/api/extras/jobs/?module_name={module}&limit=0"))
            .json();
        let names: Vec<String> = all["results"]
            .as_array()
            .map(|jobs| {
                jobs.iter()
                    .map(|j| format!("{module}.{}", j["job_class_name"].as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        panic!("there is no job {job}; the jobs of {module} are {names:?}");
    }

    /// Runs job `<plugin>.<job name>` with the variables `data` (a JSON object) as the
    /// superuser through the REST API, and waits (at most 120 s) until it is finished.
    ///
    /// The first call starts a `nautobot-server worker` for this server, kept running
    /// until the server is dropped. The job is enabled first if it is not. Panics if the
    /// run is refused (invalid variables: the answer is in the message), if it does not
    /// finish in time, or if the worker dies; a run that fails is **not** a panic — look
    /// at [`JobResult::status`].
    pub fn run_job(&self, job: &str, data: Value) -> JobResult {
        self.run_job_with(job, data, None)
    }

    /// [`run_job`](TestServer::run_job) as a dry run: its changes are rolled back.
    pub fn run_job_dryrun(&self, job: &str, data: Value) -> JobResult {
        self.run_job_with(job, data, Some(true))
    }

    fn run_job_with(&self, job: &str, data: Value, dryrun: Option<bool>) -> JobResult {
        let id = self.job_id(job);
        let api = self.api();
        let current = api.get(&format!("/api/extras/jobs/{id}/")).json();
        if current["enabled"] != json!(true) {
            let res = api.patch_json(
                &format!("/api/extras/jobs/{id}/"),
                &json!({"enabled": true}),
            );
            assert_eq!(res.status, 200, "enabling job {job} failed: {}", res.body);
        }
        self.ensure_worker();
        let mut body = json!({"data": data});
        if let Some(dryrun) = dryrun {
            body["dryrun"] = json!(dryrun);
        }
        let res = api.post_json(&format!("/api/extras/jobs/{id}/run/"), &body);
        assert_eq!(
            res.status, 201,
            "running job {job} was refused (status {}): {}",
            res.status, res.body
        );
        let result_id = res.json()["job_result"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("the run of {job} answered no job result id: {}", res.body))
            .to_string();
        let deadline = Instant::now() + JOB_TIMEOUT;
        loop {
            let raw = api
                .get(&format!("/api/extras/job-results/{result_id}/"))
                .json();
            let status = raw["status"]["value"]
                .as_str()
                .or_else(|| raw["status"].as_str())
                .unwrap_or_default()
                .to_string();
            if matches!(status.as_str(), "success" | "failure" | "revoked") {
                let logs = api
                    .get(&format!(
                        "/api/extras/job-logs/?job_result={result_id}&limit=0"
                    ))
                    .json();
                return JobResult {
                    id: result_id,
                    status,
                    log: logs["results"].as_array().cloned().unwrap_or_default(),
                    result: raw["result"].clone(),
                    traceback: raw["traceback"].as_str().unwrap_or_default().to_string(),
                    raw,
                };
            }
            self.check_worker_alive(job);
            assert!(
                Instant::now() < deadline,
                "job {job} did not finish within {} s (status {status:?})\nworker log:\n{}",
                JOB_TIMEOUT.as_secs(),
                self.worker_log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A client with the superuser's token only (no login needed).
    fn api(&self) -> Client {
        Client::new(&self.base_url()).with_token(&self.admin_token)
    }

    fn ensure_worker(&self) {
        let mut worker = self
            .worker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if worker.is_some() {
            return;
        }
        let log = fs::File::create(&self.worker_log_path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", self.worker_log_path.display()));
        let child = self
            .command(&["worker"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start nautobot-server worker: {e}"));
        *worker = Some(child);
    }

    fn check_worker_alive(&self, job: &str) {
        let mut worker = self
            .worker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(child) = worker.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                *worker = None;
                drop(worker);
                panic!(
                    "the job worker exited ({status}) while job {job} was running:\n{}",
                    self.worker_log()
                );
            }
        }
    }

    fn write_config(&self, builder: &TestServerBuilder, plugins_dir: &Path) {
        let path = self.root.join("nautobot_config.toml");
        let mut text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("nautobot-server init wrote no {}: {e}", path.display()));
        let plugins = Value::from(self.plugins.clone());
        let mut settings: Vec<(String, Value)> = vec![
            ("DATABASE_URL".into(), json!(self.database_url())),
            ("PLUGINS".into(), plugins),
            ("PLUGINS_DIR".into(), json!(plugins_dir.to_string_lossy())),
            (
                "STATIC_ROOT".into(),
                json!(self.root.join("static").to_string_lossy()),
            ),
            ("ALLOWED_HOSTS".into(), json!(["127.0.0.1", "localhost"])),
            ("LOG_LEVEL".into(), json!("INFO")),
        ];
        for (key, value) in &builder.settings {
            settings.retain(|(k, _)| k != key);
            settings.push((key.clone(), value.clone()));
        }
        for (key, value) in &settings {
            let value = util::toml_value(value).unwrap_or_else(|e| panic!("setting {key}: {e}"));
            text = util::set_top_level(&text, &util::toml_key(key), &value);
        }
        for (plugin, config) in &builder.plugin_configs {
            let section = util::plugin_section(plugin, config).unwrap_or_else(|e| panic!("{e}"));
            text.push_str(&section);
        }
        fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    fn serve(&mut self) {
        // The listening socket is bound here, on a port the system picks, and handed to
        // the server as systemd would (fd 3, `LISTEN_FDS=1`): with tests side by side, a
        // port found free and bound later by the server could be taken meanwhile.
        let socket = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("cannot bind a loopback socket: {e}"));
        let port = socket
            .local_addr()
            .unwrap_or_else(|e| panic!("cannot read the socket's address: {e}"))
            .port();
        let log = fs::File::create(&self.log_path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", self.log_path.display()));
        let mut command = self.command(&[
            "start",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "2",
        ]);
        command
            .env("LISTEN_FDS", "1")
            .fd_mappings(vec![FdMapping {
                parent_fd: socket.into(),
                child_fd: 3,
            }])
            .unwrap_or_else(|e| panic!("cannot hand the socket to nautobot-server: {e}"));
        let child = command
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start nautobot-server start: {e}"));
        // Our copy of the socket goes with the command: should the server die, waiting
        // connections are refused rather than queued.
        drop(command);
        self.child = Some(child);
        self.port = port;
        let deadline = Instant::now() + START_TIMEOUT;
        let probe = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .redirects(0)
            .build();
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "nautobot-server start exited ({status}) before answering; its log:\n{}",
                    self.log()
                );
            }
            if let Ok(resp) = probe.get(&self.url("/health/")).call() {
                if resp.status() == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "nautobot-server did not answer on port {port} within {} s; its log:\n{}",
                START_TIMEOUT.as_secs(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server process now (it is also stopped on drop). The root and database
    /// stay until the `TestServer` is dropped.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let worker = self
            .worker
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(mut child) = worker.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
        self.database.take();
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_names_follow_the_platform() {
        if cfg!(target_os = "linux") {
            assert_eq!(library_file_name("my_plugin"), "libmy_plugin.so");
        }
    }

    #[test]
    fn the_library_folder_is_the_target_profile_folder() {
        // Tests run from target/<profile>/deps/<name>-<hash>.
        if std::env::var_os("NAUTOBOT_PLUGIN_DIR").is_none() {
            let dir = plugin_library_dir();
            let exe = std::env::current_exe().unwrap();
            assert_eq!(dir, exe.parent().unwrap().parent().unwrap());
        }
    }

    #[test]
    #[should_panic(expected = "run `cargo build` first")]
    fn a_missing_library_says_to_build_first() {
        find_plugin_library("no_such_plugin_anywhere");
    }

    #[test]
    fn only_the_crate_under_test_is_checked_for_staleness() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(library_file_name("other_plugin"));
        fs::write(&file, b"").unwrap();
        // This crate is nautobot-plugin-test, not other_plugin.
        assert_eq!(newer_source("other_plugin", &file), None);
        // As the crate under test, a library built before its sources is stale.
        let old = dir.path().join("old.so");
        fs::write(&old, b"").unwrap();
        let past = std::time::SystemTime::now() - Duration::from_secs(3600 * 24 * 365 * 30);
        fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(past)
            .unwrap();
        let stale = newer_source("nautobot_plugin_test", &old).expect("stale");
        assert!(
            stale.starts_with(env!("CARGO_MANIFEST_DIR")),
            "{}",
            stale.display()
        );
        assert_eq!(newer_source("nautobot_plugin_test", &file), None);
    }

    #[test]
    fn a_library_names_its_plugin() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(library_file_name("my_plugin"));
        fs::write(&file, b"").unwrap();
        let builder = TestServer::builder()
            .plugin("other")
            .library(&file)
            .plugin("my_plugin");
        assert_eq!(builder.plugins, ["other", "my_plugin"]);
        assert_eq!(builder.libraries, [("my_plugin".to_string(), file)]);
    }

    #[test]
    #[should_panic(expected = "is not named like a plugin library")]
    fn a_library_with_another_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plugin.txt");
        fs::write(&file, b"").unwrap();
        let _ = TestServer::builder().library(&file);
    }

    #[test]
    fn job_results_format_their_log() {
        let run = JobResult {
            id: "x".into(),
            status: "success".into(),
            log: vec![json!({"log_level": {"value": "info", "label": "Info"}, "message": "hi"})],
            result: json!({"n": 1}),
            traceback: String::new(),
            raw: json!({}),
        };
        assert_eq!(run.messages(), ["info: hi"]);
        assert!(run.succeeded());
    }
}
