//! The generic web UI of every model as a browser sees it: lists with filters, search,
//! paging and CSV export, detail pages with the plugins' template content and the
//! change log, add/edit/delete forms with CSRF and validation messages, bulk edit,
//! bulk delete, CSV import, permissions, and plugin models. Each test runs on SQLite
//! and on PostgreSQL.

use support::{both_backends, Backend, Client, Response, Server, ADMIN_TOKEN};

both_backends!(
    locations_are_added_listed_filtered_exported_edited_and_deleted,
    bulk_edit_bulk_delete_import_and_paging,
    a_failing_template_extension_costs_only_its_slot,
    permissions_hide_buttons_and_refuse_pages,
    plugin_models_have_pages_too,
    forms_offer_the_statuses_of_their_model,
    custom_fields_are_inputs_on_forms_and_a_panel_on_detail_pages,
    computed_fields_render_in_the_api_and_on_detail_pages,
    devices_have_a_config_context_tab,
);

use support::start;

fn csrf(client: &Client) -> String {
    client.cookie("csrftoken").expect("the csrftoken cookie")
}

/// The id at the end of a redirect to a detail page (`/dcim/locations/<id>/`).
fn created_id(res: &Response, list: &str) -> String {
    assert_eq!(res.status, 302, "{}", res.body);
    let location = res.header("location").expect("a Location header");
    let id = location
        .strip_prefix(list)
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{location} is not a detail page of {list}"));
    assert_eq!(id.len(), 36, "{location}");
    id.to_string()
}

/// The value of the `<option>` labelled `label` in the select `id_<name>`.
fn option_value(html: &str, name: &str, label: &str) -> String {
    let start = html
        .find(&format!("id=\"id_{name}\""))
        .unwrap_or_else(|| panic!("no select {name}"));
    let select = &html[start..];
    let select = &select[..select.find("</select>").expect("the select ends")];
    let end = select
        .find(&format!(">{label}</option>"))
        .unwrap_or_else(|| panic!("no option {label} in {select}"));
    let before = &select[..end];
    let value = &before[before.rfind("value=\"").expect("a value") + 7..];
    value[..value.find('"').expect("the value ends")].to_string()
}

/// The HTML of a plugin slot of a page.
fn slot<'a>(html: &'a str, name: &str) -> &'a str {
    let marker = format!("data-slot=\"{name}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no slot {name}"))
        + marker.len();
    let rest = &html[start..];
    &rest[..rest
        .find("<div class=\"plugin-slot\"")
        .unwrap_or(rest.len())]
}

/// How many objects a list page shows.
fn rows(res: &Response) -> usize {
    assert_eq!(res.status, 200, "{}", res.body);
    res.body.matches("class=\"object-row\"").count()
}

/// The ids of the objects a list page shows, in order.
fn ids(res: &Response) -> Vec<String> {
    let marker = "class=\"object-row\" data-id=\"";
    res.body
        .match_indices(marker)
        .map(|(i, m)| res.body[i + m.len()..i + m.len() + 36].to_string())
        .collect()
}

/// Creates a location type and a location through the REST API; their ids.
fn api_location(server: &Server, name: &str) -> (String, String) {
    let api = server.client().with_token(ADMIN_TOKEN);
    let res = api.send_json(
        "POST",
        "/api/dcim/location-types/",
        &serde_json::json!({"name": format!("{name} type")}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let location_type = res.json()["id"].as_str().unwrap().to_string();
    let res = api.send_json(
        "POST",
        "/api/dcim/locations/",
        &serde_json::json!({"name": name, "location_type": location_type, "status": "Active"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    (
        location_type,
        res.json()["id"].as_str().unwrap().to_string(),
    )
}

fn locations_are_added_listed_filtered_exported_edited_and_deleted(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin"]);
    let admin = server.login("admin", "admin");

    // A location type through its add form, with the token the form carries.
    let form = admin.get("/dcim/location-types/add/");
    assert_eq!(form.status, 200, "{}", form.body);
    let token = csrf(&admin);
    assert!(form
        .body
        .contains(&format!("name=\"csrfmiddlewaretoken\" value=\"{token}\"")));
    assert!(form.body.contains("id=\"id_name\""));
    let res = admin.post_form(
        "/dcim/location-types/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("name", "Site"),
            ("description", "A site"),
            ("content_types", "dcim.device"),
        ],
    );
    let site_type = created_id(&res, "/dcim/location-types/");

    // The location form lists the type and the statuses by name.
    let form = admin.get("/dcim/locations/add/");
    assert_eq!(form.status, 200);
    assert_eq!(option_value(&form.body, "location_type", "Site"), site_type);
    let active = option_value(&form.body, "status", "Active");

    // A missing name: the form again, with the message under the field and the values.
    let res = admin.post_form(
        "/dcim/locations/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("location_type", &site_type),
            ("status", &active),
            ("name", ""),
            ("facility", "Equinix NY7"),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res
        .body
        .contains("<div class=\"field-error\">This field may not be blank.</div>"));
    assert!(res.body.contains("value=\"Equinix NY7\""));
    assert!(res.body.contains(&format!(
        "<option value=\"{active}\" selected>Active</option>"
    )));
    assert_eq!(rows(&admin.get("/dcim/locations/")), 0);
    // The example plugin's validator speaks through the same form.
    let res = admin.post_form(
        "/dcim/locations/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("location_type", &site_type),
            ("status", &active),
            ("name", "this location has a matching name"),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(res.body.contains(
        "<div class=\"field-error\">Location name must not be &#x27;this location has a matching name&#x27;</div>"
    ));

    let res = admin.post_form(
        "/dcim/locations/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("location_type", &site_type),
            ("status", &active),
            ("name", "HQ"),
            ("asn", "65000"),
            ("parent", ""),
        ],
    );
    let hq = created_id(&res, "/dcim/locations/");
    let detail_url = format!("/dcim/locations/{hq}/");

    // The home page: a panel per area, each model with its count and list link.
    let home = admin.get("/");
    let row = |model: &str| {
        let at = home
            .body
            .find(&format!("data-model=\"{model}\""))
            .unwrap_or_else(|| panic!("{model} on the home page: {}", home.body));
        let rest = &home.body[at..];
        rest[..rest.find("</tr>").unwrap()].to_string()
    };
    assert!(home.body.contains("data-panel=\"Organization\""));
    assert!(home.body.contains("data-panel=\"IPAM\""));
    let locations = row("dcim.location");
    assert!(
        locations.contains("href=\"/dcim/locations/\">Locations</a>"),
        "{locations}"
    );
    assert!(
        locations.contains("<td class=\"count\">1</td>"),
        "{locations}"
    );
    assert!(row("dcim.device").contains("<td class=\"count\">0</td>"));

    // An empty list offers no bulk buttons (there is nothing to select).
    let empty = admin.get("/dcim/locations/?name=Nowhere");
    assert_eq!(rows(&empty), 0);
    assert!(!empty.body.contains("id=\"bulk-edit-button\""));
    assert!(!empty.body.contains("id=\"bulk-delete-button\""));

    // The list: the location linked, its type and status linked, every button.
    let list = admin.get("/dcim/locations/");
    assert_eq!(rows(&list), 1);
    for marker in [
        "id=\"object-table\"",
        "id=\"filter-form\"",
        "id=\"search\"",
        "id=\"add-button\"",
        "id=\"import-button\"",
        "id=\"export-button\"",
        "id=\"bulk-edit-button\"",
        "id=\"bulk-delete-button\"",
        "id=\"pagination\"",
        "Showing 1-1 of 1",
        "id=\"example-plugin-list-buttons\"",
    ] {
        assert!(list.body.contains(marker), "{marker}");
    }
    assert!(list.body.contains(&format!(
        "<a class=\"object-link\" href=\"{detail_url}\">HQ</a>"
    )));
    assert!(list.body.contains(&format!(
        "<a href=\"/dcim/location-types/{site_type}/\">Site</a>"
    )));
    assert!(list.body.contains("<ol class=\"breadcrumb\"><li>DCIM</li>"));
    // The status as a badge of its colour (Active is 4caf50: black text reads at 7.6:1
    // on it, white at 2.8:1).
    assert!(list.body.contains(&format!(
        "<a class=\"badge\" href=\"/extras/statuses/{active}/\" style=\"background-color: #4caf50; color: #000000\">Active</a>"
    )));
    assert!(list.body.contains(&format!("name=\"pk\" value=\"{hq}\"")));
    assert!(list.body.contains("href=\"/dcim/locations/?sort=name\""));
    let sorted = admin.get("/dcim/locations/?sort=name");
    assert!(sorted.body.contains("href=\"/dcim/locations/?sort=-name\""));

    // Filters: the search box and the REST API's parameters.
    assert_eq!(rows(&admin.get("/dcim/locations/?q=hq")), 1);
    let none = admin.get("/dcim/locations/?q=nowhere");
    assert_eq!(rows(&none), 0);
    assert!(none.body.contains("Showing 0-0 of 0"));
    assert_eq!(rows(&admin.get("/dcim/locations/?name=HQ")), 1);
    assert_eq!(rows(&admin.get("/dcim/locations/?name=Elsewhere")), 0);
    assert_eq!(
        rows(&admin.get("/dcim/locations/?status=Active&q=&name=")),
        1
    );
    assert_eq!(rows(&admin.get("/dcim/locations/?asn__gte=65001")), 0);
    // A filter the list cannot use is ignored, and said so.
    let odd = admin.get("/dcim/locations/?nonsense=1");
    assert_eq!(rows(&odd), 1);
    assert!(odd.body.contains("nonsense: Unknown filter field"));

    // Export: CSV of the filtered objects, foreign keys by name.
    let csv = admin.get("/dcim/locations/?name=HQ&export=csv");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"dcim_location.csv\"")
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines,
        [
            "location_type,parent,name,status,description,facility,asn,time_zone,tags",
            "Site,,HQ,Active,,,65000,,",
        ]
    );
    let empty = admin.get("/dcim/locations/?name=Elsewhere&export=csv");
    assert_eq!(empty.body.lines().count(), 1);

    // The detail page: fields, related objects, buttons and the plugin's content.
    let detail = admin.get(&detail_url);
    assert_eq!(detail.status, 200, "{}", detail.body);
    for marker in [
        "id=\"edit-button\"",
        "id=\"delete-button\"",
        "id=\"object-attributes\"",
        "id=\"related-objects\"",
        "id=\"example-plugin-buttons\"",
        "id=\"example-plugin-tab\"",
        "Example Plugin Tab",
        "<td>65000</td>",
    ] {
        assert!(detail.body.contains(marker), "{marker}");
    }
    assert!(slot(&detail.body, "left_page").contains("id=\"example-plugin-left-page\""));
    assert!(slot(&detail.body, "right_page").contains("id=\"example-plugin-right-page\""));
    assert!(slot(&detail.body, "full_width_page").contains(
        "id=\"example-plugin-full-width-page\">Example Plugin full width page content for HQ<"
    ));
    assert!(slot(&detail.body, "buttons").contains("id=\"example-plugin-buttons\""));
    assert!(!detail.body.contains("plugin-content-error"));
    assert!(detail
        .body
        .contains(&format!("href=\"{detail_url}changelog/\"")));
    assert!(detail
        .body
        .contains(&format!("href=\"/dcim/devices/?location={hq}\"")));
    assert!(detail.body.contains(&format!(
        "<a href=\"/dcim/location-types/{site_type}/\">Site</a>"
    )));
    assert_eq!(
        admin
            .get("/dcim/locations/00000000-0000-4000-8000-000000000000/")
            .status,
        404
    );
    assert_eq!(admin.get("/dcim/locations/not-an-id/").status, 404);

    // Edit: the form shows the values; saving goes back to the detail page.
    let edit = admin.get(&format!("{detail_url}edit/"));
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("value=\"HQ\""));
    assert!(edit.body.contains("value=\"65000\""));
    let res = admin.post_form(
        &format!("{detail_url}edit/"),
        &[
            ("csrfmiddlewaretoken", &token),
            ("location_type", &site_type),
            ("status", &active),
            ("name", "Headquarters"),
            ("asn", ""),
            ("description", "Main office"),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.header("location"), Some(detail_url.as_str()));
    let detail = admin.get(&detail_url);
    assert!(detail
        .body
        .contains("<h1 id=\"object-title\">Headquarters</h1>"));
    assert!(detail.body.contains("<td>Main office</td>"));

    // The change log tab: the create and the update, by admin.
    let log = admin.get(&format!("{detail_url}changelog/"));
    assert_eq!(log.status, 200, "{}", log.body);
    assert!(log.body.contains("id=\"changelog-table\""));
    assert_eq!(log.body.matches("class=\"changelog-row\"").count(), 2);
    assert!(log.body.contains("data-action=\"create\""));
    assert!(log.body.contains("data-action=\"update\""));
    assert!(log.body.contains(">Created<") && log.body.contains(">Updated<"));
    assert!(log.body.contains("<td>admin</td>"));
    assert!(log.body.contains("href=\"/extras/object-changes/"));
    // A change's own page links to the changed object.
    let change_url = {
        let table = &log.body[log.body.find("id=\"changelog-table\"").unwrap()..];
        let at = table.find("href=\"/extras/object-changes/").unwrap() + 6;
        let rest = &table[at..];
        rest[..rest.find('"').unwrap()].to_string()
    };
    let change = admin.get(&change_url);
    assert_eq!(change.status, 200, "{}", change.body);
    assert!(change
        .body
        .contains(&format!("<a href=\"{detail_url}\">{hq}</a>")));
    let changes = admin.get("/extras/object-changes/");
    assert_eq!(rows(&changes), 3);
    // Who made a change: the username, leading to the user's page (not a UUID).
    assert!(
        changes.body.contains("<a href=\"/users/users/") && changes.body.contains("\">admin</a>"),
        "{}",
        changes.body
    );
    assert!(!changes.body.contains("id=\"add-button\""));
    assert!(!changes.body.contains("id=\"bulk-delete-button\""));
    assert_eq!(admin.get("/extras/object-changes/add/").status, 404);

    // Content types show by name, leading to their lists.
    let tag = server.client().with_token(ADMIN_TOKEN).send_json(
        "POST",
        "/api/extras/tags/",
        &serde_json::json!({"name": "Core", "content_types": ["dcim.location", "ipam.prefix"]}),
    );
    assert_eq!(tag.status, 201, "{}", tag.body);
    let tags = admin.get(&format!(
        "/extras/tags/{}/",
        tag.json()["id"].as_str().unwrap()
    ));
    assert!(
        tags.body
            .contains("href=\"/dcim/locations/\">DCIM | location</a>"),
        "{}",
        tags.body
    );
    assert!(tags.body.contains(">IPAM | prefix</a>"), "{}", tags.body);

    // A protected delete is refused on the confirmation page.
    let res = admin.post_form(
        &format!("/dcim/location-types/{site_type}/delete/"),
        &[("csrfmiddlewaretoken", &token)],
    );
    assert_eq!(res.status, 200);
    assert!(res.body.contains("id=\"form-errors\""));
    assert!(res
        .body
        .contains("1 dependent objects were found: location Headquarters"));

    // Delete through the confirmation page.
    let confirm = admin.get(&format!("{detail_url}delete/"));
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("id=\"confirm-button\""));
    let res = admin.post_form(
        &format!("{detail_url}delete/"),
        &[("csrfmiddlewaretoken", &token)],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.header("location"), Some("/dcim/locations/"));
    assert_eq!(rows(&admin.get("/dcim/locations/")), 0);
    assert_eq!(admin.get(&detail_url).status, 404);

    // The core menu.
    let home = admin.get("/");
    for tab in ["Organization", "Devices", "IPAM", "Extensibility"] {
        assert!(home.body.contains(&format!("data-tab=\"{tab}\"")), "{tab}");
    }
    assert!(home
        .body
        .contains("href=\"/dcim/locations/\">Locations</a>"));
    assert!(home
        .body
        .contains("href=\"/extras/object-changes/\">Change Log</a>"));
}

fn bulk_edit_bulk_delete_import_and_paging(backend: Backend) {
    let (_root, server) = start(backend, &[]);
    let admin = server.login("admin", "admin");
    assert_eq!(admin.get("/dcim/locations/import/").status, 200);
    let token = csrf(&admin);

    let res = admin.post_form(
        "/dcim/location-types/import/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("csv_data", "name,nestable\nSite,true\n"),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.header("location"), Some("/dcim/location-types/"));

    // Three rows, foreign keys by name, one with a quoted comma.
    let res = admin.post_form(
        "/dcim/locations/import/",
        &[
            ("csrfmiddlewaretoken", &token),
            (
                "csv_data",
                "name,location_type,status,description\r\nAlpha,Site,Active,first\r\n\"Beta, Inc.\",Site,Planned,\r\nGamma,Site,Active,third\r\n",
            ),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.header("location"), Some("/dcim/locations/"));
    let list = admin.get("/dcim/locations/");
    assert_eq!(rows(&list), 3);
    assert!(list.body.contains(">Beta, Inc.</a>"));

    // A refused import names each bad row and creates nothing.
    let res = admin.post_form(
        "/dcim/locations/import/",
        &[
            ("csrfmiddlewaretoken", &token),
            (
                "csv_data",
                "name,location_type,status,asn\nDelta,Nowhere,Active,\nEpsilon,Site,Active,not-a-number\nZeta,Site,Active,1\n",
            ),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(res.body.contains("id=\"form-errors\""));
    assert!(res
        .body
        .contains("Row 1: location_type: Related object not found"));
    assert!(res
        .body
        .contains("Row 2: asn: A valid integer is required."));
    assert!(!res.body.contains("Row 3"));
    assert!(res.body.contains("Zeta,Site,Active,1"), "the data is kept");
    assert_eq!(rows(&admin.get("/dcim/locations/")), 3);
    let res = admin.post_form(
        "/dcim/locations/import/",
        &[("csrfmiddlewaretoken", &token), ("csv_data", "nome\nx\n")],
    );
    assert!(res.body.contains("Unknown column &quot;nome&quot;"));

    // Paging.
    let page = admin.get("/dcim/locations/?per_page=1&page=2");
    assert_eq!(rows(&page), 1);
    assert!(page.body.contains("Showing 2-2 of 3"));
    assert!(page.body.contains(">Beta, Inc.</a>"));
    assert!(page
        .body
        .contains("href=\"/dcim/locations/?per_page=1&amp;page=3\""));
    let last = admin.get("/dcim/locations/?per_page=2&page=9");
    assert!(last.body.contains("Showing 3-3 of 3"));
    assert_eq!(rows(&admin.get("/dcim/locations/?per_page=5000")), 3);

    let ids = ids(&admin.get("/dcim/locations/?sort=name"));
    assert_eq!(ids.len(), 3);

    // Bulk edit: the form for the selected, then the change applied to both.
    let res = admin.post_form(
        "/dcim/locations/edit/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("pk", &ids[0]),
            ("pk", &ids[2]),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body.matches("class=\"object-row\"").count(), 2);
    assert!(res.body.contains("id=\"apply-button\""));
    let res = admin.post_form(
        "/dcim/locations/edit/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("pk", &ids[0]),
            ("pk", &ids[2]),
            ("_apply", "1"),
            ("description", "bulk edited"),
            ("facility", ""),
            ("return_url", "/dcim/locations/?sort=name"),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.header("location"), Some("/dcim/locations/?sort=name"));
    let csv = admin.get("/dcim/locations/?export=csv&sort=name");
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 4, "{}", csv.body);
    assert!(lines[1].starts_with("Site,,Alpha,Active,bulk edited,"));
    assert!(lines[2].starts_with("Site,,\"Beta, Inc.\",Planned,,"));
    assert!(lines[3].starts_with("Site,,Gamma,Active,bulk edited,"));

    // Bulk delete: the confirmation, then both gone in one go.
    let res = admin.post_form(
        "/dcim/locations/delete/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("pk", &ids[0]),
            ("pk", &ids[1]),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body.matches("class=\"object-row\"").count(), 2);
    assert!(res.body.contains("id=\"confirm-button\""));
    assert_eq!(rows(&admin.get("/dcim/locations/")), 3, "not yet");
    let res = admin.post_form(
        "/dcim/locations/delete/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("pk", &ids[0]),
            ("pk", &ids[1]),
            ("_confirm", "1"),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    let list = admin.get("/dcim/locations/");
    assert_eq!(rows(&list), 1);
    assert!(list.body.contains(">Gamma</a>"));
    // A bulk delete of protected objects is refused as a whole.
    let type_id = self::ids(&admin.get("/dcim/location-types/")).remove(0);
    let res = admin.post_form(
        "/dcim/location-types/delete/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("pk", &type_id),
            ("_confirm", "1"),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(res.body.contains("dependent objects were found"));
    assert_eq!(rows(&admin.get("/dcim/location-types/")), 1);
}

fn a_failing_template_extension_costs_only_its_slot(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin", "data_misbehaving"]);
    let admin = server.login("admin", "admin");
    let (_, hq) = api_location(&server, "HQ");
    let detail = admin.get(&format!("/dcim/locations/{hq}/"));
    assert_eq!(detail.status, 200, "{}", detail.body);
    let left = slot(&detail.body, "left_page");
    assert!(left.contains("id=\"example-plugin-left-page\""), "{left}");
    assert!(left.contains(
        "<div class=\"alert alert-danger plugin-content-error\">Plugin 'data_misbehaving' failed to render this content.</div>"
    ));
    let right = slot(&detail.body, "right_page");
    assert!(right.contains("id=\"example-plugin-right-page\""));
    assert!(right.contains("id=\"data-misbehaving-right\""));
    assert!(detail.body.contains("Example Plugin Tab"));
    assert_eq!(detail.body.matches("plugin-content-error").count(), 1);
    // A validator that panics costs only that write: the form comes back with a message.
    let form = admin.get("/dcim/locations/add/");
    let token = csrf(&admin);
    let location_type = option_value(&form.body, "location_type", "HQ type");
    let res = admin.post_form(
        "/dcim/locations/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("location_type", &location_type),
            ("status", "Active"),
            ("name", "panic please"),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("id=\"form-errors\""));
    assert!(res
        .body
        .contains("The plugin &#x27;data_misbehaving&#x27; failed while handling this request."));
    // A validator that reads the database: its message lands on the field.
    let res = admin.post_form(
        "/dcim/locations/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("location_type", &location_type),
            ("status", "Active"),
            ("name", "twin of nowhere"),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res
        .body
        .contains("There is no location named &#x27;nowhere&#x27;."));
    // The list and the server are fine too.
    let list = admin.get("/dcim/locations/");
    assert_eq!(rows(&list), 1);
    assert!(list.body.contains("id=\"example-plugin-list-buttons\""));
    assert_eq!(server.client().get("/health/").status, 200);

    // Banners: shown on the pages they name, in their colour; a handler may decline
    // (the location list), and one that panics costs only itself, on every page.
    assert_eq!(
        detail
            .body
            .matches("id=\"data-misbehaving-banner\"")
            .count(),
        1
    );
    assert!(detail.body.contains(
        "<div class=\"alert alert-warning plugin-banner\" data-plugin=\"data_misbehaving\">"
    ));
    assert!(!list.body.contains("data-misbehaving-banner"));
    let home = admin.get("/");
    assert_eq!(home.status, 200);
    assert!(!home.body.contains("data-misbehaving-banner"));
    assert!(!home.body.contains("plugin-banner"));
    assert!(server
        .log()
        .contains("data_misbehaving banner panicked on purpose"));
}

fn permissions_hide_buttons_and_refuse_pages(backend: Backend) {
    let (root, server) = start(backend, &[]);
    let (location_type, hq) = api_location(&server, "HQ");

    // Anonymous visitors are sent to the login page.
    let anonymous = server.client();
    for path in [
        "/dcim/locations/".to_string(),
        format!("/dcim/locations/{hq}/"),
        "/dcim/locations/add/".to_string(),
    ] {
        let res = anonymous.get(&path);
        assert_eq!(res.status, 302, "{path}");
        let encoded: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(
            res.header("location"),
            Some(format!("/login/?next={encoded}").as_str())
        );
    }

    root.run(&[
        "createuser",
        "--username",
        "nobody",
        "--password",
        "nobody-pw",
    ])
    .success();
    root.run(&[
        "createuser",
        "--username",
        "viewer",
        "--password",
        "viewer-pw",
        "--permission",
        "dcim.view_location",
    ])
    .success();

    let nobody = server.login("nobody", "nobody-pw");
    let res = nobody.get("/dcim/locations/");
    assert_eq!(res.status, 403);
    assert!(res
        .body
        .contains("You do not have permission to view locations."));
    assert_eq!(nobody.get(&format!("/dcim/locations/{hq}/")).status, 403);
    assert_eq!(nobody.get("/dcim/locations/?export=csv").status, 403);
    assert!(!nobody.get("/").body.contains("href=\"/dcim/locations/\""));

    let viewer = server.login("viewer", "viewer-pw");
    let list = viewer.get("/dcim/locations/");
    assert_eq!(rows(&list), 1);
    assert!(list.body.contains("id=\"export-button\""));
    for hidden in [
        "id=\"add-button\"",
        "id=\"import-button\"",
        "id=\"bulk-edit-button\"",
        "id=\"bulk-delete-button\"",
        "name=\"pk\"",
    ] {
        assert!(!list.body.contains(hidden), "{hidden}");
    }
    let detail = viewer.get(&format!("/dcim/locations/{hq}/"));
    assert_eq!(detail.status, 200);
    assert!(!detail.body.contains("id=\"edit-button\""));
    assert!(!detail.body.contains("id=\"delete-button\""));
    // Related objects of models the viewer may not see are not counted.
    assert!(!detail.body.contains("href=\"/dcim/devices/?location="));
    // The location type itself is shown, but its page is not for the viewer.
    assert_eq!(
        viewer
            .get(&format!("/dcim/location-types/{location_type}/"))
            .status,
        403
    );
    assert_eq!(viewer.get("/dcim/locations/add/").status, 403);
    assert_eq!(
        viewer.get(&format!("/dcim/locations/{hq}/edit/")).status,
        403
    );
    assert_eq!(viewer.get("/dcim/locations/import/").status, 403);
    let token = csrf(&viewer);
    let res = viewer.post_form(
        "/dcim/locations/add/",
        &[("csrfmiddlewaretoken", &token), ("name", "X")],
    );
    assert_eq!(res.status, 403);
    let res = viewer.post_form(
        "/dcim/locations/delete/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("pk", &hq),
            ("_confirm", "1"),
        ],
    );
    assert_eq!(res.status, 403);
    assert_eq!(rows(&viewer.get("/dcim/locations/")), 1);
    // The menu shows the list it may see, without the Add button.
    let home = viewer.get("/");
    assert!(home
        .body
        .contains("href=\"/dcim/locations/\">Locations</a>"));
    assert!(!home.body.contains("href=\"/dcim/locations/add/\""));
    assert!(!home.body.contains("href=\"/dcim/devices/\""));

    // Every form post needs the CSRF token.
    let admin = server.login("admin", "admin");
    let res = admin.post_form(
        &format!("/dcim/locations/{hq}/delete/"),
        &[("csrfmiddlewaretoken", "0".repeat(64).as_str())],
    );
    assert_eq!(res.status, 403);
    assert!(res.body.contains("CSRF verification failed"));
    assert_eq!(admin.get(&format!("/dcim/locations/{hq}/")).status, 200);
}

fn plugin_models_have_pages_too(backend: Backend) {
    let (_root, server) = start(backend, &["example_plugin"]);
    let admin = server.login("admin", "admin");
    let list = admin.get("/plugins/example-plugin/example-models/");
    assert_eq!(rows(&list), 0);
    assert!(list.body.contains("<h1>Example models</h1>"));
    // The breadcrumb names the plugin as its manifest does.
    assert!(
        list.body
            .contains("<ol class=\"breadcrumb\"><li>Example Plugin</li>"),
        "{}",
        list.body
    );
    let form = admin.get("/plugins/example-plugin/example-models/add/");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"100\""), "the default number");
    let token = csrf(&admin);
    let res = admin.post_form(
        "/plugins/example-plugin/example-models/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("name", "first"),
            ("number", "7"),
        ],
    );
    let first = created_id(&res, "/plugins/example-plugin/example-models/");
    // The plugin's validator refuses through the form.
    let res = admin.post_form(
        "/plugins/example-plugin/example-models/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("name", "forbidden"),
            ("number", "1"),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(res.body.contains(
        "<div class=\"field-error\">ExampleModel name &#x27;forbidden&#x27; is not allowed</div>"
    ));
    // Uniqueness too.
    let res = admin.post_form(
        "/plugins/example-plugin/example-models/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("name", "first"),
            ("number", "1"),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(res.body.contains("class=\"field-error\""));

    let list = admin.get("/plugins/example-plugin/example-models/");
    assert_eq!(rows(&list), 1);
    assert!(list.body.contains(&format!(
        "href=\"/plugins/example-plugin/example-models/{first}/\">first</a>"
    )));
    assert!(list.body.contains("<td>7</td>"));
    let detail = admin.get(&format!("/plugins/example-plugin/example-models/{first}/"));
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains("<h1 id=\"object-title\">first</h1>"));
    let csv = admin.get("/plugins/example-plugin/example-models/?export=csv");
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"example_plugin_examplemodel.csv\"")
    );
    assert_eq!(csv.body, "name,number\r\nfirst,7\r\n");

    // A plugin model referring to a core one links to it.
    let (_, hq) = api_location(&server, "HQ");
    let res = admin.post_form(
        "/plugins/example-plugin/another-example-models/add/",
        &[
            ("csrfmiddlewaretoken", &token),
            ("name", "near HQ"),
            ("location", &hq),
        ],
    );
    created_id(&res, "/plugins/example-plugin/another-example-models/");
    let list = admin.get("/plugins/example-plugin/another-example-models/");
    assert_eq!(rows(&list), 1);
    assert!(list
        .body
        .contains(&format!("<a href=\"/dcim/locations/{hq}/\">HQ</a>")));
    let location = admin.get(&format!("/dcim/locations/{hq}/"));
    assert!(location.body.contains(&format!(
        "href=\"/plugins/example-plugin/another-example-models/?location={hq}\""
    )));
}

/// Statuses apply to the models their content types list: a device form offers
/// "Offline" (a device status) but not "Retired" (a location status), and the location
/// form the other way round.
fn forms_offer_the_statuses_of_their_model(backend: Backend) {
    let (_root, server) = start(backend, &[]);
    let admin = server.login("admin", "admin");
    let device = admin.get("/dcim/devices/add/");
    assert_eq!(device.status, 200);
    assert!(device.body.contains(">Offline</option>"));
    assert!(!device.body.contains(">Retired</option>"));
    let location = admin.get("/dcim/locations/add/");
    assert!(location.body.contains(">Retired</option>"));
    assert!(!location.body.contains(">Offline</option>"));
}

/// Custom fields defined through the API appear on the add and edit forms of their
/// model (a select for a selection field, the default filled in), the form's values are
/// saved and refused like the API's, and the detail page shows them grouped.
fn custom_fields_are_inputs_on_forms_and_a_panel_on_detail_pages(backend: Backend) {
    let (_root, server) = start(backend, &[]);
    let api = server.client().with_token(ADMIN_TOKEN);
    let (location_type, hq) = api_location(&server, "HQ");
    let define = |body: serde_json::Value| {
        let res = api.send_json("POST", "/api/extras/custom-fields/", &body);
        assert_eq!(res.status, 201, "{}", res.body);
        res.json()["id"].as_str().unwrap().to_string()
    };
    define(
        serde_json::json!({"label": "Circuit ID", "content_types": ["dcim.location"],
                              "grouping": "Provider"}),
    );
    define(
        serde_json::json!({"label": "Floor", "type": "integer", "default": 2,
                              "content_types": ["dcim.location"]}),
    );
    let tier = define(serde_json::json!({"label": "Tier", "type": "select",
                                         "content_types": ["dcim.location"]}));
    for value in ["gold", "silver"] {
        let res = api.send_json(
            "POST",
            "/api/extras/custom-field-choices/",
            &serde_json::json!({"custom_field": tier, "value": value}),
        );
        assert_eq!(res.status, 201, "{}", res.body);
    }

    let admin = server.login("admin", "admin");
    let form = admin.get("/dcim/locations/add/");
    assert_eq!(form.status, 200, "{}", form.body);
    for input in [
        "name=\"cf_circuit_id\"",
        "name=\"cf_floor\"",
        "id=\"id_cf_tier\"",
    ] {
        assert!(form.body.contains(input), "{input}: {}", form.body);
    }
    assert!(form.body.contains(">gold</option>"), "{}", form.body);
    let status = option_value(&form.body, "status", "Active");
    let token = csrf(&admin);
    let base = [
        ("csrfmiddlewaretoken", token.as_str()),
        ("name", "Branch"),
        ("location_type", location_type.as_str()),
        ("status", status.as_str()),
        ("cf_circuit_id", "CID-7"),
        ("cf_floor", "2"),
    ];
    // An invalid choice: the form again, with the reason.
    let mut bad = base.to_vec();
    bad.push(("cf_tier", "bronze"));
    let refused = admin.post_form("/dcim/locations/add/", &bad);
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert!(refused.body.contains("Invalid choice"), "{}", refused.body);
    let mut good = base.to_vec();
    good.push(("cf_tier", "silver"));
    let created = admin.post_form("/dcim/locations/add/", &good);
    let id = created_id(&created, "/dcim/locations/");
    let saved = api.get(&format!("/api/dcim/locations/{id}/")).json();
    assert_eq!(
        saved["custom_fields"],
        serde_json::json!({"circuit_id": "CID-7", "floor": 2, "tier": "silver"})
    );
    let detail = admin.get(&format!("/dcim/locations/{id}/"));
    assert!(
        detail.body.contains("id=\"object-custom-fields\""),
        "{}",
        detail.body
    );
    assert!(detail.body.contains(">Provider</div>"), "{}", detail.body);
    assert!(detail.body.contains("CID-7"), "{}", detail.body);
    // The edit form shows the stored values; an unchanged submit keeps them.
    let edit = admin.get(&format!("/dcim/locations/{hq}/edit/"));
    assert!(edit.body.contains("name=\"cf_floor\""), "{}", edit.body);
    let list = admin.get("/dcim/locations/?cf_tier=silver");
    assert_eq!(ids(&list), vec![id.clone()]);
    // A key no field defines is an unknown filter: the list says so.
    let unknown = admin.get("/dcim/locations/?cf_nothing=1");
    assert!(
        unknown
            .body
            .contains("<li>cf_nothing: Unknown filter field</li>"),
        "{}",
        unknown.body
    );

    // CSV: cf_<key> columns out, and in.
    let export = admin.get("/dcim/locations/?export=csv&cf_tier=silver");
    assert_eq!(export.status, 200, "{}", export.body);
    let mut lines = export.body.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.ends_with(",cf_circuit_id,cf_floor,cf_tier"),
        "{header}"
    );
    assert!(
        lines
            .next()
            .unwrap_or_default()
            .ends_with(",CID-7,2,silver"),
        "{}",
        export.body
    );
    let token = csrf(&admin);
    let imported = admin.post_form(
        "/dcim/locations/import/",
        &[
            ("csrfmiddlewaretoken", token.as_str()),
            (
                "csv_data",
                "name,location_type,status,cf_tier,cf_floor\nImported,HQ type,Active,gold,\n",
            ),
        ],
    );
    assert_eq!(imported.status, 302, "{}", imported.body);
    let got = api.get("/api/dcim/locations/?name=Imported").json();
    assert_eq!(
        got["results"][0]["custom_fields"],
        serde_json::json!({"circuit_id": null, "floor": 2, "tier": "gold"}),
        "an empty cell takes the default"
    );
    let refused = admin.post_form(
        "/dcim/locations/import/",
        &[
            ("csrfmiddlewaretoken", token.as_str()),
            (
                "csv_data",
                "name,location_type,status,cf_tier\nWrong,HQ type,Active,bronze\n",
            ),
        ],
    );
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert!(refused.body.contains("Invalid choice"), "{}", refused.body);
}

/// A computed field renders its template from each object: in REST answers with
/// `?include=computed_fields` (list and detail), and on the detail page; a template that
/// does not compile is refused, one that fails on an object shows its fallback.
fn computed_fields_render_in_the_api_and_on_detail_pages(backend: Backend) {
    let (_root, server) = start(backend, &[]);
    let api = server.client().with_token(ADMIN_TOKEN);
    let (_, hq) = api_location(&server, "HQ <1>");
    let define = |body: serde_json::Value, status: u16| {
        let res = api.send_json("POST", "/api/extras/computed-fields/", &body);
        assert_eq!(res.status, status, "{}", res.body);
        res.json()
    };
    let shout = define(
        serde_json::json!({"content_type": "dcim.location", "label": "Shout",
                           "template": "{{ obj.name | upper }}!"}),
        201,
    );
    assert_eq!(shout["key"], "shout");
    define(
        serde_json::json!({"content_type": "dcim.location", "label": "Broken",
                           "template": "{{ obj.nothing.deeper }}", "fallback_value": "n/a"}),
        201,
    );
    let refused = define(
        serde_json::json!({"content_type": "dcim.location", "label": "Bad", "template": "{% if %}"}),
        400,
    );
    assert!(
        refused["template"][0]
            .as_str()
            .unwrap()
            .contains("does not compile"),
        "{refused}"
    );
    let refused = define(
        serde_json::json!({"content_type": "dcim.nothing", "label": "Bad", "template": "x"}),
        400,
    );
    assert!(refused["content_type"].is_array(), "{refused}");

    let detail = api
        .get(&format!(
            "/api/dcim/locations/{hq}/?include=computed_fields"
        ))
        .json();
    assert_eq!(
        detail["computed_fields"],
        serde_json::json!({"shout": "HQ <1>!", "broken": "n/a"})
    );
    let plain = api.get(&format!("/api/dcim/locations/{hq}/")).json();
    assert!(plain.get("computed_fields").is_none(), "{plain}");
    let list = api
        .get("/api/dcim/locations/?include=computed_fields")
        .json();
    assert_eq!(list["results"][0]["computed_fields"]["shout"], "HQ <1>!");
    let deep = api
        .get(&format!(
            "/api/dcim/locations/{hq}/?include=computed_fields&depth=1"
        ))
        .json();
    assert_eq!(deep["computed_fields"]["shout"], "HQ <1>!");

    let admin = server.login("admin", "admin");
    let page = admin.get(&format!("/dcim/locations/{hq}/"));
    assert!(
        page.body.contains("id=\"object-computed-fields\""),
        "{}",
        page.body
    );
    // The template's output is text: escaped on the page.
    assert!(page.body.contains("HQ &lt;1&gt;!"), "{}", page.body);
    assert!(!page.body.contains("HQ <1>!"), "{}", page.body);
}

/// A device's Config Context tab: the rendered context (escaped), the device's own data
/// and the contexts merged into it, linked for those who may view config contexts.
fn devices_have_a_config_context_tab(backend: Backend) {
    let (root, server) = start(backend, &[]);
    let api = server.client().with_token(ADMIN_TOKEN);
    let post = |path: &str, body: serde_json::Value| {
        let res = api.send_json("POST", path, &body);
        assert_eq!(res.status, 201, "{path}: {}", res.body);
        res.json()["id"].as_str().unwrap().to_string()
    };
    let site = post(
        "/api/dcim/location-types/",
        serde_json::json!({"name": "Site", "content_types": ["dcim.device"]}),
    );
    let hq = post(
        "/api/dcim/locations/",
        serde_json::json!({"name": "HQ", "location_type": site, "status": "Active"}),
    );
    let maker = post(
        "/api/dcim/manufacturers/",
        serde_json::json!({"name": "Acme"}),
    );
    let kind = post(
        "/api/dcim/device-types/",
        serde_json::json!({"manufacturer": maker, "model": "R1"}),
    );
    let role = post(
        "/api/extras/roles/",
        serde_json::json!({"name": "Router", "content_types": ["dcim.device"]}),
    );
    let device = post(
        "/api/dcim/devices/",
        serde_json::json!({"name": "r1", "device_type": kind, "role": role, "location": hq,
                           "status": "Active", "local_config_context_data": {"hostname": "r1"}}),
    );
    let context = post(
        "/api/extras/config-contexts/",
        serde_json::json!({"name": "HQ routers", "locations": [hq], "roles": [role],
                           "data": {"banner": "<b>welcome</b>"}}),
    );
    post(
        "/api/extras/config-contexts/",
        serde_json::json!({"name": "Elsewhere", "locations": [], "roles": [],
                           "platforms": [], "data": {"x": 1}, "is_active": false}),
    );

    let admin = server.login("admin", "admin");
    let page = admin.get(&format!("/dcim/devices/{device}/"));
    assert!(
        page.body
            .contains(&format!("href=\"/dcim/devices/{device}/config-context/\"")),
        "{}",
        page.body
    );
    let tab = admin.get(&format!("/dcim/devices/{device}/config-context/"));
    assert_eq!(tab.status, 200, "{}", tab.body);
    assert!(
        tab.body.contains("&lt;b&gt;welcome"),
        "escaped: {}",
        tab.body
    );
    assert!(!tab.body.contains("<b>welcome"), "{}", tab.body);
    assert!(
        tab.body.contains("&quot;hostname&quot;: &quot;r1&quot;"),
        "{}",
        tab.body
    );
    assert!(
        tab.body
            .contains(&format!("href=\"/extras/config-contexts/{context}/\"")),
        "{}",
        tab.body
    );
    assert!(!tab.body.contains("Elsewhere"), "inactive: {}", tab.body);
    // Locations have no config context: no tab, no page.
    let location = admin.get(&format!("/dcim/locations/{hq}/"));
    assert!(!location.body.contains("tab-config-context"));
    assert_eq!(
        admin
            .get(&format!("/dcim/locations/{hq}/config-context/"))
            .status,
        404
    );

    // A device viewer sees the data and the names, not links to contexts they may not
    // view; without the device permission, nothing.
    root.run(&[
        "createuser",
        "--username",
        "viewer",
        "--password",
        "viewer-pw",
        "--permission",
        "dcim.view_device",
    ])
    .success();
    let viewer = server.login("viewer", "viewer-pw");
    let tab = viewer.get(&format!("/dcim/devices/{device}/config-context/"));
    assert_eq!(tab.status, 200, "{}", tab.body);
    assert!(tab.body.contains("HQ routers"), "{}", tab.body);
    assert!(
        !tab.body.contains("/extras/config-contexts/"),
        "{}",
        tab.body
    );
    root.run(&[
        "createuser",
        "--username",
        "nobody",
        "--password",
        "nobody-pw",
    ])
    .success();
    let nobody = server.login("nobody", "nobody-pw");
    assert_eq!(
        nobody
            .get(&format!("/dcim/devices/{device}/config-context/"))
            .status,
        403
    );
}
