//! Settings: `nautobot_config.toml`, `NAUTOBOT_<KEY>` overrides, defaults, validation.
//!
//! The file is found at `--config PATH`, else `$NAUTOBOT_CONFIG`, else
//! `$NAUTOBOT_ROOT/nautobot_config.toml` (`NAUTOBOT_ROOT` defaults to `~/.nautobot`).
//! Keys use Nautobot's names. A value of the wrong type stops start-up with a message
//! naming the key and the expected type; an unknown key is warned about.

mod values;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

pub use values::{Kind, Typed};

use nautobot_base::error::{Error, Result};

/// The default of `PLUGIN_CALL_TIMEOUT`, in seconds.
pub const DEFAULT_PLUGIN_CALL_TIMEOUT: u64 = 30;

/// The settings the server knows and their types (`config/nautobot_config.toml`
/// documents each).
pub const KEYS: &[(&str, Kind)] = &[
    ("SECRET_KEY", Kind::Str),
    ("ALLOWED_HOSTS", Kind::StrList),
    ("DATABASE_URL", Kind::Str),
    ("DATABASE_POOL_SIZE", Kind::UInt),
    ("SQLITE_CACHE_SIZE", Kind::UInt),
    ("SQLITE_MMAP_SIZE", Kind::UInt),
    ("PLUGINS", Kind::StrList),
    ("PLUGINS_DIR", Kind::Str),
    ("PLUGINS_CONFIG", Kind::Table),
    ("PLUGINS_SHA256", Kind::Table),
    ("PLUGINS_ISOLATED", Kind::StrList),
    ("STATIC_ROOT", Kind::Str),
    ("STATIC_URL", Kind::Str),
    ("LOGIN_REQUIRED", Kind::Bool),
    ("LOG_LEVEL", Kind::Str),
    ("SESSION_COOKIE_AGE", Kind::UInt),
    ("SESSION_COOKIE_SECURE", Kind::Bool),
    ("EXEMPT_VIEW_PERMISSIONS", Kind::StrList),
    ("JOBS_AUTO_ENABLE", Kind::Bool),
    ("PLUGIN_CALL_TIMEOUT", Kind::UInt),
    ("LOGIN_FAILURE_LIMIT", Kind::UInt),
    ("LOGIN_FAILURE_LIMIT_PER_ADDRESS", Kind::UInt),
    ("LOGIN_FAILURE_WINDOW", Kind::UInt),
    ("CONTENT_SECURITY_POLICY", Kind::Str),
    ("MAX_FILTER_VALUES", Kind::UInt),
    ("PLUGINS_ISOLATED_WORKERS", Kind::UInt),
    ("PLUGIN_MAX_CONCURRENT_CALLS", Kind::UInt),
    ("DATABASE_STATEMENT_TIMEOUT", Kind::UInt),
    ("DATA_UPLOAD_MAX_MEMORY_SIZE", Kind::UInt),
];

/// `MAX_FILTER_VALUES` when not set: query parameters (filter values) per request.
pub const DEFAULT_MAX_FILTER_VALUES: u64 = 1000;
/// `PLUGINS_ISOLATED_WORKERS` when not set: host processes per isolated plugin.
pub const DEFAULT_PLUGINS_ISOLATED_WORKERS: u64 = 2;
/// `PLUGIN_MAX_CONCURRENT_CALLS` when not set: calls in flight per in-process plugin.
pub const DEFAULT_PLUGIN_MAX_CONCURRENT_CALLS: u64 = 32;
/// `DATABASE_STATEMENT_TIMEOUT` when not set, in seconds.
pub const DEFAULT_STATEMENT_TIMEOUT: u64 = 30;
/// `DATA_UPLOAD_MAX_MEMORY_SIZE` when not set (Django's and Nautobot's 2.5 MB).
pub const DEFAULT_DATA_UPLOAD_MAX_MEMORY_SIZE: u64 = 2_621_440;

/// The `Content-Security-Policy` every page gets unless `CONTENT_SECURITY_POLICY` says
/// otherwise: scripts, styles, images, fonts and forms from this site only (the core
/// templates' inline styles allowed, inline scripts not), no plugins, no framing.
pub const DEFAULT_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// How the database is used: connections per process, and SQLite's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseTuning {
    /// `DATABASE_POOL_SIZE`: connections each process keeps at most (default 8 on
    /// SQLite, 16 on PostgreSQL).
    pub pool_size: Option<u32>,
    /// `SQLITE_CACHE_SIZE`: SQLite's page cache per connection, in MiB (default 32).
    pub sqlite_cache_mib: u64,
    /// `SQLITE_MMAP_SIZE`: how much of the SQLite file each connection reads through a
    /// memory map instead of read calls, in MiB (default 1024; 0 turns it off).
    pub sqlite_mmap_mib: u64,
    /// How long one statement may run on PostgreSQL before it is cancelled; `None` for
    /// ever. The web server sets it from `DATABASE_STATEMENT_TIMEOUT`; commands
    /// (migrations, sample data, workers) leave it unset.
    pub statement_timeout: Option<std::time::Duration>,
}

impl Default for DatabaseTuning {
    fn default() -> Self {
        DatabaseTuning {
            pool_size: None,
            sqlite_cache_mib: 32,
            sqlite_mmap_mib: 1024,
            statement_timeout: None,
        }
    }
}

/// Environment variables that locate the configuration rather than set a key.
const META_VARIABLES: &[&str] = &["NAUTOBOT_ROOT", "NAUTOBOT_CONFIG"];

/// The database backend `DATABASE_URL` selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `sqlite:///abs/path`, `sqlite://relative/path` (under `root`) or
    /// `postgres://…` / `postgresql://…`.
    pub fn parse(raw: &str, root: &Path) -> std::result::Result<Self, String> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() || path == ":memory:" {
                return Err(format!(
                    "must name an SQLite file (sqlite:///path/to/db.sqlite3), found {raw:?}"
                ));
            }
            let path = Path::new(path);
            Ok(DatabaseUrl::Sqlite(if path.is_absolute() {
                path.to_path_buf()
            } else {
                root.join(path)
            }))
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(raw.to_string()))
        } else {
            Err(format!(
                "must start with sqlite:// or postgres://, found {:?}",
                redact_password(raw)
            ))
        }
    }

    /// A description safe to log (no password).
    pub fn display(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact_password(url),
        }
    }
}

/// Replaces the password of a URL with `***`.
fn redact_password(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_string(),
    }
}

/// The validated settings of one server or command.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `NAUTOBOT_ROOT`: where relative paths are anchored.
    pub root: PathBuf,
    /// The configuration file read.
    pub config_path: PathBuf,
    /// `SECRET_KEY`: signs sessions; keep it secret and stable.
    pub secret_key: String,
    /// `ALLOWED_HOSTS`: host names the server answers to (`*` for any).
    pub allowed_hosts: Vec<String>,
    /// `DATABASE_URL`.
    pub database: DatabaseUrl,
    /// `DATABASE_POOL_SIZE`, `SQLITE_CACHE_SIZE`, `SQLITE_MMAP_SIZE`.
    pub database_tuning: DatabaseTuning,
    /// `PLUGINS`: plugin names to load.
    pub plugins: Vec<String>,
    /// `PLUGINS_DIR`: where plugin libraries are found.
    pub plugins_dir: PathBuf,
    /// `PLUGINS_CONFIG`: each plugin's settings, by plugin name.
    pub plugins_config: Map<String, Json>,
    /// `PLUGINS_SHA256`: the SHA-256 digest (lower-case hex) each pinned plugin's library
    /// must have, by plugin name.
    pub plugins_sha256: std::collections::BTreeMap<String, String>,
    /// `PLUGINS_ISOLATED`: plugins run in a host process of their own, so that a crash in
    /// their native code cannot end the server.
    pub plugins_isolated: Vec<String>,
    /// `STATIC_ROOT`: where `collectstatic` writes and `/static/` reads.
    pub static_root: PathBuf,
    /// `STATIC_URL`: the URL prefix of static files.
    pub static_url: String,
    /// `LOGIN_REQUIRED`: whether anonymous users are sent to the login page.
    pub login_required: bool,
    /// `LOG_LEVEL`, as a tracing filter directive.
    pub log_level: String,
    /// `SESSION_COOKIE_AGE`: session lifetime in seconds.
    pub session_cookie_age: u64,
    /// `SESSION_COOKIE_SECURE`: send cookies over HTTPS only.
    pub session_cookie_secure: bool,
    /// `EXEMPT_VIEW_PERMISSIONS`: models (`dcim.location`) any logged-in user may view
    /// without the view permission; `["*"]` exempts every model.
    pub exempt_view_permissions: Vec<String>,
    /// `JOBS_AUTO_ENABLE`: enable plugin jobs when they are first registered.
    pub jobs_auto_enable: bool,
    /// `PLUGIN_CALL_TIMEOUT`: how long a request waits for a plugin call (views, API
    /// views, middleware, template content, banners, validators); `None` (0) for ever.
    pub plugin_call_timeout: Option<std::time::Duration>,
    /// `LOGIN_FAILURE_LIMIT`: failed logins per username within `LOGIN_FAILURE_WINDOW`
    /// before further attempts get 429 (0: no limit).
    pub login_failure_limit: u64,
    /// `LOGIN_FAILURE_LIMIT_PER_ADDRESS`: the same per client address (0: no limit).
    pub login_failure_limit_per_address: u64,
    /// `LOGIN_FAILURE_WINDOW`: how long, in seconds, failed logins count.
    pub login_failure_window: std::time::Duration,
    /// `CONTENT_SECURITY_POLICY`: the header every response gets; `None` when set to "".
    pub content_security_policy: Option<String>,
    /// `MAX_FILTER_VALUES`: query parameters one request may carry (filter values,
    /// repeated or not); more answer 400 naming the parameter.
    pub max_filter_values: u64,
    /// `DATABASE_STATEMENT_TIMEOUT`: how long a statement of a web request may run on
    /// PostgreSQL before it is cancelled (`None`: 0, no limit).
    pub database_statement_timeout: Option<std::time::Duration>,
    /// `DATA_UPLOAD_MAX_MEMORY_SIZE`: the largest request body the REST API accepts, in
    /// bytes (larger ones answer 413).
    pub data_upload_max_memory_size: u64,
    /// `PLUGINS_ISOLATED_WORKERS`: host processes each isolated plugin may run, each
    /// serving one call at a time.
    pub plugins_isolated_workers: u64,
    /// `PLUGIN_MAX_CONCURRENT_CALLS`: calls one in-process plugin may have in flight;
    /// more answer 503 at once.
    pub plugin_max_concurrent_calls: u64,
    /// Warnings found while loading (unknown keys …), logged once logging is set up.
    pub warnings: Vec<String>,
}

/// Where to look for the configuration.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    /// `--config PATH`, if given.
    pub config: Option<PathBuf>,
}

impl Locator {
    /// `NAUTOBOT_ROOT`, or `~/.nautobot`.
    pub fn root() -> PathBuf {
        match std::env::var_os("NAUTOBOT_ROOT") {
            Some(root) if !root.is_empty() => PathBuf::from(root),
            _ => home_dir().join(".nautobot"),
        }
    }

    /// The configuration file to read.
    pub fn config_path(&self) -> PathBuf {
        if let Some(path) = &self.config {
            return path.clone();
        }
        match std::env::var_os("NAUTOBOT_CONFIG") {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => Self::root().join("nautobot_config.toml"),
        }
    }
}

fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

impl Settings {
    /// Reads, overrides, defaults and validates the settings.
    pub fn load(locator: &Locator) -> Result<Settings> {
        let config_path = locator.config_path();
        let text = std::fs::read_to_string(&config_path).map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                Error::Config(format!(
                    "configuration file {} not found: create one with `nautobot-server init`, or point NAUTOBOT_CONFIG or --config at yours",
                    config_path.display()
                ))
            } else {
                Error::Config(format!("cannot read {}: {err}", config_path.display()))
            }
        })?;
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("NAUTOBOT_"))
            .collect();
        Self::from_sources(Locator::root(), config_path, &text, &env)
    }

    /// Builds settings from the file's text and `NAUTOBOT_*` variables.
    pub fn from_sources(
        root: PathBuf,
        config_path: PathBuf,
        text: &str,
        env: &[(String, String)],
    ) -> Result<Settings> {
        let file = config_path.display().to_string();
        let table: toml::Table = text.parse().map_err(|err: toml::de::Error| {
            Error::Config(format!(
                "{file}: not valid TOML: {}",
                err.to_string().lines().collect::<Vec<_>>().join(" ")
            ))
        })?;

        let mut warnings = Vec::new();
        let mut found: std::collections::HashMap<&'static str, Typed> = Default::default();
        for (key, value) in &table {
            match KEYS.iter().find(|(k, _)| k == key) {
                Some((name, kind)) => {
                    let typed = values::from_toml(*kind, value)
                        .map_err(|tail| Error::Config(format!("{file}: {name} {tail}")))?;
                    found.insert(name, typed);
                }
                None => warnings.push(format!(
                    "{file}: unknown setting {key} is ignored (known settings: {})",
                    KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        for (var, raw) in env {
            let Some(key) = var.strip_prefix("NAUTOBOT_") else {
                continue;
            };
            if META_VARIABLES.contains(&var.as_str()) {
                continue;
            }
            match KEYS.iter().find(|(k, _)| *k == key) {
                Some((name, kind)) => {
                    let typed = values::from_env(*kind, raw).map_err(|tail| {
                        Error::Config(format!("environment variable {var}: {name} {tail}"))
                    })?;
                    found.insert(name, typed);
                }
                None => warnings.push(format!(
                    "environment variable {var} names no setting and is ignored"
                )),
            }
        }

        let mut take = |key: &str| found.remove(key);
        let string = |v: Option<Typed>| match v {
            Some(Typed::Str(s)) => Some(s),
            _ => None,
        };
        let list = |v: Option<Typed>| match v {
            Some(Typed::StrList(l)) => Some(l),
            _ => None,
        };
        let boolean = |v: Option<Typed>| match v {
            Some(Typed::Bool(b)) => Some(b),
            _ => None,
        };
        let resolve = |p: String| {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                root.join(p)
            }
        };

        let secret_key = string(take("SECRET_KEY")).unwrap_or_default();
        if secret_key.trim().is_empty() {
            return Err(Error::Config(format!(
                "{file}: SECRET_KEY must be set to a long random string (`nautobot-server init` writes one)"
            )));
        }
        if secret_key.len() < 50 {
            warnings.push(format!(
                "{file}: SECRET_KEY is shorter than 50 characters; use a longer random string"
            ));
        }

        let database_raw = string(take("DATABASE_URL"));
        let database = match &database_raw {
            Some(raw) => DatabaseUrl::parse(raw, &root)
                .map_err(|tail| Error::Config(format!("{file}: DATABASE_URL {tail}")))?,
            None => DatabaseUrl::Sqlite(root.join("nautobot.sqlite3")),
        };

        let plugins = list(take("PLUGINS")).unwrap_or_default();
        for name in &plugins {
            if !nautobot_base::names::is_valid_plugin_name(name) {
                return Err(Error::Config(format!(
                    "{file}: PLUGINS entry {name:?} is not a valid plugin name: expected lower-case letters, digits and underscores, starting with a letter"
                )));
            }
        }

        let plugins_config = match take("PLUGINS_CONFIG") {
            Some(Typed::Table(map)) => map,
            _ => Map::new(),
        };
        for (name, section) in &plugins_config {
            if !section.is_object() {
                return Err(Error::Config(format!(
                    "{file}: PLUGINS_CONFIG.{name} must be a table of that plugin's settings"
                )));
            }
            if !plugins.contains(name) {
                warnings.push(format!(
                    "{file}: PLUGINS_CONFIG has a section for {name}, which is not in PLUGINS"
                ));
            }
        }

        let mut plugins_sha256 = std::collections::BTreeMap::new();
        if let Some(Typed::Table(map)) = take("PLUGINS_SHA256") {
            for (name, digest) in map {
                let digest = digest
                    .as_str()
                    .map(|d| d.trim().to_ascii_lowercase())
                    .filter(|d| d.len() == 64 && d.chars().all(|c| c.is_ascii_hexdigit()))
                    .ok_or_else(|| {
                        Error::Config(format!(
                            "{file}: PLUGINS_SHA256.{name} must be the library's SHA-256 digest as 64 hexadecimal digits (`sha256sum lib{name}.so`, or `nautobot-server plugins inspect`), found {digest}"
                        ))
                    })?;
                if !plugins.contains(&name) {
                    warnings.push(format!(
                        "{file}: PLUGINS_SHA256 pins {name}, which is not in PLUGINS"
                    ));
                }
                plugins_sha256.insert(name, digest);
            }
        }

        let plugins_isolated = list(take("PLUGINS_ISOLATED")).unwrap_or_default();
        for name in &plugins_isolated {
            if !plugins.contains(name) {
                warnings.push(format!(
                    "{file}: PLUGINS_ISOLATED lists {name}, which is not in PLUGINS"
                ));
            }
        }

        let static_url = string(take("STATIC_URL")).unwrap_or_else(|| "/static/".to_string());
        if !static_url.starts_with('/') || !static_url.ends_with('/') || static_url.len() < 3 {
            return Err(Error::Config(format!(
                "{file}: STATIC_URL must be a path starting and ending with '/', such as \"/static/\", found {static_url:?}"
            )));
        }

        let log_level_raw = string(take("LOG_LEVEL")).unwrap_or_else(|| "INFO".to_string());
        let log_level = parse_log_level(&log_level_raw).ok_or_else(|| {
            Error::Config(format!(
                "{file}: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (or TRACE), found {log_level_raw:?}"
            ))
        })?;

        let session_cookie_age = match take("SESSION_COOKIE_AGE") {
            Some(Typed::UInt(n)) => n,
            _ => 1_209_600,
        };
        if session_cookie_age == 0 {
            return Err(Error::Config(format!(
                "{file}: SESSION_COOKIE_AGE must be a positive number of seconds, found 0"
            )));
        }

        let uint_or = |v: Option<Typed>, default: u64| match v {
            Some(Typed::UInt(n)) => n,
            _ => default,
        };
        let login_failure_limit = uint_or(take("LOGIN_FAILURE_LIMIT"), 10);
        let login_failure_limit_per_address = uint_or(take("LOGIN_FAILURE_LIMIT_PER_ADDRESS"), 100);
        let login_failure_window = uint_or(take("LOGIN_FAILURE_WINDOW"), 300);
        if login_failure_window == 0 || login_failure_window > 86_400 {
            return Err(Error::Config(format!(
                "{file}: LOGIN_FAILURE_WINDOW must be between 1 and 86400 seconds, found {login_failure_window}"
            )));
        }
        let content_security_policy = match string(take("CONTENT_SECURITY_POLICY")) {
            None => Some(DEFAULT_CONTENT_SECURITY_POLICY.to_string()),
            Some(p) if p.trim().is_empty() => None,
            Some(p) if p.chars().any(|c| c.is_control()) => {
                return Err(Error::Config(format!(
                    "{file}: CONTENT_SECURITY_POLICY must be one line of text, found {p:?}"
                )));
            }
            Some(p) => Some(p.trim().to_string()),
        };

        let defaults = DatabaseTuning::default();
        let uint = |v: Option<Typed>| match v {
            Some(Typed::UInt(n)) => Some(n),
            _ => None,
        };
        let pool_size = uint(take("DATABASE_POOL_SIZE"));
        if let Some(n) = pool_size {
            if !(1..=1000).contains(&n) {
                return Err(Error::Config(format!(
                    "{file}: DATABASE_POOL_SIZE must be between 1 and 1000 connections, found {n}"
                )));
            }
        }
        let database_tuning = DatabaseTuning {
            pool_size: pool_size.map(|n| n as u32),
            sqlite_cache_mib: uint(take("SQLITE_CACHE_SIZE")).unwrap_or(defaults.sqlite_cache_mib),
            sqlite_mmap_mib: uint(take("SQLITE_MMAP_SIZE")).unwrap_or(defaults.sqlite_mmap_mib),
            statement_timeout: None,
        };
        let max_filter_values =
            uint(take("MAX_FILTER_VALUES")).unwrap_or(DEFAULT_MAX_FILTER_VALUES);
        if max_filter_values == 0 {
            return Err(Error::Config(format!(
                "{file}: MAX_FILTER_VALUES must be at least 1, found 0"
            )));
        }
        let database_statement_timeout =
            match uint(take("DATABASE_STATEMENT_TIMEOUT")).unwrap_or(DEFAULT_STATEMENT_TIMEOUT) {
                0 => None,
                n if n > 86_400 => {
                    return Err(Error::Config(format!(
                        "{file}: DATABASE_STATEMENT_TIMEOUT must be at most 86400 seconds (0: no limit), found {n}"
                    )))
                }
                n => Some(std::time::Duration::from_secs(n)),
            };
        let plugins_isolated_workers =
            uint(take("PLUGINS_ISOLATED_WORKERS")).unwrap_or(DEFAULT_PLUGINS_ISOLATED_WORKERS);
        if !(1..=64).contains(&plugins_isolated_workers) {
            return Err(Error::Config(format!(
                "{file}: PLUGINS_ISOLATED_WORKERS must be between 1 and 64, found {plugins_isolated_workers}"
            )));
        }
        let plugin_max_concurrent_calls = uint(take("PLUGIN_MAX_CONCURRENT_CALLS"))
            .unwrap_or(DEFAULT_PLUGIN_MAX_CONCURRENT_CALLS);
        if !(1..=10_000).contains(&plugin_max_concurrent_calls) {
            return Err(Error::Config(format!(
                "{file}: PLUGIN_MAX_CONCURRENT_CALLS must be between 1 and 10000, found {plugin_max_concurrent_calls}"
            )));
        }
        let data_upload_max_memory_size = uint(take("DATA_UPLOAD_MAX_MEMORY_SIZE"))
            .unwrap_or(DEFAULT_DATA_UPLOAD_MAX_MEMORY_SIZE);
        if !(1024..=1 << 30).contains(&data_upload_max_memory_size) {
            return Err(Error::Config(format!(
                "{file}: DATA_UPLOAD_MAX_MEMORY_SIZE must be between 1024 and 1073741824 bytes, found {data_upload_max_memory_size}"
            )));
        }
        if database_tuning.sqlite_cache_mib > 65_536 || database_tuning.sqlite_mmap_mib > 1_048_576
        {
            return Err(Error::Config(format!(
                "{file}: SQLITE_CACHE_SIZE is at most 65536 MiB and SQLITE_MMAP_SIZE at most 1048576 MiB, found {} and {}",
                database_tuning.sqlite_cache_mib, database_tuning.sqlite_mmap_mib
            )));
        }

        Ok(Settings {
            config_path,
            secret_key,
            database_tuning,
            allowed_hosts: list(take("ALLOWED_HOSTS"))
                .unwrap_or_else(|| vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()]),
            database,
            plugins,
            plugins_dir: string(take("PLUGINS_DIR"))
                .map(resolve)
                .unwrap_or_else(|| root.join("plugins")),
            plugins_config,
            plugins_sha256,
            plugins_isolated,
            static_root: string(take("STATIC_ROOT"))
                .map(resolve)
                .unwrap_or_else(|| root.join("static")),
            static_url,
            login_required: boolean(take("LOGIN_REQUIRED")).unwrap_or(true),
            log_level,
            session_cookie_age,
            session_cookie_secure: boolean(take("SESSION_COOKIE_SECURE")).unwrap_or(false),
            exempt_view_permissions: list(take("EXEMPT_VIEW_PERMISSIONS")).unwrap_or_default(),
            jobs_auto_enable: boolean(take("JOBS_AUTO_ENABLE")).unwrap_or(false),
            plugin_call_timeout: match take("PLUGIN_CALL_TIMEOUT") {
                Some(Typed::UInt(0)) => None,
                Some(Typed::UInt(n)) => Some(std::time::Duration::from_secs(n)),
                _ => Some(std::time::Duration::from_secs(DEFAULT_PLUGIN_CALL_TIMEOUT)),
            },
            login_failure_limit,
            login_failure_limit_per_address,
            login_failure_window: std::time::Duration::from_secs(login_failure_window),
            content_security_policy,
            max_filter_values,
            database_statement_timeout,
            data_upload_max_memory_size,
            plugins_isolated_workers,
            plugin_max_concurrent_calls,
            warnings,
            root,
        })
    }

    /// The operator's `PLUGINS_CONFIG` section for `plugin` (empty if none).
    pub fn plugin_section(&self, plugin: &str) -> Map<String, Json> {
        match self.plugins_config.get(plugin) {
            Some(Json::Object(map)) => map.clone(),
            _ => Map::new(),
        }
    }
}

/// Maps Django/Nautobot log level names to tracing filter directives.
fn parse_log_level(raw: &str) -> Option<String> {
    let level = match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARNING" | "WARN" => "warn",
        "ERROR" | "CRITICAL" => "error",
        _ => return None,
    };
    Some(level.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "SECRET_KEY = \"0123456789012345678901234567890123456789012345678901234\"\n";

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_sources(
            PathBuf::from("/srv/nb"),
            PathBuf::from("/srv/nb/nautobot_config.toml"),
            text,
            &env,
        )
    }

    #[test]
    fn defaults_live_under_the_root() {
        let s = load(KEY, &[]).unwrap();
        assert_eq!(
            s.database,
            DatabaseUrl::Sqlite(PathBuf::from("/srv/nb/nautobot.sqlite3"))
        );
        assert_eq!(s.plugins_dir, PathBuf::from("/srv/nb/plugins"));
        assert_eq!(s.static_root, PathBuf::from("/srv/nb/static"));
        assert_eq!(s.static_url, "/static/");
        assert!(s.login_required);
        assert_eq!(s.log_level, "info");
        assert!(s.plugins.is_empty());
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn database_tuning_has_defaults_overrides_and_limits() {
        let s = load(KEY, &[]).unwrap();
        assert_eq!(s.database_tuning, DatabaseTuning::default());
        let s = load(
            &format!("{KEY}DATABASE_POOL_SIZE = 4\nSQLITE_CACHE_SIZE = 128\n"),
            &[("NAUTOBOT_SQLITE_MMAP_SIZE", "0")],
        )
        .unwrap();
        assert_eq!(s.database_tuning.pool_size, Some(4));
        assert_eq!(s.database_tuning.sqlite_cache_mib, 128);
        assert_eq!(s.database_tuning.sqlite_mmap_mib, 0);
        let err = load(&format!("{KEY}DATABASE_POOL_SIZE = 0\n"), &[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("DATABASE_POOL_SIZE must be between 1 and 1000"),
            "{err}"
        );
        let err = load(&format!("{KEY}SQLITE_CACHE_SIZE = -1\n"), &[]).unwrap_err();
        assert!(err.to_string().contains("SQLITE_CACHE_SIZE"), "{err}");
    }

    #[test]
    fn cost_limits_have_defaults_overrides_and_limits() {
        let s = load(KEY, &[]).unwrap();
        assert_eq!(s.max_filter_values, 1000);
        assert_eq!(
            s.database_statement_timeout,
            Some(std::time::Duration::from_secs(30))
        );
        assert_eq!(s.data_upload_max_memory_size, 2_621_440);
        assert_eq!(s.plugins_isolated_workers, 2);
        assert_eq!(s.plugin_max_concurrent_calls, 32);
        // Commands run without a statement timeout; `start` sets it.
        assert_eq!(s.database_tuning.statement_timeout, None);
        let s = load(
            &format!("{KEY}MAX_FILTER_VALUES = 10\nDATABASE_STATEMENT_TIMEOUT = 0\n"),
            &[("NAUTOBOT_DATA_UPLOAD_MAX_MEMORY_SIZE", "4096")],
        )
        .unwrap();
        assert_eq!(s.max_filter_values, 10);
        assert_eq!(s.database_statement_timeout, None);
        assert_eq!(s.data_upload_max_memory_size, 4096);
        for (line, says) in [
            (
                "MAX_FILTER_VALUES = 0",
                "MAX_FILTER_VALUES must be at least 1",
            ),
            (
                "DATABASE_STATEMENT_TIMEOUT = 100000",
                "DATABASE_STATEMENT_TIMEOUT must be at most 86400",
            ),
            (
                "DATA_UPLOAD_MAX_MEMORY_SIZE = 10",
                "DATA_UPLOAD_MAX_MEMORY_SIZE must be between 1024",
            ),
            ("MAX_FILTER_VALUES = -1", "MAX_FILTER_VALUES"),
            (
                "PLUGINS_ISOLATED_WORKERS = 0",
                "PLUGINS_ISOLATED_WORKERS must be between 1 and 64",
            ),
            (
                "PLUGIN_MAX_CONCURRENT_CALLS = 0",
                "PLUGIN_MAX_CONCURRENT_CALLS must be between 1",
            ),
        ] {
            let err = load(&format!("{KEY}{line}\n"), &[]).unwrap_err();
            assert!(err.to_string().contains(says), "{line}: {err}");
        }
    }

    #[test]
    fn a_wrong_type_names_the_key_and_the_expected_type() {
        let err = load(&format!("{KEY}LOGIN_REQUIRED = \"yes\"\n"), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/srv/nb/nautobot_config.toml: LOGIN_REQUIRED must be a boolean (true or false), found a string (\"yes\")"
        );
        let err = load(&format!("{KEY}PLUGINS = \"example_plugin\"\n"), &[]).unwrap_err();
        assert!(err
            .to_string()
            .contains("PLUGINS must be a list of strings, found a string"));
    }

    #[test]
    fn an_unknown_key_is_a_warning() {
        let s = load(&format!("{KEY}PLUGIN = []\n"), &[]).unwrap();
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].contains("unknown setting PLUGIN is ignored"));
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = load(
            &format!("{KEY}LOGIN_REQUIRED = true\nPLUGINS = [\"a\"]\n"),
            &[
                ("NAUTOBOT_LOGIN_REQUIRED", "false"),
                ("NAUTOBOT_PLUGINS", "b c"),
                ("NAUTOBOT_PLUGINS_CONFIG", r#"{"b": {"x": 1}}"#),
                ("NAUTOBOT_ROOT", "/ignored"),
            ],
        )
        .unwrap();
        assert!(!s.login_required);
        assert_eq!(s.plugins, vec!["b", "c"]);
        assert_eq!(s.plugin_section("b")["x"], 1);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn a_bad_environment_value_names_the_variable() {
        let err = load(KEY, &[("NAUTOBOT_SESSION_COOKIE_AGE", "soon")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable NAUTOBOT_SESSION_COOKIE_AGE: SESSION_COOKIE_AGE must be a non-negative integer, found \"soon\""
        );
        let s = load(KEY, &[("NAUTOBOT_NOT_A_KEY", "1")]).unwrap();
        assert!(s.warnings[0].contains("NAUTOBOT_NOT_A_KEY names no setting"));
    }

    #[test]
    fn secret_key_is_required() {
        let err = load("", &[]).unwrap_err();
        assert!(err.to_string().contains("SECRET_KEY must be set"));
    }

    #[test]
    fn database_urls() {
        let s = load(
            &format!("{KEY}DATABASE_URL = \"sqlite://db/nb.sqlite3\"\n"),
            &[],
        )
        .unwrap();
        assert_eq!(
            s.database,
            DatabaseUrl::Sqlite(PathBuf::from("/srv/nb/db/nb.sqlite3"))
        );
        let s = load(
            &format!("{KEY}DATABASE_URL = \"postgres://u:pw@127.0.0.1/nb\"\n"),
            &[],
        )
        .unwrap();
        assert_eq!(s.database.display(), "postgres://u:***@127.0.0.1/nb");
        let err = load(&format!("{KEY}DATABASE_URL = \"mysql://u:pw@x/nb\"\n"), &[]).unwrap_err();
        assert!(err.to_string().contains(
            "DATABASE_URL must start with sqlite:// or postgres://, found \"mysql://u:***@x/nb\""
        ));
    }

    #[test]
    fn invalid_plugin_names_and_static_urls_are_refused() {
        let err = load(&format!("{KEY}PLUGINS = [\"Bad-Name\"]\n"), &[]).unwrap_err();
        assert!(err
            .to_string()
            .contains("PLUGINS entry \"Bad-Name\" is not a valid plugin name"));
        let err = load(&format!("{KEY}STATIC_URL = \"static\"\n"), &[]).unwrap_err();
        assert!(err.to_string().contains("STATIC_URL must be a path"));
        let err = load(&format!("{KEY}LOG_LEVEL = \"LOUD\"\n"), &[]).unwrap_err();
        assert!(err.to_string().contains("LOG_LEVEL must be one of"));
    }

    #[test]
    fn toml_syntax_errors_fit_on_one_line() {
        let err = load("SECRET_KEY = \n", &[]).unwrap_err().to_string();
        assert!(err.starts_with("/srv/nb/nautobot_config.toml: not valid TOML"));
        assert!(!err.contains('\n'));
    }
}
