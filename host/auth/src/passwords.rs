//! Password hashing with argon2 (PHC strings in `users_user.password`).
//!
//! Hashing is made slow on purpose, so it runs on a bounded number of threads at once
//! (half the machine's cores, at least one): however many logins arrive together, the
//! other requests keep the rest of the processor.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use nautobot_base::error::{Error, Result};

/// How many hashes may be computed at once.
fn hashing_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| (n.get() / 2).max(1))
        .unwrap_or(1)
}

/// A slot to hash in: waits while every slot is taken.
struct Slot;

static BUSY: parking_lot::Mutex<usize> = parking_lot::Mutex::new(0);
static FREED: parking_lot::Condvar = parking_lot::Condvar::new();

impl Slot {
    fn take() -> Slot {
        let limit = hashing_slots();
        let mut busy = BUSY.lock();
        while *busy >= limit {
            FREED.wait(&mut busy);
        }
        *busy += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *BUSY.lock() -= 1;
        FREED.notify_one();
    }
}

/// Hashes `password` with a fresh salt.
pub fn hash(password: &str) -> Result<String> {
    let _slot = Slot::take();
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the stored `hash`. A malformed hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    let _slot = Slot::take();
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash that matches no password, verified against when the user does not exist so
/// that a failed login takes as long either way.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyMDA"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("s3cret", &h));
        assert!(!verify("s3cret!", &h));
        assert!(!verify("anything", "not a hash"));
        assert!(!verify("anything", decoy_hash()));
    }
}
