//! `/admin/users/user/`: list, add, change and delete users.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
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
        users::{self, AuthUser, UserChanges},
    },
    db::DbConnection,
    error::{Error, Result, ValidationErrors},
};

/// The change list.
pub const LIST: &str = "/admin/users/user/";
const SECTION: (&str, &str) = ("Users", LIST);

/// Registers the user pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(LIST).route(web::get().to(list)))
        .service(
            resource("/admin/users/user/add/")
                .route(web::get().to(add_form))
                .route(web::post().to(add)),
        )
        .service(
            resource("/admin/users/user/{id}/change/")
                .route(web::get().to(change_form))
                .route(web::post().to(change)),
        )
        .service(
            resource("/admin/users/user/{id}/delete/")
                .route(web::get().to(delete_form))
                .route(web::post().to(delete)),
        );
}

/// `GET /admin/users/user/`.
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    show(state, &req, |_, conn| list_page(conn)).await
}

/// `GET /admin/users/user/add/`.
pub async fn add_form(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    let initial = UserChanges {
        is_active: true,
        ..UserChanges::default()
    };
    show(state, &req, move |_, conn| {
        form_page(conn, None, &initial, &ValidationErrors::new())
    })
    .await
}

/// `POST /admin/users/user/add/`.
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse> {
    submit(state, &req, &body, |_, conn, form| save(conn, None, &form)).await
}

/// `GET /admin/users/user/<id>/change/`.
pub async fn change_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    show(state, &req, move |_, conn| {
        let user = found(conn, &id)?;
        let current = UserChanges {
            username: user.username.clone(),
            email: user.email.clone(),
            password: None,
            is_superuser: user.is_superuser,
            is_staff: user.is_staff,
            is_active: user.is_active,
            groups: users::group_ids(conn, &id)?,
        };
        form_page(conn, Some(&user), &current, &ValidationErrors::new())
    })
    .await
}

/// `POST /admin/users/user/<id>/change/`.
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

/// `GET /admin/users/user/<id>/delete/`.
pub async fn delete_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    show(state, &req, move |admin, conn| {
        let user = found(conn, &id)?;
        Ok(delete_page(admin, &user))
    })
    .await
}

/// `POST /admin/users/user/<id>/delete/`: deletes the user (never oneself).
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    submit(state, &req, &body, move |admin, conn, _| {
        let user = found(conn, &id)?;
        if user.id == admin.user.id {
            return Ok(delete_page(admin, &user).with_status(StatusCode::BAD_REQUEST));
        }
        users::delete(conn, &id)?;
        Ok(Outcome::Redirect(LIST.to_string()))
    })
    .await
}

fn found(conn: &mut DbConnection, id: &str) -> Result<AuthUser> {
    users::by_id(conn, id)?.ok_or_else(|| Error::NotFound("No user with that id exists.".into()))
}

fn change_url(id: &str) -> String {
    format!("{LIST}{id}/change/")
}

fn delete_url(id: &str) -> String {
    format!("{LIST}{id}/delete/")
}

fn list_page(conn: &mut DbConnection) -> Result<Outcome> {
    let group_names: std::collections::HashMap<String, String> = groups::list(conn)?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let memberships = groups::memberships(conn)?;
    let rows: Vec<Row> = users::list(conn)?
        .into_iter()
        .map(|u| {
            let mut names: Vec<&str> = memberships
                .iter()
                .filter(|(user_id, _)| *user_id == u.id)
                .filter_map(|(_, group_id)| group_names.get(group_id).map(String::as_str))
                .collect();
            names.sort_unstable();
            Row {
                cells: vec![
                    Cell::link(&u.username, change_url(&u.id)),
                    Cell::text(&u.email),
                    Cell::flag(u.is_superuser),
                    Cell::flag(u.is_staff),
                    Cell::flag(u.is_active),
                    Cell::text(names.join(", ")),
                ],
                delete_url: delete_url(&u.id),
                id: u.id,
                name: u.username,
            }
        })
        .collect();
    Ok(Outcome::page(
        "admin/change_list.html",
        "Users",
        json!({
            "breadcrumbs": crumbs(SECTION, None),
            "columns": ["Username", "Email address", "Superuser status", "Staff status", "Active", "Groups"],
            "rows": rows,
            "add_url": format!("{LIST}add/"),
            "add_label": "Add user",
            "kind": "user",
        }),
    ))
}

/// The user fields submitted in `form`; an empty password keeps the current one.
fn changes_of(form: &PostedForm) -> UserChanges {
    UserChanges {
        username: form.text("username"),
        email: form.text("email"),
        password: form
            .first("password")
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        is_superuser: form.checked("is_superuser"),
        is_staff: form.checked("is_staff"),
        is_active: form.checked("is_active"),
        groups: form.all("groups"),
    }
}

fn save(conn: &mut DbConnection, id: Option<&str>, form: &PostedForm) -> Result<Outcome> {
    let changes = changes_of(form);
    match users::save(conn, id, &changes) {
        Ok(_) => Ok(Outcome::Redirect(LIST.to_string())),
        Err(Error::Validation(errors)) => {
            let user = match id {
                Some(id) => Some(found(conn, id)?),
                None => None,
            };
            form_page(conn, user.as_ref(), &changes, &errors)
        }
        Err(e) => Err(e),
    }
}

fn form_page(
    conn: &mut DbConnection,
    user: Option<&AuthUser>,
    values: &UserChanges,
    errors: &ValidationErrors,
) -> Result<Outcome> {
    let group_choices = choices(
        groups::list(conn)?.into_iter().map(|g| (g.id, g.name)),
        &values.groups,
    );
    let password = Field::input("password", "Password", "password", "");
    let password = match user {
        None => password.required(),
        Some(_) => password.help("Leave empty to keep the current password."),
    };
    let mut fields = vec![
        Field::input("username", "Username", "text", &values.username)
            .required()
            .help("Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."),
        Field::input("email", "Email address", "email", &values.email),
        password,
        Field::checkbox("is_superuser", "Superuser status", values.is_superuser).help(
            "Designates that this user has all permissions without explicitly assigning them.",
        ),
        Field::checkbox("is_staff", "Staff status", values.is_staff)
            .help("Designates whether the user can log into this admin site."),
        Field::checkbox("is_active", "Active", values.is_active).help(
            "Designates whether this user should be treated as active. Unselect this instead of deleting accounts.",
        ),
        Field::choice("groups", "Groups", "checkboxes", group_choices)
            .help("The groups this user belongs to. A user gets all permissions granted to each of their groups."),
    ];
    let non_field_errors = attach_errors(&mut fields, errors);
    let (title, action, delete) = match user {
        None => ("Add user".to_string(), format!("{LIST}add/"), None),
        Some(u) => (
            format!("Change user {}", u.username),
            change_url(&u.id),
            Some(delete_url(&u.id)),
        ),
    };
    Ok(Outcome::page(
        "admin/change_form.html",
        title.clone(),
        json!({
            "breadcrumbs": crumbs(SECTION, Some(user.map_or("Add user", |u| u.username.as_str()))),
            "fields": fields,
            "non_field_errors": non_field_errors,
            "has_errors": !errors.is_empty(),
            "action": action,
            "cancel_url": LIST,
            "delete_url": delete,
        }),
    ))
}

fn delete_page(admin: &Admin, user: &AuthUser) -> Outcome {
    let own = user.id == admin.user.id;
    Outcome::page(
        "admin/delete_confirmation.html",
        "Delete user",
        json!({
            "breadcrumbs": crumbs(SECTION, Some(&user.username)),
            "kind": "user",
            "object_name": user.username,
            "action": delete_url(&user.id),
            "cancel_url": change_url(&user.id),
            "error": own.then_some("You cannot delete your own account."),
            "consequences": [
                "Their API tokens and sessions are deleted too.",
                "Their change log entries are kept.",
            ],
        }),
    )
}
