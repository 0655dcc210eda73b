/* ibc — scheduled backups: the "backup.run" job and rotation.
 *
 * Every day (struct backup_sched) the job writes
 * DATA/backups/ibc-YYYYMMDD-HHMMSS.ibcbak (UTC time; encrypted when
 * $IBC_BACKUP_PASSPHRASE is set for the server) and deletes the oldest such
 * files beyond the number to keep (org_setting backup_keep, default 14).
 * Files with other names in that folder are never touched. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "jobs/jobs.h"

#define NAME_LEN 27 /* "ibc-YYYYMMDD-HHMMSS.ibcbak" */

static bool is_backup_name(const char *s)
{
    static const char pat[] = "ibc-DDDDDDDD-DDDDDD.ibcbak";
    if (strlen(s) != NAME_LEN - 1) {
        return false;
    }
    for (size_t i = 0; pat[i]; i++) {
        if (pat[i] == 'D' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i]) {
            return false;
        }
    }
    return true;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int backup_rotate(const char *dir, int keep, int *n_deleted,
                  struct ibc_error *err)
{
    if (n_deleted) {
        *n_deleted = 0;
    }
    DIR *d = opendir(dir);
    if (!d) {
        return ibc_fail(err, IBC_EIO, "cannot read %s: %s", dir,
                        strerror(errno));
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_backup_name(e->d_name)) {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    /* The names sort by time. */
    if (n) {
        qsort(names, n, sizeof(*names), cmp_names);
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (keep >= 0 && i + (size_t)keep < n) {
            char p[PATH_MAX];
            snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
            if (unlink(p) != 0 && errno != ENOENT) {
                rc = ibc_fail(err, IBC_EIO, "cannot delete %s: %s", p,
                              strerror(errno));
            } else if (n_deleted) {
                (*n_deleted)++;
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int backup_run_scheduled(struct db *db, const char *db_url, const char *dir,
                         const struct backup_opts *opts, char *written,
                         size_t written_sz, struct ibc_error *err)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return ibc_fail(err, IBC_EIO, "cannot create %s: %s", dir,
                        strerror(errno));
    }
    int keep = BACKUP_KEEP_DEFAULT;
    int rc = backup_store_keep(db, &keep, err);
    if (rc) {
        return rc;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char name[NAME_LEN + 8], path[PATH_MAX];
    strftime(name, sizeof(name), "ibc-%Y%m%d-%H%M%S.ibcbak", &tm);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((rc = backup_write(db_url, path, opts, err))) {
        return rc;
    }
    if (written) {
        snprintf(written, written_sz, "%s", name);
    }
    int deleted = 0;
    rc = backup_rotate(dir, keep, &deleted, err);
    if (rc == 0 && deleted) {
        log_info("backup: %s written, %d old backup%s deleted (keeping %d)",
                 name, deleted, deleted == 1 ? "" : "s", keep);
    }
    return rc;
}

static int backup_job(struct job_ctx *jc)
{
    const struct backup_sched *s = jc->ctx;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/backups", s->data_dir);
    char *pass = NULL;
    int rc = backup_passphrase(NULL, &pass, &jc->err);
    if (rc) {
        return rc;
    }
    struct backup_opts opts = {.passphrase = pass};
    char name[64] = "";
    job_progress(jc, 0, 1, "backup");
    rc = backup_run_scheduled(jc->db, s->db_url, dir, &opts, name,
                              sizeof(name), &jc->err);
    backup_passphrase_free(pass);
    if (rc) {
        log_err("backup: %s", jc->err.msg);
        return rc;
    }
    char result[128];
    snprintf(result, sizeof(result), "{\"file\":\"%s\"}", name);
    job_set_result(jc, result);
    job_progress(jc, 1, 1, name);
    return 0;
}

int backup_jobs_register(struct jobs *j, const struct backup_sched *s)
{
    if (!s || !s->data_dir || !s->db_url) {
        return IBC_EINVAL;
    }
    jobs_register(j, BACKUP_JOB_KIND, backup_job, (void *)s);
    return jobs_schedule(j, "backup.daily", BACKUP_JOB_KIND,
                         s->interval_s > 0 ? s->interval_s : 24 * 3600);
}
