//! Sessions stored in the database, so that several servers share them.
//!
//! The cookie carries a random value; the table stores only its HMAC under
//! `SECRET_KEY`, so neither a copy of the table nor a guessed row opens a session.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use super::users::AuthUser;
use nautobot_base::error::Result;
use nautobot_db::{
    schema::{users_session, users_user},
    DbConnection,
};

/// The name of the session cookie (Django's).
pub const COOKIE: &str = "sessionid";

fn stored_key(secret: &str, cookie_value: &str) -> String {
    keyed_hash(secret, "", cookie_value)
}

/// Hex HMAC-SHA256 under `secret` of `purpose` then `cookie_value`: what the session
/// table stores (no purpose) and what a session's CSRF token is (`csrftoken:`).
pub(crate) fn keyed_hash(secret: &str, purpose: &str, cookie_value: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(purpose.as_bytes());
    mac.update(cookie_value.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Opens a session for `user_id` lasting `age_seconds`; returns the cookie value.
pub fn create(
    conn: &mut DbConnection,
    secret: &str,
    user_id: &str,
    age_seconds: u64,
) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let cookie: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let now = Utc::now().naive_utc();
    let age = Duration::seconds(
        i64::try_from(age_seconds)
            .unwrap_or(i64::MAX / 1000)
            .min(3_153_600_000),
    );
    // Expired sessions are cleared as new ones open, so the table does not grow.
    diesel::delete(users_session::table.filter(users_session::expire_date.lt(now)))
        .execute(conn)?;
    diesel::insert_into(users_session::table)
        .values((
            users_session::session_key.eq(stored_key(secret, &cookie)),
            users_session::user_id.eq(user_id),
            users_session::created.eq(now),
            users_session::expire_date.eq(now + age),
        ))
        .execute(conn)?;
    Ok(cookie)
}

/// The active user of the unexpired session behind `cookie_value`.
pub fn lookup(
    conn: &mut DbConnection,
    secret: &str,
    cookie_value: &str,
) -> Result<Option<AuthUser>> {
    if cookie_value.len() != 64 || !cookie_value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(users_session::table
        .inner_join(users_user::table)
        .filter(users_session::session_key.eq(stored_key(secret, cookie_value)))
        .filter(users_session::expire_date.gt(Utc::now().naive_utc()))
        .filter(users_user::is_active.eq(true))
        .select(AuthUser::as_select())
        .first(conn)
        .optional()?)
}

/// What the session table stores for the session behind `cookie_value` (to tell that
/// session from the user's others).
pub fn stored_key_of(secret: &str, cookie_value: &str) -> String {
    stored_key(secret, cookie_value)
}

/// Ends every session of `user_id` but the one stored as `keep` (the session that
/// changed the password stays open; the user's API tokens are untouched).
pub fn end_others(conn: &mut DbConnection, user_id: &str, keep: Option<&str>) -> Result<usize> {
    let theirs = users_session::table.filter(users_session::user_id.eq(user_id));
    Ok(match keep {
        Some(keep) => {
            diesel::delete(theirs.filter(users_session::session_key.ne(keep))).execute(conn)?
        }
        None => diesel::delete(theirs).execute(conn)?,
    })
}

/// Ends the session behind `cookie_value`.
pub fn delete(conn: &mut DbConnection, secret: &str, cookie_value: &str) -> Result<()> {
    diesel::delete(
        users_session::table
            .filter(users_session::session_key.eq(stored_key(secret, cookie_value))),
    )
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_key_depends_on_the_secret() {
        let a = stored_key("one", "cookie");
        assert_eq!(a.len(), 64);
        assert_eq!(a, stored_key("one", "cookie"));
        assert_ne!(a, stored_key("two", "cookie"));
    }
}
