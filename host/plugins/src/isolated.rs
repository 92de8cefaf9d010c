//! Crash isolation (`PLUGINS_ISOLATED`): a plugin listed there runs in a child process,
//! `nautobot-server plugin-host`, that loads its library and answers the same calls over
//! its standard input and output, one JSON message a line. While a call runs, the child
//! asks the server for the host services the plugin uses (log, settings, render, the
//! database verbs …) in the same way, and the server answers them with the call's own
//! services — the same permissions, validators and change log as in process.
//!
//! A segfault, abort or stack overflow in the plugin ends only the child: the calls in
//! flight fail (502 naming the plugin), a later call starts a new child (after a back-off
//! that doubles with each crash in a row, at most 10 s — calls meanwhile answer 503 at
//! once rather than wait, so no request holds a database lock through it), and the server
//! stays up. A call past `PLUGIN_CALL_TIMEOUT` kills the child, so a hang costs no thread
//! either.
//!
//! Each isolated plugin has up to `PLUGINS_ISOLATED_WORKERS` children (started as calls
//! need them), each serving one call at a time: a call waits for a free one at most until
//! its deadline, then answers 503. A call a call causes (its own validator, when one of
//! its views writes through the host) goes to the child already serving this thread,
//! down the same pipe, and the child answers it before going on.

use std::{
    cell::RefCell,
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{mpsc, Condvar, Mutex, OnceLock},
    time::{Duration, Instant},
};

use abi_stable::std_types::{ROption, RResult, RStr, RString};
use nautobot_plugin_abi::{
    AbiVersion, HostServices, HostServices_TO, LogLevel, PanicStrategy, PluginBox, PluginError,
    PluginModRef,
};
use parking_lot::ReentrantMutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::CallServices;
use nautobot_base::error::Error;
use nautobot_base::LoadError;

/// The longest wait before a crashed plugin's child is started again.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long a child may take to load the library and say hello.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// What the server sends the child.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum ToChild {
    Instantiate {
        config: String,
    },
    Call {
        kind: String,
        name: String,
        payload: String,
    },
    Reply {
        value: Value,
    },
}

/// What the child sends the server.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum FromChild {
    Hello {
        manifest_json: String,
        abi: [u32; 3],
        sha256: String,
    },
    Refused {
        error: String,
    },
    Service {
        verb: String,
        args: Vec<String>,
    },
    Done {
        ok: Option<String>,
        err: Option<WireError>,
    },
}

/// A [`PluginError`] on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WireError {
    code: u32,
    message: String,
    details: String,
}

impl From<&PluginError> for WireError {
    fn from(e: &PluginError) -> Self {
        WireError {
            code: e.code,
            message: e.message.to_string(),
            details: e.details_json.to_string(),
        }
    }
}

impl From<WireError> for PluginError {
    fn from(e: WireError) -> Self {
        PluginError {
            code: e.code,
            message: RString::from(e.message),
            details_json: RString::from(e.details),
        }
    }
}

fn result_value(r: RResult<RString, PluginError>) -> Value {
    match r {
        RResult::ROk(s) => serde_json::json!({"ok": s.as_str()}),
        RResult::RErr(e) => serde_json::json!({"err": WireError::from(&e)}),
    }
}

fn value_result(v: Value) -> RResult<RString, PluginError> {
    if let Some(ok) = v.get("ok").and_then(Value::as_str) {
        return RResult::ROk(RString::from(ok));
    }
    match v
        .get("err")
        .cloned()
        .and_then(|e| serde_json::from_value::<WireError>(e).ok())
    {
        Some(e) => RResult::RErr(e.into()),
        None => RResult::RErr(PluginError::internal(format!(
            "the server answered a host service with {v}"
        ))),
    }
}

// ---------------------------------------------------------------------------------------
// The server's side
// ---------------------------------------------------------------------------------------

/// What the child reported about the library it loaded.
pub struct Hello {
    /// The manifest as the library returned it.
    pub manifest_json: String,
    /// The ABI version it was built against.
    pub abi: AbiVersion,
    /// The library's digest.
    pub sha256: String,
}

struct Conn {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

#[derive(Default)]
struct Restarts {
    in_a_row: u32,
    last_crash: Option<Instant>,
}

/// One child of an isolated plugin: its connection (none before its first call or after
/// a crash), locked by the thread it serves, and its crashes.
#[derive(Default)]
struct Worker {
    conn: ReentrantMutex<RefCell<Option<Conn>>>,
    restarts: Mutex<Restarts>,
}

/// The longest back-off a call waits for before restarting a child itself; longer ones
/// (a crash loop) answer 503 at once.
const SHORT_BACKOFF: Duration = Duration::from_millis(250);

impl Worker {
    /// What is left of the back-off after the child's last crash.
    fn backoff_left(&self) -> Duration {
        self.restarts
            .lock()
            .ok()
            .and_then(|r| {
                let last = r.last_crash?;
                let backoff = Duration::from_millis(100)
                    .saturating_mul(1 << r.in_a_row.saturating_sub(1).min(7))
                    .min(MAX_BACKOFF);
                backoff.checked_sub(last.elapsed())
            })
            .unwrap_or_default()
    }
}

/// How long a call without a deadline (a job's) waits for a free child.
const NO_DEADLINE_WAIT: Duration = Duration::from_secs(60);

/// A plugin served by child processes.
pub struct IsolatedPlugin {
    name: String,
    path: PathBuf,
    pin: Option<String>,
    config_json: Mutex<Option<String>>,
    workers: Vec<Worker>,
    /// Held while looking for a free worker; signalled when one is released.
    free: Mutex<()>,
    released: Condvar,
}

/// The connection to a child, borrowed only for one send or one receive at a time, so
/// that a nested call on the same thread can use it too.
type Slot = RefCell<Option<Conn>>;

impl IsolatedPlugin {
    /// Starts the child for plugin `name`'s library at `path` (checked against `pin`) and
    /// reads what it loaded. A library the child refuses is refused with its line.
    pub fn start(
        name: &str,
        path: &Path,
        pin: Option<&str>,
    ) -> Result<(IsolatedPlugin, Hello), LoadError> {
        let plugin = IsolatedPlugin {
            name: name.to_string(),
            path: path.to_path_buf(),
            pin: pin.map(str::to_string),
            config_json: Mutex::new(None),
            workers: (0..super::deadline::isolated_workers())
                .map(|_| Worker::default())
                .collect(),
            free: Mutex::new(()),
            released: Condvar::new(),
        };
        // The first child now (it says what the library is); the others when calls
        // need them.
        let (conn, hello) = plugin.spawn()?;
        *plugin.workers[0].conn.lock().borrow_mut() = Some(conn);
        Ok((plugin, hello))
    }

    fn load_error(&self, problem: &str, found: String) -> LoadError {
        LoadError::new(
            &self.name,
            Some(&self.path),
            problem,
            "`nautobot-server plugin-host` to load it (PLUGINS_ISOLATED)",
            found,
        )
    }

    fn spawn(&self) -> Result<(Conn, Hello), LoadError> {
        let exe = std::env::current_exe()
            .map_err(|e| self.load_error("cannot start its plugin host", e.to_string()))?;
        let mut command = Command::new(exe);
        command
            .arg("plugin-host")
            .arg(&self.name)
            .arg(&self.path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(pin) = &self.pin {
            command.arg("--sha256").arg(pin);
        }
        let mut child = command
            .spawn()
            .map_err(|e| self.load_error("cannot start its plugin host", e.to_string()))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(self.load_error("cannot start its plugin host", "no pipes".into()));
        };
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name(format!("plugin-host {}", self.name))
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    match line {
                        Ok(line) => {
                            if tx.send(line).is_err() {
                                return;
                            }
                        }
                        Err(_) => return,
                    }
                }
            })
            .map_err(|e| self.load_error("cannot start its plugin host", e.to_string()))?;
        let mut conn = Conn {
            child,
            stdin,
            lines: rx,
        };
        let hello = match conn.lines.recv_timeout(START_TIMEOUT) {
            Ok(line) => serde_json::from_str::<FromChild>(&line).ok(),
            Err(_) => None,
        };
        match hello {
            Some(FromChild::Hello {
                manifest_json,
                abi,
                sha256,
            }) => Ok((
                conn,
                Hello {
                    manifest_json,
                    abi: AbiVersion {
                        major: abi[0],
                        minor: abi[1],
                        patch: abi[2],
                        panic_strategy: PanicStrategy::Unwind,
                    },
                    sha256,
                },
            )),
            Some(FromChild::Refused { error }) => {
                let _ = conn.child.wait();
                // The child's line is the one `check` prints for an in-process load.
                Err(self.load_error("refused by its plugin host", error))
            }
            _ => {
                let _ = conn.child.kill();
                let status = conn.child.wait().map(|s| s.to_string()).unwrap_or_default();
                Err(self.load_error(
                    "its plugin host did not start",
                    format!("a process that ended ({status}) or said nothing"),
                ))
            }
        }
    }

    /// Instantiates the plugin in the child with its settings (kept, to instantiate a
    /// restarted child the same way).
    pub fn instantiate(
        &self,
        config_json: &str,
        services: &CallServices<'_>,
    ) -> Result<(), PluginError> {
        if let Ok(mut slot) = self.config_json.lock() {
            *slot = Some(config_json.to_string());
        }
        let guard = self.workers[0].conn.lock();
        let message = ToChild::Instantiate {
            config: config_json.to_string(),
        };
        match exchange(&guard, &message, services, None) {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(Failure::Crashed(how)) => Err(PluginError::panic(format!(
                "its plugin host crashed while starting it ({how})"
            ))),
            Err(Failure::TimedOut) => Err(PluginError::internal("its plugin host hung")),
        }
    }

    /// Calls the plugin in its child: the answer, the plugin's error, or — when the child
    /// crashed or ran past `deadline` — the failure, after which the child is replaced.
    pub fn call(
        &self,
        kind: &str,
        name: &str,
        payload: &str,
        services: &CallServices<'_>,
        deadline: Option<Duration>,
    ) -> Result<Result<String, PluginError>, Error> {
        let (worker, guard) = self.acquire(deadline.unwrap_or(NO_DEADLINE_WAIT))?;
        let answer = self.call_on(worker, &guard, kind, name, payload, services, deadline);
        drop(guard);
        // Whoever waits for a worker looks again.
        let _looking = self.free.lock();
        self.released.notify_all();
        answer
    }

    /// A worker for this thread: the one it is already in (a call a call caused), else a
    /// free one, waiting at most `limit` for one to be released.
    fn acquire(
        &self,
        limit: Duration,
    ) -> Result<(&Worker, parking_lot::ReentrantMutexGuard<'_, Slot>), Error> {
        if let Some(worker) = self
            .workers
            .iter()
            .find(|w| w.conn.is_owned_by_current_thread())
        {
            return Ok((worker, worker.conn.lock()));
        }
        let started = Instant::now();
        let mut looking = self
            .free
            .lock()
            .map_err(|_| Error::Internal("the plugin's worker list is poisoned".into()))?;
        loop {
            // A free worker whose child runs; else the free one soonest restartable.
            let mut fallback: Option<(
                &Worker,
                parking_lot::ReentrantMutexGuard<'_, Slot>,
                Duration,
            )> = None;
            for worker in &self.workers {
                if let Some(guard) = worker.conn.try_lock() {
                    if guard.borrow().is_some() {
                        return Ok((worker, guard));
                    }
                    let wait = worker.backoff_left();
                    if fallback.as_ref().is_none_or(|(_, _, w)| wait < *w) {
                        fallback = Some((worker, guard, wait));
                    }
                }
            }
            if let Some((worker, guard, _)) = fallback {
                return Ok((worker, guard));
            }
            let left = limit.checked_sub(started.elapsed()).unwrap_or_default();
            if left.is_zero() {
                return Err(Error::PluginBusy {
                    plugin: self.name.clone(),
                    reason: format!(
                        "all {} of its host processes (PLUGINS_ISOLATED_WORKERS) served other calls for {} s",
                        self.workers.len(),
                        limit.as_secs()
                    ),
                });
            }
            looking = self
                .released
                .wait_timeout(looking, left)
                .map_err(|_| Error::Internal("the plugin's worker list is poisoned".into()))?
                .0;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn call_on(
        &self,
        worker: &Worker,
        guard: &Slot,
        kind: &str,
        name: &str,
        payload: &str,
        services: &CallServices<'_>,
        deadline: Option<Duration>,
    ) -> Result<Result<String, PluginError>, Error> {
        let running = guard.borrow().is_some();
        if !running {
            let conn = self.restart(worker, services)?;
            *guard.borrow_mut() = Some(conn);
        }
        let message = ToChild::Call {
            kind: kind.to_string(),
            name: name.to_string(),
            payload: payload.to_string(),
        };
        match exchange(guard, &message, services, deadline) {
            Ok(answer) => {
                if let Ok(mut r) = worker.restarts.lock() {
                    r.in_a_row = 0;
                }
                Ok(answer)
            }
            Err(failure) => {
                let dead = guard.borrow_mut().take();
                if let Some(mut dead) = dead {
                    let _ = dead.child.kill();
                    let _ = dead.child.wait();
                }
                if let Ok(mut r) = worker.restarts.lock() {
                    r.in_a_row += 1;
                    r.last_crash = Some(Instant::now());
                }
                match failure {
                    Failure::Crashed(how) => {
                        tracing::error!(
                            plugin = %self.name, kind, handler = name,
                            "the isolated plugin's host process crashed ({how}); the next call starts a new one"
                        );
                        Err(Error::PluginCrashed {
                            plugin: self.name.clone(),
                            how,
                        })
                    }
                    Failure::TimedOut => Err(Error::PluginTimeout {
                        plugin: self.name.clone(),
                        seconds: deadline.unwrap_or_default().as_secs(),
                    }),
                }
            }
        }
    }

    /// A new child for `worker` (its first, or after a crash once the back-off is over),
    /// loaded and instantiated. During the back-off the call is refused at once (503):
    /// a caller inside a write must not hold the database while the plugin recovers.
    fn restart(&self, worker: &Worker, services: &CallServices<'_>) -> Result<Conn, Error> {
        let wait = worker.backoff_left();
        if wait <= SHORT_BACKOFF {
            // The first crash's: short enough to wait for.
            std::thread::sleep(wait);
        } else {
            return Err(Error::PluginBusy {
                plugin: self.name.clone(),
                reason: format!(
                    "its host process crashed and is restarted in {} ms",
                    wait.as_millis()
                ),
            });
        }
        let (conn, _) = self.spawn().map_err(|e| Error::PluginCrashed {
            plugin: self.name.clone(),
            how: format!("and could not be restarted: {e}"),
        })?;
        let slot: Slot = RefCell::new(Some(conn));
        let config = self
            .config_json
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .unwrap_or_else(|| "{}".to_string());
        let outcome = exchange(&slot, &ToChild::Instantiate { config }, services, None);
        match (outcome, slot.into_inner()) {
            (Ok(Ok(_)), Some(conn)) => {
                tracing::info!(plugin = %self.name, "the isolated plugin's host process was restarted");
                Ok(conn)
            }
            (_, conn) => {
                if let Some(mut conn) = conn {
                    let _ = conn.child.kill();
                    let _ = conn.child.wait();
                }
                Err(Error::PluginCrashed {
                    plugin: self.name.clone(),
                    how: "and failed to start again".into(),
                })
            }
        }
    }
}

impl Drop for IsolatedPlugin {
    fn drop(&mut self) {
        for worker in &self.workers {
            let conn = worker.conn.lock().borrow_mut().take();
            if let Some(mut conn) = conn {
                let _ = conn.child.kill();
                let _ = conn.child.wait();
            }
        }
    }
}

enum Failure {
    Crashed(String),
    TimedOut,
}

/// Sends `message` and serves the child's host-service requests until it is done. The
/// connection is borrowed for one send or receive at a time: serving a host service may
/// call into the same plugin again, on this thread, through the same connection.
fn exchange(
    slot: &Slot,
    message: &ToChild,
    services: &CallServices<'_>,
    deadline: Option<Duration>,
) -> Result<Result<String, PluginError>, Failure> {
    let started = Instant::now();
    send(slot, message)?;
    loop {
        let line = receive(slot, deadline.map(|limit| (limit, started)))?;
        match serde_json::from_str::<FromChild>(&line) {
            Ok(FromChild::Done {
                ok: Some(answer), ..
            }) => return Ok(Ok(answer)),
            Ok(FromChild::Done { err: Some(e), .. }) => return Ok(Err(e.into())),
            Ok(FromChild::Service { verb, args }) => {
                let value = serve(services, &verb, &args);
                send(slot, &ToChild::Reply { value })?;
            }
            _ => {
                return Err(Failure::Crashed(format!(
                    "it sent something unexpected: {}",
                    line.chars().take(200).collect::<String>()
                )))
            }
        }
    }
}

/// The next line from the child, within what is left of `deadline` (limit, start).
fn receive(slot: &Slot, deadline: Option<(Duration, Instant)>) -> Result<String, Failure> {
    let mut guard = slot.borrow_mut();
    let Some(conn) = guard.as_mut() else {
        return Err(Failure::Crashed("its process is gone".into()));
    };
    match deadline {
        Some((limit, started)) => {
            let left = limit.checked_sub(started.elapsed()).unwrap_or_default();
            match conn.lines.recv_timeout(left) {
                Ok(line) => Ok(line),
                Err(mpsc::RecvTimeoutError::Timeout) => Err(Failure::TimedOut),
                Err(mpsc::RecvTimeoutError::Disconnected) => Err(crashed(conn)),
            }
        }
        None => conn.lines.recv().map_err(|_| crashed(conn)),
    }
}

fn send(slot: &Slot, message: &ToChild) -> Result<(), Failure> {
    let mut line = serde_json::to_string(message)
        .map_err(|e| Failure::Crashed(format!("cannot encode a message: {e}")))?;
    line.push('\n');
    let mut guard = slot.borrow_mut();
    let Some(conn) = guard.as_mut() else {
        return Err(Failure::Crashed("its process is gone".into()));
    };
    conn.stdin
        .write_all(line.as_bytes())
        .and_then(|_| conn.stdin.flush())
        .map_err(|_| crashed(conn))
}

/// How the child ended.
fn crashed(conn: &mut Conn) -> Failure {
    let deadline = Instant::now() + Duration::from_secs(2);
    let status = loop {
        match conn.child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => break None,
        }
    };
    Failure::Crashed(match status {
        Some(status) => describe(status),
        None => "its pipe closed".to_string(),
    })
}

fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match status.signal() {
        Some(11) => "SIGSEGV, a segmentation fault".to_string(),
        Some(6) => "SIGABRT, an abort".to_string(),
        Some(7) => "SIGBUS".to_string(),
        Some(9) => "SIGKILL".to_string(),
        Some(n) => format!("signal {n}"),
        None => status.to_string(),
    }
}

/// Answers one host-service request of the child with the call's services.
pub(crate) fn serve(services: &CallServices<'_>, verb: &str, args: &[String]) -> Value {
    let arg = |i: usize| RStr::from_str(args.get(i).map(String::as_str).unwrap_or(""));
    match verb {
        "log" => {
            let level = match args.first().map(String::as_str) {
                Some("error") => LogLevel::Error,
                Some("warn") => LogLevel::Warn,
                Some("debug") => LogLevel::Debug,
                Some("trace") => LogLevel::Trace,
                _ => LogLevel::Info,
            };
            services.log(level, arg(1));
            Value::Null
        }
        "setting" => match services.setting(arg(0)) {
            ROption::RSome(v) => Value::String(v.into()),
            ROption::RNone => Value::Null,
        },
        "render" => result_value(services.render(arg(0), arg(1))),
        "query" => result_value(services.query(arg(0), arg(1))),
        "get" => result_value(services.get(arg(0), arg(1))),
        "create" => result_value(services.create(arg(0), arg(1))),
        "update" => result_value(services.update(arg(0), arg(1), arg(2))),
        "delete" => result_value(services.delete(arg(0), arg(1))),
        "job_log" => {
            services.job_log(arg(0), arg(1), arg(2));
            Value::Null
        }
        "has_perm" => Value::Bool(services.has_perm(arg(0))),
        _ => result_value(services.extension(arg(0), arg(1))),
    }
}

// ---------------------------------------------------------------------------------------
// The child's side: `nautobot-server plugin-host NAME LIBRARY [--sha256 HEX]`
// ---------------------------------------------------------------------------------------

/// Runs the plugin host: loads the library and answers the server's messages on standard
/// input and output until the server closes them. Not for operators: the server starts it.
pub fn run_host(name: &str, path: &Path, pin: Option<&str>) -> nautobot_base::error::Result<()> {
    // The messages keep the original standard output to themselves; whatever the plugin
    // prints goes to standard error (the server's log) instead of corrupting them.
    let protocol = rustix::io::dup(std::io::stdout())
        .and_then(|fd| rustix::stdio::dup2_stdout(std::io::stderr()).map(|()| fd))
        .map_err(|e| Error::Internal(format!("cannot set up the plugin host's output: {e}")))?;
    let stdin = std::io::stdin();
    let channel = Channel {
        out: Mutex::new(Box::new(std::fs::File::from(protocol))),
        input: Mutex::new(Box::new(BufReader::new(stdin))),
        module: None,
        plugin: OnceLock::new(),
    };
    let library = match super::open(name, path, pin) {
        Ok(library) => library,
        Err(e) => {
            channel.send(&FromChild::Refused {
                error: e.to_string(),
            });
            return Err(e.into());
        }
    };
    let Some(module) = library.module else {
        return Err(Error::Internal("no module".into()));
    };
    let channel = Channel {
        module: Some(module),
        ..channel
    };
    channel.send(&FromChild::Hello {
        manifest_json: library.manifest_json.clone(),
        abi: [library.abi.major, library.abi.minor, library.abi.patch],
        sha256: library.sha256.clone(),
    });
    while let Some(message) = channel.receive() {
        if let Some(done) = channel.handle(message) {
            channel.send(&done);
        }
    }
    Ok(())
}

/// The message answering a call.
fn done(answer: RResult<RString, PluginError>) -> FromChild {
    match answer {
        RResult::ROk(s) => FromChild::Done {
            ok: Some(s.into()),
            err: None,
        },
        RResult::RErr(e) => FromChild::Done {
            ok: None,
            err: Some(WireError::from(&e)),
        },
    }
}

type Writer = Box<dyn Write + Send>;
type Reader = Box<dyn BufRead + Send>;

struct Channel {
    out: Mutex<Writer>,
    input: Mutex<Reader>,
    module: Option<PluginModRef>,
    plugin: OnceLock<PluginBox>,
}

impl Channel {
    /// Answers one instantiate or call message (a reply outside a host-service question
    /// is ignored).
    fn handle(&self, message: ToChild) -> Option<FromChild> {
        let proxy = HostProxy { channel: self };
        let host = HostServices_TO::from_ptr(&proxy, abi_stable::sabi_trait::TD_Opaque);
        let answer = match message {
            ToChild::Instantiate { config } => {
                let Some(module) = self.module else {
                    return Some(done(RResult::RErr(PluginError::internal("no library"))));
                };
                let created = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    (module.instantiate())(RStr::from_str(&config), host).into_result()
                }));
                match created {
                    Ok(Ok(p)) => {
                        let _ = self.plugin.set(p);
                        RResult::ROk(RString::new())
                    }
                    Ok(Err(e)) => RResult::RErr(e),
                    Err(_) => {
                        RResult::RErr(PluginError::panic("a panic escaped the plugin's guard"))
                    }
                }
            }
            ToChild::Call {
                kind,
                name,
                payload,
            } => match self.plugin.get() {
                Some(p) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    p.call(
                        RStr::from_str(&kind),
                        RStr::from_str(&name),
                        RStr::from_str(&payload),
                        host,
                    )
                }))
                .unwrap_or_else(|_| {
                    RResult::RErr(PluginError::panic("a panic escaped the plugin's guard"))
                }),
                None => RResult::RErr(PluginError::internal("the plugin is not instantiated")),
            },
            ToChild::Reply { .. } => return None,
        };
        Some(done(answer))
    }

    fn send(&self, message: &FromChild) {
        let Ok(mut line) = serde_json::to_string(message) else {
            return;
        };
        line.push('\n');
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
    }

    fn receive(&self) -> Option<ToChild> {
        let mut line = String::new();
        let mut input = self.input.lock().ok()?;
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => serde_json::from_str(&line).ok(),
        }
    }

    /// Asks the server for a host service and waits for its answer, answering the calls
    /// the server makes meanwhile (serving the service may call into this plugin).
    fn ask(&self, verb: &str, args: &[&str]) -> Value {
        self.send(&FromChild::Service {
            verb: verb.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
        });
        loop {
            match self.receive() {
                Some(ToChild::Reply { value }) => return value,
                Some(nested) => {
                    if let Some(answer) = self.handle(nested) {
                        self.send(&answer);
                    }
                }
                None => return Value::Null,
            }
        }
    }
}

/// Where a [`HostProxy`] sends its questions: the server (from a child), or the thread
/// holding the call's services (from an in-process call run on another thread).
pub(crate) trait Ask: Sync {
    /// Asks `verb` with `args`; the answer as `serve` gives it.
    fn ask(&self, verb: &str, args: &[&str]) -> Value;
}

impl Ask for Channel {
    fn ask(&self, verb: &str, args: &[&str]) -> Value {
        Channel::ask(self, verb, args)
    }
}

/// The host services as a plugin sees them when they are elsewhere: each a question.
pub(crate) struct HostProxy<'a> {
    pub(crate) channel: &'a dyn Ask,
}

impl HostServices for HostProxy<'_> {
    fn log(&self, level: LogLevel, message: RStr<'_>) {
        let level = match level {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        };
        self.channel.ask("log", &[level, message.as_str()]);
    }

    fn setting(&self, key: RStr<'_>) -> ROption<RString> {
        match self.channel.ask("setting", &[key.as_str()]) {
            Value::String(s) => ROption::RSome(RString::from(s)),
            _ => ROption::RNone,
        }
    }

    fn render(&self, template: RStr<'_>, context_json: RStr<'_>) -> RResult<RString, PluginError> {
        value_result(
            self.channel
                .ask("render", &[template.as_str(), context_json.as_str()]),
        )
    }

    fn query(&self, model: RStr<'_>, query_json: RStr<'_>) -> RResult<RString, PluginError> {
        value_result(
            self.channel
                .ask("query", &[model.as_str(), query_json.as_str()]),
        )
    }

    fn get(&self, model: RStr<'_>, lookup_json: RStr<'_>) -> RResult<RString, PluginError> {
        value_result(
            self.channel
                .ask("get", &[model.as_str(), lookup_json.as_str()]),
        )
    }

    fn create(&self, model: RStr<'_>, data_json: RStr<'_>) -> RResult<RString, PluginError> {
        value_result(
            self.channel
                .ask("create", &[model.as_str(), data_json.as_str()]),
        )
    }

    fn update(
        &self,
        model: RStr<'_>,
        id: RStr<'_>,
        data_json: RStr<'_>,
    ) -> RResult<RString, PluginError> {
        value_result(
            self.channel
                .ask("update", &[model.as_str(), id.as_str(), data_json.as_str()]),
        )
    }

    fn delete(&self, model: RStr<'_>, id: RStr<'_>) -> RResult<RString, PluginError> {
        value_result(self.channel.ask("delete", &[model.as_str(), id.as_str()]))
    }

    fn job_log(&self, level: RStr<'_>, message: RStr<'_>, object_json: RStr<'_>) {
        self.channel.ask(
            "job_log",
            &[level.as_str(), message.as_str(), object_json.as_str()],
        );
    }

    fn has_perm(&self, permission: RStr<'_>) -> bool {
        self.channel.ask("has_perm", &[permission.as_str()]) == Value::Bool(true)
    }

    fn extension(&self, verb: RStr<'_>, payload_json: RStr<'_>) -> RResult<RString, PluginError> {
        value_result(
            self.channel
                .ask("extension", &[verb.as_str(), payload_json.as_str()]),
        )
    }
}
