/* ibc — fuzz target: the backup archive reader (src/backup/).
 *
 * Every input goes through each layer that reads a backup someone hands us:
 *
 *  1. backup_manifest_parse on the bytes as given; what it accepts must
 *     keep its promises (NUL-terminated fields, 64 hex digits per hash,
 *     distinct member names, a supported format version).
 *  2. The archive reader on the bytes as a file (plain, or encrypted with
 *     FUZZ_PASS): bk_in_new, tar member iteration (names must be safe),
 *     the manifest member parsed as restore does, bk_in_finish.
 *  3. The decryption layer over a fixed header (cheapest argon2id cost, a
 *     fixed salt) followed by the bytes: a stream of arbitrary ciphertext.
 *  4. A round trip: the bytes encrypted by bk_out (cheap cost, FUZZ_PASS)
 *     must decrypt to themselves read in input-chosen pieces, and a copy
 *     cut short or with one byte changed must be refused, never accepted.
 *  5. backup_restore of the bytes into a SQLite database in a temporary
 *     folder (removed at exit), the whole path `ibc restore` takes.
 *
 * Encrypted inputs whose header asks for more than the cheapest argon2id
 * cost (like those `ibc backup` writes) are read without a passphrase, so
 * the target stays fast; their seeds still exercise the header checks. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/backup.h"
#include "core/log.h"

#define FUZZ_PASS "fuzz-passphrase"
#define ENC_MAGIC "IBCENC01"
#define ENC_HDR (8 + 8 + 8 + crypto_pwhash_SALTBYTES)
#define MAX_MEMBERS_READ 64
#define MANIFEST_MAX (1024 * 1024)
#define ROUND_TRIP_MAX (256 * 1024)
#define CHEAP_MEM 65536

static char fuzz_dir[64];
static char db_url[160];
static char db_path[96];
static char arc_path[96];
static FILE *devnull;
static int fuzz_ready;

static int rm_one(const char *path, const struct stat *st, int type,
                  struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    if (devnull) {
        fclose(devnull);
    }
    if (fuzz_dir[0]) {
        nftw(fuzz_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}

static void setup(void)
{
    snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/ibc-fuzz-backup-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(fuzz_dir) || sodium_init() < 0) {
        perror("fuzz_backup: set-up");
        abort();
    }
    log_set_level(LOG_ERR);
    snprintf(db_path, sizeof(db_path), "%s/ibc.sqlite", fuzz_dir);
    snprintf(db_url, sizeof(db_url), "sqlite:%s", db_path);
    snprintf(arc_path, sizeof(arc_path), "%s/in.ibcbak", fuzz_dir);
    devnull = fopen("/dev/null", "wb");
    if (!devnull) {
        abort();
    }
    atexit(teardown);
    fuzz_ready = 1;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Whether decrypting these bytes would cost more than we allow per run. */
static bool costly(const uint8_t *data, size_t size)
{
    if (size < ENC_HDR || memcmp(data, ENC_MAGIC, 8) != 0) {
        return false;
    }
    return get_u64(data + 8) > crypto_pwhash_OPSLIMIT_MIN ||
           get_u64(data + 16) > CHEAP_MEM;
}

static bool is_hex64(const char *s)
{
    if (strnlen(s, 65) != 64) {
        return false;
    }
    for (; *s; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) {
            return false;
        }
    }
    return true;
}

static void check_manifest(const struct backup_manifest *m)
{
    if (m->format_version < 1 || m->format_version > BACKUP_FORMAT_VERSION ||
        !m->backend[0] ||
        strnlen(m->backend, sizeof(m->backend)) >= sizeof(m->backend) ||
        strnlen(m->ibc_version, sizeof(m->ibc_version)) >=
            sizeof(m->ibc_version) ||
        strnlen(m->created_at, sizeof(m->created_at)) >=
            sizeof(m->created_at) ||
        m->schema_version < 0 || m->n_members < 0 ||
        (m->n_members > 0 && !m->members)) {
        abort();
    }
    for (int i = 0; i < m->n_members; i++) {
        const struct backup_member *bm = &m->members[i];
        if (strnlen(bm->name, sizeof(bm->name)) >= sizeof(bm->name) ||
            !is_hex64(bm->sha256)) {
            abort();
        }
        for (int k = 0; k < i; k++) {
            if (strcmp(m->members[k].name, bm->name) == 0) {
                abort();
            }
        }
    }
}

static void parse_manifest(const char *text, size_t len)
{
    struct backup_manifest m;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = backup_manifest_parse(text, len, &m, &err);
    if (rc == 0) {
        check_manifest(&m);
    } else if ((rc != IBC_EPARSE && rc != IBC_ECONFLICT) || !err.msg[0]) {
        abort();
    }
    backup_manifest_reset(&m);
}

/* A member name as tar_read_header promises it: short, relative, made of
 * [A-Za-z0-9._-/] without empty, "." or ".." segments. */
static void check_name(const char *name)
{
    size_t n = strnlen(name, 101);
    if (n == 0 || n > 100 || name[0] == '/' || strstr(name, "//") ||
        name[n - 1] == '/' || strcmp(name, "..") == 0 ||
        strncmp(name, "../", 3) == 0 || strstr(name, "/../") ||
        (n >= 3 && strcmp(name + n - 3, "/..") == 0) ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789._-/") != n) {
        abort();
    }
}

/* Reads an archive stream to its end as restore does. */
static void read_tar(struct bk_in *in)
{
    struct ibc_error err = IBC_ERROR_INIT;
    char name[101], hash[65];
    for (int i = 0; i < MAX_MEMBERS_READ; i++) {
        uint64_t size = 0;
        int rc = tar_read_header(in, name, &size, &err);
        if (rc < 0) {
            if (rc != IBC_EPARSE && rc != IBC_EAUTH) {
                abort();
            }
            return;
        }
        if (rc == 0) {
            rc = bk_in_finish(in, &err);
            if (rc != 0 && rc != IBC_EPARSE && rc != IBC_EAUTH) {
                abort();
            }
            return;
        }
        check_name(name);
        if (i == 0 && strcmp(name, BACKUP_MEMBER_MANIFEST) == 0 &&
            size <= MANIFEST_MAX) {
            char *text = malloc((size_t)size + 1);
            if (!text) {
                abort();
            }
            rc = tar_read_data(in, size, NULL, text, hash, &err);
            if (rc == 0) {
                parse_manifest(text, (size_t)size);
            }
            free(text);
        } else {
            rc = tar_read_data(in, size, devnull, NULL, hash, &err);
        }
        if (rc) {
            if (rc != IBC_EPARSE && rc != IBC_EAUTH) {
                abort();
            }
            return;
        }
        if (!is_hex64(hash)) {
            abort();
        }
    }
}

/* Layer 2 (and 3 with a header in front): the bytes as an archive file. */
static void read_archive_bytes(const uint8_t *data, size_t size,
                               const char *pass)
{
    if (size == 0) {
        return; /* fmemopen refuses a size of 0 */
    }
    uint8_t *copy = malloc(size);
    if (!copy) {
        abort();
    }
    memcpy(copy, data, size);
    FILE *f = fmemopen(copy, size, "rb");
    if (!f) {
        abort();
    }
    struct bk_in *in = NULL;
    struct ibc_error err = IBC_ERROR_INIT;
    bool enc = false;
    int rc = bk_in_new(&in, f, pass, &enc, &err);
    if (rc == 0) {
        read_tar(in);
    } else if (rc != IBC_EPARSE && rc != IBC_EAUTH && rc != IBC_EIO) {
        abort();
    }
    bk_in_free(in);
    fclose(f);
    free(copy);
}

static void fixed_header_stream(const uint8_t *data, size_t size)
{
    size_t n = ENC_HDR + size;
    uint8_t *b = malloc(n);
    if (!b) {
        abort();
    }
    memcpy(b, ENC_MAGIC, 8);
    memset(b + 8, 0, 16);
    b[8] = (uint8_t)crypto_pwhash_OPSLIMIT_MIN;
    b[16] = (uint8_t)(crypto_pwhash_MEMLIMIT_MIN & 0xff);
    b[17] = (uint8_t)((crypto_pwhash_MEMLIMIT_MIN >> 8) & 0xff);
    b[18] = (uint8_t)((crypto_pwhash_MEMLIMIT_MIN >> 16) & 0xff);
    for (size_t i = 0; i < crypto_pwhash_SALTBYTES; i++) {
        b[24 + i] = (uint8_t)(0x5a ^ i);
    }
    memcpy(b + ENC_HDR, data, size);
    read_archive_bytes(b, n, FUZZ_PASS);
    free(b);
}

/* Layer 4: encrypt, then read back whole, cut and changed. */
static void round_trip(const uint8_t *data, size_t size)
{
    if (size > ROUND_TRIP_MAX) {
        return;
    }
    char *ct = NULL;
    size_t ct_len = 0;
    FILE *w = open_memstream(&ct, &ct_len);
    struct bk_out *o = NULL;
    struct ibc_error err = IBC_ERROR_INIT;
    if (!w ||
        bk_out_new(&o, w, FUZZ_PASS, crypto_pwhash_OPSLIMIT_MIN,
                   crypto_pwhash_MEMLIMIT_MIN, &err) ||
        bk_out_write(o, data, size, &err) || bk_out_finish(o, &err)) {
        abort();
    }
    bk_out_free(o);
    fclose(w);

    /* variant 0: intact; 1: cut short; 2: one byte changed */
    for (int v = 0; v < 3; v++) {
        size_t len = ct_len, at = size ? (data[0] * 131u + size) % ct_len : 0;
        if (v == 1) {
            len = at;
        }
        if (v == 2 && at >= 8 && at < 24) {
            at += 16; /* not the cost fields: a changed cost could ask
                         argon2id for a gibibyte */
        }
        if (len == 0) {
            continue;
        }
        char *copy = malloc(len);
        if (!copy) {
            abort();
        }
        memcpy(copy, ct, len);
        if (v == 2) {
            copy[at] ^= (char)(1 + (size ? data[size - 1] % 255 : 0));
        }
        FILE *f = fmemopen(copy, len, "rb");
        struct bk_in *in = NULL;
        bool enc = false;
        int rc = f ? bk_in_new(&in, f, FUZZ_PASS, &enc, &err) : IBC_EIO;
        uint8_t *back = malloc(size ? size : 1);
        if (!back) {
            abort();
        }
        size_t got = 0;
        /* piece sizes taken from the data itself */
        for (size_t i = 0; rc == 0 && got < size; i++) {
            size_t piece = 1 + (size_t)data[i % size] * 97;
            if (piece > size - got) {
                piece = size - got;
            }
            rc = bk_in_read(in, back + got, piece, &err);
            got += rc == 0 ? piece : 0;
        }
        if (rc == 0) {
            rc = bk_in_finish(in, &err);
        }
        if (v == 0 && (rc != 0 || !enc || memcmp(back, data, size) != 0)) {
            fprintf(stderr, "fuzz_backup: round trip failed: %s\n", err.msg);
            abort();
        }
        /* Cut inside the magic, the rest reads as a plain stream. */
        if (v > 0 && rc == 0 && enc) {
            fprintf(stderr, "fuzz_backup: damaged stream accepted (%s)\n",
                    v == 1 ? "cut" : "changed");
            abort();
        }
        free(back);
        bk_in_free(in);
        if (f) {
            fclose(f);
        }
        free(copy);
    }
    free(ct);
}

/* Layer 5: the whole restore. */
static void restore(const uint8_t *data, size_t size, bool cheap)
{
    FILE *f = fopen(arc_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        abort();
    }
    struct backup_opts opts = {0};
    opts.passphrase = cheap ? FUZZ_PASS : NULL;
    struct backup_info info;
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = backup_restore(db_url, arc_path, &opts, &info, &err);
    if (rc != 0 && !err.msg[0]) {
        abort();
    }
    /* A restore that worked leaves a database: start afresh next time. */
    unlink(db_path);
    unlink(arc_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_ready) {
        setup();
    }
    bool cheap = !costly(data, size);
    parse_manifest((const char *)data, size);
    read_archive_bytes(data, size, cheap ? FUZZ_PASS : NULL);
    fixed_header_stream(data, size);
    round_trip(data, size);
    restore(data, size, cheap);
    return 0;
}
