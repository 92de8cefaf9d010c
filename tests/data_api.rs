//! The REST API of the model layer beyond what the pynautobot suite drives: the change
//! log, `depth`, OPTIONS, protected deletes, atomic bulk writes, permissions and tokens,
//! `EXEMPT_VIEW_PERMISSIONS`, plugin validators that fail or panic, and the database
//! verbs plugins call through `HostServices`. Each test runs on SQLite and PostgreSQL.

use serde_json::{json, Value};
use support::{both_backends, Backend, Client, Root, Server, ADMIN_TOKEN};

both_backends!(
    writes_are_logged_in_the_change_log,
    foreign_keys_expand_with_depth_and_filter_by_name_or_id,
    options_describe_fields_and_choices,
    protected_objects_cannot_be_deleted_and_cascades_are_logged,
    bulk_writes_are_all_or_nothing,
    lists_page_with_absolute_urls_that_keep_the_filters,
    bad_requests_get_clear_errors,
    permissions_apply_to_every_model,
    exempt_view_permissions_open_listed_models,
    a_failing_or_panicking_validator_rejects_the_write,
    plugins_use_the_model_layer_through_host_services,
    the_database_built_json_matches_the_full_serializer,
    statuses_and_roles_apply_only_to_their_content_types,
    validators_read_the_database_but_may_not_write,
);

fn start(backend: Backend, plugins: &[&str], settings: &[(&str, &str)]) -> (Root, Server) {
    let mut root = Root::new(backend);
    root.plugins(plugins);
    for (k, v) in settings {
        root.set(k, v);
    }
    root.install();
    let server = root.start();
    (root, server)
}

fn api(server: &Server) -> Client {
    server.client().with_token(ADMIN_TOKEN)
}

fn post(client: &Client, path: &str, body: Value) -> Value {
    let res = client.send_json("POST", path, &body);
    assert_eq!(res.status, 201, "POST {path}: {}", res.body);
    res.json()
}

/// A location type and an active location named `name`.
fn location(client: &Client, name: &str) -> Value {
    let lt = client.get("/api/dcim/location-types/?name=Site").json();
    let lt_id = match lt["results"].as_array().and_then(|r| r.first()) {
        Some(t) => t["id"].clone(),
        None => post(client, "/api/dcim/location-types/", json!({"name": "Site"}))["id"].clone(),
    };
    post(
        client,
        "/api/dcim/locations/",
        json!({"name": name, "location_type": lt_id, "status": "Active"}),
    )
}

fn writes_are_logged_in_the_change_log(backend: Backend) {
    let (_root, server) = start(backend, &[], &[]);
    let client = api(&server);
    let m = post(&client, "/api/dcim/manufacturers/", json!({"name": "Acme"}));
    let id = m["id"].as_str().unwrap();
    let res = client.send_json(
        "PATCH",
        &format!("/api/dcim/manufacturers/{id}/"),
        &json!({"description": "Makes things"}),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["description"], "Makes things");
    let res = client.request(
        "DELETE",
        &format!("/api/dcim/manufacturers/{id}/"),
        &[],
        None,
    );
    assert_eq!(res.status, 204);
    assert_eq!(
        client.get(&format!("/api/dcim/manufacturers/{id}/")).status,
        404
    );

    let changes = client
        .get(&format!(
            "/api/extras/object-changes/?changed_object_id={id}&sort=time"
        ))
        .json();
    assert_eq!(changes["count"], 3, "{changes}");
    let results = changes["results"].as_array().unwrap();
    let actions: Vec<&str> = results
        .iter()
        .map(|c| c["action"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "delete"]);
    for c in results {
        assert_eq!(c["user_name"], "admin");
        assert_eq!(c["changed_object_type"], "dcim.manufacturer");
        assert_eq!(c["object_repr"], "Acme");
        assert!(!c["request_id"].as_str().unwrap().is_empty());
    }
    assert_eq!(results[1]["prechange_data"]["description"], "");
    assert_eq!(results[1]["object_data"]["description"], "Makes things");
    // The change log is read-only.
    let res = client.send_json("POST", "/api/extras/object-changes/", &json!({}));
    assert_eq!(res.status, 405, "{}", res.body);
}

fn foreign_keys_expand_with_depth_and_filter_by_name_or_id(backend: Backend) {
    let (_root, server) = start(backend, &[], &[]);
    let client = api(&server);
    let hq = location(&client, "HQ");
    assert_eq!(hq["status"]["object_type"], "extras.status");
    assert!(hq["status"]["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/api/extras/statuses/", server.base_url())));
    assert!(hq["status"].get("name").is_none());

    let deep = client
        .get(&format!(
            "/api/dcim/locations/{}/?depth=1",
            hq["id"].as_str().unwrap()
        ))
        .json();
    assert_eq!(deep["status"]["name"], "Active");
    assert_eq!(deep["location_type"]["name"], "Site");

    let status_id = hq["status"]["id"].as_str().unwrap();
    for filter in ["status=Active", &format!("status={status_id}")] {
        let found = client.get(&format!("/api/dcim/locations/?{filter}")).json();
        assert_eq!(found["count"], 1, "{filter}: {found}");
    }
    assert_eq!(
        client.get("/api/dcim/locations/?status=Planned").json()["count"],
        0
    );
    assert_eq!(
        client.get("/api/dcim/locations/?status__n=Active").json()["count"],
        0
    );
}

fn options_describe_fields_and_choices(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin"], &[]);
    let client = api(&server);
    let res = client.request("OPTIONS", "/api/dcim/interfaces/", &[], None);
    assert_eq!(res.status, 200, "{}", res.body);
    let body = res.json();
    let post = &body["actions"]["POST"];
    assert_eq!(post["name"]["required"], true);
    assert_eq!(post["device"]["type"], "related object");
    let choices = post["type"]["choices"].as_array().unwrap();
    assert!(choices
        .iter()
        .any(|c| c["value"] == "1000base-t" && c["display"].is_string()));
    let plugin = client
        .request(
            "OPTIONS",
            "/api/plugins/example-plugin/example-models/",
            &[],
            None,
        )
        .json();
    assert_eq!(plugin["actions"]["POST"]["number"]["default"], 100);
    assert_eq!(plugin["actions"]["POST"]["number"]["required"], false);
}

fn protected_objects_cannot_be_deleted_and_cascades_are_logged(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin"], &[]);
    let client = api(&server);
    let hq = location(&client, "HQ");
    let hq_id = hq["id"].as_str().unwrap();
    let lt_id = hq["location_type"]["id"].as_str().unwrap();
    // The location type is protected while a location uses it.
    let res = client.request(
        "DELETE",
        &format!("/api/dcim/location-types/{lt_id}/"),
        &[],
        None,
    );
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.json()["detail"]
        .as_str()
        .unwrap()
        .contains("location HQ"));
    // A plugin object pointing at the location with on_delete=cascade goes with it.
    let other = post(
        &client,
        "/api/plugins/example-plugin/another-example-models/",
        json!({"name": "child", "location": hq_id}),
    );
    let res = client.request(
        "DELETE",
        &format!("/api/dcim/locations/{hq_id}/"),
        &[],
        None,
    );
    assert_eq!(res.status, 204, "{}", res.body);
    let other_id = other["id"].as_str().unwrap();
    assert_eq!(
        client
            .get(&format!(
                "/api/plugins/example-plugin/another-example-models/{other_id}/"
            ))
            .status,
        404
    );
    let log = client
        .get(&format!(
            "/api/extras/object-changes/?changed_object_id={other_id}&action=delete"
        ))
        .json();
    assert_eq!(log["count"], 1, "{log}");
    // Now the location type can go.
    let res = client.request(
        "DELETE",
        &format!("/api/dcim/location-types/{lt_id}/"),
        &[],
        None,
    );
    assert_eq!(res.status, 204, "{}", res.body);
}

fn bulk_writes_are_all_or_nothing(backend: Backend) {
    let (_root, server) = start(backend, &[], &[]);
    let client = api(&server);
    let res = client.send_json(
        "POST",
        "/api/dcim/manufacturers/",
        &json!([{"name": "A"}, {"name": "B"}, {"name": "A"}]),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(
        res.json(),
        json!([{}, {}, {"name": ["manufacturer with this name already exists."]}])
    );
    assert_eq!(client.get("/api/dcim/manufacturers/").json()["count"], 0);

    let made = client
        .send_json(
            "POST",
            "/api/dcim/manufacturers/",
            &json!([{"name": "A"}, {"name": "B"}]),
        )
        .json();
    let ids: Vec<&str> = made
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    // One bad item in a bulk update leaves every object as it was.
    let res = client.send_json(
        "PATCH",
        "/api/dcim/manufacturers/",
        &json!([{"id": ids[0], "description": "x"}, {"id": ids[1], "name": "A"}]),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    let a = client
        .get(&format!("/api/dcim/manufacturers/{}/", ids[0]))
        .json();
    assert_eq!(a["description"], "");
    let res = client.send_json(
        "PUT",
        "/api/dcim/manufacturers/",
        &json!([{"id": ids[0], "description": "x"}, {"id": ids[1], "description": "y"}]),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let res = client.send_json(
        "DELETE",
        "/api/dcim/manufacturers/",
        &json!([{"id": ids[0]}, {"id": ids[1]}]),
    );
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(client.get("/api/dcim/manufacturers/").json()["count"], 0);
}

fn lists_page_with_absolute_urls_that_keep_the_filters(backend: Backend) {
    let (_root, server) = start(backend, &[], &[]);
    let client = api(&server);
    let items: Vec<Value> = (0..7)
        .map(|i| json!({"name": format!("m-{i:02}")}))
        .collect();
    post(&client, "/api/dcim/manufacturers/", Value::Array(items));
    post(
        &client,
        "/api/dcim/manufacturers/",
        json!({"name": "other"}),
    );
    let page = client
        .get("/api/dcim/manufacturers/?name__isw=m-&limit=3&offset=3")
        .json();
    assert_eq!(page["count"], 7);
    let base = server.base_url();
    // The next link keeps the filters, limit and offset, and adds the seek key of the
    // page's last row.
    let next = page["next"].as_str().unwrap();
    let expected = format!("{base}/api/dcim/manufacturers/?name__isw=m-&limit=3&offset=6&cursor=");
    assert!(next.starts_with(&expected), "{next}");
    assert_eq!(
        page["previous"],
        format!("{base}/api/dcim/manufacturers/?name__isw=m-&limit=3")
    );
    let names: Vec<&str> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["m-03", "m-04", "m-05"]);
    // Following it gives the rest, and the last page has no next.
    let rest = client.get(&next[base.len()..]).json();
    let names: Vec<&str> = rest["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["m-06"]);
    assert_eq!(rest["next"], Value::Null);
    assert_eq!(rest["count"], 7);
    let sorted = client
        .get("/api/dcim/manufacturers/?sort=-name&limit=1")
        .json();
    assert_eq!(sorted["results"][0]["name"], "other");
    // The version asked for in Accept is echoed back.
    let res = client.request(
        "GET",
        "/api/dcim/manufacturers/",
        &[("Accept", "application/json; version=2.4")],
        None,
    );
    assert_eq!(res.header("API-Version"), Some("2.4"));
    let res = client.request(
        "GET",
        "/api/dcim/manufacturers/",
        &[("Accept", "application/json; version=2.1")],
        None,
    );
    assert_eq!(res.status, 200);
    assert_eq!(res.header("API-Version"), Some("2.1"));
    let res = client.request(
        "GET",
        "/api/dcim/manufacturers/",
        &[("Accept", "application/json; version=1.3")],
        None,
    );
    assert_eq!(res.status, 406);
    assert_eq!(
        res.json(),
        json!({"detail": "Invalid version in \"Accept\" header. Supported versions are 2.0, 2.1, 2.2, 2.3, 2.4."})
    );
}

fn bad_requests_get_clear_errors(backend: Backend) {
    let (_root, server) = start(backend, &[], &[]);
    let client = api(&server);
    let res = client.get("/api/dcim/locations/?nonsense=1");
    assert_eq!(res.status, 400);
    assert_eq!(res.json(), json!({"nonsense": ["Unknown filter field"]}));
    let res = client.get("/api/dcim/interfaces/?mtu__gt=abc");
    assert_eq!(res.status, 400);
    assert_eq!(res.json(), json!({"mtu__gt": ["Enter a number."]}));
    let res = client.request(
        "POST",
        "/api/dcim/manufacturers/",
        &[("Content-Type", "application/json;")],
        Some("{not json"),
    );
    assert_eq!(res.status, 400);
    assert!(res.json()["detail"]
        .as_str()
        .unwrap()
        .starts_with("JSON parse error"));
    let res = client.send_json(
        "POST",
        "/api/dcim/interfaces/",
        &json!({"name": "eth0", "type": "carrier-pigeon", "mtu": 0, "mac_address": "zz"}),
    );
    assert_eq!(res.status, 400);
    let body = res.json();
    assert_eq!(
        body["type"],
        json!(["\"carrier-pigeon\" is not a valid choice."])
    );
    assert_eq!(
        body["mtu"],
        json!(["Ensure this value is greater than or equal to 1."])
    );
    assert_eq!(body["mac_address"], json!(["Enter a valid MAC address."]));
    assert_eq!(body["device"], json!(["This field is required."]));
    let res = client.send_json(
        "POST",
        "/api/dcim/locations/",
        &json!({"name": "x", "location_type": "00000000-0000-0000-0000-000000000000", "status": "Active"}),
    );
    assert_eq!(res.status, 400);
    assert!(res.json()["location_type"][0]
        .as_str()
        .unwrap()
        .contains("Related object not found"));
    let res = client.get("/api/dcim/locations/not-a-uuid/");
    assert_eq!(res.status, 404);
    assert_eq!(res.json(), json!({"detail": "Not found."}));
}

fn permissions_apply_to_every_model(backend: Backend) {
    let (root, server) = start(backend, &["example_plugin"], &[]);
    root.run(&[
        "createuser",
        "--username",
        "viewer",
        "--password",
        "viewer-pw",
        "--permission",
        "dcim.view_manufacturer",
        "--permission",
        "example_plugin.view_examplemodel",
        "--token",
        "5555555555555555555555555555555555555555",
    ])
    .success();
    root.run(&[
        "createuser",
        "--username",
        "writer",
        "--password",
        "writer-pw",
        "--permission",
        "dcim.add_manufacturer",
        "--token",
        "6666666666666666666666666666666666666666",
        "--read-only-token",
    ])
    .success();
    let viewer = server
        .client()
        .with_token("5555555555555555555555555555555555555555");
    assert_eq!(viewer.get("/api/dcim/manufacturers/").status, 200);
    assert_eq!(
        viewer
            .get("/api/plugins/example-plugin/example-models/")
            .status,
        200
    );
    let res = viewer.get("/api/dcim/locations/");
    assert_eq!(res.status, 403);
    assert_eq!(
        res.json(),
        json!({"detail": "You do not have permission to perform this action."})
    );
    let res = viewer.send_json("POST", "/api/dcim/manufacturers/", &json!({"name": "V"}));
    assert_eq!(res.status, 403);
    // A read-only token cannot write even with the permission.
    let writer = server
        .client()
        .with_token("6666666666666666666666666666666666666666");
    let res = writer.send_json("POST", "/api/dcim/manufacturers/", &json!({"name": "W"}));
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(
        api(&server).get("/api/dcim/manufacturers/").json()["count"],
        0
    );
    // Anonymous requests are refused.
    let res = server.client().get("/api/dcim/manufacturers/");
    assert_eq!(res.status, 403);
    assert_eq!(
        res.json(),
        json!({"detail": "Authentication credentials were not provided."})
    );
}

fn exempt_view_permissions_open_listed_models(backend: Backend) {
    let (root, server) = start(
        backend,
        &[],
        &[("EXEMPT_VIEW_PERMISSIONS", "[\"dcim.manufacturer\"]")],
    );
    root.run(&[
        "createuser",
        "--username",
        "nobody",
        "--password",
        "nobody-pw",
        "--token",
        "7777777777777777777777777777777777777777",
    ])
    .success();
    let nobody = server
        .client()
        .with_token("7777777777777777777777777777777777777777");
    assert_eq!(nobody.get("/api/dcim/manufacturers/").status, 200);
    assert_eq!(nobody.get("/api/dcim/platforms/").status, 403);
    let res = nobody.send_json("POST", "/api/dcim/manufacturers/", &json!({"name": "N"}));
    assert_eq!(res.status, 403);
}

fn a_failing_or_panicking_validator_rejects_the_write(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin", "data_misbehaving"], &[]);
    let client = api(&server);
    location(&client, "fine");
    let lt = client.get("/api/dcim/location-types/?name=Site").json()["results"][0]["id"].clone();
    let create = |name: &str| {
        client.send_json(
            "POST",
            "/api/dcim/locations/",
            &json!({"name": name, "location_type": lt, "status": "Active"}),
        )
    };
    let res = create("this location has a matching name");
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json(),
        json!({"name": ["Location name must not be 'this location has a matching name'"]})
    );
    for name in ["panic please", "error please"] {
        let res = create(name);
        assert_eq!(res.status, 500, "{name}: {}", res.body);
        assert_eq!(
            res.json(),
            json!({"detail": "The plugin 'data_misbehaving' failed while handling this request."})
        );
    }
    // Nothing was written, not even a change record, and the server goes on.
    let locations = client.get("/api/dcim/locations/").json();
    assert_eq!(locations["count"], 1, "{locations}");
    let changes = client
        .get("/api/extras/object-changes/?changed_object_type=dcim.location")
        .json();
    assert_eq!(changes["count"], 1);
    // Validators run on updates too.
    let id = locations["results"][0]["id"].as_str().unwrap().to_string();
    let res = client.send_json(
        "PATCH",
        &format!("/api/dcim/locations/{id}/"),
        &json!({"name": "panic please"}),
    );
    assert_eq!(res.status, 500);
    assert_eq!(
        client.get(&format!("/api/dcim/locations/{id}/")).json()["name"],
        "fine"
    );
    assert!(server
        .log()
        .contains("data_misbehaving validator panicked on purpose"));
}

/// Since ABI 1.1 validators read the database: inside the write's transaction, with the
/// permissions of the user making it. They may not write.
fn validators_read_the_database_but_may_not_write(backend: Backend) {
    let (root, server) = start(backend, &["data_misbehaving"], &[]);
    let client = api(&server);
    location(&client, "fine");
    let lt = client.get("/api/dcim/location-types/?name=Site").json()["results"][0]["id"].clone();
    let create = |client: &Client, name: &str| {
        client.send_json(
            "POST",
            "/api/dcim/locations/",
            &json!({"name": name, "location_type": lt, "status": "Active"}),
        )
    };
    assert_eq!(create(&client, "twin of fine").status, 201);
    let res = create(&client, "twin of nowhere");
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json(),
        json!({"name": ["There is no location named 'nowhere'."]})
    );
    let res = create(&client, "write please");
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json(),
        json!({"name": ["HostServices::create is not allowed in a validator: validators may read (query, get) but not write"]})
    );
    assert_eq!(
        client
            .get("/api/dcim/manufacturers/?name=from%20a%20validator")
            .json()["count"],
        0
    );
    // Updates are validated the same way.
    let fine = client.get("/api/dcim/locations/?name=fine").json()["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = client.send_json(
        "PATCH",
        &format!("/api/dcim/locations/{fine}/"),
        &json!({"name": "twin of nowhere"}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    let res = client.send_json(
        "PATCH",
        &format!("/api/dcim/locations/{fine}/"),
        &json!({"name": "twin of twin of fine"}),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    // A user who may add locations but not view them: the validator's read is refused
    // with the user's permissions, and so is the write.
    root.run(&[
        "createuser",
        "--username",
        "adder",
        "--password",
        "adder-pw",
        "--permission",
        "dcim.add_location",
        "--token",
        "5555555555555555555555555555555555555555",
    ])
    .success();
    let adder = server
        .client()
        .with_token("5555555555555555555555555555555555555555");
    let res = create(&adder, "twin of fine");
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(
        res.json(),
        json!({"name": ["the user may not view locations"]})
    );
    assert_eq!(create(&adder, "plain").status, 201);
}

fn plugins_use_the_model_layer_through_host_services(backend: Backend) {
    let (root, server) = start(backend, &["example_plugin"], &[]);
    let client = api(&server);
    post(
        &client,
        "/api/plugins/example-plugin/example-models/",
        json!([{"name": "alpha"}, {"name": "beta"}, {"name": "gamma"}]),
    );
    let summary = client
        .get("/api/plugins/example-plugin/summary/?name__ic=A")
        .json();
    assert_eq!(
        summary,
        json!({"count": 3, "names": ["alpha", "beta", "gamma"]})
    );
    let summary = client
        .get("/api/plugins/example-plugin/summary/?name__ic=et")
        .json();
    assert_eq!(summary, json!({"count": 1, "names": ["beta"]}));

    let res = client.send_json(
        "POST",
        "/api/plugins/example-plugin/summary/",
        &json!({"name": "delta"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(
        res.json(),
        json!({"created": "delta", "updated": "delta-2", "fetched": "delta-2"})
    );
    // Writes through the host are validated and logged like any other.
    let res = client.send_json(
        "POST",
        "/api/plugins/example-plugin/summary/",
        &json!({"name": "forbidden"}),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(
        res.json(),
        json!({"name": ["ExampleModel name 'forbidden' is not allowed"]})
    );
    let made = client
        .get("/api/plugins/example-plugin/example-models/?name=delta-2")
        .json();
    let id = made["results"][0]["id"].as_str().unwrap();
    let log = client
        .get(&format!(
            "/api/extras/object-changes/?changed_object_id={id}"
        ))
        .json();
    assert_eq!(log["count"], 2);
    assert_eq!(log["results"][0]["user_name"], "admin");
    // Both changes belong to the request that made them.
    let ids: Vec<&str> = log["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["request_id"].as_str().unwrap())
        .collect();
    assert!(!ids[0].is_empty());
    assert_eq!(ids[0], ids[1]);

    // The user's permissions bound what the plugin may do for them.
    root.run(&[
        "createuser",
        "--username",
        "limited",
        "--password",
        "limited-pw",
        "--token",
        "8888888888888888888888888888888888888888",
    ])
    .success();
    let limited = server
        .client()
        .with_token("8888888888888888888888888888888888888888");
    let res = limited.get("/api/plugins/example-plugin/summary/");
    assert_eq!(res.status, 403, "{}", res.body);
}

/// Lists at depth 0 are written by the database (objects::fastjson); depth 1 goes through
/// the full serializer. Apart from the expanded references they must agree exactly.
fn the_database_built_json_matches_the_full_serializer(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin"], &[]);
    let client = api(&server);
    let tag = post(
        &client,
        "/api/extras/tags/",
        json!({"name": "Core Site", "content_types": ["dcim.location"]}),
    );
    let hq = location(&client, "HQ Main");
    let hq_id = hq["id"].as_str().unwrap();
    client.send_json(
        "PATCH",
        &format!("/api/dcim/locations/{hq_id}/"),
        &json!({"tags": [tag["id"]], "asn": 65001, "time_zone": "Europe/Paris"}),
    );
    let maker = post(&client, "/api/dcim/manufacturers/", json!({"name": "Acme"}));
    let dt = post(
        &client,
        "/api/dcim/device-types/",
        json!({"manufacturer": maker["id"], "model": "X 1"}),
    );
    let role = post(
        &client,
        "/api/extras/roles/",
        json!({"name": "Edge", "content_types": ["dcim.device"]}),
    );
    let device = post(
        &client,
        "/api/dcim/devices/",
        json!({"device_type": dt["id"], "role": role["id"], "location": hq_id, "status": "Active"}),
    );
    post(
        &client,
        "/api/dcim/interfaces/",
        json!({"device": device["id"], "name": "eth0", "type": "1000base-t", "status": "Active",
               "mac_address": "00:11:22:aa:bb:cc", "mtu": 9000, "enabled": false}),
    );
    post(
        &client,
        "/api/dcim/interfaces/",
        json!({"device": device["id"], "name": "eth1", "type": "virtual", "status": "Active"}),
    );
    post(
        &client,
        "/api/plugins/example-plugin/example-models/",
        json!({"name": "E Q"}),
    );
    let paths = [
        "/api/dcim/locations/",
        "/api/dcim/devices/",
        "/api/dcim/interfaces/",
        "/api/dcim/device-types/",
        "/api/extras/statuses/",
        "/api/extras/tags/",
        "/api/ipam/namespaces/",
        "/api/extras/object-changes/",
        "/api/plugins/example-plugin/example-models/",
    ];
    for path in paths {
        let fast = client.get(path).json();
        let full = client.get(&format!("{path}?depth=1")).json();
        assert_eq!(fast["count"], full["count"], "{path}");
        let (fast, full) = (
            fast["results"].as_array().unwrap(),
            full["results"].as_array().unwrap(),
        );
        assert!(!fast.is_empty(), "{path}");
        for (a, b) in fast.iter().zip(full) {
            assert_eq!(collapse(b), *a, "{path}");
        }
    }
    // A detail page agrees too.
    let fast = client.get(&format!("/api/dcim/locations/{hq_id}/")).json();
    let full = client
        .get(&format!("/api/dcim/locations/{hq_id}/?depth=1"))
        .json();
    assert_eq!(collapse(&full), fast);
    assert_eq!(fast["tags"][0]["object_type"], "extras.tag");
    assert_eq!(
        fast["natural_slug"].as_str().unwrap().split('_').next(),
        Some("hq-main")
    );
}

/// An object at depth 1 with its expanded references cut back to `{id, object_type, url}`.
fn collapse(object: &Value) -> Value {
    let mut out = object.clone();
    if let Value::Object(map) = &mut out {
        for (_, v) in map.iter_mut() {
            let shorten = |r: &Value| json!({"id": r["id"], "object_type": r["object_type"], "url": r["url"]});
            match v {
                Value::Object(o) if o.contains_key("object_type") => *v = shorten(v),
                Value::Array(items) if items.iter().all(|i| i.get("object_type").is_some()) => {
                    *v = Value::Array(items.iter().map(shorten).collect())
                }
                _ => {}
            }
        }
    }
    out
}

fn statuses_and_roles_apply_only_to_their_content_types(backend: Backend) {
    let (_root, server) = start(backend, &[], &[]);
    let client = api(&server);
    let hq = location(&client, "HQ");
    let maker = post(&client, "/api/dcim/manufacturers/", json!({"name": "Acme"}));
    let dt = post(
        &client,
        "/api/dcim/device-types/",
        json!({"manufacturer": maker["id"], "model": "X"}),
    );
    let vlan_role = post(
        &client,
        "/api/extras/roles/",
        json!({"name": "Voice", "content_types": ["ipam.vlan"]}),
    );
    let device = |status: &str, role: &Value| {
        client.send_json(
            "POST",
            "/api/dcim/devices/",
            &json!({"device_type": dt["id"], "role": role["id"], "location": hq["id"], "status": status}),
        )
    };
    // "Retired" is a status of locations only, "Voice" a role of VLANs only.
    let res = device("Retired", &vlan_role);
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(
        res.json(),
        json!({
            "status": ["Status 'Retired' does not apply to devices: its content types do not include dcim.device."],
            "role": ["Role 'Voice' does not apply to devices: its content types do not include dcim.device."],
        })
    );
    let device_role = post(
        &client,
        "/api/extras/roles/",
        json!({"name": "Edge", "content_types": ["dcim.device"]}),
    );
    assert_eq!(device("Offline", &device_role).status, 201);
    let res = client.send_json(
        "PATCH",
        &format!("/api/dcim/locations/{}/", hq["id"].as_str().unwrap()),
        &json!({"status": "Retired"}),
    );
    assert_eq!(res.status, 200, "{}", res.body);
}
