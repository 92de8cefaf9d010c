//! Plugins: find each library in `PLUGINS_DIR`, check it, order by dependency, merge its
//! settings, instantiate it, and call into it safely.
//!
//! Loading follows DESIGN.md "Loading": every failure is a [`LoadError`] whose message
//! is one line naming the plugin, the file, what was expected and what was found.

mod checks;
pub mod deadline;
mod deps;
mod error;
mod hooks;
pub mod isolated;
mod library;
mod loader;
#[cfg(test)]
mod manifest_props;
mod registry;
mod services;

pub use checks::{is_valid_base_url, is_valid_plugin_name, RESERVED_BASE_URLS, RESERVED_NAMES};
pub use error::{LoadError, LoadErrorDetails};
pub use hooks::PluginHooks;
pub use library::{library_file_name, open, sha256_hex, OpenedLibrary, ABI_MAJOR};
pub use loader::{check_library, discover, instantiate, library_path, CheckedLibrary, Discovered};
pub use registry::{view_url, Instance, LoadedPlugin, PluginLinks, PluginRegistry};
pub use services::{CallServices, DataAccess, JobRun};
