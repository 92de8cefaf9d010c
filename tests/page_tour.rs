//! The page tour: headless Chromium at 1280 × 900 visits every page of the web UI — each
//! core and plugin list, detail, add and edit page (and the import, change log and delete
//! pages, one template each, of one model of the core and of each plugin), the home page,
//! the jobs and job results, the installed plugins, the plugins' own views and the
//! browsable API (a list, an index and a plugin's list) — with
//! the small sample network loaded, a job run and a user group, permission and scheduled job
//! in place, so that every list has rows and every detail page an object. The pages come
//! from the server's own route table (`nautobot-server show-urls --json`): a page added
//! later is toured without touching this file, and a route the tour cannot fill in fails
//! it.
//!
//! On every page it asserts what a user would notice:
//! - the page answers 200 where it was asked for (no redirect, no error page);
//! - the page does not scroll sideways, and no table runs out of its card;
//! - the console shows no error and no asset (stylesheet, script, image) fails to load;
//! - axe-core, run inside the page, reports no serious or critical accessibility
//!   violation (on the SQLite tour: it judges markup and styles, the same on either
//!   database).
//!
//! Two browsers tour side by side ([`BROWSERS`]), each logged in and given every other
//! page. A screenshot of each page is written to `target/screenshots/page_tour/<backend>/`
//! (`NAUTOBOT_TEST_SCREENSHOTS` overrides the `target/screenshots` part), numbered in the
//! tour's order, so a reviewer can look through them. Every problem found is collected
//! and reported together at the end.
//!
//! Needs Chromium and ChromeDriver (`scripts/install-deps --browser`) and axe-core, which
//! `scripts/test` installs with npm into `target/browser-tools` (`NAUTOBOT_TEST_AXE` names
//! another `axe.min.js`); without them the test is skipped with a printed reason, except
//! under `CI=true`.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Duration,
};

use serde_json::{json, Value};
use support::{
    both_backends, paths, webdriver::Browser, Backend, Client, Root, ADMIN_TOKEN, SHIPPED_PLUGINS,
};

both_backends!(every_page_is_clean);

/// GET routes of the UI that are not pages to look at, and why.
const NOT_PAGES: &[(&str, &str)] = &[
    ("/health/", "a health check answering JSON"),
    ("/logout/", "logs the user out"),
    ("/login/", "visited before logging in"),
    ("/admin/", "a permanent redirect to /users/users/"),
    ("/admin/users/", "a permanent redirect to /users/users/"),
    ("/admin/users/{tail:.*}", "permanent redirects to /users/…"),
    (
        "/user/api-tokens/",
        "a permanent redirect to /users/tokens/",
    ),
    ("/extras/jobs/{id}/enable/", "a form action (POST)"),
    (
        "/plugins/example-plugin/go/",
        "a redirect to the example plugin's home",
    ),
    (
        "/plugins/example-plugin/export.txt",
        "a text download, not a page",
    ),
];

/// API pages the tour opens in the browser, which renders them as the browsable API (the
/// route table's `/api/` routes answer JSON to clients; one of each kind is enough).
const BROWSABLE_API: &[&str] = &[
    "/api/",
    "/api/dcim/locations/",
    "/api/plugins/example-plugin/example-models/",
];

/// How long axe-core may take on one page.
const AXE_TIMEOUT: Duration = Duration::from_secs(60);

/// Browsers touring side by side, each a share of the pages (each page is visited once).
const BROWSERS: usize = 2;

/// The axe-core script, or `None` after printing why the test is skipped (a failure
/// under `CI=true`).
fn axe_source_or_skip(test: &str) -> Option<String> {
    let path = std::env::var_os("NAUTOBOT_TEST_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("browser-tools/node_modules/axe-core/axe.min.js"));
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            let reason = format!(
                "axe-core is not installed at {} ({e}): scripts/test installs it with npm \
                 (npm ci in target/browser-tools), or set NAUTOBOT_TEST_AXE",
                path.display()
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{test} needs axe-core under CI=true: {reason}");
            }
            println!("SKIPPED {test} : {reason}");
            None
        }
    }
}

/// `target/`.
fn target_dir() -> PathBuf {
    paths::profile_dir()
        .parent()
        .expect("target/<profile> has a parent")
        .to_path_buf()
}

/// The folder the screenshots of this run go to, emptied.
fn screenshot_dir(backend: Backend) -> PathBuf {
    let base = std::env::var_os("NAUTOBOT_TEST_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("screenshots"));
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let dir = base.join("page_tour").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Sends `body` to the API and returns the reply's JSON, failing on any status but
/// `expect`.
fn api_send(api: &Client, method: &str, path: &str, body: &Value, expect: u16) -> Value {
    let res = api.send_json(method, path, body);
    assert_eq!(res.status, expect, "{method} {path}: {}", res.body);
    res.json()
}

/// Puts in place what the sample network lacks, so that every list has a row: a job
/// run with its log, a scheduled job, data validation rules, a user group and an object
/// permission.
fn add_the_rest(root: &Root, api: &Client) {
    let jobs = api.get("/api/extras/jobs/?limit=100").json();
    let job_id = |class: &str| -> String {
        jobs["results"]
            .as_array()
            .and_then(|all| all.iter().find(|j| j["job_class_name"] == class))
            .and_then(|j| j["id"].as_str())
            .unwrap_or_else(|| panic!("no job {class} in {jobs}"))
            .to_string()
    };
    let count = job_id("example_count_models");
    api_send(
        api,
        "PATCH",
        &format!("/api/extras/jobs/{count}/"),
        &json!({"enabled": true}),
        200,
    );
    api_send(
        api,
        "POST",
        &format!("/api/extras/jobs/{count}/run/"),
        &json!({"data": {}}),
        201,
    );
    api_send(
        api,
        "POST",
        &format!("/api/extras/jobs/{count}/run/"),
        &json!({"data": {}, "schedule": {
            "name": "Nightly count",
            "start_time": "2099-01-01T02:00:00Z",
            "interval": "daily",
        }}),
        201,
    );
    root.run(&["worker", "--burst"]).success();
    // One rule of each kind of the data validation plugin (they judge later writes only).
    for (rules, rule) in [
        (
            "regex-rules",
            json!({"name": "Location names", "content_type": "dcim.location", "field": "name",
                   "regular_expression": "^[A-Za-z0-9 -]+$"}),
        ),
        (
            "min-max-rules",
            json!({"name": "Private ASNs", "content_type": "dcim.location", "field": "asn",
                   "min": 64512, "max": 65534}),
        ),
        (
            "required-rules",
            json!({"name": "Facility", "content_type": "dcim.location", "field": "facility"}),
        ),
        (
            "unique-rules",
            json!({"name": "One per facility", "content_type": "dcim.location",
                   "field": "facility"}),
        ),
    ] {
        api_send(
            api,
            "POST",
            &format!("/api/plugins/data-validation/{rules}/"),
            &rule,
            201,
        );
    }
    // Custom fields on locations: a text field in a group and a selection with choices
    // (every location page then shows the panel and the inputs).
    api_send(
        api,
        "POST",
        "/api/extras/custom-fields/",
        &json!({"label": "Circuit ID", "content_types": ["dcim.location"],
               "grouping": "Provider", "description": "The provider's <id>"}),
        201,
    );
    let tier = api_send(
        api,
        "POST",
        "/api/extras/custom-fields/",
        &json!({"label": "Tier", "type": "select", "content_types": ["dcim.location"]}),
        201,
    );
    for value in ["gold", "<silver>"] {
        api_send(
            api,
            "POST",
            "/api/extras/custom-field-choices/",
            &json!({"custom_field": tier["id"], "value": value}),
            201,
        );
    }
    api_send(
        api,
        "POST",
        "/api/extras/computed-fields/",
        &json!({"label": "Shout", "content_type": "dcim.location",
               "template": "<b>{{ obj.name | upper }}</b>"}),
        201,
    );
    // A config context for every device, checked by a schema (the devices' Config
    // Context tab then shows data and its source).
    let schema = api_send(
        api,
        "POST",
        "/api/extras/config-context-schemas/",
        &json!({"name": "NTP", "data_schema": {"type": "object", "properties": {"ntp": {"type": "array"}}}}),
        201,
    );
    api_send(
        api,
        "POST",
        "/api/extras/config-contexts/",
        &json!({"name": "Everywhere", "config_context_schema": schema["id"],
               "data": {"ntp": ["192.0.2.1", "<192.0.2.2>"], "banner": "a long line of text that has to wrap inside its panel rather than widen the page"}}),
        201,
    );
    // A relationship between locations and VLANs with one association (every location
    // page then shows the Relationships panel; the first has a linked VLAN).
    let relationship = api_send(
        api,
        "POST",
        "/api/extras/relationships/",
        &json!({"label": "Site VLANs", "source_type": "dcim.location", "destination_type": "ipam.vlan",
               "destination_label": "Served <VLANs>"}),
        201,
    );
    let first = |path: &str| -> Value {
        api.get(&format!("{path}?limit=1")).json()["results"][0]["id"].clone()
    };
    api_send(
        api,
        "POST",
        "/api/extras/relationship-associations/",
        &json!({"relationship": relationship["id"], "source_type": "dcim.location",
               "source_id": first("/api/dcim/locations/"), "destination_type": "ipam.vlan",
               "destination_id": first("/api/ipam/vlans/")}),
        201,
    );
    let group = api_send(
        api,
        "POST",
        "/api/users/groups/",
        &json!({"name": "Network engineers"}),
        201,
    );
    api_send(
        api,
        "POST",
        "/api/users/permissions/",
        &json!({
            "name": "Engineers edit devices",
            "object_types": ["dcim.device"],
            "actions": ["view", "change"],
            "groups": [group["id"]],
        }),
        201,
    );
}

/// The API list behind a UI page prefix: `/dcim/devices/` → `/api/dcim/devices/`,
/// `/plugins/x/things/` → `/api/plugins/x/things/`.
fn api_list_of(ui_prefix: &str) -> String {
    format!("/api{ui_prefix}")
}

/// The pages to visit, in order: every GET route of the UI not in [`NOT_PAGES`], with its
/// parameters filled from the data.
fn pages(routes: &Value, api: &Client) -> Vec<String> {
    let mut first_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut first_id = |prefix: &str| -> String {
        first_ids
            .entry(prefix.to_string())
            .or_insert_with(|| {
                let list = api_list_of(prefix);
                let res = api.get(&format!("{list}?limit=1"));
                assert_eq!(res.status, 200, "{list}: {}", res.body);
                res.json()["results"][0]["id"]
                    .as_str()
                    .unwrap_or_else(|| {
                        panic!(
                            "the tour has no object for the pages under {prefix}: {list} is \
                             empty — add one in add_the_rest"
                        )
                    })
                    .to_string()
            })
            .clone()
    };
    let mut pages = Vec::new();
    let mut sampled = std::collections::BTreeSet::new();
    for route in routes.as_array().expect("show-urls --json is a list") {
        let path = route["path"].as_str().expect("a route has a path");
        let is_get = route["methods"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["method"] == "GET"));
        if !is_get
            || path.starts_with("/api/")
            || path.starts_with("/static/")
            || NOT_PAGES.iter().any(|(p, _)| *p == path)
        {
            continue;
        }
        // Bulk edit and delete take the selected rows by POST; a GET goes back to the list.
        if (path.ends_with("/edit/") || path.ends_with("/delete/")) && !path.contains('{') {
            continue;
        }
        // Every list, detail, add and edit page is visited. The import, change log and
        // delete pages are one template each whatever the model: they are visited for
        // the first model of the core and of each plugin.
        let owner = route["owner"].as_str().unwrap_or_default();
        if let Some(kind) = ["/import/", "/changelog/", "{id}/delete/"]
            .into_iter()
            .find(|kind| path.ends_with(kind))
        {
            if !sampled.insert((owner.to_string(), kind)) {
                continue;
            }
        }
        let page = if let Some((prefix, rest)) = path.split_once("{id}") {
            format!("{prefix}{}{rest}", first_id(prefix))
        } else if let Some((prefix, rest)) = path.split_once("{pk}") {
            // The example plugin's item view takes an example model's id.
            let models = "/plugins/example-plugin/example-models/";
            assert_eq!(
                prefix, "/plugins/example-plugin/items/",
                "an unknown {{pk}} route"
            );
            format!("{prefix}{}{rest}", first_id(models))
        } else if let Some((prefix, rest)) = path.split_once("{name}") {
            format!("{prefix}example_plugin{rest}")
        } else {
            assert!(
                !path.contains('{'),
                "the tour cannot fill in the route {path}: teach pages() or list it in NOT_PAGES"
            );
            path.to_string()
        };
        if !pages.contains(&page) {
            pages.push(page);
        }
    }
    pages
}

/// What the page-level checks found, as `(kind, detail)`.
const CHECK_PAGE: &str = r#"
const problems = [];
const nav = performance.getEntriesByType('navigation')[0];
if (nav && nav.responseStatus !== 200) {
    problems.push(['status', 'the page answered ' + nav.responseStatus]);
}
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth) {
    const wide = [...document.body.querySelectorAll('*')]
        .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
        .slice(0, 3)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
             (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''));
    problems.push(['overflow', 'the page is ' + root.scrollWidth + ' px wide in a ' +
        root.clientWidth + ' px window; widest: ' + wide.join(', ')]);
}
for (const table of document.querySelectorAll('table')) {
    let box = table.parentElement;
    while (box && box !== document.body && getComputedStyle(box).overflowX === 'visible' &&
           !box.matches('.panel, .card, main, .content')) {
        box = box.parentElement;
    }
    if (!box || box === document.body) continue;
    const clipped = getComputedStyle(box).overflowX !== 'visible';
    if (!clipped && table.getBoundingClientRect().right > box.getBoundingClientRect().right + 1) {
        problems.push(['table', 'a table' + (table.id ? ' #' + table.id : '') +
            ' runs out of its ' + box.tagName.toLowerCase() + '.' + box.className]);
    }
}
for (const r of performance.getEntriesByType('resource')) {
    if (r.responseStatus >= 400) {
        problems.push(['asset', r.name + ' answered ' + r.responseStatus]);
    }
}
return problems;
"#;

/// Runs axe-core (already injected) and returns its serious and critical violations.
/// Table rows after the tenth repeat the markup of the first ten: axe skips them (its
/// time grows with the elements it judges), the other checks see every row.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run({exclude: [['tbody > tr:nth-child(n+11)']]}, {resultTypes: ['violations']})
  .then(result => done(result.violations
      .filter(v => v.impact === 'serious' || v.impact === 'critical')
      .map(v => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.length,
          examples: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' +
              n.html.slice(0, 160) + (n.failureSummary ? ' — ' +
              n.failureSummary.replace(/\s+/g, ' ').slice(0, 200) : '')),
      }))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: 0, examples: []}]));
"#;

/// Visits `path`, saves its screenshot as `shot`, and returns what is wrong with it.
fn check_page(browser: &Browser, base: &str, path: &str, shot: &Path, axe: bool) -> Vec<String> {
    browser.navigate(&format!("{base}{path}"));
    let mut problems = Vec::new();
    let landed = browser.current_url_parsed();
    let landed = match landed.query() {
        Some(q) => format!("{}?{q}", landed.path()),
        None => landed.path().to_string(),
    };
    if landed != path {
        problems.push(format!("redirected to {landed}"));
    }
    let found = browser.execute_script(CHECK_PAGE, vec![]);
    for item in found.as_array().into_iter().flatten() {
        problems.push(format!(
            "{}: {}",
            item[0].as_str().unwrap_or_default(),
            item[1].as_str().unwrap_or_default()
        ));
    }
    match browser.console_log() {
        Some(entries) => {
            for (level, message) in entries {
                if level == "SEVERE" {
                    problems.push(format!("console error: {message}"));
                }
            }
        }
        None => problems.push("the console could not be read (chromedriver's /se/log)".into()),
    }
    let injected = if axe {
        browser.execute_script("return typeof axe;", vec![])
    } else {
        Value::Null
    };
    if !axe {
        // Not judged on this database (see every_page_is_clean).
    } else if injected != "object" {
        problems.push(format!("axe-core did not load in the page ({injected})"));
    } else {
        let violations = browser.execute_async_script(RUN_AXE, vec![], AXE_TIMEOUT);
        for v in violations.as_array().into_iter().flatten() {
            let examples: Vec<String> = v["examples"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(|e| format!("\n        {e}")))
                .collect();
            problems.push(format!(
                "accessibility ({} {}): {} on {} element(s){}",
                v["impact"].as_str().unwrap_or_default(),
                v["id"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default(),
                v["nodes"],
                examples.concat()
            ));
        }
    }
    let png = browser.screenshot();
    std::fs::write(shot, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", shot.display()));
    problems
}

/// A file name for the screenshot of the `n`th page, `path`.
fn shot_name(n: usize, path: &str) -> String {
    let slug: String = path
        .trim_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = if slug.is_empty() {
        "home".to_string()
    } else {
        slug
    };
    format!("{n:03}-{slug}.png")
}

fn every_page_is_clean(backend: Backend) {
    let test = format!("every_page_is_clean on {backend:?}");
    let Some(axe) = axe_source_or_skip(&test) else {
        return;
    };
    let Some(browser) = Browser::start_or_skip(&test) else {
        return;
    };
    let mut root = Root::new(backend);
    // The plugins the demo installs: the tour covers their pages too.
    root.plugins(&SHIPPED_PLUGINS);
    root.install();
    root.run(&["load-sample-data", "--scale", "small"])
        .success();
    let server = root.start();
    let base = server.base_url();
    let api = server.client().with_token(ADMIN_TOKEN);
    add_the_rest(&root, &api);
    let routes: Value = serde_json::from_str(&root.run(&["show-urls", "--json"]).success().stdout)
        .expect("show-urls --json prints JSON");
    let mut pages = pages(&routes, &api);
    // The REST API as a browser sees it: its browsable rendering.
    pages.extend(BROWSABLE_API.iter().map(|p| p.to_string()));
    assert!(
        pages.len() > 120,
        "only {} pages to tour: {pages:?}",
        pages.len()
    );

    // axe-core runs in every page a browser opens from here on. It judges markup and
    // styles, which are the same on either database: it runs on the SQLite tour only,
    // every other check on both.
    let judge = backend == Backend::Sqlite;
    let shots = screenshot_dir(backend);
    println!(
        "{test}: screenshots of {} pages in {}",
        pages.len() + 1,
        shots.display()
    );

    // BROWSERS browsers side by side, each logged in and given every BROWSERS-th page;
    // the first also checks the login page, as everyone first sees it.
    let mut first = Some(browser);
    let mut report: Vec<(usize, String, Vec<String>)> = std::thread::scope(|scope| {
        let tours: Vec<_> = (0..BROWSERS)
            .map(|k| {
                let browser = first.take();
                let (pages, base, shots, axe) = (&pages, &base, &shots, &axe);
                scope.spawn(move || {
                    let browser = browser.unwrap_or_else(Browser::start);
                    if judge {
                        browser.add_script_to_new_documents(axe);
                    }
                    let mut report = Vec::new();
                    if k == 0 {
                        let shot = shots.join(shot_name(0, "login"));
                        let problems = check_page(&browser, base, "/login/", &shot, judge);
                        report.push((0, "/login/".to_string(), problems));
                    } else {
                        browser.navigate(&format!("{base}/login/"));
                    }
                    browser.send_keys(&browser.find("#id_username"), "admin");
                    browser.send_keys(&browser.find("#id_password"), "admin");
                    browser.click(&browser.find("#login-submit"));
                    browser.wait_for_path("/");
                    for (n, path) in pages.iter().enumerate().skip(k).step_by(BROWSERS) {
                        let shot = shots.join(shot_name(n + 1, path));
                        let problems = check_page(&browser, base, path, &shot, judge);
                        report.push((n + 1, path.clone(), problems));
                    }
                    report
                })
            })
            .collect();
        tours
            .into_iter()
            .flat_map(|tour| tour.join().expect("a browser's tour"))
            .collect()
    });
    report.sort_by_key(|(n, _, _)| *n);

    let bad: Vec<String> = report
        .iter()
        .filter(|(_, _, problems)| !problems.is_empty())
        .map(|(_, path, problems)| format!("{path}\n    {}", problems.join("\n    ")))
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {} pages have problems (screenshots in {}):\n{}",
        bad.len(),
        report.len(),
        shots.display(),
        bad.join("\n")
    );
}
