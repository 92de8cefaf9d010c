-- The plugins (and the server version, as "nautobot-server") the database was last
-- migrated with: every server and worker sharing the database must load exactly these
-- (db::plugin_set). Empty until the first `migrate` of a server that knows the table.
CREATE TABLE nautobot_plugin_set (
    name TEXT PRIMARY KEY NOT NULL,
    version TEXT NOT NULL
);
