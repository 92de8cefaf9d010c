//! Jobs (Nautobot's Jobs): plugin jobs registered at start-up into `extras_job`
//! ([`registry`]), checking and queuing a run (here), their variables ([`vars`]), the
//! queue in `extras_jobresult` ([`queue`]), running one job in one transaction
//! ([`runner`]), `nautobot-server worker` ([`worker`]) and schedules ([`schedule`]).
//! Their tables are declared as models in `nautobot_schema::jobs`, so the model layer
//! serves results and logs read-only like any other model.

pub mod queue;
pub mod registry;
pub mod runner;
pub mod schedule;
pub mod vars;
pub mod worker;

use serde_json::{Map, Value};

use nautobot_app::AppState;
use nautobot_auth::Identity;
use nautobot_base::error::{Error, Result};
use nautobot_objects::{self as objects, query::ListQuery, Row};

/// The `extras_job` row of `<module>.<class>`.
pub fn find(state: &AppState, module: &str, class: &str) -> Result<Row> {
    let model = state
        .catalog
        .registry
        .get("extras.job")
        .ok_or_else(|| Error::Internal("the jobs model is missing".into()))?;
    let query = ListQuery::parse(
        model,
        &[
            ("module_name".to_string(), module.to_string()),
            ("job_class_name".to_string(), class.to_string()),
        ],
    )?;
    let mut conn = state.db.conn()?;
    let (_, rows) = objects::query::list(&mut conn, &state.catalog.registry, model, &query)?;
    rows.into_iter()
        .next()
        .ok_or_else(|| Error::NotFound(format!("no job {module}.{class}")))
}

/// Checks that `identity` may run `job` (an `extras_job` row) now — installed, enabled,
/// `extras.run_job` — and cleans the variables `data` (400 with a message per variable).
/// Returns the cleaned data and whether the run is a dry run.
pub fn prepare(
    state: &AppState,
    identity: &Identity,
    job: &Row,
    data: &Map<String, Value>,
    dryrun: Option<bool>,
) -> Result<(Map<String, Value>, bool)> {
    let text = |k: &str| {
        job.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (module, class) = (text("module_name"), text("job_class_name"));
    if job.get("installed") != Some(&Value::Bool(true)) {
        return Err(Error::BadRequest(format!(
            "This job is not installed: the plugin {module} is not loaded, so {module}.{class} cannot run."
        )));
    }
    if job.get("enabled") != Some(&Value::Bool(true)) {
        return Err(Error::BadRequest(format!(
            "This job is not enabled to be run: enable {module}.{class} first."
        )));
    }
    if !identity.has_perm(&state.db, "extras.run_job")? {
        return Err(Error::PermissionDenied(
            "You do not have permission to run jobs.".to_string(),
        ));
    }
    let def = state
        .registry
        .get(&module)
        .and_then(|p| p.manifest.jobs.iter().find(|j| j.name == class).cloned())
        .ok_or_else(|| Error::BadRequest(format!("plugin {module} has no job {class}")))?;
    let mut conn = state.db.conn()?;
    // Object variables choose among the objects the user may view.
    let within = |model: &nautobot_schema::Model| {
        nautobot_auth::permissions::reach(
            identity,
            &state.db,
            &state.settings,
            &model.label(),
            "view",
        )
    };
    let cleaned = vars::clean(
        &mut conn,
        &state.catalog.registry,
        &def.variables,
        data,
        &within,
    )?;
    Ok((cleaned, dryrun.unwrap_or(def.dryrun_default)))
}

/// Queues a run of `job` for `identity` (see [`prepare`]); the new job result's id.
pub fn submit(
    state: &AppState,
    identity: &Identity,
    job: &Row,
    data: &Map<String, Value>,
    dryrun: Option<bool>,
) -> Result<String> {
    let (cleaned, dryrun) = prepare(state, identity, job, data, dryrun)?;
    let text = |k: &str| {
        job.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let user = identity.user.as_ref();
    queue::enqueue(
        &mut *state.db.conn()?,
        &queue::NewRun {
            job_id: &text("id"),
            name: &text("name"),
            task_name: &format!("{}.{}", text("module_name"), text("job_class_name")),
            data: &cleaned,
            dryrun,
            user: user.map(|u| (u.id.as_str(), u.username.as_str())),
        },
    )
}

/// Schedules runs of `job` for `identity` (see [`prepare`]); the schedule's id.
pub fn schedule_runs(
    state: &AppState,
    identity: &Identity,
    job: &Row,
    data: &Map<String, Value>,
    dryrun: Option<bool>,
    schedule: &schedule::Schedule,
) -> Result<String> {
    let (cleaned, dryrun) = prepare(state, identity, job, data, dryrun)?;
    let job_id = job.get("id").and_then(Value::as_str).unwrap_or_default();
    let user = identity.user.as_ref();
    schedule::create(
        &state.db,
        job_id,
        schedule,
        &cleaned,
        dryrun,
        user.map(|u| (u.id.as_str(), u.username.as_str())),
    )
}
