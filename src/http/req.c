/* ibc — building a struct req: what both adapters (the MHD server and the
 * raw parser) share, and the lookups handlers use.
 *
 * An adapter calls http_req_init(), sets method, target, peer and body,
 * adds the headers, and hands the req to http_dispatch(), which calls
 * http_req_parse() to turn the target into path and query, the Cookie header
 * into cookies and a urlencoded body into form fields. Everything lives in
 * the request's arena except req->out (freed by http_req_reset()). */
#include "http/http.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "core/str.h"
#include "core/utf8.h"

void http_req_init(struct req *req, struct app *app, struct arena *arena)
{
    memset(req, 0, sizeof(*req));
    req->app = app;
    req->arena = arena;
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof(rnd));
    str_hex(req->id, rnd, sizeof(rnd));
    req->method = "GET";
    req->target = "/";
    req->raw_query = "";
    req->peer = "-";
    req->body = "";
    req->status = 200;
    req->no_store = true;
    buf_init(&req->out);
}

void http_req_reset(struct req *req)
{
    buf_reset(&req->out);
}

void http_req_add_header(struct req *req, const char *name,
                         const char *value, size_t value_len)
{
    size_t n = strlen(name);
    char *lname = arena_alloc(req->arena, n + 1);
    for (size_t i = 0; i <= n; i++) {
        lname[i] = (char)tolower((unsigned char)name[i]);
    }
    char *v = arena_alloc(req->arena, value_len + 1);
    memcpy(v, value, value_len);
    v[value_len] = '\0';
    kv_add(req->arena, &req->headers, lname, v, value_len);
}

static int bad(struct req *req, int code, const char *msg)
{
    if (!req->bad_status) {
        req->bad_status = ibc_err_http_status(code);
        req->bad_msg = arena_strdup(req->arena, msg);
    }
    return code;
}

/* Splits the request-target into a decoded path and the raw query. Accepts
 * origin-form ("/a?b") and absolute-form ("http://host/a?b"). */
static int parse_target(struct req *req, struct ibc_error *err)
{
    const char *t = req->target ? req->target : "/";
    if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
        const char *p = strstr(t, "://") + 3;
        p += strcspn(p, "/?");
        t = *p == '/' ? p : "/";
    }
    if (t[0] != '/') {
        return ibc_fail(err, IBC_EPARSE, "the address must start with /");
    }
    size_t plen = strcspn(t, "?");
    req->raw_query = t[plen] == '?' ? t + plen + 1 : "";
    size_t dlen;
    char *path = http_pct_decode(req->arena, t, plen, false, &dlen);
    if (!path) {
        return ibc_fail(err, IBC_EPARSE, "bad percent-escape in the address");
    }
    if (!utf8_valid(path, dlen)) {
        return ibc_fail(err, IBC_EPARSE,
                        "the address is not valid UTF-8 text");
    }
    req->path = path;
    return http_parse_urlencoded(req->arena, &req->query, req->raw_query,
                                 strlen(req->raw_query), err);
}

/* A non-empty RFC 9110 token of at most max bytes. */
static bool token(const char *s, size_t max)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
        if (!isalnum(*p) && !strchr("!#$%&'*+-.^_`|~", *p)) {
            return false;
        }
    }
    return n > 0 && n <= max;
}

static bool has_body_method(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
}

int http_req_parse_target(struct req *req)
{
    if (req->path) {
        return req->bad_status ? IBC_EPARSE : 0;
    }
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = parse_target(req, &err);
    if (rc) {
        req->path = "/";
        req->raw_query = "";
        req->query.n = 0;
        return bad(req, rc, err.msg);
    }
    return 0;
}

int http_req_parse(struct req *req)
{
    if (req->parsed) {
        return req->bad_status ? IBC_EPARSE : 0;
    }
    req->parsed = true;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = http_req_parse_target(req);
    if (rc) {
        return rc;
    }
    if (!token(req->method, 32)) {
        return bad(req, IBC_EPARSE, "malformed method");
    }
    const char *cl = NULL;
    bool te = false;
    for (size_t i = 0; i < req->headers.n; i++) {
        const struct kv *h = &req->headers.items[i];
        if (!token(h->name, 256)) {
            return bad(req, IBC_EPARSE, "malformed header name");
        }
        for (size_t k = 0; k < h->value_len; k++) {
            unsigned char c = (unsigned char)h->value[k];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return bad(req, IBC_EPARSE, c ? "control character in a header"
                                              : "a header holds a NUL byte");
            }
        }
        /* Two lengths, or a length and chunking, are how requests get
         * smuggled past a proxy: refuse both. */
        if (strcmp(h->name, "content-length") == 0) {
            if (cl && strcmp(cl, h->value) != 0) {
                return bad(req, IBC_EPARSE, "conflicting Content-Length");
            }
            cl = h->value;
        } else if (strcmp(h->name, "transfer-encoding") == 0) {
            te = true;
        }
        if (cl && te) {
            return bad(req, IBC_EPARSE,
                       "both Content-Length and Transfer-Encoding");
        }
        if (strcmp(h->name, "cookie") == 0) {
            rc = http_parse_cookies(req->arena, &req->cookies, h->value, &err);
            if (rc) {
                return bad(req, rc, err.msg);
            }
        }
    }
    const char *ct = req_header(req, "content-type");
    if (has_body_method(req->method) && ct &&
        strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
        rc = http_parse_urlencoded(req->arena, &req->form, req->body,
                                   req->body_len, &err);
        if (rc) {
            return bad(req, rc, err.msg);
        }
    }
    return 0;
}

const char *req_query(const struct req *req, const char *name)
{
    return kv_get(&req->query, name);
}

const char *req_form(const struct req *req, const char *name)
{
    return kv_get(&req->form, name);
}

const char *req_header(const struct req *req, const char *name)
{
    for (size_t i = 0; i < req->headers.n; i++) {
        if (strcasecmp(req->headers.items[i].name, name) == 0) {
            return req->headers.items[i].value;
        }
    }
    return NULL;
}

const char *req_cookie(const struct req *req, const char *name)
{
    return kv_get(&req->cookies, name);
}

const char *req_path_arg(const struct req *req, const char *name)
{
    return kv_get(&req->path_args, name);
}

const char *req_param(const struct req *req, const char *name)
{
    const char *v = req_form(req, name);
    return v ? v : req_query(req, name);
}
