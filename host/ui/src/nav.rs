//! The navigation menu: core tabs plus every plugin's tabs, groups, items and buttons,
//! merged by name, ordered by weight, and filtered per user by required permissions.

use serde::Serialize;

use nautobot_auth::Identity;
use nautobot_base::error::Result;
use nautobot_db::Database;
use nautobot_plugins::PluginRegistry;

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

/// One core menu link: the model (`app_label.name`), its label, its list page.
type CoreLink = (&'static str, &'static str, &'static str);

/// The core tabs as Nautobot has them: `(tab, weight, group, weight, links)`.
const CORE_MENU: &[(&str, u32, &str, u32, &[CoreLink])] = &[
    (
        "Organization",
        100,
        "Locations",
        100,
        &[
            ("dcim.location", "Locations", "/dcim/locations/"),
            (
                "dcim.locationtype",
                "Location Types",
                "/dcim/location-types/",
            ),
        ],
    ),
    (
        "Organization",
        100,
        "Statuses",
        200,
        &[("extras.status", "Statuses", "/extras/statuses/")],
    ),
    (
        "Organization",
        100,
        "Tags",
        300,
        &[("extras.tag", "Tags", "/extras/tags/")],
    ),
    (
        "Organization",
        100,
        "Roles",
        400,
        &[("extras.role", "Roles", "/extras/roles/")],
    ),
    (
        "Devices",
        200,
        "Devices",
        100,
        &[
            ("dcim.device", "Devices", "/dcim/devices/"),
            ("dcim.devicetype", "Device Types", "/dcim/device-types/"),
            ("dcim.manufacturer", "Manufacturers", "/dcim/manufacturers/"),
            ("dcim.platform", "Platforms", "/dcim/platforms/"),
        ],
    ),
    (
        "Devices",
        200,
        "Device Components",
        200,
        &[("dcim.interface", "Interfaces", "/dcim/interfaces/")],
    ),
    (
        "IPAM",
        300,
        "IP Addresses",
        100,
        &[("ipam.ipaddress", "IP Addresses", "/ipam/ip-addresses/")],
    ),
    (
        "IPAM",
        300,
        "Prefixes",
        200,
        &[("ipam.prefix", "Prefixes", "/ipam/prefixes/")],
    ),
    (
        "IPAM",
        300,
        "VLANs",
        300,
        &[("ipam.vlan", "VLANs", "/ipam/vlans/")],
    ),
    (
        "IPAM",
        300,
        "Namespaces",
        400,
        &[("ipam.namespace", "Namespaces", "/ipam/namespaces/")],
    ),
    (
        "Jobs",
        800,
        "Jobs",
        100,
        &[
            ("extras.job", "Jobs", "/extras/jobs/"),
            ("extras.jobresult", "Job Results", "/extras/job-results/"),
        ],
    ),
    (
        "Extensibility",
        900,
        "Data Management",
        100,
        &[
            (
                "extras.computedfield",
                "Computed Fields",
                "/extras/computed-fields/",
            ),
            (
                "extras.configcontext",
                "Config Contexts",
                "/extras/config-contexts/",
            ),
            (
                "extras.configcontextschema",
                "Config Context Schemas",
                "/extras/config-context-schemas/",
            ),
            (
                "extras.customfield",
                "Custom Fields",
                "/extras/custom-fields/",
            ),
            (
                "extras.customfieldchoice",
                "Custom Field Choices",
                "/extras/custom-field-choices/",
            ),
            (
                "extras.relationship",
                "Relationships",
                "/extras/relationships/",
            ),
            (
                "extras.relationshipassociation",
                "Relationship Associations",
                "/extras/relationship-associations/",
            ),
        ],
    ),
    (
        "Extensibility",
        900,
        "Logging",
        200,
        &[(
            "extras.objectchange",
            "Change Log",
            "/extras/object-changes/",
        )],
    ),
    (
        "Admin",
        1000,
        "Users",
        100,
        &[
            ("users.user", "Users", "/users/users/"),
            ("users.group", "Groups", "/users/groups/"),
            ("users.token", "API Tokens", "/users/tokens/"),
            (
                "users.objectpermission",
                "Permissions",
                "/users/permissions/",
            ),
        ],
    ),
];

/// A core menu link to the list of `model`, shown to those who may view it, with Add
/// and Import buttons for those who may add (none for the read-only change log).
fn core_item(model: &str, label: &str, url: &str, weight: u32) -> Item {
    let permission = |action: &str| -> Vec<String> {
        match model.split_once('.') {
            Some((app, name)) => vec![format!("{app}.{action}_{name}")],
            None => Vec::new(),
        }
    };
    let buttons = if nautobot_schema::core::is_read_only(model) {
        Vec::new()
    } else {
        vec![
            Button {
                title: "Add".to_string(),
                url: format!("{url}add/"),
                icon_class: "mdi mdi-plus-thick".to_string(),
                button_class: "success".to_string(),
                weight: 100,
                permissions: permission("add"),
            },
            Button {
                title: "Import".to_string(),
                url: format!("{url}import/"),
                icon_class: "mdi mdi-database-import-outline".to_string(),
                button_class: "info".to_string(),
                weight: 200,
                permissions: permission("add"),
            },
        ]
    };
    Item {
        name: label.to_string(),
        url: url.to_string(),
        weight,
        permissions: permission("view"),
        buttons,
    }
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
        for (tab, tab_weight, group, group_weight, items) in CORE_MENU {
            for (i, (name, label, url)) in items.iter().enumerate() {
                menu.add(
                    tab,
                    *tab_weight,
                    group,
                    *group_weight,
                    core_item(name, label, url, 100 * (i as u32 + 1)),
                );
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_tabs_link_to_the_model_lists() {
        let menu = Menu::build(&PluginRegistry::default());
        let names: Vec<&str> = menu.tabs().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Organization",
                "Devices",
                "IPAM",
                "Jobs",
                "Extensibility",
                "Admin",
                "Plugins"
            ]
        );
        let catalog = nautobot_schema::catalog::Catalog::build(&[]).unwrap();
        for (_, _, _, _, links) in CORE_MENU {
            for (label, _, url) in links.iter() {
                let model = catalog.registry.get(label).unwrap();
                assert_eq!(&model.ui_path, url, "{label}");
            }
        }
        let locations = &menu.tabs()[0].groups[0].items[0];
        assert_eq!(locations.url, "/dcim/locations/");
        assert_eq!(locations.permissions, ["dcim.view_location"]);
        assert_eq!(locations.buttons[0].url, "/dcim/locations/add/");
        assert_eq!(locations.buttons[0].permissions, ["dcim.add_location"]);
        let jobs = &menu.tabs()[3].groups[0].items[0];
        assert_eq!(jobs.url, "/extras/jobs/");
        assert!(jobs.buttons.is_empty());
        let data = &menu.tabs()[4].groups[0];
        assert_eq!(data.name, "Data Management");
        assert_eq!(data.items[3].url, "/extras/custom-fields/");
        let changes = &menu.tabs()[4].groups[1].items[0];
        assert_eq!(changes.url, "/extras/object-changes/");
        assert!(changes.buttons.is_empty());
    }
}
