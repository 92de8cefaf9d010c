ALTER TABLE users_token DROP COLUMN last_updated;
ALTER TABLE users_objectpermission DROP COLUMN last_updated, DROP COLUMN created;
ALTER TABLE users_group DROP COLUMN last_updated, DROP COLUMN created;
ALTER TABLE users_user DROP COLUMN last_updated, DROP COLUMN created;
