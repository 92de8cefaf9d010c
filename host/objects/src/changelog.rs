//! The change log: one `extras_objectchange` row per create, update and delete, written
//! on the connection (and so in the transaction) of the change itself.

use serde_json::Value;

use super::{values, Actor, Row};
use nautobot_base::error::Result;
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlType, SqlValue},
    DbConnection,
};
use nautobot_schema::Model;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// It was created.
    Create,
    /// It was changed.
    Update,
    /// It was deleted.
    Delete,
}

impl Action {
    /// The stored value (`create`, `update`, `delete`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// One change of one object.
pub struct Change<'a> {
    /// What happened.
    pub action: Action,
    /// The object's id.
    pub id: &'a str,
    /// How the object is shown.
    pub repr: &'a str,
    /// Its data before (update, delete).
    pub before: Option<&'a Row>,
    /// Its data after (create, update).
    pub after: Option<&'a Row>,
}

/// The columns of a change record, in the order [`values_of`] gives them.
const COLUMNS: [&str; 13] = [
    "id",
    "time",
    "user_id",
    "user_name",
    "request_id",
    "action",
    "changed_object_type",
    "changed_object_id",
    "object_repr",
    "object_data",
    "prechange_data",
    "created",
    "last_updated",
];

/// The values of one change record.
fn values_of(actor: &Actor, model: &Model, change: &Change<'_>, now: &str) -> Vec<SqlValue> {
    let json = |row: Option<&Row>| match row {
        Some(r) => SqlValue::Text(Value::Object(r.clone()).to_string(), SqlType::Json),
        None => SqlValue::Null(SqlType::Json),
    };
    let object_data = match change.action {
        Action::Delete => json(change.before),
        _ => json(change.after),
    };
    let ts = |s: &str| SqlValue::Text(s.to_string(), SqlType::Timestamp);
    vec![
        SqlValue::text(uuid::Uuid::new_v4().to_string()),
        ts(now),
        match &actor.user {
            Some(u) => SqlValue::text(&u.id),
            None => SqlValue::Null(SqlType::Text),
        },
        SqlValue::text(
            actor
                .user
                .as_ref()
                .map(|u| u.username.as_str())
                .unwrap_or(""),
        ),
        SqlValue::text(&actor.request_id),
        SqlValue::text(change.action.as_str()),
        SqlValue::text(model.label()),
        SqlValue::text(change.id),
        SqlValue::text(change.repr.chars().take(200).collect::<String>()),
        object_data,
        json(change.before),
        ts(now),
        ts(now),
    ]
}

/// Records a change of one object of `model` made by `actor`: its data before and after
/// (on delete, `object_data` keeps the last state).
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    model: &Model,
    change: Change<'_>,
) -> Result<()> {
    record_many(conn, actor, model, &[change])
}

/// Records changes of objects of `model` made by `actor`, in as few statements as the
/// databases' limits on bound values allow.
pub fn record_many(
    conn: &mut DbConnection,
    actor: &Actor,
    model: &Model,
    changes: &[Change<'_>],
) -> Result<()> {
    let now = values::now();
    for chunk in changes.chunks(dynamic::rows_per_statement(COLUMNS.len())) {
        let mut sql = Sql::from(format!(
            "INSERT INTO extras_objectchange ({}) VALUES ",
            COLUMNS
                .iter()
                .map(|c| ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for (n, change) in chunk.iter().enumerate() {
            sql.push(if n > 0 { ", (" } else { "(" });
            for (i, v) in values_of(actor, model, change, &now)
                .into_iter()
                .enumerate()
            {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(v);
            }
            sql.push(")");
        }
        if chunk.len() == 1 {
            sql.cached();
        }
        dynamic::execute(conn, &sql)?;
    }
    Ok(())
}
