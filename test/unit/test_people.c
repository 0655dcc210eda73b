/* ibc — tests of the people module: persons, passwords, classes, parents'
 * links and codes, on SQLite and (when IBC_TEST_PG_URL is set)
 * PostgreSQL; and the parts without a database (roles, validation,
 * generated passwords, the argon2id parameters). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "db/db.h"
#include "dbtest.h"
#include "demo/demo.h"
#include "harness.h"
#include "org/org.h"
#include "people/people.h"

static int64_t make_org(struct db *db, const char *code)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct org o = {.code = code, .name = "Школа", .short_name = "Школа"};
    int64_t id = 0;
    CHECK_EQ_INT(org_create(db, &o, &id, &err), 0);
    return id;
}

static int64_t make_class(struct db *db, int64_t org, const char *name,
                          int level)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t id = 0;
    CHECK_EQ_INT(class_create(db, org, name, level, 2026, 0, &id, &err), 0);
    return id;
}

/* A person with the given login, names and roles (no password). */
static int64_t make_person(struct db *db, int64_t org, const char *login,
                           const char *last, const char *first,
                           unsigned roles, int64_t class_id)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct person_input in = {.login = login,
                              .last_name = last,
                              .first_name = first,
                              .roles = roles,
                              .class_id = class_id};
    int64_t id = 0;
    int rc = person_create(db, org, &in, &id, &err);
    if (rc) {
        test_fail(__FILE__, __LINE__, "person_create %s: %s (%s)", login,
                  err.msg, err.field);
    }
    return id;
}

/* ---- without a database ---- */

TEST(roles_parse_and_format)
{
    CHECK_EQ_INT(role_parse("librarian"), ROLE_LIBRARIAN);
    CHECK_EQ_INT(role_parse("Librarian"), 0);
    CHECK_EQ_STR(role_name(ROLE_CLASS_TEACHER), "class_teacher");
    CHECK(role_name(ROLE_STUDENT | ROLE_TEACHER) == NULL);
    struct ibc_error err = IBC_ERROR_INIT;
    unsigned r = 0;
    CHECK_EQ_INT(role_parse_list("librarian, teacher", &r, &err), 0);
    CHECK_EQ_INT(r, ROLE_LIBRARIAN | ROLE_TEACHER);
    CHECK_EQ_INT(role_parse_list("librarian,wizard", &r, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "roles");
    CHECK_CONTAINS(err.msg, "wizard");
    CHECK_EQ_INT(role_parse_list("", &r, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "roles");
    struct arena *a = arena_new();
    CHECK_EQ_STR(role_format(a, ROLE_LIBRARIAN | ROLE_TEACHER),
                 "teacher,librarian");
    CHECK_EQ_STR(role_format(a, 0), "");
    arena_free(a);
}

TEST(validation_helpers)
{
    char out[PERSON_LOGIN_MAX + 1];
    CHECK_EQ_INT(person_login_normalise("Ivanov.P-2", out, NULL), 0);
    CHECK_EQ_STR(out, "ivanov.p-2");
    CHECK_EQ_INT(person_login_normalise("ab", out, NULL), IBC_EINVAL);
    CHECK_EQ_INT(person_login_normalise("иванов", out, NULL), IBC_EINVAL);
    CHECK_EQ_INT(person_login_normalise("a b c", out, NULL), IBC_EINVAL);
    CHECK_EQ_INT(person_login_normalise(
                     "a23456789012345678901234567890123456789012", out, NULL),
                 IBC_EINVAL);
    CHECK(person_name_valid("Ёлкина"));
    CHECK(person_name_valid("Римский-Корсаков"));
    CHECK(person_name_valid("Д'Артаньян"));
    CHECK(person_name_valid("Анна Мария"));
    CHECK(person_name_valid("Müller"));
    CHECK(!person_name_valid(""));
    CHECK(!person_name_valid(" Иван"));
    CHECK(!person_name_valid("Иван-"));
    CHECK(!person_name_valid("Иван  Иванович"));
    CHECK(!person_name_valid("Иван2"));
    CHECK(!person_name_valid("<script>"));
    CHECK(!person_name_valid("\xd0"));
    char longname[300];
    memset(longname, 'a', 101);
    longname[101] = '\0';
    CHECK(!person_name_valid(longname));
    longname[100] = '\0';
    CHECK(person_name_valid(longname));
    CHECK(person_birth_date_valid("2014-05-01"));
    CHECK(person_birth_date_valid("2012-02-29"));
    CHECK(!person_birth_date_valid("2013-02-29"));
    CHECK(!person_birth_date_valid("2014-13-01"));
    CHECK(!person_birth_date_valid("2014-04-31"));
    CHECK(!person_birth_date_valid("01.05.2014"));
    CHECK(!person_birth_date_valid("1899-12-31"));
    CHECK(!person_birth_date_valid("2999-01-01"));
}

static bool password_shape_ok(const char *s)
{
    /* ^[a-z]{3,4}-[2-9]{4}-[a-z]{3,4}$ */
    size_t i = 0, n;
    for (n = 0; s[i] >= 'a' && s[i] <= 'z'; i++, n++) {
    }
    if (n < 3 || n > 4 || s[i++] != '-') {
        return false;
    }
    for (n = 0; s[i] >= '2' && s[i] <= '9'; i++, n++) {
    }
    if (n != 4 || s[i++] != '-') {
        return false;
    }
    for (n = 0; s[i] >= 'a' && s[i] <= 'z'; i++, n++) {
    }
    return n >= 3 && n <= 4 && s[i] == '\0';
}

TEST(generated_passwords_have_the_documented_shape)
{
    char pw[16], prev[16] = "";
    int same = 0;
    for (int i = 0; i < 500; i++) {
        CHECK_EQ_INT(person_generate_password(pw), 0);
        if (!password_shape_ok(pw)) {
            test_fail(__FILE__, __LINE__, "bad shape: %s", pw);
        }
        CHECK_EQ_INT(password_check_policy(pw, NULL), 0);
        same += strcmp(pw, prev) == 0;
        memcpy(prev, pw, sizeof(pw));
    }
    CHECK(same < 3); /* random, not constant */
}

TEST(password_hash_verify_and_policy)
{
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(password_check_policy("short", &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "password");
    CHECK_EQ_INT(password_check_policy("пароль12", &err), 0); /* 8 chars */
    CHECK_EQ_INT(password_check_policy("пароль1", &err), IBC_EINVAL);
    CHECK_EQ_INT(password_check_policy("tab\there!", &err), IBC_EINVAL);
    char h[PASSWORD_HASH_MAX];
    CHECK_EQ_INT(password_hash("correct horse", h, &err), 0);
    CHECK(strncmp(h, "$argon2id$", 10) == 0);
    CHECK_CONTAINS(h, "m=65536,t=2"); /* the documented parameters */
    CHECK(password_verify(h, "correct horse"));
    CHECK(!password_verify(h, "correct horsE"));
    CHECK(!password_verify(NULL, "correct horse"));
    CHECK(!password_verify("garbage", "correct horse"));
    CHECK(!password_needs_rehash(h));
    CHECK(password_needs_rehash("garbage"));
    /* the dummy hash is made with the current parameters: same cost */
    password_verify_dummy("anything");
}

/* ---- on both backends ---- */

static void person_create_get_list_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "s1");
    int64_t c5 = make_class(db, org, "5А", 5);
    int64_t c7 = make_class(db, org, "7Б", 7);
    struct person_input in = {.login = "Zhukova",
                              .last_name = "Жукова",
                              .first_name = "Анна",
                              .middle_name = "Сергеевна",
                              .birth_date = "2014-05-01",
                              .roles = ROLE_STUDENT,
                              .class_id = c5,
                              .password = "kot-4827-sova",
                              .must_change_password = true};
    int64_t zh = 0;
    CHECK_EQ_INT(person_create(db, org, &in, &zh, &err), 0);
    CHECK(zh > 0);
    int64_t el = make_person(db, org, "elkina", "Ёлкина", "Мария",
                             ROLE_STUDENT, c5);
    int64_t eli = make_person(db, org, "eliseeva", "Елисеева", "Ольга",
                              ROLE_STUDENT, c5);
    int64_t ab = make_person(db, org, "abramov", "Абрамов", "Пётр",
                             ROLE_STUDENT, c7);
    int64_t lib = make_person(db, org, "librarian", "Яковлева", "Нина",
                              ROLE_LIBRARIAN | ROLE_TEACHER, 0);

    struct arena *a = arena_new();
    struct person p;
    CHECK_EQ_INT(person_get(db, a, org, zh, &p, &err), 0);
    CHECK_EQ_STR(p.login, "zhukova"); /* lowered */
    CHECK_EQ_STR(p.last_name, "Жукова");
    CHECK_EQ_STR(p.first_name, "Анна");
    CHECK_EQ_STR(p.middle_name, "Сергеевна");
    CHECK_EQ_STR(p.birth_date, "2014-05-01");
    CHECK(p.email == NULL);
    CHECK_EQ_INT(p.roles, ROLE_STUDENT);
    CHECK_EQ_INT(p.class_id, c5);
    CHECK_EQ_STR(p.class_name, "5А");
    CHECK(p.must_change_password);
    CHECK_EQ_INT(p.status, PERSON_ACTIVE);
    CHECK(p.created_at && strlen(p.created_at) == 20);
    CHECK_EQ_INT(person_get_by_login(db, a, org, "ZHUKOVA", &p, &err), 0);
    CHECK_EQ_INT(p.id, zh);
    CHECK_EQ_INT(person_get(db, a, org, lib, &p, &err), 0);
    CHECK(p.middle_name == NULL);
    CHECK(p.class_name == NULL);
    CHECK(!p.must_change_password);

    /* Russian order within a class: Елисеева, Ёлкина, Жукова; classes by
     * level; people without a class last. */
    struct person *v;
    size_t n;
    CHECK_EQ_INT(person_list(db, a, org, 0, 0, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_INT(v[0].id, eli);
    CHECK_EQ_INT(v[1].id, el);
    CHECK_EQ_INT(v[2].id, zh);
    CHECK_EQ_INT(v[3].id, ab);
    CHECK_EQ_STR(v[3].class_name, "7Б");
    CHECK_EQ_INT(v[4].id, lib);
    CHECK_EQ_INT(person_list(db, a, org, ROLE_LIBRARIAN, 0, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(v[0].id, lib);
    CHECK_EQ_INT(person_list(db, a, org, 0, c7, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(v[0].login, "abramov");
    CHECK_EQ_INT(person_list(db, a, org, ROLE_STUDENT | ROLE_TEACHER, c5, &v,
                             &n, &err),
                 0);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_STR(v[1].last_name, "Ёлкина");

    /* Another school: same login allowed there; its people are not
     * found here, and ours are not found there. */
    int64_t org2 = make_org(db, "s2");
    int64_t other = make_person(db, org2, "zhukova", "Жукова", "Вера",
                                ROLE_LIBRARIAN, 0);
    CHECK(other != zh);
    CHECK_EQ_INT(person_get(db, a, org, other, &p, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(person_get(db, a, org2, zh, &p, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(person_get_by_login(db, a, org2, "elkina", &p, &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_INT(person_get_by_login(db, a, org, "no such", &p, &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_INT(person_list(db, a, org2, 0, 0, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    /* a class of another school is refused */
    struct person_input bad = {.login = "x-student", .last_name = "Иванов",
                               .first_name = "Иван", .roles = ROLE_STUDENT,
                               .class_id = c5};
    CHECK_EQ_INT(person_create(db, org2, &bad, NULL, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "class_id");
    /* the login is taken within the school */
    struct person_input dup = {.login = "ElKina", .last_name = "Ёлкина",
                               .first_name = "Вера", .roles = ROLE_TEACHER};
    CHECK_EQ_INT(person_create(db, org, &dup, NULL, &err), IBC_ECONFLICT);
    CHECK_EQ_STR(err.field, "login");
    CHECK_CONTAINS(err.msg, "elkina");
    arena_free(a);
}

TEST(person_create_get_list)
{
    tdb_each(person_create_get_list_on);
}

/* Expects person_create(in) to fail with code on field. */
#define EXPECT_FIELD(in_, code_, field_)                                       \
    do {                                                                       \
        struct ibc_error e_ = IBC_ERROR_INIT;                                  \
        CHECK_EQ_INT(person_create(db, org, &(in_), NULL, &e_), (code_));     \
        CHECK_EQ_STR(e_.field, (field_));                                      \
        CHECK(e_.msg[0] != '\0');                                              \
    } while (0)

static void person_create_validates_every_field_on(struct db *db)
{
    int64_t org = make_org(db, "v1");
    int64_t c5 = make_class(db, org, "5А", 5);
    const struct person_input good = {.login = "teacher",
                                      .last_name = "Петрова",
                                      .first_name = "Ирина",
                                      .middle_name = "Сергеевна",
                                      .email = "petrova@school12.ru",
                                      .roles = ROLE_TEACHER,
                                      .password = "long enough"};
    struct person_input in = good;
    in.login = "ab";
    EXPECT_FIELD(in, IBC_EINVAL, "login");
    in.login = "петрова";
    EXPECT_FIELD(in, IBC_EINVAL, "login");
    in.login = NULL;
    EXPECT_FIELD(in, IBC_EINVAL, "login");
    in = good;
    in.last_name = "";
    EXPECT_FIELD(in, IBC_EINVAL, "last_name");
    in.last_name = "Петрова1";
    EXPECT_FIELD(in, IBC_EINVAL, "last_name");
    in = good;
    in.first_name = NULL;
    EXPECT_FIELD(in, IBC_EINVAL, "first_name");
    in.first_name = "\xff\xfe";
    EXPECT_FIELD(in, IBC_EINVAL, "first_name");
    in = good;
    in.middle_name = "<b>";
    EXPECT_FIELD(in, IBC_EINVAL, "middle_name");
    in = good;
    in.birth_date = "2014-02-30";
    EXPECT_FIELD(in, IBC_EINVAL, "birth_date");
    in.birth_date = "2999-01-01";
    EXPECT_FIELD(in, IBC_EINVAL, "birth_date");
    in = good;
    in.email = "petrova@";
    EXPECT_FIELD(in, IBC_EINVAL, "email");
    in.email = "not an address";
    EXPECT_FIELD(in, IBC_EINVAL, "email");
    in = good;
    in.roles = 0;
    EXPECT_FIELD(in, IBC_EINVAL, "roles");
    in.roles = 1u << 12;
    EXPECT_FIELD(in, IBC_EINVAL, "roles");
    in = good;
    in.roles = ROLE_STUDENT; /* a student needs a class */
    EXPECT_FIELD(in, IBC_EINVAL, "class_id");
    in = good;
    in.class_id = c5; /* a teacher is not in a class */
    EXPECT_FIELD(in, IBC_EINVAL, "class_id");
    in = good;
    in.roles = ROLE_STUDENT;
    in.class_id = c5 + 1000;
    EXPECT_FIELD(in, IBC_EINVAL, "class_id");
    in = good;
    in.password = "1234567";
    EXPECT_FIELD(in, IBC_EINVAL, "password");
    /* nothing was created by the failures */
    struct ibc_error err = IBC_ERROR_INIT;
    struct arena *a = arena_new();
    struct person *v;
    size_t n;
    CHECK_EQ_INT(person_list(db, a, org, 0, 0, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    /* and the good one is accepted; a student needs no e-mail */
    in = good;
    CHECK_EQ_INT(person_create(db, org, &in, NULL, &err), 0);
    in = good;
    in.login = "pupil";
    in.email = NULL;
    in.roles = ROLE_STUDENT;
    in.class_id = c5;
    in.middle_name = "";
    CHECK_EQ_INT(person_create(db, org, &in, NULL, &err), 0);
    CHECK_EQ_INT(person_list(db, a, org, 0, 0, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    CHECK(v[0].middle_name == NULL); /* "" is none */
    arena_free(a);
}

TEST(person_create_validates_every_field)
{
    tdb_each(person_create_validates_every_field_on);
}

static void passwords_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "p1");
    int64_t org2 = make_org(db, "p2");
    struct person_input in = {.login = "librarian",
                              .last_name = "Яковлева",
                              .first_name = "Нина",
                              .roles = ROLE_LIBRARIAN,
                              .password = "demo-librarian"};
    int64_t id = 0, got = 0;
    CHECK_EQ_INT(person_create(db, org, &in, &id, &err), 0);
    CHECK_EQ_INT(
        person_check_password(db, org, "librarian", "demo-librarian", &got,
                              &err),
        0);
    CHECK_EQ_INT(got, id);
    CHECK_EQ_INT(person_check_password(db, org, "LIBRARIAN",
                                       "demo-librarian", &got, &err),
                 0);
    /* wrong password and unknown login: the same answer */
    char msg_wrong[512];
    CHECK_EQ_INT(person_check_password(db, org, "librarian", "demo-libraria",
                                       &got, &err),
                 IBC_EAUTH);
    memcpy(msg_wrong, err.msg, sizeof(msg_wrong));
    CHECK_EQ_INT(person_check_password(db, org, "nobody", "demo-librarian",
                                       &got, &err),
                 IBC_EAUTH);
    CHECK_EQ_STR(err.msg, msg_wrong);
    CHECK_EQ_INT(person_check_password(db, org, "x", "demo-librarian", &got,
                                       &err),
                 IBC_EAUTH);
    CHECK_EQ_STR(err.msg, msg_wrong);
    /* the right password in another school is no use */
    CHECK_EQ_INT(person_check_password(db, org2, "librarian",
                                       "demo-librarian", &got, &err),
                 IBC_EAUTH);
    /* a person without a password cannot sign in */
    in.login = "nopass";
    in.password = NULL;
    int64_t np = 0;
    CHECK_EQ_INT(person_create(db, org, &in, &np, &err), 0);
    CHECK_EQ_INT(person_check_password(db, org, "nopass", "", &got, &err),
                 IBC_EAUTH);

    /* set password + must-change */
    CHECK_EQ_INT(person_set_password(db, org, id, "short", true, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "password");
    CHECK_EQ_INT(person_set_password(db, org2, id, "new password", true, &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_INT(person_set_password(db, org, id, "new password", true, &err),
                 0);
    struct arena *a = arena_new();
    struct person p;
    CHECK_EQ_INT(person_get(db, a, org, id, &p, &err), 0);
    CHECK(p.must_change_password);
    CHECK_EQ_INT(person_check_password(db, org, "librarian",
                                       "demo-librarian", &got, &err),
                 IBC_EAUTH);
    CHECK_EQ_INT(person_check_password(db, org, "librarian", "new password",
                                       &got, &err),
                 0);
    CHECK_EQ_INT(person_set_password(db, org, id, "newer password", false,
                                     &err),
                 0);
    CHECK_EQ_INT(person_get(db, a, org, id, &p, &err), 0);
    CHECK(!p.must_change_password);

    /* needs-rehash: a hash made with weaker parameters is replaced at the
     * next successful sign-in */
    char weak[crypto_pwhash_STRBYTES];
    CHECK(sodium_init() >= 0);
    CHECK_EQ_INT(crypto_pwhash_str(weak, "old password", 12, 1, 8u << 20), 0);
    CHECK(password_needs_rehash(weak));
    CHECK_EQ_INT(db_run(db, &err,
                        "UPDATE person SET password_hash = ? WHERE id = ?",
                        DB_TXT(weak), DB_I64(id), DB_END),
                 0);
    CHECK_EQ_INT(person_check_password(db, org, "librarian", "wrong one",
                                       &got, &err),
                 IBC_EAUTH);
    CHECK_EQ_INT(person_check_password(db, org, "librarian", "old password",
                                       &got, &err),
                 0);
    struct db_stmt *st;
    CHECK_EQ_INT(db_prepare_args(db, &st, &err,
                                 "SELECT password_hash FROM person "
                                 "WHERE id = ?",
                                 DB_I64(id), DB_END),
                 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    char *now_hash = arena_strdup(a, db_col_text(st, 0));
    db_finalize(st);
    CHECK(strcmp(now_hash, weak) != 0);
    CHECK(!password_needs_rehash(now_hash));
    CHECK(password_verify(now_hash, "old password"));
    CHECK_EQ_INT(person_check_password(db, org, "librarian", "old password",
                                       &got, &err),
                 0);
    /* one who left the school cannot sign in: the same answer */
    CHECK_EQ_INT(db_run(db, &err,
                        "UPDATE person SET status = 'left' WHERE id = ?",
                        DB_I64(id), DB_END),
                 0);
    CHECK_EQ_INT(person_get(db, a, org, id, &p, &err), 0);
    CHECK_EQ_INT(p.status, PERSON_LEFT);
    CHECK_EQ_INT(person_check_password(db, org, "librarian", "old password",
                                       &got, &err),
                 IBC_EAUTH);
    CHECK_EQ_STR(err.msg, msg_wrong);
    arena_free(a);
}

TEST(passwords_set_check_and_rehash)
{
    tdb_each(passwords_on);
}

static void roles_change_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "r1");
    int64_t c5 = make_class(db, org, "5А", 5);
    int64_t t = make_person(db, org, "teacher", "Петрова", "Ирина",
                            ROLE_TEACHER, 0);
    int64_t s = make_person(db, org, "student", "Иванов", "Иван",
                            ROLE_STUDENT, c5);
    CHECK_EQ_INT(person_set_roles(db, org, t, 0, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "roles");
    CHECK_EQ_INT(person_set_roles(db, org, t, ROLE_STUDENT, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "class_id");
    CHECK_EQ_INT(person_set_roles(db, org, t, ROLE_TEACHER | ROLE_ADMIN, &err),
                 0);
    int64_t org2 = make_org(db, "r2");
    CHECK_EQ_INT(person_set_roles(db, org2, t, ROLE_ADMIN, &err),
                 IBC_ENOTFOUND);
    struct arena *a = arena_new();
    struct person p;
    CHECK_EQ_INT(person_get(db, a, org, t, &p, &err), 0);
    CHECK_EQ_INT(p.roles, ROLE_TEACHER | ROLE_ADMIN);
    /* a student who becomes staff leaves the class */
    CHECK_EQ_INT(person_set_roles(db, org, s, ROLE_LIBRARIAN, &err), 0);
    CHECK_EQ_INT(person_get(db, a, org, s, &p, &err), 0);
    CHECK_EQ_INT(p.class_id, 0);
    arena_free(a);
}

TEST(roles_change)
{
    tdb_each(roles_change_on);
}

static void classes_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "c1");
    int64_t org2 = make_org(db, "c2");
    int64_t t = make_person(db, org, "teacher", "Петрова", "Ирина",
                            ROLE_TEACHER, 0);
    int64_t lib = make_person(db, org, "librarian", "Яковлева", "Нина",
                              ROLE_LIBRARIAN, 0);
    int64_t t2 = make_person(db, org2, "teacher", "Сидорова", "Анна",
                             ROLE_TEACHER, 0);
    int64_t c5 = 0, c10 = 0, c7 = 0, id = 0;
    CHECK_EQ_INT(class_create(db, org, "5А", 5, 2026, t, &c5, &err), 0);
    CHECK_EQ_INT(class_create(db, org, "10Б", 10, 2026, 0, &c10, &err), 0);
    CHECK_EQ_INT(class_create(db, org, "7Б", 7, 2026, 0, &c7, &err), 0);
    CHECK_EQ_INT(class_create(db, org, "5А", 5, 2025, 0, &id, &err), 0);
    /* the class teacher gets the role */
    struct arena *a = arena_new();
    struct person p;
    CHECK_EQ_INT(person_get(db, a, org, t, &p, &err), 0);
    CHECK_EQ_INT(p.roles, ROLE_TEACHER | ROLE_CLASS_TEACHER);

    CHECK_EQ_INT(class_create(db, org, "5А", 5, 2026, 0, &id, &err),
                 IBC_ECONFLICT);
    CHECK_EQ_STR(err.field, "name");
    CHECK_EQ_INT(class_create(db, org, "5А", 12, 2026, 0, &id, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "level");
    CHECK_EQ_INT(class_create(db, org, "5А", 0, 2026, 0, &id, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "level");
    CHECK_EQ_INT(class_create(db, org, "6А", 5, 2026, 0, &id, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "name");
    CHECK_EQ_INT(class_create(db, org, "1А", 10, 2026, 0, &id, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "name");
    CHECK_EQ_INT(class_create(db, org, "", 5, 2026, 0, &id, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "name");
    CHECK_EQ_INT(class_create(db, org, "5<А>", 5, 2026, 0, &id, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "name");
    CHECK_EQ_INT(class_create(db, org, "5В", 5, 1999, 0, &id, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "school_year");
    CHECK_EQ_INT(class_create(db, org, "5В", 5, 2026, lib, &id, &err),
                 IBC_EINVAL); /* not a teacher */
    CHECK_EQ_STR(err.field, "teacher_id");
    CHECK_EQ_INT(class_create(db, org, "5В", 5, 2026, t2, &id, &err),
                 IBC_EINVAL); /* another school's teacher */
    CHECK_EQ_STR(err.field, "teacher_id");

    struct school_class *v;
    size_t n;
    CHECK_EQ_INT(class_list(db, a, org, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_STR(v[0].name, "5А"); /* 2026: 5А, 7Б, 10Б; then 2025 */
    CHECK_EQ_INT(v[0].teacher_id, t);
    CHECK_EQ_INT(v[0].level, 5);
    CHECK_EQ_INT(v[0].school_year, 2026);
    CHECK_EQ_STR(v[1].name, "7Б");
    CHECK_EQ_STR(v[2].name, "10Б");
    CHECK_EQ_INT(v[3].school_year, 2025);
    CHECK_EQ_INT(class_list(db, a, org2, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 0);

    struct school_class c;
    CHECK_EQ_INT(class_get(db, a, org, c10, &c, &err), 0);
    CHECK_EQ_STR(c.name, "10Б");
    CHECK_EQ_INT(c.teacher_id, 0);
    CHECK_EQ_INT(class_get(db, a, org2, c10, &c, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(class_find(db, a, org, "5а", 0, &c, &err), 0);
    CHECK_EQ_INT(c.id, c5); /* newest year */
    CHECK_EQ_INT(class_find(db, a, org, "5 А", 2025, &c, &err), 0);
    CHECK_EQ_INT(c.school_year, 2025);
    CHECK_EQ_INT(class_find(db, a, org, "7-б", 0, &c, &err), 0);
    CHECK_EQ_INT(c.id, c7);
    CHECK_EQ_INT(class_find(db, a, org, "9А", 0, &c, &err), IBC_ENOTFOUND);
    CHECK_EQ_STR(err.field, "class");
    CHECK_EQ_INT(class_find(db, a, org2, "5А", 0, &c, &err), IBC_ENOTFOUND);
    arena_free(a);
}

TEST(classes_create_list_validate)
{
    tdb_each(classes_on);
}

static void parents_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t org = make_org(db, "f1");
    int64_t org2 = make_org(db, "f2");
    int64_t c5 = make_class(db, org, "5А", 5);
    int64_t kid = make_person(db, org, "student", "Иванов", "Иван",
                              ROLE_STUDENT, c5);
    int64_t kid2 = make_person(db, org, "student2", "Иванова", "Мария",
                               ROLE_STUDENT, c5);
    int64_t mum = make_person(db, org, "mum", "Иванова", "Ольга",
                              ROLE_PARENT, 0);
    int64_t dad = make_person(db, org, "dad", "Иванов", "Пётр",
                              ROLE_TEACHER, 0);
    int64_t stranger = make_person(db, org2, "stranger", "Чужой", "Олег",
                                   ROLE_PARENT, 0);
    CHECK(!parent_is_linked(db, org, mum, kid));
    CHECK_EQ_INT(parent_link(db, org, mum, kid, &err), 0);
    CHECK_EQ_INT(parent_link(db, org, mum, kid, &err), 0); /* harmless */
    CHECK(parent_is_linked(db, org, mum, kid));
    CHECK(!parent_is_linked(db, org, mum, kid2));
    CHECK(!parent_is_linked(db, org2, mum, kid));
    CHECK(!parent_is_linked(db, org, kid, mum));
    CHECK_EQ_INT(parent_link(db, org, mum, dad, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "child_id"); /* not a student */
    CHECK_EQ_INT(parent_link(db, org, stranger, kid, &err), IBC_ENOTFOUND);
    CHECK_EQ_STR(err.field, "parent_id");
    CHECK_EQ_INT(parent_link(db, org2, stranger, kid, &err), IBC_EINVAL);
    CHECK_EQ_STR(err.field, "child_id");
    CHECK_EQ_INT(parent_link(db, org, kid, kid, &err), IBC_EINVAL);

    /* a parent's children, in one query: only the linked ones */
    struct arena *a = arena_new();
    struct person *ch;
    size_t nch;
    CHECK_EQ_INT(person_list_children(db, a, org, mum, &ch, &nch, &err), 0);
    CHECK_EQ_INT(nch, 1);
    CHECK_EQ_INT(ch[0].id, kid);
    CHECK_EQ_STR(ch[0].class_name, "5А");
    int64_t kid3 = make_person(db, org, "student3", "Иванов", "Олег",
                               ROLE_STUDENT, c5);
    CHECK_EQ_INT(parent_link(db, org, mum, kid3, &err), 0);
    CHECK_EQ_INT(person_list_children(db, a, org, mum, &ch, &nch, &err), 0);
    CHECK_EQ_INT(nch, 2);
    CHECK(ch[0].id != kid2 && ch[1].id != kid2);
    /* the same parent id asked about another school: nobody */
    CHECK_EQ_INT(person_list_children(db, a, org2, mum, &ch, &nch, &err), 0);
    CHECK_EQ_INT(nch, 0);
    CHECK_EQ_INT(person_list_children(db, a, org, dad, &ch, &nch, &err), 0);
    CHECK_EQ_INT(nch, 0);

    /* codes: issue, shape, redeem once */
    const char *code = NULL;
    CHECK_EQ_INT(parent_code_issue(db, a, org, kid, 0, &code, &err), 0);
    CHECK(code && strlen(code) == 14);
    CHECK(code[4] == '-' && code[9] == '-');
    for (int i = 0; i < 14; i++) {
        if (i != 4 && i != 9) {
            CHECK(strchr(PARENT_CODE_ALPHABET, code[i]) != NULL);
        }
    }
    CHECK_EQ_INT(parent_code_issue(db, a, org, dad, 0, &code, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "child_id");
    CHECK_EQ_INT(parent_code_issue(db, a, org2, kid, 0, &code, &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_INT(parent_code_issue(db, a, org, kid, 400, &code, &err),
                 IBC_EINVAL);
    const char *code1 = NULL, *code2 = NULL, *code3 = NULL;
    CHECK_EQ_INT(parent_code_issue(db, a, org, kid, 0, &code1, &err), 0);
    CHECK_EQ_INT(parent_code_issue(db, a, org, kid2, 7, &code2, &err), 0);
    CHECK_EQ_INT(parent_code_issue(db, a, org, kid2, 7, &code3, &err), 0);
    CHECK(strcmp(code1, code2) != 0);

    /* typed sloppily: lower case, spaces instead of dashes */
    char typed[32];
    snprintf(typed, sizeof(typed), " %.4s %.4s%.4s ", code1, code1 + 5,
             code1 + 10);
    for (char *p = typed; *p; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
    int64_t child = 0;
    CHECK_EQ_INT(parent_code_redeem(db, org, dad, typed, &child, &err), 0);
    CHECK_EQ_INT(child, kid);
    CHECK(parent_is_linked(db, org, dad, kid));
    struct person p;
    CHECK_EQ_INT(person_get(db, a, org, dad, &p, &err), 0);
    CHECK_EQ_INT(p.roles, ROLE_TEACHER | ROLE_PARENT);
    /* used */
    CHECK_EQ_INT(parent_code_redeem(db, org, mum, code1, &child, &err),
                 IBC_ECONFLICT);
    CHECK_EQ_STR(err.field, "code");
    CHECK(!parent_is_linked(db, org, mum, kid2));
    /* wrong: unknown, malformed, or another school's */
    CHECK_EQ_INT(parent_code_redeem(db, org, mum, "2222-2222-2222", &child,
                                    &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_STR(err.field, "code");
    CHECK_EQ_INT(parent_code_redeem(db, org, mum, "0000-OOOO-1111", &child,
                                    &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_INT(parent_code_redeem(db, org, mum, "", &child, &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_INT(parent_code_redeem(db, org2, stranger, code2, &child, &err),
                 IBC_ENOTFOUND);
    /* a parent of another school cannot use this school's code */
    CHECK_EQ_INT(parent_code_redeem(db, org, stranger, code2, &child, &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_STR(err.field, "parent_id");
    /* expired: make code2's expiry pass */
    CHECK_EQ_INT(db_run(db, &err,
                        "UPDATE parent_code SET expires_at = "
                        "'2020-01-01T00:00:00Z' WHERE used_at IS NULL "
                        "AND child_id = ?",
                        DB_I64(kid2), DB_END),
                 0);
    CHECK_EQ_INT(parent_code_redeem(db, org, mum, code2, &child, &err),
                 IBC_EUNAVAIL);
    CHECK_EQ_STR(err.field, "code");
    CHECK_CONTAINS(err.msg, "expired");
    CHECK(!parent_is_linked(db, org, mum, kid2));
    /* inside the caller's transaction, a failure leaves it to the caller */
    CHECK_EQ_INT(db_begin(db, DB_TX_WRITE, &err), 0);
    CHECK_EQ_INT(parent_code_redeem(db, org, mum, code3, &child, &err),
                 IBC_EUNAVAIL);
    CHECK(db_in_tx(db));
    db_rollback(db);
    arena_free(a);
}

TEST(parent_links_and_codes)
{
    tdb_each(parents_on);
}

static void org_list_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    make_org(db, "zz");
    make_org(db, "aa");
    struct arena *a = arena_new();
    struct org *v;
    size_t n;
    CHECK_EQ_INT(org_list(db, a, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(v[0].code, "aa");
    CHECK_EQ_STR(v[1].code, "zz");
    arena_free(a);
}

TEST(org_list)
{
    tdb_each(org_list_on);
}

static void demo_people_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    bool created = false;
    CHECK_EQ_INT(demo_seed(db, &created, &err), 0);
    CHECK(created);
    CHECK_EQ_INT(demo_seed(db, &created, &err), 0); /* idempotent */
    CHECK(!created);
    struct arena *a = arena_new();
    struct org o;
    CHECK_EQ_INT(org_get_by_code(db, a, "demo", &o, &err), 0);
    struct person *v;
    size_t n;
    CHECK_EQ_INT(person_list(db, a, o.id, 0, 0, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 12);
    CHECK_EQ_INT(person_list(db, a, o.id, ROLE_STUDENT, 0, &v, &n, &err), 0);
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_STR(v[0].class_name, "5А");
    CHECK_EQ_STR(v[4].class_name, "7Б");
    struct person p;
    CHECK_EQ_INT(person_get_by_login(db, a, o.id, "head", &p, &err), 0);
    CHECK_EQ_STR(p.last_name, "Смирнова");
    CHECK_EQ_STR(p.first_name, "Ирина");
    CHECK_EQ_STR(p.middle_name, "Петровна");
    CHECK_EQ_INT(p.roles, ROLE_HEAD);
    CHECK(!p.must_change_password);
    CHECK_EQ_INT(person_get_by_login(db, a, o.id, "teacher", &p, &err), 0);
    CHECK_EQ_INT(p.roles, ROLE_TEACHER | ROLE_CLASS_TEACHER);
    int64_t teacher = p.id;
    struct school_class c;
    CHECK_EQ_INT(class_find(db, a, o.id, "5А", 2026, &c, &err), 0);
    CHECK_EQ_INT(c.teacher_id, teacher);
    CHECK_EQ_INT(class_find(db, a, o.id, "7Б", 2026, &c, &err), 0);
    CHECK_EQ_INT(c.level, 7);
    int64_t id = 0;
    const char *logins[] = {"head",     "librarian", "admin",    "teacher",
                            "teacher2", "student",   "student5", "parent"};
    const char *pws[] = {"demo-head",    "demo-librarian", "demo-admin",
                         "demo-teacher", "demo-teacher",   "demo-student",
                         "demo-student", "demo-parent"};
    for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
        CHECK_EQ_INT(person_check_password(db, o.id, logins[i], pws[i], &id,
                                           &err),
                     0);
    }
    int64_t parent, parent2, s1, s2, s3, s4;
    CHECK_EQ_INT(person_get_by_login(db, a, o.id, "parent", &p, &err), 0);
    parent = p.id;
    CHECK_EQ_INT(person_get_by_login(db, a, o.id, "parent2", &p, &err), 0);
    parent2 = p.id;
    CHECK_EQ_INT(person_get_by_login(db, a, o.id, "student", &p, &err), 0);
    s1 = p.id;
    CHECK_EQ_INT(person_get_by_login(db, a, o.id, "student2", &p, &err), 0);
    s2 = p.id;
    CHECK_EQ_INT(person_get_by_login(db, a, o.id, "student3", &p, &err), 0);
    s3 = p.id;
    CHECK_EQ_INT(person_get_by_login(db, a, o.id, "student4", &p, &err), 0);
    s4 = p.id;
    CHECK(parent_is_linked(db, o.id, parent, s1));
    CHECK(parent_is_linked(db, o.id, parent, s2));
    CHECK(!parent_is_linked(db, o.id, parent, s3));
    CHECK(!parent_is_linked(db, o.id, parent, s4));
    CHECK(parent_is_linked(db, o.id, parent2, s4));
    CHECK(!parent_is_linked(db, o.id, parent2, s1));
    arena_free(a);
}

TEST(demo_people)
{
    tdb_each(demo_people_on);
}
