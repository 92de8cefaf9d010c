//! CSRF protection in Django's double-submit form: a `csrftoken` cookie whose value
//! every unsafe form post repeats in `csrfmiddlewaretoken` (or the `X-CSRFToken` header).
//!
//! Once there is a session, the token is bound to it: the only token accepted is an HMAC
//! of the session cookie under `SECRET_KEY` ([`session_token`]), which the middleware
//! puts in the `csrftoken` cookie and the forms. A token planted in the cookie by
//! another site (through a sibling subdomain, say) is then worth nothing.

use rand::RngCore;

/// The name of the CSRF cookie (Django's).
pub const COOKIE: &str = "csrftoken";
/// The form field that carries the token.
pub const FORM_FIELD: &str = "csrfmiddlewaretoken";
/// The header that carries the token on script requests.
pub const HEADER: &str = "X-CSRFToken";

/// A fresh token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CSRF token of the session whose cookie is `session_cookie`.
pub fn session_token(secret: &str, session_cookie: &str) -> String {
    super::sessions::keyed_hash(secret, "csrftoken:", session_cookie)
}

/// The `csrftoken` cookie carrying `token` (readable by scripts, which send it back in
/// `X-CSRFToken`; a year long, as Django's).
pub fn cookie(token: String, secure: bool) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(COOKIE, token)
        .path("/")
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

/// Whether a cookie value has the form of a token we issued.
pub fn is_well_formed(token: &str) -> bool {
    token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether the submitted token matches the cookie, compared in constant time.
pub fn matches(cookie: Option<&str>, submitted: Option<&str>) -> bool {
    match (cookie, submitted) {
        (Some(c), Some(s)) if is_well_formed(c) && c.len() == s.len() => {
            c.bytes()
                .zip(s.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        }
        _ => false,
    }
}

/// The request's CSRF token, which the middleware attaches to each request: forms
/// rendered in it embed this token, and posts must repeat it.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The CSRF token the middleware attached to `req` (empty when none was).
pub fn request_token(req: &actix_web::HttpRequest) -> String {
    use actix_web::HttpMessage;
    req.extensions()
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default()
}

/// The check every form post passes: the `X-CSRFToken` header, else the form's
/// `csrfmiddlewaretoken` (`form_token`), must repeat the request's token — the
/// session's when there is one, else the `csrftoken` cookie (the middleware decides).
pub fn check_form(
    req: &actix_web::HttpRequest,
    form_token: Option<&str>,
) -> nautobot_base::error::Result<()> {
    let expected = request_token(req);
    let header = req.headers().get(HEADER).and_then(|v| v.to_str().ok());
    if matches(Some(&expected), header.or(form_token)) {
        Ok(())
    } else {
        Err(nautobot_base::error::Error::Csrf(
            "the form's CSRF token is missing or incorrect; reload the page and try again"
                .to_string(),
        ))
    }
}

/// Whether `method` can change state and so needs the CSRF check.
pub fn is_unsafe_method(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_must_match_the_cookie() {
        let t = new_token();
        assert!(is_well_formed(&t));
        assert!(matches(Some(&t), Some(&t)));
        assert!(!matches(Some(&t), Some(&new_token())));
        assert!(!matches(Some(&t), None));
        assert!(!matches(None, Some(&t)));
        assert!(!matches(Some("short"), Some("short")));
        assert!(is_unsafe_method("POST") && !is_unsafe_method("GET"));
    }

    #[test]
    fn a_session_token_depends_on_the_session_and_the_secret() {
        let t = session_token("secret", "session-a");
        assert!(is_well_formed(&t));
        assert_eq!(t, session_token("secret", "session-a"));
        assert_ne!(t, session_token("secret", "session-b"));
        assert_ne!(t, session_token("other", "session-a"));
    }
}
