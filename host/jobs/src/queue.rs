//! The job queue in the database: a run is a pending `extras_jobresult` row; a worker
//! claims the oldest pending one atomically (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a
//! single `UPDATE … RETURNING` under SQLite's one write lock), heartbeats while it runs,
//! and finishes it. Results of workers that stopped heartbeating are failed by any other
//! worker.

use serde_json::{Map, Value};

use nautobot_base::error::{Error, Result};
use nautobot_db::{
    dynamic::{self, Sql, SqlType, SqlValue},
    Backend, Database, DbConnection,
};
use nautobot_objects::values;

/// The statuses a result goes through.
pub mod status {
    /// Queued, waiting for a worker.
    pub const PENDING: &str = "pending";
    /// A worker runs it.
    pub const RUNNING: &str = "running";
    /// It finished and its changes were kept (or it was a dry run that finished).
    pub const SUCCESS: &str = "success";
    /// It failed: error, panic, time limit, or its worker died.
    pub const FAILURE: &str = "failure";
    /// It was taken off the queue before it ran.
    pub const REVOKED: &str = "revoked";
}

fn ts(s: &str) -> SqlValue {
    SqlValue::Text(s.to_string(), SqlType::Timestamp)
}

/// A run to queue.
pub struct NewRun<'a> {
    /// The job's `extras_job` id.
    pub job_id: &'a str,
    /// The job's name (shown on the result).
    pub name: &'a str,
    /// `<module>.<class>`.
    pub task_name: &'a str,
    /// The cleaned variables.
    pub data: &'a Map<String, Value>,
    /// Whether it is a dry run.
    pub dryrun: bool,
    /// Who asked, if a user did: `(id, username)`.
    pub user: Option<(&'a str, &'a str)>,
}

/// Queues a run; returns the result's id.
pub fn enqueue(conn: &mut DbConnection, run: &NewRun<'_>) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = values::now();
    let mut sql = Sql::from(
        "INSERT INTO extras_jobresult (id, job_model_id, name, task_name, status, date_created, \
         user_id, user_name, task_kwargs, dryrun, result, traceback, worker, created, last_updated) VALUES (",
    );
    let values = [
        SqlValue::text(&id),
        SqlValue::text(run.job_id),
        SqlValue::text(run.name),
        SqlValue::text(run.task_name),
        SqlValue::text(status::PENDING),
        ts(&now),
        match run.user {
            Some((uid, _)) => SqlValue::text(uid),
            None => SqlValue::Null(SqlType::Text),
        },
        SqlValue::text(run.user.map(|(_, name)| name).unwrap_or("")),
        SqlValue::Text(Value::Object(run.data.clone()).to_string(), SqlType::Json),
        SqlValue::Bool(run.dryrun),
        SqlValue::Null(SqlType::Json),
        SqlValue::text(""),
        SqlValue::text(""),
        ts(&now),
        ts(&now),
    ];
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(v);
    }
    sql.push(")");
    dynamic::execute(conn, &sql)?;
    Ok(id)
}

/// Claims the oldest pending run for `worker`; its id, or `None` when the queue is empty.
pub fn claim(db: &Database, worker: &str) -> Result<Option<String>> {
    let mut conn = db.conn()?;
    let now = values::now();
    let backend = dynamic::backend_of(&conn);
    let pick = match backend {
        Backend::Postgres => {
            "SELECT id FROM extras_jobresult WHERE status = 'pending' \
             ORDER BY date_created, id LIMIT 1 FOR UPDATE SKIP LOCKED"
        }
        Backend::Sqlite => {
            "SELECT id FROM extras_jobresult WHERE status = 'pending' \
             ORDER BY date_created, id LIMIT 1"
        }
    };
    let mut sql = Sql::from("UPDATE extras_jobresult SET status = ");
    sql.bind(SqlValue::text(status::RUNNING))
        .push(", worker = ")
        .bind(SqlValue::text(worker))
        .push(", date_started = ")
        .bind(ts(&now))
        .push(", heartbeat = ")
        .bind(ts(&now))
        .push(", last_updated = ")
        .bind(ts(&now))
        .push(format!(
            " WHERE status = 'pending' AND id = ({pick}) RETURNING {}",
            match backend {
                Backend::Sqlite => "json_object('id', id) AS row",
                Backend::Postgres => "json_build_object('id', id)::text AS row",
            }
        ));
    let rows = dynamic::query_json(&mut conn, &sql)?;
    Ok(rows
        .first()
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string))
}

/// Takes a pending run off the queue (status `revoked`); `false` when it was no longer
/// pending (a worker took it, or it ended).
pub fn revoke(db: &Database, result_id: &str) -> Result<bool> {
    let now = values::now();
    let mut sql = Sql::from("UPDATE extras_jobresult SET status = 'revoked', date_done = ");
    sql.bind(ts(&now))
        .push(", last_updated = ")
        .bind(ts(&now))
        .push(", traceback = ")
        .bind(SqlValue::text("Revoked before a worker ran it."))
        .push(" WHERE status = 'pending' AND id = ")
        .bind(SqlValue::text(result_id));
    Ok(dynamic::execute(&mut *db.conn()?, &sql)? == 1)
}

/// Records that `worker` is still running `result_id`.
pub fn heartbeat(db: &Database, result_id: &str) -> Result<()> {
    let mut conn = db.conn()?;
    let mut sql = Sql::from("UPDATE extras_jobresult SET heartbeat = ");
    sql.bind(ts(&values::now()))
        .push(" WHERE status = 'running' AND id = ")
        .bind(SqlValue::text(result_id));
    dynamic::execute(&mut conn, &sql)?;
    Ok(())
}

/// Finishes a run with `status`, its return value and, on failure, why.
pub fn finish(
    db: &Database,
    result_id: &str,
    status: &str,
    result: Option<&Value>,
    traceback: &str,
) -> Result<()> {
    let mut conn = db.conn()?;
    let now = values::now();
    let mut sql = Sql::from("UPDATE extras_jobresult SET status = ");
    sql.bind(SqlValue::text(status))
        .push(", date_done = ")
        .bind(ts(&now))
        .push(", last_updated = ")
        .bind(ts(&now))
        .push(", result = ")
        .bind(match result {
            Some(v) => SqlValue::Text(v.to_string(), SqlType::Json),
            None => SqlValue::Null(SqlType::Json),
        })
        .push(", traceback = ")
        .bind(SqlValue::text(traceback))
        .push(" WHERE id = ")
        .bind(SqlValue::text(result_id));
    dynamic::execute(&mut conn, &sql)?;
    Ok(())
}

/// Fails the running results whose worker has not heartbeaten for `stale_seconds`
/// (it died), saying so; returns how many.
pub fn reap(db: &Database, stale_seconds: i64) -> Result<usize> {
    let mut conn = db.conn()?;
    let now = chrono::Utc::now();
    let cutoff = (now - chrono::Duration::seconds(stale_seconds))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let stamp = values::now();
    let mut sql = Sql::from("UPDATE extras_jobresult SET status = ");
    sql.bind(SqlValue::text(status::FAILURE))
        .push(", date_done = ")
        .bind(ts(&stamp))
        .push(", last_updated = ")
        .bind(ts(&stamp))
        .push(", traceback = ")
        .bind(SqlValue::text(format!(
            "The worker running this job stopped responding (no heartbeat for {stale_seconds} s); the job was marked failed and its changes were not committed."
        )))
        .push(" WHERE status = 'running' AND heartbeat < ")
        .bind(ts(&cutoff));
    dynamic::execute(&mut conn, &sql)
}

/// The log of one job result, lent to the plugin's calls while the job runs (their
/// `job_log` entries go to [`log`]).
pub struct ResultLog<'a> {
    /// The database (each entry is written on a connection of its own).
    pub db: &'a Database,
    /// The job result's id.
    pub result_id: &'a str,
}

impl nautobot_plugins::JobLog for ResultLog<'_> {
    fn log(&self, level: &str, message: &str, object: Option<&Value>) -> Result<()> {
        log(self.db, self.result_id, level, message, object)
    }
}

/// A log line of a run, written on its own connection (autocommit), so it stays whatever
/// becomes of the run's transaction.
pub fn log(
    db: &Database,
    result_id: &str,
    level: &str,
    message: &str,
    object: Option<&Value>,
) -> Result<()> {
    let level = match level {
        "debug" | "info" | "success" | "warning" | "failure" | "critical" => level,
        "error" => "failure",
        _ => "info",
    };
    let (repr, url) = match object {
        Some(Value::Object(o)) => (
            o.get("display")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            o.get("url")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        ),
        Some(Value::String(s)) => (s.clone(), String::new()),
        _ => (String::new(), String::new()),
    };
    let now = values::now();
    let mut conn = db
        .conn()
        .map_err(|e| Error::Database(format!("cannot write the job log: {e}")))?;
    let mut sql = Sql::from(
        "INSERT INTO extras_joblogentry (id, job_result_id, log_level, grouping, message, \
         log_object, absolute_url, created, last_updated) VALUES (",
    );
    let values = [
        SqlValue::text(uuid::Uuid::new_v4().to_string()),
        SqlValue::text(result_id),
        SqlValue::text(level),
        SqlValue::text("main"),
        SqlValue::text(message),
        SqlValue::text(repr.chars().take(200).collect::<String>()),
        SqlValue::text(url.chars().take(255).collect::<String>()),
        ts(&now),
        ts(&now),
    ];
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(v);
    }
    sql.push(")");
    dynamic::execute(&mut conn, &sql)?;
    Ok(())
}
