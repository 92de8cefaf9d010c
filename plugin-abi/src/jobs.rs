//! Jobs: work a plugin offers to run on demand or on a schedule, in a worker process
//! (`nautobot-server worker`), with variables an operator fills in a form or the API.
//!
//! A job's database work goes through [`Host`](crate::Host)'s verbs and is one
//! transaction: committed when the handler returns `Ok`, rolled back when it returns an
//! error, panics, or runs as a dry run. Its log ([`Host::job_log`](crate::Host::job_log))
//! is written apart and survives the rollback.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::http::User;

/// A job as the plugin declares it (Nautobot's `Job` class and its `Meta`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobDef {
    /// The handler's name, unique in the plugin (Nautobot's job class name).
    pub name: String,
    /// The name people see.
    pub verbose_name: String,
    /// What the job does.
    pub description: String,
    /// The group it is listed under (default: the plugin's verbose name).
    pub grouping: String,
    /// Its variables, in form order.
    pub variables: Vec<JobVar>,
    /// Whether it only reads data (its changes are never committed).
    pub read_only: bool,
    /// Whether runs default to a dry run.
    pub dryrun_default: bool,
    /// Seconds after which the job is warned about (0: the server's default).
    pub soft_time_limit: u64,
    /// Seconds after which the job is stopped and failed (0: the server's default).
    pub time_limit: u64,
}

impl JobDef {
    /// A job whose handler is `name`, shown as `verbose_name`.
    pub fn new(name: impl Into<String>, verbose_name: impl Into<String>) -> Self {
        JobDef {
            name: name.into(),
            verbose_name: verbose_name.into(),
            ..Default::default()
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Sets the group the job is listed under.
    pub fn grouping(mut self, grouping: impl Into<String>) -> Self {
        self.grouping = grouping.into();
        self
    }

    /// Adds a variable.
    pub fn var(mut self, var: JobVar) -> Self {
        self.variables.push(var);
        self
    }

    /// Marks the job as only reading data.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// Makes runs default to dry runs.
    pub fn dryrun_default(mut self) -> Self {
        self.dryrun_default = true;
        self
    }

    /// Sets the soft and hard time limits, in seconds.
    pub fn time_limits(mut self, soft: u64, hard: u64) -> Self {
        self.soft_time_limit = soft;
        self.time_limit = hard;
        self
    }
}

/// One variable of a job: a form field and an API input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobVar {
    /// The name (the key in the job's `data`).
    pub name: String,
    /// Its type and constraints.
    #[serde(flatten)]
    pub kind: VarKind,
    /// The label in forms (default: the name).
    pub label: String,
    /// Help shown in forms and the API.
    pub description: String,
    /// Whether a value must be given.
    pub required: bool,
    /// The value used when none is given.
    pub default: Option<Value>,
}

impl Default for JobVar {
    fn default() -> Self {
        JobVar {
            name: String::new(),
            kind: VarKind::String {
                min_length: None,
                max_length: None,
                regex: None,
            },
            label: String::new(),
            description: String::new(),
            required: true,
            default: None,
        }
    }
}

impl JobVar {
    /// A required variable `name` of `kind`.
    pub fn new(name: impl Into<String>, kind: VarKind) -> Self {
        JobVar {
            name: name.into(),
            kind,
            ..Default::default()
        }
    }

    /// A one-line string.
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(
            name,
            VarKind::String {
                min_length: None,
                max_length: None,
                regex: None,
            },
        )
    }

    /// An integer, optionally bounded.
    pub fn integer(name: impl Into<String>, min: Option<i64>, max: Option<i64>) -> Self {
        Self::new(name, VarKind::Integer { min, max })
    }

    /// A boolean (never required: absent means `false`).
    pub fn boolean(name: impl Into<String>) -> Self {
        let mut var = Self::new(name, VarKind::Boolean);
        var.required = false;
        var
    }

    /// Makes the variable optional.
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// Sets the default value (and makes the variable optional).
    pub fn default_value(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self.required = false;
        self
    }

    /// Sets the label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets the help text.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

/// A variable's type (Nautobot's `StringVar`, `IntegerVar`, `ObjectVar` …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VarKind {
    /// One line of text.
    String {
        /// The fewest characters allowed.
        #[serde(default)]
        min_length: Option<u32>,
        /// The most characters allowed.
        #[serde(default)]
        max_length: Option<u32>,
        /// A regular expression the whole value must match.
        #[serde(default)]
        regex: Option<String>,
    },
    /// Several lines of text.
    Text,
    /// An integer.
    Integer {
        /// The smallest value allowed.
        #[serde(default)]
        min: Option<i64>,
        /// The largest value allowed.
        #[serde(default)]
        max: Option<i64>,
    },
    /// `true` or `false`.
    Boolean,
    /// One of a set of values.
    Choice {
        /// `(value, label)` pairs.
        choices: Vec<(String, String)>,
    },
    /// Several of a set of values.
    MultiChoice {
        /// `(value, label)` pairs.
        choices: Vec<(String, String)>,
    },
    /// One object of a model, optionally limited by REST API filters.
    Object {
        /// The model, `app_label.name`.
        model: String,
        /// Filters the object must match (`{"status": "Active"}`).
        #[serde(default)]
        query: Map<String, Value>,
    },
    /// Several objects of a model.
    MultiObject {
        /// The model, `app_label.name`.
        model: String,
        /// Filters the objects must match.
        #[serde(default)]
        query: Map<String, Value>,
    },
    /// An IPv4 or IPv6 address, with optional prefix length.
    IpAddress,
    /// An IPv4 or IPv6 network.
    IpNetwork,
    /// Any JSON value.
    Json,
    /// An uploaded file, given to the job as text.
    File,
}

/// What a job handler receives (call kind `job`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobRequest {
    /// The job's handler name.
    pub job: String,
    /// The job result's id.
    pub job_result_id: String,
    /// The variables, cleaned: objects as the REST API represents them, lists for
    /// multi-valued variables.
    pub data: Map<String, Value>,
    /// Whether this is a dry run: the changes are rolled back whatever happens.
    pub dryrun: bool,
    /// Who asked for the run.
    pub user: Option<User>,
}

impl JobRequest {
    /// The value of variable `name` as a string, if it is one.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.data.get(name).and_then(Value::as_str)
    }

    /// The value of variable `name` as an integer, if it is one.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.data.get(name).and_then(Value::as_i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_serialise_with_typed_variables() {
        let job = JobDef::new("create", "Create things")
            .grouping("Examples")
            .var(JobVar::integer("count", Some(1), Some(100)).default_value(3))
            .var(JobVar::new(
                "location",
                VarKind::Object {
                    model: "dcim.location".into(),
                    query: Map::new(),
                },
            ));
        let v = serde_json::to_value(&job).unwrap();
        assert_eq!(v["variables"][0]["type"], "integer");
        assert_eq!(v["variables"][0]["max"], 100);
        assert_eq!(v["variables"][0]["required"], false);
        assert_eq!(v["variables"][1]["model"], "dcim.location");
        assert_eq!(serde_json::from_value::<JobDef>(v).unwrap(), job);
        let minimal: JobVar = serde_json::from_str(r#"{"name": "n", "type": "boolean"}"#).unwrap();
        assert_eq!(minimal.kind, VarKind::Boolean);
    }
}
