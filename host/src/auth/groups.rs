//! Groups of users: listing, membership, creation, renaming and deletion.

use diesel::prelude::*;
use serde::Serialize;

use super::users::{distinct, flag, is_unique_violation_on};
use crate::{
    db::{
        schema::{users_group, users_objectpermission_groups, users_user, users_user_groups},
        DbConnection,
    },
    error::{Error, Result, ValidationErrors},
};

/// A group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable, Selectable)]
#[diesel(table_name = users_group)]
pub struct Group {
    /// The group's UUID.
    pub id: String,
    /// Its unique name.
    pub name: String,
}

/// What the admin's group form sets.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    /// The unique name.
    pub name: String,
    /// The ids of every member (the complete membership).
    pub members: Vec<String>,
}

/// Every group, by name.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Group>> {
    Ok(users_group::table
        .order(users_group::name.asc())
        .select(Group::as_select())
        .load(conn)?)
}

/// The group with id `id`.
pub fn by_id(conn: &mut DbConnection, id: &str) -> Result<Option<Group>> {
    Ok(users_group::table
        .find(id)
        .select(Group::as_select())
        .first(conn)
        .optional()?)
}

/// The ids of the members of `group_id`.
pub fn member_ids(conn: &mut DbConnection, group_id: &str) -> Result<Vec<String>> {
    Ok(users_user_groups::table
        .filter(users_user_groups::group_id.eq(group_id))
        .select(users_user_groups::user_id)
        .load(conn)?)
}

/// Every membership as (user id, group id).
pub fn memberships(conn: &mut DbConnection) -> Result<Vec<(String, String)>> {
    Ok(users_user_groups::table
        .select((users_user_groups::user_id, users_user_groups::group_id))
        .load(conn)?)
}

/// Creates (`id` `None`) or updates the group with `changes`, and sets its members, in
/// one transaction; returns the group's id. Invalid or conflicting values fail with
/// [`Error::Validation`] naming the fields; a missing group with [`Error::NotFound`].
pub fn save(conn: &mut DbConnection, id: Option<&str>, changes: &GroupChanges) -> Result<String> {
    let mut errors = ValidationErrors::new();
    if changes.name.is_empty() {
        flag(&mut errors, "name", "This field is required.");
    } else if changes.name.chars().count() > 150 {
        flag(
            &mut errors,
            "name",
            "Ensure this value has at most 150 characters.",
        );
    }
    let members = distinct(&changes.members);
    let result = conn.transaction(|conn| -> Result<String> {
        if let Some(id) = id {
            if by_id(conn, id)?.is_none() {
                return Err(Error::NotFound("No group with that id exists.".to_string()));
            }
        }
        let taken: i64 = users_group::table
            .filter(users_group::name.eq(&changes.name))
            .filter(users_group::id.ne(id.unwrap_or("")))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            flag(
                &mut errors,
                "name",
                "A group with that name already exists.",
            );
        }
        let known: i64 = users_user::table
            .filter(users_user::id.eq_any(&changes.members))
            .count()
            .get_result(conn)?;
        if usize::try_from(known).unwrap_or(0) != members.len() {
            flag(
                &mut errors,
                "members",
                "Select a valid choice. That choice is not one of the available choices.",
            );
        }
        if !errors.is_empty() {
            return Err(Error::Validation(Box::new(std::mem::take(&mut errors))));
        }
        let group_id = match id {
            Some(id) => {
                diesel::update(users_group::table.find(id))
                    .set(users_group::name.eq(&changes.name))
                    .execute(conn)?;
                id.to_string()
            }
            None => {
                let new_id = uuid::Uuid::new_v4().to_string();
                diesel::insert_into(users_group::table)
                    .values((
                        users_group::id.eq(&new_id),
                        users_group::name.eq(&changes.name),
                    ))
                    .execute(conn)?;
                new_id
            }
        };
        diesel::delete(users_user_groups::table.filter(users_user_groups::group_id.eq(&group_id)))
            .execute(conn)?;
        for user_id in &members {
            diesel::insert_into(users_user_groups::table)
                .values((
                    users_user_groups::user_id.eq(*user_id),
                    users_user_groups::group_id.eq(&group_id),
                ))
                .execute(conn)?;
        }
        Ok(group_id)
    });
    result.map_err(|e| {
        if is_unique_violation_on(&e, "name") {
            Error::field("name", "A group with that name already exists.")
        } else {
            e
        }
    })
}

/// Deletes the group `id` with its memberships and grants; `false` if no such group.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<bool> {
    conn.transaction(|conn| -> Result<bool> {
        diesel::delete(users_user_groups::table.filter(users_user_groups::group_id.eq(id)))
            .execute(conn)?;
        diesel::delete(
            users_objectpermission_groups::table
                .filter(users_objectpermission_groups::group_id.eq(id)),
        )
        .execute(conn)?;
        Ok(diesel::delete(users_group::table.find(id)).execute(conn)? > 0)
    })
}
