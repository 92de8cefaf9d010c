//! An HTTP client for one user of a test server: API calls with the user's token, UI
//! pages and forms with the user's session cookie and the CSRF token.

use std::{cell::RefCell, collections::BTreeMap, time::Duration};

use serde_json::Value;

/// An HTTP response, whatever its status (4xx and 5xx are returned, not errors;
/// redirects are not followed).
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased, in the order received (a name may repeat).
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Response {
    /// The body parsed as JSON. Panics, showing the status and body, if it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "the response is not JSON ({e}); status {}, body:\n{}",
                self.status, self.body
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> &str {
        &self.body
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A client acting as one user (or as nobody: [`TestServer::anonymous`]).
///
/// * API methods — [`get`](Client::get), [`post_json`](Client::post_json),
///   [`put_json`](Client::put_json), [`patch_json`](Client::patch_json),
///   [`delete`](Client::delete) — send `Accept: application/json` and, when the user
///   has one, `Authorization: Token <key>`.
/// * UI methods — [`get_page`](Client::get_page), [`post_form`](Client::post_form) — send
///   no token, only the cookies (the session of a logged-in user, and `csrftoken`);
///   `post_form` adds the CSRF token to the form for you.
///
/// Every request keeps the cookies the server sets, like a browser, and none follows
/// redirects: a 302 comes back as a 302 with its `location` header. A request that gets
/// no HTTP answer at all (connection refused, 60 s timeout) panics.
///
/// [`TestServer::anonymous`]: crate::TestServer::anonymous
pub struct Client {
    base: String,
    agent: ureq::Agent,
    cookies: RefCell<BTreeMap<String, String>>,
    token: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the server at `base_url` (`http://127.0.0.1:<port>`) with no token and
    /// no cookies. [`TestServer`](crate::TestServer) makes clients for you; this is for
    /// servers started some other way.
    pub fn new(base_url: &str) -> Client {
        Client {
            base: base_url.trim_end_matches('/').to_string(),
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(60))
                .build(),
            cookies: RefCell::new(BTreeMap::new()),
            token: None,
            username: None,
            password: None,
        }
    }

    /// The same client, sending `Authorization: Token <key>` with its API calls.
    pub fn with_token(mut self, key: &str) -> Client {
        self.token = Some(key.to_string());
        self
    }

    /// The user's name (`None` for an anonymous client).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The user's password (`None` for an anonymous client).
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The user's API token key, if it has one.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The value of cookie `name` (such as `sessionid` or `csrftoken`), if set.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.borrow().get(name).cloned()
    }

    /// Logs in through the `/login/` form as `username`, keeping the session cookie;
    /// the answer is a 302 on success, the form again (200) otherwise.
    pub fn login(&mut self, username: &str, password: &str) -> Response {
        let res = self.post_form(
            "/login/",
            &[
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        );
        if res.status == 302 {
            self.username = Some(username.to_string());
            self.password = Some(password.to_string());
        }
        res
    }

    /// `GET path` on the API (token, `Accept: application/json`).
    pub fn get(&self, path: &str) -> Response {
        self.api("GET", path, None)
    }

    /// `POST path` on the API with a JSON body.
    pub fn post_json(&self, path: &str, body: &Value) -> Response {
        self.api("POST", path, Some(body))
    }

    /// `PUT path` on the API with a JSON body.
    pub fn put_json(&self, path: &str, body: &Value) -> Response {
        self.api("PUT", path, Some(body))
    }

    /// `PATCH path` on the API with a JSON body.
    pub fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.api("PATCH", path, Some(body))
    }

    /// `DELETE path` on the API.
    pub fn delete(&self, path: &str) -> Response {
        self.api("DELETE", path, None)
    }

    /// `GET path` as a browser would: the session cookie, no token, no redirect followed.
    pub fn get_page(&self, path: &str) -> Response {
        self.request("GET", path, &[("Accept", "text/html")], None)
    }

    /// `POST path` with a form body, as a browser would (session cookie, no token, no
    /// redirect followed). The CSRF token is handled for you: if the client has no
    /// `csrftoken` cookie yet it first `GET`s `path` to be given one, and it adds the
    /// `csrfmiddlewaretoken` field unless `fields` already has one.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        if self.cookie("csrftoken").is_none() {
            self.get_page(path);
        }
        let csrf = self.cookie("csrftoken").unwrap_or_else(|| {
            panic!("GET {path} did not set the csrftoken cookie needed to post its form")
        });
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        if !fields.iter().any(|(k, _)| *k == "csrfmiddlewaretoken") {
            serializer.append_pair("csrfmiddlewaretoken", &csrf);
        }
        serializer.extend_pairs(fields);
        let body = serializer.finish();
        self.request(
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", "text/html"),
            ],
            Some(&body),
        )
    }

    fn api(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let token = self.token.as_ref().map(|t| format!("Token {t}"));
        let mut headers = vec![("Accept", "application/json")];
        if let Some(token) = &token {
            headers.push(("Authorization", token));
        }
        let text = body.map(|b| {
            headers.push(("Content-Type", "application/json"));
            b.to_string()
        });
        self.request(method, path, &headers, text.as_deref())
    }

    /// Sends any request: `method path` with these headers and an optional body, and the
    /// client's cookies (but not its token: add the `Authorization` header yourself).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut req = self.agent.request(method, &url);
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
            Err(err) => panic!("{method} {url} got no answer: {err}"),
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
        self.keep_cookies(&response);
        response
    }

    fn keep_cookies(&self, response: &Response) {
        for (name, cookie) in &response.headers {
            if name != "set-cookie" {
                continue;
            }
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = cookie.to_ascii_lowercase().contains("max-age=0");
                let mut jar = self.cookies.borrow_mut();
                if value.is_empty() || expired {
                    jar.remove(name.trim());
                } else {
                    jar.insert(name.trim().to_string(), value.to_string());
                }
            }
        }
    }

    pub(crate) fn set_user(&mut self, username: &str, password: &str) {
        self.username = Some(username.to_string());
        self.password = Some(password.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_by_any_case() {
        let res = Response {
            status: 200,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("set-cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into()),
            ],
            body: r#"{"x": 1}"#.into(),
        };
        assert_eq!(res.header("Content-Type"), Some("application/json"));
        assert_eq!(res.header("set-cookie"), Some("a=1"));
        assert_eq!(res.header("missing"), None);
        assert_eq!(res.json()["x"], 1);
        assert_eq!(res.text(), r#"{"x": 1}"#);
    }

    #[test]
    #[should_panic(expected = "the response is not JSON")]
    fn json_of_html_panics_with_the_body() {
        Response {
            status: 500,
            headers: vec![],
            body: "<html>".into(),
        }
        .json();
    }

    #[test]
    fn cookies_are_kept_and_expired() {
        let client = Client::new("http://127.0.0.1:1/");
        assert_eq!(client.base, "http://127.0.0.1:1");
        let set = |v: &str| Response {
            status: 200,
            headers: vec![("set-cookie".into(), v.into())],
            body: String::new(),
        };
        client.keep_cookies(&set("sessionid=abc; Path=/; HttpOnly"));
        assert_eq!(client.cookie("sessionid").as_deref(), Some("abc"));
        client.keep_cookies(&set("sessionid=gone; Max-Age=0; Path=/"));
        assert_eq!(client.cookie("sessionid"), None);
    }
}
