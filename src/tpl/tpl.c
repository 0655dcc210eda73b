/* ibc — template sets, linking and rendering.
 *
 * A set holds every parsed template of the application; after tpl_link()
 * it is read-only, so any number of threads may render from it at once.
 * Rendering walks a template's instruction array with a chain of contexts
 * on the C stack (one link per section entered, Mustache's context stack)
 * and writes straight into the caller's buffer; the only allocation is a
 * scratch buffer for messages with {placeholders}, made once per render
 * that needs one. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "tpl/tpl.h"
#include "tpl/tpl_int.h"

struct tpl_set *tpl_set_new(void)
{
    struct tpl_set *set = xcalloc(1, sizeof(*set));
    set->arena = arena_new();
    return set;
}

void tpl_set_free(struct tpl_set *set)
{
    if (!set) {
        return;
    }
    free(set->t);
    arena_free(set->arena);
    free(set);
}

int tpl_find(const struct tpl_set *set, const char *name)
{
    uint32_t h = tpl_hash(name, strlen(name));
    for (size_t i = 0; i < set->n; i++) {
        if (set->t[i]->hash == h && strcmp(set->t[i]->name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

bool tpl_exists(const struct tpl_set *set, const char *name)
{
    return set && name && tpl_find(set, name) >= 0;
}

/* Parses text as template `name`; the extension of filename (".svg") picks
 * XML mode. Copies everything it keeps (name, filename, text) into the
 * set. Errors: IBC_EPARSE "file:line: …", IBC_ECONFLICT for a name added
 * twice, IBC_EINVAL for a bad name, IBC_ETOOBIG. On error the set is
 * unchanged (apart from arena bytes). */
int tpl_add(struct tpl_set *set, const char *name, const char *filename,
            const char *text, size_t len, struct ibc_error *err)
{
    if (!name || !*name) {
        return ibc_fail(err, IBC_EINVAL, "template without a name");
    }
    if (!filename) {
        filename = name;
    }
    int old = tpl_find(set, name);
    if (old >= 0) {
        return ibc_fail(err, IBC_ECONFLICT,
                        "%s: template '%s' already comes from %s", filename,
                        name, set->t[old]->filename);
    }
    struct tpl *t = arena_zalloc(set->arena, sizeof(*t));
    t->name = arena_strdup(set->arena, name);
    t->filename = arena_strdup(set->arena, filename);
    t->hash = tpl_hash(name, strlen(name));
    size_t fl = strlen(filename);
    t->svg = fl >= 4 && strcasecmp(filename + fl - 4, ".svg") == 0;
    int rc = tpl_parse(set, t, text ? text : "", text ? len : 0, err);
    if (rc) {
        return rc;
    }
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 32;
        set->t = xrealloc(set->t, set->cap * sizeof(*set->t));
    }
    set->t[set->n++] = t;
    return 0;
}

/* Resolves every {{> partial}} to its template and, when msg is given,
 * checks every {{@key}} against check_lang. Stores msg/msg_ctx for
 * rendering (NULL msg: {{@key}} writes the key). Errors: IBC_ENOTFOUND
 * naming "file:line", for the first problem found. */
int tpl_link(struct tpl_set *set, tpl_msg_fn msg, void *msg_ctx,
             const char *check_lang, struct ibc_error *err)
{
    set->msg = msg;
    set->msg_ctx = msg_ctx;
    for (size_t i = 0; i < set->n; i++) {
        struct tpl *t = set->t[i];
        for (uint32_t k = 0; k < t->n; k++) {
            struct tpl_ins *in = &t->ins[k];
            if (in->op == TPL_OP_PARTIAL) {
                int idx = tpl_find(set, in->str);
                if (idx < 0) {
                    return ibc_fail(err, IBC_ENOTFOUND,
                                    "%s:%u: {{> %s}}: no such template",
                                    t->filename, (unsigned)in->line, in->str);
                }
                if (in->foreign && !set->t[idx]->svg) {
                    return ibc_fail(err, IBC_EPARSE,
                                    "%s:%u: {{> %s}} stands inside <svg> but "
                                    "%s is not an .svg template",
                                    t->filename, (unsigned)in->line, in->str,
                                    set->t[idx]->filename);
                }
                in->idx = idx;
            } else if (in->op == TPL_OP_MSG && msg && check_lang &&
                       !msg(msg_ctx, check_lang, in->str)) {
                return ibc_fail(err, IBC_ENOTFOUND,
                                "%s:%u: {{@%s}}: no message '%s' in the '%s' "
                                "catalogue",
                                t->filename, (unsigned)in->line, in->str,
                                in->str, check_lang);
            }
        }
    }
    return 0;
}

/* ---- rendering ---- */

struct ctx {
    const struct tpl_val *v;
    const struct ctx *up;
};

struct rstate {
    const struct tpl_set *set;
    const char *lang;
    struct buf *out;
    struct buf scratch; /* message expansion */
    struct ibc_error *err;
    int depth; /* partials entered */
};

/* Mustache name resolution: the first segment is looked up from the
 * innermost context outwards, the others inside the value found. */
static const struct tpl_val *lookup(const struct ctx *c,
                                    const struct tpl_seg *segs, size_t nseg)
{
    if (nseg == 0) {
        return c->v;
    }
    const struct tpl_val *v = NULL;
    for (; c; c = c->up) {
        if (c->v->type == TPL_V_OBJ &&
            (v = tpl_vm_get(c->v->u.obj, segs[0].name, segs[0].hash))) {
            break;
        }
    }
    for (size_t k = 1; k < nseg && v; k++) {
        v = v->type == TPL_V_OBJ
                ? tpl_vm_get(v->u.obj, segs[k].name, segs[k].hash)
                : NULL;
    }
    return v;
}

static bool truthy(const struct tpl_val *v)
{
    if (!v) {
        return false;
    }
    switch (v->type) {
    case TPL_V_STR:
    case TPL_V_HTML:
        return v->u.s.len > 0;
    case TPL_V_INT:
        return v->u.i != 0;
    case TPL_V_BOOL:
        return v->u.b;
    case TPL_V_LIST:
        return v->u.list.n > 0;
    default:
        return true;
    }
}

/* The text of a scalar value; objects, lists and missing values are "".
 * num is scratch space for integers. */
static const char *val_text(const struct tpl_val *v, char num[24], size_t *n)
{
    if (!v) {
        *n = 0;
        return "";
    }
    switch (v->type) {
    case TPL_V_STR:
    case TPL_V_HTML:
        *n = v->u.s.len;
        return v->u.s.p;
    case TPL_V_INT:
        *n = (size_t)snprintf(num, 24, "%" PRId64, v->u.i);
        return num;
    case TPL_V_BOOL:
        *n = v->u.b ? 4 : 5;
        return v->u.b ? "true" : "false";
    default:
        *n = 0;
        return "";
    }
}

static void write_escaped(struct buf *out, const char *s, size_t n, uint8_t esc)
{
    switch (esc) {
    case TPL_ESC_URL_START:
        if (tpl_url_safe_n(s, n)) {
            tpl_esc_html_n(out, s, n);
        } else {
            buf_append(out, "#blocked", 8);
        }
        break;
    case TPL_ESC_URL_PART:
        tpl_esc_url_n(out, s, n);
        break;
    case TPL_ESC_JS:
        tpl_esc_js_n(out, s, n);
        break;
    default:
        tpl_esc_html_n(out, s, n);
        break;
    }
}

/* Looks up a dotted placeholder name from a message, e.g. "book.title". */
static const struct tpl_val *lookup_text(const struct ctx *c, const char *p,
                                         size_t n)
{
    struct tpl_seg segs[8];
    char names[8][64];
    size_t k = 0, start = 0;
    if (n == 1 && p[0] == '.') {
        return c->v;
    }
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '.') {
            size_t l = i - start;
            if (k == 8 || l == 0 || l >= sizeof(names[0])) {
                return NULL;
            }
            memcpy(names[k], p + start, l);
            names[k][l] = '\0';
            segs[k].name = names[k];
            segs[k].hash = tpl_hash(p + start, l);
            k++;
            start = i + 1;
        }
    }
    return lookup(c, segs, k);
}

static bool placeholder_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Writes a message with its {name} placeholders filled from the view
 * model, escaped for the tag's context as one value. */
static void write_msg(struct rstate *r, const struct tpl_ins *in,
                      const struct ctx *c)
{
    const char *text = NULL;
    if (r->set->msg) {
        text = r->set->msg(r->set->msg_ctx, r->lang, in->str);
    }
    if (!text) {
        text = in->str;
    }
    if (!strchr(text, '{')) {
        write_escaped(r->out, text, strlen(text), in->esc);
        return;
    }
    struct buf *s = &r->scratch;
    buf_clear(s);
    const char *p = text;
    while (*p) {
        const char *o = strchr(p, '{');
        if (!o) {
            buf_puts(s, p);
            break;
        }
        buf_append(s, p, (size_t)(o - p));
        size_t n = 0;
        while (placeholder_char((unsigned char)o[1 + n])) {
            n++;
        }
        if (n == 0 || o[1 + n] != '}') {
            buf_putc(s, '{');
            p = o + 1;
            continue;
        }
        char num[24];
        size_t vl;
        const char *v = val_text(lookup_text(c, o + 1, n), num, &vl);
        buf_append(s, v, vl);
        p = o + n + 2;
    }
    write_escaped(r->out, s->data ? s->data : "", s->len, in->esc);
}

static int render_range(struct rstate *r, const struct tpl *t, uint32_t from,
                        uint32_t to, const struct ctx *c);

static int render_partial(struct rstate *r, const struct tpl *t,
                          const struct tpl_ins *in, const struct ctx *c)
{
    int idx = in->idx >= 0 ? in->idx : tpl_find(r->set, in->str);
    if (idx < 0) {
        return ibc_fail(r->err, IBC_ENOTFOUND,
                        "%s:%u: {{> %s}}: no such template", t->filename,
                        (unsigned)in->line, in->str);
    }
    if (r->depth >= TPL_MAX_PARTIAL_DEPTH) {
        return ibc_fail(r->err, IBC_EINTERNAL,
                        "%s:%u: {{> %s}}: partials nested deeper than %d",
                        t->filename, (unsigned)in->line, in->str,
                        TPL_MAX_PARTIAL_DEPTH);
    }
    const struct tpl *p = r->set->t[idx];
    r->depth++;
    int rc = render_range(r, p, 0, p->n, c);
    r->depth--;
    return rc;
}

static int render_range(struct rstate *r, const struct tpl *t, uint32_t from,
                        uint32_t to, const struct ctx *c)
{
    uint32_t i = from;
    while (i < to) {
        const struct tpl_ins *in = &t->ins[i];
        switch (in->op) {
        case TPL_OP_TEXT:
            buf_append(r->out, t->text + in->a, in->len);
            i++;
            break;
        case TPL_OP_VAR: {
            const struct tpl_val *v = lookup(c, in->segs, in->nseg);
            char num[24];
            size_t n;
            const char *s = val_text(v, num, &n);
            if (in->raw && v && v->type == TPL_V_HTML) {
                buf_append(r->out, s, n);
            } else {
                write_escaped(r->out, s, n, in->esc);
            }
            i++;
            break;
        }
        case TPL_OP_SECTION: {
            const struct tpl_val *v = lookup(c, in->segs, in->nseg);
            if (v && v->type == TPL_V_LIST) {
                for (const struct tpl_item *it = v->u.list.head; it;
                     it = it->next) {
                    struct ctx cc = {&it->v, c};
                    int rc = render_range(r, t, i + 1, in->a, &cc);
                    if (rc) {
                        return rc;
                    }
                }
            } else if (truthy(v)) {
                struct ctx cc = {v, c};
                int rc = render_range(r, t, i + 1, in->a, &cc);
                if (rc) {
                    return rc;
                }
            }
            i = in->a;
            break;
        }
        case TPL_OP_INVERTED:
            if (!truthy(lookup(c, in->segs, in->nseg))) {
                int rc = render_range(r, t, i + 1, in->a, c);
                if (rc) {
                    return rc;
                }
            }
            i = in->a;
            break;
        case TPL_OP_PARTIAL: {
            int rc = render_partial(r, t, in, c);
            if (rc) {
                return rc;
            }
            i++;
            break;
        }
        default: /* TPL_OP_MSG */
            write_msg(r, in, c);
            i++;
            break;
        }
    }
    return 0;
}

/* Renders template `name` with vm (may be NULL: all values missing) into
 * out, appending. lang is passed to the message function. Errors:
 * IBC_ENOTFOUND (unknown template or partial), IBC_EINTERNAL (partials
 * nested too deep); on error out is restored to its length at entry. */
int tpl_render(const struct tpl_set *set, const char *name,
               const struct tpl_vm *vm, const char *lang, struct buf *out,
               struct ibc_error *err)
{
    int idx = name ? tpl_find(set, name) : -1;
    if (idx < 0) {
        return ibc_fail(err, IBC_ENOTFOUND, "no template '%s'",
                        name ? name : "(null)");
    }
    struct tpl_vm empty = {0};
    struct tpl_val root = {.type = TPL_V_OBJ};
    root.u.obj = vm ? (struct tpl_vm *)vm : &empty;
    struct ctx c = {&root, NULL};
    struct rstate r = {.set = set, .lang = lang, .out = out, .err = err};
    const struct tpl *t = set->t[idx];
    size_t mark = out->len;
    int rc = render_range(&r, t, 0, t->n, &c);
    if (rc) {
        out->len = mark;
        if (out->data) {
            out->data[mark] = '\0';
        }
    }
    buf_reset(&r.scratch);
    return rc;
}
