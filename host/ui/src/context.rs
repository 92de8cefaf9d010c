//! The context every page is rendered with: the user, the menu they may see, the CSRF
//! token, versions and the current path.

use serde_json::json;
use tera::Context;

use nautobot_app::AppState;
use nautobot_auth::Identity;
use nautobot_base::error::{Error, Result};
use nautobot_base::version::{API_VERSION, VERSION};

/// Request facts a page needs, gathered before going off the async executor.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// The requester.
    pub identity: std::sync::Arc<Identity>,
    /// The CSRF token for forms.
    pub csrf_token: String,
    /// The request path.
    pub path: String,
    /// The menu and home panels the web layer registered (`None` if it did not).
    pub layout: Option<actix_web::web::Data<crate::Layout>>,
}

impl PageRequest {
    /// The page facts of `req`.
    pub fn of(req: &actix_web::HttpRequest) -> Self {
        PageRequest {
            identity: nautobot_app::request::identity(req),
            csrf_token: nautobot_app::request::csrf_token(req),
            path: req.path().to_string(),
            layout: req
                .app_data::<actix_web::web::Data<crate::Layout>>()
                .cloned(),
        }
    }
}

/// Builds the standard page context (blocking: may load permissions for the menu).
pub fn page(state: &AppState, request: &PageRequest, title: &str) -> Result<Context> {
    let mut ctx = Context::new();
    let user = request.identity.user.as_ref().map(|u| {
        json!({
            "username": u.username,
            "is_superuser": u.is_superuser,
            "is_staff": u.is_staff,
        })
    });
    ctx.insert("user", &user);
    let layout = request.layout.as_ref().ok_or_else(|| {
        Error::Internal("the page layout (ui::Layout) is not registered as app data".into())
    })?;
    ctx.insert(
        "nav",
        &layout
            .menu
            .visible_to(&request.identity, &state.db, state.settings.login_required)?,
    );
    ctx.insert("csrf_token", &request.csrf_token);
    ctx.insert("request_path", &request.path);
    ctx.insert("page_title", title);
    ctx.insert("version", VERSION);
    ctx.insert("api_version", API_VERSION);
    ctx.insert("STATIC_URL", &state.settings.static_url);
    ctx.insert(
        "banners",
        &super::banners::for_page(state, &request.identity, &request.path),
    );
    Ok(ctx)
}
