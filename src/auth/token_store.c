/* ibc — API tokens: the api_token table.
 *
 * One table for every kind of token a person holds (personal API tokens
 * now; reading-app device tokens later), each with a scope: "read" tokens
 * may only call GET routes, "write" tokens whatever their person may do.
 * The text ("ibc_" + 64 hex digits, 256 random bits) is shown once when it
 * is made; only its SHA-256 is stored, so the table opens nothing. A token
 * is revoked, never deleted, so the list keeps its last use. This file
 * holds the table's SQL (like jobs/ and mail/ for theirs). */
#include "auth/auth.h"

#include <sodium.h>
#include <string.h>

#include "core/str.h"
#include "core/time.h"
#include "db/db.h"

const char *token_scope_name(enum token_scope s)
{
    return s == TOKEN_WRITE ? "write" : "read";
}

int token_scope_parse(const char *s)
{
    if (str_eq(s, "read")) {
        return TOKEN_READ;
    }
    if (str_eq(s, "write")) {
        return TOKEN_WRITE;
    }
    return -1;
}

int token_create(struct db *db, int64_t org_id, int64_t person_id,
                 const char *name, enum token_scope scope, int64_t *id,
                 char token[AUTH_API_LEN + 1], struct ibc_error *err)
{
    if (str_empty(name) || strlen(name) > 100) {
        return ibc_fail_field(err, IBC_EINVAL, "name",
                              "a token needs a name of 1 to 100 characters");
    }
    unsigned char rnd[AUTH_TOKEN_BYTES];
    randombytes_buf(rnd, sizeof(rnd));
    memcpy(token, AUTH_API_PREFIX, 4);
    str_hex(token + 4, rnd, sizeof(rnd));
    sodium_memzero(rnd, sizeof(rnd));
    char hash[65], now[32];
    auth_hash_token(token, hash);
    time_now_iso(now);
    int64_t got = 0;
    int rc = db_query_int64(
        db, &got, err,
        "INSERT INTO api_token (org_id, person_id, token_hash, name, scope, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        DB_I64(org_id), DB_I64(person_id), DB_TXT(hash), DB_TXT(name),
        DB_TXT(token_scope_name(scope)), DB_TXT(now), DB_END);
    if (rc < 0) {
        return rc;
    }
    if (id) {
        *id = got;
    }
    return 0;
}

/* "ibc_" and 64 lowercase hex digits. */
static bool token_shape_ok(const char *t)
{
    if (!t || strlen(t) != AUTH_API_LEN || strncmp(t, AUTH_API_PREFIX, 4)) {
        return false;
    }
    for (const char *p = t + 4; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return false;
        }
    }
    return true;
}

static void row_to_token(struct db_stmt *st, struct arena *a,
                         struct api_token *t)
{
    t->id = db_col_int64(st, 0);
    t->org_id = db_col_int64(st, 1);
    t->person_id = db_col_int64(st, 2);
    t->name = arena_strdup(a, db_col_text(st, 3));
    t->scope = str_eq(db_col_text(st, 4), "write") ? TOKEN_WRITE : TOKEN_READ;
    t->created_at = arena_strdup(a, db_col_text(st, 5));
    t->last_used_at = arena_strdup(a, db_col_text(st, 6));
    t->revoked_at = arena_strdup(a, db_col_text(st, 7));
}

#define TOKEN_COLS                                                            \
    "id, org_id, person_id, name, scope, created_at, last_used_at, "          \
    "revoked_at"

int token_verify(struct db *db, struct arena *a, int64_t org_id,
                 const char *token, time_t now, struct api_token *out,
                 struct ibc_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!token_shape_ok(token)) {
        return ibc_fail(err, IBC_EAUTH, "not a valid token");
    }
    char hash[65];
    auth_hash_token(token, hash);
    struct db_stmt *st = NULL;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT " TOKEN_COLS " FROM api_token "
                             "WHERE org_id = ? AND token_hash = ?",
                             DB_I64(org_id), DB_TXT(hash), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        row_to_token(st, a, out);
    }
    db_finalize(st);
    if (rc < 0) {
        return ibc_fail(err, rc, "token lookup: %s", db_errmsg(db));
    }
    if (rc != DB_ROW || out->revoked_at) {
        return ibc_fail(err, IBC_EAUTH, "not a valid token");
    }
    time_t last = 0;
    if (!out->last_used_at || !time_parse_iso(out->last_used_at, &last) ||
        now - last >= AUTH_SEEN_EVERY) {
        char t[32];
        time_iso(t, now);
        rc = db_run(db, err,
                    "UPDATE api_token SET last_used_at = ? WHERE org_id = ? "
                    "AND id = ?",
                    DB_TXT(t), DB_I64(org_id), DB_I64(out->id), DB_END);
        if (rc) {
            return rc;
        }
        out->last_used_at = arena_strdup(a, t);
    }
    return 0;
}

int token_revoke(struct db *db, int64_t org_id, int64_t person_id,
                 int64_t id, struct ibc_error *err)
{
    char now[32];
    time_now_iso(now);
    int rc = person_id
                 ? db_run(db, err,
                          "UPDATE api_token SET revoked_at = ? WHERE "
                          "org_id = ? AND id = ? AND person_id = ? "
                          "AND revoked_at IS NULL",
                          DB_TXT(now), DB_I64(org_id), DB_I64(id),
                          DB_I64(person_id), DB_END)
                 : db_run(db, err,
                          "UPDATE api_token SET revoked_at = ? WHERE "
                          "org_id = ? AND id = ? AND revoked_at IS NULL",
                          DB_TXT(now), DB_I64(org_id), DB_I64(id), DB_END);
    if (rc) {
        return rc;
    }
    if (db_changes(db) == 0) {
        return ibc_fail(err, IBC_ENOTFOUND, "no live token %lld",
                        (long long)id);
    }
    return 0;
}

int token_list(struct db *db, struct arena *a, int64_t org_id,
               int64_t person_id, struct api_token **out, size_t *n,
               struct ibc_error *err)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st = NULL;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT " TOKEN_COLS " FROM api_token "
                             "WHERE org_id = ? AND person_id = ? "
                             "ORDER BY id DESC",
                             DB_I64(org_id), DB_I64(person_id), DB_END);
    if (rc) {
        return rc;
    }
    size_t cap = 0;
    struct api_token *v = NULL;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct api_token *nv = arena_alloc(a, ncap * sizeof(*nv));
            if (*n) {
                memcpy(nv, v, *n * sizeof(*nv));
            }
            v = nv;
            cap = ncap;
        }
        row_to_token(st, a, &v[(*n)++]);
    }
    db_finalize(st);
    if (rc < 0) {
        return ibc_fail(err, rc, "token list: %s", db_errmsg(db));
    }
    *out = v;
    return 0;
}
