//! Jobs (Nautobot's Jobs): plugin jobs registered at start-up into `extras_job`, their
//! results and logs served through the model layer (`models`).
//!
//! Running jobs — the queue, `nautobot-server worker`, variables, the run form and API —
//! is being built (issue 5); what exists now is registration and the read-only views.

pub mod models;
pub mod queue;
pub mod registry;
pub mod runner;
pub mod vars;
pub mod worker;

use serde_json::{Map, Value};

use crate::{
    auth::Identity,
    error::{Error, Result},
    objects::{self, query::ListQuery, Row},
    web::AppState,
};

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

/// Queues a run of `job` (an `extras_job` row) for `identity` with the variables
/// `data`: the job must be installed and enabled, the user may run jobs
/// (`extras.run_job`), the variables are cleaned (400 with messages per variable).
/// Returns the new job result's id.
pub fn submit(
    state: &AppState,
    identity: &Identity,
    job: &Row,
    data: &Map<String, Value>,
    dryrun: Option<bool>,
) -> Result<String> {
    let text = |k: &str| {
        job.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (module, class) = (text("module_name"), text("job_class_name"));
    if job.get("installed") != Some(&Value::Bool(true)) {
        return Err(Error::MethodNotAllowed(format!(
            "job {module}.{class} is not installed"
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
    let cleaned = vars::clean(&mut conn, &state.catalog.registry, &def.variables, data)?;
    let dryrun = dryrun.unwrap_or(def.dryrun_default);
    let user = identity.user.as_ref();
    queue::enqueue(
        &mut conn,
        &queue::NewRun {
            job_id: &text("id"),
            name: &text("name"),
            task_name: &format!("{module}.{class}"),
            data: &cleaned,
            dryrun,
            user: user.map(|u| (u.id.as_str(), u.username.as_str())),
        },
    )
}
