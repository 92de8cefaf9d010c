//! The plugins' hooks on data: custom validators, called by the model layer before every
//! create and update, from every entry point.

use std::{collections::BTreeMap, sync::Mutex};

use nautobot_plugin_abi::{kinds, PluginError, ValidationRequest, ALL_MODELS};

use super::{CallServices, DataAccess, PluginRegistry};
use crate::templates::Templates;
use nautobot_auth::Identity;
use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_db::{Database, DbConnection};
use nautobot_objects::Hooks;

/// The loaded plugins' hooks, acting for `identity` (if a user acts).
pub struct PluginHooks<'a> {
    /// The plugins.
    pub registry: &'a PluginRegistry,
    /// Templates lent to the plugins.
    pub templates: &'a Templates,
    /// The database lent to the plugins.
    pub db: Option<&'a Database>,
    /// Who is acting.
    pub identity: Option<&'a Identity>,
    /// The models and settings the validators' database reads need (without them, the
    /// reads answer UNSUPPORTED).
    pub data: Option<DataAccess<'a>>,
}

impl Hooks for PluginHooks<'_> {
    fn validate(&self, conn: &mut DbConnection, request: &ValidationRequest) -> Result<()> {
        let mut payload: Option<String> = None;
        // On SQLite a write holds the database's one write lock: an in-process validator
        // runs on a thread of its own there, so that one that hangs costs its write the
        // deadline, not every write for as long as it hangs. (On PostgreSQL it holds only
        // its own rows, and the hand-over between threads would cost every write.)
        let offload = nautobot_db::dynamic::backend_of(conn) == nautobot_db::Backend::Sqlite;
        // The validators read on the write's own connection, inside its transaction.
        let conn = Mutex::new(conn);
        for plugin in self.registry.iter() {
            for def in plugin
                .manifest
                .validators
                .iter()
                .filter(|v| v.model == request.model || v.model == ALL_MODELS)
            {
                let body = match &payload {
                    Some(p) => p,
                    None => payload.insert(
                        serde_json::to_string(request)
                            .map_err(|e| Error::Internal(e.to_string()))?,
                    ),
                };
                let mut services = CallServices::new(
                    plugin.name(),
                    &plugin.config,
                    self.templates,
                    self.identity,
                    self.db,
                )
                .validating(&conn);
                if let Some(data) = self.data {
                    services = services.with_data(data);
                }
                let answer = if offload && plugin.is_in_process() {
                    super::offload::call(plugin, kinds::VALIDATE, &def.name, body, &services)
                } else {
                    plugin.call(kinds::VALIDATE, &def.name, body, &services)
                };
                if let Err(err) = answer {
                    return Err(validation_error(err));
                }
            }
        }
        Ok(())
    }
}

/// A validator's refusal as the client sees it: per-field messages for validation
/// errors, a model-wide message for other refusals; failures (panics) stay 500s.
fn validation_error(err: Error) -> Error {
    let Error::PluginCall(failure) = &err else {
        return err;
    };
    match failure.error.code {
        PluginError::VALIDATION | PluginError::BAD_REQUEST => {
            let mut errors = ValidationErrors::new();
            if let Some(serde_json::Value::Object(details)) = failure.error.details() {
                for (field, messages) in details {
                    let list: Vec<String> = match messages {
                        serde_json::Value::Array(items) => items
                            .iter()
                            .map(|m| {
                                m.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| m.to_string())
                            })
                            .collect(),
                        serde_json::Value::String(s) => vec![s],
                        other => vec![other.to_string()],
                    };
                    errors.insert(field, list);
                }
            }
            if errors.is_empty() {
                errors.insert("__all__".into(), vec![failure.error.message.to_string()]);
            }
            Error::Validation(Box::new(BTreeMap::from_iter(errors)))
        }
        _ => err,
    }
}
