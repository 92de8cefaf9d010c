//! Schema fuzzing: `schemathesis` generates requests for every operation of the OpenAPI
//! document at `/api/docs/?format=openapi` — valid and invalid bodies, query
//! parameters and filters, NUL characters included — and checks each answer: never a
//! 5xx, and status code, content type and body as the document describes them. It runs
//! against a server with the example plugins and the small sample network, on SQLite
//! and on PostgreSQL.
//!
//! Every operation but `DELETE` first, with the id of an existing object for the detail
//! paths — in [`SHARDS`] schemathesis processes side by side, each given a share of the
//! paths —, then the `DELETE`s, with the id of another, so that deleting does not starve
//! the rest of objects.
//!
//! `scripts/test` installs schemathesis into `target/pyvenv` (`NAUTOBOT_TEST_PYTHON`
//! names another interpreter). Without it the test is skipped with a printed reason —
//! except under `CI=true`, where it must run. `SCHEMA_FUZZ_EXAMPLES` sets the examples
//! per operation (default [`EXAMPLES`]), `SCHEMA_FUZZ_SEED` replays a run's seed (each
//! run prints its own), and `SCHEMA_FUZZ_ARGS` adds arguments to schemathesis's, split
//! on whitespace (e.g. `--include-path-regex /dcim/`).

use std::{collections::BTreeMap, process::Command, time::Duration};

use serde_json::{json, Value};
use support::{
    both_backends, data,
    python::{python_or_skip, run_tool, ToolRun},
    Backend, Client, Root, ADMIN_TOKEN, SHIPPED_PLUGINS,
};

both_backends!(
    every_operation_answers_as_the_document_says,
    json_filters_look_into_lists_only
);

/// Examples generated per operation and phase unless `SCHEMA_FUZZ_EXAMPLES` says.
const EXAMPLES: u32 = 6;

/// schemathesis processes fuzzing the operations other than DELETE side by side.
const SHARDS: usize = 2;

/// How long one schemathesis run may take before it is stopped (and the test fails).
/// Alone a run takes about a minute; beside the rest of the suite on two cores, in a
/// fresh clone's first run, a shard took over 420 s (2026-12-07), hence the margin.
const RUN_TIMEOUT: Duration = Duration::from_secs(720);

/// The checks of every answer.
const CHECKS: &str =
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_string())
}

/// Runs the job `class` of the example plugin through the API with `body`; its answer.
fn run_job(api: &Client, class: &str, body: Value) -> Value {
    let jobs = api.get(&format!("/api/extras/jobs/?job_class_name={class}"));
    assert_eq!(jobs.status, 200, "{}", jobs.body);
    let id = jobs.json()["results"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the job {class}: {}", jobs.body))
        .to_string();
    let res = api.send_json("POST", &format!("/api/extras/jobs/{id}/run/"), &body);
    assert_eq!(res.status, 201, "{}", res.body);
    res.json()
}

/// Lists whose objects the fuzzing may change or delete only among some: the user and
/// the token it authenticates with stay as they are.
const ONLY: &[(&str, &str)] = &[
    ("/api/users/users/", "username=fuzzing"),
    ("/api/users/tokens/", "description=fuzzing"),
];

/// For every detail path of the document (`…/{id}/`), the ids of the first two objects
/// of its list (one when there is only one; of those [`ONLY`] allows); paths whose list
/// is empty are left out.
fn ids_by_detail_path(api: &Client, doc: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let paths = doc["paths"].as_object().expect("the document's paths");
    for path in paths.keys() {
        let Some(list) = path.strip_suffix("{id}/") else {
            continue;
        };
        if !paths.contains_key(list) {
            continue;
        }
        let only = ONLY
            .iter()
            .find(|(path, _)| *path == list)
            .map(|(_, filter)| format!("&{filter}"))
            .unwrap_or_default();
        let res = api.get(&format!("{list}?limit=2{only}"));
        assert_eq!(res.status, 200, "GET {list}: {}", res.body);
        let ids: Vec<String> = res.json()["results"]
            .as_array()
            .map(|objects| {
                objects
                    .iter()
                    .filter_map(|o| o["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if !ids.is_empty() {
            out.insert(path.clone(), ids);
        }
    }
    out
}

/// A `schemathesis.toml` giving each detail path the id `pick` chooses.
fn config(ids: &BTreeMap<String, Vec<String>>, pick: impl Fn(&[String]) -> &str) -> String {
    let mut text = String::new();
    for (path, ids) in ids {
        // Paths and UUIDs need no escaping beyond what `{:?}` gives; TOML reads it.
        text.push_str(&format!(
            "[[operations]]\ninclude-path = {path:?}\nparameters = {{ \"path.id\" = {:?} }}\n\n",
            pick(ids)
        ));
    }
    text
}

/// One schemathesis run against `server_url`'s document with the config file `config`
/// and the operation filter `filter` (e.g. `--exclude-method DELETE`).
fn schemathesis(
    python: &std::path::Path,
    root: &Root,
    server_url: &str,
    name: &str,
    config: &str,
    filter: &[&str],
) -> ToolRun {
    let config_path = root.path().join(format!("{name}.toml"));
    std::fs::write(&config_path, config).expect("write the schemathesis configuration");
    let mut cmd = Command::new(python);
    cmd.args(["-m", "schemathesis.cli", "--no-color", "--config-file"])
        .arg(&config_path)
        .arg("run")
        .arg(format!("{server_url}/api/docs/?format=openapi"))
        .args(["--header", &format!("Authorization: Token {ADMIN_TOKEN}")])
        .args(["--checks", CHECKS])
        // Not `examples`: drawing them races inside Hypothesis with several workers
        // ("Inconsistent results" from its lambda cache), and the document has few.
        .args(["--phases", "fuzzing"])
        .args([
            "--max-examples",
            &env_or("SCHEMA_FUZZ_EXAMPLES", &EXAMPLES.to_string()),
        ])
        .args(["--generation-allow-x00", "true"])
        .args(["--generation-database", "none"])
        // One worker: Hypothesis parses lambdas' source with `ast` while it describes
        // strategies, and CPython 3.11's AST constructor is not thread-safe (a run with
        // two workers failed with "SystemError: AST constructor recursion depth
        // mismatch", cpython gh-106905). The two databases' runs go side by side anyway.
        .args(["--workers", "1"])
        .args(["--request-timeout", "60"])
        .args(["--suppress-health-check", "all"])
        .args(filter);
    if let Ok(seed) = std::env::var("SCHEMA_FUZZ_SEED") {
        cmd.args(["--seed", &seed]);
    }
    cmd.args(env_or("SCHEMA_FUZZ_ARGS", "").split_whitespace())
        .current_dir(root.path());
    run_tool(cmd, root.path(), name, RUN_TIMEOUT)
}

fn every_operation_answers_as_the_document_says(backend: Backend) {
    let test = "every_operation_answers_as_the_document_says";
    let Some(python) = python_or_skip(test, &["schemathesis"]) else {
        return;
    };
    let mut root = Root::new(backend);
    root.plugins(&SHIPPED_PLUGINS);
    root.set("JOBS_AUTO_ENABLE", "true");
    root.install();
    root.run(&["load-sample-data", "--scale", "small"])
        .success();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);

    // Jobs, results, log entries and a schedule, so that those paths have objects too.
    run_job(&api, "example_count_models", json!({}));
    root.run(&["worker", "--burst"]).success();
    run_job(
        &api,
        "example_count_models",
        json!({"schedule": {"name": "fuzzing", "interval": "future",
                            "start_time": "2099-01-01T00:00:00Z"}}),
    );
    run_job(&api, "example_count_models", json!({}));
    // Objects of the plugin models the sample network leaves empty; the rules disabled,
    // so that they refuse nothing.
    let rule = |kind: &str, extra: Value| {
        let mut body = json!({"name": format!("fuzzing {kind}"), "content_type": "dcim.location",
                              "field": "description", "enabled": false});
        if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
            body.extend(extra);
        }
        let res = api.send_json(
            "POST",
            &format!("/api/plugins/data-validation/{kind}/"),
            &body,
        );
        assert_eq!(res.status, 201, "{kind}: {}", res.body);
    };
    rule("regex-rules", json!({"regular_expression": ".*"}));
    rule(
        "min-max-rules",
        json!({"content_type": "extras.role", "field": "weight", "min": 0, "max": 1000}),
    );
    rule("required-rules", json!({}));
    rule("unique-rules", json!({"max_instances": 100}));
    // A selection custom field with a choice, on roles.
    let res = api.send_json(
        "POST",
        "/api/extras/custom-fields/",
        &json!({"label": "Fuzz tier", "type": "select", "content_types": ["extras.role"]}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let res = api.send_json(
        "POST",
        "/api/extras/custom-field-choices/",
        &json!({"custom_field": res.json()["id"], "value": "gold"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let res = api.send_json(
        "POST",
        "/api/extras/computed-fields/",
        &json!({"label": "Fuzz shout", "content_type": "extras.role", "template": "{{ obj.name | upper }}"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    // A config context schema and a context that uses it.
    let res = api.send_json(
        "POST",
        "/api/extras/config-context-schemas/",
        &json!({"name": "Fuzz schema", "data_schema": {"type": "object"}}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let res = api.send_json(
        "POST",
        "/api/extras/config-contexts/",
        &json!({"name": "Fuzz context", "config_context_schema": res.json()["id"], "data": {"a": 1}}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    // A relationship between locations and VLANs, and one association.
    let res = api.send_json(
        "POST",
        "/api/extras/relationships/",
        &json!({"label": "Fuzz VLANs", "source_type": "dcim.location", "destination_type": "ipam.vlan"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let first = |path: &str| -> Value {
        api.get(&format!("{path}?limit=1")).json()["results"][0]["id"].clone()
    };
    let res = api.send_json(
        "POST",
        "/api/extras/relationship-associations/",
        &json!({"relationship": res.json()["id"], "source_type": "dcim.location",
               "source_id": first("/api/dcim/locations/"), "destination_type": "ipam.vlan",
               "destination_id": first("/api/ipam/vlans/")}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    // Users, tokens, groups and permissions of their own (see ONLY).
    for (path, body) in [
        ("/api/users/users/", json!({"username": "fuzzing"})),
        ("/api/users/tokens/", json!({"description": "fuzzing"})),
        ("/api/users/groups/", json!({"name": "fuzzing"})),
        (
            "/api/users/permissions/",
            json!({"name": "fuzzing", "object_types": ["dcim.location"], "actions": ["view"]}),
        ),
    ] {
        let res = api.send_json("POST", path, &body);
        assert_eq!(res.status, 201, "{path}: {}", res.body);
    }
    // The sample network has a hardware notice per device type (one each at most).
    let notices = api.get("/api/plugins/device-lifecycle/hardware-notices/?limit=1");
    assert_eq!(
        notices.json()["count"].as_u64().map(|n| n > 0),
        Some(true),
        "{}",
        notices.body
    );

    let doc = api.get("/api/docs/?format=openapi");
    assert_eq!(doc.status, 200, "{}", doc.body);
    let doc = doc.json();
    let doc_paths = doc["paths"].as_object().expect("the document's paths");
    let ids = ids_by_detail_path(&api, &doc);
    let detail_paths: Vec<&String> = doc_paths.keys().filter(|p| p.ends_with("{id}/")).collect();
    let empty: Vec<&&String> = detail_paths
        .iter()
        .filter(|p| !ids.contains_key(p.as_str()))
        .collect();
    assert!(empty.is_empty(), "no object to fuzz at {empty:?}");
    assert!(detail_paths.len() > 25, "{detail_paths:?}");

    let url = server.base_url();
    // Every operation but DELETE, in SHARDS schemathesis processes side by side (each a
    // share of the paths, against the one server), then the DELETEs.
    let shards = if std::env::var_os("SCHEMA_FUZZ_ARGS").is_some() {
        // The caller's filters choose the paths: one run.
        vec![Vec::new()]
    } else {
        shard_filters(doc_paths.keys(), SHARDS)
    };
    let first = config(&ids, |ids| &ids[0]);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = shards
            .iter()
            .enumerate()
            .map(|(k, shard)| {
                let name = format!("schemathesis-{}", k + 1);
                let (python, root, url, first) = (&python, &root, &url, &first);
                scope.spawn(move || {
                    let mut filter = vec!["--exclude-method", "DELETE"];
                    filter.extend(shard.iter().map(String::as_str));
                    let run = schemathesis(python, root, url, &name, first, &filter);
                    (name, run)
                })
            })
            .collect();
        runs.into_iter()
            .map(|run| run.join().expect("a schemathesis run's thread"))
            .filter(|(_, run)| !run.success())
            .map(|(name, run)| report(&name, &run))
            .collect()
    });
    let deletes = if failures.is_empty() {
        let name = "schemathesis-delete";
        let config = config(&ids, |ids| &ids[ids.len() - 1]);
        let run = schemathesis(
            &python,
            &root,
            &url,
            name,
            &config,
            &["--include-method", "DELETE"],
        );
        (!run.success()).then(|| report(name, &run))
    } else {
        None
    };
    if failures.is_empty() && deletes.is_none() {
        return;
    }
    let log = server.log();
    let tail: Vec<&str> = log.lines().rev().take(100).collect();
    panic!(
        "({backend:?}) replay a failure with `st replay <id>` or the curl line shown\n{}\n\
         --- server log (last 100 lines):\n{}",
        failures
            .into_iter()
            .chain(deletes)
            .collect::<Vec<_>>()
            .join("\n"),
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
}

/// What a failed schemathesis run said.
fn report(name: &str, run: &ToolRun) -> String {
    format!(
        "{}\n--- {name} output:\n{}\n--- {name} stderr:\n{}",
        run.outcome(name, RUN_TIMEOUT),
        run.stdout,
        run.stderr
    )
}

/// `shards` filters that together select every path of `paths` once: each an
/// `--include-path-regex` matching every `shards`-th path exactly.
fn shard_filters<'a>(paths: impl Iterator<Item = &'a String>, shards: usize) -> Vec<Vec<String>> {
    let paths: Vec<&String> = paths.collect();
    (0..shards)
        .map(|k| {
            let alternatives: Vec<String> = paths
                .iter()
                .skip(k)
                .step_by(shards)
                .map(|p| regex_escape(p))
                .collect();
            vec![
                "--include-path-regex".to_string(),
                format!("^(?:{})$", alternatives.join("|")),
            ]
        })
        .collect()
}

/// `text` as a regular expression matching it literally.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.^$*+?()[]{}|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Found by fuzzing: filtering on a JSON field that holds an object (the change log's
/// `object_data`) was a 500 on PostgreSQL, which cannot take the elements of an object,
/// while SQLite looked into the object's values. A JSON filter matches lists that hold
/// the value, on both databases.
fn json_filters_look_into_lists_only(backend: Backend) {
    let mut root = Root::new(backend);
    root.install();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    data::location_type(&api, "Campus");
    let role = |name: &str, types: Value| {
        let res = api.send_json(
            "POST",
            "/api/extras/roles/",
            &json!({"name": name, "content_types": types}),
        );
        assert_eq!(res.status, 201, "{}", res.body);
    };
    role("Edge", json!(["dcim.device", "ipam.prefix"]));
    role("Core", json!(["ipam.prefix"]));

    let names = |path: &str| -> Vec<String> {
        let res = api.get(path);
        assert_eq!(res.status, 200, "GET {path}: {}", res.body);
        let mut names: Vec<String> = res.json()["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter_map(|o| o["name"].as_str().map(str::to_string))
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names("/api/extras/roles/?content_types=dcim.device"),
        ["Edge"]
    );
    assert_eq!(
        names("/api/extras/roles/?content_types=ipam.prefix"),
        ["Core", "Edge"]
    );
    assert_eq!(
        names("/api/extras/roles/?content_types__n=dcim.device"),
        ["Core"]
    );

    // Permissions keep their object types as JSON text (a diesel-made table): the
    // filter was a 500 on PostgreSQL.
    let res = api.send_json(
        "POST",
        "/api/users/permissions/",
        &json!({"name": "devices", "object_types": ["dcim.device"], "actions": ["view"]}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(
        names("/api/users/permissions/?object_types=dcim.device"),
        ["devices"]
    );
    assert!(names("/api/users/permissions/?object_types=dcim.location").is_empty());

    // The change log's object_data is an object: no list holds "Campus".
    for query in ["object_data=Campus", "object_data__n=Campus"] {
        let res = api.get(&format!("/api/extras/object-changes/?{query}"));
        assert_eq!(res.status, 200, "{query}: {}", res.body);
        let count = res.json()["count"].as_u64();
        let all = api.get("/api/extras/object-changes/").json()["count"].as_u64();
        let expected = if query.contains("__n") { all } else { Some(0) };
        assert_eq!(count, expected, "{query}: {}", res.body);
    }
}
