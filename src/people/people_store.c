/* ibc — people: all SQL about tables person and parent_link (and, until
 * org_store.c has one, the list of schools); see people.h. */
#include "people/people.h"

#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "mail/outbox.h"
#include "org/org.h"
#include "text/collate.h"

/* Opens a write transaction unless the caller has one open. */
static int tx_begin(struct db *db, bool *own, struct ibc_error *err)
{
    *own = !db_in_tx(db);
    return *own ? db_begin(db, DB_TX_WRITE, err) : 0;
}

/* Ends what tx_begin opened: commits on rc == 0, else rolls back. */
static int tx_end(struct db *db, bool own, int rc, struct ibc_error *err)
{
    if (!own) {
        return rc;
    }
    if (rc) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db, err);
}

static const char *const status_names[] = {"active", "left", "anonymised"};

static enum person_status status_parse(const char *s)
{
    for (int i = 0; i < 3; i++) {
        if (str_eq(s, status_names[i])) {
            return (enum person_status)i;
        }
    }
    return PERSON_ACTIVE;
}

#define PERSON_COLS                                                            \
    "SELECT p.id, p.org_id, p.login, p.last_name, p.first_name, "              \
    "p.middle_name, p.birth_date, p.email, p.roles, p.class_id, c.name, "      \
    "p.must_change_password, p.status, p.created_at FROM person p "            \
    "LEFT JOIN school_class c ON c.id = p.class_id AND c.org_id = p.org_id "

static void read_person(struct db_stmt *st, struct arena *a, struct person *p)
{
    p->id = db_col_int64(st, 0);
    p->org_id = db_col_int64(st, 1);
    p->login = arena_strdup(a, db_col_text(st, 2));
    p->last_name = arena_strdup(a, db_col_text(st, 3));
    p->first_name = arena_strdup(a, db_col_text(st, 4));
    p->middle_name = arena_strdup(a, db_col_text(st, 5));
    p->birth_date = arena_strdup(a, db_col_text(st, 6));
    p->email = arena_strdup(a, db_col_text(st, 7));
    p->roles = (unsigned)db_col_int64(st, 8);
    p->class_id = db_col_int64(st, 9);
    p->class_name = arena_strdup(a, db_col_text(st, 10));
    p->must_change_password = db_col_int64(st, 11) != 0;
    p->status = status_parse(db_col_text(st, 12));
    p->created_at = arena_strdup(a, db_col_text(st, 13));
}

/* Steps st once into *out; IBC_ENOTFOUND when there is no row. Finalizes. */
static int read_one(struct db *db, struct db_stmt *st, struct arena *a,
                    struct person *out, struct ibc_error *err)
{
    int rc = db_step(st);
    if (rc == DB_ROW) {
        read_person(st, a, out);
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = ibc_fail(err, IBC_ENOTFOUND, "no such person");
    } else {
        rc = ibc_fail(err, rc, "cannot read a person: %s", db_errmsg(db));
    }
    db_finalize(st);
    return rc;
}

int person_get(struct db *db, struct arena *a, int64_t org_id, int64_t id,
               struct person *out, struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err,
                             PERSON_COLS "WHERE p.org_id = ? AND p.id = ?",
                             DB_I64(org_id), DB_I64(id), DB_END);
    return rc ? rc : read_one(db, st, a, out, err);
}

int person_get_by_login(struct db *db, struct arena *a, int64_t org_id,
                        const char *login, struct person *out,
                        struct ibc_error *err)
{
    char norm[PERSON_LOGIN_MAX + 1];
    if (person_login_normalise(login, norm, NULL)) {
        return ibc_fail(err, IBC_ENOTFOUND, "no such person");
    }
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err,
                             PERSON_COLS "WHERE p.org_id = ? AND p.login = ?",
                             DB_I64(org_id), DB_TXT(norm), DB_END);
    return rc ? rc : read_one(db, st, a, out, err);
}

/* person_list and person_list_children: people of a school filtered by
 * role bits, class and parent (each 0 = any), in one query. */
static int list_people(struct db *db, struct arena *a, int64_t org_id,
                       unsigned role_mask, int64_t class_id,
                       int64_t parent_id, struct person **out, size_t *n,
                       struct ibc_error *err)
{
    *out = NULL;
    *n = 0;
    /* Only these fixed fragments are put together (rule 13). */
    const char *where_role = role_mask ? "AND (p.roles & ?) <> 0 " : "";
    const char *where_class = class_id ? "AND p.class_id = ? " : "";
    const char *where_parent =
        parent_id ? "AND p.id IN (SELECT child_id FROM parent_link "
                    "WHERE org_id = ? AND parent_id = ?) "
                  : "";
    char sql[1024];
    snprintf(sql, sizeof(sql),
             PERSON_COLS "WHERE p.org_id = ? %s%s%s"
                         "ORDER BY CASE WHEN c.id IS NULL THEN 1 ELSE 0 END, "
                         "c.school_year DESC, c.level, c.sort_key, "
                         "p.sort_key, p.id",
             where_role, where_class, where_parent);
    struct db_stmt *st;
    int rc = db_prepare(db, &st, sql, err);
    if (rc) {
        return rc;
    }
    int k = 1;
    db_bind_int64(st, k++, org_id);
    if (role_mask) {
        db_bind_int64(st, k++, role_mask);
    }
    if (class_id) {
        db_bind_int64(st, k++, class_id);
    }
    if (parent_id) {
        db_bind_int64(st, k++, org_id);
        db_bind_int64(st, k++, parent_id);
    }
    size_t cap = 16, cnt = 0;
    struct person *v = arena_alloc(a, cap * sizeof(*v));
    while ((rc = db_step(st)) == DB_ROW) {
        if (cnt == cap) {
            struct person *nv = arena_alloc(a, 2 * cap * sizeof(*nv));
            memcpy(nv, v, cnt * sizeof(*v));
            v = nv;
            cap *= 2;
        }
        read_person(st, a, &v[cnt++]);
    }
    db_finalize(st);
    if (rc < 0) {
        return ibc_fail(err, rc, "cannot list people: %s", db_errmsg(db));
    }
    *out = v;
    *n = cnt;
    return 0;
}

int person_list(struct db *db, struct arena *a, int64_t org_id,
                unsigned role_mask, int64_t class_id, struct person **out,
                size_t *n, struct ibc_error *err)
{
    return list_people(db, a, org_id, role_mask, class_id, 0, out, n, err);
}

int person_list_children(struct db *db, struct arena *a, int64_t org_id,
                         int64_t parent_id, struct person **out, size_t *n,
                         struct ibc_error *err)
{
    return list_people(db, a, org_id, 0, 0, parent_id, out, n, err);
}

/* 0 when class_id is a class of org_id, else IBC_EINVAL (field
 * "class_id") or a database error. */
static int check_class(struct db *db, int64_t org_id, int64_t class_id,
                       struct ibc_error *err)
{
    int64_t found = 0;
    int rc = db_query_int64(db, &found, err,
                            "SELECT id FROM school_class "
                            "WHERE org_id = ? AND id = ?",
                            DB_I64(org_id), DB_I64(class_id), DB_END);
    if (rc < 0) {
        return rc;
    }
    if (rc == DB_DONE) {
        return ibc_fail_field(err, IBC_EINVAL, "class_id",
                              "no such class in this school");
    }
    return 0;
}

static bool roles_valid(unsigned roles)
{
    return roles != 0 && (roles & ~(unsigned)ROLE__ALL) == 0;
}

static int check_roles(unsigned roles, struct ibc_error *err)
{
    if (!roles_valid(roles)) {
        return ibc_fail_field(err, IBC_EINVAL, "roles",
                              roles ? "unknown role"
                                    : "at least one role "
                                      "is needed");
    }
    return 0;
}

int person_create(struct db *db, int64_t org_id, const struct person_input *in,
                  int64_t *id, struct ibc_error *err)
{
    char login[PERSON_LOGIN_MAX + 1];
    int rc = person_login_normalise(in->login, login, err);
    if (rc) {
        return rc;
    }
    if (!person_name_valid(in->last_name)) {
        return ibc_fail_field(err, IBC_EINVAL, "last_name",
                              "a last name of 1–100 letters is needed "
                              "(spaces, hyphens and apostrophes between "
                              "them)");
    }
    if (!person_name_valid(in->first_name)) {
        return ibc_fail_field(err, IBC_EINVAL, "first_name",
                              "a first name of 1–100 letters is needed "
                              "(spaces, hyphens and apostrophes between "
                              "them)");
    }
    const char *middle = str_empty(in->middle_name) ? NULL : in->middle_name;
    if (middle && !person_name_valid(middle)) {
        return ibc_fail_field(err, IBC_EINVAL, "middle_name",
                              "a middle name is 1–100 letters (spaces, "
                              "hyphens and apostrophes between them)");
    }
    const char *birth = str_empty(in->birth_date) ? NULL : in->birth_date;
    if (birth && !person_birth_date_valid(birth)) {
        return ibc_fail_field(err, IBC_EINVAL, "birth_date",
                              "a date of birth like 2014-05-01, not in the "
                              "future, is needed");
    }
    const char *email = str_empty(in->email) ? NULL : in->email;
    if (email && !outbox_addr_valid(email)) {
        return ibc_fail_field(err, IBC_EINVAL, "email",
                              "an e-mail address like name@example.ru is "
                              "needed");
    }
    if ((rc = check_roles(in->roles, err))) {
        return rc;
    }
    if ((in->roles & ROLE_STUDENT) && !in->class_id) {
        return ibc_fail_field(err, IBC_EINVAL, "class_id",
                              "a student needs a class");
    }
    if (!(in->roles & ROLE_STUDENT) && in->class_id) {
        return ibc_fail_field(err, IBC_EINVAL, "class_id",
                              "only students belong to a class");
    }
    char hash[PASSWORD_HASH_MAX] = "";
    if (in->password) {
        if ((rc = password_check_policy(in->password, err))) {
            return rc;
        }
    }
    if (in->class_id && (rc = check_class(db, org_id, in->class_id, err))) {
        return rc;
    }
    if (in->password && (rc = password_hash(in->password, hash, err))) {
        return rc;
    }
    if (!in->password && in->password_hash) {
        if (strncmp(in->password_hash, "$argon2id$", 10) != 0 ||
            strlen(in->password_hash) >= sizeof(hash)) {
            return ibc_fail_field(err, IBC_EINVAL, "password",
                                  "not an argon2id hash");
        }
        memcpy(hash, in->password_hash, strlen(in->password_hash) + 1);
    }
    struct arena *a = arena_new();
    char *full = arena_printf(a, "%s %s%s%s", in->last_name, in->first_name,
                              middle ? " " : "", middle ? middle : "");
    const char *key = collate_key(a, full);
    char now[32];
    time_now_iso(now);
    int64_t new_id = 0;
    rc = db_query_int64(
        db, &new_id, err,
        "INSERT INTO person (org_id, login, last_name, first_name, "
        "middle_name, birth_date, email, roles, class_id, password_hash, "
        "must_change_password, status, sort_key, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?) "
        "RETURNING id",
        DB_I64(org_id), DB_TXT(login), DB_TXT(in->last_name),
        DB_TXT(in->first_name), middle ? DB_TXT(middle) : DB_NUL,
        birth ? DB_TXT(birth) : DB_NUL, email ? DB_TXT(email) : DB_NUL,
        DB_I64(in->roles), in->class_id ? DB_I64(in->class_id) : DB_NUL,
        hash[0] ? DB_TXT(hash) : DB_NUL,
        DB_I64(in->must_change_password ? 1 : 0), DB_TXT(key), DB_TXT(now),
        DB_TXT(now), DB_END);
    arena_free(a);
    if (rc == IBC_ECONFLICT && strstr(db_errmsg(db), "login")) {
        return ibc_fail_field(err, rc, "login",
                              "the login \"%s\" is taken in this school",
                              login);
    }
    if (rc < 0) {
        return rc;
    }
    if (id) {
        *id = new_id;
    }
    return 0;
}

int person_set_password(struct db *db, int64_t org_id, int64_t id,
                        const char *password, bool must_change,
                        struct ibc_error *err)
{
    int rc = password_check_policy(password, err);
    if (rc) {
        return rc;
    }
    char hash[PASSWORD_HASH_MAX];
    if ((rc = password_hash(password, hash, err))) {
        return rc;
    }
    char now[32];
    time_now_iso(now);
    rc = db_run(db, err,
                "UPDATE person SET password_hash = ?, "
                "must_change_password = ?, updated_at = ? "
                "WHERE org_id = ? AND id = ?",
                DB_TXT(hash), DB_I64(must_change ? 1 : 0), DB_TXT(now),
                DB_I64(org_id), DB_I64(id), DB_END);
    if (rc) {
        return rc;
    }
    if (db_changes(db) == 0) {
        return ibc_fail(err, IBC_ENOTFOUND, "no such person");
    }
    return 0;
}

int person_check_password(struct db *db, int64_t org_id, const char *login,
                          const char *password, int64_t *id,
                          struct ibc_error *err)
{
    char norm[PERSON_LOGIN_MAX + 1];
    char hash[PASSWORD_HASH_MAX] = "";
    int64_t pid = 0;
    bool active = false;
    if (person_login_normalise(login, norm, NULL) == 0) {
        struct db_stmt *st;
        int rc = db_prepare_args(db, &st, err,
                                 "SELECT id, password_hash, status "
                                 "FROM person WHERE org_id = ? AND login = ?",
                                 DB_I64(org_id), DB_TXT(norm), DB_END);
        if (rc) {
            return rc;
        }
        rc = db_step(st);
        if (rc == DB_ROW) {
            pid = db_col_int64(st, 0);
            const char *h = db_col_text(st, 1);
            if (h) {
                str_copy(hash, h, sizeof(hash));
            }
            active = str_eq(db_col_text(st, 2), "active");
        }
        db_finalize(st);
        if (rc < 0) {
            return ibc_fail(err, rc, "cannot check the password: %s",
                            db_errmsg(db));
        }
    }
    bool right;
    if (!pid || !active || !hash[0]) {
        password_verify_dummy(password);
        right = false;
    } else {
        right = password_verify(hash, password);
    }
    if (!right) {
        return ibc_fail(err, IBC_EAUTH, "wrong login or password");
    }
    if (password_needs_rehash(hash) && !db_in_tx(db)) {
        char fresh[PASSWORD_HASH_MAX];
        if (password_hash(password, fresh, NULL) == 0) {
            /* A failure here leaves the old hash: the sign-in stands. */
            (void)db_run(db, NULL,
                         "UPDATE person SET password_hash = ? "
                         "WHERE org_id = ? AND id = ? AND password_hash = ?",
                         DB_TXT(fresh), DB_I64(org_id), DB_I64(pid),
                         DB_TXT(hash), DB_END);
        }
    }
    if (id) {
        *id = pid;
    }
    return 0;
}

/* Reads roles and class of a person of org_id; IBC_ENOTFOUND when none. */
static int read_roles(struct db *db, int64_t org_id, int64_t id,
                      unsigned *roles, int64_t *class_id, struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare_args(db, &st, err,
                             "SELECT roles, class_id FROM person "
                             "WHERE org_id = ? AND id = ?",
                             DB_I64(org_id), DB_I64(id), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        *roles = (unsigned)db_col_int64(st, 0);
        if (class_id) {
            *class_id = db_col_int64(st, 1);
        }
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = ibc_fail(err, IBC_ENOTFOUND, "no such person");
    } else {
        rc = ibc_fail(err, rc, "cannot read a person: %s", db_errmsg(db));
    }
    db_finalize(st);
    return rc;
}

int person_set_roles(struct db *db, int64_t org_id, int64_t id, unsigned roles,
                     struct ibc_error *err)
{
    int rc = check_roles(roles, err);
    if (rc) {
        return rc;
    }
    bool own;
    if ((rc = tx_begin(db, &own, err))) {
        return rc;
    }
    unsigned old = 0;
    int64_t class_id = 0;
    rc = read_roles(db, org_id, id, &old, &class_id, err);
    if (rc == 0 && (roles & ROLE_STUDENT) && !class_id) {
        rc = ibc_fail_field(err, IBC_EINVAL, "class_id",
                            "a student needs a class");
    }
    if (rc == 0) {
        char now[32];
        time_now_iso(now);
        rc = db_run(db, err,
                    "UPDATE person SET roles = ?, class_id = ?, "
                    "updated_at = ? WHERE org_id = ? AND id = ?",
                    DB_I64(roles),
                    (roles & ROLE_STUDENT) ? DB_I64(class_id) : DB_NUL,
                    DB_TXT(now), DB_I64(org_id), DB_I64(id), DB_END);
    }
    return tx_end(db, own, rc, err);
}

/* Adds role bits to a person of org_id (in the caller's transaction). */
static int add_roles(struct db *db, int64_t org_id, int64_t id, unsigned bits,
                     struct ibc_error *err)
{
    char now[32];
    time_now_iso(now);
    /* roles | bits written as arithmetic on a value read first, so the
     * SQL needs no dialect's bit operators in an UPDATE. */
    unsigned roles = 0;
    int64_t class_id = 0;
    int rc = read_roles(db, org_id, id, &roles, &class_id, err);
    if (rc || (roles & bits) == bits) {
        return rc;
    }
    if ((bits & ROLE_STUDENT) && !class_id) {
        return ibc_fail_field(err, IBC_EINVAL, "class_id",
                              "a student needs a class");
    }
    return db_run(db, err,
                  "UPDATE person SET roles = ?, updated_at = ? "
                  "WHERE org_id = ? AND id = ?",
                  DB_I64(roles | bits), DB_TXT(now), DB_I64(org_id), DB_I64(id),
                  DB_END);
}

int person_add_roles(struct db *db, int64_t org_id, int64_t id, unsigned bits,
                     struct ibc_error *err)
{
    int rc = check_roles(bits, err);
    if (rc) {
        return rc;
    }
    bool own;
    if ((rc = tx_begin(db, &own, err))) {
        return rc;
    }
    rc = add_roles(db, org_id, id, bits, err);
    return tx_end(db, own, rc, err);
}

/* The parent–child link itself, in the caller's transaction: checks
 * both people, gives the parent ROLE_PARENT, inserts unless present. */
static int link_in_tx(struct db *db, int64_t org_id, int64_t parent_id,
                      int64_t child_id, struct ibc_error *err)
{
    unsigned proles = 0, croles = 0;
    int rc = read_roles(db, org_id, parent_id, &proles, NULL, err);
    if (rc == IBC_ENOTFOUND) {
        return ibc_fail_field(err, rc, "parent_id",
                              "no such parent in this school");
    }
    if (rc) {
        return rc;
    }
    rc = read_roles(db, org_id, child_id, &croles, NULL, err);
    if (rc == IBC_ENOTFOUND || (rc == 0 && !(croles & ROLE_STUDENT))) {
        return ibc_fail_field(err, IBC_EINVAL, "child_id",
                              "the child must be a student of this school");
    }
    if (rc) {
        return rc;
    }
    if (parent_id == child_id) {
        return ibc_fail_field(err, IBC_EINVAL, "child_id",
                              "a person cannot be their own parent");
    }
    if ((rc = add_roles(db, org_id, parent_id, ROLE_PARENT, err))) {
        return rc;
    }
    char now[32];
    time_now_iso(now);
    return db_run(db, err,
                  "INSERT INTO parent_link (org_id, parent_id, child_id, "
                  "created_at) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (parent_id, child_id) DO NOTHING",
                  DB_I64(org_id), DB_I64(parent_id), DB_I64(child_id),
                  DB_TXT(now), DB_END);
}

int parent_link(struct db *db, int64_t org_id, int64_t parent_id,
                int64_t child_id, struct ibc_error *err)
{
    bool own;
    int rc = tx_begin(db, &own, err);
    if (rc) {
        return rc;
    }
    rc = link_in_tx(db, org_id, parent_id, child_id, err);
    return tx_end(db, own, rc, err);
}

bool parent_is_linked(struct db *db, int64_t org_id, int64_t parent_id,
                      int64_t child_id)
{
    int64_t one = 0;
    int rc = db_query_int64(db, &one, NULL,
                            "SELECT 1 FROM parent_link WHERE org_id = ? "
                            "AND parent_id = ? AND child_id = ?",
                            DB_I64(org_id), DB_I64(parent_id), DB_I64(child_id),
                            DB_END);
    return rc == DB_ROW && one == 1;
}

