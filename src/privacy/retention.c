/* ibc — retention: the daily job that forgets what the school keeps only
 * for a while (152-ФЗ: no longer than the purpose needs).
 *
 * For every school, with its period (org_setting retention_days, default
 * 90 days): client addresses in the audit log are cleared, and the
 * free-text search log (table search_log, from the search issue) is
 * deleted after its rows are counted into stat_daily by day, class level
 * and subject. The HTTP access log goes to stderr, not to the database;
 * its retention is the log rotation's (docs/DEPLOY.md). See privacy.h. */
#include "privacy/privacy.h"

#include "core/log.h"
#include "core/time.h"
#include "db/db.h"
#include "jobs/jobs.h"

/* One school in one transaction. */
static int retain_org(struct db *db, int64_t org_id, time_t now,
                      struct retention_stats *st, struct ibc_error *err)
{
    int days = privacy_retention_days(db, org_id);
    char before[32];
    time_iso(before, now - (time_t)days * 86400);
    int rc = db_begin(db, DB_TX_WRITE, err);
    if (rc) {
        return rc;
    }
    int64_t blanked = 0, rolled = 0, deleted = 0;
    rc = privacy_blank_addrs(db, org_id, before, &blanked, err);
    if (!rc) {
        rc = privacy_search_purge(db, org_id, before, &rolled, &deleted, err);
    }
    if (rc) {
        db_rollback(db);
        return rc;
    }
    rc = db_commit(db, err);
    if (!rc) {
        st->orgs++;
        st->addrs_blanked += blanked;
        st->search_rolled += rolled;
        st->search_deleted += deleted;
    }
    return rc;
}

int privacy_retention_run(struct db *db, time_t now,
                          struct retention_stats *stats,
                          struct ibc_error *err)
{
    struct retention_stats local = {0};
    struct retention_stats *st = stats ? stats : &local;
    *st = (struct retention_stats){0};
    struct arena *a = arena_new();
    int64_t *ids;
    size_t n;
    int rc = privacy_org_ids(db, a, &ids, &n, err);
    for (size_t i = 0; !rc && i < n; i++) {
        rc = retain_org(db, ids[i], now, st, err);
    }
    arena_free(a);
    return rc;
}

static int retention_job(struct job_ctx *jc)
{
    struct retention_stats st;
    int rc = privacy_retention_run(jc->db, time(NULL), &st, &jc->err);
    if (rc) {
        return rc;
    }
    char *json = arena_printf(
        jc->arena,
        "{\"orgs\":%lld,\"addrs_blanked\":%lld,\"search_deleted\":%lld,"
        "\"search_rolled\":%lld}",
        (long long)st.orgs, (long long)st.addrs_blanked,
        (long long)st.search_deleted, (long long)st.search_rolled);
    job_set_result(jc, json);
    log_info("privacy retention: %lld addresses cleared, %lld search log "
             "rows deleted",
             (long long)st.addrs_blanked, (long long)st.search_deleted);
    return 0;
}

int privacy_jobs_register(struct jobs *jobs)
{
    jobs_register(jobs, PRIVACY_RETENTION_JOB, retention_job, NULL);
    return jobs_schedule(jobs, PRIVACY_RETENTION_JOB, PRIVACY_RETENTION_JOB,
                         24 * 3600);
}
