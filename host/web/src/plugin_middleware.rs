//! Plugin middleware, Django's way round (an onion): request hooks in declared order
//! (plugins in load order), response hooks in reverse. A request hook may answer the
//! request itself; then the view and the middleware declared after it do not run, and
//! the answer passes back through the response hooks of the middleware declared before
//! it. A response hook may set or remove headers. A failing hook is a 500 for that
//! request only.

use std::sync::Arc;

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
    plugin_response::{bad_answer, prepare, Prepared},
};
use nautobot_app::{request, AppState};
use nautobot_auth::Identity;
use nautobot_base::error::Error;
use nautobot_ui::context::PageRequest;

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
    let request_id = request::request_id(req.request());
    let method = req.method().to_string();
    let path = req.path().to_string();

    // How many middleware (in declared order) the request went through: all of them,
    // unless a request hook answered.
    let mut passed = state.middleware.len();
    let mut res = if state.middleware.iter().any(|(_, m)| m.request) {
        let payload = MiddlewareRequest {
            method: method.clone(),
            path: path.clone(),
            query_string: req.query_string().to_string(),
            headers: request::plugin_visible_headers(req.request()),
            user: identity.plugin_user(),
            request_id: request_id.clone(),
        };
        let page = PageRequest::of(req.request());
        let shared = state.clone();
        let who = identity.clone();
        let answered = nautobot_app::block(request_id.clone(), move || {
            request_hooks(&shared, &who, &payload, &page)
        })
        .await;
        match answered {
            Ok(None) => next.call(req).await?,
            Ok(Some((index, prepared))) => {
                passed = index;
                req.into_response(prepared.into_response())
            }
            Err(err) => return Ok(finish_error(&state, req.error_response(err)).await),
        }
    } else {
        next.call(req).await?
    };

    let hooks: Vec<usize> = (0..passed)
        .rev()
        .filter(|&i| state.middleware[i].1.response)
        .collect();
    if hooks.is_empty() {
        return Ok(res);
    }
    let payload = MiddlewareResponse {
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
        user: identity.plugin_user(),
        request_id: request_id.clone(),
    };
    let shared = state.clone();
    let changes = nautobot_app::block(request_id, move || {
        response_hooks(&shared, &identity, payload, &hooks)
    })
    .await;
    match changes {
        Ok(changes) => {
            apply(&mut res, changes);
            Ok(res)
        }
        // The view's answer is not delivered half-processed.
        Err(err) => Ok(finish_error(&state, res.error_response(err)).await),
    }
}

/// Runs the request hooks in order; the first that answers stops the others. Returns
/// its position in the middleware list and its prepared answer.
fn request_hooks(
    state: &AppState,
    identity: &Arc<Identity>,
    payload: &MiddlewareRequest,
    page: &PageRequest,
) -> Result<Option<(usize, Prepared)>, Error> {
    let json = serde_json::to_string(payload).map_err(|e| Error::Internal(e.to_string()))?;
    let kind = kinds::MIDDLEWARE_REQUEST;
    for (index, (plugin, mw)) in state.middleware.iter().enumerate() {
        if !mw.request {
            continue;
        }
        let answer = plugin.call(
            kind,
            &mw.name,
            &json,
            &state.call_services(plugin, identity, &payload.request_id),
        )?;
        let action: MiddlewareAction = serde_json::from_str(&answer).map_err(|e| {
            bad_answer(
                plugin,
                kind,
                &mw.name,
                format!("not a middleware action: {e}"),
            )
        })?;
        if let MiddlewareAction::Respond { response } = action {
            let prepared = prepare(state, plugin, kind, &mw.name, response, page)?;
            return Ok(Some((index, prepared)));
        }
    }
    Ok(None)
}

/// Runs the response hooks at `order` (indices into the middleware list); each sees the
/// response as the previous one left it.
fn response_hooks(
    state: &AppState,
    identity: &Arc<Identity>,
    mut payload: MiddlewareResponse,
    order: &[usize],
) -> Result<Vec<ResponseChanges>, Error> {
    let kind = kinds::MIDDLEWARE_RESPONSE;
    let mut all = Vec::with_capacity(order.len());
    for &index in order {
        let (plugin, mw) = &state.middleware[index];
        let json = serde_json::to_string(&payload).map_err(|e| Error::Internal(e.to_string()))?;
        let answer = plugin.call(
            kind,
            &mw.name,
            &json,
            &state.call_services(plugin, identity, &payload.request_id),
        )?;
        let change: ResponseChanges = serde_json::from_str(&answer).map_err(|e| {
            bad_answer(plugin, kind, &mw.name, format!("not response changes: {e}"))
        })?;
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
