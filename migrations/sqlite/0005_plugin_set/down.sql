DROP TABLE nautobot_plugin_set;
