/* ibc — background jobs: a queue in the database, a bounded worker pool and
 * a scheduler for periodic tasks.
 *
 * A job is a row of table `job` (sql/migrations/0002_jobs*.sql): a kind
 * ("outbox.send", "marc.import"), an opaque JSON payload, a state
 * (queued → running → done | failed | cancelled), progress that a page can
 * poll, and attempts. Because the queue is the database, jobs survive a
 * restart: rows left 'running' by a process that died are put back in the
 * queue (at start when the dead process ran on this host, otherwise when its
 * heartbeat has gone stale).
 *
 * Producers only need a connection: job_enqueue(db, …). A process that runs
 * jobs creates one struct jobs, registers a handler per kind, declares its
 * periodic schedules and starts it:
 *
 *   struct jobs *j = jobs_new(url, NULL);
 *   jobs_register(j, "marc.import", import_job, ctx);
 *   jobs_schedule(j, "outbox.send", "outbox.send", 30);
 *   if (jobs_start(j, &err) != 0) …
 *   …
 *   jobs_free(j);   (stops gracefully first)
 *
 * Claiming is safe with many workers in many processes on one database:
 * PostgreSQL picks with SELECT … FOR UPDATE SKIP LOCKED, SQLite inside
 * BEGIN IMMEDIATE; either way a job row goes from 'queued' to 'running' in
 * one conditional UPDATE, so no job runs twice at once. A due schedule is
 * advanced by a compare-and-set on its next_run_at in the same transaction
 * that enqueues its job, so two processes never both enqueue it.
 *
 * Timestamps are ISO-8601 UTC text "YYYY-MM-DDTHH:MM:SSZ" written by this
 * code (they compare correctly as text on both backends). */
#ifndef IBC_JOBS_JOBS_H
#define IBC_JOBS_JOBS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"

struct arena;
struct buf;
struct db;
struct jobs;
struct jobs_worker;

/* ---- time ---- */

#define JOBS_TIME_LEN 21 /* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into out. */
void jobs_time_fmt(time_t t, char out[JOBS_TIME_LEN]);
/* Parses exactly that format. Returns 0, or IBC_EINVAL for anything else
 * (other offsets, fractions, out-of-range fields). */
int jobs_time_parse(const char *s, time_t *out);

/* ---- the job row ---- */

enum job_state {
    JOB_QUEUED,    /* waiting for run_at and a free worker */
    JOB_RUNNING,   /* claimed by a worker (locked_by) */
    JOB_DONE,      /* the handler returned 0 */
    JOB_FAILED,    /* failed max_attempts times, or its worker died as often */
    JOB_CANCELLED, /* job_cancel() */
    JOB_STATE__MAX
};

/* "queued", "running", …; static string. */
const char *job_state_name(enum job_state s);
/* The reverse; returns false for an unknown name. */
bool job_state_parse(const char *name, enum job_state *out);

/* A job as stored. Strings live in the arena given to job_get(); NULL where
 * the column is NULL. */
struct job_info {
    int64_t id;
    int64_t org_id; /* 0 for a system-wide job */
    const char *kind;
    const char *payload; /* JSON text as enqueued, or NULL */
    enum job_state state;
    int64_t progress;    /* units done, from job_progress() */
    int64_t total;       /* units in all, 0 when unknown */
    const char *message; /* last progress message or error */
    const char *result;  /* JSON text set by the handler, or NULL */
    int attempts;        /* runs started so far */
    int max_attempts;
    const char *run_at; /* not before this time */
    const char *created_at;
    const char *started_at;   /* start of the latest attempt */
    const char *finished_at;  /* when done / failed / cancelled */
    const char *locked_by;    /* worker instance while running */
    const char *heartbeat_at; /* last sign of life while running */
    const char *schedule;     /* name of the schedule that enqueued it */
};

/* What to enqueue (job_enqueue_spec); zero-initialise, fill kind. */
struct job_spec {
    int64_t org_id;       /* 0 = system-wide job */
    const char *kind;     /* required: [a-z0-9._-]{1,64} */
    const char *payload;  /* JSON text (valid UTF-8) or NULL */
    const char *run_at;   /* "YYYY-MM-DDTHH:MM:SSZ", NULL = now */
    int max_attempts;     /* 0 = JOBS_DEFAULT_MAX_ATTEMPTS */
    const char *schedule; /* set by the scheduler; leave NULL */
};

#define JOBS_DEFAULT_MAX_ATTEMPTS 3

/* Queues a job: inserts a 'queued' row. Works inside the caller's
 * transaction (then the job becomes visible at its commit). Returns 0 and
 * sets *id (may be NULL); IBC_EINVAL (field "kind", "payload", "run_at" or
 * "max_attempts") for bad input; IBC_ECONFLICT for an unknown org; IBC_EDB.
 * Workers of an in-process struct jobs notice it at their next poll; call
 * jobs_wake() (or use jobs_enqueue()) to start it at once. */
int job_enqueue(struct db *db, int64_t org_id, const char *kind,
                const char *payload, const char *run_at, int64_t *id,
                struct ibc_error *err);
int job_enqueue_spec(struct db *db, const struct job_spec *spec, int64_t *id,
                     struct ibc_error *err);

/* Reads job id into *out (strings in arena a). Returns 0, IBC_ENOTFOUND or
 * IBC_EDB. It does not check the school: a page serving one school must
 * compare out->org_id with its own. */
int job_get(struct db *db, int64_t id, struct job_info *out, struct arena *a,
            struct ibc_error *err);

/* Cancels a queued or running job: the row becomes 'cancelled' at once; a
 * running handler learns it from job_cancelled() and should stop. Returns
 * 0, IBC_ENOTFOUND, IBC_ECONFLICT (already done/failed/cancelled), IBC_EDB. */
int job_cancel(struct db *db, int64_t id, struct ibc_error *err);

/* Writes the state of a job as one JSON object for the progress endpoint:
 * {"id","kind","state","progress","total","percent","message","result",
 *  "attempts","max_attempts","created_at","started_at","finished_at",
 *  "finished"}; percent is null when total is unknown. result is the
 * handler's JSON text as a string. Appends to out. */
void job_info_json(const struct job_info *info, struct buf *out);

/* Deletes finished (done/failed/cancelled) jobs that finished before
 * `before` (ISO text). Sets *n_deleted when non-NULL. Returns 0 or IBC_EDB. */
int job_purge(struct db *db, const char *before, int *n_deleted,
              struct ibc_error *err);

/* ---- periodic schedules (table job_schedule) ---- */

/* Creates or updates schedule `name`: every interval_s seconds a job of
 * `kind` (system-wide, empty payload) is enqueued. A new schedule is due at
 * once; a changed interval brings the next run forward when the new
 * interval is shorter. Returns 0, IBC_EINVAL (field "name", "kind" or
 * "interval_s"), IBC_EDB. */
int job_schedule_set(struct db *db, const char *name, const char *kind,
                     int interval_s, time_t now, struct ibc_error *err);

/* One scheduler tick at time `now`: for every schedule due by then,
 * advances next_run_at to the first time after now on its grid (missed runs
 * are not made up) and enqueues one job, unless a job of that schedule is
 * still queued or running. Safe to run from several processes at once: each
 * due run is claimed by exactly one of them. Sets *n_enqueued when non-NULL.
 * Returns 0 or IBC_EDB. */
int job_schedule_tick(struct db *db, time_t now, int *n_enqueued,
                      struct ibc_error *err);

/* ---- running jobs ---- */

/* What a handler gets. Everything is borrowed for the duration of the call;
 * the arena is reset after each job. */
struct job_ctx {
    int64_t id;
    int64_t org_id; /* 0 for a system-wide job */
    const char *kind;
    const char *payload; /* NULL when none */
    int attempt;         /* 1 on the first run */
    int max_attempts;
    struct arena *arena;    /* scratch memory for this run */
    struct db *db;          /* the worker's own connection, no tx open */
    void *ctx;              /* as given to jobs_register() */
    struct ibc_error err;   /* fill on failure: becomes the job's message */
    struct jobs_worker *w_; /* private */
};

/* Return values of a handler: 0 = done, a negative enum ibc_err = failed
 * this attempt (retried with backoff until max_attempts; fill jc->err), or
 * JOB_INTERRUPTED = stopped early because job_cancelled() said so (the job
 * stays cancelled, or goes back to the queue when the server is stopping,
 * without counting the attempt). */
enum { JOB_INTERRUPTED = 1 };

typedef int (*job_fn)(struct job_ctx *jc);

/* Records progress: done of total units and a short message (may be NULL).
 * Written to the row (with a heartbeat) at most every progress_ms, and
 * always when done >= total; the last values are written when the job
 * ends. Call it outside transactions on jc->db. Returns 0 or IBC_EDB (the
 * job may go on). */
int job_progress(struct job_ctx *jc, int64_t done, int64_t total,
                 const char *message);
/* Sets the job's result (JSON text, copied) stored when it ends. */
void job_set_result(struct job_ctx *jc, const char *json);
/* True when the job was cancelled or the job system is stopping: the
 * handler should end its current step and return JOB_INTERRUPTED. Checks
 * the database at most every 200 ms. */
bool job_cancelled(struct job_ctx *jc);

/* Tuning; jobs_config_defaults() fills the defaults shown. */
struct jobs_config {
    int n_workers;    /* worker threads (2), each with its own connection */
    int poll_ms;      /* idle workers look for due jobs this often (500) */
    int tick_ms;      /* scheduler tick: schedules, heartbeats (1000) */
    int heartbeat_s;  /* running jobs are marked alive this often (10) */
    int stale_s;      /* a running job silent this long is orphaned (120) */
    int retry_base_s; /* first retry delay, x4 per attempt, max 1 h (30) */
    int progress_ms;  /* least time between progress writes (250) */
    int keep_days;    /* finished jobs are purged after (30; 0 = never) */
    const char *worker_id; /* locked_by prefix; NULL = "host:pid" */
};

void jobs_config_defaults(struct jobs_config *cfg);

/* Creates a job system on database db_url (copied). cfg NULL = defaults;
 * values <= 0 take their default (but keep_days 0 and retry_base_s 0 are
 * kept). Opens nothing yet. Caller frees with jobs_free(). */
struct jobs *jobs_new(const char *db_url, const struct jobs_config *cfg);

/* Registers the handler for `kind` (copied); fn is called with ctx in
 * jc->ctx. Workers only claim kinds registered here. Register before
 * jobs_start(); registering a kind again replaces its handler. */
void jobs_register(struct jobs *j, const char *kind, job_fn fn, void *ctx);

/* Declares a periodic schedule, persisted (job_schedule_set) when the job
 * system starts. Declare before jobs_start(). Returns 0 or IBC_EINVAL. */
int jobs_schedule(struct jobs *j, const char *name, const char *kind,
                  int interval_s);

/* Opens the connections, stores the schedules, puts back jobs orphaned by
 * dead processes of this host (and any whose heartbeat is stale), starts
 * n_workers workers and the scheduler thread. Returns 0, or IBC_EDB /
 * IBC_EINTERNAL with err filled (nothing is left running then). */
int jobs_start(struct jobs *j, struct ibc_error *err);

/* Wakes idle workers now (after an enqueue that should run at once). */
void jobs_wake(struct jobs *j);

/* job_enqueue() + jobs_wake(j). */
int jobs_enqueue(struct jobs *j, struct db *db, int64_t org_id,
                 const char *kind, const char *payload, const char *run_at,
                 int64_t *id, struct ibc_error *err);

/* Stops gracefully: no new job is claimed, job_cancelled() turns true for
 * running ones, and this waits until every handler has returned. Safe to
 * call twice or without jobs_start(). */
void jobs_stop(struct jobs *j);

/* Stops (as jobs_stop) and frees. Accepts NULL. */
void jobs_free(struct jobs *j);

/* This instance's locked_by value, "host:pid:nonce"; borrowed. */
const char *jobs_worker_id(const struct jobs *j);

/* Number of jobs this instance has finished running (any outcome); for
 * tests and the status page. */
long jobs_runs(struct jobs *j);

/* GET /api/jobs/{id}: the job's state as JSON for a page to poll
 * (jobs_pages.c). A job of another school is 404. */
struct req;
int jobs_status_api(struct req *req);

#endif
