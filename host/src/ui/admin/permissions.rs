//! `/admin/users/objectpermission/`: list, add, change and delete object permissions.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{
    crumbs,
    forms::{attach_errors, choices, Cell, Field, PostedForm, Row},
    resource, show, submit, Admin, Outcome,
};
use crate::{
    app::AppState,
    auth::{
        groups,
        permissions::{self, ObjectPermission, ObjectPermissionChanges, STANDARD_ACTIONS},
        users,
    },
    db::DbConnection,
    error::{Error, Result, ValidationErrors},
    schema::core::is_hidden,
};

/// The change list.
pub const LIST: &str = "/admin/users/objectpermission/";
const SECTION: (&str, &str) = ("Permissions", LIST);

/// Registers the object permission pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(LIST).route(web::get().to(list)))
        .service(
            resource("/admin/users/objectpermission/add/")
                .route(web::get().to(add_form))
                .route(web::post().to(add)),
        )
        .service(
            resource("/admin/users/objectpermission/{id}/change/")
                .route(web::get().to(change_form))
                .route(web::post().to(change)),
        )
        .service(
            resource("/admin/users/objectpermission/{id}/delete/")
                .route(web::get().to(delete_form))
                .route(web::post().to(delete)),
        );
}

/// `GET /admin/users/objectpermission/`.
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    show(state, &req, |_, conn| list_page(conn)).await
}

/// `GET /admin/users/objectpermission/add/`.
pub async fn add_form(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    let initial = ObjectPermissionChanges {
        enabled: true,
        ..ObjectPermissionChanges::default()
    };
    show(state, &req, move |admin, conn| {
        form_page(admin, conn, None, &initial, &ValidationErrors::new())
    })
    .await
}

/// `POST /admin/users/objectpermission/add/`.
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    submit(state, &req, &body, |admin, conn, form| {
        save(admin, conn, None, &form)
    })
    .await
}

/// `GET /admin/users/objectpermission/<id>/change/`.
pub async fn change_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    show(state, &req, move |admin, conn| {
        let permission = found(conn, &id)?;
        let current = ObjectPermissionChanges {
            name: permission.name.clone(),
            description: permission.description.clone(),
            enabled: permission.enabled,
            object_types: permission.object_types.clone(),
            actions: permission.actions.clone(),
            users: permission.users.clone(),
            groups: permission.groups.clone(),
        };
        form_page(
            admin,
            conn,
            Some(&permission),
            &current,
            &ValidationErrors::new(),
        )
    })
    .await
}

/// `POST /admin/users/objectpermission/<id>/change/`.
pub async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    submit(state, &req, &body, move |admin, conn, form| {
        save(admin, conn, Some(&id), &form)
    })
    .await
}

/// `GET /admin/users/objectpermission/<id>/delete/`.
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

/// `POST /admin/users/objectpermission/<id>/delete/`.
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    submit(state, &req, &body, move |_, conn, _| {
        if !permissions::delete_object_permission(conn, &id)? {
            return Err(not_found());
        }
        Ok(Outcome::Redirect(LIST.to_string()))
    })
    .await
}

fn not_found() -> Error {
    Error::NotFound("No object permission with that id exists.".into())
}

fn found(conn: &mut DbConnection, id: &str) -> Result<ObjectPermission> {
    permissions::object_permission(conn, id)?.ok_or_else(not_found)
}

fn change_url(id: &str) -> String {
    format!("{LIST}{id}/change/")
}

fn delete_url(id: &str) -> String {
    format!("{LIST}{id}/delete/")
}

/// Every model a permission can name, as (label, `app | verbose name`).
fn object_types(admin: &Admin) -> Vec<(String, String)> {
    admin
        .state
        .catalog
        .registry
        .iter()
        .filter(|m| !is_hidden(&m.label()))
        .map(|m| {
            (
                m.label(),
                format!("{} | {}", m.schema.app_label, m.schema.verbose_name),
            )
        })
        .collect()
}

fn list_page(conn: &mut DbConnection) -> Result<Outcome> {
    let usernames: HashMap<String, String> = users::list(conn)?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let group_names: HashMap<String, String> = groups::list(conn)?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let names = |ids: &[String], of: &HashMap<String, String>| -> String {
        let mut names: Vec<&str> = ids
            .iter()
            .filter_map(|id| of.get(id).map(String::as_str))
            .collect();
        names.sort_unstable();
        names.join(", ")
    };
    let rows: Vec<Row> = permissions::list_object_permissions(conn)?
        .into_iter()
        .map(|p| Row {
            cells: vec![
                Cell::link(&p.name, change_url(&p.id)),
                Cell::flag(p.enabled),
                Cell::text(p.object_types.join(", ")),
                Cell::text(p.actions.join(", ")),
                Cell::text(names(&p.users, &usernames)),
                Cell::text(names(&p.groups, &group_names)),
            ],
            delete_url: delete_url(&p.id),
            id: p.id,
            name: p.name,
        })
        .collect();
    Ok(Outcome::page(
        "admin/change_list.html",
        "Permissions",
        json!({
            "breadcrumbs": crumbs(SECTION, None),
            "columns": ["Name", "Enabled", "Object types", "Actions", "Users", "Groups"],
            "rows": rows,
            "add_url": format!("{LIST}add/"),
            "add_label": "Add permission",
            "kind": "objectpermission",
        }),
    ))
}

fn save(
    admin: &Admin,
    conn: &mut DbConnection,
    id: Option<&str>,
    form: &PostedForm,
) -> Result<Outcome> {
    let changes = ObjectPermissionChanges {
        name: form.text("name"),
        description: form.text("description"),
        enabled: form.checked("enabled"),
        object_types: form.all("object_types"),
        actions: form.all("actions"),
        users: form.all("users"),
        groups: form.all("groups"),
    };
    let existing = match id {
        Some(id) => Some(found(conn, id)?),
        None => None,
    };
    // Types no longer installed stay valid on a permission that already names them.
    let mut known: Vec<String> = object_types(admin).into_iter().map(|(l, _)| l).collect();
    if let Some(p) = &existing {
        known.extend(p.object_types.iter().cloned());
    }
    match permissions::save_object_permission(conn, id, &changes, &known) {
        Ok(_) => Ok(Outcome::Redirect(LIST.to_string())),
        Err(Error::Validation(errors)) => {
            form_page(admin, conn, existing.as_ref(), &changes, &errors)
        }
        Err(e) => Err(e),
    }
}

fn form_page(
    admin: &Admin,
    conn: &mut DbConnection,
    permission: Option<&ObjectPermission>,
    values: &ObjectPermissionChanges,
    errors: &ValidationErrors,
) -> Result<Outcome> {
    let mut type_options = object_types(admin);
    let mut action_options: Vec<(String, String)> = STANDARD_ACTIONS
        .iter()
        .map(|a| (a.to_string(), a.to_string()))
        .collect();
    // Keep what the permission holds on the form even if this form would not offer it.
    for stored in permission.iter().flat_map(|p| &p.object_types) {
        if !type_options.iter().any(|(v, _)| v == stored) {
            type_options.push((stored.clone(), format!("{stored} (not installed)")));
        }
    }
    for stored in permission.iter().flat_map(|p| &p.actions) {
        if !action_options.iter().any(|(v, _)| v == stored) {
            action_options.push((stored.clone(), stored.clone()));
        }
    }
    let user_options = users::list(conn)?.into_iter().map(|u| (u.id, u.username));
    let group_options = groups::list(conn)?.into_iter().map(|g| (g.id, g.name));
    let mut fields = vec![
        Field::input("name", "Name", "text", &values.name).required(),
        Field::input("description", "Description", "text", &values.description),
        Field::checkbox("enabled", "Enabled", values.enabled),
        Field::choice(
            "object_types",
            "Object types",
            "multiselect",
            choices(type_options, &values.object_types),
        )
        .required()
        .help("The models this permission applies to."),
        Field::choice(
            "actions",
            "Actions",
            "checkboxes",
            choices(action_options, &values.actions),
        )
        .required()
        .help("The actions granted on those models."),
        Field::choice(
            "users",
            "Users",
            "multiselect",
            choices(user_options, &values.users),
        ),
        Field::choice(
            "groups",
            "Groups",
            "multiselect",
            choices(group_options, &values.groups),
        ),
    ];
    let non_field_errors = attach_errors(&mut fields, errors);
    let (title, action, delete) = match permission {
        None => ("Add permission".to_string(), format!("{LIST}add/"), None),
        Some(p) => (
            format!("Change permission {}", p.name),
            change_url(&p.id),
            Some(delete_url(&p.id)),
        ),
    };
    Ok(Outcome::page(
        "admin/change_form.html",
        title,
        json!({
            "breadcrumbs": crumbs(SECTION, Some(permission.map_or("Add permission", |p| p.name.as_str()))),
            "fields": fields,
            "non_field_errors": non_field_errors,
            "has_errors": !errors.is_empty(),
            "action": action,
            "cancel_url": LIST,
            "delete_url": delete,
        }),
    ))
}

fn delete_page(permission: &ObjectPermission) -> Outcome {
    Outcome::page(
        "admin/delete_confirmation.html",
        "Delete permission",
        json!({
            "breadcrumbs": crumbs(SECTION, Some(&permission.name)),
            "kind": "object permission",
            "object_name": permission.name,
            "action": delete_url(&permission.id),
            "cancel_url": change_url(&permission.id),
            "error": null,
            "consequences": ["Its users and groups lose what it grants."],
        }),
    )
}
