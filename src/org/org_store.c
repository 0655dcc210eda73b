/* ibc — schools: all SQL about table org; see org.h. */
#include "org/org.h"

#include <string.h>

#include "core/str.h"
#include "core/time.h"
#include "core/utf8.h"
#include "db/db.h"

static int read_one(struct db_stmt *st, struct arena *a, struct org *out)
{
    int rc = db_step(st);
    if (rc == DB_ROW) {
        out->id = db_col_int64(st, 0);
        out->code = arena_strdup(a, db_col_text(st, 1));
        out->name = arena_strdup(a, db_col_text(st, 2));
        out->short_name = arena_strdup(a, db_col_text(st, 3));
        out->city = arena_strdup(a, db_col_text(st, 4));
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = IBC_ENOTFOUND;
    }
    db_finalize(st);
    return rc;
}

#define ORG_COLS "SELECT id, code, name, short_name, city FROM org "

int org_get_by_code(struct db *db, struct arena *a, const char *code,
                    struct org *out, struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err, ORG_COLS "WHERE code = ?",
                             DB_TXT(code), DB_END);
    if (rc) {
        return rc;
    }
    rc = read_one(st, a, out);
    if (rc == IBC_ENOTFOUND) {
        return ibc_fail(err, rc, "no school with code \"%s\"", code);
    }
    return rc;
}

int org_get(struct db *db, struct arena *a, int64_t id, struct org *out,
            struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err, ORG_COLS "WHERE id = ?",
                             DB_I64(id), DB_END);
    if (rc) {
        return rc;
    }
    rc = read_one(st, a, out);
    if (rc == IBC_ENOTFOUND) {
        return ibc_fail(err, rc, "no school %lld", (long long)id);
    }
    return rc;
}

int org_get_default(struct db *db, struct arena *a, struct org *out,
                    struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err, ORG_COLS "ORDER BY id LIMIT 1",
                             DB_END);
    if (rc) {
        return rc;
    }
    rc = read_one(st, a, out);
    if (rc == IBC_ENOTFOUND) {
        return ibc_fail(err, rc, "the database holds no school yet: run "
                        "`ibc demo` or create one");
    }
    return rc;
}

static bool valid_code(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 32) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-')) {
            return false;
        }
    }
    return true;
}

static bool valid_name(const char *s, size_t max_chars)
{
    if (str_empty(s) || !utf8_valid(s, strlen(s))) {
        return false;
    }
    size_t n = utf8_length(s);
    return n >= 2 && n <= max_chars;
}

int org_create(struct db *db, const struct org *o, int64_t *id,
               struct ibc_error *err)
{
    if (str_empty(o->code) || !valid_code(o->code)) {
        return ibc_fail_field(err, IBC_EINVAL, "code",
                              "the school code is 2–32 characters: "
                              "latin letters, digits and '-'");
    }
    if (!valid_name(o->name, 300)) {
        return ibc_fail_field(err, IBC_EINVAL, "name",
                              "the full name is 2–300 characters");
    }
    if (!valid_name(o->short_name, 80)) {
        return ibc_fail_field(err, IBC_EINVAL, "short_name",
                              "the short name is 2–80 characters");
    }
    char now[32];
    time_now_iso(now);
    int rc = db_query_int64(
        db, id, err,
        "INSERT INTO org (code, name, short_name, city, created_at) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        DB_TXT(o->code), DB_TXT(o->name), DB_TXT(o->short_name),
        o->city ? DB_TXT(o->city) : DB_NUL, DB_TXT(now), DB_END);
    if (rc == IBC_ECONFLICT) {
        return ibc_fail_field(err, rc, "code",
                              "a school with code \"%s\" exists already",
                              o->code);
    }
    return rc < 0 ? rc : 0;
}

int org_count(struct db *db, int64_t *n, struct ibc_error *err)
{
    *n = 0;
    int rc = db_query_int64(db, n, err, "SELECT COUNT(*) FROM org", DB_END);
    return rc < 0 ? rc : 0;
}

int org_list(struct db *db, struct arena *a, struct org **out, size_t *n,
             struct ibc_error *err)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err, ORG_COLS "ORDER BY code", DB_END);
    if (rc) {
        return rc;
    }
    size_t cap = 8, cnt = 0;
    struct org *v = arena_alloc(a, cap * sizeof(*v));
    while ((rc = db_step(st)) == DB_ROW) {
        if (cnt == cap) {
            struct org *nv = arena_alloc(a, 2 * cap * sizeof(*nv));
            memcpy(nv, v, cnt * sizeof(*v));
            v = nv;
            cap *= 2;
        }
        v[cnt].id = db_col_int64(st, 0);
        v[cnt].code = arena_strdup(a, db_col_text(st, 1));
        v[cnt].name = arena_strdup(a, db_col_text(st, 2));
        v[cnt].short_name = arena_strdup(a, db_col_text(st, 3));
        v[cnt].city = arena_strdup(a, db_col_text(st, 4));
        cnt++;
    }
    db_finalize(st);
    if (rc < 0) {
        return ibc_fail(err, rc, "cannot list schools: %s", db_errmsg(db));
    }
    *out = v;
    *n = cnt;
    return 0;
}
