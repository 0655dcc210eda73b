/* ibc — the command table and the shared option parsing; see cli.h. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/str.h"
#include "core/xalloc.h"

static int cmd_help(struct cli *c);

#define SHARED_OPTS                                                            \
    "Options every command takes:\n"                                           \
    "  --data DIR     the data folder (default $IBC_DATA or ./data)\n"         \
    "  --db URL       the database: sqlite:FILE or postgresql://… (default:\n" \
    "                 the SQLite file ibc.db in the data folder)\n"            \
    "  --org CODE     the school, where a database holds several\n"            \
    "  --quiet        no access log / progress output\n"                       \
    "  --verbose      debug logging\n"

/* The one table of commands. Order is the order of `ibc help`. */
static const struct cli_cmd commands[] = {
    {"serve", cmd_serve, 0, "serve the web interface",
     "ibc serve [--listen ADDR] [--port N] [--workers N] [--demo]\n"
     "          [--assets-dir DIR] [--trusted CIDR,…] [--max-conn-per-ip N]\n"
     "          [--tls-cert PEM --tls-key PEM] [--user NAME]\n"
     "          [--smtp URL] [--mail-from ADDR]\n\n"
     "Serves ibc over HTTP (default http://127.0.0.1:8080). Applies pending\n"
     "migrations to a new SQLite database; refuses to start on a database\n"
     "whose schema is newer than this program or was altered.\n\n"
     "  --listen ADDR        address to listen on (default 127.0.0.1; :: or\n"
     "                       0.0.0.0 for the school network)\n"
     "  --port N             TCP port (default 8080; 0 picks a free one and\n"
     "                       prints it)\n"
     "  --workers N          HTTP worker threads = database connections\n"
     "                       (default 4)\n"
     "  --demo               create the demo school if the database is empty;\n"
     "                       its accounts (public passwords) sign in only\n"
     "                       while --demo is given, on loopback only\n"
     "  --demo-public        allow --demo on a non-loopback --listen\n"
     "  --assets-dir DIR     read templates and static files from DIR (the\n"
     "                       source tree) instead of the embedded copies\n"
     "  --trusted CIDR,…     peers exempt from the per-address connection\n"
     "                       limit whose X-Forwarded-For is believed (default:\n"
     "                       loopback and private networks)\n"
     "  --max-conn-per-ip N  connections per untrusted address (default 32)\n"
     "  --tls-cert PEM       serve HTTPS with this certificate (chain)\n"
     "  --tls-key PEM        … and this private key (both needed)\n"
     "  --user NAME          started as root, switch to this user after\n"
     "                       binding (default: ibc, when it exists); the\n"
     "                       data folder becomes its own, mode 0700\n"
     "  --smtp URL           smtp://host:port for notification mail\n"
     "  --mail-from ADDR     sender address of notification mail\n"},
    {"db migrate", cmd_db_migrate, 0, "apply pending database migrations",
     "ibc db migrate\n\nApplies every pending migration, each in its own "
     "transaction.\n"},
    {"db status", cmd_db_status, 0, "list migrations and their state",
     "ibc db status\n\nLists every migration: applied, pending, altered or "
     "unknown.\nExit status 0 when the schema is current, 1 otherwise.\n"},
    {"demo", cmd_demo, 0, "create the demo school",
     "ibc demo\n\nMigrates the database and creates the demo school "
     "(code demo)\nwith its news, unless it exists already.\n"},
    {"user add", cmd_user_add, 0, "create an account of the school",
     "ibc user add LOGIN --name \"Фамилия Имя [Отчество]\" --role ROLE[,ROLE…]\n"
     "             [--class 5А] [--birth YYYY-MM-DD] [--email ADDR]\n"
     "             [--password PW]\n\n"
     "Creates an account. Roles: student, teacher, class_teacher, librarian,\n"
     "head, parent, admin, coordinator; a student needs --class. Without\n"
     "--password a one-time password is generated and printed; it must be\n"
     "changed at the first sign-in.\n"},
    {"user passwd", cmd_user_passwd, 0, "set a new password for an account",
     "ibc user passwd LOGIN [--password PW]\n\n"
     "Sets a new password (generated and printed when not given), to be\n"
     "changed at the next sign-in.\n"},
    {"user list", cmd_user_list, 0, "list the school's accounts",
     "ibc user list [--role ROLE[,ROLE…]] [--class 5А]\n\n"
     "Lists accounts (login, name, roles, class) by class, then in Russian\n"
     "alphabetical order; --role keeps those with any of the roles given.\n"},
    {"org add", cmd_org_add, 0, "create a school",
     "ibc org add CODE --name NAME --short-name NAME [--city CITY]\n\n"
     "Creates a school. CODE is 2–32 latin letters, digits and '-'.\n"},
    {"org list", cmd_org_list, 0, "list the schools of the database",
     "ibc org list\n"},
    {"version", cmd_version, 0, "print the version",
     "ibc version\n\nPrints the version and the versions of the libraries "
     "in use.\n"},
    {"backup", cmd_backup, 0, "write a backup archive of the database",
     "ibc backup FILE [--encrypt [--key-file KEYFILE]]\n\n"
     "Writes one archive (tar: manifest.json with SHA-256 of every member,\n"
     "then the database dump), 0600, atomically. Safe while the server\n"
     "runs. --encrypt encrypts it with the passphrase from\n"
     "$IBC_BACKUP_PASSPHRASE or the first line of KEYFILE.\n"},
    {"restore", cmd_restore, 0, "restore a backup archive (server stopped)",
     "ibc restore FILE [--key-file KEYFILE]\n\n"
     "Checks the archive (hashes, backend, schema version) and only then\n"
     "replaces the database, applies pending migrations and invalidates\n"
     "every session and API token. Stop `ibc serve` first. An encrypted\n"
     "backup needs $IBC_BACKUP_PASSPHRASE or --key-file.\n"},
    {"user token", cmd_user_token, 0, "make, list or revoke API tokens",
     "ibc user token LOGIN [--scope read|write] [--name NAME]\n"
     "ibc user token LOGIN --list\n"
     "ibc user token LOGIN --revoke ID\n\n"
     "Makes a new API token for the person with this login and prints it\n"
     "once (only its hash is kept). Scripts send it as\n"
     "\"Authorization: Bearer TOKEN\", never in a URL. A read token (the\n"
     "default) may only read (GET); a write token may do whatever the\n"
     "person may. --list shows the person's tokens with their last use;\n"
     "--revoke ID ends one at once (its requests then get 401).\n"},
    {"help", cmd_help, 0, "show help for a command", "ibc help [COMMAND]\n"},
    {"test-http", cmd_test_http, CLI_HIDDEN,
     "run one raw HTTP request from stdin through the whole stack",
     "ibc test-http [--demo] < request.txt\n\nReads one HTTP/1.1 request "
     "from stdin, runs it through routing,\npermissions, the handler and the "
     "response filters, and prints\nthe raw response on stdout.\n"},
    {"test-render", cmd_test_render, CLI_HIDDEN,
     "render a template with a JSON-free test view model",
     "ibc test-render NAME [key=value…]\n"},
    {"test-routes", cmd_test_routes, CLI_HIDDEN,
     "print the route table: method, pattern, permission, scope",
     "ibc test-routes\n"},
    {"test-collate", cmd_test_collate, CLI_HIDDEN,
     "sort lines of stdin in Russian order",
     "ibc test-collate < words.txt\n"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void remove_arg(struct cli *c, int i, int n)
{
    memmove(c->argv + i, c->argv + i + n,
            (size_t)(c->argc - i - n) * sizeof(*c->argv));
    c->argc -= n;
}

int cli_usage_error(struct cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ibc: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (c && c->name) {
        fprintf(stderr, "Try: ibc help %s\n", c->name);
    }
    return 2;
}

const char *cli_opt(struct cli *c, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (strcmp(a, "--") == 0) {
            break;
        }
        if (strcmp(a, name) == 0) {
            if (i + 1 >= c->argc) {
                exit(cli_usage_error(c, "option %s needs a value", name));
            }
            const char *v = c->argv[i + 1];
            remove_arg(c, i, 2);
            return v;
        }
        if (strncmp(a, name, n) == 0 && a[n] == '=') {
            remove_arg(c, i, 1);
            return a + n + 1;
        }
    }
    return NULL;
}

bool cli_flag(struct cli *c, const char *name)
{
    for (int i = 0; i < c->argc; i++) {
        if (strcmp(c->argv[i], "--") == 0) {
            break;
        }
        if (strcmp(c->argv[i], name) == 0) {
            remove_arg(c, i, 1);
            return true;
        }
    }
    return false;
}

int cli_opt_int(struct cli *c, const char *name, int def, int min, int max)
{
    const char *v = cli_opt(c, name);
    if (!v) {
        return def;
    }
    int64_t n;
    if (!str_to_i64(v, &n) || n < min || n > max) {
        exit(cli_usage_error(c, "%s wants a number from %d to %d, not \"%s\"",
                             name, min, max, v));
    }
    return (int)n;
}

int cli_finish_opts(struct cli *c)
{
    for (int i = 0; i < c->argc; i++) {
        if (strcmp(c->argv[i], "--") == 0) {
            remove_arg(c, i, 1);
            break;
        }
        if (c->argv[i][0] == '-' && c->argv[i][1]) {
            exit(cli_usage_error(c, "unknown option %s", c->argv[i]));
        }
    }
    return c->argc;
}

int cli_error(const struct ibc_error *err)
{
    fprintf(stderr, "ibc: %s\n", err->msg[0] ? err->msg : ibc_err_name(err->code));
    return 1;
}

static const struct cli_cmd *find(const char *w1, const char *w2, int *words)
{
    char two[128];
    if (w2) {
        snprintf(two, sizeof(two), "%s %s", w1, w2);
        for (size_t i = 0; i < N_COMMANDS; i++) {
            if (strcmp(commands[i].name, two) == 0) {
                *words = 2;
                return &commands[i];
            }
        }
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, w1) == 0) {
            *words = 1;
            return &commands[i];
        }
    }
    return NULL;
}

static void print_overview(FILE *f)
{
    fprintf(f, "ibc %s — the school's digital information-library centre\n\n"
               "Usage: ibc COMMAND [OPTIONS]\n\nCommands:\n",
            IBC_VERSION);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (!(commands[i].flags & CLI_HIDDEN)) {
            fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
        }
    }
    fprintf(f, "\n" SHARED_OPTS "\nibc help COMMAND tells more; man ibc "
               "tells all.\n");
}

static int cmd_help(struct cli *c)
{
    cli_finish_opts(c);
    if (c->argc == 0) {
        print_overview(stdout);
        return 0;
    }
    int words = 0;
    const struct cli_cmd *cmd =
        find(c->argv[0], c->argc > 1 ? c->argv[1] : NULL, &words);
    if (!cmd) {
        fprintf(stderr, "ibc: no command \"%s\"\n", c->argv[0]);
        return 2;
    }
    printf("%s — %s\n\nUsage: %s\n" SHARED_OPTS, cmd->name, cmd->summary,
           cmd->usage);
    return 0;
}

int cli_main(int argc, char **argv)
{
    struct cli c = {0};
    c.argc = argc - 1;
    c.argv = xcalloc((size_t)argc + 1, sizeof(char *));
    for (int i = 1; i < argc; i++) {
        c.argv[i - 1] = argv[i];
    }
    app_config_defaults(&c.cfg);

    /* Shared options may stand before or after the command words. */
    const char *v;
    if ((v = cli_opt(&c, "--data"))) {
        c.cfg.data_dir = v;
    }
    if ((v = cli_opt(&c, "--db"))) {
        c.cfg.db_url = v;
    }
    if ((v = cli_opt(&c, "--org"))) {
        c.cfg.org_code = v;
    }
    if (cli_flag(&c, "--quiet")) {
        c.cfg.quiet = true;
        log_set_level(LOG_WARN);
    }
    if (cli_flag(&c, "--verbose")) {
        log_set_level(LOG_DEBUG);
    }
    bool want_help = cli_flag(&c, "--help") || cli_flag(&c, "-h");

    int status;
    if (c.argc == 0 || c.argv[0][0] == '-') {
        if (c.argc && (strcmp(c.argv[0], "--version") == 0)) {
            status = cmd_version(&c);
        } else {
            print_overview(c.argc || want_help ? stdout : stderr);
            status = c.argc || want_help ? 0 : 2;
        }
        free(c.argv);
        return status;
    }
    int words = 0;
    const struct cli_cmd *cmd =
        find(c.argv[0], c.argc > 1 ? c.argv[1] : NULL, &words);
    if (!cmd) {
        fprintf(stderr, "ibc: no command \"%s\". Try: ibc help\n", c.argv[0]);
        free(c.argv);
        return 2;
    }
    remove_arg(&c, 0, words);
    c.name = cmd->name;
    if (want_help) {
        c.argc = 0;
        const char *w[2] = {NULL, NULL};
        char buf[128];
        str_copy(buf, cmd->name, sizeof(buf));
        char *sp = strchr(buf, ' ');
        w[0] = buf;
        if (sp) {
            *sp = '\0';
            w[1] = sp + 1;
        }
        c.argv[0] = (char *)w[0];
        c.argc = 1;
        if (w[1]) {
            c.argv[1] = (char *)w[1];
            c.argc = 2;
        }
        status = cmd_help(&c);
    } else {
        status = cmd->fn(&c);
    }
    free(c.argv);
    return status;
}
