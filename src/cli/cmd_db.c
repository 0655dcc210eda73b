/* ibc — `ibc db migrate`, `ibc db status`, `ibc demo`, `ibc version`:
 * the commands that look after the database, and the version report. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uversion.h>
#include <zlib.h>
#include <curl/curlver.h>
#include <libpq-fe.h>

#include "cli/cli.h"
#include "db/db.h"
#include "db/migrate.h"
#include "demo/demo.h"
#include "http/http.h"

/* Opens the app (data folder) and one connection for a command. */
static int open_db(struct cli *c, struct app *app, struct db **db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    if (app_open(app, &c->cfg, &err) || app_db_open(app, db, &err)) {
        return cli_error(&err);
    }
    return 0;
}

int cmd_db_migrate(struct cli *c)
{
    if (cli_finish_opts(c)) {
        return cli_usage_error(c, "db migrate takes no arguments");
    }
    struct app app;
    struct db *db = NULL;
    int status = open_db(c, &app, &db);
    if (status == 0) {
        struct ibc_error err = IBC_ERROR_INIT;
        int n = 0;
        if (migrate_apply(db, &n, &err)) {
            status = cli_error(&err);
        } else if (!c->cfg.quiet) {
            printf("%s: %d migration%s applied, schema current\n",
                   db_backend_name(db), n, n == 1 ? "" : "s");
        }
    }
    db_close(db);
    app_close(&app);
    return status;
}

int cmd_demo(struct cli *c)
{
    if (cli_finish_opts(c)) {
        return cli_usage_error(c, "demo takes no arguments");
    }
    struct app app;
    struct db *db = NULL;
    int status = open_db(c, &app, &db);
    if (status == 0) {
        struct ibc_error err = IBC_ERROR_INIT;
        int n = 0;
        bool created = false;
        if (migrate_apply(db, &n, &err) || demo_seed(db, &created, &err)) {
            status = cli_error(&err);
        } else {
            printf("%s\n", created ? "demo school created"
                                   : "demo school exists already");
        }
    }
    db_close(db);
    app_close(&app);
    return status;
}

int cmd_version(struct cli *c)
{
    (void)c;
    printf("ibc %s\n", IBC_VERSION);
    printf("  libmicrohttpd %s, SQLite %s, libpq %d, ICU %s,\n"
           "  libsodium %s, libcurl %s, zlib %s\n",
           http_server_lib_version(), sqlite3_libversion(), PQlibVersion(),
           U_ICU_VERSION, sodium_version_string(), LIBCURL_VERSION,
           zlibVersion());
    return 0;
}

/* The URL without its password, for printing. Borrowed static buffer. */
static const char *redact_url(const char *url)
{
    static char out[1100];
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (!at || !colon || colon > at) {
        return url;
    }
    snprintf(out, sizeof(out), "%.*s:***%s", (int)(colon - url), url, at);
    return out;
}

int cmd_db_status(struct cli *c)
{
    if (cli_finish_opts(c)) {
        return cli_usage_error(c, "db status takes no arguments");
    }
    struct app app;
    struct db *db = NULL;
    int status = open_db(c, &app, &db);
    if (status == 0) {
        struct ibc_error err = IBC_ERROR_INIT;
        struct migrate_row *rows = NULL;
        int n = 0;
        if (migrate_status(db, &rows, &n, &err)) {
            status = cli_error(&err);
        } else {
            printf("database: %s (%s)\n", db_backend_name(db),
                   redact_url(app.db_url));
            printf("%-8s %-24s %-8s %s\n", "version", "name", "state",
                   "applied at");
            for (int i = 0; i < n; i++) {
                printf("%04d     %-24s %-8s %s\n", rows[i].version,
                       rows[i].name, migrate_state_name(rows[i].state),
                       rows[i].applied_at);
            }
            if (migrate_check(db, &err)) {
                printf("%s\n", err.msg);
                status = 1;
            } else {
                printf("schema current\n");
            }
        }
        free(rows);
    }
    db_close(db);
    app_close(&app);
    return status;
}
