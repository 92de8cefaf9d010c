//! `worker` and `runjob`.

use std::{sync::Arc, time::Duration};

use serde_json::{Map, Value};

use nautobot_app::AppState;
use nautobot_auth::{users, AuthMethod, Identity};
use nautobot_base::error::{Error, Result};
use nautobot_config::Settings;
use nautobot_db::dynamic::{self, Sql, SqlValue};
use nautobot_jobs::{self as jobs, queue, runner, worker};

fn boot(settings: Settings) -> Result<AppState> {
    let state = super::boot(settings)?;
    jobs::registry::sync(&state.db, &state.registry, state.settings.jobs_auto_enable)?;
    Ok(state)
}

/// Runs a worker until stopped (or, with `burst`, until the queue is empty).
pub fn worker(settings: Settings, concurrency: usize, burst: bool, stale_after: u64) -> Result<()> {
    let state = Arc::new(boot(settings)?);
    worker::run(
        state,
        &worker::Options {
            concurrency,
            burst,
            stale_after_seconds: stale_after.max(1) as i64,
        },
    )
}

/// Runs one job, in this process (`local`) or through the queue, and prints its log.
pub fn runjob(
    settings: Settings,
    job: &str,
    data: &str,
    local: bool,
    dryrun: bool,
    username: &str,
) -> Result<()> {
    let (module, class) = job.split_once('.').ok_or_else(|| {
        Error::Usage(format!(
            "'{job}' is not a job: expected <plugin>.<job>, such as example_plugin.example_create_models"
        ))
    })?;
    let data: Map<String, Value> = match serde_json::from_str(data) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(Error::Usage(
                "--data must be a JSON object of the job's variables, such as '{\"count\": 3}'"
                    .to_string(),
            ))
        }
    };
    let state = boot(settings)?;
    let user = users::by_username(&mut *state.db.conn()?, username)?
        .ok_or_else(|| Error::Usage(format!("no user '{username}'")))?;
    let identity = Identity::user(user, AuthMethod::Session);
    let row = jobs::find(&state, module, class)?;
    let id = jobs::submit(&state, &identity, &row, &data, dryrun.then_some(true))?;
    println!("Job result {id} queued.");
    if local {
        // Take this result off the queue before any worker does.
        let mut sql = Sql::from("UPDATE extras_jobresult SET status = 'running', worker = ");
        sql.bind(SqlValue::text("runjob --local"))
            .push(" WHERE status = 'pending' AND id = ")
            .bind(SqlValue::text(&id));
        if dynamic::execute(&mut *state.db.conn()?, &sql)? == 0 {
            return Err(Error::Internal(format!(
                "job result {id} was taken by a worker"
            )));
        }
        runner::run(&state, &id)?;
    } else {
        println!("Waiting for a worker (nautobot-server worker) to run it…");
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let status = status_of(&state, &id)?;
            if status != queue::status::PENDING && status != queue::status::RUNNING {
                break;
            }
        }
    }
    print_log(&state, &id)?;
    let status = status_of(&state, &id)?;
    println!("Job result {id}: {status}");
    if status == queue::status::SUCCESS {
        Ok(())
    } else {
        Err(Error::Internal(format!(
            "job {job} ended with status {status}"
        )))
    }
}

fn status_of(state: &AppState, id: &str) -> Result<String> {
    let model = state
        .catalog
        .registry
        .get("extras.jobresult")
        .ok_or_else(|| Error::Internal("the jobs models are missing".into()))?;
    let row = nautobot_objects::get(&mut *state.db.conn()?, model, id)?
        .ok_or_else(|| Error::NotFound(format!("no job result {id}")))?;
    Ok(row
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string())
}

fn print_log(state: &AppState, id: &str) -> Result<()> {
    let model = state
        .catalog
        .registry
        .get("extras.joblogentry")
        .ok_or_else(|| Error::Internal("the jobs models are missing".into()))?;
    let query = nautobot_objects::query::ListQuery::parse(
        model,
        &[
            ("job_result".to_string(), id.to_string()),
            ("limit".to_string(), "0".to_string()),
        ],
    )?;
    let rows = nautobot_objects::query::all(
        &mut *state.db.conn()?,
        &state.catalog.registry,
        model,
        &query,
    )?;
    for row in rows {
        let text = |k: &str| {
            row.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        super::out(format!("[{}] {}", text("log_level"), text("message")))?;
    }
    Ok(())
}
