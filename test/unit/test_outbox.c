/* ibc — tests of the notification outbox (src/mail/): addresses, the
 * RFC 5322 message, and sending through libcurl to the SMTP sink on
 * loopback (test/smtp_sink.c) with its scripted failures, on SQLite and,
 * when IBC_TEST_PG_URL is set, PostgreSQL. */
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"
#include "db/migrate.h"
#include "dbtest.h"
#include "harness.h"
#include "jobs/jobs.h"
#include "mail/outbox.h"
#include "smtp_sink.h"

#include "smtp_sink.c" /* the sink is compiled into this test program */

/* ---- a fresh, migrated database per backend ---- */


/* Runs body per backend with t, db, err, a school `org`, a running SMTP
 * sink `sink` and an outbox configuration `cfg` pointing at it. */
#define EACH_DB(...)                                                           \
    do {                                                                       \
        const char *names_[2], *urls_[2];                                      \
        int ndb_ = test_db_urls(names_, urls_);                                \
        for (int i_ = 0; i_ < ndb_; i_++) {                                    \
            struct tdb t;                                                      \
            tdb_open(&t, names_[i_], urls_[i_]);                               \
            struct db *db = t.db;                                              \
            struct ibc_error err = IBC_ERROR_INIT;                             \
            int64_t org = make_org(db);                                        \
            struct smtp_sink sink;                                             \
            CHECK_EQ_INT(smtp_sink_start(&sink), 0);                           \
            struct outbox_config cfg;                                          \
            outbox_config_defaults(&cfg);                                      \
            cfg.smtp_url = smtp_sink_url(&sink);                               \
            cfg.mail_from = "library@school12.example.org";                    \
            cfg.from_name = "Библиотека школы № 12";                           \
            cfg.timeout_s = 10;                                                \
            (void)org;                                                         \
            __VA_ARGS__;                                                       \
            smtp_sink_stop(&sink);                                             \
            tdb_close(&t);                                                     \
        }                                                                      \
    } while (0)

static int64_t make_org(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t id = 0;
    int rc = db_query_int64(db, &id, &err,
                            "INSERT INTO org (code, name, short_name, "
                            "created_at) VALUES (?, ?, ?, ?) RETURNING id",
                            DB_TXT("s12"), DB_TXT("Школа № 12"), DB_TXT("Ш12"),
                            DB_TXT("2026-01-01T00:00:00Z"), DB_END);
    if (rc != DB_ROW) {
        test_fail(__FILE__, __LINE__, "make_org: %s", err.msg);
    }
    return id;
}

/* ---- reading a message back ---- */

/* The unfolded value of header `name` in msg, into out; false if absent. */
static bool header_value(const char *msg, const char *name, struct buf *out)
{
    buf_clear(out);
    size_t nl = strlen(name);
    const char *p = msg;
    for (;;) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ') {
                p++;
            }
            for (;;) {
                const char *e = strstr(p, "\r\n");
                if (!e) {
                    return false;
                }
                buf_append(out, p, (size_t)(e - p));
                if (e[2] != ' ' && e[2] != '\t') {
                    return true;
                }
                p = e + 2; /* a folded line: keep its leading space */
            }
        }
        const char *e = strstr(p, "\r\n");
        if (!e || e == p) {
            return false; /* end of the header section */
        }
        p = e + 2;
    }
}

/* Decodes base64 text (whitespace ignored) into out; false when bad. */
static bool b64_decode(const char *s, size_t len, struct buf *out)
{
    buf_clear(out);
    buf_grow(out, len + 1);
    size_t n = 0;
    if (sodium_base642bin((unsigned char *)out->data, len + 1, s, len,
                          " \r\n\t", &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        return false;
    }
    out->len = n;
    out->data[n] = '\0';
    return true;
}

/* Decodes a header value of RFC 2047 "=?UTF-8?B?…?=" words (whitespace
 * between encoded words dropped, as RFC 2047 6.2 says) or plain text. */
static bool decode_words(const char *v, struct buf *out)
{
    buf_clear(out);
    struct buf part = BUF_INIT;
    bool ok = true;
    const char *p = v;
    while (*p && ok) {
        if (strncmp(p, "=?UTF-8?B?", 10) == 0) {
            const char *e = strstr(p + 10, "?=");
            ok = e && b64_decode(p + 10, (size_t)(e - p - 10), &part);
            if (ok) {
                buf_append(out, part.data, part.len);
                p = e + 2;
                size_t sp = strspn(p, " ");
                if (strncmp(p + sp, "=?UTF-8?B?", 10) == 0) {
                    p += sp; /* between two encoded words */
                }
            }
        } else {
            buf_putc(out, *p++);
        }
    }
    buf_reset(&part);
    return ok;
}

/* The decoded body of a base64 message. */
static bool body_decode(const char *msg, struct buf *out)
{
    const char *b = strstr(msg, "\r\n\r\n");
    return b && b64_decode(b + 4, strlen(b + 4), out);
}

/* ---- addresses and input ---- */

TEST(addresses_are_checked)
{
    const char *good[] = {"reader@school12.ru", "a.b+c@mail.example.org",
                          "x_y@sub-domain.example.com", "o'neil@ex.ample.io",
                          NULL};
    const char *bad[] = {"",
                         "no-at-sign",
                         "@example.org",
                         "a@",
                         "a@b",
                         "a..b@x.org",
                         ".a@x.org",
                         "a.@x.org",
                         "a b@x.org",
                         "a@-x.org",
                         "a@x-.org",
                         "a@x..org",
                         "a@x.org.",
                         "a@b@x.org",
                         "читатель@школа.рф",
                         "a@x.org\r\nBcc: all@x.org",
                         "<a@x.org>",
                         "a@x.org>",
                         NULL};
    for (int i = 0; good[i]; i++) {
        if (!outbox_addr_valid(good[i])) {
            test_fail(__FILE__, __LINE__, "refused %s", good[i]);
        }
    }
    for (int i = 0; bad[i]; i++) {
        if (outbox_addr_valid(bad[i])) {
            test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
        }
    }
    char longlocal[100];
    memset(longlocal, 'a', 65);
    strcpy(longlocal + 65, "@x.org");
    CHECK(!outbox_addr_valid(longlocal));
    longlocal[64] = '\0';
    strcat(longlocal, "@x.org");
    CHECK(outbox_addr_valid(longlocal));
    CHECK(!outbox_addr_valid(NULL));
}

TEST(enqueue_refuses_bad_input_with_its_field)
{
    EACH_DB({
        int64_t id = 0;
        CHECK_EQ_INT(outbox_enqueue(db, org, "not an address", "Тема", "Текст",
                                    &id, &err),
                     IBC_EINVAL);
        CHECK_EQ_STR(err.field, "to");
        CHECK_CONTAINS(err.msg, "not an address");
        CHECK_EQ_INT(outbox_enqueue(db, org, NULL, "Тема", "Текст", &id, &err),
                     IBC_EINVAL);
        CHECK_EQ_STR(err.field, "to");
        CHECK_EQ_INT(outbox_enqueue(db, org, "a@x.org",
                                    "Тема\r\nBcc: all@x.org", "Текст", &id,
                                    &err),
                     IBC_EINVAL);
        CHECK_EQ_STR(err.field, "subject");
        CHECK_EQ_INT(outbox_enqueue(db, org, "a@x.org", "", "Текст", &id, &err),
                     IBC_EINVAL);
        CHECK_EQ_STR(err.field, "subject");
        CHECK_EQ_INT(
            outbox_enqueue(db, org, "a@x.org", "Тема", "\xd0\x28", &id, &err),
            IBC_EINVAL);
        CHECK_EQ_STR(err.field, "body");
        CHECK_EQ_INT(outbox_enqueue(db, org + 1000, "a@x.org", "Тема", "Текст",
                                    &id, &err),
                     IBC_ECONFLICT);
        CHECK_EQ_STR(err.field, "org_id");
        CHECK_EQ_INT(
            outbox_enqueue(db, 0, "a@x.org", "Тема", "Текст", &id, &err),
            IBC_EINVAL);
        CHECK_EQ_STR(err.field, "org_id");
        int64_t n = -1;
        CHECK_EQ_INT(
            db_query_int64(db, &n, &err, "SELECT COUNT(*) FROM outbox", DB_END),
            DB_ROW);
        CHECK_EQ_INT(n, 0);

        CHECK_EQ_INT(outbox_enqueue(db, org, "reader@school12.ru", "Тема",
                                    "Текст", &id, &err),
                     0);
        struct arena *a = arena_new();
        struct outbox_msg m;
        CHECK_EQ_INT(outbox_get(db, id, &m, a, &err), 0);
        CHECK_EQ_INT(m.org_id, org);
        CHECK_EQ_STR(m.to_addr, "reader@school12.ru");
        CHECK_EQ_STR(m.state, "queued");
        CHECK_EQ_INT(m.attempts, 0);
        CHECK(m.next_attempt_at != NULL && m.sent_at == NULL);
        CHECK(m.last_error == NULL);
        CHECK_EQ_INT(outbox_get(db, id + 1000, &m, a, &err), IBC_ENOTFOUND);
        arena_free(a);
    });
}

/* ---- the message ---- */

TEST(message_is_rfc5322_with_encoded_utf8)
{
    struct outbox_config cfg;
    outbox_config_defaults(&cfg);
    cfg.mail_from = "library@school12.example.org";
    cfg.from_name = "Библиотека школы № 12";
    const char *subject = "Напоминание: верните «Войну и мир» до 1 декабря — "
                          "читальный зал ждёт вас";
    const char *body = "Здравствуйте, Ёжиков Пётр!\n\nКнига «Война и мир» "
                       "(т. 1) на руках с 1 ноября.\r\n.точка в начале\n"
                       "Спасибо.";
    struct buf msg = BUF_INIT, v = BUF_INIT, d = BUF_INIT;
    outbox_build_message(&cfg, "reader@school12.ru", subject, body, 1795656123,
                         &msg);
    const char *s = buf_cstr(&msg);

    /* Every line ends in CRLF and stays within 78 characters. */
    for (const char *p = s; *p;) {
        const char *e = strstr(p, "\r\n");
        CHECK(e != NULL);
        CHECK((size_t)(e - p) <= 78);
        CHECK(memchr(p, '\n', (size_t)(e - p)) == NULL);
        CHECK(memchr(p, '\r', (size_t)(e - p)) == NULL);
        p = e + 2;
    }
    CHECK(header_value(s, "Date", &v));
    CHECK_EQ_STR(buf_cstr(&v), "Thu, 26 Nov 2026 01:22:03 +0000");
    CHECK(header_value(s, "Message-ID", &v));
    CHECK(buf_cstr(&v)[0] == '<');
    CHECK_CONTAINS(buf_cstr(&v), "@school12.example.org>");
    CHECK(header_value(s, "To", &v));
    CHECK_EQ_STR(buf_cstr(&v), "reader@school12.ru");
    CHECK(header_value(s, "MIME-Version", &v));
    CHECK_EQ_STR(buf_cstr(&v), "1.0");
    CHECK(header_value(s, "Content-Type", &v));
    CHECK_EQ_STR(buf_cstr(&v), "text/plain; charset=utf-8");
    CHECK(header_value(s, "Content-Transfer-Encoding", &v));
    CHECK_EQ_STR(buf_cstr(&v), "base64");

    CHECK(header_value(s, "Subject", &v));
    CHECK_CONTAINS(buf_cstr(&v), "=?UTF-8?B?");
    for (const char *p = buf_cstr(&v); *p; p++) {
        CHECK((unsigned char)*p < 0x80); /* headers are ASCII */
    }
    CHECK(decode_words(buf_cstr(&v), &d));
    CHECK_EQ_STR(buf_cstr(&d), subject);
    CHECK(header_value(s, "From", &v));
    CHECK(decode_words(buf_cstr(&v), &d));
    CHECK_EQ_STR(buf_cstr(&d),
                 "Библиотека школы № 12 <library@school12.example.org>");

    CHECK(body_decode(s, &d));
    CHECK_EQ_STR(buf_cstr(&d), "Здравствуйте, Ёжиков Пётр!\r\n\r\nКнига "
                               "«Война и мир» (т. 1) на руках с 1 ноября."
                               "\r\n.точка в начале\r\nСпасибо.\r\n");

    /* A short ASCII subject stays readable; one that looks encoded does
     * not pass through raw. A second message gets another Message-ID. */
    struct buf msg2 = BUF_INIT, id1 = BUF_INIT;
    header_value(s, "Message-ID", &id1);
    cfg.from_name = "School \"12\" Library";
    outbox_build_message(&cfg, "a@x.org", "Overdue books", "Hi", 0, &msg2);
    CHECK(header_value(buf_cstr(&msg2), "Subject", &v));
    CHECK_EQ_STR(buf_cstr(&v), "Overdue books");
    CHECK(header_value(buf_cstr(&msg2), "From", &v));
    CHECK_EQ_STR(buf_cstr(&v), "\"School \\\"12\\\" Library\" "
                               "<library@school12.example.org>");
    CHECK(header_value(buf_cstr(&msg2), "Message-ID", &v));
    CHECK(strcmp(buf_cstr(&v), buf_cstr(&id1)) != 0);
    buf_clear(&msg2);
    outbox_build_message(&cfg, "a@x.org", "=?UTF-8?B?0J8=?=", "Hi", 0, &msg2);
    CHECK(header_value(buf_cstr(&msg2), "Subject", &v));
    CHECK(decode_words(buf_cstr(&v), &d));
    CHECK_EQ_STR(buf_cstr(&d), "=?UTF-8?B?0J8=?=");
    buf_reset(&msg2);
    buf_reset(&id1);
    buf_reset(&msg);
    buf_reset(&v);
    buf_reset(&d);
}

TEST(backoff_schedule)
{
    CHECK_EQ_INT(outbox_backoff(1), 60);
    CHECK_EQ_INT(outbox_backoff(2), 300);
    CHECK_EQ_INT(outbox_backoff(3), 1800);
    CHECK_EQ_INT(outbox_backoff(4), 7200);
    CHECK_EQ_INT(outbox_backoff(7), 86400);
    CHECK_EQ_INT(outbox_backoff(50), 86400);
}

/* ---- sending ---- */

static const char *const RU_SUBJECT = "Книга ждёт вас: «Мастер и Маргарита»";
static const char *const RU_BODY =
    "Здравствуйте!\n\nЗаказанная книга «Мастер и Маргарита» ждёт вас на "
    "абонементе до пятницы.\n\n— Библиотека школы № 12";

TEST(cyrillic_mail_arrives_intact)
{
    EACH_DB({
        int64_t id = 0;
        CHECK_EQ_INT(outbox_enqueue(db, org, "reader@school12.ru", RU_SUBJECT,
                                    RU_BODY, &id, &err),
                     0);
        int sent = -1;
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 1);
        CHECK_EQ_INT(smtp_sink_count(&sink), 1);
        struct smtp_sink_msg m;
        CHECK(smtp_sink_get(&sink, 0, &m));
        CHECK_EQ_STR(m.from, "library@school12.example.org");
        CHECK_EQ_INT(m.n_rcpt, 1);
        CHECK_EQ_STR(m.rcpt[0], "reader@school12.ru");
        struct buf v = BUF_INIT, d = BUF_INIT;
        CHECK(header_value(m.data, "Subject", &v));
        CHECK(decode_words(buf_cstr(&v), &d));
        CHECK_EQ_STR(buf_cstr(&d), RU_SUBJECT);
        CHECK(header_value(m.data, "Content-Type", &v));
        CHECK_EQ_STR(buf_cstr(&v), "text/plain; charset=utf-8");
        CHECK(body_decode(m.data, &d));
        CHECK_EQ_STR(buf_cstr(&d),
                     "Здравствуйте!\r\n\r\nЗаказанная книга «Мастер и "
                     "Маргарита» ждёт вас на абонементе до пятницы.\r\n\r\n— "
                     "Библиотека школы № 12\r\n");

        struct arena *a = arena_new();
        struct outbox_msg om;
        CHECK_EQ_INT(outbox_get(db, id, &om, a, &err), 0);
        CHECK_EQ_STR(om.state, "sent");
        CHECK_EQ_INT(om.attempts, 1);
        CHECK(om.sent_at != NULL);
        CHECK(om.last_error == NULL);
        /* Sent once only. */
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 0);
        CHECK_EQ_INT(smtp_sink_count(&sink), 1);
        arena_free(a);
        buf_reset(&v);
        buf_reset(&d);
    });
}

TEST(temporary_failure_retries_with_backoff)
{
    EACH_DB({
        int64_t id = 0;
        CHECK_EQ_INT(outbox_enqueue(db, org, "reader@school12.ru", RU_SUBJECT,
                                    RU_BODY, &id, &err),
                     0);
        time_t t0 = time(NULL) + 5;
        cfg.now = t0;
        smtp_sink_fault(&sink, SMTP_SINK_451_DATA, 1);
        int sent = -1;
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 0);
        CHECK_EQ_INT(smtp_sink_count(&sink), 0);
        CHECK_EQ_INT(smtp_sink_transactions(&sink), 1);
        struct arena *a = arena_new();
        struct outbox_msg om;
        CHECK_EQ_INT(outbox_get(db, id, &om, a, &err), 0);
        CHECK_EQ_STR(om.state, "queued");
        CHECK_EQ_INT(om.attempts, 1);
        CHECK_CONTAINS(om.last_error, "451");
        char want[JOBS_TIME_LEN];
        jobs_time_fmt(t0 + 60, want);
        CHECK_EQ_STR(om.next_attempt_at, want);

        /* Not due yet: nothing is tried. */
        cfg.now = t0 + 30;
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 0);
        CHECK_EQ_INT(smtp_sink_transactions(&sink), 1);

        /* The sink has recovered and the time has come. */
        cfg.now = t0 + 61;
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 1);
        CHECK_EQ_INT(smtp_sink_count(&sink), 1);
        arena_reset(a);
        CHECK_EQ_INT(outbox_get(db, id, &om, a, &err), 0);
        CHECK_EQ_STR(om.state, "sent");
        CHECK_EQ_INT(om.attempts, 2);
        CHECK(om.last_error == NULL);
        struct smtp_sink_msg m;
        CHECK(smtp_sink_get(&sink, 0, &m));
        struct buf v = BUF_INIT, d = BUF_INIT;
        CHECK(header_value(m.data, "Subject", &v));
        CHECK(decode_words(buf_cstr(&v), &d));
        CHECK_EQ_STR(buf_cstr(&d), RU_SUBJECT);
        buf_reset(&v);
        buf_reset(&d);
        arena_free(a);
    });
}

TEST(dropped_connection_and_refused_sender_are_retried)
{
    EACH_DB({
        int64_t first = 0, second = 0;
        CHECK_EQ_INT(outbox_enqueue(db, org, "one@school12.ru", "Первое", "1",
                                    &first, &err),
                     0);
        CHECK_EQ_INT(outbox_enqueue(db, org, "two@school12.ru", "Второе", "2",
                                    &second, &err),
                     0);
        time_t t0 = time(NULL) + 5;
        cfg.now = t0;
        /* The first transaction is cut off; the server is reachable, so the
         * second message still goes. */
        smtp_sink_fault(&sink, SMTP_SINK_DROP, 1);
        int sent = -1;
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 1);
        struct arena *a = arena_new();
        struct outbox_msg om;
        CHECK_EQ_INT(outbox_get(db, first, &om, a, &err), 0);
        CHECK_EQ_STR(om.state, "queued");
        CHECK_EQ_INT(om.attempts, 1);
        CHECK(om.last_error != NULL && om.last_error[0]);
        CHECK_EQ_INT(outbox_get(db, second, &om, a, &err), 0);
        CHECK_EQ_STR(om.state, "sent");
        struct smtp_sink_msg m;
        CHECK(smtp_sink_get(&sink, 0, &m));
        CHECK_EQ_STR(m.rcpt[0], "two@school12.ru");

        /* Next time MAIL FROM gets 451: still queued, second attempt. */
        smtp_sink_fault(&sink, SMTP_SINK_451_MAIL, 1);
        cfg.now = t0 + 60;
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 0);
        arena_reset(a);
        CHECK_EQ_INT(outbox_get(db, first, &om, a, &err), 0);
        CHECK_EQ_STR(om.state, "queued");
        CHECK_EQ_INT(om.attempts, 2);
        CHECK_CONTAINS(om.last_error, "451");
        char want[JOBS_TIME_LEN];
        jobs_time_fmt(t0 + 60 + 300, want);
        CHECK_EQ_STR(om.next_attempt_at, want);

        cfg.now = t0 + 360;
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 1);
        CHECK(smtp_sink_get(&sink, 1, &m));
        CHECK_EQ_STR(m.rcpt[0], "one@school12.ru");
        arena_free(a);
    });
}

TEST(gives_up_after_max_attempts)
{
    EACH_DB({
        int64_t id = 0;
        CHECK_EQ_INT(outbox_enqueue(db, org, "reader@school12.ru", "Тема",
                                    "Текст", &id, &err),
                     0);
        cfg.max_attempts = 3;
        smtp_sink_fault(&sink, SMTP_SINK_451_MAIL, 100);
        time_t when = time(NULL) + 5;
        struct arena *a = arena_new();
        struct outbox_msg om;
        int sent = -1;
        for (int attempt = 1; attempt <= 3; attempt++) {
            cfg.now = when;
            CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
            CHECK_EQ_INT(sent, 0);
            arena_reset(a);
            CHECK_EQ_INT(outbox_get(db, id, &om, a, &err), 0);
            CHECK_EQ_INT(om.attempts, attempt);
            CHECK_EQ_STR(om.state, attempt < 3 ? "queued" : "failed");
            when += outbox_backoff(attempt);
        }
        CHECK_CONTAINS(om.last_error, "451");
        /* Failed for good: never tried again. */
        cfg.now = when + 10 * 86400;
        smtp_sink_fault(&sink, SMTP_SINK_OK, 0);
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 0);
        CHECK_EQ_INT(smtp_sink_transactions(&sink), 3);
        CHECK_EQ_INT(smtp_sink_count(&sink), 0);
        arena_free(a);
    });
}

TEST(permanent_refusal_fails_at_once)
{
    EACH_DB({
        int64_t id = 0;
        CHECK_EQ_INT(outbox_enqueue(db, org, "nobody@school12.ru", "Тема",
                                    "Текст", &id, &err),
                     0);
        smtp_sink_fault(&sink, SMTP_SINK_550_RCPT, 1);
        int sent = -1;
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 0);
        struct arena *a = arena_new();
        struct outbox_msg om;
        CHECK_EQ_INT(outbox_get(db, id, &om, a, &err), 0);
        CHECK_EQ_STR(om.state, "failed");
        CHECK_EQ_INT(om.attempts, 1);
        CHECK_CONTAINS(om.last_error, "550");
        arena_free(a);
    });
}

TEST(unreachable_relay_leaves_mail_queued)
{
    EACH_DB({
        /* A port that nothing listens on: the sink's, after it stops. */
        char url[64];
        snprintf(url, sizeof(url), "%s", smtp_sink_url(&sink));
        smtp_sink_stop(&sink);
        CHECK_EQ_INT(smtp_sink_start(&sink), 0);
        cfg.smtp_url = url;
        int64_t ids[3];
        for (int i = 0; i < 3; i++) {
            CHECK_EQ_INT(outbox_enqueue(db, org, "reader@school12.ru", "Тема",
                                        "Текст", &ids[i], &err),
                         0);
        }
        int sent = -1;
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 0);
        /* One try, then the rest waits: a dead relay costs one timeout per
         * run, not one per message. */
        int64_t tried = -1, queued = -1;
        CHECK_EQ_INT(db_query_int64(db, &tried, &err,
                                    "SELECT COUNT(*) FROM outbox WHERE "
                                    "attempts > 0",
                                    DB_END),
                     DB_ROW);
        CHECK_EQ_INT(tried, 1);
        CHECK_EQ_INT(db_query_int64(db, &queued, &err,
                                    "SELECT COUNT(*) FROM outbox WHERE "
                                    "state = 'queued'",
                                    DB_END),
                     DB_ROW);
        CHECK_EQ_INT(queued, 3);
        struct arena *a = arena_new();
        struct outbox_msg om;
        CHECK_EQ_INT(outbox_get(db, ids[0], &om, a, &err), 0);
        CHECK(om.last_error != NULL && om.last_error[0]);
        arena_free(a);

        /* Nothing configured: mail waits, no error. A bad sender is a
         * configuration error. */
        cfg.smtp_url = NULL;
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), 0);
        CHECK_EQ_INT(sent, 0);
        cfg.smtp_url = smtp_sink_url(&sink);
        cfg.mail_from = "library";
        CHECK_EQ_INT(outbox_send_due(db, &cfg, &sent, &err), IBC_EINVAL);
        CHECK_EQ_STR(err.field, "mail_from");
    });
}

TEST(smtp_is_transparent_to_dot_lines)
{
    struct smtp_sink sink;
    CHECK_EQ_INT(smtp_sink_start(&sink), 0);
    struct outbox_config cfg;
    outbox_config_defaults(&cfg);
    cfg.smtp_url = smtp_sink_url(&sink);
    cfg.mail_from = "library@school12.example.org";
    const char *raw = "Subject: dots\r\n\r\n.hidden\r\n..two\r\n.\r\n"
                      "end\r\n";
    struct ibc_error err = IBC_ERROR_INIT;
    int code = 0;
    bool reached = false;
    CHECK_EQ_INT(outbox_smtp_send(&cfg, "a@x.org", raw, strlen(raw), &code,
                                  &reached, &err),
                 0);
    CHECK(reached);
    CHECK_EQ_INT(code, 250);
    CHECK(smtp_sink_wait(&sink, 1, 2000));
    struct smtp_sink_msg m;
    CHECK(smtp_sink_get(&sink, 0, &m));
    CHECK_EQ_STR(m.data, raw);

    /* Failures come back classified. */
    smtp_sink_fault(&sink, SMTP_SINK_451_DATA, 1);
    CHECK_EQ_INT(outbox_smtp_send(&cfg, "a@x.org", raw, strlen(raw), &code,
                                  &reached, &err),
                 IBC_EUNAVAIL);
    CHECK_EQ_INT(code, 451);
    CHECK_CONTAINS(err.msg, "451");
    smtp_sink_fault(&sink, SMTP_SINK_550_RCPT, 1);
    CHECK_EQ_INT(outbox_smtp_send(&cfg, "a@x.org", raw, strlen(raw), &code,
                                  &reached, &err),
                 IBC_EINVAL);
    CHECK_EQ_INT(code, 550);
    cfg.smtp_url = "file:///etc/passwd";
    CHECK_EQ_INT(outbox_smtp_send(&cfg, "a@x.org", raw, strlen(raw), &code,
                                  &reached, &err),
                 IBC_EINVAL);
    CHECK_EQ_INT(smtp_sink_count(&sink), 1);
    smtp_sink_stop(&sink);
}

TEST(outbox_job_sends_on_its_schedule)
{
    EACH_DB({
        int64_t id = 0;
        cfg.interval_s = 1;
        struct jobs_config jcfg;
        jobs_config_defaults(&jcfg);
        jcfg.n_workers = 1;
        jcfg.poll_ms = 20;
        jcfg.tick_ms = 50;
        struct jobs *j = jobs_new(t.url, &jcfg);
        CHECK_EQ_INT(outbox_jobs_register(j, &cfg), 0);
        CHECK_EQ_INT(jobs_start(j, &err), 0);
        CHECK_EQ_INT(outbox_enqueue(db, org, "reader@school12.ru", RU_SUBJECT,
                                    RU_BODY, &id, &err),
                     0);
        CHECK(smtp_sink_wait(&sink, 1, 5000));
        jobs_free(j);
        struct arena *a = arena_new();
        struct outbox_msg om;
        CHECK_EQ_INT(outbox_get(db, id, &om, a, &err), 0);
        CHECK_EQ_STR(om.state, "sent");
        int64_t n = -1;
        CHECK_EQ_INT(db_query_int64(db, &n, &err,
                                    "SELECT COUNT(*) FROM job WHERE kind = "
                                    "'outbox.send' AND state = 'done' AND "
                                    "result = '{\"sent\":1}'",
                                    DB_END),
                     DB_ROW);
        CHECK_EQ_INT(n, 1);
        CHECK_EQ_INT(smtp_sink_count(&sink), 1);
        arena_free(a);
    });
}
