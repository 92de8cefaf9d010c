//! Turning a plugin's [`Response`] into HTTP: rendering its template inside the host's
//! page context, or passing JSON, a redirect or bytes through.

use actix_web::{
    http::{
        header::{HeaderName, HeaderValue},
        StatusCode,
    },
    HttpResponse,
};
use base64::Engine as _;
use nautobot_plugin_abi::{Content, PluginError, Response};
use serde_json::{json, Value};

use nautobot_app::AppState;
use nautobot_base::error::{Error, Result};
use nautobot_plugins::LoadedPlugin;
use nautobot_ui::context::{self, PageRequest};

/// An HTTP answer prepared off the executor.
#[derive(Debug)]
pub struct Prepared {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// The error for a plugin that answered something the host cannot use.
pub fn bad_answer(plugin: &LoadedPlugin, kind: &str, name: &str, what: String) -> Error {
    tracing::error!(plugin = %plugin.name(), kind, handler = name, "unusable answer: {what}");
    Error::plugin_call(plugin.name(), kind, name, PluginError::internal(what))
}

/// Prepares `response` from `plugin` (blocking: may render a template).
pub fn prepare(
    state: &AppState,
    plugin: &LoadedPlugin,
    kind: &str,
    name: &str,
    response: Response,
    page: &PageRequest,
) -> Result<Prepared> {
    let status = StatusCode::from_u16(response.status).map_err(|_| {
        bad_answer(
            plugin,
            kind,
            name,
            format!("invalid HTTP status {}", response.status),
        )
    })?;
    let mut headers = Vec::with_capacity(response.headers.len());
    for (header_name, value) in &response.headers {
        let parsed = (
            HeaderName::from_bytes(header_name.as_bytes()),
            HeaderValue::from_str(value),
        );
        match parsed {
            (Ok(n), Ok(v)) if !is_hop_by_hop(&n) => headers.push((n, v)),
            _ => {
                return Err(bad_answer(
                    plugin,
                    kind,
                    name,
                    format!("invalid response header {header_name:?}"),
                ))
            }
        }
    }
    let (content_type, body, status) = match response.content {
        Content::Render { template, context } => {
            let html = render(state, plugin, kind, name, &template, context, page)?;
            (
                Some("text/html; charset=utf-8".to_string()),
                html.into_bytes(),
                status,
            )
        }
        Content::Json { body } => (
            Some("application/json".to_string()),
            serde_json::to_vec(&body).map_err(|e| Error::Internal(e.to_string()))?,
            status,
        ),
        Content::Redirect { url } => {
            let location = HeaderValue::from_str(&url).map_err(|_| {
                bad_answer(plugin, kind, name, format!("invalid redirect URL {url:?}"))
            })?;
            headers.push((actix_web::http::header::LOCATION, location));
            let status = if status.is_redirection() {
                status
            } else {
                StatusCode::FOUND
            };
            (None, Vec::new(), status)
        }
        Content::Bytes {
            content_type,
            body_base64,
        } => {
            let body = base64::engine::general_purpose::STANDARD
                .decode(body_base64)
                .map_err(|e| bad_answer(plugin, kind, name, format!("body is not base64: {e}")))?;
            (Some(content_type), body, status)
        }
    };
    Ok(Prepared {
        status,
        headers,
        content_type,
        body,
    })
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection" | "content-length" | "transfer-encoding" | "keep-alive" | "upgrade"
    )
}

/// Renders one of the plugin's templates with its context inside the page context.
fn render(
    state: &AppState,
    plugin: &LoadedPlugin,
    kind: &str,
    name: &str,
    template: &str,
    plugin_context: Value,
    page: &PageRequest,
) -> Result<String> {
    if !template.starts_with(&format!("{}/", plugin.name())) {
        return Err(bad_answer(
            plugin,
            kind,
            name,
            format!("it may render only its own templates, not '{template}'"),
        ));
    }
    if !state.templates.has(template) {
        return Err(bad_answer(
            plugin,
            kind,
            name,
            format!("no template named '{template}'"),
        ));
    }
    let title = plugin_context
        .get("page_title")
        .and_then(Value::as_str)
        .unwrap_or(&plugin.manifest.verbose_name)
        .to_string();
    let mut ctx = match plugin_context {
        Value::Object(_) => tera::Context::from_value(plugin_context)?,
        Value::Null => tera::Context::new(),
        _ => {
            return Err(bad_answer(
                plugin,
                kind,
                name,
                "the template context must be a JSON object".to_string(),
            ))
        }
    };
    // The host's keys win, so a plugin cannot impersonate the user or the CSRF token.
    ctx.extend(context::page(state, page, &title)?);
    ctx.insert(
        "plugin",
        &json!({
            "name": plugin.name(),
            "verbose_name": plugin.manifest.verbose_name,
            "version": plugin.manifest.version,
            "base_url": plugin.manifest.base_url,
            "base_path": plugin.ui_base(),
            "api_base_path": plugin.api_base(),
        }),
    );
    state.templates.render(template, &ctx).map_err(|e| {
        bad_answer(
            plugin,
            kind,
            name,
            format!("template '{template}' failed to render: {e}"),
        )
    })
}

impl Prepared {
    /// The HTTP response.
    pub fn into_response(self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if let Some(content_type) = self.content_type {
            builder.content_type(content_type);
        }
        for header in self.headers {
            builder.append_header(header);
        }
        builder.body(self.body)
    }
}
