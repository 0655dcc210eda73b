/* ibc — tests of the org and news stores and the demo seed, on SQLite and
 * (when IBC_TEST_PG_URL is set) PostgreSQL. */
#include <stdio.h>

#include "db/db.h"
#include "db/migrate.h"
#include "demo/demo.h"
#include "dbtest.h"
#include "harness.h"
#include "news/news.h"
#include "org/org.h"

static void org_create_validates_and_refuses_duplicates_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct org o = {.code = "sch12",
                    .name = "МБОУ СОШ № 12",
                    .short_name = "Школа № 12",
                    .city = "Сочи"};
    int64_t id = 0;
    CHECK_EQ_INT(org_create(db, &o, &id, &err), 0);
    CHECK(id > 0);
    int64_t id2 = 0;
    CHECK_EQ_INT(org_create(db, &o, &id2, &err), IBC_ECONFLICT);
    CHECK_EQ_STR(err.field, "code");
    struct org bad = o;
    bad.code = "Школа";
    CHECK_EQ_INT(org_create(db, &bad, &id2, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "code");
    bad = o;
    bad.code = "sch13";
    bad.short_name = "";
    CHECK_EQ_INT(org_create(db, &bad, &id2, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "short_name");
    struct arena *a = arena_new();
    struct org got;
    CHECK_EQ_INT(org_get_by_code(db, a, "sch12", &got, &err), 0);
    CHECK_EQ_STR(got.short_name, "Школа № 12");
    CHECK_EQ_STR(got.city, "Сочи");
    CHECK_EQ_INT(org_get_by_code(db, a, "nope", &got, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(org_get_default(db, a, &got, &err), 0);
    CHECK_EQ_INT(got.id, id);
    arena_free(a);
}

TEST(org_create_validates_and_refuses_duplicates)
{
    tdb_each(org_create_validates_and_refuses_duplicates_on);
}

static void news_is_scoped_to_its_school_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct org a1 = {.code = "a1", .name = "Школа А", .short_name = "А1"};
    struct org b1 = {.code = "b1", .name = "Школа Б", .short_name = "Б1"};
    int64_t ida, idb, n1, n2, n3;
    CHECK_EQ_INT(org_create(db, &a1, &ida, &err), 0);
    CHECK_EQ_INT(org_create(db, &b1, &idb, &err), 0);
    CHECK_EQ_INT(
        news_add(db, ida, "Старое", "текст", "2026-09-01T05:00:00Z", &n1, &err),
        0);
    CHECK_EQ_INT(news_add(db, ida, "Новое", "текст\n\nещё",
                          "2026-11-01T05:00:00Z", &n2, &err),
                 0);
    CHECK_EQ_INT(news_add(db, idb, "Чужое", "текст", NULL, &n3, &err), 0);
    struct arena *ar = arena_new();
    struct news_item *items;
    size_t n;
    CHECK_EQ_INT(news_list(db, ar, ida, 10, &items, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(items[0].title, "Новое"); /* newest first */
    CHECK_EQ_STR(items[1].title, "Старое");
    CHECK_EQ_INT(news_list(db, ar, ida, 1, &items, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    struct news_item it;
    CHECK_EQ_INT(news_get(db, ar, ida, n2, &it, &err), 0);
    CHECK_EQ_STR(it.body, "текст\n\nещё");
    /* another school's item is not found, not shown */
    CHECK_EQ_INT(news_get(db, ar, ida, n3, &it, &err), IBC_ENOTFOUND);
    arena_free(ar);
}

TEST(news_is_scoped_to_its_school)
{
    tdb_each(news_is_scoped_to_its_school_on);
}

static void news_add_reports_the_bad_field_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct org o = {.code = "c1", .name = "Школа", .short_name = "Ш1"};
    int64_t id;
    CHECK_EQ_INT(org_create(db, &o, &id, &err), 0);
    CHECK_EQ_INT(news_add(db, id, "", "текст", NULL, NULL, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "title");
    CHECK_EQ_INT(news_add(db, id, "Заголовок", "", NULL, NULL, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "body");
    CHECK_EQ_INT(news_add(db, id, "Заголовок", "текст", "вчера", NULL, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "published_at");
    CHECK_EQ_INT(news_add(db, id, "\xff\xfe", "текст", NULL, NULL, &err),
                 IBC_EINVAL);
    /* a news item of a school that does not exist: foreign key */
    CHECK(news_add(db, id + 1000, "Заголовок", "текст", NULL, NULL, &err) < 0);
}

TEST(news_add_reports_the_bad_field)
{
    tdb_each(news_add_reports_the_bad_field_on);
}

static void demo_seed_is_idempotent_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    bool created = false;
    CHECK_EQ_INT(demo_seed(db, &created, &err), 0);
    CHECK(created);
    CHECK_EQ_INT(demo_seed(db, &created, &err), 0);
    CHECK(!created);
    int64_t n = 0;
    CHECK_EQ_INT(org_count(db, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    struct arena *ar = arena_new();
    struct org o;
    CHECK_EQ_INT(org_get_by_code(db, ar, "demo", &o, &err), 0);
    struct news_item *items;
    size_t cnt;
    CHECK_EQ_INT(news_list(db, ar, o.id, 10, &items, &cnt, &err), 0);
    CHECK_EQ_INT(cnt, 3);
    arena_free(ar);
}

TEST(demo_seed_is_idempotent)
{
    tdb_each(demo_seed_is_idempotent_on);
}
