/* ibc — the school library's news on the home page. All SQL about news
 * lives in news_store.c; every query is scoped to one school. */
#ifndef IBC_NEWS_NEWS_H
#define IBC_NEWS_NEWS_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

struct db;

struct news_item {
    int64_t id;
    int64_t org_id;
    const char *title;        /* plain text */
    const char *body;         /* plain text; paragraphs separated by \n\n */
    const char *published_at; /* ISO-8601 UTC */
};

/* The latest `limit` items of a school, newest first, into an arena array. */
int news_list(struct db *db, struct arena *a, int64_t org_id, int limit,
              struct news_item **items, size_t *n, struct ibc_error *err);
/* One item of this school; IBC_ENOTFOUND for another school's id too. */
int news_get(struct db *db, struct arena *a, int64_t org_id, int64_t id,
             struct news_item *out, struct ibc_error *err);
/* Validates (field errors "title", "body") and inserts; published_at NULL
 * means now. */
int news_add(struct db *db, int64_t org_id, const char *title,
             const char *body, const char *published_at, int64_t *id,
             struct ibc_error *err);

#endif
