//! Model schemas and declarative migrations: how a plugin (and the core) declares data.
//!
//! A [`ModelSchema`] describes one model — its fields, constraints and how it is shown —
//! and drives everything the host builds for it: the table, validation, the REST API,
//! filters, forms, tables, CSV export and the change log. A plugin declares its models in
//! its manifest and ships [`Migration`]s that create and evolve their tables; the host
//! turns the operations into SQL for SQLite or PostgreSQL and records which ran.
//!
//! Every field here has a serde default so that later 1.x releases can add fields.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One model: a table `<app_label>_<name>` with an `id` UUID primary key, the declared
/// fields, and `created` / `last_updated` timestamps the host maintains.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelSchema {
    /// The app the model belongs to: the plugin's name, or a core app (`dcim` …).
    pub app_label: String,
    /// The model's name, lower case, no separators (`examplemodel`, `location`).
    pub name: String,
    /// Human-readable singular name ("example model").
    pub verbose_name: String,
    /// Human-readable plural name ("example models"); its slug is the URL segment
    /// (`example-models`) unless [`url_segment`](Self::url_segment) is set.
    pub verbose_name_plural: String,
    /// The URL segment of the model's pages and REST endpoint (`regex-rules`), when it
    /// should not be the slug of `verbose_name_plural`: `[a-z0-9-]+`, unique among the
    /// app's models. Empty for the default. Since 1.1.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url_segment: String,
    /// What the model is for, shown in the API schema.
    pub description: String,
    /// The fields, in display order (`id`, `created`, `last_updated` are implicit).
    pub fields: Vec<FieldSchema>,
    /// Sets of fields whose values must be unique together.
    pub unique_together: Vec<Vec<String>>,
    /// The field whose value is an object's `display` text (default: `name` if present).
    pub display_field: Option<String>,
    /// Fields that identify an object for people (`natural_slug`); default: the unique
    /// fields, else `display_field`.
    pub natural_key: Vec<String>,
    /// Default ordering: field names, `-` prefix for descending.
    pub ordering: Vec<String>,
    /// Fields the `q` search looks in (case-insensitive substring).
    pub search_fields: Vec<String>,
    /// Whether `nautobot-server load-sample-data` leaves the model out. It fills every
    /// plugin model with objects generated from the field kinds; set this for models
    /// such generated objects make no sense for, or would do harm as (rules, policies,
    /// settings). Since 1.1.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exclude_from_sample_data: bool,
}

impl ModelSchema {
    /// A model `name` of `app_label`, with verbose names derived from `name`.
    pub fn new(app_label: impl Into<String>, name: impl Into<String>) -> Self {
        let name = name.into();
        ModelSchema {
            app_label: app_label.into(),
            verbose_name: name.clone(),
            verbose_name_plural: format!("{name}s"),
            name,
            ..Default::default()
        }
    }

    /// Sets the verbose names (singular and plural).
    pub fn verbose_names(mut self, singular: impl Into<String>, plural: impl Into<String>) -> Self {
        self.verbose_name = singular.into();
        self.verbose_name_plural = plural.into();
        self
    }

    /// Serves the model's pages and REST endpoint under `segment` (`"regex-rules"`)
    /// instead of the slug of its plural verbose name. Since 1.1.
    pub fn url_segment(mut self, segment: impl Into<String>) -> Self {
        self.url_segment = segment.into();
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds a field.
    pub fn field(mut self, field: FieldSchema) -> Self {
        self.fields.push(field);
        self
    }

    /// Requires `fields` to be unique together.
    pub fn unique_together<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.unique_together
            .push(fields.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the field shown as an object's `display`.
    pub fn display_field(mut self, field: impl Into<String>) -> Self {
        self.display_field = Some(field.into());
        self
    }

    /// Sets the natural key fields.
    pub fn natural_key<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.natural_key = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the default ordering (`-field` for descending).
    pub fn ordering<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ordering = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the fields the `q` search looks in.
    pub fn search_fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.search_fields = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Leaves the model out of `nautobot-server load-sample-data` (see
    /// [`exclude_from_sample_data`](Self::exclude_from_sample_data)).
    pub fn exclude_from_sample_data(mut self) -> Self {
        self.exclude_from_sample_data = true;
        self
    }

    /// `app_label.name`, the model's identity everywhere (`dcim.location`).
    pub fn label(&self) -> String {
        format!("{}.{}", self.app_label, self.name)
    }

    /// The table name, `<app_label>_<name>`.
    pub fn table(&self) -> String {
        format!("{}_{}", self.app_label, self.name)
    }

    /// The URL segment of the model's list (`location-types`): `url_segment` if set,
    /// else the slug of the plural verbose name.
    pub fn url_plural(&self) -> String {
        if self.url_segment.is_empty() {
            slugify(&self.verbose_name_plural)
        } else {
            self.url_segment.clone()
        }
    }

    /// The field named `name`.
    pub fn get_field(&self, name: &str) -> Option<&FieldSchema> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Lower-cases and joins words with `-` (`"IP addresses"` → `"ip-addresses"`).
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

/// One field of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldSchema {
    /// The field's name (a column, or `<name>_id` for a foreign key).
    pub name: String,
    /// Its type.
    #[serde(flatten)]
    pub kind: FieldKind,
    /// Whether the database may store no value (SQL NULL).
    pub null: bool,
    /// Whether forms and the API may leave it empty.
    pub blank: bool,
    /// Whether every object must have a different value.
    pub unique: bool,
    /// The value used when none is given.
    pub default: Option<Value>,
    /// Human-readable name ("ASN").
    pub verbose_name: String,
    /// Help shown in forms and the API schema.
    pub help_text: String,
}

impl Default for FieldSchema {
    fn default() -> Self {
        FieldSchema {
            name: String::new(),
            kind: FieldKind::Text,
            null: false,
            blank: false,
            unique: false,
            default: None,
            verbose_name: String::new(),
            help_text: String::new(),
        }
    }
}

impl FieldSchema {
    /// A field `name` of `kind`, required and not unique.
    pub fn new(name: impl Into<String>, kind: FieldKind) -> Self {
        FieldSchema {
            name: name.into(),
            kind,
            ..Default::default()
        }
    }

    /// A string field of at most `max_length` characters.
    pub fn char(name: impl Into<String>, max_length: u32) -> Self {
        Self::new(name, FieldKind::Char { max_length })
    }

    /// A long text field.
    pub fn text(name: impl Into<String>) -> Self {
        Self::new(name, FieldKind::Text)
    }

    /// An integer field.
    pub fn integer(name: impl Into<String>) -> Self {
        Self::new(
            name,
            FieldKind::Integer {
                min: None,
                max: None,
            },
        )
    }

    /// A boolean field.
    pub fn boolean(name: impl Into<String>) -> Self {
        Self::new(name, FieldKind::Boolean)
    }

    /// A foreign key to the model `to` (`"dcim.location"`).
    pub fn foreign_key(
        name: impl Into<String>,
        to: impl Into<String>,
        on_delete: OnDelete,
    ) -> Self {
        Self::new(
            name,
            FieldKind::ForeignKey {
                to: to.into(),
                on_delete,
            },
        )
    }

    /// A many-to-many field to the model `to` (`"dcim.device"`); optional (an empty
    /// list) unless [`FieldSchema::required_list`] is called. Since 1.2.
    pub fn many_to_many(name: impl Into<String>, to: impl Into<String>) -> Self {
        Self::new(name, FieldKind::ManyToMany { to: to.into() }).blank()
    }

    /// A many-to-many field must name at least one object (`blank: false`).
    pub fn required_list(mut self) -> Self {
        self.blank = false;
        self
    }

    /// A choice field.
    pub fn choice<I>(name: impl Into<String>, choices: I) -> Self
    where
        I: IntoIterator<Item = (&'static str, &'static str)>,
    {
        Self::new(
            name,
            FieldKind::Choice {
                choices: choices
                    .into_iter()
                    .map(|(value, label)| Choice {
                        value: value.to_string(),
                        label: label.to_string(),
                    })
                    .collect(),
            },
        )
    }

    /// Allows no value (NULL) and an empty one in forms and the API.
    pub fn optional(mut self) -> Self {
        self.null = true;
        self.blank = true;
        self
    }

    /// Allows an empty value in forms and the API (stored as `""` for strings).
    pub fn blank(mut self) -> Self {
        self.blank = true;
        self
    }

    /// Requires every object to have a different value.
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// Sets the default value.
    pub fn default_value(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Sets the human-readable name.
    pub fn verbose_name(mut self, name: impl Into<String>) -> Self {
        self.verbose_name = name.into();
        self
    }

    /// Sets the help text.
    pub fn help_text(mut self, text: impl Into<String>) -> Self {
        self.help_text = text.into();
        self
    }

    /// The human-readable name: `verbose_name`, else the name with `_` as spaces.
    pub fn label(&self) -> String {
        if self.verbose_name.is_empty() {
            self.name.replace('_', " ")
        } else {
            self.verbose_name.clone()
        }
    }
}

/// A field's type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// A string of at most `max_length` characters.
    Char {
        /// The maximum length in characters.
        max_length: u32,
    },
    /// Text of any length.
    Text,
    /// A URL-safe string (`[-a-zA-Z0-9_]`).
    Slug {
        /// The maximum length in characters.
        max_length: u32,
    },
    /// A 64-bit integer, optionally bounded.
    Integer {
        /// The smallest value allowed.
        #[serde(default)]
        min: Option<i64>,
        /// The largest value allowed.
        #[serde(default)]
        max: Option<i64>,
    },
    /// A non-negative integer.
    PositiveInteger,
    /// A floating-point number.
    Float,
    /// A decimal number with fixed precision, exchanged as a string.
    Decimal {
        /// Total number of digits.
        max_digits: u32,
        /// Digits after the decimal point.
        decimal_places: u32,
    },
    /// `true` or `false`.
    Boolean,
    /// A calendar date (`YYYY-MM-DD`).
    Date,
    /// A date and time (RFC 3339, stored in UTC).
    DateTime,
    /// Any JSON value.
    Json,
    /// An IPv4 or IPv6 address with optional prefix length (`192.0.2.1/24`).
    IpAddress,
    /// An IPv4 or IPv6 network (`192.0.2.0/24`), host bits zero.
    IpNetwork,
    /// An EUI-48 MAC address, stored upper case with colons.
    MacAddress,
    /// One of a set of values.
    Choice {
        /// The values allowed, with their labels.
        choices: Vec<Choice>,
    },
    /// A reference to an object of another model (`"dcim.location"`), stored as its id
    /// in the column `<name>_id`.
    ForeignKey {
        /// The model referred to, `app_label.name`.
        to: String,
        /// What happens to this object when the referred one is deleted.
        #[serde(default)]
        on_delete: OnDelete,
    },
    /// Many objects of another model (`"dcim.device"`), kept in a through table
    /// `<app_label>_<model>_<field>` of `(<model>_id, <other model>_id)` rows (`from_…`
    /// and `to_…` when a model refers to itself), never in the model's own table.
    ///
    /// The REST API reads a list of references (whole objects at `depth=1`) and takes a
    /// list of ids, `{"id": …}` objects or lookups on the other model
    /// (`[{"name": "ams01-edge-01"}]`); `?<field>=<id or name>` matches objects linked
    /// to any of the values, `<field>__n` those linked to none, `<field>__isnull`
    /// those with (or without) links. Deleting an object on either side removes its
    /// links. Since 1.2.
    ManyToMany {
        /// The model referred to, `app_label.name`.
        to: String,
    },
    /// Tags (`extras.tag`), many per object.
    Tags,
}

impl FieldKind {
    /// Whether values of this kind are a column of the model's own table: `false` for
    /// [`FieldKind::Tags`] and [`FieldKind::ManyToMany`], which are lists kept in tables
    /// of their own (and cannot be ordered by, or be unique).
    pub fn is_column(&self) -> bool {
        !matches!(self, FieldKind::Tags | FieldKind::ManyToMany { .. })
    }

    /// The model a [`FieldKind::ForeignKey`] or [`FieldKind::ManyToMany`] refers to.
    pub fn related_model(&self) -> Option<&str> {
        match self {
            FieldKind::ForeignKey { to, .. } | FieldKind::ManyToMany { to } => Some(to),
            _ => None,
        }
    }
}

/// A value a choice field allows, and how it is shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Choice {
    /// The stored value.
    pub value: String,
    /// The label shown to people.
    pub label: String,
}

/// What deleting a referred object does to the objects referring to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDelete {
    /// Delete them too.
    Cascade,
    /// Refuse the deletion while they exist.
    #[default]
    Protect,
    /// Clear their reference (the field must be nullable).
    SetNull,
}

/// One migration of an app: operations applied atomically, after its dependencies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Migration {
    /// The app it belongs to (the plugin's name for plugins).
    pub app_label: String,
    /// Its name, unique within the app and ordered (`0001_initial`).
    pub name: String,
    /// Migrations that must be applied first: `["dcim", "0001_initial"]`.
    pub dependencies: Vec<(String, String)>,
    /// What it does, in order.
    pub operations: Vec<Operation>,
}

impl Migration {
    /// A migration `name` of `app_label`.
    pub fn new(app_label: impl Into<String>, name: impl Into<String>) -> Self {
        Migration {
            app_label: app_label.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    /// Adds a dependency on another app's migration.
    pub fn depends_on(mut self, app_label: impl Into<String>, name: impl Into<String>) -> Self {
        self.dependencies.push((app_label.into(), name.into()));
        self
    }

    /// Adds an operation.
    pub fn operation(mut self, operation: Operation) -> Self {
        self.operations.push(operation);
        self
    }
}

/// A schema change (or data change) a migration makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Creates a model's table.
    CreateModel {
        /// The whole model as it is created.
        model: ModelSchema,
    },
    /// Adds a field to a model.
    AddField {
        /// The model's name.
        model: String,
        /// The new field.
        field: FieldSchema,
    },
    /// Changes a field's type or constraints.
    AlterField {
        /// The model's name.
        model: String,
        /// The field as it becomes.
        field: FieldSchema,
    },
    /// Removes a field.
    RemoveField {
        /// The model's name.
        model: String,
        /// The field's name.
        field: String,
    },
    /// Renames a field, keeping its data.
    RenameField {
        /// The model's name.
        model: String,
        /// The current name.
        old_name: String,
        /// The new name.
        new_name: String,
    },
    /// Drops a model's table.
    DeleteModel {
        /// The model's name.
        model: String,
    },
    /// Adds an index on some fields.
    AddIndex {
        /// The model's name.
        model: String,
        /// The fields indexed, in order.
        fields: Vec<String>,
        /// The index's name.
        name: String,
    },
    /// Inserts rows (data migration), each a JSON object of field values.
    RunData {
        /// The model's name.
        model: String,
        /// The rows; `id` may be given, else one is generated.
        rows: Vec<Value>,
    },
    /// Changes the model's meta data (verbose names, display, search, unique together…)
    /// without touching its fields.
    AlterModelOptions {
        /// The model as it becomes (its fields are ignored).
        model: ModelSchema,
    },
    /// Data migration for moving a foreign key to a many-to-many field: every row whose
    /// foreign key `from` is set gets a link to that object in the many-to-many field
    /// `to` (to the same model). Run it after adding `to` and before removing `from`.
    /// Since 1.2.
    CopyForeignKeyToManyToMany {
        /// The model's name.
        model: String,
        /// The foreign key copied from.
        from: String,
        /// The many-to-many field linked.
        to: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_labels() {
        assert_eq!(slugify("IP addresses"), "ip-addresses");
        assert_eq!(slugify("location types"), "location-types");
        assert_eq!(slugify("Example Models"), "example-models");
        let m = ModelSchema::new("dcim", "locationtype")
            .verbose_names("location type", "location types");
        assert_eq!(m.label(), "dcim.locationtype");
        assert_eq!(m.table(), "dcim_locationtype");
        assert_eq!(m.url_plural(), "location-types");
    }

    #[test]
    fn fields_serialise_flat_with_a_type_tag() {
        let f = FieldSchema::foreign_key("location", "dcim.location", OnDelete::Cascade).optional();
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["type"], "foreign_key");
        assert_eq!(v["to"], "dcim.location");
        assert_eq!(v["on_delete"], "cascade");
        assert_eq!(v["null"], true);
        let back: FieldSchema = serde_json::from_value(v).unwrap();
        assert_eq!(back, f);
        let minimal: FieldSchema =
            serde_json::from_str(r#"{"name": "x", "type": "char", "max_length": 5}"#).unwrap();
        assert_eq!(minimal.kind, FieldKind::Char { max_length: 5 });
        assert!(!minimal.null);
    }

    #[test]
    fn operations_round_trip() {
        let m = Migration::new("example_plugin", "0001_initial")
            .depends_on("dcim", "0001_initial")
            .operation(Operation::CreateModel {
                model: ModelSchema::new("example_plugin", "examplemodel")
                    .field(FieldSchema::char("name", 100).unique()),
            })
            .operation(Operation::RunData {
                model: "examplemodel".into(),
                rows: vec![serde_json::json!({"name": "first"})],
            });
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains(r#""op":"create_model""#));
        assert_eq!(serde_json::from_str::<Migration>(&json).unwrap(), m);
    }
}
