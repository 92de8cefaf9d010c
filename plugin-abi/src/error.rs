//! [`PluginError`]: the error every call across the plugin boundary can return.

use std::fmt;

use abi_stable::{std_types::RString, StableAbi};

/// An error crossing the plugin boundary, in either direction.
///
/// `code` says what kind of failure it is (one of the associated constants; new codes
/// may appear in later 1.x releases, so treat unknown ones like [`PluginError::INTERNAL`]),
/// `message` is for people, and `details_json` optionally carries structured detail such
/// as per-field validation errors (`{"name": ["This field is required."]}`), or is empty.
#[repr(C)]
#[derive(StableAbi, Clone, PartialEq, Eq)]
pub struct PluginError {
    /// What kind of failure this is; see the associated constants.
    pub code: u32,
    /// A human-readable description.
    pub message: RString,
    /// Structured detail as JSON, or the empty string.
    pub details_json: RString,
}

impl PluginError {
    /// An unexpected failure inside the plugin or the host (HTTP 500).
    pub const INTERNAL: u32 = 1;
    /// The plugin panicked; the panic was caught at the boundary (HTTP 500).
    pub const PANIC: u32 = 2;
    /// The request or payload was malformed (HTTP 400).
    pub const BAD_REQUEST: u32 = 3;
    /// The thing asked for does not exist (HTTP 404).
    pub const NOT_FOUND: u32 = 4;
    /// The acting user may not do this (HTTP 403).
    pub const PERMISSION_DENIED: u32 = 5;
    /// Data failed validation; `details_json` holds per-field messages (HTTP 400).
    pub const VALIDATION: u32 = 6;
    /// The call kind, handler name or host service is not supported (HTTP 501).
    pub const UNSUPPORTED: u32 = 7;
    /// The plugin's configuration is wrong (refuses the plugin at load).
    pub const CONFIG: u32 = 8;

    /// Creates an error with `code` and `message` and no details.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        PluginError {
            code,
            message: RString::from(message.into()),
            details_json: RString::new(),
        }
    }

    /// An [`INTERNAL`](Self::INTERNAL) error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Self::INTERNAL, message)
    }

    /// A [`PANIC`](Self::PANIC) error.
    pub fn panic(message: impl Into<String>) -> Self {
        Self::new(Self::PANIC, message)
    }

    /// A [`BAD_REQUEST`](Self::BAD_REQUEST) error.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Self::BAD_REQUEST, message)
    }

    /// A [`NOT_FOUND`](Self::NOT_FOUND) error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Self::NOT_FOUND, message)
    }

    /// A [`PERMISSION_DENIED`](Self::PERMISSION_DENIED) error.
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(Self::PERMISSION_DENIED, message)
    }

    /// An [`UNSUPPORTED`](Self::UNSUPPORTED) error.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(Self::UNSUPPORTED, message)
    }

    /// A [`CONFIG`](Self::CONFIG) error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Self::CONFIG, message)
    }

    /// A [`VALIDATION`](Self::VALIDATION) error carrying per-field messages, keyed by
    /// field name (`"__all__"` for errors about the object as a whole).
    pub fn validation<I, K, M>(message: impl Into<String>, fields: I) -> Self
    where
        I: IntoIterator<Item = (K, M)>,
        K: Into<String>,
        M: Into<String>,
    {
        let mut map = serde_json::Map::new();
        for (field, msg) in fields {
            let entry = map
                .entry(field.into())
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(list) = entry {
                list.push(serde_json::Value::String(msg.into()));
            }
        }
        let mut err = Self::new(Self::VALIDATION, message);
        err.details_json = RString::from(serde_json::Value::Object(map).to_string());
        err
    }

    /// Attaches structured detail (any JSON value) to the error.
    pub fn with_details(mut self, details: &serde_json::Value) -> Self {
        self.details_json = RString::from(details.to_string());
        self
    }

    /// The structured detail, parsed, if there is any.
    pub fn details(&self) -> Option<serde_json::Value> {
        if self.details_json.is_empty() {
            None
        } else {
            serde_json::from_str(&self.details_json).ok()
        }
    }

    /// A short name for the code, used in logs ("panic", "not found" …).
    pub fn code_name(&self) -> &'static str {
        match self.code {
            Self::INTERNAL => "internal error",
            Self::PANIC => "panic",
            Self::BAD_REQUEST => "bad request",
            Self::NOT_FOUND => "not found",
            Self::PERMISSION_DENIED => "permission denied",
            Self::VALIDATION => "validation error",
            Self::UNSUPPORTED => "unsupported",
            Self::CONFIG => "configuration error",
            _ => "error",
        }
    }
}

impl fmt::Debug for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginError")
            .field("code", &self.code)
            .field("message", &self.message.as_str())
            .field("details_json", &self.details_json.as_str())
            .finish()
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code_name(), self.message)
    }
}

impl std::error::Error for PluginError {}

impl From<serde_json::Error> for PluginError {
    fn from(err: serde_json::Error) -> Self {
        PluginError::bad_request(format!("invalid JSON: {err}"))
    }
}

/// Turns the payload of a caught panic into a message.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_group_messages_by_field() {
        let err = PluginError::validation(
            "invalid location",
            [
                ("name", "too short"),
                ("name", "reserved"),
                ("__all__", "bad"),
            ],
        );
        assert_eq!(err.code, PluginError::VALIDATION);
        assert_eq!(
            err.details().unwrap(),
            serde_json::json!({"name": ["too short", "reserved"], "__all__": ["bad"]})
        );
    }

    #[test]
    fn display_names_the_code() {
        assert_eq!(PluginError::panic("boom").to_string(), "panic: boom");
        assert_eq!(PluginError::new(99, "x").to_string(), "error: x");
    }

    #[test]
    fn panic_message_reads_str_and_string_payloads() {
        let a: Box<dyn std::any::Any + Send> = Box::new("static");
        let b: Box<dyn std::any::Any + Send> = Box::new(String::from("owned"));
        let c: Box<dyn std::any::Any + Send> = Box::new(7_u8);
        assert_eq!(panic_message(a.as_ref()), "static");
        assert_eq!(panic_message(b.as_ref()), "owned");
        assert_eq!(panic_message(c.as_ref()), "panic with a non-string payload");
    }
}
