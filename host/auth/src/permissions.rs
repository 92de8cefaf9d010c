//! Permissions in Nautobot's form (`app_label.action_model`) and the set a user holds
//! through object permissions granted to them or to their groups, with each grant's
//! constraints: which objects of the model the grant reaches ([`Constraint`]).

use std::collections::HashMap;

use diesel::prelude::*;

use nautobot_base::error::Result;
use nautobot_db::{schema::*, DbConnection};
use serde_json::{Map, Value};

/// The token a constraint value may use for the requesting user (replaced by the user's
/// id), as Nautobot's `CONSTRAINT_TOKEN_USER`.
pub const USER_TOKEN: &str = "$user";

/// Which objects of a model a user may reach with one action: the union of the
/// constraints of every object permission granting it, as Nautobot's
/// `qs_filter_from_constraints` builds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// Every object: a grant without constraints (`null`, `{}`, `[]` or a list holding
    /// `{}`), a superuser, or a view exempted by `EXEMPT_VIEW_PERMISSIONS`.
    All,
    /// The objects matching any of these sets of lookups (`{"location__name": "X"}`:
    /// lookups AND-ed within a set, sets OR-ed), with [`USER_TOKEN`] already replaced.
    /// An empty list reaches nothing.
    Any(Vec<Map<String, Value>>),
}

impl Constraint {
    /// Nothing at all (no grant).
    pub fn none() -> Constraint {
        Constraint::Any(Vec::new())
    }

    /// Whether every object is reached.
    pub fn is_all(&self) -> bool {
        matches!(self, Constraint::All)
    }

    /// The constraint of one permission's stored `constraints` (a JSON object, a list of
    /// objects, or nothing), with [`USER_TOKEN`] replaced by `user_id`. Anything else
    /// (text that is not JSON, a number) reaches nothing, so that a damaged row never
    /// widens a grant.
    pub fn parse(stored: Option<&str>, user_id: &str) -> Constraint {
        let value = match stored.map(str::trim) {
            None | Some("") => return Constraint::All,
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(v) => v,
                Err(_) => return Constraint::none(),
            },
        };
        Constraint::from_value(&value, user_id)
    }

    /// [`parse`](Constraint::parse) of a JSON value.
    pub fn from_value(value: &Value, user_id: &str) -> Constraint {
        let sets: Vec<&Value> = match value {
            Value::Null => return Constraint::All,
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        if sets.is_empty() {
            return Constraint::All;
        }
        let mut out = Vec::with_capacity(sets.len());
        for set in sets {
            match set {
                Value::Null => return Constraint::All,
                Value::Object(lookups) if lookups.is_empty() => return Constraint::All,
                Value::Object(lookups) => out.push(
                    lookups
                        .iter()
                        .map(|(k, v)| (k.clone(), replace_user(v, user_id)))
                        .collect(),
                ),
                _ => return Constraint::none(),
            }
        }
        Constraint::Any(out)
    }

    /// The union of two constraints (two grants of the same action).
    pub fn or(self, other: Constraint) -> Constraint {
        match (self, other) {
            (Constraint::All, _) | (_, Constraint::All) => Constraint::All,
            (Constraint::Any(mut a), Constraint::Any(b)) => {
                for set in b {
                    if !a.contains(&set) {
                        a.push(set);
                    }
                }
                Constraint::Any(a)
            }
        }
    }
}

fn replace_user(value: &Value, user_id: &str) -> Value {
    match value {
        Value::String(s) if s == USER_TOKEN => Value::String(user_id.to_string()),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| match v {
                    Value::String(s) if s == USER_TOKEN => Value::String(user_id.to_string()),
                    other => other.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

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

/// The permissions one user holds: for each (object type, action) granted, the
/// objects the grants reach.
#[derive(Debug, Clone, Default)]
pub struct PermissionSet {
    superuser: bool,
    grants: HashMap<(String, String), Constraint>,
}

impl PermissionSet {
    /// The set of a superuser: everything.
    pub fn all() -> Self {
        PermissionSet {
            superuser: true,
            grants: HashMap::new(),
        }
    }

    /// Loads the enabled object permissions granted to `user_id` or to a group of theirs.
    pub fn load(conn: &mut DbConnection, user_id: &str) -> Result<Self> {
        // One statement: the permissions granted to the user or to a group of theirs.
        let direct = users_objectpermission_users::table
            .filter(users_objectpermission_users::user_id.eq(user_id))
            .select(users_objectpermission_users::objectpermission_id);
        let groups = users_user_groups::table
            .filter(users_user_groups::user_id.eq(user_id))
            .select(users_user_groups::group_id);
        let via_groups = users_objectpermission_groups::table
            .filter(users_objectpermission_groups::group_id.eq_any(groups))
            .select(users_objectpermission_groups::objectpermission_id);
        let rows: Vec<(String, String, Option<String>)> = users_objectpermission::table
            .filter(users_objectpermission::enabled.eq(true))
            .filter(
                users_objectpermission::id
                    .eq_any(direct)
                    .or(users_objectpermission::id.eq_any(via_groups)),
            )
            .select((
                users_objectpermission::object_types,
                users_objectpermission::actions,
                users_objectpermission::constraints,
            ))
            .load(conn)?;
        let mut grants: HashMap<(String, String), Constraint> = HashMap::new();
        for (object_types, actions, constraints) in rows {
            let object_types: Vec<String> = serde_json::from_str(&object_types).unwrap_or_default();
            let actions: Vec<String> = serde_json::from_str(&actions).unwrap_or_default();
            let constraint = Constraint::parse(constraints.as_deref(), user_id);
            for object_type in &object_types {
                for action in &actions {
                    let key = (object_type.clone(), action.clone());
                    let merged = match grants.remove(&key) {
                        Some(held) => held.or(constraint.clone()),
                        None => constraint.clone(),
                    };
                    grants.insert(key, merged);
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
            Some(p) => self.grants.contains_key(&(p.object_type(), p.action)),
            None => false,
        }
    }

    /// The objects of `object_type` (`dcim.location`) the set reaches with `action`:
    /// `None` without a grant, [`Constraint::All`] for a superuser.
    pub fn constraint(&self, object_type: &str, action: &str) -> Option<Constraint> {
        if self.superuser {
            return Some(Constraint::All);
        }
        self.grants
            .get(&(object_type.to_string(), action.to_string()))
            .cloned()
    }

    /// Whether the set belongs to a superuser.
    pub fn is_superuser(&self) -> bool {
        self.superuser
    }

    /// A set from explicit unconstrained grants (object type, action), for tests and tools.
    pub fn from_grants<I: IntoIterator<Item = (String, String)>>(grants: I) -> Self {
        PermissionSet {
            superuser: false,
            grants: grants
                .into_iter()
                .map(|grant| (grant, Constraint::All))
                .collect(),
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

/// The objects of `model` (`dcim.location`) `identity` may `action`: `None` when it may
/// not at all, else what its grants' constraints reach (every object for superusers and
/// exempt views; see [`can`] for who may). Blocking: call it off the async executor.
pub fn scope(
    identity: &super::Identity,
    db: &nautobot_db::Database,
    settings: &nautobot_config::Settings,
    model: &str,
    action: &str,
) -> Result<Option<Constraint>> {
    if exempt(identity, settings, model, action) {
        return Ok(Some(Constraint::All));
    }
    if model.split_once('.').is_none() {
        return Ok(None);
    }
    identity.constraint(db, model, action)
}

/// [`scope`], reaching nothing when `identity` may not `action` objects of `model` at all:
/// what reads that have already checked the permission (or answer empty without it)
/// narrow their queries to.
pub fn reach(
    identity: &super::Identity,
    db: &nautobot_db::Database,
    settings: &nautobot_config::Settings,
    model: &str,
    action: &str,
) -> Result<Constraint> {
    Ok(scope(identity, db, settings, model, action)?.unwrap_or_else(Constraint::none))
}

/// Whether viewing `model` needs no permission (`EXEMPT_VIEW_PERMISSIONS`).
fn exempt(
    identity: &super::Identity,
    settings: &nautobot_config::Settings,
    model: &str,
    action: &str,
) -> bool {
    // As Nautobot's EXEMPT_EXCLUDE_MODELS: `"*"` never exempts users, groups, tokens
    // and permissions; only naming one does.
    let everything = !model.starts_with("users.");
    action == "view"
        && settings
            .exempt_view_permissions
            .iter()
            .any(|m| (m == "*" && everything) || m == model)
        && (identity.is_authenticated() || !settings.login_required)
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
    if exempt(identity, settings, model, action) {
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

    #[test]
    fn constraints_read_as_nautobot_reads_them() {
        use serde_json::json;
        for unconstrained in [
            None,
            Some(""),
            Some("null"),
            Some("{}"),
            Some("[]"),
            Some("[{\"a\": 1}, {}]"),
        ] {
            assert_eq!(
                Constraint::parse(unconstrained, "u"),
                Constraint::All,
                "{unconstrained:?}"
            );
        }
        let one = Constraint::parse(Some(r#"{"name": "SP-IN", "owner": "$user"}"#), "u1");
        let Constraint::Any(sets) = &one else {
            panic!("{one:?}")
        };
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0]["owner"], json!("u1"));
        assert_eq!(sets[0]["name"], json!("SP-IN"));
        let listed = Constraint::parse(Some(r#"[{"a": 1}, {"b": ["$user", "x"]}]"#), "u2");
        let Constraint::Any(sets) = &listed else {
            panic!("{listed:?}")
        };
        assert_eq!(sets[1]["b"], json!(["u2", "x"]));
        // Damaged rows reach nothing rather than everything.
        assert_eq!(Constraint::parse(Some("not json"), "u"), Constraint::none());
        assert_eq!(Constraint::parse(Some("7"), "u"), Constraint::none());
        // Two grants: the union; an unconstrained one wins.
        assert_eq!(one.clone().or(Constraint::All), Constraint::All);
        let Constraint::Any(both) = one.or(listed) else {
            panic!()
        };
        assert_eq!(both.len(), 3);
    }
}
