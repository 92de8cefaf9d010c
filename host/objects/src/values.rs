//! Field values: cleaning what a client sends (with Django REST framework's messages),
//! binding it for SQL, and normalising what the database returns.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use nautobot_plugin_abi::{FieldKind, FieldSchema};
use serde_json::Value;

pub use nautobot_base::error::NULL_CHARACTERS;
pub use nautobot_schema::values::{empty_value, is_string_kind, now, sql_type, to_sql};

/// Whether `value`, or any string or key inside it, holds U+0000.
pub fn has_null_character(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_null_character),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains('\0') || has_null_character(v)),
        _ => false,
    }
}

/// Cleans a non-null input value for `field` (foreign keys and tags are resolved by the
/// caller); the error is the message a client sees for the field.
pub fn clean(field: &FieldSchema, input: &Value) -> Result<Value, String> {
    if has_null_character(input) {
        return Err(NULL_CHARACTERS.into());
    }
    match &field.kind {
        FieldKind::Char { max_length } | FieldKind::Slug { max_length } => {
            let s = as_text(input)?;
            if s.chars().count() > *max_length as usize {
                return Err(format!(
                    "Ensure this field has no more than {max_length} characters."
                ));
            }
            if matches!(field.kind, FieldKind::Slug { .. })
                && !s.is_empty()
                && !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err("Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.".into());
            }
            Ok(Value::String(s))
        }
        FieldKind::Text => Ok(Value::String(as_text(input)?)),
        FieldKind::Integer { min, max } => {
            let n = as_integer(input)?;
            if let Some(min) = min {
                if n < *min {
                    return Err(format!(
                        "Ensure this value is greater than or equal to {min}."
                    ));
                }
            }
            if let Some(max) = max {
                if n > *max {
                    return Err(format!("Ensure this value is less than or equal to {max}."));
                }
            }
            Ok(Value::from(n))
        }
        FieldKind::PositiveInteger => {
            let n = as_integer(input)?;
            if n < 0 {
                return Err("Ensure this value is greater than or equal to 0.".into());
            }
            Ok(Value::from(n))
        }
        FieldKind::Float => {
            let f = match input {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|f| f.is_finite())
            .ok_or("A valid number is required.")?;
            Ok(serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null))
        }
        FieldKind::Decimal {
            max_digits,
            decimal_places,
        } => {
            let text = match input {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.trim().to_string(),
                _ => return Err("A valid number is required.".into()),
            };
            let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
            let digits = int.trim_start_matches('-');
            if digits.is_empty() && frac.is_empty()
                || !digits.chars().all(|c| c.is_ascii_digit())
                || !frac.chars().all(|c| c.is_ascii_digit())
            {
                return Err("A valid number is required.".into());
            }
            if frac.len() > *decimal_places as usize {
                return Err(format!(
                    "Ensure that there are no more than {decimal_places} decimal places."
                ));
            }
            if digits.trim_start_matches('0').len() + frac.len() > *max_digits as usize {
                return Err(format!(
                    "Ensure that there are no more than {max_digits} digits in total."
                ));
            }
            Ok(Value::String(format!(
                "{int}.{frac:0<width$}",
                width = *decimal_places as usize
            )))
        }
        FieldKind::Boolean => match input {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::Number(n) if n.as_i64() == Some(1) => Ok(Value::Bool(true)),
            Value::Number(n) if n.as_i64() == Some(0) => Ok(Value::Bool(false)),
            Value::String(s) => parse_bool(s)
                .map(Value::Bool)
                .ok_or_else(|| "Must be a valid boolean.".into()),
            _ => Err("Must be a valid boolean.".into()),
        },
        FieldKind::Date => {
            let s = as_text(input)?;
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                .map_err(|_| {
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.".into()
                })
        }
        FieldKind::DateTime => {
            let s = as_text(input)?;
            DateTime::parse_from_rfc3339(&s)
                .map(|d| {
                    Value::String(
                        d.with_timezone(&Utc)
                            .to_rfc3339_opts(SecondsFormat::Micros, true),
                    )
                })
                .map_err(|_| {
                    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].".into()
                })
        }
        FieldKind::Json => Ok(input.clone()),
        FieldKind::IpAddress => clean_ip(&as_text(input)?, false),
        FieldKind::IpNetwork => clean_ip(&as_text(input)?, true),
        FieldKind::MacAddress => clean_mac(&as_text(input)?),
        FieldKind::Choice { choices } => {
            let s = as_text(input)?;
            if choices.iter().any(|c| c.value == s) {
                Ok(Value::String(s))
            } else {
                Err(format!("\"{s}\" is not a valid choice."))
            }
        }
        FieldKind::ForeignKey { .. } | FieldKind::ManyToMany { .. } | FieldKind::Tags => {
            Ok(input.clone())
        }
    }
}

fn as_text(input: &Value) -> Result<String, String> {
    match input {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err("Not a valid string.".into()),
    }
}

fn as_integer(input: &Value) -> Result<i64, String> {
    match input {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| "A valid integer is required.".into())
}

/// `true`/`false` in the spellings forms and query strings use.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// An address with optional prefix length, or (`network`) a network with its host bits
/// cleared, in canonical text form.
pub fn clean_ip(text: &str, network: bool) -> Result<Value, String> {
    let message = if network {
        "Enter a valid IPv4 or IPv6 network in CIDR notation (192.0.2.0/24)."
    } else {
        "Enter a valid IPv4 or IPv6 address, with an optional prefix length (192.0.2.1/24)."
    };
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let ip: IpAddr = addr.trim().parse().map_err(|_| message.to_string())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len: u8 = match len {
        Some(l) => l
            .trim()
            .parse()
            .ok()
            .filter(|l| *l <= max)
            .ok_or_else(|| message.to_string())?,
        None if network => return Err(message.to_string()),
        None => max,
    };
    let ip = if network { mask(ip, len) } else { ip };
    Ok(Value::String(format!("{ip}/{len}")))
}

fn mask(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            IpAddr::V6((bits & m).into())
        }
    }
}

fn clean_mac(text: &str) -> Result<Value, String> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("Enter a valid MAC address.".into());
    }
    let upper = hex.to_ascii_uppercase();
    let pairs: Vec<&str> = (0..6).map(|i| &upper[i * 2..i * 2 + 2]).collect();
    Ok(Value::String(pairs.join(":")))
}

/// Normalises a value read from the database (SQLite booleans are 0/1, JSON columns
/// come back as text, timestamps in each backend's format).
pub fn from_db(field: &FieldSchema, value: Value) -> Value {
    match (&field.kind, value) {
        (_, Value::Null) => Value::Null,
        (FieldKind::Boolean, Value::Number(n)) => Value::Bool(n.as_i64() == Some(1)),
        (FieldKind::Json, Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        (FieldKind::DateTime, Value::String(s)) => Value::String(timestamp(&s)),
        (FieldKind::Decimal { decimal_places, .. }, Value::Number(n)) => Value::String(format!(
            "{:.*}",
            *decimal_places as usize,
            n.as_f64().unwrap_or_default()
        )),
        (_, v) => v,
    }
}

/// A stored timestamp in the API's format (`…Z`, microseconds).
pub fn timestamp(stored: &str) -> String {
    DateTime::parse_from_rfc3339(stored)
        .or_else(|_| DateTime::parse_from_str(stored, "%Y-%m-%dT%H:%M:%S%.f%#z"))
        .map(|d| d.with_timezone(&Utc))
        // Columns without a time zone (the users tables' diesel-written times) are UTC.
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(stored, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(stored, "%Y-%m-%d %H:%M:%S%.f"))
                .map(|n| n.and_utc())
        })
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Micros, true))
        .unwrap_or_else(|_| stored.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::FieldSchema;
    use serde_json::json;

    #[test]
    fn strings_are_trimmed_and_bounded() {
        let f = FieldSchema::char("name", 5);
        assert_eq!(clean(&f, &json!("  ab ")).unwrap(), json!("ab"));
        assert_eq!(
            clean(&f, &json!("abcdef")).unwrap_err(),
            "Ensure this field has no more than 5 characters."
        );
        assert_eq!(clean(&f, &json!(12)).unwrap(), json!("12"));
    }

    #[test]
    fn numbers_and_booleans_accept_strings() {
        let i = FieldSchema::integer("n");
        assert_eq!(clean(&i, &json!("42")).unwrap(), json!(42));
        assert_eq!(
            clean(&i, &json!("x")).unwrap_err(),
            "A valid integer is required."
        );
        let b = FieldSchema::boolean("b");
        assert_eq!(clean(&b, &json!("false")).unwrap(), json!(false));
        assert_eq!(clean(&b, &json!(1)).unwrap(), json!(true));
        assert!(clean(&b, &json!("maybe")).is_err());
        let bounded = FieldSchema::new(
            "mtu",
            FieldKind::Integer {
                min: Some(1),
                max: Some(9216),
            },
        );
        assert!(clean(&bounded, &json!(0))
            .unwrap_err()
            .contains("greater than or equal to 1"));
    }

    #[test]
    fn ip_and_mac_are_canonical() {
        let a = FieldSchema::new("address", FieldKind::IpAddress);
        assert_eq!(
            clean(&a, &json!("192.0.2.1")).unwrap(),
            json!("192.0.2.1/32")
        );
        assert_eq!(
            clean(&a, &json!("2001:DB8::1/64")).unwrap(),
            json!("2001:db8::1/64")
        );
        assert!(clean(&a, &json!("300.1.1.1")).is_err());
        let n = FieldSchema::new("prefix", FieldKind::IpNetwork);
        assert_eq!(
            clean(&n, &json!("10.1.2.3/8")).unwrap(),
            json!("10.0.0.0/8")
        );
        assert!(clean(&n, &json!("10.0.0.0")).is_err());
        let m = FieldSchema::new("mac", FieldKind::MacAddress);
        assert_eq!(
            clean(&m, &json!("00-1a-2b-3c-4d-5e")).unwrap(),
            json!("00:1A:2B:3C:4D:5E")
        );
        assert!(clean(&m, &json!("nope")).is_err());
    }

    #[test]
    fn choices_dates_and_decimals() {
        let c = FieldSchema::choice("type", [("a", "A")]);
        assert_eq!(
            clean(&c, &json!("b")).unwrap_err(),
            "\"b\" is not a valid choice."
        );
        let d = FieldSchema::new("when", FieldKind::DateTime);
        assert_eq!(
            clean(&d, &json!("2024-01-02T03:04:05+02:00")).unwrap(),
            json!("2024-01-02T01:04:05.000000Z")
        );
        let dec = FieldSchema::new(
            "lat",
            FieldKind::Decimal {
                max_digits: 8,
                decimal_places: 6,
            },
        );
        assert_eq!(clean(&dec, &json!("1.5")).unwrap(), json!("1.500000"));
        assert!(clean(&dec, &json!("1.1234567")).is_err());
        assert_eq!(
            timestamp("2024-01-02T01:04:05.5+00:00"),
            "2024-01-02T01:04:05.500000Z"
        );
    }
}
