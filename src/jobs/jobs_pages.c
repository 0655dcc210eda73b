/* ibc — the progress of a background job over HTTP (route handler).
 *
 * GET /api/jobs/{id} answers the job's state as JSON (job_info_json) so a
 * page that started an import or a report can poll it. A job of another
 * school is "not found"; system-wide jobs (org 0) are for administrators
 * only. The route's permission is declared in src/app/routes.c. */
#include "jobs/jobs.h"

#include "core/buf.h"
#include "core/str.h"
#include "org/org.h"
#include "web/web.h"

int jobs_status_api(struct req *req)
{
    int64_t id;
    if (!str_to_i64(req_path_arg(req, "id"), &id) || id <= 0) {
        return ibc_fail(&req->err, IBC_ENOTFOUND, "no such job");
    }
    struct job_info info;
    int rc = job_get(req->db, id, &info, req->arena, &req->err);
    if (rc) {
        return rc;
    }
    const struct org *o = web_org(req);
    if (info.org_id != 0 && (!o || o->id != info.org_id)) {
        return ibc_fail(&req->err, IBC_ENOTFOUND, "no such job");
    }
    if (info.org_id == 0 && !perm_allows(req, PERM_ADMIN)) {
        return ibc_fail(&req->err, IBC_ENOTFOUND, "no such job");
    }
    struct buf out = BUF_INIT;
    job_info_json(&info, &out);
    resp_json(req, 200, buf_cstr(&out));
    buf_reset(&out);
    return 0;
}
