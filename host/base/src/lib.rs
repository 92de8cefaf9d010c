//! # nautobot-base
//!
//! What every layer of `nautobot-server` shares, and nothing else: the server's one
//! error type and the one place it becomes an HTTP status, a response body or an exit
//! code ([`error`], and `responses.rs` for actix-web's `ResponseError`), a plugin's load-time refusal ([`load_error`]), the naming rules of
//! plugins that settings, manifests, models and the scaffold all check ([`names`]),
//! the versions the server reports ([`version`]) and files created readable by the
//! server's user only ([`private_files`]).

pub mod error;
pub mod load_error;
pub mod names;
pub mod private_files;
pub mod version;

mod responses;

pub use error::{Error, Result, ValidationErrors};
pub use load_error::{LoadError, LoadErrorDetails};
