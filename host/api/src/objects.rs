//! The REST API of every model, core and plugins, as Nautobot's (and pynautobot's)
//! contract has it: list/detail with filters and paging, create (one or a list), update
//! (PUT/PATCH, one or in bulk), delete (one or in bulk), OPTIONS. Handlers are thin: the
//! model layer (`objects`) does the work.

use std::sync::Arc;

use actix_web::{
    http::{Method, StatusCode},
    web, HttpRequest, HttpResponse,
};
use serde_json::{json, Map, Value};

use nautobot_app::{
    request,
    routes::{Access, Routes},
    AppState,
};
use nautobot_auth::{permissions::can, Identity};
use nautobot_base::error::{Error, Result};
use nautobot_objects::capitalise;
use nautobot_objects::{
    self as objects, computed_fields, config_contexts, fastjson,
    query::{self, ListQuery},
    relationships, serialize,
    write::{self, Writer},
};
use nautobot_schema::Model;

/// The model a route serves, attached to its resource.
#[derive(Clone)]
pub struct ModelRoute(pub Arc<Model>);

/// Registers the list and detail routes of every served model.
pub fn routes(routes: &mut Routes<'_>, state: &AppState) {
    for model in state.catalog.registry.iter() {
        let label = model.label();
        if nautobot_schema::core::is_hidden(&label) {
            continue;
        }
        let route = web::Data::new(ModelRoute(model.clone()));
        let may = |action: &str| Access::model(&label, action);
        let owner = model.plugin.clone().unwrap_or_else(|| "core".into());
        // The change log is read only: other methods answer 405.
        let mut list_route = routes
            .owned_by(owner.clone(), model.api_path.clone())
            .data(route.clone())
            .read(may("view"), list)
            .method(Method::OPTIONS, may("view"), options);
        if !model.read_only {
            list_route = list_route
                .post(may("add"), create)
                .method(Method::PUT, may("change"), bulk_update)
                .method(Method::PATCH, may("change"), bulk_update)
                .method(Method::DELETE, may("delete"), bulk_delete);
        }
        list_route.register();
        let mut detail_route = routes
            .owned_by(owner, format!("{}{{id}}/", model.api_path))
            .data(route)
            .read(may("view"), detail)
            .method(Method::OPTIONS, may("view"), options);
        if !model.read_only {
            detail_route = detail_route
                .method(Method::PUT, may("change"), update)
                .method(Method::PATCH, may("change"), update)
                .method(Method::DELETE, may("delete"), delete);
        }
        detail_route.register();
    }
}

/// The `scheme://host` every URL in a response starts with.
pub fn base(req: &HttpRequest) -> String {
    request::absolute_url(req, "")
}

fn params(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

fn depth(params: &[(String, String)]) -> u8 {
    params
        .iter()
        .find(|(k, _)| k == "depth")
        .and_then(|(_, v)| v.parse::<u8>().ok())
        .map(|d| d.min(1))
        .unwrap_or(0)
}

fn denied() -> Error {
    Error::PermissionDenied("You do not have permission to perform this action.".to_string())
}

pub(crate) fn require(
    state: &AppState,
    identity: &Identity,
    model: &Model,
    action: &str,
) -> Result<()> {
    if !identity.is_authenticated() && (state.settings.login_required || action != "view") {
        return Err(Error::NotAuthenticated);
    }
    if can(identity, &state.db, &state.settings, &model.label(), action)? {
        Ok(())
    } else {
        Err(denied())
    }
}

/// The objects of `model` `identity` may `action` (its grants' constraints); nothing
/// without a grant.
pub(crate) fn scope(
    state: &AppState,
    identity: &Identity,
    model: &Model,
    action: &str,
) -> Result<objects::constraints::Constraint> {
    nautobot_auth::permissions::reach(identity, &state.db, &state.settings, &model.label(), action)
}

/// Whether `identity` may view objects of `model` (what `?depth=1` expands).
fn may_view(state: &AppState, identity: &Identity, model: &Model) -> Result<bool> {
    can(identity, &state.db, &state.settings, &model.label(), "view")
}

fn parse_body(body: &[u8]) -> Result<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadRequest("No data provided.".into()));
    }
    serde_json::from_slice(body).map_err(|e| Error::BadRequest(format!("JSON parse error - {e}")))
}

/// A page URL: the request's path and filters with `limit`/`offset` set, and the
/// seek key of the row the page starts after (`cursor`, see `objects::seek`).
fn page_url(
    req: &HttpRequest,
    params: &[(String, String)],
    limit: u64,
    offset: u64,
    cursor: Option<&str>,
) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params
        .iter()
        .filter(|(k, _)| k != "limit" && k != "offset" && k != "cursor")
    {
        out.append_pair(k, v);
    }
    out.append_pair("limit", &limit.to_string());
    if offset > 0 {
        out.append_pair("offset", &offset.to_string());
    }
    if let Some(cursor) = cursor {
        out.append_pair("cursor", cursor);
    }
    format!(
        "{}?{}",
        request::absolute_url(req, req.path()),
        out.finish()
    )
}

async fn list(
    state: web::Data<AppState>,
    route: web::Data<ModelRoute>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let model = route.0.clone();
    let identity = request::identity(&req);
    let params = params(&req);
    let base = base(&req);
    let st = state.clone();
    let (page, query) = nautobot_app::blocking(move || -> Result<_> {
        require(&st, &identity, &model, "view")?;
        let mut query =
            ListQuery::parse(&model, &params)?.within(scope(&st, &identity, &model, "view")?);
        if let Some(owner) = nautobot_auth::models::owner_scope(&identity, &model) {
            query = query.filter("user", &owner);
        }
        let mut conn = st.db.conn()?;
        let registry = &st.catalog.registry;
        // At depth 0 the database writes the JSON of each object (objects::fastjson).
        let fast = match depth(&params) {
            0 => fastjson::list(&mut conn, registry, &model, &query, &base)?,
            _ => None,
        };
        let mut page = match fast {
            Some(page) => page,
            None => {
                let (count, rows, cursor) = query::list_page(&mut conn, registry, &model, &query)?;
                let results = serialize::serialize_rows_visible(
                    &mut conn,
                    registry,
                    &model,
                    &rows,
                    &base,
                    depth(&params),
                    &|m| may_view(&st, &identity, m),
                )?;
                query::Page {
                    count,
                    rows: results.iter().map(Value::to_string).collect(),
                    cursor,
                }
            }
        };
        page.rows = with_includes(&mut conn, registry, &model, &params, &base, page.rows)?;
        drop(conn);
        page.rows = with_plugin_data(&st, &identity, &model, page.rows);
        Ok((page, query))
    })
    .await??;
    let query::Page {
        count,
        rows: results,
        cursor,
    } = page;
    let params = self::params(&req);
    let next_offset = query.offset.saturating_add(query.limit);
    // The next page starts after this page's last row (an index range), not at an
    // offset the database would have to count its way to.
    let next = (next_offset < count && results.len() as u64 == query.limit)
        .then(|| page_url(&req, &params, query.limit, next_offset, cursor.as_deref()));
    let previous = (query.offset > 0).then(|| {
        page_url(
            &req,
            &params,
            query.limit,
            query.offset.saturating_sub(query.limit),
            None,
        )
    });
    // The envelope around objects that are JSON text already.
    let mut body = String::with_capacity(64 + results.iter().map(|r| r.len() + 1).sum::<usize>());
    body.push_str(&format!(
        "{{\"count\":{count},\"next\":{},\"previous\":{},\"results\":[",
        json!(next),
        json!(previous)
    ));
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(r);
    }
    body.push_str("]}");
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

pub(crate) async fn detail(
    state: web::Data<AppState>,
    route: web::Data<ModelRoute>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let model = route.0.clone();
    let identity = request::identity(&req);
    let params = params(&req);
    let base = base(&req);
    let id = id.into_inner();
    let body = nautobot_app::blocking(move || -> Result<String> {
        require(&state, &identity, &model, "view")?;
        let within = scope(&state, &identity, &model, "view")?;
        let mut conn = state.db.conn()?;
        let registry = &state.catalog.registry;
        // Objects visible to their owner only (tokens) always go through `may_see`.
        let scoped = nautobot_auth::models::owner_scope(&identity, &model).is_some();
        let fast = match depth(&params) == 0 && !scoped {
            true => fastjson::get(&mut conn, registry, &model, &id, &base, &within)?,
            false => None,
        };
        let body = match fast {
            Some(found) => found.ok_or_else(not_found)?,
            None => {
                let row = objects::get_within(&mut conn, registry, &model, &id, &within)?
                    .filter(|row| nautobot_auth::models::may_see(&identity, &model, row))
                    .ok_or_else(not_found)?;
                let mut out = serialize::serialize_rows_visible(
                    &mut conn,
                    registry,
                    &model,
                    &[row],
                    &base,
                    depth(&params),
                    &|m| may_view(&state, &identity, m),
                )?;
                out.pop().unwrap_or(Value::Null).to_string()
            }
        };
        let body = with_includes(&mut conn, registry, &model, &params, &base, vec![body])?;
        drop(conn);
        let mut body = with_plugin_data(&state, &identity, &model, body);
        Ok(body.pop().unwrap_or_default())
    })
    .await??;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

fn not_found() -> Error {
    Error::NotFound("Not found.".into())
}

/// Objects' JSON text with what `?include=` asks for: `computed_fields`, each rendered
/// from the object as it is shown, and `config_context` for models that have one (all
/// of a page's contexts in a fixed number of statements).
fn with_includes(
    conn: &mut nautobot_db::DbConnection,
    registry: &nautobot_schema::Registry,
    model: &nautobot_schema::Model,
    params: &[(String, String)],
    base: &str,
    objects: Vec<String>,
) -> Result<Vec<String>> {
    let computed = computed_fields::included(params);
    let contexts = config_contexts::included(params) && config_contexts::applies_to(model);
    let related = relationships::included(params) && relationships::applies_to(model);
    if !computed && !contexts && !related {
        return Ok(objects);
    }
    let mut values: Vec<Value> = objects
        .iter()
        .map(|o| serde_json::from_str(o).unwrap_or(Value::Null))
        .collect();
    if contexts {
        let rendered = config_contexts::for_objects(conn, registry, &values)?;
        for (value, context) in values.iter_mut().zip(rendered) {
            if let Value::Object(o) = value {
                o.insert("config_context".into(), context);
            }
        }
    }
    if related {
        let ids: Vec<String> = values
            .iter()
            .map(|v| {
                v.get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        let found = relationships::for_objects(conn, registry, model, &ids, base)?;
        for (value, data) in values.iter_mut().zip(found) {
            if let Value::Object(o) = value {
                o.insert("relationships".into(), data);
            }
        }
    }
    if computed {
        let defs = computed_fields::definitions(conn, registry, model)?;
        for value in &mut values {
            let fields = computed_fields::values(&defs, value);
            if let Value::Object(o) = value {
                o.insert("computed_fields".into(), fields);
            }
        }
    }
    Ok(values
        .iter()
        .zip(objects)
        .map(|(value, text)| match value {
            Value::Object(_) => value.to_string(),
            _ => text,
        })
        .collect())
}

/// Objects' JSON text with the fields plugins add to their model's REST answers (ABI
/// 1.2, kind `rest_fields`) under `plugin_data.<plugin>.<name>`: each handler called
/// once for the whole page. A handler that fails, panics or answers the wrong number of
/// values leaves `null` for its field and is logged; the answer is still served.
fn with_plugin_data(
    state: &AppState,
    identity: &Identity,
    model: &Model,
    objects: Vec<String>,
) -> Vec<String> {
    let label = model.label();
    let extending: Vec<_> = state
        .registry
        .iter()
        .filter(|p| p.manifest.rest_fields.iter().any(|r| r.model == label))
        .collect();
    if extending.is_empty() || objects.is_empty() {
        return objects;
    }
    let mut values: Vec<Value> = objects
        .iter()
        .map(|o| serde_json::from_str(o).unwrap_or(Value::Null))
        .collect();
    let payload = match serde_json::to_string(&nautobot_plugin_abi::RestFieldsRequest {
        model: label.clone(),
        objects: values.clone(),
    }) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("cannot serialise a REST fields request: {e}");
            return objects;
        }
    };
    let mut data: Vec<Map<String, Value>> = vec![Map::new(); values.len()];
    for plugin in extending {
        let services = state.call_services(plugin, identity, "");
        let mut fields: Vec<Map<String, Value>> = vec![Map::new(); values.len()];
        for def in plugin
            .manifest
            .rest_fields
            .iter()
            .filter(|r| r.model == label)
        {
            let answer = plugin
                .call(
                    nautobot_plugin_abi::kinds::REST_FIELDS,
                    &def.name,
                    &payload,
                    &services,
                )
                .and_then(|a| {
                    serde_json::from_str::<Vec<Value>>(&a)
                        .map_err(|e| Error::Internal(format!("not a list of values: {e}")))
                })
                .and_then(|list| match list.len() == values.len() {
                    true => Ok(list),
                    false => Err(Error::Internal(format!(
                        "{} values for {} objects",
                        list.len(),
                        values.len()
                    ))),
                });
            let list = answer.unwrap_or_else(|e| {
                tracing::error!(plugin = plugin.name(), field = %def.name, model = %label, "REST field failed: {e}");
                vec![Value::Null; values.len()]
            });
            for (f, v) in fields.iter_mut().zip(list) {
                f.insert(def.name.clone(), v);
            }
        }
        for (d, f) in data.iter_mut().zip(fields) {
            d.insert(plugin.name().to_string(), Value::Object(f));
        }
    }
    for (value, d) in values.iter_mut().zip(data) {
        if let Value::Object(o) = value {
            o.insert("plugin_data".into(), Value::Object(d));
        }
    }
    values
        .iter()
        .zip(objects)
        .map(|(value, text)| match value {
            Value::Object(_) => value.to_string(),
            _ => text,
        })
        .collect()
}

/// Runs writes in one transaction and serialises what they return.
async fn write_then_serialize<F>(
    state: web::Data<AppState>,
    req: &HttpRequest,
    model: Arc<Model>,
    action: &'static str,
    work: F,
) -> Result<Vec<Value>>
where
    F: FnOnce(&Writer<'_>, &mut nautobot_db::DbConnection) -> Result<Vec<objects::Row>>
        + Send
        + 'static,
{
    let identity = request::identity(req);
    let actor = request::actor(req);
    let base = base(req);
    nautobot_app::block(request::request_id(req), move || -> Result<Vec<Value>> {
        require(&state, &identity, &model, action)?;
        let hooks = state.hooks(Some(&identity));
        let writer = Writer::new(&state.catalog.registry, &actor, &hooks).requiring_relationships();
        let rows = write::transaction(&state.db, |conn| work(&writer, conn))?;
        let mut conn = state.db.conn()?;
        serialize::serialize_rows(&mut conn, &state.catalog.registry, &model, &rows, &base, 0)
    })
    .await
}

/// Runs `f` on each item, turning a failure into DRF's bulk error list (`{}` for the
/// items before it).
fn each<T>(items: &[Value], mut f: impl FnMut(&Value) -> Result<T>) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match f(item) {
            Ok(v) => out.push(v),
            Err(e) if items.len() > 1 => return Err(bulk_error(i, e)),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The error of item `i` of a bulk request: validation errors listed by item, as DRF
/// does (`[{}, {}, {"name": [...]}]`); others as they are.
fn bulk_error(i: usize, error: Error) -> Error {
    match error {
        Error::Validation(errors) => {
            let mut list: Vec<Value> = vec![json!({}); i];
            list.push(json!(errors));
            Error::BulkValidation(Box::new(Value::Array(list)))
        }
        other => other,
    }
}

async fn create(
    state: web::Data<AppState>,
    route: web::Data<ModelRoute>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let model = route.0.clone();
    // The body is read after the permission check: a requester who may not write
    // learns nothing from it.
    let many = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let m = model.clone();
    let results = write_then_serialize(state, &req, model, "add", move |writer, conn| {
        let items: Vec<Value> = match parse_body(&body)? {
            Value::Array(items) => items,
            other => vec![other],
        };
        if items.len() < 2 {
            return each(&items, |item| writer.create(conn, &m, item));
        }
        // Many objects: checked one by one, written in batches.
        writer
            .create_many(conn, &m, &items)
            .map_err(|(i, e)| bulk_error(i, e))
    })
    .await?;
    let body = if many {
        Value::Array(results)
    } else {
        results.into_iter().next().unwrap_or(Value::Null)
    };
    Ok(HttpResponse::build(StatusCode::CREATED).json(body))
}

async fn update(
    state: web::Data<AppState>,
    route: web::Data<ModelRoute>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let model = route.0.clone();
    let partial = req.method() == actix_web::http::Method::PATCH;
    let id = id.into_inner();
    let m = model.clone();
    let mut results = write_then_serialize(state, &req, model, "change", move |writer, conn| {
        let data = parse_body(&body)?;
        Ok(vec![writer.update(conn, &m, &id, &data, partial)?])
    })
    .await?;
    Ok(HttpResponse::Ok().json(results.pop().unwrap_or(Value::Null)))
}

/// The body of a bulk update or delete: a list of items, each with its `id`.
fn bulk_items(body: &[u8]) -> Result<(Vec<Value>, Vec<String>)> {
    let Value::Array(items) = parse_body(body)? else {
        return Err(Error::field(
            "non_field_errors",
            "Expected a list of items with an id each.",
        ));
    };
    let ids = ids_of(&items)?;
    Ok((items, ids))
}

fn ids_of(items: &[Value]) -> Result<Vec<String>> {
    items
        .iter()
        .map(|item| {
            item.get("id")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| item.as_str().map(str::to_string))
                .ok_or_else(|| Error::field("id", "This field is required."))
        })
        .collect()
}

async fn bulk_update(
    state: web::Data<AppState>,
    route: web::Data<ModelRoute>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let model = route.0.clone();
    let partial = req.method() == actix_web::http::Method::PATCH;
    let m = model.clone();
    let results = write_then_serialize(state, &req, model, "change", move |writer, conn| {
        let (items, ids) = bulk_items(&body)?;
        let mut n = 0;
        each(&items, |item| {
            let id = &ids[n];
            n += 1;
            let mut data = item.clone();
            if let Value::Object(o) = &mut data {
                o.remove("id");
            }
            writer.update(conn, &m, id, &data, partial)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(results))
}

async fn delete(
    state: web::Data<AppState>,
    route: web::Data<ModelRoute>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let model = route.0.clone();
    let id = id.into_inner();
    let m = model.clone();
    write_then_serialize(state, &req, model, "delete", move |writer, conn| {
        writer.delete(conn, &m, &id)?;
        Ok(Vec::new())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn bulk_delete(
    state: web::Data<AppState>,
    route: web::Data<ModelRoute>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let model = route.0.clone();
    let m = model.clone();
    write_then_serialize(state, &req, model, "delete", move |writer, conn| {
        let (_, ids) = bulk_items(&body)?;
        for id in &ids {
            writer.delete(conn, &m, id)?;
        }
        Ok(Vec::new())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `OPTIONS`: the model's metadata and, for those who may add, each writable field's
/// type, whether it is required, and its choices (`{value, display}`), as DRF's
/// metadata class describes them.
pub(crate) async fn options(
    state: web::Data<AppState>,
    route: web::Data<ModelRoute>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let model = route.0.clone();
    let identity = request::identity(&req);
    let st = state.clone();
    let m = model.clone();
    let may_add = nautobot_app::blocking(move || -> Result<bool> {
        require(&st, &identity, &m, "view")?;
        Ok(!m.read_only && can(&identity, &st.db, &st.settings, &m.label(), "add")?)
    })
    .await??;
    let mut body = json!({
        "name": capitalise(model.verbose_name_plural()),
        "description": model.schema.description,
        "renders": ["application/json"],
        "parses": ["application/json"],
    });
    if may_add {
        body["actions"] = json!({"POST": describe_fields(&model)});
    }
    Ok(HttpResponse::Ok().json(body))
}

/// Each field as DRF's OPTIONS describes it.
pub fn describe_fields(model: &Model) -> Map<String, Value> {
    use nautobot_plugin_abi::FieldKind;
    let mut fields = Map::new();
    fields.insert(
        "id".into(),
        json!({"type": "string", "required": false, "read_only": true, "label": "ID"}),
    );
    for field in &model.schema.fields {
        let ty = match &field.kind {
            FieldKind::Char { .. } | FieldKind::Text => "string",
            FieldKind::Slug { .. } => "slug",
            FieldKind::Integer { .. } | FieldKind::PositiveInteger => "integer",
            FieldKind::Float => "float",
            FieldKind::Decimal { .. } => "decimal",
            FieldKind::Boolean => "boolean",
            FieldKind::Date => "date",
            FieldKind::DateTime => "datetime",
            FieldKind::Json => "json",
            FieldKind::IpAddress | FieldKind::IpNetwork | FieldKind::MacAddress => "string",
            FieldKind::Choice { .. } => "choice",
            FieldKind::ForeignKey { .. } => "related object",
            FieldKind::ManyToMany { .. } => "many related objects",
            FieldKind::Tags => "list",
        };
        let mut d = json!({
            "type": ty,
            "required": write::default_for(field).is_none(),
            "read_only": false,
            "label": capitalise(&field.label()),
        });
        if !field.help_text.is_empty() {
            d["help_text"] = Value::String(field.help_text.clone());
        }
        match &field.kind {
            FieldKind::Char { max_length } | FieldKind::Slug { max_length } => {
                d["max_length"] = json!(max_length);
            }
            FieldKind::Choice { choices } => {
                d["choices"] = Value::Array(
                    choices
                        .iter()
                        .map(|c| json!({"value": c.value, "display": c.label}))
                        .collect(),
                );
            }
            FieldKind::ForeignKey { to, .. } | FieldKind::ManyToMany { to } => {
                d["related_model"] = Value::String(to.clone());
            }
            _ => {}
        }
        if let Some(default) = &field.default {
            d["default"] = default.clone();
        }
        fields.insert(field.name.clone(), d);
    }
    fields
}
