/* ibc — password reset by e-mail for adults (route handlers).
 *
 * GET/POST /reset (public): the person types their login or e-mail
 * address. The answer is always the same page («Если такой пользователь
 * есть …»), so the form tells nobody which accounts exist. Requests are
 * counted per client address with the sign-in throttle (RESET_PER_ADDR
 * per AUTH_FAIL_WINDOW; past it 429 with Retry-After), and mails per
 * person (RESET_PER_PERSON per RESET_LIFETIME; past it nothing is sent,
 * silently, so a stranger cannot flood someone's mailbox). For an active
 * adult with an e-mail address a reset (reset_store.c) and a Russian
 * message with the link http(s)://HOST/reset/TOKEN are made in one
 * transaction; the outbox job sends it. Students never get a mail: their
 * password is reset by the librarian, who reprints the slip
 * (people_pages.c). Every request that named an account is audited
 * (person.password_reset_request, with what was done).
 *
 * GET/POST /reset/{token}: the new password twice; an unknown link is 404,
 * an expired or used one 410, each with a page that says so and offers a
 * new request. A good new password is stored (reset_use: the link used,
 * the person's sessions ended), audited (person.password_reset) and the
 * browser sent to /signin?reset=done. The token is in the URL, so these
 * pages send no Referer at all. */
#include "auth/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "app/i18n.h"
#include "auth/password.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/str.h"
#include "core/utf8.h"
#include "db/db.h"
#include "mail/outbox.h"
#include "org/org.h"
#include "people/people.h"
#include "privacy/privacy.h"
#include "web/page.h"
#include "web/web.h"

#define WHO_MAX 254      /* bytes of a typed login or address we look at */
#define FIELD_MAX 256    /* bytes of a password we look at */
#define MAIL_LANG "ru"   /* the school's language */

/* ---- GET/POST /reset ---- */

static int request_form(struct req *req, int status, const char *who,
                        const char *err)
{
    struct tpl_vm *vm = page_vm(req);
    tpl_set_str(tpl_obj(vm, "form"), "who", who ? who : "");
    if (err) {
        tpl_set_str(tpl_obj(vm, "errors"), "who", err);
        tpl_set_bool(vm, "has_errors", true);
    }
    req->status = status;
    return page_render(req, "auth/reset_request", vm,
                       web_msg(req, "reset.title"));
}

int reset_request_page(struct req *req)
{
    return request_form(req, 200, NULL, NULL);
}

/* A Host header we may put into a link: a name or IPv4 address of
 * letters, digits, dots and hyphens, or a bracketed IPv6 address, with an
 * optional :port. Anything else (spaces, slashes, '@', quotes) is refused
 * so the link cannot be bent elsewhere by odd text. */
static bool host_ok(const char *h)
{
    if (str_empty(h) || strlen(h) > 253) {
        return false;
    }
    const char *p = h;
    if (*p == '[') {
        for (p++; *p && *p != ']'; p++) {
            if (!strchr("0123456789abcdefABCDEF:.", *p)) {
                return false;
            }
        }
        if (*p != ']') {
            return false;
        }
        p++;
    } else {
        for (; *p && *p != ':'; p++) {
            char c = *p;
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '-')) {
                return false;
            }
        }
        if (p == h) {
            return false;
        }
    }
    if (*p == ':') {
        p++;
        if (!*p || strlen(p) > 5) {
            return false;
        }
        for (; *p; p++) {
            if (*p < '0' || *p > '9') {
                return false;
            }
        }
    }
    return *p == '\0';
}

/* text with every {name} of names[] replaced by values[] (arena). */
static const char *fill(struct arena *a, const char *text,
                        const char *const names[], const char *const values[],
                        size_t n)
{
    struct buf b = BUF_INIT;
    for (const char *p = text; *p;) {
        bool done = false;
        if (*p == '{') {
            for (size_t i = 0; i < n; i++) {
                size_t len = strlen(names[i]);
                if (strncmp(p + 1, names[i], len) == 0 && p[1 + len] == '}') {
                    buf_puts(&b, values[i]);
                    p += len + 2;
                    done = true;
                    break;
                }
            }
        }
        if (!done) {
            buf_putc(&b, *p++);
        }
    }
    const char *s = arena_strdup(a, buf_cstr(&b));
    buf_reset(&b);
    return s;
}

static const char *mail_msg(struct req *req, const char *key)
{
    const char *m = i18n_get(req->app->i18n, MAIL_LANG, key);
    return m ? m : key;
}

/* Makes a reset for p and queues its mail, with the audit row, in one
 * transaction. */
static int send_link(struct req *req, const struct org *o,
                     const struct person *p, const char *host, time_t now)
{
    struct ibc_error e = IBC_ERROR_INIT;
    char token[AUTH_TOKEN_HEX + 1];
    int rc = db_begin(req->db, DB_TX_WRITE, &e);
    if (rc) {
        req->err = e;
        return rc;
    }
    if ((rc = reset_create(req->db, o->id, p->id, now, token, &e))) {
        goto fail;
    }
    const char *link = arena_printf(req->arena, "%s://%s/reset/%s",
                                    req->https ? "https" : "http", host,
                                    token);
    char hours[16];
    snprintf(hours, sizeof(hours), "%d", RESET_LIFETIME / 3600);
    const char *names[] = {"login", "link", "school", "hours"};
    const char *values[] = {p->login, link, o->short_name ? o->short_name
                                                          : o->name,
                            hours};
    const char *body = fill(req->arena, mail_msg(req, "reset.mail_body"),
                            names, values, 4);
    const char *subject = fill(req->arena, mail_msg(req, "reset.mail_subject"),
                               names + 2, values + 2, 1);
    sodium_memzero(token, sizeof(token));
    if ((rc = outbox_enqueue(req->db, o->id, p->email, subject, body, NULL,
                             &e))) {
        goto fail;
    }
    if ((rc = audit_req(req, "person.password_reset_request", "person", p->id,
                        "link sent by e-mail"))) {
        e = (struct ibc_error)IBC_ERROR_INIT;
        ibc_fail(&e, rc, "cannot write the audit log");
        goto fail;
    }
    if ((rc = db_commit(req->db, &e))) {
        req->err = e;
        return rc;
    }
    return 0;
fail:
    sodium_memzero(token, sizeof(token));
    db_rollback(req->db);
    req->err = e;
    return rc;
}

/* Handles one person the request named: a mail, or only the audit row
 * saying why not. */
static int handle_person(struct req *req, const struct org *o,
                         const struct person *p, time_t now)
{
    const char *why = NULL;
    const char *host = req_header(req, "host");
    struct throttle *t = req->app->throttle;
    if (p->status != PERSON_ACTIVE) {
        return 0; /* a person who left: nothing, not even an audit row */
    }
    if (p->roles & ROLE_STUDENT) {
        why = "a student: no mail, the librarian resets it";
    } else if (str_empty(p->email)) {
        why = "no e-mail address: no mail";
    } else if (!host_ok(host)) {
        why = "bad Host header: no mail";
    } else if (t && throttle_hit(t,
                                 arena_printf(req->arena, "resetmail:%lld:%lld",
                                              (long long)o->id,
                                              (long long)p->id),
                                 RESET_PER_PERSON, RESET_LIFETIME, now)) {
        why = "too many requests for this person: no mail";
    }
    if (why) {
        return audit_req(req, "person.password_reset_request", "person",
                         p->id, why) == 0
                   ? 0
                   : ibc_fail(&req->err, IBC_EDB, "cannot write the audit log");
    }
    return send_link(req, o, p, host, now);
}

int reset_request_post(struct req *req)
{
    const struct org *o = web_org(req);
    if (!o) {
        return ibc_fail(&req->err, IBC_EUNAVAIL, "no school in the database");
    }
    const char *who = req_form(req, "who");
    time_t now = time(NULL);
    struct throttle *t = req->app->throttle;
    int wait = t ? throttle_hit(t, arena_printf(req->arena, "reset:%s",
                                                req->peer),
                                RESET_PER_ADDR, AUTH_FAIL_WINDOW, now)
                 : 0;
    if (wait) {
        resp_header(req, "Retry-After", arena_printf(req->arena, "%d", wait));
        return request_form(req, 429, who && strlen(who) <= WHO_MAX ? who : "",
                            web_msg(req, "reset.too_many"));
    }
    if (str_empty(who) || strlen(who) > WHO_MAX) {
        return request_form(req, 422, "", web_msg(req, "reset.who_required"));
    }
    /* The people it names: by e-mail address when it has an '@', else by
     * login. */
    struct ibc_error e = IBC_ERROR_INIT;
    int rc = 0;
    if (strchr(who, '@')) {
        int64_t *ids;
        size_t n;
        if ((rc = reset_find_email(req->db, req->arena, o->id, who, &ids, &n,
                                   &e))) {
            req->err = e;
            return rc;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
            struct person p;
            rc = person_get(req->db, req->arena, o->id, ids[i], &p, &e);
            if (rc == IBC_ENOTFOUND) {
                rc = 0; /* gone meanwhile */
                continue;
            }
            if (rc) {
                req->err = e;
                return rc;
            }
            rc = handle_person(req, o, &p, now);
        }
    } else {
        struct person p;
        rc = person_get_by_login(req->db, req->arena, o->id, who, &p, &e);
        if (rc == 0) {
            rc = handle_person(req, o, &p, now);
        } else if (rc == IBC_ENOTFOUND) {
            rc = 0;
        } else {
            req->err = e;
        }
    }
    if (rc) {
        return rc;
    }
    struct tpl_vm *vm = page_vm(req);
    return page_render(req, "auth/reset_sent", vm,
                       web_msg(req, "reset.sent_title"));
}

/* ---- GET/POST /reset/{token} ---- */

/* The page for a link that cannot be used: 404 unknown, 410 expired or
 * used. */
static int gone_page(struct req *req, int rc)
{
    struct tpl_vm *vm = page_vm(req);
    const char *key = "reset.link_unknown";
    req->status = 404;
    if (rc == IBC_EUNAVAIL) {
        key = "reset.link_expired";
        req->status = 410;
    } else if (rc == IBC_ECONFLICT) {
        key = "reset.link_used";
        req->status = 410;
    }
    tpl_set_bool(vm, "gone", true);
    tpl_set_str(vm, "gone_msg", web_msg(req, key));
    return page_render(req, "auth/reset_form", vm,
                       web_msg(req, "reset.form_title"));
}

static int new_form(struct req *req, int status, const char *login,
                    const char *field, const char *err)
{
    struct tpl_vm *vm = page_vm(req);
    tpl_set_str(vm, "action", req->path);
    tpl_set_str(vm, "login", login ? login : "");
    if (err) {
        tpl_set_str(tpl_obj(vm, "errors"), field, err);
        tpl_set_bool(vm, "has_errors", true);
    }
    req->status = status;
    return page_render(req, "auth/reset_form", vm,
                       web_msg(req, "reset.form_title"));
}

/* Checks the link of the request: 0 with its person, or the code for
 * gone_page (other errors in req->err). */
static int link_person(struct req *req, const struct org *o, time_t now,
                       struct person *p)
{
    /* The token travels in the path: nothing is sent on as a Referer. */
    resp_header(req, "Referrer-Policy", "no-referrer");
    int64_t pid = 0;
    struct ibc_error e = IBC_ERROR_INIT;
    int rc = reset_check(req->db, o->id, req_path_arg(req, "token"), now,
                         &pid, &e);
    if (rc == 0) {
        rc = person_get(req->db, req->arena, o->id, pid, p, &e);
    }
    if (rc && rc != IBC_ENOTFOUND && rc != IBC_EUNAVAIL &&
        rc != IBC_ECONFLICT) {
        req->err = e;
    }
    return rc;
}

static bool gone_code(int rc)
{
    return rc == IBC_ENOTFOUND || rc == IBC_EUNAVAIL || rc == IBC_ECONFLICT;
}

int reset_form_page(struct req *req)
{
    const struct org *o = web_org(req);
    if (!o) {
        return ibc_fail(&req->err, IBC_EUNAVAIL, "no school in the database");
    }
    struct person p;
    int rc = link_person(req, o, time(NULL), &p);
    if (gone_code(rc)) {
        return gone_page(req, rc);
    }
    return rc ? rc : new_form(req, 200, p.login, NULL, NULL);
}

int reset_form_post(struct req *req)
{
    const struct org *o = web_org(req);
    if (!o) {
        return ibc_fail(&req->err, IBC_EUNAVAIL, "no school in the database");
    }
    time_t now = time(NULL);
    struct person p;
    int rc = link_person(req, o, now, &p);
    if (gone_code(rc)) {
        return gone_page(req, rc);
    }
    if (rc) {
        return rc;
    }
    const char *nw = req_form(req, "new");
    const char *rep = req_form(req, "repeat");
    if (!nw || utf8_length(nw) < PASSWORD_MIN_CHARS ||
        strlen(nw) > FIELD_MAX) {
        return new_form(req, 422, p.login, "new",
                        web_msg(req, "auth.too_short"));
    }
    char norm[PERSON_LOGIN_MAX + 1];
    if (str_eq(nw, p.login) || (person_login_normalise(nw, norm, NULL) == 0 &&
                                str_eq(norm, p.login))) {
        return new_form(req, 422, p.login, "new",
                        web_msg(req, "auth.same_as_login"));
    }
    if (!str_eq(nw, rep)) {
        return new_form(req, 422, p.login, "repeat",
                        web_msg(req, "auth.mismatch"));
    }
    struct ibc_error e = IBC_ERROR_INIT;
    rc = reset_use(req->db, o->id, req_path_arg(req, "token"), nw, now, NULL,
                   &e);
    if (gone_code(rc)) {
        return gone_page(req, rc); /* used by a racing request */
    }
    if (rc == IBC_EINVAL) {
        return new_form(req, 422, p.login, "new",
                        web_msg(req, "reset.err_policy"));
    }
    if (rc) {
        req->err = e;
        return rc;
    }
    if (audit_req(req, "person.password_reset", "person", p.id,
                  "new password by the e-mailed link") != 0) {
        log_err("password reset of person %lld not audited", (long long)p.id);
    }
    resp_redirect(req, 303, "/signin?reset=done");
    return 0;
}
