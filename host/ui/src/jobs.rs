//! The jobs' own pages (Nautobot's job list, run form and job result): the list at
//! `/extras/jobs/` grouped by `grouping` with Run and Enable/Disable buttons, the run
//! form at `/extras/jobs/<id>/run/` built from the job's variables, and the result page
//! at `/extras/job-results/<id>/` with its log, refreshing itself while the job waits or
//! runs. The other job pages stay the generic model pages (`ui::objects`).
//!
//! File variables are given as text in a textarea named like the variable (the form is
//! sent urlencoded, like every other form).

use std::sync::Arc;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use nautobot_plugin_abi::{JobVar, VarKind};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::{
    context::{self, PageRequest},
    objects::{
        checked_form,
        forms::{self, FormValues, SelectOption},
        safe_return_url, Outcome,
    },
};
use nautobot_app::{
    request,
    routes::{Access, Routes},
    AppState,
};
use nautobot_auth::{permissions::can, Identity};
use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_db::{
    dynamic::{self, Sql, SqlType, SqlValue},
    DbConnection,
};
use nautobot_jobs as jobs;
use nautobot_objects::{
    self as objects, display,
    query::{self, ListQuery, MAX_LIMIT},
    values, Row,
};
use nautobot_schema::jobs::STATUSES;
use nautobot_schema::{Model, Registry};

/// The jobs templates, from `templates/jobs/` in the repository.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "jobs/_style.html",
        include_str!("../../../templates/jobs/_style.html"),
    ),
    (
        "jobs/job_list.html",
        include_str!("../../../templates/jobs/job_list.html"),
    ),
    (
        "jobs/job_run.html",
        include_str!("../../../templates/jobs/job_run.html"),
    ),
    (
        "jobs/job_result.html",
        include_str!("../../../templates/jobs/job_result.html"),
    ),
];

/// The form field of the dry-run checkbox.
const DRYRUN: &str = "dryrun";
/// The job list.
const LIST_URL: &str = "/extras/jobs/";

/// Registers the jobs pages (before the generic model pages, whose paths they take).
pub fn routes(routes: &mut Routes<'_>, state: &AppState) {
    let registry = &state.catalog.registry;
    if registry.get("extras.job").is_none() || registry.get("extras.jobresult").is_none() {
        return;
    }
    let view_jobs = Access::Permission("extras.view_job".into());
    routes.at(LIST_URL).read(view_jobs.clone(), list).register();
    routes
        .at("/extras/jobs/{id}/run/")
        .read(view_jobs, run_form)
        .post(
            Access::Permissions(vec!["extras.view_job".into(), "extras.run_job".into()]),
            run_submit,
        )
        .register();
    // GET of an action only leads back to the list, which checks.
    routes
        .at("/extras/jobs/{id}/enable/")
        .get(Access::Public, back_to_list)
        .post(Access::Permission("extras.change_job".into()), enable)
        .register();
    routes
        .at("/extras/job-results/{id}/")
        .read(Access::Permission("extras.view_jobresult".into()), result)
        .register();
}

async fn back_to_list() -> HttpResponse {
    Outcome::Redirect(LIST_URL.to_string()).into_response()
}

/// The request's facts, gathered before going off the executor.
struct Page {
    state: web::Data<AppState>,
    identity: Arc<Identity>,
    page: PageRequest,
    id: String,
}

impl Page {
    fn of(state: web::Data<AppState>, req: &HttpRequest) -> Page {
        Page {
            state,
            identity: request::identity(req),
            page: PageRequest::of(req),
            id: req.match_info().get("id").unwrap_or_default().to_string(),
        }
    }

    fn registry(&self) -> &Registry {
        &self.state.catalog.registry
    }

    fn model(&self, label: &str) -> Result<&Model> {
        self.registry()
            .get(label)
            .map(|m| m.as_ref())
            .ok_or_else(|| Error::Internal(format!("the model {label} is missing")))
    }

    /// The objects of `model` the requester may `action` (their grants' constraints;
    /// nothing without a grant). Blocking.
    fn within(
        &self,
        model: &Model,
        action: &str,
    ) -> Result<nautobot_objects::constraints::Constraint> {
        nautobot_auth::permissions::reach(
            &self.identity,
            &self.state.db,
            &self.state.settings,
            &model.label(),
            action,
        )
    }

    /// Whether the requester may `action` objects of `model` (blocking).
    fn can(&self, model: &str, action: &str) -> Result<bool> {
        can(
            &self.identity,
            &self.state.db,
            &self.state.settings,
            model,
            action,
        )
    }

    /// Anonymous visitors to the login page, users without the permission a 403.
    fn require(&self, model: &str, action: &str, what: &str) -> Result<()> {
        let authenticated = self.identity.is_authenticated();
        if !authenticated && self.state.settings.login_required {
            return Err(Error::NotAuthenticated);
        }
        if self.can(model, action)? {
            Ok(())
        } else if !authenticated {
            Err(Error::NotAuthenticated)
        } else {
            Err(Error::PermissionDenied(format!(
                "You do not have permission to {what}."
            )))
        }
    }

    /// Renders `template` in the base layout with `extra` (blocking).
    fn render(&self, template: &str, title: &str, extra: Value) -> Result<Outcome> {
        let mut ctx = context::page(&self.state, &self.page, title)?;
        ctx.extend(tera::Context::from_value(extra)?);
        Ok(Outcome::Html(
            StatusCode::OK,
            self.state.templates.render(template, &ctx)?,
        ))
    }

    /// The job of the path (404 if there is none).
    fn job(&self, conn: &mut DbConnection) -> Result<Row> {
        objects::get(conn, self.model("extras.job")?, &self.id)?
            .ok_or_else(|| Error::NotFound("No job matches the given query.".into()))
    }
}

async fn run<F>(request_id: String, work: F) -> Result<HttpResponse>
where
    F: FnOnce() -> Result<Outcome> + Send + 'static,
{
    crate::objects::run(request_id, work).await
}

fn text(row: &Row, key: &str) -> String {
    match row.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn flag(row: &Row, key: &str) -> bool {
    row.get(key) == Some(&Value::Bool(true))
}

fn run_url(id: &str) -> String {
    format!("/extras/jobs/{id}/run/")
}

// ---------------------------------------------------------------------------------------
// The list.

/// `GET /extras/jobs/`: the jobs grouped by `grouping`, then by name.
async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    let page = Page::of(state, &req);
    run(nautobot_app::request::request_id(&req), move || {
        page.require("extras.job", "view", "view jobs")?;
        let may_run = page.can("extras.job", "run")?;
        let may_change = page.can("extras.job", "change")?;
        let model = page.model("extras.job")?;
        let query = ListQuery {
            limit: MAX_LIMIT,
            sort: vec!["grouping".into(), "name".into()],
            ..Default::default()
        }
        .within(page.within(model, "view")?);
        let rows = query::all(&mut *page.state.db.conn()?, page.registry(), model, &query)?;
        let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
        for row in &rows {
            let id = text(row, "id");
            let (enabled, installed) = (flag(row, "enabled"), flag(row, "installed"));
            let mut grouping = text(row, "grouping");
            if grouping.is_empty() {
                grouping = text(row, "module_name");
            }
            let job = json!({
                "id": id,
                "name": text(row, "name"),
                "description": text(row, "description"),
                "module": format!("{}.{}", text(row, "module_name"), text(row, "job_class_name")),
                "enabled": enabled,
                "installed": installed,
                "read_only": flag(row, "read_only"),
                "can_run": may_run && enabled && installed,
                "run_url": run_url(&id),
                "detail_url": format!("{}{id}/", model.ui_path),
                "enable_url": format!("/extras/jobs/{id}/enable/"),
            });
            match groups.iter_mut().find(|(g, _)| *g == grouping) {
                Some((_, jobs)) => jobs.push(job),
                None => groups.push((grouping, vec![job])),
            }
        }
        groups.sort_by_key(|a| a.0.to_lowercase());
        for (_, jobs) in &mut groups {
            jobs.sort_by_key(|j| j["name"].as_str().unwrap_or_default().to_lowercase());
        }
        let groups: Vec<Value> = groups
            .into_iter()
            .map(|(name, jobs)| json!({"name": name, "jobs": jobs}))
            .collect();
        page.render(
            "jobs/job_list.html",
            "Jobs",
            json!({
                "groups": groups,
                "perms": {"run": may_run, "change": may_change},
                "return_url": page.page.path,
            }),
        )
    })
    .await
}

/// `POST /extras/jobs/<id>/enable/` (`enabled=true|false`, `extras.change_job`): back
/// to the list (or the form's local `return_url`).
async fn enable(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let pairs = checked_form(&req, &body)?;
    let page = Page::of(state, &req);
    run(nautobot_app::request::request_id(&req), move || {
        let form = forms::values_of(&pairs);
        page.require("extras.job", "change", "change jobs")?;
        let enabled = forms::first(&form, "enabled")
            .and_then(values::parse_bool)
            .ok_or_else(|| Error::BadRequest("`enabled` must be true or false.".into()))?;
        let mut conn = page.state.db.conn()?;
        page.job(&mut conn)?;
        let mut sql = Sql::from("UPDATE extras_job SET enabled = ");
        sql.bind(SqlValue::Bool(enabled))
            .push(", last_updated = ")
            .bind(SqlValue::Text(values::now(), SqlType::Timestamp))
            .push(" WHERE id = ")
            .bind(SqlValue::text(&page.id));
        dynamic::execute(&mut conn, &sql)?;
        Ok(Outcome::Redirect(
            forms::first(&form, "return_url")
                .and_then(safe_return_url)
                .unwrap_or_else(|| LIST_URL.to_string()),
        ))
    })
    .await
}

// ---------------------------------------------------------------------------------------
// The run form.

/// One input of the run form, ready for the template.
#[derive(Debug, Clone, Serialize)]
struct VarField {
    name: String,
    label: String,
    /// `text`, `number`, `textarea`, `checkbox`, `select` or `multiselect`.
    widget: &'static str,
    required: bool,
    help_text: String,
    value: String,
    checked: bool,
    options: Vec<SelectOption>,
    errors: Vec<String>,
    min: Option<i64>,
    max: Option<i64>,
    max_length: Option<u32>,
    /// What the variable is (`string`, `object` …), for the page.
    kind: &'static str,
}

fn kind_name(kind: &VarKind) -> &'static str {
    match kind {
        VarKind::String { .. } => "string",
        VarKind::Text => "text",
        VarKind::Integer { .. } => "integer",
        VarKind::Boolean => "boolean",
        VarKind::Choice { .. } => "choice",
        VarKind::MultiChoice { .. } => "multi_choice",
        VarKind::Object { .. } => "object",
        VarKind::MultiObject { .. } => "multi_object",
        VarKind::IpAddress => "ip_address",
        VarKind::IpNetwork => "ip_network",
        VarKind::Json => "json",
        VarKind::File => "file",
    }
}

/// A JSON value as form text.
fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Object(o) => o
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string()),
        Value::Array(_) => value.to_string(),
    }
}

/// The job's variables: from its plugin's manifest, else as stored with the job.
fn variables(state: &AppState, job: &Row) -> Vec<JobVar> {
    let (module, class) = (text(job, "module_name"), text(job, "job_class_name"));
    if let Some(def) = state
        .registry
        .get(&module)
        .and_then(|p| p.manifest.jobs.iter().find(|j| j.name == class))
    {
        return def.variables.clone();
    }
    job.get("variables")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// The form values a fresh run form shows: the variables' defaults.
fn initial(vars: &[JobVar], dryrun_default: bool) -> FormValues {
    let mut form = FormValues::new();
    for var in vars {
        let Some(default) = &var.default else {
            continue;
        };
        let shown: Vec<String> = match (&var.kind, default) {
            (VarKind::Boolean, v) => {
                if v.as_bool() == Some(true) || values::parse_bool(&value_text(v)) == Some(true) {
                    vec!["true".into()]
                } else {
                    Vec::new()
                }
            }
            (VarKind::Json, v) if !v.is_string() => {
                vec![serde_json::to_string_pretty(v).unwrap_or_default()]
            }
            (_, Value::Array(list)) => list.iter().map(value_text).collect(),
            (_, v) => vec![value_text(v)],
        };
        if !shown.is_empty() {
            form.insert(var.name.clone(), shown);
        }
    }
    if dryrun_default {
        form.insert(DRYRUN.into(), vec!["true".into()]);
    }
    form
}

/// Whether a checkbox is ticked in `form`.
fn ticked(form: &FormValues, name: &str) -> bool {
    form.get(name)
        .is_some_and(|v| v.iter().any(|s| values::parse_bool(s) != Some(false)))
}

/// The options of an Object or MultiObject variable: up to 1000 objects matching its
/// query (filters on other variables dropped), by display name.
fn object_options(
    conn: &mut DbConnection,
    registry: &Registry,
    label: &str,
    filter: &Map<String, Value>,
    within: nautobot_jobs::vars::Within<'_>,
) -> Result<Vec<(String, String)>> {
    let Some(model) = registry.get(label) else {
        return Ok(Vec::new());
    };
    let mut params = Vec::new();
    for (key, value) in filter {
        let items = match value {
            Value::Array(list) => list.clone(),
            other => vec![other.clone()],
        };
        for item in items {
            match item {
                Value::String(s) if s.starts_with('$') => {}
                Value::String(s) => params.push((key.clone(), s)),
                Value::Number(n) => params.push((key.clone(), n.to_string())),
                Value::Bool(b) => params.push((key.clone(), b.to_string())),
                _ => {}
            }
        }
    }
    let mut query = match ListQuery::parse(model, &params) {
        Ok(q) => q,
        Err(Error::Validation(_)) => ListQuery::default(),
        Err(e) => return Err(e),
    };
    query.limit = MAX_LIMIT;
    query.offset = 0;
    let query = query.within(within(model)?);
    let (_, rows) = query::list(conn, registry, model, &query)?;
    let mut options: Vec<(String, String)> = rows
        .iter()
        .map(|r| (text(r, "id"), display(model, r)))
        .collect();
    options.sort_by_key(|a| a.1.to_lowercase());
    Ok(options)
}

fn options_of(choices: &[(String, String)], selected: &[String], blank: bool) -> Vec<SelectOption> {
    let mut out = Vec::new();
    if blank {
        out.push(SelectOption {
            value: String::new(),
            label: "---------".into(),
            selected: selected.iter().all(String::is_empty),
        });
    }
    out.extend(choices.iter().map(|(value, label)| SelectOption {
        value: value.clone(),
        label: label.clone(),
        selected: selected.contains(value),
    }));
    out
}

/// The inputs of the run form showing `form` and `errors`.
fn fields(
    conn: &mut DbConnection,
    registry: &Registry,
    vars: &[JobVar],
    form: &FormValues,
    errors: &ValidationErrors,
    within: nautobot_jobs::vars::Within<'_>,
) -> Result<Vec<VarField>> {
    let mut out = Vec::new();
    for var in vars {
        let given: Vec<String> = form.get(&var.name).cloned().unwrap_or_default();
        let first = given.first().cloned().unwrap_or_default();
        let mut field = VarField {
            name: var.name.clone(),
            // Django's pretty_name when the job gives no label: `string_var` → `String var`.
            label: if var.label.is_empty() {
                nautobot_objects::capitalise(&var.name.replace('_', " "))
            } else {
                var.label.clone()
            },
            widget: "text",
            required: var.required && !matches!(var.kind, VarKind::Boolean),
            help_text: var.description.clone(),
            value: first.clone(),
            checked: false,
            options: Vec::new(),
            errors: errors
                .get(&var.name)
                .or_else(|| errors.get(&format!("data.{}", var.name)))
                .cloned()
                .unwrap_or_default(),
            min: None,
            max: None,
            max_length: None,
            kind: kind_name(&var.kind),
        };
        match &var.kind {
            VarKind::String { max_length, .. } => field.max_length = *max_length,
            VarKind::Text | VarKind::Json | VarKind::File => field.widget = "textarea",
            VarKind::Integer { min, max } => {
                field.widget = "number";
                field.min = *min;
                field.max = *max;
            }
            VarKind::Boolean => {
                field.widget = "checkbox";
                field.checked = ticked(form, &var.name);
            }
            VarKind::Choice { choices } => {
                field.widget = "select";
                let blank = !var.required || var.default.is_none();
                field.options = options_of(choices, &given, blank);
            }
            VarKind::MultiChoice { choices } => {
                field.widget = "multiselect";
                field.options = options_of(choices, &given, false);
            }
            VarKind::Object { model, query } => {
                field.widget = "select";
                let choices = object_options(conn, registry, model, query, within)?;
                field.options = options_of(&choices, &given, true);
            }
            VarKind::MultiObject { model, query } => {
                field.widget = "multiselect";
                let choices = object_options(conn, registry, model, query, within)?;
                field.options = options_of(&choices, &given, false);
            }
            VarKind::IpAddress | VarKind::IpNetwork => {}
        }
        out.push(field);
    }
    Ok(out)
}

/// The submitted form as the job's `data`: empty values left out, unticked checkboxes
/// `false`, multiple selects as lists.
fn to_data(vars: &[JobVar], form: &FormValues) -> Map<String, Value> {
    let mut data = Map::new();
    for var in vars {
        let given: Vec<&String> = form
            .get(&var.name)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        match &var.kind {
            VarKind::Boolean => {
                data.insert(var.name.clone(), Value::Bool(ticked(form, &var.name)));
            }
            VarKind::MultiChoice { .. } | VarKind::MultiObject { .. } => {
                let list: Vec<Value> = given
                    .iter()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| Value::String((*s).clone()))
                    .collect();
                if !list.is_empty() {
                    data.insert(var.name.clone(), Value::Array(list));
                }
            }
            _ => {
                if let Some(value) = given.first().filter(|s| !s.trim().is_empty()) {
                    data.insert(var.name.clone(), Value::String((*value).clone()));
                }
            }
        }
    }
    data
}

/// The run form of the job `job` showing `form` and `errors`.
fn form_page(
    page: &Page,
    job: &Row,
    form: &FormValues,
    errors: &ValidationErrors,
) -> Result<Outcome> {
    let vars = variables(&page.state, job);
    let within = |model: &Model| page.within(model, "view");
    let inputs = fields(
        &mut *page.state.db.conn()?,
        page.registry(),
        &vars,
        form,
        errors,
        &within,
    )?;
    let general: Vec<String> = errors
        .iter()
        .filter(|(k, _)| {
            !vars
                .iter()
                .any(|v| &v.name == *k || **k == format!("data.{}", v.name))
        })
        .flat_map(|(k, messages)| {
            messages.iter().map(move |m| match k.as_str() {
                "__all__" | "non_field_errors" => m.clone(),
                other => format!("{other}: {m}"),
            })
        })
        .collect();
    let (enabled, installed) = (flag(job, "enabled"), flag(job, "installed"));
    let may_run = page.can("extras.job", "run")?;
    let refusal = if !installed {
        Some("This job is not installed: its plugin is not loaded, so it cannot be run.")
    } else if !enabled {
        Some("This job is not enabled to be run.")
    } else {
        None
    };
    let name = text(job, "name");
    let id = text(job, "id");
    page.render(
        "jobs/job_run.html",
        &name,
        json!({
            "job": {
                "id": id,
                "name": name,
                "description": text(job, "description"),
                "grouping": text(job, "grouping"),
                "module": format!("{}.{}", text(job, "module_name"), text(job, "job_class_name")),
                "enabled": enabled,
                "installed": installed,
                "read_only": flag(job, "read_only"),
                "detail_url": format!("/extras/jobs/{id}/"),
                "run_url": run_url(&id),
            },
            "fields": inputs,
            "dryrun": ticked(form, DRYRUN),
            "form_errors": general,
            "refusal": refusal,
            "may_run": may_run,
            "can_submit": refusal.is_none() && may_run,
        }),
    )
}

/// `GET /extras/jobs/<id>/run/`.
async fn run_form(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    let page = Page::of(state, &req);
    run(nautobot_app::request::request_id(&req), move || {
        page.require("extras.job", "view", "view jobs")?;
        let job = page.job(&mut *page.state.db.conn()?)?;
        let vars = variables(&page.state, &job);
        let form = initial(&vars, flag(&job, "dryrun_default"));
        form_page(&page, &job, &form, &ValidationErrors::new())
    })
    .await
}

/// `POST /extras/jobs/<id>/run/`: queues the run and shows its result page; the form
/// again with the messages when a variable is refused.
async fn run_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let pairs = checked_form(&req, &body)?;
    let page = Page::of(state, &req);
    run(nautobot_app::request::request_id(&req), move || {
        page.require("extras.job", "view", "view jobs")?;
        let job = page.job(&mut *page.state.db.conn()?)?;
        page.require("extras.job", "run", "run jobs")?;
        if !flag(&job, "installed") {
            return Err(Error::BadRequest(format!(
                "This job is not installed: {} cannot be run.",
                text(&job, "name")
            )));
        }
        if !flag(&job, "enabled") {
            return Err(Error::BadRequest(format!(
                "This job is not enabled to be run: enable {} first.",
                text(&job, "name")
            )));
        }
        let form = forms::values_of(&pairs);
        let vars = variables(&page.state, &job);
        let data = to_data(&vars, &form);
        let dryrun = Some(ticked(&form, DRYRUN));
        match jobs::submit(&page.state, &page.identity, &job, &data, dryrun) {
            Ok(result_id) => Ok(Outcome::Redirect(format!(
                "/extras/job-results/{result_id}/"
            ))),
            Err(Error::Validation(errors)) => form_page(&page, &job, &form, &errors),
            Err(e) => Err(e),
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------
// The result page.

fn pretty(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
    }
}

/// The page each logged object URL should lead to: an object's REST URL
/// (`/api/dcim/locations/<id>/`, as plugins' jobs log what the host hands them) or UI
/// URL becomes its UI page, and a link to an object that does not exist (the job rolled
/// back, or it was deleted since) is dropped — one query per model. Other URLs stay as
/// logged.
fn object_pages(
    conn: &mut nautobot_db::DbConnection,
    registry: &nautobot_schema::Registry,
    urls: &[String],
) -> Result<Vec<Option<String>>> {
    let mut found: Vec<Option<(Arc<nautobot_schema::Model>, String)>> = Vec::new();
    let mut wanted: std::collections::HashMap<String, Vec<String>> = Default::default();
    for url in urls {
        // Absolute URLs (`http://host/api/…`) count by their path.
        let path = match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
            None => url.as_str(),
        };
        let hit = registry.iter().find_map(|m| {
            let id = path
                .strip_prefix(m.api_path.as_str())
                .or_else(|| path.strip_prefix(m.ui_path.as_str()))?
                .strip_suffix('/')?;
            uuid::Uuid::parse_str(id).ok()?;
            Some((m.clone(), id.to_string()))
        });
        if let Some((model, id)) = &hit {
            wanted.entry(model.label()).or_default().push(id.clone());
        }
        found.push(hit);
    }
    let mut existing: std::collections::HashSet<(String, String)> = Default::default();
    for (label, ids) in &mut wanted {
        let Some(model) = registry.get(label) else {
            continue;
        };
        ids.sort();
        ids.dedup();
        for row in objects::get_many(conn, model, ids)? {
            if let Some(id) = row.get("id").and_then(Value::as_str) {
                existing.insert((label.clone(), id.to_string()));
            }
        }
    }
    Ok(urls
        .iter()
        .zip(found)
        .map(|(url, hit)| match hit {
            Some((model, id)) => existing
                .contains(&(model.label(), id.clone()))
                .then(|| format!("{}{id}/", model.ui_path)),
            None if url.is_empty() => None,
            None => Some(url.clone()),
        })
        .collect())
}

/// `GET /extras/job-results/<id>/`: the result and its log; refreshes itself every two
/// seconds while the job is pending or running.
async fn result(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    let page = Page::of(state, &req);
    run(nautobot_app::request::request_id(&req), move || {
        page.require("extras.jobresult", "view", "view job results")?;
        let model = page.model("extras.jobresult")?;
        let mut conn = page.state.db.conn()?;
        let row = objects::get(&mut conn, model, &page.id)?
            .ok_or_else(|| Error::NotFound("No job result matches the given query.".into()))?;
        let status = text(&row, "status");
        let status_label = STATUSES
            .iter()
            .find(|(v, _)| *v == status)
            .map(|(_, l)| l.to_string())
            .unwrap_or_else(|| status.clone());
        let job_id = text(&row, "job_model");
        let job_url = (!job_id.is_empty()).then(|| run_url(&job_id));
        let log_model = page.model("extras.joblogentry")?;
        let query = ListQuery {
            limit: MAX_LIMIT,
            sort: vec!["created".into()],
            ..Default::default()
        }
        .filter("job_result", &page.id);
        let entries = query::all(&mut conn, page.registry(), log_model, &query)?;
        let urls: Vec<String> = entries.iter().map(|e| text(e, "absolute_url")).collect();
        let links = object_pages(&mut conn, page.registry(), &urls)?;
        drop(conn);
        let log: Vec<Value> = entries
            .iter()
            .zip(links)
            .map(|(e, url)| {
                json!({
                    "time": text(e, "created"),
                    "level": text(e, "log_level"),
                    "grouping": text(e, "grouping"),
                    "message": text(e, "message"),
                    "object": text(e, "log_object"),
                    "url": url,
                })
            })
            .collect();
        let running =
            status == jobs::queue::status::PENDING || status == jobs::queue::status::RUNNING;
        // A pending run waits for a worker: say so when none is alive.
        let no_worker =
            status == jobs::queue::status::PENDING && jobs::worker::alive(&page.state)? == 0;
        let name = text(&row, "name");
        page.render(
            "jobs/job_result.html",
            &format!("{name} - job result"),
            json!({
                "result": {
                    "id": text(&row, "id"),
                    "name": name,
                    "task_name": text(&row, "task_name"),
                    "job_url": job_url,
                    "status": status,
                    "status_label": status_label,
                    "user": text(&row, "user_name"),
                    "user_url": Some(text(&row, "user"))
                        .filter(|id| !id.is_empty())
                        .map(|id| format!("/users/users/{id}/")),
                    "created": text(&row, "date_created"),
                    "started": text(&row, "date_started"),
                    "completed": text(&row, "date_done"),
                    "dryrun": flag(&row, "dryrun"),
                    "input": pretty(row.get("task_kwargs")),
                    "output": pretty(row.get("result")),
                    "traceback": text(&row, "traceback"),
                    "worker": text(&row, "worker"),
                },
                "log": log,
                "refresh": running,
                "no_worker": no_worker,
            }),
        )
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_every_jobs_template_once() {
        let mut names: Vec<&str> = TEMPLATES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TEMPLATES.len());
        assert!(names.iter().all(|n| n.starts_with("jobs/")));
    }

    #[test]
    fn forms_become_job_data() {
        let vars = vec![
            JobVar::string("prefix"),
            JobVar::integer("count", None, None).optional(),
            JobVar::boolean("flag"),
            JobVar::new(
                "colours",
                VarKind::MultiChoice {
                    choices: vec![("red".into(), "Red".into())],
                },
            ),
        ];
        let form = forms::values_of(&[
            ("prefix".into(), "ui".into()),
            ("count".into(), "".into()),
            ("colours".into(), "red".into()),
            ("unknown".into(), "x".into()),
        ]);
        let data = to_data(&vars, &form);
        assert_eq!(
            Value::Object(data),
            json!({"prefix": "ui", "flag": false, "colours": ["red"]})
        );
    }

    #[test]
    fn defaults_fill_a_fresh_form() {
        let vars = vec![
            JobVar::integer("count", None, None).default_value(3),
            JobVar::boolean("flag").default_value(true),
            JobVar::new("blob", VarKind::Json).default_value(json!({"a": 1})),
        ];
        let form = initial(&vars, true);
        assert_eq!(forms::first(&form, "count"), Some("3"));
        assert!(ticked(&form, "flag"));
        assert!(ticked(&form, DRYRUN));
        assert!(forms::first(&form, "blob").is_some_and(|s| s.contains("\"a\": 1")));
    }
}
