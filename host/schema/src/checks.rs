//! Load-time checks of the models and migrations plugins declare: names, app labels,
//! foreign key targets, and that the declared models are what the migrations build.
//! Each failure is one [`LoadError`] line naming the plugin, its file and the model.

use std::{
    collections::{HashMap, HashSet},
    path::Path,
};

use nautobot_plugin_abi::{FieldKind, ModelSchema, PluginManifest};

use super::{
    core::CORE_APPS,
    migrate::{final_state, AppMigrations, Plan},
    RESERVED_FIELDS,
};
use nautobot_base::LoadError;

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 40
}

/// Checks the models and migrations of plugins given in load order (dependencies
/// first), with the labels of every core model.
pub fn check_plugins(
    plugins: &[(&PluginManifest, &Path)],
    core_models: &HashSet<String>,
) -> Result<(), LoadError> {
    check(plugins, core_models, false)
}

/// Checks the models and migrations of one plugin library on its own (`plugins
/// inspect`): its dependencies are not at hand, so any model of a declared dependency
/// counts as known.
pub fn check_plugin_alone(
    manifest: &PluginManifest,
    file: &Path,
    core_models: &HashSet<String>,
) -> Result<(), LoadError> {
    check(&[(manifest, file)], core_models, true)
}

fn check(
    plugins: &[(&PluginManifest, &Path)],
    core_models: &HashSet<String>,
    assume_dependencies: bool,
) -> Result<(), LoadError> {
    let mut models_of: HashMap<&str, HashSet<String>> = HashMap::new();
    for (manifest, file) in plugins {
        let name = manifest.name.as_str();
        let fail = |problem: String, expected: &str, found: String| {
            Err(LoadError::new(name, Some(file), problem, expected, found))
        };
        // What the plugin may point at: core, itself, and its dependencies.
        let mut reachable: HashSet<String> = core_models.clone();
        let mut apps: HashSet<&str> = CORE_APPS.iter().copied().collect();
        apps.insert(name);
        for dep in &manifest.dependencies {
            if let Some(models) = models_of.get(dep.name.as_str()) {
                reachable.extend(models.iter().cloned());
                apps.insert(dep.name.as_str());
            } else if assume_dependencies {
                apps.insert(dep.name.as_str());
            }
        }
        let dependency_model = |label: &str| {
            assume_dependencies
                && label
                    .split_once('.')
                    .is_some_and(|(app, _)| manifest.dependencies.iter().any(|d| d.name == app))
        };
        let own: HashSet<String> = manifest
            .models
            .iter()
            .map(|m| format!("{name}.{}", m.name))
            .collect();
        reachable.extend(own.iter().cloned());

        let mut segments: HashMap<String, &str> = HashMap::new();
        for model in &manifest.models {
            let label = format!("{}.{}", model.app_label, model.name);
            let segment = model.url_plural();
            if !nautobot_base::names::is_valid_base_url(&segment) {
                return fail(
                    format!("model {label} has an invalid URL segment"),
                    "lower-case letters, digits and hyphens ([a-z0-9-]+)",
                    format!("'{segment}'"),
                );
            }
            if let Some(other) = segments.insert(segment.clone(), &model.name) {
                return fail(
                    format!("model {label} has the URL segment of another model"),
                    "a URL segment (url_segment or plural verbose name) per model",
                    format!("'{segment}', also the segment of {name}.{other}"),
                );
            }
            if model.app_label != name {
                return fail(
                    format!("model {label} uses another app label"),
                    &format!("the app label '{name}'"),
                    format!("'{}'", model.app_label),
                );
            }
            if !is_identifier(&model.name) || model.name.contains('_') {
                return fail(
                    format!("model {label} has an invalid name"),
                    "lower-case letters and digits ([a-z][a-z0-9]*)",
                    format!("'{}'", model.name),
                );
            }
            let mut seen = HashSet::new();
            for field in &model.fields {
                if !is_identifier(&field.name) {
                    return fail(
                        format!("model {label} has an invalid field name"),
                        "lower-case letters, digits and underscores ([a-z][a-z0-9_]*)",
                        format!("'{}'", field.name),
                    );
                }
                if RESERVED_FIELDS.contains(&field.name.as_str()) {
                    return fail(
                        format!("model {label} uses a reserved field name"),
                        format!("none of {}", RESERVED_FIELDS.join(", ")).as_str(),
                        format!("a field named '{}'", field.name),
                    );
                }
                if !seen.insert(field.name.as_str()) {
                    return fail(
                        format!("model {label} declares a field twice"),
                        "each field once",
                        format!("'{}' twice", field.name),
                    );
                }
                match &field.kind {
                    FieldKind::ForeignKey { to, on_delete } => {
                        if !reachable.contains(to) && !dependency_model(to) {
                            return fail(
                                format!("model {label} field '{}' refers to an unknown model", field.name),
                                "a core model, one of the plugin's own, or one of its dependencies'",
                                format!("'{to}'"),
                            );
                        }
                        if *on_delete == nautobot_plugin_abi::OnDelete::SetNull && !field.null {
                            return fail(
                                format!("model {label} field '{}' cannot be set null", field.name),
                                "null: true with on_delete set_null",
                                "null: false".to_string(),
                            );
                        }
                    }
                    FieldKind::ManyToMany { to } => {
                        if !reachable.contains(to) && !dependency_model(to) {
                            return fail(
                                format!("model {label} field '{}' refers to an unknown model", field.name),
                                "a core model, one of the plugin's own, or one of its dependencies'",
                                format!("'{to}'"),
                            );
                        }
                        if field.unique || field.null {
                            return fail(
                                format!("model {label} field '{}' is a many-to-many field", field.name),
                                "no unique or null on a many-to-many field (an empty list is blank)",
                                "unique or null".to_string(),
                            );
                        }
                        let through = format!("{}_{}", model.table(), field.name);
                        if through.len() > 63 {
                            return fail(
                                format!("model {label} field '{}' needs too long a table name", field.name),
                                "a through table name (<app>_<model>_<field>) of at most 63 characters",
                                format!("'{through}' ({} characters)", through.len()),
                            );
                        }
                    }
                    FieldKind::Char { max_length } | FieldKind::Slug { max_length }
                        if *max_length == 0 =>
                    {
                        return fail(
                            format!("model {label} field '{}' has no length", field.name),
                            "max_length of at least 1",
                            "0".to_string(),
                        );
                    }
                    FieldKind::Choice { choices } if choices.is_empty() => {
                        return fail(
                            format!("model {label} field '{}' has no choices", field.name),
                            "at least one choice",
                            "none".to_string(),
                        );
                    }
                    _ => {}
                }
            }
            for set in &model.unique_together {
                if let Some(missing) = set.iter().find(|f| model.get_field(f).is_none()) {
                    return fail(
                        format!("model {label} unique_together names an unknown field"),
                        "fields of the model",
                        format!("'{missing}'"),
                    );
                }
            }
        }
        for migration in &manifest.migrations {
            if migration.app_label != name {
                return fail(
                    format!(
                        "migration {}.{} is for another app",
                        migration.app_label, migration.name
                    ),
                    &format!("migrations of the app '{name}' only"),
                    format!("the app label '{}'", migration.app_label),
                );
            }
            for (dep_app, dep_name) in &migration.dependencies {
                if !apps.contains(dep_app.as_str()) {
                    return fail(
                        format!(
                            "migration {name}.{} depends on an unknown app",
                            migration.name
                        ),
                        "a core app, the plugin itself or one of its dependencies",
                        format!("'{dep_app}.{dep_name}'"),
                    );
                }
            }
        }
        // The declared models must be exactly what the migrations build.
        let plan = Plan::new(&[AppMigrations {
            app: name.to_string(),
            plugin: Some(name.to_string()),
            migrations: manifest
                .migrations
                .iter()
                .map(|m| {
                    let mut m = m.clone();
                    m.dependencies.retain(|(app, _)| app == name);
                    m
                })
                .collect(),
        }])
        .map_err(|e| {
            LoadError::new(
                name,
                Some(file),
                "invalid migrations",
                "a valid migration graph",
                e.to_string(),
            )
        })?;
        let state = final_state(&plan).map_err(|e| {
            LoadError::new(
                name,
                Some(file),
                "invalid migrations",
                "operations that apply in order",
                e.to_string(),
            )
        })?;
        for model in &manifest.models {
            let label = format!("{name}.{}", model.name);
            match state.model(name, &model.name) {
                None => {
                    return fail(
                        format!("model {label} has no migration"),
                        "a migration creating it (CreateModel)",
                        "none".to_string(),
                    )
                }
                Some(built) if !same_model(built, model) => {
                    return fail(
                        format!("model {label} differs from what its migrations build"),
                        &describe(built),
                        describe(model),
                    )
                }
                Some(_) => {}
            }
        }
        for built in state.app(name) {
            if !manifest.models.iter().any(|m| m.name == built.name) {
                return fail(
                    format!(
                        "model {name}.{} is created by a migration but not declared",
                        built.name
                    ),
                    "every migrated model in the manifest's models",
                    "it missing".to_string(),
                );
            }
        }
        models_of.insert(name, own);
    }
    Ok(())
}

/// Whether two schemas describe the same table and behaviour.
pub fn same_model(a: &ModelSchema, b: &ModelSchema) -> bool {
    a.fields == b.fields && a.unique_together == b.unique_together
}

/// A short description of a model's fields for error messages.
pub fn describe(m: &ModelSchema) -> String {
    let fields: Vec<String> = m
        .fields
        .iter()
        .map(|f| {
            let kind = serde_json::to_value(&f.kind)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
                .unwrap_or_default();
            format!("{} {kind}{}", f.name, if f.null { " null" } else { "" })
        })
        .collect();
    format!("fields ({})", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::{FieldSchema, Migration, Operation};

    fn manifest(model: ModelSchema, migrate: bool) -> PluginManifest {
        let mut m = PluginManifest {
            name: "p".into(),
            ..Default::default()
        };
        if migrate {
            m.migrations
                .push(
                    Migration::new("p", "0001_initial").operation(Operation::CreateModel {
                        model: model.clone(),
                    }),
                );
        }
        m.models.push(model);
        m
    }

    fn check(m: &PluginManifest) -> Result<(), String> {
        let core: HashSet<String> = ["dcim.location".to_string()].into();
        check_plugins(&[(m, Path::new("libp.so"))], &core).map_err(|e| e.to_string())
    }

    #[test]
    fn a_good_model_passes() {
        let model = ModelSchema::new("p", "widget")
            .field(FieldSchema::char("name", 10))
            .field(FieldSchema::foreign_key(
                "location",
                "dcim.location",
                nautobot_plugin_abi::OnDelete::Cascade,
            ));
        check(&manifest(model, true)).unwrap();
    }

    #[test]
    fn url_segments_are_valid_and_unique() {
        let model = ModelSchema::new("p", "regularexpressionrule")
            .verbose_names("regular expression rule", "regular expression rules")
            .url_segment("regex-rules")
            .field(FieldSchema::char("name", 10));
        assert_eq!(model.url_plural(), "regex-rules");
        let mut m = manifest(model, true);
        check(&m).unwrap();

        let twin = ModelSchema::new("p", "regexrule")
            .verbose_names("regex rule", "regex rules")
            .field(FieldSchema::char("name", 10));
        m.migrations[0].operations.push(Operation::CreateModel {
            model: twin.clone(),
        });
        m.models.push(twin);
        let err = check(&m).unwrap_err();
        assert!(
            err.contains("model p.regexrule has the URL segment of another model: expected a URL segment (url_segment or plural verbose name) per model, found 'regex-rules', also the segment of p.regularexpressionrule"),
            "{err}"
        );

        let bad = ModelSchema::new("p", "widget")
            .url_segment("Widgets/")
            .field(FieldSchema::char("name", 10));
        let err = check(&manifest(bad, true)).unwrap_err();
        assert!(
            err.contains("model p.widget has an invalid URL segment"),
            "{err}"
        );
    }

    #[test]
    fn bad_models_are_named() {
        let reserved = ModelSchema::new("p", "widget").field(FieldSchema::char("created", 10));
        let err = check(&manifest(reserved, true)).unwrap_err();
        assert!(
            err.contains("model p.widget uses a reserved field name"),
            "{err}"
        );

        let unknown = ModelSchema::new("p", "widget").field(FieldSchema::foreign_key(
            "x",
            "dcim.nothing",
            nautobot_plugin_abi::OnDelete::Cascade,
        ));
        let err = check(&manifest(unknown, true)).unwrap_err();
        assert!(
            err.contains("refers to an unknown model: expected a core model"),
            "{err}"
        );

        let unmigrated = ModelSchema::new("p", "widget").field(FieldSchema::char("name", 10));
        let err = check(&manifest(unmigrated, false)).unwrap_err();
        assert!(err.contains("model p.widget has no migration"), "{err}");

        let core_label = ModelSchema::new("dcim", "widget").field(FieldSchema::char("name", 10));
        let err = check(&manifest(core_label, true)).unwrap_err();
        assert!(err.contains("uses another app label"), "{err}");
    }

    #[test]
    fn declared_and_migrated_models_must_agree() {
        let model = ModelSchema::new("p", "widget").field(FieldSchema::char("name", 10));
        let mut m = manifest(model, true);
        m.models[0].fields.push(FieldSchema::integer("size"));
        let err = check(&m).unwrap_err();
        assert!(
            err.contains("model p.widget differs from what its migrations build"),
            "{err}"
        );
        assert!(
            err.contains("expected fields (name char), found fields (name char, size integer)"),
            "{err}"
        );
    }
}
