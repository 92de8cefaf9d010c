//! Object-permission constraints ([`Constraint`]) as SQL: the condition narrowing every
//! read and write of a model to what a user's grants reach, in Nautobot's semantics.
//!
//! A constraint set is a JSON object of Django lookups, AND-ed: `{"name": "SP-IN"}`,
//! `{"location__name__in": ["A", "B"]}`, `{"tags__name": "core"}`, `{"user": "$user"}`.
//! Keys walk foreign keys, tags and many-to-many links (`location__parent__name`) and
//! end in a field with an optional lookup (`exact`, `iexact`, `in`, `contains`,
//! `icontains`, `startswith`, `istartswith`, `endswith`, `iendswith`, `gt`, `gte`, `lt`,
//! `lte`, `range`, `isnull`). Sets are OR-ed. The condition uses the model's column
//! names unqualified and one `IN (SELECT …)` per relation walked, so the indexes behind
//! every foreign key and filter serve it; values are bound, never spliced.

use nautobot_plugin_abi::{FieldKind, FieldSchema};
use serde_json::{Map, Value};

pub use nautobot_auth::Constraint;
use nautobot_base::error::{Error, Result};
use nautobot_db::{
    dynamic::{ident, Sql, SqlValue},
    Backend, DbConnection,
};
use nautobot_schema::{column, ddl::table_of, Model, Registry};

/// The longest walk of relations in one key (`a__b__c__d__name`).
const MAX_RELATIONS: usize = 4;

/// The lookups a key may end with.
const LOOKUPS: &[&str] = &[
    "exact",
    "iexact",
    "in",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "gt",
    "gte",
    "lt",
    "lte",
    "range",
    "isnull",
];

/// The condition (without ` WHERE `) selecting the objects of `model` that `constraint`
/// reaches; `None` when it reaches every object. A set that no longer compiles (a field
/// a plugin has since dropped) reaches nothing and is logged: a damaged grant never
/// widens what a user sees.
pub fn condition(
    registry: &Registry,
    model: &Model,
    constraint: &Constraint,
    backend: Backend,
) -> Option<Sql> {
    let sets = match constraint {
        Constraint::All => return None,
        Constraint::Any(sets) => sets,
    };
    let mut out = Sql::from("(");
    let mut any = false;
    for set in sets {
        match set_condition(registry, model, set, backend) {
            Ok(sql) => {
                if any {
                    out.push(" OR ");
                }
                out.append(sql);
                any = true;
            }
            Err(message) => tracing::warn!(
                model = %model.label(),
                "an object permission's constraint is ignored (it reaches nothing): {message}"
            ),
        }
    }
    if !any {
        out.push("1 = 0");
    }
    out.push(")");
    Some(out)
}

/// Checks the `constraints` of an object permission for `model` as they are saved: a
/// JSON object, a list of objects, or nothing; every key a field (or relation walk) of
/// the model with a known lookup, every value of the lookup's shape. The message names
/// what is wrong.
pub fn validate(
    registry: &Registry,
    model: &Model,
    value: &Value,
) -> std::result::Result<(), String> {
    let sets: Vec<&Value> = match value {
        Value::Null => return Ok(()),
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for set in sets {
        match set {
            Value::Null => {}
            Value::Object(lookups) => {
                // `$user` stands for a user's id: check the shape with one.
                let replaced = Constraint::from_value(
                    &Value::Object(lookups.clone()),
                    "00000000-0000-0000-0000-000000000000",
                );
                if let Constraint::Any(sets) = replaced {
                    for set in &sets {
                        set_condition(registry, model, set, Backend::Sqlite)
                            .map_err(|m| format!("{}: {m}", model.label()))?;
                    }
                }
            }
            _ => return Err("Give a JSON object, a list of objects, or nothing.".into()),
        }
    }
    Ok(())
}

/// Whether every object of `ids` is among those `constraint` reaches (one count).
pub fn reaches(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    constraint: &Constraint,
    ids: &[String],
) -> Result<bool> {
    let backend = nautobot_db::dynamic::backend_of(conn);
    let Some(cond) = condition(registry, model, constraint, backend) else {
        return Ok(true);
    };
    let mut distinct: Vec<&String> = ids.iter().collect();
    distinct.sort();
    distinct.dedup();
    for chunk in distinct.chunks(500) {
        let mut sql = Sql::from(format!(
            "SELECT COUNT(*) AS count FROM {} WHERE {} IN (",
            ident(&model.table()),
            ident("id")
        ));
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(SqlValue::text(id.as_str()));
        }
        sql.push(") AND ");
        sql.append(cond.clone());
        if nautobot_db::dynamic::query_count(conn, &sql)? != chunk.len() as i64 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The refusal of a write that would leave an object outside what the user's grants
/// reach (Nautobot answers 403 and rolls the change back).
pub fn outside_error(action: &str, model: &Model) -> Error {
    Error::PermissionDenied(format!(
        "You do not have permission to {action} this {}: the result would lie outside \
         the objects your permissions allow.",
        model.verbose_name()
    ))
}

fn set_condition(
    registry: &Registry,
    model: &Model,
    set: &Map<String, Value>,
    backend: Backend,
) -> std::result::Result<Sql, String> {
    let mut out = Sql::from("(");
    if set.is_empty() {
        out.push("1 = 1");
    }
    for (i, (key, value)) in set.iter().enumerate() {
        if i > 0 {
            out.push(" AND ");
        }
        let parts: Vec<&str> = key.split("__").collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!("'{key}' is not a lookup"));
        }
        out.append(lookup(registry, model, key, &parts, value, backend, 0)?);
    }
    out.push(")");
    Ok(out)
}

/// Whether `name` names something of `model` a key may walk or compare.
fn is_field(model: &Model, name: &str) -> bool {
    matches!(name, "id" | "pk" | "created" | "last_updated")
        || (model.field(name).is_some() && !model.is_write_only(name))
}

fn lookup(
    registry: &Registry,
    model: &Model,
    key: &str,
    parts: &[&str],
    value: &Value,
    backend: Backend,
    depth: usize,
) -> std::result::Result<Sql, String> {
    let (first, rest) = parts.split_first().ok_or("an empty lookup")?;
    let name = if *first == "pk" { "id" } else { first };
    if !is_field(model, name) {
        return Err(format!("'{key}': {} has no field '{first}'", model.label()));
    }
    let field = model.field(name);
    // A relation: the rest of the key is about the related model, unless it is only
    // a lookup on the relation's own value (`location__in`, `tags__isnull`).
    let related = field.and_then(|f| match &f.kind {
        FieldKind::ForeignKey { to, .. } => Some(to.clone()),
        FieldKind::Tags => Some("extras.tag".to_string()),
        _ => model.link(name).map(|l| l.to.clone()),
    });
    if let (Some(field), Some(to)) = (field, related) {
        let target = registry
            .get(&to)
            .ok_or_else(|| format!("'{key}': the related model {to} is not installed"))?;
        let walks = rest.first().is_some_and(|next| is_field(target, next));
        if let Some(next) = rest.first().filter(|n| !walks && !LOOKUPS.contains(n)) {
            return Err(format!("'{key}': {} has no field '{next}'", target.label()));
        }
        let is_fk = matches!(field.kind, FieldKind::ForeignKey { .. });
        if is_fk && !walks {
            // The foreign key's own column.
            let op = terminal_lookup(key, rest)?;
            return compare(registry, model, key, name, Some(field), op, value, backend);
        }
        if !walks && terminal_lookup(key, rest)? == "isnull" {
            // Tags or links: whether the object has none.
            let Value::Bool(none) = value else {
                return Err(format!("'{key}': expected true or false"));
            };
            let mut out = Sql::from(format!(
                "{} {}IN (",
                ident("id"),
                if *none { "NOT " } else { "" }
            ));
            match model.link(name) {
                Some(link) => {
                    out.push(format!(
                        "SELECT {} FROM {})",
                        ident(&link.own_column),
                        ident(&link.table)
                    ));
                }
                None => {
                    out.push("SELECT object_id FROM extras_taggeditem WHERE content_type = ")
                        .bind(SqlValue::text(model.label()))
                        .push(")");
                }
            }
            return Ok(out);
        }
        if depth >= MAX_RELATIONS {
            return Err(format!("'{key}' walks more than {MAX_RELATIONS} relations"));
        }
        // On the related model: its id (`tags=<id>`, `tags__in=[…]`) or the walk.
        let inner_parts: Vec<&str> = if walks {
            rest.to_vec()
        } else {
            std::iter::once("id").chain(rest.iter().copied()).collect()
        };
        let inner = lookup(
            registry,
            target,
            key,
            &inner_parts,
            value,
            backend,
            depth + 1,
        )?;
        let mut target_ids = Sql::from(format!(
            "SELECT {} FROM {} WHERE ",
            ident("id"),
            ident(&table_of(&to))
        ));
        target_ids.append(inner);
        // One related object at most (an exact match on its id or a unique field, as a
        // team's `{"location__name": "SP-IN"}`): `=` rather than `IN`, so that the
        // database walks the index of the foreign key and the list's order together
        // instead of sorting the matches.
        if is_fk && names_one(target, &inner_parts, value) {
            let mut out = Sql::from(format!("{} = (", ident(&column(field))));
            out.append(target_ids);
            out.push(")");
            return Ok(out);
        }
        let mut out = match &field.kind {
            FieldKind::ForeignKey { .. } => Sql::from(format!("{} IN (", ident(&column(field)))),
            FieldKind::Tags => {
                let mut s = Sql::from(format!(
                    "{} IN (SELECT object_id FROM extras_taggeditem WHERE content_type = ",
                    ident("id")
                ));
                s.bind(SqlValue::text(model.label()))
                    .push(" AND tag_id IN (");
                s
            }
            _ => {
                let link = model.link(name).ok_or("not a link")?;
                Sql::from(format!(
                    "{} IN (SELECT {} FROM {} WHERE {} IN (",
                    ident("id"),
                    ident(&link.own_column),
                    ident(&link.table),
                    ident(&link.other_column)
                ))
            }
        };
        out.append(target_ids);
        out.push(if matches!(field.kind, FieldKind::ForeignKey { .. }) {
            ")"
        } else {
            "))"
        });
        return Ok(out);
    }
    let op = terminal_lookup(key, rest)?;
    compare(registry, model, key, name, field, op, value, backend)
}

/// Whether `parts` (a field of `model`, perhaps `__exact`) with `value` matches at most
/// one object: an exact, non-null value of its id or of a unique field.
fn names_one(model: &Model, parts: &[&str], value: &Value) -> bool {
    let name = match parts {
        [name] | [name, "exact"] => *name,
        _ => return false,
    };
    let unique = matches!(name, "id" | "pk")
        || model.field(name).is_some_and(|f| {
            f.unique && !matches!(f.kind, FieldKind::ForeignKey { .. } | FieldKind::Tags)
        });
    unique && matches!(value, Value::String(_) | Value::Number(_))
}

/// The lookup ending a key on a plain field: none (`exact`) or one known lookup.
fn terminal_lookup<'k>(key: &str, rest: &[&'k str]) -> std::result::Result<&'k str, String> {
    match rest {
        [] => Ok("exact"),
        [op] if LOOKUPS.contains(op) => Ok(op),
        _ => Err(format!(
            "'{key}': unknown field or lookup '{}'",
            rest.join("__")
        )),
    }
}

/// A value as a filter value (the text `ListQuery` filters take).
fn text(key: &str, value: &Value) -> std::result::Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok("null".into()),
        _ => Err(format!("'{key}': expected one value, not {value}")),
    }
}

#[allow(clippy::too_many_arguments)]
fn compare(
    registry: &Registry,
    model: &Model,
    key: &str,
    name: &str,
    field: Option<&FieldSchema>,
    op: &str,
    value: &Value,
    backend: Backend,
) -> std::result::Result<Sql, String> {
    let one = |filter_lookup: &str, v: &Value| -> std::result::Result<Sql, String> {
        let v = text(key, v)?;
        super::query::one_condition(registry, model, name, filter_lookup, &v, backend)
            .map_err(|m| format!("'{key}': {m}"))
    };
    match op {
        "exact" => {
            if value.is_null() {
                return Ok(Sql::from(format!("{} IS NULL", ident(&col(name, field)))));
            }
            one("exact", value)
        }
        "in" => {
            let Value::Array(items) = value else {
                return Err(format!("'{key}': expected a list"));
            };
            if items.is_empty() {
                return Ok(Sql::from("1 = 0"));
            }
            let mut out = Sql::from("(");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(" OR ");
                }
                out.append(one("exact", item)?);
            }
            out.push(")");
            Ok(out)
        }
        "range" => match value.as_array().map(Vec::as_slice) {
            Some([low, high]) => {
                let mut out = Sql::from("(");
                out.append(one("gte", low)?);
                out.push(" AND ");
                out.append(one("lte", high)?);
                out.push(")");
                Ok(out)
            }
            _ => Err(format!("'{key}': expected a list of two values")),
        },
        "isnull" => match value {
            Value::Bool(_) => one("isnull", value),
            _ => Err(format!("'{key}': expected true or false")),
        },
        "iexact" => one("ie", value),
        "icontains" => one("ic", value),
        "istartswith" => one("isw", value),
        "iendswith" => one("iew", value),
        "gt" | "gte" | "lt" | "lte" => one(op, value),
        "contains" | "startswith" | "endswith" => {
            if !field.is_some_and(|f| {
                matches!(
                    f.kind,
                    FieldKind::Char { .. }
                        | FieldKind::Slug { .. }
                        | FieldKind::Text
                        | FieldKind::Choice { .. }
                )
            }) {
                return Err(format!("'{key}': lookup '{op}' needs a text field"));
            }
            let Value::String(v) = value else {
                return Err(format!("'{key}': expected text"));
            };
            let c = ident(&col(name, field));
            let mut s = Sql::new();
            match (op, backend) {
                ("contains", Backend::Sqlite) => {
                    s.push(format!("instr({c}, "))
                        .bind(SqlValue::text(v))
                        .push(") > 0");
                }
                ("contains", Backend::Postgres) => {
                    s.push(format!("strpos({c}, "))
                        .bind(SqlValue::text(v))
                        .push(") > 0");
                }
                ("startswith", Backend::Sqlite) => {
                    s.push(format!("substr({c}, 1, {}) = ", v.chars().count()))
                        .bind(SqlValue::text(v));
                }
                ("startswith", Backend::Postgres) => {
                    s.push(format!("left({c}, {}) = ", v.chars().count()))
                        .bind(SqlValue::text(v));
                }
                (_, Backend::Sqlite) => {
                    s.push(format!("substr({c}, -{}) = ", v.chars().count().max(1)))
                        .bind(SqlValue::text(v));
                    if v.is_empty() {
                        s = Sql::from(format!("{c} IS NOT NULL"));
                    }
                }
                (_, Backend::Postgres) => {
                    s.push(format!("right({c}, {}) = ", v.chars().count()))
                        .bind(SqlValue::text(v));
                }
            }
            Ok(s)
        }
        other => Err(format!("'{key}': unknown lookup '{other}'")),
    }
}

fn col(name: &str, field: Option<&FieldSchema>) -> String {
    field.map(column).unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_schema::catalog::Catalog;
    use serde_json::json;

    fn registry() -> Registry {
        Catalog::build(&[]).unwrap().registry
    }

    fn check(model: &str, value: Value) -> std::result::Result<(), String> {
        let registry = registry();
        let model = registry.get(model).unwrap().clone();
        validate(&registry, &model, &value)
    }

    #[test]
    fn constraints_name_fields_relations_and_lookups() {
        for good in [
            json!(null),
            json!({}),
            json!({"name": "SP-IN"}),
            json!([{"name": "A"}, {"name__in": ["B", "C"]}]),
            json!({"location__name": "SP-IN", "status__name__iexact": "active"}),
            json!({"location__parent__name__istartswith": "eu-"}),
            json!({"tags__name": "core"}),
            json!({"tags__isnull": false}),
            json!({"location__in": ["5a0cbeb8-5b5a-4c8e-9a3b-2f0e9b7e2a11"]}),
            json!({"pk": "$user"}),
            json!({"name__contains": "IN", "created__gte": "2026-01-01"}),
        ] {
            let model = if good.to_string().contains("location__") {
                "dcim.device"
            } else {
                "dcim.location"
            };
            assert_eq!(check(model, good.clone()), Ok(()), "{good}");
        }
        for (bad, says) in [
            (json!({"nope": 1}), "no field 'nope'"),
            (json!({"name__nope": 1}), "unknown field or lookup"),
            (json!({"location__nope": "x"}), "no field 'nope'"),
            (json!({"name__in": "x"}), "expected a list"),
            (json!({"name__range": [1]}), "two values"),
            (json!("text"), "Give a JSON object"),
            (json!([1]), "Give a JSON object"),
            (json!({"a__b__c__d__e__f__name": 1}), "no field 'a'"),
        ] {
            let err = check("dcim.device", bad.clone()).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn nothing_granted_reaches_nothing_and_all_needs_no_condition() {
        let registry = registry();
        let model = registry.get("dcim.location").unwrap().clone();
        assert!(condition(&registry, &model, &Constraint::All, Backend::Sqlite).is_none());
        let none = condition(&registry, &model, &Constraint::none(), Backend::Sqlite).unwrap();
        assert_eq!(none.render(Backend::Sqlite).0, "(1 = 0)");
        // A set naming a field that is gone reaches nothing, the others still reach.
        let mixed = Constraint::Any(vec![
            json!({"gone": 1}).as_object().unwrap().clone(),
            json!({"name": "A"}).as_object().unwrap().clone(),
        ]);
        let (sql, binds) = condition(&registry, &model, &mixed, Backend::Postgres)
            .unwrap()
            .render(Backend::Postgres);
        assert!(!sql.contains("gone"), "{sql}");
        assert_eq!(binds.len(), 1);
    }

    /// The conditions select the same rows on both databases.
    fn selects_what_nautobot_would(db: &nautobot_db::Database) {
        use crate::{query, write::Writer, Actor, NoHooks};
        nautobot_db::migrations::migrate(db).unwrap();
        let catalog = Catalog::build(&[]).unwrap();
        nautobot_schema::migrate::migrate(db, &catalog.plan).unwrap();
        let registry = &catalog.registry;
        let actor = Actor::system();
        let writer = Writer::new(registry, &actor, &NoHooks);
        let mut conn = db.conn().unwrap();
        let mut create = |label: &str, input: Value| -> String {
            let model = registry.get(label).unwrap();
            let row = writer.create(&mut conn, model, &input).unwrap();
            row["id"].as_str().unwrap().to_string()
        };
        let tag = create(
            "extras.tag",
            json!({"name": "core", "content_types": ["dcim.location"]}),
        );
        let site = create(
            "dcim.locationtype",
            json!({"name": "Site", "nestable": true}),
        );
        let loc = |name: &str, parent: Option<&str>, tags: Vec<&str>| json!({"name": name, "location_type": site, "status": "Active", "parent": parent, "tags": tags});
        let sp_in = create("dcim.location", loc("SP-IN", None, vec![]));
        create("dcim.location", loc("SP-OUT", None, vec![tag.as_str()]));
        create("dcim.location", loc("sp-in-lower", None, vec![]));
        create("dcim.location", loc("Room", Some(sp_in.as_str()), vec![]));
        let model = registry.get("dcim.location").unwrap();
        let mut conn = db.conn().unwrap();
        let mut names = |constraint: Value| -> Vec<String> {
            let within = Constraint::from_value(&constraint, "u");
            let query = query::ListQuery {
                limit: 50,
                sort: vec!["name".into()],
                ..Default::default()
            }
            .within(within);
            let (count, rows) = query::list(&mut conn, registry, model, &query).unwrap();
            let names: Vec<String> = rows
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(count as usize, names.len(), "{constraint}");
            names
        };
        let cases = [
            (json!(null), vec!["Room", "SP-IN", "SP-OUT", "sp-in-lower"]),
            (json!({"name": "SP-IN"}), vec!["SP-IN"]),
            (json!({"name__iexact": "sp-in"}), vec!["SP-IN"]),
            (json!({"name__contains": "IN"}), vec!["SP-IN"]),
            (
                json!({"name__icontains": "in"}),
                vec!["SP-IN", "sp-in-lower"],
            ),
            (json!({"name__startswith": "SP"}), vec!["SP-IN", "SP-OUT"]),
            (json!({"name__endswith": "OUT"}), vec!["SP-OUT"]),
            (
                json!({"name__in": ["SP-OUT", "Room", "nope"]}),
                vec!["Room", "SP-OUT"],
            ),
            (json!({"name__in": []}), vec![]),
            (json!({"parent__name": "SP-IN"}), vec!["Room"]),
            (json!({"parent": sp_in}), vec!["Room"]),
            (json!({"parent__isnull": false}), vec!["Room"]),
            (
                json!({"location_type__name": "Site", "name__startswith": "SP"}),
                vec!["SP-IN", "SP-OUT"],
            ),
            (json!({"tags__name": "core"}), vec!["SP-OUT"]),
            (json!({"tags": tag}), vec!["SP-OUT"]),
            (
                json!({"tags__isnull": true}),
                vec!["Room", "SP-IN", "sp-in-lower"],
            ),
            (
                json!([{"name": "SP-IN"}, {"name": "Room"}]),
                vec!["Room", "SP-IN"],
            ),
            (json!({"id": sp_in}), vec!["SP-IN"]),
            (
                json!({"status__name": "Active", "name": "SP-OUT"}),
                vec!["SP-OUT"],
            ),
        ];
        for (constraint, expected) in cases {
            assert_eq!(names(constraint.clone()), expected, "{constraint}");
        }
        // No grant reaches nothing.
        let query = query::ListQuery {
            limit: 50,
            ..Default::default()
        }
        .within(Constraint::none());
        assert_eq!(
            query::list(&mut conn, registry, model, &query).unwrap().0,
            0
        );
        // One read: the object itself.
        let reach = Constraint::from_value(&json!({"name": "SP-OUT"}), "u");
        assert!(
            crate::get_within(&mut conn, registry, model, &sp_in, &reach)
                .unwrap()
                .is_none()
        );
        assert!(!reaches(
            &mut conn,
            registry,
            model,
            &reach,
            std::slice::from_ref(&sp_in)
        )
        .unwrap());
        let reach = Constraint::from_value(&json!({"name": "SP-IN"}), "u");
        assert!(
            crate::get_within(&mut conn, registry, model, &sp_in, &reach)
                .unwrap()
                .is_some()
        );
        assert!(reaches(&mut conn, registry, model, &reach, &[sp_in]).unwrap());
    }

    #[test]
    fn constraints_select_the_same_rows_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let db = nautobot_db::Database::connect(&nautobot_config::DatabaseUrl::Sqlite(
            dir.path().join("db.sqlite3"),
        ))
        .unwrap();
        selects_what_nautobot_would(&db);
    }

    /// On PostgreSQL (`NAUTOBOT_TEST_POSTGRES`, default the local server), in a database
    /// of its own; skipped with a reason when none is reachable, except under `CI=true`.
    #[test]
    fn constraints_select_the_same_rows_on_postgresql() {
        let Some(scratch) = nautobot_db::scratch::ScratchPostgres::create(
            "constraints_select_the_same_rows_on_postgresql",
            "nautobot_constraints",
        ) else {
            return;
        };
        {
            let db = nautobot_db::Database::connect(&nautobot_config::DatabaseUrl::Postgres(
                scratch.url.clone(),
            ))
            .unwrap();
            selects_what_nautobot_would(&db);
        }
        drop(scratch);
    }

    /// A team's constraint on a foreign key's name (`location_type__name`) pages in the
    /// order of the list's index, as an unconstrained list does: no sort of the matches.
    #[test]
    fn a_constraint_naming_one_related_object_pages_through_the_index() {
        use diesel::QueryableByName;
        #[derive(QueryableByName)]
        struct PlanRow {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let dir = tempfile::tempdir().unwrap();
        let db = nautobot_db::Database::connect(&nautobot_config::DatabaseUrl::Sqlite(
            dir.path().join("db.sqlite3"),
        ))
        .unwrap();
        nautobot_db::migrations::migrate(&db).unwrap();
        let catalog = Catalog::build(&[]).unwrap();
        nautobot_schema::migrate::migrate(&db, &catalog.plan).unwrap();
        nautobot_schema::indexes::ensure(&db, &catalog.registry).unwrap();
        let registry = &catalog.registry;
        let model = registry.get("dcim.location").unwrap();
        let query = crate::query::ListQuery {
            limit: 50,
            ..Default::default()
        }
        .within(Constraint::from_value(
            &json!({"location_type__name": "Site"}),
            "u",
        ));
        let plan = crate::query::plan(registry, model, &query, Backend::Sqlite).unwrap();
        let mut sql = Sql::from("EXPLAIN QUERY PLAN ");
        sql.append(crate::query::rows_sql(model, &plan, 50, Backend::Sqlite));
        let mut conn = db.conn().unwrap();
        let steps: Vec<String> = nautobot_db::dynamic::load_rows::<PlanRow>(&mut conn, &sql)
            .unwrap()
            .into_iter()
            .map(|r| r.detail)
            .collect();
        let plan = steps.join("; ");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        assert!(plan.contains("location_type_id"), "{plan}");
    }
}
