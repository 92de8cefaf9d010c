//! The layering docs/architecture.md describes: `ui/`, `api/` and `jobs/` build on
//! `app/` (state, request context) and never import `web/`, the layer that assembles
//! them into the server.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `text` names the crate's `web` module in a path or a `use crate::{…}` tree.
fn imports_web(text: &str) -> bool {
    text.contains("crate::web")
        || text.split("use crate::{").skip(1).any(|tree| {
            let tree = &tree[..tree.find("};").unwrap_or(tree.len())];
            tree.split([',', '{', '}', ' ', '\n'])
                .any(|part| part == "web" || part.starts_with("web::"))
        })
}

#[test]
fn the_check_sees_both_spellings() {
    assert!(imports_web("use crate::web::request;"));
    assert!(imports_web(
        "use crate::{\n    db,\n    web::{request, AppState},\n};"
    ));
    assert!(!imports_web(
        "use actix_web::{web, HttpRequest};\nuse crate::{app, db};"
    ));
}

#[test]
fn ui_api_jobs_and_app_do_not_import_the_web_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    for layer in ["ui", "api", "jobs", "app"] {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "src/{layer} has Rust files");
        for file in files {
            if imports_web(&std::fs::read_to_string(&file).unwrap()) {
                offenders.push(file.strip_prefix(&src).unwrap().display().to_string());
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "these files import web/ (use app/ instead): {offenders:?}"
    );
}
