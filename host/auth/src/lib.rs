//! Authentication and authorisation: users and argon2 passwords, database sessions,
//! API tokens, Nautobot-style object permissions, and CSRF tokens.

pub mod csrf;
pub mod identity;
pub mod models;
pub mod passwords;
pub mod permissions;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use identity::{AuthMethod, Identity};
pub use nautobot_schema::Row;

pub use permissions::{Permission, PermissionSet};
pub use users::AuthUser;

/// Who makes a change, for permissions, validators and the change log.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, if a user acts.
    pub user: Option<nautobot_plugin_abi::User>,
    /// The request (or job) the change belongs to.
    pub request_id: String,
}

impl Actor {
    /// A change made by the system itself (data migrations, tests).
    pub fn system() -> Actor {
        Actor {
            user: None,
            request_id: uuid::Uuid::new_v4().to_string(),
        }
    }
}
