//! Diesel table definitions of the host's fixed tables (same types on both backends).

diesel::table! {
    users_user (id) {
        id -> Text,
        username -> Text,
        email -> Text,
        first_name -> Text,
        last_name -> Text,
        password -> Text,
        is_superuser -> Bool,
        is_staff -> Bool,
        is_active -> Bool,
        date_joined -> Timestamp,
        last_login -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users_group (id) {
        id -> Text,
        name -> Text,
    }
}

diesel::table! {
    users_user_groups (user_id, group_id) {
        user_id -> Text,
        group_id -> Text,
    }
}

diesel::table! {
    users_objectpermission (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        enabled -> Bool,
        object_types -> Text,
        actions -> Text,
        constraints -> Nullable<Text>,
    }
}

diesel::table! {
    users_objectpermission_users (objectpermission_id, user_id) {
        objectpermission_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    users_objectpermission_groups (objectpermission_id, group_id) {
        objectpermission_id -> Text,
        group_id -> Text,
    }
}

diesel::table! {
    users_token (id) {
        id -> Text,
        user_id -> Text,
        key -> Text,
        created -> Timestamp,
        expires -> Nullable<Timestamp>,
        write_enabled -> Bool,
        description -> Text,
    }
}

diesel::table! {
    users_session (session_key) {
        session_key -> Text,
        user_id -> Text,
        created -> Timestamp,
        expire_date -> Timestamp,
    }
}

diesel::joinable!(users_token -> users_user (user_id));
diesel::joinable!(users_session -> users_user (user_id));
diesel::joinable!(users_user_groups -> users_user (user_id));
diesel::joinable!(users_user_groups -> users_group (group_id));
diesel::joinable!(users_objectpermission_users -> users_objectpermission (objectpermission_id));
diesel::joinable!(users_objectpermission_groups -> users_objectpermission (objectpermission_id));

diesel::allow_tables_to_appear_in_same_query!(
    users_user,
    users_group,
    users_user_groups,
    users_objectpermission,
    users_objectpermission_users,
    users_objectpermission_groups,
    users_token,
    users_session,
);
