//! `device_lifecycle`: hardware and software lifecycle data for devices, in the spirit of
//! Nautobot's Device Lifecycle Management app.
//!
//! Models (migrations `0001_initial` and `0002_validated_software_lists`), served by the host's generic REST API and UI under
//! `/api/plugins/device-lifecycle/` and `/plugins/device-lifecycle/`:
//!
//! * `HardwareNotice` (`hardware-notices/`): the end of sale and end of support of one
//!   device type (one notice per device type).
//! * `SoftwareVersion` (`software-versions/`): a version of a platform's software, with
//!   its release date and end of support (one per platform and version).
//! * `ValidatedSoftware` (`validated-software/`): a software version validated for
//!   device types and/or devices (many-to-many fields `device_types` and `devices`), from
//!   `start` until `end` (open-ended without one). Migration
//!   `0002_validated_software_lists` moved the single `device_type` and `device` of
//!   `0001_initial` to these lists, keeping every row's links.
//! * `DeviceSoftware` (`device-software/`): the software version a device runs (core
//!   devices have no software field; this is the plugin's own, at most one per device).
//!
//! Custom validators refuse a notice whose end of support precedes its end of sale, and
//! a validated software that names no device type and no device or ends before it
//! starts. A panel on the device detail page (styled by the plugin's own stylesheet, which
//! the host links in the page's `<head>`) shows the device type's notice, the software
//! validated for the device today, and whether the device's software is one of them —
//! each part only to users allowed to view the models behind it. The job
//! `devices_past_end_of_support` lists the devices whose device type is past its end of
//! support.
//!
//! Build it with `cargo build -p device_lifecycle`, copy `libdevice_lifecycle.so` into
//! `PLUGINS_DIR`, add `"device_lifecycle"` to `PLUGINS`, run `nautobot-server migrate`
//! and `nautobot-server collectstatic`.

use std::collections::BTreeSet;

use nautobot_plugin_abi::prelude::*;
use nautobot_plugin_abi::serde_json::{Map, Value};

/// The plugin's name, and the app label of its models.
pub const APP: &str = "device_lifecycle";
/// The label of `HardwareNotice`.
pub const HARDWARE_NOTICE: &str = "device_lifecycle.hardwarenotice";
/// The label of `SoftwareVersion`.
pub const SOFTWARE_VERSION: &str = "device_lifecycle.softwareversion";
/// The label of `ValidatedSoftware`.
pub const VALIDATED_SOFTWARE: &str = "device_lifecycle.validatedsoftware";
/// The label of `DeviceSoftware`.
pub const DEVICE_SOFTWARE: &str = "device_lifecycle.devicesoftware";
/// The plugin's UI mount point.
const UI_BASE: &str = "/plugins/device-lifecycle/";
/// The heading the plugin's job is listed under, and the name of its menu tab.
const GROUPING: &str = "Device Lifecycle";
/// The plugin's stylesheet, linked on the device pages its panel fills.
const STYLESHEET: &str = "device_lifecycle/lifecycle.css";
/// The panel's template.
const PANEL_TEMPLATE: &str = "device_lifecycle/panel.html";

/// The plugin's declaration: what `export_plugin!` exports.
pub fn plugin() -> PluginBuilder {
    PluginBuilder::new(APP)
        .verbose_name("Device Lifecycle")
        .version(env!("CARGO_PKG_VERSION"))
        .author("Nautobot-rs maintainers")
        .author_email("maintainers@example.com")
        .description(
            "Hardware end-of-sale and end-of-support notices, software versions and the \
             software validated for device types and devices, shown on device pages.",
        )
        .base_url("device-lifecycle")
        // Many-to-many fields are new in 1.2 (template extension stylesheets in 1.1).
        .min_version("1.2.0")
        .max_version("1.99.99")
        .model(hardware_notice())
        .model(software_version())
        .model(validated_software())
        .model(device_software())
        .migration(migration_0001_initial())
        .migration(migration_0002_validated_software_lists())
        .validator(
            HARDWARE_NOTICE,
            "hardwarenotice_dates",
            validate_hardware_notice,
        )
        .validator(
            VALIDATED_SOFTWARE,
            "validatedsoftware_assignment",
            validate_validated_software,
        )
        .template_extension(device_panel())
        .template(
            PANEL_TEMPLATE,
            include_str!("../templates/device_lifecycle/panel.html"),
        )
        .static_file(
            STYLESHEET,
            include_bytes!("../static/device_lifecycle/lifecycle.css"),
        )
        // ABI 1.2 extension points: device lists filter by and show the software a
        // device runs, device type lists show the hardware's end of support, and the
        // devices' REST answers carry their software under plugin_data.
        .filter_extension(
            "dcim.device",
            "device_lifecycle_software",
            "Software version",
            SOFTWARE_PATH,
        )
        .table_extension(TableExtensionDef {
            model: "dcim.device".into(),
            name: "device_lifecycle_software".into(),
            label: "Software".into(),
            path: Some(SOFTWARE_PATH.into()),
            template: None,
        })
        .table_extension(TableExtensionDef {
            model: "dcim.devicetype".into(),
            name: "device_lifecycle_end_of_support".into(),
            label: "End of support".into(),
            path: Some("device_lifecycle.hardwarenotice.device_type__end_of_support".into()),
            template: Some(
                "{% for day in values %}<span class=\"eos\">{{ day }}</span>{% endfor %}".into(),
            ),
        })
        .rest_field("dcim.device", "software", device_software_field)
        // {{ obj.end_of_support | device_lifecycle_support_status }} in computed fields.
        .tera_filter("device_lifecycle_support_status", support_status_filter)
        .menu_tab(menu())
        .job(past_end_of_support_job(), devices_past_end_of_support)
        .home_view("hardwarenotice_list")
}

export_plugin!(plugin);

/// From a device to the versions of the software records pointing at it.
const SOFTWARE_PATH: &str = "device_lifecycle.devicesoftware.device__software__version";

/// The template filter `device_lifecycle_support_status`: for an end-of-support date
/// (`YYYY-MM-DD`), `supported` until that day, `past end of support` after it; `unknown`
/// without a date. `today="YYYY-MM-DD"` sets the day compared (else today).
fn support_status_filter(_ctx: &Context<'_>, req: TeraFilterRequest) -> Result<Value, PluginError> {
    let today = match req.args.get("today").and_then(Value::as_str) {
        Some(day) => day.to_string(),
        None => today(),
    };
    let status = match req.value.as_str().filter(|d| !d.is_empty()) {
        None => "unknown",
        Some(day) if day < today.as_str() => "past end of support",
        Some(_) => "supported",
    };
    Ok(Value::String(status.into()))
}

/// `plugin_data.device_lifecycle.software` of each device of a REST page: the version
/// and end of support of the software it runs (`null` when none is recorded). Two
/// queries for the whole page, whatever its size.
fn device_software_field(
    ctx: &Context<'_>,
    req: RestFieldsRequest,
) -> Result<Vec<Value>, PluginError> {
    let host = ctx.host();
    let ids: Vec<Value> = req
        .objects
        .iter()
        .filter_map(|o| o.get("id").cloned())
        .collect();
    if ids.is_empty() {
        return Ok(vec![Value::Null; req.objects.len()]);
    }
    let records = host.query_all(DEVICE_SOFTWARE, Query::new().filter("device", ids))?;
    let software_ids: Vec<Value> = records
        .iter()
        .filter_map(|r| ref_id(&r["software"]).map(|s| Value::String(s.to_string())))
        .collect();
    let versions = match software_ids.is_empty() {
        true => Vec::new(),
        false => host.query_all(SOFTWARE_VERSION, Query::new().filter("id", software_ids))?,
    };
    Ok(req
        .objects
        .iter()
        .map(|device| {
            let id = device.get("id").and_then(Value::as_str);
            records
                .iter()
                .find(|r| ref_id(&r["device"]) == id)
                .and_then(|r| ref_id(&r["software"]))
                .and_then(|software| versions.iter().find(|v| v["id"].as_str() == Some(software)))
                .map(|v| json!({"version": v["version"], "end_of_support": v["end_of_support"]}))
                .unwrap_or(Value::Null)
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// Models and migrations
// ---------------------------------------------------------------------------------------

/// `HardwareNotice`: the end of sale and end of support of one device type.
fn hardware_notice() -> ModelSchema {
    ModelSchema::new(APP, "hardwarenotice")
        .verbose_names("hardware notice", "hardware notices")
        .description("The end of sale and end of support of a device type.")
        .field(
            FieldSchema::foreign_key("device_type", "dcim.devicetype", OnDelete::Cascade)
                .unique()
                .verbose_name("device type")
                .help_text("The device type this notice is about (one notice per device type)."),
        )
        .field(
            FieldSchema::new("end_of_sale", FieldKind::Date)
                .optional()
                .verbose_name("end of sale")
                .help_text("The last day the device type is sold."),
        )
        .field(
            FieldSchema::new("end_of_support", FieldKind::Date)
                .optional()
                .verbose_name("end of support")
                .help_text("The last day the vendor supports the device type."),
        )
        .field(
            FieldSchema::char("documentation_url", 200)
                .optional()
                .verbose_name("documentation URL")
                .help_text("The vendor's announcement."),
        )
        .field(FieldSchema::text("comments").blank().default_value(""))
        .ordering(["end_of_support"])
}

/// `SoftwareVersion`: one version of a platform's software.
fn software_version() -> ModelSchema {
    ModelSchema::new(APP, "softwareversion")
        .verbose_names("software version", "software versions")
        .description("A version of the software of a platform.")
        .field(
            FieldSchema::foreign_key("platform", "dcim.platform", OnDelete::Cascade)
                .help_text("The platform this software runs on."),
        )
        .field(FieldSchema::char("version", 50).help_text("The version, e.g. 17.9.4a."))
        .field(
            FieldSchema::new("release_date", FieldKind::Date)
                .optional()
                .verbose_name("release date"),
        )
        .field(
            FieldSchema::new("end_of_support", FieldKind::Date)
                .optional()
                .verbose_name("end of support"),
        )
        .unique_together(["platform", "version"])
        .display_field("version")
        .natural_key(["platform", "version"])
        .ordering(["version"])
        .search_fields(["version"])
}

/// `ValidatedSoftware`: a software version validated for device types and/or devices
/// during a window (many-to-many fields, as Nautobot's Device Lifecycle app has them).
fn validated_software() -> ModelSchema {
    ModelSchema::new(APP, "validatedsoftware")
        .verbose_names("validated software", "validated software")
        .description(
            "A software version validated for device types and/or devices, from start \
             until end.",
        )
        .field(
            FieldSchema::foreign_key("software", SOFTWARE_VERSION, OnDelete::Cascade)
                .help_text("The software version validated."),
        )
        .field(
            FieldSchema::new("start", FieldKind::Date)
                .help_text("The first day the validation holds."),
        )
        .field(
            FieldSchema::new("end", FieldKind::Date)
                .optional()
                .help_text("The last day the validation holds (none: open-ended)."),
        )
        .field(
            FieldSchema::many_to_many("device_types", "dcim.devicetype")
                .verbose_name("device types")
                .help_text("The device types it is validated for (or give devices)."),
        )
        .field(
            FieldSchema::many_to_many("devices", "dcim.device")
                .help_text("The devices it is validated for (or give device types)."),
        )
        .ordering(["start"])
}

/// `ValidatedSoftware` as `0001_initial` created it: one optional device type and one
/// optional device (`0002_validated_software_lists` moves them to lists).
fn validated_software_0001() -> ModelSchema {
    ModelSchema::new(APP, "validatedsoftware")
        .verbose_names("validated software", "validated software")
        .description(
            "A software version validated for a device type and/or a device, from start \
             until end.",
        )
        .field(
            FieldSchema::foreign_key("software", SOFTWARE_VERSION, OnDelete::Cascade)
                .help_text("The software version validated."),
        )
        .field(
            FieldSchema::foreign_key("device_type", "dcim.devicetype", OnDelete::Cascade)
                .optional()
                .verbose_name("device type")
                .help_text("The device type it is validated for (or give a device)."),
        )
        .field(
            FieldSchema::foreign_key("device", "dcim.device", OnDelete::Cascade)
                .optional()
                .help_text("The device it is validated for (or give a device type)."),
        )
        .field(
            FieldSchema::new("start", FieldKind::Date)
                .help_text("The first day the validation holds."),
        )
        .field(
            FieldSchema::new("end", FieldKind::Date)
                .optional()
                .help_text("The last day the validation holds (none: open-ended)."),
        )
        .ordering(["start"])
}

/// `DeviceSoftware`: the software version a device runs.
fn device_software() -> ModelSchema {
    ModelSchema::new(APP, "devicesoftware")
        .verbose_names("device software", "device software")
        .description("The software version a device runs (at most one per device).")
        .field(
            FieldSchema::foreign_key("device", "dcim.device", OnDelete::Cascade)
                .unique()
                .help_text("The device."),
        )
        .field(
            FieldSchema::foreign_key("software", SOFTWARE_VERSION, OnDelete::Cascade)
                .help_text("The software version it runs."),
        )
}

/// Creates the four models exactly as the manifest declares them (software versions
/// first: the other models refer to them).
fn migration_0001_initial() -> Migration {
    Migration::new(APP, "0001_initial")
        .depends_on("dcim", "0001_initial")
        .operation(Operation::CreateModel {
            model: hardware_notice(),
        })
        .operation(Operation::CreateModel {
            model: software_version(),
        })
        .operation(Operation::CreateModel {
            model: validated_software_0001(),
        })
        .operation(Operation::CreateModel {
            model: device_software(),
        })
}

/// Moves a validated software's device type and device to the many-to-many fields
/// `device_types` and `devices`, keeping every existing row's links.
fn migration_0002_validated_software_lists() -> Migration {
    let model = || "validatedsoftware".to_string();
    let final_field = |name: &str| {
        validated_software()
            .get_field(name)
            .cloned()
            .expect("a field of the final model")
    };
    Migration::new(APP, "0002_validated_software_lists")
        .depends_on(APP, "0001_initial")
        .operation(Operation::AddField {
            model: model(),
            field: final_field("device_types"),
        })
        .operation(Operation::AddField {
            model: model(),
            field: final_field("devices"),
        })
        .operation(Operation::CopyForeignKeyToManyToMany {
            model: model(),
            from: "device_type".into(),
            to: "device_types".into(),
        })
        .operation(Operation::CopyForeignKeyToManyToMany {
            model: model(),
            from: "device".into(),
            to: "devices".into(),
        })
        .operation(Operation::RemoveField {
            model: model(),
            field: "device_type".into(),
        })
        .operation(Operation::RemoveField {
            model: model(),
            field: "device".into(),
        })
        .operation(Operation::AlterModelOptions {
            model: validated_software(),
        })
}

// ---------------------------------------------------------------------------------------
// Validators
// ---------------------------------------------------------------------------------------

fn validate_hardware_notice(_ctx: &Context<'_>, req: ValidationRequest) -> Result<(), PluginError> {
    check_hardware_notice(&req.data)
}

/// A notice's end of support may not precede its end of sale, and its documentation URL
/// (the host has no URL field kind: it is a char field) must be an http(s) URL.
fn check_hardware_notice(data: &Map<String, Value>) -> Result<(), PluginError> {
    let mut errors: Vec<(&str, String)> = Vec::new();
    let sale = date_field(data, "end_of_sale");
    let support = date_field(data, "end_of_support");
    if let (Some(sale), Some(support)) = (sale, support) {
        if support < sale {
            errors.push((
                "end_of_support",
                format!("End of support ({support}) must not be before end of sale ({sale})."),
            ));
        }
    }
    if let Some(url) = data
        .get("documentation_url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
    {
        if !is_web_url(url) {
            errors.push((
                "documentation_url",
                "Enter a valid URL (http:// or https://).".to_string(),
            ));
        }
    }
    refuse(errors)
}

/// Whether `url` is an absolute http(s) URL with a host, and so safe as a link target.
fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace)
    })
}

/// `Ok` without errors, else a validation error carrying them per field.
fn refuse(errors: Vec<(&str, String)>) -> Result<(), PluginError> {
    if errors.is_empty() {
        return Ok(());
    }
    let summary = errors
        .iter()
        .map(|(_, m)| m.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Err(PluginError::validation(summary, errors))
}

fn validate_validated_software(
    _ctx: &Context<'_>,
    req: ValidationRequest,
) -> Result<(), PluginError> {
    check_validated_software(&req.data)
}

/// A validated software names device types or devices (or both), and does not end
/// before it starts.
fn check_validated_software(data: &Map<String, Value>) -> Result<(), PluginError> {
    let mut errors: Vec<(&str, String)> = Vec::new();
    let given = |field: &str| {
        data.get(field)
            .and_then(Value::as_array)
            .is_some_and(|list| !list.is_empty())
    };
    if !given("device_types") && !given("devices") {
        let message = "Validated software needs device types or devices (or both).";
        errors.push(("device_types", message.to_string()));
        errors.push(("devices", message.to_string()));
    }
    if let (Some(start), Some(end)) = (date_field(data, "start"), date_field(data, "end")) {
        if end < start {
            errors.push((
                "end",
                format!("End ({end}) must not be before start ({start})."),
            ));
        }
    }
    refuse(errors)
}

/// A date field's value (`YYYY-MM-DD`), if set.
fn date_field<'a>(data: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    data.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Whether `text` is a real calendar date written `YYYY-MM-DD`.
pub fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (Some(y), Some(m), Some(d)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&d)
}

// ---------------------------------------------------------------------------------------
// Reading through the host
// ---------------------------------------------------------------------------------------

/// The id of a foreign key as the REST API shows it (`{id, object_type, url}`), or of a
/// bare id.
fn ref_id(value: &Value) -> Option<&str> {
    value
        .get("id")
        .and_then(Value::as_str)
        .or_else(|| value.as_str())
}

/// The UI page of one of the plugin's objects.
fn ui_url(plural: &str, id: &str) -> String {
    format!("{UI_BASE}{plural}/{id}/")
}

/// Whether a validation window (`start` … `end`, `end` optional) holds on `day`.
fn window_holds(validated: &Value, day: &str) -> bool {
    let start = validated["start"].as_str().unwrap_or_default();
    let end = validated["end"].as_str().filter(|e| !e.is_empty());
    !start.is_empty() && start <= day && end.is_none_or(|end| day <= end)
}

/// The software validated for a device (by the device itself or by its device type) on
/// `day`, de-duplicated by software version, in the order found.
fn validated_for_device(
    host: &Host<'_>,
    device_id: &str,
    device_type_id: Option<&str>,
    day: &str,
) -> Result<Vec<Value>, PluginError> {
    let mut rows = host.query_all(
        VALIDATED_SOFTWARE,
        Query::new()
            .filter("devices", device_id)
            .filter("start__lte", day),
    )?;
    if let Some(dt) = device_type_id {
        rows.extend(
            host.query_all(
                VALIDATED_SOFTWARE,
                Query::new()
                    .filter("device_types", dt)
                    .filter("start__lte", day),
            )?,
        );
    }
    let mut seen = BTreeSet::new();
    Ok(rows
        .into_iter()
        .filter(|row| window_holds(row, day))
        .filter(|row| {
            ref_id(&row["software"]).is_some_and(|software| seen.insert(software.to_string()))
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// The device panel
// ---------------------------------------------------------------------------------------

/// The panel in the right column of the device detail page, with the plugin's stylesheet
/// linked in the page's `<head>`.
fn device_panel() -> TemplateExtension {
    TemplateExtension::new("device_lifecycle_panel", "dcim.device")
        .stylesheet(STYLESHEET)
        .slot("right_page", device_panel_content)
}

/// Which parts of the panel the viewer may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PanelAccess {
    /// The hardware notice: `view_hardwarenotice`.
    notice: bool,
    /// The software validated today: `view_validatedsoftware` and
    /// `view_softwareversion`.
    validated: bool,
    /// The device's own software and whether it is valid: the above and
    /// `view_devicesoftware`.
    running: bool,
}

impl PanelAccess {
    fn of(host: &Host<'_>) -> PanelAccess {
        let notice = host.has_perm("device_lifecycle.view_hardwarenotice");
        let validated = host.has_perm("device_lifecycle.view_validatedsoftware")
            && host.has_perm("device_lifecycle.view_softwareversion");
        let running = validated && host.has_perm("device_lifecycle.view_devicesoftware");
        PanelAccess {
            notice,
            validated,
            running,
        }
    }

    fn nothing(&self) -> bool {
        !self.notice && !self.validated
    }
}

fn device_panel_content(
    ctx: &Context<'_>,
    req: TemplateContentRequest,
) -> Result<String, PluginError> {
    let host = ctx.host();
    let Some(device) = req.object.as_ref() else {
        return Ok(String::new());
    };
    let access = PanelAccess::of(host);
    // A viewer allowed to see none of the plugin's data gets no panel at all (not an
    // error box): the queries below would be refused for them.
    if access.nothing() {
        return Ok(String::new());
    }
    let Some(device_id) = device.get("id").and_then(Value::as_str) else {
        return Ok(String::new());
    };
    let device_type_id = device.get("device_type").and_then(ref_id);
    let day = today();
    let context = panel_context(host, access, device_id, device_type_id, &day)?;
    host.render(PANEL_TEMPLATE, context)
}

/// The panel template's context: what the viewer may see of the device's lifecycle.
fn panel_context(
    host: &Host<'_>,
    access: PanelAccess,
    device_id: &str,
    device_type_id: Option<&str>,
    day: &str,
) -> Result<Value, PluginError> {
    let mut context = Map::new();
    context.insert("today".into(), json!(day));
    context.insert("show_notice".into(), json!(access.notice));
    context.insert("show_validated".into(), json!(access.validated));
    context.insert("show_running".into(), json!(access.running));

    if access.notice {
        let notice = match device_type_id {
            Some(dt) => {
                let page: Page = host.query(
                    HARDWARE_NOTICE,
                    Query::new().filter("device_type", dt).limit(1),
                )?;
                page.results.into_iter().next()
            }
            None => None,
        };
        context.insert(
            "notice".into(),
            notice.map_or(Value::Null, |n| notice_view(&n, day)),
        );
    }

    if access.validated {
        let validated = validated_for_device(host, device_id, device_type_id, day)?;
        let software_ids: Vec<String> = validated
            .iter()
            .filter_map(|v| ref_id(&v["software"]).map(str::to_string))
            .collect();
        let running = if access.running {
            let page: Page = host.query(
                DEVICE_SOFTWARE,
                Query::new().filter("device", device_id).limit(1),
            )?;
            page.results
                .first()
                .and_then(|row| ref_id(&row["software"]))
                .map(str::to_string)
        } else {
            None
        };
        // One query for the versions of every software shown.
        let mut wanted: Vec<String> = software_ids.clone();
        wanted.extend(running.clone());
        wanted.sort();
        wanted.dedup();
        let versions = if wanted.is_empty() {
            Vec::new()
        } else {
            host.query_all(
                SOFTWARE_VERSION,
                Query::new().filter("id", Value::from(wanted)),
            )?
        };
        let version_of = |id: &str| -> String {
            versions
                .iter()
                .find(|v| v["id"] == id)
                .and_then(|v| v["version"].as_str())
                .unwrap_or(id)
                .to_string()
        };
        let list: Vec<Value> = validated
            .iter()
            .filter_map(|v| {
                let software = ref_id(&v["software"])?;
                Some(json!({
                    "version": version_of(software),
                    "url": ui_url("software-versions", software),
                    "start": v["start"].as_str().unwrap_or_default(),
                    "end": v["end"].as_str().unwrap_or_default(),
                    "for_device": v["devices"]
                        .as_array()
                        .is_some_and(|list| list.iter().any(|d| ref_id(d) == Some(device_id))),
                }))
            })
            .collect();
        context.insert("validated".into(), Value::Array(list));
        if access.running {
            context.insert(
                "running".into(),
                running.map_or(Value::Null, |id| {
                    json!({
                        "version": version_of(&id),
                        "url": ui_url("software-versions", &id),
                        "valid": software_ids.contains(&id),
                    })
                }),
            );
        }
    }
    Ok(Value::Object(context))
}

/// A hardware notice as the panel shows it, judged on `day`.
fn notice_view(notice: &Value, day: &str) -> Value {
    let date = |field: &str| notice[field].as_str().unwrap_or_default().to_string();
    let end_of_sale = date("end_of_sale");
    let end_of_support = date("end_of_support");
    let id = notice["id"].as_str().unwrap_or_default();
    let documentation_url = notice["documentation_url"].as_str().unwrap_or_default();
    json!({
        "url": ui_url("hardware-notices", id),
        "end_of_sale": end_of_sale,
        "end_of_support": end_of_support,
        "past_end_of_sale": !end_of_sale.is_empty() && end_of_sale.as_str() < day,
        "past_end_of_support": !end_of_support.is_empty() && end_of_support.as_str() < day,
        "documentation_url": documentation_url,
        // Only http(s) URLs become links (the validator allows no other, but rows may
        // predate it or come from a migration's RunData).
        "documentation_link": is_web_url(documentation_url),
    })
}

// ---------------------------------------------------------------------------------------
// Navigation
// ---------------------------------------------------------------------------------------

/// A menu item for a model's list, with an Add button.
fn model_item(model: &str, title: &str, add_title: &str) -> NavMenuItem {
    NavMenuItem::new(format!("{model}_list"), title)
        .permission(format!("device_lifecycle.view_{model}"))
        .button(
            NavMenuButton::new(format!("{model}_add"), add_title)
                .icon_class("mdi mdi-plus-thick")
                .permission(format!("device_lifecycle.add_{model}")),
        )
}

/// The "Device Lifecycle" tab: hardware notices, and the software lists.
fn menu() -> NavMenuTab {
    NavMenuTab::new(GROUPING)
        .weight(1500)
        .group(NavMenuGroup::new("Hardware").item(model_item(
            "hardwarenotice",
            "Hardware Notices",
            "Add Hardware Notice",
        )))
        .group(
            NavMenuGroup::new("Software")
                .item(model_item(
                    "softwareversion",
                    "Software Versions",
                    "Add Software Version",
                ))
                .item(model_item(
                    "validatedsoftware",
                    "Validated Software",
                    "Add Validated Software",
                ))
                .item(model_item(
                    "devicesoftware",
                    "Device Software",
                    "Add Device Software",
                )),
        )
}

// ---------------------------------------------------------------------------------------
// The job
// ---------------------------------------------------------------------------------------

/// `devices_past_end_of_support`: lists the devices of the device types past their end
/// of support (read only).
fn past_end_of_support_job() -> JobDef {
    JobDef::new("devices_past_end_of_support", "Devices past end of support")
        .description(
            "Lists the devices whose device type's hardware notice has an end of support \
             before the given date (today by default).",
        )
        .grouping(GROUPING)
        .read_only()
        .var(
            JobVar::new(
                "date",
                VarKind::String {
                    min_length: None,
                    max_length: Some(10),
                    regex: Some(r"^\d{4}-\d{2}-\d{2}$".into()),
                },
            )
            .label("Date")
            .description("YYYY-MM-DD; empty for today.")
            .optional(),
        )
}

fn devices_past_end_of_support(ctx: &Context<'_>, req: JobRequest) -> Result<Value, PluginError> {
    let host = ctx.host();
    let day = match req.str("date").map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) if is_date(d) => d.to_string(),
        Some(d) => {
            return Err(PluginError::validation(
                format!("'{d}' is not a date (YYYY-MM-DD)."),
                [("date", format!("'{d}' is not a date (YYYY-MM-DD)."))],
            ))
        }
        None => today(),
    };
    let notices = host.query_all(
        HARDWARE_NOTICE,
        Query::new()
            .filter("end_of_support__lt", day.as_str())
            .sort("end_of_support"),
    )?;
    let mut devices = 0u64;
    let mut device_types = 0u64;
    for notice in &notices {
        let Some(dt_id) = ref_id(&notice["device_type"]) else {
            continue;
        };
        let end = notice["end_of_support"].as_str().unwrap_or_default();
        let device_type: Value = host.get("dcim.devicetype", json!({"id": dt_id}))?;
        let dt_name = device_type["display"].as_str().unwrap_or(dt_id).to_string();
        let found = host.query_all("dcim.device", Query::new().filter("device_type", dt_id))?;
        if found.is_empty() {
            host.job_log(
                "info",
                &format!("{dt_name}: end of support {end}, no devices"),
                Some(&device_type),
            );
            continue;
        }
        device_types += 1;
        for device in &found {
            let name = device["display"].as_str().unwrap_or_default();
            host.job_log(
                "warning",
                &format!("{name} ({dt_name}) is past its end of support ({end})"),
                Some(device),
            );
            devices += 1;
        }
    }
    host.job_log(
        "info",
        &format!(
            "{devices} device(s) of {device_types} device type(s) past end of support on {day}"
        ),
        None,
    );
    Ok(json!({
        "date": day,
        "devices": devices,
        "device_types": device_types,
        "notices": notices.len(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::serde_json;

    fn manifest_json() -> Value {
        serde_json::to_value(plugin().manifest()).unwrap()
    }

    fn data(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_manifest_declares_the_plugin() {
        let m = manifest_json();
        assert_eq!(m["name"], "device_lifecycle");
        assert_eq!(m["base_url"], "device-lifecycle");
        assert_eq!(m["verbose_name"], "Device Lifecycle");
        assert_eq!(m["version"], "1.2.0");
        assert_eq!(m["min_version"], "1.2.0");
    }

    #[test]
    fn the_models_are_served_at_the_expected_plurals() {
        let manifest = plugin().manifest().clone();
        let plurals: Vec<_> = manifest.models.iter().map(|m| m.url_plural()).collect();
        assert_eq!(
            plurals,
            [
                "hardware-notices",
                "software-versions",
                "validated-software",
                "device-software"
            ]
        );
        for model in &manifest.models {
            assert_eq!(model.app_label, APP);
        }
    }

    #[test]
    fn the_migration_builds_the_declared_models() {
        let manifest = plugin().manifest().clone();
        assert_eq!(manifest.migrations.len(), 2);
        let created: Vec<ModelSchema> = manifest.migrations[0]
            .operations
            .iter()
            .filter_map(|op| match op {
                Operation::CreateModel { model } => Some(model.clone()),
                _ => None,
            })
            .collect();
        // 0001 made validated software with single references; 0002 moves them to lists
        // (the host checks the migrated result equals the declared models at load).
        let first: Vec<ModelSchema> = manifest
            .models
            .iter()
            .map(|m| match m.name.as_str() {
                "validatedsoftware" => validated_software_0001(),
                _ => m.clone(),
            })
            .collect();
        assert_eq!(created, first);
        let second = &manifest.migrations[1];
        assert_eq!(
            second.dependencies,
            [(APP.to_string(), "0001_initial".to_string())]
        );
        let copies = second
            .operations
            .iter()
            .filter(|op| matches!(op, Operation::CopyForeignKeyToManyToMany { .. }))
            .count();
        assert_eq!(copies, 2, "both references keep their links");
    }

    #[test]
    fn the_panel_links_its_stylesheet_which_is_shipped() {
        let m = manifest_json();
        let ext = &m["template_extensions"][0];
        assert_eq!(ext["model"], "dcim.device");
        assert_eq!(ext["slots"], json!(["right_page"]));
        assert_eq!(ext["stylesheets"], json!([STYLESHEET]));
        let shipped: Vec<_> = m["static_files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(shipped, [STYLESHEET]);
    }

    #[test]
    fn the_job_is_read_only_with_an_optional_date() {
        let m = manifest_json();
        let job = &m["jobs"][0];
        assert_eq!(job["name"], "devices_past_end_of_support");
        assert_eq!(job["verbose_name"], "Devices past end of support");
        assert_eq!(job["grouping"], "Device Lifecycle");
        assert_eq!(job["read_only"], true);
        assert_eq!(job["variables"][0]["name"], "date");
        assert_eq!(job["variables"][0]["required"], false);
    }

    #[test]
    fn a_notice_may_not_end_support_before_sale() {
        assert!(check_hardware_notice(&data(json!({"end_of_sale": null}))).is_ok());
        assert!(check_hardware_notice(&data(
            json!({"end_of_sale": "2024-01-01", "end_of_support": "2024-01-01"})
        ))
        .is_ok());
        assert!(check_hardware_notice(&data(
            json!({"end_of_sale": null, "end_of_support": "2020-01-01"})
        ))
        .is_ok());
        let err = check_hardware_notice(&data(
            json!({"end_of_sale": "2024-01-02", "end_of_support": "2024-01-01"}),
        ))
        .unwrap_err();
        assert_eq!(err.code, PluginError::VALIDATION);
        assert_eq!(
            err.details().unwrap(),
            json!({"end_of_support": ["End of support (2024-01-01) must not be before end of sale (2024-01-02)."]})
        );
    }

    #[test]
    fn a_notice_documentation_url_must_be_a_web_url() {
        for good in ["https://example.com/eol", "HTTP://example.com", "http://x"] {
            assert!(check_hardware_notice(&data(json!({"documentation_url": good}))).is_ok());
        }
        assert!(check_hardware_notice(&data(json!({"documentation_url": null}))).is_ok());
        for bad in [
            "javascript:alert(1)",
            "example.com",
            "https://",
            "http:///x",
            "https://a b",
        ] {
            let err = check_hardware_notice(&data(json!({"documentation_url": bad}))).unwrap_err();
            assert_eq!(
                err.details().unwrap(),
                json!({"documentation_url": ["Enter a valid URL (http:// or https://)."]}),
                "{bad}"
            );
        }
    }

    #[test]
    fn validated_software_needs_a_target_and_an_ordered_window() {
        assert!(check_validated_software(&data(
            json!({"device_types": ["x"], "devices": [], "start": "2024-01-01", "end": null})
        ))
        .is_ok());
        assert!(check_validated_software(&data(
            json!({"device_types": [], "devices": ["d"], "start": "2024-01-01", "end": "2024-01-01"})
        ))
        .is_ok());
        let err = check_validated_software(&data(
            json!({"device_types": [], "devices": [], "start": "2024-02-01", "end": "2024-01-01"}),
        ))
        .unwrap_err();
        let details = err.details().unwrap();
        assert_eq!(
            details["device_types"],
            json!(["Validated software needs device types or devices (or both)."])
        );
        assert_eq!(details["devices"], details["device_types"]);
        assert_eq!(
            details["end"],
            json!(["End (2024-01-01) must not be before start (2024-02-01)."])
        );
    }

    #[test]
    fn dates_are_computed_and_checked() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert!(is_date(&today()), "{}", today());
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2024-13-01"));
        assert!(!is_date("2024-1-01"));
        assert!(!is_date("2024-01-0a"));
    }

    #[test]
    fn windows_hold_between_start_and_end() {
        let open = json!({"start": "2024-01-01", "end": null});
        assert!(window_holds(&open, "2024-01-01"));
        assert!(window_holds(&open, "2099-01-01"));
        assert!(!window_holds(&open, "2023-12-31"));
        let closed = json!({"start": "2024-01-01", "end": "2024-06-30"});
        assert!(window_holds(&closed, "2024-06-30"));
        assert!(!window_holds(&closed, "2024-07-01"));
    }

    #[test]
    fn notices_are_judged_on_the_day() {
        let notice = json!({"id": "n1", "end_of_sale": "2020-01-01", "end_of_support": "2030-01-01", "documentation_url": null});
        let view = notice_view(&notice, "2025-01-01");
        assert_eq!(view["past_end_of_sale"], true);
        assert_eq!(view["past_end_of_support"], false);
        assert_eq!(
            view["url"],
            "/plugins/device-lifecycle/hardware-notices/n1/"
        );
        assert_eq!(view["documentation_url"], "");
        assert_eq!(view["documentation_link"], false);
        let mut scripted = notice.clone();
        scripted["documentation_url"] = json!("javascript:alert(1)");
        assert_eq!(
            notice_view(&scripted, "2025-01-01")["documentation_link"],
            false
        );
        scripted["documentation_url"] = json!("https://example.com/eol");
        assert_eq!(
            notice_view(&scripted, "2025-01-01")["documentation_link"],
            true
        );
        let later = notice_view(&notice, "2030-01-02");
        assert_eq!(later["past_end_of_support"], true);
    }
}
