//! `load-sample-data`: fills an empty database with the sample network (see
//! [`nautobot_sample`]).

use nautobot_base::error::Result;
use nautobot_config::Settings;
use nautobot_sample::{self as sample, Found, Scale};

/// Loads the sample network at `scale`, after every start-up check (plugins loaded, so
/// their validators run and their models are filled; migrations applied). Refuses a
/// database that is not empty; with `skip_if_loaded`, a database the sample network was
/// loaded into is left as it is and the command succeeds.
pub fn load_sample_data(settings: Settings, scale: Scale, skip_if_loaded: bool) -> Result<()> {
    let state = super::boot(settings)?;
    let found = sample::inspect(&mut *state.db.conn()?, &state.catalog.registry)?;
    if skip_if_loaded && found == (Found::Loaded { complete: true }) {
        return super::out("The sample network is already loaded; nothing to do.");
    }
    if let Some(refusal) = found.refusal() {
        return Err(refusal);
    }
    let hooks = state.hooks(None);
    let progress = sample::progress::for_stderr();
    let summary = sample::load(
        &state.db,
        &state.catalog.registry,
        &hooks,
        scale.name(),
        scale.sizes(),
        progress.as_ref(),
    )?;
    super::out(summary.line())
}
