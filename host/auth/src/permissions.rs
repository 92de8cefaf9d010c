//! Permissions in Nautobot's form (`app_label.action_model`) and the set a user holds
//! through object permissions granted to them or to their groups.

use std::collections::HashSet;

use diesel::prelude::*;

use nautobot_base::error::Result;
use nautobot_db::{schema::*, DbConnection};

/// A parsed permission name such as `dcim.view_location`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// The app label (`dcim`).
    pub app_label: String,
    /// The action (`view`, `add`, `change`, `delete`, or a custom one).
    pub action: String,
    /// The model name, lower case (`location`).
    pub model: String,
}

impl Permission {
    /// Parses `app_label.action_model`; `None` when malformed.
    pub fn parse(text: &str) -> Option<Permission> {
        let (app_label, rest) = text.split_once('.')?;
        let (action, model) = rest.split_once('_')?;
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if valid(app_label) && valid(action) && valid(model) {
            Some(Permission {
                app_label: app_label.to_string(),
                action: action.to_string(),
                model: model.to_string(),
            })
        } else {
            None
        }
    }

    /// The object type the permission is about (`dcim.location`).
    pub fn object_type(&self) -> String {
        format!("{}.{}", self.app_label, self.model)
    }
}

/// The permissions one user holds.
#[derive(Debug, Clone, Default)]
pub struct PermissionSet {
    superuser: bool,
    grants: HashSet<(String, String)>,
}

impl PermissionSet {
    /// The set of a superuser: everything.
    pub fn all() -> Self {
        PermissionSet {
            superuser: true,
            grants: HashSet::new(),
        }
    }

    /// Loads the enabled object permissions granted to `user_id` or to a group of theirs.
    pub fn load(conn: &mut DbConnection, user_id: &str) -> Result<Self> {
        let direct: Vec<(String, String)> = users_objectpermission::table
            .inner_join(users_objectpermission_users::table)
            .filter(users_objectpermission_users::user_id.eq(user_id))
            .filter(users_objectpermission::enabled.eq(true))
            .select((
                users_objectpermission::object_types,
                users_objectpermission::actions,
            ))
            .load(conn)?;
        let groups = users_user_groups::table
            .filter(users_user_groups::user_id.eq(user_id))
            .select(users_user_groups::group_id);
        let via_groups: Vec<(String, String)> = users_objectpermission::table
            .inner_join(users_objectpermission_groups::table)
            .filter(users_objectpermission_groups::group_id.eq_any(groups))
            .filter(users_objectpermission::enabled.eq(true))
            .select((
                users_objectpermission::object_types,
                users_objectpermission::actions,
            ))
            .load(conn)?;
        let mut grants = HashSet::new();
        for (object_types, actions) in direct.into_iter().chain(via_groups) {
            let object_types: Vec<String> = serde_json::from_str(&object_types).unwrap_or_default();
            let actions: Vec<String> = serde_json::from_str(&actions).unwrap_or_default();
            for object_type in &object_types {
                for action in &actions {
                    grants.insert((object_type.clone(), action.clone()));
                }
            }
        }
        Ok(PermissionSet {
            superuser: false,
            grants,
        })
    }

    /// Whether the set includes `permission` (`app_label.action_model`).
    pub fn has(&self, permission: &str) -> bool {
        if self.superuser {
            return true;
        }
        match Permission::parse(permission) {
            Some(p) => self.grants.contains(&(p.object_type(), p.action)),
            None => false,
        }
    }

    /// A set from explicit grants (object type, action), for tests and tools.
    pub fn from_grants<I: IntoIterator<Item = (String, String)>>(grants: I) -> Self {
        PermissionSet {
            superuser: false,
            grants: grants.into_iter().collect(),
        }
    }
}

/// Grants `permission` to `user_id` through an object permission of its own, named
/// `<username>: <permission>` (what `createuser --permission` does).
pub fn grant(
    conn: &mut DbConnection,
    user_id: &str,
    username: &str,
    permission: &str,
) -> Result<()> {
    let parsed = Permission::parse(permission).ok_or_else(|| {
        nautobot_base::error::Error::BadRequest(format!(
            "'{permission}' is not a permission: expected app_label.action_model, such as dcim.view_location"
        ))
    })?;
    let id = uuid::Uuid::new_v4().to_string();
    conn.transaction(|conn| {
        diesel::insert_into(users_objectpermission::table)
            .values((
                users_objectpermission::id.eq(&id),
                users_objectpermission::name.eq(format!("{username}: {permission}")),
                users_objectpermission::description.eq(""),
                users_objectpermission::enabled.eq(true),
                users_objectpermission::object_types
                    .eq(serde_json::json!([parsed.object_type()]).to_string()),
                users_objectpermission::actions.eq(serde_json::json!([parsed.action]).to_string()),
            ))
            .execute(conn)?;
        diesel::insert_into(users_objectpermission_users::table)
            .values((
                users_objectpermission_users::objectpermission_id.eq(&id),
                users_objectpermission_users::user_id.eq(user_id),
            ))
            .execute(conn)?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// Whether `identity` may perform `action` (`view`, `add`, `change`, `delete`) on objects
/// of `model` (`dcim.location`): superusers may do anything; viewing models listed in
/// `EXEMPT_VIEW_PERMISSIONS` (or every model but the `users` app's with `"*"`) needs only a login, or nothing
/// when `LOGIN_REQUIRED` is off; everything else needs the permission
/// `<app_label>.<action>_<model>` (blocking: call it off the async executor).
pub fn can(
    identity: &super::Identity,
    db: &nautobot_db::Database,
    settings: &nautobot_config::Settings,
    model: &str,
    action: &str,
) -> Result<bool> {
    // As Nautobot's EXEMPT_EXCLUDE_MODELS: `"*"` never exempts users, groups, tokens
    // and permissions; only naming one does.
    let everything = !model.starts_with("users.");
    if action == "view"
        && settings
            .exempt_view_permissions
            .iter()
            .any(|m| (m == "*" && everything) || m == model)
        && (identity.is_authenticated() || !settings.login_required)
    {
        return Ok(true);
    }
    let Some((app, name)) = model.split_once('.') else {
        return Ok(false);
    };
    identity.has_perm(db, &format!("{app}.{action}_{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_parse_like_nautobot() {
        let p = Permission::parse("dcim.view_location").unwrap();
        assert_eq!(p.app_label, "dcim");
        assert_eq!(p.action, "view");
        assert_eq!(p.model, "location");
        assert_eq!(p.object_type(), "dcim.location");
        let p = Permission::parse("example_plugin.view_examplemodel").unwrap();
        assert_eq!(p.object_type(), "example_plugin.examplemodel");
        for bad in [
            "",
            "dcim",
            "dcim.view",
            "dcim.",
            ".view_x",
            "DCIM.view_x",
            "a.b_c d",
        ] {
            assert!(Permission::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_set_holds_its_grants_and_a_superuser_everything() {
        let set = PermissionSet::from_grants([("dcim.location".into(), "view".into())]);
        assert!(set.has("dcim.view_location"));
        assert!(!set.has("dcim.change_location"));
        assert!(!set.has("garbage"));
        assert!(PermissionSet::all().has("anything.at_all"));
    }
}
