/* ibc — gzip for responses (zlib) and the Accept-Encoding test. */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* The q value of one list element "gzip;q=0.5" (1 when absent). */
static double element_q(const char *params, size_t len)
{
    const char *p = params;
    const char *end = params + len;
    while (p < end) {
        while (p < end && (*p == ';' || *p == ' ' || *p == '\t')) {
            p++;
        }
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            char num[16];
            size_t n = (size_t)(end - p - 2);
            if (n >= sizeof(num)) {
                n = sizeof(num) - 1;
            }
            memcpy(num, p + 2, n);
            num[n] = '\0';
            return strtod(num, NULL);
        }
        while (p < end && *p != ';') {
            p++;
        }
    }
    return 1.0;
}

bool http_accepts_gzip(const char *ae)
{
    if (!ae) {
        return false;
    }
    double gzip_q = -1, star_q = -1;
    const char *p = ae;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *e = p;
        while (e < p + len && (*e == ' ' || *e == '\t')) {
            e++;
        }
        size_t tok = strcspn(e, ",; \t");
        if (tok > (size_t)(p + len - e)) {
            tok = (size_t)(p + len - e);
        }
        double q = element_q(e + tok, (size_t)(p + len - e - tok));
        if ((tok == 4 && strncasecmp(e, "gzip", 4) == 0) ||
            (tok == 6 && strncasecmp(e, "x-gzip", 6) == 0)) {
            gzip_q = q;
        } else if (tok == 1 && *e == '*') {
            star_q = q;
        }
        p += len;
        if (*p == ',') {
            p++;
        }
    }
    if (gzip_q >= 0) {
        return gzip_q > 0;
    }
    return star_q > 0;
}

int http_gzip(struct buf *out, const void *data, size_t len, int level)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    /* The window and hash table need not be larger than the input: zlib's
     * full-size state (~270 KiB, zeroed per call) costs more than
     * compressing a 5 KiB page. windowBits 9..15, + 16 for a gzip wrapper
     * rather than zlib's. */
    int wbits = 9;
    while (wbits < 15 && ((size_t)1 << wbits) < len) {
        wbits++;
    }
    int mem_level = wbits - 6 < 1 ? 1 : (wbits - 6 > 8 ? 8 : wbits - 6);
    if (deflateInit2(&z, level, Z_DEFLATED, wbits + 16, mem_level,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return IBC_EINTERNAL;
    }
    uLong bound = deflateBound(&z, (uLong)len);
    buf_grow(out, bound);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    if (rc != Z_STREAM_END) {
        deflateEnd(&z);
        return IBC_EINTERNAL;
    }
    out->len += z.total_out;
    out->data[out->len] = '\0';
    deflateEnd(&z);
    return 0;
}
