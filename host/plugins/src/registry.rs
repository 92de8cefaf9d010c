//! The loaded plugins, in load order, and the one way the host calls into them.

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    path::PathBuf,
    sync::Arc,
};

use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr},
};
use nautobot_plugin_abi::{
    AbiVersion, HostServices_TO, MiddlewareDef, PluginBox, PluginError, PluginManifest,
};
use serde_json::{Map, Value};

use super::{library::OpenedLibrary, services::CallServices};
use nautobot_base::error::Error;

/// The path of the UI view of plugin `manifest` named `view`, as menu items, home page
/// items and the home/config/docs links name it: a view without path parameters, or
/// `<model>_list` / `<model>_add` for the generic pages of one of the plugin's models.
pub fn view_url(manifest: &PluginManifest, view: &str) -> Option<String> {
    let base = ui_base(manifest);
    manifest
        .view(view)
        .filter(|v| !v.path.contains('{'))
        .map(|v| format!("{base}{}", v.path))
        .or_else(|| manifest.model_link(view).map(|p| format!("{base}{p}")))
}

/// Where the UI of plugin `manifest` is mounted: `/plugins/<base_url>/`.
fn ui_base(manifest: &PluginManifest) -> String {
    format!("/plugins/{}/", manifest.base_url)
}

/// A plugin that passed every check and was instantiated.
pub struct LoadedPlugin {
    /// What the plugin declared.
    pub manifest: PluginManifest,
    /// Its library file.
    pub path: PathBuf,
    /// The ABI version it was built against.
    pub abi: AbiVersion,
    /// Its settings, defaults merged.
    pub config: Map<String, Value>,
    instance: Instance,
}

/// Where a plugin runs.
pub enum Instance {
    /// In this process.
    Local(PluginBox),
    /// In a host process of its own (`PLUGINS_ISOLATED`).
    Isolated(Box<super::isolated::IsolatedPlugin>),
}

impl LoadedPlugin {
    pub(super) fn new(
        library: OpenedLibrary,
        config: Map<String, Value>,
        instance: Instance,
    ) -> Self {
        LoadedPlugin {
            manifest: library.manifest,
            path: library.path,
            abi: library.abi,
            config,
            instance,
        }
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// Where the plugin's UI is mounted: `/plugins/<base_url>/`.
    pub fn ui_base(&self) -> String {
        ui_base(&self.manifest)
    }

    /// Where the plugin's REST API is mounted: `/api/plugins/<base_url>/`.
    pub fn api_base(&self) -> String {
        format!("/api/plugins/{}/", self.manifest.base_url)
    }

    /// The path of the UI view named `view` (views with path parameters have none).
    /// `<model>_list` and `<model>_add` name the generic pages of the plugin's models.
    pub fn view_url(&self, view: &str) -> Option<String> {
        view_url(&self.manifest, view)
    }

    /// The path of the plugin's API root, if it serves one.
    pub fn api_root_url(&self) -> Option<String> {
        self.manifest
            .api_views
            .iter()
            .any(|v| v.path.is_empty())
            .then(|| self.api_base())
    }

    /// The plugin's home, configuration and documentation pages.
    pub fn links(&self) -> PluginLinks {
        let url = |name: &Option<String>| name.as_deref().and_then(|n| self.view_url(n));
        PluginLinks {
            home: url(&self.manifest.home_view_name),
            config: url(&self.manifest.config_view_name),
            docs: url(&self.manifest.docs_view_name),
        }
    }

    /// Calls the plugin's `name` handler of `kind` with a JSON payload.
    ///
    /// An error the plugin returns, or a panic inside it, becomes an
    /// [`Error::PluginCall`] for this call only; it is logged with the plugin's name.
    pub fn call(
        &self,
        kind: &str,
        name: &str,
        payload: &str,
        services: &CallServices<'_>,
    ) -> Result<String, Error> {
        self.call_with(kind, name, payload, Some(services), services)
    }

    /// [`call`](LoadedPlugin::call) of an in-process plugin on a thread of its own, its
    /// host services a proxy of the caller's (see `offload`).
    pub(crate) fn call_offloaded<H: nautobot_plugin_abi::HostServices>(
        &self,
        kind: &str,
        name: &str,
        payload: &str,
        host: &H,
    ) -> Result<String, Error> {
        self.call_with(kind, name, payload, None, host)
    }

    /// Whether the plugin runs in this process (not `PLUGINS_ISOLATED`).
    pub fn is_in_process(&self) -> bool {
        matches!(self.instance, Instance::Local(_))
    }

    /// The call: an in-process plugin sees `host`; an isolated plugin's child is served
    /// with `services`, which it needs.
    fn call_with<H: nautobot_plugin_abi::HostServices>(
        &self,
        kind: &str,
        name: &str,
        payload: &str,
        services: Option<&CallServices<'_>>,
        host: &H,
    ) -> Result<String, Error> {
        let guard = match &self.instance {
            // In process, each call in flight holds a thread: at most so many.
            Instance::Local(_) => {
                let limit = super::deadline::max_concurrent_calls();
                super::deadline::begin_bounded(self.name(), kind, name, limit).map_err(|n| {
                    Error::PluginBusy {
                        plugin: self.name().to_string(),
                        reason: format!(
                            "{n} of its calls are in flight, as many as PLUGIN_MAX_CONCURRENT_CALLS allows"
                        ),
                    }
                })?
            }
            // Isolated, its workers bound it (see `IsolatedPlugin::call`).
            Instance::Isolated(_) => super::deadline::begin(self.name(), kind, name),
        };
        let outcome = match &self.instance {
            Instance::Local(instance) => catch_unwind(AssertUnwindSafe(|| {
                let host = HostServices_TO::from_ptr(host, TD_Opaque);
                instance.call(
                    RStr::from_str(kind),
                    RStr::from_str(name),
                    RStr::from_str(payload),
                    host,
                )
            })),
            Instance::Isolated(isolated) => {
                let deadline = if kind == nautobot_plugin_abi::kinds::JOB {
                    None
                } else {
                    super::deadline::timeout()
                };
                let Some(services) = services else {
                    return Err(Error::Internal(
                        "an isolated plugin is called with the call's own services".into(),
                    ));
                };
                match isolated.call(kind, name, payload, services, deadline)? {
                    Ok(answer) => Ok(RResult::ROk(answer.into())),
                    Err(error) => Ok(RResult::RErr(error)),
                }
            }
        };
        if kind != nautobot_plugin_abi::kinds::JOB && guard.late() {
            // Its request was answered 504 already; whatever it did must not stand
            // (a validator's write is rolled back).
            let limit = super::deadline::timeout().unwrap_or_default().as_secs();
            return Err(Error::PluginTimeout {
                plugin: self.name().to_string(),
                seconds: limit,
            });
        }
        let error = match outcome {
            Ok(RResult::ROk(answer)) => return Ok(answer.into_string()),
            Ok(RResult::RErr(error)) => error,
            Err(_) => PluginError::panic("a panic escaped the plugin's guard"),
        };
        match error.code {
            PluginError::PANIC | PluginError::INTERNAL => tracing::error!(
                plugin = %self.name(), kind, handler = name, code = error.code_name(),
                "plugin call failed: {}", error.message
            ),
            _ => tracing::debug!(
                plugin = %self.name(), kind, handler = name, code = error.code_name(),
                "plugin call returned an error: {}", error.message
            ),
        }
        Err(Error::plugin_call(self.name(), kind, name, error))
    }
}

/// The paths of a plugin's home, configuration and documentation views.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginLinks {
    /// The home view's path.
    pub home: Option<String>,
    /// The configuration view's path.
    pub config: Option<String>,
    /// The documentation view's path.
    pub docs: Option<String>,
}

/// Every loaded plugin, in load order (dependencies first).
#[derive(Clone, Default)]
pub struct PluginRegistry {
    plugins: Vec<Arc<LoadedPlugin>>,
}

impl PluginRegistry {
    pub(super) fn new(plugins: Vec<Arc<LoadedPlugin>>) -> Self {
        PluginRegistry { plugins }
    }

    /// The plugins in load order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<LoadedPlugin>> {
        self.plugins.iter()
    }

    /// How many plugins are loaded.
    pub fn len(&self) -> usize {
        self.plugins.len()
    }

    /// Whether no plugin is loaded.
    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }

    /// The plugin named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<LoadedPlugin>> {
        self.plugins.iter().find(|p| p.name() == name)
    }

    /// Every middleware in run order: plugins in load order, each plugin's in the order
    /// it declared them.
    pub fn middleware(&self) -> Vec<(Arc<LoadedPlugin>, MiddlewareDef)> {
        self.plugins
            .iter()
            .flat_map(|p| p.manifest.middleware.iter().map(|m| (p.clone(), m.clone())))
            .collect()
    }
}
