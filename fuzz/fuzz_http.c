/* ibc — fuzz target: one raw HTTP request through the whole stack.
 *
 * Arbitrary bytes go to the raw request parser and then to the dispatcher,
 * exactly as `ibc test-http` runs them: routing, permissions, CSRF, the
 * handlers with the embedded templates, error pages, security headers, ETag,
 * gzip. The application is opened once, on a data folder in a temporary
 * directory with a migrated SQLite database and the demo school (removed at
 * exit). It must never crash; besides, every answer must be a complete
 * response: a status from 100 to 599 and the Content-Security-Policy. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "core/log.h"
#include "db/db.h"
#include "db/migrate.h"
#include "demo/demo.h"
#include "http/http.h"

static struct app fuzz_app;
static char fuzz_dir[64];
static int fuzz_ready;

static int rm_one(const char *path, const struct stat *st, int type,
                  struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    app_close(&fuzz_app);
    http_static_cleanup();
    if (fuzz_dir[0]) {
        nftw(fuzz_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}

static void setup(void)
{
    snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/ibc-fuzz-http-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(fuzz_dir)) {
        perror("mkdtemp");
        abort();
    }
    log_set_level(LOG_ERR);
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.data_dir = fuzz_dir;
    cfg.quiet = true;
    struct ibc_error err = IBC_ERROR_INIT;
    struct db *db = NULL;
    bool created;
    if (app_open(&fuzz_app, &cfg, &err) ||
        app_db_open(&fuzz_app, &db, &err) ||
        migrate_apply(db, NULL, &err) || demo_seed(db, &created, &err)) {
        fprintf(stderr, "fuzz_http: set-up failed: %s\n", err.msg);
        abort();
    }
    db_close(db);
    if (app_pool_open(&fuzz_app, 1, &err)) {
        fprintf(stderr, "fuzz_http: pool: %s\n", err.msg);
        abort();
    }
    atexit(teardown);
    fuzz_ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_ready) {
        setup();
    }
    struct arena *a = arena_new();
    struct req req;
    http_req_init(&req, &fuzz_app, a);
    req.peer = "127.0.0.1";
    http_raw_parse(&req, (const char *)data, size);
    http_dispatch(&req);
    struct buf out = BUF_INIT;
    http_raw_write(&req, &out);
    bool csp = false;
    for (size_t i = 0; i < req.resp_headers.n; i++) {
        if (strcmp(req.resp_headers.items[i].name,
                   "Content-Security-Policy") == 0) {
            csp = true;
        }
    }
    if (req.status < 100 || req.status > 599 || !csp ||
        strncmp(out.data, "HTTP/1.1 ", 9) != 0) {
        fprintf(stderr, "fuzz_http: incomplete response, status %d\n",
                req.status);
        abort();
    }
    buf_reset(&out);
    http_req_reset(&req);
    arena_free(a);
    return 0;
}
