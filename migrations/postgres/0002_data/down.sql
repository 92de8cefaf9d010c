DROP TABLE extras_objectchange;
DROP TABLE nautobot_migrations;
