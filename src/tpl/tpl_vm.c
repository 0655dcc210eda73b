/* ibc — view models for templates.
 *
 * A view model is an object: a list of (key, value) entries in insertion
 * order. Values are strings, trusted HTML, integers, booleans, nested
 * objects or lists. Everything lives in the arena given to tpl_vm_new(), so
 * a request builds its page data without a single free(). Objects are small
 * (tens of keys), so lookup is a linear scan comparing pre-computed hashes
 * first; the template side hashes its names once, at parse time. */
#include <stdio.h>
#include <string.h>

#include "tpl/tpl.h"
#include "tpl/tpl_int.h"

uint32_t tpl_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    }
    return h;
}

const struct tpl_val *tpl_vm_get(const struct tpl_vm *vm, const char *name,
                                 uint32_t hash)
{
    for (const struct tpl_entry *e = vm->head; e; e = e->next) {
        if (e->hash == hash && strcmp(e->key, name) == 0) {
            return &e->v;
        }
    }
    return NULL;
}

struct tpl_vm *tpl_vm_new(struct arena *a)
{
    struct tpl_vm *vm = arena_zalloc(a, sizeof(*vm));
    vm->a = a;
    return vm;
}

/* The entry for key, created (type STR "") when absent. Arena-owned. */
static struct tpl_entry *entry(struct tpl_vm *vm, const char *key)
{
    size_t n = strlen(key);
    uint32_t h = tpl_hash(key, n);
    for (struct tpl_entry *e = vm->head; e; e = e->next) {
        if (e->hash == h && strcmp(e->key, key) == 0) {
            return e;
        }
    }
    struct tpl_entry *e = arena_zalloc(vm->a, sizeof(*e));
    e->key = arena_strndup(vm->a, key, n);
    e->hash = h;
    e->v.type = TPL_V_STR;
    e->v.u.s.p = "";
    if (vm->tail) {
        vm->tail->next = e;
    } else {
        vm->head = e;
    }
    vm->tail = e;
    return e;
}

static void set_text(struct tpl_vm *vm, const char *key, const char *val,
                     enum tpl_vtype type)
{
    struct tpl_entry *e = entry(vm, key);
    size_t n = val ? strlen(val) : 0;
    e->v.type = (uint8_t)type;
    e->v.u.s.p = n ? arena_strndup(vm->a, val, n) : "";
    e->v.u.s.len = n;
}

void tpl_set_str(struct tpl_vm *vm, const char *key, const char *val)
{
    set_text(vm, key, val, TPL_V_STR);
}

void tpl_set_strf(struct tpl_vm *vm, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = arena_vprintf(vm->a, fmt, ap);
    va_end(ap);
    struct tpl_entry *e = entry(vm, key);
    e->v.type = TPL_V_STR;
    e->v.u.s.p = s;
    e->v.u.s.len = strlen(s);
}

void tpl_set_int(struct tpl_vm *vm, const char *key, int64_t val)
{
    struct tpl_entry *e = entry(vm, key);
    e->v.type = TPL_V_INT;
    e->v.u.i = val;
}

void tpl_set_bool(struct tpl_vm *vm, const char *key, bool val)
{
    struct tpl_entry *e = entry(vm, key);
    e->v.type = TPL_V_BOOL;
    e->v.u.b = val;
}

void tpl_set_html(struct tpl_vm *vm, const char *key, const char *html)
{
    set_text(vm, key, html, TPL_V_HTML);
}

struct tpl_vm *tpl_obj(struct tpl_vm *vm, const char *key)
{
    struct tpl_entry *e = entry(vm, key);
    if (e->v.type != TPL_V_OBJ) {
        e->v.type = TPL_V_OBJ;
        e->v.u.obj = tpl_vm_new(vm->a);
    }
    return e->v.u.obj;
}

/* The list entry for key, turning any other value into an empty list. */
static struct tpl_val *list_val(struct tpl_vm *vm, const char *key)
{
    struct tpl_entry *e = entry(vm, key);
    if (e->v.type != TPL_V_LIST) {
        memset(&e->v, 0, sizeof(e->v));
        e->v.type = TPL_V_LIST;
    }
    return &e->v;
}

static struct tpl_item *list_push(struct tpl_vm *vm, struct tpl_val *l)
{
    struct tpl_item *it = arena_zalloc(vm->a, sizeof(*it));
    if (l->u.list.tail) {
        l->u.list.tail->next = it;
    } else {
        l->u.list.head = it;
    }
    l->u.list.tail = it;
    l->u.list.n++;
    return it;
}

struct tpl_vm *tpl_list_add(struct tpl_vm *vm, const char *key)
{
    struct tpl_item *it = list_push(vm, list_val(vm, key));
    it->v.type = TPL_V_OBJ;
    it->v.u.obj = tpl_vm_new(vm->a);
    return it->v.u.obj;
}

void tpl_list_add_str(struct tpl_vm *vm, const char *key, const char *val)
{
    struct tpl_item *it = list_push(vm, list_val(vm, key));
    size_t n = val ? strlen(val) : 0;
    it->v.type = TPL_V_STR;
    it->v.u.s.p = n ? arena_strndup(vm->a, val, n) : "";
    it->v.u.s.len = n;
}

void tpl_list(struct tpl_vm *vm, const char *key)
{
    (void)list_val(vm, key);
}
