//! # nautobot-server
//!
//! A network source of truth in the spirit of Nautobot whose plugins are native dynamic
//! libraries. One folder per concern: `config` (settings), `plugins` (discover, load,
//! verify, call), `db` (connections and the host's tables), `auth` (users, sessions,
//! tokens, permissions, CSRF), `web` (the actix application and its middleware), `api`
//! (REST), `ui` (HTML pages, templates, navigation), `staticfiles` (collectstatic and
//! serving), `sample` (the sample network of `load-sample-data`), `cli` (subcommands).

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod jobs;
pub mod objects;
pub mod plugins;
pub mod private_files;
pub mod sample;
pub mod scaffold;
pub mod schema;
pub mod staticfiles;
pub mod ui;
pub mod version;
pub mod web;
