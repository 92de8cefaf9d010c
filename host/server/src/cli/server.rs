//! `start` (alias `runserver`).

use nautobot_app::routes::Access;
use nautobot_base::error::Result;
use nautobot_config::Settings;
use nautobot_web as web;

/// Runs every start-up check, then serves until interrupted.
pub fn start(mut settings: Settings, bind: Option<String>, workers: Option<usize>) -> Result<()> {
    // Requests' statements run under DATABASE_STATEMENT_TIMEOUT (commands' do not).
    settings.database_tuning.statement_timeout = settings.database_statement_timeout;
    let bind = bind.unwrap_or_else(|| "127.0.0.1:8080".to_string());
    // The socket first (handed over, or bound): before any thread starts (listenfd
    // clears LISTEN_* from the environment), and so that connections queue while the
    // plugins load.
    let (listener, handed_over) = web::restart::listener(&bind)?;
    let state = super::boot(settings)?;
    let jobs =
        nautobot_jobs::registry::sync(&state.db, &state.registry, state.settings.jobs_auto_enable)?;
    for job in &jobs.added {
        tracing::info!(
            job = %job,
            enabled = state.settings.jobs_auto_enable,
            "job registered"
        );
    }
    if jobs.uninstalled > 0 {
        tracing::info!(
            count = jobs.uninstalled,
            "jobs of plugins no longer loaded marked not installed"
        );
    }
    tracing::info!(
        plugins = state.registry.len(),
        database = %state.db.display(),
        "nautobot-server {} starting",
        nautobot_base::version::VERSION
    );
    web::serve(state, listener, handed_over, workers)
}

/// `show-urls`: every route the server would answer — path, methods, owner (`core` or
/// a plugin) and who may use each method — as text, or JSON with `--json`.
pub fn show_urls(settings: Settings, as_json: bool) -> Result<()> {
    let state = super::boot(settings)?;
    let table = web::route_table(&state);
    if as_json {
        let text = serde_json::to_string_pretty(&table)
            .map_err(|e| nautobot_base::error::Error::Internal(e.to_string()))?;
        return super::out(text);
    }
    for route in &table {
        for method in &route.methods {
            let access = match &method.access {
                Access::Public => "public".to_string(),
                Access::Login => "login".to_string(),
                Access::Staff => "staff".to_string(),
                Access::Permission(p) => p.clone(),
                Access::Permissions(ps) => ps.join(" + "),
            };
            super::out(format!(
                "{:<7} {:<60} {:<20} {access}",
                method.method, route.path, route.owner
            ))?;
        }
    }
    Ok(())
}
