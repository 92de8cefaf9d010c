//! The change log: one `extras_objectchange` row per create, update and delete, written
//! on the connection (and so in the transaction) of the change itself.

use serde_json::Value;

use super::{values, Actor, Row};
use crate::{
    db::{
        dynamic::{self, ident, Sql, SqlType, SqlValue},
        DbConnection,
    },
    error::Result,
    schema::Model,
};

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

/// Records a change of one object of `model` made by `actor`: its data before and after
/// (on delete, `object_data` keeps the last state).
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    model: &Model,
    change: Change<'_>,
) -> Result<()> {
    let Change {
        action,
        id,
        repr,
        before,
        after,
    } = change;
    let now = values::now();
    let json = |row: Option<&Row>| match row {
        Some(r) => SqlValue::Text(Value::Object(r.clone()).to_string(), SqlType::Json),
        None => SqlValue::Null(SqlType::Json),
    };
    let object_data = match action {
        Action::Delete => json(before),
        _ => json(after),
    };
    let columns = [
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
    let ts = |s: &str| SqlValue::Text(s.to_string(), SqlType::Timestamp);
    let values = vec![
        SqlValue::text(uuid::Uuid::new_v4().to_string()),
        ts(&now),
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
        SqlValue::text(action.as_str()),
        SqlValue::text(model.label()),
        SqlValue::text(id),
        SqlValue::text(repr.chars().take(200).collect::<String>()),
        object_data,
        json(before),
        ts(&now),
        ts(&now),
    ];
    let mut sql = Sql::from(format!(
        "INSERT INTO extras_objectchange ({}) VALUES (",
        columns
            .iter()
            .map(|c| ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(v);
    }
    sql.push(")");
    dynamic::execute(conn, &sql)?;
    Ok(())
}
