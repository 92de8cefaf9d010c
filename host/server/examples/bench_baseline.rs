//! The baseline of `scripts/bench`: a bare actix-web handler serving the same JSON as
//! `GET /api/dcim/locations/?limit=50` — every field, `location_type`/`parent`/`status`
//! as nested `{id, object_type, url}` references, `tags`, `custom_fields`, and the
//! `count`/`next`/`previous` envelope — from a SQLite table of locations it fills itself
//! (with an index on `name`, tags in a second table), with no authentication,
//! permissions, middleware, plugins or model layer. Our endpoints are measured against it
//! in the same run.
//!
//! ```text
//! cargo run --release -p nautobot-server --example bench_baseline -- \
//!     127.0.0.1:9001 /tmp/bench-baseline.sqlite3 2000
//! curl 'http://127.0.0.1:9001/api/dcim/locations/?limit=50'
//! ```
//!
//! Arguments: the address to listen on, the SQLite file (re-created), the number of
//! locations (default 1000), the number of actix workers (default 2).

use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use diesel::{
    connection::SimpleConnection,
    prelude::*,
    r2d2::{ConnectionManager, Pool},
    sql_query,
    sql_types::{BigInt, Nullable, Text},
    SqliteConnection,
};
use serde::{Deserialize, Serialize};

type DbPool = Pool<ConnectionManager<SqliteConnection>>;

/// The largest page, as the real API allows.
const MAX_LIMIT: i64 = 1000;

diesel::table! {
    location (id) {
        id -> Text,
        location_type_id -> Text,
        parent_id -> Nullable<Text>,
        name -> Text,
        status_id -> Text,
        description -> Text,
        facility -> Text,
        asn -> Nullable<BigInt>,
        time_zone -> Text,
        created -> Text,
        last_updated -> Text,
    }
}

diesel::table! {
    taggeditem (rowid) {
        rowid -> BigInt,
        tag_id -> Text,
        object_id -> Text,
    }
}

/// One location row; queries go through diesel's query builder, so that their prepared
/// statements are cached per connection (as a careful hand-written handler would).
#[derive(Queryable, Selectable)]
#[diesel(table_name = location)]
struct Row {
    id: String,
    location_type_id: String,
    parent_id: Option<String>,
    name: String,
    status_id: String,
    description: String,
    facility: String,
    asn: Option<i64>,
    time_zone: String,
    created: String,
    last_updated: String,
}

/// `{id, object_type, url}`.
#[derive(Serialize)]
struct Reference {
    id: String,
    object_type: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Location {
    id: String,
    object_type: &'static str,
    display: String,
    url: String,
    natural_slug: String,
    location_type: Reference,
    parent: Option<Reference>,
    name: String,
    status: Reference,
    description: String,
    facility: String,
    asn: Option<i64>,
    time_zone: String,
    tags: Vec<Reference>,
    created: String,
    last_updated: String,
    notes_url: String,
    custom_fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct Envelope {
    count: i64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<Location>,
}

#[derive(Deserialize)]
struct Paging {
    limit: Option<i64>,
    offset: Option<i64>,
}

fn reference(base: &str, object_type: &'static str, path: &str, id: &str) -> Reference {
    Reference {
        id: id.to_string(),
        object_type,
        url: format!("{base}{path}{id}/"),
    }
}

/// As the server builds it: the natural key's values (name, parent id) in lower case
/// with spaces as `-`, joined with `_`, then the first 4 characters of the id.
fn natural_slug(row: &Row) -> String {
    let slug = |s: &str| s.to_ascii_lowercase().replace(' ', "-");
    let parent = row.parent_id.as_deref().map_or("null".to_string(), slug);
    let short: String = row.id.chars().take(4).collect();
    format!("{}_{parent}_{short}", slug(&row.name))
}

fn page_url(base: &str, limit: i64, offset: i64) -> String {
    if offset <= 0 {
        format!("{base}/api/dcim/locations/?limit={limit}")
    } else {
        format!("{base}/api/dcim/locations/?limit={limit}&offset={offset}")
    }
}

fn load(pool: &DbPool, base: &str, limit: i64, offset: i64) -> Result<Envelope, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let count: i64 = location::table
        .count()
        .get_result(&mut conn)
        .map_err(|e| e.to_string())?;
    let rows: Vec<Row> = location::table
        .select(Row::as_select())
        .order((location::name, location::id))
        .limit(limit)
        .offset(offset)
        .load(&mut conn)
        .map_err(|e| e.to_string())?;
    let mut tags: Vec<(String, String)> = Vec::new();
    if !rows.is_empty() {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        tags = taggeditem::table
            .filter(taggeditem::object_id.eq_any(ids))
            .order(taggeditem::tag_id)
            .select((taggeditem::object_id, taggeditem::tag_id))
            .load(&mut conn)
            .map_err(|e| e.to_string())?;
    }
    let results = rows
        .into_iter()
        .map(|row| {
            let url = format!("{base}/api/dcim/locations/{}/", row.id);
            Location {
                object_type: "dcim.location",
                display: row.name.clone(),
                natural_slug: natural_slug(&row),
                location_type: reference(
                    base,
                    "dcim.locationtype",
                    "/api/dcim/location-types/",
                    &row.location_type_id,
                ),
                parent: row
                    .parent_id
                    .as_deref()
                    .map(|p| reference(base, "dcim.location", "/api/dcim/locations/", p)),
                status: reference(
                    base,
                    "extras.status",
                    "/api/extras/statuses/",
                    &row.status_id,
                ),
                tags: tags
                    .iter()
                    .filter(|(object_id, _)| *object_id == row.id)
                    .map(|(_, tag_id)| reference(base, "extras.tag", "/api/extras/tags/", tag_id))
                    .collect(),
                notes_url: format!("{url}notes/"),
                custom_fields: serde_json::Map::new(),
                url,
                id: row.id,
                name: row.name,
                description: row.description,
                facility: row.facility,
                asn: row.asn,
                time_zone: row.time_zone,
                created: row.created,
                last_updated: row.last_updated,
            }
        })
        .collect();
    let next = (offset + limit < count).then(|| page_url(base, limit, offset + limit));
    let previous = (offset > 0).then(|| page_url(base, limit, (offset - limit).max(0)));
    Ok(Envelope {
        count,
        next,
        previous,
        results,
    })
}

async fn locations(
    req: HttpRequest,
    paging: web::Query<Paging>,
    pool: web::Data<DbPool>,
) -> HttpResponse {
    let limit = paging.limit.unwrap_or(50).clamp(1, MAX_LIMIT);
    let offset = paging.offset.unwrap_or(0).max(0);
    let base = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let pool = pool.into_inner();
    let page = web::block(move || load(&pool, &base, limit, offset)).await;
    match page {
        Ok(Ok(page)) => HttpResponse::Ok().json(page),
        Ok(Err(e)) => HttpResponse::InternalServerError().body(e),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

/// A UUID-shaped id, deterministic per `(kind, n)`.
fn uuid(kind: u32, n: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        kind,
        (n >> 24) & 0xffff,
        (n >> 12) & 0xfff,
        n & 0xfff,
        n.wrapping_mul(0x9e37_79b9) & 0xffff_ffff_ffff
    )
}

/// Re-creates the tables and fills `count` locations in a region → site → room tree.
fn populate(conn: &mut SqliteConnection, count: u64) -> diesel::QueryResult<()> {
    conn.batch_execute(
        "PRAGMA journal_mode = WAL;
         DROP TABLE IF EXISTS location;
         DROP TABLE IF EXISTS taggeditem;
         CREATE TABLE location (
             id TEXT PRIMARY KEY, location_type_id TEXT NOT NULL, parent_id TEXT,
             name TEXT NOT NULL, status_id TEXT NOT NULL, description TEXT NOT NULL,
             facility TEXT NOT NULL, asn INTEGER, time_zone TEXT NOT NULL,
             created TEXT NOT NULL, last_updated TEXT NOT NULL);
         CREATE INDEX location_name ON location (name, id);
         CREATE TABLE taggeditem (rowid INTEGER PRIMARY KEY, tag_id TEXT NOT NULL, object_id TEXT NOT NULL);
         CREATE INDEX taggeditem_object ON taggeditem (object_id);",
    )?;
    let region_type = uuid(1, 1);
    let site_type = uuid(1, 2);
    let room_type = uuid(1, 3);
    let active = uuid(2, 1);
    let tag = uuid(3, 1);
    conn.transaction(|conn| {
        let regions = (count / 100).max(1);
        let sites = (count / 10).max(1);
        for i in 0..count {
            let id = uuid(4, i);
            let (kind, parent, name) = if i < regions {
                (&region_type, None, format!("Region {i:04}"))
            } else if i < regions + sites {
                let parent = uuid(4, i % regions);
                (&site_type, Some(parent), format!("Site {i:06}"))
            } else {
                let parent = uuid(4, regions + i % sites);
                (&room_type, Some(parent), format!("Room {i:07}"))
            };
            sql_query(
                "INSERT INTO location VALUES (?, ?, ?, ?, ?, '', '', ?, '', \
                 '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')",
            )
            .bind::<Text, _>(&id)
            .bind::<Text, _>(kind)
            .bind::<Nullable<Text>, _>(parent)
            .bind::<Text, _>(name)
            .bind::<Text, _>(&active)
            .bind::<Nullable<BigInt>, _>((i % 7 == 0).then_some(65000 + i as i64))
            .execute(conn)?;
            if i % 10 == 0 {
                sql_query("INSERT INTO taggeditem (tag_id, object_id) VALUES (?, ?)")
                    .bind::<Text, _>(&tag)
                    .bind::<Text, _>(&id)
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:9001".to_string());
    let path = args
        .next()
        .unwrap_or_else(|| "/tmp/nautobot-bench-baseline.sqlite3".to_string());
    let count: u64 = match args.next().map(|a| a.parse()) {
        None => 1000,
        Some(Ok(n)) => n,
        Some(Err(e)) => return Err(std::io::Error::other(format!("row count: {e}"))),
    };
    let workers: usize = match args.next().map(|a| a.parse()) {
        None => 2,
        Some(Ok(n)) => n,
        Some(Err(e)) => return Err(std::io::Error::other(format!("workers: {e}"))),
    };
    {
        let mut conn = SqliteConnection::establish(&path).map_err(std::io::Error::other)?;
        populate(&mut conn, count).map_err(std::io::Error::other)?;
    }
    let pool = Pool::builder()
        .max_size(8)
        .connection_timeout(Duration::from_secs(30))
        .build(ConnectionManager::<SqliteConnection>::new(&path))
        .map_err(std::io::Error::other)?;
    let pool = web::Data::new(pool);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(pool.clone())
                .route("/api/dcim/locations/", web::get().to(locations))
        })
        .workers(workers)
        .bind(&bind)?
        .run()
        .await
    })
}
