/* ibc — the job runtime: worker threads, the scheduler thread, recovery of
 * jobs orphaned by dead processes, and the job_ctx functions handlers call.
 *
 * Each worker owns one database connection and loops: claim a due job (see
 * job_store_claim), run its handler, record the outcome; when nothing is
 * due it sleeps on a condition variable until jobs_wake() or the poll
 * interval. One scheduler thread, with its own connection, fires due
 * schedules, marks this instance's running jobs alive (heartbeat), puts back
 * jobs whose worker went silent, and purges old finished jobs.
 *
 * An instance is known in the job table by its locked_by value,
 * "host:pid:nonce". At start, running jobs locked by a process of this host
 * that no longer exists are put back at once; any others only when their
 * heartbeat is older than stale_s. */
#include "jobs/jobs_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "db/db.h"

/* A registered kind. */
struct jobs_handler {
    char *kind; /* heap */
    job_fn fn;
    void *ctx;
};

/* A declared schedule, stored at start. */
struct jobs_sched {
    char *name, *kind; /* heap */
    int interval_s;
};

/* One worker thread and the state of the job it is running. */
struct jobs_worker {
    struct jobs *j;
    pthread_t thread;
    bool thread_started;
    struct db *db;       /* own connection; NULL while reconnecting */
    struct arena *arena; /* reset before each job */
    /* The current job (valid while a handler runs). */
    int64_t job_id;
    int64_t progress, total;
    char *message;         /* heap, last progress message */
    char *result;          /* heap, job_set_result() */
    bool wrote_progress;   /* progress written at least once */
    int64_t last_write_ms; /* monotonic */
    bool checked;          /* job_cancelled() looked at the row */
    int64_t last_check_ms;
    bool cancelled; /* the row is no longer ours */
};

struct jobs {
    char *url; /* heap copy of the database URL */
    struct jobs_config cfg;
    char host[128];                /* gethostname() */
    char worker_id[256];           /* locked_by of this instance */
    struct jobs_handler *handlers; /* registered kinds */
    const char **kinds;            /* their names, for the claim */
    int n_handlers;
    struct jobs_sched *scheds;
    int n_scheds;
    struct jobs_worker *workers; /* cfg.n_workers of them, while started */
    struct db *sched_db;         /* the scheduler thread's connection */
    pthread_t sched_thread;
    bool sched_started;
    bool started;
    pthread_mutex_t mu;      /* guards wake_seq and the waits */
    pthread_cond_t cv;       /* workers wait here */
    pthread_cond_t sched_cv; /* the scheduler waits here */
    unsigned long wake_seq;  /* bumped by jobs_wake() */
    atomic_bool stopping;
    atomic_long runs; /* jobs run to an outcome */
};

/* ---- clocks ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Absolute CLOCK_MONOTONIC time ms from now, for pthread_cond_timedwait on
 * condition variables made with that clock. */
static struct timespec deadline_ms(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void cond_init_mono(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

/* ---- configuration ---- */

void jobs_config_defaults(struct jobs_config *cfg)
{
    *cfg = (struct jobs_config){
        .n_workers = 2,
        .poll_ms = 500,
        .tick_ms = 1000,
        .heartbeat_s = 10,
        .stale_s = 120,
        .retry_base_s = 30,
        .progress_ms = 250,
        .keep_days = 30,
        .worker_id = NULL,
    };
}

struct jobs *jobs_new(const char *db_url, const struct jobs_config *cfg)
{
    struct jobs *j = xcalloc(1, sizeof(*j));
    struct jobs_config def;
    jobs_config_defaults(&def);
    j->cfg = def;
    if (cfg) {
        j->cfg = *cfg;
        /* Non-positive means "default", except where 0 is meaningful. */
        if (cfg->n_workers <= 0) {
            j->cfg.n_workers = def.n_workers;
        }
        if (cfg->poll_ms <= 0) {
            j->cfg.poll_ms = def.poll_ms;
        }
        if (cfg->tick_ms <= 0) {
            j->cfg.tick_ms = def.tick_ms;
        }
        if (cfg->heartbeat_s <= 0) {
            j->cfg.heartbeat_s = def.heartbeat_s;
        }
        if (cfg->stale_s <= 0) {
            j->cfg.stale_s = def.stale_s;
        }
        if (cfg->retry_base_s < 0) {
            j->cfg.retry_base_s = def.retry_base_s;
        }
        if (cfg->progress_ms < 0) {
            j->cfg.progress_ms = def.progress_ms;
        }
        if (cfg->keep_days < 0) {
            j->cfg.keep_days = def.keep_days;
        }
    }
    j->url = xstrdup(db_url);
    if (gethostname(j->host, sizeof(j->host)) != 0 || !j->host[0]) {
        snprintf(j->host, sizeof(j->host), "localhost");
    }
    j->host[sizeof(j->host) - 1] = '\0';
    /* The nonce tells instances of one process apart: a splitmix64 of the
     * clock and this object's address. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t z = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    z ^= (uint64_t)(uintptr_t)j;
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    if (j->cfg.worker_id) {
        snprintf(j->worker_id, sizeof(j->worker_id), "%s:%08x",
                 j->cfg.worker_id, (unsigned)(z & 0xffffffffu));
    } else {
        snprintf(j->worker_id, sizeof(j->worker_id), "%s:%ld:%08x", j->host,
                 (long)getpid(), (unsigned)(z & 0xffffffffu));
    }
    j->cfg.worker_id = NULL; /* borrowed from the caller: not kept */
    pthread_mutex_init(&j->mu, NULL);
    cond_init_mono(&j->cv);
    cond_init_mono(&j->sched_cv);
    atomic_init(&j->stopping, false);
    atomic_init(&j->runs, 0);
    return j;
}

const char *jobs_worker_id(const struct jobs *j)
{
    return j->worker_id;
}

long jobs_runs(struct jobs *j)
{
    return atomic_load(&j->runs);
}

void jobs_register(struct jobs *j, const char *kind, job_fn fn, void *ctx)
{
    if (j->started) {
        log_err("jobs: kind %s registered after start; ignored", kind);
        return;
    }
    for (int i = 0; i < j->n_handlers; i++) {
        if (strcmp(j->handlers[i].kind, kind) == 0) {
            j->handlers[i].fn = fn;
            j->handlers[i].ctx = ctx;
            return;
        }
    }
    j->handlers = xrealloc(j->handlers,
                           sizeof(*j->handlers) * (size_t)(j->n_handlers + 1));
    j->kinds =
        xrealloc(j->kinds, sizeof(*j->kinds) * (size_t)(j->n_handlers + 1));
    j->handlers[j->n_handlers] =
        (struct jobs_handler){.kind = xstrdup(kind), .fn = fn, .ctx = ctx};
    j->kinds[j->n_handlers] = j->handlers[j->n_handlers].kind;
    j->n_handlers++;
}

int jobs_schedule(struct jobs *j, const char *name, const char *kind,
                  int interval_s)
{
    if (!name || !*name || !kind || !*kind || interval_s < 1) {
        return IBC_EINVAL;
    }
    for (int i = 0; i < j->n_scheds; i++) {
        if (strcmp(j->scheds[i].name, name) == 0) {
            free(j->scheds[i].kind);
            j->scheds[i].kind = xstrdup(kind);
            j->scheds[i].interval_s = interval_s;
            return 0;
        }
    }
    j->scheds =
        xrealloc(j->scheds, sizeof(*j->scheds) * (size_t)(j->n_scheds + 1));
    j->scheds[j->n_scheds++] = (struct jobs_sched){
        .name = xstrdup(name),
        .kind = xstrdup(kind),
        .interval_s = interval_s,
    };
    return 0;
}

void jobs_wake(struct jobs *j)
{
    pthread_mutex_lock(&j->mu);
    j->wake_seq++;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

int jobs_enqueue(struct jobs *j, struct db *db, int64_t org_id,
                 const char *kind, const char *payload, const char *run_at,
                 int64_t *id, struct ibc_error *err)
{
    int rc = job_enqueue(db, org_id, kind, payload, run_at, id, err);
    if (rc == 0 && j) {
        jobs_wake(j);
    }
    return rc;
}

/* ---- what handlers call ---- */

/* Writes the worker's progress values to the row now. */
static int progress_flush(struct jobs_worker *w)
{
    struct ibc_error err = IBC_ERROR_INIT;
    w->last_write_ms = mono_ms();
    w->wrote_progress = true;
    if (!w->db) {
        return IBC_EDB;
    }
    int rc = job_store_progress(w->db, w->job_id, w->j->worker_id, w->progress,
                                w->total, w->message, time(NULL), &err);
    if (rc) {
        log_warn("jobs: progress of job %lld not written: %s",
                 (long long)w->job_id, err.msg);
    }
    return rc;
}

int job_progress(struct job_ctx *jc, int64_t done, int64_t total,
                 const char *message)
{
    struct jobs_worker *w = jc->w_;
    w->progress = done;
    w->total = total;
    if (!message || !w->message || strcmp(message, w->message) != 0) {
        free(w->message);
        w->message = message ? xstrdup(message) : NULL;
    }
    if (!w->wrote_progress || (total > 0 && done >= total) ||
        mono_ms() - w->last_write_ms >= w->j->cfg.progress_ms) {
        return progress_flush(w);
    }
    return 0;
}

void job_set_result(struct job_ctx *jc, const char *json)
{
    struct jobs_worker *w = jc->w_;
    free(w->result);
    w->result = json ? xstrdup(json) : NULL;
}

bool job_cancelled(struct job_ctx *jc)
{
    struct jobs_worker *w = jc->w_;
    if (atomic_load(&w->j->stopping) || w->cancelled) {
        return true;
    }
    int64_t now = mono_ms();
    if (w->checked && now - w->last_check_ms < 200) {
        return false;
    }
    w->checked = true;
    w->last_check_ms = now;
    bool mine = true;
    struct ibc_error err = IBC_ERROR_INIT;
    if (w->db && job_store_still_mine(w->db, w->job_id, w->j->worker_id, &mine,
                                      &err) != 0) {
        log_warn("jobs: cannot check job %lld: %s", (long long)w->job_id,
                 err.msg);
        return false;
    }
    w->cancelled = !mine;
    return w->cancelled;
}

/* ---- the workers ---- */

static const struct jobs_handler *handler_find(const struct jobs *j,
                                               const char *kind)
{
    for (int i = 0; i < j->n_handlers; i++) {
        if (strcmp(j->handlers[i].kind, kind) == 0) {
            return &j->handlers[i];
        }
    }
    return NULL;
}

/* Seconds before retry number `attempts` (1 = after the first failure):
 * base, 4 base, 16 base, … at most an hour. */
static long retry_delay(const struct jobs *j, int attempts)
{
    long d = j->cfg.retry_base_s;
    for (int i = 1; i < attempts && d < 3600; i++) {
        d *= 4;
    }
    return d > 3600 ? 3600 : d;
}

/* Runs claimed job c on worker w and records how it ended. */
static void run_job(struct jobs_worker *w, const struct job_claim *c)
{
    struct jobs *j = w->j;
    const struct jobs_handler *h = handler_find(j, c->kind);
    w->job_id = c->id;
    w->progress = w->total = 0;
    free(w->message);
    free(w->result);
    w->message = w->result = NULL;
    w->wrote_progress = w->checked = w->cancelled = false;

    struct job_ctx jc = {
        .id = c->id,
        .org_id = c->org_id,
        .kind = c->kind,
        .payload = c->payload,
        .attempt = c->attempts,
        .max_attempts = c->max_attempts,
        .arena = w->arena,
        .db = w->db,
        .ctx = h ? h->ctx : NULL,
        .w_ = w,
    };
    int rc;
    if (h) {
        log_debug("jobs: running job %lld (%s), attempt %d", (long long)c->id,
                  c->kind, c->attempts);
        rc = h->fn(&jc);
    } else {
        rc =
            ibc_fail(&jc.err, IBC_EINTERNAL, "no handler for kind %s", c->kind);
    }
    if (db_in_tx(w->db)) {
        log_warn("jobs: job %lld (%s) left a transaction open; rolled back",
                 (long long)c->id, c->kind);
        db_rollback(w->db);
    }

    time_t now = time(NULL);
    enum job_end how;
    const char *message = w->message;
    char run_at[JOBS_TIME_LEN] = "";
    if (w->cancelled) {
        /* job_cancel() took the row: nothing of ours to record. */
        log_info("jobs: job %lld (%s) cancelled", (long long)c->id, c->kind);
        w->job_id = 0;
        atomic_fetch_add(&j->runs, 1);
        return;
    }
    if (rc == 0) {
        how = JOB_END_DONE;
    } else if (rc == JOB_INTERRUPTED && atomic_load(&j->stopping)) {
        how = JOB_END_REQUEUE;
        message = "interrupted by shutdown; will run again";
    } else {
        /* A failure, or an interruption that was not asked for (a cancelled
         * row is no longer 'running', so the update below leaves it). */
        if (rc == JOB_INTERRUPTED) {
            ibc_fail(&jc.err, IBC_EINTERNAL,
                     "stopped without being "
                     "cancelled");
        } else if (rc > 0) {
            ibc_fail(&jc.err, IBC_EINTERNAL, "handler returned %d", rc);
        }
        message = jc.err.msg[0] ? jc.err.msg : ibc_err_name(rc);
        if (c->attempts >= c->max_attempts) {
            how = JOB_END_FAILED;
            log_warn("jobs: job %lld (%s) failed after %d attempts: %s",
                     (long long)c->id, c->kind, c->attempts, message);
        } else {
            how = JOB_END_RETRY;
            jobs_time_fmt(now + retry_delay(j, c->attempts), run_at);
            log_info("jobs: job %lld (%s) attempt %d failed, retry at %s: %s",
                     (long long)c->id, c->kind, c->attempts, run_at, message);
        }
    }
    struct ibc_error err = IBC_ERROR_INIT;
    for (int tries = 0; tries < 3; tries++) {
        if (job_store_end(w->db, c->id, j->worker_id, how, run_at, w->progress,
                          w->total, message, w->result, now, &err) == 0) {
            break;
        }
        log_err("jobs: cannot record the end of job %lld: %s", (long long)c->id,
                err.msg);
        usleep(200000);
    }
    w->job_id = 0;
    atomic_fetch_add(&j->runs, 1);
}

static void *worker_main(void *arg)
{
    struct jobs_worker *w = arg;
    struct jobs *j = w->j;
    while (!atomic_load(&j->stopping)) {
        pthread_mutex_lock(&j->mu);
        unsigned long seq = j->wake_seq;
        pthread_mutex_unlock(&j->mu);

        int wait_ms = j->cfg.poll_ms;
        struct ibc_error err = IBC_ERROR_INIT;
        if (!w->db && db_open(&w->db, j->url, &err) != 0) {
            log_warn("jobs: worker cannot reconnect: %s", err.msg);
            w->db = NULL;
            wait_ms = wait_ms < 2000 ? 2000 : wait_ms;
        } else {
            arena_reset(w->arena);
            struct job_claim c = {0};
            int rc =
                job_store_claim(w->db, j->kinds, j->n_handlers, j->worker_id,
                                time(NULL), &c, w->arena, &err);
            if (rc == 1 && atomic_load(&j->stopping)) {
                /* Claimed while stopping began: hand it back untouched. */
                job_store_end(w->db, c.id, j->worker_id, JOB_END_REQUEUE, NULL,
                              0, 0,
                              "interrupted by shutdown; will run "
                              "again",
                              NULL, time(NULL), &err);
                break;
            }
            if (rc == 1) {
                run_job(w, &c);
                continue;
            }
            if (rc < 0) {
                log_warn("jobs: cannot claim a job: %s", err.msg);
                if (rc == IBC_EDB) { /* maybe a broken connection */
                    db_close(w->db);
                    w->db = NULL;
                }
                wait_ms = wait_ms < 2000 ? 2000 : wait_ms;
            }
        }
        struct timespec until = deadline_ms(wait_ms);
        pthread_mutex_lock(&j->mu);
        while (!atomic_load(&j->stopping) && j->wake_seq == seq) {
            if (pthread_cond_timedwait(&j->cv, &j->mu, &until) == ETIMEDOUT) {
                break;
            }
        }
        pthread_mutex_unlock(&j->mu);
    }
    return NULL;
}

/* ---- the scheduler ---- */

/* Splits "host:pid:nonce" and says whether that process is gone: it ran on
 * this host, is not us, and kill(pid, 0) finds no such process. */
static bool locker_dead(const struct jobs *j, const char *locked_by)
{
    const char *last = strrchr(locked_by, ':');
    if (!last || last == locked_by) {
        return false;
    }
    const char *p = last - 1;
    while (p > locked_by && *p != ':') {
        p--;
    }
    if (*p != ':') {
        return false;
    }
    size_t host_len = (size_t)(p - locked_by);
    if (host_len != strlen(j->host) ||
        memcmp(locked_by, j->host, host_len) != 0) {
        return false;
    }
    char *end;
    long pid = strtol(p + 1, &end, 10);
    if (end != last || pid <= 0 || pid == (long)getpid()) {
        return false;
    }
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Puts back jobs of dead processes of this host, and stale ones. */
static int recover(struct jobs *j, struct db *db, time_t now, bool at_start,
                   struct ibc_error *err)
{
    int n = 0, rc = 0;
    if (at_start) {
        struct arena *a = arena_new();
        const char **lockers;
        int n_lockers = 0;
        rc = job_store_lockers(db, &lockers, &n_lockers, a, err);
        for (int i = 0; rc == 0 && i < n_lockers; i++) {
            if (locker_dead(j, lockers[i])) {
                rc =
                    job_store_release(db, lockers[i], NULL, NULL, now, &n, err);
            }
        }
        arena_free(a);
    }
    if (rc == 0) {
        char before[JOBS_TIME_LEN];
        jobs_time_fmt(now - j->cfg.stale_s, before);
        rc = job_store_release(db, NULL, before, j->worker_id, now, &n, err);
    }
    if (n > 0) {
        log_warn("jobs: %d job(s) of stopped workers put back in the queue", n);
        jobs_wake(j);
    }
    return rc;
}

static void *sched_main(void *arg)
{
    struct jobs *j = arg;
    time_t last_beat = time(NULL), last_recover = last_beat, last_purge = 0;
    while (!atomic_load(&j->stopping)) {
        struct ibc_error err = IBC_ERROR_INIT;
        time_t now = time(NULL);
        if (!j->sched_db && db_open(&j->sched_db, j->url, &err) != 0) {
            log_warn("jobs: scheduler cannot reconnect: %s", err.msg);
            j->sched_db = NULL;
        } else {
            int n = 0, rc = job_schedule_tick(j->sched_db, now, &n, &err);
            if (n > 0) {
                jobs_wake(j);
            }
            if (rc == 0 && now - last_beat >= j->cfg.heartbeat_s) {
                rc = job_store_heartbeat(j->sched_db, j->worker_id, now, &err);
                last_beat = now;
            }
            if (rc == 0 && now - last_recover >= (j->cfg.stale_s + 3) / 4) {
                rc = recover(j, j->sched_db, now, false, &err);
                last_recover = now;
            }
            if (rc == 0 && j->cfg.keep_days > 0 && now - last_purge >= 3600) {
                char before[JOBS_TIME_LEN];
                jobs_time_fmt(now - (time_t)j->cfg.keep_days * 86400, before);
                rc = job_purge(j->sched_db, before, NULL, &err);
                last_purge = now;
            }
            if (rc < 0) {
                log_warn("jobs: scheduler: %s", err.msg);
                if (rc == IBC_EDB) {
                    db_close(j->sched_db);
                    j->sched_db = NULL;
                }
            }
        }
        struct timespec until = deadline_ms(j->cfg.tick_ms);
        pthread_mutex_lock(&j->mu);
        while (!atomic_load(&j->stopping)) {
            if (pthread_cond_timedwait(&j->sched_cv, &j->mu, &until) ==
                ETIMEDOUT) {
                break;
            }
        }
        pthread_mutex_unlock(&j->mu);
    }
    return NULL;
}

/* ---- start and stop ---- */

/* Closes what jobs_start opened (threads already joined). */
static void close_all(struct jobs *j)
{
    if (j->workers) {
        for (int i = 0; i < j->cfg.n_workers; i++) {
            db_close(j->workers[i].db);
            arena_free(j->workers[i].arena);
            free(j->workers[i].message);
            free(j->workers[i].result);
        }
        free(j->workers);
        j->workers = NULL;
    }
    db_close(j->sched_db);
    j->sched_db = NULL;
}

/* Asks all threads to end and joins those that were started. */
static void join_all(struct jobs *j)
{
    atomic_store(&j->stopping, true);
    pthread_mutex_lock(&j->mu);
    pthread_cond_broadcast(&j->cv);
    pthread_cond_broadcast(&j->sched_cv);
    pthread_mutex_unlock(&j->mu);
    for (int i = 0; j->workers && i < j->cfg.n_workers; i++) {
        if (j->workers[i].thread_started) {
            pthread_join(j->workers[i].thread, NULL);
            j->workers[i].thread_started = false;
        }
    }
    if (j->sched_started) {
        pthread_join(j->sched_thread, NULL);
        j->sched_started = false;
    }
}

int jobs_start(struct jobs *j, struct ibc_error *err)
{
    if (j->started) {
        return ibc_fail(err, IBC_EINTERNAL, "jobs: already started");
    }
    atomic_store(&j->stopping, false);
    int rc = db_open(&j->sched_db, j->url, err);
    if (rc) {
        j->sched_db = NULL;
        return rc;
    }
    int64_t n;
    rc = db_query_int64(j->sched_db, &n, err,
                        "SELECT COUNT(*) FROM job_schedule", DB_END);
    if (rc < 0) {
        ibc_fail(err, rc,
                 "the job tables are missing or unreadable "
                 "(run `ibc db migrate`): %s",
                 db_errmsg(j->sched_db));
        goto fail;
    }
    time_t now = time(NULL);
    for (int i = 0; i < j->n_scheds; i++) {
        rc = job_schedule_set(j->sched_db, j->scheds[i].name, j->scheds[i].kind,
                              j->scheds[i].interval_s, now, err);
        if (rc) {
            goto fail;
        }
    }
    if ((rc = recover(j, j->sched_db, now, true, err)) != 0) {
        goto fail;
    }
    j->workers = xcalloc((size_t)j->cfg.n_workers, sizeof(*j->workers));
    for (int i = 0; i < j->cfg.n_workers; i++) {
        struct jobs_worker *w = &j->workers[i];
        w->j = j;
        w->arena = arena_new();
        if ((rc = db_open(&w->db, j->url, err)) != 0) {
            w->db = NULL;
            goto fail;
        }
    }
    for (int i = 0; i < j->cfg.n_workers; i++) {
        if (pthread_create(&j->workers[i].thread, NULL, worker_main,
                           &j->workers[i]) != 0) {
            rc = ibc_fail(err, IBC_EINTERNAL, "jobs: cannot start a worker: %s",
                          strerror(errno));
            goto fail;
        }
        j->workers[i].thread_started = true;
    }
    if (pthread_create(&j->sched_thread, NULL, sched_main, j) != 0) {
        rc = ibc_fail(err, IBC_EINTERNAL,
                      "jobs: cannot start the scheduler: %s", strerror(errno));
        goto fail;
    }
    j->sched_started = true;
    j->started = true;
    log_info("jobs: %d worker(s) started as %s", j->cfg.n_workers,
             j->worker_id);
    return 0;
fail:
    join_all(j);
    close_all(j);
    return rc;
}

void jobs_stop(struct jobs *j)
{
    if (!j || !j->started) {
        return;
    }
    join_all(j);
    close_all(j);
    j->started = false;
}

void jobs_free(struct jobs *j)
{
    if (!j) {
        return;
    }
    jobs_stop(j);
    for (int i = 0; i < j->n_handlers; i++) {
        free(j->handlers[i].kind);
    }
    free(j->handlers);
    free(j->kinds);
    for (int i = 0; i < j->n_scheds; i++) {
        free(j->scheds[i].name);
        free(j->scheds[i].kind);
    }
    free(j->scheds);
    pthread_cond_destroy(&j->cv);
    pthread_cond_destroy(&j->sched_cv);
    pthread_mutex_destroy(&j->mu);
    free(j->url);
    free(j);
}
