//! Plugins' extensions of other models (ABI 1.2): filters added to a model's filter set
//! (Nautobot's `filter_extensions`) and columns added to its UI list (`table_extensions`),
//! each reaching a field over a path of relations, resolved here once at start-up.
//!
//! A path is segments joined by `__`. A segment is a field of the current model — a
//! foreign key or many-to-many field, followed on to the model it points at, or, last,
//! the field compared or shown — or `<app_label>.<model>.<field>`, the objects of another
//! model whose foreign key or many-to-many `field` points at the current object (a
//! reverse relation). `device_type__manufacturer__name` reaches a device's
//! manufacturer's name; `device_lifecycle.devicesoftware.device__software__version` the
//! versions of the software records pointing at a device. Every step is an indexed
//! lookup (foreign keys, link tables and the fields compared all carry list indexes).

use nautobot_plugin_abi::{FieldKind, FieldSchema, PluginManifest};

use super::{column, Registry};

/// One step of a resolved path, from the current model's table to the next one's.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A foreign key column of the current table, pointing at `to`.
    Forward {
        /// The column.
        column: String,
        /// The model pointed at.
        to: String,
    },
    /// A many-to-many field of the current model, kept in a link table.
    Link {
        /// The link table.
        table: String,
        /// Its column holding the current object's id.
        own: String,
        /// Its column holding the other object's id.
        other: String,
        /// The model linked to.
        to: String,
    },
    /// Objects of `from` whose foreign key `column` points at the current object.
    Reverse {
        /// The model pointing back.
        from: String,
        /// Its column.
        column: String,
    },
    /// Objects of `from` linked to the current object by their many-to-many field.
    ReverseLink {
        /// The model holding the many-to-many field.
        from: String,
        /// The link table.
        table: String,
        /// Its column holding `from`'s id.
        own: String,
        /// Its column holding the current object's id.
        other: String,
    },
}

impl Step {
    /// The model this step leads to.
    pub fn target(&self) -> &str {
        match self {
            Step::Forward { to, .. } | Step::Link { to, .. } => to,
            Step::Reverse { from, .. } | Step::ReverseLink { from, .. } => from,
        }
    }
}

/// A path resolved against the models: its steps and the field at its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// The path as declared.
    pub text: String,
    /// The steps, from the extended model on.
    pub steps: Vec<Step>,
    /// The model of the field at the end.
    pub model: String,
    /// The field at the end.
    pub field: FieldSchema,
}

impl Path {
    /// The column of the field at the end.
    pub fn column(&self) -> String {
        column(&self.field)
    }
}

/// A filter a plugin adds to a model's REST and UI filter set.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterExtension {
    /// The plugin.
    pub plugin: String,
    /// The filter's name (`<plugin>_…`); lookups follow it (`<name>__ic`).
    pub name: String,
    /// Shown on the UI filter form.
    pub label: String,
    /// Where the compared field lies.
    pub path: Path,
    /// How the UI filter form offers it (a text input).
    pub input: FieldSchema,
}

/// A column a plugin adds to a model's UI list.
#[derive(Debug, Clone, PartialEq)]
pub struct TableExtension {
    /// The plugin.
    pub plugin: String,
    /// The column's name (`<plugin>_…`).
    pub name: String,
    /// Its heading.
    pub label: String,
    /// The values shown (joined with `, ` when the path reaches several), if a path.
    pub path: Option<Path>,
    /// A Tera template rendering the cell from `obj` (the row's REST representation)
    /// and `values` (the path's values), if given.
    pub template: Option<String>,
}

/// Resolves `path` from the model `start`; the error says which segment fails.
pub fn resolve(registry: &Registry, start: &str, path: &str) -> Result<Path, String> {
    let mut current = start.to_string();
    let mut steps = Vec::new();
    let segments: Vec<&str> = path.split("__").collect();
    if path.is_empty() || segments.iter().any(|s| s.is_empty()) {
        return Err(format!("'{path}' is not a path (segments joined by '__')"));
    }
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let model = registry
            .get(&current)
            .ok_or_else(|| format!("model '{current}' does not exist"))?;
        if let Some((from, field_name)) = segment.rsplit_once('.') {
            if last {
                return Err(format!(
                    "'{segment}' is a reverse relation: a path must end at a field"
                ));
            }
            let other = registry
                .get(from)
                .ok_or_else(|| format!("model '{from}' in '{segment}' does not exist"))?;
            let field = other
                .field(field_name)
                .ok_or_else(|| format!("'{from}' has no field '{field_name}'"))?;
            match (&field.kind, other.link(field_name)) {
                (FieldKind::ForeignKey { to, .. }, _) if *to == current => {
                    steps.push(Step::Reverse {
                        from: from.to_string(),
                        column: column(field),
                    })
                }
                (FieldKind::ManyToMany { to }, Some(link)) if *to == current => {
                    steps.push(Step::ReverseLink {
                        from: from.to_string(),
                        table: link.table.clone(),
                        own: link.own_column.clone(),
                        other: link.other_column.clone(),
                    })
                }
                _ => {
                    return Err(format!(
                        "'{from}.{field_name}' is not a foreign key or many-to-many field to '{current}'"
                    ))
                }
            }
            current = from.to_string();
            continue;
        }
        let field = model
            .field(segment)
            .ok_or_else(|| format!("'{current}' has no field '{segment}'"))?;
        if last {
            if !field.kind.is_column()
                || matches!(field.kind, FieldKind::Json | FieldKind::Tags)
                || model.is_write_only(segment)
            {
                return Err(format!(
                    "'{current}.{segment}' cannot be compared (a path ends at a stored field that is not JSON)"
                ));
            }
            return Ok(Path {
                text: path.to_string(),
                steps,
                model: current,
                field: field.clone(),
            });
        }
        match (&field.kind, model.link(segment)) {
            (FieldKind::ForeignKey { to, .. }, _) => {
                steps.push(Step::Forward {
                    column: column(field),
                    to: to.clone(),
                });
                current = to.clone();
            }
            (FieldKind::ManyToMany { to }, Some(link)) => {
                steps.push(Step::Link {
                    table: link.table.clone(),
                    own: link.own_column.clone(),
                    other: link.other_column.clone(),
                    to: to.clone(),
                });
                current = to.clone();
            }
            _ => {
                return Err(format!(
                    "'{current}.{segment}' is not a relation: only the last segment may be a plain field"
                ))
            }
        }
    }
    Err(format!("'{path}' is not a path"))
}

/// Every plugin's filter and table extensions, each with the label of the model it
/// extends.
pub type Resolved = (
    Vec<(String, FilterExtension)>,
    Vec<(String, TableExtension)>,
);

/// A problem with one plugin's extensions: the plugin, what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// The plugin.
    pub plugin: String,
    /// What is wrong, on one line.
    pub problem: String,
}

/// The filter and table extensions of `plugins`, resolved against `registry` (the core's
/// and those plugins' models); the first that does not resolve refuses its plugin.
pub fn resolve_all(registry: &Registry, plugins: &[&PluginManifest]) -> Result<Resolved, Refused> {
    let mut filters = Vec::new();
    let mut tables = Vec::new();
    for p in plugins {
        let refuse = |what: &str, name: &str, problem: String| Refused {
            plugin: p.name.clone(),
            problem: format!("{what} '{name}': {problem}"),
        };
        let prefix = format!("{}_", p.name);
        for f in &p.filter_extensions {
            let Some(model) = registry.get(&f.model) else {
                return Err(refuse(
                    "filter extension",
                    &f.name,
                    format!("model '{}' does not exist", f.model),
                ));
            };
            if !f.name.starts_with(&prefix) || f.name.len() == prefix.len() {
                return Err(refuse(
                    "filter extension",
                    &f.name,
                    format!("its name must start with '{prefix}'"),
                ));
            }
            if model.field(&f.name).is_some()
                || filters
                    .iter()
                    .any(|(m, e): &(String, FilterExtension)| *m == f.model && e.name == f.name)
            {
                return Err(refuse(
                    "filter extension",
                    &f.name,
                    format!("'{}' already has a filter of that name", f.model),
                ));
            }
            let path = resolve(registry, &f.model, &f.path)
                .map_err(|e| refuse("filter extension", &f.name, e))?;
            filters.push((
                f.model.clone(),
                FilterExtension {
                    plugin: p.name.clone(),
                    name: f.name.clone(),
                    label: if f.label.is_empty() {
                        f.name.clone()
                    } else {
                        f.label.clone()
                    },
                    input: FieldSchema::char(f.name.clone(), 255)
                        .optional()
                        .verbose_name(if f.label.is_empty() {
                            f.name.clone()
                        } else {
                            f.label.clone()
                        }),
                    path,
                },
            ));
        }
        for (i, f) in p.tera_filters.iter().enumerate() {
            let valid = f.name.len() > prefix.len()
                && f.name.starts_with(&prefix)
                && f.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(refuse(
                    "template filter",
                    &f.name,
                    format!(
                        "its name must start with '{prefix}' and hold only letters, digits and '_'"
                    ),
                ));
            }
            if p.tera_filters[..i].iter().any(|o| o.name == f.name) {
                return Err(refuse(
                    "template filter",
                    &f.name,
                    "registered twice".into(),
                ));
            }
        }
        for (i, r) in p.rest_fields.iter().enumerate() {
            if registry.get(&r.model).is_none() {
                return Err(refuse(
                    "REST field",
                    &r.name,
                    format!("model '{}' does not exist", r.model),
                ));
            }
            if r.name.is_empty() || p.rest_fields[..i].iter().any(|o| o.name == r.name) {
                return Err(refuse(
                    "REST field",
                    &r.name,
                    "names must be unique and not empty".into(),
                ));
            }
        }
        for t in &p.table_extensions {
            if registry.get(&t.model).is_none() {
                return Err(refuse(
                    "table extension",
                    &t.name,
                    format!("model '{}' does not exist", t.model),
                ));
            }
            if !t.name.starts_with(&prefix) || t.name.len() == prefix.len() {
                return Err(refuse(
                    "table extension",
                    &t.name,
                    format!("its name must start with '{prefix}'"),
                ));
            }
            if t.path.is_none() && t.template.is_none() {
                return Err(refuse(
                    "table extension",
                    &t.name,
                    "give a path, a template or both".into(),
                ));
            }
            let path = match &t.path {
                Some(text) => Some(
                    resolve(registry, &t.model, text)
                        .map_err(|e| refuse("table extension", &t.name, e))?,
                ),
                None => None,
            };
            tables.push((
                t.model.clone(),
                TableExtension {
                    plugin: p.name.clone(),
                    name: t.name.clone(),
                    label: if t.label.is_empty() {
                        t.name.clone()
                    } else {
                        t.label.clone()
                    },
                    path,
                    template: t.template.clone(),
                },
            ));
        }
    }
    Ok((filters, tables))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn paths_resolve_forward_reverse_and_through_links() {
        let registry = Catalog::build(&[]).unwrap().registry;
        let path = resolve(&registry, "dcim.device", "device_type__manufacturer__name").unwrap();
        assert_eq!(
            path.steps,
            [
                Step::Forward {
                    column: "device_type_id".into(),
                    to: "dcim.devicetype".into()
                },
                Step::Forward {
                    column: "manufacturer_id".into(),
                    to: "dcim.manufacturer".into()
                },
            ]
        );
        assert_eq!(
            (path.model.as_str(), path.column()),
            ("dcim.manufacturer", "name".into())
        );
        let reverse = resolve(&registry, "dcim.location", "dcim.device.location__serial").unwrap();
        assert_eq!(
            reverse.steps,
            [Step::Reverse {
                from: "dcim.device".into(),
                column: "location_id".into()
            }]
        );
        let through = resolve(
            &registry,
            "dcim.location",
            "extras.configcontext.locations__name",
        )
        .unwrap();
        assert!(
            matches!(&through.steps[0], Step::ReverseLink { from, .. } if from == "extras.configcontext")
        );
        let forward_link = resolve(&registry, "extras.configcontext", "locations__name").unwrap();
        assert!(matches!(&forward_link.steps[0], Step::Link { to, .. } if to == "dcim.location"));
    }

    #[test]
    fn paths_that_do_not_resolve_say_which_segment() {
        let registry = Catalog::build(&[]).unwrap().registry;
        for (path, problem) in [
            ("rack__name", "'dcim.device' has no field 'rack'"),
            ("", "is not a path"),
            ("name__", "is not a path"),
            ("comments__x", "is not a relation"),
            ("local_config_context_data", "cannot be compared"),
            ("dcim.nothing.device__name", "model 'dcim.nothing'"),
            (
                "dcim.location.parent__name",
                "is not a foreign key or many-to-many field to 'dcim.device'",
            ),
            ("dcim.interface.device", "a path must end at a field"),
        ] {
            let err = resolve(&registry, "dcim.device", path).unwrap_err();
            assert!(err.contains(problem), "{path}: {err}");
        }
    }
}
