//! # nautobot-server
//!
//! A network source of truth in the spirit of Nautobot whose plugins are native dynamic
//! libraries. This crate is the top of the server's crates (docs/architecture.md,
//! "Crates"): the `nautobot-server` binary and its subcommands (`cli`), the plugin
//! scaffold of `plugins new` (`scaffold`) and `collectstatic` (`staticfiles`). The layers
//! below are crates of their own, from `nautobot-base` up to `nautobot-web`.

pub mod cli;
pub mod scaffold;
pub mod staticfiles;
