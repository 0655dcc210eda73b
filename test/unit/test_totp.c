/* ibc — tests of the second factor (src/auth/totp.c, totp_store.c): the
 * sealing of secrets (round trip, wrong key, tampering), base32 and the
 * otpauth URI, codes against the RFC 6238 test vectors with the ±1-step
 * window, the QR code's SVG, and the store on SQLite and (with
 * IBC_TEST_PG_URL) PostgreSQL: no clear secret in the database, a code
 * accepted once (replay refused), disable, another school's person not
 * found, pending sign-ins that expire. The HTTP side is
 * test/e2e/t0430-totp.sh. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth/auth.h"
#include "core/arena.h"
#include "core/str.h"
#include "db/db.h"
#include "dbtest.h"
#include "harness.h"
#include "org/org.h"
#include "people/people.h"

#define T0 ((time_t)1795000000) /* a fixed "now", at a step boundary + 10 */

/* RFC 6238 appendix B: the SHA-1 secret is the ASCII "1234567890" × 2. */
static const unsigned char RFC_SECRET[TOTP_SECRET_BYTES] = {
    '1', '2', '3', '4', '5', '6', '7', '8', '9', '0',
    '1', '2', '3', '4', '5', '6', '7', '8', '9', '0'};

static void key_of(unsigned char key[TOTP_KEY_BYTES], unsigned char fill)
{
    unsigned char server[32];
    memset(server, fill, sizeof(server));
    totp_derive_key(server, TOTP_KEY_STORE, key);
}

TEST(keys_differ_by_use_and_secret)
{
    unsigned char server[32], a[TOTP_KEY_BYTES], b[TOTP_KEY_BYTES],
        c[TOTP_KEY_BYTES];
    memset(server, 7, sizeof(server));
    totp_derive_key(server, TOTP_KEY_STORE, a);
    totp_derive_key(server, TOTP_KEY_SETUP, b);
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    server[0] = 8;
    totp_derive_key(server, TOTP_KEY_STORE, c);
    CHECK(memcmp(a, c, sizeof(a)) != 0);
    CHECK(memcmp(a, server, sizeof(a)) != 0);
}

TEST(seal_round_trip)
{
    struct arena *ar = arena_new();
    unsigned char key[TOTP_KEY_BYTES], other[TOTP_KEY_BYTES];
    key_of(key, 1);
    key_of(other, 2);
    unsigned char secret[TOTP_SECRET_BYTES], back[TOTP_SECRET_BYTES];
    totp_new_secret(secret);
    const char *s1 = totp_seal(ar, key, secret, sizeof(secret));
    const char *s2 = totp_seal(ar, key, secret, sizeof(secret));
    CHECK(s1 != NULL && s2 != NULL);
    /* hex of nonce 24 + MAC 16 + 20 bytes */
    CHECK_EQ_INT((int)strlen(s1), 2 * (24 + 16 + 20));
    CHECK(strcmp(s1, s2) != 0); /* a fresh nonce each time */
    char hex[2 * TOTP_SECRET_BYTES + 1];
    str_hex(hex, secret, sizeof(secret));
    CHECK(strstr(s1, hex) == NULL);
    CHECK_EQ_INT(totp_open(key, s1, back, sizeof(back)), 0);
    CHECK(memcmp(secret, back, sizeof(secret)) == 0);
    CHECK_EQ_INT(totp_open(key, s2, back, sizeof(back)), 0);
    CHECK(memcmp(secret, back, sizeof(secret)) == 0);
    /* the wrong key, a flipped digit anywhere, a wrong length, junk */
    CHECK_EQ_INT(totp_open(other, s1, back, sizeof(back)), IBC_EINVAL);
    size_t n = strlen(s1);
    for (size_t i = 0; i < n; i += 7) {
        char *t = arena_strdup(ar, s1);
        t[i] = t[i] == '0' ? '1' : '0';
        CHECK_EQ_INT(totp_open(key, t, back, sizeof(back)), IBC_EINVAL);
    }
    CHECK_EQ_INT(totp_open(key, s1, back, sizeof(back) - 1), IBC_EINVAL);
    CHECK_EQ_INT(totp_open(key, "", back, sizeof(back)), IBC_EINVAL);
    CHECK_EQ_INT(totp_open(key, NULL, back, sizeof(back)), IBC_EINVAL);
    char *z = arena_strdup(ar, s1);
    z[0] = 'z';
    CHECK_EQ_INT(totp_open(key, z, back, sizeof(back)), IBC_EINVAL);
    arena_free(ar);
}

TEST(base32_and_uri)
{
    struct arena *ar = arena_new();
    CHECK_EQ_STR(totp_base32(ar, RFC_SECRET, false),
                 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    CHECK_EQ_STR(totp_base32(ar, RFC_SECRET, true),
                 "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
    CHECK_EQ_STR(totp_uri(ar, "librarian", RFC_SECRET),
                 "otpauth://totp/ibc:librarian?"
                 "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ibc");
    /* a login is percent-encoded */
    CHECK_EQ_STR(totp_uri(ar, "a b&c", RFC_SECRET),
                 "otpauth://totp/ibc:a%20b%26c?"
                 "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ibc");
    arena_free(ar);
}

TEST(codes_rfc6238_vectors)
{
    /* RFC 6238 B: T=59 -> 94287082, T=1111111109 -> 07081804,
     * T=20000000000 -> 65353130; six digits are the last six. */
    char c[TOTP_DIGITS + 1];
    CHECK_EQ_INT(totp_code_at(RFC_SECRET, 59, c), 0);
    CHECK_EQ_STR(c, "287082");
    CHECK_EQ_INT(totp_code_at(RFC_SECRET, 1111111109, c), 0);
    CHECK_EQ_STR(c, "081804");
    int64_t step = 0;
    CHECK_EQ_INT(totp_code_step(RFC_SECRET, "287082", 59, &step), 0);
    CHECK_EQ_INT(step, 1);
    CHECK_EQ_INT(totp_code_step(RFC_SECRET, "081804", 1111111109, &step), 0);
    CHECK_EQ_INT(step, 1111111109 / 30);
    /* blanks ignored; other shapes refused */
    CHECK_EQ_INT(totp_code_step(RFC_SECRET, "287 082", 59, &step), 0);
    CHECK_EQ_INT(totp_code_step(RFC_SECRET, "28708", 59, &step), IBC_EAUTH);
    CHECK_EQ_INT(totp_code_step(RFC_SECRET, "2870820", 59, &step), IBC_EAUTH);
    CHECK_EQ_INT(totp_code_step(RFC_SECRET, "28708x", 59, &step), IBC_EAUTH);
    CHECK_EQ_INT(totp_code_step(RFC_SECRET, "", 59, &step), IBC_EAUTH);
    CHECK_EQ_INT(totp_code_step(RFC_SECRET, NULL, 59, &step), IBC_EAUTH);
}

TEST(codes_window)
{
    /* The code of step s is accepted in steps s-1, s, s+1, not beyond. */
    char c[TOTP_DIGITS + 1];
    time_t s = T0 / TOTP_STEP;
    CHECK_EQ_INT(totp_code_at(RFC_SECRET, s * TOTP_STEP, c), 0);
    int64_t step = 0;
    for (int d = -3; d <= 3; d++) {
        time_t now = (s + d) * TOTP_STEP + 5;
        int rc = totp_code_step(RFC_SECRET, c, now, &step);
        if (d >= -1 && d <= 1) {
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_INT(step, s);
        } else {
            CHECK_EQ_INT(rc, IBC_EAUTH);
        }
    }
    /* another secret's code does not pass */
    unsigned char other[TOTP_SECRET_BYTES];
    memset(other, 'x', sizeof(other));
    char o[TOTP_DIGITS + 1];
    CHECK_EQ_INT(totp_code_at(other, s * TOTP_STEP, o), 0);
    if (strcmp(o, c) != 0) {
        CHECK_EQ_INT(totp_code_step(RFC_SECRET, o, s * TOTP_STEP, &step),
                     IBC_EAUTH);
    }
}

TEST(qr_svg)
{
    struct arena *ar = arena_new();
    const char *uri = totp_uri(ar, "librarian", RFC_SECRET);
    const char *svg = totp_qr_svg(ar, uri, "totp-qr-label");
    CHECK(svg != NULL);
    CHECK(str_starts(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    CHECK(strstr(svg, "shape-rendering=\"crispEdges\"") != NULL);
    CHECK(strstr(svg, "role=\"img\" aria-labelledby=\"totp-qr-label\"") !=
          NULL);
    CHECK(strstr(svg, "<rect x=\"4\" y=\"4\" width=\"7\" height=\"1\"/>") !=
          NULL); /* the top of the finder pattern, inside the quiet zone */
    CHECK(strstr(svg, "</svg>") != NULL);
    CHECK(strstr(svg, "otpauth") == NULL); /* the secret is not in markup */
    CHECK(strstr(svg, "<script") == NULL);
    /* the id goes into markup: only [a-z0-9-] */
    CHECK(totp_qr_svg(ar, uri, "x\" onload=\"y") == NULL);
    CHECK(totp_qr_svg(ar, uri, "") == NULL);
    CHECK(totp_qr_svg(ar, NULL, "a") == NULL);
    arena_free(ar);
}

/* ---- the store ---- */

static int64_t add_person(struct db *db, int64_t org, const char *login)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct person_input in = {.login = login,
                              .last_name = "Смирнова",
                              .first_name = "Ольга",
                              .roles = ROLE_LIBRARIAN};
    int64_t id = 0;
    if (person_create(db, org, &in, &id, &err)) {
        test_fail(__FILE__, __LINE__, "person %s: %s", login, err.msg);
    }
    return id;
}

static void store_on(struct db *db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct org oa = {
        .code = "sch-a", .name = "Школа А", .short_name = "Школа А"};
    struct org ob = {
        .code = "sch-b", .name = "Школа Б", .short_name = "Школа Б"};
    int64_t a, b;
    CHECK_EQ_INT(org_create(db, &oa, &a, &err), 0);
    CHECK_EQ_INT(org_create(db, &ob, &b, &err), 0);
    int64_t lib = add_person(db, a, "librarian");
    int64_t head = add_person(db, a, "head");
    int64_t other = add_person(db, b, "librarian");
    unsigned char key[TOTP_KEY_BYTES], wrong[TOTP_KEY_BYTES];
    key_of(key, 1);
    key_of(wrong, 2);
    unsigned char secret[TOTP_SECRET_BYTES], back[TOTP_SECRET_BYTES];
    totp_new_secret(secret);
    bool on = true;
    CHECK_EQ_INT(totp_enabled(db, a, lib, &on, &err), 0);
    CHECK(!on);
    CHECK_EQ_INT(totp_get(db, a, lib, key, back, NULL, &err), IBC_ENOTFOUND);

    /* enable: the row holds the secret sealed, never in clear */
    time_t s0 = T0 / TOTP_STEP;
    CHECK_EQ_INT(totp_enable(db, a, lib, key, secret, s0 - 1, T0, &err), 0);
    CHECK_EQ_INT(totp_enabled(db, a, lib, &on, &err), 0);
    CHECK(on);
    CHECK_EQ_INT(totp_enabled(db, a, head, &on, &err), 0);
    CHECK(!on);
    struct db_stmt *st = NULL;
    CHECK_EQ_INT(db_prepare_args(db, &st, &err,
                                 "SELECT secret_enc, enabled_at, last_step "
                                 "FROM person_totp WHERE org_id = ? "
                                 "AND person_id = ?",
                                 DB_I64(a), DB_I64(lib), DB_END),
                 0);
    CHECK_EQ_INT(db_step(st), DB_ROW);
    char hex[2 * TOTP_SECRET_BYTES + 1];
    str_hex(hex, secret, sizeof(secret));
    struct arena *ar = arena_new();
    const char *enc = arena_strdup(ar, db_col_text(st, 0));
    CHECK(strstr(enc, hex) == NULL);
    CHECK(strstr(enc, totp_base32(ar, secret, false)) == NULL);
    CHECK_EQ_STR(db_col_text(st, 1), "2026-11-18T11:06:40Z");
    CHECK_EQ_INT(db_col_int64(st, 2), s0 - 1);
    db_finalize(st);
    int64_t last = 0;
    CHECK_EQ_INT(totp_get(db, a, lib, key, back, &last, &err), 0);
    CHECK(memcmp(back, secret, sizeof(secret)) == 0);
    CHECK_EQ_INT(last, s0 - 1);
    /* another server secret cannot open it; another school sees nothing */
    CHECK_EQ_INT(totp_get(db, a, lib, wrong, back, NULL, &err), IBC_EINTERNAL);
    CHECK_EQ_INT(totp_get(db, b, lib, key, back, NULL, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(totp_enable(db, b, lib, key, secret, 0, T0, &err),
                 IBC_ENOTFOUND); /* lib is not of school b */
    CHECK_EQ_INT(totp_enabled(db, b, other, &on, &err), 0);
    CHECK(!on);

    /* verify: now's code once; a replay, an older step and junk refused */
    char c0[TOTP_DIGITS + 1], c1[TOTP_DIGITS + 1], cm1[TOTP_DIGITS + 1];
    CHECK_EQ_INT(totp_code_at(secret, s0 * TOTP_STEP, c0), 0);
    CHECK_EQ_INT(totp_code_at(secret, (s0 + 1) * TOTP_STEP, c1), 0);
    CHECK_EQ_INT(totp_code_at(secret, (s0 - 1) * TOTP_STEP, cm1), 0);
    CHECK_EQ_INT(totp_verify(db, a, lib, key, cm1, T0, &err), IBC_EAUTH);
    CHECK_EQ_STR(err.field, "code"); /* s0-1 was used at set-up */
    CHECK_EQ_INT(totp_verify(db, a, lib, key, c0, T0, &err), 0);
    CHECK_EQ_INT(totp_verify(db, a, lib, key, c0, T0, &err), IBC_EAUTH);
    CHECK_EQ_STR(err.field, "code");
    CHECK_EQ_INT(totp_verify(db, a, lib, key, c0, T0 + 20, &err), IBC_EAUTH);
    if (strcmp(c0, "000000") != 0 && strcmp(c1, "000000") != 0) {
        CHECK_EQ_INT(totp_verify(db, a, lib, key, "000000", T0, &err),
                     IBC_EAUTH);
    }
    CHECK_EQ_INT(totp_verify(db, a, lib, key, c1, T0 + TOTP_STEP, &err), 0);
    CHECK_EQ_INT(totp_get(db, a, lib, key, back, &last, &err), 0);
    CHECK_EQ_INT(last, s0 + 1);
    /* the compare-and-set itself */
    CHECK_EQ_INT(totp_use_step(db, a, lib, s0 + 1, &err), IBC_EAUTH);
    CHECK_EQ_INT(totp_use_step(db, a, lib, s0 + 2, &err), 0);
    CHECK_EQ_INT(totp_use_step(db, a, head, s0 + 9, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(totp_verify(db, a, head, key, c0, T0, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(totp_verify(db, b, lib, key, c0, T0, &err), IBC_ENOTFOUND);

    /* re-enable replaces; disable */
    unsigned char s2[TOTP_SECRET_BYTES];
    totp_new_secret(s2);
    CHECK_EQ_INT(totp_enable(db, a, lib, key, s2, 0, T0, &err), 0);
    CHECK_EQ_INT(totp_get(db, a, lib, key, back, &last, &err), 0);
    CHECK(memcmp(back, s2, sizeof(s2)) == 0);
    int64_t n = -1;
    db_query_int64(db, &n, NULL, "SELECT COUNT(*) FROM person_totp", DB_END);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(totp_disable(db, b, lib, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(totp_disable(db, a, lib, &err), 0);
    CHECK_EQ_INT(totp_disable(db, a, lib, &err), IBC_ENOTFOUND);
    CHECK_EQ_INT(totp_enabled(db, a, lib, &on, &err), 0);
    CHECK(!on);
    CHECK_EQ_INT(totp_verify(db, a, lib, key, c0, T0, &err), IBC_ENOTFOUND);

    /* pending sign-ins: found in their school until they expire */
    char tok[AUTH_TOKEN_HEX + 1];
    CHECK_EQ_INT(totp_pending_create(db, a, lib, "/news", T0, tok, &err), 0);
    CHECK_EQ_INT((int)strlen(tok), AUTH_TOKEN_HEX);
    db_query_int64(db, &n, NULL,
                   "SELECT COUNT(*) FROM totp_pending WHERE id_hash = ?",
                   DB_TXT(tok), DB_END);
    CHECK_EQ_INT(n, 0); /* only the hash is stored */
    int64_t pid = 0;
    const char *pback = NULL;
    CHECK_EQ_INT(
        totp_pending_lookup(db, ar, a, tok, T0 + 10, &pid, &pback, &err), 0);
    CHECK_EQ_INT(pid, lib);
    CHECK_EQ_STR(pback, "/news");
    CHECK_EQ_INT(
        totp_pending_lookup(db, ar, b, tok, T0 + 10, &pid, &pback, &err),
        IBC_EAUTH);
    CHECK_EQ_INT(
        totp_pending_lookup(db, ar, a, "nothex", T0, &pid, &pback, &err),
        IBC_EAUTH);
    CHECK_EQ_INT(totp_pending_lookup(db, ar, a, tok, T0 + TOTP_PENDING_LIFETIME,
                                     &pid, &pback, &err),
                 IBC_EAUTH);
    /* an expired one is gone even for an earlier clock */
    CHECK_EQ_INT(
        totp_pending_lookup(db, ar, a, tok, T0 + 10, &pid, &pback, &err),
        IBC_EAUTH);
    char tok2[AUTH_TOKEN_HEX + 1];
    CHECK_EQ_INT(totp_pending_create(db, a, head, "/", T0, tok2, &err), 0);
    CHECK_EQ_INT(totp_pending_delete(db, a, tok2, &err), 0);
    CHECK_EQ_INT(
        totp_pending_lookup(db, ar, a, tok2, T0 + 1, &pid, &pback, &err),
        IBC_EAUTH);
    CHECK_EQ_INT(totp_pending_delete(db, a, "junk", &err), 0);
    arena_free(ar);
}

TEST(store)
{
    tdb_each(store_on);
}
