//! The OpenAPI 3 description of the REST API, served at `GET /api/docs/?format=openapi`
//! as Nautobot serves its schema there (pynautobot's `api.openapi()` reads it).
//!
//! The document is generated from the model schemas: for every served model its list
//! and detail paths with the operations the API answers (list with filters and paging,
//! create one or many, bulk update and delete, retrieve, update, partial update,
//! delete), and three components per model: `<Model>` (what the API returns),
//! `Writable<Model>` (what it accepts) and `Paginated<Model>List`. Plugins' own API views
//! and the core's fixed endpoints are described with free-form JSON bodies.

use std::collections::{HashMap, HashSet};

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use nautobot_plugin_abi::{FieldKind, FieldSchema, PluginManifest};
use serde_json::{json, Map, Value};

use nautobot_app::{request, AppState};
use nautobot_base::error::Result;
use nautobot_base::version::API_VERSION;
use nautobot_objects::capitalise;
use nautobot_objects::{query, write};
use nautobot_schema::{Model, Registry};

/// The OpenAPI version of the document.
pub const OPENAPI_VERSION: &str = "3.0.3";

/// Lookups of string-like fields (`name__ic=…`), with what they mean.
const STRING_LOOKUPS: &[(&str, &str)] = &[
    ("ic", "contains (case-insensitive)"),
    ("nic", "does not contain (case-insensitive)"),
    ("isw", "starts with (case-insensitive)"),
    ("nisw", "does not start with (case-insensitive)"),
    ("iew", "ends with (case-insensitive)"),
    ("niew", "does not end with (case-insensitive)"),
    ("ie", "equals (case-insensitive)"),
    ("nie", "does not equal (case-insensitive)"),
];

/// Lookups of ordered fields (numbers, dates), with what they mean.
const ORDER_LOOKUPS: &[(&str, &str)] = &[
    ("gt", "greater than"),
    ("gte", "greater than or equal to"),
    ("lt", "less than"),
    ("lte", "less than or equal to"),
];

/// Component names the document itself uses; models never take them.
const FIXED_COMPONENTS: &[&str] = &[
    "NestedReference",
    "RelatedObjectInput",
    "BulkOperation",
    "Error",
    "ValidationError",
];

/// `GET /api/docs/`: with `?format=openapi` the OpenAPI document as JSON, otherwise the
/// Swagger UI page reading it. Login is required like the rest of the API.
pub async fn docs(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse> {
    super::require_auth(&state, &req)?;
    let wants_schema = url::form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(k, v)| k == "format" && (v == "openapi" || v == "json"));
    if !wants_schema {
        return Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(docs_page()));
    }
    let manifests: Vec<&PluginManifest> = state.registry.iter().map(|p| &p.manifest).collect();
    let server_url = request::absolute_url(&req, "");
    let body = document(&state.catalog.registry, &manifests, &server_url);
    Ok(HttpResponse::Ok().json(body))
}

/// The version of the npm package `swagger-ui-dist` vendored in `host/api/assets/swagger-ui/`
/// (its README says how to update it). It is part of the assets' paths, so that they can
/// be cached for good.
pub const SWAGGER_UI_VERSION: &str = "5.35.0";

/// Where the Swagger UI assets are served (`/api/docs/swagger-ui/`).
pub const SWAGGER_UI_PREFIX: &str = "/api/docs/swagger-ui/";

/// Swagger UI's script, as `swagger-ui-dist` ships it.
const SWAGGER_UI_BUNDLE: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js");
/// Swagger UI's stylesheet, as `swagger-ui-dist` ships it.
const SWAGGER_UI_CSS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui.css");
/// The page's own script, starting Swagger UI (the CSP allows no inline script).
const SWAGGER_UI_INIT: &[u8] = include_bytes!("../assets/swagger-ui/init.js");

/// The path of the Swagger UI bundle (versioned).
pub fn swagger_ui_bundle_path() -> String {
    format!("{SWAGGER_UI_PREFIX}{SWAGGER_UI_VERSION}/swagger-ui-bundle.js")
}

/// The path of the Swagger UI stylesheet (versioned).
pub fn swagger_ui_css_path() -> String {
    format!("{SWAGGER_UI_PREFIX}{SWAGGER_UI_VERSION}/swagger-ui.css")
}

/// The path of the page's init script (not versioned: it changes with the server, and
/// is served with `no-cache`).
pub fn swagger_ui_init_path() -> String {
    format!("{SWAGGER_UI_PREFIX}init.js")
}

/// A year, immutable: the Swagger UI version is in the assets' paths.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

fn asset(content_type: &str, cache: &str, body: &'static [u8]) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body)
}

/// `GET /api/docs/swagger-ui/<version>/swagger-ui-bundle.js`. Public, like static files.
pub async fn swagger_ui_bundle() -> HttpResponse {
    asset(
        "application/javascript; charset=utf-8",
        CACHE_FOREVER,
        SWAGGER_UI_BUNDLE,
    )
}

/// `GET /api/docs/swagger-ui/<version>/swagger-ui.css`. Public, like static files.
pub async fn swagger_ui_css() -> HttpResponse {
    asset("text/css; charset=utf-8", CACHE_FOREVER, SWAGGER_UI_CSS)
}

/// `GET /api/docs/swagger-ui/init.js`. Public, like static files.
pub async fn swagger_ui_init() -> HttpResponse {
    asset(
        "application/javascript; charset=utf-8",
        "no-cache",
        SWAGGER_UI_INIT,
    )
}

/// The Swagger UI page: the stylesheet, the bundle and the init script, all served by
/// this server (no inline script, no CDN), and a plain link to the document for
/// browsers without JavaScript.
fn docs_page() -> String {
    format!(
        "<!DOCTYPE html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>API Documentation - Nautobot</title>
<link rel=\"icon\" href=\"data:,\">
<link rel=\"stylesheet\" href=\"{css}\">
<style>body {{ margin: 0; }} .docs-fallback {{ padding: 0 20px; font-family: sans-serif; }}</style>
</head>
<body>
<div id=\"swagger-ui\" data-openapi-url=\"/api/docs/?format=openapi\"></div>
<noscript><div class=\"docs-fallback\">
<h1>Nautobot REST API</h1>
<p>The API is described by an OpenAPI 3 document:
<a id=\"openapi-schema\" href=\"/api/docs/?format=openapi\">/api/docs/?format=openapi</a>.</p>
<p>Authenticate with the header <code>Authorization: Token &lt;key&gt;</code>.</p>
</div></noscript>
<script src=\"{bundle}\"></script>
<script src=\"{init}\"></script>
</body>
</html>
",
        css = swagger_ui_css_path(),
        bundle = swagger_ui_bundle_path(),
        init = swagger_ui_init_path(),
    )
}

/// The OpenAPI 3 document of the API: every model of `registry` (hidden ones aside), the
/// API views of `plugins`, and the core's fixed endpoints, served from `server_url`
/// (`http://host:port`; paths start with `/api/`).
pub fn document(registry: &Registry, plugins: &[&PluginManifest], server_url: &str) -> Value {
    let names = component_names(registry);
    let mut doc = Document::default();
    for model in served(registry) {
        let Some(name) = names.get(&model.label()) else {
            continue;
        };
        doc.add_model(registry, model, name);
    }
    doc.add_core_endpoints();
    doc.add_app_roots();
    if registry.get("extras.job").is_some() {
        doc.add_job_actions(names.get("extras.job").map(String::as_str));
    }
    for plugin in plugins {
        doc.add_plugin_views(plugin);
    }
    doc.finish(server_url)
}

/// The models the API serves.
fn served(registry: &Registry) -> impl Iterator<Item = &Model> {
    registry
        .iter()
        .map(|m| m.as_ref())
        .filter(|m| !nautobot_schema::core::is_hidden(&m.label()))
}

/// The component name of every served model: its verbose name in PascalCase
/// (`IPAddress`), prefixed with its app when two models would share one.
fn component_names(registry: &Registry) -> HashMap<String, String> {
    let mut taken: HashSet<String> = FIXED_COMPONENTS.iter().map(|s| s.to_string()).collect();
    let mut out = HashMap::new();
    for model in served(registry) {
        let mut base = pascal(model.verbose_name());
        if base.is_empty() {
            base = pascal(&model.schema.name);
        }
        if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
            base = format!("Model{base}");
        }
        let mut name = base.clone();
        if taken.contains(&name) || taken.contains(&format!("Writable{name}")) {
            name = format!("{}{base}", pascal(&model.schema.app_label));
        }
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{}{base}{n}", pascal(&model.schema.app_label));
            n += 1;
        }
        for prefix in [
            "",
            "Writable",
            "PatchedWritable",
            "BulkWritable",
            "PatchedBulkWritable",
        ] {
            taken.insert(format!("{prefix}{name}"));
        }
        taken.insert(format!("Paginated{name}List"));
        out.insert(model.label(), name);
    }
    out
}

/// `"IP address"` → `"IPAddress"`, `"example_plugin"` → `"ExamplePlugin"`.
fn pascal(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `/api/plugins/example-plugin/example-models/` → `plugins_example_plugin_example_models`.
fn operation_prefix(path: &str) -> String {
    let trimmed = path.trim_start_matches("/api/").trim_matches('/');
    let mut out = String::new();
    for c in trimmed.chars() {
        match c {
            '{' | '}' => {}
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {
                if !out.ends_with('_') {
                    out.push('_');
                }
            }
        }
    }
    out.trim_matches('_').to_string()
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn response_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/responses/{name}")})
}

fn parameter_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/parameters/{name}")})
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// Adds `nullable` and a description to a schema; a `$ref` is wrapped in `allOf`, since
/// OpenAPI 3.0 ignores the siblings of `$ref`.
fn annotate(schema: Value, nullable: bool, description: &str) -> Value {
    if !nullable && description.is_empty() {
        return schema;
    }
    let mut schema = match schema {
        Value::Object(o) if o.contains_key("$ref") => json!({"allOf": [Value::Object(o)]}),
        other => other,
    };
    if let Value::Object(o) = &mut schema {
        if nullable {
            o.insert("nullable".into(), Value::Bool(true));
        }
        if !description.is_empty() {
            o.insert("description".into(), Value::String(description.to_string()));
        }
    }
    schema
}

/// The schema of a field's bare value, shared by what the API returns and accepts.
fn scalar_schema(field: &FieldSchema) -> Value {
    match &field.kind {
        FieldKind::Char { max_length } => json!({"type": "string", "maxLength": max_length}),
        FieldKind::Text => json!({"type": "string"}),
        FieldKind::Slug { max_length } => json!({
            "type": "string",
            "maxLength": max_length,
            "pattern": "^[-a-zA-Z0-9_]*$",
        }),
        FieldKind::Integer { min, max } => {
            let mut s = json!({"type": "integer", "format": "int64"});
            if let Some(min) = min {
                s["minimum"] = json!(min);
            }
            if let Some(max) = max {
                s["maximum"] = json!(max);
            }
            s
        }
        FieldKind::PositiveInteger => json!({"type": "integer", "format": "int64", "minimum": 0}),
        FieldKind::Float => json!({"type": "number", "format": "double"}),
        FieldKind::Decimal {
            max_digits,
            decimal_places,
        } => json!({
            "type": "string",
            "format": "decimal",
            "pattern": format!(
                "^-?\\d{{0,{}}}(?:\\.\\d{{0,{}}})?$",
                max_digits.saturating_sub(*decimal_places),
                decimal_places
            ),
        }),
        FieldKind::Boolean => json!({"type": "boolean"}),
        FieldKind::Date => json!({"type": "string", "format": "date"}),
        FieldKind::DateTime => json!({"type": "string", "format": "date-time"}),
        FieldKind::Json => json!({}),
        FieldKind::IpAddress => json!({"type": "string", "example": "192.0.2.1/24"}),
        FieldKind::IpNetwork => json!({"type": "string", "example": "192.0.2.0/24"}),
        FieldKind::MacAddress => json!({"type": "string", "example": "00:00:5E:00:53:01"}),
        FieldKind::Choice { choices } => json!({
            "type": "string",
            "enum": choices.iter().map(|c| c.value.clone()).collect::<Vec<_>>(),
        }),
        FieldKind::ForeignKey { .. } | FieldKind::ManyToMany { .. } | FieldKind::Tags => {
            json!({"type": "string", "format": "uuid"})
        }
    }
}

/// How the API shows a field. A foreign key to a model the registry does not hold (the
/// change log's `user`, a row of the host's `users_user`) is shown as the bare id, as
/// the serialisers show it.
fn read_field(registry: &Registry, field: &FieldSchema) -> Value {
    let schema = match &field.kind {
        FieldKind::Choice { choices } => {
            let object = json!({
                "type": "object",
                "properties": {
                    "value": {
                        "type": "string",
                        "enum": choices.iter().map(|c| c.value.clone()).collect::<Vec<_>>(),
                    },
                    "label": {
                        "type": "string",
                        "enum": choices.iter().map(|c| c.label.clone()).collect::<Vec<_>>(),
                    },
                },
                "required": ["value", "label"],
            });
            if field.blank && !field.null {
                // An empty choice is shown as "".
                json!({"anyOf": [object, {"type": "string", "enum": [""]}]})
            } else {
                object
            }
        }
        FieldKind::ForeignKey { to, .. } if registry.get(to).is_some() => {
            schema_ref("NestedReference")
        }
        FieldKind::ManyToMany { to } if registry.get(to).is_some() => {
            json!({"type": "array", "items": schema_ref("NestedReference")})
        }
        FieldKind::Tags => json!({"type": "array", "items": schema_ref("NestedReference")}),
        _ => scalar_schema(field),
    };
    annotate(schema, field.null, &field.help_text)
}

/// How the API accepts a field.
fn write_field(field: &FieldSchema) -> Value {
    let mut schema = match &field.kind {
        FieldKind::ForeignKey { .. } => schema_ref("RelatedObjectInput"),
        FieldKind::ManyToMany { .. } | FieldKind::Tags => {
            json!({"type": "array", "items": schema_ref("RelatedObjectInput")})
        }
        FieldKind::Choice { choices } => {
            let mut values: Vec<String> = choices.iter().map(|c| c.value.clone()).collect();
            if field.blank {
                values.push(String::new());
            }
            json!({"type": "string", "enum": values})
        }
        _ => {
            let mut s = scalar_schema(field);
            if matches!(field.kind, FieldKind::Char { .. } | FieldKind::Text) && !field.blank {
                s["minLength"] = json!(1);
            }
            s
        }
    };
    schema = annotate(schema, field.null, &field.help_text);
    if let (Some(default), Value::Object(o)) = (&field.default, &mut schema) {
        o.insert("default".into(), default.clone());
    }
    schema
}

/// The read representation of `model`.
fn read_schema(registry: &Registry, model: &Model) -> Value {
    let mut props = Map::new();
    let read_only = |mut s: Value| {
        s["readOnly"] = Value::Bool(true);
        s
    };
    props.insert(
        "id".into(),
        read_only(json!({"type": "string", "format": "uuid"})),
    );
    props.insert(
        "object_type".into(),
        read_only(json!({"type": "string", "example": model.label()})),
    );
    props.insert("display".into(), read_only(json!({"type": "string"})));
    props.insert(
        "url".into(),
        read_only(json!({"type": "string", "format": "uri"})),
    );
    props.insert("natural_slug".into(), read_only(json!({"type": "string"})));
    for field in &model.schema.fields {
        props.insert(field.name.clone(), read_field(registry, field));
    }
    props.insert(
        "created".into(),
        read_only(json!({"type": "string", "format": "date-time", "nullable": true})),
    );
    props.insert(
        "last_updated".into(),
        read_only(json!({"type": "string", "format": "date-time", "nullable": true})),
    );
    props.insert(
        "notes_url".into(),
        read_only(json!({"type": "string", "format": "uri"})),
    );
    props.insert(
        "custom_fields".into(),
        json!({"type": "object", "additionalProperties": {}}),
    );
    // Write-only fields (a token's key) are shown only in the answer to a create.
    let required: Vec<Value> = props
        .keys()
        .filter(|k| !model.is_write_only(k))
        .cloned()
        .map(Value::String)
        .collect();
    let mut schema = json!({
        "type": "object",
        "properties": Value::Object(props),
        "required": required,
    });
    if !model.schema.description.is_empty() {
        schema["description"] = Value::String(model.schema.description.clone());
    }
    schema
}

/// What the API accepts for `model`: with the required fields listed when `required`,
/// and with an `id` (required) when `with_id` (bulk updates).
fn writable_schema(model: &Model, required: bool, with_id: bool) -> Value {
    let mut props = Map::new();
    let mut needed: Vec<Value> = Vec::new();
    if with_id {
        props.insert("id".into(), json!({"type": "string", "format": "uuid"}));
        needed.push(Value::String("id".into()));
    }
    for field in &model.schema.fields {
        props.insert(field.name.clone(), write_field(field));
        if required && write::default_for(field).is_none() {
            needed.push(Value::String(field.name.clone()));
        }
    }
    let mut schema = json!({"type": "object", "properties": Value::Object(props)});
    if !needed.is_empty() {
        schema["required"] = Value::Array(needed);
    }
    schema
}

/// The schema of one filter value of `field` (`None`: `id`, `created`, `last_updated`).
fn filter_value(field: Option<&FieldSchema>, name: &str) -> Value {
    match field {
        None if name == "id" => json!({"type": "string", "format": "uuid"}),
        None => json!({"type": "string", "format": "date-time"}),
        Some(f) => match &f.kind {
            FieldKind::ForeignKey { .. } => json!({
                "type": "string",
                "description": "The related object's id or name; `null` for none",
            }),
            FieldKind::Tags => json!({"type": "string", "description": "A tag's id or name"}),
            FieldKind::ManyToMany { .. } => json!({
                "type": "string",
                "description": "A related object's id or name (objects linked to any of the values)",
            }),
            FieldKind::Json => json!({"type": "string", "description": "A value in the list"}),
            FieldKind::Choice { .. } if f.null => json!({"type": "string"}),
            FieldKind::Char { .. } | FieldKind::Text | FieldKind::Slug { .. } => {
                json!({"type": "string"})
            }
            FieldKind::Decimal { .. } | FieldKind::Float => json!({"type": "number"}),
            FieldKind::Date => json!({"type": "string", "format": "date"}),
            _ => scalar_schema(f),
        },
    }
}

/// One query parameter filtering on `name` with `lookup` (`None`: exact).
fn filter_parameter(name: &str, lookup: Option<(&str, &str)>, value: &Value) -> Value {
    let (param, meaning, negated) = match lookup {
        Some((l, meaning)) => (
            format!("{name}__{l}"),
            meaning,
            matches!(l, "n" | "nic" | "nisw" | "niew" | "nie"),
        ),
        None => (name.to_string(), "equals", false),
    };
    let repeat = if negated {
        "repeat to exclude several values"
    } else {
        "repeat to match any of several values"
    };
    json!({
        "name": param,
        "in": "query",
        "required": false,
        "description": format!("`{name}` {meaning}; {repeat}."),
        "schema": {"type": "array", "items": value},
        "style": "form",
        "explode": true,
    })
}

/// The filters of `model`'s list: one parameter per field and lookup the API accepts.
fn filter_parameters(model: &Model) -> Vec<Value> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = query::RESERVED_PARAMS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut push = |out: &mut Vec<Value>, p: Value| {
        let name = p["name"].as_str().unwrap_or_default().to_string();
        if seen.insert(name) {
            out.push(p);
        }
    };
    let id = filter_value(None, "id");
    push(&mut out, filter_parameter("id", None, &id));
    push(&mut out, filter_parameter("id", Some(("n", "is not")), &id));
    for field in &model.schema.fields {
        let value = filter_value(Some(field), &field.name);
        push(&mut out, filter_parameter(&field.name, None, &value));
        push(
            &mut out,
            filter_parameter(&field.name, Some(("n", "is not")), &value),
        );
        let string_like = matches!(
            field.kind,
            FieldKind::Char { .. }
                | FieldKind::Text
                | FieldKind::Slug { .. }
                | FieldKind::Choice { .. }
                | FieldKind::IpAddress
                | FieldKind::IpNetwork
                | FieldKind::MacAddress
        );
        if string_like {
            let text = json!({"type": "string"});
            for lookup in STRING_LOOKUPS {
                push(
                    &mut out,
                    filter_parameter(&field.name, Some(*lookup), &text),
                );
            }
        }
        let ordered = matches!(
            field.kind,
            FieldKind::Integer { .. }
                | FieldKind::PositiveInteger
                | FieldKind::Float
                | FieldKind::Decimal { .. }
                | FieldKind::Date
                | FieldKind::DateTime
        );
        if ordered {
            for lookup in ORDER_LOOKUPS {
                push(
                    &mut out,
                    filter_parameter(&field.name, Some(*lookup), &value),
                );
            }
        }
        if field.null {
            push(
                &mut out,
                json!({
                    "name": format!("{}__isnull", field.name),
                    "in": "query",
                    "required": false,
                    "description": format!("`{}` is null (`true`) or is set (`false`).", field.name),
                    "schema": {"type": "boolean"},
                }),
            );
        }
    }
    for ts in ["created", "last_updated"] {
        let value = filter_value(None, ts);
        push(&mut out, filter_parameter(ts, None, &value));
        for lookup in ORDER_LOOKUPS {
            push(&mut out, filter_parameter(ts, Some(*lookup), &value));
        }
    }
    out
}

/// The document under construction.
#[derive(Default)]
struct Document {
    paths: Map<String, Value>,
    schemas: Map<String, Value>,
    tags: Vec<String>,
    operation_ids: HashSet<String>,
}

impl Document {
    fn tag(&mut self, tag: &str) {
        if !self.tags.iter().any(|t| t == tag) {
            self.tags.push(tag.to_string());
        }
    }

    /// A unique operation id.
    fn operation_id(&mut self, id: String) -> String {
        let mut candidate = id.clone();
        let mut n = 2;
        while !self.operation_ids.insert(candidate.clone()) {
            candidate = format!("{id}_{n}");
            n += 1;
        }
        candidate
    }

    fn operation(&mut self, tag: &str, id: String, summary: String, mut body: Value) -> Value {
        body["operationId"] = Value::String(self.operation_id(id));
        body["summary"] = Value::String(summary);
        body["tags"] = json!([tag]);
        body
    }

    fn add_model(&mut self, registry: &Registry, model: &Model, name: &str) {
        let tag = if model.plugin.is_some() {
            "plugins".to_string()
        } else {
            model.schema.app_label.clone()
        };
        self.tag(&tag);
        let prefix = operation_prefix(&model.api_path);
        let singular = model.verbose_name().to_string();
        let plural = model.verbose_name_plural().to_string();
        let read = schema_ref(name);
        let writable = format!("Writable{name}");
        let paginated = format!("Paginated{name}List");

        self.schemas
            .insert(name.to_string(), read_schema(registry, model));
        self.schemas.insert(
            paginated.clone(),
            json!({
                "type": "object",
                "required": ["count", "results"],
                "properties": {
                    "count": {"type": "integer", "example": 123},
                    "next": {"type": "string", "format": "uri", "nullable": true},
                    "previous": {"type": "string", "format": "uri", "nullable": true},
                    "results": {"type": "array", "items": read.clone()},
                },
            }),
        );

        let mut list_params = vec![
            parameter_ref("limit"),
            parameter_ref("offset"),
            parameter_ref("q"),
            parameter_ref("sort"),
            parameter_ref("depth"),
        ];
        list_params.extend(filter_parameters(model));
        let mut list_item = Map::new();
        let mut list_description = format!("The {plural}, filtered, sorted and paged.");
        if !model.schema.description.is_empty() {
            list_description = format!("{} {list_description}", model.schema.description);
        }
        list_item.insert(
            "get".into(),
            self.operation(
                &tag,
                format!("{prefix}_list"),
                format!("List {plural}"),
                json!({
                    "description": list_description,
                    "parameters": list_params,
                    "responses": {
                        "200": {"description": "A page of objects.", "content": json_content(schema_ref(&paginated))},
                        "400": response_ref("BadRequest"),
                        "403": response_ref("Forbidden"),
                    },
                }),
            ),
        );
        let id_param = json!({
            "name": "id",
            "in": "path",
            "required": true,
            "description": format!("The {singular}'s id."),
            "schema": {"type": "string", "format": "uuid"},
        });
        let mut detail_item = Map::new();
        detail_item.insert("parameters".into(), json!([id_param]));
        detail_item.insert(
            "get".into(),
            self.operation(
                &tag,
                format!("{prefix}_retrieve"),
                format!("Retrieve a {singular}"),
                json!({
                    "parameters": [parameter_ref("depth")],
                    "responses": {
                        "200": {"description": "The object.", "content": json_content(read.clone())},
                        "403": response_ref("Forbidden"),
                        "404": response_ref("NotFound"),
                    },
                }),
            ),
        );

        if !model.read_only {
            self.schemas
                .insert(writable.clone(), writable_schema(model, true, false));
            self.schemas.insert(
                format!("PatchedWritable{name}"),
                writable_schema(model, false, false),
            );
            self.schemas.insert(
                format!("BulkWritable{name}"),
                writable_schema(model, true, true),
            );
            self.schemas.insert(
                format!("PatchedBulkWritable{name}"),
                writable_schema(model, false, true),
            );
            let array_of = |s: Value| json!({"type": "array", "items": s});
            let body = |s: Value| json!({"required": true, "content": json_content(s)});
            list_item.insert(
                "post".into(),
                self.operation(
                    &tag,
                    format!("{prefix}_create"),
                    format!("Create one or more {plural}"),
                    json!({
                        "requestBody": body(json!({"oneOf": [schema_ref(&writable), array_of(schema_ref(&writable))]})),
                        "responses": {
                            "201": {
                                "description": "The objects created (a list when a list was sent).",
                                "content": json_content(json!({"oneOf": [read.clone(), array_of(read.clone())]})),
                            },
                            "400": response_ref("BadRequest"),
                            "403": response_ref("Forbidden"),
                        },
                    }),
                ),
            );
            for (method, suffix, summary, item) in [
                (
                    "put",
                    "bulk_update",
                    format!("Update {plural} in bulk"),
                    format!("BulkWritable{name}"),
                ),
                (
                    "patch",
                    "bulk_partial_update",
                    format!("Partially update {plural} in bulk"),
                    format!("PatchedBulkWritable{name}"),
                ),
            ] {
                let op = self.operation(
                    &tag,
                    format!("{prefix}_{suffix}"),
                    summary,
                    json!({
                        "requestBody": body(array_of(schema_ref(&item))),
                        "responses": {
                            "200": {"description": "The objects updated.", "content": json_content(array_of(read.clone()))},
                            "400": response_ref("BadRequest"),
                            "403": response_ref("Forbidden"),
                            "404": response_ref("NotFound"),
                        },
                    }),
                );
                list_item.insert(method.into(), op);
            }
            list_item.insert(
                "delete".into(),
                self.operation(
                    &tag,
                    format!("{prefix}_bulk_destroy"),
                    format!("Delete {plural} in bulk"),
                    json!({
                        "requestBody": body(array_of(schema_ref("BulkOperation"))),
                        "responses": {
                            "204": {"description": "The objects were deleted."},
                            "400": response_ref("BadRequest"),
                            "403": response_ref("Forbidden"),
                            "404": response_ref("NotFound"),
                            "409": response_ref("Conflict"),
                        },
                    }),
                ),
            );
            for (method, suffix, summary, item) in [
                (
                    "put",
                    "update",
                    format!("Update a {singular}"),
                    writable.clone(),
                ),
                (
                    "patch",
                    "partial_update",
                    format!("Partially update a {singular}"),
                    format!("PatchedWritable{name}"),
                ),
            ] {
                let op = self.operation(
                    &tag,
                    format!("{prefix}_{suffix}"),
                    summary,
                    json!({
                        "requestBody": body(schema_ref(&item)),
                        "responses": {
                            "200": {"description": "The object updated.", "content": json_content(read.clone())},
                            "400": response_ref("BadRequest"),
                            "403": response_ref("Forbidden"),
                            "404": response_ref("NotFound"),
                        },
                    }),
                );
                detail_item.insert(method.into(), op);
            }
            detail_item.insert(
                "delete".into(),
                self.operation(
                    &tag,
                    format!("{prefix}_destroy"),
                    format!("Delete a {singular}"),
                    json!({
                        "responses": {
                            "204": {"description": "The object was deleted."},
                            "403": response_ref("Forbidden"),
                            "404": response_ref("NotFound"),
                            "409": response_ref("Conflict"),
                        },
                    }),
                ),
            );
        }
        self.paths
            .insert(model.api_path.clone(), Value::Object(list_item));
        self.paths.insert(
            format!("{}{{id}}/", model.api_path),
            Value::Object(detail_item),
        );
    }

    /// The core's fixed endpoints (status, content types, installed plugins).
    fn add_core_endpoints(&mut self) {
        let free = json!({"type": "object", "additionalProperties": {}});
        let endpoints = [
            (
                "/api/status/",
                "status",
                "status_retrieve",
                "The server's status",
                json!({
                    "type": "object",
                    "properties": {
                        "nautobot-version": {"type": "string"},
                        "api-version": {"type": "string"},
                        "plugin-abi-version": {"type": "string"},
                        "rust-version": {"type": "string"},
                        "database": {"type": "object", "additionalProperties": {}},
                        "plugins": {"type": "object", "additionalProperties": {"type": "string"}},
                        "nautobot-apps": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                }),
            ),
            (
                "/api/extras/content-types/",
                "extras",
                "extras_content_types_list",
                "List content types",
                json!({
                    "type": "object",
                    "properties": {
                        "count": {"type": "integer"},
                        "next": {"type": "string", "format": "uri", "nullable": true},
                        "previous": {"type": "string", "format": "uri", "nullable": true},
                        "results": {"type": "array", "items": free.clone()},
                    },
                }),
            ),
            (
                "/api/plugins/installed-plugins/",
                "plugins",
                "plugins_installed_plugins_list",
                "List installed plugins",
                json!({"type": "array", "items": free.clone()}),
            ),
        ];
        for (path, tag, id, summary, schema) in endpoints {
            if self.paths.contains_key(path) {
                continue;
            }
            self.tag(tag);
            let op = self.operation(
                tag,
                id.to_string(),
                summary.to_string(),
                json!({
                    "responses": {
                        "200": {"description": "OK", "content": json_content(schema)},
                        "403": response_ref("Forbidden"),
                    },
                }),
            );
            self.paths.insert(path.to_string(), json!({"get": op}));
        }
    }

    /// The API root, the plugins' root and each core app's root: the URLs under them.
    fn add_app_roots(&mut self) {
        let urls =
            json!({"type": "object", "additionalProperties": {"type": "string", "format": "uri"}});
        let mut roots = vec![
            ("/api/".to_string(), "api".to_string()),
            ("/api/plugins/".to_string(), "plugins".to_string()),
        ];
        for app in nautobot_schema::core::CORE_APPS {
            roots.push((format!("/api/{app}/"), app.to_string()));
        }
        for (path, tag) in roots {
            if self.paths.contains_key(&path) {
                continue;
            }
            self.tag(&tag);
            let id = if tag == "api" {
                "api_root".to_string()
            } else {
                format!("{tag}_root")
            };
            let op = self.operation(
                &tag,
                id,
                format!("The URLs under {path}"),
                json!({
                    "responses": {
                        "200": {"description": "Each endpoint's URL.", "content": json_content(urls.clone())},
                        "403": response_ref("Forbidden"),
                    },
                }),
            );
            self.paths.insert(path, json!({"get": op}));
        }
    }

    /// The jobs' actions beyond reading: enabling (`PATCH`/`PUT` of a job), running and
    /// revoking a queued run, as Nautobot's API has them.
    fn add_job_actions(&mut self, job_component: Option<&str>) {
        let free = json!({"type": "object", "additionalProperties": {}});
        let job = job_component
            .map(|name| json!({"$ref": format!("#/components/schemas/{name}")}))
            .unwrap_or_else(|| free.clone());
        let id_param = json!([{
            "name": "id", "in": "path", "required": true,
            "schema": {"type": "string", "format": "uuid"},
        }]);
        let enable_body = json!({
            "required": true,
            "content": json_content(json!({
                "type": "object",
                "properties": {"enabled": {"type": "boolean"}},
            })),
        });
        if let Some(Value::Object(mut item)) = self.paths.get("/api/extras/jobs/{id}/").cloned() {
            for (method, id, summary) in [
                (
                    "patch",
                    "extras_jobs_partial_update",
                    "Enable or disable a job",
                ),
                ("put", "extras_jobs_update", "Enable or disable a job"),
            ] {
                let op = self.operation(
                    "extras",
                    id.to_string(),
                    summary.to_string(),
                    json!({
                        "requestBody": enable_body.clone(),
                        "responses": {
                            "200": {"description": "The job.", "content": json_content(job.clone())},
                            "400": response_ref("BadRequest"),
                            "403": response_ref("Forbidden"),
                            "404": response_ref("NotFound"),
                        },
                    }),
                );
                item.insert(method.into(), op);
            }
            self.paths
                .insert("/api/extras/jobs/{id}/".into(), Value::Object(item));
        }
        let run = self.operation(
            "extras",
            "extras_jobs_run_create".into(),
            "Run a job".into(),
            json!({
                "requestBody": {
                    "required": false,
                    "content": json_content(json!({
                        "type": "object",
                        "properties": {
                            "data": {"type": "object", "additionalProperties": {}},
                            "dryrun": {"type": "boolean"},
                            "schedule": {"type": "object", "additionalProperties": {}},
                        },
                    })),
                },
                "responses": {
                    "201": {"description": "The queued run and its job result.", "content": json_content(free.clone())},
                    "400": response_ref("BadRequest"),
                    "403": response_ref("Forbidden"),
                    "404": response_ref("NotFound"),
                },
            }),
        );
        self.paths.insert(
            "/api/extras/jobs/{id}/run/".into(),
            json!({"parameters": id_param.clone(), "post": run}),
        );
        let revoke = self.operation(
            "extras",
            "extras_job_results_revoke_create".into(),
            "Revoke a queued run".into(),
            json!({
                "responses": {
                    "200": {"description": "The revoked job result.", "content": json_content(free)},
                    "403": response_ref("Forbidden"),
                    "404": response_ref("NotFound"),
                    "409": response_ref("Conflict"),
                },
            }),
        );
        self.paths.insert(
            "/api/extras/job-results/{id}/revoke/".into(),
            json!({"parameters": id_param, "post": revoke}),
        );
    }

    /// A plugin's own API views: free-form JSON in and out.
    fn add_plugin_views(&mut self, plugin: &PluginManifest) {
        for view in &plugin.api_views {
            let path = format!("/api/plugins/{}/{}", plugin.base_url, view.path);
            if self.paths.contains_key(&path) {
                // A model route of the same path answers first.
                continue;
            }
            self.tag("plugins");
            let prefix = operation_prefix(&path);
            let mut item = Map::new();
            let params: Vec<Value> = view
                .path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(|name| {
                    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
                })
                .collect();
            if !params.is_empty() {
                item.insert("parameters".into(), Value::Array(params));
            }
            for method in &view.methods {
                let method = method.to_ascii_lowercase();
                let action = match method.as_str() {
                    "get" => "retrieve",
                    "post" => "create",
                    "put" => "update",
                    "patch" => "partial_update",
                    "delete" => "destroy",
                    _ => continue,
                };
                // The plugin chooses the status of a success (201 for a create, 204…).
                let mut op = json!({
                    "description": format!("The {} plugin's `{}` view.", plugin.name, view.name),
                    "responses": {
                        "200": {"description": "The view's answer.", "content": json_content(json!({}))},
                        "2XX": {"description": "The view's answer, with the status it chose.", "content": json_content(json!({}))},
                        "400": response_ref("BadRequest"),
                        "403": response_ref("Forbidden"),
                        "404": response_ref("NotFound"),
                    },
                });
                if matches!(method.as_str(), "post" | "put" | "patch") {
                    op["requestBody"] =
                        json!({"required": false, "content": json_content(json!({}))});
                }
                let id = if prefix.is_empty() {
                    action.to_string()
                } else {
                    format!("{prefix}_{action}")
                };
                let op = self.operation(
                    "plugins",
                    id,
                    format!(
                        "{} {}",
                        capitalise(&plugin.name.replace('_', " ")),
                        view.name
                    ),
                    op,
                );
                item.insert(method, op);
            }
            if item.keys().any(|k| k != "parameters") {
                self.paths.insert(path, Value::Object(item));
            }
        }
    }

    fn finish(mut self, server_url: &str) -> Value {
        self.schemas.insert(
            "NestedReference".into(),
            json!({
                "type": "object",
                "description": "A reference to another object (the object itself with `depth=1`).",
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "object_type": {"type": "string", "example": "dcim.location"},
                    "url": {"type": "string", "format": "uri"},
                },
                "required": ["id", "object_type", "url"],
            }),
        );
        self.schemas.insert(
            "RelatedObjectInput".into(),
            json!({
                "description": "Another object: its id, or attributes identifying it \
                                (`{\"name\": \"Active\"}`). Its name alone is accepted too.",
                "oneOf": [
                    {"type": "string", "format": "uuid"},
                    {
                        "type": "object",
                        "properties": {"id": {"type": "string", "format": "uuid"}},
                        "additionalProperties": true,
                    },
                ],
            }),
        );
        self.schemas.insert(
            "BulkOperation".into(),
            json!({
                "type": "object",
                "properties": {"id": {"type": "string", "format": "uuid"}},
                "required": ["id"],
            }),
        );
        self.schemas.insert(
            "Error".into(),
            json!({
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            }),
        );
        self.schemas.insert(
            "ValidationError".into(),
            json!({
                "type": "object",
                "description": "The errors of each field (`non_field_errors` for the object).",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            }),
        );
        let error = |description: &str| json!({"description": description, "content": json_content(schema_ref("Error"))});
        let responses = json!({
            "BadRequest": {
                "description": "The request is invalid: field errors (a list of them, one per \
                                item, for a list of objects), or a detail message.",
                "content": json_content(json!({"anyOf": [
                    schema_ref("ValidationError"),
                    {"type": "array", "items": schema_ref("ValidationError")},
                    schema_ref("Error"),
                ]})),
            },
            "Forbidden": error("Authentication is missing or the permission is lacking."),
            "NotFound": error("No such object."),
            "Conflict": error("The object is still referred to by protected objects."),
        });
        let parameters = json!({
            "limit": {
                "name": "limit", "in": "query", "required": false,
                "description": format!(
                    "Objects per page (default {}, at most {}; 0 for the most).",
                    query::DEFAULT_LIMIT, query::MAX_LIMIT
                ),
                "schema": {"type": "integer", "minimum": 0},
            },
            "offset": {
                "name": "offset", "in": "query", "required": false,
                "description": "Objects to skip.",
                "schema": {"type": "integer", "minimum": 0},
            },
            "q": {
                "name": "q", "in": "query", "required": false,
                "description": "Search (case-insensitive) in the model's search fields, or by id.",
                "schema": {"type": "string"},
            },
            "sort": {
                "name": "sort", "in": "query", "required": false,
                "description": "Fields to sort by, comma-separated; `-` before a field for descending order.",
                "schema": {"type": "string"},
            },
            "depth": {
                "name": "depth", "in": "query", "required": false,
                "description": "0: related objects as references; 1: as the objects themselves.",
                "schema": {"type": "integer", "minimum": 0, "default": 0},
            },
        });
        let tags: Vec<Value> = self.tags.iter().map(|t| json!({"name": t})).collect();
        json!({
            "openapi": OPENAPI_VERSION,
            "info": {
                "title": "Nautobot API",
                "version": API_VERSION,
                "description": "The REST API of every model, core and plugins.",
                "license": {"name": "Apache v2", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
            },
            "servers": [{"url": server_url}],
            "tags": tags,
            "paths": Value::Object(self.paths),
            "components": {
                "schemas": Value::Object(self.schemas),
                "responses": responses,
                "parameters": parameters,
                "securitySchemes": {
                    "tokenAuth": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "Authorization",
                        "description": "Token <key>",
                    },
                    "cookieAuth": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": nautobot_auth::sessions::COOKIE,
                    },
                },
            },
            "security": [{"tokenAuth": []}, {"cookieAuth": []}],
        })
    }
}

#[cfg(test)]
mod tests {
    use nautobot_plugin_abi::{
        schema::{Migration, ModelSchema, Operation},
        OnDelete, ViewDef,
    };

    use super::*;
    use nautobot_schema::catalog::Catalog;

    fn core_document() -> Value {
        let catalog = Catalog::build(&[]).unwrap();
        document(&catalog.registry, &[], "http://testserver")
    }

    fn example_manifest() -> PluginManifest {
        let model = ModelSchema::new("example_plugin", "examplemodel")
            .verbose_names("example model", "example models")
            .field(FieldSchema::char("name", 20).unique())
            .field(FieldSchema::integer("number").default_value(0))
            .field(
                FieldSchema::foreign_key("location", "dcim.location", OnDelete::Cascade).optional(),
            );
        PluginManifest {
            name: "example_plugin".into(),
            base_url: "example-plugin".into(),
            models: vec![model.clone()],
            migrations: vec![Migration::new("example_plugin", "0001_initial")
                .depends_on("dcim", "0001_initial")
                .operation(Operation::CreateModel { model })],
            api_views: vec![
                ViewDef {
                    name: "api_root".into(),
                    path: String::new(),
                    ..Default::default()
                },
                ViewDef {
                    name: "api_echo".into(),
                    path: "echo/".into(),
                    methods: vec!["POST".into()],
                    ..Default::default()
                },
                ViewDef {
                    name: "api_thing".into(),
                    path: "things/{pk}/".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    /// Every `$ref` in `value`, with where it was found.
    fn refs(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(o) => {
                for (k, v) in o {
                    if k == "$ref" {
                        out.push((at.to_string(), v.as_str().unwrap_or_default().to_string()));
                    } else {
                        refs(v, &format!("{at}/{k}"), out);
                    }
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    refs(v, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    fn assert_refs_resolve(doc: &Value) {
        let mut found = Vec::new();
        refs(doc, "", &mut found);
        assert!(found.len() > 100, "{}", found.len());
        for (at, r) in found {
            let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{at}: {r}"));
            assert!(doc.pointer(pointer).is_some(), "{at}: {r} does not resolve");
        }
    }

    fn param_names(op: &Value) -> Vec<String> {
        op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p["name"]
                    .as_str()
                    .or_else(|| p["$ref"].as_str().and_then(|r| r.rsplit('/').next()))
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_header_describes_the_api() {
        let doc = core_document();
        assert_eq!(doc["openapi"], "3.0.3");
        assert_eq!(doc["info"]["title"], "Nautobot API");
        assert_eq!(doc["info"]["version"], API_VERSION);
        assert_eq!(doc["servers"][0]["url"], "http://testserver");
        let token = &doc["components"]["securitySchemes"]["tokenAuth"];
        assert_eq!(token["type"], "apiKey");
        assert_eq!(token["in"], "header");
        assert_eq!(token["name"], "Authorization");
        assert_eq!(doc["security"][0], json!({"tokenAuth": []}));
    }

    #[test]
    fn locations_have_list_and_detail_operations_with_filters() {
        let doc = core_document();
        let list = &doc["paths"]["/api/dcim/locations/"];
        assert_eq!(list["get"]["operationId"], "dcim_locations_list");
        assert_eq!(list["post"]["operationId"], "dcim_locations_create");
        assert_eq!(list["put"]["operationId"], "dcim_locations_bulk_update");
        assert_eq!(
            list["patch"]["operationId"],
            "dcim_locations_bulk_partial_update"
        );
        assert_eq!(list["delete"]["operationId"], "dcim_locations_bulk_destroy");
        assert_eq!(list["get"]["tags"], json!(["dcim"]));
        let names = param_names(&list["get"]);
        for p in [
            "limit",
            "offset",
            "q",
            "sort",
            "depth",
            "name",
            "name__ic",
            "name__nie",
            "name__n",
            "status",
            "status__n",
            "parent__isnull",
            "asn__gte",
            "asn__isnull",
            "created__gt",
            "id",
            "tags",
        ] {
            assert!(names.contains(&p.to_string()), "{p} missing: {names:?}");
        }
        // Only lookups the API accepts.
        assert!(!names.contains(&"name__isnull".to_string()));
        assert!(!names.contains(&"status__ic".to_string()));
        assert!(!names.contains(&"name__gt".to_string()));
        let name_ic = list["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "name__ic")
            .unwrap();
        assert_eq!(name_ic["in"], "query");
        assert_eq!(name_ic["style"], "form");
        assert_eq!(name_ic["explode"], true);
        assert_eq!(name_ic["schema"]["type"], "array");
        let asn = list["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "asn__gte")
            .unwrap();
        assert_eq!(asn["schema"]["items"]["type"], "integer");
        assert_eq!(
            list["post"]["responses"]["201"]["content"]["application/json"]["schema"]["oneOf"][0]
                ["$ref"],
            "#/components/schemas/Location"
        );

        let detail = &doc["paths"]["/api/dcim/locations/{id}/"];
        assert_eq!(detail["get"]["operationId"], "dcim_locations_retrieve");
        assert_eq!(detail["put"]["operationId"], "dcim_locations_update");
        assert_eq!(
            detail["patch"]["operationId"],
            "dcim_locations_partial_update"
        );
        assert_eq!(detail["delete"]["operationId"], "dcim_locations_destroy");
        assert!(detail["delete"]["responses"]["204"].is_object());
        assert_eq!(detail["parameters"][0]["in"], "path");
    }

    #[test]
    fn the_location_schema_matches_the_serializer() {
        let doc = core_document();
        let schemas = &doc["components"]["schemas"];
        let location = &schemas["Location"];
        let props = &location["properties"];
        assert_eq!(props["id"]["format"], "uuid");
        assert_eq!(props["url"]["format"], "uri");
        for key in [
            "object_type",
            "display",
            "natural_slug",
            "created",
            "last_updated",
            "notes_url",
            "custom_fields",
        ] {
            assert!(props[key].is_object(), "{key}");
        }
        assert_eq!(
            props["status"]["$ref"],
            "#/components/schemas/NestedReference"
        );
        assert_eq!(
            props["parent"]["allOf"][0]["$ref"],
            "#/components/schemas/NestedReference"
        );
        assert_eq!(props["parent"]["nullable"], true);
        assert_eq!(props["name"]["type"], "string");
        assert_eq!(props["name"]["maxLength"], 100);
        assert_eq!(props["asn"]["type"], "integer");
        assert_eq!(props["asn"]["minimum"], 1);
        assert_eq!(props["asn"]["maximum"], 4_294_967_295_i64);
        assert_eq!(props["asn"]["nullable"], true);
        assert_eq!(props["tags"]["type"], "array");
        assert_eq!(
            props["tags"]["items"]["$ref"],
            "#/components/schemas/NestedReference"
        );
        let nested = &schemas["NestedReference"]["properties"];
        assert!(
            nested["id"].is_object()
                && nested["object_type"].is_object()
                && nested["url"].is_object()
        );

        // Choices are {value, label} when read and plain values when written.
        let interface = &schemas["Interface"]["properties"]["type"];
        assert_eq!(interface["type"], "object");
        assert!(interface["properties"]["value"]["enum"].is_array());
        let writable_type = &schemas["WritableInterface"]["properties"]["type"];
        assert_eq!(writable_type["type"], "string");
        assert!(writable_type["enum"].is_array());

        let writable = &schemas["WritableLocation"];
        let required: Vec<&str> = writable["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for f in ["name", "location_type", "status"] {
            assert!(required.contains(&f), "{f}: {required:?}");
        }
        for f in ["parent", "description", "asn", "tags"] {
            assert!(!required.contains(&f), "{f}: {required:?}");
        }
        assert_eq!(
            writable["properties"]["status"]["$ref"],
            "#/components/schemas/RelatedObjectInput"
        );
        assert!(schemas["PatchedWritableLocation"].get("required").is_none());
        assert_eq!(schemas["BulkWritableLocation"]["required"][0], "id");
        assert_eq!(
            schemas["PaginatedLocationList"]["properties"]["results"]["items"]["$ref"],
            "#/components/schemas/Location"
        );
        assert_eq!(
            schemas["IPAddress"]["properties"]["address"]["type"],
            "string"
        );
    }

    #[test]
    fn read_only_models_only_read() {
        let doc = core_document();
        let list = &doc["paths"]["/api/extras/object-changes/"];
        assert!(
            list["get"].is_object(),
            "{}",
            doc["paths"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        );
        for m in ["post", "put", "patch", "delete"] {
            assert!(list.get(m).is_none(), "{m}");
            assert!(doc["paths"]["/api/extras/object-changes/{id}/"]
                .get(m)
                .is_none());
        }
        assert!(doc["components"]["schemas"]
            .get("WritableObjectChange")
            .is_none());
        // Its user is a user model now: a reference. A foreign key to a model the
        // registry lacks is shown as the bare id, as the serialisers show it.
        assert_eq!(
            doc["components"]["schemas"]["ObjectChange"]["properties"]["user"]["allOf"][0],
            schema_ref("NestedReference")
        );
        let registry = &Catalog::build(&[]).unwrap().registry;
        let orphan =
            FieldSchema::foreign_key("owner", "nowhere.thing", OnDelete::SetNull).optional();
        assert_eq!(
            read_field(registry, &orphan),
            json!({"type": "string", "format": "uuid", "nullable": true})
        );
        // Write-only fields (a token's key) are described, not required.
        let token = &doc["components"]["schemas"]["Token"];
        assert!(token["properties"]["key"].is_object(), "{token}");
        assert!(
            !token["required"]
                .as_array()
                .unwrap()
                .contains(&json!("key")),
            "{token}"
        );
        assert_eq!(
            doc["components"]["schemas"]["ObjectChange"]["properties"]["changed_object_type"]
                ["type"],
            "string"
        );
        // Hidden models are not described.
        assert!(!doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .any(|p| p.contains("tagged")));
    }

    #[test]
    fn errors_are_described() {
        let doc = core_document();
        let responses = &doc["components"]["responses"];
        let not_found = &responses["NotFound"]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(not_found, "#/components/schemas/Error");
        assert_eq!(
            doc["components"]["schemas"]["Error"]["required"],
            json!(["detail"])
        );
        let validation = &doc["components"]["schemas"]["ValidationError"];
        assert_eq!(validation["additionalProperties"]["type"], "array");
        assert_eq!(
            validation["additionalProperties"]["items"]["type"],
            "string"
        );
        assert_eq!(
            doc["paths"]["/api/dcim/locations/"]["post"]["responses"]["400"]["$ref"],
            "#/components/responses/BadRequest"
        );
    }

    #[test]
    fn the_document_serialises_and_every_ref_resolves() {
        let doc = core_document();
        let text = serde_json::to_string(&doc).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, doc);
        assert_refs_resolve(&doc);
    }

    #[test]
    fn plugin_models_and_views_are_described() {
        let manifest = example_manifest();
        let catalog = Catalog::build(&[&manifest]).unwrap();
        let doc = document(&catalog.registry, &[&manifest], "http://testserver");
        let paths = &doc["paths"];
        let list = &paths["/api/plugins/example-plugin/example-models/"];
        assert_eq!(
            list["get"]["operationId"],
            "plugins_example_plugin_example_models_list"
        );
        assert_eq!(list["get"]["tags"], json!(["plugins"]));
        assert_eq!(
            paths["/api/plugins/example-plugin/example-models/{id}/"]["get"]["operationId"],
            "plugins_example_plugin_example_models_retrieve"
        );
        assert_eq!(
            doc["components"]["schemas"]["WritableExampleModel"]["required"],
            json!(["name"])
        );
        assert_eq!(
            paths["/api/plugins/example-plugin/"]["get"]["operationId"],
            "plugins_example_plugin_retrieve"
        );
        assert_eq!(
            paths["/api/plugins/example-plugin/echo/"]["post"]["operationId"],
            "plugins_example_plugin_echo_create"
        );
        assert_eq!(
            paths["/api/plugins/example-plugin/things/{pk}/"]["parameters"][0]["name"],
            "pk"
        );
        // A view chooses the status of its success (201 for a create).
        let echo = &paths["/api/plugins/example-plugin/echo/"]["post"]["responses"];
        assert!(echo["200"].is_object() && echo["2XX"].is_object(), "{echo}");
        assert!(doc["tags"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "plugins"})));
        assert_refs_resolve(&doc);
        // Operation ids are unique.
        let mut ids = HashSet::new();
        for item in paths.as_object().unwrap().values() {
            for (method, op) in item.as_object().unwrap() {
                if method != "parameters" {
                    let id = op["operationId"].as_str().unwrap();
                    assert!(ids.insert(id.to_string()), "duplicate {id}");
                }
            }
        }
    }

    #[test]
    fn names() {
        assert_eq!(pascal("IP address"), "IPAddress");
        assert_eq!(pascal("location type"), "LocationType");
        assert_eq!(pascal("example_plugin"), "ExamplePlugin");
        assert_eq!(
            operation_prefix("/api/dcim/location-types/"),
            "dcim_location_types"
        );
        assert_eq!(
            operation_prefix("/api/plugins/example-plugin/things/{pk}/"),
            "plugins_example_plugin_things_pk"
        );
    }
}
