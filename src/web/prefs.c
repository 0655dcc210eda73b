/* ibc — language and low-vision preferences; see prefs.h. */
#include "web/prefs.h"

#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/i18n.h"
#include "core/str.h"
#include "web/page.h"

static const char *scheme_codes[A11Y_SCHEME__MAX] = {"bw", "wb", "blue"};

static void a11y_default(struct a11y *a)
{
    a->on = false;
    a->size = 1;
    a->scheme = A11Y_SCHEME_BW;
    a->images = true;
    a->wide = false;
}

void a11y_parse(const char *s, struct a11y *out)
{
    a11y_default(out);
    if (str_empty(s) || strlen(s) > 15) {
        return;
    }
    /* s<size>-<scheme>-i<0|1>-w<0|1> */
    char scheme[8];
    int size, img, wide, n = 0;
    if (sscanf(s, "s%1d-%4[a-z]-i%1d-w%1d%n", &size, scheme, &img, &wide,
               &n) != 4 ||
        s[n] != '\0' || size < 1 || size > 3 || img < 0 || img > 1 ||
        wide < 0 || wide > 1) {
        return;
    }
    for (int i = 0; i < A11Y_SCHEME__MAX; i++) {
        if (strcmp(scheme, scheme_codes[i]) == 0) {
            out->on = true;
            out->size = size;
            out->scheme = (enum a11y_scheme)i;
            out->images = img == 1;
            out->wide = wide == 1;
            return;
        }
    }
}

void a11y_format(const struct a11y *a, char out[16])
{
    if (!a->on) {
        out[0] = '\0';
        return;
    }
    snprintf(out, 16, "s%d-%s-i%d-w%d", a->size, scheme_codes[a->scheme],
             a->images ? 1 : 0, a->wide ? 1 : 0);
}

const char *a11y_classes(struct arena *ar, const struct a11y *a)
{
    if (!a->on) {
        return "";
    }
    return arena_printf(ar, "a11y a11y-s%d a11y-%s%s%s", a->size,
                        scheme_codes[a->scheme],
                        a->images ? "" : " a11y-noimg",
                        a->wide ? " a11y-wide" : "");
}

int a11y_apply_form(const struct req *req, struct a11y *a,
                    struct ibc_error *err)
{
    /* A single setting (a button of the bar) switches the version on; an
     * explicit a11y=on/off (the settings page, the "standard version"
     * button) decides whatever else came with it. */
    const char *v;
    int explicit_on = -1;
    if ((v = req_form(req, "a11y"))) {
        if (strcmp(v, "on") == 0) {
            explicit_on = 1;
        } else if (strcmp(v, "off") == 0) {
            explicit_on = 0;
        } else {
            return ibc_fail_field(err, IBC_EINVAL, "a11y", "on or off");
        }
    }
    if ((v = req_form(req, "size"))) {
        if (strlen(v) != 1 || v[0] < '1' || v[0] > '3') {
            return ibc_fail_field(err, IBC_EINVAL, "size", "1, 2 or 3");
        }
        a->size = v[0] - '0';
        a->on = true;
    }
    if ((v = req_form(req, "scheme"))) {
        int found = -1;
        for (int i = 0; i < A11Y_SCHEME__MAX; i++) {
            if (strcmp(v, scheme_codes[i]) == 0) {
                found = i;
            }
        }
        if (found < 0) {
            return ibc_fail_field(err, IBC_EINVAL, "scheme",
                                  "bw, wb or blue");
        }
        a->scheme = (enum a11y_scheme)found;
        a->on = true;
    }
    if ((v = req_form(req, "images"))) {
        if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0) {
            return ibc_fail_field(err, IBC_EINVAL, "images", "1 or 0");
        }
        a->images = v[0] == '1';
        a->on = true;
    }
    if ((v = req_form(req, "spacing"))) {
        if (strcmp(v, "wide") != 0 && strcmp(v, "normal") != 0) {
            return ibc_fail_field(err, IBC_EINVAL, "spacing",
                                  "normal or wide");
        }
        a->wide = strcmp(v, "wide") == 0;
        a->on = true;
    }
    if (explicit_on >= 0) {
        a->on = explicit_on == 1;
    }
    return 0;
}

void prefs_load(struct req *req)
{
    if (req->lang && req->a11y) {
        return;
    }
    const char *l = req_cookie(req, PREFS_LANG_COOKIE);
    req->lang = i18n_lang(l);
    struct a11y a;
    a11y_parse(req_cookie(req, PREFS_A11Y_COOKIE), &a);
    char code[16];
    a11y_format(&a, code);
    req->a11y = arena_strdup(req->arena, code);
}

void prefs_a11y(struct req *req, struct a11y *out)
{
    prefs_load(req);
    a11y_parse(req->a11y, out);
}

/* A local path to go back to: must start with one '/', no scheme/host. */
static const char *safe_back(const char *back)
{
    if (str_empty(back) || back[0] != '/' || back[1] == '/' ||
        back[1] == '\\' || strlen(back) > 512 || strpbrk(back, "\r\n")) {
        return "/";
    }
    return back;
}

int prefs_page(struct req *req)
{
    struct tpl_vm *vm = page_vm(req);
    struct a11y a;
    prefs_a11y(req, &a);
    tpl_set_str(vm, "back", safe_back(req_query(req, "back")));
    tpl_set_bool(vm, "saved", str_eq(req_query(req, "saved"), "1"));
    struct tpl_vm *f = tpl_obj(vm, "form");
    tpl_set_bool(f, "on", a.on);
    tpl_set_bool(f, "size1", a.size == 1);
    tpl_set_bool(f, "size2", a.size == 2);
    tpl_set_bool(f, "size3", a.size == 3);
    tpl_set_bool(f, "bw", a.scheme == A11Y_SCHEME_BW);
    tpl_set_bool(f, "wb", a.scheme == A11Y_SCHEME_WB);
    tpl_set_bool(f, "blue", a.scheme == A11Y_SCHEME_BLUE);
    tpl_set_bool(f, "images", a.images);
    tpl_set_bool(f, "wide", a.wide);
    tpl_set_bool(f, "ru", str_eq(req->lang, "ru"));
    tpl_set_bool(f, "en", str_eq(req->lang, "en"));
    const char *title = i18n_get(req->app->i18n, req->lang, "prefs.title");
    return page_render(req, "prefs", vm, title);
}

int prefs_save(struct req *req)
{
    prefs_load(req);
    struct ibc_error err = IBC_ERROR_INIT;
    const char *lang = req_form(req, "lang");
    if (lang) {
        if (strcmp(lang, "ru") != 0 && strcmp(lang, "en") != 0) {
            http_error(req, IBC_EINVAL, "lang: ru or en");
            return 0;
        }
        resp_cookie(req, PREFS_LANG_COOKIE, lang, 365L * 24 * 3600, false);
    }
    struct a11y a;
    a11y_parse(req->a11y, &a);
    if (a11y_apply_form(req, &a, &err)) {
        char msg[600];
        snprintf(msg, sizeof(msg), "%s: %s", err.field, err.msg);
        http_error(req, IBC_EINVAL, msg);
        return 0;
    }
    char code[16];
    a11y_format(&a, code);
    if (code[0]) {
        resp_cookie(req, PREFS_A11Y_COOKIE, code, 365L * 24 * 3600, false);
    } else {
        resp_cookie(req, PREFS_A11Y_COOKIE, "", 0, false);
    }
    resp_redirect(req, 303, safe_back(req_form(req, "back")));
    return 0;
}
