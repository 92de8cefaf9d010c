//! `example_plugin`: the plugin that shows every capability of the nautobot-server
//! plugin API — views rendered from its own templates, a REST API, navigation menu
//! entries, home page panels, middleware, settings with defaults, a static CSS file, and
//! the data features: two models (`ExampleModel`, `AnotherExampleModel`) with their
//! migration, custom validators (for `dcim.location` and for its own `ExampleModel`),
//! template content (panels, buttons and a tab) on the pages of `dcim.location` and a
//! panel on those of `dcim.device`, and jobs (listed under "Example Jobs"): one that
//! creates ExampleModels, two that fail or panic after making changes (which are rolled
//! back), one with a variable of every type, a long running one with time limits, and a
//! read-only one that counts ExampleModels.
//!
//! Build it with `cargo build -p example_plugin`, copy `libexample_plugin.so` into
//! `PLUGINS_DIR`, add `"example_plugin"` to `PLUGINS`, and run
//! `nautobot-server migrate` to create its tables.

use nautobot_plugin_abi::prelude::*;
use nautobot_plugin_abi::serde_json::{Map, Value};

/// The plugin's declaration: what `export_plugin!` exports.
pub fn plugin() -> PluginBuilder {
    PluginBuilder::new("example_plugin")
        .verbose_name("Example Plugin")
        .version(env!("CARGO_PKG_VERSION"))
        .author("Nautobot-rs maintainers")
        .author_email("maintainers@example.com")
        .description(
            "An example plugin showing views, API, navigation, middleware, static files, \
             models, custom validators, template content and jobs.",
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
        .api_view(
            View::new("api_summary", "summary/").methods(["GET", "POST"]),
            api_summary,
        )
        .menu_tab(
            NavMenuTab::new("Example Menu").weight(1000).group(
                NavMenuGroup::new("Example Group 1")
                    .item(
                        NavMenuItem::new("home", "Example Home").button(
                            NavMenuButton::new("form", "Add")
                                .icon_class("mdi mdi-plus-thick")
                                .permission("example_plugin.add_examplemodel"),
                        ),
                    )
                    .item(
                        NavMenuItem::new("examplemodel_list", "Example Models")
                            .permission("example_plugin.view_examplemodel")
                            .button(
                                NavMenuButton::new("examplemodel_add", "Add Example Model")
                                    .icon_class("mdi mdi-plus-thick")
                                    .permission("example_plugin.add_examplemodel"),
                            ),
                    ),
            ),
        )
        // The home page: a panel of its own, and an item in the core "Organization" panel.
        .home_panel(
            HomePagePanel::new("Example Plugin")
                .weight(1000)
                .item(
                    HomePageItem::new("examplemodel_list", "Example Models")
                        .model("example_plugin.examplemodel")
                        .description("Examples with a unique name and a number"),
                )
                .item(
                    HomePageItem::new("protected", "Protected Page")
                        .permission("example_plugin.view_examplemodel")
                        .weight(2000),
                ),
        )
        .home_panel(
            HomePagePanel::new("Organization").item(
                HomePageItem::new("anotherexamplemodel_list", "Another Example Models")
                    .model("example_plugin.anotherexamplemodel"),
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
        .model(example_model())
        .model(another_example_model())
        .migration(migration_0001_initial())
        .validator("dcim.location", "location_name", validate_location)
        .validator(
            "example_plugin.examplemodel",
            "examplemodel_name",
            validate_example_model,
        )
        .template_extension(location_content())
        .template_extension(device_content())
        .job(create_models_job(), create_models)
        .job(fail_after_changes_job(), fail_after_changes)
        .job(panic_after_changes_job(), panic_after_changes)
        .job(every_variable_job(), every_variable)
        .job(long_running_job(), long_running)
        .job(count_models_job(), count_models)
        .on_ready(|ctx| {
            ctx.host().info("example plugin ready");
            Ok(())
        })
}

export_plugin!(plugin);

/// `ExampleModel`, as in Nautobot's example app: a unique name and a number.
fn example_model() -> ModelSchema {
    ModelSchema::new("example_plugin", "examplemodel")
        .verbose_names("example model", "example models")
        .description("An example model with a unique name and a number.")
        .field(
            FieldSchema::char("name", 20)
                .unique()
                .help_text("The name of this Example."),
        )
        .field(
            FieldSchema::integer("number")
                .default_value(100)
                .help_text("The number of this Example."),
        )
        .ordering(["name"])
}

/// `AnotherExampleModel`: a name and an optional location, deleted with its location.
fn another_example_model() -> ModelSchema {
    ModelSchema::new("example_plugin", "anotherexamplemodel")
        .verbose_names("another example model", "another example models")
        .description("Another example model, optionally tied to a location.")
        .field(FieldSchema::char("name", 20).help_text("The name of this Example."))
        .field(
            FieldSchema::foreign_key("location", "dcim.location", OnDelete::Cascade)
                .optional()
                .help_text("The location this Example belongs to."),
        )
        .ordering(["name"])
}

/// Creates both models exactly as the manifest declares them.
fn migration_0001_initial() -> Migration {
    Migration::new("example_plugin", "0001_initial")
        .depends_on("dcim", "0001_initial")
        .operation(Operation::CreateModel {
            model: example_model(),
        })
        .operation(Operation::CreateModel {
            model: another_example_model(),
        })
}

/// The one Location name the example validator refuses.
const FORBIDDEN_LOCATION_NAME: &str = "this location has a matching name";

/// The one ExampleModel name the example validator refuses.
const FORBIDDEN_EXAMPLE_NAME: &str = "forbidden";

fn validate_location(_ctx: &Context<'_>, req: ValidationRequest) -> Result<(), PluginError> {
    check_location_name(req.str("name"))
}

fn check_location_name(name: Option<&str>) -> Result<(), PluginError> {
    if name == Some(FORBIDDEN_LOCATION_NAME) {
        let message = format!("Location name must not be '{FORBIDDEN_LOCATION_NAME}'");
        return Err(PluginError::validation(
            message.clone(),
            [("name", message)],
        ));
    }
    Ok(())
}

fn validate_example_model(_ctx: &Context<'_>, req: ValidationRequest) -> Result<(), PluginError> {
    check_example_name(req.str("name"))
}

fn check_example_name(name: Option<&str>) -> Result<(), PluginError> {
    if name == Some(FORBIDDEN_EXAMPLE_NAME) {
        let message = format!("ExampleModel name '{FORBIDDEN_EXAMPLE_NAME}' is not allowed");
        return Err(PluginError::validation(
            message.clone(),
            [("name", message)],
        ));
    }
    Ok(())
}

/// Content on the pages of `dcim.location`: every slot and a detail tab.
fn location_content() -> TemplateExtension {
    let mut extension = TemplateExtension::new("location_content", "dcim.location");
    for slot in [
        "left_page",
        "right_page",
        "full_width_page",
        "buttons",
        "list_buttons",
    ] {
        extension = extension.slot(
            slot,
            move |_ctx: &Context<'_>, req: TemplateContentRequest| {
                Ok(slot_html(slot, req.object.as_ref()))
            },
        );
    }
    extension.detail_tabs(|_ctx, _req| {
        Ok(vec![DetailTab {
            title: "Example Plugin Tab".to_string(),
            html: r#"<p id="example-plugin-tab">Example tab content</p>"#.to_string(),
        }])
    })
}

/// Content on the pages of `dcim.device`: a panel in the right column naming the device
/// and counting the AnotherExampleModels at its location (a query through the host, with
/// the viewer's permissions).
fn device_content() -> TemplateExtension {
    TemplateExtension::new("device_content", "dcim.device").slot(
        "right_page",
        |ctx: &Context<'_>, req: TemplateContentRequest| {
            let object = req.object.as_ref();
            let location = object
                .and_then(|o| o.get("location"))
                .and_then(|l| l.get("id").or(Some(l)))
                .and_then(Value::as_str);
            let count = match location {
                Some(id) => {
                    let mut filters = Map::new();
                    filters.insert("location".into(), json!([id]));
                    ctx.host()
                        .query::<Page>(
                            "example_plugin.anotherexamplemodel",
                            Query {
                                filters,
                                limit: Some(1),
                                ..Default::default()
                            },
                        )
                        .ok()
                        .map(|page| page.count)
                }
                None => Some(0),
            };
            Ok(device_panel_html(object, count))
        },
    )
}

/// The device panel; `count` is none when the viewer may not see AnotherExampleModels.
fn device_panel_html(object: Option<&Value>, count: Option<u64>) -> String {
    let name = object
        .and_then(|o| o.get("name").or_else(|| o.get("display")))
        .and_then(Value::as_str)
        .map(escape_html)
        .unwrap_or_default();
    let count = match count {
        Some(1) => "1 AnotherExampleModel at its location".to_string(),
        Some(n) => format!("{n} AnotherExampleModels at its location"),
        None => "the AnotherExampleModels at its location are not visible to you".to_string(),
    };
    format!(
        r#"<div class="card" id="example-plugin-device-panel"><div class="card-header">Example Plugin</div><div class="card-body">Device {name}: {count}</div></div>"#
    )
}

/// The HTML for one slot; `object` is the location as the REST API shows it (none on
/// list pages).
fn slot_html(slot: &str, object: Option<&nautobot_plugin_abi::serde_json::Value>) -> String {
    let name = object
        .and_then(|o| o.get("name").or_else(|| o.get("display")))
        .and_then(|v| v.as_str())
        .map(escape_html)
        .unwrap_or_default();
    match slot {
        "left_page" | "right_page" | "full_width_page" => {
            let id = slot.replace('_', "-");
            let what = slot.replace('_', " ");
            format!(
                r#"<div class="card" id="example-plugin-{id}">Example Plugin {what} content for {name}</div>"#
            )
        }
        "buttons" => format!(
            r#"<a class="btn btn-secondary" id="example-plugin-buttons" href="/plugins/example-plugin/">Example Plugin button for {name}</a>"#
        ),
        "list_buttons" => r#"<a class="btn btn-secondary" id="example-plugin-list-buttons" href="/plugins/example-plugin/">Example Plugin list button</a>"#.to_string(),
        _ => String::new(),
    }
}

/// Escapes text for HTML element content and attribute values.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

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

/// Uses the host's database verbs: GET counts ExampleModels (optionally `?name__ic=`),
/// POST creates one from the body and renames it, then deletes it when `{"delete": true}`.
fn api_summary(ctx: &Context<'_>, req: Request) -> Result<Response, PluginError> {
    let host = ctx.host();
    if req.method == "POST" {
        let body: nautobot_plugin_abi::serde_json::Value = req.json()?;
        let name = body["name"].as_str().unwrap_or_default().to_string();
        let created: nautobot_plugin_abi::serde_json::Value = host.create(
            "example_plugin.examplemodel",
            json!({"name": name, "number": 7}),
        )?;
        let id = created["id"].as_str().unwrap_or_default().to_string();
        let updated: nautobot_plugin_abi::serde_json::Value = host.update(
            "example_plugin.examplemodel",
            &id,
            json!({"name": format!("{name}-2")}),
        )?;
        let fetched: nautobot_plugin_abi::serde_json::Value =
            host.get("example_plugin.examplemodel", json!({"id": id}))?;
        if body["delete"].as_bool() == Some(true) {
            host.delete("example_plugin.examplemodel", &id)?;
        }
        return Ok(Response::json(json!({
            "created": created["name"],
            "updated": updated["name"],
            "fetched": fetched["name"],
        }))
        .with_status(201));
    }
    let mut filters = nautobot_plugin_abi::serde_json::Map::new();
    if let Some((_, v)) = req.query.iter().find(|(k, _)| k == "name__ic") {
        filters.insert("name__ic".into(), json!([v]));
    }
    let page: Page = host.query(
        "example_plugin.examplemodel",
        Query {
            filters,
            sort: vec!["name".into()],
            limit: Some(1000),
            offset: None,
        },
    )?;
    let names: Vec<nautobot_plugin_abi::serde_json::Value> =
        page.results.iter().map(|o| o["name"].clone()).collect();
    Ok(Response::json(json!({"count": page.count, "names": names})))
}

/// The group every example job is listed under.
const JOB_GROUPING: &str = "Example Jobs";

/// The model the example jobs work on.
const EXAMPLE_MODEL: &str = "example_plugin.examplemodel";

/// `example_create_models`: creates `count` ExampleModels named `<prefix>-<i>`.
fn create_models_job() -> JobDef {
    JobDef::new("example_create_models", "Create Example Models")
        .description("Creates ExampleModels named <prefix>-1 … <prefix>-<count>.")
        .grouping(JOB_GROUPING)
        .var(
            JobVar::new(
                "prefix",
                VarKind::String {
                    min_length: None,
                    max_length: Some(10),
                    regex: None,
                },
            )
            .description("The start of each name."),
        )
        .var(
            JobVar::integer("count", Some(1), Some(100))
                .default_value(3)
                .description("How many ExampleModels to create."),
        )
        .var(
            JobVar::integer("number", None, None)
                .default_value(100)
                .description("The number each ExampleModel gets."),
        )
}

fn create_models(ctx: &Context<'_>, req: JobRequest) -> Result<Value, PluginError> {
    let host = ctx.host();
    let prefix = req
        .str("prefix")
        .ok_or_else(|| PluginError::bad_request("prefix is required"))?
        .to_string();
    let count = req.int("count").unwrap_or(3);
    let number = req.int("number").unwrap_or(100);
    for i in 1..=count {
        let name = format!("{prefix}-{i}");
        let created: Value = host.create(EXAMPLE_MODEL, json!({"name": name, "number": number}))?;
        host.job_log("success", &format!("Created {name}"), Some(&created));
    }
    Ok(json!({"created": count}))
}

/// `example_fail_after_changes`: creates an ExampleModel, then fails (so it is rolled back).
fn fail_after_changes_job() -> JobDef {
    JobDef::new("example_fail_after_changes", "Fail After Changes")
        .description("Creates an ExampleModel and then fails, so the change is rolled back.")
        .grouping(JOB_GROUPING)
        .var(
            JobVar::string("name")
                .default_value("doomed")
                .description("The name of the ExampleModel to create."),
        )
}

fn fail_after_changes(ctx: &Context<'_>, req: JobRequest) -> Result<Value, PluginError> {
    let name = req.str("name").unwrap_or("doomed").to_string();
    let created: Value = ctx.host().create(EXAMPLE_MODEL, json!({"name": name}))?;
    ctx.host().job_log(
        "info",
        &format!("Created {name}, now failing"),
        Some(&created),
    );
    Err(PluginError::internal("example failure after changes"))
}

/// `example_panic_after_changes`: creates an ExampleModel, then panics (so it is rolled
/// back).
fn panic_after_changes_job() -> JobDef {
    JobDef::new("example_panic_after_changes", "Panic After Changes")
        .description("Creates an ExampleModel and then panics, so the change is rolled back.")
        .grouping(JOB_GROUPING)
        .var(
            JobVar::string("name")
                .default_value("doomed")
                .description("The name of the ExampleModel to create."),
        )
}

fn panic_after_changes(ctx: &Context<'_>, req: JobRequest) -> Result<Value, PluginError> {
    let name = req.str("name").unwrap_or("doomed").to_string();
    let created: Value = ctx.host().create(EXAMPLE_MODEL, json!({"name": name}))?;
    ctx.host().job_log(
        "info",
        &format!("Created {name}, now panicking"),
        Some(&created),
    );
    panic!("example panic after changes");
}

/// The two colours of the choice variables.
fn colour_choices() -> Vec<(String, String)> {
    vec![
        ("red".to_string(), "Red".to_string()),
        ("green".to_string(), "Green".to_string()),
    ]
}

/// `example_every_variable`: one variable of every type; logs what it receives.
fn every_variable_job() -> JobDef {
    let mut active = Map::new();
    active.insert("status".into(), json!("Active"));
    JobDef::new("example_every_variable", "Every Variable Type")
        .description("Takes one variable of every type and logs the values it receives.")
        .grouping(JOB_GROUPING)
        .dryrun_default()
        .var(
            JobVar::new(
                "string_var",
                VarKind::String {
                    min_length: Some(2),
                    max_length: Some(20),
                    regex: Some("^[a-z]+$".into()),
                },
            )
            .label("String")
            .description("Lowercase letters only, 2 to 20 of them."),
        )
        .var(
            JobVar::new("text_var", VarKind::Text)
                .label("Text")
                .optional(),
        )
        .var(
            JobVar::integer("integer_var", Some(0), Some(10))
                .label("Integer")
                .optional(),
        )
        .var(JobVar::boolean("boolean_var").label("Boolean"))
        .var(
            JobVar::new(
                "choice_var",
                VarKind::Choice {
                    choices: colour_choices(),
                },
            )
            .label("Choice")
            .optional(),
        )
        .var(
            JobVar::new(
                "multi_choice_var",
                VarKind::MultiChoice {
                    choices: colour_choices(),
                },
            )
            .label("Multiple choice")
            .optional(),
        )
        .var(
            JobVar::new(
                "object_var",
                VarKind::Object {
                    model: "dcim.location".into(),
                    query: Map::new(),
                },
            )
            .label("Location")
            .optional(),
        )
        .var(
            JobVar::new(
                "multi_object_var",
                VarKind::MultiObject {
                    model: "dcim.location".into(),
                    query: active,
                },
            )
            .label("Active locations")
            .optional(),
        )
        .var(
            JobVar::new("ip_address_var", VarKind::IpAddress)
                .label("IP address")
                .optional(),
        )
        .var(
            JobVar::new("ip_network_var", VarKind::IpNetwork)
                .label("IP network")
                .optional(),
        )
        .var(
            JobVar::new("json_var", VarKind::Json)
                .label("JSON")
                .optional(),
        )
        .var(
            JobVar::new("file_var", VarKind::File)
                .label("File")
                .optional(),
        )
}

fn every_variable(ctx: &Context<'_>, req: JobRequest) -> Result<Value, PluginError> {
    // In the order the job declares its variables, then anything else received.
    let declared: Vec<String> = every_variable_job()
        .variables
        .into_iter()
        .map(|v| v.name)
        .collect();
    let extra = req.data.keys().filter(|k| !declared.contains(k)).cloned();
    let names: Vec<String> = declared.iter().cloned().chain(extra).collect();
    for name in names {
        if let Some(value) = req.data.get(&name) {
            ctx.host()
                .job_log("info", &format!("{name} = {value}"), None);
        }
    }
    Ok(json!({"received": req.data}))
}

/// `example_long_running`: sleeps a second at a time, logging each step.
fn long_running_job() -> JobDef {
    JobDef::new("example_long_running", "Long Running")
        .description("Sleeps for the given number of seconds, logging each one.")
        .grouping(JOB_GROUPING)
        .var(
            JobVar::integer("seconds", Some(1), Some(600))
                .default_value(5)
                .description("How many seconds to run."),
        )
        .time_limits(60, 120)
}

fn long_running(ctx: &Context<'_>, req: JobRequest) -> Result<Value, PluginError> {
    let steps = req.int("seconds").unwrap_or(5).max(0);
    for i in 1..=steps {
        std::thread::sleep(std::time::Duration::from_secs(1));
        ctx.host()
            .job_log("info", &format!("Step {i} of {steps}"), None);
    }
    Ok(json!({"steps": steps}))
}

/// `example_count_models`: a read-only job counting ExampleModels.
fn count_models_job() -> JobDef {
    JobDef::new("example_count_models", "Count Example Models")
        .description("Counts the ExampleModels (read only).")
        .grouping(JOB_GROUPING)
        .read_only()
}

fn count_models(ctx: &Context<'_>, _req: JobRequest) -> Result<Value, PluginError> {
    let page: Page = ctx.host().query(
        EXAMPLE_MODEL,
        Query {
            limit: Some(1),
            ..Default::default()
        },
    )?;
    let count = page.count;
    ctx.host()
        .job_log("info", &format!("There are {count} ExampleModels"), None);
    Ok(json!({"count": count}))
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

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::serde_json::{self, Value};

    fn manifest_json() -> Value {
        serde_json::to_value(plugin().manifest()).unwrap()
    }

    #[test]
    fn the_manifest_lists_both_models() {
        let m = manifest_json();
        let models = m["models"].as_array().unwrap();
        let names: Vec<_> = models.iter().map(|m| m["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["examplemodel", "anotherexamplemodel"]);
        for model in models {
            assert_eq!(model["app_label"], "example_plugin");
        }
        let example = &models[0];
        assert_eq!(example["verbose_name"], "example model");
        assert_eq!(example["verbose_name_plural"], "example models");
        assert_eq!(example["fields"][0]["name"], "name");
        assert_eq!(example["fields"][0]["type"], "char");
        assert_eq!(example["fields"][0]["max_length"], 20);
        assert_eq!(example["fields"][0]["unique"], true);
        assert_eq!(example["fields"][0]["null"], false);
        assert_eq!(example["fields"][1]["name"], "number");
        assert_eq!(example["fields"][1]["type"], "integer");
        assert_eq!(example["fields"][1]["default"], 100);
        let another = &models[1];
        assert_eq!(another["verbose_name_plural"], "another example models");
        assert_eq!(another["fields"][0]["name"], "name");
        assert_eq!(another["fields"][0]["unique"], false);
        assert_eq!(another["fields"][1]["type"], "foreign_key");
        assert_eq!(another["fields"][1]["to"], "dcim.location");
        assert_eq!(another["fields"][1]["on_delete"], "cascade");
        assert_eq!(another["fields"][1]["null"], true);
        assert_eq!(example_model().url_plural(), "example-models");
        assert_eq!(
            another_example_model().url_plural(),
            "another-example-models"
        );
    }

    #[test]
    fn the_migration_creates_the_declared_models() {
        let m = manifest_json();
        let migrations = m["migrations"].as_array().unwrap();
        assert_eq!(migrations.len(), 1);
        assert_eq!(migrations[0]["app_label"], "example_plugin");
        assert_eq!(migrations[0]["name"], "0001_initial");
        assert_eq!(
            migrations[0]["dependencies"],
            serde_json::json!([["dcim", "0001_initial"]])
        );
        // The state after the migrations is exactly what the manifest declares.
        let manifest = plugin().manifest().clone();
        let created: Vec<ModelSchema> = manifest
            .migrations
            .iter()
            .flat_map(|m| &m.operations)
            .filter_map(|op| match op {
                Operation::CreateModel { model } => Some(model.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(created, manifest.models);
    }

    #[test]
    fn the_manifest_lists_the_validators() {
        let m = manifest_json();
        assert_eq!(
            m["validators"],
            serde_json::json!([
                {"name": "location_name", "model": "dcim.location"},
                {"name": "examplemodel_name", "model": "example_plugin.examplemodel"},
            ])
        );
    }

    #[test]
    fn the_manifest_lists_the_template_extension_with_every_slot() {
        let m = manifest_json();
        assert_eq!(
            m["template_extensions"],
            serde_json::json!([
                {
                    "name": "location_content",
                    "model": "dcim.location",
                    "slots": [
                        "left_page",
                        "right_page",
                        "full_width_page",
                        "buttons",
                        "list_buttons",
                        "detail_tabs",
                    ],
                },
                {
                    "name": "device_content",
                    "model": "dcim.device",
                    "slots": ["right_page"],
                },
            ])
        );
    }

    #[test]
    fn the_location_validator_rejects_only_the_matching_name() {
        assert!(check_location_name(Some("Site A")).is_ok());
        assert!(check_location_name(None).is_ok());
        let err = check_location_name(Some("this location has a matching name")).unwrap_err();
        assert_eq!(err.code, PluginError::VALIDATION);
        assert_eq!(
            err.message.as_str(),
            "Location name must not be 'this location has a matching name'"
        );
        assert_eq!(
            err.details().unwrap(),
            serde_json::json!({"name": ["Location name must not be 'this location has a matching name'"]})
        );
    }

    #[test]
    fn the_example_model_validator_rejects_forbidden() {
        assert!(check_example_name(Some("allowed")).is_ok());
        let err = check_example_name(Some("forbidden")).unwrap_err();
        assert_eq!(err.code, PluginError::VALIDATION);
        assert_eq!(
            err.message.as_str(),
            "ExampleModel name 'forbidden' is not allowed"
        );
        assert_eq!(
            err.details().unwrap(),
            serde_json::json!({"name": ["ExampleModel name 'forbidden' is not allowed"]})
        );
    }

    fn job(m: &Value, name: &str) -> Value {
        m["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == name)
            .unwrap_or_else(|| panic!("no job {name}"))
            .clone()
    }

    #[test]
    fn the_manifest_lists_the_jobs() {
        let m = manifest_json();
        let names: Vec<_> = m["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "example_create_models",
                "example_fail_after_changes",
                "example_panic_after_changes",
                "example_every_variable",
                "example_long_running",
                "example_count_models",
            ]
        );
        for j in m["jobs"].as_array().unwrap() {
            assert_eq!(j["grouping"], "Example Jobs");
            assert!(!j["description"].as_str().unwrap().is_empty());
        }
        // Every job's variables survive a round trip.
        let manifest = plugin().manifest().clone();
        for def in &manifest.jobs {
            let back: JobDef = serde_json::from_value(serde_json::to_value(def).unwrap()).unwrap();
            assert_eq!(&back, def);
        }
    }

    #[test]
    fn create_models_takes_a_prefix_a_count_and_a_number() {
        let j = job(&manifest_json(), "example_create_models");
        assert_eq!(j["verbose_name"], "Create Example Models");
        assert_eq!(j["read_only"], false);
        assert_eq!(j["dryrun_default"], false);
        let vars = j["variables"].as_array().unwrap();
        assert_eq!(vars.len(), 3);
        assert_eq!(vars[0]["name"], "prefix");
        assert_eq!(vars[0]["type"], "string");
        assert_eq!(vars[0]["max_length"], 10);
        assert_eq!(vars[0]["required"], true);
        assert_eq!(vars[0]["default"], Value::Null);
        assert_eq!(vars[1]["name"], "count");
        assert_eq!(vars[1]["type"], "integer");
        assert_eq!(vars[1]["min"], 1);
        assert_eq!(vars[1]["max"], 100);
        assert_eq!(vars[1]["default"], 3);
        assert_eq!(vars[1]["required"], false);
        assert_eq!(vars[2]["name"], "number");
        assert_eq!(vars[2]["type"], "integer");
        assert_eq!(vars[2]["min"], Value::Null);
        assert_eq!(vars[2]["default"], 100);
    }

    #[test]
    fn the_failing_jobs_take_a_name() {
        let m = manifest_json();
        for (name, verbose) in [
            ("example_fail_after_changes", "Fail After Changes"),
            ("example_panic_after_changes", "Panic After Changes"),
        ] {
            let j = job(&m, name);
            assert_eq!(j["verbose_name"], verbose);
            assert_eq!(
                j["variables"],
                serde_json::json!([{
                    "name": "name",
                    "type": "string",
                    "min_length": null,
                    "max_length": null,
                    "regex": null,
                    "label": "",
                    "description": "The name of the ExampleModel to create.",
                    "required": false,
                    "default": "doomed",
                }])
            );
        }
    }

    #[test]
    fn every_variable_has_one_variable_of_every_kind() {
        let j = job(&manifest_json(), "example_every_variable");
        assert_eq!(j["verbose_name"], "Every Variable Type");
        assert_eq!(j["dryrun_default"], true);
        assert_eq!(j["read_only"], false);
        let vars = j["variables"].as_array().unwrap();
        let mut kinds: Vec<_> = vars.iter().map(|v| v["type"].as_str().unwrap()).collect();
        kinds.sort_unstable();
        let mut every = vec![
            "string",
            "text",
            "integer",
            "boolean",
            "choice",
            "multi_choice",
            "object",
            "multi_object",
            "ip_address",
            "ip_network",
            "json",
            "file",
        ];
        every.sort_unstable();
        assert_eq!(kinds, every);
        for v in vars {
            assert_eq!(v["required"], v["type"] == "string", "{}", v["name"]);
        }
        let by_type = |t: &str| vars.iter().find(|v| v["type"] == t).unwrap().clone();
        let string = by_type("string");
        assert_eq!(string["regex"], "^[a-z]+$");
        assert_eq!(string["min_length"], 2);
        assert_eq!(string["max_length"], 20);
        let integer = by_type("integer");
        assert_eq!(integer["min"], 0);
        assert_eq!(integer["max"], 10);
        let colours = serde_json::json!([["red", "Red"], ["green", "Green"]]);
        assert_eq!(by_type("choice")["choices"], colours);
        assert_eq!(by_type("multi_choice")["choices"], colours);
        let object = by_type("object");
        assert_eq!(object["model"], "dcim.location");
        assert_eq!(object["query"], serde_json::json!({}));
        let multi = by_type("multi_object");
        assert_eq!(multi["model"], "dcim.location");
        assert_eq!(multi["query"], serde_json::json!({"status": "Active"}));
    }

    #[test]
    fn long_running_has_time_limits() {
        let j = job(&manifest_json(), "example_long_running");
        assert_eq!(j["verbose_name"], "Long Running");
        assert_eq!(j["soft_time_limit"], 60);
        assert_eq!(j["time_limit"], 120);
        let vars = j["variables"].as_array().unwrap();
        assert_eq!(vars.len(), 1);
        assert_eq!(vars[0]["name"], "seconds");
        assert_eq!(vars[0]["type"], "integer");
        assert_eq!(vars[0]["min"], 1);
        assert_eq!(vars[0]["max"], 600);
        assert_eq!(vars[0]["default"], 5);
    }

    #[test]
    fn count_models_is_read_only() {
        let m = manifest_json();
        let j = job(&m, "example_count_models");
        assert_eq!(j["read_only"], true);
        assert_eq!(j["variables"], serde_json::json!([]));
        assert_eq!(j["time_limit"], 0);
        for other in m["jobs"].as_array().unwrap() {
            if other["name"] != "example_count_models" {
                assert_eq!(other["read_only"], false, "{}", other["name"]);
            }
        }
    }

    #[test]
    fn slots_show_markers_and_escape_the_name() {
        let object = serde_json::json!({"id": "x", "name": "<b>A&B</b>", "display": "ignored"});
        assert_eq!(
            slot_html("left_page", Some(&object)),
            r#"<div class="card" id="example-plugin-left-page">Example Plugin left page content for &lt;b&gt;A&amp;B&lt;/b&gt;</div>"#
        );
        assert!(
            slot_html("right_page", Some(&object)).contains(r#"id="example-plugin-right-page""#)
        );
        assert!(slot_html("full_width_page", Some(&object))
            .contains(r#"id="example-plugin-full-width-page">Example Plugin full width page content for &lt;b&gt;"#));
        assert!(slot_html("buttons", Some(&object)).contains(r#"id="example-plugin-buttons""#));
        assert!(slot_html("list_buttons", None).contains(r#"id="example-plugin-list-buttons""#));
        assert_eq!(escape_html(r#"'"&"#), "&#x27;&quot;&amp;");
    }

    #[test]
    fn the_device_panel_names_the_device_and_counts() {
        let device = serde_json::json!({"id": "d", "name": "edge<1>", "location": {"id": "l"}});
        assert_eq!(
            device_panel_html(Some(&device), Some(3)),
            r#"<div class="card" id="example-plugin-device-panel"><div class="card-header">Example Plugin</div><div class="card-body">Device edge&lt;1&gt;: 3 AnotherExampleModels at its location</div></div>"#
        );
        assert!(device_panel_html(Some(&device), Some(1)).contains(": 1 AnotherExampleModel at"));
        assert!(device_panel_html(Some(&device), None).contains("not visible to you"));
    }
}
