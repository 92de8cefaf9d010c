//! `lifecycle_reports` end to end, with the plugin test kit, on every backend: the
//! report page and API over `device_lifecycle`'s data and their permissions, and the
//! server refusing `lifecycle_reports` when `device_lifecycle` is absent or too old.
//!
//! Needs the built server and the libraries of both plugins and of the 0.9.0 fixture
//! (`cargo test` builds only this crate's own library):
//!
//! ```sh
//! cargo build -p nautobot-server -p device_lifecycle -p lifecycle_reports -p device_lifecycle_old
//! NAUTOBOT_SERVER_BIN=$PWD/target/debug/nautobot-server cargo test -p lifecycle_reports
//! ```

use std::{
    fs,
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use nautobot_plugin_test::{backends, find_plugin_library, library_file_name, Client, TestServer};
use serde_json::{json, Value};

const NOTICES: &str = "/api/plugins/device-lifecycle/hardware-notices/";
const SUMMARY: &str = "/api/plugins/lifecycle-reports/summary/";
const REPORT: &str = "/plugins/lifecycle-reports/";

/// POSTs `body` and returns the created object, failing on anything but 201.
fn create(client: &Client, path: &str, body: Value) -> Value {
    let res = client.post_json(path, &body);
    assert_eq!(res.status, 201, "POST {path} {body}: {}", res.body);
    res.json()
}

fn id(object: &Value) -> String {
    object["id"].as_str().expect("an id").to_string()
}

/// Four device types with notices — A (2 devices) and B (1) out of support in 2020,
/// C (no devices) in 2031, D (1 device) with no end of support — and one device type
/// without a notice (1 device), which the report leaves out. Returns the device type ids
/// by letter.
fn lifecycle_data(admin: &Client) -> Vec<(char, String)> {
    let lt = create(admin, "/api/dcim/location-types/", json!({"name": "Site"}));
    let location = id(&create(
        admin,
        "/api/dcim/locations/",
        json!({"name": "HQ", "location_type": id(&lt), "status": "Active"}),
    ));
    let maker = id(&create(
        admin,
        "/api/dcim/manufacturers/",
        json!({"name": "Acme"}),
    ));
    let role = id(&create(
        admin,
        "/api/extras/roles/",
        json!({"name": "Edge", "content_types": ["dcim.device"]}),
    ));
    let plan = [
        ('A', 2, Some("2019-06-30"), Some("2020-01-01")),
        ('B', 1, None, Some("2020-08-01")),
        ('C', 0, Some("2030-01-01"), Some("2031-05-05")),
        ('D', 1, Some("2024-01-01"), None),
        ('E', 1, None, None),
    ];
    let mut out = Vec::new();
    for (letter, devices, end_of_sale, end_of_support) in plan {
        let device_type = id(&create(
            admin,
            "/api/dcim/device-types/",
            json!({"manufacturer": maker, "model": format!("Model {letter}")}),
        ));
        for n in 0..devices {
            create(
                admin,
                "/api/dcim/devices/",
                json!({"name": format!("{letter}-{n}"), "device_type": device_type,
                       "role": role, "location": location, "status": "Active"}),
            );
        }
        if letter != 'E' {
            create(
                admin,
                NOTICES,
                json!({"device_type": device_type, "end_of_sale": end_of_sale,
                       "end_of_support": end_of_support}),
            );
        }
        out.push((letter, device_type));
    }
    out
}

#[test]
fn the_report_counts_devices_by_end_of_support_year() {
    for backend in backends("the_report_counts_devices_by_end_of_support_year") {
        let server = TestServer::builder()
            .plugin("device_lifecycle")
            .plugin("lifecycle_reports")
            .backend(backend)
            .start();
        // Both load: the dependency is satisfied.
        server.run_cli(&["check"]).success();
        let admin = server.admin();
        let types = lifecycle_data(&admin);
        let type_id = |letter: char| types.iter().find(|(l, _)| *l == letter).unwrap().1.clone();

        let res = admin.get(SUMMARY);
        assert_eq!(res.status, 200, "{backend}: {}\n{}", res.body, server.log());
        let summary = res.json();
        assert_eq!(
            summary,
            json!({
                "years": [
                    {
                        "year": 2020,
                        "device_types": [
                            {"device_type": {"id": type_id('A'), "name": "Model A"},
                             "end_of_sale": "2019-06-30", "end_of_support": "2020-01-01", "devices": 2},
                            {"device_type": {"id": type_id('B'), "name": "Model B"},
                             "end_of_sale": null, "end_of_support": "2020-08-01", "devices": 1},
                        ],
                        "devices": 3,
                    },
                    {
                        "year": 2031,
                        "device_types": [
                            {"device_type": {"id": type_id('C'), "name": "Model C"},
                             "end_of_sale": "2030-01-01", "end_of_support": "2031-05-05", "devices": 0},
                        ],
                        "devices": 0,
                    },
                ],
                "without_end_of_support": {
                    "device_types": [
                        {"device_type": {"id": type_id('D'), "name": "Model D"},
                         "end_of_sale": "2024-01-01", "end_of_support": null, "devices": 1},
                    ],
                    "devices": 1,
                },
                "device_types": 4,
                "devices": 4,
            }),
            "{backend}"
        );
        let root = admin.get("/api/plugins/lifecycle-reports/");
        assert_eq!(root.status, 200, "{}", root.body);
        assert!(root.json()["summary"]
            .as_str()
            .unwrap()
            .ends_with("/api/plugins/lifecycle-reports/summary/"));

        // The page shows the same.
        let page = admin.get_page(REPORT);
        assert_eq!(
            page.status,
            200,
            "{backend}: {}\n{}",
            page.body,
            server.log()
        );
        let text = page.text();
        for fragment in [
            "4 device type(s) with a hardware notice, 4 device(s).",
            r#"<h2 id="eos-year-2020">2020 <small class="eos-year-devices">(3 devices)</small></h2>"#,
            r#"<h2 id="eos-year-2031">2031 <small class="eos-year-devices">(0 devices)</small></h2>"#,
            r#"<h2 id="eos-year-none">No end of support</h2>"#,
            ">Model A</a></td><td>2019-06-30</td><td>2020-01-01</td><td class=\"eos-devices\">2</td>",
            ">Model B</a></td><td></td><td>2020-08-01</td><td class=\"eos-devices\">1</td>",
            ">Model D</a>: 1 device(s)</li>",
        ] {
            assert!(text.contains(fragment), "{fragment} in {text}");
        }
        assert!(!text.contains("Model E"), "{text}");

        // The menu: its item in device_lifecycle's tab (one tab, merged).
        let home = admin.get_page("/");
        assert_eq!(
            home.text()
                .matches(r#"data-tab="Device Lifecycle""#)
                .count(),
            1,
            "{}",
            home.body
        );
        assert!(home
            .text()
            .contains(r#"href="/plugins/lifecycle-reports/">End-of-Support Report</a>"#));

        // Permissions: the notices are needed; names and counts follow dcim's.
        let nobody = server.user_with_permissions("nobody", &["dcim.view_device"]);
        assert_eq!(nobody.get(SUMMARY).status, 403);
        assert_eq!(nobody.get_page(REPORT).status, 403);
        let nobody_home = nobody.get_page("/");
        // (The home page lists every installed plugin; the menu item is what is hidden.)
        assert!(
            !nobody_home.text().contains("End-of-Support Report"),
            "{}",
            nobody_home.body
        );
        assert_eq!(server.anonymous().get(SUMMARY).status, 403);
        let notices_only =
            server.user_with_permissions("notices", &["device_lifecycle.view_hardwarenotice"]);
        let res = notices_only.get(SUMMARY);
        assert_eq!(res.status, 200, "{}", res.body);
        let limited = res.json();
        assert_eq!(limited["device_types"], 4);
        assert_eq!(limited["devices"], Value::Null);
        let first = &limited["years"][0]["device_types"][0];
        assert_eq!(first["devices"], Value::Null);
        assert_eq!(first["device_type"]["name"], type_id('A').as_str());
        let page = notices_only.get_page(REPORT);
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page
            .text()
            .contains("4 device type(s) with a hardware notice."));
        let full = server.user_with_permissions(
            "full",
            &[
                "device_lifecycle.view_hardwarenotice",
                "dcim.view_device",
                "dcim.view_devicetype",
            ],
        );
        assert_eq!(full.get(SUMMARY).json(), summary);
    }
}

/// What a refused command printed.
struct Refusal {
    code: i32,
    stderr: String,
}

impl Refusal {
    /// The one line on stderr (asserting there is exactly one).
    fn line(&self) -> &str {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "one line on stderr:\n{}", self.stderr);
        lines[0]
    }
}

/// Runs `nautobot-server <args>` for `server`'s root with `PLUGINS` replaced by
/// `plugins`, waiting at most 60 s (killing it then: a refused plugin stops even
/// `start` at once).
fn run_with_plugins(server: &TestServer, plugins: &str, args: &[&str]) -> Refusal {
    let log = server.root().join(format!("refusal-{}.log", args[0]));
    let file = fs::File::create(&log).unwrap();
    let mut child = server
        .command(args)
        .env("NAUTOBOT_PLUGINS", plugins)
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "nautobot-server {} with PLUGINS={plugins} did not stop within 60 s:\n{}",
                args.join(" "),
                fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Refusal {
        code: status.code().unwrap_or(-1),
        stderr: fs::read_to_string(&log).unwrap_or_default(),
    }
}

/// Copies `lifecycle_reports`' library into the server's plugins folder (where `PLUGINS`
/// entries are looked for) and returns its path there.
fn install_reports(server: &TestServer) -> String {
    let target = server
        .root()
        .join("plugins")
        .join(library_file_name("lifecycle_reports"));
    fs::copy(find_plugin_library("lifecycle_reports"), &target).unwrap();
    target.display().to_string()
}

/// `check`, `migrate` and `start` all refuse `lifecycle_reports` with the same line.
fn assert_refused_everywhere(server: &TestServer, plugins: &str, expected: &str) {
    let check = run_with_plugins(server, plugins, &["check"]);
    assert_eq!(check.code, 4, "{}", check.stderr);
    assert_eq!(check.line(), expected);
    let migrate = run_with_plugins(server, plugins, &["migrate"]);
    assert_eq!(migrate.code, 4, "{}", migrate.stderr);
    assert_eq!(migrate.line(), expected);
    let start = run_with_plugins(server, plugins, &["start", "--bind", "127.0.0.1:0"]);
    assert_eq!(start.code, 4, "{}", start.stderr);
    assert_eq!(start.line(), expected);
    for noise in ["panicked at", "stack backtrace"] {
        assert!(!check.stderr.contains(noise), "{}", check.stderr);
    }
}

#[test]
fn lifecycle_reports_is_refused_without_device_lifecycle() {
    for backend in backends("lifecycle_reports_is_refused_without_device_lifecycle") {
        let server = TestServer::builder().backend(backend).start();
        let file = install_reports(&server);
        assert_refused_everywhere(
            &server,
            "lifecycle_reports",
            &format!(
                "Error: Plugin 'lifecycle_reports' ({file}): dependency 'device_lifecycle' is \
                 missing: expected 'device_lifecycle' listed in PLUGINS, found PLUGINS = \
                 [\"lifecycle_reports\"]"
            ),
        );
    }
}

#[test]
fn lifecycle_reports_is_refused_with_device_lifecycle_0_9() {
    for backend in backends("lifecycle_reports_is_refused_with_device_lifecycle_0_9") {
        // The 0.9.0 fixture is a device_lifecycle library under another file name: give
        // it the plugin's file name, and it loads on its own.
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(library_file_name("device_lifecycle"));
        fs::copy(find_plugin_library("device_lifecycle_old"), &old).unwrap();
        let server = TestServer::builder().library(&old).backend(backend).start();
        let res = server.admin().get("/api/plugins/device-lifecycle/");
        assert_eq!(res.json()["version"], "0.9.0", "{}", res.body);
        let file = install_reports(&server);
        assert_refused_everywhere(
            &server,
            "device_lifecycle lifecycle_reports",
            &format!(
                "Error: Plugin 'lifecycle_reports' ({file}): dependency 'device_lifecycle' has \
                 an unsupported version: expected device_lifecycle >=1.0, <2, found \
                 device_lifecycle 0.9.0"
            ),
        );
        // The order of PLUGINS does not matter.
        let check = run_with_plugins(&server, "lifecycle_reports device_lifecycle", &["check"]);
        assert_eq!(check.code, 4, "{}", check.stderr);
        assert!(check.line().contains("found device_lifecycle 0.9.0"));
        assert!(Path::new(&file).is_file());
    }
}
