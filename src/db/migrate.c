/* ibc — schema migrations: list building, state comparison, applying.
 *
 * See migrate.h for the rules. The flow of migrate_apply_list(): make sure
 * schema_migrations exists, compare what the database recorded with the
 * list (refusing unknown, altered or out-of-order states), then run each
 * pending migration in its own write transaction, re-checking inside it
 * that no other process applied it meanwhile (on PostgreSQL after taking
 * an EXCLUSIVE lock on schema_migrations; SQLite's BEGIN IMMEDIATE already
 * serialises writers). */
#include "db/migrate.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/str.h"
#include "core/xalloc.h"

#define MIGRATION_DIR "sql/migrations/"
/* First line of a SQLite migration that must run with foreign keys off. */
#define FK_OFF_MARK "-- ibc:foreign-keys-off"

const char *migrate_state_name(enum migrate_state s)
{
    switch (s) {
    case MIGRATE_APPLIED:
        return "applied";
    case MIGRATE_PENDING:
        return "pending";
    case MIGRATE_UNKNOWN:
        return "unknown";
    case MIGRATE_ALTERED:
        return "altered";
    }
    return "?";
}

void migrate_checksum(const char *text, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    if (sodium_init() < 0) {
        /* Cannot happen in 1.0.18; SHA-256 needs no set-up anyway. */
    }
    crypto_hash_sha256(h, (const unsigned char *)text, len);
    str_hex(out, h, sizeof(h));
}

/* ---- building the list from embedded files ---- */

enum slot { SLOT_GENERIC, SLOT_SQLITE, SLOT_PG };

/* One parsed migration file name. */
struct mfile {
    int version;
    char name[96];
    enum slot slot;
    const struct embed_file *f;
};

/* Parses "sql/migrations/NNNN_name[.sqlite|.pg].sql". Returns 1 when it
 * is a migration file, 0 when the file is not one (not .sql, another
 * directory), negative with err filled when it is a badly named one. */
static int parse_name(const struct embed_file *f, struct mfile *m,
                      struct ibc_error *err)
{
    const char *base = f->name;
    if (!str_starts(base, MIGRATION_DIR)) {
        return 0;
    }
    base += strlen(MIGRATION_DIR);
    if (strchr(base, '/') || !str_ends(base, ".sql")) {
        return 0;
    }
    size_t len = strlen(base) - strlen(".sql");
    m->slot = SLOT_GENERIC;
    if (len > 7 && strncmp(base + len - 7, ".sqlite", 7) == 0) {
        m->slot = SLOT_SQLITE;
        len -= 7;
    } else if (len > 3 && strncmp(base + len - 3, ".pg", 3) == 0) {
        m->slot = SLOT_PG;
        len -= 3;
    }
    size_t digits = 0;
    long v = 0;
    while (digits < len && base[digits] >= '0' && base[digits] <= '9' &&
           v < 1000000) {
        v = v * 10 + (base[digits] - '0');
        digits++;
    }
    size_t name_len = len - digits - 1;
    if (digits < 4 || digits >= len || base[digits] != '_' || v <= 0 ||
        name_len == 0 || name_len >= sizeof(m->name) ||
        memchr(base + digits + 1, '.', name_len)) {
        return ibc_fail(err, IBC_EINTERNAL,
                        "migration file %s: name must be NNNN_name.sql, "
                        "NNNN_name.sqlite.sql or NNNN_name.pg.sql",
                        f->name);
    }
    m->version = (int)v;
    memcpy(m->name, base + digits + 1, name_len);
    m->name[name_len] = '\0';
    m->f = f;
    return 1;
}

static int cmp_mfile(const void *a, const void *b)
{
    const struct mfile *x = a, *y = b;
    if (x->version != y->version) {
        return x->version < y->version ? -1 : 1;
    }
    return (int)x->slot - (int)y->slot;
}

int migrate_list_build(enum db_backend backend, const struct embed_file *files,
                       size_t nfiles, struct migration **out, int *n,
                       struct ibc_error *err)
{
    struct mfile *mf = xcalloc(nfiles + 1, sizeof(*mf));
    size_t nmf = 0;
    int rc = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < nfiles; i++) {
        int r = parse_name(&files[i], &mf[nmf], err);
        if (r < 0) {
            rc = r;
            goto out;
        }
        nmf += (size_t)r;
    }
    qsort(mf, nmf, sizeof(*mf), cmp_mfile);
    struct migration *list = xcalloc(nmf + 1, sizeof(*list));
    int cnt = 0;
    enum slot want = backend == DB_PG ? SLOT_PG : SLOT_SQLITE;
    for (size_t i = 0; i < nmf;) {
        size_t j = i;
        const struct mfile *pick = NULL;
        for (; j < nmf && mf[j].version == mf[i].version; j++) {
            if (strcmp(mf[j].name, mf[i].name) != 0) {
                rc = ibc_fail(err, IBC_EINTERNAL,
                              "migration %04d has two names: %s and %s",
                              mf[i].version, mf[i].f->name, mf[j].f->name);
            } else if (j > i && mf[j].slot == mf[j - 1].slot) {
                rc = ibc_fail(err, IBC_EINTERNAL,
                              "migration %04d: two files for one backend "
                              "(%s)",
                              mf[i].version, mf[j].f->name);
            }
            if (rc) {
                migrate_list_free(list, cnt);
                goto out;
            }
            if (mf[j].slot == want || (mf[j].slot == SLOT_GENERIC && !pick)) {
                pick = &mf[j];
            }
        }
        if (!pick) {
            rc = ibc_fail(err, IBC_EINTERNAL,
                          "migration %04d_%s has no file for %s (add "
                          "%04d_%s.sql or .%s.sql)",
                          mf[i].version, mf[i].name,
                          backend == DB_PG ? "PostgreSQL" : "SQLite",
                          mf[i].version, mf[i].name,
                          backend == DB_PG ? "pg" : "sqlite");
            migrate_list_free(list, cnt);
            goto out;
        }
        list[cnt].version = pick->version;
        list[cnt].name = xstrdup(pick->name);
        list[cnt].sql = (const char *)pick->f->data;
        cnt++;
        i = j;
    }
    *out = list;
    *n = cnt;
out:
    free(mf);
    return rc;
}

void migrate_list_free(struct migration *list, int n)
{
    if (!list) {
        return;
    }
    for (int i = 0; i < n; i++) {
        free((char *)list[i].name);
    }
    free(list);
}

/* ---- what the database recorded ---- */

/* A schema_migrations row. */
struct recorded {
    int version;
    char name[96];
    char checksum[65];
    char applied_at[32];
};

/* Reads schema_migrations by version into *out (heap, caller frees with
 * free(); NULL/0 when the table does not exist). 0 or negative. */
static int read_recorded(struct db *db, struct recorded **out, int *n,
                         struct ibc_error *err)
{
    int64_t exists = 0;
    *out = NULL;
    *n = 0;
    int rc = db_query_int64(
        db, &exists, err,
        db_backend(db) == DB_PG
            ? "SELECT to_regclass('schema_migrations') IS NOT NULL"
            : "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
              "AND name = 'schema_migrations'",
        DB_END);
    if (rc < 0) {
        return rc;
    }
    if (!exists) {
        return 0;
    }
    struct db_stmt *st;
    rc = db_prepare(db, &st,
                    "SELECT version, name, checksum, applied_at "
                    "FROM schema_migrations ORDER BY version",
                    err);
    if (rc) {
        return rc;
    }
    int cap = 16, cnt = 0;
    struct recorded *r = xcalloc((size_t)cap, sizeof(*r));
    while ((rc = db_step(st)) == DB_ROW) {
        if (cnt == cap) {
            cap *= 2;
            r = xrealloc(r, (size_t)cap * sizeof(*r));
        }
        struct recorded *x = &r[cnt++];
        const char *t;
        x->version = (int)db_col_int64(st, 0);
        snprintf(x->name, sizeof(x->name), "%s",
                 (t = db_col_text(st, 1)) ? t : "");
        snprintf(x->checksum, sizeof(x->checksum), "%s",
                 (t = db_col_text(st, 2)) ? t : "");
        snprintf(x->applied_at, sizeof(x->applied_at), "%s",
                 (t = db_col_text(st, 3)) ? t : "");
    }
    if (rc < 0) {
        ibc_fail(err, rc, "%s", db_errmsg(db));
        free(r);
        db_finalize(st);
        return rc;
    }
    db_finalize(st);
    *out = r;
    *n = cnt;
    return 0;
}

/* Checks a caller's list: versions > 0 and strictly ascending, text set. */
static int check_list(const struct migration *list, int n,
                      struct ibc_error *err)
{
    for (int i = 0; i < n; i++) {
        if (list[i].version <= 0 || !list[i].sql || !list[i].name ||
            (i > 0 && list[i].version <= list[i - 1].version)) {
            return ibc_fail(err, IBC_EINTERNAL,
                            "migration list: entry %d (version %d) is out "
                            "of order or incomplete",
                            i, list[i].version);
        }
    }
    return 0;
}

/* Merges list and recorded into status rows (heap, caller frees). */
static struct migrate_row *merge(const struct migration *list, int n,
                                 const struct recorded *rec, int nrec,
                                 int *nrows)
{
    struct migrate_row *rows = xcalloc((size_t)(n + nrec + 1), sizeof(*rows));
    int i = 0, j = 0, k = 0;
    while (i < n || j < nrec) {
        struct migrate_row *r = &rows[k++];
        if (j >= nrec || (i < n && list[i].version < rec[j].version)) {
            r->version = list[i].version;
            snprintf(r->name, sizeof(r->name), "%s", list[i].name);
            migrate_checksum(list[i].sql, strlen(list[i].sql), r->checksum);
            r->state = MIGRATE_PENDING;
            i++;
        } else if (i >= n || rec[j].version < list[i].version) {
            r->version = rec[j].version;
            snprintf(r->name, sizeof(r->name), "%s", rec[j].name);
            snprintf(r->db_checksum, sizeof(r->db_checksum), "%s",
                     rec[j].checksum);
            snprintf(r->applied_at, sizeof(r->applied_at), "%s",
                     rec[j].applied_at);
            r->state = MIGRATE_UNKNOWN;
            j++;
        } else {
            r->version = list[i].version;
            snprintf(r->name, sizeof(r->name), "%s", list[i].name);
            migrate_checksum(list[i].sql, strlen(list[i].sql), r->checksum);
            snprintf(r->db_checksum, sizeof(r->db_checksum), "%s",
                     rec[j].checksum);
            snprintf(r->applied_at, sizeof(r->applied_at), "%s",
                     rec[j].applied_at);
            r->state = strcmp(r->checksum, r->db_checksum) == 0
                           ? MIGRATE_APPLIED
                           : MIGRATE_ALTERED;
            i++;
            j++;
        }
    }
    *nrows = k;
    return rows;
}

int migrate_status_list(struct db *db, const struct migration *list, int n,
                        struct migrate_row **rows, int *nrows,
                        struct ibc_error *err)
{
    struct recorded *rec;
    int nrec;
    *rows = NULL;
    *nrows = 0;
    int rc = check_list(list, n, err);
    if (rc || (rc = read_recorded(db, &rec, &nrec, err))) {
        return rc;
    }
    *rows = merge(list, n, rec, nrec, nrows);
    free(rec);
    return 0;
}

/* Judges status rows: 0 current, IBC_ECONFLICT (unknown, altered, or a
 * pending migration below an applied one), IBC_EUNAVAIL (pending). *pending
 * (may be NULL) gets the number of pending migrations. */
static int judge(const struct migrate_row *rows, int nrows, int *pending,
                 struct ibc_error *err)
{
    int npend = 0, top = 0, latest = 0;
    const struct migrate_row *first_pend = NULL;
    for (int i = 0; i < nrows; i++) {
        const struct migrate_row *r = &rows[i];
        switch (r->state) {
        case MIGRATE_UNKNOWN:
            return ibc_fail(err, IBC_ECONFLICT,
                            "the database has migration %04d_%s, which "
                            "this ibc does not know: it was set up by a "
                            "newer ibc; run that version (or newer)",
                            r->version, r->name);
        case MIGRATE_ALTERED:
            return ibc_fail(err, IBC_ECONFLICT,
                            "migration %04d_%s was changed after it was "
                            "applied (checksum %.12s… recorded, %.12s… in "
                            "this ibc); migrations must never be edited",
                            r->version, r->name, r->db_checksum, r->checksum);
        case MIGRATE_PENDING:
            npend++;
            if (!first_pend) {
                first_pend = r;
            }
            latest = r->version;
            break;
        case MIGRATE_APPLIED:
            top = r->version;
            latest = r->version;
            if (first_pend) {
                return ibc_fail(err, IBC_ECONFLICT,
                                "migration %04d_%s is pending but the later "
                                "%04d_%s is already applied",
                                first_pend->version, first_pend->name,
                                r->version, r->name);
            }
            break;
        }
    }
    if (pending) {
        *pending = npend;
    }
    if (npend) {
        return ibc_fail(err, IBC_EUNAVAIL,
                        "the database schema is at version %d, this ibc "
                        "needs %d (%d migration%s pending): run `ibc db "
                        "migrate`",
                        top, latest, npend, npend == 1 ? "" : "s");
    }
    return 0;
}

int migrate_check_list(struct db *db, const struct migration *list, int n,
                       struct ibc_error *err)
{
    struct migrate_row *rows;
    int nrows;
    int rc = migrate_status_list(db, list, n, &rows, &nrows, err);
    if (rc) {
        return rc;
    }
    rc = judge(rows, nrows, NULL, err);
    free(rows);
    return rc;
}

/* Current time as 'YYYY-MM-DDTHH:MM:SSZ'. */
static void now_utc(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Runs one migration in its own write transaction. *ran = 1 when it ran,
 * 0 when another process had applied it meanwhile. */
static int apply_one(struct db *db, const struct migration *m, int *ran,
                     struct ibc_error *err)
{
    bool sqlite = db_backend(db) == DB_SQLITE;
    bool fk_off = sqlite && str_starts(m->sql, FK_OFF_MARK);
    int64_t done = 0;
    int rc;
    *ran = 0;
    if (fk_off && (rc = db_exec_script(db, "PRAGMA foreign_keys=OFF", err))) {
        return rc;
    }
    if ((rc = db_begin(db, DB_TX_WRITE, err))) {
        goto out;
    }
    if (!sqlite && (rc = db_exec_script(db,
                                        "LOCK TABLE schema_migrations IN "
                                        "EXCLUSIVE MODE",
                                        err))) {
        goto out;
    }
    rc = db_query_int64(db, &done, err,
                        "SELECT count(*) FROM schema_migrations "
                        "WHERE version = ?",
                        DB_I64(m->version), DB_END);
    if (rc < 0) {
        goto out;
    }
    if (done) {
        rc = db_commit(db, err);
        goto out;
    }
    if ((rc = db_exec_script(db, m->sql, err))) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
        ibc_fail(err, rc, "migration %04d_%s failed: %s", m->version, m->name,
                 msg);
        goto out;
    }
    if (fk_off) {
        struct db_stmt *st;
        if ((rc = db_prepare(db, &st, "PRAGMA foreign_key_check", err))) {
            goto out;
        }
        rc = db_step(st);
        db_finalize(st);
        if (rc != DB_DONE) {
            rc = ibc_fail(err, rc < 0 ? rc : IBC_ECONFLICT,
                          "migration %04d_%s leaves foreign key violations",
                          m->version, m->name);
            goto out;
        }
    }
    char sum[65], at[32];
    migrate_checksum(m->sql, strlen(m->sql), sum);
    now_utc(at);
    rc = db_run(db, err,
                "INSERT INTO schema_migrations (version, name, checksum, "
                "applied_at) VALUES (?, ?, ?, ?)",
                DB_I64(m->version), DB_TXT(m->name), DB_TXT(sum), DB_TXT(at),
                DB_END);
    if (rc) {
        goto out;
    }
    if (sqlite) {
        char pragma[48]; /* PRAGMA takes no parameters; an int of ours */
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
                 m->version);
        if ((rc = db_exec_script(db, pragma, err))) {
            goto out;
        }
    }
    if ((rc = db_commit(db, err)) == 0) {
        *ran = 1;
    }
out:
    db_rollback(db); /* no-op after commit */
    if (fk_off) {
        struct ibc_error e2 = IBC_ERROR_INIT;
        int rc2 = db_exec_script(db, "PRAGMA foreign_keys=ON", &e2);
        if (rc2 && !rc) {
            rc = ibc_fail(err, rc2, "%s", e2.msg);
        }
    }
    return rc;
}

int migrate_apply_list(struct db *db, const struct migration *list, int n,
                       int *n_applied, struct ibc_error *err)
{
    struct migrate_row *rows = NULL;
    int nrows = 0, count = 0;
    if (n_applied) {
        *n_applied = 0;
    }
    int rc = check_list(list, n, err);
    if (rc) {
        return rc;
    }
    if (db_in_tx(db)) {
        return ibc_fail(err, IBC_EINTERNAL,
                        "migrate: called inside a transaction");
    }
    rc = db_exec_script(db,
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        "version INTEGER PRIMARY KEY, "
                        "name TEXT NOT NULL, "
                        "checksum TEXT NOT NULL, "
                        "applied_at TEXT NOT NULL)",
                        err);
    if (rc || (rc = migrate_status_list(db, list, n, &rows, &nrows, err))) {
        return rc;
    }
    rc = judge(rows, nrows, NULL, err);
    if (rc == IBC_EUNAVAIL) {
        ibc_error_clear(err);
        rc = 0;
        for (int i = 0, k = 0; i < nrows && rc == 0; i++) {
            if (rows[i].state != MIGRATE_PENDING) {
                continue;
            }
            while (list[k].version != rows[i].version) {
                k++;
            }
            int ran = 0;
            rc = apply_one(db, &list[k], &ran, err);
            count += ran;
        }
    }
    free(rows);
    if (n_applied) {
        *n_applied = count;
    }
    return rc;
}

/* The embedded list for db's backend (caller frees with
 * migrate_list_free). */
static int embedded(struct db *db, struct migration **list, int *n,
                    struct ibc_error *err)
{
    return migrate_list_build(db_backend(db), embed_files, embed_count, list, n,
                              err);
}

int migrate_apply(struct db *db, int *n_applied, struct ibc_error *err)
{
    struct migration *list;
    int n;
    if (n_applied) {
        *n_applied = 0;
    }
    int rc = embedded(db, &list, &n, err);
    if (rc == 0) {
        rc = migrate_apply_list(db, list, n, n_applied, err);
        migrate_list_free(list, n);
    }
    return rc;
}

int migrate_check(struct db *db, struct ibc_error *err)
{
    struct migration *list;
    int n;
    int rc = embedded(db, &list, &n, err);
    if (rc == 0) {
        rc = migrate_check_list(db, list, n, err);
        migrate_list_free(list, n);
    }
    return rc;
}

int migrate_status(struct db *db, struct migrate_row **rows, int *nrows,
                   struct ibc_error *err)
{
    struct migration *list;
    int n;
    *rows = NULL;
    *nrows = 0;
    int rc = embedded(db, &list, &n, err);
    if (rc == 0) {
        rc = migrate_status_list(db, list, n, rows, nrows, err);
        migrate_list_free(list, n);
    }
    return rc;
}
