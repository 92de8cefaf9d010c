//! Dynamic SQL for the model tables, whose columns are known only at run time.
//!
//! [`Sql`] assembles a statement from trusted text (identifiers come only from model
//! schemas, never from requests) and typed [`SqlValue`] binds, and renders the
//! placeholders each backend wants (`?` or `$n`). Rows come back as one JSON text column
//! built by the database (`json_object` / `json_build_object`), so one code path reads
//! any model on either backend.

use diesel::{
    pg::Pg,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    sql_types::{BigInt, Bool, Double, Nullable, Text, Untyped},
    sqlite::Sqlite,
    QueryableByName, RunQueryDsl,
};

use super::{Backend, DbConnection};
use nautobot_base::error::{Error, Result};

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
    cacheable: bool,
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

    /// Keeps the prepared statement on the connection for the next run with the same
    /// text. Only for statements whose text comes in a bounded number of shapes (not
    /// ones with a clause per filter value a client sends).
    pub fn cached(&mut self) -> &mut Sql {
        self.cacheable = true;
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

/// Bound values one statement carries at most: well under both databases' limits
/// (SQLite 32,766, PostgreSQL 65,535).
pub const MAX_BINDS: usize = 10_000;

/// How many rows of `values_per_row` bound values one multi-row statement may carry.
pub fn rows_per_statement(values_per_row: usize) -> usize {
    (MAX_BINDS / values_per_row.max(1)).max(1)
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
struct SeekRow {
    #[diesel(sql_type = Text, column_name = row)]
    body: String,
    #[diesel(sql_type = Text)]
    seek: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// A statement as diesel runs it: the text and binds of an [`Sql`], pushed in order so
/// that diesel writes each backend's placeholders. Statements marked cacheable are
/// prepared once per connection and kept (diesel's statement cache, keyed by the SQL).
struct Statement<'a> {
    sql: &'a Sql,
    postgres: bool,
}

impl QueryId for Statement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Statement<'_> {}

static NO_TEXT: Option<String> = None;
static NO_INT: Option<i64> = None;
static NO_FLOAT: Option<f64> = None;
static NO_BOOL: Option<bool> = None;

impl<DB> QueryFragment<DB> for Statement<'_>
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<BigInt>
        + diesel::sql_types::HasSqlType<Double>
        + diesel::sql_types::HasSqlType<Bool>,
    String: diesel::serialize::ToSql<Text, DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    f64: diesel::serialize::ToSql<Double, DB>,
    bool: diesel::serialize::ToSql<Bool, DB>,
    Option<String>: diesel::serialize::ToSql<Nullable<Text>, DB>,
    Option<i64>: diesel::serialize::ToSql<Nullable<BigInt>, DB>,
    Option<f64>: diesel::serialize::ToSql<Nullable<Double>, DB>,
    Option<bool>: diesel::serialize::ToSql<Nullable<Bool>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
        if !self.sql.cacheable {
            out.unsafe_to_cache_prepared();
        }
        for part in &self.sql.parts {
            match part {
                Part::Text(t) => out.push_sql(t),
                Part::Bind(value) => {
                    match value {
                        SqlValue::Null(SqlType::Int) => {
                            out.push_bind_param::<Nullable<BigInt>, _>(&NO_INT)?
                        }
                        SqlValue::Null(SqlType::Float) => {
                            out.push_bind_param::<Nullable<Double>, _>(&NO_FLOAT)?
                        }
                        SqlValue::Null(SqlType::Bool) => {
                            out.push_bind_param::<Nullable<Bool>, _>(&NO_BOOL)?
                        }
                        SqlValue::Null(_) => out.push_bind_param::<Nullable<Text>, _>(&NO_TEXT)?,
                        SqlValue::Text(s, _) => out.push_bind_param::<Text, _>(s)?,
                        SqlValue::Int(i) => out.push_bind_param::<BigInt, _>(i)?,
                        SqlValue::Float(f) => out.push_bind_param::<Double, _>(f)?,
                        SqlValue::Bool(b) => out.push_bind_param::<Bool, _>(b)?,
                    }
                    if self.postgres {
                        // PostgreSQL infers parameter types; say what they are where a
                        // text parameter stands for another type.
                        match value.sql_type() {
                            SqlType::Json => out.push_sql("::jsonb"),
                            SqlType::Timestamp => out.push_sql("::timestamptz"),
                            SqlType::Date => out.push_sql("::date"),
                            SqlType::Decimal => out.push_sql("::numeric"),
                            _ => {}
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Loads the rows of `sql` as `T` on either backend.
fn load<T>(conn: &mut DbConnection, sql: &Sql) -> Result<Vec<T>>
where
    T: QueryableByName<Sqlite> + QueryableByName<Pg> + 'static,
{
    match conn {
        DbConnection::Sqlite(c) => Statement {
            sql,
            postgres: false,
        }
        .load::<T>(c)
        .map_err(|e| db_err(&sql.render(Backend::Sqlite).0, e)),
        DbConnection::Pg(c) => Statement {
            sql,
            postgres: true,
        }
        .load::<T>(c)
        .map_err(|e| db_err(&sql.render(Backend::Postgres).0, e)),
    }
}

fn db_err(sql: &str, e: diesel::result::Error) -> Error {
    match e {
        diesel::result::Error::DatabaseError(kind, info) => {
            tracing::debug!("SQL failed: {sql}: {}", info.message());
            Error::from_database(format!("{kind:?}: {}", info.message()))
        }
        other => Error::from_database(other.to_string()),
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

/// Loads the rows of `sql` as any `QueryableByName` type.
pub fn load_rows<T>(conn: &mut DbConnection, sql: &Sql) -> Result<Vec<T>>
where
    T: QueryableByName<Sqlite> + QueryableByName<Pg> + 'static,
{
    load(conn, sql)
}

/// Runs a query whose single column `row` is a JSON object per row.
pub fn query_json(conn: &mut DbConnection, sql: &Sql) -> Result<Vec<serde_json::Value>> {
    let rows: Vec<JsonRow> = load(conn, sql)?;
    rows.into_iter()
        .map(|r| {
            serde_json::from_str(&r.row)
                .map_err(|e| Error::Database(format!("the database returned invalid JSON: {e}")))
        })
        .collect()
}

/// Runs a query whose single column `row` is text, returned as it is.
pub fn query_text(conn: &mut DbConnection, sql: &Sql) -> Result<Vec<String>> {
    let rows: Vec<JsonRow> = load(conn, sql)?;
    Ok(rows.into_iter().map(|r| r.row).collect())
}

/// Runs a query with text columns `row` and `seek` (a page's rows and their keys).
pub fn query_text_pairs(conn: &mut DbConnection, sql: &Sql) -> Result<Vec<(String, String)>> {
    let rows: Vec<SeekRow> = load(conn, sql)?;
    Ok(rows.into_iter().map(|r| (r.body, r.seek)).collect())
}

/// Runs a query with a text column `row` and an integer column `count`.
pub fn query_text_counted(conn: &mut DbConnection, sql: &Sql) -> Result<Vec<(String, i64)>> {
    let rows: Vec<CountedRow> = load(conn, sql)?;
    Ok(rows.into_iter().map(|r| (r.body, r.count)).collect())
}

/// Runs a query whose single column `count` is an integer.
pub fn query_count(conn: &mut DbConnection, sql: &Sql) -> Result<i64> {
    let rows: Vec<CountRow> = load(conn, sql)?;
    Ok(rows.first().map(|r| r.count).unwrap_or(0))
}

/// Runs a statement and returns the number of rows it changed.
pub fn execute(conn: &mut DbConnection, sql: &Sql) -> Result<usize> {
    match conn {
        DbConnection::Sqlite(c) => Statement {
            sql,
            postgres: false,
        }
        .execute(c)
        .map_err(|e| db_err(&sql.render(Backend::Sqlite).0, e)),
        DbConnection::Pg(c) => Statement {
            sql,
            postgres: true,
        }
        .execute(c)
        .map_err(|e| db_err(&sql.render(Backend::Postgres).0, e)),
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

#[cfg(test)]
mod statement_timeout_tests {
    use super::*;
    use crate::Database;
    use nautobot_config::{DatabaseTuning, DatabaseUrl};

    /// On PostgreSQL (`NAUTOBOT_TEST_POSTGRES`, default the local server), in a database
    /// of its own; skipped with a reason when none is reachable, except under `CI=true`.
    #[test]
    fn a_statement_over_the_timeout_is_cancelled_as_the_clients_error() {
        let Some(scratch) = crate::scratch::ScratchPostgres::create(
            "a_statement_over_the_timeout_is_cancelled_as_the_clients_error",
            "nautobot_timeout",
        ) else {
            return;
        };
        {
            let tuning = DatabaseTuning {
                statement_timeout: Some(std::time::Duration::from_millis(300)),
                ..DatabaseTuning::default()
            };
            let db = Database::connect_tuned(&DatabaseUrl::Postgres(scratch.url.clone()), &tuning)
                .unwrap();
            let mut conn = db.conn().unwrap();
            let started = std::time::Instant::now();
            let slow = Sql::from("SELECT 1::bigint AS count FROM pg_sleep(5)");
            match query_count(&mut conn, &slow) {
                Err(Error::BadRequest(message)) => {
                    assert!(message.contains("DATABASE_STATEMENT_TIMEOUT"), "{message}")
                }
                other => panic!("expected the statement cancelled, got {other:?}"),
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(4));
            // The connection serves the next statement.
            let quick = Sql::from("SELECT 7::bigint AS count");
            assert_eq!(query_count(&mut conn, &quick).unwrap(), 7);
            // Without the tuning (commands, workers) nothing is cancelled.
            let plain = Database::connect(&DatabaseUrl::Postgres(scratch.url.clone())).unwrap();
            let mut conn = plain.conn().unwrap();
            let short = Sql::from("SELECT 1::bigint AS count FROM pg_sleep(0.5)");
            assert_eq!(query_count(&mut conn, &short).unwrap(), 1);
        }
        drop(scratch);
    }
}

#[cfg(test)]
mod connection_error_tests {
    use crate::Database;
    use nautobot_config::DatabaseUrl;

    /// The database's own reason reaches the operator, not diesel's "Invalid connection
    /// url for multiconnection". On PostgreSQL (`NAUTOBOT_TEST_POSTGRES`); skipped with a
    /// reason when none is reachable, except under `CI=true`.
    #[test]
    fn a_failed_connection_names_the_databases_reason() {
        let Some(scratch) = crate::scratch::ScratchPostgres::create(
            "a_failed_connection_names_the_databases_reason",
            "nautobot_connerr",
        ) else {
            return;
        };
        let (server, _) = scratch.url.rsplit_once('/').unwrap();
        let missing = format!("{server}/nautobot_no_such_database");
        let err = Database::connect(&DatabaseUrl::Postgres(missing))
            .err()
            .expect("no such database");
        let text = err.to_string();
        assert!(text.contains("does not exist"), "{text}");
        assert!(!text.contains("multiconnection"), "{text}");
        drop(scratch);
    }
}
