//! # nautobot-plugin-test
//!
//! Test a `nautobot-server` plugin from `cargo test`, against the real server: each
//! [`TestServer`] is a temporary installation (its own `NAUTOBOT_ROOT`, configuration
//! and database) with your freshly built plugin library loaded, serving on a free
//! loopback port, with a superuser, clients for any user, and a job worker on demand.
//!
//! Add it to the plugin crate's `Cargo.toml`:
//!
//! ```toml
//! [dev-dependencies]
//! nautobot-plugin-test = "1"   # or { path = "…/plugin-test" }
//! serde_json = "1"
//! ```
//!
//! and write tests in `tests/`:
//!
//! ```no_run
//! use nautobot_plugin_test::{backends, TestServer};
//! use serde_json::json;
//!
//! #[test]
//! fn things_can_be_created_and_listed() {
//!     for backend in backends("things_can_be_created_and_listed") {
//!         let server = TestServer::builder()
//!             .plugin("my_plugin")
//!             .plugin_config("my_plugin", json!({"greeting": "hello"}))
//!             .backend(backend)
//!             .start();
//!         let admin = server.admin();
//!         let res = admin.post_json("/api/plugins/my-plugin/things/", &json!({"name": "a"}));
//!         assert_eq!(res.status, 201, "{}", res.body);
//!         assert_eq!(admin.get("/api/plugins/my-plugin/things/").json()["count"], 1);
//!         let page = admin.get_page("/plugins/my-plugin/");
//!         assert_eq!(page.status, 200, "{}", server.log());
//!     }
//! }
//! ```
//!
//! ## What it needs
//!
//! * **The server binary**: `NAUTOBOT_SERVER_BIN` (a path), else `nautobot-server` on
//!   `PATH`. The kit builds nothing itself.
//! * **Your plugin library**, built: `lib<name>.so` is looked for in the cargo target
//!   folder of the running test (`target/debug/` for `cargo test`), or in
//!   `NAUTOBOT_PLUGIN_DIR` when set; [`TestServerBuilder::library`] names a file
//!   explicitly. Libraries of other plugins yours depends on are found the same way.
//!   `cargo test` builds a crate's `cdylib` before its integration tests only when its
//!   `crate-type` also lists `"rlib"` (`crate-type = ["cdylib", "rlib"]`, as
//!   `nautobot-server plugins new` writes); with `cdylib` alone run `cargo build` first.
//!   The kit refuses (panics) to test a library of the crate under test that is older
//!   than its `Cargo.toml`, `src/`, `templates/` or `static/`.
//! * **PostgreSQL**, optionally: [`backends`] returns [`Backend::Sqlite`] and, when the
//!   server at `NAUTOBOT_TEST_POSTGRES` (default
//!   `postgres://postgres@127.0.0.1:5432/postgres`) answers, [`Backend::Postgres`].
//!   Unreachable, the PostgreSQL run is skipped with a line on stderr — except under
//!   `CI=true`, where that panics. Each PostgreSQL test server creates a database of its
//!   own (the user must be allowed to) and drops it when dropped, through the pure-Rust
//!   `postgres` client (no libpq needed; plain TCP, any authentication it supports).
//!
//! ## Errors are panics
//!
//! Every function of the kit **panics** with a message saying what went wrong and how to
//! fix it (a missing binary or library, a failing `nautobot-server` command with its
//! output, a server that did not start with its log, a job that did not finish with the
//! worker's log). In a test a panic is a failed test with its reason, which is what a test
//! kit should give. HTTP error statuses are not panics: a [`Response`] carries any status.
//!
//! ## Time
//!
//! Starting a test server runs `init`, `migrate`, `collectstatic` and `createsuperuser`
//! and starts the server: a second or two on SQLite, a few more on PostgreSQL. Cargo runs
//! the tests of one file in parallel threads, and each gets its own server and port.

#![deny(missing_docs)]

mod backend;
mod client;
mod server;
mod util;

pub use backend::{backends, Backend, DEFAULT_POSTGRES_URL};
pub use client::{Client, Response};
pub use server::{
    find_plugin_library, library_file_name, plugin_library_dir, server_binary, CliOutput,
    JobResult, TestServer, TestServerBuilder, ADMIN_PASSWORD, ADMIN_USERNAME,
};

/// The `serde_json` the kit uses (for [`serde_json::json!`] and [`serde_json::Value`]).
pub use serde_json;
