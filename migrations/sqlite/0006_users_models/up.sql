-- Users, groups, object permissions and tokens become models of the model layer
-- (auth::models), which gives every model table `created` and `last_updated`. Rows
-- inserted without them (the command line's `createsuperuser`, `createuser`) get the
-- time of the insert from the triggers below, in the model layer's format.
ALTER TABLE users_user ADD COLUMN created TEXT NOT NULL DEFAULT '';
ALTER TABLE users_user ADD COLUMN last_updated TEXT NOT NULL DEFAULT '';
ALTER TABLE users_group ADD COLUMN created TEXT NOT NULL DEFAULT '';
ALTER TABLE users_group ADD COLUMN last_updated TEXT NOT NULL DEFAULT '';
ALTER TABLE users_objectpermission ADD COLUMN created TEXT NOT NULL DEFAULT '';
ALTER TABLE users_objectpermission ADD COLUMN last_updated TEXT NOT NULL DEFAULT '';
ALTER TABLE users_token ADD COLUMN last_updated TEXT NOT NULL DEFAULT '';

UPDATE users_user SET created = strftime('%Y-%m-%dT%H:%M:%fZ', date_joined),
    last_updated = strftime('%Y-%m-%dT%H:%M:%fZ', date_joined);
UPDATE users_group SET created = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
    last_updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
UPDATE users_objectpermission SET created = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
    last_updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
UPDATE users_token SET last_updated = strftime('%Y-%m-%dT%H:%M:%fZ', created);

CREATE TRIGGER users_user_timestamps AFTER INSERT ON users_user WHEN NEW.created = ''
BEGIN
    UPDATE users_user SET created = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        last_updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
CREATE TRIGGER users_group_timestamps AFTER INSERT ON users_group WHEN NEW.created = ''
BEGIN
    UPDATE users_group SET created = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        last_updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
CREATE TRIGGER users_objectpermission_timestamps AFTER INSERT ON users_objectpermission
WHEN NEW.created = ''
BEGIN
    UPDATE users_objectpermission SET created = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        last_updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
CREATE TRIGGER users_token_timestamps AFTER INSERT ON users_token WHEN NEW.last_updated = ''
BEGIN
    UPDATE users_token SET last_updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        WHERE id = NEW.id;
END;
