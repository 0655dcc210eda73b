/* ibc — the job progress endpoint (GET /api/jobs/{id}) called as the
 * dispatcher calls it, on SQLite and PostgreSQL: the JSON a polling page
 * gets, and that another school's job stays invisible. */
#include <stdio.h>

#include "app/app.h"
#include "db/db.h"
#include "db/migrate.h"
#include "demo/demo.h"
#include "harness.h"
#include "http/http.h"
#include "jobs/jobs.h"
#include "org/org.h"

static int call(struct app *app, struct db *db, struct arena *a,
                const char *id, struct req *r)
{
    http_req_init(r, app, a);
    r->db = db;
    r->method = "GET";
    r->path = "/api/jobs/x";
    kv_add(a, &r->path_args, "id", id, strlen(id));
    return jobs_status_api(r);
}

TEST(job_progress_is_polled_as_json_within_its_school)
{
    const char *names[2], *urls[2];
    int n = test_db_urls(names, urls);
    for (int i = 0; i < n; i++) {
        printf("    [%s]\n", names[i]);
        struct db *db = NULL;
        struct ibc_error err = IBC_ERROR_INIT;
        CHECK_EQ_INT(db_open(&db, urls[i], &err), 0);
        CHECK_EQ_INT(migrate_apply(db, NULL, &err), 0);
        bool created;
        CHECK_EQ_INT(demo_seed(db, &created, &err), 0);
        struct org other = {.code = "other", .name = "Другая школа",
                            .short_name = "Другая"};
        int64_t other_id, demo_id;
        CHECK_EQ_INT(org_create(db, &other, &other_id, &err), 0);
        struct arena *a = arena_new();
        struct org demo;
        CHECK_EQ_INT(org_get_by_code(db, a, "demo", &demo, &err), 0);
        demo_id = demo.id;
        int64_t mine, theirs, sys;
        CHECK_EQ_INT(job_enqueue(db, demo_id, "marc.import",
                                 "{\"file\":\"каталог.mrc\"}", NULL, &mine,
                                 &err),
                     0);
        CHECK_EQ_INT(job_enqueue(db, other_id, "marc.import", NULL, NULL,
                                 &theirs, &err),
                     0);
        CHECK_EQ_INT(job_enqueue(db, 0, "cleanup", NULL, NULL, &sys, &err),
                     0);

        struct app app;
        memset(&app, 0, sizeof(app));
        app.cfg.org_code = "demo";
        char id[32];
        struct req r;

        snprintf(id, sizeof(id), "%lld", (long long)mine);
        CHECK_EQ_INT(call(&app, db, a, id, &r), 0);
        CHECK_EQ_INT(r.status, 200);
        CHECK_CONTAINS(r.content_type, "application/json");
        CHECK_CONTAINS(buf_cstr(&r.out), "\"state\":\"queued\"");
        CHECK_CONTAINS(buf_cstr(&r.out), "\"kind\":\"marc.import\"");
        buf_reset(&r.out);

        snprintf(id, sizeof(id), "%lld", (long long)theirs);
        CHECK_EQ_INT(call(&app, db, a, id, &r), IBC_ENOTFOUND);
        buf_reset(&r.out);
        snprintf(id, sizeof(id), "%lld", (long long)sys);
        CHECK_EQ_INT(call(&app, db, a, id, &r), IBC_ENOTFOUND);
        buf_reset(&r.out);
        CHECK_EQ_INT(call(&app, db, a, "abc", &r), IBC_ENOTFOUND);
        buf_reset(&r.out);
        CHECK_EQ_INT(call(&app, db, a, "999999", &r), IBC_ENOTFOUND);
        buf_reset(&r.out);
        arena_free(a);
        db_close(db);
    }
}
