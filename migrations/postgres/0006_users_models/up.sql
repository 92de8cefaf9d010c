-- Users, groups, object permissions and tokens become models of the model layer
-- (auth::models), which gives every model table `created` and `last_updated`. Rows
-- inserted without them (the command line's `createsuperuser`, `createuser`) get the
-- time of the insert.
ALTER TABLE users_user
    ADD COLUMN created TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
UPDATE users_user SET created = date_joined AT TIME ZONE 'UTC',
    last_updated = date_joined AT TIME ZONE 'UTC';
ALTER TABLE users_group
    ADD COLUMN created TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE users_objectpermission
    ADD COLUMN created TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE users_token ADD COLUMN last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
UPDATE users_token SET last_updated = created AT TIME ZONE 'UTC';
