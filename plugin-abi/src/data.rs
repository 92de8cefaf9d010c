//! Payloads of the data-layer call kinds: custom validators (`validate`) and template
//! extensions (`template_content`), and of the `HostServices` data verbs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::http::User;

/// What a custom validator is asked to check (kind `validate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidationRequest {
    /// The model, `app_label.name`.
    pub model: String,
    /// `create` or `update`.
    pub action: String,
    /// The object's fields as they would be saved (foreign keys as ids, tags as a list of
    /// ids); `id` is present on update.
    pub data: Map<String, Value>,
    /// The object before the change, on update.
    pub original: Option<Map<String, Value>>,
    /// Who is making the change, if a user is.
    pub user: Option<User>,
}

impl ValidationRequest {
    /// The value of field `name` as it would be saved, as a string if it is one.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.data.get(name).and_then(Value::as_str)
    }
}

/// What a template extension is asked to fill (kind `template_content`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateContentRequest {
    /// The model whose page is rendered, `app_label.name`.
    pub model: String,
    /// The slot: `left_page`, `right_page`, `full_width_page`, `buttons`,
    /// `list_buttons` or `detail_tabs`.
    pub slot: String,
    /// The object shown, as the REST API represents it (none on list pages).
    pub object: Option<Value>,
    /// The user viewing the page.
    pub user: Option<User>,
    /// The page's path.
    pub path: String,
}

/// HTML for one slot of a page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateContent {
    /// The HTML, inserted as it is (render it with `Host::render`, which escapes).
    pub html: String,
}

/// What a banner handler is asked (kind `banner`): which page is being shown, to whom.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BannerRequest {
    /// The page's path (`/dcim/devices/…`).
    pub path: String,
    /// The user viewing the page, if logged in.
    pub user: Option<User>,
}

/// A banner shown at the top of a page (Nautobot's `Banner`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Banner {
    /// The HTML, inserted as it is (render it with `Host::render`, which escapes).
    pub content: String,
    /// Its colour: `info` (the default when empty), `success`, `warning` or `danger`.
    pub class: String,
}

impl Banner {
    /// A banner of `class` (`info`, `success`, `warning`, `danger`) showing `content`
    /// (HTML).
    pub fn new(class: impl Into<String>, content: impl Into<String>) -> Self {
        Banner {
            content: content.into(),
            class: class.into(),
        }
    }
}

/// A tab a plugin adds to an object's detail page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailTab {
    /// The tab's title.
    pub title: String,
    /// The tab's HTML.
    pub html: String,
}

/// A list query for [`Host::query`](crate::Host::query).
///
/// ```
/// use nautobot_plugin_abi::{Query, serde_json::json};
///
/// let q = Query::new()
///     .filter("location", "ams01")            // a foreign key by name or id
///     .filter("status", json!(["Active", "Planned"])) // a list: any of them
///     .filter("name__ic", "leaf")             // lookups as in the REST API
///     .sort("-name")
///     .limit(100);
/// assert_eq!(q.filters["name__ic"], "leaf");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Query {
    /// Filters as the REST API takes them, by field name with an optional lookup
    /// (`name`, `name__ic`, `location`, `status`, `tag` …): each value is a JSON string,
    /// number, boolean or `null` (`"null"` for `isnull`-like matches), or an array of them
    /// meaning any of them (`{"status": ["Active", "Planned"]}`).
    pub filters: Map<String, Value>,
    /// Sort fields (`-name` for descending).
    pub sort: Vec<String>,
    /// At most this many objects (default 50, at most 1000).
    pub limit: Option<u64>,
    /// Skip this many.
    pub offset: Option<u64>,
}

impl Query {
    /// An empty query: the first 50 objects in the model's default ordering.
    pub fn new() -> Self {
        Query::default()
    }

    /// Adds a filter (`field` or `field__lookup`) with a value or an array of values.
    pub fn filter(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.filters.insert(field.into(), value.into());
        self
    }

    /// Adds a sort field (`-name` for descending).
    pub fn sort(mut self, field: impl Into<String>) -> Self {
        self.sort.push(field.into());
        self
    }

    /// Returns at most `limit` objects (at most 1000).
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Skips the first `offset` objects.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
}

/// A page of objects, as [`Host::query`](crate::Host::query) answers.
///
/// Each result is the object as the REST API represents it at depth 0: a JSON object
/// with `id`, `url`, `display`, every field by name, foreign keys as
/// `{"id", "object_type", "url"}` references, dates and times as strings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Page {
    /// How many objects match in all.
    pub count: u64,
    /// This page's objects, as the REST API represents them.
    pub results: Vec<Value>,
}

/// What a REST field extension's handler is given (kind `rest_fields`, since 1.2): the
/// objects of one page of a REST answer, as the API shows them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RestFieldsRequest {
    /// The model, `app_label.name`.
    pub model: String,
    /// The page's objects (REST representations, each with its `id`), in order.
    pub objects: Vec<Value>,
}

/// What a template filter's handler is given (kind `tera_filter`, since 1.2): the value
/// filtered and the filter's named arguments (`{{ x | my_plugin_pad(width=4) }}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeraFilterRequest {
    /// The value before the filter.
    pub value: Value,
    /// The named arguments.
    pub args: Map<String, Value>,
}
