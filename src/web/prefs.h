/* ibc — display preferences a person chooses without signing in: the
 * interface language and the version for the visually impaired (UI.md:
 * three type sizes, three colour schemes, images on/off, wider spacing;
 * the choice remembered). Both live in cookies so they work for guests and
 * on a shared school computer; parsing is strict (outside input). */
#ifndef IBC_WEB_PREFS_H
#define IBC_WEB_PREFS_H

#include <stdbool.h>

#include "http/http.h"

enum a11y_scheme {
    A11Y_SCHEME_BW,   /* black on white */
    A11Y_SCHEME_WB,   /* white on black */
    A11Y_SCHEME_BLUE, /* dark blue on light blue */
    A11Y_SCHEME__MAX
};

struct a11y {
    bool on;                 /* the low-vision version is switched on */
    int size;                /* 1..3 */
    enum a11y_scheme scheme;
    bool images;             /* show images */
    bool wide;               /* wider letter and line spacing */
};

#define PREFS_LANG_COOKIE "ibc_lang"
#define PREFS_A11Y_COOKIE "ibc_a11y"

/* Parses the cookie value ("s2-wb-i0-w1"); anything malformed -> off. */
void a11y_parse(const char *s, struct a11y *out);
/* Formats into out[16]; "" when off. */
void a11y_format(const struct a11y *a, char out[16]);
/* Classes for <html>: "a11y a11y-s2 a11y-wb a11y-noimg a11y-wide" or "". */
const char *a11y_classes(struct arena *ar, const struct a11y *a);
/* Applies form fields a11y (on/off), size (1-3), scheme (bw/wb/blue),
 * images (1/0), spacing (normal/wide) present in req's form; unknown values
 * are IBC_EINVAL with the field named. */
int a11y_apply_form(const struct req *req, struct a11y *a,
                    struct ibc_error *err);

/* Fills req->lang and req->a11y from cookies (once per request). */
void prefs_load(struct req *req);
/* The parsed a11y settings of this request. */
void prefs_a11y(struct req *req, struct a11y *out);

/* GET /prefs and POST /prefs (route handlers). */
int prefs_page(struct req *req);
int prefs_save(struct req *req);

#endif
