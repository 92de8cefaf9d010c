//! What the model layer does with the rows of the `users` models (declared in
//! `nautobot_schema::users`) that a model schema cannot say on its own:
//!
//! * write-only fields: a user's `password`, hashed with argon2 before it is stored, and
//!   a token's `key`, generated when not given and shown only in the answer that creates
//!   the token (see [`prepare`] and [`SHOWN_ONCE`]);
//! * tokens are their owner's: someone who is not a superuser sees and writes only their
//!   own ([`owner_scope`], [`check_owner`]).

use serde_json::Value;

use super::{passwords, tokens, users, Actor};
use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_schema::{
    users::{PERMISSION, TOKEN, USER},
    Model, Registry, Row,
};

/// Write-only fields shown once, in the answer that creates the object: a token's key.
pub const SHOWN_ONCE: &[(&str, &str)] = &[(TOKEN, "key")];

/// The user whose tokens alone `identity` may see and write, for the token model;
/// `None` (no restriction) for superusers and other models. Nautobot's `TokenViewSet`
/// limits its queryset the same way.
pub fn owner_scope(identity: &super::Identity, model: &Model) -> Option<String> {
    if model.label() != TOKEN {
        return None;
    }
    match &identity.user {
        Some(user) if user.is_superuser => None,
        Some(user) => Some(user.id.clone()),
        // Anonymous requests are refused before they get this far; own nothing.
        None => Some(String::new()),
    }
}

/// Refuses (as not found) a change to a token that is not the acting user's, unless a
/// superuser (or the system) acts.
pub fn check_owner(actor: &Actor, model: &Model, row: &Row) -> Result<()> {
    if model.label() != TOKEN {
        return Ok(());
    }
    match &actor.user {
        Some(user) if !user.is_superuser && string(row, "user") != Some(user.id.as_str()) => {
            Err(Error::NotFound("Not found.".into()))
        }
        _ => Ok(()),
    }
}

/// Refuses a change or delete of a superuser's account by someone who is not a
/// superuser: their password, active flag and groups are theirs and superusers' alone
/// (a user holding `users.change_user` could otherwise take the account over).
pub fn check_superuser_target(actor: &Actor, model: &Model, original: &Row) -> Result<()> {
    if model.label() != USER || original.get("is_superuser") != Some(&Value::Bool(true)) {
        return Ok(());
    }
    match &actor.user {
        Some(user) if !user.is_superuser => Err(Error::PermissionDenied(
            "Only superusers may change or delete a superuser.".into(),
        )),
        _ => Ok(()),
    }
}

/// Whether `identity` may see `row` of `model` (a token only if it is theirs, see
/// [`owner_scope`]).
pub fn may_see(identity: &super::Identity, model: &Model, row: &Row) -> bool {
    match owner_scope(identity, model) {
        Some(owner) => string(row, "user") == Some(owner.as_str()),
        None => true,
    }
}

fn string<'a>(row: &'a Row, field: &str) -> Option<&'a str> {
    row.get(field).and_then(Value::as_str)
}

fn fail(errors: ValidationErrors) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(Box::new(errors)))
    }
}

/// What the model layer does to a cleaned row of a `users` model before it checks and
/// writes it (`original`: the stored row on update): hashes a new password (an empty
/// one keeps the stored password, or on create stores one that matches nothing),
/// generates or checks a token's key and gives the token its owner, checks a
/// permission's object types and actions. Other models are left alone.
pub fn prepare(
    registry: &Registry,
    actor: &Actor,
    model: &Model,
    row: &mut Row,
    original: Option<&Row>,
) -> Result<()> {
    let label = model.label();
    let acting_superuser = actor.user.as_ref().is_none_or(|u| u.is_superuser);
    let mut errors = ValidationErrors::new();
    let mut error = |field: &str, message: &str| {
        errors
            .entry(field.to_string())
            .or_default()
            .push(message.to_string())
    };
    if label == USER {
        if let Some(message) = users::username_error(string(row, "username").unwrap_or("")) {
            error("username", message);
        }
        let email = string(row, "email").unwrap_or("");
        if !email.is_empty() && !users::looks_like_email(email) {
            error("email", "Enter a valid email address.");
        }
        match string(row, "password").filter(|p| !p.is_empty()) {
            Some(password) => {
                let hashed = passwords::hash(password)?;
                row.insert("password".into(), Value::String(hashed));
            }
            None if original.is_none() => {
                // Django's unusable password: no argon2 hash, so nothing verifies.
                row.insert(
                    "password".into(),
                    Value::String(format!("!{}", tokens::generate_key())),
                );
            }
            None => {
                row.remove("password");
            }
        }
        if row.get("date_joined").is_none_or(Value::is_null) {
            row.insert(
                "date_joined".into(),
                Value::String(nautobot_schema::values::now()),
            );
        }
        // Only superusers make superusers and staff.
        if !acting_superuser {
            for flag in ["is_superuser", "is_staff"] {
                let was = original
                    .and_then(|o| o.get(flag))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if row.get(flag).and_then(Value::as_bool).unwrap_or(false) != was {
                    error(flag, "Only superusers may change this.");
                }
            }
            // Nor may one grant oneself more through groups.
            let own = original.is_some_and(|o| {
                string(o, "id").is_some()
                    && string(o, "id") == actor.user.as_ref().map(|u| u.id.as_str())
            });
            if own {
                let sorted = |v: Option<&Value>| {
                    let mut ids: Vec<String> = v
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    ids.sort();
                    ids
                };
                if row.contains_key("groups")
                    && sorted(row.get("groups")) != sorted(original.and_then(|o| o.get("groups")))
                {
                    error("groups", "Only superusers may change their own groups.");
                }
            }
        }
    } else if label == TOKEN {
        match string(row, "key").filter(|k| !k.is_empty()) {
            Some(key) if tokens::is_valid_key(key) => {
                let key = key.to_ascii_lowercase();
                row.insert("key".into(), Value::String(key));
            }
            Some(_) => error("key", "Enter 40 hexadecimal characters."),
            None if original.is_none() => {
                row.insert("key".into(), Value::String(tokens::generate_key()));
            }
            None => {
                row.remove("key");
            }
        }
        let actor_id = actor.user.as_ref().map(|u| u.id.clone());
        if row.get("user").is_none_or(Value::is_null) {
            match &actor_id {
                Some(id) => {
                    row.insert("user".into(), Value::String(id.clone()));
                }
                None => error("user", "This field is required."),
            }
        }
        if !acting_superuser && string(row, "user") != actor_id.as_deref() {
            error("user", "You may only have tokens of your own.");
        }
    } else if label == PERMISSION {
        let strings = |v: Option<&Value>| -> Option<Vec<String>> {
            v?.as_array()?
                .iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        match strings(row.get("actions")) {
            Some(actions) if !actions.is_empty() => {
                if let Some(bad) = actions.iter().find(|a| {
                    a.is_empty() || !a.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                }) {
                    error("actions", &format!("Invalid action: {bad:?}"));
                }
            }
            _ => error(
                "actions",
                "Give a list of actions (view, add, change, delete, run).",
            ),
        }
        match strings(row.get("object_types")) {
            Some(types) if !types.is_empty() => {
                for t in types.iter().filter(|t| registry.get(t).is_none()) {
                    error("object_types", &format!("Unknown object type: {t}"));
                }
            }
            _ => error(
                "object_types",
                "Give a list of object types (app_label.model).",
            ),
        }
        if !matches!(
            row.get("constraints"),
            None | Some(Value::Null | Value::Object(_) | Value::Array(_))
        ) {
            error(
                "constraints",
                "Give a JSON object, a list of objects, or nothing.",
            );
        }
    }
    fail(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_schema::users::models;
    use serde_json::json;

    fn registry() -> Registry {
        Registry::new(models())
    }

    fn model(label: &str) -> Model {
        (**registry().get(label).unwrap()).clone()
    }

    #[test]
    fn passwords_are_hashed_and_never_read_back() {
        let user = model(USER);
        let mut row = Row::new();
        row.insert("username".into(), json!("ann"));
        row.insert("password".into(), json!("s3cret"));
        prepare(&registry(), &Actor::system(), &user, &mut row, None).unwrap();
        let hash = row["password"].as_str().unwrap();
        assert!(passwords::verify("s3cret", hash));
        assert!(user.is_write_only("password"));
        assert!(!user.readable_fields().any(|f| f.name == "password"));
        // On update, an empty password keeps the stored one.
        let original = row.clone();
        row.insert("password".into(), json!(""));
        prepare(
            &registry(),
            &Actor::system(),
            &user,
            &mut row,
            Some(&original),
        )
        .unwrap();
        assert!(!row.contains_key("password"));
    }

    #[test]
    fn tokens_get_a_key_and_an_owner() {
        let token = model(TOKEN);
        let actor = Actor {
            user: Some(nautobot_plugin_abi::User {
                id: "u1".into(),
                username: "ann".into(),
                is_superuser: false,
                is_staff: false,
            }),
            request_id: String::new(),
            identity: None,
        };
        let mut row = Row::new();
        prepare(&registry(), &actor, &token, &mut row, None).unwrap();
        assert!(tokens::is_valid_key(row["key"].as_str().unwrap()));
        assert_eq!(row["user"], json!("u1"));
        let mut other = Row::new();
        other.insert("user".into(), json!("u2"));
        assert!(prepare(&registry(), &actor, &token, &mut other, None).is_err());
    }

    #[test]
    fn permissions_name_known_models_and_actions() {
        let permission = model(PERMISSION);
        let mut row = Row::new();
        row.insert("actions".into(), json!(["view"]));
        row.insert("object_types".into(), json!(["users.user"]));
        prepare(&registry(), &Actor::system(), &permission, &mut row, None).unwrap();
        row.insert("object_types".into(), json!(["nope.nothing"]));
        assert!(prepare(&registry(), &Actor::system(), &permission, &mut row, None).is_err());
    }
}
