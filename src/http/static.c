/* ibc — static files: GET /static/<path>.
 *
 * Files come from the binary (web/static/ embedded at build time by
 * tools/embed.c) or, with --assets-dir, from the source tree on disk so a
 * developer sees an edit without rebuilding. Each has a strong ETag (FNV-1a
 * of the content, the same function as tools/embed.c); a URL made by
 * http_static_url() carries it as ?v=…, and such a URL is cached for a year
 * ("immutable"); any other is revalidated every time (no-cache → 304).
 *
 * Text files are gzipped once, on first use, for all embedded files at once
 * (pthread_once): the copies are derived from the embedded constants and
 * never change after, so threads read them without a lock. Files from
 * --assets-dir are compressed per request by the dispatcher like any page.
 *
 * Path traversal: an embedded file is found by exact name only; a file on
 * disk must resolve (realpath) under <assets-dir>/web/static/. Names are
 * limited to [A-Za-z0-9._-] segments that do not start with a dot. */
#include "http/http.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "core/embed.h"
#include "core/log.h"
#include "core/str.h"
#include "core/xalloc.h"

#define STATIC_PREFIX "/static/"
#define EMBED_DIR "web/static/"
#define DISK_MAX (32 * 1024 * 1024)
#define IMMUTABLE "public, max-age=31536000, immutable"

const char *http_mime_type(const char *name)
{
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml; charset=utf-8"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".avif", "image/avif"},
        {".ico", "image/vnd.microsoft.icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".ttf", "font/ttf"},
        {".otf", "font/otf"},
        {".txt", "text/plain; charset=utf-8"},
        {".html", "text/html; charset=utf-8"},
        {".xml", "application/xml; charset=utf-8"},
        {".pdf", "application/pdf"},
        {".epub", "application/epub+zip"},
        {".wasm", "application/wasm"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(name, '.');
    const char *slash = strrchr(name, '/');
    if (dot && (!slash || dot > slash)) {
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
            if (strcmp(dot, types[i].ext) == 0) {
                return types[i].type;
            }
        }
    }
    return "application/octet-stream";
}

bool http_mime_compressible(const char *ct)
{
    if (!ct) {
        return false;
    }
    static const char *const ok[] = {
        "text/",           "application/json", "application/manifest+json",
        "application/xml", "image/svg+xml",    "application/javascript",
        "font/ttf",        "font/otf",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (str_starts(ct, ok[i])) {
            return true;
        }
    }
    return false;
}

/* ---- gzip copies of the embedded files, made once ---- */

struct gz_copy {
    char *data;   /* NULL: not worth compressing */
    size_t len;
    char *etag;   /* "\"<hash>-gz\"" */
};

static pthread_once_t gz_once = PTHREAD_ONCE_INIT;
static struct gz_copy *gz_table; /* [embed_count]; written once in gz_init */

static void gz_init(void)
{
    gz_table = xcalloc(embed_count + 1, sizeof(*gz_table));
    for (size_t i = 0; i < embed_count; i++) {
        const struct embed_file *f = &embed_files[i];
        if (!str_starts(f->name, EMBED_DIR) || f->len < HTTP_GZIP_MIN ||
            !http_mime_compressible(http_mime_type(f->name))) {
            continue;
        }
        struct buf z = BUF_INIT;
        if (http_gzip(&z, f->data, f->len, 9) != 0 || z.len >= f->len) {
            buf_reset(&z);
            continue;
        }
        size_t elen = strlen(f->etag);
        gz_table[i].etag = xmalloc(elen + 4);
        snprintf(gz_table[i].etag, elen + 4, "%.*s-gz\"", (int)(elen - 1),
                 f->etag);
        gz_table[i].data = buf_detach(&z, &gz_table[i].len);
    }
}

void http_static_cleanup(void)
{
    if (!gz_table) {
        return;
    }
    for (size_t i = 0; i < embed_count; i++) {
        free(gz_table[i].data);
        free(gz_table[i].etag);
    }
    free(gz_table);
    gz_table = NULL;
}

/* ---- names ---- */

/* True for "css/ibc.css": segments of [A-Za-z0-9._-], none empty or
 * starting with a dot. */
static bool name_ok(const char *s)
{
    if (!*s || strlen(s) > 200) {
        return false;
    }
    bool seg_start = true;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (c == '/') {
            if (seg_start) {
                return false; /* empty segment */
            }
            seg_start = true;
            continue;
        }
        if (seg_start && c == '.') {
            return false;
        }
        seg_start = false;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
            return false;
        }
    }
    return !seg_start;
}

/* FNV-1a 64, as tools/embed.c computes the embedded ETags. */
static uint64_t fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}

/* Reads <assets-dir>/web/static/<name> into out, refusing anything that
 * resolves outside that folder. Returns 0, IBC_ENOTFOUND or IBC_ETOOBIG. */
static int read_disk(const char *assets, const char *name, struct buf *out)
{
    char base[PATH_MAX], want[PATH_MAX + 256], real[PATH_MAX];
    snprintf(want, sizeof(want), "%s/%s", assets, EMBED_DIR);
    if (!realpath(want, base)) {
        return IBC_ENOTFOUND;
    }
    snprintf(want, sizeof(want), "%s/%s", base, name);
    if (!realpath(want, real)) {
        return IBC_ENOTFOUND;
    }
    size_t blen = strlen(base);
    if (strncmp(real, base, blen) != 0 || real[blen] != '/') {
        return IBC_ENOTFOUND;
    }
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        return IBC_ENOTFOUND;
    }
    if (st.st_size > DISK_MAX) {
        return IBC_ETOOBIG;
    }
    FILE *f = fopen(real, "rb");
    if (!f) {
        return IBC_ENOTFOUND;
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        buf_append(out, chunk, n);
        if (out->len > DISK_MAX) {
            fclose(f);
            return IBC_ETOOBIG;
        }
    }
    fclose(f);
    return 0;
}

/* The ETag without quotes ("0123456789abcdef") matches ?v=. */
static bool version_matches(const struct req *req, const char *etag)
{
    const char *v = req_query(req, "v");
    size_t n = strlen(etag);
    return v && n >= 2 && strlen(v) == n - 2 &&
           memcmp(v, etag + 1, n - 2) == 0;
}

int http_static(struct req *req)
{
    const char *name = str_starts(req->path, STATIC_PREFIX)
                           ? req->path + strlen(STATIC_PREFIX)
                           : "";
    if (!name_ok(name)) {
        return IBC_ENOTFOUND;
    }
    const char *type = http_mime_type(name);
    const char *etag;
    bool gz = false;
    req->no_store = false;
    if (req->app->cfg.assets_dir) {
        int rc = read_disk(req->app->cfg.assets_dir, name, &req->out);
        if (rc) {
            buf_clear(&req->out);
            return rc;
        }
        etag = arena_printf(req->arena, "\"%016llx\"",
                            (unsigned long long)fnv1a(req->out.data,
                                                      req->out.len));
    } else {
        char full[256];
        snprintf(full, sizeof(full), EMBED_DIR "%s", name);
        const struct embed_file *f = embed_find(full);
        if (!f) {
            return IBC_ENOTFOUND;
        }
        etag = f->etag;
        req->body_ref = f->data;
        req->body_ref_len = f->len;
        if (http_mime_compressible(type)) {
            resp_header(req, "Vary", "Accept-Encoding");
            pthread_once(&gz_once, gz_init);
            const struct gz_copy *z = &gz_table[f - embed_files];
            if (z->data &&
                http_accepts_gzip(req_header(req, "accept-encoding"))) {
                req->body_ref = z->data;
                req->body_ref_len = z->len;
                resp_header(req, "Content-Encoding", "gzip");
                resp_header(req, "ETag", z->etag);
                gz = true;
            }
        }
    }
    req->content_type = type;
    resp_header(req, "Cache-Control",
                version_matches(req, etag) ? IMMUTABLE : "no-cache");
    if (!gz) {
        resp_header(req, "ETag", etag);
    }
    return 0;
}

const char *http_static_url(struct req *req, const char *path)
{
    char hex[20] = "";
    if (req->app->cfg.assets_dir) {
        struct buf b = BUF_INIT;
        if (name_ok(path) && read_disk(req->app->cfg.assets_dir, path, &b) == 0) {
            snprintf(hex, sizeof(hex), "%016llx",
                     (unsigned long long)fnv1a(b.data, b.len));
        }
        buf_reset(&b);
    } else {
        char full[256];
        snprintf(full, sizeof(full), EMBED_DIR "%s", path);
        const struct embed_file *f = embed_find(full);
        if (f && strlen(f->etag) >= 2) {
            snprintf(hex, sizeof(hex), "%.*s", (int)strlen(f->etag) - 2,
                     f->etag + 1);
        }
    }
    if (!hex[0]) {
        log_warn("static file %s does not exist", path);
        return arena_printf(req->arena, STATIC_PREFIX "%s", path);
    }
    return arena_printf(req->arena, STATIC_PREFIX "%s?v=%s", path, hex);
}
