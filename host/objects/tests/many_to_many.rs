//! Many-to-many fields through the model layer on both databases: the through tables
//! migrations make (and the data migration from a foreign key), writes by id, object and
//! name, the REST shapes of both serialisers, filters, the change log, deletes on either
//! side, and `migrate <app> zero`.

mod common;

use nautobot_db::dynamic::{query_count, Sql};
use nautobot_db::Database;
use nautobot_plugin_abi::{
    FieldSchema, Migration, ModelSchema, OnDelete, Operation, PluginManifest,
};
use nautobot_schema::{catalog::Catalog, migrate, Model};
use serde_json::{json, Value};

use nautobot_objects::{fastjson, query, serialize, write::Writer, Actor, NoHooks};

const APP: &str = "lists";

fn group() -> ModelSchema {
    ModelSchema::new(APP, "group").field(FieldSchema::char("name", 50).unique())
}

/// `member` as `0001` creates it: one optional group.
fn member_0001() -> ModelSchema {
    ModelSchema::new(APP, "member")
        .field(FieldSchema::char("name", 50).unique())
        .field(FieldSchema::foreign_key("group", "lists.group", OnDelete::Cascade).optional())
}

/// `member` as it ends: lists of groups, locations (a core model) and other members.
fn member() -> ModelSchema {
    ModelSchema::new(APP, "member")
        .field(FieldSchema::char("name", 50).unique())
        .field(FieldSchema::many_to_many("groups", "lists.group"))
        .field(FieldSchema::many_to_many("locations", "dcim.location"))
        .field(FieldSchema::many_to_many("neighbours", "lists.member"))
}

fn field_of(model: &ModelSchema, name: &str) -> FieldSchema {
    model.get_field(name).cloned().unwrap()
}

fn manifest() -> PluginManifest {
    let add = |field: FieldSchema| Operation::AddField {
        model: "member".into(),
        field,
    };
    PluginManifest {
        name: APP.into(),
        base_url: APP.into(),
        models: vec![group(), member()],
        migrations: vec![
            Migration::new(APP, "0001_initial")
                .depends_on("dcim", "0001_initial")
                .operation(Operation::CreateModel { model: group() })
                .operation(Operation::CreateModel {
                    model: member_0001(),
                })
                .operation(Operation::RunData {
                    model: "group".into(),
                    rows: vec![json!({"name": "g1"}), json!({"name": "g2"})],
                })
                .operation(Operation::RunData {
                    model: "member".into(),
                    rows: vec![
                        json!({"name": "m1", "group": {"name": "g1"}}),
                        json!({"name": "m2", "group": null}),
                    ],
                }),
            Migration::new(APP, "0002_lists")
                .depends_on(APP, "0001_initial")
                .operation(add(field_of(&member(), "groups")))
                .operation(Operation::CopyForeignKeyToManyToMany {
                    model: "member".into(),
                    from: "group".into(),
                    to: "groups".into(),
                })
                .operation(Operation::RemoveField {
                    model: "member".into(),
                    field: "group".into(),
                })
                .operation(add(field_of(&member(), "locations")))
                .operation(add(FieldSchema::many_to_many("peers", "lists.member")))
                .operation(add(FieldSchema::many_to_many("spare", "lists.group"))),
            Migration::new(APP, "0003_rename")
                .depends_on(APP, "0002_lists")
                .operation(Operation::RenameField {
                    model: "member".into(),
                    old_name: "peers".into(),
                    new_name: "neighbours".into(),
                })
                .operation(Operation::RemoveField {
                    model: "member".into(),
                    field: "spare".into(),
                }),
        ],
        ..Default::default()
    }
}

fn ids(row: &Value, field: &str) -> Vec<String> {
    let mut out: Vec<String> = row[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} is a list: {row}"))
        .iter()
        .map(|v| v.as_str().or_else(|| v["id"].as_str()).unwrap().to_string())
        .collect();
    out.sort();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn exercise(db: &Database) {
    nautobot_db::migrations::migrate(db).unwrap();
    let manifest = manifest();
    let catalog = Catalog::build(&[&manifest]).unwrap();
    migrate::migrate(db, &catalog.plan).unwrap();
    let registry = &catalog.registry;
    let actor = Actor::system();
    let writer = Writer::new(registry, &actor, &NoHooks);
    let mut conn = db.conn().unwrap();
    let members = registry.get("lists.member").unwrap().clone();
    let groups = registry.get("lists.group").unwrap().clone();
    let count = |conn: &mut nautobot_db::DbConnection, sql: &str| {
        query_count(conn, &Sql::from(sql)).unwrap()
    };
    let list = |conn: &mut nautobot_db::DbConnection, model: &Model, params: &[(&str, &str)]| {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let query = query::ListQuery::parse(model, &params).unwrap();
        let (_, rows) = query::list(conn, registry, model, &query).unwrap();
        let mut names: Vec<String> = rows
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };

    // The data migration kept m1's group as a link; m2 had none.
    let by_name = |conn: &mut nautobot_db::DbConnection, model: &Model, name: &str| {
        let query = query::ListQuery::parse(model, &[("name".into(), name.into())]).unwrap();
        let (_, rows) = query::list(conn, registry, model, &query).unwrap();
        Value::Object(rows.into_iter().next().unwrap())
    };
    let g1 = by_name(&mut conn, &groups, "g1")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let g2 = by_name(&mut conn, &groups, "g2")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let m1 = by_name(&mut conn, &members, "m1");
    assert_eq!(ids(&m1, "groups"), vec![g1.clone()]);
    assert!(ids(&by_name(&mut conn, &members, "m2"), "groups").is_empty());
    assert!(m1.get("group").is_none(), "the foreign key is gone: {m1}");
    // The through tables Django would name; the renamed and removed ones followed.
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS count FROM lists_member_groups"
        ),
        1
    );
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS count FROM lists_member_neighbours WHERE from_member_id = to_member_id"),
        0
    );
    assert!(!nautobot_schema::indexes::table_exists(&mut conn, "lists_member_peers").unwrap());
    assert!(!nautobot_schema::indexes::table_exists(&mut conn, "lists_member_spare").unwrap());

    // Writes: ids, {"id"}, lookups and names, de-duplicated; a core model as target.
    let site = writer
        .create(
            &mut conn,
            registry.get("dcim.locationtype").unwrap(),
            &json!({"name": "Site"}),
        )
        .unwrap();
    let ams = writer
        .create(
            &mut conn,
            registry.get("dcim.location").unwrap(),
            &json!({"name": "AMS", "location_type": site["id"], "status": "Active"}),
        )
        .unwrap();
    let ams = ams["id"].as_str().unwrap().to_string();
    let m3 = writer
        .create(
            &mut conn,
            &members,
            &json!({"name": "m3", "groups": [g1, {"id": g1}, {"name": "g2"}, "g2"],
                    "locations": ["AMS"], "neighbours": [m1["id"]]}),
        )
        .unwrap();
    let m3_id = m3["id"].as_str().unwrap().to_string();
    assert_eq!(
        ids(&Value::Object(m3.clone()), "groups"),
        sorted(vec![g1.clone(), g2.clone()])
    );
    assert_eq!(
        ids(&Value::Object(m3.clone()), "locations"),
        vec![ams.clone()]
    );
    // Unknown objects are the client's error, and nothing is written.
    let err = writer
        .create(
            &mut conn,
            &members,
            &json!({"name": "m4", "groups": ["nope"]}),
        )
        .unwrap_err();
    assert!(err.to_string().contains("groups"), "{err}");
    let err = writer
        .create(&mut conn, &members, &json!({"name": "m4", "groups": "g1"}))
        .unwrap_err();
    assert!(err.to_string().contains("Expected a list"), "{err}");
    assert_eq!(
        list(&mut conn, &members, &[("name", "m4")]),
        Vec::<String>::new()
    );

    // Both serialisers give the same references.
    let row = nautobot_objects::get(&mut conn, &members, &m3_id)
        .unwrap()
        .unwrap();
    let slow = serialize::serialize_rows(
        &mut conn,
        registry,
        &members,
        &[row],
        "http://testserver",
        0,
    )
    .unwrap()
    .pop()
    .unwrap();
    let fast: Value = serde_json::from_str(
        &fastjson::get(
            &mut conn,
            registry,
            &members,
            &m3_id,
            "http://testserver",
            &nautobot_objects::constraints::Constraint::All,
        )
        .unwrap()
        .expect("the fast path serves many-to-many fields")
        .unwrap(),
    )
    .unwrap();
    for field in ["groups", "locations", "neighbours"] {
        assert_eq!(fast[field], slow[field], "{field}");
    }
    assert_eq!(fast["locations"][0]["object_type"], "dcim.location");
    assert_eq!(
        fast["locations"][0]["url"],
        format!("http://testserver/api/dcim/locations/{ams}/")
    );
    // At depth 1 each reference is the whole object.
    let row = nautobot_objects::get(&mut conn, &members, &m3_id)
        .unwrap()
        .unwrap();
    let deep = serialize::serialize_rows(
        &mut conn,
        registry,
        &members,
        &[row],
        "http://testserver",
        1,
    )
    .unwrap()
    .pop()
    .unwrap();
    assert_eq!(deep["locations"][0]["name"], "AMS");

    // Filters: any of ids and names, none of, with and without links.
    assert_eq!(list(&mut conn, &members, &[("groups", &g1)]), ["m1", "m3"]);
    assert_eq!(list(&mut conn, &members, &[("groups", "g2")]), ["m3"]);
    assert_eq!(
        list(&mut conn, &members, &[("groups", &g2), ("groups", "g1")]),
        ["m1", "m3"]
    );
    assert_eq!(
        list(&mut conn, &members, &[("groups__n", "g2")]),
        ["m1", "m2"]
    );
    assert_eq!(
        list(&mut conn, &members, &[("groups__isnull", "true")]),
        ["m2"]
    );
    assert_eq!(
        list(&mut conn, &members, &[("groups__isnull", "false")]),
        ["m1", "m3"]
    );
    assert_eq!(list(&mut conn, &members, &[("locations", "AMS")]), ["m3"]);
    assert_eq!(list(&mut conn, &members, &[("neighbours", "m1")]), ["m3"]);
    let bad = query::ListQuery::parse(&members, &[("groups__ic".into(), "g".into())])
        .and_then(|q| query::list(&mut conn, registry, &members, &q).map(|_| ()));
    assert!(bad.is_err(), "a lookup lists do not have is refused");

    // The change log snapshots the lists.
    let snapshot = count(
        &mut conn,
        &format!(
            "SELECT COUNT(*) AS count FROM extras_objectchange WHERE changed_object_id = '{m3_id}' \
             AND CAST(object_data AS TEXT) LIKE '%\"groups\"%{g1}%'"
        ),
    );
    assert_eq!(snapshot, 1, "the create record holds the groups");

    // An update replaces the list; an empty list clears it.
    let updated = writer
        .update(
            &mut conn,
            &members,
            &m3_id,
            &json!({"groups": ["g2"]}),
            true,
        )
        .unwrap();
    assert_eq!(ids(&Value::Object(updated), "groups"), vec![g2.clone()]);
    let kept = writer
        .update(&mut conn, &members, &m3_id, &json!({"name": "m3b"}), true)
        .unwrap();
    assert_eq!(
        ids(&Value::Object(kept), "groups"),
        vec![g2.clone()],
        "PATCH keeps it"
    );
    writer
        .update(&mut conn, &members, &m3_id, &json!({"groups": []}), true)
        .unwrap();
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT COUNT(*) AS count FROM lists_member_groups WHERE member_id = '{m3_id}'"
            )
        ),
        0
    );

    // Deleting either side removes the links, not the other object.
    writer.delete(&mut conn, &groups, &g1).unwrap();
    assert!(ids(&by_name(&mut conn, &members, "m1"), "groups").is_empty());
    writer
        .delete(&mut conn, registry.get("dcim.location").unwrap(), &ams)
        .unwrap();
    assert!(nautobot_objects::get(&mut conn, &members, &m3_id)
        .unwrap()
        .is_some());
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS count FROM lists_member_locations"
        ),
        0
    );
    let m1_id = m1["id"].as_str().unwrap().to_string();
    writer.delete(&mut conn, &members, &m1_id).unwrap();
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS count FROM lists_member_neighbours"
        ),
        0
    );
    drop(conn);

    // `migrate lists zero` drops the through tables with the models'.
    let dropped = migrate::zero(db, &catalog.plan, APP).unwrap();
    assert!(
        dropped.contains(&"lists_member_groups".to_string()),
        "{dropped:?}"
    );
    let mut conn = db.conn().unwrap();
    for table in [
        "lists_member_groups",
        "lists_member_neighbours",
        "lists_member",
    ] {
        assert!(
            !nautobot_schema::indexes::table_exists(&mut conn, table).unwrap(),
            "{table}"
        );
    }
}

#[test]
fn many_to_many_fields_work_on_sqlite() {
    common::on_sqlite(exercise);
}

#[test]
fn many_to_many_fields_work_on_postgresql() {
    common::on_postgresql(
        "many_to_many_fields_work_on_postgresql",
        "nautobot_m2m",
        exercise,
    );
}
