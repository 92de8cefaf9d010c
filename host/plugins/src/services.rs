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

use crate::templates::Templates;
use nautobot_auth::{permissions::scope, Constraint, Identity};
use nautobot_base::error::Error;
use nautobot_config::Settings;
use nautobot_db::Database;
use nautobot_objects::{
    self as objects,
    query::{self, ListQuery},
    serialize,
    write::Writer,
    Actor,
};
use nautobot_schema::Registry;

/// The services lent to one plugin call.
pub struct CallServices<'a> {
    plugin: &'a str,
    config: &'a Map<String, Value>,
    templates: &'a Templates,
    identity: Option<&'a Identity>,
    db: Option<&'a Database>,
    data: Option<DataAccess<'a>>,
    job: Option<JobRun<'a>>,
    validating: Option<&'a std::sync::Mutex<&'a mut nautobot_db::DbConnection>>,
}

/// A running job: its log and the connection whose transaction holds the job's
/// database work (committed or rolled back when the job ends).
#[derive(Clone, Copy)]
pub struct JobRun<'a> {
    /// Where `job_log` entries go (the jobs layer's log of this run).
    pub log: &'a dyn JobLog,
    /// The job's connection, inside its transaction.
    pub conn: &'a std::sync::Mutex<&'a mut nautobot_db::DbConnection>,
}

/// The log of a running job, which the jobs layer lends to the plugin's calls: an
/// entry must outlast the job's transaction, whatever becomes of it.
pub trait JobLog: Sync {
    /// Adds an entry: `level` as the plugin gave it, its message, and the object it
    /// concerns (a JSON object with `display` and `url`, or a string), if any.
    fn log(&self, level: &str, message: &str, object: Option<&Value>) -> nautobot_base::Result<()>;
}

/// What the database verbs need besides the connection pool.
#[derive(Clone, Copy)]
pub struct DataAccess<'a> {
    /// Every model.
    pub registry: &'a Registry,
    /// The settings (for `EXEMPT_VIEW_PERMISSIONS`).
    pub settings: &'a Settings,
    /// The plugins, whose validators every write runs.
    pub plugins: &'a super::PluginRegistry,
    /// The request (or job) the calls belong to, for the change log.
    pub request_id: &'a str,
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
            data: None,
            job: None,
            validating: None,
        }
    }

    /// Services for a validator: the database verbs read on the write's connection
    /// (inside its transaction), the plugin's own models are readable whatever the
    /// user's permissions, and writes are refused.
    pub fn validating(
        mut self,
        conn: &'a std::sync::Mutex<&'a mut nautobot_db::DbConnection>,
    ) -> Self {
        self.validating = Some(conn);
        self
    }

    /// Runs the database verbs on a job's connection, inside its transaction, and sends
    /// `job_log` to its log.
    pub fn with_job(mut self, job: JobRun<'a>) -> Self {
        self.job = Some(job);
        self
    }

    /// Runs `f` on the job's connection when a job runs, else on one from the pool.
    fn with_conn<T>(
        &self,
        db: &Database,
        f: impl FnOnce(&mut nautobot_db::DbConnection) -> nautobot_base::error::Result<T>,
    ) -> nautobot_base::error::Result<T> {
        let lent = self.validating.or(self.job.map(|job| job.conn));
        match lent {
            Some(conn) => {
                let mut guard = conn
                    .lock()
                    .map_err(|_| Error::Internal("the lent connection is poisoned".into()))?;
                f(&mut guard)
            }
            None => f(&mut *db.conn()?),
        }
    }

    /// Lends the database verbs (query, get, create, update, delete) too.
    pub fn with_data(mut self, data: DataAccess<'a>) -> Self {
        self.data = Some(data);
        self
    }

    /// Runs a database verb: the model must exist and be served, the acting user (if a
    /// user acts) must hold the permission, and errors become the plugin's.
    fn data_verb(
        &self,
        verb: &str,
        model: &str,
        action: &str,
        work: impl FnOnce(
            &DataAccess<'a>,
            &Database,
            &std::sync::Arc<nautobot_schema::Model>,
            Constraint,
        ) -> nautobot_base::error::Result<Value>,
    ) -> RResult<RString, PluginError> {
        guarded(
            || RResult::RErr(host_panicked()),
            || {
                let (Some(data), Some(db)) = (self.data.as_ref(), self.db) else {
                    return data_layer_unavailable(verb);
                };
                if self.validating.is_some() && action != "view" {
                    return RResult::RErr(PluginError::unsupported(format!(
                        "HostServices::{verb} is not allowed in a validator: validators may read (query, get) but not write"
                    )));
                }
                let Some(m) = data
                    .registry
                    .get(model)
                    .filter(|m| !nautobot_schema::core::is_hidden(&m.label()))
                else {
                    return RResult::RErr(PluginError::not_found(format!("no model '{model}'")));
                };
                let own_model_in_validator =
                    self.validating.is_some() && m.label().split('.').next() == Some(self.plugin);
                // What the user's grants reach (their constraints): every object when
                // no user acts, or a validator reads its own plugin's models.
                let mut within = Constraint::All;
                if let (Some(identity), false) = (self.identity, own_model_in_validator) {
                    match scope(identity, db, data.settings, &m.label(), action) {
                        Ok(Some(constraint)) => within = constraint,
                        Ok(None) => {
                            return RResult::RErr(PluginError::permission_denied(format!(
                                "the user may not {action} {}",
                                m.verbose_name_plural()
                            )))
                        }
                        Err(e) => return RResult::RErr(to_plugin_error(e)),
                    }
                }
                match work(data, db, m, within) {
                    Ok(v) => RResult::ROk(RString::from(v.to_string())),
                    Err(e) => RResult::RErr(to_plugin_error(e)),
                }
            },
        )
    }

    fn writer_run(
        &self,
        data: &DataAccess<'a>,
        db: &Database,
        model: &nautobot_schema::Model,
        work: impl FnOnce(
            &Writer<'_>,
            &mut nautobot_db::DbConnection,
        ) -> nautobot_base::error::Result<Option<objects::Row>>,
    ) -> nautobot_base::error::Result<Value> {
        let actor = Actor {
            user: self.identity.and_then(Identity::plugin_user),
            request_id: data.request_id.to_string(),
            // The writer keeps the change within what the user's grants reach.
            identity: self.identity.map(|i| std::sync::Arc::new(i.clone())),
        };
        let hooks = super::PluginHooks {
            registry: data.plugins,
            templates: self.templates,
            db: self.db,
            identity: self.identity,
            data: Some(*data),
        };
        let writer = Writer::new(data.registry, &actor, &hooks);
        // Each write is all or nothing: a transaction of its own, or a savepoint inside
        // a running job's transaction — begun at the job's first write, so that on
        // SQLite the database's one write lock is held only from then on.
        let in_job = self.job.is_some();
        self.with_conn(db, |conn| {
            if in_job && !nautobot_db::in_transaction(conn) {
                nautobot_db::begin_write(conn)?;
            }
            let row = nautobot_db::write_transaction(conn, |c| work(&writer, c))?;
            match row {
                Some(row) => {
                    let mut out =
                        serialize::serialize_rows(conn, data.registry, model, &[row], "", 0)?;
                    Ok(out.pop().unwrap_or(Value::Null))
                }
                None => Ok(Value::Null),
            }
        })
    }
}

/// A host error as the plugin sees it.
fn to_plugin_error(e: Error) -> PluginError {
    match e {
        Error::Validation(errors) => PluginError::validation(
            "validation failed",
            errors
                .iter()
                .flat_map(|(f, ms)| ms.iter().map(move |m| (f.clone(), m.clone()))),
        ),
        Error::NotFound(m) => PluginError::not_found(m),
        Error::PermissionDenied(m) => PluginError::permission_denied(m),
        Error::Conflict(m) | Error::BadRequest(m) => PluginError::bad_request(m),
        Error::PluginCall(failure) => failure.error.clone(),
        other => PluginError::internal(other.to_string()),
    }
}

/// Filters given as `{"name": "x", "status": ["Active", "Planned"]}` → query pairs.
fn filter_pairs(filters: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in filters {
        let values: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for v in values {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Null => "null".to_string(),
                other => other.to_string(),
            };
            out.push((k.clone(), text));
        }
    }
    out
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
        nautobot_base::version::VERSION
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

    fn query(&self, model: RStr<'_>, query_json: RStr<'_>) -> RResult<RString, PluginError> {
        let text = query_json.as_str();
        self.data_verb("query", model.as_str(), "view", |data, db, m, within| {
            let q: nautobot_plugin_abi::Query = serde_json::from_str(text)
                .map_err(|e| Error::BadRequest(format!("the query is not valid JSON: {e}")))?;
            let mut pairs = filter_pairs(&q.filters);
            if !q.sort.is_empty() {
                pairs.push(("sort".into(), q.sort.join(",")));
            }
            pairs.push((
                "limit".into(),
                q.limit.unwrap_or(query::DEFAULT_LIMIT).to_string(),
            ));
            pairs.push(("offset".into(), q.offset.unwrap_or(0).to_string()));
            let parsed = ListQuery::parse(m, &pairs)?.within(within);
            self.with_conn(db, |conn| {
                let (count, rows) = query::list(conn, data.registry, m, &parsed)?;
                let results = serialize::serialize_rows(conn, data.registry, m, &rows, "", 0)?;
                Ok(serde_json::json!({"count": count, "results": results}))
            })
        })
    }

    fn get(&self, model: RStr<'_>, lookup_json: RStr<'_>) -> RResult<RString, PluginError> {
        let text = lookup_json.as_str();
        self.data_verb("get", model.as_str(), "view", |data, db, m, within| {
            let lookup: Map<String, Value> = serde_json::from_str(text)
                .map_err(|e| Error::BadRequest(format!("the lookup is not a JSON object: {e}")))?;
            let mut pairs = filter_pairs(&lookup);
            pairs.push(("limit".into(), "2".into()));
            let parsed = ListQuery::parse(m, &pairs)?.within(within);
            let (count, rows, found) = self.with_conn(db, |conn| {
                let (count, rows) = query::list(conn, data.registry, m, &parsed)?;
                let found = match (count, rows.first()) {
                    (1, Some(row)) => serialize::serialize_rows(
                        conn,
                        data.registry,
                        m,
                        std::slice::from_ref(row),
                        "",
                        0,
                    )?
                    .pop(),
                    _ => None,
                };
                Ok((count, rows, found))
            })?;
            match (count, rows.into_iter().next()) {
                (1, Some(_)) => Ok(found.unwrap_or(Value::Null)),
                (0, _) => Err(Error::NotFound(format!(
                    "no {} matches {text}",
                    m.verbose_name()
                ))),
                (n, _) => Err(Error::BadRequest(format!(
                    "{n} {} match {text}; expected one",
                    m.verbose_name_plural()
                ))),
            }
        })
    }

    fn create(&self, model: RStr<'_>, data_json: RStr<'_>) -> RResult<RString, PluginError> {
        let text = data_json.as_str();
        self.data_verb("create", model.as_str(), "add", |data, db, m, _| {
            let input: Value = serde_json::from_str(text)
                .map_err(|e| Error::BadRequest(format!("the data is not valid JSON: {e}")))?;
            self.writer_run(data, db, m, |w, conn| w.create(conn, m, &input).map(Some))
        })
    }

    fn update(
        &self,
        model: RStr<'_>,
        id: RStr<'_>,
        data_json: RStr<'_>,
    ) -> RResult<RString, PluginError> {
        let text = data_json.as_str();
        let id = id.as_str();
        self.data_verb("update", model.as_str(), "change", |data, db, m, _| {
            let input: Value = serde_json::from_str(text)
                .map_err(|e| Error::BadRequest(format!("the data is not valid JSON: {e}")))?;
            self.writer_run(data, db, m, |w, conn| {
                w.update(conn, m, id, &input, true).map(Some)
            })
        })
    }

    fn delete(&self, model: RStr<'_>, id: RStr<'_>) -> RResult<RString, PluginError> {
        let id = id.as_str();
        self.data_verb("delete", model.as_str(), "delete", |data, db, m, _| {
            self.writer_run(data, db, m, |w, conn| w.delete(conn, m, id).map(|()| None))
        })
    }

    fn job_log(&self, level: RStr<'_>, message: RStr<'_>, object_json: RStr<'_>) {
        // In a running job the entry goes to its log (on a connection of its own, so it
        // stays whatever becomes of the job's transaction); outside one, to the server's.
        guarded(
            || (),
            || {
                let plugin = self.plugin;
                let message = message.as_str();
                if let Some(job) = &self.job {
                    let object: Option<Value> = serde_json::from_str(object_json.as_str()).ok();
                    if let Err(e) = job.log.log(level.as_str(), message, object.as_ref()) {
                        tracing::error!(plugin, "job log lost ({e}): {message}");
                    }
                    return;
                }
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
            nautobot_base::version::VERSION,
            verb.as_str()
        )))
    }
}
