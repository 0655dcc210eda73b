/* ibc — the inside of the job system: the SQL the runtime (jobs.c) uses to
 * claim, finish, heartbeat and recover jobs. All of it lives in
 * job_store.c; only src/jobs/ includes this file. */
#ifndef IBC_JOBS_JOBS_INT_H
#define IBC_JOBS_JOBS_INT_H

#include "jobs/jobs.h"

/* A job just claimed by a worker; strings in the arena given. */
struct job_claim {
    int64_t id;
    int64_t org_id; /* 0 = system-wide */
    const char *kind;
    const char *payload; /* NULL when none */
    int attempts;        /* including this run */
    int max_attempts;
};

/* Claims the first due queued job whose kind is one of kinds[0..n_kinds)
 * for worker `worker`: it becomes 'running', attempts+1, locked_by and
 * heartbeat set, progress reset. Runs its own write transaction (the
 * connection must have none open). Returns 1 (claimed, *out filled), 0 (no
 * due job) or a negative enum ibc_err with err filled. */
int job_store_claim(struct db *db, const char *const *kinds, int n_kinds,
                    const char *worker, time_t now, struct job_claim *out,
                    struct arena *a, struct ibc_error *err);

/* How a run ended. */
enum job_end {
    JOB_END_DONE,   /* 'done', finished_at */
    JOB_END_RETRY,  /* 'queued' again at run_at, message kept */
    JOB_END_FAILED, /* 'failed', finished_at, message */
    JOB_END_REQUEUE /* 'queued' now, the attempt not counted (shutdown) */
};

/* Records the end of a run of job id by worker, if the row is still
 * 'running' and locked by that worker (a cancelled job stays cancelled).
 * run_at is used by JOB_END_RETRY only. Returns 0 or IBC_EDB. */
int job_store_end(struct db *db, int64_t id, const char *worker,
                  enum job_end how, const char *run_at, int64_t progress,
                  int64_t total, const char *message, const char *result,
                  time_t now, struct ibc_error *err);

/* Writes progress and a heartbeat for a running job. Returns 0 or IBC_EDB. */
int job_store_progress(struct db *db, int64_t id, const char *worker,
                       int64_t progress, int64_t total, const char *message,
                       time_t now, struct ibc_error *err);

/* Sets *mine to whether job id is still 'running' under worker. Returns 0
 * or IBC_EDB. */
int job_store_still_mine(struct db *db, int64_t id, const char *worker,
                         bool *mine, struct ibc_error *err);

/* Marks every job running under worker alive at now. Returns 0 or IBC_EDB. */
int job_store_heartbeat(struct db *db, const char *worker, time_t now,
                        struct ibc_error *err);

/* Puts orphaned running jobs back in the queue (or fails those that have
 * used up their attempts): the jobs locked by `locked_by` when it is not
 * NULL, else those whose heartbeat is older than stale_before and that are
 * not locked by `except`. Adds the number of rows to *n. Returns 0 or
 * IBC_EDB. */
int job_store_release(struct db *db, const char *locked_by,
                      const char *stale_before, const char *except, time_t now,
                      int *n, struct ibc_error *err);

/* The distinct locked_by values of running jobs, into an arena array of
 * *n strings. Returns 0 or IBC_EDB. */
int job_store_lockers(struct db *db, const char ***out, int *n, struct arena *a,
                      struct ibc_error *err);

#endif
