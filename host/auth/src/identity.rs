//! [`Identity`]: who is making a request, how they proved it, and what they may do.

use std::sync::OnceLock;

use super::{
    permissions::{Constraint, PermissionSet},
    users::AuthUser,
};
use nautobot_base::error::Result;
use nautobot_db::{Database, DbConnection};

/// How a request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// No credentials.
    Anonymous,
    /// A session cookie from the login page.
    Session,
    /// An API token; `write_enabled` says whether it may change data.
    Token {
        /// Whether the token may be used for unsafe methods.
        write_enabled: bool,
    },
}

/// The requester: a user or nobody, with permissions loaded on first use.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The authenticated user, if any.
    pub user: Option<AuthUser>,
    /// How the user authenticated.
    pub method: AuthMethod,
    /// The stored key of the session the request came with (see
    /// [`sessions::stored_key_of`](super::sessions::stored_key_of)), if any.
    pub session_key: Option<String>,
    permissions: OnceLock<PermissionSet>,
}

impl Identity {
    /// Nobody.
    pub fn anonymous() -> Self {
        Identity {
            user: None,
            method: AuthMethod::Anonymous,
            session_key: None,
            permissions: OnceLock::new(),
        }
    }

    /// `user`, authenticated by `method`.
    pub fn user(user: AuthUser, method: AuthMethod) -> Self {
        let permissions = OnceLock::new();
        if user.is_superuser {
            let _ = permissions.set(PermissionSet::all());
        }
        Identity {
            user: Some(user),
            method,
            session_key: None,
            permissions,
        }
    }

    /// The identity, known to have come with the session stored as `key`.
    pub fn with_session(mut self, key: String) -> Self {
        self.session_key = Some(key);
        self
    }

    /// Whether a user is logged in.
    pub fn is_authenticated(&self) -> bool {
        self.user.is_some()
    }

    /// Whether the requester holds `permission`; loads their permissions from the
    /// database on first use (blocking: call it off the async executor).
    pub fn has_perm(&self, db: &Database, permission: &str) -> Result<bool> {
        Ok(self.permissions(db)?.is_some_and(|set| set.has(permission)))
    }

    /// The requester's permissions (`None` for nobody), loaded from the database on
    /// first use (blocking).
    pub fn permissions(&self, db: &Database) -> Result<Option<&PermissionSet>> {
        if self.user.is_none() {
            return Ok(None);
        }
        if let Some(set) = self.permissions.get() {
            return Ok(Some(set));
        }
        let mut conn = db.conn()?;
        self.permissions_on(&mut conn)
    }

    /// [`permissions`](Identity::permissions), loaded on `conn` if not yet loaded (inside
    /// a write's transaction, without a second connection).
    pub fn permissions_on(&self, conn: &mut DbConnection) -> Result<Option<&PermissionSet>> {
        let Some(user) = &self.user else {
            return Ok(None);
        };
        if let Some(set) = self.permissions.get() {
            return Ok(Some(set));
        }
        let set = PermissionSet::load(conn, &user.id)?;
        Ok(Some(self.permissions.get_or_init(|| set)))
    }

    /// The objects of `model` (`dcim.location`) the requester's grants let them
    /// `action`: `None` without a grant (see [`PermissionSet::constraint`]).
    pub fn constraint(
        &self,
        db: &Database,
        model: &str,
        action: &str,
    ) -> Result<Option<Constraint>> {
        Ok(self
            .permissions(db)?
            .and_then(|set| set.constraint(model, action)))
    }

    /// Whether the requester holds every one of `permissions`.
    pub fn has_perms(&self, db: &Database, permissions: &[String]) -> Result<bool> {
        for permission in permissions {
            if !self.has_perm(db, permission)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The user as plugins see it.
    pub fn plugin_user(&self) -> Option<nautobot_plugin_abi::User> {
        self.user.as_ref().map(|u| nautobot_plugin_abi::User {
            id: u.id.clone(),
            username: u.username.clone(),
            is_superuser: u.is_superuser,
            is_staff: u.is_staff,
        })
    }
}
