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
    uint8_t op;       /* enum tpl_op */
    uint8_t esc;      /* enum tpl_esc (VAR, MSG) */
    bool raw;         /* {{{ }}}: trusted HTML values are written as is */
    bool foreign;     /* PARTIAL: included inside <svg>/<math> */
    uint16_t nseg;    /* VAR, SECTION, INVERTED: segments; 0 means "." */
    uint32_t line;    /* source line, for errors */
    uint32_t a;       /* TEXT: offset in text; SECTION: index after body */
    uint32_t len;     /* TEXT: bytes */
    int32_t idx;      /* PARTIAL: index in the set once linked, else -1 */
    const struct tpl_seg *segs; /* VAR, SECTION, INVERTED */
    const char *str;  /* PARTIAL: template name; MSG: key */
};

struct tpl {
    char *name;        /* "home", "circ/desk"; arena */
    char *filename;    /* for error messages; arena */
    uint32_t hash;     /* tpl_hash(name) */
    bool svg;          /* parsed in XML (SVG) mode */
    const char *text;  /* all literal text, in the arena */
    struct tpl_ins *ins;
    uint32_t n;        /* instructions */
};

struct tpl_set {
    struct arena *arena; /* names, text, instructions: freed with the set */
    struct tpl **t;      /* heap array of arena-allocated templates */
    size_t n, cap;
    tpl_msg_fn msg;      /* from tpl_link; NULL: {{@key}} writes the key */
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
        } s;                  /* STR, HTML */
        int64_t i;            /* INT */
        bool b;               /* BOOL */
        struct tpl_vm *obj;   /* OBJ */
        struct {
            struct tpl_item *head, *tail;
            size_t n;
        } list;               /* LIST */
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
int tpl_parse(struct tpl_set *set, struct tpl *t, const char *text,
              size_t len, struct ibc_error *err);

/* Index of template `name` in the set, or -1. */
int tpl_find(const struct tpl_set *set, const char *name);

#endif
