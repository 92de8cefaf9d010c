//! Plugins: find each library in `PLUGINS_DIR`, check it, order by dependency, merge its
//! settings, instantiate it, and call into it safely.
//!
//! Loading (docs/operations.md "Plugin load errors"): every failure is a [`LoadError`] whose message
//! is one line naming the plugin, the file, what was expected and what was found.

mod checks;
pub mod deadline;
mod deps;
mod elf;
mod hooks;
pub mod isolated;
mod library;
mod loader;
mod offload;
mod registry;
mod services;
pub mod templates;

pub use checks::{check_manifest, merge_settings};
pub use hooks::PluginHooks;
pub use library::{library_file_name, open, parse_manifest, sha256_hex, OpenedLibrary, ABI_MAJOR};
pub use loader::{check_library, discover, instantiate, library_path, CheckedLibrary, Discovered};
pub use nautobot_base::{LoadError, LoadErrorDetails};
pub use registry::{view_url, Instance, LoadedPlugin, PluginLinks, PluginRegistry};
pub use services::{CallServices, DataAccess, JobLog, JobRun};
