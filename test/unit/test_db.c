/* ibc — tests of the storage API (db.h) on every backend test_db_urls()
 * gives: SQLite always, PostgreSQL when IBC_TEST_PG_URL is set (see
 * test/pg.sh). Pure tests of the URL parser and the `?` rewriter first. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "db/db.h"
#include "db/db_int.h"
#include "harness.h"

/* ---- helpers ---- */

typedef void (*db_test_fn)(struct db *db, const char *url);

/* Runs fn on a fresh database of every backend. */
static void each_db(db_test_fn fn)
{
    const char *names[2], *urls[2];
    int n = test_db_urls(names, urls);
    for (int i = 0; i < n; i++) {
        struct ibc_error err = IBC_ERROR_INIT;
        struct db *db = NULL;
        char url[1024];
        snprintf(url, sizeof(url), "%s", urls[i]);
        int rc = db_open(&db, url, &err);
        if (rc) {
            test_fail(__FILE__, __LINE__, "db_open %s (%s): %s", names[i], url,
                      err.msg);
        }
        fn(db, url);
        db_close(db);
    }
}

/* Runs SQL that must succeed. */
#define RUN(db, ...)                                                           \
    do {                                                                       \
        struct ibc_error e_ = IBC_ERROR_INIT;                                  \
        int rc_ = db_run((db), &e_, __VA_ARGS__, DB_END);                      \
        if (rc_ != 0) {                                                        \
            test_fail(__FILE__, __LINE__, "db_run: %s: %s", ibc_err_name(rc_), \
                      e_.msg);                                                 \
        }                                                                      \
    } while (0)

static int64_t query_i64(struct db *db, const char *sql)
{
    int64_t v = -999;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = db_query_int64(db, &v, &err, sql, DB_END);
    if (rc != DB_ROW) {
        test_fail(__FILE__, __LINE__, "%s: rc %d: %s", sql, rc, err.msg);
    }
    return v;
}

static bool is_pg(struct db *db)
{
    return db_backend(db) == DB_PG;
}

/* Rewrites sql; returns the result (static buffer) and *n. */
static const char *rewrite(const char *sql, int *n)
{
    static char out[1024];
    struct buf b = BUF_INIT;
    struct ibc_error err = IBC_ERROR_INIT;
    *n = -1;
    int rc = db_pg_rewrite(sql, &b, n, &err);
    snprintf(out, sizeof(out), "%s", rc ? "ERROR" : buf_cstr(&b));
    buf_reset(&b);
    return out;
}

/* ---- pure tests ---- */

TEST(url_parse)
{
    enum db_backend be;
    const char *t;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_url_parse("sqlite:/var/lib/ibc/ibc.db", &be, &t, &err), 0);
    CHECK_EQ_INT(be, DB_SQLITE);
    CHECK_EQ_STR(t, "/var/lib/ibc/ibc.db");
    CHECK_EQ_INT(db_url_parse("sqlite:///abs/x.db", &be, &t, &err), 0);
    CHECK_EQ_STR(t, "/abs/x.db");
    CHECK_EQ_INT(db_url_parse("sqlite:data/x.db", &be, &t, &err), 0);
    CHECK_EQ_STR(t, "data/x.db");
    CHECK_EQ_INT(db_url_parse("./data/ibc.db", &be, &t, &err), 0);
    CHECK_EQ_INT(be, DB_SQLITE);
    CHECK_EQ_STR(t, "./data/ibc.db");
    CHECK_EQ_INT(db_url_parse("postgresql://u@h:5432/db", &be, &t, &err), 0);
    CHECK_EQ_INT(be, DB_PG);
    CHECK_EQ_STR(t, "postgresql://u@h:5432/db");
    CHECK_EQ_INT(db_url_parse("postgres://h/db?sslmode=disable", &be, &t, &err),
                 0);
    CHECK_EQ_INT(be, DB_PG);
    CHECK_EQ_INT(db_url_parse("mysql://h/db", &be, &t, &err), IBC_EINVAL);
    CHECK_CONTAINS(err.msg, "unsupported");
    CHECK_EQ_INT(db_url_parse("sqlite:", &be, &t, &err), IBC_EINVAL);
    CHECK_EQ_INT(db_url_parse("", &be, &t, &err), IBC_EINVAL);

    struct db *db = (struct db *)1;
    CHECK_EQ_INT(db_open(&db, "mysql://h/db", &err), IBC_EINVAL);
    CHECK(db == NULL);
}

TEST(rewrite_placeholders)
{
    int n;
    CHECK_EQ_STR(rewrite("SELECT ?, ?", &n), "SELECT $1, $2");
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(rewrite("SELECT 1", &n), "SELECT 1");
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_STR(rewrite("", &n), "");
    CHECK_EQ_STR(rewrite("x = ?::text AND y IN (?,?)", &n),
                 "x = $1::text AND y IN ($2,$3)");
    CHECK_EQ_INT(n, 3);
    /* strings with '' escapes */
    CHECK_EQ_STR(rewrite("SELECT 'a?', 'it''s ?', ?", &n),
                 "SELECT 'a?', 'it''s ?', $1");
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(rewrite("SELECT '''?''' || ?", &n), "SELECT '''?''' || $1");
    /* E'…' strings: backslash escapes the quote */
    CHECK_EQ_STR(rewrite("SELECT E'\\'?' , ?", &n), "SELECT E'\\'?' , $1");
    CHECK_EQ_INT(n, 1);
    /* …but not in plain strings (standard_conforming_strings) */
    CHECK_EQ_STR(rewrite("SELECT 'a\\', ?", &n), "SELECT 'a\\', $1");
    CHECK_EQ_INT(n, 1);
    /* quoted identifiers */
    CHECK_EQ_STR(rewrite("SELECT \"wh?\"\"y\" FROM t WHERE a = ?", &n),
                 "SELECT \"wh?\"\"y\" FROM t WHERE a = $1");
    CHECK_EQ_INT(n, 1);
    /* comments */
    CHECK_EQ_STR(rewrite("SELECT ? -- why? 'x\n, ?", &n),
                 "SELECT $1 -- why? 'x\n, $2");
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(rewrite("/* a ? /* nested ? */ still ? */ ?", &n),
                 "/* a ? /* nested ? */ still ? */ $1");
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(rewrite("SELECT 5 - ?/?", &n), "SELECT 5 - $1/$2");
    /* dollar quotes */
    CHECK_EQ_STR(rewrite("SELECT $$ it's ? $$, ?", &n),
                 "SELECT $$ it's ? $$, $1");
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(rewrite("SELECT $fn$ PERFORM '?'; $x$ $fn$ || ?", &n),
                 "SELECT $fn$ PERFORM '?'; $x$ $fn$ || $1");
    CHECK_EQ_INT(n, 1);
    /* $ inside identifiers and $1 are no quotes */
    CHECK_EQ_STR(rewrite("SELECT a$b$ FROM t WHERE c = ?", &n),
                 "SELECT a$b$ FROM t WHERE c = $1");
    CHECK_EQ_INT(n, 1);
    /* Cyrillic text passes through */
    CHECK_EQ_STR(rewrite("SELECT 'Ёж?' AS \"имя\", ?", &n),
                 "SELECT 'Ёж?' AS \"имя\", $1");
    /* unterminated things are refused */
    CHECK_EQ_STR(rewrite("SELECT 'abc", &n), "ERROR");
    CHECK_EQ_STR(rewrite("SELECT \"abc", &n), "ERROR");
    CHECK_EQ_STR(rewrite("SELECT /* abc", &n), "ERROR");
    CHECK_EQ_STR(rewrite("SELECT $q$ abc $q", &n), "ERROR");
    /* one statement only; blanks and comments may follow */
    CHECK_EQ_STR(rewrite("SELECT 1; SELECT 2", &n), "ERROR");
    CHECK_EQ_STR(rewrite("SELECT 1;'x'", &n), "ERROR");
    CHECK_EQ_STR(rewrite("SELECT ?; -- done\n /* ok */ ;\n", &n),
                 "SELECT $1; -- done\n /* ok */ ;\n");
    CHECK_EQ_STR(rewrite("SELECT ';' || ?", &n), "SELECT ';' || $1");
}

TEST(sql_excerpt)
{
    char out[32];
    CHECK_EQ_STR(db_sql_excerpt(out, sizeof(out), "SELECT\n   1", 100),
                 "SELECT 1");
    db_sql_excerpt(out, sizeof(out), "SELECT 'ёёёёёёёёёёёёёёёёёёёё'", 20);
    CHECK_CONTAINS(out, "\xE2\x80\xA6");
    CHECK(strlen(out) <= 23);
    /* no cut UTF-8 sequence: every ё is whole */
    size_t n = 0;
    for (const char *p = strchr(out, '\'') + 1; *p && (unsigned char)*p != 0xE2;
         p++) {
        n++;
    }
    CHECK_EQ_INT(n % 2, 0);
}

/* ---- on every backend ---- */

static void types_on(struct db *db, const char *url)
{
    (void)url;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_exec_script(db,
                                is_pg(db)
                                    ? "CREATE TABLE t (k BIGINT, n BIGINT, "
                                      "s TEXT, b BYTEA)"
                                    : "CREATE TABLE t (k INTEGER, n "
                                      "INTEGER, s TEXT, b BLOB)",
                                &err),
                 0);
    static const unsigned char bin[] = {0, 1, 0xff, 0x80, '\\', 'x', 0};
    const char *cyr = "Ёжик в тумане — «Союзмультфильм», 1975 г.";
    struct db_stmt *st;
    CHECK_EQ_INT(db_prepare(db, &st, "INSERT INTO t VALUES (?, ?, ?, ?)", &err),
                 0);
    int64_t nums[] = {INT64_MAX, INT64_MIN, 0, -1};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(db_bind_int64(st, 1, i), 0);
        CHECK_EQ_INT(db_bind_int64(st, 2, nums[i]), 0);
        CHECK_EQ_INT(db_bind_text(st, 3, i == 0 ? cyr : i == 1 ? "" : NULL), 0);
        if (i == 0) {
            CHECK_EQ_INT(db_bind_blob(st, 4, bin, sizeof(bin)), 0);
        } else if (i == 1) {
            CHECK_EQ_INT(db_bind_blob(st, 4, "", 0), 0); /* empty */
        } else {
            CHECK_EQ_INT(db_bind_null(st, 4), 0);
        }
        CHECK_EQ_INT(db_step(st), DB_DONE);
        CHECK_EQ_INT(db_reset(st), 0);
    }
    db_finalize(st);

    CHECK_EQ_INT(db_prepare(db, &st, "SELECT n, s, b FROM t ORDER BY k", &err),
                 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_INT(db_col_count(st), 3);
    CHECK(db_col_int64(st, 0) == INT64_MAX);
    CHECK_EQ_STR(db_col_text(st, 1), cyr);
    size_t len = 0;
    const unsigned char *b = db_col_blob(st, 2, &len);
    CHECK_EQ_INT(len, sizeof(bin));
    CHECK(b && memcmp(b, bin, sizeof(bin)) == 0);
    CHECK(!db_col_is_null(st, 2));

    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK(db_col_int64(st, 0) == INT64_MIN);
    CHECK_EQ_STR(db_col_text(st, 1), "");
    CHECK(!db_col_is_null(st, 1)); /* '' is not NULL */
    b = db_col_blob(st, 2, &len);
    CHECK(b != NULL); /* empty blob is not NULL */
    CHECK_EQ_INT(len, 0);

    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_INT(db_col_int64(st, 0), 0);
    CHECK(db_col_is_null(st, 1));
    CHECK(db_col_text(st, 1) == NULL);
    CHECK(db_col_blob(st, 2, &len) == NULL);
    CHECK_EQ_INT(db_col_int64(st, 2), 0); /* NULL -> 0 */

    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_INT(db_col_int64(st, 0), -1);
    CHECK_EQ_INT(db_step(st), DB_DONE);
    CHECK_EQ_INT(db_step(st), DB_DONE); /* stays done until reset */
    CHECK_EQ_INT(db_reset(st), 0);
    CHECK_EQ_INT(db_step(st), DB_ROW); /* runs again */
    db_finalize(st);

    /* Bound text that looks like SQL stays data. */
    RUN(db, "INSERT INTO t (k, s) VALUES (?, ?)", DB_I64(9),
        DB_TXT("x'); DROP TABLE t; --"));
    CHECK_EQ_INT(db_prepare_args(db, &st, &err, "SELECT s FROM t WHERE k = ?",
                                 DB_I64(9), DB_END),
                 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_STR(db_col_text(st, 0), "x'); DROP TABLE t; --");
    db_finalize(st);

    /* Integer arithmetic on parameters, booleans as integers. */
    int64_t v = 0;
    CHECK_EQ_INT(
        db_query_int64(db, &v, &err, "SELECT ? + 1", DB_I64(41), DB_END),
        DB_ROW);
    CHECK_EQ_INT(v, 42);
    CHECK_EQ_INT(db_query_int64(db, &v, &err,
                                "SELECT count(*) > 0 FROM t WHERE k = ?",
                                DB_I64(9), DB_END),
                 DB_ROW);
    CHECK_EQ_INT(v, 1);
    v = 7;
    CHECK_EQ_INT(db_query_int64(db, &v, &err, "SELECT n FROM t WHERE k = ?",
                                DB_I64(1000), DB_END),
                 DB_DONE);
    CHECK_EQ_INT(v, 7); /* untouched */
}

TEST(types_roundtrip)
{
    each_db(types_on);
}

/* An id column per dialect (what migrations do). */
static const char *id_table(struct db *db)
{
    return is_pg(db)
               ? "CREATE TABLE p (id BIGINT GENERATED BY DEFAULT AS IDENTITY "
                 "PRIMARY KEY, code TEXT NOT NULL UNIQUE, n BIGINT "
                 "CHECK (n >= 0));"
                 "CREATE TABLE c (id BIGINT GENERATED BY DEFAULT AS IDENTITY "
                 "PRIMARY KEY, p_id BIGINT NOT NULL REFERENCES p (id))"
               : "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT NOT NULL "
                 "UNIQUE, n INTEGER CHECK (n >= 0));"
                 "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER NOT "
                 "NULL REFERENCES p (id))";
}

static void returning_on(struct db *db, const char *url)
{
    (void)url;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_exec_script(db, id_table(db), &err), 0);
    int64_t id1 = 0, id2 = 0;
    CHECK_EQ_INT(db_query_int64(db, &id1, &err,
                                "INSERT INTO p (code, n) VALUES (?, ?) "
                                "RETURNING id",
                                DB_TXT("a"), DB_I64(1), DB_END),
                 DB_ROW);
    CHECK_EQ_INT(db_query_int64(db, &id2, &err,
                                "INSERT INTO p (code, n) VALUES (?, ?) "
                                "RETURNING id",
                                DB_TXT("b"), DB_I64(2), DB_END),
                 DB_ROW);
    CHECK(id1 > 0);
    CHECK(id2 > id1);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM p"), 2);
    /* db_changes counts rows of the last write */
    RUN(db, "UPDATE p SET n = n + 10");
    CHECK_EQ_INT(db_changes(db), 2);
    RUN(db, "DELETE FROM p WHERE code = ?", DB_TXT("nothing"));
    CHECK_EQ_INT(db_changes(db), 0);
}

TEST(insert_returning_id)
{
    each_db(returning_on);
}

static void conflict_on(struct db *db, const char *url)
{
    (void)url;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_exec_script(db, id_table(db), &err), 0);
    RUN(db, "INSERT INTO p (code, n) VALUES (?, ?)", DB_TXT("sch12"),
        DB_I64(0));

    /* UNIQUE */
    CHECK_EQ_INT(db_run(db, &err, "INSERT INTO p (code, n) VALUES (?, ?)",
                        DB_TXT("sch12"), DB_I64(0), DB_END),
                 IBC_ECONFLICT);
    CHECK_EQ_INT(err.code, IBC_ECONFLICT);
    CHECK_CONTAINS(err.msg, "INSERT INTO p"); /* the SQL is named */
    CHECK_CONTAINS(err.msg, is_pg(db) ? "duplicate key" : "UNIQUE");
    CHECK_CONTAINS(db_errmsg(db), "code");
    /* NOT NULL */
    CHECK_EQ_INT(
        db_run(db, &err, "INSERT INTO p (code) VALUES (?)", DB_NUL, DB_END),
        IBC_ECONFLICT);
    /* CHECK */
    CHECK_EQ_INT(db_run(db, &err, "INSERT INTO p (code, n) VALUES (?, ?)",
                        DB_TXT("x"), DB_I64(-5), DB_END),
                 IBC_ECONFLICT);
    /* FOREIGN KEY (SQLite: foreign_keys=ON is in effect) */
    CHECK_EQ_INT(db_run(db, &err, "INSERT INTO c (p_id) VALUES (?)",
                        DB_I64(12345), DB_END),
                 IBC_ECONFLICT);
    /* a plain step reports it too */
    struct db_stmt *st;
    CHECK_EQ_INT(db_prepare_args(db, &st, &err,
                                 "INSERT INTO p (code, n) VALUES (?, 0)",
                                 DB_TXT("sch12"), DB_END),
                 0);
    CHECK_EQ_INT(db_step(st), IBC_ECONFLICT);
    db_finalize(st);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM p"), 1);
}

TEST(constraint_violation_is_conflict)
{
    each_db(conflict_on);
}

static void tx_on(struct db *db, const char *url)
{
    (void)url;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_exec_script(db, id_table(db), &err), 0);
    CHECK(!db_in_tx(db));

    /* rollback loses the write */
    CHECK_EQ_INT(db_begin(db, DB_TX_WRITE, &err), 0);
    CHECK(db_in_tx(db));
    RUN(db, "INSERT INTO p (code, n) VALUES (?, 1)", DB_TXT("lost"));
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM p"), 1);
    CHECK_EQ_INT(db_rollback(db), 0);
    CHECK(!db_in_tx(db));
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM p"), 0);

    /* commit keeps it */
    CHECK_EQ_INT(db_begin(db, DB_TX_WRITE, &err), 0);
    RUN(db, "INSERT INTO p (code, n) VALUES (?, 1)", DB_TXT("kept"));
    /* nested begin is refused and leaves the outer one usable */
    CHECK_EQ_INT(db_begin(db, DB_TX_WRITE, &err), IBC_EINTERNAL);
    CHECK_CONTAINS(err.msg, "already open");
    CHECK(db_in_tx(db));
    RUN(db, "INSERT INTO p (code, n) VALUES (?, 2)", DB_TXT("kept2"));
    CHECK_EQ_INT(db_commit(db, &err), 0);
    CHECK(!db_in_tx(db));
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM p"), 2);

    /* commit/rollback with nothing open */
    CHECK_EQ_INT(db_commit(db, &err), IBC_EINTERNAL);
    CHECK_EQ_INT(db_rollback(db), 0);

    /* a failed statement dooms the transaction on both backends */
    CHECK_EQ_INT(db_begin(db, DB_TX_WRITE, &err), 0);
    RUN(db, "INSERT INTO p (code, n) VALUES (?, 3)", DB_TXT("doomed"));
    CHECK_EQ_INT(db_run(db, &err, "INSERT INTO p (code, n) VALUES (?, 3)",
                        DB_TXT("kept"), DB_END),
                 IBC_ECONFLICT);
    CHECK_EQ_INT(db_commit(db, &err), IBC_EDB);
    CHECK_CONTAINS(err.msg, "rolled back");
    CHECK(!db_in_tx(db));
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM p WHERE code = "
                               "'doomed'"),
                 0);
    /* …and the connection works normally afterwards */
    CHECK_EQ_INT(db_begin(db, DB_TX_WRITE, &err), 0);
    RUN(db, "INSERT INTO p (code, n) VALUES (?, 4)", DB_TXT("after"));
    CHECK_EQ_INT(db_commit(db, &err), 0);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM p"), 3);

    /* a READ transaction refuses writes, on both backends */
    CHECK_EQ_INT(db_begin(db, DB_TX_READ, &err), 0);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM p"), 3);
    CHECK(db_run(db, &err, "INSERT INTO p (code, n) VALUES ('ro', 1)", DB_END) <
          0);
    CHECK_EQ_INT(db_rollback(db), 0);
    CHECK_EQ_INT(db_begin(db, DB_TX_READ, &err), 0);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM p"), 3);
    CHECK_EQ_INT(db_commit(db, &err), 0);
    /* writes work again after it */
    RUN(db, "INSERT INTO p (code, n) VALUES (?, 5)", DB_TXT("rw"));
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM p"), 4);

    /* closing with an open transaction rolls it back */
    CHECK_EQ_INT(db_begin(db, DB_TX_WRITE, &err), 0);
    RUN(db, "INSERT INTO p (code, n) VALUES (?, 6)", DB_TXT("unclosed"));
}

static void tx_after_close(struct db *db, const char *url)
{
    (void)db;
    struct db *db2;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_open(&db2, url, &err), 0);
    CHECK_EQ_INT(query_i64(db2, "SELECT count(*) FROM p"), 4);
    db_close(db2);
}

TEST(transactions)
{
    const char *names[2], *urls[2];
    int n = test_db_urls(names, urls);
    for (int i = 0; i < n; i++) {
        char url[1024];
        struct db *db;
        struct ibc_error err = IBC_ERROR_INIT;
        snprintf(url, sizeof(url), "%s", urls[i]);
        CHECK_EQ_INT(db_open(&db, url, &err), 0);
        tx_on(db, url);
        db_close(db); /* with the transaction still open */
        tx_after_close(NULL, url);
    }
}

static void bad_sql_on(struct db *db, const char *url)
{
    (void)url;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_run(db, &err, "SELEC 1", DB_END), IBC_EDB);
    CHECK_EQ_INT(err.code, IBC_EDB);
    CHECK_CONTAINS(err.msg, "syntax error");
    CHECK_CONTAINS(err.msg, "SELEC");
    CHECK_CONTAINS(db_errmsg(db), "syntax error");

    CHECK_EQ_INT(db_run(db, &err, "SELECT * FROM no_such_table", DB_END),
                 IBC_EDB);
    CHECK_CONTAINS(err.msg, "no_such_table");

    int64_t v;
    CHECK_EQ_INT(db_query_int64(db, &v, &err, "SELECT nocolumn", DB_END),
                 IBC_EDB);
    CHECK_CONTAINS(err.msg, "nocolumn");

    /* script errors name the failing statement */
    CHECK_EQ_INT(db_exec_script(db,
                                "CREATE TABLE s1 (a INTEGER);\n"
                                "INSERT INTO s1 VALUES (1);\n"
                                "INSERT INTO nowhere VALUES (2);",
                                &err),
                 IBC_EDB);
    CHECK_CONTAINS(err.msg, "nowhere");

    /* a parameter that does not exist is a bug */
    struct db_stmt *st;
    CHECK_EQ_INT(db_prepare(db, &st, "SELECT ?", &err), 0);
    CHECK_EQ_INT(db_bind_int64(st, 2, 1), IBC_EINTERNAL);
    CHECK_CONTAINS(db_errmsg(db), "parameter 2");
    CHECK_EQ_INT(db_bind_text(st, 0, "x"), IBC_EINTERNAL);
    db_finalize(st);
    /* wrong argument type in a list (a missing DB_END looks like this) */
    struct db_arg bogus = {(enum db_arg_type)77, 0, NULL};
    CHECK_EQ_INT(db_run(db, &err, "SELECT ?", bogus, DB_END), IBC_EINTERNAL);
    /* prepare takes one statement */
    CHECK_EQ_INT(db_prepare(db, &st, "SELECT 1; SELECT 2", &err),
                 IBC_EINTERNAL);
    CHECK_CONTAINS(err.msg, "db_exec_script");
    /* only comments or blanks after it are fine */
    CHECK_EQ_INT(db_prepare(db, &st, "SELECT 1; -- done", &err), 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    db_finalize(st);
}

TEST(bad_sql_is_edb_with_message)
{
    each_db(bad_sql_on);
}

static void placeholders_on(struct db *db, const char *url)
{
    (void)url;
    struct ibc_error err = IBC_ERROR_INIT;
    struct db_stmt *st;
    CHECK_EQ_INT(db_prepare_args(db, &st, &err,
                                 "SELECT 'a?b' AS \"q?\", ? /* ? */, "
                                 "'it''s ?', ? -- ?\n",
                                 DB_TXT("one"), DB_TXT("two"), DB_END),
                 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_STR(db_col_text(st, 0), "a?b");
    CHECK_EQ_STR(db_col_text(st, 1), "one");
    CHECK_EQ_STR(db_col_text(st, 2), "it's ?");
    CHECK_EQ_STR(db_col_text(st, 3), "two");
    CHECK_EQ_INT(db_step(st), DB_DONE);
    db_finalize(st);
    if (is_pg(db)) {
        CHECK_EQ_INT(db_prepare_args(db, &st, &err, "SELECT $$ ? $$, ?",
                                     DB_I64(5), DB_END),
                     0);
        CHECK_EQ_INT(db_step(st), DB_ROW);
        CHECK_EQ_STR(db_col_text(st, 0), " ? ");
        CHECK_EQ_INT(db_col_int64(st, 1), 5);
        db_finalize(st);
    }
}

TEST(placeholders_in_strings_and_comments)
{
    each_db(placeholders_on);
}

/* Reading one statement's rows while running others on the connection. */
static void nested_on(struct db *db, const char *url)
{
    (void)url;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_exec_script(db, id_table(db), &err), 0);
    for (int i = 0; i < 5; i++) {
        char code[16];
        snprintf(code, sizeof(code), "c%d", i);
        RUN(db, "INSERT INTO p (code, n) VALUES (?, ?)", DB_TXT(code),
            DB_I64(i));
    }
    struct db_stmt *outer;
    CHECK_EQ_INT(db_prepare(db, &outer, "SELECT id FROM p ORDER BY id", &err),
                 0);
    int rows = 0;
    while (db_step(outer) == DB_ROW) {
        RUN(db, "INSERT INTO c (p_id) VALUES (?)",
            DB_I64(db_col_int64(outer, 0)));
        rows++;
    }
    db_finalize(outer);
    CHECK_EQ_INT(rows, 5);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM c"), 5);
}

TEST(nested_statements)
{
    each_db(nested_on);
}

static void new_connection_on(struct db *db, const char *url)
{
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_exec_script(db, id_table(db), &err), 0);
    CHECK_EQ_INT(db_begin(db, DB_TX_WRITE, &err), 0);
    RUN(db, "INSERT INTO p (code, n) VALUES (?, 7)", DB_TXT("Школа №12"));
    CHECK_EQ_INT(db_commit(db, &err), 0);

    struct db *db2;
    CHECK_EQ_INT(db_open(&db2, url, &err), 0);
    CHECK_EQ_STR(db_backend_name(db2), db_backend_name(db));
    struct db_stmt *st;
    CHECK_EQ_INT(db_prepare_args(db2, &st, &err,
                                 "SELECT code, n FROM p WHERE code = ?",
                                 DB_TXT("Школа №12"), DB_END),
                 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_STR(db_col_text(st, 0), "Школа №12");
    CHECK_EQ_INT(db_col_int64(st, 1), 7);
    db_finalize(st);
    db_close(db2);
}

TEST(confirmed_write_seen_by_new_connection)
{
    each_db(new_connection_on);
}

/* ---- SQLite only ---- */

TEST(sqlite_pragmas)
{
    const char *names[2], *urls[2];
    test_db_urls(names, urls);
    struct db *db;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_open(&db, urls[0], &err), 0);
    CHECK_EQ_STR(db_backend_name(db), "sqlite");
    struct db_stmt *st;
    CHECK_EQ_INT(db_prepare(db, &st, "PRAGMA journal_mode", &err), 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_STR(db_col_text(st, 0), "wal");
    db_finalize(st);
    CHECK_EQ_INT(query_i64(db, "PRAGMA foreign_keys"), 1);
    CHECK_EQ_INT(query_i64(db, "PRAGMA synchronous"), 2); /* FULL */
    CHECK_EQ_INT(query_i64(db, "PRAGMA busy_timeout"), 5000);
    CHECK_EQ_INT(query_i64(db, "PRAGMA application_id"), 0x49424331);
    CHECK_EQ_INT(query_i64(db, "PRAGMA query_only"), 0);
    db_close(db);
}

TEST(sqlite_refuses_foreign_file)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/other.sqlite", test_tmpdir());
    sqlite3 *h;
    CHECK_EQ_INT(sqlite3_open(path, &h), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(h,
                              "CREATE TABLE x (a); PRAGMA "
                              "application_id=42",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(h);
    struct db *db = NULL;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_open(&db, path, &err), IBC_EINVAL);
    CHECK_CONTAINS(err.msg, "not an ibc database");
    CHECK(db == NULL);

    /* a file in a missing directory */
    snprintf(path, sizeof(path), "sqlite:%s/no/such/dir/x.db", test_tmpdir());
    CHECK_EQ_INT(db_open(&db, path, &err), IBC_EDB);
    CHECK_CONTAINS(err.msg, "no/such/dir");
}

/* Two threads, two connections, each incrementing one counter many times
 * in write transactions: both finish without a busy error and no update is
 * lost. */
struct writer {
    const char *url;
    int n;
    const char *who;
    int failures;
    char msg[600];
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct db *db;
    struct ibc_error err = IBC_ERROR_INIT;
    if (db_open(&db, w->url, &err)) {
        w->failures++;
        snprintf(w->msg, sizeof(w->msg), "%.500s", err.msg);
        return NULL;
    }
    for (int i = 0; i < w->n; i++) {
        int64_t v = 0;
        if (db_begin(db, DB_TX_WRITE, &err) ||
            db_query_int64(db, &v, &err, "SELECT v FROM counter", DB_END) !=
                DB_ROW ||
            db_run(db, &err, "UPDATE counter SET v = ?", DB_I64(v + 1),
                   DB_END) ||
            db_run(db, &err, "INSERT INTO log (who) VALUES (?)", DB_TXT(w->who),
                   DB_END) ||
            db_commit(db, &err)) {
            w->failures++;
            snprintf(w->msg, sizeof(w->msg), "%s: %.500s",
                     ibc_err_name(err.code), err.msg);
            db_rollback(db);
        }
    }
    db_close(db);
    return NULL;
}

TEST(sqlite_two_writers)
{
    const char *names[2], *urls[2];
    test_db_urls(names, urls);
    char url[512];
    snprintf(url, sizeof(url), "%s", urls[0]);
    struct db *db;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_open(&db, url, &err), 0);
    CHECK_EQ_INT(db_exec_script(db,
                                "CREATE TABLE counter (v INTEGER);"
                                "INSERT INTO counter VALUES (0);"
                                "CREATE TABLE log (who TEXT)",
                                &err),
                 0);
    struct writer w[2] = {{url, 150, "a", 0, ""}, {url, 150, "b", 0, ""}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
    }
    if (w[0].failures || w[1].failures) {
        test_fail(__FILE__, __LINE__, "writer failures %d/%d: %s | %s",
                  w[0].failures, w[1].failures, w[0].msg, w[1].msg);
    }
    CHECK_EQ_INT(query_i64(db, "SELECT v FROM counter"), 300);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM log WHERE who = 'a'"),
                 150);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM log WHERE who = 'b'"),
                 150);
    db_close(db);
}

/* ---- PostgreSQL only ---- */

TEST(pg_session_and_reconnect)
{
    const char *names[2], *urls[2];
    if (test_db_urls(names, urls) < 2) {
        return; /* no PostgreSQL configured */
    }
    char url[1024];
    snprintf(url, sizeof(url), "%s", urls[1]);
    struct db *db, *killer;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_open(&db, url, &err), 0);
    CHECK_EQ_STR(db_backend_name(db), "postgresql");
    struct db_stmt *st;
    CHECK_EQ_INT(db_prepare(db, &st,
                            "SELECT current_setting('TimeZone'), "
                            "current_setting('client_encoding')",
                            &err),
                 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_STR(db_col_text(st, 0), "UTC");
    CHECK_EQ_STR(db_col_text(st, 1), "UTF8");
    db_finalize(st);

    /* The server ends our session; the next statement fails, the one
     * after reconnects. */
    int64_t pid = query_i64(db, "SELECT pg_backend_pid()");
    CHECK_EQ_INT(db_open(&killer, url, &err), 0);
    int64_t ok = 0;
    CHECK_EQ_INT(db_query_int64(killer, &ok, &err,
                                "SELECT pg_terminate_backend(?::int)",
                                DB_I64(pid), DB_END),
                 DB_ROW);
    CHECK_EQ_INT(ok, 1);
    db_close(killer);
    int64_t v = 0;
    CHECK_EQ_INT(db_query_int64(db, &v, &err, "SELECT 1", DB_END), IBC_EDB);
    CHECK_EQ_INT(db_query_int64(db, &v, &err, "SELECT 2", DB_END), DB_ROW);
    CHECK_EQ_INT(v, 2);
    CHECK(query_i64(db, "SELECT pg_backend_pid()") != pid);
    db_close(db);

    /* a server that is not there */
    CHECK_EQ_INT(db_open(&db, "postgresql://nobody@127.0.0.1:1/x", &err),
                 IBC_EDB);
    CHECK_CONTAINS(err.msg, "cannot connect");
}

/* db_query_row: a row, no row, and a failing query, on every backend. */
TEST(query_row_finds_one_or_says_none)
{
    const char *names[2], *urls[2];
    int n = test_db_urls(names, urls);
    for (int i = 0; i < n; i++) {
        printf("    [%s]\n", names[i]);
        struct db *db = NULL;
        struct ibc_error err = IBC_ERROR_INIT;
        CHECK_EQ_INT(db_open(&db, urls[i], &err), 0);
        CHECK_EQ_INT(db_exec_script(db, "CREATE TABLE qr (k INTEGER, v TEXT);"
                                        "INSERT INTO qr VALUES (1, 'ёж');",
                                    &err),
                     0);
        struct db_stmt *st = NULL;
        CHECK_EQ_INT(db_query_row(db, &st, &err,
                                  "SELECT v FROM qr WHERE k = ?", DB_I64(1),
                                  DB_END),
                     DB_ROW);
        CHECK_EQ_STR(db_col_text(st, 0), "ёж");
        db_finalize(st);
        CHECK_EQ_INT(db_query_row(db, &st, &err,
                                  "SELECT v FROM qr WHERE k = ?", DB_I64(2),
                                  DB_END),
                     DB_DONE);
        CHECK(st == NULL);
        CHECK(db_query_row(db, &st, &err, "SELECT nope FROM qr", DB_END) < 0);
        CHECK(st == NULL);
        CHECK(err.msg[0] != '\0');
        db_close(db);
    }
}
