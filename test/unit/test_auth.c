/* ibc — tests of sign-in's parts: sessions (create, lookup, lifetime, idle
 * timeout, last-seen, rotation, deletion), API tokens (create, verify,
 * scope, revoke, last use, other school), the throttle (windows, limits,
 * bounds) and the permission and scope decisions, table-driven. Stores on
 * SQLite and (with IBC_TEST_PG_URL) PostgreSQL. The HTTP side is tested
 * by test/e2e/t0400-signin.sh and t0410-access-matrix.sh. */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "db/db.h"
#include "dbtest.h"
#include "harness.h"
#include "org/org.h"
#include "people/people.h"

#define T0 ((time_t)1795000000) /* 2026-11-18T11:06:40Z, a fixed "now" */

/* Two schools; in school A a class 5А with its class teacher, two pupils,
 * one of them with a parent, a plain teacher and a librarian; in school B
 * one pupil. */
struct world {
    int64_t a, b;
    int64_t cls, cls7;
    int64_t teacher, teacher2, stud, stud2, stud7, parent, lib, head, other;
};

static int64_t add_person(struct db *db, int64_t org, const char *login,
                          unsigned roles, int64_t class_id)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct person_input in = {.login = login,
                              .last_name = "Иванов",
                              .first_name = "Пётр",
                              .roles = roles,
                              .class_id = class_id};
    int64_t id = 0;
    if (person_create(db, org, &in, &id, &err)) {
        test_fail(__FILE__, __LINE__, "person %s: %s", login, err.msg);
    }
    return id;
}

static void world_make(struct db *db, struct world *w)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct org oa = {.code = "sch-a", .name = "Школа А", .short_name = "Школа А"};
    struct org ob = {.code = "sch-b", .name = "Школа Б", .short_name = "Школа Б"};
    CHECK_EQ_INT(org_create(db, &oa, &w->a, &err), 0);
    CHECK_EQ_INT(org_create(db, &ob, &w->b, &err), 0);
    w->teacher = add_person(db, w->a, "teacher", ROLE_TEACHER, 0);
    w->teacher2 = add_person(db, w->a, "teacher2", ROLE_TEACHER, 0);
    CHECK_EQ_INT(class_create(db, w->a, "5А", 5, 2026, w->teacher, &w->cls,
                              &err),
                 0);
    CHECK_EQ_INT(class_create(db, w->a, "7Б", 7, 2026, 0, &w->cls7, &err), 0);
    w->stud = add_person(db, w->a, "student", ROLE_STUDENT, w->cls);
    w->stud2 = add_person(db, w->a, "student2", ROLE_STUDENT, w->cls);
    w->stud7 = add_person(db, w->a, "student7", ROLE_STUDENT, w->cls7);
    w->parent = add_person(db, w->a, "parent", ROLE_PARENT, 0);
    CHECK_EQ_INT(parent_link(db, w->a, w->parent, w->stud, &err), 0);
    w->lib = add_person(db, w->a, "librarian", ROLE_LIBRARIAN, 0);
    w->head = add_person(db, w->a, "head", ROLE_HEAD, 0);
    int64_t cb;
    CHECK_EQ_INT(class_create(db, w->b, "5А", 5, 2026, 0, &cb, &err), 0);
    w->other = add_person(db, w->b, "student", ROLE_STUDENT, cb);
}

/* ---- sessions ---- */

static int64_t count_sessions(struct db *db)
{
    int64_t n = -1;
    db_query_int64(db, &n, NULL, "SELECT COUNT(*) FROM session", DB_END);
    return n;
}

static void sessions_on(struct db *db)
{
    struct world w;
    world_make(db, &w);
    struct ibc_error err = IBC_ERROR_INIT;
    char tok[AUTH_TOKEN_HEX + 1], tok2[AUTH_TOKEN_HEX + 1];
    CHECK_EQ_INT(session_create(db, w.a, w.stud, "10.0.0.7", "Firefox", T0,
                                tok, &err),
                 0);
    CHECK_EQ_INT(strlen(tok), AUTH_TOKEN_HEX);
    /* a new sign-in is a new random id */
    CHECK_EQ_INT(session_create(db, w.a, w.stud, NULL, NULL, T0, tok2, &err),
                 0);
    CHECK(strcmp(tok, tok2) != 0);
    /* only the hash is stored */
    int64_t n = 0;
    CHECK_EQ_INT(db_query_int64(db, &n, &err,
                                "SELECT COUNT(*) FROM session WHERE "
                                "id_hash = ?",
                                DB_TXT(tok), DB_END),
                 DB_ROW);
    CHECK_EQ_INT(n, 0);

    struct session s;
    CHECK_EQ_INT(session_lookup(db, w.a, tok, T0 + 5, &s, &err), 0);
    CHECK_EQ_INT(s.person_id, w.stud);
    CHECK_EQ_INT(s.idle_minutes, AUTH_IDLE_DEFAULT_MIN);
    CHECK_EQ_INT(s.last_seen_at, T0); /* not rewritten within a minute */
    /* another school does not know the cookie; junk is refused early */
    CHECK_EQ_INT(session_lookup(db, w.b, tok, T0 + 5, &s, &err), IBC_EAUTH);
    CHECK_EQ_INT(session_lookup(db, w.a, "nope", T0, &s, &err), IBC_EAUTH);
    char wrong[AUTH_TOKEN_HEX + 1];
    memcpy(wrong, tok, sizeof(wrong));
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    CHECK_EQ_INT(session_lookup(db, w.a, wrong, T0, &s, &err), IBC_EAUTH);

    /* activity keeps it alive past the idle time: seen at +25 min (written,
     * more than a minute old), then alive at +50 min */
    CHECK_EQ_INT(session_lookup(db, w.a, tok, T0 + 25 * 60, &s, &err), 0);
    CHECK_EQ_INT(s.last_seen_at, T0 + 25 * 60);
    CHECK_EQ_INT(session_lookup(db, w.a, tok, T0 + 50 * 60, &s, &err), 0);
    /* idle for 30 minutes: gone, and the row is deleted */
    CHECK_EQ_INT(session_lookup(db, w.a, tok, T0 + 80 * 60, &s, &err),
                 IBC_EAUTH);
    CHECK_EQ_INT(session_lookup(db, w.a, tok, T0 + 50 * 60 + 1, &s, &err),
                 IBC_EAUTH);
    CHECK_EQ_INT(count_sessions(db), 1);

    /* a library computer: 10 minutes */
    CHECK_EQ_INT(db_run(db, &err,
                        "INSERT INTO org_setting (org_id, key, value) "
                        "VALUES (?, 'session_idle_minutes', '10')",
                        DB_I64(w.a), DB_END),
                 0);
    CHECK_EQ_INT(session_idle_minutes(db, w.a), 10);
    CHECK_EQ_INT(session_idle_minutes(db, w.b), AUTH_IDLE_DEFAULT_MIN);
    CHECK_EQ_INT(session_lookup(db, w.a, tok2, T0 + 9 * 60, &s, &err), 0);
    CHECK_EQ_INT(s.idle_minutes, 10);
    CHECK_EQ_INT(session_lookup(db, w.a, tok2, T0 + 20 * 60, &s, &err),
                 IBC_EAUTH);

    /* the absolute lifetime, however busy */
    CHECK_EQ_INT(session_create(db, w.a, w.lib, NULL, NULL, T0, tok, &err), 0);
    for (time_t t = T0 + 300; t < T0 + AUTH_SESSION_LIFETIME; t += 300) {
        CHECK_EQ_INT(session_lookup(db, w.a, tok, t, &s, &err), 0);
    }
    CHECK_EQ_INT(session_lookup(db, w.a, tok, T0 + AUTH_SESSION_LIFETIME,
                                &s, &err),
                 IBC_EAUTH);

    /* sign-out deletes; deleting twice or junk is fine */
    CHECK_EQ_INT(session_create(db, w.a, w.lib, NULL, NULL, T0, tok, &err), 0);
    CHECK_EQ_INT(session_delete(db, w.a, tok, &err), 0);
    CHECK_EQ_INT(session_lookup(db, w.a, tok, T0 + 1, &s, &err), IBC_EAUTH);
    CHECK_EQ_INT(session_delete(db, w.a, tok, &err), 0);
    CHECK_EQ_INT(session_delete(db, w.a, "junk", &err), 0);

    /* a password change ends the person's other sessions */
    CHECK_EQ_INT(session_create(db, w.a, w.head, NULL, NULL, T0, tok, &err),
                 0);
    CHECK_EQ_INT(session_create(db, w.a, w.head, NULL, NULL, T0, tok2, &err),
                 0);
    CHECK_EQ_INT(session_lookup(db, w.a, tok, T0 + 1, &s, &err), 0);
    CHECK_EQ_INT(session_delete_person(db, w.a, w.head, s.id_hash, &err), 0);
    CHECK_EQ_INT(session_lookup(db, w.a, tok, T0 + 2, &s, &err), 0);
    CHECK_EQ_INT(session_lookup(db, w.a, tok2, T0 + 2, &s, &err), IBC_EAUTH);

    /* a deleted person's sessions go with them */
    CHECK_EQ_INT(db_run(db, &err, "DELETE FROM parent_link WHERE org_id = ?",
                        DB_I64(w.a), DB_END),
                 0);
    CHECK_EQ_INT(db_run(db, &err, "DELETE FROM person WHERE id = ?",
                        DB_I64(w.head), DB_END),
                 0);
    CHECK_EQ_INT(session_lookup(db, w.a, tok, T0 + 3, &s, &err), IBC_EAUTH);
}

TEST(sessions) { tdb_each(sessions_on); }

TEST(session_cookie_names)
{
    struct req r;
    memset(&r, 0, sizeof(r));
    CHECK_EQ_STR(session_cookie_name(&r), "ibc_session");
    r.https = true;
    CHECK_EQ_STR(session_cookie_name(&r), "__Host-ibc_session");
}

/* ---- tokens ---- */

static void tokens_on(struct db *db)
{
    struct world w;
    world_make(db, &w);
    struct ibc_error err = IBC_ERROR_INIT;
    struct arena *a = arena_new();
    char rd[AUTH_API_LEN + 1], wr[AUTH_API_LEN + 1];
    int64_t id_r = 0, id_w = 0;
    CHECK_EQ_INT(token_create(db, w.a, w.lib, "opac", TOKEN_READ, &id_r, rd,
                              &err),
                 0);
    CHECK_EQ_INT(token_create(db, w.a, w.lib, "import", TOKEN_WRITE, &id_w,
                              wr, &err),
                 0);
    CHECK(strncmp(rd, "ibc_", 4) == 0);
    CHECK_EQ_INT(strlen(rd), AUTH_API_LEN);
    CHECK(strcmp(rd, wr) != 0);
    CHECK_EQ_INT(token_create(db, w.a, w.lib, "", TOKEN_READ, NULL, rd, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "name");

    struct api_token t;
    CHECK_EQ_INT(token_verify(db, a, w.a, rd, T0, &t, &err), 0);
    CHECK_EQ_INT(t.id, id_r);
    CHECK_EQ_INT(t.person_id, w.lib);
    CHECK_EQ_INT(t.scope, TOKEN_READ);
    CHECK_EQ_STR(t.name, "opac");
    CHECK_EQ_STR(t.last_used_at, "2026-11-18T11:06:40Z");
    CHECK_EQ_INT(token_verify(db, a, w.a, wr, T0, &t, &err), 0);
    CHECK_EQ_INT(t.scope, TOKEN_WRITE);
    /* last use is written at most once a minute */
    CHECK_EQ_INT(token_verify(db, a, w.a, rd, T0 + 30, &t, &err), 0);
    CHECK_EQ_STR(t.last_used_at, "2026-11-18T11:06:40Z");
    CHECK_EQ_INT(token_verify(db, a, w.a, rd, T0 + 90, &t, &err), 0);
    CHECK_EQ_STR(t.last_used_at, "2026-11-18T11:08:10Z");

    /* wrong, junk, another school's */
    char bad[AUTH_API_LEN + 1];
    memcpy(bad, rd, sizeof(bad));
    bad[10] = bad[10] == '0' ? '1' : '0';
    CHECK_EQ_INT(token_verify(db, a, w.a, bad, T0, &t, &err), IBC_EAUTH);
    CHECK_EQ_INT(token_verify(db, a, w.a, "Bearer", T0, &t, &err), IBC_EAUTH);
    CHECK_EQ_INT(token_verify(db, a, w.a, "", T0, &t, &err), IBC_EAUTH);
    CHECK_EQ_INT(token_verify(db, a, w.b, rd, T0, &t, &err), IBC_EAUTH);

    /* revoke: refused at once, listed with its last use */
    CHECK_EQ_INT(token_revoke(db, w.b, 0, id_r, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(token_revoke(db, w.a, w.stud, id_r, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(token_revoke(db, w.a, w.lib, id_r, &err), 0);
    CHECK_EQ_INT(token_verify(db, a, w.a, rd, T0 + 200, &t, &err), IBC_EAUTH);
    CHECK_EQ_INT(token_revoke(db, w.a, w.lib, id_r, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(token_verify(db, a, w.a, wr, T0 + 200, &t, &err), 0);
    struct api_token *v;
    size_t n;
    CHECK_EQ_INT(token_list(db, a, w.a, w.lib, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(v[0].id, id_w); /* newest first */
    CHECK(v[0].revoked_at == NULL);
    CHECK(v[1].revoked_at != NULL);
    CHECK_EQ_STR(v[1].last_used_at, "2026-11-18T11:08:10Z");
    CHECK_EQ_INT(token_list(db, a, w.a, w.stud, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(token_scope_parse("read"), TOKEN_READ);
    CHECK_EQ_INT(token_scope_parse("write"), TOKEN_WRITE);
    CHECK_EQ_INT(token_scope_parse("admin"), -1);
    arena_free(a);
}

TEST(tokens) { tdb_each(tokens_on); }

/* ---- throttle ---- */

TEST(throttle_window_and_limit)
{
    struct throttle *t = throttle_new(128);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(throttle_check(t, "acct:1:kid@1.2.3.4", 5, 900, T0), 0);
        throttle_add(t, "acct:1:kid@1.2.3.4", 900, T0 + i);
    }
    /* the sixth is refused until the window (started at T0) ends */
    CHECK_EQ_INT(throttle_check(t, "acct:1:kid@1.2.3.4", 5, 900, T0 + 10),
                 890);
    CHECK_EQ_INT(throttle_check(t, "acct:1:kid@1.2.3.4", 5, 900, T0 + 899),
                 1);
    /* other keys are untouched: the owner elsewhere, another account */
    CHECK_EQ_INT(throttle_check(t, "acct:1:kid@5.6.7.8", 5, 900, T0 + 10), 0);
    CHECK_EQ_INT(throttle_check(t, "acct:1:kid2@1.2.3.4", 5, 900, T0 + 10),
                 0);
    /* a new window after the old one */
    CHECK_EQ_INT(throttle_check(t, "acct:1:kid@1.2.3.4", 5, 900, T0 + 900),
                 0);
    throttle_add(t, "acct:1:kid@1.2.3.4", 900, T0 + 900);
    CHECK_EQ_INT(throttle_check(t, "acct:1:kid@1.2.3.4", 5, 900, T0 + 901),
                 0);
    /* clearing forgets the count */
    for (int i = 0; i < 5; i++) {
        throttle_add(t, "x", 60, T0);
    }
    CHECK(throttle_check(t, "x", 5, 60, T0) > 0);
    throttle_clear(t, "x");
    CHECK_EQ_INT(throttle_check(t, "x", 5, 60, T0), 0);
    /* hit = check and count in one step */
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(throttle_hit(t, "rate:9.9.9.9", 3, 60, T0 + i), 0);
    }
    CHECK_EQ_INT(throttle_hit(t, "rate:9.9.9.9", 3, 60, T0 + 5), 55);
    CHECK_EQ_INT(throttle_hit(t, "rate:9.9.9.9", 3, 60, T0 + 60), 0);
    throttle_free(t);
    throttle_free(NULL);
}

TEST(throttle_is_bounded)
{
    struct throttle *t = throttle_new(100); /* rounded up to 128 */
    char key[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "rate:10.%d.%d.%d", i >> 16, (i >> 8) & 255,
                 i & 255);
        throttle_hit(t, key, 10, 60, T0 + i / 100);
    }
    CHECK(throttle_used(t) <= 128);
    CHECK(throttle_used(t) > 64);
    /* a fresh, busy key is still counted while the table is full */
    for (int i = 0; i < 10; i++) {
        throttle_add(t, "acct:1:kid@1.1.1.1", 900, T0 + 300);
    }
    CHECK(throttle_check(t, "acct:1:kid@1.1.1.1", 10, 900, T0 + 300) > 0);
    throttle_free(t);
}

/* ---- permissions ---- */

TEST(perm_table)
{
    enum { A = ROLE_ADMIN, H = ROLE_HEAD, L = ROLE_LIBRARIAN,
           T = ROLE_TEACHER, S = ROLE_STUDENT, P = ROLE_PARENT,
           C = ROLE_COORDINATOR, CT = ROLE_CLASS_TEACHER | ROLE_TEACHER };
    static const struct {
        unsigned roles;
        bool signed_in;
        /* public, admin, signed-in, staff, librarian, head, coordinator */
        bool want[PERM__MAX];
    } rows[] = {
        {0, false, {1, 0, 0, 0, 0, 0, 0}},
        {S, true, {1, 0, 1, 0, 0, 0, 0}},
        {P, true, {1, 0, 1, 0, 0, 0, 0}},
        {T, true, {1, 0, 1, 0, 0, 0, 0}},
        {CT, true, {1, 0, 1, 0, 0, 0, 0}},
        {L, true, {1, 0, 1, 1, 1, 0, 0}},
        {H, true, {1, 0, 1, 1, 0, 1, 0}},
        {A, true, {1, 1, 1, 1, 1, 1, 0}},
        {C, true, {1, 0, 1, 0, 0, 0, 1}},
        {T | L, true, {1, 0, 1, 1, 1, 0, 0}},
        /* roles without a signed-in caller grant nothing */
        {A, false, {1, 0, 0, 0, 0, 0, 0}},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (int p = 0; p < PERM__MAX; p++) {
            bool got = perm_roles_allow(rows[i].roles, rows[i].signed_in,
                                        (enum perm)p);
            if (got != rows[i].want[p]) {
                test_fail(__FILE__, __LINE__, "row %zu perm %s: got %d", i,
                          perm_name((enum perm)p), got);
            }
        }
    }
    struct arena *a = arena_new();
    CHECK_EQ_STR(scope_names(a, SCOPE_OWN | SCOPE_CLASS), "own|class");
    CHECK_EQ_STR(scope_names(a, 0), "-");
    arena_free(a);
}

static struct auth_user as(const struct world *w, int64_t id, unsigned roles)
{
    struct auth_user u = {.person_id = id, .org_id = w->a, .roles = roles};
    return u;
}

static void scopes_on(struct db *db)
{
    struct world w;
    world_make(db, &w);
    struct ibc_error err = IBC_ERROR_INIT;
    const unsigned ALL = SCOPE_OWN | SCOPE_CHILD | SCOPE_CLASS | SCOPE_SCHOOL;
    struct auth_user stud = as(&w, w.stud, ROLE_STUDENT);
    struct auth_user par = as(&w, w.parent, ROLE_PARENT);
    struct auth_user ct = as(&w, w.teacher, ROLE_TEACHER | ROLE_CLASS_TEACHER);
    struct auth_user t2 = as(&w, w.teacher2, ROLE_TEACHER);
    struct auth_user lib = as(&w, w.lib, ROLE_LIBRARIAN);
    struct auth_user coord = as(&w, w.head, ROLE_COORDINATOR);
    const struct {
        const struct auth_user *u;
        unsigned scope;
        int64_t subject;
        int want;
    } rows[] = {
        /* a student: only themself */
        {&stud, ALL, w.stud, 0},
        {&stud, ALL, w.stud2, IBC_EPERM},
        {&stud, SCOPE_CHILD | SCOPE_CLASS | SCOPE_SCHOOL, w.stud, IBC_EPERM},
        {&stud, ALL, w.other, IBC_ENOTFOUND},
        {&stud, ALL, 999999, IBC_ENOTFOUND},
        /* a parent: themself and their linked child */
        {&par, ALL, w.stud, 0},
        {&par, SCOPE_OWN, w.stud, IBC_EPERM},
        {&par, ALL, w.stud2, IBC_EPERM},
        {&par, ALL, w.parent, 0},
        {&par, ALL, w.other, IBC_ENOTFOUND},
        /* the class teacher of 5А: its pupils, not 7Б */
        {&ct, ALL, w.stud, 0},
        {&ct, ALL, w.stud2, 0},
        {&ct, ALL, w.stud7, IBC_EPERM},
        {&ct, SCOPE_OWN | SCOPE_SCHOOL, w.stud, IBC_EPERM},
        {&ct, ALL, w.other, IBC_ENOTFOUND},
        /* a plain teacher: only themself */
        {&t2, ALL, w.stud, IBC_EPERM},
        {&t2, ALL, w.teacher2, 0},
        /* staff: the whole school, never another */
        {&lib, ALL, w.stud7, 0},
        {&lib, ALL, w.parent, 0},
        {&lib, SCOPE_OWN | SCOPE_CLASS, w.stud7, IBC_EPERM},
        {&lib, ALL, w.other, IBC_ENOTFOUND},
        /* a coordinator sees aggregates, never a person */
        {&coord, ALL | SCOPE_MUNICIPALITY, w.stud, IBC_EPERM},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int got = auth_scope_person(db, rows[i].u, rows[i].scope,
                                    rows[i].subject, &err);
        if (got != rows[i].want) {
            test_fail(__FILE__, __LINE__, "row %zu: got %d, want %d", i, got,
                      rows[i].want);
        }
    }
    CHECK_EQ_INT(auth_scope_person(db, NULL, ALL, w.stud, &err), IBC_EAUTH);
    /* the other school's own people see their own person */
    struct auth_user ob = {.person_id = w.other, .org_id = w.b,
                           .roles = ROLE_STUDENT};
    CHECK_EQ_INT(auth_scope_person(db, &ob, ALL, w.other, &err), 0);
    CHECK_EQ_INT(auth_scope_person(db, &ob, ALL, w.stud, &err),
                 IBC_ENOTFOUND);
}

TEST(scopes) { tdb_each(scopes_on); }

TEST(safe_back)
{
    CHECK_EQ_STR(auth_safe_back("/news/3"), "/news/3");
    CHECK_EQ_STR(auth_safe_back(NULL), "/");
    CHECK_EQ_STR(auth_safe_back("//evil.example/"), "/");
    CHECK_EQ_STR(auth_safe_back("/\\evil.example/"), "/");
    CHECK_EQ_STR(auth_safe_back("https://evil.example/"), "/");
    CHECK_EQ_STR(auth_safe_back("/signout"), "/");
    CHECK_EQ_STR(auth_safe_back("/a\r\nSet-Cookie: x=1"), "/");
}
