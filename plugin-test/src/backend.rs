//! The two database backends, and a fresh database per test server.

use std::{path::Path, sync::OnceLock, time::Duration};

/// The PostgreSQL server used when `NAUTOBOT_TEST_POSTGRES` is not set.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which database a [`TestServer`](crate::TestServer) uses.
///
/// Each test server gets a database of its own: an SQLite file in its temporary root, or
/// a PostgreSQL database created on the server named by `NAUTOBOT_TEST_POSTGRES`
/// (default [`DEFAULT_POSTGRES_URL`]) and dropped when the test server is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Backend {
    /// An SQLite file in the test server's root (the default).
    #[default]
    Sqlite,
    /// A fresh database on the PostgreSQL server of `NAUTOBOT_TEST_POSTGRES`.
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// The backends a test should run on: always [`Backend::Sqlite`], and
/// [`Backend::Postgres`] too when the PostgreSQL server of `NAUTOBOT_TEST_POSTGRES`
/// (default [`DEFAULT_POSTGRES_URL`]) accepts a connection.
///
/// When it does not, the PostgreSQL run is skipped with a line on stderr naming
/// `test_name` and the reason — except under `CI=true`, where this **panics**, so that a
/// CI run cannot pass without having tested PostgreSQL.
///
/// ```no_run
/// use nautobot_plugin_test::{backends, TestServer};
///
/// #[test]
/// fn home_page_renders() {
///     for backend in backends("home_page_renders") {
///         let server = TestServer::builder().plugin("my_plugin").backend(backend).start();
///         assert_eq!(server.admin().get_page("/plugins/my-plugin/").status, 200);
///     }
/// }
/// ```
pub fn backends(test_name: &str) -> Vec<Backend> {
    let mut list = vec![Backend::Sqlite];
    match postgres_reachable() {
        Ok(()) => list.push(Backend::Postgres),
        Err(reason) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "{test_name} needs PostgreSQL under CI=true: {reason} \
                     (set NAUTOBOT_TEST_POSTGRES to a server that lets this user create databases)"
                );
            }
            eprintln!("SKIPPED {test_name} on PostgreSQL: {reason}");
        }
    }
    list
}

/// The `NAUTOBOT_TEST_POSTGRES` URL, or the default.
pub(crate) fn postgres_admin_url() -> String {
    std::env::var("NAUTOBOT_TEST_POSTGRES")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_string())
}

/// Whether the PostgreSQL server answers (checked once per test process).
fn postgres_reachable() -> Result<(), String> {
    static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
    CHECKED
        .get_or_init(|| {
            let url = postgres_admin_url();
            connect(&url)
                .map(|_| ())
                .map_err(|e| format!("PostgreSQL is not reachable at {url}: {e}"))
        })
        .clone()
}

/// A connection to the PostgreSQL server at `url` (pure Rust, no libpq).
fn connect(url: &str) -> Result<postgres::Client, String> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| format!("NAUTOBOT_TEST_POSTGRES: not a PostgreSQL URL ({e})"))?;
    config.connect_timeout(Duration::from_secs(3));
    config.connect(postgres::NoTls).map_err(|e| {
        // The server's own message ("database … does not exist") says the most.
        e.as_db_error()
            .map(|db| db.message().to_string())
            .unwrap_or_else(|| e.to_string())
    })
}

/// A database that lives as long as one test server.
#[derive(Debug)]
pub(crate) struct TestDatabase {
    /// The `DATABASE_URL` to configure.
    pub url: String,
    pg_name: Option<String>,
}

impl TestDatabase {
    /// Creates the database of a test server whose root is `root`.
    pub fn create(backend: Backend, root: &Path) -> TestDatabase {
        match backend {
            Backend::Sqlite => TestDatabase {
                url: format!("sqlite://{}", root.join("nautobot.sqlite3").display()),
                pg_name: None,
            },
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!(
                    "nbplugintest_{}_{}",
                    std::process::id(),
                    crate::util::random_hex(12)
                );
                let mut conn = connect(&admin).unwrap_or_else(|e| {
                    panic!("cannot connect to PostgreSQL at {admin} (NAUTOBOT_TEST_POSTGRES): {e}")
                });
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap_or_else(|e| {
                        panic!("cannot create the test database {name} at {admin}: {e}")
                    });
                let mut url = url::Url::parse(&admin)
                    .unwrap_or_else(|e| panic!("NAUTOBOT_TEST_POSTGRES={admin} is not a URL: {e}"));
                url.set_path(&format!("/{name}"));
                TestDatabase {
                    url: url.to_string(),
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            match connect(&postgres_admin_url()) {
                Ok(mut conn) => {
                    if let Err(e) =
                        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    {
                        eprintln!("nautobot-plugin-test: could not drop test database {name}: {e}");
                    }
                }
                Err(e) => {
                    eprintln!("nautobot-plugin-test: could not drop test database {name}: {e}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_is_the_default_and_displays_by_name() {
        assert_eq!(Backend::default(), Backend::Sqlite);
        assert_eq!(Backend::Postgres.to_string(), "PostgreSQL");
    }

    #[test]
    fn backends_always_include_sqlite_first() {
        let list = backends("backends_always_include_sqlite_first");
        assert_eq!(list[0], Backend::Sqlite);
        assert!(list.len() <= 2);
    }

    #[test]
    fn a_postgres_database_is_created_and_dropped() {
        if !backends("a_postgres_database_is_created_and_dropped").contains(&Backend::Postgres) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let db = TestDatabase::create(Backend::Postgres, dir.path());
        let name = db.pg_name.clone().unwrap();
        assert!(db.url.ends_with(&format!("/{name}")), "{}", db.url);
        // It exists: connecting to it works.
        connect(&db.url).unwrap();
        drop(db);
        let err = connect(&format!(
            "{}/{name}",
            postgres_admin_url().rsplit_once('/').unwrap().0
        ))
        .err()
        .expect("the database is gone");
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn an_sqlite_database_is_a_file_in_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDatabase::create(Backend::Sqlite, dir.path());
        assert_eq!(
            db.url,
            format!("sqlite://{}/nautobot.sqlite3", dir.path().display())
        );
    }
}
