//! The generic object templates (`templates/generic/`), compiled with the core base
//! layout into a Tera instance of their own, autoescaped and with the same `static()`
//! function and escaping as the core templates.

use std::collections::HashMap;

use serde_json::Value;
use tera::{Context, Tera};

use crate::{
    error::{Error, Result},
    ui::templates::escape_html,
};

/// The templates, from `templates/` in the repository.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../../templates/base.html")),
    (
        "generic/object_list.html",
        include_str!("../../../../templates/generic/object_list.html"),
    ),
    (
        "generic/object_detail.html",
        include_str!("../../../../templates/generic/object_detail.html"),
    ),
    (
        "generic/object_edit.html",
        include_str!("../../../../templates/generic/object_edit.html"),
    ),
    (
        "generic/object_delete.html",
        include_str!("../../../../templates/generic/object_delete.html"),
    ),
    (
        "generic/object_bulk_edit.html",
        include_str!("../../../../templates/generic/object_bulk_edit.html"),
    ),
    (
        "generic/object_bulk_delete.html",
        include_str!("../../../../templates/generic/object_bulk_delete.html"),
    ),
    (
        "generic/object_import.html",
        include_str!("../../../../templates/generic/object_import.html"),
    ),
    (
        "generic/object_changelog.html",
        include_str!("../../../../templates/generic/object_changelog.html"),
    ),
    (
        "generic/_macros.html",
        include_str!("../../../../templates/generic/_macros.html"),
    ),
    (
        "generic/_style.html",
        include_str!("../../../../templates/generic/_style.html"),
    ),
];

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

/// The compiled generic templates (or why they did not compile).
pub struct GenericTemplates {
    tera: std::result::Result<Tera, String>,
}

impl GenericTemplates {
    /// Compiles the templates; `static_url` prefixes `static()` paths.
    pub fn build(static_url: &str) -> GenericTemplates {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![""]);
        tera.set_escape_fn(escape_html);
        tera.register_function("static", StaticUrl(static_url.to_string()));
        let tera = match tera.add_raw_templates(TEMPLATES.iter().copied()) {
            Ok(()) => Ok(tera),
            Err(e) => {
                let message = Error::from(e).to_string();
                tracing::error!("the generic object templates do not compile: {message}");
                Err(message)
            }
        };
        GenericTemplates { tera }
    }

    /// Renders `name` with `context`.
    pub fn render(&self, name: &str, context: &Context) -> Result<String> {
        match &self.tera {
            Ok(tera) => Ok(tera.render(name, context)?),
            Err(message) => Err(Error::Template(message.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generic_templates_compile() {
        let t = GenericTemplates::build("/static/");
        assert!(t.tera.is_ok(), "{:?}", t.tera.as_ref().err());
    }
}
