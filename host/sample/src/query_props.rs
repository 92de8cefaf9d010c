//! Property tests of the model layer's list queries (`nautobot_objects::query`; they
//! live here, with the sample network they query over): whatever query parameters a client sends — filters
//! with any lookup and value, `q`, `sort`, `limit`, `offset`, `cursor` — the answer is a
//! page or a 400 naming the parameter, never a panic and never a database error (a
//! 500), on SQLite and on PostgreSQL; request text reaches SQL only as bound values; and
//! filters a client may send are accepted and kept as sent.
//!
//! The models are the core's and a plugin model with a field of every kind, over a
//! tiny sample network (so that JSON objects, nulls and tags are there to be matched).
//! Cases per property: [`CASES`] (`PROPTEST_CASES` overrides, as proptest reads it).

use std::sync::Arc;

use actix_web::http::StatusCode;
use nautobot_plugin_abi::{
    FieldKind, FieldSchema, Migration, ModelSchema, OnDelete, Operation, PluginManifest,
};
use proptest::{
    prelude::*,
    sample::Index,
    test_runner::{Config, TestRunner},
};
use serde_json::{json, Value};

use crate::{self as sample, plan::Sizes, progress::Recorded};
use nautobot_base::error::Error;
use nautobot_config::DatabaseUrl;
use nautobot_db::{scratch::ScratchPostgres, Backend, Database};
use nautobot_objects::{
    fastjson,
    query::{self, ListQuery, MAX_LIMIT},
    seek, NoHooks,
};
use nautobot_schema::{catalog::Catalog, ordering, Model};

/// Cases per property unless `PROPTEST_CASES` says.
const CASES: u32 = 256;

/// A character no schema identifier holds: values carrying it must not reach SQL text.
const MARKER: char = '§';

/// The lookups the parser knows, and a few it does not.
const LOOKUPS: &[&str] = &[
    "n", "ic", "nic", "isw", "nisw", "iew", "niew", "ie", "nie", "gt", "gte", "lt", "lte",
    "isnull", "exact", "regex", "in", "",
];

fn config() -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A plugin model with one field of every kind.
fn every_kind() -> PluginManifest {
    let model = ModelSchema::new("fuzzing", "widget")
        .verbose_names("widget", "widgets")
        .field(FieldSchema::char("name", 50).unique())
        .field(FieldSchema::text("notes").blank())
        .field(FieldSchema::new("slug", FieldKind::Slug { max_length: 50 }).blank())
        .field(
            FieldSchema::new(
                "count",
                FieldKind::Integer {
                    min: Some(-5),
                    max: Some(1000),
                },
            )
            .optional(),
        )
        .field(FieldSchema::new("size", FieldKind::PositiveInteger).optional())
        .field(FieldSchema::new("ratio", FieldKind::Float).optional())
        .field(
            FieldSchema::new(
                "price",
                FieldKind::Decimal {
                    max_digits: 8,
                    decimal_places: 2,
                },
            )
            .optional(),
        )
        .field(FieldSchema::boolean("enabled").default_value(true))
        .field(FieldSchema::new("due", FieldKind::Date).optional())
        .field(FieldSchema::new("seen", FieldKind::DateTime).optional())
        .field(FieldSchema::new("data", FieldKind::Json).optional())
        .field(FieldSchema::new("address", FieldKind::IpAddress).optional())
        .field(FieldSchema::new("network", FieldKind::IpNetwork).optional())
        .field(FieldSchema::new("mac", FieldKind::MacAddress).optional())
        .field(FieldSchema::choice("kind", [("a", "A"), ("b", "B")]).blank())
        .field(FieldSchema::foreign_key("location", "dcim.location", OnDelete::SetNull).optional())
        .field(FieldSchema::new("tags", FieldKind::Tags))
        .search_fields(["name", "notes"]);
    PluginManifest {
        name: "fuzzing".into(),
        base_url: "fuzzing".into(),
        migrations: vec![Migration::new("fuzzing", "0001_initial")
            .depends_on("dcim", "0001_initial")
            .operation(Operation::CreateModel {
                model: model.clone(),
            })],
        models: vec![model],
        ..Default::default()
    }
}

/// A database with the core and [`every_kind`] migrated and a tiny sample network.
struct Env {
    catalog: Catalog,
    db: Database,
    _dir: Option<tempfile::TempDir>,
    pg: Option<ScratchPostgres>,
}

impl Env {
    fn sqlite() -> Env {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let db = Database::connect(&DatabaseUrl::Sqlite(dir.path().join("db.sqlite3")))
            .expect("an SQLite database");
        Env::fill(db, Some(dir), None)
    }

    /// On PostgreSQL (`NAUTOBOT_TEST_POSTGRES`, default the local server); `None`
    /// (after printing why) when none is reachable, except under `CI=true`.
    fn postgres(test: &str) -> Option<Env> {
        let scratch = ScratchPostgres::create(test, "nautobot_props")?;
        let db = Database::connect(&DatabaseUrl::Postgres(scratch.url.clone()))
            .expect("the scratch database");
        Some(Env::fill(db, None, Some(scratch)))
    }

    fn fill(db: Database, dir: Option<tempfile::TempDir>, pg: Option<ScratchPostgres>) -> Env {
        nautobot_db::migrations::migrate(&db).expect("host migrations");
        let manifest = every_kind();
        let catalog = Catalog::build(&[&manifest]).expect("the catalog");
        nautobot_schema::migrate::migrate(&db, &catalog.plan).expect("model migrations");
        let sizes = Sizes {
            regions: 1,
            sites_per_region: 2,
            rooms_per_site: 1,
            devices_per_site: 1,
            interfaces_per_device: 2,
            extra_prefixes_per_namespace: 1,
            addresses_per_extra_prefix: 1,
            plugin_objects_per_model: 4,
            tagged_per_tag: 2,
        };
        sample::load(
            &db,
            &catalog.registry,
            &NoHooks,
            "props",
            sizes,
            &Recorded::default(),
        )
        .expect("the sample network");
        Env {
            catalog,
            db,
            _dir: dir,
            pg,
        }
    }

    fn backend(&self) -> Backend {
        if self.pg.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// Every model the API serves.
    fn models(&self) -> Vec<Arc<Model>> {
        self.catalog
            .registry
            .iter()
            .filter(|m| !nautobot_schema::core::is_hidden(&m.label()))
            .cloned()
            .collect()
    }
}

/// A query parameter's name before it is resolved against a model.
#[derive(Debug, Clone)]
enum Key {
    /// A parameter that is no filter (`limit`, `sort` …).
    Reserved(&'static str),
    /// One of the model's fields (or `id`, `created`, `last_updated`) with a lookup.
    Field(Index, &'static str),
    /// Anything at all.
    Raw(String),
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        2 => prop::sample::select(vec!["limit", "offset", "cursor", "q", "sort", "depth"])
            .prop_map(Key::Reserved),
        5 => (any::<Index>(), prop::sample::select(LOOKUPS.to_vec()))
            .prop_map(|(i, l)| Key::Field(i, l)),
        1 => any::<String>().prop_map(Key::Raw),
        1 => "[a-z_]{1,12}__[a-z]{0,6}".prop_map(Key::Raw),
    ]
}

/// Values of every shape filters meet: numbers at their limits, dates, addresses,
/// booleans, `null`, UUIDs, LIKE wildcards, NUL, any text, and text with [`MARKER`].
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        "-?[0-9]{0,25}(\\.[0-9]{0,12})?(e[+-]?[0-9]{1,4})?",
        prop::sample::select(vec![
            "null",
            "NULL",
            "true",
            "false",
            "yes",
            "0",
            "1",
            "",
            " ",
            "%",
            "_",
            "\\",
            "'",
            "\"",
            "\0",
            "NaN",
            "inf",
            "-inf",
            "[]",
            "{}",
            "[1]",
            "9223372036854775808",
            "-9223372036854775809",
            "2026-02-30",
            "2026-01-01",
            "2026-01-01T00:00:00Z",
            "0000-00-00",
            "10.0.0.1",
            "10.0.0.0/24",
            "::1",
            "fe80::/10",
            "10.0.0.1/33",
            "00:11:22:33:44:55",
            "Active",
            "dcim.device",
        ])
        .prop_map(str::to_string),
        any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string()),
        "[a-z0-9%_\\\\' -]{0,6}§[A-Za-z0-9%_]{0,6}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?)?",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(/[0-9]{1,3})?",
    ]
}

/// The sort parameter: fields of the model (by index), `-`, junk, commas.
fn sort_value() -> impl Strategy<Value = Vec<(Index, bool)>> {
    prop::collection::vec((any::<Index>(), any::<bool>()), 0..4)
}

/// One generated request: a model, its parameters, and maybe a cursor of the order.
#[derive(Debug, Clone)]
struct Request {
    model: Index,
    params: Vec<(Key, String)>,
    sort: Option<Vec<(Index, bool)>>,
    /// Key values for a cursor of the query's own order (which must be checked as
    /// carefully as any other input).
    cursor_values: Option<Vec<Value>>,
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::from),
        Just(json!("2026-01-01T00:00:00.000000Z")),
        Just(json!("2026-01-01")),
        Just(json!("1.50")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop::collection::vec(inner, 0..3).prop_map(Value::Array)
    })
}

fn request() -> impl Strategy<Value = Request> {
    (
        any::<Index>(),
        prop::collection::vec((key(), value()), 0..6),
        prop::option::of(sort_value()),
        prop::option::of(prop::collection::vec(json_value(), 0..5)),
    )
        .prop_map(|(model, params, sort, cursor_values)| Request {
            model,
            params,
            sort,
            cursor_values,
        })
}

/// The names a field filter can use on `model`: `id`, `created`, `last_updated` and
/// the fields.
fn filter_names(model: &Model) -> Vec<String> {
    let mut names: Vec<String> = vec!["id".into(), "created".into(), "last_updated".into()];
    names.extend(model.schema.fields.iter().map(|f| f.name.clone()));
    names
}

/// The names a client may filter and sort on: [`filter_names`] but write-only fields
/// (a password hash) and links (a user's groups), which are a 400.
fn readable_names(model: &Model) -> Vec<String> {
    filter_names(model)
        .into_iter()
        .filter(|n| !model.is_write_only(n) && model.link(n).is_none())
        .collect()
}

/// The request's parameters as the API would pass them.
fn params_of(model: &Model, request: &Request) -> Vec<(String, String)> {
    let names = filter_names(model);
    let mut out: Vec<(String, String)> = request
        .params
        .iter()
        .map(|(key, value)| {
            let key = match key {
                Key::Reserved(k) => k.to_string(),
                Key::Field(i, "") => i.get(&names).clone(),
                Key::Field(i, lookup) => format!("{}__{lookup}", i.get(&names)),
                Key::Raw(k) => k.clone(),
            };
            (key, value.clone())
        })
        .collect();
    if let Some(sort) = &request.sort {
        let text: Vec<String> = sort
            .iter()
            .map(|(i, desc)| format!("{}{}", if *desc { "-" } else { "" }, i.get(&names)))
            .collect();
        out.push(("sort".into(), text.join(",")));
    }
    out
}

/// Whether `err` is what a client should get for a bad request: a 400.
fn is_bad_request(err: &Error) -> bool {
    err.status() == StatusCode::BAD_REQUEST
}

/// Runs `request` against `env` the way the API's list does; a failed property's
/// message, if any.
fn check_request(env: &Env, request: &Request) -> Result<(), TestCaseError> {
    let models = env.models();
    let model = request.model.get(&models);
    let registry = &env.catalog.registry;
    let params = params_of(model, request);
    let mut query = match ListQuery::parse(model, &params) {
        Ok(q) => q,
        Err(err) => {
            prop_assert!(
                is_bad_request(&err),
                "parse of {params:?} failed with {err:?}"
            );
            return Ok(());
        }
    };
    prop_assert!(
        (1..=MAX_LIMIT).contains(&query.limit),
        "limit {}",
        query.limit
    );
    if let Some(values) = &request.cursor_values {
        let terms = ordering::terms(&model.schema, &query.sort);
        query.cursor = Some(seek::encode(
            &terms,
            &Value::Array(values.clone()).to_string(),
        ));
    }
    let backend = env.backend();
    match query::plan(registry, model, &query, backend) {
        Ok(plan) => {
            let select = nautobot_objects::select_row(model, backend);
            let sql = query::page_sql(model, &plan, query.limit, backend, &select, None);
            let (text, _) = sql.render(backend);
            prop_assert!(
                !text.contains(MARKER),
                "request text reached the SQL of {params:?}: {text}"
            );
        }
        Err(err) => {
            prop_assert!(
                is_bad_request(&err),
                "plan of {params:?} failed with {err:?}"
            );
            return Ok(());
        }
    }
    let mut conn = env
        .db
        .conn()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    for (how, answer) in [
        (
            "fastjson",
            fastjson::list(&mut conn, registry, model, &query, "http://testserver").map(|_| ()),
        ),
        (
            "list_page",
            query::list_page(&mut conn, registry, model, &query).map(|_| ()),
        ),
    ] {
        if let Err(err) = answer {
            prop_assert!(
                is_bad_request(&err),
                "{} {how} of {params:?} (cursor {:?}) failed with {err:?}",
                model.label(),
                query.cursor
            );
        }
    }
    Ok(())
}

fn arbitrary_requests_are_a_page_or_a_400(env: &Env) {
    let mut runner = TestRunner::new(config());
    if let Err(failure) = runner.run(&request(), |request| check_request(env, &request)) {
        panic!("{:?}: {failure}", env.backend());
    }
}

#[test]
fn arbitrary_requests_are_a_page_or_a_400_on_sqlite() {
    arbitrary_requests_are_a_page_or_a_400(&Env::sqlite());
}

#[test]
fn arbitrary_requests_are_a_page_or_a_400_on_postgresql() {
    if let Some(env) = Env::postgres("arbitrary_requests_are_a_page_or_a_400_on_postgresql") {
        arbitrary_requests_are_a_page_or_a_400(&env);
    }
}

/// A value a client may send for `lookup` on `field` (`None`: `id`, `created`,
/// `last_updated`), and the lookups it may use there.
fn valid_filter(
    field: Option<&FieldSchema>,
    name: &str,
) -> (Vec<&'static str>, BoxedStrategy<String>) {
    const STRING: &[&str] = &[
        "exact", "n", "ic", "nic", "isw", "nisw", "iew", "niew", "ie", "nie",
    ];
    const ORDERED: &[&str] = &["exact", "n", "gt", "gte", "lt", "lte"];
    let text = "[^\\x00]{0,20}".boxed();
    let date = (1u32..9999, 1u32..13, 1u32..29)
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
        .boxed();
    let datetime = (date.clone(), 0u32..24, 0u32..60, 0u32..60)
        .prop_map(|(d, h, m, s)| format!("{d}T{h:02}:{m:02}:{s:02}Z"))
        .boxed();
    let uuid = any::<u128>()
        .prop_map(|n| uuid::Uuid::from_u128(n).to_string())
        .boxed();
    let Some(field) = field else {
        return if name == "id" {
            (vec!["exact", "n"], uuid)
        } else {
            (ORDERED.to_vec(), prop_oneof![date, datetime].boxed())
        };
    };
    match &field.kind {
        FieldKind::Char { .. } | FieldKind::Text | FieldKind::Slug { .. } => {
            (STRING.to_vec(), text)
        }
        FieldKind::Integer { .. } | FieldKind::PositiveInteger => (
            ORDERED.to_vec(),
            any::<i64>().prop_map(|n| n.to_string()).boxed(),
        ),
        FieldKind::Float => (
            ORDERED.to_vec(),
            (-1e12f64..1e12).prop_map(|n| n.to_string()).boxed(),
        ),
        FieldKind::Decimal {
            max_digits,
            decimal_places,
        } => {
            let whole = max_digits.saturating_sub(*decimal_places).max(1) as usize;
            let places = (*decimal_places).max(1) as usize;
            (
                ORDERED.to_vec(),
                proptest::string::string_regex(&format!(
                    "-?[0-9]{{1,{whole}}}(\\.[0-9]{{1,{places}}})?"
                ))
                .expect("a valid pattern")
                .boxed(),
            )
        }
        FieldKind::Boolean => (
            vec!["exact", "n"],
            prop::sample::select(vec!["true", "false", "1", "0", "yes", "no"])
                .prop_map(str::to_string)
                .boxed(),
        ),
        FieldKind::Date => (ORDERED.to_vec(), date),
        FieldKind::DateTime => (ORDERED.to_vec(), datetime),
        FieldKind::IpAddress | FieldKind::IpNetwork => (
            STRING.to_vec(),
            (any::<[u8; 4]>(), 0u8..=32)
                .prop_map(|(a, len)| format!("{}.{}.{}.{}/{len}", a[0], a[1], a[2], a[3]))
                .boxed(),
        ),
        FieldKind::MacAddress => (
            STRING.to_vec(),
            any::<[u8; 6]>()
                .prop_map(|m| {
                    m.iter()
                        .map(|b| format!("{b:02X}"))
                        .collect::<Vec<_>>()
                        .join(":")
                })
                .boxed(),
        ),
        FieldKind::Choice { choices } => {
            let values: Vec<String> = choices.iter().map(|c| c.value.clone()).collect();
            (STRING.to_vec(), prop::sample::select(values).boxed())
        }
        // By name too when the model referred to has a display field; not all have.
        FieldKind::ForeignKey { .. } => (
            vec!["exact", "n"],
            prop_oneof![uuid, Just("null".to_string())].boxed(),
        ),
        FieldKind::ManyToMany { .. } => (vec!["exact", "n"], uuid),
        FieldKind::Tags | FieldKind::Json => (vec!["exact", "n"], text),
    }
}

/// Filters a client may send on `model`: `(field, lookup, value)`, `isnull` on the
/// nullable fields included.
fn valid_filters(model: &Model) -> BoxedStrategy<Vec<(String, String, String)>> {
    let mut options: Vec<BoxedStrategy<(String, String, String)>> = Vec::new();
    for name in readable_names(model) {
        let field = model.field(&name);
        let (lookups, values) = valid_filter(field, &name);
        let n = name.clone();
        options.push(
            (prop::sample::select(lookups), values)
                .prop_map(move |(l, v)| (n.clone(), l.to_string(), v))
                .boxed(),
        );
        if field.is_some_and(|f| f.null) {
            let n = name.clone();
            options.push(
                prop::sample::select(vec!["true", "false"])
                    .prop_map(move |v| (n.clone(), "isnull".to_string(), v.to_string()))
                    .boxed(),
            );
        }
    }
    prop::collection::vec(prop::strategy::Union::new(options), 0..5).boxed()
}

/// Valid filters, a sort of sortable fields, and `limit`/`offset` in range are accepted
/// and kept as sent, and the query runs.
fn valid_requests_are_accepted_and_kept(env: &Env) {
    let mut runner = TestRunner::new(config());
    let models = env.models();
    let strategy = any::<Index>().prop_flat_map(move |i| {
        let model = i.get(&models).clone();
        let sortable: Vec<String> = readable_names(&model)
            .into_iter()
            .filter(|n| {
                model
                    .field(n)
                    .is_none_or(|f| !matches!(f.kind, FieldKind::Tags | FieldKind::Json))
            })
            .collect();
        (
            Just(model.clone()),
            valid_filters(&model),
            prop::collection::vec((prop::sample::select(sortable), any::<bool>()), 0..3),
            1..=MAX_LIMIT,
            0..=i64::MAX as u64,
        )
    });
    let result = runner.run(&strategy, |(model, filters, sort, limit, offset)| {
        let mut params: Vec<(String, String)> = filters
            .iter()
            .map(|(f, l, v)| {
                let key = if l == "exact" {
                    f.clone()
                } else {
                    format!("{f}__{l}")
                };
                (key, v.clone())
            })
            .collect();
        let sort: Vec<String> = sort
            .iter()
            .map(|(f, desc)| format!("{}{f}", if *desc { "-" } else { "" }))
            .collect();
        if !sort.is_empty() {
            params.push(("sort".into(), sort.join(",")));
        }
        params.push(("limit".into(), limit.to_string()));
        params.push(("offset".into(), offset.to_string()));
        let query = ListQuery::parse(&model, &params)
            .map_err(|e| TestCaseError::fail(format!("{params:?} refused: {e:?}")))?;
        prop_assert_eq!(&query.sort, &sort);
        prop_assert_eq!(query.limit, limit);
        prop_assert_eq!(query.offset, offset);
        // Values of one field and lookup are grouped, in the order sent.
        let mut expected: Vec<(String, String, Vec<String>)> = Vec::new();
        for (f, l, v) in filters {
            match expected.iter_mut().find(|(ef, el, _)| *ef == f && *el == l) {
                Some((_, _, values)) => values.push(v),
                None => expected.push((f, l, vec![v])),
            }
        }
        prop_assert_eq!(&query.filters, &expected);
        let registry = &env.catalog.registry;
        let mut conn = env
            .db
            .conn()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(err) = query::list_page(&mut conn, registry, &model, &query) {
            return Err(TestCaseError::fail(format!(
                "{} {params:?} failed: {err:?}",
                model.label()
            )));
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{:?}: {failure}", env.backend());
    }
}

#[test]
fn valid_requests_are_accepted_and_kept_on_sqlite() {
    valid_requests_are_accepted_and_kept(&Env::sqlite());
}

#[test]
fn valid_requests_are_accepted_and_kept_on_postgresql() {
    if let Some(env) = Env::postgres("valid_requests_are_accepted_and_kept_on_postgresql") {
        valid_requests_are_accepted_and_kept(&env);
    }
}
