//! `init`: write a configuration file with a fresh `SECRET_KEY`.

use std::path::PathBuf;

use rand::{distributions::Alphanumeric, Rng};

use nautobot_base::error::{Error, Result};
use nautobot_base::private_files;
use nautobot_config::Locator;

/// The documented example configuration, from `config/` in the repository.
const TEMPLATE: &str = include_str!("../../../../config/nautobot_config.toml");
/// The line of the template that `init` fills in.
const SECRET_KEY_LINE: &str = "SECRET_KEY = \"\"";

/// Writes `nautobot_config.toml` under the root (or at `--config`), creating the root
/// and its `plugins` folder.
pub fn init(locator: &Locator, root: Option<PathBuf>) -> Result<()> {
    let root = root.unwrap_or_else(Locator::root);
    let path = match &locator.config {
        Some(path) => path.clone(),
        None => root.join("nautobot_config.toml"),
    };
    if path.exists() {
        return Err(Error::Usage(format!(
            "{} already exists; remove it first to start over",
            path.display()
        )));
    }
    // The root holds the configuration and the SQLite database: 0700 folders.
    for dir in [root.clone(), root.join("plugins")] {
        private_files::create_dir(&dir)?;
    }
    if let Some(parent) = path.parent() {
        private_files::create_dir(parent)?;
    }
    let key: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(64)
        .map(char::from)
        .collect();
    if !TEMPLATE.contains(SECRET_KEY_LINE) {
        return Err(Error::Internal(
            "the configuration template has no SECRET_KEY line".to_string(),
        ));
    }
    let text = TEMPLATE.replacen(SECRET_KEY_LINE, &format!("SECRET_KEY = \"{key}\""), 1);
    // SECRET_KEY: readable by the server's user only.
    private_files::write_new(&path, &text)?;
    println!("Configuration file created at {}", path.display());
    println!(
        "NAUTOBOT_ROOT is {}; plugins go in {}",
        root.display(),
        root.join("plugins").display()
    );
    // Other commands find the root through NAUTOBOT_ROOT (or ~/.nautobot), not this flag.
    if root != Locator::root() {
        println!(
            "Run the other commands with NAUTOBOT_ROOT={} set in their environment.",
            root.display()
        );
    } else if locator.config.is_some() {
        println!(
            "Run the other commands with --config {} (or NAUTOBOT_CONFIG).",
            path.display()
        );
    }
    Ok(())
}
