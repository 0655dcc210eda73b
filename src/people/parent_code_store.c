/* ibc — one-time codes that link a parent to a child: all SQL about table
 * parent_code; see people.h. Only the SHA-256 of the normalised code is
 * stored: a code carries 60 random bits, so a fast hash suffices and a
 * stolen database does not give working codes. */
#include "people/people.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

#include "core/str.h"
#include "core/time.h"
#include "db/db.h"

#define CODE_LEN 12

/* Normalises a typed code into out[CODE_LEN + 1]: drops spaces, tabs and
 * dashes, upper-cases; false unless exactly CODE_LEN characters of the
 * alphabet remain. */
static bool normalise(const char *in, char out[CODE_LEN + 1])
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p; p++) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == '-') {
            continue;
        }
        if (c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        if (n == CODE_LEN || c == '\0' || !strchr(PARENT_CODE_ALPHABET, c)) {
            return false;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return n == CODE_LEN;
}

static void hash_code(const char *norm, char hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)norm, strlen(norm));
    str_hex(hex, h, sizeof(h));
}

int parent_code_issue(struct db *db, struct arena *a, int64_t org_id,
                      int64_t child_id, int valid_days, const char **code,
                      struct ibc_error *err)
{
    *code = NULL;
    if (valid_days <= 0) {
        valid_days = PARENT_CODE_DAYS;
    }
    if (valid_days > 365) {
        return ibc_fail_field(err, IBC_EINVAL, "valid_days",
                              "a code is valid for at most 365 days");
    }
    if (sodium_init() < 0) {
        return ibc_fail(err, IBC_EINTERNAL, "libsodium cannot start");
    }
    struct person child;
    int rc = person_get(db, a, org_id, child_id, &child, err);
    if (rc == IBC_ENOTFOUND) {
        return ibc_fail_field(err, rc, "child_id", "no such child");
    }
    if (rc) {
        return rc;
    }
    if (!(child.roles & ROLE_STUDENT)) {
        return ibc_fail_field(err, IBC_EINVAL, "child_id",
                              "codes are for students' parents");
    }
    char now[32], expires[32];
    time_t t = time(NULL);
    time_iso(now, t);
    time_iso(expires, t + (time_t)valid_days * 86400);
    char norm[CODE_LEN + 1], hex[65];
    /* A collision of 60 random bits is not expected; retry all the same. */
    for (int attempt = 0; attempt < 3; attempt++) {
        for (int i = 0; i < CODE_LEN; i++) {
            norm[i] = PARENT_CODE_ALPHABET[randombytes_uniform(
                (uint32_t)strlen(PARENT_CODE_ALPHABET))];
        }
        norm[CODE_LEN] = '\0';
        hash_code(norm, hex);
        bool exists = false;
        int64_t one = 0;
        rc = db_query_int64(db, &one, err,
                            "SELECT 1 FROM parent_code WHERE code_hash = ?",
                            DB_TXT(hex), DB_END);
        if (rc < 0) {
            return rc;
        }
        exists = rc == DB_ROW;
        if (!exists) {
            break;
        }
        if (attempt == 2) {
            return ibc_fail(err, IBC_EINTERNAL, "cannot make a fresh code");
        }
    }
    rc = db_run(db, err,
                "INSERT INTO parent_code (org_id, child_id, code_hash, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                DB_I64(org_id), DB_I64(child_id), DB_TXT(hex), DB_TXT(now),
                DB_TXT(expires), DB_END);
    sodium_memzero(hex, sizeof(hex));
    if (rc) {
        return rc;
    }
    *code = arena_printf(a, "%.4s-%.4s-%.4s", norm, norm + 4, norm + 8);
    sodium_memzero(norm, sizeof(norm));
    return 0;
}

int parent_code_redeem(struct db *db, int64_t org_id, int64_t parent_id,
                       const char *code, int64_t *child_id,
                       struct ibc_error *err)
{
    char norm[CODE_LEN + 1], hex[65];
    if (!normalise(code, norm)) {
        return ibc_fail_field(err, IBC_ENOTFOUND, "code",
                              "this code is wrong: check it on the slip");
    }
    if (sodium_init() < 0) {
        return ibc_fail(err, IBC_EINTERNAL, "libsodium cannot start");
    }
    hash_code(norm, hex);
    bool own = !db_in_tx(db);
    int rc = own ? db_begin(db, DB_TX_WRITE, err) : 0;
    if (rc) {
        return rc;
    }
    struct db_stmt *st = NULL;
    int64_t code_id = 0, child = 0;
    char expires[32] = "";
    bool used = false;
    rc = db_prepare_args(db, &st, err,
                         "SELECT id, child_id, expires_at, used_at "
                         "FROM parent_code WHERE org_id = ? AND code_hash = ?",
                         DB_I64(org_id), DB_TXT(hex), DB_END);
    if (rc) {
        goto out;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        code_id = db_col_int64(st, 0);
        child = db_col_int64(st, 1);
        str_copy(expires, db_col_text(st, 2), sizeof(expires));
        used = !db_col_is_null(st, 3);
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = ibc_fail_field(err, IBC_ENOTFOUND, "code",
                            "this code is wrong: check it on the slip");
    } else {
        rc = ibc_fail(err, rc, "cannot read the code: %s", db_errmsg(db));
    }
    db_finalize(st);
    if (rc) {
        goto out;
    }
    if (used) {
        rc = ibc_fail_field(err, IBC_ECONFLICT, "code",
                            "this code has been used already: ask the "
                            "school for a new one");
        goto out;
    }
    char now[32];
    time_now_iso(now);
    if (strcmp(now, expires) >= 0) {
        rc = ibc_fail_field(err, IBC_EUNAVAIL, "code",
                            "this code has expired: ask the school for a "
                            "new one");
        goto out;
    }
    if ((rc = parent_link(db, org_id, parent_id, child, err))) {
        goto out;
    }
    rc = db_run(db, err,
                "UPDATE parent_code SET used_at = ?, used_by = ? "
                "WHERE org_id = ? AND id = ? AND used_at IS NULL",
                DB_TXT(now), DB_I64(parent_id), DB_I64(org_id), DB_I64(code_id),
                DB_END);
    if (rc == 0 && db_changes(db) != 1) {
        rc = ibc_fail_field(err, IBC_ECONFLICT, "code",
                            "this code has been used already: ask the "
                            "school for a new one");
    }
    if (rc == 0 && child_id) {
        *child_id = child;
    }
out:
    sodium_memzero(norm, sizeof(norm));
    if (own) {
        if (rc) {
            db_rollback(db);
        } else {
            rc = db_commit(db, err);
        }
    }
    return rc;
}
