//! `check`, `plugins list`, `plugins inspect` and `plugins new`.

use std::path::Path;

use serde_json::{json, Value};

use nautobot_base::error::{Error, Result};
use nautobot_base::version::host_version;
use nautobot_config::Settings;
use nautobot_plugins as plugins;

/// Runs every start-up check without serving.
pub fn check(settings: Settings) -> Result<()> {
    let count = settings.plugins.len();
    super::boot(settings)?;
    println!(
        "System check identified no issues ({count} plugin{} loaded).",
        if count == 1 { "" } else { "s" }
    );
    Ok(())
}

/// Lists the plugins in `PLUGINS`, in load order.
pub fn list(settings: &Settings) -> Result<()> {
    let discovered = plugins::discover(settings, &host_version())?;
    if discovered.is_empty() {
        println!("No plugins are listed in PLUGINS.");
        return Ok(());
    }
    super::out(format!(
        "{:<28} {:<10} {:<24} FILE",
        "NAME", "VERSION", "BASE URL"
    ))?;
    for d in &discovered {
        let m = &d.library.manifest;
        super::out(format!(
            "{:<28} {:<10} {:<24} {}",
            m.name,
            m.version,
            format!("/plugins/{}/", m.base_url),
            d.library.path.display()
        ))?;
    }
    Ok(())
}

/// Runs every load check that needs no other plugin on a library file (as `check`
/// would), then prints its ABI version and manifest as JSON.
pub fn inspect(file: &Path, full: bool) -> Result<()> {
    let name = plugin_name_of(file);
    let checked =
        plugins::check_library(&name, file, &host_version(), &nautobot_ui::templates::all())?;
    let abi = checked.abi;
    let mut manifest: Value =
        serde_json::from_str(&checked.manifest_json).map_err(|e| Error::Internal(e.to_string()))?;
    if !full {
        summarise(&mut manifest);
    }
    let out = json!({
        "file": file.display().to_string(),
        "abi_version": format!("{}.{}.{}", abi.major, abi.minor, abi.patch),
        "sha256": checked.sha256,
        "checks": "passed",
        "manifest": manifest,
    });
    super::out(serde_json::to_string_pretty(&out).map_err(|e| Error::Internal(e.to_string()))?)
}

/// The plugin a library file is for: its file stem without the platform's prefix
/// (`libexample_plugin.so` → `example_plugin`).
fn plugin_name_of(file: &Path) -> String {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    stem.strip_prefix(std::env::consts::DLL_PREFIX)
        .unwrap_or(stem)
        .to_string()
}

/// `plugins install FILE`: runs every load check `plugins inspect` runs (and the
/// `PLUGINS_SHA256` pin, if the plugin has one) on the file, then places exactly the
/// bytes checked in `PLUGINS_DIR` atomically — written beside the target, flushed, then
/// renamed over it — so that a server starting meanwhile reads the old library or the
/// new one, never half of one. Running servers are not affected either way: they load
/// private copies.
pub fn install(settings: &Settings, file: &Path) -> Result<()> {
    let name = plugin_name_of(file);
    let file_name = file
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    if !nautobot_base::names::is_valid_plugin_name(&name)
        || file_name != plugins::library_file_name(&name)
    {
        return Err(Error::Usage(format!(
            "{} is not named like a plugin library: expected {}",
            file.display(),
            plugins::library_file_name("<plugin name>")
        )));
    }
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
    let checked =
        plugins::check_library(&name, file, &host_version(), &nautobot_ui::templates::all())?;
    if plugins::sha256_hex(&bytes) != checked.sha256 {
        return Err(Error::Usage(format!(
            "{} changed while it was being checked; install it again",
            file.display()
        )));
    }
    if let Some(pinned) = settings.plugins_sha256.get(&name) {
        if *pinned != checked.sha256 {
            return Err(plugins::LoadError::new(
                &name,
                Some(file),
                "library differs from its PLUGINS_SHA256 pin",
                format!("sha256 {pinned}"),
                format!(
                    "sha256 {} (update PLUGINS_SHA256.{name} first to install it)",
                    checked.sha256
                ),
            )
            .into());
        }
    }
    let dir = &settings.plugins_dir;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let target = plugins::library_path(settings, &name);
    let partial = dir.join(format!(
        ".{}.partial-{}",
        plugins::library_file_name(&name),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut out = std::fs::File::create(&partial)?;
        std::io::Write::write_all(&mut out, &bytes)?;
        out.sync_all()?;
        std::fs::rename(&partial, &target)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(Error::io(&target, e));
    }
    let listed = settings.plugins.contains(&name);
    super::out(format!(
        "Installed {name} {} (sha256 {}) as {}.",
        checked.version,
        checked.sha256,
        target.display()
    ))?;
    super::out(format!(
        "Next: {}nautobot-server migrate, nautobot-server collectstatic, then restart the servers and workers.",
        if listed {
            String::new()
        } else {
            format!("add \"{name}\" to PLUGINS, ")
        }
    ))
}

/// Replaces template sources and static contents by their sizes.
fn summarise(manifest: &mut Value) {
    if let Some(templates) = manifest.get_mut("templates").and_then(Value::as_array_mut) {
        for t in templates {
            if let Some(source) = t.get("source").and_then(Value::as_str) {
                let size = source.len();
                t["source"] = json!(format!("<{size} bytes; --full to show>"));
            }
        }
    }
    if let Some(files) = manifest
        .get_mut("static_files")
        .and_then(Value::as_array_mut)
    {
        for f in files {
            if let Some(content) = f.get("content_base64").and_then(Value::as_str) {
                let size = content.len() / 4 * 3;
                f["content_base64"] = json!(format!("<about {size} bytes; --full to show>"));
            }
        }
    }
}

/// `plugins new`: writes a new plugin crate (see `crate::scaffold`) and says what next.
pub fn new(name: &str, path: Option<&Path>, abi_path: Option<&Path>) -> Result<()> {
    let parent = match path {
        Some(p) => p.to_path_buf(),
        None => std::env::current_dir().map_err(|e| Error::io(".", e))?,
    };
    let created = crate::scaffold::create(name, &parent, abi_path)?;
    let dir = created.dir.display();
    super::out(format!("Created plugin crate {name} in {dir}:"))?;
    for file in &created.files {
        super::out(format!("  {}", file.display()))?;
    }
    super::out(format!(
        "Dependencies: {}.",
        created.dependencies.description
    ))?;
    let server = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "/path/to/nautobot-server".to_string());
    super::out(format!(
        "\nNext:\n  cd {dir}\n  cargo build                  # → target/debug/lib{name}.so\n  \
         NAUTOBOT_SERVER_BIN={server} cargo test\n  \
         cargo build --release        # → target/release/lib{name}.so, to install as README.md says"
    ))
}
