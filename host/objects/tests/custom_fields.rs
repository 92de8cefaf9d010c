//! Custom fields through the model layer on both databases: definitions (key from the
//! label, checks), values provisioned into existing objects, defaults, validation,
//! unknown keys, both serialisers, `cf_` filters on their indexes, the change log, and
//! deletes of definitions and objects.

mod common;

use nautobot_base::error::Error;
use nautobot_db::dynamic::{query_count, Sql};
use nautobot_db::Database;
use nautobot_schema::{catalog::Catalog, migrate, Model};
use serde_json::{json, Value};

use nautobot_objects::{fastjson, query, serialize, write::Writer, Actor, NoHooks};

fn messages(err: Error) -> String {
    match err {
        Error::Validation(errors) => serde_json::to_string(&*errors).unwrap(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn exercise(db: &Database) {
    nautobot_db::migrations::migrate(db).unwrap();
    let catalog = Catalog::build(&[]).unwrap();
    migrate::migrate(db, &catalog.plan).unwrap();
    let registry = &catalog.registry;
    let actor = Actor::system();
    let mut conn = db.conn().unwrap();
    let model = |label: &str| -> Model { registry.get(label).unwrap().as_ref().clone() };
    let (locations, fields, choices) = (
        model("dcim.location"),
        model("extras.customfield"),
        model("extras.customfieldchoice"),
    );
    // A writer per request, as the API makes them (its definitions cache is per writer).
    let create = |conn: &mut nautobot_db::DbConnection, m: &Model, input: Value| {
        Writer::new(registry, &actor, &NoHooks).create(conn, m, &input)
    };
    let update = |conn: &mut nautobot_db::DbConnection, m: &Model, id: &str, input: Value| {
        Writer::new(registry, &actor, &NoHooks).update(conn, m, id, &input, true)
    };
    let id = |row: &nautobot_objects::Row| row["id"].as_str().unwrap().to_string();
    let site = create(
        &mut conn,
        &model("dcim.locationtype"),
        json!({"name": "Site"}),
    )
    .unwrap();
    let loc = |name: &str, extra: Value| {
        let mut input = json!({"name": name, "location_type": site["id"], "status": "Active"});
        if let Value::Object(e) = extra {
            input.as_object_mut().unwrap().extend(e);
        }
        input
    };
    let old = create(&mut conn, &locations, loc("OLD", json!({}))).unwrap();
    assert_eq!(old["custom_fields"], json!({}), "no fields yet");

    // Definitions: the key comes from the label.
    let circuit = create(
        &mut conn,
        &fields,
        json!({"label": "Circuit ID", "type": "text", "content_types": ["dcim.location"],
               "validation_regex": "^[A-Z]+-[0-9]+$"}),
    )
    .unwrap();
    assert_eq!(circuit["key"], "circuit_id");
    let tier = create(
        &mut conn,
        &fields,
        json!({"label": "Tier", "key": "tier", "type": "select", "content_types": ["dcim.location"]}),
    )
    .unwrap();
    for value in ["gold", "silver"] {
        create(
            &mut conn,
            &choices,
            json!({"custom_field": tier["id"], "value": value}),
        )
        .unwrap();
    }
    create(
        &mut conn,
        &fields,
        json!({"label": "Floor", "type": "integer", "default": 1, "validation_minimum": 0,
               "validation_maximum": 99, "content_types": ["dcim.location"]}),
    )
    .unwrap();
    // Refused definitions.
    for (input, field) in [
        (
            json!({"label": "Bad", "validation_regex": "(", "content_types": ["dcim.location"]}),
            "validation_regex",
        ),
        (
            json!({"label": "Bad", "content_types": ["dcim.nothing"]}),
            "content_types",
        ),
        (
            json!({"label": "Bad", "type": "integer", "validation_minimum": 5, "validation_maximum": 1, "content_types": []}),
            "validation_maximum",
        ),
        (
            json!({"label": "Bad", "type": "integer", "default": "x", "content_types": []}),
            "default",
        ),
        (
            json!({"label": "Bad", "key": "Not-A-Key", "content_types": []}),
            "key",
        ),
    ] {
        let err = create(&mut conn, &fields, input.clone()).unwrap_err();
        assert!(messages(err).contains(field), "{input}");
    }
    let err = update(&mut conn, &fields, &id(&circuit), json!({"key": "renamed"})).unwrap_err();
    assert!(messages(err).contains("cannot be changed"));

    // The existing object got every key, with the defaults.
    let old_now = nautobot_objects::get(&mut conn, &locations, &id(&old))
        .unwrap()
        .unwrap();
    assert_eq!(
        old_now["custom_fields"],
        json!({"circuit_id": null, "tier": null, "floor": 1})
    );
    // Values are validated; defaults fill what is not given.
    let hq = create(
        &mut conn,
        &locations,
        loc(
            "HQ",
            json!({"custom_fields": {"circuit_id": "CID-42", "tier": "gold"}}),
        ),
    )
    .unwrap();
    assert_eq!(
        hq["custom_fields"],
        json!({"circuit_id": "CID-42", "tier": "gold", "floor": 1})
    );
    for (bad, text) in [
        (json!({"nope": 1}), "Unknown field name 'nope'"),
        (json!({"floor": "high"}), "floor: Value must be an integer."),
        (json!({"floor": 100}), "floor: Value must not exceed 99."),
        (
            json!({"circuit_id": "cid-1"}),
            "circuit_id: Value must match regex",
        ),
        (json!({"tier": "bronze"}), "tier: Invalid choice"),
    ] {
        let err = create(
            &mut conn,
            &locations,
            loc("X", json!({"custom_fields": bad})),
        )
        .unwrap_err();
        let text_got = messages(err);
        assert!(text_got.contains(text), "{text_got}");
        assert!(text_got.contains("custom_fields"), "{text_got}");
    }
    let err = create(
        &mut conn,
        &locations,
        loc("X", json!({"custom_fields": [1]})),
    )
    .unwrap_err();
    assert!(messages(err).contains("Expected a dictionary"));

    // A PATCH of one value keeps the others; the change log holds the document.
    let patched = update(
        &mut conn,
        &locations,
        &id(&hq),
        json!({"custom_fields": {"tier": "silver", "floor": "3"}}),
    )
    .unwrap();
    assert_eq!(
        patched["custom_fields"],
        json!({"circuit_id": "CID-42", "tier": "silver", "floor": 3})
    );
    let renamed = update(&mut conn, &locations, &id(&hq), json!({"description": "x"})).unwrap();
    assert_eq!(renamed["custom_fields"], patched["custom_fields"]);
    let logged = query_count(
        &mut conn,
        &Sql::from(format!(
            "SELECT COUNT(*) AS count FROM extras_objectchange WHERE changed_object_id = '{}' \
             AND CAST(object_data AS TEXT) LIKE '%silver%'",
            id(&hq)
        )),
    )
    .unwrap();
    assert_eq!(logged, 2);

    // Both serialisers give the document.
    let row = nautobot_objects::get(&mut conn, &locations, &id(&hq))
        .unwrap()
        .unwrap();
    let slow = serialize::serialize_rows(&mut conn, registry, &locations, &[row], "http://t", 0)
        .unwrap()
        .pop()
        .unwrap();
    let fast: Value = serde_json::from_str(
        &fastjson::get(
            &mut conn,
            registry,
            &locations,
            &id(&hq),
            "http://t",
            &nautobot_objects::constraints::Constraint::All,
        )
        .unwrap()
        .unwrap()
        .unwrap(),
    )
    .unwrap();
    assert_eq!(fast["custom_fields"], slow["custom_fields"]);
    assert_eq!(fast["custom_fields"]["floor"], 3);

    // Filters.
    let names = |conn: &mut nautobot_db::DbConnection, params: &[(&str, &str)]| {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let q = query::ListQuery::parse(&locations, &params).unwrap();
        let (_, rows) = query::list(conn, registry, &locations, &q).unwrap();
        let mut names: Vec<String> = rows
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&mut conn, &[("cf_tier", "silver")]), ["HQ"]);
    assert_eq!(names(&mut conn, &[("cf_floor", "1")]), ["OLD"]);
    assert_eq!(
        names(&mut conn, &[("cf_floor", "1"), ("cf_floor", "3")]),
        ["HQ", "OLD"]
    );
    assert_eq!(names(&mut conn, &[("cf_circuit_id__ic", "cid")]), ["HQ"]);
    assert_eq!(names(&mut conn, &[("cf_tier__isnull", "true")]), ["OLD"]);
    assert_eq!(names(&mut conn, &[("cf_tier__n", "silver")]), ["OLD"]);
    assert!(query::ListQuery::parse(&locations, &[("cf_Bad-Key".into(), "1".into())]).is_err());
    // A key no field defines is an unknown filter, as Nautobot's.
    let q = query::ListQuery::parse(&locations, &[("cf_nothing".into(), "1".into())]).unwrap();
    let err = query::list(&mut conn, registry, &locations, &q).unwrap_err();
    assert!(messages(err).contains("cf_nothing"));
    // Each field's filter has its index; a deleted field's goes with it.
    let index_count = |conn: &mut nautobot_db::DbConnection, key: &str| {
        let sql = match nautobot_db::dynamic::backend_of(conn) {
            nautobot_db::Backend::Sqlite => format!(
                "SELECT COUNT(*) AS count FROM sqlite_master WHERE type = 'index' \
                 AND name = 'extras_customfielddata_cf_{key}'"
            ),
            nautobot_db::Backend::Postgres => format!(
                "SELECT COUNT(*) AS count FROM pg_indexes \
                 WHERE indexname = 'extras_customfielddata_cf_{key}'"
            ),
        };
        query_count(conn, &Sql::from(sql)).unwrap()
    };
    assert_eq!(index_count(&mut conn, "tier"), 1);
    assert_eq!(index_count(&mut conn, "floor"), 1);

    // A deleted definition leaves every document; a deleted object takes its document.
    Writer::new(registry, &actor, &NoHooks)
        .delete(&mut conn, &fields, &id(&tier))
        .unwrap();
    let hq_now = nautobot_objects::get(&mut conn, &locations, &id(&hq))
        .unwrap()
        .unwrap();
    assert_eq!(
        hq_now["custom_fields"],
        json!({"circuit_id": "CID-42", "floor": 3})
    );
    assert_eq!(index_count(&mut conn, "tier"), 0);
    assert_eq!(
        query_count(
            &mut conn,
            &Sql::from("SELECT COUNT(*) AS count FROM extras_customfieldchoice")
        )
        .unwrap(),
        0
    );
    Writer::new(registry, &actor, &NoHooks)
        .delete(&mut conn, &locations, &id(&old))
        .unwrap();
    assert_eq!(
        query_count(
            &mut conn,
            &Sql::from(format!(
                "SELECT COUNT(*) AS count FROM extras_customfielddata WHERE object_id = '{}'",
                id(&old)
            ))
        )
        .unwrap(),
        0
    );

    // A required field without a default: new objects must give it.
    create(
        &mut conn,
        &fields,
        json!({"label": "Monitored", "type": "boolean", "required": true, "content_types": ["dcim.location"]}),
    )
    .unwrap();
    let err = create(&mut conn, &locations, loc("NEW", json!({}))).unwrap_err();
    assert!(messages(err).contains("monitored: Required field cannot be empty."));
    let new = create(
        &mut conn,
        &locations,
        loc("NEW", json!({"custom_fields": {"monitored": "true"}})),
    )
    .unwrap();
    assert_eq!(new["custom_fields"]["monitored"], true);
    assert_eq!(names(&mut conn, &[("cf_monitored", "true")]), ["NEW"]);
}

#[test]
fn custom_fields_work_on_sqlite() {
    common::on_sqlite(exercise);
}

#[test]
fn custom_fields_work_on_postgresql() {
    common::on_postgresql("custom_fields_work_on_postgresql", "nautobot_cf", exercise);
}
