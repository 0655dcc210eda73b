/* ibc — the HTML context tracker behind context-aware escaping.
 *
 * The template parser feeds every byte of literal text through a reduced
 * copy of the WHATWG HTML tokenizer
 * (https://html.spec.whatwg.org/#tokenization): data, tag open, tag and
 * attribute names, quoted and unquoted attribute values, comments (with the
 * spec's "<!-->" and "--!>" quirks), bogus comments and doctypes, raw text
 * (<script>, <style>, <xmp>, <iframe>, <noembed>, <noframes>, <plaintext>),
 * RCDATA (<title>, <textarea>) and, in SVG or inline <svg>/<math>, CDATA
 * sections and the rule that <title> and <script> are ordinary elements there.
 * Each {{tag}} then asks where it stands and gets an escaping mode or a
 * refusal.
 *
 * Hand-written: no Debian library exposes a tokenizer state machine that
 * can be stopped and copied mid-stream, which is what a template needs. The
 * tracker is deliberately stricter than browsers where the two could
 * disagree about where a value lands (see tpl_html_join, the <script> rules
 * and the SVG rules); a refusal is a parse error the author can fix, a
 * disagreement would be an injection. */
#include <string.h>

#include "tpl/tpl_int.h"

enum {
    S_TEXT,
    S_TAG_OPEN,     /* after '<' */
    S_END_TAG_OPEN, /* after "</" */
    S_TAG_NAME,
    S_BEFORE_ATTR, /* in a tag, between attributes */
    S_SELF_CLOSE,  /* after '/' in a tag */
    S_ATTR_NAME,
    S_AFTER_ATTR_NAME,
    S_BEFORE_VALUE, /* after '=' */
    S_VALUE_DQ,
    S_VALUE_SQ,
    S_VALUE_UNQ,
    S_AMBIG,    /* after a section that may or may not have added an
                   attribute name: only space, '/' or '>' may follow */
    S_AMBIG_WS, /* the same after blanks: '=' would be a value in one
                   case and a new attribute in the other, so it is
                   refused; other characters start a new attribute */
    S_MARKUP,   /* after "<!" */
    S_BOGUS,    /* bogus comment, doctype, <?…> */
    S_COMMENT_START,
    S_COMMENT_START_DASH,
    S_COMMENT,
    S_COMMENT_END_DASH,
    S_COMMENT_END,
    S_COMMENT_END_BANG,
    S_CDATA,
    S_RAW,          /* raw text or RCDATA of an element */
    S_RAW_LT,       /* '<' in raw text */
    S_RAW_END_OPEN, /* "</" in raw text */
    S_RAW_END_NAME  /* "</name" in raw text */
};

/* Element kinds that change tokenizing. */
enum { E_OTHER, E_SCRIPT, E_STYLE, E_RCDATA, E_RAWTEXT, E_FOREIGN };

/* What the raw text of the current element is. */
enum {
    R_NONE,
    R_SCRIPT,    /* HTML <script>: values become JSON string literals */
    R_STYLE,     /* HTML <style>: no values */
    R_RCDATA,    /* <title>, <textarea>: HTML-escaped text */
    R_RAWTEXT,   /* <xmp>, <iframe>, …: no values */
    R_FORBIDDEN, /* <script>/<style> in SVG: no values */
    R_DATA       /* <script type="text/template"> etc.: no values */
};

/* Attribute kinds. A_TYPE is the type attribute of <script>, whose value
 * decides whether the body is JavaScript/JSON at all. */
enum { A_NORMAL, A_URL, A_JS, A_CSS, A_BAD, A_TYPE };

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

void tpl_html_init(struct tpl_html *h, bool xml)
{
    memset(h, 0, sizeof(*h));
    h->st = S_TEXT;
    h->xml = xml;
}

static void name_clear(struct tpl_html *h)
{
    h->namelen = 0;
    h->locallen = 0;
    h->name_over = false;
    h->local_over = false;
}

static void name_add(struct tpl_html *h, unsigned char c)
{
    c = lower(c);
    if (h->namelen < sizeof(h->name) - 1) {
        h->name[h->namelen++] = (char)c;
        h->name[h->namelen] = '\0';
    } else {
        h->name_over = true;
    }
    if (c == ':') {
        h->locallen = 0;
        h->local_over = false;
    } else if (h->locallen < sizeof(h->local) - 1) {
        h->local[h->locallen++] = (char)c;
        h->local[h->locallen] = '\0';
    } else {
        h->local_over = true;
    }
}

static bool name_is(const struct tpl_html *h, const char *s)
{
    return !h->name_over && strlen(s) == h->namelen &&
           memcmp(h->name, s, h->namelen) == 0;
}

static bool name_in(const struct tpl_html *h, const char *const *list)
{
    for (; *list; list++) {
        if (name_is(h, *list)) {
            return true;
        }
    }
    return false;
}

/* The element kind of a tag whose name is in h->name. */
static uint8_t elem_kind(const struct tpl_html *h)
{
    static const char *const rcdata[] = {"title", "textarea", NULL};
    static const char *const rawtext[] = {"xmp",      "iframe",    "noembed",
                                          "noframes", "plaintext", NULL};
    static const char *const foreign[] = {"svg", "math", NULL};
    if (name_is(h, "script")) {
        return E_SCRIPT;
    }
    if (name_is(h, "style")) {
        return E_STYLE;
    }
    if (name_in(h, rcdata)) {
        return E_RCDATA;
    }
    if (name_in(h, rawtext)) {
        return E_RAWTEXT;
    }
    if (name_in(h, foreign)) {
        return E_FOREIGN;
    }
    return E_OTHER;
}

/* The tag name is complete: remember its kind and, for elements whose
 * content is raw text, the name that ends it. */
static void finish_tag_name(struct tpl_html *h)
{
    h->elem = elem_kind(h);
    memset(h->rawname, 0, sizeof(h->rawname));
    if (h->elem != E_OTHER && h->elem != E_FOREIGN) {
        memcpy(h->rawname, h->name, h->namelen);
    }
}

/* The attribute name is complete: classify it. Event handlers (on*) hold
 * JavaScript, style holds CSS and srcdoc a whole HTML document; those are
 * contexts we do not escape for. The URL list follows the HTML and SVG
 * attributes that take a URL (xlink:href via its local name). */
static void finish_attr_name(struct tpl_html *h)
{
    static const char *const url_attrs[] = {
        "href",     "src",      "action",     "formaction", "poster",  "cite",
        "data",     "srcset",   "background", "longdesc",   "usemap",  "ping",
        "manifest", "codebase", "classid",    "archive",    "profile", "icon",
        "lowsrc",   "dynsrc",   "base",       NULL};
    static const char *const svg_anim[] = {"to", "from", "by", "values", NULL};
    bool local_on =
        h->locallen >= 2 && h->local[0] == 'o' && h->local[1] == 'n';
    bool name_on = h->namelen >= 2 && h->name[0] == 'o' && h->name[1] == 'n';
    h->attr = A_NORMAL;
    if (name_on || local_on) {
        h->attr = A_JS;
    } else if (name_is(h, "style")) {
        h->attr = A_CSS;
    } else if (name_is(h, "srcdoc")) {
        h->attr = A_BAD;
    } else if (h->elem == E_SCRIPT && !h->endtag && name_is(h, "type")) {
        if (!h->stype_seen) {
            h->attr = A_TYPE; /* browsers use the first one only */
            h->stype_seen = true;
        }
    } else if ((h->xml || h->foreign > 0) && name_in(h, svg_anim)) {
        /* <animate attributeName="href" to="javascript:…"> */
        h->attr = A_URL;
    } else if (!h->local_over) {
        for (const char *const *u = url_attrs; *u; u++) {
            if (strlen(*u) == h->locallen &&
                memcmp(*u, h->local, h->locallen) == 0) {
                h->attr = A_URL;
                break;
            }
        }
    }
}

/* Is the <script> being closed JavaScript or JSON (so values may be JSON
 * string literals)? Other types (text/template, text/html…) are data that
 * scripts may later insert as HTML, where JSON escaping is not enough. */
static bool script_type_ok(const struct tpl_html *h)
{
    static const char *const ok[] = {"text/javascript",
                                     "application/javascript",
                                     "text/ecmascript",
                                     "application/ecmascript",
                                     "module",
                                     "application/json",
                                     "application/ld+json",
                                     "importmap",
                                     NULL};
    if (!h->stype_seen) {
        return true;
    }
    if (h->stype_over) {
        return false;
    }
    size_t b = 0, e = h->stypelen;
    while (b < e &&
           (h->stype[b] == ' ' || h->stype[b] == '\t' || h->stype[b] == '\n' ||
            h->stype[b] == '\r' || h->stype[b] == '\f')) {
        b++;
    }
    while (e > b && (h->stype[e - 1] == ' ' || h->stype[e - 1] == '\t' ||
                     h->stype[e - 1] == '\n' || h->stype[e - 1] == '\r' ||
                     h->stype[e - 1] == '\f')) {
        e--;
    }
    if (e == b) {
        return true;
    }
    for (const char *const *t = ok; *t; t++) {
        if (strlen(*t) == e - b && memcmp(*t, h->stype + b, e - b) == 0) {
            return true;
        }
    }
    return false;
}

/* '>' ends the tag being read: decide what its content is. */
static void emit_tag(struct tpl_html *h)
{
    bool foreign = h->xml || h->foreign > 0;
    h->st = S_TEXT;
    h->raw = R_NONE;
    if (h->endtag) {
        if (h->elem == E_FOREIGN && !h->xml && h->foreign > 0) {
            h->foreign--;
        }
        return;
    }
    switch (h->elem) {
    case E_FOREIGN:
        if (!h->xml && !h->selfclose && h->foreign < UINT16_MAX) {
            h->foreign++;
        }
        break;
    case E_SCRIPT:
    case E_STYLE:
        if (!foreign) {
            /* HTML ignores "/>" on <script>, so do we. */
            h->raw = h->elem == E_STYLE  ? R_STYLE
                     : script_type_ok(h) ? R_SCRIPT
                                         : R_DATA;
            h->st = S_RAW;
        } else if (!h->selfclose) {
            h->raw = R_FORBIDDEN;
            h->st = S_RAW;
        }
        break;
    case E_RCDATA:
        if (!foreign) {
            h->raw = R_RCDATA;
            h->st = S_RAW;
        }
        break;
    case E_RAWTEXT:
        if (!foreign) {
            h->raw = R_RAWTEXT;
            h->st = S_RAW;
        }
        break;
    default:
        break;
    }
}

static void start_tag(struct tpl_html *h, bool endtag, unsigned char c)
{
    h->st = S_TAG_NAME;
    h->endtag = endtag;
    h->selfclose = false;
    h->url_later = false;
    h->attr = A_NORMAL;
    h->stype_seen = false;
    h->stype_over = false;
    h->stypelen = 0;
    name_clear(h);
    name_add(h, c);
}

/* One byte of an attribute value; only a <script> type is kept, lowercased.
 * Character references are not decoded: an encoded type is simply not
 * recognised, which refuses values in that script (the safe side). */
static void value_add(struct tpl_html *h, unsigned char c)
{
    if (h->attr != A_TYPE) {
        return;
    }
    if (h->stypelen < sizeof(h->stype) - 1) {
        h->stype[h->stypelen++] = (char)lower(c);
    } else {
        h->stype_over = true;
    }
}

static bool prefix_of(const struct tpl_html *h, const char *s)
{
    return h->namelen <= strlen(s) && memcmp(h->name, s, h->namelen) == 0;
}

/* One byte of literal text. Returns NULL or a static error message. */
static const char *step(struct tpl_html *h, unsigned char c)
{
    for (;;) {
        switch (h->st) {
        case S_TEXT:
            if (c == '<') {
                h->st = S_TAG_OPEN;
            }
            return NULL;
        case S_TAG_OPEN:
            if (is_alpha(c)) {
                start_tag(h, false, c);
            } else if (c == '/') {
                h->st = S_END_TAG_OPEN;
            } else if (c == '!') {
                h->st = S_MARKUP;
                name_clear(h);
            } else if (c == '?') {
                h->st = S_BOGUS;
            } else {
                h->st = S_TEXT;
                continue;
            }
            return NULL;
        case S_END_TAG_OPEN:
            if (is_alpha(c)) {
                start_tag(h, true, c);
            } else if (c == '>') {
                h->st = S_TEXT;
            } else {
                h->st = S_BOGUS;
            }
            return NULL;
        case S_TAG_NAME:
            if (is_space(c)) {
                finish_tag_name(h);
                h->st = S_BEFORE_ATTR;
            } else if (c == '/') {
                finish_tag_name(h);
                h->st = S_SELF_CLOSE;
            } else if (c == '>') {
                finish_tag_name(h);
                emit_tag(h);
            } else {
                name_add(h, c);
            }
            return NULL;
        case S_AMBIG:
            if (is_space(c)) {
                h->st = S_AMBIG_WS;
                return NULL;
            }
            if (c != '/' && c != '>') {
                return "after a {{/section}} inside a tag, write a space, "
                       "'/' or '>' (it is unclear which attribute this "
                       "text belongs to)";
            }
            h->st = S_BEFORE_ATTR;
            continue;
        case S_AMBIG_WS:
            if (is_space(c)) {
                return NULL;
            }
            if (c == '=') {
                return "'=' after a {{/section}} inside a tag: it is unclear "
                       "which attribute the value belongs to";
            }
            h->st = S_BEFORE_ATTR;
            continue;
        case S_BEFORE_ATTR:
            if (is_space(c)) {
                return NULL;
            }
            if (c == '/') {
                h->st = S_SELF_CLOSE;
            } else if (c == '>') {
                emit_tag(h);
            } else {
                h->st = S_ATTR_NAME;
                name_clear(h);
                name_add(h, c);
            }
            return NULL;
        case S_SELF_CLOSE:
            if (c == '>') {
                h->selfclose = true;
                emit_tag(h);
                return NULL;
            }
            h->st = S_BEFORE_ATTR;
            continue;
        case S_ATTR_NAME:
            if (is_space(c)) {
                finish_attr_name(h);
                h->st = S_AFTER_ATTR_NAME;
            } else if (c == '/') {
                finish_attr_name(h);
                h->st = S_SELF_CLOSE;
            } else if (c == '=') {
                finish_attr_name(h);
                h->st = S_BEFORE_VALUE;
            } else if (c == '>') {
                finish_attr_name(h);
                emit_tag(h);
            } else {
                name_add(h, c);
            }
            return NULL;
        case S_AFTER_ATTR_NAME:
            if (is_space(c)) {
                return NULL;
            }
            if (c == '/') {
                h->st = S_SELF_CLOSE;
            } else if (c == '=') {
                h->st = S_BEFORE_VALUE;
            } else if (c == '>') {
                emit_tag(h);
            } else {
                h->st = S_ATTR_NAME;
                name_clear(h);
                name_add(h, c);
            }
            return NULL;
        case S_BEFORE_VALUE:
            if (is_space(c)) {
                return NULL;
            }
            h->url_later = false;
            if (c == '"') {
                h->st = S_VALUE_DQ;
            } else if (c == '\'') {
                h->st = S_VALUE_SQ;
            } else if (c == '>') {
                emit_tag(h);
            } else {
                h->st = S_VALUE_UNQ;
                value_add(h, c);
            }
            return NULL;
        case S_VALUE_DQ:
        case S_VALUE_SQ:
            if (c == (h->st == S_VALUE_DQ ? '"' : '\'')) {
                h->st = S_BEFORE_ATTR;
                return NULL;
            }
            if (c > 0x20) {
                /* URL parsers strip leading spaces and controls. */
                h->url_later = true;
            }
            value_add(h, c);
            return NULL;
        case S_VALUE_UNQ:
            if (is_space(c)) {
                h->st = S_BEFORE_ATTR;
            } else if (c == '>') {
                emit_tag(h);
            } else {
                value_add(h, c);
            }
            return NULL;
        case S_MARKUP:
            name_add(h, c);
            if (name_is(h, "--")) {
                h->st = S_COMMENT_START;
            } else if ((h->xml || h->foreign > 0) && h->namelen == 7 &&
                       memcmp(h->name, "[cdata[", 7) == 0) {
                h->st = S_CDATA;
                h->n = 0;
            } else if (!prefix_of(h, "--") && !((h->xml || h->foreign > 0) &&
                                                prefix_of(h, "[cdata["))) {
                h->st = S_BOGUS;
                continue;
            }
            return NULL;
        case S_BOGUS:
            if (c == '>') {
                h->st = S_TEXT;
            }
            return NULL;
        case S_COMMENT_START:
            if (c == '-') {
                h->st = S_COMMENT_START_DASH;
            } else if (c == '>') {
                h->st = S_TEXT; /* "<!-->" */
            } else {
                h->st = S_COMMENT;
                continue;
            }
            return NULL;
        case S_COMMENT_START_DASH:
            if (c == '-') {
                h->st = S_COMMENT_END;
            } else if (c == '>') {
                h->st = S_TEXT; /* "<!--->" */
            } else {
                h->st = S_COMMENT;
                continue;
            }
            return NULL;
        case S_COMMENT:
            if (c == '-') {
                h->st = S_COMMENT_END_DASH;
            }
            return NULL;
        case S_COMMENT_END_DASH:
            if (c == '-') {
                h->st = S_COMMENT_END;
                return NULL;
            }
            h->st = S_COMMENT;
            continue;
        case S_COMMENT_END:
            if (c == '>') {
                h->st = S_TEXT;
            } else if (c == '!') {
                h->st = S_COMMENT_END_BANG;
            } else if (c != '-') {
                h->st = S_COMMENT;
                continue;
            }
            return NULL;
        case S_COMMENT_END_BANG:
            if (c == '-') {
                h->st = S_COMMENT_END_DASH;
            } else if (c == '>') {
                h->st = S_TEXT;
            } else {
                h->st = S_COMMENT;
                continue;
            }
            return NULL;
        case S_CDATA:
            if (c == ']') {
                h->n = h->n < 2 ? (uint8_t)(h->n + 1) : 2;
            } else if (c == '>' && h->n == 2) {
                h->st = S_TEXT;
                h->n = 0;
            } else {
                h->n = 0;
            }
            return NULL;
        case S_RAW:
            if (c == '<') {
                h->st = S_RAW_LT;
            }
            return NULL;
        case S_RAW_LT:
            if (c == '/') {
                h->st = S_RAW_END_OPEN;
                return NULL;
            }
            if (c == '!' && h->raw == R_SCRIPT) {
                /* "<!--" switches browsers into the script-escaped states,
                 * where "</script>" may not end the script. */
                return "'<!' inside <script> is not supported (write "
                       "'< !' or move the script to a file)";
            }
            h->st = S_RAW;
            continue;
        case S_RAW_END_OPEN:
            if (is_alpha(c)) {
                h->st = S_RAW_END_NAME;
                name_clear(h);
                name_add(h, c);
                return NULL;
            }
            h->st = S_RAW;
            continue;
        case S_RAW_END_NAME:
            if (is_alpha(c)) {
                name_add(h, c);
                return NULL;
            }
            if ((is_space(c) || c == '/' || c == '>') &&
                name_is(h, h->rawname)) {
                /* The end tag of the raw element. */
                h->raw = R_NONE;
                h->endtag = true;
                h->elem = E_OTHER;
                h->selfclose = false;
                h->st = is_space(c) ? S_BEFORE_ATTR
                        : c == '/'  ? S_SELF_CLOSE
                                    : S_TEXT;
                return NULL;
            }
            h->st = S_RAW;
            continue;
        default:
            return "internal error: bad tokenizer state";
        }
    }
}

const char *tpl_html_feed(struct tpl_html *h, const char *p, size_t n,
                          uint32_t *line)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        const char *e = step(h, c);
        if (e) {
            return e;
        }
        if (c == '\n') {
            (*line)++;
        }
        h->prev = c;
    }
    return NULL;
}

const char *tpl_html_value(const struct tpl_html *h, bool raw, uint8_t *esc)
{
    *esc = TPL_ESC_HTML;
    switch (h->st) {
    case S_TEXT:
        return NULL;
    case S_RAW:
        switch (h->raw) {
        case R_SCRIPT:
            *esc = TPL_ESC_JS;
            if (h->prev == '"' || h->prev == '\'' || h->prev == '`') {
                return "inside <script> a value is written as a quoted "
                       "JSON string: remove the quotes around the tag";
            }
            return NULL;
        case R_RCDATA:
            return raw ? "{{{ }}} is not allowed inside <title> or "
                         "<textarea>: use {{ }}"
                       : NULL;
        case R_STYLE:
            return "values are not allowed inside <style>";
        case R_DATA:
            return "values are not allowed inside a <script> whose type is "
                   "not JavaScript or JSON";
        case R_RAWTEXT:
            return "values are not allowed inside <xmp>, <iframe>, "
                   "<noembed>, <noframes> or <plaintext>";
        default:
            return "values are not allowed inside <script> or <style> in "
                   "SVG";
        }
    case S_VALUE_DQ:
    case S_VALUE_SQ:
        switch (h->attr) {
        case A_NORMAL:
            return NULL;
        case A_URL:
            if (raw) {
                return "{{{ }}} is not allowed in a URL attribute: use {{ }}";
            }
            *esc = h->url_later ? TPL_ESC_URL_PART : TPL_ESC_URL_START;
            return NULL;
        case A_JS:
            return "values are not allowed in an event handler attribute "
                   "(on…): pass data in a data-* attribute";
        case A_CSS:
            return "values are not allowed in a style attribute: use a "
                   "class";
        case A_TYPE:
            return "values are not allowed in the type of a <script>";
        default:
            return "values are not allowed in a srcdoc attribute";
        }
    case S_VALUE_UNQ:
    case S_BEFORE_VALUE:
        return "a value in an unquoted attribute: put the attribute value "
               "in double quotes";
    case S_MARKUP:
    case S_BOGUS:
    case S_COMMENT_START:
    case S_COMMENT_START_DASH:
    case S_COMMENT:
    case S_COMMENT_END_DASH:
    case S_COMMENT_END:
    case S_COMMENT_END_BANG:
        return "values are not allowed inside an HTML comment, doctype or "
               "<!…> declaration (use {{! }} for template comments)";
    case S_CDATA:
        return "values are not allowed inside a CDATA section";
    case S_RAW_LT:
    case S_RAW_END_OPEN:
    case S_RAW_END_NAME:
        return "a value right after '<' or inside an end tag";
    case S_TAG_OPEN:
    case S_END_TAG_OPEN:
        return "a value right after '<': write &lt; for a literal '<'";
    default:
        return "a value inside a tag: values may only stand in text or in "
               "a quoted attribute value";
    }
}

void tpl_html_after_value(struct tpl_html *h)
{
    if (h->st == S_VALUE_DQ || h->st == S_VALUE_SQ) {
        h->url_later = true;
    }
    h->prev = 0;
}

static bool same_name(const struct tpl_html *a, const struct tpl_html *b)
{
    return a->name_over == b->name_over && a->namelen == b->namelen &&
           memcmp(a->name, b->name, a->namelen) == 0;
}

static bool same_local(const struct tpl_html *a, const struct tpl_html *b)
{
    return a->local_over == b->local_over && a->locallen == b->locallen &&
           memcmp(a->local, b->local, a->locallen) == 0;
}

static bool same_elem(const struct tpl_html *a, const struct tpl_html *b)
{
    return a->endtag == b->endtag && a->elem == b->elem &&
           memcmp(a->rawname, b->rawname, sizeof(a->rawname)) == 0 &&
           a->stype_seen == b->stype_seen && a->stype_over == b->stype_over &&
           a->stypelen == b->stypelen &&
           memcmp(a->stype, b->stype, a->stypelen) == 0;
}

/* Do a and b continue identically on any input? */
static bool same_state(const struct tpl_html *a, const struct tpl_html *b)
{
    if (a->st != b->st || a->foreign != b->foreign || a->xml != b->xml) {
        return false;
    }
    switch (a->st) {
    case S_TAG_NAME:
        return a->endtag == b->endtag && same_name(a, b);
    case S_BEFORE_ATTR:
    case S_SELF_CLOSE:
    case S_AMBIG:
    case S_AMBIG_WS:
        return same_elem(a, b);
    case S_ATTR_NAME:
        return same_elem(a, b) && same_name(a, b) && same_local(a, b);
    case S_AFTER_ATTR_NAME:
    case S_BEFORE_VALUE:
    case S_VALUE_UNQ:
        return same_elem(a, b) && a->attr == b->attr;
    case S_VALUE_DQ:
    case S_VALUE_SQ:
        return same_elem(a, b) && a->attr == b->attr &&
               a->url_later == b->url_later;
    case S_MARKUP:
        return same_name(a, b);
    case S_CDATA:
        return a->n == b->n;
    case S_RAW:
    case S_RAW_LT:
    case S_RAW_END_OPEN:
        return a->raw == b->raw &&
               memcmp(a->rawname, b->rawname, sizeof(a->rawname)) == 0;
    case S_RAW_END_NAME:
        return a->raw == b->raw && same_name(a, b) &&
               memcmp(a->rawname, b->rawname, sizeof(a->rawname)) == 0;
    default:
        return true;
    }
}

static bool in_tag(uint8_t st)
{
    return st == S_TAG_NAME || st == S_BEFORE_ATTR || st == S_ATTR_NAME ||
           st == S_AFTER_ATTR_NAME || st == S_AMBIG || st == S_AMBIG_WS;
}

/* A section's body is rendered zero, one or many times, so the text after
 * {{/x}} may follow either the state before {{#x}} or the one at the end of
 * the body. Identical states are fine. Inside a URL attribute, "at the
 * start" and "later" join as "later" (percent-encoding is safe in both).
 * Inside a tag, an optional attribute (<option{{#sel}} selected{{/sel}}>)
 * joins as S_AMBIG, which only accepts what continues the same way in both
 * cases (blanks, '/', '>'; after blanks anything but '='). Anything else
 * could make a browser see a value somewhere other than where the parser
 * saw it, so it is refused. */
bool tpl_html_join(const struct tpl_html *open, const struct tpl_html *close,
                   struct tpl_html *out)
{
    if (same_state(open, close)) {
        *out = *close;
        return true;
    }
    if ((open->st == S_VALUE_DQ || open->st == S_VALUE_SQ) &&
        open->st == close->st && open->foreign == close->foreign &&
        same_elem(open, close) && open->attr == close->attr) {
        *out = *close;
        out->url_later = true;
        return true;
    }
    if (in_tag(open->st) && in_tag(close->st) &&
        open->foreign == close->foreign) {
        struct tpl_html a = *open, b = *close;
        if (a.st == S_TAG_NAME) {
            finish_tag_name(&a);
        }
        if (b.st == S_TAG_NAME) {
            finish_tag_name(&b);
        }
        if (same_elem(&a, &b)) {
            *out = b;
            out->st = S_AMBIG;
            return true;
        }
    }
    return false;
}

bool tpl_html_is_text(const struct tpl_html *h)
{
    return h->st == S_TEXT;
}

bool tpl_html_foreign(const struct tpl_html *h)
{
    return h->xml || h->foreign > 0;
}

bool tpl_html_can_end(const struct tpl_html *h)
{
    return h->st == S_TEXT && h->foreign == 0;
}

const char *tpl_html_attr_name(const struct tpl_html *h)
{
    switch (h->st) {
    case S_ATTR_NAME:
    case S_AFTER_ATTR_NAME:
    case S_BEFORE_VALUE:
    case S_VALUE_DQ:
    case S_VALUE_SQ:
    case S_VALUE_UNQ:
        return h->name;
    default:
        return NULL;
    }
}

const char *tpl_html_describe(const struct tpl_html *h)
{
    switch (h->st) {
    case S_TEXT:
        return h->foreign ? "text inside <svg>/<math>" : "text";
    case S_VALUE_DQ:
    case S_VALUE_SQ:
        return h->attr == A_URL ? "a URL attribute value"
                                : "a quoted attribute value";
    case S_VALUE_UNQ:
    case S_BEFORE_VALUE:
        return "an unquoted attribute value";
    case S_MARKUP:
    case S_BOGUS:
    case S_COMMENT_START:
    case S_COMMENT_START_DASH:
    case S_COMMENT:
    case S_COMMENT_END_DASH:
    case S_COMMENT_END:
    case S_COMMENT_END_BANG:
        return "an HTML comment or declaration";
    case S_CDATA:
        return "a CDATA section";
    case S_RAW:
        switch (h->raw) {
        case R_SCRIPT:
            return "<script>";
        case R_STYLE:
            return "<style>";
        case R_RCDATA:
            return "<title> or <textarea>";
        case R_DATA:
            return "a non-JavaScript <script>";
        default:
            return "a raw text element";
        }
    case S_RAW_LT:
    case S_RAW_END_OPEN:
    case S_RAW_END_NAME:
        return "an end tag in raw text";
    default:
        return "a tag";
    }
}
