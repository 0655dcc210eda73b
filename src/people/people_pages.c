/* ibc — the pages that manage the school's people: the list, a person's
 * account, new people, roles and one-time passwords (route handlers).
 *
 * GET /people lists the school's people for staff («Читатели» for the
 * librarian and the head, «Пользователи и роли» for the administrator),
 * filtered by role and class, in Russian name order (the store sorts by
 * class, then by ICU collation keys). GET/POST /people/new creates a
 * person (librarian, administrator): every field is checked before the
 * store is asked, so each wrong field gets its message at once, next to
 * it, with status 422 and the values kept. A new person gets a one-time
 * password, shown once on the result page and to be changed at the first
 * sign-in. A librarian may create students, teachers and parents only;
 * staff roles are the administrator's to give (POST /people/{id}/roles).
 * POST /people/{id}/password gives a new one-time password (and, on
 * request, the login slip as PDF); a librarian cannot do it for staff,
 * whose passwords are the administrator's business, so a librarian can
 * never take over an administrator's account. Every action and every
 * view of a person's data is audited. */
#include "people/people_pages.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "auth/auth.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/str.h"
#include "db/db.h"
#include "mail/outbox.h"
#include "org/org.h"
#include "people/people.h"
#include "print/slips.h"
#include "privacy/privacy.h"
#include "tpl/tpl.h"
#include "web/page.h"
#include "web/web.h"

/* The roles a form offers, in this order. ROLE_CLASS_TEACHER follows from
 * the classes, ROLE_COORDINATOR from the municipality (CLI). */
static const unsigned form_roles[] = {ROLE_STUDENT,   ROLE_TEACHER,
                                      ROLE_PARENT,    ROLE_LIBRARIAN,
                                      ROLE_HEAD,      ROLE_ADMIN};
#define N_FORM_ROLES (sizeof(form_roles) / sizeof(form_roles[0]))
/* What a librarian (not an administrator) may give. */
#define LIBRARIAN_GIVES (ROLE_STUDENT | ROLE_TEACHER | ROLE_PARENT)
#define STAFF_ROLES (ROLE_LIBRARIAN | ROLE_HEAD | ROLE_ADMIN)

/* ---- shared helpers (people_pages.h) ---- */

const char *people_full_name(struct req *req, const struct person *p)
{
    return arena_printf(req->arena, "%s %s%s%s",
                        p->last_name ? p->last_name : "",
                        p->first_name ? p->first_name : "",
                        p->middle_name ? " " : "",
                        p->middle_name ? p->middle_name : "");
}

int64_t people_path_id(struct req *req)
{
    int64_t id;
    if (!str_to_i64(req_path_arg(req, "id"), &id) || id <= 0) {
        return 0;
    }
    return id;
}

void people_field_error(struct tpl_vm *vm, const char *field,
                        const char *msg)
{
    struct tpl_vm *e = tpl_obj(vm, "errors");
    tpl_set_str(e, field && *field ? field : "form", msg);
    tpl_set_bool(vm, "has_errors", true);
}

const char *people_err_msg(struct req *req, int rc, const struct ibc_error *e)
{
    const char *key = arena_printf(req->arena, "people.err_%s%s",
                                   e->field[0] ? e->field : "form",
                                   rc == IBC_ECONFLICT ? "_taken" : "");
    const char *m = web_msg(req, key);
    return str_eq(m, key) ? e->msg : m;
}

const char *people_attachment(struct req *req, const char *ascii_fallback,
                              const char *name)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "attachment; filename=\"%s\"; filename*=UTF-8''",
               ascii_fallback);
    tpl_esc_url_component(&b, name);
    const char *s = arena_strdup(req->arena, buf_cstr(&b));
    buf_reset(&b);
    return s;
}

/* The words for a role (the auth module's catalogue keys). */
static const char *role_label(struct req *req, unsigned bit)
{
    const char *n = role_name(bit);
    if (!n) {
        return "";
    }
    return web_msg(req, arena_printf(req->arena, "auth.role_%s", n));
}

static const char *roles_label(struct req *req, unsigned roles)
{
    struct buf b = BUF_INIT;
    for (unsigned bit = 1; bit && bit <= ROLE__ALL; bit <<= 1) {
        if (roles & bit) {
            buf_printf(&b, "%s%s", b.len ? ", " : "", role_label(req, bit));
        }
    }
    const char *s = arena_strdup(req->arena, buf_cstr(&b));
    buf_reset(&b);
    return s;
}

static bool caller_is(const struct req *req, unsigned roles)
{
    return req->user && (req->user->roles & roles);
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

/* Fills the slip labels from the catalogue. */
static void slip_labels(struct req *req, struct slip_labels *l)
{
    const struct org *o = web_org(req);
    l->school = o ? o->short_name : "";
    l->heading = web_msg(req, "slips.heading");
    l->address = web_msg(req, "slips.address");
    l->url = signin_url(req);
    l->login = web_msg(req, "slips.login");
    l->password = web_msg(req, "slips.password");
    l->change_note = web_msg(req, "slips.change_note");
    l->parent_code = web_msg(req, "slips.parent_code");
    l->valid_until = web_msg(req, "slips.valid_until");
}

/* ---- GET /people ---- */

int people_list_page(struct req *req)
{
    const struct org *o = web_org(req);
    if (!o) {
        return ibc_fail(&req->err, IBC_EUNAVAIL, "no school");
    }
    const char *role_q = req_query(req, "role");
    unsigned mask = str_empty(role_q) ? 0 : role_parse(role_q);
    int64_t class_id = 0;
    const char *class_q = req_query(req, "class");
    if (!str_empty(class_q) && (!str_to_i64(class_q, &class_id) ||
                                class_id < 0)) {
        class_id = 0;
    }
    struct person *people;
    size_t n;
    int rc = person_list(req->db, req->arena, o->id, mask, class_id, &people,
                         &n, &req->err);
    if (rc) {
        return rc;
    }
    struct school_class *classes;
    size_t nc;
    if ((rc = class_list(req->db, req->arena, o->id, &classes, &nc,
                         &req->err))) {
        return rc;
    }
    rc = audit_req(req, "person.list", NULL, 0,
                   arena_printf(req->arena, "role=%s class=%lld count=%zu",
                                mask ? role_name(mask) : "any",
                                (long long)class_id, n));
    if (rc) {
        return rc;
    }
    struct tpl_vm *vm = page_vm(req);
    bool manage = caller_is(req, ROLE_LIBRARIAN | ROLE_ADMIN);
    tpl_set_bool(vm, "can_create", manage);
    tpl_list(vm, "people");
    for (size_t i = 0; i < n; i++) {
        struct tpl_vm *it = tpl_list_add(vm, "people");
        tpl_set_int(it, "id", people[i].id);
        tpl_set_str(it, "name", people_full_name(req, &people[i]));
        tpl_set_str(it, "login", people[i].login);
        tpl_set_str(it, "class", people[i].class_name ? people[i].class_name
                                                      : "");
        tpl_set_str(it, "roles", roles_label(req, people[i].roles));
        tpl_set_bool(it, "left", people[i].status != PERSON_ACTIVE);
        tpl_set_bool(it, "manage", manage);
    }
    tpl_set_int(vm, "count", (int64_t)n);
    static const unsigned filter_roles[] = {
        ROLE_STUDENT,   ROLE_TEACHER, ROLE_CLASS_TEACHER, ROLE_PARENT,
        ROLE_LIBRARIAN, ROLE_HEAD,    ROLE_ADMIN};
    for (size_t i = 0; i < sizeof(filter_roles) / sizeof(filter_roles[0]);
         i++) {
        struct tpl_vm *it = tpl_list_add(vm, "roles");
        tpl_set_str(it, "value", role_name(filter_roles[i]));
        tpl_set_str(it, "label", role_label(req, filter_roles[i]));
        tpl_set_bool(it, "selected", mask == filter_roles[i]);
    }
    for (size_t i = 0; i < nc; i++) {
        struct tpl_vm *it = tpl_list_add(vm, "classes");
        tpl_set_int(it, "id", classes[i].id);
        tpl_set_str(it, "name", classes[i].name);
        tpl_set_bool(it, "selected", classes[i].id == class_id);
    }
    tpl_set_bool(vm, "filtered", mask || class_id);
    const char *title = web_msg(req, caller_is(req, ROLE_ADMIN)
                                         ? "people.title_admin"
                                         : "people.title");
    tpl_set_str(vm, "heading", title);
    return page_render(req, "people/index", vm, title);
}

/* ---- GET/POST /people/new ---- */

struct new_form {
    const char *last_name, *first_name, *middle_name, *login, *birth_date,
        *email, *role, *class_id;
};

static unsigned may_give(const struct req *req)
{
    return caller_is(req, ROLE_ADMIN) ? ROLE__ALL & ~ROLE_CLASS_TEACHER &
                                            ~ROLE_COORDINATOR
                                      : LIBRARIAN_GIVES;
}

/* Renders the form; f may be NULL (empty form). */
static int new_form_render(struct req *req, struct tpl_vm *vm,
                           const struct new_form *f, int status)
{
    const struct org *o = web_org(req);
    struct tpl_vm *fv = tpl_obj(vm, "form");
    if (f) {
        tpl_set_str(fv, "last_name", f->last_name);
        tpl_set_str(fv, "first_name", f->first_name);
        tpl_set_str(fv, "middle_name", f->middle_name);
        tpl_set_str(fv, "login", f->login);
        tpl_set_str(fv, "birth_date", f->birth_date);
        tpl_set_str(fv, "email", f->email);
    }
    unsigned give = may_give(req);
    const char *role = f && !str_empty(f->role) ? f->role : "student";
    for (size_t i = 0; i < N_FORM_ROLES; i++) {
        if (!(give & form_roles[i])) {
            continue;
        }
        struct tpl_vm *it = tpl_list_add(vm, "roles");
        tpl_set_str(it, "value", role_name(form_roles[i]));
        tpl_set_str(it, "label", role_label(req, form_roles[i]));
        tpl_set_bool(it, "selected", str_eq(role, role_name(form_roles[i])));
    }
    struct school_class *classes;
    size_t nc;
    int rc = class_list(req->db, req->arena, o->id, &classes, &nc, &req->err);
    if (rc) {
        return rc;
    }
    int64_t cid = 0;
    if (f && f->class_id) {
        str_to_i64(f->class_id, &cid);
    }
    for (size_t i = 0; i < nc; i++) {
        struct tpl_vm *it = tpl_list_add(vm, "classes");
        tpl_set_int(it, "id", classes[i].id);
        tpl_set_str(it, "name", classes[i].name);
        tpl_set_bool(it, "selected", classes[i].id == cid);
    }
    req->status = status;
    return page_render(req, "people/new", vm, web_msg(req, "people.new"));
}

int people_new_page(struct req *req)
{
    if (!web_org(req)) {
        return ibc_fail(&req->err, IBC_EUNAVAIL, "no school");
    }
    return new_form_render(req, page_vm(req), NULL, 200);
}

static const char *field_or_empty(struct req *req, const char *name)
{
    const char *v = req_form(req, name);
    return v ? v : "";
}

int people_new_post(struct req *req)
{
    const struct org *o = web_org(req);
    if (!o) {
        return ibc_fail(&req->err, IBC_EUNAVAIL, "no school");
    }
    struct new_form f = {
        .last_name = field_or_empty(req, "last_name"),
        .first_name = field_or_empty(req, "first_name"),
        .middle_name = field_or_empty(req, "middle_name"),
        .login = field_or_empty(req, "login"),
        .birth_date = field_or_empty(req, "birth_date"),
        .email = field_or_empty(req, "email"),
        .role = field_or_empty(req, "role"),
        .class_id = field_or_empty(req, "class_id"),
    };
    struct tpl_vm *vm = page_vm(req);
    bool bad = false;
#define FIELD_ERR(field, key)                                                 \
    do {                                                                      \
        people_field_error(vm, field, web_msg(req, key));                     \
        bad = true;                                                           \
    } while (0)
    if (!person_name_valid(f.last_name)) {
        FIELD_ERR("last_name", "people.err_last_name");
    }
    if (!person_name_valid(f.first_name)) {
        FIELD_ERR("first_name", "people.err_first_name");
    }
    if (*f.middle_name && !person_name_valid(f.middle_name)) {
        FIELD_ERR("middle_name", "people.err_middle_name");
    }
    char login[PERSON_LOGIN_MAX + 1];
    if (person_login_normalise(f.login, login, NULL) != 0) {
        FIELD_ERR("login", "people.err_login");
    }
    unsigned role = role_parse(f.role);
    if (!role || !(role & may_give(req))) {
        FIELD_ERR("roles", "people.err_roles");
    }
    int64_t class_id = 0;
    if (role == ROLE_STUDENT) {
        if (!str_to_i64(f.class_id, &class_id) || class_id <= 0) {
            FIELD_ERR("class_id", "people.err_class_id");
        }
        if (*f.email) {
            FIELD_ERR("email", "people.err_email_child");
        }
    }
    if (*f.birth_date && !person_birth_date_valid(f.birth_date)) {
        FIELD_ERR("birth_date", "people.err_birth_date");
    }
    if (*f.email && !outbox_addr_valid(f.email)) {
        FIELD_ERR("email", "people.err_email");
    }
#undef FIELD_ERR
    if (bad) {
        return new_form_render(req, vm, &f, 422);
    }
    char password[16];
    int rc = person_generate_password(password);
    if (rc) {
        return ibc_fail(&req->err, rc, "cannot make a password");
    }
    struct person_input in = {
        .login = login,
        .last_name = f.last_name,
        .first_name = f.first_name,
        .middle_name = *f.middle_name ? f.middle_name : NULL,
        .birth_date = *f.birth_date ? f.birth_date : NULL,
        .email = *f.email ? f.email : NULL,
        .roles = role,
        .class_id = class_id,
        .password = password,
        .must_change_password = true,
    };
    struct ibc_error e = IBC_ERROR_INIT;
    int64_t id = 0;
    if ((rc = db_begin(req->db, DB_TX_WRITE, &req->err))) {
        return rc;
    }
    rc = person_create(req->db, o->id, &in, &id, &e);
    if (rc == 0) {
        rc = audit_req(req, "person.create", "person", id,
                       arena_printf(req->arena, "roles=%s", role_name(role)));
        if (rc == 0) {
            rc = db_commit(req->db, &e);
        }
    }
    if (rc) {
        db_rollback(req->db);
        if ((rc == IBC_EINVAL || rc == IBC_ECONFLICT) && e.field[0]) {
            people_field_error(vm, e.field, people_err_msg(req, rc, &e));
            return new_form_render(req, vm, &f, 422);
        }
        req->err = e;
        return rc;
    }
    struct person p;
    if ((rc = person_get(req->db, req->arena, o->id, id, &p, &req->err))) {
        return rc;
    }
    struct tpl_vm *pv = tpl_obj(vm, "person");
    tpl_set_int(pv, "id", p.id);
    tpl_set_str(pv, "name", people_full_name(req, &p));
    tpl_set_str(pv, "login", p.login);
    tpl_set_str(pv, "class", p.class_name ? p.class_name : "");
    tpl_set_str(vm, "password", password);
    req->status = 201;
    return page_render(req, "people/created", vm,
                       web_msg(req, "people.created"));
}

/* ---- GET /people/{id}/account ---- */

/* May the caller give a one-time password to p? Librarians and
 * administrators; staff accounts only by an administrator; never oneself
 * (that is /password). */
static bool may_reset(const struct req *req, const struct person *p)
{
    if (!caller_is(req, ROLE_LIBRARIAN | ROLE_ADMIN) ||
        p->id == req->user->person_id) {
        return false;
    }
    return !(p->roles & STAFF_ROLES) || caller_is(req, ROLE_ADMIN);
}

static int account_render(struct req *req, struct tpl_vm *vm,
                          const struct person *p, int status)
{
    struct tpl_vm *pv = tpl_obj(vm, "person");
    tpl_set_int(pv, "id", p->id);
    tpl_set_str(pv, "name", people_full_name(req, p));
    tpl_set_str(pv, "login", p->login);
    tpl_set_str(pv, "class", p->class_name ? p->class_name : "");
    tpl_set_int(pv, "class_id", p->class_id);
    tpl_set_str(pv, "birth_date", p->birth_date ? p->birth_date : "");
    tpl_set_str(pv, "email", p->email ? p->email : "");
    tpl_set_str(pv, "roles", roles_label(req, p->roles));
    tpl_set_bool(pv, "must_change", p->must_change_password);
    tpl_set_bool(pv, "student", p->roles & ROLE_STUDENT);
    bool admin = caller_is(req, ROLE_ADMIN);
    tpl_set_bool(vm, "can_roles", admin);
    if (admin) {
        for (size_t i = 0; i < N_FORM_ROLES; i++) {
            struct tpl_vm *it = tpl_list_add(vm, "role_boxes");
            tpl_set_str(it, "value", role_name(form_roles[i]));
            tpl_set_str(it, "label", role_label(req, form_roles[i]));
            tpl_set_bool(it, "checked", p->roles & form_roles[i]);
        }
    }
    tpl_set_bool(vm, "can_reset", may_reset(req, p));
    req->status = status;
    return page_render(req, "people/account", vm, people_full_name(req, p));
}

int people_account_page(struct req *req)
{
    int64_t id = people_path_id(req);
    struct person p;
    int rc = person_get(req->db, req->arena, req->user->org_id, id, &p,
                        &req->err);
    if (rc) {
        return rc;
    }
    if ((rc = audit_req(req, "person.view", "person", id, "account"))) {
        return rc;
    }
    return account_render(req, page_vm(req), &p, 200);
}

/* ---- POST /people/{id}/roles ---- */

int people_roles_post(struct req *req)
{
    int64_t id = people_path_id(req);
    int64_t org_id = req->user->org_id;
    struct person p;
    int rc = person_get(req->db, req->arena, org_id, id, &p, &req->err);
    if (rc) {
        return rc;
    }
    /* Keep what no form shows (class teacher, coordinator). */
    unsigned roles = p.roles & (ROLE_CLASS_TEACHER | ROLE_COORDINATOR);
    for (size_t i = 0; i < N_FORM_ROLES; i++) {
        const char *v = req_form(req, arena_printf(req->arena, "role_%s",
                                                   role_name(form_roles[i])));
        if (str_eq(v, "1")) {
            roles |= form_roles[i];
        }
    }
    struct tpl_vm *vm = page_vm(req);
    if (!(roles & ~(unsigned)ROLE_CLASS_TEACHER)) {
        people_field_error(vm, "roles", web_msg(req, "people.err_roles"));
        return account_render(req, vm, &p, 422);
    }
    if (id == req->user->person_id && !(roles & ROLE_ADMIN)) {
        people_field_error(vm, "roles",
                           web_msg(req, "people.err_own_admin"));
        return account_render(req, vm, &p, 422);
    }
    struct ibc_error e = IBC_ERROR_INIT;
    if ((rc = db_begin(req->db, DB_TX_WRITE, &req->err))) {
        return rc;
    }
    rc = person_set_roles(req->db, org_id, id, roles, &e);
    if (rc == 0) {
        rc = audit_req(req, "person.roles", "person", id,
                       arena_printf(req->arena, "%s -> %s",
                                    role_format(req->arena, p.roles),
                                    role_format(req->arena, roles)));
        if (rc == 0) {
            rc = db_commit(req->db, &e);
        }
    }
    if (rc) {
        db_rollback(req->db);
        if (rc == IBC_EINVAL) {
            people_field_error(vm, "roles", people_err_msg(req, rc, &e));
            return account_render(req, vm, &p, 422);
        }
        req->err = e;
        return rc;
    }
    resp_redirect(req, 303,
                  arena_printf(req->arena, "/people/%lld/account?saved=1",
                               (long long)id));
    return 0;
}

/* ---- POST /people/{id}/password ---- */

int people_password_post(struct req *req)
{
    int64_t id = people_path_id(req);
    int64_t org_id = req->user->org_id;
    struct person p;
    int rc = person_get(req->db, req->arena, org_id, id, &p, &req->err);
    if (rc) {
        return rc;
    }
    if (!may_reset(req, &p)) {
        return ibc_fail(&req->err, IBC_EPERM, "%s",
                        web_msg(req, "people.reset_refused"));
    }
    bool slip = str_eq(req_form(req, "slip"), "1");
    char password[16];
    if ((rc = person_generate_password(password))) {
        return ibc_fail(&req->err, rc, "cannot make a password");
    }
    struct ibc_error e = IBC_ERROR_INIT;
    if ((rc = db_begin(req->db, DB_TX_WRITE, &req->err))) {
        return rc;
    }
    rc = person_set_password(req->db, org_id, id, password, true, &e);
    if (rc == 0) {
        /* whoever was signed in as this person is signed out */
        rc = session_delete_person(req->db, org_id, id, NULL, &e);
    }
    if (rc == 0) {
        rc = audit_req(req, "person.password_reset", "person", id,
                       slip ? "one-time password, slip" : "one-time password");
    }
    struct buf pdf = BUF_INIT;
    if (rc == 0 && slip) {
        struct slip_labels l;
        slip_labels(req, &l);
        struct slip s = {
            .name = people_full_name(req, &p),
            .class_name = p.class_name ? p.class_name : "",
            .login = p.login,
            .password = password,
        };
        rc = slips_render_pdf(&s, 1, &l, &pdf, &e);
    }
    if (rc == 0) {
        rc = db_commit(req->db, &e);
    }
    if (rc) {
        db_rollback(req->db);
        buf_reset(&pdf);
        req->err = e;
        return rc;
    }
    if (slip) {
        buf_clear(&req->out);
        buf_append(&req->out, pdf.data, pdf.len);
        buf_reset(&pdf);
        req->status = 200;
        req->content_type = "application/pdf";
        resp_header(req, "Content-Disposition",
                    people_attachment(req, "slip.pdf",
                                      arena_printf(req->arena, "%s %s.pdf",
                                                   web_msg(req, "slips.file"),
                                                   p.login)));
        return 0;
    }
    struct tpl_vm *vm = page_vm(req);
    struct tpl_vm *pv = tpl_obj(vm, "person");
    tpl_set_int(pv, "id", p.id);
    tpl_set_str(pv, "name", people_full_name(req, &p));
    tpl_set_str(pv, "login", p.login);
    tpl_set_str(vm, "password", password);
    return page_render(req, "people/password_done", vm,
                       web_msg(req, "people.password_done"));
}
