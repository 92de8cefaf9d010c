//! The HTML user interface: page rendering, the login page, the core pages, the
//! navigation menu and the templates.

pub mod banners;
pub mod context;
pub mod home;
pub mod jobs;
pub mod login;
pub mod nav;
pub mod objects;
pub mod pages;
pub mod templates;
pub mod users;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use crate::{
    app::AppState,
    error::{Error, Result},
};
use context::PageRequest;

/// Renders `template` inside the standard page context plus `extra`, off the executor.
pub async fn render(
    state: web::Data<AppState>,
    req: &HttpRequest,
    template: &'static str,
    title: String,
    extra: serde_json::Value,
) -> Result<HttpResponse> {
    let page = PageRequest::of(req);
    let html = crate::app::block(
        crate::app::request::request_id(req),
        move || -> Result<String> {
            let mut ctx = context::page(&state, &page, &title)?;
            ctx.extend(tera::Context::from_value(extra).map_err(Error::from)?);
            state.templates.render(template, &ctx)
        },
    )
    .await?;
    Ok(html_response(StatusCode::OK, html))
}

/// An HTML response.
pub fn html_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html)
}

/// Requires a logged-in user when `LOGIN_REQUIRED` is on (or `always`).
pub fn require_login(state: &AppState, req: &HttpRequest, always: bool) -> Result<()> {
    if (always || state.settings.login_required)
        && !crate::app::request::identity(req).is_authenticated()
    {
        return Err(Error::NotAuthenticated);
    }
    Ok(())
}

/// `/login/?next=<this page>`.
pub fn login_redirect(req: &HttpRequest) -> String {
    let mut next = req.path().to_string();
    if !req.query_string().is_empty() {
        next.push('?');
        next.push_str(req.query_string());
    }
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/login/?next={encoded}")
}

/// The HTML error page for `status`; falls back to plain text if rendering fails.
pub async fn error_page(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    status: StatusCode,
    message: &str,
) -> HttpResponse {
    let page = PageRequest::of(req);
    let state = state.clone();
    let title = status.canonical_reason().unwrap_or("Error").to_string();
    let message = message.to_string();
    let fallback = format!("{} {title}: {message}", status.as_u16());
    let rendered = crate::app::block(crate::app::request::request_id(req), move || {
        let mut ctx = context::page(&state, &page, &title)?;
        ctx.insert("status", &status.as_u16());
        ctx.insert("title", &title);
        ctx.insert("message", &message);
        state.templates.render("error.html", &ctx)
    })
    .await;
    match rendered {
        Ok(html) => html_response(status, html),
        Err(e) => {
            tracing::error!("cannot render the error page: {e}");
            HttpResponse::build(status)
                .content_type("text/plain")
                .body(fallback)
        }
    }
}
