//! Scheduled jobs: runs to queue later, once (`future`) or every interval (`minutes`
//! with `every`, `hourly`, `daily`, `weekly`). Workers tick the scheduler; on PostgreSQL
//! only the worker holding an advisory lock does (one scheduler however many workers
//! run), and everywhere each due run is taken with a compare-and-set on `next_run`, so
//! it is queued exactly once.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::queue;
use nautobot_base::error::{Error, Result};
use nautobot_db::{
    dynamic::{self, Sql, SqlType, SqlValue},
    Backend, Database,
};
use nautobot_objects::values;

/// The advisory lock key of the scheduler (PostgreSQL).
pub const SCHEDULER_LOCK: i64 = 0x6e61_7574_6f62_6f74; // "nautobot"

fn ts(s: &str) -> SqlValue {
    SqlValue::Text(s.to_string(), SqlType::Timestamp)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// What to schedule, as the run API takes it (`"schedule": {…}`).
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The schedule's name.
    pub name: String,
    /// When the first run starts.
    pub start_time: DateTime<Utc>,
    /// `future`, `minutes`, `hourly`, `daily` or `weekly`.
    pub interval: String,
    /// Minutes between runs for `minutes`.
    pub every: i64,
}

impl Schedule {
    /// Parses the run API's `schedule` object.
    pub fn parse(value: &Value, default_name: &str) -> Result<Schedule> {
        let field = |k: &str, m: &str| Error::field(format!("schedule.{k}"), m.to_string());
        let Value::Object(o) = value else {
            return Err(field(
                "interval",
                "Expected an object with start_time and interval.",
            ));
        };
        let interval = o
            .get("interval")
            .and_then(Value::as_str)
            .unwrap_or("future")
            .to_string();
        if !["future", "minutes", "hourly", "daily", "weekly"].contains(&interval.as_str()) {
            return Err(field(
                "interval",
                "Select a valid choice: future, minutes, hourly, daily or weekly.",
            ));
        }
        let start_time = match o.get("start_time").and_then(Value::as_str) {
            Some(s) => DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| field("start_time", "Enter a valid date/time (RFC 3339)."))?,
            None => Utc::now(),
        };
        let every = o.get("every").and_then(Value::as_i64).unwrap_or(0);
        if interval == "minutes" && every < 1 {
            return Err(field("every", "Give the minutes between runs (1 or more)."));
        }
        let name = o
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(default_name)
            .to_string();
        Ok(Schedule {
            name,
            start_time,
            interval,
            every,
        })
    }

    /// The run after one at `at`; `None` for a one-off.
    pub fn next_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let step = match self.interval.as_str() {
            "minutes" => Duration::minutes(self.every.max(1)),
            "hourly" => Duration::hours(1),
            "daily" => Duration::days(1),
            "weekly" => Duration::weeks(1),
            _ => return None,
        };
        // The next slot after `at` on the grid start_time + k·step.
        let mut next = self.start_time;
        while next <= at {
            let behind = (at - next).num_seconds() / step.num_seconds().max(1);
            next += step * (behind.max(0) as i32 + 1);
        }
        Some(next)
    }
}

/// Records a schedule of `job_id` with the cleaned `data`; returns its id.
pub fn create(
    db: &Database,
    job_id: &str,
    schedule: &Schedule,
    data: &Map<String, Value>,
    dryrun: bool,
    user: Option<(&str, &str)>,
) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = values::now();
    let mut sql = Sql::from(
        "INSERT INTO extras_scheduledjob (id, name, job_model_id, interval, every, start_time, \
         next_run, last_run_at, task_kwargs, dryrun, user_id, user_name, enabled, created, \
         last_updated) VALUES (",
    );
    let start = stamp(schedule.start_time);
    let values = [
        SqlValue::text(&id),
        SqlValue::text(&schedule.name),
        SqlValue::text(job_id),
        SqlValue::text(&schedule.interval),
        SqlValue::Int(schedule.every),
        ts(&start),
        ts(&start),
        SqlValue::Null(SqlType::Timestamp),
        SqlValue::Text(Value::Object(data.clone()).to_string(), SqlType::Json),
        SqlValue::Bool(dryrun),
        match user {
            Some((uid, _)) => SqlValue::text(uid),
            None => SqlValue::Null(SqlType::Text),
        },
        SqlValue::text(user.map(|(_, n)| n).unwrap_or("")),
        SqlValue::Bool(true),
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
    dynamic::execute(&mut *db.conn()?, &sql)?;
    Ok(id)
}

/// Queues every due scheduled run once; returns how many were queued.
pub fn tick(db: &Database) -> Result<usize> {
    let mut conn = db.conn()?;
    let now = Utc::now();
    let select = match dynamic::backend_of(&conn) {
        Backend::Sqlite => "SELECT json_object('id', s.id, 'name', s.name, 'job', s.job_model_id, \
             'interval', s.interval, 'every', s.every, 'start_time', s.start_time, \
             'next_run', s.next_run, 'data', json(s.task_kwargs), 'dryrun', s.dryrun, \
             'user_id', s.user_id, 'user_name', s.user_name, 'task', j.module_name || '.' || j.job_class_name, \
             'job_name', j.name) AS row",
        Backend::Postgres => "SELECT json_build_object('id', s.id, 'name', s.name, 'job', s.job_model_id, \
             'interval', s.interval, 'every', s.every, 'start_time', s.start_time, \
             'next_run', s.next_run, 'data', s.task_kwargs, 'dryrun', s.dryrun, \
             'user_id', s.user_id, 'user_name', s.user_name, 'task', j.module_name || '.' || j.job_class_name, \
             'job_name', j.name)::text AS row",
    };
    let mut sql = Sql::from(format!(
        "{select} FROM extras_scheduledjob s JOIN extras_job j ON j.id = s.job_model_id \
         WHERE s.enabled AND s.next_run IS NOT NULL AND s.next_run <= "
    ));
    sql.bind(ts(&stamp(now)));
    let due = dynamic::query_json(&mut conn, &sql)?;
    let mut queued = 0;
    for row in due {
        let text = |k: &str| {
            row.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let parse = |k: &str| {
            DateTime::parse_from_rfc3339(&values::timestamp(&text(k)))
                .map(|d| d.with_timezone(&Utc))
                .ok()
        };
        let (Some(start_time), Some(next_run)) = (parse("start_time"), parse("next_run")) else {
            continue;
        };
        let schedule = Schedule {
            name: text("name"),
            start_time,
            interval: text("interval"),
            every: row.get("every").and_then(Value::as_i64).unwrap_or(0),
        };
        let following = schedule.next_after(now);
        // Compare and set: only the tick that moves next_run on queues the run.
        let mut claim = Sql::from("UPDATE extras_scheduledjob SET next_run = ");
        claim
            .bind(match following {
                Some(t) => ts(&stamp(t)),
                None => SqlValue::Null(SqlType::Timestamp),
            })
            .push(", last_run_at = ")
            .bind(ts(&stamp(now)))
            .push(", enabled = ")
            .bind(SqlValue::Bool(following.is_some()))
            .push(", last_updated = ")
            .bind(ts(&values::now()))
            .push(" WHERE id = ")
            .bind(SqlValue::text(text("id")))
            .push(" AND next_run = ")
            .bind(ts(&stamp(next_run)));
        if dynamic::execute(&mut conn, &claim)? != 1 {
            continue;
        }
        let data = match row.get("data") {
            Some(Value::Object(m)) => m.clone(),
            Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_default(),
            _ => Map::new(),
        };
        let user_id = text("user_id");
        let user_name = text("user_name");
        let result = queue::enqueue(
            &mut conn,
            &queue::NewRun {
                job_id: &text("job"),
                name: &text("job_name"),
                task_name: &text("task"),
                data: &data,
                dryrun: matches!(row.get("dryrun"), Some(Value::Bool(true)))
                    || row.get("dryrun").and_then(Value::as_i64) == Some(1),
                user: (!user_id.is_empty()).then_some((user_id.as_str(), user_name.as_str())),
            },
        )?;
        let mut link = Sql::from("UPDATE extras_jobresult SET scheduled_job_id = ");
        link.bind(SqlValue::text(text("id")))
            .push(" WHERE id = ")
            .bind(SqlValue::text(&result));
        dynamic::execute(&mut conn, &link)?;
        queued += 1;
    }
    Ok(queued)
}
