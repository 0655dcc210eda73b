/* ibc — the SQLite driver of the storage layer (see db_int.h).
 *
 * One sqlite3 handle per struct db, opened in multi-thread mode (a
 * connection is used by one thread at a time). Every connection is set up
 * the same way: extended result codes, a 5 s busy timeout (so a writer
 * waits for another instead of failing with SQLITE_BUSY), WAL journal,
 * foreign_keys=ON, synchronous=FULL (a confirmed loan survives a power
 * cut), and our PRAGMA application_id, which also keeps us from opening
 * some other program's database file. Write transactions start with BEGIN
 * IMMEDIATE: the write lock is taken (or waited for) at the start, so two
 * writers never meet in a lock upgrade that the busy handler cannot
 * resolve. Error messages are sqlite3_errmsg() plus an excerpt of the SQL. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "db/db_int.h"

/* PRAGMA application_id of an ibc database: 'IBC1'. */
#define IBC_SQLITE_APP_ID 0x49424331
/* How long a statement waits for another connection's lock. */
#define BUSY_TIMEOUT_MS 5000

/* A connection: the common part first. */
struct sq_db {
    struct db base;
    sqlite3 *h; /* the SQLite handle (owned) */
};

/* A statement: the common part first. */
struct sq_stmt {
    struct db_stmt base;
    sqlite3_stmt *s; /* NULL for an empty statement (only comments) */
};

static sqlite3 *handle(struct db *db)
{
    return ((struct sq_db *)db)->h;
}

/* Maps an (extended) SQLite result code to a failure kind. */
static enum db_fail fail_kind(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return DB_FAIL_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return DB_FAIL_BUSY;
    case SQLITE_RANGE:
    case SQLITE_MISUSE:
        return DB_FAIL_MISUSE;
    default:
        return DB_FAIL_OTHER;
    }
}

/* Records the handle's current error with an excerpt of sql; returns the
 * mapped enum ibc_err. */
static int sq_fail(struct db *db, int rc, const char *sql)
{
    char ex[200];
    return db_set_error(db, fail_kind(rc), "%s (SQL: %s)",
                        sqlite3_errmsg(handle(db)),
                        db_sql_excerpt(ex, sizeof(ex), sql, 160));
}

/* Runs SQL without parameters or results (one or more statements). */
static int sq_exec(struct db *db, const char *sql)
{
    int rc = sqlite3_exec(handle(db), sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : sq_fail(db, rc, sql);
}

/* Runs a one-row, one-column statement (a PRAGMA) and copies the value as
 * text into out. Returns 0 or negative. */
static int sq_query_text(struct db *db, const char *sql, char *out,
                         size_t outsz)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(handle(db), sql, -1, &s, NULL);
    if (rc != SQLITE_OK) {
        return sq_fail(db, rc, sql);
    }
    out[0] = '\0';
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(out, outsz, "%s", t ? (const char *)t : "");
        rc = SQLITE_DONE;
    }
    int ret = rc == SQLITE_DONE ? 0 : sq_fail(db, rc, sql);
    sqlite3_finalize(s);
    return ret;
}

/* The per-connection set-up described at the top of the file. */
static int sq_setup(struct db *db, const char *path, struct ibc_error *err)
{
    char v[64];
    int rc;
    sqlite3 *h = handle(db);
    sqlite3_extended_result_codes(h, 1);
    sqlite3_busy_timeout(h, BUSY_TIMEOUT_MS);
    if ((rc = sq_exec(db, "PRAGMA foreign_keys=ON")) ||
        (rc = sq_query_text(db, "PRAGMA journal_mode=WAL", v, sizeof(v))) ||
        (rc = sq_exec(db, "PRAGMA synchronous=FULL"))) {
        return ibc_fail(err, rc, "SQLite database %s: %s", path, db->errmsg);
    }
    if (strcmp(v, "wal") != 0 && strcmp(path, ":memory:") != 0) {
        return ibc_fail(err, IBC_EDB,
                        "SQLite database %s: cannot use WAL journal "
                        "(journal_mode is %s)",
                        path, v);
    }
    if ((rc = sq_query_text(db, "PRAGMA application_id", v, sizeof(v)))) {
        return ibc_fail(err, rc, "SQLite database %s: %s", path, db->errmsg);
    }
    long id = strtol(v, NULL, 10);
    if (id == IBC_SQLITE_APP_ID) {
        return 0;
    }
    if (id == 0) {
        /* Ours to claim only while empty: a new file. */
        if ((rc = sq_query_text(db, "SELECT count(*) FROM sqlite_master", v,
                                sizeof(v)))) {
            return ibc_fail(err, rc, "SQLite database %s: %s", path,
                            db->errmsg);
        }
        if (strcmp(v, "0") == 0) {
            char sql[64];
            snprintf(sql, sizeof(sql), "PRAGMA application_id=%d",
                     IBC_SQLITE_APP_ID);
            if ((rc = sq_exec(db, sql))) {
                return ibc_fail(err, rc, "SQLite database %s: %s", path,
                                db->errmsg);
            }
            return 0;
        }
    }
    return ibc_fail(err, IBC_EINVAL,
                    "%s is not an ibc database (SQLite application_id %ld)",
                    path, id);
}

static int sq_open(struct db **out, const char *path, struct ibc_error *err)
{
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(
        path, &h,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ibc_fail(err, IBC_EDB, "cannot open SQLite database %s: %s", path,
                 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return IBC_EDB;
    }
    struct sq_db *d = xcalloc(1, sizeof(*d));
    d->h = h;
    rc = sq_setup(&d->base, path, err);
    if (rc) {
        sqlite3_close(h);
        free(d);
        return rc;
    }
    *out = &d->base;
    return 0;
}

static void sq_close(struct db *db)
{
    /* _v2: statements the caller forgot keep the handle alive, no crash. */
    sqlite3_close_v2(handle(db));
    free(db);
}

static int sq_prepare(struct db *db, struct db_stmt **out, const char *sql)
{
    sqlite3_stmt *s = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(handle(db), sql, -1, &s, &tail);
    if (rc != SQLITE_OK) {
        return sq_fail(db, rc, sql);
    }
    /* Anything but blanks or comments after the statement is refused:
     * SQLite would silently ignore it. */
    tail += strspn(tail, " \t\r\n;");
    if (*tail) {
        sqlite3_stmt *more = NULL;
        rc = sqlite3_prepare_v2(handle(db), tail, -1, &more, NULL);
        sqlite3_finalize(more);
        if (rc != SQLITE_OK || more) {
            char ex[200];
            sqlite3_finalize(s);
            return db_set_error(db, DB_FAIL_MISUSE,
                                "db_prepare takes one statement; use "
                                "db_exec_script (SQL: %s)",
                                db_sql_excerpt(ex, sizeof(ex), sql, 160));
        }
    }
    struct sq_stmt *st = xcalloc(1, sizeof(*st));
    st->s = s;
    *out = &st->base;
    return 0;
}

static sqlite3_stmt *stmt(struct db_stmt *st)
{
    return ((struct sq_stmt *)st)->s;
}

/* Turns a bind result into ours. */
static int bind_result(struct db_stmt *st, int idx, int rc)
{
    if (rc == SQLITE_OK) {
        return 0;
    }
    char ex[200];
    if (rc == SQLITE_RANGE) {
        return db_set_error(
            st->db, DB_FAIL_MISUSE,
            "parameter %d out of range: the statement has "
            "%d (SQL: %s)",
            idx, stmt(st) ? sqlite3_bind_parameter_count(stmt(st)) : 0,
            db_sql_excerpt(ex, sizeof(ex),
                           stmt(st) ? sqlite3_sql(stmt(st)) : "", 160));
    }
    return sq_fail(st->db, rc, stmt(st) ? sqlite3_sql(stmt(st)) : "");
}

static int sq_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
    return bind_result(st, idx,
                       stmt(st) ? sqlite3_bind_int64(stmt(st), idx, v)
                                : SQLITE_RANGE);
}

static int sq_bind_text(struct db_stmt *st, int idx, const char *s)
{
    return bind_result(
        st, idx,
        stmt(st) ? sqlite3_bind_text(stmt(st), idx, s, -1, SQLITE_TRANSIENT)
                 : SQLITE_RANGE);
}

static int sq_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n)
{
    int rc;
    if (!stmt(st)) {
        rc = SQLITE_RANGE;
    } else if (n == 0) {
        rc = sqlite3_bind_zeroblob(stmt(st), idx, 0); /* empty, not NULL */
    } else {
        rc = sqlite3_bind_blob64(stmt(st), idx, p, n, SQLITE_TRANSIENT);
    }
    return bind_result(st, idx, rc);
}

static int sq_bind_null(struct db_stmt *st, int idx)
{
    return bind_result(
        st, idx, stmt(st) ? sqlite3_bind_null(stmt(st), idx) : SQLITE_RANGE);
}

static int sq_step(struct db_stmt *st)
{
    if (!stmt(st)) {
        return DB_DONE;
    }
    int rc = sqlite3_step(stmt(st));
    if (rc == SQLITE_ROW) {
        return DB_ROW;
    }
    if (rc == SQLITE_DONE) {
        return DB_DONE;
    }
    return sq_fail(st->db, rc, sqlite3_sql(stmt(st)));
}

static int sq_reset(struct db_stmt *st)
{
    if (stmt(st)) {
        /* The result repeats the last step's error, already reported. */
        (void)sqlite3_reset(stmt(st));
    }
    return 0;
}

static int sq_col_count(struct db_stmt *st)
{
    return stmt(st) ? sqlite3_column_count(stmt(st)) : 0;
}

static bool sq_col_is_null(struct db_stmt *st, int col)
{
    return sqlite3_column_type(stmt(st), col) == SQLITE_NULL;
}

static int64_t sq_col_int64(struct db_stmt *st, int col)
{
    return sqlite3_column_int64(stmt(st), col);
}

static const char *sq_col_text(struct db_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(stmt(st), col);
}

static const void *sq_col_blob(struct db_stmt *st, int col, size_t *len)
{
    if (sqlite3_column_type(stmt(st), col) == SQLITE_NULL) {
        *len = 0;
        return NULL;
    }
    const void *p = sqlite3_column_blob(stmt(st), col);
    *len = (size_t)sqlite3_column_bytes(stmt(st), col);
    return p ? p : ""; /* an empty blob is not NULL */
}

static void sq_finalize(struct db_stmt *st)
{
    sqlite3_finalize(stmt(st));
    free(st);
}

/* Runs the statements one by one so that a failure names the statement at
 * fault (sqlite3_exec would only give the message). */
static int sq_exec_script(struct db *db, const char *sql)
{
    const char *p = sql;
    while (*p) {
        sqlite3_stmt *s = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v2(handle(db), p, -1, &s, &tail);
        if (rc != SQLITE_OK) {
            return sq_fail(db, rc, p);
        }
        if (!s) { /* only blanks or comments were left */
            break;
        }
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) {
            rc = sq_fail(db, rc, sqlite3_sql(s));
            sqlite3_finalize(s);
            return rc;
        }
        sqlite3_finalize(s);
        p = tail;
    }
    return 0;
}

static int sq_begin(struct db *db, enum db_tx_mode mode)
{
    if (mode == DB_TX_WRITE) {
        return sq_exec(db, "BEGIN IMMEDIATE");
    }
    int rc = sq_exec(db, "BEGIN");
    if (rc == 0 && (rc = sq_exec(db, "PRAGMA query_only=1"))) {
        (void)sq_exec(db, "ROLLBACK");
    }
    return rc;
}

/* Rolls back whatever is open (SQLite may have done it already after some
 * errors) and lifts a READ transaction's query_only. */
static int sq_rollback(struct db *db)
{
    int rc = 0;
    if (!sqlite3_get_autocommit(handle(db))) {
        rc = sq_exec(db, "ROLLBACK");
    }
    int rc2 = sq_exec(db, "PRAGMA query_only=0");
    return rc ? rc : rc2;
}

static int sq_commit(struct db *db)
{
    int rc = sq_exec(db, "COMMIT");
    if (rc) {
        char msg[sizeof(db->errmsg)];
        memcpy(msg, db->errmsg, sizeof(msg));
        (void)sq_rollback(db);
        memcpy(db->errmsg, msg, sizeof(msg)); /* keep the first error */
        return rc;
    }
    return db->tx_mode == DB_TX_READ ? sq_exec(db, "PRAGMA query_only=0") : 0;
}

static int64_t sq_changes(struct db *db)
{
    return sqlite3_changes64(handle(db));
}

const struct db_driver db_sqlite_driver = {
    .name = "sqlite",
    .backend = DB_SQLITE,
    .open = sq_open,
    .close = sq_close,
    .prepare = sq_prepare,
    .bind_int64 = sq_bind_int64,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .reset = sq_reset,
    .col_count = sq_col_count,
    .col_is_null = sq_col_is_null,
    .col_int64 = sq_col_int64,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .finalize = sq_finalize,
    .exec_script = sq_exec_script,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .changes = sq_changes,
};
