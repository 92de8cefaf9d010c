//! A real browser against the real server: headless Chromium, driven through
//! ChromeDriver's W3C WebDriver protocol, logs in, uses the example plugin's pages and
//! navigation menu, submits its form (CSRF round trip), checks that the collected plugin
//! stylesheet applies, and logs out. Runs on SQLite and on PostgreSQL.
//!
//! Needs `chromium` and `chromium-driver` (Debian packages); without them the test is
//! skipped with a printed reason, except under `CI=true`.

use serde_json::{json, Value};
use support::{both_backends, webdriver::Browser, Backend, Root};

both_backends!(a_user_logs_in_uses_the_example_plugin_and_logs_out);

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
    if color != json!("rgb(46, 139, 87)") {
        browser.fail(&format!(
            "the greeting's colour is {color}, expected rgb(46, 139, 87) from example.css"
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
