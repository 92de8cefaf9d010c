//! The plugin manifest: everything a plugin declares about itself, as JSON.
//!
//! The host reads the manifest once, at load, and checks it before the plugin is
//! instantiated. Every field has a default, so a manifest written by an older 1.x plugin
//! still parses on a newer host and fields added later are simply absent from it.
//! Plugin authors fill it through [`PluginBuilder`](crate::PluginBuilder).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    home::HomePagePanel,
    jobs::JobDef,
    nav::NavMenuTab,
    schema::{Migration, ModelSchema},
};

/// What a plugin declares about itself (Nautobot's `PluginConfig` / `NautobotAppConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PluginManifest {
    /// The plugin's name, equal to its entry in `PLUGINS` and to its library's file stem
    /// (`[a-z][a-z0-9_]*`). It is also the app label of its models and the namespace of
    /// its templates and static files.
    pub name: String,
    /// Human-readable name shown in the UI ("Example Plugin").
    pub verbose_name: String,
    /// The plugin's own version (semver).
    pub version: String,
    /// Who wrote it.
    pub author: String,
    /// How to reach the author.
    pub author_email: String,
    /// One-line description shown on the installed-plugins page.
    pub description: String,
    /// URL segment under `/plugins/` and `/api/plugins/` (`[a-z0-9-]+`, unique).
    pub base_url: String,
    /// Lowest host version the plugin runs on (inclusive), if any.
    pub min_version: Option<String>,
    /// Highest host version the plugin runs on (inclusive), if any.
    pub max_version: Option<String>,
    /// Keys that must be present in the operator's `PLUGINS_CONFIG[name]` section.
    pub required_settings: Vec<String>,
    /// Defaults for `PLUGINS_CONFIG[name]`; the operator's values take precedence.
    pub default_settings: Map<String, Value>,
    /// Other plugins this one needs, loaded before it.
    pub dependencies: Vec<Dependency>,
    /// The models the plugin contributes; their app label is the plugin's name.
    pub models: Vec<ModelSchema>,
    /// Declarative migrations creating and evolving the plugin's tables.
    pub migrations: Vec<Migration>,
    /// Custom validators the plugin registers for models (its own or any other).
    pub validators: Vec<ValidatorDef>,
    /// UI views, mounted under `/plugins/<base_url>/`.
    pub views: Vec<ViewDef>,
    /// REST API views, mounted under `/api/plugins/<base_url>/`.
    pub api_views: Vec<ViewDef>,
    /// Content the plugin adds to the detail and list pages of models.
    pub template_extensions: Vec<TemplateExtensionDef>,
    /// Banners the plugin shows at the top of pages (kind `banner`). Since 1.1.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub banners: Vec<BannerDef>,
    /// Navigation menu tabs, groups, items and buttons the plugin adds.
    pub menu_items: Vec<NavMenuTab>,
    /// Panels and items the plugin adds to the home page (Nautobot's `homepage_layout`):
    /// merged into a core panel of the same name, or panels of their own. Since 1.1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub homepage_layout: Vec<HomePagePanel>,
    /// Filters the plugin adds to other models' REST and UI filter sets (Nautobot's
    /// `filter_extensions`). Since 1.2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter_extensions: Vec<FilterExtensionDef>,
    /// Columns the plugin adds to other models' UI lists (Nautobot's
    /// `table_extensions`). Since 1.2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub table_extensions: Vec<TableExtensionDef>,
    /// Read-only fields the plugin adds to other models' REST answers, under
    /// `plugin_data.<plugin>.<name>` (kind `rest_fields`). Since 1.2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rest_fields: Vec<RestFieldDef>,
    /// Template filters the plugin registers for computed fields and table extension
    /// templates (Nautobot's `jinja_filters`, kind `tera_filter`). Since 1.2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tera_filters: Vec<TeraFilterDef>,
    /// Middleware hooks, run in the order declared on every request and response.
    pub middleware: Vec<MiddlewareDef>,
    /// Jobs the plugin provides.
    pub jobs: Vec<JobDef>,
    /// Tera templates, each named `<plugin name>/…`.
    pub templates: Vec<TemplateFile>,
    /// Static files embedded in the library, each at `<plugin name>/…`.
    pub static_files: Vec<StaticFile>,
    /// Name of the view linked as the plugin's home on the installed-plugins page.
    pub home_view_name: Option<String>,
    /// Name of the view linked as the plugin's configuration page.
    pub config_view_name: Option<String>,
    /// Name of the view linked as the plugin's documentation.
    pub docs_view_name: Option<String>,
}

impl PluginManifest {
    /// Finds one of the plugin's UI views by name.
    pub fn view(&self, name: &str) -> Option<&ViewDef> {
        self.views.iter().find(|v| v.name == name)
    }

    /// The path, below the plugin's UI base, of the generic page a link name names:
    /// `<model>_list` (`example-models/`) or `<model>_add` (`example-models/add/`) for one
    /// of the plugin's own models.
    pub fn model_link(&self, link: &str) -> Option<String> {
        let (model, page) = link.rsplit_once('_')?;
        let schema = self.models.iter().find(|m| m.name == model)?;
        match page {
            "list" => Some(format!("{}/", schema.url_plural())),
            "add" => Some(format!("{}/add/", schema.url_plural())),
            _ => None,
        }
    }

    /// Whether `model` (`app_label.name`) is one of the plugin's own models.
    pub fn has_model(&self, model: &str) -> bool {
        self.models
            .iter()
            .any(|m| m.app_label == self.name && m.label() == model)
    }

    /// Finds one of the plugin's API views by name.
    pub fn api_view(&self, name: &str) -> Option<&ViewDef> {
        self.api_views.iter().find(|v| v.name == name)
    }
}

/// A custom validator: called (kind `validate`) before every create and update of
/// objects of `model`, from the UI, the API, jobs and plugins, inside the transaction.
///
/// Since 1.1 a validator may read the database through [`Host::query`](crate::Host::query)
/// and [`Host::get`](crate::Host::get): on the connection and inside the transaction of
/// the write it validates, with the permissions of the user making it (the plugin's own
/// models are always readable to its validators). Writes from a validator are refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidatorDef {
    /// The handler name.
    pub name: String,
    /// The model validated, `app_label.name` (`dcim.location`), or [`ALL_MODELS`] (`"*"`,
    /// since 1.1) for every model of the core and of every plugin.
    pub model: String,
}

/// [`ValidatorDef::model`] for a validator of every model (since 1.1); the request's
/// [`model`](crate::ValidationRequest::model) says which one is written.
pub const ALL_MODELS: &str = "*";

/// Content a plugin adds to the pages of a model (kind `template_content`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateExtensionDef {
    /// The extension's name; its handlers are called `<name>:<slot>`.
    pub name: String,
    /// The model whose pages it extends, `app_label.name`.
    pub model: String,
    /// The slots it fills: `left_page`, `right_page`, `full_width_page`, `buttons`
    /// (detail pages), `list_buttons` (list pages), `detail_tabs`.
    pub slots: Vec<String>,
    /// Stylesheets among the plugin's static files (`<plugin name>/…css`) linked in the
    /// `<head>` of every page the extension fills, core pages included. Since 1.1.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stylesheets: Vec<String>,
    /// Scripts among the plugin's static files (`<plugin name>/…js`) loaded (deferred)
    /// in the `<head>` of every page the extension fills. Since 1.1.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<String>,
}

/// A banner a plugin shows at the top of pages (Nautobot's `banner`), since 1.1.
///
/// Its handler (kind `banner`) receives a [`BannerRequest`](crate::BannerRequest) for
/// each page and answers a [`Banner`](crate::Banner) or nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BannerDef {
    /// The handler name.
    pub name: String,
    /// Path prefixes of the pages it may show on (`"/dcim/devices/"`); empty for every
    /// page. The handler is not called elsewhere.
    pub paths: Vec<String>,
}

impl BannerDef {
    /// Whether the banner may show on the page at `path`.
    pub fn applies_to(&self, path: &str) -> bool {
        self.paths.is_empty() || self.paths.iter().any(|p| path.starts_with(p.as_str()))
    }
}

/// A filter a plugin adds to another model's filter set: in its REST list
/// (`?<name>=<value>`, with the lookups of the field compared: `<name>__ic`,
/// `<name>__gte` …), its UI list's filter form and its CSV export. Since 1.2.
///
/// The filter compares a field reached from the model over a `path`: segments joined
/// by `__`, each a foreign key or many-to-many field followed to the model it points at,
/// or a reverse relation written `<app_label>.<model>.<field>` (the objects of that
/// model whose foreign key or many-to-many `field` points back), the last one the field
/// compared. Every step is an indexed lookup, so the filter stays fast at any size. A
/// path that does not resolve, or a name not starting with `<plugin name>_`, refuses
/// the plugin at start-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterExtensionDef {
    /// The model extended, `app_label.name` (`dcim.device`).
    pub model: String,
    /// The filter's name, starting with `<plugin name>_` (`device_lifecycle_software`).
    pub name: String,
    /// The label on the UI filter form (the name when empty).
    pub label: String,
    /// The path to the field compared (`device_type__manufacturer__name`,
    /// `device_lifecycle.devicesoftware.device__software__version`).
    pub path: String,
}

/// A column a plugin adds to another model's UI list. Since 1.2.
///
/// The cell shows the values a `path` reaches (see [`FilterExtensionDef::path`];
/// several are joined with `, `), or a Tera `template` rendered with `obj` (the row's
/// REST representation) and `values` (the path's values, when a path is given). One
/// statement per column for the whole page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableExtensionDef {
    /// The model extended, `app_label.name` (`dcim.device`).
    pub model: String,
    /// The column's name, starting with `<plugin name>_`.
    pub name: String,
    /// Its heading (the name when empty).
    pub label: String,
    /// The path to the values shown, if any.
    pub path: Option<String>,
    /// A Tera template for the cell, if any (autoescaped).
    pub template: Option<String>,
}

/// A read-only field a plugin adds to another model's REST answers (kind
/// `rest_fields`), under `plugin_data.<plugin>.<name>` of every object of `model`, in
/// lists and details. The handler is called once per page with all of the page's
/// objects ([`RestFieldsRequest`](crate::RestFieldsRequest)) and answers one value per
/// object, in order; a handler that fails leaves `null` and is logged. Since 1.2.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RestFieldDef {
    /// The handler name, and the key under `plugin_data.<plugin>`.
    pub name: String,
    /// The model extended, `app_label.name` (`dcim.device`).
    pub model: String,
}

/// A template filter a plugin registers (kind `tera_filter`): usable as
/// `{{ value | <name>(arg=…) }}` in computed fields and table extension templates
/// (Nautobot's `jinja_filters`). The handler gets a
/// [`TeraFilterRequest`](crate::TeraFilterRequest) and answers the filtered value; an
/// error shows as the template's error. Since 1.2.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeraFilterDef {
    /// The filter's name, starting with `<plugin name>_`; also the handler name.
    pub name: String,
}

/// Another plugin this plugin requires.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Dependency {
    /// The other plugin's name, as listed in `PLUGINS`.
    pub name: String,
    /// A semver requirement on its version (`">=1.2, <2"`); `"*"` accepts any.
    pub version: String,
}

/// One view a plugin serves, in its UI or its REST API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewDef {
    /// The handler name; also how menu items and home/config/docs links refer to it.
    pub name: String,
    /// Path relative to the plugin's base URL, ending in `/` unless empty. Segments in
    /// braces are path parameters: `"things/{pk}/"`.
    pub path: String,
    /// HTTP methods the view accepts (upper case).
    pub methods: Vec<String>,
    /// Permissions the user needs (all of them), as `"app_label.action_model"`.
    pub permissions: Vec<String>,
}

impl Default for ViewDef {
    fn default() -> Self {
        ViewDef {
            name: String::new(),
            path: String::new(),
            methods: vec!["GET".to_string()],
            permissions: Vec::new(),
        }
    }
}

/// A middleware a plugin runs around every request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MiddlewareDef {
    /// The handler name.
    pub name: String,
    /// Whether it sees requests (kind `middleware_request`).
    pub request: bool,
    /// Whether it sees responses (kind `middleware_response`).
    pub response: bool,
}

/// A Tera template shipped inside the plugin library.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateFile {
    /// The template's name, `<plugin name>/…`.
    pub name: String,
    /// The template's source text.
    pub source: String,
}

/// A static file (CSS, JavaScript, image …) shipped inside the plugin library.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StaticFile {
    /// Path under `STATIC_ROOT`, `<plugin name>/…`.
    pub path: String,
    /// The file's bytes, base64-encoded (standard alphabet, padded).
    pub content_base64: String,
}

impl StaticFile {
    /// Decodes the file's bytes.
    pub fn content(&self) -> Result<Vec<u8>, base64::DecodeError> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(&self.content_base64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_manifest_parses_with_defaults() {
        let m: PluginManifest = serde_json::from_str("{}").unwrap();
        assert_eq!(m, PluginManifest::default());
    }

    #[test]
    fn unknown_fields_from_a_newer_plugin_are_ignored() {
        let m: PluginManifest =
            serde_json::from_str(r#"{"name": "x", "field_from_the_future": [1, 2]}"#).unwrap();
        assert_eq!(m.name, "x");
    }

    #[test]
    fn a_manifest_without_home_panels_leaves_the_field_out() {
        let m = PluginManifest::default();
        let json = serde_json::to_value(&m).unwrap();
        assert!(json.get("homepage_layout").is_none());
        let mut m = m;
        m.homepage_layout
            .push(HomePagePanel::new("P").item(crate::HomePageItem::new("home", "Home")));
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<PluginManifest>(&json).unwrap(), m);
    }

    #[test]
    fn a_view_defaults_to_get() {
        let v: ViewDef = serde_json::from_str(r#"{"name": "home"}"#).unwrap();
        assert_eq!(v.methods, vec!["GET"]);
        assert!(v.permissions.is_empty());
    }
}
