/* ibc — the route table: every URL, its handler, who may call it and how.
 *
 * This is the one place where access is declared (STYLE.md rule 14): a
 * reviewer reads this table to know who can reach what. Rows are matched in
 * order; "{name}" matches one path segment; ROUTE_PREFIX matches the path
 * and everything below it. Every POST route carries ROUTE_CSRF. */
#include "app/routes.h"

#include "home/home.h"
#include "jobs/jobs.h"
#include "web/prefs.h"

const struct route app_routes[] = {
    /* method  pattern        handler          permission   flags  csp */
    {"GET", "/", home_page, PERM_PUBLIC, 0, NULL},
    {"GET", "/news", news_index_page, PERM_PUBLIC, 0, NULL},
    {"GET", "/news/{id}", news_item_page, PERM_PUBLIC, 0, NULL},
    {"GET", "/prefs", prefs_page, PERM_PUBLIC, 0, NULL},
    {"POST", "/prefs", prefs_save, PERM_PUBLIC, ROUTE_CSRF, NULL},
    /* Staff poll the progress of imports and reports; PERM_ADMIN until the
     * people issue brings the staff roles. */
    {"GET", "/api/jobs/{id}", jobs_status_api, PERM_ADMIN, ROUTE_JSON, NULL},
    {"GET", "/static/", http_static, PERM_PUBLIC,
     ROUTE_PREFIX | ROUTE_NO_DB, NULL},
};

const size_t app_routes_n = sizeof(app_routes) / sizeof(app_routes[0]);
