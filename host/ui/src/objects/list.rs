//! `GET <ui_path>`: the table of objects with filters, search, sorting, paging, bulk
//! selection and the plugins' list buttons; `?export=csv` downloads the objects
//! matching the filters as CSV.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use nautobot_plugin_abi::{FieldKind, FieldSchema};
use serde_json::{json, Value};

use super::{
    cells::{detail_url, Cell, Related},
    csv,
    extensions::{PageContent, LIST_BUTTONS},
    forms::{self, capfirst},
    paging::{self, PageRequest, Pagination, PER_PAGE_CHOICES},
    run, select_options, Ctx, Outcome, Route,
};
use nautobot_app::AppState;
use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_objects::{
    display,
    query::{self, ListQuery},
    Row,
};
use nautobot_schema::Model;

/// Parameters that are not filters of the list (the rest go to `ListQuery::parse`).
const PAGE_KEYS: &[&str] = &["page", "per_page", "export"];

/// `GET <ui_path>`.
pub async fn list(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || page(&ctx)).await
}

/// The fields shown as columns after the display name: not the display field itself,
/// not long text or JSON.
pub fn columns(model: &Model) -> Vec<&FieldSchema> {
    model
        .readable_fields()
        .filter(|f| {
            Some(&f.name) != model.display_field.as_ref()
                && !matches!(f.kind, FieldKind::Text | FieldKind::Json)
        })
        .collect()
}

/// The fields the filter form offers.
pub fn filter_fields(model: &Model) -> Vec<&FieldSchema> {
    model
        .readable_fields()
        .filter(|f| {
            matches!(
                f.kind,
                FieldKind::Char { .. }
                    | FieldKind::Slug { .. }
                    | FieldKind::Choice { .. }
                    | FieldKind::Boolean
                    | FieldKind::ForeignKey { .. }
                    | FieldKind::ManyToMany { .. }
                    | FieldKind::Tags
                    | FieldKind::Integer { .. }
                    | FieldKind::PositiveInteger
                    | FieldKind::IpAddress
                    | FieldKind::IpNetwork
                    | FieldKind::MacAddress
            )
        })
        // Filters plugins add (ABI 1.2), as text inputs.
        .chain(model.filter_extensions.iter().map(|f| &f.input))
        .collect()
}

/// The list's own parameters with a value: filters, `q` and `sort` (no paging).
fn list_params(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .filter(|(k, v)| !v.trim().is_empty() && !PAGE_KEYS.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// Runs the list query, dropping (and reporting) filters it refuses, as a filter form
/// ignores what it cannot use.
fn query_page(
    ctx: &Ctx,
    conn: &mut nautobot_db::DbConnection,
    params: &mut Vec<(String, String)>,
    request: PageRequest,
) -> Result<(u64, Vec<Row>, PageRequest, Vec<String>)> {
    let registry = ctx.registry();
    let mut warnings = Vec::new();
    let mut request = request;
    let within = ctx.within(&ctx.model, "view")?;
    for _ in 0..4 {
        let attempt = ListQuery::parse(&ctx.model, params).and_then(|query| {
            let mut query = query.within(within.clone());
            if let Some(owner) = nautobot_auth::models::owner_scope(&ctx.identity, &ctx.model) {
                query = query.filter("user", &owner);
            }
            query.limit = request.per_page;
            query.offset = request.offset();
            let (count, rows) = query::list(conn, registry, &ctx.model, &query)?;
            if rows.is_empty() && count > 0 && query.offset >= count {
                request = paging::clamp(request, count);
                query.offset = request.offset();
                let (count, rows) = query::list(conn, registry, &ctx.model, &query)?;
                return Ok((count, rows));
            }
            Ok((count, rows))
        });
        match attempt {
            Ok((count, rows)) => return Ok((count, rows, request, warnings)),
            Err(Error::Validation(errors)) => {
                drop_refused(params, &errors, &mut warnings);
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::BadRequest(warnings.join(" ")))
}

fn drop_refused(
    params: &mut Vec<(String, String)>,
    errors: &ValidationErrors,
    warnings: &mut Vec<String>,
) {
    for (key, messages) in errors {
        for m in messages {
            warnings.push(format!("{key}: {m}"));
        }
    }
    params.retain(|(k, _)| !errors.contains_key(k));
}

fn page(ctx: &Ctx) -> Result<Outcome> {
    ctx.require("view")?;
    let model = &ctx.model;
    let registry = ctx.registry();
    let mut params = list_params(&ctx.params);
    if ctx
        .params
        .iter()
        .any(|(k, v)| k == "export" && v.eq_ignore_ascii_case("csv"))
    {
        return export(ctx, &params);
    }
    let columns = columns(model);
    let filters = filter_fields(model);
    let mut conn = ctx.state.db.conn()?;
    let (count, rows, request, warnings) = query_page(
        ctx,
        &mut conn,
        &mut params,
        PageRequest::from_params(&ctx.params),
    )?;
    let related = Related::fetch(&mut conn, registry, &columns, &rows)?;
    let extension_cells = extension_cells(ctx, &mut conn, &rows)?;
    let options = select_options(&mut conn, registry, model, &filters, &|m| {
        ctx.within(m, "view")
    })?;
    drop(conn);

    let perms = ctx.perms()?;
    let bulk = perms["change"] == Value::Bool(true) || perms["delete"] == Value::Bool(true);
    let per_page: Option<&str> = ctx
        .params
        .iter()
        .find(|(k, v)| k == "per_page" && !v.trim().is_empty())
        .map(|(_, v)| v.as_str());
    let mut link_params = params.clone();
    if let Some(n) = per_page {
        link_params.push(("per_page".into(), n.to_string()));
    }
    let current_sort = params
        .iter()
        .find(|(k, _)| k == "sort")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let header = |name: &str, label: String, sortable: bool| {
        let (next, sorted) = if current_sort == name {
            (format!("-{name}"), "asc")
        } else if current_sort == format!("-{name}") {
            (name.to_string(), "desc")
        } else {
            (name.to_string(), "")
        };
        json!({
            "name": name,
            "label": label,
            "sorted": sorted,
            "sort_url": sortable.then(|| paging::url_with(&ctx.path, &link_params, &[("sort", next)], &["page"])),
        })
    };
    let mut table_columns = vec![match &model.display_field {
        Some(f) => header(
            f,
            model
                .field(f)
                .map(|fs| capfirst(&fs.label()))
                .unwrap_or_else(|| capfirst(f)),
            true,
        ),
        None => header("id", "ID".into(), true),
    }];
    for f in &columns {
        let sortable = f.kind.is_column() && !matches!(f.kind, FieldKind::Json);
        table_columns.push(header(&f.name, capfirst(&f.label()), sortable));
    }
    for t in &model.table_extensions {
        table_columns.push(header(&t.name, t.label.clone(), false));
    }
    let table_rows: Vec<Value> = rows
        .iter()
        .map(|row| {
            let id = row.get("id").and_then(Value::as_str).unwrap_or_default();
            let mut cells: Vec<_> = columns
                .iter()
                .map(|f| related.cell(f, row.get(&f.name).unwrap_or(&Value::Null)))
                .collect();
            if let Some(extra) = extension_cells.get(id) {
                cells.extend(extra.iter().cloned());
            }
            json!({
                "id": id,
                "url": detail_url(model, id),
                "display": display(model, row),
                "cells": cells,
            })
        })
        .collect();
    let filter_values = forms::values_of(&params);
    let filter_inputs = forms::build(
        &filters,
        &filter_values,
        &ValidationErrors::new(),
        &options,
        true,
    );
    let pagination = pagination_json(ctx, &link_params, paging::paginate(request, count));
    let content = PageContent {
        state: &ctx.state,
        identity: &ctx.identity,
        model: model.label(),
        object: None,
        path: ctx.path.clone(),
    };
    let list_buttons = content.slot(LIST_BUTTONS);
    let plugin_head = content.head_assets(&[LIST_BUTTONS]);
    let q = params
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut return_url = paging::url_with(&ctx.path, &link_params, &[], &[]);
    if request.page > 1 {
        return_url = paging::url_with(
            &ctx.path,
            &link_params,
            &[("page", request.page.to_string())],
            &[],
        );
    }
    let title = capfirst(model.verbose_name_plural());
    ctx.render(
        "generic/object_list.html",
        &title,
        StatusCode::OK,
        json!({
            "perms": perms,
            "bulk": bulk,
            "colspan": table_columns.len() + usize::from(bulk),
            "columns": table_columns,
            "rows": table_rows,
            "filters": filter_inputs,
            "filter_warnings": warnings,
            "q": q,
            "sort": current_sort,
            "per_page": per_page,
            "filtered": !params.is_empty(),
            "pagination": pagination,
            "export_url": paging::url_with(&ctx.path, &params, &[("export", "csv".into())], &[]),
            "return_url": return_url,
            "slots": {"list_buttons": list_buttons},
            "plugin_head": plugin_head,
        }),
    )
}

/// The cells of the plugins' table extensions (ABI 1.2) for a page, by object id: for
/// each column the values its path reaches (one statement per column), or its template
/// rendered with `obj` (the REST representation, made once for the page) and `values`.
/// A template that fails shows its error in the cell.
fn extension_cells(
    ctx: &Ctx,
    conn: &mut nautobot_db::DbConnection,
    rows: &[nautobot_objects::Row],
) -> Result<std::collections::HashMap<String, Vec<Cell>>> {
    let model = &ctx.model;
    let mut out: std::collections::HashMap<String, Vec<Cell>> = std::collections::HashMap::new();
    if model.table_extensions.is_empty() || rows.is_empty() {
        return Ok(out);
    }
    let registry = ctx.registry();
    let ids: Vec<String> = rows
        .iter()
        .map(|r| {
            r.get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let rest = match model.table_extensions.iter().any(|t| t.template.is_some()) {
        true => {
            nautobot_objects::serialize::serialize_rows(conn, registry, model, rows, &ctx.base, 0)?
        }
        false => Vec::new(),
    };
    for t in &model.table_extensions {
        let values = match &t.path {
            Some(path) => {
                nautobot_objects::paths::values_along(conn, registry, &model.label(), path, &ids)?
            }
            None => std::collections::HashMap::new(),
        };
        for (i, id) in ids.iter().enumerate() {
            let found: Vec<Value> = values.get(id).cloned().unwrap_or_default();
            let (kind, text) = match &t.template {
                Some(template) => {
                    let mut context = tera::Context::new();
                    context.insert("obj", rest.get(i).unwrap_or(&Value::Null));
                    context.insert("values", &found);
                    match nautobot_objects::computed_fields::render_html(template, &context) {
                        Ok(html) => ("html", html),
                        // The error as text: it may quote the values.
                        Err(e) => ("text", format!("Template error: {e}")),
                    }
                }
                None => (
                    "text",
                    found
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            };
            let cell = match text.trim().is_empty() {
                true => Cell::new("empty", String::new()),
                false => Cell::new(kind, text),
            };
            out.entry(id.clone()).or_default().push(cell);
        }
    }
    Ok(out)
}

/// The pagination bar with its links.
pub fn pagination_json(ctx: &Ctx, params: &[(String, String)], p: Pagination) -> Value {
    let page_url = |n: u64| paging::url_with(&ctx.path, params, &[("page", n.to_string())], &[]);
    let links: Vec<Value> = paging::page_numbers(p.page, p.num_pages)
        .into_iter()
        .map(|n| match n {
            Some(n) => {
                json!({"number": n, "url": page_url(n), "current": n == p.page, "gap": false})
            }
            None => json!({"gap": true}),
        })
        .collect();
    let per_page_links: Vec<Value> = PER_PAGE_CHOICES
        .iter()
        .map(|n| {
            json!({
                "n": n,
                "url": paging::url_with(&ctx.path, params, &[("per_page", n.to_string())], &["page"]),
                "current": *n == p.per_page,
            })
        })
        .collect();
    json!({
        "start": p.start,
        "end": p.end,
        "count": p.count,
        "page": p.page,
        "num_pages": p.num_pages,
        "per_page": p.per_page,
        "prev_url": (p.page > 1).then(|| page_url(p.page - 1)),
        "next_url": (p.page < p.num_pages).then(|| page_url(p.page + 1)),
        "links": links,
        "per_page_links": per_page_links,
    })
}

/// Rows per chunk of a CSV export (one index range each).
const EXPORT_CHUNK: u64 = 500;

/// CSV exports being written at once by this process; more wait for one to end (503).
const EXPORTS_AT_ONCE: usize = 16;

static EXPORTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts an export in progress; the count goes down when it ends, however it ends.
struct ExportSlot;

impl ExportSlot {
    fn take() -> Option<ExportSlot> {
        use std::sync::atomic::Ordering;
        let mut now = EXPORTS.load(Ordering::Relaxed);
        loop {
            if now >= EXPORTS_AT_ONCE {
                return None;
            }
            match EXPORTS.compare_exchange(now, now + 1, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return Some(ExportSlot),
                Err(seen) => now = seen,
            }
        }
    }
}

impl Drop for ExportSlot {
    fn drop(&mut self) {
        EXPORTS.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// One chunk of an export: the records of `rows`.
fn export_chunk(
    conn: &mut nautobot_db::DbConnection,
    registry: &nautobot_schema::Registry,
    fields: &[&FieldSchema],
    custom_keys: &[String],
    rows: &[Row],
) -> Result<String> {
    let related = Related::fetch(conn, registry, fields, rows)?;
    let mut out = String::new();
    for row in rows {
        let mut values: Vec<String> = fields
            .iter()
            .map(|f| related.export_text(f, row.get(&f.name).unwrap_or(&Value::Null)))
            .collect();
        let data = row.get("custom_fields").and_then(Value::as_object);
        values.extend(custom_keys.iter().map(|key| {
            match data.and_then(|d| d.get(key)).unwrap_or(&Value::Null) {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| i.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            }
        }));
        out.push_str(&csv::record(&values));
    }
    Ok(out)
}

/// `?export=csv`: every object matching the filters, one CSV row each, streamed: the
/// rows are read [`EXPORT_CHUNK`] at a time (each an index range after the last) and
/// sent as they are written, so memory does not grow with the table.
fn export(ctx: &Ctx, params: &[(String, String)]) -> Result<Outcome> {
    let model = ctx.model.clone();
    let mut query = ListQuery::parse(&model, params)?.within(ctx.within(&model, "view")?);
    if let Some(owner) = nautobot_auth::models::owner_scope(&ctx.identity, &model) {
        query = query.filter("user", &owner);
    }
    query.limit = EXPORT_CHUNK;
    query.offset = 0;
    query.cursor = None;
    let slot = ExportSlot::take().ok_or_else(|| {
        Error::BadRequest(format!(
            "{EXPORTS_AT_ONCE} exports are being written: try again when one has finished."
        ))
    })?;
    // The first chunk here, so that a refused filter is an error page, not a file.
    let registry = ctx.registry();
    let fields: Vec<&FieldSchema> = model.readable_fields().collect();
    let (rows, mut cursor, custom_keys, first) = {
        let mut conn = ctx.state.db.conn()?;
        // Custom fields as `cf_<key>` columns after the model's, as Nautobot exports them.
        let custom_keys: Vec<String> =
            nautobot_objects::custom_fields::definitions(&mut conn, registry, &model)?
                .into_iter()
                .map(|d| d.key)
                .collect();
        let mut header: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
        header.extend(custom_keys.iter().map(|k| format!("cf_{k}")));
        let mut first = csv::record(&header);
        let (rows, cursor) = query::page_rows(&mut conn, registry, &model, &query)?;
        first.push_str(&export_chunk(
            &mut conn,
            registry,
            &fields,
            &custom_keys,
            &rows,
        )?);
        (rows, cursor, custom_keys, first)
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<actix_web::web::Bytes>>(2);
    let more = rows.len() as u64 == EXPORT_CHUNK;
    let state = ctx.state.clone();
    let filename = format!("{}_{}.csv", model.schema.app_label, model.schema.name);
    // A sender that cannot send means the client went away: stop.
    let _ = tx.try_send(Ok(actix_web::web::Bytes::from(first)));
    if more {
        std::thread::Builder::new()
            .name("csv-export".into())
            .spawn(move || {
                let _slot = slot;
                let registry = &state.catalog.registry;
                let fields: Vec<&FieldSchema> = model.readable_fields().collect();
                while let Some(after) = cursor.take() {
                    query.cursor = Some(after);
                    let chunk = state.db.conn().and_then(|mut conn| {
                        let (rows, next) = query::page_rows(&mut conn, registry, &model, &query)?;
                        if rows.len() as u64 == EXPORT_CHUNK {
                            cursor = next;
                        }
                        export_chunk(&mut conn, registry, &fields, &custom_keys, &rows)
                    });
                    let failed = chunk.is_err();
                    if let Err(e) = &chunk {
                        tracing::error!(model = %model.label(), "a CSV export stopped: {e}");
                    }
                    if tx
                        .blocking_send(chunk.map(actix_web::web::Bytes::from))
                        .is_err()
                        || failed
                    {
                        break;
                    }
                }
            })
            .map_err(|e| Error::Internal(format!("cannot start the export: {e}")))?;
    }
    Ok(Outcome::Stream {
        content_type: "text/csv; charset=utf-8",
        filename,
        body: super::Streamed(rx),
    })
}
