-- ibc — 0002 background jobs and the notification outbox (SQLite). Keep in
-- step with 0002_jobs.pg.sql: the two differ only in how ids are generated
-- (INTEGER PRIMARY KEY, the rowid, here; identity columns there) and in
-- SQLite's STRICT tables. See src/jobs/jobs.h and src/mail/outbox.h.
-- Timestamps are ISO-8601 UTC text 'YYYY-MM-DDTHH:MM:SSZ' set by the code.

-- A periodic task: every interval_s seconds the scheduler enqueues a job of
-- `kind` (src/jobs/job_store.c: job_schedule_tick).
CREATE TABLE job_schedule (
    name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
    kind TEXT NOT NULL CHECK (kind <> ''),
    interval_s INTEGER NOT NULL CHECK (interval_s > 0),
    next_run_at TEXT NOT NULL CHECK (next_run_at LIKE '____-__-__T__:__:__Z'),
    last_run_at TEXT CHECK (last_run_at LIKE '____-__-__T__:__:__Z')
) STRICT;

-- A background job. org_id is NULL only for system-wide jobs. A row is
-- 'running' exactly while a worker holds it (locked_by, heartbeat_at).
CREATE TABLE job (
    id INTEGER PRIMARY KEY,
    org_id INTEGER REFERENCES org (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind <> ''),
    payload TEXT,                        -- JSON text, opaque to the queue
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    progress INTEGER NOT NULL DEFAULT 0, -- units done
    total INTEGER NOT NULL DEFAULT 0,    -- units in all, 0 = unknown
    message TEXT,                        -- progress message or last error
    result TEXT,                         -- JSON text from the handler
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    run_at TEXT NOT NULL CHECK (run_at LIKE '____-__-__T__:__:__Z'),
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z'),
    started_at TEXT,
    finished_at TEXT,
    locked_by TEXT,                      -- 'host:pid:nonce' of the worker
    heartbeat_at TEXT,
    schedule TEXT REFERENCES job_schedule (name) ON DELETE SET NULL,
    CHECK ((state = 'running') = (locked_by IS NOT NULL))
) STRICT;

-- Picking due jobs: the queued ones by run_at.
CREATE INDEX job_due ON job (run_at, id) WHERE state = 'queued';
-- Finding orphans: running jobs by heartbeat.
CREATE INDEX job_running ON job (heartbeat_at) WHERE state = 'running';
-- Is a job of this schedule still pending?
CREATE INDEX job_schedule_pending ON job (schedule)
    WHERE state IN ('queued', 'running');
-- Purging old finished jobs.
CREATE INDEX job_finished ON job (finished_at) WHERE finished_at IS NOT NULL;
-- A school's jobs, newest first.
CREATE INDEX job_org ON job (org_id, created_at);

-- An e-mail notification waiting to be sent, sent, or given up on.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
    to_addr TEXT NOT NULL CHECK (to_addr LIKE '_%@_%'),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,                  -- UTF-8 plain text
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL
        CHECK (next_attempt_at LIKE '____-__-__T__:__:__Z'),
    last_error TEXT,
    created_at TEXT NOT NULL CHECK (created_at LIKE '____-__-__T__:__:__Z'),
    sent_at TEXT
) STRICT;

-- Picking due messages.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';
-- A school's messages, newest first.
CREATE INDEX outbox_org ON outbox (org_id, created_at);
