//! Requests the host hands to plugin views and middleware, and the answers they give.
//!
//! These travel as JSON through [`Plugin::call`](crate::Plugin): a [`Request`] is the
//! payload of the `view` and `api_view` kinds and a [`Response`] their answer; the
//! `middleware_request` and `middleware_response` kinds carry [`MiddlewareRequest`] /
//! [`MiddlewareAction`] and [`MiddlewareResponse`] / [`ResponseChanges`].

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;

use crate::error::PluginError;

/// The user on whose behalf a request runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    /// The user's UUID.
    pub id: String,
    /// The login name.
    pub username: String,
    /// Superusers hold every permission.
    pub is_superuser: bool,
    /// Staff users may use the admin pages.
    pub is_staff: bool,
}

/// An HTTP request routed to one of the plugin's views.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Request {
    /// Name of the view that matched.
    pub view: String,
    /// HTTP method, upper case.
    pub method: String,
    /// The full request path, e.g. `/plugins/example-plugin/things/3/`.
    pub path: String,
    /// The plugin's mount point the view sits under, e.g. `/plugins/example-plugin/`.
    pub base_path: String,
    /// Values of the `{…}` segments of the view's path.
    pub path_params: BTreeMap<String, String>,
    /// Query-string parameters in order; a key may repeat.
    pub query: Vec<(String, String)>,
    /// Request headers, names lower-cased (cookies and credentials are withheld).
    pub headers: BTreeMap<String, String>,
    /// The request body as text (the host rejects bodies that are not UTF-8).
    pub body: String,
    /// The authenticated user, if any.
    pub user: Option<User>,
    /// The host's id for this request, for correlating log lines.
    pub request_id: String,
    /// The CSRF token to put in forms the view renders (`csrfmiddlewaretoken`).
    pub csrf_token: String,
}

impl Request {
    /// The first value of query parameter `key`.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of query parameter `key`, in order.
    pub fn query_params(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of path parameter `key`.
    pub fn path_param(&self, key: &str) -> Option<&str> {
        self.path_params.get(key).map(String::as_str)
    }

    /// The value of request header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body parsed as JSON into `T`; a malformed body is a 400.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        serde_json::from_str(&self.body)
            .map_err(|e| PluginError::bad_request(format!("request body is not valid JSON: {e}")))
    }

    /// The body parsed as an HTML form (`application/x-www-form-urlencoded`), in order.
    pub fn form(&self) -> Vec<(String, String)> {
        parse_urlencoded(&self.body)
    }
}

/// An HTTP response from a plugin view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// HTTP status code.
    #[serde(default = "default_status")]
    pub status: u16,
    /// Extra response headers.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// What the body is.
    #[serde(flatten)]
    pub content: Content,
}

fn default_status() -> u16 {
    200
}

/// The body of a [`Response`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    /// Render one of the plugin's templates inside the host's page context (user,
    /// navigation menu, CSRF token …) plus `context`.
    Render {
        /// The template name, `<plugin name>/…`.
        template: String,
        /// Extra context, a JSON object.
        #[serde(default)]
        context: Value,
    },
    /// A JSON body.
    Json {
        /// The JSON document.
        body: Value,
    },
    /// A redirect (the status is 302 unless set otherwise).
    Redirect {
        /// Where to; a path or an absolute URL.
        url: String,
    },
    /// Raw bytes with a content type.
    Bytes {
        /// The `Content-Type` header value.
        content_type: String,
        /// The body, base64-encoded.
        body_base64: String,
    },
}

impl Response {
    /// Renders `template` (one of the plugin's own) with `context`.
    pub fn render(template: impl Into<String>, context: impl Serialize) -> Self {
        Response {
            status: 200,
            headers: Vec::new(),
            content: Content::Render {
                template: template.into(),
                context: serde_json::to_value(context).unwrap_or(Value::Null),
            },
        }
    }

    /// A JSON response.
    pub fn json(body: impl Serialize) -> Self {
        Response {
            status: 200,
            headers: Vec::new(),
            content: Content::Json {
                body: serde_json::to_value(body).unwrap_or(Value::Null),
            },
        }
    }

    /// A 302 redirect to `url`.
    pub fn redirect(url: impl Into<String>) -> Self {
        Response {
            status: 302,
            headers: Vec::new(),
            content: Content::Redirect { url: url.into() },
        }
    }

    /// A response of raw bytes.
    pub fn bytes(content_type: impl Into<String>, body: impl AsRef<[u8]>) -> Self {
        Response {
            status: 200,
            headers: Vec::new(),
            content: Content::Bytes {
                content_type: content_type.into(),
                body_base64: base64::engine::general_purpose::STANDARD.encode(body),
            },
        }
    }

    /// Sets the status code.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// What a request middleware sees.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MiddlewareRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The raw query string (without `?`).
    pub query_string: String,
    /// Request headers, names lower-cased (cookies and credentials are withheld).
    pub headers: BTreeMap<String, String>,
    /// The authenticated user, if any.
    pub user: Option<User>,
    /// The host's id for this request.
    pub request_id: String,
}

/// What a request middleware decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum MiddlewareAction {
    /// Let the request go on to the next middleware and the view.
    Continue,
    /// Answer the request now; later middleware and the view do not run.
    Respond {
        /// The answer.
        response: Response,
    },
}

/// What a response middleware sees.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MiddlewareResponse {
    /// HTTP method of the request, upper case.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The response's status code.
    pub status: u16,
    /// Response headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The authenticated user, if any.
    pub user: Option<User>,
    /// The host's id for this request.
    pub request_id: String,
}

/// Changes a response middleware makes to the response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseChanges {
    /// Headers to set (replacing any of the same name).
    pub set_headers: Vec<(String, String)>,
    /// Headers to remove.
    pub remove_headers: Vec<String>,
}

impl ResponseChanges {
    /// No change.
    pub fn none() -> Self {
        Self::default()
    }

    /// Sets a header on the response.
    pub fn set_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_headers.push((name.into(), value.into()));
        self
    }

    /// Removes a header from the response.
    pub fn remove_header(mut self, name: impl Into<String>) -> Self {
        self.remove_headers.push(name.into());
        self
    }
}

/// Decodes `application/x-www-form-urlencoded` text into ordered pairs.
fn parse_urlencoded(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_serialise_with_a_type_tag() {
        let r = Response::json(serde_json::json!({"a": 1})).with_status(201);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["type"], "json");
        assert_eq!(v["status"], 201);
        assert_eq!(v["body"]["a"], 1);
        let back: Response = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn a_response_without_status_is_200() {
        let r: Response = serde_json::from_str(r#"{"type": "redirect", "url": "/x/"}"#).unwrap();
        assert_eq!(r.status, 200);
    }

    #[test]
    fn forms_decode_percent_and_plus() {
        let req = Request {
            body: "name=a+b%21&x=%zz&empty=&flag".to_string(),
            ..Default::default()
        };
        assert_eq!(
            req.form(),
            vec![
                ("name".to_string(), "a b!".to_string()),
                ("x".to_string(), "%zz".to_string()),
                ("empty".to_string(), String::new()),
                ("flag".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn a_truncated_escape_is_kept_literally() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%41"), "A");
    }

    #[test]
    fn middleware_actions_round_trip() {
        let a = MiddlewareAction::Respond {
            response: Response::redirect("/login/"),
        };
        let s = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<MiddlewareAction>(&s).unwrap(), a);
        let c: MiddlewareAction = serde_json::from_str(r#"{"action": "continue"}"#).unwrap();
        assert_eq!(c, MiddlewareAction::Continue);
    }
}
