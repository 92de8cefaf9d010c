DROP TABLE users_session;
DROP TABLE users_token;
DROP TABLE users_objectpermission_groups;
DROP TABLE users_objectpermission_users;
DROP TABLE users_objectpermission;
DROP TABLE users_user_groups;
DROP TABLE users_group;
DROP TABLE users_user;
