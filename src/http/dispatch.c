/* ibc — the dispatcher: from a filled struct req to a finished response.
 *
 * http_dispatch() is the one path every request takes, whichever adapter
 * filled it (server.c for sockets, rawreq.c for `ibc test-http` and the
 * fuzzers):
 *   1. a request the adapter already found malformed (bad_status) or whose
 *      target, cookies or form do not parse gets its 4xx;
 *   2. the route table (src/app/routes.c) is matched: 404 when no pattern
 *      fits the path, 405 with Allow when only the method is wrong; GET
 *      routes answer HEAD;
 *   3. the caller is resolved (src/auth: the session cookie, or
 *      `Authorization: Bearer` — an unknown or revoked token is 401);
 *      anonymous POSTs and /api calls are rate-limited per address (429
 *      with Retry-After); a read-only token may only GET (403); a person
 *      who must change their password is sent to /password first;
 *      perm_allows() decides the route's permission (anonymous: sign in —
 *      a redirect for pages, 401 for the API; signed in: 403); ROUTE_CSRF
 *      routes need a valid CSRF token on anything but GET/HEAD (403),
 *      bound to the session when signed in; Bearer requests need none
 *      (browsers never add that header by themselves); a JSON route takes
 *      a cookie session's non-GET only with the X-CSRF-Token header and
 *      Content-Type application/json; then the route's scope
 *      (auth_route_scope: 404 for another school's object, 403 inside);
 *   4. a database connection is taken from the pool unless ROUTE_NO_DB;
 *   5. the handler runs: 0 means the response is ready (whatever status it
 *      set, 422 for a form with errors included); a negative ibc_err becomes
 *      http_error();
 *   6. finishing: security headers and CSP, Content-Type charset,
 *      Cache-Control, ETag/If-None-Match → 304, gzip.
 * http_error() is the one mapping from an error to a status and a body: an
 * HTML page in the layout (page_error) or JSON for ROUTE_JSON routes and
 * clients that ask for JSON. */
#include "http/http.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app/app.h"
#include "app/i18n.h"
#include "app/routes.h"
#include "auth/auth.h"
#include "core/log.h"
#include "core/str.h"
#include "db/db.h"
#include "web/json.h"
#include "web/page.h"
#include "web/prefs.h"

/* The default Content-Security-Policy: nothing inline, nothing foreign. */
static const char default_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

/* ---- route matching ---- */

/* Matches path against pattern; {name} takes one non-empty segment. With
 * bind, records the {name} values in req->path_args. */
static bool pattern_match(struct req *req, const struct route *r, bool bind)
{
    const char *p = r->pattern, *s = req->path;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close) {
                return false; /* a broken pattern matches nothing */
            }
            size_t seg = strcspn(s, "/");
            if (seg == 0) {
                return false;
            }
            if (bind) {
                kv_add(req->arena, &req->path_args,
                       arena_strndup(req->arena, p + 1, (size_t)(close - p - 1)),
                       arena_strndup(req->arena, s, seg), seg);
            }
            p = close + 1;
            s += seg;
            continue;
        }
        if (*p != *s) {
            return false;
        }
        p++;
        s++;
    }
    if (*s == '\0') {
        return true;
    }
    /* A prefix route "/static/" covers "/static/css/x.css"; "/files"
     * covers "/files/x" but not "/filesystem". */
    return (r->flags & ROUTE_PREFIX) &&
           ((p > r->pattern && p[-1] == '/') || *s == '/');
}

static bool method_is(const char *m, const char *want)
{
    return strcmp(m, want) == 0;
}

/* Finds the route for req; when none, fills allow with the methods the
 * path does answer ("GET, HEAD, POST"), empty when the path is unknown. */
static const struct route *route_find(struct req *req, struct buf *allow)
{
    bool head = method_is(req->method, "HEAD");
    for (size_t i = 0; i < app_routes_n; i++) {
        const struct route *r = &app_routes[i];
        if (!pattern_match(req, r, false)) {
            continue;
        }
        if (method_is(r->method, req->method) ||
            (head && method_is(r->method, "GET"))) {
            pattern_match(req, r, true);
            return r;
        }
        if (allow) {
            const char *add[2] = {r->method,
                                  method_is(r->method, "GET") ? "HEAD" : NULL};
            for (int k = 0; k < 2 && add[k]; k++) {
                /* skip duplicates: "GET, HEAD" listed once */
                bool dup = false;
                const char *a = buf_cstr(allow);
                size_t n = strlen(add[k]);
                for (const char *q = a; (q = strstr(q, add[k])); q += n) {
                    if ((q == a || q[-1] == ' ') &&
                        (q[n] == ',' || q[n] == '\0')) {
                        dup = true;
                        break;
                    }
                }
                if (!dup) {
                    buf_printf(allow, "%s%s", allow->len ? ", " : "", add[k]);
                }
            }
        }
    }
    return NULL;
}

size_t http_body_limit(struct req *req)
{
    http_req_parse_target(req);
    const struct route *r = route_find(req, NULL);
    return r && (r->flags & ROUTE_UPLOAD) ? HTTP_MAX_UPLOAD : HTTP_MAX_BODY;
}

/* ---- errors ---- */

/* A message of the request's language, or fallback when the catalogue
 * lacks the key. */
static const char *msg(struct req *req, const char *key, const char *fallback)
{
    if (!req->app || !req->app->i18n) {
        return fallback;
    }
    prefs_load(req);
    const char *m = i18n_get(req->app->i18n, req->lang, key);
    return m ? m : fallback;
}

static bool wants_json(const struct req *req)
{
    if (req->route && (req->route->flags & ROUTE_JSON)) {
        return true;
    }
    const char *accept = req_header(req, "accept");
    return accept && strstr(accept, "application/json") &&
           !strstr(accept, "text/html");
}

/* Drops what a handler prepared before failing, keeping its cookies. */
static void reset_response(struct req *req)
{
    size_t keep = 0;
    for (size_t i = 0; i < req->resp_headers.n; i++) {
        if (strcasecmp(req->resp_headers.items[i].name, "Set-Cookie") == 0) {
            req->resp_headers.items[keep++] = req->resp_headers.items[i];
        }
    }
    req->resp_headers.n = keep;
    buf_clear(&req->out);
    req->body_ref = NULL;
    req->body_ref_len = 0;
    req->content_type = NULL;
    req->no_store = true;
}

void http_error_status(struct req *req, int status, int code,
                       const char *message)
{
    reset_response(req);
    bool own = req->err.code == code && code != 0;
    const char *field = own && req->err.field[0] ? req->err.field : NULL;
    if (!message && own && req->err.msg[0]) {
        message = req->err.msg;
    }
    if (status >= 500 && status != 505) {
        /* The details go to the log with the request id, not to the
         * visitor (they may name tables or files). */
        log_err("%s %s: %s: %s", req->method, req->path ? req->path : "-",
                ibc_err_name(code), message ? message : "(no details)");
        message = msg(req, "http.500",
                      "Something went wrong on the server. If it happens "
                      "again, tell the administrator the request number.");
        field = NULL;
    }
    req->status = status;
    if (wants_json(req)) {
        struct json j;
        json_init(&j, &req->out);
        json_obj_open(&j, NULL);
        json_obj_open(&j, "error");
        json_put_str(&j, "code", ibc_err_name(code));
        json_put_str(&j, "message", message ? message : http_reason(status));
        json_put_str(&j, "field", field);
        json_put_str(&j, "request_id", req->id);
        json_obj_close(&j);
        json_obj_close(&j);
        req->content_type = "application/json";
    } else {
        page_error(req, status, message);
    }
    req->status = status;
}

void http_error(struct req *req, int code, const char *message)
{
    if (code >= 0) {
        code = IBC_EINTERNAL; /* "failing" with OK is a bug */
    }
    http_error_status(req, ibc_err_http_status(code), code, message);
}

/* The error code that matches a status an adapter found. */
static int code_for_status(int status)
{
    switch (status) {
    case 413:
    case 414:
    case 431:
        return IBC_ETOOBIG;
    case 405:
        return IBC_EMETHOD;
    case 404:
        return IBC_ENOTFOUND;
    case 503:
        return IBC_EUNAVAIL;
    case 505:
        return IBC_EPARSE; /* the client's HTTP version: not our fault */
    default:
        return status >= 500 ? IBC_EINTERNAL : IBC_EPARSE;
    }
}

/* The message for a malformed request, in the request's language. */
static const char *bad_message(struct req *req)
{
    switch (req->bad_status) {
    case 413:
        return msg(req, "http.413", "The request is too large.");
    case 414:
        return msg(req, "http.414", "The address is too long.");
    case 431:
        return msg(req, "http.431", "The request headers are too large.");
    default:
        /* The parser's own words say what exactly is wrong. */
        return req->bad_msg ? req->bad_msg
                            : msg(req, "http.400", "The request is malformed.");
    }
}

/* ---- finishing ---- */

static const char *resp_get(const struct req *req, const char *name)
{
    for (size_t i = 0; i < req->resp_headers.n; i++) {
        if (strcasecmp(req->resp_headers.items[i].name, name) == 0) {
            return req->resp_headers.items[i].value;
        }
    }
    return NULL;
}

static void set_default(struct req *req, const char *name, const char *value)
{
    if (!resp_get(req, name)) {
        resp_header(req, name, value);
    }
}

/* Compares one entity tag with a tag from If-None-Match, weakly (W/ and
 * our "-gz" suffix for the compressed variant do not matter). */
static bool etag_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen >= 2 && a[0] == 'W' && a[1] == '/') {
        a += 2;
        alen -= 2;
    }
    if (blen >= 2 && b[0] == 'W' && b[1] == '/') {
        b += 2;
        blen -= 2;
    }
    if (alen >= 4 && memcmp(a + alen - 4, "-gz\"", 4) == 0) {
        alen -= 4;
    } else if (alen >= 1) {
        alen -= 1;
    }
    if (blen >= 4 && memcmp(b + blen - 4, "-gz\"", 4) == 0) {
        blen -= 4;
    } else if (blen >= 1) {
        blen -= 1;
    }
    return alen == blen && alen > 1 && memcmp(a, b, alen) == 0;
}

static bool etag_matches(const char *inm, const char *etag)
{
    if (strcmp(inm, "*") == 0) {
        return true;
    }
    size_t elen = strlen(etag);
    const char *p = inm;
    while (*p) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m && (p[m - 1] == ' ' || p[m - 1] == '\t')) {
            m--;
        }
        if (m && etag_eq(p, m, etag, elen)) {
            return true;
        }
        p += n;
    }
    return false;
}

/* True if a comma-separated header value lists token (any case). */
static bool has_token(const char *list, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = list; *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, ", \t");
        if (len == n && strncasecmp(p, token, n) == 0) {
            return true;
        }
        p += len;
    }
    return false;
}

/* Text types get "; charset=utf-8" when the handler did not say. */
static const char *with_charset(struct req *req, const char *ct)
{
    if (strstr(ct, "charset=")) {
        return ct;
    }
    if (str_starts(ct, "text/") || str_starts(ct, "application/json") ||
        str_starts(ct, "application/javascript") ||
        str_starts(ct, "application/xml") || str_starts(ct, "image/svg+xml")) {
        return arena_printf(req->arena, "%s; charset=utf-8", ct);
    }
    return ct;
}

static void finish(struct req *req)
{
    const struct route *r = req->route;
    set_default(req, "X-Content-Type-Options", "nosniff");
    set_default(req, "Referrer-Policy", "same-origin");
    set_default(req, "X-Frame-Options", "DENY");
    set_default(req, "Cross-Origin-Opener-Policy", "same-origin");
    set_default(req, "Permissions-Policy",
                "camera=(), microphone=(), geolocation=(), payment=(), "
                "usb=()");
    resp_header(req, "Content-Security-Policy",
                req->csp ? req->csp : (r && r->csp) ? r->csp : default_csp);
    resp_header(req, "X-Request-Id", req->id);

    size_t len;
    http_resp_body(req, &len);
    if (!req->content_type && len) {
        req->content_type = "text/html; charset=utf-8";
    }
    if (req->content_type) {
        req->content_type = with_charset(req, req->content_type);
    }
    if (req->no_store) {
        set_default(req, "Cache-Control", "no-store");
    }

    bool bodyful = req->status >= 200 && req->status != 204 &&
                   req->status != 304;
    bool compressible = bodyful && len >= HTTP_GZIP_MIN &&
                        !(r && (r->flags & ROUTE_NO_GZIP)) &&
                        !resp_get(req, "Content-Encoding") &&
                        http_mime_compressible(req->content_type);
    bool gz = compressible &&
              http_accepts_gzip(req_header(req, "accept-encoding"));
    if (compressible) {
        const char *vary = resp_get(req, "Vary");
        if (!vary) {
            resp_header(req, "Vary", "Accept-Encoding");
        } else if (!has_token(vary, "accept-encoding")) {
            resp_header(req, "Vary",
                        arena_printf(req->arena, "%s, Accept-Encoding", vary));
        }
    }
    const char *etag = resp_get(req, "ETag");
    if (etag && gz) {
        size_t n = strlen(etag);
        if (n >= 2 && etag[n - 1] == '"') {
            etag = arena_printf(req->arena, "%.*s-gz\"", (int)(n - 1), etag);
            resp_header(req, "ETag", etag);
        }
    }
    const char *inm = req_header(req, "if-none-match");
    if (etag && inm && req->status == 200 &&
        (method_is(req->method, "GET") || method_is(req->method, "HEAD")) &&
        etag_matches(inm, etag)) {
        req->status = 304;
        buf_clear(&req->out);
        req->body_ref = NULL;
        req->body_ref_len = 0;
        return;
    }
    if (gz) {
        const void *body = http_resp_body(req, &len);
        struct buf z = BUF_INIT;
        if (http_gzip(&z, body, len, 4) == 0 && z.len < len) {
            buf_reset(&req->out);
            req->out = z;
            req->body_ref = NULL;
            req->body_ref_len = 0;
            resp_header(req, "Content-Encoding", "gzip");
        } else {
            buf_reset(&z);
        }
    }
}

/* ---- the one path ---- */

static bool safe_method(const char *m)
{
    return method_is(m, "GET") || method_is(m, "HEAD") ||
           method_is(m, "OPTIONS");
}

/* ---- the caller: sign-in, permission, CSRF, scope ---- */

static bool via_session(const struct req *req)
{
    return req->user && req->user->via == AUTH_VIA_SESSION;
}

static bool via_token(const struct req *req)
{
    return req->user && req->user->via == AUTH_VIA_TOKEN;
}

/* Binds the CSRF token of a signed-in browser to its session: forms carry
 * HMAC(secret, cookie "." session hash), so a token seen before sign-in (or
 * in another session) is worthless after it. */
static void csrf_bind(struct req *req)
{
    if (!via_session(req)) {
        return;
    }
    http_csrf_token(req); /* makes sure the ibc_csrf cookie exists */
    req->csrf_cookie = arena_printf(req->arena, "%s.%s", req->csrf_cookie,
                                    req->user->session_hash);
}

/* The CSRF check: the plain double-submit token for anonymous callers, the
 * session-bound one for signed-in browsers. header_only: the token must
 * come in X-CSRF-Token (the JSON API). Constant time. */
static bool csrf_ok(struct req *req, bool header_only)
{
    if (!via_session(req)) {
        return (!header_only || req_header(req, HTTP_CSRF_HEADER)) &&
               http_csrf_valid(req);
    }
    const char *t = header_only ? NULL : req_form(req, HTTP_CSRF_FIELD);
    if (!t) {
        t = req_header(req, HTTP_CSRF_HEADER);
    }
    const char *c = req_cookie(req, HTTP_CSRF_COOKIE);
    if (!t || !c || strlen(t) != 64 || !req->csrf_cookie ||
        !str_starts(req->csrf_cookie, c)) {
        return false;
    }
    char want[65];
    http_csrf_sign(req->app->secret, req->csrf_cookie, want);
    return sodium_memcmp(want, t, 64) == 0;
}

/* "/signin?back=<path and query, percent-encoded>" (arena). */
static const char *signin_url(struct req *req)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "/signin?back=");
    const char *q = req->raw_query && *req->raw_query ? "?" : "";
    const char *back = arena_printf(req->arena, "%s%s%s", req->path, q,
                                    *q ? req->raw_query : "");
    for (const unsigned char *p = (const unsigned char *)back; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
            buf_putc(&b, (char)*p);
        } else {
            buf_printf(&b, "%%%02X", *p);
        }
    }
    const char *s = arena_strdup(req->arena, buf_cstr(&b));
    buf_reset(&b);
    return s;
}

/* 429 with Retry-After. */
static void too_many(struct req *req, int retry_after)
{
    http_error_status(req, 429, IBC_EUNAVAIL,
                      msg(req, "auth.too_many_requests",
                          "Too many attempts. Wait a little and try again."));
    resp_header(req, "Retry-After",
                arena_printf(req->arena, "%d", retry_after));
}

/* Everything between finding the route and calling its handler that
 * concerns the caller. Returns true when the handler may run; otherwise
 * the response is ready. */
static bool admit(struct req *req, const struct route *route)
{
    bool safe = safe_method(req->method);
    bool page = !(route->flags & ROUTE_JSON);
    if (!(route->flags & ROUTE_NO_DB)) {
        int rc = auth_resolve(req);
        if (rc) {
            http_error(req, rc, NULL);
            if (rc == IBC_EAUTH) {
                resp_header(req, "WWW-Authenticate", "Bearer realm=\"ibc\"");
            }
            return false;
        }
        csrf_bind(req);
    }
    struct throttle *t = req->app ? req->app->throttle : NULL;
    if (t && ((!req->user && !safe) || str_starts(req->path, "/api/"))) {
        const char *key = arena_printf(req->arena, "rate:%s", req->peer);
        int wait = throttle_hit(t, key, AUTH_RATE_PER_ADDR, AUTH_RATE_WINDOW,
                                time(NULL));
        if (wait) {
            too_many(req, wait);
            return false;
        }
    }
    if (via_token(req) && req->user->scope == TOKEN_READ && !safe) {
        http_error(req, IBC_EPERM,
                   msg(req, "auth.token_read_only",
                       "This token may only read."));
        return false;
    }
    if (req->user && req->user->must_change_password &&
        !(route->flags & ROUTE_PW_PENDING)) {
        if (page && safe) {
            resp_redirect(req, 303, "/password");
        } else {
            http_error(req, IBC_EPERM,
                       msg(req, "auth.must_change",
                           "Change your password first."));
        }
        return false;
    }
    if (!perm_allows(req, route->perm)) {
        if (req->user) {
            http_error(req, IBC_EPERM, NULL);
        } else if (page && safe) {
            resp_redirect(req, 303, signin_url(req));
        } else {
            http_error(req, IBC_EAUTH,
                       msg(req, "auth.signin_first", "Sign in first."));
        }
        return false;
    }
    if (!safe && !via_token(req)) {
        bool json_session = !page && via_session(req);
        const char *ct = req_header(req, "content-type");
        if (json_session && !(ct && str_starts(ct, "application/json"))) {
            http_error(req, IBC_EPERM,
                       msg(req, "auth.json_only",
                           "The API takes application/json only."));
            return false;
        }
        if (((route->flags & ROUTE_CSRF) || json_session) &&
            !csrf_ok(req, json_session)) {
            http_error(req, IBC_EPERM,
                       msg(req, "http.csrf",
                           "The form has expired or came from another site. "
                           "Go back, reload the page and send it again."));
            return false;
        }
    }
    int rc = auth_route_scope(req);
    if (rc) {
        http_error(req, rc, NULL);
        return false;
    }
    return true;
}

void http_dispatch(struct req *req)
{
    log_set_request_id(req->id);
    struct buf allow = BUF_INIT;
    const struct route *route = NULL;
    http_req_parse_target(req);
    if (!req->bad_status) {
        http_req_parse(req);
    }
    if (!req->bad_status) {
        route = route_find(req, &allow);
    }
    req->route = route;

    bool pooled = false;
    if (!req->db && req->app && req->app->pool_n > 0 &&
        !(route && (route->flags & ROUTE_NO_DB))) {
        req->db = app_db_acquire(req->app);
        pooled = true;
    }

    if (req->bad_status) {
        http_error_status(req, req->bad_status,
                          code_for_status(req->bad_status), bad_message(req));
    } else if (!route) {
        /* The error page's header still shows who is signed in. */
        if (req->db && auth_resolve(req) == 0) {
            csrf_bind(req);
        } else {
            req->user = NULL;
        }
        if (allow.len) {
            http_error(req, IBC_EMETHOD, NULL);
            resp_header(req, "Allow", buf_cstr(&allow));
        } else {
            http_error(req, IBC_ENOTFOUND, NULL);
        }
    } else if (admit(req, route)) {
        int rc = route->handler(req);
        if (rc < 0) {
            http_error(req, rc, NULL);
        } else if (rc > 0) {
            log_err("handler for %s %s returned %d", req->method,
                    route->pattern, rc);
            http_error(req, IBC_EINTERNAL, NULL);
        }
    }
    buf_reset(&allow);
    finish(req);

    if (pooled) {
        if (db_in_tx(req->db)) {
            log_err("%s %s left a transaction open; rolled back",
                    req->method, req->path);
            db_rollback(req->db);
        }
        app_db_release(req->app, req->db);
        req->db = NULL;
    }
}
