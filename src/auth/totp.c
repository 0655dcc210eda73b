/* ibc — the second factor (TOTP): secrets, codes, the QR code, and the
 * page where staff turn it on and off (/account/2fa).
 *
 * Codes follow RFC 6238 as every authenticator app does: HMAC-SHA1 of the
 * 30-s step since the epoch, 6 digits, computed and checked by Debian's
 * liboath (oath_totp_validate4 with a window of one step either side, so
 * a phone's clock may be half a minute off). A secret is 20 random bytes;
 * in the database it is sealed with crypto_secretbox_easy under a key
 * derived (crypto_kdf) from the server secret, so a stolen copy of the
 * database alone yields no secret. While a person sets TOTP up, the new
 * secret is not in the database at all: the form carries it sealed under
 * another derived key together with the person and an expiry, and it is
 * stored only when the person has typed a right code from it.
 *
 * The QR code of the otpauth:// URI is drawn by libqrencode; the SVG around
 * its module matrix is written here (a few lines: one rect per run of
 * dark modules) because the layout needs inline markup — the CSP allows no
 * scripts and the page must work without any — and no library of Debian
 * writes SVG for libqrencode's matrix.
 *
 * Wrong codes count in the sign-in throttle (throttle.c) per person and
 * address, and per address, like wrong passwords; past the limit the form
 * answers 429 with Retry-After. The pages' handlers are here rather than
 * in a totp_pages.c to keep the second factor in two files; the code step
 * of the sign-in is in auth_pages.c with the rest of the sign-in. */
#include "auth/auth.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/str.h"
#include "privacy/privacy.h"
#include "web/page.h"
#include "web/web.h"

#define KDF_CONTEXT "ibc-totp" /* crypto_kdf_CONTEXTBYTES = 8 */
#define SEAL_OVERHEAD (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
#define SEAL_MAX 64 /* bytes of plain text we ever seal */
#define QR_QUIET 4  /* modules of quiet zone (ISO 18004) */
#define QR_PX 4     /* CSS pixels per module at 100 % */

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;

static void oath_start(void)
{
    if (oath_init() != OATH_OK) {
        log_err("liboath failed to initialise");
    }
}

void totp_derive_key(const unsigned char server_secret[32],
                     enum totp_key_use use, unsigned char key[TOTP_KEY_BYTES])
{
    crypto_kdf_derive_from_key(key, TOTP_KEY_BYTES, (uint64_t)use, KDF_CONTEXT,
                               server_secret);
}

void totp_new_secret(unsigned char secret[TOTP_SECRET_BYTES])
{
    randombytes_buf(secret, TOTP_SECRET_BYTES);
}

const char *totp_seal(struct arena *a, const unsigned char key[TOTP_KEY_BYTES],
                      const unsigned char *plain, size_t n)
{
    unsigned char box[SEAL_OVERHEAD + SEAL_MAX];
    if (n > SEAL_MAX) {
        return NULL;
    }
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, n, box,
                          key);
    size_t len = SEAL_OVERHEAD + n;
    char *hex = arena_alloc(a, 2 * len + 1);
    str_hex(hex, box, len);
    return hex;
}

int totp_open(const unsigned char key[TOTP_KEY_BYTES], const char *sealed,
              unsigned char *out, size_t n)
{
    unsigned char box[SEAL_OVERHEAD + SEAL_MAX];
    size_t len = 0;
    if (!sealed || n > SEAL_MAX || strlen(sealed) != 2 * (SEAL_OVERHEAD + n) ||
        sodium_hex2bin(box, sizeof(box), sealed, strlen(sealed), NULL, &len,
                       NULL) != 0 ||
        len != SEAL_OVERHEAD + n) {
        return IBC_EINVAL;
    }
    if (crypto_secretbox_open_easy(out, box + crypto_secretbox_NONCEBYTES,
                                   len - crypto_secretbox_NONCEBYTES, box,
                                   key) != 0) {
        sodium_memzero(out, n);
        return IBC_EINVAL;
    }
    return 0;
}

int totp_code_step(const unsigned char secret[TOTP_SECRET_BYTES],
                   const char *code, time_t now, int64_t *step)
{
    char digits[TOTP_DIGITS + 1];
    size_t n = 0;
    if (!code) {
        return IBC_EAUTH;
    }
    for (const char *p = code; *p; p++) {
        if (*p == ' ' || *p == '-') {
            continue;
        }
        if (*p < '0' || *p > '9' || n == TOTP_DIGITS) {
            return IBC_EAUTH;
        }
        digits[n++] = *p;
    }
    if (n != TOTP_DIGITS) {
        return IBC_EAUTH;
    }
    digits[n] = '\0';
    pthread_once(&oath_once, oath_start);
    int pos = 0;
    uint64_t counter = 0;
    int rc = oath_totp_validate4((const char *)secret, TOTP_SECRET_BYTES, now,
                                 TOTP_STEP, 0, TOTP_WINDOW, &pos, &counter, 0,
                                 digits);
    if (rc < 0) {
        return IBC_EAUTH;
    }
    *step = (int64_t)counter;
    return 0;
}

int totp_code_at(const unsigned char secret[TOTP_SECRET_BYTES], time_t now,
                 char out[TOTP_DIGITS + 1])
{
    pthread_once(&oath_once, oath_start);
    if (oath_totp_generate((const char *)secret, TOTP_SECRET_BYTES, now,
                           TOTP_STEP, 0, TOTP_DIGITS, out) != OATH_OK) {
        return IBC_EINTERNAL;
    }
    return 0;
}

const char *totp_base32(struct arena *a,
                        const unsigned char secret[TOTP_SECRET_BYTES],
                        bool groups)
{
    /* RFC 4648 base32; 20 bytes are exactly 32 letters, no padding. Written
     * here rather than with oath_base32_encode() to keep the secret out of
     * malloc'd memory we could not wipe. */
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char *out = arena_alloc(a, 2 * 32 + 1);
    size_t o = 0, letters = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < TOTP_SECRET_BYTES; i++) {
        acc = (acc << 8) | secret[i];
        bits += 8;
        while (bits >= 5) {
            if (groups && letters && letters % 4 == 0) {
                out[o++] = ' ';
            }
            out[o++] = abc[(acc >> (bits - 5)) & 31];
            letters++;
            bits -= 5;
        }
    }
    out[o] = '\0';
    return out;
}

/* s percent-encoded except RFC 3986 unreserved characters (arena). */
static const char *pct(struct arena *a, const char *s)
{
    char *out = arena_alloc(a, 3 * strlen(s) + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
            *o++ = (char)*p;
        } else {
            o += sprintf(o, "%%%02X", *p);
        }
    }
    *o = '\0';
    return out;
}

const char *totp_uri(struct arena *a, const char *login,
                     const unsigned char secret[TOTP_SECRET_BYTES])
{
    return arena_printf(a, "otpauth://totp/ibc:%s?secret=%s&issuer=ibc",
                        pct(a, login ? login : ""),
                        totp_base32(a, secret, false));
}

/* An id is safe to write into markup as is: [a-z0-9-]. */
static bool id_ok(const char *s)
{
    if (str_empty(s)) {
        return false;
    }
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-')) {
            return false;
        }
    }
    return true;
}

const char *totp_qr_svg(struct arena *a, const char *text, const char *label_id)
{
    if (!text || !id_ok(label_id)) {
        return NULL;
    }
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr) {
        return NULL;
    }
    int w = qr->width, size = w + 2 * QR_QUIET;
    struct buf b = BUF_INIT;
    buf_printf(&b,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"totp-qr\" "
               "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
               "role=\"img\" aria-labelledby=\"%s\" "
               "shape-rendering=\"crispEdges\">"
               "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
               "<g fill=\"#000\">",
               size, size, size * QR_PX, size * QR_PX, label_id, size, size);
    for (int y = 0; y < w; y++) {
        int x = 0;
        while (x < w) {
            if (!(qr->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int x0 = x;
            while (x < w && (qr->data[y * w + x] & 1)) {
                x++;
            }
            buf_printf(&b,
                       "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
                       "height=\"1\"/>",
                       x0 + QR_QUIET, y + QR_QUIET, x - x0);
        }
    }
    buf_puts(&b, "</g></svg>");
    QRcode_free(qr);
    const char *svg = arena_strdup(a, buf_cstr(&b));
    buf_reset(&b);
    return svg;
}

/* ---- throttling of codes ---- */

/* The throttle keys of a code: the person at this address (never the
 * person alone: nobody can lock the owner out) and the address, shared
 * with wrong passwords. A right password does not clear the first key,
 * so knowing the password buys no more guesses at the code. */
static void code_keys(struct req *req, int64_t org_id, int64_t person_id,
                      const char **who, const char **addr)
{
    *who = arena_printf(req->arena, "totp:%lld:%lld@%s", (long long)org_id,
                        (long long)person_id, req->peer);
    *addr = arena_printf(req->arena, "fail:%s", req->peer);
}

int totp_throttle_wait(struct req *req, int64_t org_id, int64_t person_id,
                       time_t now)
{
    struct throttle *t = req->app->throttle;
    if (!t) {
        return 0;
    }
    const char *who, *addr;
    code_keys(req, org_id, person_id, &who, &addr);
    int w1 =
        throttle_check(t, who, AUTH_FAIL_PER_ACCOUNT, AUTH_FAIL_WINDOW, now);
    int w2 = throttle_check(t, addr, AUTH_FAIL_PER_ADDR, AUTH_FAIL_WINDOW, now);
    int wait = w1 > w2 ? w1 : w2;
    if (wait) {
        resp_header(req, "Retry-After", arena_printf(req->arena, "%d", wait));
    }
    return wait;
}

void totp_throttle_note(struct req *req, int64_t org_id, int64_t person_id,
                        bool ok, time_t now)
{
    struct throttle *t = req->app->throttle;
    if (!t) {
        return;
    }
    const char *who, *addr;
    code_keys(req, org_id, person_id, &who, &addr);
    if (ok) {
        throttle_clear(t, who);
    } else {
        throttle_add(t, who, AUTH_FAIL_WINDOW, now);
        throttle_add(t, addr, AUTH_FAIL_WINDOW, now);
    }
}

/* ---- /account/2fa ---- */

const char *totp_cookie_name(const struct req *req)
{
    return req->https ? TOTP_COOKIE_TLS : TOTP_COOKIE_PLAIN;
}

/* What the setup form carries: the secret with its person and expiry. */
struct setup {
    unsigned char person[8];
    unsigned char expires[8];
    unsigned char secret[TOTP_SECRET_BYTES];
};

static void put64(unsigned char out[8], int64_t v)
{
    for (int i = 0; i < 8; i++) {
        out[i] = (unsigned char)((uint64_t)v >> (8 * i));
    }
}

static int64_t get64(const unsigned char in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v |= (uint64_t)in[i] << (8 * i);
    }
    return (int64_t)v;
}

/* The sealed setup field for secret (arena). */
static const char *setup_seal(struct req *req,
                              const unsigned char secret[TOTP_SECRET_BYTES])
{
    struct setup s;
    put64(s.person, req->user->person_id);
    put64(s.expires, (int64_t)time(NULL) + TOTP_SETUP_LIFETIME);
    memcpy(s.secret, secret, TOTP_SECRET_BYTES);
    unsigned char key[TOTP_KEY_BYTES];
    totp_derive_key(req->app->secret, TOTP_KEY_SETUP, key);
    const char *out =
        totp_seal(req->arena, key, (unsigned char *)&s, sizeof(s));
    sodium_memzero(key, sizeof(key));
    sodium_memzero(&s, sizeof(s));
    return out;
}

/* Opens the setup field: 0 and the secret when it is this person's and
 * not expired; IBC_EINVAL otherwise. */
static int setup_open(struct req *req, const char *field,
                      unsigned char secret[TOTP_SECRET_BYTES])
{
    struct setup s;
    unsigned char key[TOTP_KEY_BYTES];
    totp_derive_key(req->app->secret, TOTP_KEY_SETUP, key);
    int rc = totp_open(key, field, (unsigned char *)&s, sizeof(s));
    sodium_memzero(key, sizeof(key));
    if (rc == 0 && (get64(s.person) != req->user->person_id ||
                    get64(s.expires) <= (int64_t)time(NULL))) {
        rc = IBC_EINVAL;
    }
    if (rc == 0) {
        memcpy(secret, s.secret, TOTP_SECRET_BYTES);
    }
    sodium_memzero(&s, sizeof(s));
    return rc;
}

/* Renders the page: the disable form when TOTP is on, else the setup of
 * secret (sealed into the form anew). err: a message next to the code. */
static int account_form(struct req *req, int status, bool on,
                        const unsigned char *secret, const char *err)
{
    struct tpl_vm *vm = page_vm(req);
    tpl_set_bool(vm, "enabled", on);
    if (!on) {
        struct tpl_vm *s = tpl_obj(vm, "setup");
        tpl_set_str(s, "key", totp_base32(req->arena, secret, true));
        tpl_set_str(s, "sealed", setup_seal(req, secret));
        const char *svg = totp_qr_svg(
            req->arena, totp_uri(req->arena, req->user->login, secret),
            "totp-qr-label");
        if (svg) {
            tpl_set_html(s, "qr", svg);
        }
    }
    if (err) {
        struct tpl_vm *e = tpl_obj(vm, "errors");
        tpl_set_str(e, "code", err);
        tpl_set_bool(vm, "has_errors", true);
    }
    req->status = status;
    return page_render(req, "auth/totp", vm, web_msg(req, "totp.title"));
}

int totp_account_page(struct req *req)
{
    const struct auth_user *u = req->user;
    bool on = false;
    int rc = totp_enabled(req->db, u->org_id, u->person_id, &on, &req->err);
    if (rc) {
        return rc;
    }
    unsigned char secret[TOTP_SECRET_BYTES];
    totp_new_secret(secret);
    rc = account_form(req, 200, on, secret, NULL);
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

static int disable_post(struct req *req)
{
    const struct auth_user *u = req->user;
    time_t now = time(NULL);
    if (totp_throttle_wait(req, u->org_id, u->person_id, now)) {
        return account_form(req, 429, true, NULL,
                            web_msg(req, "auth.too_many"));
    }
    const char *code = req_form(req, "code");
    if (str_empty(code)) {
        return account_form(req, 422, true, NULL,
                            web_msg(req, "totp.code_required"));
    }
    unsigned char key[TOTP_KEY_BYTES];
    totp_derive_key(req->app->secret, TOTP_KEY_STORE, key);
    struct ibc_error e = IBC_ERROR_INIT;
    int rc = totp_verify(req->db, u->org_id, u->person_id, key, code, now, &e);
    sodium_memzero(key, sizeof(key));
    if (rc == IBC_EAUTH) {
        totp_throttle_note(req, u->org_id, u->person_id, false, now);
        return account_form(req, 422, true, NULL,
                            web_msg(req, "totp.code_wrong"));
    }
    if (rc == 0) {
        totp_throttle_note(req, u->org_id, u->person_id, true, now);
        rc = totp_disable(req->db, u->org_id, u->person_id, &e);
    }
    if (rc == 0) {
        rc = audit_req(req, "totp.disable", "person", u->person_id, NULL);
    }
    if (rc && rc != IBC_ENOTFOUND) {
        req->err = e;
        return rc;
    }
    resp_redirect(req, 303, "/account/2fa");
    return 0;
}

static int enable_post(struct req *req)
{
    const struct auth_user *u = req->user;
    time_t now = time(NULL);
    unsigned char secret[TOTP_SECRET_BYTES];
    int rc;
    if (setup_open(req, req_form(req, "setup"), secret)) {
        /* Tampered with, another person's or too old: start again. */
        totp_new_secret(secret);
        rc = account_form(req, 422, false, secret,
                          web_msg(req, "totp.setup_expired"));
        goto out;
    }
    if (totp_throttle_wait(req, u->org_id, u->person_id, now)) {
        rc = account_form(req, 429, false, secret,
                          web_msg(req, "auth.too_many"));
        goto out;
    }
    const char *code = req_form(req, "code");
    int64_t step = 0;
    if (str_empty(code)) {
        rc = account_form(req, 422, false, secret,
                          web_msg(req, "totp.code_required"));
        goto out;
    }
    if (totp_code_step(secret, code, now, &step)) {
        totp_throttle_note(req, u->org_id, u->person_id, false, now);
        rc = account_form(req, 422, false, secret,
                          web_msg(req, "totp.code_wrong"));
        goto out;
    }
    totp_throttle_note(req, u->org_id, u->person_id, true, now);
    unsigned char key[TOTP_KEY_BYTES];
    totp_derive_key(req->app->secret, TOTP_KEY_STORE, key);
    rc = totp_enable(req->db, u->org_id, u->person_id, key, secret, step, now,
                     &req->err);
    sodium_memzero(key, sizeof(key));
    if (rc == 0) {
        rc = audit_req(req, "totp.enable", "person", u->person_id, NULL);
    }
    if (rc == 0) {
        resp_redirect(req, 303, "/account/2fa");
    }
out:
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

int totp_account_post(struct req *req)
{
    const struct auth_user *u = req->user;
    bool on = false;
    int rc = totp_enabled(req->db, u->org_id, u->person_id, &on, &req->err);
    if (rc) {
        return rc;
    }
    bool disable = str_eq(req_form(req, "action"), "disable");
    if (disable != on) {
        /* Already as asked (a second tab, a double click). */
        resp_redirect(req, 303, "/account/2fa");
        return 0;
    }
    return disable ? disable_post(req) : enable_post(req);
}
