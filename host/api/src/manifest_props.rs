//! Property tests of reading a plugin's manifest (they live with the REST API, the
//! lowest layer that can build the API document of what the checks accept): whatever JSON a library returns —
//! names, base URLs, versions, views, templates, static files, menus, home page panels,
//! dependencies, models, fields and migrations, of the right types or not — loading
//! either accepts it or refuses it with one line naming the plugin, never a panic; what
//! the checks accept builds a catalog, tables and an API document; and well-formed
//! manifests are accepted as they were written.
//!
//! Cases per property: [`CASES`], [`BUILT_CASES`] for well-formed manifests
//! (`PROPTEST_CASES` overrides both).

use std::path::Path;

use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use serde_json::{json, Map, Value};

use nautobot_plugin_abi::{FieldSchema, ModelSchema, PluginManifest};

use nautobot_db::Backend;
use nautobot_plugins::{check_manifest, merge_settings, parse_manifest, LoadError};
use nautobot_schema::{catalog::Catalog, ddl};

/// Cases per property unless `PROPTEST_CASES` says.
const CASES: u32 = 256;
/// Cases of the property that builds a catalog and an API document for each (slower).
const BUILT_CASES: u32 = 48;

const FILE: &str = "/plugins/libfuzzing.so";

fn config() -> Config {
    config_with(CASES)
}

fn config_with(cases: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Field names models draw from, so that orderings and constraints meet them.
const FIELD_NAMES: &[&str] = &[
    "name", "count", "when", "data", "parent", "kind", "tags", "id",
];
/// Model names plugins draw from, so that foreign keys and migrations meet them.
const MODEL_NAMES: &[&str] = &["widget", "gadget", "part"];

fn text() -> BoxedStrategy<String> {
    prop_oneof![any::<String>(), "[a-z0-9_./{}-]{0,10}"].boxed()
}

/// `good` mostly, a string sometimes (of the wrong type where an object is expected:
/// parsing refuses those, so they stay rare for later checks to be reached).
fn mostly(good: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![30 => good, 1 => text().prop_map(Value::from)].boxed()
}

fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,6}", inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

fn list(item: BoxedStrategy<Value>, max: usize) -> BoxedStrategy<Value> {
    prop::collection::vec(item, 0..max)
        .prop_map(Value::Array)
        .boxed()
}

fn one_of_str(values: &[&'static str]) -> BoxedStrategy<Value> {
    prop::sample::select(values.to_vec())
        .prop_map(Value::from)
        .boxed()
}

fn version() -> BoxedStrategy<Value> {
    prop_oneof![
        9 => "[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}(-[a-z0-9]{1,4})?",
        1 => text(),
    ]
    .prop_map(Value::from)
    .boxed()
}

/// A bound on the host's version: mostly none or one it meets.
fn bound() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => Just(Value::Null),
        3 => one_of_str(&["0.1.0", "1.0.0", "99.0.0"]),
        1 => version(),
    ]
    .boxed()
}

fn field_kind(plugin: &str) -> BoxedStrategy<Value> {
    let own: Vec<String> = MODEL_NAMES
        .iter()
        .map(|m| format!("{plugin}.{m}"))
        .collect();
    let to = prop_oneof![
        prop::sample::select(vec![
            "dcim.location".to_string(),
            "extras.status".to_string(),
            "extras.tag".to_string(),
            "users.user".to_string(),
            "other.thing".to_string(),
        ]),
        prop::sample::select(own),
        any::<String>(),
    ];
    prop_oneof![
        (0u32..300).prop_map(|n| json!({"type": "char", "max_length": n})),
        any::<u32>().prop_map(|n| json!({"type": "slug", "max_length": n})),
        Just(json!({"type": "text"})),
        (any::<Option<i64>>(), any::<Option<i64>>())
            .prop_map(|(min, max)| json!({"type": "integer", "min": min, "max": max})),
        Just(json!({"type": "positive_integer"})),
        Just(json!({"type": "float"})),
        (0u32..40, 0u32..40).prop_map(
            |(d, p)| json!({"type": "decimal", "max_digits": d, "decimal_places": p})
        ),
        Just(json!({"type": "boolean"})),
        Just(json!({"type": "date"})),
        Just(json!({"type": "date_time"})),
        Just(json!({"type": "json"})),
        Just(json!({"type": "ip_address"})),
        Just(json!({"type": "ip_network"})),
        Just(json!({"type": "mac_address"})),
        prop::collection::vec(("[a-z]{0,4}", any::<String>()), 0..3).prop_map(|cs| {
            let choices: Vec<Value> = cs
                .into_iter()
                .map(|(v, l)| json!({"value": v, "label": l}))
                .collect();
            json!({"type": "choice", "choices": choices})
        }),
        (to, prop_oneof![20 => one_of_str(&["cascade", "protect", "set_null"]), 1 => one_of_str(&["restrict"])]).prop_map(
            |(to, on_delete)| json!({"type": "foreign_key", "to": to, "on_delete": on_delete})
        ),
        Just(json!({"type": "tags"})),
    ]
    .boxed()
}

fn any_field_kind(plugin: &str) -> BoxedStrategy<Value> {
    prop_oneof![
        40 => field_kind(plugin),
        1 => text().prop_map(|t| json!({"type": t})),
    ]
    .boxed()
}

fn field(plugin: &str) -> BoxedStrategy<Value> {
    (
        prop_oneof![4 => one_of_str(FIELD_NAMES), 1 => text().prop_map(Value::from).boxed()],
        any_field_kind(plugin),
        any::<(bool, bool, bool)>(),
        prop_oneof![3 => Just(None), 1 => any_json().prop_map(Some)],
    )
        .prop_map(|(name, kind, (nullable, blank, unique), default)| {
            let mut f = kind;
            f["name"] = name;
            f["null"] = json!(nullable);
            f["blank"] = json!(blank);
            f["unique"] = json!(unique);
            if let Some(default) = default {
                f["default"] = default;
            }
            f
        })
        .boxed()
}

fn field_ref() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => (any::<bool>(), prop::sample::select(FIELD_NAMES.to_vec()))
            .prop_map(|(desc, f)| Value::from(format!("{}{f}", if desc { "-" } else { "" }))),
        1 => text().prop_map(Value::from),
    ]
    .boxed()
}

fn model(plugin: &str) -> BoxedStrategy<Value> {
    let app = prop_oneof![9 => Just(plugin.to_string()), 1 => any::<String>()];
    (
        app,
        prop_oneof![4 => one_of_str(MODEL_NAMES), 1 => text().prop_map(Value::from).boxed()],
        (text(), text(), prop_oneof![Just(String::new()), text()]),
        list(field(plugin), 5),
        list(list(field_ref(), 3), 2),
        (
            prop::option::of(field_ref()),
            list(field_ref(), 3),
            list(field_ref(), 3),
            list(field_ref(), 3),
        ),
    )
        .prop_map(
            |(
                app,
                name,
                (verbose, plural, segment),
                fields,
                together,
                (display, natural, ordering, search),
            )| {
                json!({
                    "app_label": app, "name": name, "verbose_name": verbose,
                    "verbose_name_plural": plural, "url_segment": segment,
                    "fields": fields, "unique_together": together, "display_field": display,
                    "natural_key": natural, "ordering": ordering, "search_fields": search,
                })
            },
        )
        .boxed()
}

fn operation(plugin: &str) -> BoxedStrategy<Value> {
    let model_name = || one_of_str(MODEL_NAMES);
    let field_name = || one_of_str(FIELD_NAMES);
    prop_oneof![
        model(plugin).prop_map(|m| json!({"op": "create_model", "model": m})),
        (model_name(), field(plugin))
            .prop_map(|(m, f)| json!({"op": "add_field", "model": m, "field": f})),
        (model_name(), field(plugin))
            .prop_map(|(m, f)| json!({"op": "alter_field", "model": m, "field": f})),
        (model_name(), field_name())
            .prop_map(|(m, f)| json!({"op": "remove_field", "model": m, "field": f})),
        (model_name(), field_name(), field_name()).prop_map(
            |(m, a, b)| json!({"op": "rename_field", "model": m, "old_name": a, "new_name": b})
        ),
        model_name().prop_map(|m| json!({"op": "delete_model", "model": m})),
        (model_name(), list(field_name(), 3), text())
            .prop_map(|(m, f, n)| json!({"op": "add_index", "model": m, "fields": f, "name": n})),
        (model_name(), list(any_json(), 3))
            .prop_map(|(m, r)| json!({"op": "run_data", "model": m, "rows": r})),
        model(plugin).prop_map(|m| json!({"op": "alter_model_options", "model": m})),
        text().prop_map(|op| json!({"op": op})),
    ]
    .boxed()
}

/// The models, and migrations: mostly one creating exactly them, sometimes any.
fn models_and_migrations(plugin: &str) -> BoxedStrategy<(Value, Value)> {
    let app = plugin.to_string();
    let random_migration = (
        prop_oneof![9 => Just(plugin.to_string()), 1 => any::<String>()],
        "000[1-3]_[a-z]{1,5}",
        list(
            prop_oneof![
                Just(json!(["dcim", "0001_initial"])),
                (one_of_str(&["dcim", "extras", "ipam", "other"]), text().prop_map(Value::from))
                    .prop_map(|(a, n)| json!([a, n])),
            ]
            .boxed(),
            2,
        ),
        list(operation(plugin), 4),
    )
        .prop_map(|(app, name, deps, ops)| {
            json!({"app_label": app, "name": name, "dependencies": deps, "operations": ops})
        })
        .boxed();
    (
        prop::collection::vec(model(plugin), 0..3),
        prop_oneof![
            3 => Just(None),
            1 => prop::collection::vec(random_migration, 0..3).prop_map(Some),
        ],
    )
        .prop_map(move |(models, random)| {
            let migrations = random.unwrap_or_else(|| {
                if models.is_empty() {
                    return Vec::new();
                }
                let ops: Vec<Value> = models
                    .iter()
                    .map(|m| json!({"op": "create_model", "model": m}))
                    .collect();
                vec![json!({"app_label": app, "name": "0001_initial",
                            "dependencies": [["dcim", "0001_initial"]], "operations": ops})]
            });
            (Value::Array(models), Value::Array(migrations))
        })
        .boxed()
}

fn view() -> BoxedStrategy<Value> {
    (
        prop_oneof![one_of_str(&["home", "list", "detail", "echo", ""]), text().prop_map(Value::from).boxed()],
        prop_oneof![
            Just(String::new()),
            "(([a-z0-9_.-]{1,6}|\\{[a-z]{1,4}\\})/){1,3}",
            "/[a-z]{1,4}/",
            "\\.\\./[a-z]{1,4}/",
            any::<String>(),
        ],
        list(
            one_of_str(&["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", "BREW"]),
            3,
        ),
        list(prop_oneof!["[a-z]{1,5}\\.(view|add|change|delete)_[a-z]{1,8}", text()].prop_map(Value::from).boxed(), 2),
    )
        .prop_map(|(name, path, methods, permissions)| {
            json!({"name": name, "path": path, "methods": methods, "permissions": permissions})
        })
        .boxed()
}

fn link() -> BoxedStrategy<Value> {
    prop_oneof![
        one_of_str(&[
            "home",
            "list",
            "widget_list",
            "widget_add",
            "gadget_list",
            ""
        ]),
        text().prop_map(Value::from).boxed(),
    ]
    .boxed()
}

fn menu() -> BoxedStrategy<Value> {
    let button = (link(), text()).prop_map(|(l, t)| json!({"link": l, "title": t}));
    let item = (link(), text(), list(button.boxed(), 2))
        .prop_map(|(l, n, b)| json!({"link": l, "name": n, "buttons": b}));
    let group = (text(), list(item.boxed(), 3)).prop_map(|(n, i)| json!({"name": n, "items": i}));
    (text(), list(group.boxed(), 2))
        .prop_map(|(n, g)| json!({"name": n, "groups": g}))
        .boxed()
}

fn namespaced(plugin: &str, suffix: &'static str) -> BoxedStrategy<Value> {
    prop_oneof![
        3 => Just(format!("{plugin}/{suffix}")),
        1 => Just(format!("{plugin}/../{suffix}")),
        1 => any::<String>(),
    ]
    .prop_map(Value::from)
    .boxed()
}

/// A manifest of plugin `plugin`, as JSON: every part mostly well-formed, sometimes
/// not, sometimes of another type.
fn manifest(plugin: String) -> BoxedStrategy<Value> {
    let p = plugin.as_str();
    let template = (
        namespaced(p, "page.html"),
        prop_oneof![
            Just("{% extends \"base.html\" %}{% block content %}{{ x }}{% endblock %}".to_string()),
            Just("{{ x | upper }}".to_string()),
            Just("{% if %}".to_string()),
            any::<String>(),
        ],
    )
        .prop_map(|(name, source)| json!({"name": name, "source": source}));
    let static_file = (
        namespaced(p, "style.css"),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..16).prop_map(|b| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(b)
            }),
            any::<String>(),
        ],
    )
        .prop_map(|(path, content)| json!({"path": path, "content_base64": content}));
    let extension = (
        text(),
        one_of_str(&["dcim.location", "dcim.device", "nowhere.model"]),
        list(one_of_str(&["left_page", "right_page", "buttons", "detail_tabs", "nowhere"]), 3),
        list(namespaced(p, "style.css"), 2),
    )
        .prop_map(|(name, model, slots, sheets)| {
            json!({"name": name, "model": model, "slots": slots, "stylesheets": sheets})
        });
    let banner = (
        one_of_str(&["notice", "", "notice"]),
        list(
            prop_oneof!["/[a-z/]{0,8}", any::<String>()]
                .prop_map(Value::from)
                .boxed(),
            2,
        ),
    )
        .prop_map(|(name, paths)| json!({"name": name, "paths": paths}));
    let dependency = (
        prop_oneof![
            one_of_str(&["example_plugin", "other_plugin"]),
            text().prop_map(Value::from).boxed()
        ],
        one_of_str(&["", "*", ">=1.0, <2", "^1.2", "not a requirement"]),
    )
        .prop_map(|(name, version)| json!({"name": name, "version": version}));
    let home_item = (
        link(),
        text(),
        prop_oneof![
            Just(Value::Null),
            one_of_str(&["widget", "dcim.device"]),
            Just(Value::from(format!("{p}.widget"))),
            Just(Value::from(format!("{p}.gadget"))),
        ],
        list(
            prop_oneof![
                Just(Value::from(format!("{p}.view_widget"))),
                Just(Value::from("not a permission")),
            ]
            .boxed(),
            2,
        ),
    )
        .prop_map(|(l, n, model, perms)| {
            json!({"link": l, "name": n, "model": model, "permissions": perms})
        });
    let home_panel = (
        one_of_str(&["Organization", "Widgets", ""]),
        list(mostly(home_item.boxed()), 3),
    )
        .prop_map(|(n, items)| json!({"name": n, "items": items}));
    let middleware = ("[a-z]{0,4}", any::<bool>(), any::<bool>())
        .prop_map(|(n, req, res)| json!({"name": n, "request": req, "response": res}));
    let settings = (
        list(one_of_str(&["token", "url", "level"]), 3),
        prop::collection::vec(("[a-z]{1,6}", any_json()), 0..3)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
    );
    let views = (list(mostly(view()), 4), list(mostly(view()), 4));
    let parts = (
        (version(), bound(), bound()),
        mostly(
            prop_oneof![
                4 => "[a-z0-9-]{1,12}".prop_map(Value::from),
                1 => Just(Value::from("installed-plugins")),
                1 => text().prop_map(Value::from),
            ]
            .boxed(),
        ),
        views,
        (
            list(mostly(template.boxed()), 3),
            list(mostly(static_file.boxed()), 3),
            list(mostly(menu()), 2),
        ),
        (
            list(extension.boxed(), 2),
            list(banner.boxed(), 2),
            list(middleware.boxed(), 3),
            list(dependency.boxed(), 3),
            list(mostly(home_panel.boxed()), 2),
        ),
        settings,
        (
            prop::option::of(link()),
            prop::option::of(link()),
            prop::option::of(link()),
        ),
        models_and_migrations(p),
        // A part replaced by anything at all (a wrong type).
        prop_oneof![10 => Just(None), 1 => (
            one_of_str(&["views", "models", "migrations", "base_url", "version", "dependencies", "static_files", "menu_items", "homepage_layout", "default_settings"]),
            any_json(),
        ).prop_map(Some)],
    );
    parts
        .prop_map(
            move |(
                (version, min, max),
                base_url,
                (views, api_views),
                (templates, static_files, menu_items),
                (extensions, banners, middleware, dependencies, homepage_layout),
                (required, defaults),
                (home, config_view, docs),
                (models, migrations),
                wrong,
            )| {
                let mut m = json!({
                    "name": plugin, "version": version, "base_url": base_url,
                    "min_version": min, "max_version": max,
                    "views": views, "api_views": api_views, "templates": templates,
                    "static_files": static_files, "menu_items": menu_items,
                    "template_extensions": extensions, "banners": banners,
                    "middleware": middleware, "dependencies": dependencies,
                    "required_settings": required, "default_settings": defaults,
                    "home_view_name": home, "config_view_name": config_view, "docs_view_name": docs,
                    "homepage_layout": homepage_layout,
                    "models": models, "migrations": migrations,
                });
                if let (Some((key, value)), Some(o)) = (wrong, m.as_object_mut()) {
                    if let Some(key) = key.as_str() {
                        o.insert(key.to_string(), value);
                    }
                }
                m
            },
        )
        .boxed()
}

fn plugin_name() -> BoxedStrategy<String> {
    prop_oneof![
        6 => "[a-z][a-z0-9_]{0,12}",
        1 => prop::sample::select(nautobot_base::names::RESERVED_NAMES.to_vec()).prop_map(str::to_string),
        1 => any::<String>(),
    ]
    .boxed()
}

/// A refusal must be one line that names the plugin as listed.
fn check_refusal(listed: &str, stage: &str, err: &LoadError) -> Result<(), TestCaseError> {
    let line = err.to_string();
    prop_assert!(
        line.starts_with(&format!("Plugin '{listed}'")) && !line.contains('\n'),
        "{stage} refused with an unclear message: {line:?}"
    );
    Ok(())
}

/// How loading a manifest ended.
#[derive(Debug, PartialEq)]
enum Loaded {
    /// Refused, by the check named.
    Refused(&'static str),
    /// Accepted; the catalog built from it, or why not.
    Accepted(Result<(), String>),
}

/// Loads `json` as plugin `listed`'s manifest through every check start-up runs; when
/// it is accepted, builds what start-up builds from it.
fn load(listed: &str, json: &str) -> Result<Loaded, TestCaseError> {
    let file = Path::new(FILE);
    let host = nautobot_base::version::host_version();
    let manifest = match parse_manifest(listed, file, json) {
        Ok(m) => m,
        Err(err) => return check_refusal(listed, "parse", &err).map(|()| Loaded::Refused("parse")),
    };
    if let Err(err) = check_manifest(listed, file, &manifest, &host) {
        return check_refusal(listed, "check_manifest", &err)
            .map(|()| Loaded::Refused("check_manifest"));
    }
    let core = nautobot_schema::catalog::core_labels()
        .map_err(|e| TestCaseError::fail(format!("core labels: {e}")))?;
    if let Err(err) = nautobot_schema::checks::check_plugin_alone(&manifest, file, &core) {
        return check_refusal(listed, "the model checks", &err)
            .map(|()| Loaded::Refused("the model checks"));
    }
    let operator: Map<String, Value> = manifest
        .required_settings
        .iter()
        .map(|k| (k.clone(), json!("set")))
        .collect();
    let merged = merge_settings(listed, file, &manifest, operator, Path::new("/config.toml"))
        .map_err(|e| TestCaseError::fail(format!("required settings given, yet {e}")))?;
    for (key, value) in &manifest.default_settings {
        if !manifest.required_settings.contains(key) {
            prop_assert_eq!(merged.get(key), Some(value));
        }
    }
    // Accepted: what start-up builds from it must build, or fail with an error.
    let catalog = match Catalog::build(&[&manifest]) {
        Ok(c) => c,
        Err(err) => {
            let message = err.to_string();
            prop_assert!(!message.is_empty());
            return Ok(Loaded::Accepted(Err(message)));
        }
    };
    for model in &manifest.models {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            ddl::create_table(model, backend);
            ddl::index_statements(model, backend);
        }
    }
    let doc = crate::openapi::document(&catalog.registry, &[&manifest], "http://testserver");
    prop_assert!(doc["paths"].is_object());
    Ok(Loaded::Accepted(Ok(())))
}

#[test]
fn arbitrary_text_is_parsed_or_refused() {
    let mut runner = TestRunner::new(config());
    let strategy = prop_oneof![any::<String>(), any_json().prop_map(|v| v.to_string()),];
    if let Err(failure) = runner.run(&strategy, |json| load("fuzzing", &json).map(|_| ())) {
        panic!("{failure}");
    }
}

#[test]
fn arbitrary_manifests_are_accepted_or_refused_in_one_line() {
    let mut runner = TestRunner::new(config());
    let strategy = plugin_name().prop_flat_map(|name| {
        (
            prop_oneof![9 => Just(name.clone()), 1 => plugin_name()],
            manifest(name),
        )
    });
    let result = runner.run(&strategy, |(listed, manifest)| {
        load(&listed, &manifest.to_string()).map(|_| ())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// A field of `kind` as a plugin may declare it.
fn valid_field(name: &'static str) -> BoxedStrategy<FieldSchema> {
    use nautobot_plugin_abi::{Choice, FieldKind, OnDelete};
    let kind = prop_oneof![
        (1u32..300).prop_map(|n| (FieldKind::Char { max_length: n }, false)),
        Just((FieldKind::Text, false)),
        (1u32..100).prop_map(|n| (FieldKind::Slug { max_length: n }, false)),
        (any::<Option<i32>>(), any::<Option<u16>>()).prop_map(|(min, span)| {
            let min = min.map(i64::from);
            let max = min.zip(span).map(|(m, s)| m + i64::from(s));
            (FieldKind::Integer { min, max }, false)
        }),
        Just((FieldKind::PositiveInteger, false)),
        Just((FieldKind::Float, false)),
        (1u32..20, 0u32..20).prop_map(|(d, p)| (
            FieldKind::Decimal {
                max_digits: d.max(p),
                decimal_places: p,
            },
            false
        )),
        Just((FieldKind::Boolean, false)),
        Just((FieldKind::Date, false)),
        Just((FieldKind::DateTime, false)),
        Just((FieldKind::Json, false)),
        Just((FieldKind::IpAddress, false)),
        Just((FieldKind::IpNetwork, false)),
        Just((FieldKind::MacAddress, false)),
        prop::collection::btree_set("[a-z]{1,4}", 1..4).prop_map(|values| (
            FieldKind::Choice {
                choices: values
                    .into_iter()
                    .map(|v| Choice {
                        label: v.to_uppercase(),
                        value: v,
                    })
                    .collect(),
            },
            false
        )),
        prop::sample::select(vec![
            ("dcim.location", OnDelete::Protect),
            ("dcim.location", OnDelete::Cascade),
            ("extras.status", OnDelete::Protect),
            ("dcim.device", OnDelete::SetNull),
        ])
        .prop_map(|(to, on_delete)| (
            FieldKind::ForeignKey {
                to: to.into(),
                on_delete,
            },
            on_delete == OnDelete::SetNull
        )),
        Just((FieldKind::Tags, false)),
    ];
    (kind, any::<bool>(), any::<bool>())
        .prop_map(move |((kind, must_null), null, blank)| {
            let mut f = FieldSchema::new(name, kind);
            f.null = null || must_null;
            f.blank = blank;
            f
        })
        .boxed()
}

fn valid_model(plugin: String, name: &'static str) -> BoxedStrategy<ModelSchema> {
    const NAMES: &[&str] = &[
        "name", "count", "when", "data", "parent", "kind", "note", "flag",
    ];
    prop::sample::subsequence(NAMES.to_vec(), 0..=NAMES.len())
        .prop_flat_map(|names| names.into_iter().map(valid_field).collect::<Vec<_>>())
        .prop_map(move |fields| {
            let mut model =
                ModelSchema::new(plugin.clone(), name).verbose_names(name, format!("{name} items"));
            for f in fields {
                model = model.field(f);
            }
            let texts: Vec<String> = model
                .fields
                .iter()
                .filter(|f| matches!(f.kind, nautobot_plugin_abi::FieldKind::Char { .. }))
                .map(|f| f.name.clone())
                .collect();
            model.ordering = texts.iter().take(1).cloned().collect();
            model.search_fields = texts;
            model
        })
        .boxed()
}

/// A manifest as a plugin author would write it: every part well-formed.
fn valid_manifest() -> BoxedStrategy<PluginManifest> {
    use nautobot_plugin_abi::{
        BannerDef, MiddlewareDef, NavMenuGroup, NavMenuItem, NavMenuTab, StaticFile, TemplateFile,
        ViewDef,
    };
    (
        "x_[a-z0-9_]{1,10}",
        "[a-z0-9][a-z0-9-]{0,10}",
        (0u32..50, 0u32..50, 0u32..50),
    )
        .prop_flat_map(|(name, base_url, version)| {
            let views = |prefix: &'static str| {
                (
                    prop::collection::btree_set("[a-z][a-z0-9_-]{0,6}", 0..4),
                    prop::sample::subsequence(
                        vec!["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                        1..=3,
                    ),
                    any::<bool>(),
                )
                    .prop_map(move |(segments, methods, with_param)| {
                        let mut views: Vec<ViewDef> = Vec::new();
                        for (i, segment) in segments.iter().enumerate() {
                            views.push(ViewDef {
                                name: format!("{prefix}{i}"),
                                path: format!("{segment}/"),
                                methods: methods.iter().map(|m| m.to_string()).collect(),
                                permissions: vec!["dcim.view_location".into()],
                            });
                            if with_param {
                                views.push(ViewDef {
                                    name: format!("{prefix}{i}_detail"),
                                    path: format!("{segment}/{{pk}}/"),
                                    ..ViewDef::default()
                                });
                            }
                        }
                        views
                    })
            };
            let models = prop::sample::subsequence(MODEL_NAMES.to_vec(), 0..=2).prop_flat_map({
                let name = name.clone();
                move |names| {
                    names
                        .into_iter()
                        .map(|m| valid_model(name.clone(), m))
                        .collect::<Vec<_>>()
                }
            });
            (
                Just((name, base_url, version)),
                views("view"),
                views("api"),
                models,
                prop::collection::btree_map("[a-z]{1,6}", any::<i64>(), 0..3),
                prop::collection::vec(any::<u8>(), 0..32),
                any::<bool>(),
            )
        })
        .prop_map(
            |(
                (name, base_url, (major, minor, patch)),
                views,
                api_views,
                models,
                settings,
                bytes,
                required,
            )| {
                use base64::Engine as _;
                let migrations = if models.is_empty() {
                    Vec::new()
                } else {
                    let mut m = nautobot_plugin_abi::Migration::new(name.clone(), "0001_initial")
                        .depends_on("dcim", "0001_initial");
                    for model in &models {
                        m = m.operation(nautobot_plugin_abi::Operation::CreateModel {
                            model: model.clone(),
                        });
                    }
                    vec![m]
                };
                let link = views
                    .iter()
                    .find(|v| !v.path.contains('{'))
                    .map(|v| v.name.clone())
                    .or_else(|| models.first().map(|m| format!("{}_list", m.name)));
                let menu_items = link
                    .iter()
                    .map(|link| NavMenuTab {
                        name: "Plugins".into(),
                        groups: vec![NavMenuGroup {
                            name: name.clone(),
                            items: vec![NavMenuItem {
                                link: link.clone(),
                                name: "Home".into(),
                                ..Default::default()
                            }],
                            ..Default::default()
                        }],
                        ..Default::default()
                    })
                    .collect();
                let homepage_layout = link
                    .iter()
                    .map(|link| {
                        let item = nautobot_plugin_abi::HomePageItem::new(link.clone(), "Home");
                        let item = match models.first() {
                            Some(model) => item.model(model.label()),
                            None => item,
                        };
                        nautobot_plugin_abi::HomePagePanel::new("Organization").item(item)
                    })
                    .collect();
                let default_settings: Map<String, Value> =
                    settings.into_iter().map(|(k, v)| (k, json!(v))).collect();
                PluginManifest {
                    version: format!("{major}.{minor}.{patch}"),
                    base_url,
                    min_version: Some("0.1.0".into()),
                    required_settings: if required {
                        default_settings.keys().take(1).cloned().collect()
                    } else {
                        Vec::new()
                    },
                    default_settings,
                    home_view_name: link,
                    views,
                    api_views,
                    templates: vec![TemplateFile {
                        name: format!("{name}/page.html"),
                        source:
                            "{% extends \"base.html\" %}{% block content %}{{ x }}{% endblock %}"
                                .into(),
                    }],
                    static_files: vec![StaticFile {
                        path: format!("{name}/style.css"),
                        content_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                    }],
                    middleware: vec![MiddlewareDef {
                        name: "audit".into(),
                        request: true,
                        response: false,
                    }],
                    banners: vec![BannerDef {
                        name: "notice".into(),
                        paths: vec!["/dcim/".into()],
                    }],
                    menu_items,
                    homepage_layout,
                    models,
                    migrations,
                    name,
                    ..Default::default()
                }
            },
        )
        .boxed()
}

#[test]
fn well_formed_manifests_are_accepted_as_written() {
    let mut runner = TestRunner::new(config_with(BUILT_CASES));
    let result = runner.run(&valid_manifest(), |manifest| {
        let json =
            serde_json::to_string(&manifest).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed = parse_manifest(&manifest.name, Path::new(FILE), &json)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&parsed, &manifest);
        prop_assert_eq!(load(&manifest.name, &json)?, Loaded::Accepted(Ok(())));
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
