//! A small HTTP client for the tests: no redirects followed, every status returned,
//! cookies kept like a browser, and helpers for the login form and API tokens.

use std::{cell::RefCell, collections::BTreeMap, time::Duration};

/// An HTTP response, whatever its status.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Response {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.body))
    }

    /// The `Set-Cookie` header for cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.headers_named("set-cookie")
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

/// A client with a cookie jar and optional default headers.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    cookies: RefCell<BTreeMap<String, String>>,
    headers: Vec<(String, String)>,
}

impl Client {
    /// A client for the server at `base` (`http://127.0.0.1:port`).
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_string(),
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(60))
                .build(),
            cookies: RefCell::new(BTreeMap::new()),
            headers: Vec::new(),
        }
    }

    /// Sends `Authorization: Token <key>` with every request.
    pub fn with_token(mut self, key: &str) -> Client {
        self.headers
            .push(("Authorization".to_string(), format!("Token {key}")));
        self
    }

    /// The value of cookie `name` in the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.borrow().get(name).cloned()
    }

    /// Sends a request with extra headers and an optional body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        for (k, v) in &self.headers {
            req = req.set(k, v);
        }
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let cookies = self.cookies.borrow().clone();
        if !cookies.is_empty() {
            let header: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.set("Cookie", &header.join("; "));
        }
        let result = match body {
            Some(body) => req.send_string(body),
            None => req.call(),
        };
        let resp = match result {
            Ok(resp) => resp,
            Err(ureq::Error::Status(_, resp)) => resp,
            Err(err) => panic!("{method} {path} failed: {err}"),
        };
        let status = resp.status();
        let mut headers = Vec::new();
        for name in resp.headers_names() {
            for value in resp.all(&name) {
                headers.push((name.to_ascii_lowercase(), value.to_string()));
            }
        }
        let body = resp.into_string().unwrap_or_default();
        let response = Response {
            status,
            headers,
            body,
        };
        for cookie in response.headers_named("set-cookie") {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = cookie.to_ascii_lowercase().contains("max-age=0");
                if value.is_empty() || expired {
                    self.cookies.borrow_mut().remove(name.trim());
                } else {
                    self.cookies
                        .borrow_mut()
                        .insert(name.trim().to_string(), value.to_string());
                }
            }
        }
        response
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], None)
    }

    /// `POST path` with a form body (`application/x-www-form-urlencoded`).
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(&body),
        )
    }

    /// `method path` with a JSON body.
    pub fn send_json(&self, method: &str, path: &str, body: &serde_json::Value) -> Response {
        self.request(
            method,
            path,
            &[("Content-Type", "application/json")],
            Some(&body.to_string()),
        )
    }

    /// Logs in through the login form (fetching it first for the CSRF cookie).
    pub fn login(&self, username: &str, password: &str) -> Response {
        let page = self.get("/login/");
        assert_eq!(page.status, 200, "the login page: {}", page.body);
        let csrf = self
            .cookie("csrftoken")
            .expect("the login page sets csrftoken");
        self.post_form(
            "/login/",
            &[
                ("username", username),
                ("password", password),
                ("csrfmiddlewaretoken", &csrf),
                ("next", "/"),
            ],
        )
    }
}
