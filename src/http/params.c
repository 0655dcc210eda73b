/* ibc — parsers of outside input: percent-decoding, urlencoded forms and
 * query strings, the Cookie header; and the name/value lists they fill.
 *
 * Hand-written: libmicrohttpd's own parsers decode in place without telling
 * a bad escape from a good one and cannot run on a request that did not come
 * through a socket (`ibc test-http`, the fuzzers), so both adapters share
 * these. Everything they accept is valid UTF-8 without NUL; anything else is
 * IBC_EPARSE, which the dispatcher answers with 400. Fuzzed by
 * fuzz/fuzz_form.c. */
#include "http/http.h"

#include <string.h>

#include "core/utf8.h"

void kv_add(struct arena *a, struct kv_list *l, const char *name,
            const char *value, size_t value_len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct kv *items = arena_alloc(a, cap * sizeof(*items));
        if (l->n) {
            memcpy(items, l->items, l->n * sizeof(*items));
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n].name = name;
    l->items[l->n].value = value;
    l->items[l->n].value_len = value_len;
    l->n++;
}

const char *kv_get(const struct kv_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i].name, name) == 0) {
            return l->items[i].value;
        }
    }
    return NULL;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

char *http_pct_decode(struct arena *a, const char *s, size_t len, bool plus,
                      size_t *out_len)
{
    char *out = arena_alloc(a, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (len - i < 3) {
                return NULL;
            }
            int hi = hexval((unsigned char)s[i + 1]);
            int lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0) {
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    if (out_len) {
        *out_len = o;
    }
    return out;
}

/* Decodes one name or value of a form and checks it is text. */
static int decode_part(struct arena *a, const char *s, size_t len,
                       char **out, size_t *out_len, struct ibc_error *err)
{
    *out = http_pct_decode(a, s, len, true, out_len);
    if (!*out) {
        return ibc_fail(err, IBC_EPARSE, "bad percent-escape in a form "
                        "field or the query string");
    }
    if (!utf8_valid(*out, *out_len)) {
        return ibc_fail(err, IBC_EPARSE, "a form field or the query string "
                        "is not valid UTF-8 text");
    }
    return 0;
}

int http_parse_urlencoded(struct arena *a, struct kv_list *out,
                          const char *s, size_t len, struct ibc_error *err)
{
    size_t fields = 0;
    size_t i = 0;
    while (i < len) {
        const char *seg = s + i;
        const char *amp = memchr(seg, '&', len - i);
        size_t seg_len = amp ? (size_t)(amp - seg) : len - i;
        i += seg_len + 1;
        if (seg_len == 0) {
            continue; /* "a=1&&b=2" */
        }
        const char *eq = memchr(seg, '=', seg_len);
        size_t name_len = eq ? (size_t)(eq - seg) : seg_len;
        char *name, *value;
        size_t nlen, vlen;
        int rc = decode_part(a, seg, name_len, &name, &nlen, err);
        if (rc) {
            return rc;
        }
        if (eq) {
            rc = decode_part(a, eq + 1, seg_len - name_len - 1, &value, &vlen,
                             err);
            if (rc) {
                return rc;
            }
        } else {
            value = "";
            vlen = 0;
        }
        if (nlen == 0) {
            continue; /* "=x": no name, nothing a handler could ask for */
        }
        if (++fields > HTTP_MAX_FIELDS) {
            return ibc_fail(err, IBC_ETOOBIG, "more than %d form fields",
                            HTTP_MAX_FIELDS);
        }
        kv_add(a, out, name, value, vlen);
    }
    return 0;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int http_parse_cookies(struct arena *a, struct kv_list *out, const char *s,
                       struct ibc_error *err)
{
    size_t fields = 0;
    const char *p = s;
    while (*p) {
        const char *semi = strchr(p, ';');
        const char *end = semi ? semi : p + strlen(p);
        const char *b = p, *e = end;
        p = semi ? semi + 1 : end;
        while (b < e && is_ows(*b)) {
            b++;
        }
        while (e > b && is_ows(e[-1])) {
            e--;
        }
        const char *eq = memchr(b, '=', (size_t)(e - b));
        if (!eq || eq == b) {
            continue; /* "flag" or "=v": not a cookie we set */
        }
        const char *nb = b, *ne = eq, *vb = eq + 1, *ve = e;
        while (ne > nb && is_ows(ne[-1])) {
            ne--;
        }
        while (vb < ve && is_ows(*vb)) {
            vb++;
        }
        if (ve - vb >= 2 && *vb == '"' && ve[-1] == '"') {
            vb++;
            ve--;
        }
        if (ne == nb) {
            continue;
        }
        if (!utf8_valid(nb, (size_t)(ne - nb)) ||
            !utf8_valid(vb, (size_t)(ve - vb))) {
            return ibc_fail(err, IBC_EPARSE,
                            "a cookie is not valid UTF-8 text");
        }
        if (++fields > HTTP_MAX_FIELDS) {
            return ibc_fail(err, IBC_ETOOBIG, "more than %d cookies",
                            HTTP_MAX_FIELDS);
        }
        kv_add(a, out, arena_strndup(a, nb, (size_t)(ne - nb)),
               arena_strndup(a, vb, (size_t)(ve - vb)), (size_t)(ve - vb));
    }
    return 0;
}
