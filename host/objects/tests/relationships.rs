//! Relationships through the model layer on both databases: definitions (key, models,
//! symmetric rules), associations written directly and through an object's
//! `relationships`, cardinality and filters refused, the REST shape, `cr_` filters,
//! `required_on`, and associations deleted with either object.

mod common;

use nautobot_base::error::Error;
use nautobot_db::Database;
use nautobot_schema::{catalog::Catalog, migrate, Model};
use serde_json::{json, Value};

use nautobot_objects::{query, relationships, write::Writer, Actor, NoHooks};

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
        Writer::new(registry, &actor, &NoHooks)
            .requiring_relationships()
            .create(conn, &model(label), &input)
    };
    let make = |conn: &mut nautobot_db::DbConnection, label: &str, input: Value| {
        create(conn, label, input.clone()).unwrap_or_else(|e| panic!("{label} {input}: {e:?}"))
    };
    let update = |conn: &mut nautobot_db::DbConnection, label: &str, id: &Value, input: Value| {
        Writer::new(registry, &actor, &NoHooks).update(
            conn,
            &model(label),
            id.as_str().unwrap(),
            &input,
            true,
        )
    };
    let site = make(&mut conn, "dcim.locationtype", json!({"name": "Site"}));
    let loc = |conn: &mut nautobot_db::DbConnection, name: &str| {
        make(
            conn,
            "dcim.location",
            json!({"name": name, "location_type": site["id"], "status": "Active"}),
        )
    };
    let (ams, nyc, lon) = (
        loc(&mut conn, "AMS"),
        loc(&mut conn, "NYC"),
        loc(&mut conn, "LON"),
    );
    let vlan = |conn: &mut nautobot_db::DbConnection, vid: i64| {
        make(
            conn,
            "ipam.vlan",
            json!({"vid": vid, "name": format!("v{vid}"), "status": "Active"}),
        )
    };
    let (v10, v20) = (vlan(&mut conn, 10), vlan(&mut conn, 20));

    // Definitions.
    let one = make(
        &mut conn,
        "extras.relationship",
        json!({"label": "Primary VLAN", "type": "one-to-many",
               "source_type": "dcim.location", "destination_type": "ipam.vlan",
               "destination_filter": {"vid__gte": 10}}),
    );
    assert_eq!(one["key"], "primary_vlan");
    let peers = make(
        &mut conn,
        "extras.relationship",
        json!({"label": "Sister sites", "type": "symmetric-many-to-many",
               "source_type": "dcim.location", "destination_type": "dcim.location"}),
    );
    for (input, field) in [
        (
            json!({"label": "Bad1", "source_type": "dcim.nothing", "destination_type": "ipam.vlan"}),
            "source_type",
        ),
        (
            json!({"label": "Bad2", "type": "symmetric-one-to-one", "source_type": "dcim.location",
                   "destination_type": "ipam.vlan"}),
            "destination_type",
        ),
        (
            json!({"label": "Bad3", "source_type": "dcim.location", "destination_type": "ipam.vlan",
                   "source_filter": {"no_such_field": 1}}),
            "source_filter",
        ),
    ] {
        let err = create(&mut conn, "extras.relationship", input.clone()).unwrap_err();
        assert!(messages(err).contains(field), "{input}");
    }
    let err = update(
        &mut conn,
        "extras.relationship",
        &one["id"],
        json!({"type": "one-to-one"}),
    )
    .unwrap_err();
    assert!(messages(err).contains("cannot be changed"));

    // Through an object's `relationships`: AMS's VLANs are 10 and 20.
    update(
        &mut conn,
        "dcim.location",
        &ams["id"],
        json!({"relationships": {"primary_vlan": {"destination": {"objects": [v10["id"], {"id": v20["id"]}]}},
               "sister_sites": {"peer": {"objects": [nyc["id"]]}}}}),
    )
    .unwrap();
    let locations = model("dcim.location");
    let ids: Vec<String> = [&ams, &nyc]
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    let shown = relationships::for_objects(&mut conn, registry, &locations, &ids, "").unwrap();
    let vlan_ids = |v: &Value| -> Vec<String> {
        let mut ids: Vec<String> = v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let mut want = vec![
        v10["id"].as_str().unwrap().to_string(),
        v20["id"].as_str().unwrap().to_string(),
    ];
    want.sort();
    assert_eq!(vlan_ids(&shown[0]["primary_vlan"]["destination"]), want);
    assert_eq!(shown[0]["primary_vlan"]["type"], "one-to-many");
    assert_eq!(
        shown[0]["primary_vlan"]["destination"]["object_type"],
        "ipam.vlan"
    );
    assert_eq!(
        shown[0]["sister_sites"]["peer"]["objects"][0]["id"],
        nyc["id"]
    );
    assert_eq!(
        shown[0]["sister_sites"]["peer"]["objects"][0]["display"],
        "NYC"
    );
    assert_eq!(
        shown[1]["sister_sites"]["peer"]["objects"][0]["id"], ams["id"],
        "symmetric"
    );
    assert_eq!(
        shown[1]["primary_vlan"]["destination"]["objects"],
        json!([])
    );
    let vlans = model("ipam.vlan");
    let from_vlan = relationships::for_objects(
        &mut conn,
        registry,
        &vlans,
        &[v10["id"].as_str().unwrap().to_string()],
        "",
    )
    .unwrap();
    assert_eq!(
        from_vlan[0]["primary_vlan"]["source"]["objects"][0]["id"],
        ams["id"]
    );

    // One-to-many: a VLAN has one location; a peer twice; a filter; an unknown key.
    let err = update(
        &mut conn,
        "dcim.location",
        &lon["id"],
        json!({"relationships": {"primary_vlan": {"destination": {"objects": [v10["id"]]}}}}),
    )
    .unwrap_err();
    assert!(messages(err).contains("already has a Primary VLAN association"));
    let err = update(
        &mut conn,
        "dcim.location",
        &nyc["id"],
        json!({"relationships": {"nothing": {"peer": {"objects": []}}}}),
    )
    .unwrap_err();
    assert!(messages(err).contains("is not a relationship on dcim.location"));
    let v5 = vlan(&mut conn, 5);
    let err = update(
        &mut conn,
        "dcim.location",
        &lon["id"],
        json!({"relationships": {"primary_vlan": {"destination": {"objects": [v5["id"]]}}}}),
    )
    .unwrap_err();
    assert!(messages(err).contains("destination_filter"), "vid 5 < 10");
    let err = create(
        &mut conn,
        "extras.relationshipassociation",
        json!({"relationship": peers["id"], "source_type": "dcim.location", "source_id": nyc["id"],
               "destination_type": "dcim.location", "destination_id": ams["id"]}),
    )
    .unwrap_err();
    assert!(
        messages(err).contains("already associated"),
        "(a, b) is (b, a)"
    );

    // Filters.
    let names = |conn: &mut nautobot_db::DbConnection, params: &[(&str, &str)]| -> Vec<String> {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let q = query::ListQuery::parse(&locations, &params).unwrap();
        let (_, rows, _) = query::list_page(conn, registry, &locations, &q).unwrap();
        rows.iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    let v20_id = v20["id"].as_str().unwrap();
    assert_eq!(
        names(&mut conn, &[("cr_primary_vlan__destination", v20_id)]),
        ["AMS"]
    );
    assert_eq!(
        names(
            &mut conn,
            &[("cr_sister_sites__peer", ams["id"].as_str().unwrap())]
        ),
        ["NYC"]
    );
    assert_eq!(
        names(&mut conn, &[("cr_primary_vlan__destination__n", v20_id)]),
        ["LON", "NYC"]
    );
    let q =
        query::ListQuery::parse(&locations, &[("cr_nothing__peer".into(), "x".into())]).unwrap();
    let err = query::list_page(&mut conn, registry, &locations, &q).unwrap_err();
    assert!(messages(err).contains("cr_nothing__peer"));

    // Replacing a side: AMS keeps only VLAN 20.
    update(
        &mut conn,
        "dcim.location",
        &ams["id"],
        json!({"relationships": {"primary_vlan": {"destination": {"objects": [v20["id"]]}}}}),
    )
    .unwrap();
    assert_eq!(
        names(&mut conn, &[("cr_primary_vlan__destination", v20_id)]),
        ["AMS"]
    );
    assert!(names(
        &mut conn,
        &[("cr_primary_vlan__destination", v10["id"].as_str().unwrap())]
    )
    .is_empty());

    // Deleting an object takes its associations.
    Writer::new(registry, &actor, &NoHooks)
        .delete(&mut conn, &vlans, v20_id)
        .unwrap();
    let shown = relationships::for_objects(&mut conn, registry, &locations, &ids[..1], "").unwrap();
    assert_eq!(
        shown[0]["primary_vlan"]["destination"]["objects"],
        json!([])
    );

    // required_on: new VLANs need a location once the relationship requires it.
    make(
        &mut conn,
        "extras.relationship",
        json!({"label": "Home", "type": "one-to-many", "required_on": "destination",
               "source_type": "dcim.location", "destination_type": "ipam.vlan"}),
    );
    let err = create(
        &mut conn,
        "ipam.vlan",
        json!({"vid": 30, "name": "v30", "status": "Active"}),
    )
    .unwrap_err();
    assert!(
        messages(err).contains("require at least one location"),
        "required"
    );
    make(
        &mut conn,
        "ipam.vlan",
        json!({"vid": 30, "name": "v30", "status": "Active",
               "relationships": {"home": {"source": {"objects": [lon["id"]]}}}}),
    );
}

#[test]
fn relationships_work_on_sqlite() {
    common::on_sqlite(exercise);
}

#[test]
fn relationships_work_on_postgresql() {
    common::on_postgresql("relationships_work_on_postgresql", "nautobot_rel", exercise);
}
