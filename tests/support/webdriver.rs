//! A tiny synchronous W3C WebDriver client: starts `chromedriver` on a free loopback
//! port, opens one headless Chromium session with a fresh profile, and offers the few
//! commands the browser tests need. The session is deleted and `chromedriver` killed when
//! the [`Browser`] is dropped.
//!
//! Chromium and ChromeDriver are found at `/usr/bin/chromium` and `/usr/bin/chromedriver`
//! (`NAUTOBOT_TEST_CHROMIUM` / `NAUTOBOT_TEST_CHROMEDRIVER` override). Without them,
//! [`Browser::start_or_skip`] skips the test with a printed reason, except under
//! `CI=true`, where browser tests must run.

use std::{
    fmt,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

/// The key W3C WebDriver uses for element references in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long [`Browser::find`] and the `wait_*` helpers wait by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// How long `chromedriver` may take to report ready.
const DRIVER_READY_WAIT: Duration = Duration::from_secs(30);

/// A WebDriver error: the HTTP status and the `error` / `message` of the reply, or a
/// transport failure (status 0).
#[derive(Debug, Clone)]
pub struct WebDriverError {
    /// The HTTP status (0 when the request did not get an answer).
    pub status: u16,
    /// The W3C error code, such as `no such element`.
    pub error: String,
    /// The driver's message.
    pub message: String,
}

impl fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (HTTP {}): {}", self.error, self.status, self.message)
    }
}

/// An element of the current page, as found by a CSS selector.
#[derive(Debug, Clone)]
pub struct Element {
    /// The WebDriver element reference.
    pub id: String,
    /// The selector it was found by (for messages).
    pub selector: String,
}

impl Element {
    /// The element as a script argument for [`Browser::execute_script`].
    pub fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }
}

/// The Chromium binary (`NAUTOBOT_TEST_CHROMIUM` overrides).
pub fn chromium_path() -> PathBuf {
    std::env::var_os("NAUTOBOT_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// The ChromeDriver binary (`NAUTOBOT_TEST_CHROMEDRIVER` overrides).
pub fn chromedriver_path() -> PathBuf {
    std::env::var_os("NAUTOBOT_TEST_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"))
}

/// How many ports [`Browser::start`] tries for chromedriver.
const DRIVER_PORT_ATTEMPTS: u32 = 3;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A headless Chromium driven through ChromeDriver.
pub struct Browser {
    driver: Child,
    /// `http://127.0.0.1:<port>` of chromedriver.
    driver_url: String,
    session: String,
    agent: ureq::Agent,
    driver_log: PathBuf,
    // Dropped last, after the browser has quit: the profile and the driver log.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts a browser, or returns `None` after printing `SKIPPED <test> : <reason>`
    /// when Chromium or ChromeDriver is not installed. Under `CI=true` a missing browser
    /// is a failure instead. A browser that is installed but fails to start always
    /// panics.
    pub fn start_or_skip(test: &str) -> Option<Browser> {
        let missing: Vec<String> = [chromium_path(), chromedriver_path()]
            .iter()
            .filter(|p| !p.is_file())
            .map(|p| p.display().to_string())
            .collect();
        if !missing.is_empty() {
            let reason = format!(
                "{} not installed (apt-get install chromium chromium-driver, or set \
                 NAUTOBOT_TEST_CHROMIUM / NAUTOBOT_TEST_CHROMEDRIVER)",
                missing.join(" and ")
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{test} needs a browser under CI=true: {reason}");
            }
            println!("SKIPPED {test} : {reason}");
            return None;
        }
        Some(Browser::start())
    }

    /// Starts chromedriver and a headless Chromium session; panics if either fails.
    ///
    /// Tests run side by side: the free port found for chromedriver may be taken by
    /// another test before the driver binds it, so a driver that could not listen is
    /// started again on another port (at most [`DRIVER_PORT_ATTEMPTS`] times).
    pub fn start() -> Browser {
        let mut attempt = 1;
        let mut browser = loop {
            let mut browser = Browser::spawn_driver();
            match browser.wait_for_driver() {
                Ok(()) => break browser,
                Err(log)
                    if attempt < DRIVER_PORT_ATTEMPTS
                        && (log.contains("Address already in use")
                            || log.contains("port not available")) =>
                {
                    attempt += 1;
                }
                Err(log) => panic!("chromedriver exited before it was ready\n{log}"),
            }
        };
        let user_data = browser._profile.path().join("user-data");
        browser.session = browser.new_session(&user_data);
        browser
            .command(
                "POST",
                "/timeouts",
                Some(json!({"pageLoad": 30_000, "script": 10_000, "implicit": 0})),
            )
            .unwrap_or_else(|e| panic!("setting the WebDriver timeouts: {e}"));
        browser
            .command(
                "POST",
                "/window/rect",
                Some(json!({"width": 1280, "height": 900})),
            )
            .unwrap_or_else(|e| panic!("sizing the browser window: {e}"));
        browser
    }

    /// Starts chromedriver on a free port, with a fresh profile; no session yet.
    fn spawn_driver() -> Browser {
        let profile = tempfile::Builder::new()
            .prefix("nautobot-e2e-chromium-")
            .tempdir()
            .expect("a temporary directory for the Chromium profile");
        let user_data = profile.path().join("user-data");
        std::fs::create_dir_all(&user_data).expect("the Chromium user-data folder");
        let driver_log = profile.path().join("chromedriver.log");
        let port = free_port();
        let driver = Command::new(chromedriver_path())
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", driver_log.display()))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver_path().display()));
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(90))
            .build();
        Browser {
            driver,
            driver_url: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            agent,
            driver_log,
            _profile: profile,
        }
    }

    /// Waits (bounded) until `GET /status` says the driver is ready; `Err` with its log
    /// when it exits first.
    fn wait_for_driver(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + DRIVER_READY_WAIT;
        loop {
            if let Ok(Some(status)) = self.driver.try_wait() {
                return Err(format!("(exit: {status})\n{}", self.driver_log_text()));
            }
            let last = match self.raw("GET", &format!("{}/status", self.driver_url), None) {
                Ok(value) if value["ready"] == Value::Bool(true) => return Ok(()),
                Ok(value) => value.to_string(),
                Err(e) => e.to_string(),
            };
            assert!(
                Instant::now() < deadline,
                "chromedriver was not ready within {} s (last status: {last})\n{}",
                DRIVER_READY_WAIT.as_secs(),
                self.driver_log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn new_session(&self, user_data: &Path) -> String {
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    // Keeps the console's messages for `console_log`.
                    "goog:loggingPrefs": {"browser": "ALL"},
                    "goog:chromeOptions": {
                        "binary": chromium_path().display().to_string(),
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            // Tests talk to loopback only: never route through a proxy
                            // from the environment.
                            "--no-proxy-server",
                            format!("--user-data-dir={}", user_data.display()),
                        ]
                    }
                }
            }
        });
        let value = self
            .raw(
                "POST",
                &format!("{}/session", self.driver_url),
                Some(capabilities),
            )
            .unwrap_or_else(|e| {
                panic!(
                    "cannot create a Chromium session: {e}\n{}",
                    self.driver_log_text()
                )
            });
        value["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("the new session has no sessionId: {value}"))
            .to_string()
    }

    /// The last lines of chromedriver's log, for failure messages.
    fn driver_log_text(&self) -> String {
        let text = std::fs::read_to_string(&self.driver_log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        format!("--- chromedriver log (tail) ---\n{tail}")
    }

    /// Sends one request to the driver and returns the `value` of its reply.
    fn raw(&self, method: &str, url: &str, body: Option<Value>) -> Result<Value, WebDriverError> {
        let req = self.agent.request(method, url);
        let result = match body {
            Some(body) => req.send_json(body),
            None => req.call(),
        };
        let (status, resp) = match result {
            Ok(resp) => (resp.status(), resp),
            Err(ureq::Error::Status(status, resp)) => (status, resp),
            Err(err) => {
                return Err(WebDriverError {
                    status: 0,
                    error: "transport error".to_string(),
                    message: format!("{method} {url}: {err}"),
                })
            }
        };
        let text = resp.into_string().map_err(|e| WebDriverError {
            status,
            error: "unreadable reply".to_string(),
            message: format!("{method} {url}: {e}"),
        })?;
        let json: Value = serde_json::from_str(&text).map_err(|e| WebDriverError {
            status,
            error: "invalid JSON reply".to_string(),
            message: format!("{method} {url}: {e}: {text}"),
        })?;
        let value = json.get("value").cloned().unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(value)
        } else {
            Err(WebDriverError {
                status,
                error: value["error"]
                    .as_str()
                    .unwrap_or("unknown error")
                    .to_string(),
                message: value["message"].as_str().unwrap_or_default().to_string(),
            })
        }
    }

    /// Sends a command to this session (`path` relative to `/session/<id>`).
    pub fn command(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WebDriverError> {
        let url = format!("{}/session/{}{path}", self.driver_url, self.session);
        self.raw(method, &url, body)
    }

    /// Like [`Browser::command`], but panics with the page state on error.
    #[track_caller]
    fn must(&self, what: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.command(method, path, body) {
            Ok(value) => value,
            Err(e) => self.fail(&format!("{what}: {e}")),
        }
    }

    /// Panics with `message`, the current URL and the page source.
    #[track_caller]
    pub fn fail(&self, message: &str) -> ! {
        let url = self
            .command("GET", "/url", None)
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|e| format!("<unknown: {e}>"));
        let source = self
            .command("GET", "/source", None)
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|e| format!("<unavailable: {e}>"));
        panic!("{message}\n--- current URL: {url}\n--- page source ---\n{source}\n--- end of page source ---");
    }

    /// Opens `url` and waits for the page to load.
    #[track_caller]
    pub fn navigate(&self, url: &str) {
        self.must(
            &format!("navigating to {url}"),
            "POST",
            "/url",
            Some(json!({ "url": url })),
        );
    }

    /// The URL of the current page.
    #[track_caller]
    pub fn current_url(&self) -> String {
        let value = self.must("reading the current URL", "GET", "/url", None);
        value.as_str().unwrap_or_default().to_string()
    }

    /// The current page's URL, parsed.
    #[track_caller]
    pub fn current_url_parsed(&self) -> url::Url {
        let current = self.current_url();
        url::Url::parse(&current)
            .unwrap_or_else(|e| self.fail(&format!("the current URL {current:?} is invalid: {e}")))
    }

    /// The title of the current page.
    #[track_caller]
    pub fn title(&self) -> String {
        let value = self.must("reading the title", "GET", "/title", None);
        value.as_str().unwrap_or_default().to_string()
    }

    /// The source of the current page.
    #[track_caller]
    pub fn page_source(&self) -> String {
        let value = self.must("reading the page source", "GET", "/source", None);
        value.as_str().unwrap_or_default().to_string()
    }

    fn element_id(&self, value: &Value) -> Option<String> {
        value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The first element matching `css`, waiting up to [`DEFAULT_WAIT`] for it.
    #[track_caller]
    pub fn find(&self, css: &str) -> Element {
        self.find_within(css, DEFAULT_WAIT)
    }

    /// The first element matching `css`, waiting up to `wait` for it.
    #[track_caller]
    pub fn find_within(&self, css: &str, wait: Duration) -> Element {
        let deadline = Instant::now() + wait;
        let body = json!({"using": "css selector", "value": css});
        loop {
            match self.command("POST", "/element", Some(body.clone())) {
                Ok(value) => {
                    let id = self.element_id(&value).unwrap_or_else(|| {
                        self.fail(&format!("finding {css:?}: not an element: {value}"))
                    });
                    return Element {
                        id,
                        selector: css.to_string(),
                    };
                }
                Err(e) if e.error == "no such element" && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => self.fail(&format!(
                    "no element matches {css:?} within {} s: {e}",
                    wait.as_secs_f32()
                )),
            }
        }
    }

    /// Every element matching `css` now (possibly none).
    #[track_caller]
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let value = self.must(
            &format!("finding all {css:?}"),
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| self.element_id(item))
                    .map(|id| Element {
                        id,
                        selector: css.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every element matching `css` inside `parent` now (possibly none).
    #[track_caller]
    pub fn find_all_in(&self, parent: &Element, css: &str) -> Vec<Element> {
        let value = self.must(
            &format!("finding all {css:?} in {:?}", parent.selector),
            "POST",
            &format!("/element/{}/elements", parent.id),
            Some(json!({"using": "css selector", "value": css})),
        );
        let selector = format!("{} {css}", parent.selector);
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| self.element_id(item))
                    .map(|id| Element {
                        id,
                        selector: selector.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The rendered (visible) text of `element`.
    #[track_caller]
    pub fn text(&self, element: &Element) -> String {
        let value = self.must(
            &format!("reading the text of {:?}", element.selector),
            "GET",
            &format!("/element/{}/text", element.id),
            None,
        );
        value.as_str().unwrap_or_default().to_string()
    }

    /// Attribute `name` of `element` as written in the page, if present.
    #[track_caller]
    pub fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        let value = self.must(
            &format!("reading attribute {name} of {:?}", element.selector),
            "GET",
            &format!("/element/{}/attribute/{name}", element.id),
            None,
        );
        value.as_str().map(str::to_string)
    }

    /// DOM property `name` of `element` (`Null` if it has none).
    #[track_caller]
    pub fn property(&self, element: &Element, name: &str) -> Value {
        self.must(
            &format!("reading property {name} of {:?}", element.selector),
            "GET",
            &format!("/element/{}/property/{name}", element.id),
            None,
        )
    }

    /// Whether `element` is displayed.
    #[track_caller]
    pub fn is_displayed(&self, element: &Element) -> bool {
        let value = self.must(
            &format!("checking whether {:?} is displayed", element.selector),
            "GET",
            &format!("/element/{}/displayed", element.id),
            None,
        );
        value.as_bool().unwrap_or(false)
    }

    /// Types `text` into `element`.
    #[track_caller]
    pub fn send_keys(&self, element: &Element, text: &str) {
        self.must(
            &format!("typing into {:?}", element.selector),
            "POST",
            &format!("/element/{}/value", element.id),
            Some(json!({ "text": text })),
        );
    }

    /// Empties the input `element`.
    #[track_caller]
    pub fn clear(&self, element: &Element) {
        self.must(
            &format!("clearing {:?}", element.selector),
            "POST",
            &format!("/element/{}/clear", element.id),
            Some(json!({})),
        );
    }

    /// Clicks `element`.
    #[track_caller]
    pub fn click(&self, element: &Element) {
        self.must(
            &format!("clicking {:?}", element.selector),
            "POST",
            &format!("/element/{}/click", element.id),
            Some(json!({})),
        );
    }

    /// Moves the mouse pointer over the centre of `element` (CSS `:hover`).
    #[track_caller]
    pub fn hover(&self, element: &Element) {
        let actions = json!({"actions": [{
            "type": "pointer",
            "id": "mouse",
            "parameters": {"pointerType": "mouse"},
            "actions": [{
                "type": "pointerMove",
                "duration": 0,
                "origin": element.to_json(),
                "x": 0,
                "y": 0
            }]
        }]});
        self.must(
            &format!("hovering over {:?}", element.selector),
            "POST",
            "/actions",
            Some(actions),
        );
    }

    /// The browser console's messages since the last call (`level`, `message`), or None
    /// when the driver cannot read them (chromedriver's `/se/log`).
    pub fn console_log(&self) -> Option<Vec<(String, String)>> {
        let entries = self
            .command("POST", "/se/log", Some(json!({"type": "browser"})))
            .ok()?;
        Some(
            entries
                .as_array()?
                .iter()
                .map(|e| {
                    (
                        e["level"].as_str().unwrap_or_default().to_string(),
                        e["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        )
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) and returns its result.
    #[track_caller]
    pub fn execute_script(&self, script: &str, args: Vec<Value>) -> Value {
        self.must(
            &format!("running script {script:?}"),
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Runs `script` asynchronously: it finishes by calling its last argument (the
    /// callback WebDriver appends to `args`) with the result, within `timeout`.
    #[track_caller]
    pub fn execute_async_script(&self, script: &str, args: Vec<Value>, timeout: Duration) -> Value {
        self.must(
            "setting the script timeout",
            "POST",
            "/timeouts",
            Some(json!({"script": timeout.as_millis() as u64})),
        );
        let short = script.chars().take(200).collect::<String>();
        self.must(
            &format!("running async script {short:?}"),
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Has Chromium run `source` in every document it loads from now on, before the
    /// page's own scripts (DevTools' `Page.addScriptToEvaluateOnNewDocument`, through
    /// chromedriver): a test tool is sent once instead of with every page.
    #[track_caller]
    pub fn add_script_to_new_documents(&self, source: &str) {
        self.must(
            "adding a script to new documents",
            "POST",
            "/goog/cdp/execute",
            Some(json!({
                "cmd": "Page.addScriptToEvaluateOnNewDocument",
                "params": {"source": source},
            })),
        );
    }

    /// A PNG screenshot of the viewport.
    #[track_caller]
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let value = self.must("taking a screenshot", "GET", "/screenshot", None);
        let text = value
            .as_str()
            .unwrap_or_else(|| self.fail(&format!("the screenshot is not a string: {value}")));
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap_or_else(|e| self.fail(&format!("the screenshot is not base64: {e}")))
    }

    /// Waits up to [`DEFAULT_WAIT`] until `check` returns `Some`, and returns it; fails
    /// with `what` and the page source otherwise.
    #[track_caller]
    pub fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&Browser) -> Option<T>) -> T {
        let deadline = Instant::now() + DEFAULT_WAIT;
        loop {
            if let Some(found) = check(self) {
                return found;
            }
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "timed out after {} s waiting for {what}",
                    DEFAULT_WAIT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the current URL's path is `path`, and returns the parsed URL.
    #[track_caller]
    pub fn wait_for_path(&self, path: &str) -> url::Url {
        self.wait_for(&format!("the URL path to become {path:?}"), |b| {
            let url = b.current_url_parsed();
            (url.path() == path).then_some(url)
        })
    }

    /// Waits until an element matching `css` has text containing `fragment`, and returns
    /// its whole text.
    #[track_caller]
    pub fn wait_for_text(&self, css: &str, fragment: &str) -> String {
        let body = json!({"using": "css selector", "value": css});
        self.wait_for(&format!("{css:?} to show {fragment:?}"), |b| {
            // The page may change under us (a form being submitted): errors such as a
            // stale element just mean "not yet".
            let found = b.command("POST", "/elements", Some(body.clone())).ok()?;
            found
                .as_array()?
                .iter()
                .filter_map(|item| b.element_id(item))
                .filter_map(|id| b.command("GET", &format!("/element/{id}/text"), None).ok())
                .filter_map(|text| text.as_str().map(str::to_string))
                .find(|t| t.contains(fragment))
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.driver_url, self.session);
            let _ = self.raw("DELETE", &url, None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
