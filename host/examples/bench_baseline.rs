//! The baseline of `scripts/bench`: a bare actix-web handler returning a 50-row JSON
//! page from SQLite — no authentication, permissions, middleware or plugins. Our
//! endpoints are measured against it in the same run.
//!
//! `cargo run --release -p nautobot-server --example bench_baseline -- 127.0.0.1:9001 /tmp/bench.sqlite3`

use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use diesel::{
    connection::SimpleConnection,
    r2d2::{ConnectionManager, Pool},
    sql_types::{BigInt, Text},
    QueryableByName, RunQueryDsl, SqliteConnection,
};
use serde::Serialize;

#[derive(QueryableByName, Serialize)]
struct Row {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = BigInt)]
    number: i64,
}

type DbPool = Pool<ConnectionManager<SqliteConnection>>;

async fn page(pool: web::Data<DbPool>) -> HttpResponse {
    let pool = pool.clone();
    let rows = web::block(move || -> Result<Vec<Row>, String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        diesel::sql_query("SELECT id, name, description, number FROM item ORDER BY name LIMIT 50")
            .load(&mut conn)
            .map_err(|e| e.to_string())
    })
    .await;
    match rows {
        Ok(Ok(rows)) => HttpResponse::Ok().json(serde_json::json!({
            "count": rows.len(),
            "next": null,
            "previous": null,
            "results": rows,
        })),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:9001".to_string());
    let path = args
        .next()
        .unwrap_or_else(|| "/tmp/nautobot-bench-baseline.sqlite3".to_string());
    let pool = Pool::builder()
        .max_size(8)
        .connection_timeout(Duration::from_secs(30))
        .build(ConnectionManager::<SqliteConnection>::new(&path))
        .map_err(std::io::Error::other)?;
    {
        let mut conn = pool.get().map_err(std::io::Error::other)?;
        conn.batch_execute(
            "PRAGMA journal_mode = WAL;
             DROP TABLE IF EXISTS item;
             CREATE TABLE item (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, number INTEGER NOT NULL);",
        )
        .map_err(std::io::Error::other)?;
        for i in 0..200 {
            conn.batch_execute(&format!(
                "INSERT INTO item VALUES ('{:08}-0000-4000-8000-000000000000', 'item-{i:04}', 'Item number {i}', {i});",
                i
            ))
            .map_err(std::io::Error::other)?;
        }
    }
    let pool = web::Data::new(pool);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(pool.clone())
                .route("/items/", web::get().to(page))
        })
        .workers(2)
        .bind(&bind)?
        .run()
        .await
    })
}
