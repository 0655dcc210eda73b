/* ibc — files embedded in the binary at build time.
 *
 * tools/embed.c turns web/templates, web/static, sql/migrations and i18n into
 * build/gen/embed.c (Fossil's mkbuiltin idea). Names are paths relative to the
 * repository root, e.g. "web/static/css/ibc.css". */
#ifndef IBC_CORE_EMBED_H
#define IBC_CORE_EMBED_H

#include <stddef.h>

struct embed_file {
    const char *name;          /* repository-relative path */
    const unsigned char *data; /* NUL-terminated after len */
    size_t len;                /* bytes */
    const char *etag;          /* quoted strong ETag of the content */
};

extern const struct embed_file embed_files[]; /* sorted by name */
extern const size_t embed_count;

/* Binary search by exact name; NULL when absent. */
const struct embed_file *embed_find(const char *name);

#endif
