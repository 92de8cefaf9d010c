//! Job variables: cleaning the `data` a user submits for a job (API or run form) as
//! Nautobot's job forms do, with Django's messages, and expanding the cleaned values into
//! what the job's handler receives.
//!
//! Cleaned data is what is stored with the job result and queued: plain JSON, objects as
//! their ids. [`expand`] turns the ids into the objects' REST representation when the
//! job runs.

use std::collections::HashMap;

use nautobot_plugin_abi::{JobVar, VarKind};
use serde_json::{Map, Value};

use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_db::DbConnection;
use nautobot_objects::capitalise;
use nautobot_objects::{
    self as objects,
    query::{self, ListQuery},
    serialize, values, Row,
};
use nautobot_schema::{Model, Registry};

/// Django's message for a missing required value.
pub const REQUIRED: &str = "This field is required.";
/// The message for a key of `data` that names no variable of the job.
pub const UNKNOWN_VARIABLE: &str = "This variable does not exist.";
/// Django's `ModelChoiceField` message for an object that does not exist or does not
/// match the variable's query.
pub const INVALID_OBJECT: &str =
    "Select a valid choice. That choice is not one of the available choices.";

/// Messages for one variable, or its cleaned value.
type Cleaned = std::result::Result<Value, Vec<String>>;

/// Cleans the `data` a user submits for a job's `variables`: every value checked against its
/// variable, defaults applied, unknown keys refused; errors per variable name with Django's
/// messages.
///
/// The result has one key per variable, in `variables` order:
///
/// - a missing or empty (`null`, `""`, `[]`, `{}`) value of a required variable is
///   `This field is required.`; an optional one takes its `default` (cleaned like a given
///   value), else `null` — `false` for booleans (which, as in Nautobot, are never
///   required) and `[]` for multi-valued variables;
/// - strings and texts are trimmed (Django's `strip`); a string's `regex` must match the
///   whole value;
/// - integers are taken from numbers or strings (`"3"`, `"3.0"`);
/// - booleans from `true`/`false` or the spellings [`values::parse_bool`] knows;
/// - a multi-choice from a list or a single string;
/// - an object from its id, `{"id": …}`, or (as Nautobot's API allows) an object of REST
///   filters matching exactly one object (`{"name": "HQ"}`); it must also match the
///   variable's `query`, whose string values `"$name"` stand for the cleaned value of the
///   variable `name` (as in Nautobot's `query_params`; a filter on an empty variable is
///   dropped). Objects are stored as their ids, multi-objects as lists of ids;
/// - IP addresses (optional prefix length) and networks (prefix length required) in
///   canonical text form;
/// - JSON as given, a string parsed as JSON if it parses; a file as its text.
///
/// Keys of `data` naming no variable are refused with [`UNKNOWN_VARIABLE`], to catch
/// typos. Nautobot's run form ignores them; its API refuses them too, with another
/// message (`Job data contained an unknown property`).
///
/// A variable that cannot be checked — a model or query filter that does not exist, an
/// invalid regex — is the job's fault, not the user's: an [`Error::Internal`].
pub fn clean(
    conn: &mut DbConnection,
    registry: &Registry,
    variables: &[JobVar],
    data: &Map<String, Value>,
    within: Within<'_>,
) -> Result<Map<String, Value>> {
    let mut errors = ValidationErrors::new();
    for key in data.keys() {
        if !variables.iter().any(|v| &v.name == key) {
            errors.insert(key.clone(), vec![UNKNOWN_VARIABLE.to_string()]);
        }
    }
    // Objects last: their queries may refer to the other variables.
    let (objects, plain): (Vec<&JobVar>, Vec<&JobVar>) = variables
        .iter()
        .partition(|v| matches!(v.kind, VarKind::Object { .. } | VarKind::MultiObject { .. }));
    let mut cleaned = Map::new();
    for var in plain.into_iter().chain(objects) {
        match clean_var(conn, registry, var, data.get(&var.name), &cleaned, within)? {
            Ok(value) => {
                cleaned.insert(var.name.clone(), value);
            }
            Err(messages) => {
                errors.insert(var.name.clone(), messages);
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(Box::new(errors)));
    }
    let mut out = Map::new();
    for var in variables {
        if let Some(value) = cleaned.remove(&var.name) {
            out.insert(var.name.clone(), value);
        }
    }
    Ok(out)
}

/// What the job receives: `cleaned` with Object/MultiObject ids replaced by the objects'
/// REST representation (as [`serialize::serialize_rows`] gives it at depth 0, with relative
/// URLs); missing objects (deleted since) become an error naming the variable.
///
/// Keys of `cleaned` that name no object variable are passed on unchanged.
pub fn expand(
    conn: &mut DbConnection,
    registry: &Registry,
    variables: &[JobVar],
    cleaned: &Map<String, Value>,
) -> Result<Map<String, Value>> {
    let mut out = cleaned.clone();
    let mut errors = ValidationErrors::new();
    for var in variables {
        let (model, multi) = match &var.kind {
            VarKind::Object { model, .. } => (model, false),
            VarKind::MultiObject { model, .. } => (model, true),
            _ => continue,
        };
        let Some(value) = cleaned.get(&var.name) else {
            continue;
        };
        let model = model_of(registry, var, model)?;
        let ids: Vec<String> = match value {
            Value::String(id) => vec![id.clone()],
            Value::Array(list) => list
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => continue,
        };
        let rows: HashMap<String, Row> = objects::get_many(conn, model, &ids)?
            .into_iter()
            .filter_map(|row| {
                let id = row.get("id").and_then(Value::as_str)?.to_string();
                Some((id, row))
            })
            .collect();
        let missing: Vec<&str> = ids
            .iter()
            .filter(|id| !rows.contains_key(*id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            errors.insert(
                var.name.clone(),
                vec![format!(
                    "{} {} no longer exists.",
                    capitalise(model.verbose_name()),
                    missing.join(", ")
                )],
            );
            continue;
        }
        let ordered: Vec<Row> = ids.iter().filter_map(|id| rows.get(id).cloned()).collect();
        let mut shown = serialize::serialize_rows(conn, registry, model, &ordered, "", 0)?;
        let value = if multi {
            Value::Array(shown)
        } else {
            shown.pop().unwrap_or(Value::Null)
        };
        out.insert(var.name.clone(), value);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Validation(Box::new(errors)))
    }
}

fn model_of<'r>(registry: &'r Registry, var: &JobVar, label: &str) -> Result<&'r Model> {
    registry.get(label).map(|m| m.as_ref()).ok_or_else(|| {
        Error::Internal(format!(
            "job variable '{}' refers to an unknown model '{label}'",
            var.name
        ))
    })
}

/// Whether `value` counts as not given (Django's `EMPTY_VALUES`; strings stripped).
fn is_empty(kind: &VarKind, value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => match kind {
            VarKind::String { .. } | VarKind::Text => s.trim().is_empty(),
            _ => s.is_empty(),
        },
        Value::Array(list) => list.is_empty() && !matches!(kind, VarKind::Json),
        Value::Object(map) => map.is_empty() && !matches!(kind, VarKind::Json),
        _ => false,
    }
}

/// The value of an optional variable given no value and having no default.
fn empty_value(kind: &VarKind) -> Value {
    match kind {
        VarKind::Boolean => Value::Bool(false),
        VarKind::MultiChoice { .. } | VarKind::MultiObject { .. } => Value::Array(Vec::new()),
        _ => Value::Null,
    }
}

fn clean_var(
    conn: &mut DbConnection,
    registry: &Registry,
    var: &JobVar,
    given: Option<&Value>,
    cleaned: &Map<String, Value>,
    within: Within<'_>,
) -> Result<Cleaned> {
    let value = match given.filter(|v| !is_empty(&var.kind, v)) {
        Some(value) => value,
        None if var.required && !matches!(var.kind, VarKind::Boolean) => {
            return Ok(Err(vec![REQUIRED.to_string()]))
        }
        None => match var.default.as_ref().filter(|d| !is_empty(&var.kind, d)) {
            Some(default) => default,
            None => return Ok(Ok(empty_value(&var.kind))),
        },
    };
    Ok(match &var.kind {
        VarKind::String {
            min_length,
            max_length,
            regex,
        } => clean_string(var, value, *min_length, *max_length, regex.as_deref())?,
        VarKind::Text => text_of(value).and_then(|text| {
            let text = text.trim();
            if text.contains('\0') {
                Err(vec!["Null characters are not allowed.".to_string()])
            } else {
                Ok(Value::String(text.to_string()))
            }
        }),
        VarKind::Integer { min, max } => clean_integer(value, *min, *max),
        VarKind::Boolean => clean_bool(value),
        VarKind::Choice { choices } => choice_of(value, choices).map(Value::String),
        VarKind::MultiChoice { choices } => match value {
            Value::Array(list) => list
                .iter()
                .map(|v| choice_of(v, choices).map(Value::String))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(Value::Array),
            Value::String(_) => choice_of(value, choices).map(|c| Value::Array(vec![c.into()])),
            _ => Err(vec!["Enter a list of values.".to_string()]),
        },
        VarKind::Object { model, query } => {
            let model = model_of(registry, var, model)?;
            clean_object(conn, registry, var, model, query, value, cleaned, within)?
        }
        VarKind::MultiObject { model, query } => {
            let model = model_of(registry, var, model)?;
            clean_objects(conn, registry, var, model, query, value, cleaned, within)?
        }
        VarKind::IpAddress | VarKind::IpNetwork => {
            let network = matches!(var.kind, VarKind::IpNetwork);
            match value {
                Value::String(s) => values::clean_ip(s.trim(), network).map_err(|m| vec![m]),
                _ => values::clean_ip("", network).map_err(|m| vec![m]),
            }
        }
        VarKind::Json => Ok(match value {
            Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| value.clone()),
            other => other.clone(),
        }),
        VarKind::File => match value {
            Value::String(s) => Ok(Value::String(s.clone())),
            _ => Err(vec![
                "No file was submitted. Check the encoding type on the form.".to_string(),
            ]),
        },
    })
}

/// A string or number as text (Django's `CharField` takes `str(value)`).
fn text_of(value: &Value) -> std::result::Result<String, Vec<String>> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(vec!["Enter a valid value.".to_string()]),
    }
}

fn characters(n: u32) -> &'static str {
    if n == 1 {
        "character"
    } else {
        "characters"
    }
}

fn clean_string(
    var: &JobVar,
    value: &Value,
    min_length: Option<u32>,
    max_length: Option<u32>,
    regex: Option<&str>,
) -> Result<Cleaned> {
    let text = match text_of(value) {
        Ok(s) => s.trim().to_string(),
        Err(messages) => return Ok(Err(messages)),
    };
    let mut messages = Vec::new();
    // Django's order: the field's validators (the regex), then the length checks.
    if let Some(pattern) = regex {
        let re = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            Error::Internal(format!(
                "job variable '{}' has an invalid regex: {e}",
                var.name
            ))
        })?;
        if !re.is_match(&text) {
            messages.push("Enter a valid value.".to_string());
        }
    }
    let length = text.chars().count();
    if let Some(min) = min_length {
        if length < min as usize {
            messages.push(format!(
                "Ensure this value has at least {min} {} (it has {length}).",
                characters(min)
            ));
        }
    }
    if let Some(max) = max_length {
        if length > max as usize {
            messages.push(format!(
                "Ensure this value has at most {max} {} (it has {length}).",
                characters(max)
            ));
        }
    }
    if text.contains('\0') {
        messages.push("Null characters are not allowed.".to_string());
    }
    Ok(if messages.is_empty() {
        Ok(Value::String(text))
    } else {
        Err(messages)
    })
}

/// Django's `IntegerField`: a whole number, given as a number or text (`"3.0"` is 3).
fn clean_integer(value: &Value, min: Option<i64>, max: Option<i64>) -> Cleaned {
    let whole = || vec!["Enter a whole number.".to_string()];
    let n = match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) => i,
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                    f as i64
                }
                _ => return Err(whole()),
            },
        },
        Value::String(s) => {
            let s = s.trim();
            // Django drops a trailing `.0…` before parsing.
            let s = match s.split_once('.') {
                Some((int, zeros)) if zeros.chars().all(|c| c == '0') => int,
                _ => s,
            };
            s.parse::<i64>().map_err(|_| whole())?
        }
        _ => return Err(whole()),
    };
    let mut messages = Vec::new();
    if let Some(max) = max.filter(|max| n > *max) {
        messages.push(format!("Ensure this value is less than or equal to {max}."));
    }
    if let Some(min) = min.filter(|min| n < *min) {
        messages.push(format!(
            "Ensure this value is greater than or equal to {min}."
        ));
    }
    if messages.is_empty() {
        Ok(Value::from(n))
    } else {
        Err(messages)
    }
}

fn clean_bool(value: &Value) -> Cleaned {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => values::parse_bool(s),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        _ => None,
    }
    .map(Value::Bool)
    .ok_or_else(|| vec!["Enter a valid boolean.".to_string()])
}

/// One of `choices`' values (numbers taken as their text, as Django's `str(value)`).
fn choice_of(
    value: &Value,
    choices: &[(String, String)],
) -> std::result::Result<String, Vec<String>> {
    let text = match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match text {
        Some(t) if choices.iter().any(|(v, _)| *v == t) => Ok(t),
        Some(t) => Err(vec![not_a_choice(&t)]),
        None => Err(vec![not_a_choice(&value.to_string())]),
    }
}

fn not_a_choice(value: &str) -> String {
    format!("Select a valid choice. {value} is not one of the available choices.")
}

/// A filter value as query-string text (`None` for lists and objects).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_string()),
        _ => None,
    }
}

/// The variable's `query` as filters, `$name` values replaced by the cleaned value of
/// variable `name` (the filter dropped when that is empty).
fn base_query(
    var: &JobVar,
    model: &Model,
    query: &Map<String, Value>,
    cleaned: &Map<String, Value>,
) -> Result<ListQuery> {
    let bad = |key: &str| {
        Error::Internal(format!(
            "job variable '{}' has an invalid query filter '{key}'",
            var.name
        ))
    };
    let mut params: Vec<(String, String)> = Vec::new();
    for (key, value) in query {
        let value = match value.as_str().and_then(|s| s.strip_prefix('$')) {
            Some(name) => match cleaned.get(name) {
                Some(v) if !matches!(v, Value::Null) && v != &Value::Array(Vec::new()) => v,
                _ => continue,
            },
            None => value,
        };
        match value {
            Value::Array(list) => {
                for item in list {
                    params.push((key.clone(), scalar(item).ok_or_else(|| bad(key))?));
                }
            }
            other => params.push((key.clone(), scalar(other).ok_or_else(|| bad(key))?)),
        }
    }
    ListQuery::parse(model, &params).map_err(|e| match e {
        Error::Validation(errors) => bad(&errors.keys().cloned().collect::<Vec<_>>().join(", ")),
        other => other,
    })
}

/// The objects matching `base` and `lookups`; `None` when the lookups are not valid
/// filters or values.
fn matching(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    base: &ListQuery,
    lookups: &[(String, String)],
) -> Result<Option<Vec<Row>>> {
    let mut q = base.clone();
    match ListQuery::parse(model, lookups) {
        Ok(extra) => q.filters.extend(extra.filters),
        Err(Error::Validation(_)) => return Ok(None),
        Err(other) => return Err(other),
    }
    match query::all(conn, registry, model, &q) {
        Ok(rows) => Ok(Some(rows)),
        Err(Error::Validation(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// The objects of a model the user may choose from (what their view grants'
/// constraints reach; see `nautobot_objects::constraints`).
pub type Within<'a> = &'a dyn Fn(&Model) -> Result<nautobot_objects::constraints::Constraint>;

/// An id as the database stores it (lower-case, hyphenated), if `text` is a UUID.
fn uuid_of(text: &str) -> Option<String> {
    uuid::Uuid::parse_str(text.trim())
        .ok()
        .map(|u| u.hyphenated().to_string())
}

#[allow(clippy::too_many_arguments)]
fn clean_object(
    conn: &mut DbConnection,
    registry: &Registry,
    var: &JobVar,
    model: &Model,
    query: &Map<String, Value>,
    value: &Value,
    cleaned: &Map<String, Value>,
    within: Within<'_>,
) -> Result<Cleaned> {
    let invalid = || Ok(Err(vec![INVALID_OBJECT.to_string()]));
    let lookups: Vec<(String, String)> = match value {
        Value::String(s) => match uuid_of(s) {
            Some(id) => vec![("id".to_string(), id)],
            None => return invalid(),
        },
        Value::Object(map) => {
            let mut lookups = Vec::new();
            for (key, v) in map {
                let text = match (key.as_str(), v) {
                    ("id", Value::String(s)) => uuid_of(s),
                    ("id", _) => None,
                    (_, v) => scalar(v),
                };
                match text {
                    Some(text) => lookups.push((key.clone(), text)),
                    None => return invalid(),
                }
            }
            lookups
        }
        _ => return invalid(),
    };
    let base = base_query(var, model, query, cleaned)?.within(within(model)?);
    let rows = match matching(conn, registry, model, &base, &lookups)? {
        Some(rows) if rows.len() == 1 => rows,
        _ => return invalid(),
    };
    Ok(match rows[0].get("id") {
        Some(Value::String(id)) => Ok(Value::String(id.clone())),
        _ => Err(vec![INVALID_OBJECT.to_string()]),
    })
}

#[allow(clippy::too_many_arguments)]
fn clean_objects(
    conn: &mut DbConnection,
    registry: &Registry,
    var: &JobVar,
    model: &Model,
    query: &Map<String, Value>,
    value: &Value,
    cleaned: &Map<String, Value>,
    within: Within<'_>,
) -> Result<Cleaned> {
    let items: Vec<&Value> = match value {
        Value::Array(list) => list.iter().collect(),
        Value::String(_) | Value::Object(_) => vec![value],
        _ => return Ok(Err(vec!["Enter a list of values.".to_string()])),
    };
    let mut ids: Vec<String> = Vec::new();
    for item in items {
        let given = match item {
            Value::Object(map) => map.get("id").cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        let text = scalar(&given).unwrap_or_else(|| given.to_string());
        match uuid_of(&text) {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => return Ok(Err(vec![format!("“{text}” is not a valid value.")])),
        }
    }
    let base = base_query(var, model, query, cleaned)?.within(within(model)?);
    let lookups: Vec<(String, String)> = ids
        .iter()
        .map(|id| ("id".to_string(), id.clone()))
        .collect();
    let Some(rows) = matching(conn, registry, model, &base, &lookups)? else {
        return Ok(Err(vec![INVALID_OBJECT.to_string()]));
    };
    let found: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.get("id").and_then(Value::as_str))
        .collect();
    if let Some(missing) = ids.iter().find(|id| !found.contains(&id.as_str())) {
        return Ok(Err(vec![not_a_choice(missing)]));
    }
    Ok(Ok(Value::Array(
        ids.into_iter().map(Value::String).collect(),
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use nautobot_config::DatabaseUrl;
    use nautobot_db::Database;
    use nautobot_objects::{write::Writer, Actor, NoHooks};
    use nautobot_schema::{self as schema, catalog::Catalog};

    struct Env {
        _dir: tempfile::TempDir,
        db: Database,
        catalog: Catalog,
    }

    fn env() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(&DatabaseUrl::Sqlite(dir.path().join("db.sqlite3"))).unwrap();
        nautobot_db::migrations::migrate(&db).unwrap();
        let catalog = Catalog::build(&[]).unwrap();
        schema::migrate::migrate(&db, &catalog.plan).unwrap();
        Env {
            _dir: dir,
            db,
            catalog,
        }
    }

    impl Env {
        fn clean(&self, vars: &[JobVar], data: Value) -> Result<Map<String, Value>> {
            let Value::Object(data) = data else {
                panic!("data must be an object")
            };
            let mut conn = self.db.conn().unwrap();
            clean(&mut conn, &self.catalog.registry, vars, &data, &|_| {
                Ok(nautobot_objects::constraints::Constraint::All)
            })
        }

        fn expand(&self, vars: &[JobVar], cleaned: &Map<String, Value>) -> Result<Value> {
            let mut conn = self.db.conn().unwrap();
            expand(&mut conn, &self.catalog.registry, vars, cleaned).map(Value::Object)
        }

        fn create(&self, label: &str, input: Value) -> String {
            let actor = Actor::system();
            let writer = Writer::new(&self.catalog.registry, &actor, &NoHooks);
            let model = self.catalog.registry.get(label).unwrap();
            let mut conn = self.db.conn().unwrap();
            let row = writer.create(&mut conn, model, &input).unwrap();
            row["id"].as_str().unwrap().to_string()
        }

        fn delete(&self, label: &str, id: &str) {
            let actor = Actor::system();
            let writer = Writer::new(&self.catalog.registry, &actor, &NoHooks);
            let model = self.catalog.registry.get(label).unwrap();
            let mut conn = self.db.conn().unwrap();
            writer.delete(&mut conn, model, id).unwrap();
        }

        /// A location type and an active location `HQ` of it: (type id, location id).
        fn location(&self) -> (String, String) {
            let lt = self.create("dcim.locationtype", json!({"name": "Site"}));
            let hq = self.create(
                "dcim.location",
                json!({"name": "HQ", "location_type": lt, "status": "Active"}),
            );
            (lt, hq)
        }
    }

    /// The messages of a validation error, as JSON.
    fn messages(result: Result<Map<String, Value>>) -> Value {
        match result {
            Err(Error::Validation(errors)) => serde_json::to_value(*errors).unwrap(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn string(min: Option<u32>, max: Option<u32>, regex: Option<&str>) -> JobVar {
        JobVar::new(
            "s",
            VarKind::String {
                min_length: min,
                max_length: max,
                regex: regex.map(str::to_string),
            },
        )
    }

    fn object(name: &str, query: Value, multi: bool) -> JobVar {
        let Value::Object(query) = query else {
            panic!("query must be an object")
        };
        let model = "dcim.location".to_string();
        JobVar::new(
            name,
            if multi {
                VarKind::MultiObject { model, query }
            } else {
                VarKind::Object { model, query }
            },
        )
    }

    #[test]
    fn strings_are_trimmed_and_checked() {
        let env = env();
        let vars = [string(Some(2), Some(5), None)];
        assert_eq!(
            Value::Object(env.clean(&vars, json!({"s": "  abc "})).unwrap()),
            json!({"s": "abc"})
        );
        assert_eq!(
            messages(env.clean(&vars, json!({"s": "a"}))),
            json!({"s": ["Ensure this value has at least 2 characters (it has 1)."]})
        );
        assert_eq!(
            messages(env.clean(&vars, json!({"s": "abcdéf"}))),
            json!({"s": ["Ensure this value has at most 5 characters (it has 6)."]})
        );
        for missing in [json!({}), json!({"s": null}), json!({"s": "   "})] {
            assert_eq!(
                messages(env.clean(&vars, missing)),
                json!({"s": ["This field is required."]})
            );
        }
        let one = [string(Some(1), None, None).optional()];
        assert_eq!(env.clean(&one, json!({})).unwrap()["s"], Value::Null);
        let re = [string(None, Some(1), Some("[a-z]+"))];
        assert_eq!(env.clean(&re, json!({"s": "x"})).unwrap()["s"], "x");
        // The whole value must match; every failed check is reported.
        assert_eq!(
            messages(env.clean(&re, json!({"s": "ab1"}))),
            json!({"s": [
                "Enter a valid value.",
                "Ensure this value has at most 1 character (it has 3).",
            ]})
        );
        assert_eq!(
            env.clean(&[string(None, None, None)], json!({"s": 12}))
                .unwrap()["s"],
            "12"
        );
        let bad = [string(None, None, Some("("))];
        assert!(matches!(
            env.clean(&bad, json!({"s": "x"})),
            Err(Error::Internal(_))
        ));
    }

    #[test]
    fn text_and_files_are_strings() {
        let env = env();
        let vars = [
            JobVar::new("t", VarKind::Text),
            JobVar::new("f", VarKind::File).optional(),
        ];
        let out = env
            .clean(&vars, json!({"t": "line 1\nline 2\n", "f": "a,b\n1,2\n"}))
            .unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"t": "line 1\nline 2", "f": "a,b\n1,2\n"})
        );
        assert_eq!(
            messages(env.clean(&vars, json!({"t": "x", "f": 3}))),
            json!({"f": ["No file was submitted. Check the encoding type on the form."]})
        );
        assert_eq!(
            messages(env.clean(&vars, json!({"t": ["x"]}))),
            json!({"t": ["Enter a valid value."]})
        );
    }

    #[test]
    fn integers_parse_from_numbers_and_strings() {
        let env = env();
        let vars = [JobVar::integer("n", Some(1), Some(100))];
        for given in [json!(7), json!("7"), json!(" 7 "), json!("7.0"), json!(7.0)] {
            assert_eq!(env.clean(&vars, json!({ "n": given })).unwrap()["n"], 7);
        }
        for given in [json!("seven"), json!(7.5), json!("7.5"), json!(true)] {
            assert_eq!(
                messages(env.clean(&vars, json!({ "n": given }))),
                json!({"n": ["Enter a whole number."]})
            );
        }
        assert_eq!(
            messages(env.clean(&vars, json!({"n": 0}))),
            json!({"n": ["Ensure this value is greater than or equal to 1."]})
        );
        assert_eq!(
            messages(env.clean(&vars, json!({"n": "101"}))),
            json!({"n": ["Ensure this value is less than or equal to 100."]})
        );
        let with_default = [JobVar::integer("n", None, None).default_value(3)];
        assert_eq!(env.clean(&with_default, json!({})).unwrap()["n"], 3);
        assert_eq!(env.clean(&with_default, json!({"n": ""})).unwrap()["n"], 3);
        assert_eq!(env.clean(&with_default, json!({"n": -4})).unwrap()["n"], -4);
    }

    #[test]
    fn booleans_are_never_required() {
        let env = env();
        let vars = [
            JobVar::boolean("b"),
            JobVar::boolean("on").default_value(true),
            JobVar::new("strict", VarKind::Boolean),
        ];
        assert_eq!(
            Value::Object(env.clean(&vars, json!({})).unwrap()),
            json!({"b": false, "on": true, "strict": false})
        );
        let out = env
            .clean(&vars, json!({"b": "on", "on": "false", "strict": 1}))
            .unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"b": true, "on": false, "strict": true})
        );
        assert_eq!(env.clean(&vars, json!({"b": true})).unwrap()["b"], true);
        assert_eq!(
            messages(env.clean(&vars, json!({"b": "maybe"}))),
            json!({"b": ["Enter a valid boolean."]})
        );
    }

    #[test]
    fn choices_are_checked() {
        let env = env();
        let choices = vec![
            ("red".to_string(), "Red".to_string()),
            ("1".to_string(), "One".to_string()),
        ];
        let vars = [
            JobVar::new(
                "c",
                VarKind::Choice {
                    choices: choices.clone(),
                },
            ),
            JobVar::new("m", VarKind::MultiChoice { choices }).optional(),
        ];
        let out = env.clean(&vars, json!({"c": "red"})).unwrap();
        assert_eq!(Value::Object(out), json!({"c": "red", "m": []}));
        assert_eq!(env.clean(&vars, json!({"c": 1})).unwrap()["c"], "1");
        assert_eq!(
            messages(env.clean(&vars, json!({"c": "blue"}))),
            json!({"c": ["Select a valid choice. blue is not one of the available choices."]})
        );
        let out = env
            .clean(&vars, json!({"c": "red", "m": ["1", "red"]}))
            .unwrap();
        assert_eq!(out["m"], json!(["1", "red"]));
        assert_eq!(
            env.clean(&vars, json!({"c": "red", "m": "red"})).unwrap()["m"],
            json!(["red"])
        );
        assert_eq!(
            messages(env.clean(&vars, json!({"c": "red", "m": ["red", "green"]}))),
            json!({"m": ["Select a valid choice. green is not one of the available choices."]})
        );
        assert_eq!(
            messages(env.clean(&vars, json!({"c": "red", "m": 5}))),
            json!({"m": ["Enter a list of values."]})
        );
        let required = [JobVar::new(
            "m",
            VarKind::MultiChoice {
                choices: vec![("a".into(), "A".into())],
            },
        )];
        assert_eq!(
            messages(env.clean(&required, json!({"m": []}))),
            json!({"m": ["This field is required."]})
        );
    }

    #[test]
    fn ip_addresses_and_networks() {
        let env = env();
        let vars = [
            JobVar::new("a", VarKind::IpAddress),
            JobVar::new("n", VarKind::IpNetwork).optional(),
        ];
        let out = env.clean(&vars, json!({"a": "192.0.2.1"})).unwrap();
        assert_eq!(Value::Object(out), json!({"a": "192.0.2.1/32", "n": null}));
        let out = env
            .clean(&vars, json!({"a": "2001:db8::1/64", "n": "192.0.2.77/24"}))
            .unwrap();
        assert_eq!(out["a"], "2001:db8::1/64");
        assert_eq!(out["n"], "192.0.2.0/24");
        assert_eq!(
            messages(env.clean(&vars, json!({"a": "nope", "n": "192.0.2.0"}))),
            json!({
                "a": ["Enter a valid IPv4 or IPv6 address, with an optional prefix length (192.0.2.1/24)."],
                "n": ["Enter a valid IPv4 or IPv6 network in CIDR notation (192.0.2.0/24)."],
            })
        );
    }

    #[test]
    fn json_is_kept_or_parsed() {
        let env = env();
        let vars = [JobVar::new("j", VarKind::Json).optional()];
        for (given, expected) in [
            (json!({"a": [1, 2]}), json!({"a": [1, 2]})),
            (json!("{\"a\": 1}"), json!({"a": 1})),
            (json!("not json"), json!("not json")),
            (json!([]), json!([])),
            (json!(false), json!(false)),
        ] {
            assert_eq!(
                env.clean(&vars, json!({ "j": given })).unwrap()["j"],
                expected
            );
        }
        assert_eq!(env.clean(&vars, json!({})).unwrap()["j"], Value::Null);
    }

    #[test]
    fn unknown_keys_and_missing_values_are_reported_together() {
        let env = env();
        let vars = [
            JobVar::string("name"),
            JobVar::integer("count", None, None).default_value(2),
        ];
        assert_eq!(
            messages(env.clean(&vars, json!({"nmae": "x", "count": "x"}))),
            json!({
                "count": ["Enter a whole number."],
                "name": ["This field is required."],
                "nmae": ["This variable does not exist."],
            })
        );
        // Variables come out in declaration order, whatever the input's.
        let out = env.clean(&vars, json!({"count": 5, "name": "x"})).unwrap();
        assert_eq!(out.keys().collect::<Vec<_>>(), ["name", "count"]);
    }

    #[test]
    fn objects_must_exist_and_match_the_query() {
        let env = env();
        let (lt, hq) = env.location();
        let active = [object("loc", json!({"status": "Active"}), false)];
        let planned = [object("loc", json!({"status": "Planned"}), false)];
        let out = env.clean(&active, json!({ "loc": hq })).unwrap();
        assert_eq!(Value::Object(out.clone()), json!({ "loc": hq }));
        assert_eq!(
            env.clean(&active, json!({"loc": hq.to_uppercase()}))
                .unwrap()["loc"],
            hq
        );
        assert_eq!(
            env.clean(&active, json!({"loc": {"id": hq}})).unwrap()["loc"],
            hq
        );
        assert_eq!(
            env.clean(&active, json!({"loc": {"name": "HQ"}})).unwrap()["loc"],
            hq
        );
        let invalid = json!({"loc": ["Select a valid choice. That choice is not one of the available choices."]});
        assert_eq!(messages(env.clean(&planned, json!({ "loc": hq }))), invalid);
        for wrong in [
            json!(lt),
            json!("not-a-uuid"),
            json!(uuid::Uuid::new_v4().to_string()),
            json!({"name": "Elsewhere"}),
            json!({"nosuchfilter": "x"}),
            json!(5),
        ] {
            assert_eq!(
                messages(env.clean(&active, json!({ "loc": wrong }))),
                invalid
            );
        }
        assert_eq!(
            messages(env.clean(&active, json!({}))),
            json!({"loc": ["This field is required."]})
        );
        let optional = [object("loc", json!({}), false).optional()];
        assert_eq!(env.clean(&optional, json!({})).unwrap()["loc"], Value::Null);

        // The job receives the object as the REST API shows it.
        let expanded = env.expand(&active, &out).unwrap();
        assert_eq!(expanded["loc"]["id"], json!(hq));
        assert_eq!(expanded["loc"]["object_type"], "dcim.location");
        assert_eq!(expanded["loc"]["display"], "HQ");
        assert_eq!(expanded["loc"]["url"], format!("/api/dcim/locations/{hq}/"));
        assert_eq!(expanded["loc"]["location_type"]["id"], json!(lt));
        let none = env.expand(&optional, &env.clean(&optional, json!({})).unwrap());
        assert_eq!(none.unwrap(), json!({"loc": null}));

        env.delete("dcim.location", &hq);
        match env.expand(&active, &out) {
            Err(Error::Validation(errors)) => {
                assert_eq!(errors["loc"], [format!("Location {hq} no longer exists.")])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn queries_may_refer_to_other_variables() {
        let env = env();
        let (lt, hq) = env.location();
        let other_lt = env.create("dcim.locationtype", json!({"name": "Building"}));
        let vars = [
            object("loc", json!({"location_type": "$kind"}), false),
            JobVar::new("kind", VarKind::Text).optional(),
        ];
        assert_eq!(
            env.clean(&vars, json!({"loc": hq, "kind": lt})).unwrap()["loc"],
            hq
        );
        assert!(env
            .clean(&vars, json!({"loc": hq, "kind": other_lt}))
            .is_err());
        // An empty variable drops the filter.
        assert_eq!(env.clean(&vars, json!({ "loc": hq })).unwrap()["loc"], hq);
    }

    #[test]
    fn multi_objects_are_lists_of_ids() {
        let env = env();
        let (lt, hq) = env.location();
        let lab = env.create(
            "dcim.location",
            json!({"name": "Lab", "location_type": lt, "status": "Planned"}),
        );
        let any = [object("locs", json!({}), true)];
        let active = [object("locs", json!({"status": "Active"}), true).optional()];
        let out = env
            .clean(&any, json!({"locs": [lab, {"id": hq}, lab]}))
            .unwrap();
        assert_eq!(Value::Object(out.clone()), json!({"locs": [lab, hq]}));
        assert_eq!(
            env.clean(&any, json!({ "locs": hq })).unwrap()["locs"],
            json!([hq])
        );
        assert_eq!(
            messages(env.clean(&active, json!({"locs": [hq, lab]}))),
            json!({"locs": [format!("Select a valid choice. {lab} is not one of the available choices.")]})
        );
        assert_eq!(
            messages(env.clean(&any, json!({"locs": [hq, "bogus"]}))),
            json!({"locs": ["“bogus” is not a valid value."]})
        );
        assert_eq!(
            messages(env.clean(&any, json!({"locs": []}))),
            json!({"locs": ["This field is required."]})
        );
        assert_eq!(env.clean(&active, json!({})).unwrap()["locs"], json!([]));

        let expanded = env.expand(&any, &out).unwrap();
        let names: Vec<&str> = expanded["locs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["display"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Lab", "HQ"]);

        env.delete("dcim.location", &lab);
        match env.expand(&any, &out) {
            Err(Error::Validation(errors)) => {
                assert_eq!(
                    errors["locs"],
                    [format!("Location {lab} no longer exists.")]
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_models_are_the_jobs_fault() {
        let env = env();
        let vars = [JobVar::new(
            "x",
            VarKind::Object {
                model: "dcim.nosuch".into(),
                query: Map::new(),
            },
        )];
        let id = uuid::Uuid::new_v4().to_string();
        assert!(matches!(
            env.clean(&vars, json!({ "x": id })),
            Err(Error::Internal(_))
        ));
        let bad_query = [object("loc", json!({"nosuchfield": "x"}), false)];
        assert!(matches!(
            env.clean(&bad_query, json!({ "loc": id })),
            Err(Error::Internal(_))
        ));
    }
}
