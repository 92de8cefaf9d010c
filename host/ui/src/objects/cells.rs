//! How field values are shown: in table cells and detail cards (foreign keys and tags
//! as links to the referred objects, with their display text) and in CSV exports. The
//! referred objects of a whole page are fetched with one query per field.

use std::collections::HashMap;

use nautobot_plugin_abi::{FieldKind, FieldSchema};
use serde::Serialize;
use serde_json::Value;

use super::forms::is_model_list;
use nautobot_base::error::Result;
use nautobot_db::DbConnection;
use nautobot_objects::{display, get_many, Row};
use nautobot_schema::{core::is_hidden, Model, Registry};

/// A link to an object (no URL when the object's model has no pages).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Link {
    /// The object's display text.
    pub text: String,
    /// Its detail page.
    pub url: Option<String>,
    /// The badge it is shown as, when its model has a `color` (statuses, roles, tags).
    pub color: Option<Badge>,
}

/// A coloured badge, as Nautobot shows statuses: the object's `color` as background,
/// and black or white text, whichever reads better on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Badge {
    /// Background, `rrggbb`.
    pub bg: String,
    /// Text, `000000` or `ffffff`.
    pub fg: &'static str,
}

impl Badge {
    /// The badge of an object whose `color` is `rrggbb`; anything else gives none (it
    /// goes into a style attribute, so only six hex digits pass).
    pub fn of(row: &Row) -> Option<Badge> {
        let hex = row.get("color")?.as_str()?.trim_start_matches('#');
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        // WCAG relative luminance of the background; the text is the one of black and
        // white with the higher contrast ratio on it (at least 4.58:1 for any colour,
        // where Nautobot's brightness-over-186 rule leaves white on mid greens at 2.8:1).
        let channel = |i: usize| -> Option<f64> {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).ok()?) / 255.0;
            Some(if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            })
        };
        let luminance = 0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?;
        let on_black = (luminance + 0.05) / 0.05;
        let on_white = 1.05 / (luminance + 0.05);
        Some(Badge {
            bg: hex.to_ascii_lowercase(),
            fg: if on_black >= on_white {
                "000000"
            } else {
                "ffffff"
            },
        })
    }
}

/// A value as a page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// `empty`, `text`, `link`, `links`, `bool`, `json`, `datetime` (ISO 8601 text) or
    /// `html` (a plugin table extension's rendered template, autoescaped when rendered).
    pub kind: &'static str,
    /// The text shown.
    pub text: String,
    /// Where `link` leads.
    pub url: Option<String>,
    /// The links of `links` (tags).
    pub links: Vec<Link>,
    /// The badge a `link` or `text` is shown as.
    pub color: Option<Badge>,
}

impl Cell {
    /// A cell of `kind` showing `text`.
    pub fn new(kind: &'static str, text: impl Into<String>) -> Cell {
        Cell {
            kind,
            text: text.into(),
            url: None,
            links: Vec::new(),
            color: None,
        }
    }
}

/// The detail page of an object of `model`.
pub fn detail_url(model: &Model, id: &str) -> String {
    format!("{}{id}/", model.ui_path)
}

/// The objects referred to by some fields of some rows: field → id → link.
#[derive(Debug, Default)]
pub struct Related {
    links: HashMap<String, HashMap<String, Link>>,
}

impl Related {
    /// Fetches, for each foreign key and tags field among `fields`, the objects `rows`
    /// refer to: one query per field.
    pub fn fetch(
        conn: &mut DbConnection,
        registry: &Registry,
        fields: &[&FieldSchema],
        rows: &[Row],
    ) -> Result<Related> {
        let mut links = HashMap::new();
        for field in fields {
            if super::forms::is_model_list(field) {
                // Content types by their names, each leading to its list.
                let names = registry
                    .iter()
                    .map(|m| {
                        let link = Link {
                            text: m.content_type_name(),
                            url: (!is_hidden(&m.label())).then(|| m.ui_path.clone()),
                            color: None,
                        };
                        (m.label(), link)
                    })
                    .collect();
                links.insert(field.name.clone(), names);
                continue;
            }
            let target = match &field.kind {
                FieldKind::ForeignKey { to, .. } | FieldKind::ManyToMany { to } => to.as_str(),
                FieldKind::Tags => "extras.tag",
                _ => continue,
            };
            let Some(target) = registry.get(target) else {
                continue;
            };
            let mut ids: Vec<String> = Vec::new();
            for row in rows {
                match row.get(&field.name) {
                    Some(Value::String(id)) => ids.push(id.clone()),
                    Some(Value::Array(list)) => {
                        ids.extend(list.iter().filter_map(|v| v.as_str().map(str::to_string)))
                    }
                    _ => {}
                }
            }
            ids.sort();
            ids.dedup();
            let pages = !is_hidden(&target.label());
            let found = get_many(conn, target, &ids)?
                .into_iter()
                .filter_map(|r| {
                    let id = r.get("id")?.as_str()?.to_string();
                    let link = Link {
                        text: display(target, &r),
                        url: pages.then(|| detail_url(target, &id)),
                        color: Badge::of(&r),
                    };
                    Some((id, link))
                })
                .collect();
            links.insert(field.name.clone(), found);
        }
        Ok(Related { links })
    }

    /// Adds the objects the many-to-many fields of `model` (`auth::models`' links) of
    /// `rows` refer to: one query per field.
    pub fn fetch_links(
        &mut self,
        conn: &mut DbConnection,
        registry: &Registry,
        model: &nautobot_schema::Model,
        rows: &[Row],
    ) -> Result<()> {
        for link in &model.links {
            let Some(target) = registry.get(&link.to) else {
                continue;
            };
            let mut ids: Vec<String> = rows
                .iter()
                .filter_map(|r| r.get(&link.field).and_then(Value::as_array))
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            ids.sort();
            ids.dedup();
            let found = get_many(conn, target, &ids)?
                .into_iter()
                .filter_map(|r| {
                    let id = r.get("id")?.as_str()?.to_string();
                    let link = Link {
                        text: display(target, &r),
                        url: Some(detail_url(target, &id)),
                        color: Badge::of(&r),
                    };
                    Some((id, link))
                })
                .collect();
            self.links.insert(link.field.clone(), found);
        }
        Ok(())
    }

    /// The link to object `id` referred to by `field`.
    pub fn link(&self, field: &str, id: &str) -> Option<&Link> {
        self.links.get(field).and_then(|m| m.get(id))
    }

    /// Whether `field` shows as links to objects (tags, many-to-many fields).
    fn is_listed(&self, field: &FieldSchema) -> bool {
        matches!(field.kind, FieldKind::Tags | FieldKind::ManyToMany { .. })
            || self.links.contains_key(&field.name)
    }

    /// How `value` of `field` is shown.
    pub fn cell(&self, field: &FieldSchema, value: &Value) -> Cell {
        match (&field.kind, value) {
            (_, Value::Null) => Cell::new("empty", ""),
            (_, Value::String(s)) if s.is_empty() => Cell::new("empty", ""),
            (FieldKind::ForeignKey { .. }, Value::String(id)) => match self.link(&field.name, id) {
                Some(link) => Cell {
                    kind: if link.url.is_some() { "link" } else { "text" },
                    text: link.text.clone(),
                    url: link.url.clone(),
                    links: Vec::new(),
                    color: link.color.clone(),
                },
                None => Cell::new("text", id.clone()),
            },
            (
                FieldKind::Tags | FieldKind::ManyToMany { .. } | FieldKind::Json,
                Value::Array(ids),
            ) if ids.is_empty() && self.is_listed(field) => Cell::new("empty", ""),
            (
                FieldKind::Tags | FieldKind::ManyToMany { .. } | FieldKind::Json,
                Value::Array(ids),
            ) if self.is_listed(field) => Cell {
                kind: "links",
                text: String::new(),
                url: None,
                links: ids
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|id| {
                        self.link(&field.name, id).cloned().unwrap_or(Link {
                            text: id.to_string(),
                            ..Default::default()
                        })
                    })
                    .collect(),
                color: None,
            },
            (FieldKind::Boolean, Value::Bool(b)) => {
                Cell::new("bool", if *b { "Yes" } else { "No" })
            }
            (FieldKind::Choice { choices }, Value::String(v)) => Cell::new(
                "text",
                choices
                    .iter()
                    .find(|c| &c.value == v)
                    .map(|c| c.label.clone())
                    .unwrap_or_else(|| v.clone()),
            ),
            (FieldKind::Json, Value::Array(items)) if is_model_list(field) => {
                if items.is_empty() {
                    Cell::new("empty", "")
                } else {
                    Cell::new("text", join_items(items, ", "))
                }
            }
            (FieldKind::Json, v) => {
                Cell::new("json", serde_json::to_string_pretty(v).unwrap_or_default())
            }
            (FieldKind::DateTime, Value::String(s)) => Cell::new("datetime", s.clone()),
            (_, Value::String(s)) => Cell::new("text", s.clone()),
            (_, other) => Cell::new("text", other.to_string()),
        }
    }

    /// How `value` of `field` is written in a CSV export: foreign keys and tags by
    /// display name (as the import reads them back), JSON as JSON, booleans as
    /// `true`/`false`, choices by value.
    pub fn export_text(&self, field: &FieldSchema, value: &Value) -> String {
        match (&field.kind, value) {
            (_, Value::Null) => String::new(),
            (FieldKind::ForeignKey { .. }, Value::String(id)) => self
                .link(&field.name, id)
                .map(|l| l.text.clone())
                .unwrap_or_else(|| id.clone()),
            (FieldKind::Tags | FieldKind::ManyToMany { .. }, Value::Array(ids)) => ids
                .iter()
                .filter_map(Value::as_str)
                .map(|id| {
                    self.link(&field.name, id)
                        .map(|l| l.text.clone())
                        .unwrap_or_else(|| id.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
            (FieldKind::Json, v) => v.to_string(),
            (_, Value::String(s)) => s.clone(),
            (_, other) => other.to_string(),
        }
    }
}

fn join_items(items: &[Value], sep: &str) -> String {
    items
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(sep)
}

#[cfg(test)]
mod tests {
    use nautobot_plugin_abi::{FieldSchema, OnDelete};
    use serde_json::json;

    use super::*;

    fn related() -> Related {
        let mut links = HashMap::new();
        links.insert(
            "status".to_string(),
            HashMap::from([(
                "s1".to_string(),
                Link {
                    text: "Active".into(),
                    url: Some("/extras/statuses/s1/".into()),
                    color: None,
                },
            )]),
        );
        links.insert(
            "tags".to_string(),
            HashMap::from([(
                "t1".to_string(),
                Link {
                    text: "Gold, Premium".into(),
                    url: Some("/extras/tags/t1/".into()),
                    color: None,
                },
            )]),
        );
        Related { links }
    }

    #[test]
    fn cells_show_links_and_labels() {
        let r = related();
        let fk = FieldSchema::foreign_key("status", "extras.status", OnDelete::Protect);
        let cell = r.cell(&fk, &json!("s1"));
        assert_eq!(
            (cell.kind, cell.text.as_str(), cell.url.as_deref()),
            ("link", "Active", Some("/extras/statuses/s1/"))
        );
        assert_eq!(r.cell(&fk, &json!("zz")).text, "zz");
        assert_eq!(r.cell(&fk, &Value::Null).kind, "empty");
        let tags = FieldSchema::new("tags", FieldKind::Tags);
        assert_eq!(r.cell(&tags, &json!(["t1"])).links[0].text, "Gold, Premium");
        let b = FieldSchema::boolean("enabled");
        assert_eq!(r.cell(&b, &json!(true)).text, "Yes");
        let c = FieldSchema::choice("type", [("dhcp", "DHCP")]);
        assert_eq!(r.cell(&c, &json!("dhcp")).text, "DHCP");
        let ct = FieldSchema::new("content_types", FieldKind::Json);
        assert_eq!(
            r.cell(&ct, &json!(["dcim.device", "dcim.location"])).text,
            "dcim.device, dcim.location"
        );
        let j = FieldSchema::new("data", FieldKind::Json);
        assert_eq!(r.cell(&j, &json!({"a": 1})).kind, "json");
    }

    #[test]
    fn badges_take_the_colour_and_a_readable_text() {
        let badge = |c: &str| Badge::of(&[("color".to_string(), json!(c))].into_iter().collect());
        // Nautobot's green: white on it reads at 2.8:1, black at 7.6:1.
        assert_eq!(
            badge("4caf50"),
            Some(Badge {
                bg: "4caf50".into(),
                fg: "000000"
            })
        );
        assert_eq!(badge("f44336").map(|b| b.fg), Some("000000"));
        assert_eq!(badge("9e9e9e").map(|b| b.fg), Some("000000"));
        assert_eq!(badge("2196f3").map(|b| b.fg), Some("000000"));
        assert_eq!(badge("3f51b5").map(|b| b.fg), Some("ffffff"));
        assert_eq!(badge("795548").map(|b| b.fg), Some("ffffff"));
        assert_eq!(badge("ffeb3b").map(|b| b.fg), Some("000000"));
        assert_eq!(
            badge("#1F2D3A").map(|b| (b.bg, b.fg)),
            Some(("1f2d3a".into(), "ffffff"))
        );
        for bad in ["red", "12345", "1234567", "zzzzzz", "00ff00;x:y", ""] {
            assert_eq!(badge(bad), None, "{bad}");
        }
    }

    #[test]
    fn exports_use_display_names() {
        let r = related();
        let fk = FieldSchema::foreign_key("status", "extras.status", OnDelete::Protect);
        assert_eq!(r.export_text(&fk, &json!("s1")), "Active");
        let tags = FieldSchema::new("tags", FieldKind::Tags);
        assert_eq!(r.export_text(&tags, &json!(["t1"])), "Gold, Premium");
        let j = FieldSchema::new("content_types", FieldKind::Json);
        assert_eq!(r.export_text(&j, &json!(["a"])), "[\"a\"]");
        assert_eq!(r.export_text(&FieldSchema::integer("n"), &json!(5)), "5");
        assert_eq!(
            r.export_text(&FieldSchema::boolean("b"), &json!(false)),
            "false"
        );
        assert_eq!(r.export_text(&FieldSchema::integer("n"), &Value::Null), "");
    }
}
