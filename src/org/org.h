/* ibc — schools (org): every domain row belongs to one.
 *
 * A single-school install holds one org; a municipality's PostgreSQL
 * database holds many. All SQL about orgs lives in org_store.c. */
#ifndef IBC_ORG_ORG_H
#define IBC_ORG_ORG_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

struct db;

struct org {
    int64_t id;
    const char *code;       /* short unique code, e.g. "sch12" */
    const char *name;       /* full official name */
    const char *short_name; /* for the header: «Школа № 12» */
    const char *city;       /* may be NULL */
};

/* Strings of *out are allocated in a. IBC_ENOTFOUND when absent. */
int org_get_by_code(struct db *db, struct arena *a, const char *code,
                    struct org *out, struct ibc_error *err);
int org_get(struct db *db, struct arena *a, int64_t id, struct org *out,
            struct ibc_error *err);
/* The school to show when no code is given: the only one, or the first
 * created. IBC_ENOTFOUND on an empty database. */
int org_get_default(struct db *db, struct arena *a, struct org *out,
                    struct ibc_error *err);
/* Creates a school; validates code ([a-z0-9-]{2,32}) and names (field
 * errors "code", "name", "short_name"); IBC_ECONFLICT if the code exists. */
int org_create(struct db *db, const struct org *o, int64_t *id,
               struct ibc_error *err);
int org_count(struct db *db, int64_t *n, struct ibc_error *err);
/* Every school of the database, by code; the array and strings in a. */
int org_list(struct db *db, struct arena *a, struct org **out, size_t *n,
             struct ibc_error *err);

#endif
