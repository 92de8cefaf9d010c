DROP TABLE nautobot_migrations;
