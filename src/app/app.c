/* ibc — the application context; see app.h.
 *
 * app_open() prepares what every command shares: the data folder (created
 * 0700), the server secret (data/secret, 32 random bytes, 0600), the parsed
 * templates and message catalogues. The database is opened separately so
 * that `ibc version` and `ibc help` never touch it. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "app/app.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/i18n.h"
#include "auth/auth.h"
#include "core/buf.h"
#include "core/embed.h"
#include "core/log.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "db/migrate.h"
#include "tpl/tpl.h"

void app_config_defaults(struct app_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    const char *d = getenv("IBC_DATA");
    cfg->data_dir = (d && *d) ? d : "./data";
    cfg->listen = "127.0.0.1";
    cfg->port = 8080;
    cfg->workers = 4;
    cfg->job_workers = 2;
    cfg->max_conn_per_ip = 32;
    cfg->trusted = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,"
                   "192.168.0.0/16,fc00::/7";
}

/* mkdir -p with mode 0700 for the last component. */
static int make_dirs(const char *path, struct ibc_error *err)
{
    char tmp[1024];
    if (str_copy(tmp, path, sizeof(tmp)) >= sizeof(tmp)) {
        return ibc_fail(err, IBC_EINVAL, "data folder path too long");
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
                return ibc_fail(err, IBC_EIO, "cannot create %s: %s", tmp,
                                strerror(errno));
            }
            *p = '/';
        }
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
        return ibc_fail(err, IBC_EIO, "cannot create %s: %s", tmp,
                        strerror(errno));
    }
    return 0;
}

/* Reads data/secret, creating it with 32 random bytes on first start. */
static int load_secret(struct app *app, struct ibc_error *err)
{
    char path[1100];
    snprintf(path, sizeof(path), "%s/secret", app->cfg.data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, app->secret, sizeof(app->secret));
        close(fd);
        if (n == (ssize_t)sizeof(app->secret)) {
            return 0;
        }
        return ibc_fail(err, IBC_EIO, "%s is damaged: delete it to make a "
                        "new one (everyone will have to sign in again)",
                        path);
    }
    randombytes_buf(app->secret, sizeof(app->secret));
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, app->secret, sizeof(app->secret)) !=
                      (ssize_t)sizeof(app->secret)) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
        }
        return ibc_fail(err, IBC_EIO, "cannot write %s: %s", path,
                        strerror(e));
    }
    close(fd);
    return 0;
}

static const char *msg_lookup(void *ctx, const char *lang, const char *key)
{
    return i18n_get(ctx, lang, key);
}

/* "web/templates/circ/desk.html" -> "circ/desk"; NULL if not a template. */
static char *template_name(const char *path)
{
    const char *p = strstr(path, "web/templates/");
    if (!p) {
        return NULL;
    }
    p += strlen("web/templates/");
    const char *dot = strrchr(p, '.');
    if (!dot || (strcmp(dot, ".html") != 0 && strcmp(dot, ".svg") != 0)) {
        return NULL;
    }
    return xstrndup(p, (size_t)(dot - p));
}

static int add_template(struct app *app, const char *path, const char *text,
                        size_t len, struct ibc_error *err)
{
    char *name = template_name(path);
    if (!name) {
        return 0;
    }
    int rc = tpl_add(app->tpl, name, path, text, len, err);
    free(name);
    return rc;
}

/* Templates from a source tree (--assets-dir), for development. */
static struct app *walk_app;
static struct ibc_error *walk_err;
static int walk_rc;

static int walk_one(const char *path, const struct stat *st, int type,
                    struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F) {
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        walk_rc = ibc_fail(walk_err, IBC_EIO, "cannot read %s", path);
        return 1;
    }
    struct buf b = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        buf_append(&b, chunk, n);
    }
    fclose(f);
    walk_rc = add_template(walk_app, path, buf_cstr(&b), b.len, walk_err);
    buf_reset(&b);
    return walk_rc ? 1 : 0;
}

static int load_templates(struct app *app, struct ibc_error *err)
{
    app->tpl = tpl_set_new();
    if (app->cfg.assets_dir) {
        /* nftw has no user pointer; start-up is single-threaded. */
        char dir[1100];
        snprintf(dir, sizeof(dir), "%s/web/templates", app->cfg.assets_dir);
        walk_app = app;
        walk_err = err;
        walk_rc = 0;
        if (nftw(dir, walk_one, 16, FTW_PHYS) != 0 && walk_rc == 0) {
            return ibc_fail(err, IBC_EIO, "cannot read templates in %s", dir);
        }
        if (walk_rc) {
            return walk_rc;
        }
    } else {
        for (size_t i = 0; i < embed_count; i++) {
            const struct embed_file *f = &embed_files[i];
            int rc = add_template(app, f->name, (const char *)f->data, f->len,
                                  err);
            if (rc) {
                return rc;
            }
        }
    }
    return tpl_link(app->tpl, msg_lookup, app->i18n, "ru", err);
}

int app_open(struct app *app, const struct app_config *cfg,
             struct ibc_error *err)
{
    memset(app, 0, sizeof(*app));
    app->cfg = *cfg;
    app->version = IBC_VERSION;
    pthread_mutex_init(&app->pool_mu, NULL);
    pthread_cond_init(&app->pool_cv, NULL);
    if (sodium_init() < 0) {
        return ibc_fail(err, IBC_EINTERNAL, "libsodium failed to start");
    }
    app->throttle = throttle_new(AUTH_THROTTLE_SLOTS);
    int rc = make_dirs(cfg->data_dir, err);
    if (rc) {
        return rc;
    }
    if (cfg->db_url) {
        str_copy(app->db_url, cfg->db_url, sizeof(app->db_url));
    } else {
        snprintf(app->db_url, sizeof(app->db_url), "sqlite:%s/ibc.db",
                 cfg->data_dir);
    }
    if ((rc = load_secret(app, err))) {
        return rc;
    }
    if ((rc = i18n_load(&app->i18n, err))) {
        return rc;
    }
    return load_templates(app, err);
}

void app_close(struct app *app)
{
    for (int i = 0; i < app->pool_n; i++) {
        db_close(app->pool[i]);
    }
    free(app->pool);
    free(app->pool_busy);
    app->pool = NULL;
    app->pool_n = 0;
    tpl_set_free(app->tpl);
    app->tpl = NULL;
    i18n_free(app->i18n);
    app->i18n = NULL;
    throttle_free(app->throttle);
    app->throttle = NULL;
    pthread_mutex_destroy(&app->pool_mu);
    pthread_cond_destroy(&app->pool_cv);
    sodium_memzero(app->secret, sizeof(app->secret));
}

int app_db_open(struct app *app, struct db **out, struct ibc_error *err)
{
    return db_open(out, app->db_url, err);
}

int app_pool_open(struct app *app, int n, struct ibc_error *err)
{
    app->pool = xcalloc((size_t)n, sizeof(*app->pool));
    app->pool_busy = xcalloc((size_t)n, sizeof(*app->pool_busy));
    for (int i = 0; i < n; i++) {
        int rc = app_db_open(app, &app->pool[i], err);
        if (rc) {
            return rc;
        }
        app->pool_n++;
    }
    return migrate_check(app->pool[0], err);
}

struct db *app_db_acquire(struct app *app)
{
    pthread_mutex_lock(&app->pool_mu);
    for (;;) {
        for (int i = 0; i < app->pool_n; i++) {
            if (!app->pool_busy[i]) {
                app->pool_busy[i] = true;
                pthread_mutex_unlock(&app->pool_mu);
                return app->pool[i];
            }
        }
        pthread_cond_wait(&app->pool_cv, &app->pool_mu);
    }
}

void app_db_release(struct app *app, struct db *db)
{
    if (!db) {
        return;
    }
    pthread_mutex_lock(&app->pool_mu);
    for (int i = 0; i < app->pool_n; i++) {
        if (app->pool[i] == db) {
            app->pool_busy[i] = false;
        }
    }
    pthread_cond_signal(&app->pool_cv);
    pthread_mutex_unlock(&app->pool_mu);
}
