//! `/admin/users/group/`: list, add, change and delete groups.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{
    crumbs,
    forms::{attach_errors, choices, Cell, Field, PostedForm, Row},
    resource, show, submit, Outcome,
};
use crate::{
    app::AppState,
    auth::{
        groups::{self, Group, GroupChanges},
        users,
    },
    db::DbConnection,
    error::{Error, Result, ValidationErrors},
};

/// The change list.
pub const LIST: &str = "/admin/users/group/";
const SECTION: (&str, &str) = ("Groups", LIST);

/// Registers the group pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(LIST).route(web::get().to(list)))
        .service(
            resource("/admin/users/group/add/")
                .route(web::get().to(add_form))
                .route(web::post().to(add)),
        )
        .service(
            resource("/admin/users/group/{id}/change/")
                .route(web::get().to(change_form))
                .route(web::post().to(change)),
        )
        .service(
            resource("/admin/users/group/{id}/delete/")
                .route(web::get().to(delete_form))
                .route(web::post().to(delete)),
        );
}

/// `GET /admin/users/group/`.
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    show(state, &req, |_, conn| list_page(conn)).await
}

/// `GET /admin/users/group/add/`.
pub async fn add_form(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    show(state, &req, |_, conn| {
        form_page(
            conn,
            None,
            &GroupChanges::default(),
            &ValidationErrors::new(),
        )
    })
    .await
}

/// `POST /admin/users/group/add/`.
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    submit(state, &req, &body, |_, conn, form| save(conn, None, &form)).await
}

/// `GET /admin/users/group/<id>/change/`.
pub async fn change_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    show(state, &req, move |_, conn| {
        let group = found(conn, &id)?;
        let current = GroupChanges {
            name: group.name.clone(),
            members: groups::member_ids(conn, &id)?,
        };
        form_page(conn, Some(&group), &current, &ValidationErrors::new())
    })
    .await
}

/// `POST /admin/users/group/<id>/change/`.
pub async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    submit(state, &req, &body, move |_, conn, form| {
        save(conn, Some(&id), &form)
    })
    .await
}

/// `GET /admin/users/group/<id>/delete/`.
pub async fn delete_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    show(state, &req, move |_, conn| {
        Ok(delete_page(&found(conn, &id)?))
    })
    .await
}

/// `POST /admin/users/group/<id>/delete/`.
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    submit(state, &req, &body, move |_, conn, _| {
        if !groups::delete(conn, &id)? {
            return Err(not_found());
        }
        Ok(Outcome::Redirect(LIST.to_string()))
    })
    .await
}

fn not_found() -> Error {
    Error::NotFound("No group with that id exists.".into())
}

fn found(conn: &mut DbConnection, id: &str) -> Result<Group> {
    groups::by_id(conn, id)?.ok_or_else(not_found)
}

fn change_url(id: &str) -> String {
    format!("{LIST}{id}/change/")
}

fn delete_url(id: &str) -> String {
    format!("{LIST}{id}/delete/")
}

fn list_page(conn: &mut DbConnection) -> Result<Outcome> {
    let usernames: std::collections::HashMap<String, String> = users::list(conn)?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let memberships = groups::memberships(conn)?;
    let rows: Vec<Row> = groups::list(conn)?
        .into_iter()
        .map(|g| {
            let mut members: Vec<&str> = memberships
                .iter()
                .filter(|(_, group_id)| *group_id == g.id)
                .filter_map(|(user_id, _)| usernames.get(user_id).map(String::as_str))
                .collect();
            members.sort_unstable();
            Row {
                cells: vec![
                    Cell::link(&g.name, change_url(&g.id)),
                    Cell::text(members.join(", ")),
                ],
                delete_url: delete_url(&g.id),
                id: g.id,
                name: g.name,
            }
        })
        .collect();
    Ok(Outcome::page(
        "admin/change_list.html",
        "Groups",
        json!({
            "breadcrumbs": crumbs(SECTION, None),
            "columns": ["Name", "Members"],
            "rows": rows,
            "add_url": format!("{LIST}add/"),
            "add_label": "Add group",
            "kind": "group",
        }),
    ))
}

fn save(conn: &mut DbConnection, id: Option<&str>, form: &PostedForm) -> Result<Outcome> {
    let changes = GroupChanges {
        name: form.text("name"),
        members: form.all("members"),
    };
    match groups::save(conn, id, &changes) {
        Ok(_) => Ok(Outcome::Redirect(LIST.to_string())),
        Err(Error::Validation(errors)) => {
            let group = match id {
                Some(id) => Some(found(conn, id)?),
                None => None,
            };
            form_page(conn, group.as_ref(), &changes, &errors)
        }
        Err(e) => Err(e),
    }
}

fn form_page(
    conn: &mut DbConnection,
    group: Option<&Group>,
    values: &GroupChanges,
    errors: &ValidationErrors,
) -> Result<Outcome> {
    let user_choices = choices(
        users::list(conn)?.into_iter().map(|u| (u.id, u.username)),
        &values.members,
    );
    let mut fields = vec![
        Field::input("name", "Name", "text", &values.name).required(),
        Field::choice("members", "Members", "multiselect", user_choices)
            .help("Hold down Control (or Command on a Mac) to select more than one."),
    ];
    let non_field_errors = attach_errors(&mut fields, errors);
    let (title, action, delete) = match group {
        None => ("Add group".to_string(), format!("{LIST}add/"), None),
        Some(g) => (
            format!("Change group {}", g.name),
            change_url(&g.id),
            Some(delete_url(&g.id)),
        ),
    };
    Ok(Outcome::page(
        "admin/change_form.html",
        title,
        json!({
            "breadcrumbs": crumbs(SECTION, Some(group.map_or("Add group", |g| g.name.as_str()))),
            "fields": fields,
            "non_field_errors": non_field_errors,
            "has_errors": !errors.is_empty(),
            "action": action,
            "cancel_url": LIST,
            "delete_url": delete,
        }),
    ))
}

fn delete_page(group: &Group) -> Outcome {
    Outcome::page(
        "admin/delete_confirmation.html",
        "Delete group",
        json!({
            "breadcrumbs": crumbs(SECTION, Some(&group.name)),
            "kind": "group",
            "object_name": group.name,
            "action": delete_url(&group.id),
            "cancel_url": change_url(&group.id),
            "error": null,
            "consequences": [
                "Its members stay, but lose the permissions granted through this group.",
            ],
        }),
    )
}
