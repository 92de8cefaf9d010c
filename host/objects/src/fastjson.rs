//! The REST representation built by the database itself: for list and detail requests
//! at depth 0 the row query returns each object's final JSON (`json_object` on SQLite,
//! `json_build_object` on PostgreSQL), so a page is the rows joined with commas — no
//! parsing, no intermediate values, no per-row allocation in the server.
//!
//! It must give exactly what [`serialize::serialize_row`](super::serialize::serialize_row)
//! gives; the end-to-end tests compare both paths.

use nautobot_plugin_abi::FieldKind;

use super::capitalise;
use super::{content_type, query::ListQuery};
use nautobot_base::error::Result;
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlValue},
    Backend, DbConnection,
};
use nautobot_schema::{column, Model, Registry};

/// SQLite and PostgreSQL both accept at most this many arguments per call.
const MAX_ARGS: usize = 100;

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A timestamp column as the API shows it (`2026-01-02T03:04:05.123456Z`); SQLite
/// stores that text already.
fn timestamp(col: &str, backend: Backend) -> String {
    match backend {
        Backend::Sqlite => col.to_string(),
        Backend::Postgres => {
            format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        }
    }
}

/// The slug of one natural-key value: lower case, spaces as `-` (as
/// [`serialize::natural_slug`](super::serialize::natural_slug) makes it).
fn slug_part(expr: &str) -> String {
    format!("COALESCE(REPLACE(LOWER(CAST({expr} AS TEXT)), ' ', '-'), 'null')")
}

/// The JSON-building function and how JSON literals are written.
struct Dialect {
    backend: Backend,
}

impl Dialect {
    fn object(&self, pairs: &[(String, String)]) -> String {
        let args: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}, {v}", quote(k)))
            .collect();
        match self.backend {
            Backend::Sqlite => format!("json_object({})", args.join(", ")),
            Backend::Postgres => format!("json_build_object({})", args.join(", ")),
        }
    }

    fn literal(&self, json: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("json({})", quote(json)),
            Backend::Postgres => format!("{}::json", quote(json)),
        }
    }

    fn reference(&self, id: &str, target: &Model) -> String {
        self.object(&[
            ("id".into(), id.to_string()),
            ("object_type".into(), quote(&target.label())),
            (
                "url".into(),
                format!("p.base || {} || {id} || '/'", quote(&target.api_path)),
            ),
        ])
    }
}

/// The expression giving one object's REST representation as JSON text, named `row`;
/// `None` when the model has more fields than one JSON call can take.
pub fn select_expr(registry: &Registry, model: &Model, backend: Backend) -> Option<String> {
    let d = Dialect { backend };
    let table = ident(&model.table());
    let id = format!("{table}.{}", ident("id"));
    let url = format!("(p.base || {} || {id} || '/')", quote(&model.api_path));
    let display = match model.display_field.as_deref().and_then(|f| model.field(f)) {
        Some(f) => format!(
            "COALESCE(NULLIF(CAST({table}.{} AS TEXT), ''), {} || SUBSTR({id}, 1, 8))",
            ident(&column(f)),
            quote(&format!("{} ", capitalise(model.verbose_name())))
        ),
        None => format!(
            "({} || SUBSTR({id}, 1, 8))",
            quote(&format!("{} ", capitalise(model.verbose_name())))
        ),
    };
    let mut slug_parts: Vec<String> = model
        .natural_key
        .iter()
        .filter_map(|f| model.field(f))
        .map(|f| slug_part(&format!("{table}.{}", ident(&column(f)))))
        .collect();
    slug_parts.push(format!("SUBSTR({id}, 1, 4)"));
    let natural_slug = slug_parts.join(" || '_' || ");

    let mut pairs: Vec<(String, String)> = vec![
        ("id".into(), id.clone()),
        ("object_type".into(), quote(&model.label())),
        ("display".into(), display),
        ("url".into(), url.clone()),
        ("natural_slug".into(), natural_slug),
    ];
    for field in &model.schema.fields {
        let col = format!("{table}.{}", ident(&column(field)));
        let value = match &field.kind {
            FieldKind::Boolean => match backend {
                Backend::Sqlite => format!(
                    "CASE WHEN {col} IS NULL THEN NULL WHEN {col} THEN json('true') ELSE json('false') END"
                ),
                Backend::Postgres => col,
            },
            FieldKind::Json => match backend {
                Backend::Sqlite => format!("json({col})"),
                Backend::Postgres => col,
            },
            FieldKind::DateTime => timestamp(&col, backend),
            FieldKind::Decimal { .. } => format!("CAST({col} AS TEXT)"),
            FieldKind::Choice { choices } => {
                let mut label = format!("CASE {col}");
                for c in choices {
                    label.push_str(&format!(" WHEN {} THEN {}", quote(&c.value), quote(&c.label)));
                }
                label.push_str(&format!(" ELSE {col} END"));
                format!(
                    "CASE WHEN {col} IS NULL OR {col} = '' THEN {} ELSE {} END",
                    match backend {
                        Backend::Sqlite => col.clone(),
                        Backend::Postgres => format!("to_json({col})"),
                    },
                    d.object(&[("value".into(), col.clone()), ("label".into(), label)])
                )
            }
            FieldKind::ForeignKey { to, .. } => match registry.get(to) {
                Some(target) => format!(
                    "CASE WHEN {col} IS NULL THEN NULL ELSE {} END",
                    d.reference(&col, target)
                ),
                None => col,
            },
            FieldKind::ManyToMany { to } => {
                let target = registry.get(to)?;
                let link = model.link(&field.name)?;
                let (t, own, other) = (
                    ident(&link.table),
                    ident(&link.own_column),
                    ident(&link.other_column),
                );
                let item = d.reference(&format!("{t}.{other}"), target);
                match backend {
                    Backend::Sqlite => format!(
                        "(SELECT json_group_array({item}) FROM (SELECT {other} FROM {t} \
                         WHERE {own} = {id} ORDER BY {other}) AS {t})"
                    ),
                    Backend::Postgres => format!(
                        "COALESCE((SELECT json_agg({item} ORDER BY {t}.{other}) \
                         FROM {t} WHERE {t}.{own} = {id}), '[]'::json)"
                    ),
                }
            }
            FieldKind::Tags => {
                let tag = registry.get("extras.tag")?;
                let ct = quote(&content_type(model));
                let item = d.reference("extras_taggeditem.tag_id", tag);
                match backend {
                    Backend::Sqlite => format!(
                        "(SELECT json_group_array({item}) FROM (SELECT tag_id FROM extras_taggeditem \
                         WHERE content_type = {ct} AND object_id = {id} ORDER BY tag_id) AS extras_taggeditem)"
                    ),
                    Backend::Postgres => format!(
                        "COALESCE((SELECT json_agg({item} ORDER BY extras_taggeditem.tag_id) \
                         FROM extras_taggeditem WHERE content_type = {ct} AND object_id = {id}), '[]'::json)"
                    ),
                }
            }
            _ => col,
        };
        pairs.push((field.name.clone(), value));
    }
    pairs.push((
        "created".into(),
        timestamp(&format!("{table}.{}", ident("created")), backend),
    ));
    pairs.push((
        "last_updated".into(),
        timestamp(&format!("{table}.{}", ident("last_updated")), backend),
    ));
    pairs.push(("notes_url".into(), format!("{url} || 'notes/'")));
    pairs.push((
        "custom_fields".into(),
        if super::custom_fields::applies_to(model) {
            let data = format!(
                "(SELECT \"data\" FROM {} WHERE \"content_type\" = {} AND \"object_id\" = {id})",
                super::custom_fields::DATA_TABLE,
                quote(&content_type(model))
            );
            match backend {
                Backend::Sqlite => format!("COALESCE(json({data}), json('{{}}'))"),
                Backend::Postgres => format!("COALESCE({data}::json, '{{}}'::json)"),
            }
        } else {
            d.literal("{}")
        },
    ));
    if pairs.len() * 2 > MAX_ARGS {
        return None;
    }
    let object = d.object(&pairs);
    Some(match backend {
        Backend::Sqlite => format!("{object} AS row"),
        Backend::Postgres => format!("{object}::text AS row"),
    })
}

/// `, (SELECT <base> AS base) AS p`: the base URL bound once per query, as a source
/// beside the model's table.
fn base_source(base: &str, backend: Backend) -> Sql {
    let mut sql = Sql::from(", (SELECT ");
    sql.bind(SqlValue::text(base));
    sql.push(match backend {
        Backend::Sqlite => " AS base) AS p",
        Backend::Postgres => "::text AS base) AS p",
    });
    sql
}

/// The expression selecting an object of `model` as REST JSON text ([`select_expr`]),
/// made on first use and kept with the model; `None` for models with link tables other
/// than many-to-many fields' (the `users` models') or write-only fields (the full
/// serializer's business) or too many fields.
fn api_select<'m>(registry: &Registry, model: &'m Model, backend: Backend) -> Option<&'m str> {
    let other_links = model.links.iter().any(|l| {
        !matches!(
            model.field(&l.field).map(|f| &f.kind),
            Some(FieldKind::ManyToMany { .. })
        )
    });
    if other_links || !model.write_only.is_empty() {
        return None;
    }
    model.api_select(|| select_expr(registry, model, backend))
}

/// A page of objects as REST JSON texts, the total count, and the cursor of the
/// page's last row; `None` when the model cannot use this path.
pub fn list(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    query: &ListQuery,
    base: &str,
) -> Result<Option<super::query::Page>> {
    let backend = dynamic::backend_of(conn);
    let Some(select) = api_select(registry, model, backend) else {
        return Ok(None);
    };
    super::custom_fields::check_filters(conn, registry, model, &query.filters)?;
    super::relationships::check_filters(conn, registry, model, &query.filters)?;
    let plan = super::query::plan(registry, model, query, backend)?;
    // The page's rows are chosen first and the JSON built for those only: a database
    // sorting the outer query would build it for every matching row.
    let base_url = base_source(base, backend);
    super::query::fetch_page(conn, model, &plan, query.limit, select, Some(base_url)).map(Some)
}

/// One object as REST JSON text (`Ok(None)` inside when it does not exist or
/// `within` does not reach it); `None` when the model cannot use this path.
pub fn get(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
    id: &str,
    base: &str,
    within: &super::constraints::Constraint,
) -> Result<Option<Option<String>>> {
    let backend = dynamic::backend_of(conn);
    let Some(select) = api_select(registry, model, backend) else {
        return Ok(None);
    };
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(Some(None));
    }
    let mut sql = Sql::from(format!("SELECT {select}"));
    sql.push(format!(" FROM {}", ident(&model.table())));
    sql.append(base_source(base, backend));
    sql.push(format!(
        " WHERE {}.{} = ",
        ident(&model.table()),
        ident("id")
    ))
    .bind(SqlValue::text(id));
    if let Some(cond) = super::constraints::condition(registry, model, within, backend) {
        // In a subquery of its own: the condition names the model's columns unqualified.
        sql.push(format!(
            " AND {}.{} IN (SELECT {} FROM {} WHERE ",
            ident(&model.table()),
            ident("id"),
            ident("id"),
            ident(&model.table())
        ));
        sql.append(cond);
        sql.push(")");
    }
    sql.cached();
    Ok(Some(dynamic::query_text(conn, &sql)?.into_iter().next()))
}
