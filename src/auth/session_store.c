/* ibc — sessions: the session table and who the caller of a request is.
 *
 * A session is a row keyed by the SHA-256 of 256 random bits; the bits
 * themselves exist only in the browser's cookie. Each sign-in makes a new
 * row and deletes the one the browser came with (no session fixation). A
 * session ends at sign-out (row deleted), after AUTH_SESSION_LIFETIME
 * whatever happens, or after the school's idle timeout (org_setting
 * session_idle_minutes: 30 by default, 10 on a library computer);
 * last_seen_at is written at most once a minute so a busy page does not
 * write on every request. This file holds the session table's SQL (like
 * jobs/ and mail/ for theirs) and auth_resolve(), which the dispatcher
 * calls before it checks a route's permission. */
#include "auth/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "org/org.h"
#include "people/people.h"
#include "web/web.h"

const char *session_cookie_name(const struct req *req)
{
    return req->https ? AUTH_COOKIE_TLS : AUTH_COOKIE_PLAIN;
}

void auth_hash_token(const char *token, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    str_hex(out, h, sizeof(h));
}

/* Exactly n lowercase hex digits. */
static bool is_hex(const char *s, size_t n)
{
    if (!s || strlen(s) != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

int session_create(struct db *db, int64_t org_id, int64_t person_id,
                   const char *addr, const char *agent, time_t now,
                   char token[AUTH_TOKEN_HEX + 1], struct ibc_error *err)
{
    unsigned char rnd[AUTH_TOKEN_BYTES];
    randombytes_buf(rnd, sizeof(rnd));
    str_hex(token, rnd, sizeof(rnd));
    sodium_memzero(rnd, sizeof(rnd));
    char hash[65], t_now[32], t_end[32];
    auth_hash_token(token, hash);
    time_iso(t_now, now);
    time_iso(t_end, now + AUTH_SESSION_LIFETIME);
    /* A user agent is for the person's list of sessions; keep it short. */
    char ua[256] = "";
    if (agent) {
        str_copy(ua, agent, sizeof(ua));
    }
    return db_run(db, err,
                  "INSERT INTO session (id_hash, org_id, person_id, "
                  "created_at, last_seen_at, expires_at, client_addr, "
                  "user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  DB_TXT(hash), DB_I64(org_id), DB_I64(person_id),
                  DB_TXT(t_now), DB_TXT(t_now), DB_TXT(t_end),
                  addr ? DB_TXT(addr) : DB_NUL, agent ? DB_TXT(ua) : DB_NUL,
                  DB_END);
}

static int idle_from_text(const char *v)
{
    int64_t n;
    if (v && str_to_i64(v, &n) && n >= 1 && n <= 1440) {
        return (int)n;
    }
    return AUTH_IDLE_DEFAULT_MIN;
}

int session_idle_minutes(struct db *db, int64_t org_id)
{
    struct db_stmt *st = NULL;
    int idle = AUTH_IDLE_DEFAULT_MIN;
    if (db_prepare_args(db, &st, NULL,
                        "SELECT value FROM org_setting WHERE org_id = ? "
                        "AND key = 'session_idle_minutes'",
                        DB_I64(org_id), DB_END) == 0 &&
        db_step(st) == DB_ROW) {
        idle = idle_from_text(db_col_text(st, 0));
    }
    db_finalize(st);
    return idle;
}

int session_lookup(struct db *db, int64_t org_id, const char *token,
                   time_t now, struct session *out, struct ibc_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!is_hex(token, AUTH_TOKEN_HEX)) {
        return ibc_fail(err, IBC_EAUTH, "no such session");
    }
    auth_hash_token(token, out->id_hash);
    struct db_stmt *st = NULL;
    int rc = db_prepare_args(
        db, &st, err,
        "SELECT person_id, created_at, last_seen_at, expires_at, "
        "(SELECT value FROM org_setting WHERE org_id = s.org_id "
        "AND key = 'session_idle_minutes') "
        "FROM session s WHERE org_id = ? AND id_hash = ?",
        DB_I64(org_id), DB_TXT(out->id_hash), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc < 0) {
        ibc_fail(err, rc, "session lookup: %s", db_errmsg(db));
        db_finalize(st);
        return rc;
    }
    if (rc != DB_ROW) {
        db_finalize(st);
        return ibc_fail(err, IBC_EAUTH, "no such session");
    }
    out->org_id = org_id;
    out->person_id = db_col_int64(st, 0);
    bool ok = time_parse_iso(db_col_text(st, 1), &out->created_at) &&
              time_parse_iso(db_col_text(st, 2), &out->last_seen_at) &&
              time_parse_iso(db_col_text(st, 3), &out->expires_at);
    out->idle_minutes = idle_from_text(db_col_text(st, 4));
    db_finalize(st);
    if (!ok || now >= out->expires_at ||
        now - out->last_seen_at >= (time_t)out->idle_minutes * 60) {
        db_run(db, NULL, "DELETE FROM session WHERE org_id = ? AND id_hash = ?",
               DB_I64(org_id), DB_TXT(out->id_hash), DB_END);
        return ibc_fail(err, IBC_EAUTH, "the session has ended");
    }
    if (now - out->last_seen_at >= AUTH_SEEN_EVERY) {
        char t[32];
        time_iso(t, now);
        rc = db_run(db, err,
                    "UPDATE session SET last_seen_at = ? WHERE org_id = ? "
                    "AND id_hash = ?",
                    DB_TXT(t), DB_I64(org_id), DB_TXT(out->id_hash), DB_END);
        if (rc) {
            return rc;
        }
        out->last_seen_at = now;
    }
    return 0;
}

int session_delete(struct db *db, int64_t org_id, const char *token,
                   struct ibc_error *err)
{
    if (!is_hex(token, AUTH_TOKEN_HEX)) {
        return 0;
    }
    char hash[65];
    auth_hash_token(token, hash);
    return db_run(db, err,
                  "DELETE FROM session WHERE org_id = ? AND id_hash = ?",
                  DB_I64(org_id), DB_TXT(hash), DB_END);
}

int session_delete_person(struct db *db, int64_t org_id, int64_t person_id,
                          const char *keep_hash, struct ibc_error *err)
{
    return db_run(db, err,
                  "DELETE FROM session WHERE org_id = ? AND person_id = ? "
                  "AND id_hash <> ?",
                  DB_I64(org_id), DB_I64(person_id),
                  DB_TXT(keep_hash ? keep_hash : ""), DB_END);
}

/* ---- the caller of a request ---- */

/* "Фамилия Имя" of a person (arena). */
static const char *display_name(struct arena *a, const struct person *p)
{
    if (str_empty(p->last_name)) {
        return p->first_name ? p->first_name : p->login;
    }
    return arena_printf(a, "%s %s", p->last_name,
                        p->first_name ? p->first_name : "");
}

static struct auth_user *user_of(struct req *req, const struct person *p)
{
    struct auth_user *u = arena_zalloc(req->arena, sizeof(*u));
    u->person_id = p->id;
    u->org_id = p->org_id;
    u->login = p->login;
    u->name = display_name(req->arena, p);
    u->roles = p->roles;
    u->class_id = p->class_id;
    u->class_name = p->class_name;
    u->must_change_password = p->must_change_password;
    u->scope = TOKEN_WRITE;
    return u;
}

/* The token of "Authorization: Bearer TOKEN"; NULL when the header is
 * absent; "" when it is there but not a Bearer token. */
static const char *bearer(const struct req *req)
{
    const char *h = req_header(req, "authorization");
    if (!h) {
        return NULL;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        return "";
    }
    h += 7;
    while (*h == ' ') {
        h++;
    }
    return h;
}

static int resolve_token(struct req *req, const struct org *o, const char *t)
{
    struct api_token tok;
    struct ibc_error e = IBC_ERROR_INIT;
    int rc = token_verify(req->db, req->arena, o->id, t, time(NULL), &tok, &e);
    if (rc == 0) {
        struct person p;
        rc = person_get(req->db, req->arena, o->id, tok.person_id, &p, &e);
        if (rc == 0 && p.status == PERSON_ACTIVE) {
            struct auth_user *u = user_of(req, &p);
            u->via = AUTH_VIA_TOKEN;
            u->scope = tok.scope;
            u->token_id = tok.id;
            /* A script cannot change a password; the flag binds browsers. */
            u->must_change_password = false;
            req->user = u;
            return 0;
        }
        if (rc == 0 || rc == IBC_ENOTFOUND) {
            rc = IBC_EAUTH;
        }
    }
    if (rc == IBC_EAUTH) {
        return ibc_fail(&req->err, IBC_EAUTH,
                        "%s", web_msg(req, "auth.token_invalid"));
    }
    req->err = e;
    return rc;
}

int auth_resolve(struct req *req)
{
    req->user = NULL;
    if (!req->db) {
        return 0;
    }
    const char *t = bearer(req);
    const char *cookie = req_cookie(req, session_cookie_name(req));
    if (!t && !cookie) {
        return 0;
    }
    const struct org *o = web_org(req);
    if (!o) {
        return 0;
    }
    if (t) {
        return resolve_token(req, o, t);
    }
    struct session s;
    struct ibc_error e = IBC_ERROR_INIT;
    int rc = session_lookup(req->db, o->id, cookie, time(NULL), &s, &e);
    struct person p;
    if (rc == 0) {
        rc = person_get(req->db, req->arena, o->id, s.person_id, &p, &e);
        if (rc == 0 && p.status != PERSON_ACTIVE) {
            rc = IBC_EAUTH;
        }
    }
    if (rc == IBC_EAUTH || rc == IBC_ENOTFOUND) {
        /* A stale cookie: forget it; the caller is anonymous. */
        resp_cookie(req, session_cookie_name(req), "", 0, false);
        return 0;
    }
    if (rc) {
        req->err = e;
        return rc;
    }
    struct auth_user *u = user_of(req, &p);
    u->via = AUTH_VIA_SESSION;
    u->session_hash = arena_strdup(req->arena, s.id_hash);
    req->user = u;
    return 0;
}

int auth_sign_in(struct req *req, const struct person *p)
{
    const char *name = session_cookie_name(req);
    const char *old = req_cookie(req, name);
    if (old) {
        int rc = session_delete(req->db, p->org_id, old, &req->err);
        if (rc) {
            return rc;
        }
    }
    char token[AUTH_TOKEN_HEX + 1];
    int rc = session_create(req->db, p->org_id, p->id, req->peer,
                            req_header(req, "user-agent"), time(NULL), token,
                            &req->err);
    if (rc) {
        return rc;
    }
    /* A browser session cookie: the server ends it (idle, lifetime). */
    resp_cookie(req, name, token, -1, false);
    sodium_memzero(token, sizeof(token));
    return 0;
}

int auth_sign_out(struct req *req)
{
    const char *name = session_cookie_name(req);
    const char *cookie = req_cookie(req, name);
    const struct org *o = web_org(req);
    int rc = 0;
    if (cookie && o) {
        rc = session_delete(req->db, o->id, cookie, &req->err);
    }
    resp_cookie(req, name, "", 0, false);
    req->user = NULL;
    return rc;
}
