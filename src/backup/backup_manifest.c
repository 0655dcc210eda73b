/* ibc — reading a backup's manifest.json.
 *
 * A small strict JSON reader (RFC 8259; nesting limited to 16 levels) that
 * fills struct backup_manifest and skips keys it does not know, so a newer
 * manifest with extra facts still reads. Written by hand (rule 11): the
 * project has a JSON writer but no parser, and this one reads only our own
 * manifest, capped at 1 MiB by the archive reader. Unknown or ill-typed
 * values of known keys are errors. */
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "core/xalloc.h"

#define MAX_DEPTH 16
#define MAX_MEMBERS 1000000

struct jp {
    const char *p, *end;
    struct ibc_error *err;
    int depth;
};

static int bad(struct jp *j, const char *what)
{
    return ibc_fail(j->err, IBC_EPARSE, "the backup's manifest is damaged (%s)",
                    what);
}

static void ws(struct jp *j)
{
    while (j->p < j->end &&
           (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
}

static bool eat(struct jp *j, char c)
{
    ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return true;
    }
    return false;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Reads a string into out (cap bytes with NUL; longer is an error; out may
 * be NULL to skip). Non-ASCII escapes become '?': our values are ASCII. */
static int str(struct jp *j, char *out, size_t cap)
{
    if (!eat(j, '"')) {
        return bad(j, "string expected");
    }
    size_t n = 0;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if ((unsigned char)c < 0x20) {
            return bad(j, "control character in a string");
        }
        if (c == '\\') {
            if (j->p >= j->end) {
                return bad(j, "bad escape");
            }
            char e = *j->p++;
            switch (e) {
            case '"': case '\\': case '/': c = e; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                int v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = j->p < j->end ? hexval(*j->p++) : -1;
                    if (h < 0) {
                        return bad(j, "bad \\u escape");
                    }
                    v = v * 16 + h;
                }
                c = v < 0x80 && v > 0 ? (char)v : '?';
                break;
            }
            default:
                return bad(j, "bad escape");
            }
        }
        if (out) {
            if (n + 1 >= cap) {
                return bad(j, "string too long");
            }
            out[n] = c;
        }
        n++;
    }
    if (j->p >= j->end) {
        return bad(j, "unterminated string");
    }
    j->p++;
    if (out) {
        out[n] = '\0';
    }
    return 0;
}

static int num(struct jp *j, int64_t *out)
{
    ws(j);
    bool neg = false;
    if (j->p < j->end && *j->p == '-') {
        neg = true;
        j->p++;
    }
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
        return bad(j, "number expected");
    }
    int64_t v = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        if (v > (INT64_MAX - 9) / 10) {
            return bad(j, "number too big");
        }
        v = v * 10 + (*j->p++ - '0');
    }
    if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E')) {
        return bad(j, "integer expected");
    }
    *out = neg ? -v : v;
    return 0;
}

static int skip(struct jp *j);

static int skip_container(struct jp *j, char close)
{
    if (++j->depth > MAX_DEPTH) {
        return bad(j, "nested too deeply");
    }
    if (!eat(j, close)) {
        for (;;) {
            int rc;
            if (close == '}') {
                if ((rc = str(j, NULL, 0)) != 0) {
                    return rc;
                }
                if (!eat(j, ':')) {
                    return bad(j, "':' expected");
                }
            }
            if ((rc = skip(j)) != 0) {
                return rc;
            }
            if (eat(j, close)) {
                break;
            }
            if (!eat(j, ',')) {
                return bad(j, "',' expected");
            }
        }
    }
    j->depth--;
    return 0;
}

/* Skips any value. */
static int skip(struct jp *j)
{
    ws(j);
    if (j->p >= j->end) {
        return bad(j, "value expected");
    }
    char c = *j->p;
    if (c == '"') {
        return str(j, NULL, 0);
    }
    if (c == '{' || c == '[') {
        j->p++;
        return skip_container(j, c == '{' ? '}' : ']');
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(j->end - j->p) >= n && memcmp(j->p, words[i], n) == 0) {
            j->p += n;
            return 0;
        }
    }
    int64_t v;
    int rc = num(j, &v);
    if (rc == 0) {
        return 0;
    }
    /* a fraction or exponent in a value we skip is fine */
    while (j->p < j->end && strchr("0123456789.eE+-", *j->p)) {
        j->p++;
    }
    ibc_error_clear(j->err);
    return 0;
}

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64) {
        return false;
    }
    for (; *s; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) {
            return false;
        }
    }
    return true;
}

static int member(struct jp *j, struct backup_member *m)
{
    if (!eat(j, '{')) {
        return bad(j, "member object expected");
    }
    bool has_name = false, has_size = false, has_hash = false;
    if (!eat(j, '}')) {
        for (;;) {
            char key[32];
            int rc = str(j, key, sizeof(key));
            if (rc) {
                return rc;
            }
            if (!eat(j, ':')) {
                return bad(j, "':' expected");
            }
            int64_t v = 0;
            if (strcmp(key, "name") == 0) {
                rc = str(j, m->name, sizeof(m->name));
                has_name = true;
            } else if (strcmp(key, "size") == 0) {
                rc = num(j, &v);
                if (rc == 0 && v < 0) {
                    return bad(j, "negative size");
                }
                m->size = (uint64_t)v;
                has_size = true;
            } else if (strcmp(key, "sha256") == 0) {
                rc = str(j, m->sha256, sizeof(m->sha256));
                if (rc == 0 && !is_hex64(m->sha256)) {
                    return bad(j, "sha256 is not 64 hex digits");
                }
                has_hash = true;
            } else {
                rc = skip(j);
            }
            if (rc) {
                return rc;
            }
            if (eat(j, '}')) {
                break;
            }
            if (!eat(j, ',')) {
                return bad(j, "',' expected");
            }
        }
    }
    if (!has_name || !has_size || !has_hash) {
        return bad(j, "a member lacks name, size or sha256");
    }
    return 0;
}

static int members(struct jp *j, struct backup_manifest *m)
{
    if (!eat(j, '[')) {
        return bad(j, "members must be a list");
    }
    if (eat(j, ']')) {
        return 0;
    }
    int cap = 0;
    for (;;) {
        if (m->n_members == MAX_MEMBERS) {
            return bad(j, "too many members");
        }
        if (m->n_members == cap) {
            cap = cap ? cap * 2 : 8;
            m->members = xrealloc(m->members, sizeof(*m->members) * (size_t)cap);
        }
        struct backup_member *bm = &m->members[m->n_members];
        memset(bm, 0, sizeof(*bm));
        int rc = member(j, bm);
        if (rc) {
            return rc;
        }
        for (int i = 0; i < m->n_members; i++) {
            if (strcmp(m->members[i].name, bm->name) == 0) {
                return bad(j, "a member is listed twice");
            }
        }
        m->n_members++;
        if (eat(j, ']')) {
            return 0;
        }
        if (!eat(j, ',')) {
            return bad(j, "',' expected");
        }
    }
}

int backup_manifest_parse(const char *text, size_t len,
                          struct backup_manifest *m, struct ibc_error *err)
{
    memset(m, 0, sizeof(*m));
    struct jp j = {text, text + len, err, 0};
    char format[32] = "";
    bool has_version = false, has_schema = false;
    if (!eat(&j, '{')) {
        return bad(&j, "not a JSON object");
    }
    int rc = 0;
    if (!eat(&j, '}')) {
        for (;;) {
            char key[64];
            if ((rc = str(&j, key, sizeof(key)))) {
                return rc;
            }
            if (!eat(&j, ':')) {
                return bad(&j, "':' expected");
            }
            int64_t v = 0;
            if (strcmp(key, "format") == 0) {
                rc = str(&j, format, sizeof(format));
            } else if (strcmp(key, "format_version") == 0) {
                rc = num(&j, &v);
                m->format_version = v > 0 && v < 1000000 ? (int)v : -1;
                has_version = true;
            } else if (strcmp(key, "ibc_version") == 0) {
                rc = str(&j, m->ibc_version, sizeof(m->ibc_version));
            } else if (strcmp(key, "backend") == 0) {
                rc = str(&j, m->backend, sizeof(m->backend));
            } else if (strcmp(key, "schema_version") == 0) {
                rc = num(&j, &v);
                if (rc == 0 && (v < 0 || v > 1000000)) {
                    return bad(&j, "schema_version out of range");
                }
                m->schema_version = (int)v;
                has_schema = true;
            } else if (strcmp(key, "created_at") == 0) {
                rc = str(&j, m->created_at, sizeof(m->created_at));
            } else if (strcmp(key, "members") == 0) {
                rc = members(&j, m);
            } else {
                rc = skip(&j);
            }
            if (rc) {
                return rc;
            }
            if (eat(&j, '}')) {
                break;
            }
            if (!eat(&j, ',')) {
                return bad(&j, "',' expected");
            }
        }
    }
    ws(&j);
    if (j.p != j.end) {
        return bad(&j, "text after the object");
    }
    if (strcmp(format, "ibc-backup") != 0) {
        return ibc_fail(err, IBC_EPARSE, "not an ibc backup (manifest format "
                                         "\"%s\")", format);
    }
    if (!has_version || m->format_version < 1) {
        return bad(&j, "format_version");
    }
    if (m->format_version > BACKUP_FORMAT_VERSION) {
        return ibc_fail(err, IBC_ECONFLICT,
                        "the backup has format version %d; this ibc reads "
                        "up to %d — restore it with a newer ibc",
                        m->format_version, BACKUP_FORMAT_VERSION);
    }
    if (!has_schema || !m->backend[0]) {
        return bad(&j, "backend or schema_version missing");
    }
    return 0;
}

void backup_manifest_reset(struct backup_manifest *m)
{
    free(m->members);
    m->members = NULL;
    m->n_members = 0;
}
