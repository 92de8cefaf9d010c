//! Objects of models the sample network knows nothing about (plugin models), made from
//! their field schemas alone: every field gets a value of its kind, numbered so that
//! unique fields and unique sets stay unique, and foreign keys point at existing objects
//! of their target model.

use std::net::Ipv4Addr;

use nautobot_plugin_abi::{FieldKind, FieldSchema};
use serde_json::{json, Map, Value};

use nautobot_schema::Model;

/// Where a foreign key of a generated object points.
pub enum Target<'a> {
    /// Existing objects' ids, used in turn.
    Ids(&'a [String]),
    /// No object exists: only a nullable field can be left empty.
    None,
}

/// The input for the `index`-th generated object of `model`, or why it cannot be made
/// (a required foreign key to a model without objects). `target(label)` gives the
/// objects a foreign key to `label` may use.
pub fn object<'a>(
    model: &Model,
    index: usize,
    target: impl Fn(&str) -> Target<'a>,
) -> Result<Value, String> {
    let mut input = Map::new();
    for field in &model.schema.fields {
        match &field.kind {
            FieldKind::Tags => continue,
            // One linked object each, in turn.
            FieldKind::ManyToMany { to } => match target(to) {
                Target::Ids(ids) if !ids.is_empty() => {
                    input.insert(field.name.clone(), json!([ids[index % ids.len()]]));
                }
                _ if field.blank => {
                    input.insert(field.name.clone(), json!([]));
                }
                _ => {
                    return Err(format!(
                        "its field '{}' needs an existing {to}, and there is none",
                        field.name
                    ))
                }
            },
            FieldKind::ForeignKey { to, .. } => match target(to) {
                Target::Ids(ids) if !ids.is_empty() => {
                    input.insert(field.name.clone(), json!(ids[index % ids.len()]));
                }
                _ if field.null => {
                    input.insert(field.name.clone(), Value::Null);
                }
                _ => {
                    return Err(format!(
                        "its field '{}' needs an existing {to}, and there is none",
                        field.name
                    ))
                }
            },
            _ => {
                input.insert(field.name.clone(), value(model, field, index));
            }
        }
    }
    Ok(Value::Object(input))
}

/// A value of `field`'s kind for the `index`-th object; distinct objects get distinct
/// values wherever the kind allows it.
pub fn value(model: &Model, field: &FieldSchema, index: usize) -> Value {
    let n = index as i64 + 1;
    match &field.kind {
        // A char field named like a URL (the ABI has no URL kind; plugins validate them
        // as links) gets a web address.
        FieldKind::Char { max_length } if field.name == "url" || field.name.ends_with("_url") => {
            let stem = "https://example.com/";
            let room = (*max_length as usize).saturating_sub(stem.len());
            json!(format!("{stem}{}", numbered(&model.schema.name, n, room)))
        }
        FieldKind::Char { max_length } | FieldKind::Slug { max_length } => {
            json!(numbered(&model.schema.name, n, *max_length as usize))
        }
        FieldKind::Text => json!(format!(
            "Sample {} number {n}, made by load-sample-data.",
            model.verbose_name()
        )),
        FieldKind::Integer { min, max } => {
            let low = min.unwrap_or(0);
            let high = max.unwrap_or(i64::MAX);
            if high <= low {
                json!(low)
            } else {
                // Distinct while the range allows, wrapping within it after that.
                let span = high
                    .checked_sub(low)
                    .and_then(|d| d.checked_add(1))
                    .unwrap_or(i64::MAX);
                json!(low.saturating_add(n % span))
            }
        }
        FieldKind::PositiveInteger => json!(n),
        FieldKind::Float => json!(n as f64 + 0.5),
        FieldKind::Decimal {
            max_digits,
            decimal_places,
        } => {
            let whole_digits = max_digits.saturating_sub(*decimal_places).min(18);
            let whole = if whole_digits == 0 {
                0
            } else {
                n % 10_i64.pow(whole_digits)
            };
            if *decimal_places == 0 {
                json!(whole.to_string())
            } else {
                json!(format!("{whole}.{}", "0".repeat(*decimal_places as usize)))
            }
        }
        FieldKind::Boolean => json!(index % 2 == 0),
        FieldKind::Date => {
            let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
                .and_then(|d| d.checked_add_days(chrono::Days::new((index % 3650) as u64)));
            json!(day.map(|d| d.to_string()).unwrap_or_default())
        }
        FieldKind::DateTime => {
            let seconds = (index % (10 * 365 * 86_400)) as i64;
            let t = chrono::DateTime::from_timestamp(1_704_067_200 + seconds, 0)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            json!(t)
        }
        FieldKind::Json => field.default.clone().unwrap_or_else(|| json!({"n": n})),
        FieldKind::IpAddress => {
            // 198.18.0.0/15, the benchmarking range: 131,072 distinct addresses.
            let base = u32::from(Ipv4Addr::new(198, 18, 0, 0));
            json!(format!(
                "{}/32",
                Ipv4Addr::from(base + (index as u32 % 131_072))
            ))
        }
        FieldKind::IpNetwork => {
            // /28s of 198.18.0.0/15: 8,192 distinct networks.
            let base = u32::from(Ipv4Addr::new(198, 18, 0, 0));
            json!(format!(
                "{}/28",
                Ipv4Addr::from(base + ((index as u32 % 8_192) << 4))
            ))
        }
        FieldKind::MacAddress => {
            let i = index as u32;
            json!(format!(
                "02:53:00:{:02X}:{:02X}:{:02X}",
                (i >> 16) & 0xff,
                (i >> 8) & 0xff,
                i & 0xff
            ))
        }
        FieldKind::Choice { choices } => match (&field.default, choices.first()) {
            (Some(d), _) => d.clone(),
            (None, Some(c)) => json!(c.value),
            (None, None) => Value::Null,
        },
        FieldKind::ForeignKey { .. } | FieldKind::ManyToMany { .. } | FieldKind::Tags => {
            Value::Null
        }
    }
}

/// `<stem>-<n>` in at most `max` characters, the number always kept whole (the stem is
/// shortened first): `examplemodel-00001`.
fn numbered(stem: &str, n: i64, max: usize) -> String {
    let number = format!("{n:05}");
    if number.len() >= max {
        // No room for a stem: the number's last digits.
        return number[number.len() - max.min(number.len())..].to_string();
    }
    let room = max - number.len() - 1;
    let stem: String = stem.chars().take(room).collect();
    if stem.is_empty() {
        number
    } else {
        format!("{stem}-{number}")
    }
}

#[cfg(test)]
mod tests {
    use nautobot_plugin_abi::{Choice, ModelSchema, OnDelete};

    use super::*;
    use nautobot_objects::values;

    fn model() -> Model {
        Model::new(
            ModelSchema::new("demo", "widget")
                .field(FieldSchema::char("name", 20).unique())
                .field(FieldSchema::char("code", 4))
                .field(FieldSchema::text("notes"))
                .field(FieldSchema::new(
                    "level",
                    FieldKind::Integer {
                        min: Some(1),
                        max: Some(5),
                    },
                ))
                .field(FieldSchema::new("size", FieldKind::PositiveInteger))
                .field(FieldSchema::new("ratio", FieldKind::Float))
                .field(FieldSchema::new(
                    "price",
                    FieldKind::Decimal {
                        max_digits: 6,
                        decimal_places: 2,
                    },
                ))
                .field(FieldSchema::boolean("on"))
                .field(FieldSchema::new("day", FieldKind::Date))
                .field(FieldSchema::new("at", FieldKind::DateTime))
                .field(FieldSchema::new("data", FieldKind::Json))
                .field(FieldSchema::new("ip", FieldKind::IpAddress))
                .field(FieldSchema::new("net", FieldKind::IpNetwork))
                .field(FieldSchema::new("mac", FieldKind::MacAddress))
                .field(FieldSchema::new(
                    "colour",
                    FieldKind::Choice {
                        choices: vec![Choice {
                            value: "red".into(),
                            label: "Red".into(),
                        }],
                    },
                ))
                .field(FieldSchema::foreign_key(
                    "location",
                    "dcim.location",
                    OnDelete::Cascade,
                ))
                .field(
                    FieldSchema::foreign_key("other", "demo.other", OnDelete::SetNull).optional(),
                ),
            Some(("demo", "demo")),
            false,
        )
    }

    #[test]
    fn every_kind_gets_a_value_the_model_layer_accepts() {
        let model = model();
        let ids = vec!["a".to_string(), "b".to_string()];
        for index in [0, 1, 99_999] {
            let input = object(&model, index, |to| match to {
                "dcim.location" => Target::Ids(&ids),
                _ => Target::None,
            })
            .unwrap();
            for field in model.stored_fields() {
                let v = &input[&field.name];
                if matches!(field.kind, FieldKind::ForeignKey { .. }) {
                    continue;
                }
                values::clean(field, v)
                    .unwrap_or_else(|e| panic!("{} = {v} at {index}: {e}", field.name));
            }
            assert_eq!(input["location"], json!(ids[index % 2]));
            assert_eq!(input["other"], Value::Null);
        }
        let first = object(&model, 0, |_| Target::Ids(&ids)).unwrap();
        let second = object(&model, 1, |_| Target::Ids(&ids)).unwrap();
        assert_eq!(first["name"], "widget-00001");
        assert_ne!(first["name"], second["name"]);
        assert_ne!(first["ip"], second["ip"]);
        assert_eq!(first["code"], "0001");
    }

    #[test]
    fn a_required_key_without_targets_is_explained() {
        let err = object(&model(), 0, |_| Target::None).unwrap_err();
        assert!(
            err.contains("'location' needs an existing dcim.location"),
            "{err}"
        );
    }

    #[test]
    fn url_fields_get_web_addresses() {
        let model = Model::new(
            ModelSchema::new("demo", "notice")
                .field(FieldSchema::char("documentation_url", 200))
                .field(FieldSchema::char("curl", 20)),
            Some(("demo", "demo")),
            false,
        );
        let input = object(&model, 6, |_| Target::None).unwrap();
        assert_eq!(
            input["documentation_url"],
            "https://example.com/notice-00007"
        );
        assert_eq!(
            input["curl"], "notice-00007",
            "only url and *_url are links"
        );
    }

    #[test]
    fn numbers_survive_short_fields() {
        assert_eq!(numbered("examplemodel", 1, 20), "examplemodel-00001");
        assert_eq!(numbered("averyveryverylongname", 12, 12), "averyv-00012");
        assert_eq!(numbered("x", 123_456, 3), "456");
    }
}
