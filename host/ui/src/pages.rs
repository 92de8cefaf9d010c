//! The core pages: home, installed plugins (and its `/apps/` alias), plugin detail.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{render, require_login};
use nautobot_app::AppState;
use nautobot_base::error::{Error, Result};
use nautobot_plugins::LoadedPlugin;

/// `GET /`: a panel per area with the count of each model the user may view (counts
/// kept by the database, `db::rowcount`: no table is scanned), the plugins' panels and
/// items (`ui::home`), and the plugins.
pub async fn home(
    state: web::Data<AppState>,
    layout: web::Data<crate::Layout>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    require_login(&state, &req, false)?;
    let plugins: Vec<Value> = state
        .registry
        .iter()
        .map(|p| summary(p, "plugins"))
        .collect();
    let identity = nautobot_app::request::identity(&req);
    let st = state.clone();
    let panels = nautobot_app::block(nautobot_app::request::request_id(&req), move || {
        layout
            .home
            .visible_to(&identity, &st.db, &st.settings, &st.catalog.registry)
    })
    .await?;
    render(
        state,
        &req,
        "home.html",
        "Home".into(),
        json!({ "plugins": plugins, "panels": panels }),
    )
    .await
}

/// `GET /plugins/installed-plugins/` and `GET /apps/installed-apps/`.
pub async fn installed(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    require_login(&state, &req, true)?;
    let apps = req.path().starts_with("/apps/");
    let section = if apps { "apps" } else { "plugins" };
    let plugins: Vec<Value> = state.registry.iter().map(|p| summary(p, section)).collect();
    let title = if apps {
        "Installed Apps"
    } else {
        "Installed Plugins"
    };
    render(
        state,
        &req,
        "plugins/installed_plugins.html",
        title.into(),
        json!({ "plugins": plugins }),
    )
    .await
}

/// `GET /plugins/installed-plugins/<name>/` and `GET /apps/installed-apps/<name>/`.
pub async fn detail(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    require_login(&state, &req, true)?;
    let plugin = state
        .registry
        .get(&name)
        .ok_or_else(|| Error::NotFound(format!("No plugin named '{name}' is installed.")))?
        .clone();
    let section = if req.path().starts_with("/apps/") {
        "apps"
    } else {
        "plugins"
    };
    let mut info = summary(&plugin, section);
    let m = &plugin.manifest;
    let views = |defs: &[nautobot_plugin_abi::ViewDef], base: String| -> Vec<Value> {
        defs.iter()
            .map(|v| json!({"name": v.name, "url": format!("{base}{}", v.path), "methods": v.methods, "permissions": v.permissions}))
            .collect()
    };
    let extra = json!({
        "min_version": m.min_version,
        "max_version": m.max_version,
        "abi_version": format!("{}.{}.{}", plugin.abi.major, plugin.abi.minor, plugin.abi.patch),
        "file": plugin.path.display().to_string(),
        "dependencies": m.dependencies,
        "setting_keys": plugin.config.keys().collect::<Vec<_>>(),
        "middleware": m.middleware.iter().map(|mw| mw.name.clone()).collect::<Vec<_>>(),
        "views": views(&m.views, plugin.ui_base()),
        "api_views": views(&m.api_views, plugin.api_base()),
    });
    if let (Value::Object(info), Value::Object(extra)) = (&mut info, extra) {
        info.extend(extra);
    }
    let title = m.verbose_name.clone();
    render(
        state,
        &req,
        "plugins/plugin_detail.html",
        title,
        json!({ "plugin": info }),
    )
    .await
}

/// What the installed-plugins table shows of a plugin.
fn summary(plugin: &LoadedPlugin, section: &str) -> Value {
    let m = &plugin.manifest;
    let links = plugin.links();
    let detail = if section == "apps" {
        format!("/apps/installed-apps/{}/", m.name)
    } else {
        format!("/plugins/installed-plugins/{}/", m.name)
    };
    json!({
        "name": m.name,
        "verbose_name": m.verbose_name,
        "package": m.name,
        "author": m.author,
        "author_email": m.author_email,
        "description": m.description,
        "version": m.version,
        "base_url": m.base_url,
        "home_url": links.home,
        "config_url": links.config,
        "docs_url": links.docs,
        "detail_url": detail,
    })
}
