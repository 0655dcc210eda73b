/* ibc — typed consents: all SQL about table consent.
 *
 * A consent of a kind is in force while its row has withdrawn_at NULL; a
 * unique partial index keeps at most one such row per person and kind.
 * Withdrawing keeps the row (who gave it, who took it, when it was
 * withdrawn and by whom: the school must be able to show it) and applies
 * the kind's effect in the same transaction (privacy_withdraw_effects). The
 * effects are described with enum consent_kind in privacy.h. */
#include "privacy/privacy.h"

#include <string.h>

#include "core/str.h"
#include "core/time.h"
#include "core/utf8.h"
#include "db/db.h"

static const char *const kind_names[CONSENT__MAX] = {
    [CONSENT_LIBRARY_PROCESSING] = "library_processing",
    [CONSENT_READING_HISTORY] = "reading_history",
    [CONSENT_NAME_TO_CLASSMATES] = "name_to_classmates",
    [CONSENT_PUBLISH_WORKS] = "publish_works",
};

const char *consent_kind_name(enum consent_kind k)
{
    return (unsigned)k < CONSENT__MAX ? kind_names[k] : NULL;
}

bool consent_kind_parse(const char *name, enum consent_kind *out)
{
    for (int k = 0; k < CONSENT__MAX; k++) {
        if (str_eq(name, kind_names[k])) {
            *out = (enum consent_kind)k;
            return true;
        }
    }
    return false;
}

/* 0 when person_id is a person of org_id, else IBC_ENOTFOUND naming
 * field. */
static int check_person(struct db *db, int64_t org_id, int64_t person_id,
                        const char *field, struct ibc_error *err)
{
    int64_t one = 0;
    int rc = db_query_int64(db, &one, err,
                            "SELECT 1 FROM person WHERE org_id = ? AND id = ?",
                            DB_I64(org_id), DB_I64(person_id), DB_END);
    if (rc < 0) {
        return rc;
    }
    if (rc != DB_ROW) {
        return ibc_fail_field(err, IBC_ENOTFOUND, field,
                              "no person %lld in this school",
                              (long long)person_id);
    }
    return 0;
}

int consent_give(struct db *db, int64_t org_id, int64_t person_id,
                 enum consent_kind kind, int64_t given_by, int64_t taken_by,
                 const char *note, int64_t *id, struct ibc_error *err)
{
    if (!consent_kind_name(kind)) {
        return ibc_fail_field(err, IBC_EINVAL, "kind", "unknown consent kind");
    }
    if (note && (!utf8_valid(note, strlen(note)) ||
                 utf8_length(note) > CONSENT_NOTE_MAX)) {
        return ibc_fail_field(err, IBC_EINVAL, "note",
                              "the note is at most %d characters",
                              CONSENT_NOTE_MAX);
    }
    int rc = check_person(db, org_id, person_id, "person_id", err);
    if (!rc && given_by > 0) {
        rc = check_person(db, org_id, given_by, "given_by", err);
    }
    if (!rc && taken_by > 0) {
        rc = check_person(db, org_id, taken_by, "taken_by", err);
    }
    if (rc) {
        return rc;
    }
    char now[32];
    time_now_iso(now);
    int64_t new_id = 0;
    rc = db_query_int64(
        db, &new_id, err,
        "INSERT INTO consent (org_id, person_id, kind, given_at, given_by, "
        "taken_by, note) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        DB_I64(org_id), DB_I64(person_id), DB_TXT(kind_names[kind]),
        DB_TXT(now), given_by > 0 ? DB_I64(given_by) : DB_NUL,
        taken_by > 0 ? DB_I64(taken_by) : DB_NUL,
        str_empty(note) ? DB_NUL : DB_TXT(note), DB_END);
    if (rc == IBC_ECONFLICT) {
        return ibc_fail_field(err, rc, "kind",
                              "this consent is already in force");
    }
    if (rc < 0) {
        return rc;
    }
    if (id) {
        *id = new_id;
    }
    return 0;
}

/* The defined effect of withdrawing kind (privacy.h, enum consent_kind).
 * Runs inside the withdrawal's transaction. Later issues add theirs here
 * (the works issue: unpublish the child's works). */
static int privacy_withdraw_effects(struct db *db, int64_t org_id,
                                    int64_t person_id, enum consent_kind kind,
                                    struct ibc_error *err)
{
    if (kind == CONSENT_READING_HISTORY) {
        bool exists = false;
        int rc = privacy_table_exists(db, "reading_history", &exists, err);
        if (rc || !exists) {
            return rc;
        }
        rc = db_run(db, err,
                    "DELETE FROM reading_history WHERE org_id = ? AND "
                    "person_id = ?",
                    DB_I64(org_id), DB_I64(person_id), DB_END);
        return rc < 0 ? rc : 0;
    }
    return 0;
}

int consent_withdraw(struct db *db, int64_t org_id, int64_t person_id,
                     enum consent_kind kind, int64_t withdrawn_by,
                     struct ibc_error *err)
{
    if (!consent_kind_name(kind)) {
        return ibc_fail_field(err, IBC_EINVAL, "kind", "unknown consent kind");
    }
    char now[32];
    time_now_iso(now);
    bool own_tx = !db_in_tx(db);
    int rc = own_tx ? db_begin(db, DB_TX_WRITE, err) : 0;
    if (rc) {
        return rc;
    }
    rc = db_run(db, err,
                "UPDATE consent SET withdrawn_at = ?, withdrawn_by = ? "
                "WHERE org_id = ? AND person_id = ? AND kind = ? "
                "AND withdrawn_at IS NULL",
                DB_TXT(now), withdrawn_by > 0 ? DB_I64(withdrawn_by) : DB_NUL,
                DB_I64(org_id), DB_I64(person_id), DB_TXT(kind_names[kind]),
                DB_END);
    if (rc < 0) {
        goto fail;
    }
    if (db_changes(db) == 0) {
        rc = ibc_fail_field(err, IBC_ENOTFOUND, "kind",
                            "this consent is not in force");
        goto fail;
    }
    rc = privacy_withdraw_effects(db, org_id, person_id, kind, err);
    if (rc) {
        goto fail;
    }
    return own_tx ? db_commit(db, err) : 0;
fail:
    if (own_tx) {
        db_rollback(db);
    }
    return rc;
}

bool consent_has(struct db *db, int64_t org_id, int64_t person_id,
                 enum consent_kind kind)
{
    if (!consent_kind_name(kind)) {
        return false;
    }
    int64_t one = 0;
    int rc = db_query_int64(db, &one, NULL,
                            "SELECT 1 FROM consent WHERE org_id = ? AND "
                            "person_id = ? AND kind = ? AND withdrawn_at IS "
                            "NULL",
                            DB_I64(org_id), DB_I64(person_id),
                            DB_TXT(kind_names[kind]), DB_END);
    return rc == DB_ROW;
}

int consent_list(struct db *db, struct arena *a, int64_t org_id,
                 int64_t person_id, struct consent **out, size_t *n,
                 struct ibc_error *err)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st;
    int rc = db_prepare_args(
        db, &st, err,
        "SELECT id, org_id, person_id, kind, given_at, given_by, taken_by, "
        "withdrawn_at, withdrawn_by, note FROM consent "
        "WHERE org_id = ? AND person_id = ? ORDER BY given_at DESC, id DESC",
        DB_I64(org_id), DB_I64(person_id), DB_END);
    if (rc) {
        return rc;
    }
    size_t cap = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            struct consent *grown = arena_alloc(a, cap * sizeof(*grown));
            if (*n) {
                memcpy(grown, *out, *n * sizeof(*grown));
            }
            *out = grown;
        }
        struct consent *c = &(*out)[(*n)++];
        c->id = db_col_int64(st, 0);
        c->org_id = db_col_int64(st, 1);
        c->person_id = db_col_int64(st, 2);
        enum consent_kind k = CONSENT_LIBRARY_PROCESSING;
        consent_kind_parse(db_col_text(st, 3), &k);
        c->kind = k;
        c->given_at = arena_strdup(a, db_col_text(st, 4));
        c->given_by = db_col_int64(st, 5);
        c->taken_by = db_col_int64(st, 6);
        c->withdrawn_at = arena_strdup(a, db_col_text(st, 7));
        c->withdrawn_by = db_col_int64(st, 8);
        c->note = arena_strdup(a, db_col_text(st, 9));
    }
    if (rc < 0) {
        ibc_fail(err, rc, "consent_list: %s", db_errmsg(db));
    }
    db_finalize(st);
    return rc < 0 ? rc : 0;
}
