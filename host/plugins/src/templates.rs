//! The Tera instance: the core templates (which the UI owns and hands over:
//! `nautobot_ui::templates`) plus every plugin's own, compiled once at start-up and
//! autoescaped, whatever the file extension. Plugins render through it (their pages,
//! `HostServices::render`, template content), so it lives with them.

use std::collections::HashMap;

use serde_json::Value;
use tera::{Context, Tera};

use crate::{Discovered, LoadError};
use nautobot_base::error::{Error, Result};

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
    /// Compiles the `core` templates (name, source) and those of `plugins`; a plugin
    /// template that does not compile refuses that plugin.
    pub fn build(
        core: &[(&str, &str)],
        plugins: &[Discovered],
        static_url: &str,
    ) -> Result<Templates, LoadError> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![""]);
        tera.set_escape_fn(escape_html);
        tera.register_function("static", StaticUrl(static_url.to_string()));
        tera.add_raw_templates(core.iter().copied()).map_err(|e| {
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
    fn templates_compile_and_escape_as_django_does() {
        let core = [(
            "page.html",
            "<p title=\"{{ title }}\">{{ message }}</p><a href=\"{{ url }}\">{{ static(path=\"x.css\") }}</a>",
        )];
        let t = Templates::build(&core, &[], "/static/").unwrap();
        assert!(t.has("page.html"));
        let mut ctx = Context::new();
        ctx.insert("title", "\"quoted\" & <b>");
        ctx.insert("message", "<script>alert('1')</script>");
        ctx.insert("url", "/dcim/locations/");
        let html = t.render("page.html", &ctx).unwrap();
        assert!(html.contains("&lt;script&gt;alert(&#x27;1&#x27;)&lt;/script&gt;"));
        assert!(html.contains("title=\"&quot;quoted&quot; &amp; &lt;b&gt;\""));
        assert!(
            html.contains("href=\"/dcim/locations/\""),
            "URLs stay readable"
        );
        assert!(html.contains("/static/x.css"));
    }

    #[test]
    fn core_templates_that_do_not_compile_are_refused() {
        let core = [("broken.html", "{% if %}")];
        let err = Templates::build(&core, &[], "/static/").err().unwrap();
        assert_eq!(err.plugin, "core");
        assert_eq!(err.problem, "core templates do not compile");
    }
}
