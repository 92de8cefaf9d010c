//! The sample network (`nautobot-server load-sample-data`): a realistic data set of
//! locations (region → site → room), manufacturers, device types, platforms, roles,
//! devices with interfaces, namespaces, prefixes, IP addresses, VLANs and tags — plus
//! objects of every plugin model — written through the model layer
//! ([`objects::write::Writer`]) exactly as the API writes them: cleaned, checked for
//! uniqueness, passed to the plugins' validators, and recorded in the change log.
//!
//! Objects are written in batches of [`BATCH`], one transaction and one bulk create
//! ([`Writer::create_many`]: each object checked as alone, all written together) each,
//! on one connection. Ids looked up once (statuses, types, roles) are reused. An object a plugin validator refuses is
//! skipped and counted, and so are the objects that would have depended on it.
//!
//! A database is loaded once: the tag [`plan::MARKER_TAG`], created first and marked
//! complete last, says the sample network is there (or that a load was interrupted), and
//! any location, device, interface, VLAN, prefix or IP address already present refuses
//! the load too, so nothing is ever duplicated.

pub mod generic;
pub mod plan;
pub mod progress;

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use nautobot_plugin_abi::{FieldKind, ValidationRequest};
use serde_json::{json, Value};

pub use plan::{Scale, Sizes};
pub use progress::Progress;

use nautobot_base::error::{Error, Result};
use nautobot_db::{
    dynamic::{self, ident, Sql, SqlValue},
    Database, DbConnection,
};
use nautobot_objects::{self as objects, write::Writer, Actor, Hooks};
use nautobot_schema::{column, Model, Registry};

/// Objects written per transaction.
pub const BATCH: usize = 500;

/// The models whose objects make a database "not empty" for the sample network.
const BULK_MODELS: [&str; 6] = [
    "dcim.location",
    "dcim.device",
    "dcim.interface",
    "ipam.vlan",
    "ipam.prefix",
    "ipam.ipaddress",
];

// ---------------------------------------------------------------------------------------
// Is the database empty?
// ---------------------------------------------------------------------------------------

/// What a database holds, as far as loading the sample network goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Nothing in the way: the sample network may be loaded.
    Empty,
    /// The marker tag is there: the sample network was loaded (`complete`) or a load
    /// was interrupted.
    Loaded {
        /// Whether that load finished.
        complete: bool,
    },
    /// No marker, but objects the sample network would add to: (model's verbose name,
    /// count) for each model that has some.
    NotEmpty(Vec<(String, i64)>),
}

impl Found {
    /// The error refusing a load into this database (`None` when it is empty).
    pub fn refusal(&self) -> Option<Error> {
        let message = match self {
            Found::Empty => return None,
            Found::Loaded { complete: true } => format!(
                "The sample network is already loaded (found tag '{}'); load it into an empty database.",
                plan::MARKER_TAG
            ),
            Found::Loaded { complete: false } => format!(
                "A load of the sample network did not finish (found tag '{}' marked incomplete); load it into an empty database.",
                plan::MARKER_TAG
            ),
            Found::NotEmpty(counts) => {
                let found: Vec<String> = counts
                    .iter()
                    .map(|(name, n)| format!("{n} {name}"))
                    .collect();
                format!(
                    "The database is not empty (found {}); load the sample network into an empty database.",
                    found.join(", ")
                )
            }
        };
        Some(Error::NotEmpty(message))
    }
}

/// Looks for the marker tag and for objects of the models the sample network fills.
pub fn inspect(conn: &mut DbConnection, registry: &Registry) -> Result<Found> {
    let tags = model(registry, "extras.tag")?;
    if let Some(id) = find(conn, tags, &[("name", plan::MARKER_TAG)])? {
        let complete = objects::get(conn, tags, &id)?
            .and_then(|row| row.get("description").cloned())
            .is_some_and(|d| d != json!(plan::MARKER_LOADING));
        return Ok(Found::Loaded { complete });
    }
    let mut counts = Vec::new();
    for label in BULK_MODELS {
        let m = model(registry, label)?;
        let sql = Sql::from(format!(
            "SELECT COUNT(*) AS count FROM {}",
            ident(&m.table())
        ));
        let n = dynamic::query_count(conn, &sql)?;
        if n > 0 {
            let name = if n == 1 {
                m.verbose_name()
            } else {
                m.verbose_name_plural()
            };
            counts.push((name.to_string(), n));
        }
    }
    Ok(if counts.is_empty() {
        Found::Empty
    } else {
        Found::NotEmpty(counts)
    })
}

// ---------------------------------------------------------------------------------------
// What a load did
// ---------------------------------------------------------------------------------------

/// What one stage of a load did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stage {
    /// What it made (`locations (sites)`).
    pub what: String,
    /// The model it wrote (`dcim.location`).
    pub model: String,
    /// Objects created.
    pub created: u64,
    /// Objects changed (tagging).
    pub updated: u64,
    /// Objects a validator refused.
    pub refused: u64,
    /// Objects not attempted: what they depend on was refused, or (plugin models) they
    /// cannot be made.
    pub skipped: u64,
    /// The first refusal or reason for skipping, for the summary.
    pub note: Option<String>,
    /// How long it took.
    pub elapsed: Duration,
}

impl Stage {
    fn new(what: &str, model: &str) -> Stage {
        Stage {
            what: what.to_string(),
            model: model.to_string(),
            ..Stage::default()
        }
    }

    /// Objects written (created or updated).
    pub fn written(&self) -> u64 {
        self.created + self.updated
    }

    /// One line: `locations (sites)   50 created   0.1 s   500 objects/s`.
    pub fn line(&self) -> String {
        let mut done = Vec::new();
        if self.created > 0 || self.updated == 0 {
            done.push(format!("{} created", thousands(self.created)));
        }
        if self.updated > 0 {
            done.push(format!("{} updated", thousands(self.updated)));
        }
        if self.refused > 0 {
            done.push(format!("{} refused by validators", thousands(self.refused)));
        }
        if self.skipped > 0 {
            done.push(format!("{} skipped", thousands(self.skipped)));
        }
        let mut line = format!(
            "{:<36} {:<34} {:>8.2} s {:>9} objects/s",
            self.what,
            done.join(", "),
            self.elapsed.as_secs_f64(),
            thousands(rate(self.written(), self.elapsed)),
        );
        if let Some(note) = &self.note {
            line.push_str(&format!(" ({note})"));
        }
        line
    }
}

/// What a load did, stage by stage.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The scale loaded.
    pub scale: String,
    /// The backend loaded into (`sqlite`, `postgresql`).
    pub backend: String,
    /// Every stage, in order.
    pub stages: Vec<Stage>,
    /// The whole load's time.
    pub elapsed: Duration,
}

impl Summary {
    /// Objects created.
    pub fn created(&self) -> u64 {
        self.stages.iter().map(|s| s.created).sum()
    }

    /// Objects written (created or updated).
    pub fn written(&self) -> u64 {
        self.stages.iter().map(Stage::written).sum()
    }

    /// Objects refused by validators.
    pub fn refused(&self) -> u64 {
        self.stages.iter().map(|s| s.refused).sum()
    }

    /// Objects created of `model`.
    pub fn created_of(&self, model: &str) -> u64 {
        self.stages
            .iter()
            .filter(|s| s.model == model)
            .map(|s| s.created)
            .sum()
    }

    /// The final line: counts, time and rate.
    pub fn line(&self) -> String {
        let skipped: u64 = self.stages.iter().map(|s| s.skipped).sum();
        format!(
            "Loaded the sample network (scale {}) into {}: {} objects created, {} updated, {} refused by validators, {} skipped, in {:.1} s ({} objects/s).",
            self.scale,
            self.backend,
            thousands(self.created()),
            thousands(self.written() - self.created()),
            thousands(self.refused()),
            thousands(skipped),
            self.elapsed.as_secs_f64(),
            thousands(rate(self.written(), self.elapsed)),
        )
    }
}

fn rate(n: u64, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        (n as f64 / secs).round() as u64
    } else {
        n
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------

/// The plugins' hooks, remembering whether the last validation refused (so that a
/// validator's refusal can be told from any other failure).
struct Watched<'a> {
    inner: &'a dyn Hooks,
    refused: RefCell<Option<String>>,
}

impl Hooks for Watched<'_> {
    fn validate(
        &self,
        conn: &mut nautobot_db::DbConnection,
        request: &ValidationRequest,
    ) -> Result<()> {
        let result = self.inner.validate(conn, request);
        if let Err(err @ Error::Validation(_)) = &result {
            *self.refused.borrow_mut() = Some(err.to_string());
        }
        result
    }
}

/// Loads the sample network at `sizes` into `db` through the model layer, calling
/// `hooks` (the plugins' validators) for every object and reporting to `progress`.
/// The database must be empty (see [`inspect`]); this function does not check.
pub fn load(
    db: &Database,
    registry: &Registry,
    hooks: &dyn Hooks,
    scale: &str,
    sizes: Sizes,
    progress: &dyn Progress,
) -> Result<Summary> {
    sizes.check().map_err(Error::Usage)?;
    let started = Instant::now();
    let actor = Actor::system();
    let watched = Watched {
        inner: hooks,
        refused: RefCell::new(None),
    };
    let loader = Loader {
        registry,
        actor: &actor,
        writer: RefCell::new(Writer::new(registry, &actor, &watched)),
        hooks: &watched,
        progress,
        sizes,
        stages: RefCell::new(Vec::new()),
    };
    let mut conn = db.conn()?;
    let conn: &mut DbConnection = &mut conn;
    let previous_cache = enlarge_sqlite_cache(conn)?;
    let loaded = (|| {
        let ids = loader.catalog(conn)?;
        let net = loader.network(conn, &ids)?;
        loader.plugin_models(conn)?;
        loader.tag(conn, &ids, &net)?;
        loader.finish(conn, &ids, scale)
    })();
    if let Some(pages) = previous_cache {
        set_sqlite_cache(conn, pages)?;
    }
    loaded?;
    Ok(Summary {
        scale: scale.to_string(),
        backend: db.backend().name().to_string(),
        stages: loader.stages.into_inner(),
        elapsed: started.elapsed(),
    })
}

/// SQLite's page cache for the loading connection, in KiB (as `PRAGMA cache_size`
/// takes it when negative).
const SQLITE_CACHE_KIB: i64 = 256 * 1024;

/// On SQLite, gives the loading connection a page cache of [`SQLITE_CACHE_KIB`] and
/// returns the size it had. With the default 2 MB, once tables outgrow it nearly every
/// insert reads the index pages it changes back from the file (the change log alone has
/// a dozen indexes), and a large load slows down as it goes.
fn enlarge_sqlite_cache(conn: &mut DbConnection) -> Result<Option<i64>> {
    if dynamic::backend_of(conn) != nautobot_db::Backend::Sqlite {
        return Ok(None);
    }
    let current = Sql::from("SELECT cache_size AS count FROM pragma_cache_size()");
    let previous = dynamic::query_count(conn, &current)?;
    set_sqlite_cache(conn, -SQLITE_CACHE_KIB)?;
    Ok(Some(previous))
}

/// Sets SQLite's `cache_size` (pages, or KiB when negative) on this connection.
fn set_sqlite_cache(conn: &mut DbConnection, size: i64) -> Result<()> {
    dynamic::execute(conn, &Sql::from(format!("PRAGMA cache_size = {size}")))?;
    Ok(())
}

/// The model labelled `label`.
fn model<'r>(registry: &'r Registry, label: &str) -> Result<&'r Model> {
    registry
        .get(label)
        .map(|m| m.as_ref())
        .ok_or_else(|| Error::Internal(format!("the model {label} is missing")))
}

/// The id of the object of `model` whose fields equal the given texts.
fn find(
    conn: &mut DbConnection,
    model: &Model,
    lookups: &[(&str, &str)],
) -> Result<Option<String>> {
    let mut sql = Sql::from(format!(
        "SELECT {} AS row FROM {} WHERE ",
        ident("id"),
        ident(&model.table())
    ));
    for (i, (name, value)) in lookups.iter().enumerate() {
        let field = model
            .field(name)
            .ok_or_else(|| Error::Internal(format!("{} has no field {name}", model.label())))?;
        if i > 0 {
            sql.push(" AND ");
        }
        sql.push(format!("{} = ", ident(&column(field))))
            .bind(SqlValue::text(*value));
    }
    sql.push(" LIMIT 1");
    Ok(dynamic::query_text(conn, &sql)?.into_iter().next())
}

/// Up to `limit` ids of objects of `model`.
fn ids_of(conn: &mut DbConnection, model: &Model, limit: usize) -> Result<Vec<String>> {
    let sql = Sql::from(format!(
        "SELECT {id} AS row FROM {} ORDER BY {id} LIMIT {limit}",
        ident(&model.table()),
        id = ident("id"),
    ));
    dynamic::query_text(conn, &sql)
}

/// Ids of the fixed catalog.
struct Catalog {
    statuses: HashMap<&'static str, String>,
    global: String,
    marker: String,
    tags: HashMap<&'static str, String>,
    roles: HashMap<&'static str, String>,
    /// Per vendor: (manufacturer, platform, router type, switch type).
    vendors: Vec<(String, String, String, String)>,
    location_types: HashMap<&'static str, String>,
    /// The ids of [`plan::EXTRA_NAMESPACES`], in order.
    namespaces: Vec<String>,
}

impl Catalog {
    fn status(&self, name: &str) -> Result<&str> {
        self.statuses
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| Error::Internal(format!("no status {name}")))
    }

    fn role(&self, name: &str) -> &str {
        self.roles.get(name).map(String::as_str).unwrap_or_default()
    }
}

/// Ids of the generated objects that later stages refer to (`None`: refused).
struct Network {
    regions: Vec<Option<String>>,
    sites: Vec<Option<String>>,
    devices: Vec<Option<String>>,
    lab_prefixes: Vec<Option<String>>,
}

/// How a bulk create failed: at one item, or in the transaction around it.
enum Attempt {
    Item(usize, Error),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for Attempt {
    fn from(err: diesel::result::Error) -> Self {
        Attempt::Database(err)
    }
}

struct Loader<'a> {
    registry: &'a Registry,
    actor: &'a Actor,
    /// The writer of the current transaction (a writer remembers what it looked up,
    /// which holds only within one transaction).
    writer: RefCell<Writer<'a>>,
    hooks: &'a Watched<'a>,
    progress: &'a dyn Progress,
    sizes: Sizes,
    stages: RefCell<Vec<Stage>>,
}

impl<'a> Loader<'a> {
    fn model(&self, label: &str) -> Result<&'a Model> {
        model(self.registry, label)
    }

    /// Runs `work` in a transaction of its own, with a writer of its own.
    fn transaction<T>(
        &self,
        conn: &mut DbConnection,
        work: impl FnOnce(&mut DbConnection) -> Result<T>,
    ) -> Result<T> {
        *self.writer.borrow_mut() = Writer::new(self.registry, self.actor, self.hooks);
        nautobot_db::write_transaction(conn, work)
    }

    /// Runs one stage: the `total` objects of `label` that `make` describes (`None`:
    /// skipped, which `make` counts), created in batches of [`BATCH`] — one transaction
    /// and one bulk create each — and `done` told, in order, each one's id (`None`:
    /// skipped or refused).
    fn stage(
        &self,
        conn: &mut DbConnection,
        what: &str,
        label: &str,
        total: usize,
        mut make: impl FnMut(usize, &mut Stage) -> Option<Value>,
        mut done: impl FnMut(usize, Option<String>),
    ) -> Result<()> {
        let model = self.model(label)?;
        let started = Instant::now();
        let mut stage = Stage::new(what, label);
        self.progress.begin(what, total as u64);
        let mut next = 0;
        while next < total {
            let end = (next + BATCH).min(total);
            let mut indexes = Vec::with_capacity(end - next);
            let mut inputs = Vec::with_capacity(end - next);
            for i in next..end {
                if let Some(input) = make(i, &mut stage) {
                    indexes.push(i);
                    inputs.push(input);
                }
            }
            let mut ids = self.transaction(conn, |c| {
                self.create_batch(c, model, indexes, inputs, &mut stage)
            })?;
            for i in next..end {
                done(i, ids.remove(&i));
            }
            self.progress.advance((end - next) as u64);
            next = end;
        }
        self.end(stage, started);
        Ok(())
    }

    /// Runs `total` steps in batches of [`BATCH`], one transaction each (`step` does
    /// the `i`-th), as a stage of their own.
    fn steps(
        &self,
        conn: &mut DbConnection,
        what: &str,
        label: &str,
        total: usize,
        mut step: impl FnMut(&mut DbConnection, usize, &mut Stage) -> Result<()>,
    ) -> Result<()> {
        let started = Instant::now();
        let mut stage = Stage::new(what, label);
        self.progress.begin(what, total as u64);
        let mut next = 0;
        while next < total {
            let end = (next + BATCH).min(total);
            self.transaction(conn, |c| {
                for i in next..end {
                    step(c, i, &mut stage)?;
                }
                Ok::<(), Error>(())
            })?;
            self.progress.advance((end - next) as u64);
            next = end;
        }
        self.end(stage, started);
        Ok(())
    }

    /// Records a finished stage and reports it.
    fn end(&self, mut stage: Stage, started: Instant) {
        stage.elapsed = started.elapsed();
        self.progress.end(&stage.line());
        self.stages.borrow_mut().push(stage);
    }

    /// Creates the objects `inputs` (the `indexes`-th of their stage) with one bulk
    /// create ([`Writer::create_many`]: every object cleaned, checked and validated as
    /// alone, written together). An object a validator refuses — for plugin models,
    /// whose constraints the generator can only guess, one failing any validation — is
    /// counted and left out, and the others are tried again; each try is a savepoint,
    /// so that a failed one leaves nothing behind. Returns the new ids by index.
    fn create_batch(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        mut indexes: Vec<usize>,
        mut inputs: Vec<Value>,
        stage: &mut Stage,
    ) -> Result<HashMap<usize, String>> {
        let lenient = model.plugin.is_some();
        let mut created = HashMap::new();
        while !inputs.is_empty() {
            self.hooks.refused.replace(None);
            let attempt = {
                let writer = self.writer.borrow();
                nautobot_db::write_transaction(conn, |c| {
                    writer
                        .create_many(c, model, &inputs)
                        .map_err(|(k, e)| Attempt::Item(k, e))
                })
            };
            match attempt {
                Ok(rows) => {
                    stage.created += rows.len() as u64;
                    for (i, row) in indexes.iter().zip(rows) {
                        if let Some(id) = row.get("id").and_then(Value::as_str) {
                            created.insert(*i, id.to_string());
                        }
                    }
                    break;
                }
                Err(Attempt::Item(k, err)) if k < inputs.len() => {
                    let input = inputs.remove(k);
                    indexes.remove(k);
                    self.refused(model, &input, err, lenient, stage)?;
                }
                Err(Attempt::Item(_, err)) => return Err(err),
                Err(Attempt::Database(err)) => return Err(err.into()),
            }
        }
        Ok(created)
    }

    /// Creates an object; `None` when a validator refused it (counted in `stage`). For
    /// plugin models, whose constraints the generator can only guess, any validation
    /// error skips the object, and each is written in a savepoint of its own.
    fn create(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        input: &Value,
        stage: &mut Stage,
    ) -> Result<Option<String>> {
        self.hooks.refused.replace(None);
        let lenient = model.plugin.is_some();
        let result = if lenient {
            let writer = self.writer.borrow();
            nautobot_db::write_transaction(conn, |c| writer.create(c, model, input))
        } else {
            self.writer.borrow().create(conn, model, input)
        };
        match result {
            Ok(row) => {
                stage.created += 1;
                Ok(row.get("id").and_then(Value::as_str).map(str::to_string))
            }
            Err(err) => {
                self.refused(model, input, err, lenient, stage)?;
                Ok(None)
            }
        }
    }

    /// Tags an object (replacing its tags); a validator's refusal is counted.
    fn set_tags(
        &self,
        conn: &mut DbConnection,
        model: &Model,
        id: &str,
        tags: &[&str],
        stage: &mut Stage,
    ) -> Result<()> {
        self.hooks.refused.replace(None);
        let input = json!({ "tags": tags });
        let updated = self.writer.borrow().update(conn, model, id, &input, true);
        match updated {
            Ok(_) => {
                stage.updated += 1;
                Ok(())
            }
            Err(err) => self.refused(model, &input, err, false, stage),
        }
    }

    /// Counts a refusal, or turns a failure that is not one into the load's error.
    fn refused(
        &self,
        model: &Model,
        input: &Value,
        err: Error,
        lenient: bool,
        stage: &mut Stage,
    ) -> Result<()> {
        let by_validator = self.hooks.refused.borrow().is_some();
        let what = match model.display_field.as_deref().and_then(|f| input.get(f)) {
            Some(Value::String(s)) => format!("{} '{s}'", model.verbose_name()),
            _ => model.verbose_name().to_string(),
        };
        if matches!(err, Error::Validation(_)) && (by_validator || lenient) {
            stage.refused += 1;
            if stage.note.is_none() {
                stage.note = Some(format!("first refused: {what}: {err}"));
            }
            return Ok(());
        }
        Err(match err {
            Error::Validation(_) => {
                Error::Internal(format!("the sample {what} was not accepted: {err}"))
            }
            other => other,
        })
    }

    /// Finds the object of `label` with these field values, or creates it from `input`.
    fn ensure(
        &self,
        conn: &mut DbConnection,
        label: &str,
        lookups: &[(&str, &str)],
        input: Value,
        stage: &mut Stage,
    ) -> Result<String> {
        let model = self.model(label)?;
        if let Some(id) = find(conn, model, lookups)? {
            return Ok(id);
        }
        match self.create(conn, model, &input, stage)? {
            Some(id) => Ok(id),
            None => Err(Error::Internal(format!(
                "a plugin validator refused the sample {} {input}; the sample network needs it",
                model.verbose_name()
            ))),
        }
    }

    /// The fixed catalog, found or created in one transaction: the marker tag first,
    /// then tags, roles, manufacturers, platforms, device types, location types and
    /// namespaces. Statuses and the Global namespace come with the migrations.
    fn catalog(&self, conn: &mut DbConnection) -> Result<Catalog> {
        let started = Instant::now();
        let mut stage = Stage::new("catalog (types, roles, tags)", "");
        self.progress.begin(&stage.what, 1);
        let catalog = self.transaction(conn, |c| self.catalog_in(c, &mut stage))?;
        self.progress.advance(1);
        self.end(stage, started);
        Ok(catalog)
    }

    fn catalog_in(&self, conn: &mut DbConnection, stage: &mut Stage) -> Result<Catalog> {
        let mut statuses = HashMap::new();
        let status_model = self.model("extras.status")?;
        for name in ["Active", "Planned", "Staged", "Reserved", "Deprecated"] {
            let id = find(conn, status_model, &[("name", name)])?.ok_or_else(|| {
                Error::Database(format!(
                    "the status '{name}' is missing: it is created by the extras migrations"
                ))
            })?;
            statuses.insert(name, id);
        }
        let global =
            find(conn, self.model("ipam.namespace")?, &[("name", "Global")])?.ok_or_else(|| {
                Error::Database(
                    "the namespace 'Global' is missing: it is created by the ipam migrations"
                        .into(),
                )
            })?;
        let marker = self.ensure(
            conn,
            "extras.tag",
            &[("name", plan::MARKER_TAG)],
            json!({
                "name": plan::MARKER_TAG,
                "color": "607d8b",
                "description": plan::MARKER_LOADING,
                "content_types": ["dcim.location"],
            }),
            stage,
        )?;
        let mut tags = HashMap::new();
        for (name, color, description, types) in plan::TAGS {
            let id = self.ensure(
                conn,
                "extras.tag",
                &[("name", name)],
                json!({"name": name, "color": color, "description": description, "content_types": types}),
                stage,
            )?;
            tags.insert(name, id);
        }
        let mut roles = HashMap::new();
        for (weight, (name, color, types)) in plan::ROLES.iter().enumerate() {
            let id = self.ensure(
                conn,
                "extras.role",
                &[("name", name)],
                json!({"name": name, "color": color, "weight": (weight + 1) * 100, "content_types": types}),
                stage,
            )?;
            roles.insert(*name, id);
        }
        let mut vendors = Vec::new();
        for vendor in &plan::VENDORS {
            let manufacturer = self.ensure(
                conn,
                "dcim.manufacturer",
                &[("name", vendor.manufacturer)],
                json!({"name": vendor.manufacturer}),
                stage,
            )?;
            let (platform_name, driver) = vendor.platform;
            let platform = self.ensure(
                conn,
                "dcim.platform",
                &[("name", platform_name)],
                json!({"name": platform_name, "manufacturer": manufacturer, "network_driver": driver}),
                stage,
            )?;
            let mut types = Vec::new();
            for m in [&vendor.router, &vendor.switch] {
                types.push(self.ensure(
                    conn,
                    "dcim.devicetype",
                    &[("manufacturer", manufacturer.as_str()), ("model", m.model)],
                    json!({
                        "manufacturer": manufacturer,
                        "model": m.model,
                        "part_number": m.part_number,
                        "u_height": m.u_height,
                    }),
                    stage,
                )?);
            }
            let switch = types.pop().unwrap_or_default();
            let router = types.pop().unwrap_or_default();
            vendors.push((manufacturer, platform, router, switch));
        }
        let mut location_types: HashMap<&'static str, String> = HashMap::new();
        for (name, parent, types) in plan::LOCATION_TYPES {
            let parent_id = parent.and_then(|p| location_types.get(p).cloned());
            let id = self.ensure(
                conn,
                "dcim.locationtype",
                &[("name", name)],
                json!({"name": name, "parent": parent_id, "content_types": types}),
                stage,
            )?;
            location_types.insert(name, id);
        }
        let mut namespaces = Vec::new();
        for (name, description, _, _) in plan::EXTRA_NAMESPACES {
            namespaces.push(self.ensure(
                conn,
                "ipam.namespace",
                &[("name", name)],
                json!({"name": name, "description": description}),
                stage,
            )?);
        }
        Ok(Catalog {
            statuses,
            global,
            marker,
            tags,
            roles,
            vendors,
            location_types,
            namespaces,
        })
    }

    /// Locations, VLANs, prefixes, IP addresses, devices and interfaces.
    fn network(&self, conn: &mut DbConnection, cat: &Catalog) -> Result<Network> {
        let s = self.sizes;
        let active = cat.status("Active")?;
        let planned = cat.status("Planned")?;
        let lt = |name: &str| cat.location_types.get(name).cloned().unwrap_or_default();

        // Regions.
        let mut regions = Vec::with_capacity(s.regions);
        let make = |r: usize, _: &mut Stage| {
            Some(json!({
                "name": plan::region_name(r),
                "location_type": lt("Region"),
                "status": active,
                "description": format!("Sample region {}", r + 1),
            }))
        };
        let what = "locations (regions)";
        self.stage(
            conn,
            what,
            "dcim.location",
            s.regions,
            make,
            keep(&mut regions),
        )?;

        // Sites, numbered across regions.
        const ZONES: [&str; 4] = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"];
        let mut sites = Vec::with_capacity(s.sites());
        let make = |i: usize, st: &mut Stage| {
            let region = i / s.sites_per_region;
            let Some(parent) = &regions[region] else {
                st.skipped += 1;
                return None;
            };
            Some(json!({
                "name": plan::site_name(i),
                "location_type": lt("Site"),
                "parent": parent,
                "status": if (i + 1) % 25 == 0 { planned } else { active },
                "facility": format!("DC-{:05}", i + 1),
                "asn": 4_200_000_000_u64 + i as u64,
                "time_zone": ZONES[i % ZONES.len()],
                "description": format!("Sample site {} in {}", i + 1, plan::region_name(region)),
            }))
        };
        let what = "locations (sites)";
        self.stage(
            conn,
            what,
            "dcim.location",
            s.sites(),
            make,
            keep(&mut sites),
        )?;

        // Rooms.
        let make = |i: usize, st: &mut Stage| {
            let (site, room) = (i / s.rooms_per_site, i % s.rooms_per_site);
            let Some(parent) = &sites[site] else {
                st.skipped += 1;
                return None;
            };
            Some(json!({
                "name": plan::room_name(site, room),
                "location_type": lt("Room"),
                "parent": parent,
                "status": active,
            }))
        };
        let what = "locations (rooms)";
        self.stage(conn, what, "dcim.location", s.rooms(), make, |_, _| {})?;

        // VLANs: every site's data, voice and management VLAN.
        let per_site = plan::SITE_VLANS.len();
        let mut data_vlans: Vec<Option<String>> = Vec::with_capacity(s.sites());
        let make = |i: usize, st: &mut Stage| {
            let (site, which) = (i / per_site, i % per_site);
            let Some(location) = &sites[site] else {
                st.skipped += 1;
                return None;
            };
            let (vid, suffix, role) = plan::SITE_VLANS[which];
            Some(json!({
                "vid": vid,
                "name": plan::vlan_name(site, suffix),
                "status": active,
                "role": cat.role(role),
                "location": location,
            }))
        };
        let done = |i: usize, id: Option<String>| {
            if i % per_site == 0 {
                data_vlans.push(id);
            }
        };
        self.stage(conn, "VLANs", "ipam.vlan", s.vlans(), make, done)?;

        // Prefixes: the Global container, each site's /24, then each other namespace's
        // container and /24s.
        let reserved = cat.status("Reserved")?;
        let extra = s.extra_prefixes_per_namespace;
        let mut lab_prefixes = Vec::new();
        let make = |i: usize, st: &mut Stage| {
            if i == 0 {
                return Some(json!({
                    "prefix": plan::GLOBAL_CONTAINER,
                    "namespace": cat.global,
                    "type": "container",
                    "status": active,
                    "description": "Production sites",
                }));
            }
            if i <= s.sites() {
                let site = i - 1;
                let Some(location) = &sites[site] else {
                    st.skipped += 1;
                    return None;
                };
                return Some(json!({
                    "prefix": plan::site_prefix(site),
                    "namespace": cat.global,
                    "type": "network",
                    "status": active,
                    "role": cat.role("Data"),
                    "location": location,
                    "vlan": data_vlans[site],
                    "description": format!("{} LAN", plan::site_name(site)),
                }));
            }
            let j = i - 1 - s.sites();
            let (ns, k) = (j / (extra + 1), j % (extra + 1));
            let namespace = &cat.namespaces[ns];
            if k == 0 {
                return Some(json!({
                    "prefix": plan::extra_container(ns),
                    "namespace": namespace,
                    "type": "container",
                    "status": active,
                }));
            }
            let index = k - 1;
            Some(json!({
                "prefix": plan::extra_prefix(ns, index),
                "namespace": namespace,
                "type": "network",
                "status": if index % 7 == 6 { reserved } else { active },
                "location": regions[index % s.regions],
                "description": format!("{} network {}", plan::EXTRA_NAMESPACES[ns].0, index + 1),
            }))
        };
        let done = |i: usize, id: Option<String>| {
            // The first other namespace is the lab: its /24s are tagged later.
            if i > s.sites() && (1..=extra).contains(&(i - 1 - s.sites())) {
                lab_prefixes.push(id);
            }
        };
        self.stage(conn, "prefixes", "ipam.prefix", s.prefixes(), make, done)?;

        // IP addresses: one per interface (the first, on mgmt0, becomes its device's
        // primary IPv4), then a few in every other namespace.
        let per_device = s.interfaces_per_device;
        let per_extra_prefix = s.addresses_per_extra_prefix;
        let mut primary: Vec<Option<String>> = Vec::with_capacity(s.devices());
        let make = |i: usize, st: &mut Stage| {
            if i < s.interfaces() {
                let (device, iface) = (i / per_device, i % per_device);
                let (site, k) = (device / s.devices_per_site, device % s.devices_per_site);
                if sites[site].is_none() {
                    // Its device will not exist either.
                    st.skipped += 1;
                    return None;
                }
                return Some(json!({
                    "address": plan::interface_address(site, k, iface),
                    "namespace": cat.global,
                    "status": active,
                    "role": if iface == 0 { Some(cat.role("Management")) } else { None },
                    "dns_name": plan::dns_name(device, iface),
                    "description": format!("{} {}", plan::device_name(device), plan::interface_name(iface)),
                }));
            }
            let j = i - s.interfaces();
            let per_ns = extra * per_extra_prefix;
            let (ns, rest) = (j / per_ns, j % per_ns);
            let (index, host) = (rest / per_extra_prefix, rest % per_extra_prefix);
            Some(json!({
                "address": plan::extra_address(ns, index, host),
                "namespace": cat.namespaces[ns],
                "status": if host == 0 { reserved } else { active },
                "description": format!("{} host {}", plan::EXTRA_NAMESPACES[ns].0, host + 1),
            }))
        };
        let done = |i: usize, id: Option<String>| {
            if i < s.interfaces() && i % per_device == 0 {
                primary.push(id);
            }
        };
        let what = "IP addresses";
        self.stage(conn, what, "ipam.ipaddress", s.ip_addresses(), make, done)?;

        // Devices at sites: a router (or firewall) and switches, vendors by site.
        let staged = cat.status("Staged")?;
        let mut devices = Vec::with_capacity(s.devices());
        let make = |d: usize, st: &mut Stage| {
            let (site, k) = (d / s.devices_per_site, d % s.devices_per_site);
            let Some(location) = &sites[site] else {
                st.skipped += 1;
                return None;
            };
            let v = site % plan::VENDORS.len();
            let (_, platform, router, switch) = &cat.vendors[v];
            let firewall = plan::VENDORS[v].manufacturer == "Palo Alto Networks";
            let (device_type, role) = match (k, firewall) {
                (_, true) => (if k == 0 { router } else { switch }, "Firewall"),
                (0, false) => (router, "Router"),
                _ => (switch, "Access Switch"),
            };
            let status = match (d + 1) % 50 {
                0 => staged,
                n if n % 20 == 0 => planned,
                _ => active,
            };
            Some(json!({
                "name": plan::device_name(d),
                "device_type": device_type,
                "role": cat.role(role),
                "platform": platform,
                "status": status,
                "serial": format!("SN{:09}", d + 1),
                "asset_tag": format!("AT-{:06}", d + 1),
                "location": location,
                "primary_ip4": primary.get(d).cloned().flatten(),
            }))
        };
        self.stage(
            conn,
            "devices",
            "dcim.device",
            s.devices(),
            make,
            keep(&mut devices),
        )?;

        // Interfaces: mgmt0 and the data ports of every device.
        let make = |i: usize, st: &mut Stage| {
            let (d, iface) = (i / per_device, i % per_device);
            let Some(device_id) = &devices[d] else {
                st.skipped += 1;
                return None;
            };
            let v = (d / s.devices_per_site) % plan::VENDORS.len();
            let port_type = if d % s.devices_per_site == 0 {
                plan::VENDORS[v].router.port_type
            } else {
                plan::VENDORS[v].switch.port_type
            };
            let last = iface + 1 == per_device && iface > 0;
            Some(json!({
                "device": device_id,
                "name": plan::interface_name(iface),
                "type": if iface == 0 { "1000base-t" } else { port_type },
                "enabled": !last,
                "mtu": if iface == 0 { 1500 } else { 9216 },
                "mac_address": plan::mac_address(d, iface),
                "description": match iface {
                    0 => "Out-of-band management".to_string(),
                    1 | 2 => format!("Uplink {iface}"),
                    _ => String::new(),
                },
                "status": if last { planned } else { active },
            }))
        };
        let what = "interfaces";
        self.stage(
            conn,
            what,
            "dcim.interface",
            s.interfaces(),
            make,
            |_, _| {},
        )?;

        Ok(Network {
            regions,
            sites,
            devices,
            lab_prefixes,
        })
    }

    /// Objects of every plugin model, generated from its fields; a model whose required
    /// foreign key points at a model without objects is skipped, as are models their
    /// plugin leaves out of sample data (validation rules and the like). A unique foreign
    /// key allows one object per target.
    fn plugin_models(&self, conn: &mut DbConnection) -> Result<()> {
        let mut pending: Vec<&Model> = self
            .registry
            .iter()
            .filter(|m| m.plugin.is_some() && !m.read_only && !m.schema.exclude_from_sample_data)
            .map(|m| m.as_ref())
            .collect();
        let count = self.sizes.plugin_objects_per_model;
        let mut filled: HashSet<String> = HashSet::new();
        loop {
            let ready = pending.iter().position(|m| {
                required_targets(m).iter().all(|to| {
                    *to != m.label() && (!is_plugin(self.registry, to) || filled.contains(*to))
                })
            });
            let Some(at) = ready else { break };
            let model = pending.remove(at);
            let mut targets: HashMap<String, Vec<String>> = HashMap::new();
            for field in &model.schema.fields {
                if let Some(to) = field.kind.related_model() {
                    let to = to.to_string();
                    if targets.contains_key(&to) || to == model.label() {
                        continue;
                    }
                    if let Some(target) = self.registry.get(&to) {
                        targets.insert(to.clone(), ids_of(conn, target, count)?);
                    }
                }
            }
            let label = model.label();
            let count = model
                .schema
                .fields
                .iter()
                .filter_map(|f| match &f.kind {
                    FieldKind::ForeignKey { to, .. } if f.unique => targets.get(to).map(Vec::len),
                    _ => None,
                })
                .fold(count, usize::min);
            let make = |i: usize, st: &mut Stage| {
                let input = generic::object(model, i, |to| match targets.get(to) {
                    Some(ids) => generic::Target::Ids(ids),
                    None => generic::Target::None,
                });
                match input {
                    Ok(input) => Some(input),
                    Err(reason) => {
                        st.skipped += 1;
                        st.note.get_or_insert(reason);
                        None
                    }
                }
            };
            self.stage(conn, &label, &label, count, make, |_, _| {})?;
            filled.insert(model.label());
        }
        for model in pending {
            let mut stage = Stage::new(&model.label(), &model.label());
            stage.skipped = count as u64;
            stage.note =
                Some("a required foreign key points at a model that cannot be filled".into());
            self.progress.end(&stage.line());
            self.stages.borrow_mut().push(stage);
        }
        Ok(())
    }

    /// Tags some objects: every region with the marker, and up to
    /// [`Sizes::tagged_per_tag`] sites (`critical`), devices (`monitored`) and lab
    /// prefixes (`lab`). Tagging comes last, as updates: every write of a taggable
    /// model looks through the tagged items, so they are kept few while most objects
    /// are written.
    fn tag(&self, conn: &mut DbConnection, cat: &Catalog, net: &Network) -> Result<()> {
        let cap = self.sizes.tagged_per_tag;
        let every = |ids: &[Option<String>], step: usize| -> Vec<String> {
            ids.iter()
                .step_by(step.max(1))
                .flatten()
                .take(cap)
                .cloned()
                .collect()
        };
        let regions: Vec<String> = net.regions.iter().flatten().cloned().collect();
        let work: Vec<(&str, Vec<String>, &str)> = vec![
            ("dcim.location", regions, cat.marker.as_str()),
            (
                "dcim.location",
                every(&net.sites, 10),
                cat.tags
                    .get("critical")
                    .map(String::as_str)
                    .unwrap_or_default(),
            ),
            (
                "dcim.device",
                every(&net.devices, 10),
                cat.tags
                    .get("monitored")
                    .map(String::as_str)
                    .unwrap_or_default(),
            ),
            (
                "ipam.prefix",
                every(&net.lab_prefixes, 1),
                cat.tags.get("lab").map(String::as_str).unwrap_or_default(),
            ),
        ];
        let jobs: Vec<(&Model, &str, &str)> = work
            .iter()
            .flat_map(|(label, ids, tag)| {
                let m = self.registry.get(label).map(|m| m.as_ref());
                ids.iter()
                    .filter_map(move |id| m.map(|m| (m, id.as_str(), *tag)))
            })
            .collect();
        self.steps(conn, "tags", "extras.taggeditem", jobs.len(), |c, i, st| {
            let (m, id, tag) = jobs[i];
            self.set_tags(c, m, id, &[tag], st)
        })
    }

    /// Marks the marker tag complete.
    fn finish(&self, conn: &mut DbConnection, cat: &Catalog, scale: &str) -> Result<()> {
        let tags = self.model("extras.tag")?;
        let input = json!({ "description": plan::marker_done(scale) });
        self.transaction(conn, |c| {
            self.writer
                .borrow()
                .update(c, tags, &cat.marker, &input, true)
                .map(|_| ())
        })
    }
}

/// A `done` for [`Loader::stage`] keeping every id, in order.
fn keep(ids: &mut Vec<Option<String>>) -> impl FnMut(usize, Option<String>) + '_ {
    move |_, id| ids.push(id)
}

/// The models a required (non-null) foreign key of `model` points at.
fn required_targets(model: &Model) -> Vec<&str> {
    model
        .schema
        .fields
        .iter()
        .filter_map(|f| match &f.kind {
            FieldKind::ForeignKey { to, .. } if !f.null => Some(to.as_str()),
            FieldKind::ManyToMany { to } if !f.blank => Some(to.as_str()),
            _ => None,
        })
        .collect()
}

fn is_plugin(registry: &Registry, label: &str) -> bool {
    registry.get(label).is_some_and(|m| m.plugin.is_some())
}

#[cfg(test)]
mod query_props;
#[cfg(test)]
mod tests;
