/* ibc — the backend-neutral half of the storage API (see db.h, db_int.h).
 *
 * This file picks the driver from the URL, forwards each call through the
 * driver table, and owns what must behave the same on both backends: the
 * one-shot helpers with typed argument lists, transaction bookkeeping
 * (nested begin is a bug), "DB_DONE stays DB_DONE until reset", and the
 * mapping of driver failure kinds to enum ibc_err (a constraint violation
 * is IBC_ECONFLICT). It also has the `?` -> `$n` rewriter the PG driver
 * uses, kept here so it can be unit-tested without a server. */
#include "db/db.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "db/db_int.h"

/* How much of an SQL text goes into an error message. */
#define SQL_EXCERPT 160

int db_set_error(struct db *db, enum db_fail kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, ap);
    va_end(ap);
    switch (kind) {
    case DB_FAIL_CONSTRAINT:
        return IBC_ECONFLICT;
    case DB_FAIL_BUSY:
        return IBC_EUNAVAIL;
    case DB_FAIL_MISUSE:
        return IBC_EINTERNAL;
    case DB_FAIL_OTHER:
        break;
    }
    return IBC_EDB;
}

char *db_sql_excerpt(char *out, size_t outsz, const char *sql, size_t max)
{
    size_t o = 0;
    bool space = false, cut = false;
    if (outsz == 0) {
        return out;
    }
    if (max > outsz - 4) { /* room for "…" (3 bytes) and the NUL */
        max = outsz > 4 ? outsz - 4 : 0;
    }
    for (const char *p = sql ? sql : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = o > 0;
            continue;
        }
        /* Room for a pending space and this byte? Cut at a lead byte. */
        if (o + (space ? 1 : 0) + 1 > max) {
            cut = true;
            break;
        }
        if (space) {
            out[o++] = ' ';
            space = false;
        }
        out[o++] = (char)c;
    }
    if (cut) {
        while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80) {
            o--; /* drop a partial UTF-8 sequence */
        }
        if (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0) {
            o--;
        }
        memcpy(out + o, "\xE2\x80\xA6", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

int db_url_parse(const char *url, enum db_backend *backend, const char **target,
                 struct ibc_error *err)
{
    if (str_empty(url)) {
        return ibc_fail(err, IBC_EINVAL, "empty database URL");
    }
    if (str_starts(url, "postgresql://") || str_starts(url, "postgres://")) {
        *backend = DB_PG;
        *target = url;
        return 0;
    }
    const char *path = url;
    if (str_starts(url, "sqlite:")) {
        path = url + strlen("sqlite:");
        if (str_starts(path, "//")) {
            path += 2; /* sqlite:///abs/path -> /abs/path */
        }
    } else if (strstr(url, "://")) {
        return ibc_fail(err, IBC_EINVAL,
                        "unsupported database URL \"%.100s\" (use sqlite:PATH "
                        "or postgresql://…)",
                        url);
    }
    if (!*path) {
        return ibc_fail(err, IBC_EINVAL, "database URL \"%s\" has no path",
                        url);
    }
    *backend = DB_SQLITE;
    *target = path;
    return 0;
}

/* Copies the connection's last message into err; returns rc. */
static int fail_db(struct db *db, struct ibc_error *err, int rc)
{
    return ibc_fail(err, rc, "%s", db->errmsg);
}

/* A statement failed (rc < 0): inside a transaction, that dooms it. */
static int note_failure(struct db *db, int rc)
{
    if (rc < 0 && db->in_tx) {
        db->tx_failed = true;
    }
    return rc;
}

int db_open(struct db **out, const char *url, struct ibc_error *err)
{
    enum db_backend be;
    const char *target;
    *out = NULL;
    int rc = db_url_parse(url, &be, &target, err);
    if (rc) {
        return rc;
    }
    const struct db_driver *drv =
        be == DB_PG ? &db_pg_driver : &db_sqlite_driver;
    rc = drv->open(out, target, err);
    if (rc) {
        *out = NULL;
        return rc;
    }
    (*out)->drv = drv;
    (*out)->in_tx = false;
    (*out)->errmsg[0] = '\0';
    return 0;
}

void db_close(struct db *db)
{
    if (!db) {
        return;
    }
    if (db->in_tx) {
        (void)db->drv->rollback(db);
        db->in_tx = false;
    }
    db->drv->close(db);
}

enum db_backend db_backend(const struct db *db)
{
    return db->drv->backend;
}

const char *db_backend_name(const struct db *db)
{
    return db->drv->name;
}

const char *db_errmsg(const struct db *db)
{
    return db->errmsg;
}

int64_t db_changes(struct db *db)
{
    return db->drv->changes(db);
}

int db_prepare(struct db *db, struct db_stmt **out, const char *sql,
               struct ibc_error *err)
{
    *out = NULL;
    int rc = db->drv->prepare(db, out, sql);
    if (rc) {
        *out = NULL;
        return fail_db(db, err, note_failure(db, rc));
    }
    (*out)->db = db;
    (*out)->done = false;
    return 0;
}

int db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
    return st->db->drv->bind_int64(st, idx, v);
}

int db_bind_text(struct db_stmt *st, int idx, const char *s)
{
    if (!s) {
        return st->db->drv->bind_null(st, idx);
    }
    return st->db->drv->bind_text(st, idx, s);
}

int db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n)
{
    if (!p) {
        return st->db->drv->bind_null(st, idx);
    }
    return st->db->drv->bind_blob(st, idx, p, n);
}

int db_bind_null(struct db_stmt *st, int idx)
{
    return st->db->drv->bind_null(st, idx);
}

int db_step(struct db_stmt *st)
{
    if (st->done) {
        return DB_DONE;
    }
    int rc = st->db->drv->step(st);
    if (rc == DB_DONE) {
        st->done = true;
    }
    return note_failure(st->db, rc);
}

int db_reset(struct db_stmt *st)
{
    st->done = false;
    return st->db->drv->reset(st);
}

int db_col_count(struct db_stmt *st)
{
    return st->db->drv->col_count(st);
}

bool db_col_is_null(struct db_stmt *st, int col)
{
    return st->db->drv->col_is_null(st, col);
}

int64_t db_col_int64(struct db_stmt *st, int col)
{
    return st->db->drv->col_int64(st, col);
}

const char *db_col_text(struct db_stmt *st, int col)
{
    return st->db->drv->col_text(st, col);
}

const void *db_col_blob(struct db_stmt *st, int col, size_t *len)
{
    size_t dummy;
    return st->db->drv->col_blob(st, col, len ? len : &dummy);
}

void db_finalize(struct db_stmt *st)
{
    if (st) {
        st->db->drv->finalize(st);
    }
}

int db_exec_script(struct db *db, const char *sql, struct ibc_error *err)
{
    int rc = db->drv->exec_script(db, sql);
    return rc ? fail_db(db, err, note_failure(db, rc)) : 0;
}

int db_vprepare_args(struct db *db, struct db_stmt **out, struct ibc_error *err,
                     const char *sql, va_list ap)
{
    struct db_stmt *st;
    int rc = db_prepare(db, &st, sql, err);
    if (rc) {
        *out = NULL;
        return rc;
    }
    for (int idx = 1;; idx++) {
        struct db_arg a = va_arg(ap, struct db_arg);
        if (a.type == DB_ARG_END) {
            break;
        }
        switch (a.type) {
        case DB_ARG_I64:
            rc = db_bind_int64(st, idx, a.i);
            break;
        case DB_ARG_TXT:
            rc = db_bind_text(st, idx, a.s);
            break;
        case DB_ARG_NULL:
            rc = db_bind_null(st, idx);
            break;
        default:
            rc = db_set_error(db, DB_FAIL_MISUSE,
                              "argument %d has no DB_I64/DB_TXT/DB_NUL type "
                              "(missing DB_END?)",
                              idx);
            break;
        }
        if (rc) {
            db_finalize(st);
            *out = NULL;
            return fail_db(db, err, rc);
        }
    }
    *out = st;
    return 0;
}

int db_prepare_args(struct db *db, struct db_stmt **out, struct ibc_error *err,
                    const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    int rc = db_vprepare_args(db, out, err, sql, ap);
    va_end(ap);
    return rc;
}

int db_query_row(struct db *db, struct db_stmt **out, struct ibc_error *err,
                 const char *sql, ...)
{
    struct db_stmt *st = NULL;
    *out = NULL;
    va_list ap;
    va_start(ap, sql);
    int rc = db_vprepare_args(db, &st, err, sql, ap);
    va_end(ap);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        *out = st;
        return DB_ROW;
    }
    if (rc < 0) {
        ibc_fail(err, rc, "%s", db_errmsg(db));
    }
    db_finalize(st);
    return rc;
}

int db_run(struct db *db, struct ibc_error *err, const char *sql, ...)
{
    struct db_stmt *st;
    va_list ap;
    va_start(ap, sql);
    int rc = db_vprepare_args(db, &st, err, sql, ap);
    va_end(ap);
    if (rc) {
        return rc;
    }
    while ((rc = db_step(st)) == DB_ROW) {
    }
    if (rc < 0) {
        fail_db(db, err, rc);
    }
    db_finalize(st);
    return rc < 0 ? rc : 0;
}

int db_query_int64(struct db *db, int64_t *out, struct ibc_error *err,
                   const char *sql, ...)
{
    struct db_stmt *st;
    va_list ap;
    va_start(ap, sql);
    int rc = db_vprepare_args(db, &st, err, sql, ap);
    va_end(ap);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        *out = db_col_int64(st, 0);
    } else if (rc < 0) {
        fail_db(db, err, rc);
    }
    db_finalize(st);
    return rc;
}

int db_begin(struct db *db, enum db_tx_mode mode, struct ibc_error *err)
{
    if (db->in_tx) {
        return fail_db(db, err,
                       db_set_error(db, DB_FAIL_MISUSE,
                                    "db_begin: a transaction is already "
                                    "open (nesting is not supported)"));
    }
    int rc = db->drv->begin(db, mode);
    if (rc) {
        return fail_db(db, err, rc);
    }
    db->in_tx = true;
    db->tx_failed = false;
    db->tx_mode = mode;
    return 0;
}

int db_commit(struct db *db, struct ibc_error *err)
{
    if (!db->in_tx) {
        return fail_db(db, err,
                       db_set_error(db, DB_FAIL_MISUSE,
                                    "db_commit: no transaction is open"));
    }
    db->in_tx = false; /* the driver closes it either way */
    if (db->tx_failed) {
        /* PostgreSQL would roll back anyway; SQLite does the same. */
        char prev[sizeof(db->errmsg)];
        memcpy(prev, db->errmsg, sizeof(prev));
        (void)db->drv->rollback(db);
        return fail_db(db, err,
                       db_set_error(db, DB_FAIL_OTHER,
                                    "transaction rolled back: a statement "
                                    "in it failed (%.900s)",
                                    prev));
    }
    int rc = db->drv->commit(db);
    return rc ? fail_db(db, err, rc) : 0;
}

int db_rollback(struct db *db)
{
    if (!db->in_tx) {
        return 0;
    }
    db->in_tx = false;
    return db->drv->rollback(db);
}

bool db_in_tx(const struct db *db)
{
    return db->in_tx;
}

/* ---- `?` -> `$n` (PostgreSQL) ---- */

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '$' ||
           (unsigned char)c >= 0x80;
}

/* If p starts a dollar-quote opener ($$ or $tag$), returns its length. */
static size_t dollar_tag(const char *p)
{
    size_t n = 1;
    if (p[n] >= '0' && p[n] <= '9') {
        return 0; /* $1: a positional parameter, not a quote */
    }
    while (p[n] && p[n] != '$') {
        if (!ident_char(p[n])) {
            return 0;
        }
        n++;
    }
    return p[n] == '$' ? n + 1 : 0;
}

int db_pg_rewrite(const char *sql, struct buf *out, int *nparams,
                  struct ibc_error *err)
{
    int n = 0;
    bool semi = false; /* a top-level ';' was seen */
    const char *p = sql;
    while (*p) {
        const char *start = p;
        char c = *p;
        if (semi && !strchr(" \t\r\n;", c) && !(c == '-' && p[1] == '-') &&
            !(c == '/' && p[1] == '*')) {
            return ibc_fail(err, IBC_EINTERNAL,
                            "more than one statement (use db_exec_script)");
        }
        if (c == ';') {
            semi = true;
            p++;
        } else if (c == '\'') {
            /* E'…' allows backslash escapes; plain '…' only ''. */
            bool esc = p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
                       (p - 1 == sql || !ident_char(p[-2]));
            p++;
            for (;;) {
                if (!*p) {
                    return ibc_fail(err, IBC_EINVAL,
                                    "unterminated string literal in SQL");
                }
                if (esc && *p == '\\' && p[1]) {
                    p += 2;
                } else if (*p == '\'' && p[1] == '\'') {
                    p += 2;
                } else if (*p == '\'') {
                    p++;
                    break;
                } else {
                    p++;
                }
            }
        } else if (c == '"') {
            p++;
            for (;;) {
                if (!*p) {
                    return ibc_fail(err, IBC_EINVAL,
                                    "unterminated quoted identifier in SQL");
                }
                if (*p == '"' && p[1] == '"') {
                    p += 2;
                } else if (*p++ == '"') {
                    break;
                }
            }
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n') {
                p++;
            }
        } else if (c == '/' && p[1] == '*') {
            int depth = 1; /* PostgreSQL block comments nest */
            p += 2;
            while (depth > 0) {
                if (!*p) {
                    return ibc_fail(err, IBC_EINVAL,
                                    "unterminated comment in SQL");
                }
                if (*p == '/' && p[1] == '*') {
                    depth++;
                    p += 2;
                } else if (*p == '*' && p[1] == '/') {
                    depth--;
                    p += 2;
                } else {
                    p++;
                }
            }
        } else if (c == '$' && (p == sql || !ident_char(p[-1])) &&
                   dollar_tag(p) > 0) {
            size_t tl = dollar_tag(p);
            const char *close = NULL;
            for (const char *q = p + tl; (q = strchr(q, '$')); q++) {
                if (strncmp(q, p, tl) == 0) {
                    close = q;
                    break;
                }
            }
            if (!close) {
                return ibc_fail(err, IBC_EINVAL,
                                "unterminated dollar-quoted string in SQL");
            }
            p = close + tl;
        } else if (c == '?') {
            n++;
            buf_printf(out, "$%d", n);
            p++;
            continue;
        } else {
            p++;
            /* Copy a run of ordinary characters at once (one at a time
             * after a ';', so that the check above sees each). */
            while (!semi && *p && !strchr("'\"-/$?;", *p)) {
                p++;
            }
        }
        buf_append(out, start, (size_t)(p - start));
    }
    *nparams = n;
    return 0;
}
