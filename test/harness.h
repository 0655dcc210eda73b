/* ibc — the unit-test harness (in-house, ~150 lines; the YAZ/Redis habit).
 *
 *   TEST(name) { CHECK(x); CHECK_EQ_INT(a, b); CHECK_EQ_STR(a, b); }
 *
 * Each test file is one executable; TEST() registers the function with a
 * constructor, main() (in harness.c) runs them all, or only those whose names
 * contain argv[1]. The last line printed is "N passed, N failed" (one test is
 * one pass or one fail, whatever number of checks it makes). A failed CHECK
 * prints file:line and the values and ends that test. */
#ifndef IBC_TEST_HARNESS_H
#define IBC_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
/* A temporary directory for this test run, removed at exit. */
const char *test_tmpdir(void);
/* The database URLs to run store tests on: sqlite always, PostgreSQL when
 * IBC_TEST_PG_URL is set. Returns the count; fills names/urls (static).
 * Each call makes a fresh SQLite file and, for PG, a fresh database
 * (dropped at exit). */
int test_db_urls(const char *names[2], const char *urls[2]);

#define TEST(name)                                                             \
    static void test_##name(void);                                             \
    __attribute__((constructor)) static void reg_##name(void)                  \
    {                                                                          \
        test_register(#name, test_##name);                                     \
    }                                                                          \
    static void test_##name(void)

#define CHECK(expr)                                                            \
    do {                                                                       \
        if (!(expr)) {                                                         \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #expr);                 \
        }                                                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_) {                                                        \
            test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b,    \
                      a_, b_);                                                 \
        }                                                                      \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                     \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                               \
            test_fail(__FILE__, __LINE__, "%s == %s:\n  got:  \"%s\"\n  want: \"%s\"", \
                      #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");          \
        }                                                                      \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                            \
    do {                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                \
        if (!h_ || !strstr(h_, n_)) {                                          \
            test_fail(__FILE__, __LINE__, "%s contains \"%s\":\n  got: \"%s\"", \
                      #hay, n_, h_ ? h_ : "(null)");                           \
        }                                                                      \
    } while (0)

#define CHECK_NOT_CONTAINS(hay, needle)                                        \
    do {                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                \
        if (h_ && strstr(h_, n_)) {                                            \
            test_fail(__FILE__, __LINE__, "%s must not contain \"%s\":\n  got: \"%s\"", \
                      #hay, n_, h_);                                           \
        }                                                                      \
    } while (0)

#endif
