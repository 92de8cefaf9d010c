//! Stopping a request's SQL: when its client goes away (both backends), and on SQLite
//! when one statement runs longer than `DATABASE_STATEMENT_TIMEOUT` (PostgreSQL applies
//! that limit itself: `SET statement_timeout` on the web server's connections).
//!
//! The web layer runs each request's blocking work inside a [`Scope`] ([`Scope::run`])
//! and keeps the scope's [`Guard`] in the request's future. Connections taken from
//! [`crate::Database::conn`] inside a scope register with it. When the future is
//! dropped before the work has finished — the client disconnected — the guard cancels
//! what runs: each PostgreSQL backend in use gets `pg_cancel_backend` from a connection
//! of its own, SQLite statements stop at their progress handler's next call, and
//! further `Database::conn` calls in the scope fail.
//!
//! Outside a scope (commands, job workers, tests) nothing here applies.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_uint, c_void};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use diesel::Connection;

/// What the work of a request whose client went away fails with (nobody reads it).
pub const CANCELLED: &str = "the request's client went away; its database work was cancelled";

/// SQLite's per-statement limit for statements run in a scope, in milliseconds (0: none).
/// Set by [`crate::Database::connect_tuned`] from the tuning's statement timeout.
static SQLITE_TIMEOUT_MS: AtomicU64 = AtomicU64::new(0);

/// How many SQLite virtual-machine steps run between two checks (a few microseconds).
const PROGRESS_STEPS: c_int = 2000;

pub(crate) fn set_sqlite_statement_timeout(limit: Option<Duration>) {
    let ms = limit.map(|d| d.as_millis().clamp(1, u64::MAX as u128) as u64);
    SQLITE_TIMEOUT_MS.store(ms.unwrap_or(0), Ordering::Relaxed);
}

/// One request's database work, as seen from the thread that runs it.
pub struct Scope {
    shared: Arc<Shared>,
}

/// Kept by the request's future: dropping it before the work finished cancels the work.
pub struct Guard {
    shared: Arc<Shared>,
}

struct Shared {
    cancelled: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    finished: bool,
    next_id: u64,
    backends: Vec<Backend>,
}

struct Backend {
    id: u64,
    pid: i32,
    canceller: Arc<PgCanceller>,
}

impl Scope {
    /// A new scope and the guard that cancels it.
    pub fn new() -> (Scope, Guard) {
        let shared = Arc::new(Shared {
            cancelled: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        });
        (
            Scope {
                shared: shared.clone(),
            },
            Guard { shared },
        )
    }

    /// Runs `work` on this thread inside the scope; the scope is finished when it
    /// returns (or panics).
    pub fn run<T>(self, work: impl FnOnce() -> T) -> T {
        let timeout = match SQLITE_TIMEOUT_MS.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        };
        let previous = CURRENT.with(|c| {
            c.replace(Some(Active {
                shared: self.shared.clone(),
                timeout,
                statement_started: Cell::new(Instant::now()),
            }))
        });
        struct Leave {
            shared: Arc<Shared>,
            previous: Option<Active>,
        }
        impl Drop for Leave {
            fn drop(&mut self) {
                CURRENT.with(|c| c.replace(self.previous.take()));
                lock(&self.shared.state).finished = true;
            }
        }
        let _leave = Leave {
            shared: self.shared,
            previous,
        };
        work()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let has_backends = {
            let state = lock(&self.shared.state);
            if state.finished {
                return;
            }
            self.shared.cancelled.store(true, Ordering::SeqCst);
            !state.backends.is_empty()
        };
        if has_backends {
            cancel_later(self.shared.clone());
        }
    }
}

struct Active {
    shared: Arc<Shared>,
    timeout: Option<Duration>,
    statement_started: Cell<Instant>,
}

thread_local! {
    static CURRENT: RefCell<Option<Active>> = const { RefCell::new(None) };
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether this thread runs a scope whose client has gone.
pub(crate) fn cancelled() -> bool {
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|a| a.shared.cancelled.load(Ordering::SeqCst))
    })
}

/// A PostgreSQL backend registered with this thread's scope while its connection is in
/// use; dropping it unregisters (after any cancel in flight has been sent, so a cancel
/// never reaches a connection back in the pool).
pub struct Registration {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.shared.state)
            .backends
            .retain(|b| b.id != self.id);
    }
}

/// Registers backend `pid` with this thread's scope, if any. `None` outside a scope.
pub(crate) fn register(
    pid: i32,
    canceller: &Arc<PgCanceller>,
) -> std::result::Result<Option<Registration>, ()> {
    let Some(shared) = CURRENT.with(|c| c.borrow().as_ref().map(|a| a.shared.clone())) else {
        return Ok(None);
    };
    let id = {
        let mut state = lock(&shared.state);
        state.next_id += 1;
        let id = state.next_id;
        state.backends.push(Backend {
            id,
            pid,
            canceller: canceller.clone(),
        });
        id
    };
    let registration = Registration { shared, id };
    // Cancelled before the backend was registered: the guard did not see it.
    if registration.shared.cancelled.load(Ordering::SeqCst) {
        return Err(());
    }
    Ok(Some(registration))
}

/// Whether this thread runs a scope at all.
pub(crate) fn in_scope() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// Cancels PostgreSQL backends from one process-wide thread, so a dropped request
/// future never blocks its runtime and a burst of disconnects opens no thread each.
fn cancel_later(shared: Arc<Shared>) {
    static SENDER: OnceLock<Mutex<mpsc::Sender<Arc<Shared>>>> = OnceLock::new();
    let sender = SENDER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Arc<Shared>>();
        let spawned = std::thread::Builder::new()
            .name("nautobot-sql-cancel".into())
            .spawn(move || {
                for shared in rx {
                    let state = lock(&shared.state);
                    if state.finished {
                        continue;
                    }
                    for backend in &state.backends {
                        backend.canceller.cancel(backend.pid);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the SQL cancel thread: {e}");
        }
        Mutex::new(tx)
    });
    let sent = sender
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .send(shared);
    if sent.is_err() {
        tracing::warn!("the SQL cancel thread is gone; a disconnected request's query runs on");
    }
}

/// Sends `pg_cancel_backend` for one database, over a connection of its own (opened
/// when first needed, reopened after a failure): the pool may be exhausted by the very
/// statements to cancel.
pub(crate) struct PgCanceller {
    url: String,
    conn: Mutex<Option<diesel::PgConnection>>,
}

impl PgCanceller {
    pub(crate) fn new(url: String) -> PgCanceller {
        PgCanceller {
            url,
            conn: Mutex::new(None),
        }
    }

    fn cancel(&self, pid: i32) {
        use diesel::RunQueryDsl;
        let mut slot = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        for _attempt in 0..2 {
            if slot.is_none() {
                match diesel::PgConnection::establish(&self.url) {
                    Ok(conn) => *slot = Some(conn),
                    Err(e) => {
                        tracing::warn!(
                            "cannot cancel the query of a disconnected request: {}",
                            crate::one_line(&e.to_string())
                        );
                        return;
                    }
                }
            }
            let Some(conn) = slot.as_mut() else { return };
            let sent = diesel::sql_query("SELECT pg_cancel_backend($1)")
                .bind::<diesel::sql_types::Integer, _>(pid)
                .execute(conn);
            match sent {
                Ok(_) => {
                    tracing::debug!(pid, "cancelled the query of a disconnected request");
                    return;
                }
                Err(e) => {
                    tracing::debug!("cancel connection failed ({e}); reconnecting");
                    *slot = None;
                }
            }
        }
    }
}

/// Installs the progress handler and statement trace on every SQLite connection this
/// process opens (SQLite's automatic extensions). Called once, after `sqlite3_config`.
pub(crate) fn install_sqlite_hooks() {
    // SAFETY: `entry` has the signature SQLite expects of an automatic extension and
    // stays valid for the process's life.
    let rc = unsafe { libsqlite3_sys::sqlite3_auto_extension(Some(entry)) };
    if rc != libsqlite3_sys::SQLITE_OK {
        tracing::warn!("SQLite statements cannot be interrupted (sqlite3_auto_extension: {rc})");
    }
}

unsafe extern "C" fn entry(
    db: *mut libsqlite3_sys::sqlite3,
    _error: *mut *mut std::ffi::c_char,
    _api: *const libsqlite3_sys::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite calls this with the connection it is opening; both hooks take no
    // user data and live as long as the process.
    unsafe {
        libsqlite3_sys::sqlite3_progress_handler(
            db,
            PROGRESS_STEPS,
            Some(progress),
            std::ptr::null_mut(),
        );
        libsqlite3_sys::sqlite3_trace_v2(
            db,
            libsqlite3_sys::SQLITE_TRACE_STMT,
            Some(statement_started),
            std::ptr::null_mut(),
        );
    }
    libsqlite3_sys::SQLITE_OK
}

/// A statement starts: its time runs from now.
unsafe extern "C" fn statement_started(
    _kind: c_uint,
    _context: *mut c_void,
    _statement: *mut c_void,
    _sql: *mut c_void,
) -> c_int {
    let _ = CURRENT.try_with(|c| {
        if let Ok(active) = c.try_borrow() {
            if let Some(active) = active.as_ref() {
                active.statement_started.set(Instant::now());
            }
        }
    });
    0
}

/// Non-zero stops the running statement with SQLITE_INTERRUPT ("interrupted").
unsafe extern "C" fn progress(_: *mut c_void) -> c_int {
    CURRENT
        .try_with(|c| {
            let Ok(active) = c.try_borrow() else { return 0 };
            let Some(active) = active.as_ref() else {
                return 0;
            };
            let stop = active.shared.cancelled.load(Ordering::Relaxed)
                || active
                    .timeout
                    .is_some_and(|limit| active.statement_started.get().elapsed() > limit);
            c_int::from(stop)
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamic::{query_count, Sql};
    use crate::Database;
    use nautobot_base::error::Error;
    use nautobot_config::{DatabaseTuning, DatabaseUrl};

    /// Runs `sql` (one count) in a scope on another thread; drops the guard after
    /// `after`, as a request future is dropped when its client goes. Returns what the
    /// work got and how long it took.
    fn run_and_drop_guard(
        db: &Database,
        sql: &'static str,
        after: Duration,
    ) -> (nautobot_base::error::Result<i64>, Duration) {
        let (scope, guard) = Scope::new();
        let db = db.clone();
        let started = Instant::now();
        let work = std::thread::spawn(move || {
            scope.run(|| {
                let mut conn = db.conn()?;
                query_count(&mut conn, &Sql::from(sql))
            })
        });
        std::thread::sleep(after);
        drop(guard);
        let got = work.join().expect("the work does not panic");
        (got, started.elapsed())
    }

    /// Counts to 2^40 in SQLite: minutes of work unless stopped.
    const SQLITE_FOREVER: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
         WHERE i < 1099511627776) SELECT count(*) AS count FROM n";

    #[test]
    fn a_disconnected_requests_sqlite_statement_stops_and_the_connection_serves_on() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(&DatabaseUrl::Sqlite(dir.path().join("db.sqlite3"))).unwrap();
        let (got, took) = run_and_drop_guard(&db, SQLITE_FOREVER, Duration::from_millis(300));
        assert!(got.is_err(), "the statement was stopped: {got:?}");
        assert!(
            took < Duration::from_secs(5),
            "stopped at once, took {took:?}"
        );
        // The pool's connection serves the next request, in a scope or not.
        let (scope, _guard) = Scope::new();
        let quick = scope.run(|| {
            let mut conn = db.conn().unwrap();
            query_count(&mut conn, &Sql::from("SELECT 7 AS count")).unwrap()
        });
        assert_eq!(quick, 7);
        // A finished scope's guard cancels nothing.
        let (scope, guard) = Scope::new();
        assert_eq!(scope.run(|| 1), 1);
        drop(guard);
        let mut conn = db.conn().unwrap();
        assert_eq!(
            query_count(&mut conn, &Sql::from("SELECT 8 AS count")).unwrap(),
            8
        );
    }

    #[test]
    fn a_sqlite_statement_over_the_timeout_is_the_clients_error_only_in_a_scope() {
        let dir = tempfile::tempdir().unwrap();
        let tuning = DatabaseTuning {
            statement_timeout: Some(Duration::from_millis(300)),
            ..DatabaseTuning::default()
        };
        let db =
            Database::connect_tuned(&DatabaseUrl::Sqlite(dir.path().join("db.sqlite3")), &tuning)
                .unwrap();
        let started = Instant::now();
        let (scope, _guard) = Scope::new();
        let got = scope.run(|| {
            let mut conn = db.conn()?;
            query_count(&mut conn, &Sql::from(SQLITE_FOREVER))
        });
        match got {
            Err(Error::BadRequest(message)) => {
                assert!(message.contains("DATABASE_STATEMENT_TIMEOUT"), "{message}")
            }
            other => panic!("expected the statement stopped as too long, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        // Each statement has the whole limit: many short ones in one scope all run.
        let (scope, _guard) = Scope::new();
        let total = scope.run(|| {
            let mut conn = db.conn().unwrap();
            let mut total = 0;
            for _ in 0..4 {
                std::thread::sleep(Duration::from_millis(100));
                total += query_count(&mut conn, &Sql::from("SELECT 1 AS count")).unwrap();
            }
            total
        });
        assert_eq!(total, 4);
        // Outside a scope (commands, workers) a statement runs past the limit.
        let mut conn = db.conn().unwrap();
        let longer = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
             WHERE i < 3000000) SELECT count(*) AS count FROM n";
        let started = Instant::now();
        assert_eq!(
            query_count(&mut conn, &Sql::from(longer)).unwrap(),
            3_000_000
        );
        let took = started.elapsed();
        assert!(
            took > Duration::from_millis(300),
            "ran {took:?}: not a test of the limit"
        );
    }

    /// On PostgreSQL (`NAUTOBOT_TEST_POSTGRES`, default the local server), in a database
    /// of its own; skipped with a reason when none is reachable, except under `CI=true`.
    #[test]
    fn a_disconnected_requests_postgres_statement_is_cancelled_on_the_server() {
        let Some(scratch) = crate::scratch::ScratchPostgres::create(
            "a_disconnected_requests_postgres_statement_is_cancelled_on_the_server",
            "nautobot_cancel",
        ) else {
            return;
        };
        {
            // A pool of one: the cancel cannot depend on the pool.
            let tuning = DatabaseTuning {
                pool_size: Some(1),
                ..DatabaseTuning::default()
            };
            let db = Database::connect_tuned(&DatabaseUrl::Postgres(scratch.url.clone()), &tuning)
                .unwrap();
            let (got, took) = run_and_drop_guard(
                &db,
                "SELECT 1::bigint AS count FROM pg_sleep(30)",
                Duration::from_millis(500),
            );
            let message = format!("{got:?}");
            assert!(
                message.contains("canceling statement due to user request"),
                "{message}"
            );
            assert!(
                took < Duration::from_secs(10),
                "cancelled at once, took {took:?}"
            );
            // Nothing of it runs on the server any more, and the connection serves on.
            let mut conn = db.conn().unwrap();
            let running = Sql::from(
                "SELECT count(*) AS count FROM pg_stat_activity \
                 WHERE query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()",
            );
            assert_eq!(query_count(&mut conn, &running).unwrap(), 0);
            drop(conn);
            // A later request on the same physical connection is not cancelled by the
            // earlier one's cancel, and a finished scope's guard cancels nothing.
            let (scope, guard) = Scope::new();
            let n = scope.run(|| {
                let mut conn = db.conn().unwrap();
                query_count(
                    &mut conn,
                    &Sql::from("SELECT 1::bigint AS count FROM pg_sleep(0.3)"),
                )
                .unwrap()
            });
            drop(guard);
            assert_eq!(n, 1);
            // Work asking for a connection after its client went fails without one.
            let (scope, guard) = Scope::new();
            drop(guard);
            let late = scope.run(|| db.conn().map(|_| ()));
            assert!(format!("{late:?}").contains(CANCELLED), "{late:?}");
        }
        drop(scratch);
    }
}
