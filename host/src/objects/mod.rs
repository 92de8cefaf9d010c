//! The model layer every entry point shares (REST API, UI, plugins, jobs): values,
//! queries, serialisation, writes with validation and the change log.

pub mod values;
