//! `migrate` and `showmigrations`.

use crate::{
    config::Settings,
    db::{migrations, Database},
    error::Result,
    plugins,
    version::host_version,
};

/// Applies pending migrations, saying which.
pub fn migrate(settings: &Settings) -> Result<()> {
    // A broken plugin stops migrate as it would stop the server.
    plugins::discover(settings, &host_version())?;
    let db = Database::connect(&settings.database)?;
    println!("Operations to perform:");
    println!("  Apply all migrations: {}", migrations::CORE_APP);
    println!("Running migrations:");
    let applied = migrations::migrate(&db)?;
    if applied.is_empty() {
        println!("  No migrations to apply.");
    }
    for name in applied {
        println!("  Applying {}.{name}... OK", migrations::CORE_APP);
    }
    Ok(())
}

/// Lists migrations per app with `[X]` (applied) or `[ ]`.
pub fn showmigrations(settings: &Settings) -> Result<()> {
    let db = Database::connect(&settings.database)?;
    let mut current_app = String::new();
    for m in migrations::show(&db)? {
        if m.app != current_app {
            super::out(&m.app)?;
            current_app = m.app.clone();
        }
        super::out(format!(
            " [{}] {}",
            if m.applied { "X" } else { " " },
            m.name
        ))?;
    }
    Ok(())
}
