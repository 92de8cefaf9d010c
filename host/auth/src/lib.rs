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

pub use permissions::{Constraint, Permission, PermissionSet};
pub use users::AuthUser;

/// Who makes a change, for permissions, validators and the change log.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, if a user acts.
    pub user: Option<nautobot_plugin_abi::User>,
    /// The request (or job) the change belongs to.
    pub request_id: String,
    /// The requester whose grants' constraints bound the change (see
    /// [`Actor::constraint`]); `None` when the system, or a job, acts.
    pub identity: Option<std::sync::Arc<Identity>>,
}

impl Actor {
    /// A change made by the system itself (data migrations, tests).
    pub fn system() -> Actor {
        Actor {
            user: None,
            request_id: uuid::Uuid::new_v4().to_string(),
            identity: None,
        }
    }

    /// The objects of `model` this actor may `action` (`add`, `change`, `delete`):
    /// what the constraints of its grants reach. Every object when the system acts, for
    /// superusers, and for a change no grant of that action authorises (its handler
    /// authorised it, as a user's own token or password). Loads the requester's
    /// permissions on `conn` if they are not loaded yet.
    pub fn constraint(
        &self,
        conn: &mut nautobot_db::DbConnection,
        model: &str,
        action: &str,
    ) -> nautobot_base::Result<Constraint> {
        let Some(identity) = &self.identity else {
            return Ok(Constraint::All);
        };
        Ok(identity
            .permissions_on(conn)?
            .and_then(|set| set.constraint(model, action))
            .unwrap_or(Constraint::All))
    }
}
