//! Users: creation, lookup and password authentication.

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;

use super::passwords;
use crate::{
    db::{
        dynamic::{self, Sql, SqlValue},
        schema::{
            users_group, users_objectpermission_users, users_session, users_token, users_user,
            users_user_groups,
        },
        Database, DbConnection,
    },
    error::{Error, Result, ValidationErrors},
};

/// A user as the rest of the server sees it (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable, Selectable)]
#[diesel(table_name = users_user)]
pub struct AuthUser {
    /// The user's UUID.
    pub id: String,
    /// The login name.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Holds every permission.
    pub is_superuser: bool,
    /// May use the admin pages.
    pub is_staff: bool,
    /// Inactive users cannot log in or use tokens.
    pub is_active: bool,
}

/// What `createsuperuser` and `createuser` ask for.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// The login name.
    pub username: &'a str,
    /// E-mail address.
    pub email: &'a str,
    /// The password in clear; stored as an argon2 hash.
    pub password: &'a str,
    /// Whether the user holds every permission (and is staff).
    pub superuser: bool,
}

/// Creates a user; a taken username is an error naming it.
pub fn create(conn: &mut DbConnection, new: &NewUser<'_>) -> Result<AuthUser> {
    if new.username.trim().is_empty() || new.username.len() > 150 {
        return Err(Error::BadRequest(
            "the username must be 1 to 150 characters long".to_string(),
        ));
    }
    if new.password.is_empty() {
        return Err(Error::BadRequest(
            "the password must not be empty".to_string(),
        ));
    }
    let taken: i64 = users_user::table
        .filter(users_user::username.eq(new.username))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(Error::BadRequest(format!(
            "a user named '{}' already exists",
            new.username
        )));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let hash = passwords::hash(new.password)?;
    diesel::insert_into(users_user::table)
        .values((
            users_user::id.eq(&id),
            users_user::username.eq(new.username),
            users_user::email.eq(new.email),
            users_user::first_name.eq(""),
            users_user::last_name.eq(""),
            users_user::password.eq(&hash),
            users_user::is_superuser.eq(new.superuser),
            users_user::is_staff.eq(new.superuser),
            users_user::is_active.eq(true),
            users_user::date_joined.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(AuthUser {
        id,
        username: new.username.to_string(),
        email: new.email.to_string(),
        is_superuser: new.superuser,
        is_staff: new.superuser,
        is_active: true,
    })
}

/// The active user with `username` and `password`, or `None`.
pub fn authenticate(db: &Database, username: &str, password: &str) -> Result<Option<AuthUser>> {
    // No connection is held while the password is checked: hashing may wait for a slot.
    let row: Option<(AuthUser, String)> = users_user::table
        .filter(users_user::username.eq(username))
        .select((AuthUser::as_select(), users_user::password))
        .first(&mut *db.conn()?)
        .optional()?;
    match row {
        Some((user, hash)) if passwords::verify(password, &hash) && user.is_active => {
            diesel::update(users_user::table.filter(users_user::id.eq(&user.id)))
                .set(users_user::last_login.eq(Some(Utc::now().naive_utc())))
                .execute(&mut *db.conn()?)?;
            Ok(Some(user))
        }
        Some(_) => Ok(None),
        None => {
            // Spend the same time as a real check so that usernames cannot be probed.
            passwords::verify(password, passwords::decoy_hash());
            Ok(None)
        }
    }
}

/// The user named `username`.
pub fn by_username(conn: &mut DbConnection, username: &str) -> Result<Option<AuthUser>> {
    Ok(users_user::table
        .filter(users_user::username.eq(username))
        .select(AuthUser::as_select())
        .first(conn)
        .optional()?)
}

/// What the admin's user form sets: every editable attribute and the group membership.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// The login name.
    pub username: String,
    /// E-mail address (may be empty).
    pub email: String,
    /// A new password in clear; `None` keeps the current one (required to create).
    pub password: Option<String>,
    /// Holds every permission.
    pub is_superuser: bool,
    /// May use the admin pages.
    pub is_staff: bool,
    /// May log in and use tokens.
    pub is_active: bool,
    /// The ids of every group the user belongs to (the complete membership).
    pub groups: Vec<String>,
}

/// Every user, by username.
pub fn list(conn: &mut DbConnection) -> Result<Vec<AuthUser>> {
    Ok(users_user::table
        .order(users_user::username.asc())
        .select(AuthUser::as_select())
        .load(conn)?)
}

/// The user with id `id`.
pub fn by_id(conn: &mut DbConnection, id: &str) -> Result<Option<AuthUser>> {
    Ok(users_user::table
        .find(id)
        .select(AuthUser::as_select())
        .first(conn)
        .optional()?)
}

/// The ids of the groups `user_id` belongs to.
pub fn group_ids(conn: &mut DbConnection, user_id: &str) -> Result<Vec<String>> {
    Ok(users_user_groups::table
        .filter(users_user_groups::user_id.eq(user_id))
        .select(users_user_groups::group_id)
        .load(conn)?)
}

/// Whether `username` has the form Django accepts: 1 to 150 letters, digits and `@.+-_`.
pub fn username_error(username: &str) -> Option<&'static str> {
    if username.is_empty() {
        Some("This field is required.")
    } else if username.chars().count() > 150 {
        Some("Ensure this value has at most 150 characters.")
    } else if !username
        .chars()
        .all(|c| c.is_alphanumeric() || "@.+-_".contains(c))
    {
        Some("Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.")
    } else {
        None
    }
}

/// Creates (`id` `None`) or updates the user with `changes`, and sets their groups, in
/// one transaction; returns the user's id. Invalid or conflicting values fail with
/// [`Error::Validation`] naming the fields; a missing user with [`Error::NotFound`].
pub fn save(conn: &mut DbConnection, id: Option<&str>, changes: &UserChanges) -> Result<String> {
    let mut errors = ValidationErrors::new();
    if let Some(message) = username_error(&changes.username) {
        flag(&mut errors, "username", message);
    }
    if !changes.email.is_empty() && !looks_like_email(&changes.email) {
        flag(&mut errors, "email", "Enter a valid email address.");
    }
    let password = changes.password.as_deref().filter(|p| !p.is_empty());
    if id.is_none() && password.is_none() {
        flag(&mut errors, "password", "This field is required.");
    }
    let hash = match password {
        Some(p) if errors.is_empty() => Some(passwords::hash(p)?),
        _ => None,
    };
    let result = conn.transaction(|conn| -> Result<String> {
        if let Some(id) = id {
            if by_id(conn, id)?.is_none() {
                return Err(Error::NotFound("No user with that id exists.".to_string()));
            }
        }
        let taken: i64 = users_user::table
            .filter(users_user::username.eq(&changes.username))
            .filter(users_user::id.ne(id.unwrap_or("")))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            flag(
                &mut errors,
                "username",
                "A user with that username already exists.",
            );
        }
        let known: i64 = users_group::table
            .filter(users_group::id.eq_any(&changes.groups))
            .count()
            .get_result(conn)?;
        if usize::try_from(known).unwrap_or(0) != distinct(&changes.groups).len() {
            flag(
                &mut errors,
                "groups",
                "Select a valid choice. That choice is not one of the available choices.",
            );
        }
        if !errors.is_empty() {
            return Err(Error::Validation(Box::new(std::mem::take(&mut errors))));
        }
        let user_id = match id {
            Some(id) => {
                diesel::update(users_user::table.find(id))
                    .set((
                        users_user::username.eq(&changes.username),
                        users_user::email.eq(&changes.email),
                        users_user::is_superuser.eq(changes.is_superuser),
                        users_user::is_staff.eq(changes.is_staff),
                        users_user::is_active.eq(changes.is_active),
                    ))
                    .execute(conn)?;
                if let Some(hash) = &hash {
                    diesel::update(users_user::table.find(id))
                        .set(users_user::password.eq(hash))
                        .execute(conn)?;
                }
                id.to_string()
            }
            None => {
                let new_id = uuid::Uuid::new_v4().to_string();
                diesel::insert_into(users_user::table)
                    .values((
                        users_user::id.eq(&new_id),
                        users_user::username.eq(&changes.username),
                        users_user::email.eq(&changes.email),
                        users_user::first_name.eq(""),
                        users_user::last_name.eq(""),
                        users_user::password.eq(hash.as_deref().unwrap_or_default()),
                        users_user::is_superuser.eq(changes.is_superuser),
                        users_user::is_staff.eq(changes.is_staff),
                        users_user::is_active.eq(changes.is_active),
                        users_user::date_joined.eq(Utc::now().naive_utc()),
                    ))
                    .execute(conn)?;
                new_id
            }
        };
        diesel::delete(users_user_groups::table.filter(users_user_groups::user_id.eq(&user_id)))
            .execute(conn)?;
        for group_id in distinct(&changes.groups) {
            diesel::insert_into(users_user_groups::table)
                .values((
                    users_user_groups::user_id.eq(&user_id),
                    users_user_groups::group_id.eq(group_id),
                ))
                .execute(conn)?;
        }
        Ok(user_id)
    });
    result.map_err(|e| {
        if is_unique_violation_on(&e, "username") {
            Error::field("username", "A user with that username already exists.")
        } else {
            e
        }
    })
}

/// Deletes the user `id` with their tokens, sessions, memberships and grants, keeping
/// their change log entries (unlinked, with the name they had); `false` if no such user.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<bool> {
    conn.transaction(|conn| -> Result<bool> {
        diesel::delete(users_token::table.filter(users_token::user_id.eq(id))).execute(conn)?;
        diesel::delete(users_session::table.filter(users_session::user_id.eq(id))).execute(conn)?;
        diesel::delete(users_user_groups::table.filter(users_user_groups::user_id.eq(id)))
            .execute(conn)?;
        diesel::delete(
            users_objectpermission_users::table
                .filter(users_objectpermission_users::user_id.eq(id)),
        )
        .execute(conn)?;
        let mut unlink =
            Sql::from("UPDATE extras_objectchange SET user_id = NULL WHERE user_id = ");
        unlink.bind(SqlValue::text(id));
        dynamic::execute(conn, &unlink)?;
        Ok(diesel::delete(users_user::table.find(id)).execute(conn)? > 0)
    })
}

/// A loose e-mail check: something, `@`, a dotted domain, no spaces.
fn looks_like_email(email: &str) -> bool {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// `ids` without repeats, in order.
pub(crate) fn distinct(ids: &[String]) -> Vec<&String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().filter(|id| seen.insert(id.as_str())).collect()
}

/// Adds `message` to the errors of `field`.
pub(crate) fn flag(errors: &mut ValidationErrors, field: &str, message: &str) {
    errors
        .entry(field.to_string())
        .or_default()
        .push(message.to_string());
}

/// Whether `err` is a unique constraint violation on a column named `column` (a write
/// racing the uniqueness check), on either backend.
pub(crate) fn is_unique_violation_on(err: &Error, column: &str) -> bool {
    matches!(err, Error::Database(m)
        if (m.contains("UNIQUE constraint failed") || m.contains("duplicate key value"))
            && m.contains(column))
}
