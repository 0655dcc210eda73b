/* ibc — backups: one archive holding a manifest, a consistent database dump
 * and (later) the content store's objects; restore; scheduled backups.
 *
 * The archive (".ibcbak") is a POSIX ustar tar file (written and read by
 * backup_tar.c, ~300 lines, because libarchive is not among our build
 * dependencies and we only need regular files). Its members, in order:
 *
 *   manifest.json    {"format":"ibc-backup","format_version":1,
 *                     "ibc_version":"…","backend":"sqlite"|"postgresql",
 *                     "schema_version":N,"created_at":"…Z",
 *                     "orgs":["demo",…],
 *                     "members":[{"name":"db/ibc.sqlite","size":N,
 *                                 "sha256":"hex"},…]}
 *   db/ibc.sqlite    SQLite: an online-backup copy of the live database
 *   db/ibc.pgdump    PostgreSQL: pg_dump --format=custom
 *   objects/…        later: content-store objects by hash (listed in
 *                    "members" like the dump; restore refuses a member the
 *                    manifest does not list and a listed one that is absent)
 *
 * schema_version is the highest migration recorded in the database.
 *
 * An encrypted archive wraps that whole tar stream: a 48-byte header
 * "IBCENC01" | opslimit (u64 LE) | memlimit (u64 LE) | salt[16]
 * followed by the 24-byte crypto_secretstream_xchacha20poly1305 header and
 * chunks of 64 KiB of plaintext (+17 bytes each), the last one tagged
 * FINAL. The key is crypto_pwhash(argon2id) of the passphrase with the
 * salt. A wrong passphrase, a changed byte or a cut file fails
 * authentication; restore checks everything before it changes anything.
 *
 * Backup and restore files are created 0600 whatever the umask, under a
 * temporary name, and renamed into place (fsync before rename). */
#ifndef IBC_BACKUP_BACKUP_H
#define IBC_BACKUP_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

struct db;
struct jobs;

#define BACKUP_FORMAT_VERSION 1
#define BACKUP_MEMBER_MANIFEST "manifest.json"
#define BACKUP_MEMBER_SQLITE "db/ibc.sqlite"
#define BACKUP_MEMBER_PGDUMP "db/ibc.pgdump"

/* What to write / how to read. Zero-initialise. */
struct backup_opts {
    const char *passphrase; /* encrypt (backup) / decrypt (restore) with
                               this; NULL = plain archive. An encrypted
                               archive without a passphrase is refused. */
    unsigned long long opslimit; /* argon2id cost for new archives; 0 =
                                    crypto_pwhash_OPSLIMIT_MODERATE */
    size_t memlimit;             /* 0 = crypto_pwhash_MEMLIMIT_MODERATE */
    const char *work_dir; /* where temporary files go (restore of a
                             PostgreSQL dump); NULL = the directory of the
                             archive / database */
};

/* What a restore found (optional out-parameter). */
struct backup_info {
    char backend[16];     /* "sqlite" / "postgresql" */
    int schema_version;   /* of the archive */
    int migrations_run;   /* pending migrations applied after restoring */
    char created_at[32];
    char ibc_version[32];
    bool encrypted;
};

/* Writes a backup of database db_url (a URL as db_open takes) to `path`:
 * 0600, atomically (path.tmp-XXXXXX, fsync, rename). Consistent while a
 * server runs (SQLite online backup API; PostgreSQL pg_dump on a snapshot
 * exported by the transaction that read the manifest's facts). Returns 0,
 * IBC_EIO (files, pg_dump), IBC_EDB or IBC_EINVAL with err filled; nothing
 * is left at path on failure. */
int backup_write(const char *db_url, const char *path,
                 const struct backup_opts *opts, struct ibc_error *err);

/* Restores archive `path` into database db_url. Checks first, changing
 * nothing when any check fails: the archive parses (and decrypts), every
 * member's size and SHA-256 match the manifest (IBC_EPARSE "hash mismatch
 * in member NAME"), the backend matches (IBC_EINVAL), the schema version
 * is not newer than this binary knows (IBC_ECONFLICT), and nothing else
 * uses the database (IBC_EUNAVAIL: stop the server first). Then replaces
 * the database (SQLite: checked with PRAGMA integrity_check, renamed over
 * the file, -wal/-shm removed; PostgreSQL: everything in schema public is
 * dropped and the dump restored in one transaction), applies pending
 * migrations, and invalidates every session and API token. info may be
 * NULL. */
int backup_restore(const char *db_url, const char *path,
                   const struct backup_opts *opts, struct backup_info *info,
                   struct ibc_error *err);

/* Reads the passphrase for --encrypt / restore: the first line of
 * key_file when given, else $IBC_BACKUP_PASSPHRASE. *out is heap (caller
 * frees with backup_passphrase_free, which wipes it), or NULL when
 * neither is set. Returns 0, IBC_EIO or IBC_EINVAL (empty passphrase). */
int backup_passphrase(const char *key_file, char **out, struct ibc_error *err);
void backup_passphrase_free(char *p); /* accepts NULL */

/* ---- scheduled backups ---- */

#define BACKUP_KEEP_DEFAULT 14
#define BACKUP_JOB_KIND "backup.run"

/* Configuration of the scheduled job; caller storage that must outlive the
 * job system (like outbox_config). Strings are borrowed. */
struct backup_sched {
    const char *data_dir; /* backups go to DATA/backups/ */
    const char *db_url;   /* the database to back up */
    int interval_s;       /* 0 = daily */
};

/* Registers the job kind "backup.run" and its schedule "backup.daily":
 * every interval it writes DATA/backups/ibc-YYYYMMDD-HHMMSS.ibcbak
 * (encrypted when $IBC_BACKUP_PASSPHRASE is set) and keeps the newest N
 * (org_setting backup_keep, the largest any school set; default 14).
 * Returns 0 or IBC_EINVAL. */
int backup_jobs_register(struct jobs *j, const struct backup_sched *s);

/* One scheduled run, as the job does it: writes a new backup into dir
 * (created 0700) and rotates. *written (may be NULL) gets the file name.
 * Returns 0 or negative with err filled. */
int backup_run_scheduled(struct db *db, const char *db_url, const char *dir,
                         const struct backup_opts *opts, char *written,
                         size_t written_sz, struct ibc_error *err);

/* Deletes the oldest files named ibc-YYYYMMDD-HHMMSS.ibcbak in dir until
 * `keep` remain (other files are left alone). *n_deleted may be NULL.
 * Returns 0 or IBC_EIO. */
int backup_rotate(const char *dir, int keep, int *n_deleted,
                  struct ibc_error *err);

/* ---- the store (backup_store.c: all of this module's SQL) ---- */

/* The number of backups to keep: the largest valid org_setting backup_keep
 * of any school, or BACKUP_KEEP_DEFAULT. */
int backup_store_keep(struct db *db, int *keep, struct ibc_error *err);
/* Deletes every session and revokes every API token (tables of migration
 * 0004; skipped where a table does not exist yet). Own transaction. */
int backup_store_invalidate(struct db *db, struct ibc_error *err);
/* The codes of all schools, newline-separated, into a heap string (caller
 * frees). */
int backup_store_org_codes(struct db *db, char **out, struct ibc_error *err);

/* PostgreSQL: exports the snapshot of db's open transaction (out gets its
 * id, for pg_dump --snapshot); the number of other client connections to
 * the database; the SQL that empties schema public (run by psql before a
 * dump is restored). */
int backup_store_pg_snapshot(struct db *db, char *out, size_t n,
                             struct ibc_error *err);
int backup_store_pg_others(struct db *db, int64_t *n, struct ibc_error *err);
extern const char backup_store_pg_clean_sql[];

/* SQLite by its C API: an online-backup copy of src_path into dst_path
 * (journal_mode DELETE, so self-contained); PRAGMA integrity_check of a
 * file (IBC_EPARSE unless "ok"); and, before a restore, proof that no other
 * connection has the file open (IBC_EUNAVAIL) plus a WAL checkpoint. */
int backup_sqlite_copy(const char *src_path, const char *dst_path,
                       struct ibc_error *err);
int backup_sqlite_check(const char *path, struct ibc_error *err);
int backup_sqlite_quiesce(const char *path, struct ibc_error *err);

/* ---- lower layers, for tests and tools ---- */

/* A manifest as read back. */
struct backup_member {
    char name[101];
    uint64_t size;
    char sha256[65];
};
struct backup_manifest {
    int format_version;
    char ibc_version[32];
    char backend[16];
    int schema_version;
    char created_at[32];
    struct backup_member *members; /* heap */
    int n_members;
};

/* Parses manifest JSON text. Returns 0, IBC_EPARSE (err says why) or
 * IBC_ECONFLICT (a newer format). Free with backup_manifest_reset, also
 * after a failure. */
int backup_manifest_parse(const char *text, size_t len,
                          struct backup_manifest *m, struct ibc_error *err);
void backup_manifest_reset(struct backup_manifest *m);

/* The archive stream: a plain or encrypting writer / a plain or decrypting
 * reader over a FILE. */
struct bk_out;
struct bk_in;
/* passphrase NULL = plain. Returns 0 or IBC_EINTERNAL (out of memory for
 * argon2id). Caller frees with bk_out_free. */
int bk_out_new(struct bk_out **out, FILE *f, const char *passphrase,
               unsigned long long opslimit, size_t memlimit,
               struct ibc_error *err);
int bk_out_write(struct bk_out *o, const void *p, size_t n,
                 struct ibc_error *err);
int bk_out_finish(struct bk_out *o, struct ibc_error *err); /* last chunk */
void bk_out_free(struct bk_out *o);
/* Detects an encrypted archive by its header. Returns 0, IBC_EAUTH (an
 * encrypted archive without passphrase) or IBC_EPARSE. */
int bk_in_new(struct bk_in **in, FILE *f, const char *passphrase,
              bool *encrypted, struct ibc_error *err);
/* Reads exactly n bytes; IBC_EPARSE when the stream ends early, IBC_EAUTH
 * when decryption fails. */
int bk_in_read(struct bk_in *in, void *p, size_t n, struct ibc_error *err);
/* Checks that the stream ends here (FINAL chunk seen, no trailing bytes). */
int bk_in_finish(struct bk_in *in, struct ibc_error *err);
void bk_in_free(struct bk_in *in);

/* ustar: one member header + data (padded), and the end marker. */
int tar_write_file(struct bk_out *o, const char *name, FILE *data,
                   uint64_t size, struct ibc_error *err);
int tar_write_mem(struct bk_out *o, const char *name, const void *p,
                  size_t n, struct ibc_error *err);
int tar_write_end(struct bk_out *o, struct ibc_error *err);
/* Reads the next header: 1 with name/size filled, 0 at the end marker,
 * negative on a bad header (checksum, type other than a regular file, an
 * unsafe name). The data follows: read it with tar_read_data. */
int tar_read_header(struct bk_in *in, char name[101], uint64_t *size,
                    struct ibc_error *err);
/* Reads a member's size bytes into f (NULL = into mem, which must hold
 * size bytes), hashing them into sha256 hex, and skips the padding. */
int tar_read_data(struct bk_in *in, uint64_t size, FILE *f, void *mem,
                  char sha256[65], struct ibc_error *err);

#endif
