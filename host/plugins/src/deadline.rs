//! Call deadlines (`PLUGIN_CALL_TIMEOUT`): every call into a plugin is registered while it
//! runs, with the request it serves. A request whose plugin call runs past the deadline
//! is answered 504 naming the plugin, while the call's thread stays stuck (a thread
//! cannot be stopped from outside); a call that returns after the deadline fails, so a
//! write whose validator timed out is rolled back. Stuck calls are counted and logged
//! once per minute, and `/health/` reports unhealthy once they hold as many threads as
//! the server has database connections. Jobs keep their own time limits.

use std::{
    cell::RefCell,
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex, OnceLock,
    },
    time::{Duration, Instant},
};

/// How often stuck calls are logged at most.
const LOG_WINDOW: Duration = Duration::from_secs(60);

static TIMEOUT: OnceLock<Option<Duration>> = OnceLock::new();
static LIMITS: OnceLock<(usize, usize)> = OnceLock::new();
static NEXT: AtomicU64 = AtomicU64::new(1);
static TIMED_OUT: AtomicU64 = AtomicU64::new(0);
static LAST_LOG: Mutex<Option<Instant>> = Mutex::new(None);

fn in_flight() -> &'static Mutex<HashMap<u64, Call>> {
    static CALLS: OnceLock<Mutex<HashMap<u64, Call>>> = OnceLock::new();
    CALLS.get_or_init(|| Mutex::new(HashMap::new()))
}

thread_local! {
    static REQUEST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A plugin call in flight.
#[derive(Debug, Clone)]
pub struct Call {
    /// The plugin called.
    pub plugin: String,
    /// The call kind.
    pub kind: String,
    /// The handler.
    pub handler: String,
    /// The request it serves, if any.
    pub request: Option<String>,
    /// When it began.
    pub started: Instant,
}

/// Sets the deadline once at start-up (`None`: no deadline); later calls are ignored.
pub fn set_timeout(timeout: Option<Duration>) {
    let _ = TIMEOUT.set(timeout);
}

/// Sets once at start-up the host processes of each isolated plugin
/// (`PLUGINS_ISOLATED_WORKERS`) and the calls in flight an in-process plugin may have
/// (`PLUGIN_MAX_CONCURRENT_CALLS`); later calls are ignored.
pub fn set_limits(isolated_workers: u64, max_concurrent_calls: u64) {
    let _ = LIMITS.set((
        isolated_workers.clamp(1, 64) as usize,
        max_concurrent_calls.max(1) as usize,
    ));
}

/// Host processes per isolated plugin.
pub fn isolated_workers() -> usize {
    LIMITS
        .get()
        .map(|l| l.0)
        .unwrap_or(nautobot_config::DEFAULT_PLUGINS_ISOLATED_WORKERS as usize)
}

/// Calls in flight an in-process plugin may have.
pub fn max_concurrent_calls() -> usize {
    LIMITS
        .get()
        .map(|l| l.1)
        .unwrap_or(nautobot_config::DEFAULT_PLUGIN_MAX_CONCURRENT_CALLS as usize)
}

/// The deadline of plugin calls, if any.
pub fn timeout() -> Option<Duration> {
    *TIMEOUT.get().unwrap_or(&Some(Duration::from_secs(
        nautobot_config::DEFAULT_PLUGIN_CALL_TIMEOUT,
    )))
}

/// Runs `work` as part of request `request_id`: plugin calls it makes are registered
/// with the request, so that a late answer can name the plugin.
pub fn in_request<T>(request_id: &str, work: impl FnOnce() -> T) -> T {
    let previous = REQUEST.with(|r| r.replace(Some(request_id.to_string())));
    let out = work();
    REQUEST.with(|r| *r.borrow_mut() = previous);
    out
}

/// The request this thread's plugin calls belong to, if any (to carry it to another
/// thread with [`in_request`]).
pub fn current_request() -> Option<String> {
    REQUEST.with(|r| r.borrow().clone())
}

/// A registered call; unregistered when dropped.
pub struct Guard {
    id: u64,
    started: Instant,
}

/// Registers a call of `plugin`'s `handler` of `kind`, unless `plugin` has `limit` calls
/// in flight already (`Err` with how many): a plugin that hangs holds at most `limit`
/// threads.
pub fn begin_bounded(
    plugin: &str,
    kind: &str,
    handler: &str,
    limit: usize,
) -> Result<Guard, usize> {
    let (id, call) = new_call(plugin, kind, handler);
    let started = call.started;
    if let Ok(mut calls) = in_flight().lock() {
        let mine = calls.values().filter(|c| c.plugin == plugin).count();
        if mine >= limit {
            return Err(mine);
        }
        calls.insert(id, call);
    }
    Ok(Guard { id, started })
}

/// Registers a call of `plugin`'s `handler` of `kind`.
pub fn begin(plugin: &str, kind: &str, handler: &str) -> Guard {
    let (id, call) = new_call(plugin, kind, handler);
    let started = call.started;
    if let Ok(mut calls) = in_flight().lock() {
        calls.insert(id, call);
    }
    Guard { id, started }
}

/// A call starting now on this thread, with its id.
fn new_call(plugin: &str, kind: &str, handler: &str) -> (u64, Call) {
    let call = Call {
        plugin: plugin.to_string(),
        kind: kind.to_string(),
        handler: handler.to_string(),
        request: REQUEST.with(|r| r.borrow().clone()),
        started: Instant::now(),
    };
    (NEXT.fetch_add(1, Ordering::Relaxed), call)
}

impl Guard {
    /// Whether the call ran past the deadline.
    pub fn late(&self) -> bool {
        timeout().is_some_and(|limit| self.started.elapsed() > limit)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(mut calls) = in_flight().lock() {
            calls.remove(&self.id);
        }
    }
}

/// The call of request `request_id` that has run past the deadline, if any.
pub fn overdue_call_of(request_id: &str) -> Option<Call> {
    let limit = timeout()?;
    let calls = in_flight().lock().ok()?;
    calls
        .values()
        .filter(|c| c.request.as_deref() == Some(request_id) && c.started.elapsed() > limit)
        .min_by_key(|c| c.started)
        .cloned()
}

/// The calls running past the deadline now.
pub fn stuck() -> Vec<Call> {
    let Some(limit) = timeout() else {
        return Vec::new();
    };
    let Ok(calls) = in_flight().lock() else {
        return Vec::new();
    };
    let mut out: Vec<Call> = calls
        .values()
        .filter(|c| c.started.elapsed() > limit)
        .cloned()
        .collect();
    out.sort_by_key(|c| c.started);
    out
}

/// Counts a request answered 504 because of `call`, and logs the stuck calls at most
/// once per minute.
pub fn record_timeout(call: &Call) {
    let total = TIMED_OUT.fetch_add(1, Ordering::Relaxed) + 1;
    let Ok(mut last) = LAST_LOG.lock() else {
        return;
    };
    if last.is_some_and(|t| t.elapsed() < LOG_WINDOW) {
        return;
    }
    *last = Some(Instant::now());
    let stuck = stuck();
    tracing::error!(
        plugin = %call.plugin,
        kind = %call.kind,
        handler = %call.handler,
        timed_out_requests = total,
        stuck_calls = stuck.len(),
        "a plugin call ran past PLUGIN_CALL_TIMEOUT: its request was answered 504 and its thread stays stuck until the call returns (logged at most once a minute)"
    );
}

/// How many requests were answered 504 because of a stuck plugin call.
pub fn timed_out_requests() -> u64 {
    TIMED_OUT.load(Ordering::Relaxed)
}
