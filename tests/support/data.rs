//! Small steps many tests share: a location type and a location through the REST API,
//! signalling a process and waiting for it to exit.

use serde_json::{json, Value};

use super::{Client, Response};

/// Creates the location type `name` and answers its id.
pub fn location_type(api: &Client, name: &str) -> Value {
    let res = api.send_json("POST", "/api/dcim/location-types/", &json!({"name": name}));
    assert_eq!(res.status, 201, "{}", res.body);
    res.json()["id"].clone()
}

/// Posts an active location `name` of `location_type`; the response, whatever it is.
pub fn post_location(api: &Client, name: &str, location_type: &Value) -> Response {
    api.send_json(
        "POST",
        "/api/dcim/locations/",
        &json!({"name": name, "location_type": location_type, "status": "Active"}),
    )
}

/// Waits (at most `limit`) for `child` to exit and answers how it ended.
pub fn wait_for_exit(
    child: &mut std::process::Child,
    limit: std::time::Duration,
    what: &str,
) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("the process's status") {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "{what} did not exit");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Sends `signal` (`TERM`, `HUP` …) to process `pid`, as `kill -<signal>` would.
pub fn signal(pid: u32, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{signal} {pid} failed");
}
