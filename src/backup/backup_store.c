/* ibc — the SQL of backups and restores (rule 12: all of it here).
 *
 * Backups are system-wide, not per school: these queries deliberately
 * cover every org (the codes of all schools for the manifest, the largest
 * backup_keep any school set, and, after a restore, every session and
 * token). The SQLite-only parts (online backup, integrity check, detecting
 * another user of the file) use the SQLite C API on a connection of their
 * own, because the db layer has no notion of them. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"

#include <stdio.h>
#include "core/buf.h"
#include "core/str.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "db/db.h"

int backup_store_keep(struct db *db, int *keep, struct ibc_error *err)
{
    struct db_stmt *st = NULL;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT value FROM org_setting WHERE key = ?",
                             DB_TXT("backup_keep"), DB_END);
    *keep = 0;
    while (rc == 0 && (rc = db_step(st)) == DB_ROW) {
        int64_t v;
        const char *t = db_col_text(st, 0);
        if (t && str_to_i64(t, &v) && v >= 1 && v <= 10000 && v > *keep) {
            *keep = (int)v;
        }
        rc = 0;
    }
    if (rc < 0) {
        ibc_fail(err, rc, "backup: %s", db_errmsg(db));
    } else {
        rc = 0;
    }
    db_finalize(st);
    if (*keep == 0) {
        *keep = BACKUP_KEEP_DEFAULT;
    }
    return rc;
}

/* Whether table `name` exists in the database's (current) schema. */
static int table_exists(struct db *db, const char *name, bool *yes,
                        struct ibc_error *err)
{
    int64_t n = 0;
    int rc = db_query_int64(
        db, &n, err,
        db_backend(db) == DB_SQLITE
            ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
              "AND name = ?"
            : "SELECT count(*) FROM information_schema.tables "
              "WHERE table_schema = current_schema() AND table_name = ?",
        DB_TXT(name), DB_END);
    *yes = n > 0;
    return rc < 0 ? rc : 0;
}

int backup_store_invalidate(struct db *db, struct ibc_error *err)
{
    char now[32];
    time_now_iso(now);
    bool has_session = false, has_token = false;
    int rc = db_begin(db, DB_TX_WRITE, err);
    if (rc) {
        return rc;
    }
    if ((rc = table_exists(db, "session", &has_session, err)) ||
        (rc = table_exists(db, "api_token", &has_token, err))) {
        goto fail;
    }
    if (has_session && (rc = db_run(db, err, "DELETE FROM session", DB_END))) {
        goto fail;
    }
    if (has_token &&
        (rc = db_run(db, err,
                     "UPDATE api_token SET revoked_at = ? "
                     "WHERE revoked_at IS NULL",
                     DB_TXT(now), DB_END))) {
        goto fail;
    }
    /* Half-done sign-ins and password-reset links die with the sessions:
     * whatever the backup held must not let anyone in. */
    static const char *const pending[] = {"totp_pending", "password_reset"};
    for (size_t i = 0; i < sizeof(pending) / sizeof(pending[0]); i++) {
        bool has = false;
        if ((rc = table_exists(db, pending[i], &has, err))) {
            goto fail;
        }
        /* The table name comes from the list above, never from input. */
        char sql[64];
        snprintf(sql, sizeof(sql), "DELETE FROM %s", pending[i]);
        if (has && (rc = db_run(db, err, sql, DB_END))) {
            goto fail;
        }
    }
    return db_commit(db, err);
fail:
    db_rollback(db);
    return rc;
}

int backup_store_org_codes(struct db *db, char **out, struct ibc_error *err)
{
    struct db_stmt *st = NULL;
    struct buf b = BUF_INIT;
    int rc = db_prepare(db, &st, "SELECT code FROM org ORDER BY code", err);
    while (rc == 0 && (rc = db_step(st)) == DB_ROW) {
        buf_puts(&b, db_col_text(st, 0));
        buf_putc(&b, '\n');
        rc = 0;
    }
    db_finalize(st);
    if (rc < 0) {
        buf_reset(&b);
        return ibc_fail(err, rc, "backup: %s", db_errmsg(db));
    }
    *out = b.data ? buf_detach(&b, NULL) : xstrdup("");
    return 0;
}

int backup_store_pg_snapshot(struct db *db, char *out, size_t n,
                             struct ibc_error *err)
{
    struct db_stmt *st = NULL;
    int rc = db_prepare(db, &st, "SELECT pg_export_snapshot()", err);
    if (rc == 0 && (rc = db_step(st)) == DB_ROW) {
        str_copy(out, db_col_text(st, 0), n);
        rc = 0;
    } else if (rc >= 0) {
        rc = IBC_EDB;
    }
    if (rc) {
        ibc_fail(err, rc, "backup: cannot export a snapshot: %s",
                 db_errmsg(db));
    }
    db_finalize(st);
    return rc;
}

int backup_store_pg_others(struct db *db, int64_t *n, struct ibc_error *err)
{
    *n = 0;
    int rc = db_query_int64(db, n, err,
                            "SELECT count(*) FROM pg_stat_activity WHERE "
                            "datname = current_database() AND "
                            "pid <> pg_backend_pid() AND "
                            "backend_type = 'client backend'",
                            DB_END);
    return rc < 0 ? rc : 0;
}

/* Run by psql in the restore's one transaction, before the dump: removes
 * everything in schema public, so tables of newer migrations do not
 * linger. */
const char backup_store_pg_clean_sql[] =
    "DO $ibc$ DECLARE r record; BEGIN\n"
    "  FOR r IN SELECT c.relname, c.relkind FROM pg_class c\n"
    "      JOIN pg_namespace n ON n.oid = c.relnamespace\n"
    "      WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','f')\n"
    "  LOOP\n"
    "    EXECUTE format(CASE r.relkind WHEN 'v' THEN 'DROP VIEW IF EXISTS "
    "public.%I CASCADE'\n"
    "      WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS public.%I CASCADE'\n"
    "      WHEN 'f' THEN 'DROP FOREIGN TABLE IF EXISTS public.%I CASCADE'\n"
    "      ELSE 'DROP TABLE IF EXISTS public.%I CASCADE' END, r.relname);\n"
    "  END LOOP;\n"
    "  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n\n"
    "      ON n.oid = c.relnamespace WHERE n.nspname = 'public'\n"
    "      AND c.relkind = 'S' LOOP\n"
    "    EXECUTE format('DROP SEQUENCE IF EXISTS public.%I CASCADE', "
    "r.relname);\n"
    "  END LOOP;\n"
    "  FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p\n"
    "      JOIN pg_namespace n ON n.oid = p.pronamespace\n"
    "      WHERE n.nspname = 'public' AND p.prokind IN ('f','p') LOOP\n"
    "    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.sig);\n"
    "  END LOOP;\n"
    "  FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n\n"
    "      ON n.oid = t.typnamespace WHERE n.nspname = 'public'\n"
    "      AND t.typtype IN ('e','d') LOOP\n"
    "    EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', r.typname);\n"
    "  END LOOP;\n"
    "END $ibc$;\n";

/* ---- SQLite by its C API ---- */

static int sq_fail(struct ibc_error *err, sqlite3 *h, const char *what,
                   const char *path)
{
    return ibc_fail(err, IBC_EDB, "%s %s: %s", what, path,
                    h ? sqlite3_errmsg(h) : "out of memory");
}

int backup_sqlite_copy(const char *src_path, const char *dst_path,
                       struct ibc_error *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    int rc = 0;
    if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        rc = sq_fail(err, src, "cannot open SQLite database", src_path);
        goto out;
    }
    sqlite3_busy_timeout(src, 5000);
    if (sqlite3_open_v2(dst_path, &dst,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = sq_fail(err, dst, "cannot create", dst_path);
        goto out;
    }
    sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
    if (!bk) {
        rc = sq_fail(err, dst, "cannot back up", src_path);
        goto out;
    }
    int s;
    /* All pages in one step: the copy is one snapshot of the source (a
     * writer in WAL mode does not restart it). Busy: wait and retry. */
    while ((s = sqlite3_backup_step(bk, -1)) == SQLITE_BUSY ||
           s == SQLITE_LOCKED) {
        sqlite3_sleep(50);
    }
    sqlite3_backup_finish(bk);
    if (s != SQLITE_DONE) {
        rc = ibc_fail(err, IBC_EDB, "backup of %s failed: %s", src_path,
                      sqlite3_errstr(s));
        goto out;
    }
    /* A self-contained file: no WAL expected next to it. */
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
        SQLITE_OK) {
        rc = sq_fail(err, dst, "cannot finish", dst_path);
    }
out:
    sqlite3_close(src);
    if (dst && sqlite3_close(dst) != SQLITE_OK && rc == 0) {
        rc = ibc_fail(err, IBC_EDB, "cannot close %s", dst_path);
    }
    return rc;
}

int backup_sqlite_check(const char *path, struct ibc_error *err)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) !=
            SQLITE_OK) {
        rc = ibc_fail(err, IBC_EPARSE,
                      "the database in the backup cannot be read: %s",
                      h ? sqlite3_errmsg(h) : "out of memory");
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        rc = ibc_fail(err, IBC_EPARSE,
                      "the database in the backup is damaged "
                      "(integrity_check: %.200s)",
                      t ? (const char *)t : sqlite3_errmsg(h));
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(h);
    return rc;
}

int backup_sqlite_quiesce(const char *path, struct ibc_error *err)
{
    sqlite3 *h = NULL;
    int rc = 0;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = sq_fail(err, h, "cannot open SQLite database", path);
        goto out;
    }
    sqlite3_busy_timeout(h, 200);
    /* In WAL mode every open connection holds a shared lock on the
     * wal-index; exclusive locking mode cannot start its transaction while
     * any other connection (a running server) is open. */
    if (sqlite3_exec(h, "PRAGMA locking_mode=EXCLUSIVE", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = ibc_fail(err, IBC_EUNAVAIL,
                      "the database %s is in use (is `ibc serve` running?): "
                      "stop the server before restoring",
                      path);
        goto out;
    }
    if (sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
                     NULL) != SQLITE_OK) {
        rc = sq_fail(err, h, "cannot checkpoint", path);
    }
out:
    sqlite3_close(h);
    return rc;
}
