//! The REST API's core endpoints: the API root, `/api/status/`, the plugins' API roots
//! and the installed-plugins list. Plugin API views are mounted by `web::plugin_views`.

pub mod jobs;
#[cfg(test)]
mod manifest_props;
pub mod objects;
pub mod openapi;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use nautobot_app::{request, AppState};
use nautobot_base::error::{Error, Result};
use nautobot_base::version::{API_VERSION, RUSTC_VERSION, VERSION};
use nautobot_plugins::LoadedPlugin;

/// Requires an authenticated user when `LOGIN_REQUIRED` is on.
fn require_auth(state: &AppState, req: &HttpRequest) -> Result<()> {
    if state.settings.login_required && !request::identity(req).is_authenticated() {
        return Err(Error::NotAuthenticated);
    }
    Ok(())
}

/// `GET /api/`.
pub async fn root(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    require_auth(&state, &req)?;
    let url = |p: &str| request::absolute_url(&req, p);
    let mut body = Map::new();
    for app in nautobot_schema::core::CORE_APPS {
        body.insert(app.to_string(), Value::String(url(&format!("/api/{app}/"))));
    }
    body.insert("plugins".into(), Value::String(url("/api/plugins/")));
    body.insert("status".into(), Value::String(url("/api/status/")));
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

/// `GET /api/<app>/`: the list endpoints of a core app's models.
pub async fn app_root(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    require_auth(&state, &req)?;
    let app = req
        .path()
        .trim_matches('/')
        .trim_start_matches("api/")
        .to_string();
    let mut body = Map::new();
    for model in state.catalog.registry.app(&app) {
        if nautobot_schema::core::is_hidden(&model.label()) {
            continue;
        }
        body.insert(
            model.schema.url_plural(),
            Value::String(request::absolute_url(&req, &model.api_path)),
        );
    }
    if app == "extras" {
        body.insert(
            "content-types".into(),
            Value::String(request::absolute_url(&req, "/api/extras/content-types/")),
        );
    }
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

/// `GET /api/extras/content-types/`: every model as Nautobot lists content types.
pub async fn content_types(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    require_auth(&state, &req)?;
    let results: Vec<Value> = state
        .catalog
        .registry
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let id = i + 1;
            json!({
                "id": id,
                "url": request::absolute_url(&req, &format!("/api/extras/content-types/{id}/")),
                "display": format!("{} | {}", m.schema.app_label, m.verbose_name()),
                "app_label": m.schema.app_label,
                "model": m.schema.name,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "count": results.len(),
        "next": null,
        "previous": null,
        "results": results,
    })))
}

/// `GET /api/status/`.
pub async fn status(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    require_auth(&state, &req)?;
    let plugins: Map<String, Value> = state
        .registry
        .iter()
        .map(|p| {
            (
                p.name().to_string(),
                Value::String(p.manifest.version.clone()),
            )
        })
        .collect();
    let st = state.clone();
    let (db_version, workers) = nautobot_app::blocking(move || -> Result<(String, i64)> {
        Ok((st.db.server_version()?, nautobot_jobs::worker::alive(&st)?))
    })
    .await??;
    Ok(HttpResponse::Ok().json(json!({
        "nautobot-version": VERSION,
        "api-version": API_VERSION,
        "plugin-abi-version": nautobot_plugin_abi_version(),
        "rust-version": RUSTC_VERSION,
        "database": {"backend": state.db.backend().name(), "version": db_version},
        "plugins": plugins,
        "nautobot-apps": plugins,
        "celery-workers-running": workers,
        "workers-running": workers,
    })))
}

fn nautobot_plugin_abi_version() -> String {
    format!("{}.x", nautobot_plugins::ABI_MAJOR)
}

/// `GET /api/plugins/`: the installed-plugins endpoint and each plugin's API root.
pub async fn plugins_root(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    require_auth(&state, &req)?;
    let mut entries = Map::new();
    entries.insert(
        "installed-plugins".to_string(),
        Value::String(request::absolute_url(
            &req,
            "/api/plugins/installed-plugins/",
        )),
    );
    for plugin in state.registry.iter() {
        if let Some(root) = plugin.api_root_url() {
            entries.insert(
                plugin.manifest.base_url.clone(),
                Value::String(request::absolute_url(&req, &root)),
            );
        }
    }
    Ok(HttpResponse::Ok().json(Value::Object(entries)))
}

/// `GET /api/plugins/installed-plugins/` (staff only, as in Nautobot).
pub async fn installed_plugins(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let identity = request::identity(&req);
    let Some(user) = &identity.user else {
        return Err(Error::NotAuthenticated);
    };
    if !(user.is_staff || user.is_superuser) {
        return Err(Error::PermissionDenied(
            "You do not have permission to perform this action.".to_string(),
        ));
    }
    let list: Vec<Value> = state
        .registry
        .iter()
        .map(|p| installed_entry(p, &req))
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

fn installed_entry(plugin: &LoadedPlugin, req: &HttpRequest) -> Value {
    let m = &plugin.manifest;
    let links = plugin.links();
    let absolute = |path: Option<String>| path.map(|p| request::absolute_url(req, &p));
    json!({
        "name": m.verbose_name,
        "package": m.name,
        "app_label": m.name,
        "author": m.author,
        "author_email": m.author_email,
        "description": m.description,
        "version": m.version,
        "home_url": absolute(links.home),
        "config_url": absolute(links.config),
        "docs_url": absolute(links.docs),
    })
}
