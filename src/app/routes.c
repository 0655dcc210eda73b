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
#include "people/people_pages.h"
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
    /* A forgotten password (src/auth/reset_pages.c): an adult asks for a
     * link by e-mail; the link sets a new password. Public: the link is
     * the credential. */
    {.method = "GET", .pattern = "/reset", .handler = reset_request_page,
     .perm = PERM_PUBLIC},
    {.method = "POST", .pattern = "/reset", .handler = reset_request_post,
     .perm = PERM_PUBLIC, .flags = ROUTE_CSRF},
    {.method = "GET", .pattern = "/reset/{token}", .handler = reset_form_page,
     .perm = PERM_PUBLIC},
    {.method = "POST", .pattern = "/reset/{token}",
     .handler = reset_form_post, .perm = PERM_PUBLIC, .flags = ROUTE_CSRF},
    /* The second factor (src/auth/totp.c): the code after the password,
     * for a browser holding a pending sign-in (not signed in until then);
     * staff turn TOTP on and off for themselves. */
    {.method = "GET", .pattern = "/signin/code", .handler = auth_code_page,
     .perm = PERM_PUBLIC},
    {.method = "POST", .pattern = "/signin/code", .handler = auth_code_post,
     .perm = PERM_PUBLIC, .flags = ROUTE_CSRF},
    {.method = "GET", .pattern = "/account/2fa", .handler = totp_account_page,
     .perm = PERM_STAFF},
    {.method = "POST", .pattern = "/account/2fa",
     .handler = totp_account_post, .perm = PERM_STAFF, .flags = ROUTE_CSRF},
    {.method = "POST", .pattern = "/signout", .handler = auth_signout_post,
     .perm = PERM_SIGNED_IN, .flags = ROUTE_CSRF | ROUTE_PW_PENDING},
    {.method = "GET", .pattern = "/password", .handler = auth_password_page,
     .perm = PERM_SIGNED_IN, .flags = ROUTE_PW_PENDING},
    {.method = "POST", .pattern = "/password", .handler = auth_password_post,
     .perm = PERM_SIGNED_IN, .flags = ROUTE_CSRF | ROUTE_PW_PENDING},
    {.method = "GET", .pattern = "/api/v1/me", .handler = auth_me_api,
     .perm = PERM_SIGNED_IN, .flags = ROUTE_JSON},
    /* The school's people (src/people/people_pages.c): the list for
     * staff; new people, one-time passwords by the librarian; roles by
     * the administrator. /people/new precedes /people/{id}. */
    {.method = "GET", .pattern = "/people", .handler = people_list_page,
     .perm = PERM_STAFF},
    {.method = "GET", .pattern = "/people/new", .handler = people_new_page,
     .perm = PERM_LIBRARIAN},
    {.method = "POST", .pattern = "/people/new", .handler = people_new_post,
     .perm = PERM_LIBRARIAN, .flags = ROUTE_CSRF},
    {.method = "GET", .pattern = "/people/{id}/account",
     .handler = people_account_page, .perm = PERM_STAFF,
     .subject = ROUTE_SUBJECT_PERSON, .scope = SCOPE_SCHOOL},
    {.method = "POST", .pattern = "/people/{id}/roles",
     .handler = people_roles_post, .perm = PERM_ADMIN, .flags = ROUTE_CSRF,
     .subject = ROUTE_SUBJECT_PERSON, .scope = SCOPE_SCHOOL},
    {.method = "POST", .pattern = "/people/{id}/password",
     .handler = people_password_post, .perm = PERM_LIBRARIAN,
     .flags = ROUTE_CSRF, .subject = ROUTE_SUBJECT_PERSON,
     .scope = SCOPE_SCHOOL},
    /* Classes (src/people/class_pages.c): a class's pupils for staff and
     * its class teacher; login slips by the librarian. */
    {.method = "GET", .pattern = "/classes", .handler = classes_list_page,
     .perm = PERM_STAFF},
    {.method = "GET", .pattern = "/classes/new", .handler = classes_new_page,
     .perm = PERM_LIBRARIAN},
    {.method = "POST", .pattern = "/classes/new", .handler = classes_new_post,
     .perm = PERM_LIBRARIAN, .flags = ROUTE_CSRF},
    {.method = "GET", .pattern = "/classes/{id}", .handler = classes_show_page,
     .perm = PERM_SIGNED_IN, .subject = ROUTE_SUBJECT_CLASS,
     .scope = SCOPE_CLASS | SCOPE_SCHOOL},
    {.method = "GET", .pattern = "/classes/{id}/slips",
     .handler = classes_slips_page, .perm = PERM_LIBRARIAN,
     .subject = ROUTE_SUBJECT_CLASS, .scope = SCOPE_SCHOOL},
    {.method = "POST", .pattern = "/classes/{id}/slips",
     .handler = classes_slips_post, .perm = PERM_LIBRARIAN,
     .flags = ROUTE_CSRF, .subject = ROUTE_SUBJECT_CLASS,
     .scope = SCOPE_SCHOOL},
    /* A parent's registration with a child's code and their children
     * (src/people/register_pages.c). */
    {.method = "GET", .pattern = "/register", .handler = register_page,
     .perm = PERM_PUBLIC},
    {.method = "POST", .pattern = "/register", .handler = register_post,
     .perm = PERM_PUBLIC, .flags = ROUTE_CSRF},
    {.method = "GET", .pattern = "/children", .handler = children_page,
     .perm = PERM_SIGNED_IN},
    {.method = "GET", .pattern = "/children/link",
     .handler = children_link_page, .perm = PERM_SIGNED_IN},
    {.method = "POST", .pattern = "/children/link",
     .handler = children_link_post, .perm = PERM_SIGNED_IN,
     .flags = ROUTE_CSRF},
    /* Schools (src/people/org_pages.c): an administrator sees theirs; a
     * new school is the municipal coordinator's. */
    {.method = "GET", .pattern = "/orgs", .handler = orgs_list_page,
     .perm = PERM_ADMIN},
    {.method = "GET", .pattern = "/orgs/new", .handler = orgs_new_page,
     .perm = PERM_COORDINATOR},
    {.method = "POST", .pattern = "/orgs/new", .handler = orgs_new_post,
     .perm = PERM_COORDINATOR, .flags = ROUTE_CSRF},
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
