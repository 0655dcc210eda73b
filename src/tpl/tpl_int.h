/* ibc — template engine internals shared by tpl_*.c (not a public header).
 *
 * A parsed template is a flat array of instructions. Literal text lives in
 * one string per template; names are pre-split on '.' and pre-hashed so that
 * rendering compares hashes before strings. A section instruction knows the
 * index just past its body, so rendering is a loop over the array with one
 * recursive call per section entered (no re-parsing, no allocation). */
#ifndef IBC_TPL_TPL_INT_H
#define IBC_TPL_TPL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "tpl/tpl.h"

#define TPL_MAX_PARTIAL_DEPTH 16 /* {{> a}} inside {{> b}} inside … */
#define TPL_MAX_SECTION_DEPTH 64 /* nested sections in one template */
#define TPL_MAX_SIZE (8u << 20)  /* bytes of template text */

enum tpl_op {
    TPL_OP_TEXT,     /* literal text */
    TPL_OP_VAR,      /* {{name}} / {{{name}}} */
    TPL_OP_SECTION,  /* {{#name}} … */
    TPL_OP_INVERTED, /* {{^name}} … */
    TPL_OP_PARTIAL,  /* {{> name}} */
    TPL_OP_MSG       /* {{@key}} */
};

/* How a value is written; decided at parse time from the HTML around it. */
enum tpl_esc {
    TPL_ESC_HTML,      /* text, RCDATA, ordinary quoted attribute */
    TPL_ESC_URL_START, /* start of a URL attribute: scheme check + HTML */
    TPL_ESC_URL_PART,  /* later in a URL attribute: percent-encoding */
    TPL_ESC_JS         /* <script> body: a JSON string literal */
};

/* One segment of a dotted name. */
struct tpl_seg {
    const char *name; /* NUL-terminated, in the set's arena */
    uint32_t hash;    /* tpl_hash(name) */
};

struct tpl_ins {
    uint8_t op;    /* enum tpl_op */
    uint8_t esc;   /* enum tpl_esc (VAR, MSG) */
    bool raw;      /* {{{ }}}: trusted HTML values are written as is */
    bool foreign;  /* PARTIAL: included inside <svg>/<math> */
    uint16_t nseg; /* VAR, SECTION, INVERTED: segments; 0 means "." */
    uint32_t line; /* source line, for errors */
    uint32_t a;    /* TEXT: offset in text; SECTION: index after body */
    uint32_t len;  /* TEXT: bytes */
    int32_t idx;   /* PARTIAL: index in the set once linked, else -1 */
    const struct tpl_seg *segs; /* VAR, SECTION, INVERTED */
    const char *str;            /* PARTIAL: template name; MSG: key */
};

struct tpl {
    char *name;       /* "home", "circ/desk"; arena */
    char *filename;   /* for error messages; arena */
    uint32_t hash;    /* tpl_hash(name) */
    bool svg;         /* parsed in XML (SVG) mode */
    const char *text; /* all literal text, in the arena */
    struct tpl_ins *ins;
    uint32_t n; /* instructions */
};

struct tpl_set {
    struct arena *arena; /* names, text, instructions: freed with the set */
    struct tpl **t;      /* heap array of arena-allocated templates */
    size_t n, cap;
    tpl_msg_fn msg; /* from tpl_link; NULL: {{@key}} writes the key */
    void *msg_ctx;
};

/* The view model. Values and entries live in the vm's arena. */
enum tpl_vtype {
    TPL_V_STR,
    TPL_V_HTML,
    TPL_V_INT,
    TPL_V_BOOL,
    TPL_V_OBJ,
    TPL_V_LIST
};

struct tpl_item;

struct tpl_val {
    uint8_t type; /* enum tpl_vtype */
    union {
        struct {
            const char *p;
            size_t len;
        } s;                /* STR, HTML */
        int64_t i;          /* INT */
        bool b;             /* BOOL */
        struct tpl_vm *obj; /* OBJ */
        struct {
            struct tpl_item *head, *tail;
            size_t n;
        } list; /* LIST */
    } u;
};

struct tpl_item {
    struct tpl_val v;
    struct tpl_item *next;
};

struct tpl_entry {
    const char *key;
    uint32_t hash;
    struct tpl_val v;
    struct tpl_entry *next;
};

struct tpl_vm {
    struct arena *a;
    struct tpl_entry *head, *tail;
};

/* The HTML context tracker (tpl_html.c): follows the template's literal
 * text the way a browser's tokenizer would, so that each {{tag}} knows
 * where it stands. Plain data so it can be copied at {{#section}} and
 * compared at {{/section}}. */
struct tpl_html {
    uint8_t st;      /* tokenizer state (tpl_html.c) */
    uint8_t elem;    /* kind of the tag being read */
    uint8_t raw;     /* which raw-text element we are in */
    uint8_t attr;    /* kind of the attribute being read */
    uint8_t n;       /* small counter (CDATA ']' run) */
    bool endtag;     /* the tag being read is an end tag */
    bool selfclose;  /* the tag ended with "/>" */
    bool url_later;  /* in a URL attribute value, past its start */
    bool xml;        /* SVG template: parsed as XML */
    bool name_over;  /* name[] overflowed */
    bool local_over; /* local[] overflowed */
    uint8_t namelen, locallen;
    uint16_t foreign; /* depth of inline <svg>/<math> (HTML mode) */
    char name[24];    /* tag or attribute name being read, lowercased */
    char local[24];   /* attribute name after its last ':' */
    char rawname[12]; /* element that ends the current raw text */
    char stype[28];   /* <script type="…"> value, lowercased */
    uint8_t stypelen;
    bool stype_seen;    /* the script tag has a type attribute */
    bool stype_over;    /* stype[] overflowed */
    unsigned char prev; /* last byte fed (not part of the state) */
};

void tpl_html_init(struct tpl_html *h, bool xml);
/* Feeds literal text; *line is advanced over newlines. Returns NULL, or an
 * error message (static) for text the tracker refuses. */
const char *tpl_html_feed(struct tpl_html *h, const char *p, size_t n,
                          uint32_t *line);
/* May a value tag ({{x}}, {{{x}}} when raw, {{@k}}) stand here? Returns
 * NULL and sets *esc, or a static message saying why not. */
const char *tpl_html_value(const struct tpl_html *h, bool raw, uint8_t *esc);
/* Updates the state after a value was written (URL start -> later). */
void tpl_html_after_value(struct tpl_html *h);
/* The state after a section that opened in *open and whose body ended in
 * *close; false when the two cannot be reconciled. */
bool tpl_html_join(const struct tpl_html *open, const struct tpl_html *close,
                   struct tpl_html *out);
/* True in (HTML or XML) text, where a partial may stand. */
bool tpl_html_is_text(const struct tpl_html *h);
/* True inside inline <svg>/<math>, or anywhere in an SVG template. */
bool tpl_html_foreign(const struct tpl_html *h);
/* True where a template may end: text, no inline <svg> left open. */
bool tpl_html_can_end(const struct tpl_html *h);
/* The attribute being read or valued (lowercased, truncated), or NULL
 * outside attributes; for the fuzzer's oracle. */
const char *tpl_html_attr_name(const struct tpl_html *h);
/* A few words naming where h stands, for error messages. */
const char *tpl_html_describe(const struct tpl_html *h);

/* FNV-1a over a NUL-terminated or length-given name. */
uint32_t tpl_hash(const char *s, size_t n);

/* Finds a member of an object by (name, hash); NULL when absent. */
const struct tpl_val *tpl_vm_get(const struct tpl_vm *vm, const char *name,
                                 uint32_t hash);

/* Escapers over (pointer, length); the public ones wrap these. */
void tpl_esc_html_n(struct buf *out, const char *s, size_t n);
void tpl_esc_url_n(struct buf *out, const char *s, size_t n);
void tpl_esc_js_n(struct buf *out, const char *s, size_t n);
bool tpl_url_safe_n(const char *s, size_t n);

/* Parses one template into t (fields name/filename/svg already set). */
int tpl_parse(struct tpl_set *set, struct tpl *t, const char *text, size_t len,
              struct ibc_error *err);

/* Index of template `name` in the set, or -1. */
int tpl_find(const struct tpl_set *set, const char *name);

#endif
