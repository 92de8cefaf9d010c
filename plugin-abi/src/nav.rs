//! Navigation menu entries a plugin adds: tabs, groups, items and buttons.
//!
//! The names follow Nautobot's `NavMenuTab`, `NavMenuGroup`, `NavMenuItem` and
//! `NavMenuButton`. A tab or group whose name matches an existing one is merged into it;
//! entries are ordered by `weight` (lower first). Links name one of the plugin's own UI
//! views, so a plugin cannot point the menu anywhere outside its namespace.

use serde::{Deserialize, Serialize};

/// A top-level tab of the navigation bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NavMenuTab {
    /// The tab's label; a tab with an existing label is merged into it.
    pub name: String,
    /// Position among tabs, lower first.
    pub weight: u32,
    /// The groups inside the tab.
    pub groups: Vec<NavMenuGroup>,
}

impl Default for NavMenuTab {
    fn default() -> Self {
        NavMenuTab {
            name: String::new(),
            weight: 1000,
            groups: Vec::new(),
        }
    }
}

impl NavMenuTab {
    /// A tab labelled `name` with the default weight (1000).
    pub fn new(name: impl Into<String>) -> Self {
        NavMenuTab {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Sets the tab's weight.
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Adds a group to the tab.
    pub fn group(mut self, group: NavMenuGroup) -> Self {
        self.groups.push(group);
        self
    }
}

/// A titled group of items inside a tab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NavMenuGroup {
    /// The group's heading; a group with an existing heading is merged into it.
    pub name: String,
    /// Position inside the tab, lower first.
    pub weight: u32,
    /// The items of the group.
    pub items: Vec<NavMenuItem>,
}

impl Default for NavMenuGroup {
    fn default() -> Self {
        NavMenuGroup {
            name: String::new(),
            weight: 1000,
            items: Vec::new(),
        }
    }
}

impl NavMenuGroup {
    /// A group headed `name` with the default weight (1000).
    pub fn new(name: impl Into<String>) -> Self {
        NavMenuGroup {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Sets the group's weight.
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Adds an item to the group.
    pub fn item(mut self, item: NavMenuItem) -> Self {
        self.items.push(item);
        self
    }
}

/// A link in the menu, with optional buttons beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NavMenuItem {
    /// Name of the plugin UI view the item opens, or `<model>_list` / `<model>_add` for
    /// the list or add page of one of the plugin's models (`examplemodel_list`).
    pub link: String,
    /// The item's label.
    pub name: String,
    /// Position inside the group, lower first.
    pub weight: u32,
    /// Permissions a user needs to see the item (all of them).
    pub permissions: Vec<String>,
    /// Buttons shown beside the item.
    pub buttons: Vec<NavMenuButton>,
}

impl Default for NavMenuItem {
    fn default() -> Self {
        NavMenuItem {
            link: String::new(),
            name: String::new(),
            weight: 1000,
            permissions: Vec::new(),
            buttons: Vec::new(),
        }
    }
}

impl NavMenuItem {
    /// An item labelled `name` linking to the plugin view named `link`.
    pub fn new(link: impl Into<String>, name: impl Into<String>) -> Self {
        NavMenuItem {
            link: link.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    /// Sets the item's weight.
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Requires a permission to see the item.
    pub fn permission(mut self, permission: impl Into<String>) -> Self {
        self.permissions.push(permission.into());
        self
    }

    /// Adds a button beside the item.
    pub fn button(mut self, button: NavMenuButton) -> Self {
        self.buttons.push(button);
        self
    }
}

/// A small button beside a menu item (Nautobot's "add" and "import" buttons).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NavMenuButton {
    /// Name of the plugin UI view the button opens.
    pub link: String,
    /// Tooltip and accessible label.
    pub title: String,
    /// Icon class (Nautobot uses Material Design Icons names such as `mdi mdi-plus-thick`).
    pub icon_class: String,
    /// Colour: `default`, `primary`, `success`, `info`, `warning` or `danger`.
    pub button_class: String,
    /// Position among the item's buttons, lower first.
    pub weight: u32,
    /// Permissions a user needs to see the button (all of them).
    pub permissions: Vec<String>,
}

impl Default for NavMenuButton {
    fn default() -> Self {
        NavMenuButton {
            link: String::new(),
            title: String::new(),
            icon_class: "mdi mdi-plus-thick".to_string(),
            button_class: "success".to_string(),
            weight: 1000,
            permissions: Vec::new(),
        }
    }
}

impl NavMenuButton {
    /// A button titled `title` linking to the plugin view named `link`.
    pub fn new(link: impl Into<String>, title: impl Into<String>) -> Self {
        NavMenuButton {
            link: link.into(),
            title: title.into(),
            ..Default::default()
        }
    }

    /// Sets the icon class.
    pub fn icon_class(mut self, icon_class: impl Into<String>) -> Self {
        self.icon_class = icon_class.into();
        self
    }

    /// Sets the colour (`default`, `primary`, `success`, `info`, `warning`, `danger`).
    pub fn button_class(mut self, button_class: impl Into<String>) -> Self {
        self.button_class = button_class.into();
        self
    }

    /// Sets the button's weight.
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Requires a permission to see the button.
    pub fn permission(mut self, permission: impl Into<String>) -> Self {
        self.permissions.push(permission.into());
        self
    }
}
