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
    let task = actix_web::web::block(move || deadline::in_request(&id, work));
    let Some(limit) = deadline::timeout() else {
        return task.await.map_err(Error::from).and_then(|r| r);
    };
    let mut task = std::pin::pin!(task);
    let step = (limit / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        match actix_web::rt::time::timeout(step, &mut task).await {
            Ok(done) => return done.map_err(Error::from).and_then(|r| r),
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
