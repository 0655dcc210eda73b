/* ibc — the pages of classes and their login slips (route handlers).
 *
 * GET /classes lists the school's classes (newest school year first) with
 * the class teacher and the number of pupils; GET/POST /classes/new makes
 * one (librarian, administrator; errors next to the fields, 422). GET
 * /classes/{id} shows the pupils to staff and to the class teacher of that
 * class (the route's ROUTE_SUBJECT_CLASS scope, decided in perm.c).
 *
 * Login slips: GET /classes/{id}/slips says what printing does; POST does
 * it in one transaction — a new one-time password for every pupil, to be
 * changed at the first sign-in (their sessions end), and a parent code per
 * child valid PARENT_CODE_DAYS days — and answers the sheet as a PDF
 * download. The PDF is rendered before the commit, so a failure changes
 * nobody's password. The passwords exist only in that PDF. */
#include "people/people_pages.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "auth/auth.h"
#include "core/buf.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "org/org.h"
#include "people/people.h"
#include "print/slips.h"
#include "privacy/privacy.h"
#include "web/page.h"
#include "web/web.h"

static bool caller_is(const struct req *req, unsigned roles)
{
    return req->user && (req->user->roles & roles);
}

/* ---- GET /classes ---- */

int classes_list_page(struct req *req)
{
    int64_t org_id = req->user->org_id;
    struct school_class *classes;
    size_t nc;
    int rc = class_list(req->db, req->arena, org_id, &classes, &nc, &req->err);
    if (rc) {
        return rc;
    }
    struct person *pupils;
    size_t np;
    if ((rc = person_list(req->db, req->arena, org_id, ROLE_STUDENT, 0,
                          &pupils, &np, &req->err))) {
        return rc;
    }
    struct tpl_vm *vm = page_vm(req);
    tpl_list(vm, "classes");
    for (size_t i = 0; i < nc; i++) {
        struct tpl_vm *it = tpl_list_add(vm, "classes");
        tpl_set_int(it, "id", classes[i].id);
        tpl_set_str(it, "name", classes[i].name);
        tpl_set_strf(it, "year", "%d/%02d", classes[i].school_year,
                     (classes[i].school_year + 1) % 100);
        int64_t count = 0;
        for (size_t j = 0; j < np; j++) {
            count += pupils[j].class_id == classes[i].id;
        }
        tpl_set_strf(it, "count", "%lld", (long long)count);
        if (classes[i].teacher_id) {
            struct person t;
            struct ibc_error e = IBC_ERROR_INIT;
            if (person_get(req->db, req->arena, org_id, classes[i].teacher_id,
                           &t, &e) == 0) {
                tpl_set_str(it, "teacher", people_full_name(req, &t));
            }
        }
    }
    tpl_set_bool(vm, "can_create", caller_is(req, ROLE_LIBRARIAN | ROLE_ADMIN));
    return page_render(req, "classes/index", vm, web_msg(req, "classes.title"));
}

/* ---- GET/POST /classes/new ---- */

/* The school year of today: it starts in August. */
static int current_school_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return tm.tm_year + 1900 - (tm.tm_mon < 7 ? 1 : 0);
}

static int class_form_render(struct req *req, struct tpl_vm *vm,
                             const char *name, const char *level,
                             const char *year, const char *teacher,
                             int status)
{
    struct tpl_vm *fv = tpl_obj(vm, "form");
    tpl_set_str(fv, "name", name ? name : "");
    tpl_set_str(fv, "level", level ? level : "");
    if (year) {
        tpl_set_str(fv, "school_year", year);
    } else {
        tpl_set_int(fv, "school_year", current_school_year());
    }
    int64_t tid = 0;
    if (teacher) {
        str_to_i64(teacher, &tid);
    }
    struct person *teachers;
    size_t nt;
    int rc = person_list(req->db, req->arena, req->user->org_id,
                         ROLE_TEACHER, 0, &teachers, &nt, &req->err);
    if (rc) {
        return rc;
    }
    for (size_t i = 0; i < nt; i++) {
        struct tpl_vm *it = tpl_list_add(vm, "teachers");
        tpl_set_int(it, "id", teachers[i].id);
        tpl_set_str(it, "name", people_full_name(req, &teachers[i]));
        tpl_set_bool(it, "selected", teachers[i].id == tid);
    }
    req->status = status;
    return page_render(req, "classes/new", vm, web_msg(req, "classes.new"));
}

int classes_new_page(struct req *req)
{
    return class_form_render(req, page_vm(req), NULL, NULL, NULL, NULL, 200);
}

int classes_new_post(struct req *req)
{
    const char *name = req_form(req, "name");
    const char *level_s = req_form(req, "level");
    const char *year_s = req_form(req, "school_year");
    const char *teacher_s = req_form(req, "teacher_id");
    struct tpl_vm *vm = page_vm(req);
    int64_t level = 0, year = 0, teacher = 0;
    bool bad = false;
    if (!str_to_i64(level_s, &level) || level < 1 || level > 11) {
        people_field_error(vm, "level", web_msg(req, "classes.err_level"));
        bad = true;
    }
    if (!str_to_i64(year_s, &year) || year < 2000 || year > 2100) {
        people_field_error(vm, "school_year",
                           web_msg(req, "classes.err_school_year"));
        bad = true;
    }
    if (!str_empty(teacher_s) && (!str_to_i64(teacher_s, &teacher) ||
                                  teacher < 0)) {
        people_field_error(vm, "teacher_id",
                           web_msg(req, "classes.err_teacher_id"));
        bad = true;
    }
    if (str_empty(name)) {
        people_field_error(vm, "name", web_msg(req, "classes.err_name"));
        bad = true;
    }
    if (bad) {
        return class_form_render(req, vm, name, level_s, year_s, teacher_s,
                                 422);
    }
    int64_t org_id = req->user->org_id;
    struct ibc_error e = IBC_ERROR_INIT;
    int64_t id = 0;
    int rc = db_begin(req->db, DB_TX_WRITE, &req->err);
    if (rc) {
        return rc;
    }
    rc = class_create(req->db, org_id, name, (int)level, (int)year, teacher,
                      &id, &e);
    if (rc == 0) {
        rc = audit_req(req, "class.create", "class", id, name);
        if (rc == 0) {
            rc = db_commit(req->db, &e);
        }
    }
    if (rc) {
        db_rollback(req->db);
        if ((rc == IBC_EINVAL || rc == IBC_ECONFLICT) && e.field[0]) {
            const char *key = arena_printf(req->arena, "classes.err_%s%s",
                                           e.field,
                                           rc == IBC_ECONFLICT ? "_taken"
                                                               : "");
            const char *m = web_msg(req, key);
            people_field_error(vm, e.field, str_eq(m, key) ? e.msg : m);
            return class_form_render(req, vm, name, level_s, year_s,
                                     teacher_s, 422);
        }
        req->err = e;
        return rc;
    }
    resp_redirect(req, 303,
                  arena_printf(req->arena, "/classes/%lld", (long long)id));
    return 0;
}

/* ---- GET /classes/{id} ---- */

/* The class of the path (the scope check has found it already). */
static int load_class(struct req *req, struct school_class *c,
                      struct person **pupils, size_t *n)
{
    int64_t id = people_path_id(req);
    int64_t org_id = req->user->org_id;
    int rc = class_get(req->db, req->arena, org_id, id, c, &req->err);
    if (rc) {
        return rc;
    }
    return person_list(req->db, req->arena, org_id, ROLE_STUDENT, id, pupils,
                       n, &req->err);
}

int classes_show_page(struct req *req)
{
    struct school_class c;
    struct person *pupils;
    size_t n;
    int rc = load_class(req, &c, &pupils, &n);
    if (rc) {
        return rc;
    }
    if ((rc = audit_req(req, "class.view", "class", c.id,
                        arena_printf(req->arena, "pupils=%zu", n)))) {
        return rc;
    }
    struct tpl_vm *vm = page_vm(req);
    struct tpl_vm *cv = tpl_obj(vm, "class");
    tpl_set_int(cv, "id", c.id);
    tpl_set_str(cv, "name", c.name);
    tpl_set_strf(cv, "year", "%d/%02d", c.school_year,
                 (c.school_year + 1) % 100);
    if (c.teacher_id) {
        struct person t;
        struct ibc_error e = IBC_ERROR_INIT;
        if (person_get(req->db, req->arena, req->user->org_id, c.teacher_id,
                       &t, &e) == 0) {
            tpl_set_str(cv, "teacher", people_full_name(req, &t));
        }
    }
    tpl_list(vm, "pupils");
    for (size_t i = 0; i < n; i++) {
        struct tpl_vm *it = tpl_list_add(vm, "pupils");
        tpl_set_int(it, "id", pupils[i].id);
        tpl_set_str(it, "name", people_full_name(req, &pupils[i]));
        tpl_set_str(it, "login", pupils[i].login);
        tpl_set_bool(it, "must_change", pupils[i].must_change_password);
    }
    tpl_set_int(vm, "count", (int64_t)n);
    tpl_set_bool(vm, "can_print", caller_is(req, ROLE_LIBRARIAN | ROLE_ADMIN));
    return page_render(req, "classes/show", vm, c.name);
}

/* ---- GET/POST /classes/{id}/slips ---- */

int classes_slips_page(struct req *req)
{
    struct school_class c;
    struct person *pupils;
    size_t n;
    int rc = load_class(req, &c, &pupils, &n);
    if (rc) {
        return rc;
    }
    struct tpl_vm *vm = page_vm(req);
    struct tpl_vm *cv = tpl_obj(vm, "class");
    tpl_set_int(cv, "id", c.id);
    tpl_set_str(cv, "name", c.name);
    tpl_set_int(vm, "count", (int64_t)n);
    tpl_set_int(vm, "days", PARENT_CODE_DAYS);
    return page_render(req, "classes/slips", vm,
                       web_msg(req, "slips.title"));
}

/* Where the slips send people to sign in: this server's address. */
static const char *signin_url(struct req *req)
{
    const char *host = req_header(req, "host");
    if (str_empty(host) || strpbrk(host, " /\\\"<>")) {
        return "/signin";
    }
    return arena_printf(req->arena, "%s://%s/signin",
                        req->https ? "https" : "http", host);
}

int classes_slips_post(struct req *req)
{
    struct school_class c;
    struct person *pupils;
    size_t n;
    int rc = load_class(req, &c, &pupils, &n);
    if (rc) {
        return rc;
    }
    if (n == 0) {
        return ibc_fail(&req->err, IBC_EINVAL, "%s",
                        web_msg(req, "slips.none"));
    }
    int64_t org_id = req->user->org_id;
    const struct org *o = web_org(req);
    struct slip_labels l = {
        .school = o ? o->short_name : "",
        .heading = web_msg(req, "slips.heading"),
        .address = web_msg(req, "slips.address"),
        .url = signin_url(req),
        .login = web_msg(req, "slips.login"),
        .password = web_msg(req, "slips.password"),
        .change_note = web_msg(req, "slips.change_note"),
        .parent_code = web_msg(req, "slips.parent_code"),
        .valid_until = web_msg(req, "slips.valid_until"),
    };
    char until[32];
    time_format_date(until, time(NULL) + (time_t)PARENT_CODE_DAYS * 86400,
                     req->lang);
    struct slip *slips = arena_zalloc(req->arena, n * sizeof(*slips));
    struct ibc_error e = IBC_ERROR_INIT;
    struct buf pdf = BUF_INIT;
    if ((rc = db_begin(req->db, DB_TX_WRITE, &req->err))) {
        return rc;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *pw = arena_alloc(req->arena, 16);
        if ((rc = person_generate_password(pw))) {
            ibc_fail(&e, rc, "cannot make a password");
            break;
        }
        rc = person_set_password(req->db, org_id, pupils[i].id, pw, true, &e);
        if (rc == 0) {
            rc = session_delete_person(req->db, org_id, pupils[i].id, NULL,
                                       &e);
        }
        const char *code = NULL;
        if (rc == 0) {
            rc = parent_code_issue(req->db, req->arena, org_id, pupils[i].id,
                                   PARENT_CODE_DAYS, &code, &e);
        }
        slips[i] = (struct slip){
            .name = people_full_name(req, &pupils[i]),
            .class_name = c.name,
            .login = pupils[i].login,
            .password = pw,
            .parent_code = code,
            .code_until = arena_strdup(req->arena, until),
        };
    }
    if (rc == 0) {
        rc = audit_req(req, "slips.print", "class", c.id,
                       arena_printf(req->arena, "count=%zu", n));
    }
    if (rc == 0) {
        rc = slips_render_pdf(slips, n, &l, &pdf, &e);
    }
    if (rc == 0) {
        rc = db_commit(req->db, &e);
    }
    if (rc) {
        db_rollback(req->db);
        buf_reset(&pdf);
        if (e.code) {
            req->err = e;
        }
        return rc;
    }
    buf_clear(&req->out);
    buf_append(&req->out, pdf.data, pdf.len);
    buf_reset(&pdf);
    req->status = 200;
    req->content_type = "application/pdf";
    resp_header(req, "Content-Disposition",
                people_attachment(
                    req, arena_printf(req->arena, "slips-%lld.pdf",
                                      (long long)c.id),
                    arena_printf(req->arena, "%s %s.pdf",
                                 web_msg(req, "slips.file"), c.name)));
    return 0;
}
