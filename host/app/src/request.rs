//! What the middleware attaches to each request: its id, its identity and its CSRF token.

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};

use nautobot_auth::Identity;

/// The request's id (also sent back as `X-Request-ID`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub use nautobot_auth::csrf::CsrfToken;

/// Who made the request (anonymous when the identity middleware did not run).
pub fn identity(req: &HttpRequest) -> Arc<Identity> {
    req.extensions()
        .get::<Arc<Identity>>()
        .cloned()
        .unwrap_or_else(|| Arc::new(Identity::anonymous()))
}

/// The CSRF token to embed in forms.
pub fn csrf_token(req: &HttpRequest) -> String {
    nautobot_auth::csrf::request_token(req)
}

/// Who acts in `req`, for the model layer's writes and the change log.
pub fn actor(req: &HttpRequest) -> nautobot_auth::Actor {
    let identity = identity(req);
    nautobot_auth::Actor {
        user: identity.plugin_user(),
        request_id: request_id(req),
        identity: Some(identity),
    }
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

/// `url` when it is a path on this site, safe to redirect a browser to: it starts with one
/// `/`, and has no backslash, whitespace or control character anywhere (browsers drop
/// tabs and newlines and read `\` as `/`, so `/\t/evil.example` or `/\evil.example`
/// would lead off-site). Anything else: `None`.
pub fn local_redirect_target(url: &str) -> Option<String> {
    let url = url.trim_matches(' ');
    let mut chars = url.chars();
    let safe = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/'))
        && !url
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    safe.then(|| url.to_string())
}

#[cfg(test)]
mod redirect_tests {
    use super::local_redirect_target as local;

    #[test]
    fn only_paths_of_this_site_are_redirect_targets() {
        assert_eq!(
            local("/dcim/locations/?q=a").as_deref(),
            Some("/dcim/locations/?q=a")
        );
        assert_eq!(local("/").as_deref(), Some("/"));
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%09/evil.example".replace("%09", "\t").as_str(),
            "https://evil.example/",
            "evil.example",
            "/a\\b",
            "",
        ] {
            assert_eq!(local(bad), None, "{bad:?}");
        }
    }
}
