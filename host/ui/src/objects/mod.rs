//! The generic web UI of every model, core and plugins, at Nautobot's URLs under the
//! model's `ui_path`: the list (filters, search, sort, paging, CSV export, bulk
//! actions), the detail page (with plugin template content and the change log), add,
//! edit, delete, bulk edit, bulk delete and CSV import.
//!
//! Handlers are thin: each gathers the request's facts into a [`Ctx`] and runs one page
//! function off the async executor, which checks permissions, uses the model layer
//! (`objects`) and renders a template or answers a redirect or a download.

pub mod cells;
pub mod csv;
pub mod custom_fields;
pub mod extensions;
pub mod forms;
pub mod paging;
pub mod render;

mod bulk;
mod detail;
mod edit;
mod list;

use std::{collections::HashMap, sync::Arc};

use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use nautobot_plugin_abi::{FieldKind, FieldSchema};
use serde_json::{json, Value};

use crate::context::{self, PageRequest};
use nautobot_app::{
    request,
    routes::{Access, RouteBuilder, Routes},
    AppState,
};
use nautobot_auth::{csrf, permissions::can, Identity};
use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_db::DbConnection;
use nautobot_objects::{
    display,
    query::{self, ListQuery, MAX_LIMIT},
    Actor,
};
use nautobot_plugins::templates::Templates;
use nautobot_schema::{core::is_hidden, Model, Registry};

/// The largest form body accepted (CSV imports included).
const MAX_BODY: usize = 8 << 20;

/// What a route serves: its model and the templates.
#[derive(Clone)]
pub struct Route {
    /// The model.
    pub model: Arc<Model>,
    /// The compiled generic templates.
    pub templates: Arc<Templates>,
}

/// Registers the pages of every served model.
pub fn routes(routes: &mut Routes<'_>, state: &AppState) {
    let templates = state.templates.clone();
    for model in state.catalog.registry.iter() {
        let label = model.label();
        if is_hidden(&label) {
            continue;
        }
        let route = web::Data::new(Route {
            model: model.clone(),
            templates: templates.clone(),
        });
        let may = |action: &str| Access::model(&label, action);
        let base = &model.ui_path;
        page_route(routes, base.clone(), &route)
            .read(may("view"), list::list)
            .register();
        if !model.read_only {
            page_route(routes, format!("{base}add/"), &route)
                .get(may("add"), edit::add)
                .post(may("add"), edit::add_submit)
                .register();
            page_route(routes, format!("{base}import/"), &route)
                .get(may("add"), bulk::import)
                .post(may("add"), bulk::import_submit)
                .register();
            // GET of a bulk action only leads back to the list, which checks.
            page_route(routes, format!("{base}edit/"), &route)
                .get(Access::Public, back_to_list)
                .post(may("change"), bulk::bulk_edit)
                .register();
            page_route(routes, format!("{base}delete/"), &route)
                .get(Access::Public, back_to_list)
                .post(may("delete"), bulk::bulk_delete)
                .register();
        }
        page_route(routes, format!("{base}{{id}}/"), &route)
            .read(may("view"), detail::detail)
            .register();
        // The change log also needs extras.view_objectchange, as its API does.
        let mut changelog: Vec<String> =
            [may("view"), Access::model("extras.objectchange", "view")]
                .into_iter()
                .filter_map(|a| match a {
                    Access::Permission(p) => Some(p),
                    _ => None,
                })
                .collect();
        changelog.dedup();
        page_route(routes, format!("{base}{{id}}/changelog/"), &route)
            .read(Access::Permissions(changelog), detail::changelog)
            .register();
        // Nautobot's Config Context tab, for models that have one (devices).
        if nautobot_objects::config_contexts::applies_to(model) {
            page_route(routes, format!("{base}{{id}}/config-context/"), &route)
                .read(may("view"), detail::config_context)
                .register();
        }
        if !model.read_only {
            page_route(routes, format!("{base}{{id}}/edit/"), &route)
                .get(may("change"), edit::edit)
                .post(may("change"), edit::edit_submit)
                .register();
            page_route(routes, format!("{base}{{id}}/delete/"), &route)
                .get(may("delete"), edit::delete)
                .post(may("delete"), edit::delete_submit)
                .register();
        }
    }
}

/// A route of a model's pages at `path`, with the model and the body limit attached.
fn page_route<'r, 'a>(
    routes: &'r mut Routes<'a>,
    path: String,
    route: &web::Data<Route>,
) -> RouteBuilder<'r, 'a> {
    let owner = route.model.plugin.clone().unwrap_or_else(|| "core".into());
    routes
        .owned_by(owner, path)
        .data(route.clone())
        .data(web::PayloadConfig::new(MAX_BODY))
}

/// `GET` of a bulk action: back to the list.
async fn back_to_list(route: web::Data<Route>) -> HttpResponse {
    Outcome::Redirect(route.model.ui_path.clone()).into_response()
}

/// What a page function answers.
pub enum Outcome {
    /// An HTML page.
    Html(StatusCode, String),
    /// A redirect (302) to a local path.
    Redirect(String),
    /// A file to download, written as it is read (see [`Streamed`]).
    Stream {
        /// Its content type.
        content_type: &'static str,
        /// The file name offered.
        filename: String,
        /// The content, chunk by chunk.
        body: Streamed,
    },
    /// A file to download.
    Download {
        /// Its content type.
        content_type: &'static str,
        /// The file name offered.
        filename: String,
        /// The content.
        body: String,
    },
}

impl Outcome {
    /// The HTTP response.
    pub fn into_response(self) -> HttpResponse {
        match self {
            Outcome::Html(status, html) => crate::html_response(status, html),
            Outcome::Redirect(location) => HttpResponse::Found()
                .insert_header((header::LOCATION, location))
                .finish(),
            Outcome::Stream {
                content_type,
                filename,
                body,
            } => attachment(content_type, &filename).body(body),
            Outcome::Download {
                content_type,
                filename,
                body,
            } => attachment(content_type, &filename).body(body),
        }
    }
}

/// A 200 offering a file of `content_type` to save as `filename`.
fn attachment(content_type: &str, filename: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.content_type(content_type).insert_header((
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{filename}\""),
    ));
    response
}

/// A response body written by another thread chunk by chunk: the writer waits while the
/// client is slow (the channel holds two chunks) and stops when it goes away (the
/// channel closes), so memory stays bounded by a few chunks whatever the size.
pub struct Streamed(pub tokio::sync::mpsc::Receiver<Result<web::Bytes>>);

impl actix_web::body::MessageBody for Streamed {
    type Error = Error;

    fn size(&self) -> actix_web::body::BodySize {
        actix_web::body::BodySize::Stream
    }

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<web::Bytes>>> {
        self.0.poll_recv(cx)
    }
}

/// Everything a page function needs from the request, gathered on the executor.
pub struct Ctx {
    /// The server.
    pub state: web::Data<AppState>,
    /// The model served.
    pub model: Arc<Model>,
    /// The generic templates.
    pub templates: Arc<Templates>,
    /// Who asks.
    pub identity: Arc<Identity>,
    /// The page facts of the base layout.
    pub page: PageRequest,
    /// The query string's parameters.
    pub params: Vec<(String, String)>,
    /// `scheme://host`, for the REST representation given to plugins.
    pub base: String,
    /// The path.
    pub path: String,
    /// Who changes objects.
    pub actor: Actor,
    /// The object id of the path, if any.
    pub id: String,
}

impl Ctx {
    /// The context of `req` for `route`.
    pub fn of(state: web::Data<AppState>, route: &Route, req: &HttpRequest) -> Ctx {
        Ctx {
            state,
            model: route.model.clone(),
            templates: route.templates.clone(),
            identity: request::identity(req),
            page: PageRequest::of(req),
            params: url::form_urlencoded::parse(req.query_string().as_bytes())
                .into_owned()
                .collect(),
            base: request::absolute_url(req, ""),
            path: req.path().to_string(),
            actor: nautobot_app::request::actor(req),
            id: req.match_info().get("id").unwrap_or_default().to_string(),
        }
    }

    /// The registry of every model.
    pub fn registry(&self) -> &Registry {
        &self.state.catalog.registry
    }

    /// Whether the requester may `action` objects of `model` (blocking).
    pub fn can(&self, model: &Model, action: &str) -> Result<bool> {
        if action != "view" && model.read_only {
            return Ok(false);
        }
        can(
            &self.identity,
            &self.state.db,
            &self.state.settings,
            &model.label(),
            action,
        )
    }

    /// The objects of `model` the requester may `action`: what their grants'
    /// constraints reach; nothing without a grant (blocking).
    pub fn within(
        &self,
        model: &Model,
        action: &str,
    ) -> Result<nautobot_objects::constraints::Constraint> {
        nautobot_auth::permissions::reach(
            &self.identity,
            &self.state.db,
            &self.state.settings,
            &model.label(),
            action,
        )
    }

    /// Requires the permission to `action` objects of the model: anonymous visitors are
    /// sent to the login page, users without it get a 403 (blocking).
    pub fn require(&self, action: &str) -> Result<()> {
        let authenticated = self.identity.is_authenticated();
        if !authenticated && self.state.settings.login_required {
            return Err(Error::NotAuthenticated);
        }
        if self.can(&self.model, action)? {
            Ok(())
        } else if !authenticated {
            Err(Error::NotAuthenticated)
        } else {
            Err(Error::PermissionDenied(format!(
                "You do not have permission to {action} {}.",
                self.model.verbose_name_plural()
            )))
        }
    }

    /// Whether the user may read the change log (`extras.view_objectchange`).
    pub fn may_view_changes(&self) -> Result<bool> {
        can(
            &self.identity,
            &self.state.db,
            &self.state.settings,
            "extras.objectchange",
            "view",
        )
    }

    /// What the user may do with the model, for buttons.
    pub fn perms(&self) -> Result<Value> {
        Ok(json!({
            "view": self.can(&self.model, "view")?,
            "add": self.can(&self.model, "add")?,
            "change": self.can(&self.model, "change")?,
            "delete": self.can(&self.model, "delete")?,
        }))
    }

    /// The model as templates see it, with its URLs.
    pub fn model_json(&self) -> Value {
        let m = &self.model;
        let base = &m.ui_path;
        // Breadcrumbs name the app as people know it: the plugin's verbose name.
        let app_name = m
            .plugin
            .as_deref()
            .and_then(|p| self.state.registry.get(p))
            .map(|p| p.manifest.verbose_name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| m.app_name());
        json!({
            "label": m.label(),
            "app_label": m.schema.app_label,
            "app_name": app_name,
            "name": m.schema.name,
            "verbose_name": m.verbose_name(),
            "verbose_name_plural": m.verbose_name_plural(),
            "title": forms::capfirst(m.verbose_name_plural()),
            "title_singular": forms::capfirst(m.verbose_name()),
            "ui_path": base,
            "read_only": m.read_only,
            "add_url": format!("{base}add/"),
            "import_url": format!("{base}import/"),
            "bulk_edit_url": format!("{base}edit/"),
            "bulk_delete_url": format!("{base}delete/"),
        })
    }

    /// Renders `template` in the base layout with `extra` (blocking).
    pub fn render(
        &self,
        template: &str,
        title: &str,
        status: StatusCode,
        extra: Value,
    ) -> Result<Outcome> {
        let mut ctx = context::page(&self.state, &self.page, title)?;
        ctx.insert("model", &self.model_json());
        ctx.extend(tera::Context::from_value(extra)?);
        Ok(Outcome::Html(
            status,
            self.templates.render(template, &ctx)?,
        ))
    }

    /// The `return_url` of the query string or form, if it is a local path.
    pub fn return_url(&self, form: Option<&forms::FormValues>) -> Option<String> {
        let given = form
            .and_then(|f| forms::first(f, "return_url"))
            .or_else(|| {
                self.params
                    .iter()
                    .find(|(k, _)| k == "return_url")
                    .map(|(_, v)| v.as_str())
            });
        given.and_then(safe_return_url)
    }
}

/// A local path to return to (never another site).
pub fn safe_return_url(url: &str) -> Option<String> {
    nautobot_app::request::local_redirect_target(url)
}

/// The form fields of a POST, after the CSRF check: the `csrftoken` cookie must equal
/// the `csrfmiddlewaretoken` field (or the `X-CSRFToken` header), as for plugin forms.
pub fn checked_form(req: &HttpRequest, body: &[u8]) -> Result<Vec<(String, String)>> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let pairs: Vec<(String, String)> = if is_form {
        url::form_urlencoded::parse(body).into_owned().collect()
    } else {
        Vec::new()
    };
    csrf::check_form(
        req,
        pairs
            .iter()
            .find(|(k, _)| k == csrf::FORM_FIELD)
            .map(|(_, v)| v.as_str()),
    )?;
    if !is_form {
        return Err(Error::BadRequest(
            "Forms must be sent as application/x-www-form-urlencoded.".to_string(),
        ));
    }
    Ok(pairs)
}

/// Runs a page function of request `request_id` off the async executor, under the
/// plugin call deadline.
pub async fn run<F>(request_id: String, work: F) -> Result<HttpResponse>
where
    F: FnOnce() -> Result<Outcome> + Send + 'static,
{
    Ok(nautobot_app::block(request_id, work).await?.into_response())
}

/// Foreign keys to models with more objects than this get a text input (an id or a
/// name) rather than a select, so that a form or a list's filters cost the same
/// whatever the size of the tables they point at.
pub const SELECT_OPTIONS_MAX: u64 = 100;

/// Options of the selects of `fields` of `model`: every object of each foreign key's
/// model when it has at most [`SELECT_OPTIONS_MAX`] (statuses and roles only those whose
/// content types list `model`; none — a text input — when it has more), and up to 1000
/// tags, by display name (one query per field); models for model lists. Only the
/// objects `within` says the user may view are offered (Nautobot's
/// `restrict_form_fields`): a select never names an object the user cannot see.
pub fn select_options(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    fields: &[&FieldSchema],
    within: &dyn Fn(&Model) -> Result<nautobot_objects::constraints::Constraint>,
) -> Result<HashMap<String, Vec<(String, String)>>> {
    let mut out = HashMap::new();
    for field in fields {
        if forms::is_model_list(field) {
            let models = registry
                .iter()
                .filter(|m| !is_hidden(&m.label()))
                .map(|m| (m.label(), m.content_type_name()))
                .collect();
            out.insert(field.name.clone(), models);
            continue;
        }
        let target = match &field.kind {
            _ if model.link(&field.name).is_some() => model
                .link(&field.name)
                .map(|l| l.to.as_str())
                .unwrap_or_default(),
            FieldKind::ForeignKey { to, .. } => to.as_str(),
            FieldKind::Tags => "extras.tag",
            _ => continue,
        };
        let Some(target) = registry.get(target) else {
            continue;
        };
        let restricted =
            nautobot_schema::core::RESTRICTED_BY_CONTENT_TYPE.contains(&target.label().as_str());
        if matches!(
            field.kind,
            FieldKind::ForeignKey { .. } | FieldKind::ManyToMany { .. }
        ) && !restricted
            && query::count(conn, target, &nautobot_db::dynamic::Sql::new())? > SELECT_OPTIONS_MAX
        {
            continue;
        }
        let mut query = ListQuery {
            limit: MAX_LIMIT,
            ..Default::default()
        }
        .within(within(target)?);
        if nautobot_schema::core::RESTRICTED_BY_CONTENT_TYPE.contains(&target.label().as_str()) {
            query = query.filter("content_types", &model.label());
        }
        let (_, rows) = query::list(conn, registry, target, &query)?;
        let options = rows
            .iter()
            .filter_map(|r| {
                let id = r.get("id")?.as_str()?.to_string();
                Some((id, display(target, r)))
            })
            .collect();
        out.insert(field.name.clone(), options);
    }
    Ok(out)
}

/// A write refused by a failing plugin (a validator that panicked or erred) as a
/// message for the top of the form; `None` for other errors.
pub fn plugin_failure(error: &Error) -> Option<ValidationErrors> {
    match error {
        Error::PluginCall(_) => Some(ValidationErrors::from([(
            "__all__".to_string(),
            vec![error.public_message()],
        )])),
        _ => None,
    }
}

/// Splits validation errors into those of `fields` (shown under the inputs) and the
/// rest (shown at the top: model-wide messages as they are, others with their key).
pub fn split_errors(
    errors: &ValidationErrors,
    fields: &[&FieldSchema],
) -> (ValidationErrors, Vec<String>) {
    let mut by_field = ValidationErrors::new();
    let mut general = Vec::new();
    for (key, messages) in errors {
        if fields.iter().any(|f| &f.name == key) {
            by_field.insert(key.clone(), messages.clone());
        } else if key == "__all__" || key == "non_field_errors" {
            general.extend(messages.iter().cloned());
        } else {
            general.extend(messages.iter().map(|m| format!("{key}: {m}")));
        }
    }
    (by_field, general)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_urls_stay_on_this_site() {
        assert_eq!(
            safe_return_url("/dcim/locations/?q=a").as_deref(),
            Some("/dcim/locations/?q=a")
        );
        assert_eq!(safe_return_url("//evil.example.com/"), None);
        assert_eq!(safe_return_url("https://evil.example.com/"), None);
        assert_eq!(safe_return_url("/\\evil"), None);
    }

    #[test]
    fn errors_go_under_their_field_or_on_top() {
        let name = FieldSchema::char("name", 10);
        let mut errors = ValidationErrors::new();
        errors.insert("name".into(), vec!["Too long.".into()]);
        errors.insert("__all__".into(), vec!["Clash.".into()]);
        errors.insert("other".into(), vec!["Odd.".into()]);
        let (by_field, general) = split_errors(&errors, &[&name]);
        assert_eq!(by_field["name"], ["Too long."]);
        assert_eq!(general, ["Clash.", "other: Odd."]);
    }
}
