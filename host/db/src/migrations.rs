//! The host's own tables, created by diesel migrations embedded in the binary
//! (`migrations/sqlite` and `migrations/postgres` in the repository).

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{Database, DbConnection};
use nautobot_base::error::{Error, Result};

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The app label the host's own migrations are listed under.
pub const CORE_APP: &str = "core";

/// One migration and whether it has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    /// The app the migration belongs to.
    pub app: String,
    /// The migration's name (`0001_auth`).
    pub name: String,
    /// Whether it has been applied to this database.
    pub applied: bool,
}

fn err(e: Box<dyn std::error::Error + Send + Sync>) -> Error {
    Error::Database(format!("migration failed: {e}"))
}

/// Applies every pending migration and returns the names applied, in order.
pub fn migrate(db: &Database) -> Result<Vec<String>> {
    let mut conn = db.conn()?;
    let applied = match &mut *conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE).map_err(err)?,
        DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES).map_err(err)?,
    };
    Ok(applied.iter().map(|v| name_of(&v.to_string())).collect())
}

/// Every known migration with its state, in order.
pub fn show(db: &Database) -> Result<Vec<MigrationState>> {
    let mut conn = db.conn()?;
    let (known, applied) = match &mut *conn {
        DbConnection::Sqlite(c) => (list(&SQLITE)?, c.applied_migrations().map_err(err)?),
        DbConnection::Pg(c) => (list(&POSTGRES)?, c.applied_migrations().map_err(err)?),
    };
    let applied: Vec<String> = applied.iter().map(|v| v.to_string()).collect();
    Ok(known
        .into_iter()
        .map(|(version, name)| MigrationState {
            app: CORE_APP.to_string(),
            applied: applied.contains(&version),
            name,
        })
        .collect())
}

/// Whether any migration is still to be applied.
pub fn has_pending(db: &Database) -> Result<bool> {
    Ok(show(db)?.iter().any(|m| !m.applied))
}

fn list(source: &EmbeddedMigrations) -> Result<Vec<(String, String)>> {
    use diesel::migration::MigrationSource;
    let migrations = MigrationSource::<diesel::sqlite::Sqlite>::migrations(source).map_err(err)?;
    Ok(migrations
        .iter()
        .map(|m| {
            let name = m.name();
            (name.version().to_string(), name.to_string())
        })
        .collect())
}

/// diesel reports a migration by version (`0001`); we show the directory name.
fn name_of(version: &str) -> String {
    [SQLITE, POSTGRES]
        .iter()
        .filter_map(|source| list(source).ok())
        .flatten()
        .find(|(v, _)| v == version)
        .map(|(_, name)| name)
        .unwrap_or_else(|| version.to_string())
}
