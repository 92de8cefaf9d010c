//! Permissions in Nautobot's form (`app_label.action_model`) and the set a user holds
//! through object permissions granted to them or to their groups.

use std::collections::HashSet;

use diesel::prelude::*;

use crate::{
    db::{schema::*, DbConnection},
    error::Result,
};

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
        crate::error::Error::BadRequest(format!(
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

/// Whether `identity` may perform `action` (`view`, `add`, `change`, `delete`) on objects
/// of `model` (`dcim.location`): superusers may do anything; viewing models listed in
/// `EXEMPT_VIEW_PERMISSIONS` (or every model with `"*"`) needs only a login, or nothing
/// when `LOGIN_REQUIRED` is off; everything else needs the permission
/// `<app_label>.<action>_<model>` (blocking: call it off the async executor).
pub fn can(
    identity: &super::Identity,
    db: &crate::db::Database,
    settings: &crate::config::Settings,
    model: &str,
    action: &str,
) -> Result<bool> {
    if action == "view"
        && settings
            .exempt_view_permissions
            .iter()
            .any(|m| m == "*" || m == model)
        && (identity.is_authenticated() || !settings.login_required)
    {
        return Ok(true);
    }
    let Some((app, name)) = model.split_once('.') else {
        return Ok(false);
    };
    identity.has_perm(db, &format!("{app}.{action}_{name}"))
}

/// The actions an object permission can grant: the standard four, and `run` (jobs:
/// `extras.run_job`).
pub const STANDARD_ACTIONS: [&str; 5] = ["view", "add", "change", "delete", "run"];

/// An object permission as the admin shows and edits it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ObjectPermission {
    /// Its UUID.
    pub id: String,
    /// Its unique name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Disabled permissions grant nothing.
    pub enabled: bool,
    /// Model labels (`dcim.location`).
    pub object_types: Vec<String>,
    /// Actions (`view`, `add`, …).
    pub actions: Vec<String>,
    /// Ids of the users it is granted to.
    pub users: Vec<String>,
    /// Ids of the groups it is granted to.
    pub groups: Vec<String>,
}

/// What the admin's object permission form sets.
#[derive(Debug, Clone, Default)]
pub struct ObjectPermissionChanges {
    /// The unique name, at most 100 characters.
    pub name: String,
    /// Free text, at most 200 characters.
    pub description: String,
    /// Whether it grants anything.
    pub enabled: bool,
    /// Model labels; at least one.
    pub object_types: Vec<String>,
    /// Actions; at least one.
    pub actions: Vec<String>,
    /// Ids of the users it is granted to.
    pub users: Vec<String>,
    /// Ids of the groups it is granted to.
    pub groups: Vec<String>,
}

type ObjectPermissionRow = (String, String, String, bool, String, String);

/// (object permission id, user or group id) pairs.
type Links = Vec<(String, String)>;

fn load_links(conn: &mut DbConnection, id: Option<&str>) -> Result<(Links, Links)> {
    let mut users = users_objectpermission_users::table
        .select((
            users_objectpermission_users::objectpermission_id,
            users_objectpermission_users::user_id,
        ))
        .into_boxed();
    let mut groups = users_objectpermission_groups::table
        .select((
            users_objectpermission_groups::objectpermission_id,
            users_objectpermission_groups::group_id,
        ))
        .into_boxed();
    if let Some(id) = id {
        users = users.filter(users_objectpermission_users::objectpermission_id.eq(id));
        groups = groups.filter(users_objectpermission_groups::objectpermission_id.eq(id));
    }
    Ok((users.load(conn)?, groups.load(conn)?))
}

fn object_permissions(conn: &mut DbConnection, id: Option<&str>) -> Result<Vec<ObjectPermission>> {
    let mut query = users_objectpermission::table
        .order(users_objectpermission::name.asc())
        .select((
            users_objectpermission::id,
            users_objectpermission::name,
            users_objectpermission::description,
            users_objectpermission::enabled,
            users_objectpermission::object_types,
            users_objectpermission::actions,
        ))
        .into_boxed();
    if let Some(id) = id {
        query = query.filter(users_objectpermission::id.eq(id));
    }
    let rows: Vec<ObjectPermissionRow> = query.load(conn)?;
    let (user_links, group_links) = load_links(conn, id)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, description, enabled, object_types, actions)| {
            let linked = |links: &[(String, String)]| -> Vec<String> {
                links
                    .iter()
                    .filter(|(p, _)| *p == id)
                    .map(|(_, other)| other.clone())
                    .collect()
            };
            ObjectPermission {
                users: linked(&user_links),
                groups: linked(&group_links),
                object_types: serde_json::from_str(&object_types).unwrap_or_default(),
                actions: serde_json::from_str(&actions).unwrap_or_default(),
                id,
                name,
                description,
                enabled,
            }
        })
        .collect())
}

/// Every object permission, by name, with its users and groups.
pub fn list_object_permissions(conn: &mut DbConnection) -> Result<Vec<ObjectPermission>> {
    object_permissions(conn, None)
}

/// The object permission with id `id`.
pub fn object_permission(conn: &mut DbConnection, id: &str) -> Result<Option<ObjectPermission>> {
    Ok(object_permissions(conn, Some(id))?.into_iter().next())
}

/// Creates (`id` `None`) or updates an object permission with `changes` and sets its
/// users and groups, in one transaction; returns its id. Object types must be among
/// `known_types`. Invalid or conflicting values fail with [`crate::error::Error::Validation`]
/// naming the fields; a missing permission with [`crate::error::Error::NotFound`].
pub fn save_object_permission(
    conn: &mut DbConnection,
    id: Option<&str>,
    changes: &ObjectPermissionChanges,
    known_types: &[String],
) -> Result<String> {
    use super::users::{distinct, flag, is_unique_violation_on};
    use crate::error::{Error, ValidationErrors};

    let mut errors = ValidationErrors::new();
    let invalid_choice = "Select a valid choice. That choice is not one of the available choices.";
    if changes.name.is_empty() {
        flag(&mut errors, "name", "This field is required.");
    } else if changes.name.chars().count() > 100 {
        flag(
            &mut errors,
            "name",
            "Ensure this value has at most 100 characters.",
        );
    }
    if changes.description.chars().count() > 200 {
        flag(
            &mut errors,
            "description",
            "Ensure this value has at most 200 characters.",
        );
    }
    let object_types = distinct(&changes.object_types);
    if object_types.is_empty() {
        flag(&mut errors, "object_types", "This field is required.");
    } else if let Some(bad) = object_types
        .iter()
        .find(|t| !known_types.iter().any(|k| k == **t))
    {
        flag(
            &mut errors,
            "object_types",
            &format!("Select a valid choice. {bad} is not one of the available choices."),
        );
    }
    let actions = distinct(&changes.actions);
    let valid_action = |a: &str| {
        !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if actions.is_empty() {
        flag(
            &mut errors,
            "actions",
            "At least one action must be specified.",
        );
    } else if actions.iter().any(|a| !valid_action(a)) {
        flag(&mut errors, "actions", invalid_choice);
    }
    let users = distinct(&changes.users);
    let groups = distinct(&changes.groups);
    let result = conn.transaction(|conn| -> Result<String> {
        if let Some(id) = id {
            let found: i64 = users_objectpermission::table
                .filter(users_objectpermission::id.eq(id))
                .count()
                .get_result(conn)?;
            if found == 0 {
                return Err(Error::NotFound(
                    "No object permission with that id exists.".to_string(),
                ));
            }
        }
        let taken: i64 = users_objectpermission::table
            .filter(users_objectpermission::name.eq(&changes.name))
            .filter(users_objectpermission::id.ne(id.unwrap_or("")))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            flag(
                &mut errors,
                "name",
                "An object permission with that name already exists.",
            );
        }
        let known_users: i64 = users_user::table
            .filter(users_user::id.eq_any(&changes.users))
            .count()
            .get_result(conn)?;
        if usize::try_from(known_users).unwrap_or(0) != users.len() {
            flag(&mut errors, "users", invalid_choice);
        }
        let known_groups: i64 = users_group::table
            .filter(users_group::id.eq_any(&changes.groups))
            .count()
            .get_result(conn)?;
        if usize::try_from(known_groups).unwrap_or(0) != groups.len() {
            flag(&mut errors, "groups", invalid_choice);
        }
        if !errors.is_empty() {
            return Err(Error::Validation(Box::new(std::mem::take(&mut errors))));
        }
        let types_json =
            serde_json::to_string(&object_types).map_err(|e| Error::Internal(e.to_string()))?;
        let actions_json =
            serde_json::to_string(&actions).map_err(|e| Error::Internal(e.to_string()))?;
        let permission_id = match id {
            Some(id) => {
                diesel::update(users_objectpermission::table.find(id))
                    .set((
                        users_objectpermission::name.eq(&changes.name),
                        users_objectpermission::description.eq(&changes.description),
                        users_objectpermission::enabled.eq(changes.enabled),
                        users_objectpermission::object_types.eq(&types_json),
                        users_objectpermission::actions.eq(&actions_json),
                    ))
                    .execute(conn)?;
                id.to_string()
            }
            None => {
                let new_id = uuid::Uuid::new_v4().to_string();
                diesel::insert_into(users_objectpermission::table)
                    .values((
                        users_objectpermission::id.eq(&new_id),
                        users_objectpermission::name.eq(&changes.name),
                        users_objectpermission::description.eq(&changes.description),
                        users_objectpermission::enabled.eq(changes.enabled),
                        users_objectpermission::object_types.eq(&types_json),
                        users_objectpermission::actions.eq(&actions_json),
                    ))
                    .execute(conn)?;
                new_id
            }
        };
        diesel::delete(
            users_objectpermission_users::table
                .filter(users_objectpermission_users::objectpermission_id.eq(&permission_id)),
        )
        .execute(conn)?;
        for user_id in &users {
            diesel::insert_into(users_objectpermission_users::table)
                .values((
                    users_objectpermission_users::objectpermission_id.eq(&permission_id),
                    users_objectpermission_users::user_id.eq(*user_id),
                ))
                .execute(conn)?;
        }
        diesel::delete(
            users_objectpermission_groups::table
                .filter(users_objectpermission_groups::objectpermission_id.eq(&permission_id)),
        )
        .execute(conn)?;
        for group_id in &groups {
            diesel::insert_into(users_objectpermission_groups::table)
                .values((
                    users_objectpermission_groups::objectpermission_id.eq(&permission_id),
                    users_objectpermission_groups::group_id.eq(*group_id),
                ))
                .execute(conn)?;
        }
        Ok(permission_id)
    });
    result.map_err(|e| {
        if is_unique_violation_on(&e, "name") {
            Error::field(
                "name",
                "An object permission with that name already exists.",
            )
        } else {
            e
        }
    })
}

/// Deletes the object permission `id` with its grants; `false` if there is none.
pub fn delete_object_permission(conn: &mut DbConnection, id: &str) -> Result<bool> {
    conn.transaction(|conn| -> Result<bool> {
        diesel::delete(
            users_objectpermission_users::table
                .filter(users_objectpermission_users::objectpermission_id.eq(id)),
        )
        .execute(conn)?;
        diesel::delete(
            users_objectpermission_groups::table
                .filter(users_objectpermission_groups::objectpermission_id.eq(id)),
        )
        .execute(conn)?;
        Ok(diesel::delete(users_objectpermission::table.find(id)).execute(conn)? > 0)
    })
}
