/* ibc — tests of the privacy module: the audit log (write, list, filters,
 * CSV), retention with an injected clock, typed consents, keyed pseudonyms
 * and anonymisation, on SQLite and (when IBC_TEST_PG_URL is set)
 * PostgreSQL; the CSV cell rules and the school year without a database. */
#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "dbtest.h"
#include "harness.h"
#include "org/org.h"
#include "people/people.h"
#include "privacy/privacy.h"

static int64_t make_org(struct db *db, const char *code)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct org o = {.code = code, .name = "Школа", .short_name = "Школа"};
    int64_t id = 0;
    CHECK_EQ_INT(org_create(db, &o, &id, &err), 0);
    return id;
}

static int64_t make_person(struct db *db, int64_t org, const char *login,
                           const char *last, const char *first,
                           unsigned roles)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t class_id = 0;
    if (roles & ROLE_STUDENT) {
        struct arena *a = arena_new();
        struct school_class *cs;
        size_t n = 0;
        CHECK_EQ_INT(class_list(db, a, org, &cs, &n, &err), 0);
        class_id = n ? cs[0].id : 0;
        arena_free(a);
        if (!class_id) {
            CHECK_EQ_INT(class_create(db, org, "5А", 5, 2026, 0, &class_id,
                                      &err),
                         0);
        }
    }
    struct person_input in = {.login = login,
                              .class_id = class_id,
                              .last_name = last,
                              .first_name = first,
                              .roles = roles,
                              .birth_date = roles & ROLE_STUDENT
                                                ? "2015-03-04"
                                                : NULL,
                              .email = roles & ROLE_PARENT ? "p@example.ru"
                                                           : NULL};
    int64_t id = 0;
    int rc = person_create(db, org, &in, &id, &err);
    if (rc) {
        test_fail(__FILE__, __LINE__, "person_create %s: %s (%s)", login,
                  err.msg, err.field);
    }
    return id;
}

static int64_t count(struct db *db, const char *sql, int64_t a, int64_t b)
{
    int64_t n = -1;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = db_query_int64(db, &n, &err, sql, DB_I64(a), DB_I64(b), DB_END);
    if (rc < 0) {
        test_fail(__FILE__, __LINE__, "%s: %s", sql, err.msg);
    }
    return n;
}

/* ---- without a database ---- */

TEST(csv_cells_quote_and_guard_formulas)
{
    struct buf b = BUF_INIT;
    privacy_csv_cell(&b, "plain");
    CHECK_EQ_STR(buf_cstr(&b), "plain");
    buf_clear(&b);
    privacy_csv_cell(&b, "a,b");
    CHECK_EQ_STR(buf_cstr(&b), "\"a,b\"");
    buf_clear(&b);
    privacy_csv_cell(&b, "say \"hi\"");
    CHECK_EQ_STR(buf_cstr(&b), "\"say \"\"hi\"\"\"");
    buf_clear(&b);
    privacy_csv_cell(&b, "two\nlines");
    CHECK_EQ_STR(buf_cstr(&b), "\"two\nlines\"");
    buf_clear(&b);
    privacy_csv_cell(&b, "=HYPERLINK(\"http://x\")");
    CHECK_EQ_STR(buf_cstr(&b), "\"'=HYPERLINK(\"\"http://x\"\")\"");
    buf_clear(&b);
    const char *formulas[] = {"=1+1", "+1", "-1", "@SUM(A1)", "\tx"};
    for (size_t i = 0; i < sizeof(formulas) / sizeof(formulas[0]); i++) {
        buf_clear(&b);
        privacy_csv_cell(&b, formulas[i]);
        CHECK(b.data[0] == '\'');
        CHECK_EQ_STR(buf_cstr(&b) + 1, formulas[i]);
    }
    buf_clear(&b);
    privacy_csv_cell(&b, "Иванов");
    CHECK_EQ_STR(buf_cstr(&b), "Иванов");
    buf_clear(&b);
    privacy_csv_cell(&b, NULL);
    CHECK_EQ_STR(buf_cstr(&b), "");
    buf_reset(&b);
}

TEST(school_year_starts_on_first_of_september_moscow)
{
    time_t t;
    CHECK(time_parse_iso("2026-08-31T20:59:59Z", &t)); /* 23:59:59 MSK */
    CHECK_EQ_INT(privacy_school_year(t), 2025);
    CHECK(time_parse_iso("2026-08-31T21:00:00Z", &t)); /* 1 Sep 00:00 MSK */
    CHECK_EQ_INT(privacy_school_year(t), 2026);
    CHECK(time_parse_iso("2027-05-25T10:00:00Z", &t));
    CHECK_EQ_INT(privacy_school_year(t), 2026);
}

TEST(consent_kinds_have_names)
{
    enum consent_kind k;
    for (int i = 0; i < CONSENT__MAX; i++) {
        CHECK(consent_kind_parse(consent_kind_name((enum consent_kind)i), &k));
        CHECK_EQ_INT(k, i);
    }
    CHECK_EQ_STR(consent_kind_name(CONSENT_PUBLISH_WORKS), "publish_works");
    CHECK(!consent_kind_parse("marketing", &k));
    CHECK(!consent_kind_parse(NULL, &k));
    CHECK(consent_kind_name(CONSENT__MAX) == NULL);
}

/* ---- the audit log ---- */

static void audit_write_list_filter_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "sch1"), other = make_org(db, "sch2");
    int64_t lib = make_person(db, org, "librarian", "Петрова", "Анна",
                              ROLE_LIBRARIAN);
    int64_t kid = make_person(db, org, "ivanov", "Иванов", "Петя",
                              ROLE_STUDENT);
    struct audit_entry e = {.org_id = org,
                            .actor_id = lib,
                            .actor_login = "librarian",
                            .action = "person.view",
                            .object_type = "person",
                            .object_id = kid,
                            .client_addr = "10.0.0.5"};
    e.at = "2026-09-01T08:00:00Z";
    CHECK_EQ_INT(audit_write_entry(db, &e, &err), 0);
    e.at = "2026-09-02T08:00:00Z";
    e.action = "person.export";
    e.details = "=cmd|' /C calc'!A0, \"quoted\"";
    CHECK_EQ_INT(audit_write_entry(db, &e, &err), 0);
    e.at = "2026-09-03T08:00:00Z";
    e.action = "loan.create";
    e.details = NULL;
    CHECK_EQ_INT(audit_write_entry(db, &e, &err), 0);
    /* the system acts too: no actor, no address */
    CHECK_EQ_INT(audit_write(db, org, 0, NULL, "privacy.retention", NULL, 0,
                             NULL, NULL, &err),
                 0);
    /* another school's row never shows */
    CHECK_EQ_INT(audit_write(db, other, 0, "x", "person.view", "person", 1,
                             NULL, "10.9.9.9", &err),
                 0);
    /* a malformed action is refused */
    CHECK_EQ_INT(audit_write(db, org, lib, "librarian", "Person View", NULL, 0,
                             NULL, NULL, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "action");
    CHECK_EQ_INT(audit_write(db, org, lib, "librarian", "", NULL, 0, NULL,
                             NULL, &err),
                 IBC_EINVAL);

    struct arena *a = arena_new();
    struct audit_filter f = {0};
    struct audit_entry *es;
    size_t n;
    bool more;
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, &more, &err), 0);
    CHECK_EQ_INT(n, 4);
    CHECK(!more);
    CHECK_EQ_STR(es[0].action, "privacy.retention"); /* newest first */
    CHECK_EQ_INT(es[0].actor_id, 0);
    CHECK_EQ_STR(es[0].actor_login, "");
    CHECK(es[0].client_addr == NULL);
    CHECK_EQ_STR(es[3].action, "person.view");
    CHECK_EQ_STR(es[3].actor_login, "librarian");
    CHECK_EQ_INT(es[3].actor_id, lib);
    CHECK_EQ_INT(es[3].object_id, kid);
    CHECK_EQ_STR(es[3].object_type, "person");
    CHECK_EQ_STR(es[3].client_addr, "10.0.0.5");
    CHECK_EQ_STR(es[3].at, "2026-09-01T08:00:00Z");

    /* filters: time range, actor, action and action prefix */
    f.since = "2026-09-02T00:00:00Z";
    f.until = "2026-09-03T00:00:00Z";
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(es[0].action, "person.export");
    f = (struct audit_filter){.actor_login = "librarian"};
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 3);
    f = (struct audit_filter){.actor_id = lib, .action = "loan.create"};
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 1);
    f = (struct audit_filter){.action = "person."};
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 2);
    f = (struct audit_filter){.action = "person"};
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 0);
    /* '_' is not a wildcard in a prefix */
    f = (struct audit_filter){.action = "person_"};
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 0);
    f = (struct audit_filter){.object_type = "person", .object_id = kid};
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 3);
    f = (struct audit_filter){.actor_login = "nobody"};
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 0);

    /* paging */
    f = (struct audit_filter){.limit = 3};
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, &more, &err), 0);
    CHECK_EQ_INT(n, 3);
    CHECK(more);
    f.offset = 3;
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, &more, &err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK(!more);
    CHECK_EQ_STR(es[0].action, "person.view");

    /* the other school sees only its own row */
    f = (struct audit_filter){0};
    CHECK_EQ_INT(audit_list(db, a, other, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(es[0].client_addr, "10.9.9.9");

    /* long details are cut at a character boundary */
    char longtxt[AUDIT_DETAILS_MAX * 2 + 2];
    longtxt[0] = 'x';
    for (size_t i = 1; i + 2 <= sizeof(longtxt) - 1; i += 2) {
        memcpy(longtxt + i, "ж", 2);
    }
    longtxt[sizeof(longtxt) - 1] = '\0';
    CHECK_EQ_INT(audit_write(db, org, lib, "librarian", "person.view",
                             "person", kid, longtxt, NULL, &err),
                 0);
    f = (struct audit_filter){.limit = 1};
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK(strlen(es[0].details) <= AUDIT_DETAILS_MAX);
    CHECK(strlen(es[0].details) >= AUDIT_DETAILS_MAX - 1);
    CHECK(strncmp(es[0].details, longtxt, strlen(es[0].details)) == 0);
    CHECK(((unsigned char)es[0].details[strlen(es[0].details) - 1] &
           0xC0) != 0xC0); /* never ends in a lead byte */
    arena_free(a);
}

TEST(audit_write_list_filter) { tdb_each(audit_write_list_filter_on); }

static void audit_csv_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "sch1");
    int64_t lib = make_person(db, org, "librarian", "Петрова", "Анна",
                              ROLE_LIBRARIAN);
    struct audit_entry e = {.org_id = org,
                            .at = "2026-09-01T08:00:00Z",
                            .actor_id = lib,
                            .actor_login = "librarian",
                            .action = "person.export",
                            .object_type = "person",
                            .object_id = 7,
                            .details = "=SUM(A1:A9), «Иванов»",
                            .client_addr = "10.0.0.5"};
    CHECK_EQ_INT(audit_write_entry(db, &e, &err), 0);
    e.at = "2026-09-02T08:00:00Z";
    e.action = "person.view";
    e.details = "line1\nline2 \"q\"";
    e.client_addr = NULL;
    CHECK_EQ_INT(audit_write_entry(db, &e, &err), 0);
    const char *const header[8] = {"Когда", "Кто", "Действие", "Объект",
                                   "Номер", "Подробности", "Адрес", "Запись"};
    struct buf out = BUF_INIT;
    size_t rows = 0;
    struct audit_filter f = {0};
    CHECK_EQ_INT(audit_export_csv(db, org, &f, header, &out, &rows, &err), 0);
    CHECK_EQ_INT(rows, 2);
    const char *s = buf_cstr(&out);
    CHECK(strncmp(s, "\xEF\xBB\xBF", 3) == 0); /* BOM */
    s += 3;
    CHECK(strncmp(s, "Когда,Кто,Действие,Объект,Номер,Подробности,Адрес,"
                     "Запись\r\n",
                  strlen("Когда,Кто,Действие,Объект,Номер,Подробности,Адрес,"
                         "Запись\r\n")) == 0);
    CHECK_CONTAINS(s, "\r\n2026-09-02T08:00:00Z,librarian,person.view,"
                      "person,7,\"line1\nline2 \"\"q\"\"\",,");
    CHECK_CONTAINS(s, "\r\n2026-09-01T08:00:00Z,librarian,person.export,"
                      "person,7,\"'=SUM(A1:A9), «Иванов»\",10.0.0.5,");
    /* newest first, every line ends in CRLF */
    CHECK(strstr(s, "person.view") < strstr(s, "person.export"));
    CHECK(str_ends(s, "\r\n"));
    /* a filter applies to the export too */
    buf_clear(&out);
    f.action = "person.view";
    CHECK_EQ_INT(audit_export_csv(db, org, &f, header, &out, &rows, &err), 0);
    CHECK_EQ_INT(rows, 1);
    CHECK_NOT_CONTAINS(buf_cstr(&out), "person.export");
    buf_reset(&out);
}

TEST(audit_csv_export) { tdb_each(audit_csv_on); }

/* ---- retention ---- */

static void retention_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "sch1"), org2 = make_org(db, "sch2");
    time_t now;
    CHECK(time_parse_iso("2026-12-01T12:00:00Z", &now));
    char at[32];
    /* 90 days (the default) before now is 2026-09-02T12:00:00Z */
    struct audit_entry e = {.org_id = org,
                            .actor_login = "librarian",
                            .action = "person.view",
                            .client_addr = "10.0.0.1"};
    time_iso(at, now - 90 * 86400 - 1); /* just older than the period */
    e.at = at;
    CHECK_EQ_INT(audit_write_entry(db, &e, &err), 0);
    char at2[32];
    time_iso(at2, now - 90 * 86400); /* exactly the period: kept */
    e.at = at2;
    e.client_addr = "10.0.0.2";
    CHECK_EQ_INT(audit_write_entry(db, &e, &err), 0);
    char at3[32];
    time_iso(at3, now - 86400);
    e.at = at3;
    e.client_addr = "10.0.0.3";
    CHECK_EQ_INT(audit_write_entry(db, &e, &err), 0);
    /* school 2 keeps addresses 200 days */
    CHECK_EQ_INT(privacy_set_retention_days(db, org2, 200, &err), 0);
    CHECK_EQ_INT(privacy_set_retention_days(db, org2, 0, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "retention_days");
    CHECK_EQ_INT(privacy_retention_days(db, org), 90);
    CHECK_EQ_INT(privacy_retention_days(db, org2), 200);
    e.org_id = org2;
    e.at = at;
    e.client_addr = "10.0.0.4";
    CHECK_EQ_INT(audit_write_entry(db, &e, &err), 0);

    /* a search log as the search issue will make it */
    CHECK_EQ_INT(db_exec_script(db,
                                "CREATE TABLE search_log (org_id BIGINT NOT "
                                "NULL, at TEXT NOT NULL, query TEXT, "
                                "class_level BIGINT, subject TEXT)",
                                &err),
                 0);
    const char *ins = "INSERT INTO search_log (org_id, at, query, "
                      "class_level, subject) VALUES (?, ?, ?, ?, ?)";
    CHECK_EQ_INT(db_run(db, &err, ins, DB_I64(org),
                        DB_TXT("2026-08-01T10:00:00Z"), DB_TXT("гарри"),
                        DB_I64(5), DB_TXT("литература"), DB_END),
                 0);
    CHECK_EQ_INT(db_run(db, &err, ins, DB_I64(org),
                        DB_TXT("2026-08-01T11:00:00Z"), DB_TXT("поттер"),
                        DB_I64(5), DB_TXT("литература"), DB_END),
                 0);
    CHECK_EQ_INT(db_run(db, &err, ins, DB_I64(org),
                        DB_TXT("2026-08-01T12:00:00Z"), DB_TXT("атлас"),
                        DB_NUL, DB_NUL, DB_END),
                 0);
    CHECK_EQ_INT(db_run(db, &err, ins, DB_I64(org),
                        DB_TXT("2026-11-30T12:00:00Z"), DB_TXT("новое"),
                        DB_I64(7), DB_TXT("история"), DB_END),
                 0);

    struct retention_stats st;
    CHECK_EQ_INT(privacy_retention_run(db, now, &st, &err), 0);
    CHECK_EQ_INT(st.orgs, 2);
    CHECK_EQ_INT(st.addrs_blanked, 1);
    CHECK_EQ_INT(st.search_deleted, 3);
    CHECK_EQ_INT(st.search_rolled, 3);
    struct arena *a = arena_new();
    struct audit_filter f = {0};
    struct audit_entry *es;
    size_t n;
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 3); /* rows stay, only the address goes */
    CHECK_EQ_STR(es[0].client_addr, "10.0.0.3");
    CHECK_EQ_STR(es[1].client_addr, "10.0.0.2");
    CHECK(es[2].client_addr == NULL);
    CHECK_EQ_STR(es[2].actor_login, "librarian");
    CHECK_EQ_INT(audit_list(db, a, org2, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_STR(es[0].client_addr, "10.0.0.4"); /* within its 200 days */
    /* the search log is gone, its counts stay */
    int64_t left = -1;
    CHECK_EQ_INT(db_query_int64(db, &left, &err,
                                "SELECT COUNT(*) FROM search_log", DB_END),
                 DB_ROW);
    CHECK_EQ_INT(left, 1);
    CHECK_EQ_INT(privacy_stat_get(db, org, "2026-08-01", "search", 5,
                                  "литература"),
                 2);
    CHECK_EQ_INT(privacy_stat_get(db, org, "2026-08-01", "search", 0, ""), 1);
    CHECK_EQ_INT(privacy_stat_get(db, org, "2026-11-30", "search", 7,
                                  "история"),
                 0);
    /* a second run a day later: the 1-day-old address is still kept,
     * nothing is counted twice */
    CHECK_EQ_INT(privacy_retention_run(db, now + 86400, &st, &err), 0);
    CHECK_EQ_INT(st.addrs_blanked, 1); /* the one exactly at the period */
    CHECK_EQ_INT(st.search_deleted, 0);
    CHECK_EQ_INT(privacy_stat_get(db, org, "2026-08-01", "search", 5,
                                  "литература"),
                 2);
    /* rollups add up */
    CHECK_EQ_INT(privacy_stat_add(db, org, "2026-08-01", "search", 5,
                                  "литература", 3, &err),
                 0);
    CHECK_EQ_INT(privacy_stat_get(db, org, "2026-08-01", "search", 5,
                                  "литература"),
                 5);
    arena_free(a);
}

TEST(retention_purges_after_the_period) { tdb_each(retention_on); }

static void retention_without_search_log_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "sch1");
    struct audit_entry e = {.org_id = org,
                            .at = "2020-01-01T00:00:00Z",
                            .actor_login = "x",
                            .action = "person.view",
                            .client_addr = "10.0.0.1"};
    CHECK_EQ_INT(audit_write_entry(db, &e, &err), 0);
    struct retention_stats st;
    CHECK_EQ_INT(privacy_retention_run(db, time(NULL), &st, &err), 0);
    CHECK_EQ_INT(st.addrs_blanked, 1);
    CHECK_EQ_INT(st.search_deleted, 0);
    /* a nonsense setting falls back to the default */
    CHECK_EQ_INT(db_run(db, &err,
                        "INSERT INTO org_setting (org_id, key, value) "
                        "VALUES (?, 'retention_days', 'много')",
                        DB_I64(org), DB_END),
                 0);
    CHECK_EQ_INT(privacy_retention_days(db, org), PRIVACY_RETENTION_DEFAULT);
}

TEST(retention_without_search_log)
{
    tdb_each(retention_without_search_log_on);
}

/* ---- consents ---- */

static void consent_lifecycle_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "sch1"), other = make_org(db, "sch2");
    int64_t kid = make_person(db, org, "ivanov", "Иванов", "Петя",
                              ROLE_STUDENT);
    int64_t mum = make_person(db, org, "ivanova", "Иванова", "Мария",
                              ROLE_PARENT);
    int64_t lib = make_person(db, org, "librarian", "Петрова", "Анна",
                              ROLE_LIBRARIAN);
    int64_t stranger = make_person(db, other, "stranger", "Чужой", "Человек",
                                   ROLE_LIBRARIAN);
    CHECK(!consent_has(db, org, kid, CONSENT_READING_HISTORY));
    int64_t id = 0;
    CHECK_EQ_INT(consent_give(db, org, kid, CONSENT_READING_HISTORY, mum, lib,
                              "заявление от 01.09.2026", &id, &err),
                 0);
    CHECK(id > 0);
    CHECK(consent_has(db, org, kid, CONSENT_READING_HISTORY));
    CHECK(!consent_has(db, org, kid, CONSENT_PUBLISH_WORKS));
    /* not across schools */
    CHECK(!consent_has(db, other, kid, CONSENT_READING_HISTORY));
    /* one in force per kind */
    CHECK_EQ_INT(consent_give(db, org, kid, CONSENT_READING_HISTORY, mum, lib,
                              NULL, NULL, &err),
                 IBC_ECONFLICT);
    CHECK_EQ_STR(err.field, "kind");
    /* people of another school are refused */
    CHECK_EQ_INT(consent_give(db, other, kid, CONSENT_PUBLISH_WORKS, mum, lib,
                              NULL, NULL, &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_INT(consent_give(db, org, kid, CONSENT_PUBLISH_WORKS, stranger,
                              lib, NULL, NULL, &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_STR(err.field, "given_by");
    CHECK_EQ_INT(consent_give(db, org, kid, CONSENT__MAX, mum, lib, NULL, NULL,
                              &err),
                 IBC_EINVAL);
    char note[CONSENT_NOTE_MAX + 2];
    memset(note, 'n', sizeof(note) - 1);
    note[sizeof(note) - 1] = '\0';
    CHECK_EQ_INT(consent_give(db, org, kid, CONSENT_PUBLISH_WORKS, mum, lib,
                              note, NULL, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "note");
    /* a paper consent recorded by the librarian */
    CHECK_EQ_INT(consent_give(db, org, kid, CONSENT_NAME_TO_CLASSMATES, lib,
                              lib, NULL, NULL, &err),
                 0);

    /* withdrawal of the reading history deletes the history */
    CHECK_EQ_INT(db_exec_script(db,
                                "CREATE TABLE reading_history (org_id BIGINT "
                                "NOT NULL, person_id BIGINT NOT NULL, "
                                "title TEXT)",
                                &err),
                 0);
    CHECK_EQ_INT(db_run(db, &err,
                        "INSERT INTO reading_history VALUES (?, ?, 'Муму'), "
                        "(?, ?, 'Каштанка'), (?, ?, 'чужая')",
                        DB_I64(org), DB_I64(kid), DB_I64(org), DB_I64(kid),
                        DB_I64(org), DB_I64(mum), DB_END),
                 0);
    CHECK_EQ_INT(consent_withdraw(db, org, kid, CONSENT_READING_HISTORY, mum,
                                  &err),
                 0);
    CHECK(!consent_has(db, org, kid, CONSENT_READING_HISTORY));
    CHECK_EQ_INT(count(db,
                       "SELECT COUNT(*) FROM reading_history WHERE org_id = ? "
                       "AND person_id = ?",
                       org, kid),
                 0);
    CHECK_EQ_INT(count(db,
                       "SELECT COUNT(*) FROM reading_history WHERE org_id = ? "
                       "AND person_id = ?",
                       org, mum),
                 1);
    /* nothing left to withdraw */
    CHECK_EQ_INT(consent_withdraw(db, org, kid, CONSENT_READING_HISTORY, mum,
                                  &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_INT(consent_withdraw(db, org, kid, CONSENT_PUBLISH_WORKS, mum,
                                  &err),
                 IBC_ENOTFOUND);
    /* given again later: a new row, the history keeps both */
    CHECK_EQ_INT(consent_give(db, org, kid, CONSENT_READING_HISTORY, mum, lib,
                              NULL, NULL, &err),
                 0);
    CHECK(consent_has(db, org, kid, CONSENT_READING_HISTORY));

    struct arena *a = arena_new();
    struct consent *cs;
    size_t n;
    CHECK_EQ_INT(consent_list(db, a, org, kid, &cs, &n, &err), 0);
    CHECK_EQ_INT(n, 3);
    int withdrawn = 0, in_force = 0;
    for (size_t i = 0; i < n; i++) {
        if (cs[i].withdrawn_at) {
            withdrawn++;
            CHECK_EQ_INT(cs[i].kind, CONSENT_READING_HISTORY);
            CHECK_EQ_INT(cs[i].withdrawn_by, mum);
            CHECK_EQ_INT(cs[i].given_by, mum);
            CHECK_EQ_INT(cs[i].taken_by, lib);
            CHECK_EQ_STR(cs[i].note, "заявление от 01.09.2026");
        } else {
            in_force++;
            CHECK_EQ_INT(cs[i].withdrawn_by, 0);
        }
    }
    CHECK_EQ_INT(withdrawn, 1);
    CHECK_EQ_INT(in_force, 2);
    CHECK_EQ_INT(consent_list(db, a, other, kid, &cs, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    arena_free(a);
}

TEST(consent_lifecycle) { tdb_each(consent_lifecycle_on); }

/* ---- pseudonyms ---- */

static bool is_hex32(const char *s)
{
    if (strlen(s) != 32) {
        return false;
    }
    for (; *s; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) {
            return false;
        }
    }
    return true;
}

static void pseudonyms_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "sch1"), org2 = make_org(db, "sch2");
    char p1[33], p1b[33], p2[33], p3[33], p4[33];
    CHECK_EQ_INT(pseudonym_of(db, org, 42, 2026, p1, &err), 0);
    CHECK(is_hex32(p1));
    CHECK_EQ_INT(pseudonym_of(db, org, 42, 2026, p1b, &err), 0);
    CHECK_EQ_STR(p1, p1b); /* stable within a year */
    CHECK_EQ_INT(pseudonym_of(db, org, 43, 2026, p2, &err), 0);
    CHECK(strcmp(p1, p2) != 0); /* people differ */
    CHECK_EQ_INT(pseudonym_of(db, org, 42, 2027, p3, &err), 0);
    CHECK(strcmp(p1, p3) != 0); /* years differ */
    CHECK_EQ_INT(pseudonym_of(db, org2, 42, 2026, p4, &err), 0);
    CHECK(strcmp(p1, p4) != 0); /* schools differ */
    CHECK(strstr(p1, "42") == NULL || strcmp(p1, "42") != 0);
    /* one key per school and year */
    CHECK_EQ_INT(count(db,
                       "SELECT COUNT(*) FROM pseudonym_key WHERE org_id = ? "
                       "AND school_year >= ?",
                       org, 0),
                 2);
    /* without its key, a year's pseudonyms cannot be made again */
    CHECK_EQ_INT(db_run(db, &err,
                        "DELETE FROM pseudonym_key WHERE org_id = ? AND "
                        "school_year = 2026",
                        DB_I64(org), DB_END),
                 0);
    CHECK_EQ_INT(pseudonym_of(db, org, 42, 2026, p1b, &err), 0);
    CHECK(strcmp(p1, p1b) != 0);
    CHECK_EQ_INT(pseudonym_of(db, org, 42, 1999, p1b, &err), IBC_EINVAL);
    CHECK_EQ_STR(p1b, "");
}

TEST(pseudonyms_stable_per_year_and_school) { tdb_each(pseudonyms_on); }

/* ---- anonymisation ---- */

static void anonymise_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "sch1"), other = make_org(db, "sch2");
    int64_t kid = make_person(db, org, "ivanov", "Иванов", "Петя",
                              ROLE_STUDENT);
    int64_t mum = make_person(db, org, "ivanova", "Иванова", "Мария",
                              ROLE_PARENT);
    int64_t lib = make_person(db, org, "librarian", "Петрова", "Анна",
                              ROLE_LIBRARIAN);
    CHECK_EQ_INT(parent_link(db, org, mum, kid, &err), 0);
    CHECK_EQ_INT(consent_give(db, org, kid, CONSENT_LIBRARY_PROCESSING, mum,
                              lib, "мама: Иванова М. И., паспорт …", NULL,
                              &err),
                 0);
    CHECK_EQ_INT(db_run(db, &err,
                        "INSERT INTO session (id_hash, org_id, person_id, "
                        "created_at, last_seen_at, expires_at) VALUES "
                        "(?, ?, ?, '2026-09-01T00:00:00Z', "
                        "'2026-09-01T00:00:00Z', '2026-09-01T12:00:00Z')",
                        DB_TXT("0000000000000000000000000000000000000000000000"
                               "000000000000000000"),
                        DB_I64(org), DB_I64(kid), DB_END),
                 0);
    CHECK_EQ_INT(audit_write(db, org, lib, "librarian", "loan.create",
                             "person", kid, NULL, NULL, &err),
                 0);

    /* still active: refused */
    CHECK_EQ_INT(person_anonymise(db, org, kid, &err), IBC_ECONFLICT);
    CHECK_CONTAINS(err.msg, "left");
    CHECK_EQ_INT(db_run(db, &err,
                        "UPDATE person SET status = 'left' WHERE org_id = ? "
                        "AND id = ?",
                        DB_I64(org), DB_I64(kid), DB_END),
                 0);
    /* owes a book: refused, nothing changed */
    CHECK_EQ_INT(db_exec_script(db,
                                "CREATE TABLE loan (id BIGINT, org_id BIGINT "
                                "NOT NULL, person_id BIGINT NOT NULL, "
                                "returned_at TEXT)",
                                &err),
                 0);
    CHECK_EQ_INT(db_run(db, &err,
                        "INSERT INTO loan VALUES (1, ?, ?, NULL), "
                        "(2, ?, ?, '2026-10-01T00:00:00Z')",
                        DB_I64(org), DB_I64(kid), DB_I64(org), DB_I64(kid),
                        DB_END),
                 0);
    bool owes = false;
    const char *what = NULL;
    struct arena *a = arena_new();
    CHECK_EQ_INT(privacy_person_owes(db, a, org, kid, &owes, &what, &err), 0);
    CHECK(owes);
    CHECK_CONTAINS(what, "1 book");
    CHECK_EQ_INT(person_anonymise(db, org, kid, &err), IBC_ECONFLICT);
    CHECK_CONTAINS(err.msg, "owes");
    struct person p;
    CHECK_EQ_INT(person_get(db, a, org, kid, &p, &err), 0);
    CHECK_EQ_STR(p.last_name, "Иванов");
    /* another school cannot anonymise it */
    CHECK_EQ_INT(person_anonymise(db, other, kid, &err), IBC_ENOTFOUND);

    /* the book comes back: done */
    CHECK_EQ_INT(db_run(db, &err,
                        "UPDATE loan SET returned_at = '2026-11-01T00:00:00Z' "
                        "WHERE id = 1",
                        DB_END),
                 0);
    CHECK_EQ_INT(privacy_person_owes(db, a, org, kid, &owes, NULL, &err), 0);
    CHECK(!owes);
    int64_t people_before = count(db,
                                  "SELECT COUNT(*) FROM person WHERE org_id "
                                  "= ? AND id > ?",
                                  org, 0);
    CHECK_EQ_INT(person_anonymise_by(db, org, kid, lib, "librarian",
                                     "10.0.0.7", &err),
                 0);
    CHECK_EQ_INT(person_get(db, a, org, kid, &p, &err), 0);
    CHECK_EQ_INT(p.id, kid); /* the id stays */
    CHECK(p.last_name == NULL || strstr(p.last_name, "Иванов") == NULL);
    CHECK(p.first_name == NULL || strstr(p.first_name, "Петя") == NULL);
    CHECK(p.birth_date == NULL);
    CHECK(p.email == NULL);
    char login[40];
    snprintf(login, sizeof(login), "anon-%lld", (long long)kid);
    CHECK_EQ_STR(p.login, login);
    CHECK_EQ_INT(p.status, PERSON_ANONYMISED);
    CHECK_EQ_INT(count(db,
                       "SELECT COUNT(*) FROM person WHERE org_id = ? AND "
                       "id > ?",
                       org, 0),
                 people_before); /* counts stay */
    CHECK_EQ_INT(count(db,
                       "SELECT COUNT(*) FROM loan WHERE org_id = ? AND "
                       "person_id = ?",
                       org, kid),
                 2);
    CHECK(!parent_is_linked(db, org, mum, kid));
    CHECK_EQ_INT(count(db,
                       "SELECT COUNT(*) FROM session WHERE org_id = ? AND "
                       "person_id = ?",
                       org, kid),
                 0);
    /* the consent rows stay (for the record) without their free text */
    struct consent *cs;
    size_t n;
    CHECK_EQ_INT(consent_list(db, a, org, kid, &cs, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK(cs[0].note == NULL);
    /* audited with its actor, and the earlier log rows survive */
    struct audit_filter f = {.action = "person.anonymise"};
    struct audit_entry *es;
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(es[0].actor_login, "librarian");
    CHECK_EQ_INT(es[0].object_id, kid);
    CHECK_EQ_STR(es[0].client_addr, "10.0.0.7");
    f = (struct audit_filter){.action = "loan.create"};
    CHECK_EQ_INT(audit_list(db, a, org, &f, &es, &n, NULL, &err), 0);
    CHECK_EQ_INT(n, 1);
    /* the old name is no longer found by login */
    CHECK_EQ_INT(person_get_by_login(db, a, org, "ivanov", &p, &err),
                 IBC_ENOTFOUND);
    /* again: nothing to do */
    CHECK_EQ_INT(person_anonymise(db, org, kid, &err), 0);
    arena_free(a);
}

TEST(anonymise_refused_while_owing_then_done) { tdb_each(anonymise_on); }
