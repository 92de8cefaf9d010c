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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Query {
    /// Filters as the REST API takes them (`{"name__ic": ["core"], "status": ["Active"]}`).
    pub filters: Map<String, Value>,
    /// Sort fields (`-name` for descending).
    pub sort: Vec<String>,
    /// At most this many objects (default 50, at most 1000).
    pub limit: Option<u64>,
    /// Skip this many.
    pub offset: Option<u64>,
}

/// A page of objects, as [`Host::query`](crate::Host::query) answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Page {
    /// How many objects match in all.
    pub count: u64,
    /// This page's objects, as the REST API represents them.
    pub results: Vec<Value>,
}
