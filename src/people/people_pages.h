/* ibc — the pages that manage the school's people (route handlers).
 *
 * people_pages.c: the list of people and a person's account (staff), new
 * people, roles (administrator), one-time passwords (librarian).
 * class_pages.c: classes, a class's pupils, the login slips of a class.
 * register_pages.c: a parent's registration with the code from a slip,
 * linking another child, a parent's children.
 * org_pages.c: the schools of the database.
 * Every handler is reached through the route table (src/app/routes.c),
 * which has checked the permission, the scope of {id} and CSRF first.
 * Every staff action and every view of a person's data is audited
 * (privacy/privacy.h: audit_req). */
#ifndef IBC_PEOPLE_PEOPLE_PAGES_H
#define IBC_PEOPLE_PEOPLE_PAGES_H

#include "http/http.h"

/* people_pages.c */
int people_list_page(struct req *req);      /* GET /people */
int people_new_page(struct req *req);       /* GET /people/new */
int people_new_post(struct req *req);       /* POST /people/new */
int people_account_page(struct req *req);   /* GET /people/{id}/account */
int people_roles_post(struct req *req);     /* POST /people/{id}/roles */
int people_password_post(struct req *req);  /* POST /people/{id}/password */

/* class_pages.c */
int classes_list_page(struct req *req);     /* GET /classes */
int classes_new_page(struct req *req);      /* GET /classes/new */
int classes_new_post(struct req *req);      /* POST /classes/new */
int classes_show_page(struct req *req);     /* GET /classes/{id} */
int classes_slips_page(struct req *req);    /* GET /classes/{id}/slips */
int classes_slips_post(struct req *req);    /* POST /classes/{id}/slips */

/* register_pages.c */
int register_page(struct req *req);         /* GET /register */
int register_post(struct req *req);         /* POST /register */
int children_page(struct req *req);         /* GET /children */
int children_link_page(struct req *req);    /* GET /children/link */
int children_link_post(struct req *req);    /* POST /children/link */

/* org_pages.c */
int orgs_list_page(struct req *req);        /* GET /orgs */
int orgs_new_page(struct req *req);         /* GET /orgs/new */
int orgs_new_post(struct req *req);         /* POST /orgs/new */

/* Shared by the pages of this folder (people_pages.c). */
struct person;
struct tpl_vm;
/* "Фамилия Имя Отчество" of p (arena of req). */
const char *people_full_name(struct req *req, const struct person *p);
/* The {id} path argument as a positive id; 0 when malformed. */
int64_t people_path_id(struct req *req);
/* Sets errors.<field> = msg and has_errors on vm. */
void people_field_error(struct tpl_vm *vm, const char *field,
                        const char *msg);
/* The words for a store's field error: the message people.err_<field>
 * (or people.err_<field>_taken for IBC_ECONFLICT) when the catalogue has
 * it, else the store's own message. */
const char *people_err_msg(struct req *req, int rc,
                           const struct ibc_error *e);
/* A Content-Disposition value for an attachment named name (UTF-8):
 * filename="<ascii_fallback>"; filename*=UTF-8''<percent-encoded name>
 * (RFC 6266). Arena of req. */
const char *people_attachment(struct req *req, const char *ascii_fallback,
                              const char *name);

#endif
