//! The host's side of [`HostServices`]: what a plugin may ask of the host during a call.
//!
//! Each method runs on behalf of the calling plugin (settings and templates are its own)
//! and, when a request is being served, of its user (permissions). Every method that runs
//! host code catches panics: one unwinding back into the plugin through `extern "C"`
//! would abort the server.

use std::panic::{catch_unwind, AssertUnwindSafe};

use abi_stable::std_types::{ROption, RResult, RStr, RString};
use nautobot_plugin_abi::{HostServices, LogLevel, PluginError};
use serde_json::{Map, Value};

use crate::{auth::Identity, db::Database, ui::templates::Templates};

/// The services lent to one plugin call.
pub struct CallServices<'a> {
    plugin: &'a str,
    config: &'a Map<String, Value>,
    templates: &'a Templates,
    identity: Option<&'a Identity>,
    db: Option<&'a Database>,
}

impl<'a> CallServices<'a> {
    /// Services for `plugin`, acting for `identity` when a request is served.
    pub fn new(
        plugin: &'a str,
        config: &'a Map<String, Value>,
        templates: &'a Templates,
        identity: Option<&'a Identity>,
        db: Option<&'a Database>,
    ) -> Self {
        CallServices {
            plugin,
            config,
            templates,
            identity,
            db,
        }
    }
}

fn guarded<T>(fallback: impl FnOnce() -> T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| fallback())
}

fn host_panicked() -> PluginError {
    PluginError::internal("the host failed while serving this call")
}

fn data_layer_unavailable(verb: &str) -> RResult<RString, PluginError> {
    RResult::RErr(PluginError::unsupported(format!(
        "HostServices::{verb} is not available in nautobot-server {}: this host has no model data layer yet",
        crate::version::VERSION
    )))
}

impl HostServices for CallServices<'_> {
    fn log(&self, level: LogLevel, message: RStr<'_>) {
        guarded(
            || (),
            || {
                let plugin = self.plugin;
                let message = message.as_str();
                match level {
                    LogLevel::Error => tracing::error!(plugin, "{message}"),
                    LogLevel::Warn => tracing::warn!(plugin, "{message}"),
                    LogLevel::Info => tracing::info!(plugin, "{message}"),
                    LogLevel::Debug => tracing::debug!(plugin, "{message}"),
                    LogLevel::Trace => tracing::trace!(plugin, "{message}"),
                }
            },
        )
    }

    fn setting(&self, key: RStr<'_>) -> ROption<RString> {
        guarded(
            || ROption::RNone,
            || match self.config.get(key.as_str()) {
                Some(value) => ROption::RSome(RString::from(value.to_string())),
                None => ROption::RNone,
            },
        )
    }

    fn render(&self, template: RStr<'_>, context_json: RStr<'_>) -> RResult<RString, PluginError> {
        guarded(
            || RResult::RErr(host_panicked()),
            || {
                let template = template.as_str();
                if !template.starts_with(&format!("{}/", self.plugin)) {
                    return RResult::RErr(PluginError::permission_denied(format!(
                        "a plugin may render only its own templates ('{}/…'), not '{template}'",
                        self.plugin
                    )));
                }
                let context: Value = match serde_json::from_str(context_json.as_str()) {
                    Ok(v) => v,
                    Err(e) => {
                        return RResult::RErr(PluginError::bad_request(format!(
                            "render context is not valid JSON: {e}"
                        )))
                    }
                };
                match self.templates.render_fragment(template, &context) {
                    Ok(html) => RResult::ROk(RString::from(html)),
                    Err(e) => RResult::RErr(PluginError::internal(e.to_string())),
                }
            },
        )
    }

    fn query(&self, _model: RStr<'_>, _query: RStr<'_>) -> RResult<RString, PluginError> {
        data_layer_unavailable("query")
    }

    fn get(&self, _model: RStr<'_>, _lookup: RStr<'_>) -> RResult<RString, PluginError> {
        data_layer_unavailable("get")
    }

    fn create(&self, _model: RStr<'_>, _data: RStr<'_>) -> RResult<RString, PluginError> {
        data_layer_unavailable("create")
    }

    fn update(
        &self,
        _model: RStr<'_>,
        _id: RStr<'_>,
        _data: RStr<'_>,
    ) -> RResult<RString, PluginError> {
        data_layer_unavailable("update")
    }

    fn delete(&self, _model: RStr<'_>, _id: RStr<'_>) -> RResult<RString, PluginError> {
        data_layer_unavailable("delete")
    }

    fn job_log(&self, level: RStr<'_>, message: RStr<'_>, _object_json: RStr<'_>) {
        // Outside a running job the entry goes to the server's log.
        guarded(
            || (),
            || {
                let plugin = self.plugin;
                let message = message.as_str();
                match level.as_str() {
                    "failure" | "critical" | "error" => tracing::error!(plugin, "{message}"),
                    "warning" => tracing::warn!(plugin, "{message}"),
                    "debug" => tracing::debug!(plugin, "{message}"),
                    _ => tracing::info!(plugin, "{message}"),
                }
            },
        )
    }

    fn has_perm(&self, permission: RStr<'_>) -> bool {
        guarded(
            || false,
            || match (self.identity, self.db) {
                (Some(identity), Some(db)) => identity
                    .has_perm(db, permission.as_str())
                    .unwrap_or_else(|e| {
                        tracing::error!(plugin = self.plugin, "permission check failed: {e}");
                        false
                    }),
                _ => false,
            },
        )
    }

    fn extension(&self, verb: RStr<'_>, _payload: RStr<'_>) -> RResult<RString, PluginError> {
        RResult::RErr(PluginError::unsupported(format!(
            "nautobot-server {} offers no host service '{}'",
            crate::version::VERSION,
            verb.as_str()
        )))
    }
}
