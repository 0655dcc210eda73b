/* ibc — building a response: headers, cookies, redirects, plain bodies,
 * and the reason phrases both adapters print. */
#include "http/http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

/* A header value must not smuggle a second header (CR/LF) or a NUL. */
static bool header_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            return false;
        }
    }
    return true;
}

void resp_header(struct req *req, const char *name, const char *value)
{
    if (!header_safe(name) || !header_safe(value) || strchr(name, ':')) {
        log_err("refusing header %s with a line break in it", name);
        return;
    }
    /* Set-Cookie may repeat; any other header replaces an earlier one. */
    if (strcasecmp(name, "Set-Cookie") != 0) {
        for (size_t i = 0; i < req->resp_headers.n; i++) {
            struct kv *h = &req->resp_headers.items[i];
            if (strcasecmp(h->name, name) == 0) {
                h->value = arena_strdup(req->arena, value);
                h->value_len = strlen(value);
                return;
            }
        }
    }
    kv_add(req->arena, &req->resp_headers, arena_strdup(req->arena, name),
           arena_strdup(req->arena, value), strlen(value));
}

/* Cookie names and values we write are tokens: no ; , space, quote, CTL. */
static bool cookie_token(const char *s, bool value)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == ';' || *p == ',' ||
            *p == '"' || *p == '\\' || (!value && *p == '=')) {
            return false;
        }
    }
    return true;
}

void resp_cookie(struct req *req, const char *name, const char *value,
                 long max_age, bool script_visible)
{
    if (!*name || !cookie_token(name, false) || !cookie_token(value, true)) {
        log_err("refusing cookie %s: not a token", name);
        return;
    }
    char age[48] = "";
    if (max_age >= 0) {
        snprintf(age, sizeof(age), "; Max-Age=%ld", max_age);
    }
    const char *c = arena_printf(req->arena, "%s=%s; Path=/%s; SameSite=Lax%s%s",
                                 name, value, age,
                                 script_visible ? "" : "; HttpOnly",
                                 req->https ? "; Secure" : "");
    resp_header(req, "Set-Cookie", c);
}

void resp_redirect(struct req *req, int status, const char *location)
{
    req->status = status;
    resp_header(req, "Location", location);
    req->content_type = "text/plain; charset=utf-8";
    req->body_ref = NULL;
    buf_clear(&req->out);
    buf_printf(&req->out, "See %s\n", location);
}

void resp_text(struct req *req, int status, const char *text)
{
    req->status = status;
    req->content_type = "text/plain; charset=utf-8";
    req->body_ref = NULL;
    buf_clear(&req->out);
    buf_puts(&req->out, text);
}

void resp_json(struct req *req, int status, const char *json)
{
    req->status = status;
    req->content_type = "application/json";
    req->body_ref = NULL;
    buf_clear(&req->out);
    buf_puts(&req->out, json);
}

const void *http_resp_body(const struct req *req, size_t *len)
{
    if (req->body_ref) {
        *len = req->body_ref_len;
        return req->body_ref;
    }
    *len = req->out.len;
    return req->out.data ? req->out.data : "";
}

bool http_resp_bodyless(const struct req *req)
{
    return (req->method && strcmp(req->method, "HEAD") == 0) ||
           req->status < 200 || req->status == 204 || req->status == 304;
}

const char *http_reason(int status)
{
    static const struct {
        int status;
        const char *text;
    } reasons[] = {
        {100, "Continue"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {411, "Length Required"},
        {412, "Precondition Failed"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {415, "Unsupported Media Type"},
        {422, "Unprocessable Content"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (reasons[i].status == status) {
            return reasons[i].text;
        }
    }
    return "Unknown";
}
