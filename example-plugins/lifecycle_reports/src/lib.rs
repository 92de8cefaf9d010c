//! `lifecycle_reports`: a plugin built on another plugin's models.
//!
//! It declares `.dependency("device_lifecycle", ">=1.0, <2")`, so the server loads
//! `device_lifecycle` first and refuses `lifecycle_reports` at start-up when
//! `device_lifecycle` is not installed or has another version. It reads
//! `device_lifecycle.hardwarenotice` through the host's database verbs (with the viewer's
//! permissions) and reports the device types by the year of their end of support, with
//! the number of devices of each:
//!
//! * `/plugins/lifecycle-reports/`: the report as a page (also in the "Device Lifecycle"
//!   menu tab, which it shares with `device_lifecycle`);
//! * `/api/plugins/lifecycle-reports/summary/`: the same as JSON.
//!
//! Both need `device_lifecycle.view_hardwarenotice`. Device type names need
//! `dcim.view_devicetype` and device counts `dcim.view_device`; without them the report
//! shows ids and no counts rather than failing.

use std::collections::BTreeMap;

use nautobot_plugin_abi::prelude::*;
use nautobot_plugin_abi::serde_json::{Map, Value};

/// The plugin's name.
pub const APP: &str = "lifecycle_reports";
/// The model the reports read, from `device_lifecycle`.
pub const HARDWARE_NOTICE: &str = "device_lifecycle.hardwarenotice";
/// The permission the report views require.
const VIEW_NOTICES: &str = "device_lifecycle.view_hardwarenotice";

/// The plugin's declaration: what `export_plugin!` exports.
pub fn plugin() -> PluginBuilder {
    PluginBuilder::new(APP)
        .verbose_name("Lifecycle Reports")
        .version(env!("CARGO_PKG_VERSION"))
        .author("Nautobot-rs maintainers")
        .author_email("maintainers@example.com")
        .description("End-of-support reports over the device_lifecycle plugin's hardware notices.")
        .base_url("lifecycle-reports")
        .min_version("1.1.0")
        .max_version("1.99.99")
        .dependency("device_lifecycle", ">=1.0, <2")
        .view(View::get("report", "").permission(VIEW_NOTICES), report)
        .api_view(View::get("api_root", ""), api_root)
        .api_view(
            View::get("summary", "summary/").permission(VIEW_NOTICES),
            summary,
        )
        .template(
            "lifecycle_reports/report.html",
            include_str!("../templates/lifecycle_reports/report.html"),
        )
        .menu_tab(
            // Merged with device_lifecycle's tab of the same name.
            NavMenuTab::new("Device Lifecycle").group(NavMenuGroup::new("Reports").item(
                NavMenuItem::new("report", "End-of-Support Report").permission(VIEW_NOTICES),
            )),
        )
        .home_view("report")
}

export_plugin!(plugin);

/// One device type with a hardware notice, as the report lists it.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    /// The device type's id.
    device_type_id: String,
    /// Its name (`display`), or its id when the viewer may not see device types.
    device_type: String,
    /// The notice's end of sale (`YYYY-MM-DD`, or empty).
    end_of_sale: String,
    /// The notice's end of support (`YYYY-MM-DD`, or empty).
    end_of_support: String,
    /// How many devices have this device type; `None` when the viewer may not see
    /// devices.
    devices: Option<u64>,
}

impl Row {
    fn to_json(&self) -> Value {
        json!({
            "device_type": {"id": self.device_type_id, "name": self.device_type},
            "end_of_sale": none_if_empty(&self.end_of_sale),
            "end_of_support": none_if_empty(&self.end_of_support),
            "devices": self.devices,
        })
    }
}

fn none_if_empty(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        json!(text)
    }
}

/// The sum of the counts, or `None` when any is unknown.
fn total(rows: &[&Row]) -> Option<u64> {
    rows.iter().map(|r| r.devices).sum()
}

/// The report: the rows grouped by the year of their end of support (ascending), the
/// rows without an end of support apart, and the totals.
fn group_by_year(rows: &[Row]) -> Value {
    let mut years: BTreeMap<i64, Vec<&Row>> = BTreeMap::new();
    let mut undated: Vec<&Row> = Vec::new();
    for row in rows {
        match row
            .end_of_support
            .get(0..4)
            .and_then(|y| y.parse::<i64>().ok())
        {
            Some(year) => years.entry(year).or_default().push(row),
            None => undated.push(row),
        }
    }
    let all: Vec<&Row> = rows.iter().collect();
    let years: Vec<Value> = years
        .iter()
        .map(|(year, rows)| {
            json!({
                "year": year,
                "device_types": rows.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
                "devices": total(rows),
            })
        })
        .collect();
    json!({
        "years": years,
        "without_end_of_support": {
            "device_types": undated.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
            "devices": total(&undated),
        },
        "device_types": rows.len(),
        "devices": total(&all),
    })
}

/// The id of a foreign key as the REST API shows it (`{id, object_type, url}`).
fn ref_id(value: &Value) -> Option<&str> {
    value
        .get("id")
        .and_then(Value::as_str)
        .or_else(|| value.as_str())
}

/// Reads the hardware notices, their device types and device counts, as the viewer may
/// see them.
fn read_rows(host: &Host<'_>) -> Result<Vec<Row>, PluginError> {
    let notices = host.query_all(HARDWARE_NOTICE, Query::new().sort("end_of_support"))?;
    let ids: Vec<String> = notices
        .iter()
        .filter_map(|n| ref_id(&n["device_type"]).map(str::to_string))
        .collect();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    if !ids.is_empty() && host.has_perm("dcim.view_devicetype") {
        for device_type in host.query_all(
            "dcim.devicetype",
            Query::new().filter("id", Value::from(ids.clone())),
        )? {
            if let (Some(id), Some(name)) =
                (device_type["id"].as_str(), device_type["display"].as_str())
            {
                names.insert(id.to_string(), name.to_string());
            }
        }
    }
    let count_devices = host.has_perm("dcim.view_device");
    let mut rows = Vec::with_capacity(notices.len());
    for notice in &notices {
        let Some(id) = ref_id(&notice["device_type"]) else {
            continue;
        };
        let devices = if count_devices {
            let page: Page = host.query(
                "dcim.device",
                Query::new().filter("device_type", id).limit(1),
            )?;
            Some(page.count)
        } else {
            None
        };
        let date = |field: &str| notice[field].as_str().unwrap_or_default().to_string();
        rows.push(Row {
            device_type_id: id.to_string(),
            device_type: names.get(id).cloned().unwrap_or_else(|| id.to_string()),
            end_of_sale: date("end_of_sale"),
            end_of_support: date("end_of_support"),
            devices,
        });
    }
    Ok(rows)
}

/// `/plugins/lifecycle-reports/`: the report as a page.
fn report(ctx: &Context<'_>, _req: Request) -> Result<Response, PluginError> {
    let rows = read_rows(ctx.host())?;
    let mut context = match group_by_year(&rows) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    context.insert("page_title".into(), json!("End-of-Support Report"));
    Ok(Response::render(
        "lifecycle_reports/report.html",
        Value::Object(context),
    ))
}

/// `/api/plugins/lifecycle-reports/`: the plugin's API root.
fn api_root(_ctx: &Context<'_>, req: Request) -> Result<Response, PluginError> {
    Ok(Response::json(
        json!({"summary": format!("{}summary/", req.base_path)}),
    ))
}

/// `/api/plugins/lifecycle-reports/summary/`: the report as JSON.
fn summary(ctx: &Context<'_>, _req: Request) -> Result<Response, PluginError> {
    let rows = read_rows(ctx.host())?;
    Ok(Response::json(group_by_year(&rows)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::serde_json;

    fn row(name: &str, eos: &str, devices: Option<u64>) -> Row {
        Row {
            device_type_id: format!("id-{name}"),
            device_type: name.to_string(),
            end_of_sale: String::new(),
            end_of_support: eos.to_string(),
            devices,
        }
    }

    #[test]
    fn the_manifest_depends_on_device_lifecycle() {
        let m = serde_json::to_value(plugin().manifest()).unwrap();
        assert_eq!(m["name"], "lifecycle_reports");
        assert_eq!(m["base_url"], "lifecycle-reports");
        assert_eq!(m["min_version"], "1.1.0");
        assert_eq!(
            m["dependencies"],
            json!([{"name": "device_lifecycle", "version": ">=1.0, <2"}])
        );
        assert_eq!(m["views"][0]["permissions"], json!([VIEW_NOTICES]));
        assert_eq!(m["api_views"][1]["path"], "summary/");
        assert_eq!(m["api_views"][1]["permissions"], json!([VIEW_NOTICES]));
    }

    #[test]
    fn rows_are_grouped_by_year_of_end_of_support() {
        let rows = [
            row("A", "2020-03-01", Some(2)),
            row("B", "2020-11-30", Some(1)),
            row("C", "2031-01-01", Some(0)),
            row("D", "", Some(4)),
        ];
        let report = group_by_year(&rows);
        assert_eq!(report["device_types"], 4);
        assert_eq!(report["devices"], 7);
        let years = report["years"].as_array().unwrap();
        assert_eq!(years.len(), 2);
        assert_eq!(years[0]["year"], 2020);
        assert_eq!(years[0]["devices"], 3);
        assert_eq!(years[0]["device_types"][1]["device_type"]["name"], "B");
        assert_eq!(years[0]["device_types"][1]["end_of_sale"], Value::Null);
        assert_eq!(years[1]["year"], 2031);
        assert_eq!(years[1]["devices"], 0);
        assert_eq!(report["without_end_of_support"]["devices"], 4);
        assert_eq!(
            report["without_end_of_support"]["device_types"][0]["end_of_support"],
            Value::Null
        );
    }

    #[test]
    fn unknown_counts_make_unknown_totals() {
        let rows = [row("A", "2020-03-01", None), row("B", "2020-04-01", None)];
        let report = group_by_year(&rows);
        assert_eq!(report["years"][0]["devices"], Value::Null);
        assert_eq!(report["devices"], Value::Null);
        assert_eq!(group_by_year(&[])["devices"], 0);
    }
}
