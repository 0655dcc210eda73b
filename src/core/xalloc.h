/* ibc — allocation that never returns NULL.
 *
 * Out-of-memory ends the process (the Fossil/Redis/kcgi convention, STYLE.md
 * rule 20): callers never check the result of an x-allocation. */
#ifndef IBC_CORE_XALLOC_H
#define IBC_CORE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);             /* caller frees with free() */
void *xcalloc(size_t n, size_t size); /* zeroed; caller frees */
void *xrealloc(void *p, size_t n);   /* like realloc, never NULL */
char *xstrdup(const char *s);        /* caller frees */
char *xstrndup(const char *s, size_t n); /* copies at most n bytes, NUL-ends */

#endif
