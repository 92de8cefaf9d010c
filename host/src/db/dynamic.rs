//! Dynamic SQL for the model tables, whose columns are known only at run time.
//!
//! [`Sql`] assembles a statement from trusted text (identifiers come only from model
//! schemas, never from requests) and typed [`SqlValue`] binds, and renders the
//! placeholders each backend wants (`?` or `$n`). Rows come back as one JSON text column
//! built by the database (`json_object` / `json_build_object`), so one code path reads
//! any model on either backend.

use diesel::{
    pg::Pg,
    query_builder::BoxedSqlQuery,
    sql_types::{BigInt, Bool, Double, Nullable, Text},
    sqlite::Sqlite,
    QueryableByName, RunQueryDsl,
};

use super::{Backend, DbConnection};
use crate::error::{Error, Result};

/// The SQL type of a bound value, which PostgreSQL needs even for NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    /// Text.
    Text,
    /// 64-bit integer.
    Int,
    /// Double-precision float.
    Float,
    /// Boolean.
    Bool,
    /// JSON (JSONB on PostgreSQL, text on SQLite).
    Json,
    /// Timestamp with time zone (text on SQLite).
    Timestamp,
    /// Date (text on SQLite).
    Date,
    /// Decimal (NUMERIC on PostgreSQL, text on SQLite).
    Decimal,
}

/// A value bound into a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// NULL of a type.
    Null(SqlType),
    /// A string (also used for timestamps, dates, decimals and JSON, with their type).
    Text(String, SqlType),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl SqlValue {
    /// A text value.
    pub fn text(s: impl Into<String>) -> SqlValue {
        SqlValue::Text(s.into(), SqlType::Text)
    }

    fn sql_type(&self) -> SqlType {
        match self {
            SqlValue::Null(t) | SqlValue::Text(_, t) => *t,
            SqlValue::Int(_) => SqlType::Int,
            SqlValue::Float(_) => SqlType::Float,
            SqlValue::Bool(_) => SqlType::Bool,
        }
    }
}

/// A statement being assembled: text with `{}`-free placeholders and their values.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Bind(SqlValue),
}

impl Sql {
    /// An empty statement.
    pub fn new() -> Sql {
        Sql::default()
    }

    /// Starts with trusted SQL text.
    pub fn from(text: impl Into<String>) -> Sql {
        let mut sql = Sql::new();
        sql.push(text);
        sql
    }

    /// Appends trusted SQL text (identifiers from schemas, keywords).
    pub fn push(&mut self, text: impl Into<String>) -> &mut Sql {
        self.parts.push(Part::Text(text.into()));
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: SqlValue) -> &mut Sql {
        self.parts.push(Part::Bind(value));
        self
    }

    /// Appends another statement fragment.
    pub fn append(&mut self, other: Sql) -> &mut Sql {
        self.parts.extend(other.parts);
        self
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The SQL text for `backend` and the values in placeholder order.
    pub fn render(&self, backend: Backend) -> (String, Vec<SqlValue>) {
        let mut text = String::new();
        let mut binds = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => text.push_str(t),
                Part::Bind(v) => {
                    binds.push(v.clone());
                    match backend {
                        Backend::Sqlite => text.push('?'),
                        Backend::Postgres => {
                            text.push_str(&format!("${}", binds.len()));
                            // PostgreSQL infers parameter types; say what they are where a
                            // text parameter stands for another type.
                            match v.sql_type() {
                                SqlType::Json => text.push_str("::jsonb"),
                                SqlType::Timestamp => text.push_str("::timestamptz"),
                                SqlType::Date => text.push_str("::date"),
                                SqlType::Decimal => text.push_str("::numeric"),
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        (text, binds)
    }
}

/// Quotes an identifier (table or column name), which schemas restrict to
/// `[a-z0-9_]`; the quotes keep reserved words (`type`, `key`) usable.
pub fn ident(name: &str) -> String {
    format!("\"{name}\"")
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    row: String,
}

#[derive(QueryableByName)]
struct CountedRow {
    // Not named `row`: the derive's own variable has that name.
    #[diesel(sql_type = Text, column_name = row)]
    body: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

macro_rules! bind_all {
    ($query:expr, $binds:expr, $db:ty) => {{
        let mut q: BoxedSqlQuery<'static, $db, diesel::query_builder::SqlQuery> = $query;
        for value in $binds {
            q = match value {
                SqlValue::Null(t) => match t {
                    SqlType::Int => q.bind::<Nullable<BigInt>, _>(None::<i64>),
                    SqlType::Float => q.bind::<Nullable<Double>, _>(None::<f64>),
                    SqlType::Bool => q.bind::<Nullable<Bool>, _>(None::<bool>),
                    _ => q.bind::<Nullable<Text>, _>(None::<String>),
                },
                SqlValue::Text(s, _) => q.bind::<Text, _>(s),
                SqlValue::Int(i) => q.bind::<BigInt, _>(i),
                SqlValue::Float(f) => q.bind::<Double, _>(f),
                SqlValue::Bool(b) => q.bind::<Bool, _>(b),
            };
        }
        q
    }};
}

fn db_err(sql: &str, e: diesel::result::Error) -> Error {
    match e {
        diesel::result::Error::DatabaseError(kind, info) => {
            tracing::debug!("SQL failed: {sql}: {}", info.message());
            Error::Database(format!("{kind:?}: {}", info.message()))
        }
        other => Error::Database(other.to_string()),
    }
}

/// The database error a statement failed with, with its kind (unique violation …).
pub fn is_unique_violation(err: &Error) -> bool {
    matches!(err, Error::Database(m) if m.starts_with("UniqueViolation"))
}

/// Whether the error is a foreign key violation.
pub fn is_foreign_key_violation(err: &Error) -> bool {
    matches!(err, Error::Database(m) if m.starts_with("ForeignKeyViolation"))
}

/// Runs a query whose single column `row` is a JSON object per row.
pub fn query_json(conn: &mut DbConnection, sql: &Sql) -> Result<Vec<serde_json::Value>> {
    let rows: Vec<JsonRow> = match conn {
        DbConnection::Sqlite(c) => {
            let (text, binds) = sql.render(Backend::Sqlite);
            let q = bind_all!(
                diesel::sql_query(text.clone()).into_boxed::<Sqlite>(),
                binds,
                Sqlite
            );
            q.load(c).map_err(|e| db_err(&text, e))?
        }
        DbConnection::Pg(c) => {
            let (text, binds) = sql.render(Backend::Postgres);
            let q = bind_all!(
                diesel::sql_query(text.clone()).into_boxed::<Pg>(),
                binds,
                Pg
            );
            q.load(c).map_err(|e| db_err(&text, e))?
        }
    };
    rows.into_iter()
        .map(|r| {
            serde_json::from_str(&r.row)
                .map_err(|e| Error::Database(format!("the database returned invalid JSON: {e}")))
        })
        .collect()
}

/// Runs a query whose single column `row` is text, returned as it is.
pub fn query_text(conn: &mut DbConnection, sql: &Sql) -> Result<Vec<String>> {
    let rows: Vec<JsonRow> = match conn {
        DbConnection::Sqlite(c) => {
            let (text, binds) = sql.render(Backend::Sqlite);
            let q = bind_all!(
                diesel::sql_query(text.clone()).into_boxed::<Sqlite>(),
                binds,
                Sqlite
            );
            q.load(c).map_err(|e| db_err(&text, e))?
        }
        DbConnection::Pg(c) => {
            let (text, binds) = sql.render(Backend::Postgres);
            let q = bind_all!(
                diesel::sql_query(text.clone()).into_boxed::<Pg>(),
                binds,
                Pg
            );
            q.load(c).map_err(|e| db_err(&text, e))?
        }
    };
    Ok(rows.into_iter().map(|r| r.row).collect())
}

/// Runs a query with a text column `row` and an integer column `count`.
pub fn query_text_counted(conn: &mut DbConnection, sql: &Sql) -> Result<Vec<(String, i64)>> {
    let rows: Vec<CountedRow> = match conn {
        DbConnection::Sqlite(c) => {
            let (text, binds) = sql.render(Backend::Sqlite);
            let q = bind_all!(
                diesel::sql_query(text.clone()).into_boxed::<Sqlite>(),
                binds,
                Sqlite
            );
            q.load(c).map_err(|e| db_err(&text, e))?
        }
        DbConnection::Pg(c) => {
            let (text, binds) = sql.render(Backend::Postgres);
            let q = bind_all!(
                diesel::sql_query(text.clone()).into_boxed::<Pg>(),
                binds,
                Pg
            );
            q.load(c).map_err(|e| db_err(&text, e))?
        }
    };
    Ok(rows.into_iter().map(|r| (r.body, r.count)).collect())
}

/// Runs a query whose single column `count` is an integer.
pub fn query_count(conn: &mut DbConnection, sql: &Sql) -> Result<i64> {
    let rows: Vec<CountRow> = match conn {
        DbConnection::Sqlite(c) => {
            let (text, binds) = sql.render(Backend::Sqlite);
            let q = bind_all!(
                diesel::sql_query(text.clone()).into_boxed::<Sqlite>(),
                binds,
                Sqlite
            );
            q.load(c).map_err(|e| db_err(&text, e))?
        }
        DbConnection::Pg(c) => {
            let (text, binds) = sql.render(Backend::Postgres);
            let q = bind_all!(
                diesel::sql_query(text.clone()).into_boxed::<Pg>(),
                binds,
                Pg
            );
            q.load(c).map_err(|e| db_err(&text, e))?
        }
    };
    Ok(rows.first().map(|r| r.count).unwrap_or(0))
}

/// Runs a statement and returns the number of rows it changed.
pub fn execute(conn: &mut DbConnection, sql: &Sql) -> Result<usize> {
    match conn {
        DbConnection::Sqlite(c) => {
            let (text, binds) = sql.render(Backend::Sqlite);
            let q = bind_all!(
                diesel::sql_query(text.clone()).into_boxed::<Sqlite>(),
                binds,
                Sqlite
            );
            q.execute(c).map_err(|e| db_err(&text, e))
        }
        DbConnection::Pg(c) => {
            let (text, binds) = sql.render(Backend::Postgres);
            let q = bind_all!(
                diesel::sql_query(text.clone()).into_boxed::<Pg>(),
                binds,
                Pg
            );
            q.execute(c).map_err(|e| db_err(&text, e))
        }
    }
}

/// The backend of a connection.
pub fn backend_of(conn: &DbConnection) -> Backend {
    match conn {
        DbConnection::Sqlite(_) => Backend::Sqlite,
        DbConnection::Pg(_) => Backend::Postgres,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        let mut sql = Sql::from("SELECT 1 WHERE a = ");
        sql.bind(SqlValue::text("x"))
            .push(" AND b = ")
            .bind(SqlValue::Text("{}".into(), SqlType::Json))
            .push(" AND c = ")
            .bind(SqlValue::Int(3));
        let (sqlite, binds) = sql.render(Backend::Sqlite);
        assert_eq!(sqlite, "SELECT 1 WHERE a = ? AND b = ? AND c = ?");
        assert_eq!(binds.len(), 3);
        let (pg, _) = sql.render(Backend::Postgres);
        assert_eq!(pg, "SELECT 1 WHERE a = $1 AND b = $2::jsonb AND c = $3");
    }
}
