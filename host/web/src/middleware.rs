//! The host's own middleware. Outermost first: allowed hosts; request id, logging and
//! security headers; identity (session or token) with CSRF; the `API-Version` header;
//! then plugin middleware (see `plugin_middleware`); then HTML error pages for the UI,
//! innermost, so that plugin middleware sees responses as the client will.

use std::{sync::Arc, time::Instant};

use actix_web::{
    body::BoxBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::Next,
    web, HttpMessage, HttpResponse,
};

use nautobot_app::{
    request::{CsrfToken, RequestId},
    AppState,
};
use nautobot_auth::{csrf, sessions, tokens, AuthMethod, Identity};
use nautobot_base::error::Error;
use nautobot_base::version::API_VERSION;
use nautobot_ui as ui;

/// Paths that need no identity, CSRF cookie or plugin middleware.
pub fn is_infrastructure_path(state: &AppState, path: &str) -> bool {
    path.starts_with(&state.settings.static_url) || path == "/health/"
}

fn state_of(req: &ServiceRequest) -> Result<web::Data<AppState>, Error> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| Error::Internal("application state missing".to_string()))
}

/// Refuses requests whose `Host` is not in `ALLOWED_HOSTS` (Django's check).
pub async fn allowed_hosts(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = state_of(&req)?;
    let host = nautobot_app::request::host(req.request()).to_string();
    if !host_allowed(&host, &state.settings.allowed_hosts) {
        return Ok(req.error_response(Error::DisallowedHost(host)));
    }
    next.call(req).await
}

/// Refuses (400, naming the parameter) a request carrying more query parameters than
/// `MAX_FILTER_VALUES`: each filter value costs the database planning and running time,
/// and thousands of them (`?tags=a0&tags=a1…`) cost it minutes.
pub async fn query_limits(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = state_of(&req)?;
    let max = state.settings.max_filter_values;
    let query = req.query_string();
    // Counting separators is enough to let every ordinary request through.
    if query.bytes().filter(|b| *b == b'&').count() as u64 >= max {
        let mut counts: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
        for (key, _) in url::form_urlencoded::parse(query.as_bytes()) {
            *counts.entry(key.into_owned()).or_default() += 1;
        }
        let total: u64 = counts.values().sum();
        if total > max {
            let (name, n) = counts
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                .unwrap_or_default();
            let name: String = name.chars().take(100).collect();
            let err = Error::field(
                &name,
                format!(
                    "Too many values: {total} query parameters ({n} of '{name}'); at most {max} per request (MAX_FILTER_VALUES)."
                ),
            );
            return Ok(finish_error(&state, req.error_response(err)).await);
        }
    }
    next.call(req).await
}

/// Whether `host` (which may carry a port) matches an `ALLOWED_HOSTS` entry: `*`, an
/// exact name, or `.example.com` for a domain and its subdomains.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let name = strip_port(host).to_ascii_lowercase();
    let name = name.trim_start_matches('[').trim_end_matches(']');
    allowed.iter().any(|entry| {
        let entry = entry.to_ascii_lowercase();
        let entry = entry.trim_start_matches('[').trim_end_matches(']');
        entry == "*"
            || entry == name
            || (entry.starts_with('.')
                && (name.ends_with(entry) || name == entry.trim_start_matches('.')))
    })
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [::1]:8080
        return match rest.find(']') {
            Some(end) => &host[..end + 2],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Gives each request an id (`X-Request-ID`), logs it at debug level, and adds Django's
/// default security headers and the `CONTENT_SECURITY_POLICY` where a response has not
/// set its own.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.path().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let policy = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.content_security_policy.clone());
    let mut res = next.call(req).await?;
    tracing::debug!(
        request_id = %id, %method, %path, status = res.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0, "request"
    );
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(HeaderName::from_static("x-request-id"), value);
    }
    for (name, value) in [
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
    ] {
        let name = HeaderName::from_static(name);
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if let Some(policy) = policy {
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    // Pages and answers that may show a token's key or a user's details are never kept
    // by a browser or a proxy.
    if NO_STORE.iter().any(|p| path.starts_with(p)) && !headers.contains_key(header::CACHE_CONTROL)
    {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// Paths whose responses carry `Cache-Control: no-store`: the users app (tokens' keys
/// are shown once, in the answer that creates them) and the login page.
const NO_STORE: &[&str] = &["/users/", "/api/users/", "/login/"];

/// Identifies the requester from an API token (API paths) or the session cookie, and
/// enforces the token's write permission and CSRF on unsafe API calls made with a
/// session. Hands out the `csrftoken` cookie for UI forms.
pub async fn identity(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = state_of(&req)?;
    if is_infrastructure_path(&state, req.path()) {
        return next.call(req).await;
    }
    let is_api = req.path().starts_with("/api/");
    let unsafe_method = csrf::is_unsafe_method(req.method().as_str());
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("").to_string());
    let session = req.cookie(sessions::COOKIE).map(|c| c.value().to_string());
    let csrf_cookie = req
        .cookie(csrf::COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| csrf::is_well_formed(v));

    let identity = match authenticate(&state, is_api, authorization, session.clone()).await {
        Ok(identity) => identity,
        Err(err) => return Ok(finish_error(&state, req.error_response(err)).await),
    };

    // With a session, the CSRF token is the session's; without, the cookie's (or a new
    // one, which no form can repeat yet).
    let bound = match (&identity.method, &session) {
        (AuthMethod::Session, Some(session)) => {
            Some(csrf::session_token(&state.settings.secret_key, session))
        }
        _ => None,
    };
    let (token, set_cookie) = match (bound, csrf_cookie) {
        (Some(bound), Some(cookie)) => {
            let differs = bound != cookie;
            (bound, differs)
        }
        (Some(bound), None) => (bound, true),
        (None, Some(cookie)) => (cookie, false),
        (None, None) => (csrf::new_token(), !is_api),
    };

    if is_api && unsafe_method {
        let submitted = req
            .headers()
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Err(err) = check_unsafe_api_call(&identity, &token, submitted.as_deref()) {
            return Ok(req.error_response(err));
        }
    }

    req.extensions_mut().insert(Arc::new(identity));
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.call(req).await?;
    if set_cookie {
        let cookie = csrf::cookie(token, state.settings.session_cookie_secure);
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

/// The identity behind a token (API paths) or the session cookie.
async fn authenticate(
    state: &web::Data<AppState>,
    is_api: bool,
    authorization: Option<String>,
    session: Option<String>,
) -> Result<Identity, Error> {
    match (is_api, authorization, session) {
        (true, Some(authorization), _) => {
            let key = parse_token_header(&authorization).ok_or(Error::InvalidToken)?;
            let db = state.db.clone();
            // The user's permissions are read on the same connection, now: nearly every
            // request checks them, and a later read would take a connection of its own.
            let found = nautobot_app::blocking(move || {
                let mut conn = db.conn()?;
                let Some((user, write_enabled)) = tokens::lookup(&mut conn, &key)? else {
                    return Ok::<_, Error>(None);
                };
                let identity = Identity::user(user, AuthMethod::Token { write_enabled });
                identity.permissions_on(&mut conn)?;
                Ok(Some(identity))
            })
            .await??;
            found.ok_or(Error::InvalidToken)
        }
        (_, _, Some(cookie)) => {
            let db = state.db.clone();
            let secret = state.settings.secret_key.clone();
            let found = nautobot_app::blocking(move || {
                let mut conn = db.conn()?;
                let Some(user) = sessions::lookup(&mut conn, &secret, &cookie)? else {
                    return Ok::<_, Error>(None);
                };
                let identity = Identity::user(user, AuthMethod::Session)
                    .with_session(sessions::stored_key_of(&secret, &cookie));
                identity.permissions_on(&mut conn)?;
                Ok(Some(identity))
            })
            .await??;
            Ok(found.unwrap_or_else(Identity::anonymous))
        }
        _ => Ok(Identity::anonymous()),
    }
}

/// Unsafe API calls need a write-enabled token, or a session plus the CSRF header.
fn check_unsafe_api_call(
    identity: &Identity,
    csrf_token: &str,
    submitted: Option<&str>,
) -> Result<(), Error> {
    match identity.method {
        AuthMethod::Token {
            write_enabled: false,
        } => Err(Error::PermissionDenied(
            "This token does not have write permissions.".to_string(),
        )),
        AuthMethod::Session if !csrf::matches(Some(csrf_token), submitted) => {
            Err(Error::Csrf("CSRF token missing or incorrect.".to_string()))
        }
        _ => Ok(()),
    }
}

/// `Token <key>` → the key.
fn parse_token_header(value: &str) -> Option<String> {
    let mut parts = value.split_whitespace();
    let scheme = parts.next()?;
    let key = parts.next()?;
    if !scheme.eq_ignore_ascii_case("token") || parts.next().is_some() {
        return None;
    }
    Some(key.to_string())
}

/// Adds `API-Version` to every API response.
pub async fn api_version(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_api = req.path().starts_with("/api/");
    if !is_api {
        return next.call(req).await;
    }
    // `Accept: application/json; version=2.3` asks for a version, as with Django REST
    // framework's AcceptHeaderVersioning; it is echoed back, and refused (406) when this
    // server does not speak it.
    let asked = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .and_then(accept_version);
    let version = match asked {
        None => API_VERSION,
        Some(v) => match ALLOWED_API_VERSIONS.iter().find(|a| **a == v) {
            Some(a) => a,
            None => {
                let body = serde_json::json!({
                    "detail": format!(
                        "Invalid version in \"Accept\" header. Supported versions are {}.",
                        ALLOWED_API_VERSIONS.join(", ")
                    )
                });
                let mut res = HttpResponse::NotAcceptable().json(body);
                res.headers_mut().insert(
                    HeaderName::from_static("api-version"),
                    HeaderValue::from_static(API_VERSION),
                );
                return Ok(req.into_response(res));
            }
        },
    };
    let mut res = next.call(req).await?;
    res.headers_mut().insert(
        HeaderName::from_static("api-version"),
        HeaderValue::from_static(version),
    );
    Ok(res)
}

/// The API versions a client may ask for (Nautobot 2.x's); every one gets the same
/// representation.
pub const ALLOWED_API_VERSIONS: &[&str] = &["2.0", "2.1", "2.2", "2.3", "2.4"];

/// The `version=X.Y` parameter of an `Accept` header, if any.
fn accept_version(accept: &str) -> Option<String> {
    accept.split(',').find_map(|media| {
        media.split(';').skip(1).find_map(|param| {
            let (k, v) = param.split_once('=')?;
            (k.trim() == "version").then(|| v.trim().trim_matches('"').to_string())
        })
    })
}

/// Turns errors on UI paths into HTML pages, and "not authenticated" into a redirect to
/// the login page. API paths keep their JSON errors.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = state_of(&req)?;
    if req.path().starts_with("/api/") {
        let res = next.call(req).await?;
        return Ok(api_error_json(&state, res));
    }
    if is_infrastructure_path(&state, req.path()) {
        return next.call(req).await;
    }
    let res = next.call(req).await?;
    Ok(finish_error(&state, res).await)
}

/// An API answer carrying an error that is not the server's own (a body over
/// `DATA_UPLOAD_MAX_MEMORY_SIZE`, a malformed path parameter): as JSON
/// (`{"detail": …}`), as every other API error is.
fn api_error_json(state: &AppState, res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let Some(err) = res.response().error() else {
        return res;
    };
    if err.as_error::<Error>().is_some() {
        return res;
    }
    let status = res.status();
    let detail = if status == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "Request body too large: at most {} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE).",
            state.settings.data_upload_max_memory_size
        )
    } else {
        err.to_string()
    };
    let response = HttpResponse::build(status).json(serde_json::json!({ "detail": detail }));
    res.into_response(response)
}

/// If `res` carries an error and is not an API response, renders it as an HTML page
/// (or a login redirect). Used by `error_pages` and by the middleware outside it, whose
/// own errors do not pass through `error_pages`.
pub async fn finish_error(
    state: &web::Data<AppState>,
    res: ServiceResponse<BoxBody>,
) -> ServiceResponse<BoxBody> {
    if res.request().path().starts_with("/api/") {
        return res;
    }
    let Some(err) = res.response().error() else {
        return res;
    };
    let status = res.status();
    let ours = err.as_error::<Error>();
    if let Some(Error::NotAuthenticated) = ours {
        let location = ui::login_redirect(res.request());
        let response = HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .finish();
        return res.into_response(response);
    }
    let message = match ours {
        Some(e) => e.public_message(),
        None => status.canonical_reason().unwrap_or("Error").to_string(),
    };
    let request = res.request().clone();
    let page = ui::error_page(state, &request, status, &message).await;
    res.into_response(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_like_django() {
        let allowed: Vec<String> = ["localhost", "127.0.0.1", "[::1]", ".example.com"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for ok in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:1",
            "[::1]:8080",
            "example.com",
            "a.example.com",
        ] {
            assert!(host_allowed(ok, &allowed), "{ok}");
        }
        for bad in ["evil.com", "127.0.0.2", "notexample.com", "[::2]:80"] {
            assert!(!host_allowed(bad, &allowed), "{bad}");
        }
        assert!(host_allowed("anything", &["*".to_string()]));
    }

    #[test]
    fn token_headers() {
        assert_eq!(parse_token_header("Token abc").as_deref(), Some("abc"));
        assert_eq!(parse_token_header("token  abc").as_deref(), Some("abc"));
        assert_eq!(parse_token_header("Bearer abc"), None);
        assert_eq!(parse_token_header("Token"), None);
        assert_eq!(parse_token_header("Token a b"), None);
    }
}
