//! The actix-web application: state, middleware chain, routes, and the server.

mod body_timeout;
mod browsable;
pub mod middleware;
mod plugin_middleware;
mod plugin_response;
mod plugin_views;

pub mod restart;

use actix_web::{
    http::header, middleware::from_fn, web, App, HttpRequest, HttpResponse, HttpServer,
};

use nautobot_api as api;
use nautobot_app::{
    request,
    routes::{Access, Route, RouteMethod, Routes},
    AppState,
};
use nautobot_base::error::{Error, Result};
use nautobot_ui as ui;

/// Registers every route: core pages, the core API, plugin views, static files.
pub fn routes(cfg: &mut web::ServiceConfig, state: &AppState) {
    let mut table = Vec::new();
    mount(&mut Routes::new(cfg, &mut table), state);
}

/// The route table of the server `state` describes: every path, method and who may use
/// it (`nautobot-server show-urls`).
pub fn route_table(state: &AppState) -> Vec<Route> {
    let mut table = Vec::new();
    let _ = App::new().configure(|cfg| mount(&mut Routes::new(cfg, &mut table), state));
    table
}

fn mount(routes: &mut Routes<'_>, state: &AppState) {
    routes.at("/health/").get(Access::Public, health).register();
    routes
        .at("/")
        .get(Access::Login, ui::pages::home)
        .register();
    routes
        .at("/login/")
        .get(Access::Public, ui::login::show)
        .post(Access::Public, ui::login::submit)
        .register();
    routes
        .at("/logout/")
        .get(Access::Public, ui::login::logout)
        .post(Access::Public, ui::login::logout)
        .register();
    for prefix in ["/plugins/installed-plugins/", "/apps/installed-apps/"] {
        routes
            .at(prefix)
            .get(Access::Login, ui::pages::installed)
            .register();
        routes
            .at(format!("{prefix}{{name}}/"))
            .get(Access::Login, ui::pages::detail)
            .register();
    }
    routes.at("/api/").get(Access::Login, api::root).register();
    routes
        .at("/api/status/")
        .get(Access::Login, api::status)
        .register();
    routes
        .at("/api/docs/")
        .get(Access::Login, api::openapi::docs)
        .register();
    // Swagger UI's files for the docs page, embedded in the binary. Under /api/docs/
    // rather than STATIC_URL: static files exist only when STATIC_ROOT does, and the
    // whole of STATIC_URL belongs to collectstatic's output. Public like static files
    // (the page itself needs a login); not API operations, so not in the document.
    routes
        .at(api::openapi::swagger_ui_bundle_path())
        .get(Access::Public, api::openapi::swagger_ui_bundle)
        .register();
    routes
        .at(api::openapi::swagger_ui_css_path())
        .get(Access::Public, api::openapi::swagger_ui_css)
        .register();
    routes
        .at(api::openapi::swagger_ui_init_path())
        .get(Access::Public, api::openapi::swagger_ui_init)
        .register();
    routes
        .at("/api/plugins/")
        .get(Access::Login, api::plugins_root)
        .register();
    routes
        .at("/api/plugins/installed-plugins/")
        .get(Access::Staff, api::installed_plugins)
        .register();
    routes
        .at("/api/extras/content-types/")
        .get(Access::Login, api::content_types)
        .register();
    // The admin pages' old addresses, now the `users` models' pages.
    ui::users::routes(routes);
    for app in nautobot_schema::core::CORE_APPS {
        routes
            .at(format!("/api/{app}/"))
            .get(Access::Login, api::app_root)
            .register();
    }
    api::jobs::routes(routes, state);
    api::objects::routes(routes, state);
    ui::jobs::routes(routes, state);
    ui::objects::routes(routes, state);
    plugin_views::mount(routes, &state.registry);
    // Static files come from STATIC_ROOT as collectstatic left it; actix-files refuses
    // paths that climb out of it and does not list directories.
    if state.settings.static_root.is_dir() {
        let mount = state.settings.static_url.trim_end_matches('/').to_string();
        let route = Route {
            path: format!("{mount}/{{file:.*}}"),
            owner: "core".into(),
            methods: vec![RouteMethod {
                method: "GET".into(),
                access: Access::Public,
            }],
        };
        routes.service(
            route,
            actix_files::Files::new(&mount, &state.settings.static_root),
        );
    }
}

/// Builds the application around `state`, with the pages' `layout` (menu, home panels).
pub fn app(
    state: web::Data<AppState>,
    layout: web::Data<nautobot_ui::Layout>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let routes_state = state.clone();
    // DATA_UPLOAD_MAX_MEMORY_SIZE: the largest body (the UI's forms and CSV imports
    // have their own, larger, limit).
    let body_limit = state.settings.data_upload_max_memory_size as usize;
    App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(body_limit))
        .app_data(layout)
        .app_data(web::FormConfig::default().limit(1 << 20))
        .configure(move |cfg| routes(cfg, &routes_state))
        .default_service(web::to(not_found))
        // Listed innermost first: the last one wraps all the others. Plugin middleware
        // sees responses as the client will (error pages rendered, redirects made).
        .wrap(from_fn(middleware::error_pages))
        .wrap(from_fn(browsable::render))
        .wrap(from_fn(plugin_middleware::run))
        .wrap(from_fn(middleware::api_version))
        .wrap(from_fn(middleware::identity))
        .wrap(from_fn(middleware::request_id))
        .wrap(from_fn(middleware::query_limits))
        .wrap(from_fn(body_timeout::limit))
        .wrap(from_fn(middleware::allowed_hosts))
}

/// Serves `state` on `listener` (bound, or handed over: systemd's `LISTEN_FDS`, or the
/// previous server's on SIGHUP — see [`restart::listener`]) until interrupted; SIGHUP
/// hands over to a fresh server process.
pub fn serve(
    state: AppState,
    listener: std::net::TcpListener,
    handed_over: bool,
    workers: Option<usize>,
) -> Result<()> {
    let layout = web::Data::new(nautobot_ui::Layout::build(&state));
    let state = web::Data::new(state);
    let workers = workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    actix_web::rt::System::new().block_on(async move {
        let ours = listener
            .try_clone()
            .map_err(|e| Error::Internal(format!("cannot keep the listening socket: {e}")))?;
        let server = HttpServer::new(move || app(state.clone(), layout.clone()))
            .workers(workers)
            // A client that closes its side is gone: its request's future is dropped,
            // which cancels the SQL it runs (nautobot_app::blocking).
            .h1_allow_half_closed(false)
            .listen(listener)
            .map_err(|e| Error::Usage(format!("cannot serve the listening socket: {e}")))?;
        for addr in server.addrs() {
            tracing::info!(
                pid = std::process::id(),
                handed_over,
                "listening on http://{addr}/"
            );
        }
        let server = server.run();
        actix_web::rt::spawn(restart::on_sighup(server.handle(), ours));
        restart::notify_serving();
        server
            .await
            .map_err(|e| Error::Internal(format!("the server stopped: {e}")))
    })
}

/// `GET /health/`: liveness, no login. Unhealthy (503) when plugin calls stuck past
/// `PLUGIN_CALL_TIMEOUT` hold as many threads as the server has database connections:
/// it cannot be relied on to serve more, and should be restarted.
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let stuck = nautobot_plugins::deadline::stuck();
    let capacity = state.db.pool_size() as usize;
    if !stuck.is_empty() && stuck.len() >= capacity {
        let plugins: std::collections::BTreeSet<&str> =
            stuck.iter().map(|c| c.plugin.as_str()).collect();
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body(format!(
                "UNHEALTHY: {} plugin calls are stuck past PLUGIN_CALL_TIMEOUT (plugins: {}), as many as the server's {capacity} database connections; restart it",
                stuck.len(),
                plugins.into_iter().collect::<Vec<_>>().join(", ")
            ));
    }
    HttpResponse::Ok().content_type("text/plain").body("OK")
}

/// Anything no route matches. UI GETs without a trailing slash are redirected to the
/// slashed path, as Django's `APPEND_SLASH` does.
async fn not_found(req: HttpRequest) -> Result<HttpResponse> {
    let path = req.path();
    if path.starts_with("/api/") {
        return Err(Error::NotFound("Not found.".to_string()));
    }
    if req.method() == actix_web::http::Method::GET && !path.ends_with('/') {
        let mut location = format!("{path}/");
        if !req.query_string().is_empty() {
            location.push('?');
            location.push_str(req.query_string());
        }
        // `//evil.example` would become a redirect to another site.
        if let Some(location) = request::local_redirect_target(&location) {
            return Ok(HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, location))
                .finish());
        }
    }
    Err(Error::NotFound("Page not found.".to_string()))
}
