//! [`Host`]: the typed face of [`HostServices`](crate::HostServices) for plugin authors.

use abi_stable::std_types::RStr;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use crate::{
    error::PluginError,
    ffi::{HostServices, LogLevel},
};

/// The host's services, lent to a handler for the duration of one call.
///
/// Every call acts on behalf of the plugin and, while a request is served, of the user
/// who made it.
#[derive(Clone, Copy)]
pub struct Host<'a> {
    services: &'a (dyn HostServices + 'a),
}

impl<'a> Host<'a> {
    /// Wraps the host's services; the generated glue and the host's tests use it.
    pub fn new(services: &'a (dyn HostServices + 'a)) -> Self {
        Host { services }
    }

    /// Writes a message to the host's log, tagged with the plugin's name.
    pub fn log(&self, level: LogLevel, message: &str) {
        self.services.log(level, RStr::from_str(message));
    }

    /// Logs at error level.
    pub fn error(&self, message: &str) {
        self.log(LogLevel::Error, message);
    }

    /// Logs at warning level.
    pub fn warn(&self, message: &str) {
        self.log(LogLevel::Warn, message);
    }

    /// Logs at info level.
    pub fn info(&self, message: &str) {
        self.log(LogLevel::Info, message);
    }

    /// Logs at debug level.
    pub fn debug(&self, message: &str) {
        self.log(LogLevel::Debug, message);
    }

    /// The value of `key` in the plugin's own `PLUGINS_CONFIG` section.
    pub fn setting(&self, key: &str) -> Option<Value> {
        self.services
            .setting(RStr::from_str(key))
            .into_option()
            .and_then(|json: abi_stable::std_types::RString| {
                serde_json::from_str(json.as_str()).ok()
            })
    }

    /// Renders one of the plugin's own templates with `context` and returns the HTML.
    pub fn render(&self, template: &str, context: impl Serialize) -> Result<String, PluginError> {
        let context = serde_json::to_string(&context)?;
        self.services
            .render(RStr::from_str(template), RStr::from_str(&context))
            .into_result()
            .map(Into::into)
    }

    /// Lists objects of `model` (`"app_label.model"`) matching `query` (a
    /// [`Query`](crate::Query)); the answer is a [`Page`](crate::Page).
    pub fn query<T: DeserializeOwned>(
        &self,
        model: &str,
        query: impl Serialize,
    ) -> Result<T, PluginError> {
        let query = serde_json::to_string(&query)?;
        parse(
            self.services
                .query(RStr::from_str(model), RStr::from_str(&query)),
        )
    }

    /// Every object of `model` matching `query`'s filters, read a page of 1000 at a time
    /// (since 1.1; works on 1.0 hosts too, it only calls [`query`](Self::query)).
    ///
    /// Without a sort the pages follow the ids (`id__gt` the last one seen), so each costs
    /// the same however far the walk has gone; with a sort they follow `offset`.
    /// `query.limit` and `query.offset` are ignored. Mind the size: everything is
    /// collected in memory.
    pub fn query_all(&self, model: &str, query: crate::Query) -> Result<Vec<Value>, PluginError> {
        const PAGE: u64 = 1000;
        let by_id = query.sort.is_empty();
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let mut page_query = query.clone().limit(PAGE);
            if by_id {
                page_query = page_query.sort("id");
                if let Some(last) = out.last().and_then(|o: &Value| o.get("id")).cloned() {
                    page_query = page_query.filter("id__gt", last);
                }
            } else {
                page_query = page_query.offset(offset);
            }
            let page: crate::Page = self.query(model, page_query)?;
            let got = page.results.len() as u64;
            out.extend(page.results);
            offset += got;
            if got < PAGE {
                return Ok(out);
            }
        }
    }

    /// Fetches one object of `model` by `lookup` (`{"id": …}` or filters).
    pub fn get<T: DeserializeOwned>(
        &self,
        model: &str,
        lookup: impl Serialize,
    ) -> Result<T, PluginError> {
        let lookup = serde_json::to_string(&lookup)?;
        parse(
            self.services
                .get(RStr::from_str(model), RStr::from_str(&lookup)),
        )
    }

    /// Creates an object of `model` from `data` and returns it.
    pub fn create<T: DeserializeOwned>(
        &self,
        model: &str,
        data: impl Serialize,
    ) -> Result<T, PluginError> {
        let data = serde_json::to_string(&data)?;
        parse(
            self.services
                .create(RStr::from_str(model), RStr::from_str(&data)),
        )
    }

    /// Updates object `id` of `model` with `data` and returns it.
    pub fn update<T: DeserializeOwned>(
        &self,
        model: &str,
        id: &str,
        data: impl Serialize,
    ) -> Result<T, PluginError> {
        let data = serde_json::to_string(&data)?;
        parse(self.services.update(
            RStr::from_str(model),
            RStr::from_str(id),
            RStr::from_str(&data),
        ))
    }

    /// Deletes object `id` of `model`.
    pub fn delete(&self, model: &str, id: &str) -> Result<(), PluginError> {
        self.services
            .delete(RStr::from_str(model), RStr::from_str(id))
            .into_result()
            .map(|_| ())
    }

    /// Appends an entry to the running job's log (`level`: `debug`, `info`, `success`,
    /// `warning`, `failure` or `critical`), optionally about an object.
    pub fn job_log(&self, level: &str, message: &str, object: Option<&Value>) {
        let object = object.map(Value::to_string).unwrap_or_default();
        self.services.job_log(
            RStr::from_str(level),
            RStr::from_str(message),
            RStr::from_str(&object),
        );
    }

    /// Whether the acting user holds `permission` (`"app_label.action_model"`).
    pub fn has_perm(&self, permission: &str) -> bool {
        self.services.has_perm(RStr::from_str(permission))
    }

    /// Calls a host service added after 1.0 by name.
    pub fn extension<T: DeserializeOwned>(
        &self,
        verb: &str,
        payload: impl Serialize,
    ) -> Result<T, PluginError> {
        let payload = serde_json::to_string(&payload)?;
        parse(
            self.services
                .extension(RStr::from_str(verb), RStr::from_str(&payload)),
        )
    }
}

fn parse<T: DeserializeOwned>(
    result: abi_stable::std_types::RResult<abi_stable::std_types::RString, PluginError>,
) -> Result<T, PluginError> {
    let json = result.into_result()?;
    serde_json::from_str(&json)
        .map_err(|e| PluginError::internal(format!("the host answered with unexpected JSON: {e}")))
}
