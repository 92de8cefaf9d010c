//! The REST representation of objects, as Nautobot 2.x's serializers give it:
//! `id, object_type, display, url, natural_slug, <fields>, tags, created, last_updated,
//! notes_url, custom_fields`, foreign keys as `{id, object_type, url}` — or, with
//! `depth=1`, as the referred objects themselves, fetched in one query per field.

use std::collections::HashMap;

use nautobot_plugin_abi::FieldKind;
use serde_json::{json, Map, Value};

use super::{display, get_many, Row};
use nautobot_base::error::Result;
use nautobot_db::DbConnection;
use nautobot_schema::{Model, Registry};

/// The absolute URL of an object's REST endpoint (`base` is `http://host:port`).
pub fn object_url(base: &str, model: &Model, id: &str) -> String {
    format!("{base}{}{id}/", model.api_path)
}

/// `{id, object_type, url}`: how a reference to an object is shown.
pub fn reference(base: &str, model: &Model, id: &str) -> Value {
    json!({
        "id": id,
        "object_type": model.label(),
        "url": object_url(base, model, id),
    })
}

/// Nautobot's `natural_slug`: the natural key's values in lower case with spaces as
/// `-`, joined with `_`, then the start of the id (as `objects::fastjson` builds it in
/// SQL).
pub fn natural_slug(model: &Model, row: &Row) -> String {
    let slug = |s: &str| s.to_ascii_lowercase().replace(' ', "-");
    let mut parts: Vec<String> = model
        .natural_key
        .iter()
        .filter(|f| model.field(f).is_some())
        .map(|f| match row.get(f.as_str()) {
            Some(Value::String(s)) => slug(s),
            Some(Value::Null) | None => "null".to_string(),
            Some(other) => slug(&other.to_string()),
        })
        .collect();
    let id = row.get("id").and_then(Value::as_str).unwrap_or_default();
    parts.push(id.chars().take(4).collect());
    parts.join("_")
}

/// Serialises a page of objects of `model`; `depth` 1 expands foreign keys and tags into
/// the objects they refer to (one query per field for the whole page).
pub fn serialize_rows(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    rows: &[Row],
    base: &str,
    depth: u8,
) -> Result<Vec<Value>> {
    serialize_rows_visible(conn, registry, model, rows, base, depth, &|_| Ok(true))
}

/// [`serialize_rows`] for a requester: at `depth` 1 only references to models
/// `may_view` allows are expanded; the others stay brief references (id, object type,
/// URL), as at depth 0.
pub fn serialize_rows_visible(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    rows: &[Row],
    base: &str,
    depth: u8,
    may_view: &dyn Fn(&Model) -> Result<bool>,
) -> Result<Vec<Value>> {
    let mut expanded: HashMap<String, HashMap<String, Value>> = HashMap::new();
    if depth > 0 {
        let mut visible: HashMap<String, bool> = HashMap::new();
        for field in &model.schema.fields {
            let target = match &field.kind {
                _ if model.link(&field.name).is_some() => model
                    .link(&field.name)
                    .map(|l| l.to.as_str())
                    .unwrap_or_default(),
                FieldKind::ForeignKey { to, .. } => to.as_str(),
                FieldKind::Tags => "extras.tag",
                _ => continue,
            };
            let Some(target_model) = registry.get(target) else {
                continue;
            };
            let allowed = match visible.get(target) {
                Some(allowed) => *allowed,
                None => {
                    let allowed = may_view(target_model)?;
                    visible.insert(target.to_string(), allowed);
                    allowed
                }
            };
            if !allowed {
                continue;
            }
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
            let related = get_many(conn, target_model, &ids)?;
            let map = related
                .iter()
                .map(|r| {
                    let id = r
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    (id, serialize_row(registry, target_model, r, base, None))
                })
                .collect();
            expanded.insert(field.name.clone(), map);
        }
    }
    Ok(rows
        .iter()
        .map(|row| {
            serialize_row(
                registry,
                model,
                row,
                base,
                if depth > 0 { Some(&expanded) } else { None },
            )
        })
        .collect())
}

/// Serialises one object at depth 0, or with `expanded` references.
pub fn serialize_row(
    registry: &Registry,
    model: &Model,
    row: &Row,
    base: &str,
    expanded: Option<&HashMap<String, HashMap<String, Value>>>,
) -> Value {
    let id = row.get("id").and_then(Value::as_str).unwrap_or_default();
    let url = object_url(base, model, id);
    let mut out = Map::new();
    out.insert("id".into(), Value::String(id.to_string()));
    out.insert("object_type".into(), Value::String(model.label()));
    out.insert("display".into(), Value::String(display(model, row)));
    out.insert("url".into(), Value::String(url.clone()));
    out.insert(
        "natural_slug".into(),
        Value::String(natural_slug(model, row)),
    );
    for field in &model.schema.fields {
        if model.is_write_only(&field.name) && !row.contains_key(&field.name) {
            // Never shown; a new token's key is in the row only when it is created.
            continue;
        }
        let value = row.get(&field.name).cloned().unwrap_or(Value::Null);
        let links_to = model
            .link(&field.name)
            .map(|l| l.to.as_str())
            .or(match field.kind {
                FieldKind::Tags => Some("extras.tag"),
                _ => None,
            });
        let value = match &field.kind {
            _ if links_to.is_some() => {
                let target = links_to.and_then(|t| registry.get(t));
                Value::Array(
                    value
                        .as_array()
                        .map(|ids| {
                            ids.iter()
                                .filter_map(Value::as_str)
                                .filter_map(|ref_id| {
                                    expanded
                                        .and_then(|e| e.get(&field.name))
                                        .and_then(|m| m.get(ref_id))
                                        .cloned()
                                        .or_else(|| target.map(|t| reference(base, t, ref_id)))
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                )
            }
            FieldKind::ForeignKey { to, .. } => match value {
                Value::String(ref_id) => expanded
                    .and_then(|e| e.get(&field.name))
                    .and_then(|m| m.get(&ref_id))
                    .cloned()
                    .or_else(|| registry.get(to).map(|t| reference(base, t, &ref_id)))
                    .unwrap_or(Value::String(ref_id)),
                _ => Value::Null,
            },
            FieldKind::Choice { choices } => match value {
                // Nautobot shows choices as {value, label}.
                Value::String(v) if !v.is_empty() => {
                    let label = choices
                        .iter()
                        .find(|c| c.value == v)
                        .map(|c| c.label.clone())
                        .unwrap_or_else(|| v.clone());
                    json!({"value": v, "label": label})
                }
                other => other,
            },
            _ => value,
        };
        out.insert(field.name.clone(), value);
    }
    out.insert(
        "created".into(),
        row.get("created").cloned().unwrap_or(Value::Null),
    );
    out.insert(
        "last_updated".into(),
        row.get("last_updated").cloned().unwrap_or(Value::Null),
    );
    out.insert("notes_url".into(), Value::String(format!("{url}notes/")));
    out.insert(
        "custom_fields".into(),
        match row.get("custom_fields") {
            Some(Value::Object(data)) => Value::Object(data.clone()),
            _ => Value::Object(Map::new()),
        },
    );
    Value::Object(out)
}
