//! How lists are ordered, and the indexes that make every ordering and every exact
//! filter a walk of an index rather than a scan and sort of the whole table.
//!
//! One rule serves both: a list sorted on field `f` is ordered by `f`, then by the
//! model's default ordering, then by `id` (unless a unique set of non-null columns came
//! first), and `sort=-f` is exactly the reverse of `sort=f`. So one index per field,
//! `(f, <default ordering…>, id)`, serves `?f=<value>` in the default order, `sort=f`
//! (forwards) and `sort=-f` (backwards) — and the seek keys of `next` links
//! (`objects::query`) compare the same terms.
//!
//! NULLs sort first in ascending order on both backends (SQLite's rule; PostgreSQL is
//! told `NULLS FIRST`/`NULLS LAST` in orderings and indexes alike).

use nautobot_plugin_abi::{FieldKind, FieldSchema, ModelSchema};

use super::column;
use nautobot_db::{dynamic::ident, Backend};

/// One term of an `ORDER BY`.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// The column (`name`, `location_id`, `id`, `created`).
    pub column: String,
    /// The field's kind (`None` for `id`, `created`, `last_updated`).
    pub kind: Option<FieldKind>,
    /// Descending.
    pub desc: bool,
    /// Whether the column may hold NULL.
    pub nullable: bool,
}

impl Term {
    fn reversed(mut self) -> Term {
        self.desc = !self.desc;
        self
    }

    /// The term as SQL, with the NULL placement both backends share. Only nullable
    /// columns say where NULLs go on PostgreSQL: its planner matches an index to an
    /// ordering by that too, and primary keys and unique indexes have the default.
    pub fn sql(&self, backend: Backend) -> String {
        let col = ident(&self.column);
        match (backend == Backend::Postgres && self.nullable, self.desc) {
            (false, false) => col,
            (false, true) => format!("{col} DESC"),
            (true, false) => format!("{col} NULLS FIRST"),
            (true, true) => format!("{col} DESC NULLS LAST"),
        }
    }
}

/// The default ordering of a schema: its own, else its display field (as `Model`
/// derives it).
pub fn default_ordering(schema: &ModelSchema) -> Vec<String> {
    if !schema.ordering.is_empty() {
        return schema.ordering.clone();
    }
    let display = schema.display_field.clone().or_else(|| {
        ["name", "model", "address", "prefix"]
            .iter()
            .find(|f| schema.get_field(f).is_some())
            .map(|f| f.to_string())
    });
    display.into_iter().collect()
}

/// Whether a field can be sorted on (and so gets an ordering index).
pub fn is_sortable(field: &FieldSchema) -> bool {
    field.kind.is_column() && !matches!(field.kind, FieldKind::Json)
}

/// The term of a field name (`-` prefix for descending); `None` when it cannot be
/// sorted on.
fn term(schema: &ModelSchema, spec: &str) -> Option<Term> {
    let (name, desc) = match spec.strip_prefix('-') {
        Some(n) => (n, true),
        None => (spec, false),
    };
    match name {
        "id" => Some(Term {
            column: "id".into(),
            kind: None,
            desc,
            nullable: false,
        }),
        "created" | "last_updated" => Some(Term {
            column: name.into(),
            kind: Some(FieldKind::DateTime),
            desc,
            nullable: false,
        }),
        _ => {
            let field = schema.get_field(name).filter(|f| is_sortable(f))?;
            Some(Term {
                column: column(field),
                kind: Some(field.kind.clone()),
                desc,
                nullable: field.null,
            })
        }
    }
}

/// Whether `columns` hold a unique, non-null set: `id`, a unique non-null field, or a
/// unique-together set of non-null fields.
fn is_unique(schema: &ModelSchema, columns: &[&str]) -> bool {
    if columns.contains(&"id") {
        return true;
    }
    let non_null_column = |name: &str| {
        schema
            .get_field(name)
            .filter(|f| !f.null)
            .map(column)
            .filter(|c| columns.contains(&c.as_str()))
    };
    schema
        .fields
        .iter()
        .any(|f| f.unique && !f.null && columns.contains(&column(f).as_str()))
        || schema
            .unique_together
            .iter()
            .any(|set| !set.is_empty() && set.iter().all(|name| non_null_column(name).is_some()))
}

/// Appends `more` to `terms`, skipping columns already there, and stops (and appends
/// nothing more) once the columns are unique; ends with `id` if they never are.
fn extend(schema: &ModelSchema, terms: &mut Vec<Term>, more: impl IntoIterator<Item = Term>) {
    let unique = |terms: &Vec<Term>| {
        let cols: Vec<&str> = terms.iter().map(|t| t.column.as_str()).collect();
        is_unique(schema, &cols)
    };
    if unique(terms) {
        return;
    }
    for t in more {
        if terms.iter().any(|x| x.column == t.column) {
            continue;
        }
        terms.push(t);
        if unique(terms) {
            return;
        }
    }
}

/// The model's default order: its ordering, then `id` (ascending, or descending when
/// the last ordering term is) unless the ordering is unique already.
pub fn base_terms(schema: &ModelSchema) -> Vec<Term> {
    let ordering: Vec<Term> = default_ordering(schema)
        .iter()
        .filter_map(|spec| term(schema, spec))
        .collect();
    let id_desc = ordering.last().is_some_and(|t| t.desc);
    let mut terms = Vec::new();
    extend(
        schema,
        &mut terms,
        ordering.into_iter().chain([Term {
            column: "id".into(),
            kind: None,
            desc: id_desc,
            nullable: false,
        }]),
    );
    terms
}

/// The order of a list: the requested sort fields (names, `-` for descending; ones
/// that cannot be sorted on are skipped), then the default order as tie-breakers —
/// reversed when the first requested field is descending, so that `sort=-f` is the
/// exact reverse of `sort=f`.
pub fn terms(schema: &ModelSchema, sort: &[String]) -> Vec<Term> {
    let requested: Vec<Term> = sort.iter().filter_map(|s| term(schema, s)).collect();
    if requested.is_empty() {
        return base_terms(schema);
    }
    let flip = requested[0].desc;
    let mut out = Vec::new();
    extend(schema, &mut out, requested);
    let base = base_terms(schema)
        .into_iter()
        .map(|t| if flip { t.reversed() } else { t });
    extend(schema, &mut out, base);
    out
}

/// ` ORDER BY …` for `terms`, columns qualified by `table` when given.
pub fn order_by(terms: &[Term], backend: Backend) -> String {
    let parts: Vec<String> = terms.iter().map(|t| t.sql(backend)).collect();
    format!(" ORDER BY {}", parts.join(", "))
}

/// An index that lists use: columns with their directions.
#[derive(Debug, Clone, PartialEq)]
pub struct ListIndex {
    /// Its name (deterministic from the table and columns).
    pub name: String,
    /// The terms, in order.
    pub terms: Vec<Term>,
    /// PostgreSQL: a hash index on the first column only (values too long for a
    /// B-tree entry: text fields).
    pub hash: bool,
}

/// Whether a field's values may be too long for a PostgreSQL B-tree entry (~2.7 kB):
/// unbounded text, or strings that may exceed it in UTF-8.
fn long_values(kind: &FieldKind) -> bool {
    match kind {
        FieldKind::Text => true,
        FieldKind::Char { max_length } | FieldKind::Slug { max_length } => *max_length > 600,
        _ => false,
    }
}

/// The ordering and filter indexes of a model: the default order, and for every field
/// that can be filtered by exact value or sorted on, `(field, <default order…>)` —
/// except where another index of the list (or a unique index of the same columns)
/// already starts with the same terms. Unique indexes are made elsewhere
/// (`ddl::index_statements`); these never enforce anything.
pub fn list_indexes(schema: &ModelSchema, backend: Backend) -> Vec<ListIndex> {
    let table = schema.table();
    let base = base_terms(schema);
    let mut candidates: Vec<(Vec<Term>, bool)> = vec![(base.clone(), false)];
    let mut leading: Vec<Term> = schema
        .fields
        .iter()
        .filter(|f| is_sortable(f))
        .filter_map(|f| term(schema, &f.name))
        .collect();
    for ts in ["created", "last_updated"] {
        leading.extend(term(schema, ts));
    }
    for first in leading {
        let hash = backend == Backend::Postgres && first.kind.as_ref().is_some_and(long_values);
        if hash {
            candidates.push((vec![first], true));
            continue;
        }
        let mut terms = Vec::new();
        extend(schema, &mut terms, [first]);
        extend(schema, &mut terms, base.iter().cloned());
        candidates.push((terms, false));
    }
    // Unique indexes of single fields and unique-together sets serve as well.
    let mut existing: Vec<Vec<String>> = schema
        .fields
        .iter()
        .filter(|f| f.unique)
        .map(|f| vec![column(f)])
        .collect();
    existing.extend(schema.unique_together.iter().map(|set| {
        set.iter()
            .filter_map(|n| schema.get_field(n).map(column))
            .collect()
    }));
    let mut out: Vec<ListIndex> = Vec::new();
    for (terms, hash) in candidates {
        let cols: Vec<String> = terms.iter().map(|t| t.column.clone()).collect();
        // An ascending unique index on exactly these columns serves the same walks
        // (where its NULLs sort as the list's do: no nullable column on PostgreSQL).
        let same_nulls = backend == Backend::Sqlite || terms.iter().all(|t| !t.nullable);
        if !hash && same_nulls && terms.iter().all(|t| !t.desc) && existing.contains(&cols) {
            continue;
        }
        if cols == ["id"] {
            continue; // the primary key
        }
        if out.iter().any(|i| {
            i.hash == hash && i.terms.len() >= terms.len() && i.terms[..terms.len()] == terms[..]
        }) {
            continue;
        }
        let named: Vec<String> = terms
            .iter()
            .map(|t| {
                if t.desc {
                    format!("{}_desc", t.column)
                } else {
                    t.column.clone()
                }
            })
            .collect();
        let suffix = if hash { "hash" } else { "list" };
        out.push(ListIndex {
            name: super::ddl::index_name(&table, &named, suffix),
            terms,
            hash,
        });
    }
    out
}

/// `CREATE INDEX IF NOT EXISTS` for a list index.
pub fn create_statement(table: &str, index: &ListIndex, backend: Backend) -> String {
    if index.hash {
        return format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} USING hash ({})",
            ident(&index.name),
            ident(table),
            ident(&index.terms[0].column)
        );
    }
    let cols: Vec<String> = index.terms.iter().map(|t| t.sql(backend)).collect();
    format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
        ident(&index.name),
        ident(table),
        cols.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::OnDelete;

    fn location() -> ModelSchema {
        ModelSchema::new("dcim", "location")
            .field(FieldSchema::foreign_key(
                "location_type",
                "dcim.locationtype",
                OnDelete::Protect,
            ))
            .field(
                FieldSchema::foreign_key("parent", "dcim.location", OnDelete::Protect).optional(),
            )
            .field(FieldSchema::char("name", 100))
            .field(FieldSchema::text("comments").blank())
            .field(FieldSchema::new("content_types", FieldKind::Json))
            .unique_together(["parent", "name"])
            .ordering(["name"])
    }

    fn cols(terms: &[Term]) -> Vec<String> {
        terms
            .iter()
            .map(|t| format!("{}{}", if t.desc { "-" } else { "" }, t.column))
            .collect()
    }

    #[test]
    fn default_order_ends_with_id_unless_unique() {
        assert_eq!(cols(&base_terms(&location())), ["name", "id"]);
        let unique = ModelSchema::new("x", "y")
            .field(FieldSchema::char("name", 10).unique())
            .ordering(["name"]);
        assert_eq!(cols(&base_terms(&unique)), ["name"]);
        let together = ModelSchema::new("x", "y")
            .field(FieldSchema::char("a", 10))
            .field(FieldSchema::char("b", 10))
            .unique_together(["a", "b"])
            .ordering(["a", "b"]);
        assert_eq!(cols(&base_terms(&together)), ["a", "b"]);
        let desc = ModelSchema::new("x", "y")
            .field(FieldSchema::new("time", FieldKind::DateTime))
            .ordering(["-time"]);
        assert_eq!(cols(&base_terms(&desc)), ["-time", "-id"]);
    }

    #[test]
    fn a_descending_sort_is_the_reverse_of_the_ascending_one() {
        let m = location();
        let up = terms(&m, &["parent".into()]);
        let down = terms(&m, &["-parent".into()]);
        assert_eq!(cols(&up), ["parent_id", "name", "id"]);
        assert_eq!(cols(&down), ["-parent_id", "-name", "-id"]);
        // Sorting on a field of the default order does not repeat it.
        assert_eq!(cols(&terms(&m, &["-name".into()])), ["-name", "-id"]);
        // Unknown and unsortable fields are skipped.
        assert_eq!(cols(&terms(&m, &["content_types".into()])), ["name", "id"]);
    }

    #[test]
    fn every_filterable_field_leads_an_index() {
        let sqlite = list_indexes(&location(), Backend::Sqlite);
        let names: Vec<Vec<String>> = sqlite.iter().map(|i| cols(&i.terms)).collect();
        assert!(names.contains(&vec!["name".into(), "id".into()]));
        assert!(names.contains(&vec!["location_type_id".into(), "name".into(), "id".into()]));
        assert!(names.contains(&vec!["parent_id".into(), "name".into(), "id".into()]));
        assert!(names.contains(&vec!["comments".into(), "name".into(), "id".into()]));
        assert!(names.contains(&vec!["created".into(), "name".into(), "id".into()]));
        assert!(!names.iter().any(|n| n[0] == "content_types"));
        // Unique names: one index per name.
        let mut unique: Vec<&str> = sqlite.iter().map(|i| i.name.as_str()).collect();
        unique.dedup();
        assert_eq!(unique.len(), sqlite.len());
        // Long text gets a hash index on PostgreSQL.
        let pg = list_indexes(&location(), Backend::Postgres);
        let comments = pg.iter().find(|i| i.terms[0].column == "comments").unwrap();
        assert!(comments.hash);
        assert!(
            create_statement("dcim_location", comments, Backend::Postgres).contains("USING hash")
        );
        let name = pg.iter().find(|i| i.terms[0].column == "name").unwrap();
        assert_eq!(
            create_statement("dcim_location", name, Backend::Postgres),
            format!(
                "CREATE INDEX IF NOT EXISTS \"{}\" ON \"dcim_location\" (\"name\", \"id\")",
                name.name
            )
        );
    }
}
