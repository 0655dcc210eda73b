/* ibc — `ibc backup FILE` and `ibc restore FILE`: the command-line doors
 * to src/backup/ (archive format and checks are described in backup.h). */
#include <stdio.h>
#include <stdlib.h>

#include "backup/backup.h"
#include "cli/cli.h"

int cmd_backup(struct cli *c)
{
    bool encrypt = cli_flag(c, "--encrypt");
    const char *key_file = cli_opt(c, "--key-file");
    if (cli_finish_opts(c) != 1) {
        return cli_usage_error(c, "backup takes one FILE");
    }
    if (key_file && !encrypt) {
        return cli_usage_error(c, "--key-file goes with --encrypt");
    }
    struct ibc_error err = IBC_ERROR_INIT;
    char *pass = NULL;
    if (encrypt) {
        if (backup_passphrase(key_file, &pass, &err)) {
            return cli_error(&err);
        }
        if (!pass) {
            return cli_usage_error(c, "--encrypt needs a passphrase: set "
                                      "IBC_BACKUP_PASSPHRASE or give "
                                      "--key-file FILE");
        }
    }
    struct app app;
    int status = 0;
    if (app_open(&app, &c->cfg, &err)) {
        status = cli_error(&err);
    } else {
        struct backup_opts opts = {.passphrase = pass};
        if (backup_write(app.db_url, c->argv[0], &opts, &err)) {
            status = cli_error(&err);
        } else if (!c->cfg.quiet) {
            printf("backup written to %s%s\n", c->argv[0],
                   pass ? " (encrypted)" : "");
        }
    }
    app_close(&app);
    backup_passphrase_free(pass);
    return status;
}

int cmd_restore(struct cli *c)
{
    const char *key_file = cli_opt(c, "--key-file");
    if (cli_finish_opts(c) != 1) {
        return cli_usage_error(c, "restore takes one FILE");
    }
    struct ibc_error err = IBC_ERROR_INIT;
    char *pass = NULL;
    if (backup_passphrase(key_file, &pass, &err)) {
        return cli_error(&err);
    }
    struct app app;
    int status = 0;
    if (app_open(&app, &c->cfg, &err)) {
        status = cli_error(&err);
    } else {
        struct backup_opts opts = {.passphrase = pass};
        struct backup_info info;
        if (backup_restore(app.db_url, c->argv[0], &opts, &info, &err)) {
            status = cli_error(&err);
        } else if (!c->cfg.quiet) {
            printf("restored %s: %s database, schema %d, made %s by ibc %s\n"
                   "%d pending migration%s applied; every session and API "
                   "token is now invalid\n",
                   c->argv[0], info.backend, info.schema_version,
                   info.created_at, info.ibc_version, info.migrations_run,
                   info.migrations_run == 1 ? "" : "s");
        }
    }
    app_close(&app);
    backup_passphrase_free(pass);
    return status;
}
