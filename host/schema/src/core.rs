//! Nautobot 2.x's core models (`extras`, `dcim`, `ipam`), declared as migrations exactly
//! as a plugin declares its own: the host plans and applies them with the plugins'.
//!
//! The change log (`extras.objectchange`) is the exception: its table comes with the
//! host's own diesel migrations, and [`objectchange_model`] only describes it so that it
//! can be served read-only.

use nautobot_plugin_abi::{FieldKind, FieldSchema, Migration, ModelSchema, OnDelete, Operation};
use serde_json::{json, Value};

use super::migrate::AppMigrations;

/// The core apps: those with declarative migrations, in migration order, then `users`,
/// whose tables come with the host's diesel migrations (`auth::models`).
pub const CORE_APPS: &[&str] = &["extras", "dcim", "ipam", "users"];

/// The core apps whose models [`core_apps`] declares as migrations.
pub const MIGRATED_APPS: &[&str] = &["extras", "dcim", "ipam"];

/// Models whose objects may be given only to objects of the models their
/// `content_types` list (Nautobot's statuses and roles).
pub const RESTRICTED_BY_CONTENT_TYPE: &[&str] = &["extras.status", "extras.role"];

/// Models served read-only: no add, change or delete.
const READ_ONLY: &[&str] = &[
    "extras.objectchange",
    "extras.job",
    "extras.jobresult",
    "extras.joblogentry",
    "extras.scheduledjob",
];

/// Internal models with no UI or API.
const HIDDEN: &[&str] = &["extras.taggeditem", "extras.customfielddata"];

/// The name of every core app's first migration.
const INITIAL: &str = "0001_initial";

/// Every core app's migrations, in order: extras 0001, dcim 0001, ipam 0001 (after
/// dcim 0001 and extras 0001), then dcim 0002 adding `Device.primary_ip4` (after
/// ipam 0001).
pub fn core_apps() -> Vec<AppMigrations> {
    vec![
        AppMigrations {
            app: "extras".into(),
            plugin: None,
            migrations: vec![
                extras_0001(),
                extras_0002(),
                extras_0003(),
                extras_0004(),
                extras_0005(),
            ],
        },
        AppMigrations {
            app: "dcim".into(),
            plugin: None,
            migrations: vec![dcim_0001(), dcim_0002(), dcim_0003()],
        },
        AppMigrations {
            app: "ipam".into(),
            plugin: None,
            migrations: vec![ipam_0001()],
        },
    ]
}

/// Whether the model `label` (`extras.objectchange`) is served read-only.
pub fn is_read_only(label: &str) -> bool {
    READ_ONLY.contains(&label)
}

/// Whether the model `label` (`extras.taggeditem`) is internal: no UI and no API.
pub fn is_hidden(label: &str) -> bool {
    HIDDEN.contains(&label)
}

/// The change log, Nautobot's `extras.ObjectChange`. Its table `extras_objectchange` is
/// created by the host's diesel migration `0002_data`, not by [`core_apps`]; this schema
/// describes those columns so the host can serve it read-only. `user` refers to the
/// host's `users_user` table (`users.user`, not a declared model); the database holds no
/// constraint for it, and `user_name` keeps the name after the user is gone.
pub fn objectchange_model() -> ModelSchema {
    ModelSchema::new("extras", "objectchange")
        .verbose_names("object change", "object changes")
        .description("A change made to an object: who, when, and its data before and after.")
        .field(FieldSchema::new("time", FieldKind::DateTime))
        .field(
            FieldSchema::foreign_key("user", "users.user", OnDelete::SetNull)
                .optional()
                .help_text("The user who made the change"),
        )
        .field(blank_char("user_name", 150).verbose_name("user name"))
        .field(
            blank_char("request_id", 36)
                .verbose_name("request ID")
                .help_text("The request the change was made in"),
        )
        .field(FieldSchema::choice(
            "action",
            [
                ("create", "Created"),
                ("update", "Updated"),
                ("delete", "Deleted"),
            ],
        ))
        .field(
            FieldSchema::char("changed_object_type", 100)
                .verbose_name("changed object type")
                .help_text("The changed object's model (`dcim.location`)"),
        )
        .field(FieldSchema::char("changed_object_id", 36).verbose_name("changed object ID"))
        .field(blank_char("object_repr", 200).verbose_name("object representation"))
        .field(
            FieldSchema::new("object_data", FieldKind::Json)
                .optional()
                .verbose_name("object data"),
        )
        .field(
            FieldSchema::new("prechange_data", FieldKind::Json)
                .optional()
                .verbose_name("pre-change data"),
        )
        .display_field("object_repr")
        .ordering(["-time"])
        .search_fields(["user_name", "object_repr", "changed_object_type"])
}

// ---------------------------------------------------------------------------------------
// Field helpers
// ---------------------------------------------------------------------------------------

/// A string that may be empty (stored as `""`).
fn blank_char(name: &str, max_length: u32) -> FieldSchema {
    FieldSchema::char(name, max_length)
        .blank()
        .default_value("")
}

/// `name`, unique, 100 characters.
fn unique_name() -> FieldSchema {
    FieldSchema::char("name", 100).unique()
}

/// `description`, 200 characters, may be empty.
fn description() -> FieldSchema {
    blank_char("description", 200)
}

/// `comments`, long text, may be empty.
fn comments() -> FieldSchema {
    FieldSchema::text("comments").blank().default_value("")
}

/// `color`: an RGB colour in hexadecimal, grey by default.
fn color() -> FieldSchema {
    blank_char("color", 6)
        .default_value("9e9e9e")
        .help_text("RGB color in hexadecimal (e.g. 00ff00)")
}

/// `content_types`: the labels of the models the object applies to (`["dcim.device"]`).
fn content_types() -> FieldSchema {
    FieldSchema::new("content_types", FieldKind::Json)
        .default_value(json!([]))
        .verbose_name("content types")
        .help_text("The models this applies to (app_label.model)")
}

/// `tags` (`extras.tag`), many per object.
fn tags() -> FieldSchema {
    FieldSchema::new("tags", FieldKind::Tags).blank()
}

/// A required foreign key to `to` refusing the deletion of the referred object.
fn protect(name: &str, to: &str) -> FieldSchema {
    FieldSchema::foreign_key(name, to, OnDelete::Protect)
}

/// An optional foreign key to `to`, cleared when the referred object is deleted.
fn set_null(name: &str, to: &str) -> FieldSchema {
    FieldSchema::foreign_key(name, to, OnDelete::SetNull).optional()
}

/// `status` (`extras.status`), required.
fn status() -> FieldSchema {
    protect("status", "extras.status")
}

/// An integer bounded by `min` and `max`.
fn bounded(name: &str, min: i64, max: i64) -> FieldSchema {
    FieldSchema::new(
        name,
        FieldKind::Integer {
            min: Some(min),
            max: Some(max),
        },
    )
}

fn create(model: ModelSchema) -> Operation {
    Operation::CreateModel { model }
}

// ---------------------------------------------------------------------------------------
// extras
// ---------------------------------------------------------------------------------------

/// The labels of the core models with a status.
const LOCATION: &str = "dcim.location";
const DEVICE: &str = "dcim.device";
const INTERFACE: &str = "dcim.interface";
const PREFIX: &str = "ipam.prefix";
const IPADDRESS: &str = "ipam.ipaddress";
const VLAN: &str = "ipam.vlan";

/// The statuses Nautobot creates, with its colours and descriptions, each applying to
/// the core models here whose Nautobot status choices include it. (`Available` is a
/// rack status and `Connected` a cable status in Nautobot: neither model exists here.)
fn status_rows() -> Vec<Value> {
    let all = [LOCATION, DEVICE, INTERFACE, PREFIX, IPADDRESS, VLAN];
    let ipam = [PREFIX, IPADDRESS, VLAN];
    let rows: [(&str, &str, &str, &[&str]); 11] = [
        ("Active", "4caf50", "Unit is active", &all),
        (
            "Planned",
            "00bcd4",
            "Unit has been planned",
            &[LOCATION, DEVICE, INTERFACE],
        ),
        ("Staged", "2196f3", "Unit has been staged", &[DEVICE]),
        ("Failed", "f44336", "Unit has failed", &[DEVICE, INTERFACE]),
        ("Offline", "ffc107", "Unit is offline", &[DEVICE]),
        (
            "Decommissioning",
            "ffc107",
            "Unit is being decommissioned",
            &[LOCATION, DEVICE, INTERFACE],
        ),
        (
            "Retired",
            "f44336",
            "Location has been retired",
            &[LOCATION],
        ),
        ("Available", "4caf50", "Unit is available", &[]),
        ("Reserved", "00bcd4", "Unit is reserved", &ipam),
        ("Deprecated", "f44336", "Unit has been deprecated", &ipam),
        ("Connected", "4caf50", "Cable is connected", &[]),
    ];
    rows.iter()
        .map(|(name, color, description, content_types)| {
            json!({
                "name": name,
                "color": color,
                "description": description,
                "content_types": content_types,
            })
        })
        .collect()
}

fn extras_0001() -> Migration {
    Migration::new("extras", INITIAL)
        .operation(create(
            ModelSchema::new("extras", "status")
                .verbose_names("status", "statuses")
                .description("A status objects of several models can be in.")
                .field(unique_name())
                .field(color())
                .field(description())
                .field(content_types())
                .natural_key(["name"])
                .ordering(["name"])
                .search_fields(["name", "description"]),
        ))
        .operation(Operation::RunData {
            model: "status".into(),
            rows: status_rows(),
        })
        .operation(create(
            ModelSchema::new("extras", "tag")
                .verbose_names("tag", "tags")
                .description("A label objects of several models can carry.")
                .field(unique_name())
                .field(color())
                .field(description())
                .field(content_types())
                .natural_key(["name"])
                .ordering(["name"])
                .search_fields(["name", "description"]),
        ))
        .operation(create(
            ModelSchema::new("extras", "role")
                .verbose_names("role", "roles")
                .description("The function of a device, prefix, IP address or VLAN.")
                .field(unique_name())
                .field(color())
                .field(description())
                .field(
                    FieldSchema::new("weight", FieldKind::PositiveInteger)
                        .optional()
                        .help_text("Order of roles (lower first)"),
                )
                .field(content_types())
                .natural_key(["name"])
                .ordering(["weight", "name"])
                .search_fields(["name", "description"]),
        ))
        .operation(create(
            ModelSchema::new("extras", "taggeditem")
                .verbose_names("tagged item", "tagged items")
                .description("One tag on one object.")
                .field(FieldSchema::foreign_key(
                    "tag",
                    "extras.tag",
                    OnDelete::Cascade,
                ))
                .field(
                    FieldSchema::char("content_type", 100)
                        .verbose_name("content type")
                        .help_text("The tagged object's model (app_label.model)"),
                )
                .field(FieldSchema::char("object_id", 36).verbose_name("object ID"))
                .unique_together(["tag", "content_type", "object_id"])
                .display_field("content_type"),
        ))
}

/// `key` of custom and computed fields: unique, made from the label when left empty.
fn definition_key() -> FieldSchema {
    FieldSchema::new("key", FieldKind::Slug { max_length: 50 })
        .unique()
        .blank()
        .default_value("")
        .help_text(
            "Internal field name. Please use underscores rather than dashes in this key. \
             Made from the label when left empty; cannot change.",
        )
}

/// Custom field types, Nautobot's `CustomFieldTypeChoices`.
pub const CUSTOM_FIELD_TYPES: [(&str, &str); 9] = [
    ("text", "Text"),
    ("integer", "Integer"),
    ("boolean", "Boolean (true/false)"),
    ("date", "Date"),
    ("url", "URL"),
    ("select", "Selection"),
    ("multi-select", "Multiple selection"),
    ("json", "JSON"),
    ("markdown", "Markdown"),
];

/// How a custom field's list filter matches, Nautobot's `CustomFieldFilterLogicChoices`.
pub const CUSTOM_FIELD_FILTER_LOGIC: [(&str, &str); 3] = [
    ("disabled", "Disabled"),
    ("loose", "Loose"),
    ("exact", "Exact"),
];

/// `extras.customfield`, `extras.customfieldchoice` (Nautobot 2.x's fields and URLs), and
/// the hidden `extras.customfielddata`: one JSON document of custom field values per
/// object, keyed by content type and object id (Nautobot's `_custom_field_data`).
fn extras_0002() -> Migration {
    Migration::new("extras", "0002_custom_fields")
        .depends_on("extras", INITIAL)
        .operation(create(
            ModelSchema::new("extras", "customfield")
                .verbose_names("custom field", "custom fields")
                .description("A field users add to objects of some models, without a migration.")
                .field(
                    FieldSchema::char("label", 50)
                        .help_text("Name of the field as displayed to users."),
                )
                .field(definition_key())
                .field(
                    FieldSchema::choice("type", CUSTOM_FIELD_TYPES)
                        .default_value("text")
                        .help_text("The type of value data."),
                )
                .field(content_types())
                .field(
                    blank_char("grouping", 255)
                        .help_text("Human-readable grouping that this custom field belongs to."),
                )
                .field(description().help_text("A helpful description for this field."))
                .field(
                    FieldSchema::boolean("required")
                        .default_value(false)
                        .help_text("If true, this field is required when creating new objects or editing an existing object."),
                )
                .field(
                    FieldSchema::new("default", FieldKind::Json)
                        .optional()
                        .help_text("Default value for the field (must be a JSON value). Encapsulate strings with double quotes (e.g. \"Foo\")."),
                )
                .field(
                    FieldSchema::new("weight", FieldKind::PositiveInteger)
                        .default_value(100)
                        .help_text("Fields with higher weights appear lower in a form."),
                )
                .field(
                    FieldSchema::choice("filter_logic", CUSTOM_FIELD_FILTER_LOGIC)
                        .default_value("loose")
                        .verbose_name("filter logic")
                        .help_text("Loose matches any instance of a given string; Exact matches the entire field."),
                )
                .field(
                    FieldSchema::boolean("advanced_ui")
                        .default_value(false)
                        .verbose_name("move to Advanced tab")
                        .help_text("Hide this field from the object's primary information tab. It will appear in the \"Advanced\" tab instead."),
                )
                .field(
                    FieldSchema::integer("validation_minimum")
                        .optional()
                        .verbose_name("minimum value")
                        .help_text("Minimum allowed value (for numeric fields) or length (for text fields)."),
                )
                .field(
                    FieldSchema::integer("validation_maximum")
                        .optional()
                        .verbose_name("maximum value")
                        .help_text("Maximum allowed value (for numeric fields) or length (for text fields)."),
                )
                .field(
                    blank_char("validation_regex", 500)
                        .verbose_name("validation regex")
                        .help_text("Regular expression to enforce on text field values. Use ^ and $ to force matching of entire string."),
                )
                .display_field("label")
                .natural_key(["key"])
                .ordering(["weight", "label"])
                .search_fields(["label", "key", "description"]),
        ))
        .operation(create(
            ModelSchema::new("extras", "customfieldchoice")
                .verbose_names("custom field choice", "custom field choices")
                .description("A value a selection custom field offers.")
                .field(
                    FieldSchema::foreign_key("custom_field", "extras.customfield", OnDelete::Cascade)
                        .verbose_name("custom field"),
                )
                .field(FieldSchema::char("value", 100))
                .field(
                    FieldSchema::new("weight", FieldKind::PositiveInteger)
                        .default_value(100)
                        .help_text("Higher weights appear later in the list"),
                )
                .unique_together(["custom_field", "value"])
                .display_field("value")
                .ordering(["custom_field", "weight", "value"])
                .search_fields(["value"]),
        ))
        .operation(create(
            ModelSchema::new("extras", "customfielddata")
                .verbose_names("custom field data", "custom field data")
                .description("The custom field values of one object.")
                .field(
                    FieldSchema::char("content_type", 100)
                        .verbose_name("content type")
                        .help_text("The object's model (app_label.model)"),
                )
                .field(FieldSchema::char("object_id", 36).verbose_name("object ID"))
                .field(FieldSchema::new("data", FieldKind::Json).default_value(json!({})))
                .unique_together(["content_type", "object_id"])
                .display_field("object_id"),
        ))
}

/// `extras.computedfield`: a template per model whose output objects show (Nautobot
/// 2.x's fields and URL, `/api/extras/computed-fields/`).
fn extras_0003() -> Migration {
    Migration::new("extras", "0003_computed_fields")
        .depends_on("extras", "0002_custom_fields")
        .operation(create(
            ModelSchema::new("extras", "computedfield")
                .verbose_names("computed field", "computed fields")
                .description("A value computed from each object of a model by a template.")
                .field(
                    FieldSchema::char("content_type", 100)
                        .verbose_name("content type")
                        .help_text("The model (app_label.model) whose objects show the field."),
                )
                .field(definition_key())
                .field(
                    FieldSchema::char("label", 100)
                        .help_text("Name of the field as displayed to users"),
                )
                .field(description())
                .field(
                    FieldSchema::text("template").help_text(
                        "Template code for the field value (Tera, Jinja-like: {{ obj.name }}).",
                    ),
                )
                .field(blank_char("fallback_value", 500).verbose_name("fallback value").help_text(
                    "Fallback value (if any) to be output for the field in the case of a template rendering error.",
                ))
                .field(
                    FieldSchema::new("weight", FieldKind::PositiveInteger)
                        .default_value(100)
                        .help_text("Fields with higher weights appear lower in a page."),
                )
                .field(
                    FieldSchema::boolean("advanced_ui")
                        .default_value(false)
                        .verbose_name("move to Advanced tab"),
                )
                .display_field("label")
                .natural_key(["key"])
                .ordering(["weight", "label"])
                .search_fields(["label", "key", "description"]),
        ))
}

/// `extras.configcontextschema` and `extras.configcontext` (Nautobot 2.x's fields and
/// URLs): JSON data given to the devices in a context's scope, merged by weight, and
/// JSON Schemas that validate it.
fn extras_0004() -> Migration {
    Migration::new("extras", "0004_config_contexts")
        .depends_on("extras", "0003_computed_fields")
        .depends_on("dcim", INITIAL)
        .operation(create(
            ModelSchema::new("extras", "configcontextschema")
                .verbose_names("config context schema", "config context schemas")
                .description("A JSON Schema that config context data must satisfy.")
                .field(unique_name())
                .field(description())
                .field(
                    FieldSchema::new("data_schema", FieldKind::Json)
                        .verbose_name("data schema")
                        .help_text("A JSON Schema document which is used to validate a config context object."),
                )
                .natural_key(["name"])
                .ordering(["name"])
                .search_fields(["name", "description"]),
        ))
        .operation(create(
            ModelSchema::new("extras", "configcontext")
                .verbose_names("config context", "config contexts")
                .description(
                    "JSON data for the devices in its scope, merged with others by weight.",
                )
                .field(unique_name())
                .field(
                    FieldSchema::new("weight", FieldKind::PositiveInteger)
                        .default_value(1000)
                        .help_text("Contexts with higher weights override those with lower ones."),
                )
                .field(description())
                .field(
                    FieldSchema::boolean("is_active")
                        .default_value(true)
                        .verbose_name("is active"),
                )
                .field(
                    set_null("config_context_schema", "extras.configcontextschema")
                        .verbose_name("config context schema")
                        .help_text("Optional schema to validate the structure of the data"),
                )
                .field(FieldSchema::many_to_many("locations", "dcim.location"))
                .field(FieldSchema::many_to_many("roles", "extras.role"))
                .field(
                    FieldSchema::many_to_many("device_types", "dcim.devicetype")
                        .verbose_name("device types"),
                )
                .field(FieldSchema::many_to_many("platforms", "dcim.platform"))
                .field(tags())
                .field(FieldSchema::new("data", FieldKind::Json).default_value(json!({})))
                .natural_key(["name"])
                .ordering(["weight", "name"])
                .search_fields(["name", "description"]),
        ))
}

/// Relationship types, Nautobot's `RelationshipTypeChoices`.
pub const RELATIONSHIP_TYPES: [(&str, &str); 5] = [
    ("one-to-one", "One to One"),
    ("symmetric-one-to-one", "Symmetric One to One"),
    ("one-to-many", "One to Many"),
    ("many-to-many", "Many to Many"),
    ("symmetric-many-to-many", "Symmetric Many to Many"),
];

/// `extras.relationship` and `extras.relationshipassociation` (Nautobot 2.x's fields and
/// URLs): links between objects of any two models, without a migration.
fn extras_0005() -> Migration {
    let side = |name: &str| {
        let cap = crate::capitalise(name);
        [
            FieldSchema::char(format!("{name}_type"), 100)
                .verbose_name(format!("{name} type"))
                .help_text(format!("The {name} model (app_label.model)")),
            blank_char(&format!("{name}_label"), 50)
                .verbose_name(format!("{name} label"))
                .help_text(format!(
                    "Label for related {} objects, as seen from the other side.",
                    cap
                )),
            FieldSchema::boolean(format!("{name}_hidden"))
                .default_value(false)
                .verbose_name(format!("hide for {name} object"))
                .help_text("Hide this relationship on the object's page."),
            FieldSchema::new(format!("{name}_filter"), FieldKind::Json)
                .optional()
                .verbose_name(format!("{name} filter"))
                .help_text(format!(
                    "Filterset filter matching the applicable {name} objects of the selected type"
                )),
        ]
    };
    let mut relationship = ModelSchema::new("extras", "relationship")
        .verbose_names("relationship", "relationships")
        .description("A kind of link between objects of two models, made without a migration.")
        .field(
            FieldSchema::char("label", 100)
                .unique()
                .help_text("Label of the relationship as displayed to users"),
        )
        .field(definition_key())
        .field(description())
        .field(
            FieldSchema::choice("type", RELATIONSHIP_TYPES)
                .default_value("many-to-many")
                .help_text("Cardinality of this relationship"),
        );
    for field in side("source").into_iter().chain(side("destination")) {
        relationship = relationship.field(field);
    }
    relationship = relationship
        .field(
            FieldSchema::choice(
                "required_on",
                [("source", "Source objects"), ("destination", "Destination objects")],
            )
            .blank()
            .default_value("")
            .verbose_name("required on")
            .help_text("Objects on the specified side MUST implement this relationship. Not supported for symmetric relationships."),
        )
        .field(
            FieldSchema::boolean("advanced_ui")
                .default_value(false)
                .verbose_name("move to Advanced tab"),
        )
        .display_field("label")
        .natural_key(["key"])
        .ordering(["label"])
        .search_fields(["label", "key", "description"]);
    Migration::new("extras", "0005_relationships")
        .depends_on("extras", "0004_config_contexts")
        .operation(create(relationship))
        .operation(create(
            ModelSchema::new("extras", "relationshipassociation")
                .verbose_names("relationship association", "relationship associations")
                .description("One link between two objects, by a relationship.")
                .field(FieldSchema::foreign_key(
                    "relationship",
                    "extras.relationship",
                    OnDelete::Cascade,
                ))
                .field(FieldSchema::char("source_type", 100).verbose_name("source type"))
                .field(FieldSchema::char("source_id", 36).verbose_name("source ID"))
                .field(FieldSchema::char("destination_type", 100).verbose_name("destination type"))
                .field(FieldSchema::char("destination_id", 36).verbose_name("destination ID"))
                .unique_together(["relationship", "source_id", "destination_id"])
                .display_field("source_id")
                .ordering(["relationship", "source_id", "destination_id"]),
        ))
}

// ---------------------------------------------------------------------------------------
// dcim
// ---------------------------------------------------------------------------------------

/// Interface types: the common ones of Nautobot's `InterfaceTypeChoices`.
const INTERFACE_TYPES: [(&str, &str); 15] = [
    ("virtual", "Virtual"),
    ("bridge", "Bridge"),
    ("lag", "Link Aggregation Group (LAG)"),
    ("100base-tx", "100BASE-TX (10/100ME)"),
    ("1000base-t", "1000BASE-T (1GE)"),
    ("2.5gbase-t", "2.5GBASE-T (2.5GE)"),
    ("5gbase-t", "5GBASE-T (5GE)"),
    ("10gbase-t", "10GBASE-T (10GE)"),
    ("1000base-x-sfp", "SFP (1GE)"),
    ("10gbase-x-sfpp", "SFP+ (10GE)"),
    ("25gbase-x-sfp28", "SFP28 (25GE)"),
    ("40gbase-x-qsfpp", "QSFP+ (40GE)"),
    ("100gbase-x-qsfp28", "QSFP28 (100GE)"),
    ("400gbase-x-qsfpdd", "QSFP-DD (400GE)"),
    ("other", "Other"),
];

fn dcim_0001() -> Migration {
    Migration::new("dcim", INITIAL)
        .depends_on("extras", INITIAL)
        .operation(create(
            ModelSchema::new("dcim", "locationtype")
                .verbose_names("location type", "location types")
                .description("A kind of location (region, site, building, floor, room…).")
                .field(unique_name())
                .field(
                    FieldSchema::foreign_key("parent", "dcim.locationtype", OnDelete::Protect)
                        .optional()
                        .help_text("Locations of this type may only be children of locations of the parent type"),
                )
                .field(
                    FieldSchema::boolean("nestable")
                        .default_value(false)
                        .help_text("Allow Locations of this type to be parents/children of other Locations of this same type"),
                )
                .field(description())
                .field(
                    content_types()
                        .blank()
                        .help_text("The object types that can be associated to a Location of this type"),
                )
                .natural_key(["name"])
                .ordering(["name"])
                .search_fields(["name", "description"]),
        ))
        .operation(create(
            ModelSchema::new("dcim", "location")
                .verbose_names("location", "locations")
                .description("A place: a region, site, building, room… in a tree of locations.")
                .field(protect("location_type", "dcim.locationtype").verbose_name("location type"))
                .field(
                    FieldSchema::foreign_key("parent", "dcim.location", OnDelete::Protect)
                        .optional(),
                )
                .field(FieldSchema::char("name", 100))
                .field(status())
                .field(description())
                .field(
                    blank_char("facility", 50)
                        .help_text("Data center provider and facility (e.g., Equinix NY7)"),
                )
                .field(
                    bounded("asn", 1, 4_294_967_295)
                        .optional()
                        .verbose_name("ASN")
                        .help_text("32-bit autonomous system number"),
                )
                .field(blank_char("time_zone", 63).verbose_name("time zone"))
                .field(tags())
                .unique_together(["parent", "name"])
                .natural_key(["name", "parent"])
                .ordering(["name"])
                .search_fields(["name", "facility", "description"]),
        ))
        .operation(create(
            ModelSchema::new("dcim", "manufacturer")
                .verbose_names("manufacturer", "manufacturers")
                .description("A maker of devices.")
                .field(unique_name())
                .field(description())
                .natural_key(["name"])
                .ordering(["name"])
                .search_fields(["name", "description"]),
        ))
        .operation(create(
            ModelSchema::new("dcim", "devicetype")
                .verbose_names("device type", "device types")
                .description("A make and model of device.")
                .field(protect("manufacturer", "dcim.manufacturer"))
                .field(FieldSchema::char("model", 100))
                .field(
                    blank_char("part_number", 100)
                        .verbose_name("part number")
                        .help_text("Discrete part number (optional)"),
                )
                .field(
                    FieldSchema::new(
                        "u_height",
                        FieldKind::Integer {
                            min: Some(0),
                            max: None,
                        },
                    )
                    .default_value(1)
                    .verbose_name("height (U)"),
                )
                .field(
                    FieldSchema::boolean("is_full_depth")
                        .default_value(true)
                        .verbose_name("is full depth")
                        .help_text("Device consumes both front and rear rack faces"),
                )
                .field(comments())
                .field(tags())
                .unique_together(["manufacturer", "model"])
                .display_field("model")
                .natural_key(["manufacturer", "model"])
                .ordering(["manufacturer", "model"])
                .search_fields(["model", "part_number", "comments"]),
        ))
        .operation(create(
            ModelSchema::new("dcim", "platform")
                .verbose_names("platform", "platforms")
                .description("The software a device runs (Cisco IOS, Junos…).")
                .field(unique_name())
                .field(set_null("manufacturer", "dcim.manufacturer").help_text(
                    "Optionally limit this platform to devices of a certain manufacturer",
                ))
                .field(
                    blank_char("network_driver", 100)
                        .verbose_name("network driver")
                        .help_text("The normalized network driver to use when interacting with devices, e.g. cisco_ios, arista_eos, etc."),
                )
                .field(description())
                .natural_key(["name"])
                .ordering(["name"])
                .search_fields(["name", "network_driver", "description"]),
        ))
        .operation(create(
            ModelSchema::new("dcim", "device")
                .verbose_names("device", "devices")
                .description("A piece of hardware installed at a location.")
                .field(protect("device_type", "dcim.devicetype").verbose_name("device type"))
                .field(status())
                .field(protect("role", "extras.role"))
                .field(set_null("platform", "dcim.platform"))
                .field(FieldSchema::char("name", 64).optional())
                .field(blank_char("serial", 255).verbose_name("serial number"))
                .field(
                    FieldSchema::char("asset_tag", 100)
                        .optional()
                        .unique()
                        .verbose_name("asset tag")
                        .help_text("A unique tag used to identify this device"),
                )
                .field(protect("location", "dcim.location"))
                .field(comments())
                .field(tags())
                .unique_together(["location", "name"])
                .natural_key(["name", "location"])
                .ordering(["name"])
                .search_fields(["name", "serial", "asset_tag", "comments"]),
        ))
        .operation(create(
            ModelSchema::new("dcim", "interface")
                .verbose_names("interface", "interfaces")
                .description("A network interface of a device.")
                .field(FieldSchema::foreign_key(
                    "device",
                    "dcim.device",
                    OnDelete::Cascade,
                ))
                .field(FieldSchema::char("name", 64))
                .field(FieldSchema::choice("type", INTERFACE_TYPES))
                .field(FieldSchema::boolean("enabled").default_value(true))
                .field(bounded("mtu", 1, 65536).optional().verbose_name("MTU"))
                .field(
                    FieldSchema::new("mac_address", FieldKind::MacAddress)
                        .optional()
                        .verbose_name("MAC address"),
                )
                .field(description())
                .field(status())
                .field(tags())
                .unique_together(["device", "name"])
                .natural_key(["device", "name"])
                .ordering(["device", "name"])
                .search_fields(["name", "description"]),
        ))
}

fn dcim_0002() -> Migration {
    Migration::new("dcim", "0002_device_primary_ip4")
        .depends_on("ipam", INITIAL)
        .operation(Operation::AddField {
            model: "device".into(),
            field: set_null("primary_ip4", "ipam.ipaddress").verbose_name("primary IPv4"),
        })
}

/// A device's own config context data, merged over its contexts', and the schema it must
/// satisfy (Nautobot's `ConfigContextModel`).
fn dcim_0003() -> Migration {
    Migration::new("dcim", "0003_device_local_config_context")
        .depends_on("dcim", "0002_device_primary_ip4")
        .depends_on("extras", "0004_config_contexts")
        .operation(Operation::AddField {
            model: "device".into(),
            field: FieldSchema::new("local_config_context_data", FieldKind::Json)
                .optional()
                .verbose_name("local config context data"),
        })
        .operation(Operation::AddField {
            model: "device".into(),
            field: set_null("local_config_context_schema", "extras.configcontextschema")
                .verbose_name("local config context schema")
                .help_text("Optional schema to validate the structure of the data"),
        })
}

// ---------------------------------------------------------------------------------------
// ipam
// ---------------------------------------------------------------------------------------

fn ipam_0001() -> Migration {
    Migration::new("ipam", INITIAL)
        .depends_on("dcim", INITIAL)
        .depends_on("extras", INITIAL)
        .operation(create(
            ModelSchema::new("ipam", "namespace")
                .verbose_names("namespace", "namespaces")
                .description("A space in which prefixes and IP addresses are unique.")
                .field(unique_name())
                .field(description())
                .natural_key(["name"])
                .ordering(["name"])
                .search_fields(["name", "description"]),
        ))
        .operation(Operation::RunData {
            model: "namespace".into(),
            rows: vec![json!({
                "name": "Global",
                "description": "Default Global namespace. Created by Nautobot.",
            })],
        })
        .operation(create(
            ModelSchema::new("ipam", "vlan")
                .verbose_names("VLAN", "VLANs")
                .description("A layer 2 virtual LAN.")
                .field(bounded("vid", 1, 4094).verbose_name("VLAN ID"))
                .field(FieldSchema::char("name", 255))
                .field(status())
                .field(set_null("role", "extras.role"))
                .field(set_null("location", "dcim.location"))
                .field(description())
                .field(tags())
                .display_field("name")
                .ordering(["vid", "name"])
                .search_fields(["name", "description"]),
        ))
        .operation(create(
            ModelSchema::new("ipam", "prefix")
                .verbose_names("prefix", "prefixes")
                .description("An IPv4 or IPv6 network in a namespace.")
                .field(FieldSchema::new("prefix", FieldKind::IpNetwork))
                .field(protect("namespace", "ipam.namespace"))
                .field(
                    FieldSchema::choice(
                        "type",
                        [
                            ("container", "Container"),
                            ("network", "Network"),
                            ("pool", "Pool"),
                        ],
                    )
                    .default_value("network"),
                )
                .field(status())
                .field(set_null("role", "extras.role"))
                .field(set_null("location", "dcim.location"))
                .field(set_null("vlan", "ipam.vlan").verbose_name("VLAN"))
                .field(description())
                .field(tags())
                .unique_together(["namespace", "prefix"])
                .display_field("prefix")
                .natural_key(["namespace", "prefix"])
                .ordering(["namespace", "prefix"])
                .search_fields(["prefix", "description"]),
        ))
        .operation(create(
            ModelSchema::new("ipam", "ipaddress")
                .verbose_names("IP address", "IP addresses")
                .description("An IPv4 or IPv6 address with its mask length.")
                .field(
                    FieldSchema::new("address", FieldKind::IpAddress)
                        .help_text("IPv4 or IPv6 address (with mask)"),
                )
                // Nautobot derives the namespace from the address's parent prefix.
                .field(protect("namespace", "ipam.namespace"))
                .field(
                    FieldSchema::choice(
                        "type",
                        [("dhcp", "DHCP"), ("host", "Host"), ("slaac", "SLAAC")],
                    )
                    .default_value("host"),
                )
                .field(status())
                .field(set_null("role", "extras.role"))
                .field(
                    blank_char("dns_name", 255)
                        .verbose_name("DNS name")
                        .help_text("Hostname or FQDN (not case-sensitive)"),
                )
                .field(description())
                .field(tags())
                .unique_together(["namespace", "address"])
                .display_field("address")
                .natural_key(["namespace", "address"])
                .ordering(["address"])
                .search_fields(["address", "dns_name", "description"]),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        fk_target,
        migrate::{self, final_state, Plan},
    };
    use nautobot_config::DatabaseUrl;
    use nautobot_db::{
        dynamic::{query_count, Sql},
        Database,
    };

    fn plan() -> Plan {
        Plan::new(&core_apps()).unwrap()
    }

    #[test]
    fn apps_and_flags() {
        let apps: Vec<String> = core_apps().into_iter().map(|a| a.app).collect();
        assert_eq!(apps, MIGRATED_APPS);
        assert!(core_apps().iter().all(|a| a.plugin.is_none()));
        assert!(is_read_only("extras.objectchange"));
        assert!(!is_read_only("dcim.device"));
        assert!(is_hidden("extras.taggeditem"));
        assert!(!is_hidden("extras.tag"));
    }

    #[test]
    fn ipam_comes_before_dcim_0002() {
        let names: Vec<String> = plan()
            .steps()
            .iter()
            .map(|s| format!("{}.{}", s.app_label, s.name))
            .collect();
        assert_eq!(
            names,
            [
                "extras.0001_initial",
                "extras.0002_custom_fields",
                "extras.0003_computed_fields",
                "dcim.0001_initial",
                "extras.0004_config_contexts",
                "extras.0005_relationships",
                "ipam.0001_initial",
                "dcim.0002_device_primary_ip4",
                "dcim.0003_device_local_config_context",
            ]
        );
        assert_eq!(plan().apps(), MIGRATED_APPS);
    }

    #[test]
    fn final_state_has_nautobot_urls() {
        let state = final_state(&plan()).unwrap();
        let expected = [
            ("dcim", "locationtype", "location-types"),
            ("dcim", "location", "locations"),
            ("dcim", "manufacturer", "manufacturers"),
            ("dcim", "devicetype", "device-types"),
            ("dcim", "platform", "platforms"),
            ("dcim", "device", "devices"),
            ("dcim", "interface", "interfaces"),
            ("extras", "status", "statuses"),
            ("extras", "tag", "tags"),
            ("extras", "role", "roles"),
            ("extras", "taggeditem", "tagged-items"),
            ("extras", "customfield", "custom-fields"),
            ("extras", "customfieldchoice", "custom-field-choices"),
            ("extras", "customfielddata", "custom-field-data"),
            ("extras", "computedfield", "computed-fields"),
            ("extras", "configcontextschema", "config-context-schemas"),
            ("extras", "configcontext", "config-contexts"),
            ("extras", "relationship", "relationships"),
            (
                "extras",
                "relationshipassociation",
                "relationship-associations",
            ),
            ("ipam", "namespace", "namespaces"),
            ("ipam", "vlan", "vlans"),
            ("ipam", "prefix", "prefixes"),
            ("ipam", "ipaddress", "ip-addresses"),
        ];
        for (app, name, plural) in expected {
            let model = state
                .model(app, name)
                .unwrap_or_else(|| panic!("{app}.{name} missing"));
            assert_eq!(model.url_plural(), plural, "{app}.{name}");
            assert_eq!(model.app_label, app);
        }
        assert_eq!(state.models().count(), expected.len());
        assert_eq!(objectchange_model().url_plural(), "object-changes");
        let device = state.model("dcim", "device").unwrap();
        let ip4 = device.get_field("primary_ip4").unwrap();
        assert_eq!(fk_target(ip4), Some(("ipam.ipaddress", OnDelete::SetNull)));
        assert!(ip4.null);
    }

    #[test]
    fn foreign_keys_and_model_options_are_consistent() {
        let state = final_state(&plan()).unwrap();
        for model in state.models() {
            for field in &model.fields {
                if let Some((to, on_delete)) = fk_target(field) {
                    let (app, name) = to.split_once('.').unwrap();
                    assert!(
                        state.model(app, name).is_some(),
                        "{}.{} -> {to}",
                        model.label(),
                        field.name
                    );
                    if on_delete == OnDelete::SetNull {
                        assert!(field.null, "{}.{}", model.label(), field.name);
                    }
                }
                if matches!(field.kind, FieldKind::Tags) {
                    assert!(state.model("extras", "tag").is_some());
                }
                if field.blank && !field.null && is_string(&field.kind) {
                    assert!(
                        matches!(field.default, Some(Value::String(_))),
                        "{}.{}",
                        model.label(),
                        field.name
                    );
                }
            }
            let named = model
                .unique_together
                .iter()
                .flatten()
                .chain(&model.natural_key)
                .chain(&model.search_fields)
                .chain(model.display_field.iter())
                .map(|f| f.trim_start_matches('-'))
                .chain(model.ordering.iter().map(|f| f.trim_start_matches('-')));
            for f in named {
                assert!(model.get_field(f).is_some(), "{}: {f}", model.label());
            }
        }
    }

    fn is_string(kind: &FieldKind) -> bool {
        matches!(kind, FieldKind::Char { .. } | FieldKind::Text)
    }

    #[test]
    fn statuses_are_seeded() {
        let extras = &core_apps()[0].migrations[0];
        let rows = extras
            .operations
            .iter()
            .find_map(|op| match op {
                Operation::RunData { model, rows } if model == "status" => Some(rows),
                _ => None,
            })
            .unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "Active",
                "Planned",
                "Staged",
                "Failed",
                "Offline",
                "Decommissioning",
                "Retired",
                "Available",
                "Reserved",
                "Deprecated",
                "Connected",
            ]
        );
        let state = final_state(&plan()).unwrap();
        for row in rows {
            assert_eq!(row["color"].as_str().unwrap().len(), 6);
            for label in row["content_types"].as_array().unwrap() {
                let (app, name) = label.as_str().unwrap().split_once('.').unwrap();
                let model = state.model(app, name).unwrap();
                assert!(model.get_field("status").is_some(), "{label}");
            }
        }
        assert_eq!(
            rows[0]["content_types"],
            json!([LOCATION, DEVICE, INTERFACE, PREFIX, IPADDRESS, VLAN])
        );
    }

    #[test]
    fn objectchange_describes_the_diesel_table() {
        let m = objectchange_model();
        assert_eq!(m.label(), "extras.objectchange");
        assert_eq!(m.table(), "extras_objectchange");
        let columns: Vec<String> = m.fields.iter().map(crate::column).collect();
        assert_eq!(
            columns,
            [
                "time",
                "user_id",
                "user_name",
                "request_id",
                "action",
                "changed_object_type",
                "changed_object_id",
                "object_repr",
                "object_data",
                "prechange_data",
            ]
        );
    }

    #[test]
    fn migrates_a_real_sqlite_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(&DatabaseUrl::Sqlite(dir.path().join("db.sqlite3"))).unwrap();
        nautobot_db::migrations::migrate(&db).unwrap();
        let plan = plan();
        let applied = migrate::migrate(&db, &plan).unwrap();
        assert_eq!(applied.len(), 9, "{applied:?}");
        assert_eq!(
            applied.last().unwrap(),
            &(
                "dcim".to_string(),
                "0003_device_local_config_context".to_string()
            )
        );
        assert!(migrate::migrate(&db, &plan).unwrap().is_empty());

        let mut conn = db.conn().unwrap();
        let count = |conn: &mut nautobot_db::DbConnection, sql: &str| {
            query_count(conn, &Sql::from(sql)).unwrap()
        };
        assert_eq!(
            count(&mut conn, "SELECT COUNT(*) AS count FROM extras_status"),
            11
        );
        assert_eq!(
            count(
                &mut conn,
                "SELECT COUNT(*) AS count FROM ipam_namespace WHERE name = 'Global'"
            ),
            1
        );
        assert_eq!(
            count(
                &mut conn,
                "SELECT COUNT(*) AS count FROM extras_status WHERE name = 'Active' \
                 AND color = '4caf50' AND json_array_length(content_types) = 6"
            ),
            1
        );
        // dcim 0002 rebuilt dcim_device on SQLite: the column is there, and the tables
        // referring to devices still do.
        assert_eq!(
            count(
                &mut conn,
                "SELECT COUNT(*) AS count FROM pragma_table_info('dcim_device') \
                 WHERE name = 'primary_ip4_id'"
            ),
            1
        );
        assert_eq!(
            count(
                &mut conn,
                "SELECT COUNT(*) AS count FROM pragma_foreign_key_list('dcim_interface') \
                 WHERE \"table\" = 'dcim_device'"
            ),
            1
        );
        assert_eq!(
            count(
                &mut conn,
                "SELECT COUNT(*) AS count FROM pragma_index_list('dcim_device') \
                 WHERE \"unique\" = 1 AND origin = 'c'"
            ),
            2
        );
        // The diesel-created change log has every column the schema declares.
        for field in &objectchange_model().fields {
            let col = crate::column(field);
            assert_eq!(
                count(
                    &mut conn,
                    &format!(
                        "SELECT COUNT(*) AS count FROM pragma_table_info('extras_objectchange') \
                         WHERE name = '{col}'"
                    )
                ),
                1,
                "{col}"
            );
        }
        let state = migrate::applied_state(&plan, &migrate::applied(&mut conn).unwrap()).unwrap();
        assert_eq!(state, final_state(&plan).unwrap());
    }
}
