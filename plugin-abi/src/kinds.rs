//! The call kinds the host sends through [`Plugin::call`](crate::Plugin).
//!
//! A kind names what is asked; the `name` argument of the call names which of the
//! plugin's handlers answers. New capabilities arrive as new kinds, so a plugin answers
//! [`PluginError::UNSUPPORTED`](crate::PluginError::UNSUPPORTED) to kinds it does not know.

/// A UI view under `/plugins/<base_url>/`: [`Request`](crate::Request) in,
/// [`Response`](crate::Response) out.
pub const VIEW: &str = "view";
/// A REST API view under `/api/plugins/<base_url>/`: [`Request`](crate::Request) in,
/// [`Response`](crate::Response) out.
pub const API_VIEW: &str = "api_view";
/// A middleware seeing a request: [`MiddlewareRequest`](crate::MiddlewareRequest) in,
/// [`MiddlewareAction`](crate::MiddlewareAction) out.
pub const MIDDLEWARE_REQUEST: &str = "middleware_request";
/// A middleware seeing a response: [`MiddlewareResponse`](crate::MiddlewareResponse) in,
/// [`ResponseChanges`](crate::ResponseChanges) out.
pub const MIDDLEWARE_RESPONSE: &str = "middleware_response";
/// A custom validator for a model (data layer).
pub const VALIDATE: &str = "validate";
/// Content for a slot of a core page (data layer).
pub const TEMPLATE_CONTENT: &str = "template_content";
/// A job run (jobs).
pub const JOB: &str = "job";
/// A banner at the top of pages (since 1.1): [`BannerRequest`](crate::BannerRequest) in,
/// an optional [`Banner`](crate::Banner) out.
pub const BANNER: &str = "banner";
/// Fields a plugin adds to another model's REST answers (since 1.2):
/// [`RestFieldsRequest`](crate::RestFieldsRequest) in, a list of values (one per
/// object) out.
pub const REST_FIELDS: &str = "rest_fields";
/// A template filter (since 1.2): [`TeraFilterRequest`](crate::TeraFilterRequest) in, the
/// filtered value out.
pub const TERA_FILTER: &str = "tera_filter";
