/* ibc — the route table: every URL, its handler, who may call it and how.
 *
 * This is the one place where access is declared (STYLE.md rule 14): a
 * reviewer reads this table to know who can reach what. Rows are matched in
 * order; "{name}" matches one path segment; ROUTE_PREFIX matches the path
 * and everything below it. Every POST route carries ROUTE_CSRF. Rows use
 * designated initializers: a field left out is 0 (no flags, the default
 * CSP, SCOPE_NONE, no subject), so new fields never break a row. A route
 * whose {id} names a person declares .subject = ROUTE_SUBJECT_PERSON and
 * the .scope bits through which a caller may reach that person
 * (src/auth/perm.c decides). */
#include "app/routes.h"

#include "auth/auth.h"
#include "home/home.h"
#include "jobs/jobs.h"
#include "privacy/privacy.h"
#include "web/prefs.h"

const struct route app_routes[] = {
    {.method = "GET", .pattern = "/", .handler = home_page,
     .perm = PERM_PUBLIC},
    {.method = "GET", .pattern = "/news", .handler = news_index_page,
     .perm = PERM_PUBLIC},
    {.method = "GET", .pattern = "/news/{id}", .handler = news_item_page,
     .perm = PERM_PUBLIC},
    {.method = "GET", .pattern = "/prefs", .handler = prefs_page,
     .perm = PERM_PUBLIC},
    {.method = "POST", .pattern = "/prefs", .handler = prefs_save,
     .perm = PERM_PUBLIC, .flags = ROUTE_CSRF},
    /* Sign-in and the password (src/auth/auth_pages.c). A person whose
     * password must change may open only ROUTE_PW_PENDING routes. */
    {.method = "GET", .pattern = "/signin", .handler = auth_signin_page,
     .perm = PERM_PUBLIC},
    {.method = "POST", .pattern = "/signin", .handler = auth_signin_post,
     .perm = PERM_PUBLIC, .flags = ROUTE_CSRF},
    {.method = "POST", .pattern = "/signout", .handler = auth_signout_post,
     .perm = PERM_SIGNED_IN, .flags = ROUTE_CSRF | ROUTE_PW_PENDING},
    {.method = "GET", .pattern = "/password", .handler = auth_password_page,
     .perm = PERM_SIGNED_IN, .flags = ROUTE_PW_PENDING},
    {.method = "POST", .pattern = "/password", .handler = auth_password_post,
     .perm = PERM_SIGNED_IN, .flags = ROUTE_CSRF | ROUTE_PW_PENDING},
    {.method = "GET", .pattern = "/api/v1/me", .handler = auth_me_api,
     .perm = PERM_SIGNED_IN, .flags = ROUTE_JSON},
    /* A person's card: oneself, a parent's child, a class teacher's
     * pupil, anyone of the school for staff. */
    {.method = "GET", .pattern = "/people/{id}", .handler = auth_person_page,
     .perm = PERM_SIGNED_IN, .subject = ROUTE_SUBJECT_PERSON,
     .scope = SCOPE_OWN | SCOPE_CHILD | SCOPE_CLASS | SCOPE_SCHOOL},
    /* Privacy (src/privacy/privacy_pages.c): the policy is public, its
     * text is the administrator's; the audit log is read by the head and
     * the administrator; consents are recorded by staff. */
    {.method = "GET", .pattern = "/privacy", .handler = privacy_policy_page,
     .perm = PERM_PUBLIC},
    {.method = "GET", .pattern = "/privacy/edit",
     .handler = privacy_policy_edit_page, .perm = PERM_ADMIN},
    {.method = "POST", .pattern = "/privacy/edit",
     .handler = privacy_policy_save, .perm = PERM_ADMIN, .flags = ROUTE_CSRF},
    {.method = "GET", .pattern = "/audit", .handler = audit_page,
     .perm = PERM_HEAD},
    {.method = "GET", .pattern = "/audit.csv", .handler = audit_csv_page,
     .perm = PERM_HEAD},
    {.method = "GET", .pattern = "/people/{id}/consents",
     .handler = consent_page, .perm = PERM_STAFF,
     .subject = ROUTE_SUBJECT_PERSON, .scope = SCOPE_SCHOOL},
    {.method = "POST", .pattern = "/people/{id}/consents",
     .handler = consent_post, .perm = PERM_STAFF, .flags = ROUTE_CSRF,
     .subject = ROUTE_SUBJECT_PERSON, .scope = SCOPE_SCHOOL},
    /* Staff poll the progress of imports and reports. */
    {.method = "GET", .pattern = "/api/jobs/{id}", .handler = jobs_status_api,
     .perm = PERM_STAFF, .flags = ROUTE_JSON},
    {.method = "GET", .pattern = "/static/", .handler = http_static,
     .perm = PERM_PUBLIC, .flags = ROUTE_PREFIX | ROUTE_NO_DB | ROUTE_PW_PENDING},
};

const size_t app_routes_n = sizeof(app_routes) / sizeof(app_routes[0]);
