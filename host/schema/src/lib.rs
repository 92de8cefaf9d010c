//! Model schemas at run time: the registry of every model (core and plugins), and the
//! declarative migration engine that creates and evolves their tables.
//!
//! A [`Model`] is a [`ModelSchema`] plus what the host derives for it (URLs, display and
//! natural key fields, search fields, ordering). The [`Registry`] holds them all and
//! answers "who points at this model" for deletes and related-object lists.

pub mod catalog;
pub mod checks;
pub mod core;
pub mod ddl;
pub mod extensions;
pub mod indexes;
pub mod jobs;
pub mod migrate;
pub mod ordering;
pub mod state;
pub mod users;
pub mod values;

use std::{collections::HashMap, sync::Arc};

use nautobot_plugin_abi::{FieldKind, FieldSchema, ModelSchema, OnDelete};

/// One object as stored, keyed by field name.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// `s` with its first letter upper-cased (`"location type"` → `"Location type"`).
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// Names a model may not give a field: the host adds them to every table.
pub const RESERVED_FIELDS: &[&str] = &[
    "id",
    "created",
    "last_updated",
    "object_type",
    "display",
    "url",
    "natural_slug",
    "notes_url",
    "custom_fields",
];

/// A model as the host serves it.
#[derive(Debug, Clone)]
pub struct Model {
    /// The declaration.
    pub schema: ModelSchema,
    /// The plugin that declared it (`None` for core models).
    pub plugin: Option<String>,
    /// Its REST list URL path (`/api/dcim/locations/`).
    pub api_path: String,
    /// Its UI list URL path (`/dcim/locations/`).
    pub ui_path: String,
    /// The field shown as `display`.
    pub display_field: Option<String>,
    /// The fields of its natural key.
    pub natural_key: Vec<String>,
    /// The fields `q` searches.
    pub search_fields: Vec<String>,
    /// Default ordering.
    pub ordering: Vec<String>,
    /// Served read-only (the change log): no add, change or delete.
    pub read_only: bool,
    /// Many-to-many fields kept in link tables (the `users` models' groups, users):
    /// declared as JSON fields holding lists of ids, never stored in the model's table.
    pub links: Vec<Link>,
    /// Fields written but never read back: not in rows, the API, the UI, exports or
    /// the change log (a user's password hash, a token's key).
    pub write_only: Vec<String>,
    /// Filters plugins add to its filter set (ABI 1.2), resolved at start-up.
    pub filter_extensions: Vec<extensions::FilterExtension>,
    /// Columns plugins add to its UI list (ABI 1.2), resolved at start-up.
    pub table_extensions: Vec<extensions::TableExtension>,
    /// The SQL building the REST representation, made once by the model layer
    /// (`nautobot_objects::fastjson`) and kept with the model.
    api_select: std::sync::OnceLock<Option<String>>,
}

impl Model {
    /// Resolves a schema: derives display, natural key, search and ordering defaults.
    pub fn new(schema: ModelSchema, plugin: Option<(&str, &str)>, read_only: bool) -> Model {
        let plural = schema.url_plural();
        let (api_path, ui_path) = match plugin {
            Some((_, base_url)) => (
                format!("/api/plugins/{base_url}/{plural}/"),
                format!("/plugins/{base_url}/{plural}/"),
            ),
            None => (
                format!("/api/{}/{plural}/", schema.app_label),
                format!("/{}/{plural}/", schema.app_label),
            ),
        };
        let has = |f: &str| schema.get_field(f).is_some();
        let display_field = schema.display_field.clone().or_else(|| {
            ["name", "model", "address", "prefix"]
                .iter()
                .find(|f| has(f))
                .map(|f| f.to_string())
        });
        let natural_key = if !schema.natural_key.is_empty() {
            schema.natural_key.clone()
        } else if let Some(f) = schema.fields.iter().find(|f| f.unique) {
            vec![f.name.clone()]
        } else if let Some(fields) = schema.unique_together.first() {
            fields.clone()
        } else {
            display_field.iter().cloned().collect()
        };
        let search_fields = if !schema.search_fields.is_empty() {
            schema.search_fields.clone()
        } else {
            schema
                .fields
                .iter()
                .filter(|f| {
                    matches!(
                        f.kind,
                        FieldKind::Char { .. } | FieldKind::Slug { .. } | FieldKind::Text
                    ) && [
                        "name",
                        "description",
                        "model",
                        "serial",
                        "facility",
                        "comments",
                    ]
                    .contains(&f.name.as_str())
                })
                .map(|f| f.name.clone())
                .collect()
        };
        let ordering = ordering::default_ordering(&schema);
        Model {
            plugin: plugin.map(|(name, _)| name.to_string()),
            api_path,
            ui_path,
            display_field,
            natural_key,
            search_fields,
            ordering,
            read_only,
            links: schema
                .fields
                .iter()
                .filter_map(|f| through_link(&schema, f))
                .collect(),
            write_only: Vec::new(),
            schema,
            filter_extensions: Vec::new(),
            table_extensions: Vec::new(),
            api_select: std::sync::OnceLock::new(),
        }
    }

    /// The filter a plugin added under `name`, if any.
    pub fn filter_extension(&self, name: &str) -> Option<&extensions::FilterExtension> {
        self.filter_extensions.iter().find(|f| f.name == name)
    }

    /// The model with more many-to-many fields in link tables (the `users` models',
    /// declared as JSON fields; [`FieldKind::ManyToMany`] fields have theirs already).
    pub fn with_links(mut self, links: Vec<Link>) -> Model {
        self.links.extend(links);
        self
    }

    /// The model with fields that are written but never read back.
    pub fn with_write_only(mut self, fields: &[&str]) -> Model {
        self.write_only = fields.iter().map(|f| f.to_string()).collect();
        self
    }

    /// The many-to-many field named `name`, if it is one.
    pub fn link(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.field == name)
    }

    /// Whether the field `name` is written but never read back.
    pub fn is_write_only(&self, name: &str) -> bool {
        self.write_only.iter().any(|f| f == name)
    }

    /// Fields that rows, pages and exports show: all but the write-only ones.
    pub fn readable_fields(&self) -> impl Iterator<Item = &FieldSchema> {
        self.schema
            .fields
            .iter()
            .filter(|f| !self.is_write_only(&f.name))
    }

    /// The expression selecting an object's REST representation as JSON text, made by
    /// `build` on first use and kept (`None`: the model has none).
    pub fn api_select(&self, build: impl FnOnce() -> Option<String>) -> Option<&str> {
        self.api_select.get_or_init(build).as_deref()
    }

    /// How Nautobot shows the model as a content type: `DCIM | device`, `Example
    /// Plugin | example model`.
    pub fn content_type_name(&self) -> String {
        format!("{} | {}", self.app_name(), self.verbose_name())
    }

    /// The name of the model's app as pages show it: `DCIM`, `IPAM`, `Extras`, `Users`,
    /// or a plugin's app label in words (`Example Plugin`; pages that know the loaded
    /// plugins use its `verbose_name`).
    pub fn app_name(&self) -> String {
        let app = &self.schema.app_label;
        match app.as_str() {
            "dcim" | "ipam" => app.to_uppercase(),
            other => other
                .split('_')
                .map(capitalise)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// `app_label.name`.
    pub fn label(&self) -> String {
        self.schema.label()
    }

    /// The table.
    pub fn table(&self) -> String {
        self.schema.table()
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&FieldSchema> {
        self.schema.get_field(name)
    }

    /// Fields stored in the table (everything but tags and links).
    pub fn stored_fields(&self) -> impl Iterator<Item = &FieldSchema> {
        self.schema
            .fields
            .iter()
            .filter(|f| f.kind.is_column() && self.link(&f.name).is_none())
    }

    /// Whether the model has tags.
    pub fn has_tags(&self) -> bool {
        self.schema
            .fields
            .iter()
            .any(|f| matches!(f.kind, FieldKind::Tags))
    }

    /// The permission `<app_label>.<action>_<model>`.
    pub fn permission(&self, action: &str) -> String {
        format!("{}.{}_{}", self.schema.app_label, action, self.schema.name)
    }

    /// Human-readable names.
    pub fn verbose_name(&self) -> &str {
        &self.schema.verbose_name
    }

    /// Human-readable plural name.
    pub fn verbose_name_plural(&self) -> &str {
        &self.schema.verbose_name_plural
    }
}

/// A many-to-many field kept in a link table of `(own_column, other_column)` rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The field (a JSON field of the schema, a list of ids in rows).
    pub field: String,
    /// The model linked to (`users.group`).
    pub to: String,
    /// The link table (`users_user_groups`).
    pub table: String,
    /// Its column holding this model's id (`user_id`).
    pub own_column: String,
    /// Its column holding the linked object's id (`group_id`).
    pub other_column: String,
}

/// The through table of a [`FieldKind::ManyToMany`] field of `model`, as Django names
/// it: `<app>_<model>_<field>`, with columns `<model>_id` and `<other model>_id`
/// (`from_<model>_id` and `to_<model>_id` when both models have one name).
pub fn through_link(model: &ModelSchema, field: &FieldSchema) -> Option<Link> {
    let FieldKind::ManyToMany { to } = &field.kind else {
        return None;
    };
    let other = to.rsplit('.').next().unwrap_or(to);
    let (own_column, other_column) = if other == model.name {
        (format!("from_{other}_id"), format!("to_{other}_id"))
    } else {
        (format!("{}_id", model.name), format!("{other}_id"))
    };
    Some(Link {
        field: field.name.clone(),
        to: to.clone(),
        table: format!("{}_{}", model.table(), field.name),
        own_column,
        other_column,
    })
}

/// The column a field is stored in: `<name>_id` for foreign keys.
pub fn column(field: &FieldSchema) -> String {
    match field.kind {
        FieldKind::ForeignKey { .. } => format!("{}_id", field.name),
        _ => field.name.clone(),
    }
}

/// The model a foreign key or a many-to-many field refers to: what must exist before
/// the model, and may not go while the model refers to it.
pub fn refers_to(field: &FieldSchema) -> Option<&str> {
    field.kind.related_model()
}

/// The model a foreign key points at.
pub fn fk_target(field: &FieldSchema) -> Option<(&str, OnDelete)> {
    match &field.kind {
        FieldKind::ForeignKey { to, on_delete } => Some((to.as_str(), *on_delete)),
        _ => None,
    }
}

/// Every model the server knows.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    models: Vec<Arc<Model>>,
    by_label: HashMap<String, usize>,
}

impl Registry {
    /// A registry of `models`.
    pub fn new(models: Vec<Model>) -> Registry {
        let models: Vec<Arc<Model>> = models.into_iter().map(Arc::new).collect();
        let by_label = models
            .iter()
            .enumerate()
            .map(|(i, m)| (m.label(), i))
            .collect();
        Registry { models, by_label }
    }

    /// The model labelled `label` (`dcim.location`).
    pub fn get(&self, label: &str) -> Option<&Arc<Model>> {
        self.by_label.get(label).map(|&i| &self.models[i])
    }

    /// Every model, core first, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Model>> {
        self.models.iter()
    }

    /// The models of one app.
    pub fn app(&self, app_label: &str) -> Vec<&Arc<Model>> {
        self.models
            .iter()
            .filter(|m| m.schema.app_label == app_label)
            .collect()
    }

    /// [`referencing`](Self::referencing), without the plugin models whose table is gone
    /// (`migrate <plugin> zero` while this process runs): nothing in a missing table can
    /// refer to anything, and asking it would fail the request. Each one left out is
    /// logged as a warning.
    pub fn referencing_present(
        &self,
        conn: &mut nautobot_db::DbConnection,
        label: &str,
    ) -> nautobot_base::error::Result<Vec<(Arc<Model>, FieldSchema)>> {
        Self::present(conn, self.referencing(label))
    }

    /// [`referencing_any`](Self::referencing_any), without the plugin models whose table
    /// is gone (as [`referencing_present`](Self::referencing_present)).
    pub fn referencing_any_present(
        &self,
        conn: &mut nautobot_db::DbConnection,
        label: &str,
    ) -> nautobot_base::error::Result<Vec<(Arc<Model>, FieldSchema)>> {
        Self::present(conn, self.referencing_any(label))
    }

    fn present(
        conn: &mut nautobot_db::DbConnection,
        pairs: Vec<(Arc<Model>, FieldSchema)>,
    ) -> nautobot_base::error::Result<Vec<(Arc<Model>, FieldSchema)>> {
        let mut present = Vec::new();
        for (model, field) in pairs {
            if model.plugin.is_some() && !indexes::table_exists(conn, &model.table())? {
                tracing::warn!(
                    model = %model.label(),
                    "the table {} is gone (was `migrate {} zero` run?): its objects are left out; remove the plugin from PLUGINS and restart",
                    model.table(),
                    model.schema.app_label
                );
                continue;
            }
            present.push((model, field));
        }
        Ok(present)
    }

    /// Every (model, field) whose foreign key or many-to-many field points at `label`:
    /// the related objects a detail page counts.
    pub fn referencing_any(&self, label: &str) -> Vec<(Arc<Model>, FieldSchema)> {
        let mut found = Vec::new();
        for model in &self.models {
            for field in &model.schema.fields {
                if refers_to(field) == Some(label) {
                    found.push((model.clone(), field.clone()));
                }
            }
        }
        found
    }

    /// Every (model, field) whose foreign key points at `label`.
    pub fn referencing(&self, label: &str) -> Vec<(Arc<Model>, FieldSchema)> {
        let mut found = Vec::new();
        for model in &self.models {
            for field in &model.schema.fields {
                if fk_target(field).map(|(to, _)| to) == Some(label) {
                    found.push((model.clone(), field.clone()));
                }
            }
        }
        found
    }
}
