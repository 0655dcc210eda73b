/* ibc — the template escapers: HTML text/attributes, URL components, JSON
 * string literals for <script>, and the URL scheme check.
 *
 * Hand-written: each is a short loop over bytes, and no Debian library
 * offers exactly these rules (HTML-safe JSON, the #blocked scheme check).
 * The JSON string escaper is also what src/web/json.c uses, so HTML pages
 * and the JSON API share one implementation. */
#include <string.h>

#include "core/utf8.h"
#include "tpl/tpl.h"
#include "tpl/tpl_int.h"

static const char hex_digits[] = "0123456789ABCDEF"; /* RFC 3986 §2.1 */
static const char hex_lower[] =
    "0123456789abcdef"; /* \u003c, as JSON.stringify */

/* Writes s[0..n) HTML-escaped: & < > " ' become entities. The output is
 * correct in text, in RCDATA (<title>, <textarea>) and in quoted attribute
 * values, and uses only the XML five (&#39; is numeric), so SVG can use it. */
void tpl_esc_html_n(struct buf *out, const char *s, size_t n)
{
    size_t start = 0;
    buf_grow(out, n);
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        size_t rlen;
        switch (s[i]) {
        case '&':
            rep = "&amp;", rlen = 5;
            break;
        case '<':
            rep = "&lt;", rlen = 4;
            break;
        case '>':
            rep = "&gt;", rlen = 4;
            break;
        case '"':
            rep = "&quot;", rlen = 6;
            break;
        case '\'':
            rep = "&#39;", rlen = 5;
            break;
        default:
            continue;
        }
        buf_append(out, s + start, i - start);
        buf_append(out, rep, rlen);
        start = i + 1;
    }
    buf_append(out, s + start, n - start);
}

void tpl_esc_html(struct buf *out, const char *s)
{
    if (s) {
        tpl_esc_html_n(out, s, strlen(s));
    }
}

static bool url_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

/* Percent-encodes every byte but the RFC 3986 unreserved ones, so the
 * result is one URL component (':' and '/' included are encoded) and needs
 * no further escaping inside an attribute. */
void tpl_esc_url_n(struct buf *out, const char *s, size_t n)
{
    buf_grow(out, n);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (url_unreserved(c)) {
            continue;
        }
        buf_append(out, s + start, i - start);
        char pct[3] = {'%', hex_digits[c >> 4], hex_digits[c & 15]};
        buf_append(out, pct, 3);
        start = i + 1;
    }
    buf_append(out, s + start, n - start);
}

void tpl_esc_url_component(struct buf *out, const char *s)
{
    if (s) {
        tpl_esc_url_n(out, s, strlen(s));
    }
}

/* Length of the maximal ill-formed subpart at p (Unicode §3.9, table 3-7),
 * so that one broken sequence becomes one U+FFFD. Called only where
 * utf8_decode() failed; always >= 1. */
static size_t utf8_bad_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c == 0xE0) {
        need = 2, lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
        need = 2;
    } else if (c == 0xED) {
        need = 2, hi = 0x9F;
    } else if (c == 0xF0) {
        need = 3, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
        need = 3;
    } else if (c == 0xF4) {
        need = 3, hi = 0x8F;
    } else {
        return 1;
    }
    size_t i = 1;
    for (; i <= need && i < n; i++) {
        unsigned char d = p[i];
        bool ok = i == 1 ? (d >= lo && d <= hi) : (d >= 0x80 && d <= 0xBF);
        if (!ok) {
            break;
        }
    }
    return i;
}

/* Writes s[0..n) as a JSON string literal with quotes (RFC 8259 §7):
 * '"' and '\\' escaped, control characters as \b \f \n \r \t or \u00XX,
 * and also < > & U+2028 U+2029 as \uXXXX so the literal is safe inside an
 * HTML <script> element and in JavaScript. Invalid UTF-8 becomes U+FFFD. */
void tpl_esc_js_n(struct buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    buf_grow(out, n + 2);
    buf_putc(out, '"');
    size_t start = 0, i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t k = utf8_decode(s + i, n - i, &cp);
            if (k > 0 && cp != 0x2028 && cp != 0x2029) {
                i += k;
                continue;
            }
            buf_append(out, s + start, i - start);
            if (k == 0) {
                buf_append(out, "\xEF\xBF\xBD", 3);
                i += utf8_bad_len(p + i, n - i);
            } else {
                buf_append(out, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
                i += k;
            }
            start = i;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' &&
            c != '&') {
            i++;
            continue;
        }
        buf_append(out, s + start, i - start);
        switch (c) {
        case '"':
            buf_append(out, "\\\"", 2);
            break;
        case '\\':
            buf_append(out, "\\\\", 2);
            break;
        case '\b':
            buf_append(out, "\\b", 2);
            break;
        case '\f':
            buf_append(out, "\\f", 2);
            break;
        case '\n':
            buf_append(out, "\\n", 2);
            break;
        case '\r':
            buf_append(out, "\\r", 2);
            break;
        case '\t':
            buf_append(out, "\\t", 2);
            break;
        default: {
            char u[6] = {
                '\\', 'u', '0', '0', hex_lower[c >> 4], hex_lower[c & 15]};
            buf_append(out, u, 6);
            break;
        }
        }
        i++;
        start = i;
    }
    buf_append(out, s + start, n - start);
    buf_putc(out, '"');
}

void tpl_esc_js(struct buf *out, const char *s)
{
    tpl_esc_js_n(out, s ? s : "", s ? strlen(s) : 0);
}

/* True if s[0..n) may start an href/src: a relative URL (no scheme before
 * the first '/', '?' or '#') or one of http, https, mailto, tel. Follows
 * what browsers do before parsing a scheme: leading C0 controls and spaces
 * are stripped, and tabs/newlines anywhere are removed, so " JaVa\tScript:"
 * is recognised as javascript:. Anything else that looks like a scheme,
 * including a malformed one, is refused. */
bool tpl_url_safe_n(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (unsigned char)s[i] <= 0x20) {
        i++;
    }
    char scheme[8];
    size_t sl = 0;
    bool too_long = false;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\t' || c == '\n' || c == '\r') {
            continue;
        }
        if (c == ':') {
            break;
        }
        if (c == '/' || c == '?' || c == '#') {
            return true;
        }
        if (sl < sizeof(scheme)) {
            scheme[sl++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else {
            too_long = true;
        }
    }
    if (i == n) {
        return true; /* no scheme: relative */
    }
    if (too_long) {
        return false;
    }
    static const char *const allowed[] = {"http", "https", "mailto", "tel"};
    for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++) {
        if (strlen(allowed[k]) == sl && memcmp(allowed[k], scheme, sl) == 0) {
            return true;
        }
    }
    return false;
}

bool tpl_url_safe(const char *s)
{
    return s ? tpl_url_safe_n(s, strlen(s)) : true;
}
