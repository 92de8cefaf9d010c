//! The model layer every entry point shares (REST API, UI, plugins, jobs): reading rows,
//! filtering and paging ([`query`]), the REST representation ([`serialize`]), writes with
//! validation, custom validators and the change log ([`write`], [`changelog`]).
//!
//! A row is a JSON object keyed by field name: foreign keys hold the referred object's
//! id, tags a list of tag ids, plus `id`, `created` and `last_updated`.

pub mod changelog;
pub mod computed_fields;
pub mod config_contexts;
pub mod constraints;
pub mod custom_fields;
pub mod fastjson;
pub mod paths;
pub mod query;
pub mod relationships;
pub mod seek;
pub mod serialize;
pub mod values;
pub mod write;

use nautobot_plugin_abi::{FieldKind, ValidationRequest};
use serde_json::Value;

use nautobot_base::error::Result;
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlValue},
    Backend, DbConnection,
};
use nautobot_schema::{column, Model};

pub use nautobot_auth::Actor;
pub use nautobot_schema::{capitalise, Row};

/// What the model layer asks of the plugins while it writes.
pub trait Hooks {
    /// Runs every custom validator registered for `request.model`; an error rejects the
    /// write. `conn` is the write's connection, inside its transaction: validators read
    /// through it.
    fn validate(
        &self,
        conn: &mut nautobot_db::DbConnection,
        request: &ValidationRequest,
    ) -> Result<()>;
}

/// Hooks that do nothing (no plugins loaded).
pub struct NoHooks;

impl Hooks for NoHooks {
    fn validate(
        &self,
        _conn: &mut nautobot_db::DbConnection,
        _request: &ValidationRequest,
    ) -> Result<()> {
        Ok(())
    }
}

/// The content type tagged items and the change log record for a model.
pub fn content_type(model: &Model) -> String {
    model.label()
}

/// The expression selecting one row of `model` as a JSON object named `row`.
pub fn select_row(model: &Model, backend: Backend) -> String {
    let mut args = vec![format!("'id', {}", ident("id"))];
    for field in model.stored_fields() {
        if model.is_write_only(&field.name) {
            continue;
        }
        let col = column(field);
        args.push(format!("'{}', {}", field.name, ident(&col)));
    }
    let table = ident(&model.table());
    for link in &model.links {
        let (link_table, own, other) = (
            ident(&link.table),
            ident(&link.own_column),
            ident(&link.other_column),
        );
        args.push(match backend {
            Backend::Sqlite => format!(
                "'{}', (SELECT json_group_array({other}) FROM (SELECT {other} FROM {link_table} \
                 WHERE {own} = {table}.\"id\" ORDER BY {other}))",
                link.field
            ),
            Backend::Postgres => format!(
                "'{}', (SELECT COALESCE(json_agg({other} ORDER BY {other}), '[]'::json) \
                 FROM {link_table} WHERE {own} = {table}.\"id\")",
                link.field
            ),
        });
    }
    args.push(format!("'created', {}", ident("created")));
    args.push(format!("'last_updated', {}", ident("last_updated")));
    if custom_fields::applies_to(model) {
        let ct = content_type(model).replace('\'', "''");
        args.push(format!(
            "'custom_fields', (SELECT \"data\" FROM {} WHERE \"content_type\" = '{ct}' AND \"object_id\" = {table}.\"id\")",
            custom_fields::DATA_TABLE
        ));
    }
    if model.has_tags() {
        let ct = content_type(model).replace('\'', "''");
        let table = ident(&model.table());
        args.push(match backend {
            Backend::Sqlite => format!(
                "'tags', (SELECT json_group_array(tag_id) FROM extras_taggeditem \
                 WHERE content_type = '{ct}' AND object_id = {table}.\"id\")"
            ),
            Backend::Postgres => format!(
                "'tags', (SELECT COALESCE(json_agg(tag_id ORDER BY tag_id), '[]'::json) \
                 FROM extras_taggeditem WHERE content_type = '{ct}' AND object_id = {table}.\"id\")"
            ),
        });
    }
    match backend {
        Backend::Sqlite => format!("json_object({}) AS row", args.join(", ")),
        Backend::Postgres => format!("json_build_object({})::text AS row", args.join(", ")),
    }
}

/// Normalises a row as the database returned it.
pub fn normalise(model: &Model, raw: Value) -> Row {
    let Value::Object(mut raw) = raw else {
        return Row::new();
    };
    let mut row = Row::new();
    row.insert("id".into(), raw.remove("id").unwrap_or(Value::Null));
    for field in model.readable_fields() {
        let value = raw.remove(&field.name).unwrap_or(Value::Null);
        let listed = matches!(field.kind, FieldKind::Tags) || model.link(&field.name).is_some();
        let value = match (&field.kind, value) {
            (_, Value::String(s)) if listed => {
                serde_json::from_str(&s).unwrap_or(Value::Array(Vec::new()))
            }
            (_, Value::Null) if listed => Value::Array(Vec::new()),
            (FieldKind::Tags, Value::String(s)) => {
                serde_json::from_str(&s).unwrap_or(Value::Array(Vec::new()))
            }
            (FieldKind::Tags, Value::Null) => Value::Array(Vec::new()),
            (_, v) => values::from_db(field, v),
        };
        row.insert(field.name.clone(), value);
    }
    for ts in ["created", "last_updated"] {
        let value = match raw.remove(ts) {
            Some(Value::String(s)) => Value::String(values::timestamp(&s)),
            other => other.unwrap_or(Value::Null),
        };
        row.insert(ts.into(), value);
    }
    if custom_fields::applies_to(model) {
        // SQLite gives the JSON document as text; PostgreSQL as JSON.
        let data = match raw.remove("custom_fields") {
            Some(Value::String(s)) => serde_json::from_str(&s).unwrap_or_default(),
            Some(Value::Object(o)) => Value::Object(o),
            _ => Value::Object(serde_json::Map::new()),
        };
        row.insert("custom_fields".into(), data);
    }
    row
}

/// Runs a row query of `model`.
pub fn load(conn: &mut DbConnection, model: &Model, sql: &Sql) -> Result<Vec<Row>> {
    Ok(dynamic::query_json(conn, sql)?
        .into_iter()
        .map(|raw| normalise(model, raw))
        .collect())
}

/// The object of `model` with id `id`, if it exists.
pub fn get(conn: &mut DbConnection, model: &Model, id: &str) -> Result<Option<Row>> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(None);
    }
    let backend = dynamic::backend_of(conn);
    let mut sql = Sql::from(format!(
        "SELECT {} FROM {} WHERE {} = ",
        select_row(model, backend),
        ident(&model.table()),
        ident("id")
    ));
    sql.bind(SqlValue::text(id));
    sql.cached();
    Ok(load(conn, model, &sql)?.into_iter().next())
}

/// The object of `model` with id `id` if it exists and `constraint` reaches it (what a
/// user's grants let them see or change; see [`constraints`]).
pub fn get_within(
    conn: &mut DbConnection,
    registry: &nautobot_schema::Registry,
    model: &Model,
    id: &str,
    constraint: &constraints::Constraint,
) -> Result<Option<Row>> {
    let backend = dynamic::backend_of(conn);
    let Some(cond) = constraints::condition(registry, model, constraint, backend) else {
        return get(conn, model, id);
    };
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(None);
    }
    Ok(rows_where(conn, model, &[id.to_string()], Some(cond))?
        .into_iter()
        .next())
}

/// The objects of `model` whose ids are in `ids` that `constraint` reaches (any order).
pub fn get_many_within(
    conn: &mut DbConnection,
    registry: &nautobot_schema::Registry,
    model: &Model,
    ids: &[String],
    constraint: &constraints::Constraint,
) -> Result<Vec<Row>> {
    let backend = dynamic::backend_of(conn);
    let cond = constraints::condition(registry, model, constraint, backend);
    rows_where(conn, model, ids, cond)
}

/// The objects of `model` whose ids are in `ids` (any order).
pub fn get_many(conn: &mut DbConnection, model: &Model, ids: &[String]) -> Result<Vec<Row>> {
    rows_where(conn, model, ids, None)
}

/// The objects of `model` whose ids are in `ids` and that meet `cond`, if given.
fn rows_where(
    conn: &mut DbConnection,
    model: &Model,
    ids: &[String],
    cond: Option<Sql>,
) -> Result<Vec<Row>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = dynamic::backend_of(conn);
    let mut sql = Sql::from(format!(
        "SELECT {} FROM {} WHERE {} IN (",
        select_row(model, backend),
        ident(&model.table()),
        ident("id")
    ));
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(SqlValue::text(id));
    }
    sql.push(")");
    if let Some(cond) = cond {
        sql.push(" AND ");
        sql.append(cond);
    }
    load(conn, model, &sql)
}

/// The text an object is shown as: its display field, else its verbose name and id.
pub fn display(model: &Model, row: &Row) -> String {
    let shown = model
        .display_field
        .as_deref()
        .and_then(|f| row.get(f))
        .and_then(|v| match v {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
    match shown {
        Some(s) => s,
        None => {
            let id = row.get("id").and_then(Value::as_str).unwrap_or_default();
            let short: String = id.chars().take(8).collect();
            format!("{} {short}", capitalise(model.verbose_name()))
        }
    }
}
