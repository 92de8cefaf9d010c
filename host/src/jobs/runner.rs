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
use crate::{
    auth::{users, AuthMethod, Identity},
    db::DbConnection,
    error::{Error, Result},
    objects,
    plugins::JobRun,
    web::AppState,
};

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

enum Stop {
    /// Roll back; the job's answer (or error).
    Rollback(std::result::Result<String, Error>),
    /// The database failed.
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Db(e)
    }
}

fn text(row: &Map<String, Value>, key: &str) -> String {
    row.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
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

    // The job's transaction: committed only when the job returns Ok and may write.
    let keep = !(dryrun || read_only);
    let ended = crate::db::write_transaction::<String, Stop>(&mut conn, |c| {
        let cell: Mutex<&mut DbConnection> = Mutex::new(c);
        let answer = {
            let services = state
                .call_services(&plugin, &identity, result_id)
                .with_job(JobRun {
                    result_id,
                    conn: &cell,
                });
            plugin.call(kinds::JOB, &def.name, &payload, &services)
        };
        match answer {
            Ok(answer) if keep => Ok(answer),
            other => Err(Stop::Rollback(other)),
        }
    });
    let (answer, committed) = match ended {
        Ok(answer) => (Ok(answer), true),
        Err(Stop::Rollback(answer)) => (answer, false),
        Err(Stop::Db(e)) => (Err(Error::from(e)), false),
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
