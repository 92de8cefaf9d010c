//! Loading `PLUGINS`: discover and check every library, order them by dependency, merge
//! their settings, then instantiate them. The first failure stops start-up.

use std::{
    collections::HashMap,
    panic::{catch_unwind, AssertUnwindSafe},
    path::PathBuf,
    sync::Arc,
};

use abi_stable::{sabi_trait::TD_Opaque, std_types::RStr};
use nautobot_plugin_abi::{HostServices_TO, PluginError};
use semver::Version;
use serde_json::{Map, Value};

use super::{
    checks::{check_manifest, merge_settings},
    deps::{load_order, Node},
    library::{library_file_name, open, OpenedLibrary},
    registry::{Instance, LoadedPlugin, PluginRegistry},
    services::CallServices,
};
use crate::templates::Templates;
use nautobot_base::LoadError;
use nautobot_config::Settings;

/// A plugin whose library and manifest passed every check, not yet instantiated.
pub struct Discovered {
    /// The opened library and its manifest.
    pub library: OpenedLibrary,
    /// Its settings: the operator's section over the plugin's defaults.
    pub config: Map<String, Value>,
}

/// The library path plugin `name` is looked for at.
pub fn library_path(settings: &Settings, name: &str) -> PathBuf {
    settings.plugins_dir.join(library_file_name(name))
}

/// Opens and checks every plugin in `PLUGINS`; returns them in load order.
pub fn discover(settings: &Settings, host: &Version) -> Result<Vec<Discovered>, LoadError> {
    let mut positions: HashMap<&str, usize> = HashMap::new();
    for (i, name) in settings.plugins.iter().enumerate() {
        if let Some(first) = positions.insert(name.as_str(), i) {
            return Err(LoadError::new(
                name,
                None,
                "listed twice in PLUGINS",
                "each plugin once",
                format!("'{name}' at positions {} and {}", first + 1, i + 1),
            ));
        }
    }

    let mut opened: Vec<OpenedLibrary> = Vec::with_capacity(settings.plugins.len());
    let mut base_urls: HashMap<String, String> = HashMap::new();
    for name in &settings.plugins {
        let path = library_path(settings, name);
        let pin = settings.plugins_sha256.get(name).map(String::as_str);
        let library = if settings.plugins_isolated.contains(name) {
            super::library::open_isolated(name, &path, pin)?
        } else {
            open(name, &path, pin)?
        };
        check_manifest(name, &path, &library.manifest, host)?;
        if let Some(other) = base_urls.insert(library.manifest.base_url.clone(), name.clone()) {
            return Err(LoadError::new(
                name,
                Some(&path),
                "base_url already in use",
                "a base_url no other plugin uses",
                format!("'{}', the base_url of '{other}'", library.manifest.base_url),
            ));
        }
        opened.push(library);
    }

    let nodes: Vec<Node<'_>> = opened
        .iter()
        .map(|lib| Node {
            name: &lib.manifest.name,
            file: &lib.path,
            version: Version::parse(&lib.manifest.version)
                .unwrap_or_else(|_| Version::new(0, 0, 0)),
            dependencies: &lib.manifest.dependencies,
        })
        .collect();
    let order = load_order(&nodes)?;

    let mut slots: Vec<Option<OpenedLibrary>> = opened.into_iter().map(Some).collect();
    let mut discovered = Vec::with_capacity(slots.len());
    for i in order {
        let Some(library) = slots[i].take() else {
            continue;
        };
        let name = library.manifest.name.clone();
        let config = merge_settings(
            &name,
            &library.path,
            &library.manifest,
            settings.plugin_section(&name),
            &settings.config_path,
        )?;
        discovered.push(Discovered { library, config });
    }
    check_extensions(&discovered)?;
    Ok(discovered)
}

/// The plugins' filter and table extensions must name models and fields that exist and
/// their templates compile (ABI 1.2): the first that does not refuses its plugin.
fn check_extensions(discovered: &[Discovered]) -> Result<(), LoadError> {
    let manifests: Vec<&nautobot_plugin_abi::PluginManifest> =
        discovered.iter().map(|d| &d.library.manifest).collect();
    let file = |plugin: &str| {
        discovered
            .iter()
            .find(|d| d.library.manifest.name == plugin)
            .map(|d| d.library.path.clone())
    };
    if let Err(refused) = nautobot_schema::catalog::Catalog::check_extensions(&manifests) {
        return Err(LoadError::new(
            &refused.plugin,
            file(&refused.plugin).as_deref(),
            "an extension does not resolve",
            "extensions of models and fields that exist",
            refused.problem,
        ));
    }
    for m in &manifests {
        for t in &m.table_extensions {
            if let Some(template) = &t.template {
                if let Err(e) = tera::Tera::default().add_raw_template("cell", template) {
                    return Err(LoadError::new(
                        &m.name,
                        file(&m.name).as_deref(),
                        format!(
                            "table extension '{}' has a template that does not compile",
                            t.name
                        ),
                        "a Tera template",
                        e.to_string(),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// What [`check_library`] learnt of a library that passed.
pub struct CheckedLibrary {
    /// The manifest as the library returned it.
    pub manifest_json: String,
    /// The ABI version it was built against.
    pub abi: nautobot_plugin_abi::AbiVersion,
    /// The SHA-256 digest of the file, lower-case hex.
    pub sha256: String,
    /// The plugin's version.
    pub version: String,
}

/// Opens the library at `path` (plugin `name`, its file stem) and runs on it every
/// check start-up runs that needs no other plugin and no configuration: the ABI, the
/// manifest, the host version bounds, the models and migrations (models of declared
/// dependencies are taken on trust), the templates, and instantiating it with its
/// default settings. What only the whole `PLUGINS` list can tell (dependencies present
/// and of the right version, base URLs unique, required settings given) is left to
/// `check`. The plugin's templates are compiled with the `core_templates` they may
/// extend.
pub fn check_library(
    name: &str,
    path: &std::path::Path,
    host: &Version,
    core_templates: &[(&str, &str)],
) -> Result<CheckedLibrary, nautobot_base::error::Error> {
    let library = open(name, path, None)?;
    let answer = CheckedLibrary {
        manifest_json: library.manifest_json.clone(),
        abi: library.abi,
        sha256: library.sha256.clone(),
        version: library.manifest.version.clone(),
    };
    check_manifest(name, path, &library.manifest, host)?;
    nautobot_schema::checks::check_plugin_alone(
        &library.manifest,
        path,
        &nautobot_schema::catalog::core_labels()?,
    )?;
    let config = library.manifest.default_settings.clone();
    let discovered = vec![Discovered { library, config }];
    let templates = Arc::new(Templates::build(core_templates, &discovered, "/static/")?);
    instantiate(discovered, templates)?;
    Ok(answer)
}

/// Instantiates discovered plugins in order, lending them the host's services.
pub fn instantiate(
    discovered: Vec<Discovered>,
    templates: Arc<Templates>,
) -> Result<PluginRegistry, LoadError> {
    let mut plugins = Vec::with_capacity(discovered.len());
    for Discovered {
        mut library,
        config,
    } in discovered
    {
        let name = library.manifest.name.clone();
        let config_json = Value::Object(config.clone()).to_string();
        let services = CallServices::new(&name, &config, &templates, None, None);
        let result = match (&library.module, library.isolated.take()) {
            (_, Some(isolated)) => Ok(isolated
                .instantiate(&config_json, &services)
                .map(|()| Instance::Isolated(Box::new(isolated)))),
            (Some(module), None) => catch_unwind(AssertUnwindSafe(|| {
                let host = HostServices_TO::from_ptr(&services, TD_Opaque);
                (module.instantiate())(RStr::from_str(&config_json), host)
                    .into_result()
                    .map(Instance::Local)
            })),
            (None, None) => Ok(Err(PluginError::internal("the library is not loaded"))),
        };
        let fail = |problem: &str, found: String| {
            LoadError::new(
                &name,
                Some(&library.path),
                problem,
                "instantiate to return the plugin",
                found,
            )
        };
        let instance = match result {
            Ok(Ok(instance)) => instance,
            Ok(Err(err)) if err.code == PluginError::PANIC => {
                return Err(fail(
                    "panicked while starting",
                    format!("a panic: {}", err.message),
                ))
            }
            Ok(Err(err)) => return Err(fail("failed to start", format!("an error: {err}"))),
            Err(_) => {
                return Err(fail(
                    "panicked while starting",
                    "a panic that escaped the plugin's guard".to_string(),
                ))
            }
        };
        tracing::info!(
            plugin = %name,
            version = %library.manifest.version,
            file = %library.path.display(),
            "plugin loaded"
        );
        plugins.push(Arc::new(LoadedPlugin::new(library, config, instance)));
    }
    Ok(PluginRegistry::new(plugins))
}
