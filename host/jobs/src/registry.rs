//! Job registration: at start-up (server and worker) every job the loaded plugins declare
//! is written to `extras_job` — new ones disabled unless `JOBS_AUTO_ENABLE`, known ones
//! refreshed (name, description, grouping, variables, limits) with their `enabled` flag
//! kept — and jobs whose plugin is no longer loaded are marked not installed, never
//! deleted (their results stay).

use nautobot_base::error::Result;
use nautobot_db::{
    dynamic::{self, Sql, SqlType, SqlValue},
    Database,
};
use nautobot_objects::values;
use nautobot_plugins::PluginRegistry;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synced {
    /// Jobs seen for the first time (`module.class`).
    pub added: Vec<String>,
    /// Jobs already known, refreshed.
    pub updated: usize,
    /// Jobs whose plugin is gone, now marked not installed.
    pub uninstalled: usize,
}

fn ts(s: &str) -> SqlValue {
    SqlValue::Text(s.to_string(), SqlType::Timestamp)
}

/// Registers the jobs of `plugins` (one transaction).
pub fn sync(db: &Database, plugins: &PluginRegistry, auto_enable: bool) -> Result<Synced> {
    nautobot_objects::write::transaction(db, |conn| {
        let mut out = Synced::default();
        let now = values::now();
        let mut seen: Vec<(String, String)> = Vec::new();
        for plugin in plugins.iter() {
            let module = plugin.name().to_string();
            for job in &plugin.manifest.jobs {
                seen.push((module.clone(), job.name.clone()));
                let grouping = if job.grouping.is_empty() {
                    plugin.manifest.verbose_name.clone()
                } else {
                    job.grouping.clone()
                };
                let name = if job.verbose_name.is_empty() {
                    job.name.clone()
                } else {
                    job.verbose_name.clone()
                };
                let variables =
                    serde_json::to_string(&job.variables).unwrap_or_else(|_| "[]".to_string());
                let mut update = Sql::from("UPDATE extras_job SET grouping = ");
                update
                    .bind(SqlValue::text(&grouping))
                    .push(", name = ")
                    .bind(SqlValue::text(&name))
                    .push(", description = ")
                    .bind(SqlValue::text(&job.description))
                    .push(", installed = ")
                    .bind(SqlValue::Bool(true))
                    .push(", read_only = ")
                    .bind(SqlValue::Bool(job.read_only))
                    .push(", dryrun_default = ")
                    .bind(SqlValue::Bool(job.dryrun_default))
                    .push(", soft_time_limit = ")
                    .bind(SqlValue::Int(job.soft_time_limit as i64))
                    .push(", time_limit = ")
                    .bind(SqlValue::Int(job.time_limit as i64))
                    .push(", variables = ")
                    .bind(SqlValue::Text(variables.clone(), SqlType::Json))
                    .push(", last_updated = ")
                    .bind(ts(&now))
                    .push(" WHERE module_name = ")
                    .bind(SqlValue::text(&module))
                    .push(" AND job_class_name = ")
                    .bind(SqlValue::text(&job.name));
                if dynamic::execute(conn, &update)? > 0 {
                    out.updated += 1;
                    continue;
                }
                let mut insert = Sql::from(
                    "INSERT INTO extras_job (id, module_name, job_class_name, grouping, name, \
                     description, enabled, installed, read_only, dryrun_default, \
                     soft_time_limit, time_limit, variables, created, last_updated) VALUES (",
                );
                let values = [
                    SqlValue::text(uuid::Uuid::new_v4().to_string()),
                    SqlValue::text(&module),
                    SqlValue::text(&job.name),
                    SqlValue::text(&grouping),
                    SqlValue::text(&name),
                    SqlValue::text(&job.description),
                    SqlValue::Bool(auto_enable),
                    SqlValue::Bool(true),
                    SqlValue::Bool(job.read_only),
                    SqlValue::Bool(job.dryrun_default),
                    SqlValue::Int(job.soft_time_limit as i64),
                    SqlValue::Int(job.time_limit as i64),
                    SqlValue::Text(variables, SqlType::Json),
                    ts(&now),
                    ts(&now),
                ];
                for (i, v) in values.into_iter().enumerate() {
                    if i > 0 {
                        insert.push(", ");
                    }
                    insert.bind(v);
                }
                insert.push(")");
                dynamic::execute(conn, &insert)?;
                out.added.push(format!("{module}.{}", job.name));
            }
        }
        // Jobs of plugins no longer loaded (or no longer declaring them).
        let known = dynamic::query_json(
            conn,
            &Sql::from(match dynamic::backend_of(conn) {
                nautobot_db::Backend::Sqlite => {
                    "SELECT json_object('id', id, 'm', module_name, 'c', job_class_name) AS row \
                     FROM extras_job WHERE installed"
                }
                nautobot_db::Backend::Postgres => {
                    "SELECT json_build_object('id', id, 'm', module_name, 'c', job_class_name)::text \
                     AS row FROM extras_job WHERE installed"
                }
            }),
        )?;
        for row in known {
            let key = (
                row["m"].as_str().unwrap_or_default().to_string(),
                row["c"].as_str().unwrap_or_default().to_string(),
            );
            if seen.contains(&key) {
                continue;
            }
            let mut gone = Sql::from("UPDATE extras_job SET installed = ");
            gone.bind(SqlValue::Bool(false))
                .push(", last_updated = ")
                .bind(ts(&now))
                .push(" WHERE id = ")
                .bind(SqlValue::text(row["id"].as_str().unwrap_or_default()));
            dynamic::execute(conn, &gone)?;
            out.uninstalled += 1;
        }
        Ok(out)
    })
}
