//! [`Identity`]: who is making a request, how they proved it, and what they may do.

use std::sync::OnceLock;

use super::{permissions::PermissionSet, users::AuthUser};
use nautobot_base::error::Result;
use nautobot_db::Database;

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
#[derive(Debug)]
pub struct Identity {
    /// The authenticated user, if any.
    pub user: Option<AuthUser>,
    /// How the user authenticated.
    pub method: AuthMethod,
    permissions: OnceLock<PermissionSet>,
}

impl Identity {
    /// Nobody.
    pub fn anonymous() -> Self {
        Identity {
            user: None,
            method: AuthMethod::Anonymous,
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
            permissions,
        }
    }

    /// Whether a user is logged in.
    pub fn is_authenticated(&self) -> bool {
        self.user.is_some()
    }

    /// Whether the requester holds `permission`; loads their permissions from the
    /// database on first use (blocking: call it off the async executor).
    pub fn has_perm(&self, db: &Database, permission: &str) -> Result<bool> {
        let Some(user) = &self.user else {
            return Ok(false);
        };
        if let Some(set) = self.permissions.get() {
            return Ok(set.has(permission));
        }
        let mut conn = db.conn()?;
        let set = PermissionSet::load(&mut conn, &user.id)?;
        Ok(self.permissions.get_or_init(|| set).has(permission))
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
