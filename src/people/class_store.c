/* ibc — classes: all SQL about table school_class; see people.h. */
#include "people/people.h"

#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "core/time.h"
#include "core/utf8.h"
#include "db/db.h"
#include "text/collate.h"

#define CLASS_COLS                                                             \
    "SELECT id, org_id, name, level, school_year, teacher_id "                 \
    "FROM school_class "

static void read_class(struct db_stmt *st, struct arena *a,
                       struct school_class *c)
{
    c->id = db_col_int64(st, 0);
    c->org_id = db_col_int64(st, 1);
    c->name = arena_strdup(a, db_col_text(st, 2));
    c->level = (int)db_col_int64(st, 3);
    c->school_year = (int)db_col_int64(st, 4);
    c->teacher_id = db_col_int64(st, 5);
}

/* Name rule: 1–20 characters of letters, digits, spaces and hyphens,
 * beginning with the level's number (not followed by another digit). */
static int check_name(const char *name, int level, struct ibc_error *err)
{
    size_t len = name ? strlen(name) : 0;
    bool ok = len > 0 && utf8_valid(name, len) && utf8_length(name) <= 20;
    for (size_t i = 0; ok && i < len;) {
        uint32_t cp;
        size_t k = utf8_decode(name + i, len - i, &cp);
        ok = k > 0 && ((cp >= '0' && cp <= '9') || cp == ' ' || cp == '-' ||
                       (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
                       (cp >= 0x400 && cp <= 0x4FF));
        i += k ? k : 1;
    }
    if (!ok) {
        return ibc_fail_field(err, IBC_EINVAL, "name",
                              "a class name is 1–20 letters and digits, "
                              "like 5А");
    }
    char num[8];
    snprintf(num, sizeof(num), "%d", level);
    size_t nl = strlen(num);
    if (strncmp(name, num, nl) != 0 || (name[nl] >= '0' && name[nl] <= '9')) {
        return ibc_fail_field(err, IBC_EINVAL, "name",
                              "the class name begins with its level: "
                              "%dА is of level %d",
                              level, level);
    }
    return 0;
}

int class_create(struct db *db, int64_t org_id, const char *name, int level,
                 int school_year, int64_t teacher_id, int64_t *id,
                 struct ibc_error *err)
{
    if (level < 1 || level > 11) {
        return ibc_fail_field(err, IBC_EINVAL, "level",
                              "the level is a number from 1 to 11");
    }
    int rc = check_name(name, level, err);
    if (rc) {
        return rc;
    }
    if (school_year < 2000 || school_year > 2100) {
        return ibc_fail_field(err, IBC_EINVAL, "school_year",
                              "the school year is the year it starts, like "
                              "2026");
    }
    if (teacher_id < 0) {
        return ibc_fail_field(err, IBC_EINVAL, "teacher_id",
                              "no such teacher in this school");
    }
    bool own = !db_in_tx(db);
    if (own && (rc = db_begin(db, DB_TX_WRITE, err))) {
        return rc;
    }
    if (teacher_id) {
        struct arena *a = arena_new();
        struct person t;
        rc = person_get(db, a, org_id, teacher_id, &t, err);
        if (rc == IBC_ENOTFOUND ||
            (rc == 0 && !(t.roles & (ROLE_TEACHER | ROLE_CLASS_TEACHER)))) {
            rc = ibc_fail_field(err, IBC_EINVAL, "teacher_id",
                                "no such teacher in this school");
        }
        arena_free(a);
        if (rc == 0) {
            rc = person_add_roles(db, org_id, teacher_id, ROLE_CLASS_TEACHER,
                                  err);
        }
        if (rc) {
            goto out;
        }
    }
    struct arena *a = arena_new();
    const char *key = collate_key(a, name);
    char now[32];
    time_now_iso(now);
    int64_t new_id = 0;
    rc = db_query_int64(
        db, &new_id, err,
        "INSERT INTO school_class (org_id, name, level, school_year, "
        "teacher_id, sort_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        DB_I64(org_id), DB_TXT(name), DB_I64(level), DB_I64(school_year),
        teacher_id ? DB_I64(teacher_id) : DB_NUL, DB_TXT(key), DB_TXT(now),
        DB_END);
    arena_free(a);
    if (rc == IBC_ECONFLICT && strstr(db_errmsg(db), "name")) {
        rc = ibc_fail_field(err, rc, "name",
                            "the school has a class %s in %d/%02d already",
                            name, school_year, (school_year + 1) % 100);
    }
    if (rc >= 0) {
        rc = 0;
        if (id) {
            *id = new_id;
        }
    }
out:
    if (own) {
        if (rc) {
            db_rollback(db);
        } else {
            rc = db_commit(db, err);
        }
    }
    return rc;
}

int class_get(struct db *db, struct arena *a, int64_t org_id, int64_t id,
              struct school_class *out, struct ibc_error *err)
{
    struct db_stmt *st;
    int rc =
        db_prepare_args(db, &st, err, CLASS_COLS "WHERE org_id = ? AND id = ?",
                        DB_I64(org_id), DB_I64(id), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        read_class(st, a, out);
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = ibc_fail(err, IBC_ENOTFOUND, "no such class");
    } else {
        rc = ibc_fail(err, rc, "cannot read a class: %s", db_errmsg(db));
    }
    db_finalize(st);
    return rc;
}

int class_list(struct db *db, struct arena *a, int64_t org_id,
               struct school_class **out, size_t *n, struct ibc_error *err)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err,
                             CLASS_COLS "WHERE org_id = ? ORDER BY "
                                        "school_year DESC, level, sort_key, id",
                             DB_I64(org_id), DB_END);
    if (rc) {
        return rc;
    }
    size_t cap = 16, cnt = 0;
    struct school_class *v = arena_alloc(a, cap * sizeof(*v));
    while ((rc = db_step(st)) == DB_ROW) {
        if (cnt == cap) {
            struct school_class *nv = arena_alloc(a, 2 * cap * sizeof(*nv));
            memcpy(nv, v, cnt * sizeof(*v));
            v = nv;
            cap *= 2;
        }
        read_class(st, a, &v[cnt++]);
    }
    db_finalize(st);
    if (rc < 0) {
        return ibc_fail(err, rc, "cannot list classes: %s", db_errmsg(db));
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* The comparable form of a class name: search-folded, without spaces and
 * hyphens («5 а» -> «5а»). Arena. */
static char *name_form(struct arena *a, const char *name)
{
    char *f = collate_fold(a, name);
    char *w = f;
    for (const char *p = f; p && *p; p++) {
        if (*p != ' ' && *p != '-') {
            *w++ = *p;
        }
    }
    if (w) {
        *w = '\0';
    }
    return f;
}

int class_find(struct db *db, struct arena *a, int64_t org_id, const char *name,
               int school_year, struct school_class *out, struct ibc_error *err)
{
    if (str_empty(name) || !utf8_valid(name, strlen(name))) {
        return ibc_fail_field(err, IBC_ENOTFOUND, "class", "no such class");
    }
    struct school_class *v;
    size_t n;
    int rc = class_list(db, a, org_id, &v, &n, err);
    if (rc) {
        return rc;
    }
    const char *want = name_form(a, name);
    /* class_list gives the newest year first. */
    for (size_t i = 0; i < n; i++) {
        if ((school_year == 0 || v[i].school_year == school_year) &&
            strcmp(name_form(a, v[i].name), want) == 0) {
            *out = v[i];
            return 0;
        }
    }
    return ibc_fail_field(err, IBC_ENOTFOUND, "class",
                          "no class %s in this "
                          "school",
                          name);
}
