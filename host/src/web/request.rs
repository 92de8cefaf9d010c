//! What the middleware attaches to each request: its id, its identity and its CSRF token.

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};

use crate::auth::Identity;

/// The request's id (also sent back as `X-Request-ID`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The CSRF token for forms rendered in this request.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Who made the request (anonymous when the identity middleware did not run).
pub fn identity(req: &HttpRequest) -> Arc<Identity> {
    req.extensions()
        .get::<Arc<Identity>>()
        .cloned()
        .unwrap_or_else(|| Arc::new(Identity::anonymous()))
}

/// The CSRF token to embed in forms.
pub fn csrf_token(req: &HttpRequest) -> String {
    req.extensions()
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default()
}

/// The request's id.
pub fn request_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// Request headers a plugin may see: names lower-cased, credentials withheld.
pub fn plugin_visible_headers(req: &HttpRequest) -> std::collections::BTreeMap<String, String> {
    const WITHHELD: &[&str] = &[
        "authorization",
        "cookie",
        "proxy-authorization",
        "x-csrftoken",
    ];
    req.headers()
        .iter()
        .filter(|(name, _)| !WITHHELD.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            value
                .to_str()
                .ok()
                .map(|v| (name.as_str().to_ascii_lowercase(), v.to_string()))
        })
        .collect()
}

/// The host the client asked for: the `Host` header (or the HTTP/2 authority). Never
/// `X-Forwarded-Host`/`Forwarded`, which any client can set (Django's default too).
pub fn host(req: &HttpRequest) -> &str {
    req.headers()
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or("")
}

/// The absolute URL of `path` as the client reached this server.
pub fn absolute_url(req: &HttpRequest, path: &str) -> String {
    let scheme = req.connection_info().scheme().to_string();
    format!("{scheme}://{}{path}", host(req))
}
