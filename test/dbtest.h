/* ibc — a fresh, migrated database per backend for store tests.
 *
 * test_db_urls() gives one fresh database per backend (SQLite always,
 * PostgreSQL when IBC_TEST_PG_URL is set); tdb_open() connects to it and
 * applies every embedded migration, failing the test on error. */
#ifndef IBC_TEST_DBTEST_H
#define IBC_TEST_DBTEST_H

#include <stdio.h>

#include "db/db.h"
#include "db/migrate.h"
#include "harness.h"

struct tdb {
    const char *name; /* "sqlite" / "pg" */
    const char *url;  /* a fresh database (test_db_urls) */
    struct db *db;    /* the test's own connection */
};

/* Opens and migrates the fresh database test_db_urls() made. */
static inline void tdb_open(struct tdb *t, const char *name, const char *url)
{
    struct ibc_error err = IBC_ERROR_INIT;
    t->name = name;
    t->url = url;
    if (db_open(&t->db, url, &err) || migrate_apply(t->db, NULL, &err)) {
        test_fail(__FILE__, __LINE__, "%s: %s", name, err.msg);
    }
    printf("    [%s]\n", name);
}

static inline void tdb_close(struct tdb *t)
{
    db_close(t->db);
    t->db = NULL;
}

/* Runs fn once per backend on a fresh, migrated database. */
static inline void tdb_each(void (*fn)(struct db *db))
{
    const char *names[2], *urls[2];
    int n = test_db_urls(names, urls);
    for (int i = 0; i < n; i++) {
        struct tdb t;
        tdb_open(&t, names[i], urls[i]);
        fn(t.db);
        tdb_close(&t);
    }
}

#endif
