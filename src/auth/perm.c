/* ibc — who may do what: route permissions and scopes, decided here only.
 *
 * Every route of the table (src/app/routes.c) declares a permission — which
 * roles may call it at all — and, when its {id} names somebody, a scope:
 * whose objects the caller may reach. The dispatcher asks perm_allows()
 * first (403, or sign-in for anonymous callers), then auth_route_scope().
 * A person of another school is "not found" (404: existence is not
 * revealed); inside the school a refusal is 403. The stores filter by
 * org_id as well, so a check missed here still cannot reach another
 * school's rows. */
#include "auth/auth.h"

#include <string.h>

#include "core/buf.h"
#include "core/str.h"
#include "people/people.h"

#define STAFF (ROLE_LIBRARIAN | ROLE_HEAD | ROLE_ADMIN)

bool perm_roles_allow(unsigned roles, bool signed_in, enum perm perm)
{
    switch (perm) {
    case PERM_PUBLIC:
        return true;
    case PERM_SIGNED_IN:
        return signed_in;
    case PERM_STAFF:
        return signed_in && (roles & STAFF);
    case PERM_LIBRARIAN:
        return signed_in && (roles & (ROLE_LIBRARIAN | ROLE_ADMIN));
    case PERM_HEAD:
        return signed_in && (roles & (ROLE_HEAD | ROLE_ADMIN));
    case PERM_ADMIN:
        return signed_in && (roles & ROLE_ADMIN);
    case PERM_COORDINATOR:
        return signed_in && (roles & ROLE_COORDINATOR);
    case PERM__MAX:
        break;
    }
    return false;
}

bool perm_allows(const struct req *req, enum perm perm)
{
    const struct auth_user *u = req->user;
    return perm_roles_allow(u ? u->roles : 0, u != NULL, perm);
}

const char *perm_name(enum perm p)
{
    static const char *const names[PERM__MAX] = {
        [PERM_PUBLIC] = "public",         [PERM_ADMIN] = "admin",
        [PERM_SIGNED_IN] = "signed-in",   [PERM_STAFF] = "staff",
        [PERM_LIBRARIAN] = "librarian",   [PERM_HEAD] = "head",
        [PERM_COORDINATOR] = "coordinator",
    };
    return (unsigned)p < PERM__MAX && names[p] ? names[p] : "?";
}

const char *scope_names(struct arena *a, unsigned scope)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {SCOPE_OWN, "own"},         {SCOPE_CHILD, "child"},
        {SCOPE_CLASS, "class"},     {SCOPE_SCHOOL, "school"},
        {SCOPE_MUNICIPALITY, "municipality"},
    };
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (scope & names[i].bit) {
            buf_printf(&b, "%s%s", b.len ? "|" : "", names[i].name);
        }
    }
    const char *s = arena_strdup(a, b.len ? buf_cstr(&b) : "-");
    buf_reset(&b);
    return s;
}

int auth_scope_person(struct db *db, const struct auth_user *u,
                      unsigned scope, int64_t person_id,
                      struct ibc_error *err)
{
    if (!u) {
        return ibc_fail(err, IBC_EAUTH, "sign in first");
    }
    /* The person must be of the caller's school: person_get filters by
     * org_id, so another school's person is simply not found. */
    struct arena *a = arena_new();
    struct person p;
    int rc = person_get(db, a, u->org_id, person_id, &p, err);
    if (rc) {
        arena_free(a);
        return rc == IBC_ENOTFOUND
                   ? ibc_fail(err, IBC_ENOTFOUND, "no such person")
                   : rc;
    }
    rc = IBC_EPERM;
    if ((scope & SCOPE_OWN) && p.id == u->person_id) {
        rc = 0;
    } else if ((scope & SCOPE_CHILD) && (u->roles & ROLE_PARENT) &&
               parent_is_linked(db, u->org_id, u->person_id, p.id)) {
        rc = 0;
    } else if ((scope & SCOPE_CLASS) && (u->roles & ROLE_CLASS_TEACHER) &&
               p.class_id) {
        struct school_class c;
        struct ibc_error e = IBC_ERROR_INIT;
        if (class_get(db, a, u->org_id, p.class_id, &c, &e) == 0 &&
            c.teacher_id == u->person_id) {
            rc = 0;
        }
    }
    if (rc && (scope & SCOPE_SCHOOL) && (u->roles & STAFF)) {
        rc = 0; /* staff of the person's own school (same org, above) */
    }
    /* SCOPE_MUNICIPALITY opens aggregates, never one person's data. */
    arena_free(a);
    if (rc) {
        return ibc_fail(err, IBC_EPERM, "not allowed to see this person");
    }
    return 0;
}

/* The scope decision for a class as the subject of a route: 0 when the
 * caller is its class teacher (SCOPE_CLASS) or staff of the school
 * (SCOPE_SCHOOL); IBC_ENOTFOUND for a class not of the caller's school;
 * IBC_EPERM otherwise. */
static int auth_scope_class(struct db *db, const struct auth_user *u,
                            unsigned scope, int64_t class_id,
                            struct ibc_error *err)
{
    if (!u) {
        return ibc_fail(err, IBC_EAUTH, "sign in first");
    }
    struct arena *a = arena_new();
    struct school_class c;
    int rc = class_get(db, a, u->org_id, class_id, &c, err);
    arena_free(a);
    if (rc) {
        return rc == IBC_ENOTFOUND
                   ? ibc_fail(err, IBC_ENOTFOUND, "no such class")
                   : rc;
    }
    if ((scope & SCOPE_CLASS) && c.teacher_id == u->person_id) {
        return 0;
    }
    if ((scope & SCOPE_SCHOOL) && (u->roles & STAFF)) {
        return 0;
    }
    return ibc_fail(err, IBC_EPERM, "not allowed to see this class");
}

int auth_route_scope(struct req *req)
{
    const struct route *r = req->route;
    if (!r || r->subject == ROUTE_SUBJECT_NONE) {
        return 0;
    }
    int64_t id;
    if (!str_to_i64(req_path_arg(req, "id"), &id) || id <= 0) {
        return ibc_fail(&req->err, IBC_ENOTFOUND, "no such person");
    }
    int rc = 0;
    switch (r->subject) {
    case ROUTE_SUBJECT_PERSON:
        rc = auth_scope_person(req->db, req->user, r->scope, id, &req->err);
        break;
    case ROUTE_SUBJECT_CLASS:
        rc = auth_scope_class(req->db, req->user, r->scope, id, &req->err);
        break;
    case ROUTE_SUBJECT_NONE:
        break;
    }
    if (rc == IBC_ENOTFOUND || rc == IBC_EPERM) {
        /* the page says it in the visitor's language, nothing more */
        ibc_error_clear(&req->err);
    }
    return rc;
}
