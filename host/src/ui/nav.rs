//! The navigation menu: core tabs plus every plugin's tabs, groups, items and buttons,
//! merged by name, ordered by weight, and filtered per user by required permissions.

use serde::Serialize;

use crate::{auth::Identity, db::Database, error::Result, plugins::PluginRegistry};

/// A tab of the menu.
#[derive(Debug, Clone, Serialize)]
pub struct Tab {
    /// The label.
    pub name: String,
    /// Position among tabs, lower first.
    pub weight: u32,
    /// Its groups.
    pub groups: Vec<Group>,
}

/// A group inside a tab.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The heading.
    pub name: String,
    /// Position inside the tab.
    pub weight: u32,
    /// Its items.
    pub items: Vec<Item>,
}

/// A menu link.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// The label.
    pub name: String,
    /// Where it leads.
    pub url: String,
    /// Position inside the group.
    pub weight: u32,
    /// Permissions needed to see it.
    #[serde(skip)]
    pub permissions: Vec<String>,
    /// Buttons beside it.
    pub buttons: Vec<Button>,
}

/// A button beside a menu link.
#[derive(Debug, Clone, Serialize)]
pub struct Button {
    /// Tooltip and label.
    pub title: String,
    /// Where it leads.
    pub url: String,
    /// Icon class.
    pub icon_class: String,
    /// Colour class.
    pub button_class: String,
    /// Position among the buttons.
    pub weight: u32,
    /// Permissions needed to see it.
    #[serde(skip)]
    pub permissions: Vec<String>,
}

/// The whole menu, before per-user filtering.
#[derive(Debug, Clone, Default)]
pub struct Menu {
    tabs: Vec<Tab>,
}

impl Menu {
    /// Builds the menu from the core entries and the loaded plugins'.
    pub fn build(registry: &PluginRegistry) -> Menu {
        let mut menu = Menu::default();
        menu.add(
            "Plugins",
            5000,
            "General",
            100,
            Item {
                name: "Installed Plugins".to_string(),
                url: "/plugins/installed-plugins/".to_string(),
                weight: 100,
                permissions: Vec::new(),
                buttons: Vec::new(),
            },
        );
        for plugin in registry.iter() {
            for tab in &plugin.manifest.menu_items {
                for group in &tab.groups {
                    for item in &group.items {
                        // Links were checked at load to name views without parameters.
                        let Some(url) = plugin.view_url(&item.link) else {
                            continue;
                        };
                        let buttons = item
                            .buttons
                            .iter()
                            .filter_map(|b| {
                                Some(Button {
                                    title: b.title.clone(),
                                    url: plugin.view_url(&b.link)?,
                                    icon_class: b.icon_class.clone(),
                                    button_class: b.button_class.clone(),
                                    weight: b.weight,
                                    permissions: b.permissions.clone(),
                                })
                            })
                            .collect();
                        menu.add(
                            &tab.name,
                            tab.weight,
                            &group.name,
                            group.weight,
                            Item {
                                name: item.name.clone(),
                                url,
                                weight: item.weight,
                                permissions: item.permissions.clone(),
                                buttons,
                            },
                        );
                    }
                }
            }
        }
        menu.tabs
            .sort_by(|a, b| a.weight.cmp(&b.weight).then(a.name.cmp(&b.name)));
        for tab in &mut menu.tabs {
            tab.groups
                .sort_by(|a, b| a.weight.cmp(&b.weight).then(a.name.cmp(&b.name)));
            for group in &mut tab.groups {
                group.items.sort_by_key(|i| i.weight);
                for item in &mut group.items {
                    item.buttons.sort_by_key(|b| b.weight);
                }
            }
        }
        menu
    }

    fn add(&mut self, tab: &str, tab_weight: u32, group: &str, group_weight: u32, item: Item) {
        let tab = match self.tabs.iter_mut().position(|t| t.name == tab) {
            Some(i) => &mut self.tabs[i],
            None => {
                self.tabs.push(Tab {
                    name: tab.to_string(),
                    weight: tab_weight,
                    groups: Vec::new(),
                });
                self.tabs.last_mut().expect("just pushed")
            }
        };
        let group = match tab.groups.iter_mut().position(|g| g.name == group) {
            Some(i) => &mut tab.groups[i],
            None => {
                tab.groups.push(Group {
                    name: group.to_string(),
                    weight: group_weight,
                    items: Vec::new(),
                });
                tab.groups.last_mut().expect("just pushed")
            }
        };
        group.items.push(item);
    }

    /// The tabs `identity` may see: items and buttons without the permissions they
    /// require are dropped, and so are groups and tabs left empty. Anonymous users see
    /// no menu when login is required. Blocking: may load the user's permissions.
    pub fn visible_to(
        &self,
        identity: &Identity,
        db: &Database,
        login_required: bool,
    ) -> Result<Vec<Tab>> {
        if login_required && !identity.is_authenticated() {
            return Ok(Vec::new());
        }
        let mut tabs = Vec::new();
        for tab in &self.tabs {
            let mut groups = Vec::new();
            for group in &tab.groups {
                let mut items = Vec::new();
                for item in &group.items {
                    if !identity.has_perms(db, &item.permissions)? {
                        continue;
                    }
                    let mut item = item.clone();
                    let mut buttons = Vec::new();
                    for button in item.buttons.drain(..) {
                        if identity.has_perms(db, &button.permissions)? {
                            buttons.push(button);
                        }
                    }
                    item.buttons = buttons;
                    items.push(item);
                }
                if !items.is_empty() {
                    groups.push(Group {
                        items,
                        ..group.clone()
                    });
                }
            }
            if !groups.is_empty() {
                tabs.push(Tab {
                    groups,
                    ..tab.clone()
                });
            }
        }
        Ok(tabs)
    }

    /// Every tab, unfiltered.
    pub fn tabs(&self) -> &[Tab] {
        &self.tabs
    }
}
