//! Plugin views: mounted only under `/plugins/<base_url>/` (UI) and
//! `/api/plugins/<base_url>/` (REST API). The host checks the method, login, permissions
//! and CSRF, then hands the request to the plugin off the async executor.

use std::sync::Arc;

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use nautobot_plugin_abi::{kinds, Request, Response, ViewDef};

use super::plugin_response::{bad_answer, prepare};
use nautobot_app::{
    request,
    routes::{Access, Routes},
    AppState,
};
use nautobot_auth::csrf;
use nautobot_base::error::{Error, Result};
use nautobot_plugins::{LoadedPlugin, PluginRegistry};
use nautobot_ui::context::PageRequest;

/// Which surface a view belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    Ui,
    Api,
}

impl Surface {
    fn kind(self) -> &'static str {
        match self {
            Surface::Ui => kinds::VIEW,
            Surface::Api => kinds::API_VIEW,
        }
    }
}

/// Registers every plugin view on the application: a view with `permissions` needs
/// them all, one without needs a login (unless `LOGIN_REQUIRED` is off).
pub fn mount(routes: &mut Routes<'_>, registry: &PluginRegistry) {
    for plugin in registry.iter() {
        for (surface, views, base) in [
            (Surface::Ui, &plugin.manifest.views, plugin.ui_base()),
            (Surface::Api, &plugin.manifest.api_views, plugin.api_base()),
        ] {
            for view in views {
                let plugin = plugin.clone();
                let view = Arc::new(view.clone());
                let path = format!("{base}{}", view.path);
                let access = if view.permissions.is_empty() {
                    Access::Login
                } else {
                    Access::Permissions(view.permissions.clone())
                };
                let methods = view.methods.clone();
                routes
                    .owned_by(plugin.name(), path)
                    .methods_of(
                        &methods,
                        access,
                        move |state: web::Data<AppState>, req: HttpRequest, body: web::Bytes| {
                            let plugin = plugin.clone();
                            let view = view.clone();
                            async move { dispatch(state, req, body, plugin, view, surface).await }
                        },
                    )
                    .register();
            }
        }
    }
}

async fn dispatch(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
    plugin: Arc<LoadedPlugin>,
    view: Arc<ViewDef>,
    surface: Surface,
) -> Result<HttpResponse> {
    let method = req.method().as_str().to_string();
    let accepts = |m: &str| view.methods.iter().any(|allowed| allowed == m);
    if !(accepts(&method) || (method == "HEAD" && accepts("GET"))) {
        return Err(Error::MethodNotAllowed(method));
    }
    let identity = request::identity(&req);
    if !identity.is_authenticated()
        && (state.settings.login_required || !view.permissions.is_empty())
    {
        return Err(Error::NotAuthenticated);
    }
    let body = String::from_utf8(body.to_vec())
        .map_err(|_| Error::BadRequest("The request body is not valid UTF-8.".to_string()))?;
    if surface == Surface::Ui && csrf::is_unsafe_method(&method) {
        check_form_csrf(&req, &body)?;
    }

    let payload = Request {
        view: view.name.clone(),
        method: method.clone(),
        path: req.path().to_string(),
        base_path: match surface {
            Surface::Ui => plugin.ui_base(),
            Surface::Api => plugin.api_base(),
        },
        path_params: req
            .match_info()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        query: url::form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .collect(),
        headers: request::plugin_visible_headers(&req),
        body,
        user: identity.plugin_user(),
        request_id: request::request_id(&req),
        csrf_token: request::csrf_token(&req),
    };
    let request_id = payload.request_id.clone();
    let payload = serde_json::to_string(&payload).map_err(|e| Error::Internal(e.to_string()))?;
    let page = PageRequest::of(&req);
    let prepared = nautobot_app::block(request_id.clone(), move || {
        if !identity.has_perms(&state.db, &view.permissions)? {
            return Err(Error::PermissionDenied(
                "You do not have permission to perform this action.".to_string(),
            ));
        }
        let kind = surface.kind();
        let answer = plugin.call(
            kind,
            &view.name,
            &payload,
            &state.call_services(&plugin, &identity, &request_id),
        )?;
        let response: Response = serde_json::from_str(&answer).map_err(|e| {
            bad_answer(
                &plugin,
                kind,
                &view.name,
                format!("not a valid response: {e}"),
            )
        })?;
        prepare(&state, &plugin, kind, &view.name, response, &page)
    })
    .await?;
    Ok(prepared.into_response())
}

/// UI forms must repeat the `csrftoken` cookie in `csrfmiddlewaretoken` or `X-CSRFToken`.
fn check_form_csrf(req: &HttpRequest, body: &str) -> Result<()> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let from_form = if is_form {
        url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == csrf::FORM_FIELD)
            .map(|(_, v)| v.into_owned())
    } else {
        None
    };
    csrf::check_form(req, from_form.as_deref())
}
