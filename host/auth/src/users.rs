//! Users: creation, lookup and password authentication.

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;

use super::passwords;
use nautobot_base::error::{Error, Result};
use nautobot_db::{schema::users_user, Database, DbConnection};

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

/// The user with id `id`.
pub fn by_id(conn: &mut DbConnection, id: &str) -> Result<Option<AuthUser>> {
    Ok(users_user::table
        .find(id)
        .select(AuthUser::as_select())
        .first(conn)
        .optional()?)
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

/// A loose e-mail check (the user model's `email`): something, `@`, a dotted domain, no spaces.
pub fn looks_like_email(email: &str) -> bool {
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
