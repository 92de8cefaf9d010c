//! Plugin middleware, Django's way round: request hooks in declared order (plugins in
//! load order), response hooks in reverse. A hook may answer a request itself or change
//! response headers. A failing hook is a 500 for that request only.

use actix_web::{
    body::BoxBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use nautobot_plugin_abi::{
    kinds, MiddlewareAction, MiddlewareRequest, MiddlewareResponse, ResponseChanges,
};

use super::{
    middleware::{finish_error, is_infrastructure_path},
    plugin_response::{bad_answer, prepare},
    request, AppState,
};
use crate::{error::Error, plugins::CallServices, ui::context::PageRequest};

/// Runs the plugins' middleware around the request.
pub async fn run(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    if state.middleware.is_empty() || is_infrastructure_path(&state, req.path()) {
        return next.call(req).await;
    }
    let identity = request::identity(req.request());
    let user = identity.plugin_user();
    let request_id = request::request_id(req.request());
    let method = req.method().to_string();
    let path = req.path().to_string();

    if state.middleware.iter().any(|(_, m)| m.request) {
        let payload = MiddlewareRequest {
            method: method.clone(),
            path: path.clone(),
            query_string: req.query_string().to_string(),
            headers: request::plugin_visible_headers(req.request()),
            user: user.clone(),
            request_id: request_id.clone(),
        };
        let payload = match serde_json::to_string(&payload) {
            Ok(p) => p,
            Err(e) => return Ok(req.error_response(Error::Internal(e.to_string()))),
        };
        let page = PageRequest::of(req.request());
        let shared = state.clone();
        let identity = identity.clone();
        let answered = web::block(move || -> Result<_, Error> {
            let state = shared;
            for (plugin, mw) in state.middleware.iter().filter(|(_, m)| m.request) {
                let services = CallServices::new(
                    plugin.name(),
                    &plugin.config,
                    &state.templates,
                    Some(&identity),
                    Some(&state.db),
                );
                let kind = kinds::MIDDLEWARE_REQUEST;
                let answer = plugin.call(kind, &mw.name, &payload, &services)?;
                let action: MiddlewareAction = serde_json::from_str(&answer).map_err(|e| {
                    bad_answer(
                        plugin,
                        kind,
                        &mw.name,
                        format!("not a middleware action: {e}"),
                    )
                })?;
                if let MiddlewareAction::Respond { response } = action {
                    return prepare(&state, plugin, kind, &mw.name, response, &page).map(Some);
                }
            }
            Ok(None)
        })
        .await
        .map_err(Error::from)
        .and_then(|r| r);
        match answered {
            Ok(Some(prepared)) => return Ok(req.into_response(prepared.into_response())),
            Ok(None) => {}
            Err(err) => return Ok(finish_error(&state, req.error_response(err)).await),
        }
    }

    let mut res = next.call(req).await?;

    if state.middleware.iter().any(|(_, m)| m.response) {
        let mut payload = MiddlewareResponse {
            method,
            path,
            status: res.status().as_u16(),
            headers: res
                .headers()
                .iter()
                .filter(|(name, _)| name.as_str() != "set-cookie")
                .filter_map(|(n, v)| {
                    v.to_str()
                        .ok()
                        .map(|v| (n.as_str().to_string(), v.to_string()))
                })
                .collect(),
            user,
            request_id,
        };
        let shared = state.clone();
        let changes = web::block(move || -> Result<Vec<ResponseChanges>, Error> {
            let state = shared;
            let mut all = Vec::new();
            for (plugin, mw) in state.middleware.iter().rev().filter(|(_, m)| m.response) {
                let services = CallServices::new(
                    plugin.name(),
                    &plugin.config,
                    &state.templates,
                    Some(&identity),
                    Some(&state.db),
                );
                let kind = kinds::MIDDLEWARE_RESPONSE;
                let json =
                    serde_json::to_string(&payload).map_err(|e| Error::Internal(e.to_string()))?;
                let answer = plugin.call(kind, &mw.name, &json, &services)?;
                let change: ResponseChanges = serde_json::from_str(&answer).map_err(|e| {
                    bad_answer(plugin, kind, &mw.name, format!("not response changes: {e}"))
                })?;
                // The next hook sees the response as this one left it.
                for name in &change.remove_headers {
                    payload.headers.remove(&name.to_ascii_lowercase());
                }
                for (name, value) in &change.set_headers {
                    payload
                        .headers
                        .insert(name.to_ascii_lowercase(), value.clone());
                }
                all.push(change);
            }
            Ok(all)
        })
        .await
        .map_err(Error::from)
        .and_then(|r| r);
        match changes {
            Ok(changes) => apply(&mut res, changes),
            // The view's answer is not delivered half-processed.
            Err(err) => return Ok(finish_error(&state, res.error_response(err)).await),
        }
    }
    Ok(res)
}

fn apply(res: &mut ServiceResponse<BoxBody>, changes: Vec<ResponseChanges>) {
    let headers = res.headers_mut();
    for change in changes {
        for name in &change.remove_headers {
            if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                headers.remove(name);
            }
        }
        for (name, value) in &change.set_headers {
            match (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                (Ok(n), Ok(v)) if n.as_str() != "set-cookie" => {
                    headers.insert(n, v);
                }
                _ => tracing::warn!("ignoring invalid header {name:?} set by a plugin middleware"),
            }
        }
    }
}
