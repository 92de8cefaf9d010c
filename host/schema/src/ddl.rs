//! DDL for the model tables, per backend: column types, tables, indexes, and SQLite's
//! table rebuild for changes it cannot `ALTER`.
//!
//! Identifiers come from validated schemas (`[a-z][a-z0-9_]*`), and literals in DDL
//! (column defaults) are quoted here; no request data reaches this module.

use nautobot_plugin_abi::{FieldKind, FieldSchema, ModelSchema, OnDelete};
use serde_json::Value;

use super::{column, fk_target, through_link};
use nautobot_db::{dynamic::ident, Backend};

/// The table of model `label` (`dcim.location` → `dcim_location`).
pub fn table_of(label: &str) -> String {
    label.replacen('.', "_", 1)
}

/// The SQL type of a field's column.
pub fn column_type(field: &FieldSchema, backend: Backend) -> String {
    let pg = backend == Backend::Postgres;
    match &field.kind {
        FieldKind::Char { max_length } | FieldKind::Slug { max_length } => {
            if pg {
                format!("VARCHAR({max_length})")
            } else {
                "TEXT".into()
            }
        }
        FieldKind::Text
        | FieldKind::IpAddress
        | FieldKind::IpNetwork
        | FieldKind::MacAddress
        | FieldKind::Choice { .. }
        | FieldKind::ForeignKey { .. }
        | FieldKind::ManyToMany { .. }
        | FieldKind::Tags => "TEXT".into(),
        FieldKind::Integer { .. } | FieldKind::PositiveInteger => {
            if pg { "BIGINT" } else { "INTEGER" }.into()
        }
        FieldKind::Float => if pg { "DOUBLE PRECISION" } else { "REAL" }.into(),
        FieldKind::Decimal {
            max_digits,
            decimal_places,
        } => {
            if pg {
                format!("NUMERIC({max_digits}, {decimal_places})")
            } else {
                "TEXT".into()
            }
        }
        FieldKind::Boolean => "BOOLEAN".into(),
        FieldKind::Date => if pg { "DATE" } else { "TEXT" }.into(),
        FieldKind::DateTime => if pg { "TIMESTAMPTZ" } else { "TEXT" }.into(),
        FieldKind::Json => if pg { "JSONB" } else { "TEXT" }.into(),
    }
}

/// A SQL literal for a default value, or `None` if it cannot be one.
pub fn literal(value: &Value, field: &FieldSchema, backend: Backend) -> Option<String> {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    Some(match (&field.kind, value) {
        (_, Value::Null) => "NULL".into(),
        (FieldKind::Json, v) => {
            let text = quote(&v.to_string());
            if backend == Backend::Postgres {
                format!("{text}::jsonb")
            } else {
                text
            }
        }
        (FieldKind::Boolean, Value::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.into(),
        (_, Value::Number(n)) => n.to_string(),
        (_, Value::String(s)) => quote(s),
        (_, Value::Bool(b)) => quote(&b.to_string()),
        _ => return None,
    })
}

/// The value existing rows get when a NOT NULL column without a default is added.
fn backfill(field: &FieldSchema, backend: Backend) -> Option<String> {
    if let Some(default) = &field.default {
        if !matches!(field.kind, FieldKind::ForeignKey { .. }) {
            return literal(default, field, backend);
        }
    }
    match &field.kind {
        FieldKind::Char { .. }
        | FieldKind::Slug { .. }
        | FieldKind::Text
        | FieldKind::Choice { .. } => Some("''".into()),
        FieldKind::Integer { .. } | FieldKind::PositiveInteger | FieldKind::Float => {
            Some("0".into())
        }
        FieldKind::Boolean => Some("FALSE".into()),
        FieldKind::Json => Some(if backend == Backend::Postgres {
            "'{}'::jsonb".into()
        } else {
            "'{}'".into()
        }),
        _ => None,
    }
}

/// A column definition. `with_default` adds the backfill default (for `ADD COLUMN`).
pub fn column_def(field: &FieldSchema, backend: Backend, with_default: bool) -> String {
    let mut def = format!("{} {}", ident(&column(field)), column_type(field, backend));
    if !field.null {
        def.push_str(" NOT NULL");
    }
    if with_default && !field.null {
        if let Some(value) = backfill(field, backend) {
            def.push_str(&format!(" DEFAULT {value}"));
        }
    }
    if let Some((to, on_delete)) = fk_target(field) {
        def.push_str(&format!(
            " REFERENCES {} ({})",
            ident(&table_of(to)),
            ident("id")
        ));
        match on_delete {
            OnDelete::Cascade => def.push_str(" ON DELETE CASCADE"),
            OnDelete::SetNull => def.push_str(" ON DELETE SET NULL"),
            OnDelete::Protect => {}
        }
        if backend == Backend::Postgres {
            def.push_str(" DEFERRABLE INITIALLY DEFERRED");
        }
    }
    def
}

/// A short, unique, deterministic index name (PostgreSQL allows 63 bytes).
pub fn index_name(table: &str, columns: &[String], suffix: &str) -> String {
    let name = format!("{table}_{}_{suffix}", columns.join("_"));
    if name.len() <= 60 {
        return name;
    }
    let mut hash: u32 = 2166136261;
    for b in name.bytes() {
        hash = (hash ^ u32::from(b)).wrapping_mul(16777619);
    }
    format!("{}_{hash:08x}_{suffix}", &table[..table.len().min(40)])
}

/// The indexes a model's table carries: one unique index per unique field and per
/// unique-together set, and the list indexes behind every ordering and exact filter
/// (`ordering::list_indexes`, which also cover every foreign key column).
pub fn index_statements(model: &ModelSchema, backend: Backend) -> Vec<String> {
    let table = model.table();
    let mut out = Vec::new();
    for field in &model.fields {
        if !field.kind.is_column() || !field.unique {
            continue;
        }
        let col = column(field);
        out.push(format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({})",
            ident(&index_name(&table, std::slice::from_ref(&col), "uniq")),
            ident(&table),
            ident(&col)
        ));
    }
    for set in &model.unique_together {
        let cols: Vec<String> = set
            .iter()
            .filter_map(|name| model.get_field(name).map(column))
            .collect();
        out.push(format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({})",
            ident(&index_name(&table, &cols, "uniq")),
            ident(&table),
            cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
        ));
    }
    for index in super::ordering::list_indexes(model, backend) {
        out.push(super::ordering::create_statement(&table, &index, backend));
    }
    out
}

/// The names of the plain foreign-key indexes earlier versions made (`<table>_<col>_idx`),
/// which the list indexes replace.
pub fn legacy_indexes(model: &ModelSchema) -> Vec<String> {
    let table = model.table();
    model
        .fields
        .iter()
        .filter(|f| fk_target(f).is_some())
        .map(|f| index_name(&table, &[column(f)], "idx"))
        .collect()
}

/// `CREATE TABLE` for a model, then its indexes.
pub fn create_table(model: &ModelSchema, backend: Backend) -> Vec<String> {
    create_table_named(model, &model.table(), backend)
}

fn create_table_named(model: &ModelSchema, table: &str, backend: Backend) -> Vec<String> {
    let ts = if backend == Backend::Postgres {
        "TIMESTAMPTZ"
    } else {
        "TEXT"
    };
    let mut cols = vec![format!("{} TEXT PRIMARY KEY NOT NULL", ident("id"))];
    for field in &model.fields {
        if !field.kind.is_column() {
            continue;
        }
        cols.push(column_def(field, backend, false));
    }
    cols.push(format!("{} {ts} NOT NULL", ident("created")));
    cols.push(format!("{} {ts} NOT NULL", ident("last_updated")));
    vec![format!(
        "CREATE TABLE {} (\n    {}\n)",
        ident(table),
        cols.join(",\n    ")
    )]
}

/// The through table of each many-to-many field of `model`, with its indexes: one row
/// per link, both columns referring to their objects with `ON DELETE CASCADE` (deleting
/// either side removes the link), the primary key `(own, other)` serving an object's
/// list and an index `(other, own)` the filters and the other side's lookups.
pub fn through_tables(model: &ModelSchema, backend: Backend) -> Vec<String> {
    model
        .fields
        .iter()
        .flat_map(|f| through_table(model, f, backend))
        .collect()
}

/// The through table of one many-to-many field (nothing for other fields).
pub fn through_table(model: &ModelSchema, field: &FieldSchema, backend: Backend) -> Vec<String> {
    let Some(link) = through_link(model, field) else {
        return Vec::new();
    };
    let deferred = if backend == Backend::Postgres {
        " DEFERRABLE INITIALLY DEFERRED"
    } else {
        ""
    };
    let (own, other) = (ident(&link.own_column), ident(&link.other_column));
    vec![
        format!(
            "CREATE TABLE {} (\n    {own} TEXT NOT NULL REFERENCES {} ({}) ON DELETE CASCADE{deferred},\n    \
             {other} TEXT NOT NULL REFERENCES {} ({}) ON DELETE CASCADE{deferred},\n    PRIMARY KEY ({own}, {other})\n)",
            ident(&link.table),
            ident(&model.table()),
            ident("id"),
            ident(&table_of(&link.to)),
            ident("id"),
        ),
        format!(
            "CREATE INDEX {} ON {} ({other}, {own})",
            ident(&index_name(
                &link.table,
                &[link.other_column.clone(), link.own_column.clone()],
                "idx"
            )),
            ident(&link.table)
        ),
    ]
}

/// SQLite's procedure for changes `ALTER TABLE` cannot make: a new table of the new
/// shape, the rows copied (`copy` maps new columns to old ones), the old table dropped,
/// the new renamed, the indexes recreated. Run with foreign keys off.
pub fn rebuild_sqlite(new: &ModelSchema, copy: &[(String, String)]) -> Vec<String> {
    let table = new.table();
    let temp = format!("{table}__new");
    let mut out = create_table_named(new, &temp, Backend::Sqlite);
    let targets: Vec<String> = copy.iter().map(|(n, _)| ident(n)).collect();
    let sources: Vec<String> = copy.iter().map(|(_, o)| o.clone()).collect();
    out.push(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        ident(&temp),
        targets.join(", "),
        sources.join(", "),
        ident(&table)
    ));
    out.push(format!("DROP TABLE {}", ident(&table)));
    out.push(format!(
        "ALTER TABLE {} RENAME TO {}",
        ident(&temp),
        ident(&table)
    ));
    out.extend(index_statements(new, Backend::Sqlite));
    out
}

/// The name in `CREATE [UNIQUE ]INDEX IF NOT EXISTS "name" …`.
pub fn index_name_of(statement: &str) -> Option<&str> {
    let start = statement.find('"')? + 1;
    let end = statement[start..].find('"')? + start;
    Some(&statement[start..end])
}

fn drop_index(name: &str) -> String {
    format!("DROP INDEX IF EXISTS {}", ident(name))
}

/// The statements dropping the indexes of `old` that `new` no longer has (the ones it
/// keeps stay; `index_statements(new)` then creates what is missing), and the ones
/// earlier versions made.
pub fn drop_changed_indexes(old: &ModelSchema, new: &ModelSchema, backend: Backend) -> Vec<String> {
    let keep = index_statements(new, backend);
    let mut out: Vec<String> = index_statements(old, backend)
        .iter()
        .filter(|stmt| !keep.contains(stmt))
        .filter_map(|stmt| index_name_of(stmt).map(drop_index))
        .collect();
    out.extend(legacy_indexes(old).iter().map(|name| drop_index(name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ModelSchema {
        ModelSchema::new("example_plugin", "examplemodel")
            .field(FieldSchema::char("name", 100).unique())
            .field(FieldSchema::integer("number").default_value(100))
            .field(
                FieldSchema::foreign_key("location", "dcim.location", OnDelete::Cascade).optional(),
            )
    }

    #[test]
    fn tables_per_backend() {
        let sqlite = create_table(&model(), Backend::Sqlite).join("\n");
        assert!(sqlite.contains("\"name\" TEXT NOT NULL"));
        assert!(sqlite.contains(
            "\"location_id\" TEXT REFERENCES \"dcim_location\" (\"id\") ON DELETE CASCADE"
        ));
        let pg = create_table(&model(), Backend::Postgres).join("\n");
        assert!(pg.contains("\"name\" VARCHAR(100) NOT NULL"));
        assert!(pg.contains("\"number\" BIGINT NOT NULL"));
        assert!(pg.contains("\"created\" TIMESTAMPTZ NOT NULL"));
        let indexes = index_statements(&model(), Backend::Sqlite);
        assert_eq!(
            indexes[0],
            "CREATE UNIQUE INDEX IF NOT EXISTS \"example_plugin_examplemodel_name_uniq\" ON \"example_plugin_examplemodel\" (\"name\")"
        );
        assert!(indexes
            .iter()
            .any(|i| i.contains("(\"location_id\", \"name\")")));
        // Every index dropped when the new shape has none, and the foreign key index of
        // earlier versions; none but that one when nothing changes.
        let bare = ModelSchema::new("example_plugin", "examplemodel");
        assert_eq!(
            drop_changed_indexes(&model(), &bare, Backend::Sqlite).len(),
            indexes.len() + 1
        );
        assert_eq!(
            drop_changed_indexes(&model(), &model(), Backend::Sqlite),
            ["DROP INDEX IF EXISTS \"example_plugin_examplemodel_location_id_idx\""]
        );
    }

    #[test]
    fn defaults_are_quoted() {
        let f = FieldSchema::char("note", 10).default_value("it's");
        assert_eq!(
            column_def(&f, Backend::Sqlite, true),
            "\"note\" TEXT NOT NULL DEFAULT 'it''s'"
        );
        let n = FieldSchema::integer("n").default_value(100);
        assert_eq!(
            column_def(&n, Backend::Postgres, true),
            "\"n\" BIGINT NOT NULL DEFAULT 100"
        );
    }

    #[test]
    fn long_index_names_are_shortened() {
        let cols = vec!["a_very_long_column_name_indeed".to_string(); 3];
        let name = index_name("example_plugin_anotherexamplemodel", &cols, "uniq");
        assert!(name.len() <= 63, "{name}");
        assert_eq!(
            name,
            index_name("example_plugin_anotherexamplemodel", &cols, "uniq")
        );
    }
}
