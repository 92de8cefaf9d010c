//! The route table: every path the server answers, each method on it, and who may use
//! it. Routes are registered through [`Routes`], which both mounts them on actix and
//! writes them down, so the table cannot drift from what is served:
//! `nautobot-server show-urls` prints it, and the permission-matrix test
//! (`tests/permission_matrix.rs`) checks every route against every kind of requester.

use actix_web::{
    dev::HttpServiceFactory, http::Method, web, FromRequest, Handler, HttpRequest, HttpResponse,
    Responder,
};
use serde::Serialize;

use nautobot_base::error::{Error, Result};

/// Who may use a route, as its handler checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in user (with `LOGIN_REQUIRED = false`, anonymous visitors too).
    Login,
    /// Staff users.
    Staff,
    /// Holders of the permission (`dcim.view_location`), and superusers.
    Permission(String),
    /// Holders of every one of these permissions (a plugin view's `permissions`), and
    /// superusers.
    Permissions(Vec<String>),
}

impl Access {
    /// The permission to `action` objects of the model `label` (`dcim.location`).
    pub fn model(label: &str, action: &str) -> Access {
        match label.split_once('.') {
            Some((app, model)) => Access::Permission(format!("{app}.{action}_{model}")),
            None => Access::Permission(format!("{label}.{action}")),
        }
    }
}

/// One method of one route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteMethod {
    /// `GET`, `POST` …
    pub method: String,
    /// Who may use it.
    pub access: Access,
}

/// One route: its path pattern (`/dcim/locations/{id}/`) and its methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// The actix path pattern; `{name}` segments are parameters, `{tail:.*}` the rest.
    pub path: String,
    /// What answers here: `core`, or the plugin's name.
    pub owner: String,
    /// Its methods; any other answers 405.
    pub methods: Vec<RouteMethod>,
}

/// Mounts routes on actix and records them in the table.
pub struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    table: &'a mut Vec<Route>,
}

impl<'a> Routes<'a> {
    /// Routes mounted on `cfg`, recorded in `table`.
    pub fn new(cfg: &'a mut web::ServiceConfig, table: &'a mut Vec<Route>) -> Routes<'a> {
        Routes { cfg, table }
    }

    /// Starts a route of the core at `path`.
    pub fn at(&mut self, path: impl Into<String>) -> RouteBuilder<'_, 'a> {
        self.owned_by("core", path)
    }

    /// Starts a route of `owner` (a plugin's name) at `path`.
    pub fn owned_by(
        &mut self,
        owner: impl Into<String>,
        path: impl Into<String>,
    ) -> RouteBuilder<'_, 'a> {
        let path = path.into();
        RouteBuilder {
            resource: web::resource(path.clone()).default_service(web::to(method_not_allowed)),
            route: Route {
                path,
                owner: owner.into(),
                methods: Vec::new(),
            },
            routes: self,
        }
    }

    /// Mounts a whole service (static files) and records it as `route`.
    pub fn service<F: HttpServiceFactory + 'static>(&mut self, route: Route, service: F) {
        self.cfg.service(service);
        self.table.push(route);
    }
}

/// A route being built: its resource and its record.
pub struct RouteBuilder<'r, 'a> {
    routes: &'r mut Routes<'a>,
    resource: actix_web::Resource,
    route: Route,
}

impl RouteBuilder<'_, '_> {
    /// Attaches data the handlers extract (`web::Data<…>`, `web::PayloadConfig` …).
    pub fn data<U: 'static>(mut self, data: U) -> Self {
        self.resource = self.resource.app_data(data);
        self
    }

    /// Answers `method` with `handler`, for those `access` allows.
    pub fn method<F, Args>(mut self, method: Method, access: Access, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route.methods.push(RouteMethod {
            method: method.to_string(),
            access,
        });
        self.resource = self.resource.route(web::method(method).to(handler));
        self
    }

    /// `GET` and `HEAD` with `handler`.
    pub fn read<F, Args>(self, access: Access, handler: F) -> Self
    where
        F: Handler<Args> + Clone,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::GET, access.clone(), handler.clone())
            .method(Method::HEAD, access, handler)
    }

    /// `GET` with `handler`.
    pub fn get<F, Args>(self, access: Access, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::GET, access, handler)
    }

    /// `POST` with `handler`.
    pub fn post<F, Args>(self, access: Access, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::POST, access, handler)
    }

    /// Every method goes to `handler`, which answers `methods` (a plugin view's) and
    /// refuses the others itself.
    pub fn methods_of<F, Args>(mut self, methods: &[String], access: Access, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        for method in methods {
            self.route.methods.push(RouteMethod {
                method: method.to_ascii_uppercase(),
                access: access.clone(),
            });
        }
        self.resource = self.resource.default_service(web::to(handler));
        self
    }

    /// Mounts the route and records it.
    pub fn register(self) {
        self.routes.cfg.service(self.resource);
        self.routes.table.push(self.route);
    }
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse> {
    Err(Error::MethodNotAllowed(req.method().to_string()))
}
