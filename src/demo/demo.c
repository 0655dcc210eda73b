/* ibc — the demo school; see demo.h. Later issues append their demo data
 * to demo_seed() (readers, books, loans, textbooks…) and their logins to
 * demo_print_logins(). */
#include "demo/demo.h"

#include <string.h>

#include "auth/password.h"
#include "db/db.h"
#include "news/news.h"
#include "org/org.h"
#include "people/people.h"

#define DEMO_CODE "demo"

/* News as a school librarian would write it; dates in the autumn term. */
static const struct {
    const char *title;
    const char *body;
    const char *published_at;
} demo_news[] = {
    {"Библиотека открыта после летних каникул",
     "Библиотека работает с понедельника по пятницу с 8:00 до 16:00.\n\n"
     "Учебники на новый учебный год выдаются по классам через классных "
     "руководителей: расписание выдачи — на стенде у библиотеки.",
     "2026-09-01T05:00:00Z"},
    {"Неделя детской книги: «Читаем вместе»",
     "С 16 по 20 ноября — громкие чтения для 1–4 классов, конкурс "
     "буктрейлеров для 5–9 классов и встреча с писателем.\n\n"
     "Заявки на конкурс принимаются в библиотеке до 13 ноября.",
     "2026-11-02T06:30:00Z"},
    {"Новые поступления: электронные учебники и аудиокниги",
     "В электронную библиотеку школы добавлены учебники из федерального "
     "перечня для 5–7 классов и аудиокниги по программе литературы.\n\n"
     "Читать можно с любого компьютера школы и из дома.",
     "2026-11-20T09:00:00Z"},
};

/* The demo's people (people.h). Passwords are "demo-" + the role, printed
 * by demo_print_logins() and not to be changed: the demo is for trying. */
enum { DEMO_NONE = -1, DEMO_5A = 0, DEMO_7B = 1 };

static const struct {
    const char *login, *last, *first, *middle, *birth;
    unsigned roles;
    int class_idx; /* DEMO_5A, DEMO_7B, DEMO_NONE */
    const char *password;
} demo_people[] = {
    {"head", "Смирнова", "Ирина", "Петровна", NULL, ROLE_HEAD, DEMO_NONE,
     "demo-head"},
    {"librarian", "Кузнецова", "Елена", "Викторовна", NULL, ROLE_LIBRARIAN,
     DEMO_NONE, "demo-librarian"},
    {"admin", "Попов", "Андрей", "Николаевич", NULL, ROLE_ADMIN, DEMO_NONE,
     "demo-admin"},
    {"teacher", "Васильева", "Ольга", "Александровна", NULL, ROLE_TEACHER,
     DEMO_NONE, "demo-teacher"},
    {"teacher2", "Морозов", "Дмитрий", "Сергеевич", NULL, ROLE_TEACHER,
     DEMO_NONE, "demo-teacher"},
    /* the classes are made here, after the class teacher */
    {"student", "Иванов", "Артём", "Сергеевич", "2015-03-14", ROLE_STUDENT,
     DEMO_5A, "demo-student"},
    {"student2", "Иванова", "Анна", "Сергеевна", "2015-03-14", ROLE_STUDENT,
     DEMO_5A, "demo-student"},
    {"student3", "Ёлкина", "Мария", "Андреевна", "2014-11-05", ROLE_STUDENT,
     DEMO_5A, "demo-student"},
    {"student4", "Соколов", "Максим", "Игоревич", "2013-09-30", ROLE_STUDENT,
     DEMO_7B, "demo-student"},
    {"student5", "Лебедева", "Варвара", "Павловна", "2013-02-17",
     ROLE_STUDENT, DEMO_7B, "demo-student"},
    {"parent", "Иванова", "Наталья", "Викторовна", NULL, ROLE_PARENT,
     DEMO_NONE, "demo-parent"},
    {"parent2", "Соколова", "Татьяна", "Игоревна", NULL, ROLE_PARENT,
     DEMO_NONE, "demo-parent"},
};

#define N_DEMO_PEOPLE (sizeof(demo_people) / sizeof(demo_people[0]))

/* Index of a demo login in demo_people. */
static size_t demo_idx(const char *login)
{
    for (size_t i = 0; i < N_DEMO_PEOPLE; i++) {
        if (strcmp(demo_people[i].login, login) == 0) {
            return i;
        }
    }
    return 0;
}

/* Classes 5А (class teacher: teacher) and 7Б of 2026/27, the people and
 * the parents' links, in the caller's transaction. */
static int seed_people(struct db *db, int64_t org_id, struct ibc_error *err)
{
    int64_t ids[N_DEMO_PEOPLE] = {0};
    int64_t classes[2] = {0, 0};
    /* The demo's passwords are printed at every start, so they are hashed
     * with the cheapest argon2id (upgraded at first sign-in), each
     * distinct password once. */
    char hashes[N_DEMO_PEOPLE][PASSWORD_HASH_MAX];
    int rc = 0;
    for (size_t i = 0; i < N_DEMO_PEOPLE && rc == 0; i++) {
        hashes[i][0] = '\0';
        for (size_t j = 0; j < i; j++) {
            if (strcmp(demo_people[j].password, demo_people[i].password) == 0) {
                memcpy(hashes[i], hashes[j], sizeof(hashes[i]));
                break;
            }
        }
        if (!hashes[i][0]) {
            rc = password_hash_public(demo_people[i].password, hashes[i], err);
        }
    }
    for (size_t i = 0; i < N_DEMO_PEOPLE && rc == 0; i++) {
        if (demo_people[i].class_idx != DEMO_NONE && !classes[0]) {
            rc = class_create(db, org_id, "5А", 5, 2026,
                              ids[demo_idx("teacher")], &classes[DEMO_5A],
                              err);
            if (rc == 0) {
                rc = class_create(db, org_id, "7Б", 7, 2026, 0,
                                  &classes[DEMO_7B], err);
            }
            if (rc) {
                break;
            }
        }
        struct person_input in = {
            .login = demo_people[i].login,
            .last_name = demo_people[i].last,
            .first_name = demo_people[i].first,
            .middle_name = demo_people[i].middle,
            .birth_date = demo_people[i].birth,
            .roles = demo_people[i].roles,
            .class_id = demo_people[i].class_idx == DEMO_NONE
                            ? 0
                            : classes[demo_people[i].class_idx],
            .password_hash = hashes[i],
            .must_change_password = false,
        };
        rc = person_create(db, org_id, &in, &ids[i], err);
    }
    if (rc == 0) {
        rc = parent_link(db, org_id, ids[demo_idx("parent")],
                         ids[demo_idx("student")], err);
    }
    if (rc == 0) {
        rc = parent_link(db, org_id, ids[demo_idx("parent")],
                         ids[demo_idx("student2")], err);
    }
    if (rc == 0) {
        rc = parent_link(db, org_id, ids[demo_idx("parent2")],
                         ids[demo_idx("student4")], err);
    }
    return rc;
}

int demo_seed(struct db *db, bool *created, struct ibc_error *err)
{
    *created = false;
    int rc = db_begin(db, DB_TX_WRITE, err);
    if (rc) {
        return rc;
    }
    int64_t exists = 0;
    rc = db_query_int64(db, &exists, err,
                        "SELECT COUNT(*) FROM org WHERE code = ?",
                        DB_TXT(DEMO_CODE), DB_END);
    if (rc < 0) {
        goto fail;
    }
    if (exists) {
        db_rollback(db);
        return 0;
    }
    struct org o = {
        .code = DEMO_CODE,
        .name = "Муниципальное бюджетное общеобразовательное учреждение "
                "«Средняя общеобразовательная школа № 12»",
        .short_name = "Школа № 12",
        .city = "Сочи",
    };
    int64_t org_id;
    if ((rc = org_create(db, &o, &org_id, err))) {
        goto fail;
    }
    for (size_t i = 0; i < sizeof(demo_news) / sizeof(demo_news[0]); i++) {
        rc = news_add(db, org_id, demo_news[i].title, demo_news[i].body,
                      demo_news[i].published_at, NULL, err);
        if (rc) {
            goto fail;
        }
    }
    if ((rc = seed_people(db, org_id, err))) {
        goto fail;
    }
    if ((rc = db_commit(db, err))) {
        goto fail;
    }
    *created = true;
    return 0;
fail:
    db_rollback(db);
    return rc;
}

void demo_print_logins(FILE *f, const char *base_url)
{
    fprintf(f,
            "Demo school «Школа № 12» (code demo) at %s\n"
            "  The home page, news, language switch and the version for the\n"
            "  visually impaired are open to everyone. Demo logins:\n",
            base_url);
    for (size_t i = 0; i < N_DEMO_PEOPLE; i++) {
        const char *what = demo_people[i].class_idx == DEMO_5A   ? ", 5А"
                           : demo_people[i].class_idx == DEMO_7B ? ", 7Б"
                                                                 : "";
        fprintf(f, "    %-10s password %-15s %s %s%s%s\n",
                demo_people[i].login, demo_people[i].password,
                demo_people[i].last, demo_people[i].first, what,
                strcmp(demo_people[i].login, "teacher") == 0
                    ? ", class teacher of 5А"
                : strcmp(demo_people[i].login, "parent") == 0
                    ? ", parent of student and student2"
                : strcmp(demo_people[i].login, "parent2") == 0
                    ? ", parent of student4"
                    : "");
    }
    fflush(f);
}

bool demo_is_demo_org(const char *code)
{
    return code && strcmp(code, DEMO_CODE) == 0;
}
