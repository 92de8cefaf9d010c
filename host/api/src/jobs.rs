//! The jobs' REST endpoints beyond the read-only model views: enabling a job
//! (`PATCH /api/extras/jobs/<id>/ {"enabled": true}`) and running one
//! (`POST /api/extras/jobs/<id>/run/ {"data": {…}, "dryrun": false}` → 201 with the
//! queued `job_result`), as Nautobot's API has them.

use actix_web::{
    http::{Method, StatusCode},
    web, HttpRequest, HttpResponse,
};
use serde_json::{json, Map, Value};

use super::objects::{self as api_objects, ModelRoute};
use nautobot_app::{
    request,
    routes::{Access, Routes},
    AppState,
};
use nautobot_base::error::{Error, Result};
use nautobot_db::dynamic::{self, Sql, SqlType, SqlValue};
use nautobot_jobs as jobs;
use nautobot_objects::{self as objects, serialize, values};

/// Registers the jobs' own routes (before the generic model routes, which they extend).
pub fn routes(routes: &mut Routes<'_>, state: &AppState) {
    let Some(model) = state.catalog.registry.get("extras.job") else {
        return;
    };
    let route = web::Data::new(ModelRoute(model.clone()));
    let label = model.label();
    routes
        .at("/api/extras/job-results/{id}/revoke/")
        .post(Access::Permission("extras.run_job".into()), revoke)
        .register();
    routes
        .at("/api/extras/jobs/{id}/run/")
        .post(
            Access::Permissions(vec!["extras.view_job".into(), "extras.run_job".into()]),
            run,
        )
        .register();
    routes
        .at("/api/extras/jobs/{id}/")
        .data(route)
        .read(Access::model(&label, "view"), api_objects::detail)
        .method(Method::PATCH, Access::model(&label, "change"), patch)
        .method(Method::PUT, Access::model(&label, "change"), patch)
        .method(
            Method::OPTIONS,
            Access::model(&label, "view"),
            api_objects::options,
        )
        .register();
}

fn parse(body: &[u8]) -> Result<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::field(
            "non_field_errors",
            "Invalid data. Expected a dictionary.",
        )),
        Err(e) => Err(Error::BadRequest(format!("JSON parse error - {e}"))),
    }
}

/// `PATCH /api/extras/jobs/<id>/`: only `enabled` may change (`extras.change_job`).
async fn patch(
    state: web::Data<AppState>,
    route: web::Data<ModelRoute>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let input = parse(&body)?;
    let model = route.0.clone();
    let identity = request::identity(&req);
    let base = api_objects::base(&req);
    let id = id.into_inner();
    let out = nautobot_app::blocking(move || -> Result<Value> {
        api_objects::require(&state, &identity, &model, "change")?;
        let mut errors = nautobot_base::error::ValidationErrors::new();
        for key in input.keys() {
            if key != "enabled" {
                errors
                    .entry(key.clone())
                    .or_default()
                    .push("Only `enabled` can be changed on a job.".to_string());
            }
        }
        let enabled = match input.get("enabled") {
            Some(v) => {
                match values::clean(&nautobot_plugin_abi::FieldSchema::boolean("enabled"), v) {
                    Ok(Value::Bool(b)) => Some(b),
                    _ => {
                        errors
                            .entry("enabled".into())
                            .or_default()
                            .push("Must be a valid boolean.".into());
                        None
                    }
                }
            }
            None => None,
        };
        if !errors.is_empty() {
            return Err(Error::Validation(Box::new(errors)));
        }
        let within = api_objects::scope(&state, &identity, &model, "change")?;
        let mut conn = state.db.conn()?;
        objects::get_within(&mut conn, &state.catalog.registry, &model, &id, &within)?
            .ok_or_else(|| Error::NotFound("Not found.".into()))?;
        if let Some(enabled) = enabled {
            let mut sql = Sql::from("UPDATE extras_job SET enabled = ");
            sql.bind(SqlValue::Bool(enabled))
                .push(", last_updated = ")
                .bind(SqlValue::Text(values::now(), SqlType::Timestamp))
                .push(" WHERE id = ")
                .bind(SqlValue::text(&id));
            dynamic::execute(&mut conn, &sql)?;
        }
        let row = objects::get(&mut conn, &model, &id)?
            .ok_or_else(|| Error::NotFound("Not found.".into()))?;
        let mut out = serialize::serialize_rows(
            &mut conn,
            &state.catalog.registry,
            &model,
            &[row],
            &base,
            0,
        )?;
        Ok(out.pop().unwrap_or(Value::Null))
    })
    .await??;
    Ok(HttpResponse::Ok().json(out))
}

/// `POST /api/extras/jobs/<id>/run/`: queues a run; 201 with the pending job result.
async fn run(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let input = parse(&body)?;
    let identity = request::identity(&req);
    if !identity.is_authenticated() {
        return Err(Error::NotAuthenticated);
    }
    let base = api_objects::base(&req);
    let id = id.into_inner();
    let out = nautobot_app::blocking(move || -> Result<Value> {
        let registry = &state.catalog.registry;
        let (Some(job_model), Some(result_model)) =
            (registry.get("extras.job"), registry.get("extras.jobresult"))
        else {
            return Err(Error::Internal("the jobs models are missing".into()));
        };
        let mut conn = state.db.conn()?;
        if !nautobot_auth::permissions::can(
            &identity,
            &state.db,
            &state.settings,
            "extras.job",
            "view",
        )? {
            return Err(Error::PermissionDenied(
                "You do not have permission to perform this action.".into(),
            ));
        }
        let within = api_objects::scope(&state, &identity, job_model, "view")?;
        let job = objects::get_within(&mut conn, registry, job_model, &id, &within)?
            .ok_or_else(|| Error::NotFound("Not found.".into()))?;
        drop(conn);
        let data = match input.get("data") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                return Err(Error::field(
                    "data",
                    "Expected a dictionary of the job's variables.",
                ))
            }
        };
        let dryrun = match input.get("dryrun") {
            None | Some(Value::Null) => None,
            Some(v) => match values::parse_bool(&v.to_string()).or_else(|| v.as_bool()) {
                Some(b) => Some(b),
                None => return Err(Error::field("dryrun", "Must be a valid boolean.")),
            },
        };
        // Variables are reported under `data`, as Nautobot does.
        let wrap = |e: Error| match e {
            Error::Validation(errors) => {
                let mut wrapped = nautobot_base::error::ValidationErrors::new();
                for (k, v) in errors.iter() {
                    wrapped.insert(format!("data.{k}"), v.clone());
                }
                Error::Validation(Box::new(wrapped))
            }
            other => other,
        };
        if let Some(spec) = input.get("schedule").filter(|v| !v.is_null()) {
            let name = job.get("name").and_then(Value::as_str).unwrap_or_default();
            let schedule = jobs::schedule::Schedule::parse(spec, name)?;
            let scheduled_id =
                jobs::schedule_runs(&state, &identity, &job, &data, dryrun, &schedule)
                    .map_err(wrap)?;
            let model = registry
                .get("extras.scheduledjob")
                .ok_or_else(|| Error::Internal("the jobs models are missing".into()))?;
            let mut conn = state.db.conn()?;
            let row = objects::get(&mut conn, model, &scheduled_id)?
                .ok_or_else(|| Error::Internal("the new schedule vanished".into()))?;
            let mut out = serialize::serialize_rows(&mut conn, registry, model, &[row], &base, 0)?;
            return Ok(
                json!({"scheduled_job": out.pop().unwrap_or(Value::Null), "job_result": null}),
            );
        }
        let result_id = jobs::submit(&state, &identity, &job, &data, dryrun).map_err(wrap)?;
        let mut conn = state.db.conn()?;
        let row = objects::get(&mut conn, result_model, &result_id)?
            .ok_or_else(|| Error::Internal("the queued job result vanished".into()))?;
        let mut out =
            serialize::serialize_rows(&mut conn, registry, result_model, &[row], &base, 0)?;
        Ok(json!({"scheduled_job": null, "job_result": out.pop().unwrap_or(Value::Null)}))
    })
    .await??;
    Ok(HttpResponse::build(StatusCode::CREATED).json(out))
}

/// `POST /api/extras/job-results/<id>/revoke/`: takes a pending run off the queue
/// (status `revoked`); 409 once a worker has it. Needs `extras.run_job`.
async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let identity = request::identity(&req);
    if !identity.is_authenticated() {
        return Err(Error::NotAuthenticated);
    }
    let base = api_objects::base(&req);
    let id = id.into_inner();
    let out = nautobot_app::blocking(move || -> Result<Value> {
        if !identity.has_perm(&state.db, "extras.run_job")? {
            return Err(Error::PermissionDenied(
                "You do not have permission to perform this action.".into(),
            ));
        }
        let model = state
            .catalog
            .registry
            .get("extras.jobresult")
            .ok_or_else(|| Error::Internal("the jobs models are missing".into()))?;
        let mut conn = state.db.conn()?;
        objects::get(&mut conn, model, &id)?.ok_or_else(|| Error::NotFound("Not found.".into()))?;
        if !jobs::queue::revoke(&state.db, &id)? {
            return Err(Error::Conflict(
                "Only a pending job result can be revoked; a worker already took this one.".into(),
            ));
        }
        let row = objects::get(&mut conn, model, &id)?
            .ok_or_else(|| Error::NotFound("Not found.".into()))?;
        let mut out =
            serialize::serialize_rows(&mut conn, &state.catalog.registry, model, &[row], &base, 0)?;
        Ok(out.pop().unwrap_or(Value::Null))
    })
    .await??;
    Ok(HttpResponse::Ok().json(out))
}
