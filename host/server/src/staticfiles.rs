//! Static files: the core assets embedded in the binary and each plugin's, copied into
//! `STATIC_ROOT` by `collectstatic` (plugins under `STATIC_ROOT/<name>/`) and served from
//! there under `STATIC_URL`.

use std::path::{Component, Path, PathBuf};

use nautobot_base::error::{Error, Result};
use nautobot_plugins::Discovered;

/// The core assets, from `host/server/static/` in the repository.
pub const CORE_STATIC: &[(&str, &[u8])] = &[
    (
        "nautobot/css/base.css",
        include_bytes!("../static/nautobot/css/base.css"),
    ),
    (
        "nautobot/js/localtime.js",
        include_bytes!("../static/nautobot/js/localtime.js"),
    ),
    (
        "nautobot/img/favicon.svg",
        include_bytes!("../static/nautobot/img/favicon.svg"),
    ),
];

/// What `collectstatic` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CollectReport {
    /// Files written (new or changed), relative to `STATIC_ROOT`.
    pub copied: Vec<String>,
    /// Files already up to date.
    pub unmodified: Vec<String>,
}

/// Copies the core assets and every plugin's static files into `static_root`.
pub fn collect(static_root: &Path, plugins: &[Discovered]) -> Result<CollectReport> {
    std::fs::create_dir_all(static_root).map_err(|e| Error::io(static_root, e))?;
    let mut report = CollectReport::default();
    for (path, content) in CORE_STATIC {
        write(static_root, path, content, &mut report)?;
    }
    for plugin in plugins {
        for file in &plugin.library.manifest.static_files {
            let content = file.content().map_err(|e| {
                Error::Internal(format!(
                    "plugin '{}': static file '{}' is not valid base64: {e}",
                    plugin.library.manifest.name, file.path
                ))
            })?;
            write(static_root, &file.path, &content, &mut report)?;
        }
    }
    Ok(report)
}

fn write(root: &Path, relative: &str, content: &[u8], report: &mut CollectReport) -> Result<()> {
    let target = contained(root, relative)?;
    if std::fs::read(&target).is_ok_and(|existing| existing == content) {
        report.unmodified.push(relative.to_string());
        return Ok(());
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    // Write beside the target and rename, so a server never serves half a file.
    let temp = target.with_extension("collectstatic-tmp");
    std::fs::write(&temp, content).map_err(|e| Error::io(&temp, e))?;
    std::fs::rename(&temp, &target).map_err(|e| Error::io(&target, e))?;
    report.copied.push(relative.to_string());
    Ok(())
}

/// `root/relative`, refusing anything that would leave `root`.
fn contained(root: &Path, relative: &str) -> Result<PathBuf> {
    let rel = Path::new(relative);
    if relative.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(Error::Internal(format!(
            "refusing to write static file '{relative}' outside STATIC_ROOT"
        )));
    }
    Ok(root.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let core: Vec<&str> = CORE_STATIC.iter().map(|(path, _)| *path).collect();
        assert!(core.contains(&"nautobot/img/favicon.svg"), "{core:?}");
        let first = collect(dir.path(), &[]).unwrap();
        assert_eq!(first.copied, core);
        assert!(first.unmodified.is_empty());
        let second = collect(dir.path(), &[]).unwrap();
        assert!(second.copied.is_empty());
        assert_eq!(second.unmodified, core);
        std::fs::write(dir.path().join("nautobot/css/base.css"), "tampered").unwrap();
        assert_eq!(collect(dir.path(), &[]).unwrap().copied.len(), 1);
    }

    #[test]
    fn paths_cannot_escape_the_root() {
        let root = Path::new("/srv/static");
        assert!(contained(root, "a/b.css").is_ok());
        for bad in ["../x", "/etc/passwd", "a/../../x", ""] {
            assert!(contained(root, bad).is_err(), "{bad}");
        }
    }
}
