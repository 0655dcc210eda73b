/* ibc — Russian collation and search folding with ICU; see collate.h.
 *
 * Text is converted from UTF-8 to ICU's UTF-16 once per call (bad bytes
 * become U+FFFD), then handed to ICU: ucol_getSortKey for keys,
 * ucol_strcoll for comparisons (ICU guarantees both give the same order),
 * unorm2 + u_strFoldCase for the search form. Only the first
 * COLLATE_MAX_CHARS code points take part in sorting, so that keys stay
 * well below PostgreSQL's b-tree entry limit (~2.7 kB) even in composite
 * indexes; the comparison applies the same cut, so it agrees with the keys.
 *
 * Each thread gets its own UCollator in thread-specific storage (the key is
 * created once with pthread_once, the only static state here); its
 * destructor closes the collator when the thread exits. */
#include "text/collate.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucol.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/str.h"
#include "core/xalloc.h"

/* Code points of a string that count for sorting (see the top). */
#define COLLATE_MAX_CHARS 128

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t coll_key; /* this thread's UCollator * */

static void close_collator(void *p)
{
    ucol_close(p);
}

static void make_key(void)
{
    if (pthread_key_create(&coll_key, close_collator) != 0) {
        abort(); /* only when the process is out of keys: a bug */
    }
}

/* This thread's collator, opened on first use; NULL if ICU cannot open it
 * (then callers fall back to bytewise order). Borrowed. */
static UCollator *collator(void)
{
    pthread_once(&key_once, make_key);
    UCollator *c = pthread_getspecific(coll_key);
    if (c) {
        return c;
    }
    UErrorCode st = U_ZERO_ERROR;
    c = ucol_open("ru", &st);
    if (U_FAILURE(st)) {
        log_err("collate: cannot open the ICU \"ru\" collator: %s",
                u_errorName(st));
        ucol_close(c);
        return NULL;
    }
    /* "Том 2" before "Том 10". */
    ucol_setAttribute(c, UCOL_NUMERIC_COLLATION, UCOL_ON, &st);
    if (U_FAILURE(st)) {
        log_err("collate: numeric collation: %s", u_errorName(st));
    }
    pthread_setspecific(coll_key, c);
    return c;
}

void collate_thread_cleanup(void)
{
    pthread_once(&key_once, make_key);
    UCollator *c = pthread_getspecific(coll_key);
    if (c) {
        pthread_setspecific(coll_key, NULL);
        ucol_close(c);
    }
}

/* UTF-8 -> UTF-16 (heap, caller frees with free()); bad bytes become
 * U+FFFD. *len gets the length in UTF-16 units. */
static UChar *to_utf16(const char *s, int32_t *len)
{
    size_t n = strlen(s);
    if (n > INT32_MAX / 2) {
        n = INT32_MAX / 2; /* never a real string; keeps int32 safe */
    }
    UChar *u = xmalloc((n + 1) * sizeof(*u)); /* units <= bytes */
    UErrorCode st = U_ZERO_ERROR;
    *len = 0;
    u_strFromUTF8WithSub(u, (int32_t)n + 1, len, s, (int32_t)n, 0xFFFD, NULL,
                         &st);
    if (U_FAILURE(st)) {
        *len = 0;
    }
    return u;
}

/* Length in units of the first COLLATE_MAX_CHARS code points of u. */
static int32_t sort_prefix(const UChar *u, int32_t len)
{
    int32_t i = 0;
    U16_FWD_N(u, i, len, COLLATE_MAX_CHARS);
    return i;
}

/* Bytewise fallback key: hex of the UTF-8 bytes (arena). */
static char *hex_of(struct arena *a, const unsigned char *p, size_t n)
{
    char *out = arena_alloc(a, 2 * n + 1);
    str_hex(out, p, n);
    return out;
}

char *collate_key(struct arena *a, const char *utf8)
{
    if (!utf8) {
        return NULL;
    }
    UCollator *c = collator();
    if (!c) {
        return hex_of(a, (const unsigned char *)utf8, strlen(utf8));
    }
    int32_t len;
    UChar *u = to_utf16(utf8, &len);
    len = sort_prefix(u, len);
    uint8_t stack[512];
    uint8_t *key = stack;
    int32_t need = ucol_getSortKey(c, u, len, key, (int32_t)sizeof(stack));
    if (need > (int32_t)sizeof(stack)) {
        key = xmalloc((size_t)need);
        need = ucol_getSortKey(c, u, len, key, need);
    }
    /* need counts the terminating 0 byte, which is not part of the key. */
    char *out = hex_of(a, key, need > 0 ? (size_t)need - 1 : 0);
    if (key != stack) {
        free(key);
    }
    free(u);
    return out;
}

int collate_cmp(const char *a, const char *b)
{
    if (!a || !b) {
        return (a != NULL) - (b != NULL);
    }
    UCollator *c = collator();
    if (!c) {
        return strcmp(a, b);
    }
    int32_t la, lb;
    UChar *ua = to_utf16(a, &la);
    UChar *ub = to_utf16(b, &lb);
    UCollationResult r =
        ucol_strcoll(c, ua, sort_prefix(ua, la), ub, sort_prefix(ub, lb));
    free(ua);
    free(ub);
    return r == UCOL_LESS ? -1 : r == UCOL_GREATER ? 1 : 0;
}

/* Runs an ICU string transform (normalize or fold) from src into a fresh
 * heap buffer, growing it when ICU asks. Returns NULL on ICU failure. */
static UChar *transform(const UChar *src, int32_t len, int32_t *outlen,
                        int32_t (*fn)(const void *ctx, const UChar *src,
                                      int32_t len, UChar *dst, int32_t cap,
                                      UErrorCode *st),
                        const void *ctx)
{
    int32_t cap = len + 16;
    for (int tries = 0; tries < 2; tries++) {
        UChar *dst = xmalloc((size_t)cap * sizeof(*dst));
        UErrorCode st = U_ZERO_ERROR;
        int32_t n = fn(ctx, src, len, dst, cap, &st);
        if (U_SUCCESS(st)) { /* also "not NUL-terminated": fine */
            *outlen = n;
            return dst;
        }
        free(dst);
        if (st != U_BUFFER_OVERFLOW_ERROR) {
            return NULL;
        }
        cap = n + 1;
    }
    return NULL;
}

static int32_t do_nfc(const void *ctx, const UChar *src, int32_t len,
                      UChar *dst, int32_t cap, UErrorCode *st)
{
    return unorm2_normalize(ctx, src, len, dst, cap, st);
}

static int32_t do_fold(const void *ctx, const UChar *src, int32_t len,
                       UChar *dst, int32_t cap, UErrorCode *st)
{
    (void)ctx;
    return u_strFoldCase(dst, cap, src, len, U_FOLD_CASE_DEFAULT, st);
}

char *collate_fold(struct arena *a, const char *s)
{
    if (!s) {
        return NULL;
    }
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
    int32_t len, nlen = 0, flen = 0;
    UChar *u = to_utf16(s, &len);
    UChar *n = U_SUCCESS(st) ? transform(u, len, &nlen, do_nfc, nfc) : NULL;
    UChar *f = n ? transform(n, nlen, &flen, do_fold, NULL) : NULL;
    char *out;
    if (!f) {
        log_err("collate: cannot fold text (ICU error)");
        out = arena_strdup(a, s);
    } else {
        for (int32_t i = 0; i < flen; i++) {
            if (f[i] == 0x0451) { /* ё (Ё is already folded to it) */
                f[i] = 0x0435;    /* е */
            }
        }
        /* Each UTF-16 unit becomes at most 3 UTF-8 bytes. */
        size_t cap = (size_t)flen * 3 + 1;
        out = arena_alloc(a, cap);
        int32_t olen = 0;
        st = U_ZERO_ERROR;
        u_strToUTF8(out, (int32_t)cap, &olen, f, flen, &st);
        if (U_FAILURE(st)) {
            out = arena_strdup(a, s);
        }
    }
    free(u);
    free(n);
    free(f);
    return out;
}

void collate_version(char *out, size_t n)
{
    UCollator *c = collator();
    if (!c) {
        snprintf(out, n, "bytewise");
        return;
    }
    UVersionInfo v;
    char s[U_MAX_VERSION_STRING_LENGTH];
    ucol_getVersion(c, v);
    u_versionToString(v, s);
    snprintf(out, n, "%s", s);
}
