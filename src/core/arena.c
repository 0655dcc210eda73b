/* ibc — arena allocator; see arena.h. */
#include "core/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#define CHUNK_MIN 8192

/* One chunk of arena memory; `data` follows the header. */
struct chunk {
    struct chunk *next; /* older chunk */
    size_t cap;         /* usable bytes in data[] */
    size_t used;        /* bytes handed out from data[] */
    alignas(max_align_t) unsigned char data[];
};

struct arena {
    struct chunk *head; /* newest chunk, allocations come from here */
    size_t total;       /* bytes handed out since last reset */
};

static struct chunk *chunk_new(size_t cap, struct chunk *next)
{
    struct chunk *c = xmalloc(sizeof(*c) + cap);
    c->next = next;
    c->cap = cap;
    c->used = 0;
    return c;
}

struct arena *arena_new(void)
{
    struct arena *a = xmalloc(sizeof(*a));
    a->head = chunk_new(CHUNK_MIN, NULL);
    a->total = 0;
    return a;
}

void arena_free(struct arena *a)
{
    if (!a) {
        return;
    }
    struct chunk *c = a->head;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void arena_reset(struct arena *a)
{
    /* Keep the oldest chunk (the first, of CHUNK_MIN or more) for reuse. */
    struct chunk *c = a->head;
    while (c->next) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    c->used = 0;
    a->head = c;
    a->total = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    if (n > SIZE_MAX - align) {
        abort();
    }
    size_t need = (n + align - 1) & ~(align - 1);
    if (need == 0) {
        need = align;
    }
    struct chunk *c = a->head;
    if (c->cap - c->used < need) {
        size_t cap = c->cap * 2;
        if (cap < need) {
            cap = need;
        }
        if (cap > 1u << 20 && need <= 1u << 20) {
            cap = 1u << 20; /* do not double forever */
        }
        c = chunk_new(cap, a->head);
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->total += n;
    return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    if (!s) {
        return NULL;
    }
    size_t len = strnlen(s, n);
    char *p = arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

void *arena_memdup(struct arena *a, const void *p, size_t n)
{
    void *q = arena_alloc(a, n);
    if (n) {
        memcpy(q, p, n);
    }
    return q;
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return arena_strdup(a, "");
    }
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

size_t arena_used(const struct arena *a)
{
    return a->total;
}
