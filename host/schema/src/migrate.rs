//! The declarative migration engine: orders the migrations of every app, turns each
//! operation into SQL for the backend, applies each migration atomically, and records
//! it in `nautobot_migrations` (like `django_migrations`) with the operations it ran, so
//! that the state of the tables is known even when a plugin edits an applied migration.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use diesel::{connection::SimpleConnection, Connection};
use nautobot_plugin_abi::{FieldKind, Migration, ModelSchema, Operation};
use serde_json::Value;

use super::{
    column,
    ddl::{self, table_of},
    state::ProjectState,
};
use nautobot_base::error::{Error, Result};
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlValue},
    Backend, Database, DbConnection,
};

/// The migrations of one app, in order.
#[derive(Debug, Clone)]
pub struct AppMigrations {
    /// The app label.
    pub app: String,
    /// The plugin that ships them (`None` for core apps).
    pub plugin: Option<String>,
    /// The migrations, oldest first.
    pub migrations: Vec<Migration>,
}

/// Every known migration in the order they apply.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    steps: Vec<Migration>,
    owners: HashMap<String, Option<String>>,
}

impl Plan {
    /// Orders `apps`' migrations: each after the one before it in its app and after its
    /// declared dependencies; otherwise apps in the order given.
    pub fn new(apps: &[AppMigrations]) -> Result<Plan> {
        let mut index: HashMap<(String, String), (usize, usize)> = HashMap::new();
        for (a, app) in apps.iter().enumerate() {
            for (m, migration) in app.migrations.iter().enumerate() {
                index.insert((app.app.clone(), migration.name.clone()), (a, m));
            }
        }
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Visiting,
            Done,
        }
        let mut marks: HashMap<(usize, usize), Mark> = HashMap::new();
        let mut order: Vec<(usize, usize)> = Vec::new();

        fn visit(
            node: (usize, usize),
            apps: &[AppMigrations],
            index: &HashMap<(String, String), (usize, usize)>,
            marks: &mut HashMap<(usize, usize), Mark>,
            order: &mut Vec<(usize, usize)>,
        ) -> Result<()> {
            match marks.get(&node).copied().unwrap_or(Mark::New) {
                Mark::Done => return Ok(()),
                Mark::Visiting => {
                    let m = &apps[node.0].migrations[node.1];
                    return Err(Error::Database(format!(
                        "migration {}.{} is part of a dependency cycle",
                        apps[node.0].app, m.name
                    )));
                }
                Mark::New => {}
            }
            marks.insert(node, Mark::Visiting);
            if node.1 > 0 {
                visit((node.0, node.1 - 1), apps, index, marks, order)?;
            }
            let migration = &apps[node.0].migrations[node.1];
            for (dep_app, dep_name) in &migration.dependencies {
                let Some(&dep) = index.get(&(dep_app.clone(), dep_name.clone())) else {
                    return Err(Error::Database(format!(
                        "migration {}.{} depends on {dep_app}.{dep_name}, which does not exist",
                        apps[node.0].app, migration.name
                    )));
                };
                visit(dep, apps, index, marks, order)?;
            }
            marks.insert(node, Mark::Done);
            order.push(node);
            Ok(())
        }

        for (a, app) in apps.iter().enumerate() {
            for m in 0..app.migrations.len() {
                visit((a, m), apps, &index, &mut marks, &mut order)?;
            }
        }
        Ok(Plan {
            steps: order
                .into_iter()
                .map(|(a, m)| {
                    let mut migration = apps[a].migrations[m].clone();
                    migration.app_label = apps[a].app.clone();
                    migration
                })
                .collect(),
            owners: apps
                .iter()
                .map(|a| (a.app.clone(), a.plugin.clone()))
                .collect(),
        })
    }

    /// The migrations in apply order.
    pub fn steps(&self) -> &[Migration] {
        &self.steps
    }

    /// The apps in the plan, in first-appearance order.
    pub fn apps(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for step in &self.steps {
            if !seen.contains(&step.app_label) {
                seen.push(step.app_label.clone());
            }
        }
        seen
    }

    /// The plugin owning `app`, if any.
    pub fn plugin_of(&self, app: &str) -> Option<&str> {
        self.owners.get(app).and_then(|p| p.as_deref())
    }
}

/// The migrations recorded as applied, each with the operations it ran (`None` when
/// the record has none this host can read).
pub type Applied = HashMap<(String, String), Option<Vec<Operation>>>;

/// The migrations recorded as applied, with the operations they ran.
pub fn applied(conn: &mut DbConnection) -> Result<Applied> {
    let rows = dynamic::query_json(
        conn,
        &Sql::from(json_select(
            dynamic::backend_of(conn),
            &[
                ("app", "app"),
                ("name", "name"),
                ("operations", "operations"),
            ],
            "nautobot_migrations",
        )),
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let operations = r
                .get("operations")
                .and_then(Value::as_str)
                .and_then(|json| serde_json::from_str::<Vec<Operation>>(json).ok());
            Some((
                (
                    r.get("app")?.as_str()?.to_string(),
                    r.get("name")?.as_str()?.to_string(),
                ),
                operations,
            ))
        })
        .collect())
}

fn json_select(backend: Backend, pairs: &[(&str, &str)], table: &str) -> String {
    let args: Vec<String> = pairs
        .iter()
        .map(|(k, col)| format!("'{k}', {}", ident(col)))
        .collect();
    match backend {
        Backend::Sqlite => format!(
            "SELECT json_object({}) AS row FROM {}",
            args.join(", "),
            ident(table)
        ),
        Backend::Postgres => format!(
            "SELECT json_build_object({})::text AS row FROM {}",
            args.join(", "),
            ident(table)
        ),
    }
}

/// The state of every model after the applied migrations: the operations recorded
/// when each was applied (what the tables really are, even if the migration was edited
/// since), else its current ones.
pub fn applied_state(plan: &Plan, applied: &Applied) -> Result<ProjectState> {
    let mut state = ProjectState::default();
    for step in plan.steps() {
        if let Some(recorded) = applied.get(&(step.app_label.clone(), step.name.clone())) {
            for op in recorded.as_ref().unwrap_or(&step.operations) {
                state.apply(&step.app_label, op)?;
            }
        }
    }
    Ok(state)
}

/// The state every model reaches when all migrations are applied.
pub fn final_state(plan: &Plan) -> Result<ProjectState> {
    let mut state = ProjectState::default();
    for step in plan.steps() {
        for op in &step.operations {
            state.apply(&step.app_label, op)?;
        }
    }
    Ok(state)
}

/// One migration and whether it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The app.
    pub app: String,
    /// The migration.
    pub name: String,
    /// Whether it is applied.
    pub applied: bool,
}

/// The state of every migration in plan order, then recorded ones no longer known (of
/// plugins removed from `PLUGINS`).
pub fn show(db: &Database, plan: &Plan) -> Result<Vec<Status>> {
    let mut conn = db.conn()?;
    let done = applied(&mut conn)?;
    let mut out: Vec<Status> = plan
        .steps()
        .iter()
        .map(|m| Status {
            app: m.app_label.clone(),
            name: m.name.clone(),
            applied: done.contains_key(&(m.app_label.clone(), m.name.clone())),
        })
        .collect();
    let mut unknown: Vec<&(String, String)> = done
        .keys()
        .filter(|(app, name)| {
            !plan
                .steps()
                .iter()
                .any(|m| &m.app_label == app && &m.name == name)
        })
        .collect();
    unknown.sort();
    out.extend(unknown.into_iter().map(|(app, name)| Status {
        app: app.clone(),
        name: name.clone(),
        applied: true,
    }));
    Ok(out)
}

/// Checks that every plugin model is in the database as the plugin declares it: the
/// migrations recorded as applied must build exactly the declared models (they differ
/// when a plugin's migrations were changed after they ran).
pub fn check_applied(db: &Database, catalog: &super::catalog::Catalog) -> Result<()> {
    let mut conn = db.conn()?;
    let done = applied(&mut conn)?;
    let state = applied_state(&catalog.plan, &done)?;
    for model in catalog.registry.iter() {
        let Some(plugin) = &model.plugin else {
            continue;
        };
        let label = model.label();
        let fail = |problem: String, expected: String, found: String| {
            Err(Error::PluginLoad(nautobot_base::LoadError::new(
                plugin, None, problem, expected, found,
            )))
        };
        match state.model(&model.schema.app_label, &model.schema.name) {
            None => {
                return fail(
                    format!("model {label} is not in the database"),
                    "its migrations applied (run `nautobot-server migrate`)".into(),
                    "no table".into(),
                )
            }
            Some(applied) if !super::checks::same_model(applied, &model.schema) => {
                // Name the applied migrations that were edited since, if that is why.
                let edited: Vec<String> = catalog
                    .plan
                    .steps()
                    .iter()
                    .filter(|step| step.app_label == model.schema.app_label)
                    .filter(|step| {
                        matches!(
                            done.get(&(step.app_label.clone(), step.name.clone())),
                            Some(Some(ran)) if *ran != step.operations
                        )
                    })
                    .map(|step| format!("{}.{}", step.app_label, step.name))
                    .collect();
                let mut problem = format!("model {label} differs from its applied migrations");
                if !edited.is_empty() {
                    problem.push_str(&format!(
                        " ({} changed after it was applied)",
                        edited.join(", ")
                    ));
                }
                return fail(
                    problem,
                    super::checks::describe(&model.schema),
                    super::checks::describe(applied),
                );
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Applies every pending migration in order, each atomically; returns those applied.
pub fn migrate(db: &Database, plan: &Plan) -> Result<Vec<(String, String)>> {
    let mut conn = db.conn()?;
    let done = applied(&mut conn)?;
    let mut state = applied_state(plan, &done)?;
    let mut out = Vec::new();
    for step in plan.steps() {
        let key = (step.app_label.clone(), step.name.clone());
        if done.contains_key(&key) {
            continue;
        }
        apply_one(&mut conn, &mut state, step).map_err(|e| {
            let reason = match e {
                Error::Database(message) => message,
                other => other.to_string(),
            };
            Error::Database(format!(
                "migration {}.{} failed and was rolled back: {reason}",
                step.app_label, step.name
            ))
        })?;
        out.push(key);
    }
    Ok(out)
}

/// Runs `work` in a transaction; on SQLite with foreign keys off (so that table
/// rebuilds do not cascade) and checked before commit.
fn atomically(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<()>,
) -> Result<()> {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    if sqlite {
        conn.batch_execute("PRAGMA foreign_keys = OFF")?;
    }
    let result = conn.transaction(|conn| {
        work(conn)?;
        if sqlite {
            let broken = dynamic::query_count(
                conn,
                &Sql::from("SELECT COUNT(*) AS count FROM pragma_foreign_key_check"),
            )?;
            if broken > 0 {
                return Err(Error::Database(format!(
                    "{broken} rows would break foreign keys"
                )));
            }
        }
        Ok(())
    });
    if sqlite {
        conn.batch_execute("PRAGMA foreign_keys = ON")?;
    }
    result
}

fn apply_one(conn: &mut DbConnection, state: &mut ProjectState, step: &Migration) -> Result<()> {
    let backend = dynamic::backend_of(conn);
    let mut next = state.clone();
    atomically(conn, |conn| {
        for op in &step.operations {
            let before = next.clone();
            next.apply(&step.app_label, op)?;
            for sql in statements(&before, &next, &step.app_label, op, backend)? {
                dynamic::execute(conn, &sql)?;
            }
        }
        let operations = serde_json::to_string(&step.operations)
            .map_err(|e| Error::Internal(format!("cannot record the operations: {e}")))?;
        let mut record =
            Sql::from("INSERT INTO nautobot_migrations (app, name, applied, operations) VALUES (");
        record
            .bind(SqlValue::text(&step.app_label))
            .push(", ")
            .bind(SqlValue::text(&step.name))
            .push(", ")
            .bind(SqlValue::Text(
                Utc::now().to_rfc3339(),
                dynamic::SqlType::Timestamp,
            ))
            .push(", ")
            .bind(SqlValue::text(operations))
            .push(")");
        dynamic::execute(conn, &record)?;
        Ok(())
    })?;
    *state = next;
    Ok(())
}

fn ddl(statements: Vec<String>) -> Vec<Sql> {
    statements.into_iter().map(Sql::from).collect()
}

/// The SQL one operation needs, given the state before and after it.
fn statements(
    before: &ProjectState,
    after: &ProjectState,
    app: &str,
    op: &Operation,
    backend: Backend,
) -> Result<Vec<Sql>> {
    let model_after = |name: &str| {
        after
            .model(app, name)
            .ok_or_else(|| Error::Database(format!("unknown model {app}.{name}")))
    };
    let model_before = |name: &str| {
        before
            .model(app, name)
            .ok_or_else(|| Error::Database(format!("unknown model {app}.{name}")))
    };
    let sqlite = backend == Backend::Sqlite;
    // A rebuilt SQLite table loses every index; its own are in `rebuild_sqlite`, these
    // are the ones migrations added.
    let added_indexes = |name: &str| -> Result<Vec<String>> {
        let m = model_after(name)?;
        after
            .indexes(app, name)
            .iter()
            .map(|index| index_statement(m, &index.name, &index.fields))
            .collect()
    };
    Ok(match op {
        Operation::CreateModel { model } => {
            let m = model_after(&model.name)?;
            let mut out = ddl::create_table(m, backend);
            out.extend(ddl::index_statements(m, backend));
            out.extend(ddl::through_tables(m, backend));
            ddl(out)
        }
        Operation::AddField { model, field } => {
            if matches!(field.kind, FieldKind::Tags) {
                return Ok(Vec::new());
            }
            if matches!(field.kind, FieldKind::ManyToMany { .. }) {
                return Ok(ddl(ddl::through_table(model_after(model)?, field, backend)));
            }
            let new = model_after(model)?;
            let old = model_before(model)?;
            let simple =
                !(field.unique || (sqlite && matches!(field.kind, FieldKind::ForeignKey { .. })));
            if sqlite && !simple {
                let mut copy = identity_copy(old);
                if let Some(default) = ddl::literal(
                    field.default.as_ref().unwrap_or(&Value::Null),
                    field,
                    backend,
                ) {
                    copy.push((column(field), default));
                }
                let mut out = ddl::rebuild_sqlite(new, &copy);
                out.extend(added_indexes(model)?);
                ddl(out)
            } else {
                let mut out = vec![format!(
                    "ALTER TABLE {} ADD COLUMN {}",
                    ident(&new.table()),
                    ddl::column_def(field, backend, true)
                )];
                out.extend(ddl::drop_changed_indexes(old, new, backend));
                out.extend(ddl::index_statements(new, backend));
                ddl(out)
            }
        }
        Operation::AlterField { model, field } => {
            let new = model_after(model)?;
            let old = model_before(model)?;
            let was = old.get_field(&field.name);
            if let Some(was) = was.filter(|w| w.kind != field.kind) {
                if !was.kind.is_column() || !field.kind.is_column() {
                    return Err(Error::Database(format!(
                        "{app}.{model}.{}: a many-to-many or tags field cannot become another \
                         kind of field, nor another field one: remove it and add the new one",
                        field.name
                    )));
                }
            }
            if !field.kind.is_column() {
                // Only its options (blank, help text …) change: nothing in the database.
                return Ok(Vec::new());
            }
            if sqlite {
                let mut out = ddl::rebuild_sqlite(new, &identity_copy(new));
                out.extend(added_indexes(model)?);
                ddl(out)
            } else {
                let table = ident(&new.table());
                let col = column(field);
                let mut out = ddl::drop_changed_indexes(old, new, backend);
                out.push(format!(
                    "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {}",
                    ident(&format!("{}_{col}_fkey", new.table()))
                ));
                let ty = ddl::column_type(field, backend);
                out.push(format!(
                    "ALTER TABLE {table} ALTER COLUMN {} TYPE {ty} USING {}::{ty}",
                    ident(&col),
                    ident(&col)
                ));
                out.push(format!(
                    "ALTER TABLE {table} ALTER COLUMN {} {} NOT NULL",
                    ident(&col),
                    if field.null { "DROP" } else { "SET" }
                ));
                if let Some((to, on_delete)) = super::fk_target(field) {
                    out.push(format!(
                        "ALTER TABLE {table} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}){} DEFERRABLE INITIALLY DEFERRED",
                        ident(&format!("{}_{col}_fkey", new.table())),
                        ident(&col),
                        ident(&table_of(to)),
                        ident("id"),
                        match on_delete {
                            nautobot_plugin_abi::OnDelete::Cascade => " ON DELETE CASCADE",
                            nautobot_plugin_abi::OnDelete::SetNull => " ON DELETE SET NULL",
                            nautobot_plugin_abi::OnDelete::Protect => "",
                        }
                    ));
                }
                out.extend(ddl::index_statements(new, backend));
                ddl(out)
            }
        }
        Operation::RemoveField { model, field } => {
            let old = model_before(model)?;
            let removed = old
                .get_field(field)
                .ok_or_else(|| Error::Database(format!("unknown field {app}.{model}.{field}")))?;
            if matches!(removed.kind, FieldKind::Tags) {
                return Ok(Vec::new());
            }
            if let Some(link) = super::through_link(old, removed) {
                return Ok(ddl(vec![format!("DROP TABLE {}", ident(&link.table))]));
            }
            let new = model_after(model)?;
            if sqlite {
                let mut out = ddl::rebuild_sqlite(new, &identity_copy(new));
                out.extend(added_indexes(model)?);
                ddl(out)
            } else {
                let mut out = ddl::drop_changed_indexes(old, new, backend);
                out.push(format!(
                    "ALTER TABLE {} DROP COLUMN {}",
                    ident(&new.table()),
                    ident(&column(removed))
                ));
                out.extend(ddl::index_statements(new, backend));
                ddl(out)
            }
        }
        Operation::RenameField {
            model,
            old_name,
            new_name,
        } => {
            let old = model_before(model)?;
            let new = model_after(model)?;
            let field = old.get_field(old_name).ok_or_else(|| {
                Error::Database(format!("unknown field {app}.{model}.{old_name}"))
            })?;
            if matches!(field.kind, FieldKind::Tags) {
                return Ok(Vec::new());
            }
            let renamed = new.get_field(new_name).ok_or_else(|| {
                Error::Database(format!("unknown field {app}.{model}.{new_name}"))
            })?;
            if let (Some(was), Some(now)) = (
                super::through_link(old, field),
                super::through_link(new, renamed),
            ) {
                return Ok(ddl(vec![format!(
                    "ALTER TABLE {} RENAME TO {}",
                    ident(&was.table),
                    ident(&now.table)
                )]));
            }
            let mut out = ddl::drop_changed_indexes(old, new, backend);
            out.push(format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {}",
                ident(&new.table()),
                ident(&column(field)),
                ident(&column(renamed))
            ));
            out.extend(ddl::index_statements(new, backend));
            ddl(out)
        }
        Operation::DeleteModel { model } => {
            let old = model_before(model)?;
            let label = old.label();
            if let Some(other) = after.models().find(|m| {
                m.fields
                    .iter()
                    .any(|f| super::refers_to(f) == Some(label.as_str()))
            }) {
                return Err(Error::Database(format!(
                    "cannot delete {label}: {} still refers to it",
                    other.label()
                )));
            }
            let mut out: Vec<String> = old
                .fields
                .iter()
                .filter_map(|f| super::through_link(old, f))
                .map(|link| format!("DROP TABLE {}", ident(&link.table)))
                .collect();
            out.push(format!("DROP TABLE {}", ident(&old.table())));
            ddl(out)
        }
        Operation::AddIndex {
            model,
            fields,
            name,
        } => ddl(vec![index_statement(model_after(model)?, name, fields)?]),
        Operation::AlterModelOptions { model } => {
            let old = model_before(&model.name)?;
            let new = model_after(&model.name)?;
            if ddl::index_statements(old, backend) == ddl::index_statements(new, backend) {
                Vec::new()
            } else {
                let mut out = ddl::drop_changed_indexes(old, new, backend);
                out.extend(ddl::index_statements(new, backend));
                ddl(out)
            }
        }
        Operation::RunData { model, rows } => {
            let m = model_after(model)?;
            rows.iter()
                .map(|row| insert_row(m, row, backend))
                .collect::<Result<Vec<_>>>()?
        }
        Operation::CopyForeignKeyToManyToMany { model, from, to } => {
            let m = model_after(model)?;
            let (Some(source), Some(link)) = (
                m.get_field(from),
                m.get_field(to).and_then(|f| super::through_link(m, f)),
            ) else {
                return Err(Error::Database(format!(
                    "unknown field {app}.{model}.{from} or {to}"
                )));
            };
            let col = ident(&column(source));
            ddl(vec![format!(
                "INSERT INTO {} ({}, {}) SELECT {}, {col} FROM {} WHERE {col} IS NOT NULL",
                ident(&link.table),
                ident(&link.own_column),
                ident(&link.other_column),
                ident("id"),
                ident(&m.table()),
            )])
        }
    })
}

/// `CREATE INDEX` for an index a migration adds.
fn index_statement(model: &ModelSchema, name: &str, fields: &[String]) -> Result<String> {
    let cols: Vec<String> = fields
        .iter()
        .map(|f| {
            model
                .get_field(f)
                .map(|f| ident(&column(f)))
                .ok_or_else(|| Error::Database(format!("unknown field {}.{f}", model.label())))
        })
        .collect::<Result<_>>()?;
    Ok(format!(
        "CREATE INDEX {} ON {} ({})",
        ident(name),
        ident(&model.table()),
        cols.join(", ")
    ))
}

/// Copies every stored column of `model` as it is.
fn identity_copy(model: &ModelSchema) -> Vec<(String, String)> {
    let mut copy = vec![("id".to_string(), ident("id"))];
    for field in &model.fields {
        if !field.kind.is_column() {
            continue;
        }
        let col = column(field);
        copy.push((col.clone(), ident(&col)));
    }
    copy.push(("created".into(), ident("created")));
    copy.push(("last_updated".into(), ident("last_updated")));
    copy
}

/// An INSERT of one data-migration row. Foreign keys may be given as an id or as an
/// object of lookups on the target (`{"name": "Global"}`).
fn insert_row(model: &ModelSchema, row: &Value, backend: Backend) -> Result<Sql> {
    let Value::Object(values) = row else {
        return Err(Error::Database(format!(
            "data rows for {} must be JSON objects",
            model.label()
        )));
    };
    let now = crate::values::now();
    let mut cols = vec![ident("id")];
    let id = values
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut sql = Sql::new();
    let mut vals = Sql::new();
    vals.bind(SqlValue::text(id));
    for field in &model.fields {
        if !field.kind.is_column() {
            continue;
        }
        let value = values
            .get(&field.name)
            .or(field.default.as_ref())
            .cloned()
            .unwrap_or(Value::Null);
        if value.is_null() && !field.null {
            if let Some(fill) = crate::values::empty_value(field) {
                cols.push(ident(&column(field)));
                vals.push(", ").bind(fill);
                continue;
            }
        }
        cols.push(ident(&column(field)));
        vals.push(", ");
        match (&field.kind, &value) {
            (FieldKind::ForeignKey { to, .. }, Value::Object(lookup)) => {
                let mut sub = Sql::from(format!(
                    "(SELECT {} FROM {} WHERE ",
                    ident("id"),
                    ident(&table_of(to))
                ));
                for (i, (k, v)) in lookup.iter().enumerate() {
                    if i > 0 {
                        sub.push(" AND ");
                    }
                    sub.push(format!("{} = ", ident(k)))
                        .bind(SqlValue::text(v.as_str().unwrap_or_default()));
                }
                sub.push(")");
                vals.append(sub);
            }
            _ => {
                vals.bind(crate::values::to_sql(field, &value, backend).map_err(|e| {
                    Error::Database(format!(
                        "data row for {}: field {}: {e}",
                        model.label(),
                        field.name
                    ))
                })?);
            }
        }
    }
    cols.push(ident("created"));
    cols.push(ident("last_updated"));
    vals.push(", ")
        .bind(SqlValue::Text(now.clone(), dynamic::SqlType::Timestamp))
        .push(", ")
        .bind(SqlValue::Text(now, dynamic::SqlType::Timestamp));
    sql.push(format!(
        "INSERT INTO {} ({}) VALUES (",
        ident(&model.table()),
        cols.join(", ")
    ));
    sql.append(vals);
    sql.push(")");
    Ok(sql)
}

/// Unapplies every migration of `app` (`migrate <app> zero`): drops its tables and
/// forgets its migrations, refusing while other apps' tables refer to them. Returns the
/// tables dropped.
pub fn zero(db: &Database, plan: &Plan, app: &str) -> Result<Vec<String>> {
    let mut conn = db.conn()?;
    let done = applied(&mut conn)?;
    let state = applied_state(plan, &done)?;
    let models = state.app(app);
    let labels: HashSet<String> = models.iter().map(|m| m.label()).collect();
    let mut blockers = Vec::new();
    for other in state.models() {
        if other.app_label == app {
            continue;
        }
        for field in &other.fields {
            if let Some(to) = super::refers_to(field) {
                if labels.contains(to) {
                    blockers.push(format!("{}.{} -> {to}", other.label(), field.name));
                }
            }
        }
    }
    if !blockers.is_empty() {
        return Err(Error::Database(format!(
            "cannot unapply {app}: other apps still refer to its tables ({})",
            blockers.join(", ")
        )));
    }
    // Drop referring tables of the app first.
    let mut order: Vec<&ModelSchema> = Vec::new();
    let mut remaining: Vec<&ModelSchema> = models.clone();
    while !remaining.is_empty() {
        let before = remaining.len();
        let (free, blocked): (Vec<&ModelSchema>, Vec<&ModelSchema>) =
            remaining.iter().partition(|m| {
                !remaining.iter().any(|other| {
                    other.label() != m.label()
                        && other
                            .fields
                            .iter()
                            .any(|f| super::refers_to(f) == Some(m.label().as_str()))
                })
            });
        order.extend(free);
        remaining = blocked;
        if remaining.len() == before {
            order.append(&mut remaining);
        }
    }
    // Through tables first: they refer to the models' tables.
    let mut tables: Vec<String> = order
        .iter()
        .flat_map(|m| m.fields.iter().filter_map(|f| super::through_link(m, f)))
        .map(|link| link.table)
        .collect();
    tables.extend(order.iter().map(|m| m.table()));
    let app_name = app.to_string();
    atomically(&mut conn, |conn| {
        for table in &tables {
            dynamic::execute(conn, &Sql::from(format!("DROP TABLE {}", ident(table))))?;
        }
        let mut forget = Sql::from("DELETE FROM nautobot_migrations WHERE app = ");
        forget.bind(SqlValue::text(&app_name));
        dynamic::execute(conn, &forget)?;
        let mut untag = Sql::from("DELETE FROM extras_taggeditem WHERE content_type LIKE ");
        untag.bind(SqlValue::text(format!("{app_name}.%")));
        let _ = dynamic::execute(conn, &untag);
        Ok(())
    })?;
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(app: &str, name: &str) -> Migration {
        Migration::new(app, name)
    }

    #[test]
    fn plans_follow_app_order_and_dependencies() {
        let apps = vec![
            AppMigrations {
                app: "dcim".into(),
                plugin: None,
                migrations: vec![
                    m("dcim", "0001_initial"),
                    m("dcim", "0002_ip").depends_on("ipam", "0001_initial"),
                ],
            },
            AppMigrations {
                app: "ipam".into(),
                plugin: None,
                migrations: vec![m("ipam", "0001_initial").depends_on("dcim", "0001_initial")],
            },
        ];
        let plan = Plan::new(&apps).unwrap();
        let names: Vec<String> = plan
            .steps()
            .iter()
            .map(|s| format!("{}.{}", s.app_label, s.name))
            .collect();
        assert_eq!(
            names,
            ["dcim.0001_initial", "ipam.0001_initial", "dcim.0002_ip"]
        );
    }

    #[test]
    fn unknown_dependencies_and_cycles_are_errors() {
        let apps = vec![AppMigrations {
            app: "p".into(),
            plugin: Some("p".into()),
            migrations: vec![m("p", "0001").depends_on("dcim", "0042_nope")],
        }];
        let err = Plan::new(&apps).unwrap_err().to_string();
        assert!(
            err.contains("p.0001 depends on dcim.0042_nope, which does not exist"),
            "{err}"
        );
        let apps = vec![
            AppMigrations {
                app: "a".into(),
                plugin: None,
                migrations: vec![m("a", "0001").depends_on("b", "0001")],
            },
            AppMigrations {
                app: "b".into(),
                plugin: None,
                migrations: vec![m("b", "0001").depends_on("a", "0001")],
            },
        ];
        assert!(Plan::new(&apps).unwrap_err().to_string().contains("cycle"));
    }
}
