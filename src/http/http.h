/* ibc — the HTTP layer as handlers see it.
 *
 * Handlers never see libmicrohttpd: a request arrives as a struct req filled
 * in by the MHD adapter (server.c) or by the raw-request parser used by
 * `ibc test-http` and the fuzzers (rawreq.c); both call http_dispatch(),
 * which finds the route, checks its permission and CSRF flag, runs the
 * handler and finishes the response (security headers, CSP, gzip, ETag).
 *
 * Memory: everything hanging off a req is allocated from req->arena, which
 * lives until the response is sent. Handlers free nothing. */
#ifndef IBC_HTTP_HTTP_H
#define IBC_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

struct app;
struct auth_user;
struct db;
struct org;
struct req;
struct sockaddr;

/* Size limits, the same in the server (server.c) and in the raw-request
 * parser (rawreq.c), so `ibc test-http` answers as the server would. */
#define HTTP_MAX_TARGET 8192          /* request-target bytes; more: 414 */
#define HTTP_MAX_HEADER_BYTES 16384   /* header lines together; more: 431 */
#define HTTP_MAX_HEADERS 100          /* header fields; more: 431 */
#define HTTP_MAX_BODY (1024 * 1024)   /* body of a route; more: 413 */
#define HTTP_MAX_UPLOAD (64 * 1024 * 1024) /* body of a ROUTE_UPLOAD route */
#define HTTP_GZIP_MIN 512             /* smaller bodies are sent as they are */

/* A name/value pair (query string, form field, header, cookie). Values are
 * NUL-terminated and valid UTF-8 (the parser rejects anything else). */
struct kv {
    const char *name;
    const char *value;
    size_t value_len;
};

struct kv_list {
    struct kv *items;
    size_t n;
    size_t cap;
};

/* What a route needs from the person asking, decided by perm_allows()
 * (src/auth/perm.c) from the caller's roles. */
enum perm {
    PERM_PUBLIC,      /* anyone, signed in or not */
    PERM_ADMIN,       /* an administrator */
    PERM_SIGNED_IN,   /* anyone signed in */
    PERM_STAFF,       /* librarian, head of school, administrator */
    PERM_LIBRARIAN,   /* librarian, administrator */
    PERM_HEAD,        /* head of school, administrator */
    PERM_COORDINATOR, /* a municipal coordinator */
    PERM__MAX
};

/* Whose objects a route may reach, as bits; a caller passes when one bit
 * holds for the route's subject (auth_scope_person in src/auth/perm.c). */
enum scope {
    SCOPE_NONE = 0,
    SCOPE_OWN = 1u << 0,          /* the caller's own records */
    SCOPE_CHILD = 1u << 1,        /* a parent's linked children */
    SCOPE_CLASS = 1u << 2,        /* a class teacher's classes */
    SCOPE_SCHOOL = 1u << 3,       /* staff: anyone of their school */
    SCOPE_MUNICIPALITY = 1u << 4  /* a coordinator: aggregates only */
};

/* What the route's {id} path argument names, for the scope check. */
enum route_subject {
    ROUTE_SUBJECT_NONE,   /* no subject: the permission alone decides */
    ROUTE_SUBJECT_PERSON, /* {id} is a person of the school */
    ROUTE_SUBJECT_CLASS   /* {id} is a class of the school: SCOPE_CLASS for
                             its class teacher, SCOPE_SCHOOL for staff */
};

/* Route flags. */
enum {
    ROUTE_CSRF = 1u << 0,     /* POST must carry a valid _csrf field */
    ROUTE_JSON = 1u << 1,     /* errors as JSON, not an HTML page */
    ROUTE_NO_GZIP = 1u << 2,  /* never compress (already compressed) */
    ROUTE_PREFIX = 1u << 3,   /* pattern matches any path below it */
    ROUTE_NO_DB = 1u << 4,    /* handler needs no database connection */
    ROUTE_UPLOAD = 1u << 5,   /* body up to HTTP_MAX_UPLOAD, not HTTP_MAX_BODY */
    ROUTE_PW_PENDING = 1u << 6 /* open while a password change is pending */
};

typedef int (*http_handler_fn)(struct req *req);

/* One row of the route table (src/app/routes.c holds the only table). */
struct route {
    const char *method;  /* "GET", "POST", …; GET routes also answer HEAD */
    const char *pattern; /* "/news/{id}": {name} matches one segment */
    http_handler_fn handler;
    enum perm perm;      /* who may call it */
    unsigned flags;      /* ROUTE_* */
    const char *csp;     /* NULL: the default policy; else this one */
    unsigned scope;      /* enum scope bits; SCOPE_NONE without a subject */
    enum route_subject subject; /* what {id} names */
};

/* One request and its response under construction. */
struct req {
    struct app *app;       /* immutable after start-up */
    struct arena *arena;   /* this request's memory */
    struct db *db;         /* this worker's connection; NULL for ROUTE_NO_DB */
    char id[17];           /* request id, 16 hex digits, in logs and headers */

    /* request */
    const char *method;    /* "GET" … */
    const char *path;      /* decoded path, starts with '/' */
    const char *raw_query; /* after '?', undecoded, "" if none */
    const char *peer;      /* client address as text */
    struct kv_list headers; /* names lowercased */
    struct kv_list query;  /* decoded query parameters */
    struct kv_list form;   /* decoded application/x-www-form-urlencoded body */
    struct kv_list cookies;
    struct kv_list path_args; /* {name} matches from the route pattern */
    const char *body;      /* raw body, NUL-terminated; "" if none */
    size_t body_len;
    const struct route *route; /* the matched route */
    bool https;            /* came over TLS (via a trusted proxy header) */

    /* the school this request is about (resolved lazily by web/page.c:
     * web_org()); NULL until then */
    const struct org *org;
    /* the signed-in caller (session cookie or Bearer token), NULL when
     * anonymous; resolved by the dispatcher (src/auth/session.c) */
    const struct auth_user *user;

    /* per-person display preferences (from cookies) */
    const char *lang;      /* "ru" (default) or "en" */
    const char *a11y;      /* the normalised a11y cookie value, "" when off */

    const char *target;    /* the request-target as received (undecoded) */
    /* A handler may fill err and return err.code: http_error() then shows
     * err.msg (4xx) next to err.field. */
    struct ibc_error err;

    /* response */
    int status;            /* 200 unless set */
    const char *content_type;
    struct kv_list resp_headers;
    struct buf out;        /* body; freed by the layer after sending */
    const char *csp;       /* overrides the route's / default CSP */
    bool no_store;         /* Cache-Control: no-store (default for pages) */
    /* A body that outlives the request (embedded static files): sent
     * instead of out when set. */
    const void *body_ref;
    size_t body_ref_len;

    /* the HTTP layer's own bookkeeping */
    int bad_status;        /* set by an adapter: answer this 4xx, no routing */
    const char *bad_msg;   /* ... with this message (NULL: the default) */
    bool parsed;           /* http_req_parse() ran */
    const char *csrf_cookie; /* the ibc_csrf value in use (set by csrf.c) */
};

/* Lookups: NULL when absent. Names are case-sensitive except headers. */
const char *req_query(const struct req *req, const char *name);
const char *req_form(const struct req *req, const char *name);
const char *req_header(const struct req *req, const char *name);
const char *req_cookie(const struct req *req, const char *name);
const char *req_path_arg(const struct req *req, const char *name);
/* Form value, else query value. */
const char *req_param(const struct req *req, const char *name);

void kv_add(struct arena *a, struct kv_list *l, const char *name,
            const char *value, size_t value_len);
const char *kv_get(const struct kv_list *l, const char *name);

/* Response helpers. */
void resp_header(struct req *req, const char *name, const char *value);
/* Sets a cookie: Path=/; SameSite=Lax; HttpOnly (unless script_visible);
 * Secure when req->https; max_age 0 deletes, <0 means a session cookie. */
void resp_cookie(struct req *req, const char *name, const char *value,
                 long max_age, bool script_visible);
void resp_redirect(struct req *req, int status, const char *location);
/* A plain text / JSON body with a status. */
void resp_text(struct req *req, int status, const char *text);
void resp_json(struct req *req, int status, const char *json);

/* Parsers of outside input (fuzzed: fuzz/fuzz_form.c). Return 0 or
 * IBC_EPARSE (bad percent-escape, invalid UTF-8, NUL) / IBC_ETOOBIG (more
 * than HTTP_MAX_FIELDS fields). */
#define HTTP_MAX_FIELDS 1000
int http_parse_urlencoded(struct arena *a, struct kv_list *out,
                          const char *s, size_t len, struct ibc_error *err);
int http_parse_cookies(struct arena *a, struct kv_list *out, const char *s,
                       struct ibc_error *err);
/* Percent-decodes s[0..len) into the arena ('+' as space when plus=true).
 * NULL on a bad escape. */
char *http_pct_decode(struct arena *a, const char *s, size_t len, bool plus,
                      size_t *out_len);

/* Runs the whole stack on a filled request: route, permission, CSRF,
 * handler, error page, finishing headers. Always leaves a complete response
 * in req (status, headers, out). */
void http_dispatch(struct req *req);

/* The error page / JSON body for an error code (uses the app's templates). */
void http_error(struct req *req, int code, const char *message);

/* The error page / JSON body for an HTTP status that no ibc_err names
 * (414, 431, …); code picks the JSON error code. */
void http_error_status(struct req *req, int status, int code,
                       const char *message);

/* Whether the person asking may call a route that needs perm, by the
 * caller's roles (src/auth/perm.c). PERM_PUBLIC always. */
bool perm_allows(const struct req *req, enum perm perm);

/* ---- CSRF (csrf.c): a double-submit token that works before sign-in ----
 * The cookie ibc_csrf holds 128 random bits (hex); forms carry
 * _csrf = hex HMAC-SHA256(app->secret, cookie). */
#define HTTP_CSRF_COOKIE "ibc_csrf"
#define HTTP_CSRF_FIELD "_csrf"
#define HTTP_CSRF_HEADER "x-csrf-token" /* for scripts: the same token */

/* The CSRF token for forms on this request (sets the cookie if new). */
const char *http_csrf_token(struct req *req);
/* True when the request carries a token (form field _csrf, else the
 * X-CSRF-Token header) that matches its ibc_csrf cookie. Constant time. */
bool http_csrf_valid(const struct req *req);
/* hex HMAC-SHA256(secret, cookie) into out (65 bytes). */
void http_csrf_sign(const unsigned char secret[32], const char *cookie,
                    char out[65]);

/* ---- static files (static.c) ---- */

/* GET /static/<path>: the embedded web/static/<path>, or the file under
 * --assets-dir. Route handler (ROUTE_PREFIX | ROUTE_NO_DB). */
int http_static(struct req *req);
/* A versioned URL for a static file, "/static/css/ibc.css?v=<etag>", which
 * the browser may cache for a year. Arena string. */
const char *http_static_url(struct req *req, const char *path);
/* The MIME type for a file name by its extension (static string). */
const char *http_mime_type(const char *name);
/* True for types worth compressing (text, JSON, SVG, XML, JS). */
bool http_mime_compressible(const char *content_type);
/* Frees the precomputed gzip copies of embedded files (at exit). */
void http_static_cleanup(void);

/* ---- gzip (gzip.c) ---- */

/* True if an Accept-Encoding value accepts gzip (q > 0). */
bool http_accepts_gzip(const char *accept_encoding);
/* Appends the gzip (RFC 1952) form of data to out. level 1..9. Returns 0
 * or IBC_EINTERNAL (zlib failed). */
int http_gzip(struct buf *out, const void *data, size_t len, int level);

/* ---- for the adapters: server.c (MHD), rawreq.c (test-http, fuzzers) ---- */

/* Prepares req for a new request: a fresh request id, status 200,
 * no-store, empty lists. The arena is the caller's; req->out is freed by
 * http_req_reset(). */
void http_req_init(struct req *req, struct app *app, struct arena *arena);
/* Frees what the req holds outside its arena (the body buffer). */
void http_req_reset(struct req *req);
/* Adds a request header (name lowercased into the arena). */
void http_req_add_header(struct req *req, const char *name,
                         const char *value, size_t value_len);
/* Parses target (path, query), cookies and a urlencoded body. Idempotent.
 * On malformed input sets bad_status 400 / bad_msg and returns IBC_EPARSE
 * or IBC_ETOOBIG. */
int http_req_parse(struct req *req);
/* Only the target: path and query (for the server, before the body). */
int http_req_parse_target(struct req *req);
/* The largest body the request's route accepts (parses the target). */
size_t http_body_limit(struct req *req);
/* The response body to send (body_ref or out). */
const void *http_resp_body(const struct req *req, size_t *len);
/* The reason phrase for a status ("Not Found"); "Unknown" otherwise. */
const char *http_reason(int status);
/* True when a response with this status and request method has no body
 * (HEAD, 1xx, 204, 304). */
bool http_resp_bodyless(const struct req *req);

/* Parses one raw HTTP/1.1 request (request line, headers, body by
 * Content-Length or chunked) from data[0..len) into req. Limits as above.
 * On malformed input sets req->bad_status (400, 413, 414, 431, 501, 505)
 * and returns IBC_EPARSE / IBC_ETOOBIG; http_dispatch() then answers it. */
int http_raw_parse(struct req *req, const char *data, size_t len);
/* Writes the finished response as raw HTTP/1.1 (status line, headers,
 * Content-Length, blank line, body unless bodyless). */
void http_raw_write(const struct req *req, struct buf *out);

/* ---- address lists (netacl.c): "127.0.0.0/8,::1/128", or "none" ---- */

struct netacl;

/* Parses a comma-separated list of CIDRs or bare addresses (IPv4, IPv6);
 * "" or "none" is the empty list. Caller frees with netacl_free(). Returns
 * 0 or IBC_EINVAL naming the bad entry. */
int netacl_parse(struct netacl **out, const char *spec,
                 struct ibc_error *err);
void netacl_free(struct netacl *acl); /* accepts NULL */
/* IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 entries. */
bool netacl_match_sa(const struct netacl *acl, const struct sockaddr *sa);
bool netacl_match_text(const struct netacl *acl, const char *addr);
/* The address of sa as text (IPv4-mapped shown as IPv4) into out[64]. */
void netacl_addr_text(const struct sockaddr *sa, char out[64]);

/* ---- the server (server.c; the only user of libmicrohttpd) ---- */

struct http_server;

/* Starts listening on app->cfg.listen:port with a pool of cfg.workers
 * threads. The database pool must be open. Caller stops with
 * http_server_stop(). */
int http_server_start(struct http_server **out, struct app *app,
                      struct ibc_error *err);
/* "http://127.0.0.1:8080/" (the real port when 0 was asked); borrowed. */
const char *http_server_url(const struct http_server *s);
/* Graceful stop: stops accepting, lets requests in flight finish (up to
 * grace_ms), closes every connection and the pool; frees s. */
void http_server_stop(struct http_server *s, int grace_ms);
/* The libmicrohttpd version, for `ibc version`. */
const char *http_server_lib_version(void);

#endif
