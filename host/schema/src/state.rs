//! The shape of every model as migrations leave it: replaying operations in order gives
//! the state each later operation (and `check`) compares against, as Django's
//! migration state does.

use std::collections::BTreeMap;

use nautobot_plugin_abi::{FieldKind, ModelSchema, Operation};

use nautobot_base::error::{Error, Result};

/// Every model's schema after some migrations, keyed by app then model name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectState {
    apps: BTreeMap<String, BTreeMap<String, ModelSchema>>,
    /// The indexes `AddIndex` created, per (app, model); `ModelSchema` has no place for
    /// them, and SQLite's table rebuilds must recreate them.
    indexes: BTreeMap<(String, String), Vec<Index>>,
}

/// An index a migration added (`AddIndex`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// Its name (unique in the database).
    pub name: String,
    /// The fields indexed, in order.
    pub fields: Vec<String>,
}

impl ProjectState {
    /// The model `name` of `app`.
    pub fn model(&self, app: &str, name: &str) -> Option<&ModelSchema> {
        self.apps.get(app).and_then(|m| m.get(name))
    }

    /// The models of `app`.
    pub fn app(&self, app: &str) -> Vec<&ModelSchema> {
        self.apps
            .get(app)
            .map(|m| m.values().collect())
            .unwrap_or_default()
    }

    /// Every model of every app.
    pub fn models(&self) -> impl Iterator<Item = &ModelSchema> {
        self.apps.values().flat_map(|m| m.values())
    }

    /// The indexes migrations added to the model `name` of `app`.
    pub fn indexes(&self, app: &str, name: &str) -> &[Index] {
        self.indexes
            .get(&(app.to_string(), name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn indexes_mut(&mut self, app: &str, name: &str) -> &mut Vec<Index> {
        self.indexes
            .entry((app.to_string(), name.to_string()))
            .or_default()
    }

    fn model_mut(&mut self, app: &str, name: &str) -> Result<&mut ModelSchema> {
        self.apps
            .get_mut(app)
            .and_then(|m| m.get_mut(name))
            .ok_or_else(|| {
                Error::Database(format!("migration refers to unknown model {app}.{name}"))
            })
    }

    /// Applies `op` of app `app` to the state.
    pub fn apply(&mut self, app: &str, op: &Operation) -> Result<()> {
        match op {
            Operation::CreateModel { model } => {
                let mut model = model.clone();
                model.app_label = app.to_string();
                let models = self.apps.entry(app.to_string()).or_default();
                if models.contains_key(&model.name) {
                    return Err(Error::Database(format!(
                        "migration creates {app}.{} twice",
                        model.name
                    )));
                }
                models.insert(model.name.clone(), model);
            }
            Operation::AddField { model, field } => {
                let m = self.model_mut(app, model)?;
                if m.get_field(&field.name).is_some() {
                    return Err(Error::Database(format!(
                        "migration adds field {} to {app}.{model} twice",
                        field.name
                    )));
                }
                m.fields.push(field.clone());
            }
            Operation::AlterField { model, field } => {
                let m = self.model_mut(app, model)?;
                let slot = m
                    .fields
                    .iter_mut()
                    .find(|f| f.name == field.name)
                    .ok_or_else(|| {
                        Error::Database(format!(
                            "migration alters unknown field {app}.{model}.{}",
                            field.name
                        ))
                    })?;
                *slot = field.clone();
            }
            Operation::RemoveField { model, field } => {
                let m = self.model_mut(app, model)?;
                let before = m.fields.len();
                m.fields.retain(|f| &f.name != field);
                if m.fields.len() == before {
                    return Err(Error::Database(format!(
                        "migration removes unknown field {app}.{model}.{field}"
                    )));
                }
                for set in &mut m.unique_together {
                    set.retain(|f| f != field);
                }
                m.unique_together.retain(|set| !set.is_empty());
                // As PostgreSQL's DROP COLUMN does: indexes on the field go with it.
                self.indexes_mut(app, model)
                    .retain(|index| !index.fields.contains(field));
            }
            Operation::RenameField {
                model,
                old_name,
                new_name,
            } => {
                let m = self.model_mut(app, model)?;
                let field = m
                    .fields
                    .iter_mut()
                    .find(|f| &f.name == old_name)
                    .ok_or_else(|| {
                        Error::Database(format!(
                            "migration renames unknown field {app}.{model}.{old_name}"
                        ))
                    })?;
                field.name = new_name.clone();
                for set in &mut m.unique_together {
                    for f in set.iter_mut() {
                        if f == old_name {
                            *f = new_name.clone();
                        }
                    }
                }
                for list in [&mut m.search_fields, &mut m.natural_key, &mut m.ordering] {
                    for f in list.iter_mut() {
                        if f.trim_start_matches('-') == old_name {
                            *f = f.replace(old_name.as_str(), new_name);
                        }
                    }
                }
                if m.display_field.as_deref() == Some(old_name.as_str()) {
                    m.display_field = Some(new_name.clone());
                }
                for index in self.indexes_mut(app, model) {
                    for f in index.fields.iter_mut() {
                        if f == old_name {
                            *f = new_name.clone();
                        }
                    }
                }
            }
            Operation::DeleteModel { model } => {
                self.model_mut(app, model)?;
                if let Some(models) = self.apps.get_mut(app) {
                    models.remove(model);
                }
                self.indexes.remove(&(app.to_string(), model.clone()));
            }
            Operation::AlterModelOptions { model } => {
                let m = self.model_mut(app, &model.name)?;
                let fields = std::mem::take(&mut m.fields);
                *m = model.clone();
                m.app_label = app.to_string();
                m.fields = fields;
            }
            Operation::AddIndex {
                model,
                fields,
                name,
            } => {
                let m = self.model_mut(app, model)?;
                if let Some(missing) = fields.iter().find(|f| m.get_field(f).is_none()) {
                    return Err(Error::Database(format!(
                        "migration indexes unknown field {app}.{model}.{missing}"
                    )));
                }
                if self.indexes.values().flatten().any(|i| &i.name == name) {
                    return Err(Error::Database(format!(
                        "migration adds index {name} twice"
                    )));
                }
                self.indexes_mut(app, model).push(Index {
                    name: name.clone(),
                    fields: fields.clone(),
                });
            }
            Operation::RunData { model, .. } => {
                self.model_mut(app, model)?;
            }
            Operation::CopyForeignKeyToManyToMany { model, from, to } => {
                let label = format!("{app}.{model}");
                let m = self.model_mut(app, model)?;
                let source = m.get_field(from).and_then(|f| match &f.kind {
                    FieldKind::ForeignKey { to, .. } => Some(to.clone()),
                    _ => None,
                });
                let target = m.get_field(to).and_then(|f| match &f.kind {
                    FieldKind::ManyToMany { to } => Some(to.clone()),
                    _ => None,
                });
                match (source, target) {
                    (Some(a), Some(b)) if a == b => {}
                    _ => {
                        return Err(Error::Database(format!(
                        "{label}: copy_foreign_key_to_many_to_many needs a foreign key '{from}' \
                             and a many-to-many field '{to}' to the same model"
                    )))
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::FieldSchema;

    #[test]
    fn operations_replay_into_the_final_shape() {
        let mut state = ProjectState::default();
        let model = ModelSchema::new("p", "thing").field(FieldSchema::char("name", 10));
        state.apply("p", &Operation::CreateModel { model }).unwrap();
        state
            .apply(
                "p",
                &Operation::AddField {
                    model: "thing".into(),
                    field: FieldSchema::integer("size"),
                },
            )
            .unwrap();
        state
            .apply(
                "p",
                &Operation::RenameField {
                    model: "thing".into(),
                    old_name: "size".into(),
                    new_name: "weight".into(),
                },
            )
            .unwrap();
        let m = state.model("p", "thing").unwrap();
        assert_eq!(m.fields.len(), 2);
        assert!(m.get_field("weight").is_some());
        state
            .apply(
                "p",
                &Operation::RemoveField {
                    model: "thing".into(),
                    field: "weight".into(),
                },
            )
            .unwrap();
        assert_eq!(state.model("p", "thing").unwrap().fields.len(), 1);
        let err = state
            .apply(
                "p",
                &Operation::RemoveField {
                    model: "thing".into(),
                    field: "weight".into(),
                },
            )
            .unwrap_err();
        assert!(err.to_string().contains("unknown field p.thing.weight"));
        state
            .apply(
                "p",
                &Operation::DeleteModel {
                    model: "thing".into(),
                },
            )
            .unwrap();
        assert!(state.model("p", "thing").is_none());
    }

    #[test]
    fn added_indexes_follow_renames_and_removals() {
        let mut state = ProjectState::default();
        let model = ModelSchema::new("p", "thing")
            .field(FieldSchema::char("name", 10))
            .field(FieldSchema::integer("size"))
            .field(FieldSchema::integer("weight"));
        state.apply("p", &Operation::CreateModel { model }).unwrap();
        let index = |name: &str, fields: &[&str]| Operation::AddIndex {
            model: "thing".into(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
            name: name.into(),
        };
        state
            .apply("p", &index("p_name_size", &["name", "size"]))
            .unwrap();
        state.apply("p", &index("p_weight", &["weight"])).unwrap();
        let err = state.apply("p", &index("p_weight", &["name"])).unwrap_err();
        assert!(
            err.to_string().contains("adds index p_weight twice"),
            "{err}"
        );
        let err = state.apply("p", &index("p_nope", &["nope"])).unwrap_err();
        assert!(
            err.to_string().contains("unknown field p.thing.nope"),
            "{err}"
        );
        state
            .apply(
                "p",
                &Operation::RenameField {
                    model: "thing".into(),
                    old_name: "size".into(),
                    new_name: "quantity".into(),
                },
            )
            .unwrap();
        state
            .apply(
                "p",
                &Operation::RemoveField {
                    model: "thing".into(),
                    field: "weight".into(),
                },
            )
            .unwrap();
        assert_eq!(
            state.indexes("p", "thing"),
            [Index {
                name: "p_name_size".into(),
                fields: vec!["name".into(), "quantity".into()],
            }]
        );
        state
            .apply(
                "p",
                &Operation::DeleteModel {
                    model: "thing".into(),
                },
            )
            .unwrap();
        assert!(state.indexes("p", "thing").is_empty());
    }
}
