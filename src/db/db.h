/* ibc — the storage API: one small interface over SQLite and PostgreSQL.
 *
 * Domain code (the *_store.c files) is the only user. SQL is written once
 * with `?` placeholders; the PostgreSQL driver rewrites them to $1..$n
 * (skipping quoted text). Only bound parameters: there is no quoting helper.
 * Write portable SQL (INTEGER/BIGINT, TEXT, INSERT … RETURNING id, CHECKs);
 * where the dialects differ, branch on db_backend() inside the store, or give
 * a migration a per-backend file.
 *
 * A struct db is one connection and is used by one thread at a time. The
 * server keeps one per worker thread (see app.h: app_db_acquire). */
#ifndef IBC_DB_DB_H
#define IBC_DB_DB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;
struct db_stmt;

enum db_backend { DB_SQLITE, DB_PG };

/* db_step() results (errors are negative enum ibc_err). */
enum { DB_DONE = 0, DB_ROW = 1 };

enum db_tx_mode {
    DB_TX_READ,  /* a consistent read: BEGIN (SQLite: deferred) */
    DB_TX_WRITE  /* will write: SQLite BEGIN IMMEDIATE; PG BEGIN */
};

/* Opens a connection. url: "sqlite:/path/file.db", a plain path (SQLite),
 * or "postgresql://…" / "postgres://…" (libpq conninfo URI). SQLite is set up
 * with WAL, foreign_keys=ON, busy_timeout, synchronous=FULL and our
 * application_id. On failure returns IBC_EDB/IBC_EINVAL with err filled. */
int db_open(struct db **out, const char *url, struct ibc_error *err);
void db_close(struct db *db); /* accepts NULL */
enum db_backend db_backend(const struct db *db);
const char *db_backend_name(const struct db *db); /* "sqlite" / "postgresql" */
const char *db_errmsg(const struct db *db); /* last driver message; borrowed */
/* Rows changed by the most recently completed INSERT/UPDATE/DELETE on this
 * connection (for "UPDATE … WHERE version = ?" checks). */
int64_t db_changes(struct db *db);

/* Prepares one statement. Returns 0 or IBC_EDB (err has the driver message
 * and the SQL). The statement is freed with db_finalize(). SQLite reports
 * bad SQL here; PostgreSQL only at the first db_step (the statement is sent
 * with its parameters then), so callers handle errors at both places. */
int db_prepare(struct db *db, struct db_stmt **out, const char *sql,
               struct ibc_error *err);
/* Parameters are 1-based. Text is copied by the driver; NULL binds NULL. */
int db_bind_int64(struct db_stmt *st, int idx, int64_t v);
int db_bind_text(struct db_stmt *st, int idx, const char *s);
int db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n);
int db_bind_null(struct db_stmt *st, int idx);
/* Runs or advances: DB_ROW, DB_DONE, or negative on error (db_errmsg). A
 * constraint violation returns IBC_ECONFLICT; a lock wait that gave up
 * (SQLite busy after 5 s, PG deadlock/serialization failure) IBC_EUNAVAIL.
 * After DB_DONE it keeps returning DB_DONE until db_reset(). On PG the
 * whole result is fetched at the first step (so statements can be nested
 * on one connection); page big queries with LIMIT. */
int db_step(struct db_stmt *st);
/* Ready to run again with new bindings. */
int db_reset(struct db_stmt *st);
int db_col_count(struct db_stmt *st);
bool db_col_is_null(struct db_stmt *st, int col);        /* 0-based */
int64_t db_col_int64(struct db_stmt *st, int col);       /* NULL -> 0 */
/* Borrowed until the next db_step/db_reset/db_finalize; NULL for SQL NULL. */
const char *db_col_text(struct db_stmt *st, int col);
const void *db_col_blob(struct db_stmt *st, int col, size_t *len);
void db_finalize(struct db_stmt *st); /* accepts NULL */

/* One-shot helpers. Typed arguments follow the SQL as a list of
 * DB_I64(v) / DB_TXT(s) / DB_NUL, ended by DB_END. */
enum db_arg_type { DB_ARG_END, DB_ARG_I64, DB_ARG_TXT, DB_ARG_NULL };
struct db_arg {
    enum db_arg_type type;
    int64_t i;
    const char *s;
};
#define DB_I64(v) ((struct db_arg){DB_ARG_I64, (int64_t)(v), NULL})
#define DB_TXT(v) ((struct db_arg){DB_ARG_TXT, 0, (v)})
#define DB_NUL ((struct db_arg){DB_ARG_NULL, 0, NULL})
#define DB_END ((struct db_arg){DB_ARG_END, 0, NULL})

/* Runs SQL without parameters; may hold several statements (migrations). */
int db_exec_script(struct db *db, const char *sql, struct ibc_error *err);
/* Prepares, binds the list, steps to the end. Returns 0 or negative. */
int db_run(struct db *db, struct ibc_error *err, const char *sql, ...);
/* Prepares, binds, steps once; *out = first column of the first row.
 * Returns DB_ROW, DB_DONE (no row; *out untouched) or negative. */
int db_query_int64(struct db *db, int64_t *out, struct ibc_error *err,
                   const char *sql, ...);
/* Prepares and binds a list of struct db_arg ended by DB_END. */
int db_prepare_args(struct db *db, struct db_stmt **out,
                    struct ibc_error *err, const char *sql, ...);
/* The same with a va_list (for wrappers that take `...` themselves). */
int db_vprepare_args(struct db *db, struct db_stmt **out,
                     struct ibc_error *err, const char *sql, va_list ap);
/* Looks one row up: prepares, binds the DB_END-ended list, steps once.
 * DB_ROW: *out is at the row; read its columns, then db_finalize(*out).
 * DB_DONE: no row, *out is NULL. Negative: err says why, *out is NULL. */
int db_query_row(struct db *db, struct db_stmt **out, struct ibc_error *err,
                 const char *sql, ...);

/* Transactions. Nested begin is an error (IBC_EINTERNAL). On SQLite a
 * WRITE transaction takes the write lock at once (BEGIN IMMEDIATE) so two
 * writers never deadlock on upgrade. A READ transaction refuses writes on
 * both backends (SQLite PRAGMA query_only, PG READ ONLY) and sees one
 * snapshot (PG REPEATABLE READ). db_commit() always ends the transaction;
 * when it fails everything is rolled back and it returns negative. When a
 * statement inside the transaction failed, db_commit rolls back and returns
 * IBC_EDB on both backends (PostgreSQL aborts such a transaction; SQLite is
 * made to match), so on an error roll back, or retry from db_begin.
 * db_commit without db_begin is IBC_EINTERNAL; db_rollback then a no-op. */
int db_begin(struct db *db, enum db_tx_mode mode, struct ibc_error *err);
int db_commit(struct db *db, struct ibc_error *err);
int db_rollback(struct db *db); /* safe to call when no tx is open */
bool db_in_tx(const struct db *db);

#endif
