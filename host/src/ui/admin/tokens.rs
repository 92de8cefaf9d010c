//! `/admin/users/token/`: list, add (showing the new key once) and delete API tokens.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde_json::json;

use super::{
    crumbs,
    forms::{attach_errors, Cell, Choice, Field, PostedForm, Row},
    resource, show, submit, Outcome,
};
use crate::{
    app::AppState,
    auth::{
        tokens::{self, NewToken, TokenInfo},
        users,
    },
    db::DbConnection,
    error::{Error, Result, ValidationErrors},
};

/// The change list.
pub const LIST: &str = "/admin/users/token/";
const SECTION: (&str, &str) = ("Tokens", LIST);
const ADD: &str = "/admin/users/token/add/";

/// Registers the token pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(LIST).route(web::get().to(list)))
        .service(
            resource(ADD)
                .route(web::get().to(add_form))
                .route(web::post().to(add)),
        )
        .service(
            resource("/admin/users/token/{id}/delete/")
                .route(web::get().to(delete_form))
                .route(web::post().to(delete)),
        );
}

/// `GET /admin/users/token/`.
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    show(state, &req, |_, conn| list_page(conn)).await
}

/// The token form's values as submitted (text, so that bad input is shown back).
#[derive(Debug, Clone)]
struct TokenForm {
    user: String,
    key: String,
    write_enabled: bool,
    expires: String,
    description: String,
}

/// `GET /admin/users/token/add/` (`?user=<id>` preselects the owner).
pub async fn add_form(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    let query = PostedForm::parse(req.query_string().as_bytes());
    let initial = TokenForm {
        user: query.text("user"),
        key: String::new(),
        write_enabled: true,
        expires: String::new(),
        description: String::new(),
    };
    show(state, &req, move |_, conn| {
        form_page(conn, &initial, &ValidationErrors::new())
    })
    .await
}

/// `POST /admin/users/token/add/`: creates the token and shows its key, once.
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    submit(state, &req, &body, |_, conn, form| save(conn, &form)).await
}

/// `GET /admin/users/token/<id>/delete/`.
pub async fn delete_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    show(state, &req, move |_, conn| {
        let token = tokens::by_id(conn, &id)?.ok_or_else(not_found)?;
        Ok(delete_page(&token))
    })
    .await
}

/// `POST /admin/users/token/<id>/delete/`.
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    submit(state, &req, &body, move |_, conn, _| {
        if !tokens::delete(conn, &id)? {
            return Err(not_found());
        }
        Ok(Outcome::Redirect(LIST.to_string()))
    })
    .await
}

fn not_found() -> Error {
    Error::NotFound("No token with that id exists.".into())
}

fn delete_url(id: &str) -> String {
    format!("{LIST}{id}/delete/")
}

fn format_time(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// Parses an expiry as a `datetime-local` input or a person sends it (UTC).
fn parse_time(text: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

fn list_page(conn: &mut DbConnection) -> Result<Outcome> {
    let rows: Vec<Row> = tokens::list(conn)?
        .into_iter()
        .map(|t| Row {
            cells: vec![
                Cell::link(
                    &t.username,
                    format!("{}{}/change/", super::users::LIST, t.user_id),
                ),
                Cell::code(tokens::masked(&t.key)),
                Cell::flag(t.write_enabled),
                Cell::text(t.expires.as_ref().map(format_time).unwrap_or_default()),
                Cell::text(&t.description),
                Cell::text(format_time(&t.created)),
            ],
            delete_url: delete_url(&t.id),
            name: t.username.clone(),
            id: t.id,
        })
        .collect();
    Ok(Outcome::page(
        "admin/change_list.html",
        "Tokens",
        json!({
            "breadcrumbs": crumbs(SECTION, None),
            "columns": ["User", "Key", "Write enabled", "Expires", "Description", "Created"],
            "rows": rows,
            "add_url": ADD,
            "add_label": "Add token",
            "kind": "token",
        }),
    ))
}

fn save(conn: &mut DbConnection, form: &PostedForm) -> Result<Outcome> {
    let values = TokenForm {
        user: form.text("user"),
        key: form.text("key"),
        write_enabled: form.checked("write_enabled"),
        expires: form.text("expires"),
        description: form.text("description"),
    };
    let expires = match values.expires.as_str() {
        "" => None,
        text => match parse_time(text) {
            Some(t) => Some(t),
            None => {
                let mut errors = ValidationErrors::new();
                errors.insert(
                    "expires".into(),
                    vec!["Enter a valid date/time (YYYY-MM-DD HH:MM, UTC).".into()],
                );
                return form_page(conn, &values, &errors);
            }
        },
    };
    let new = NewToken {
        user_id: values.user.clone(),
        key: Some(values.key.clone()).filter(|k| !k.is_empty()),
        write_enabled: values.write_enabled,
        expires,
        description: values.description.clone(),
    };
    match tokens::create_token(conn, &new) {
        Ok(key) => {
            let owner = users::by_id(conn, &new.user_id)?
                .map(|u| u.username)
                .unwrap_or_default();
            Ok(Outcome::page(
                "admin/token_created.html",
                "Token created",
                json!({
                    "breadcrumbs": crumbs(SECTION, Some("Token created")),
                    "key": key,
                    "owner": owner,
                    "list_url": LIST,
                }),
            ))
        }
        Err(Error::Validation(errors)) => form_page(conn, &values, &errors),
        Err(e) => Err(e),
    }
}

fn form_page(
    conn: &mut DbConnection,
    values: &TokenForm,
    errors: &ValidationErrors,
) -> Result<Outcome> {
    let mut user_choices = vec![Choice {
        value: String::new(),
        label: "---------".into(),
        selected: values.user.is_empty(),
    }];
    user_choices.extend(users::list(conn)?.into_iter().map(|u| Choice {
        selected: u.id == values.user,
        value: u.id,
        label: u.username,
    }));
    let mut fields = vec![
        Field::choice("user", "User", "select", user_choices).required(),
        Field::input("key", "Key", "text", &values.key)
            .help("40 hexadecimal characters. Leave empty to generate a random key."),
        Field::checkbox("write_enabled", "Write enabled", values.write_enabled)
            .help("Permit create/update/delete operations using this key."),
        Field::input("expires", "Expires", "datetime", &values.expires)
            .help("Optional, in UTC. Leave empty for a token that never expires."),
        Field::input("description", "Description", "text", &values.description),
    ];
    let non_field_errors = attach_errors(&mut fields, errors);
    Ok(Outcome::page(
        "admin/change_form.html",
        "Add token",
        json!({
            "breadcrumbs": crumbs(SECTION, Some("Add token")),
            "fields": fields,
            "non_field_errors": non_field_errors,
            "has_errors": !errors.is_empty(),
            "action": ADD,
            "cancel_url": LIST,
            "delete_url": null,
        }),
    ))
}

fn delete_page(token: &TokenInfo) -> Outcome {
    let name = format!("{} ({})", tokens::masked(&token.key), token.username);
    Outcome::page(
        "admin/delete_confirmation.html",
        "Delete token",
        json!({
            "breadcrumbs": crumbs(SECTION, Some(&name)),
            "kind": "token",
            "object_name": name,
            "action": delete_url(&token.id),
            "cancel_url": LIST,
            "error": null,
            "consequences": ["Clients using this key will be refused."],
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn expiry_times_parse_from_forms() {
        assert!(parse_time("2030-01-02T03:04").is_some());
        assert!(parse_time("2030-01-02 03:04:05").is_some());
        assert!(parse_time("2030-01-02").is_some());
        assert!(parse_time("tomorrow").is_none());
    }
}
