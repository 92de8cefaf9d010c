//! Relationships (Nautobot's `extras.Relationship` and `extras.RelationshipAssociation`):
//! links between any two kinds of object, core or plugin, without a migration.
//!
//! A relationship names a source and a destination model and a type: one-to-one,
//! one-to-many (one source, many destinations), many-to-many, or the symmetric kinds
//! between objects of one model, where both ends are "peers". Each link is an association
//! row (relationship, source type and id, destination type and id); the cardinality, the
//! models and the optional source/destination filters are checked when one is written,
//! and the associations of an object go with it. Objects show their relationships under
//! `relationships` with `?include=relationships`, and take them in the same shape on
//! writes; lists filter with `cr_<key>__source`, `__destination` and `__peer`.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use nautobot_base::error::{validated, Result, ValidationErrors};
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlValue},
    Backend, DbConnection,
};
use nautobot_schema::{Model, Registry, Row};

/// The definitions' model.
pub const MODEL: &str = "extras.relationship";
/// The links' model.
pub const ASSOCIATION: &str = "extras.relationshipassociation";
/// The links' table.
const ASSOCIATION_TABLE: &str = "extras_relationshipassociation";
/// The definitions' table.
const MODEL_TABLE: &str = "extras_relationship";

/// The sides of a relationship, as the REST shape and the filters name them.
pub const SIDES: [&str; 3] = ["source", "destination", "peer"];

/// One relationship definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Relationship {
    /// Its id.
    pub id: String,
    /// The key under `relationships` and in `cr_<key>` filters.
    pub key: String,
    /// Its label.
    pub label: String,
    /// One of [`nautobot_schema::core::RELATIONSHIP_TYPES`].
    pub kind: String,
    /// The source model's label.
    pub source_type: String,
    /// The destination model's label.
    pub destination_type: String,
    /// What the source side is called on the destination's pages.
    pub source_label: String,
    /// What the destination side is called on the source's pages.
    pub destination_label: String,
    /// Source objects must match these filters (the model's REST filters).
    pub source_filter: Option<Map<String, Value>>,
    /// Destination objects must match these filters.
    pub destination_filter: Option<Map<String, Value>>,
    /// `""`, `source` or `destination`: objects of that side need an association.
    pub required_on: String,
    /// Not shown on the source objects' pages.
    pub source_hidden: bool,
    /// Not shown on the destination objects' pages.
    pub destination_hidden: bool,
}

impl Relationship {
    /// Whether both ends are peers of one model.
    pub fn symmetric(&self) -> bool {
        self.kind.starts_with("symmetric-")
    }

    /// Whether an object may have many peers on `side` (the side of the others).
    pub fn has_many(&self, side: &str) -> bool {
        match self.kind.as_str() {
            "many-to-many" | "symmetric-many-to-many" => true,
            "one-to-many" => side == "destination",
            _ => false,
        }
    }

    /// The model label of `side`.
    fn type_of(&self, side: &str) -> &str {
        match side {
            "source" => &self.source_type,
            _ => &self.destination_type,
        }
    }

    /// The sides of others an object of `label` sees: `destination` from a source,
    /// `source` from a destination, `peer` on a symmetric relationship.
    pub fn other_sides(&self, label: &str) -> Vec<&'static str> {
        if self.symmetric() {
            return if self.source_type == label {
                vec!["peer"]
            } else {
                Vec::new()
            };
        }
        let mut sides = Vec::new();
        if self.source_type == label {
            sides.push("destination");
        }
        if self.destination_type == label {
            sides.push("source");
        }
        sides
    }

    /// The label of the others on `side`, as shown to an object.
    fn side_label(&self, registry: &Registry, side: &str) -> String {
        let given = match side {
            "source" => &self.source_label,
            _ => &self.destination_label,
        };
        if !given.is_empty() {
            return given.clone();
        }
        registry
            .get(self.type_of(side))
            .map(|m| m.verbose_name_plural().to_string())
            .unwrap_or_else(|| self.type_of(side).to_string())
    }
}

fn text(row: &Map<String, Value>, field: &str) -> String {
    row.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn relationship_of(row: &Row) -> Relationship {
    let filter = |field: &str| row.get(field).and_then(Value::as_object).cloned();
    Relationship {
        id: text(row, "id"),
        key: text(row, "key"),
        label: text(row, "label"),
        kind: text(row, "type"),
        source_type: text(row, "source_type"),
        destination_type: text(row, "destination_type"),
        source_label: text(row, "source_label"),
        destination_label: text(row, "destination_label"),
        source_filter: filter("source_filter"),
        destination_filter: filter("destination_filter"),
        required_on: text(row, "required_on"),
        source_hidden: row
            .get("source_hidden")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        destination_hidden: row
            .get("destination_hidden")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

/// The relationships with `label` on either end, by label.
pub fn for_model(
    conn: &mut DbConnection,
    registry: &Registry,
    label: &str,
) -> Result<Vec<Relationship>> {
    let Some(model) = registry.get(MODEL) else {
        return Ok(Vec::new());
    };
    let mut found: Vec<Relationship> = Vec::new();
    for side in ["source_type", "destination_type"] {
        let query = super::query::ListQuery {
            limit: super::query::MAX_LIMIT,
            ..Default::default()
        }
        .filter(side, label);
        let (rows, _) = super::query::page_rows(conn, registry, model, &query)?;
        for row in &rows {
            let r = relationship_of(row);
            if !found.iter().any(|f| f.id == r.id) {
                found.push(r);
            }
        }
    }
    found.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(found)
}

/// The relationship `id`, if any.
fn by_id(conn: &mut DbConnection, registry: &Registry, id: &str) -> Result<Option<Relationship>> {
    let Some(model) = registry.get(MODEL) else {
        return Ok(None);
    };
    Ok(super::get(conn, model, id)?.as_ref().map(relationship_of))
}

/// Whether `?include=` asks for relationships.
pub fn included(params: &[(String, String)]) -> bool {
    params
        .iter()
        .filter(|(k, _)| k == "include")
        .flat_map(|(_, v)| v.split(','))
        .any(|v| v.trim() == "relationships")
}

/// Whether objects of `model` may take part in relationships.
pub fn applies_to(model: &Model) -> bool {
    super::custom_fields::applies_to(model)
        && model.label() != MODEL
        && model.label() != ASSOCIATION
}

/// One association as read for a page.
#[derive(Debug, Clone)]
struct Link {
    id: String,
    relationship: String,
    source_type: String,
    source_id: String,
    destination_type: String,
    destination_id: String,
}

/// The associations of `relationships` that touch any of `ids`.
fn links_of(
    conn: &mut DbConnection,
    relationships: &[&Relationship],
    ids: &[String],
) -> Result<Vec<Link>> {
    if relationships.is_empty() || ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = dynamic::backend_of(conn);
    let object = match backend {
        Backend::Postgres => "json_build_object",
        Backend::Sqlite => "json_object",
    };
    let cast = if backend == Backend::Postgres {
        "::text"
    } else {
        ""
    };
    let mut sql = Sql::from(format!(
        "SELECT {object}('id', \"id\", 'r', \"relationship_id\", 'st', \"source_type\", \
         's', \"source_id\", 'dt', \"destination_type\", 'd', \"destination_id\"){cast} AS row \
         FROM {ASSOCIATION_TABLE} WHERE \"relationship_id\" IN ("
    ));
    for (i, r) in relationships.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(SqlValue::text(r.id.clone()));
    }
    for (n, column) in ["source_id", "destination_id"].iter().enumerate() {
        sql.push(if n == 0 { ") AND (" } else { " OR " });
        sql.push(format!("{} IN (", ident(column)));
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(SqlValue::text(id.clone()));
        }
        sql.push(")");
    }
    sql.push(") ORDER BY \"created\", \"id\"");
    Ok(dynamic::query_json(conn, &sql)?
        .iter()
        .map(|r| {
            let t = |k: &str| {
                r.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            Link {
                id: t("id"),
                relationship: t("r"),
                source_type: t("st"),
                source_id: t("s"),
                destination_type: t("dt"),
                destination_id: t("d"),
            }
        })
        .collect())
}

/// The others an object (`label`, `id`) reaches over `link`, and on which side, if the
/// link touches it that way.
fn peer_of<'l>(
    relationship: &Relationship,
    link: &'l Link,
    label: &str,
    id: &str,
) -> Option<(&'static str, &'l str, &'l str)> {
    if relationship.symmetric() {
        if link.source_id == id && link.source_type == label {
            return Some(("peer", &link.destination_type, &link.destination_id));
        }
        if link.destination_id == id && link.destination_type == label {
            return Some(("peer", &link.source_type, &link.source_id));
        }
        return None;
    }
    if link.source_id == id && link.source_type == label {
        return Some(("destination", &link.destination_type, &link.destination_id));
    }
    if link.destination_id == id && link.destination_type == label {
        return Some(("source", &link.source_type, &link.source_id));
    }
    None
}

/// The `relationships` of objects of `model` (given by id), Nautobot's shape: for each
/// relationship the object can take part in, keyed by its key, `id`, `url`, `label`,
/// `type`, and for each side of the others `{label, object_type, objects}`. Three
/// statements for a page whatever its size (definitions, associations, and one per
/// model of the others for their display names).
pub fn for_objects(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    ids: &[String],
    base: &str,
) -> Result<Vec<Value>> {
    let label = model.label();
    let relationships = for_model(conn, registry, &label)?;
    let refs: Vec<&Relationship> = relationships.iter().collect();
    let links = links_of(conn, &refs, ids)?;
    let by_id: HashMap<&str, &Relationship> =
        relationships.iter().map(|r| (r.id.as_str(), r)).collect();
    // The display names of every object reached, one statement per model.
    // Only the others' display names are shown: not the page's own objects.
    let page: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut wanted: HashMap<String, HashSet<String>> = HashMap::new();
    for link in &links {
        for (own_type, own_id, other_type, other_id) in [
            (
                &link.source_type,
                &link.source_id,
                &link.destination_type,
                &link.destination_id,
            ),
            (
                &link.destination_type,
                &link.destination_id,
                &link.source_type,
                &link.source_id,
            ),
        ] {
            if *own_type == label && page.contains(own_id.as_str()) {
                wanted
                    .entry(other_type.clone())
                    .or_default()
                    .insert(other_id.clone());
            }
        }
    }
    let mut displays: HashMap<(String, String), String> = HashMap::new();
    for (other, wanted_ids) in wanted {
        let Some(other_model) = registry.get(&other) else {
            continue;
        };
        let list: Vec<String> = wanted_ids.into_iter().collect();
        for chunk in list.chunks(500) {
            for row in super::get_many(conn, other_model, chunk)? {
                let id = text(&row, "id");
                displays.insert((other.clone(), id), super::display(other_model, &row));
            }
        }
    }
    let rel_model = registry.get(MODEL);
    Ok(ids
        .iter()
        .map(|id| {
            let mut out = Map::new();
            for r in &relationships {
                let mut entry = Map::new();
                entry.insert("id".into(), json!(r.id));
                if let Some(m) = rel_model {
                    entry.insert(
                        "url".into(),
                        json!(super::serialize::object_url(base, m, &r.id)),
                    );
                }
                entry.insert("label".into(), json!(r.label));
                entry.insert("type".into(), json!(r.kind));
                for side in r.other_sides(&label) {
                    let other_type = match side {
                        "source" => &r.source_type,
                        _ => &r.destination_type,
                    };
                    entry.insert(
                        side.into(),
                        json!({"label": r.side_label(registry, side), "object_type": other_type, "objects": []}),
                    );
                }
                out.insert(r.key.clone(), Value::Object(entry));
            }
            for link in &links {
                let Some(r) = by_id.get(link.relationship.as_str()) else {
                    continue;
                };
                let Some((side, other_type, other_id)) = peer_of(r, link, &label, id) else {
                    continue;
                };
                let Some(other_model) = registry.get(other_type) else {
                    continue;
                };
                let mut reference = super::serialize::reference(base, other_model, other_id);
                if let Some(display) = displays.get(&(other_type.to_string(), other_id.to_string()))
                {
                    reference["display"] = json!(display);
                }
                if let Some(objects) = out
                    .get_mut(&r.key)
                    .and_then(|e| e.get_mut(side))
                    .and_then(|s| s.get_mut("objects"))
                    .and_then(Value::as_array_mut)
                {
                    objects.push(reference);
                }
            }
            Value::Object(out)
        })
        .collect())
}

/// What a write asks for: for each relationship and side of the others, the full list
/// of their ids (replacing the object's associations on that side).
pub type Wanted = Vec<(Relationship, &'static str, Vec<String>)>;

/// Reads `relationships` of a write (Nautobot's shape: `{key: {side: {"objects": [id or
/// {"id": …}, …]}}}`); keys and sides not given are left alone.
pub fn clean_input(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    input: Option<&Value>,
) -> std::result::Result<Wanted, Vec<String>> {
    let Some(input) = input.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(given) = input.as_object() else {
        return Err(vec!["Expected a dictionary of relationships.".into()]);
    };
    let label = model.label();
    let relationships = for_model(conn, registry, &label).map_err(|e| vec![e.to_string()])?;
    let mut problems = Vec::new();
    let mut wanted = Vec::new();
    for (key, sides) in given {
        let Some(r) = relationships.iter().find(|r| &r.key == key) else {
            problems.push(format!("\"{key}\" is not a relationship on {label}"));
            continue;
        };
        let Some(sides) = sides.as_object() else {
            problems.push(format!("\"{key}\": expected a dictionary of sides."));
            continue;
        };
        let allowed = r.other_sides(&label);
        for (side, data) in sides {
            let Some(side) = allowed.iter().find(|s| *s == side) else {
                problems.push(format!(
                    "\"{side}\" is not a valid side for \"{}\" on {label}",
                    r.label
                ));
                continue;
            };
            let Some(objects) = data.get("objects") else {
                problems.push(format!(
                    "\"objects\" must be specified under [\"{key}\"][\"{side}\"] when present"
                ));
                continue;
            };
            let Some(objects) = objects.as_array() else {
                problems.push("\"objects\" must be a list, not a single value".into());
                continue;
            };
            if objects.len() > 1 && !r.has_many(side) {
                problems.push(format!(
                    "For \"{}\", \"{side}\" objects must include at most a single object",
                    r.label
                ));
                continue;
            }
            let mut ids = Vec::new();
            for o in objects {
                let id = match o {
                    Value::String(s) => Some(s.trim().to_lowercase()),
                    Value::Object(m) => m.get("id").and_then(Value::as_str).map(str::to_lowercase),
                    _ => None,
                };
                match id.filter(|i| uuid::Uuid::parse_str(i).is_ok()) {
                    Some(id) if !ids.contains(&id) => ids.push(id),
                    Some(_) => {}
                    None => problems.push(format!(
                        "[\"{key}\"][\"{side}\"]: expected an object id, got {o}"
                    )),
                }
            }
            wanted.push((r.clone(), *side, ids));
        }
    }
    if problems.is_empty() {
        Ok(wanted)
    } else {
        Err(problems)
    }
}

/// `wanted` as it travels in a cleaned row: `[{"relationship", "side", "ids"}]`.
pub fn encode_wanted(wanted: &Wanted) -> Value {
    Value::Array(
        wanted
            .iter()
            .map(|(r, side, ids)| json!({"relationship": r.id, "side": side, "ids": ids}))
            .collect(),
    )
}

/// The `(relationship id, side, ids)` of [`encode_wanted`]'s value.
pub fn decode_wanted(value: &Value) -> Vec<(String, &'static str, Vec<String>)> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    let side = SIDES
                        .iter()
                        .find(|s| i.get("side").and_then(Value::as_str) == Some(**s))?;
                    Some((
                        i.get("relationship")?.as_str()?.to_string(),
                        *side,
                        i.get("ids")?
                            .as_array()?
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The associations of one object on one side of the others: `(association id, other id)`.
pub fn current(
    conn: &mut DbConnection,
    relationship: &Relationship,
    label: &str,
    id: &str,
    side: &str,
) -> Result<Vec<(String, String)>> {
    let links = links_of(conn, &[relationship], &[id.to_string()])?;
    Ok(links
        .iter()
        .filter_map(|l| {
            peer_of(relationship, l, label, id)
                .filter(|(s, _, _)| *s == side)
                .map(|(_, _, other)| (l.id.clone(), other.to_string()))
        })
        .collect())
}

/// The association to create for an object (`label`, `id`) and another on `side`.
pub fn association_input(
    relationship: &Relationship,
    label: &str,
    id: &str,
    side: &str,
    other: &str,
) -> Value {
    let (source, destination) = match side {
        "source" => ((relationship.source_type.as_str(), other), (label, id)),
        _ => ((label, id), (relationship.destination_type.as_str(), other)),
    };
    json!({
        "relationship": relationship.id,
        "source_type": source.0,
        "source_id": source.1,
        "destination_type": destination.0,
        "destination_id": destination.1,
    })
}

/// The ids of the associations touching the object (`label`, `id`), to delete with it.
pub fn of_object(conn: &mut DbConnection, label: &str, id: &str) -> Result<Vec<String>> {
    let mut sql = Sql::from(format!(
        "SELECT \"id\" AS row FROM {ASSOCIATION_TABLE} WHERE (\"source_id\" = "
    ));
    sql.bind(SqlValue::text(id))
        .push(" AND \"source_type\" = ")
        .bind(SqlValue::text(label))
        .push(") OR (\"destination_id\" = ")
        .bind(SqlValue::text(id))
        .push(" AND \"destination_type\" = ")
        .bind(SqlValue::text(label))
        .push(")");
    dynamic::query_text(conn, &sql)
}

/// Whether the object `id` of `model` matches `filter` (REST filters of the model).
fn matches_filter(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    id: &str,
    filter: &Map<String, Value>,
) -> Result<bool> {
    let mut params = vec![("id".to_string(), id.to_string())];
    params.extend(filter_params(filter));
    let query = super::query::ListQuery::parse(model, &params)?;
    let (rows, _) = super::query::page_rows(conn, registry, model, &query)?;
    Ok(!rows.is_empty())
}

/// A filter document as query parameters: each key with a value or a list of values.
fn filter_params(filter: &Map<String, Value>) -> Vec<(String, String)> {
    let mut params = Vec::new();
    for (k, v) in filter {
        let values: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for v in values {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            params.push((k.clone(), text));
        }
    }
    params
}

/// Checks and completes a definition: the key (from the label, then fixed), known
/// models on both ends, one model for the symmetric kinds, filters the models accept.
pub fn prepare_definition(
    registry: &Registry,
    row: &mut Row,
    original: Option<&Row>,
) -> Result<()> {
    let mut errors = ValidationErrors::new();
    let key_problems = super::custom_fields::settle_key(row, original, "relationship");
    if !key_problems.is_empty() {
        errors.insert("key".into(), key_problems);
    }
    let mut error =
        |field: &str, message: String| errors.entry(field.to_string()).or_default().push(message);
    let r = relationship_of(row);
    for (side, label) in [
        ("source", &r.source_type),
        ("destination", &r.destination_type),
    ] {
        match registry.get(label).filter(|m| applies_to(m)) {
            None => error(&format!("{side}_type"), format!("Unknown model '{label}'.")),
            Some(m) => {
                let filter = row.get(&format!("{side}_filter")).filter(|v| !v.is_null());
                match filter {
                    Some(Value::Object(f)) => {
                        if let Err(e) = super::query::ListQuery::parse(m, &filter_params(f)) {
                            error(&format!("{side}_filter"), format!("Invalid filter: {e}"));
                        }
                    }
                    Some(_) => error(
                        &format!("{side}_filter"),
                        "Filter must be a dictionary of the model's filters.".into(),
                    ),
                    None => {}
                }
            }
        }
    }
    if let Some(o) = original {
        let before = relationship_of(o);
        for (field, was, now) in [
            ("type", &before.kind, &r.kind),
            ("source_type", &before.source_type, &r.source_type),
            (
                "destination_type",
                &before.destination_type,
                &r.destination_type,
            ),
        ] {
            if was != now {
                error(
                    field,
                    "This cannot be changed once the relationship exists.".into(),
                );
            }
        }
    }
    if r.symmetric() {
        if r.source_type != r.destination_type {
            error(
                "destination_type",
                "Must match source_type for a symmetric relationship".into(),
            );
        }
        if !r.required_on.is_empty() {
            error(
                "required_on",
                "Symmetric relationships cannot be marked as required.".into(),
            );
        }
    }
    validated(errors)
}

/// Checks an association before it is written: the relationship's models, both objects
/// existing and matching the relationship's filters, no object linked to itself, the
/// cardinality (counting the associations already stored), no duplicate.
pub fn prepare_association(
    conn: &mut DbConnection,
    registry: &Registry,
    row: &Row,
    original: Option<&Row>,
) -> Result<()> {
    let mut errors = ValidationErrors::new();
    let Some(r) = by_id(conn, registry, &text(row, "relationship"))? else {
        add(
            &mut errors,
            "relationship",
            "The relationship does not exist.".into(),
        );
        return validated(errors);
    };
    let (source_type, source_id) = (text(row, "source_type"), text(row, "source_id"));
    let (dest_type, dest_id) = (text(row, "destination_type"), text(row, "destination_id"));
    if source_type != r.source_type {
        add(
            &mut errors,
            "source_type",
            format!(
                "source_type has a different value than defined in {}",
                r.label
            ),
        );
    }
    if dest_type != r.destination_type {
        add(
            &mut errors,
            "destination_type",
            format!(
                "destination_type has a different value than defined in {}",
                r.label
            ),
        );
    }
    if !errors.is_empty() {
        return validated(errors);
    }
    if source_id == dest_id {
        add(
            &mut errors,
            "destination_id",
            "An object cannot be associated with itself.".into(),
        );
    }
    for (side, label, id, filter) in [
        ("source", &source_type, &source_id, &r.source_filter),
        ("destination", &dest_type, &dest_id, &r.destination_filter),
    ] {
        let Some(model) = registry.get(label) else {
            add(
                &mut errors,
                &format!("{side}_type"),
                format!("Unknown model '{label}'."),
            );
            continue;
        };
        if uuid::Uuid::parse_str(id).is_err() || super::get(conn, model, id)?.is_none() {
            add(
                &mut errors,
                &format!("{side}_id"),
                format!("No {} with id {id} exists.", model.verbose_name()),
            );
            continue;
        }
        if let Some(filter) = filter {
            if !matches_filter(conn, registry, model, id, filter)? {
                add(
                    &mut errors,
                    &format!("{side}_id"),
                    format!(
                        "{} violates {} {side}_filter restriction",
                        model.verbose_name(),
                        r.label
                    ),
                );
            }
        }
    }
    if !errors.is_empty() {
        return validated(errors);
    }
    // The associations already stored that touch either object.
    let own = text(row, "id");
    let stored: Vec<Link> = links_of(conn, &[&r], &[source_id.clone(), dest_id.clone()])?
        .into_iter()
        .filter(|l| l.id != own && original.is_none_or(|o| text(o, "id") != l.id))
        .collect();
    let same_pair = stored.iter().any(|l| {
        (l.source_id == source_id && l.destination_id == dest_id)
            || (r.symmetric() && l.source_id == dest_id && l.destination_id == source_id)
    });
    if same_pair {
        add(
            &mut errors,
            "__all__",
            format!("These objects are already associated by {}.", r.label),
        );
        return validated(errors);
    }
    let touches = |id: &str| {
        stored
            .iter()
            .any(|l| l.source_id == id || l.destination_id == id)
    };
    match r.kind.as_str() {
        "one-to-one" => {
            if stored.iter().any(|l| l.source_id == source_id) {
                add(
                    &mut errors,
                    "source_id",
                    format!("The source already has a {} association.", r.label),
                );
            }
            if stored.iter().any(|l| l.destination_id == dest_id) {
                add(
                    &mut errors,
                    "destination_id",
                    format!("The destination already has a {} association.", r.label),
                );
            }
        }
        "one-to-many" if stored.iter().any(|l| l.destination_id == dest_id) => {
            add(
                &mut errors,
                "destination_id",
                format!("The destination already has a {} association.", r.label),
            );
        }
        "symmetric-one-to-one" => {
            for (field, id) in [("source_id", &source_id), ("destination_id", &dest_id)] {
                if touches(id) {
                    add(
                        &mut errors,
                        field,
                        format!("The object already has a {} association.", r.label),
                    );
                }
            }
        }
        _ => {}
    }
    validated(errors)
}

fn add(errors: &mut ValidationErrors, field: &str, message: String) {
    errors.entry(field.to_string()).or_default().push(message);
}

/// Whether `name` is a relationship filter (`cr_<key>__source|destination|peer`), and
/// its key and side.
pub fn filter_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("cr_")?;
    let (key, side) = rest.rsplit_once("__")?;
    (SIDES.contains(&side) && super::custom_fields::is_key(key)).then_some((key, side))
}

/// The condition of `cr_<key>__<side>=<ids>` (lookup `exact` or `n`): objects linked
/// by the relationship `key` to any of the ids on `side` (the side of the others).
pub fn condition(
    key: &str,
    side: &str,
    lookup: &str,
    values: &[String],
) -> std::result::Result<Sql, String> {
    let negate = match lookup {
        "exact" => false,
        "n" => true,
        _ => return Err("Unknown filter field".into()),
    };
    let ids: Vec<String> = values
        .iter()
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .collect();
    // (own column, other column) pairs: a peer is on either end.
    let pairs: &[(&str, &str)] = match side {
        "destination" => &[("source_id", "destination_id")],
        "source" => &[("destination_id", "source_id")],
        _ => &[
            ("source_id", "destination_id"),
            ("destination_id", "source_id"),
        ],
    };
    let mut out = Sql::from(format!("(\"id\" {}IN (", if negate { "NOT " } else { "" }));
    for (n, (own, other)) in pairs.iter().enumerate() {
        if n > 0 {
            out.push(" UNION ");
        }
        out.push(format!(
            "SELECT {} FROM {ASSOCIATION_TABLE} WHERE \"relationship_id\" IN (SELECT \"id\" FROM {MODEL_TABLE} WHERE \"key\" = ",
            ident(own)
        ));
        out.bind(SqlValue::text(key))
            .push(format!(") AND {} IN (", ident(other)));
        if ids.is_empty() {
            out.push("NULL");
        }
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                out.push(", ");
            }
            out.bind(SqlValue::text(id.clone()));
        }
        out.push(")");
    }
    out.push("))");
    Ok(out)
}

/// Refuses `cr_` filters naming a relationship that does not exist or does not reach
/// `model` on that side (one statement, only when such filters are given).
pub fn check_filters(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    filters: &[(String, String, Vec<String>)],
) -> Result<()> {
    let named: Vec<(&str, &str)> = filters
        .iter()
        .filter_map(|(f, _, _)| filter_name(f))
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let label = model.label();
    let relationships = for_model(conn, registry, &label)?;
    let mut errors = ValidationErrors::new();
    for (key, side) in named {
        let ok = relationships
            .iter()
            .any(|r| r.key == key && r.other_sides(&label).contains(&side));
        if !ok {
            errors
                .entry(format!("cr_{key}__{side}"))
                .or_default()
                .push("Unknown filter field".into());
        }
    }
    validated(errors)
}

/// The associations an object (`id` of `model`, as stored) lacks that relationships
/// require of it (`required_on`), when objects exist on the other side to associate
/// with: the message per relationship key, Nautobot's wording.
pub fn missing_required(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    relationships: &[Relationship],
    id: &str,
) -> Result<Vec<(String, String)>> {
    let label = model.label();
    let mut missing = Vec::new();
    for r in relationships {
        let side = match r.required_on.as_str() {
            "source" if r.source_type == label => "destination",
            "destination" if r.destination_type == label => "source",
            _ => continue,
        };
        if !current(conn, r, &label, id, side)?.is_empty() {
            continue;
        }
        let Some(other) = registry.get(r.type_of(side)) else {
            continue;
        };
        let any = super::query::ListQuery {
            limit: 1,
            ..Default::default()
        };
        let (rows, _) = super::query::page_rows(conn, registry, other, &any)?;
        if rows.is_empty() {
            continue;
        }
        missing.push((
            r.key.clone(),
            format!(
                "{} require at least one {}, but none were specified.",
                nautobot_schema::capitalise(model.verbose_name_plural()),
                other.verbose_name()
            ),
        ));
    }
    Ok(missing)
}

/// One side of a relationship as an object's page shows it.
#[derive(Debug, Clone)]
pub struct PanelSide {
    /// The relationship.
    pub relationship: Relationship,
    /// The side of the others (`source`, `destination` or `peer`).
    pub side: &'static str,
    /// What the others are called.
    pub label: String,
    /// The others' model.
    pub other_type: String,
    /// `(association id, other id, other's display)`.
    pub objects: Vec<(String, String, String)>,
}

/// The relationships shown on the page of the object `id` of `model` (those not hidden
/// on its side), with the objects linked to it.
pub fn panel(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    id: &str,
) -> Result<Vec<PanelSide>> {
    let label = model.label();
    let relationships = for_model(conn, registry, &label)?;
    let refs: Vec<&Relationship> = relationships.iter().collect();
    let links = links_of(conn, &refs, &[id.to_string()])?;
    let mut out = Vec::new();
    for r in &relationships {
        for side in r.other_sides(&label) {
            let hidden = match side {
                "destination" => r.source_hidden,
                "source" => r.destination_hidden,
                _ => r.source_hidden && r.destination_hidden,
            };
            if hidden {
                continue;
            }
            let other_type = match side {
                "source" => r.source_type.clone(),
                _ => r.destination_type.clone(),
            };
            let mut objects = Vec::new();
            let others: Vec<(String, String)> = links
                .iter()
                .filter(|l| l.relationship == r.id)
                .filter_map(|l| {
                    peer_of(r, l, &label, id)
                        .filter(|(s, _, _)| *s == side)
                        .map(|(_, _, other)| (l.id.clone(), other.to_string()))
                })
                .collect();
            if let Some(other_model) = registry.get(&other_type) {
                let ids: Vec<String> = others.iter().map(|(_, o)| o.clone()).collect();
                let rows = super::get_many(conn, other_model, &ids)?;
                for (association, other) in others {
                    let display = rows
                        .iter()
                        .find(|row| text(row, "id") == other)
                        .map(|row| super::display(other_model, row))
                        .unwrap_or_else(|| other.clone());
                    objects.push((association, other, display));
                }
            }
            out.push(PanelSide {
                label: r.side_label(registry, side),
                relationship: r.clone(),
                side,
                other_type,
                objects,
            });
        }
    }
    Ok(out)
}
