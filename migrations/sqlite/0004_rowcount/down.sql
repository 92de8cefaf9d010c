DROP TABLE nautobot_rowcount;
