/* ibc — the command line: one table of commands, noun first.
 *
 * main() hands argv to cli_main(), which takes the options every command
 * shares (--data, --db, --org, --quiet, --verbose) wherever they stand, finds
 * the command (one or two words: "serve", "db migrate") in the table in
 * cli.c, and runs it. A command reads its own options with cli_opt() and
 * cli_flag(); cli_finish_opts() then refuses anything left over. */
#ifndef IBC_CLI_CLI_H
#define IBC_CLI_CLI_H

#include <stdbool.h>

#include "app/app.h"

struct cli {
    int argc;              /* remaining arguments (options and positionals) */
    char **argv;           /* owned array of borrowed strings */
    struct app_config cfg; /* filled with defaults + shared options */
    const char *name;      /* the command's full name, "db migrate" */
};

typedef int (*cli_fn)(struct cli *c);

enum { CLI_HIDDEN = 1u << 0 }; /* test commands: not in `ibc help` */

struct cli_cmd {
    const char *name;    /* "serve", "db migrate" */
    cli_fn fn;
    unsigned flags;
    const char *summary; /* one line for `ibc help` */
    const char *usage;   /* the rest of `ibc help NAME` */
};

int cli_main(int argc, char **argv);

/* Takes "--name VALUE" or "--name=VALUE"; NULL when absent. Exits with a
 * usage error (status 2) when the value is missing. */
const char *cli_opt(struct cli *c, const char *name);
bool cli_flag(struct cli *c, const char *name);
/* Integer option within [min,max]; def when absent; exits 2 on junk. */
int cli_opt_int(struct cli *c, const char *name, int def, int min, int max);
/* Refuses leftover --options; returns the number of positionals left. */
int cli_finish_opts(struct cli *c);
/* Prints "ibc: message" to stderr; returns exit status 1 (or 2 for usage). */
int cli_error(const struct ibc_error *err);
int cli_usage_error(struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Commands (cmd_*.c). */
int cmd_serve(struct cli *c);
int cmd_db_migrate(struct cli *c);
int cmd_db_status(struct cli *c);
int cmd_demo(struct cli *c);
int cmd_version(struct cli *c);
int cmd_backup(struct cli *c);
int cmd_restore(struct cli *c);
int cmd_test_http(struct cli *c);
int cmd_test_render(struct cli *c);
int cmd_test_collate(struct cli *c);
int cmd_user_token(struct cli *c);  /* cmd_token.c */
int cmd_test_routes(struct cli *c);
int cmd_user_add(struct cli *c);
int cmd_user_passwd(struct cli *c);
int cmd_user_list(struct cli *c);
int cmd_org_add(struct cli *c);
int cmd_org_list(struct cli *c);

#endif
