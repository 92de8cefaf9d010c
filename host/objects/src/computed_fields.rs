//! Computed fields (Nautobot's `extras.ComputedField`): a template per model whose
//! output is shown on detail pages and, with `?include=computed_fields`, in the REST API.
//!
//! Templates are Tera (Jinja's syntax for what computed fields use: `{{ obj.name }}`,
//! filters, conditions), rendered with `obj`, the object's REST representation. Each
//! template is compiled once per process and kept (keyed by its text); a template that
//! fails to render gives the field's `fallback_value`, or the error as the value — never
//! a failed request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

use nautobot_base::error::{validated, Result, ValidationErrors};
use nautobot_db::DbConnection;
use nautobot_schema::{Model, Registry, Row};

/// The definitions' model.
pub const MODEL: &str = "extras.computedfield";

/// Compiled templates kept at most (older ones are dropped when it is full).
const CACHE_LIMIT: usize = 512;

/// One computed field.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    /// The key under `computed_fields`.
    pub key: String,
    /// The label shown on detail pages.
    pub label: String,
    /// The template's text.
    pub template: String,
    /// What is shown when the template fails (empty: the error).
    pub fallback: String,
    /// Shown in the Advanced tab rather than the main one (kept for Nautobot's API).
    pub advanced_ui: bool,
}

fn text(row: &Map<String, Value>, field: &str) -> String {
    row.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The computed fields of `model`, by weight and label.
pub fn definitions(
    conn: &mut DbConnection,
    registry: &Registry,
    model: &Model,
) -> Result<Vec<Computed>> {
    let Some(defs) = registry.get(MODEL) else {
        return Ok(Vec::new());
    };
    if model.label() == MODEL {
        return Ok(Vec::new());
    }
    let query = super::query::ListQuery {
        limit: super::query::MAX_LIMIT,
        ..Default::default()
    }
    .filter("content_type", &model.label());
    let (rows, _) = super::query::page_rows(conn, registry, defs, &query)?;
    Ok(rows
        .iter()
        .map(|r| Computed {
            key: text(r, "key"),
            label: text(r, "label"),
            template: text(r, "template"),
            fallback: text(r, "fallback_value"),
            advanced_ui: r
                .get("advanced_ui")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
        .collect())
}

/// A template filter a plugin registers (ABI 1.2, Nautobot's `jinja_filters`): the
/// value filtered and the filter's arguments in, the result or an error message out.
pub type TemplateFilter = Arc<
    dyn Fn(&Value, &HashMap<String, Value>) -> std::result::Result<Value, String> + Send + Sync,
>;

fn filters() -> &'static std::sync::RwLock<Vec<(String, TemplateFilter)>> {
    static FILTERS: OnceLock<std::sync::RwLock<Vec<(String, TemplateFilter)>>> = OnceLock::new();
    FILTERS.get_or_init(|| std::sync::RwLock::new(Vec::new()))
}

/// Compiled templates by source and autoescaping.
type Compiled = HashMap<(String, bool), Arc<tera::Tera>>;

fn cache() -> &'static Mutex<Compiled> {
    static CACHE: OnceLock<Mutex<Compiled>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Makes `filters` (the plugins' template filters, by name) usable in computed fields
/// and table extension templates; replaces those installed before.
pub fn install_filters(installed: Vec<(String, TemplateFilter)>) {
    if let Ok(mut f) = filters().write() {
        *f = installed;
    }
    if let Ok(mut c) = cache().lock() {
        c.clear();
    }
}

/// The compiled template of `source` (compiled on first use, then kept), with the
/// plugins' filters; `autoescape` for HTML output.
fn compiled_with(source: &str, autoescape: bool) -> std::result::Result<Arc<tera::Tera>, String> {
    let key = (source.to_string(), autoescape);
    if let Some(found) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(found);
    }
    let mut tera = tera::Tera::default();
    if !autoescape {
        tera.autoescape_on(Vec::new());
    }
    if let Ok(installed) = filters().read() {
        for (name, filter) in installed.iter() {
            let filter = filter.clone();
            tera.register_filter(name, move |value: &Value, args: &HashMap<String, Value>| {
                filter(value, args).map_err(tera::Error::msg)
            });
        }
    }
    tera.add_raw_template("computed.html", source)
        .map_err(|e| error_text(&e))?;
    let tera = Arc::new(tera);
    if let Ok(mut c) = cache().lock() {
        if c.len() >= CACHE_LIMIT {
            c.clear();
        }
        c.insert(key, tera.clone());
    }
    Ok(tera)
}

fn compiled(source: &str) -> std::result::Result<Arc<tera::Tera>, String> {
    compiled_with(source, false)
}

/// Renders `source` as HTML (autoescaped) with `context` and the plugins' filters, the
/// error on one line when it fails: table extension cells.
pub fn render_html(source: &str, context: &tera::Context) -> std::result::Result<String, String> {
    compiled_with(source, true)?
        .render("computed.html", context)
        .map_err(|e| error_text(&e))
}

/// A Tera error with its causes, on one line.
fn error_text(err: &tera::Error) -> String {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The value of one computed field for `object` (its REST representation).
pub fn render(def: &Computed, object: &Value) -> String {
    let rendered = compiled(&def.template).and_then(|tera| {
        let mut context = tera::Context::new();
        context.insert("obj", object);
        tera.render("computed.html", &context)
            .map_err(|e| error_text(&e))
    });
    match rendered {
        Ok(text) => text,
        Err(_) if !def.fallback.is_empty() => def.fallback.clone(),
        Err(message) => format!("Template error: {message}"),
    }
}

/// Every computed field of `defs` for `object`, as `computed_fields`.
pub fn values(defs: &[Computed], object: &Value) -> Value {
    Value::Object(
        defs.iter()
            .map(|d| (d.key.clone(), Value::String(render(d, object))))
            .collect(),
    )
}

/// Checks and completes a definition before it is written: the key from the label when
/// empty and fixed afterwards, the model known, the template compiling.
pub fn prepare_definition(
    registry: &Registry,
    row: &mut Row,
    original: Option<&Row>,
) -> Result<()> {
    let mut errors = ValidationErrors::new();
    let key_problems = super::custom_fields::settle_key(row, original, "computed field");
    if !key_problems.is_empty() {
        errors.insert("key".into(), key_problems);
    }
    let mut error =
        |field: &str, message: String| errors.entry(field.to_string()).or_default().push(message);
    let label = text(row, "content_type");
    if !registry
        .get(&label)
        .is_some_and(|m| !nautobot_schema::core::is_hidden(&m.label()) && m.label() != MODEL)
    {
        error("content_type", format!("Unknown model '{label}'."));
    }
    if let Err(message) = compiled(&text(row, "template")) {
        error(
            "template",
            format!("The template does not compile: {message}"),
        );
    }
    validated(errors)
}

/// Whether `?include=` asks for computed fields.
pub fn included(params: &[(String, String)]) -> bool {
    params
        .iter()
        .filter(|(k, _)| k == "include")
        .flat_map(|(_, v)| v.split(','))
        .any(|v| v.trim() == "computed_fields")
}
