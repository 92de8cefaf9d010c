//! Custom fields (Nautobot's `extras.CustomField`): fields users define on any core or
//! plugin model without a migration.
//!
//! Definitions are rows of `extras.customfield` (with the choices of selection fields in
//! `extras.customfieldchoice`); each object's values are one JSON document in
//! `extras_customfielddata`, keyed by content type and object id — Nautobot's
//! `_custom_field_data`, kept beside the model's table so that plugin tables need no
//! column of their own. Every document holds every field defined for its model (a value
//! or `null`): a new definition is provisioned into the existing documents, a deleted one
//! removed from them. Each field gets an index on its value, so `cf_<key>=<value>` is an
//! index lookup whatever the table's size.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlType, SqlValue},
    Backend, DbConnection,
};
use nautobot_schema::{Model, Registry, Row};

/// The definitions' model.
pub const DEFINITION: &str = "extras.customfield";
/// The selection choices' model.
pub const CHOICE: &str = "extras.customfieldchoice";
/// The values' table.
pub const DATA_TABLE: &str = "extras_customfielddata";

/// One custom field as the write path and the filters need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The definition's id.
    pub id: String,
    /// The key under `custom_fields` (and `cf_<key>`).
    pub key: String,
    /// The label.
    pub label: String,
    /// One of [`nautobot_schema::core::CUSTOM_FIELD_TYPES`].
    pub kind: String,
    /// A value must be given.
    pub required: bool,
    /// What a new object gets when none is given.
    pub default: Value,
    /// Smallest number, or shortest text.
    pub minimum: Option<i64>,
    /// Largest number, or longest text.
    pub maximum: Option<i64>,
    /// A regular expression text values must match.
    pub regex: String,
    /// `disabled`, `loose` or `exact`.
    pub filter_logic: String,
    /// The values a selection allows, in order.
    pub choices: Vec<String>,
    /// The group the field is shown in on detail pages.
    pub grouping: String,
}

/// Whether objects of `model` carry custom fields: every model users edit (core and
/// plugins), not the internal, read-only or `users` ones.
pub fn applies_to(model: &Model) -> bool {
    let label = model.label();
    !model.read_only
        && !nautobot_schema::core::is_hidden(&label)
        && model.schema.app_label != "users"
        && label != DEFINITION
        && label != CHOICE
}

fn text(row: &Map<String, Value>, field: &str) -> String {
    match row.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

impl Definition {
    fn from_row(row: &Map<String, Value>, choices: Vec<String>) -> Definition {
        Definition {
            id: text(row, "id"),
            key: text(row, "key"),
            label: text(row, "label"),
            kind: text(row, "type"),
            required: row
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            default: row.get("default").cloned().unwrap_or(Value::Null),
            minimum: row.get("validation_minimum").and_then(Value::as_i64),
            maximum: row.get("validation_maximum").and_then(Value::as_i64),
            regex: text(row, "validation_regex"),
            filter_logic: text(row, "filter_logic"),
            choices,
            grouping: text(row, "grouping"),
        }
    }
}

/// The custom fields defined for `model`, by weight and label, with their choices:
/// two indexed queries.
pub fn definitions(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
) -> Result<Vec<Definition>> {
    if !applies_to(model) {
        return Ok(Vec::new());
    }
    let (Some(defs), Some(choice_model)) = (registry.get(DEFINITION), registry.get(CHOICE)) else {
        return Ok(Vec::new());
    };
    let query = super::query::ListQuery {
        limit: super::query::MAX_LIMIT,
        ..Default::default()
    }
    .filter("content_types", &model.label());
    let (rows, _) = super::query::page_rows(conn, registry, defs, &query)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut choices: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if rows
        .iter()
        .any(|r| matches!(text(r, "type").as_str(), "select" | "multi-select"))
    {
        let mut query = super::query::ListQuery {
            limit: super::query::MAX_LIMIT,
            ..Default::default()
        };
        let ids: Vec<String> = rows.iter().map(|r| text(r, "id")).collect();
        query
            .filters
            .push(("custom_field".into(), "exact".into(), ids));
        let (found, _) = super::query::page_rows(conn, registry, choice_model, &query)?;
        for c in found {
            choices
                .entry(text(&c, "custom_field"))
                .or_default()
                .push(text(&c, "value"));
        }
    }
    Ok(rows
        .iter()
        .map(|r| Definition::from_row(r, choices.remove(&text(r, "id")).unwrap_or_default()))
        .collect())
}

/// `value` checked against `def`: the cleaned value, or the message for the client.
pub fn clean_value(def: &Definition, value: &Value) -> std::result::Result<Value, String> {
    if value.is_null() || value == "" {
        return if def.required {
            Err("Required field cannot be empty.".into())
        } else {
            Ok(Value::Null)
        };
    }
    let limits = |n: i64, what: &str| -> std::result::Result<(), String> {
        if let Some(min) = def.minimum.filter(|m| n < *m) {
            return Err(format!("{what} must be at least {min}."));
        }
        if let Some(max) = def.maximum.filter(|m| n > *m) {
            return Err(format!("{what} must not exceed {max}."));
        }
        Ok(())
    };
    match def.kind.as_str() {
        "text" | "url" | "markdown" => {
            let Value::String(s) = value else {
                return Err("Value must be a string.".into());
            };
            if super::values::has_null_character(value) {
                return Err(nautobot_base::error::NULL_CHARACTERS.into());
            }
            limits(s.chars().count() as i64, "Length")?;
            if !def.regex.is_empty() {
                let re = regex::Regex::new(&def.regex).map_err(|_| {
                    format!("The field's validation regex is invalid: {}", def.regex)
                })?;
                if !re.is_match(s) {
                    return Err(format!("Value must match regex '{}'.", def.regex));
                }
            }
            if def.kind == "url" && !s.contains("://") {
                return Err("Enter a valid URL.".into());
            }
            Ok(value.clone())
        }
        "integer" => {
            let n = match value {
                Value::Number(n) if n.is_i64() => n.as_i64().unwrap_or_default(),
                Value::String(s) => s
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| "Value must be an integer.".to_string())?,
                _ => return Err("Value must be an integer.".into()),
            };
            limits(n, "Value")?;
            Ok(Value::from(n))
        }
        "boolean" => match value {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) => super::values::parse_bool(s)
                .map(Value::Bool)
                .ok_or_else(|| "Value must be true or false.".to_string()),
            Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                Ok(Value::Bool(n.as_i64() == Some(1)))
            }
            _ => Err("Value must be true or false.".into()),
        },
        "date" => {
            let s = value.as_str().unwrap_or_default();
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| Value::String(d.to_string()))
                .map_err(|_| "Date values must be in the format YYYY-MM-DD.".to_string())
        }
        "select" => {
            let s = value.as_str().unwrap_or_default();
            if def.choices.iter().any(|c| c == s) {
                Ok(value.clone())
            } else {
                Err(format!(
                    "Invalid choice ({value}). Available choices are: {}",
                    def.choices.join(", ")
                ))
            }
        }
        "multi-select" => {
            let items: Vec<Value> = match value {
                Value::Array(items) => items.clone(),
                Value::String(s) => s
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
                _ => return Err("Value must be a list.".into()),
            };
            for item in &items {
                if !item
                    .as_str()
                    .is_some_and(|s| def.choices.iter().any(|c| c == s))
                {
                    return Err(format!(
                        "Invalid choice ({item}). Available choices are: {}",
                        def.choices.join(", ")
                    ));
                }
            }
            if items.is_empty() && def.required {
                return Err("Required field cannot be empty.".into());
            }
            Ok(Value::Array(items))
        }
        _ => Ok(value.clone()),
    }
}

/// The document an object gets from `given` (the request's `custom_fields`, if any):
/// the stored values (`original`) or the defaults (a new object) for keys not given,
/// every defined key present, unknown keys and invalid values refused under
/// `custom_fields`.
pub fn clean(
    defs: &[Definition],
    given: Option<&Value>,
    original: Option<&Map<String, Value>>,
) -> std::result::Result<Map<String, Value>, ValidationErrors> {
    let mut errors: Vec<String> = Vec::new();
    let given = match given {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(o),
        Some(other) => {
            return Err(ValidationErrors::from([(
                "custom_fields".to_string(),
                vec![format!(
                    "Expected a dictionary of items but got type \"{}\".",
                    match other {
                        Value::Array(_) => "list",
                        Value::String(_) => "str",
                        Value::Bool(_) => "bool",
                        _ => "int",
                    }
                )],
            )]))
        }
    };
    let known: HashSet<&str> = defs.iter().map(|d| d.key.as_str()).collect();
    if let Some(given) = given {
        for key in given.keys() {
            if !known.contains(key.as_str()) {
                errors.push(format!("Unknown field name '{key}' in custom field data."));
            }
        }
    }
    let mut out = Map::new();
    for def in defs {
        let value = match (given.and_then(|g| g.get(&def.key)), original) {
            (Some(v), _) => v.clone(),
            (None, Some(stored)) => stored.get(&def.key).cloned().unwrap_or(Value::Null),
            (None, None) => def.default.clone(),
        };
        match clean_value(def, &value) {
            Ok(v) => {
                out.insert(def.key.clone(), v);
            }
            Err(message) => errors.push(format!("{}: {message}", def.key)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ValidationErrors::from([(
            "custom_fields".to_string(),
            errors,
        )]))
    }
}

/// Stores `data` as the custom field document of object `id` of `model`.
pub fn store(
    conn: &mut DbConnection,
    model: &Model,
    id: &str,
    data: &Map<String, Value>,
) -> Result<()> {
    let json = Value::Object(data.clone()).to_string();
    let now = super::values::now();
    let mut sql = Sql::from(format!(
        "INSERT INTO {DATA_TABLE} (\"id\", \"content_type\", \"object_id\", \"data\", \"created\", \"last_updated\") VALUES ("
    ));
    // The document's id is its object's (object ids are unique UUIDs).
    sql.bind(SqlValue::text(id))
        .push(", ")
        .bind(SqlValue::text(model.label()))
        .push(", ")
        .bind(SqlValue::text(id))
        .push(", ")
        .bind(SqlValue::Text(json, SqlType::Json))
        .push(", ")
        .bind(SqlValue::Text(now.clone(), SqlType::Timestamp))
        .push(", ")
        .bind(SqlValue::Text(now, SqlType::Timestamp))
        .push(
            ") ON CONFLICT (\"content_type\", \"object_id\") DO UPDATE SET \"data\" = excluded.\"data\", \"last_updated\" = excluded.\"last_updated\"",
        );
    sql.cached();
    dynamic::execute(conn, &sql)?;
    Ok(())
}

/// Removes the document of object `id` of `model` (the object is deleted).
pub fn remove(conn: &mut DbConnection, model: &Model, id: &str) -> Result<()> {
    let mut sql = Sql::from(format!(
        "DELETE FROM {DATA_TABLE} WHERE \"content_type\" = "
    ));
    sql.bind(SqlValue::text(model.label()))
        .push(" AND \"object_id\" = ")
        .bind(SqlValue::text(id));
    dynamic::execute(conn, &sql)?;
    Ok(())
}

/// The expression of `key`'s value in a document, as the filters and the field's index
/// use it (`key` is a checked identifier).
pub fn value_expr(key: &str, backend: Backend) -> String {
    match backend {
        Backend::Sqlite => format!("json_extract(\"data\", '$.{key}')"),
        Backend::Postgres => format!("(\"data\" ->> '{key}')"),
    }
}

fn index_name(key: &str) -> String {
    format!("extras_customfielddata_cf_{key}")
}

/// Whether `key` is a valid custom field key: lower-case letters, digits and `_`,
/// starting with a letter (so it is safe in the index DDL and JSON paths).
pub fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key.len() <= 50
}

/// `label` as a key: lower case, runs of other characters as `_` (`"Circuit ID"` →
/// `circuit_id`).
pub fn key_from_label(label: &str) -> String {
    let mut key = String::new();
    for c in label.trim().chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_').to_string();
    let key = if key.starts_with(|c: char| c.is_ascii_digit()) {
        format!("cf_{key}")
    } else {
        key
    };
    key.chars().take(50).collect()
}

/// The `key` of a definition (a custom or computed field, `what`) being written: made
/// from its `label` when empty (kept from the stored one on update), a valid key, never
/// changed once the definition exists. The problems, as messages for `key`.
pub fn settle_key(row: &mut Row, original: Option<&Row>, what: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut key = text(row, "key");
    if key.is_empty() {
        key = match original {
            Some(o) => text(o, "key"),
            None => key_from_label(&text(row, "label")),
        };
        row.insert("key".into(), Value::String(key.clone()));
    }
    if original.is_some_and(|o| text(o, "key") != key) {
        problems.push(format!("The key of a {what} cannot be changed."));
    }
    if !is_key(&key) {
        problems.push(
            "Enter a key of lower-case letters, digits and underscores, starting with a letter."
                .into(),
        );
    }
    problems
}

/// Checks and completes a definition before it is written: the key made from the label
/// when empty and never changed afterwards; the regex valid; minimum not above maximum;
/// the content types known models that carry custom fields; the default a valid value.
pub fn prepare_definition(
    registry: &Registry,
    row: &mut Row,
    original: Option<&Row>,
) -> Result<()> {
    let mut errors = ValidationErrors::new();
    let key_problems = settle_key(row, original, "custom field");
    if !key_problems.is_empty() {
        errors.insert("key".into(), key_problems);
    }
    let mut error =
        |field: &str, message: String| errors.entry(field.to_string()).or_default().push(message);
    let regex = text(row, "validation_regex");
    if !regex.is_empty() && regex::Regex::new(&regex).is_err() {
        error(
            "validation_regex",
            format!("Invalid regular expression: {regex}"),
        );
    }
    let (min, max) = (
        row.get("validation_minimum").and_then(Value::as_i64),
        row.get("validation_maximum").and_then(Value::as_i64),
    );
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            error(
                "validation_maximum",
                "The maximum must not be below the minimum.".into(),
            );
        }
    }
    match row.get("content_types") {
        Some(Value::Array(items)) => {
            for item in items {
                let label = item.as_str().unwrap_or_default();
                if !registry.get(label).is_some_and(|m| applies_to(m)) {
                    error(
                        "content_types",
                        format!("Custom fields cannot be added to '{label}'."),
                    );
                }
            }
        }
        _ => error("content_types", "Expected a list of model labels.".into()),
    }
    let kind = text(row, "type");
    let default = row.get("default").cloned().unwrap_or(Value::Null);
    if !default.is_null() && !matches!(kind.as_str(), "select" | "multi-select") {
        let def = Definition::from_row(row, Vec::new());
        if let Err(message) = clean_value(
            &Definition {
                required: false,
                ..def
            },
            &default,
        ) {
            error("default", format!("Invalid default value: {message}"));
        }
    }
    nautobot_base::error::validated(errors)
}

/// After a definition is written (`before`: as it was, on update): its key is added to
/// (with the default, or `null`) every document of the models it now applies to, and
/// removed from those of the models it no longer does; objects without a document get
/// one; the value index exists. One statement per model.
pub fn definition_saved(
    conn: &mut DbConnection,
    registry: &Registry,
    before: Option<&Row>,
    after: &Row,
) -> Result<()> {
    let backend = dynamic::backend_of(conn);
    let key = text(after, "key");
    if !is_key(&key) {
        return Err(Error::field("key", "Invalid key."));
    }
    let labels = |row: Option<&Row>| -> HashSet<String> {
        row.and_then(|r| r.get("content_types"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (was, now) = (labels(before), labels(Some(after)));
    let default = after.get("default").cloned().unwrap_or(Value::Null);
    for label in now.difference(&was) {
        let Some(model) = registry.get(label) else {
            continue;
        };
        add_key(conn, model, &key, &default, backend)?;
    }
    for label in was.difference(&now) {
        remove_key(conn, label, &key, backend)?;
    }
    dynamic::execute(
        conn,
        &Sql::from(format!(
            "CREATE INDEX IF NOT EXISTS {} ON {DATA_TABLE} (\"content_type\", {})",
            ident(&index_name(&key)),
            value_expr(&key, backend)
        )),
    )?;
    Ok(())
}

/// After a definition is deleted: its key leaves every document, and its index goes.
pub fn definition_deleted(conn: &mut DbConnection, row: &Row) -> Result<()> {
    let backend = dynamic::backend_of(conn);
    let key = text(row, "key");
    if !is_key(&key) {
        return Ok(());
    }
    let labels: Vec<String> = row
        .get("content_types")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for label in &labels {
        remove_key(conn, label, &key, backend)?;
    }
    dynamic::execute(
        conn,
        &Sql::from(format!("DROP INDEX IF EXISTS {}", ident(&index_name(&key)))),
    )?;
    Ok(())
}

fn add_key(
    conn: &mut DbConnection,
    model: &Model,
    key: &str,
    default: &Value,
    backend: Backend,
) -> Result<()> {
    let label = model.label();
    // Documents that exist get the key (unless they have it).
    let mut sql = match backend {
        Backend::Sqlite => Sql::from(format!(
            "UPDATE {DATA_TABLE} SET \"data\" = json_set(\"data\", '$.{key}', json("
        )),
        Backend::Postgres => Sql::from(format!(
            "UPDATE {DATA_TABLE} SET \"data\" = jsonb_set(\"data\", '{{{key}}}', "
        )),
    };
    sql.bind(SqlValue::Text(default.to_string(), SqlType::Text));
    sql.push(match backend {
        Backend::Sqlite => "))",
        Backend::Postgres => "::jsonb)",
    });
    sql.push(" WHERE \"content_type\" = ")
        .bind(SqlValue::text(&label));
    dynamic::execute(conn, &sql)?;
    // Objects without a document get one holding every field defined for the model.
    let table = ident(&model.table());
    let now = super::values::now();
    let mut doc = Map::new();
    doc.insert(key.to_string(), default.clone());
    let mut sql = Sql::from(format!(
        "INSERT INTO {DATA_TABLE} (\"id\", \"content_type\", \"object_id\", \"data\", \"created\", \"last_updated\") SELECT "
    ));
    sql.push(format!("{table}.\"id\", "))
        .bind(SqlValue::text(&label))
        .push(format!(", {table}.\"id\", "))
        .bind(SqlValue::Text(Value::Object(doc).to_string(), SqlType::Json))
        .push(", ")
        .bind(SqlValue::Text(now.clone(), SqlType::Timestamp))
        .push(", ")
        .bind(SqlValue::Text(now, SqlType::Timestamp))
        .push(format!(
            " FROM {table} WHERE NOT EXISTS (SELECT 1 FROM {DATA_TABLE} d WHERE d.\"content_type\" = "
        ))
        .bind(SqlValue::text(&label))
        .push(format!(" AND d.\"object_id\" = {table}.\"id\")"));
    dynamic::execute(conn, &sql)?;
    Ok(())
}

fn remove_key(conn: &mut DbConnection, label: &str, key: &str, backend: Backend) -> Result<()> {
    let mut sql = Sql::from(match backend {
        Backend::Sqlite => {
            format!("UPDATE {DATA_TABLE} SET \"data\" = json_remove(\"data\", '$.{key}')")
        }
        Backend::Postgres => format!("UPDATE {DATA_TABLE} SET \"data\" = \"data\" - '{key}'"),
    });
    sql.push(" WHERE \"content_type\" = ")
        .bind(SqlValue::text(label));
    dynamic::execute(conn, &sql)?;
    Ok(())
}

/// The condition of one `cf_<key>` filter: objects whose value matches any of `values`
/// (`exact`), none of them (`n`), contains one (`ic`), or has none / some (`isnull`).
/// Exact values compare as text, integer and boolean at once, so one index lookup
/// serves every type.
pub fn condition(
    model: &Model,
    key: &str,
    lookup: &str,
    values: &[String],
    backend: Backend,
) -> std::result::Result<Sql, String> {
    if !is_key(key) {
        return Err("Unknown filter field".into());
    }
    let expr = value_expr(key, backend);
    let mut sub = Sql::from(format!(
        "SELECT \"object_id\" FROM {DATA_TABLE} WHERE \"content_type\" = "
    ));
    sub.bind(SqlValue::text(model.label())).push(" AND ");
    let negate = match lookup {
        "exact" | "n" => {
            sub.push(format!("{expr} IN ("));
            let mut first = true;
            for v in values {
                let mut candidates: Vec<SqlValue> = vec![SqlValue::text(v.as_str())];
                if let Ok(n) = v.trim().parse::<i64>() {
                    if backend == Backend::Sqlite {
                        candidates.push(SqlValue::Int(n));
                    }
                }
                if let Some(b) = super::values::parse_bool(v) {
                    candidates.push(match backend {
                        Backend::Sqlite => SqlValue::Int(i64::from(b)),
                        Backend::Postgres => SqlValue::text(b.to_string()),
                    });
                }
                for c in candidates {
                    if !first {
                        sub.push(", ");
                    }
                    first = false;
                    sub.bind(c);
                }
            }
            sub.push(")");
            lookup == "n"
        }
        "ic" | "nic" => {
            sub.push("(");
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    sub.push(" OR ");
                }
                let escaped = v
                    .to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                sub.push(format!("LOWER(CAST({expr} AS TEXT)) LIKE "))
                    .bind(SqlValue::text(format!("%{escaped}%")))
                    .push(" ESCAPE '\\'");
            }
            sub.push(")");
            lookup == "nic"
        }
        "isnull" => {
            let yes = values
                .first()
                .and_then(|v| super::values::parse_bool(v))
                .ok_or("Enter a valid boolean.")?;
            sub.push(format!("{expr} IS NOT NULL"));
            yes
        }
        other => {
            return Err(format!(
                "Lookup '{other}' is not supported on custom fields"
            ))
        }
    };
    let mut out = Sql::from(format!(
        "{} {}IN (",
        ident("id"),
        if negate { "NOT " } else { "" }
    ));
    out.append(sub);
    out.push(")");
    Ok(out)
}

/// Refuses `cf_<key>` filters of `filters` whose key no custom field of `model` defines,
/// or whose field's `filter_logic` is `disabled` (400 "Unknown filter field", as any
/// unknown filter): asked only when there are such filters.
pub fn check_filters(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    filters: &[(String, String, Vec<String>)],
) -> Result<()> {
    let named: Vec<(&str, &str)> = filters
        .iter()
        .filter(|(name, _, _)| model.field(name).is_none())
        .filter_map(|(name, lookup, _)| name.strip_prefix("cf_").map(|k| (k, lookup.as_str())))
        .collect();
    if named.is_empty() || registry.get(DEFINITION).is_none() {
        return Ok(());
    }
    // One statement on the keys' unique index (this runs on every filtered list).
    let label = model.label();
    let mut sql = Sql::from(
        "SELECT json_object('key', \"key\", 'filter_logic', \"filter_logic\", 'content_types', \"content_types\") AS row FROM extras_customfield WHERE \"key\" IN (",
    );
    if dynamic::backend_of(conn) == Backend::Postgres {
        sql = Sql::from(
            "SELECT json_build_object('key', \"key\", 'filter_logic', \"filter_logic\", 'content_types', \"content_types\")::text AS row FROM extras_customfield WHERE \"key\" IN (",
        );
    }
    for (i, (key, _)) in named.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(SqlValue::text(*key));
    }
    sql.push(")");
    let found = dynamic::query_json(conn, &sql)?;
    let usable_keys: HashSet<String> = found
        .iter()
        .filter(|d| d["filter_logic"] != "disabled")
        .filter(|d| {
            // SQLite keeps the list as JSON text.
            let types = match &d["content_types"] {
                Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
                other => other.clone(),
            };
            types
                .as_array()
                .is_some_and(|a| a.iter().any(|t| t.as_str() == Some(label.as_str())))
        })
        .filter_map(|d| d["key"].as_str().map(str::to_string))
        .collect();
    let mut errors = ValidationErrors::new();
    for (key, lookup) in named {
        let usable = usable_keys.contains(key);
        if !usable {
            let name = if lookup == "exact" {
                format!("cf_{key}")
            } else {
                format!("cf_{key}__{lookup}")
            };
            errors
                .entry(name)
                .or_default()
                .push("Unknown filter field".into());
        }
    }
    nautobot_base::error::validated(errors)
}
