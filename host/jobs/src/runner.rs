//! Running one claimed job result: the job's database work is one transaction on one
//! connection — the plugin reaches data only through the host services, bound to that
//! transaction — committed when the job returns `Ok`, rolled back when it returns an
//! error, panics, is read-only or runs as a dry run. Its log is written apart (see
//! `queue::log`) and survives either way. Validators, the permissions of the user who
//! asked for the run and the change log all apply, as for any other write.

use std::sync::Mutex;

use nautobot_plugin_abi::{kinds, JobRequest};
use serde_json::{Map, Value};

use super::queue::{self, status};
use nautobot_app::AppState;
use nautobot_auth::{users, AuthMethod, Identity};
use nautobot_base::error::{Error, Result};
use nautobot_db::DbConnection;
use nautobot_objects as objects;
use nautobot_plugins::JobRun;

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `success` or `failure`.
    pub status: &'static str,
    /// What the job returned.
    pub result: Option<Value>,
    /// Why it failed (empty on success).
    pub traceback: String,
    /// Whether its changes were committed.
    pub committed: bool,
}

fn text(row: &Map<String, Value>, key: &str) -> String {
    row.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Nautobot's defaults (CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT), used when
/// a job declares no limits.
pub const DEFAULT_SOFT_TIME_LIMIT: u64 = 300;
/// See [`DEFAULT_SOFT_TIME_LIMIT`].
pub const DEFAULT_TIME_LIMIT: u64 = 600;

/// The soft and hard time limits (seconds) of the job of result `result_id`.
pub fn limits(state: &AppState, result_id: &str) -> Result<(u64, u64)> {
    let registry = &state.catalog.registry;
    let (Some(result_model), Some(job_model)) =
        (registry.get("extras.jobresult"), registry.get("extras.job"))
    else {
        return Ok((DEFAULT_SOFT_TIME_LIMIT, DEFAULT_TIME_LIMIT));
    };
    let mut conn = state.db.conn()?;
    let job = match objects::get(&mut conn, result_model, result_id)? {
        Some(result) => objects::get(&mut conn, job_model, &text(&result, "job_model"))?,
        None => None,
    };
    let limit = |key: &str, default: u64| {
        job.as_ref()
            .and_then(|j| j.get(key))
            .and_then(Value::as_u64)
            .filter(|n| *n > 0)
            .unwrap_or(default)
    };
    Ok((
        limit("soft_time_limit", DEFAULT_SOFT_TIME_LIMIT),
        limit("time_limit", DEFAULT_TIME_LIMIT),
    ))
}

/// Runs the claimed result `result_id` and records how it ended.
pub fn run(state: &AppState, result_id: &str) -> Result<Outcome> {
    let outcome = match execute(state, result_id) {
        Ok(outcome) => outcome,
        Err(e) => Outcome {
            status: status::FAILURE,
            result: None,
            traceback: e.to_string(),
            committed: false,
        },
    };
    if !outcome.traceback.is_empty() {
        let _ = queue::log(&state.db, result_id, "failure", &outcome.traceback, None);
    }
    queue::finish(
        &state.db,
        result_id,
        outcome.status,
        outcome.result.as_ref(),
        &outcome.traceback,
    )?;
    Ok(outcome)
}

fn execute(state: &AppState, result_id: &str) -> Result<Outcome> {
    let registry = &state.catalog.registry;
    let (result_model, job_model) =
        match (registry.get("extras.jobresult"), registry.get("extras.job")) {
            (Some(r), Some(j)) => (r.clone(), j.clone()),
            _ => return Err(Error::Internal("the jobs models are missing".into())),
        };
    let mut conn = state.db.conn()?;
    let result = objects::get(&mut conn, &result_model, result_id)?
        .ok_or_else(|| Error::NotFound(format!("no job result {result_id}")))?;
    let job_id = text(&result, "job_model");
    let job = objects::get(&mut conn, &job_model, &job_id)?
        .ok_or_else(|| Error::NotFound("the job of this result no longer exists".into()))?;
    let module = text(&job, "module_name");
    let class = text(&job, "job_class_name");
    if job.get("installed") != Some(&Value::Bool(true)) {
        return Err(Error::BadRequest(format!(
            "job {module}.{class} is not installed: its plugin is not loaded"
        )));
    }
    if job.get("enabled") != Some(&Value::Bool(true)) {
        return Err(Error::BadRequest(format!(
            "job {module}.{class} is not enabled"
        )));
    }
    let plugin = state
        .registry
        .get(&module)
        .ok_or_else(|| Error::BadRequest(format!("plugin {module} is not loaded")))?
        .clone();
    let def = plugin
        .manifest
        .jobs
        .iter()
        .find(|j| j.name == class)
        .ok_or_else(|| Error::BadRequest(format!("plugin {module} has no job {class}")))?
        .clone();
    let user = match result.get("user").and_then(Value::as_str) {
        Some(id) => users::by_id(&mut conn, id)?,
        None => None,
    };
    let identity = match user {
        Some(u) => Identity::user(u, AuthMethod::Session),
        None => Identity::anonymous(),
    };
    let dryrun = result.get("dryrun") == Some(&Value::Bool(true));
    let read_only = job.get("read_only") == Some(&Value::Bool(true));
    let cleaned = match result.get("task_kwargs") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let data = super::vars::expand(&mut conn, registry, &def.variables, &cleaned)?;
    let payload = serde_json::to_string(&JobRequest {
        job: class.clone(),
        job_result_id: result_id.to_string(),
        data,
        dryrun,
        user: identity.plugin_user(),
    })
    .map_err(|e| Error::Internal(e.to_string()))?;
    let _ = queue::log(
        &state.db,
        result_id,
        "info",
        &format!(
            "Running job {}{}",
            def.verbose_name,
            if dryrun { " (dry run)" } else { "" }
        ),
        None,
    );

    // The job's transaction: begun by its first write (see the host services), committed
    // only when the job returns Ok and may write, rolled back otherwise.
    let keep = !(dryrun || read_only);
    let conn: &mut DbConnection = &mut conn;
    let cell: Mutex<&mut DbConnection> = Mutex::new(conn);
    let log = queue::ResultLog {
        db: &state.db,
        result_id,
    };
    let answer = {
        let services = state
            .call_services(&plugin, &identity, result_id)
            .with_job(JobRun {
                log: &log,
                conn: &cell,
            });
        plugin.call(kinds::JOB, &def.name, &payload, &services)
    };
    let mut guard = cell.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let conn: &mut DbConnection = &mut guard;
    let wrote = nautobot_db::in_transaction(conn);
    let (answer, committed) = match answer {
        Ok(answer) if keep => {
            if wrote {
                match nautobot_db::end_transaction(conn, true) {
                    Ok(()) => (Ok(answer), true),
                    Err(e) => (Err(Error::from(e)), false),
                }
            } else {
                (Ok(answer), true)
            }
        }
        other => {
            if wrote {
                nautobot_db::end_transaction(conn, false)?;
            }
            (other, false)
        }
    };
    Ok(match answer {
        Ok(answer) => {
            let value: Value = serde_json::from_str(&answer).unwrap_or(Value::String(answer));
            let note = if committed {
                "Job completed; its changes were committed."
            } else if dryrun {
                "Dry run completed; its changes were rolled back."
            } else {
                "Read-only job completed; nothing was committed."
            };
            let _ = queue::log(&state.db, result_id, "success", note, None);
            Outcome {
                status: status::SUCCESS,
                result: Some(value),
                traceback: String::new(),
                committed,
            }
        }
        Err(e) => Outcome {
            status: status::FAILURE,
            result: None,
            traceback: format!("{e}; the job's changes were rolled back."),
            committed: false,
        },
    })
}
