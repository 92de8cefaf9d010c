//! `nautobot-server worker`: claims pending job results and runs them, `concurrency` at
//! a time, heartbeating each while it runs; fails the results of workers that stopped
//! heartbeating. Several workers on several machines share one PostgreSQL queue; each
//! result is claimed by exactly one of them.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::{queue, runner};
use nautobot_app::AppState;
use nautobot_base::error::Result;
use nautobot_db::dynamic::{self, Sql, SqlType, SqlValue};
use nautobot_objects::values;

/// How often a worker heartbeats and looks for work.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// After how long without a heartbeat a worker is no longer counted as alive.
pub const STALE_AFTER_SECONDS: i64 = 30;

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Jobs run at the same time.
    pub concurrency: usize,
    /// Stop once the queue is empty and nothing runs (for tests and one-off drains).
    pub burst: bool,
    /// Seconds without a heartbeat after which a running result is failed as dead.
    pub stale_after_seconds: i64,
}

fn ts(s: &str) -> SqlValue {
    SqlValue::Text(s.to_string(), SqlType::Timestamp)
}

/// This worker's name: host name, process id and a random suffix.
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".to_string());
    let suffix: String = uuid::Uuid::new_v4().to_string().chars().take(8).collect();
    format!("{host}:{}:{suffix}", std::process::id())
}

fn register(state: &AppState, id: &str, name: &str, concurrency: usize) -> Result<()> {
    let mut conn = state.db.conn()?;
    let now = values::now();
    let mut sql = Sql::from(
        "INSERT INTO nautobot_worker (id, hostname, pid, concurrency, started, heartbeat) VALUES (",
    );
    sql.bind(SqlValue::text(id))
        .push(", ")
        .bind(SqlValue::text(name))
        .push(", ")
        .bind(SqlValue::Int(i64::from(std::process::id())))
        .push(", ")
        .bind(SqlValue::Int(concurrency as i64))
        .push(", ")
        .bind(ts(&now))
        .push(", ")
        .bind(ts(&now))
        .push(")");
    dynamic::execute(&mut conn, &sql)?;
    Ok(())
}

fn beat(state: &AppState, id: &str, running: &[String]) -> Result<()> {
    let mut conn = state.db.conn()?;
    let mut sql = Sql::from("UPDATE nautobot_worker SET heartbeat = ");
    sql.bind(ts(&values::now()))
        .push(" WHERE id = ")
        .bind(SqlValue::text(id));
    dynamic::execute(&mut conn, &sql)?;
    drop(conn);
    for result in running {
        queue::heartbeat(&state.db, result)?;
    }
    Ok(())
}

fn unregister(state: &AppState, id: &str) -> Result<()> {
    let mut conn = state.db.conn()?;
    let mut sql = Sql::from("DELETE FROM nautobot_worker WHERE id = ");
    sql.bind(SqlValue::text(id));
    dynamic::execute(&mut conn, &sql)?;
    Ok(())
}

/// The number of workers that heartbeated recently (for `/api/status/`).
pub fn alive(state: &AppState) -> Result<i64> {
    let mut conn = state.db.conn()?;
    let cutoff = (chrono::Utc::now() - chrono::Duration::seconds(STALE_AFTER_SECONDS))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut sql = Sql::from("SELECT COUNT(*) AS count FROM nautobot_worker WHERE heartbeat >= ");
    sql.bind(ts(&cutoff));
    dynamic::query_count(&mut conn, &sql)
}

/// Whether this worker schedules: always on SQLite; on PostgreSQL when it holds (or now
/// takes) the scheduler's advisory lock.
fn is_scheduler(state: &AppState, held: &mut Option<nautobot_db::Conn>) -> bool {
    if state.db.backend() == nautobot_db::Backend::Sqlite {
        return true;
    }
    if held.is_some() {
        return true;
    }
    let Ok(mut conn) = state.db.conn() else {
        return false;
    };
    let mut sql = Sql::from("SELECT json_build_object('ok', pg_try_advisory_lock(");
    sql.bind(SqlValue::Int(super::schedule::SCHEDULER_LOCK))
        .push("))::text AS row");
    let took = dynamic::query_json(&mut conn, &sql)
        .ok()
        .and_then(|rows| {
            rows.first()
                .and_then(|r| r.get("ok"))
                .and_then(|v| v.as_bool())
        })
        .unwrap_or(false);
    if took {
        tracing::info!("this worker runs the scheduler");
        *held = Some(conn);
    }
    took
}

/// A job this worker runs.
struct Running {
    started: Instant,
    soft: Duration,
    hard: Duration,
    warned: bool,
}

/// Warns in the logs of jobs past their soft time limit; when one is past its hard limit,
/// fails it and every other job of this worker, and says why the worker must stop.
fn check_limits(
    state: &AppState,
    running: &Mutex<HashMap<String, Running>>,
) -> Option<nautobot_base::error::Error> {
    let Ok(mut jobs) = running.lock() else {
        return None;
    };
    let mut over: Option<(String, u64)> = None;
    for (id, job) in jobs.iter_mut() {
        let elapsed = job.started.elapsed();
        if elapsed >= job.soft && !job.warned {
            job.warned = true;
            let _ = queue::log(
                &state.db,
                id,
                "warning",
                &format!(
                    "The job exceeded its soft time limit of {} s.",
                    job.soft.as_secs()
                ),
                None,
            );
        }
        if elapsed >= job.hard {
            over = Some((id.clone(), job.hard.as_secs()));
        }
    }
    let (culprit, limit) = over?;
    for id in jobs.keys() {
        let why = if *id == culprit {
            format!("The job exceeded its time limit of {limit} s and was stopped; its changes were rolled back.")
        } else {
            format!("The worker running this job stopped because another job ({culprit}) exceeded its time limit; its changes were rolled back.")
        };
        let _ = queue::log(&state.db, id, "failure", &why, None);
        let _ = queue::finish(&state.db, id, queue::status::FAILURE, None, &why);
    }
    Some(nautobot_base::error::Error::Internal(format!(
        "job result {culprit} exceeded its time limit of {limit} s: this worker stops so that its transactions are rolled back; restart it"
    )))
}

/// SIGTERM and SIGINT: the first sets the returned flag (the worker stops claiming,
/// leaves the worker count and finishes the jobs it runs); a second one ends the process
/// at once (exit code 1), and its jobs are then failed as dead by the other workers.
fn stop_on_signal() -> Result<Arc<std::sync::atomic::AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [SIGTERM, SIGINT] {
        signal_hook::flag::register_conditional_shutdown(signal, 1, stop.clone())
            .and_then(|_| signal_hook::flag::register(signal, stop.clone()))
            .map_err(|e| {
                nautobot_base::error::Error::Internal(format!("cannot handle signal {signal}: {e}"))
            })?;
    }
    Ok(stop)
}

/// Runs the worker until the process is stopped (or, with `burst`, the queue is empty).
/// SIGTERM (or Ctrl-C) stops it gracefully: it leaves the worker count at once, claims
/// nothing more, finishes the jobs it runs and exits.
pub fn run(state: Arc<AppState>, options: &Options) -> Result<()> {
    let id = uuid::Uuid::new_v4().to_string();
    let name = worker_name();
    let concurrency = options.concurrency.max(1);
    let stop = stop_on_signal()?;
    let mut stopping = false;
    register(&state, &id, &name, concurrency)?;
    tracing::info!(worker = %name, concurrency, "worker started");
    let running: Arc<Mutex<HashMap<String, Running>>> = Arc::new(Mutex::new(HashMap::new()));
    let mut handles: Vec<std::thread::JoinHandle<()>> = Vec::new();
    // Each finished job says so, so that the next is claimed at once.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let mut last_beat = Instant::now() - HEARTBEAT;
    // The scheduler: on PostgreSQL the worker holding the advisory lock (kept on its own
    // connection for as long as the worker runs); on SQLite every worker.
    let mut scheduler: Option<nautobot_db::Conn> = None;
    loop {
        handles.retain(|h| !h.is_finished());
        if !stopping && stop.load(std::sync::atomic::Ordering::Relaxed) {
            stopping = true;
            unregister(&state, &id)?;
            tracing::info!(
                worker = %name,
                running = handles.len(),
                "worker stopping: it claims no more jobs and finishes the ones it runs (a second signal stops it at once, failing them)"
            );
        }
        if stopping && handles.is_empty() {
            tracing::info!(worker = %name, "worker stopped");
            return Ok(());
        }
        if last_beat.elapsed() >= HEARTBEAT {
            let ids: Vec<String> = running
                .lock()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default();
            if let Err(e) = beat(&state, &id, &ids) {
                tracing::warn!("worker heartbeat failed: {e}");
            }
            if is_scheduler(&state, &mut scheduler) {
                match super::schedule::tick(&state.db) {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(count = n, "scheduled jobs queued"),
                    Err(e) => tracing::warn!("the scheduler failed, will retry: {e}"),
                }
            }
            match queue::reap(&state.db, options.stale_after_seconds) {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    count = n,
                    "failed the jobs of workers that stopped responding"
                ),
                Err(e) => tracing::warn!("reaping stale jobs failed: {e}"),
            }
            last_beat = Instant::now();
        }
        let mut claimed_any = false;
        let mut claim_failed = false;
        while !stopping && handles.len() < concurrency {
            // A busy database (SQLite while a job writes) is not fatal: try again later.
            let result_id = match queue::claim(&state.db, &name) {
                Ok(Some(id)) => id,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!("claiming a job failed, will retry: {e}");
                    claim_failed = true;
                    break;
                }
            };
            claimed_any = true;
            let (soft, hard) = runner::limits(&state, &result_id)
                .unwrap_or((runner::DEFAULT_SOFT_TIME_LIMIT, runner::DEFAULT_TIME_LIMIT));
            if let Ok(mut r) = running.lock() {
                r.insert(
                    result_id.clone(),
                    Running {
                        started: Instant::now(),
                        soft: Duration::from_secs(soft),
                        hard: Duration::from_secs(hard),
                        warned: false,
                    },
                );
            }
            let state = state.clone();
            let running = running.clone();
            let done = done_tx.clone();
            handles.push(std::thread::spawn(move || {
                match runner::run(&state, &result_id) {
                    Ok(outcome) => tracing::info!(
                        job_result = %result_id,
                        status = outcome.status,
                        committed = outcome.committed,
                        "job finished"
                    ),
                    Err(e) => {
                        tracing::error!(job_result = %result_id, "job could not be recorded: {e}")
                    }
                }
                if let Ok(mut r) = running.lock() {
                    r.remove(&result_id);
                }
                let _ = done.send(());
            }));
        }
        if let Some(stop) = check_limits(&state, &running) {
            // A thread cannot be stopped from outside, and the job holds its
            // transaction: the worker fails every job it runs and exits, which rolls
            // their transactions back. Run workers under a supervisor that restarts them.
            unregister(&state, &id)?;
            return Err(stop);
        }
        if options.burst && !claimed_any && !claim_failed && handles.is_empty() {
            break;
        }
        if !claimed_any {
            // Wake when a job finishes, or look for new work a little later.
            let _ = done_rx.recv_timeout(Duration::from_millis(200));
        }
    }
    unregister(&state, &id)?;
    tracing::info!(worker = %name, "worker stopped: the queue is empty");
    Ok(())
}
