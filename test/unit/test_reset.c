/* ibc — tests of the password-reset store (src/auth/reset_store.c) on
 * SQLite and (with IBC_TEST_PG_URL) PostgreSQL: the token is stored only
 * as its SHA-256, a link expires after RESET_LIFETIME, works once (and
 * ends the person's other links and sessions), a bad password leaves it
 * usable, another school's link is "not found", the look-up by e-mail
 * address, and the purge of long-expired rows. The HTTP side (the forms,
 * the mail in the outbox, the same answer for unknown accounts, students)
 * is test/e2e/t0440-reset.sh. */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/arena.h"
#include "core/str.h"
#include "db/db.h"
#include "dbtest.h"
#include "harness.h"
#include "org/org.h"
#include "people/people.h"

#define T0 ((time_t)1795000000) /* a fixed "now": 2026-11-18T11:06:40Z */

static int64_t add_person(struct db *db, int64_t org, const char *login,
                          const char *email)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct person_input in = {.login = login,
                              .last_name = "Смирнова",
                              .first_name = "Ольга",
                              .email = email,
                              .password = "old-password-1",
                              .roles = ROLE_TEACHER};
    int64_t id = 0;
    if (person_create(db, org, &in, &id, &err)) {
        test_fail(__FILE__, __LINE__, "person %s: %s", login, err.msg);
    }
    return id;
}

/* Whether login's password in org is pw. */
static bool password_is(struct db *db, int64_t org, const char *login,
                        const char *pw)
{
    return person_check_password(db, org, login, pw, NULL, NULL) == 0;
}

static int64_t count_rows(struct db *db, const char *sql, int64_t org)
{
    int64_t n = -1;
    db_query_int64(db, &n, NULL, sql, DB_I64(org), DB_END);
    return n;
}

static void store_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct arena *ar = arena_new();
    struct org oa = {
        .code = "sch-a", .name = "Школа А", .short_name = "Школа А"};
    struct org ob = {
        .code = "sch-b", .name = "Школа Б", .short_name = "Школа Б"};
    int64_t a, b;
    CHECK_EQ_INT(org_create(db, &oa, &a, &err), 0);
    CHECK_EQ_INT(org_create(db, &ob, &b, &err), 0);
    int64_t olga = add_person(db, a, "olga", "Olga.S@example.ru");
    int64_t ivan = add_person(db, a, "ivan", "ivan@example.ru");
    int64_t other = add_person(db, b, "olga", "olga.s@example.ru");

    /* ---- the token: 64 hex digits, only its hash in the row ---- */
    char tok[AUTH_TOKEN_HEX + 1], tok2[AUTH_TOKEN_HEX + 1];
    CHECK_EQ_INT(reset_create(db, a, olga, T0, tok, &err), 0);
    CHECK_EQ_INT((int)strlen(tok), AUTH_TOKEN_HEX);
    CHECK_EQ_INT((int)strspn(tok, "0123456789abcdef"), AUTH_TOKEN_HEX);
    CHECK_EQ_INT(reset_create(db, a, olga, T0, tok2, &err), 0);
    CHECK(strcmp(tok, tok2) != 0);
    char want[65];
    auth_hash_token(tok, want);
    struct db_stmt *st = NULL;
    CHECK_EQ_INT(db_prepare_args(db, &st, &err,
                                 "SELECT id, org_id, person_id, token_hash, "
                                 "created_at, expires_at, used_at "
                                 "FROM password_reset WHERE org_id = ? "
                                 "ORDER BY id",
                                 DB_I64(a), DB_END),
                 0);
    int rows = 0;
    bool found = false;
    while (db_step(st) == DB_ROW) {
        rows++;
        for (int c = 0; c < 7; c++) {
            const char *v = db_col_text(st, c);
            CHECK(v == NULL || strstr(v, tok) == NULL);
            CHECK(v == NULL || strstr(v, tok2) == NULL);
        }
        if (str_eq(db_col_text(st, 3), want)) {
            found = true;
            CHECK_EQ_INT(db_col_int64(st, 2), olga);
            CHECK_EQ_STR(db_col_text(st, 4), "2026-11-18T11:06:40Z");
            CHECK_EQ_STR(db_col_text(st, 5), "2026-11-18T12:06:40Z");
            CHECK(db_col_is_null(st, 6));
        }
    }
    db_finalize(st);
    CHECK_EQ_INT(rows, 2);
    CHECK(found);

    /* ---- checking: good for an hour, in its own school only ---- */
    int64_t pid = 0;
    CHECK_EQ_INT(reset_check(db, a, tok, T0, &pid, &err), 0);
    CHECK_EQ_INT(pid, olga);
    CHECK_EQ_INT(reset_check(db, a, tok, T0 + RESET_LIFETIME - 1, NULL, &err),
                 0);
    CHECK_EQ_INT(reset_check(db, a, tok, T0 + RESET_LIFETIME, NULL, &err),
                 IBC_EUNAVAIL);
    CHECK_EQ_INT(reset_check(db, b, tok, T0, NULL, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(reset_check(db, a, want, T0, NULL, &err), IBC_ENOTFOUND);
    char upper[AUTH_TOKEN_HEX + 1];
    str_copy(upper, tok, sizeof(upper));
    for (char *p = upper; *p; p++) {
        if (*p >= 'a' && *p <= 'f') {
            *p = (char)(*p - 'a' + 'A');
        }
    }
    CHECK_EQ_INT(reset_check(db, a, upper, T0, NULL, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(reset_check(db, a, "", T0, NULL, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(reset_check(db, a, NULL, T0, NULL, &err), IBC_ENOTFOUND);
    char shorter[AUTH_TOKEN_HEX];
    str_copy(shorter, tok, sizeof(shorter));
    CHECK_EQ_INT(reset_check(db, a, shorter, T0, NULL, &err), IBC_ENOTFOUND);
    /* a person of another school cannot be given a reset here */
    CHECK_EQ_INT(reset_create(db, a, other, T0, tok2, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(reset_create(db, a, 999999, T0, tok2, &err), IBC_ENOTFOUND);

    /* ---- another school's link: not found, nothing changes ---- */
    CHECK_EQ_INT(reset_use(db, b, tok, "new-password-2", T0, NULL, &err),
                 IBC_ENOTFOUND);
    CHECK(password_is(db, b, "olga", "old-password-1"));
    CHECK(password_is(db, a, "olga", "old-password-1"));

    /* ---- a password against the policy: refused, link still good ---- */
    err = (struct ibc_error)IBC_ERROR_INIT;
    CHECK_EQ_INT(reset_use(db, a, tok, "short", T0, NULL, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "password");
    CHECK_EQ_INT(reset_use(db, a, tok, "bad\tpassword", T0, NULL, &err),
                 IBC_EINVAL);
    CHECK_EQ_INT(reset_check(db, a, tok, T0, NULL, &err), 0);
    CHECK(password_is(db, a, "olga", "old-password-1"));

    /* ---- an expired link sets nothing ---- */
    CHECK_EQ_INT(reset_use(db, a, tok, "new-password-2", T0 + RESET_LIFETIME,
                           NULL, &err),
                 IBC_EUNAVAIL);
    CHECK(password_is(db, a, "olga", "old-password-1"));

    /* ---- the good use: password set, sessions gone, links used ---- */
    char sess[AUTH_TOKEN_HEX + 1], sess_ivan[AUTH_TOKEN_HEX + 1];
    time_t now = time(NULL);
    CHECK_EQ_INT(session_create(db, a, olga, NULL, NULL, now, sess, &err), 0);
    CHECK_EQ_INT(session_create(db, a, ivan, NULL, NULL, now, sess_ivan, &err),
                 0);
    CHECK_EQ_INT(person_set_password(db, a, olga, "old-password-1", true,
                                     &err),
                 0);
    pid = 0;
    CHECK_EQ_INT(reset_use(db, a, tok, "new-password-2", T0 + 60, &pid, &err),
                 0);
    CHECK_EQ_INT(pid, olga);
    CHECK(password_is(db, a, "olga", "new-password-2"));
    CHECK(!password_is(db, a, "olga", "old-password-1"));
    struct person p;
    CHECK_EQ_INT(person_get(db, ar, a, olga, &p, &err), 0);
    CHECK(!p.must_change_password);
    struct session s;
    CHECK_EQ_INT(session_lookup(db, a, sess, now, &s, &err), IBC_EAUTH);
    CHECK_EQ_INT(session_lookup(db, a, sess_ivan, now, &s, &err), 0);
    /* the other school's namesake keeps their password */
    CHECK(password_is(db, b, "olga", "old-password-1"));

    /* ---- once: this link and the person's other one are used ---- */
    CHECK_EQ_INT(reset_check(db, a, tok, T0 + 61, NULL, &err), IBC_ECONFLICT);
    CHECK_EQ_INT(reset_use(db, a, tok, "third-password-3", T0 + 61, NULL,
                           &err),
                 IBC_ECONFLICT);
    CHECK(password_is(db, a, "olga", "new-password-2"));
    /* tok2 was overwritten by the refused creates above: find the second
     * row of olga through its state instead */
    CHECK_EQ_INT(count_rows(db,
                            "SELECT COUNT(*) FROM password_reset "
                            "WHERE org_id = ? AND used_at IS NULL",
                            a),
                 0);
    CHECK_EQ_INT(count_rows(db,
                            "SELECT COUNT(*) FROM password_reset "
                            "WHERE org_id = ? AND used_at = "
                            "'2026-11-18T11:07:40Z'",
                            a),
                 2);
    /* a new link after the use works (and ivan's are his own) */
    char tok3[AUTH_TOKEN_HEX + 1], tok4[AUTH_TOKEN_HEX + 1];
    CHECK_EQ_INT(reset_create(db, a, olga, T0 + 120, tok3, &err), 0);
    CHECK_EQ_INT(reset_create(db, a, ivan, T0 + 120, tok4, &err), 0);
    CHECK_EQ_INT(reset_use(db, a, tok3, "fourth-password-4", T0 + 130, NULL,
                           &err),
                 0);
    CHECK(password_is(db, a, "olga", "fourth-password-4"));
    CHECK_EQ_INT(reset_check(db, a, tok4, T0 + 130, &pid, &err), 0);
    CHECK_EQ_INT(pid, ivan);

    /* ---- long-expired rows go when the next reset is made ---- */
    char tok5[AUTH_TOKEN_HEX + 1];
    time_t later = T0 + RESET_LIFETIME + 24 * 3600 + 200;
    CHECK_EQ_INT(reset_check(db, a, tok4, T0 + 2 * RESET_LIFETIME, NULL,
                             &err),
                 IBC_EUNAVAIL);
    CHECK_EQ_INT(reset_create(db, a, ivan, later, tok5, &err), 0);
    CHECK_EQ_INT(reset_check(db, a, tok4, later, NULL, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(reset_check(db, a, tok5, later, NULL, &err), 0);
    CHECK_EQ_INT(count_rows(db,
                            "SELECT COUNT(*) FROM password_reset "
                            "WHERE org_id = ?",
                            a),
                 1);

    /* ---- the person gone: the rows go with them ---- */
    CHECK_EQ_INT(db_run(db, &err, "DELETE FROM person WHERE id = ?",
                        DB_I64(ivan), DB_END),
                 0);
    CHECK_EQ_INT(reset_check(db, a, tok5, later, NULL, &err), IBC_ENOTFOUND);

    /* ---- people by e-mail address ---- */
    int64_t *ids = NULL;
    size_t n = 9;
    CHECK_EQ_INT(reset_find_email(db, ar, a, "olga.s@EXAMPLE.ru", &ids, &n,
                                  &err),
                 0);
    CHECK_EQ_INT((int)n, 1);
    CHECK_EQ_INT(ids[0], olga);
    CHECK_EQ_INT(reset_find_email(db, ar, b, "OLGA.S@example.ru", &ids, &n,
                                  &err),
                 0);
    CHECK_EQ_INT((int)n, 1);
    CHECK_EQ_INT(ids[0], other);
    CHECK_EQ_INT(reset_find_email(db, ar, a, "nobody@example.ru", &ids, &n,
                                  &err),
                 0);
    CHECK_EQ_INT((int)n, 0);
    CHECK_EQ_INT(reset_find_email(db, ar, a, "", &ids, &n, &err), 0);
    CHECK_EQ_INT((int)n, 0);
    /* two people of one address both come back; one who left does not */
    int64_t twin = add_person(db, a, "olga2", "olga.s@example.ru");
    CHECK_EQ_INT(reset_find_email(db, ar, a, "olga.s@example.ru", &ids, &n,
                                  &err),
                 0);
    CHECK_EQ_INT((int)n, 2);
    CHECK(n == 2 && ids[0] == olga && ids[1] == twin);
    CHECK_EQ_INT(db_run(db, &err,
                        "UPDATE person SET status = 'left' WHERE id = ?",
                        DB_I64(twin), DB_END),
                 0);
    CHECK_EQ_INT(reset_find_email(db, ar, a, "olga.s@example.ru", &ids, &n,
                                  &err),
                 0);
    CHECK_EQ_INT((int)n, 1);
    arena_free(ar);
}

TEST(reset_store_both_backends)
{
    tdb_each(store_on);
}
