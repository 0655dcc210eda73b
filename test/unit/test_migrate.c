/* ibc — tests of the schema migrations (migrate.h) on every backend:
 * the embedded 0001 schema, and caller-supplied lists that simulate a
 * pending, an altered, a newer and a failing migration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"
#include "db/db.h"
#include "db/migrate.h"
#include "harness.h"

typedef void (*db_test_fn)(struct db *db);

/* Runs fn on a fresh database of every backend. */
static void each_db(db_test_fn fn)
{
    const char *names[2], *urls[2];
    int n = test_db_urls(names, urls);
    for (int i = 0; i < n; i++) {
        struct ibc_error err = IBC_ERROR_INIT;
        struct db *db = NULL;
        if (db_open(&db, urls[i], &err)) {
            test_fail(__FILE__, __LINE__, "db_open %s: %s", names[i], err.msg);
        }
        fn(db);
        db_close(db);
    }
}

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

/* 1 if the table exists, on either backend. */
static int64_t table_exists(struct db *db, const char *name)
{
    int64_t v = -1;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = db_query_int64(
        db, &v, &err,
        db_backend(db) == DB_PG
            ? "SELECT count(*) FROM information_schema.tables WHERE "
              "table_schema = current_schema() AND table_name = ?"
            : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
              "name = ?",
        DB_TXT(name), DB_END);
    if (rc != DB_ROW) {
        test_fail(__FILE__, __LINE__, "table_exists: %s", err.msg);
    }
    return v;
}

/* ---- pure ---- */

TEST(checksum_is_sha256)
{
    char out[65];
    migrate_checksum("abc", 3, out);
    CHECK_EQ_STR(out, "ba7816bf8f01cfea414140de5dae2223"
                      "b00361a396177a9cb410ff61f20015ad");
    migrate_checksum("", 0, out);
    CHECK_EQ_STR(out, "e3b0c44298fc1c149afbf4c8996fb924"
                      "27ae41e4649b934ca495991b7852b855");
}

#define F(name, text)                                                          \
    {                                                                          \
        name, (const unsigned char *)text, sizeof(text) - 1, "\"x\""           \
    }

TEST(list_build_picks_backend_files)
{
    /* sorted by name, like embed_files */
    static const struct embed_file files[] = {
        F("i18n/ru.txt", "not a migration"),
        F("sql/migrations/0001_core.pg.sql", "PG1"),
        F("sql/migrations/0001_core.sqlite.sql", "SQ1"),
        F("sql/migrations/0002_books.sql", "GEN2"),
        F("sql/migrations/0003_fts.pg.sql", "PG3"),
        F("sql/migrations/0003_fts.sql", "GEN3"),
        F("sql/migrations/README.md", "ignored"),
    };
    struct migration *list;
    int n;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(migrate_list_build(DB_SQLITE, files, 7, &list, &n, &err), 0);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(list[0].version, 1);
    CHECK_EQ_STR(list[0].name, "core");
    CHECK_EQ_STR(list[0].sql, "SQ1");
    CHECK_EQ_STR(list[1].name, "books");
    CHECK_EQ_STR(list[1].sql, "GEN2");
    CHECK_EQ_INT(list[2].version, 3);
    CHECK_EQ_STR(list[2].sql, "GEN3");
    migrate_list_free(list, n);

    CHECK_EQ_INT(migrate_list_build(DB_PG, files, 7, &list, &n, &err), 0);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_STR(list[0].sql, "PG1");
    CHECK_EQ_STR(list[1].sql, "GEN2");
    CHECK_EQ_STR(list[2].sql, "PG3");
    migrate_list_free(list, n);
}

TEST(list_build_refuses_bad_files)
{
    struct migration *list = (struct migration *)1;
    int n = 5;
    struct ibc_error err = IBC_ERROR_INIT;

    static const struct embed_file bad_name[] = {
        F("sql/migrations/1_x.sql", "x")};
    CHECK_EQ_INT(migrate_list_build(DB_SQLITE, bad_name, 1, &list, &n, &err),
                 IBC_EINTERNAL);
    CHECK_CONTAINS(err.msg, "1_x.sql");
    CHECK(list == NULL);
    CHECK_EQ_INT(n, 0);

    static const struct embed_file no_name[] = {
        F("sql/migrations/0001.sql", "x")};
    CHECK_EQ_INT(migrate_list_build(DB_SQLITE, no_name, 1, &list, &n, &err),
                 IBC_EINTERNAL);

    static const struct embed_file two_names[] = {
        F("sql/migrations/0001_a.sql", "x"),
        F("sql/migrations/0001_b.sql", "y")};
    CHECK_EQ_INT(migrate_list_build(DB_SQLITE, two_names, 2, &list, &n, &err),
                 IBC_EINTERNAL);
    CHECK_CONTAINS(err.msg, "two names");

    /* only a PG file: nothing for SQLite */
    static const struct embed_file pg_only[] = {
        F("sql/migrations/0001_a.sql", "x"),
        F("sql/migrations/0002_b.pg.sql", "y")};
    CHECK_EQ_INT(migrate_list_build(DB_SQLITE, pg_only, 2, &list, &n, &err),
                 IBC_EINTERNAL);
    CHECK_CONTAINS(err.msg, "0002_b");
    CHECK_EQ_INT(migrate_list_build(DB_PG, pg_only, 2, &list, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    migrate_list_free(list, n);
    migrate_list_free(NULL, 0);
}

TEST(embedded_migrations_present)
{
    struct migration *list;
    int n;
    struct ibc_error err = IBC_ERROR_INIT;
    for (int be = DB_SQLITE; be <= DB_PG; be++) {
        CHECK_EQ_INT(migrate_list_build((enum db_backend)be, embed_files,
                                        embed_count, &list, &n, &err),
                     0);
        CHECK(n >= 1);
        CHECK_EQ_INT(list[0].version, 1);
        CHECK_EQ_STR(list[0].name, "core");
        CHECK_CONTAINS(list[0].sql, "CREATE TABLE org");
        migrate_list_free(list, n);
    }
}

/* ---- the embedded schema on every backend ---- */

static void embedded_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    /* empty database: pending */
    CHECK_EQ_INT(migrate_check(db, &err), IBC_EUNAVAIL);
    CHECK_CONTAINS(err.msg, "ibc db migrate");

    int n = -1;
    CHECK_EQ_INT(migrate_apply(db, &n, &err), 0);
    CHECK(n >= 1);
    int total = n;
    CHECK_EQ_INT(table_exists(db, "org"), 1);
    CHECK_EQ_INT(table_exists(db, "org_setting"), 1);
    CHECK_EQ_INT(table_exists(db, "news"), 1);
    CHECK_EQ_INT(table_exists(db, "schema_migrations"), 1);
    CHECK_EQ_INT(migrate_check(db, &err), 0);

    /* again: nothing to do */
    CHECK_EQ_INT(migrate_apply(db, &n, &err), 0);
    CHECK_EQ_INT(n, 0);

    /* the recorded checksum is the SHA-256 of the file that ran */
    const struct embed_file *f = embed_find(
        db_backend(db) == DB_PG ? "sql/migrations/0001_core.pg.sql"
                                : "sql/migrations/0001_core.sqlite.sql");
    CHECK(f != NULL);
    char sum[65];
    migrate_checksum((const char *)f->data, f->len, sum);
    struct db_stmt *st;
    CHECK_EQ_INT(db_prepare(db, &st,
                            "SELECT name, checksum, applied_at FROM "
                            "schema_migrations WHERE version = 1",
                            &err),
                 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    CHECK_EQ_STR(db_col_text(st, 0), "core");
    CHECK_EQ_STR(db_col_text(st, 1), sum);
    const char *at = db_col_text(st, 2);
    CHECK(at && strlen(at) == 20 && at[10] == 'T' && at[19] == 'Z');
    db_finalize(st);

    /* status */
    struct migrate_row *rows;
    int nrows;
    CHECK_EQ_INT(migrate_status(db, &rows, &nrows, &err), 0);
    CHECK_EQ_INT(nrows, total);
    CHECK_EQ_INT(rows[0].version, 1);
    CHECK_EQ_STR(rows[0].name, "core");
    CHECK_EQ_INT(rows[0].state, MIGRATE_APPLIED);
    CHECK_EQ_STR(migrate_state_name(rows[0].state), "applied");
    CHECK_EQ_STR(rows[0].checksum, sum);
    CHECK_EQ_STR(rows[0].db_checksum, sum);
    free(rows);

    if (db_backend(db) == DB_SQLITE) {
        CHECK_EQ_INT(query_i64(db, "PRAGMA user_version"), total);
    }

    /* the schema works: ids, org_id, cascade, checks */
    int64_t org = 0, news = 0;
    CHECK_EQ_INT(db_query_int64(db, &org, &err,
                                "INSERT INTO org (code, name, short_name, "
                                "city, created_at) VALUES (?, ?, ?, ?, ?) "
                                "RETURNING id",
                                DB_TXT("sch12"),
                                DB_TXT("МБОУ «Средняя общеобразовательная "
                                       "школа № 12»"),
                                DB_TXT("Школа № 12"), DB_TXT("Тверь"),
                                DB_TXT("2026-09-01T08:00:00Z"), DB_END),
                 DB_ROW);
    CHECK(org > 0);
    CHECK_EQ_INT(db_run(db, &err,
                        "INSERT INTO org_setting (org_id, key, value) "
                        "VALUES (?, ?, ?)",
                        DB_I64(org), DB_TXT("loan_days"), DB_TXT("14"), DB_END),
                 0);
    CHECK_EQ_INT(db_query_int64(db, &news, &err,
                                "INSERT INTO news (org_id, title, body, "
                                "published_at, created_at) VALUES (?, ?, ?, "
                                "?, ?) RETURNING id",
                                DB_I64(org), DB_TXT("Неделя книги"),
                                DB_TXT("…"), DB_TXT("2026-09-02T09:00:00Z"),
                                DB_TXT("2026-09-01T10:00:00Z"), DB_END),
                 DB_ROW);
    CHECK(news > 0);
    /* duplicate code, bad timestamp, missing org: conflicts */
    CHECK_EQ_INT(db_run(db, &err,
                        "INSERT INTO org (code, name, short_name, "
                        "created_at) VALUES ('sch12', 'x', 'x', "
                        "'2026-09-01T08:00:00Z')",
                        DB_END),
                 IBC_ECONFLICT);
    CHECK_EQ_INT(db_run(db, &err,
                        "INSERT INTO org (code, name, short_name, "
                        "created_at) VALUES ('sch13', 'x', 'x', "
                        "'1 сентября')",
                        DB_END),
                 IBC_ECONFLICT);
    CHECK_EQ_INT(db_run(db, &err,
                        "INSERT INTO news (org_id, title, body, "
                        "published_at, created_at) VALUES (999, 't', 'b', "
                        "'2026-09-02T09:00:00Z', '2026-09-02T09:00:00Z')",
                        DB_END),
                 IBC_ECONFLICT);
    /* deleting the school deletes its news and settings */
    CHECK_EQ_INT(
        db_run(db, &err, "DELETE FROM org WHERE id = ?", DB_I64(org), DB_END),
        0);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM news"), 0);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM org_setting"), 0);
}

TEST(embedded_apply_on_empty_db)
{
    each_db(embedded_on);
}

/* ---- caller-supplied lists ---- */

static const struct migration m1 = {
    1, "one", "CREATE TABLE t1 (a INTEGER);\nINSERT INTO t1 VALUES (1);\n"};
static const struct migration m1_altered = {
    1, "one", "CREATE TABLE t1 (a INTEGER);\nINSERT INTO t1 VALUES (2);\n"};
static const struct migration m2 = {2, "two", "CREATE TABLE t2 (b INTEGER);"};
static const struct migration m3 = {3, "three", "CREATE TABLE t3 (c INTEGER);"};
static const struct migration m2_bad = {
    2, "bad",
    "CREATE TABLE t2 (b INTEGER);\n"
    "INSERT INTO t2 VALUES (1);\n"
    "INSERT INTO no_such_table VALUES (1);\n"};

static void pending_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct migration l1[] = {m1}, l12[] = {m1, m2};
    int n = -1;
    CHECK_EQ_INT(migrate_apply_list(db, l1, 1, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(migrate_check_list(db, l1, 1, &err), 0);

    CHECK_EQ_INT(migrate_check_list(db, l12, 2, &err), IBC_EUNAVAIL);
    CHECK_CONTAINS(err.msg, "run `ibc db migrate`");
    CHECK_CONTAINS(err.msg, "version 1");
    struct migrate_row *rows;
    int nrows;
    CHECK_EQ_INT(migrate_status_list(db, l12, 2, &rows, &nrows, &err), 0);
    CHECK_EQ_INT(nrows, 2);
    CHECK_EQ_INT(rows[0].state, MIGRATE_APPLIED);
    CHECK_EQ_INT(rows[1].state, MIGRATE_PENDING);
    CHECK_EQ_STR(rows[1].name, "two");
    CHECK_EQ_STR(rows[1].applied_at, "");
    CHECK_EQ_STR(rows[1].db_checksum, "");
    free(rows);

    CHECK_EQ_INT(migrate_apply_list(db, l12, 2, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(migrate_check_list(db, l12, 2, &err), 0);
    CHECK_EQ_INT(table_exists(db, "t2"), 1);
    if (db_backend(db) == DB_SQLITE) {
        CHECK_EQ_INT(query_i64(db, "PRAGMA user_version"), 2);
    }
}

TEST(pending_is_eunavail)
{
    each_db(pending_on);
}

static void altered_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct migration l1[] = {m1}, l1x[] = {m1_altered, m2};
    int n = -1;
    CHECK_EQ_INT(migrate_apply_list(db, l1, 1, &n, &err), 0);
    CHECK_EQ_INT(migrate_check_list(db, l1x, 2, &err), IBC_ECONFLICT);
    CHECK_CONTAINS(err.msg, "0001_one");
    CHECK_CONTAINS(err.msg, "changed");
    struct migrate_row *rows;
    int nrows;
    CHECK_EQ_INT(migrate_status_list(db, l1x, 2, &rows, &nrows, &err), 0);
    CHECK_EQ_INT(nrows, 2);
    CHECK_EQ_INT(rows[0].state, MIGRATE_ALTERED);
    CHECK_EQ_STR(migrate_state_name(rows[0].state), "altered");
    CHECK(strcmp(rows[0].checksum, rows[0].db_checksum) != 0);
    CHECK_EQ_INT(rows[1].state, MIGRATE_PENDING);
    free(rows);
    /* apply refuses and runs nothing, not even the pending one */
    CHECK_EQ_INT(migrate_apply_list(db, l1x, 2, &n, &err), IBC_ECONFLICT);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(table_exists(db, "t2"), 0);
    CHECK_EQ_INT(query_i64(db, "SELECT a FROM t1"), 1);
}

TEST(altered_checksum_is_econflict)
{
    each_db(altered_on);
}

static void newer_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct migration l1[] = {m1}, l12[] = {m1, m2};
    int n = -1;
    /* a newer ibc migrated this database to version 2 */
    CHECK_EQ_INT(migrate_apply_list(db, l12, 2, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    /* this ibc knows only version 1 */
    CHECK_EQ_INT(migrate_check_list(db, l1, 1, &err), IBC_ECONFLICT);
    CHECK_CONTAINS(err.msg, "0002_two");
    CHECK_CONTAINS(err.msg, "newer");
    struct migrate_row *rows;
    int nrows;
    CHECK_EQ_INT(migrate_status_list(db, l1, 1, &rows, &nrows, &err), 0);
    CHECK_EQ_INT(nrows, 2);
    CHECK_EQ_INT(rows[0].state, MIGRATE_APPLIED);
    CHECK_EQ_INT(rows[1].state, MIGRATE_UNKNOWN);
    CHECK_EQ_STR(rows[1].name, "two"); /* from the database */
    CHECK_EQ_STR(rows[1].checksum, "");
    CHECK(rows[1].applied_at[0] != '\0');
    free(rows);
    CHECK_EQ_INT(migrate_apply_list(db, l1, 1, &n, &err), IBC_ECONFLICT);
    CHECK_EQ_INT(n, 0);
}

TEST(newer_unknown_version_is_econflict)
{
    each_db(newer_on);
}

static void out_of_order_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct migration l13[] = {m1, m3}, l123[] = {m1, m2, m3};
    int n = -1;
    CHECK_EQ_INT(migrate_apply_list(db, l13, 2, &n, &err), 0);
    CHECK_EQ_INT(migrate_check_list(db, l123, 3, &err), IBC_ECONFLICT);
    CHECK_CONTAINS(err.msg, "0002_two");
    CHECK_EQ_INT(migrate_apply_list(db, l123, 3, &n, &err), IBC_ECONFLICT);
    CHECK_EQ_INT(table_exists(db, "t2"), 0);
}

TEST(pending_below_applied_is_econflict)
{
    each_db(out_of_order_on);
}

static void failing_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct migration l[] = {m1, m2_bad, m3};
    int n = -1;
    CHECK_EQ_INT(migrate_apply_list(db, l, 3, &n, &err), IBC_EDB);
    CHECK_EQ_INT(n, 1); /* 0001 stays applied */
    CHECK_CONTAINS(err.msg, "0002_bad");
    CHECK_CONTAINS(err.msg, "no_such_table");
    /* 0002 rolled back entirely: no table, no row; 0003 not tried */
    CHECK_EQ_INT(table_exists(db, "t1"), 1);
    CHECK_EQ_INT(table_exists(db, "t2"), 0);
    CHECK_EQ_INT(table_exists(db, "t3"), 0);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM schema_migrations"), 1);
    CHECK_EQ_INT(query_i64(db, "SELECT max(version) FROM schema_migrations"),
                 1);
    if (db_backend(db) == DB_SQLITE) {
        CHECK_EQ_INT(query_i64(db, "PRAGMA user_version"), 1);
    }
    CHECK(!db_in_tx(db));
    CHECK_EQ_INT(migrate_check_list(db, l, 3, &err), IBC_EUNAVAIL);
    /* after fixing the file, it goes through */
    struct migration fixed[] = {m1, m2, m3};
    CHECK_EQ_INT(migrate_apply_list(db, fixed, 3, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(migrate_check_list(db, fixed, 3, &err), 0);
}

TEST(failing_migration_rolls_back)
{
    each_db(failing_on);
}

static void bad_list_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct migration l[] = {m2, m1};
    int n;
    CHECK_EQ_INT(migrate_apply_list(db, l, 2, &n, &err), IBC_EINTERNAL);
    CHECK_EQ_INT(migrate_check_list(db, l, 2, &err), IBC_EINTERNAL);
    /* not inside a caller's transaction */
    struct migration ok[] = {m1};
    CHECK_EQ_INT(db_begin(db, DB_TX_WRITE, &err), 0);
    CHECK_EQ_INT(migrate_apply_list(db, ok, 1, &n, &err), IBC_EINTERNAL);
    db_rollback(db);
    /* an empty list on an empty database is current */
    CHECK_EQ_INT(migrate_check_list(db, NULL, 0, &err), 0);
}

TEST(bad_list_is_einternal)
{
    each_db(bad_list_on);
}

/* SQLite: a migration marked foreign-keys-off can rebuild a referenced
 * table without the DROP cascading into its children. */
TEST(sqlite_foreign_keys_off_migration)
{
    const char *names[2], *urls[2];
    test_db_urls(names, urls);
    struct db *db;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(db_open(&db, urls[0], &err), 0);
    static const struct migration l[] = {
        {1, "base",
         "CREATE TABLE parent (id INTEGER PRIMARY KEY, x TEXT);\n"
         "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER "
         "NOT NULL REFERENCES parent (id) ON DELETE CASCADE);\n"
         "INSERT INTO parent VALUES (1, 'a');\n"
         "INSERT INTO child VALUES (10, 1);\n"},
        {2, "rebuild",
         "-- ibc:foreign-keys-off\n"
         "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, x TEXT NOT "
         "NULL, y TEXT);\n"
         "INSERT INTO parent_new (id, x) SELECT id, x FROM parent;\n"
         "DROP TABLE parent;\n"
         "ALTER TABLE parent_new RENAME TO parent;\n"},
    };
    int n;
    CHECK_EQ_INT(migrate_apply_list(db, l, 2, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM child"), 1);
    CHECK_EQ_INT(query_i64(db, "PRAGMA foreign_keys"), 1);
    /* the reference still holds */
    CHECK_EQ_INT(db_run(db, &err, "INSERT INTO child VALUES (11, 99)", DB_END),
                 IBC_ECONFLICT);

    /* a rebuild that breaks references is refused and rolled back */
    static const struct migration l3[] = {l[0],
                                          l[1],
                                          {3, "breaks",
                                           "-- ibc:foreign-keys-off\n"
                                           "DELETE FROM parent;\n"}};
    CHECK_EQ_INT(migrate_apply_list(db, l3, 3, &n, &err), IBC_ECONFLICT);
    CHECK_CONTAINS(err.msg, "foreign key");
    CHECK_EQ_INT(query_i64(db, "SELECT count(*) FROM parent"), 1);
    CHECK_EQ_INT(query_i64(db, "PRAGMA foreign_keys"), 1);
    db_close(db);
}
