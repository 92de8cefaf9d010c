//! [`AppState`]: everything a request handler needs, built once at start-up.

use std::sync::Arc;

use nautobot_plugin_abi::MiddlewareDef;

use nautobot_auth::throttle::{Limits, LoginThrottle};
use nautobot_base::error::{Error, Result};
use nautobot_base::version::host_version;
use nautobot_config::Settings;
use nautobot_db::{migrations, Database};
use nautobot_plugins::{
    self as plugins, templates::Templates, LoadedPlugin, PluginHooks, PluginRegistry,
};
use nautobot_schema::{self as schema, catalog::Catalog};

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
    /// Plugin middleware in run order.
    pub middleware: Vec<(Arc<LoadedPlugin>, MiddlewareDef)>,
    /// Every model and migration, core and plugins.
    pub catalog: Catalog,
    /// Failed logins per username and address (`LOGIN_FAILURE_LIMIT` …).
    pub login_throttle: LoginThrottle,
    /// `CONTENT_SECURITY_POLICY` as a header value, made once.
    pub content_security_policy: Option<actix_web::http::header::HeaderValue>,
}

impl AppState {
    /// The host services lent to `plugin` while it serves request `request_id` of
    /// `identity` (changes it makes through them are logged with that request).
    pub fn call_services<'a>(
        &'a self,
        plugin: &'a LoadedPlugin,
        identity: &'a nautobot_auth::Identity,
        request_id: &'a str,
    ) -> plugins::CallServices<'a> {
        plugins::CallServices::new(
            plugin.name(),
            &plugin.config,
            &self.templates,
            Some(identity),
            Some(&self.db),
        )
        .with_data(plugins::DataAccess {
            registry: &self.catalog.registry,
            settings: &self.settings,
            plugins: &self.registry,
            request_id,
        })
    }

    /// The plugins' data hooks (validators), acting for `identity`.
    pub fn hooks<'a>(&'a self, identity: Option<&'a nautobot_auth::Identity>) -> PluginHooks<'a> {
        PluginHooks {
            registry: &self.registry,
            templates: &self.templates,
            db: Some(&self.db),
            identity,
            data: Some(plugins::DataAccess {
                registry: &self.catalog.registry,
                settings: &self.settings,
                plugins: &self.registry,
                request_id: "",
            }),
        }
    }
}

/// Opens and checks the plugins of `PLUGINS` — libraries, manifests, dependencies,
/// settings, models and migrations — without instantiating them (what `collectstatic`
/// needs, and where start-up begins).
pub fn discover_checked(settings: &Settings) -> Result<Vec<plugins::Discovered>> {
    let discovered = plugins::discover(settings, &host_version())?;
    let manifests: Vec<(&nautobot_plugin_abi::PluginManifest, &std::path::Path)> = discovered
        .iter()
        .map(|d| (&d.library.manifest, d.library.path.as_path()))
        .collect();
    schema::checks::check_plugins(&manifests, &schema::catalog::core_labels()?)?;
    Ok(discovered)
}

/// This process's plugin set as `nautobot_plugin_set` records it: every loaded plugin's
/// name and version, and the server's.
pub fn plugin_set_of(registry: &PluginRegistry) -> std::collections::BTreeMap<String, String> {
    let mut set: std::collections::BTreeMap<String, String> = registry
        .iter()
        .map(|p| (p.name().to_string(), p.manifest.version.clone()))
        .collect();
    set.insert(
        nautobot_db::plugin_set::SERVER.to_string(),
        nautobot_base::version::VERSION.to_string(),
    );
    set
}

/// What start-up says when migrations are unapplied: which apps, and — for a plugin none
/// of whose migrations is applied, as after `migrate <plugin> zero` — that removing it
/// from `PLUGINS` is the other way out (running `migrate` would create its tables again).
fn unapplied_message(
    db: &str,
    core_pending: bool,
    statuses: &[schema::migrate::Status],
    registry: &PluginRegistry,
) -> String {
    let mut apps: Vec<&str> = Vec::new();
    if core_pending {
        apps.push("core");
    }
    for s in statuses.iter().filter(|s| !s.applied) {
        if !apps.contains(&s.app.as_str()) {
            apps.push(&s.app);
        }
    }
    let mut message = format!(
        "{db} has unapplied migrations of {}: run `nautobot-server migrate`",
        apps.join(", ")
    );
    // Only on a database whose core apps are migrated: a fresh one lacks everything.
    let core_migrated = !core_pending
        && statuses
            .iter()
            .filter(|s| registry.get(&s.app).is_none())
            .all(|s| s.applied);
    let unmigrated: Vec<&str> = apps
        .iter()
        .copied()
        .filter(|app| {
            core_migrated
                && registry.get(app).is_some()
                && statuses
                    .iter()
                    .filter(|s| s.app == *app)
                    .all(|s| !s.applied)
        })
        .collect();
    if !unmigrated.is_empty() {
        message.push_str(&format!(
            " to install {0}, or, if {0} was uninstalled with `nautobot-server migrate <plugin> zero`, remove {0} from PLUGINS",
            unmigrated.join(" and ")
        ));
    }
    message
}

/// Loads plugins and templates — the `core_templates` (name, source) the UI owns, and
/// the plugins' — without touching the database (what `check` and start-up share).
pub fn load_plugins(
    settings: &Settings,
    core_templates: &[(&str, &str)],
) -> Result<(PluginRegistry, Arc<Templates>)> {
    let discovered = discover_checked(settings)?;
    let templates = Arc::new(Templates::build(
        core_templates,
        &discovered,
        &settings.static_url,
    )?);
    let registry = plugins::instantiate(discovered, templates.clone())?;
    install_template_filters(&registry, &templates);
    Ok((registry, templates))
}

/// Makes the plugins' template filters (ABI 1.2, kind `tera_filter`) usable in computed
/// fields and table extension templates: each call goes to its plugin, with its
/// deadline and isolation; a failure is the template's error.
fn install_template_filters(registry: &PluginRegistry, templates: &Arc<Templates>) {
    let mut filters: Vec<(String, nautobot_objects::computed_fields::TemplateFilter)> = Vec::new();
    for plugin in registry.iter() {
        for def in &plugin.manifest.tera_filters {
            let (plugin, templates, name) = (plugin.clone(), templates.clone(), def.name.clone());
            filters.push((
                def.name.clone(),
                Arc::new(move |value: &serde_json::Value, args: &std::collections::HashMap<String, serde_json::Value>| {
                    let request = nautobot_plugin_abi::TeraFilterRequest {
                        value: value.clone(),
                        args: args.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    };
                    let payload = serde_json::to_string(&request).map_err(|e| e.to_string())?;
                    let services =
                        plugins::CallServices::new(plugin.name(), &plugin.config, &templates, None, None);
                    let answer = plugin
                        .call(nautobot_plugin_abi::kinds::TERA_FILTER, &name, &payload, &services)
                        .map_err(|e| format!("filter {name}: {e}"))?;
                    serde_json::from_str(&answer).map_err(|e| format!("filter {name}: {e}"))
                }),
            ));
        }
    }
    nautobot_objects::computed_fields::install_filters(filters);
}

/// Runs every start-up check and builds the state: plugins, templates (with the
/// `core_templates` of [`load_plugins`]), database, migrations applied.
pub fn boot(settings: Settings, core_templates: &[(&str, &str)]) -> Result<AppState> {
    plugins::deadline::set_timeout(settings.plugin_call_timeout);
    plugins::deadline::set_limits(
        settings.plugins_isolated_workers,
        settings.plugin_max_concurrent_calls,
    );
    let (registry, templates) = load_plugins(&settings, core_templates)?;
    let db = Database::open(&settings)?;
    let catalog = catalog_of(&registry)?;
    let core_pending = migrations::has_pending(&db)?;
    // Without the server's own tables there is no record of the apps' migrations yet.
    let statuses = if core_pending {
        Vec::new()
    } else {
        schema::migrate::show(&db, &catalog.plan)?
    };
    if core_pending || statuses.iter().any(|m| !m.applied) {
        return Err(Error::Database(unapplied_message(
            db.display(),
            core_pending,
            &statuses,
            &registry,
        )));
    }
    schema::migrate::check_applied(&db, &catalog)?;
    nautobot_db::plugin_set::check(&db, &plugin_set_of(&registry))?;
    let missing = schema::indexes::missing(&db, &catalog.registry)?;
    if !missing.is_empty() {
        tracing::warn!(
            "{} indexes are missing ({}…): lists and filters will scan their tables until `nautobot-server migrate` creates them",
            missing.len(),
            missing[0]
        );
    }
    if !settings.static_root.is_dir() {
        tracing::warn!(
            "STATIC_ROOT {} does not exist: run `nautobot-server collectstatic`, then restart",
            settings.static_root.display()
        );
    }
    let middleware = registry.middleware();
    let login_throttle = LoginThrottle::new(Limits {
        per_username: settings.login_failure_limit,
        per_address: settings.login_failure_limit_per_address,
        window: settings.login_failure_window,
    });
    let content_security_policy = match settings.content_security_policy.as_deref() {
        Some(policy) => Some(
            actix_web::http::header::HeaderValue::from_str(policy).map_err(|e| {
                Error::Config(format!(
                    "CONTENT_SECURITY_POLICY is not a valid header value: {e}"
                ))
            })?,
        ),
        None => None,
    };
    Ok(AppState {
        settings,
        db,
        registry,
        templates,
        middleware,
        catalog,
        login_throttle,
        content_security_policy,
    })
}

/// The catalog of the core and the loaded plugins.
pub fn catalog_of(registry: &PluginRegistry) -> Result<Catalog> {
    let manifests: Vec<&nautobot_plugin_abi::PluginManifest> =
        registry.iter().map(|p| &p.manifest).collect();
    Catalog::build(&manifests)
}
