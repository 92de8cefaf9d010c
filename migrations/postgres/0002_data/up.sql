-- The declarative migrations of core apps (extras, dcim, ipam) and plugins, recorded
-- per app like Django's `django_migrations`, with the operations each ran (JSON): the
-- tables are what those built, even if a plugin later edits an applied migration.
CREATE TABLE nautobot_migrations (
    app TEXT NOT NULL,
    name TEXT NOT NULL,
    applied TIMESTAMPTZ NOT NULL,
    operations TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (app, name)
);

-- The change log (Nautobot's extras.ObjectChange): one row per create, update and
-- delete, written in the same transaction as the change. Served read-only through the
-- model layer, hence the created/last_updated columns every model table has.
CREATE TABLE extras_objectchange (
    id TEXT PRIMARY KEY NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    user_id TEXT,
    user_name TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    changed_object_type TEXT NOT NULL,
    changed_object_id TEXT NOT NULL,
    object_repr TEXT NOT NULL DEFAULT '',
    object_data JSONB,
    prechange_data JSONB,
    created TIMESTAMPTZ NOT NULL,
    last_updated TIMESTAMPTZ NOT NULL
);
CREATE INDEX extras_objectchange_object ON extras_objectchange (changed_object_type, changed_object_id);
CREATE INDEX extras_objectchange_time ON extras_objectchange (time);
