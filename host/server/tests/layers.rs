//! The crate graph docs/architecture.md describes ("Crates"): the server's crates under
//! `host/` are listed in `[workspace.dependencies]` from the bottom layer up, and each
//! may depend only on crates listed before it. Cargo refuses cycles by itself; this
//! also refuses an edge that points up the list (a lower layer reaching into a higher
//! one, even without a cycle yet) and a crate grown past the size that keeps a rebuild
//! of it quick.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

/// The most lines of Rust one crate of the host may hold.
const MAX_LINES: usize = 9_000;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("host/server is two levels below the workspace")
        .to_path_buf()
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The host's crates in layer order: (package name, folder), as the workspace's
/// `[workspace.dependencies]` lists them (read as text: a TOML table has no order).
fn layers() -> Vec<(String, PathBuf)> {
    let root = workspace();
    let text = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut layers = Vec::new();
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line == "[workspace.dependencies]";
            continue;
        }
        if !in_section {
            continue;
        }
        let Some((name, spec)) = line.split_once(" = ") else {
            continue;
        };
        let spec: toml::Table = format!("spec = {spec}").parse().expect("a dependency spec");
        if let Some(path) = spec["spec"].get("path").and_then(|p| p.as_str()) {
            if path.starts_with("host/") {
                layers.push((name.to_string(), root.join(path)));
            }
        }
    }
    // The binary's crate is the top; nothing depends on it.
    layers.push(("nautobot-server".to_string(), root.join("host/server")));
    layers
}

/// Every dependency a manifest names, in any section.
fn dependencies(manifest: &toml::Table) -> Vec<String> {
    ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .filter_map(|section| manifest.get(*section)?.as_table())
        .flat_map(|table| {
            table.iter().map(|(name, spec)| {
                spec.get("package")
                    .and_then(|p| p.as_str())
                    .unwrap_or(name)
                    .to_string()
            })
        })
        .collect()
}

fn rust_lines(dir: &Path) -> usize {
    let mut lines = 0;
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            lines += rust_lines(&path);
        } else if path.extension().is_some_and(|e| e == "rs") {
            lines += std::fs::read_to_string(&path).unwrap().lines().count();
        }
    }
    lines
}

#[test]
fn every_host_crate_is_a_layer_and_every_folder_a_crate() {
    let layers = layers();
    let mut folders: Vec<PathBuf> = std::fs::read_dir(workspace().join("host"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    folders.sort();
    let mut listed: Vec<PathBuf> = layers.iter().map(|(_, p)| p.clone()).collect();
    listed.sort();
    assert_eq!(
        folders, listed,
        "each crate under host/ is listed in [workspace.dependencies] (the layer order)"
    );
    for (name, folder) in &layers {
        let manifest = read_toml(&folder.join("Cargo.toml"));
        assert_eq!(
            manifest["package"]["name"].as_str(),
            Some(name.as_str()),
            "{}",
            folder.display()
        );
    }
}

#[test]
fn dependencies_run_down_the_layers_only() {
    let layers = layers();
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i))
        .collect();
    let mut upward = Vec::new();
    for (i, (name, folder)) in layers.iter().enumerate() {
        let manifest = read_toml(&folder.join("Cargo.toml"));
        for dep in dependencies(&manifest) {
            if let Some(&j) = rank.get(dep.as_str()) {
                if j >= i {
                    upward.push(format!("{name} -> {dep}"));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "these dependencies point up the layers (move the piece down, or pass it in from above): {upward:?}"
    );
}

#[test]
fn the_ui_and_the_api_are_siblings() {
    // An edit of one rebuilds only the web layer and the binary, not the other.
    for (crate_dir, other) in [("ui", "nautobot-api"), ("api", "nautobot-ui")] {
        let manifest = read_toml(&workspace().join("host").join(crate_dir).join("Cargo.toml"));
        assert!(
            !dependencies(&manifest).contains(&other.to_string()),
            "host/{crate_dir} depends on {other}"
        );
    }
}

#[test]
fn no_crate_of_the_host_is_above_the_size_limit() {
    let mut over = Vec::new();
    for (name, folder) in layers() {
        let lines = rust_lines(&folder.join("src"));
        assert!(lines > 0, "{name} has Rust sources");
        if lines > MAX_LINES {
            over.push(format!("{name}: {lines} lines"));
        }
    }
    assert!(
        over.is_empty(),
        "split these crates (at most {MAX_LINES} lines each): {over:?}"
    );
}
