//! The catalog: every app's migrations in one plan, and every model (core and plugins)
//! in one registry, built from the core declarations and the plugins' manifests.

use std::collections::HashSet;

use nautobot_plugin_abi::PluginManifest;

use super::{
    core,
    migrate::{final_state, AppMigrations, Plan},
    Model, Registry,
};
use nautobot_base::error::Result;

/// Migrations and models of the core and of the loaded plugins.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Every migration in the order it applies.
    pub plan: Plan,
    /// Every model.
    pub registry: Registry,
}

/// The labels of every core model (`dcim.location` …).
pub fn core_labels() -> Result<HashSet<String>> {
    let plan = Plan::new(&core::core_apps())?;
    let mut labels: HashSet<String> = final_state(&plan)?.models().map(|m| m.label()).collect();
    labels.insert(core::objectchange_model().label());
    labels.extend(crate::jobs::models().iter().map(|m| m.label()));
    labels.extend(crate::users::labels());
    Ok(labels)
}

impl Catalog {
    /// The catalog of the core apps and `plugins` (in load order).
    pub fn build(plugins: &[&PluginManifest]) -> Result<Catalog> {
        let mut apps = core::core_apps();
        for p in plugins {
            apps.push(AppMigrations {
                app: p.name.clone(),
                plugin: Some(p.name.clone()),
                migrations: p.migrations.clone(),
            });
        }
        let plan = Plan::new(&apps)?;
        let mut models = Self::models(plugins)?;
        // Plugins' filter and table extensions, resolved against every model.
        let (filters, tables) = crate::extensions::resolve_all(
            &Registry::new(models.clone()),
            plugins,
        )
        .map_err(|r| {
            nautobot_base::error::Error::Config(format!("plugin '{}': {}", r.plugin, r.problem))
        })?;
        for model in &mut models {
            let label = model.label();
            model.filter_extensions = filters
                .iter()
                .filter(|(m, _)| *m == label)
                .map(|(_, f)| f.clone())
                .collect();
            model.table_extensions = tables
                .iter()
                .filter(|(m, _)| *m == label)
                .map(|(_, t)| t.clone())
                .collect();
        }
        Ok(Catalog {
            plan,
            registry: Registry::new(models),
        })
    }

    /// The models of the core and of `plugins`, without their extensions.
    fn models(plugins: &[&PluginManifest]) -> Result<Vec<Model>> {
        let core_plan = Plan::new(&core::core_apps())?;
        let mut models = Vec::new();
        for schema in final_state(&core_plan)?.models() {
            let label = schema.label();
            if core::is_hidden(&label) {
                // Internal tables (tagged items) are known for deletes but never served.
                models.push(Model::new(schema.clone(), None, true));
                continue;
            }
            models.push(Model::new(schema.clone(), None, core::is_read_only(&label)));
        }
        models.push(Model::new(core::objectchange_model(), None, true));
        for schema in crate::jobs::models() {
            models.push(Model::new(schema, None, true));
        }
        models.extend(crate::users::models());
        for p in plugins {
            for schema in &p.models {
                let mut schema = schema.clone();
                schema.app_label = p.name.clone();
                models.push(Model::new(
                    schema,
                    Some((p.name.as_str(), p.base_url.as_str())),
                    false,
                ));
            }
        }
        Ok(models)
    }

    /// Whether the filter and table extensions of `plugins` resolve against the core's
    /// and those plugins' models: the first that does not names its plugin.
    pub fn check_extensions(
        plugins: &[&PluginManifest],
    ) -> std::result::Result<(), crate::extensions::Refused> {
        let models = Self::models(plugins).map_err(|e| crate::extensions::Refused {
            plugin: plugins.first().map(|p| p.name.clone()).unwrap_or_default(),
            problem: e.to_string(),
        })?;
        crate::extensions::resolve_all(&Registry::new(models), plugins).map(|_| ())
    }
}
