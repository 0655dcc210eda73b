/* ibc — sign-in, sign-out, the password change, "who am I" and a person's
 * card (route handlers).
 *
 * GET/POST /signin: login and password; a wrong login and a wrong password
 * get the same words («Неверный логин или пароль») and status 422. Failed
 * attempts are counted per account-and-address and per address
 * (throttle.c); past the limit the form answers 429 with Retry-After and
 * does not even check the password. A person whose password must change
 * (a child's slip password) is sent to /password and, until done, the
 * dispatcher lets them open nothing but that, sign-out and static files.
 * A person with a second factor (totp.c) who gives the right password gets
 * no session but a pending sign-in (its own cookie, 5 minutes) and is
 * asked for the code at /signin/code; wrong codes are throttled like wrong
 * passwords, and only a right code rotates to a real session.
 * GET /api/v1/me tells a script or a page who the caller is. GET
 * /people/{id} shows a person's card within the route's scope (the
 * dispatcher has checked it before the handler runs). */
#include "auth/auth.h"
#include "demo/demo.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/str.h"
#include "core/utf8.h"
#include "org/org.h"
#include "people/people.h"
#include "privacy/privacy.h"
#include "web/json.h"
#include "web/page.h"
#include "web/web.h"

#define PASSWORD_MIN 8   /* characters */
#define FIELD_MAX 256    /* bytes of a login or password we look at */

const char *auth_safe_back(const char *back)
{
    if (str_empty(back) || back[0] != '/' || back[1] == '/' ||
        back[1] == '\\' || strlen(back) > 512 || strpbrk(back, "\r\n\\")) {
        return "/";
    }
    /* not back to the sign-in or sign-out themselves */
    if (str_starts(back, "/signin") || str_starts(back, "/signout")) {
        return "/";
    }
    return back;
}

/* ---- sign-in ---- */

/* The throttle keys of an attempt: the account at this address, and the
 * address. An account alone is never a key: that would let anybody lock
 * its owner out. */
static void keys(struct req *req, int64_t org_id, const char *login,
                 const char **acct, const char **addr)
{
    char norm[PERSON_LOGIN_MAX + 1];
    if (person_login_normalise(login, norm, NULL) != 0) {
        str_copy(norm, "?", sizeof(norm));
    }
    *acct = arena_printf(req->arena, "acct:%lld:%s@%s", (long long)org_id,
                         norm, req->peer);
    *addr = arena_printf(req->arena, "fail:%s", req->peer);
}

/* Renders the sign-in form with the given status, the login typed and an
 * error next to a field (field may be NULL). */
static int signin_form(struct req *req, int status, const char *login,
                       const char *back, const char *field, const char *err)
{
    struct tpl_vm *vm = page_vm(req);
    struct tpl_vm *f = tpl_obj(vm, "form");
    tpl_set_str(f, "login", login ? login : "");
    tpl_set_str(f, "back", auth_safe_back(back));
    /* after a password reset by e-mail (reset_pages.c) */
    tpl_set_bool(vm, "reset_done", str_eq(req_query(req, "reset"), "done"));
    if (err) {
        struct tpl_vm *e = tpl_obj(vm, "errors");
        tpl_set_str(e, field ? field : "form", err);
        tpl_set_bool(vm, "has_errors", true);
    }
    req->status = status;
    return page_render(req, "auth/signin", vm, web_msg(req, "auth.signin"));
}

int auth_signin_page(struct req *req)
{
    const char *back = req_query(req, "back");
    if (req->user) {
        resp_redirect(req, 303, auth_safe_back(back));
        return 0;
    }
    return signin_form(req, 200, NULL, back, NULL, NULL);
}

static void retry_after(struct req *req, int wait)
{
    resp_header(req, "Retry-After", arena_printf(req->arena, "%d", wait));
}

int auth_signin_post(struct req *req)
{
    const char *login = req_form(req, "login");
    const char *password = req_form(req, "password");
    const char *back = req_form(req, "back");
    const struct org *o = web_org(req);
    if (!o) {
        return ibc_fail(&req->err, IBC_EUNAVAIL, "no school in the database");
    }
    if (str_empty(login) || strlen(login) > FIELD_MAX) {
        return signin_form(req, 422, login, back, "login",
                           web_msg(req, "auth.login_required"));
    }
    if (str_empty(password) || strlen(password) > FIELD_MAX) {
        return signin_form(req, 422, login, back, "password",
                           web_msg(req, "auth.password_required"));
    }
    const char *acct, *addr;
    keys(req, o->id, login, &acct, &addr);
    struct throttle *t = req->app->throttle;
    time_t now = time(NULL);
    if (t) {
        int wait = throttle_check(t, acct, AUTH_FAIL_PER_ACCOUNT,
                                  AUTH_FAIL_WINDOW, now);
        int w2 = throttle_check(t, addr, AUTH_FAIL_PER_ADDR,
                                AUTH_FAIL_WINDOW, now);
        wait = wait > w2 ? wait : w2;
        if (wait) {
            retry_after(req, wait);
            return signin_form(req, 429, login, back, "form",
                               web_msg(req, "auth.too_many"));
        }
    }
    int64_t id = 0;
    struct ibc_error e = IBC_ERROR_INIT;
    int rc = person_check_password(req->db, o->id, login, password, &id, &e);
    /* The demo school's accounts (passwords printed at every start) sign
     * in only while the server runs with --demo. */
    if (rc == 0 && demo_is_demo_org(o->code) && !req->app->cfg.demo) {
        rc = IBC_EAUTH;
    }
    if (rc == IBC_EAUTH) {
        if (t) {
            throttle_add(t, acct, AUTH_FAIL_WINDOW, now);
            throttle_add(t, addr, AUTH_FAIL_WINDOW, now);
        }
        log_info("sign-in failed for a login from %s", req->peer);
        return signin_form(req, 422, login, back, "password",
                           web_msg(req, "auth.wrong"));
    }
    if (rc) {
        req->err = e;
        return rc;
    }
    struct person p;
    if ((rc = person_get(req->db, req->arena, o->id, id, &p, &req->err))) {
        return rc;
    }
    if (t) {
        throttle_clear(t, acct);
    }
    /* With a second factor: no session yet, only a pending sign-in that
     * may send the code (auth_code_post). */
    bool two = false;
    if ((rc = totp_enabled(req->db, o->id, p.id, &two, &req->err))) {
        return rc;
    }
    if (two) {
        char token[AUTH_TOKEN_HEX + 1];
        rc = totp_pending_create(req->db, o->id, p.id, auth_safe_back(back),
                                 now, token, &req->err);
        if (rc) {
            return rc;
        }
        resp_cookie(req, totp_cookie_name(req), token, TOTP_PENDING_LIFETIME,
                    false);
        sodium_memzero(token, sizeof(token));
        resp_redirect(req, 303, "/signin/code");
        return 0;
    }
    if ((rc = auth_sign_in(req, &p))) {
        return rc;
    }
    resp_redirect(req, 303,
                  p.must_change_password ? "/password" : auth_safe_back(back));
    return 0;
}

/* ---- the second factor's code ---- */

/* Renders the code form with a status and an error next to the field. */
static int code_form(struct req *req, int status, const char *err)
{
    struct tpl_vm *vm = page_vm(req);
    if (err) {
        struct tpl_vm *e = tpl_obj(vm, "errors");
        tpl_set_str(e, "code", err);
        tpl_set_bool(vm, "has_errors", true);
    }
    req->status = status;
    return page_render(req, "auth/signin_code", vm,
                       web_msg(req, "totp.signin_title"));
}

/* The pending sign-in of req's cookie: 0 with its person and back, or
 * IBC_EAUTH (none, expired: the cookie is dropped). */
static int pending_of(struct req *req, const struct org *o,
                      int64_t *person_id, const char **back)
{
    const char *cookie = req_cookie(req, totp_cookie_name(req));
    if (!o || !cookie) {
        return IBC_EAUTH;
    }
    struct ibc_error e = IBC_ERROR_INIT;
    int rc = totp_pending_lookup(req->db, req->arena, o->id, cookie,
                                 time(NULL), person_id, back, &e);
    if (rc == IBC_EAUTH) {
        resp_cookie(req, totp_cookie_name(req), "", 0, false);
    } else if (rc) {
        req->err = e;
    }
    return rc;
}

int auth_code_page(struct req *req)
{
    if (req->user) {
        resp_redirect(req, 303, "/");
        return 0;
    }
    int64_t pid;
    const char *back;
    int rc = pending_of(req, web_org(req), &pid, &back);
    if (rc == IBC_EAUTH) {
        resp_redirect(req, 303, "/signin");
        return 0;
    }
    return rc ? rc : code_form(req, 200, NULL);
}

int auth_code_post(struct req *req)
{
    if (req->user) {
        resp_redirect(req, 303, "/");
        return 0;
    }
    const struct org *o = web_org(req);
    int64_t pid;
    const char *back;
    int rc = pending_of(req, o, &pid, &back);
    if (rc == IBC_EAUTH) {
        resp_redirect(req, 303, "/signin");
        return 0;
    }
    if (rc) {
        return rc;
    }
    time_t now = time(NULL);
    if (totp_throttle_wait(req, o->id, pid, now)) {
        return code_form(req, 429, web_msg(req, "auth.too_many"));
    }
    const char *code = req_form(req, "code");
    if (str_empty(code) || strlen(code) > FIELD_MAX) {
        return code_form(req, 422, web_msg(req, "totp.code_required"));
    }
    unsigned char key[TOTP_KEY_BYTES];
    totp_derive_key(req->app->secret, TOTP_KEY_STORE, key);
    struct ibc_error e = IBC_ERROR_INIT;
    rc = totp_verify(req->db, o->id, pid, key, code, now, &e);
    sodium_memzero(key, sizeof(key));
    if (rc == IBC_EAUTH) {
        totp_throttle_note(req, o->id, pid, false, now);
        log_info("sign-in code wrong for a person from %s", req->peer);
        return code_form(req, 422, web_msg(req, "totp.code_wrong"));
    }
    struct person p;
    if (rc == 0) {
        rc = person_get(req->db, req->arena, o->id, pid, &p, &e);
        if (rc == 0 && p.status != PERSON_ACTIVE) {
            rc = IBC_ENOTFOUND;
        }
    }
    if (rc == IBC_ENOTFOUND) {
        /* TOTP turned off or the person gone meanwhile: start again. */
        totp_pending_delete(req->db, o->id,
                            req_cookie(req, totp_cookie_name(req)), NULL);
        resp_cookie(req, totp_cookie_name(req), "", 0, false);
        resp_redirect(req, 303, "/signin");
        return 0;
    }
    if (rc) {
        req->err = e;
        return rc;
    }
    totp_throttle_note(req, o->id, pid, true, now);
    if ((rc = totp_pending_delete(req->db, o->id,
                                  req_cookie(req, totp_cookie_name(req)),
                                  &req->err))) {
        return rc;
    }
    resp_cookie(req, totp_cookie_name(req), "", 0, false);
    if ((rc = auth_sign_in(req, &p))) {
        return rc;
    }
    resp_redirect(req, 303,
                  p.must_change_password ? "/password" : auth_safe_back(back));
    return 0;
}

int auth_signout_post(struct req *req)
{
    int rc = auth_sign_out(req);
    if (rc) {
        return rc;
    }
    resp_redirect(req, 303, "/");
    return 0;
}

/* ---- password change ---- */

static int password_form(struct req *req, int status, const char *field,
                         const char *err)
{
    struct tpl_vm *vm = page_vm(req);
    tpl_set_bool(vm, "must_change",
                 req->user && req->user->must_change_password);
    if (err) {
        struct tpl_vm *e = tpl_obj(vm, "errors");
        tpl_set_str(e, field, err);
        tpl_set_bool(vm, "has_errors", true);
    }
    req->status = status;
    return page_render(req, "auth/password", vm,
                       web_msg(req, "auth.password_title"));
}

int auth_password_page(struct req *req)
{
    return password_form(req, 200, NULL, NULL);
}

int auth_password_post(struct req *req)
{
    const struct auth_user *u = req->user;
    const char *cur = req_form(req, "current");
    const char *nw = req_form(req, "new");
    const char *rep = req_form(req, "repeat");
    if (str_empty(cur) || strlen(cur) > FIELD_MAX) {
        return password_form(req, 422, "current",
                             web_msg(req, "auth.password_required"));
    }
    const char *acct, *addr;
    keys(req, u->org_id, u->login, &acct, &addr);
    struct throttle *t = req->app->throttle;
    time_t now = time(NULL);
    int wait = t ? throttle_check(t, acct, AUTH_FAIL_PER_ACCOUNT,
                                  AUTH_FAIL_WINDOW, now)
                 : 0;
    if (wait) {
        retry_after(req, wait);
        return password_form(req, 429, "current",
                             web_msg(req, "auth.too_many"));
    }
    struct ibc_error e = IBC_ERROR_INIT;
    int rc = person_check_password(req->db, u->org_id, u->login, cur, NULL,
                                   &e);
    if (rc == IBC_EAUTH) {
        if (t) {
            throttle_add(t, acct, AUTH_FAIL_WINDOW, now);
        }
        return password_form(req, 422, "current",
                             web_msg(req, "auth.current_wrong"));
    }
    if (rc) {
        req->err = e;
        return rc;
    }
    if (!nw || utf8_length(nw) < PASSWORD_MIN || strlen(nw) > FIELD_MAX) {
        return password_form(req, 422, "new", web_msg(req, "auth.too_short"));
    }
    char norm[PERSON_LOGIN_MAX + 1];
    if (str_eq(nw, u->login) ||
        (person_login_normalise(nw, norm, NULL) == 0 &&
         str_eq(norm, u->login))) {
        return password_form(req, 422, "new",
                             web_msg(req, "auth.same_as_login"));
    }
    if (str_eq(nw, cur)) {
        return password_form(req, 422, "new",
                             web_msg(req, "auth.same_as_old"));
    }
    if (!str_eq(nw, rep)) {
        return password_form(req, 422, "repeat",
                             web_msg(req, "auth.mismatch"));
    }
    if ((rc = person_set_password(req->db, u->org_id, u->person_id, nw, false,
                                  &e))) {
        if (rc == IBC_EINVAL) {
            return password_form(req, 422, "new", e.msg);
        }
        req->err = e;
        return rc;
    }
    /* Other browsers signed in as this person are signed out. */
    if ((rc = session_delete_person(req->db, u->org_id, u->person_id,
                                    u->session_hash, &req->err))) {
        return rc;
    }
    resp_redirect(req, 303, "/?password=changed");
    return 0;
}

/* ---- who am I ---- */

static void put_roles(struct json *j, unsigned roles)
{
    json_arr_open(j, "roles");
    for (unsigned bit = 1; bit && bit <= ROLE__ALL; bit <<= 1) {
        const char *n = (roles & bit) ? role_name(bit) : NULL;
        if (n) {
            json_put_str(j, NULL, n);
        }
    }
    json_arr_close(j);
}

int auth_me_api(struct req *req)
{
    const struct auth_user *u = req->user;
    const struct org *o = web_org(req);
    struct buf out = BUF_INIT;
    struct json j;
    json_init(&j, &out);
    json_obj_open(&j, NULL);
    json_obj_open(&j, "person");
    json_put_int(&j, "id", u->person_id);
    json_put_str(&j, "login", u->login);
    json_put_str(&j, "name", u->name);
    json_obj_close(&j);
    put_roles(&j, u->roles);
    json_obj_open(&j, "school");
    json_put_str(&j, "code", o ? o->code : NULL);
    json_put_str(&j, "name", o ? o->short_name : NULL);
    json_obj_close(&j);
    if (u->class_id) {
        json_obj_open(&j, "class");
        json_put_int(&j, "id", u->class_id);
        json_put_str(&j, "name", u->class_name);
        json_obj_close(&j);
    } else {
        json_put_null(&j, "class");
    }
    json_put_str(&j, "via", u->via == AUTH_VIA_TOKEN ? "token" : "session");
    if (u->via == AUTH_VIA_TOKEN) {
        json_put_str(&j, "scope", token_scope_name(u->scope));
    }
    json_obj_close(&j);
    resp_json(req, 200, buf_cstr(&out));
    buf_reset(&out);
    return 0;
}

/* ---- a person's card ---- */

int auth_person_page(struct req *req)
{
    int64_t id;
    if (!str_to_i64(req_path_arg(req, "id"), &id) || id <= 0) {
        return ibc_fail(&req->err, IBC_ENOTFOUND, "no such person");
    }
    /* The dispatcher has checked the scope; the store filters by school
     * again. */
    struct person p;
    int rc = person_get(req->db, req->arena, req->user->org_id, id, &p,
                        &req->err);
    if (rc) {
        return rc;
    }
    struct tpl_vm *vm = page_vm(req);
    struct tpl_vm *pv = tpl_obj(vm, "person");
    const char *name = arena_printf(
        req->arena, "%s %s%s%s", p.last_name ? p.last_name : "",
        p.first_name ? p.first_name : "", p.middle_name ? " " : "",
        p.middle_name ? p.middle_name : "");
    tpl_set_str(pv, "name", name);
    tpl_set_str(pv, "class", p.class_name ? p.class_name : "");
    tpl_list(pv, "roles");
    for (unsigned bit = 1; bit && bit <= ROLE__ALL; bit <<= 1) {
        const char *n = (p.roles & bit) ? role_name(bit) : NULL;
        if (n) {
            char key[64];
            snprintf(key, sizeof(key), "auth.role_%s", n);
            tpl_list_add_str(pv, "roles", web_msg(req, key));
        }
    }
    tpl_set_bool(pv, "own", p.id == req->user->person_id);
    tpl_set_bool(pv, "own_staff",
                 p.id == req->user->person_id &&
                     (p.roles & (ROLE_LIBRARIAN | ROLE_HEAD | ROLE_ADMIN)));
    if (p.id != req->user->person_id) {
        /* Every view of another person's data is in the audit log. */
        audit_req(req, "person.view", "person", p.id, NULL);
    }
    return page_render(req, "auth/person", vm, name);
}
