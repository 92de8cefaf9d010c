//! The core templates, from `templates/` in the repository, embedded in the binary:
//! the page frame and core pages (here), the generic object pages
//! ([`objects::render`](crate::objects::render)) and the jobs pages
//! ([`jobs`](crate::jobs)). The server hands them to `nautobot_app::boot`, which
//! compiles them with the plugins' own (`nautobot_plugins::templates::Templates`).

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

/// Every core template: name and source.
pub fn all() -> Vec<(&'static str, &'static str)> {
    CORE_TEMPLATES
        .iter()
        .chain(crate::objects::render::TEMPLATES)
        .chain(crate::jobs::TEMPLATES)
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugins::templates::Templates;
    use tera::Context;

    #[test]
    fn core_templates_compile_and_escape() {
        let t = Templates::build(&all(), &[], "/static/").unwrap();
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
