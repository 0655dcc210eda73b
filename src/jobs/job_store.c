/* ibc — the job system's SQL: the queue (enqueue, get, cancel, claim,
 * finish, recovery), the periodic schedules, and the JSON of a job's state.
 *
 * Every statement is portable between SQLite and PostgreSQL except the
 * claim, which adds FOR UPDATE SKIP LOCKED on PostgreSQL so that concurrent
 * workers pass over a row another one is taking instead of waiting for it.
 * Changes that must be seen by one party only (claiming a job, firing a
 * schedule) are conditional UPDATEs with RETURNING: the row is ours only if
 * the UPDATE hands it back. */
#include "jobs/jobs_int.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/utf8.h"
#include "db/db.h"
#include "web/json.h"

static const char *const state_names[JOB_STATE__MAX] = {
    "queued", "running", "done", "failed", "cancelled",
};

const char *job_state_name(enum job_state s)
{
    return ((int)s >= 0 && (int)s < JOB_STATE__MAX) ? state_names[s]
                                                    : "unknown";
}

bool job_state_parse(const char *name, enum job_state *out)
{
    for (int i = 0; name && i < JOB_STATE__MAX; i++) {
        if (strcmp(name, state_names[i]) == 0) {
            *out = (enum job_state)i;
            return true;
        }
    }
    return false;
}

/* ---- time ---- */

void jobs_time_fmt(time_t t, char out[JOBS_TIME_LEN])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    if (strftime(out, JOBS_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        /* A year past 9999 does not fit; such dates are never ours. */
        memcpy(out, "9999-12-31T23:59:59Z", JOBS_TIME_LEN);
    }
}

/* The decimal value of n digits at s (already checked to be digits). */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int jobs_time_parse(const char *s, time_t *out)
{
    static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
    if (!s || strlen(s) != sizeof(pat) - 1) {
        return IBC_EINVAL;
    }
    for (size_t i = 0; i < sizeof(pat) - 1; i++) {
        bool ok = pat[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == pat[i];
        if (!ok) {
            return IBC_EINVAL;
        }
    }
    struct tm tm = {0};
    tm.tm_year = digits(s, 4) - 1900;
    tm.tm_mon = digits(s + 5, 2) - 1;
    tm.tm_mday = digits(s + 8, 2);
    tm.tm_hour = digits(s + 11, 2);
    tm.tm_min = digits(s + 14, 2);
    tm.tm_sec = digits(s + 17, 2);
    struct tm want = tm;
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    /* timegm normalises 2026-02-30 to March: refuse what moved. */
    if (back.tm_year != want.tm_year || back.tm_mon != want.tm_mon ||
        back.tm_mday != want.tm_mday || back.tm_hour != want.tm_hour ||
        back.tm_min != want.tm_min || back.tm_sec != want.tm_sec) {
        return IBC_EINVAL;
    }
    *out = t;
    return 0;
}

/* ---- small helpers ---- */

/* Kinds and schedule names: [a-z0-9._-]{1,64}. */
static bool name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

/* Fills err from the connection's last message; returns rc (or IBC_EDB
 * when rc is not negative). */
static int db_fail(struct db *db, struct ibc_error *err, int rc,
                   const char *what)
{
    if (rc >= 0) {
        rc = IBC_EDB;
    }
    return ibc_fail(err, rc, "%s: %s", what, db_errmsg(db));
}

/* Steps a prepared UPDATE/DELETE … RETURNING to its end and counts the
 * rows; finalizes st. Returns the count or a negative enum ibc_err. */
static int step_count(struct db *db, struct db_stmt *st, struct ibc_error *err,
                      const char *what)
{
    int n = 0, rc;
    while ((rc = db_step(st)) == DB_ROW) {
        n++;
    }
    db_finalize(st);
    return rc < 0 ? db_fail(db, err, rc, what) : n;
}

/* ---- the queue ---- */

int job_enqueue_spec(struct db *db, const struct job_spec *spec, int64_t *id,
                     struct ibc_error *err)
{
    if (!name_valid(spec->kind)) {
        return ibc_fail_field(err, IBC_EINVAL, "kind",
                              "a job kind is 1 to 64 characters of a-z, "
                              "0-9, '.', '_' and '-'");
    }
    if (spec->org_id < 0) {
        return ibc_fail_field(err, IBC_EINVAL, "org_id", "bad school id");
    }
    if (spec->payload && !utf8_valid(spec->payload, strlen(spec->payload))) {
        return ibc_fail_field(err, IBC_EINVAL, "payload",
                              "the job payload is not valid UTF-8");
    }
    char now_s[JOBS_TIME_LEN];
    jobs_time_fmt(time(NULL), now_s);
    const char *run_at = now_s;
    if (spec->run_at) {
        time_t t;
        if (jobs_time_parse(spec->run_at, &t) != 0) {
            return ibc_fail_field(err, IBC_EINVAL, "run_at",
                                  "a time is written YYYY-MM-DDTHH:MM:SSZ "
                                  "(UTC)");
        }
        run_at = spec->run_at;
    }
    int max =
        spec->max_attempts ? spec->max_attempts : JOBS_DEFAULT_MAX_ATTEMPTS;
    if (max < 1 || max > 100) {
        return ibc_fail_field(err, IBC_EINVAL, "max_attempts",
                              "max_attempts must be between 1 and 100");
    }
    struct db_stmt *st;
    int rc = db_prepare_args(
        db, &st, err,
        "INSERT INTO job (org_id, kind, payload, state, progress, total, "
        "attempts, max_attempts, run_at, created_at, schedule) "
        "VALUES (?, ?, ?, 'queued', 0, 0, 0, ?, ?, ?, ?) RETURNING id",
        spec->org_id ? DB_I64(spec->org_id) : DB_NUL, DB_TXT(spec->kind),
        DB_TXT(spec->payload), DB_I64(max), DB_TXT(run_at), DB_TXT(now_s),
        DB_TXT(spec->schedule), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW && id) {
        *id = db_col_int64(st, 0);
    }
    if (rc == IBC_ECONFLICT) {
        ibc_fail_field(err, IBC_ECONFLICT, "org_id",
                       "cannot queue a job for school %lld: %s",
                       (long long)spec->org_id, db_errmsg(db));
    } else if (rc < 0) {
        db_fail(db, err, rc, "queueing a job");
    }
    db_finalize(st);
    return rc < 0 ? rc : 0;
}

int job_enqueue(struct db *db, int64_t org_id, const char *kind,
                const char *payload, const char *run_at, int64_t *id,
                struct ibc_error *err)
{
    struct job_spec spec = {
        .org_id = org_id,
        .kind = kind,
        .payload = payload,
        .run_at = run_at,
    };
    return job_enqueue_spec(db, &spec, id, err);
}

#define JOB_COLUMNS                                                            \
    "id, org_id, kind, payload, state, progress, total, message, result, "     \
    "attempts, max_attempts, run_at, created_at, started_at, finished_at, "    \
    "locked_by, heartbeat_at, schedule"

int job_get(struct db *db, int64_t id, struct job_info *out, struct arena *a,
            struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT " JOB_COLUMNS " FROM job WHERE id = ?",
                             DB_I64(id), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = db_col_int64(st, 0);
        out->org_id = db_col_int64(st, 1);
        out->kind = arena_strdup(a, db_col_text(st, 2));
        out->payload = arena_strdup(a, db_col_text(st, 3));
        if (!job_state_parse(db_col_text(st, 4), &out->state)) {
            out->state = JOB_FAILED;
        }
        out->progress = db_col_int64(st, 5);
        out->total = db_col_int64(st, 6);
        out->message = arena_strdup(a, db_col_text(st, 7));
        out->result = arena_strdup(a, db_col_text(st, 8));
        out->attempts = (int)db_col_int64(st, 9);
        out->max_attempts = (int)db_col_int64(st, 10);
        out->run_at = arena_strdup(a, db_col_text(st, 11));
        out->created_at = arena_strdup(a, db_col_text(st, 12));
        out->started_at = arena_strdup(a, db_col_text(st, 13));
        out->finished_at = arena_strdup(a, db_col_text(st, 14));
        out->locked_by = arena_strdup(a, db_col_text(st, 15));
        out->heartbeat_at = arena_strdup(a, db_col_text(st, 16));
        out->schedule = arena_strdup(a, db_col_text(st, 17));
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = ibc_fail(err, IBC_ENOTFOUND, "no job %lld", (long long)id);
    } else {
        rc = db_fail(db, err, rc, "reading a job");
    }
    db_finalize(st);
    return rc;
}

int job_cancel(struct db *db, int64_t id, struct ibc_error *err)
{
    char now_s[JOBS_TIME_LEN];
    jobs_time_fmt(time(NULL), now_s);
    struct db_stmt *st;
    int rc = db_prepare_args(
        db, &st, err,
        "UPDATE job SET state = 'cancelled', finished_at = ?, "
        "locked_by = NULL, heartbeat_at = NULL "
        "WHERE id = ? AND state IN ('queued', 'running') RETURNING id",
        DB_TXT(now_s), DB_I64(id), DB_END);
    if (rc) {
        return rc;
    }
    rc = step_count(db, st, err, "cancelling a job");
    if (rc != 0) {
        return rc < 0 ? rc : 0;
    }
    /* Nothing changed: say why. */
    if (!(rc = db_prepare_args(db, &st, err,
                               "SELECT state FROM job WHERE id = ?", DB_I64(id),
                               DB_END))) {
        rc = db_step(st);
        if (rc == DB_ROW) {
            rc = ibc_fail(err, IBC_ECONFLICT, "job %lld is already %s",
                          (long long)id, db_col_text(st, 0));
        } else if (rc == DB_DONE) {
            rc = ibc_fail(err, IBC_ENOTFOUND, "no job %lld", (long long)id);
        } else {
            rc = db_fail(db, err, rc, "reading a job");
        }
        db_finalize(st);
    }
    return rc;
}

int job_purge(struct db *db, const char *before, int *n_deleted,
              struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare_args(
        db, &st, err,
        "DELETE FROM job WHERE state IN ('done', 'failed', 'cancelled') "
        "AND finished_at < ? RETURNING id",
        DB_TXT(before), DB_END);
    if (rc) {
        return rc;
    }
    rc = step_count(db, st, err, "purging old jobs");
    if (rc >= 0 && n_deleted) {
        *n_deleted = rc;
    }
    return rc < 0 ? rc : 0;
}

/* ---- what the workers do ---- */

/* Appends "kind IN (?, ?, …)" for n kinds to sql. */
static void kinds_in(struct buf *sql, int n)
{
    buf_puts(sql, "kind IN (");
    for (int i = 0; i < n; i++) {
        buf_puts(sql, i ? ", ?" : "?");
    }
    buf_puts(sql, ")");
}

/* Is there a due job of one of these kinds? A read without locks, so
 * idle workers never take SQLite's write lock. 1 = yes, 0 = no, <0. */
static int due_exists(struct db *db, const char *const *kinds, int n_kinds,
                      const char *now_s, struct ibc_error *err)
{
    struct buf sql = BUF_INIT;
    buf_puts(&sql, "SELECT 1 FROM job WHERE state = 'queued' AND "
                   "run_at <= ? AND ");
    kinds_in(&sql, n_kinds);
    buf_puts(&sql, " LIMIT 1");
    struct db_stmt *st;
    int rc = db_prepare(db, &st, buf_cstr(&sql), err);
    buf_reset(&sql);
    if (rc) {
        return rc;
    }
    db_bind_text(st, 1, now_s);
    for (int i = 0; i < n_kinds; i++) {
        db_bind_text(st, 2 + i, kinds[i]);
    }
    rc = db_step(st);
    db_finalize(st);
    if (rc < 0) {
        return db_fail(db, err, rc, "looking for due jobs");
    }
    return rc == DB_ROW;
}

int job_store_claim(struct db *db, const char *const *kinds, int n_kinds,
                    const char *worker, time_t now, struct job_claim *out,
                    struct arena *a, struct ibc_error *err)
{
    if (n_kinds <= 0) {
        return 0;
    }
    char now_s[JOBS_TIME_LEN];
    jobs_time_fmt(now, now_s);
    int rc = due_exists(db, kinds, n_kinds, now_s, err);
    if (rc <= 0) {
        return rc;
    }
    struct buf sql = BUF_INIT;
    buf_puts(&sql,
             "UPDATE job SET state = 'running', attempts = attempts + 1, "
             "started_at = ?, locked_by = ?, heartbeat_at = ?, "
             "finished_at = NULL, progress = 0, total = 0, message = NULL, "
             "result = NULL "
             "WHERE id = (SELECT id FROM job WHERE state = 'queued' AND "
             "run_at <= ? AND ");
    kinds_in(&sql, n_kinds);
    buf_puts(&sql, " ORDER BY run_at, id LIMIT 1");
    if (db_backend(db) == DB_PG) {
        buf_puts(&sql, " FOR UPDATE SKIP LOCKED");
    }
    buf_puts(&sql, ") AND state = 'queued' RETURNING id, org_id, kind, "
                   "payload, attempts, max_attempts");

    struct db_stmt *st = NULL;
    rc = db_begin(db, DB_TX_WRITE, err);
    if (rc == 0) {
        rc = db_prepare(db, &st, buf_cstr(&sql), err);
    }
    buf_reset(&sql);
    if (rc) {
        db_rollback(db);
        return rc;
    }
    db_bind_text(st, 1, now_s);
    db_bind_text(st, 2, worker);
    db_bind_text(st, 3, now_s);
    db_bind_text(st, 4, now_s);
    for (int i = 0; i < n_kinds; i++) {
        db_bind_text(st, 5 + i, kinds[i]);
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        out->id = db_col_int64(st, 0);
        out->org_id = db_col_int64(st, 1);
        out->kind = arena_strdup(a, db_col_text(st, 2));
        out->payload = arena_strdup(a, db_col_text(st, 3));
        out->attempts = (int)db_col_int64(st, 4);
        out->max_attempts = (int)db_col_int64(st, 5);
        /* Step to the end so the statement is complete before COMMIT. */
        int more = db_step(st);
        rc = more < 0 ? more : 1;
    }
    if (rc < 0) {
        db_fail(db, err, rc, "claiming a job");
        db_finalize(st);
        db_rollback(db);
        return rc;
    }
    db_finalize(st);
    int crc = db_commit(db, err);
    return crc ? crc : rc; /* rc: 1 claimed, DB_DONE (0) none */
}

int job_store_end(struct db *db, int64_t id, const char *worker,
                  enum job_end how, const char *run_at, int64_t progress,
                  int64_t total, const char *message, const char *result,
                  time_t now, struct ibc_error *err)
{
    char now_s[JOBS_TIME_LEN];
    jobs_time_fmt(now, now_s);
    static const char tail[] =
        ", progress = ?, total = ?, message = ?, result = ?, "
        "locked_by = NULL, heartbeat_at = NULL "
        "WHERE id = ? AND state = 'running' AND locked_by = ?";
    const char *head;
    const char *time_arg = now_s;
    switch (how) {
    case JOB_END_DONE:
        head = "UPDATE job SET state = 'done', finished_at = ?";
        break;
    case JOB_END_RETRY:
        head = "UPDATE job SET state = 'queued', run_at = ?";
        time_arg = run_at ? run_at : now_s;
        break;
    case JOB_END_FAILED:
        head = "UPDATE job SET state = 'failed', finished_at = ?";
        break;
    case JOB_END_REQUEUE:
    default:
        head = "UPDATE job SET state = 'queued', run_at = ?, "
               "attempts = attempts - 1";
        break;
    }
    char sql[512];
    snprintf(sql, sizeof(sql), "%s%s", head, tail);
    int rc = db_run(db, err, sql, DB_TXT(time_arg), DB_I64(progress),
                    DB_I64(total), DB_TXT(message), DB_TXT(result), DB_I64(id),
                    DB_TXT(worker), DB_END);
    return rc;
}

int job_store_progress(struct db *db, int64_t id, const char *worker,
                       int64_t progress, int64_t total, const char *message,
                       time_t now, struct ibc_error *err)
{
    char now_s[JOBS_TIME_LEN];
    jobs_time_fmt(now, now_s);
    return db_run(db, err,
                  "UPDATE job SET progress = ?, total = ?, message = ?, "
                  "heartbeat_at = ? "
                  "WHERE id = ? AND state = 'running' AND locked_by = ?",
                  DB_I64(progress), DB_I64(total), DB_TXT(message),
                  DB_TXT(now_s), DB_I64(id), DB_TXT(worker), DB_END);
}

int job_store_still_mine(struct db *db, int64_t id, const char *worker,
                         bool *mine, struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT state, locked_by FROM job WHERE id = ?",
                             DB_I64(id), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc < 0) {
        db_fail(db, err, rc, "checking a job");
    } else {
        const char *state = rc == DB_ROW ? db_col_text(st, 0) : NULL;
        const char *by = rc == DB_ROW ? db_col_text(st, 1) : NULL;
        *mine = state && by && strcmp(state, "running") == 0 &&
                strcmp(by, worker) == 0;
        rc = 0;
    }
    db_finalize(st);
    return rc;
}

int job_store_heartbeat(struct db *db, const char *worker, time_t now,
                        struct ibc_error *err)
{
    char now_s[JOBS_TIME_LEN];
    jobs_time_fmt(now, now_s);
    return db_run(db, err,
                  "UPDATE job SET heartbeat_at = ? "
                  "WHERE state = 'running' AND locked_by = ?",
                  DB_TXT(now_s), DB_TXT(worker), DB_END);
}

int job_store_release(struct db *db, const char *locked_by,
                      const char *stale_before, const char *except, time_t now,
                      int *n, struct ibc_error *err)
{
    char now_s[JOBS_TIME_LEN];
    jobs_time_fmt(now, now_s);
    /* SET expressions see the old row, so locked_by names the dead worker
     * in the message. */
    static const char head[] =
        "UPDATE job SET "
        "state = CASE WHEN attempts >= max_attempts THEN 'failed' "
        "ELSE 'queued' END, "
        "finished_at = CASE WHEN attempts >= max_attempts THEN ? END, "
        "run_at = ?, message = ? || locked_by, "
        "locked_by = NULL, heartbeat_at = NULL WHERE state = 'running' AND ";
    char sql[1024];
    struct db_stmt *st;
    int rc;
    if (locked_by) {
        snprintf(sql, sizeof(sql), "%slocked_by = ? RETURNING id", head);
        rc = db_prepare_args(db, &st, err, sql, DB_TXT(now_s), DB_TXT(now_s),
                             DB_TXT("interrupted: its worker died, "),
                             DB_TXT(locked_by), DB_END);
    } else {
        snprintf(sql, sizeof(sql),
                 "%s(heartbeat_at IS NULL OR heartbeat_at < ?) "
                 "AND locked_by <> ? RETURNING id",
                 head);
        rc = db_prepare_args(db, &st, err, sql, DB_TXT(now_s), DB_TXT(now_s),
                             DB_TXT("interrupted: no heartbeat from "),
                             DB_TXT(stale_before), DB_TXT(except), DB_END);
    }
    if (rc) {
        return rc;
    }
    rc = step_count(db, st, err, "releasing orphaned jobs");
    if (rc < 0) {
        return rc;
    }
    *n += rc;
    return 0;
}

int job_store_lockers(struct db *db, const char ***out, int *n, struct arena *a,
                      struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, &st,
                        "SELECT DISTINCT locked_by FROM job "
                        "WHERE state = 'running' AND locked_by IS NOT NULL",
                        err);
    if (rc) {
        return rc;
    }
    int cap = 8;
    const char **v = arena_alloc(a, sizeof(*v) * (size_t)cap);
    *n = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            const char **w = arena_alloc(a, sizeof(*w) * (size_t)cap * 2);
            memcpy(w, v, sizeof(*v) * (size_t)cap);
            v = w;
            cap *= 2;
        }
        v[(*n)++] = arena_strdup(a, db_col_text(st, 0));
    }
    if (rc < 0) {
        db_fail(db, err, rc, "listing running jobs");
    }
    db_finalize(st);
    *out = v;
    return rc < 0 ? rc : 0;
}

/* ---- schedules ---- */

int job_schedule_set(struct db *db, const char *name, const char *kind,
                     int interval_s, time_t now, struct ibc_error *err)
{
    if (!name_valid(name)) {
        return ibc_fail_field(err, IBC_EINVAL, "name",
                              "a schedule name is 1 to 64 characters of "
                              "a-z, 0-9, '.', '_' and '-'");
    }
    if (!name_valid(kind)) {
        return ibc_fail_field(err, IBC_EINVAL, "kind",
                              "a job kind is 1 to 64 characters of a-z, "
                              "0-9, '.', '_' and '-'");
    }
    if (interval_s < 1 || interval_s > 366 * 86400) {
        return ibc_fail_field(err, IBC_EINVAL, "interval_s",
                              "the interval must be 1 s to 366 days");
    }
    char now_s[JOBS_TIME_LEN], latest_s[JOBS_TIME_LEN];
    jobs_time_fmt(now, now_s);
    jobs_time_fmt(now + interval_s, latest_s);
    return db_run(db, err,
                  "INSERT INTO job_schedule (name, kind, interval_s, "
                  "next_run_at, last_run_at) VALUES (?, ?, ?, ?, NULL) "
                  "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, "
                  "interval_s = excluded.interval_s, next_run_at = "
                  "CASE WHEN job_schedule.next_run_at > ? THEN ? "
                  "ELSE job_schedule.next_run_at END",
                  DB_TXT(name), DB_TXT(kind), DB_I64(interval_s), DB_TXT(now_s),
                  DB_TXT(latest_s), DB_TXT(latest_s), DB_END);
}

/* A due schedule as read by the tick. */
struct due {
    char *name, *kind, *next;
    int64_t interval_s;
};

/* Fires one due schedule in its own write transaction: claims the run by a
 * compare-and-set of next_run_at, then enqueues unless a job of the
 * schedule is pending. Returns 1 (enqueued), 0 (taken by another process,
 * or skipped) or negative. */
static int fire_one(struct db *db, const struct due *d, time_t now,
                    struct ibc_error *err)
{
    time_t next;
    if (jobs_time_parse(d->next, &next) != 0) {
        next = now; /* a hand-edited value: realign on now */
    }
    if (d->interval_s <= 0) {
        return 0;
    }
    /* The first point on the grid next + k*interval that is after now. */
    next += (time_t)(((now - next) / d->interval_s) + 1) * d->interval_s;
    char next_s[JOBS_TIME_LEN], now_s[JOBS_TIME_LEN];
    jobs_time_fmt(next, next_s);
    jobs_time_fmt(now, now_s);

    int rc = db_begin(db, DB_TX_WRITE, err);
    if (rc) {
        return rc;
    }
    struct db_stmt *st;
    rc = db_prepare_args(db, &st, err,
                         "UPDATE job_schedule SET next_run_at = ? "
                         "WHERE name = ? AND next_run_at = ? RETURNING name",
                         DB_TXT(next_s), DB_TXT(d->name), DB_TXT(d->next),
                         DB_END);
    if (rc == 0) {
        rc = step_count(db, st, err, "advancing a schedule");
    }
    if (rc <= 0) {
        db_rollback(db);
        return rc;
    }
    int64_t pending = 0;
    rc = db_query_int64(db, &pending, err,
                        "SELECT COUNT(*) FROM job WHERE schedule = ? AND "
                        "state IN ('queued', 'running')",
                        DB_TXT(d->name), DB_END);
    if (rc < 0) {
        db_rollback(db);
        return rc;
    }
    int fired = 0;
    if (pending == 0) {
        struct job_spec spec = {
            .kind = d->kind,
            .max_attempts = 1,
            .schedule = d->name,
        };
        rc = job_enqueue_spec(db, &spec, NULL, err);
        if (rc == 0) {
            rc = db_run(db, err,
                        "UPDATE job_schedule SET last_run_at = ? "
                        "WHERE name = ?",
                        DB_TXT(now_s), DB_TXT(d->name), DB_END);
        }
        if (rc < 0) {
            db_rollback(db);
            return rc;
        }
        fired = 1;
    }
    rc = db_commit(db, err);
    return rc < 0 ? rc : fired;
}

int job_schedule_tick(struct db *db, time_t now, int *n_enqueued,
                      struct ibc_error *err)
{
    if (n_enqueued) {
        *n_enqueued = 0;
    }
    char now_s[JOBS_TIME_LEN];
    jobs_time_fmt(now, now_s);
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT name, kind, interval_s, next_run_at "
                             "FROM job_schedule WHERE next_run_at <= ? "
                             "ORDER BY next_run_at, name",
                             DB_TXT(now_s), DB_END);
    if (rc) {
        return rc;
    }
    struct arena *a = arena_new();
    struct due *due = NULL;
    int n = 0, cap = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            struct due *grown = arena_alloc(a, sizeof(*grown) * (size_t)cap);
            if (n) {
                memcpy(grown, due, sizeof(*due) * (size_t)n);
            }
            due = grown;
        }
        due[n].name = arena_strdup(a, db_col_text(st, 0));
        due[n].kind = arena_strdup(a, db_col_text(st, 1));
        due[n].interval_s = db_col_int64(st, 2);
        due[n].next = arena_strdup(a, db_col_text(st, 3));
        n++;
    }
    if (rc < 0) {
        db_fail(db, err, rc, "reading schedules");
    }
    db_finalize(st);
    for (int i = 0; rc >= 0 && i < n; i++) {
        rc = fire_one(db, &due[i], now, err);
        if (rc > 0 && n_enqueued) {
            (*n_enqueued)++;
        }
    }
    arena_free(a);
    return rc < 0 ? rc : 0;
}

/* ---- the progress JSON ---- */

void job_info_json(const struct job_info *info, struct buf *out)
{
    struct json j;
    json_init(&j, out);
    json_obj_open(&j, NULL);
    json_put_int(&j, "id", info->id);
    json_put_str(&j, "kind", info->kind);
    json_put_str(&j, "state", job_state_name(info->state));
    json_put_int(&j, "progress", info->progress);
    json_put_int(&j, "total", info->total);
    if (info->total > 0) {
        int64_t pct = info->progress * 100 / info->total;
        json_put_int(&j, "percent", pct < 0 ? 0 : pct > 100 ? 100 : pct);
    } else {
        json_put_null(&j, "percent");
    }
    json_put_str(&j, "message", info->message);
    json_put_str(&j, "result", info->result);
    json_put_int(&j, "attempts", info->attempts);
    json_put_int(&j, "max_attempts", info->max_attempts);
    json_put_str(&j, "created_at", info->created_at);
    json_put_str(&j, "started_at", info->started_at);
    json_put_str(&j, "finished_at", info->finished_at);
    json_put_bool(&j, "finished",
                  info->state == JOB_DONE || info->state == JOB_FAILED ||
                      info->state == JOB_CANCELLED);
    json_obj_close(&j);
}
