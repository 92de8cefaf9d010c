//! API tokens (`Authorization: Token <key>`).

use chrono::Utc;
use diesel::prelude::*;
use rand::RngCore;

use super::users::AuthUser;
use nautobot_base::error::{Error, Result};
use nautobot_db::{
    schema::{users_token, users_user},
    DbConnection,
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
    // Expiry is compared here, not in SQL: on SQLite the model layer (the API, the UI)
    // and diesel write times in different text forms, which do not compare as times.
    let found: Option<(AuthUser, bool, Option<chrono::NaiveDateTime>)> = users_token::table
        .inner_join(users_user::table)
        .filter(users_token::key.eq(key.to_ascii_lowercase()))
        .filter(users_user::is_active.eq(true))
        .select((
            AuthUser::as_select(),
            users_token::write_enabled,
            users_token::expires,
        ))
        .first(conn)
        .optional()?;
    Ok(found
        .filter(|(_, _, expires)| expires.is_none_or(|e| e > now))
        .map(|(user, write_enabled, _)| (user, write_enabled)))
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
