//! Plugin banners (kind `banner`): content a plugin shows at the top of pages, as
//! Nautobot's `banner` does. A banner that fails (an error, a panic, an answer that does
//! not parse) is left out and logged; the page is shown without it.

use nautobot_plugin_abi::{kinds, Banner, BannerRequest};
use serde::Serialize;

use nautobot_app::AppState;
use nautobot_auth::Identity;

/// The colours a banner may have; anything else is shown as `info`.
const CLASSES: &[&str] = &["info", "success", "warning", "danger"];

/// A banner as the base layout shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    /// The plugin that sent it.
    pub plugin: String,
    /// `info`, `success`, `warning` or `danger`.
    pub class: String,
    /// Its HTML (inserted as it is).
    pub content: String,
}

/// The banners of every plugin for the page at `path`, in plugin load order.
pub fn for_page(state: &AppState, identity: &Identity, path: &str) -> Vec<Shown> {
    let mut out = Vec::new();
    let mut payload: Option<String> = None;
    for plugin in state.registry.iter() {
        for def in plugin
            .manifest
            .banners
            .iter()
            .filter(|b| b.applies_to(path))
        {
            let body = match &payload {
                Some(p) => p,
                None => {
                    let request = BannerRequest {
                        path: path.to_string(),
                        user: identity.plugin_user(),
                    };
                    match serde_json::to_string(&request) {
                        Ok(p) => payload.insert(p),
                        Err(e) => {
                            tracing::error!("cannot serialise a banner request: {e}");
                            return out;
                        }
                    }
                }
            };
            let services = state.call_services(plugin, identity, "");
            let answer = plugin
                .call(kinds::BANNER, &def.name, body, &services)
                .and_then(|a| {
                    serde_json::from_str::<Option<Banner>>(&a).map_err(|e| {
                        nautobot_base::error::Error::Internal(format!("not a valid banner: {e}"))
                    })
                });
            match answer {
                Ok(Some(banner)) if !banner.content.is_empty() => out.push(Shown {
                    plugin: plugin.name().to_string(),
                    class: if CLASSES.contains(&banner.class.as_str()) {
                        banner.class
                    } else {
                        "info".to_string()
                    },
                    content: banner.content,
                }),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(plugin = plugin.name(), banner = %def.name, path, "banner failed: {e}")
                }
            }
        }
    }
    out
}
