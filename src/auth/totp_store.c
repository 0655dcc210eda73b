/* ibc — the second factor's tables: person_totp and totp_pending.
 *
 * person_totp holds one row per person with TOTP on: the secret sealed
 * under a key derived from the server secret (totp_seal() in totp.c), so
 * a copy of the database alone yields no secret, and the last accepted
 * 30-s step, advanced with a compare-and-set UPDATE so that two requests
 * racing with the same code cannot both win. totp_pending holds sign-ins
 * that gave the right password and wait for the code, keyed like sessions
 * by the SHA-256 of a random cookie value. All SQL of both tables is
 * here (STYLE.md rule 12); totp_verify() is here too because it is a
 * read, a check and a conditional write on the same row. */
#include "auth/auth.h"

#include <sodium.h>
#include <string.h>

#include "core/str.h"
#include "core/time.h"
#include "db/db.h"

int totp_enabled(struct db *db, int64_t org_id, int64_t person_id, bool *on,
                 struct ibc_error *err)
{
    int64_t n = 0;
    int rc = db_query_int64(db, &n, err,
                            "SELECT COUNT(*) FROM person_totp "
                            "WHERE org_id = ? AND person_id = ?",
                            DB_I64(org_id), DB_I64(person_id), DB_END);
    *on = rc == DB_ROW && n > 0;
    return rc < 0 ? rc : 0;
}

int totp_get(struct db *db, int64_t org_id, int64_t person_id,
             const unsigned char key[TOTP_KEY_BYTES],
             unsigned char secret[TOTP_SECRET_BYTES], int64_t *last_step,
             struct ibc_error *err)
{
    struct db_stmt *st = NULL;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT secret_enc, last_step FROM person_totp "
                             "WHERE org_id = ? AND person_id = ?",
                             DB_I64(org_id), DB_I64(person_id), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc < 0) {
        ibc_fail(err, rc, "totp: %s", db_errmsg(db));
        goto out;
    }
    if (rc != DB_ROW) {
        rc = ibc_fail(err, IBC_ENOTFOUND, "TOTP is not enabled");
        goto out;
    }
    if (last_step) {
        *last_step = db_col_int64(st, 1);
    }
    rc = 0;
    if (totp_open(key, db_col_text(st, 0), secret, TOTP_SECRET_BYTES)) {
        rc = ibc_fail(err, IBC_EINTERNAL,
                      "the stored TOTP secret does not open (server secret "
                      "changed?)");
    }
out:
    db_finalize(st);
    return rc;
}

int totp_enable(struct db *db, int64_t org_id, int64_t person_id,
                const unsigned char key[TOTP_KEY_BYTES],
                const unsigned char secret[TOTP_SECRET_BYTES],
                int64_t last_step, time_t now, struct ibc_error *err)
{
    struct arena *a = arena_new();
    const char *sealed = totp_seal(a, key, secret, TOTP_SECRET_BYTES);
    char t[32];
    time_iso(t, now);
    int rc = db_begin(db, DB_TX_WRITE, err);
    if (rc) {
        goto out;
    }
    rc = db_run(db, err,
                "DELETE FROM person_totp WHERE org_id = ? AND person_id = ?",
                DB_I64(org_id), DB_I64(person_id), DB_END);
    if (rc == 0) {
        rc = db_run(db, err,
                    "INSERT INTO person_totp (org_id, person_id, secret_enc, "
                    "enabled_at, last_step) SELECT org_id, id, ?, ?, ? "
                    "FROM person WHERE org_id = ? AND id = ?",
                    DB_TXT(sealed), DB_TXT(t), DB_I64(last_step),
                    DB_I64(org_id), DB_I64(person_id), DB_END);
    }
    if (rc == 0 && db_changes(db) != 1) {
        rc = ibc_fail(err, IBC_ENOTFOUND, "no such person");
    }
    if (rc == 0) {
        rc = db_commit(db, err);
    }
    if (rc) {
        db_rollback(db);
    }
out:
    arena_free(a);
    return rc;
}

int totp_disable(struct db *db, int64_t org_id, int64_t person_id,
                 struct ibc_error *err)
{
    int rc = db_run(
        db, err, "DELETE FROM person_totp WHERE org_id = ? AND person_id = ?",
        DB_I64(org_id), DB_I64(person_id), DB_END);
    if (rc == 0 && db_changes(db) == 0) {
        rc = ibc_fail(err, IBC_ENOTFOUND, "TOTP is not enabled");
    }
    return rc;
}

int totp_use_step(struct db *db, int64_t org_id, int64_t person_id,
                  int64_t step, struct ibc_error *err)
{
    int rc = db_run(db, err,
                    "UPDATE person_totp SET last_step = ? WHERE org_id = ? "
                    "AND person_id = ? AND last_step < ?",
                    DB_I64(step), DB_I64(org_id), DB_I64(person_id),
                    DB_I64(step), DB_END);
    if (rc) {
        return rc;
    }
    if (db_changes(db) == 0) {
        bool on = false;
        if ((rc = totp_enabled(db, org_id, person_id, &on, err))) {
            return rc;
        }
        return on ? ibc_fail_field(err, IBC_EAUTH, "code",
                                   "this code has been used already")
                  : ibc_fail(err, IBC_ENOTFOUND, "TOTP is not enabled");
    }
    return 0;
}

int totp_verify(struct db *db, int64_t org_id, int64_t person_id,
                const unsigned char key[TOTP_KEY_BYTES], const char *code,
                time_t now, struct ibc_error *err)
{
    unsigned char secret[TOTP_SECRET_BYTES];
    int64_t last = 0, step = 0;
    int rc = totp_get(db, org_id, person_id, key, secret, &last, err);
    if (rc) {
        return rc;
    }
    rc = totp_code_step(secret, code, now, &step);
    sodium_memzero(secret, sizeof(secret));
    if (rc) {
        return ibc_fail_field(err, IBC_EAUTH, "code", "wrong code");
    }
    if (step <= last) {
        return ibc_fail_field(err, IBC_EAUTH, "code",
                              "this code has been used already");
    }
    return totp_use_step(db, org_id, person_id, step, err);
}

/* ---- pending sign-ins ---- */

/* Exactly AUTH_TOKEN_HEX lowercase hex digits. */
static bool token_ok(const char *s)
{
    if (!s || strlen(s) != AUTH_TOKEN_HEX) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return false;
        }
    }
    return true;
}

int totp_pending_create(struct db *db, int64_t org_id, int64_t person_id,
                        const char *back, time_t now,
                        char token[AUTH_TOKEN_HEX + 1], struct ibc_error *err)
{
    unsigned char rnd[AUTH_TOKEN_BYTES];
    randombytes_buf(rnd, sizeof(rnd));
    str_hex(token, rnd, sizeof(rnd));
    sodium_memzero(rnd, sizeof(rnd));
    char hash[65], t_now[32], t_end[32];
    auth_hash_token(token, hash);
    time_iso(t_now, now);
    time_iso(t_end, now + TOTP_PENDING_LIFETIME);
    /* Abandoned sign-ins of the school go when the next one starts. */
    int rc = db_run(db, err,
                    "DELETE FROM totp_pending WHERE org_id = ? "
                    "AND expires_at <= ?",
                    DB_I64(org_id), DB_TXT(t_now), DB_END);
    if (rc) {
        return rc;
    }
    return db_run(db, err,
                  "INSERT INTO totp_pending (id_hash, org_id, person_id, "
                  "back, expires_at) VALUES (?, ?, ?, ?, ?)",
                  DB_TXT(hash), DB_I64(org_id), DB_I64(person_id),
                  DB_TXT(back ? back : "/"), DB_TXT(t_end), DB_END);
}

int totp_pending_lookup(struct db *db, struct arena *a, int64_t org_id,
                        const char *token, time_t now, int64_t *person_id,
                        const char **back, struct ibc_error *err)
{
    if (!token_ok(token)) {
        return ibc_fail(err, IBC_EAUTH, "no pending sign-in");
    }
    char hash[65];
    auth_hash_token(token, hash);
    struct db_stmt *st;
    int rc = db_query_row(db, &st, err,
                          "SELECT person_id, back, expires_at "
                          "FROM totp_pending WHERE org_id = ? "
                          "AND id_hash = ?",
                          DB_I64(org_id), DB_TXT(hash), DB_END);
    if (rc < 0) {
        return rc;
    }
    if (rc == DB_DONE) {
        return ibc_fail(err, IBC_EAUTH, "no pending sign-in");
    }
    *person_id = db_col_int64(st, 0);
    if (back) {
        *back = arena_strdup(a, db_col_text(st, 1));
    }
    time_t end = 0;
    bool ok = time_parse_iso(db_col_text(st, 2), &end);
    db_finalize(st);
    if (!ok || now >= end) {
        db_run(db, NULL,
               "DELETE FROM totp_pending WHERE org_id = ? AND id_hash = ?",
               DB_I64(org_id), DB_TXT(hash), DB_END);
        return ibc_fail(err, IBC_EAUTH, "the pending sign-in has expired");
    }
    return 0;
}

int totp_pending_delete(struct db *db, int64_t org_id, const char *token,
                        struct ibc_error *err)
{
    if (!token_ok(token)) {
        return 0;
    }
    char hash[65];
    auth_hash_token(token, hash);
    return db_run(db, err,
                  "DELETE FROM totp_pending WHERE org_id = ? AND id_hash = ?",
                  DB_I64(org_id), DB_TXT(hash), DB_END);
}
