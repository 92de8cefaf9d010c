-- Row counts of the model tables, kept by triggers (db::rowcount), so that the count of
-- an unfiltered list costs one lookup whatever the size of the table.
CREATE TABLE nautobot_rowcount (
    table_name TEXT PRIMARY KEY NOT NULL,
    row_count INTEGER NOT NULL
);
