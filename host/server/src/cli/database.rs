//! `migrate` and `showmigrations`: the host's own tables (diesel, app `core`) and the
//! declarative migrations of the core apps and plugins.

use nautobot_app as app;
use nautobot_base::error::{Error, Result};
use nautobot_config::Settings;
use nautobot_db::{migrations, plugin_set, Database};
use nautobot_schema::{self as schema, catalog::Catalog};

/// The catalog of the core and the plugins, and this process's plugin set.
fn catalog(settings: &Settings) -> Result<(Catalog, std::collections::BTreeMap<String, String>)> {
    // A broken plugin stops migrate as it would stop the server.
    let (registry, _) = super::load_plugins(settings)?;
    Ok((app::catalog_of(&registry)?, app::plugin_set_of(&registry)))
}

/// Applies pending migrations, saying which; or (`<app> zero`) unapplies an app's.
pub fn migrate(settings: &Settings, app: Option<&str>, target: Option<&str>) -> Result<()> {
    let (catalog, plugin_set) = catalog(settings)?;
    let db = Database::open(settings)?;
    if let Some(app) = app {
        let known = app == migrations::CORE_APP || catalog.plan.apps().iter().any(|a| a == app);
        if !known {
            return Err(Error::Usage(format!(
                "No installed app with label '{app}'."
            )));
        }
        if let Some(target) = target {
            if target != "zero" {
                return Err(Error::Usage(format!(
                    "Cannot migrate '{app}' to '{target}': only 'zero' (unapply every migration) is supported"
                )));
            }
            if catalog.plan.plugin_of(app).is_none() {
                return Err(Error::Usage(format!(
                    "Cannot unapply '{app}': it is a core app; only plugins' apps can be unapplied"
                )));
            }
            println!("Operations to perform:");
            println!("  Unapply all migrations: {app}");
            println!("Running migrations:");
            let tables = schema::migrate::zero(&db, &catalog.plan, app)?;
            // Uninstalled: no longer part of the set servers must load.
            plugin_set::forget(&db, app)?;
            if tables.is_empty() {
                println!("  No migrations to unapply.");
            }
            for table in tables {
                println!("  Dropped table {table}... OK");
            }
            return Ok(());
        }
    }
    let mut apps = vec![migrations::CORE_APP.to_string()];
    apps.extend(catalog.plan.apps());
    println!("Operations to perform:");
    println!("  Apply all migrations: {}", apps.join(", "));
    println!("Running migrations:");
    let core = migrations::migrate(&db)?;
    let declared = schema::migrate::migrate(&db, &catalog.plan)?;
    if core.is_empty() && declared.is_empty() {
        println!("  No migrations to apply.");
    }
    for name in core {
        println!("  Applying {}.{name}... OK", migrations::CORE_APP);
    }
    for (app, name) in declared {
        println!("  Applying {app}.{name}... OK");
    }
    // Indexes and row counters every model's schema asks for, whichever version of
    // the server created its table.
    let report = schema::indexes::ensure(&db, &catalog.registry)?;
    // Every server and worker on this database must now load this plugin set.
    plugin_set::record(&db, &plugin_set)?;
    if !report.created.is_empty() {
        println!("  Creating {} indexes... OK", report.created.len());
    }
    if report.trigram == Some(false) {
        println!(
            "  Note: the pg_trgm extension is not available, so case-insensitive lookups \
             (name__ic, q) scan their tables; install PostgreSQL's contrib package or run \
             `CREATE EXTENSION pg_trgm` as a superuser, then migrate again."
        );
    }
    Ok(())
}

/// Lists migrations per app with `[X]` (applied) or `[ ]`.
pub fn showmigrations(settings: &Settings) -> Result<()> {
    let (catalog, _) = catalog(settings)?;
    let db = Database::open(settings)?;
    let core = migrations::show(&db)?;
    let core_done = core.iter().all(|m| m.applied);
    let mut rows: Vec<(String, String, bool)> = core
        .into_iter()
        .map(|m| (m.app, m.name, m.applied))
        .collect();
    if core_done {
        for m in schema::migrate::show(&db, &catalog.plan)? {
            rows.push((m.app, m.name, m.applied));
        }
    } else {
        for m in catalog.plan.steps() {
            rows.push((m.app_label.clone(), m.name.clone(), false));
        }
    }
    // Grouped per app, apps in the order they first appear.
    let mut apps: Vec<String> = Vec::new();
    for (app, _, _) in &rows {
        if !apps.contains(app) {
            apps.push(app.clone());
        }
    }
    for app in apps {
        super::out(&app)?;
        for (_, name, applied) in rows.iter().filter(|(a, _, _)| *a == app) {
            super::out(format!(" [{}] {name}", if *applied { "X" } else { " " }))?;
        }
    }
    Ok(())
}
