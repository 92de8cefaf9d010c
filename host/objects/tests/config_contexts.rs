//! Config contexts through the model layer on both databases: scopes (a location's
//! ancestors, roles, platforms, tags), merging by weight with the object's local data
//! last, inactive contexts, the contexts behind a result, and JSON Schema validation of
//! contexts and local data.

mod common;

use nautobot_base::error::Error;
use nautobot_db::Database;
use nautobot_schema::{catalog::Catalog, migrate, Model};
use serde_json::{json, Value};

use nautobot_objects::{config_contexts, serialize, write::Writer, Actor, NoHooks};

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
    let create = |conn: &mut nautobot_db::DbConnection, label: &str, input: Value| {
        Writer::new(registry, &actor, &NoHooks).create(conn, &model(label), &input)
    };
    let make = |conn: &mut nautobot_db::DbConnection, label: &str, input: Value| {
        create(conn, label, input.clone()).unwrap_or_else(|e| panic!("{label} {input}: {e:?}"))
    };
    let region = make(&mut conn, "dcim.locationtype", json!({"name": "Region"}));
    let site = make(
        &mut conn,
        "dcim.locationtype",
        json!({"name": "Site", "parent": region["id"], "content_types": ["dcim.device"]}),
    );
    let loc = |conn: &mut nautobot_db::DbConnection,
               name: &str,
               kind: &nautobot_objects::Row,
               parent: Value| {
        make(
            conn,
            "dcim.location",
            json!({"name": name, "location_type": kind["id"], "status": "Active", "parent": parent}),
        )
    };
    let eu = loc(&mut conn, "EU", &region, Value::Null);
    let ams = loc(&mut conn, "AMS", &site, eu["id"].clone());
    let us = loc(&mut conn, "US", &region, Value::Null);
    let nyc = loc(&mut conn, "NYC", &site, us["id"].clone());
    let maker = make(&mut conn, "dcim.manufacturer", json!({"name": "Arista"}));
    let kind = make(
        &mut conn,
        "dcim.devicetype",
        json!({"manufacturer": maker["id"], "model": "7050"}),
    );
    let role = |conn: &mut nautobot_db::DbConnection, name: &str| {
        make(
            conn,
            "extras.role",
            json!({"name": name, "content_types": ["dcim.device"]}),
        )
    };
    let (leaf, spine) = (role(&mut conn, "leaf"), role(&mut conn, "spine"));
    let eos = make(&mut conn, "dcim.platform", json!({"name": "eos"}));
    let gold = make(&mut conn, "extras.tag", json!({"name": "gold"}));
    let d1 = make(
        &mut conn,
        "dcim.device",
        json!({"name": "d1", "device_type": kind["id"], "role": leaf["id"], "status": "Active",
               "location": ams["id"], "platform": eos["id"], "tags": [gold["id"]],
               "local_config_context_data": {"snmp": {"location": "rack 1"}}}),
    );
    let d2 = make(
        &mut conn,
        "dcim.device",
        json!({"name": "d2", "device_type": kind["id"], "role": spine["id"], "status": "Active",
               "location": nyc["id"]}),
    );

    let context = |conn: &mut nautobot_db::DbConnection, input: Value| {
        make(conn, "extras.configcontext", input)
    };
    context(
        &mut conn,
        json!({"name": "global", "weight": 100,
               "data": {"ntp": ["1.1.1.1"], "snmp": {"community": "public", "location": "x"}}}),
    );
    context(
        &mut conn,
        json!({"name": "eu", "weight": 200, "locations": [eu["id"]],
               "data": {"ntp": ["2.2.2.2"], "snmp": {"community": "eu"}}}),
    );
    context(
        &mut conn,
        json!({"name": "leaf", "weight": 300, "roles": ["leaf"], "data": {"leaf": true}}),
    );
    context(
        &mut conn,
        json!({"name": "gold only", "weight": 50, "tags": ["gold"], "data": {"gold": 1}}),
    );
    context(
        &mut conn,
        json!({"name": "off", "is_active": false, "data": {"off": 1}}),
    );
    context(
        &mut conn,
        json!({"name": "eos spines", "roles": [spine["id"]], "platforms": [eos["id"]],
               "data": {"eos_spine": 1}}),
    );

    // The REST representations, as the API hands them over (depth 0 and 1).
    let devices = model("dcim.device");
    let rows: Vec<nautobot_objects::Row> = [&d1, &d2]
        .iter()
        .map(|d| {
            nautobot_objects::get(&mut conn, &devices, d["id"].as_str().unwrap())
                .unwrap()
                .unwrap()
        })
        .collect();
    for depth in [0, 1] {
        let rest =
            serialize::serialize_rows(&mut conn, registry, &devices, &rows, "", depth).unwrap();
        assert_eq!(
            rest[0]["local_config_context_data"],
            json!({"snmp": {"location": "rack 1"}})
        );
        let rendered = config_contexts::for_objects(&mut conn, registry, &rest).unwrap();
        assert_eq!(
            rendered[0],
            json!({"gold": 1, "ntp": ["2.2.2.2"], "leaf": true,
                   "snmp": {"community": "eu", "location": "rack 1"}}),
            "d1: AMS is in EU (an ancestor), a leaf, tagged gold; its own data last"
        );
        assert_eq!(
            rendered[1],
            json!({"ntp": ["1.1.1.1"], "snmp": {"community": "public", "location": "x"}}),
            "d2: only the global context (a spine without the platform)"
        );
        let names: Vec<String> = config_contexts::sources(&mut conn, registry, &rest[0])
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["gold only", "global", "eu", "leaf"], "by weight");
    }

    // Schemas: they must compile; data must satisfy them.
    for bad in [
        json!({"type": "nonsense"}),
        json!("a string"),
        json!({"minimum": "x"}),
    ] {
        let err = create(
            &mut conn,
            "extras.configcontextschema",
            json!({"name": "bad", "data_schema": bad}),
        )
        .unwrap_err();
        assert!(messages(err).contains("data_schema"), "{bad}");
    }
    // JSON numbers at the edge of f64 come back as they went in: PostgreSQL prints
    // them with every digit, which must still parse (schemathesis found a 500 there).
    let edge = make(
        &mut conn,
        "extras.configcontextschema",
        json!({"name": "edge", "data_schema": {"x": -1.7976931348623157e308, "y": 5e-324}}),
    );
    let read = nautobot_objects::get(
        &mut conn,
        &model("extras.configcontextschema"),
        edge["id"].as_str().unwrap(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(read["data_schema"]["x"], json!(-1.7976931348623157e308));
    let schema = make(
        &mut conn,
        "extras.configcontextschema",
        json!({"name": "ntp", "data_schema": {"type": "object", "required": ["ntp"],
               "properties": {"ntp": {"type": "array", "items": {"type": "string"}}}}}),
    );
    let err = create(
        &mut conn,
        "extras.configcontext",
        json!({"name": "typed", "config_context_schema": schema["id"], "data": {"ntp": "x"}}),
    )
    .unwrap_err();
    let text = messages(err);
    assert!(text.contains("data") && text.contains("/ntp"), "{text}");
    let err = create(
        &mut conn,
        "extras.configcontext",
        json!({"name": "list", "data": [1, 2]}),
    )
    .unwrap_err();
    assert!(messages(err).contains("JSON data must be in object form"));
    context(
        &mut conn,
        json!({"name": "typed", "config_context_schema": "ntp", "data": {"ntp": ["3.3.3.3"]},
               "locations": [nyc["id"]], "weight": 5000}),
    );
    let update = |conn: &mut nautobot_db::DbConnection, id: &Value, input: Value| {
        Writer::new(registry, &actor, &NoHooks).update(
            conn,
            &devices,
            id.as_str().unwrap(),
            &input,
            true,
        )
    };
    let err = update(
        &mut conn,
        &d2["id"],
        json!({"local_config_context_schema": schema["id"]}),
    )
    .unwrap_err();
    assert!(messages(err).contains("must exist for a schema"));
    let err = update(
        &mut conn,
        &d2["id"],
        json!({"local_config_context_schema": schema["id"], "local_config_context_data": {"ntp": 1}}),
    )
    .unwrap_err();
    assert!(messages(err).contains("local_config_context_data"));
    update(
        &mut conn,
        &d2["id"],
        json!({"local_config_context_schema": schema["id"],
               "local_config_context_data": {"ntp": ["4.4.4.4"]}}),
    )
    .unwrap();
    let row = nautobot_objects::get(&mut conn, &devices, d2["id"].as_str().unwrap())
        .unwrap()
        .unwrap();
    let rest = serialize::serialize_rows(&mut conn, registry, &devices, &[row], "", 0).unwrap();
    let rendered = config_contexts::for_objects(&mut conn, registry, &rest).unwrap();
    assert_eq!(
        rendered[0]["ntp"],
        json!(["4.4.4.4"]),
        "local data wins over the heaviest context"
    );
    assert_eq!(rendered[0]["snmp"]["community"], "public");
}

#[test]
fn config_contexts_work_on_sqlite() {
    common::on_sqlite(exercise);
}

#[test]
fn config_contexts_work_on_postgresql() {
    common::on_postgresql(
        "config_contexts_work_on_postgresql",
        "nautobot_cc",
        exercise,
    );
}
