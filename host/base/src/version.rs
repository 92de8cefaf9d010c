//! Versions the server reports: its own, its REST API's, and the toolchain's.

/// The server's version, compared with plugins' `min_version` / `max_version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The REST API version sent in the `API-Version` header (Nautobot's numbering, which
/// clients such as pynautobot check).
pub const API_VERSION: &str = "2.4";

/// The compiler that built the server (plugins should be built with the same one).
pub const RUSTC_VERSION: &str = env!("NAUTOBOT_RUSTC_VERSION");

/// The host's version as a semver value.
pub fn host_version() -> semver::Version {
    semver::Version::parse(VERSION).expect("the crate version is valid semver")
}
