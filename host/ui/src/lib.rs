//! The HTML user interface: page rendering, the login page, the core pages, the
//! navigation menu, the home page's panels, the generic model pages, the jobs pages and
//! the core templates.

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

use context::PageRequest;
use nautobot_app::AppState;
use nautobot_base::error::{Error, Result};

/// What every page is built with besides the application state, made once at start-up
/// from the loaded plugins and models: the navigation menu and the home page's panels.
/// The web layer registers it as actix-web app data beside `AppState`, where
/// [`PageRequest::of`] and the home page find it.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The navigation menu (core and plugins).
    pub menu: nav::Menu,
    /// The home page's panels (core and plugins).
    pub home: home::HomeLayout,
}

impl Layout {
    /// The layout of `state`'s plugins and models.
    pub fn build(state: &AppState) -> Layout {
        Layout {
            menu: nav::Menu::build(&state.registry),
            home: home::HomeLayout::build(&state.registry, &state.catalog.registry),
        }
    }
}

/// Renders `template` inside the standard page context plus `extra`, off the executor.
pub async fn render(
    state: web::Data<AppState>,
    req: &HttpRequest,
    template: &'static str,
    title: String,
    extra: serde_json::Value,
) -> Result<HttpResponse> {
    let page = PageRequest::of(req);
    let html = nautobot_app::block(
        nautobot_app::request::request_id(req),
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
        && !nautobot_app::request::identity(req).is_authenticated()
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
    let rendered = nautobot_app::block(nautobot_app::request::request_id(req), move || {
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
