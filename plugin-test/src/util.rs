//! Small helpers: random hex strings, and writing `nautobot_config.toml`.

use std::{
    collections::hash_map::RandomState,
    hash::{BuildHasher, Hasher},
    sync::atomic::{AtomicU64, Ordering},
};

use serde_json::Value;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `len` random lower-case hexadecimal digits (for tokens, passwords, nonces and
/// database names; unpredictable enough for tests, not for secrets).
pub(crate) fn random_hex(len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u32(std::process::id());
        if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            hasher.write_u128(now.as_nanos());
        }
        out.push_str(&format!("{:016x}", hasher.finish()));
    }
    out.truncate(len);
    out
}

/// A JSON value as a TOML value (inline tables and arrays). `null` has no TOML form.
pub(crate) fn toml_value(value: &Value) -> Result<String, String> {
    Ok(match value {
        Value::Null => return Err("null has no TOML equivalent".to_string()),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            let text = n.to_string();
            if n.is_f64() && !text.contains(['.', 'e', 'E']) {
                format!("{text}.0")
            } else {
                text
            }
        }
        // JSON's string escapes are all valid in a TOML basic string.
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Array(items) => {
            let items: Result<Vec<String>, String> = items.iter().map(toml_value).collect();
            format!("[{}]", items?.join(", "))
        }
        Value::Object(map) => {
            let mut parts = Vec::new();
            for (k, v) in map {
                parts.push(format!("{} = {}", toml_key(k), toml_value(v)?));
            }
            if parts.is_empty() {
                "{}".to_string()
            } else {
                format!("{{ {} }}", parts.join(", "))
            }
        }
    })
}

/// A TOML key: bare when it can be, else quoted.
pub(crate) fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        Value::String(key.to_string()).to_string()
    }
}

/// Sets top-level `key = value` in a TOML document: replaces the line that sets it
/// before the first `[section]`, or inserts it before that section (or at the end).
pub(crate) fn set_top_level(text: &str, key: &str, value: &str) -> String {
    let line = format!("{key} = {value}");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let first_section = lines
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .unwrap_or(lines.len());
    let existing = lines[..first_section].iter().position(|l| {
        l.split_once('=')
            .map(|(k, _)| k.trim() == key)
            .unwrap_or(false)
    });
    match existing {
        Some(i) => lines[i] = line,
        None => lines.insert(first_section, line),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// The `[PLUGINS_CONFIG.<plugin>]` section holding a plugin's settings (a JSON object).
pub(crate) fn plugin_section(plugin: &str, settings: &Value) -> Result<String, String> {
    let map = settings.as_object().ok_or_else(|| {
        format!("the configuration of plugin {plugin} must be a JSON object, found {settings}")
    })?;
    let mut text = format!("\n[PLUGINS_CONFIG.{}]\n", toml_key(plugin));
    for (key, value) in map {
        let value = toml_value(value).map_err(|e| format!("PLUGINS_CONFIG.{plugin}.{key}: {e}"))?;
        text.push_str(&format!("{} = {value}\n", toml_key(key)));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn random_hex_has_the_length_and_alphabet_asked_for() {
        let a = random_hex(40);
        let b = random_hex(40);
        assert_eq!(a.len(), 40);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
        assert_eq!(random_hex(5).len(), 5);
    }

    #[test]
    fn json_values_become_toml() {
        assert_eq!(toml_value(&json!(true)).unwrap(), "true");
        assert_eq!(toml_value(&json!(3)).unwrap(), "3");
        assert_eq!(toml_value(&json!(1.5)).unwrap(), "1.5");
        assert_eq!(toml_value(&json!("a \"q\"\n")).unwrap(), r#""a \"q\"\n""#);
        assert_eq!(toml_value(&json!([1, "x"])).unwrap(), r#"[1, "x"]"#);
        assert_eq!(
            toml_value(&json!({"a": 1, "b c": {"d": []}})).unwrap(),
            r#"{ a = 1, "b c" = { d = [] } }"#
        );
        assert_eq!(toml_value(&json!({})).unwrap(), "{}");
        assert!(toml_value(&json!(null)).is_err());
        assert!(toml_value(&json!([null])).is_err());
    }

    #[test]
    fn top_level_keys_are_replaced_or_inserted_before_sections() {
        let text = "# PLUGINS = [\"x\"]\nA = 1\nPLUGINS = []\n\n[PLUGINS_CONFIG]\n";
        let out = set_top_level(text, "PLUGINS", "[\"p\"]");
        assert_eq!(
            out,
            "# PLUGINS = [\"x\"]\nA = 1\nPLUGINS = [\"p\"]\n\n[PLUGINS_CONFIG]\n"
        );
        let out = set_top_level(&out, "NEW", "2");
        assert_eq!(
            out,
            "# PLUGINS = [\"x\"]\nA = 1\nPLUGINS = [\"p\"]\n\nNEW = 2\n[PLUGINS_CONFIG]\n"
        );
        assert_eq!(set_top_level("", "K", "1"), "K = 1\n");
    }

    #[test]
    fn plugin_sections_are_tables_of_their_settings() {
        let text = plugin_section("my_plugin", &json!({"greeting": "hi", "n": 2})).unwrap();
        assert_eq!(
            text,
            "\n[PLUGINS_CONFIG.my_plugin]\ngreeting = \"hi\"\nn = 2\n"
        );
        assert!(plugin_section("p", &json!([1])).is_err());
        let err = plugin_section("p", &json!({"k": null})).unwrap_err();
        assert!(err.contains("PLUGINS_CONFIG.p.k"), "{err}");
    }
}
