/* ibc — the shared layout of every HTML page; see page.h.
 *
 * The page template is rendered first into its own buffer, then the layout
 * ("layout" template) around it with {{{content}}}. The layout's view model
 * holds what every page shows; a page's template sees the same keys, so a
 * page can use {{school.short_name}} or {{csrf}} too. */
#include "web/page.h"

#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/i18n.h"
#include "auth/auth.h"
#include "core/log.h"
#include "core/str.h"
#include "org/org.h"
#include "people/people.h"
#include "web/prefs.h"
#include "web/web.h"

const struct org *web_org(struct req *req)
{
    if (req->org || !req->db) {
        return req->org;
    }
    struct org *o = arena_zalloc(req->arena, sizeof(*o));
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = req->app->cfg.org_code
                 ? org_get_by_code(req->db, req->arena, req->app->cfg.org_code,
                                   o, &err)
                 : org_get_default(req->db, req->arena, o, &err);
    if (rc) {
        log_warn("no school for this request: %s", err.msg);
        return NULL;
    }
    req->org = o;
    return o;
}

const char *web_msg(struct req *req, const char *key)
{
    prefs_load(req);
    const char *m = i18n_get(req->app->i18n, req->lang, key);
    return m ? m : key;
}

/* The sections in the main navigation. Later issues add theirs here.
 * roles: shown only to a signed-in person with one of these role bits
 * (people/people.h), 0 = to everyone; not_roles: hidden from a person with
 * one of these (the administrator's «Пользователи и роли» replaces the
 * librarian's «Читатели» on the same page). */
static const struct {
    const char *href;
    const char *label; /* message key */
    unsigned roles;
    unsigned not_roles;
} nav_items[] = {
    {"/", "layout.home", 0, 0},
    {"/news", "layout.news", 0, 0},
    {"/children", "people.nav_children", ROLE_PARENT, 0},
    {"/people", "people.nav_readers", ROLE_LIBRARIAN | ROLE_HEAD, ROLE_ADMIN},
    {"/people", "people.nav_users", ROLE_ADMIN, 0},
    {"/classes", "classes.nav", ROLE_LIBRARIAN | ROLE_HEAD | ROLE_ADMIN, 0},
    {"/orgs", "orgs.nav", ROLE_ADMIN, 0},
};

struct tpl_vm *page_vm(struct req *req)
{
    prefs_load(req);
    struct tpl_vm *vm = tpl_vm_new(req->arena);
    struct a11y a;
    a11y_parse(req->a11y, &a);
    tpl_set_str(vm, "lang", req->lang);
    tpl_set_str(vm, "html_class", a11y_classes(req->arena, &a));
    tpl_set_str(vm, "csrf", http_csrf_token(req));
    tpl_set_str(vm, "here", req->path);
    tpl_set_str(vm, "version", req->app->version);
    tpl_set_str(vm, "css_url", http_static_url(req, "css/ibc.css"));
    tpl_set_str(vm, "icon_url", http_static_url(req, "img/logo.svg"));
    tpl_set_bool(vm, "show_images", a.images);
    tpl_set_bool(vm, "lang_ru", str_eq(req->lang, "ru"));
    struct tpl_vm *av = tpl_obj(vm, "a11y");
    tpl_set_bool(av, "on", a.on);
    tpl_set_bool(av, "size1", a.on && a.size == 1);
    tpl_set_bool(av, "size2", a.on && a.size == 2);
    tpl_set_bool(av, "size3", a.on && a.size == 3);
    tpl_set_bool(av, "bw", a.on && a.scheme == A11Y_SCHEME_BW);
    tpl_set_bool(av, "wb", a.on && a.scheme == A11Y_SCHEME_WB);
    tpl_set_bool(av, "blue", a.on && a.scheme == A11Y_SCHEME_BLUE);
    tpl_set_bool(av, "images", a.images);
    tpl_set_bool(av, "wide", a.wide);
    if (req->user) {
        /* the signed-in person, for the header (name and sign-out) */
        struct tpl_vm *uv = tpl_obj(vm, "user");
        tpl_set_str(uv, "name", req->user->name);
        tpl_set_str(uv, "login", req->user->login);
        tpl_set_int(uv, "id", req->user->person_id);
    }
    tpl_set_bool(vm, "signin_page", str_starts(req->path, "/signin"));
    const struct org *o = web_org(req);
    struct tpl_vm *sv = tpl_obj(vm, "school");
    tpl_set_str(sv, "short_name", o ? o->short_name : "ibc");
    tpl_set_str(sv, "name", o ? o->name : "");
    tpl_set_str(vm, "school_name", o ? o->short_name : "ibc");
    tpl_list(vm, "nav");
    unsigned roles = req->user ? req->user->roles : 0;
    for (size_t i = 0; i < sizeof(nav_items) / sizeof(nav_items[0]); i++) {
        if ((nav_items[i].roles && !(roles & nav_items[i].roles)) ||
            (roles & nav_items[i].not_roles)) {
            continue;
        }
        struct tpl_vm *it = tpl_list_add(vm, "nav");
        tpl_set_str(it, "href", nav_items[i].href);
        tpl_set_str(it, "label", web_msg(req, nav_items[i].label));
        bool current = strcmp(nav_items[i].href, "/") == 0
                           ? strcmp(req->path, "/") == 0
                           : str_starts(req->path, nav_items[i].href);
        tpl_set_bool(it, "current", current);
    }
    return vm;
}

int page_render(struct req *req, const char *name, struct tpl_vm *vm,
                const char *title)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct buf content = BUF_INIT;
    int rc = tpl_render(req->app->tpl, name, vm, req->lang, &content, &err);
    if (rc) {
        log_err("template %s: %s", name, err.msg);
        buf_reset(&content);
        return rc;
    }
    tpl_set_html(vm, "content", buf_cstr(&content));
    tpl_set_str(vm, "title", title ? title : "");
    buf_clear(&req->out);
    rc = tpl_render(req->app->tpl, "layout", vm, req->lang, &req->out, &err);
    buf_reset(&content);
    if (rc) {
        log_err("template layout: %s", err.msg);
        return rc;
    }
    if (!req->status) {
        req->status = 200;
    }
    req->content_type = "text/html; charset=utf-8";
    return 0;
}

void page_error(struct req *req, int status, const char *message)
{
    struct tpl_vm *vm = page_vm(req);
    char key[32];
    snprintf(key, sizeof(key), "error.%d", status);
    const char *heading = web_msg(req, key);
    if (strcmp(heading, key) == 0) {
        heading = web_msg(req, status >= 500 ? "error.500" : "error.400");
    }
    tpl_set_int(vm, "status", status);
    tpl_set_str(vm, "heading", heading);
    tpl_set_str(vm, "message", message ? message : "");
    tpl_set_str(vm, "request_id", req->id);
    req->status = status;
    if (page_render(req, "error", vm, heading) != 0) {
        /* The layout itself failed: plain text, never a loop. */
        buf_clear(&req->out);
        buf_printf(&req->out, "%d %s\n%s\n", status, heading,
                   message ? message : "");
        req->content_type = "text/plain; charset=utf-8";
    }
}
