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
pub use permissions::{Permission, PermissionSet};
pub use users::AuthUser;
