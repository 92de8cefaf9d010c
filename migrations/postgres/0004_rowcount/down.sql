DROP TABLE nautobot_rowcount;
DROP FUNCTION nautobot_rowcount_inserted() CASCADE;
DROP FUNCTION nautobot_rowcount_deleted() CASCADE;
