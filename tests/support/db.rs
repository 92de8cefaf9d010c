//! A fresh database per test: an SQLite file in the test's root, or a PostgreSQL
//! database created for the test and dropped after it.

use std::{
    path::Path,
    sync::atomic::{AtomicU32, Ordering},
};

use diesel::{connection::SimpleConnection, Connection, PgConnection};

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// The PostgreSQL server tests use (`NAUTOBOT_TEST_POSTGRES` overrides).
pub fn postgres_admin_url() -> String {
    std::env::var("NAUTOBOT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

impl Backend {
    /// PostgreSQL if a server is reachable. Otherwise the test is skipped with a printed
    /// reason, except under `CI=true`, where PostgreSQL is required.
    pub fn postgres_or_skip(test: &str) -> Option<Backend> {
        match PgConnection::establish(&postgres_admin_url()) {
            Ok(_) => Some(Backend::Postgres),
            Err(err) => {
                let reason = format!(
                    "PostgreSQL is not reachable at {}: {err}",
                    postgres_admin_url()
                );
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{test} needs PostgreSQL under CI=true: {reason}");
                }
                println!("SKIPPED {test} on PostgreSQL: {reason}");
                None
            }
        }
    }
}

/// A database that exists for one test.
pub struct TestDatabase {
    /// The `DATABASE_URL` to configure.
    pub url: String,
    /// The backend.
    pub backend: Backend,
    pg_name: Option<String>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    /// Creates a database for a test whose root is `root`.
    pub fn create(backend: Backend, root: &Path) -> TestDatabase {
        match backend {
            Backend::Sqlite => TestDatabase {
                url: format!("sqlite://{}", root.join("nautobot.sqlite3").display()),
                backend,
                pg_name: None,
            },
            Backend::Postgres => {
                let name = format!(
                    "nbtest_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.subsec_nanos())
                        .unwrap_or(0)
                );
                let admin = postgres_admin_url();
                let mut conn = PgConnection::establish(&admin)
                    .unwrap_or_else(|e| panic!("cannot connect to {admin}: {e}"));
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
                let mut url = url::Url::parse(&admin).expect("NAUTOBOT_TEST_POSTGRES is a URL");
                url.set_path(&format!("/{name}"));
                TestDatabase {
                    url: url.to_string(),
                    backend,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            if let Ok(mut conn) = PgConnection::establish(&postgres_admin_url()) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}
