//! The browsable API, as Django REST framework's: a browser asking for an `/api/` page
//! (its `Accept` names `text/html`, as browsers' do) gets the JSON answer inside the
//! site's layout — pretty-printed, its URLs as links — instead of raw JSON. Clients that
//! do not ask for HTML (pynautobot, curl, scripts), and any request with `?format=…`
//! (`?format=json`, the OpenAPI document), get the JSON itself.

use actix_web::{
    body::{self, BoxBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderValue},
        Method,
    },
    middleware::Next,
    web, HttpResponse,
};
use serde_json::{json, Value};

use nautobot_app::AppState;
use nautobot_base::error::Error;
use nautobot_ui::context::PageRequest;

/// Whether the `Accept` header asks for HTML.
fn wants_html(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|part| {
                let mut fields = part.split(';').map(str::trim);
                fields.next() == Some("text/html") && !fields.any(|f| f.replace(' ', "") == "q=0")
            })
        })
}

/// Wraps JSON answers to browsers' GETs of `/api/` pages in an HTML page.
pub async fn render(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let wanted = req.path().starts_with("/api/")
        && req.method() == Method::GET
        && wants_html(&req)
        && !url::form_urlencoded::parse(req.query_string().as_bytes()).any(|(k, _)| k == "format");
    let res = next.call(req).await?;
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !wanted || !is_json {
        return Ok(res);
    }
    let (request, response) = res.into_parts();
    let status = response.status();
    let api_version = response.headers().get("api-version").cloned();
    let bytes = body::to_bytes(response.into_body())
        .await
        .map_err(|_| Error::Internal("cannot read the API answer".into()))?;
    let pretty = match serde_json::from_slice::<Value>(&bytes) {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
    };
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Err(Error::Internal("application state missing".into()).into());
    };
    let page = PageRequest::of(&request);
    let path = match request.query_string() {
        "" => request.path().to_string(),
        q => format!("{}?{q}", request.path()),
    };
    let json_url = format!(
        "{}?{}",
        request.path(),
        match request.query_string() {
            "" => "format=json".to_string(),
            q => format!("{q}&format=json"),
        }
    );
    let html = nautobot_app::block(nautobot_app::request::request_id(&request), move || {
        let mut ctx = nautobot_ui::context::page(&state, &page, &path)?;
        ctx.insert("path", &path);
        ctx.insert("json_url", &json_url);
        ctx.insert(
            "status",
            &json!({"code": status.as_u16(), "reason": status.canonical_reason().unwrap_or("")}),
        );
        ctx.insert("lines", &linked(&pretty));
        state.templates.render("api/browsable.html", &ctx)
    })
    .await?;
    let mut out = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, HeaderValue::from_static("Accept")))
        .body(html);
    if let Some(version) = api_version {
        out.headers_mut()
            .insert(header::HeaderName::from_static("api-version"), version);
    }
    Ok(ServiceResponse::new(request, out))
}

/// The pretty JSON as pieces for the template: text, and `http(s)` URL strings as links
/// (the template escapes both).
fn linked(pretty: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = pretty;
    while let Some(start) = rest.find("\"http") {
        let url_start = start + 1;
        let Some(len) = rest[url_start..].find('"') else {
            break;
        };
        let url = &rest[url_start..url_start + len];
        let is_url = (url.starts_with("http://") || url.starts_with("https://"))
            && !url.contains(char::is_whitespace);
        if is_url {
            out.push(json!({"text": &rest[..url_start]}));
            out.push(json!({"link": url}));
            rest = &rest[url_start + len..];
        } else {
            out.push(json!({"text": &rest[..url_start + len]}));
            rest = &rest[url_start + len..];
        }
    }
    out.push(json!({"text": rest}));
    out
}

#[cfg(test)]
mod tests {
    use super::linked;

    #[test]
    fn urls_become_links_and_nothing_else_does() {
        let pieces = linked("{\n  \"url\": \"http://h/api/x/\",\n  \"d\": \"javascript:x\"\n}");
        let links: Vec<&str> = pieces.iter().filter_map(|p| p["link"].as_str()).collect();
        assert_eq!(links, vec!["http://h/api/x/"]);
        let text: String = pieces
            .iter()
            .map(|p| {
                p["text"]
                    .as_str()
                    .or(p["link"].as_str())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            text,
            "{\n  \"url\": \"http://h/api/x/\",\n  \"d\": \"javascript:x\"\n}"
        );
    }
}
