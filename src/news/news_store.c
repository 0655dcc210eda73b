/* ibc — news: all SQL about table news; see news.h. */
#include "news/news.h"

#include <string.h>

#include "core/str.h"
#include "core/time.h"
#include "core/utf8.h"
#include "db/db.h"

#define NEWS_COLS "SELECT id, org_id, title, body, published_at FROM news "

static void read_row(struct db_stmt *st, struct arena *a,
                     struct news_item *it)
{
    it->id = db_col_int64(st, 0);
    it->org_id = db_col_int64(st, 1);
    it->title = arena_strdup(a, db_col_text(st, 2));
    it->body = arena_strdup(a, db_col_text(st, 3));
    it->published_at = arena_strdup(a, db_col_text(st, 4));
}

int news_list(struct db *db, struct arena *a, int64_t org_id, int limit,
              struct news_item **items, size_t *n, struct ibc_error *err)
{
    *items = NULL;
    *n = 0;
    if (limit < 1 || limit > 100) {
        limit = 10;
    }
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err,
                             NEWS_COLS "WHERE org_id = ? "
                                       "ORDER BY published_at DESC, id DESC "
                                       "LIMIT ?",
                             DB_I64(org_id), DB_I64(limit), DB_END);
    if (rc) {
        return rc;
    }
    struct news_item *out = arena_alloc(a, sizeof(*out) * (size_t)limit);
    size_t count = 0;
    while ((rc = db_step(st)) == DB_ROW && count < (size_t)limit) {
        read_row(st, a, &out[count++]);
    }
    db_finalize(st);
    if (rc < 0) {
        return ibc_fail(err, rc, "cannot read news: %s", db_errmsg(db));
    }
    *items = out;
    *n = count;
    return 0;
}

int news_get(struct db *db, struct arena *a, int64_t org_id, int64_t id,
             struct news_item *out, struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_query_row(db, &st, err, NEWS_COLS "WHERE org_id = ? AND id = ?",
                          DB_I64(org_id), DB_I64(id), DB_END);
    if (rc == DB_DONE) {
        return ibc_fail(err, IBC_ENOTFOUND, "no such news item");
    }
    if (rc < 0) {
        return rc;
    }
    read_row(st, a, out);
    db_finalize(st);
    return 0;
}

int news_add(struct db *db, int64_t org_id, const char *title,
             const char *body, const char *published_at, int64_t *id,
             struct ibc_error *err)
{
    if (str_empty(title) || !utf8_valid(title, strlen(title)) ||
        utf8_length(title) > 200) {
        return ibc_fail_field(err, IBC_EINVAL, "title",
                              "a title of 1–200 characters is needed");
    }
    if (str_empty(body) || !utf8_valid(body, strlen(body)) ||
        utf8_length(body) > 20000) {
        return ibc_fail_field(err, IBC_EINVAL, "body",
                              "the text is 1–20 000 characters");
    }
    char now[32];
    time_now_iso(now);
    time_t t;
    if (published_at && !time_parse_iso(published_at, &t)) {
        return ibc_fail_field(err, IBC_EINVAL, "published_at",
                              "a date like 2026-09-01T08:00:00Z is needed");
    }
    int64_t new_id = 0;
    int rc = db_query_int64(
        db, &new_id, err,
        "INSERT INTO news (org_id, title, body, published_at, created_at) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        DB_I64(org_id), DB_TXT(title), DB_TXT(body),
        DB_TXT(published_at ? published_at : now), DB_TXT(now), DB_END);
    if (rc < 0) {
        return rc;
    }
    if (id) {
        *id = new_id;
    }
    return 0;
}
