//! `nautobot-server load-sample-data`: the small sample network with the example plugin
//! loaded, seen through the REST API; refused on a second run, on a database holding
//! other objects, and on one with unapplied migrations. Each test runs on SQLite and
//! PostgreSQL.

use serde_json::{json, Value};
use support::{both_backends, Backend, Client, Root, ADMIN_TOKEN, SHIPPED_PLUGINS};

both_backends!(
    the_small_sample_network_loads_once,
    the_shipped_plugins_models_load_without_refusals,
    a_database_with_objects_is_refused,
    unapplied_migrations_are_refused,
);

/// The `count` of a list endpoint.
fn count(api: &Client, path: &str) -> u64 {
    let sep = if path.contains('?') { '&' } else { '?' };
    let res = api.get(&format!("{path}{sep}limit=1"));
    assert_eq!(res.status, 200, "{path}: {}", res.body);
    res.json()["count"]
        .as_u64()
        .unwrap_or_else(|| panic!("{path}: no count in {}", res.body))
}

/// The one object a filtered list finds, at depth 1.
fn only(api: &Client, path: &str) -> Value {
    let list = api.get(&format!("{path}&depth=1")).json();
    assert_eq!(list["count"], 1, "{path}: {list}");
    list["results"][0].clone()
}

const COUNTED: [&str; 9] = [
    "/api/dcim/locations/",
    "/api/dcim/devices/",
    "/api/dcim/interfaces/",
    "/api/ipam/ip-addresses/",
    "/api/ipam/prefixes/",
    "/api/ipam/vlans/",
    "/api/extras/tags/",
    "/api/plugins/example-plugin/example-models/",
    "/api/plugins/example-plugin/another-example-models/",
];

fn the_small_sample_network_loads_once(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let out = root
        .run(&["load-sample-data", "--scale", "small"])
        .success();
    let last = out.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Loaded the sample network (scale small) into ")
            && last.contains("objects/s")
            && last.contains(" 0 refused by validators"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("example_plugin.examplemodel"),
        "{}",
        out.stdout
    );

    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let in_range = |path: &str, low: u64, high: u64| {
        let n = count(&api, path);
        assert!(
            (low..=high).contains(&n),
            "{path}: {n} not in {low}..={high}"
        );
        n
    };
    in_range("/api/dcim/locations/", 190, 230);
    in_range("/api/dcim/devices/", 90, 110);
    in_range("/api/dcim/interfaces/", 1_800, 2_200);
    in_range("/api/ipam/ip-addresses/", 1_800, 2_300);
    in_range("/api/ipam/prefixes/", 50, 150);
    in_range("/api/ipam/vlans/", 100, 200);
    in_range("/api/ipam/namespaces/", 4, 4);
    in_range("/api/dcim/location-types/", 3, 3);
    in_range("/api/dcim/manufacturers/", 4, 4);
    in_range("/api/extras/roles/", 6, 6);
    in_range("/api/plugins/example-plugin/example-models/", 1, 100);
    in_range(
        "/api/plugins/example-plugin/another-example-models/",
        1,
        100,
    );
    let changes = in_range("/api/extras/object-changes/", 4_000, 10_000);
    assert!(
        count(
            &api,
            "/api/extras/object-changes/?changed_object_type=dcim.interface"
        ) >= 1_800
    );

    // A room's parent is a site, whose parent is a region.
    let room = only(&api, "/api/dcim/locations/?name=Room%2000001-1");
    assert_eq!(room["location_type"]["name"], "Room");
    let site = room["parent"]["id"].as_str().expect("a room has a parent");
    let site = api
        .get(&format!("/api/dcim/locations/{site}/?depth=1"))
        .json();
    assert_eq!(site["name"], "Site 00001");
    assert_eq!(site["location_type"]["name"], "Site");
    assert_eq!(site["parent"]["name"], "Region 001");
    let region = site["parent"]["id"].as_str().unwrap();
    let region = api
        .get(&format!("/api/dcim/locations/{region}/?depth=1"))
        .json();
    assert_eq!(region["location_type"]["name"], "Region");
    assert_eq!(region["parent"], Value::Null);
    // Some objects are tagged: every region with the marker.
    assert_eq!(count(&api, "/api/dcim/locations/?tags=sample-data"), 10);
    assert!(count(&api, "/api/dcim/devices/?tags=monitored") > 0);

    // A device at a site, its interfaces, and its primary address naming mgmt0.
    let device = only(&api, "/api/dcim/devices/?name=dev-00001");
    assert_eq!(device["location"]["name"], "Site 00001");
    assert_eq!(device["status"]["name"], "Active");
    assert_eq!(device["primary_ip4"]["address"], "10.0.0.1/24");
    assert_eq!(
        device["primary_ip4"]["dns_name"],
        "mgmt0.dev-00001.sample.net"
    );
    let device_id = device["id"].as_str().unwrap();
    assert_eq!(
        count(&api, &format!("/api/dcim/interfaces/?device={device_id}")),
        20
    );
    only(
        &api,
        &format!("/api/dcim/interfaces/?device={device_id}&name=Ethernet1/1"),
    );

    // IP addresses belong to a namespace, inside their site's prefix.
    let ip = only(
        &api,
        "/api/ipam/ip-addresses/?address=10.0.0.2/24&namespace=Global",
    );
    assert_eq!(ip["namespace"]["name"], "Global");
    assert_eq!(ip["dns_name"], "ethernet1-1.dev-00001.sample.net");
    let prefix = only(
        &api,
        "/api/ipam/prefixes/?prefix=10.0.0.0/24&namespace=Global",
    );
    assert_eq!(prefix["namespace"]["name"], "Global");
    assert_eq!(prefix["location"]["name"], "Site 00001");
    assert!(count(&api, "/api/ipam/ip-addresses/?namespace=Lab") > 0);

    // A second run is refused and changes nothing; --skip-if-loaded succeeds quietly.
    let before: Vec<u64> = COUNTED.iter().map(|p| count(&api, p)).collect();
    let again = root.run(&["load-sample-data"]);
    assert_eq!(again.code, 8, "{again:?}");
    assert_eq!(
        again.stderr_lines().last().copied(),
        Some("Error: The sample network is already loaded (found tag 'sample-data'); load it into an empty database.")
    );
    let skip = root
        .run(&["load-sample-data", "--skip-if-loaded"])
        .success();
    assert_eq!(
        skip.stdout.trim(),
        "The sample network is already loaded; nothing to do."
    );
    let after: Vec<u64> = COUNTED.iter().map(|p| count(&api, p)).collect();
    assert_eq!(before, after);
    assert_eq!(count(&api, "/api/extras/object-changes/"), changes);
}

fn a_database_with_objects_is_refused(backend: Backend) {
    let mut root = Root::new(backend);
    root.install();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let lt = api.send_json(
        "POST",
        "/api/dcim/location-types/",
        &json!({"name": "Campus"}),
    );
    assert_eq!(lt.status, 201, "{}", lt.body);
    let hq = api.send_json(
        "POST",
        "/api/dcim/locations/",
        &json!({"name": "HQ", "location_type": lt.json()["id"], "status": "Active"}),
    );
    assert_eq!(hq.status, 201, "{}", hq.body);
    for args in [
        &["load-sample-data"][..],
        &["load-sample-data", "--skip-if-loaded"],
    ] {
        let out = root.run(args);
        assert_eq!(out.code, 8, "{out:?}");
        assert_eq!(
            out.stderr_lines().last().copied(),
            Some("Error: The database is not empty (found 1 location); load the sample network into an empty database.")
        );
    }
    assert_eq!(count(&api, "/api/dcim/locations/"), 1);
    assert_eq!(count(&api, "/api/extras/tags/"), 0);
}

fn unapplied_migrations_are_refused(backend: Backend) {
    let root = Root::new(backend);
    let out = root.run(&["load-sample-data"]);
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr
            .contains("has unapplied migrations of core: run `nautobot-server migrate`"),
        "{}",
        out.stderr
    );
}

/// With the four shipped plugins, as `scripts/demo` installs them: nothing is refused. A
/// unique foreign key gets one object per target (hardware notices: one per device type),
/// URL fields get web addresses (device_lifecycle's validator checks them), and
/// data_validation's rules, excluded from sample data, are not generated (they would
/// refuse real data).
fn the_shipped_plugins_models_load_without_refusals(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&SHIPPED_PLUGINS);
    root.install();
    let out = root
        .run(&["load-sample-data", "--scale", "small"])
        .success();
    let last = out.stdout.lines().last().unwrap_or_default();
    assert!(
        last.contains(" 0 refused by validators, 0 skipped"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("data_validation."), "{}", out.stdout);
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let device_types = count(&api, "/api/dcim/device-types/");
    assert!(device_types > 0 && device_types < 20, "{device_types}");
    assert_eq!(
        count(&api, "/api/plugins/device-lifecycle/hardware-notices/"),
        device_types
    );
    let notice = &api
        .get("/api/plugins/device-lifecycle/hardware-notices/?limit=1")
        .json()["results"][0];
    assert!(
        notice["documentation_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://example.com/")),
        "{notice}"
    );
    for rules in [
        "regex-rules",
        "min-max-rules",
        "required-rules",
        "unique-rules",
    ] {
        assert_eq!(
            count(&api, &format!("/api/plugins/data-validation/{rules}/")),
            0,
            "{rules}"
        );
    }
}
