//! `data_validation`: the Data Validation Engine, after Nautobot's app of that name.
//!
//! Operators write rules — data, not code — that every create and update of a model must
//! pass, whichever way it comes (UI forms, bulk edit and CSV import, the REST API, jobs,
//! other plugins):
//!
//! * **regular expression rules** (`/plugins/data-validation/regex-rules/`): a string
//!   field must match a pattern;
//! * **min/max rules** (`min-max-rules/`): a numeric field must lie within bounds;
//! * **required rules** (`required-rules/`): an optional field must be filled in;
//! * **unique rules** (`unique-rules/`): at most `max_instances` objects may share a
//!   field's value.
//!
//! Each rule names its model (`content_type`, a label such as `dcim.location`), its
//! `field`, an optional `error_message` and whether it is `enabled`. The four models get
//! the server's generic UI and REST API (`/api/plugins/data-validation/<plural>/`); one
//! validator registered for every model ([`ALL_MODELS`]) enforces them, reading the rules
//! of the model written with one query per rule table (ABI 1.1); and the job
//! `audit_rules` finds the objects that broke a rule before it existed.
//!
//! Build it with `cargo build -p data_validation`, copy `libdata_validation.so` into
//! `PLUGINS_DIR`, add `"data_validation"` to `PLUGINS` and run `nautobot-server migrate`.

mod rules;

use std::collections::{BTreeMap, HashSet};

use nautobot_plugin_abi::prelude::*;
use nautobot_plugin_abi::serde_json::{Map, Value};

use rules::{Check, Rule, RuleKind};

/// The plugin's name (its `PLUGINS` entry and app label).
pub const PLUGIN: &str = "data_validation";

/// The heading the job list shows the audit under.
const JOB_GROUPING: &str = "Data Validation";

/// The page size of every listing (the host's maximum).
const PAGE_SIZE: u64 = 1000;

/// At most this many rules of one kind are read for one model (a bound, not a limit
/// anyone should meet).
const MAX_RULES: u64 = 10_000;

/// At most this many objects of one model are audited by one run of `audit_rules`.
const MAX_AUDITED_OBJECTS: u64 = 1_000_000;

/// The plugin's declaration: what `export_plugin!` exports.
pub fn plugin() -> PluginBuilder {
    PluginBuilder::new(PLUGIN)
        .verbose_name("Data Validation Engine")
        .version(env!("CARGO_PKG_VERSION"))
        .author("Nautobot-rs maintainers")
        .author_email("maintainers@example.com")
        .description(
            "User-defined data validation rules (regular expression, min/max, required, \
             unique) enforced on every model, and a job auditing existing data against them.",
        )
        .base_url("data-validation")
        // ABI 1.1: a validator of every model, reading the database.
        .min_version("1.1.0")
        .max_version("1.99.99")
        .model(regex_rule())
        .model(min_max_rule())
        .model(required_rule())
        .model(unique_rule())
        .migration(migration_0001_initial())
        .validator(ALL_MODELS, "enforce_rules", enforce_rules)
        .job(audit_rules_job(), audit_rules)
        .menu_tab(menu())
        .home_view("regularexpressionrule_list")
}

export_plugin!(plugin);

// ---------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------

/// The fields every rule starts with: its name, its model and its field.
fn common_fields(schema: ModelSchema) -> ModelSchema {
    schema
        .field(
            FieldSchema::char("name", 100)
                .unique()
                .help_text("A unique name for this rule."),
        )
        .field(
            FieldSchema::char("content_type", 100)
                .verbose_name("content type")
                .help_text("The model the rule applies to, as app_label.model (dcim.location)."),
        )
        .field(
            FieldSchema::char("field", 50)
                .help_text("The name of the field the rule checks (name, asn …)."),
        )
}

/// The fields every rule ends with: its message and whether it is enforced.
fn closing_fields(schema: ModelSchema) -> ModelSchema {
    schema
        .field(
            FieldSchema::char("error_message", 255)
                .blank()
                .verbose_name("error message")
                .help_text("The message shown on the field when the rule is broken; empty for a default one."),
        )
        .field(
            FieldSchema::boolean("enabled")
                .default_value(true)
                .help_text("Whether the rule is enforced."),
        )
}

/// The options every rule model shares. Rules are policy, not inventory: the sample
/// network (`load-sample-data`) has none, generated ones would refuse real data.
fn rule_options(schema: ModelSchema) -> ModelSchema {
    schema
        .ordering(["name"])
        .search_fields(["name", "content_type", "field", "error_message"])
        .exclude_from_sample_data()
}

/// `RegularExpressionRule`: a string field must match `regular_expression`, served at
/// `regex-rules/` as in Nautobot's Data Validation Engine (`url_segment`, since 1.1).
fn regex_rule() -> ModelSchema {
    let schema = ModelSchema::new(PLUGIN, RuleKind::Regex.model_name())
        .verbose_names("regular expression rule", "regular expression rules")
        .url_segment("regex-rules")
        .description("A regular expression that a string field's non-empty values must match.");
    let schema = common_fields(schema).field(
        FieldSchema::char("regular_expression", 500)
            .verbose_name("regular expression")
            .help_text("The pattern values must match (Rust regex syntax; unanchored unless it uses ^ and $)."),
    );
    rule_options(closing_fields(schema))
}

/// `MinMaxRule`: a numeric field must lie within `min` … `max` (either may be open).
fn min_max_rule() -> ModelSchema {
    let schema = ModelSchema::new(PLUGIN, RuleKind::MinMax.model_name())
        .verbose_names("min max rule", "min max rules")
        .description("Inclusive bounds on a numeric field's values.");
    let schema = common_fields(schema)
        .field(
            FieldSchema::new("min", FieldKind::Float)
                .optional()
                .help_text("The smallest value allowed; empty for no minimum."),
        )
        .field(
            FieldSchema::new("max", FieldKind::Float)
                .optional()
                .help_text("The largest value allowed; empty for no maximum."),
        );
    rule_options(closing_fields(schema))
}

/// `RequiredRule`: a field (usually an optional one) must not be left empty.
fn required_rule() -> ModelSchema {
    let schema = ModelSchema::new(PLUGIN, RuleKind::Required.model_name())
        .verbose_names("required rule", "required rules")
        .description("A field that must not be left empty.");
    rule_options(closing_fields(common_fields(schema)))
}

/// `UniqueRule`: at most `max_instances` objects of the model may share a field's value.
fn unique_rule() -> ModelSchema {
    let schema = ModelSchema::new(PLUGIN, RuleKind::Unique.model_name())
        .verbose_names("unique rule", "unique rules")
        .description("A field whose non-empty values at most max_instances objects may share.");
    let schema = common_fields(schema).field(
        FieldSchema::new(
            "max_instances",
            FieldKind::Integer {
                min: Some(1),
                max: None,
            },
        )
        .default_value(1)
        .verbose_name("max instances")
        .help_text("How many objects may hold the same value."),
    );
    rule_options(closing_fields(schema))
}

/// Creates the four rule models exactly as declared.
fn migration_0001_initial() -> Migration {
    [regex_rule(), min_max_rule(), required_rule(), unique_rule()]
        .into_iter()
        .fold(
            Migration::new(PLUGIN, "0001_initial"),
            |migration, model| migration.operation(Operation::CreateModel { model }),
        )
}

/// The navigation: the four lists, each with its add button.
fn menu() -> NavMenuTab {
    let item = |kind: RuleKind, title: &str| {
        let model = kind.model_name();
        NavMenuItem::new(format!("{model}_list"), title)
            .permission(format!("{PLUGIN}.view_{model}"))
            .button(
                NavMenuButton::new(format!("{model}_add"), "Add")
                    .icon_class("mdi mdi-plus-thick")
                    .permission(format!("{PLUGIN}.add_{model}")),
            )
    };
    NavMenuTab::new("Extensibility").weight(4000).group(
        NavMenuGroup::new("Data Validation Engine")
            .item(item(RuleKind::Regex, "Regular Expression Rules"))
            .item(item(RuleKind::MinMax, "Min/Max Rules"))
            .item(item(RuleKind::Required, "Required Rules"))
            .item(item(RuleKind::Unique, "Unique Rules")),
    )
}

// ---------------------------------------------------------------------------------------
// The validator
// ---------------------------------------------------------------------------------------

/// The validator of every model: checks the rules' own definitions when a rule is
/// written, then enforces the enabled rules of the model written. Every violation is
/// reported, each on its field.
fn enforce_rules(ctx: &Context<'_>, req: ValidationRequest) -> Result<(), PluginError> {
    let host = ctx.host();
    let mut errors: Vec<(String, String)> = Vec::new();
    if let Some(kind) = RuleKind::from_label(&req.model) {
        errors.extend(rules::definition_errors(kind, &req.data));
        if errors.is_empty() {
            errors.extend(target_errors(host, &req.data)?);
        }
    }
    for rule in load_rules(host, &req.model)? {
        let message = match &rule.check {
            Check::Unique { max_instances } => {
                unique_violation(host, &req.model, &req.data, &rule, *max_instances)?
            }
            _ => rule.violation(req.data.get(&rule.field)),
        };
        if let Some(message) = message {
            errors.push((rule.field.clone(), message));
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    let mut seen = HashSet::new();
    errors.retain(|e| seen.insert(e.clone()));
    let summary = errors
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect::<Vec<_>>()
        .join("; ");
    Err(PluginError::validation(
        format!(
            "data validation rules refused this {}: {summary}",
            req.model
        ),
        errors,
    ))
}

/// The enabled rules of `model`, one indexed query (`content_type` and `enabled`) per
/// rule table. A stored rule that cannot be read (a pattern written before it was
/// checked) is skipped with a warning in the server log.
fn load_rules(host: &Host<'_>, model: &str) -> Result<Vec<Rule>, PluginError> {
    let mut out = Vec::new();
    for kind in RuleKind::ALL {
        let query = Query::new()
            .filter("content_type", model)
            .filter("enabled", true);
        for object in list_all(host, kind.label(), query, MAX_RULES)? {
            let Some(fields) = object.as_object() else {
                continue;
            };
            match Rule::from_object(kind, fields) {
                Ok(rule) => out.push(rule),
                Err(e) => host.warn(&format!(
                    "{} {:?} is not enforced: {e}",
                    kind.model_name(),
                    fields
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                )),
            }
        }
    }
    Ok(out)
}

/// Every object of `model` matching `query`, in pages of [`PAGE_SIZE`], at most `bound`.
fn list_all(
    host: &Host<'_>,
    model: &str,
    query: Query,
    bound: u64,
) -> Result<Vec<Value>, PluginError> {
    let mut out: Vec<Value> = Vec::new();
    loop {
        let offset = out.len() as u64;
        let page: Page = host.query(model, query.clone().limit(PAGE_SIZE).offset(offset))?;
        let got = page.results.len() as u64;
        out.extend(page.results);
        if got == 0 || out.len() as u64 >= page.count.min(bound) {
            out.truncate(bound.try_into().unwrap_or(usize::MAX));
            return Ok(out);
        }
    }
}

/// Whether another object of `model` already holds the value of the rule's field, more
/// than `max_instances` allow: one query on the model (filter `<field>: value`, the
/// object itself excluded by id). Needs the acting user's view permission on the model.
fn unique_violation(
    host: &Host<'_>,
    model: &str,
    data: &Map<String, Value>,
    rule: &Rule,
    max_instances: u64,
) -> Result<Option<String>, PluginError> {
    let Some(value) = data.get(&rule.field).and_then(rules::unique_key) else {
        return Ok(None);
    };
    let mut query = Query::new().filter(rule.field.clone(), value).limit(1);
    if let Some(id) = data.get("id").and_then(Value::as_str) {
        query = query.filter("id__n", id);
    }
    let others: Page = host.query(model, query)?;
    Ok((others.count >= max_instances).then(|| rule.message.clone()))
}

/// The problems of a rule's target: its model must exist and have the field. Checked
/// with a query that cannot match (a nil id), so that it costs an index lookup whatever
/// the table's size. A user who may not view the model cannot have it checked; the rule
/// is then accepted as written.
fn target_errors(
    host: &Host<'_>,
    data: &Map<String, Value>,
) -> Result<Vec<(String, String)>, PluginError> {
    let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or_default();
    let (model, field) = (text("content_type"), text("field"));
    let probe = Query::new()
        .filter("id", "00000000-0000-0000-0000-000000000000")
        .filter(format!("{field}__isnull"), true)
        .limit(1);
    match host.query::<Page>(model, probe) {
        Ok(_) => Ok(Vec::new()),
        Err(e) if e.code == PluginError::NOT_FOUND => Ok(vec![(
            "content_type".to_string(),
            format!("There is no model {model}."),
        )]),
        Err(e) if e.code == PluginError::VALIDATION => Ok(vec![(
            "field".to_string(),
            format!("Model {model} has no field {field}."),
        )]),
        Err(e) if e.code == PluginError::PERMISSION_DENIED => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// The audit job
// ---------------------------------------------------------------------------------------

/// `audit_rules`: checks the existing objects against every enabled rule.
fn audit_rules_job() -> JobDef {
    JobDef::new("audit_rules", "Audit data against validation rules")
        .description(
            "Checks every object of every model that has enabled rules against them, and \
             logs each violation with a link to the object. Changes nothing.",
        )
        .grouping(JOB_GROUPING)
        .read_only()
}

/// What the audit found, for its summary and result.
#[derive(Default)]
struct Audit {
    /// Enabled rules read.
    rules: u64,
    /// Objects walked, over every model.
    objects_checked: u64,
    /// Violations logged.
    violations: u64,
    /// The ids of the objects with at least one violation.
    violating: HashSet<String>,
}

impl Audit {
    /// Logs one violation of `rule` by `object` (as the REST API shows it).
    fn report(&mut self, host: &Host<'_>, rule: &Rule, message: &str, object: &Value) {
        let display = object
            .get("display")
            .and_then(Value::as_str)
            .unwrap_or_default();
        host.job_log(
            "failure",
            &format!(
                "{} {display}: {}: {message} (rule {:?})",
                rule.content_type, rule.field, rule.name
            ),
            Some(object),
        );
        self.violations += 1;
        if let Some(id) = object.get("id").and_then(Value::as_str) {
            self.violating.insert(id.to_string());
        }
    }
}

/// The handler of `audit_rules`: reads every enabled rule, walks the objects of each
/// model that has some, logs each violation (with the object, which the job result links
/// to) and a summary, and answers the counts.
fn audit_rules(ctx: &Context<'_>, _req: JobRequest) -> Result<Value, PluginError> {
    let host = ctx.host();
    let mut by_model: BTreeMap<String, Vec<Rule>> = BTreeMap::new();
    let mut audit = Audit::default();
    for kind in RuleKind::ALL {
        let query = Query::new().filter("enabled", true).sort("name");
        for object in list_all(host, kind.label(), query, MAX_RULES)? {
            let Some(fields) = object.as_object() else {
                continue;
            };
            match Rule::from_object(kind, fields) {
                Ok(rule) => {
                    audit.rules += 1;
                    by_model
                        .entry(rule.content_type.clone())
                        .or_default()
                        .push(rule);
                }
                Err(e) => host.job_log("warning", &format!("Skipped: {e}"), Some(&object)),
            }
        }
    }
    host.job_log(
        "info",
        &format!(
            "Auditing {} models against {} enabled rules",
            by_model.len(),
            audit.rules
        ),
        None,
    );
    for (model, rules) in &by_model {
        audit_model(host, model, rules, &mut audit)?;
    }
    let objects = audit.violating.len();
    let summary = format!(
        "{} violations in {objects} objects ({} objects checked against {} rules)",
        audit.violations, audit.objects_checked, audit.rules
    );
    let level = if audit.violations == 0 {
        "success"
    } else {
        "failure"
    };
    host.job_log(level, &summary, None);
    Ok(json!({
        "rules": audit.rules,
        "models": by_model.len(),
        "objects_checked": audit.objects_checked,
        "objects_with_violations": objects,
        "violations": audit.violations,
    }))
}

/// Walks the objects of `model` in id order (a keyset: each page starts after the last
/// id of the one before, so that every page costs what it holds) and checks each against
/// `rules`; unique rules are checked at the end, from the values collected on the way.
fn audit_model(
    host: &Host<'_>,
    model: &str,
    rules: &[Rule],
    audit: &mut Audit,
) -> Result<(), PluginError> {
    // Unique rules: rule index → value → the objects holding it (as small references).
    let mut values: BTreeMap<usize, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
    let mut last_id: Option<String> = None;
    let mut walked: u64 = 0;
    loop {
        let mut query = Query::new().sort("id").limit(PAGE_SIZE);
        if let Some(id) = &last_id {
            query = query.filter("id__gt", id.clone());
        }
        let page: Page = match host.query(model, query) {
            Ok(page) => page,
            Err(e)
                if e.code == PluginError::NOT_FOUND || e.code == PluginError::PERMISSION_DENIED =>
            {
                host.job_log(
                    "warning",
                    &format!("Cannot audit {model}: {}", e.message),
                    None,
                );
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if page.results.is_empty() {
            break;
        }
        for object in &page.results {
            let Some(fields) = object.as_object() else {
                continue;
            };
            walked += 1;
            let data = rules::normalise_object(fields);
            for (i, rule) in rules.iter().enumerate() {
                match rule.check {
                    Check::Unique { .. } => {
                        if let Some(key) = data.get(&rule.field).and_then(rules::unique_key) {
                            values
                                .entry(i)
                                .or_default()
                                .entry(key.to_string())
                                .or_default()
                                .push(reference(object));
                        }
                    }
                    _ => {
                        if let Some(message) = rule.violation(data.get(&rule.field)) {
                            audit.report(host, rule, &message, object);
                        }
                    }
                }
            }
        }
        last_id = page
            .results
            .last()
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if last_id.is_none() || (page.results.len() as u64) < PAGE_SIZE {
            break;
        }
        if walked >= MAX_AUDITED_OBJECTS {
            host.job_log(
                "warning",
                &format!("Stopped auditing {model} after {walked} objects"),
                None,
            );
            break;
        }
    }
    audit.objects_checked += walked;
    for (i, groups) in values {
        let (rule, Check::Unique { max_instances }) = (&rules[i], &rules[i].check) else {
            continue;
        };
        for holders in groups.values() {
            if holders.len() as u64 > *max_instances {
                for object in holders {
                    audit.report(host, rule, &rule.message, object);
                }
            }
        }
    }
    Ok(())
}

/// The parts of an object a job log entry needs (its id, display text and URL).
fn reference(object: &Value) -> Value {
    json!({
        "id": object.get("id"),
        "object_type": object.get("object_type"),
        "display": object.get("display"),
        "url": object.get("url"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::serde_json;

    fn manifest() -> Value {
        serde_json::to_value(plugin().manifest()).expect("the manifest serialises")
    }

    #[test]
    fn the_manifest_declares_the_plugin() {
        let m = manifest();
        assert_eq!(m["name"], "data_validation");
        assert_eq!(m["base_url"], "data-validation");
        assert_eq!(m["verbose_name"], "Data Validation Engine");
        assert_eq!(m["min_version"], "1.1.0");
        assert_eq!(
            m["validators"],
            json!([{"name": "enforce_rules", "model": "*"}])
        );
        assert_eq!(m["jobs"][0]["name"], "audit_rules");
        assert_eq!(m["jobs"][0]["grouping"], "Data Validation");
    }

    #[test]
    fn the_models_are_served_at_their_plurals() {
        let plurals: Vec<String> = [regex_rule(), min_max_rule(), required_rule(), unique_rule()]
            .iter()
            .map(ModelSchema::url_plural)
            .collect();
        assert_eq!(
            plurals,
            [
                "regex-rules",
                "min-max-rules",
                "required-rules",
                "unique-rules"
            ]
        );
    }

    #[test]
    fn the_migration_creates_every_declared_model() {
        let m = manifest();
        let created: Vec<Value> = m["migrations"][0]["operations"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|op| op["model"]["name"].clone())
            .collect();
        let declared: Vec<Value> = m["models"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|model| model["name"].clone())
            .collect();
        assert_eq!(created, declared);
        assert_eq!(declared.len(), 4);
    }

    #[test]
    fn the_menu_links_every_list() {
        let m = manifest();
        let items = &m["menu_items"][0]["groups"][0]["items"];
        for (i, kind) in RuleKind::ALL.iter().enumerate() {
            assert_eq!(items[i]["link"], format!("{}_list", kind.model_name()));
        }
    }
}
