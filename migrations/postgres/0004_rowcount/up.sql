-- Row counts of the model tables, kept by statement triggers (db::rowcount), so that
-- the count of an unfiltered list costs one lookup whatever the size of the table.
-- Writers only ever insert deltas (no row is updated, so concurrent writers never wait
-- for each other); readers sum them and fold them into one row now and then.
CREATE TABLE nautobot_rowcount (
    id BIGSERIAL PRIMARY KEY,
    table_name TEXT NOT NULL,
    delta BIGINT NOT NULL
);
CREATE INDEX nautobot_rowcount_table ON nautobot_rowcount (table_name);

CREATE FUNCTION nautobot_rowcount_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO nautobot_rowcount (table_name, delta)
        SELECT TG_TABLE_NAME, COUNT(*) FROM nautobot_new_rows HAVING COUNT(*) > 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION nautobot_rowcount_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO nautobot_rowcount (table_name, delta)
        SELECT TG_TABLE_NAME, -COUNT(*) FROM nautobot_old_rows HAVING COUNT(*) > 0;
    RETURN NULL;
END
$$;
