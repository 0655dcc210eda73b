/* ibc — privacy pages: the privacy policy (public) and its editor (admin),
 * the audit log and its CSV export (head and admin), a person's consents
 * (staff); and audit_req(), the audit call of every handler.
 *
 * Handlers translate HTTP to the privacy stores and back; no SQL here
 * (STYLE.md rule 12). Every page that shows or changes personal data, and
 * the export, writes an audit row. See privacy.h. */
#include "privacy/privacy.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "org/org.h"
#include "people/people.h"
#include "tpl/tpl.h"
#include "web/page.h"
#include "web/web.h"

int audit_req(struct req *req, const char *action, const char *object_type,
              int64_t object_id, const char *details)
{
    const struct auth_user *u = req->user;
    int64_t org_id = u ? u->org_id : 0;
    if (!org_id) {
        const struct org *o = web_org(req);
        if (!o) {
            return IBC_ENOTFOUND;
        }
        org_id = o->id;
    }
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = audit_write(req->db, org_id, u ? u->person_id : 0,
                         u ? u->login : NULL, action, object_type, object_id,
                         details, req->peer, &err);
    if (rc) {
        log_err("audit %s: %s", action, err.msg);
    }
    return rc;
}

/* The school of a staff page: the caller's, else the request's. */
static int64_t req_org_id(struct req *req)
{
    if (req->user) {
        return req->user->org_id;
    }
    const struct org *o = web_org(req);
    return o ? o->id : 0;
}

/* "ДД.ММ.ГГГГ ЧЧ:ММ" (school time, UTC+3 until the school's zone is set)
 * of an ISO timestamp; "" when it does not parse. Arena string. */
static const char *when_text(struct req *req, const char *iso)
{
    time_t t;
    if (!iso || !time_parse_iso(iso, &t)) {
        return "";
    }
    char date[32], hm[8];
    time_format_date(date, t, req->lang);
    time_t msk = t + 3 * 3600;
    struct tm tm;
    gmtime_r(&msk, &tm);
    strftime(hm, sizeof(hm), "%H:%M", &tm);
    return arena_printf(req->arena, "%s %s", date, hm);
}

/* Splits text into paragraphs (blank lines) of lines into vm's list
 * "paragraphs" (each with a list "lines" of {text, first}). */
static void paragraphs_vm(struct req *req, struct tpl_vm *vm,
                          const char *text)
{
    tpl_list(vm, "paragraphs");
    struct tpl_vm *para = NULL;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, "\n");
        size_t end = len;
        if (end > 0 && p[end - 1] == '\r') {
            end--;
        }
        bool empty = true;
        for (size_t i = 0; i < end; i++) {
            if (p[i] != ' ' && p[i] != '\t') {
                empty = false;
                break;
            }
        }
        if (empty) {
            para = NULL;
        } else {
            bool first = !para;
            if (!para) {
                para = tpl_list_add(vm, "paragraphs");
                tpl_list(para, "lines");
            }
            struct tpl_vm *ln = tpl_list_add(para, "lines");
            tpl_set_str(ln, "text", arena_strndup(req->arena, p, end));
            tpl_set_bool(ln, "first", first);
        }
        p += len;
        if (*p == '\n') {
            p++;
        }
    }
}

/* ================= the privacy policy ================= */

static bool user_is_admin(const struct req *req)
{
    return req->user && perm_roles_allow(req->user->roles, true, PERM_ADMIN);
}

int privacy_policy_page(struct req *req)
{
    const struct org *o = web_org(req);
    if (!o) {
        return IBC_ENOTFOUND;
    }
    const char *text = NULL;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = privacy_policy_get(req->db, req->arena, o->id, &text, &err);
    if (rc) {
        return rc;
    }
    struct tpl_vm *vm = page_vm(req);
    if (text) {
        struct tpl_vm *c = tpl_obj(vm, "custom");
        paragraphs_vm(req, c, text);
    }
    tpl_set_int(vm, "retention_days", privacy_retention_days(req->db, o->id));
    tpl_set_bool(vm, "can_edit", user_is_admin(req));
    return page_render(req, "privacy/policy", vm,
                       web_msg(req, "privacy.title"));
}

static int edit_form(struct req *req, const char *text, const char *error)
{
    struct tpl_vm *vm = page_vm(req);
    tpl_set_str(vm, "text", text ? text : "");
    if (error) {
        tpl_set_str(vm, "error", error);
    }
    tpl_set_bool(vm, "saved", str_eq(req_query(req, "saved"), "1"));
    tpl_set_int(vm, "max", PRIVACY_POLICY_MAX);
    return page_render(req, "privacy/edit", vm,
                       web_msg(req, "privacy.edit_title"));
}

int privacy_policy_edit_page(struct req *req)
{
    int64_t org_id = req_org_id(req);
    if (!org_id) {
        return IBC_ENOTFOUND;
    }
    const char *text = NULL;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = privacy_policy_get(req->db, req->arena, org_id, &text, &err);
    if (rc) {
        return rc;
    }
    return edit_form(req, text, NULL);
}

int privacy_policy_save(struct req *req)
{
    int64_t org_id = req_org_id(req);
    if (!org_id) {
        return IBC_ENOTFOUND;
    }
    const char *text = req_form(req, "text");
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = db_begin(req->db, DB_TX_WRITE, &err);
    if (rc) {
        return rc;
    }
    rc = privacy_policy_set(req->db, org_id, text, &err);
    if (rc == IBC_EINVAL) {
        db_rollback(req->db);
        req->status = 422;
        return edit_form(req, text,
                         web_msg(req, "privacy.error.too_long"));
    }
    if (!rc) {
        rc = audit_req(req, "privacy.policy.edit", "org", org_id,
                       str_empty(text) ? "default text" : "own text");
    }
    if (rc) {
        db_rollback(req->db);
        return rc;
    }
    rc = db_commit(req->db, &err);
    if (rc) {
        return rc;
    }
    resp_redirect(req, 303, "/privacy/edit?saved=1");
    return 0;
}

/* ================= the audit log ================= */

/* A date field "YYYY-MM-DD" of the filter form as ISO midnight (UTC) of
 * that day, or of the next day (next = true: for an inclusive "to"). NULL
 * when absent or malformed. */
static const char *date_bound(struct req *req, const char *v, bool next)
{
    if (str_empty(v) || strlen(v) != 10) {
        return NULL;
    }
    char iso[32];
    snprintf(iso, sizeof(iso), "%sT00:00:00Z", v);
    time_t t;
    if (!time_parse_iso(iso, &t)) {
        return NULL;
    }
    if (next) {
        t += 86400;
    }
    time_iso(iso, t);
    return arena_strdup(req->arena, iso);
}

/* Reads the filter of the audit pages from the query string; fills the
 * form's values into vm (may be NULL) and the query string of the filter
 * (without page) into *qs. */
static void read_filter(struct req *req, struct audit_filter *f,
                        struct tpl_vm *vm, struct buf *qs)
{
    static const char *const names[] = {"from", "to", "actor", "action"};
    const char *vals[4];
    for (int i = 0; i < 4; i++) {
        vals[i] = req_query(req, names[i]);
        if (vals[i] && strlen(vals[i]) > 64) {
            vals[i] = NULL; /* nothing longer is ever a valid value */
        }
        if (vm) {
            tpl_set_str(vm, arena_printf(req->arena, "f_%s", names[i]),
                        vals[i] ? vals[i] : "");
        }
        if (!str_empty(vals[i])) {
            buf_printf(qs, "%s%s=", qs->len ? "&" : "", names[i]);
            tpl_esc_url_component(qs, vals[i]);
        }
    }
    memset(f, 0, sizeof(*f));
    f->since = date_bound(req, vals[0], false);
    f->until = date_bound(req, vals[1], true);
    f->actor_login = vals[2];
    f->action = vals[3];
}

/* The message for an action code when the catalogue has one
 * ("audit.action.person.view"), else the code itself. */
static const char *action_label(struct req *req, const char *action)
{
    const char *key = arena_printf(req->arena, "audit.action.%s", action);
    const char *m = web_msg(req, key);
    return m == key || str_eq(m, key) ? action : m;
}

#define AUDIT_PAGE 50

int audit_page(struct req *req)
{
    int64_t org_id = req_org_id(req);
    if (!org_id) {
        return IBC_ENOTFOUND;
    }
    struct tpl_vm *vm = page_vm(req);
    struct audit_filter f;
    struct buf qs = BUF_INIT;
    read_filter(req, &f, vm, &qs);
    int64_t page = 1;
    if (!str_to_i64(req_query(req, "page"), &page) || page < 1 ||
        page > 100000) {
        page = 1;
    }
    f.limit = AUDIT_PAGE;
    f.offset = (page - 1) * AUDIT_PAGE;
    struct audit_entry *es;
    size_t n;
    bool more = false;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = audit_list(req->db, req->arena, org_id, &f, &es, &n, &more, &err);
    if (rc) {
        buf_reset(&qs);
        return rc;
    }
    tpl_list(vm, "entries");
    for (size_t i = 0; i < n; i++) {
        struct tpl_vm *it = tpl_list_add(vm, "entries");
        tpl_set_str(it, "at", es[i].at);
        tpl_set_str(it, "when", when_text(req, es[i].at));
        tpl_set_str(it, "actor", str_empty(es[i].actor_login)
                                     ? web_msg(req, "audit.system")
                                     : es[i].actor_login);
        tpl_set_str(it, "action", action_label(req, es[i].action));
        tpl_set_str(it, "action_code", es[i].action);
        if (es[i].object_type) {
            tpl_set_str(it, "object",
                        es[i].object_id > 0
                            ? arena_printf(req->arena, "%s %lld",
                                           es[i].object_type,
                                           (long long)es[i].object_id)
                            : es[i].object_type);
        }
        tpl_set_str(it, "details", es[i].details ? es[i].details : "");
        tpl_set_str(it, "addr", es[i].client_addr ? es[i].client_addr : "");
    }
    const char *q = buf_cstr(&qs);
    const char *sep = *q ? "&" : "";
    if (page > 1) {
        tpl_set_str(vm, "prev_url",
                    arena_printf(req->arena, "/audit?%s%spage=%lld", q, sep,
                                 (long long)(page - 1)));
    }
    if (more) {
        tpl_set_str(vm, "next_url",
                    arena_printf(req->arena, "/audit?%s%spage=%lld", q, sep,
                                 (long long)(page + 1)));
    }
    tpl_set_str(vm, "csv_url",
                arena_printf(req->arena, "/audit.csv%s%s", *q ? "?" : "", q));
    tpl_set_int(vm, "page", page);
    buf_reset(&qs);
    return page_render(req, "privacy/audit", vm, web_msg(req, "audit.title"));
}

int audit_csv_page(struct req *req)
{
    int64_t org_id = req_org_id(req);
    if (!org_id) {
        return IBC_ENOTFOUND;
    }
    struct audit_filter f;
    struct buf qs = BUF_INIT;
    read_filter(req, &f, NULL, &qs);
    struct ibc_error err = IBC_ERROR_INIT;
    /* the export is itself audited, before it runs: it lists its own row */
    int rc = audit_req(req, "audit.export", NULL, 0,
                       qs.len ? buf_cstr(&qs) : NULL);
    buf_reset(&qs);
    if (rc) {
        return rc;
    }
    const char *header[8] = {
        web_msg(req, "audit.col.when"),    web_msg(req, "audit.col.actor"),
        web_msg(req, "audit.col.action"),  web_msg(req, "audit.col.object"),
        web_msg(req, "audit.col.object_id"), web_msg(req, "audit.col.details"),
        web_msg(req, "audit.col.addr"),    web_msg(req, "audit.col.id")};
    rc = audit_export_csv(req->db, org_id, &f, header, &req->out, NULL, &err);
    if (rc) {
        buf_clear(&req->out);
        return rc;
    }
    req->content_type = "text/csv; charset=utf-8";
    char name[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(name, sizeof(name),
             "attachment; filename=\"audit-%Y-%m-%d.csv\"", &tm);
    resp_header(req, "Content-Disposition", arena_strdup(req->arena, name));
    return 0;
}

/* ================= consents ================= */

/* "Фамилия Имя" of a person of the school, or their login, or "#id". */
static const char *person_label(struct req *req, int64_t org_id, int64_t id)
{
    if (id <= 0) {
        return "";
    }
    struct person p;
    struct ibc_error err = IBC_ERROR_INIT;
    if (person_get(req->db, req->arena, org_id, id, &p, &err) != 0) {
        return arena_printf(req->arena, "#%lld", (long long)id);
    }
    if (p.last_name && p.first_name) {
        return arena_printf(req->arena, "%s %s", p.last_name, p.first_name);
    }
    return p.login;
}

static int consent_form(struct req *req, int64_t org_id, int64_t person_id,
                        const char *error)
{
    struct person p;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = person_get(req->db, req->arena, org_id, person_id, &p, &err);
    if (rc) {
        return rc;
    }
    struct consent *cs;
    size_t n;
    rc = consent_list(req->db, req->arena, org_id, person_id, &cs, &n, &err);
    if (rc) {
        return rc;
    }
    struct tpl_vm *vm = page_vm(req);
    tpl_set_str(vm, "person_name", person_label(req, org_id, person_id));
    tpl_set_str(vm, "class_name", p.class_name ? p.class_name : "");
    tpl_set_str(vm, "action_url",
                arena_printf(req->arena, "/people/%lld/consents",
                             (long long)person_id));
    tpl_set_str(vm, "person_url",
                arena_printf(req->arena, "/people/%lld", (long long)person_id));
    if (error) {
        tpl_set_str(vm, "error", error);
    }
    const char *done = req_query(req, "done");
    tpl_set_bool(vm, "given", str_eq(done, "give"));
    tpl_set_bool(vm, "withdrawn", str_eq(done, "withdraw"));
    tpl_list(vm, "kinds");
    for (int k = 0; k < CONSENT__MAX; k++) {
        const char *name = consent_kind_name((enum consent_kind)k);
        struct tpl_vm *it = tpl_list_add(vm, "kinds");
        tpl_set_str(it, "kind", name);
        tpl_set_str(it, "label",
                    web_msg(req, arena_printf(req->arena, "consent.kind.%s",
                                              name)));
        tpl_set_str(it, "effect",
                    web_msg(req, arena_printf(req->arena, "consent.effect.%s",
                                              name)));
        tpl_set_str(it, "note_id", arena_printf(req->arena, "note-%s", name));
        for (size_t i = 0; i < n; i++) {
            if ((int)cs[i].kind == k && !cs[i].withdrawn_at) {
                tpl_set_bool(it, "in_force", true);
                tpl_set_str(it, "since", when_text(req, cs[i].given_at));
                break;
            }
        }
    }
    tpl_list(vm, "history");
    for (size_t i = 0; i < n; i++) {
        struct tpl_vm *it = tpl_list_add(vm, "history");
        const char *name = consent_kind_name(cs[i].kind);
        tpl_set_str(it, "label",
                    web_msg(req, arena_printf(req->arena, "consent.kind.%s",
                                              name)));
        tpl_set_str(it, "given_at", when_text(req, cs[i].given_at));
        tpl_set_str(it, "given_by", person_label(req, org_id, cs[i].given_by));
        tpl_set_str(it, "taken_by", person_label(req, org_id, cs[i].taken_by));
        tpl_set_str(it, "withdrawn_at", when_text(req, cs[i].withdrawn_at));
        tpl_set_str(it, "withdrawn_by",
                    person_label(req, org_id, cs[i].withdrawn_by));
        tpl_set_str(it, "note", cs[i].note ? cs[i].note : "");
    }
    return page_render(req, "privacy/consents", vm,
                       web_msg(req, "consent.title"));
}

static int path_person(struct req *req, int64_t *id)
{
    if (!str_to_i64(req_path_arg(req, "id"), id) || *id <= 0) {
        return IBC_ENOTFOUND;
    }
    return 0;
}

int consent_page(struct req *req)
{
    int64_t org_id = req_org_id(req), person_id;
    if (!org_id || path_person(req, &person_id)) {
        return IBC_ENOTFOUND;
    }
    int rc = audit_req(req, "consent.view", "person", person_id, NULL);
    if (rc) {
        return rc;
    }
    return consent_form(req, org_id, person_id, NULL);
}

int consent_post(struct req *req)
{
    int64_t org_id = req_org_id(req), person_id;
    if (!org_id || !req->user || path_person(req, &person_id)) {
        return IBC_ENOTFOUND;
    }
    const char *op = req_form(req, "op");
    enum consent_kind kind;
    if (!consent_kind_parse(req_form(req, "kind"), &kind) ||
        !(str_eq(op, "give") || str_eq(op, "withdraw"))) {
        req->status = 422;
        return consent_form(req, org_id, person_id,
                            web_msg(req, "consent.error.bad"));
    }
    int64_t me = req->user->person_id;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = db_begin(req->db, DB_TX_WRITE, &err);
    if (rc) {
        return rc;
    }
    const char *note = req_form(req, "note");
    rc = str_eq(op, "give")
             ? consent_give(req->db, org_id, person_id, kind, me, me,
                            str_empty(note) ? NULL : note, NULL, &err)
             : consent_withdraw(req->db, org_id, person_id, kind, me, &err);
    if (!rc) {
        rc = audit_req(req, str_eq(op, "give") ? "consent.give"
                                               : "consent.withdraw",
                       "person", person_id, consent_kind_name(kind));
    }
    if (rc) {
        db_rollback(req->db);
        const char *key = NULL;
        if (rc == IBC_ECONFLICT) {
            key = "consent.error.in_force";
        } else if (rc == IBC_ENOTFOUND && str_eq(err.field, "kind")) {
            key = "consent.error.not_in_force";
        } else if (rc == IBC_EINVAL) {
            key = "consent.error.note";
        }
        if (!key) {
            return rc;
        }
        req->status = 422;
        return consent_form(req, org_id, person_id, web_msg(req, key));
    }
    rc = db_commit(req->db, &err);
    if (rc) {
        return rc;
    }
    resp_redirect(req, 303,
                  arena_printf(req->arena, "/people/%lld/consents?done=%s",
                               (long long)person_id, op));
    return 0;
}
