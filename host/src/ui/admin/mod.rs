//! The admin site, Nautobot's `/admin/`: users, groups, API tokens and object
//! permissions, for superusers only (anyone else logged in gets 403, anonymous
//! visitors the login page). Every form posts with the CSRF token, every write is one
//! transaction, and invalid input re-renders the form with the errors beside each field.
//!
//! The pages are rendered from `templates/admin/` with the core base layout, compiled
//! into a Tera instance of their own with the same escaping and `static()` function.

mod forms;
mod groups;
mod permissions;
mod tokens;
mod users;

use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use serde::Serialize;
use serde_json::{json, Value};
use tera::Context;

use super::{context::PageRequest, html_response};
use crate::{
    app::{request, AppState},
    auth::{csrf, AuthUser},
    db::DbConnection,
    error::{Error, Result},
};
pub use forms::PostedForm;

/// Registers the admin pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/").route(web::get().to(index)))
        .service(resource("/admin/users/").route(web::get().to(index)));
    users::routes(cfg);
    groups::routes(cfg);
    tokens::routes(cfg);
    permissions::routes(cfg);
}

/// A resource that answers 405 to methods it has no route for.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse> {
    Err(Error::MethodNotAllowed(req.method().to_string()))
}

/// The admin templates, from `templates/admin/` in the repository, compiled with the
/// core templates (`ui::templates`).
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "admin/_style.html",
        include_str!("../../../../templates/admin/_style.html"),
    ),
    (
        "admin/_breadcrumbs.html",
        include_str!("../../../../templates/admin/_breadcrumbs.html"),
    ),
    (
        "admin/index.html",
        include_str!("../../../../templates/admin/index.html"),
    ),
    (
        "admin/change_list.html",
        include_str!("../../../../templates/admin/change_list.html"),
    ),
    (
        "admin/change_form.html",
        include_str!("../../../../templates/admin/change_form.html"),
    ),
    (
        "admin/delete_confirmation.html",
        include_str!("../../../../templates/admin/delete_confirmation.html"),
    ),
    (
        "admin/token_created.html",
        include_str!("../../../../templates/admin/token_created.html"),
    ),
];

/// What an admin handler produces.
pub enum Outcome {
    /// A page to render.
    Page(Page),
    /// A redirect (after a successful write).
    Redirect(String),
}

/// A page to render with the admin templates.
pub struct Page {
    /// The response status.
    pub status: StatusCode,
    /// The template.
    pub template: &'static str,
    /// The page title.
    pub title: String,
    /// The template context, over the standard page context.
    pub context: Value,
}

impl Outcome {
    /// A 200 page.
    pub fn page(template: &'static str, title: impl Into<String>, context: Value) -> Outcome {
        Outcome::Page(Page {
            status: StatusCode::OK,
            template,
            title: title.into(),
            context,
        })
    }

    /// The same outcome answered with `status` (pages only).
    pub fn with_status(self, status: StatusCode) -> Outcome {
        match self {
            Outcome::Page(page) => Outcome::Page(Page { status, ..page }),
            other => other,
        }
    }
}

/// The staff user using the admin site, and the server state.
pub struct Admin {
    /// The server state.
    pub state: web::Data<AppState>,
    /// The logged-in staff user or superuser.
    pub user: AuthUser,
}

/// The superuser making `req`: anonymous requests fail with [`Error::NotAuthenticated`]
/// (a login redirect), others with 403. Staff status alone is not enough: these pages
/// grant any permission, superuser status included, so they would let any staff user
/// make themselves a superuser.
fn staff(req: &HttpRequest) -> Result<AuthUser> {
    match &request::identity(req).user {
        None => Err(Error::NotAuthenticated),
        Some(user) if user.is_superuser => Ok(user.clone()),
        Some(_) => Err(Error::PermissionDenied(
            "You do not have permission to use the admin site.".to_string(),
        )),
    }
}

/// Forms must repeat the `csrftoken` cookie in `csrfmiddlewaretoken` (or `X-CSRFToken`).
fn check_csrf(req: &HttpRequest, form: &PostedForm) -> Result<()> {
    csrf::check_form(req, form.first(csrf::FORM_FIELD))
}

/// Serves a `GET`: checks the user is staff, then runs `f` and renders its outcome, off
/// the async executor.
pub async fn show<F>(state: web::Data<AppState>, req: &HttpRequest, f: F) -> Result<HttpResponse>
where
    F: FnOnce(&Admin, &mut DbConnection) -> Result<Outcome> + Send + 'static,
{
    let user = staff(req)?;
    run(state, req, user, f).await
}

/// Serves a form `POST`: checks the user is staff and the CSRF token, then runs `f` with
/// the submitted fields and renders its outcome, off the async executor.
pub async fn submit<F>(
    state: web::Data<AppState>,
    req: &HttpRequest,
    body: &[u8],
    f: F,
) -> Result<HttpResponse>
where
    F: FnOnce(&Admin, &mut DbConnection, PostedForm) -> Result<Outcome> + Send + 'static,
{
    let user = staff(req)?;
    let form = PostedForm::parse(body);
    check_csrf(req, &form)?;
    run(state, req, user, move |admin, conn| f(admin, conn, form)).await
}

enum Done {
    Html(StatusCode, String),
    Redirect(String),
}

async fn run<F>(
    state: web::Data<AppState>,
    req: &HttpRequest,
    user: AuthUser,
    f: F,
) -> Result<HttpResponse>
where
    F: FnOnce(&Admin, &mut DbConnection) -> Result<Outcome> + Send + 'static,
{
    let page = PageRequest::of(req);
    let done = crate::app::block(
        crate::app::request::request_id(req),
        move || -> Result<Done> {
            let admin = Admin {
                state: state.clone(),
                user,
            };
            let outcome = {
                let mut conn = state.db.conn()?;
                f(&admin, &mut conn)?
            };
            match outcome {
                Outcome::Redirect(location) => Ok(Done::Redirect(location)),
                Outcome::Page(p) => {
                    let mut ctx = super::context::page(&state, &page, &p.title)?;
                    ctx.extend(Context::from_value(p.context).map_err(Error::from)?);
                    let html = state.templates.render(p.template, &ctx)?;
                    Ok(Done::Html(p.status, html))
                }
            }
        },
    )
    .await?;
    Ok(match done {
        Done::Html(status, html) => html_response(status, html),
        Done::Redirect(location) => HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .finish(),
    })
}

/// A link in the breadcrumbs.
#[derive(Debug, Clone, Serialize)]
pub struct Crumb {
    /// The label.
    pub title: String,
    /// Where it leads (`None` for the current page).
    pub url: Option<String>,
}

/// The breadcrumbs of a section page: Admin › `section` › `current`.
pub fn crumbs(section: (&str, &str), current: Option<&str>) -> Vec<Crumb> {
    let mut out = vec![Crumb {
        title: "Admin".into(),
        url: Some("/admin/".into()),
    }];
    out.push(Crumb {
        title: section.0.into(),
        url: current.map(|_| section.1.to_string()),
    });
    if let Some(current) = current {
        out.push(Crumb {
            title: current.into(),
            url: None,
        });
    }
    out
}

/// `GET /admin/`: links to the four sections with their sizes.
pub async fn index(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    show(state, &req, |_, conn| {
        let sections = json!([
            {"id": "user", "name": "Users", "url": users::LIST,
             "count": crate::auth::users::list(conn)?.len()},
            {"id": "group", "name": "Groups", "url": groups::LIST,
             "count": crate::auth::groups::list(conn)?.len()},
            {"id": "token", "name": "Tokens", "url": tokens::LIST,
             "count": crate::auth::tokens::list(conn)?.len()},
            {"id": "objectpermission", "name": "Permissions", "url": permissions::LIST,
             "count": crate::auth::permissions::list_object_permissions(conn)?.len()},
        ]);
        Ok(Outcome::page(
            "admin/index.html",
            "Site administration",
            json!({ "sections": sections, "breadcrumbs": [{"title": "Admin", "url": null}] }),
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_templates_compile_with_the_core_ones() {
        let templates = crate::ui::templates::Templates::build(&[], "/static/").unwrap();
        for (name, _) in TEMPLATES {
            assert!(templates.has(name), "{name}");
        }
    }
}
