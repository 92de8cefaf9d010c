//! Plugin template content: the HTML plugins add to the pages of a model (kind
//! `template_content`, handler `<extension>:<slot>`). A plugin that fails (an error, a
//! panic, an answer that does not parse) costs only its own part of the slot: an alert
//! takes its place and the failure is logged.

use nautobot_plugin_abi::{kinds, DetailTab, TemplateContent, TemplateContentRequest};
use serde::Serialize;
use serde_json::Value;

use nautobot_app::AppState;
use nautobot_auth::Identity;
use nautobot_base::error::Error;
use nautobot_plugins::templates::escape_html;
use nautobot_plugins::LoadedPlugin;

/// The slots of a detail page filled with HTML.
pub const DETAIL_SLOTS: &[&str] = &["left_page", "right_page", "full_width_page", "buttons"];
/// The slot of a list page.
pub const LIST_BUTTONS: &str = "list_buttons";
/// The slot plugins add detail tabs through.
pub const DETAIL_TABS: &str = "detail_tabs";

/// A detail tab as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Tab {
    /// The anchor of its pane.
    pub id: String,
    /// The title.
    pub title: String,
    /// Its HTML (inserted as it is).
    pub html: String,
}

/// The alert shown in place of a plugin's content when it fails.
pub fn failure_html(plugin: &str) -> String {
    format!(
        "<div class=\"alert alert-danger plugin-content-error\">Plugin '{}' failed to render this content.</div>",
        escape_html(plugin)
    )
}

/// What a page asks the plugins for.
pub struct PageContent<'a> {
    /// The server.
    pub state: &'a AppState,
    /// Who views the page.
    pub identity: &'a Identity,
    /// The model, `app_label.name`.
    pub model: String,
    /// The object, as the REST API shows it (none on list pages).
    pub object: Option<Value>,
    /// The page's path.
    pub path: String,
}

impl PageContent<'_> {
    /// Calls every extension of the model filling `slot`, in plugin load order; each
    /// answer (or failure) as `(plugin, Result<answer>)`.
    fn call(&self, slot: &str) -> Vec<(String, Result<String, Error>)> {
        let mut out = Vec::new();
        let mut payload: Option<String> = None;
        for plugin in self.state.registry.iter() {
            for ext in plugin
                .manifest
                .template_extensions
                .iter()
                .filter(|e| e.model == self.model && e.slots.iter().any(|s| s == slot))
            {
                let body = match &payload {
                    Some(p) => p.clone(),
                    None => {
                        let request = TemplateContentRequest {
                            model: self.model.clone(),
                            slot: slot.to_string(),
                            object: self.object.clone(),
                            user: self.identity.plugin_user(),
                            path: self.path.clone(),
                        };
                        match serde_json::to_string(&request) {
                            Ok(p) => payload.insert(p).clone(),
                            Err(e) => {
                                out.push((
                                    plugin.name().to_string(),
                                    Err(Error::Internal(e.to_string())),
                                ));
                                continue;
                            }
                        }
                    }
                };
                let handler = format!("{}:{slot}", ext.name);
                out.push((
                    plugin.name().to_string(),
                    self.call_one(plugin, &handler, &body),
                ));
            }
        }
        out
    }

    fn call_one(
        &self,
        plugin: &LoadedPlugin,
        handler: &str,
        payload: &str,
    ) -> Result<String, Error> {
        let services = self.state.call_services(plugin, self.identity, "");
        plugin.call(kinds::TEMPLATE_CONTENT, handler, payload, &services)
    }

    /// The `<head>` tags of the stylesheets and scripts the extensions filling any of
    /// `slots` on this model's page ship (each file once, in plugin load order).
    pub fn head_assets(&self, slots: &[&str]) -> String {
        let static_url = self.state.settings.static_url.trim_end_matches('/');
        let mut seen = std::collections::HashSet::new();
        let mut html = String::new();
        for plugin in self.state.registry.iter() {
            for ext in plugin.manifest.template_extensions.iter().filter(|e| {
                e.model == self.model && e.slots.iter().any(|s| slots.contains(&s.as_str()))
            }) {
                for css in &ext.stylesheets {
                    if seen.insert(css) {
                        html.push_str(&format!(
                            "<link rel=\"stylesheet\" href=\"{}\">\n",
                            escape_html(&format!("{static_url}/{css}"))
                        ));
                    }
                }
                for js in &ext.scripts {
                    if seen.insert(js) {
                        html.push_str(&format!(
                            "<script defer src=\"{}\"></script>\n",
                            escape_html(&format!("{static_url}/{js}"))
                        ));
                    }
                }
            }
        }
        html
    }

    /// The HTML of `slot`: every extension's, one after the other.
    pub fn slot(&self, slot: &str) -> String {
        let mut html = String::new();
        for (plugin, answer) in self.call(slot) {
            let parsed = answer.and_then(|a| {
                serde_json::from_str::<TemplateContent>(&a)
                    .map_err(|e| Error::Internal(format!("not a valid template content: {e}")))
            });
            match parsed {
                Ok(content) => html.push_str(&content.html),
                Err(e) => {
                    tracing::error!(plugin = %plugin, model = %self.model, slot, "template content failed: {e}");
                    html.push_str(&failure_html(&plugin));
                }
            }
        }
        html
    }

    /// The plugins' detail tabs, and the alerts of those that failed.
    pub fn tabs(&self) -> (Vec<Tab>, String) {
        let mut tabs = Vec::new();
        let mut failures = String::new();
        for (plugin, answer) in self.call(DETAIL_TABS) {
            let parsed = answer.and_then(|a| {
                serde_json::from_str::<Vec<DetailTab>>(&a)
                    .map_err(|e| Error::Internal(format!("not a valid list of detail tabs: {e}")))
            });
            match parsed {
                Ok(list) => {
                    for tab in list {
                        let n = tabs.len() + 1;
                        tabs.push(Tab {
                            id: format!("plugin-tab-{n}"),
                            title: tab.title,
                            html: tab.html,
                        });
                    }
                }
                Err(e) => {
                    tracing::error!(plugin = %plugin, model = %self.model, "detail tabs failed: {e}");
                    failures.push_str(&failure_html(&plugin));
                }
            }
        }
        (tabs, failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_names_the_plugin_escaped() {
        assert_eq!(
            failure_html("data_misbehaving"),
            "<div class=\"alert alert-danger plugin-content-error\">Plugin 'data_misbehaving' failed to render this content.</div>"
        );
        assert!(failure_html("<x>").contains("&lt;x&gt;"));
    }
}
