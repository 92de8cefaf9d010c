//! `example_plugin`: the plugin that shows every capability of the nautobot-server
//! plugin API — views rendered from its own templates, a REST API, navigation menu
//! entries, middleware, settings with defaults, and a static CSS file.
//!
//! Build it with `cargo build -p example_plugin`, copy `libexample_plugin.so` into
//! `PLUGINS_DIR`, and add `"example_plugin"` to `PLUGINS`.

use nautobot_plugin_abi::prelude::*;

/// The plugin's declaration: what `export_plugin!` exports.
pub fn plugin() -> PluginBuilder {
    PluginBuilder::new("example_plugin")
        .verbose_name("Example Plugin")
        .version(env!("CARGO_PKG_VERSION"))
        .author("Nautobot-rs maintainers")
        .author_email("maintainers@example.com")
        .description(
            "An example plugin showing views, API, navigation, middleware and static files.",
        )
        .base_url("example-plugin")
        .min_version("1.0.0")
        .max_version("1.99.99")
        .default_setting("example_setting", "default value")
        .default_setting("greeting", "Hello from the example plugin")
        .view(View::get("home", ""), home)
        .view(View::get("config", "config/"), config)
        .view(View::get("docs", "docs/"), docs)
        .view(View::new("form", "form/").methods(["GET", "POST"]), form)
        .view(
            View::get("protected", "protected/").permission("example_plugin.view_examplemodel"),
            protected,
        )
        .view(View::get("item", "items/{pk}/"), item)
        .view(View::get("go_home", "go/"), go_home)
        .view(View::get("export", "export.txt"), export)
        .api_view(View::get("api_root", ""), api_root)
        .api_view(View::get("api_status", "status/"), api_status)
        .api_view(View::new("api_echo", "echo/").methods(["POST"]), api_echo)
        .menu_tab(
            NavMenuTab::new("Example Menu").weight(1000).group(
                NavMenuGroup::new("Example Group 1").item(
                    NavMenuItem::new("home", "Example Home").button(
                        NavMenuButton::new("form", "Add")
                            .icon_class("mdi mdi-plus-thick")
                            .permission("example_plugin.add_examplemodel"),
                    ),
                ),
            ),
        )
        .middleware(Middleware::new("add_header").on_response(add_header))
        .middleware(Middleware::new("trace").on_response(trace))
        .template(
            "example_plugin/home.html",
            include_str!("../templates/example_plugin/home.html"),
        )
        .template(
            "example_plugin/config.html",
            include_str!("../templates/example_plugin/config.html"),
        )
        .template(
            "example_plugin/docs.html",
            include_str!("../templates/example_plugin/docs.html"),
        )
        .template(
            "example_plugin/form.html",
            include_str!("../templates/example_plugin/form.html"),
        )
        .template(
            "example_plugin/page.html",
            include_str!("../templates/example_plugin/page.html"),
        )
        .template(
            "example_plugin/message.html",
            include_str!("../templates/example_plugin/message.html"),
        )
        .static_file(
            "example_plugin/css/example.css",
            include_bytes!("../static/example_plugin/css/example.css"),
        )
        .home_view("home")
        .config_view("config")
        .docs_view("docs")
        .on_ready(|ctx| {
            ctx.host().info("example plugin ready");
            Ok(())
        })
}

export_plugin!(plugin);

fn home(ctx: &Context<'_>, req: Request) -> Result<Response, PluginError> {
    let user = req.user.map(|u| u.username).unwrap_or_default();
    Ok(Response::render(
        "example_plugin/home.html",
        json!({
            "page_title": "Example Plugin",
            "greeting": ctx.setting::<String>("greeting").unwrap_or_default(),
            "example_setting": ctx.setting::<String>("example_setting").unwrap_or_default(),
            "username": user,
        }),
    ))
}

fn config(ctx: &Context<'_>, _req: Request) -> Result<Response, PluginError> {
    let settings: Vec<_> = ctx
        .config()
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v.to_string()}))
        .collect();
    Ok(Response::render(
        "example_plugin/config.html",
        json!({"page_title": "Example Plugin Configuration", "settings": settings}),
    ))
}

fn docs(_ctx: &Context<'_>, _req: Request) -> Result<Response, PluginError> {
    Ok(Response::render(
        "example_plugin/docs.html",
        json!({"page_title": "Example Plugin Documentation"}),
    ))
}

/// A form: GET shows it, POST (CSRF-checked by the host) echoes the message.
fn form(ctx: &Context<'_>, req: Request) -> Result<Response, PluginError> {
    if req.method == "POST" {
        let message = req
            .form()
            .into_iter()
            .find(|(k, _)| k == "message")
            .map(|(_, v)| v)
            .unwrap_or_default();
        if message.trim().is_empty() {
            return Ok(Response::render(
                "example_plugin/form.html",
                json!({"page_title": "Example Form", "error": "A message is required."}),
            )
            .with_status(400));
        }
        ctx.host().info(&format!("form submitted: {message}"));
        let html = ctx
            .host()
            .render("example_plugin/message.html", json!({"message": message}))?;
        return Ok(Response::render(
            "example_plugin/form.html",
            json!({"page_title": "Example Form", "submitted": html}),
        ));
    }
    Ok(Response::render(
        "example_plugin/form.html",
        json!({"page_title": "Example Form"}),
    ))
}

fn protected(_ctx: &Context<'_>, req: Request) -> Result<Response, PluginError> {
    Ok(Response::render(
        "example_plugin/page.html",
        json!({"page_title": "Protected", "message": format!("Only users with example_plugin.view_examplemodel see this ({}).", req.user.map(|u| u.username).unwrap_or_default())}),
    ))
}

fn item(_ctx: &Context<'_>, req: Request) -> Result<Response, PluginError> {
    let pk = req.path_param("pk").unwrap_or_default().to_string();
    if pk == "0" {
        return Err(PluginError::not_found("There is no item 0."));
    }
    Ok(Response::render(
        "example_plugin/page.html",
        json!({"page_title": format!("Item {pk}"), "message": format!("Item {pk}")}),
    ))
}

/// A redirect back to the plugin's home page.
fn go_home(_ctx: &Context<'_>, req: Request) -> Result<Response, PluginError> {
    Ok(Response::redirect(req.base_path))
}

/// Raw bytes: the plugin's settings as a text file download.
fn export(ctx: &Context<'_>, _req: Request) -> Result<Response, PluginError> {
    let mut text = String::new();
    for (key, value) in ctx.config() {
        text.push_str(&format!("{key} = {value}\n"));
    }
    Ok(
        Response::bytes("text/plain; charset=utf-8", text).with_header(
            "Content-Disposition",
            "attachment; filename=\"example_plugin.txt\"",
        ),
    )
}

fn api_root(_ctx: &Context<'_>, req: Request) -> Result<Response, PluginError> {
    Ok(Response::json(json!({
        "status": format!("{}status/", req.base_path),
        "echo": format!("{}echo/", req.base_path),
    })))
}

fn api_status(ctx: &Context<'_>, req: Request) -> Result<Response, PluginError> {
    Ok(Response::json(json!({
        "plugin": ctx.manifest().name,
        "version": ctx.manifest().version,
        "settings": ctx.config(),
        "user": req.user.map(|u| u.username),
        "can_view_examplemodel": ctx.host().has_perm("example_plugin.view_examplemodel"),
    })))
}

fn api_echo(_ctx: &Context<'_>, req: Request) -> Result<Response, PluginError> {
    let body: nautobot_plugin_abi::serde_json::Value = req.json()?;
    Ok(Response::json(json!({"echo": body})).with_status(201))
}

fn add_header(ctx: &Context<'_>, _res: MiddlewareResponse) -> Result<ResponseChanges, PluginError> {
    Ok(ResponseChanges::none().set_header(
        "X-Example-Plugin",
        format!("{}/{}", ctx.manifest().name, ctx.manifest().version),
    ))
}

/// Appends its name to `X-Plugin-Middleware`, so the order middleware ran in shows.
fn trace(_ctx: &Context<'_>, res: MiddlewareResponse) -> Result<ResponseChanges, PluginError> {
    let seen = res.headers.get("x-plugin-middleware").cloned();
    let value = match seen {
        Some(before) => format!("{before}, example_plugin.trace"),
        None => "example_plugin.trace".to_string(),
    };
    Ok(ResponseChanges::none().set_header("X-Plugin-Middleware", value))
}
