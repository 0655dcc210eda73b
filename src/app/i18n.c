/* ibc — message catalogues; see i18n.h.
 *
 * File format (i18n/<lang>.msg, UTF-8):
 *
 *   # a comment
 *   layout.home = Главная
 *   home.greeting = Здравствуйте, {name}!\nДобро пожаловать.
 *
 * One message a line: a key of [a-z0-9_.-], optional blanks, '=', optional
 * blanks, the text to the end of the line (trailing blanks dropped). In the
 * text, \n is a newline and \\ a backslash; no other escapes. Blank lines and
 * lines starting with '#' are ignored; a UTF-8 byte order mark is skipped,
 * CRLF line ends are accepted. A duplicate key or a malformed line makes the
 * whole text fail, naming the line. {name} placeholders are left as they
 * are: the template engine fills them.
 *
 * Each language is an open-addressing hash table (FNV-1a, linear probing)
 * whose strings live in one arena. Hand-written: a few dozen lines, where
 * gettext would bring .po/.mo tooling and a process-global locale, which a
 * threaded server answering in two languages at once cannot use. */
#include "app/i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/embed.h"
#include "core/utf8.h"
#include "core/xalloc.h"

#define I18N_MAX_KEY 128

struct msg {
    const char *key; /* NULL: empty slot */
    const char *text;
    uint32_t hash;
    uint32_t line;
};

struct cat {
    char lang[16];
    struct msg *slots; /* cap entries, cap a power of two */
    size_t cap, n;
};

struct i18n {
    struct arena *arena;
    struct cat *cats;
    size_t n;
};

static uint32_t hash_str(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    }
    return h;
}

struct i18n *i18n_new(void)
{
    struct i18n *i = xcalloc(1, sizeof(*i));
    i->arena = arena_new();
    return i;
}

void i18n_free(struct i18n *i)
{
    if (!i) {
        return;
    }
    for (size_t k = 0; k < i->n; k++) {
        free(i->cats[k].slots);
    }
    free(i->cats);
    arena_free(i->arena);
    free(i);
}

static struct cat *cat_find(const struct i18n *i, const char *lang)
{
    for (size_t k = 0; k < i->n; k++) {
        if (strcmp(i->cats[k].lang, lang) == 0) {
            return &i->cats[k];
        }
    }
    return NULL;
}

static struct cat *cat_get(struct i18n *i, const char *lang)
{
    struct cat *c = cat_find(i, lang);
    if (c) {
        return c;
    }
    i->cats = xrealloc(i->cats, (i->n + 1) * sizeof(*i->cats));
    c = &i->cats[i->n++];
    memset(c, 0, sizeof(*c));
    snprintf(c->lang, sizeof(c->lang), "%s", lang);
    return c;
}

static const struct msg *cat_lookup(const struct cat *c, const char *key,
                                    size_t n, uint32_t h)
{
    if (!c || c->cap == 0) {
        return NULL;
    }
    for (size_t s = h & (c->cap - 1);; s = (s + 1) & (c->cap - 1)) {
        const struct msg *m = &c->slots[s];
        if (!m->key) {
            return NULL;
        }
        if (m->hash == h && strncmp(m->key, key, n) == 0 && !m->key[n]) {
            return m;
        }
    }
}

static void cat_put_slot(struct msg *slots, size_t cap, const struct msg *m)
{
    size_t s = m->hash & (cap - 1);
    while (slots[s].key) {
        s = (s + 1) & (cap - 1);
    }
    slots[s] = *m;
}

/* Inserts m (key not present); keeps the load factor at most 1/2. */
static void cat_insert(struct cat *c, const struct msg *m)
{
    if ((c->n + 1) * 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct msg *slots = xcalloc(cap, sizeof(*slots));
        for (size_t k = 0; k < c->cap; k++) {
            if (c->slots[k].key) {
                cat_put_slot(slots, cap, &c->slots[k]);
            }
        }
        free(c->slots);
        c->slots = slots;
        c->cap = cap;
    }
    cat_put_slot(c->slots, c->cap, m);
    c->n++;
}

static bool key_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

static bool valid_lang(const char *lang)
{
    size_t n = lang ? strlen(lang) : 0;
    if (n == 0 || n > 15) {
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)lang[k];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return false;
        }
    }
    return true;
}

static int fail_line(struct ibc_error *err, const char *src, uint32_t line,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_line(struct ibc_error *err, const char *src, uint32_t line,
                     const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ibc_fail(err, IBC_EPARSE, "%s:%u: %s", src, (unsigned)line, msg);
}

/* Parses one catalogue text for lang, naming `src` in errors. All or
 * nothing: on error the catalogue is unchanged. */
static int parse_named(struct i18n *i, const char *lang, const char *src,
                       const char *text, size_t len, struct ibc_error *err)
{
    if (!valid_lang(lang)) {
        return ibc_fail(err, IBC_EINVAL, "bad language code '%s'",
                        lang ? lang : "(null)");
    }
    if (!utf8_valid(text, len)) {
        uint32_t line = 1;
        size_t k = 0;
        while (k < len) {
            uint32_t cp;
            size_t d = utf8_decode(text + k, len - k, &cp);
            if (d == 0 || cp == 0) {
                break;
            }
            line += cp == '\n';
            k += d;
        }
        return fail_line(err, src, line, "invalid UTF-8");
    }
    const struct cat *existing = cat_find(i, lang);
    struct msg *batch = NULL;
    size_t nb = 0, capb = 0;
    struct buf val = BUF_INIT;
    int rc = 0;
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        pos = 3;
    }
    for (uint32_t line = 1; pos < len; line++) {
        const char *p = text + pos;
        const char *nl = memchr(p, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - p) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n > 0 && p[n - 1] == '\r') {
            n--;
        }
        size_t k = 0;
        while (k < n && (p[k] == ' ' || p[k] == '\t')) {
            k++;
        }
        if (k == n || p[k] == '#') {
            continue;
        }
        size_t ks = k;
        while (k < n && key_char((unsigned char)p[k])) {
            k++;
        }
        size_t klen = k - ks;
        while (k < n && (p[k] == ' ' || p[k] == '\t')) {
            k++;
        }
        if (klen == 0 || k == n || p[k] != '=') {
            if (k < n && k == ks + klen && p[k] != '=') {
                rc = fail_line(err, src, line,
                               "bad character '%c' in a key (keys use a-z "
                               "0-9 _ . -)",
                               p[k]);
            } else {
                rc = fail_line(err, src, line, "expected 'key = text'");
            }
            break;
        }
        if (klen > I18N_MAX_KEY) {
            rc = fail_line(err, src, line, "key longer than %d bytes",
                           I18N_MAX_KEY);
            break;
        }
        k++;
        while (k < n && (p[k] == ' ' || p[k] == '\t')) {
            k++;
        }
        size_t e = n;
        while (e > k && (p[e - 1] == ' ' || p[e - 1] == '\t')) {
            e--;
        }
        buf_clear(&val);
        for (size_t q = k; q < e; q++) {
            if (p[q] != '\\') {
                buf_putc(&val, p[q]);
                continue;
            }
            if (q + 1 < e && p[q + 1] == 'n') {
                buf_putc(&val, '\n');
            } else if (q + 1 < e && p[q + 1] == '\\') {
                buf_putc(&val, '\\');
            } else if (q + 1 < e) {
                rc = fail_line(err, src, line,
                               "unknown escape '\\%c' (only \\n and \\\\)",
                               p[q + 1]);
                break;
            } else {
                rc = fail_line(err, src, line, "a lone '\\' at the end");
                break;
            }
            q++;
        }
        if (rc) {
            break;
        }
        if (nb == capb) {
            capb = capb ? capb * 2 : 64;
            batch = xrealloc(batch, capb * sizeof(*batch));
        }
        struct msg *m = &batch[nb++];
        m->key = arena_strndup(i->arena, p + ks, klen);
        m->hash = hash_str(p + ks, klen);
        m->text = arena_strndup(i->arena, buf_cstr(&val), val.len);
        m->line = line;
    }
    /* Duplicates, in line order: against earlier texts, then this one. */
    struct msg *seen = NULL;
    size_t cap = 64;
    while (rc == 0 && cap < nb * 2) {
        cap *= 2;
    }
    if (rc == 0) {
        seen = xcalloc(cap, sizeof(*seen));
    }
    for (size_t k = 0; rc == 0 && k < nb; k++) {
        const struct msg *m = &batch[k];
        size_t kl = strlen(m->key);
        const struct msg *old = cat_lookup(existing, m->key, kl, m->hash);
        if (!old) {
            struct cat tmp = {.slots = seen, .cap = cap};
            old = cat_lookup(&tmp, m->key, kl, m->hash);
        }
        if (old) {
            rc = fail_line(err, src, m->line,
                           "duplicate key '%s' (first on line %u)", m->key,
                           (unsigned)old->line);
            break;
        }
        cat_put_slot(seen, cap, m);
    }
    if (rc == 0) {
        struct cat *c = cat_get(i, lang);
        for (size_t k = 0; k < nb; k++) {
            cat_insert(c, &batch[k]);
        }
    }
    free(seen);
    free(batch);
    buf_reset(&val);
    return rc;
}

int i18n_parse(struct i18n *i, const char *lang, const char *text,
               struct ibc_error *err)
{
    char src[64];
    snprintf(src, sizeof(src), "i18n/%s.msg", lang ? lang : "");
    return parse_named(i, lang, src, text ? text : "", text ? strlen(text) : 0,
                       err);
}

/* Every key of every other language must exist in ru (the reference).
 * Errors: IBC_ENOTFOUND naming the first offending line, or when there is
 * no ru catalogue at all. */
int i18n_check(const struct i18n *i, struct ibc_error *err)
{
    const struct cat *ru = cat_find(i, "ru");
    if (!ru) {
        return ibc_fail(err, IBC_ENOTFOUND,
                        "i18n/ru.msg: no Russian catalogue (the reference)");
    }
    for (size_t k = 0; k < i->n; k++) {
        const struct cat *c = &i->cats[k];
        const struct msg *bad = NULL;
        for (size_t s = 0; c != ru && s < c->cap; s++) {
            const struct msg *m = &c->slots[s];
            if (m->key && !cat_lookup(ru, m->key, strlen(m->key), m->hash) &&
                (!bad || m->line < bad->line)) {
                bad = m;
            }
        }
        if (bad) {
            return ibc_fail(err, IBC_ENOTFOUND,
                            "i18n/%s.msg:%u: key '%s' is not in i18n/ru.msg "
                            "(every key must exist in Russian)",
                            c->lang, (unsigned)bad->line, bad->key);
        }
    }
    return 0;
}

/* Loads every embedded i18n/<lang>.msg, then checks them (i18n_check).
 * On success *out is the caller's (free with i18n_free). */
int i18n_load(struct i18n **out, struct ibc_error *err)
{
    struct i18n *i = i18n_new();
    *out = NULL;
    for (size_t k = 0; k < embed_count; k++) {
        const struct embed_file *f = &embed_files[k];
        const char *name = f->name;
        size_t n = strlen(name);
        if (strncmp(name, "i18n/", 5) != 0 || n <= 9 ||
            strcmp(name + n - 4, ".msg") != 0 || strchr(name + 5, '/')) {
            continue;
        }
        char lang[32];
        snprintf(lang, sizeof(lang), "%.*s", (int)(n - 9), name + 5);
        int rc = parse_named(i, lang, name, (const char *)f->data, f->len, err);
        if (rc) {
            i18n_free(i);
            return rc;
        }
    }
    int rc = i18n_check(i, err);
    if (rc) {
        i18n_free(i);
        return rc;
    }
    *out = i;
    return 0;
}

const char *i18n_get(const struct i18n *i, const char *lang, const char *key)
{
    if (!i || !key) {
        return NULL;
    }
    size_t n = strlen(key);
    uint32_t h = hash_str(key, n);
    const struct cat *c = lang ? cat_find(i, lang) : NULL;
    const struct msg *m = cat_lookup(c, key, n, h);
    if (!m && (!c || strcmp(c->lang, "ru") != 0)) {
        m = cat_lookup(cat_find(i, "ru"), key, n, h);
    }
    return m ? m->text : NULL;
}

const char *i18n_lang(const char *requested)
{
    const char *r = requested;
    if (r && (r[0] == 'e' || r[0] == 'E') && (r[1] == 'n' || r[1] == 'N') &&
        !((r[2] >= 'a' && r[2] <= 'z') || (r[2] >= 'A' && r[2] <= 'Z'))) {
        return "en";
    }
    return "ru";
}
