-- The declarative migrations of core apps (extras, dcim, ipam) and plugins, recorded
-- per app like Django's `django_migrations`.
CREATE TABLE nautobot_migrations (
    app TEXT NOT NULL,
    name TEXT NOT NULL,
    applied TEXT NOT NULL,
    PRIMARY KEY (app, name)
);
