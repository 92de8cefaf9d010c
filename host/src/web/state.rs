//! [`AppState`]: everything a request handler needs, built once at start-up.

use std::sync::Arc;

use nautobot_plugin_abi::MiddlewareDef;

use crate::{
    config::Settings,
    db::{migrations, Database},
    error::{Error, Result},
    plugins::{self, LoadedPlugin, PluginRegistry},
    ui::{nav::Menu, templates::Templates},
    version::host_version,
};

/// The server's shared state.
pub struct AppState {
    /// The settings.
    pub settings: Settings,
    /// The database pool.
    pub db: Database,
    /// The loaded plugins.
    pub registry: PluginRegistry,
    /// Compiled templates (core and plugins).
    pub templates: Arc<Templates>,
    /// The navigation menu (core and plugins).
    pub menu: Menu,
    /// Plugin middleware in run order.
    pub middleware: Vec<(Arc<LoadedPlugin>, MiddlewareDef)>,
}

impl AppState {
    /// The host services lent to `plugin` while it serves a request of `identity`.
    pub fn call_services<'a>(
        &'a self,
        plugin: &'a LoadedPlugin,
        identity: &'a crate::auth::Identity,
    ) -> plugins::CallServices<'a> {
        plugins::CallServices::new(
            plugin.name(),
            &plugin.config,
            &self.templates,
            Some(identity),
            Some(&self.db),
        )
    }
}

/// Loads plugins and templates without touching the database (what `check`, `collectstatic`
/// and start-up share).
pub fn load_plugins(settings: &Settings) -> Result<(PluginRegistry, Arc<Templates>)> {
    let discovered = plugins::discover(settings, &host_version())?;
    let templates = Arc::new(Templates::build(&discovered, &settings.static_url)?);
    let registry = plugins::instantiate(discovered, templates.clone())?;
    Ok((registry, templates))
}

/// Runs every start-up check and builds the state: plugins, templates, database,
/// migrations applied.
pub fn boot(settings: Settings) -> Result<AppState> {
    let (registry, templates) = load_plugins(&settings)?;
    let db = Database::connect(&settings.database)?;
    if migrations::has_pending(&db)? {
        return Err(Error::Database(format!(
            "{} has unapplied migrations: run `nautobot-server migrate`",
            db.display()
        )));
    }
    if !settings.static_root.is_dir() {
        tracing::warn!(
            "STATIC_ROOT {} does not exist: run `nautobot-server collectstatic`, then restart",
            settings.static_root.display()
        );
    }
    let menu = Menu::build(&registry);
    let middleware = registry.middleware();
    Ok(AppState {
        settings,
        db,
        registry,
        templates,
        menu,
        middleware,
    })
}
