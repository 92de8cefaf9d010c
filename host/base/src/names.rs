//! The naming rules of plugins, which the settings (`PLUGINS`), the manifest checks,
//! the model checks and the scaffold (`plugins new`) all apply.

/// Names a plugin cannot take: the core application's app labels and URL prefixes,
/// whose templates, static files and tables the host owns.
pub const RESERVED_NAMES: &[&str] = &[
    "admin",
    "api",
    "apps",
    "auth",
    "circuits",
    "cloud",
    "core",
    "dcim",
    "django",
    "extras",
    "generic",
    "graphql",
    "health",
    "inc",
    "ipam",
    "login",
    "logout",
    "media",
    "nautobot",
    "plugins",
    "static",
    "template",
    "templates",
    "tenancy",
    "users",
    "virtualization",
    "vpn",
    "wireless",
];

/// Base URLs the host itself uses under `/plugins/` and `/api/plugins/`.
pub const RESERVED_BASE_URLS: &[&str] = &["installed-plugins"];

/// Whether `name` is a valid plugin name (`[a-z][a-z0-9_]*`).
pub fn is_valid_plugin_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Whether `base_url` is a valid base URL (`[a-z0-9-]+`).
pub fn is_valid_base_url(base_url: &str) -> bool {
    !base_url.is_empty()
        && base_url
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
