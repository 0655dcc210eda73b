/* ibc — the PostgreSQL driver of the storage layer (libpq; see db_int.h).
 *
 * One PGconn per struct db. Our SQL is written with `?` placeholders;
 * db_prepare rewrites them to $1..$n (db_pg_rewrite in db.c) and keeps the
 * parameters on the client. The first db_step sends the statement with
 * PQexecParams (text parameters, blobs as binary bytea, text results) and
 * receives the whole result; later steps walk its rows. That costs one
 * round trip per execution and allows a statement to be run while another
 * one's rows are being read, which store code does. Integers come back as
 * text and are parsed; bytea comes back in hex form and is unescaped.
 *
 * Errors carry the server's message, detail and SQLSTATE and an excerpt of
 * the SQL; class 23 (integrity constraint) becomes IBC_ECONFLICT, class 40
 * (serialization failure, deadlock) and lock timeouts IBC_EUNAVAIL.
 * Sessions are set to client_encoding UTF8 and time zone UTC. When the
 * server went away, the next use outside a transaction reconnects once. */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "db/db_int.h"

/* Type OIDs from the server's catalog (pg_type.dat); stable forever. */
#define PG_OID_BOOL 16
#define PG_OID_BYTEA 17

/* A connection: the common part first. */
struct pg_db {
    struct db base;
    PGconn *conn;    /* owned */
    int64_t changes; /* rows changed by the last INSERT/UPDATE/DELETE */
};

/* A bytea value unescaped for db_col_blob. */
struct pg_blob {
    unsigned char *p; /* from PQunescapeBytea (PQfreemem), NULL if not yet */
    size_t n;         /* bytes */
};

/* A statement: the common part first. */
struct pg_stmt {
    struct db_stmt base;
    char *orig;    /* the SQL as given, for messages (heap) */
    char *sql;     /* rewritten with $n (heap) */
    int nparams;   /* number of placeholders */
    char **values; /* bound values (heap each; NULL = SQL NULL) */
    int *lengths;  /* byte lengths (binary parameters only) */
    int *formats;  /* 0 text, 1 binary */
    Oid *types;    /* 0 = let the server infer, PG_OID_BYTEA for blobs */
    PGresult *res; /* the result being walked; NULL before/after */
    int row;       /* current row in res */
    struct pg_blob *blobs; /* unescaped bytea of the current row, one per
                              column; NULL until db_col_blob is used */
    int nblobs;            /* entries in blobs */
};

static PGconn *conn_of(struct db *db)
{
    return ((struct pg_db *)db)->conn;
}

static struct pg_stmt *pst(struct db_stmt *st)
{
    return (struct pg_stmt *)st;
}

/* Copies s without its trailing newlines into out. */
static const char *chomp(char *out, size_t n, const char *s)
{
    snprintf(out, n, "%s", s ? s : "");
    size_t len = strlen(out);
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' ')) {
        out[--len] = '\0';
    }
    return out;
}

/* Failure kind from a SQLSTATE. */
static enum db_fail fail_kind(const char *state)
{
    if (!state) {
        return DB_FAIL_OTHER;
    }
    if (strncmp(state, "23", 2) == 0) {
        return DB_FAIL_CONSTRAINT;
    }
    if (strncmp(state, "40", 2) == 0 || strcmp(state, "55P03") == 0 ||
        strcmp(state, "57014") == 0) {
        return DB_FAIL_BUSY;
    }
    return DB_FAIL_OTHER;
}

/* Records the failure in res (or the connection's, when res is NULL) with
 * an excerpt of sql; returns the mapped enum ibc_err. */
static int pg_fail(struct db *db, const PGresult *res, const char *sql)
{
    char ex[200], msg[600];
    db_sql_excerpt(ex, sizeof(ex), sql, 160);
    if (!res || !PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) {
        chomp(msg, sizeof(msg),
              res ? PQresultErrorMessage(res) : PQerrorMessage(conn_of(db)));
        if (!msg[0]) {
            snprintf(msg, sizeof(msg), "unexpected result %s",
                     res ? PQresStatus(PQresultStatus(res)) : "(none)");
        }
        return db_set_error(db, DB_FAIL_OTHER, "%s (SQL: %s)", msg, ex);
    }
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    return db_set_error(db, fail_kind(state), "%s%s%s [%s] (SQL: %s)",
                        PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
                        detail ? ": " : "", detail ? detail : "",
                        state ? state : "?", ex);
}

/* Runs SQL without parameters (one or more statements); 0 or negative. */
static int pg_exec(struct db *db, const char *sql)
{
    PGresult *res = PQexec(conn_of(db), sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = 0;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK &&
        s != PGRES_EMPTY_QUERY) {
        rc = pg_fail(db, res, sql);
    }
    PQclear(res);
    return rc;
}

/* Notices (e.g. "table already exists, skipping") go to the debug log
 * instead of libpq's default, stderr. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    char m[512];
    log_debug("postgresql: %s", chomp(m, sizeof(m), message));
}

/* The session set-up, also after a reconnect. */
static int pg_setup(struct db *db)
{
    PGconn *c = conn_of(db);
    PQsetNoticeProcessor(c, on_notice, NULL);
    if (PQserverVersion(c) < 100000) {
        return db_set_error(db, DB_FAIL_OTHER,
                            "PostgreSQL %d is too old: ibc needs 10 or later",
                            PQserverVersion(c));
    }
    if (PQsetClientEncoding(c, "UTF8") != 0) {
        char m[400];
        return db_set_error(db, DB_FAIL_OTHER,
                            "cannot set client_encoding UTF8: %s",
                            chomp(m, sizeof(m), PQerrorMessage(c)));
    }
    return pg_exec(db, "SET TIME ZONE 'UTC'");
}

/* Before talking to the server: if the connection was lost and no
 * transaction is open (which the loss ended anyway), connect again. */
static void pg_revive(struct db *db)
{
    PGconn *c = conn_of(db);
    if (PQstatus(c) != CONNECTION_BAD || db->in_tx) {
        return;
    }
    PQreset(c);
    if (PQstatus(c) == CONNECTION_OK) {
        if (pg_setup(db) == 0) {
            log_warn("postgresql: reconnected to the server");
        }
    }
}

static int pg_open(struct db **out, const char *url, struct ibc_error *err)
{
    /* Later keywords override earlier ones, so the URL (expanded from
     * dbname) can still set its own connect_timeout. */
    const char *const keys[] = {"connect_timeout", "fallback_application_name",
                                "dbname", NULL};
    const char *const vals[] = {"10", "ibc", url, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        char m[400];
        /* The message names host and port, never the password. */
        ibc_fail(err, IBC_EDB, "cannot connect to PostgreSQL: %s",
                 chomp(m, sizeof(m), PQerrorMessage(c)));
        PQfinish(c);
        return IBC_EDB;
    }
    struct pg_db *d = xcalloc(1, sizeof(*d));
    d->conn = c;
    int rc = pg_setup(&d->base);
    if (rc) {
        ibc_fail(err, rc, "PostgreSQL: %s", d->base.errmsg);
        PQfinish(c);
        free(d);
        return rc;
    }
    *out = &d->base;
    return 0;
}

static void pg_close(struct db *db)
{
    PQfinish(conn_of(db));
    free(db);
}

static int pg_prepare(struct db *db, struct db_stmt **out, const char *sql)
{
    struct buf b = BUF_INIT;
    struct ibc_error e = IBC_ERROR_INIT;
    int n = 0;
    int rc = db_pg_rewrite(sql, &b, &n, &e);
    if (rc) {
        char ex[200];
        buf_reset(&b);
        return db_set_error(
            db, rc == IBC_EINTERNAL ? DB_FAIL_MISUSE : DB_FAIL_OTHER,
            "%s (SQL: %s)", e.msg, db_sql_excerpt(ex, sizeof(ex), sql, 160));
    }
    struct pg_stmt *st = xcalloc(1, sizeof(*st));
    st->orig = xstrdup(sql);
    st->sql = xstrdup(buf_cstr(&b));
    buf_reset(&b);
    st->nparams = n;
    if (n > 0) {
        st->values = xcalloc((size_t)n, sizeof(*st->values));
        st->lengths = xcalloc((size_t)n, sizeof(*st->lengths));
        st->formats = xcalloc((size_t)n, sizeof(*st->formats));
        st->types = xcalloc((size_t)n, sizeof(*st->types));
    }
    *out = &st->base;
    return 0;
}

/* Checks idx and frees the old value; returns 0 or IBC_EINTERNAL. */
static int bind_slot(struct db_stmt *st, int idx)
{
    struct pg_stmt *p = pst(st);
    if (idx < 1 || idx > p->nparams) {
        char ex[200];
        return db_set_error(st->db, DB_FAIL_MISUSE,
                            "parameter %d out of range: the statement has %d "
                            "(SQL: %s)",
                            idx, p->nparams,
                            db_sql_excerpt(ex, sizeof(ex), p->orig, 160));
    }
    free(p->values[idx - 1]);
    p->values[idx - 1] = NULL;
    p->lengths[idx - 1] = 0;
    p->formats[idx - 1] = 0;
    p->types[idx - 1] = 0;
    return 0;
}

static int pg_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
    int rc = bind_slot(st, idx);
    if (rc == 0) {
        char num[24];
        snprintf(num, sizeof(num), "%" PRId64, v);
        pst(st)->values[idx - 1] = xstrdup(num);
    }
    return rc;
}

static int pg_bind_text(struct db_stmt *st, int idx, const char *s)
{
    int rc = bind_slot(st, idx);
    if (rc == 0) {
        pst(st)->values[idx - 1] = xstrdup(s);
    }
    return rc;
}

static int pg_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n)
{
    struct pg_stmt *s = pst(st);
    if (n > 0x7fffffff) {
        return db_set_error(st->db, DB_FAIL_MISUSE,
                            "blob parameter %d is too big (%zu bytes)", idx, n);
    }
    int rc = bind_slot(st, idx);
    if (rc == 0) {
        /* Binary format: the bytes as they are, no escaping. */
        s->values[idx - 1] = xmalloc(n ? n : 1);
        memcpy(s->values[idx - 1], p, n);
        s->lengths[idx - 1] = (int)n;
        s->formats[idx - 1] = 1;
        s->types[idx - 1] = PG_OID_BYTEA;
    }
    return rc;
}

static int pg_bind_null(struct db_stmt *st, int idx)
{
    return bind_slot(st, idx);
}

/* Frees the unescaped blobs of the current row. */
static void free_blobs(struct pg_stmt *p)
{
    for (int i = 0; i < p->nblobs; i++) {
        if (p->blobs[i].p) {
            PQfreemem(p->blobs[i].p);
            p->blobs[i].p = NULL;
        }
    }
}

/* Forgets the result (after the last row, on reset and finalize). */
static void drop_result(struct pg_stmt *p)
{
    free_blobs(p);
    free(p->blobs);
    p->blobs = NULL;
    p->nblobs = 0;
    PQclear(p->res);
    p->res = NULL;
}

/* Notes the row count of INSERT/UPDATE/DELETE/MERGE for db_changes(). */
static void note_changes(struct db *db, PGresult *res)
{
    const char *tag = PQcmdStatus(res);
    if (strncmp(tag, "INSERT", 6) == 0 || strncmp(tag, "UPDATE", 6) == 0 ||
        strncmp(tag, "DELETE", 6) == 0 || strncmp(tag, "MERGE", 5) == 0) {
        ((struct pg_db *)db)->changes = strtoll(PQcmdTuples(res), NULL, 10);
    }
}

static int pg_step(struct db_stmt *st)
{
    struct pg_stmt *p = pst(st);
    struct db *db = st->db;
    if (!p->res) {
        pg_revive(db);
        PGresult *res = PQexecParams(conn_of(db), p->sql, p->nparams, p->types,
                                     (const char *const *)p->values, p->lengths,
                                     p->formats, 0);
        switch (PQresultStatus(res)) {
        case PGRES_TUPLES_OK:
            note_changes(db, res);
            p->res = res;
            p->row = -1;
            break;
        case PGRES_COMMAND_OK:
            note_changes(db, res);
            PQclear(res);
            return DB_DONE;
        case PGRES_EMPTY_QUERY:
            PQclear(res);
            return DB_DONE;
        default: {
            int rc = pg_fail(db, res, p->orig);
            PQclear(res);
            return rc;
        }
        }
    }
    free_blobs(p);
    if (++p->row < PQntuples(p->res)) {
        return DB_ROW;
    }
    drop_result(p);
    return DB_DONE;
}

static int pg_reset(struct db_stmt *st)
{
    drop_result(pst(st));
    return 0;
}

static int pg_col_count(struct db_stmt *st)
{
    return pst(st)->res ? PQnfields(pst(st)->res) : 0;
}

/* True if (row, col) names a value of the current row. */
static bool have(struct pg_stmt *p, int col)
{
    return p->res && p->row >= 0 && p->row < PQntuples(p->res) && col >= 0 &&
           col < PQnfields(p->res);
}

static bool pg_col_is_null(struct db_stmt *st, int col)
{
    struct pg_stmt *p = pst(st);
    return !have(p, col) || PQgetisnull(p->res, p->row, col);
}

/* Integers arrive as text; booleans as t/f; numeric/real are truncated
 * like SQLite does. NULL and junk give 0; out of range saturates. */
static int64_t pg_col_int64(struct db_stmt *st, int col)
{
    struct pg_stmt *p = pst(st);
    if (pg_col_is_null(st, col)) {
        return 0;
    }
    const char *v = PQgetvalue(p->res, p->row, col);
    if (PQftype(p->res, col) == PG_OID_BOOL) {
        return v[0] == 't';
    }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E') {
        double d = strtod(v, NULL);
        if (!(d == d)) {
            return 0;
        }
        if (d >= 9223372036854775807.0) {
            return INT64_MAX;
        }
        if (d <= -9223372036854775808.0) {
            return INT64_MIN;
        }
        return (int64_t)d;
    }
    return (int64_t)x;
}

static const char *pg_col_text(struct db_stmt *st, int col)
{
    struct pg_stmt *p = pst(st);
    if (pg_col_is_null(st, col)) {
        return NULL;
    }
    return PQgetvalue(p->res, p->row, col);
}

static const void *pg_col_blob(struct db_stmt *st, int col, size_t *len)
{
    struct pg_stmt *p = pst(st);
    *len = 0;
    if (pg_col_is_null(st, col)) {
        return NULL;
    }
    const char *v = PQgetvalue(p->res, p->row, col);
    if (PQftype(p->res, col) != PG_OID_BYTEA) {
        *len = (size_t)PQgetlength(p->res, p->row, col);
        return v; /* not bytea: the text bytes */
    }
    if (!p->blobs) {
        p->nblobs = PQnfields(p->res);
        p->blobs = xcalloc((size_t)p->nblobs, sizeof(*p->blobs));
    }
    struct pg_blob *b = &p->blobs[col];
    if (!b->p) {
        b->p = PQunescapeBytea((const unsigned char *)v, &b->n);
        if (!b->p) {
            return NULL; /* out of memory inside libpq */
        }
    }
    *len = b->n;
    return b->n ? (const void *)b->p : "";
}

static void pg_finalize(struct db_stmt *st)
{
    struct pg_stmt *p = pst(st);
    drop_result(p);
    for (int i = 0; i < p->nparams; i++) {
        free(p->values[i]);
    }
    free(p->values);
    free(p->lengths);
    free(p->formats);
    free(p->types);
    free(p->sql);
    free(p->orig);
    free(p);
}

static int pg_exec_script(struct db *db, const char *sql)
{
    pg_revive(db);
    return pg_exec(db, sql);
}

static int pg_begin(struct db *db, enum db_tx_mode mode)
{
    pg_revive(db);
    return pg_exec(db,
                   mode == DB_TX_WRITE
                       ? "BEGIN"
                       : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

static int pg_rollback(struct db *db)
{
    if (PQtransactionStatus(conn_of(db)) == PQTRANS_IDLE) {
        return 0;
    }
    return pg_exec(db, "ROLLBACK");
}

static int pg_commit(struct db *db)
{
    PGresult *res = PQexec(conn_of(db), "COMMIT");
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = pg_fail(db, res, "COMMIT");
    } else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
        /* A statement inside failed; PG rolled everything back. */
        char prev[sizeof(db->errmsg)];
        memcpy(prev, db->errmsg, sizeof(prev));
        rc = db_set_error(db, DB_FAIL_OTHER,
                          "transaction rolled back after an earlier error "
                          "(last: %.900s)",
                          prev[0] ? prev : "none");
    }
    PQclear(res);
    if (rc) {
        char msg[sizeof(db->errmsg)];
        memcpy(msg, db->errmsg, sizeof(msg));
        (void)pg_rollback(db);
        memcpy(db->errmsg, msg, sizeof(msg));
    }
    return rc;
}

static int64_t pg_changes(struct db *db)
{
    return ((struct pg_db *)db)->changes;
}

const struct db_driver db_pg_driver = {
    .name = "postgresql",
    .backend = DB_PG,
    .open = pg_open,
    .close = pg_close,
    .prepare = pg_prepare,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .reset = pg_reset,
    .col_count = pg_col_count,
    .col_is_null = pg_col_is_null,
    .col_int64 = pg_col_int64,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .finalize = pg_finalize,
    .exec_script = pg_exec_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .changes = pg_changes,
};
