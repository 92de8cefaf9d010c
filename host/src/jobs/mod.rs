//! Jobs (Nautobot's Jobs): plugin jobs registered at start-up into `extras_job`, their
//! results and logs served through the model layer (`models`).
//!
//! Running jobs — the queue, `nautobot-server worker`, variables, the run form and API —
//! is being built (issue 5); what exists now is registration and the read-only views.

pub mod models;
pub mod registry;
