//! The end-to-end harness: a temporary `NAUTOBOT_ROOT` with real plugin libraries, the
//! real `nautobot-server` binary run as a command or as a server on a free loopback
//! port, a fresh database per test on SQLite or PostgreSQL, and a small HTTP client that
//! keeps cookies like a browser.
//!
//! `scripts/test` builds the binary and the plugin fixtures first (`cargo test` does not
//! build other crates' cdylibs) and copies the libraries to `target/test-plugins/`.

pub mod data;
pub mod db;
pub mod http;
pub mod paths;
pub mod python;
pub mod root;
pub mod server;
pub mod webdriver;

pub use db::{Backend, TestDatabase};
pub use http::{Client, Response};
pub use root::{Output, Root};
pub use server::Server;

/// The token key the harness gives the `admin` superuser.
pub const ADMIN_TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

/// The plugins this repository ships, as `scripts/demo` installs them.
pub const SHIPPED_PLUGINS: [&str; 4] = [
    "example_plugin",
    "data_validation",
    "device_lifecycle",
    "lifecycle_reports",
];

/// A root on `backend` with `plugins` installed ([`Root::install`]: migrated, static files
/// collected, `admin` created), and its server started.
pub fn start(backend: Backend, plugins: &[&str]) -> (Root, Server) {
    let mut root = Root::new(backend);
    root.plugins(plugins);
    root.install();
    let server = root.start();
    (root, server)
}

/// Generates one test per database backend from `fn name(backend: Backend)`.
///
/// ```text
/// both_backends!(login_works);
/// fn login_works(backend: Backend) { … }
/// ```
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::Backend::Sqlite);
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(backend) = $crate::Backend::postgres_or_skip(stringify!($name)) {
                        super::$name(backend);
                    }
                }
            )+
        }
    };
}
