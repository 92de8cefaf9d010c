//! The home page's panels (Nautobot's `homepage_layout`): the core panels, a panel per
//! area with each model's count, and what plugins add — items merged into a panel of the
//! same name after the ones there, or panels of their own after the core panels, ordered
//! by weight. Built once at start-up; filtered per user on every visit, and counted from
//! `db::rowcount`, so no table is scanned.

use nautobot_plugin_abi::PluginManifest;
use serde_json::{json, Value};

use nautobot_auth::Identity;
use nautobot_base::error::Result;
use nautobot_config::Settings;
use nautobot_db::Database;
use nautobot_plugins::PluginRegistry;
use nautobot_schema::Registry;

/// The core panels, as Nautobot's: each area's models, counted and linked to their lists.
const CORE_PANELS: &[(&str, &[&str])] = &[
    (
        "Organization",
        &[
            "dcim.location",
            "dcim.locationtype",
            "extras.tag",
            "extras.status",
            "extras.role",
        ],
    ),
    (
        "Devices",
        &[
            "dcim.device",
            "dcim.devicetype",
            "dcim.manufacturer",
            "dcim.platform",
            "dcim.interface",
        ],
    ),
    (
        "IPAM",
        &[
            "ipam.prefix",
            "ipam.ipaddress",
            "ipam.vlan",
            "ipam.namespace",
        ],
    ),
    ("Jobs", &["extras.job", "extras.jobresult"]),
];

/// A panel of the home page, before per-user filtering.
#[derive(Debug, Clone)]
struct Panel {
    name: String,
    /// Position among the plugins' panels (core panels come first whatever theirs).
    weight: u32,
    core: bool,
    items: Vec<Item>,
}

/// A line of a panel.
#[derive(Debug, Clone)]
struct Item {
    name: String,
    url: String,
    /// The model counted (and whose view permission the item needs), `app_label.name`.
    model: Option<String>,
    /// Its table, read by `db::rowcount`.
    table: Option<String>,
    description: String,
    /// Permissions needed besides viewing `model`.
    permissions: Vec<String>,
    /// The plugin that added the item; `None` for core items.
    plugin: Option<String>,
    weight: u32,
}

/// Every panel of the home page, core and plugins', merged and ordered.
#[derive(Debug, Clone, Default)]
pub struct HomeLayout {
    panels: Vec<Panel>,
}

impl HomeLayout {
    /// The core panels with the loaded plugins' `homepage_layout` merged in. Plugin links
    /// and models were checked at load (`plugins::checks`); an item whose link or model
    /// cannot be found anyway is left out.
    pub fn build(plugins: &PluginRegistry, models: &Registry) -> HomeLayout {
        HomeLayout::of(plugins.iter().map(|p| &p.manifest), models)
    }

    /// The layout of the core and of plugins with these manifests, in load order.
    fn of<'a>(
        plugins: impl IntoIterator<Item = &'a PluginManifest>,
        models: &Registry,
    ) -> HomeLayout {
        let mut panels: Vec<Panel> = CORE_PANELS
            .iter()
            .map(|(name, labels)| Panel {
                name: name.to_string(),
                weight: 0,
                core: true,
                items: labels
                    .iter()
                    .filter_map(|label| {
                        let model = models.get(label)?;
                        Some(Item {
                            name: crate::objects::forms::capfirst(model.verbose_name_plural()),
                            url: model.ui_path.clone(),
                            model: Some(label.to_string()),
                            table: Some(model.table()),
                            description: String::new(),
                            permissions: Vec::new(),
                            plugin: None,
                            weight: 0,
                        })
                    })
                    .collect(),
            })
            .collect();
        for plugin in plugins {
            for declared in &plugin.homepage_layout {
                let at = match panels.iter().position(|p| p.name == declared.name) {
                    Some(at) => at,
                    None => {
                        panels.push(Panel {
                            name: declared.name.clone(),
                            weight: declared.weight,
                            core: false,
                            items: Vec::new(),
                        });
                        panels.len() - 1
                    }
                };
                for item in &declared.items {
                    let Some(url) = nautobot_plugins::view_url(plugin, &item.link) else {
                        continue;
                    };
                    let table = match &item.model {
                        Some(label) => match models.get(label) {
                            Some(model) => Some(model.table()),
                            None => continue,
                        },
                        None => None,
                    };
                    panels[at].items.push(Item {
                        name: item.name.clone(),
                        url,
                        model: item.model.clone(),
                        table,
                        description: item.description.clone(),
                        permissions: item.permissions.clone(),
                        plugin: Some(plugin.name.clone()),
                        weight: item.weight,
                    });
                }
            }
        }
        // Core panels keep their order and come first; the plugins' follow by weight
        // (stable: equal weights in load order). In each panel the core items keep their
        // order and the plugins' follow by weight.
        panels.sort_by_key(|p| (!p.core, if p.core { 0 } else { p.weight }));
        for panel in &mut panels {
            panel.items.sort_by_key(|i| {
                (
                    i.plugin.is_some(),
                    if i.plugin.is_some() { i.weight } else { 0 },
                )
            });
        }
        HomeLayout { panels }
    }

    /// The panels `identity` may see, as the template's `panels`: each item with its
    /// label, name, URL, count (from `db::rowcount`; null when the table has no counter
    /// yet, or of the objects the user's constraints reach), description and plugin. An
    /// item is shown when the user holds all its permissions and may view its model;
    /// panels left empty are not shown. Blocking.
    pub fn visible_to(
        &self,
        identity: &Identity,
        db: &Database,
        settings: &Settings,
        registry: &Registry,
    ) -> Result<Vec<Value>> {
        let mut conn = db.conn()?;
        let backend = db.backend();
        let mut panels = Vec::new();
        for panel in &self.panels {
            let mut items = Vec::new();
            for item in &panel.items {
                if !identity.has_perms(db, &item.permissions)? {
                    continue;
                }
                let mut within = nautobot_auth::Constraint::All;
                if let Some(model) = &item.model {
                    match nautobot_auth::permissions::scope(identity, db, settings, model, "view")?
                    {
                        Some(constraint) => within = constraint,
                        None => continue,
                    }
                }
                let constrained = item
                    .model
                    .as_deref()
                    .and_then(|m| registry.get(m))
                    .and_then(|m| {
                        nautobot_objects::constraints::condition(registry, m, &within, backend)
                            .map(|cond| (m.clone(), cond))
                    });
                let count = match (&item.table, constrained) {
                    // Only the objects the user's grants reach.
                    (_, Some((model, cond))) => {
                        let mut filter = nautobot_db::dynamic::Sql::from(" WHERE ");
                        filter.append(cond);
                        Some(nautobot_objects::query::count(&mut conn, &model, &filter)? as i64)
                    }
                    (Some(table), None) => nautobot_db::rowcount::count(&mut conn, table)?,
                    (None, None) => None,
                };
                items.push(json!({
                    "label": item.model,
                    "name": item.name,
                    "url": item.url,
                    "count": count,
                    "description": item.description,
                    "plugin": item.plugin,
                }));
            }
            if !items.is_empty() {
                panels.push(json!({"name": panel.name, "items": items}));
            }
        }
        Ok(panels)
    }

    /// Every panel's name and its items' URLs, unfiltered, in display order.
    pub fn outline(&self) -> Vec<(String, Vec<String>)> {
        self.panels
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.items.iter().map(|i| i.url.clone()).collect(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::{
        HomePageItem, HomePagePanel, Migration, ModelSchema, Operation, ViewDef,
    };

    #[test]
    fn core_panels_link_every_model_to_its_list() {
        let catalog = nautobot_schema::catalog::Catalog::build(&[]).unwrap();
        let layout = HomeLayout::build(&PluginRegistry::default(), &catalog.registry);
        let outline = layout.outline();
        let names: Vec<&str> = outline.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Organization", "Devices", "IPAM", "Jobs"]);
        for ((_, labels), (_, urls)) in CORE_PANELS.iter().zip(&outline) {
            assert_eq!(labels.len(), urls.len(), "every core model is known");
        }
        assert_eq!(outline[0].1[0], "/dcim/locations/");
    }

    fn plugin(name: &str, panels: Vec<HomePagePanel>) -> PluginManifest {
        let widget = ModelSchema::new(name, "widget").verbose_names("widget", "widgets");
        PluginManifest {
            name: name.into(),
            version: "1.0.0".into(),
            base_url: name.into(),
            views: vec![ViewDef {
                name: "home".into(),
                ..Default::default()
            }],
            migrations: vec![Migration::new(name, "0001_initial")
                .depends_on("dcim", "0001_initial")
                .operation(Operation::CreateModel {
                    model: widget.clone(),
                })],
            models: vec![widget],
            homepage_layout: panels,
            ..Default::default()
        }
    }

    #[test]
    fn plugin_items_merge_by_panel_name_and_order_by_weight() {
        let a = plugin(
            "alpha",
            vec![
                HomePagePanel::new("Zeta")
                    .weight(900)
                    .item(HomePageItem::new("widget_list", "Widgets").model("alpha.widget")),
                HomePagePanel::new("Organization")
                    .item(HomePageItem::new("home", "Alpha late").weight(2000))
                    .item(HomePageItem::new("widget_add", "Alpha early").weight(10)),
            ],
        );
        let b = plugin(
            "beta",
            vec![
                HomePagePanel::new("Beta")
                    .weight(100)
                    .item(HomePageItem::new("home", "B")),
                // Merged into alpha's panel: its weight does not move the panel.
                HomePagePanel::new("Zeta")
                    .weight(1)
                    .item(HomePageItem::new("home", "Beta first").weight(1)),
            ],
        );
        let catalog = nautobot_schema::catalog::Catalog::build(&[&a, &b]).unwrap();
        let layout = HomeLayout::of([&a, &b], &catalog.registry);
        let outline = layout.outline();
        let names: Vec<&str> = outline.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["Organization", "Devices", "IPAM", "Jobs", "Beta", "Zeta"]
        );
        let organization = &outline[0].1;
        assert_eq!(organization.len(), CORE_PANELS[0].1.len() + 2);
        assert_eq!(
            organization[CORE_PANELS[0].1.len()..],
            ["/plugins/alpha/widgets/add/", "/plugins/alpha/"]
        );
        assert_eq!(outline[5].1, ["/plugins/beta/", "/plugins/alpha/widgets/"]);
        let zeta = &layout.panels[5];
        assert_eq!(zeta.items[1].table.as_deref(), Some("alpha_widget"));
        assert_eq!(zeta.items[0].plugin.as_deref(), Some("beta"));
    }
}
