//! Typed reading of one setting, from the TOML file or from a `NAUTOBOT_<KEY>` variable,
//! with errors that name the key, the expected type and what was found.

use serde_json::Value as Json;
use toml::Value;

/// The type a setting must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Str,
    /// `true` or `false`.
    Bool,
    /// A non-negative integer.
    UInt,
    /// A list of strings.
    StrList,
    /// A table of tables (`PLUGINS_CONFIG`).
    Table,
}

impl Kind {
    /// How the type is described in error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Bool => "a boolean (true or false)",
            Kind::UInt => "a non-negative integer",
            Kind::StrList => "a list of strings",
            Kind::Table => "a table",
        }
    }
}

/// A setting's value once its type is checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    /// See [`Kind::Str`].
    Str(String),
    /// See [`Kind::Bool`].
    Bool(bool),
    /// See [`Kind::UInt`].
    UInt(u64),
    /// See [`Kind::StrList`].
    StrList(Vec<String>),
    /// See [`Kind::Table`], converted to JSON.
    Table(serde_json::Map<String, Json>),
}

/// Describes a TOML value for "found …" in messages.
fn describe_toml(value: &Value) -> String {
    match value {
        Value::String(s) => format!("a string ({s:?})"),
        Value::Integer(i) => format!("an integer ({i})"),
        Value::Float(f) => format!("a float ({f})"),
        Value::Boolean(b) => format!("a boolean ({b})"),
        Value::Datetime(d) => format!("a date ({d})"),
        Value::Array(_) => "a list".to_string(),
        Value::Table(_) => "a table".to_string(),
    }
}

/// Checks a value from the configuration file against `kind`; the error is the message
/// tail "must be …, found …".
pub fn from_toml(kind: Kind, value: &Value) -> Result<Typed, String> {
    let mismatch = || {
        format!(
            "must be {}, found {}",
            kind.describe(),
            describe_toml(value)
        )
    };
    match (kind, value) {
        (Kind::Str, Value::String(s)) => Ok(Typed::Str(s.clone())),
        (Kind::Bool, Value::Boolean(b)) => Ok(Typed::Bool(*b)),
        (Kind::UInt, Value::Integer(i)) if *i >= 0 => Ok(Typed::UInt(*i as u64)),
        (Kind::StrList, Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "must be {}, found a list containing {}",
                    kind.describe(),
                    describe_toml(other)
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Typed::StrList),
        (Kind::Table, Value::Table(table)) => {
            let json = serde_json::to_value(table).map_err(|e| e.to_string())?;
            match json {
                Json::Object(map) => Ok(Typed::Table(map)),
                _ => Err(mismatch()),
            }
        }
        _ => Err(mismatch()),
    }
}

/// Parses a `NAUTOBOT_<KEY>` environment value as `kind`.
///
/// Booleans accept `true/false/yes/no/1/0/on/off`; lists accept a JSON array or words
/// separated by commas or spaces; tables accept a JSON object.
pub fn from_env(kind: Kind, raw: &str) -> Result<Typed, String> {
    let mismatch = || format!("must be {}, found {raw:?}", kind.describe());
    let trimmed = raw.trim();
    match kind {
        Kind::Str => Ok(Typed::Str(raw.to_string())),
        Kind::Bool => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(Typed::Bool(true)),
            "false" | "no" | "0" | "off" => Ok(Typed::Bool(false)),
            _ => Err(mismatch()),
        },
        Kind::UInt => trimmed.parse().map(Typed::UInt).map_err(|_| mismatch()),
        Kind::StrList => {
            if trimmed.starts_with('[') {
                serde_json::from_str::<Vec<String>>(trimmed)
                    .map(Typed::StrList)
                    .map_err(|_| mismatch())
            } else {
                Ok(Typed::StrList(
                    trimmed
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                ))
            }
        }
        Kind::Table => match serde_json::from_str::<Json>(trimmed) {
            Ok(Json::Object(map)) => Ok(Typed::Table(map)),
            _ => Err(format!(
                "must be {} as a JSON object, found {raw:?}",
                kind.describe()
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_type_in_the_file_names_both_types() {
        let err = from_toml(Kind::Bool, &Value::String("yes".into())).unwrap_err();
        assert_eq!(
            err,
            "must be a boolean (true or false), found a string (\"yes\")"
        );
        let err = from_toml(Kind::StrList, &Value::Array(vec![Value::Integer(3)])).unwrap_err();
        assert_eq!(
            err,
            "must be a list of strings, found a list containing an integer (3)"
        );
        let err = from_toml(Kind::UInt, &Value::Integer(-1)).unwrap_err();
        assert_eq!(err, "must be a non-negative integer, found an integer (-1)");
    }

    #[test]
    fn environment_values_parse_per_kind() {
        assert_eq!(from_env(Kind::Bool, "off").unwrap(), Typed::Bool(false));
        assert_eq!(
            from_env(Kind::StrList, "a, b c").unwrap(),
            Typed::StrList(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(
            from_env(Kind::StrList, r#"["x y"]"#).unwrap(),
            Typed::StrList(vec!["x y".into()])
        );
        assert_eq!(from_env(Kind::StrList, "").unwrap(), Typed::StrList(vec![]));
        assert_eq!(from_env(Kind::UInt, " 42 ").unwrap(), Typed::UInt(42));
        assert!(from_env(Kind::Bool, "maybe")
            .unwrap_err()
            .contains("found \"maybe\""));
        assert!(from_env(Kind::Table, "[1]")
            .unwrap_err()
            .contains("JSON object"));
    }

    #[test]
    fn tables_become_json() {
        let value: Value = toml::from_str("[p]\nx = 1\ny = [\"a\"]").unwrap();
        let Typed::Table(map) = from_toml(Kind::Table, &value).unwrap() else {
            panic!("expected a table");
        };
        assert_eq!(map["p"], serde_json::json!({"x": 1, "y": ["a"]}));
    }
}
