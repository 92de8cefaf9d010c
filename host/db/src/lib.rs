//! Database connections: one code path over SQLite (the embedded default) and PostgreSQL.
//!
//! [`DbConnection`] is a diesel `MultiConnection` over both backends; [`Database`] is a
//! pool of them. SQLite connections are set up for concurrent use (WAL, busy timeout,
//! foreign keys) as they are opened.

pub mod dynamic;
pub mod interrupt;
pub mod migrations;
pub mod plugin_set;
pub mod rowcount;
pub mod schema;
pub mod scratch;

use std::time::Duration;

use diesel::{
    connection::SimpleConnection,
    r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection},
    Connection,
};

use nautobot_base::error::{Error, Result};
use nautobot_config::{DatabaseTuning, DatabaseUrl};

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL: production, shared by several servers and workers.
    Pg(diesel::PgConnection),
    /// SQLite: the embedded default.
    Sqlite(diesel::SqliteConnection),
}

/// Which backend a database uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The backend's name as the status API reports it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

/// A pooled connection. Inside an [`interrupt::Scope`] a PostgreSQL connection is
/// registered with the scope while it is held, so a disconnected client's statement
/// can be cancelled.
pub struct Conn {
    // Dropped first: unregistering waits for a cancel in flight, so a cancel never
    // reaches the connection once it is back in the pool.
    #[allow(dead_code)]
    registration: Option<interrupt::Registration>,
    inner: PooledConnection<Manager>,
}

impl std::ops::Deref for Conn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.inner
    }
}

/// The PostgreSQL backend process of one physical connection, asked once and kept in
/// the pool's per-connection extensions.
#[derive(Clone, Copy)]
struct BackendPid(i32);

/// Opens connections of one backend for the pool. Unlike diesel's generic manager of a
/// `MultiConnection` (which tries each backend and reports only "Invalid connection url
/// for multiconnection"), a failure says what the database said: "the database system
/// is in recovery mode", "password authentication failed" …
pub struct Manager {
    url: String,
    backend: Backend,
}

/// `text` on one line: libpq's messages span several ("… Connection refused\n\tIs the
/// server running …").
pub fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A connection to `url` on `backend`, or the database's own reason why not.
fn establish(url: &str, backend: Backend) -> diesel::ConnectionResult<DbConnection> {
    match backend {
        Backend::Postgres => diesel::PgConnection::establish(url).map(DbConnection::Pg),
        Backend::Sqlite => diesel::SqliteConnection::establish(url).map(DbConnection::Sqlite),
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> std::result::Result<DbConnection, Self::Error> {
        establish(&self.url, self.backend).map_err(|e| {
            diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(one_line(
                &e.to_string(),
            )))
        })
    }

    fn is_valid(&self, conn: &mut DbConnection) -> std::result::Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// A pool of connections to the configured database.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    backend: Backend,
    display: String,
    /// Cancels the statements of requests whose client went away (PostgreSQL).
    canceller: Option<std::sync::Arc<interrupt::PgCanceller>>,
}

#[derive(Debug)]
struct SqliteSetup {
    /// The database file of job logs, attached to every connection as `joblog`.
    joblog: Option<String>,
    /// Page cache and memory map sizes.
    tuning: DatabaseTuning,
}

/// The job log's table on SQLite, in its own database file: SQLite has one writer per
/// file, and a job holds the main file's write lock until it commits, so its log — which
/// must grow while it runs and survive its rollback — is written to another file. The
/// table is found by its plain name (`extras_joblogentry`) as if it were in the main one.
const SQLITE_JOBLOG_TABLE: &str = "CREATE TABLE IF NOT EXISTS joblog.extras_joblogentry (
    id TEXT PRIMARY KEY NOT NULL,
    job_result_id TEXT NOT NULL,
    log_level TEXT NOT NULL,
    grouping TEXT NOT NULL DEFAULT 'main',
    message TEXT NOT NULL,
    log_object TEXT NOT NULL DEFAULT '',
    absolute_url TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    last_updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS joblog.extras_joblogentry_result
    ON extras_joblogentry (job_result_id, created);";

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqliteSetup {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let (DbConnection::Pg(pg), Some(limit)) = (&mut *conn, self.tuning.statement_timeout) {
            // Every statement of the web server's connections is cancelled after this
            // long: one request cannot hold a backend (and its memory) for minutes.
            pg.batch_execute(&format!("SET statement_timeout = {}", limit.as_millis()))
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        if let DbConnection::Sqlite(conn) = conn {
            // A negative cache_size is in KiB; mmap_size is in bytes.
            conn.batch_execute(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                 PRAGMA cache_size = -{}; PRAGMA mmap_size = {};",
                self.tuning.sqlite_cache_mib * 1024,
                self.tuning.sqlite_mmap_mib * 1024 * 1024
            ))
            .map_err(diesel::r2d2::Error::QueryError)?;
            if let Some(path) = &self.joblog {
                conn.batch_execute(&format!(
                    "ATTACH DATABASE '{}' AS joblog; PRAGMA joblog.journal_mode = WAL; {SQLITE_JOBLOG_TABLE}",
                    path.replace('\'', "''")
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
            }
        }
        Ok(())
    }
}

/// Where the job log of the SQLite database at `path` lives: beside it,
/// `<name>-joblog.sqlite3`.
pub fn sqlite_joblog_path(path: &std::path::Path) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "nautobot".to_string());
    path.with_file_name(format!("{stem}-joblog.sqlite3"))
}

/// Turns off SQLite's memory statistics before its first use. With them on, every
/// allocation SQLite makes takes one process-wide mutex, and connections on several
/// threads building JSON pages spend most of their time waiting for it.
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config may be called only before sqlite3_initialize and not
        // concurrently with other SQLite calls; the Once runs it once, before this
        // process opens any SQLite connection (every connection is opened through
        // `Database::connect`). Called later, SQLite ignores it with SQLITE_MISUSE.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            )
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!("SQLite memory statistics stay on (sqlite3_config returned {rc})");
        }
        interrupt::install_sqlite_hooks();
    });
}

impl Database {
    /// Opens a pool on `url` with the default tuning, checking that one connection can
    /// be made.
    pub fn connect(url: &DatabaseUrl) -> Result<Database> {
        Database::connect_tuned(url, &DatabaseTuning::default())
    }

    /// Opens the pool the settings describe (`DATABASE_URL`, `DATABASE_POOL_SIZE`,
    /// `SQLITE_CACHE_SIZE`, `SQLITE_MMAP_SIZE`).
    pub fn open(settings: &nautobot_config::Settings) -> Result<Database> {
        Database::connect_tuned(&settings.database, &settings.database_tuning)
    }

    /// Opens a pool on `url` with `tuning`, checking that one connection can be made.
    pub fn connect_tuned(url: &DatabaseUrl, tuning: &DatabaseTuning) -> Result<Database> {
        configure_sqlite();
        let (conn_url, backend, max_size, joblog) = match url {
            DatabaseUrl::Sqlite(path) => {
                // Tokens and sessions live in it: a new database is 0600 (SQLite gives
                // its -wal and -shm files the same mode), in a 0700 folder if new.
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    nautobot_base::private_files::create_dir(parent)?;
                }
                nautobot_base::private_files::touch(path)?;
                nautobot_base::private_files::touch(&sqlite_joblog_path(path))?;
                let joblog = sqlite_joblog_path(path).display().to_string();
                (path.display().to_string(), Backend::Sqlite, 8, Some(joblog))
            }
            DatabaseUrl::Postgres(url) => (url.clone(), Backend::Postgres, 16, None),
        };
        let display = url.display();
        // Try one connection first: r2d2 retries silently until its timeout, and the
        // operator deserves the real reason at once.
        establish(&conn_url, backend).map_err(|e| {
            Error::Database(format!(
                "cannot connect to {display}: {}",
                one_line(&e.to_string())
            ))
        })?;
        // No minimum of idle connections: r2d2 would open them on its own threads at
        // any moment, and a process exiting while libpq connects there crashes in
        // libpq's exit handlers. Connections are opened when asked for and then kept.
        let max_size = tuning.pool_size.unwrap_or(max_size);
        let canceller = match backend {
            Backend::Postgres => Some(std::sync::Arc::new(interrupt::PgCanceller::new(
                conn_url.clone(),
            ))),
            Backend::Sqlite => {
                // Only a tuning that sets a limit (the web server's) changes it.
                if tuning.statement_timeout.is_some() {
                    interrupt::set_sqlite_statement_timeout(tuning.statement_timeout);
                }
                None
            }
        };
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(30))
            .connection_customizer(Box::new(SqliteSetup {
                joblog,
                tuning: tuning.clone(),
            }))
            .build(Manager {
                url: conn_url,
                backend,
            })
            .map_err(|e| Error::Database(format!("cannot connect to {display}: {e}")))?;
        Ok(Database {
            pool,
            backend,
            display,
            canceller,
        })
    }

    /// A connection from the pool. Inside an [`interrupt::Scope`] whose client has
    /// gone it fails; a PostgreSQL connection is registered with the scope.
    pub fn conn(&self) -> Result<Conn> {
        if interrupt::cancelled() {
            return Err(Error::Database(interrupt::CANCELLED.to_string()));
        }
        let mut inner = self.pool.get()?;
        let registration = match &self.canceller {
            Some(canceller) if interrupt::in_scope() => {
                let pid = backend_pid(&mut inner)?;
                interrupt::register(pid, canceller)
                    .map_err(|()| Error::Database(interrupt::CANCELLED.to_string()))?
            }
            _ => None,
        };
        Ok(Conn {
            registration,
            inner,
        })
    }

    /// The most connections the pool keeps (`DATABASE_POOL_SIZE`).
    pub fn pool_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database's URL without its password.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The server version of the database (for `/api/status/`).
    pub fn server_version(&self) -> Result<String> {
        use diesel::{sql_types::Text, QueryableByName, RunQueryDsl};
        #[derive(QueryableByName)]
        struct Version {
            #[diesel(sql_type = Text)]
            version: String,
        }
        let sql = match self.backend {
            Backend::Sqlite => "SELECT sqlite_version() AS version",
            Backend::Postgres => "SELECT current_setting('server_version') AS version",
        };
        let mut conn = self.conn()?;
        let row: Version = diesel::sql_query(sql).get_result(&mut *conn)?;
        Ok(row.version)
    }
}

/// The backend process serving `conn` (PostgreSQL), asked once per physical connection.
fn backend_pid(conn: &mut PooledConnection<Manager>) -> Result<i32> {
    use diesel::{sql_types::Integer, QueryableByName, RunQueryDsl};
    if let Some(BackendPid(pid)) = PooledConnection::extensions(conn).get::<BackendPid>() {
        return Ok(*pid);
    }
    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = Integer)]
        pid: i32,
    }
    let row: Pid = diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result(&mut **conn)?;
    PooledConnection::extensions_mut(conn).insert(BackendPid(row.pid));
    Ok(row.pid)
}

/// Runs `work` in a transaction meant to write. On SQLite the main database's write
/// lock is taken first thing, waiting up to the busy timeout for other writers, because
/// a deferred transaction that has read first cannot take the lock after another
/// connection wrote — it fails at once with "database is locked". (Not `BEGIN
/// IMMEDIATE`: that would lock the attached job log database too, and a running job
/// must be able to log.) Inside a transaction already, it is a savepoint. Rolled back
/// when `work` fails.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
) -> std::result::Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = AnsiTransactionManager;
    let outermost_sqlite = match conn {
        DbConnection::Sqlite(c) => {
            <Manager as TransactionManager<diesel::SqliteConnection>>::transaction_manager_status_mut(c)
                .transaction_depth()?
                .is_none()
        }
        DbConnection::Pg(_) => false,
    };
    let DbConnection::Sqlite(c) = conn else {
        return conn.transaction(work);
    };
    if !outermost_sqlite {
        return conn.transaction(work);
    }
    Manager::begin_transaction_sql(c, "BEGIN")?;
    // A write that changes nothing takes the main database's write lock (and only it).
    if let Err(e) = c.batch_execute("UPDATE nautobot_migrations SET app = app WHERE 0") {
        let _ = <Manager as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(c);
        return Err(e.into());
    }
    let result = work(conn);
    let DbConnection::Sqlite(c) = conn else {
        unreachable!("the connection does not change backend");
    };
    match result {
        Ok(value) => {
            if let Err(e) =
                <Manager as TransactionManager<diesel::SqliteConnection>>::commit_transaction(c)
            {
                let _ =
                    <Manager as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(
                        c,
                    );
                return Err(e.into());
            }
            Ok(value)
        }
        Err(e) => {
            let _ =
                <Manager as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(c);
            Err(e)
        }
    }
}

/// Whether `conn` is inside a transaction.
pub fn in_transaction(conn: &mut DbConnection) -> bool {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let depth = match conn {
        DbConnection::Sqlite(c) => <AnsiTransactionManager as TransactionManager<
            diesel::SqliteConnection,
        >>::transaction_manager_status_mut(c)
        .transaction_depth(),
        DbConnection::Pg(c) => <AnsiTransactionManager as TransactionManager<
            diesel::PgConnection,
        >>::transaction_manager_status_mut(c)
        .transaction_depth(),
    };
    matches!(depth, Ok(Some(_)))
}

/// Begins a transaction meant to write and leaves it open (see [`write_transaction`]
/// for why SQLite takes its write lock first); end it with [`end_transaction`].
pub fn begin_write(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?;
            if let Err(e) = c.batch_execute("UPDATE nautobot_migrations SET app = app WHERE 0") {
                let _ = <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(c);
                return Err(e);
            }
            Ok(())
        }
        DbConnection::Pg(c) => <AnsiTransactionManager as TransactionManager<
            diesel::PgConnection,
        >>::begin_transaction(c),
    }
}

/// Commits (`commit`) or rolls back the transaction [`begin_write`] began.
pub fn end_transaction(conn: &mut DbConnection, commit: bool) -> diesel::QueryResult<()> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        DbConnection::Sqlite(c) => {
            type M = AnsiTransactionManager;
            if commit {
                let r = <M as TransactionManager<diesel::SqliteConnection>>::commit_transaction(c);
                if r.is_err() {
                    let _ =
                        <M as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(
                            c,
                        );
                }
                r
            } else {
                <M as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(c)
            }
        }
        DbConnection::Pg(c) => {
            type M = AnsiTransactionManager;
            if commit {
                let r = <M as TransactionManager<diesel::PgConnection>>::commit_transaction(c);
                if r.is_err() {
                    let _ =
                        <M as TransactionManager<diesel::PgConnection>>::rollback_transaction(c);
                }
                r
            } else {
                <M as TransactionManager<diesel::PgConnection>>::rollback_transaction(c)
            }
        }
    }
}
