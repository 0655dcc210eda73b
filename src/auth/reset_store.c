/* ibc — the password_reset table: links for adults who forgot their
 * password.
 *
 * A reset is 256 random bits that travel only in the e-mailed link
 * (/reset/TOKEN); the row keeps their SHA-256 (hex), like sessions, so a
 * copy of the database opens no reset. A reset is good for RESET_LIFETIME
 * and once: reset_use() claims it with a compare-and-set UPDATE (used_at
 * IS NULL and not expired), so two requests racing with one link cannot
 * both set a password, then stores the new password, closes the person's
 * other open resets and deletes their sessions — one transaction. Rows
 * that expired more than RESET_KEEP seconds ago are purged when the next
 * reset of the school is made (until then an old link is told "expired",
 * not "unknown"). All SQL of the table is here (STYLE.md rule 12), and the
 * one look-up of people by e-mail address that the request form needs. */
#include "auth/auth.h"

#include <sodium.h>
#include <string.h>

#include "auth/password.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "people/people.h"

#define RESET_KEEP (24 * 3600) /* seconds an expired row is kept */

/* 64 lower-case hex digits: the only shape a token can have. */
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

int reset_find_email(struct db *db, struct arena *a, int64_t org_id,
                     const char *email, int64_t **ids, size_t *n,
                     struct ibc_error *err)
{
    *ids = NULL;
    *n = 0;
    if (str_empty(email) || strlen(email) > 254) {
        return 0;
    }
    struct db_stmt *st = NULL;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT id FROM person WHERE org_id = ? "
                             "AND email IS NOT NULL "
                             "AND lower(email) = lower(?) "
                             "AND status = 'active' ORDER BY id LIMIT ?",
                             DB_I64(org_id), DB_TXT(email),
                             DB_I64(RESET_MATCH_MAX), DB_END);
    if (rc) {
        return rc;
    }
    int64_t *out = arena_alloc(a, RESET_MATCH_MAX * sizeof(*out));
    size_t k = 0;
    while ((rc = db_step(st)) == DB_ROW && k < RESET_MATCH_MAX) {
        out[k++] = db_col_int64(st, 0);
    }
    if (rc < 0) {
        ibc_fail(err, rc, "password_reset: %s", db_errmsg(db));
        db_finalize(st);
        return rc;
    }
    db_finalize(st);
    *ids = out;
    *n = k;
    return 0;
}

int reset_create(struct db *db, int64_t org_id, int64_t person_id,
                 time_t now, char token[AUTH_TOKEN_HEX + 1],
                 struct ibc_error *err)
{
    unsigned char rnd[AUTH_TOKEN_BYTES];
    randombytes_buf(rnd, sizeof(rnd));
    str_hex(token, rnd, sizeof(rnd));
    sodium_memzero(rnd, sizeof(rnd));
    char hash[65], t_now[32], t_end[32], t_old[32];
    auth_hash_token(token, hash);
    time_iso(t_now, now);
    time_iso(t_end, now + RESET_LIFETIME);
    time_iso(t_old, now - RESET_KEEP);
    int rc = db_run(db, err,
                    "DELETE FROM password_reset WHERE org_id = ? "
                    "AND expires_at < ?",
                    DB_I64(org_id), DB_TXT(t_old), DB_END);
    if (rc) {
        return rc;
    }
    /* Only a person of this school: the row is made from theirs. */
    rc = db_run(db, err,
                "INSERT INTO password_reset (org_id, person_id, token_hash, "
                "created_at, expires_at) SELECT org_id, id, ?, ?, ? "
                "FROM person WHERE org_id = ? AND id = ?",
                DB_TXT(hash), DB_TXT(t_now), DB_TXT(t_end), DB_I64(org_id),
                DB_I64(person_id), DB_END);
    if (rc) {
        return rc;
    }
    if (db_changes(db) != 1) {
        return ibc_fail(err, IBC_ENOTFOUND, "no such person");
    }
    return 0;
}

/* Reads the reset of hash in org: person, expiry and whether used. 0,
 * IBC_ENOTFOUND or IBC_EDB. */
static int reset_read(struct db *db, int64_t org_id, const char *hash,
                      int64_t *person_id, time_t *end, bool *used,
                      struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_query_row(db, &st, err,
                          "SELECT person_id, expires_at, used_at "
                          "FROM password_reset WHERE org_id = ? "
                          "AND token_hash = ?",
                          DB_I64(org_id), DB_TXT(hash), DB_END);
    if (rc < 0) {
        return rc;
    }
    if (rc == DB_DONE) {
        return ibc_fail(err, IBC_ENOTFOUND, "no such reset link");
    }
    *person_id = db_col_int64(st, 0);
    if (!time_parse_iso(db_col_text(st, 1), end)) {
        *end = 0;
    }
    *used = !db_col_is_null(st, 2);
    db_finalize(st);
    return 0;
}

/* The verdict on a read reset at now. */
static int verdict(time_t now, time_t end, bool used, struct ibc_error *err)
{
    if (used) {
        return ibc_fail(err, IBC_ECONFLICT, "the reset link was used");
    }
    if (now >= end) {
        return ibc_fail(err, IBC_EUNAVAIL, "the reset link has expired");
    }
    return 0;
}

int reset_check(struct db *db, int64_t org_id, const char *token, time_t now,
                int64_t *person_id, struct ibc_error *err)
{
    if (!token_ok(token)) {
        return ibc_fail(err, IBC_ENOTFOUND, "no such reset link");
    }
    char hash[65];
    auth_hash_token(token, hash);
    time_t end = 0;
    bool used = false;
    int64_t pid = 0;
    int rc = reset_read(db, org_id, hash, &pid, &end, &used, err);
    if (rc) {
        return rc;
    }
    if ((rc = verdict(now, end, used, err))) {
        return rc;
    }
    if (person_id) {
        *person_id = pid;
    }
    return 0;
}

int reset_use(struct db *db, int64_t org_id, const char *token,
              const char *password, time_t now, int64_t *person_id,
              struct ibc_error *err)
{
    if (!token_ok(token)) {
        return ibc_fail(err, IBC_ENOTFOUND, "no such reset link");
    }
    int rc = password_check_policy(password, err);
    if (rc) {
        return rc;
    }
    char hash[65], t_now[32];
    auth_hash_token(token, hash);
    time_iso(t_now, now);
    if ((rc = db_begin(db, DB_TX_WRITE, err))) {
        return rc;
    }
    int64_t pid = 0;
    time_t end = 0;
    bool used = false;
    if ((rc = reset_read(db, org_id, hash, &pid, &end, &used, err)) ||
        (rc = verdict(now, end, used, err))) {
        goto fail;
    }
    /* Claim the link: only one request can turn used_at from NULL. */
    rc = db_run(db, err,
                "UPDATE password_reset SET used_at = ? WHERE org_id = ? "
                "AND token_hash = ? AND used_at IS NULL AND expires_at > ?",
                DB_TXT(t_now), DB_I64(org_id), DB_TXT(hash), DB_TXT(t_now),
                DB_END);
    if (rc) {
        goto fail;
    }
    if (db_changes(db) != 1) {
        rc = ibc_fail(err, IBC_ECONFLICT, "the reset link was used");
        goto fail;
    }
    /* The person's other links die with this one. */
    rc = db_run(db, err,
                "UPDATE password_reset SET used_at = ? WHERE org_id = ? "
                "AND person_id = ? AND used_at IS NULL",
                DB_TXT(t_now), DB_I64(org_id), DB_I64(pid), DB_END);
    if (rc ||
        (rc = person_set_password(db, org_id, pid, password, false, err)) ||
        (rc = session_delete_person(db, org_id, pid, NULL, err))) {
        goto fail;
    }
    if ((rc = db_commit(db, err))) {
        return rc;
    }
    if (person_id) {
        *person_id = pid;
    }
    return 0;
fail:
    db_rollback(db);
    return rc;
}
