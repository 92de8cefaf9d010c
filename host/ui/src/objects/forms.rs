//! HTML forms of a model: which input each field gets, the values it shows, and how the
//! submitted strings become the JSON the model layer takes (the same input as the REST
//! API's). Pure: options for foreign keys and tags are fetched by the caller.

use std::collections::{BTreeMap, HashMap};

use nautobot_plugin_abi::{FieldKind, FieldSchema};
use serde::Serialize;
use serde_json::{Map, Value};

use nautobot_base::error::ValidationErrors;
use nautobot_objects::{values::parse_bool, write::default_for, Row};
use nautobot_schema::Model;

/// Submitted (or initial) form values: every value of each key, in order.
pub type FormValues = BTreeMap<String, Vec<String>>;

/// The form field bulk edit uses to clear nullable fields.
pub const NULLIFY: &str = "_nullify";
/// Bulk edit: tags to add to every selected object.
pub const ADD_TAGS: &str = "add_tags";
/// Bulk edit: tags to take off every selected object.
pub const REMOVE_TAGS: &str = "remove_tags";

/// Collects `key=value` pairs into [`FormValues`].
pub fn values_of(pairs: &[(String, String)]) -> FormValues {
    let mut out = FormValues::new();
    for (k, v) in pairs {
        out.entry(k.clone()).or_default().push(v.clone());
    }
    out
}

/// The first value of `key`, if any.
pub fn first<'a>(form: &'a FormValues, key: &str) -> Option<&'a str> {
    form.get(key).and_then(|v| v.first()).map(String::as_str)
}

/// Whether a JSON field holds a list of model labels (`content_types`), shown as a
/// multiple select of the models.
pub fn is_model_list(field: &FieldSchema) -> bool {
    matches!(field.kind, FieldKind::Json)
        && (field.name == "content_types" || field.name == "object_types")
}

/// Whether the field's value is a list of ids or labels chosen in a multiple select:
/// tags, model lists, many-to-many fields.
pub fn is_list(model: &Model, field: &FieldSchema) -> bool {
    matches!(field.kind, FieldKind::Tags)
        || is_model_list(field)
        || model.link(&field.name).is_some()
}

/// Whether the field is a foreign key, tags or a model list: its options come from the
/// database (or the registry).
pub fn needs_options(field: &FieldSchema) -> bool {
    matches!(
        field.kind,
        FieldKind::ForeignKey { .. } | FieldKind::ManyToMany { .. } | FieldKind::Tags
    ) || is_model_list(field)
}

/// One `<option>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectOption {
    /// Its value.
    pub value: String,
    /// What it shows.
    pub label: String,
    /// Whether it is selected.
    pub selected: bool,
}

/// One input of a form, ready for the template.
#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    /// The input's name (the field's name).
    pub name: String,
    /// Its label.
    pub label: String,
    /// `text`, `number`, `textarea`, `checkbox`, `select`, `multiselect` or `tristate`.
    pub widget: &'static str,
    /// The `type` of a text input (`text`, `date`).
    pub input_type: &'static str,
    /// Whether a value must be given.
    pub required: bool,
    /// Help below the input.
    pub help_text: String,
    /// The value shown (text inputs, the selected value of selects).
    pub value: String,
    /// Whether a checkbox is checked.
    pub checked: bool,
    /// The options of selects.
    pub options: Vec<SelectOption>,
    /// Messages for this field.
    pub errors: Vec<String>,
    /// Smallest number allowed.
    pub min: Option<i64>,
    /// Largest number allowed.
    pub max: Option<i64>,
    /// Longest text allowed.
    pub max_length: Option<u32>,
    /// Bulk edit: whether the field may be cleared.
    pub nullable: bool,
    /// Bulk edit: whether "clear" is ticked.
    pub nullify: bool,
}

/// Capitalises the first letter (Django's `capfirst`).
pub fn capfirst(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// The fields an add or edit form shows: all of them, in declaration order.
pub fn edit_fields(model: &Model) -> Vec<&FieldSchema> {
    model.schema.fields.iter().collect()
}

/// The fields bulk edit offers: not unique ones, not the display field, not tags (added
/// and removed separately) nor JSON.
pub fn bulk_fields(model: &Model) -> Vec<&FieldSchema> {
    model
        .schema
        .fields
        .iter()
        .filter(|f| {
            !f.unique
                && Some(&f.name) != model.display_field.as_ref()
                && !matches!(f.kind, FieldKind::Tags | FieldKind::Json)
        })
        .collect()
}

/// Builds the inputs of `fields` showing `values` with `errors`; `options` holds
/// `(value, label)` lists for foreign keys, tags and model lists; `bulk` makes every
/// input optional, booleans three-state and nullable fields clearable.
pub fn build(
    fields: &[&FieldSchema],
    values: &FormValues,
    errors: &ValidationErrors,
    options: &HashMap<String, Vec<(String, String)>>,
    bulk: bool,
) -> Vec<FormField> {
    let nullified: Vec<&String> = values
        .get(NULLIFY)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    fields
        .iter()
        .map(|field| {
            let given: &[String] = values.get(&field.name).map(Vec::as_slice).unwrap_or(&[]);
            let (widget, input_type) = widget_of(field, options.contains_key(&field.name), bulk);
            let value = match (&field.kind, widget) {
                (FieldKind::ManyToMany { .. }, "text") => given.join(", "),
                _ => given.first().cloned().unwrap_or_default(),
            };
            let select = |choices: Vec<(String, String)>, empty: bool| {
                let mut out = Vec::new();
                if empty {
                    out.push(SelectOption {
                        value: String::new(),
                        label: "---------".into(),
                        selected: given.iter().all(|v| v.is_empty()),
                    });
                }
                out.extend(choices.into_iter().map(|(v, l)| SelectOption {
                    selected: given.contains(&v),
                    value: v,
                    label: l,
                }));
                out
            };
            let options = match (&field.kind, widget) {
                (FieldKind::Choice { choices }, _) => select(
                    choices
                        .iter()
                        .map(|c| (c.value.clone(), c.label.clone()))
                        .collect(),
                    true,
                ),
                (_, "select") => {
                    select(options.get(&field.name).cloned().unwrap_or_default(), true)
                }
                (_, "multiselect") => {
                    select(options.get(&field.name).cloned().unwrap_or_default(), false)
                }
                (_, "tristate") => select(
                    vec![("true".into(), "Yes".into()), ("false".into(), "No".into())],
                    true,
                ),
                _ => Vec::new(),
            };
            let (min, max) = match &field.kind {
                FieldKind::Integer { min, max } => (*min, *max),
                FieldKind::PositiveInteger => (Some(0), None),
                _ => (None, None),
            };
            FormField {
                name: field.name.clone(),
                label: capfirst(&field.label()),
                widget,
                input_type,
                required: !bulk && widget != "checkbox" && default_for(field).is_none(),
                help_text: field.help_text.clone(),
                checked: widget == "checkbox" && given.iter().any(|v| parse_bool(v) == Some(true)),
                value,
                options,
                errors: errors.get(&field.name).cloned().unwrap_or_default(),
                min,
                max,
                max_length: match field.kind {
                    FieldKind::Char { max_length } | FieldKind::Slug { max_length } => {
                        Some(max_length)
                    }
                    _ => None,
                },
                nullable: bulk && field.null,
                nullify: bulk && nullified.contains(&&field.name),
            }
        })
        .collect()
}

fn widget_of(field: &FieldSchema, has_options: bool, bulk: bool) -> (&'static str, &'static str) {
    match &field.kind {
        FieldKind::Boolean if bulk => ("tristate", "text"),
        FieldKind::Boolean => ("checkbox", "checkbox"),
        FieldKind::Text => ("textarea", "text"),
        FieldKind::Json if is_model_list(field) || has_options => ("multiselect", "text"),
        FieldKind::Json => ("textarea", "text"),
        FieldKind::Integer { .. } | FieldKind::PositiveInteger => ("number", "number"),
        FieldKind::Date => ("text", "date"),
        FieldKind::Choice { .. } => ("select", "text"),
        FieldKind::ForeignKey { .. } if has_options => ("select", "text"),
        // Too many objects to offer: ids or names, separated by commas.
        FieldKind::ManyToMany { .. } if !has_options => ("text", "text"),
        FieldKind::ManyToMany { .. } | FieldKind::Tags => ("multiselect", "text"),
        _ => ("text", "text"),
    }
}

/// A stored value as form strings (one per selected option for lists).
pub fn value_strings(field: &FieldSchema, value: &Value) -> Vec<String> {
    match (&field.kind, value) {
        (_, Value::Null) => Vec::new(),
        (FieldKind::Json, v) if !is_model_list(field) => {
            vec![serde_json::to_string_pretty(v).unwrap_or_default()]
        }
        (_, Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        (_, Value::Bool(true)) => vec!["true".into()],
        (_, Value::Bool(false)) => Vec::new(),
        (_, Value::String(s)) => vec![s.clone()],
        (_, other) => vec![other.to_string()],
    }
}

/// The values an edit form starts with: the object's.
pub fn initial_from_row(model: &Model, row: &Row) -> FormValues {
    model
        .schema
        .fields
        .iter()
        .map(|f| {
            let value = row.get(&f.name).unwrap_or(&Value::Null);
            let strings = match value {
                Value::Array(items) if model.link(&f.name).is_some() => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => value_strings(f, value),
            };
            (f.name.clone(), strings)
        })
        .collect()
}

/// The values an add form starts with: each field's default, then what the query
/// string gives for a field (`?location_type=<id>`).
pub fn initial_for_add(model: &Model, params: &[(String, String)]) -> FormValues {
    let mut out: FormValues = model
        .schema
        .fields
        .iter()
        .filter_map(|f| {
            f.default
                .as_ref()
                .map(|d| (f.name.clone(), value_strings(f, d)))
        })
        .collect();
    let given = values_of(params);
    for field in &model.schema.fields {
        if let Some(v) = given.get(&field.name) {
            out.insert(field.name.clone(), v.clone());
        }
    }
    out
}

/// Converts an add or edit form into the model layer's input: an absent checkbox is
/// `false`, an absent multiple select an empty list, an empty optional value `null` (an
/// empty required one `""`, which the model layer refuses with its message), a JSON
/// text parsed; inputs missing entirely are left out (defaults apply on create, the
/// stored value stays on update).
pub fn to_json(model: &Model, form: &FormValues) -> Result<Map<String, Value>, ValidationErrors> {
    let mut out = Map::new();
    let mut errors = ValidationErrors::new();
    for field in &model.schema.fields {
        let given = form.get(&field.name);
        let value = match &field.kind {
            FieldKind::Boolean => {
                Value::Bool(given.is_some_and(|v| v.iter().any(|s| parse_bool(s) == Some(true))))
            }
            FieldKind::Tags => list(given),
            // A multiple select's ids, or ids and names typed separated by commas.
            FieldKind::ManyToMany { .. } => Value::Array(
                given
                    .into_iter()
                    .flatten()
                    .flat_map(|s| s.split(','))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            ),
            FieldKind::Json if is_list(model, field) => list(given),
            FieldKind::Json => {
                let Some(text) = given.and_then(|v| v.first()) else {
                    continue;
                };
                if text.trim().is_empty() {
                    field.default.clone().unwrap_or(Value::Null)
                } else {
                    match serde_json::from_str(text) {
                        Ok(v) => v,
                        Err(e) => {
                            errors
                                .entry(field.name.clone())
                                .or_default()
                                .push(format!("Enter valid JSON: {e}"));
                            continue;
                        }
                    }
                }
            }
            _ => {
                let Some(text) = given.and_then(|v| v.first()) else {
                    continue;
                };
                empty_or_text(field, text)
            }
        };
        out.insert(field.name.clone(), value);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn list(given: Option<&Vec<String>>) -> Value {
    Value::Array(
        given
            .map(|v| {
                v.iter()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| Value::String(s.trim().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// `null` for an empty value of a nullable field, else the text.
fn empty_or_text(field: &FieldSchema, text: &str) -> Value {
    if text.trim().is_empty() && field.null {
        Value::Null
    } else {
        Value::String(text.to_string())
    }
}

/// What a bulk edit changes on every selected object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkChange {
    /// Fields set (or cleared with `null`).
    pub values: Map<String, Value>,
    /// Tag ids added.
    pub add_tags: Vec<String>,
    /// Tag ids removed.
    pub remove_tags: Vec<String>,
}

impl BulkChange {
    /// Whether the change changes nothing.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.add_tags.is_empty() && self.remove_tags.is_empty()
    }

    /// The partial update for one object (its tags merged with the added and removed).
    pub fn for_row(&self, model: &Model, row: &Row) -> Value {
        let mut values = self.values.clone();
        if self.add_tags.is_empty() && self.remove_tags.is_empty() {
            return Value::Object(values);
        }
        for field in model
            .schema
            .fields
            .iter()
            .filter(|f| matches!(f.kind, FieldKind::Tags))
        {
            let mut tags: Vec<String> = row
                .get(&field.name)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            for t in &self.add_tags {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
            tags.retain(|t| !self.remove_tags.contains(t));
            values.insert(
                field.name.clone(),
                Value::Array(tags.into_iter().map(Value::String).collect()),
            );
        }
        Value::Object(values)
    }
}

/// Converts a bulk edit form: only fields given a value change (booleans: `true` or
/// `false` from the three-state select), nullable fields ticked in `_nullify` are
/// cleared, tags are added and removed.
pub fn bulk_to_json(model: &Model, form: &FormValues) -> BulkChange {
    let mut change = BulkChange::default();
    let nullify = form.get(NULLIFY).cloned().unwrap_or_default();
    for field in bulk_fields(model) {
        if field.null && nullify.contains(&field.name) {
            change.values.insert(field.name.clone(), Value::Null);
            continue;
        }
        let Some(text) = first(form, &field.name).filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        let value = match field.kind {
            FieldKind::Boolean => match parse_bool(text) {
                Some(b) => Value::Bool(b),
                None => continue,
            },
            _ => Value::String(text.to_string()),
        };
        change.values.insert(field.name.clone(), value);
    }
    if model.has_tags() {
        let ids = |key: &str| -> Vec<String> {
            form.get(key)
                .map(|v| {
                    v.iter()
                        .filter(|s| !s.trim().is_empty())
                        .map(|s| s.trim().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        change.add_tags = ids(ADD_TAGS);
        change.remove_tags = ids(REMOVE_TAGS);
    }
    change
}

/// The columns of a CSV import: each header names a field of `model`.
pub fn csv_columns<'a>(
    model: &'a Model,
    header: &[String],
) -> Result<Vec<&'a FieldSchema>, String> {
    let mut fields = Vec::new();
    let mut unknown = Vec::new();
    for name in header {
        let name = name.trim();
        match model.field(name) {
            Some(f) if fields.iter().any(|g: &&FieldSchema| g.name == f.name) => {
                return Err(format!("Column \"{name}\" appears twice."));
            }
            Some(f) => fields.push(f),
            None => unknown.push(format!("\"{name}\"")),
        }
    }
    if !unknown.is_empty() {
        let known: Vec<&str> = model
            .schema
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        return Err(format!(
            "Unknown column {}: the columns are field names ({}).",
            unknown.join(", "),
            known.join(", ")
        ));
    }
    Ok(fields)
}

/// Converts one CSV record: an empty cell is left out (the default applies), tags are
/// comma-separated names or ids, JSON cells are JSON (or a comma-separated list),
/// foreign keys are names or ids as the model layer resolves them.
pub fn csv_record_to_json(
    columns: &[&FieldSchema],
    record: &[String],
) -> Result<Map<String, Value>, String> {
    if record.len() != columns.len() {
        return Err(format!(
            "this row has {} fields but the header has {}",
            record.len(),
            columns.len()
        ));
    }
    let mut out = Map::new();
    for (field, cell) in columns.iter().zip(record) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let split = || {
            Value::Array(
                cell.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            )
        };
        let value = match field.kind {
            FieldKind::Tags | FieldKind::ManyToMany { .. } => split(),
            FieldKind::Json => serde_json::from_str(cell).unwrap_or_else(|_| split()),
            _ => Value::String(cell.to_string()),
        };
        out.insert(field.name.clone(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use nautobot_plugin_abi::{ModelSchema, OnDelete};
    use serde_json::json;

    use super::*;

    fn model() -> Model {
        Model::new(
            ModelSchema::new("dcim", "thing")
                .field(FieldSchema::char("name", 50).unique())
                .field(
                    FieldSchema::char("description", 200)
                        .blank()
                        .default_value(""),
                )
                .field(FieldSchema::integer("asn").optional())
                .field(FieldSchema::boolean("enabled").default_value(true))
                .field(FieldSchema::foreign_key(
                    "status",
                    "extras.status",
                    OnDelete::Protect,
                ))
                .field(
                    FieldSchema::foreign_key("parent", "dcim.thing", OnDelete::SetNull).optional(),
                )
                .field(FieldSchema::choice("kind", [("a", "A"), ("b", "B")]).default_value("a"))
                .field(FieldSchema::new("content_types", FieldKind::Json).default_value(json!([])))
                .field(FieldSchema::new("extra", FieldKind::Json).optional())
                .field(FieldSchema::new("tags", FieldKind::Tags).blank()),
            None,
            false,
        )
    }

    fn form(pairs: &[(&str, &str)]) -> FormValues {
        values_of(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn an_add_form_becomes_api_input() {
        let m = model();
        let json = to_json(
            &m,
            &form(&[
                ("name", "Site A"),
                ("description", ""),
                ("asn", ""),
                ("status", "0b5c8d4e-7f3a-4c1b-9d2e-1a2b3c4d5e6f"),
                ("parent", ""),
                ("kind", "b"),
                ("content_types", "dcim.device"),
                ("content_types", "dcim.location"),
                ("extra", "{\"a\": 1}"),
                ("tags", "t1"),
                ("tags", "t2"),
                ("csrfmiddlewaretoken", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(
            Value::Object(json),
            json!({
                "name": "Site A",
                "description": "",
                "asn": null,
                "enabled": false,
                "status": "0b5c8d4e-7f3a-4c1b-9d2e-1a2b3c4d5e6f",
                "parent": null,
                "kind": "b",
                "content_types": ["dcim.device", "dcim.location"],
                "extra": {"a": 1},
                "tags": ["t1", "t2"],
            })
        );
    }

    #[test]
    fn checkboxes_lists_and_missing_inputs() {
        let m = model();
        let json = to_json(&m, &form(&[("enabled", "on"), ("extra", " ")])).unwrap();
        assert_eq!(
            Value::Object(json),
            json!({"enabled": true, "content_types": [], "extra": null, "tags": []})
        );
        let err = to_json(&m, &form(&[("extra", "{nope")])).unwrap_err();
        assert!(err["extra"][0].starts_with("Enter valid JSON"));
    }

    #[test]
    fn inputs_show_values_and_errors() {
        let m = model();
        let fields = edit_fields(&m);
        let mut options = HashMap::new();
        options.insert(
            "status".to_string(),
            vec![("s1".to_string(), "Active".to_string())],
        );
        let mut errors = ValidationErrors::new();
        errors.insert("name".into(), vec!["This field may not be blank.".into()]);
        let built = build(
            &fields,
            &form(&[("status", "s1"), ("enabled", "true"), ("kind", "a")]),
            &errors,
            &options,
            false,
        );
        let by = |n: &str| built.iter().find(|f| f.name == n).unwrap();
        assert_eq!(by("name").errors, ["This field may not be blank."]);
        assert!(by("name").required);
        assert!(!by("description").required);
        assert_eq!(by("asn").widget, "number");
        assert_eq!(by("enabled").widget, "checkbox");
        assert!(by("enabled").checked);
        assert_eq!(by("status").widget, "select");
        assert!(by("status").options[1].selected);
        assert!(!by("status").options[0].selected);
        // A foreign key to a model without options is a text input (an id).
        assert_eq!(by("parent").widget, "text");
        assert_eq!(by("kind").options.len(), 3);
        assert!(by("kind").options[1].selected);
        assert_eq!(by("tags").widget, "multiselect");
        assert_eq!(by("extra").widget, "textarea");
    }

    #[test]
    fn rows_and_defaults_fill_the_form() {
        let m = model();
        let row: Row = serde_json::from_value(json!({
            "id": "x", "name": "A", "asn": 65000, "enabled": false, "extra": {"k": [1]},
            "content_types": ["dcim.device"], "tags": ["t1"], "parent": null,
        }))
        .unwrap();
        let v = initial_from_row(&m, &row);
        assert_eq!(v["name"], ["A"]);
        assert_eq!(v["asn"], ["65000"]);
        assert!(v["enabled"].is_empty());
        assert!(v["parent"].is_empty());
        assert_eq!(v["content_types"], ["dcim.device"]);
        assert_eq!(v["tags"], ["t1"]);
        assert!(v["extra"][0].contains("\"k\""));
        let v = initial_for_add(&m, &[("parent".into(), "p1".into())]);
        assert_eq!(v["enabled"], ["true"]);
        assert_eq!(v["kind"], ["a"]);
        assert_eq!(v["parent"], ["p1"]);
        assert!(!v.contains_key("name"));
    }

    #[test]
    fn bulk_edits_change_only_what_is_given() {
        let m = model();
        let fields: Vec<&str> = bulk_fields(&m).iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            fields,
            ["description", "asn", "enabled", "status", "parent", "kind"]
        );
        let change = bulk_to_json(
            &m,
            &form(&[
                ("description", "new"),
                ("asn", ""),
                ("enabled", ""),
                ("kind", "b"),
                (NULLIFY, "parent"),
                (NULLIFY, "status"),
                (ADD_TAGS, "t2"),
                (REMOVE_TAGS, "t1"),
            ]),
        );
        assert_eq!(
            Value::Object(change.values.clone()),
            json!({"description": "new", "parent": null, "kind": "b"})
        );
        let row: Row = serde_json::from_value(json!({"tags": ["t1", "t3"]})).unwrap();
        assert_eq!(
            change.for_row(&m, &row),
            json!({"description": "new", "parent": null, "kind": "b", "tags": ["t3", "t2"]})
        );
        let change = bulk_to_json(&m, &form(&[("enabled", "false")]));
        assert_eq!(Value::Object(change.values), json!({"enabled": false}));
        assert!(bulk_to_json(&m, &form(&[("name", "x")])).is_empty());
    }

    #[test]
    fn csv_records_become_api_input() {
        let m = model();
        let header: Vec<String> = ["name", "status", "tags", "content_types", "asn"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let columns = csv_columns(&m, &header).unwrap();
        let record: Vec<String> = ["A", "Active", "t1, t2", "[\"dcim.device\"]", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            Value::Object(csv_record_to_json(&columns, &record).unwrap()),
            json!({"name": "A", "status": "Active", "tags": ["t1", "t2"], "content_types": ["dcim.device"]})
        );
        let record: Vec<String> = ["B", "Active", "", "dcim.device,dcim.location", "5"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            csv_record_to_json(&columns, &record).unwrap()["content_types"],
            json!(["dcim.device", "dcim.location"])
        );
        assert!(csv_record_to_json(&columns, &["A".to_string()])
            .unwrap_err()
            .contains("1 fields but the header has 5"));
        assert!(csv_columns(&m, &["nope".to_string()])
            .unwrap_err()
            .contains("Unknown column \"nope\""));
        assert!(csv_columns(&m, &["name".to_string(), "name".to_string()])
            .unwrap_err()
            .contains("twice"));
    }
}
