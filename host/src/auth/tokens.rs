//! API tokens (`Authorization: Token <key>`).

use chrono::Utc;
use diesel::prelude::*;
use rand::RngCore;

use super::users::AuthUser;
use crate::{
    db::{
        schema::{users_token, users_user},
        DbConnection,
    },
    error::{Error, Result},
};

/// A fresh 40-character hexadecimal key, as Nautobot issues.
pub fn generate_key() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `key` has the form of a token key (hexadecimal, 40 characters).
pub fn is_valid_key(key: &str) -> bool {
    key.len() == 40 && key.chars().all(|c| c.is_ascii_hexdigit())
}

/// Creates a token for `user_id` with `key` (or a fresh one) and returns the key.
pub fn create(
    conn: &mut DbConnection,
    user_id: &str,
    key: Option<&str>,
    write_enabled: bool,
) -> Result<String> {
    let key = match key {
        Some(k) if is_valid_key(k) => k.to_ascii_lowercase(),
        Some(k) => {
            return Err(Error::BadRequest(format!(
                "a token key must be 40 hexadecimal characters, found {} characters",
                k.len()
            )))
        }
        None => generate_key(),
    };
    diesel::insert_into(users_token::table)
        .values((
            users_token::id.eq(uuid::Uuid::new_v4().to_string()),
            users_token::user_id.eq(user_id),
            users_token::key.eq(&key),
            users_token::created.eq(Utc::now().naive_utc()),
            users_token::write_enabled.eq(write_enabled),
            users_token::description.eq(""),
        ))
        .execute(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => Error::BadRequest("that token key is already in use".to_string()),
            other => other.into(),
        })?;
    Ok(key)
}

/// The active user owning the unexpired token `key`, with the token's write permission.
pub fn lookup(conn: &mut DbConnection, key: &str) -> Result<Option<(AuthUser, bool)>> {
    if !is_valid_key(key) {
        return Ok(None);
    }
    let now = Utc::now().naive_utc();
    Ok(users_token::table
        .inner_join(users_user::table)
        .filter(users_token::key.eq(key.to_ascii_lowercase()))
        .filter(
            users_token::expires
                .is_null()
                .or(users_token::expires.gt(now)),
        )
        .filter(users_user::is_active.eq(true))
        .select((AuthUser::as_select(), users_token::write_enabled))
        .first(conn)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_forty_hex_characters() {
        let key = generate_key();
        assert!(is_valid_key(&key), "{key}");
        assert_ne!(key, generate_key());
        assert!(!is_valid_key("short"));
        assert!(!is_valid_key(&"g".repeat(40)));
    }
}

/// A token as the admin lists it, with its owner's username.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    /// The token's UUID.
    pub id: String,
    /// The owner's id.
    pub user_id: String,
    /// The owner's username.
    pub username: String,
    /// The key (a secret: show it masked).
    pub key: String,
    /// When it was created (UTC).
    pub created: chrono::NaiveDateTime,
    /// When it stops working (UTC), if ever.
    pub expires: Option<chrono::NaiveDateTime>,
    /// Whether it may be used for unsafe methods.
    pub write_enabled: bool,
    /// Free text.
    pub description: String,
}

/// What the admin's token form sets.
#[derive(Debug, Clone, Default)]
pub struct NewToken {
    /// The owner's id.
    pub user_id: String,
    /// The key; `None` generates one.
    pub key: Option<String>,
    /// Whether it may be used for unsafe methods.
    pub write_enabled: bool,
    /// When it stops working (UTC), if ever.
    pub expires: Option<chrono::NaiveDateTime>,
    /// Free text, at most 200 characters.
    pub description: String,
}

type TokenColumns = (
    users_token::id,
    users_token::user_id,
    users_user::username,
    users_token::key,
    users_token::created,
    users_token::expires,
    users_token::write_enabled,
    users_token::description,
);

const TOKEN_COLUMNS: TokenColumns = (
    users_token::id,
    users_token::user_id,
    users_user::username,
    users_token::key,
    users_token::created,
    users_token::expires,
    users_token::write_enabled,
    users_token::description,
);

type TokenRow = (
    String,
    String,
    String,
    String,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
    bool,
    String,
);

fn token_info(row: TokenRow) -> TokenInfo {
    let (id, user_id, username, key, created, expires, write_enabled, description) = row;
    TokenInfo {
        id,
        user_id,
        username,
        key,
        created,
        expires,
        write_enabled,
        description,
    }
}

/// Every token, by owner and then newest first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<TokenInfo>> {
    let rows: Vec<TokenRow> = users_token::table
        .inner_join(users_user::table)
        .order((users_user::username.asc(), users_token::created.desc()))
        .select(TOKEN_COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(token_info).collect())
}

/// The token with id `id`.
pub fn by_id(conn: &mut DbConnection, id: &str) -> Result<Option<TokenInfo>> {
    let row: Option<TokenRow> = users_token::table
        .inner_join(users_user::table)
        .filter(users_token::id.eq(id))
        .select(TOKEN_COLUMNS)
        .first(conn)
        .optional()?;
    Ok(row.map(token_info))
}

/// Creates a token from `new` in one transaction and returns its key. Invalid or
/// conflicting values fail with [`Error::Validation`] naming the fields.
pub fn create_token(conn: &mut DbConnection, new: &NewToken) -> Result<String> {
    let mut errors = crate::error::ValidationErrors::new();
    let key = match new.key.as_deref().filter(|k| !k.is_empty()) {
        Some(k) if is_valid_key(k) => k.to_ascii_lowercase(),
        Some(_) => {
            super::users::flag(
                &mut errors,
                "key",
                "A key must be 40 hexadecimal characters (or leave it empty to generate one).",
            );
            String::new()
        }
        None => generate_key(),
    };
    if new.description.chars().count() > 200 {
        super::users::flag(
            &mut errors,
            "description",
            "Ensure this value has at most 200 characters.",
        );
    }
    let taken_message = "A token with this key already exists.";
    let result = conn.transaction(|conn| -> Result<String> {
        let owner: i64 = users_user::table
            .filter(users_user::id.eq(&new.user_id))
            .count()
            .get_result(conn)?;
        if new.user_id.is_empty() {
            super::users::flag(&mut errors, "user", "This field is required.");
        } else if owner == 0 {
            super::users::flag(
                &mut errors,
                "user",
                "Select a valid choice. That choice is not one of the available choices.",
            );
        }
        let taken: i64 = users_token::table
            .filter(users_token::key.eq(&key))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            super::users::flag(&mut errors, "key", taken_message);
        }
        if !errors.is_empty() {
            return Err(Error::Validation(Box::new(std::mem::take(&mut errors))));
        }
        diesel::insert_into(users_token::table)
            .values((
                users_token::id.eq(uuid::Uuid::new_v4().to_string()),
                users_token::user_id.eq(&new.user_id),
                users_token::key.eq(&key),
                users_token::created.eq(Utc::now().naive_utc()),
                users_token::expires.eq(new.expires),
                users_token::write_enabled.eq(new.write_enabled),
                users_token::description.eq(&new.description),
            ))
            .execute(conn)?;
        Ok(key.clone())
    });
    result.map_err(|e| {
        if super::users::is_unique_violation_on(&e, "key") {
            Error::field("key", taken_message)
        } else {
            e
        }
    })
}

/// Deletes the token `id`; `false` if there is none.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<bool> {
    conn.transaction(|conn| -> Result<bool> {
        Ok(diesel::delete(users_token::table.find(id)).execute(conn)? > 0)
    })
}

/// `key` with all but its last four characters hidden.
pub fn masked(key: &str) -> String {
    let shown = key.len().saturating_sub(4);
    match key.get(shown..) {
        Some(tail) => format!("{}{tail}", "*".repeat(shown.min(12))),
        None => "*".repeat(12),
    }
}
