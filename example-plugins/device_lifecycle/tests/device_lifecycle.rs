//! `device_lifecycle` end to end, with the plugin test kit, on every backend: the REST
//! API of its four models at their paths, its validators, the panel on the device page
//! (with the plugin's stylesheet linked in the page's `<head>` and served), the panel's
//! permission guard, the navigation tab, and the job.
//!
//! Needs the built libraries and server:
//!
//! ```sh
//! cargo build -p nautobot-server -p device_lifecycle
//! NAUTOBOT_SERVER_BIN=$PWD/target/debug/nautobot-server cargo test -p device_lifecycle
//! ```

use nautobot_plugin_test::{backends, Backend, Client, Response, TestServer};
use serde_json::{json, Value};

const NOTICES: &str = "/api/plugins/device-lifecycle/hardware-notices/";
const VERSIONS: &str = "/api/plugins/device-lifecycle/software-versions/";
const VALIDATED: &str = "/api/plugins/device-lifecycle/validated-software/";
const DEVICE_SOFTWARE: &str = "/api/plugins/device-lifecycle/device-software/";
const STYLESHEET: &str = "/static/device_lifecycle/lifecycle.css";

fn start(backend: Backend) -> TestServer {
    TestServer::builder()
        .plugin("device_lifecycle")
        .backend(backend)
        .start()
}

/// POSTs `body` and returns the created object, failing on anything but 201.
fn create(client: &Client, path: &str, body: Value) -> Value {
    let res = client.post_json(path, &body);
    assert_eq!(res.status, 201, "POST {path} {body}: {}", res.body);
    res.json()
}

fn id(object: &Value) -> String {
    object["id"].as_str().expect("an id").to_string()
}

/// The core objects the tests hang lifecycle data on.
struct Core {
    /// A device type past its end of support (notice created by the tests).
    old_type: String,
    /// A device type supported until far in the future.
    new_type: String,
    /// A device type with no devices.
    spare_type: String,
    platform: String,
    /// Two devices of `old_type`.
    edge1: Value,
    edge2: Value,
    /// A device of `new_type`.
    core1: Value,
}

fn core_objects(admin: &Client) -> Core {
    let lt = create(admin, "/api/dcim/location-types/", json!({"name": "Site"}));
    let location = create(
        admin,
        "/api/dcim/locations/",
        json!({"name": "HQ", "location_type": id(&lt), "status": "Active"}),
    );
    let maker = create(admin, "/api/dcim/manufacturers/", json!({"name": "Acme"}));
    let device_type = |model: &str| {
        id(&create(
            admin,
            "/api/dcim/device-types/",
            json!({"manufacturer": id(&maker), "model": model}),
        ))
    };
    let old_type = device_type("Old Router 1000");
    let new_type = device_type("New Router 9000");
    let spare_type = device_type("Spare Switch 10");
    let platform = id(&create(
        admin,
        "/api/dcim/platforms/",
        json!({"name": "AcmeOS", "manufacturer": id(&maker)}),
    ));
    let role = create(
        admin,
        "/api/extras/roles/",
        json!({"name": "Edge", "content_types": ["dcim.device"]}),
    );
    let device = |name: &str, device_type: &str| {
        create(
            admin,
            "/api/dcim/devices/",
            json!({"name": name, "device_type": device_type, "role": id(&role),
                   "location": id(&location), "status": "Active", "platform": platform}),
        )
    };
    Core {
        edge1: device("edge1", &old_type),
        edge2: device("edge2", &old_type),
        core1: device("core1", &new_type),
        old_type,
        new_type,
        spare_type,
        platform,
    }
}

fn assert_status(res: &Response, status: u16, what: &str) {
    assert_eq!(res.status, status, "{what}: {}", res.body);
}

#[test]
fn the_models_have_crud_and_validation_at_their_paths() {
    for backend in backends("the_models_have_crud_and_validation_at_their_paths") {
        let server = start(backend);
        let admin = server.admin();
        let core = core_objects(&admin);

        // HardwareNotice: create, read, list, update, validators, uniqueness, delete.
        let notice = create(
            &admin,
            NOTICES,
            json!({"device_type": core.old_type, "end_of_sale": "2019-01-01",
                   "end_of_support": "2020-01-01",
                   "documentation_url": "https://example.com/eol/old-router",
                   "comments": "Replace with New Router 9000"}),
        );
        assert_eq!(notice["object_type"], "device_lifecycle.hardwarenotice");
        assert_eq!(notice["device_type"]["id"], core.old_type.as_str());
        assert_eq!(notice["end_of_sale"], "2019-01-01");
        assert_eq!(notice["end_of_support"], "2020-01-01");
        let one = format!("{NOTICES}{}/", id(&notice));
        assert!(
            notice["url"].as_str().unwrap().ends_with(&one),
            "{backend}: {}",
            notice["url"]
        );
        let list = admin.get(NOTICES);
        assert_status(&list, 200, "list notices");
        assert_eq!(list.json()["count"], 1);
        let res = admin.patch_json(&one, &json!({"comments": "EoL"}));
        assert_status(&res, 200, "patch notice");
        assert_eq!(admin.get(&one).json()["comments"], "EoL");
        // End of support before end of sale, on create and on update.
        let res = admin.post_json(
            NOTICES,
            &json!({"device_type": core.new_type, "end_of_sale": "2030-01-02",
                   "end_of_support": "2030-01-01"}),
        );
        assert_status(&res, 400, "support before sale");
        assert_eq!(
            res.json(),
            json!({"end_of_support": ["End of support (2030-01-01) must not be before end of sale (2030-01-02)."]})
        );
        let res = admin.patch_json(&one, &json!({"end_of_support": "2018-12-31"}));
        assert_status(&res, 400, "patch support before sale");
        assert!(res.json()["end_of_support"][0]
            .as_str()
            .unwrap()
            .contains("must not be before end of sale (2019-01-01)"));
        // The documentation URL must be a web URL.
        let res = admin.patch_json(&one, &json!({"documentation_url": "javascript:alert(1)"}));
        assert_status(&res, 400, "a script URL");
        assert_eq!(
            res.json(),
            json!({"documentation_url": ["Enter a valid URL (http:// or https://)."]})
        );
        // One notice per device type.
        let res = admin.post_json(NOTICES, &json!({"device_type": core.old_type}));
        assert_status(&res, 400, "second notice for a device type");
        assert!(res.json()["device_type"].is_array(), "{}", res.body);
        // Only the end of support: fine.
        let later = create(
            &admin,
            NOTICES,
            json!({"device_type": core.new_type, "end_of_support": "2099-12-31"}),
        );
        assert_eq!(later["end_of_sale"], Value::Null);
        assert_eq!(admin.get(NOTICES).json()["count"], 2);
        // Filters as on any model.
        let past = admin.get(&format!("{NOTICES}?end_of_support__lt=2021-01-01"));
        assert_eq!(past.json()["count"], 1, "{}", past.body);

        // SoftwareVersion: unique per platform and version.
        let v1 = create(
            &admin,
            VERSIONS,
            json!({"platform": core.platform, "version": "17.9.4", "release_date": "2022-01-01"}),
        );
        assert_eq!(v1["display"], "17.9.4");
        let res = admin.post_json(
            VERSIONS,
            &json!({"platform": core.platform, "version": "17.9.4"}),
        );
        assert_status(&res, 400, "duplicate version");
        assert!(res.json()["__all__"].is_array(), "{}", res.body);
        let v2 = create(
            &admin,
            VERSIONS,
            json!({"platform": core.platform, "version": "16.0", "end_of_support": "2021-01-01"}),
        );
        let res = admin.patch_json(
            &format!("{VERSIONS}{}/", id(&v2)),
            &json!({"version": "16.0.1"}),
        );
        assert_status(&res, 200, "patch version");
        assert_eq!(res.json()["version"], "16.0.1");
        assert_eq!(admin.get(VERSIONS).json()["count"], 2);

        // ValidatedSoftware: targets (many-to-many lists) and an ordered window.
        let valid = create(
            &admin,
            VALIDATED,
            json!({"software": id(&v1), "device_types": [core.old_type, {"model": "New Router 9000"}],
                   "start": "2020-01-01"}),
        );
        assert_eq!(valid["end"], Value::Null);
        let mut types: Vec<&str> = valid["device_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        types.sort();
        let mut expected = vec![core.old_type.as_str(), core.new_type.as_str()];
        expected.sort();
        assert_eq!(types, expected, "{valid}");
        assert_eq!(valid["device_types"][0]["object_type"], "dcim.devicetype");
        assert_eq!(valid["devices"], json!([]));
        // At depth 1 the linked objects are whole.
        let deep = admin
            .get(&format!("{VALIDATED}{}/?depth=1", id(&valid)))
            .json();
        assert!(deep["device_types"][0]["model"].is_string(), "{deep}");
        let res = admin.post_json(
            VALIDATED,
            &json!({"software": id(&v1), "start": "2020-01-01"}),
        );
        assert_status(&res, 400, "no target");
        let message = "Validated software needs device types or devices (or both).";
        assert_eq!(
            res.json(),
            json!({"device_types": [message], "devices": [message]})
        );
        let res = admin.post_json(
            VALIDATED,
            &json!({"software": id(&v1), "devices": "edge1", "start": "2020-01-01"}),
        );
        assert_status(&res, 400, "not a list");
        assert!(res.json()["devices"][0]
            .as_str()
            .unwrap()
            .contains("Expected a list"));
        let res = admin.post_json(
            VALIDATED,
            &json!({"software": id(&v1), "devices": [id(&core.edge1)],
                   "start": "2024-01-02", "end": "2024-01-01"}),
        );
        assert_status(&res, 400, "end before start");
        assert_eq!(
            res.json(),
            json!({"end": ["End (2024-01-01) must not be before start (2024-01-02)."]})
        );
        let for_device = create(
            &admin,
            VALIDATED,
            json!({"software": id(&v2), "devices": [{"name": "edge1"}],
                   "start": "2020-01-01", "end": "2020-12-31"}),
        );
        let res = admin.patch_json(
            &format!("{VALIDATED}{}/", id(&for_device)),
            &json!({"devices": []}),
        );
        assert_status(&res, 400, "clearing the only target");
        assert_eq!(admin.get(VALIDATED).json()["count"], 2);
        // Filters: linked to any of the values (ids or names), to none of them.
        let count =
            |query: &str| admin.get(&format!("{VALIDATED}?{query}")).json()["count"].clone();
        assert_eq!(count(&format!("devices={}", id(&core.edge1))), 1);
        assert_eq!(count("devices=edge1"), 1);
        assert_eq!(count(&format!("device_types={}", core.new_type)), 1);
        assert_eq!(
            count(&format!(
                "device_types={}&device_types=edge1",
                core.spare_type
            )),
            0
        );
        assert_eq!(count("devices__n=edge1"), 1);
        assert_eq!(count("devices__isnull=true"), 1);
        assert_eq!(admin.get(&format!("{VALIDATED}?devices__ic=e")).status, 400);

        // The UI: a multiple select on the form, the linked objects on the detail page,
        // comma-separated names in the CSV export.
        let add = "/plugins/device-lifecycle/validated-software/add/";
        let form = admin.get_page(add);
        assert_status(&form, 200, "add form");
        assert!(
            form.text()
                .contains(r#"<select name="device_types" id="id_device_types" multiple"#),
            "{}",
            form.body
        );
        assert!(form.text().contains("Spare Switch 10"), "{}", form.body);
        let posted = admin.post_form(
            add,
            &[
                ("software", &id(&v2)),
                ("start", "2021-01-01"),
                ("device_types", &core.spare_type),
                ("device_types", &core.new_type),
            ],
        );
        assert_status(&posted, 302, "form with two device types");
        assert_eq!(count(&format!("device_types={}", core.spare_type)), 1);
        let detail = admin.get_page(&format!(
            "/plugins/device-lifecycle/validated-software/{}/",
            id(&valid)
        ));
        assert_status(&detail, 200, "validated software page");
        for model in ["Old Router 1000", "New Router 9000"] {
            assert!(detail.text().contains(model), "{}", detail.body);
        }
        let device_type_page = admin.get_page(&format!("/dcim/device-types/{}/", core.old_type));
        assert!(
            device_type_page.text().contains("Validated software"),
            "the device type counts what refers to it: {}",
            device_type_page.body
        );
        let csv = admin.get_page("/plugins/device-lifecycle/validated-software/?export=csv");
        assert_status(&csv, 200, "CSV export");
        let header = csv.text().lines().next().unwrap_or_default().to_string();
        assert!(
            header.contains("device_types") && header.contains("devices"),
            "{header}"
        );
        assert!(
            csv.text().contains("\"New Router 9000,Old Router 1000\"")
                || csv.text().contains("\"Old Router 1000,New Router 9000\""),
            "{}",
            csv.body
        );
        let res = admin.delete(&format!(
            "{VALIDATED}{}/",
            id(&admin
                .get(&format!("{VALIDATED}?device_types={}", core.spare_type))
                .json()["results"][0])
        ));
        assert_status(&res, 204, "delete the form's object");

        // DeviceSoftware: at most one per device.
        let running = create(
            &admin,
            DEVICE_SOFTWARE,
            json!({"device": id(&core.edge1), "software": id(&v1)}),
        );
        let res = admin.post_json(
            DEVICE_SOFTWARE,
            &json!({"device": id(&core.edge1), "software": id(&v2)}),
        );
        assert_status(&res, 400, "second software for a device");
        assert!(res.json()["device"].is_array(), "{}", res.body);

        // Deletes, and the cascade from a software version.
        let res = admin.delete(&format!("{VALIDATED}{}/", id(&for_device)));
        assert_status(&res, 204, "delete validated software");
        let res = admin.delete(&format!("{VERSIONS}{}/", id(&v1)));
        assert_status(&res, 204, "delete software version");
        assert_eq!(admin.get(VALIDATED).json()["count"], 0);
        assert_eq!(
            admin
                .get(&format!("{DEVICE_SOFTWARE}{}/", id(&running)))
                .status,
            404
        );
        assert_status(&admin.delete(&one), 204, "delete notice");
        assert_eq!(admin.get(NOTICES).json()["count"], 1);

        // The UI pages of the models.
        for path in [
            "/plugins/device-lifecycle/hardware-notices/",
            "/plugins/device-lifecycle/hardware-notices/add/",
            "/plugins/device-lifecycle/software-versions/",
            "/plugins/device-lifecycle/validated-software/",
            "/plugins/device-lifecycle/device-software/",
        ] {
            let page = admin.get_page(path);
            assert_status(&page, 200, path);
        }
        let page = admin.get_page(&format!(
            "/plugins/device-lifecycle/hardware-notices/{}/",
            id(&later)
        ));
        assert_status(&page, 200, "notice detail page");
        assert!(page.text().contains("2099-12-31"), "{}", page.body);
        // A form refused by the validator shows the message, as the server's own.
        let page = admin.post_form(
            "/plugins/device-lifecycle/validated-software/add/",
            &[("software", &id(&v2)), ("start", "2020-01-01")],
        );
        assert_status(&page, 200, "form refused");
        assert!(page.text().contains(message), "{}", page.body);
    }
}

/// The text of the page up to `</head>`.
fn head(page: &Response) -> &str {
    let end = page.body.find("</head>").expect("a </head>");
    &page.body[..end]
}

#[test]
fn the_device_page_shows_the_lifecycle_panel_with_its_stylesheet() {
    for backend in backends("the_device_page_shows_the_lifecycle_panel_with_its_stylesheet") {
        let server = start(backend);
        let admin = server.admin();
        let core = core_objects(&admin);
        create(
            &admin,
            NOTICES,
            json!({"device_type": core.old_type, "end_of_sale": "2019-01-01",
                   "end_of_support": "2020-01-01",
                   "documentation_url": "https://example.com/eol?model=<old>"}),
        );
        create(
            &admin,
            NOTICES,
            json!({"device_type": core.new_type, "end_of_sale": "2098-01-01",
                   "end_of_support": "2099-12-31"}),
        );
        let current = create(
            &admin,
            VERSIONS,
            json!({"platform": core.platform, "version": "17.9.4"}),
        );
        let expired = create(
            &admin,
            VERSIONS,
            json!({"platform": core.platform, "version": "<16.0>"}),
        );
        let pinned = create(
            &admin,
            VERSIONS,
            json!({"platform": core.platform, "version": "17.12.1"}),
        );
        // 17.9.4 for the old device type, open-ended; <16.0> for the new one, expired;
        // 17.12.1 for edge1 itself.
        create(
            &admin,
            VALIDATED,
            json!({"software": id(&current), "device_types": [core.old_type], "start": "2020-01-01"}),
        );
        create(
            &admin,
            VALIDATED,
            json!({"software": id(&expired), "device_types": [core.new_type],
                   "start": "2019-01-01", "end": "2020-12-31"}),
        );
        create(
            &admin,
            VALIDATED,
            json!({"software": id(&pinned), "devices": [id(&core.edge1)], "start": "2021-06-01"}),
        );
        create(
            &admin,
            DEVICE_SOFTWARE,
            json!({"device": id(&core.edge1), "software": id(&current)}),
        );
        create(
            &admin,
            DEVICE_SOFTWARE,
            json!({"device": id(&core.core1), "software": id(&expired)}),
        );
        let device_page = |client: &Client, device: &Value| {
            let path = format!("/dcim/devices/{}/", id(device));
            let page = client.get_page(&path);
            assert_status(&page, 200, &path);
            assert!(
                !page.text().contains("plugin-content-error"),
                "{backend} {path}: {}\n{}",
                page.body,
                server.log()
            );
            page
        };

        // edge1: past end of support, running validated software.
        let page = device_page(&admin, &core.edge1);
        let text = page.text();
        assert!(
            text.contains(r#"id="device-lifecycle-panel""#),
            "{backend}: {text}"
        );
        assert!(
            head(&page).contains(&format!(r#"<link rel="stylesheet" href="{STYLESHEET}">"#)),
            "{backend}: the stylesheet is linked in the head: {}",
            head(&page)
        );
        assert!(text.contains(r#"<td id="dlm-end-of-sale" class="dlm-past">2019-01-01</td>"#));
        assert!(text.contains(
            r#"<td id="dlm-end-of-support" class="dlm-past">2020-01-01 <span class="dlm-badge dlm-badge-danger" id="dlm-past-end-of-support">past end of support</span>"#
        ), "{text}");
        // Escaped: the URL comes from data.
        assert!(
            text.contains(r#"<td id="dlm-documentation"><a href="https://example.com/eol?model=&lt;old&gt;" rel="noopener noreferrer">"#),
            "{text}"
        );
        assert!(!text.contains("<old>"), "{text}");
        assert!(
            text.contains(r#"id="dlm-software-valid">valid today"#),
            "{text}"
        );
        assert!(text.contains(">17.9.4</a>"), "{text}");
        assert!(text.contains(">17.12.1</a>"), "{text}");
        assert!(text.contains("since 2021-06-01, for this device"), "{text}");
        assert!(
            text.contains("since 2020-01-01, for its device type"),
            "{text}"
        );
        assert!(!text.contains("16.0"), "{text}");

        // edge2: same device type, no software recorded.
        let page = device_page(&admin, &core.edge2);
        let text = page.text();
        assert!(text.contains(r#"id="dlm-past-end-of-support""#), "{text}");
        assert!(text.contains(r#"id="dlm-no-running""#), "{text}");
        assert!(text.contains(">17.9.4</a>"), "{text}");
        assert!(!text.contains("17.12.1"), "{text}");

        // core1: supported, running software whose validation expired.
        let page = device_page(&admin, &core.core1);
        let text = page.text();
        assert!(
            text.contains(r#"<td id="dlm-end-of-support">2099-12-31</td>"#),
            "{text}"
        );
        assert!(!text.contains("dlm-past"), "{text}");
        assert!(
            text.contains(r#"id="dlm-software-invalid">not validated today"#),
            "{text}"
        );
        assert!(text.contains("&lt;16.0&gt;"), "{text}");
        assert!(text.contains(r#"id="dlm-no-validated""#), "{text}");

        // The stylesheet itself, collected and served.
        let css = server.anonymous().get_page(STYLESHEET);
        assert_status(&css, 200, STYLESHEET);
        assert!(css
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/css"));
        assert!(
            css.text().contains(".device-lifecycle-panel"),
            "{}",
            css.body
        );

        // A device without a notice for its type: the panel says so. (A device of the
        // spare type, which has no notice.)
        let location = core.edge1["location"]["id"].as_str().unwrap();
        let role = core.edge1["role"]["id"].as_str().unwrap();
        let spare = create(
            &admin,
            "/api/dcim/devices/",
            json!({"name": "spare1", "device_type": core.spare_type, "role": role,
                   "location": location, "status": "Active"}),
        );
        let text = device_page(&admin, &spare).body;
        assert!(text.contains(r#"id="dlm-no-notice""#), "{text}");
        assert!(text.contains(r#"id="dlm-no-validated""#), "{text}");

        // Only dcim.view_device: the page, no panel, no error box, no data.
        let viewer = server.user_with_permissions("viewer", &["dcim.view_device"]);
        let text = device_page(&viewer, &core.edge1).body;
        assert!(!text.contains("device-lifecycle-panel"), "{text}");
        assert!(!text.contains("2020-01-01"), "{text}");
        assert!(!text.contains("17.9.4"), "{text}");
        // The notice but not the software.
        let hw = server.user_with_permissions(
            "hardware",
            &["dcim.view_device", "device_lifecycle.view_hardwarenotice"],
        );
        let text = device_page(&hw, &core.edge1).body;
        assert!(text.contains(r#"id="dlm-past-end-of-support""#), "{text}");
        assert!(!text.contains(r#"id="dlm-software""#), "{text}");
        assert!(!text.contains("17.9.4"), "{text}");
        // The validated software but not what the device runs.
        let sw = server.user_with_permissions(
            "software",
            &[
                "dcim.view_device",
                "device_lifecycle.view_validatedsoftware",
                "device_lifecycle.view_softwareversion",
            ],
        );
        let text = device_page(&sw, &core.edge1).body;
        assert!(!text.contains(r#"id="dlm-hardware""#), "{text}");
        assert!(text.contains(">17.9.4</a>"), "{text}");
        assert!(!text.contains("dlm-software-valid"), "{text}");
        assert!(!text.contains("dlm-no-running"), "{text}");

        // The navigation tab, for those who may see its lists.
        let home = admin.get_page("/");
        assert_status(&home, 200, "home");
        for fragment in [
            r#"data-tab="Device Lifecycle""#,
            r#"href="/plugins/device-lifecycle/hardware-notices/">Hardware Notices</a>"#,
            r#"href="/plugins/device-lifecycle/software-versions/">Software Versions</a>"#,
            r#"href="/plugins/device-lifecycle/validated-software/">Validated Software</a>"#,
            r#"href="/plugins/device-lifecycle/device-software/">Device Software</a>"#,
            r#"href="/plugins/device-lifecycle/hardware-notices/add/""#,
        ] {
            assert!(home.text().contains(fragment), "{fragment}: {}", home.body);
        }
        let home = viewer.get_page("/");
        assert!(!home.text().contains(r#"data-tab="Device Lifecycle""#));
        let home = hw.get_page("/");
        // (The home page lists every installed plugin; the menu items are what follow
        // the permissions.)
        assert!(home.text().contains(
            r#"href="/plugins/device-lifecycle/hardware-notices/">Hardware Notices</a>"#
        ));
        assert!(!home.text().contains(">Software Versions</a>"));
        assert!(!home
            .text()
            .contains("/plugins/device-lifecycle/hardware-notices/add/"));
    }
}

#[test]
fn the_job_reports_the_devices_past_end_of_support() {
    for backend in backends("the_job_reports_the_devices_past_end_of_support") {
        let server = start(backend);
        let admin = server.admin();
        let core = core_objects(&admin);
        create(
            &admin,
            NOTICES,
            json!({"device_type": core.old_type, "end_of_support": "2020-01-01"}),
        );
        create(
            &admin,
            NOTICES,
            json!({"device_type": core.new_type, "end_of_support": "2099-12-31"}),
        );
        create(
            &admin,
            NOTICES,
            json!({"device_type": core.spare_type, "end_of_support": "2021-01-01"}),
        );

        let run = server.run_job("device_lifecycle.devices_past_end_of_support", json!({}));
        assert_eq!(
            run.status,
            "success",
            "{backend}: {:?}\n{}\n{}",
            run.messages(),
            run.traceback,
            server.worker_log()
        );
        let messages = run.messages();
        for device in ["edge1", "edge2"] {
            let line = format!(
                "warning: {device} (Old Router 1000) is past its end of support (2020-01-01)"
            );
            assert!(messages.contains(&line), "{line} in {messages:?}");
        }
        assert!(
            messages
                .contains(&"info: Spare Switch 10: end of support 2021-01-01, no devices".into()),
            "{messages:?}"
        );
        assert!(
            !messages.iter().any(|m| m.contains("core1")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m
                    .starts_with("info: 2 device(s) of 1 device type(s) past end of support on ")),
            "{messages:?}"
        );
        // Each warning names its device, linked to it.
        let edge1 = run
            .log
            .iter()
            .find(|e| {
                e["message"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("edge1 ")
            })
            .expect("a log entry for edge1");
        assert_eq!(edge1["log_object"], "edge1");
        assert!(
            edge1["absolute_url"]
                .as_str()
                .unwrap_or_default()
                .contains(&id(&core.edge1)),
            "{edge1}"
        );
        assert_eq!(run.result["devices"], 2);
        assert_eq!(run.result["device_types"], 1);
        assert_eq!(run.result["notices"], 2);

        // Another date: on 2020-01-01 nothing was past its end of support yet; in 2100
        // everything is.
        let run = server.run_job(
            "device_lifecycle.devices_past_end_of_support",
            json!({"date": "2020-01-01"}),
        );
        assert_eq!(run.status, "success", "{:?}", run.messages());
        assert_eq!(run.result["devices"], 0);
        assert_eq!(run.result["date"], "2020-01-01");
        let run = server.run_job(
            "device_lifecycle.devices_past_end_of_support",
            json!({"date": "2100-01-01"}),
        );
        assert_eq!(run.result["devices"], 3, "{:?}", run.messages());
        assert_eq!(run.result["device_types"], 2);
        // A date that matches the pattern but is no date fails the run, saying why.
        let run = server.run_job(
            "device_lifecycle.devices_past_end_of_support",
            json!({"date": "2024-02-30"}),
        );
        assert_eq!(run.status, "failure");
        assert!(
            run.traceback.contains("'2024-02-30' is not a date"),
            "{}",
            run.traceback
        );
    }
}
