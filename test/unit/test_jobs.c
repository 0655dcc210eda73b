/* ibc — tests of the background jobs (src/jobs/): the queue, workers,
 * retries, restart after a crash, concurrency, the scheduler, cancel.
 * Every test runs on SQLite and, when IBC_TEST_PG_URL is set, PostgreSQL,
 * each time on a fresh database from test_db_urls(). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"
#include "db/migrate.h"
#include "dbtest.h"
#include "harness.h"
#include "jobs/jobs.h"

/* ---- a fresh, migrated database per backend ---- */


/* Runs body once per backend with `t` (a struct tdb) and `db` ready. */
#define EACH_DB(...)                                                           \
    do {                                                                       \
        const char *names_[2], *urls_[2];                                      \
        int ndb_ = test_db_urls(names_, urls_);                                \
        for (int i_ = 0; i_ < ndb_; i_++) {                                    \
            struct tdb t;                                                      \
            tdb_open(&t, names_[i_], urls_[i_]);                               \
            struct db *db = t.db;                                              \
            struct ibc_error err = IBC_ERROR_INIT;                             \
            (void)db;                                                          \
            (void)err;                                                         \
            __VA_ARGS__;                                                       \
            tdb_close(&t);                                                     \
        }                                                                      \
    } while (0)

static int64_t make_org(struct db *db, const char *code)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t id = 0;
    int rc = db_query_int64(db, &id, &err,
                            "INSERT INTO org (code, name, short_name, "
                            "created_at) VALUES (?, ?, ?, ?) RETURNING id",
                            DB_TXT(code), DB_TXT("Школа № 1"), DB_TXT("Ш1"),
                            DB_TXT("2026-01-01T00:00:00Z"), DB_END);
    if (rc != DB_ROW) {
        test_fail(__FILE__, __LINE__, "make_org: %s", err.msg);
    }
    return id;
}

/* Job settings that make tests quick. */
static struct jobs_config quick_cfg(int workers)
{
    struct jobs_config c;
    jobs_config_defaults(&c);
    c.n_workers = workers;
    c.poll_ms = 20;
    c.tick_ms = 50;
    c.retry_base_s = 0;
    c.progress_ms = 0;
    return c;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls job id until it is in state want (true) or timeout_ms passes. */
static bool wait_state(struct db *db, int64_t id, enum job_state want,
                       int timeout_ms)
{
    int64_t until = now_ms() + timeout_ms;
    struct arena *a = arena_new();
    bool ok = false;
    while (!ok && now_ms() < until) {
        struct job_info ji;
        arena_reset(a);
        ok = job_get(db, id, &ji, a, NULL) == 0 && ji.state == want;
        if (!ok) {
            usleep(10000);
        }
    }
    arena_free(a);
    return ok;
}

static int64_t count_sql(struct db *db, const char *sql, const char *arg)
{
    int64_t n = -1;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = arg ? db_query_int64(db, &n, &err, sql, DB_TXT(arg), DB_END)
                 : db_query_int64(db, &n, &err, sql, DB_END);
    if (rc != DB_ROW) {
        test_fail(__FILE__, __LINE__, "%s: %s", sql, err.msg);
    }
    return n;
}

/* A gate a handler waits at until the test opens it, and flags the test
 * waits for. */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int reached; /* how many handlers got to the gate */
    bool open;
    int calls;    /* handler calls */
    int returned; /* handler returns */
    int64_t org_id;
    char payload[128];
    char kind[64];
    int last_attempt;
};

static void gate_init(struct gate *g)
{
    memset(g, 0, sizeof(*g));
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
}

static void gate_destroy(struct gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

/* Waits until *field (read under the lock) reaches n; false on timeout. */
static bool gate_wait(struct gate *g, const int *field, int n, int timeout_ms)
{
    int64_t until = now_ms() + timeout_ms;
    pthread_mutex_lock(&g->mu);
    while (*field < n && now_ms() < until) {
        pthread_mutex_unlock(&g->mu);
        usleep(5000);
        pthread_mutex_lock(&g->mu);
    }
    bool ok = *field >= n;
    pthread_mutex_unlock(&g->mu);
    return ok;
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* ---- pure parts ---- */

TEST(time_format_and_parse)
{
    char s[JOBS_TIME_LEN];
    jobs_time_fmt(0, s);
    CHECK_EQ_STR(s, "1970-01-01T00:00:00Z");
    jobs_time_fmt(1795656123, s);
    CHECK_EQ_STR(s, "2026-11-26T01:22:03Z");
    time_t t = 0;
    CHECK_EQ_INT(jobs_time_parse("2026-11-26T01:22:03Z", &t), 0);
    CHECK_EQ_INT(t, 1795656123);
    CHECK_EQ_INT(jobs_time_parse("2024-02-29T23:59:59Z", &t), 0);
    CHECK_EQ_INT(jobs_time_parse("2026-02-29T00:00:00Z", &t), IBC_EINVAL);
    CHECK_EQ_INT(jobs_time_parse("2026-11-26 01:22:03Z", &t), IBC_EINVAL);
    CHECK_EQ_INT(jobs_time_parse("2026-11-26T01:22:03+03:00", &t), IBC_EINVAL);
    CHECK_EQ_INT(jobs_time_parse("2026-11-26T24:00:00Z", &t), IBC_EINVAL);
    CHECK_EQ_INT(jobs_time_parse("", &t), IBC_EINVAL);
    CHECK_EQ_INT(jobs_time_parse(NULL, &t), IBC_EINVAL);
    enum job_state st;
    CHECK(job_state_parse("cancelled", &st));
    CHECK_EQ_INT(st, JOB_CANCELLED);
    CHECK(!job_state_parse("paused", &st));
    CHECK_EQ_STR(job_state_name(JOB_RUNNING), "running");
}

TEST(job_info_json_for_the_progress_page)
{
    struct job_info ji = {
        .id = 7,
        .kind = "marc.import",
        .state = JOB_RUNNING,
        .progress = 1,
        .total = 3,
        .message = "Запись \"1\" <из> 3",
        .attempts = 1,
        .max_attempts = 3,
        .created_at = "2026-11-26T01:00:00Z",
        .started_at = "2026-11-26T01:00:01Z",
    };
    struct buf b = BUF_INIT;
    job_info_json(&ji, &b);
    const char *s = buf_cstr(&b);
    CHECK_CONTAINS(s, "\"id\":7");
    CHECK_CONTAINS(s, "\"state\":\"running\"");
    CHECK_CONTAINS(s, "\"percent\":33");
    CHECK_CONTAINS(s, "\"finished\":false");
    CHECK_CONTAINS(s, "\"finished_at\":null");
    CHECK_CONTAINS(s, "Запись \\\"1\\\" \\u003cиз\\u003e 3");
    CHECK_NOT_CONTAINS(s, "<");
    buf_clear(&b);
    ji.total = 0;
    ji.state = JOB_DONE;
    ji.result = "{\"imported\":3}";
    job_info_json(&ji, &b);
    s = buf_cstr(&b);
    CHECK_CONTAINS(s, "\"percent\":null");
    CHECK_CONTAINS(s, "\"finished\":true");
    CHECK_CONTAINS(s, "\"result\":\"{\\\"imported\\\":3}\"");
    buf_reset(&b);
}

/* ---- the queue ---- */

TEST(enqueue_validates_and_stores)
{
    EACH_DB({
        int64_t org = make_org(db, "s1"), id = 0;
        CHECK_EQ_INT(job_enqueue(db, org, "", NULL, NULL, &id, &err),
                     IBC_EINVAL);
        CHECK_EQ_STR(err.field, "kind");
        CHECK_EQ_INT(job_enqueue(db, org, "Marc Import", NULL, NULL, &id, &err),
                     IBC_EINVAL);
        CHECK_EQ_STR(err.field, "kind");
        CHECK_EQ_INT(job_enqueue(db, org, "marc.import", "{\"f\":\"\xff\"}",
                                 NULL, &id, &err),
                     IBC_EINVAL);
        CHECK_EQ_STR(err.field, "payload");
        CHECK_EQ_INT(
            job_enqueue(db, org, "marc.import", NULL, "tomorrow", &id, &err),
            IBC_EINVAL);
        CHECK_EQ_STR(err.field, "run_at");
        CHECK_EQ_INT(
            job_enqueue(db, org + 1000, "marc.import", NULL, NULL, &id, &err),
            IBC_ECONFLICT);
        CHECK_EQ_STR(err.field, "org_id");
        struct job_spec bad = {.kind = "x", .max_attempts = 1000};
        CHECK_EQ_INT(job_enqueue_spec(db, &bad, &id, &err), IBC_EINVAL);
        CHECK_EQ_STR(err.field, "max_attempts");

        CHECK_EQ_INT(job_enqueue(db, org, "marc.import",
                                 "{\"file\":\"книги.mrc\"}",
                                 "2030-01-02T03:04:05Z", &id, &err),
                     0);
        CHECK(id > 0);
        struct arena *a = arena_new();
        struct job_info ji;
        CHECK_EQ_INT(job_get(db, id, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.id, id);
        CHECK_EQ_INT(ji.org_id, org);
        CHECK_EQ_STR(ji.kind, "marc.import");
        CHECK_EQ_STR(ji.payload, "{\"file\":\"книги.mrc\"}");
        CHECK_EQ_INT(ji.state, JOB_QUEUED);
        CHECK_EQ_INT(ji.attempts, 0);
        CHECK_EQ_INT(ji.max_attempts, JOBS_DEFAULT_MAX_ATTEMPTS);
        CHECK_EQ_STR(ji.run_at, "2030-01-02T03:04:05Z");
        time_t created;
        CHECK_EQ_INT(jobs_time_parse(ji.created_at, &created), 0);
        CHECK(labs((long)(created - time(NULL))) < 5);
        CHECK(ji.started_at == NULL && ji.finished_at == NULL);
        CHECK(ji.locked_by == NULL && ji.schedule == NULL);

        /* A system-wide job has no school. */
        int64_t sys = 0;
        CHECK_EQ_INT(
            job_enqueue(db, 0, "search.reindex", NULL, NULL, &sys, &err), 0);
        CHECK_EQ_INT(job_get(db, sys, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.org_id, 0);
        CHECK(ji.payload == NULL);
        CHECK_EQ_INT(job_get(db, sys + 1000, &ji, a, &err), IBC_ENOTFOUND);
        arena_free(a);
    });
}

/* ---- running jobs ---- */

/* Reports 1/3 with a message, waits at the gate, reports 3/3, sets a
 * result. */
static int steps_job(struct job_ctx *jc)
{
    struct gate *g = jc->ctx;
    pthread_mutex_lock(&g->mu);
    g->calls++;
    g->org_id = jc->org_id;
    snprintf(g->payload, sizeof(g->payload), "%s",
             jc->payload ? jc->payload : "(null)");
    snprintf(g->kind, sizeof(g->kind), "%s", jc->kind);
    pthread_mutex_unlock(&g->mu);
    job_progress(jc, 1, 3, "первая запись");
    pthread_mutex_lock(&g->mu);
    g->reached++;
    while (!g->open) {
        pthread_cond_wait(&g->cv, &g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    job_progress(jc, 3, 3, "готово");
    job_set_result(jc, "{\"imported\":3}");
    return 0;
}

TEST(job_runs_to_done_with_progress_visible)
{
    EACH_DB({
        int64_t org = make_org(db, "s1"), id = 0;
        struct gate g;
        gate_init(&g);
        struct jobs_config cfg = quick_cfg(2);
        struct jobs *j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.steps", steps_job, &g);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        CHECK_EQ_INT(jobs_enqueue(j, db, org, "test.steps", "{\"n\":3}", NULL,
                                  &id, &err),
                     0);
        CHECK(gate_wait(&g, &g.reached, 1, 5000));

        /* While it runs, another connection sees its progress. */
        struct arena *a = arena_new();
        struct job_info ji;
        CHECK_EQ_INT(job_get(db, id, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.state, JOB_RUNNING);
        CHECK_EQ_INT(ji.progress, 1);
        CHECK_EQ_INT(ji.total, 3);
        CHECK_EQ_STR(ji.message, "первая запись");
        CHECK_EQ_INT(ji.attempts, 1);
        CHECK_EQ_STR(ji.locked_by, jobs_worker_id(j));
        CHECK(ji.started_at != NULL && ji.heartbeat_at != NULL);
        struct buf b = BUF_INIT;
        job_info_json(&ji, &b);
        CHECK_CONTAINS(buf_cstr(&b), "\"state\":\"running\"");
        CHECK_CONTAINS(buf_cstr(&b), "\"percent\":33");
        CHECK_CONTAINS(buf_cstr(&b), "\"message\":\"первая запись\"");

        gate_open(&g);
        CHECK(wait_state(db, id, JOB_DONE, 5000));
        arena_reset(a);
        CHECK_EQ_INT(job_get(db, id, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.progress, 3);
        CHECK_EQ_INT(ji.total, 3);
        CHECK_EQ_STR(ji.message, "готово");
        CHECK_EQ_STR(ji.result, "{\"imported\":3}");
        CHECK_EQ_INT(ji.attempts, 1);
        CHECK(ji.finished_at != NULL);
        CHECK(ji.locked_by == NULL);
        buf_clear(&b);
        job_info_json(&ji, &b);
        CHECK_CONTAINS(buf_cstr(&b), "\"percent\":100");
        CHECK_CONTAINS(buf_cstr(&b), "\"finished\":true");

        /* The handler saw the job as enqueued. */
        CHECK_EQ_INT(g.calls, 1);
        CHECK_EQ_INT(g.org_id, org);
        CHECK_EQ_STR(g.payload, "{\"n\":3}");
        CHECK_EQ_STR(g.kind, "test.steps");
        jobs_free(j);
        CHECK_EQ_INT(g.calls, 1);
        buf_reset(&b);
        arena_free(a);
        gate_destroy(&g);
    });
}

/* Fails on attempts listed in the gate's `reached` field: every attempt
 * when reached == 0, else only the first. */
static int flaky_job(struct job_ctx *jc)
{
    struct gate *g = jc->ctx;
    pthread_mutex_lock(&g->mu);
    g->calls++;
    g->last_attempt = jc->attempt;
    bool fail_all = g->open;
    pthread_mutex_unlock(&g->mu);
    if (fail_all || jc->attempt == 1) {
        return ibc_fail(&jc->err, IBC_EIO, "scanner offline (try %d of %d)",
                        jc->attempt, jc->max_attempts);
    }
    return 0;
}

TEST(failing_job_is_retried_then_failed_with_its_message)
{
    EACH_DB({
        int64_t org = make_org(db, "s1"), bad = 0, ok = 0;
        struct gate g;
        gate_init(&g);
        g.open = true; /* fail every attempt */
        struct jobs_config cfg = quick_cfg(1);
        struct jobs *j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.flaky", flaky_job, &g);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        struct job_spec spec = {
            .org_id = org, .kind = "test.flaky", .max_attempts = 3};
        CHECK_EQ_INT(job_enqueue_spec(db, &spec, &bad, &err), 0);
        jobs_wake(j);
        CHECK(wait_state(db, bad, JOB_FAILED, 5000));
        struct arena *a = arena_new();
        struct job_info ji;
        CHECK_EQ_INT(job_get(db, bad, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.attempts, 3);
        CHECK_EQ_STR(ji.message, "scanner offline (try 3 of 3)");
        CHECK(ji.finished_at != NULL);
        CHECK_EQ_INT(g.calls, 3);

        /* One that fails once, then succeeds on its retry. */
        pthread_mutex_lock(&g.mu);
        g.open = false;
        g.calls = 0;
        pthread_mutex_unlock(&g.mu);
        CHECK_EQ_INT(
            jobs_enqueue(j, db, org, "test.flaky", NULL, NULL, &ok, &err), 0);
        CHECK(wait_state(db, ok, JOB_DONE, 5000));
        CHECK_EQ_INT(job_get(db, ok, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.attempts, 2);
        CHECK_EQ_INT(g.calls, 2);
        jobs_free(j);

        /* With a real backoff the retry waits: queued, run_at later. */
        cfg.retry_base_s = 60;
        j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.flaky", flaky_job, &g);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        pthread_mutex_lock(&g.mu);
        g.calls = 0;
        pthread_mutex_unlock(&g.mu);
        int64_t later = 0;
        time_t before = time(NULL);
        CHECK_EQ_INT(
            jobs_enqueue(j, db, org, "test.flaky", NULL, NULL, &later, &err),
            0);
        CHECK(gate_wait(&g, &g.calls, 1, 5000));
        usleep(300000); /* time for a wrong immediate retry to show */
        CHECK_EQ_INT(job_get(db, later, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.state, JOB_QUEUED);
        CHECK_EQ_INT(ji.attempts, 1);
        CHECK_EQ_STR(ji.message, "scanner offline (try 1 of 3)");
        time_t run_at;
        CHECK_EQ_INT(jobs_time_parse(ji.run_at, &run_at), 0);
        CHECK(run_at >= before + 60 && run_at <= time(NULL) + 60);
        CHECK_EQ_INT(g.calls, 1);
        jobs_free(j);
        arena_free(a);
        gate_destroy(&g);
    });
}

/* Records progress, then kills its process (the crash under test). In the
 * parent process it just finishes. */
struct crash_ctx {
    pid_t parent;
    atomic_int calls; /* in the parent */
};

static int crashing_job(struct job_ctx *jc)
{
    struct crash_ctx *c = jc->ctx;
    if (getpid() != c->parent) {
        job_progress(jc, 1, 2, "halfway");
        _exit(42);
    }
    atomic_fetch_add(&c->calls, 1);
    job_progress(jc, 2, 2, "finished after restart");
    return 0;
}

TEST(job_survives_a_crash_of_its_process)
{
    EACH_DB({
        int64_t org = make_org(db, "s1"), id = 0;
        CHECK_EQ_INT(job_enqueue(db, org, "test.crash", "{}", NULL, &id, &err),
                     0);
        struct crash_ctx cc = {.parent = getpid()};
        atomic_init(&cc.calls, 0);
        struct jobs_config cfg = quick_cfg(1);
        /* No connection may cross the fork (SQLite's rule): close ours. */
        db_close(t.db);
        t.db = db = NULL;
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            struct jobs *j = jobs_new(t.url, &cfg);
            jobs_register(j, "test.crash", crashing_job, &cc);
            struct ibc_error cerr = IBC_ERROR_INIT;
            if (jobs_start(j, &cerr) != 0) {
                fprintf(stderr, "child: %s\n", cerr.msg);
                _exit(1);
            }
            sleep(10); /* the job ends this process long before */
            _exit(2);
        }
        int status = 0;
        CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status));
        CHECK_EQ_INT(WEXITSTATUS(status), 42);
        CHECK_EQ_INT(db_open(&t.db, t.url, &err), 0);
        db = t.db;

        /* The dead process left the job running, half done. */
        struct arena *a = arena_new();
        struct job_info ji;
        CHECK_EQ_INT(job_get(db, id, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.state, JOB_RUNNING);
        CHECK_EQ_INT(ji.attempts, 1);
        CHECK_EQ_STR(ji.message, "halfway");
        char pid_part[32];
        snprintf(pid_part, sizeof(pid_part), ":%ld:", (long)pid);
        CHECK_CONTAINS(ji.locked_by, pid_part);

        /* A new instance (the restarted server) finishes it at once, without
         * waiting for the heartbeat to go stale. */
        cfg.stale_s = 3600;
        struct jobs *j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.crash", crashing_job, &cc);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        CHECK(wait_state(db, id, JOB_DONE, 5000));
        arena_reset(a);
        CHECK_EQ_INT(job_get(db, id, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.attempts, 2);
        CHECK_EQ_INT(ji.progress, 2);
        CHECK_EQ_STR(ji.message, "finished after restart");
        CHECK_EQ_INT(atomic_load(&cc.calls), 1);
        jobs_free(j);
        arena_free(a);
    });
}

/* Reports progress, then works until told to stop. */
static int patient_job(struct job_ctx *jc)
{
    struct gate *g = jc->ctx;
    job_progress(jc, 0, 10, "working");
    pthread_mutex_lock(&g->mu);
    g->calls++;
    g->reached++;
    bool finish = g->open;
    pthread_mutex_unlock(&g->mu);
    if (finish) {
        return 0;
    }
    while (!job_cancelled(jc)) {
        usleep(5000);
    }
    pthread_mutex_lock(&g->mu);
    g->returned++;
    pthread_mutex_unlock(&g->mu);
    return JOB_INTERRUPTED;
}

TEST(stop_mid_job_puts_it_back_for_the_next_start)
{
    EACH_DB({
        int64_t org = make_org(db, "s1"), id = 0;
        struct gate g;
        gate_init(&g);
        struct jobs_config cfg = quick_cfg(2);
        struct jobs *j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.patient", patient_job, &g);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        CHECK_EQ_INT(
            jobs_enqueue(j, db, org, "test.patient", NULL, NULL, &id, &err), 0);
        CHECK(gate_wait(&g, &g.reached, 1, 5000));
        jobs_free(j); /* waits for the handler to end its step */
        CHECK_EQ_INT(g.returned, 1);
        struct arena *a = arena_new();
        struct job_info ji;
        CHECK_EQ_INT(job_get(db, id, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.state, JOB_QUEUED);
        CHECK_EQ_INT(ji.attempts, 0); /* a shutdown is not a failure */
        CHECK(ji.locked_by == NULL);
        CHECK_CONTAINS(ji.message, "shutdown");

        gate_open(&g); /* the next run finishes */
        j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.patient", patient_job, &g);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        CHECK(wait_state(db, id, JOB_DONE, 5000));
        arena_reset(a);
        CHECK_EQ_INT(job_get(db, id, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.attempts, 1);
        CHECK_EQ_INT(g.calls, 2);
        jobs_free(j);
        arena_free(a);
        gate_destroy(&g);
    });
}

static int count_job(struct job_ctx *jc)
{
    atomic_int *n = jc->ctx;
    atomic_fetch_add(n, 1);
    return 0;
}

TEST(stale_heartbeat_is_recovered_live_one_is_left)
{
    EACH_DB({
        int64_t org = make_org(db, "s1"), dead = 0, alive = 0;
        CHECK_EQ_INT(
            job_enqueue(db, org, "test.count", NULL, NULL, &dead, &err), 0);
        CHECK_EQ_INT(
            job_enqueue(db, org, "test.count", NULL, NULL, &alive, &err), 0);
        /* Two jobs held by workers on another machine: one silent for
         * ages, one that beat just now. */
        char now_s[JOBS_TIME_LEN];
        jobs_time_fmt(time(NULL), now_s);
        CHECK_EQ_INT(
            db_run(db, &err,
                   "UPDATE job SET state = 'running', attempts = 1, "
                   "locked_by = ?, heartbeat_at = ?, started_at = ? "
                   "WHERE id = ?",
                   DB_TXT("otherhost:1:dead"), DB_TXT("2000-01-01T00:00:00Z"),
                   DB_TXT("2000-01-01T00:00:00Z"), DB_I64(dead), DB_END),
            0);
        CHECK_EQ_INT(db_run(db, &err,
                            "UPDATE job SET state = 'running', attempts = 1, "
                            "locked_by = ?, heartbeat_at = ?, started_at = ? "
                            "WHERE id = ?",
                            DB_TXT("otherhost:2:alive"), DB_TXT(now_s),
                            DB_TXT(now_s), DB_I64(alive), DB_END),
                     0);
        atomic_int runs;
        atomic_init(&runs, 0);
        struct jobs_config cfg = quick_cfg(2);
        cfg.stale_s = 60;
        struct jobs *j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.count", count_job, &runs);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        CHECK(wait_state(db, dead, JOB_DONE, 5000));
        usleep(200000);
        struct arena *a = arena_new();
        struct job_info ji;
        CHECK_EQ_INT(job_get(db, dead, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.attempts, 2);
        CHECK_EQ_INT(job_get(db, alive, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.state, JOB_RUNNING);
        CHECK_EQ_STR(ji.locked_by, "otherhost:2:alive");
        CHECK_EQ_INT(atomic_load(&runs), 1);
        jobs_free(j);

        /* A job whose worker died on its last attempt is failed, not run. */
        CHECK_EQ_INT(db_run(db, &err,
                            "UPDATE job SET attempts = max_attempts, "
                            "heartbeat_at = ? WHERE id = ?",
                            DB_TXT("2000-01-01T00:00:00Z"), DB_I64(alive),
                            DB_END),
                     0);
        j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.count", count_job, &runs);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        CHECK(wait_state(db, alive, JOB_FAILED, 5000));
        arena_reset(a);
        CHECK_EQ_INT(job_get(db, alive, &ji, a, &err), 0);
        CHECK_CONTAINS(ji.message, "otherhost:2:alive");
        CHECK(ji.finished_at != NULL);
        CHECK_EQ_INT(atomic_load(&runs), 1);
        jobs_free(j);
        arena_free(a);
    });
}

/* ---- concurrency ---- */

#define N_MANY 50

struct many {
    _Atomic int64_t first_id; /* set while the workers already run */
    atomic_int runs[N_MANY];
};

static int many_job(struct job_ctx *jc)
{
    struct many *m = jc->ctx;
    int64_t i = jc->id - atomic_load(&m->first_id);
    if (i >= 0 && i < N_MANY) {
        atomic_fetch_add(&m->runs[i], 1);
    }
    usleep(1000); /* let the workers overlap */
    return 0;
}

TEST(two_instances_never_run_a_job_twice)
{
    EACH_DB({
        int64_t org = make_org(db, "s1"), ids[N_MANY];
        struct many m;
        atomic_init(&m.first_id, 0);
        for (int i = 0; i < N_MANY; i++) {
            atomic_init(&m.runs[i], 0);
        }
        /* Two job systems (as two server processes would) wait for work;
         * then all the jobs arrive at once, in one transaction. */
        struct jobs_config cfg = quick_cfg(3);
        cfg.poll_ms = 5;
        struct jobs *a = jobs_new(t.url, &cfg), *b = jobs_new(t.url, &cfg);
        jobs_register(a, "test.many", many_job, &m);
        jobs_register(b, "test.many", many_job, &m);
        CHECK_EQ_INT(jobs_start(a, &err), 0);
        CHECK_EQ_INT(jobs_start(b, &err), 0);
        CHECK_EQ_INT(db_begin(db, DB_TX_WRITE, &err), 0);
        for (int i = 0; i < N_MANY; i++) {
            CHECK_EQ_INT(
                job_enqueue(db, org, "test.many", NULL, NULL, &ids[i], &err),
                0);
            if (i == 0) {
                atomic_store(&m.first_id, ids[0]); /* before it commits */
            }
        }
        CHECK_EQ_INT(db_commit(db, &err), 0);
        CHECK_EQ_INT(ids[N_MANY - 1] - ids[0], N_MANY - 1);
        jobs_wake(a);
        jobs_wake(b);
        int64_t until = now_ms() + 8000;
        while (jobs_runs(a) + jobs_runs(b) < N_MANY && now_ms() < until) {
            usleep(5000);
        }
        long ra = jobs_runs(a), rb = jobs_runs(b);
        jobs_free(a);
        jobs_free(b);
        printf("    runs: %ld + %ld\n", ra, rb);
        CHECK_EQ_INT(ra + rb, N_MANY);
        for (int i = 0; i < N_MANY; i++) {
            CHECK_EQ_INT(atomic_load(&m.runs[i]), 1);
        }
        CHECK_EQ_INT(count_sql(db,
                               "SELECT COUNT(*) FROM job WHERE "
                               "state = 'done' AND attempts = 1",
                               NULL),
                     N_MANY);
    });
}

/* ---- schedules ---- */

static char *sched_next(struct db *db, const char *name, struct arena *a)
{
    struct db_stmt *st;
    struct ibc_error err = IBC_ERROR_INIT;
    char *out = NULL;
    if (db_prepare_args(db, &st, &err,
                        "SELECT next_run_at, last_run_at FROM job_schedule "
                        "WHERE name = ?",
                        DB_TXT(name), DB_END) == 0) {
        if (db_step(st) == DB_ROW) {
            out = arena_printf(a, "%s %s", db_col_text(st, 0),
                               db_col_text(st, 1) ? db_col_text(st, 1) : "-");
        }
        db_finalize(st);
    }
    return out;
}

TEST(scheduler_fires_on_its_grid_and_not_twice)
{
    EACH_DB({
        struct arena *a = arena_new();
        time_t t0 = 1795641600; /* 2026-11-25T21:20:00Z */
        CHECK_EQ_INT(job_schedule_set(db, "digest", "test.digest", 0, t0, &err),
                     IBC_EINVAL);
        CHECK_EQ_STR(err.field, "interval_s");
        CHECK_EQ_INT(
            job_schedule_set(db, "Bad Name", "test.digest", 60, t0, &err),
            IBC_EINVAL);
        CHECK_EQ_STR(err.field, "name");
        CHECK_EQ_INT(
            job_schedule_set(db, "digest", "test.digest", 60, t0, &err), 0);
        CHECK_EQ_STR(sched_next(db, "digest", a), "2026-11-25T21:20:00Z -");
        int n = -1;
        CHECK_EQ_INT(job_schedule_tick(db, t0 - 1, &n, &err), 0);
        CHECK_EQ_INT(n, 0);
        CHECK_EQ_INT(job_schedule_tick(db, t0, &n, &err), 0);
        CHECK_EQ_INT(n, 1); /* a new schedule is due at once */
        CHECK_EQ_STR(sched_next(db, "digest", a),
                     "2026-11-25T21:21:00Z 2026-11-25T21:20:00Z");
        CHECK_EQ_INT(job_schedule_tick(db, t0, &n, &err), 0);
        CHECK_EQ_INT(n, 0);
        CHECK_EQ_INT(job_schedule_tick(db, t0 + 59, &n, &err), 0);
        CHECK_EQ_INT(n, 0);
        /* Due again, but the first run is still queued: skipped. */
        CHECK_EQ_INT(job_schedule_tick(db, t0 + 60, &n, &err), 0);
        CHECK_EQ_INT(n, 0);
        CHECK_EQ_STR(sched_next(db, "digest", a),
                     "2026-11-25T21:22:00Z 2026-11-25T21:20:00Z");
        CHECK_EQ_INT(db_run(db, &err,
                            "UPDATE job SET state = 'done', finished_at = ? "
                            "WHERE schedule = ?",
                            DB_TXT("2026-11-25T21:21:30Z"), DB_TXT("digest"),
                            DB_END),
                     0);
        CHECK_EQ_INT(job_schedule_tick(db, t0 + 119, &n, &err), 0);
        CHECK_EQ_INT(n, 0);
        CHECK_EQ_INT(job_schedule_tick(db, t0 + 121, &n, &err), 0);
        CHECK_EQ_INT(n, 1);
        CHECK_EQ_STR(sched_next(db, "digest", a),
                     "2026-11-25T21:23:00Z 2026-11-25T21:22:01Z");
        /* After a long pause: one run, not the missed ones; the grid
         * holds. */
        CHECK_EQ_INT(db_run(db, &err,
                            "UPDATE job SET state = 'done', finished_at = ? "
                            "WHERE schedule = ?",
                            DB_TXT("2026-11-25T21:22:30Z"), DB_TXT("digest"),
                            DB_END),
                     0);
        CHECK_EQ_INT(job_schedule_tick(db, t0 + 1000, &n, &err), 0);
        CHECK_EQ_INT(n, 1);
        CHECK_EQ_STR(sched_next(db, "digest", a),
                     "2026-11-25T21:37:00Z 2026-11-25T21:36:40Z");
        CHECK_EQ_INT(count_sql(db,
                               "SELECT COUNT(*) FROM job WHERE "
                               "schedule = ?",
                               "digest"),
                     3);
        CHECK_EQ_INT(count_sql(db,
                               "SELECT COUNT(*) FROM job WHERE "
                               "schedule = ? AND org_id IS NULL AND "
                               "kind = 'test.digest' AND "
                               "max_attempts = 1",
                               "digest"),
                     3);

        /* Re-declaring: a longer interval keeps the next run, a shorter
         * one brings it forward. */
        CHECK_EQ_INT(job_schedule_set(db, "digest", "test.digest", 3600,
                                      t0 + 1001, &err),
                     0);
        CHECK_EQ_STR(sched_next(db, "digest", a),
                     "2026-11-25T21:37:00Z 2026-11-25T21:36:40Z");
        CHECK_EQ_INT(
            job_schedule_set(db, "digest", "test.digest", 10, t0 + 1001, &err),
            0);
        CHECK_EQ_STR(sched_next(db, "digest", a),
                     "2026-11-25T21:36:51Z 2026-11-25T21:36:40Z");
        arena_free(a);
    });
}

/* Two "processes" tick the same schedule in lock step. */
struct ticker {
    const char *url;
    pthread_barrier_t *bar;
    int index;
    int fired;
    int errors;
    char errmsg[512];
};

#define TICK_ROUNDS 8

static void *ticker_main(void *arg)
{
    struct ticker *tk = arg;
    struct db *db = NULL;
    struct ibc_error err = IBC_ERROR_INIT;
    if (db_open(&db, tk->url, &err) != 0) {
        tk->errors++;
        snprintf(tk->errmsg, sizeof(tk->errmsg), "%s", err.msg);
    }
    time_t t0 = 1795641600;
    for (int r = 0; r < TICK_ROUNDS; r++) {
        pthread_barrier_wait(tk->bar);
        int n = 0;
        if (db && job_schedule_tick(db, t0 + r * 60, &n, &err) != 0) {
            tk->errors++;
            snprintf(tk->errmsg, sizeof(tk->errmsg), "%s", err.msg);
        }
        tk->fired += n;
        pthread_barrier_wait(tk->bar);
        /* One of them finishes the round's job, so the next may fire. */
        if (db && tk->index == 0 &&
            db_run(db, &err,
                   "UPDATE job SET state = 'done', finished_at = ? "
                   "WHERE state = 'queued'",
                   DB_TXT("2026-11-25T21:20:00Z"), DB_END) != 0) {
            tk->errors++;
        }
        pthread_barrier_wait(tk->bar);
    }
    db_close(db);
    return NULL;
}

TEST(scheduler_two_processes_fire_each_run_once)
{
    EACH_DB({
        CHECK_EQ_INT(
            job_schedule_set(db, "digest", "test.digest", 60, 1795641600, &err),
            0);
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, 2);
        struct ticker tk[2] = {{.url = t.url, .bar = &bar, .index = 0},
                               {.url = t.url, .bar = &bar, .index = 1}};
        pthread_t th[2];
        for (int i = 0; i < 2; i++) {
            CHECK_EQ_INT(pthread_create(&th[i], NULL, ticker_main, &tk[i]), 0);
        }
        for (int i = 0; i < 2; i++) {
            pthread_join(th[i], NULL);
        }
        pthread_barrier_destroy(&bar);
        printf("    fired: %d + %d\n", tk[0].fired, tk[1].fired);
        if (tk[0].errors || tk[1].errors) {
            printf("    %s %s\n", tk[0].errmsg, tk[1].errmsg);
        }
        CHECK_EQ_INT(tk[0].errors + tk[1].errors, 0);
        CHECK_EQ_INT(tk[0].fired + tk[1].fired, TICK_ROUNDS);
        CHECK_EQ_INT(count_sql(db,
                               "SELECT COUNT(*) FROM job WHERE "
                               "schedule = ?",
                               "digest"),
                     TICK_ROUNDS);
    });
}

TEST(scheduled_kind_runs_periodically_in_the_job_system)
{
    EACH_DB({
        atomic_int runs;
        atomic_init(&runs, 0);
        struct jobs_config cfg = quick_cfg(1);
        struct jobs *j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.ping", count_job, &runs);
        CHECK_EQ_INT(jobs_schedule(j, "ping", "test.ping", 1), 0);
        CHECK_EQ_INT(jobs_schedule(j, "", "test.ping", 1), IBC_EINVAL);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        int64_t until = now_ms() + 5000;
        while (atomic_load(&runs) < 1 && now_ms() < until) {
            usleep(10000);
        }
        jobs_free(j);
        /* The grid itself is tested above; here: the running system fires
         * a due schedule, runs its job and keeps the schedule going. */
        CHECK(atomic_load(&runs) >= 1);
        struct arena *a = arena_new();
        char *next = sched_next(db, "ping", a);
        CHECK(next != NULL);
        time_t next_t, last_t;
        char next_s[JOBS_TIME_LEN], last_s[JOBS_TIME_LEN];
        CHECK(sscanf(next, "%20s %20s", next_s, last_s) == 2);
        CHECK_EQ_INT(jobs_time_parse(next_s, &next_t), 0);
        CHECK_EQ_INT(jobs_time_parse(last_s, &last_t), 0);
        CHECK(next_t > last_t && next_t <= last_t + 3);
        arena_free(a);
        CHECK_EQ_INT(count_sql(db,
                               "SELECT COUNT(*) FROM job_schedule "
                               "WHERE name = ? AND interval_s = 1",
                               "ping"),
                     1);
        CHECK_EQ_INT(count_sql(db,
                               "SELECT COUNT(*) FROM job WHERE "
                               "schedule = ? AND state = 'done'",
                               "ping"),
                     atomic_load(&runs));
    });
}

/* ---- cancel, run_at, kinds, purge, errors ---- */

TEST(cancel_queued_and_running_jobs)
{
    EACH_DB({
        int64_t org = make_org(db, "s1"), later = 0, run = 0;
        CHECK_EQ_INT(job_enqueue(db, org, "test.patient", NULL,
                                 "2099-01-01T00:00:00Z", &later, &err),
                     0);
        CHECK_EQ_INT(job_cancel(db, later, &err), 0);
        struct arena *a = arena_new();
        struct job_info ji;
        CHECK_EQ_INT(job_get(db, later, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.state, JOB_CANCELLED);
        CHECK(ji.finished_at != NULL);
        CHECK_EQ_INT(job_cancel(db, later, &err), IBC_ECONFLICT);
        CHECK_CONTAINS(err.msg, "cancelled");
        CHECK_EQ_INT(job_cancel(db, later + 1000, &err), IBC_ENOTFOUND);

        struct gate g;
        gate_init(&g);
        struct jobs_config cfg = quick_cfg(1);
        struct jobs *j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.patient", patient_job, &g);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        CHECK_EQ_INT(
            jobs_enqueue(j, db, org, "test.patient", NULL, NULL, &run, &err),
            0);
        CHECK(gate_wait(&g, &g.reached, 1, 5000));
        CHECK_EQ_INT(job_cancel(db, run, &err), 0);
        CHECK(gate_wait(&g, &g.returned, 1, 5000));
        usleep(100000);
        arena_reset(a);
        CHECK_EQ_INT(job_get(db, run, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.state, JOB_CANCELLED);
        CHECK_EQ_STR(ji.message, "working");
        CHECK(ji.locked_by == NULL);
        CHECK_EQ_INT(g.calls, 1); /* and it is not run again */
        CHECK_EQ_INT(job_cancel(db, run, &err), IBC_ECONFLICT);
        jobs_free(j);
        CHECK_EQ_INT(g.calls, 1);
        arena_free(a);
        gate_destroy(&g);
    });
}

TEST(future_and_foreign_jobs_wait)
{
    EACH_DB({
        int64_t org = make_org(db, "s1"), future = 0, foreign = 0, now = 0;
        atomic_int runs;
        atomic_init(&runs, 0);
        char soon[JOBS_TIME_LEN];
        jobs_time_fmt(time(NULL) + 3600, soon);
        CHECK_EQ_INT(
            job_enqueue(db, org, "test.count", NULL, soon, &future, &err), 0);
        CHECK_EQ_INT(
            job_enqueue(db, org, "test.unknown", NULL, NULL, &foreign, &err),
            0);
        struct jobs_config cfg = quick_cfg(2);
        struct jobs *j = jobs_new(t.url, &cfg);
        jobs_register(j, "test.count", count_job, &runs);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        CHECK_EQ_INT(
            jobs_enqueue(j, db, org, "test.count", NULL, NULL, &now, &err), 0);
        CHECK(wait_state(db, now, JOB_DONE, 5000));
        usleep(100000); /* time for a wrong claim to show */
        jobs_free(j);
        CHECK_EQ_INT(atomic_load(&runs), 1);
        struct arena *a = arena_new();
        struct job_info ji;
        CHECK_EQ_INT(job_get(db, future, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.state, JOB_QUEUED);
        CHECK_EQ_INT(job_get(db, foreign, &ji, a, &err), 0);
        CHECK_EQ_INT(ji.state, JOB_QUEUED); /* nobody here knows the kind */
        CHECK_EQ_INT(ji.attempts, 0);
        arena_free(a);
    });
}

TEST(purge_removes_old_finished_jobs_only)
{
    EACH_DB({
        int64_t org = make_org(db, "s1"), old = 0, fresh = 0, queued = 0;
        CHECK_EQ_INT(job_enqueue(db, org, "x", NULL, NULL, &old, &err), 0);
        CHECK_EQ_INT(job_enqueue(db, org, "x", NULL, NULL, &fresh, &err), 0);
        CHECK_EQ_INT(job_enqueue(db, org, "x", NULL, "2000-01-01T00:00:00Z",
                                 &queued, &err),
                     0);
        CHECK_EQ_INT(db_run(db, &err,
                            "UPDATE job SET state = 'done', finished_at = ? "
                            "WHERE id = ?",
                            DB_TXT("2026-01-01T00:00:00Z"), DB_I64(old),
                            DB_END),
                     0);
        CHECK_EQ_INT(db_run(db, &err,
                            "UPDATE job SET state = 'failed', finished_at = ? "
                            "WHERE id = ?",
                            DB_TXT("2026-06-01T00:00:00Z"), DB_I64(fresh),
                            DB_END),
                     0);
        int n = -1;
        CHECK_EQ_INT(job_purge(db, "2026-03-01T00:00:00Z", &n, &err), 0);
        CHECK_EQ_INT(n, 1);
        struct arena *a = arena_new();
        struct job_info ji;
        CHECK_EQ_INT(job_get(db, old, &ji, a, &err), IBC_ENOTFOUND);
        CHECK_EQ_INT(job_get(db, fresh, &ji, a, &err), 0);
        CHECK_EQ_INT(job_get(db, queued, &ji, a, &err), 0);
        arena_free(a);
    });
}

TEST(start_refuses_an_unmigrated_database)
{
    char url[512];
    snprintf(url, sizeof(url), "sqlite:%s/empty.sqlite", test_tmpdir());
    struct jobs *j = jobs_new(url, NULL);
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK(jobs_start(j, &err) < 0);
    CHECK_CONTAINS(err.msg, "ibc db migrate");
    jobs_stop(j); /* harmless when not started */
    jobs_free(j);
    jobs_free(NULL);
}
