//! The Data Validation Engine loaded into a real nautobot-server by the test kit, on
//! SQLite and (when reachable) PostgreSQL: rules created through the API, enforced on
//! core models from the API and the UI, for users without any permission on the rules,
//! and audited by the job.
//!
//! `cargo build -p nautobot-server && NAUTOBOT_SERVER_BIN=$PWD/target/debug/nautobot-server
//! cargo test -p data_validation`

use nautobot_plugin_test::{backends, Backend, Client, TestServer};
use serde_json::{json, Value};

const PLUGIN: &str = "data_validation";
const REGEX_RULES: &str = "/api/plugins/data-validation/regex-rules/";
const MIN_MAX_RULES: &str = "/api/plugins/data-validation/min-max-rules/";
const REQUIRED_RULES: &str = "/api/plugins/data-validation/required-rules/";
const UNIQUE_RULES: &str = "/api/plugins/data-validation/unique-rules/";
const LOCATIONS: &str = "/api/dcim/locations/";

fn start(backend: Backend) -> TestServer {
    TestServer::builder()
        .plugin(PLUGIN)
        .backend(backend)
        .start()
}

/// POSTs `body` to `path` and expects a 201; answers the object.
fn created(client: &Client, path: &str, body: Value) -> Value {
    let res = client.post_json(path, &body);
    assert_eq!(res.status, 201, "POST {path} {body}: {}", res.body);
    res.json()
}

/// The id of the location type `Site`, created on first use.
fn site_type(admin: &Client) -> String {
    let found = admin.get("/api/dcim/location-types/?name=Site").json();
    let id = match found["results"][0]["id"].as_str() {
        Some(id) => id.to_string(),
        None => created(admin, "/api/dcim/location-types/", json!({"name": "Site"}))["id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    assert!(!id.is_empty());
    id
}

/// A location body: the required fields and `extra`.
fn location(admin: &Client, name: &str, extra: Value) -> Value {
    let mut body = json!({"name": name, "location_type": site_type(admin), "status": "Active"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

fn id_of(object: &Value) -> String {
    object["id"].as_str().unwrap_or_default().to_string()
}

#[test]
fn each_kind_of_rule_is_created_and_listed_through_the_api() {
    for backend in backends("each_kind_of_rule_is_created_and_listed_through_the_api") {
        let server = start(backend);
        let admin = server.admin();
        let regex = created(
            &admin,
            REGEX_RULES,
            json!({"name": "site names", "content_type": "dcim.location", "field": "name",
                   "regular_expression": "^[A-Z]{3}[0-9]{2}$"}),
        );
        assert_eq!(regex["enabled"], true, "{regex}");
        assert_eq!(regex["error_message"], "");
        assert_eq!(
            regex["object_type"],
            "data_validation.regularexpressionrule"
        );
        let min_max = created(
            &admin,
            MIN_MAX_RULES,
            json!({"name": "asn range", "content_type": "dcim.location", "field": "asn",
                   "min": 64512, "max": 65534}),
        );
        assert_eq!(min_max["min"], 64512.0, "{min_max}");
        let required = created(
            &admin,
            REQUIRED_RULES,
            json!({"name": "facility", "content_type": "dcim.location", "field": "facility"}),
        );
        assert_eq!(required["field"], "facility");
        let unique = created(
            &admin,
            UNIQUE_RULES,
            json!({"name": "one per facility", "content_type": "dcim.location", "field": "facility"}),
        );
        assert_eq!(unique["max_instances"], 1, "{unique}");
        for path in [REGEX_RULES, MIN_MAX_RULES, REQUIRED_RULES, UNIQUE_RULES] {
            let list = admin.get(path);
            assert_eq!(list.status, 200, "{path}: {}", list.body);
            assert_eq!(list.json()["count"], 1, "{path}: {}", list.body);
        }
        // The generic UI pages, and the menu.
        for page in [
            "/plugins/data-validation/regex-rules/",
            "/plugins/data-validation/min-max-rules/add/",
            &format!("/plugins/data-validation/unique-rules/{}/", id_of(&unique)),
        ] {
            let res = admin.get_page(page);
            assert_eq!(res.status, 200, "{backend} {page}: {}", server.log());
        }
        let home = admin.get_page("/").body;
        for link in [
            "/plugins/data-validation/regex-rules/",
            "/plugins/data-validation/min-max-rules/",
            "/plugins/data-validation/required-rules/",
            "/plugins/data-validation/unique-rules/",
        ] {
            assert!(home.contains(link), "menu lacks {link}");
        }
    }
}

#[test]
fn a_regex_rule_is_enforced_on_api_writes_with_its_message() {
    for backend in backends("a_regex_rule_is_enforced_on_api_writes_with_its_message") {
        let server = start(backend);
        let admin = server.admin();
        // Without rules, writes pass.
        created(
            &admin,
            LOCATIONS,
            location(&admin, "anything goes", json!({})),
        );
        let rule = created(
            &admin,
            REGEX_RULES,
            json!({"name": "site names", "content_type": "dcim.location", "field": "name",
                   "regular_expression": "^[A-Z]{3}[0-9]{2}$",
                   "error_message": "Location names look like AMS01"}),
        );
        let res = admin.post_json(LOCATIONS, &location(&admin, "amsterdam", json!({})));
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json(),
            json!({"name": ["Location names look like AMS01"]})
        );
        let ams = created(&admin, LOCATIONS, location(&admin, "AMS01", json!({})));
        // Updates too: a PATCH of another field checks the whole object, a rename
        // that breaks the rule is refused.
        let one = format!("{LOCATIONS}{}/", id_of(&ams));
        let res = admin.patch_json(&one, &json!({"name": "ams-1"}));
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(res.json()["name"][0], "Location names look like AMS01");
        assert_eq!(
            admin.patch_json(&one, &json!({"description": "ok"})).status,
            200
        );

        // The default message names the pattern.
        let rule_url = format!("{REGEX_RULES}{}/", id_of(&rule));
        let res = admin.patch_json(&rule_url, &json!({"error_message": ""}));
        assert_eq!(res.status, 200, "{}", res.body);
        let res = admin.post_json(LOCATIONS, &location(&admin, "bad", json!({})));
        assert_eq!(res.status, 400);
        assert_eq!(
            res.json()["name"][0],
            "Value does not conform to regex: ^[A-Z]{3}[0-9]{2}$"
        );

        // Bulk writes are validated item by item: one bad item refuses the request.
        let res = admin.post_json(
            LOCATIONS,
            &json!([
                location(&admin, "LHR01", json!({})),
                location(&admin, "london", json!({}))
            ]),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json(),
            json!([{}, {"name": ["Value does not conform to regex: ^[A-Z]{3}[0-9]{2}$"]}])
        );
        assert_eq!(
            admin.get(&format!("{LOCATIONS}?name=LHR01")).json()["count"],
            0
        );

        // A disabled rule is not enforced.
        let res = admin.patch_json(&rule_url, &json!({"enabled": false}));
        assert_eq!(res.status, 200, "{}", res.body);
        created(&admin, LOCATIONS, location(&admin, "lower case", json!({})));
        // A rule on another model does not apply to locations.
        created(
            &admin,
            REGEX_RULES,
            json!({"name": "manufacturers", "content_type": "dcim.manufacturer", "field": "name",
                   "regular_expression": "^[A-Z]"}),
        );
        created(
            &admin,
            LOCATIONS,
            location(&admin, "still lower", json!({})),
        );
        let res = admin.post_json("/api/dcim/manufacturers/", &json!({"name": "acme"}));
        assert_eq!(res.status, 400, "{}", res.body);
        created(&admin, "/api/dcim/manufacturers/", json!({"name": "Acme"}));
    }
}

#[test]
fn min_max_required_and_unique_rules_are_enforced_together() {
    for backend in backends("min_max_required_and_unique_rules_are_enforced_together") {
        let server = start(backend);
        let admin = server.admin();
        created(
            &admin,
            MIN_MAX_RULES,
            json!({"name": "private asn", "content_type": "dcim.location", "field": "asn",
                   "min": 64512, "max": 65534, "error_message": "Use a private ASN"}),
        );
        created(
            &admin,
            REQUIRED_RULES,
            json!({"name": "facility required", "content_type": "dcim.location",
                   "field": "facility", "error_message": "Say where it is"}),
        );
        created(
            &admin,
            UNIQUE_RULES,
            json!({"name": "facility unique", "content_type": "dcim.location",
                   "field": "facility", "max_instances": 2,
                   "error_message": "Two locations per facility at most"}),
        );
        // Every violation at once, each on its field.
        let res = admin.post_json(LOCATIONS, &location(&admin, "a", json!({"asn": 1})));
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json(),
            json!({"asn": ["Use a private ASN"], "facility": ["Say where it is"]})
        );
        // Bounds are inclusive; an empty optional number is not checked.
        let a = created(
            &admin,
            LOCATIONS,
            location(&admin, "a", json!({"asn": 64512, "facility": "NY7"})),
        );
        created(
            &admin,
            LOCATIONS,
            location(&admin, "b", json!({"asn": 65534, "facility": "NY7"})),
        );
        let res = admin.post_json(
            LOCATIONS,
            &location(&admin, "c", json!({"asn": 65535, "facility": "NY7"})),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json(),
            json!({"asn": ["Use a private ASN"], "facility": ["Two locations per facility at most"]})
        );
        let c = created(
            &admin,
            LOCATIONS,
            location(&admin, "c", json!({"facility": "LD5"})),
        );
        // An update of an object keeps its own value: it does not count itself.
        let a_url = format!("{LOCATIONS}{}/", id_of(&a));
        assert_eq!(
            admin
                .patch_json(&a_url, &json!({"description": "first"}))
                .status,
            200
        );
        // Moving a third location to the full facility is refused; emptying a
        // required field too.
        let c_url = format!("{LOCATIONS}{}/", id_of(&c));
        let res = admin.patch_json(&c_url, &json!({"facility": "NY7"}));
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json()["facility"][0],
            "Two locations per facility at most"
        );
        let res = admin.patch_json(&a_url, &json!({"facility": ""}));
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(res.json()["facility"][0], "Say where it is");
        // A numeric value given as a string is compared as a number.
        let res = admin.patch_json(&c_url, &json!({"asn": "70000"}));
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(res.json()["asn"][0], "Use a private ASN");
        assert_eq!(
            admin.patch_json(&c_url, &json!({"asn": "65000"})).status,
            200
        );
    }
}

#[test]
fn invalid_rules_are_refused() {
    for backend in backends("invalid_rules_are_refused") {
        let server = start(backend);
        let admin = server.admin();
        let res = admin.post_json(
            REGEX_RULES,
            &json!({"name": "broken", "content_type": "dcim.location", "field": "name",
                    "regular_expression": "^(unclosed"}),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        let message = res.json()["regular_expression"][0]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            message.starts_with("Invalid regular expression: ") && message.contains("unclosed"),
            "{}",
            res.body
        );
        let res = admin.post_json(
            REGEX_RULES,
            &json!({"name": "no model", "content_type": "location", "field": "Name",
                    "regular_expression": "x"}),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        let body = res.json();
        assert!(
            body["content_type"].is_array() && body["field"].is_array(),
            "{body}"
        );
        let res = admin.post_json(
            REQUIRED_RULES,
            &json!({"name": "unknown", "content_type": "dcim.nothing", "field": "name"}),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json(),
            json!({"content_type": ["There is no model dcim.nothing."]})
        );
        let res = admin.post_json(
            REQUIRED_RULES,
            &json!({"name": "unknown field", "content_type": "dcim.location", "field": "colour"}),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json(),
            json!({"field": ["Model dcim.location has no field colour."]})
        );
        let res = admin.post_json(
            MIN_MAX_RULES,
            &json!({"name": "backwards", "content_type": "dcim.location", "field": "asn",
                    "min": 10, "max": 1}),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert!(res.json()["min"].is_array(), "{}", res.body);
        let res = admin.post_json(
            MIN_MAX_RULES,
            &json!({"name": "open", "content_type": "dcim.location", "field": "asn"}),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert!(res.json()["__all__"].is_array(), "{}", res.body);
        let res = admin.post_json(
            UNIQUE_RULES,
            &json!({"name": "none", "content_type": "dcim.location", "field": "name",
                    "max_instances": 0}),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert!(res.json()["max_instances"].is_array(), "{}", res.body);
        for path in [REGEX_RULES, MIN_MAX_RULES, REQUIRED_RULES, UNIQUE_RULES] {
            assert_eq!(admin.get(path).json()["count"], 0, "{path}");
        }
        // An invalid pattern is refused on update too.
        let ok = created(
            &admin,
            REGEX_RULES,
            json!({"name": "fine", "content_type": "dcim.location", "field": "name",
                   "regular_expression": "^a"}),
        );
        let res = admin.patch_json(
            &format!("{REGEX_RULES}{}/", id_of(&ok)),
            &json!({"regular_expression": "[z-a]"}),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert!(res.json()["regular_expression"].is_array(), "{}", res.body);
    }
}

#[test]
fn the_ui_form_shows_the_message_on_the_field() {
    for backend in backends("the_ui_form_shows_the_message_on_the_field") {
        let server = start(backend);
        let admin = server.admin();
        let site = site_type(&admin);
        let active = admin.get("/api/extras/statuses/?name=Active").json()["results"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        created(
            &admin,
            REGEX_RULES,
            json!({"name": "site names", "content_type": "dcim.location", "field": "name",
                   "regular_expression": "^[A-Z]{3}[0-9]{2}$",
                   "error_message": "Location names look like AMS01"}),
        );
        let res = admin.post_form(
            "/dcim/locations/add/",
            &[
                ("location_type", &site),
                ("status", &active),
                ("name", "amsterdam"),
            ],
        );
        assert_eq!(res.status, 200, "{}", res.body);
        assert!(
            res.body
                .contains("<div class=\"field-error\">Location names look like AMS01</div>"),
            "{}",
            res.body
        );
        assert_eq!(admin.get(LOCATIONS).json()["count"], 0);
        let res = admin.post_form(
            "/dcim/locations/add/",
            &[
                ("location_type", &site),
                ("status", &active),
                ("name", "AMS01"),
            ],
        );
        assert_eq!(res.status, 302, "{}", res.body);
        assert_eq!(admin.get(LOCATIONS).json()["count"], 1);

        // The rules' own add form shows the regex error on its field.
        let res = admin.post_form(
            "/plugins/data-validation/regex-rules/add/",
            &[
                ("name", "broken"),
                ("content_type", "dcim.location"),
                ("field", "name"),
                ("regular_expression", "(("),
                ("enabled", "on"),
            ],
        );
        assert_eq!(res.status, 200, "{}", res.body);
        assert!(
            res.body
                .contains("<div class=\"field-error\">Invalid regular expression:"),
            "{}",
            res.body
        );
    }
}

#[test]
fn users_without_rule_permissions_are_still_validated() {
    for backend in backends("users_without_rule_permissions_are_still_validated") {
        let server = start(backend);
        let admin = server.admin();
        let site = site_type(&admin);
        created(
            &admin,
            REGEX_RULES,
            json!({"name": "site names", "content_type": "dcim.location", "field": "name",
                   "regular_expression": "^[A-Z]{3}[0-9]{2}$",
                   "error_message": "Location names look like AMS01"}),
        );
        created(
            &admin,
            UNIQUE_RULES,
            json!({"name": "facility unique", "content_type": "dcim.location",
                   "field": "facility"}),
        );
        created(
            &admin,
            LOCATIONS,
            location(&admin, "LHR01", json!({"facility": "Slough"})),
        );
        let bob = server.user_with_permissions("bob", &["dcim.add_location", "dcim.view_location"]);
        // Bob cannot see the rules…
        assert_eq!(bob.get(REGEX_RULES).status, 403);
        // …but they apply to him.
        let body = json!({"name": "paris", "location_type": site, "status": "Active"});
        let res = bob.post_json(LOCATIONS, &body);
        assert_eq!(res.status, 400, "{}\n{}", res.body, server.log());
        assert_eq!(
            res.json(),
            json!({"name": ["Location names look like AMS01"]})
        );
        let body = json!({"name": "PAR01", "location_type": site, "status": "Active",
                          "facility": "Slough"});
        let res = bob.post_json(LOCATIONS, &body);
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json(),
            json!({"facility": ["There can only be 1 instance(s) with this value."]})
        );
        let body = json!({"name": "PAR01", "location_type": site, "status": "Active",
                          "facility": "Interxion"});
        let res = bob.post_json(LOCATIONS, &body);
        assert_eq!(res.status, 201, "{}", res.body);
        // A unique rule reads the model's other objects as the acting user: without
        // their view permission the write is refused, with the host's reason.
        let carol = server.user_with_permissions("carol", &["dcim.add_location"]);
        let body = json!({"name": "FRA01", "location_type": site, "status": "Active",
                          "facility": "Equinix FR5"});
        let res = carol.post_json(LOCATIONS, &body);
        assert_eq!(res.status, 403, "{}", res.body);
        assert_eq!(
            res.json(),
            json!({"detail": "the user may not view locations"})
        );
        // Without a facility there is nothing to compare, and nothing to read.
        let body = json!({"name": "FRA01", "location_type": site, "status": "Active"});
        assert_eq!(carol.post_json(LOCATIONS, &body).status, 201);
        // Nor can he change them: the validator only reads.
        let res = bob.post_json(
            REGEX_RULES,
            &json!({"name": "mine", "content_type": "dcim.location", "field": "name",
                    "regular_expression": "."}),
        );
        assert_eq!(res.status, 403, "{}", res.body);
    }
}

#[test]
fn the_audit_job_finds_existing_violations() {
    for backend in backends("the_audit_job_finds_existing_violations") {
        let server = start(backend);
        let admin = server.admin();
        // Nothing to audit yet.
        let run = server.run_job("data_validation.audit_rules", json!({}));
        assert_eq!(
            run.status,
            "success",
            "{:?}\n{}",
            run.messages(),
            server.worker_log()
        );
        assert_eq!(run.result["violations"], 0, "{}", run.result);

        // Objects first, then the rules they break.
        let good = created(
            &admin,
            LOCATIONS,
            location(&admin, "AMS01", json!({"facility": "X"})),
        );
        let bad = created(
            &admin,
            LOCATIONS,
            location(&admin, "paris", json!({"facility": "X"})),
        );
        let no_facility = created(&admin, LOCATIONS, location(&admin, "LHR01", json!({})));
        created(
            &admin,
            REGEX_RULES,
            json!({"name": "site names", "content_type": "dcim.location", "field": "name",
                   "regular_expression": "^[A-Z]{3}[0-9]{2}$",
                   "error_message": "Location names look like AMS01"}),
        );
        created(
            &admin,
            REQUIRED_RULES,
            json!({"name": "facility required", "content_type": "dcim.location",
                   "field": "facility"}),
        );
        created(
            &admin,
            UNIQUE_RULES,
            json!({"name": "facility unique", "content_type": "dcim.location",
                   "field": "facility"}),
        );
        created(
            &admin,
            MIN_MAX_RULES,
            json!({"name": "disabled", "content_type": "dcim.location", "field": "asn",
                   "min": 1, "enabled": false}),
        );
        let run = server.run_job("data_validation.audit_rules", json!({}));
        assert_eq!(
            run.status,
            "success",
            "{:?}\n{}",
            run.messages(),
            server.worker_log()
        );
        // paris breaks the regex; LHR01 lacks a facility; AMS01 and paris share one.
        assert_eq!(
            run.result,
            json!({"rules": 3, "models": 1, "objects_checked": 3,
                   "objects_with_violations": 3, "violations": 4}),
            "{:?}",
            run.messages()
        );
        let failures: Vec<&Value> = run
            .log
            .iter()
            .filter(|e| e["log_level"]["value"] == "failure" || e["log_level"] == "failure")
            .collect();
        assert_eq!(failures.len(), 5, "{:?}", run.messages());
        let about = |object: &Value, needle: &str| {
            failures.iter().any(|e| {
                e["log_object"] == object["display"]
                    && e["absolute_url"]
                        .as_str()
                        .is_some_and(|u| u.contains(&id_of(object)))
                    && e["message"].as_str().is_some_and(|m| m.contains(needle))
            })
        };
        assert!(
            about(&bad, "Location names look like AMS01"),
            "{:?}",
            run.log
        );
        assert!(
            about(&no_facility, "This field cannot be blank."),
            "{:?}",
            run.log
        );
        assert!(
            about(&good, "There can only be 1 instance(s)"),
            "{:?}",
            run.log
        );
        assert!(
            about(&bad, "There can only be 1 instance(s)"),
            "{:?}",
            run.log
        );
        assert!(
            run.messages()
                .iter()
                .any(|m| m.starts_with("failure: 4 violations in 3 objects")),
            "{:?}",
            run.messages()
        );
        // The result page links each entry to its object's page (the host maps the API
        // URL a job logs to the UI page, as for every job log entry).
        let page = admin.get_page(&format!("/extras/job-results/{}/", run.id));
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(&format!(
                "<a href=\"/dcim/locations/{}/\">paris</a>",
                id_of(&bad)
            )),
            "{}",
            page.body
        );
    }
}

#[test]
fn rules_apply_to_the_rule_models_themselves() {
    for backend in backends("rules_apply_to_the_rule_models_themselves") {
        let server = start(backend);
        let admin = server.admin();
        created(
            &admin,
            REGEX_RULES,
            json!({"name": "rq names", "content_type": "data_validation.requiredrule",
                   "field": "name", "regular_expression": "^rq-",
                   "error_message": "Required rules are named rq-…"}),
        );
        let res = admin.post_json(
            REQUIRED_RULES,
            &json!({"name": "description", "content_type": "dcim.location", "field": "description"}),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json(),
            json!({"name": ["Required rules are named rq-…"]})
        );
        created(
            &admin,
            REQUIRED_RULES,
            json!({"name": "rq-description", "content_type": "dcim.location",
                   "field": "description"}),
        );
        // Rules on plugin models other than the engine's own work the same way.
        created(
            &admin,
            UNIQUE_RULES,
            json!({"name": "one message", "content_type": "data_validation.uniquerule",
                   "field": "error_message", "error_message": "Reuse the other rule"}),
        );
        created(
            &admin,
            UNIQUE_RULES,
            json!({"name": "u1", "content_type": "dcim.location", "field": "facility",
                   "error_message": "same"}),
        );
        let res = admin.post_json(
            UNIQUE_RULES,
            &json!({"name": "u2", "content_type": "dcim.location", "field": "time_zone",
                    "error_message": "same"}),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json(),
            json!({"error_message": ["Reuse the other rule"]})
        );
        let res = admin.post_json(
            LOCATIONS,
            &location(&admin, "x", json!({"description": ""})),
        );
        assert_eq!(res.status, 400, "{}", res.body);
        assert_eq!(
            res.json(),
            json!({"description": ["This field cannot be blank."]})
        );
    }
}

#[test]
fn the_audit_walks_every_page_of_a_large_model() {
    for backend in backends("the_audit_walks_every_page_of_a_large_model") {
        let server = start(backend);
        let admin = server.admin();
        let site = site_type(&admin);
        // 2,100 locations (more than two pages of 1,000), every 100th badly named.
        for batch in 0..3 {
            let items: Vec<Value> = (0..700)
                .map(|i| {
                    let n = batch * 700 + i;
                    let name = if n % 100 == 0 {
                        format!("bad {n}")
                    } else {
                        format!("L{n:05}")
                    };
                    json!({"name": name, "location_type": site, "status": "Active"})
                })
                .collect();
            let res = admin.post_json(LOCATIONS, &Value::Array(items));
            assert_eq!(res.status, 201, "{}", &res.body[..res.body.len().min(500)]);
        }
        created(
            &admin,
            REGEX_RULES,
            json!({"name": "names", "content_type": "dcim.location", "field": "name",
                   "regular_expression": "^L[0-9]+$"}),
        );
        let run = server.run_job("data_validation.audit_rules", json!({}));
        assert_eq!(
            run.status,
            "success",
            "{:?}\n{}",
            run.messages(),
            server.worker_log()
        );
        assert_eq!(run.result["objects_checked"], 2100, "{}", run.result);
        assert_eq!(run.result["violations"], 21, "{}", run.result);
        assert_eq!(run.result["objects_with_violations"], 21, "{}", run.result);
    }
}
