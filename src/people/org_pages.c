/* ibc — the schools of the database (route handlers).
 *
 * GET /orgs: an administrator sees their own school (code, names, city);
 * an administrator who is also the municipal coordinator sees every school
 * of the database. GET/POST /orgs/new creates a school, which only a
 * municipal database needs: it is the coordinator's (or `ibc org add`).
 * Renaming a school needs an org_update() in src/org/org_store.c, which
 * does not exist yet. */
#include "people/people_pages.h"

#include "auth/auth.h"
#include "core/str.h"
#include "db/db.h"
#include "org/org.h"
#include "people/people.h"
#include "privacy/privacy.h"
#include "web/page.h"
#include "web/web.h"

static void put_org(struct tpl_vm *vm, const struct org *o, bool own)
{
    struct tpl_vm *it = tpl_list_add(vm, "orgs");
    tpl_set_int(it, "id", o->id);
    tpl_set_str(it, "code", o->code);
    tpl_set_str(it, "name", o->name);
    tpl_set_str(it, "short_name", o->short_name);
    tpl_set_str(it, "city", o->city ? o->city : "");
    tpl_set_bool(it, "own", own);
}

int orgs_list_page(struct req *req)
{
    const struct auth_user *u = req->user;
    struct tpl_vm *vm = page_vm(req);
    tpl_list(vm, "orgs");
    bool all = u->roles & ROLE_COORDINATOR;
    if (all) {
        struct org *orgs;
        size_t n;
        int rc = org_list(req->db, req->arena, &orgs, &n, &req->err);
        if (rc) {
            return rc;
        }
        for (size_t i = 0; i < n; i++) {
            put_org(vm, &orgs[i], orgs[i].id == u->org_id);
        }
    } else {
        struct org o;
        int rc = org_get(req->db, req->arena, u->org_id, &o, &req->err);
        if (rc) {
            return rc;
        }
        put_org(vm, &o, true);
    }
    tpl_set_bool(vm, "can_create", all);
    return page_render(req, "orgs/index", vm, web_msg(req, "orgs.title"));
}

static int org_form_render(struct req *req, struct tpl_vm *vm, int status)
{
    req->status = status;
    return page_render(req, "orgs/new", vm, web_msg(req, "orgs.new"));
}

int orgs_new_page(struct req *req)
{
    return org_form_render(req, page_vm(req), 200);
}

int orgs_new_post(struct req *req)
{
    struct org o = {
        .code = req_form(req, "code"),
        .name = req_form(req, "name"),
        .short_name = req_form(req, "short_name"),
        .city = req_form(req, "city"),
    };
    if (str_empty(o.city)) {
        o.city = NULL;
    }
    struct tpl_vm *vm = page_vm(req);
    struct tpl_vm *fv = tpl_obj(vm, "form");
    tpl_set_str(fv, "code", o.code ? o.code : "");
    tpl_set_str(fv, "name", o.name ? o.name : "");
    tpl_set_str(fv, "short_name", o.short_name ? o.short_name : "");
    tpl_set_str(fv, "city", o.city ? o.city : "");
    struct ibc_error e = IBC_ERROR_INIT;
    int64_t id = 0;
    int rc = db_begin(req->db, DB_TX_WRITE, &req->err);
    if (rc) {
        return rc;
    }
    rc = org_create(req->db, &o, &id, &e);
    if (rc == 0) {
        rc = audit_req(req, "org.create", "org", id, o.code);
    }
    if (rc == 0) {
        rc = db_commit(req->db, &e);
    }
    if (rc) {
        db_rollback(req->db);
        if ((rc == IBC_EINVAL || rc == IBC_ECONFLICT) && e.field[0]) {
            const char *key = arena_printf(req->arena, "orgs.err_%s%s",
                                           e.field,
                                           rc == IBC_ECONFLICT ? "_taken"
                                                               : "");
            const char *m = web_msg(req, key);
            people_field_error(vm, e.field, str_eq(m, key) ? e.msg : m);
            return org_form_render(req, vm, 422);
        }
        req->err = e;
        return rc;
    }
    resp_redirect(req, 303, "/orgs?created=1");
    return 0;
}
