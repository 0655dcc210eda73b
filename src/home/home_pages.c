/* ibc — the home page and the news pages (route handlers).
 *
 * Handlers translate HTTP to the news store and back: read parameters, call
 * the store, fill a view model, render. No SQL here (STYLE.md rule 12). */
#include "home/home.h"

#include <string.h>
#include <time.h>

#include "core/str.h"
#include "core/time.h"
#include "news/news.h"
#include "org/org.h"
#include "web/page.h"
#include "web/web.h"

/* Fills one news item into vm: title, date, paragraphs[], href. */
static void news_vm(struct req *req, struct tpl_vm *it,
                    const struct news_item *n, bool full)
{
    tpl_set_str(it, "title", n->title);
    tpl_set_strf(it, "href", "/news/%lld", (long long)n->id);
    time_t t;
    char date[32] = "";
    if (time_parse_iso(n->published_at, &t)) {
        time_format_date(date, t, req->lang);
    }
    tpl_set_str(it, "date", date);
    tpl_set_str(it, "datetime", n->published_at);
    tpl_list(it, "paragraphs");
    const char *p = n->body;
    while (*p) {
        const char *end = strstr(p, "\n\n");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        struct tpl_vm *para = tpl_list_add(it, "paragraphs");
        tpl_set_str(para, "text", arena_strndup(req->arena, p, len));
        if (!end || !full) {
            break;
        }
        p = end + 2;
    }
}

static int list_news(struct req *req, struct tpl_vm *vm, int limit)
{
    const struct org *o = web_org(req);
    tpl_list(vm, "news");
    if (!o) {
        return 0;
    }
    struct news_item *items;
    size_t n;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = news_list(req->db, req->arena, o->id, limit, &items, &n, &err);
    if (rc) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        news_vm(req, tpl_list_add(vm, "news"), &items[i], false);
    }
    return 0;
}

int home_page(struct req *req)
{
    struct tpl_vm *vm = page_vm(req);
    int rc = list_news(req, vm, 5);
    if (rc) {
        return rc;
    }
    return page_render(req, "home", vm, web_msg(req, "home.title"));
}

int news_index_page(struct req *req)
{
    struct tpl_vm *vm = page_vm(req);
    int rc = list_news(req, vm, 50);
    if (rc) {
        return rc;
    }
    return page_render(req, "news/index", vm, web_msg(req, "news.title"));
}

int news_item_page(struct req *req)
{
    int64_t id;
    if (!str_to_i64(req_path_arg(req, "id"), &id) || id <= 0) {
        return IBC_ENOTFOUND;
    }
    const struct org *o = web_org(req);
    if (!o) {
        return IBC_ENOTFOUND;
    }
    struct news_item n;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = news_get(req->db, req->arena, o->id, id, &n, &err);
    if (rc) {
        return rc;
    }
    struct tpl_vm *vm = page_vm(req);
    news_vm(req, tpl_obj(vm, "item"), &n, true);
    return page_render(req, "news/item", vm, n.title);
}
