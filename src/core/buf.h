/* ibc — growable byte buffer (Fossil's Blob, YAZ's WRBUF, git's strbuf).
 *
 * The bytes are always NUL-terminated after `len`, so `data` can be used as a
 * C string when the content holds no NUL. A zero-initialised struct buf is a
 * valid empty buffer. */
#ifndef IBC_CORE_BUF_H
#define IBC_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* heap, owned; NULL while empty and never grown */
    size_t len; /* bytes in use, not counting the terminating NUL */
    size_t cap; /* bytes allocated */
};

#define BUF_INIT {NULL, 0, 0}

void buf_init(struct buf *b);
void buf_reset(struct buf *b);          /* frees the storage */
void buf_clear(struct buf *b);          /* len = 0, keeps the storage */
void buf_grow(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
const char *buf_cstr(struct buf *b);    /* "" when empty; borrowed */
char *buf_detach(struct buf *b, size_t *len); /* caller frees; b is empty */

#endif
