//! The Tera instance: core templates embedded in the binary plus every plugin's own,
//! compiled once at start-up and autoescaped, whatever the file extension.

use std::collections::HashMap;

use serde_json::Value;
use tera::{Context, Tera};

use crate::{
    error::{Error, Result},
    plugins::{Discovered, LoadError},
};

/// The core templates, from `templates/` in the repository.
const CORE_TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/base.html")),
    ("home.html", include_str!("../../../templates/home.html")),
    ("login.html", include_str!("../../../templates/login.html")),
    ("error.html", include_str!("../../../templates/error.html")),
    (
        "api/browsable.html",
        include_str!("../../../templates/api/browsable.html"),
    ),
    (
        "plugins/installed_plugins.html",
        include_str!("../../../templates/plugins/installed_plugins.html"),
    ),
    (
        "plugins/plugin_detail.html",
        include_str!("../../../templates/plugins/plugin_detail.html"),
    ),
];

/// Compiled templates.
pub struct Templates {
    tera: Tera,
}

/// The `static(path=…)` template function: the URL of a static file.
struct StaticUrl(String);

impl tera::Function for StaticUrl {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        match args.get("path").and_then(Value::as_str) {
            Some(path) => Ok(Value::String(format!(
                "{}{}",
                self.0,
                path.trim_start_matches('/')
            ))),
            None => Err(tera::Error::msg("static() needs a path=\"…\" argument")),
        }
    }

    fn is_safe(&self) -> bool {
        false
    }
}

/// Django's escaping: the five characters that matter in text and quoted attributes.
/// (Tera's default also escapes `/`, which makes every URL in the HTML unreadable.)
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

impl Templates {
    /// Compiles the core templates and those of `plugins`; a plugin template that does
    /// not compile refuses that plugin.
    pub fn build(plugins: &[Discovered], static_url: &str) -> Result<Templates, LoadError> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![""]);
        tera.set_escape_fn(escape_html);
        tera.register_function("static", StaticUrl(static_url.to_string()));
        let core = CORE_TEMPLATES
            .iter()
            .chain(crate::ui::objects::render::TEMPLATES)
            .chain(crate::ui::jobs::TEMPLATES)
            .copied();
        tera.add_raw_templates(core).map_err(|e| {
            LoadError::new(
                "core",
                None,
                "core templates do not compile",
                "valid Tera templates",
                Error::from(e).to_string(),
            )
        })?;
        for plugin in plugins {
            let manifest = &plugin.library.manifest;
            if manifest.templates.is_empty() {
                continue;
            }
            tera.add_raw_templates(
                manifest
                    .templates
                    .iter()
                    .map(|t| (t.name.as_str(), t.source.as_str())),
            )
            .map_err(|e| {
                LoadError::new(
                    &manifest.name,
                    Some(&plugin.library.path),
                    "a template does not compile",
                    "valid Tera templates",
                    Error::from(e).to_string(),
                )
            })?;
        }
        Ok(Templates { tera })
    }

    /// Whether a template of that name exists.
    pub fn has(&self, name: &str) -> bool {
        self.tera.get_template_names().any(|n| n == name)
    }

    /// Renders `name` with `context`.
    pub fn render(&self, name: &str, context: &Context) -> Result<String> {
        Ok(self.tera.render(name, context)?)
    }

    /// Renders `name` with a JSON object as context (plugins' `HostServices::render`).
    pub fn render_fragment(&self, name: &str, context: &Value) -> Result<String> {
        let context = match context {
            Value::Null => Context::new(),
            other => Context::from_value(other.clone())
                .map_err(|e| Error::Template(format!("the context must be a JSON object: {e}")))?,
        };
        self.render(name, &context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_templates_compile_and_escape() {
        let t = Templates::build(&[], "/static/").unwrap();
        assert!(t.has("base.html"));
        let mut ctx = Context::new();
        ctx.insert("status", &404);
        ctx.insert("title", "<b>Not found</b>");
        ctx.insert("message", "<script>alert('1')</script>");
        ctx.insert("version", "1.0.0");
        ctx.insert("api_version", "2.4");
        let html = t.render("error.html", &ctx).unwrap();
        assert!(html.contains("&lt;script&gt;alert(&#x27;1&#x27;)&lt;/script&gt;"));
        assert!(html.contains("href=\"/\""), "URLs stay readable");
        assert!(!html.contains("<script>alert"));
    }
}
