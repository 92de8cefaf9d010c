//! Values reached over a plugin extension's path (ABI 1.2, see
//! [`nautobot_schema::extensions`]) for a page of objects: one statement joining each
//! step, whatever the page's size.

use std::collections::HashMap;

use serde_json::Value;

use nautobot_base::error::{Error, Result};
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlValue},
    Backend, DbConnection,
};
use nautobot_schema::{extensions::Path, extensions::Step, Registry};

/// For each of `ids` (objects of the model `start`), the values at the end of `path`,
/// in the order the database gives them (none for an object that reaches none).
pub fn values_along(
    conn: &mut DbConnection,
    registry: &Registry,
    start: &str,
    path: &Path,
    ids: &[String],
) -> Result<HashMap<String, Vec<Value>>> {
    let mut found: HashMap<String, Vec<Value>> = HashMap::new();
    if ids.is_empty() {
        return Ok(found);
    }
    let table = |label: &str| -> Result<String> {
        registry
            .get(label)
            .map(|m| ident(&m.table()))
            .ok_or_else(|| Error::Internal(format!("model '{label}' is not installed")))
    };
    let mut joins = String::new();
    for (i, step) in path.steps.iter().enumerate() {
        let (prev, next) = (format!("t{i}"), format!("t{}", i + 1));
        let join = match step {
            Step::Forward { column, to } => format!(
                " JOIN {} {next} ON {next}.\"id\" = {prev}.{}",
                table(to)?,
                ident(column)
            ),
            Step::Link {
                table: link,
                own,
                other,
                to,
            } => format!(
                " JOIN {} l{i} ON l{i}.{} = {prev}.\"id\" JOIN {} {next} ON {next}.\"id\" = l{i}.{}",
                ident(link),
                ident(own),
                table(to)?,
                ident(other)
            ),
            Step::Reverse { from, column } => format!(
                " JOIN {} {next} ON {next}.{} = {prev}.\"id\"",
                table(from)?,
                ident(column)
            ),
            Step::ReverseLink {
                from,
                table: link,
                own,
                other,
            } => format!(
                " JOIN {} l{i} ON l{i}.{} = {prev}.\"id\" JOIN {} {next} ON {next}.\"id\" = l{i}.{}",
                ident(link),
                ident(other),
                table(from)?,
                ident(own)
            ),
        };
        joins.push_str(&join);
    }
    let last = format!("t{}", path.steps.len());
    let pair = match dynamic::backend_of(conn) {
        Backend::Postgres => format!(
            "json_build_array(t0.\"id\", {last}.{})::text",
            ident(&path.column())
        ),
        Backend::Sqlite => format!("json_array(t0.\"id\", {last}.{})", ident(&path.column())),
    };
    let mut sql = Sql::from(format!(
        "SELECT {pair} AS row FROM {} t0{joins} WHERE t0.\"id\" IN (",
        table(start)?
    ));
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(SqlValue::text(id.clone()));
    }
    sql.push(format!(") ORDER BY {last}.{}", ident(&path.column())));
    for row in dynamic::query_json(conn, &sql)? {
        if let (Some(id), Some(value)) = (row.get(0).and_then(Value::as_str), row.get(1)) {
            if !value.is_null() {
                found.entry(id.to_string()).or_default().push(value.clone());
            }
        }
    }
    Ok(found)
}
