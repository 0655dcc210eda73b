/* ibc — the template parser: text -> instruction list.
 *
 * Three passes over one template:
 *   1. split into text and {{tag}} tokens, validating tag names;
 *   2. Mustache "standalone" lines: a line holding only a section, inverted,
 *      closing, partial or comment tag (and blanks) is removed whole, so
 *      templates can be indented without littering the output;
 *   3. compile: feed the remaining text through the HTML context tracker
 *      (tpl_html.c), pick each value's escaping from where it stands, check
 *      that sections balance and end in the context they began in, and emit
 *      the instructions.
 * Errors are "file:line: message", IBC_EPARSE (IBC_ETOOBIG for huge input). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/xalloc.h"
#include "tpl/tpl_int.h"

enum tok_kind {
    K_TEXT,
    K_VAR,
    K_RAW,
    K_SECTION,
    K_INVERTED,
    K_CLOSE,
    K_PARTIAL,
    K_MSG,
    K_COMMENT
};

struct tok {
    uint8_t kind;
    const char *p; /* text, or the trimmed tag name */
    size_t len;
    uint32_t line;             /* line where the token starts */
    size_t cut_head, cut_tail; /* text: bytes removed by standalone tags */
};

struct parser {
    struct tpl_set *set;
    struct tpl *t;
    struct ibc_error *err;
    struct tok *toks;
    size_t ntok, captok;
    struct tpl_ins *ins;
    size_t nins, capins;
    struct buf text; /* all literal text */
    bool merge_ok;   /* the last instruction is text no tag has ended */
};

static const char sigils[] = {
    [K_VAR] = 0,     [K_RAW] = '{',     [K_SECTION] = '#', [K_INVERTED] = '^',
    [K_CLOSE] = '/', [K_PARTIAL] = '>', [K_MSG] = '@',     [K_COMMENT] = '!'};

static int fail(struct parser *ps, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, uint32_t line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ibc_fail(ps->err, IBC_EPARSE, "%s:%u: %s", ps->t->filename,
                    (unsigned)line, msg);
}

/* First occurrence of the n-byte needle (n >= 2, all the same byte: "{{",
 * "}}", "}}}") in p[0..len), or NULL. */
static const char *find_run(const char *p, size_t len, char c, size_t n)
{
    const char *end = p + len;
    while ((size_t)(end - p) >= n) {
        const char *q = memchr(p, c, (size_t)(end - p) - (n - 1));
        if (!q) {
            return NULL;
        }
        size_t k = 1;
        while (k < n && q[k] == c) {
            k++;
        }
        if (k == n) {
            return q;
        }
        p = q + k;
    }
    return NULL;
}

static uint32_t count_lines(const char *p, size_t n)
{
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += p[i] == '\n';
    }
    return k;
}

static void push_tok(struct parser *ps, uint8_t kind, const char *p, size_t len,
                     uint32_t line)
{
    if (ps->ntok == ps->captok) {
        ps->captok = ps->captok ? ps->captok * 2 : 64;
        ps->toks = xrealloc(ps->toks, ps->captok * sizeof(*ps->toks));
    }
    ps->toks[ps->ntok++] =
        (struct tok){.kind = kind, .p = p, .len = len, .line = line};
}

static bool name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* "." or segments of [A-Za-z0-9_-]+ joined by single dots. */
static bool valid_path(const char *p, size_t n)
{
    if (n == 1 && p[0] == '.') {
        return true;
    }
    bool seg_empty = true;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.') {
            if (seg_empty) {
                return false;
            }
            seg_empty = true;
        } else if (name_char((unsigned char)p[i])) {
            seg_empty = false;
        } else {
            return false;
        }
    }
    return !seg_empty;
}

/* Message keys as in the catalogues: [a-z0-9_.-]+. */
static bool valid_key(const char *p, size_t n)
{
    if (n == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-')) {
            return false;
        }
    }
    return true;
}

/* Template names: [A-Za-z0-9_./-]+. */
static bool valid_tpl_name(const char *p, size_t n)
{
    if (n == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!name_char(c) && c != '.' && c != '/') {
            return false;
        }
    }
    return true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Pass 1: tokens. */
static int tokenize(struct parser *ps, const char *src, size_t len)
{
    uint32_t line = 1;
    size_t i = 0;
    while (i < len) {
        const char *o = find_run(src + i, len - i, '{', 2);
        size_t j = o ? (size_t)(o - src) : len;
        if (j > i) {
            push_tok(ps, K_TEXT, src + i, j - i, line);
            line += count_lines(src + i, j - i);
        }
        if (!o) {
            break;
        }
        uint32_t tagline = line;
        uint8_t kind;
        const char *in, *close;
        size_t end;
        if (j + 2 < len && src[j + 2] == '{') {
            close = find_run(src + j + 3, len - j - 3, '}', 3);
            if (!close) {
                return fail(ps, tagline, "unterminated {{{: no }}} follows");
            }
            kind = K_RAW;
            in = src + j + 3;
            end = (size_t)(close - src) + 3;
        } else {
            close = find_run(src + j + 2, len - j - 2, '}', 2);
            if (!close) {
                return fail(ps, tagline, "unterminated {{: no }} follows");
            }
            in = src + j + 2;
            end = (size_t)(close - src) + 2;
            kind = K_VAR;
            if (in < close) {
                switch (*in) {
                case '#':
                    kind = K_SECTION;
                    break;
                case '^':
                    kind = K_INVERTED;
                    break;
                case '/':
                    kind = K_CLOSE;
                    break;
                case '>':
                    kind = K_PARTIAL;
                    break;
                case '@':
                    kind = K_MSG;
                    break;
                case '!':
                    kind = K_COMMENT;
                    break;
                case '&':
                case '=':
                case '<':
                case '$':
                    return fail(ps, tagline,
                                "{{%c…}} is not supported (see "
                                "docs/TEMPLATES.md)",
                                *in);
                default:
                    break;
                }
                if (kind != K_VAR) {
                    in++;
                }
            }
        }
        size_t n = (size_t)(close - in);
        while (n > 0 && is_blank(*in)) {
            in++, n--;
        }
        while (n > 0 && is_blank(in[n - 1])) {
            n--;
        }
        bool ok;
        switch (kind) {
        case K_COMMENT:
            ok = true;
            break;
        case K_PARTIAL:
            ok = valid_tpl_name(in, n);
            break;
        case K_MSG:
            ok = valid_key(in, n);
            break;
        default:
            ok = valid_path(in, n);
            break;
        }
        if (!ok) {
            char sig[2] = {sigils[kind], '\0'};
            if (n == 0) {
                return fail(ps, tagline, "empty tag {{%s}}", sig);
            }
            if (kind == K_MSG) {
                return fail(ps, tagline,
                            "bad message key in {{@%.*s}}: keys use "
                            "a-z 0-9 _ . -",
                            (int)(n > 60 ? 60 : n), in);
            }
            return fail(ps, tagline,
                        "bad name in {{%s%.*s}}: names use A-Z a-z 0-9 _ - "
                        "joined by dots",
                        sig, (int)(n > 60 ? 60 : n), in);
        }
        push_tok(ps, kind, in, n, tagline);
        line += count_lines(src + j, end - j);
        i = end;
    }
    return 0;
}

/* Pass 2: standalone lines (Mustache spec, "Standalone Lines"). Decisions
 * use the original text; the cuts are applied while compiling. */
static void standalone(struct parser *ps)
{
    for (size_t t = 0; t < ps->ntok; t++) {
        uint8_t k = ps->toks[t].kind;
        if (k != K_SECTION && k != K_INVERTED && k != K_CLOSE &&
            k != K_PARTIAL && k != K_COMMENT) {
            continue;
        }
        /* Only blanks between the line start and the tag? */
        struct tok *prev = t > 0 ? &ps->toks[t - 1] : NULL;
        size_t tail = 0;
        if (prev) {
            if (prev->kind != K_TEXT) {
                continue;
            }
            size_t e = prev->len;
            while (e > 0 && (prev->p[e - 1] == ' ' || prev->p[e - 1] == '\t')) {
                e--;
            }
            if (e > 0 && prev->p[e - 1] != '\n') {
                continue;
            }
            if (e == 0 && t - 1 != 0) {
                continue; /* blanks after another tag on the same line */
            }
            tail = prev->len - e;
        }
        /* Only blanks and then a newline (or the end) after it? */
        struct tok *next = t + 1 < ps->ntok ? &ps->toks[t + 1] : NULL;
        size_t head = 0;
        if (next) {
            if (next->kind != K_TEXT) {
                continue;
            }
            size_t b = 0;
            while (b < next->len && (next->p[b] == ' ' || next->p[b] == '\t')) {
                b++;
            }
            if (b < next->len && next->p[b] == '\r' && b + 1 < next->len &&
                next->p[b + 1] == '\n') {
                head = b + 2;
            } else if (b < next->len && next->p[b] == '\n') {
                head = b + 1;
            } else if (b == next->len && t + 2 == ps->ntok) {
                head = b; /* blanks up to the end of the template */
            } else {
                continue;
            }
        }
        if (prev) {
            prev->cut_tail = tail;
        }
        if (next) {
            next->cut_head = head;
        }
    }
}

static struct tpl_ins *push_ins(struct parser *ps, uint8_t op, uint32_t line)
{
    if (ps->nins == ps->capins) {
        ps->capins = ps->capins ? ps->capins * 2 : 64;
        ps->ins = xrealloc(ps->ins, ps->capins * sizeof(*ps->ins));
    }
    struct tpl_ins *in = &ps->ins[ps->nins++];
    memset(in, 0, sizeof(*in));
    in->op = op;
    in->line = line;
    in->idx = -1;
    return in;
}

/* Splits a valid dotted name into hashed segments in the set's arena. */
static void set_path(struct parser *ps, struct tpl_ins *in, const char *p,
                     size_t n)
{
    if (n == 1 && p[0] == '.') {
        in->nseg = 0;
        in->segs = NULL;
        return;
    }
    size_t k = 1;
    for (size_t i = 0; i < n; i++) {
        k += p[i] == '.';
    }
    struct tpl_seg *segs = arena_alloc(ps->set->arena, k * sizeof(*segs));
    size_t s = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '.') {
            segs[s].name = arena_strndup(ps->set->arena, p + start, i - start);
            segs[s].hash = tpl_hash(p + start, i - start);
            s++;
            start = i + 1;
        }
    }
    in->nseg = (uint16_t)k;
    in->segs = segs;
}

struct open_sec {
    size_t ins; /* index of the SECTION/INVERTED instruction */
    const struct tok *tok;
    struct tpl_html h; /* context at the opening tag */
};

/* Pass 3: compile. */
static int compile(struct parser *ps)
{
    struct open_sec stack[TPL_MAX_SECTION_DEPTH];
    size_t depth = 0;
    struct tpl_html h;
    tpl_html_init(&h, ps->t->svg);
    uint32_t last_line = 1;

    for (size_t t = 0; t < ps->ntok; t++) {
        const struct tok *k = &ps->toks[t];
        char sig[2] = {sigils[k->kind], '\0'};
        int nl = (int)(k->len > 60 ? 60 : k->len);
        last_line = k->line;
        if (k->kind != K_TEXT && k->kind != K_COMMENT) {
            ps->merge_ok = false;
        }
        switch (k->kind) {
        case K_TEXT: {
            const char *p = k->p + k->cut_head;
            size_t n = k->len - k->cut_head - k->cut_tail;
            uint32_t line = k->line + count_lines(k->p, k->cut_head);
            const char *e = tpl_html_feed(&h, p, n, &line);
            if (e) {
                return fail(ps, line, "%s", e);
            }
            last_line = line;
            if (n == 0) {
                break;
            }
            if (ps->merge_ok) {
                /* Only {{! comments}} since the last text: one instruction. */
                ps->ins[ps->nins - 1].len += (uint32_t)n;
            } else {
                struct tpl_ins *in = push_ins(ps, TPL_OP_TEXT, k->line);
                in->a = (uint32_t)ps->text.len;
                in->len = (uint32_t)n;
            }
            buf_append(&ps->text, p, n);
            ps->merge_ok = true;
            break;
        }
        case K_VAR:
        case K_RAW:
        case K_MSG: {
            uint8_t esc;
            const char *e = tpl_html_value(&h, k->kind == K_RAW, &esc);
            if (e) {
                if (k->kind == K_RAW) {
                    return fail(ps, k->line, "{{{%.*s}}}: %s", nl, k->p, e);
                }
                return fail(ps, k->line, "{{%s%.*s}}: %s", sig, nl, k->p, e);
            }
            struct tpl_ins *in = push_ins(
                ps, k->kind == K_MSG ? TPL_OP_MSG : TPL_OP_VAR, k->line);
            in->esc = esc;
            in->raw = k->kind == K_RAW;
            if (k->kind == K_MSG) {
                in->str = arena_strndup(ps->set->arena, k->p, k->len);
            } else {
                set_path(ps, in, k->p, k->len);
            }
            tpl_html_after_value(&h);
            break;
        }
        case K_SECTION:
        case K_INVERTED: {
            if (depth == TPL_MAX_SECTION_DEPTH) {
                return fail(ps, k->line,
                            "{{%s%.*s}}: sections nested deeper than %d", sig,
                            nl, k->p, TPL_MAX_SECTION_DEPTH);
            }
            struct tpl_ins *in = push_ins(
                ps, k->kind == K_SECTION ? TPL_OP_SECTION : TPL_OP_INVERTED,
                k->line);
            set_path(ps, in, k->p, k->len);
            stack[depth].ins = ps->nins - 1;
            stack[depth].tok = k;
            stack[depth].h = h;
            depth++;
            break;
        }
        case K_CLOSE: {
            if (depth == 0) {
                return fail(ps, k->line, "{{/%.*s}} closes nothing", nl, k->p);
            }
            struct open_sec *o = &stack[depth - 1];
            if (o->tok->len != k->len || memcmp(o->tok->p, k->p, k->len) != 0) {
                return fail(ps, k->line,
                            "{{/%.*s}} does not match {{%c%.*s}} opened on "
                            "line %u",
                            nl, k->p, sigils[o->tok->kind],
                            (int)(o->tok->len > 60 ? 60 : o->tok->len),
                            o->tok->p, (unsigned)o->tok->line);
            }
            struct tpl_html joined;
            if (!tpl_html_join(&o->h, &h, &joined)) {
                return fail(ps, k->line,
                            "{{/%.*s}}: the section ends in %s but began in "
                            "%s on line %u; a section must end in the HTML "
                            "context it began in",
                            nl, k->p, tpl_html_describe(&h),
                            tpl_html_describe(&o->h), (unsigned)o->tok->line);
            }
            h = joined;
            ps->ins[o->ins].a = (uint32_t)ps->nins;
            depth--;
            break;
        }
        case K_PARTIAL: {
            if (!tpl_html_is_text(&h)) {
                return fail(ps, k->line,
                            "{{>%.*s}}: a partial may only stand in text, not "
                            "in %s",
                            nl, k->p, tpl_html_describe(&h));
            }
            struct tpl_ins *in = push_ins(ps, TPL_OP_PARTIAL, k->line);
            in->str = arena_strndup(ps->set->arena, k->p, k->len);
            in->foreign = tpl_html_foreign(&h);
            break;
        }
        default: /* K_COMMENT */
            break;
        }
    }
    if (depth > 0) {
        const struct tok *o = stack[depth - 1].tok;
        return fail(ps, o->line, "{{%c%.*s}} is never closed", sigils[o->kind],
                    (int)(o->len > 60 ? 60 : o->len), o->p);
    }
    if (!tpl_html_can_end(&h)) {
        return fail(ps, last_line, "the template ends inside %s",
                    tpl_html_describe(&h));
    }
    return 0;
}

/* Line of the first byte that is not valid UTF-8 (or is NUL). */
static uint32_t bad_utf8_line(const char *s, size_t n)
{
    uint32_t line = 1;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (k == 0 || cp == 0) {
            break;
        }
        line += cp == '\n';
        i += k;
    }
    return line;
}

int tpl_parse(struct tpl_set *set, struct tpl *t, const char *text, size_t len,
              struct ibc_error *err)
{
    struct parser ps = {.set = set, .t = t, .err = err};
    if (len > TPL_MAX_SIZE) {
        return ibc_fail(err, IBC_ETOOBIG, "%s: template larger than %u bytes",
                        t->filename, TPL_MAX_SIZE);
    }
    if (!utf8_valid(text, len)) {
        return fail(&ps, bad_utf8_line(text, len),
                    "invalid UTF-8 or a NUL byte");
    }
    int rc = tokenize(&ps, text, len);
    if (rc == 0) {
        standalone(&ps);
        rc = compile(&ps);
    }
    if (rc == 0) {
        t->text = ps.text.len
                      ? arena_memdup(set->arena, ps.text.data, ps.text.len)
                      : "";
        t->n = (uint32_t)ps.nins;
        t->ins = ps.nins ? arena_memdup(set->arena, ps.ins,
                                        ps.nins * sizeof(*ps.ins))
                         : NULL;
    }
    free(ps.toks);
    free(ps.ins);
    buf_reset(&ps.text);
    return rc;
}
