/* ibc — tests of backups: the archive, restore and its refusals, encryption,
 * file modes and rotation, on SQLite and (with IBC_TEST_PG_URL) PostgreSQL. */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/backup.h"
#include "core/embed.h"
#include "db/db.h"
#include "db/migrate.h"
#include "demo/demo.h"
#include "harness.h"
#include "jobs/jobs.h"

/* Fast argon2id for tests (the format stores the cost). */
static struct backup_opts enc_opts(const char *pass)
{
    struct backup_opts o = {0};
    o.passphrase = pass;
    o.opslimit = crypto_pwhash_OPSLIMIT_MIN;
    o.memlimit = crypto_pwhash_MEMLIMIT_MIN;
    return o;
}

static bool is_pg(const char *url)
{
    return strncmp(url, "postgres", 8) == 0;
}

static bool contains(const char *d, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(d + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

struct tb {
    char name[16];
    char url[1100];
};

/* Fresh databases (one per backend), migrated and seeded with the demo. */
static int fresh(struct tb out[2])
{
    const char *names[2], *urls[2];
    int n = test_db_urls(names, urls);
    for (int i = 0; i < n; i++) {
        snprintf(out[i].name, sizeof(out[i].name), "%s", names[i]);
        snprintf(out[i].url, sizeof(out[i].url), "%s", urls[i]);
        struct db *db = NULL;
        struct ibc_error err = IBC_ERROR_INIT;
        bool created = false;
        if (db_open(&db, urls[i], &err) || migrate_apply(db, NULL, &err) ||
            demo_seed(db, &created, &err)) {
            test_fail(__FILE__, __LINE__, "%s: %s", names[i], err.msg);
        }
        db_close(db);
    }
    return n;
}

static int64_t count(const char *url, const char *sql)
{
    struct db *db = NULL;
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t n = -1;
    if (db_open(&db, url, &err) || db_query_int64(db, &n, &err, sql, DB_END) < 0) {
        db_close(db);
        test_fail(__FILE__, __LINE__, "%s: %s", sql, err.msg);
    }
    db_close(db);
    return n;
}

static void run(const char *url, const char *sql)
{
    struct db *db = NULL;
    struct ibc_error err = IBC_ERROR_INIT;
    if (db_open(&db, url, &err) || db_exec_script(db, sql, &err)) {
        db_close(db);
        test_fail(__FILE__, __LINE__, "%s: %s", sql, err.msg);
    }
    db_close(db);
}

/* A new archive path; static buffer, valid until the next call. */
static const char *archive(const char *what, const char *be)
{
    static char p[512];
    static int seq;
    snprintf(p, sizeof(p), "%.300s/%.20s-%.15s-%d.ibcbak", test_tmpdir(), what, be,
             ++seq);
    return p;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1);
    CHECK(fread(d, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    d[n] = '\0';
    *len = (size_t)n;
    return d;
}

static void spit(const char *path, const char *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(d, 1, n, f) == n);
    fclose(f);
}

static uint64_t octal_at(const char *p, int width)
{
    uint64_t v = 0;
    for (int i = 0; i < width && p[i] >= '0' && p[i] <= '7'; i++) {
        v = v * 8 + (uint64_t)(p[i] - '0');
    }
    return v;
}

TEST(roundtrip_restores_data_and_signs_everybody_out)
{
    struct tb t[2];
    int n = fresh(t);
    for (int i = 0; i < n; i++) {
        printf("    [%s]\n", t[i].name);
        const char *url = t[i].url;
        /* Sessions and tokens: the tables of migration 0004 when present,
         * else stand-ins, so the invalidation is seen either way. */
        bool own_tables = count(url, is_pg(url)
                                         ? "SELECT count(*) FROM "
                                           "information_schema.tables WHERE "
                                           "table_name = 'session'"
                                         : "SELECT count(*) FROM sqlite_master "
                                           "WHERE name = 'session'") == 0;
        if (own_tables) {
            run(url, "CREATE TABLE session (id_hash TEXT PRIMARY KEY);"
                     "CREATE TABLE api_token (id TEXT PRIMARY KEY, "
                     "revoked_at TEXT);"
                     "INSERT INTO session VALUES ('s1');"
                     "INSERT INTO api_token VALUES ('t1', NULL);");
        } else {
            /* migration 0004: a session and a token of a demo person */
            if (count(url, "SELECT count(*) FROM person") == 0) {
                run(url, "INSERT INTO person (org_id, login) "
                         "SELECT id, 'bk' FROM org");
            }
            run(url,
                "INSERT INTO session (id_hash, org_id, person_id, created_at,"
                " last_seen_at, expires_at) SELECT "
                "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                "aaaa', org_id, id, '2024-01-01T00:00:00Z', "
                "'2024-01-01T00:00:00Z', '2099-01-01T00:00:00Z' FROM person "
                "ORDER BY id LIMIT 1;"
                "INSERT INTO api_token (org_id, person_id, token_hash, name, "
                "scope, created_at) SELECT org_id, id, "
                "'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
                "bbbb', 'test', 'read', '2024-01-01T00:00:00Z' FROM person "
                "ORDER BY id LIMIT 1;"
                /* migration 0007: an open password-reset link */
                "INSERT INTO password_reset (org_id, person_id, token_hash, "
                "created_at, expires_at) SELECT org_id, id, "
                "'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
                "cccc', '2024-01-01T00:00:00Z', '2099-01-01T00:00:00Z' FROM "
                "person ORDER BY id LIMIT 1");
        }
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM session"), 1);
        int64_t news = count(url, "SELECT count(*) FROM news");
        CHECK(news > 0);
        const char *file = archive("rt", t[i].name);
        struct ibc_error err = IBC_ERROR_INIT;
        CHECK_EQ_INT(backup_write(url, file, NULL, &err), 0);

        /* change things after the backup */
        run(url, "DELETE FROM news");
        run(url, "UPDATE org SET name = 'Changed'");
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM news"), 0);

        struct backup_info info;
        int rc = backup_restore(url, file, NULL, &info, &err);
        if (rc) {
            test_fail(__FILE__, __LINE__, "restore: %s", err.msg);
        }
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM news"), news);
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM org WHERE name = "
                                "'Changed'"),
                     0);
        CHECK_EQ_STR(info.backend, is_pg(url) ? "postgresql"
                                                         : "sqlite");
        CHECK(info.schema_version >= 2);
        CHECK_EQ_INT(info.migrations_run, 0);
        CHECK(!info.encrypted);
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM session"), 0);
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM api_token "
                                "WHERE revoked_at IS NULL"),
                     0);
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM api_token"), 1);
        if (!own_tables) {
            /* a reset link from before the backup opens nothing */
            CHECK_EQ_INT(count(url, "SELECT count(*) FROM password_reset"),
                         0);
        }
        /* the restored database is a working, current one */
        struct db *db = NULL;
        CHECK_EQ_INT(db_open(&db, url, &err), 0);
        CHECK_EQ_INT(migrate_check(db, &err), 0);
        db_close(db);
    }
}

TEST(older_schema_is_migrated_after_restore)
{
    const char *names[2], *urls[2];
    int n = test_db_urls(names, urls);
    for (int i = 0; i < n; i++) {
        printf("    [%s]\n", names[i]);
        char url[1100];
        snprintf(url, sizeof(url), "%s", urls[i]);
        /* a database of an older ibc: only migration 0001 */
        struct db *db = NULL;
        struct ibc_error err = IBC_ERROR_INIT;
        struct migration *list = NULL;
        int nl = 0;
        CHECK_EQ_INT(db_open(&db, url, &err), 0);
        CHECK_EQ_INT(migrate_list_build(db_backend(db), embed_files,
                                        embed_count, &list, &nl, &err),
                     0);
        CHECK(nl >= 2);
        CHECK_EQ_INT(migrate_apply_list(db, list, 1, NULL, &err), 0);
        migrate_list_free(list, nl);
        db_close(db);
        run(url, "INSERT INTO org (code, name, short_name, created_at) "
                 "VALUES ('old', 'Old school', 'Old', '2020-01-01T00:00:00Z');"
                 "INSERT INTO news (org_id, title, body, published_at, "
                 "created_at) SELECT id, 'Kept', 'b', '2020-01-01T00:00:00Z', "
                 "'2020-01-01T00:00:00Z' FROM org");
        const char *file = archive("old", names[i]);
        CHECK_EQ_INT(backup_write(url, file, NULL, &err), 0);
        run(url, "DELETE FROM news");
        struct backup_info info;
        int rc = backup_restore(url, file, NULL, &info, &err);
        if (rc) {
            test_fail(__FILE__, __LINE__, "restore: %s", err.msg);
        }
        CHECK_EQ_INT(info.schema_version, 1);
        CHECK_EQ_INT(info.migrations_run, nl - 1);
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM news WHERE title = "
                                "'Kept'"),
                     1);
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM job"), 0);
    }
}

/* Offset of the first data byte of the second member (the dump). */
static size_t dump_offset(const char *d, uint64_t *size)
{
    uint64_t msize = octal_at(d + 124, 11);
    size_t h2 = 512 + (size_t)((msize + 511) / 512 * 512);
    *size = octal_at(d + h2 + 124, 11);
    return h2 + 512;
}

TEST(corrupted_member_is_refused_and_nothing_changes)
{
    struct tb t[2];
    int n = fresh(t);
    for (int i = 0; i < n; i++) {
        printf("    [%s]\n", t[i].name);
        const char *url = t[i].url;
        const char *file = archive("bad", t[i].name);
        struct ibc_error err = IBC_ERROR_INIT;
        CHECK_EQ_INT(backup_write(url, file, NULL, &err), 0);
        size_t len;
        char *d = slurp(file, &len);
        CHECK(memcmp(d, "manifest.json", 14) == 0);
        CHECK_CONTAINS(d + 512, "\"format\":\"ibc-backup\"");
        uint64_t dsize;
        size_t off = dump_offset(d, &dsize);
        CHECK(dsize > 100 && off + dsize <= len);
        d[off + dsize / 2] ^= 0x40;
        spit(file, d, len);
        free(d);

        run(url, "DELETE FROM news");
        int rc = backup_restore(url, file, NULL, NULL, &err);
        CHECK_EQ_INT(rc, IBC_EPARSE);
        CHECK_CONTAINS(err.msg, "hash mismatch in member db/ibc.");
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM news"), 0);
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM org"), 1);
    }
}

TEST(wrong_backend_is_refused)
{
    struct tb t[2];
    int n = fresh(t);
    struct ibc_error err = IBC_ERROR_INIT;
    /* A hand-made archive claiming to hold a PostgreSQL dump. */
    const char *file = archive("pgclaim", "x");
    FILE *f = fopen(file, "wb");
    CHECK(f != NULL);
    struct bk_out *o = NULL;
    const char dump[] = "PGDMP not really";
    char hex[65];
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)dump, sizeof(dump) - 1);
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    }
    char man[512];
    snprintf(man, sizeof(man),
             "{\"format\":\"ibc-backup\",\"format_version\":1,\"backend\":"
             "\"postgresql\",\"schema_version\":1,\"members\":[{\"name\":"
             "\"db/ibc.pgdump\",\"size\":%zu,\"sha256\":\"%s\"}]}",
             sizeof(dump) - 1, hex);
    CHECK_EQ_INT(bk_out_new(&o, f, NULL, 0, 0, &err), 0);
    CHECK_EQ_INT(tar_write_mem(o, "manifest.json", man, strlen(man), &err), 0);
    CHECK_EQ_INT(tar_write_mem(o, "db/ibc.pgdump", dump, sizeof(dump) - 1,
                               &err),
                 0);
    CHECK_EQ_INT(tar_write_end(o, &err), 0);
    CHECK_EQ_INT(bk_out_finish(o, &err), 0);
    bk_out_free(o);
    fclose(f);
    CHECK_EQ_INT(backup_restore(t[0].url, file, NULL, NULL, &err), IBC_EINVAL);
    CHECK_CONTAINS(err.msg, "holds a postgresql database");
    CHECK_EQ_INT(count(t[0].url, "SELECT count(*) FROM org"), 1);
    if (n == 2) {
        /* The real thing both ways. */
        char pgfile[512], sqfile[512];
        snprintf(pgfile, sizeof(pgfile), "%s", archive("cross", "pg"));
        snprintf(sqfile, sizeof(sqfile), "%s", archive("cross", "sqlite"));
        CHECK_EQ_INT(backup_write(t[1].url, pgfile, NULL, &err), 0);
        CHECK_EQ_INT(backup_write(t[0].url, sqfile, NULL, &err), 0);
        CHECK_EQ_INT(backup_restore(t[0].url, pgfile, NULL, NULL, &err),
                     IBC_EINVAL);
        CHECK_CONTAINS(err.msg, "holds a postgresql database");
        CHECK_EQ_INT(backup_restore(t[1].url, sqfile, NULL, NULL, &err),
                     IBC_EINVAL);
        CHECK_CONTAINS(err.msg, "holds a sqlite database");
    }
}

TEST(newer_schema_is_refused)
{
    struct tb t[2];
    int n = fresh(t);
    for (int i = 0; i < n; i++) {
        printf("    [%s]\n", t[i].name);
        const char *url = t[i].url;
        run(url, "INSERT INTO schema_migrations (version, name, checksum, "
                 "applied_at) VALUES (9999, 'future', 'x', "
                 "'2030-01-01T00:00:00Z')");
        const char *file = archive("newer", t[i].name);
        struct ibc_error err = IBC_ERROR_INIT;
        CHECK_EQ_INT(backup_write(url, file, NULL, &err), 0);
        run(url, "DELETE FROM schema_migrations WHERE version = 9999;"
                 "DELETE FROM news");
        CHECK_EQ_INT(backup_restore(url, file, NULL, NULL, &err),
                     IBC_ECONFLICT);
        CHECK_CONTAINS(err.msg, "schema version 9999 is newer");
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM news"), 0);
    }
}

TEST(encrypted_roundtrip_and_refusals)
{
    struct tb t[2];
    int n = fresh(t);
    for (int i = 0; i < n; i++) {
        printf("    [%s]\n", t[i].name);
        const char *url = t[i].url;
        int64_t news = count(url, "SELECT count(*) FROM news");
        char file[512];
        snprintf(file, sizeof(file), "%s", archive("enc", t[i].name));
        struct ibc_error err = IBC_ERROR_INIT;
        struct backup_opts good = enc_opts("correct horse battery");
        struct backup_opts wrong = enc_opts("wrong horse");
        CHECK_EQ_INT(backup_write(url, file, &good, &err), 0);
        size_t len;
        char *d = slurp(file, &len);
        CHECK(memcmp(d, "IBCENC01", 8) == 0);
        CHECK(!contains(d, len, "ibc-backup")); /* no plain text */
        run(url, "DELETE FROM news");

        CHECK_EQ_INT(backup_restore(url, file, NULL, NULL, &err), IBC_EAUTH);
        CHECK_CONTAINS(err.msg, "encrypted");
        CHECK_EQ_INT(backup_restore(url, file, &wrong, NULL, &err), IBC_EAUTH);
        CHECK_CONTAINS(err.msg, "wrong passphrase");
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM news"), 0);

        /* cut short: mid-chunk and at the end of the last chunk */
        char cut[600];
        snprintf(cut, sizeof(cut), "%s.cut", file);
        spit(cut, d, len - 100);
        CHECK(backup_restore(url, cut, &good, NULL, &err) < 0);
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM news"), 0);
        if (len > 48 + 24 + 65536 + 17) {
            spit(cut, d, 48 + 24 + 65536 + 17); /* exactly one chunk */
            CHECK_EQ_INT(backup_restore(url, cut, &good, NULL, &err),
                         IBC_EPARSE);
            CHECK_CONTAINS(err.msg, "cut short");
        }
        /* one changed byte */
        d[len / 2] ^= 1;
        spit(cut, d, len);
        CHECK_EQ_INT(backup_restore(url, cut, &good, NULL, &err), IBC_EAUTH);
        d[len / 2] ^= 1;
        /* bytes added at the end */
        char *longer = malloc(len + 5);
        memcpy(longer, d, len);
        memcpy(longer + len, "extra", 5);
        spit(cut, longer, len + 5);
        free(longer);
        CHECK(backup_restore(url, cut, &good, NULL, &err) < 0);
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM news"), 0);
        free(d);

        struct backup_info info;
        int rc = backup_restore(url, file, &good, &info, &err);
        if (rc) {
            test_fail(__FILE__, __LINE__, "restore: %s", err.msg);
        }
        CHECK(info.encrypted);
        CHECK_EQ_INT(count(url, "SELECT count(*) FROM news"), news);
    }
}

TEST(truncated_plain_archive_is_refused)
{
    struct tb t[2];
    fresh(t);
    const char *url = t[0].url;
    char file[512];
    snprintf(file, sizeof(file), "%s", archive("trunc", "sqlite"));
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(backup_write(url, file, NULL, &err), 0);
    size_t len;
    char *d = slurp(file, &len);
    run(url, "DELETE FROM news");
    spit(file, d, len - 2000);
    free(d);
    CHECK_EQ_INT(backup_restore(url, file, NULL, NULL, &err), IBC_EPARSE);
    CHECK_CONTAINS(err.msg, "cut short");
    CHECK_EQ_INT(count(url, "SELECT count(*) FROM news"), 0);
    spit(file, "not a backup at all", 19);
    CHECK_EQ_INT(backup_restore(url, file, NULL, NULL, &err), IBC_EPARSE);
}

TEST(files_are_0600_whatever_the_umask)
{
    struct tb t[2];
    int n = fresh(t);
    mode_t old = umask(0);
    for (int i = 0; i < n; i++) {
        const char *file = archive("mode", t[i].name);
        struct ibc_error err = IBC_ERROR_INIT;
        int rc = backup_write(t[i].url, file, NULL, &err);
        struct stat st;
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(stat(file, &st), 0);
        CHECK_EQ_INT(st.st_mode & 0777, 0600);
    }
    umask(old);
    /* No temporary files are left next to the archives. */
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "ls %s | grep -q -- '-XXXX\\|\\.tmp-\\|\\.dump-'",
             test_tmpdir());
    CHECK(system(cmd) != 0);
}

TEST(restore_refuses_while_the_database_is_in_use)
{
    struct tb t[2];
    int n = fresh(t);
    for (int i = 0; i < n; i++) {
        printf("    [%s]\n", t[i].name);
        const char *file = archive("busy", t[i].name);
        struct ibc_error err = IBC_ERROR_INIT;
        CHECK_EQ_INT(backup_write(t[i].url, file, NULL, &err), 0);
        struct db *server = NULL; /* as a running server would */
        CHECK_EQ_INT(db_open(&server, t[i].url, &err), 0);
        int64_t x;
        CHECK(db_query_int64(server, &x, &err, "SELECT count(*) FROM org",
                             DB_END) == DB_ROW);
        int rc = backup_restore(t[i].url, file, NULL, NULL, &err);
        db_close(server);
        CHECK_EQ_INT(rc, IBC_EUNAVAIL);
        CHECK_CONTAINS(err.msg, "stop the server");
        CHECK_EQ_INT(backup_restore(t[i].url, file, NULL, NULL, &err), 0);
    }
}

static void touch(const char *dir, const char *name)
{
    char p[1200];
    snprintf(p, sizeof(p), "%.600s/%.500s", dir, name);
    spit(p, "x", 1);
}

static bool exists(const char *dir, const char *name)
{
    char p[1200];
    snprintf(p, sizeof(p), "%.600s/%.500s", dir, name);
    return access(p, F_OK) == 0;
}

TEST(rotation_keeps_the_newest)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/rot", test_tmpdir());
    CHECK_EQ_INT(mkdir(dir, 0700), 0);
    touch(dir, "ibc-20240101-000000.ibcbak");
    touch(dir, "ibc-20240102-000000.ibcbak");
    touch(dir, "ibc-20240103-000000.ibcbak");
    touch(dir, "ibc-20231231-235959.ibcbak");
    touch(dir, "keep-me.ibcbak");
    touch(dir, "ibc-2024-bad.ibcbak");
    struct ibc_error err = IBC_ERROR_INIT;
    int del = 0;
    CHECK_EQ_INT(backup_rotate(dir, 2, &del, &err), 0);
    CHECK_EQ_INT(del, 2);
    CHECK(!exists(dir, "ibc-20231231-235959.ibcbak"));
    CHECK(!exists(dir, "ibc-20240101-000000.ibcbak"));
    CHECK(exists(dir, "ibc-20240102-000000.ibcbak"));
    CHECK(exists(dir, "ibc-20240103-000000.ibcbak"));
    CHECK(exists(dir, "keep-me.ibcbak"));
    CHECK(exists(dir, "ibc-2024-bad.ibcbak"));

    /* The scheduled run: backup_keep = 2 counts the new file. */
    struct tb t[2];
    int n = fresh(t);
    for (int i = 0; i < n; i++) {
        printf("    [%s]\n", t[i].name);
        char sub[600];
        snprintf(sub, sizeof(sub), "%.400s/sched-%.15s", dir, t[i].name);
        CHECK_EQ_INT(mkdir(sub, 0700), 0);
        touch(sub, "ibc-20200101-000000.ibcbak");
        touch(sub, "ibc-20200102-000000.ibcbak");
        touch(sub, "ibc-20200103-000000.ibcbak");
        struct db *db = NULL;
        CHECK_EQ_INT(db_open(&db, t[i].url, &err), 0);
        int keep = 0;
        CHECK_EQ_INT(backup_store_keep(db, &keep, &err), 0);
        CHECK_EQ_INT(keep, BACKUP_KEEP_DEFAULT);
        CHECK_EQ_INT(db_run(db, &err,
                            "INSERT INTO org_setting (org_id, key, value) "
                            "SELECT id, 'backup_keep', '2' FROM org",
                            DB_END),
                     0);
        char name[64];
        int rc = backup_run_scheduled(db, t[i].url, sub, NULL, name,
                                      sizeof(name), &err);
        db_close(db);
        if (rc) {
            test_fail(__FILE__, __LINE__, "scheduled: %s", err.msg);
        }
        CHECK(exists(sub, name));
        CHECK(strncmp(name, "ibc-20", 6) == 0);
        CHECK(exists(sub, "ibc-20200103-000000.ibcbak"));
        CHECK(!exists(sub, "ibc-20200102-000000.ibcbak"));
        CHECK(!exists(sub, "ibc-20200101-000000.ibcbak"));
    }
}

TEST(manifest_parser_refuses_junk)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{",
        "{\"format\":\"other\",\"format_version\":1,\"backend\":\"sqlite\","
        "\"schema_version\":1}",
        "{\"format\":\"ibc-backup\",\"backend\":\"sqlite\","
        "\"schema_version\":1}",
        "{\"format\":\"ibc-backup\",\"format_version\":1,\"backend\":"
        "\"sqlite\",\"schema_version\":1,\"members\":[{\"name\":\"a\"}]}",
        "{\"format\":\"ibc-backup\",\"format_version\":1,\"backend\":"
        "\"sqlite\",\"schema_version\":1,\"members\":[{\"name\":\"a\","
        "\"size\":1,\"sha256\":\"zz\"}]}",
        "{\"format\":\"ibc-backup\",\"format_version\":1,\"backend\":"
        "\"sqlite\",\"schema_version\":1} trailing",
        "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
        "]]]]]]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct backup_manifest m;
        struct ibc_error err = IBC_ERROR_INIT;
        int rc = backup_manifest_parse(bad[i], strlen(bad[i]), &m, &err);
        backup_manifest_reset(&m);
        if (rc != IBC_EPARSE) {
            test_fail(__FILE__, __LINE__, "case %zu: rc %d", i, rc);
        }
    }
    const char *newer = "{\"format\":\"ibc-backup\",\"format_version\":2,"
                        "\"backend\":\"sqlite\",\"schema_version\":1}";
    struct backup_manifest m;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(backup_manifest_parse(newer, strlen(newer), &m, &err),
                 IBC_ECONFLICT);
    backup_manifest_reset(&m);
    const char *ok = "{\"future\":{\"x\":[1.5e3,true,null]},\"format\":"
                     "\"ibc-backup\",\"format_version\":1,\"backend\":"
                     "\"sqlite\",\"schema_version\":7,\"members\":[]}";
    CHECK_EQ_INT(backup_manifest_parse(ok, strlen(ok), &m, &err), 0);
    CHECK_EQ_INT(m.schema_version, 7);
    CHECK_EQ_STR(m.backend, "sqlite");
    backup_manifest_reset(&m);
}

TEST(scheduled_job_writes_a_backup)
{
    struct tb t[2];
    int n = fresh(t);
    for (int i = 0; i < n; i++) {
        printf("    [%s]\n", t[i].name);
        char data[600], dir[700];
        snprintf(data, sizeof(data), "%.400s/jobdata-%.15s", test_tmpdir(),
                 t[i].name);
        snprintf(dir, sizeof(dir), "%s/backups", data);
        CHECK_EQ_INT(mkdir(data, 0700), 0);
        struct jobs_config cfg;
        jobs_config_defaults(&cfg);
        cfg.n_workers = 1;
        cfg.poll_ms = 50;
        cfg.tick_ms = 50;
        struct jobs *j = jobs_new(t[i].url, &cfg);
        struct backup_sched s = {data, t[i].url, 0};
        CHECK_EQ_INT(backup_jobs_register(j, &s), 0);
        struct ibc_error err = IBC_ERROR_INIT;
        if (jobs_start(j, &err)) {
            jobs_free(j);
            test_fail(__FILE__, __LINE__, "jobs_start: %s", err.msg);
        }
        /* a new schedule is due at once */
        bool found = false;
        for (int k = 0; k < 300 && !found; k++) {
            usleep(100 * 1000);
            char cmd[800];
            snprintf(cmd, sizeof(cmd),
                     "ls '%s' 2>/dev/null | grep -q '^ibc-[0-9]\\{8\\}-[0-9]"
                     "\\{6\\}\\.ibcbak$'",
                     dir);
            found = jobs_runs(j) > 0 && system(cmd) == 0;
        }
        jobs_free(j);
        CHECK(found);
        struct stat st;
        CHECK_EQ_INT(stat(dir, &st), 0);
        CHECK_EQ_INT(st.st_mode & 0777, 0700);
    }
}
