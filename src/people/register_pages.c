/* ibc — a parent's registration with the code from a child's slip, linking
 * more children, and a parent's list of their children (route handlers).
 *
 * GET/POST /register is public: the code, the parent's name, a login, an
 * optional e-mail and a password. The new account and the link to the
 * child are one transaction, so a wrong, used or expired code creates no
 * account; each of the three gets its own words next to the code field.
 * Failed codes are counted per client address with the sign-in throttle
 * (REGISTER_FAILS per AUTH_FAIL_WINDOW), answered with 429 and
 * Retry-After — a code has 60 random bits, so guessing is hopeless
 * anyway; the limit keeps the server's work bounded. A signed-in parent
 * adds another child at GET/POST /children/link; GET /children lists a
 * parent's children with links to their cards (/people/{id}), which the
 * route's scope opens to a parent only for their own children. */
#include "people/people_pages.h"

#include <string.h>
#include <time.h>

#include "app/app.h"
#include "auth/auth.h"
#include "auth/password.h"
#include "core/str.h"
#include "db/db.h"
#include "mail/outbox.h"
#include "org/org.h"
#include "people/people.h"
#include "privacy/privacy.h"
#include "web/page.h"
#include "web/web.h"

#define REGISTER_FAILS 20 /* wrong codes per address per AUTH_FAIL_WINDOW */
#define CODE_FIELD_MAX 64 /* bytes of a typed code we look at */

static const char *fail_key(struct req *req)
{
    return arena_printf(req->arena, "regfail:%s", req->peer);
}

/* Seconds to wait before the next try from this address; 0 when free. */
static int throttled(struct req *req)
{
    struct throttle *t = req->app->throttle;
    int wait = t ? throttle_check(t, fail_key(req), REGISTER_FAILS,
                                  AUTH_FAIL_WINDOW, time(NULL))
                 : 0;
    if (wait) {
        resp_header(req, "Retry-After", arena_printf(req->arena, "%d", wait));
    }
    return wait;
}

static void count_failure(struct req *req)
{
    struct throttle *t = req->app->throttle;
    if (t) {
        throttle_add(t, fail_key(req), AUTH_FAIL_WINDOW, time(NULL));
    }
}

/* The words for a code the store refused. */
static const char *code_error(struct req *req, int rc)
{
    switch (rc) {
    case IBC_ECONFLICT:
        return web_msg(req, "register.err_code_used");
    case IBC_EUNAVAIL:
        return web_msg(req, "register.err_code_expired");
    default:
        return web_msg(req, "register.err_code_wrong");
    }
}

static bool code_refusal(int rc, const struct ibc_error *e)
{
    return (rc == IBC_ENOTFOUND || rc == IBC_ECONFLICT ||
            rc == IBC_EUNAVAIL) &&
           str_eq(e->field, "code");
}

/* ---- GET/POST /register ---- */

static int register_render(struct req *req, struct tpl_vm *vm, int status)
{
    req->status = status;
    return page_render(req, "people/register", vm,
                       web_msg(req, "register.title"));
}

int register_page(struct req *req)
{
    if (req->user) {
        resp_redirect(req, 303, "/children/link");
        return 0;
    }
    struct tpl_vm *vm = page_vm(req);
    const char *code = req_query(req, "code");
    if (code && strlen(code) <= CODE_FIELD_MAX) {
        tpl_set_str(tpl_obj(vm, "form"), "code", code);
    }
    return register_render(req, vm, 200);
}

static const char *form_str(struct req *req, const char *name)
{
    const char *v = req_form(req, name);
    return v ? v : "";
}

int register_post(struct req *req)
{
    if (req->user) {
        resp_redirect(req, 303, "/children/link");
        return 0;
    }
    const struct org *o = web_org(req);
    if (!o) {
        return ibc_fail(&req->err, IBC_EUNAVAIL, "no school");
    }
    const char *code = form_str(req, "code");
    const char *last = form_str(req, "last_name");
    const char *first = form_str(req, "first_name");
    const char *middle = form_str(req, "middle_name");
    const char *login_in = form_str(req, "login");
    const char *email = form_str(req, "email");
    const char *password = form_str(req, "password");
    const char *repeat = form_str(req, "repeat");
    struct tpl_vm *vm = page_vm(req);
    struct tpl_vm *fv = tpl_obj(vm, "form");
    tpl_set_str(fv, "code", strlen(code) <= CODE_FIELD_MAX ? code : "");
    tpl_set_str(fv, "last_name", last);
    tpl_set_str(fv, "first_name", first);
    tpl_set_str(fv, "middle_name", middle);
    tpl_set_str(fv, "login", login_in);
    tpl_set_str(fv, "email", email);
    if (throttled(req)) {
        people_field_error(vm, "code", web_msg(req, "register.too_many"));
        return register_render(req, vm, 429);
    }
    bool bad = false;
#define FIELD_ERR(field, key)                                                 \
    do {                                                                      \
        people_field_error(vm, field, web_msg(req, key));                     \
        bad = true;                                                           \
    } while (0)
    if (str_empty(code) || strlen(code) > CODE_FIELD_MAX) {
        FIELD_ERR("code", "register.err_code_empty");
    }
    if (!person_name_valid(last)) {
        FIELD_ERR("last_name", "people.err_last_name");
    }
    if (!person_name_valid(first)) {
        FIELD_ERR("first_name", "people.err_first_name");
    }
    if (*middle && !person_name_valid(middle)) {
        FIELD_ERR("middle_name", "people.err_middle_name");
    }
    char login[PERSON_LOGIN_MAX + 1];
    if (person_login_normalise(login_in, login, NULL) != 0) {
        FIELD_ERR("login", "people.err_login");
    }
    if (*email && !outbox_addr_valid(email)) {
        FIELD_ERR("email", "people.err_email");
    }
    if (password_check_policy(password, NULL) != 0) {
        FIELD_ERR("password", "register.err_password");
    } else if (!bad && str_eq(password, login)) {
        FIELD_ERR("password", "register.err_password_login");
    } else if (!str_eq(password, repeat)) {
        FIELD_ERR("repeat", "register.err_repeat");
    }
#undef FIELD_ERR
    if (bad) {
        return register_render(req, vm, 422);
    }
    struct person_input in = {
        .login = login,
        .last_name = last,
        .first_name = first,
        .middle_name = *middle ? middle : NULL,
        .email = *email ? email : NULL,
        .roles = ROLE_PARENT,
        .password = password,
    };
    struct ibc_error e = IBC_ERROR_INIT;
    int64_t id = 0, child = 0;
    int rc = db_begin(req->db, DB_TX_WRITE, &req->err);
    if (rc) {
        return rc;
    }
    rc = person_create(req->db, o->id, &in, &id, &e);
    if (rc == 0) {
        rc = parent_code_redeem(req->db, o->id, id, code, &child, &e);
    }
    if (rc == 0) {
        rc = audit_req(req, "parent.register", "person", id,
                       arena_printf(req->arena, "child=%lld",
                                    (long long)child));
    }
    if (rc == 0) {
        rc = db_commit(req->db, &e);
    }
    if (rc) {
        db_rollback(req->db);
        if (code_refusal(rc, &e)) {
            count_failure(req);
            people_field_error(vm, "code", code_error(req, rc));
            return register_render(req, vm, 422);
        }
        if ((rc == IBC_EINVAL || rc == IBC_ECONFLICT) && e.field[0]) {
            if (rc == IBC_ECONFLICT) {
                count_failure(req); /* logins are not to be fished for */
            }
            people_field_error(vm, e.field, people_err_msg(req, rc, &e));
            return register_render(req, vm, 422);
        }
        req->err = e;
        return rc;
    }
    struct person p;
    if ((rc = person_get(req->db, req->arena, o->id, id, &p, &req->err))) {
        return rc;
    }
    if ((rc = auth_sign_in(req, &p))) {
        return rc;
    }
    resp_redirect(req, 303, "/children?linked=1");
    return 0;
}

/* ---- GET /children ---- */

int children_page(struct req *req)
{
    const struct auth_user *u = req->user;
    struct tpl_vm *vm = page_vm(req);
    tpl_list(vm, "children");
    size_t found = 0;
    if (u->roles & ROLE_PARENT) {
        struct person *pupils;
        size_t n;
        int rc = person_list_children(req->db, req->arena, u->org_id,
                                      u->person_id, &pupils, &n, &req->err);
        if (rc) {
            return rc;
        }
        for (size_t i = 0; i < n; i++) {
            struct tpl_vm *it = tpl_list_add(vm, "children");
            tpl_set_int(it, "id", pupils[i].id);
            tpl_set_str(it, "name", people_full_name(req, &pupils[i]));
            tpl_set_str(it, "class", pupils[i].class_name
                                         ? pupils[i].class_name
                                         : "");
            found++;
        }
    }
    int rc = audit_req(req, "person.list", NULL, 0,
                       arena_printf(req->arena, "children=%zu", found));
    if (rc) {
        return rc;
    }
    tpl_set_bool(vm, "linked", str_eq(req_query(req, "linked"), "1"));
    tpl_set_bool(vm, "can_link", !(u->roles & ROLE_STUDENT));
    return page_render(req, "people/children", vm,
                       web_msg(req, "register.children"));
}

/* ---- GET/POST /children/link ---- */

static int link_render(struct req *req, struct tpl_vm *vm, int status)
{
    req->status = status;
    return page_render(req, "people/link", vm, web_msg(req, "register.link"));
}

/* A pupil cannot become somebody's parent with a code. */
static int refuse_students(struct req *req)
{
    if (req->user->roles & ROLE_STUDENT) {
        return ibc_fail(&req->err, IBC_EPERM, "%s",
                        web_msg(req, "register.link_students"));
    }
    return 0;
}

int children_link_page(struct req *req)
{
    int rc = refuse_students(req);
    if (rc) {
        return rc;
    }
    return link_render(req, page_vm(req), 200);
}

int children_link_post(struct req *req)
{
    int rc = refuse_students(req);
    if (rc) {
        return rc;
    }
    const struct auth_user *u = req->user;
    const char *code = form_str(req, "code");
    struct tpl_vm *vm = page_vm(req);
    tpl_set_str(tpl_obj(vm, "form"), "code",
                strlen(code) <= CODE_FIELD_MAX ? code : "");
    if (throttled(req)) {
        people_field_error(vm, "code", web_msg(req, "register.too_many"));
        return link_render(req, vm, 429);
    }
    if (str_empty(code) || strlen(code) > CODE_FIELD_MAX) {
        people_field_error(vm, "code",
                           web_msg(req, "register.err_code_empty"));
        return link_render(req, vm, 422);
    }
    struct ibc_error e = IBC_ERROR_INIT;
    int64_t child = 0;
    if ((rc = db_begin(req->db, DB_TX_WRITE, &req->err))) {
        return rc;
    }
    rc = parent_code_redeem(req->db, u->org_id, u->person_id, code, &child,
                            &e);
    if (rc == 0) {
        rc = audit_req(req, "parent.link", "person", child, NULL);
    }
    if (rc == 0) {
        rc = db_commit(req->db, &e);
    }
    if (rc) {
        db_rollback(req->db);
        if (code_refusal(rc, &e)) {
            count_failure(req);
            people_field_error(vm, "code", code_error(req, rc));
            return link_render(req, vm, 422);
        }
        req->err = e;
        return rc;
    }
    resp_redirect(req, 303, "/children?linked=1");
    return 0;
}
