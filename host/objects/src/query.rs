//! List queries: Nautobot's filters with their lookups, `q` search, `sort`, and
//! `limit`/`offset` paging, turned into one SQL query for the page and one for the count.
//!
//! Field names come only from the model's schema; values only as binds.

use nautobot_plugin_abi::{FieldKind, FieldSchema};
use serde_json::Value;

use super::{
    load, seek, select_row,
    values::{self, NULL_CHARACTERS},
    Row,
};
use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlType, SqlValue},
    Backend, DbConnection,
};
use nautobot_schema::{
    column,
    ddl::table_of,
    ordering::{self, Term},
    Model, Registry,
};

/// The page size when none is asked for (Nautobot's `PAGINATE_COUNT`).
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest page (Nautobot's `MAX_PAGE_SIZE`); `limit=0` asks for it.
pub const MAX_LIMIT: u64 = 1000;

/// Query parameters that are not filters.
pub const RESERVED_PARAMS: &[&str] = &[
    "limit",
    "offset",
    "cursor",
    "q",
    "sort",
    "depth",
    "format",
    "brief",
    "export",
    "per_page",
    "page",
    "exclude_m2m",
    "include",
    "csrfmiddlewaretoken",
    "return_url",
];

/// The lookups a filter may use after `__`.
const LOOKUPS: &[&str] = &[
    "n", "ic", "nic", "isw", "nisw", "iew", "niew", "ie", "nie", "gt", "gte", "lt", "lte", "isnull",
];

/// A parsed list request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// `(field, lookup, values)`: values OR-ed, filters AND-ed.
    pub filters: Vec<(String, String, Vec<String>)>,
    /// The `q` search text.
    pub q: Option<String>,
    /// Sort fields, `-` prefix for descending.
    pub sort: Vec<String>,
    /// Page size.
    pub limit: u64,
    /// Objects skipped.
    pub offset: u64,
    /// The seek key of the row before this page (`cursor`, as `next` links carry it):
    /// when it matches the order, the page starts after that row instead of skipping
    /// `offset` rows, so that walking a list costs what its pages hold.
    pub cursor: Option<String>,
    /// The objects the requester's grants reach (object-permission constraints), AND-ed
    /// with the filters: `None` (or [`Constraint::All`](super::constraints::Constraint))
    /// for every object. Set with [`ListQuery::within`].
    pub scope: Option<super::constraints::Constraint>,
}

/// `offset`: empty is 0; otherwise a whole number no larger than the databases' largest
/// offset (`i64::MAX`), so that both answer the same page or the same 400.
fn parse_offset(value: &str) -> std::result::Result<u64, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(0);
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err("A valid non-negative integer is required.".into());
    }
    match value.parse::<i64>() {
        Ok(n) => Ok(n as u64),
        Err(_) => Err(format!(
            "Ensure this value is less than or equal to {}.",
            i64::MAX
        )),
    }
}

impl ListQuery {
    /// Parses query parameters; unknown filter fields or lookups are a 400 naming them.
    pub fn parse(model: &Model, params: &[(String, String)]) -> Result<ListQuery> {
        let mut query = ListQuery {
            limit: DEFAULT_LIMIT,
            ..Default::default()
        };
        let mut errors = ValidationErrors::new();
        for (key, value) in params {
            if key.contains('\0') || value.contains('\0') {
                errors
                    .entry(key.replace('\0', ""))
                    .or_default()
                    .push(NULL_CHARACTERS.into());
                continue;
            }
            match key.as_str() {
                "limit" => {
                    query.limit = match value.trim().parse::<u64>() {
                        Ok(0) => MAX_LIMIT,
                        Ok(n) => n.min(MAX_LIMIT),
                        Err(_) => DEFAULT_LIMIT,
                    }
                }
                "offset" => match parse_offset(value) {
                    Ok(offset) => query.offset = offset,
                    Err(message) => errors.entry(key.clone()).or_default().push(message),
                },
                "cursor" => {
                    if !value.trim().is_empty() {
                        query.cursor = Some(value.trim().to_string());
                    }
                }
                "q" => {
                    if !value.trim().is_empty() {
                        query.q = Some(value.trim().to_string());
                    }
                }
                "sort" => {
                    for part in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        let name = part.trim_start_matches('-');
                        if is_sortable(model, name) {
                            query.sort.push(part.to_string());
                        } else {
                            errors
                                .entry("sort".into())
                                .or_default()
                                .push(format!("Invalid sort field: {name}"));
                        }
                    }
                }
                k if RESERVED_PARAMS.contains(&k) => {}
                k => {
                    let (field, lookup) = match k.rsplit_once("__") {
                        Some((f, l)) if LOOKUPS.contains(&l) => (f, l),
                        _ => (k, "exact"),
                    };
                    if !is_filterable(model, field) {
                        errors
                            .entry(k.to_string())
                            .or_default()
                            .push("Unknown filter field".into());
                        continue;
                    }
                    match query
                        .filters
                        .iter_mut()
                        .find(|(f, l, _)| f == field && l == lookup)
                    {
                        Some((_, _, values)) => values.push(value.clone()),
                        None => query.filters.push((
                            field.to_string(),
                            lookup.to_string(),
                            vec![value.clone()],
                        )),
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(Error::Validation(Box::new(errors)))
        }
    }

    /// Narrows the query to the objects `constraint` reaches (see
    /// [`constraints`](super::constraints)).
    pub fn within(mut self, constraint: super::constraints::Constraint) -> ListQuery {
        self.scope = match constraint {
            super::constraints::Constraint::All => None,
            narrowed => Some(narrowed),
        };
        self
    }

    /// Adds an exact filter (`field=value`).
    pub fn filter(mut self, field: &str, value: &str) -> ListQuery {
        self.filters
            .push((field.into(), "exact".into(), vec![value.into()]));
        self
    }
}

fn is_filterable(model: &Model, name: &str) -> bool {
    matches!(name, "id" | "created" | "last_updated")
        || (name
            .strip_prefix("cf_")
            .is_some_and(super::custom_fields::is_key)
            && super::custom_fields::applies_to(model))
        || (super::relationships::filter_name(name).is_some()
            && super::relationships::applies_to(model))
        || model.filter_extension(name).is_some()
        || (model.field(name).is_some() && is_readable_column(model, name))
        || model
            .field(name)
            .is_some_and(|f| matches!(f.kind, FieldKind::ManyToMany { .. }))
}

fn is_sortable(model: &Model, name: &str) -> bool {
    matches!(name, "id" | "created" | "last_updated")
        || (is_readable_column(model, name)
            && model
                .field(name)
                .is_some_and(|f| !matches!(f.kind, FieldKind::Tags | FieldKind::Json)))
}

/// Neither write-only (no filtering on a password hash) nor kept in a link table.
fn is_readable_column(model: &Model, name: &str) -> bool {
    !model.is_write_only(name) && model.link(name).is_none()
}

/// The WHERE clause (possibly empty) of a list query.
pub fn where_clause(
    registry: &Registry,
    model: &Model,
    query: &ListQuery,
    backend: Backend,
) -> Result<Sql> {
    let mut conditions: Vec<Sql> = Vec::new();
    let mut errors = ValidationErrors::new();
    for (field, lookup, values) in &query.filters {
        match condition(registry, model, field, lookup, values, backend) {
            Ok(sql) => conditions.push(sql),
            Err(message) => {
                let key = if lookup == "exact" {
                    field.clone()
                } else {
                    format!("{field}__{lookup}")
                };
                errors.entry(key).or_default().push(message);
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(Box::new(errors)));
    }
    if let Some(scope) = &query.scope {
        conditions.extend(super::constraints::condition(
            registry, model, scope, backend,
        ));
    }
    if let Some(q) = &query.q {
        let mut any = Sql::from("(");
        let fields: Vec<&FieldSchema> = model
            .search_fields
            .iter()
            .filter_map(|f| model.field(f))
            .collect();
        if fields.is_empty() {
            any.push("1 = 0");
        }
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                any.push(" OR ");
            }
            any.push(format!("LOWER({}) LIKE ", ident(&column(field))))
                .bind(SqlValue::text(format!(
                    "%{}%",
                    escape_like(&q.to_lowercase())
                )))
                .push(" ESCAPE '\\'");
        }
        if uuid::Uuid::parse_str(q).is_ok() {
            any.push(format!(" OR {} = ", ident("id")))
                .bind(SqlValue::text(q.to_lowercase()));
        }
        any.push(")");
        conditions.push(any);
    }
    let mut sql = Sql::new();
    for (i, c) in conditions.into_iter().enumerate() {
        sql.push(if i == 0 { " WHERE " } else { " AND " });
        sql.append(c);
    }
    Ok(sql)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A plugin's filter extension (ABI 1.2): objects from which `path` reaches a value
/// matching `lookup` — nested `IN` subqueries, one per step, each an indexed lookup.
/// A negated lookup keeps the objects from which no value matches its positive form.
fn extension_condition(
    registry: &Registry,
    path: &nautobot_schema::extensions::Path,
    lookup: &str,
    values: &[String],
    backend: Backend,
) -> std::result::Result<Sql, String> {
    use nautobot_schema::extensions::Step;
    let (positive, negated) = match lookup {
        "n" => ("exact", true),
        "nic" => ("ic", true),
        "nisw" => ("isw", true),
        "niew" => ("iew", true),
        "nie" => ("ie", true),
        other => (other, false),
    };
    let table = |label: &str| -> std::result::Result<String, String> {
        registry
            .get(label)
            .map(|m| ident(&m.table()))
            .ok_or_else(|| format!("model '{label}' is not installed"))
    };
    let end = registry
        .get(&path.model)
        .ok_or_else(|| format!("model '{}' is not installed", path.model))?;
    // The ids of the objects at the end of the path whose field matches…
    let mut ids = Sql::from(format!("SELECT \"id\" FROM {} WHERE ", table(&path.model)?));
    ids.append(condition(
        registry,
        end,
        &path.field.name,
        positive,
        values,
        backend,
    )?);
    // …then, step by step back to the extended model, the ids leading to them.
    for (i, step) in path.steps.iter().enumerate().rev() {
        if i == 0 {
            if let Step::Forward { column, .. } = step {
                // The extended model's own foreign key, compared directly.
                let col = ident(column);
                let mut top = match negated {
                    true => Sql::from(format!("({col} IS NULL OR {col} NOT IN (")),
                    false => Sql::from(format!("({col} IN (")),
                };
                top.append(ids).push("))");
                return Ok(top);
            }
        }
        let mut outer = match step {
            Step::Forward { column, .. } => {
                // Not the first step: the model this step starts from is the previous
                // step's target.
                let from = table(path.steps[i - 1].target())?;
                Sql::from(format!(
                    "SELECT \"id\" FROM {from} WHERE {} IN (",
                    ident(column)
                ))
            }
            Step::Link {
                table: link,
                own,
                other,
                ..
            } => Sql::from(format!(
                "SELECT {} FROM {} WHERE {} IN (",
                ident(own),
                ident(link),
                ident(other)
            )),
            Step::Reverse { from, column } => Sql::from(format!(
                "SELECT {col} FROM {} WHERE {col} IS NOT NULL AND \"id\" IN (",
                table(from)?,
                col = ident(column)
            )),
            Step::ReverseLink {
                table: link,
                own,
                other,
                ..
            } => Sql::from(format!(
                "SELECT {} FROM {} WHERE {} IN (",
                ident(other),
                ident(link),
                ident(own)
            )),
        };
        outer.append(ids).push(")");
        ids = outer;
    }
    let mut out = Sql::from(format!("(\"id\" {}IN (", if negated { "NOT " } else { "" }));
    out.append(ids).push("))");
    Ok(out)
}

/// One filter: `values` OR-ed for positive lookups, AND-ed for negated ones.
fn condition(
    registry: &Registry,
    model: &Model,
    name: &str,
    lookup: &str,
    values: &[String],
    backend: Backend,
) -> std::result::Result<Sql, String> {
    let negated = matches!(lookup, "n" | "nic" | "nisw" | "niew" | "nie");
    if let Some(key) = name
        .strip_prefix("cf_")
        .filter(|_| model.field(name).is_none())
    {
        return super::custom_fields::condition(model, key, lookup, values, backend);
    }
    if let Some(extension) = model
        .filter_extension(name)
        .filter(|_| model.field(name).is_none())
    {
        return extension_condition(registry, &extension.path, lookup, values, backend);
    }
    if let Some((key, side)) =
        super::relationships::filter_name(name).filter(|_| model.field(name).is_none())
    {
        return super::relationships::condition(key, side, lookup, values);
    }
    if let Some(link) = many_to_many(model, name) {
        return link_condition(registry, link, lookup, values);
    }
    if lookup == "exact" && values.len() > 1 {
        if let Some(sql) = exact_any(registry, model, name, values)? {
            return Ok(sql);
        }
    }
    let mut out = Sql::from("(");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(if negated { " AND " } else { " OR " });
        }
        out.append(one_condition(
            registry, model, name, lookup, value, backend,
        )?);
    }
    out.push(")");
    Ok(out)
}

/// The link of `name` when it is a [`FieldKind::ManyToMany`] field.
fn many_to_many<'m>(model: &'m Model, name: &str) -> Option<&'m nautobot_schema::Link> {
    model
        .field(name)
        .filter(|f| matches!(f.kind, FieldKind::ManyToMany { .. }))
        .and_then(|f| model.link(&f.name))
}

/// A many-to-many filter, as Nautobot's: `field=<id or name>` (objects linked to any of
/// the values), `field__n` (linked to none of them), `field__isnull` (without links, or
/// with some). One subquery on the through table's `(other, own)` index whatever the
/// number of values.
fn link_condition(
    registry: &Registry,
    link: &nautobot_schema::Link,
    lookup: &str,
    values: &[String],
) -> std::result::Result<Sql, String> {
    let (t, own, other) = (
        ident(&link.table),
        ident(&link.own_column),
        ident(&link.other_column),
    );
    let id = ident("id");
    if lookup == "isnull" {
        let mut yes = None;
        for v in values {
            let this = values::parse_bool(v).ok_or("Enter a valid boolean.")?;
            if yes.is_some_and(|y| y != this) {
                // Both: every object.
                return Ok(Sql::from("1 = 1"));
            }
            yes = Some(this);
        }
        let not = if yes == Some(true) { "NOT " } else { "" };
        return Ok(Sql::from(format!("{id} {not}IN (SELECT {own} FROM {t})")));
    }
    if !matches!(lookup, "exact" | "n") {
        return Err(format!("Lookup '{lookup}' is not supported on this field"));
    }
    let (ids, names): (Vec<&String>, Vec<&String>) = values
        .iter()
        .partition(|v| uuid::Uuid::parse_str(v).is_ok());
    let mut sub = Sql::from(format!(
        "{id} {}IN (SELECT {own} FROM {t} WHERE ",
        if lookup == "n" { "NOT " } else { "" }
    ));
    let mut parts = 0;
    if !ids.is_empty() {
        sub.push(format!("{other} IN ("));
        for (i, v) in ids.iter().enumerate() {
            if i > 0 {
                sub.push(", ");
            }
            sub.bind(SqlValue::text(v.to_lowercase()));
        }
        sub.push(")");
        parts += 1;
    }
    if !names.is_empty() {
        let target = registry.get(&link.to).and_then(|m| m.display_field.clone());
        let Some(display) = target else {
            return Err(format!(
                "Select a valid choice. {} is not one of the available choices.",
                names[0]
            ));
        };
        if parts > 0 {
            sub.push(" OR ");
        }
        sub.push(format!(
            "{other} IN (SELECT {} FROM {} WHERE {} IN (",
            ident("id"),
            ident(&table_of(&link.to)),
            ident(&display)
        ));
        for (i, v) in names.iter().enumerate() {
            if i > 0 {
                sub.push(", ");
            }
            sub.bind(SqlValue::text(v.as_str()));
        }
        sub.push("))");
    }
    sub.push(")");
    Ok(sub)
}

/// Several exact values of one filter as one `IN` list (or one subquery) rather than
/// one condition each: what the database plans in time linear in the values. `None`
/// for fields this does not cover (they take the general path).
fn exact_any(
    registry: &Registry,
    model: &Model,
    name: &str,
    values: &[String],
) -> std::result::Result<Option<Sql>, String> {
    let list = |sql: &mut Sql, items: &[SqlValue]| {
        for (i, v) in items.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(v.clone());
        }
    };
    let field = match name {
        "id" => None,
        "created" | "last_updated" => return Ok(None),
        _ => Some(model.field(name).ok_or("Unknown filter field")?),
    };
    match field.map(|f| &f.kind) {
        None => {
            let ids: Vec<SqlValue> = values
                .iter()
                .map(|v| SqlValue::text(v.to_lowercase()))
                .collect();
            let mut sql = Sql::from(format!("{} IN (", ident("id")));
            list(&mut sql, &ids);
            sql.push(")");
            Ok(Some(sql))
        }
        Some(FieldKind::Tags) => {
            let ids: Vec<SqlValue> = values
                .iter()
                .map(|v| SqlValue::text(v.to_lowercase()))
                .collect();
            let names: Vec<SqlValue> = values.iter().map(SqlValue::text).collect();
            let mut sql = Sql::from(format!("{} IN (", ident("id")));
            sql.append(tag_subquery(model));
            sql.push(" AND tag_id IN (SELECT \"id\" FROM extras_tag WHERE \"id\" IN (");
            list(&mut sql, &ids);
            sql.push(") OR \"name\" IN (");
            list(&mut sql, &names);
            sql.push(")))");
            Ok(Some(sql))
        }
        Some(FieldKind::ForeignKey { to, .. }) => {
            let Some(f) = field else { return Ok(None) };
            let c = ident(&column(f));
            let (ids, names): (Vec<&String>, Vec<&String>) = values
                .iter()
                .partition(|v| uuid::Uuid::parse_str(v).is_ok());
            let null = names.iter().any(|v| v.eq_ignore_ascii_case("null"));
            let names: Vec<SqlValue> = names
                .into_iter()
                .filter(|v| !v.eq_ignore_ascii_case("null"))
                .map(SqlValue::text)
                .collect();
            let mut parts: Vec<Sql> = Vec::new();
            if null {
                parts.push(Sql::from(format!("{c} IS NULL")));
            }
            if !ids.is_empty() {
                let ids: Vec<SqlValue> = ids
                    .iter()
                    .map(|v| SqlValue::text(v.to_lowercase()))
                    .collect();
                let mut sql = Sql::from(format!("{c} IN ("));
                list(&mut sql, &ids);
                sql.push(")");
                parts.push(sql);
            }
            if !names.is_empty() {
                let Some(target) = registry.get(to).and_then(|m| m.display_field.clone()) else {
                    return Err(format!(
                        "Select a valid choice. {} is not one of the available choices.",
                        values[0]
                    ));
                };
                let mut sql = Sql::from(format!(
                    "{c} IN (SELECT {} FROM {} WHERE {} IN (",
                    ident("id"),
                    ident(&table_of(to)),
                    ident(&target)
                ));
                list(&mut sql, &names);
                sql.push("))");
                parts.push(sql);
            }
            let mut out = Sql::from("(");
            for (i, part) in parts.into_iter().enumerate() {
                if i > 0 {
                    out.push(" OR ");
                }
                out.append(part);
            }
            out.push(")");
            Ok(Some(out))
        }
        Some(
            FieldKind::Char { .. }
            | FieldKind::Slug { .. }
            | FieldKind::Choice { .. }
            | FieldKind::Integer { .. }
            | FieldKind::PositiveInteger
            | FieldKind::Boolean,
        ) if !values.iter().any(|v| v.eq_ignore_ascii_case("null")) => {
            let typed: Vec<SqlValue> = values
                .iter()
                .map(|v| typed_value(field, name, v))
                .collect::<std::result::Result<_, _>>()?;
            let mut sql = Sql::from(format!("{} IN (", ident(&column(field.ok_or("no field")?))));
            list(&mut sql, &typed);
            sql.push(")");
            Ok(Some(sql))
        }
        _ => Ok(None),
    }
}

/// One value of one filter (`field__lookup=value`) as a condition.
pub(crate) fn one_condition(
    registry: &Registry,
    model: &Model,
    name: &str,
    lookup: &str,
    value: &str,
    backend: Backend,
) -> std::result::Result<Sql, String> {
    let (col, field): (String, Option<&FieldSchema>) = match name {
        "id" | "created" | "last_updated" => (name.to_string(), None),
        _ => {
            let f = model.field(name).ok_or("Unknown filter field")?;
            (column(f), Some(f))
        }
    };
    let c = ident(&col);
    if lookup == "isnull" {
        let yes = values::parse_bool(value).ok_or("Enter a valid boolean.")?;
        if let Some(f) = field {
            if matches!(f.kind, FieldKind::Tags) {
                let mut sql = tag_subquery(model);
                sql.push(")");
                let mut out = Sql::from(format!(
                    "{} {}IN (",
                    ident("id"),
                    if yes { "NOT " } else { "" }
                ));
                out.append(sql);
                return Ok(out);
            }
        }
        return Ok(Sql::from(format!(
            "{c} IS {}NULL",
            if yes { "" } else { "NOT " }
        )));
    }
    let is_null_value = value.eq_ignore_ascii_case("null");
    let negate = |sql: Sql| {
        let mut out = Sql::from(format!("({c} IS NULL OR NOT ("));
        out.append(sql);
        out.push("))");
        out
    };
    let kind = field.map(|f| &f.kind);
    match kind {
        Some(FieldKind::ForeignKey { to, .. }) => {
            if !matches!(lookup, "exact" | "n") {
                return Err(format!(
                    "Lookup '{lookup}' is not supported on a related field"
                ));
            }
            let positive = if is_null_value {
                Sql::from(format!("{c} IS NULL"))
            } else if uuid::Uuid::parse_str(value).is_ok() {
                let mut s = Sql::from(format!("{c} = "));
                s.bind(SqlValue::text(value.to_lowercase()));
                s
            } else {
                let target = registry
                    .get(to)
                    .and_then(|m| m.display_field.clone())
                    .ok_or_else(|| {
                        format!(
                            "Select a valid choice. {value} is not one of the available choices."
                        )
                    })?;
                let mut s = Sql::from(format!(
                    "{c} IN (SELECT {} FROM {} WHERE {} = ",
                    ident("id"),
                    ident(&table_of(to)),
                    ident(&target)
                ));
                s.bind(SqlValue::text(value)).push(")");
                s
            };
            Ok(if lookup == "n" {
                if is_null_value {
                    Sql::from(format!("{c} IS NOT NULL"))
                } else {
                    negate(positive)
                }
            } else {
                positive
            })
        }
        Some(FieldKind::Tags) => {
            if !matches!(lookup, "exact" | "n") {
                return Err(format!("Lookup '{lookup}' is not supported on tags"));
            }
            let mut sub = tag_subquery(model);
            sub.push(" AND tag_id IN (SELECT \"id\" FROM extras_tag WHERE \"id\" = ")
                .bind(SqlValue::text(value.to_lowercase()))
                .push(" OR \"name\" = ")
                .bind(SqlValue::text(value))
                .push("))");
            let mut out = Sql::from(format!(
                "{} {}IN (",
                ident("id"),
                if lookup == "n" { "NOT " } else { "" }
            ));
            out.append(sub);
            Ok(out)
        }
        Some(FieldKind::Json) => {
            if !matches!(lookup, "exact" | "n") {
                return Err(format!("Lookup '{lookup}' is not supported on this field"));
            }
            // A JSON list contains the value (content_types=dcim.device). Any other JSON
            // (an object, a number) contains nothing: PostgreSQL cannot take the elements
            // of those, and SQLite would look into an object's values.
            let mut s = Sql::from(match backend {
                Backend::Sqlite => format!(
                    "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type({c}) = 'array' \
                     THEN {c} ELSE '[]' END) AS e WHERE e.value = "
                ),
                // Cast: the diesel-made tables keep JSON lists in TEXT columns
                // (users_objectpermission.object_types).
                Backend::Postgres => format!(
                    "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN \
                     jsonb_typeof({c}::jsonb) = 'array' THEN {c}::jsonb ELSE '[]'::jsonb END) \
                     AS e(value) WHERE e.value = "
                ),
            });
            s.bind(SqlValue::text(value)).push(")");
            Ok(if lookup == "n" { negate(s) } else { s })
        }
        Some(FieldKind::IpAddress) if matches!(lookup, "exact" | "n") && !value.contains('/') => {
            // Nautobot matches a host address whatever its prefix length.
            let host = match values::clean_ip(value, false) {
                Ok(Value::String(s)) => s.split('/').next().unwrap_or(value).to_string(),
                _ => value.to_string(),
            };
            // Every mask length of the host: a range of the index on SQLite (whose text
            // order is bytewise); on PostgreSQL, whose order follows the database's
            // collation, the trigram index of LOWER(address) serves the LIKE.
            let pattern = format!("{}/%", escape_like(&host.to_lowercase()));
            let mut s = match backend {
                Backend::Sqlite => {
                    let mut s = Sql::from(format!("({c} >= "));
                    s.bind(SqlValue::text(format!("{host}/")))
                        .push(format!(" AND {c} < "))
                        .bind(SqlValue::text(format!("{host}0")))
                        .push(format!(" AND {c} LIKE "));
                    s
                }
                Backend::Postgres => Sql::from(format!("(LOWER({c}) LIKE ")),
            };
            s.bind(SqlValue::text(pattern)).push(" ESCAPE '\\')");
            Ok(if lookup == "n" { negate(s) } else { s })
        }
        _ => {
            let bound = typed_value(field, name, value)?;
            let text_like = matches!(bound, SqlValue::Text(_, SqlType::Text));
            let op = |sql_op: &str| {
                let mut s = Sql::from(format!("{c} {sql_op} "));
                s.bind(bound.clone());
                s
            };
            let like = |pattern: String| {
                let mut s = Sql::from(format!("LOWER({c}) LIKE "));
                s.bind(SqlValue::text(pattern)).push(" ESCAPE '\\'");
                s
            };
            let v = escape_like(&value.to_lowercase());
            Ok(match lookup {
                "exact" if is_null_value && field.is_some_and(|f| f.null) => {
                    Sql::from(format!("{c} IS NULL"))
                }
                "exact" => op("="),
                "n" => negate(op("=")),
                "gt" => op(">"),
                "gte" => op(">="),
                "lt" => op("<"),
                "lte" => op("<="),
                "ic" | "nic" | "isw" | "nisw" | "iew" | "niew" | "ie" | "nie" if !text_like => {
                    return Err(format!("Lookup '{lookup}' is not supported on this field"))
                }
                "ic" => like(format!("%{v}%")),
                "nic" => negate(like(format!("%{v}%"))),
                "isw" => like(format!("{v}%")),
                "nisw" => negate(like(format!("{v}%"))),
                "iew" => like(format!("%{v}")),
                "niew" => negate(like(format!("%{v}"))),
                "ie" => like(v),
                "nie" => negate(like(v)),
                other => return Err(format!("Unknown lookup '{other}'")),
            })
        }
    }
}

/// `SELECT object_id FROM extras_taggeditem WHERE content_type = '<model>'` (open, for
/// more conditions).
fn tag_subquery(model: &Model) -> Sql {
    let mut sql = Sql::from("SELECT object_id FROM extras_taggeditem WHERE content_type = ");
    sql.bind(SqlValue::text(model.label()));
    sql
}

/// A filter value bound with the field's type; a message when it does not parse.
fn typed_value(
    field: Option<&FieldSchema>,
    name: &str,
    value: &str,
) -> std::result::Result<SqlValue, String> {
    let Some(field) = field else {
        return Ok(match name {
            "id" => SqlValue::text(value.to_lowercase()),
            _ => SqlValue::Text(
                values::clean(
                    &FieldSchema::new(name, FieldKind::DateTime),
                    &Value::from(value),
                )
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .or_else(|| {
                    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                        .ok()
                        .map(|d| format!("{d}T00:00:00.000000Z"))
                })
                .ok_or("Enter a valid date/time.")?,
                SqlType::Timestamp,
            ),
        });
    };
    Ok(match &field.kind {
        FieldKind::Integer { .. } | FieldKind::PositiveInteger => {
            SqlValue::Int(value.trim().parse().map_err(|_| "Enter a number.")?)
        }
        FieldKind::Float => SqlValue::Float(value.trim().parse().map_err(|_| "Enter a number.")?),
        FieldKind::Boolean => {
            SqlValue::Bool(values::parse_bool(value).ok_or("Enter a valid boolean.")?)
        }
        FieldKind::Decimal { .. } => {
            let cleaned = values::clean(field, &Value::from(value))?;
            SqlValue::Text(
                cleaned.as_str().unwrap_or_default().to_string(),
                SqlType::Decimal,
            )
        }
        FieldKind::Date | FieldKind::DateTime => {
            let cleaned = values::clean(field, &Value::from(value))?;
            SqlValue::Text(
                cleaned.as_str().unwrap_or_default().to_string(),
                values::sql_type(field),
            )
        }
        FieldKind::IpAddress | FieldKind::IpNetwork | FieldKind::MacAddress => {
            match values::clean(field, &Value::from(value)) {
                Ok(Value::String(s)) => SqlValue::text(s),
                _ => SqlValue::text(value),
            }
        }
        _ => SqlValue::text(value),
    })
}

/// The ORDER BY clause: the requested sort, else the model's ordering, with
/// tie-breakers (see `schema::ordering`).
pub fn order_clause(model: &Model, sort: &[String], backend: Backend) -> String {
    ordering::order_by(&ordering::terms(&model.schema, sort), backend)
}

/// Whether the statements of `query` may be kept prepared on the connection: their text
/// must come in a bounded number of shapes per model — unfiltered with at most one sort
/// field, or one exact filter of one value in the default order (a cursor or not) — so
/// that no client can grow the statement cache without end.
pub fn cacheable(query: &ListQuery) -> bool {
    if query.q.is_some() {
        return false;
    }
    match query.filters.as_slice() {
        [] => query.sort.len() <= 1,
        [(_, lookup, values)] => lookup == "exact" && values.len() == 1 && query.sort.is_empty(),
        _ => false,
    }
}

/// How a page is chosen: its order, and where it starts.
pub struct PagePlan {
    /// The order's terms.
    pub terms: Vec<Term>,
    /// ` WHERE …` (filters, and the seek condition when the cursor applies).
    pub filter: Sql,
    /// The filters alone (for the count).
    pub count_filter: Sql,
    /// Rows skipped (0 when the cursor applies).
    pub offset: u64,
    /// Whether the page starts after a cursor (so `offset` says nothing of its place).
    pub seeking: bool,
    /// Whether its statements may stay prepared ([`cacheable`]).
    pub cacheable: bool,
    /// The expression of a row's seek key (a JSON array as text), named `seek`.
    pub seek_expr: String,
}

/// Plans a page: the filters, the order, and the cursor if it belongs to this order.
pub fn plan(
    registry: &Registry,
    model: &Model,
    query: &ListQuery,
    backend: Backend,
) -> Result<PagePlan> {
    let terms = ordering::terms(&model.schema, &query.sort);
    let count_filter = where_clause(registry, model, query, backend)?;
    let mut filter = count_filter.clone();
    let mut offset = query.offset;
    let mut seeking = false;
    if let Some(cursor) = &query.cursor {
        if let Some(values) = seek::decode(cursor, &terms)? {
            filter.push(if filter.is_empty() {
                " WHERE "
            } else {
                " AND "
            });
            filter.append(seek::after(&terms, &values)?);
            offset = 0;
            seeking = true;
        }
    }
    Ok(PagePlan {
        seeking,
        cacheable: cacheable(query),
        seek_expr: seek::key_expr(&model.table(), &terms, backend),
        terms,
        filter,
        count_filter,
        offset,
    })
}

/// The query of one page: the rows chosen in an inner query (filters, order, limit,
/// offset — what indexes serve), then `select` (and the seek key) built for those rows
/// only, in the same order. `extra_from` joins more sources to the outer query
/// (`fastjson`'s base URL).
pub fn page_sql(
    model: &Model,
    plan: &PagePlan,
    limit: u64,
    backend: Backend,
    select: &str,
    extra_from: Option<Sql>,
) -> Sql {
    let table = ident(&model.table());
    let order = ordering::order_by(&plan.terms, backend);
    let mut page = Sql::from(format!("SELECT {select}, {} FROM (", plan.seek_expr));
    page.append(rows_sql(model, plan, limit, backend));
    page.push(format!(") AS {table}"));
    if let Some(extra) = extra_from {
        page.append(extra);
    }
    page.push(order);
    page
}

/// The inner query of a page: its rows, chosen by filters, order, limit and offset.
pub fn rows_sql(model: &Model, plan: &PagePlan, limit: u64, backend: Backend) -> Sql {
    let mut sql = Sql::from(format!("SELECT * FROM {}", ident(&model.table())));
    sql.append(plan.filter.clone());
    sql.push(ordering::order_by(&plan.terms, backend));
    sql.push(" LIMIT ")
        .bind(SqlValue::Int(limit as i64))
        .push(" OFFSET ")
        .bind(SqlValue::Int(plan.offset.min(i64::MAX as u64) as i64));
    sql
}

/// The number of objects matching a page's filters, given the page (`rows` objects of
/// at most `limit`): a page that is not full and starts at a known offset tells it
/// without asking (a one-row filter costs one query); else [`count`].
pub fn total(
    conn: &mut DbConnection,
    model: &Model,
    plan: &PagePlan,
    limit: u64,
    rows: usize,
) -> Result<u64> {
    let rows = rows as u64;
    if !plan.seeking && rows < limit && (plan.offset == 0 || rows > 0) {
        return Ok(plan.offset + rows);
    }
    count_with(conn, model, &plan.count_filter, plan.cacheable)
}

/// The number of objects matching `filter`: the table's row counter when nothing
/// filters, else a count of the matches (through an index).
pub fn count(conn: &mut DbConnection, model: &Model, filter: &Sql) -> Result<u64> {
    count_with(conn, model, filter, false)
}

/// [`count`], keeping the statement prepared when `cache` (a bounded shape).
fn count_with(conn: &mut DbConnection, model: &Model, filter: &Sql, cache: bool) -> Result<u64> {
    let table = model.table();
    if filter.is_empty() {
        if let Some(n) = nautobot_db::rowcount::count(conn, &table)? {
            return Ok(n.max(0) as u64);
        }
    }
    let mut count = Sql::from(format!("SELECT COUNT(*) AS count FROM {}", ident(&table)));
    count.append(filter.clone());
    if filter.is_empty() || cache {
        count.cached();
    }
    Ok(dynamic::query_count(conn, &count)?.max(0) as u64)
}

/// A page of objects and the total count.
pub fn list(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    query: &ListQuery,
) -> Result<(u64, Vec<Row>)> {
    let (total, rows, _) = list_page(conn, registry, model, query)?;
    Ok((total, rows))
}

/// A page of objects, the total count, and the seek key of the page's last row (for
/// the `next` link's `cursor`).
pub fn list_page(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    query: &ListQuery,
) -> Result<(u64, Vec<Row>, Option<String>)> {
    let backend = dynamic::backend_of(conn);
    super::custom_fields::check_filters(conn, registry, model, &query.filters)?;
    super::relationships::check_filters(conn, registry, model, &query.filters)?;
    let plan = plan(registry, model, query, backend)?;
    let page = fetch_page(
        conn,
        model,
        &plan,
        query.limit,
        &select_row(model, backend),
        None,
    )?;
    let mut rows = Vec::with_capacity(page.rows.len());
    for row in page.rows {
        let raw: Value = serde_json::from_str(&row)
            .map_err(|e| Error::Database(format!("the database returned invalid JSON: {e}")))?;
        rows.push(super::normalise(model, raw));
    }
    Ok((page.count, rows, page.cursor))
}

/// A page as the database wrote its objects (JSON texts), with the count and the
/// cursor of its last object.
pub struct Page {
    /// Objects matching the filters.
    pub count: u64,
    /// The page's objects, as JSON texts.
    pub rows: Vec<String>,
    /// The cursor of the last row (for the `next` link).
    pub cursor: Option<String>,
}

/// Runs a planned page whose objects `select` writes as JSON (`extra_from`: more
/// sources for it, see [`page_sql`]): its rows, their count, the last row's cursor.
pub fn fetch_page(
    conn: &mut DbConnection,
    model: &Model,
    plan: &PagePlan,
    limit: u64,
    select: &str,
    extra_from: Option<Sql>,
) -> Result<Page> {
    if limit == 0 {
        return Ok(Page {
            count: count(conn, model, &plan.count_filter)?,
            rows: Vec::new(),
            cursor: None,
        });
    }
    let backend = dynamic::backend_of(conn);
    let mut page = page_sql(model, plan, limit, backend, select, extra_from);
    // Pages of a bounded number of shapes stay prepared (see `cacheable`).
    if plan.cacheable {
        page.cached();
    }
    let pairs = dynamic::query_text_pairs(conn, &page)?;
    let cursor = pairs.last().map(|(_, key)| seek::encode(&plan.terms, key));
    let count = total(conn, model, plan, limit, pairs.len())?;
    Ok(Page {
        count,
        rows: pairs.into_iter().map(|(row, _)| row).collect(),
        cursor,
    })
}

/// The rows of one page of `query` (its `limit`, after its `cursor`) and the cursor of
/// its last row, without counting the matches: for walking a whole list page by page
/// (CSV exports), each page an index range.
pub fn page_rows(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    query: &ListQuery,
) -> Result<(Vec<Row>, Option<String>)> {
    let backend = dynamic::backend_of(conn);
    super::custom_fields::check_filters(conn, registry, model, &query.filters)?;
    super::relationships::check_filters(conn, registry, model, &query.filters)?;
    let plan = plan(registry, model, query, backend)?;
    let mut page = page_sql(
        model,
        &plan,
        query.limit,
        backend,
        &select_row(model, backend),
        None,
    );
    if plan.cacheable {
        page.cached();
    }
    let pairs = dynamic::query_text_pairs(conn, &page)?;
    let cursor = pairs.last().map(|(_, key)| seek::encode(&plan.terms, key));
    let mut rows = Vec::with_capacity(pairs.len());
    for (row, _) in pairs {
        let raw: Value = serde_json::from_str(&row)
            .map_err(|e| Error::Database(format!("the database returned invalid JSON: {e}")))?;
        rows.push(super::normalise(model, raw));
    }
    Ok((rows, cursor))
}

/// Every object matching `query`, without paging (CSV export, bulk edits).
pub fn all(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    query: &ListQuery,
) -> Result<Vec<Row>> {
    let backend = dynamic::backend_of(conn);
    let mut sql = Sql::from(format!(
        "SELECT {} FROM {}",
        select_row(model, backend),
        ident(&model.table())
    ));
    sql.append(where_clause(registry, model, query, backend)?);
    sql.push(order_clause(model, &query.sort, backend));
    load(conn, model, &sql)
}

#[cfg(test)]
mod plan_tests {
    //! Every exact filter and every sort of every core model is served by an index on
    //! SQLite: no scan of the table, no sort of its rows.

    use super::*;
    use diesel::connection::SimpleConnection;
    use nautobot_config::DatabaseUrl;
    use nautobot_db::Database;
    use nautobot_schema::catalog::Catalog;

    #[derive(diesel::QueryableByName)]
    struct PlanRow {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }

    fn sample_value(field: Option<&FieldSchema>, name: &str) -> String {
        match field.map(|f| &f.kind) {
            None if name == "id" => "5a0cbeb8-5b5a-4c8e-9a3b-2f0e9b7e2a11".into(),
            None => "2026-01-01".into(),
            Some(FieldKind::ForeignKey { .. }) => "5a0cbeb8-5b5a-4c8e-9a3b-2f0e9b7e2a11".into(),
            Some(FieldKind::Integer { .. } | FieldKind::PositiveInteger) => "7".into(),
            Some(FieldKind::Float) => "1.5".into(),
            Some(FieldKind::Boolean) => "true".into(),
            Some(FieldKind::Date) => "2026-01-01".into(),
            Some(FieldKind::DateTime) => "2026-01-01T00:00:00Z".into(),
            Some(FieldKind::Decimal { .. }) => "1.5".into(),
            Some(FieldKind::IpAddress) => "10.0.0.1".into(),
            Some(FieldKind::IpNetwork) => "10.0.0.0/24".into(),
            Some(FieldKind::MacAddress) => "00:11:22:33:44:55".into(),
            Some(FieldKind::Choice { choices }) => {
                choices.first().map(|c| c.value.clone()).unwrap_or_default()
            }
            _ => "x".into(),
        }
    }

    #[derive(diesel::QueryableByName)]
    struct PgPlanRow {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        detail: String,
    }

    fn explain(conn: &mut DbConnection, sql: &Sql, backend: Backend) -> String {
        let mut full = Sql::from(match backend {
            Backend::Sqlite => "EXPLAIN QUERY PLAN ",
            Backend::Postgres => "EXPLAIN ",
        });
        full.append(sql.clone());
        let steps: Vec<String> = match backend {
            Backend::Sqlite => dynamic::load_rows::<PlanRow>(conn, &full)
                .unwrap()
                .into_iter()
                .map(|r| r.detail)
                .collect(),
            Backend::Postgres => dynamic::load_rows::<PgPlanRow>(conn, &full)
                .unwrap()
                .into_iter()
                .map(|r| r.detail.trim().to_string())
                .collect(),
        };
        steps.join("; ")
    }

    /// The queries of every filter and sort of every core model, with the backend's
    /// verdict on each: `(what, plan)`.
    fn plans(db: &Database) -> Vec<(String, String, bool)> {
        nautobot_db::migrations::migrate(db).unwrap();
        let catalog = Catalog::build(&[]).unwrap();
        nautobot_schema::migrate::migrate(db, &catalog.plan).unwrap();
        nautobot_schema::indexes::ensure(db, &catalog.registry).unwrap();
        let mut conn = db.conn().unwrap();
        let backend = db.backend();
        if backend == Backend::Postgres {
            // Tables are empty: make the planner show what it would do with data.
            conn.batch_execute(
                "SET enable_seqscan = off; SET enable_sort = off; SET enable_bitmapscan = off",
            )
            .unwrap();
        }
        let registry = &catalog.registry;
        let mut out = Vec::new();
        for model in registry.iter() {
            let table = model.table();
            if !nautobot_schema::indexes::table_exists(&mut conn, &table).unwrap() {
                continue;
            }
            let mut names: Vec<String> = vec!["id".into(), "created".into(), "last_updated".into()];
            names.extend(
                model
                    .schema
                    .fields
                    .iter()
                    .filter(|f| nautobot_schema::ordering::is_sortable(f))
                    .map(|f| f.name.clone()),
            );
            for name in &names {
                let field = model.field(name);
                let value = sample_value(field, name);
                let mut queries = vec![
                    ListQuery {
                        limit: 50,
                        ..Default::default()
                    }
                    .filter(name, &value),
                    ListQuery {
                        limit: 50,
                        sort: vec![name.clone()],
                        ..Default::default()
                    },
                    ListQuery {
                        limit: 50,
                        sort: vec![format!("-{name}")],
                        ..Default::default()
                    },
                ];
                // The page after a cursor, in the default order.
                let terms = ordering::terms(&model.schema, &[]);
                let key: Vec<Value> = terms
                    .iter()
                    .map(|t| match &t.kind {
                        Some(FieldKind::Integer { .. } | FieldKind::PositiveInteger) => {
                            Value::from(1)
                        }
                        Some(FieldKind::Boolean) => Value::from(true),
                        Some(FieldKind::DateTime) => Value::from("2026-01-01T00:00:00Z"),
                        Some(FieldKind::Date) => Value::from("2026-01-01"),
                        Some(FieldKind::Float | FieldKind::Decimal { .. }) => Value::from(1.5),
                        _ => Value::from("k"),
                    })
                    .collect();
                queries.push(ListQuery {
                    limit: 50,
                    cursor: Some(seek::encode(&terms, &Value::Array(key).to_string())),
                    ..Default::default()
                });
                // PostgreSQL keeps long text in hash indexes: equality only, no order.
                let hashed = backend == Backend::Postgres
                    && field.is_some_and(|f| matches!(f.kind, FieldKind::Text));
                for query in queries {
                    if hashed && !query.sort.is_empty() {
                        continue;
                    }
                    let plan = plan(registry, model, &query, backend).unwrap();
                    let sql = rows_sql(model, &plan, 50, backend);
                    let detail = explain(&mut conn, &sql, backend);
                    let ok = match backend {
                        Backend::Sqlite => {
                            let full_scan = detail.split("; ").any(|step| {
                                step == format!("SCAN {table}")
                                    || step == format!("SCAN \"{table}\"")
                            });
                            !full_scan && !detail.contains("TEMP B-TREE FOR ORDER BY")
                        }
                        // An incremental sort (of rows already in order by a leading
                        // key) stops with the page; a full sort does not.
                        Backend::Postgres => {
                            !detail.contains("Seq Scan")
                                && (hashed
                                    || !detail
                                        .replace("Incremental Sort  (", "")
                                        .contains("Sort  ("))
                        }
                    };
                    let what = format!(
                        "{}: filters {:?} sort {:?} cursor {}",
                        model.label(),
                        query.filters,
                        query.sort,
                        query.cursor.is_some()
                    );
                    out.push((what, detail, ok));
                }
            }
        }
        out
    }

    fn assert_all_index_walks(plans: Vec<(String, String, bool)>) {
        assert!(plans.len() > 300, "{}", plans.len());
        let bad: Vec<String> = plans
            .into_iter()
            .filter(|(_, _, ok)| !ok)
            .map(|(what, detail, _)| format!("{what}: {detail}"))
            .collect();
        assert!(
            bad.is_empty(),
            "{} plans scan or sort:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }

    #[test]
    fn only_bounded_shapes_stay_prepared() {
        let q = |filters: Vec<(&str, &str, Vec<&str>)>, sort: Vec<&str>| ListQuery {
            filters: filters
                .into_iter()
                .map(|(f, l, v)| {
                    (
                        f.to_string(),
                        l.to_string(),
                        v.into_iter().map(str::to_string).collect(),
                    )
                })
                .collect(),
            sort: sort.into_iter().map(str::to_string).collect(),
            limit: 50,
            ..Default::default()
        };
        assert!(cacheable(&q(vec![], vec![])));
        assert!(cacheable(&q(vec![], vec!["-name"])));
        assert!(cacheable(&q(vec![("name", "exact", vec!["a"])], vec![])));
        assert!(!cacheable(&q(vec![], vec!["name", "asn"])));
        assert!(!cacheable(&q(
            vec![("name", "exact", vec!["a", "b"])],
            vec![]
        )));
        assert!(!cacheable(&q(vec![("name", "ic", vec!["a"])], vec![])));
        assert!(!cacheable(&q(
            vec![("name", "exact", vec!["a"])],
            vec!["asn"]
        )));
        assert!(!cacheable(&q(
            vec![("name", "exact", vec!["a"]), ("asn", "exact", vec!["1"])],
            vec![]
        )));
        let mut searched = q(vec![], vec![]);
        searched.q = Some("x".into());
        assert!(!cacheable(&searched));
    }

    #[test]
    fn every_filter_and_sort_is_an_index_walk_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(&DatabaseUrl::Sqlite(dir.path().join("db.sqlite3"))).unwrap();
        assert_all_index_walks(plans(&db));
    }

    /// On PostgreSQL (`NAUTOBOT_TEST_POSTGRES`, default the local server), in a
    /// database of its own; skipped with a reason when none is reachable, except under
    /// `CI=true`.
    #[test]
    fn every_filter_and_sort_is_an_index_walk_on_postgresql() {
        let Some(scratch) = nautobot_db::scratch::ScratchPostgres::create(
            "every_filter_and_sort_is_an_index_walk_on_postgresql",
            "nautobot_plans",
        ) else {
            return;
        };
        let plans = {
            let db = Database::connect(&DatabaseUrl::Postgres(scratch.url.clone())).unwrap();
            plans(&db)
        };
        drop(scratch);
        assert_all_index_walks(plans);
    }
}
