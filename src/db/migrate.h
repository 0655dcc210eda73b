/* ibc — numbered, forward-only schema migrations embedded in the binary.
 *
 * Migrations are the files sql/migrations/NNNN_name.sql (embedded at build
 * time, see core/embed.h). A version may instead, or in addition, have
 * NNNN_name.sqlite.sql and/or NNNN_name.pg.sql: for its backend such a
 * file wins over the generic one. Every version must have a file for each
 * backend (generic or specific) and one name. The database records what it
 * ran in schema_migrations(version, name, checksum, applied_at), checksum
 * being the SHA-256 (hex) of the file text that ran; SQLite also gets
 * PRAGMA user_version = the highest applied version.
 *
 * Each migration runs in its own write transaction together with its
 * schema_migrations row: it applies entirely or not at all (PostgreSQL and
 * SQLite both have transactional DDL; statements PG refuses inside a
 * transaction, such as CREATE INDEX CONCURRENTLY, cannot be used). A
 * SQLite file whose first line is `-- ibc:foreign-keys-off` runs with
 * foreign keys off (switched before the transaction, checked with PRAGMA
 * foreign_key_check before commit): needed to rebuild a table that others
 * reference, as SQLite's ALTER TABLE documentation describes.
 *
 * The server refuses to start unless migrate_check() says the schema is
 * exactly current. */
#ifndef IBC_DB_MIGRATE_H
#define IBC_DB_MIGRATE_H

#include <stddef.h>

#include "core/embed.h"
#include "core/err.h"
#include "db/db.h"

/* One migration as this binary knows it. */
struct migration {
    int version;      /* > 0, strictly ascending in a list */
    const char *name; /* e.g. "core" (no number, no suffix) */
    const char *sql;  /* the file text (NUL-terminated) */
};

/* States in migrate_status(). */
enum migrate_state {
    MIGRATE_APPLIED, /* recorded, same checksum */
    MIGRATE_PENDING, /* known to the binary, not yet applied */
    MIGRATE_UNKNOWN, /* recorded but not known to this binary (newer) */
    MIGRATE_ALTERED  /* recorded with a checksum differing from the file */
};

/* One line of migrate_status(). */
struct migrate_row {
    int version;
    char name[96]; /* from the binary, else from the database */
    enum migrate_state state;
    char checksum[65];    /* of the embedded file ("" if unknown) */
    char db_checksum[65]; /* recorded ("" if pending) */
    char applied_at[32];  /* recorded ISO-8601 UTC ("" if pending) */
};

/* Applies every pending embedded migration in version order. *n_applied
 * (may be NULL) gets how many ran. Returns 0 when the schema is current,
 * IBC_ECONFLICT when the database holds an unknown (newer) or altered
 * migration or a pending one older than an applied one (nothing is run
 * then), or the error of the failing migration (err names it; that one is
 * rolled back, the earlier ones stay). */
int migrate_apply(struct db *db, int *n_applied, struct ibc_error *err);

/* 0 when the schema is exactly current; IBC_EUNAVAIL when migrations are
 * pending (the message says to run `ibc db migrate`); IBC_ECONFLICT when
 * the database has a version this binary does not know or a recorded
 * checksum differs from the embedded file; IBC_EDB on database failure.
 * Reads only. */
int migrate_check(struct db *db, struct ibc_error *err);

/* Every known and every recorded migration, by version. *rows is heap,
 * caller frees with free(); *n its length. Returns 0 or negative. */
int migrate_status(struct db *db, struct migrate_row **rows, int *n,
                   struct ibc_error *err);

/* The same three on a caller-supplied list (tests, tools). */
int migrate_apply_list(struct db *db, const struct migration *list, int n,
                       int *n_applied, struct ibc_error *err);
int migrate_check_list(struct db *db, const struct migration *list, int n,
                       struct ibc_error *err);
int migrate_status_list(struct db *db, const struct migration *list, int n,
                        struct migrate_row **rows, int *nrows,
                        struct ibc_error *err);

/* Builds the list for backend from embedded-style files (those named
 * sql/migrations/NNNN_name[.sqlite|.pg].sql; others are ignored). *out is
 * heap, caller frees with migrate_list_free(); names are copied, sql
 * points into files. IBC_EINTERNAL (err says which file) for a badly named
 * file, two names for one version, two files for one slot, or a version
 * without a file for backend. */
int migrate_list_build(enum db_backend backend, const struct embed_file *files,
                       size_t nfiles, struct migration **out, int *n,
                       struct ibc_error *err);
void migrate_list_free(struct migration *list, int n); /* accepts NULL */

/* SHA-256 of text[0..len) as 64 lowercase hex digits + NUL into out. */
void migrate_checksum(const char *text, size_t len, char out[65]);

/* "applied", "pending", "unknown", "altered". */
const char *migrate_state_name(enum migrate_state s);

#endif
