//! Row counts of the model tables, kept by the database itself so that an unfiltered
//! list's `count` costs one lookup, not a scan of the table.
//!
//! Triggers on each model table (created by `migrate`, see [`ensure`]) keep
//! `nautobot_rowcount` (host migration `0004_rowcount`) up to date in the same
//! transaction as the write, whichever path wrote (the model layer, a cascade, a data
//! migration), so a rolled-back write leaves the count as it was.
//!
//! * SQLite (one writer at a time): one row per table, updated by row triggers.
//! * PostgreSQL: statement triggers only ever insert deltas, so that concurrent writers
//!   of one table never wait for each other; [`count`] sums them and, once there are
//!   many, folds them into one row in a statement of its own.

use super::{
    dynamic::{self, ident, Sql, SqlValue},
    Backend, DbConnection,
};
use nautobot_base::error::Result;

/// Deltas a table may gather before a read folds them.
const FOLD_AFTER: i64 = 64;

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Whether `table` has its counting triggers.
fn has_triggers(conn: &mut DbConnection, table: &str) -> Result<bool> {
    let sql = match dynamic::backend_of(conn) {
        Backend::Sqlite => {
            let mut sql = Sql::from(
                "SELECT COUNT(*) AS count FROM main.sqlite_master WHERE type = 'trigger' AND name = ",
            );
            sql.bind(SqlValue::text(format!("{table}_rowcount_ins")));
            sql
        }
        Backend::Postgres => {
            let mut sql = Sql::from(
                "SELECT COUNT(*) AS count FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND t.tgname = 'nautobot_rowcount_ins' AND c.relname = ",
            );
            sql.bind(SqlValue::text(table));
            sql
        }
    };
    Ok(dynamic::query_count(conn, &sql)? > 0)
}

/// Gives `table` its counting triggers and its current count, unless it has them.
pub fn ensure(conn: &mut DbConnection, table: &str) -> Result<()> {
    if has_triggers(conn, table)? {
        return Ok(());
    }
    let t = ident(table);
    crate::write_transaction(conn, |conn| -> Result<()> {
        let statements: Vec<String> = match dynamic::backend_of(conn) {
            Backend::Sqlite => vec![
                format!(
                    "INSERT OR REPLACE INTO nautobot_rowcount (table_name, row_count) \
                     SELECT {}, COUNT(*) FROM {t}",
                    quote(table)
                ),
                format!(
                    "CREATE TRIGGER {} AFTER INSERT ON {t} BEGIN \
                     UPDATE nautobot_rowcount SET row_count = row_count + 1 WHERE table_name = {}; END",
                    ident(&format!("{table}_rowcount_ins")),
                    quote(table)
                ),
                format!(
                    "CREATE TRIGGER {} AFTER DELETE ON {t} BEGIN \
                     UPDATE nautobot_rowcount SET row_count = row_count - 1 WHERE table_name = {}; END",
                    ident(&format!("{table}_rowcount_del")),
                    quote(table)
                ),
            ],
            Backend::Postgres => vec![
                // No write may slip between the count and the triggers.
                format!("LOCK TABLE {t} IN SHARE ROW EXCLUSIVE MODE"),
                format!(
                    "DELETE FROM nautobot_rowcount WHERE table_name = {}",
                    quote(table)
                ),
                format!(
                    "INSERT INTO nautobot_rowcount (table_name, delta) SELECT {}, COUNT(*) FROM {t}",
                    quote(table)
                ),
                format!(
                    "CREATE TRIGGER nautobot_rowcount_ins AFTER INSERT ON {t} \
                     REFERENCING NEW TABLE AS nautobot_new_rows \
                     FOR EACH STATEMENT EXECUTE FUNCTION nautobot_rowcount_inserted()"
                ),
                format!(
                    "CREATE TRIGGER nautobot_rowcount_del AFTER DELETE ON {t} \
                     REFERENCING OLD TABLE AS nautobot_old_rows \
                     FOR EACH STATEMENT EXECUTE FUNCTION nautobot_rowcount_deleted()"
                ),
            ],
        };
        for s in statements {
            dynamic::execute(conn, &Sql::from(s))?;
        }
        Ok(())
    })
}

#[derive(diesel::QueryableByName)]
struct Counted {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    total: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    rows: i64,
}

/// The number of rows of `table`, from its counter; `None` when it has none (a table
/// `migrate` has not seen yet), for the caller to count.
pub fn count(conn: &mut DbConnection, table: &str) -> Result<Option<i64>> {
    let backend = dynamic::backend_of(conn);
    let mut sql = Sql::from(match backend {
        Backend::Sqlite => {
            "SELECT MAX(row_count) AS total, COUNT(*) AS rows FROM nautobot_rowcount WHERE table_name = "
        }
        Backend::Postgres => {
            "SELECT SUM(delta)::bigint AS total, COUNT(*) AS rows FROM nautobot_rowcount WHERE table_name = "
        }
    });
    sql.bind(SqlValue::text(table));
    sql.cached();
    let found: Vec<Counted> = dynamic::load_rows(conn, &sql)?;
    let Some(found) = found.into_iter().next() else {
        return Ok(None);
    };
    if found.rows == 0 {
        return Ok(None);
    }
    if backend == Backend::Postgres && found.rows > FOLD_AFTER && !crate::in_transaction(conn) {
        fold(conn, table)?;
    }
    Ok(found.total.map(|t| t.max(0)))
}

/// Folds a table's deltas into one row, atomically (deltas of transactions still open
/// are not seen and stay).
fn fold(conn: &mut DbConnection, table: &str) -> Result<()> {
    let mut sql = Sql::from("WITH gone AS (DELETE FROM nautobot_rowcount WHERE table_name = ");
    sql.bind(SqlValue::text(table))
        .push(" RETURNING delta) INSERT INTO nautobot_rowcount (table_name, delta) SELECT ")
        .bind(SqlValue::text(table))
        .push(", COALESCE(SUM(delta), 0) FROM gone");
    dynamic::execute(conn, &sql)?;
    Ok(())
}
