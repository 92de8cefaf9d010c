//! `nautobot-server plugins new NAME`: writes a plugin crate that builds, loads and passes
//! its tests as it is — a model with its migration, a UI view with its template and
//! static file, an API view, a job, a menu, unit tests, end-to-end tests with the test kit
//! `nautobot-plugin-test`, and a README with the build, test and install steps.
//!
//! The files are templates embedded in the binary (`template/`), with `__NAME__`-style
//! placeholders filled in by [`render`].

use std::path::{Path, PathBuf};

use nautobot_base::error::{Error, Result};
use nautobot_base::names::{is_valid_plugin_name, RESERVED_BASE_URLS, RESERVED_NAMES};
use nautobot_base::version::VERSION;

const CARGO_TOML: &str = include_str!("template/Cargo.toml.tmpl");
const LIB_RS: &str = include_str!("template/lib.rs.tmpl");
const PLUGIN_TEST_RS: &str = include_str!("template/plugin_test.rs.tmpl");
const HOME_HTML: &str = include_str!("template/home.html.tmpl");
const PLUGIN_CSS: &str = include_str!("template/plugin.css.tmpl");
const README_MD: &str = include_str!("template/README.md.tmpl");
const GITIGNORE: &str = include_str!("template/gitignore.tmpl");

/// Names cargo or rustc refuse (or that shadow a built-in crate) as a package name.
const RUST_RESERVED: &[&str] = &[
    "abstract",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "core",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc_macro",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "union",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

/// Where the new crate's two dependencies come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependencies {
    /// The `nautobot-plugin-abi = …` line of `[dependencies]`.
    pub abi: String,
    /// The `nautobot-plugin-test = …` line of `[dev-dependencies]`.
    pub test_kit: String,
    /// A `Cargo.lock` to copy into the crate, so that cargo picks the versions already
    /// downloaded for that checkout and can build offline.
    pub lockfile: Option<PathBuf>,
    /// One line saying where they come from, for the command's output.
    pub description: String,
}

/// What [`create`] wrote.
#[derive(Debug)]
pub struct Created {
    /// The crate's folder.
    pub dir: PathBuf,
    /// The files written, relative to `dir`.
    pub files: Vec<PathBuf>,
    /// Where its dependencies come from.
    pub dependencies: Dependencies,
}

/// Refuses names that could not be a plugin's or a crate's.
pub fn check_name(name: &str) -> Result<()> {
    if !is_valid_plugin_name(name) {
        return Err(Error::Usage(format!(
            "invalid plugin name '{name}': expected lower-case letters, digits and _ \
             starting with a letter ([a-z][a-z0-9_]*), e.g. my_plugin"
        )));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(Error::Usage(format!(
            "invalid plugin name '{name}': it is reserved for a core application; \
             choose another name"
        )));
    }
    if RUST_RESERVED.contains(&name) {
        return Err(Error::Usage(format!(
            "invalid plugin name '{name}': it is a Rust keyword or built-in crate name, \
             which cargo refuses as a package name; choose another name"
        )));
    }
    let base_url = base_url(name);
    if RESERVED_BASE_URLS.contains(&base_url.as_str()) {
        return Err(Error::Usage(format!(
            "invalid plugin name '{name}': its base URL '{base_url}' is reserved; \
             choose another name"
        )));
    }
    Ok(())
}

/// The plugin's base URL: the name with `_` as `-` (what `PluginBuilder::new` defaults to).
fn base_url(name: &str) -> String {
    name.replace('_', "-")
}

/// `my_plugin` → `My Plugin`.
fn title(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A path as a TOML string.
fn toml_path(path: &Path) -> String {
    toml::Value::String(path.display().to_string()).to_string()
}

/// The checkout of this repository the server was built from, if it is still there: two
/// levels above this crate's folder (`host/server`) at build time, with a `plugin-abi/`
/// crate in it.
pub fn build_checkout() -> Option<PathBuf> {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2)?;
    checkout
        .join("plugin-abi")
        .join("Cargo.toml")
        .is_file()
        .then(|| checkout.to_path_buf())
}

/// The dependencies of a new crate: from `abi_path` when given (the test kit beside it,
/// `<abi_path>/../plugin-test`), else from the checkout the server was built from, else
/// from crates.io.
pub fn dependencies(abi_path: Option<&Path>) -> Result<Dependencies> {
    let abi = match abi_path {
        Some(path) => {
            if !path.is_dir() {
                return Err(Error::Usage(format!(
                    "--abi-path {}: no such directory (expected the plugin-abi folder of a \
                     nautobot-server checkout)",
                    path.display()
                )));
            }
            if !path.join("Cargo.toml").is_file() {
                return Err(Error::Usage(format!(
                    "--abi-path {}: no Cargo.toml there (expected the plugin-abi folder of a \
                     nautobot-server checkout)",
                    path.display()
                )));
            }
            Some(
                std::fs::canonicalize(path)
                    .map_err(|e| Error::io(path, format!("cannot resolve the path: {e}")))?,
            )
        }
        None => build_checkout().map(|checkout| {
            let abi = checkout.join("plugin-abi");
            std::fs::canonicalize(&abi).unwrap_or(abi)
        }),
    };
    let Some(abi) = abi else {
        return Ok(Dependencies {
            abi: "# From crates.io. With a checkout of nautobot-server, use\n\
                  # { path = \"<checkout>/plugin-abi\" } instead.\n\
                  nautobot-plugin-abi = \"1\""
                .to_string(),
            test_kit: "nautobot-plugin-test = \"1\"".to_string(),
            lockfile: None,
            description: "nautobot-plugin-abi and nautobot-plugin-test 1.x from crates.io \
                          (the checkout this server was built from is gone)"
                .to_string(),
        });
    };
    let checkout = abi.parent().map(Path::to_path_buf);
    let kit = checkout
        .as_ref()
        .map(|c| c.join("plugin-test"))
        .filter(|k| k.join("Cargo.toml").is_file());
    let lockfile = checkout
        .as_ref()
        .map(|c| c.join("Cargo.lock"))
        .filter(|l| l.is_file());
    let test_kit = match &kit {
        Some(kit) => format!("nautobot-plugin-test = {{ path = {} }}", toml_path(kit)),
        None => "# From crates.io: no plugin-test folder beside the plugin-abi one.\n\
                 nautobot-plugin-test = \"1\""
            .to_string(),
    };
    Ok(Dependencies {
        abi: format!("nautobot-plugin-abi = {{ path = {} }}", toml_path(&abi)),
        test_kit,
        lockfile,
        description: format!(
            "nautobot-plugin-abi from {}{}",
            abi.display(),
            match &kit {
                Some(kit) => format!(", nautobot-plugin-test from {}", kit.display()),
                None => ", nautobot-plugin-test 1.x from crates.io".to_string(),
            }
        ),
    })
}

/// Fills a template's placeholders.
pub fn render(template: &str, name: &str, deps: &Dependencies) -> String {
    let major = VERSION.split('.').next().unwrap_or("1");
    template
        .replace("__NAME__", name)
        .replace("__BASE_URL__", &base_url(name))
        .replace("__TITLE__", &title(name))
        .replace("__MIN_VERSION__", VERSION)
        .replace("__MAX_VERSION__", &format!("{major}.99.99"))
        .replace("__ABI_DEPENDENCY__", &deps.abi)
        .replace("__TEST_DEPENDENCY__", &deps.test_kit)
}

/// The files of a new crate: relative path and content.
pub fn files(name: &str, deps: &Dependencies) -> Vec<(PathBuf, String)> {
    let r = |t: &str| render(t, name, deps);
    vec![
        (PathBuf::from("Cargo.toml"), r(CARGO_TOML)),
        (PathBuf::from(".gitignore"), r(GITIGNORE)),
        (PathBuf::from("README.md"), r(README_MD)),
        (PathBuf::from("src/lib.rs"), r(LIB_RS)),
        (
            Path::new("templates").join(name).join("home.html"),
            r(HOME_HTML),
        ),
        (
            Path::new("static").join(name).join(format!("{name}.css")),
            r(PLUGIN_CSS),
        ),
        (PathBuf::from("tests/plugin.rs"), r(PLUGIN_TEST_RS)),
    ]
}

/// Writes plugin crate `name` into `parent/name` (which must not exist, or be empty).
pub fn create(name: &str, parent: &Path, abi_path: Option<&Path>) -> Result<Created> {
    check_name(name)?;
    let dependencies = dependencies(abi_path)?;
    let dir = parent.join(name);
    if dir.exists() {
        let empty = dir.is_dir()
            && std::fs::read_dir(&dir)
                .map_err(|e| Error::io(&dir, e))?
                .next()
                .is_none();
        if !empty {
            return Err(Error::Usage(format!(
                "{} already exists and is not empty: choose another name or --path",
                dir.display()
            )));
        }
    }
    let mut written = Vec::new();
    for (relative, content) in files(name, &dependencies) {
        let path = dir.join(&relative);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
        }
        std::fs::write(&path, content).map_err(|e| Error::io(&path, e))?;
        written.push(relative);
    }
    format_sources(&dir, &written);
    if let Some(lock) = &dependencies.lockfile {
        let target = dir.join("Cargo.lock");
        std::fs::copy(lock, &target).map_err(|e| Error::io(&target, e))?;
        written.push(PathBuf::from("Cargo.lock"));
    }
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    Ok(Created {
        dir,
        files: written,
        dependencies,
    })
}

/// Runs `rustfmt` on the Rust files written, when it is installed, so that the crate
/// passes `cargo fmt --check` whatever the length of its name. Without rustfmt the
/// files stay as the templates lay them out, which compiles all the same.
fn format_sources(dir: &Path, files: &[PathBuf]) {
    let sources: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
        .map(|f| dir.join(f))
        .collect();
    let _ = std::process::Command::new("rustfmt")
        .args(["--edition", "2021"])
        .args(&sources)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Dependencies {
        Dependencies {
            abi: "nautobot-plugin-abi = { path = \"/x/plugin-abi\" }".into(),
            test_kit: "nautobot-plugin-test = { path = \"/x/plugin-test\" }".into(),
            lockfile: None,
            description: String::new(),
        }
    }

    #[test]
    fn names_are_checked() {
        check_name("my_plugin").unwrap();
        check_name("a1").unwrap();
        for bad in [
            "",
            "My",
            "1a",
            "my-plugin",
            "_x",
            "a b",
            "dcim",
            "type",
            "test",
        ] {
            let err = check_name(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(err.to_string().contains("invalid plugin name"), "{err}");
        }
        assert!(check_name("installed_plugins")
            .unwrap_err()
            .to_string()
            .contains("base URL 'installed-plugins' is reserved"));
    }

    #[test]
    fn titles_and_base_urls_follow_the_name() {
        assert_eq!(title("my_plugin"), "My Plugin");
        assert_eq!(title("a__b2"), "A B2");
        assert_eq!(base_url("my_plugin"), "my-plugin");
    }

    #[test]
    fn every_placeholder_is_filled() {
        for (path, content) in files("my_plugin", &local()) {
            assert!(
                !content.contains("__NAME__")
                    && !content.contains("__TITLE__")
                    && !content.contains("__BASE_URL__")
                    && !content.contains("_DEPENDENCY__")
                    && !content.contains("_VERSION__"),
                "{}",
                path.display()
            );
        }
        let files = files("my_plugin", &local());
        let cargo = &files[0].1;
        assert!(cargo.contains("name = \"my_plugin\""));
        assert!(cargo.contains("crate-type = [\"cdylib\", \"rlib\"]"));
        assert!(cargo.contains("\n[workspace]\n"));
        assert!(cargo.contains("nautobot-plugin-abi = { path = \"/x/plugin-abi\" }"));
        let lib = &files[3].1;
        assert!(lib.contains("PluginBuilder::new(\"my_plugin\")"));
        assert!(lib.contains(".base_url(\"my-plugin\")"));
        assert!(lib.contains(&format!(".min_version(\"{VERSION}\")")));
        assert!(lib.contains("include_str!(\"../templates/my_plugin/home.html\")"));
        assert!(lib.contains("include_bytes!(\"../static/my_plugin/my_plugin.css\")"));
        let paths: Vec<_> = files.iter().map(|(p, _)| p.clone()).collect();
        assert!(paths.contains(&PathBuf::from("templates/my_plugin/home.html")));
        assert!(paths.contains(&PathBuf::from("static/my_plugin/my_plugin.css")));
    }

    #[test]
    fn by_default_the_build_checkout_is_used() {
        // Unit tests run from the checkout, which is there.
        let deps = dependencies(None).unwrap();
        let checkout = build_checkout().expect("the checkout the tests run in");
        let checkout = checkout.canonicalize().unwrap();
        assert!(deps
            .abi
            .contains(&checkout.join("plugin-abi").display().to_string()));
        assert!(deps
            .test_kit
            .contains(&checkout.join("plugin-test").display().to_string()));
        assert_eq!(deps.lockfile, Some(checkout.join("Cargo.lock")));
    }

    #[test]
    fn an_abi_path_must_be_a_crate_folder() {
        let dir = tempfile::tempdir().unwrap();
        let err = dependencies(Some(&dir.path().join("missing"))).unwrap_err();
        assert!(err.to_string().contains("no such directory"), "{err}");
        assert_eq!(err.exit_code(), 2);
        let err = dependencies(Some(dir.path())).unwrap_err();
        assert!(err.to_string().contains("no Cargo.toml"), "{err}");
        // A plugin-abi without a plugin-test beside it: the kit comes from crates.io.
        let abi = dir.path().join("plugin-abi");
        std::fs::create_dir(&abi).unwrap();
        std::fs::write(abi.join("Cargo.toml"), "").unwrap();
        let deps = dependencies(Some(&abi)).unwrap();
        assert!(deps.abi.starts_with("nautobot-plugin-abi = { path = "));
        assert!(deps.test_kit.ends_with("nautobot-plugin-test = \"1\""));
        assert_eq!(deps.lockfile, None);
    }

    #[test]
    fn an_existing_folder_is_refused_unless_empty() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("taken")).unwrap();
        std::fs::write(dir.path().join("taken/keep.txt"), "mine").unwrap();
        let err = create("taken", dir.path(), None).unwrap_err();
        assert!(err.to_string().contains("already exists and is not empty"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("taken/keep.txt")).unwrap(),
            "mine"
        );
        std::fs::create_dir(dir.path().join("empty")).unwrap();
        let created = create("empty", dir.path(), None).unwrap();
        assert!(created.dir.join("src/lib.rs").is_file());
        assert!(created.files.contains(&PathBuf::from("Cargo.lock")));
    }
}
