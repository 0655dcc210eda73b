/* ibc — writing and restoring backup archives (format in backup.h).
 *
 * backup_write() takes a consistent dump (SQLite: the online backup API
 * into a temporary file; PostgreSQL: pg_dump on the snapshot of the
 * transaction that read the manifest's facts), hashes it, and writes
 * manifest + dump into a ustar stream, optionally encrypted, under a
 * temporary 0600 name that is renamed into place.
 *
 * backup_restore() reads the whole archive first — decrypting, checking
 * every member against the manifest — into a private 0700 work folder,
 * and only then replaces the database: SQLite by renaming a checked,
 * migrated copy over the file; PostgreSQL by psql running "empty schema
 * public" and the converted dump in one transaction. Sessions and API
 * tokens are invalidated afterwards, so nobody stays signed in with a
 * session the restored data does not know about.
 *
 * pg_dump, pg_restore and psql are looked up in $IBC_PG_BINDIR, then PATH,
 * then /usr/lib/postgresql/15/bin, and run without a shell. */
#include "backup/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <limits.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/embed.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "db/migrate.h"
#include "web/json.h"

extern char **environ;

#define MANIFEST_MAX (1024 * 1024)

/* ---- small file helpers ---- */

/* The database URL's backend and, for SQLite, its file path (the rules of
 * db_open: sqlite:PATH, sqlite:///PATH, a plain path, postgresql://…). */
static int parse_url(const char *url, enum db_backend *be, char *path,
                     size_t n, struct ibc_error *err)
{
    if (str_empty(url)) {
        return ibc_fail(err, IBC_EINVAL, "empty database URL");
    }
    if (str_starts(url, "postgresql://") || str_starts(url, "postgres://")) {
        *be = DB_PG;
        path[0] = '\0';
        return 0;
    }
    const char *p = url;
    if (str_starts(url, "sqlite:")) {
        p += strlen("sqlite:");
        if (str_starts(p, "//")) {
            p += 2;
        }
    } else if (strstr(url, "://")) {
        return ibc_fail(err, IBC_EINVAL, "unsupported database URL");
    }
    if (!*p || strlen(p) >= n - 32) {
        return ibc_fail(err, IBC_EINVAL, "bad SQLite database path");
    }
    *be = DB_SQLITE;
    str_copy(path, p, n);
    return 0;
}

static void dir_of(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        str_copy(out, ".", n);
    } else if (slash == path) {
        str_copy(out, "/", n);
    } else {
        snprintf(out, n, "%.*s", (int)(slash - path), path);
    }
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        return -1;
    }
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* mkstemp with mode 0600 whatever the umask; tmpl is modified. */
static int make_temp(char *tmpl, struct ibc_error *err)
{
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        return ibc_fail(err, IBC_EIO, "cannot create %s: %s", tmpl,
                        strerror(errno));
    }
    if (fchmod(fd, 0600) != 0) {
        int e = errno;
        close(fd);
        unlink(tmpl);
        return ibc_fail(err, IBC_EIO, "cannot chmod %s: %s", tmpl,
                        strerror(e));
    }
    return fd;
}

/* SHA-256 (hex) and size of a file. */
static int hash_file(const char *path, char hex[65], uint64_t *size,
                     struct ibc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return ibc_fail(err, IBC_EIO, "cannot read %s: %s", path,
                        strerror(errno));
    }
    crypto_hash_sha256_state hs;
    crypto_hash_sha256_init(&hs);
    unsigned char *b = xmalloc(65536);
    size_t got;
    *size = 0;
    while ((got = fread(b, 1, 65536, f)) > 0) {
        crypto_hash_sha256_update(&hs, b, got);
        *size += got;
    }
    int rc = ferror(f) ? ibc_fail(err, IBC_EIO, "cannot read %s", path) : 0;
    fclose(f);
    free(b);
    unsigned char d[32];
    crypto_hash_sha256_final(&hs, d);
    str_hex(hex, d, sizeof(d));
    return rc;
}

/* ---- external programs ---- */

static bool find_tool(const char *name, char *out, size_t n)
{
    const char *dirs[3] = {getenv("IBC_PG_BINDIR"), getenv("PATH"),
                           "/usr/lib/postgresql/15/bin"};
    for (int i = 0; i < 3; i++) {
        const char *d = dirs[i];
        while (d && *d) {
            size_t len = strcspn(d, ":");
            if (len) {
                snprintf(out, n, "%.*s/%s", (int)len, d, name);
                if (access(out, X_OK) == 0) {
                    return true;
                }
            }
            d += len + (d[len] == ':');
        }
    }
    return false;
}

/* Runs argv[0] (found with find_tool) with argv, stdout to /dev/null and
 * stderr kept for the message. Returns 0, or IBC_EIO with the program's
 * last words in err. */
/* A database URL with a password would show in `ps` as a program
 * argument: this turns it into a libpq conninfo string without the
 * password (into clean, heap) and returns the password (heap) for the
 * child's PGPASSWORD, or NULL when the URL has none. */
static char *split_password(const char *url, char **clean)
{
    *clean = NULL;
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &msg);
    PQfreemem(msg);
    if (!opts) {
        return NULL;
    }
    char *password = NULL;
    struct buf b = BUF_INIT;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val) {
            continue;
        }
        if (strcmp(o->keyword, "password") == 0) {
            password = xstrdup(o->val);
            continue;
        }
        buf_printf(&b, "%s%s='", b.len ? " " : "", o->keyword);
        for (const char *c = o->val; *c; c++) {
            if (*c == '\'' || *c == '\\') {
                buf_putc(&b, '\\');
            }
            buf_putc(&b, *c);
        }
        buf_putc(&b, '\'');
    }
    PQconninfoFree(opts);
    if (!password) {
        buf_reset(&b);
        return NULL;
    }
    *clean = buf_detach(&b, NULL);
    return password;
}

static int run_tool(const char *const *argv, struct ibc_error *err)
{
    char prog[PATH_MAX];
    if (!find_tool(argv[0], prog, sizeof(prog))) {
        return ibc_fail(err, IBC_EIO,
                        "%s not found (install postgresql-client, or set "
                        "IBC_PG_BINDIR)",
                        argv[0]);
    }
    FILE *errf = tmpfile();
    if (!errf) {
        return ibc_fail(err, IBC_EIO, "cannot create a temporary file");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fileno(errf), 2);
    /* A password in a database URL goes to the child's environment, not
     * its command line. */
    size_t argc = 0, envc = 0;
    while (argv[argc]) {
        argc++;
    }
    while (environ[envc]) {
        envc++;
    }
    const char **args = xcalloc(argc + 1, sizeof(*args));
    char **envp = xcalloc(envc + 2, sizeof(*envp));
    char *clean = NULL, *password = NULL, *pw_env = NULL;
    for (size_t i = 0; i < argc; i++) {
        args[i] = argv[i];
        if (!password && (str_starts(argv[i], "postgres://") ||
                          str_starts(argv[i], "postgresql://"))) {
            password = split_password(argv[i], &clean);
            if (password) {
                args[i] = clean;
            }
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < envc; i++) {
        if (!str_starts(environ[i], "PGPASSWORD=")) {
            envp[k++] = environ[i];
        }
    }
    if (password) {
        size_t n = strlen(password) + 12;
        pw_env = xmalloc(n);
        snprintf(pw_env, n, "PGPASSWORD=%s", password);
        envp[k++] = pw_env;
    }
    pid_t pid;
    int rc = posix_spawn(&pid, prog, &fa, NULL, (char *const *)args,
                         password ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    if (password) {
        sodium_memzero(password, strlen(password));
        sodium_memzero(pw_env, strlen(pw_env));
    }
    free(password);
    free(pw_env);
    free(clean);
    free(args);
    free(envp);
    if (rc != 0) {
        fclose(errf);
        return ibc_fail(err, IBC_EIO, "cannot run %s: %s", prog,
                        strerror(rc));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        fclose(errf);
        return 0;
    }
    char msg[300] = "";
    long end = ftell(errf);
    fseek(errf, end > (long)sizeof(msg) - 1 ? end - (long)sizeof(msg) + 1 : 0,
          SEEK_SET);
    size_t got = fread(msg, 1, sizeof(msg) - 1, errf);
    msg[got] = '\0';
    while (got && (msg[got - 1] == '\n' || msg[got - 1] == ' ')) {
        msg[--got] = '\0';
    }
    fclose(errf);
    return ibc_fail(err, IBC_EIO, "%s failed: %s", argv[0],
                    msg[0] ? msg : "no message");
}

/* ---- the manifest ---- */

struct facts {
    int schema_version;
    char *orgs; /* newline-separated, heap */
};

static int read_facts(struct db *db, struct facts *f, struct ibc_error *err)
{
    struct migrate_row *rows = NULL;
    int n = 0;
    int rc = migrate_status(db, &rows, &n, err);
    if (rc) {
        return rc;
    }
    f->schema_version = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].state != MIGRATE_PENDING &&
            rows[i].version > f->schema_version) {
            f->schema_version = rows[i].version;
        }
    }
    free(rows);
    return backup_store_org_codes(db, &f->orgs, err);
}

static void manifest_json(struct buf *out, const char *backend,
                          const struct facts *f, const char *member,
                          uint64_t size, const char *hash)
{
    char now[32];
    time_now_iso(now);
    struct json j;
    json_init(&j, out);
    json_obj_open(&j, NULL);
    json_put_str(&j, "format", "ibc-backup");
    json_put_int(&j, "format_version", BACKUP_FORMAT_VERSION);
    json_put_str(&j, "ibc_version", IBC_VERSION);
    json_put_str(&j, "backend", backend);
    json_put_int(&j, "schema_version", f->schema_version);
    json_put_str(&j, "created_at", now);
    json_arr_open(&j, "orgs");
    for (const char *p = f->orgs; p && *p;) {
        size_t len = strcspn(p, "\n");
        char code[256];
        snprintf(code, sizeof(code), "%.*s", (int)len, p);
        json_put_str(&j, NULL, code);
        p += len + (p[len] == '\n');
    }
    json_arr_close(&j);
    json_arr_open(&j, "members");
    json_obj_open(&j, NULL);
    json_put_str(&j, "name", member);
    json_put_int(&j, "size", (int64_t)size);
    json_put_str(&j, "sha256", hash);
    json_obj_close(&j);
    json_arr_close(&j);
    json_obj_close(&j);
    buf_putc(out, '\n');
}

/* ---- backup ---- */

/* Dumps the database into dump (an existing empty 0600 file) and reads the
 * manifest's facts from the same snapshot. */
static int dump_db(const char *url, enum db_backend be, const char *sqlite,
                   const char *dump, struct facts *f, struct ibc_error *err)
{
    struct db *db = NULL;
    int rc;
    if (be == DB_SQLITE) {
        if (access(sqlite, F_OK) != 0) {
            return ibc_fail(err, IBC_ENOTFOUND,
                            "no database at %s to back up", sqlite);
        }
        if ((rc = backup_sqlite_copy(sqlite, dump, err))) {
            return rc;
        }
        char u[PATH_MAX + 16];
        snprintf(u, sizeof(u), "sqlite:%s", dump);
        if ((rc = db_open(&db, u, err)) == 0) {
            rc = read_facts(db, f, err);
        }
        db_close(db);
        return rc;
    }
    if ((rc = db_open(&db, url, err))) {
        return rc;
    }
    char snap[128];
    if ((rc = db_begin(db, DB_TX_READ, err)) == 0 &&
        (rc = read_facts(db, f, err)) == 0 &&
        (rc = backup_store_pg_snapshot(db, snap, sizeof(snap), err)) == 0) {
        char a_snap[160], a_file[PATH_MAX + 16];
        snprintf(a_snap, sizeof(a_snap), "--snapshot=%s", snap);
        snprintf(a_file, sizeof(a_file), "--file=%s", dump);
        const char *argv[] = {"pg_dump", "--format=custom", "--no-sync",
                              a_snap, a_file, "--dbname", url, NULL};
        rc = run_tool(argv, err);
    }
    db_rollback(db);
    db_close(db);
    return rc;
}

int backup_write(const char *db_url, const char *path,
                 const struct backup_opts *opts, struct ibc_error *err)
{
    static const struct backup_opts none = {0};
    if (!opts) {
        opts = &none;
    }
    if (sodium_init() < 0) {
        return ibc_fail(err, IBC_EINTERNAL, "libsodium failed to start");
    }
    enum db_backend be;
    char sqlite[PATH_MAX];
    int rc = parse_url(db_url, &be, sqlite, sizeof(sqlite), err);
    if (rc) {
        return rc;
    }
    if (strlen(path) > PATH_MAX - 32) {
        return ibc_fail(err, IBC_EINVAL, "backup file name too long");
    }
    char tmp[PATH_MAX], dump[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
    snprintf(dump, sizeof(dump), "%s.dump-XXXXXX", path);
    struct facts f = {0};
    struct bk_out *o = NULL;
    FILE *out = NULL, *in = NULL;
    struct buf man = BUF_INIT;
    bool have_tmp = false, have_dump = false;
    int fd = make_temp(dump, err);
    if (fd < 0) {
        return fd;
    }
    close(fd);
    have_dump = true;
    if ((rc = dump_db(db_url, be, sqlite, dump, &f, err))) {
        goto out;
    }
    char hash[65];
    uint64_t size = 0;
    if ((rc = hash_file(dump, hash, &size, err))) {
        goto out;
    }
    const char *member = be == DB_SQLITE ? BACKUP_MEMBER_SQLITE
                                         : BACKUP_MEMBER_PGDUMP;
    manifest_json(&man, be == DB_SQLITE ? "sqlite" : "postgresql", &f, member,
                  size, hash);

    if ((fd = make_temp(tmp, err)) < 0) {
        rc = fd;
        goto out;
    }
    have_tmp = true;
    out = fdopen(fd, "wb");
    in = fopen(dump, "rb");
    if (!out || !in) {
        if (!out) {
            close(fd);
        }
        rc = ibc_fail(err, IBC_EIO, "cannot write %s: %s", tmp,
                      strerror(errno));
        goto out;
    }
    if ((rc = bk_out_new(&o, out, opts->passphrase, opts->opslimit,
                         opts->memlimit, err)) ||
        (rc = tar_write_mem(o, BACKUP_MEMBER_MANIFEST, man.data, man.len,
                            err)) ||
        (rc = tar_write_file(o, member, in, size, err)) ||
        (rc = tar_write_end(o, err)) || (rc = bk_out_finish(o, err))) {
        goto out;
    }
    if (fsync(fileno(out)) != 0 || fclose(out) != 0) {
        out = NULL;
        rc = ibc_fail(err, IBC_EIO, "cannot write %s: %s", tmp,
                      strerror(errno));
        goto out;
    }
    out = NULL;
    if (rename(tmp, path) != 0) {
        rc = ibc_fail(err, IBC_EIO, "cannot rename %s to %s: %s", tmp, path,
                      strerror(errno));
        goto out;
    }
    have_tmp = false;
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof(dir));
    fsync_dir(dir);
out:
    bk_out_free(o);
    if (out) {
        fclose(out);
    }
    if (in) {
        fclose(in);
    }
    if (have_tmp) {
        unlink(tmp);
    }
    if (have_dump) {
        unlink(dump);
    }
    buf_reset(&man);
    free(f.orgs);
    return rc;
}

/* ---- restore ---- */

struct work {
    char dir[PATH_MAX];
    int n_files;
};

static void work_path(const struct work *w, int i, char *out, size_t n)
{
    snprintf(out, n, "%s/m%d", w->dir, i);
}

static void work_cleanup(struct work *w)
{
    if (!w->dir[0]) {
        return;
    }
    char p[PATH_MAX + 32];
    for (int i = 0; i < w->n_files; i++) {
        work_path(w, i, p, sizeof(p));
        unlink(p);
    }
    static const char *const extra[] = {"clean.sql", "restore.sql",
                                        "db-wal", "db-shm", "db-journal"};
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", w->dir, extra[i]);
        unlink(p);
    }
    for (int i = 0; i < w->n_files; i++) {
        snprintf(p, sizeof(p), "%s/m%d-wal", w->dir, i);
        unlink(p);
        snprintf(p, sizeof(p), "%s/m%d-shm", w->dir, i);
        unlink(p);
    }
    rmdir(w->dir);
    w->dir[0] = '\0';
}

static int known_schema(enum db_backend be, int *max, struct ibc_error *err)
{
    struct migration *list = NULL;
    int n = 0;
    int rc = migrate_list_build(be, embed_files, embed_count, &list, &n, err);
    if (rc == 0) {
        *max = n ? list[n - 1].version : 0;
    }
    migrate_list_free(list, n);
    return rc;
}

/* Reads and checks the whole archive into w; m gets the manifest. *db_file
 * is the index of the database member. */
static int read_archive(FILE *f, const struct backup_opts *opts,
                        enum db_backend be, struct work *w,
                        struct backup_manifest *m, int *db_file,
                        struct backup_info *info, struct ibc_error *err)
{
    struct bk_in *in = NULL;
    char *text = NULL;
    bool *seen = NULL;
    char name[101], hash[65];
    uint64_t size;
    int rc = bk_in_new(&in, f, opts->passphrase, &info->encrypted, err);
    if (rc) {
        goto out;
    }
    if ((rc = tar_read_header(in, name, &size, err)) < 0) {
        goto out;
    }
    if (rc == 0 || strcmp(name, BACKUP_MEMBER_MANIFEST) != 0) {
        rc = ibc_fail(err, IBC_EPARSE,
                      "not an ibc backup (no manifest.json at its start)");
        goto out;
    }
    if (size > MANIFEST_MAX) {
        rc = ibc_fail(err, IBC_EPARSE, "the backup's manifest is too big");
        goto out;
    }
    text = xmalloc((size_t)size + 1);
    if ((rc = tar_read_data(in, size, NULL, text, hash, err)) ||
        (rc = backup_manifest_parse(text, (size_t)size, m, err))) {
        goto out;
    }
    str_copy(info->backend, m->backend, sizeof(info->backend));
    str_copy(info->created_at, m->created_at, sizeof(info->created_at));
    str_copy(info->ibc_version, m->ibc_version, sizeof(info->ibc_version));
    info->schema_version = m->schema_version;

    const char *want_be = be == DB_SQLITE ? "sqlite" : "postgresql";
    if (strcmp(m->backend, want_be) != 0) {
        rc = ibc_fail(err, IBC_EINVAL,
                      "the backup holds a %s database and cannot be restored "
                      "into %s: restore it into a %s database",
                      m->backend, want_be, m->backend);
        goto out;
    }
    int max = 0;
    if ((rc = known_schema(be, &max, err))) {
        goto out;
    }
    if (m->schema_version > max) {
        rc = ibc_fail(err, IBC_ECONFLICT,
                      "the backup's schema version %d is newer than this ibc "
                      "knows (%d): restore it with ibc %s or newer",
                      m->schema_version, max,
                      m->ibc_version[0] ? m->ibc_version : "a newer");
        goto out;
    }
    const char *db_member = be == DB_SQLITE ? BACKUP_MEMBER_SQLITE
                                            : BACKUP_MEMBER_PGDUMP;
    *db_file = -1;
    seen = xcalloc((size_t)m->n_members + 1, sizeof(*seen));
    for (;;) {
        if ((rc = tar_read_header(in, name, &size, err)) < 0) {
            goto out;
        }
        if (rc == 0) {
            break;
        }
        int k = -1;
        for (int i = 0; i < m->n_members; i++) {
            if (strcmp(m->members[i].name, name) == 0) {
                k = i;
                break;
            }
        }
        if (k < 0 || seen[k]) {
            rc = ibc_fail(err, IBC_EPARSE,
                          "the backup holds member %s %s", name,
                          k < 0 ? "that its manifest does not list"
                                : "twice");
            goto out;
        }
        seen[k] = true;
        if (size != m->members[k].size) {
            rc = ibc_fail(err, IBC_EPARSE,
                          "size mismatch in member %s: the backup is damaged",
                          name);
            goto out;
        }
        char p[PATH_MAX + 32];
        work_path(w, k, p, sizeof(p));
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
        FILE *mf = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (!mf) {
            if (fd >= 0) {
                close(fd);
            }
            rc = ibc_fail(err, IBC_EIO, "cannot write %s: %s", p,
                          strerror(errno));
            goto out;
        }
        if (w->n_files < k + 1) {
            w->n_files = k + 1;
        }
        rc = tar_read_data(in, size, mf, NULL, hash, err);
        if (fflush(mf) != 0 || fsync(fileno(mf)) != 0) {
            rc = rc ? rc : ibc_fail(err, IBC_EIO, "cannot write %s", p);
        }
        fclose(mf);
        if (rc) {
            goto out;
        }
        if (strcmp(hash, m->members[k].sha256) != 0) {
            rc = ibc_fail(err, IBC_EPARSE,
                          "hash mismatch in member %s: the backup is "
                          "damaged; nothing was restored",
                          name);
            goto out;
        }
        if (strcmp(name, db_member) == 0) {
            *db_file = k;
        }
    }
    for (int i = 0; i < m->n_members; i++) {
        if (!seen[i]) {
            rc = ibc_fail(err, IBC_EPARSE,
                          "member %s is missing from the backup",
                          m->members[i].name);
            goto out;
        }
    }
    if (*db_file < 0) {
        rc = ibc_fail(err, IBC_EPARSE, "the backup holds no %s", db_member);
        goto out;
    }
    rc = bk_in_finish(in, err);
out:
    bk_in_free(in);
    free(text);
    free(seen);
    return rc;
}

/* Migrates the restored database and signs everybody out. */
static int after_restore(const char *url, struct backup_info *info,
                         struct ibc_error *err)
{
    struct db *db = NULL;
    int rc = db_open(&db, url, err);
    if (rc == 0 && (rc = migrate_apply(db, &info->migrations_run, err)) == 0) {
        rc = backup_store_invalidate(db, err);
    }
    db_close(db);
    return rc;
}

static int pg_in_use(const char *url, struct ibc_error *err)
{
    struct db *db = NULL;
    int64_t n = 0;
    int rc = db_open(&db, url, err);
    /* A server that just stopped leaves its backends for a moment. */
    for (int i = 0; rc == 0 && i < 30; i++) {
        if ((rc = backup_store_pg_others(db, &n, err)) || n == 0) {
            break;
        }
        usleep(100 * 1000);
    }
    db_close(db);
    if (rc == 0 && n > 0) {
        rc = ibc_fail(err, IBC_EUNAVAIL,
                      "the database is in use by %lld other connection%s "
                      "(is `ibc serve` running?): stop the server before "
                      "restoring",
                      (long long)n, n == 1 ? "" : "s");
    }
    return rc;
}

static int restore_pg(const char *url, struct work *w, int k,
                      struct ibc_error *err)
{
    char dump[PATH_MAX + 32], sql[PATH_MAX + 32], clean[PATH_MAX + 32];
    work_path(w, k, dump, sizeof(dump));
    snprintf(sql, sizeof(sql), "%s/restore.sql", w->dir);
    snprintf(clean, sizeof(clean), "%s/clean.sql", w->dir);
    int rc = pg_in_use(url, err);
    if (rc) {
        return rc;
    }
    FILE *cf = fopen(clean, "wx");
    if (!cf || fputs(backup_store_pg_clean_sql, cf) < 0 || fclose(cf) != 0) {
        return ibc_fail(err, IBC_EIO, "cannot write %s", clean);
    }
    char a_out[PATH_MAX + 48], a_clean[PATH_MAX + 48], a_sql[PATH_MAX + 48];
    snprintf(a_out, sizeof(a_out), "--file=%s", sql);
    snprintf(a_clean, sizeof(a_clean), "--file=%s", clean);
    snprintf(a_sql, sizeof(a_sql), "--file=%s", sql);
    /* pg_restore only converts the dump to SQL (it checks the archive);
     * psql runs emptying and restoring as one transaction. */
    const char *conv[] = {"pg_restore", "--no-owner", "--no-privileges",
                          a_out, dump, NULL};
    const char *run[] = {"psql", "--no-psqlrc", "--quiet",
                         "--set=ON_ERROR_STOP=1", "--single-transaction",
                         a_clean, a_sql, "--dbname", url, NULL};
    if ((rc = run_tool(conv, err)) || (rc = run_tool(run, err))) {
        return rc;
    }
    return 0;
}

static int restore_sqlite(const char *live, struct work *w, int k,
                          struct backup_info *info, struct ibc_error *err)
{
    char file[PATH_MAX + 32], url[PATH_MAX + 48];
    work_path(w, k, file, sizeof(file));
    snprintf(url, sizeof(url), "sqlite:%s", file);
    int rc = backup_sqlite_check(file, err);
    if (rc || (rc = after_restore(url, info, err))) {
        return rc;
    }
    if (access(live, F_OK) == 0 && (rc = backup_sqlite_quiesce(live, err))) {
        return rc;
    }
    /* The old WAL must not be replayed onto the new file: it was just
     * checkpointed, so removing it loses nothing. */
    char side[PATH_MAX + 16];
    snprintf(side, sizeof(side), "%s-wal", live);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", live);
    unlink(side);
    if (rename(file, live) != 0) {
        return ibc_fail(err, IBC_EIO, "cannot rename %s to %s: %s", file, live,
                        strerror(errno));
    }
    char dir[PATH_MAX];
    dir_of(live, dir, sizeof(dir));
    fsync_dir(dir);
    return 0;
}

int backup_restore(const char *db_url, const char *path,
                   const struct backup_opts *opts, struct backup_info *info,
                   struct ibc_error *err)
{
    static const struct backup_opts none = {0};
    struct backup_info scratch;
    if (!opts) {
        opts = &none;
    }
    if (!info) {
        info = &scratch;
    }
    memset(info, 0, sizeof(*info));
    if (sodium_init() < 0) {
        return ibc_fail(err, IBC_EINTERNAL, "libsodium failed to start");
    }
    enum db_backend be;
    char sqlite[PATH_MAX];
    int rc = parse_url(db_url, &be, sqlite, sizeof(sqlite), err);
    if (rc) {
        return rc;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        return ibc_fail(err, IBC_EIO, "cannot read %s: %s", path,
                        strerror(errno));
    }
    struct work w = {{0}, 0};
    struct backup_manifest m = {0};
    char base[PATH_MAX - 64];
    if (be == DB_SQLITE) {
        dir_of(sqlite, base, sizeof(base)); /* same file system: rename */
    } else {
        str_copy(base, opts->work_dir ? opts->work_dir
                       : getenv("TMPDIR") ? getenv("TMPDIR")
                                          : "/tmp",
                 sizeof(base));
    }
    snprintf(w.dir, sizeof(w.dir), "%s/.ibc-restore-XXXXXX", base);
    if (!mkdtemp(w.dir)) {
        rc = ibc_fail(err, IBC_EIO, "cannot create a folder in %s: %s", base,
                      strerror(errno));
        w.dir[0] = '\0';
        goto out;
    }
    /* Refuse early when a server runs (checked again before replacing). */
    if (be == DB_SQLITE && access(sqlite, F_OK) == 0) {
        rc = backup_sqlite_quiesce(sqlite, err);
    } else if (be == DB_PG) {
        rc = pg_in_use(db_url, err);
    }
    int k = -1;
    if (rc || (rc = read_archive(f, opts, be, &w, &m, &k, info, err))) {
        goto out;
    }
    if (be == DB_SQLITE) {
        rc = restore_sqlite(sqlite, &w, k, info, err);
    } else if ((rc = restore_pg(db_url, &w, k, err)) == 0) {
        rc = after_restore(db_url, info, err);
    }
out:
    fclose(f);
    work_cleanup(&w);
    backup_manifest_reset(&m);
    return rc;
}

int backup_passphrase(const char *key_file, char **out, struct ibc_error *err)
{
    *out = NULL;
    if (key_file) {
        FILE *f = fopen(key_file, "r");
        if (!f) {
            return ibc_fail(err, IBC_EIO, "cannot read key file %s: %s",
                            key_file, strerror(errno));
        }
        char *line = xcalloc(1, 1025);
        if (!fgets(line, 1025, f)) {
            line[0] = '\0';
        }
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) {
            backup_passphrase_free(line);
            return ibc_fail(err, IBC_EINVAL, "key file %s is empty", key_file);
        }
        *out = line;
        return 0;
    }
    const char *env = getenv("IBC_BACKUP_PASSPHRASE");
    if (!env) {
        return 0;
    }
    if (!*env) {
        return ibc_fail(err, IBC_EINVAL, "IBC_BACKUP_PASSPHRASE is empty");
    }
    *out = xstrdup(env);
    return 0;
}

void backup_passphrase_free(char *p)
{
    if (p) {
        sodium_memzero(p, strlen(p));
        free(p);
    }
}
