//! Opening one plugin library: the file, its digest (and `PLUGINS_SHA256` pin), a private
//! copy, abi_stable's header check, our root module, the ABI version and panic strategy,
//! and the manifest.
//!
//! The server never maps the operator's file: its bytes are read once and loaded from a
//! private copy (an anonymous in-memory file on Linux), so replacing, deleting or
//! half-writing a file in `PLUGINS_DIR` cannot affect a running process — the new file
//! is read at the next start.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use abi_stable::library::{lib_header_from_path, LibraryError};
use nautobot_plugin_abi::{
    AbiVersion, PanicStrategy, PluginManifest, PluginModRef, ROOT_MODULE_NAME,
};

use nautobot_base::load_error::{one_line, LoadError};

/// The major version of `nautobot-plugin-abi` this host speaks.
pub const ABI_MAJOR: u32 = 1;

/// The file name of plugin `name`'s library on this OS (`libname.so` on Linux).
pub fn library_file_name(name: &str) -> String {
    format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        name,
        std::env::consts::DLL_SUFFIX
    )
}

/// A library that passed the binary checks, with its manifest read.
pub struct OpenedLibrary {
    /// The library file.
    pub path: PathBuf,
    /// The plugin's root module, when loaded in this process.
    pub module: Option<PluginModRef>,
    /// The plugin's host process, when isolated (`PLUGINS_ISOLATED`).
    pub isolated: Option<super::isolated::IsolatedPlugin>,
    /// The ABI version it was built against.
    pub abi: AbiVersion,
    /// Its manifest, parsed.
    pub manifest: PluginManifest,
    /// The manifest as the library returned it (for `plugins inspect`).
    pub manifest_json: String,
    /// The SHA-256 digest of the file's bytes as loaded, lower-case hex.
    pub sha256: String,
}

/// The SHA-256 digest of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A private copy of a library's bytes, where the dynamic loader reads them.
struct PrivateCopy {
    path: PathBuf,
    keep: Keep,
}

enum Keep {
    #[cfg(target_os = "linux")]
    Memfd(std::os::fd::OwnedFd),
    Dir(tempfile::TempDir),
}

impl PrivateCopy {
    /// An anonymous in-memory file (`memfd_create`, reached as `/proc/self/fd/N`) where
    /// the platform has one, else a file in a private temporary folder.
    fn of(name: &str, bytes: &[u8]) -> std::io::Result<PrivateCopy> {
        #[cfg(target_os = "linux")]
        if Path::new("/proc/self/fd").is_dir() {
            // Named after the library's file, as /proc/<pid>/maps and the link
            // /proc/self/fd/N show it (a library may read its own name from there).
            if let Ok(fd) = rustix::fs::memfd_create(
                library_file_name(name).as_str(),
                rustix::fs::MemfdFlags::CLOEXEC,
            ) {
                let mut file = std::fs::File::from(fd);
                std::io::Write::write_all(&mut file, bytes)?;
                use std::os::fd::AsRawFd as _;
                let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
                return Ok(PrivateCopy {
                    path,
                    keep: Keep::Memfd(file.into()),
                });
            }
        }
        Self::in_temp_dir(name, bytes)
    }

    /// A file in a private (0700) temporary folder, removed once loaded.
    fn in_temp_dir(name: &str, bytes: &[u8]) -> std::io::Result<PrivateCopy> {
        let dir = tempfile::Builder::new()
            .prefix("nautobot-plugin-")
            .tempdir()?;
        let path = dir.path().join(library_file_name(name));
        std::fs::write(&path, bytes)?;
        Ok(PrivateCopy {
            path,
            keep: Keep::Dir(dir),
        })
    }

    /// Once the loader has been given the copy: an in-memory file stays open for the
    /// life of the process, because the loader knows a library by its path and a closed
    /// descriptor's number (`/proc/self/fd/N`) would be reused by the next copy; a
    /// temporary folder is removed (the mapping outlives the file).
    fn loaded(self) {
        match self.keep {
            #[cfg(target_os = "linux")]
            Keep::Memfd(fd) => std::mem::forget(fd),
            Keep::Dir(dir) => drop(dir),
        }
    }
}

/// Opens the library at `path` for the plugin listed as `plugin`, from a private copy of
/// its bytes; with `pin` (its `PLUGINS_SHA256` entry) the bytes must have that digest,
/// checked before any of the library's code runs. Libraries are never unloaded.
pub fn open(plugin: &str, path: &Path, pin: Option<&str>) -> Result<OpenedLibrary, LoadError> {
    let fail = |problem: &str, expected: &str, found: String| {
        LoadError::new(plugin, Some(path), problem, expected, found)
    };

    if !path.exists() {
        let dir = path
            .parent()
            .map(Path::display)
            .map(|d| d.to_string())
            .unwrap_or_default();
        return Err(fail(
            "library not found",
            &format!("a file at {} (PLUGINS_DIR is {dir})", path.display()),
            "no such file".to_string(),
        ));
    }
    if !path.is_file() {
        return Err(fail(
            "not a loadable library",
            "a shared library file",
            "a directory or special file".to_string(),
        ));
    }

    let bytes = std::fs::read(path).map_err(|e| {
        fail(
            "library cannot be read",
            "a file the server may read",
            e.to_string(),
        )
    })?;
    let sha256 = sha256_hex(&bytes);
    if let Some(pinned) = pin {
        if !pinned.eq_ignore_ascii_case(&sha256) {
            return Err(fail(
                "library differs from its PLUGINS_SHA256 pin",
                &format!("sha256 {pinned}"),
                format!("sha256 {sha256}"),
            ));
        }
    }
    // A file cut short maps without complaint and kills the process with SIGBUS when
    // the loader reads past its end: look at its headers first.
    if let Some(found) = super::elf::problem(&bytes) {
        return Err(fail(
            "not a loadable library",
            &format!(
                "a shared library for {}-{}",
                std::env::consts::OS,
                std::env::consts::ARCH
            ),
            format!("a file the loader refuses ({found})"),
        ));
    }
    let copy = PrivateCopy::of(plugin, &bytes).map_err(|e| {
        fail(
            "cannot make a private copy of the library",
            "a writable temporary folder (TMPDIR)",
            e.to_string(),
        )
    })?;
    let loaded = lib_header_from_path(&copy.path);
    let copy_path = copy.path.clone();
    copy.loaded();
    let header = loaded.map_err(|err| match &err {
        LibraryError::OpenError { err: cause, .. } => fail(
            "not a loadable library",
            &format!("a shared library for {}-{}", std::env::consts::OS, std::env::consts::ARCH),
            format!(
                "a file the loader refuses ({})",
                strip_path(&cause.to_string(), &copy_path)
            ),
        ),
        LibraryError::GetSymbolError { .. } => fail(
            "not a Nautobot plugin",
            &format!(
                "a library exporting the {ROOT_MODULE_NAME} root module (built with nautobot-plugin-abi's export_plugin!)"
            ),
            "a library without an abi_stable root module".to_string(),
        ),
        other => abi_failure(plugin, path, other),
    })?;

    let consts = header.root_mod_consts();
    if consts.name().as_str() != ROOT_MODULE_NAME {
        return Err(fail(
            "not a Nautobot plugin",
            &format!("a library exporting the {ROOT_MODULE_NAME} root module"),
            format!("the abi_stable root module '{}'", consts.name().as_str()),
        ));
    }
    let version = consts.version_strings().version.as_str();
    let found_major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    if found_major != Some(ABI_MAJOR) {
        return Err(fail(
            "built for an incompatible plugin ABI",
            &format!("nautobot-plugin-abi {ABI_MAJOR}.x"),
            format!("nautobot-plugin-abi {version}"),
        ));
    }

    let module = header
        .init_root_module::<PluginModRef>()
        .map_err(|err| abi_failure(plugin, path, &err))?;

    let abi = (module.abi_version())();
    if abi.major != ABI_MAJOR {
        return Err(fail(
            "built for an incompatible plugin ABI",
            &format!("nautobot-plugin-abi {ABI_MAJOR}.x"),
            format!(
                "nautobot-plugin-abi {}.{}.{}",
                abi.major, abi.minor, abi.patch
            ),
        ));
    }
    if abi.panic_strategy != PanicStrategy::Unwind {
        return Err(fail(
            "built with panic = \"abort\"",
            "panic = \"unwind\", so that a panic in the plugin cannot stop the server",
            "panic = \"abort\" (remove it from the plugin's Cargo profile)".to_string(),
        ));
    }

    let manifest_json: String = match (module.manifest_json())().into_result() {
        Ok(json) => json.into(),
        Err(err) => {
            return Err(fail(
                "cannot produce its manifest",
                "manifest_json to return the manifest",
                format!("{err}"),
            ))
        }
    };
    let manifest = parse_manifest(plugin, path, &manifest_json)?;

    Ok(OpenedLibrary {
        path: path.to_path_buf(),
        module: Some(module),
        isolated: None,
        abi,
        manifest,
        manifest_json,
        sha256,
    })
}

/// Reads the manifest plugin `plugin`'s library at `path` returned (`manifest_json`):
/// what is not a manifest is refused in one line naming serde's complaint. The checks of
/// what it says come after (`checks::check_manifest`).
pub fn parse_manifest(plugin: &str, path: &Path, json: &str) -> Result<PluginManifest, LoadError> {
    serde_json::from_str(json).map_err(|err| {
        LoadError::new(
            plugin,
            Some(path),
            "invalid manifest",
            "a JSON plugin manifest",
            format!("{err}"),
        )
    })
}

/// Starts the host process of an isolated plugin (`PLUGINS_ISOLATED`) for the library at
/// `path`, which loads and checks it there (pin included): nothing of the library runs in
/// this process.
pub fn open_isolated(
    plugin: &str,
    path: &Path,
    pin: Option<&str>,
) -> Result<OpenedLibrary, LoadError> {
    let (isolated, hello) = super::isolated::IsolatedPlugin::start(plugin, path, pin)?;
    let manifest = parse_manifest(plugin, path, &hello.manifest_json)?;
    Ok(OpenedLibrary {
        path: path.to_path_buf(),
        module: None,
        isolated: Some(isolated),
        abi: hello.abi,
        manifest,
        manifest_json: hello.manifest_json,
        sha256: hello.sha256,
    })
}

/// Maps abi_stable's multi-line errors to one line, keeping the report for `--verbose`.
fn abi_failure(plugin: &str, path: &Path, err: &LibraryError) -> LoadError {
    let (problem, expected, found) = match err {
        LibraryError::IncompatibleVersionNumber { actual_version, .. } => (
            "built for an incompatible plugin ABI",
            format!("nautobot-plugin-abi {ABI_MAJOR}.x"),
            format!("nautobot-plugin-abi {actual_version}"),
        ),
        LibraryError::AbiInstability(_) => (
            "incompatible plugin ABI layout",
            format!("the layout of nautobot-plugin-abi {ABI_MAJOR}.x"),
            "a library whose root module has another layout (run with --verbose for abi_stable's report)"
                .to_string(),
        ),
        LibraryError::InvalidAbiHeader(_) => (
            "built with an incompatible abi_stable",
            "a library built with abi_stable 0.11".to_string(),
            "another abi_stable header".to_string(),
        ),
        LibraryError::InvalidCAbi { .. } => (
            "built by an incompatible compiler",
            "the C ABI of this host's compiler".to_string(),
            "a different C ABI".to_string(),
        ),
        LibraryError::RootModule { err, .. } => (
            "root module failed to initialise",
            "the library's root module to load".to_string(),
            one_line(&err.to_string()),
        ),
        other => (
            "cannot be loaded",
            "a nautobot-plugin-abi 1.x library".to_string(),
            one_line(&other.to_string()),
        ),
    };
    LoadError::new(plugin, Some(path), problem, expected, found).with_detail(err.to_string())
}

/// dlopen's messages repeat the path; the line already names the file.
fn strip_path(message: &str, path: &Path) -> String {
    let text = message.replace(&format!("{}: ", path.display()), "");
    one_line(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_names_follow_the_platform() {
        if cfg!(target_os = "linux") {
            assert_eq!(library_file_name("example_plugin"), "libexample_plugin.so");
        }
    }

    #[test]
    fn a_missing_file_names_the_path_searched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(library_file_name("ghost"));
        let err = match open("ghost", &path, None) {
            Err(e) => e,
            Ok(_) => panic!("a missing file must not load"),
        };
        let message = err.to_string();
        assert!(message.starts_with(&format!("Plugin 'ghost' ({})", path.display())));
        assert!(message.contains("library not found: expected a file at"));
        assert!(message.ends_with("found no such file"));
    }

    #[test]
    fn private_copies_hold_the_bytes_and_folders_go_once_loaded() {
        let copy = PrivateCopy::of("demo", b"some bytes").unwrap();
        assert_eq!(std::fs::read(&copy.path).unwrap(), b"some bytes");
        if cfg!(target_os = "linux") {
            assert!(copy.path.starts_with("/proc/self/fd/"), "{:?}", copy.path);
        }
        copy.loaded();

        let copy = PrivateCopy::in_temp_dir("demo", b"other bytes").unwrap();
        assert_eq!(std::fs::read(&copy.path).unwrap(), b"other bytes");
        assert!(copy.path.ends_with(library_file_name("demo")));
        let dir = copy.path.parent().unwrap().to_path_buf();
        copy.loaded();
        assert!(!dir.exists());
    }

    #[test]
    fn a_pinned_digest_is_checked_before_loading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(library_file_name("pinned"));
        std::fs::write(&path, "not even a library").unwrap();
        let err = match open("pinned", &path, Some(&"0".repeat(64))) {
            Err(e) => e,
            Ok(_) => panic!("a pinned digest that differs must refuse"),
        };
        assert_eq!(err.problem, "library differs from its PLUGINS_SHA256 pin");
        assert!(err.to_string().ends_with(&format!(
            "found sha256 {}",
            sha256_hex(b"not even a library")
        )));
    }

    #[test]
    fn a_text_file_is_not_a_loadable_library() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(library_file_name("garbage"));
        std::fs::write(&path, "this is not a shared library").unwrap();
        let err = match open("garbage", &path, None) {
            Err(e) => e,
            Ok(_) => panic!("a text file must not load"),
        };
        assert_eq!(err.problem, "not a loadable library");
        assert!(!err.to_string().contains('\n'));
    }
}
