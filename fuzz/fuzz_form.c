/* ibc — fuzz target: the parsers of form and query text and cookies.
 *
 * Each input goes through http_parse_urlencoded (as given), http_parse_cookies
 * (up to its first NUL), http_pct_decode with and without '+', and the
 * Accept-Encoding and address-list parsers on the same text. Besides the
 * sanitizers, the parsers' promises are checked: what they accept is valid
 * UTF-8 without NUL, names are never empty, the field limit holds, decoding
 * never grows the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/utf8.h"
#include "http/http.h"

static void check_list(const struct kv_list *l)
{
    if (l->n > HTTP_MAX_FIELDS) {
        abort();
    }
    for (size_t i = 0; i < l->n; i++) {
        const struct kv *kv = &l->items[i];
        if (!kv->name[0] || !utf8_valid(kv->name, strlen(kv->name)) ||
            strlen(kv->value) != kv->value_len ||
            !utf8_valid(kv->value, kv->value_len)) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct arena *a = arena_new();
    struct ibc_error err = IBC_ERROR_INIT;

    struct kv_list form = {0};
    int rc = http_parse_urlencoded(a, &form, s, size, &err);
    if (rc == 0) {
        check_list(&form);
    } else if (rc != IBC_EPARSE && rc != IBC_ETOOBIG) {
        abort();
    }

    char *text = arena_alloc(a, size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct kv_list cookies = {0};
    rc = http_parse_cookies(a, &cookies, text, &err);
    if (rc == 0) {
        check_list(&cookies);
    } else if (rc != IBC_EPARSE && rc != IBC_ETOOBIG) {
        abort();
    }

    for (int plus = 0; plus < 2; plus++) {
        size_t n = 0;
        char *d = http_pct_decode(a, s, size, plus, &n);
        if (d && (n > size || d[n] != '\0')) {
            abort();
        }
    }

    (void)http_accepts_gzip(text);
    struct netacl *acl = NULL;
    if (netacl_parse(&acl, text, &err) == 0) {
        (void)netacl_match_text(acl, "127.0.0.1");
        (void)netacl_match_text(acl, "fd00::1");
        (void)netacl_match_text(acl, text);
    }
    netacl_free(acl);
    arena_free(a);
    return 0;
}
