//! The ABI 1.2 extension points as the shipped device_lifecycle plugin uses them, end to
//! end on both databases: a filter extension on the device list (REST and UI), table
//! extensions on the device and device type lists (from a path and from a template), and
//! a REST field extension under `plugin_data` on device lists and details, and a template
//! filter in computed fields.

use serde_json::{json, Value};
use support::{both_backends, Backend, Client, ADMIN_TOKEN};

both_backends!(device_lifecycle_extends_the_device_pages_and_api);

fn post(api: &Client, path: &str, body: Value) -> Value {
    let res = api.send_json("POST", path, &body);
    assert_eq!(res.status, 201, "{path}: {}", res.body);
    res.json()
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["results"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn device_lifecycle_extends_the_device_pages_and_api(backend: Backend) {
    let (_root, server) = support::start(backend, &["device_lifecycle"]);
    let api = server.client().with_token(ADMIN_TOKEN);
    let site = post(
        &api,
        "/api/dcim/location-types/",
        json!({"name": "Site", "content_types": ["dcim.device"]}),
    );
    let hq = post(
        &api,
        "/api/dcim/locations/",
        json!({"name": "HQ", "location_type": site["id"], "status": "Active"}),
    );
    let maker = post(&api, "/api/dcim/manufacturers/", json!({"name": "Cisco"}));
    let old = post(
        &api,
        "/api/dcim/device-types/",
        json!({"manufacturer": maker["id"], "model": "C3750"}),
    );
    let new = post(
        &api,
        "/api/dcim/device-types/",
        json!({"manufacturer": maker["id"], "model": "C9300"}),
    );
    let role = post(
        &api,
        "/api/extras/roles/",
        json!({"name": "Access", "content_types": ["dcim.device"]}),
    );
    let ios = post(&api, "/api/dcim/platforms/", json!({"name": "IOS"}));
    let device = |name: &str, kind: &Value| {
        post(
            &api,
            "/api/dcim/devices/",
            json!({"name": name, "device_type": kind["id"], "role": role["id"],
                   "location": hq["id"], "status": "Active", "platform": ios["id"]}),
        )
    };
    let (a1, a2, a3) = (device("a1", &old), device("a2", &new), device("a3", &new));
    let base = "/api/plugins/device-lifecycle";
    let version = |v: &str, eos: &str| {
        post(
            &api,
            &format!("{base}/software-versions/"),
            json!({"platform": ios["id"], "version": v, "end_of_support": eos}),
        )
    };
    let (v17, v18) = (
        version("17.9.4", "2027-06-30"),
        version("18.1.1", "2031-01-31"),
    );
    for (d, v) in [(&a1, &v17), (&a2, &v18)] {
        post(
            &api,
            &format!("{base}/device-software/"),
            json!({"device": d["id"], "software": v["id"]}),
        );
    }
    post(
        &api,
        &format!("{base}/hardware-notices/"),
        json!({"device_type": old["id"], "end_of_support": "2026-10-31"}),
    );

    // The filter extension, with the lookups of the field it compares.
    let filter = |query: &str| api.get(&format!("/api/dcim/devices/?{query}"));
    assert_eq!(
        names(&filter("device_lifecycle_software=17.9.4").json()),
        ["a1"]
    );
    assert_eq!(
        names(&filter("device_lifecycle_software__isw=1").json()),
        ["a1", "a2"]
    );
    assert_eq!(
        names(&filter("device_lifecycle_software__n=17.9.4").json()),
        ["a2", "a3"],
        "devices running something else or nothing"
    );
    assert_eq!(
        names(&filter("device_lifecycle_software=17.9.4&device_lifecycle_software=18.1.1").json()),
        ["a1", "a2"]
    );
    let res = filter("device_lifecycle_nothing=1");
    assert_eq!(res.status, 400, "{}", res.body);

    // The REST field extension: on every device of a list page, and on a detail.
    let list = api.get("/api/dcim/devices/?limit=50").json();
    for d in list["results"].as_array().unwrap() {
        let software = &d["plugin_data"]["device_lifecycle"]["software"];
        match d["name"].as_str().unwrap() {
            "a1" => assert_eq!(
                software,
                &json!({"version": "17.9.4", "end_of_support": "2027-06-30"})
            ),
            "a2" => assert_eq!(software["version"], "18.1.1"),
            _ => assert!(software.is_null(), "{d}"),
        }
    }
    let detail = api
        .get(&format!(
            "/api/dcim/devices/{}/?depth=1",
            a2["id"].as_str().unwrap()
        ))
        .json();
    assert_eq!(
        detail["plugin_data"]["device_lifecycle"]["software"]["version"],
        "18.1.1"
    );
    // Other models are not extended.
    let locations = api.get("/api/dcim/locations/").json();
    assert!(locations["results"][0].get("plugin_data").is_none());
    let _ = a3;

    // The template filter, in a computed field of the plugin's own software versions.
    post(
        &api,
        "/api/extras/computed-fields/",
        json!({"content_type": "device_lifecycle.softwareversion", "label": "Support",
               "template": "{{ obj.end_of_support | device_lifecycle_support_status(today=\"2028-01-01\") }}"}),
    );
    let versions = api
        .get(&format!(
            "{base}/software-versions/?include=computed_fields&sort=version"
        ))
        .json();
    let support: Vec<&Value> = versions["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["computed_fields"]["support"])
        .collect();
    assert_eq!(
        support,
        [&json!("past end of support"), &json!("supported")]
    );

    // The UI: the filter on the form and in effect, the columns with their values.
    let browser = server.login("admin", "admin");
    let page = browser.get("/dcim/devices/?device_lifecycle_software=17.9.4");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("name=\"device_lifecycle_software\""),
        "the filter form offers it"
    );
    assert!(page.body.contains(">Software<"), "the column heading");
    assert!(page.body.contains(">a1<"), "{}", page.body);
    assert!(!page.body.contains(">a2<"), "filtered out");
    assert!(page.body.contains("17.9.4"), "the column's value");
    let types = browser.get("/dcim/device-types/");
    assert!(types.body.contains(">End of support<"), "{}", types.body);
    assert!(
        types.body.contains("<span class=\"eos\">2026-10-31</span>"),
        "the template's cell: {}",
        types.body
    );
}
