-- Jobs (Nautobot's extras.Job, JobResult, JobLogEntry, ScheduledJob) and the workers
-- that run them. Served read-only through the model layer, hence created/last_updated.

-- Every job core and plugins declare, registered at start-up; disabled until enabled.
CREATE TABLE extras_job (
    id TEXT PRIMARY KEY NOT NULL,
    module_name TEXT NOT NULL,
    job_class_name TEXT NOT NULL,
    grouping TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled BOOLEAN NOT NULL DEFAULT 0,
    installed BOOLEAN NOT NULL DEFAULT 1,
    read_only BOOLEAN NOT NULL DEFAULT 0,
    dryrun_default BOOLEAN NOT NULL DEFAULT 0,
    soft_time_limit BIGINT NOT NULL DEFAULT 0,
    time_limit BIGINT NOT NULL DEFAULT 0,
    variables TEXT NOT NULL,
    created TEXT NOT NULL,
    last_updated TEXT NOT NULL
);
CREATE UNIQUE INDEX extras_job_module_class ON extras_job (module_name, job_class_name);

-- One run of a job: queued as pending, claimed by a worker, finished.
CREATE TABLE extras_jobresult (
    id TEXT PRIMARY KEY NOT NULL,
    job_model_id TEXT REFERENCES extras_job (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    task_name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    date_created TEXT NOT NULL,
    date_started TEXT,
    date_done TEXT,
    user_id TEXT,
    user_name TEXT NOT NULL DEFAULT '',
    task_kwargs TEXT,
    dryrun BOOLEAN NOT NULL DEFAULT 0,
    result TEXT,
    traceback TEXT NOT NULL DEFAULT '',
    worker TEXT NOT NULL DEFAULT '',
    heartbeat TEXT,
    scheduled_job_id TEXT,
    created TEXT NOT NULL,
    last_updated TEXT NOT NULL
);
CREATE INDEX extras_jobresult_status ON extras_jobresult (status, date_created);
CREATE INDEX extras_jobresult_job ON extras_jobresult (job_model_id);

-- The job log (extras_joblogentry) is not here: on SQLite it lives in its own database
-- file, attached to every connection as `joblog` (see host/db/src/lib.rs), so that a job
-- holding this file's write lock can still log.

-- Runs to start later, once or every interval; one scheduler queues them.
CREATE TABLE extras_scheduledjob (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    job_model_id TEXT NOT NULL REFERENCES extras_job (id) ON DELETE CASCADE,
    interval TEXT NOT NULL,
    every BIGINT NOT NULL DEFAULT 0,
    start_time TEXT NOT NULL,
    next_run TEXT,
    last_run_at TEXT,
    task_kwargs TEXT,
    dryrun BOOLEAN NOT NULL DEFAULT 0,
    user_id TEXT,
    user_name TEXT NOT NULL DEFAULT '',
    enabled BOOLEAN NOT NULL DEFAULT 1,
    created TEXT NOT NULL,
    last_updated TEXT NOT NULL
);

-- Workers alive: each heartbeats while it runs.
CREATE TABLE nautobot_worker (
    id TEXT PRIMARY KEY NOT NULL,
    hostname TEXT NOT NULL,
    pid BIGINT NOT NULL,
    concurrency BIGINT NOT NULL,
    started TEXT NOT NULL,
    heartbeat TEXT NOT NULL
);
