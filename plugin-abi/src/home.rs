//! Panels a plugin adds to the home page (Nautobot's `homepage_layout`), since 1.1.
//!
//! The names follow Nautobot's `HomePagePanel` and `HomePageItem`. The home page shows a
//! panel per area (`Organization`, `Devices`, `IPAM`, `Jobs`), each a list of links with
//! the number of objects behind them. A plugin panel whose name matches a core panel (or
//! another plugin's) is merged into it, its items after the ones already there; other
//! panels come after the core panels, ordered by `weight` (lower first). Links name one
//! of the plugin's own UI views or model pages, exactly like
//! [`NavMenuItem`](crate::NavMenuItem) links, and an item counts only one of the
//! plugin's own models.
//!
//! ```
//! use nautobot_plugin_abi::prelude::*;
//!
//! # fn model() -> ModelSchema { ModelSchema::new("my_plugin", "widget") }
//! let builder = PluginBuilder::new("my_plugin")
//!     # .model(model())
//!     .home_panel(
//!         HomePagePanel::new("My Plugin").weight(500).item(
//!             HomePageItem::new("widget_list", "Widgets")
//!                 .model("my_plugin.widget")
//!                 .description("Widgets in stock"),
//!         ),
//!     );
//! # let _ = builder;
//! ```

use serde::{Deserialize, Serialize};

/// A panel of the home page: a heading and a list of items. Since 1.1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HomePagePanel {
    /// The panel's heading. A panel with the heading of a core panel (`Organization`,
    /// `Devices`, `IPAM`, `Jobs`) or of another plugin's panel is merged into it.
    pub name: String,
    /// Position among the plugins' own panels, lower first (default 1000); they all
    /// come after the core panels. On a merge the weight declared first wins.
    pub weight: u32,
    /// The panel's items.
    pub items: Vec<HomePageItem>,
}

impl Default for HomePagePanel {
    fn default() -> Self {
        HomePagePanel {
            name: String::new(),
            weight: 1000,
            items: Vec::new(),
        }
    }
}

impl HomePagePanel {
    /// A panel headed `name` with the default weight (1000).
    pub fn new(name: impl Into<String>) -> Self {
        HomePagePanel {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Sets the panel's weight (its position among the plugins' panels).
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Adds an item to the panel.
    pub fn item(mut self, item: HomePageItem) -> Self {
        self.items.push(item);
        self
    }
}

/// A line of a home page panel: a link, and the number of objects of a model when
/// [`model`](Self::model) is set. Since 1.1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HomePageItem {
    /// The item's label.
    pub name: String,
    /// Name of the plugin UI view (without path parameters) the item opens, or
    /// `<model>_list` / `<model>_add` for the list or add page of one of the plugin's
    /// models (`examplemodel_list`), as for [`NavMenuItem::link`](crate::NavMenuItem).
    /// Anything else refuses the plugin at load.
    pub link: String,
    /// The model whose number of objects is shown beside the link, `app_label.name`
    /// (`my_plugin.widget`); it must be one of the plugin's own models. The count is the
    /// one the database keeps, so showing it costs no scan of the table. Users who may
    /// not view the model do not see the item. `None`: a link without a count.
    pub model: Option<String>,
    /// A short description, shown under the label.
    pub description: String,
    /// Permissions a user needs to see the item (all of them), as
    /// `app_label.action_model`.
    pub permissions: Vec<String>,
    /// Position among the plugin items of the panel, lower first (default 1000); in a
    /// core panel they come after the core items.
    pub weight: u32,
}

impl Default for HomePageItem {
    fn default() -> Self {
        HomePageItem {
            name: String::new(),
            link: String::new(),
            model: None,
            description: String::new(),
            permissions: Vec::new(),
            weight: 1000,
        }
    }
}

impl HomePageItem {
    /// An item labelled `name` linking to the plugin view (or model page) named `link`.
    /// The argument order is [`NavMenuItem::new`](crate::NavMenuItem::new)'s.
    pub fn new(link: impl Into<String>, name: impl Into<String>) -> Self {
        HomePageItem {
            link: link.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    /// Shows the number of objects of `model` (`app_label.name`, one of the plugin's
    /// own models) beside the link, and hides the item from users who may not view it.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the description shown under the label.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Requires a permission to see the item.
    pub fn permission(mut self, permission: impl Into<String>) -> Self {
        self.permissions.push(permission.into());
        self
    }

    /// Sets the item's weight.
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_parses_with_defaults() {
        let item: HomePageItem = serde_json::from_str(r#"{"link": "home"}"#).unwrap();
        assert_eq!(item, HomePageItem::new("home", ""));
        assert_eq!(item.weight, 1000);
        assert_eq!(item.model, None);
        let panel: HomePagePanel = serde_json::from_str(r#"{"name": "P"}"#).unwrap();
        assert_eq!(panel.weight, 1000);
        assert!(panel.items.is_empty());
    }
}
