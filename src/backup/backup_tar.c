/* ibc — the backup archive's container: a ustar writer and reader and the
 * optional encryption layer below them (see backup.h for the format).
 *
 * Written by hand (rule 11): we need only regular-file members, names we
 * choose, and a reader that refuses everything else (links, devices,
 * absolute or ".." names, bad checksums); libarchive is not a dependency.
 * Sizes above 8 GiB use the GNU base-256 size field, which GNU tar and
 * bsdtar read. The encryption layer is libsodium's secretstream, which
 * detects changed, reordered, dropped and truncated chunks. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup/backup.h"
#include "core/xalloc.h"

#define CHUNK 65536
#define ENC_MAGIC "IBCENC01"
#define ENC_HDR (8 + 8 + 8 + crypto_pwhash_SALTBYTES)
#define SS crypto_secretstream_xchacha20poly1305_
#define MAX_MEMLIMIT ((size_t)1 << 30) /* refuse archives asking for more */
#define MAX_OPSLIMIT 16ULL

struct bk_out {
    FILE *f;
    bool enc;
    crypto_secretstream_xchacha20poly1305_state st;
    unsigned char *plain; /* CHUNK bytes */
    size_t n;             /* plaintext waiting in plain */
    unsigned char *ct;    /* CHUNK + ABYTES */
    uint64_t written;     /* plaintext bytes so far (tar padding) */
};

struct bk_in {
    FILE *f;
    bool enc;
    bool final_seen;
    crypto_secretstream_xchacha20poly1305_state st;
    unsigned char *plain;
    size_t n, pos; /* decrypted bytes in plain, and read position */
    unsigned char *ct;
};

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static int derive(unsigned char key[32], const char *pass,
                  const unsigned char *salt, unsigned long long ops,
                  size_t mem, struct ibc_error *err)
{
    if (crypto_pwhash(key, 32, pass, strlen(pass), salt, ops, mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return ibc_fail(err, IBC_EINTERNAL,
                        "backup: not enough memory to derive the key");
    }
    return 0;
}

int bk_out_new(struct bk_out **out, FILE *f, const char *passphrase,
               unsigned long long opslimit, size_t memlimit,
               struct ibc_error *err)
{
    struct bk_out *o = xcalloc(1, sizeof(*o));
    o->f = f;
    *out = o;
    if (!passphrase) {
        return 0;
    }
    o->enc = true;
    o->plain = xmalloc(CHUNK);
    o->ct = xmalloc(CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES);
    if (!opslimit) {
        opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
    }
    if (!memlimit) {
        memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
    }
    unsigned char hdr[ENC_HDR];
    memcpy(hdr, ENC_MAGIC, 8);
    put_u64(hdr + 8, opslimit);
    put_u64(hdr + 16, memlimit);
    randombytes_buf(hdr + 24, crypto_pwhash_SALTBYTES);
    unsigned char key[32];
    int rc = derive(key, passphrase, hdr + 24, opslimit, memlimit, err);
    if (rc) {
        return rc;
    }
    unsigned char sh[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(&o->st, sh, key);
    sodium_memzero(key, sizeof(key));
    if (fwrite(hdr, 1, sizeof(hdr), f) != sizeof(hdr) ||
        fwrite(sh, 1, sizeof(sh), f) != sizeof(sh)) {
        return ibc_fail(err, IBC_EIO, "backup: cannot write: %s",
                        strerror(errno));
    }
    return 0;
}

static int push(struct bk_out *o, unsigned char tag, struct ibc_error *err)
{
    unsigned long long clen = 0;
    crypto_secretstream_xchacha20poly1305_push(&o->st, o->ct, &clen, o->plain,
                                               o->n, NULL, 0, tag);
    o->n = 0;
    if (fwrite(o->ct, 1, (size_t)clen, o->f) != clen) {
        return ibc_fail(err, IBC_EIO, "backup: cannot write: %s",
                        strerror(errno));
    }
    return 0;
}

int bk_out_write(struct bk_out *o, const void *p, size_t n,
                 struct ibc_error *err)
{
    o->written += n;
    if (!o->enc) {
        if (n && fwrite(p, 1, n, o->f) != n) {
            return ibc_fail(err, IBC_EIO, "backup: cannot write: %s",
                            strerror(errno));
        }
        return 0;
    }
    const unsigned char *s = p;
    while (n) {
        /* A full chunk is pushed only when more follows, so that the
         * FINAL chunk is never empty unless the whole stream is. */
        if (o->n == CHUNK) {
            int rc = push(o, 0, err);
            if (rc) {
                return rc;
            }
        }
        size_t take = CHUNK - o->n < n ? CHUNK - o->n : n;
        memcpy(o->plain + o->n, s, take);
        o->n += take;
        s += take;
        n -= take;
    }
    return 0;
}

int bk_out_finish(struct bk_out *o, struct ibc_error *err)
{
    if (o->enc) {
        int rc = push(o, crypto_secretstream_xchacha20poly1305_TAG_FINAL, err);
        if (rc) {
            return rc;
        }
    }
    if (fflush(o->f) != 0) {
        return ibc_fail(err, IBC_EIO, "backup: cannot write: %s",
                        strerror(errno));
    }
    return 0;
}

void bk_out_free(struct bk_out *o)
{
    if (!o) {
        return;
    }
    if (o->plain) {
        sodium_memzero(o->plain, CHUNK);
    }
    sodium_memzero(&o->st, sizeof(o->st));
    free(o->plain);
    free(o->ct);
    free(o);
}

int bk_in_new(struct bk_in **in, FILE *f, const char *passphrase,
              bool *encrypted, struct ibc_error *err)
{
    struct bk_in *r = xcalloc(1, sizeof(*r));
    r->f = f;
    *in = r;
    unsigned char hdr[ENC_HDR];
    size_t got = fread(hdr, 1, 8, f);
    if (got == 8 && memcmp(hdr, ENC_MAGIC, 8) == 0) {
        r->enc = true;
    } else {
        /* A plain tar: put the bytes back by rewinding. */
        if (fseek(f, 0, SEEK_SET) != 0) {
            return ibc_fail(err, IBC_EIO, "backup: cannot read the archive");
        }
        if (encrypted) {
            *encrypted = false;
        }
        return 0;
    }
    if (encrypted) {
        *encrypted = true;
    }
    if (!passphrase) {
        return ibc_fail(err, IBC_EAUTH,
                        "the backup is encrypted: give its passphrase "
                        "(IBC_BACKUP_PASSPHRASE or --key-file)");
    }
    unsigned char sh[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    if (fread(hdr + 8, 1, ENC_HDR - 8, f) != ENC_HDR - 8 ||
        fread(sh, 1, sizeof(sh), f) != sizeof(sh)) {
        return ibc_fail(err, IBC_EPARSE,
                        "the backup is cut short (encryption header)");
    }
    uint64_t ops = get_u64(hdr + 8), mem = get_u64(hdr + 16);
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > MAX_OPSLIMIT ||
        mem < crypto_pwhash_MEMLIMIT_MIN || mem > MAX_MEMLIMIT) {
        return ibc_fail(err, IBC_EPARSE,
                        "the backup's encryption header is damaged");
    }
    unsigned char key[32];
    int rc = derive(key, passphrase, hdr + 24, ops, (size_t)mem, err);
    if (rc) {
        return rc;
    }
    rc = crypto_secretstream_xchacha20poly1305_init_pull(&r->st, sh, key);
    sodium_memzero(key, sizeof(key));
    if (rc != 0) {
        return ibc_fail(err, IBC_EAUTH,
                        "the backup's encryption header is damaged");
    }
    r->plain = xmalloc(CHUNK);
    r->ct = xmalloc(CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES);
    return 0;
}

/* Decrypts the next chunk into plain. */
static int pull(struct bk_in *r, struct ibc_error *err)
{
    if (r->final_seen) {
        return ibc_fail(err, IBC_EPARSE, "the backup ends too early");
    }
    size_t want = CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES;
    size_t got = fread(r->ct, 1, want, r->f);
    if (got < crypto_secretstream_xchacha20poly1305_ABYTES) {
        return ibc_fail(err, IBC_EPARSE,
                        "the backup is cut short (truncated file)");
    }
    unsigned long long plen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&r->st, r->plain, &plen,
                                                   &tag, r->ct, got, NULL,
                                                   0) != 0) {
        return ibc_fail(err, IBC_EAUTH,
                        "cannot decrypt the backup: wrong passphrase, or "
                        "the file was changed or cut short");
    }
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        r->final_seen = true;
    } else if (got < want) {
        return ibc_fail(err, IBC_EPARSE,
                        "the backup is cut short (truncated file)");
    }
    r->n = (size_t)plen;
    r->pos = 0;
    return 0;
}

int bk_in_read(struct bk_in *r, void *p, size_t n, struct ibc_error *err)
{
    if (!r->enc) {
        if (n && fread(p, 1, n, r->f) != n) {
            return ibc_fail(err, IBC_EPARSE,
                            "the backup is cut short (truncated file)");
        }
        return 0;
    }
    unsigned char *d = p;
    while (n) {
        if (r->pos == r->n) {
            int rc = pull(r, err);
            if (rc) {
                return rc;
            }
            continue;
        }
        size_t take = r->n - r->pos < n ? r->n - r->pos : n;
        memcpy(d, r->plain + r->pos, take);
        r->pos += take;
        d += take;
        n -= take;
    }
    return 0;
}

int bk_in_finish(struct bk_in *r, struct ibc_error *err)
{
    if (r->enc) {
        /* Whatever plaintext is left after the tar end is zero padding
         * some tar writers add; ours adds none, but allow zeros. */
        while (!r->final_seen || r->pos < r->n) {
            if (r->pos == r->n) {
                int rc = pull(r, err);
                if (rc) {
                    return rc;
                }
                continue;
            }
            if (r->plain[r->pos++] != 0) {
                return ibc_fail(err, IBC_EPARSE,
                                "the backup has data after its end");
            }
        }
    }
    int c;
    while ((c = fgetc(r->f)) != EOF) {
        if (r->enc || c != 0) {
            return ibc_fail(err, IBC_EPARSE,
                            "the backup has data after its end");
        }
    }
    return 0;
}

void bk_in_free(struct bk_in *r)
{
    if (!r) {
        return;
    }
    if (r->plain) {
        sodium_memzero(r->plain, CHUNK);
    }
    sodium_memzero(&r->st, sizeof(r->st));
    free(r->plain);
    free(r->ct);
    free(r);
}

/* ---- ustar ---- */

static void octal(char *field, size_t width, uint64_t v)
{
    /* width-1 digits and a NUL */
    field[width - 1] = '\0';
    for (size_t i = width - 1; i-- > 0;) {
        field[i] = (char)('0' + (v & 7));
        v >>= 3;
    }
}

static bool name_safe(const char *name)
{
    if (!*name || *name == '/' || strlen(name) > 100) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
              c == '/')) {
            return false;
        }
    }
    /* no empty, "." or ".." path segments */
    const char *seg = name;
    for (;;) {
        size_t len = strcspn(seg, "/");
        if (len == 0 || (len == 1 && seg[0] == '.') ||
            (len == 2 && seg[0] == '.' && seg[1] == '.')) {
            return false;
        }
        if (!seg[len]) {
            return true;
        }
        seg += len + 1;
    }
}

static int write_header(struct bk_out *o, const char *name, uint64_t size,
                        struct ibc_error *err)
{
    if (!name_safe(name)) {
        return ibc_fail(err, IBC_EINTERNAL, "backup: bad member name %s",
                        name);
    }
    unsigned char h[512];
    memset(h, 0, sizeof(h));
    memcpy(h, name, strlen(name));
    octal((char *)h + 100, 8, 0600);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    if (size < (1ULL << 33)) {
        octal((char *)h + 124, 12, size);
    } else {
        /* GNU base-256: high bit set, big-endian value. */
        h[124] = 0x80;
        for (int i = 0; i < 8; i++) {
            h[135 - i] = (unsigned char)(size >> (8 * i));
        }
    }
    octal((char *)h + 136, 12, (uint64_t)time(NULL));
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "ibc", 3);
    memcpy(h + 297, "ibc", 3);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) {
        sum += h[i];
    }
    octal((char *)h + 148, 7, sum);
    h[155] = ' ';
    return bk_out_write(o, h, sizeof(h), err);
}

static int pad(struct bk_out *o, uint64_t size, struct ibc_error *err)
{
    static const unsigned char zero[512];
    size_t n = (size_t)((512 - size % 512) % 512);
    return n ? bk_out_write(o, zero, n, err) : 0;
}

int tar_write_file(struct bk_out *o, const char *name, FILE *data,
                   uint64_t size, struct ibc_error *err)
{
    int rc = write_header(o, name, size, err);
    if (rc) {
        return rc;
    }
    unsigned char *b = xmalloc(CHUNK);
    uint64_t left = size;
    while (left && rc == 0) {
        size_t want = left < CHUNK ? (size_t)left : CHUNK;
        if (fread(b, 1, want, data) != want) {
            rc = ibc_fail(err, IBC_EIO, "backup: %s changed while writing",
                          name);
            break;
        }
        rc = bk_out_write(o, b, want, err);
        left -= want;
    }
    free(b);
    return rc ? rc : pad(o, size, err);
}

int tar_write_mem(struct bk_out *o, const char *name, const void *p, size_t n,
                  struct ibc_error *err)
{
    int rc = write_header(o, name, n, err);
    if (rc == 0) {
        rc = bk_out_write(o, p, n, err);
    }
    return rc ? rc : pad(o, n, err);
}

int tar_write_end(struct bk_out *o, struct ibc_error *err)
{
    static const unsigned char zero[1024];
    return bk_out_write(o, zero, sizeof(zero), err);
}

static bool parse_octal(const unsigned char *p, size_t width, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < width && p[i] == ' ') {
        i++;
    }
    size_t digits = 0;
    for (; i < width && p[i] >= '0' && p[i] <= '7'; i++, digits++) {
        if (v >> 60) {
            return false;
        }
        v = (v << 3) | (uint64_t)(p[i] - '0');
    }
    for (; i < width; i++) {
        if (p[i] != ' ' && p[i] != '\0') {
            return false;
        }
    }
    *out = v;
    return digits > 0;
}

int tar_read_header(struct bk_in *in, char name[101], uint64_t *size,
                    struct ibc_error *err)
{
    unsigned char h[512];
    int rc = bk_in_read(in, h, sizeof(h), err);
    if (rc) {
        return rc;
    }
    bool all_zero = true;
    for (int i = 0; i < 512; i++) {
        if (h[i]) {
            all_zero = false;
            break;
        }
    }
    if (all_zero) {
        rc = bk_in_read(in, h, sizeof(h), err);
        if (rc) {
            return rc;
        }
        for (int i = 0; i < 512; i++) {
            if (h[i]) {
                return ibc_fail(err, IBC_EPARSE,
                                "the backup archive is damaged (end marker)");
            }
        }
        return 0;
    }
    uint64_t want = 0;
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) {
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    }
    if (!parse_octal(h + 148, 8, &want) || want != sum) {
        return ibc_fail(err, IBC_EPARSE,
                        "the backup archive is damaged (header checksum)");
    }
    if (memcmp(h + 257, "ustar", 5) != 0) {
        return ibc_fail(err, IBC_EPARSE,
                        "not an ibc backup (no ustar archive)");
    }
    if (h[156] != '0' && h[156] != '\0') {
        return ibc_fail(err, IBC_EPARSE,
                        "the backup holds something other than a file");
    }
    if (h[345] != '\0') {
        return ibc_fail(err, IBC_EPARSE,
                        "the backup holds an unexpected member name");
    }
    memcpy(name, h, 100);
    name[100] = '\0';
    if (!name_safe(name)) {
        return ibc_fail(err, IBC_EPARSE,
                        "the backup holds an unsafe member name");
    }
    if (h[124] == 0x80) {
        uint64_t v = 0;
        for (int i = 128; i < 136; i++) {
            v = (v << 8) | h[i];
        }
        for (int i = 125; i < 128; i++) {
            if (h[i]) {
                return ibc_fail(err, IBC_EPARSE, "member %s is too big", name);
            }
        }
        *size = v;
    } else if (!parse_octal(h + 124, 12, size)) {
        return ibc_fail(err, IBC_EPARSE,
                        "the backup archive is damaged (size of %s)", name);
    }
    return 1;
}

int tar_read_data(struct bk_in *in, uint64_t size, FILE *f, void *mem,
                  char sha256[65], struct ibc_error *err)
{
    crypto_hash_sha256_state hs;
    crypto_hash_sha256_init(&hs);
    unsigned char *b = xmalloc(CHUNK);
    unsigned char *m = mem;
    uint64_t left = size;
    int rc = 0;
    while (left) {
        size_t want = left < CHUNK ? (size_t)left : CHUNK;
        if ((rc = bk_in_read(in, b, want, err))) {
            break;
        }
        crypto_hash_sha256_update(&hs, b, want);
        if (f) {
            if (fwrite(b, 1, want, f) != want) {
                rc = ibc_fail(err, IBC_EIO, "restore: cannot write: %s",
                              strerror(errno));
                break;
            }
        } else {
            memcpy(m, b, want);
            m += want;
        }
        left -= want;
    }
    size_t padn = (size_t)((512 - size % 512) % 512);
    if (rc == 0 && padn) {
        rc = bk_in_read(in, b, padn, err);
    }
    free(b);
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&hs, d);
    for (size_t i = 0; i < sizeof(d); i++) {
        static const char hex[] = "0123456789abcdef";
        sha256[2 * i] = hex[d[i] >> 4];
        sha256[2 * i + 1] = hex[d[i] & 15];
    }
    sha256[64] = '\0';
    return rc;
}
