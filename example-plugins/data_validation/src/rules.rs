//! The rules themselves, free of any host call: their kinds and models, how a rule is read
//! from the REST representation of its object, how a rule's own definition is checked,
//! and how a value is checked against a rule.

use nautobot_plugin_abi::serde_json::{Map, Value};
use regex::Regex;

/// The four kinds of rule, one model (and one table) each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `RegularExpressionRule`: a string value must match `regular_expression`.
    Regex,
    /// `MinMaxRule`: a numeric value must lie within `min` … `max`.
    MinMax,
    /// `RequiredRule`: the value must not be null or empty.
    Required,
    /// `UniqueRule`: at most `max_instances` objects may share a value.
    Unique,
}

impl RuleKind {
    /// Every kind, in the order the validator reads their tables.
    pub const ALL: [RuleKind; 4] = [
        RuleKind::Regex,
        RuleKind::MinMax,
        RuleKind::Required,
        RuleKind::Unique,
    ];

    /// The model's name (`regularexpressionrule`).
    pub fn model_name(self) -> &'static str {
        match self {
            RuleKind::Regex => "regularexpressionrule",
            RuleKind::MinMax => "minmaxrule",
            RuleKind::Required => "requiredrule",
            RuleKind::Unique => "uniquerule",
        }
    }

    /// The model's label (`data_validation.regularexpressionrule`).
    pub fn label(self) -> &'static str {
        match self {
            RuleKind::Regex => "data_validation.regularexpressionrule",
            RuleKind::MinMax => "data_validation.minmaxrule",
            RuleKind::Required => "data_validation.requiredrule",
            RuleKind::Unique => "data_validation.uniquerule",
        }
    }

    /// The kind whose model has `label`, if any.
    pub fn from_label(label: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|k| k.label() == label)
    }
}

/// What a rule checks, with its parameters parsed.
#[derive(Debug, Clone)]
pub enum Check {
    /// The value, when a non-empty string, must match.
    Regex(Regex),
    /// The value, when given, must be a number within the bounds.
    MinMax {
        /// Inclusive lower bound.
        min: Option<f64>,
        /// Inclusive upper bound.
        max: Option<f64>,
    },
    /// The value must not be null or empty.
    Required,
    /// At most `max_instances` objects of the model may hold the same non-empty value.
    Unique {
        /// How many objects may share a value (at least 1).
        max_instances: u64,
    },
}

/// One enabled rule, as read from its object.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's unique name.
    pub name: String,
    /// The model it applies to (`dcim.location`).
    pub content_type: String,
    /// The field it checks.
    pub field: String,
    /// What it checks.
    pub check: Check,
    /// The message for a violation (the rule's own, or the default of its kind).
    pub message: String,
}

impl Rule {
    /// Reads a rule of `kind` from its object (as the REST API or a validation request
    /// shows it). Fails, with the reason, when a parameter is missing or invalid.
    pub fn from_object(kind: RuleKind, object: &Map<String, Value>) -> Result<Rule, String> {
        let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default();
        let check = match kind {
            RuleKind::Regex => Check::Regex(
                compile(text("regular_expression"))
                    .map_err(|e| format!("invalid regular expression: {e}"))?,
            ),
            RuleKind::MinMax => {
                let min = number(object.get("min"));
                let max = number(object.get("max"));
                if min.is_none() && max.is_none() {
                    return Err("neither min nor max is set".into());
                }
                Check::MinMax { min, max }
            }
            RuleKind::Required => Check::Required,
            RuleKind::Unique => Check::Unique {
                max_instances: object
                    .get("max_instances")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
                    .max(1),
            },
        };
        let custom = text("error_message").trim();
        let message = if custom.is_empty() {
            default_message(&check)
        } else {
            custom.to_string()
        };
        Ok(Rule {
            name: text("name").to_string(),
            content_type: text("content_type").to_string(),
            field: text("field").to_string(),
            check,
            message,
        })
    }

    /// Checks `value` (the field's value, `None` when the object has no such field)
    /// against every kind of rule but `Unique`, which needs the other objects. Answers the
    /// violation's message, if the value violates the rule.
    pub fn violation(&self, value: Option<&Value>) -> Option<String> {
        // A field the model does not have is not checked (the rule was checked when it
        // was written; the model may have changed since).
        let value = value?;
        match &self.check {
            Check::Regex(re) => match value {
                Value::String(s) if !s.is_empty() && !re.is_match(s) => Some(self.message.clone()),
                _ => None,
            },
            Check::MinMax { min, max } => {
                if is_empty(value) {
                    return None;
                }
                let Some(n) = number(Some(value)) else {
                    return Some(format!("{} (the value is not a number)", self.message));
                };
                let below = min.is_some_and(|m| n < m);
                let above = max.is_some_and(|m| n > m);
                (below || above).then(|| self.message.clone())
            }
            Check::Required => is_empty(value).then(|| self.message.clone()),
            Check::Unique { .. } => None,
        }
    }
}

/// Compiles a rule's regular expression.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| {
        // The crate's message spans several lines (the pattern, a caret, the error); the
        // last line says what is wrong.
        e.to_string()
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("invalid pattern")
            .trim_start_matches("error: ")
            .to_string()
    })
}

/// The message of a violation when the rule has none of its own (those of Nautobot's
/// Data Validation Engine).
pub fn default_message(check: &Check) -> String {
    match check {
        Check::Regex(re) => format!("Value does not conform to regex: {}", re.as_str()),
        Check::MinMax {
            min: Some(min),
            max: Some(max),
        } => format!("Value is outside the range {min} to {max}"),
        Check::MinMax { min: Some(min), .. } => format!("Value is less than minimum value: {min}"),
        Check::MinMax { max: Some(max), .. } => format!("Value is more than maximum value: {max}"),
        Check::MinMax { .. } => "Value is out of range".to_string(),
        Check::Required => "This field cannot be blank.".to_string(),
        Check::Unique { max_instances } => {
            format!("There can only be {max_instances} instance(s) with this value.")
        }
    }
}

/// Whether a value counts as "not given": null, an empty (or blank) string, an empty list
/// or object.
pub fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// A number, or a string holding one (decimals are strings in the API); anything else is
/// `None`.
pub fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// A value a unique rule compares, as a filter value: a non-empty string, a number or a
/// boolean. Lists (tags), objects (JSON), nulls and empty strings are never compared; nor
/// is the string `null`, which the REST filters read as SQL NULL.
pub fn unique_key(value: &Value) -> Option<Value> {
    match value {
        Value::String(s) if s.is_empty() || s.eq_ignore_ascii_case("null") => None,
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(value.clone()),
        _ => None,
    }
}

/// The fields of an object as a validation request shows them, from its REST
/// representation (see [`normalise`]).
pub fn normalise_object(object: &Map<String, Value>) -> Map<String, Value> {
    object
        .iter()
        .map(|(k, v)| (k.clone(), normalise(v)))
        .collect()
}

/// A field's value as a validation request shows it, from its REST representation: a
/// reference (`{id, object_type, url}`) becomes its id, a choice (`{value, label}`) its
/// value, and lists are converted item by item.
pub fn normalise(value: &Value) -> Value {
    match value {
        Value::Object(o) if o.contains_key("id") && o.contains_key("object_type") => {
            o.get("id").cloned().unwrap_or(Value::Null)
        }
        Value::Object(o) if o.len() == 2 && o.contains_key("value") && o.contains_key("label") => {
            o.get("value").cloned().unwrap_or(Value::Null)
        }
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        other => other.clone(),
    }
}

/// Whether `label` looks like a model label: `app_label.model` (`dcim.location`).
pub fn is_model_label(label: &str) -> bool {
    let Some((app, model)) = label.split_once('.') else {
        return false;
    };
    let word = |s: &str, underscore: bool| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || (underscore && c == '_'))
    };
    word(app, true) && word(model, false)
}

/// Whether `name` looks like a field name (`name`, `location_type`).
pub fn is_field_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.contains("__")
}

/// The problems of a rule's own definition (`data` as a validation request gives it),
/// per field, that need no database: the model label and field name, the regular
/// expression, the bounds, the number of instances.
pub fn definition_errors(kind: RuleKind, data: &Map<String, Value>) -> Vec<(String, String)> {
    let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or_default();
    let mut errors = Vec::new();
    if !is_model_label(text("content_type")) {
        errors.push((
            "content_type".to_string(),
            "Enter a model as app_label.model, e.g. dcim.location.".to_string(),
        ));
    }
    if !is_field_name(text("field")) {
        errors.push((
            "field".to_string(),
            "Enter a field name: lower-case letters, digits and underscores, e.g. name."
                .to_string(),
        ));
    }
    match kind {
        RuleKind::Regex => {
            if let Err(e) = compile(text("regular_expression")) {
                errors.push((
                    "regular_expression".to_string(),
                    format!("Invalid regular expression: {e}"),
                ));
            }
        }
        RuleKind::MinMax => match (number(data.get("min")), number(data.get("max"))) {
            (None, None) => errors.push((
                "__all__".to_string(),
                "Set a minimum, a maximum or both.".to_string(),
            )),
            (Some(min), Some(max)) if min > max => errors.push((
                "min".to_string(),
                "The minimum must be less than or equal to the maximum.".to_string(),
            )),
            _ => {}
        },
        RuleKind::Required => {}
        RuleKind::Unique => {
            if data
                .get("max_instances")
                .and_then(Value::as_i64)
                .is_some_and(|n| n < 1)
            {
                errors.push((
                    "max_instances".to_string(),
                    "Ensure this value is greater than or equal to 1.".to_string(),
                ));
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_plugin_abi::serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn rule(kind: RuleKind, v: Value) -> Rule {
        Rule::from_object(kind, &obj(v)).expect("a valid rule")
    }

    #[test]
    fn kinds_know_their_labels() {
        for kind in RuleKind::ALL {
            assert_eq!(
                kind.label(),
                format!("data_validation.{}", kind.model_name())
            );
            assert_eq!(RuleKind::from_label(kind.label()), Some(kind));
        }
        assert_eq!(RuleKind::from_label("dcim.location"), None);
    }

    #[test]
    fn regex_rules_check_non_empty_strings_only() {
        let r = rule(
            RuleKind::Regex,
            json!({"name": "r", "field": "name", "regular_expression": "^[A-Z]{3}-\\d+$", "error_message": ""}),
        );
        assert_eq!(r.violation(Some(&json!("AMS-1"))), None);
        assert_eq!(
            r.violation(Some(&json!("ams-1"))).as_deref(),
            Some("Value does not conform to regex: ^[A-Z]{3}-\\d+$")
        );
        assert_eq!(r.violation(Some(&json!(""))), None);
        assert_eq!(r.violation(Some(&Value::Null)), None);
        assert_eq!(r.violation(Some(&json!(42))), None);
        assert_eq!(r.violation(None), None);
        let custom = rule(
            RuleKind::Regex,
            json!({"field": "name", "regular_expression": "x", "error_message": "Needs an x"}),
        );
        assert_eq!(
            custom.violation(Some(&json!("abc"))).as_deref(),
            Some("Needs an x")
        );
    }

    #[test]
    fn min_max_rules_take_numbers_and_numeric_strings() {
        let r = rule(
            RuleKind::MinMax,
            json!({"field": "asn", "min": 10, "max": 20.5}),
        );
        assert_eq!(r.violation(Some(&json!(10))), None);
        assert_eq!(r.violation(Some(&json!("20.5"))), None);
        assert!(r.violation(Some(&json!(9.99))).is_some());
        assert!(r.violation(Some(&json!("21"))).is_some());
        assert_eq!(r.violation(Some(&Value::Null)), None);
        assert_eq!(r.violation(Some(&json!(""))), None);
        assert!(r
            .violation(Some(&json!("abc")))
            .is_some_and(|m| m.contains("not a number")));
        let min_only = rule(
            RuleKind::MinMax,
            json!({"field": "asn", "min": 1, "max": null}),
        );
        assert_eq!(
            min_only.violation(Some(&json!(0))).as_deref(),
            Some("Value is less than minimum value: 1")
        );
        assert_eq!(min_only.violation(Some(&json!(1e12))), None);
        assert!(Rule::from_object(RuleKind::MinMax, &obj(json!({"min": null}))).is_err());
    }

    #[test]
    fn required_rules_refuse_empty_values() {
        let r = rule(RuleKind::Required, json!({"field": "facility"}));
        for empty in [json!(null), json!(""), json!("  "), json!([]), json!({})] {
            assert_eq!(
                r.violation(Some(&empty)).as_deref(),
                Some("This field cannot be blank.")
            );
        }
        for given in [json!("x"), json!(0), json!(false), json!(["t"])] {
            assert_eq!(r.violation(Some(&given)), None);
        }
    }

    #[test]
    fn unique_rules_default_to_one_instance() {
        let r = rule(RuleKind::Unique, json!({"field": "facility"}));
        assert!(matches!(r.check, Check::Unique { max_instances: 1 }));
        assert_eq!(
            r.message,
            "There can only be 1 instance(s) with this value."
        );
        assert_eq!(unique_key(&json!("x")), Some(json!("x")));
        assert_eq!(unique_key(&json!(3)), Some(json!(3)));
        assert_eq!(unique_key(&json!("")), None);
        assert_eq!(unique_key(&json!("NULL")), None);
        assert_eq!(unique_key(&json!(["a"])), None);
    }

    #[test]
    fn invalid_regexes_are_explained_in_one_line() {
        let e = compile("(unclosed").unwrap_err();
        assert!(!e.contains('\n'), "{e}");
        assert!(e.contains("unclosed group"), "{e}");
    }

    #[test]
    fn definitions_are_checked() {
        let good = obj(
            json!({"content_type": "dcim.location", "field": "name", "regular_expression": "^a"}),
        );
        assert!(definition_errors(RuleKind::Regex, &good).is_empty());
        let bad =
            obj(json!({"content_type": "location", "field": "Name", "regular_expression": "(a"}));
        let fields: Vec<String> = definition_errors(RuleKind::Regex, &bad)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["content_type", "field", "regular_expression"]);
        let range =
            obj(json!({"content_type": "dcim.location", "field": "asn", "min": 5, "max": 1}));
        assert_eq!(definition_errors(RuleKind::MinMax, &range)[0].0, "min");
        let none =
            obj(json!({"content_type": "dcim.location", "field": "asn", "min": null, "max": null}));
        assert_eq!(definition_errors(RuleKind::MinMax, &none)[0].0, "__all__");
        let zero =
            obj(json!({"content_type": "dcim.location", "field": "asn", "max_instances": 0}));
        assert_eq!(
            definition_errors(RuleKind::Unique, &zero)[0].0,
            "max_instances"
        );
    }

    #[test]
    fn labels_and_field_names() {
        assert!(is_model_label("dcim.location"));
        assert!(is_model_label("example_plugin.examplemodel"));
        assert!(!is_model_label("dcim"));
        assert!(!is_model_label("dcim.location_type"));
        assert!(!is_model_label("DCIM.location"));
        assert!(!is_model_label("dcim.location.x"));
        assert!(is_field_name("location_type"));
        assert!(!is_field_name("name__ic"));
        assert!(!is_field_name("_name"));
        assert!(!is_field_name(""));
    }

    #[test]
    fn rest_objects_are_normalised_like_validation_requests() {
        let api = obj(json!({
            "id": "a",
            "object_type": "dcim.location",
            "status": {"id": "s", "object_type": "extras.status", "url": "/api/extras/statuses/s/"},
            "kind": {"value": "x", "label": "X"},
            "tags": [{"id": "t", "object_type": "extras.tag", "url": "/u/"}],
            "asn": 65000,
        }));
        assert_eq!(
            Value::Object(normalise_object(&api)),
            json!({"id": "a", "object_type": "dcim.location", "status": "s", "kind": "x", "tags": ["t"], "asn": 65000})
        );
    }
}
