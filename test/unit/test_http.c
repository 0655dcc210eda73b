/* ibc — unit tests of the HTTP layer's parsers and checks: percent-decoding,
 * urlencoded forms, cookies, the raw request parser, CSRF tokens, CIDR
 * lists, Accept-Encoding and gzip, static URLs. The whole stack over a
 * socket is tested by test/e2e/t01*.sh. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zlib.h>

#include "app/app.h"
#include "harness.h"
#include "http/http.h"

/* ---- percent-decoding ---- */

TEST(pct_decode)
{
    struct arena *a = arena_new();
    size_t n;
    CHECK_EQ_STR(http_pct_decode(a, "a%20b", 5, false, &n), "a b");
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_STR(http_pct_decode(a, "a+b", 3, true, &n), "a b");
    CHECK_EQ_STR(http_pct_decode(a, "a+b", 3, false, &n), "a+b");
    CHECK_EQ_STR(http_pct_decode(a, "%D0%96%d0%b6", 12, false, &n), "Жж");
    CHECK_EQ_STR(http_pct_decode(a, "", 0, true, &n), "");
    CHECK(http_pct_decode(a, "%", 1, false, &n) == NULL);
    CHECK(http_pct_decode(a, "ab%4", 4, false, &n) == NULL);
    CHECK(http_pct_decode(a, "%zz", 3, false, &n) == NULL);
    CHECK(http_pct_decode(a, "%+1", 3, true, &n) == NULL);
    /* %00 decodes (the caller's UTF-8 check refuses it) */
    char *z = http_pct_decode(a, "x%00y", 5, false, &n);
    CHECK(z != NULL);
    CHECK_EQ_INT(n, 3);
    CHECK(z[1] == '\0' && z[2] == 'y');
    /* only len bytes are read */
    CHECK_EQ_STR(http_pct_decode(a, "abc%41", 3, false, &n), "abc");
    arena_free(a);
}

/* ---- urlencoded ---- */

static int parse_form(struct arena *a, struct kv_list *l, const char *s,
                      struct ibc_error *err)
{
    memset(l, 0, sizeof(*l));
    return http_parse_urlencoded(a, l, s, strlen(s), err);
}

TEST(urlencoded_basic)
{
    struct arena *a = arena_new();
    struct kv_list l;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(parse_form(a, &l, "a=1&b=x+y&c=%D0%96%D1%91&d=", &err), 0);
    CHECK_EQ_INT(l.n, 4);
    CHECK_EQ_STR(kv_get(&l, "a"), "1");
    CHECK_EQ_STR(kv_get(&l, "b"), "x y");
    CHECK_EQ_STR(kv_get(&l, "c"), "Жё");
    CHECK_EQ_STR(kv_get(&l, "d"), "");
    CHECK(kv_get(&l, "e") == NULL);
    /* a name without '=' has the empty value; names are decoded too */
    CHECK_EQ_INT(parse_form(a, &l, "flag&na%6De=v", &err), 0);
    CHECK_EQ_STR(kv_get(&l, "flag"), "");
    CHECK_EQ_STR(kv_get(&l, "name"), "v");
    /* '=' inside a value stays */
    CHECK_EQ_INT(parse_form(a, &l, "q=a=b", &err), 0);
    CHECK_EQ_STR(kv_get(&l, "q"), "a=b");
    arena_free(a);
}

TEST(urlencoded_empty_parts_and_names)
{
    struct arena *a = arena_new();
    struct kv_list l;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(parse_form(a, &l, "", &err), 0);
    CHECK_EQ_INT(l.n, 0);
    CHECK_EQ_INT(parse_form(a, &l, "&&a=1&&", &err), 0);
    CHECK_EQ_INT(l.n, 1);
    /* "=v" has no name: dropped, not an error */
    CHECK_EQ_INT(parse_form(a, &l, "=v&b=2&=", &err), 0);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_STR(kv_get(&l, "b"), "2");
    arena_free(a);
}

TEST(urlencoded_duplicates_keep_order)
{
    struct arena *a = arena_new();
    struct kv_list l;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(parse_form(a, &l, "a=1&b=x&a=2", &err), 0);
    CHECK_EQ_INT(l.n, 3);
    CHECK_EQ_STR(kv_get(&l, "a"), "1"); /* the first wins */
    CHECK_EQ_STR(l.items[2].name, "a");
    CHECK_EQ_STR(l.items[2].value, "2");
    arena_free(a);
}

TEST(urlencoded_rejects_bad_input)
{
    struct arena *a = arena_new();
    struct kv_list l;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(parse_form(a, &l, "a=%G1", &err), IBC_EPARSE);
    CHECK_CONTAINS(err.msg, "percent");
    CHECK_EQ_INT(parse_form(a, &l, "a=%4", &err), IBC_EPARSE);
    CHECK_EQ_INT(parse_form(a, &l, "a%=1", &err), IBC_EPARSE);
    /* invalid UTF-8: overlong, lone continuation, raw byte, surrogate */
    CHECK_EQ_INT(parse_form(a, &l, "a=%C0%AF", &err), IBC_EPARSE);
    CHECK_CONTAINS(err.msg, "UTF-8");
    CHECK_EQ_INT(parse_form(a, &l, "a=%80", &err), IBC_EPARSE);
    CHECK_EQ_INT(parse_form(a, &l, "a=\xff", &err), IBC_EPARSE);
    CHECK_EQ_INT(parse_form(a, &l, "a=%ED%A0%80", &err), IBC_EPARSE);
    CHECK_EQ_INT(parse_form(a, &l, "%FF=1", &err), IBC_EPARSE);
    /* NUL, encoded or raw */
    CHECK_EQ_INT(parse_form(a, &l, "a=x%00y", &err), IBC_EPARSE);
    CHECK_EQ_INT(http_parse_urlencoded(a, &l, "a=x\0y", 5, &err), IBC_EPARSE);
    arena_free(a);
}

TEST(urlencoded_field_limit)
{
    struct arena *a = arena_new();
    struct kv_list l;
    struct ibc_error err = IBC_ERROR_INIT;
    struct buf b = BUF_INIT;
    for (int i = 0; i < HTTP_MAX_FIELDS; i++) {
        buf_printf(&b, "%sf%d=%d", i ? "&" : "", i, i);
    }
    CHECK_EQ_INT(parse_form(a, &l, buf_cstr(&b), &err), 0);
    CHECK_EQ_INT(l.n, HTTP_MAX_FIELDS);
    buf_puts(&b, "&one=more");
    CHECK_EQ_INT(parse_form(a, &l, buf_cstr(&b), &err), IBC_ETOOBIG);
    CHECK_CONTAINS(err.msg, "1000");
    /* empty parts do not count */
    buf_clear(&b);
    for (int i = 0; i < 5000; i++) {
        buf_puts(&b, "&");
    }
    buf_puts(&b, "a=1");
    CHECK_EQ_INT(parse_form(a, &l, buf_cstr(&b), &err), 0);
    buf_reset(&b);
    arena_free(a);
}

/* ---- cookies ---- */

TEST(cookies)
{
    struct arena *a = arena_new();
    struct kv_list l = {0};
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(http_parse_cookies(a, &l, " a=1;b = 2 ;c=\"q v\"; flag; "
                                           "=x; d=%41; a=dup; e=",
                                    &err),
                 0);
    CHECK_EQ_STR(kv_get(&l, "a"), "1"); /* the first wins */
    CHECK_EQ_STR(kv_get(&l, "b"), "2");
    CHECK_EQ_STR(kv_get(&l, "c"), "q v");
    CHECK_EQ_STR(kv_get(&l, "d"), "%41"); /* cookies are not decoded */
    CHECK_EQ_STR(kv_get(&l, "e"), "");
    CHECK(kv_get(&l, "flag") == NULL);
    CHECK_EQ_INT(l.n, 6);
    memset(&l, 0, sizeof(l));
    CHECK_EQ_INT(http_parse_cookies(a, &l, "", &err), 0);
    CHECK_EQ_INT(l.n, 0);
    CHECK_EQ_INT(http_parse_cookies(a, &l, "a=\xc3\x28", &err), IBC_EPARSE);
    CHECK_CONTAINS(err.msg, "UTF-8");
    CHECK_EQ_INT(http_parse_cookies(a, &l, "\xff=1", &err), IBC_EPARSE);
    CHECK_EQ_INT(http_parse_cookies(a, &l, "ok=Жж", &err), 0);
    arena_free(a);
}

TEST(cookie_count_limit)
{
    struct arena *a = arena_new();
    struct kv_list l = {0};
    struct ibc_error err = IBC_ERROR_INIT;
    struct buf b = BUF_INIT;
    for (int i = 0; i <= HTTP_MAX_FIELDS; i++) {
        buf_printf(&b, "c%d=1; ", i);
    }
    CHECK_EQ_INT(http_parse_cookies(a, &l, buf_cstr(&b), &err), IBC_ETOOBIG);
    buf_reset(&b);
    arena_free(a);
}

/* ---- struct req: target, cookies, form ---- */

static void req_new(struct req *r, struct arena *a)
{
    http_req_init(r, NULL, a);
}

TEST(req_parse_target)
{
    struct arena *a = arena_new();
    struct req r;
    req_new(&r, a);
    r.target = "/news/%D0%96?x=1&y=%D0%B6+z";
    CHECK_EQ_INT(http_req_parse(&r), 0);
    CHECK_EQ_STR(r.path, "/news/Ж");
    CHECK_EQ_STR(r.raw_query, "x=1&y=%D0%B6+z");
    CHECK_EQ_STR(req_query(&r, "y"), "ж z");
    CHECK_EQ_INT(r.bad_status, 0);
    CHECK_EQ_INT(strlen(r.id), 16);

    req_new(&r, a);
    r.target = "http://example.org/a%2Bb?q";
    CHECK_EQ_INT(http_req_parse(&r), 0);
    CHECK_EQ_STR(r.path, "/a+b"); /* '+' in a path is a plus */
    CHECK_EQ_STR(req_query(&r, "q"), "");

    const char *bad[] = {"/a%00b", "/%C0%AF", "/%ff", "/x%zz", "/?a=%00",
                         "/?a=%E2%82", "*", "x/y"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        req_new(&r, a);
        r.target = bad[i];
        CHECK(http_req_parse(&r) < 0);
        CHECK_EQ_INT(r.bad_status, 400);
        CHECK(r.bad_msg != NULL);
        CHECK_EQ_STR(r.path, "/"); /* still usable by an error page */
    }
    arena_free(a);
}

TEST(req_headers_cookies_form)
{
    struct arena *a = arena_new();
    struct req r;
    req_new(&r, a);
    r.method = "POST";
    r.target = "/prefs?lang=ru";
    http_req_add_header(&r, "Content-Type",
                        "application/x-www-form-urlencoded; charset=UTF-8", 48);
    http_req_add_header(&r, "Cookie", "ibc_lang=en; x=1", 16);
    r.body = "lang=en&back=%2Fnews";
    r.body_len = strlen(r.body);
    CHECK_EQ_INT(http_req_parse(&r), 0);
    CHECK_EQ_STR(r.headers.items[0].name, "content-type");
    CHECK_EQ_STR(req_header(&r, "CONTENT-TYPE"),
                 "application/x-www-form-urlencoded; charset=UTF-8");
    CHECK_EQ_STR(req_cookie(&r, "ibc_lang"), "en");
    CHECK_EQ_STR(req_form(&r, "back"), "/news");
    CHECK_EQ_STR(req_param(&r, "lang"), "en"); /* form before query */
    CHECK_EQ_STR(req_query(&r, "lang"), "ru");

    /* another content type: the body is not parsed as a form */
    req_new(&r, a);
    r.method = "POST";
    http_req_add_header(&r, "Content-Type", "text/plain", 10);
    r.body = "a=1";
    r.body_len = 3;
    CHECK_EQ_INT(http_req_parse(&r), 0);
    CHECK(req_form(&r, "a") == NULL);

    /* GET bodies are not forms either */
    req_new(&r, a);
    http_req_add_header(&r, "content-type",
                        "application/x-www-form-urlencoded", 33);
    r.body = "a=1";
    r.body_len = 3;
    CHECK_EQ_INT(http_req_parse(&r), 0);
    CHECK(req_form(&r, "a") == NULL);

    /* a bad form, a bad cookie, a NUL in a header: 400 */
    req_new(&r, a);
    r.method = "POST";
    http_req_add_header(&r, "content-type",
                        "application/x-www-form-urlencoded", 33);
    r.body = "a=%FF";
    r.body_len = 5;
    CHECK(http_req_parse(&r) < 0);
    CHECK_EQ_INT(r.bad_status, 400);
    req_new(&r, a);
    http_req_add_header(&r, "cookie", "a=\xc0", 3);
    CHECK(http_req_parse(&r) < 0);
    CHECK_EQ_INT(r.bad_status, 400);
    req_new(&r, a);
    http_req_add_header(&r, "x-a", "a\0b", 3);
    CHECK(http_req_parse(&r) < 0);
    CHECK_EQ_INT(r.bad_status, 400);
    arena_free(a);
}

TEST(req_parse_method_and_lengths)
{
    struct arena *a = arena_new();
    struct req r;
    /* what the server's adapter may pass on: checked here for both */
    const char *methods[] = {"G(T", "", "GET\x01", "A B"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        req_new(&r, a);
        r.method = methods[i];
        CHECK(http_req_parse(&r) < 0);
        CHECK_EQ_INT(r.bad_status, 400);
    }
    req_new(&r, a);
    r.method = "PROPFIND"; /* unknown but well-formed: routing says 405 */
    CHECK_EQ_INT(http_req_parse(&r), 0);

    req_new(&r, a);
    http_req_add_header(&r, "Content-Length", "3", 1);
    http_req_add_header(&r, "content-length", "3", 1);
    CHECK_EQ_INT(http_req_parse(&r), 0); /* the same twice is harmless */
    req_new(&r, a);
    http_req_add_header(&r, "Content-Length", "3", 1);
    http_req_add_header(&r, "content-length", "4", 1);
    CHECK(http_req_parse(&r) < 0);
    CHECK_EQ_INT(r.bad_status, 400);
    CHECK_CONTAINS(r.bad_msg, "Content-Length");
    req_new(&r, a);
    http_req_add_header(&r, "Transfer-Encoding", "chunked", 7);
    http_req_add_header(&r, "Content-Length", "4", 1);
    CHECK(http_req_parse(&r) < 0);
    CHECK_EQ_INT(r.bad_status, 400);
    req_new(&r, a);
    http_req_add_header(&r, "", "x", 1);
    CHECK(http_req_parse(&r) < 0);
    req_new(&r, a);
    http_req_add_header(&r, "X-A", "tab\tis fine", 11);
    CHECK_EQ_INT(http_req_parse(&r), 0);
    req_new(&r, a);
    http_req_add_header(&r, "X-A", "bell\a", 5);
    CHECK(http_req_parse(&r) < 0);
    arena_free(a);
}

/* ---- the raw request parser ---- */

static int raw(struct req *r, struct arena *a, const char *text, size_t len)
{
    req_new(r, a);
    return http_raw_parse(r, text, len ? len : strlen(text));
}

TEST(rawreq_good)
{
    struct arena *a = arena_new();
    struct req r;
    CHECK_EQ_INT(raw(&r, a, "\r\nGET /news?x=1 HTTP/1.1\r\nHost: a\r\n"
                            "X-Thing:   spaced  value \t\r\n\r\n", 0),
                 0);
    CHECK_EQ_STR(r.method, "GET");
    CHECK_EQ_STR(r.target, "/news?x=1");
    CHECK_EQ_STR(req_header(&r, "x-thing"), "spaced  value");
    CHECK_EQ_STR(r.body, "");

    const char post[] = "POST /prefs HTTP/1.1\r\nHost: a\r\nContent-Length: 7"
                        "\r\nContent-Type: application/x-www-form-urlencoded"
                        "\r\n\r\nlang=enEXTRA";
    CHECK_EQ_INT(raw(&r, a, post, 0), 0);
    CHECK_EQ_INT(r.body_len, 7);
    CHECK_EQ_STR(r.body, "lang=en");

    /* bare LF line ends, HTTP/1.0 without Host */
    CHECK_EQ_INT(raw(&r, a, "GET / HTTP/1.0\n\n", 0), 0);

    const char chunked[] = "POST /prefs HTTP/1.1\r\nHost: a\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n"
                           "4;ext=1\r\nlang\r\n3\r\n=en\r\n0\r\nX-T: 1\r\n\r\n";
    CHECK_EQ_INT(raw(&r, a, chunked, 0), 0);
    CHECK_EQ_STR(r.body, "lang=en");
    arena_free(a);
}

static void expect_bad(const char *text, size_t len, int status)
{
    struct arena *a = arena_new();
    struct req r;
    int rc = raw(&r, a, text, len);
    if (rc == 0 || r.bad_status != status) {
        test_fail(__FILE__, __LINE__, "%.60s: rc %d status %d, want %d", text,
                  rc, r.bad_status, status);
    }
    arena_free(a);
}

TEST(rawreq_malformed)
{
    expect_bad("", 0, 400);
    expect_bad("GET / HTTP/1.1", 0, 400);             /* no line end */
    expect_bad("GET /\r\n\r\n", 0, 400);              /* HTTP/0.9 */
    expect_bad(" GET / HTTP/1.1\r\n\r\n", 0, 400);
    expect_bad("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 0, 400);
    expect_bad("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 0, 400);
    expect_bad("GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", 0, 400);
    expect_bad("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 0, 400);
    expect_bad("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 0, 505);
    expect_bad("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 0, 400);
    expect_bad("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n", 25, 400);
    expect_bad("GET / HTTP/1.1\r\n\r\n", 0, 400);     /* no Host */
    expect_bad("GET / HTTP/1.1\r\nHost: a\r\n", 0, 400); /* no blank line */
    expect_bad("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  folded\r\n\r\n", 0,
               400);
    expect_bad("GET / HTTP/1.1\r\nHost: a\r\nX : 1\r\n\r\n", 0, 400);
    expect_bad("GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n", 0, 400);
    expect_bad("GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", 0, 400);
    expect_bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", 0, 400);
    expect_bad("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 30, 400);
    expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab", 0,
               400);
    expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 0,
               400);
    expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
               "Content-Length: 2\r\n\r\nab", 0, 400);
    expect_bad("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
               "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 400);
    expect_bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
               0, 400);
    expect_bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
               "\r\nzz\r\n", 0, 400);
    expect_bad("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
               "\r\n5\r\nab\r\n", 0, 400);
}

TEST(rawreq_limits)
{
    struct buf b = BUF_INIT;
    /* target: HTTP_MAX_TARGET passes the parser, one more is 414 */
    buf_puts(&b, "GET /");
    for (int i = 1; i < HTTP_MAX_TARGET; i++) {
        buf_putc(&b, 'a');
    }
    buf_puts(&b, " HTTP/1.1\r\nHost: a\r\n\r\n");
    struct arena *a = arena_new();
    struct req r;
    CHECK_EQ_INT(raw(&r, a, b.data, b.len), 0);
    buf_clear(&b);
    buf_puts(&b, "GET /");
    for (int i = 0; i < HTTP_MAX_TARGET; i++) {
        buf_putc(&b, 'a');
    }
    buf_puts(&b, " HTTP/1.1\r\nHost: a\r\n\r\n");
    expect_bad(b.data, b.len, 414);

    /* header bytes */
    buf_clear(&b);
    buf_puts(&b, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
    for (int i = 0; i < HTTP_MAX_HEADER_BYTES; i++) {
        buf_putc(&b, 'x');
    }
    buf_puts(&b, "\r\n\r\n");
    expect_bad(b.data, b.len, 431);

    /* header count */
    buf_clear(&b);
    buf_puts(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS; i++) {
        buf_printf(&b, "X-%d: 1\r\n", i);
    }
    buf_puts(&b, "\r\n");
    expect_bad(b.data, b.len, 431);

    /* body: Content-Length over the limit is refused before reading */
    buf_clear(&b);
    buf_printf(&b, "POST /prefs HTTP/1.1\r\nHost: a\r\nContent-Length: %d"
                   "\r\n\r\n", HTTP_MAX_BODY + 1);
    expect_bad(b.data, b.len, 413);
    buf_clear(&b);
    buf_printf(&b, "POST /prefs HTTP/1.1\r\nHost: a\r\nContent-Length: "
                   "99999999999999999999999\r\n\r\n");
    expect_bad(b.data, b.len, 400);
    /* a chunked body over the limit too */
    buf_clear(&b);
    buf_printf(&b, "POST /prefs HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                   "chunked\r\n\r\n%x\r\n", HTTP_MAX_BODY + 1);
    expect_bad(b.data, b.len, 413);
    buf_reset(&b);
    arena_free(a);
}

TEST(raw_write)
{
    struct arena *a = arena_new();
    struct req r;
    req_new(&r, a);
    r.method = "GET";
    r.status = 404;
    r.content_type = "text/plain; charset=utf-8";
    resp_header(&r, "X-A", "1");
    resp_header(&r, "X-A", "2"); /* replaces */
    resp_header(&r, "X-Bad", "a\r\nSet-Cookie: evil=1"); /* refused */
    buf_puts(&r.out, "gone");
    struct buf out = BUF_INIT;
    http_raw_write(&r, &out);
    CHECK_EQ_STR(out.data, "HTTP/1.1 404 Not Found\r\n"
                           "Content-Type: text/plain; charset=utf-8\r\n"
                           "X-A: 2\r\nContent-Length: 4\r\n\r\ngone");
    buf_clear(&out);
    r.method = "HEAD";
    http_raw_write(&r, &out);
    CHECK_CONTAINS(out.data, "Content-Length: 4\r\n\r\n");
    CHECK_NOT_CONTAINS(out.data, "gone");
    buf_reset(&out);
    http_req_reset(&r);
    arena_free(a);
}

TEST(cookies_written)
{
    struct arena *a = arena_new();
    struct req r;
    req_new(&r, a);
    resp_cookie(&r, "ibc_lang", "en", 3600, false);
    resp_cookie(&r, "seen", "1", -1, true);
    resp_cookie(&r, "gone", "", 0, false);
    resp_cookie(&r, "bad", "a;b", 1, false); /* refused */
    r.https = true;
    resp_cookie(&r, "s", "1", -1, false);
    CHECK_EQ_INT(r.resp_headers.n, 4);
    CHECK_EQ_STR(r.resp_headers.items[0].value,
                 "ibc_lang=en; Path=/; Max-Age=3600; SameSite=Lax; HttpOnly");
    CHECK_EQ_STR(r.resp_headers.items[1].value, "seen=1; Path=/; SameSite=Lax");
    CHECK_EQ_STR(r.resp_headers.items[2].value,
                 "gone=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly");
    CHECK_EQ_STR(r.resp_headers.items[3].value,
                 "s=1; Path=/; SameSite=Lax; HttpOnly; Secure");
    arena_free(a);
}

/* ---- CSRF ---- */

TEST(csrf_token_roundtrip)
{
    static struct app app; /* only the secret is used */
    memset(app.secret, 7, sizeof(app.secret));
    struct arena *a = arena_new();
    struct req r;
    http_req_init(&r, &app, a);
    const char *tok = http_csrf_token(&r);
    CHECK_EQ_INT(strlen(tok), 64);
    CHECK_EQ_STR(http_csrf_token(&r), tok); /* stable within a request */
    CHECK_EQ_INT(r.resp_headers.n, 1);      /* one cookie, set once */
    const char *sc = r.resp_headers.items[0].value;
    CHECK(strncmp(sc, "ibc_csrf=", 9) == 0);
    CHECK_CONTAINS(sc, "HttpOnly");
    CHECK_CONTAINS(sc, "SameSite=Lax");
    char cookie[33];
    memcpy(cookie, sc + 9, 32);
    cookie[32] = '\0';
    char expect[65];
    http_csrf_sign(app.secret, cookie, expect);
    CHECK_EQ_STR(tok, expect);

    /* the next request sends the cookie and the field back */
    struct req p;
    http_req_init(&p, &app, a);
    kv_add(a, &p.cookies, HTTP_CSRF_COOKIE, cookie, 32);
    CHECK(!http_csrf_valid(&p)); /* no token */
    kv_add(a, &p.form, HTTP_CSRF_FIELD, tok, 64);
    CHECK(http_csrf_valid(&p));
    /* with the cookie present, the page shows the same token, no new cookie */
    CHECK_EQ_STR(http_csrf_token(&p), tok);
    CHECK_EQ_INT(p.resp_headers.n, 0);

    /* the header works for scripts */
    struct req h;
    http_req_init(&h, &app, a);
    kv_add(a, &h.cookies, HTTP_CSRF_COOKIE, cookie, 32);
    http_req_add_header(&h, "X-CSRF-Token", tok, 64);
    CHECK(http_csrf_valid(&h));

    /* wrong token, token of another cookie, no cookie, other secret */
    char other[65];
    http_csrf_sign(app.secret, "0123456789abcdef0123456789abcdef", other);
    const char *wrong[] = {other, "", "zz", expect + 1};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        struct req w;
        http_req_init(&w, &app, a);
        kv_add(a, &w.cookies, HTTP_CSRF_COOKIE, cookie, 32);
        kv_add(a, &w.form, HTTP_CSRF_FIELD, wrong[i], strlen(wrong[i]));
        CHECK(!http_csrf_valid(&w));
    }
    struct req n;
    http_req_init(&n, &app, a);
    kv_add(a, &n.form, HTTP_CSRF_FIELD, tok, 64);
    CHECK(!http_csrf_valid(&n));
    static struct app app2;
    memset(app2.secret, 8, sizeof(app2.secret));
    struct req s;
    http_req_init(&s, &app2, a);
    kv_add(a, &s.cookies, HTTP_CSRF_COOKIE, cookie, 32);
    kv_add(a, &s.form, HTTP_CSRF_FIELD, tok, 64);
    CHECK(!http_csrf_valid(&s));

    /* a malformed cookie is replaced, not trusted */
    struct req m;
    http_req_init(&m, &app, a);
    kv_add(a, &m.cookies, HTTP_CSRF_COOKIE, "short", 5);
    http_csrf_token(&m);
    CHECK_EQ_INT(m.resp_headers.n, 1);
    arena_free(a);
}

/* ---- CIDR lists ---- */

TEST(netacl_match)
{
    struct netacl *acl;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(netacl_parse(&acl, "127.0.0.0/8,::1/128, 10.0.0.0/8 "
                                    "172.16.0.0/12,fc00::/7,192.168.1.7",
                              &err),
                 0);
    CHECK(netacl_match_text(acl, "127.0.0.1"));
    CHECK(netacl_match_text(acl, "127.255.0.9"));
    CHECK(!netacl_match_text(acl, "128.0.0.1"));
    CHECK(netacl_match_text(acl, "10.20.30.40"));
    CHECK(netacl_match_text(acl, "172.31.255.255"));
    CHECK(!netacl_match_text(acl, "172.32.0.0"));
    CHECK(!netacl_match_text(acl, "172.15.255.255"));
    CHECK(netacl_match_text(acl, "192.168.1.7"));
    CHECK(!netacl_match_text(acl, "192.168.1.8"));
    CHECK(netacl_match_text(acl, "::1"));
    CHECK(!netacl_match_text(acl, "::2"));
    CHECK(netacl_match_text(acl, "fd12:3456::1"));
    CHECK(netacl_match_text(acl, "fc00::"));
    CHECK(!netacl_match_text(acl, "fe80::1"));
    CHECK(netacl_match_text(acl, "::ffff:10.1.2.3")); /* mapped IPv4 */
    CHECK(!netacl_match_text(acl, "::ffff:8.8.8.8"));
    CHECK(!netacl_match_text(acl, "not an address"));
    CHECK(!netacl_match_text(acl, NULL));

    struct sockaddr_in s4 = {0};
    s4.sin_family = AF_INET;
    inet_pton(AF_INET, "10.9.8.7", &s4.sin_addr);
    CHECK(netacl_match_sa(acl, (struct sockaddr *)&s4));
    struct sockaddr_in6 s6 = {0};
    s6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
    CHECK(netacl_match_sa(acl, (struct sockaddr *)&s6));
    char text[64];
    netacl_addr_text((struct sockaddr *)&s6, text);
    CHECK_EQ_STR(text, "127.0.0.1");
    inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
    CHECK(!netacl_match_sa(acl, (struct sockaddr *)&s6));
    netacl_addr_text((struct sockaddr *)&s6, text);
    CHECK_EQ_STR(text, "2001:db8::1");
    netacl_free(acl);
}

TEST(netacl_edges)
{
    struct netacl *acl;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(netacl_parse(&acl, "none", &err), 0);
    CHECK(!netacl_match_text(acl, "127.0.0.1"));
    CHECK(!netacl_match_text(acl, "::1"));
    netacl_free(acl);
    CHECK_EQ_INT(netacl_parse(&acl, "", &err), 0);
    CHECK(!netacl_match_text(acl, "127.0.0.1"));
    netacl_free(acl);
    /* /0 covers its family only */
    CHECK_EQ_INT(netacl_parse(&acl, "0.0.0.0/0", &err), 0);
    CHECK(netacl_match_text(acl, "203.0.113.5"));
    CHECK(!netacl_match_text(acl, "2001:db8::1"));
    netacl_free(acl);
    CHECK_EQ_INT(netacl_parse(&acl, "::/0", &err), 0);
    CHECK(netacl_match_text(acl, "2001:db8::1"));
    CHECK(!netacl_match_text(acl, "203.0.113.5"));
    netacl_free(acl);
    const char *bad[] = {"1.2.3.4/33", "foo", "::/129", "1.2.3.4/",
                         "1.2.3.4/x", "1.2.3", "10.0.0.0/8,nope",
                         "1.2.3.4/-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        acl = (struct netacl *)1;
        CHECK_EQ_INT(netacl_parse(&acl, bad[i], &err), IBC_EINVAL);
        CHECK(acl == NULL);
        CHECK(err.msg[0] != '\0');
    }
    netacl_free(NULL);
}

/* ---- gzip ---- */

TEST(accepts_gzip)
{
    CHECK(http_accepts_gzip("gzip"));
    CHECK(http_accepts_gzip("GZIP"));
    CHECK(http_accepts_gzip("gzip, deflate, br"));
    CHECK(http_accepts_gzip("br;q=1.0, gzip;q=0.5"));
    CHECK(http_accepts_gzip("x-gzip"));
    CHECK(http_accepts_gzip("*"));
    CHECK(!http_accepts_gzip("*;q=0"));
    CHECK(!http_accepts_gzip("gzip;q=0"));
    CHECK(!http_accepts_gzip("gzip; q=0.0, *"));
    CHECK(!http_accepts_gzip("identity"));
    CHECK(!http_accepts_gzip("gzipx"));
    CHECK(!http_accepts_gzip(""));
    CHECK(!http_accepts_gzip(NULL));
}

TEST(gzip_roundtrip)
{
    struct buf in = BUF_INIT, z = BUF_INIT;
    for (int i = 0; i < 1000; i++) {
        buf_printf(&in, "<p>Строка %d</p>\n", i);
    }
    CHECK_EQ_INT(http_gzip(&z, in.data, in.len, 6), 0);
    CHECK(z.len < in.len / 4);
    CHECK((unsigned char)z.data[0] == 0x1f && (unsigned char)z.data[1] == 0x8b);
    z_stream s = {0};
    CHECK(inflateInit2(&s, 15 + 16) == Z_OK);
    char *back = malloc(in.len + 16);
    s.next_in = (Bytef *)z.data;
    s.avail_in = (uInt)z.len;
    s.next_out = (Bytef *)back;
    s.avail_out = (uInt)(in.len + 16);
    CHECK(inflate(&s, Z_FINISH) == Z_STREAM_END);
    CHECK_EQ_INT(s.total_out, in.len);
    CHECK(memcmp(back, in.data, in.len) == 0);
    inflateEnd(&s);
    free(back);
    buf_reset(&in);
    buf_reset(&z);
}

/* ---- static files ---- */

TEST(mime_types)
{
    CHECK_EQ_STR(http_mime_type("css/ibc.css"), "text/css; charset=utf-8");
    CHECK_EQ_STR(http_mime_type("img/logo.svg"),
                 "image/svg+xml; charset=utf-8");
    CHECK_EQ_STR(http_mime_type("f.woff2"), "font/woff2");
    CHECK_EQ_STR(http_mime_type("robots.txt"), "text/plain; charset=utf-8");
    CHECK_EQ_STR(http_mime_type("a.css/x"), "application/octet-stream");
    CHECK_EQ_STR(http_mime_type("noext"), "application/octet-stream");
    CHECK(http_mime_compressible("text/css; charset=utf-8"));
    CHECK(http_mime_compressible("image/svg+xml"));
    CHECK(http_mime_compressible("application/json"));
    CHECK(!http_mime_compressible("image/png"));
    CHECK(!http_mime_compressible("font/woff2"));
    CHECK(!http_mime_compressible(NULL));
}

TEST(static_url)
{
    static struct app app;
    struct arena *a = arena_new();
    struct req r;
    http_req_init(&r, &app, a);
    const char *u = http_static_url(&r, "css/ibc.css");
    CHECK(strncmp(u, "/static/css/ibc.css?v=", 22) == 0);
    CHECK_EQ_INT(strlen(u), 22 + 16);
    CHECK_EQ_STR(http_static_url(&r, "no/such.css"), "/static/no/such.css");
    arena_free(a);
}
