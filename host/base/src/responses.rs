//! How an [`Error`] becomes an HTTP response: a JSON body `{"detail": …}` with the status
//! `Error::status` gives (UI pages are turned into HTML by `middleware::error_pages`).

use actix_web::{HttpResponse, ResponseError};
use nautobot_plugin_abi::PluginError;
use serde_json::json;

use crate::error::Error;

impl ResponseError for Error {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status();
        // Plugin failures were logged with the plugin's name where they happened.
        if status.is_server_error() && !matches!(self, Error::PluginCall(_)) {
            tracing::error!("request failed: {self}");
        }
        let body = match self {
            Error::PluginCall(failure) if failure.error.code == PluginError::VALIDATION => failure
                .error
                .details()
                .unwrap_or_else(|| json!({"detail": self.public_message()})),
            Error::Validation(errors) => json!(errors),
            Error::BulkValidation(list) => (**list).clone(),
            _ => json!({"detail": self.public_message()}),
        };
        HttpResponse::build(status).json(body)
    }
}
