/* ibc — the demo school; see demo.h. Later issues append their demo data
 * to demo_seed() (readers, books, loans, textbooks…) and their logins to
 * demo_print_logins(). */
#include "demo/demo.h"

#include "db/db.h"
#include "news/news.h"
#include "org/org.h"

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
            "  visually impaired are open to everyone; sign-in arrives with\n"
            "  the people module, and its demo logins will be listed here.\n",
            base_url);
    fflush(f);
}
