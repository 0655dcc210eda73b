/* ibc — fuzz target: the outside text src/auth/ reads that fuzz_http cannot
 * reach.
 *
 * fuzz_http sends every request through auth_resolve(), so the session
 * cookie and the `Authorization: Bearer` token are covered there (and the
 * Cookie header's syntax by fuzz_form). What only a signed-in or half
 * signed-in browser can send is not: the TOTP code field (POST
 * /signin/code and /account/2fa) and the sealed setup field that carries a
 * new TOTP secret through the confirmation form; and the login, which goes
 * percent-encoded into the otpauth:// URI drawn as a QR code. Each input,
 * up to its first NUL, goes to
 *
 *  1. totp_code_step() with a fixed secret and time: it may accept only
 *     six digits among blanks and dashes, and only the code of a step
 *     within the window, which must be the step it reports;
 *  2. totp_open() for several lengths (it never opens forged text), and a
 *     round trip: the input's first bytes sealed by totp_seal() open to
 *     themselves, and with one hex digit changed do not open;
 *  3. totp_uri() with the input as login and totp_qr_svg() of that URI:
 *     the URI stays printable ASCII without blanks or markup characters,
 *     the SVG is either NULL (too long for a QR code) or one <svg>.
 *
 * The file name is the one the fuzz plan gave this target. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/arena.h"

#define NOW ((time_t)1800000000)
#define SEAL_MAX 64

static const unsigned char secret[TOTP_SECRET_BYTES] = {
    0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x30,
    0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x30};

static void check_code(const char *code)
{
    int64_t step = -1;
    int rc = totp_code_step(secret, code, NOW, &step);
    if (rc != 0) {
        if (rc != IBC_EAUTH) {
            abort();
        }
        return;
    }
    /* Accepted: six digits among blanks and dashes, of a step within the
     * window, and exactly that step's code. */
    char digits[TOTP_DIGITS + 1];
    size_t n = 0;
    for (const char *p = code; *p; p++) {
        if (*p == ' ' || *p == '-') {
            continue;
        }
        if (*p < '0' || *p > '9' || n == TOTP_DIGITS) {
            abort();
        }
        digits[n++] = *p;
    }
    digits[n] = '\0';
    int64_t now_step = (int64_t)NOW / TOTP_STEP;
    char want[TOTP_DIGITS + 1];
    if (n != TOTP_DIGITS || step < now_step - TOTP_WINDOW ||
        step > now_step + TOTP_WINDOW ||
        totp_code_at(secret, (time_t)(step * TOTP_STEP), want) != 0 ||
        strcmp(want, digits) != 0) {
        fprintf(stderr, "fuzz_totp: code %s accepted for step %lld\n",
                code, (long long)step);
        abort();
    }
}

static void check_sealed(struct arena *a, const char *text,
                         const uint8_t *data, size_t size)
{
    unsigned char key[TOTP_KEY_BYTES];
    memset(key, 0x42, sizeof(key));
    unsigned char out[SEAL_MAX + 8];
    static const size_t lens[] = {0, 1, 36, SEAL_MAX, SEAL_MAX + 1};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        if (totp_open(key, text, out, lens[i]) != IBC_EINVAL) {
            fprintf(stderr, "fuzz_totp: forged text opened\n");
            abort();
        }
    }

    size_t n = size < SEAL_MAX ? size : SEAL_MAX;
    const char *sealed = totp_seal(a, key, data, n);
    if (!sealed || totp_open(key, sealed, out, n) != 0 ||
        (n && memcmp(out, data, n) != 0)) {
        fprintf(stderr, "fuzz_totp: seal round trip failed\n");
        abort();
    }
    if (n != SEAL_MAX && totp_open(key, sealed, out, n + 1) != IBC_EINVAL) {
        abort();
    }
    /* One hex digit changed to another value: never opens. */
    size_t len = strlen(sealed);
    char *bad = arena_strdup(a, sealed);
    size_t at = size ? (size_t)data[size - 1] * 7 % len : 0;
    bad[at] = bad[at] == '0' ? '1' : '0';
    if (totp_open(key, bad, out, n) != IBC_EINVAL) {
        fprintf(stderr, "fuzz_totp: changed text opened\n");
        abort();
    }
}

static void check_uri(struct arena *a, const char *login)
{
    const char *uri = totp_uri(a, login, secret);
    if (!uri || strncmp(uri, "otpauth://totp/ibc:", 19) != 0) {
        abort();
    }
    for (const char *p = uri; *p; p++) {
        if (*p <= ' ' || *p > '~' || strchr("<>\"'\\", *p)) {
            fprintf(stderr, "fuzz_totp: raw byte in URI\n");
            abort();
        }
    }
    const char *svg = totp_qr_svg(a, uri, "totp-qr-label");
    if (svg && (strncmp(svg, "<svg ", 5) != 0 ||
                strcmp(svg + strlen(svg) - 6, "</svg>") != 0)) {
        abort();
    }
    if (totp_qr_svg(a, uri, "bad\"id") != NULL) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new();
    char *text = arena_alloc(a, size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    check_code(text);
    check_sealed(a, text, data, size);
    if (strlen(text) <= 512) { /* logins are short; QR codes are slow */
        check_uri(a, text);
    }
    arena_free(a);
    return 0;
}
