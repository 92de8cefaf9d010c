//! The jobs' tables as models (Nautobot's `extras.Job`, `JobResult`, `JobLogEntry`):
//! created by the host's diesel migration `0003_jobs` and described here so that the
//! model layer serves them read-only — REST list/detail with filters, UI lists and
//! detail pages — like the change log.

use nautobot_plugin_abi::{FieldKind, FieldSchema, ModelSchema, OnDelete};

fn text(name: &str, max: u32) -> FieldSchema {
    FieldSchema::char(name, max).blank().default_value("")
}

fn flag(name: &str) -> FieldSchema {
    FieldSchema::boolean(name).default_value(false)
}

fn seconds(name: &str) -> FieldSchema {
    FieldSchema::new(
        name,
        FieldKind::Integer {
            min: Some(0),
            max: None,
        },
    )
    .default_value(0)
}

/// The statuses of a job result.
pub const STATUSES: &[(&str, &str)] = &[
    ("pending", "Pending"),
    ("running", "Running"),
    ("success", "Completed"),
    ("failure", "Failed"),
    ("revoked", "Revoked"),
];

/// The levels of job log entries.
pub const LOG_LEVELS: &[(&str, &str)] = &[
    ("debug", "debug"),
    ("info", "info"),
    ("success", "success"),
    ("warning", "warning"),
    ("failure", "failure"),
    ("critical", "critical"),
];

/// `extras.job`: every job core and plugins declare, registered at start-up.
pub fn job_model() -> ModelSchema {
    ModelSchema::new("extras", "job")
        .verbose_names("job", "jobs")
        .description("A job a plugin provides: disabled until enabled.")
        .field(text("module_name", 100).verbose_name("module name"))
        .field(text("job_class_name", 100).verbose_name("job class name"))
        .field(text("grouping", 255))
        .field(FieldSchema::char("name", 255))
        .field(FieldSchema::text("description").blank().default_value(""))
        .field(flag("enabled"))
        .field(FieldSchema::boolean("installed").default_value(true))
        .field(flag("read_only").verbose_name("read-only"))
        .field(flag("dryrun_default").verbose_name("dry run by default"))
        .field(seconds("soft_time_limit").verbose_name("soft time limit"))
        .field(seconds("time_limit").verbose_name("time limit"))
        .field(FieldSchema::new("variables", FieldKind::Json))
        .unique_together(["module_name", "job_class_name"])
        .display_field("name")
        .natural_key(["module_name", "job_class_name"])
        .ordering(["grouping", "name"])
        .search_fields(["name", "grouping", "description", "module_name"])
}

/// `extras.jobresult`: one run of a job.
pub fn jobresult_model() -> ModelSchema {
    let statuses: Vec<(&'static str, &'static str)> = STATUSES.to_vec();
    ModelSchema::new("extras", "jobresult")
        .verbose_names("job result", "job results")
        .description("One run of a job: its status, input, result and log.")
        .field(
            FieldSchema::foreign_key("job_model", "extras.job", OnDelete::SetNull)
                .optional()
                .verbose_name("job"),
        )
        .field(FieldSchema::char("name", 255))
        .field(text("task_name", 255).verbose_name("task name"))
        .field(FieldSchema::choice("status", statuses))
        .field(FieldSchema::new("date_created", FieldKind::DateTime).verbose_name("created"))
        .field(
            FieldSchema::new("date_started", FieldKind::DateTime)
                .optional()
                .verbose_name("started"),
        )
        .field(
            FieldSchema::new("date_done", FieldKind::DateTime)
                .optional()
                .verbose_name("completed"),
        )
        .field(FieldSchema::foreign_key("user", "users.user", OnDelete::SetNull).optional())
        .field(text("user_name", 150).verbose_name("user name"))
        .field(
            FieldSchema::new("task_kwargs", FieldKind::Json)
                .optional()
                .verbose_name("input"),
        )
        .field(flag("dryrun").verbose_name("dry run"))
        .field(FieldSchema::new("result", FieldKind::Json).optional())
        .field(FieldSchema::text("traceback").blank().default_value(""))
        .field(text("worker", 255))
        .field(FieldSchema::new("heartbeat", FieldKind::DateTime).optional())
        .field(FieldSchema::char("scheduled_job_id", 36).optional())
        .display_field("name")
        .ordering(["-date_created"])
        .search_fields(["name", "user_name", "status"])
}

/// `extras.joblogentry`: one line of a job's log.
pub fn joblogentry_model() -> ModelSchema {
    let levels: Vec<(&'static str, &'static str)> = LOG_LEVELS.to_vec();
    ModelSchema::new("extras", "joblogentry")
        .verbose_names("job log entry", "job logs")
        .description("A line of a job's log, kept whether or not the job's changes were.")
        .field(
            FieldSchema::foreign_key("job_result", "extras.jobresult", OnDelete::Cascade)
                .verbose_name("job result"),
        )
        .field(FieldSchema::choice("log_level", levels).verbose_name("level"))
        .field(text("grouping", 100))
        .field(FieldSchema::text("message").blank().default_value(""))
        .field(text("log_object", 200).verbose_name("object"))
        .field(text("absolute_url", 255).verbose_name("object URL"))
        .display_field("message")
        .ordering(["created"])
        .search_fields(["message", "log_object"])
}

/// Every jobs model, for the catalog.
pub fn models() -> Vec<ModelSchema> {
    vec![
        job_model(),
        jobresult_model(),
        joblogentry_model(),
        scheduledjob_model(),
    ]
}

/// `extras.scheduledjob`: a run to start later, once or every interval.
pub fn scheduledjob_model() -> ModelSchema {
    ModelSchema::new("extras", "scheduledjob")
        .verbose_names("scheduled job", "scheduled jobs")
        .description("A run of a job to start later: once, or every interval.")
        .field(FieldSchema::char("name", 255))
        .field(
            FieldSchema::foreign_key("job_model", "extras.job", OnDelete::Cascade)
                .verbose_name("job"),
        )
        .field(FieldSchema::choice(
            "interval",
            [
                ("future", "Once in the future"),
                ("minutes", "Every N minutes"),
                ("hourly", "Hourly"),
                ("daily", "Daily"),
                ("weekly", "Weekly"),
            ],
        ))
        .field(
            FieldSchema::new(
                "every",
                FieldKind::Integer {
                    min: Some(0),
                    max: None,
                },
            )
            .default_value(0)
            .help_text("Minutes between runs, for the interval \"minutes\""),
        )
        .field(FieldSchema::new("start_time", FieldKind::DateTime).verbose_name("start time"))
        .field(
            FieldSchema::new("next_run", FieldKind::DateTime)
                .optional()
                .verbose_name("next run"),
        )
        .field(
            FieldSchema::new("last_run_at", FieldKind::DateTime)
                .optional()
                .verbose_name("last run"),
        )
        .field(
            FieldSchema::new("task_kwargs", FieldKind::Json)
                .optional()
                .verbose_name("input"),
        )
        .field(flag("dryrun").verbose_name("dry run"))
        .field(FieldSchema::foreign_key("user", "users.user", OnDelete::SetNull).optional())
        .field(text("user_name", 150).verbose_name("user name"))
        .field(FieldSchema::boolean("enabled").default_value(true))
        .display_field("name")
        .ordering(["next_run", "name"])
        .search_fields(["name", "user_name"])
}
