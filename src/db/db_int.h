/* ibc — the storage layer's inside: the driver table and the common parts
 * of a connection and a statement.
 *
 * db.c holds everything that does not depend on the backend (URL parsing,
 * the one-shot helpers, transaction bookkeeping, the mapping of driver
 * failures to enum ibc_err) and calls a driver through struct db_driver —
 * the plug-in idea of SQLite's VFS or YAZ's backend table. A driver
 * (db_sqlite.c, db_pg.c) embeds struct db / struct db_stmt as the FIRST
 * member of its own structs and casts back. Only db.c, the drivers and the
 * storage tests include this file. */
#ifndef IBC_DB_DB_INT_H
#define IBC_DB_DB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "db/db.h"

/* How a driver classifies a failure; db_set_error() maps it to ibc_err. */
enum db_fail {
    DB_FAIL_OTHER,      /* anything else: IBC_EDB */
    DB_FAIL_CONSTRAINT, /* UNIQUE/FK/CHECK/NOT NULL (SQLite CONSTRAINT, PG
                           SQLSTATE class 23): IBC_ECONFLICT */
    DB_FAIL_BUSY,       /* lock wait gave up, PG serialization failure or
                           deadlock (class 40, 55P03): IBC_EUNAVAIL */
    DB_FAIL_MISUSE      /* a bug in the caller (bad parameter index, use
                           out of order): IBC_EINTERNAL */
};

/* One connection; the common part of the drivers' connection structs. */
struct db {
    const struct db_driver *drv; /* the backend's function table */
    bool in_tx;                  /* db_begin() succeeded, not yet ended */
    enum db_tx_mode tx_mode;     /* mode of the open transaction */
    bool tx_failed;              /* a statement failed inside it: commit
                                    refuses (PostgreSQL has aborted it;
                                    SQLite is made to behave the same) */
    char errmsg[1024];           /* last failure message ("" if none) */
};

/* One prepared statement; the common part of the drivers' statements. */
struct db_stmt {
    struct db *db; /* owning connection */
    bool done;     /* stepped to DB_DONE: db_step returns DB_DONE again
                      until db_reset (the same on both backends) */
};

/* The driver function table. Every function that fails records a message
 * with db_set_error() and returns its result (a negative enum ibc_err). */
struct db_driver {
    const char *name; /* "sqlite" / "postgresql" */
    enum db_backend backend;
    /* target: the file path (SQLite) or the whole URL (PG). */
    int (*open)(struct db **out, const char *target, struct ibc_error *err);
    void (*close)(struct db *db);
    int (*prepare)(struct db *db, struct db_stmt **out, const char *sql);
    int (*bind_int64)(struct db_stmt *st, int idx, int64_t v);
    int (*bind_text)(struct db_stmt *st, int idx, const char *s);
    int (*bind_blob)(struct db_stmt *st, int idx, const void *p, size_t n);
    int (*bind_null)(struct db_stmt *st, int idx);
    int (*step)(struct db_stmt *st); /* DB_ROW / DB_DONE / negative */
    int (*reset)(struct db_stmt *st);
    int (*col_count)(struct db_stmt *st);
    bool (*col_is_null)(struct db_stmt *st, int col);
    int64_t (*col_int64)(struct db_stmt *st, int col);
    const char *(*col_text)(struct db_stmt *st, int col);
    const void *(*col_blob)(struct db_stmt *st, int col, size_t *len);
    void (*finalize)(struct db_stmt *st);
    int (*exec_script)(struct db *db, const char *sql);
    /* Transaction statements; db.c does the bookkeeping (in_tx). commit
     * leaves no transaction open, whether it succeeds or not. */
    int (*begin)(struct db *db, enum db_tx_mode mode);
    int (*commit)(struct db *db);
    int (*rollback)(struct db *db);
    int64_t (*changes)(struct db *db);
};

extern const struct db_driver db_sqlite_driver;
extern const struct db_driver db_pg_driver;

/* Records a failure on db (message formatted like printf, truncated to
 * fit) and returns the enum ibc_err for kind: CONSTRAINT -> IBC_ECONFLICT,
 * BUSY -> IBC_EUNAVAIL, MISUSE -> IBC_EINTERNAL, OTHER -> IBC_EDB. */
int db_set_error(struct db *db, enum db_fail kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Splits a database URL: "sqlite:PATH" (also "sqlite://PATH"), a plain
 * path (SQLite), or "postgresql://…"/"postgres://…" (PG; *target is the
 * whole URL, libpq parses it). *target points into url (borrowed). Returns
 * 0, or IBC_EINVAL with err filled for an empty path or another scheme. */
int db_url_parse(const char *url, enum db_backend *backend, const char **target,
                 struct ibc_error *err);

/* Rewrites `?` placeholders to PostgreSQL's $1..$n, appending the result
 * to out and the number of placeholders to *nparams. Text inside '…'
 * strings ('' escapes; E'…' also \ escapes), "…" identifiers, -- and
 * (nested) block comments and $$…$$ / $tag$…$tag$ dollar quotes is copied
 * as it is. Returns 0, or IBC_EINVAL (err filled) for an unterminated
 * string, identifier, comment or dollar quote, IBC_EINTERNAL for more than
 * one statement (only blanks, ';' and comments may follow the first
 * top-level ';'). Hand-written: libpq has no
 * such function. PG operators that contain `?` (jsonb ?, ?|, ?&) cannot be
 * written in our SQL; use the functions (jsonb_exists…) instead. */
int db_pg_rewrite(const char *sql, struct buf *out, int *nparams,
                  struct ibc_error *err);

/* A short form of an SQL text for messages: at most max bytes (ending at a
 * UTF-8 boundary), whitespace runs collapsed to one space, "…" appended
 * when cut. Returns out. */
char *db_sql_excerpt(char *out, size_t outsz, const char *sql, size_t max);

#endif
