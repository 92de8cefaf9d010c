//! # nautobot-plugin-abi
//!
//! The one crate a `nautobot-server` plugin depends on: the stable binary interface
//! between the server and plugin libraries, and a safe authoring layer on top of it.
//!
//! A plugin is a Rust `cdylib`. It describes itself with a [`PluginBuilder`] — name,
//! version, base URL, views, REST API views, navigation menu, home page panels,
//! middleware, templates,
//! static files, settings — and exports it with [`export_plugin!`]:
//!
//! ```
//! use nautobot_plugin_abi::prelude::*;
//!
//! fn home(ctx: &Context<'_>, _req: Request) -> Result<Response, PluginError> {
//!     ctx.host().info("rendering the home page");
//!     Ok(Response::render("my_plugin/home.html", json!({"greeting": "Hello"})))
//! }
//!
//! fn plugin() -> PluginBuilder {
//!     PluginBuilder::new("my_plugin")
//!         .verbose_name("My Plugin")
//!         .version(env!("CARGO_PKG_VERSION"))
//!         .view(View::get("home", ""), home)
//!         // Usually include_str!("../templates/my_plugin/home.html").
//!         .template(
//!             "my_plugin/home.html",
//!             "{% extends \"base.html\" %}{% block content %}{{ greeting }}{% endblock content %}",
//!         )
//! }
//!
//! export_plugin!(plugin);
//! # fn main() {}
//! ```
//!
//! Build it with `cargo build --release`, copy `target/release/libmy_plugin.so` into the
//! server's `PLUGINS_DIR`, add `"my_plugin"` to `PLUGINS`, run `nautobot-server migrate`
//! and `nautobot-server collectstatic`, and restart.
//!
//! ## Stability
//!
//! The binary layouts in [`ffi`] are frozen for 1.x, so a plugin built once keeps
//! loading on later 1.x hosts. Everything else travels as JSON whose every field has a
//! default; new capabilities arrive as new manifest fields and new call [`kinds`].
//!
//! ## Safety
//!
//! Every entry point catches panics and returns them as [`PluginError::PANIC`]; the host
//! turns that into an error for the one request and carries on. A plugin built with
//! `panic = "abort"` is refused at load, because its panics could not be caught.

#![deny(missing_docs)]

mod builder;
mod data;
mod error;
mod export;
pub mod ffi;
pub mod home;
mod host;
mod http;
pub mod jobs;
pub mod kinds;
mod manifest;
pub mod nav;
pub mod schema;

pub use builder::{Context, Middleware, PluginBuilder, TemplateExtension, View};
pub use data::{
    Banner, BannerRequest, DetailTab, Page, Query, RestFieldsRequest, TemplateContent,
    TemplateContentRequest, TeraFilterRequest, ValidationRequest,
};
pub use error::PluginError;
pub use ffi::{
    AbiVersion, HostServices, HostServicesRef, HostServices_TO, LogLevel, PanicStrategy, Plugin,
    PluginBox, PluginMod, PluginModRef, Plugin_TO, ROOT_MODULE_NAME,
};
pub use home::{HomePageItem, HomePagePanel};
pub use host::Host;
pub use http::{
    Content, MiddlewareAction, MiddlewareRequest, MiddlewareResponse, Request, Response,
    ResponseChanges, User,
};
pub use jobs::{JobDef, JobRequest, JobVar, VarKind};
pub use manifest::{
    BannerDef, Dependency, FilterExtensionDef, MiddlewareDef, PluginManifest, RestFieldDef,
    StaticFile, TableExtensionDef, TemplateExtensionDef, TemplateFile, TeraFilterDef, ValidatorDef,
    ViewDef, ALL_MODELS,
};
pub use nav::{NavMenuButton, NavMenuGroup, NavMenuItem, NavMenuTab};
pub use schema::{Choice, FieldKind, FieldSchema, Migration, ModelSchema, OnDelete, Operation};

/// Re-exports used by the code [`export_plugin!`] generates. Not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::export::*;
    pub use abi_stable::std_types::{RResult, RStr, RString};
}

/// Everything a plugin author needs, in one import.
pub mod prelude {
    pub use crate::{
        export_plugin, Banner, BannerRequest, Context, DetailTab, FieldKind, FieldSchema,
        HomePageItem, HomePagePanel, Host, JobDef, JobRequest, JobVar, LogLevel, Middleware,
        MiddlewareAction, MiddlewareRequest, MiddlewareResponse, Migration, ModelSchema,
        NavMenuButton, NavMenuGroup, NavMenuItem, NavMenuTab, OnDelete, Operation, Page,
        PluginBuilder, PluginError, Query, Request, Response, ResponseChanges, RestFieldsRequest,
        TableExtensionDef, TemplateContentRequest, TemplateExtension, TeraFilterRequest, User,
        ValidationRequest, VarKind, View, ALL_MODELS,
    };
    pub use serde_json::json;
}

/// `serde_json`, re-exported so plugins need no direct dependency for handler payloads.
pub use serde_json;
