/* ibc — privacy: the SQL of settings, rollups, pseudonym keys, retention
 * and anonymisation (tables org_setting, stat_daily, pseudonym_key; and the
 * person's rows that anonymisation clears). The logic around it is in
 * pseudonym.c, retention.c and anonymise.c; see privacy.h.
 *
 * Tables that later issues add (loan, search_log, reading_history) are used
 * only when they exist (privacy_table_exists), so this module works before
 * them and picks them up without a change here. */
#include "privacy/privacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "core/time.h"
#include "core/utf8.h"
#include "db/db.h"

/* ---- settings ---- */

/* The org_setting value of key (arena a) or NULL. */
static int setting_get(struct db *db, struct arena *a, int64_t org_id,
                       const char *key, const char **out,
                       struct ibc_error *err)
{
    *out = NULL;
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT value FROM org_setting "
                             "WHERE org_id = ? AND key = ?",
                             DB_I64(org_id), DB_TXT(key), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        *out = arena_strdup(a, db_col_text(st, 0));
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = 0;
    } else {
        ibc_fail(err, rc, "org_setting: %s", db_errmsg(db));
    }
    db_finalize(st);
    return rc;
}

/* Sets (value non-NULL) or deletes (NULL) an org_setting. */
static int setting_set(struct db *db, int64_t org_id, const char *key,
                       const char *value, struct ibc_error *err)
{
    int rc;
    if (!value) {
        rc = db_run(db, err,
                    "DELETE FROM org_setting WHERE org_id = ? AND key = ?",
                    DB_I64(org_id), DB_TXT(key), DB_END);
    } else {
        rc = db_run(db, err,
                    "INSERT INTO org_setting (org_id, key, value) "
                    "VALUES (?, ?, ?) ON CONFLICT (org_id, key) "
                    "DO UPDATE SET value = excluded.value",
                    DB_I64(org_id), DB_TXT(key), DB_TXT(value), DB_END);
    }
    return rc < 0 ? rc : 0;
}

int privacy_retention_days(struct db *db, int64_t org_id)
{
    struct arena *a = arena_new();
    const char *v = NULL;
    int64_t days = 0;
    if (setting_get(db, a, org_id, "retention_days", &v, NULL) != 0 ||
        !str_to_i64(v, &days) || days < 1 || days > 3650) {
        days = PRIVACY_RETENTION_DEFAULT;
    }
    arena_free(a);
    return (int)days;
}

int privacy_set_retention_days(struct db *db, int64_t org_id, int days,
                               struct ibc_error *err)
{
    if (days < 1 || days > 3650) {
        return ibc_fail_field(err, IBC_EINVAL, "retention_days",
                              "the retention period is 1 to 3650 days");
    }
    char v[16];
    snprintf(v, sizeof(v), "%d", days);
    return setting_set(db, org_id, "retention_days", v, err);
}

int privacy_policy_get(struct db *db, struct arena *a, int64_t org_id,
                       const char **text, struct ibc_error *err)
{
    int rc = setting_get(db, a, org_id, "privacy_policy", text, err);
    if (!rc && *text && !**text) {
        *text = NULL;
    }
    return rc;
}

static bool blank(const char *s)
{
    for (; s && *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
            return false;
        }
    }
    return true;
}

int privacy_policy_set(struct db *db, int64_t org_id, const char *text,
                       struct ibc_error *err)
{
    if (blank(text)) {
        return setting_set(db, org_id, "privacy_policy", NULL, err);
    }
    if (!utf8_valid(text, strlen(text)) ||
        utf8_length(text) > PRIVACY_POLICY_MAX) {
        return ibc_fail_field(err, IBC_EINVAL, "text",
                              "the text is at most %d characters",
                              PRIVACY_POLICY_MAX);
    }
    return setting_set(db, org_id, "privacy_policy", text, err);
}

/* ---- rollups ---- */

int privacy_stat_add(struct db *db, int64_t org_id, const char *day,
                     const char *metric, int dim1, const char *dim2,
                     int64_t count, struct ibc_error *err)
{
    int rc = db_run(db, err,
                    "INSERT INTO stat_daily (org_id, day, metric, dim1, dim2, "
                    "count) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (org_id, day, metric, dim1, dim2) "
                    "DO UPDATE SET count = stat_daily.count + excluded.count",
                    DB_I64(org_id), DB_TXT(day), DB_TXT(metric), DB_I64(dim1),
                    DB_TXT(dim2 ? dim2 : ""), DB_I64(count), DB_END);
    return rc < 0 ? rc : 0;
}

int64_t privacy_stat_get(struct db *db, int64_t org_id, const char *day,
                         const char *metric, int dim1, const char *dim2)
{
    int64_t n = 0;
    if (db_query_int64(db, &n, NULL,
                       "SELECT count FROM stat_daily WHERE org_id = ? AND "
                       "day = ? AND metric = ? AND dim1 = ? AND dim2 = ?",
                       DB_I64(org_id), DB_TXT(day), DB_TXT(metric),
                       DB_I64(dim1), DB_TXT(dim2 ? dim2 : ""),
                       DB_END) != DB_ROW) {
        return 0;
    }
    return n;
}

int privacy_table_exists(struct db *db, const char *table, bool *exists,
                         struct ibc_error *err)
{
    int64_t one = 0;
    int rc = db_query_int64(
        db, &one, err,
        db_backend(db) == DB_SQLITE
            ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
            : "SELECT 1 FROM information_schema.tables WHERE table_name = ? "
              "AND table_schema = current_schema()",
        DB_TXT(table), DB_END);
    if (rc < 0) {
        return rc;
    }
    *exists = rc == DB_ROW;
    return 0;
}

/* ---- pseudonym keys ---- */

int privacy_key_get_or_create(struct db *db, int64_t org_id, int school_year,
                              const char *candidate_hex, char out[65],
                              struct ibc_error *err)
{
    char now[32];
    time_now_iso(now);
    int rc = db_run(db, err,
                    "INSERT INTO pseudonym_key (org_id, school_year, key, "
                    "created_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (org_id, school_year) DO NOTHING",
                    DB_I64(org_id), DB_I64(school_year), DB_TXT(candidate_hex),
                    DB_TXT(now), DB_END);
    if (rc < 0) {
        return rc;
    }
    struct db_stmt *st;
    rc = db_prepare_args(db, &st, err,
                         "SELECT key FROM pseudonym_key "
                         "WHERE org_id = ? AND school_year = ?",
                         DB_I64(org_id), DB_I64(school_year), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        const char *k = db_col_text(st, 0);
        if (k && strlen(k) == 64) {
            memcpy(out, k, 65);
            rc = 0;
        } else {
            rc = ibc_fail(err, IBC_EDB, "pseudonym_key: a malformed key");
        }
    } else {
        rc = ibc_fail(err, rc < 0 ? rc : IBC_EDB, "pseudonym_key: %s",
                      db_errmsg(db));
    }
    db_finalize(st);
    return rc;
}

/* ---- retention ---- */

int privacy_org_ids(struct db *db, struct arena *a, int64_t **ids, size_t *n,
                    struct ibc_error *err)
{
    *ids = NULL;
    *n = 0;
    int64_t count = 0;
    int rc = db_query_int64(db, &count, err, "SELECT COUNT(*) FROM org",
                            DB_END);
    if (rc < 0) {
        return rc;
    }
    struct db_stmt *st;
    rc = db_prepare_args(db, &st, err, "SELECT id FROM org ORDER BY id",
                         DB_END);
    if (rc) {
        return rc;
    }
    *ids = arena_zalloc(a, sizeof(**ids) * (size_t)(count + 1));
    while ((rc = db_step(st)) == DB_ROW && *n < (size_t)count) {
        (*ids)[(*n)++] = db_col_int64(st, 0);
    }
    if (rc < 0) {
        ibc_fail(err, rc, "org ids: %s", db_errmsg(db));
    }
    db_finalize(st);
    return rc < 0 ? rc : 0;
}

int privacy_blank_addrs(struct db *db, int64_t org_id, const char *before,
                        int64_t *n, struct ibc_error *err)
{
    int rc = db_run(db, err,
                    "UPDATE audit_log SET client_addr = NULL WHERE org_id = ? "
                    "AND at < ? AND client_addr IS NOT NULL",
                    DB_I64(org_id), DB_TXT(before), DB_END);
    if (rc < 0) {
        return rc;
    }
    *n = db_changes(db);
    return 0;
}

int privacy_search_purge(struct db *db, int64_t org_id, const char *before,
                         int64_t *rolled, int64_t *deleted,
                         struct ibc_error *err)
{
    *rolled = *deleted = 0;
    bool exists = false;
    int rc = privacy_table_exists(db, "search_log", &exists, err);
    if (rc || !exists) {
        return rc;
    }
    /* Count first (into the arena-free cells below), then add: PostgreSQL
     * fetches the whole result at the first step, SQLite would see its own
     * writes mid-scan of another table, which is fine too. */
    struct db_stmt *st;
    rc = db_prepare_args(
        db, &st, err,
        "SELECT substr(at, 1, 10), COALESCE(class_level, 0), "
        "COALESCE(subject, ''), COUNT(*) FROM search_log "
        "WHERE org_id = ? AND at < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        DB_I64(org_id), DB_TXT(before), DB_END);
    if (rc) {
        return rc;
    }
    struct arena *a = arena_new();
    struct cell {
        const char *day, *subject;
        int level;
        int64_t n;
        struct cell *next;
    } *cells = NULL, **tail = &cells;
    while ((rc = db_step(st)) == DB_ROW) {
        struct cell *c = arena_zalloc(a, sizeof(*c));
        c->day = arena_strdup(a, db_col_text(st, 0));
        c->level = (int)db_col_int64(st, 1);
        c->subject = arena_strdup(a, db_col_text(st, 2));
        c->n = db_col_int64(st, 3);
        *tail = c;
        tail = &c->next;
    }
    if (rc < 0) {
        ibc_fail(err, rc, "search_log: %s", db_errmsg(db));
    }
    db_finalize(st);
    for (struct cell *c = cells; rc >= 0 && c; c = c->next) {
        rc = privacy_stat_add(db, org_id, c->day, "search", c->level,
                              c->subject, c->n, err);
        *rolled += c->n;
    }
    arena_free(a);
    if (rc < 0) {
        return rc;
    }
    rc = db_run(db, err, "DELETE FROM search_log WHERE org_id = ? AND at < ?",
                DB_I64(org_id), DB_TXT(before), DB_END);
    if (rc < 0) {
        return rc;
    }
    *deleted = db_changes(db);
    return 0;
}

/* ---- anonymisation ---- */

int privacy_person_status(struct db *db, int64_t org_id, int64_t person_id,
                          const char **status, struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT status FROM person "
                             "WHERE org_id = ? AND id = ?",
                             DB_I64(org_id), DB_I64(person_id), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        const char *s = db_col_text(st, 0);
        *status = str_eq(s, "left")         ? "left"
                  : str_eq(s, "anonymised") ? "anonymised"
                                            : "active";
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = ibc_fail(err, IBC_ENOTFOUND, "no person %lld in this school",
                      (long long)person_id);
    } else {
        ibc_fail(err, rc, "person: %s", db_errmsg(db));
    }
    db_finalize(st);
    return rc;
}

int privacy_open_loans(struct db *db, int64_t org_id, int64_t person_id,
                       int64_t *n, struct ibc_error *err)
{
    *n = 0;
    bool exists = false;
    int rc = privacy_table_exists(db, "loan", &exists, err);
    if (rc || !exists) {
        return rc;
    }
    rc = db_query_int64(db, n, err,
                        "SELECT COUNT(*) FROM loan WHERE org_id = ? AND "
                        "person_id = ? AND returned_at IS NULL",
                        DB_I64(org_id), DB_I64(person_id), DB_END);
    return rc < 0 ? rc : 0;
}

int privacy_person_scrub(struct db *db, int64_t org_id, int64_t person_id,
                         struct ibc_error *err)
{
    char now[32], login[40];
    time_now_iso(now);
    snprintf(login, sizeof(login), "anon-%lld", (long long)person_id);
    /* sort_key "ff…" puts anonymised people after every real name */
    int rc = db_run(db, err,
                    "UPDATE person SET login = ?, last_name = NULL, "
                    "first_name = NULL, middle_name = NULL, birth_date = NULL, "
                    "email = NULL, password_hash = NULL, "
                    "must_change_password = 0, status = 'anonymised', "
                    "sort_key = 'ffffffff', updated_at = ? "
                    "WHERE org_id = ? AND id = ?",
                    DB_TXT(login), DB_TXT(now), DB_I64(org_id),
                    DB_I64(person_id), DB_END);
    if (rc >= 0) {
        rc = db_run(db, err,
                    "UPDATE consent SET note = NULL "
                    "WHERE org_id = ? AND person_id = ?",
                    DB_I64(org_id), DB_I64(person_id), DB_END);
    }
    if (rc >= 0) {
        rc = db_run(db, err,
                    "DELETE FROM parent_link WHERE org_id = ? AND "
                    "(parent_id = ? OR child_id = ?)",
                    DB_I64(org_id), DB_I64(person_id), DB_I64(person_id),
                    DB_END);
    }
    if (rc >= 0) {
        rc = db_run(db, err,
                    "DELETE FROM parent_code WHERE org_id = ? AND child_id = ?",
                    DB_I64(org_id), DB_I64(person_id), DB_END);
    }
    if (rc >= 0) {
        rc = db_run(db, err,
                    "UPDATE parent_code SET used_by = NULL "
                    "WHERE org_id = ? AND used_by = ?",
                    DB_I64(org_id), DB_I64(person_id), DB_END);
    }
    /* the auth module's tables: no session survives, every token is
     * revoked (kept listed, as revoked tokens are) */
    if (rc >= 0) {
        rc = db_run(db, err,
                    "DELETE FROM session WHERE org_id = ? AND person_id = ?",
                    DB_I64(org_id), DB_I64(person_id), DB_END);
    }
    if (rc >= 0) {
        rc = db_run(db, err,
                    "UPDATE api_token SET revoked_at = ? WHERE org_id = ? "
                    "AND person_id = ? AND revoked_at IS NULL",
                    DB_TXT(now), DB_I64(org_id), DB_I64(person_id), DB_END);
    }
    return rc < 0 ? rc : 0;
}
