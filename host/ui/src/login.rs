//! `/login/` and `/logout/`: password login into a database session.

use actix_web::{
    cookie::{Cookie, SameSite},
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use serde::Deserialize;

use super::{context::PageRequest, html_response};
use nautobot_app::{request, AppState};
use nautobot_auth::{csrf, sessions, users};
use nautobot_base::error::{Error, Result};

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: Option<String>,
    password: Option<String>,
    next: Option<String>,
    csrfmiddlewaretoken: Option<String>,
}

/// Query parameters of `GET /login/`.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Where to go after login: a local path only, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(nautobot_app::request::local_redirect_target)
        .unwrap_or_else(|| "/".to_string())
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

async fn login_page(
    state: web::Data<AppState>,
    req: &HttpRequest,
    next: String,
    username: String,
    error: Option<String>,
) -> Result<HttpResponse> {
    let page = PageRequest::of(req);
    let html = nautobot_app::block(
        nautobot_app::request::request_id(req),
        move || -> Result<String> {
            let mut ctx = super::context::page(&state, &page, "Log in")?;
            ctx.insert("next", &next);
            ctx.insert("username", &username);
            ctx.insert("error", &error);
            state.templates.render("login.html", &ctx)
        },
    )
    .await?;
    Ok(html_response(StatusCode::OK, html))
}

/// `GET /login/`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse> {
    let next = safe_next(query.next.as_deref());
    if request::identity(&req).is_authenticated() {
        return Ok(redirect(&next));
    }
    login_page(state, &req, next, String::new(), None).await
}

/// `POST /login/`.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse> {
    let form = form.into_inner();
    csrf::check_form(&req, form.csrfmiddlewaretoken.as_deref())?;
    let next = safe_next(form.next.as_deref());
    let username = form.username.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let address = req.peer_addr().map(|a| a.ip());
    if let Err(wait) = state.login_throttle.check(&username, address) {
        tracing::warn!(username = %username, address = ?address, "login throttled");
        let seconds = wait.as_secs();
        let message = format!("Too many failed login attempts. Try again in {seconds} seconds.");
        let mut response = login_page(state, &req, next, username, Some(message)).await?;
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        return Ok(response);
    }
    let db = state.db.clone();
    let secret = state.settings.secret_key.clone();
    let age = state.settings.session_cookie_age;
    let name = username.clone();
    let previous = req.cookie(sessions::COOKIE).map(|c| c.value().to_string());
    let session = nautobot_app::blocking(move || -> Result<Option<String>> {
        let Some(user) = users::authenticate(&db, &name, &password)? else {
            // A failed attempt leaves the session it came with alone.
            return Ok(None);
        };
        let mut conn = db.conn()?;
        // A new login always gets a new session (no session fixation).
        if let Some(previous) = previous {
            sessions::delete(&mut conn, &secret, &previous)?;
        }
        Ok(Some(sessions::create(&mut conn, &secret, &user.id, age)?))
    })
    .await??;
    let Some(session) = session else {
        tracing::info!(username = %username, address = ?address, "failed login");
        state.login_throttle.failed(&username, address);
        return login_page(
            state,
            &req,
            next,
            username,
            Some("Please enter a correct username and password. Note that both fields may be case-sensitive.".to_string()),
        )
        .await;
    };
    state.login_throttle.succeeded(&username);
    tracing::info!(username = %username, "login");
    // As Django rotates the CSRF token at login: the new one is the session's.
    let csrf_cookie = csrf::cookie(
        csrf::session_token(&state.settings.secret_key, &session),
        state.settings.session_cookie_secure,
    );
    let cookie = Cookie::build(sessions::COOKIE, session)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.session_cookie_secure)
        .max_age(actix_web::cookie::time::Duration::seconds(
            i64::try_from(state.settings.session_cookie_age).unwrap_or(i64::MAX),
        ))
        .finish();
    let mut response = redirect(&next);
    for cookie in [&cookie, &csrf_cookie] {
        response
            .add_cookie(cookie)
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    Ok(response)
}

/// `GET` or `POST /logout/`: ends the session and returns to the login page.
pub async fn logout(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    if let Some(cookie) = req.cookie(sessions::COOKIE) {
        let value = cookie.value().to_string();
        let db = state.db.clone();
        let secret = state.settings.secret_key.clone();
        nautobot_app::blocking(move || -> Result<()> {
            let mut conn = db.conn()?;
            sessions::delete(&mut conn, &secret, &value)
        })
        .await??;
    }
    let mut response = redirect("/login/");
    let mut gone = Cookie::build(sessions::COOKIE, "")
        .path("/")
        .http_only(true)
        .finish();
    gone.make_removal();
    response
        .add_cookie(&gone)
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/plugins/example-plugin/")),
            "/plugins/example-plugin/"
        );
        assert_eq!(safe_next(Some("//evil.com/")), "/");
        assert_eq!(safe_next(Some("https://evil.com/")), "/");
        assert_eq!(safe_next(Some("/\\evil.com")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
