/* ibc — arena (region) allocator.
 *
 * A bump allocator over linked chunks, like YAZ's NMEM. One arena lives for
 * one HTTP request or one imported record; everything allocated from it is
 * released at once by arena_reset() or arena_free(). Nothing allocated from an
 * arena is freed on its own. Not thread-safe: an arena belongs to one thread. */
#ifndef IBC_CORE_ARENA_H
#define IBC_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

struct arena *arena_new(void);        /* caller frees with arena_free() */
void arena_free(struct arena *a);     /* accepts NULL */
void arena_reset(struct arena *a);    /* forget all allocations, keep 1st chunk */

/* Memory aligned for any type, valid until reset/free. Never NULL. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);         /* zeroed */
char *arena_strdup(struct arena *a, const char *s);     /* NULL -> NULL */
char *arena_strndup(struct arena *a, const char *s, size_t n);
void *arena_memdup(struct arena *a, const void *p, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Bytes handed out since the last reset (for tests and limits). */
size_t arena_used(const struct arena *a);

#endif
