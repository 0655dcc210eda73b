/* ibc — tests of the Russian collation and search folding (collate.h):
 * the expected order, keys that sort the same in SQLite and PostgreSQL
 * (test_db_urls), agreement with collate_cmp, folding, threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "db/db.h"
#include "harness.h"
#include "text/collate.h"

/* The expected Russian order: Cyrillic before Latin, ё with е (Еж, Ёж,
 * Ежевика — not after Я), lower before upper case when otherwise equal,
 * numbers by value. */
static const char *const expected[] = {
    "1 сентября", "2 книги",     "10 книг", "абрикос", "Абрикос",
    "Азбука",     "Война и мир", "еж",      "Еж",      "ёж",
    "Ёж",         "Ежевика",     "елка",    "ёлка",    "Ёлка",
    "Ель",        "Жук",         "Том 2",   "Том 10",  "Юла",
    "яблоко",     "Яблоко",      "Apple",   "apple2",  "Zebra",
};
#define N_WORDS (sizeof(expected) / sizeof(expected[0]))

/* The same words in a scrambled order. */
static void scrambled(const char *out[N_WORDS])
{
    for (size_t i = 0; i < N_WORDS; i++) {
        out[i] = expected[(i * 7 + 3) % N_WORDS];
    }
    /* a permutation: 7 is prime to the count */
    CHECK(N_WORDS % 7 != 0);
}

static int cmp_collate(const void *a, const void *b)
{
    return collate_cmp(*(const char *const *)a, *(const char *const *)b);
}

static void check_order(const char *const got[N_WORDS])
{
    for (size_t i = 0; i < N_WORDS; i++) {
        if (strcmp(got[i], expected[i]) != 0) {
            char all[2048] = "";
            for (size_t j = 0; j < N_WORDS; j++) {
                strncat(all, got[j], sizeof(all) - strlen(all) - 3);
                strncat(all, " | ", sizeof(all) - strlen(all) - 1);
            }
            test_fail(__FILE__, __LINE__,
                      "position %zu: got \"%s\", want "
                      "\"%s\"\n  order: %s",
                      i, got[i], expected[i], all);
        }
    }
}

TEST(cmp_gives_russian_order)
{
    const char *w[N_WORDS];
    scrambled(w);
    qsort(w, N_WORDS, sizeof(w[0]), cmp_collate);
    check_order(w);
    CHECK(collate_cmp("Еж", "Ёж") < 0);
    CHECK(collate_cmp("Ёж", "Ежевика") < 0);
    CHECK(collate_cmp("Ёж", "Я") < 0);
    CHECK(collate_cmp("яблоко", "яблоко") == 0);
    CHECK(collate_cmp(NULL, "а") < 0);
    CHECK(collate_cmp("а", NULL) > 0);
    CHECK(collate_cmp(NULL, NULL) == 0);
    collate_thread_cleanup();
}

/* Key order (bytewise, like SQLite and PG COLLATE "C") = cmp order. */
struct keyed {
    const char *word;
    const char *key;
};

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const struct keyed *)a)->key,
                  ((const struct keyed *)b)->key);
}

TEST(keys_sort_like_cmp)
{
    struct arena *a = arena_new();
    const char *w[N_WORDS];
    struct keyed k[N_WORDS];
    scrambled(w);
    for (size_t i = 0; i < N_WORDS; i++) {
        k[i].word = w[i];
        k[i].key = collate_key(a, w[i]);
        CHECK(k[i].key && k[i].key[0]);
        /* lowercase hex only */
        CHECK_EQ_INT(strspn(k[i].key, "0123456789abcdef"), strlen(k[i].key));
    }
    qsort(k, N_WORDS, sizeof(k[0]), cmp_key);
    const char *got[N_WORDS];
    for (size_t i = 0; i < N_WORDS; i++) {
        got[i] = k[i].word;
    }
    check_order(got);
    /* every pair agrees in sign */
    for (size_t i = 0; i < N_WORDS; i++) {
        for (size_t j = 0; j < N_WORDS; j++) {
            int c1 = collate_cmp(expected[i], expected[j]);
            int c2 = strcmp(collate_key(a, expected[i]),
                            collate_key(a, expected[j]));
            CHECK_EQ_INT((c1 > 0) - (c1 < 0), (c2 > 0) - (c2 < 0));
        }
    }
    /* equal strings, equal keys; NULL in, NULL out */
    CHECK_EQ_STR(collate_key(a, "Ёж"), collate_key(a, "Ёж"));
    CHECK(collate_key(a, NULL) == NULL);
    CHECK(collate_key(a, "") != NULL);
    arena_free(a);
    collate_thread_cleanup();
}

static void db_order_on(const char *name, const char *url)
{
    struct db *db;
    struct ibc_error err = IBC_ERROR_INIT;
    if (db_open(&db, url, &err)) {
        test_fail(__FILE__, __LINE__, "%s: %s", name, err.msg);
    }
    /* PostgreSQL: the key column must compare bytewise (collate.h). */
    CHECK_EQ_INT(db_exec_script(db,
                                db_backend(db) == DB_PG
                                    ? "CREATE TABLE w (id BIGINT, word TEXT, "
                                      "sort_key TEXT COLLATE \"C\")"
                                    : "CREATE TABLE w (id INTEGER, word TEXT, "
                                      "sort_key TEXT)",
                                &err),
                 0);
    struct arena *a = arena_new();
    const char *w[N_WORDS];
    scrambled(w);
    for (size_t i = 0; i < N_WORDS; i++) {
        CHECK_EQ_INT(db_run(db, &err,
                            "INSERT INTO w (id, word, sort_key) VALUES "
                            "(?, ?, ?)",
                            DB_I64(i), DB_TXT(w[i]),
                            DB_TXT(collate_key(a, w[i])), DB_END),
                     0);
    }
    struct db_stmt *st;
    CHECK_EQ_INT(
        db_prepare(db, &st, "SELECT word FROM w ORDER BY sort_key, id", &err),
        0);
    const char *got[N_WORDS];
    size_t n = 0;
    while (db_step(st) == DB_ROW && n < N_WORDS) {
        got[n++] = arena_strdup(a, db_col_text(st, 0));
    }
    db_finalize(st);
    CHECK_EQ_INT(n, N_WORDS);
    check_order(got);

    /* a range query on keys: everything from «Е» up to «Ж» */
    CHECK_EQ_INT(db_prepare_args(db, &st, &err,
                                 "SELECT count(*) FROM w WHERE sort_key >= ? "
                                 "AND sort_key < ?",
                                 DB_TXT(collate_key(a, "е")),
                                 DB_TXT(collate_key(a, "ж")), DB_END),
                 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_INT(db_col_int64(st, 0), 9); /* еж … Ель, with the ё-words */
    db_finalize(st);
    arena_free(a);
    db_close(db);
}

TEST(db_order_by_key_same_on_every_backend)
{
    const char *names[2], *urls[2];
    int n = test_db_urls(names, urls);
    for (int i = 0; i < n; i++) {
        char url[1024];
        snprintf(url, sizeof(url), "%s", urls[i]);
        db_order_on(names[i], url);
    }
    collate_thread_cleanup();
}

TEST(fold_for_search)
{
    struct arena *a = arena_new();
    CHECK_EQ_STR(collate_fold(a, "Ёлка"), "елка");
    CHECK_EQ_STR(collate_fold(a, "ЁЛКА"), "елка");
    CHECK_EQ_STR(collate_fold(a, "ёлка"), "елка");
    CHECK_EQ_STR(collate_fold(a, "елка"), "елка");
    CHECK_EQ_STR(collate_fold(a, "Ёлка"), collate_fold(a, "елка"));
    /* decomposed ё (е + U+0308) too */
    CHECK_EQ_STR(collate_fold(a, "е\xCC\x88лка"), "елка");
    CHECK_EQ_STR(collate_fold(a, "Е\xCC\x88ЛКА"), "елка");
    /* й is a letter of its own, not и */
    CHECK_EQ_STR(collate_fold(a, "ЙОД"), "йод");
    /* full case folding; other accents stay */
    CHECK_EQ_STR(collate_fold(a, "Straße"), "strasse");
    CHECK_EQ_STR(collate_fold(a, "ÉCOLE"), "école");
    CHECK_EQ_STR(collate_fold(a, "Война И Мир, 1869"), "война и мир, 1869");
    CHECK_EQ_STR(collate_fold(a, ""), "");
    CHECK(collate_fold(a, NULL) == NULL);
    /* bad UTF-8 does not crash; the bad byte becomes U+FFFD */
    CHECK_EQ_STR(collate_fold(a, "A\xFF"
                                 "B"),
                 "a\xEF\xBF\xBD"
                 "b");
    CHECK(collate_key(a, "A\xFF"
                         "B") != NULL);
    CHECK(collate_cmp("A\xFF", "A\xFF") == 0);
    arena_free(a);
    collate_thread_cleanup();
}

TEST(long_text_keys_are_bounded)
{
    struct arena *a = arena_new();
    char *s1 = malloc(20001), *s2 = malloc(20001);
    /* 10 000 Cyrillic letters, the two differing only at the end */
    for (int i = 0; i < 10000; i++) {
        memcpy(s1 + 2 * i, "ж", 2);
        memcpy(s2 + 2 * i, "ж", 2);
    }
    s1[20000] = s2[20000] = '\0';
    memcpy(s2 + 19998, "я", 2);
    const char *k1 = collate_key(a, s1);
    CHECK(strlen(k1) < 2000);             /* fits a PostgreSQL b-tree entry */
    CHECK_EQ_STR(k1, collate_key(a, s2)); /* only the start counts… */
    CHECK_EQ_INT(collate_cmp(s1, s2), 0); /* …for cmp as well */
    free(s1);
    free(s2);
    char v[32];
    collate_version(v, sizeof(v));
    CHECK(v[0] >= '0' && v[0] <= '9');
    arena_free(a);
    collate_thread_cleanup();
}

/* Threads each open their own collator; they must agree with the main
 * thread and their collators are freed when they exit (LeakSanitizer). */
struct worker {
    const char *keys[N_WORDS]; /* the main thread's keys */
    int mismatches;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct arena *a = arena_new();
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < N_WORDS; i++) {
            if (strcmp(collate_key(a, expected[i]), w->keys[i]) != 0) {
                w->mismatches++;
            }
            if (i > 0 && collate_cmp(expected[i - 1], expected[i]) > 0) {
                w->mismatches++;
            }
        }
        arena_reset(a);
    }
    arena_free(a);
    return NULL; /* no cleanup call: the thread-exit destructor frees */
}

TEST(threads_have_own_collators)
{
    struct arena *a = arena_new();
    struct worker w[4];
    pthread_t t[4];
    for (int j = 0; j < 4; j++) {
        w[j].mismatches = 0;
        for (size_t i = 0; i < N_WORDS; i++) {
            w[j].keys[i] = collate_key(a, expected[i]);
        }
    }
    for (int j = 0; j < 4; j++) {
        CHECK_EQ_INT(pthread_create(&t[j], NULL, worker_main, &w[j]), 0);
    }
    for (int j = 0; j < 4; j++) {
        pthread_join(t[j], NULL);
    }
    for (int j = 0; j < 4; j++) {
        CHECK_EQ_INT(w[j].mismatches, 0);
    }
    arena_free(a);
    collate_thread_cleanup();
    collate_thread_cleanup(); /* twice is fine */
}
