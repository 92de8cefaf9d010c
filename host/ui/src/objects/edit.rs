//! Add (`<ui_path>add/`), edit (`<ui_path><id>/edit/`) and delete
//! (`<ui_path><id>/delete/`) of one object: forms on GET, writes through the model layer
//! on POST (one transaction), the form again with the messages when it refuses.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{
    cells::detail_url,
    checked_form, custom_fields,
    detail::{load, object_json},
    forms::{self, FormValues},
    plugin_failure, run, select_options, split_errors, Ctx, Outcome, Route,
};
use nautobot_app::AppState;
use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_objects::{
    display,
    write::{self, Writer},
    Row,
};

/// `GET <ui_path>add/`.
pub async fn add(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        ctx.require("add")?;
        let values = forms::initial_for_add(&ctx.model, &ctx.params);
        form_page(&ctx, None, &values, &ValidationErrors::new())
    })
    .await
}

/// `POST <ui_path>add/`.
pub async fn add_submit(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let pairs = checked_form(&req, &body)?;
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        save(&ctx, None, &forms::values_of(&pairs))
    })
    .await
}

/// `GET <ui_path><id>/edit/`.
pub async fn edit(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        ctx.require("change")?;
        let row = load(&ctx, &mut *ctx.state.db.conn()?, "change")?;
        let mut values = forms::initial_from_row(&ctx.model, &row);
        values.extend(custom_fields::initial(&row));
        form_page(&ctx, Some(&row), &values, &ValidationErrors::new())
    })
    .await
}

/// `POST <ui_path><id>/edit/`.
pub async fn edit_submit(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let pairs = checked_form(&req, &body)?;
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        ctx.require("change")?;
        let row = load(&ctx, &mut *ctx.state.db.conn()?, "change")?;
        save(&ctx, Some(&row), &forms::values_of(&pairs))
    })
    .await
}

/// `GET <ui_path><id>/delete/`.
pub async fn delete(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        ctx.require("delete")?;
        let row = load(&ctx, &mut *ctx.state.db.conn()?, "delete")?;
        delete_page(&ctx, &row, None, None)
    })
    .await
}

/// `POST <ui_path><id>/delete/`.
pub async fn delete_submit(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let pairs = checked_form(&req, &body)?;
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        ctx.require("delete")?;
        let form = forms::values_of(&pairs);
        let row = load(&ctx, &mut *ctx.state.db.conn()?, "delete")?;
        let hooks = ctx.state.hooks(Some(&ctx.identity));
        let writer = Writer::new(ctx.registry(), &ctx.actor, &hooks);
        match write::transaction(&ctx.state.db, |conn| {
            writer.delete(conn, &ctx.model, &ctx.id)
        }) {
            Ok(()) => Ok(Outcome::Redirect(
                ctx.return_url(Some(&form))
                    .filter(|u| !u.starts_with(&detail_url(&ctx.model, &ctx.id)))
                    .unwrap_or_else(|| ctx.model.ui_path.clone()),
            )),
            Err(Error::Conflict(message)) => delete_page(&ctx, &row, Some(message), Some(&form)),
            Err(e) => Err(e),
        }
    })
    .await
}

/// Creates (`row` none) or updates the object from the form; the form again with the
/// messages if the model layer refuses.
fn save(ctx: &Ctx, row: Option<&Row>, form: &FormValues) -> Result<Outcome> {
    ctx.require(if row.is_some() { "change" } else { "add" })?;
    let model = &ctx.model;
    let input = match forms::to_json(model, form) {
        Ok(mut input) => {
            if let Some(data) = custom_fields::from_form(model, form) {
                input.insert("custom_fields".into(), data);
            }
            Value::Object(input)
        }
        Err(errors) => return form_page(ctx, row, form, &errors),
    };
    let hooks = ctx.state.hooks(Some(&ctx.identity));
    let writer = Writer::new(ctx.registry(), &ctx.actor, &hooks);
    let saved = write::transaction(&ctx.state.db, |conn| match row {
        Some(_) => writer.update(conn, model, &ctx.id, &input, false),
        None => writer.create(conn, model, &input),
    });
    match saved {
        Ok(saved) => {
            let id = saved.get("id").and_then(Value::as_str).unwrap_or_default();
            let secrets: Vec<Value> = model
                .write_only
                .iter()
                .filter_map(|name| {
                    let value = saved.get(name)?.as_str()?;
                    let label = model.field(name).map(|f| f.label()).unwrap_or_default();
                    Some(json!({"name": name, "label": forms::capfirst(&label), "value": value}))
                })
                .collect();
            if !secrets.is_empty() {
                // A new token's key: shown on this page once, never again.
                return ctx.render(
                    "generic/object_secret.html",
                    &format!("{} created", forms::capfirst(model.verbose_name())),
                    StatusCode::OK,
                    json!({"object": object_json(ctx, &saved), "secrets": secrets}),
                );
            }
            Ok(Outcome::Redirect(
                ctx.return_url(Some(form))
                    .unwrap_or_else(|| detail_url(model, id)),
            ))
        }
        Err(Error::Validation(errors)) => form_page(ctx, row, form, &errors),
        Err(e) => match plugin_failure(&e) {
            Some(errors) => form_page(ctx, row, form, &errors),
            None => Err(e),
        },
    }
}

/// The add or edit form showing `values` and `errors` (status 200 either way).
fn form_page(
    ctx: &Ctx,
    row: Option<&Row>,
    values: &FormValues,
    errors: &ValidationErrors,
) -> Result<Outcome> {
    let model = &ctx.model;
    let fields = forms::edit_fields(model);
    let option_fields: Vec<_> = fields
        .iter()
        .copied()
        .filter(|f| forms::needs_options(f) || model.link(&f.name).is_some())
        .collect();
    let mut conn = ctx.state.db.conn()?;
    let options = select_options(&mut conn, ctx.registry(), model, &option_fields, &|m| {
        ctx.within(m, "view")
    })?;
    let defs = nautobot_objects::custom_fields::definitions(&mut conn, ctx.registry(), model)?;
    drop(conn);
    let (field_errors, form_errors) = split_errors(errors, &fields);
    let mut inputs = forms::build(&fields, values, &field_errors, &options, false);
    inputs.extend(custom_fields::inputs(&defs, values, row.is_none()));
    for input in inputs.iter_mut().filter(|i| model.is_write_only(&i.name)) {
        // A password (or token key) is typed, never shown back.
        input.input_type = "password";
        input.value.clear();
    }
    let object = row.map(|r| object_json(ctx, r));
    let (title, action_url, cancel_url) = match row {
        Some(r) => {
            let url = detail_url(model, &ctx.id);
            (
                format!("Editing {} {}", model.verbose_name(), display(model, r)),
                format!("{url}edit/"),
                url,
            )
        }
        None => (
            format!("Add a new {}", model.verbose_name()),
            format!("{}add/", model.ui_path),
            model.ui_path.clone(),
        ),
    };
    let return_url = ctx.return_url(Some(values));
    ctx.render(
        "generic/object_edit.html",
        &title,
        StatusCode::OK,
        json!({
            "object": object,
            "fields": inputs,
            "form_errors": form_errors,
            "action_url": action_url,
            "cancel_url": return_url.clone().unwrap_or(cancel_url),
            "return_url": return_url,
        }),
    )
}

/// The delete confirmation, with the refusal's message if there was one.
fn delete_page(
    ctx: &Ctx,
    row: &Row,
    error: Option<String>,
    form: Option<&FormValues>,
) -> Result<Outcome> {
    let object = object_json(ctx, row);
    let title = format!(
        "Delete {} {}?",
        ctx.model.verbose_name(),
        display(&ctx.model, row)
    );
    let return_url = ctx.return_url(form);
    ctx.render(
        "generic/object_delete.html",
        &title,
        StatusCode::OK,
        json!({
            "object": object,
            "error": error,
            "cancel_url": return_url.clone().unwrap_or_else(|| detail_url(&ctx.model, &ctx.id)),
            "return_url": return_url,
        }),
    )
}
