//! The server's one error type, and the one place it becomes an HTTP status or an exit code.

use std::path::PathBuf;

use actix_web::http::StatusCode;
use nautobot_plugin_abi::PluginError;

use crate::load_error::LoadError;

/// Everything that can go wrong in the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration file, key or environment override is wrong.
    #[error("{0}")]
    Config(String),

    /// A plugin failed one of the load-time checks.
    #[error("{0}")]
    PluginLoad(#[from] LoadError),

    /// A call into a loaded plugin failed (an error it returned, or a caught panic).
    #[error("{0}")]
    PluginCall(Box<PluginFailure>),

    /// A plugin call ran past `PLUGIN_CALL_TIMEOUT`.
    #[error("The plugin '{plugin}' did not answer within {seconds} s (PLUGIN_CALL_TIMEOUT).")]
    PluginTimeout {
        /// The plugin.
        plugin: String,
        /// The deadline, in seconds.
        seconds: u64,
    },

    /// An isolated plugin's host process died during the call (`PLUGINS_ISOLATED`).
    #[error("The plugin '{plugin}' crashed ({how}) while handling this request; it is restarted for the next one.")]
    PluginCrashed {
        /// The plugin.
        plugin: String,
        /// How its process ended.
        how: String,
    },

    /// A plugin has as many calls in flight as it may (`PLUGIN_MAX_CONCURRENT_CALLS`, or
    /// every worker of an isolated plugin busy past the deadline): 503, try again.
    #[error("The plugin '{plugin}' is busy: {reason}. Try again shortly.")]
    PluginBusy {
        /// The plugin.
        plugin: String,
        /// Why, naming the setting.
        reason: String,
    },

    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(String),

    /// The request needs a logged-in user and has none.
    #[error("Authentication credentials were not provided.")]
    NotAuthenticated,

    /// The API token given does not exist or has expired.
    #[error("Invalid token")]
    InvalidToken,

    /// The user lacks a permission.
    #[error("{0}")]
    PermissionDenied(String),

    /// The CSRF check failed on a form or unsafe API request.
    #[error("CSRF verification failed: {0}")]
    Csrf(String),

    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),

    /// The view does not accept the request's method.
    #[error("Method \"{0}\" not allowed.")]
    MethodNotAllowed(String),

    /// The `Host` header names a host not in `ALLOWED_HOSTS`.
    #[error("Invalid HTTP_HOST header: '{0}'. You may need to add '{0}' to ALLOWED_HOSTS.")]
    DisallowedHost(String),

    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),

    /// Data failed validation: messages per field (`__all__` for model-wide rules), as
    /// Django REST framework reports them.
    #[error("{}", describe_validation(.0))]
    Validation(Box<ValidationErrors>),

    /// A bulk write failed: DRF's list of per-item errors (`{}` for good items).
    #[error("{0}")]
    BulkValidation(Box<serde_json::Value>),

    /// The change conflicts with other data (deleting a protected object).
    #[error("{0}")]
    Conflict(String),

    /// A template failed to compile or render.
    #[error("template error: {0}")]
    Template(String),

    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// The command needs an empty database and found data in it (`load-sample-data`
    /// on a database that holds the sample network already, or other objects).
    #[error("{0}")]
    NotEmpty(String),

    /// The command line is inconsistent (beyond what the argument parser checks).
    #[error("{0}")]
    Usage(String),

    /// Anything else.
    #[error("{0}")]
    Internal(String),
}

/// Django's message for a value holding U+0000, which PostgreSQL cannot store (SQLite
/// can): refused on both databases alike.
pub const NULL_CHARACTERS: &str = "Null characters are not allowed.";

/// Validation messages per field name.
pub type ValidationErrors = std::collections::BTreeMap<String, Vec<String>>;

/// `Ok(())` when `errors` holds no message, else [`Error::Validation`] with them.
pub fn validated(errors: ValidationErrors) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(Box::new(errors)))
    }
}

fn describe_validation(errors: &ValidationErrors) -> String {
    errors
        .iter()
        .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a failed plugin call reports.
#[derive(Debug, thiserror::Error)]
#[error("plugin '{plugin}' failed in {kind} '{name}': {error}")]
pub struct PluginFailure {
    /// The plugin that failed.
    pub plugin: String,
    /// The call kind.
    pub kind: String,
    /// The handler name.
    pub name: String,
    /// What the plugin reported.
    pub error: PluginError,
}

impl Error {
    /// A failed call into `plugin`'s `name` handler of `kind`.
    pub fn plugin_call(plugin: &str, kind: &str, name: &str, error: PluginError) -> Self {
        Error::PluginCall(Box::new(PluginFailure {
            plugin: plugin.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            error,
        }))
    }

    /// A validation error on one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = ValidationErrors::new();
        errors.insert(field.into(), vec![message.into()]);
        Error::Validation(Box::new(errors))
    }

    /// A file error at `path`.
    pub fn io(path: impl Into<PathBuf>, err: impl std::fmt::Display) -> Self {
        Error::Io {
            path: path.into(),
            message: err.to_string(),
        }
    }

    /// The HTTP status a request failing with this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotAuthenticated | Error::InvalidToken | Error::PermissionDenied(_) => {
                StatusCode::FORBIDDEN
            }
            Error::Csrf(_) => StatusCode::FORBIDDEN,
            Error::PluginTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            Error::PluginCrashed { .. } => StatusCode::BAD_GATEWAY,
            Error::PluginBusy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::BadRequest(_)
            | Error::DisallowedHost(_)
            | Error::Validation(_)
            | Error::BulkValidation(_) => StatusCode::BAD_REQUEST,
            Error::Conflict(_) | Error::NotEmpty(_) => StatusCode::CONFLICT,
            Error::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::PluginCall(failure) => match failure.error.code {
                PluginError::BAD_REQUEST | PluginError::VALIDATION => StatusCode::BAD_REQUEST,
                PluginError::NOT_FOUND => StatusCode::NOT_FOUND,
                PluginError::PERMISSION_DENIED => StatusCode::FORBIDDEN,
                PluginError::UNSUPPORTED => StatusCode::NOT_IMPLEMENTED,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Error::Config(_)
            | Error::PluginLoad(_)
            | Error::Database(_)
            | Error::Template(_)
            | Error::Io { .. }
            | Error::Usage(_)
            | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a client is told. Server-side failures are not described to clients: the
    /// detail goes to the log.
    pub fn public_message(&self) -> String {
        if self.status().is_server_error() {
            match self {
                Error::PluginCall(failure) => format!(
                    "The plugin '{}' failed while handling this request.",
                    failure.plugin
                ),
                Error::PluginTimeout { .. }
                | Error::PluginCrashed { .. }
                | Error::PluginBusy { .. } => self.to_string(),
                _ => "The server failed while handling this request.".to_string(),
            }
        } else {
            match self {
                Error::PluginCall(failure) => failure.error.message.to_string(),
                other => other.to_string(),
            }
        }
    }

    /// The exit code of a command failing with this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Config(_) => 3,
            Error::PluginLoad(_)
            | Error::PluginCall(_)
            | Error::PluginTimeout { .. }
            | Error::PluginCrashed { .. }
            | Error::PluginBusy { .. } => 4,
            Error::Database(_) => 5,
            Error::Io { .. } => 6,
            Error::Template(_) => 7,
            Error::NotEmpty(_) => 8,
            _ => 1,
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        Error::from_database(err.to_string())
    }
}

impl Error {
    /// A database failure described by `text`: the client's error (400) when the
    /// request carried what the database refuses (NUL characters, more than it can plan,
    /// longer than `DATABASE_STATEMENT_TIMEOUT` on either backend), else [`Error::Database`].
    pub fn from_database(text: String) -> Error {
        // PostgreSQL refuses U+0000 in text and JSON; the model layer refuses it first,
        // and any value that reaches the database another way is the client's error too.
        if text.contains("\"UTF8\": 0x00") || text.contains("unsupported Unicode escape") {
            return Error::BadRequest(NULL_CHARACTERS.to_string());
        }
        // Requests too large for the database to plan or run are the client's to
        // narrow: SQLite's limits on expressions and LIKE patterns, and PostgreSQL's
        // DATABASE_STATEMENT_TIMEOUT.
        if text.contains("Expression tree is too large")
            || text.contains("too many terms in compound SELECT")
            || text.contains("too many SQL variables")
            || text.contains("LIKE or GLOB pattern too complex")
            || text.contains("string or blob too big")
        {
            return Error::BadRequest(format!(
                "The request is too large for the database ({text}): use fewer or shorter filter values."
            ));
        }
        // SQLite says "interrupted" when a request's statement ran past the limit (or
        // its client went away, when nobody reads the answer).
        if text.contains("canceling statement due to statement timeout")
            || text == "interrupted"
            || text.ends_with(": interrupted")
        {
            return Error::BadRequest(
                "The query ran longer than DATABASE_STATEMENT_TIMEOUT allows and was cancelled: narrow the filters."
                    .to_string(),
            );
        }
        Error::Database(text)
    }
}

impl From<diesel::ConnectionError> for Error {
    fn from(err: diesel::ConnectionError) -> Self {
        Error::Database(err.to_string())
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        Error::Database(format!("no database connection available: {err}"))
    }
}

impl From<tera::Error> for Error {
    fn from(err: tera::Error) -> Self {
        // Tera nests the real cause; show the whole chain on one line.
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Error::Template(message)
    }
}

impl From<actix_web::error::BlockingError> for Error {
    fn from(_: actix_web::error::BlockingError) -> Self {
        Error::Internal("the blocking thread pool is shut down".to_string())
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
