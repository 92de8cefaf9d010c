//! Config contexts (Nautobot's `extras.ConfigContext` and `extras.ConfigContextSchema`):
//! JSON data given to every device in a context's scope, the data automation renders
//! device configurations from.
//!
//! A context applies to an object when it is active and, for each of its scope lists
//! (locations, roles, device types, platforms, tags), the list is empty or holds the
//! object's value — for locations the object's location or any of its ancestors, for
//! tags any of the object's tags. The data of the contexts that apply is merged in order
//! of weight, then name (a higher weight wins), dictionaries key by key and anything
//! else replaced, and the object's own `local_config_context_data` is merged last:
//! Nautobot's rules. A context, or an object's local data, may name a schema (a JSON
//! Schema document) that its data must satisfy.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use nautobot_base::error::{validated, Result, ValidationErrors};
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlValue},
    DbConnection,
};
use nautobot_schema::{column, Model, Registry, Row};

/// The contexts' model.
pub const MODEL: &str = "extras.configcontext";
/// The schemas' model.
pub const SCHEMA: &str = "extras.configcontextschema";
/// The field of an object's own data (models with it have a config context).
pub const LOCAL_DATA: &str = "local_config_context_data";
/// The field of the schema an object's own data must satisfy.
pub const LOCAL_SCHEMA: &str = "local_config_context_schema";

/// The scope lists of a context and the field of the object each is matched against.
const SCOPES: [(&str, &str); 4] = [
    ("locations", "location"),
    ("roles", "role"),
    ("device_types", "device_type"),
    ("platforms", "platform"),
];

/// Whether objects of `model` have a config context (Nautobot's `ConfigContextModel`:
/// devices here, virtual machines once they exist).
pub fn applies_to(model: &Model) -> bool {
    model.field(LOCAL_DATA).is_some()
}

/// Whether `?include=` asks for the config context.
pub fn included(params: &[(String, String)]) -> bool {
    params
        .iter()
        .filter(|(k, _)| k == "include")
        .flat_map(|(_, v)| v.split(','))
        .any(|v| v.trim() == "config_context")
}

/// One active context, as matching and merging need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// The context's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its weight.
    pub weight: i64,
    /// Its data (an object).
    pub data: Value,
    /// For each scope list (`locations`, … and `tags`), the ids it holds.
    scopes: HashMap<&'static str, HashSet<String>>,
}

impl Context {
    /// Whether the context applies to an object with `facts`.
    fn applies(&self, facts: &Facts) -> bool {
        let scope = |name: &str| self.scopes.get(name).filter(|ids| !ids.is_empty());
        for (list, field) in SCOPES {
            let Some(ids) = scope(list) else { continue };
            let hit = match field {
                "location" => facts.locations.iter().any(|l| ids.contains(l)),
                _ => facts
                    .values
                    .get(field)
                    .is_some_and(|value| ids.contains(value)),
            };
            if !hit {
                return false;
            }
        }
        match scope("tags") {
            Some(ids) => facts.tags.iter().any(|t| ids.contains(t)),
            None => true,
        }
    }
}

/// What an object is matched by: its location and the location's ancestors, its role,
/// device type and platform, its tags.
#[derive(Debug, Default, Clone)]
struct Facts {
    locations: Vec<String>,
    values: HashMap<&'static str, String>,
    tags: Vec<String>,
}

/// The id a REST representation gives for a reference: `{"id": …}` at any depth, or
/// the id itself.
fn reference_id(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn ids_of(value: Option<&Value>) -> HashSet<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(|i| reference_id(Some(i))).collect(),
        _ => HashSet::new(),
    }
}

/// Every active context, by weight and name.
pub fn active(conn: &mut DbConnection, registry: &Registry) -> Result<Vec<Context>> {
    let Some(model) = registry.get(MODEL) else {
        return Ok(Vec::new());
    };
    let mut query = super::query::ListQuery {
        limit: super::query::MAX_LIMIT,
        ..Default::default()
    }
    .filter("is_active", "true");
    let mut contexts = Vec::new();
    loop {
        let (rows, cursor) = super::query::page_rows(conn, registry, model, &query)?;
        let full = rows.len() as u64 == query.limit;
        contexts.extend(rows.iter().map(context_of));
        match cursor {
            Some(cursor) if full => query.cursor = Some(cursor),
            _ => break,
        }
    }
    Ok(contexts)
}

fn context_of(row: &Row) -> Context {
    let mut scopes = HashMap::new();
    for (list, _) in SCOPES {
        scopes.insert(list, ids_of(row.get(list)));
    }
    scopes.insert("tags", ids_of(row.get("tags")));
    Context {
        id: text(row, "id"),
        name: text(row, "name"),
        weight: row
            .get("weight")
            .and_then(Value::as_i64)
            .unwrap_or_default(),
        data: row
            .get("data")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
        scopes,
    }
}

fn text(row: &Row, field: &str) -> String {
    row.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Nautobot's `deepmerge`: `new` over `original`, dictionaries merged key by key,
/// anything else replaced.
pub fn deep_merge(original: &mut Value, new: &Value) {
    match (original, new) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                match into.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        deep_merge(existing, value)
                    }
                    _ => {
                        into.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (original, new) => *original = new.clone(),
    }
}

/// The contexts of `contexts` that apply to an object with `facts`, in merge order.
fn applying<'c>(contexts: &'c [Context], facts: &Facts) -> Vec<&'c Context> {
    contexts.iter().filter(|c| c.applies(facts)).collect()
}

/// The rendered config context of objects given as their REST representations (depth 0
/// or more), one per object: every applying context merged by weight, then the object's
/// local data. Three statements whatever the page: the contexts, the ancestors of the
/// page's locations, nothing per object.
pub fn for_objects(
    conn: &mut DbConnection,
    registry: &Registry,
    objects: &[Value],
) -> Result<Vec<Value>> {
    let contexts = active(conn, registry)?;
    let facts = facts_of(conn, registry, objects, !contexts.is_empty())?;
    Ok(objects
        .iter()
        .zip(&facts)
        .map(|(object, facts)| {
            let mut merged = Value::Object(Map::new());
            for context in applying(&contexts, facts) {
                deep_merge(&mut merged, &context.data);
            }
            if let Some(local) = object.get(LOCAL_DATA).filter(|v| v.is_object()) {
                deep_merge(&mut merged, local);
            }
            merged
        })
        .collect())
}

/// The contexts that apply to one object (REST representation), in merge order.
pub fn sources(
    conn: &mut DbConnection,
    registry: &Registry,
    object: &Value,
) -> Result<Vec<Context>> {
    let contexts = active(conn, registry)?;
    let facts = facts_of(conn, registry, std::slice::from_ref(object), true)?;
    Ok(facts
        .first()
        .map(|f| applying(&contexts, f).into_iter().cloned().collect())
        .unwrap_or_default())
}

/// Each object's facts; the locations' ancestors asked in one statement for the page
/// (only when some context could use them).
fn facts_of(
    conn: &mut DbConnection,
    registry: &Registry,
    objects: &[Value],
    needed: bool,
) -> Result<Vec<Facts>> {
    let mut facts: Vec<Facts> = objects
        .iter()
        .map(|o| {
            let mut f = Facts::default();
            for (_, field) in SCOPES {
                if let Some(id) = reference_id(o.get(field)) {
                    f.values.insert(field, id);
                }
            }
            f.tags = ids_of(o.get("tags")).into_iter().collect();
            f
        })
        .collect();
    if !needed {
        return Ok(facts);
    }
    let starts: Vec<String> = facts
        .iter()
        .filter_map(|f| f.values.get("location").cloned())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let ancestors = location_ancestors(conn, registry, &starts)?;
    for f in &mut facts {
        if let Some(location) = f.values.get("location") {
            f.locations = ancestors
                .get(location)
                .cloned()
                .unwrap_or_else(|| vec![location.clone()]);
        }
    }
    Ok(facts)
}

/// For each of `starts`, itself and its ancestors (one recursive statement).
fn location_ancestors(
    conn: &mut DbConnection,
    registry: &Registry,
    starts: &[String],
) -> Result<HashMap<String, Vec<String>>> {
    let mut found: HashMap<String, Vec<String>> = HashMap::new();
    let Some(location) = registry.get("dcim.location") else {
        return Ok(found);
    };
    let Some(parent) = location.field("parent") else {
        return Ok(found);
    };
    if starts.is_empty() {
        return Ok(found);
    }
    let (table, parent) = (ident(&location.table()), ident(&column(parent)));
    let backend = dynamic::backend_of(conn);
    let pair = match backend {
        nautobot_db::Backend::Postgres => "json_build_array(origin, id)::text",
        nautobot_db::Backend::Sqlite => "json_array(origin, id)",
    };
    // Bounded by the depth of the tree (a cycle cannot be stored: parents are checked
    // on write), and by a limit on the depth for safety.
    let mut sql = Sql::from(format!(
        "WITH RECURSIVE up(origin, id, parent, depth) AS (SELECT \"id\", \"id\", {parent}, 0 \
         FROM {table} WHERE \"id\" IN ("
    ));
    for (i, id) in starts.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(SqlValue::text(id.clone()));
    }
    sql.push(format!(
        ") UNION ALL SELECT up.origin, l.\"id\", l.{parent}, up.depth + 1 FROM {table} l \
         JOIN up ON l.\"id\" = up.parent WHERE up.depth < 64) SELECT {pair} AS row FROM up"
    ));
    for row in dynamic::query_json(conn, &sql)? {
        if let (Some(start), Some(id)) = (
            row.get(0).and_then(Value::as_str),
            row.get(1).and_then(Value::as_str),
        ) {
            found
                .entry(start.to_string())
                .or_default()
                .push(id.to_string());
        }
    }
    Ok(found)
}

/// The JSON Schema of `data_schema`, compiled; the error names what is wrong with it.
fn compile(schema: &Value) -> std::result::Result<jsonschema::Validator, String> {
    if !schema.is_object() {
        return Err("The schema must be a JSON object.".into());
    }
    // The library panics on a `$schema` it does not know rather than failing.
    std::panic::catch_unwind(|| {
        jsonschema::validator_for(schema).map_err(|e| format!("Not a valid JSON Schema: {e}"))
    })
    .map_err(|_| "The schema names a JSON Schema draft that is not supported.".to_string())?
}

/// The messages of `data` failing `schema` (empty: it passes), Nautobot's wording.
fn schema_errors(validator: &jsonschema::Validator, data: &Value) -> Vec<String> {
    validator
        .iter_errors(data)
        .take(10)
        .map(|e| {
            let path = e.instance_path.to_string();
            if path.is_empty() {
                format!("Validation using the JSON Schema failed: {e}")
            } else {
                format!("Validation using the JSON Schema failed at {path}: {e}")
            }
        })
        .collect()
}

/// The `data_schema` of the schema `id`, if it exists.
fn schema_of(conn: &mut DbConnection, registry: &Registry, id: &str) -> Result<Option<Value>> {
    let Some(model) = registry.get(SCHEMA) else {
        return Ok(None);
    };
    Ok(super::get(conn, model, id)?.and_then(|r| r.get("data_schema").cloned()))
}

/// Checks a row before it is written: a schema's `data_schema` compiles; a context's
/// `data`, and an object's local data, are JSON objects that satisfy their schema.
pub fn prepare(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    row: &Row,
) -> Result<()> {
    let mut errors = ValidationErrors::new();
    let mut error =
        |field: &str, message: String| errors.entry(field.to_string()).or_default().push(message);
    let label = model.label();
    if label == SCHEMA {
        if let Err(message) = compile(row.get("data_schema").unwrap_or(&Value::Null)) {
            error("data_schema", message);
        }
    }
    let (data_field, schema_field) = match label.as_str() {
        MODEL => ("data", "config_context_schema"),
        _ if applies_to(model) => (LOCAL_DATA, LOCAL_SCHEMA),
        _ => return validated(errors),
    };
    let data = row.get(data_field).filter(|v| !v.is_null());
    if let Some(data) = data {
        if !data.is_object() {
            error(
                data_field,
                "JSON data must be in object form. Example: {\"foo\": 123}".into(),
            );
        }
    }
    if let Some(schema_id) = row.get(schema_field).and_then(Value::as_str) {
        match data {
            None => error(
                data_field,
                "Local config context data must exist for a schema to be applied.".into(),
            ),
            Some(data) if data.is_object() => match schema_of(conn, registry, schema_id)? {
                Some(schema) => match compile(&schema) {
                    Ok(validator) => {
                        for message in schema_errors(&validator, data) {
                            error(data_field, message);
                        }
                    }
                    Err(message) => error(schema_field, message),
                },
                None => error(schema_field, "The schema does not exist.".into()),
            },
            Some(_) => {}
        }
    }
    validated(errors)
}
