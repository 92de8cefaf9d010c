//! The jobs' pages as a browser sees them: the job list grouped by grouping with Run and
//! Enable/Disable buttons, the run form built from the job's variables (validation
//! messages, dry run), the result page refreshing itself until a worker has run the job,
//! and permissions. Each test runs on SQLite and PostgreSQL.

use support::{both_backends, Backend, Client, Root, Server, ADMIN_TOKEN};

both_backends!(
    a_job_is_listed_run_from_its_form_and_followed_to_its_result,
    disabled_jobs_and_users_without_permission_are_refused,
    the_every_variable_form_has_every_input_kind,
);

/// A root with example_plugin and its jobs enabled, and a server.
fn with_jobs(backend: Backend) -> (Root, Server) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"])
        .set("JOBS_AUTO_ENABLE", "true");
    root.install();
    let server = root.start();
    (root, server)
}

fn csrf(client: &Client) -> String {
    client.cookie("csrftoken").expect("the csrftoken cookie")
}

fn job_id(server: &Server, class: &str) -> String {
    let api = server.client().with_token(ADMIN_TOKEN);
    let list = api
        .get(&format!("/api/extras/jobs/?job_class_name={class}"))
        .json();
    list["results"][0]["id"]
        .as_str()
        .expect("the job")
        .to_string()
}

/// The HTML of the list row of job `id`.
fn job_row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("data-id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row for job {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").expect("the row ends")]
}

/// The opening tag of the input, select or textarea named `name`.
/// The job log's table of a result page.
fn log_table(html: &str) -> &str {
    let start = html.find("id=\"job-log\"").expect("the job log");
    let end = html[start..]
        .find("</table>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

fn input<'a>(html: &'a str, name: &str) -> &'a str {
    let marker = format!("name=\"{name}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name}"));
    let start = html[..at].rfind('<').expect("the tag starts");
    let end = at + html[at..].find('>').expect("the tag ends");
    &html[start..=end]
}

fn a_job_is_listed_run_from_its_form_and_followed_to_its_result(backend: Backend) {
    let (root, server) = with_jobs(backend);
    let create = job_id(&server, "example_create_models");

    // Anonymous visitors are sent to the login page.
    let res = server.client().get("/extras/jobs/");
    assert_eq!(res.status, 302);
    assert!(res
        .header("location")
        .is_some_and(|l| l.starts_with("/login/")));

    let admin = server.login("admin", "admin");
    let list = admin.get("/extras/jobs/");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("data-grouping=\"Example Jobs\""));
    let row = job_row(&list.body, &create);
    assert!(row.contains("Create Example Models"));
    assert!(row.contains(&format!(
        "class=\"btn btn-xs btn-primary run-button\" href=\"/extras/jobs/{create}/run/\""
    )));
    assert!(row.contains("Disable"));

    let run_url = format!("/extras/jobs/{create}/run/");
    let form = admin.get(&run_url);
    assert_eq!(form.status, 200, "{}", form.body);
    // A variable without a label is shown by its capitalised name, as Django does.
    assert!(
        form.body
            .contains("for=\"id_prefix\">Prefix <span class=\"required\">")
            || form.body.contains("for=\"id_prefix\">Prefix</label>"),
        "{}",
        form.body
    );
    let prefix = input(&form.body, "prefix");
    assert!(prefix.contains("type=\"text\""), "{prefix}");
    assert!(prefix.contains("maxlength=\"10\""), "{prefix}");
    let count = input(&form.body, "count");
    assert!(count.contains("type=\"number\""), "{count}");
    assert!(count.contains("value=\"3\""), "{count}");
    assert!(
        count.contains("min=\"1\"") && count.contains("max=\"100\""),
        "{count}"
    );
    assert!(form.body.contains("How many ExampleModels to create."));
    let dryrun = input(&form.body, "dryrun");
    assert!(!dryrun.contains("checked"), "{dryrun}");
    assert!(form.body.contains("id=\"run-button\""));

    // Without the prefix: the form again, with the message.
    let token = csrf(&admin);
    let res = admin.post_form(
        &run_url,
        &[
            ("csrfmiddlewaretoken", &token),
            ("prefix", ""),
            ("count", "2"),
            ("number", "100"),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("This field is required."), "{}", res.body);
    assert!(input(&res.body, "count").contains("value=\"2\""));

    // Without the CSRF token: refused.
    let res = admin.post_form(&run_url, &[("prefix", "ui"), ("count", "2")]);
    assert_eq!(res.status, 403);

    let res = admin.post_form(
        &run_url,
        &[
            ("csrfmiddlewaretoken", &token),
            ("prefix", "ui"),
            ("count", "2"),
            ("number", ""),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    let location = res.header("location").expect("a Location").to_string();
    assert!(
        location.starts_with("/extras/job-results/") && location.len() == 20 + 36 + 1,
        "{location}"
    );
    let pending = admin.get(&location);
    assert_eq!(pending.status, 200, "{}", pending.body);
    assert!(pending
        .body
        .contains("id=\"job-status\" data-status=\"pending\""));
    assert!(pending
        .body
        .contains("<meta http-equiv=\"refresh\" content=\"2\">"));
    assert!(pending.body.contains("id=\"job-log\""));
    // No worker is alive: the page says why the run waits and how to start one.
    assert!(
        pending.body.contains("id=\"no-worker\""),
        "{}",
        pending.body
    );
    assert!(pending.body.contains("<code>nautobot-server worker</code>"));
    assert!(pending
        .body
        .contains(&format!("href=\"/extras/jobs/{create}/run/\"")));
    assert!(
        pending.body.contains("&quot;prefix&quot;: &quot;ui&quot;"),
        "the input"
    );

    root.run(&["worker", "--burst"]).success();
    let done = admin.get(&location);
    assert_eq!(done.status, 200);
    assert!(
        done.body
            .contains("id=\"job-status\" data-status=\"success\""),
        "{}",
        done.body
    );
    assert!(!done.body.contains("http-equiv=\"refresh\""));
    assert!(!done.body.contains("id=\"no-worker\""));
    // Who ran it: the username, linked to the user's page.
    let users = server
        .client()
        .with_token(ADMIN_TOKEN)
        .get("/api/users/users/?username=admin")
        .json();
    let admin_id = users["results"][0]["id"]
        .as_str()
        .expect("admin's id")
        .to_string();
    assert!(
        done.body.contains(&format!(
            "<td id=\"result-user\"><a href=\"/users/users/{admin_id}/\">admin</a></td>"
        )),
        "{}",
        done.body
    );
    // Times show to the second, in the reader's zone once the page's script runs; the
    // ISO value stays on hover.
    assert!(
        done.body
            .contains("<time class=\"localtime\" datetime=\"20")
            && done.body.contains(" UTC</time>"),
        "{}",
        done.body
    );
    assert!(
        !log_table(&done.body).contains("Z</td>"),
        "no raw ISO cells"
    );
    assert!(done.body.contains("class=\"log-row\""));
    for message in ["Created ui-1", "Created ui-2"] {
        assert!(
            done.body
                .contains(&format!("<td class=\"log-message\">{message}</td>")),
            "{message}"
        );
    }
    assert!(done.body.contains("&quot;created&quot;: 2"), "the result");
    // Log links lead to the objects' pages, never to the API.
    let log = log_table(&done.body);
    assert_eq!(
        log.matches("href=\"/plugins/example-plugin/example-models/")
            .count(),
        2,
        "{log}"
    );
    assert!(!log.contains("href=\"/api/"), "{log}");

    let api = server.client().with_token(ADMIN_TOKEN);
    let made = api
        .get("/api/plugins/example-plugin/example-models/?name__isw=ui-")
        .json();
    assert_eq!(made["count"], 2, "{made}");

    // A dry run rolls its objects back: their log lines name them without a link
    // (which would lead to a 404).
    let token = csrf(&admin);
    let res = admin.post_form(
        &run_url,
        &[
            ("csrfmiddlewaretoken", &token),
            ("prefix", "dry"),
            ("count", "1"),
            ("number", ""),
            ("dryrun", "true"),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    let dry = res.header("location").expect("a Location").to_string();
    root.run(&["worker", "--burst"]).success();
    let dry = admin.get(&dry);
    assert!(dry.body.contains(">Created dry-1</td>"), "{}", dry.body);
    let log = log_table(&dry.body);
    assert!(log.contains(">Created dry-1</td>"), "{log}");
    assert!(!log.contains("href="), "{log}");

    // The generic list of results stays.
    assert_eq!(admin.get("/extras/job-results/").status, 200);
}

fn disabled_jobs_and_users_without_permission_are_refused(backend: Backend) {
    let (root, server) = with_jobs(backend);
    let create = job_id(&server, "example_create_models");
    let run_url = format!("/extras/jobs/{create}/run/");
    let admin = server.login("admin", "admin");
    let token = csrf(&admin);

    // Disable through the list's button.
    let res = admin.post_form(
        &format!("/extras/jobs/{create}/enable/"),
        &[
            ("csrfmiddlewaretoken", &token),
            ("enabled", "false"),
            ("return_url", "/extras/jobs/"),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(res.header("location"), Some("/extras/jobs/"));
    let list = admin.get("/extras/jobs/");
    let row = job_row(&list.body, &create);
    assert!(!row.contains("run-button"), "{row}");
    assert!(
        row.contains("enable-button") && row.contains("disabled"),
        "{row}"
    );

    let form = admin.get(&run_url);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("This job is not enabled to be run."));
    assert!(!form.body.contains("id=\"run-button\""));
    let res = admin.post_form(
        &run_url,
        &[("csrfmiddlewaretoken", &token), ("prefix", "x")],
    );
    assert_eq!(res.status, 400);
    assert!(
        res.body.contains("This job is not enabled to be run"),
        "{}",
        res.body
    );
    let api = server.client().with_token(ADMIN_TOKEN);
    assert_eq!(api.get("/api/extras/job-results/").json()["count"], 0);

    // And enable it again.
    let res = admin.post_form(
        &format!("/extras/jobs/{create}/enable/"),
        &[("csrfmiddlewaretoken", &token), ("enabled", "true")],
    );
    assert_eq!(res.status, 302);
    assert!(job_row(&admin.get("/extras/jobs/").body, &create).contains("run-button"));

    // A user who may only view jobs.
    root.run(&[
        "createuser",
        "--username",
        "viewer",
        "--password",
        "viewer-pw",
        "--permission",
        "extras.view_job",
    ])
    .success();
    let viewer = server.login("viewer", "viewer-pw");
    let list = viewer.get("/extras/jobs/");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Create Example Models"));
    assert!(!list.body.contains("run-button"));
    assert!(!list.body.contains("enable-form"));
    let form = viewer.get(&run_url);
    assert_eq!(form.status, 200);
    assert!(!form.body.contains("id=\"run-button\""));
    let token = csrf(&viewer);
    let res = viewer.post_form(
        &run_url,
        &[
            ("csrfmiddlewaretoken", &token),
            ("prefix", "v"),
            ("count", "1"),
        ],
    );
    assert_eq!(res.status, 403, "{}", res.body);
    let res = viewer.post_form(
        &format!("/extras/jobs/{create}/enable/"),
        &[("csrfmiddlewaretoken", &token), ("enabled", "false")],
    );
    assert_eq!(res.status, 403);
    assert_eq!(api.get("/api/extras/job-results/").json()["count"], 0);

    // Someone who may not view jobs at all.
    root.run(&[
        "createuser",
        "--username",
        "nobody",
        "--password",
        "nobody-pw",
    ])
    .success();
    let nobody = server.login("nobody", "nobody-pw");
    assert_eq!(nobody.get("/extras/jobs/").status, 403);
    assert_eq!(nobody.get(&run_url).status, 403);
}

fn the_every_variable_form_has_every_input_kind(backend: Backend) {
    let (_root, server) = with_jobs(backend);
    let api = server.client().with_token(ADMIN_TOKEN);
    let res = api.send_json(
        "POST",
        "/api/dcim/location-types/",
        &serde_json::json!({"name": "Site"}),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let location_type = res.json()["id"].as_str().unwrap().to_string();
    for (name, status) in [("HQ", "Active"), ("Old", "Retired")] {
        let res = api.send_json(
            "POST",
            "/api/dcim/locations/",
            &serde_json::json!({"name": name, "location_type": location_type, "status": status}),
        );
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let every = job_id(&server, "example_every_variable");
    let admin = server.login("admin", "admin");
    let form = admin.get(&format!("/extras/jobs/{every}/run/"));
    assert_eq!(form.status, 200, "{}", form.body);
    let html = &form.body;
    assert!(input(html, "string_var").contains("maxlength=\"20\""));
    assert!(html.contains("<label class=\"form-label\" for=\"id_string_var\">String"));
    assert!(html.contains("Lowercase letters only, 2 to 20 of them."));
    assert!(input(html, "text_var").starts_with("<textarea"));
    assert!(input(html, "integer_var").contains("type=\"number\""));
    assert!(input(html, "boolean_var").contains("type=\"checkbox\""));
    assert!(input(html, "choice_var").starts_with("<select"));
    assert!(html.contains("<option value=\"green\">Green</option>"));
    assert!(input(html, "multi_choice_var").contains("multiple"));
    assert!(input(html, "object_var").starts_with("<select"));
    let multi_object = input(html, "multi_object_var");
    assert!(multi_object.contains("multiple"));
    // The object select offers every location, the multi-object one only active ones.
    let objects = &html[html.find("name=\"object_var\"").unwrap()..];
    let objects = &objects[..objects.find("</select>").unwrap()];
    assert!(objects.contains(">HQ</option>") && objects.contains(">Old</option>"));
    let active = &html[html.find("name=\"multi_object_var\"").unwrap()..];
    let active = &active[..active.find("</select>").unwrap()];
    assert!(active.contains(">HQ</option>") && !active.contains(">Old</option>"));
    assert!(input(html, "ip_address_var").contains("type=\"text\""));
    assert!(input(html, "ip_network_var").contains("type=\"text\""));
    assert!(input(html, "json_var").starts_with("<textarea"));
    assert!(input(html, "file_var").starts_with("<textarea"));
    // Dry run by default for this job.
    assert!(input(html, "dryrun").contains("checked"));

    // A bad value is reported under its input.
    let token = csrf(&admin);
    let res = admin.post_form(
        &format!("/extras/jobs/{every}/run/"),
        &[
            ("csrfmiddlewaretoken", &token),
            ("string_var", "NotLower"),
            ("ip_address_var", "nonsense"),
            ("dryrun", "true"),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("class=\"field-error\""), "{}", res.body);
    assert!(input(&res.body, "string_var").contains("value=\"NotLower\""));
    let res = admin.post_form(
        &format!("/extras/jobs/{every}/run/"),
        &[
            ("csrfmiddlewaretoken", &token),
            ("string_var", "abc"),
            ("multi_choice_var", "red"),
            ("multi_choice_var", "green"),
            ("json_var", "{\"a\": 1}"),
            ("dryrun", "true"),
        ],
    );
    assert_eq!(res.status, 302, "{}", res.body);
    let page = admin.get(res.header("location").unwrap());
    assert!(page.body.contains("id=\"result-dryrun\">Yes"));
}
