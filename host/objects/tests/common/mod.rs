//! What the model layer's database tests share: running one exercise on a fresh SQLite
//! database and on a PostgreSQL database of its own.

use nautobot_db::Database;

/// Runs `exercise` on a new SQLite database in a temporary directory.
pub fn on_sqlite(exercise: fn(&Database)) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::connect(&nautobot_config::DatabaseUrl::Sqlite(
        dir.path().join("db.sqlite3"),
    ))
    .unwrap();
    exercise(&db);
}

/// Runs `exercise` on PostgreSQL (`NAUTOBOT_TEST_POSTGRES`, default the local server),
/// in a database of its own named after `prefix`; skipped with a reason (naming `test`)
/// when none is reachable, except under `CI=true`.
pub fn on_postgresql(test: &str, prefix: &str, exercise: fn(&Database)) {
    let Some(scratch) = nautobot_db::scratch::ScratchPostgres::create(test, prefix) else {
        return;
    };
    {
        let db = Database::connect(&nautobot_config::DatabaseUrl::Postgres(scratch.url.clone()))
            .unwrap();
        exercise(&db);
    }
    drop(scratch);
}
