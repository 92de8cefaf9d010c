//! Users, groups, API tokens and object permissions as models (Nautobot's `users` app):
//! their tables come with the host's diesel migrations (`0001_auth`,
//! `0006_users_models`), and this module declares them so that the REST API
//! (`/api/users/users/` …) and the generic UI serve them like any other model, with
//! what a model schema cannot say on its own: many-to-many fields kept in link tables
//! (a user's groups, a permission's users and groups: [`Link`]) and write-only fields
//! (a user's `password`, a token's `key`). What the model layer does to their rows —
//! hashing passwords, generating keys, keeping tokens their owner's — is
//! `nautobot_auth::models`.

use nautobot_plugin_abi::{FieldKind, FieldSchema, ModelSchema, OnDelete};
use serde_json::json;

use crate::{Link, Model};

/// The user model.
pub const USER: &str = "users.user";
/// The group model.
pub const GROUP: &str = "users.group";
/// The token model.
pub const TOKEN: &str = "users.token";
/// The object permission model.
pub const PERMISSION: &str = "users.objectpermission";

fn text(name: &str, max: u32) -> FieldSchema {
    FieldSchema::char(name, max).blank().default_value("")
}

fn list(name: &str) -> FieldSchema {
    FieldSchema::new(name, FieldKind::Json)
        .blank()
        .default_value(json!([]))
}

fn link(field: &str, to: &str, table: &str, own: &str, other: &str) -> Link {
    Link {
        field: field.into(),
        to: to.into(),
        table: table.into(),
        own_column: own.into(),
        other_column: other.into(),
    }
}

/// `users.user`: a person (or program) who logs in.
pub fn user_schema() -> ModelSchema {
    ModelSchema::new("users", "user")
        .verbose_names("user", "users")
        .description("Someone who logs in: their groups, and whether they hold everything.")
        .field(
            FieldSchema::char("username", 150).unique().help_text(
                "Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
            ),
        )
        .field(text("first_name", 150).verbose_name("first name"))
        .field(text("last_name", 150).verbose_name("last name"))
        .field(text("email", 254).verbose_name("email address"))
        .field(
            text("password", 128)
                .help_text("Stored hashed. Leave empty to keep the current password."),
        )
        .field(
            FieldSchema::boolean("is_superuser")
                .default_value(false)
                .verbose_name("superuser status")
                .help_text("Holds every permission without their being granted."),
        )
        .field(
            FieldSchema::boolean("is_staff")
                .default_value(false)
                .verbose_name("staff status"),
        )
        .field(
            FieldSchema::boolean("is_active")
                .default_value(true)
                .verbose_name("active")
                .help_text("Inactive users cannot log in or use their tokens."),
        )
        .field(
            FieldSchema::new("date_joined", FieldKind::DateTime)
                .optional()
                .verbose_name("date joined"),
        )
        .field(
            FieldSchema::new("last_login", FieldKind::DateTime)
                .optional()
                .verbose_name("last login"),
        )
        .field(list("groups").help_text("The groups whose permissions the user holds"))
        .display_field("username")
        .natural_key(["username"])
        .ordering(["username"])
        .search_fields(["username", "first_name", "last_name", "email"])
}

/// `users.group`: users whose permissions are granted together.
pub fn group_schema() -> ModelSchema {
    ModelSchema::new("users", "group")
        .verbose_names("group", "groups")
        .description("Users whose permissions are granted together.")
        .field(FieldSchema::char("name", 150).unique())
        .ordering(["name"])
        .search_fields(["name"])
}

/// `users.token`: a key for the REST API, belonging to one user.
pub fn token_schema() -> ModelSchema {
    ModelSchema::new("users", "token")
        .verbose_names("token", "tokens")
        .description("A key for the REST API (`Authorization: Token <key>`).")
        .field(
            FieldSchema::foreign_key("user", USER, OnDelete::Cascade)
                .optional()
                .help_text("Its owner (by default, whoever creates it)"),
        )
        .field(text("key", 40).help_text(
            "40 hexadecimal characters; leave empty for a new random key. Shown only once.",
        ))
        .field(FieldSchema::new("expires", FieldKind::DateTime).optional())
        .field(
            FieldSchema::boolean("write_enabled")
                .default_value(true)
                .verbose_name("write enabled")
                .help_text("Whether the token may create, change and delete"),
        )
        .field(text("description", 200))
        .display_field("description")
        .natural_key(["user", "description"])
        .ordering(["-created"])
        .search_fields(["description"])
}

/// `users.objectpermission`: actions on models, granted to users and groups.
pub fn permission_schema() -> ModelSchema {
    ModelSchema::new("users", "objectpermission")
        .verbose_names("permission", "permissions")
        .url_segment("permissions")
        .description(
            "Actions (view, add, change, delete, run) on models, granted to users and groups.",
        )
        .field(FieldSchema::char("name", 100).unique())
        .field(text("description", 200))
        .field(FieldSchema::boolean("enabled").default_value(true))
        .field(
            list("object_types")
                .verbose_name("object types")
                .help_text("The models it applies to (app_label.model)"),
        )
        .field(
            list("actions")
                .help_text("The actions granted: a list of view, add, change, delete, run"),
        )
        .field(
            FieldSchema::new("constraints", FieldKind::Json)
                .optional()
                .help_text(
                    "Which objects it reaches: lookups such as {\"location__name\": \"X\"} (a list of them OR-ed); $user stands for the requesting user",
                ),
        )
        .field(list("users"))
        .field(list("groups"))
        .ordering(["name"])
        .search_fields(["name", "description"])
}

/// The four models, for the catalog.
pub fn models() -> Vec<Model> {
    vec![
        Model::new(user_schema(), None, false)
            .with_links(vec![link(
                "groups",
                GROUP,
                "users_user_groups",
                "user_id",
                "group_id",
            )])
            .with_write_only(&["password"]),
        Model::new(group_schema(), None, false),
        Model::new(token_schema(), None, false).with_write_only(&["key"]),
        Model::new(permission_schema(), None, false).with_links(vec![
            link(
                "users",
                USER,
                "users_objectpermission_users",
                "objectpermission_id",
                "user_id",
            ),
            link(
                "groups",
                GROUP,
                "users_objectpermission_groups",
                "objectpermission_id",
                "group_id",
            ),
        ]),
    ]
}

/// The labels of the four models.
pub fn labels() -> Vec<String> {
    [USER, GROUP, TOKEN, PERMISSION]
        .iter()
        .map(|l| l.to_string())
        .collect()
}
