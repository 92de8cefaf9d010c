//! How field values are stored: each kind's SQL type, binding a cleaned value, what a
//! NOT NULL column gets when a row gives nothing, and the timestamp format. The model
//! layer (`nautobot_objects::values`) cleans what clients send on top of this.

use chrono::{SecondsFormat, Utc};
use nautobot_plugin_abi::{FieldKind, FieldSchema};
use serde_json::Value;

use nautobot_db::{
    dynamic::{SqlType, SqlValue},
    Backend,
};

/// Whether values of this kind are strings that may be empty instead of null.
pub fn is_string_kind(kind: &FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Char { .. }
            | FieldKind::Text
            | FieldKind::Slug { .. }
            | FieldKind::Choice { .. }
    )
}

/// The SQL type of a field's values.
pub fn sql_type(field: &FieldSchema) -> SqlType {
    match field.kind {
        FieldKind::Integer { .. } | FieldKind::PositiveInteger => SqlType::Int,
        FieldKind::Float => SqlType::Float,
        FieldKind::Boolean => SqlType::Bool,
        FieldKind::Json => SqlType::Json,
        FieldKind::DateTime => SqlType::Timestamp,
        FieldKind::Date => SqlType::Date,
        FieldKind::Decimal { .. } => SqlType::Decimal,
        _ => SqlType::Text,
    }
}

/// The current time as stored (`2026-01-02T03:04:05.123456Z`).
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// What a NOT NULL column gets when a data row gives nothing: `""` for strings.
pub fn empty_value(field: &FieldSchema) -> Option<SqlValue> {
    is_string_kind(&field.kind).then(|| SqlValue::text(""))
}

/// Binds a cleaned value.
pub fn to_sql(field: &FieldSchema, value: &Value, _backend: Backend) -> Result<SqlValue, String> {
    let ty = sql_type(field);
    if value.is_null() {
        return Ok(SqlValue::Null(ty));
    }
    Ok(match (&field.kind, value) {
        (FieldKind::Integer { .. } | FieldKind::PositiveInteger, Value::Number(n)) => {
            SqlValue::Int(n.as_i64().ok_or("A valid integer is required.")?)
        }
        (FieldKind::Float, Value::Number(n)) => {
            SqlValue::Float(n.as_f64().ok_or("A valid number is required.")?)
        }
        (FieldKind::Boolean, Value::Bool(b)) => SqlValue::Bool(*b),
        (FieldKind::Json, v) => SqlValue::Text(v.to_string(), SqlType::Json),
        (_, Value::String(s)) => SqlValue::Text(s.clone(), ty),
        (_, other) => SqlValue::Text(other.to_string(), ty),
    })
}
