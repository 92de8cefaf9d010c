//! Seek keys: where a page ends, so that the next one can start there.
//!
//! A `next` link keeps `limit` and `offset` as Nautobot has them and adds `cursor`, the
//! page's last row's values of the order's terms (`schema::ordering`). A request with
//! a cursor of the same order starts after that row — an index range, whatever the
//! offset — instead of skipping `offset` rows. A cursor of another order (the client
//! changed `sort`) is ignored and `offset` applies; a cursor that is not one is a 400.
//!
//! The cursor is base64url of `{"o": "<order>", "k": [values…]}`; it reveals only
//! values the page showed.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use nautobot_plugin_abi::FieldKind;
use serde_json::{json, Value};

use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_db::{
    dynamic::{ident, Sql, SqlType, SqlValue},
    Backend,
};
use nautobot_schema::ordering::Term;

/// The order's signature, so that a cursor is only used with the order it came from.
fn signature(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| format!("{}{}", if t.desc { "-" } else { "" }, t.column))
        .collect::<Vec<_>>()
        .join(",")
}

/// The expression of a row's key, a JSON array as text named `seek`; columns
/// qualified by `table`.
pub fn key_expr(table: &str, terms: &[Term], backend: Backend) -> String {
    let cols: Vec<String> = terms
        .iter()
        .map(|t| format!("{}.{}", ident(table), ident(&t.column)))
        .collect();
    match backend {
        Backend::Sqlite => format!("json_array({}) AS seek", cols.join(", ")),
        Backend::Postgres => format!("json_build_array({})::text AS seek", cols.join(", ")),
    }
}

/// The cursor of a row whose key (as [`key_expr`] gave it) is `key`.
pub fn encode(terms: &[Term], key: &str) -> String {
    let values: Value = serde_json::from_str(key).unwrap_or(Value::Null);
    let body = json!({"o": signature(terms), "k": values});
    URL_SAFE_NO_PAD.encode(body.to_string())
}

fn invalid() -> Error {
    let mut errors = ValidationErrors::new();
    errors
        .entry("cursor".into())
        .or_default()
        .push("Invalid cursor.".into());
    Error::Validation(Box::new(errors))
}

/// The key values of `cursor` if it was made for `terms`; `None` for another order; an
/// error when it is not a cursor.
pub fn decode(cursor: &str, terms: &[Term]) -> Result<Option<Vec<Value>>> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let (Some(order), Some(Value::Array(values))) =
        (body.get("o").and_then(Value::as_str), body.get("k"))
    else {
        return Err(invalid());
    };
    if order != signature(terms) {
        return Ok(None);
    }
    if values.len() != terms.len() {
        return Err(invalid());
    }
    Ok(Some(values.clone()))
}

/// A key value bound with its column's type.
fn bind(term: &Term, value: &Value) -> Result<SqlValue> {
    let text = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(invalid()),
    };
    Ok(match (&term.kind, value) {
        (_, Value::Null) => return Err(invalid()),
        (Some(FieldKind::Integer { .. } | FieldKind::PositiveInteger), v) => {
            SqlValue::Int(v.as_i64().ok_or_else(invalid)?)
        }
        (Some(FieldKind::Float), v) => SqlValue::Float(v.as_f64().ok_or_else(invalid)?),
        (Some(FieldKind::Boolean), Value::Bool(b)) => SqlValue::Bool(*b),
        (Some(FieldKind::Boolean), Value::Number(n)) => SqlValue::Bool(n.as_i64() != Some(0)),
        // Checked here: the database would refuse a malformed one with an error.
        (Some(FieldKind::DateTime), v) => {
            let t = text(v)?;
            chrono::DateTime::parse_from_rfc3339(&t).map_err(|_| invalid())?;
            SqlValue::Text(t, SqlType::Timestamp)
        }
        (Some(FieldKind::Date), v) => {
            let t = text(v)?;
            chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|_| invalid())?;
            SqlValue::Text(t, SqlType::Date)
        }
        (Some(FieldKind::Decimal { .. }), v) => {
            let t = text(v)?;
            t.parse::<f64>().map_err(|_| invalid())?;
            SqlValue::Text(t, SqlType::Decimal)
        }
        (_, v) => SqlValue::text(text(v)?),
    })
}

/// `column op value`.
fn compare(term: &Term, op: &str, value: &Value) -> Result<Sql> {
    let mut sql = Sql::from(format!("{} {op} ", ident(&term.column)));
    sql.bind(bind(term, value)?);
    Ok(sql)
}

/// Rows strictly after `value` in the term's order (NULLs first when ascending).
fn after_one(term: &Term, value: &Value) -> Result<Sql> {
    let col = ident(&term.column);
    Ok(match (term.desc, value.is_null()) {
        (false, true) => Sql::from(format!("{col} IS NOT NULL")),
        (false, false) => compare(term, ">", value)?,
        (true, true) => Sql::from("1 = 0"),
        (true, false) if term.nullable => {
            let mut sql = Sql::from("(");
            sql.append(compare(term, "<", value)?);
            sql.push(format!(" OR {col} IS NULL)"));
            sql
        }
        (true, false) => compare(term, "<", value)?,
    })
}

/// Rows equal to `value` in the term.
fn equal(term: &Term, value: &Value) -> Result<Sql> {
    if value.is_null() {
        return Ok(Sql::from(format!("{} IS NULL", ident(&term.column))));
    }
    compare(term, "=", value)
}

/// The condition "after the row whose key is `values`": an index range on the longest
/// leading run of non-null terms of one direction (a row-value comparison), and the
/// exact lexicographic condition for the rest.
pub fn after(terms: &[Term], values: &[Value]) -> Result<Sql> {
    let desc = terms.first().is_some_and(|t| t.desc);
    let run = terms
        .iter()
        .zip(values)
        .take_while(|(t, v)| t.desc == desc && !t.nullable && !v.is_null())
        .count();
    let row_value = |n: usize, op: &str| -> Result<Sql> {
        let cols: Vec<String> = terms[..n].iter().map(|t| ident(&t.column)).collect();
        let mut sql = Sql::from(format!("({}) {op} (", cols.join(", ")));
        for (i, (t, v)) in terms[..n].iter().zip(values).enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(bind(t, v)?);
        }
        sql.push(")");
        Ok(sql)
    };
    if run == terms.len() {
        return row_value(run, if desc { "<" } else { ">" });
    }
    // The exact condition: t1 after v1, or t1 = v1 and (t2 after v2, or …).
    let mut exact: Option<Sql> = None;
    for (t, v) in terms.iter().zip(values).rev() {
        let mut part = Sql::from("(");
        part.append(after_one(t, v)?);
        if let Some(rest) = exact.take() {
            part.push(" OR (");
            part.append(equal(t, v)?);
            part.push(" AND ");
            part.append(rest);
            part.push(")");
        }
        part.push(")");
        exact = Some(part);
    }
    let exact = exact.unwrap_or_else(|| Sql::from("1 = 1"));
    if run == 0 {
        return Ok(exact);
    }
    let mut sql = row_value(run, if desc { "<=" } else { ">=" })?;
    sql.push(" AND ");
    sql.append(exact);
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(column: &str, desc: bool, nullable: bool) -> Term {
        Term {
            column: column.into(),
            kind: Some(FieldKind::Char { max_length: 10 }),
            desc,
            nullable,
        }
    }

    #[test]
    fn cursors_round_trip_for_their_order_only() {
        let terms = vec![term("name", false, false), term("id", false, false)];
        let cursor = encode(&terms, r#"["Site 1","abc"]"#);
        assert_eq!(
            decode(&cursor, &terms).unwrap(),
            Some(vec![json!("Site 1"), json!("abc")])
        );
        let other = vec![term("name", true, false), term("id", true, false)];
        assert_eq!(decode(&cursor, &other).unwrap(), None);
        assert!(decode("not a cursor!", &terms).is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode("{}"), &terms).is_err());
    }

    #[test]
    fn malformed_key_values_are_invalid_cursors() {
        let mut t = term("time", false, false);
        t.kind = Some(FieldKind::DateTime);
        assert!(after(&[t.clone()], &[json!("yesterday")]).is_err());
        assert!(after(&[t], &[json!("2026-12-01T22:20:23.443654+00:00")]).is_ok());
        let mut n = term("n", false, false);
        n.kind = Some(FieldKind::Integer {
            min: None,
            max: None,
        });
        assert!(after(&[n], &[json!("seven")]).is_err());
    }

    #[test]
    fn conditions_use_a_row_value_range_where_they_can() {
        let terms = vec![term("name", false, false), term("id", false, false)];
        let (sql, binds) = after(&terms, &[json!("a"), json!("b")])
            .unwrap()
            .render(Backend::Sqlite);
        assert_eq!(sql, "(\"name\", \"id\") > (?, ?)");
        assert_eq!(binds.len(), 2);
        let nullable = vec![
            term("status", false, false),
            term("name", false, true),
            term("id", false, false),
        ];
        let (sql, _) = after(&nullable, &[json!("s"), Value::Null, json!("i")])
            .unwrap()
            .render(Backend::Sqlite);
        assert!(sql.starts_with("(\"status\") >= (?) AND "), "{sql}");
        assert!(sql.contains("\"name\" IS NOT NULL"), "{sql}");
        assert!(sql.contains("\"name\" IS NULL AND"), "{sql}");
        let desc = vec![term("name", true, true), term("id", true, false)];
        let (sql, _) = after(&desc, &[json!("n"), json!("i")])
            .unwrap()
            .render(Backend::Sqlite);
        assert!(sql.contains("\"name\" < ? OR \"name\" IS NULL"), "{sql}");
    }
}
