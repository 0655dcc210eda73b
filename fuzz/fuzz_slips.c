/* ibc — fuzz target: login slips as PDF (src/print/slips.c).
 *
 * The input is split into fields at NUL and newline bytes. The first byte
 * says how many slips (1 to 3, to keep runs fast); then come the two
 * labels that carry outside text — the school's short name (set by an
 * administrator) and the sign-in address (built from the request's Host
 * header) — and then six fields per slip: name, class, login, password,
 * parent code, "valid until". A field that runs out is NULL (so a slip may
 * lack its name, login or password); the other labels are the Russian
 * catalogue words.
 *
 * Promises checked besides the sanitizers: text that is not valid UTF-8 or
 * holds a Unicode noncharacter (cairo refuses those in PDF text), or a
 * slip without name, login or password, is refused with IBC_EINVAL
 * and nothing is drawn; everything else renders to a PDF; and no GLib,
 * Pango or cairo warning is logged on the way (warnings are made fatal:
 * Pango warns, and then draws replacement characters, when it is handed
 * invalid UTF-8).
 *
 * Leak checking: pango's font map keeps fontconfig patterns for the life of
 * the process in a way LeakSanitizer does not see as reachable, so the
 * first render (and the first fallback font of each new script) reports a
 * "leak" inside libfontconfig. It does not grow with the number of renders
 * and is gone when pango_cairo_font_map_set_default(NULL),
 * cairo_debug_reset_static_data() and FcFini() run at exit; allocations
 * made inside libfontconfig are therefore not reported here (ours, and
 * pango objects we fail to release, still are). */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "print/slips.h"

#define MAX_SLIPS 3
#define FIELDS_PER_SLIP 6
#define MAX_FIELDS (2 + MAX_SLIPS * FIELDS_PER_SLIP)

const char *__lsan_default_suppressions(void);

const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

/* What slips_render_pdf promises to draw: valid UTF-8 without Unicode
 * noncharacters, which cairo refuses in PDF text. */
static bool valid(const char *s)
{
    if (!s) {
        return true;
    }
    size_t len = strlen(s);
    if (!utf8_valid(s, len)) {
        return false;
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t k = utf8_decode(s + i, len - i, &cp);
        if (k == 0 || (cp >= 0xFDD0 && cp <= 0xFDEF) ||
            (cp & 0xFFFE) == 0xFFFE) {
            return false;
        }
        i += k;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
                               G_LOG_LEVEL_WARNING);
        ready = 1;
    }
    if (size == 0) {
        return 0;
    }
    size_t n = 1 + data[0] % MAX_SLIPS;
    char *text = malloc(size);
    if (!text) {
        abort();
    }
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    /* Fields: text up to the next NUL or newline. */
    const char *f[MAX_FIELDS] = {0};
    size_t nf = 0;
    char *p = text, *end = text + (size - 1);
    while (nf < MAX_FIELDS) {
        char *q = p;
        while (q < end && *q != '\0' && *q != '\n') {
            q++;
        }
        bool last = q == end;
        *q = '\0';
        f[nf++] = p;
        if (last) {
            break;
        }
        p = q + 1;
    }

    struct slip_labels labels = {
        .school = f[0] ? f[0] : "",
        .heading = "Вход в библиотеку",
        .address = "Адрес",
        .url = f[1] ? f[1] : "/signin",
        .login = "Логин",
        .password = "Пароль",
        .change_note = "при первом входе задайте свой пароль",
        .parent_code = "Код для родителей",
        .valid_until = "действует до",
    };
    struct slip slips[MAX_SLIPS];
    bool ok = valid(labels.school) && valid(labels.url);
    for (size_t i = 0; i < n; i++) {
        const char **s = f + 2 + i * FIELDS_PER_SLIP;
        slips[i] = (struct slip){.name = s[0],
                                 .class_name = s[1],
                                 .login = s[2],
                                 .password = s[3],
                                 .parent_code = s[4],
                                 .code_until = s[5]};
        for (int k = 0; k < FIELDS_PER_SLIP; k++) {
            ok = ok && valid(s[k]);
        }
        ok = ok && s[0] && s[2] && s[3];
    }

    struct buf out = BUF_INIT;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = slips_render_pdf(slips, n, &labels, &out, &err);
    if (ok && (rc != 0 || out.len < 5 || memcmp(out.data, "%PDF-", 5) != 0)) {
        fprintf(stderr, "fuzz_slips: good text not rendered: %d %s\n", rc,
                err.msg);
        abort();
    }
    if (!ok && (rc != IBC_EINVAL || out.len != 0)) {
        fprintf(stderr, "fuzz_slips: bad text not refused: %d\n", rc);
        abort();
    }
    buf_reset(&out);
    free(text);
    return 0;
}
