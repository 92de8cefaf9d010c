//! What keeps lists cheap at any size, as a client sees it: `next` links that carry a
//! seek key walk every object exactly once in the list's order (whatever the sort,
//! NULLs included, with filters, at depth 0 and 1), counts that come from row counters
//! stay exact through creates, deletes and rolled-back writes, and a cursor that is not
//! one is a 400. Each test runs on SQLite and PostgreSQL.

use serde_json::{json, Value};
use support::{both_backends, Backend, Client, Root, Server, ADMIN_TOKEN};

both_backends!(
    next_links_walk_every_object_once_in_order,
    counts_stay_exact_through_writes_and_rollbacks,
    a_bad_cursor_is_a_clear_error_and_a_foreign_one_is_ignored,
    forms_and_filters_point_at_big_tables_with_a_text_input,
    bulk_creates_check_each_item_in_order_and_write_in_batches,
);

fn start(backend: Backend) -> (Root, Server) {
    support::start(backend, &[])
}

fn api(server: &Server) -> Client {
    server.client().with_token(ADMIN_TOKEN)
}

fn post(client: &Client, path: &str, body: Value) -> Value {
    let res = client.send_json("POST", path, &body);
    assert_eq!(res.status, 201, "POST {path}: {}", res.body);
    res.json()
}

/// 45 locations: names with ties broken by parent, half without an ASN (NULL).
fn seed(client: &Client) {
    let lt = post(
        client,
        "/api/dcim/location-types/",
        json!({"name": "Site", "nestable": true}),
    );
    let parents: Vec<Value> = (0..3)
        .map(|i| {
            post(
                client,
                "/api/dcim/locations/",
                json!({"name": format!("Region {i}"), "location_type": lt["id"], "status": "Active"}),
            )
        })
        .collect();
    let items: Vec<Value> = (0..42)
        .map(|i| {
            json!({
                "name": format!("Site {:02}", i % 14),
                "parent": parents[i % 3]["id"],
                "location_type": lt["id"],
                "status": "Active",
                "asn": if i % 2 == 0 { Value::Null } else { json!(64_000 + (i % 5)) },
            })
        })
        .collect();
    post(client, "/api/dcim/locations/", Value::Array(items));
}

/// The ids of every page, following `next` links from `first` as pynautobot does.
fn walk(client: &Client, server: &Server, first: &str) -> (Vec<String>, usize) {
    let base = server.base_url();
    let mut ids = Vec::new();
    let mut url = first.to_string();
    let mut pages = 0;
    loop {
        let res = client.get(&url);
        assert_eq!(res.status, 200, "GET {url}: {}", res.body);
        let page = res.json();
        for r in page["results"].as_array().unwrap() {
            ids.push(r["id"].as_str().unwrap().to_string());
        }
        pages += 1;
        assert!(pages < 100, "the walk does not end");
        match page["next"].as_str() {
            Some(next) => {
                assert!(next.contains("cursor="), "{next}");
                url = next[base.len()..].to_string();
            }
            None => break,
        }
    }
    (ids, pages)
}

fn ids_of(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn next_links_walk_every_object_once_in_order(backend: Backend) {
    let (_root, server) = start(backend);
    let client = api(&server);
    seed(&client);
    for sort in [
        "",
        "name",
        "-name",
        "asn",
        "-asn",
        "parent",
        "-parent",
        "created",
        "-last_updated",
        "asn,-name",
    ] {
        for filter in ["", "&name__isw=site", "&depth=1"] {
            let sort_param = if sort.is_empty() {
                String::new()
            } else {
                format!("&sort={sort}")
            };
            let whole = client
                .get(&format!(
                    "/api/dcim/locations/?limit=1000{sort_param}{filter}"
                ))
                .json();
            let expected = ids_of(&whole);
            let (walked, pages) = walk(
                &client,
                &server,
                &format!("/api/dcim/locations/?limit=4{sort_param}{filter}"),
            );
            assert_eq!(walked, expected, "sort={sort:?} filter={filter:?}");
            assert_eq!(pages, expected.len().div_ceil(4), "sort={sort:?}");
        }
    }
    // Sorting descending is the exact reverse of sorting ascending.
    for field in ["name", "asn", "parent"] {
        let up = ids_of(
            &client
                .get(&format!("/api/dcim/locations/?limit=1000&sort={field}"))
                .json(),
        );
        let mut down = ids_of(
            &client
                .get(&format!("/api/dcim/locations/?limit=1000&sort=-{field}"))
                .json(),
        );
        down.reverse();
        assert_eq!(up, down, "{field}");
    }
    // A walk goes on from where it was: an object created before its position is not
    // seen, one deleted after it is not returned, and nothing is skipped or repeated.
    let first = client.get("/api/dcim/locations/?limit=10").json();
    let seen = ids_of(&first);
    let doomed = client.get("/api/dcim/locations/?limit=1&sort=-name").json()["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        client
            .request(
                "DELETE",
                &format!("/api/dcim/locations/{doomed}/"),
                &[],
                None
            )
            .status,
        204
    );
    let lt = client.get("/api/dcim/location-types/?name=Site").json()["results"][0]["id"].clone();
    let early = post(
        &client,
        "/api/dcim/locations/",
        json!({"name": "AAA before everything", "location_type": lt, "status": "Active"}),
    );
    let next = first["next"].as_str().unwrap();
    let (rest, _) = walk(&client, &server, &next[server.base_url().len()..]);
    let now = ids_of(&client.get("/api/dcim/locations/?limit=1000").json());
    let position = now.iter().position(|id| Some(id) == seen.last()).unwrap();
    assert_eq!(rest, now[position + 1..].to_vec());
    assert!(!rest.contains(&doomed));
    assert!(!rest.contains(&early["id"].as_str().unwrap().to_string()));
}

fn counts_stay_exact_through_writes_and_rollbacks(backend: Backend) {
    let (_root, server) = start(backend);
    let client = api(&server);
    let count = |path: &str| client.get(path).json()["count"].as_u64().unwrap();
    assert_eq!(count("/api/dcim/manufacturers/"), 0);
    let items: Vec<Value> = (0..30)
        .map(|i| json!({"name": format!("maker {i}")}))
        .collect();
    let made = post(&client, "/api/dcim/manufacturers/", Value::Array(items));
    assert_eq!(count("/api/dcim/manufacturers/"), 30);
    assert_eq!(count("/api/dcim/manufacturers/?name__isw=maker 1"), 11);
    // Whatever page is asked for, the count is of every match.
    assert_eq!(count("/api/dcim/manufacturers/?offset=25"), 30);
    assert_eq!(count("/api/dcim/manufacturers/?offset=100"), 30);
    assert_eq!(
        count("/api/dcim/manufacturers/?name__isw=maker&limit=5&offset=28"),
        30
    );
    assert_eq!(
        count("/api/dcim/manufacturers/?name__isw=maker&offset=300"),
        30
    );
    // A bulk create whose last item fails writes nothing, and counts nothing.
    let res = client.send_json(
        "POST",
        "/api/dcim/manufacturers/",
        &json!([{"name": "fresh 1"}, {"name": "fresh 2"}, {"name": "maker 3"}]),
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(count("/api/dcim/manufacturers/"), 30);
    // Deletes, one and in bulk.
    let ids: Vec<Value> = made.as_array().unwrap()[..10]
        .iter()
        .map(|m| json!({"id": m["id"]}))
        .collect();
    let one = format!(
        "/api/dcim/manufacturers/{}/",
        made[29]["id"].as_str().unwrap()
    );
    assert_eq!(client.request("DELETE", &one, &[], None).status, 204);
    assert_eq!(
        client
            .send_json("DELETE", "/api/dcim/manufacturers/", &Value::Array(ids))
            .status,
        204
    );
    assert_eq!(count("/api/dcim/manufacturers/"), 19);
    // Many separate writes (PostgreSQL folds its counter deltas after a while).
    for i in 0..80 {
        post(
            &client,
            "/api/dcim/manufacturers/",
            json!({"name": format!("one by one {i}")}),
        );
        if i % 20 == 0 {
            assert_eq!(count("/api/dcim/manufacturers/"), 19 + i + 1);
        }
    }
    assert_eq!(count("/api/dcim/manufacturers/"), 99);
    assert_eq!(
        client.get("/api/dcim/manufacturers/?limit=1000").json()["results"]
            .as_array()
            .unwrap()
            .len(),
        99
    );
}

fn a_bad_cursor_is_a_clear_error_and_a_foreign_one_is_ignored(backend: Backend) {
    let (_root, server) = start(backend);
    let client = api(&server);
    let items: Vec<Value> = (0..6).map(|i| json!({"name": format!("m{i}")})).collect();
    post(&client, "/api/dcim/manufacturers/", Value::Array(items));
    let res = client.get("/api/dcim/manufacturers/?limit=2&offset=2&cursor=not-a-cursor!");
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(res.json(), json!({"cursor": ["Invalid cursor."]}));
    // A cursor made for another order: the offset applies.
    let page = client
        .get("/api/dcim/manufacturers/?limit=2&sort=-name")
        .json();
    let next = page["next"].as_str().unwrap();
    let cursor = next.split("cursor=").nth(1).unwrap();
    let other = client
        .get(&format!(
            "/api/dcim/manufacturers/?limit=2&offset=2&cursor={cursor}"
        ))
        .json();
    let names: Vec<&str> = other["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["m2", "m3"]);
}

fn forms_and_filters_point_at_big_tables_with_a_text_input(backend: Backend) {
    let (_root, server) = start(backend);
    let client = api(&server);
    let lt = post(
        &client,
        "/api/dcim/location-types/",
        json!({"name": "Site", "nestable": true}),
    );
    let small: Vec<Value> = (0..3)
        .map(|i| json!({"name": format!("Region {i}"), "location_type": lt["id"], "status": "Active"}))
        .collect();
    post(&client, "/api/dcim/locations/", Value::Array(small));
    let browser = server.client();
    assert_eq!(browser.login("admin", "admin").status, 302);
    // Few locations: the parent filter is a select of them.
    let page = browser.get("/dcim/locations/").body;
    assert!(page.contains("<select name=\"parent\""), "{page}");
    assert!(page.contains(">Region 2</option>"));
    // More than a hundred: a text input taking a name or an id, in filters and forms.
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"name": format!("Site {i:03}"), "location_type": lt["id"], "status": "Active"}))
        .collect();
    post(&client, "/api/dcim/locations/", Value::Array(many));
    let page = browser.get("/dcim/locations/").body;
    assert!(!page.contains("<select name=\"parent\""));
    assert!(page.contains("name=\"parent\""), "{page}");
    assert!(!page.contains(">Site 050</option>"));
    let form = browser.get("/dcim/locations/add/").body;
    assert!(form.contains("name=\"parent\""));
    assert!(!form.contains("<select name=\"parent\""));
    // Statuses stay a select: they are restricted to the model's content types.
    assert!(form.contains("<select name=\"status\""));
    let filtered = browser.get("/dcim/locations/?parent=Region%201").body;
    assert!(
        filtered.contains("No "),
        "no location has Region 1 as parent yet"
    );
    let child = post(
        &client,
        "/api/dcim/locations/",
        json!({"name": "Room", "parent": "Region 1", "location_type": lt["id"], "status": "Active"}),
    );
    assert!(child["parent"]["id"].is_string());
    let filtered = browser.get("/dcim/locations/?parent=Region%201").body;
    assert!(filtered.contains(">Room</a>"), "{filtered}");
}

fn bulk_creates_check_each_item_in_order_and_write_in_batches(backend: Backend) {
    let mut root = Root::new(backend);
    root.plugins(&["example_plugin"]);
    root.install();
    let server = root.start();
    let client = api(&server);
    let path = "/api/plugins/example-plugin/example-models/";
    post(&client, path, json!({"name": "taken"}));
    let changes = |client: &Client| {
        client.get("/api/extras/object-changes/?limit=1").json()["count"]
            .as_u64()
            .unwrap()
    };
    let before = changes(&client);
    // The first failing item is reported, whatever the kind of check that fails.
    let cases = [
        (
            json!([{"name": "a"}, {"name": "forbidden"}, {"name": "taken"}]),
            1,
            "name",
            "ExampleModel name 'forbidden' is not allowed",
        ),
        (
            json!([{"name": "a"}, {"name": "taken"}, {"name": "forbidden"}]),
            1,
            "name",
            "example model with this name already exists.",
        ),
        (
            json!([{"name": "a"}, {"number": 3}, {"name": "taken"}]),
            1,
            "name",
            "This field is required.",
        ),
        (
            json!([{"name": "a"}, {"name": "b"}, {"name": "a"}, {"name": "forbidden"}]),
            2,
            "name",
            "example model with this name already exists.",
        ),
    ];
    for (body, index, field, message) in cases {
        let res = client.send_json("POST", path, &body);
        assert_eq!(res.status, 400, "{body}: {}", res.body);
        let errors = res.json();
        let list = errors.as_array().unwrap();
        assert_eq!(list.len(), index + 1, "{body}: {errors}");
        assert!(list[..index].iter().all(|e| e == &json!({})), "{errors}");
        let got = list[index][field][0].as_str().unwrap_or_default();
        assert!(got.contains(message), "{body}: {errors}");
    }
    assert_eq!(client.get(path).json()["count"], 1, "nothing was written");
    assert_eq!(changes(&client), before);
    // 600 objects in one request: all written, as they are read back, each logged.
    let items: Vec<Value> = (0..600)
        .map(|i| json!({"name": format!("bulk {i:03}"), "number": i}))
        .collect();
    let made = post(&client, path, Value::Array(items));
    let made = made.as_array().unwrap();
    assert_eq!(made.len(), 600);
    assert_eq!(made[599]["name"], "bulk 599");
    assert_eq!(made[599]["number"], 599);
    let one = client
        .get(&format!("{path}{}/", made[123]["id"].as_str().unwrap()))
        .json();
    assert_eq!(one, made[123]);
    assert_eq!(client.get(path).json()["count"], 601);
    assert_eq!(changes(&client), before + 600);
    let logged = client
        .get(&format!(
            "/api/extras/object-changes/?changed_object_id={}",
            made[42]["id"].as_str().unwrap()
        ))
        .json();
    assert_eq!(logged["count"], 1);
    assert_eq!(logged["results"][0]["action"]["value"], "create");
}
