-- Users, groups, object permissions, API tokens and sessions (Nautobot's `users` app).
CREATE TABLE users_user (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    password TEXT NOT NULL,
    is_superuser BOOLEAN NOT NULL DEFAULT FALSE,
    is_staff BOOLEAN NOT NULL DEFAULT FALSE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    date_joined TIMESTAMP NOT NULL,
    last_login TIMESTAMP
);

CREATE TABLE users_group (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE users_user_groups (
    user_id TEXT NOT NULL REFERENCES users_user (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES users_group (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);

CREATE TABLE users_objectpermission (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    object_types TEXT NOT NULL DEFAULT '[]',
    actions TEXT NOT NULL DEFAULT '[]',
    constraints TEXT
);

CREATE TABLE users_objectpermission_users (
    objectpermission_id TEXT NOT NULL REFERENCES users_objectpermission (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users_user (id) ON DELETE CASCADE,
    PRIMARY KEY (objectpermission_id, user_id)
);

CREATE TABLE users_objectpermission_groups (
    objectpermission_id TEXT NOT NULL REFERENCES users_objectpermission (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES users_group (id) ON DELETE CASCADE,
    PRIMARY KEY (objectpermission_id, group_id)
);

CREATE TABLE users_token (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users_user (id) ON DELETE CASCADE,
    key TEXT NOT NULL UNIQUE,
    created TIMESTAMP NOT NULL,
    expires TIMESTAMP,
    write_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    description TEXT NOT NULL DEFAULT ''
);

-- Sessions live in the database so that several servers can share them. The key
-- stored is an HMAC of the cookie value, so a copy of this table opens no session.
CREATE TABLE users_session (
    session_key TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users_user (id) ON DELETE CASCADE,
    created TIMESTAMP NOT NULL,
    expire_date TIMESTAMP NOT NULL
);
CREATE INDEX users_session_expire_date ON users_session (expire_date);
CREATE INDEX users_token_user_id ON users_token (user_id);
