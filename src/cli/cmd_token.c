/* ibc — `ibc user token`: a person's API tokens; and the hidden
 * `ibc test-routes`, which prints the route table for the access-matrix
 * test (test/e2e/t0410-access-matrix.sh).
 *
 *   ibc user token LOGIN [--scope read|write] [--name NAME]
 *   ibc user token LOGIN --list
 *   ibc user token LOGIN --revoke ID
 *
 * A new token is printed once, on a line of its own; only its hash is
 * kept. The school is --org CODE, else the only (or first) school. */
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "core/str.h"
#include "db/db.h"
#include "db/migrate.h"
#include "org/org.h"
#include "people/people.h"

static int token_run(struct cli *c, struct db *db, struct arena *a,
                     const char *login, const char *scope_s,
                     const char *name, const char *revoke, bool list)
{
    struct ibc_error err = IBC_ERROR_INIT;
    struct org o;
    int rc = c->cfg.org_code
                 ? org_get_by_code(db, a, c->cfg.org_code, &o, &err)
                 : org_get_default(db, a, &o, &err);
    if (rc) {
        return cli_error(&err);
    }
    struct person p;
    if ((rc = person_get_by_login(db, a, o.id, login, &p, &err))) {
        return cli_error(&err);
    }
    if (list) {
        struct api_token *v;
        size_t n;
        if ((rc = token_list(db, a, o.id, p.id, &v, &n, &err))) {
            return cli_error(&err);
        }
        printf("%-6s %-6s %-8s %-21s %-21s %s\n", "ID", "SCOPE", "STATE",
               "CREATED", "LAST USED", "NAME");
        for (size_t i = 0; i < n; i++) {
            printf("%-6lld %-6s %-8s %-21s %-21s %s\n", (long long)v[i].id,
                   token_scope_name(v[i].scope),
                   v[i].revoked_at ? "revoked" : "live", v[i].created_at,
                   v[i].last_used_at ? v[i].last_used_at : "-", v[i].name);
        }
        return 0;
    }
    if (revoke) {
        int64_t id;
        if (!str_to_i64(revoke, &id) || id <= 0) {
            return cli_usage_error(c, "--revoke wants a token number");
        }
        if ((rc = token_revoke(db, o.id, p.id, id, &err))) {
            return cli_error(&err);
        }
        if (!c->cfg.quiet) {
            fprintf(stderr, "token %lld revoked\n", (long long)id);
        }
        return 0;
    }
    int scope = token_scope_parse(scope_s ? scope_s : "read");
    if (scope < 0) {
        return cli_usage_error(c, "--scope is read or write, not \"%s\"",
                               scope_s);
    }
    char tok[AUTH_API_LEN + 1];
    int64_t id = 0;
    if ((rc = token_create(db, o.id, p.id, name ? name : "cli",
                           (enum token_scope)scope, &id, tok, &err))) {
        return cli_error(&err);
    }
    if (!c->cfg.quiet) {
        fprintf(stderr,
                "token %lld (%s) for %s; it is shown only now — keep it "
                "safe:\n",
                (long long)id, token_scope_name((enum token_scope)scope),
                p.login);
    }
    printf("%s\n", tok);
    return 0;
}

int cmd_user_token(struct cli *c)
{
    const char *scope = cli_opt(c, "--scope");
    const char *name = cli_opt(c, "--name");
    const char *revoke = cli_opt(c, "--revoke");
    bool list = cli_flag(c, "--list");
    if (cli_finish_opts(c) != 1) {
        return cli_usage_error(c, "user token wants one LOGIN");
    }
    if ((list ? 1 : 0) + (revoke ? 1 : 0) + (scope || name ? 1 : 0) > 1) {
        return cli_usage_error(
            c, "choose one of: a new token, --list, --revoke ID");
    }
    struct app app;
    struct db *db = NULL;
    struct ibc_error err = IBC_ERROR_INIT;
    int status;
    if (app_open(&app, &c->cfg, &err) || app_db_open(&app, &db, &err) ||
        migrate_apply(db, NULL, &err)) {
        status = cli_error(&err);
    } else {
        struct arena *a = arena_new();
        status = token_run(c, db, a, c->argv[0], scope, name, revoke, list);
        arena_free(a);
    }
    db_close(db);
    app_close(&app);
    return status;
}

int cmd_test_routes(struct cli *c)
{
    if (cli_finish_opts(c)) {
        return cli_usage_error(c, "test-routes takes no arguments");
    }
    struct arena *a = arena_new();
    for (size_t i = 0; i < app_routes_n; i++) {
        const struct route *r = &app_routes[i];
        static const char *subjects[] = {"-", "person", "class"};
        printf("%s %s %s %s %s\n", r->method, r->pattern, perm_name(r->perm),
               scope_names(a, r->scope),
               (size_t)r->subject < sizeof(subjects) / sizeof(subjects[0])
                   ? subjects[r->subject]
                   : "?");
    }
    arena_free(a);
    return 0;
}
