//! Actions on many objects, each all-or-nothing in one transaction: bulk edit
//! (`POST <ui_path>edit/`), bulk delete (`POST <ui_path>delete/`) and CSV import
//! (`<ui_path>import/`).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use diesel::Connection;
use nautobot_plugin_abi::FieldSchema;
use serde_json::{json, Value};

use super::{
    cells::detail_url,
    checked_form, csv,
    forms::{self, FormField, FormValues, ADD_TAGS, REMOVE_TAGS},
    plugin_failure, run, select_options, split_errors, Ctx, Outcome, Route,
};
use nautobot_app::AppState;
use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_objects::{
    display, get_many_within,
    write::{self, default_for, Writer},
    Row,
};

/// `POST <ui_path>edit/`: the form for the selected objects (`pk`), or with `_apply`
/// the change applied to all of them.
pub async fn bulk_edit(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let pairs = checked_form(&req, &body)?;
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        edit_page(&ctx, &forms::values_of(&pairs))
    })
    .await
}

/// `POST <ui_path>delete/`: the confirmation for the selected objects (`pk`), or with
/// `_confirm` their deletion.
pub async fn bulk_delete(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let pairs = checked_form(&req, &body)?;
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        delete_page(&ctx, &forms::values_of(&pairs))
    })
    .await
}

/// `GET <ui_path>import/`.
pub async fn import(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        ctx.require("add")?;
        import_page(&ctx, "", &[])
    })
    .await
}

/// `POST <ui_path>import/`: creates one object per CSV row.
pub async fn import_submit(
    state: web::Data<AppState>,
    route: web::Data<Route>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let pairs = checked_form(&req, &body)?;
    let ctx = Ctx::of(state, &route, &req);
    run(ctx.actor.request_id.clone(), move || {
        import_csv(&ctx, &forms::values_of(&pairs))
    })
    .await
}

/// The selected objects the requester may `action`, in display order.
fn selected(ctx: &Ctx, form: &FormValues, action: &str) -> Result<Vec<Row>> {
    let ids: Vec<String> = form
        .get("pk")
        .map(|v| {
            v.iter()
                .map(|s| s.trim().to_lowercase())
                .filter(|s| uuid::Uuid::parse_str(s).is_ok())
                .collect()
        })
        .unwrap_or_default();
    let within = ctx.within(&ctx.model, action)?;
    let mut rows = get_many_within(
        &mut *ctx.state.db.conn()?,
        ctx.registry(),
        &ctx.model,
        &ids,
        &within,
    )?;
    rows.sort_by_cached_key(|r| display(&ctx.model, r).to_lowercase());
    Ok(rows)
}

fn objects_json(ctx: &Ctx, rows: &[Row]) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
            json!({"id": id, "display": display(&ctx.model, r), "url": detail_url(&ctx.model, id)})
        })
        .collect()
}

fn back(ctx: &Ctx, form: &FormValues) -> Outcome {
    Outcome::Redirect(
        ctx.return_url(Some(form))
            .unwrap_or_else(|| ctx.model.ui_path.clone()),
    )
}

fn writer_for<'a>(ctx: &'a Ctx, hooks: &'a nautobot_plugins::PluginHooks<'a>) -> Writer<'a> {
    Writer::new(ctx.registry(), &ctx.actor, hooks)
}

/// Errors of one object, for the bulk form: field messages stay with their field,
/// others name the object.
fn about(object: &str, errors: &ValidationErrors, fields: &[&FieldSchema]) -> ValidationErrors {
    let mut out = ValidationErrors::new();
    for (key, messages) in errors {
        if fields.iter().any(|f| &f.name == key) {
            out.entry(key.clone())
                .or_default()
                .extend(messages.iter().map(|m| format!("{object}: {m}")));
        } else {
            let all = out.entry("__all__".into()).or_default();
            for m in messages {
                all.push(if key == "__all__" || key == "non_field_errors" {
                    format!("{object}: {m}")
                } else {
                    format!("{object}: {key}: {m}")
                });
            }
        }
    }
    out
}

fn edit_page(ctx: &Ctx, form: &FormValues) -> Result<Outcome> {
    ctx.require("change")?;
    let model = &ctx.model;
    let rows = selected(ctx, form, "change")?;
    if rows.is_empty() {
        return Ok(back(ctx, form));
    }
    let fields = forms::bulk_fields(model);
    let mut errors = ValidationErrors::new();
    let applying = form.contains_key("_apply");
    if applying {
        let change = forms::bulk_to_json(model, form);
        if change.is_empty() {
            return Ok(back(ctx, form));
        }
        let hooks = ctx.state.hooks(Some(&ctx.identity));
        let writer = writer_for(ctx, &hooks);
        let done = write::transaction(&ctx.state.db, |conn| {
            for row in &rows {
                let id = row.get("id").and_then(Value::as_str).unwrap_or_default();
                match writer.update(conn, model, id, &change.for_row(model, row), true) {
                    Ok(_) => {}
                    Err(Error::Validation(e)) => {
                        let named = about(&display(model, row), &e, &fields);
                        return Err(Error::Validation(Box::new(named)));
                    }
                    Err(e) => match plugin_failure(&e) {
                        Some(e) => {
                            let named = about(&display(model, row), &e, &fields);
                            return Err(Error::Validation(Box::new(named)));
                        }
                        None => return Err(e),
                    },
                }
            }
            Ok(())
        });
        match done {
            Ok(()) => return Ok(back(ctx, form)),
            Err(Error::Validation(e)) => errors = *e,
            Err(e) => return Err(e),
        }
    }
    let mut option_fields: Vec<&FieldSchema> = fields
        .iter()
        .copied()
        .filter(|f| forms::needs_options(f))
        .collect();
    let tags = FieldSchema::new("tags", nautobot_plugin_abi::FieldKind::Tags);
    if model.has_tags() {
        option_fields.push(&tags);
    }
    let options = select_options(
        &mut *ctx.state.db.conn()?,
        ctx.registry(),
        model,
        &option_fields,
        &|m| ctx.within(m, "view"),
    )?;
    let (field_errors, form_errors) = split_errors(&errors, &fields);
    let values = if applying {
        form.clone()
    } else {
        FormValues::new()
    };
    let mut inputs = forms::build(&fields, &values, &field_errors, &options, true);
    if model.has_tags() {
        for (name, label) in [(ADD_TAGS, "Add tags"), (REMOVE_TAGS, "Remove tags")] {
            let mut input: FormField = forms::build(
                &[&tags],
                &values
                    .get(name)
                    .map(|v| FormValues::from([("tags".to_string(), v.clone())]))
                    .unwrap_or_default(),
                &ValidationErrors::new(),
                &options,
                true,
            )
            .remove(0);
            input.name = name.to_string();
            input.label = label.to_string();
            inputs.push(input);
        }
    }
    let title = format!("Editing {} {}", rows.len(), model.verbose_name_plural());
    ctx.render(
        "generic/object_bulk_edit.html",
        &title,
        StatusCode::OK,
        json!({
            "objects": objects_json(ctx, &rows),
            "fields": inputs,
            "form_errors": form_errors,
            "return_url": ctx.return_url(Some(form)),
            "cancel_url": ctx.return_url(Some(form)).unwrap_or_else(|| model.ui_path.clone()),
        }),
    )
}

fn delete_page(ctx: &Ctx, form: &FormValues) -> Result<Outcome> {
    ctx.require("delete")?;
    let model = &ctx.model;
    let rows = selected(ctx, form, "delete")?;
    if rows.is_empty() {
        return Ok(back(ctx, form));
    }
    let mut error = None;
    if form.contains_key("_confirm") {
        let hooks = ctx.state.hooks(Some(&ctx.identity));
        let writer = writer_for(ctx, &hooks);
        let done = write::transaction(&ctx.state.db, |conn| {
            for row in &rows {
                let id = row.get("id").and_then(Value::as_str).unwrap_or_default();
                match writer.delete(conn, model, id) {
                    Ok(()) | Err(Error::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        });
        match done {
            Ok(()) => return Ok(back(ctx, form)),
            Err(Error::Conflict(message)) => error = Some(message),
            Err(e) => return Err(e),
        }
    }
    let title = format!("Delete {} {}?", rows.len(), model.verbose_name_plural());
    ctx.render(
        "generic/object_bulk_delete.html",
        &title,
        StatusCode::OK,
        json!({
            "objects": objects_json(ctx, &rows),
            "error": error,
            "return_url": ctx.return_url(Some(form)),
            "cancel_url": ctx.return_url(Some(form)).unwrap_or_else(|| model.ui_path.clone()),
        }),
    )
}

fn import_page(ctx: &Ctx, csv_data: &str, errors: &[String]) -> Result<Outcome> {
    let model = &ctx.model;
    let fields: Vec<Value> = model
        .schema
        .fields
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "label": forms::capfirst(&f.label()),
                "required": default_for(f).is_none(),
                "help_text": f.help_text,
                "accepts": accepts(f),
            })
        })
        .collect();
    ctx.render(
        "generic/object_import.html",
        &format!("Import {}", model.verbose_name_plural()),
        StatusCode::OK,
        json!({
            "csv_data": csv_data,
            "form_errors": errors,
            "csv_fields": fields,
        }),
    )
}

/// What a CSV cell of `field` may hold.
fn accepts(field: &FieldSchema) -> String {
    use nautobot_plugin_abi::FieldKind;
    match &field.kind {
        FieldKind::ForeignKey { to, .. } => format!("Name or ID of a {to}"),
        FieldKind::Tags => "Tag names or IDs, separated by commas".into(),
        FieldKind::Boolean => "true or false".into(),
        FieldKind::Choice { choices } => choices
            .iter()
            .map(|c| c.value.clone())
            .collect::<Vec<_>>()
            .join(", "),
        FieldKind::Json if forms::is_model_list(field) => {
            "Model labels (dcim.device) separated by commas".into()
        }
        FieldKind::Json => "JSON".into(),
        FieldKind::Integer { .. } | FieldKind::PositiveInteger => "An integer".into(),
        FieldKind::Date => "YYYY-MM-DD".into(),
        FieldKind::DateTime => "YYYY-MM-DDThh:mm:ssZ".into(),
        _ => "Text".into(),
    }
}

fn import_csv(ctx: &Ctx, form: &FormValues) -> Result<Outcome> {
    ctx.require("add")?;
    let model = &ctx.model;
    let text = forms::first(form, "csv_data").unwrap_or_default();
    let records = match csv::parse(text) {
        Ok(records) => records,
        Err(e) => return import_page(ctx, text, &[e]),
    };
    let Some((header, rows)) = records.split_first() else {
        return import_page(
            ctx,
            text,
            &["Enter a header row of field names and one row per object.".to_string()],
        );
    };
    // `cf_<key>` columns are custom field values (the model layer checks the keys).
    let is_custom =
        |name: &str| name.trim().starts_with("cf_") && model.field(name.trim()).is_none();
    let model_header: Vec<String> = header.iter().filter(|h| !is_custom(h)).cloned().collect();
    let custom_columns: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| is_custom(h))
        .map(|(i, h)| (i, h.trim()["cf_".len()..].to_string()))
        .collect();
    let columns = match forms::csv_columns(model, &model_header) {
        Ok(columns) => columns,
        Err(e) => return import_page(ctx, text, &[e]),
    };
    if rows.is_empty() {
        return import_page(
            ctx,
            text,
            &["There are no rows to import after the header.".to_string()],
        );
    }
    let hooks = ctx.state.hooks(Some(&ctx.identity));
    let writer = writer_for(ctx, &hooks);
    let done = write::transaction(&ctx.state.db, |conn| {
        let mut problems = Vec::new();
        for (i, record) in rows.iter().enumerate() {
            let n = i + 1;
            if record.len() != header.len() {
                problems.push(format!(
                    "Row {n}: this row has {} fields but the header has {}",
                    record.len(),
                    header.len()
                ));
                continue;
            }
            let model_record: Vec<String> = record
                .iter()
                .zip(header)
                .filter(|(_, h)| !is_custom(h))
                .map(|(cell, _)| cell.clone())
                .collect();
            let input = match forms::csv_record_to_json(&columns, &model_record) {
                Ok(mut input) => {
                    let custom: serde_json::Map<String, Value> = custom_columns
                        .iter()
                        .filter(|(i, _)| !record[*i].trim().is_empty())
                        .map(|(i, key)| (key.clone(), Value::String(record[*i].trim().to_string())))
                        .collect();
                    if !custom.is_empty() {
                        input.insert("custom_fields".into(), Value::Object(custom));
                    }
                    Value::Object(input)
                }
                Err(e) => {
                    problems.push(format!("Row {n}: {e}"));
                    continue;
                }
            };
            // A savepoint per row: a refused row leaves the others to be checked.
            let created = conn
                .transaction(|c| writer.create(c, model, &input))
                .map_err(|e| match plugin_failure(&e) {
                    Some(errors) => Error::Validation(Box::new(errors)),
                    None => e,
                });
            match created {
                Ok(_) => {}
                Err(Error::Validation(errors)) => {
                    for (field, messages) in errors.iter() {
                        for m in messages {
                            problems.push(if field == "__all__" || field == "non_field_errors" {
                                format!("Row {n}: {m}")
                            } else {
                                format!("Row {n}: {field}: {m}")
                            });
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            let mut errors = ValidationErrors::new();
            errors.insert("__all__".into(), problems);
            Err(Error::Validation(Box::new(errors)))
        }
    });
    match done {
        Ok(()) => Ok(Outcome::Redirect(model.ui_path.clone())),
        Err(Error::Validation(errors)) => {
            let messages: Vec<String> = errors.values().flatten().cloned().collect();
            import_page(ctx, text, &messages)
        }
        Err(e) => Err(e),
    }
}
