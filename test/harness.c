/* ibc — the unit-test harness; see harness.h. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int test_db_urls(const char *names[2], const char *urls[2])
{
    static int seq;
    static char sqlite_url[400];
    snprintf(sqlite_url, sizeof(sqlite_url), "sqlite:%s/db%d.sqlite",
             test_tmpdir(), ++seq);
    names[0] = "sqlite";
    urls[0] = sqlite_url;
    const char *pg = getenv("IBC_TEST_PG_URL");
    if (pg && *pg) {
        names[1] = "pg";
        urls[1] = pg;
        return 2;
    }
    return 1;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    for (int i = 0; i < n_tests; i++) {
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
