/* ibc — the unit-test harness; see harness.h.
 *
 * Databases: test_db_urls() gives each caller a fresh SQLite file in the
 * run's temporary directory and, when IBC_TEST_PG_URL names a PostgreSQL
 * server (test/pg.sh starts one), a fresh database on it, created through
 * our own db API and dropped at exit (kept with IBC_TEST_KEEP=1). */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"

#define MAX_TESTS 512

static struct {
    const char *name;
    test_fn fn;
} tests[MAX_TESTS];
static int n_tests;
static jmp_buf jump;
static char tmpdir[256];

void test_register(const char *name, test_fn fn)
{
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "harness: too many tests\n");
        exit(2);
    }
    tests[n_tests].name = name;
    tests[n_tests].fn = fn;
    n_tests++;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    fprintf(stderr, "    %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    longjmp(jump, 1);
}

static void cleanup(void)
{
    if (tmpdir[0] && !getenv("IBC_TEST_KEEP")) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) {
            fprintf(stderr, "harness: could not remove %s\n", tmpdir);
        }
    }
}

const char *test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof(tmpdir), "%s/ibc-test-XXXXXX",
                 base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(cleanup);
    }
    return tmpdir;
}

/* PostgreSQL databases created by test_db_urls(), dropped at exit. */
#define MAX_PG_DBS 1024
static char pg_dbs[MAX_PG_DBS][48];
static int n_pg_dbs;

/* url with its database name replaced by dbname (query string kept). */
static void pg_url_with_db(char *out, size_t n, const char *url,
                           const char *dbname)
{
    const char *auth = strstr(url, "://");
    auth = auth ? auth + 3 : url;
    const char *end = auth + strcspn(auth, "/?");
    const char *query = strchr(end, '?');
    snprintf(out, n, "%.*s/%s%s", (int)(end - url), url, dbname,
             query ? query : "");
}

/* Runs one statement on the server named by IBC_TEST_PG_URL; exits the
 * test program when that fails (no PG tests can run then). */
static void pg_admin(const char *sql, bool must)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct db *db = NULL;
    if (db_open(&db, getenv("IBC_TEST_PG_URL"), &err) ||
        db_exec_script(db, sql, &err)) {
        fprintf(stderr, "harness: PostgreSQL: %s\n", err.msg);
        db_close(db);
        if (must) {
            exit(2);
        }
        return;
    }
    db_close(db);
}

static void pg_drop_all(void)
{
    if (getenv("IBC_TEST_KEEP")) {
        return;
    }
    for (int i = 0; i < n_pg_dbs; i++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %.47s WITH (FORCE)",
                 pg_dbs[i]);
        pg_admin(sql, false);
    }
    n_pg_dbs = 0;
}

int test_db_urls(const char *names[2], const char *urls[2])
{
    static int seq;
    static char sqlite_url[400];
    static char pg_url[1024];
    seq++;
    snprintf(sqlite_url, sizeof(sqlite_url), "sqlite:%s/db%d.sqlite",
             test_tmpdir(), seq);
    names[0] = "sqlite";
    urls[0] = sqlite_url;
    const char *pg = getenv("IBC_TEST_PG_URL");
    if (!pg || !*pg) {
        return 1;
    }
    if (n_pg_dbs == MAX_PG_DBS) {
        fprintf(stderr, "harness: too many PostgreSQL test databases\n");
        exit(2);
    }
    static bool registered;
    if (!registered) {
        atexit(pg_drop_all);
        registered = true;
    }
    char *name = pg_dbs[n_pg_dbs];
    snprintf(name, sizeof(pg_dbs[0]), "ibc_t_%ld_%d", (long)getpid(), seq);
    char sql[128];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %.47s", name);
    pg_admin(sql, true);
    n_pg_dbs++;
    pg_url_with_db(pg_url, sizeof(pg_url), pg, name);
    names[1] = "pg";
    urls[1] = pg_url;
    return 2;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    /* volatile: they live across setjmp/longjmp. */
    volatile int passed = 0, failed = 0;
    for (volatile int i = 0; i < n_tests; i++) {
        if (filter && !strstr(tests[i].name, filter)) {
            continue;
        }
        if (setjmp(jump) == 0) {
            tests[i].fn();
            passed++;
            printf("  ok   %s\n", tests[i].name);
        } else {
            failed++;
            printf("  FAIL %s\n", tests[i].name);
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
