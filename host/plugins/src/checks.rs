//! The checks a manifest must pass before its plugin is instantiated: identity, host
//! version bounds, base URL, namespacing of routes, templates and static files, internal
//! references, and settings.

use std::{collections::HashSet, path::Path};

use nautobot_plugin_abi::{PluginManifest, ViewDef};
use semver::{Version, VersionReq};
use serde_json::{Map, Value};

use nautobot_base::{
    names::{is_valid_base_url, is_valid_plugin_name, RESERVED_BASE_URLS, RESERVED_NAMES},
    LoadError,
};

/// Checks everything the manifest says about itself. `listed` is the `PLUGINS` entry.
pub fn check_manifest(
    listed: &str,
    file: &Path,
    m: &PluginManifest,
    host: &Version,
) -> Result<(), LoadError> {
    let fail = |problem: &str, expected: &str, found: String| {
        Err(LoadError::new(listed, Some(file), problem, expected, found))
    };

    if m.name != listed {
        return fail(
            "manifest name differs from the PLUGINS entry",
            &format!("'{listed}'"),
            format!("'{}'", m.name),
        );
    }
    if RESERVED_NAMES.contains(&listed) {
        return fail(
            "name is reserved for the core application",
            "a name that is not a core app label",
            format!("'{listed}'"),
        );
    }
    if Version::parse(&m.version).is_err() {
        return fail(
            "invalid version",
            "a semver version such as 1.2.0",
            format!("'{}'", m.version),
        );
    }
    check_host_bounds(listed, file, m, host)?;

    if !is_valid_base_url(&m.base_url) {
        return fail(
            "invalid base_url",
            "lower-case letters, digits and hyphens ([a-z0-9-]+)",
            format!("'{}'", m.base_url),
        );
    }
    if RESERVED_BASE_URLS.contains(&m.base_url.as_str()) {
        return fail(
            "base_url is reserved",
            "a base_url the host does not use itself",
            format!("'{}'", m.base_url),
        );
    }

    check_views(listed, file, "view", &m.views)?;
    check_views(listed, file, "API view", &m.api_views)?;

    let namespace = format!("{listed}/");
    for template in &m.templates {
        if !is_namespaced_path(&template.name, &namespace) {
            return fail(
                "template outside the plugin's namespace",
                &format!("a template name starting with '{namespace}' without '..' segments"),
                format!("'{}'", template.name),
            );
        }
    }
    let mut seen = HashSet::new();
    for file_entry in &m.static_files {
        if !is_namespaced_path(&file_entry.path, &namespace) {
            return fail(
                "static file outside the plugin's namespace",
                &format!("a static path starting with '{namespace}' without '..' segments"),
                format!("'{}'", file_entry.path),
            );
        }
        if !seen.insert(file_entry.path.as_str()) {
            return fail(
                "static file declared twice",
                "each static path once",
                format!("'{}' twice", file_entry.path),
            );
        }
        if file_entry.content().is_err() {
            return fail(
                "static file is not valid base64",
                "base64 content",
                format!("undecodable content for '{}'", file_entry.path),
            );
        }
    }

    // Menu entries, home page items and home/config/docs links need a URL, so they may
    // only name views without path parameters (or the plugin's model pages).
    let view_names: Vec<&str> = m
        .views
        .iter()
        .filter(|v| !v.path.contains('{'))
        .map(|v| v.name.as_str())
        .collect();
    let known = |name: &str| view_names.contains(&name) || m.model_link(name).is_some();
    let list = || {
        format!(
            "one of the plugin's views without path parameters ({}), or <model>_list / <model>_add",
            view_names.join(", ")
        )
    };
    for (field, value) in [
        ("home_view_name", &m.home_view_name),
        ("config_view_name", &m.config_view_name),
        ("docs_view_name", &m.docs_view_name),
    ] {
        if let Some(name) = value {
            if !known(name) {
                return fail(
                    &format!("{field} names no view"),
                    &list(),
                    format!("'{name}'"),
                );
            }
        }
    }
    for tab in &m.menu_items {
        for group in &tab.groups {
            for item in &group.items {
                if !known(&item.link) {
                    return fail(
                        &format!("menu item '{}' links to no view", item.name),
                        &list(),
                        format!("'{}'", item.link),
                    );
                }
                for button in &item.buttons {
                    if !known(&button.link) {
                        return fail(
                            &format!("menu button '{}' links to no view", button.title),
                            &list(),
                            format!("'{}'", button.link),
                        );
                    }
                }
            }
        }
    }
    // Home page items link like menu items, and count only the plugin's own models.
    for panel in &m.homepage_layout {
        if panel.name.trim().is_empty() {
            return fail(
                "home page panel has no name",
                "a panel name (HomePagePanel::new)",
                format!("'{}'", panel.name),
            );
        }
        for item in &panel.items {
            let what = format!("home page item '{}' of panel '{}'", item.name, panel.name);
            if !known(&item.link) {
                return fail(
                    &format!("{what} links to no view"),
                    &list(),
                    format!("'{}'", item.link),
                );
            }
            if let Some(model) = &item.model {
                if !m.has_model(model) {
                    let own: Vec<String> = m.models.iter().map(|s| s.label()).collect();
                    return fail(
                        &format!("{what} counts a model that is not the plugin's"),
                        &format!(
                            "one of the plugin's own models ({})",
                            if own.is_empty() {
                                "it has none".to_string()
                            } else {
                                own.join(", ")
                            }
                        ),
                        format!("'{model}'"),
                    );
                }
            }
            for permission in &item.permissions {
                if nautobot_auth::permissions::Permission::parse(permission).is_none() {
                    return fail(
                        &format!("{what} requires an invalid permission"),
                        "permissions of the form app_label.action_model",
                        format!("'{permission}'"),
                    );
                }
            }
        }
    }

    let mut names = HashSet::new();
    for mw in &m.middleware {
        if mw.name.is_empty() || !names.insert(mw.name.as_str()) {
            return fail(
                "invalid middleware name",
                "unique, non-empty middleware names",
                format!("'{}'", mw.name),
            );
        }
    }

    // Head assets of template content must be the plugin's own static files.
    for ext in &m.template_extensions {
        for asset in ext.stylesheets.iter().chain(&ext.scripts) {
            if !m.static_files.iter().any(|f| &f.path == asset) {
                return fail(
                    &format!(
                        "template extension '{}' links a file it does not ship",
                        ext.name
                    ),
                    "one of the plugin's static files (PluginBuilder::static_file)",
                    format!("'{asset}'"),
                );
            }
        }
    }

    let mut names = HashSet::new();
    for banner in &m.banners {
        if banner.name.is_empty() || !names.insert(banner.name.as_str()) {
            return fail(
                "invalid banner name",
                "unique, non-empty banner names",
                format!("'{}'", banner.name),
            );
        }
        if let Some(path) = banner.paths.iter().find(|p| !p.starts_with('/')) {
            return fail(
                &format!("banner '{}' has an invalid path", banner.name),
                "path prefixes starting with '/' (\"/dcim/devices/\")",
                format!("'{path}'"),
            );
        }
    }

    for dep in &m.dependencies {
        if !is_valid_plugin_name(&dep.name) {
            return fail(
                "invalid dependency name",
                "a plugin name ([a-z][a-z0-9_]*)",
                format!("'{}'", dep.name),
            );
        }
        if VersionReq::parse(dependency_req(&dep.version)).is_err() {
            return fail(
                &format!("invalid version requirement for dependency '{}'", dep.name),
                "a semver requirement such as \">=1.2, <2\" or \"*\"",
                format!("'{}'", dep.version),
            );
        }
    }
    Ok(())
}

/// The requirement text of a dependency; empty means any version.
pub fn dependency_req(text: &str) -> &str {
    if text.trim().is_empty() {
        "*"
    } else {
        text
    }
}

/// Nautobot semantics: `min_version` and `max_version` are inclusive bounds on the host.
fn check_host_bounds(
    listed: &str,
    file: &Path,
    m: &PluginManifest,
    host: &Version,
) -> Result<(), LoadError> {
    let parse = |field: &str, text: &str| {
        Version::parse(text).map_err(|_| {
            LoadError::new(
                listed,
                Some(file),
                format!("invalid {field}"),
                "a semver version such as 1.2.0",
                format!("'{text}'"),
            )
        })
    };
    if let Some(min) = &m.min_version {
        let min = parse("min_version", min)?;
        if *host < min {
            return Err(LoadError::new(
                listed,
                Some(file),
                format!("requires Nautobot minimum version {min}"),
                format!("host version >= {min}"),
                host.to_string(),
            ));
        }
    }
    if let Some(max) = &m.max_version {
        let max = parse("max_version", max)?;
        if *host > max {
            return Err(LoadError::new(
                listed,
                Some(file),
                format!("requires Nautobot maximum version {max}"),
                format!("host version <= {max}"),
                host.to_string(),
            ));
        }
    }
    Ok(())
}

fn check_views(listed: &str, file: &Path, what: &str, views: &[ViewDef]) -> Result<(), LoadError> {
    let mut names = HashSet::new();
    let mut routes = HashSet::new();
    for view in views {
        let fail = |problem: String, expected: &str, found: String| {
            Err(LoadError::new(listed, Some(file), problem, expected, found))
        };
        if view.name.is_empty() || !names.insert(view.name.as_str()) {
            return fail(
                format!("invalid {what} name"),
                "unique, non-empty view names",
                format!("'{}'", view.name),
            );
        }
        if !is_valid_route(&view.path) {
            return fail(
                format!("{what} '{}' has a path outside the plugin's namespace", view.name),
                "a relative path under the plugin's base URL (segments of letters, digits, '-', '_', '.', or {param}; no '..', no leading '/')",
                format!("'{}'", view.path),
            );
        }
        for method in &view.methods {
            if !["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
                .contains(&method.as_str())
            {
                return fail(
                    format!("{what} '{}' has an invalid method", view.name),
                    "GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS",
                    format!("'{method}'"),
                );
            }
        }
        if view.methods.is_empty() {
            return fail(
                format!("{what} '{}' accepts no method", view.name),
                "at least one HTTP method",
                "none".to_string(),
            );
        }
        for permission in &view.permissions {
            if nautobot_auth::permissions::Permission::parse(permission).is_none() {
                return fail(
                    format!("{what} '{}' requires an invalid permission", view.name),
                    "permissions of the form app_label.action_model",
                    format!("'{permission}'"),
                );
            }
        }
        let shape = route_shape(&view.path);
        if !routes.insert(shape) {
            return fail(
                format!("{what} '{}' repeats a path", view.name),
                "each path once",
                format!("'{}'", view.path),
            );
        }
    }
    Ok(())
}

/// A route is a relative path whose segments are plain names or `{param}`.
fn is_valid_route(path: &str) -> bool {
    if path.is_empty() {
        return true;
    }
    if path.starts_with('/') {
        return false;
    }
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    let mut params = HashSet::new();
    trimmed.split('/').all(|segment| {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            is_valid_plugin_name(name) && params.insert(name)
        } else {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        }
    })
}

/// Two routes clash when they differ only in parameter names.
fn route_shape(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// A namespaced path starts with `<name>/` and has no empty, `.` or `..` segment.
fn is_namespaced_path(path: &str, namespace: &str) -> bool {
    path.starts_with(namespace)
        && path.len() > namespace.len()
        && !path.contains('\\')
        && path
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

/// Merges the plugin's `default_settings` under the operator's `PLUGINS_CONFIG[name]`
/// section (the operator's values win) and checks that every required setting is present.
pub fn merge_settings(
    listed: &str,
    file: &Path,
    m: &PluginManifest,
    operator: Map<String, Value>,
    config_file: &Path,
) -> Result<Map<String, Value>, LoadError> {
    for key in &m.required_settings {
        if !operator.contains_key(key) {
            return Err(LoadError::new(
                listed,
                Some(file),
                format!("requires '{key}' to be present in the PLUGINS_CONFIG['{listed}'] section"),
                format!("PLUGINS_CONFIG.{listed}.{key} in {}", config_file.display()),
                "no such key",
            ));
        }
    }
    let mut merged = m.default_settings.clone();
    for (key, value) in operator {
        merged.insert(key, value);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::{NavMenuGroup, NavMenuItem, NavMenuTab, StaticFile, TemplateFile};

    fn manifest() -> PluginManifest {
        PluginManifest {
            name: "demo".into(),
            version: "1.0.0".into(),
            base_url: "demo".into(),
            views: vec![ViewDef {
                name: "home".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn check(m: &PluginManifest) -> Result<(), String> {
        check_manifest(
            "demo",
            Path::new("/p/libdemo.so"),
            m,
            &Version::new(1, 0, 0),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn a_good_manifest_passes() {
        check(&manifest()).unwrap();
    }

    #[test]
    fn names_and_base_urls() {
        assert!(is_valid_plugin_name("example_plugin"));
        assert!(!is_valid_plugin_name("Example"));
        assert!(!is_valid_plugin_name("1plugin"));
        assert!(!is_valid_plugin_name(""));
        assert!(is_valid_base_url("example-plugin"));
        assert!(!is_valid_base_url("Bad URL!"));

        let mut m = manifest();
        m.base_url = "installed-plugins".into();
        assert!(check(&m).unwrap_err().contains("base_url is reserved"));
    }

    #[test]
    fn host_version_bounds_are_inclusive() {
        let mut m = manifest();
        m.min_version = Some("1.0.0".into());
        m.max_version = Some("1.0.0".into());
        check(&m).unwrap();
        m.min_version = Some("9.0.0".into());
        assert_eq!(
            check(&m).unwrap_err(),
            "Plugin 'demo' (/p/libdemo.so): requires Nautobot minimum version 9.0.0: expected host version >= 9.0.0, found 1.0.0"
        );
        m.min_version = None;
        m.max_version = Some("0.9.0".into());
        assert!(check(&m).unwrap_err().contains(
            "requires Nautobot maximum version 0.9.0: expected host version <= 0.9.0, found 1.0.0"
        ));
        m.max_version = Some("soon".into());
        assert!(check(&m).unwrap_err().contains("invalid max_version"));
    }

    #[test]
    fn routes_stay_inside_the_namespace() {
        for good in [
            "",
            "things/",
            "things/{pk}/",
            "export.csv",
            "a-b_c/{x}/{y}/",
        ] {
            assert!(is_valid_route(good), "{good}");
        }
        for bad in [
            "/admin/",
            "../admin/",
            "a/../../b/",
            "a//b/",
            "./",
            "{pk:.*}/",
            "a b/",
            "{x}/{x}/",
        ] {
            assert!(!is_valid_route(bad), "{bad}");
        }
        let mut m = manifest();
        m.views[0].path = "../../admin/".into();
        assert!(check(&m)
            .unwrap_err()
            .contains("view 'home' has a path outside the plugin's namespace"));
    }

    #[test]
    fn templates_and_static_files_stay_inside_the_namespace() {
        let mut m = manifest();
        m.templates.push(TemplateFile {
            name: "base.html".into(),
            source: String::new(),
        });
        assert!(check(&m).unwrap_err().contains(
            "template outside the plugin's namespace: expected a template name starting with 'demo/'"
        ));
        let mut m = manifest();
        m.static_files.push(StaticFile {
            path: "demo/../other/x.css".into(),
            content_base64: String::new(),
        });
        assert!(check(&m)
            .unwrap_err()
            .contains("static file outside the plugin's namespace"));
    }

    #[test]
    fn head_assets_must_be_shipped_and_banner_paths_absolute() {
        let mut m = manifest();
        m.template_extensions
            .push(nautobot_plugin_abi::TemplateExtensionDef {
                name: "panel".into(),
                model: "dcim.device".into(),
                slots: vec!["right_page".into()],
                stylesheets: vec!["demo/panel.css".into()],
                scripts: vec![],
            });
        assert_eq!(
            check(&m).unwrap_err(),
            "Plugin 'demo' (/p/libdemo.so): template extension 'panel' links a file it does not ship: expected one of the plugin's static files (PluginBuilder::static_file), found 'demo/panel.css'"
        );
        m.static_files.push(StaticFile {
            path: "demo/panel.css".into(),
            content_base64: String::new(),
        });
        assert_eq!(check(&m), Ok(()));

        m.banners.push(nautobot_plugin_abi::BannerDef {
            name: "notice".into(),
            paths: vec!["dcim/".into()],
        });
        assert!(check(&m).unwrap_err().contains(
            "banner 'notice' has an invalid path: expected path prefixes starting with '/'"
        ));
        m.banners[0].paths = vec!["/dcim/".into()];
        assert_eq!(check(&m), Ok(()));
        m.banners.push(m.banners[0].clone());
        assert!(check(&m).unwrap_err().contains("invalid banner name"));
    }

    #[test]
    fn menu_links_must_name_a_view() {
        let mut m = manifest();
        m.menu_items.push(
            NavMenuTab::new("T")
                .group(NavMenuGroup::new("G").item(NavMenuItem::new("nowhere", "X"))),
        );
        assert!(check(&m)
            .unwrap_err()
            .contains("menu item 'X' links to no view: expected one of the plugin's views without path parameters (home), or <model>_list / <model>_add, found 'nowhere'"));
    }

    #[test]
    fn home_page_items_link_to_a_view_and_count_the_plugins_own_models() {
        use nautobot_plugin_abi::{HomePageItem, HomePagePanel, ModelSchema};
        let mut m = manifest();
        m.models.push(ModelSchema::new("demo", "widget"));
        m.homepage_layout.push(
            HomePagePanel::new("Demo")
                .item(HomePageItem::new("widget_list", "Widgets").model("demo.widget"))
                .item(HomePageItem::new("home", "Home").permission("demo.view_widget")),
        );
        assert_eq!(check(&m), Ok(()));

        let mut bad = m.clone();
        bad.homepage_layout[0].items[0].link = "widgets".into();
        assert_eq!(
            check(&bad).unwrap_err(),
            "Plugin 'demo' (/p/libdemo.so): home page item 'Widgets' of panel 'Demo' links to no view: expected one of the plugin's views without path parameters (home), or <model>_list / <model>_add, found 'widgets'"
        );
        for model in ["dcim.device", "demo.gadget", "widget"] {
            let mut bad = m.clone();
            bad.homepage_layout[0].items[0].model = Some(model.into());
            assert_eq!(
                check(&bad).unwrap_err(),
                format!("Plugin 'demo' (/p/libdemo.so): home page item 'Widgets' of panel 'Demo' counts a model that is not the plugin's: expected one of the plugin's own models (demo.widget), found '{model}'")
            );
        }
        let mut bad = m.clone();
        bad.homepage_layout[0].items[1].permissions = vec!["view widgets".into()];
        assert!(check(&bad).unwrap_err().contains(
            "home page item 'Home' of panel 'Demo' requires an invalid permission: expected permissions of the form app_label.action_model, found 'view widgets'"
        ));
        let mut bad = m.clone();
        bad.homepage_layout.push(HomePagePanel::new(" "));
        assert!(check(&bad)
            .unwrap_err()
            .contains("home page panel has no name"));
    }

    #[test]
    fn name_must_match_and_not_be_reserved() {
        let mut m = manifest();
        m.name = "other".into();
        assert!(check(&m).unwrap_err().contains(
            "manifest name differs from the PLUGINS entry: expected 'demo', found 'other'"
        ));
        let mut m = manifest();
        m.name = "dcim".into();
        let err = check_manifest("dcim", Path::new("/p"), &m, &Version::new(1, 0, 0)).unwrap_err();
        assert!(err.to_string().contains("name is reserved"));
    }

    #[test]
    fn operator_settings_win_over_defaults() {
        let mut m = manifest();
        m.default_settings.insert("a".into(), 1.into());
        m.default_settings.insert("b".into(), 2.into());
        m.required_settings.push("token".into());
        let mut operator = Map::new();
        operator.insert("b".into(), 20.into());
        let err = merge_settings(
            "demo",
            Path::new("/p"),
            &m,
            operator.clone(),
            Path::new("/c.toml"),
        )
        .unwrap_err();
        assert!(err
            .to_string()
            .contains("requires 'token' to be present in the PLUGINS_CONFIG['demo'] section"));
        operator.insert("token".into(), "t".into());
        let merged =
            merge_settings("demo", Path::new("/p"), &m, operator, Path::new("/c.toml")).unwrap();
        assert_eq!(merged["a"], 1);
        assert_eq!(merged["b"], 20);
        assert_eq!(merged["token"], "t");
    }
}
