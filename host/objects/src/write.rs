//! Writes: create, update and delete through one path for every entry point, each
//! cleaning the input with Django REST framework's messages, checking uniqueness,
//! running the plugins' custom validators, and recording the change — all on the
//! caller's connection, inside the caller's transaction.

use nautobot_plugin_abi::{FieldKind, FieldSchema, OnDelete, ValidationRequest};
use serde_json::{Map, Value};

use super::capitalise;
use super::{
    changelog::{self, Action, Change},
    display, get, get_many, values, Actor, Hooks, Row,
};
use nautobot_base::error::{Error, Result, ValidationErrors};
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlType, SqlValue},
    Database, DbConnection,
};
use nautobot_schema::{column, ddl::table_of, Model, Registry};

/// Runs `work` in one transaction on a connection of `db`: all of it or none of it.
pub fn transaction<T>(
    db: &Database,
    work: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    let mut conn = db.conn()?;
    nautobot_db::write_transaction(&mut conn, work)
}

/// Writes objects on behalf of an actor, calling the plugins' hooks.
///
/// A writer remembers the related objects it has looked up (foreign keys given by id or
/// by name, statuses' content types), so that a bulk write of many objects pointing at
/// the same few asks the database once: use one writer per transaction.
pub struct Writer<'a> {
    /// Every model.
    pub registry: &'a Registry,
    /// Who is writing.
    pub actor: &'a Actor,
    /// The plugins' validators.
    pub hooks: &'a dyn Hooks,
    /// Related objects looked up so far.
    pub cache: WriteCache,
    /// Whether creates must give the associations relationships require (`required_on`):
    /// the REST API's writes, which can give them.
    pub require_relationships: bool,
}

/// What a [`Writer`] has looked up: foreign key values resolved to ids, and related
/// objects read.
#[derive(Debug, Default)]
pub struct WriteCache {
    fks: std::sync::Mutex<std::collections::HashMap<(String, String), Value>>,
    objects: std::sync::Mutex<std::collections::HashMap<(String, String), Option<Row>>>,
    /// The custom fields of each model written, asked once per writer.
    custom_fields:
        std::sync::Mutex<std::collections::HashMap<String, Vec<super::custom_fields::Definition>>>,
    /// The relationships of each model written, asked once per writer.
    relationships: std::sync::Mutex<
        std::collections::HashMap<String, Vec<super::relationships::Relationship>>,
    >,
}

impl<'a> Writer<'a> {
    /// A writer for `actor`, with the plugins' validators `hooks`.
    pub fn new(registry: &'a Registry, actor: &'a Actor, hooks: &'a dyn Hooks) -> Writer<'a> {
        Writer {
            registry,
            actor,
            hooks,
            cache: WriteCache::default(),
            require_relationships: false,
        }
    }

    /// The same writer, refusing creates that lack an association a relationship
    /// requires (see [`Writer::require_relationships`]).
    pub fn requiring_relationships(mut self) -> Self {
        self.require_relationships = true;
        self
    }
}

fn invalid(errors: ValidationErrors) -> Error {
    Error::Validation(Box::new(errors))
}

impl Writer<'_> {
    /// Whether every object of `ids` lies within what the actor's grants of `action`
    /// reach (see [`Actor::constraint`]).
    fn within(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        ids: &[String],
        action: &str,
    ) -> Result<bool> {
        let constraint = self.actor.constraint(conn, &model.label(), action)?;
        super::constraints::reaches(conn, self.registry, model, &constraint, ids)
    }

    /// An object permission's constraints must name fields of each of its object types
    /// (400 otherwise), as Nautobot validates them when they are saved.
    fn check_constraints(&self, model: &Model, row: &Row) -> Result<()> {
        if model.label() != nautobot_schema::users::PERMISSION {
            return Ok(());
        }
        let constraints = row.get("constraints").cloned().unwrap_or(Value::Null);
        let types = row
            .get("object_types")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for object_type in types.iter().filter_map(Value::as_str) {
            let Some(target) = self.registry.get(object_type) else {
                continue;
            };
            if let Err(message) = super::constraints::validate(self.registry, target, &constraints)
            {
                return Err(Error::field("constraints", message));
            }
        }
        Ok(())
    }

    /// Creates an object from `input` (field values as the API takes them).
    pub fn create(&self, conn: &mut DbConnection, model: &Model, input: &Value) -> Result<Row> {
        self.refuse_read_only(model)?;
        let input = as_object(input)?;
        let id = uuid::Uuid::new_v4().to_string();
        let (mut row, tags) = self.clean(conn, model, input, None, false)?;
        nautobot_auth::models::prepare(self.registry, self.actor, model, &mut row, None)?;
        self.check_constraints(model, &row)?;
        row.insert("id".into(), Value::String(id.clone()));
        self.check_content_types(conn, model, &row)?;
        self.check_unique(conn, model, &row, None)?;
        self.validate(conn, model, "create", &row, None)?;
        let now = values::now();
        let backend = dynamic::backend_of(conn);
        let mut cols = vec![ident("id")];
        let mut vals = Sql::new();
        vals.bind(SqlValue::text(&id));
        for field in model.stored_fields() {
            cols.push(ident(&column(field)));
            vals.push(", ");
            let value = row.get(&field.name).cloned().unwrap_or(Value::Null);
            vals.bind(bind(field, &value, backend)?);
        }
        for ts in ["created", "last_updated"] {
            cols.push(ident(ts));
            vals.push(", ")
                .bind(SqlValue::Text(now.clone(), SqlType::Timestamp));
        }
        let mut sql = Sql::from(format!(
            "INSERT INTO {} ({}) VALUES (",
            ident(&model.table()),
            cols.join(", ")
        ));
        sql.append(vals);
        sql.push(")");
        // One shape per model: kept prepared on the connection.
        sql.cached();
        execute_write(conn, model, &sql)?;
        // A new object has no tags to clear: only add the ones given.
        if let Some(tags) = tags.as_ref().filter(|t| !t.is_empty()) {
            add_tags(conn, model, &id, tags)?;
        }
        set_links(conn, model, &id, &row, false)?;
        self.after_write(conn, model, &id, &row, None)?;
        // The new object must lie within what the user may add (Nautobot checks the
        // saved object against the constrained queryset and rolls back).
        if !self.within(conn, model, std::slice::from_ref(&id), "add")? {
            return Err(super::constraints::outside_error("add", model));
        }
        let mut saved = get(conn, model, &id)?
            .ok_or_else(|| Error::Internal(format!("{} {id} vanished", model.label())))?;
        changelog::record(
            conn,
            self.actor,
            model,
            Change {
                action: Action::Create,
                id: &id,
                repr: &display(model, &saved),
                before: None,
                after: Some(&saved),
            },
        )?;
        reveal_once(model, &row, &mut saved);
        Ok(saved)
    }

    /// Creates objects from `inputs` as [`create`](Writer::create) would one after
    /// another — the same checks in the same order, the same first error, reported with
    /// the index of the item that failed — but with the database asked in batches: one
    /// uniqueness query per unique set, multi-row inserts, one read-back, multi-row
    /// change records. Bulk API creates go through here.
    pub fn create_many(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        inputs: &[Value],
    ) -> std::result::Result<Vec<Row>, (usize, Error)> {
        self.refuse_read_only(model).map_err(|e| (0, e))?;
        // Cleaning, in order, up to the first item that fails.
        let mut cleaned: Vec<(Row, Option<Vec<String>>)> = Vec::with_capacity(inputs.len());
        let mut failed: Option<(usize, Error)> = None;
        for (i, input) in inputs.iter().enumerate() {
            let attempt = as_object(input).and_then(|input| {
                let (mut row, tags) = self.clean(conn, model, input, None, false)?;
                nautobot_auth::models::prepare(self.registry, self.actor, model, &mut row, None)?;
                self.check_constraints(model, &row)?;
                row.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
                self.check_content_types(conn, model, &row)?;
                Ok((row, tags))
            });
            match attempt {
                Ok(c) => cleaned.push(c),
                Err(e) => {
                    failed = Some((i, e));
                    break;
                }
            }
        }
        // Uniqueness of the items cleaned, against the table and each other.
        if let Some((u, e)) = self.check_unique_many(conn, model, &cleaned)? {
            cleaned.truncate(u);
            failed = Some((u, e));
        }
        // Validators, in order, of the items before any failure.
        for (i, (row, _)) in cleaned.iter().enumerate() {
            if let Err(e) = self.validate(conn, model, "create", row, None) {
                return Err((i, e));
            }
        }
        if let Some(failure) = failed {
            return Err(failure);
        }
        self.insert_many(conn, model, &cleaned).map_err(|e| (0, e))
    }

    /// The first item (index and error) whose unique fields or sets clash with the
    /// table or with an earlier item.
    fn check_unique_many(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        rows: &[(Row, Option<Vec<String>>)],
    ) -> std::result::Result<Option<(usize, Error)>, (usize, Error)> {
        let backend = dynamic::backend_of(conn);
        let sets = unique_sets(model);
        let mut first: Option<(usize, Error)> = None;
        for (fields, together) in sets {
            let mut clash: Option<usize> = None;
            let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
            let mut keyed: Vec<(usize, Vec<SqlValue>)> = Vec::new();
            for (i, (row, _)) in rows.iter().enumerate() {
                let Some(values) = unique_key(row, &fields) else {
                    continue;
                };
                if !seen.insert(Value::Array(values.clone()).to_string()) {
                    clash = Some(clash.map_or(i, |c| c.min(i)));
                    continue;
                }
                let binds = fields
                    .iter()
                    .zip(&values)
                    .map(|(f, v)| bind(f, v, backend))
                    .collect::<Result<Vec<_>>>()
                    .map_err(|e| (i, e))?;
                keyed.push((i, binds));
            }
            // Which of them the table holds already: a join with the items' values.
            let per_item = fields.len() + 1;
            for chunk in keyed.chunks(dynamic::rows_per_statement(per_item)) {
                let mut sql = Sql::from("SELECT v.column1 AS count FROM (VALUES ");
                for (n, (i, binds)) in chunk.iter().enumerate() {
                    sql.push(if n > 0 { ", (" } else { "(" });
                    sql.bind(SqlValue::Int(*i as i64));
                    for b in binds {
                        sql.push(", ").bind(b.clone());
                    }
                    sql.push(")");
                }
                sql.push(format!(") AS v JOIN {} AS t ON ", ident(&model.table())));
                for (k, f) in fields.iter().enumerate() {
                    if k > 0 {
                        sql.push(" AND ");
                    }
                    sql.push(format!("t.{} = v.column{}", ident(&column(f)), k + 2));
                }
                #[derive(diesel::QueryableByName)]
                struct Found {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    count: i64,
                }
                let found: Vec<Found> = dynamic::load_rows(conn, &sql).map_err(|e| (0, e))?;
                for f in found {
                    let i = f.count.max(0) as usize;
                    clash = Some(clash.map_or(i, |c| c.min(i)));
                }
            }
            if let Some(i) = clash {
                if first.as_ref().is_some_and(|(j, _)| *j <= i) {
                    continue;
                }
                let (key, message) = unique_message(model, &fields, together);
                first = Some((i, Error::field(key, message)));
            }
        }
        Ok(first)
    }

    /// Inserts cleaned rows (with their ids), their tags and their change records, and
    /// returns them as stored, in order.
    fn insert_many(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        rows: &[(Row, Option<Vec<String>>)],
    ) -> Result<Vec<Row>> {
        let backend = dynamic::backend_of(conn);
        let now = values::now();
        let fields: Vec<&FieldSchema> = model.stored_fields().collect();
        let mut cols = vec![ident("id")];
        cols.extend(fields.iter().map(|f| ident(&column(f))));
        cols.push(ident("created"));
        cols.push(ident("last_updated"));
        for chunk in rows.chunks(dynamic::rows_per_statement(cols.len())) {
            let mut sql = Sql::from(format!(
                "INSERT INTO {} ({}) VALUES ",
                ident(&model.table()),
                cols.join(", ")
            ));
            for (n, (row, _)) in chunk.iter().enumerate() {
                sql.push(if n > 0 { ", (" } else { "(" });
                sql.bind(SqlValue::text(
                    row.get("id").and_then(Value::as_str).unwrap_or_default(),
                ));
                for field in &fields {
                    let value = row.get(&field.name).cloned().unwrap_or(Value::Null);
                    sql.push(", ").bind(bind(field, &value, backend)?);
                }
                for _ in 0..2 {
                    sql.push(", ")
                        .bind(SqlValue::Text(now.clone(), SqlType::Timestamp));
                }
                sql.push(")");
            }
            execute_write(conn, model, &sql)?;
        }
        let ids: Vec<String> = rows
            .iter()
            .filter_map(|(r, _)| r.get("id").and_then(Value::as_str).map(str::to_string))
            .collect();
        for ((row, tags), id) in rows.iter().zip(&ids) {
            if let Some(tags) = tags.as_ref().filter(|t| !t.is_empty()) {
                add_tags(conn, model, id, tags)?;
            }
            set_links(conn, model, id, row, false)?;
            self.after_write(conn, model, id, row, None)?;
        }
        if !self.within(conn, model, &ids, "add")? {
            return Err(super::constraints::outside_error("add", model));
        }
        let mut by_id: std::collections::HashMap<String, Row> = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            for row in get_many(conn, model, chunk)? {
                if let Some(id) = row.get("id").and_then(Value::as_str) {
                    by_id.insert(id.to_string(), row.clone());
                }
            }
        }
        let mut saved: Vec<Row> = ids
            .iter()
            .map(|id| {
                by_id
                    .remove(id)
                    .ok_or_else(|| Error::Internal(format!("{} {id} vanished", model.label())))
            })
            .collect::<Result<_>>()?;
        let reprs: Vec<String> = saved.iter().map(|r| display(model, r)).collect();
        let changes: Vec<Change<'_>> = saved
            .iter()
            .zip(&ids)
            .zip(&reprs)
            .map(|((row, id), repr)| Change {
                action: Action::Create,
                id,
                repr,
                before: None,
                after: Some(row),
            })
            .collect();
        changelog::record_many(conn, self.actor, model, &changes)?;
        drop(changes);
        for ((row, _), out) in rows.iter().zip(saved.iter_mut()) {
            reveal_once(model, row, out);
        }
        Ok(saved)
    }

    /// Changes the object `id`; `partial` (PATCH) changes only the fields given, else
    /// (PUT) every required field must be given.
    pub fn update(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        id: &str,
        input: &Value,
        partial: bool,
    ) -> Result<Row> {
        self.refuse_read_only(model)?;
        let input = as_object(input)?;
        let original = get(conn, model, id)?.ok_or_else(not_found)?;
        nautobot_auth::models::check_owner(self.actor, model, &original)?;
        // Outside what the user may change: as if it did not exist (Nautobot's
        // constrained queryset answers 404).
        if !self.within(conn, model, &[id.to_string()], "change")? {
            return Err(not_found());
        }
        nautobot_auth::models::check_superuser_target(self.actor, model, &original)?;
        let (mut row, tags) = self.clean(conn, model, input, Some(&original), partial)?;
        nautobot_auth::models::prepare(
            self.registry,
            self.actor,
            model,
            &mut row,
            Some(&original),
        )?;
        self.check_constraints(model, &row)?;
        self.check_content_types(conn, model, &row)?;
        self.check_unique(conn, model, &row, Some(id))?;
        self.validate(conn, model, "update", &row, Some(&original))?;
        let backend = dynamic::backend_of(conn);
        let mut sql = Sql::from(format!("UPDATE {} SET ", ident(&model.table())));
        for field in model.stored_fields() {
            if model.is_write_only(&field.name) && !row.contains_key(&field.name) {
                // Not given: the stored value stays (it was never read).
                continue;
            }
            let value = row.get(&field.name).cloned().unwrap_or(Value::Null);
            sql.push(format!("{} = ", ident(&column(field))))
                .bind(bind(field, &value, backend)?)
                .push(", ");
        }
        sql.push(format!("{} = ", ident("last_updated")))
            .bind(SqlValue::Text(values::now(), SqlType::Timestamp))
            .push(format!(" WHERE {} = ", ident("id")))
            .bind(SqlValue::text(id));
        sql.cached();
        execute_write(conn, model, &sql)?;
        if let Some(tags) = &tags {
            set_tags(conn, model, id, tags)?;
        }
        set_links(conn, model, id, &row, true)?;
        self.after_write(conn, model, id, &row, Some(&original))?;
        if model.label() == nautobot_schema::users::USER && row.contains_key("password") {
            // A new password ends the user's other sessions (the one that set it, if
            // theirs, stays); tokens are untouched.
            let keep = self
                .actor
                .identity
                .as_ref()
                .filter(|i| i.user.as_ref().is_some_and(|u| u.id == id))
                .and_then(|i| i.session_key.clone());
            nautobot_auth::sessions::end_others(conn, id, keep.as_deref())?;
        }
        // Nor may the change move the object out of it.
        if !self.within(conn, model, &[id.to_string()], "change")? {
            return Err(super::constraints::outside_error("change", model));
        }
        let saved = get(conn, model, id)?.ok_or_else(not_found)?;
        changelog::record(
            conn,
            self.actor,
            model,
            Change {
                action: Action::Update,
                id,
                repr: &display(model, &saved),
                before: Some(&original),
                after: Some(&saved),
            },
        )?;
        Ok(saved)
    }

    /// Deletes the object `id`: refused (409) while protected references exist; objects
    /// referring to it with `cascade` are deleted first and `set_null` references cleared,
    /// each with its own change record.
    pub fn delete(&self, conn: &mut DbConnection, model: &Model, id: &str) -> Result<()> {
        self.refuse_read_only(model)?;
        let row = get(conn, model, id)?.ok_or_else(not_found)?;
        nautobot_auth::models::check_owner(self.actor, model, &row)?;
        if !self.within(conn, model, &[id.to_string()], "delete")? {
            return Err(not_found());
        }
        nautobot_auth::models::check_superuser_target(self.actor, model, &row)?;
        let referring = self.registry.referencing_present(conn, &model.label())?;
        // Protected references first, so nothing is touched when the delete is refused.
        let mut blockers = Vec::new();
        for (other, field) in &referring {
            if matches!(
                nautobot_schema::fk_target(field),
                Some((_, OnDelete::Protect))
            ) {
                let ids = referring_ids(conn, other, field, id)?;
                let ids: Vec<String> = ids.into_iter().filter(|r| r != id).collect();
                for r in get_many(conn, other, &ids)? {
                    blockers.push(format!("{} {}", other.verbose_name(), display(other, &r)));
                }
            }
        }
        if !blockers.is_empty() {
            return Err(Error::Conflict(format!(
                "Unable to delete object. {} dependent objects were found: {}",
                blockers.len(),
                blockers.join(", ")
            )));
        }
        for (other, field) in &referring {
            let on_delete = nautobot_schema::fk_target(field).map(|(_, d)| d);
            let ids: Vec<String> = referring_ids(conn, other, field, id)?
                .into_iter()
                .filter(|r| r != id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            if other.read_only && on_delete == Some(OnDelete::SetNull) {
                // The change log and job results keep their rows (and the user's name)
                // without the reference; read-only models are never written through
                // the model layer, so no change record.
                let mut sql = Sql::from(format!(
                    "UPDATE {} SET {} = NULL WHERE {} = ",
                    ident(&other.table()),
                    ident(&column(field)),
                    ident(&column(field))
                ));
                sql.bind(SqlValue::text(id));
                dynamic::execute(conn, &sql)?;
                continue;
            }
            if nautobot_schema::core::is_hidden(&other.label()) {
                let mut sql = Sql::from(format!(
                    "DELETE FROM {} WHERE {} = ",
                    ident(&other.table()),
                    ident(&column(field))
                ));
                sql.bind(SqlValue::text(id));
                dynamic::execute(conn, &sql)?;
                continue;
            }
            match on_delete {
                Some(OnDelete::Cascade) => {
                    for r in ids {
                        self.delete(conn, other, &r)?;
                    }
                }
                Some(OnDelete::SetNull) => {
                    for r in ids {
                        let mut patch = Map::new();
                        patch.insert(field.name.clone(), Value::Null);
                        self.update(conn, other, &r, &Value::Object(patch), true)?;
                    }
                }
                _ => {}
            }
        }
        if model.has_tags() {
            let mut sql = Sql::from("DELETE FROM extras_taggeditem WHERE content_type = ");
            sql.bind(SqlValue::text(model.label()))
                .push(" AND object_id = ")
                .bind(SqlValue::text(id));
            dynamic::execute(conn, &sql)?;
        }
        if super::custom_fields::applies_to(model) {
            super::custom_fields::remove(conn, model, id)?;
        }
        // Its relationship associations go with it (each change logged).
        if super::relationships::applies_to(model) {
            if let Some(associations) = self.registry.get(super::relationships::ASSOCIATION) {
                for association in super::relationships::of_object(conn, &model.label(), id)? {
                    self.delete(conn, associations, &association)?;
                }
            }
        }
        if model.label() == super::custom_fields::DEFINITION {
            super::custom_fields::definition_deleted(conn, &row)?;
        }
        let mut sql = Sql::from(format!(
            "DELETE FROM {} WHERE {} = ",
            ident(&model.table()),
            ident("id")
        ));
        sql.bind(SqlValue::text(id));
        dynamic::execute(conn, &sql)?;
        changelog::record(
            conn,
            self.actor,
            model,
            Change {
                action: Action::Delete,
                id,
                repr: &display(model, &row),
                before: Some(&row),
                after: None,
            },
        )
    }

    fn refuse_read_only(&self, model: &Model) -> Result<()> {
        if model.read_only {
            return Err(Error::BadRequest(format!(
                "{} are read-only",
                capitalise(model.verbose_name_plural())
            )));
        }
        Ok(())
    }

    /// Cleans `input` into a full row (starting from `original` on update) and the tags
    /// to set (`None`: unchanged).
    fn clean(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        input: &Map<String, Value>,
        original: Option<&Row>,
        partial: bool,
    ) -> Result<(Row, Option<Vec<String>>)> {
        let mut row = original.cloned().unwrap_or_default();
        let mut tags = None;
        let mut errors = ValidationErrors::new();
        for field in &model.schema.fields {
            let given = input.get(&field.name);
            let value = match given {
                None if original.is_some() => {
                    // PATCH keeps what is not given; so does PUT for fields with a
                    // value already (as DRF keeps fields not in validated data).
                    let _ = partial;
                    continue;
                }
                None => match default_for(field) {
                    Some(v) => v,
                    None => {
                        errors
                            .entry(field.name.clone())
                            .or_default()
                            .push("This field is required.".into());
                        continue;
                    }
                },
                Some(v) => v.clone(),
            };
            if let Some(link) = model.link(&field.name) {
                match self.clean_link(conn, &link.to, &value) {
                    Ok(ids) if ids.is_empty() && !field.blank => errors
                        .entry(field.name.clone())
                        .or_default()
                        .push("This list may not be empty.".into()),
                    Ok(ids) => {
                        row.insert(
                            field.name.clone(),
                            Value::Array(ids.into_iter().map(Value::String).collect()),
                        );
                    }
                    Err(message) => errors.entry(field.name.clone()).or_default().push(message),
                }
                continue;
            }
            match self.clean_value(conn, field, value) {
                Ok(Cleaned::Value(v)) => {
                    row.insert(field.name.clone(), v);
                }
                Ok(Cleaned::Tags(ids)) => {
                    row.insert(
                        field.name.clone(),
                        Value::Array(ids.iter().cloned().map(Value::String).collect()),
                    );
                    tags = Some(ids);
                }
                Err(message) => errors.entry(field.name.clone()).or_default().push(message),
            }
        }
        if super::custom_fields::applies_to(model) {
            let defs = self.custom_field_definitions(conn, model)?;
            let stored = original
                .and_then(|o| o.get("custom_fields"))
                .and_then(Value::as_object);
            match super::custom_fields::clean(&defs, input.get("custom_fields"), stored) {
                Ok(data) => {
                    row.insert("custom_fields".into(), Value::Object(data));
                }
                Err(e) => errors.extend(e),
            }
        }
        if super::relationships::applies_to(model) && input.contains_key("relationships") {
            match super::relationships::clean_input(
                conn,
                self.registry,
                model,
                input.get("relationships"),
            ) {
                Ok(wanted) => {
                    row.insert(
                        "relationships".into(),
                        super::relationships::encode_wanted(&wanted),
                    );
                }
                Err(problems) => {
                    errors.insert("relationships".into(), problems);
                }
            }
        }
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        if model.label() == super::relationships::MODEL {
            super::relationships::prepare_definition(self.registry, &mut row, original)?;
        }
        if model.label() == super::relationships::ASSOCIATION {
            super::relationships::prepare_association(conn, self.registry, &row, original)?;
        }
        if model.label() == super::custom_fields::DEFINITION {
            super::custom_fields::prepare_definition(self.registry, &mut row, original)?;
        }
        if model.label() == super::computed_fields::MODEL {
            super::computed_fields::prepare_definition(self.registry, &mut row, original)?;
        }
        let label = model.label();
        if label == super::config_contexts::MODEL
            || label == super::config_contexts::SCHEMA
            || super::config_contexts::applies_to(model)
        {
            super::config_contexts::prepare(conn, self.registry, model, &row)?;
        }
        Ok((row, tags))
    }

    /// The custom fields defined for `model`, asked once per writer.
    fn custom_field_definitions(
        &self,
        conn: &mut DbConnection,
        model: &Model,
    ) -> Result<Vec<super::custom_fields::Definition>> {
        let label = model.label();
        if let Some(found) = self
            .cache
            .custom_fields
            .lock()
            .ok()
            .and_then(|c| c.get(&label).cloned())
        {
            return Ok(found);
        }
        let found = super::custom_fields::definitions(conn, self.registry, model)?;
        if let Ok(mut cache) = self.cache.custom_fields.lock() {
            cache.insert(label, found.clone());
        }
        Ok(found)
    }

    /// The relationships of `model`, asked once per writer.
    fn relationships_of(
        &self,
        conn: &mut DbConnection,
        model: &Model,
    ) -> Result<Vec<super::relationships::Relationship>> {
        let label = model.label();
        if let Some(found) = self
            .cache
            .relationships
            .lock()
            .ok()
            .and_then(|c| c.get(&label).cloned())
        {
            return Ok(found);
        }
        let found = super::relationships::for_model(conn, self.registry, &label)?;
        if let Ok(mut cache) = self.cache.relationships.lock() {
            cache.insert(label, found.clone());
        }
        Ok(found)
    }

    /// Makes the object's associations on each side given in `wanted` (see
    /// [`super::relationships::encode_wanted`]) exactly those listed: the others removed
    /// first, then the new ones created (each checked and change logged). A refused
    /// association is an error under `relationships`.
    fn set_relationships(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        id: &str,
        wanted: &Value,
    ) -> Result<()> {
        let Some(associations) = self.registry.get(super::relationships::ASSOCIATION) else {
            return Ok(());
        };
        let label = model.label();
        let relationships = self.relationships_of(conn, model)?;
        for (relationship_id, side, ids) in super::relationships::decode_wanted(wanted) {
            let Some(r) = relationships.iter().find(|r| r.id == relationship_id) else {
                continue;
            };
            let current = super::relationships::current(conn, r, &label, id, side)?;
            for (association, other) in &current {
                if !ids.contains(other) {
                    self.delete(conn, associations, association)?;
                }
            }
            for other in &ids {
                if current.iter().any(|(_, o)| o == other) {
                    continue;
                }
                let input = super::relationships::association_input(r, &label, id, side, other);
                if let Err(err) = self.create(conn, associations, &input) {
                    return Err(match err {
                        Error::Validation(errors) => {
                            let mut out = ValidationErrors::new();
                            out.insert(
                                "relationships".into(),
                                errors
                                    .values()
                                    .flatten()
                                    .map(|m| format!("{}: {m}", r.label))
                                    .collect(),
                            );
                            invalid(out)
                        }
                        other => other,
                    });
                }
            }
        }
        Ok(())
    }

    /// Stores the custom field document `row` carries, and for a custom field definition
    /// provisions its key into the documents of its models.
    fn after_write(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        id: &str,
        row: &Row,
        original: Option<&Row>,
    ) -> Result<()> {
        if let Some(Value::Object(data)) = row.get("custom_fields") {
            // No fields and no stored document: nothing to keep (reads show `{}`, and a
            // field created later provisions a document). Saves a write per object
            // while a model has no custom fields.
            let had = original
                .and_then(|o| o.get("custom_fields"))
                .and_then(Value::as_object)
                .is_some_and(|stored| !stored.is_empty());
            if !data.is_empty() || had {
                super::custom_fields::store(conn, model, id, data)?;
            }
        }
        if let Some(wanted) = row.get("relationships") {
            self.set_relationships(conn, model, id, wanted)?;
        }
        if self.require_relationships
            && original.is_none()
            && super::relationships::applies_to(model)
        {
            let relationships = self.relationships_of(conn, model)?;
            let missing = super::relationships::missing_required(
                conn,
                self.registry,
                model,
                &relationships,
                id,
            )?;
            if !missing.is_empty() {
                let mut errors = ValidationErrors::new();
                errors.insert(
                    "relationships".into(),
                    missing.into_iter().map(|(_, m)| m).collect(),
                );
                return Err(invalid(errors));
            }
        }
        if model.label() == super::relationships::MODEL {
            if let Ok(mut cache) = self.cache.relationships.lock() {
                cache.clear();
            }
        }
        if model.label() == super::custom_fields::DEFINITION {
            super::custom_fields::definition_saved(conn, self.registry, original, row)?;
            // Later writes of this writer see the new definition.
            if let Ok(mut cache) = self.cache.custom_fields.lock() {
                cache.clear();
            }
        }
        Ok(())
    }

    fn clean_value(
        &self,
        conn: &mut DbConnection,
        field: &FieldSchema,
        value: Value,
    ) -> std::result::Result<Cleaned, String> {
        let is_string = values::is_string_kind(&field.kind);
        match (&field.kind, &value) {
            (FieldKind::Tags, Value::Null) => return Ok(Cleaned::Tags(Vec::new())),
            (FieldKind::Tags, _) => return self.resolve_tags(conn, &value).map(Cleaned::Tags),
            (_, Value::Null) => {
                return if field.null {
                    Ok(Cleaned::Value(Value::Null))
                } else if is_string && field.blank {
                    Ok(Cleaned::Value(Value::String(String::new())))
                } else {
                    Err("This field may not be null.".into())
                };
            }
            (_, Value::String(s)) if s.trim().is_empty() => {
                return if field.blank && is_string {
                    Ok(Cleaned::Value(Value::String(String::new())))
                } else if field.null {
                    Ok(Cleaned::Value(Value::Null))
                } else if is_string {
                    Err("This field may not be blank.".into())
                } else {
                    Err("This field is required.".into())
                };
            }
            _ => {}
        }
        match &field.kind {
            FieldKind::ForeignKey { to, .. } => {
                self.resolve_fk(conn, to, &value).map(Cleaned::Value)
            }
            FieldKind::Choice { .. } => {
                // Nautobot shows choices as {value, label}; accept that back.
                let v = match &value {
                    Value::Object(o) => o.get("value").cloned().unwrap_or(Value::Null),
                    other => other.clone(),
                };
                values::clean(field, &v).map(Cleaned::Value)
            }
            _ => values::clean(field, &value).map(Cleaned::Value),
        }
    }

    /// The ids of a many-to-many field's objects, given as a list of what a foreign key
    /// accepts (ids, objects with `id`, lookups, display names); `null` is no objects.
    fn clean_link(
        &self,
        conn: &mut DbConnection,
        to: &str,
        value: &Value,
    ) -> std::result::Result<Vec<String>, String> {
        let items = match value {
            Value::Null => return Ok(Vec::new()),
            Value::Array(items) => items,
            other => {
                return Err(format!(
                    "Expected a list of items but got type \"{}\".",
                    json_type(other)
                ))
            }
        };
        let mut ids = Vec::new();
        for item in items {
            if let Value::String(id) = self.resolve_fk(conn, to, item)? {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Ok(ids)
    }

    /// A foreign key given as an id, an object with `id`, an object of lookups on the
    /// target (`{"name": "Active"}`), or the target's display name.
    fn resolve_fk(
        &self,
        conn: &mut DbConnection,
        to: &str,
        value: &Value,
    ) -> std::result::Result<Value, String> {
        let key = (to.to_string(), value.to_string());
        if let Some(found) = self
            .cache
            .fks
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return Ok(found);
        }
        let found = self.lookup_fk(conn, to, value)?;
        if let Ok(mut cache) = self.cache.fks.lock() {
            cache.insert(key, found.clone());
        }
        Ok(found)
    }

    fn lookup_fk(
        &self,
        conn: &mut DbConnection,
        to: &str,
        value: &Value,
    ) -> std::result::Result<Value, String> {
        let target = self
            .registry
            .get(to)
            .ok_or_else(|| format!("Unknown model {to}"))?;
        // PostgreSQL refuses U+0000 in a bound text value, and a refused statement
        // aborts the request's transaction: such a reference is the client's error.
        if values::has_null_character(value) {
            return Err(values::NULL_CHARACTERS.into());
        }
        let mut lookups: Vec<(String, String)> = Vec::new();
        match value {
            Value::String(s) if uuid::Uuid::parse_str(s.trim()).is_ok() => {
                lookups.push(("id".into(), s.trim().to_lowercase()));
            }
            Value::String(s) => match &target.display_field {
                Some(f) => lookups.push((f.clone(), s.trim().to_string())),
                None => {
                    return Err(format!(
                        "Related object not found using the provided ID: {s}"
                    ))
                }
            },
            Value::Object(o) => {
                if let Some(id) = o.get("id").and_then(Value::as_str) {
                    lookups.push(("id".into(), id.to_lowercase()));
                } else {
                    for (k, v) in o {
                        let ok = k == "id"
                            || target
                                .field(k)
                                .is_some_and(|f| !matches!(f.kind, FieldKind::Tags));
                        if !ok {
                            return Err(format!(
                                "Related object not found using the provided attributes: {}",
                                Value::Object(o.clone())
                            ));
                        }
                        let text = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let col = target.field(k).map(column).unwrap_or_else(|| k.clone());
                        lookups.push((col, text));
                    }
                }
            }
            _ => {
                return Err(format!(
                    "Incorrect type. Expected pk value, received {}.",
                    json_type(value)
                ))
            }
        }
        if lookups.is_empty() {
            return Err("This field may not be null.".into());
        }
        let backend = dynamic::backend_of(conn);
        let mut ids_sql = Sql::from(format!(
            "SELECT {}('id', {}){} AS row FROM {} WHERE ",
            if backend == nautobot_db::Backend::Postgres {
                "json_build_object"
            } else {
                "json_object"
            },
            ident("id"),
            if backend == nautobot_db::Backend::Postgres {
                "::text"
            } else {
                ""
            },
            ident(&table_of(to))
        ));
        for (i, (col, text)) in lookups.iter().enumerate() {
            // Text columns (ids, foreign keys, strings) compare as they are, so that
            // their indexes serve; others as text, so that any type matches the value.
            let textual = col == "id"
                || target.schema.fields.iter().any(|f| {
                    column(f) == *col
                        && (values::is_string_kind(&f.kind)
                            || matches!(
                                f.kind,
                                FieldKind::ForeignKey { .. }
                                    | FieldKind::IpAddress
                                    | FieldKind::IpNetwork
                                    | FieldKind::MacAddress
                            ))
                });
            let lhs = if textual {
                ident(col)
            } else {
                format!("CAST({} AS TEXT)", ident(col))
            };
            ids_sql
                .push(format!("{}{lhs} = ", if i > 0 { " AND " } else { "" }))
                .bind(SqlValue::text(text));
        }
        ids_sql.push(" LIMIT 2");
        // One lookup column: a bounded number of shapes (the target's fields).
        if lookups.len() == 1 {
            ids_sql.cached();
        }
        let found = dynamic::query_json(conn, &ids_sql).map_err(|e| e.to_string())?;
        match found.as_slice() {
            [one] => Ok(one.get("id").cloned().unwrap_or(Value::Null)),
            [] => Err(match value {
                Value::String(s) if uuid::Uuid::parse_str(s.trim()).is_ok() => {
                    format!("Related object not found using the provided ID: {s}")
                }
                other => format!(
                    "Related object not found using the provided attributes: {}",
                    other
                ),
            }),
            _ => Err(format!(
                "Multiple objects match the provided attributes: {value}"
            )),
        }
    }

    fn resolve_tags(
        &self,
        conn: &mut DbConnection,
        value: &Value,
    ) -> std::result::Result<Vec<String>, String> {
        let Value::Array(items) = value else {
            return Err(format!(
                "Expected a list of items but got type \"{}\".",
                json_type(value)
            ));
        };
        let mut ids = Vec::new();
        for item in items {
            let id = self.resolve_fk(conn, "extras.tag", item)?;
            if let Value::String(id) = id {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Ok(ids)
    }

    /// A status or role given to an object must list the object's model among its
    /// `content_types`, as in Nautobot.
    fn check_content_types(&self, conn: &mut DbConnection, model: &Model, row: &Row) -> Result<()> {
        let label = model.label();
        let mut errors = ValidationErrors::new();
        for field in &model.schema.fields {
            let FieldKind::ForeignKey { to, .. } = &field.kind else {
                continue;
            };
            if !nautobot_schema::core::RESTRICTED_BY_CONTENT_TYPE.contains(&to.as_str()) {
                continue;
            }
            let (Some(Value::String(id)), Some(target)) =
                (row.get(&field.name), self.registry.get(to))
            else {
                continue;
            };
            let key = (target.label(), id.clone());
            let cached = self
                .cache
                .objects
                .lock()
                .ok()
                .and_then(|c| c.get(&key).cloned());
            let chosen = match cached {
                Some(found) => found,
                None => {
                    let found = get(conn, target, id)?;
                    if let Ok(mut cache) = self.cache.objects.lock() {
                        cache.insert(key, found.clone());
                    }
                    found
                }
            };
            let Some(chosen) = chosen else {
                continue;
            };
            let allowed = chosen
                .get("content_types")
                .and_then(Value::as_array)
                .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(label.as_str())));
            if !allowed {
                errors.entry(field.name.clone()).or_default().push(format!(
                    "{} '{}' does not apply to {}: its content types do not include {label}.",
                    capitalise(target.verbose_name()),
                    display(target, &chosen),
                    model.verbose_name_plural()
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(invalid(errors))
        }
    }

    /// Unique fields and unique-together sets (nulls never clash, as in SQL).
    fn check_unique(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        row: &Row,
        exclude_id: Option<&str>,
    ) -> Result<()> {
        let backend = dynamic::backend_of(conn);
        let mut errors = ValidationErrors::new();
        let sets = unique_sets(model);
        for (fields, together) in sets {
            let Some(values) = unique_key(row, &fields) else {
                continue;
            };
            let mut sql = Sql::from(format!(
                "SELECT COUNT(*) AS count FROM {} WHERE ",
                ident(&model.table())
            ));
            for (i, (f, v)) in fields.iter().zip(&values).enumerate() {
                if i > 0 {
                    sql.push(" AND ");
                }
                sql.push(format!("{} = ", ident(&column(f))))
                    .bind(bind(f, v, backend)?);
            }
            if let Some(id) = exclude_id {
                sql.push(format!(" AND {} <> ", ident("id")))
                    .bind(SqlValue::text(id));
            }
            sql.cached();
            if dynamic::query_count(conn, &sql)? > 0 {
                let (key, message) = unique_message(model, &fields, together);
                errors.entry(key).or_default().push(message);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(invalid(errors))
        }
    }

    fn validate(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        action: &str,
        row: &Row,
        original: Option<&Row>,
    ) -> Result<()> {
        self.hooks.validate(
            conn,
            &ValidationRequest {
                model: model.label(),
                action: action.to_string(),
                data: row.clone(),
                original: original.cloned(),
                user: self.actor.user.clone(),
            },
        )
    }
}

/// A model's unique fields (alone) and unique-together sets (`true`), as fields.
fn unique_sets(model: &Model) -> Vec<(Vec<&FieldSchema>, bool)> {
    let mut sets: Vec<(Vec<&FieldSchema>, bool)> = model
        .stored_fields()
        .filter(|f| f.unique)
        .map(|f| (vec![f], false))
        .collect();
    for set in &model.schema.unique_together {
        let fields: Vec<&FieldSchema> = set.iter().filter_map(|n| model.field(n)).collect();
        if !fields.is_empty() {
            sets.push((fields, true));
        }
    }
    sets
}

/// A row's values of a unique set; `None` when one is NULL (NULLs never clash).
fn unique_key(row: &Row, fields: &[&FieldSchema]) -> Option<Vec<Value>> {
    let values: Vec<Value> = fields
        .iter()
        .map(|f| row.get(&f.name).cloned().unwrap_or(Value::Null))
        .collect();
    (!values.iter().any(Value::is_null)).then_some(values)
}

/// Django's message for a clash on a unique field or set, and the key it goes under
/// (the field, or `__all__` for a set).
fn unique_message(model: &Model, fields: &[&FieldSchema], together: bool) -> (String, String) {
    if together {
        let names: Vec<String> = fields.iter().map(|f| capitalise(&f.label())).collect();
        (
            "__all__".to_string(),
            format!(
                "{} with this {} already exists.",
                capitalise(model.verbose_name()),
                names.join(" and ")
            ),
        )
    } else {
        (
            fields[0].name.clone(),
            format!(
                "{} with this {} already exists.",
                model.verbose_name(),
                fields[0].label()
            ),
        )
    }
}

enum Cleaned {
    Value(Value),
    Tags(Vec<String>),
}

/// The value a field takes when a new object does not give one, or `None` when the field
/// is required.
pub fn default_for(field: &FieldSchema) -> Option<Value> {
    if let Some(d) = &field.default {
        return Some(d.clone());
    }
    match field.kind {
        FieldKind::Tags => Some(Value::Array(Vec::new())),
        // An optional many-to-many field starts empty; a required one must be given.
        FieldKind::ManyToMany { .. } if field.blank => Some(Value::Array(Vec::new())),
        FieldKind::ManyToMany { .. } => None,
        FieldKind::Boolean => Some(Value::Bool(false)),
        _ if field.null => Some(Value::Null),
        _ if field.blank && values::is_string_kind(&field.kind) => {
            Some(Value::String(String::new()))
        }
        _ => None,
    }
}

/// Writes the link-table rows of `row`'s many-to-many fields (`replace`: removing the
/// object's rows first, on update).
fn set_links(
    conn: &mut DbConnection,
    model: &Model,
    id: &str,
    row: &Row,
    replace: bool,
) -> Result<()> {
    for link in &model.links {
        let Some(Value::Array(ids)) = row.get(&link.field) else {
            continue;
        };
        let (table, own, other) = (
            ident(&link.table),
            ident(&link.own_column),
            ident(&link.other_column),
        );
        if replace {
            let mut sql = Sql::from(format!("DELETE FROM {table} WHERE {own} = "));
            sql.bind(SqlValue::text(id));
            dynamic::execute(conn, &sql)?;
        }
        for other_id in ids.iter().filter_map(Value::as_str) {
            let mut sql = Sql::from(format!("INSERT INTO {table} ({own}, {other}) VALUES ("));
            sql.bind(SqlValue::text(id))
                .push(", ")
                .bind(SqlValue::text(other_id))
                .push(")");
            dynamic::execute(conn, &sql)?;
        }
    }
    Ok(())
}

/// Puts the write-only values shown once (a new token's key, `auth::models::SHOWN_ONCE`)
/// from the row written into the row returned — after the change record, which never
/// holds them.
fn reveal_once(model: &Model, written: &Row, saved: &mut Row) {
    let label = model.label();
    for (_, field) in nautobot_auth::models::SHOWN_ONCE
        .iter()
        .filter(|(l, _)| *l == label)
    {
        if let Some(value) = written.get(*field) {
            saved.insert(field.to_string(), value.clone());
        }
    }
}

fn bind(field: &FieldSchema, value: &Value, backend: nautobot_db::Backend) -> Result<SqlValue> {
    values::to_sql(field, value, backend).map_err(|e| Error::field(field.name.clone(), e))
}

fn as_object(input: &Value) -> Result<&Map<String, Value>> {
    match input {
        Value::Object(o) => Ok(o),
        other => Err(Error::field(
            "non_field_errors",
            format!(
                "Invalid data. Expected a dictionary, but got {}.",
                json_type(other)
            ),
        )),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn not_found() -> Error {
    Error::NotFound("Not found.".into())
}

/// Runs an INSERT or UPDATE; a unique violation that raced past the check is a 400.
fn execute_write(conn: &mut DbConnection, model: &Model, sql: &Sql) -> Result<()> {
    match dynamic::execute(conn, sql) {
        Ok(_) => Ok(()),
        Err(e) if dynamic::is_unique_violation(&e) => Err(Error::field(
            "__all__",
            format!(
                "{} with these values already exists.",
                capitalise(model.verbose_name())
            ),
        )),
        Err(e) if dynamic::is_foreign_key_violation(&e) => Err(Error::field(
            "__all__",
            "A related object does not exist.".to_string(),
        )),
        Err(e) => Err(e),
    }
}

fn referring_ids(
    conn: &mut DbConnection,
    other: &Model,
    field: &FieldSchema,
    id: &str,
) -> Result<Vec<String>> {
    let backend = dynamic::backend_of(conn);
    let select = match backend {
        nautobot_db::Backend::Sqlite => format!("SELECT json_object('id', {}) AS row", ident("id")),
        nautobot_db::Backend::Postgres => {
            format!(
                "SELECT json_build_object('id', {})::text AS row",
                ident("id")
            )
        }
    };
    let mut sql = Sql::from(format!(
        "{select} FROM {} WHERE {} = ",
        ident(&other.table()),
        ident(&column(field))
    ));
    sql.bind(SqlValue::text(id));
    Ok(dynamic::query_json(conn, &sql)?
        .into_iter()
        .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_string))
        .collect())
}

/// Replaces the tags of an object.
fn set_tags(conn: &mut DbConnection, model: &Model, id: &str, tags: &[String]) -> Result<()> {
    let mut clear = Sql::from("DELETE FROM extras_taggeditem WHERE content_type = ");
    clear
        .bind(SqlValue::text(model.label()))
        .push(" AND object_id = ")
        .bind(SqlValue::text(id));
    dynamic::execute(conn, &clear)?;
    add_tags(conn, model, id, tags)
}

/// Tags an object with `tags` (ids), in one statement.
fn add_tags(conn: &mut DbConnection, model: &Model, id: &str, tags: &[String]) -> Result<()> {
    if tags.is_empty() {
        return Ok(());
    }
    let now = values::now();
    let mut sql = Sql::from(
        "INSERT INTO extras_taggeditem (\"id\", \"tag_id\", \"content_type\", \"object_id\", \"created\", \"last_updated\") VALUES ",
    );
    for (i, tag) in tags.iter().enumerate() {
        sql.push(if i > 0 { ", (" } else { "(" });
        sql.bind(SqlValue::text(uuid::Uuid::new_v4().to_string()))
            .push(", ")
            .bind(SqlValue::text(tag))
            .push(", ")
            .bind(SqlValue::text(model.label()))
            .push(", ")
            .bind(SqlValue::text(id))
            .push(", ")
            .bind(SqlValue::Text(now.clone(), SqlType::Timestamp))
            .push(", ")
            .bind(SqlValue::Text(now.clone(), SqlType::Timestamp))
            .push(")");
    }
    dynamic::execute(conn, &sql)?;
    Ok(())
}
