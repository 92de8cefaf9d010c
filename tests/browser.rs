//! A real browser against the real server: headless Chromium, driven through
//! ChromeDriver's W3C WebDriver protocol, logs in, uses the example plugin's pages and
//! navigation menu, submits its form (CSRF round trip), checks that the collected plugin
//! stylesheet applies, and logs out; opens the Swagger UI API docs; enables and runs a job
//! and watches its result page until a worker has run it. Runs on SQLite and on
//! PostgreSQL.
//!
//! Needs `chromium` and `chromium-driver` (Debian packages); without them the test is
//! skipped with a printed reason, except under `CI=true`.

use serde_json::{json, Value};
use support::{
    both_backends,
    webdriver::{Browser, Element},
    Backend, Root, ADMIN_TOKEN,
};

both_backends!(
    a_user_logs_in_uses_the_example_plugin_and_logs_out,
    a_network_engineer_adds_a_location_in_the_browser,
    the_api_docs_are_swagger_ui,
    a_user_runs_a_job_and_watches_it_finish,
);

const PLUGIN_HOME: &str = "/plugins/example-plugin/";
const PLUGIN_FORM: &str = "/plugins/example-plugin/form/";

/// The `next` query parameter of `url`, decoded.
fn next_param(url: &url::Url) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
}

/// Fills the login form and submits it.
fn submit_login(browser: &Browser, username: &str, password: &str) {
    let user = browser.find("#id_username");
    browser.clear(&user);
    browser.send_keys(&user, username);
    let pass = browser.find("#id_password");
    browser.clear(&pass);
    browser.send_keys(&pass, password);
    browser.click(&browser.find("#login-submit"));
}

fn a_user_logs_in_uses_the_example_plugin_and_logs_out(backend: Backend) {
    let test = format!("a_user_logs_in_uses_the_example_plugin_and_logs_out on {backend:?}");
    let Some(browser) = Browser::start_or_skip(&test) else {
        return;
    };
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();
    let base = server.base_url();

    // An anonymous visit to the plugin ends on the login page, which remembers where
    // the user was going.
    browser.navigate(&format!("{base}{PLUGIN_HOME}"));
    let url = browser.wait_for_path("/login/");
    if next_param(&url).as_deref() != Some(PLUGIN_HOME) {
        browser.fail(&format!(
            "the login page should have next={PLUGIN_HOME}, got {url}"
        ));
    }
    let heading = browser.text(&browser.find(".login-box h1"));
    if heading != "Log in" {
        browser.fail(&format!("the login page heading is {heading:?}"));
    }
    let title = browser.title();
    if title != "Log in - Nautobot" {
        browser.fail(&format!("the login page title is {title:?}"));
    }

    // A wrong password shows the error on the login page.
    submit_login(&browser, "admin", "not-the-password");
    let error = browser.wait_for_text(
        ".alert-danger",
        "Please enter a correct username and password",
    );
    let url = browser.current_url_parsed();
    if url.path() != "/login/" {
        browser.fail(&format!(
            "a failed login stays on /login/, got {url} ({error})"
        ));
    }
    if !browser.find_all("#current-user").is_empty() {
        browser.fail("nobody is logged in after a failed login");
    }

    // The right password leads back to the plugin page the user asked for.
    submit_login(&browser, "admin", "admin");
    browser.wait_for_path(PLUGIN_HOME);
    let greeting = browser.wait_for_text("#example-greeting", "Hello from the example plugin");
    if greeting != "Hello from the example plugin, admin!" {
        browser.fail(&format!("#example-greeting shows {greeting:?}"));
    }
    let user = browser.text(&browser.find("#current-user"));
    if user != "admin" {
        browser.fail(&format!("#current-user shows {user:?}, expected \"admin\""));
    }

    // The navigation menu has the plugin's tab, group, item and button. The dropdown
    // opens on hover: hover the tab like a user, then read what is displayed.
    let tab = browser
        .find_all("#nav-menu .nav-tab")
        .into_iter()
        .find(|tab| {
            let label = browser.find_all_in(tab, ".nav-tab-label");
            label.first().map(|l| browser.text(l)).as_deref() == Some("Example Menu")
        })
        .unwrap_or_else(|| browser.fail("#nav-menu has no \"Example Menu\" tab"));
    let dropdown = browser
        .find_all_in(&tab, ".dropdown")
        .into_iter()
        .next()
        .unwrap_or_else(|| browser.fail("the Example Menu tab has no dropdown"));
    if browser.is_displayed(&dropdown) {
        browser.fail("the Example Menu dropdown is open before any hover");
    }
    browser.hover(&browser.find_all_in(&tab, ".nav-tab-label")[0]);
    browser.wait_for("the Example Menu dropdown to open on hover", |b| {
        b.is_displayed(&dropdown).then_some(())
    });
    let group = browser
        .find_all_in(&dropdown, ".dropdown-group")
        .into_iter()
        .find(|g| {
            let header = browser.find_all_in(g, ".dropdown-header");
            // The header is shown upper-cased by CSS; compare without case.
            header.first().map(|h| browser.text(h).to_lowercase())
                == Some("example group 1".to_string())
        })
        .unwrap_or_else(|| browser.fail("the Example Menu tab has no \"Example Group 1\" group"));
    let item = browser
        .find_all_in(&group, ".dropdown-item")
        .into_iter()
        .find(|item| {
            let link = browser.find_all_in(item, ".nav-item-link");
            link.first().map(|l| browser.text(l)).as_deref() == Some("Example Home")
        })
        .unwrap_or_else(|| browser.fail("Example Group 1 has no \"Example Home\" link"));
    let home_link = &browser.find_all_in(&item, ".nav-item-link")[0];
    let home_href = browser.attribute(home_link, "href");
    if home_href.as_deref() != Some(PLUGIN_HOME) {
        browser.fail(&format!(
            "the Example Home link goes to {home_href:?}, expected {PLUGIN_HOME}"
        ));
    }
    let add_button = browser
        .find_all_in(&item, ".nav-button")
        .into_iter()
        .find(|b| browser.attribute(b, "title").as_deref() == Some("Add"))
        .unwrap_or_else(|| browser.fail("Example Home has no \"Add\" button"));
    if !browser.is_displayed(&add_button) {
        browser.fail("the Add button is not displayed in the open dropdown");
    }
    let add_href = browser.attribute(&add_button, "href");
    if add_href.as_deref() != Some(PLUGIN_FORM) {
        browser.fail(&format!(
            "the Add button goes to {add_href:?}, expected {PLUGIN_FORM}"
        ));
    }
    let add_url = browser
        .property(&add_button, "href")
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| browser.fail("the Add button has no href property"));

    // The plugin's stylesheet was collected to STATIC_ROOT, served under /static/, and
    // applies to the greeting.
    let color = browser.execute_script(
        "return getComputedStyle(document.querySelector('#example-greeting')).color;",
        vec![],
    );
    if color != json!("rgb(36, 119, 74)") {
        browser.fail(&format!(
            "the greeting's colour is {color}, expected rgb(36, 119, 74) from example.css"
        ));
    }
    let sheets = browser.execute_script(
        "return Array.from(document.styleSheets).map(s => s.href);",
        vec![],
    );
    let has_plugin_sheet = sheets.as_array().is_some_and(|all| {
        all.iter().any(|h| {
            h.as_str()
                .is_some_and(|h| h.contains("/static/example_plugin/css/example.css"))
        })
    });
    if !has_plugin_sheet {
        browser.fail(&format!("the plugin stylesheet is not loaded: {sheets}"));
    }

    // The Add button's form: the message comes back, escaped, through a real CSRF
    // round trip.
    browser.navigate(&add_url);
    browser.wait_for_path(PLUGIN_FORM);
    let message = "Hi from <b>Chromium</b> & friends";
    let input = browser.find("#id_message");
    browser.send_keys(&input, message);
    browser.click(&browser.find("#example-submit"));
    let result = browser.wait_for_text("#form-result", "You said:");
    if result != format!("You said: {message}") {
        browser.fail(&format!("#form-result shows {result:?}"));
    }
    if !browser.find_all("#form-result b").is_empty() {
        browser.fail("the message's markup was rendered instead of escaped");
    }

    // The installed-plugins page lists the example plugin with its version and links.
    browser.navigate(&format!("{base}/plugins/installed-plugins/"));
    browser.wait_for_path("/plugins/installed-plugins/");
    browser.find("#installed-plugins");
    let rows = browser.execute_script(
        r#"return Array.from(document.querySelectorAll('#installed-plugins tbody tr')).map(tr => ({
               cells: Array.from(tr.cells).map(td => td.innerText.trim()),
               links: Array.from(tr.querySelectorAll('td.links a'))
                   .map(a => ({text: a.innerText.trim(), href: a.getAttribute('href')})),
           }));"#,
        vec![],
    );
    let row = rows
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["cells"].get(0) == Some(&json!("Example Plugin")))
        })
        .cloned()
        .unwrap_or_else(|| browser.fail(&format!("no \"Example Plugin\" row in {rows}")));
    if row["cells"].get(5) != Some(&json!("1.0.0")) {
        browser.fail(&format!(
            "the Example Plugin row has no version 1.0.0: {row}"
        ));
    }
    let link_texts: Vec<&str> = row["links"]
        .as_array()
        .map(|links| links.iter().filter_map(|l| l["text"].as_str()).collect())
        .unwrap_or_default();
    if link_texts != ["Home", "Config", "Docs"] {
        browser.fail(&format!("the Example Plugin row links: {row}"));
    }
    let home = row["links"][0]["href"].clone();
    if home != Value::String(PLUGIN_HOME.to_string()) {
        browser.fail(&format!("the Home link of the row goes to {home}"));
    }

    // Logging out leads to the login page, and the site asks for a login again.
    browser.click(&browser.find("#logout-link"));
    browser.wait_for_path("/login/");
    if !browser.find_all("#current-user").is_empty() {
        browser.fail("still logged in after logging out");
    }
    browser.navigate(&format!("{base}/"));
    let url = browser.wait_for_path("/login/");
    if next_param(&url).as_deref() != Some("/") {
        browser.fail(&format!(
            "opening / after logout should ask for a login with next=/, got {url}"
        ));
    }
}

const LOCATIONS: &str = "/dcim/locations/";
const LOCATION_ADD: &str = "/dcim/locations/add/";
const EXAMPLE_MODELS: &str = "/plugins/example-plugin/example-models/";
const FORBIDDEN_LOCATION_NAME: &str = "this location has a matching name";

/// Whether `text` is a hyphenated UUID (8-4-4-4-12 hex digits).
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Chooses the option labelled `label` in the select `css`, like a user would, and checks
/// it is selected.
fn choose_option(browser: &Browser, css: &str, label: &str) {
    let select = browser.find(css);
    let option = browser
        .find_all_in(&select, "option")
        .into_iter()
        .find(|o| browser.text(o).trim() == label)
        .unwrap_or_else(|| browser.fail(&format!("{css} has no option {label:?}")));
    browser.click(&option);
    if browser.property(&option, "selected") != json!(true) {
        browser.fail(&format!("the option {label:?} of {css} is not selected"));
    }
}

/// The label of the selected option of the select `css`.
fn selected_label(browser: &Browser, css: &str) -> String {
    let select = browser.find(css);
    browser
        .find_all_in(&select, "option")
        .into_iter()
        .find(|o| browser.property(o, "selected") == json!(true))
        .map(|o| browser.text(&o).trim().to_string())
        .unwrap_or_default()
}

/// Types `text` into the (emptied) input `css`.
fn fill(browser: &Browser, css: &str, text: &str) {
    let input = browser.find(css);
    browser.clear(&input);
    browser.send_keys(&input, text);
}

/// Fails unless an element matching `css` is present and displayed; returns it.
fn displayed(browser: &Browser, css: &str) -> Element {
    let element = browser.find(css);
    if !browser.is_displayed(&element) {
        browser.fail(&format!("{css} is on the page but not displayed"));
    }
    element
}

/// Hovers the navigation tab `tab_name` and returns its opened dropdown.
fn open_menu_tab(browser: &Browser, tab_name: &str) -> Element {
    let tab = browser
        .find_all("#nav-menu .nav-tab")
        .into_iter()
        .find(|tab| {
            let label = browser.find_all_in(tab, ".nav-tab-label");
            label.first().map(|l| browser.text(l)).as_deref() == Some(tab_name)
        })
        .unwrap_or_else(|| browser.fail(&format!("#nav-menu has no {tab_name:?} tab")));
    let dropdown = browser
        .find_all_in(&tab, ".dropdown")
        .into_iter()
        .next()
        .unwrap_or_else(|| browser.fail(&format!("the {tab_name:?} tab has no dropdown")));
    browser.hover(&browser.find_all_in(&tab, ".nav-tab-label")[0]);
    browser.wait_for(
        &format!("the {tab_name:?} dropdown to open on hover"),
        |b| b.is_displayed(&dropdown).then_some(()),
    );
    dropdown
}

/// The texts of the cells of the list row whose object link reads `name`, if any.
fn row_cells(browser: &Browser, name: &str) -> Option<Vec<String>> {
    browser
        .find_all("#object-table tr.object-row")
        .into_iter()
        .find(|row| {
            let link = browser.find_all_in(row, "a.object-link");
            link.first().map(|l| browser.text(l)).as_deref() == Some(name)
        })
        .map(|row| {
            browser
                .find_all_in(&row, "td")
                .iter()
                .map(|td| browser.text(td).trim().to_string())
                .collect()
        })
}

fn a_network_engineer_adds_a_location_in_the_browser(backend: Backend) {
    let test = format!("a_network_engineer_adds_a_location_in_the_browser on {backend:?}");
    let Some(browser) = Browser::start_or_skip(&test) else {
        return;
    };
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();
    let base = server.base_url();

    // The location type comes from the REST API, to keep the browser part short.
    let api = server.client().with_token(ADMIN_TOKEN);
    let res = api.send_json(
        "POST",
        "/api/dcim/location-types/",
        &json!({"name": "Campus"}),
    );
    assert_eq!(res.status, 201, "creating the location type: {}", res.body);

    // Log in through the form on the way to the location list.
    browser.navigate(&format!("{base}{LOCATIONS}"));
    let url = browser.wait_for_path("/login/");
    if next_param(&url).as_deref() != Some(LOCATIONS) {
        browser.fail(&format!(
            "the login page should have next={LOCATIONS}, got {url}"
        ));
    }
    submit_login(&browser, "admin", "admin");
    browser.wait_for_path(LOCATIONS);
    displayed(&browser, "#object-table");
    if !browser.find_all("#object-table tr.object-row").is_empty() {
        browser.fail("the location list is not empty before any location was added");
    }
    let list_button = displayed(
        &browser,
        ".plugin-slot[data-slot=\"list_buttons\"] #example-plugin-list-buttons",
    );
    let text = browser.text(&list_button);
    if text != "Example Plugin list button" {
        browser.fail(&format!("the plugin list button reads {text:?}"));
    }

    // The Add button leads to the form.
    browser.click(&displayed(&browser, "#add-button"));
    browser.wait_for_path(LOCATION_ADD);
    fill(&browser, "#id_name", FORBIDDEN_LOCATION_NAME);
    choose_option(&browser, "#id_location_type", "Campus");
    choose_option(&browser, "#id_status", "Active");

    // The plugin's validator refuses the name: the form comes back with the message
    // under the name field, and keeps what was chosen.
    browser.click(&browser.find("#submit-button"));
    let expected = format!("Location name must not be '{FORBIDDEN_LOCATION_NAME}'");
    let error = browser.wait_for_text("[data-field=\"name\"] .field-error", &expected);
    if error != expected {
        browser.fail(&format!("the name field error reads {error:?}"));
    }
    displayed(&browser, "[data-field=\"name\"] .field-error");
    if browser.current_url_parsed().path() != LOCATION_ADD {
        browser.fail("a refused location stays on the add form");
    }
    for (css, label) in [("#id_location_type", "Campus"), ("#id_status", "Active")] {
        let selected = selected_label(&browser, css);
        if selected != label {
            browser.fail(&format!(
                "{css} shows {selected:?} after the error, expected {label:?}"
            ));
        }
    }

    // A good name: the location is created and its page shown.
    fill(&browser, "#id_name", "Brussels DC1");
    browser.click(&browser.find("#submit-button"));
    let detail = browser.wait_for("the location's detail page", |b| {
        let url = b.current_url_parsed();
        let id = url.path().strip_prefix(LOCATIONS)?.strip_suffix('/')?;
        is_uuid(id).then(|| url.path().to_string())
    });
    let title = browser.wait_for_text("#object-title", "Brussels DC1");
    if title != "Brussels DC1" {
        browser.fail(&format!("the detail page title reads {title:?}"));
    }
    if !browser.find_all(".field-error").is_empty() || !browser.find_all("#form-errors").is_empty()
    {
        browser.fail("the detail page shows form errors");
    }

    // Every plugin panel and button is on the page and visible.
    for (slot, id, text) in [
        (
            "left_page",
            "example-plugin-left-page",
            "Example Plugin left page content for Brussels DC1",
        ),
        (
            "right_page",
            "example-plugin-right-page",
            "Example Plugin right page content for Brussels DC1",
        ),
        (
            "full_width_page",
            "example-plugin-full-width-page",
            "Example Plugin full width page content for Brussels DC1",
        ),
        (
            "buttons",
            "example-plugin-buttons",
            "Example Plugin button for Brussels DC1",
        ),
    ] {
        let marker = displayed(
            &browser,
            &format!(".plugin-slot[data-slot=\"{slot}\"] #{id}"),
        );
        let shown = browser.text(&marker);
        if shown != text {
            browser.fail(&format!("#{id} reads {shown:?}, expected {text:?}"));
        }
    }

    // The plugin's tab is hidden until its link is clicked; then it replaces the main
    // pane.
    let tab_content = browser.find("#example-plugin-tab");
    if browser.is_displayed(&tab_content) {
        browser.fail("the Example Plugin Tab content is displayed before its tab is opened");
    }
    let tab_link = browser
        .find_all("#object-tabs a.plugin-tab-link")
        .into_iter()
        .find(|a| browser.text(a) == "Example Plugin Tab")
        .unwrap_or_else(|| browser.fail("no \"Example Plugin Tab\" tab link"));
    browser.click(&tab_link);
    browser.wait_for("the Example Plugin Tab to open", |b| {
        b.is_displayed(&tab_content).then_some(())
    });
    let text = browser.text(&tab_content);
    if text != "Example tab content" {
        browser.fail(&format!("the Example Plugin Tab shows {text:?}"));
    }
    if browser.is_displayed(&browser.find("#main")) {
        browser.fail("the main pane is still displayed with the plugin tab open");
    }
    if browser.current_url_parsed().path() != detail {
        browser.fail("opening the plugin tab left the detail page");
    }

    // The location is in the list now.
    browser.navigate(&format!("{base}{LOCATIONS}"));
    browser.wait_for_path(LOCATIONS);
    let cells = row_cells(&browser, "Brussels DC1")
        .unwrap_or_else(|| browser.fail("the location list has no \"Brussels DC1\" row"));
    for wanted in ["Campus", "Active"] {
        if !cells.iter().any(|c| c == wanted) {
            browser.fail(&format!(
                "the Brussels DC1 row has no {wanted:?}: {cells:?}"
            ));
        }
    }

    // The Example Models list, from the navigation menu.
    let dropdown = open_menu_tab(&browser, "Example Menu");
    let link = browser
        .find_all_in(&dropdown, ".nav-item-link")
        .into_iter()
        .find(|l| browser.text(l) == "Example Models")
        .unwrap_or_else(|| browser.fail("the Example Menu has no \"Example Models\" item"));
    browser.click(&link);
    browser.wait_for_path(EXAMPLE_MODELS);
    displayed(&browser, "#object-table");

    // Add an ExampleModel through its form; the number defaults to 100.
    browser.click(&displayed(&browser, "#add-button"));
    browser.wait_for_path(&format!("{EXAMPLE_MODELS}add/"));
    fill(&browser, "#id_name", "Example One");
    let number = browser.property(&browser.find("#id_number"), "value");
    if number != json!("100") {
        browser.fail(&format!(
            "the number field starts at {number}, expected 100"
        ));
    }
    browser.click(&browser.find("#submit-button"));
    browser.wait_for("the example model's detail page", |b| {
        let url = b.current_url_parsed();
        let id = url.path().strip_prefix(EXAMPLE_MODELS)?.strip_suffix('/')?;
        is_uuid(id).then_some(())
    });
    browser.wait_for_text("#object-title", "Example One");

    browser.navigate(&format!("{base}{EXAMPLE_MODELS}"));
    browser.wait_for_path(EXAMPLE_MODELS);
    let cells = row_cells(&browser, "Example One")
        .unwrap_or_else(|| browser.fail("the Example Models list has no \"Example One\" row"));
    if !cells.iter().any(|c| c == "100") {
        browser.fail(&format!("the Example One row has no number 100: {cells:?}"));
    }
}

/// A logged-in user opens `/api/docs/`: Swagger UI, served by the server itself, renders
/// the OpenAPI document's operations and offers token authorisation, with nothing on
/// the console (no CSP violation, no failed load).
fn the_api_docs_are_swagger_ui(backend: Backend) {
    let test = format!("the_api_docs_are_swagger_ui on {backend:?}");
    let Some(browser) = Browser::start_or_skip(&test) else {
        return;
    };
    let mut root = Root::new(backend);
    root.install();
    let server = root.start();
    let base = server.base_url();

    browser.navigate(&format!("{base}/login/?next=/api/docs/"));
    submit_login(&browser, "admin", "admin");
    browser.wait_for_path("/api/docs/");
    // The console is checked for the docs page alone: forget what the login page left
    // (its favicon request), and load the page afresh.
    let _ = browser.console_log();
    browser.navigate(&format!("{base}/api/docs/"));
    // The operations render (Swagger UI fetched and read ?format=openapi); the list is
    // virtualised, so only the first few are in the page.
    browser.wait_for("Swagger UI's operations", |b| {
        (b.find_all(".swagger-ui .opblock").len() >= 5).then_some(())
    });
    browser.wait_for_text(".swagger-ui .opblock-summary-path", "/api/");
    browser.wait_for_text(".swagger-ui .info .title", "Nautobot");
    // The Authorize button offers the token scheme.
    browser.click(&browser.find(".swagger-ui .btn.authorize"));
    browser.wait_for_text(".swagger-ui .auth-container", "tokenAuth");
    let title = browser.title();
    if title != "API Documentation - Nautobot" {
        browser.fail(&format!("the docs page title is {title:?}"));
    }
    match browser.console_log() {
        Some(entries) => {
            let errors: Vec<_> = entries
                .iter()
                .filter(|(level, _)| level == "SEVERE" || level == "WARNING")
                .collect();
            if !errors.is_empty() {
                browser.fail(&format!("the console has errors: {errors:#?}"));
            }
        }
        None => eprintln!("{test}: the driver cannot read the console, not checked"),
    }

    // "Try it out" with the session: Swagger UI's request interceptor adds the CSRF
    // token to unsafe calls (not to safe ones), and with it a session-authenticated
    // create succeeds, where the same call without it is refused. (Synchronous XHR, after
    // the console check: Chromium warns about it.)
    let result = browser.execute_script(
        r#"
        var intercept = window.ui.getConfigs().requestInterceptor;
        var get = intercept({method: "GET", url: "/api/dcim/manufacturers/", headers: {}});
        var post = intercept({method: "POST", url: "/api/dcim/manufacturers/",
                              headers: {"Content-Type": "application/json"}});
        function send(headers, name) {
            var xhr = new XMLHttpRequest();
            xhr.open("POST", "/api/dcim/manufacturers/", false);
            for (var k in headers) { xhr.setRequestHeader(k, headers[k]); }
            xhr.send(JSON.stringify({name: name}));
            return xhr.status;
        }
        return {
            get_header: get.headers["X-CSRFToken"] || null,
            post_header: post.headers["X-CSRFToken"] || null,
            without: send({"Content-Type": "application/json"}, "Refused"),
            with: send(post.headers, "Created from Swagger UI"),
        };
        "#,
        vec![],
    );
    if !result["get_header"].is_null() {
        browser.fail(&format!("a GET got X-CSRFToken: {result}"));
    }
    if result["post_header"].as_str().is_none_or(str::is_empty) {
        browser.fail(&format!("a POST did not get X-CSRFToken: {result}"));
    }
    if result["without"] != 403 || result["with"] != 201 {
        browser.fail(&format!(
            "session POST: expected 403 without the token and 201 with it: {result}"
        ));
    }
}

/// A `nautobot-server worker` in the background, stopped when dropped.
struct Worker(std::process::Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `data-status` of the job result page's status badge.
fn job_status(browser: &Browser) -> Option<String> {
    browser
        .command(
            "POST",
            "/execute/sync",
            Some(json!({
                "script": "const e = document.getElementById('job-status'); \
                           return e ? e.dataset.status : null;",
                "args": [],
            })),
        )
        .ok()?
        .as_str()
        .map(str::to_string)
}

/// What a newcomer does in the demo: enables a job on the jobs page, runs it from its form,
/// lands on the result page, which says no worker is running; once a worker starts, the
/// page (refreshing itself) shows the run completed with its log.
fn a_user_runs_a_job_and_watches_it_finish(backend: Backend) {
    let test = format!("a_user_runs_a_job_and_watches_it_finish on {backend:?}");
    let Some(browser) = Browser::start_or_skip(&test) else {
        return;
    };
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();
    let base = server.base_url();
    browser.navigate(&format!("{base}/extras/jobs/"));
    browser.wait_for_path("/login/");
    submit_login(&browser, "admin", "admin");
    browser.wait_for_path("/extras/jobs/");

    // The job is disabled, as installed jobs are: enable it from its row. (Rows are found
    // by the job's id afresh each time: the page reloads under the test.)
    let jobs = server
        .client()
        .with_token(ADMIN_TOKEN)
        .get("/api/extras/jobs/?job_class_name=example_count_models")
        .json();
    let id = jobs["results"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the count job: {jobs}"))
        .to_string();
    let row = format!(".job-row[data-id=\"{id}\"]");
    let name = browser.text(&browser.find(&format!("{row} .job-link")));
    if name != "Count Example Models" {
        browser.fail(&format!("the job's row is named {name:?}"));
    }
    displayed(&browser, &format!("{row} .job-disabled"));
    browser.click(&browser.find(&format!("{row} .enable-button")));
    browser.wait_for_text(&format!("{row} .job-enabled"), "enabled");
    browser.click(&browser.find(&format!("{row} .run-button")));
    browser.wait_for_text("#job-title", "Count Example Models");
    browser.click(&browser.find("#run-button"));
    let result = browser.wait_for("the job result page", |b| {
        let url = b.current_url_parsed();
        url.path()
            .starts_with("/extras/job-results/")
            .then(|| url.path().to_string())
    });

    // Pending, and the page says why: no worker runs.
    if job_status(&browser).as_deref() != Some("pending") {
        browser.fail("a new run is pending");
    }
    let alert = browser.text(&displayed(&browser, "#no-worker"));
    if !alert.contains("nautobot-server worker") {
        browser.fail(&format!(
            "the no-worker alert does not say how to start one: {alert:?}"
        ));
    }

    // A worker starts; the page refreshes itself until the run has completed.
    let _worker = Worker(
        root.command(&["worker"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start a worker"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if job_status(&browser).as_deref() == Some("success") {
            break;
        }
        if std::time::Instant::now() > deadline {
            browser.fail("the result page did not show the run completed within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    if browser.current_url_parsed().path() != result {
        browser.fail(&format!("the page left {result}"));
    }
    browser.wait_for_text("#job-log", "There are 0 ExampleModels");
    if !browser.find_all("#no-worker").is_empty() {
        browser.fail("a completed run has no no-worker alert");
    }
}
