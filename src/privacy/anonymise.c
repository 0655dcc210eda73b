/* ibc — anonymising a person who left and owes nothing.
 *
 * The person's row stays (its id keeps counts and statistics right: loans
 * of a year, readers of a class), but everything that names them goes:
 * names, login (becomes "anon-<id>"), date of birth, e-mail, password, the
 * free text of their consents, their parent links and codes, sessions and
 * API tokens. All in one transaction with its audit row. The debt check
 * (privacy_person_owes) is the one place later issues extend: loans today,
 * fines and lost books later. See privacy.h. */
#include "privacy/privacy.h"

#include <stdio.h>

#include "core/str.h"
#include "db/db.h"

int privacy_person_owes(struct db *db, struct arena *a, int64_t org_id,
                        int64_t person_id, bool *owes, const char **owes_what,
                        struct ibc_error *err)
{
    *owes = false;
    if (owes_what) {
        *owes_what = NULL;
    }
    int64_t loans = 0;
    int rc = privacy_open_loans(db, org_id, person_id, &loans, err);
    if (rc) {
        return rc;
    }
    if (loans > 0) {
        *owes = true;
        if (owes_what && a) {
            *owes_what = arena_printf(a, "%lld book(s) not returned",
                                      (long long)loans);
        }
    }
    return 0;
}

int person_anonymise_by(struct db *db, int64_t org_id, int64_t person_id,
                        int64_t actor_id, const char *actor_login,
                        const char *client_addr, struct ibc_error *err)
{
    struct arena *a = arena_new();
    int rc = db_begin(db, DB_TX_WRITE, err);
    if (rc) {
        goto out;
    }
    const char *status = NULL;
    rc = privacy_person_status(db, org_id, person_id, &status, err);
    if (rc) {
        goto fail;
    }
    if (str_eq(status, "anonymised")) {
        rc = 0; /* nothing left to remove */
        goto fail;
    }
    if (str_eq(status, "active")) {
        rc = ibc_fail(err, IBC_ECONFLICT,
                      "only a person who has left the school can be "
                      "anonymised: mark them as left first");
        goto fail;
    }
    bool owes = false;
    const char *what = NULL;
    rc = privacy_person_owes(db, a, org_id, person_id, &owes, &what, err);
    if (rc) {
        goto fail;
    }
    if (owes) {
        rc = ibc_fail(err, IBC_ECONFLICT,
                      "the person still owes the library (%s): settle "
                      "that first, then anonymise",
                      what);
        goto fail;
    }
    rc = privacy_person_scrub(db, org_id, person_id, err);
    if (!rc) {
        rc = audit_write(db, org_id, actor_id, actor_login,
                         "person.anonymise", "person", person_id, NULL,
                         client_addr, err);
    }
    if (rc) {
        goto fail;
    }
    rc = db_commit(db, err);
    goto out;
fail:
    db_rollback(db);
out:
    arena_free(a);
    return rc;
}

int person_anonymise(struct db *db, int64_t org_id, int64_t person_id,
                     struct ibc_error *err)
{
    return person_anonymise_by(db, org_id, person_id, 0, NULL, NULL, err);
}
