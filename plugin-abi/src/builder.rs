//! The authoring layer: declare a plugin with [`PluginBuilder`] and typed handlers.
//!
//! A plugin crate writes one function returning a [`PluginBuilder`] and passes it to
//! [`export_plugin!`](crate::export_plugin). The builder records the manifest and the
//! handler behind every view, middleware and hook; the generated glue dispatches host
//! calls to them and catches panics.

use std::collections::HashMap;

use base64::Engine as _;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Value};

use crate::{
    data::{
        Banner, BannerRequest, DetailTab, RestFieldsRequest, TemplateContent,
        TemplateContentRequest, TeraFilterRequest, ValidationRequest,
    },
    error::PluginError,
    home::HomePagePanel,
    host::Host,
    http::{
        MiddlewareAction, MiddlewareRequest, MiddlewareResponse, Request, Response, ResponseChanges,
    },
    jobs::{JobDef, JobRequest},
    kinds,
    manifest::{
        BannerDef, Dependency, FilterExtensionDef, MiddlewareDef, PluginManifest, RestFieldDef,
        StaticFile, TableExtensionDef, TemplateExtensionDef, TemplateFile, TeraFilterDef,
        ValidatorDef, ViewDef,
    },
    nav::NavMenuTab,
    schema::{Migration, ModelSchema},
};

/// What a handler receives besides its payload: the host's services and the plugin's
/// settings.
pub struct Context<'a> {
    host: Host<'a>,
    config: &'a Map<String, Value>,
    manifest: &'a PluginManifest,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        host: Host<'a>,
        config: &'a Map<String, Value>,
        manifest: &'a PluginManifest,
    ) -> Self {
        Context {
            host,
            config,
            manifest,
        }
    }

    /// The host's services (log, render, data …).
    pub fn host(&self) -> &Host<'a> {
        &self.host
    }

    /// The plugin's `PLUGINS_CONFIG` section, defaults merged.
    pub fn config(&self) -> &Map<String, Value> {
        self.config
    }

    /// One setting of the plugin, deserialised into `T`; `None` when unset or of
    /// another type.
    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.config
            .get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// The plugin's manifest.
    pub fn manifest(&self) -> &PluginManifest {
        self.manifest
    }
}

type RawHandler = Box<dyn Fn(&Context<'_>, &str) -> Result<String, PluginError> + Send + Sync>;
type ReadyHandler = Box<dyn Fn(&Context<'_>) -> Result<(), PluginError> + Send + Sync>;

/// Declares a view: its name, its path under the plugin's base URL, the methods it
/// accepts and the permissions it requires.
#[derive(Debug, Clone)]
pub struct View {
    def: ViewDef,
}

impl View {
    /// A view named `name` at `path` (relative to the base URL, e.g. `""` or
    /// `"things/{pk}/"`) accepting GET.
    pub fn new(name: impl Into<String>, path: impl Into<String>) -> Self {
        View {
            def: ViewDef {
                name: name.into(),
                path: path.into(),
                ..Default::default()
            },
        }
    }

    /// Shorthand for [`View::new`]: a GET view.
    pub fn get(name: impl Into<String>, path: impl Into<String>) -> Self {
        Self::new(name, path)
    }

    /// Sets the accepted methods (e.g. `["GET", "POST"]`).
    pub fn methods<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.def.methods = methods
            .into_iter()
            .map(|m| m.into().to_ascii_uppercase())
            .collect();
        self
    }

    /// Requires a permission (`"app_label.action_model"`); a view may require several.
    pub fn permission(mut self, permission: impl Into<String>) -> Self {
        self.def.permissions.push(permission.into());
        self
    }
}

/// Declares a middleware and its request and/or response hooks.
pub struct Middleware {
    name: String,
    on_request: Option<RawHandler>,
    on_response: Option<RawHandler>,
}

impl Middleware {
    /// A middleware named `name` with no hooks yet.
    pub fn new(name: impl Into<String>) -> Self {
        Middleware {
            name: name.into(),
            on_request: None,
            on_response: None,
        }
    }

    /// Runs `hook` on every request before the view; it may answer the request itself.
    pub fn on_request<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Context<'_>, MiddlewareRequest) -> Result<MiddlewareAction, PluginError>
            + Send
            + Sync
            + 'static,
    {
        self.on_request = Some(typed(hook));
        self
    }

    /// Runs `hook` on every response; it may set or remove headers.
    pub fn on_response<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Context<'_>, MiddlewareResponse) -> Result<ResponseChanges, PluginError>
            + Send
            + Sync
            + 'static,
    {
        self.on_response = Some(typed(hook));
        self
    }
}

/// Declares content for the pages of one model: a handler per slot.
pub struct TemplateExtension {
    name: String,
    model: String,
    slots: Vec<(String, RawHandler)>,
    stylesheets: Vec<String>,
    scripts: Vec<String>,
}

impl TemplateExtension {
    /// An extension named `name` for the pages of `model` (`"dcim.location"`).
    pub fn new(name: impl Into<String>, model: impl Into<String>) -> Self {
        TemplateExtension {
            name: name.into(),
            model: model.into(),
            slots: Vec::new(),
            stylesheets: Vec::new(),
            scripts: Vec::new(),
        }
    }

    /// Links one of the plugin's static files (`"<plugin name>/panel.css"`, shipped with
    /// [`PluginBuilder::static_file`]) as a stylesheet in the `<head>` of every page this
    /// extension fills, core pages included. Since 1.1.
    pub fn stylesheet(mut self, path: impl Into<String>) -> Self {
        self.stylesheets.push(path.into());
        self
    }

    /// Loads one of the plugin's static files (`"<plugin name>/panel.js"`) as a deferred
    /// script in the `<head>` of every page this extension fills. Since 1.1.
    pub fn script(mut self, path: impl Into<String>) -> Self {
        self.scripts.push(path.into());
        self
    }

    /// Fills `slot` (`left_page`, `right_page`, `full_width_page`, `buttons` on detail
    /// pages, `list_buttons` on list pages) with the HTML `handler` returns.
    pub fn slot<F>(mut self, slot: impl Into<String>, handler: F) -> Self
    where
        F: Fn(&Context<'_>, TemplateContentRequest) -> Result<String, PluginError>
            + Send
            + Sync
            + 'static,
    {
        let handler = move |ctx: &Context<'_>, req: TemplateContentRequest| {
            handler(ctx, req).map(|html| TemplateContent { html })
        };
        self.slots.push((slot.into(), typed(handler)));
        self
    }

    /// Adds tabs to the model's detail pages.
    pub fn detail_tabs<F>(mut self, handler: F) -> Self
    where
        F: Fn(&Context<'_>, TemplateContentRequest) -> Result<Vec<DetailTab>, PluginError>
            + Send
            + Sync
            + 'static,
    {
        self.slots.push(("detail_tabs".to_string(), typed(handler)));
        self
    }
}

/// Builds a plugin: its manifest and the handlers behind it.
///
/// ```
/// use nautobot_plugin_abi::prelude::*;
///
/// fn home(_ctx: &Context<'_>, _req: Request) -> Result<Response, PluginError> {
///     Ok(Response::render("my_plugin/home.html", serde_json::json!({"greeting": "hi"})))
/// }
///
/// pub fn plugin() -> PluginBuilder {
///     PluginBuilder::new("my_plugin")
///         .verbose_name("My Plugin")
///         .version("0.1.0")
///         .base_url("my-plugin")
///         .view(View::get("home", ""), home)
///         .template("my_plugin/home.html", "<p>{{ greeting }}</p>")
///         .home_view("home")
/// }
/// # let manifest = plugin().manifest().clone();
/// # assert_eq!(manifest.views[0].name, "home");
/// ```
pub struct PluginBuilder {
    manifest: PluginManifest,
    handlers: HashMap<(String, String), RawHandler>,
    ready: Option<ReadyHandler>,
}

impl PluginBuilder {
    /// Starts a plugin named `name` (its `PLUGINS` entry and library file stem). The base
    /// URL defaults to the name with `_` replaced by `-`, the verbose name to the name.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        PluginBuilder {
            manifest: PluginManifest {
                base_url: name.replace('_', "-"),
                verbose_name: name.clone(),
                version: "0.1.0".to_string(),
                name,
                ..Default::default()
            },
            handlers: HashMap::new(),
            ready: None,
        }
    }

    /// Sets the human-readable name.
    pub fn verbose_name(mut self, verbose_name: impl Into<String>) -> Self {
        self.manifest.verbose_name = verbose_name.into();
        self
    }

    /// Sets the plugin's version (semver); usually `env!("CARGO_PKG_VERSION")`.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.manifest.version = version.into();
        self
    }

    /// Sets the author.
    pub fn author(mut self, author: impl Into<String>) -> Self {
        self.manifest.author = author.into();
        self
    }

    /// Sets the author's e-mail address.
    pub fn author_email(mut self, email: impl Into<String>) -> Self {
        self.manifest.author_email = email.into();
        self
    }

    /// Sets the one-line description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.manifest.description = description.into();
        self
    }

    /// Sets the URL segment under `/plugins/` and `/api/plugins/`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.manifest.base_url = base_url.into();
        self
    }

    /// Sets the lowest host version the plugin supports (inclusive).
    pub fn min_version(mut self, version: impl Into<String>) -> Self {
        self.manifest.min_version = Some(version.into());
        self
    }

    /// Sets the highest host version the plugin supports (inclusive).
    pub fn max_version(mut self, version: impl Into<String>) -> Self {
        self.manifest.max_version = Some(version.into());
        self
    }

    /// Requires `key` in the operator's `PLUGINS_CONFIG[name]` section.
    pub fn required_setting(mut self, key: impl Into<String>) -> Self {
        self.manifest.required_settings.push(key.into());
        self
    }

    /// Gives `key` a default value, used when the operator does not set it.
    pub fn default_setting(mut self, key: impl Into<String>, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.manifest.default_settings.insert(key.into(), value);
        self
    }

    /// Requires another plugin, with a semver requirement on its version (`"*"` for any).
    pub fn dependency(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.manifest.dependencies.push(Dependency {
            name: name.into(),
            version: version.into(),
        });
        self
    }

    /// Adds a UI view under `/plugins/<base_url>/`.
    pub fn view<F>(mut self, view: View, handler: F) -> Self
    where
        F: Fn(&Context<'_>, Request) -> Result<Response, PluginError> + Send + Sync + 'static,
    {
        self.handlers.insert(
            (kinds::VIEW.to_string(), view.def.name.clone()),
            typed(handler),
        );
        self.manifest.views.push(view.def);
        self
    }

    /// Adds a REST API view under `/api/plugins/<base_url>/`.
    pub fn api_view<F>(mut self, view: View, handler: F) -> Self
    where
        F: Fn(&Context<'_>, Request) -> Result<Response, PluginError> + Send + Sync + 'static,
    {
        self.handlers.insert(
            (kinds::API_VIEW.to_string(), view.def.name.clone()),
            typed(handler),
        );
        self.manifest.api_views.push(view.def);
        self
    }

    /// Adds a job: `handler` runs in a worker with the cleaned variables; what it returns
    /// is the job result's `result`. Its database work (through `ctx.host()`) commits
    /// when it returns `Ok` and is rolled back on an error, a panic or a dry run.
    pub fn job<F>(mut self, job: JobDef, handler: F) -> Self
    where
        F: Fn(&Context<'_>, JobRequest) -> Result<serde_json::Value, PluginError>
            + Send
            + Sync
            + 'static,
    {
        self.handlers
            .insert((kinds::JOB.to_string(), job.name.clone()), typed(handler));
        self.manifest.jobs.push(job);
        self
    }

    /// Adds a navigation menu tab (merged into an existing tab of the same name).
    pub fn menu_tab(mut self, tab: NavMenuTab) -> Self {
        self.manifest.menu_items.push(tab);
        self
    }

    /// Adds a panel to the home page (Nautobot's `homepage_layout`), since 1.1: merged
    /// into the core panel (or another plugin's) of the same name, its items after the
    /// ones there, or a panel of its own after the core panels. Item links name one of
    /// the plugin's UI views or `<model>_list` / `<model>_add`, as menu links do, and an
    /// item's `model` must be one of the plugin's own; otherwise the plugin is refused
    /// at load.
    ///
    /// ```
    /// use nautobot_plugin_abi::prelude::*;
    ///
    /// # let _ = PluginBuilder::new("my_plugin")
    /// #     .model(ModelSchema::new("my_plugin", "widget"))
    /// .home_panel(
    ///     HomePagePanel::new("My Plugin").weight(500).item(
    ///         HomePageItem::new("widget_list", "Widgets")
    ///             .model("my_plugin.widget")
    ///             .description("Widgets in stock"),
    ///     ),
    /// )
    /// // An item in the core "Organization" panel.
    /// .home_panel(
    ///     HomePagePanel::new("Organization")
    ///         .item(HomePageItem::new("widget_add", "Add a widget").permission("my_plugin.add_widget")),
    /// );
    /// ```
    pub fn home_panel(mut self, panel: HomePagePanel) -> Self {
        self.manifest.homepage_layout.push(panel);
        self
    }

    /// Adds a middleware; middleware runs in the order added.
    pub fn middleware(mut self, middleware: Middleware) -> Self {
        let Middleware {
            name,
            on_request,
            on_response,
        } = middleware;
        self.manifest.middleware.push(MiddlewareDef {
            name: name.clone(),
            request: on_request.is_some(),
            response: on_response.is_some(),
        });
        if let Some(h) = on_request {
            self.handlers
                .insert((kinds::MIDDLEWARE_REQUEST.to_string(), name.clone()), h);
        }
        if let Some(h) = on_response {
            self.handlers
                .insert((kinds::MIDDLEWARE_RESPONSE.to_string(), name), h);
        }
        self
    }

    /// Declares a model (its app label is set to the plugin's name).
    pub fn model(mut self, mut model: ModelSchema) -> Self {
        model.app_label = self.manifest.name.clone();
        self.manifest.models.push(model);
        self
    }

    /// Ships a migration of the plugin's models (its app label is the plugin's name).
    pub fn migration(mut self, mut migration: Migration) -> Self {
        migration.app_label = self.manifest.name.clone();
        self.manifest.migrations.push(migration);
        self
    }

    /// Registers a custom validator for `model` (`"dcim.location"`, one of the plugin's
    /// own, or [`ALL_MODELS`](crate::ALL_MODELS) for every model), called before every
    /// create and update inside the write's transaction; an error rejects the write.
    /// It may read the database with [`Host::query`]/[`Host::get`] (see
    /// [`ValidatorDef`]).
    pub fn validator<F>(
        mut self,
        model: impl Into<String>,
        name: impl Into<String>,
        handler: F,
    ) -> Self
    where
        F: Fn(&Context<'_>, ValidationRequest) -> Result<(), PluginError> + Send + Sync + 'static,
    {
        let name = name.into();
        let handler = move |ctx: &Context<'_>, req: ValidationRequest| {
            handler(ctx, req).map(|()| serde_json::Value::Null)
        };
        self.handlers
            .insert((kinds::VALIDATE.to_string(), name.clone()), typed(handler));
        self.manifest.validators.push(ValidatorDef {
            name,
            model: model.into(),
        });
        self
    }

    /// Adds content to the pages of a model.
    pub fn template_extension(mut self, extension: TemplateExtension) -> Self {
        let TemplateExtension {
            name,
            model,
            slots,
            stylesheets,
            scripts,
        } = extension;
        let mut names = Vec::with_capacity(slots.len());
        for (slot, handler) in slots {
            self.handlers.insert(
                (
                    kinds::TEMPLATE_CONTENT.to_string(),
                    format!("{name}:{slot}"),
                ),
                handler,
            );
            names.push(slot);
        }
        self.manifest
            .template_extensions
            .push(TemplateExtensionDef {
                name,
                model,
                slots: names,
                stylesheets,
                scripts,
            });
        self
    }

    /// Shows a banner at the top of pages (Nautobot's `banner`), since 1.1: `handler` is
    /// called for each page whose path starts with one of `paths` (every page when
    /// `paths` is empty) and answers a [`Banner`] or `None`.
    ///
    /// ```
    /// use nautobot_plugin_abi::{prelude::*, Banner, BannerRequest};
    ///
    /// fn maintenance(ctx: &Context<'_>, _req: BannerRequest) -> Result<Option<Banner>, PluginError> {
    ///     Ok(ctx
    ///         .setting::<String>("maintenance")
    ///         .map(|when| Banner::new("warning", format!("Maintenance window: {when}"))))
    /// }
    /// # let _ = PluginBuilder::new("my_plugin").banner("maintenance", &["/dcim/"], maintenance);
    /// ```
    pub fn banner<F>(mut self, name: impl Into<String>, paths: &[&str], handler: F) -> Self
    where
        F: Fn(&Context<'_>, BannerRequest) -> Result<Option<Banner>, PluginError>
            + Send
            + Sync
            + 'static,
    {
        let name = name.into();
        self.handlers
            .insert((kinds::BANNER.to_string(), name.clone()), typed(handler));
        self.manifest.banners.push(BannerDef {
            name,
            paths: paths.iter().map(|p| p.to_string()).collect(),
        });
        self
    }

    /// Adds a filter to another model's filter set (Nautobot's `filter_extensions`):
    /// `name` (starting with `<plugin name>_`) compares the field at the end of `path`
    /// (see [`FilterExtensionDef`]). Since 1.2.
    ///
    /// ```
    /// # use nautobot_plugin_abi::PluginBuilder;
    /// PluginBuilder::new("my_plugin").filter_extension(
    ///     "dcim.device",
    ///     "my_plugin_manufacturer",
    ///     "Manufacturer",
    ///     "device_type__manufacturer__name",
    /// );
    /// ```
    pub fn filter_extension(
        mut self,
        model: impl Into<String>,
        name: impl Into<String>,
        label: impl Into<String>,
        path: impl Into<String>,
    ) -> Self {
        self.manifest.filter_extensions.push(FilterExtensionDef {
            model: model.into(),
            name: name.into(),
            label: label.into(),
            path: path.into(),
        });
        self
    }

    /// Adds a column to another model's UI list (Nautobot's `table_extensions`), from a
    /// path, a Tera template or both (see [`TableExtensionDef`]). Since 1.2.
    pub fn table_extension(mut self, extension: TableExtensionDef) -> Self {
        self.manifest.table_extensions.push(extension);
        self
    }

    /// Adds a read-only field to another model's REST answers, under
    /// `plugin_data.<plugin>.<name>`: `handler` gets one page's objects at once and
    /// answers one value per object, in order (see [`RestFieldDef`]). Since 1.2.
    ///
    /// ```
    /// # use nautobot_plugin_abi::{PluginBuilder, Context, RestFieldsRequest, PluginError};
    /// # use nautobot_plugin_abi::serde_json::{json, Value};
    /// fn name_length(_ctx: &Context<'_>, req: RestFieldsRequest) -> Result<Vec<Value>, PluginError> {
    ///     Ok(req.objects.iter().map(|o| json!(o["name"].as_str().map(str::len))).collect())
    /// }
    /// # let _ = PluginBuilder::new("my_plugin").rest_field("dcim.device", "name_length", name_length);
    /// ```
    pub fn rest_field<F>(
        mut self,
        model: impl Into<String>,
        name: impl Into<String>,
        handler: F,
    ) -> Self
    where
        F: Fn(&Context<'_>, RestFieldsRequest) -> Result<Vec<Value>, PluginError>
            + Send
            + Sync
            + 'static,
    {
        let name = name.into();
        self.handlers.insert(
            (kinds::REST_FIELDS.to_string(), name.clone()),
            typed(handler),
        );
        self.manifest.rest_fields.push(RestFieldDef {
            name,
            model: model.into(),
        });
        self
    }

    /// Registers a template filter for computed fields and table extension templates
    /// (Nautobot's `jinja_filters`): `{{ obj.name | <name> }}`; `name` starts with
    /// `<plugin name>_`. Since 1.2.
    ///
    /// ```
    /// # use nautobot_plugin_abi::{PluginBuilder, Context, TeraFilterRequest, PluginError};
    /// # use nautobot_plugin_abi::serde_json::{json, Value};
    /// fn shout(_ctx: &Context<'_>, req: TeraFilterRequest) -> Result<Value, PluginError> {
    ///     Ok(json!(req.value.as_str().unwrap_or_default().to_uppercase()))
    /// }
    /// # let _ = PluginBuilder::new("my_plugin").tera_filter("my_plugin_shout", shout);
    /// ```
    pub fn tera_filter<F>(mut self, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(&Context<'_>, TeraFilterRequest) -> Result<Value, PluginError>
            + Send
            + Sync
            + 'static,
    {
        let name = name.into();
        self.handlers.insert(
            (kinds::TERA_FILTER.to_string(), name.clone()),
            typed(handler),
        );
        self.manifest.tera_filters.push(TeraFilterDef { name });
        self
    }

    /// Ships a Tera template named `<plugin name>/…` (usually with `include_str!`).
    pub fn template(mut self, name: impl Into<String>, source: impl Into<String>) -> Self {
        self.manifest.templates.push(TemplateFile {
            name: name.into(),
            source: source.into(),
        });
        self
    }

    /// Ships a static file at `<plugin name>/…` (usually with `include_bytes!`);
    /// `collectstatic` copies it into `STATIC_ROOT`.
    pub fn static_file(mut self, path: impl Into<String>, content: impl AsRef<[u8]>) -> Self {
        self.manifest.static_files.push(StaticFile {
            path: path.into(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(content),
        });
        self
    }

    /// Names the view linked as the plugin's home page.
    pub fn home_view(mut self, view_name: impl Into<String>) -> Self {
        self.manifest.home_view_name = Some(view_name.into());
        self
    }

    /// Names the view linked as the plugin's configuration page.
    pub fn config_view(mut self, view_name: impl Into<String>) -> Self {
        self.manifest.config_view_name = Some(view_name.into());
        self
    }

    /// Names the view linked as the plugin's documentation.
    pub fn docs_view(mut self, view_name: impl Into<String>) -> Self {
        self.manifest.docs_view_name = Some(view_name.into());
        self
    }

    /// Runs `hook` once when the host instantiates the plugin (Nautobot's `ready()`);
    /// an error refuses the plugin at start-up.
    pub fn on_ready<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Context<'_>) -> Result<(), PluginError> + Send + Sync + 'static,
    {
        self.ready = Some(Box::new(hook));
        self
    }

    /// Registers a handler for any call kind, taking and returning raw JSON. For kinds
    /// this builder has no typed method for yet.
    pub fn handler<F>(
        mut self,
        kind: impl Into<String>,
        name: impl Into<String>,
        handler: F,
    ) -> Self
    where
        F: Fn(&Context<'_>, &str) -> Result<String, PluginError> + Send + Sync + 'static,
    {
        self.handlers
            .insert((kind.into(), name.into()), Box::new(handler));
        self
    }

    /// Edits the manifest directly, for fields without a builder method.
    pub fn manifest_mut(&mut self) -> &mut PluginManifest {
        &mut self.manifest
    }

    /// The manifest as declared so far.
    pub fn manifest(&self) -> &PluginManifest {
        &self.manifest
    }

    pub(crate) fn into_instance(self, config: Map<String, Value>) -> PluginInstance {
        PluginInstance {
            manifest: self.manifest,
            handlers: self.handlers,
            ready: self.ready,
            config,
        }
    }
}

/// Wraps a typed handler into one taking and returning JSON.
fn typed<P, R, F>(handler: F) -> RawHandler
where
    P: DeserializeOwned,
    R: Serialize,
    F: Fn(&Context<'_>, P) -> Result<R, PluginError> + Send + Sync + 'static,
{
    Box::new(move |ctx, payload| {
        let payload: P = serde_json::from_str(payload)
            .map_err(|e| PluginError::bad_request(format!("unexpected payload: {e}")))?;
        let answer = handler(ctx, payload)?;
        serde_json::to_string(&answer)
            .map_err(|e| PluginError::internal(format!("cannot serialise the answer: {e}")))
    })
}

/// A plugin as the host sees it after `instantiate`: manifest, handlers and settings.
pub(crate) struct PluginInstance {
    manifest: PluginManifest,
    handlers: HashMap<(String, String), RawHandler>,
    ready: Option<ReadyHandler>,
    config: Map<String, Value>,
}

impl PluginInstance {
    pub(crate) fn ready(&self, host: Host<'_>) -> Result<(), PluginError> {
        match &self.ready {
            Some(hook) => hook(&Context::new(host, &self.config, &self.manifest)),
            None => Ok(()),
        }
    }

    pub(crate) fn dispatch(
        &self,
        kind: &str,
        name: &str,
        payload: &str,
        host: Host<'_>,
    ) -> Result<String, PluginError> {
        let handler = self
            .handlers
            .get(&(kind.to_string(), name.to_string()))
            .ok_or_else(|| {
                PluginError::unsupported(format!(
                    "plugin '{}' has no {kind} handler named '{name}'",
                    self.manifest.name
                ))
            })?;
        handler(&Context::new(host, &self.config, &self.manifest), payload)
    }
}
