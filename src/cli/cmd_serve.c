/* ibc — `ibc serve`: the web server.
 *
 * Start-up order: block SIGTERM/SIGINT (before any thread exists, so every
 * thread inherits the mask and only sigwait() below receives them); open
 * the app; bring the schema up to date on one connection (refusing a newer
 * or altered schema); seed the demo with --demo; open the connection pool
 * (one per HTTP worker); start background jobs and the mail outbox; start
 * the HTTP server; print the one line that says where it serves (the
 * end-to-end tests read the port from it). Then wait for a signal and stop
 * gracefully: no new connections, requests in flight finish, jobs stop,
 * everything is freed, exit status 0. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "db/db.h"
#include "db/migrate.h"
#include "demo/demo.h"
#include "http/http.h"
#include "jobs/jobs.h"
#include "backup/backup.h"
#include "mail/outbox.h"
#include "privacy/privacy.h"

#define STOP_GRACE_MS 10000

/* Migrates the database and seeds the demo on a connection of its own. */
static int prepare_db(struct app *app, bool demo, struct ibc_error *err)
{
    struct db *db = NULL;
    int rc = app_db_open(app, &db, err);
    if (rc) {
        return rc;
    }
    rc = migrate_check(db, err);
    if (rc == IBC_ECONFLICT) {
        char why[sizeof(err->msg)];
        snprintf(why, sizeof(why), "%s", err->msg);
        ibc_fail(err, IBC_ECONFLICT,
                 "refusing to start: the database schema is newer than this "
                 "ibc or was altered (%s). Run the ibc that made it, or "
                 "restore a backup; see `ibc db status`.", why);
    } else if (rc == 0 || rc == IBC_EUNAVAIL) {
        int n = 0;
        rc = migrate_apply(db, &n, err);
        if (rc == 0 && n > 0) {
            log_info("%d migration%s applied", n, n == 1 ? "" : "s");
        }
    }
    if (rc == 0 && demo) {
        bool created = false;
        rc = demo_seed(db, &created, err);
        if (rc == 0 && created) {
            log_info("demo school created");
        }
    }
    db_close(db);
    return rc;
}

/* True for an address that only this machine can reach. */
static bool loopback(const char *addr)
{
    return !addr || strcmp(addr, "localhost") == 0 ||
           strcmp(addr, "::1") == 0 || strncmp(addr, "127.", 4) == 0;
}

/* nftw has no user pointer; start-up is single-threaded here. */
static uid_t chown_uid;
static gid_t chown_gid;

static int chown_one(const char *path, const struct stat *st, int type,
                     struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return lchown(path, chown_uid, chown_gid) == 0 ? 0 : -1;
}

/* Started as root, the server gives up root once it holds its port: it
 * makes the data folder the user's own (0700) and switches to that user
 * (--user, default "ibc" when such a user exists). Without root, --user
 * must name the current user or be absent. */
static int drop_privileges(const struct app_config *cfg,
                           struct ibc_error *err)
{
    const char *name = cfg->run_as ? cfg->run_as : "ibc";
    struct passwd *pw = getpwnam(name);
    if (geteuid() != 0) {
        if (cfg->run_as && (!pw || pw->pw_uid != geteuid())) {
            return ibc_fail(err, IBC_EPERM, "--user %s: only root can switch "
                            "to another user", name);
        }
        return 0;
    }
    if (!pw) {
        if (cfg->run_as) {
            return ibc_fail(err, IBC_EINVAL, "--user %s: no such user", name);
        }
        log_warn("running as root: create the system user \"ibc\" (make "
                 "run does) or pass --user so the server gives root up");
        return 0;
    }
    if (pw->pw_uid == 0) {
        return 0;
    }
    chown_uid = pw->pw_uid;
    chown_gid = pw->pw_gid;
    if (nftw(cfg->data_dir, chown_one, 16, FTW_PHYS) != 0 ||
        chmod(cfg->data_dir, 0700) != 0) {
        return ibc_fail(err, IBC_EIO, "cannot give %s to user %s: %s",
                        cfg->data_dir, name, strerror(errno));
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        return ibc_fail(err, IBC_EPERM, "cannot switch to user %s: %s", name,
                        strerror(errno));
    }
    if (setuid(0) == 0) {
        return ibc_fail(err, IBC_EINTERNAL, "root could be regained");
    }
    log_info("running as user %s (data folder %s is its own, 0700)", name,
             cfg->data_dir);
    return 0;
}

int cmd_serve(struct cli *c)
{
    struct app_config *cfg = &c->cfg;
    const char *v;
    if ((v = cli_opt(c, "--listen"))) {
        cfg->listen = v;
    }
    cfg->port = cli_opt_int(c, "--port", cfg->port, 0, 65535);
    cfg->workers = cli_opt_int(c, "--workers", cfg->workers, 1, 256);
    cfg->demo = cli_flag(c, "--demo");
    bool demo_public = cli_flag(c, "--demo-public");
    if ((v = cli_opt(c, "--assets-dir"))) {
        cfg->assets_dir = v;
    }
    if ((v = cli_opt(c, "--trusted"))) {
        cfg->trusted = v;
    }
    cfg->max_conn_per_ip =
        cli_opt_int(c, "--max-conn-per-ip", cfg->max_conn_per_ip, 0, 100000);
    if ((v = cli_opt(c, "--tls-cert"))) {
        cfg->tls_cert = v;
    }
    if ((v = cli_opt(c, "--tls-key"))) {
        cfg->tls_key = v;
    }
    if ((v = cli_opt(c, "--user"))) {
        cfg->run_as = v;
    }
    if ((v = cli_opt(c, "--smtp"))) {
        cfg->smtp_url = v;
    }
    if ((v = cli_opt(c, "--mail-from"))) {
        cfg->mail_from = v;
    }
    if (cli_finish_opts(c)) {
        return cli_usage_error(c, "serve takes no arguments");
    }
    if (cfg->demo && !demo_public && !loopback(cfg->listen)) {
        return cli_usage_error(c, "the demo's passwords are public: --demo "
                                  "listens on loopback only (add "
                                  "--demo-public to serve it on %s anyway)",
                               cfg->listen);
    }
    if (cfg->smtp_url && !outbox_addr_valid(cfg->mail_from)) {
        return cli_usage_error(c, "--smtp needs --mail-from with the sender "
                                  "address, e.g. library@school12.ru");
    }
    struct ibc_error err = IBC_ERROR_INIT;
    struct netacl *acl = NULL;
    if (netacl_parse(&acl, cfg->trusted, &err)) {
        return cli_usage_error(c, "--trusted: %s", err.msg);
    }
    netacl_free(acl);

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct app app;
    struct jobs *jobs = NULL;
    struct http_server *srv = NULL;
    struct outbox_config ocfg;
    struct backup_sched bsched = {0};
    int status = 0;
    if (app_open(&app, cfg, &err) || prepare_db(&app, cfg->demo, &err) ||
        app_pool_open(&app, cfg->workers, &err)) {
        status = cli_error(&err);
        goto out;
    }

    struct jobs_config jcfg;
    jobs_config_defaults(&jcfg);
    jcfg.n_workers = cfg->job_workers;
    jobs = jobs_new(app.db_url, &jcfg);
    outbox_config_defaults(&ocfg);
    ocfg.smtp_url = cfg->smtp_url;
    ocfg.mail_from = cfg->mail_from;
    /* Without a relay the sender would only fail every interval: mail
     * waits in the outbox until a server with --smtp runs. */
    int orc = 0;
    if (cfg->smtp_url) {
        orc = outbox_jobs_register(jobs, &ocfg);
    } else {
        log_info("no --smtp: notification mail waits in the outbox");
    }
    if (orc == 0) {
        orc = privacy_jobs_register(jobs);
    }
    bsched = (struct backup_sched){cfg->data_dir, app.db_url, 0};
    if (orc == 0) {
        orc = backup_jobs_register(jobs, &bsched);
    }
    if (orc || jobs_start(jobs, &err) != 0) {
        if (!err.msg[0]) {
            ibc_fail(&err, IBC_EINVAL, "cannot schedule the background "
                     "jobs (mail outbox, retention, backups)");
        }
        status = cli_error(&err);
        goto out;
    }
    app.jobs = jobs;

    if (http_server_start(&srv, &app, &err)) {
        status = cli_error(&err);
        goto out;
    }
    if (drop_privileges(cfg, &err)) {
        status = cli_error(&err);
        goto out;
    }
    printf("ibc %s serving %s (data %s, database %s)\n", app.version,
           http_server_url(srv), cfg->data_dir,
           db_backend_name(app.pool[0]));
    if (cfg->demo) {
        demo_print_logins(stdout, http_server_url(srv));
    }
    fflush(stdout);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {
    }
    log_info("signal %d: stopping", sig);

out:
    http_server_stop(srv, STOP_GRACE_MS);
    jobs_free(jobs);
    app.jobs = NULL;
    app_close(&app);
    http_static_cleanup();
    return status;
}
