/* ibc — `ibc test-http`: one raw HTTP request from stdin through the whole
 * stack (parser, routing, permissions, CSRF, handler, error pages, security
 * headers, gzip), the raw response on stdout. Fossil's test-http: golden
 * tests, valgrind runs and bug reports need no socket.
 *
 * It uses the data folder like `ibc serve` (--data, --db): pending
 * migrations are applied, --demo seeds the demo school. The request's limits
 * are the server's (http.h), so an oversize request gets the 413/414/431 the
 * server would give. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "db/migrate.h"
#include "demo/demo.h"
#include "http/http.h"

/* Reads stdin up to cap bytes (the rest is left unread). */
static char *read_stdin(size_t cap, size_t *len)
{
    struct buf b = BUF_INIT;
    char chunk[65536];
    size_t n;
    while (b.len < cap && (n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        buf_append(&b, chunk, n);
    }
    return buf_detach(&b, len);
}

static int setup_db(struct app *app, bool demo, struct ibc_error *err)
{
    struct db *db = NULL;
    int rc = app_db_open(app, &db, err);
    if (rc == 0) {
        rc = migrate_apply(db, NULL, err);
    }
    if (rc == 0 && demo) {
        bool created;
        rc = demo_seed(db, &created, err);
    }
    db_close(db);
    return rc ? rc : app_pool_open(app, 1, err);
}

int cmd_test_http(struct cli *c)
{
    bool demo = cli_flag(c, "--demo");
    c->cfg.demo = demo;
    if (cli_finish_opts(c)) {
        return cli_usage_error(c, "test-http reads the request from stdin");
    }
    struct app app;
    struct ibc_error err = IBC_ERROR_INIT;
    if (app_open(&app, &c->cfg, &err) || setup_db(&app, demo, &err)) {
        app_close(&app);
        return cli_error(&err);
    }
    size_t len;
    char *raw = read_stdin(HTTP_MAX_UPLOAD + 2 * HTTP_MAX_HEADER_BYTES, &len);
    struct arena *a = arena_new();
    struct req req;
    http_req_init(&req, &app, a);
    req.peer = "127.0.0.1";
    http_raw_parse(&req, raw, len);
    http_dispatch(&req);
    struct buf out = BUF_INIT;
    http_raw_write(&req, &out);
    fwrite(out.data, 1, out.len, stdout);
    fflush(stdout);
    buf_reset(&out);
    http_req_reset(&req);
    arena_free(a);
    free(raw);
    app_close(&app);
    http_static_cleanup();
    return 0;
}
