//! Custom fields on the generic pages: their inputs on add and edit forms (named
//! `cf_<key>`, after the model's fields), the form's values as the API's
//! `custom_fields`, and the "Custom Fields" panel of detail pages, grouped by `grouping`.

use serde_json::{json, Map, Value};

use nautobot_objects::custom_fields::Definition;
use nautobot_schema::{Model, Row};

use super::forms::{capfirst, FormField, FormValues, SelectOption};

/// The form name of the custom field `key`.
pub fn input_name(key: &str) -> String {
    format!("cf_{key}")
}

/// A stored value as form strings.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::String(s) => vec![s.clone()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect(),
        other => vec![other.to_string()],
    }
}

/// The object's values as form values (`cf_<key>` → strings), for an edit form.
pub fn initial(row: &Row) -> FormValues {
    row.get("custom_fields")
        .and_then(Value::as_object)
        .map(|data| {
            data.iter()
                .map(|(k, v)| (input_name(k), strings(v)))
                .collect()
        })
        .unwrap_or_default()
}

/// The inputs of `defs`, showing `values` (or, on an add form, the defaults).
pub fn inputs(defs: &[Definition], values: &FormValues, adding: bool) -> Vec<FormField> {
    defs.iter()
        .map(|def| {
            let name = input_name(&def.key);
            let given: Vec<String> = match values.get(&name) {
                Some(v) => v.clone(),
                None if adding => strings(&def.default),
                None => Vec::new(),
            };
            let option = |value: &str, label: &str| SelectOption {
                value: value.to_string(),
                label: label.to_string(),
                selected: given.iter().any(|g| g == value),
            };
            let empty = || SelectOption {
                value: String::new(),
                label: "---------".into(),
                selected: given.iter().all(|g| g.is_empty()),
            };
            let (widget, input_type, options) = match def.kind.as_str() {
                "select" => {
                    let mut o = vec![empty()];
                    o.extend(def.choices.iter().map(|c| option(c, c)));
                    ("select", "text", o)
                }
                "multi-select" => (
                    "multiselect",
                    "text",
                    def.choices.iter().map(|c| option(c, c)).collect(),
                ),
                "boolean" => (
                    "select",
                    "text",
                    vec![empty(), option("true", "Yes"), option("false", "No")],
                ),
                "json" | "markdown" => ("textarea", "text", Vec::new()),
                "integer" => ("number", "number", Vec::new()),
                "date" => ("text", "date", Vec::new()),
                _ => ("text", "text", Vec::new()),
            };
            FormField {
                name,
                label: capfirst(&def.label),
                widget,
                input_type,
                required: def.required,
                help_text: String::new(),
                value: given.first().cloned().unwrap_or_default(),
                checked: false,
                options,
                errors: Vec::new(),
                min: def.minimum.filter(|_| def.kind == "integer"),
                max: def.maximum.filter(|_| def.kind == "integer"),
                max_length: None,
                nullable: false,
                nullify: false,
            }
        })
        .collect()
}

/// The form's `cf_<key>` inputs as `custom_fields` (`None` when it has none): an empty
/// input is `null`, a multiple select a list, a JSON field's text parsed when it is
/// JSON. The model layer validates each value against its field.
pub fn from_form(model: &Model, form: &FormValues) -> Option<Value> {
    let mut out = Map::new();
    for (name, given) in form {
        let Some(key) = name.strip_prefix("cf_") else {
            continue;
        };
        if model.field(name).is_some() {
            continue;
        }
        let value = match given.as_slice() {
            [] => Value::Null,
            [one] if one.trim().is_empty() => Value::Null,
            [one] => serde_json::from_str::<Value>(one)
                .ok()
                .filter(|v| v.is_object() || v.is_array())
                .unwrap_or_else(|| Value::String(one.trim().to_string())),
            many => Value::Array(many.iter().map(|s| Value::String(s.clone())).collect()),
        };
        out.insert(key.to_string(), value);
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// The detail page's panel: the fields by group (in weight order), each value as text
/// (`url` values that are web addresses as links).
pub fn panel(defs: &[Definition], row: &Row) -> Value {
    let data = row.get("custom_fields").and_then(Value::as_object);
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for def in defs {
        let value = data.and_then(|d| d.get(&def.key)).unwrap_or(&Value::Null);
        let text = match value {
            Value::Null => String::new(),
            Value::Bool(true) => "Yes".into(),
            Value::Bool(false) => "No".into(),
            Value::String(s) => s.clone(),
            Value::Array(items) => strings(&Value::Array(items.clone())).join(", "),
            other => other.to_string(),
        };
        let is_link =
            def.kind == "url" && (text.starts_with("https://") || text.starts_with("http://"));
        let cell = json!({
            "kind": if text.is_empty() { "empty" } else if is_link { "link" } else { "text" },
            "text": text,
            "url": if is_link { Some(text.clone()) } else { None },
            "links": [],
            "color": null,
        });
        let field = json!({"key": def.key, "label": capfirst(&def.label), "cell": cell});
        let grouping = def.grouping.clone();
        match groups.iter_mut().find(|(g, _)| *g == grouping) {
            Some((_, fields)) => fields.push(field),
            None => groups.push((grouping, vec![field])),
        }
    }
    Value::Array(
        groups
            .into_iter()
            .map(|(name, fields)| json!({"name": name, "fields": fields}))
            .collect(),
    )
}
