//! The declarative migrations of the core apps and plugins, through the real binary:
//! `showmigrations`, `migrate` (idempotent, atomic per migration), a plugin evolving its
//! model across releases while keeping its data, `check` catching an applied migration
//! edited in place, and `migrate <app> zero`.
//!
//! The `evolving` fixture plays every release of one plugin: its manifest follows the
//! environment variable `EVOLVING_STAGE` (`1`, `2`, `edited`, `broken`), which each
//! command and server here is given explicitly.

use diesel::{
    connection::SimpleConnection, sql_types::Text, Connection, PgConnection, QueryableByName,
    RunQueryDsl, SqliteConnection,
};
use serde_json::{json, Value};
use support::{both_backends, Backend, Output, Root, Server, ADMIN_TOKEN};

both_backends!(
    showmigrations_lists_every_app_and_migrate_is_idempotent,
    a_plugin_evolves_through_its_migrations_keeping_its_data,
    check_refuses_an_applied_migration_edited_in_place,
    a_failing_migration_is_rolled_back_as_a_whole,
    migrate_zero_unapplies_a_plugin_app_unless_another_refers_to_it,
    a_plugin_with_bad_models_stops_check_and_migrate,
    core_pages_keep_working_when_a_plugin_is_uninstalled_under_a_running_server,
    device_lifecycle_upgrades_to_many_to_many_fields_keeping_every_link,
);

const WIDGETS: &str = "/api/plugins/evolving/widgets/";

fn stage(name: &str) -> [(&str, &str); 1] {
    [("EVOLVING_STAGE", name)]
}

/// `nautobot-server <args>` with the `evolving` plugin at `stage`.
fn run_at(root: &Root, stage_name: &str, args: &[&str]) -> Output {
    root.run_with_env(args, &stage(stage_name))
}

/// `showmigrations` parsed: each app in order with its migrations and whether applied.
fn showmigrations(root: &Root, stage_name: &str) -> Vec<(String, Vec<(String, bool)>)> {
    let out = run_at(root, stage_name, &["showmigrations"]).success();
    let mut apps: Vec<(String, Vec<(String, bool)>)> = Vec::new();
    for line in out.stdout.lines() {
        if let Some(rest) = line.strip_prefix(" [X] ") {
            apps.last_mut()
                .expect("an app first")
                .1
                .push((rest.into(), true));
        } else if let Some(rest) = line.strip_prefix(" [ ] ") {
            apps.last_mut()
                .expect("an app first")
                .1
                .push((rest.into(), false));
        } else {
            assert!(
                !line.starts_with(' ') && !line.is_empty(),
                "unexpected line {line:?} in:\n{}",
                out.stdout
            );
            apps.push((line.to_string(), Vec::new()));
        }
    }
    apps
}

/// The migrations of `app` in a parsed `showmigrations`.
fn migrations_of(apps: &[(String, Vec<(String, bool)>)], app: &str) -> Vec<(String, bool)> {
    apps.iter()
        .find(|(a, _)| a == app)
        .map(|(_, m)| m.clone())
        .unwrap_or_else(|| panic!("no app {app} in {apps:?}"))
}

fn owned(rows: &[(&str, bool)]) -> Vec<(String, bool)> {
    rows.iter().map(|(n, a)| (n.to_string(), *a)).collect()
}

/// The one line a failed command printed on stderr.
fn one_line(out: &Output) -> String {
    assert_ne!(out.code, 0, "the command should fail:\n{}", out.stdout);
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 1, "one line on stderr, got:\n{}", out.stderr);
    lines[0].to_string()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Asks the test database directly (a fresh connection each time): `sql` must return
/// one text column called `name`.
fn names(root: &Root, sql: &str) -> Vec<String> {
    let url = &root.database.url;
    let rows: Vec<Name> = match root.database.backend {
        Backend::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            let mut conn = SqliteConnection::establish(path).expect("open the SQLite database");
            conn.batch_execute("PRAGMA busy_timeout = 5000").unwrap();
            diesel::sql_query(sql).load(&mut conn)
        }
        Backend::Postgres => {
            let mut conn = PgConnection::establish(url).expect("connect to the test database");
            diesel::sql_query(sql).load(&mut conn)
        }
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut names: Vec<String> = rows.into_iter().map(|r| r.name).collect();
    names.sort();
    names
}

/// The columns of `table`, sorted.
fn columns(root: &Root, table: &str) -> Vec<String> {
    names(
        root,
        &match root.database.backend {
            Backend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}')"),
            Backend::Postgres => format!(
                "SELECT column_name::text AS name FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{table}'"
            ),
        },
    )
}

/// The tables of `app` (`<app>_<model>`), sorted.
fn tables(root: &Root, app: &str) -> Vec<String> {
    let pattern = format!("{}\\_%", app.replace('_', "\\_"));
    names(
        root,
        &match root.database.backend {
            Backend::Sqlite => format!(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name LIKE '{pattern}' ESCAPE '\\'"
            ),
            Backend::Postgres => format!(
                "SELECT tablename::text AS name FROM pg_tables \
                 WHERE schemaname = 'public' AND tablename LIKE '{pattern}' ESCAPE '\\'"
            ),
        },
    )
}

/// The indexes of `table`, sorted.
fn indexes(root: &Root, table: &str) -> Vec<String> {
    names(
        root,
        &match root.database.backend {
            Backend::Sqlite => format!(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' \
                 AND name NOT LIKE 'sqlite_autoindex_%'"
            ),
            Backend::Postgres => format!(
                "SELECT indexname::text AS name FROM pg_indexes \
                 WHERE schemaname = 'public' AND tablename = '{table}' AND indexname NOT LIKE '%_pkey'"
            ),
        },
    )
}

fn sorted(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// The `results` of a list, by `name`.
fn widgets(server: &Server) -> Vec<Value> {
    let api = server.client().with_token(ADMIN_TOKEN);
    let list = api.get(WIDGETS);
    assert_eq!(list.status, 200, "{}", list.body);
    let mut results = list.json()["results"]
        .as_array()
        .expect("a page of results")
        .clone();
    results.sort_by_key(|w| w["name"].as_str().unwrap_or_default().to_string());
    results
}

fn showmigrations_lists_every_app_and_migrate_is_idempotent(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["evolving"]);
    let before = showmigrations(&root, "1");
    let apps: Vec<&str> = before.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(apps, ["core", "extras", "dcim", "ipam", "evolving"]);
    for (app, migrations) in &before {
        assert!(!migrations.is_empty(), "{app} has migrations");
        assert!(
            migrations.iter().all(|(_, applied)| !applied),
            "nothing applied yet in {app}: {migrations:?}"
        );
    }
    assert_eq!(
        migrations_of(&before, "evolving"),
        owned(&[("0001_initial", false)])
    );

    let first = run_at(&root, "1", &["migrate"]).success();
    assert!(
        first
            .stdout
            .contains("Apply all migrations: core, extras, dcim, ipam, evolving"),
        "{}",
        first.stdout
    );
    for applied in [
        "Applying core.0001_auth... OK",
        "Applying extras.0001_initial... OK",
        "Applying dcim.0001_initial... OK",
        "Applying ipam.0001_initial... OK",
        "Applying evolving.0001_initial... OK",
    ] {
        assert!(
            first.stdout.contains(applied),
            "{applied}:\n{}",
            first.stdout
        );
    }
    assert!(!first.stdout.contains("No migrations to apply."));

    let after = showmigrations(&root, "1");
    assert_eq!(
        after.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        apps
    );
    for ((app, was), (_, now)) in before.iter().zip(&after) {
        let names = |m: &[(String, bool)]| m.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(was), names(now), "same migrations of {app}");
        assert!(now.iter().all(|(_, applied)| *applied), "{app}: {now:?}");
    }

    let second = run_at(&root, "1", &["migrate"]).success();
    assert!(
        second.stdout.contains("No migrations to apply."),
        "{}",
        second.stdout
    );
    assert!(!second.stdout.contains("Applying"), "{}", second.stdout);
    // The seed row of the data migration was inserted once.
    assert_eq!(
        names(&root, "SELECT name FROM evolving_widget"),
        sorted(&["seed"])
    );
}

fn a_plugin_evolves_through_its_migrations_keeping_its_data(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["evolving"]);
    root.install();
    assert_eq!(
        columns(&root, "evolving_widget"),
        sorted(&["id", "name", "size", "note", "created", "last_updated"])
    );

    {
        let server = root.start_with_env(&stage("1"));
        let api = server.client().with_token(ADMIN_TOKEN);
        let created = api.send_json("POST", WIDGETS, &json!({"name": "a", "size": 3}));
        assert_eq!(created.status, 201, "{}", created.body);
        let a = created.json();
        assert_eq!(a["size"], 3);
        assert_eq!(a["note"], "");
        let all = widgets(&server);
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(all[1]["name"], "seed");
        assert_eq!(all[1]["size"], 5);
        assert_eq!(all[1]["note"], "");
    }

    // Release 2 of the plugin: its new migrations are pending, and the server refuses
    // to start on the old tables.
    let shown = showmigrations(&root, "2");
    assert_eq!(
        migrations_of(&shown, "evolving"),
        owned(&[
            ("0001_initial", true),
            ("0002_evolve", false),
            ("0003_remove", false),
        ])
    );
    let check = run_at(&root, "2", &["check"]);
    assert!(
        one_line(&check)
            .ends_with("has unapplied migrations of evolving: run `nautobot-server migrate`"),
        "{}",
        check.stderr
    );

    let migrated = run_at(&root, "2", &["migrate"]).success();
    let evolve = migrated
        .stdout
        .find("Applying evolving.0002_evolve... OK")
        .unwrap_or_else(|| panic!("0002 applied:\n{}", migrated.stdout));
    let remove = migrated
        .stdout
        .find("Applying evolving.0003_remove... OK")
        .unwrap_or_else(|| panic!("0003 applied:\n{}", migrated.stdout));
    assert!(evolve < remove, "{}", migrated.stdout);
    assert_eq!(
        migrated.stdout.matches("Applying").count(),
        2,
        "{}",
        migrated.stdout
    );
    assert_eq!(
        columns(&root, "evolving_widget"),
        sorted(&[
            "id",
            "name",
            "quantity",
            "note",
            "location_id",
            "created",
            "last_updated"
        ])
    );
    let idx = indexes(&root, "evolving_widget");
    assert!(
        idx.contains(&"evolving_widget_name_qty".to_string()),
        "the index 0002 added survives 0003: {idx:?}"
    );
    assert!(
        idx.contains(&"evolving_widget_name_uniq".to_string()),
        "the unique index of name survives: {idx:?}"
    );
    run_at(&root, "2", &["check"]).success();
    let again = run_at(&root, "2", &["migrate"]).success();
    assert!(again.stdout.contains("No migrations to apply."));

    let server = root.start_with_env(&stage("2"));
    let all = widgets(&server);
    assert_eq!(all.len(), 2, "{all:?}");
    let (a, seed) = (&all[0], &all[1]);
    assert_eq!(a["name"], "a");
    assert_eq!(a["quantity"], 3, "the renamed column kept its data: {a}");
    assert_eq!(a["note"], "");
    assert_eq!(a["location"], Value::Null);
    assert_eq!(seed["name"], "seed");
    assert_eq!(seed["quantity"], 5, "{seed}");
    for w in &all {
        assert!(w.get("size").is_none(), "size was renamed: {w}");
        assert!(w.get("weight").is_none(), "weight was removed: {w}");
    }

    let api = server.client().with_token(ADMIN_TOKEN);
    let long_note = "n".repeat(80);
    let created = api.send_json(
        "POST",
        WIDGETS,
        &json!({"name": "b", "quantity": 7, "note": long_note, "weight": 1.5}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let b = created.json();
    assert_eq!(b["quantity"], 7);
    assert_eq!(
        b["note"],
        long_note.as_str(),
        "note holds 100 characters now"
    );
    assert_eq!(b["location"], Value::Null);
    assert!(b.get("weight").is_none(), "weight is not a field: {b}");
    let too_long = api.send_json(
        "POST",
        WIDGETS,
        &json!({"name": "c", "note": "n".repeat(101)}),
    );
    assert_eq!(too_long.status, 400, "{}", too_long.body);
    let duplicate = api.send_json("POST", WIDGETS, &json!({"name": "seed"}));
    assert_eq!(
        duplicate.status, 400,
        "name is still unique: {}",
        duplicate.body
    );
    let fetched = api.get(&format!("{WIDGETS}{}/", b["id"].as_str().unwrap()));
    assert_eq!(fetched.status, 200, "{}", fetched.body);
    assert_eq!(fetched.json()["quantity"], 7);
    assert_eq!(widgets(&server).len(), 3);
}

fn check_refuses_an_applied_migration_edited_in_place(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["evolving"]);
    run_at(&root, "1", &["migrate"]).success();
    run_at(&root, "1", &["check"]).success();

    // The same migration names, so nothing is pending: only what was applied differs.
    let pending = run_at(&root, "edited", &["migrate"]).success();
    assert!(pending.stdout.contains("No migrations to apply."));
    let out = run_at(&root, "edited", &["check"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    let line = one_line(&out);
    for fragment in [
        "Plugin 'evolving'",
        "model evolving.widget differs from its applied migrations",
    ] {
        assert!(line.contains(fragment), "{fragment:?} in {line}");
    }
    // The server refuses to start the same way; release 1 still checks clean.
    let start = run_at(&root, "edited", &["start", "--bind", "127.0.0.1:0"]);
    assert!(
        one_line(&start).contains("model evolving.widget differs from its applied migrations"),
        "{}",
        start.stderr
    );
    run_at(&root, "1", &["check"]).success();
}

fn a_failing_migration_is_rolled_back_as_a_whole(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["evolving"]);
    root.install();
    let before_columns = columns(&root, "evolving_widget");
    let before_indexes = indexes(&root, "evolving_widget");

    let out = run_at(&root, "broken", &["migrate"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    let line = one_line(&out);
    assert!(
        line.contains("migration evolving.0002_evolve failed and was rolled back"),
        "{line}"
    );
    assert_eq!(
        migrations_of(&showmigrations(&root, "broken"), "evolving"),
        owned(&[("0001_initial", true), ("0002_evolve", false)])
    );
    // Neither the column its first operation added nor any row stayed behind.
    assert_eq!(columns(&root, "evolving_widget"), before_columns);
    assert_eq!(indexes(&root, "evolving_widget"), before_indexes);
    assert_eq!(
        names(&root, "SELECT name FROM evolving_widget"),
        sorted(&["seed"])
    );
    // Retrying fails the same way, not differently half-way.
    let retry = run_at(&root, "broken", &["migrate"]);
    assert!(
        one_line(&retry).contains("migration evolving.0002_evolve failed and was rolled back"),
        "{}",
        retry.stderr
    );

    // Release 1 still runs on the untouched table.
    run_at(&root, "1", &["check"]).success();
    let server = root.start_with_env(&stage("1"));
    let all = widgets(&server);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["name"], "seed");
    assert_eq!(all[0]["size"], 5);
    let api = server.client().with_token(ADMIN_TOKEN);
    let created = api.send_json("POST", WIDGETS, &json!({"name": "after", "size": 2}));
    assert_eq!(created.status, 201, "{}", created.body);
}

fn migrate_zero_unapplies_a_plugin_app_unless_another_refers_to_it(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin", "model_dependent", "evolving"]);
    run_at(&root, "1", &["migrate"]).success();
    let example_tables = tables(&root, "example_plugin");
    assert!(!example_tables.is_empty());

    let zero = run_at(&root, "1", &["migrate", "evolving", "zero"]).success();
    assert!(
        zero.stdout.contains("Unapply all migrations: evolving"),
        "{}",
        zero.stdout
    );
    assert!(
        zero.stdout.contains("Dropped table evolving_widget... OK"),
        "{}",
        zero.stdout
    );
    assert!(tables(&root, "evolving").is_empty(), "the table is gone");
    assert_eq!(
        migrations_of(&showmigrations(&root, "1"), "evolving"),
        owned(&[("0001_initial", false)])
    );
    let again = run_at(&root, "1", &["migrate", "evolving", "zero"]).success();
    assert!(
        again.stdout.contains("No migrations to unapply."),
        "{}",
        again.stdout
    );
    // And back: the table and its seed row return.
    let reapplied = run_at(&root, "1", &["migrate"]).success();
    assert!(reapplied
        .stdout
        .contains("Applying evolving.0001_initial... OK"));
    assert_eq!(
        names(&root, "SELECT name FROM evolving_widget"),
        sorted(&["seed"])
    );

    let refused = run_at(&root, "1", &["migrate", "example_plugin", "zero"]);
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    let line = one_line(&refused);
    assert!(line.contains("cannot unapply example_plugin"), "{line}");
    assert!(line.contains("model_dependent.widget"), "{line}");
    assert_eq!(
        tables(&root, "example_plugin"),
        example_tables,
        "nothing was dropped"
    );

    let dependent = run_at(&root, "1", &["migrate", "model_dependent", "zero"]).success();
    assert!(
        dependent
            .stdout
            .contains("Dropped table model_dependent_widget... OK"),
        "{}",
        dependent.stdout
    );
    let example = run_at(&root, "1", &["migrate", "example_plugin", "zero"]).success();
    for table in &example_tables {
        assert!(
            example
                .stdout
                .contains(&format!("Dropped table {table}... OK")),
            "{table}:\n{}",
            example.stdout
        );
    }
    let shown = showmigrations(&root, "1");
    for app in ["example_plugin", "model_dependent"] {
        assert!(
            migrations_of(&shown, app)
                .iter()
                .all(|(_, applied)| !applied),
            "{app}: {shown:?}"
        );
    }
    assert!(migrations_of(&shown, "dcim").iter().all(|(_, a)| *a));

    let core = run_at(&root, "1", &["migrate", "dcim", "zero"]);
    assert_eq!(core.code, 2, "{}", core.stderr);
    assert!(
        one_line(&core).contains("Cannot unapply 'dcim': it is a core app"),
        "{}",
        core.stderr
    );
    assert!(!columns(&root, "dcim_location").is_empty());

    let unknown = run_at(&root, "1", &["migrate", "nosuchapp"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert_eq!(
        one_line(&unknown),
        "Error: No installed app with label 'nosuchapp'."
    );
}

fn a_plugin_with_bad_models_stops_check_and_migrate(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["bad_models"]);
    let library = support::paths::plugin_library("bad_models");
    let library = library.to_str().unwrap();
    for command in [
        &["check"][..],
        &["migrate"],
        &["showmigrations"],
        &["collectstatic", "--no-input"],
        &["plugins", "inspect", library],
    ] {
        let out = root.run(command);
        assert_eq!(out.code, 4, "{command:?}: {}", out.stderr);
        let line = one_line(&out);
        for fragment in [
            "Plugin 'bad_models'",
            "model bad_models.widget uses a reserved field name",
            "a field named 'created'",
        ] {
            assert!(
                line.contains(fragment),
                "{command:?}: {fragment:?} in {line}"
            );
        }
    }
    // Nothing was migrated.
    root.set("PLUGINS", "[]");
    let clean = showmigrations(&root, "1");
    assert!(clean.iter().all(|(_, m)| m.iter().all(|(_, a)| !a)));
}

/// `migrate <plugin> zero` while a server that loaded the plugin runs: the core pages and
/// APIs that would read the plugin's dropped tables (related objects, delete cascades)
/// leave them out with a warning, and `check` then names the plugin and says to remove it
/// from `PLUGINS` rather than migrating it back.
fn core_pages_keep_working_when_a_plugin_is_uninstalled_under_a_running_server(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let location_type = support::data::location_type(&api, "Site");
    let location = support::data::post_location(&api, "HQ", &location_type);
    assert_eq!(location.status, 201, "{}", location.body);
    let id = location.json()["id"].as_str().unwrap().to_string();
    let another = api.send_json(
        "POST",
        "/api/plugins/example-plugin/another-example-models/",
        &json!({"name": "attached", "location": id}),
    );
    assert_eq!(another.status, 201, "{}", another.body);
    let ui = server.client();
    assert_eq!(ui.login("admin", "admin").status, 302);
    let detail = ui.get(&format!("/dcim/locations/{id}/"));
    assert_eq!(detail.status, 200);
    assert!(
        detail.body.contains("Another example models"),
        "{}",
        detail.body
    );

    root.run(&["migrate", "example_plugin", "zero"]).success();

    let detail = ui.get(&format!("/dcim/locations/{id}/"));
    assert_eq!(detail.status, 200, "{}", server.log());
    assert!(!detail.body.contains("Another example models"));
    assert_eq!(ui.get("/dcim/locations/").status, 200);
    assert_eq!(api.get(&format!("/api/dcim/locations/{id}/")).status, 200);
    let deleted = api.request("DELETE", &format!("/api/dcim/locations/{id}/"), &[], None);
    assert_eq!(deleted.status, 204, "{}\n{}", deleted.body, server.log());
    assert!(
        server
            .log()
            .contains("the table example_plugin_anotherexamplemodel is gone"),
        "{}",
        server.log()
    );

    let check = root.run(&["check"]);
    assert_eq!(check.code, 5, "{}", check.stderr);
    assert!(
        one_line(&check).ends_with(
            "has unapplied migrations of example_plugin: run `nautobot-server migrate` to install example_plugin, or, if example_plugin was uninstalled with `nautobot-server migrate <plugin> zero`, remove example_plugin from PLUGINS"
        ),
        "{}",
        check.stderr
    );
    root.set("PLUGINS", "[]");
    root.run(&["check"]).success();
}

/// device_lifecycle 1.0.0 (the `device_lifecycle_v1` fixture: single `device_type` and
/// `device` references on validated software) with objects in it, then upgraded as an
/// operator would (install the new library, migrate): `0002_validated_software_lists`
/// moves each reference into the many-to-many lists, and nothing is lost.
fn device_lifecycle_upgrades_to_many_to_many_fields_keeping_every_link(backend: Backend) {
    const VALIDATED: &str = "/api/plugins/device-lifecycle/validated-software/";
    let mut root = Root::new(backend);
    let library = root.plugins_dir().join("libdevice_lifecycle.so");
    std::fs::copy(
        support::paths::plugin_library("device_lifecycle_v1"),
        &library,
    )
    .unwrap();
    root.set("PLUGINS", "[\"device_lifecycle\"]");
    root.install();
    let (types, device, rows) = {
        let server = root.start();
        let api = server.client().with_token(ADMIN_TOKEN);
        let create = |path: &str, body: Value| -> String {
            let res = api.send_json("POST", path, &body);
            assert_eq!(res.status, 201, "{path}: {}", res.body);
            res.json()["id"].as_str().unwrap().to_string()
        };
        let site = create("/api/dcim/location-types/", json!({"name": "Site"}));
        let hq = create(
            "/api/dcim/locations/",
            json!({"name": "HQ", "location_type": site, "status": "Active"}),
        );
        let maker = create("/api/dcim/manufacturers/", json!({"name": "Acme"}));
        let platform = create("/api/dcim/platforms/", json!({"name": "AcmeOS"}));
        let role = create(
            "/api/extras/roles/",
            json!({"name": "Edge", "content_types": ["dcim.device"]}),
        );
        let types: Vec<String> = ["R1", "R2"]
            .iter()
            .map(|m| {
                create(
                    "/api/dcim/device-types/",
                    json!({"manufacturer": maker, "model": m}),
                )
            })
            .collect();
        let device = create(
            "/api/dcim/devices/",
            json!({"name": "edge1", "device_type": types[0], "role": role, "location": hq,
                   "status": "Active"}),
        );
        let software = create(
            "/api/plugins/device-lifecycle/software-versions/",
            json!({"platform": platform, "version": "1.0"}),
        );
        let rows = vec![
            create(
                VALIDATED,
                json!({"software": software, "device_type": types[0], "start": "2020-01-01"}),
            ),
            create(
                VALIDATED,
                json!({"software": software, "device": device, "start": "2021-01-01"}),
            ),
            create(
                VALIDATED,
                json!({"software": software, "device_type": types[1], "device": device,
                       "start": "2022-01-01"}),
            ),
        ];
        (types, device, rows)
    };

    // The upgrade.
    std::fs::copy(support::paths::plugin_library("device_lifecycle"), &library).unwrap();
    let migrated = root.run(&["migrate"]).success();
    assert!(
        migrated
            .stdout
            .contains("Applying device_lifecycle.0002_validated_software_lists... OK"),
        "{}",
        migrated.stdout
    );
    let server = root.start();
    let api = server.client().with_token(ADMIN_TOKEN);
    let ids = |object: &Value, field: &str| -> Vec<String> {
        object[field]
            .as_array()
            .unwrap_or_else(|| panic!("{field} is a list: {object}"))
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let expected = [
        (vec![types[0].clone()], vec![]),
        (vec![], vec![device.clone()]),
        (vec![types[1].clone()], vec![device.clone()]),
    ];
    for (id, (device_types, devices)) in rows.iter().zip(expected) {
        let object = api.get(&format!("{VALIDATED}{id}/")).json();
        assert_eq!(ids(&object, "device_types"), device_types, "{object}");
        assert_eq!(ids(&object, "devices"), devices, "{object}");
        assert!(
            object.get("device_type").is_none() && object.get("device").is_none(),
            "{object}"
        );
    }
    let listed = api.get(&format!("{VALIDATED}?devices={device}")).json();
    assert_eq!(listed["count"], 2, "{listed}");
    // Deleting the device removes its links, not the validated software.
    let res = api.request("DELETE", &format!("/api/dcim/devices/{device}/"), &[], None);
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(api.get(VALIDATED).json()["count"], 3);
    assert_eq!(
        api.get(&format!("{VALIDATED}?devices__isnull=false"))
            .json()["count"],
        0
    );
}
