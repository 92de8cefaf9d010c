//! Keeps every model table's indexes as its schema asks for them, whatever version of
//! the server created the table: `migrate` ends by creating the list indexes (see
//! `ordering`) and, on PostgreSQL, the trigram indexes behind case-insensitive
//! lookups, that are missing — for core, plugin and read-only models alike — and the
//! row counters (`db::rowcount`) of every table.
//!
//! Trigram indexes need PostgreSQL's `pg_trgm` extension. `migrate` creates it when the
//! database allows (it is a trusted extension since PostgreSQL 13: the database's owner
//! may create it); when it cannot, `ic`/`isw`/`iew`/`ie` lookups and `q` searches stay
//! sequential scans, and `migrate` says so.

use std::collections::HashSet;

use nautobot_plugin_abi::FieldKind;

use super::{column, ddl, Model, Registry};
use nautobot_base::error::Result;
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlValue},
    rowcount, Backend, Database, DbConnection,
};

/// Indexes of the host's own migrations that list indexes replaced: the change log's
/// `(time)`, served by its ordering's `(time DESC, id DESC)`; every change wrote both.
/// (`(changed_object_type, changed_object_id)` stays: an object's changes filter on both.)
const SUPERSEDED: &[&str] = &["extras_objectchange_time"];

/// What [`ensure`] did.
#[derive(Debug, Default)]
pub struct Report {
    /// Indexes created.
    pub created: Vec<String>,
    /// Whether case-insensitive lookups have trigram indexes (PostgreSQL with pg_trgm).
    pub trigram: Option<bool>,
}

/// The names of the indexes in the database (main schema).
fn existing_indexes(conn: &mut DbConnection) -> Result<HashSet<String>> {
    let sql = match dynamic::backend_of(conn) {
        Backend::Sqlite => "SELECT name AS row FROM main.sqlite_master WHERE type = 'index'",
        Backend::Postgres => {
            "SELECT indexname::text AS row FROM pg_indexes WHERE schemaname = current_schema()"
        }
    };
    Ok(dynamic::query_text(conn, &Sql::from(sql))?
        .into_iter()
        .collect())
}

/// Whether the table exists (on SQLite, in the main database: the job log's table
/// lives in an attached one and keeps its own indexes).
pub fn table_exists(conn: &mut DbConnection, table: &str) -> Result<bool> {
    let mut sql = Sql::from(match dynamic::backend_of(conn) {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS count FROM main.sqlite_master WHERE type = 'table' AND name = "
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS count FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = "
        }
    });
    sql.bind(SqlValue::text(table));
    Ok(dynamic::query_count(conn, &sql)? > 0)
}

/// Creates `pg_trgm` if it can; whether it is there.
fn trigram_available(conn: &mut DbConnection) -> Result<bool> {
    let installed = |conn: &mut DbConnection| {
        dynamic::query_count(
            conn,
            &Sql::from("SELECT COUNT(*) AS count FROM pg_extension WHERE extname = 'pg_trgm'"),
        )
    };
    if installed(conn)? > 0 {
        return Ok(true);
    }
    if let Err(e) = dynamic::execute(conn, &Sql::from("CREATE EXTENSION IF NOT EXISTS pg_trgm")) {
        tracing::warn!("cannot create the pg_trgm extension ({e}); case-insensitive lookups will scan their tables");
        return Ok(false);
    }
    Ok(installed(conn)? > 0)
}

/// The trigram indexes of a model: one per text field that `q` searches or that is
/// its display field, on `LOWER(column)` as the lookups compare it.
pub fn trigram_indexes(model: &Model) -> Vec<(String, String)> {
    let table = model.table();
    let mut names: Vec<&str> = model.search_fields.iter().map(String::as_str).collect();
    names.extend(model.display_field.as_deref());
    let mut out: Vec<(String, String)> = Vec::new();
    for name in names {
        let Some(field) = model.field(name) else {
            continue;
        };
        if !matches!(
            field.kind,
            FieldKind::Char { .. } | FieldKind::Slug { .. } | FieldKind::Text
        ) {
            continue;
        }
        let col = column(field);
        let index = ddl::index_name(&table, std::slice::from_ref(&col), "trgm");
        if out.iter().any(|(n, _)| *n == index) {
            continue;
        }
        let statement = format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} USING gin (LOWER({}) gin_trgm_ops)",
            ident(&index),
            ident(&table),
            ident(&col)
        );
        out.push((index, statement));
    }
    out
}

/// The indexes a model's schema asks for (`ddl::index_statements`), by name.
fn wanted(model: &Model, backend: Backend) -> Vec<(String, String)> {
    ddl::index_statements(&model.schema, backend)
        .into_iter()
        .filter_map(|s| ddl::index_name_of(&s).map(|n| (n.to_string(), s.clone())))
        .collect()
}

/// Creates the missing indexes and row counters of every model whose table exists.
pub fn ensure(db: &Database, registry: &Registry) -> Result<Report> {
    let mut conn = db.conn()?;
    let backend = db.backend();
    let mut report = Report::default();
    let trigram = match backend {
        Backend::Postgres => Some(trigram_available(&mut conn)?),
        Backend::Sqlite => None,
    };
    report.trigram = trigram;
    let existing = existing_indexes(&mut conn)?;
    for model in registry.iter() {
        let table = model.table();
        if !table_exists(&mut conn, &table)? {
            continue;
        }
        let mut wanted = wanted(model, backend);
        if trigram == Some(true) {
            wanted.extend(trigram_indexes(model));
        }
        for (name, statement) in wanted {
            if existing.contains(&name) {
                continue;
            }
            dynamic::execute(&mut conn, &Sql::from(statement))?;
            report.created.push(name);
        }
        for name in ddl::legacy_indexes(&model.schema) {
            if existing.contains(&name) {
                let drop = format!("DROP INDEX IF EXISTS {}", ident(&name));
                dynamic::execute(&mut conn, &Sql::from(drop))?;
            }
        }
        rowcount::ensure(&mut conn, &table)?;
    }
    for name in SUPERSEDED {
        if existing.contains(*name) {
            dynamic::execute(
                &mut conn,
                &Sql::from(format!("DROP INDEX IF EXISTS {}", ident(name))),
            )?;
        }
    }
    Ok(report)
}

/// The indexes every model's schema asks for that the database lacks (for `check`).
pub fn missing(db: &Database, registry: &Registry) -> Result<Vec<String>> {
    let mut conn = db.conn()?;
    let backend = db.backend();
    let existing = existing_indexes(&mut conn)?;
    let mut out = Vec::new();
    for model in registry.iter() {
        if !table_exists(&mut conn, &model.table())? {
            continue;
        }
        out.extend(
            wanted(model, backend)
                .into_iter()
                .map(|(name, _)| name)
                .filter(|name| !existing.contains(name)),
        );
    }
    Ok(out)
}
