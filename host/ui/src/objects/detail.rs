//! `GET <ui_path><id>/`: one object — its fields, tags, timestamps, related objects,
//! the plugins' content — `GET <ui_path><id>/changelog/`: its changes, and
//! `GET <ui_path><id>/config-context/`: its config context (devices).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use nautobot_plugin_abi::FieldKind;
use serde_json::{json, Value};

use super::{
    cells::{detail_url, Cell, Related},
    extensions::{PageContent, DETAIL_SLOTS},
    forms::capfirst,
    list::pagination_json,
    paging::{self, PageRequest},
    run, Ctx, Outcome, Route,
};
use nautobot_app::AppState;
use nautobot_base::error::{Error, Result};
use nautobot_objects::{
    self as objects, display,
    query::{self, ListQuery},
    serialize, Row,
};
use nautobot_schema::core::is_hidden;

/// `GET <ui_path><id>/`.
pub async fn detail(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || page(&ctx)).await
}

/// `GET <ui_path><id>/changelog/`.
pub async fn changelog(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || changelog_page(&ctx)).await
}

/// `GET <ui_path><id>/config-context/`.
pub async fn config_context(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        config_context_page(&ctx)
    })
    .await
}

/// The object of the path if the requester may `action` it (its grants' constraints
/// reach it), or a 404.
pub fn load(ctx: &Ctx, conn: &mut nautobot_db::DbConnection, action: &str) -> Result<Row> {
    let within = ctx.within(&ctx.model, action)?;
    objects::get_within(conn, ctx.registry(), &ctx.model, &ctx.id, &within)?
        .filter(|row| nautobot_auth::models::may_see(&ctx.identity, &ctx.model, row))
        .ok_or_else(|| {
            Error::NotFound(format!(
                "No {} matches the given query.",
                ctx.model.verbose_name()
            ))
        })
}

/// The object's header facts: id, display text, URLs and timestamps.
pub fn object_json(ctx: &Ctx, row: &Row) -> Value {
    let id = row.get("id").and_then(Value::as_str).unwrap_or_default();
    let url = detail_url(&ctx.model, id);
    // The Change Log tab shows only to those who may read the change log.
    let changelog_url = ctx
        .may_view_changes()
        .unwrap_or(false)
        .then(|| format!("{url}changelog/"));
    let config_context_url = nautobot_objects::config_contexts::applies_to(&ctx.model)
        .then(|| format!("{url}config-context/"));
    json!({
        "id": id,
        "display": display(&ctx.model, row),
        "config_context_url": config_context_url,
        "url": url,
        "edit_url": format!("{url}edit/"),
        "delete_url": format!("{url}delete/"),
        "changelog_url": changelog_url,
        "created": row.get("created"),
        "last_updated": row.get("last_updated"),
    })
}

fn page(ctx: &Ctx) -> Result<Outcome> {
    ctx.require("view")?;
    let model = &ctx.model;
    let registry = ctx.registry();
    let label = model.label();
    // Which referring models the user may see, before taking a connection.
    let mut referring = Vec::new();
    for (other, field) in registry.referencing_any(&label) {
        if !is_hidden(&other.label()) && ctx.can(&other, "view")? {
            let within = ctx.within(&other, "view")?;
            referring.push((other, field, within));
        }
    }
    let fields: Vec<_> = model.readable_fields().collect();
    let mut conn = ctx.state.db.conn()?;
    let present = registry.referencing_any_present(&mut conn, &label)?;
    referring.retain(|(other, field, _)| {
        present
            .iter()
            .any(|(m, f)| m.label() == other.label() && f.name == field.name)
    });
    let row = load(ctx, &mut conn, "view")?;
    let mut related = Related::fetch(&mut conn, registry, &fields, std::slice::from_ref(&row))?;
    related.fetch_links(&mut conn, registry, model, std::slice::from_ref(&row))?;
    let rest = serialize::serialize_rows(
        &mut conn,
        registry,
        model,
        std::slice::from_ref(&row),
        &ctx.base,
        0,
    )?
    .pop();
    let mut related_objects = Vec::new();
    for (other, field, within) in &referring {
        let query = ListQuery::default()
            .filter(&field.name, &ctx.id)
            .within(within.clone());
        let (count, _) = query::list(&mut conn, registry, other, &query)?;
        related_objects.push(json!({
            "model": capfirst(other.verbose_name_plural()),
            "field": field.label(),
            "count": count,
            "url": paging::url_with(&other.ui_path, &[], &[(field.name.as_str(), ctx.id.clone())], &[]),
        }));
    }
    let relationships = relationships_panel(ctx, &mut conn)?;
    let changed = changed_object(ctx, &mut conn, &row)?;
    let defs = nautobot_objects::custom_fields::definitions(&mut conn, registry, model)?;
    let computed = nautobot_objects::computed_fields::definitions(&mut conn, registry, model)?;
    drop(conn);
    let custom_fields = super::custom_fields::panel(&defs, &row);
    // Computed fields from the object as the REST API shows it.
    let computed_fields: Vec<Value> = match (&rest, computed.is_empty()) {
        (Some(object), false) => computed
            .iter()
            .map(|c| {
                json!({
                    "key": c.key,
                    "label": capfirst(&c.label),
                    "value": nautobot_objects::computed_fields::render(c, object),
                })
            })
            .collect(),
        _ => Vec::new(),
    };

    let shown: Vec<Value> = fields
        .iter()
        .filter(|f| !matches!(f.kind, FieldKind::Tags))
        .map(|f| {
            let cell = match &changed {
                Some(link) if f.name == "changed_object_id" => link.clone(),
                _ => related.cell(f, row.get(&f.name).unwrap_or(&Value::Null)),
            };
            json!({
                "name": f.name,
                "label": capfirst(&f.label()),
                "cell": cell,
            })
        })
        .collect();
    let tags = fields
        .iter()
        .find(|f| matches!(f.kind, FieldKind::Tags))
        .map(|f| related.cell(f, row.get(&f.name).unwrap_or(&Value::Null)));
    let content = PageContent {
        state: &ctx.state,
        identity: &ctx.identity,
        model: label,
        object: rest,
        path: ctx.path.clone(),
    };
    let mut slots = serde_json::Map::new();
    for slot in DETAIL_SLOTS {
        slots.insert(slot.to_string(), Value::String(content.slot(slot)));
    }
    let (tabs, tab_failures) = content.tabs();
    let mut detail_slots = DETAIL_SLOTS.to_vec();
    detail_slots.push(super::extensions::DETAIL_TABS);
    let plugin_head = content.head_assets(&detail_slots);
    let object = object_json(ctx, &row);
    let title = display(model, &row);
    ctx.render(
        "generic/object_detail.html",
        &title,
        StatusCode::OK,
        json!({
            "perms": ctx.perms()?,
            "object": object,
            "fields": shown,
            "custom_fields": custom_fields,
            "computed_fields": computed_fields,
            "has_tags": tags.is_some(),
            "tags": tags,
            "related_objects": related_objects,
            "relationships": relationships,
            "slots": slots,
            "tabs": tabs,
            "tab_failures": tab_failures,
            "plugin_head": plugin_head,
            "active_tab": "main",
        }),
    )
}

/// The Relationships panel: each relationship the object takes part in, the objects
/// linked to it (with a Remove link to the association for those who may delete
/// associations) and an Add link to a new association with this end filled in.
fn relationships_panel(ctx: &Ctx, conn: &mut nautobot_db::DbConnection) -> Result<Vec<Value>> {
    use nautobot_objects::relationships;
    let registry = ctx.registry();
    let (Some(associations), true) = (
        registry.get(relationships::ASSOCIATION),
        relationships::applies_to(&ctx.model),
    ) else {
        return Ok(Vec::new());
    };
    let sides = relationships::panel(conn, registry, &ctx.model, &ctx.id)?;
    if sides.is_empty() {
        return Ok(Vec::new());
    }
    let (may_add, may_delete) = (
        ctx.can(associations, "add")?,
        ctx.can(associations, "delete")?,
    );
    let label = ctx.model.label();
    let here = detail_url(&ctx.model, &ctx.id);
    Ok(sides
        .iter()
        .map(|s| {
            let objects: Vec<Value> = s
                .objects
                .iter()
                .map(|(association, other, display)| {
                    json!({
                        "text": display,
                        "url": registry.get(&s.other_type).map(|m| detail_url(m, other)),
                        "remove_url": may_delete.then(|| paging::url_with(
                            &format!("{}delete/", detail_url(associations, association)),
                            &[],
                            &[("return_url", here.clone())],
                            &[],
                        )),
                    })
                })
                .collect();
            let (own, other) = match s.side {
                "source" => ("destination", "source"),
                _ => ("source", "destination"),
            };
            let add_url = may_add.then(|| {
                paging::url_with(
                    &format!("{}add/", associations.ui_path),
                    &[],
                    &[
                        ("relationship", s.relationship.id.clone()),
                        (&format!("{own}_type"), label.clone()),
                        (&format!("{own}_id"), ctx.id.clone()),
                        (&format!("{other}_type"), s.other_type.clone()),
                        ("return_url", here.clone()),
                    ],
                    &[],
                )
            });
            json!({
                "key": s.relationship.key,
                "relationship": s.relationship.label,
                "label": capfirst(&s.label),
                "objects": objects,
                "add_url": add_url,
            })
        })
        .collect())
}

/// For an object change: a link to the changed object, if it still exists.
fn changed_object(
    ctx: &Ctx,
    conn: &mut nautobot_db::DbConnection,
    row: &Row,
) -> Result<Option<Cell>> {
    if ctx.model.label() != "extras.objectchange" {
        return Ok(None);
    }
    let text = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default();
    let (label, id) = (text("changed_object_type"), text("changed_object_id"));
    let Some(target) = ctx.registry().get(label).filter(|m| !is_hidden(&m.label())) else {
        return Ok(None);
    };
    Ok(objects::get(conn, target, id)?.map(|_| Cell {
        kind: "link",
        text: id.to_string(),
        url: Some(detail_url(target, id)),
        links: Vec::new(),
        color: None,
    }))
}

fn changelog_page(ctx: &Ctx) -> Result<Outcome> {
    ctx.require("view")?;
    // The same rule as /api/extras/object-changes/: the change log holds users and
    // object data of its own.
    if !ctx.may_view_changes()? {
        return Err(Error::PermissionDenied(
            "You do not have permission to view object changes.".into(),
        ));
    }
    let registry = ctx.registry();
    let changes_model = registry
        .get("extras.objectchange")
        .cloned()
        .ok_or_else(|| Error::Internal("the change log model is missing".into()))?;
    let within = ctx.within(&changes_model, "view")?;
    let mut conn = ctx.state.db.conn()?;
    let row = load(ctx, &mut conn, "view")?;
    let mut query = ListQuery::default()
        .filter("changed_object_type", &ctx.model.label())
        .filter("changed_object_id", &ctx.id)
        .within(within);
    query.sort = vec!["-time".to_string()];
    let mut request = PageRequest::from_params(&ctx.params);
    query.limit = request.per_page;
    query.offset = request.offset();
    let (mut count, mut rows) = query::list(&mut conn, registry, &changes_model, &query)?;
    if rows.is_empty() && count > 0 {
        request = paging::clamp(request, count);
        query.offset = request.offset();
        (count, rows) = query::list(&mut conn, registry, &changes_model, &query)?;
    }
    drop(conn);
    let action_field = changes_model.field("action");
    let changes: Vec<Value> = rows
        .iter()
        .map(|c| {
            let id = c.get("id").and_then(Value::as_str).unwrap_or_default();
            let action = c.get("action").and_then(Value::as_str).unwrap_or_default();
            let label = match action_field.map(|f| &f.kind) {
                Some(FieldKind::Choice { choices }) => choices
                    .iter()
                    .find(|ch| ch.value == action)
                    .map(|ch| ch.label.clone())
                    .unwrap_or_else(|| action.to_string()),
                _ => action.to_string(),
            };
            json!({
                "id": id,
                "url": detail_url(&changes_model, id),
                "time": c.get("time"),
                "user_name": c.get("user_name"),
                "action": action,
                "action_label": label,
                "object_repr": c.get("object_repr"),
                "request_id": c.get("request_id"),
            })
        })
        .collect();
    let per_page: Vec<(String, String)> = ctx
        .params
        .iter()
        .filter(|(k, v)| k == "per_page" && !v.trim().is_empty())
        .cloned()
        .collect();
    let pagination = pagination_json(ctx, &per_page, paging::paginate(request, count));
    let object = object_json(ctx, &row);
    let title = format!("{} - Change Log", display(&ctx.model, &row));
    ctx.render(
        "generic/object_changelog.html",
        &title,
        StatusCode::OK,
        json!({
            "perms": ctx.perms()?,
            "object": object,
            "changes": changes,
            "tabs": [],
            "pagination": pagination,
            "active_tab": "changelog",
        }),
    )
}

/// The rendered config context, the object's own data and the contexts merged into it
/// (each linked when the user may view config contexts).
fn config_context_page(ctx: &Ctx) -> Result<Outcome> {
    use nautobot_objects::config_contexts;
    ctx.require("view")?;
    let registry = ctx.registry();
    let contexts_model = registry.get(config_contexts::MODEL).cloned();
    let may_view_contexts = match &contexts_model {
        Some(m) => ctx.can(m, "view")?,
        None => false,
    };
    let mut conn = ctx.state.db.conn()?;
    let row = load(ctx, &mut conn, "view")?;
    let rest = serialize::serialize_rows(
        &mut conn,
        registry,
        &ctx.model,
        std::slice::from_ref(&row),
        &ctx.base,
        0,
    )?
    .pop()
    .unwrap_or(Value::Null);
    let rendered = config_contexts::for_objects(&mut conn, registry, std::slice::from_ref(&rest))?
        .pop()
        .unwrap_or(Value::Null);
    let sources = config_contexts::sources(&mut conn, registry, &rest)?;
    let local_schema = match (
        row.get(config_contexts::LOCAL_SCHEMA)
            .and_then(Value::as_str),
        registry.get(config_contexts::SCHEMA),
    ) {
        (Some(id), Some(schema_model)) => objects::get(&mut conn, schema_model, id)?.map(|s| {
            json!({
                "name": display(schema_model, &s),
                "url": detail_url(schema_model, id),
            })
        }),
        _ => None,
    };
    drop(conn);
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let local = row
        .get(config_contexts::LOCAL_DATA)
        .filter(|v| !v.is_null())
        .map(pretty);
    let sources: Vec<Value> = sources
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "weight": c.weight,
                "url": contexts_model
                    .as_ref()
                    .filter(|_| may_view_contexts)
                    .map(|m| detail_url(m, &c.id)),
            })
        })
        .collect();
    let object = object_json(ctx, &row);
    let title = format!("{} - Config Context", display(&ctx.model, &row));
    ctx.render(
        "generic/object_config_context.html",
        &title,
        StatusCode::OK,
        json!({
            "perms": ctx.perms()?,
            "object": object,
            "rendered": pretty(&rendered),
            "local": local,
            "local_schema": local_schema,
            "sources": sources,
            "tabs": [],
            "active_tab": "config_context",
        }),
    )
}
