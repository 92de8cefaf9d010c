//! For the server's own tests: a PostgreSQL database of their own on the server
//! `NAUTOBOT_TEST_POSTGRES` names (default the local one), dropped when done. When none
//! is reachable the test is skipped with the reason printed — except under `CI=true`,
//! where PostgreSQL is required.

use diesel::{connection::SimpleConnection, Connection, PgConnection};

/// A scratch database; dropped (with its connections) with this value.
pub struct ScratchPostgres {
    admin: String,
    name: String,
    /// Its connection URL.
    pub url: String,
}

impl ScratchPostgres {
    /// A new database for `test`, named after `prefix`, or `None` when no server answers.
    pub fn create(test: &str, prefix: &str) -> Option<ScratchPostgres> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let admin = std::env::var("NAUTOBOT_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let mut conn = match PgConnection::establish(&admin) {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "PostgreSQL is required under CI=true: {e}"
                );
                println!("SKIPPED {test} on PostgreSQL: {e}");
                return None;
            }
        };
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .expect("drop an old scratch database");
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a scratch database");
        let url = match admin.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("NAUTOBOT_TEST_POSTGRES has no database part: {admin}"),
        };
        Some(ScratchPostgres { admin, name, url })
    }
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
