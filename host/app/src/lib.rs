//! The application below the HTTP layer: the shared state every handler, job and
//! command works with ([`AppState`]), what the middleware attaches to a request
//! ([`request`]), and how a handler runs blocking work under the plugin-call deadline
//! ([`block`]). `ui/`, `api/` and `jobs/` build on this module; `web/` assembles them
//! into the server.

pub mod request;
pub mod routes;
mod state;

use std::time::Duration;

pub use state::{boot, catalog_of, discover_checked, load_plugins, plugin_set_of, AppState};

use nautobot_base::error::{Error, Result};

/// Runs `work` off the async executor as part of request `request_id`, under
/// `PLUGIN_CALL_TIMEOUT`: when a plugin call it makes runs past the deadline, the
/// request is answered 504 naming the plugin at once, while the work goes on in its
/// thread (and fails when the call returns, rolling back its writes).
pub async fn block<T, F>(request_id: String, work: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    use nautobot_plugins::deadline;
    let id = request_id.clone();
    let task = blocking(move || deadline::in_request(&id, work));
    let Some(limit) = deadline::timeout() else {
        return task.await.and_then(|r| r);
    };
    let mut task = std::pin::pin!(task);
    let step = (limit / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        match actix_web::rt::time::timeout(step, &mut task).await {
            Ok(done) => return done.and_then(|r| r),
            Err(_) => {
                if let Some(call) = deadline::overdue_call_of(&request_id) {
                    deadline::record_timeout(&call);
                    return Err(Error::PluginTimeout {
                        plugin: call.plugin,
                        seconds: limit.as_secs(),
                    });
                }
            }
        }
    }
}

/// Runs `work` on the blocking thread pool as part of the current request. When the
/// request's future is dropped before `work` is done — the client disconnected, or the
/// request was answered already (504) — the SQL `work` is running is cancelled
/// ([`nautobot_db::interrupt`]); on SQLite a statement also stops after
/// `DATABASE_STATEMENT_TIMEOUT`.
pub async fn blocking<T, F>(work: F) -> Result<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (scope, _guard) = nautobot_db::interrupt::Scope::new();
    actix_web::web::block(move || scope.run(work))
        .await
        .map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_db::dynamic::{query_count, Sql};

    /// A request whose future is dropped (its client went away) stops its SQL: the
    /// blocking work gets an error at once instead of running for minutes.
    #[test]
    fn dropping_a_requests_future_stops_its_sql() {
        let dir = tempfile::tempdir().unwrap();
        let url = nautobot_config::DatabaseUrl::Sqlite(dir.path().join("db.sqlite3"));
        let db = nautobot_db::Database::connect(&url).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        actix_web::rt::System::new().block_on(async move {
            let request = blocking(move || {
                let got = db.conn().and_then(|mut conn| {
                    query_count(
                        &mut conn,
                        &Sql::from(
                            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
                             WHERE i < 1099511627776) SELECT count(*) AS count FROM n",
                        ),
                    )
                });
                let _ = tx.send(got);
            });
            let answered = actix_web::rt::time::timeout(Duration::from_millis(300), request).await;
            assert!(answered.is_err(), "the work runs until stopped");
        });
        let got = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the work stopped soon after its request was dropped");
        assert!(got.is_err(), "{got:?}");
    }
}
