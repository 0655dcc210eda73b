/* ibc — one HTTP/1.1 request from a byte buffer, and a response back to
 * bytes: what `ibc test-http` and the fuzzers use instead of a socket
 * (Fossil's test-http). Hand-written because libmicrohttpd parses only what
 * arrives on its own sockets.
 *
 * The parser is strict where the server (libmicrohttpd in strict mode plus
 * server.c) is strict, with the same limits (http.h): a bad request line or
 * header, obs-fold, a NUL, conflicting lengths → 400; a request-target over
 * HTTP_MAX_TARGET → 414; headers over HTTP_MAX_HEADER_BYTES or
 * HTTP_MAX_HEADERS → 431; a body over the route's limit → 413; an HTTP
 * version other than 1.x → 505. It sets req->bad_status and lets
 * http_dispatch() render the answer, as the server does. */
#include "http/http.h"

#include <string.h>
#include <strings.h>

static int fail(struct req *req, int status, const char *message)
{
    if (!req->bad_status) {
        req->bad_status = status;
        req->bad_msg = message;
    }
    return status == 413 || status == 414 || status == 431 ? IBC_ETOOBIG
                                                          : IBC_EPARSE;
}

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9')) {
        return true;
    }
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The next line from *pos: start and length without CR LF; false when no
 * LF follows within the data. */
static bool next_line(const char *data, size_t len, size_t *pos,
                      const char **line, size_t *line_len)
{
    const char *start = data + *pos;
    const char *lf = memchr(start, '\n', len - *pos);
    if (!lf) {
        return false;
    }
    size_t n = (size_t)(lf - start);
    *line = start;
    *line_len = n && start[n - 1] == '\r' ? n - 1 : n;
    *pos += n + 1;
    return true;
}

static int parse_request_line(struct req *req, const char *l, size_t n)
{
    if (memchr(l, '\0', n)) {
        return fail(req, 400, "the request line holds a NUL byte");
    }
    const char *sp1 = memchr(l, ' ', n);
    if (!sp1 || sp1 == l || sp1 - l > 32) {
        return fail(req, 400, "malformed request line");
    }
    for (const char *p = l; p < sp1; p++) {
        if (!is_tchar((unsigned char)*p)) {
            return fail(req, 400, "malformed method");
        }
    }
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', n - (size_t)(t - l));
    if (!sp2 || sp2 == t) {
        return fail(req, 400, "malformed request line");
    }
    if (sp2 - t > HTTP_MAX_TARGET) {
        return fail(req, 414, NULL);
    }
    for (const char *p = t; p < sp2; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x21 || c == 0x7f) {
            return fail(req, 400, "control character in the address");
        }
    }
    const char *v = sp2 + 1;
    size_t vlen = n - (size_t)(v - l);
    req->method = arena_strndup(req->arena, l, (size_t)(sp1 - l));
    req->target = arena_strndup(req->arena, t, (size_t)(sp2 - t));
    if (vlen == 8 && memcmp(v, "HTTP/1.", 7) == 0 &&
        (v[7] == '0' || v[7] == '1')) {
        return v[7] == '1' ? 1 : 0; /* 1: HTTP/1.1 */
    }
    if (vlen == 8 && memcmp(v, "HTTP/", 5) == 0 && v[5] >= '0' &&
        v[5] <= '9' && v[6] == '.' && v[7] >= '0' && v[7] <= '9') {
        return fail(req, 505, "only HTTP/1.x is spoken here");
    }
    return fail(req, 400, "malformed HTTP version");
}

static int parse_header(struct req *req, const char *l, size_t n)
{
    if (l[0] == ' ' || l[0] == '\t') {
        return fail(req, 400, "folded header lines are not accepted");
    }
    if (memchr(l, '\0', n)) {
        return fail(req, 400, "a header holds a NUL byte");
    }
    const char *colon = memchr(l, ':', n);
    if (!colon || colon == l) {
        return fail(req, 400, "malformed header line");
    }
    for (const char *p = l; p < colon; p++) {
        if (!is_tchar((unsigned char)*p)) {
            return fail(req, 400, "malformed header name");
        }
    }
    const char *v = colon + 1, *e = l + n;
    while (v < e && (*v == ' ' || *v == '\t')) {
        v++;
    }
    while (e > v && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    for (const char *p = v; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return fail(req, 400, "control character in a header");
        }
    }
    char *name = arena_strndup(req->arena, l, (size_t)(colon - l));
    http_req_add_header(req, name, v, (size_t)(e - v));
    return 0;
}

/* Parses a decimal Content-Length; false on junk or overflow. */
static bool parse_length(const char *s, size_t *out)
{
    size_t v = 0;
    if (!*s) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > (SIZE_MAX - 9) / 10) {
            return false;
        }
        v = v * 10 + (size_t)(*p - '0');
    }
    *out = v;
    return true;
}

/* Decodes a chunked body from data[*pos..len) into body. */
static int parse_chunked(struct req *req, const char *data, size_t len,
                         size_t *pos, size_t limit, struct buf *body)
{
    for (;;) {
        const char *l;
        size_t n;
        if (!next_line(data, len, pos, &l, &n)) {
            return fail(req, 400, "incomplete chunked body");
        }
        size_t size = 0, digits = 0;
        for (size_t i = 0; i < n && l[i] != ';'; i++) {
            char c = l[i];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0 || digits >= 15) {
                return fail(req, 400, "malformed chunk size");
            }
            size = size * 16 + (size_t)d;
            digits++;
        }
        if (digits == 0) {
            return fail(req, 400, "malformed chunk size");
        }
        if (size == 0) {
            break;
        }
        if (size > limit - body->len) {
            return fail(req, 413, NULL);
        }
        if (len - *pos < size + 2 || data[*pos + size] != '\r' ||
            data[*pos + size + 1] != '\n') {
            return fail(req, 400, "incomplete chunked body");
        }
        buf_append(body, data + *pos, size);
        *pos += size + 2;
    }
    /* trailer fields, ignored, until the empty line */
    size_t bytes = 0;
    for (;;) {
        const char *l;
        size_t n;
        if (!next_line(data, len, pos, &l, &n)) {
            return fail(req, 400, "incomplete chunked body");
        }
        if (n == 0) {
            return 0;
        }
        bytes += n + 2;
        if (bytes > HTTP_MAX_HEADER_BYTES) {
            return fail(req, 431, NULL);
        }
    }
}

int http_raw_parse(struct req *req, const char *data, size_t len)
{
    size_t pos = 0;
    while (pos < len && (data[pos] == '\r' || data[pos] == '\n')) {
        pos++;
    }
    const char *l;
    size_t n;
    if (!next_line(data, len, &pos, &l, &n)) {
        return fail(req, len - pos > HTTP_MAX_TARGET ? 414 : 400,
                    "incomplete request line");
    }
    int v11 = parse_request_line(req, l, n);
    if (v11 < 0) {
        return v11;
    }
    size_t bytes = 0, count = 0;
    for (;;) {
        if (!next_line(data, len, &pos, &l, &n)) {
            return fail(req, bytes + (len - pos) > HTTP_MAX_HEADER_BYTES
                                 ? 431
                                 : 400,
                        "incomplete headers");
        }
        if (n == 0) {
            break;
        }
        bytes += n + 2;
        if (bytes > HTTP_MAX_HEADER_BYTES || ++count > HTTP_MAX_HEADERS) {
            return fail(req, 431, NULL);
        }
        int rc = parse_header(req, l, n);
        if (rc) {
            return rc;
        }
    }
    if (v11 && !req_header(req, "host")) {
        return fail(req, 400, "HTTP/1.1 needs a Host header");
    }

    const char *te = NULL;
    const char *cl = NULL;
    for (size_t i = 0; i < req->headers.n; i++) {
        const struct kv *h = &req->headers.items[i];
        if (strcmp(h->name, "transfer-encoding") == 0) {
            if (te) {
                return fail(req, 400, "repeated Transfer-Encoding");
            }
            te = h->value;
        } else if (strcmp(h->name, "content-length") == 0) {
            if (cl && strcmp(cl, h->value) != 0) {
                return fail(req, 400, "conflicting Content-Length");
            }
            cl = h->value;
        }
    }
    size_t limit = http_body_limit(req);
    if (te) {
        if (cl) {
            return fail(req, 400,
                        "both Content-Length and Transfer-Encoding");
        }
        if (strcasecmp(te, "chunked") != 0) {
            return fail(req, 400, "unsupported Transfer-Encoding");
        }
        struct buf body = BUF_INIT;
        int rc = parse_chunked(req, data, len, &pos, limit, &body);
        if (rc == 0) {
            req->body = arena_memdup(req->arena, body.data ? body.data : "",
                                     body.len + 1);
            req->body_len = body.len;
        }
        buf_reset(&body);
        return rc;
    }
    if (cl) {
        size_t clen;
        if (!parse_length(cl, &clen)) {
            return fail(req, 400, "malformed Content-Length");
        }
        if (clen > limit) {
            return fail(req, 413, NULL);
        }
        if (len - pos < clen) {
            return fail(req, 400, "the body is shorter than Content-Length");
        }
        char *body = arena_alloc(req->arena, clen + 1);
        memcpy(body, data + pos, clen);
        body[clen] = '\0';
        req->body = body;
        req->body_len = clen;
    }
    return 0;
}

void http_raw_write(const struct req *req, struct buf *out)
{
    size_t len;
    const void *body = http_resp_body(req, &len);
    buf_printf(out, "HTTP/1.1 %d %s\r\n", req->status,
               http_reason(req->status));
    if (req->content_type) {
        buf_printf(out, "Content-Type: %s\r\n", req->content_type);
    }
    for (size_t i = 0; i < req->resp_headers.n; i++) {
        buf_printf(out, "%s: %s\r\n", req->resp_headers.items[i].name,
                   req->resp_headers.items[i].value);
    }
    if (req->status >= 200 && req->status != 204 && req->status != 304) {
        buf_printf(out, "Content-Length: %zu\r\n", len);
    }
    buf_puts(out, "\r\n");
    if (!http_resp_bodyless(req)) {
        buf_append(out, body, len);
    }
}
