/* ibc — CSRF protection that works before anyone signs in.
 *
 * A double-submit token bound to the server secret: the cookie ibc_csrf
 * holds 128 random bits (32 hex digits, HttpOnly, SameSite=Lax), and every
 * form carries _csrf = hex HMAC-SHA256(app->secret, cookie). Another site
 * can make a browser send the cookie but can neither read it nor compute the
 * HMAC, so it cannot forge the field; a planted cookie (from a sibling
 * subdomain) does not help either without the secret. The people issue will
 * bind the token to the session as well. Comparison is in constant time
 * (libsodium). */
#include "http/http.h"

#include <sodium.h>
#include <string.h>

#include "app/app.h"
#include "core/str.h"

#define COOKIE_HEX 32 /* 128 bits */

void http_csrf_sign(const unsigned char secret[32], const char *cookie,
                    char out[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)cookie, strlen(cookie),
                           secret);
    str_hex(out, mac, sizeof(mac));
}

/* A cookie value we could have set: exactly 32 lowercase hex digits. */
static bool cookie_ok(const char *c)
{
    if (!c || strlen(c) != COOKIE_HEX) {
        return false;
    }
    for (const char *p = c; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return false;
        }
    }
    return true;
}

const char *http_csrf_token(struct req *req)
{
    if (!req->csrf_cookie) {
        const char *c = req_cookie(req, HTTP_CSRF_COOKIE);
        if (cookie_ok(c)) {
            req->csrf_cookie = c;
        } else {
            unsigned char rnd[COOKIE_HEX / 2];
            randombytes_buf(rnd, sizeof(rnd));
            char *v = arena_alloc(req->arena, COOKIE_HEX + 1);
            str_hex(v, rnd, sizeof(rnd));
            req->csrf_cookie = v;
            /* A session cookie: a form outlives neither the browser nor
             * the secret. */
            resp_cookie(req, HTTP_CSRF_COOKIE, v, -1, false);
        }
    }
    char *tok = arena_alloc(req->arena, 65);
    http_csrf_sign(req->app->secret, req->csrf_cookie, tok);
    return tok;
}

bool http_csrf_valid(const struct req *req)
{
    const char *c = req_cookie(req, HTTP_CSRF_COOKIE);
    const char *t = req_form(req, HTTP_CSRF_FIELD);
    if (!t) {
        t = req_header(req, HTTP_CSRF_HEADER);
    }
    if (!cookie_ok(c) || !t || strlen(t) != 64) {
        return false;
    }
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    size_t n = 0;
    if (sodium_hex2bin(mac, sizeof(mac), t, 64, NULL, &n, NULL) != 0 ||
        n != sizeof(mac)) {
        return false;
    }
    return crypto_auth_hmacsha256_verify(mac, (const unsigned char *)c,
                                         strlen(c), req->app->secret) == 0;
}
