/* ibc — privacy (152-ФЗ): the audit log, retention, typed consents, keyed
 * pseudonyms, the privacy-policy page and the anonymisation of leavers.
 *
 * Tables (sql/migrations/0005_privacy.*.sql): audit_log, consent,
 * pseudonym_key, stat_daily. All SQL about them lives in audit_store.c,
 * consent_store.c and privacy_store.c; every function takes the school
 * (org_id) and never reads or changes another school's rows.
 *
 * Timestamps are ISO-8601 UTC text "YYYY-MM-DDTHH:MM:SSZ" (core/time.h).
 *
 * Who uses this module:
 *  - every handler that shows or exports a person's data, and every staff
 *    action, calls audit_req() (or audit_write() outside HTTP);
 *  - every feature that depends on a consent calls consent_has() before it
 *    records or shows anything (see enum consent_kind for the effects);
 *  - events that need "distinct people" in statistics carry pseudonym_of(),
 *    never the person id; statistics that must outlive the retention period
 *    are rows of stat_daily (privacy_stat_add());
 *  - the daily job "privacy.retention" (privacy_jobs_register()) purges
 *    client addresses and free-text search logs after the school's period. */
#ifndef IBC_PRIVACY_PRIVACY_H
#define IBC_PRIVACY_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

struct db;
struct jobs;
struct req;

/* ================= the audit log (audit_store.c) ================= */

#define AUDIT_DETAILS_MAX 500 /* bytes kept of details (cut at a character) */

/* One row of audit_log. Strings are arena copies (audit_list) or borrowed
 * (audit_write_entry); NULL where the column is NULL. */
struct audit_entry {
    int64_t id;
    int64_t org_id;
    const char *at;          /* when; NULL to audit_write_entry = now */
    int64_t actor_id;        /* the person acting; 0 = the system */
    const char *actor_login; /* kept as text: survives the person's deletion */
    const char *action;      /* "person.view", "person.export", "loan.create":
                                [a-z0-9._-]{1,64} */
    const char *object_type; /* "person", "consent", "org"…; may be NULL */
    int64_t object_id;       /* 0 = none */
    const char *details;     /* short, no secrets; may be NULL */
    const char *client_addr; /* NULL for the system and after retention */
};

/* Records one action. actor_id 0 (NULL in the table) means the system;
 * actor_login NULL is stored as "" (the system). details longer than
 * AUDIT_DETAILS_MAX bytes are cut. Works inside the caller's transaction.
 * Returns 0, IBC_EINVAL (field "action") for a malformed action, IBC_EDB. */
int audit_write(struct db *db, int64_t org_id, int64_t actor_id,
                const char *actor_login, const char *action,
                const char *object_type, int64_t object_id,
                const char *details, const char *client_addr,
                struct ibc_error *err);
/* The same from a filled entry; e->at may give the time (tests, imports). */
int audit_write_entry(struct db *db, const struct audit_entry *e,
                      struct ibc_error *err);

/* audit_write() for a request: the school, the signed-in caller (or the
 * system when nobody is signed in) and the client address come from req.
 * Returns as audit_write(). */
int audit_req(struct req *req, const char *action, const char *object_type,
              int64_t object_id, const char *details);

/* What audit_list() selects; zero-initialise. */
struct audit_filter {
    const char *since;       /* at >= since (ISO); NULL = no bound */
    const char *until;       /* at < until (ISO); NULL = no bound */
    const char *actor_login; /* exact login; NULL/"" = anyone */
    int64_t actor_id;        /* 0 = anyone */
    const char *action;      /* exact action, or a prefix ending in '.'
                                ("person." = every person.*); NULL = any */
    int64_t object_id;       /* with object_type; 0 = any */
    const char *object_type; /* NULL = any */
    int64_t offset;          /* rows to skip (paging) */
    int limit;               /* rows wanted; <= 0 means 50; at most 10000 */
};

/* The school's audit rows matching f, newest first (id descending), into
 * *out (arena a) and *n. *more (may be NULL) tells whether rows follow
 * this page. Returns 0 or IBC_EDB. */
int audit_list(struct db *db, struct arena *a, int64_t org_id,
               const struct audit_filter *f, struct audit_entry **out,
               size_t *n, bool *more, struct ibc_error *err);

/* Appends the whole selection of f (ignoring its offset/limit; at most
 * AUDIT_CSV_MAX rows) as CSV to out: a UTF-8 byte order mark (so Excel
 * reads Cyrillic), a header line of the given column names (8 of them:
 * time, actor, action, object type, object id, details, address, id),
 * CRLF line ends, RFC 4180 quoting, and the formula-injection guard of
 * privacy_csv_cell(). *rows (may be NULL) gets the row count. Returns 0 or
 * IBC_EDB. */
#define AUDIT_CSV_MAX 100000
int audit_export_csv(struct db *db, int64_t org_id,
                     const struct audit_filter *f,
                     const char *const header[8], struct buf *out,
                     size_t *rows, struct ibc_error *err);

/* Appends one CSV cell: quoted when it holds a comma, a quote, CR or LF
 * (quotes doubled, RFC 4180); a cell starting with = + - @ (or TAB / CR)
 * gets a leading apostrophe so a spreadsheet never runs it as a formula.
 * NULL is an empty cell. */
void privacy_csv_cell(struct buf *out, const char *s);

/* ================= typed consents (consent_store.c) ================= */

/* The kinds of consent and the defined effect of each one's withdrawal.
 * A kind is "given" while a row of it has withdrawn_at NULL; consent_has()
 * answers that. Later issues call consent_has() before they record or show
 * anything the consent covers, and add their clean-up to
 * consent_withdraw() (privacy_withdraw_effects in consent_store.c).
 *
 *  CONSENT_LIBRARY_PROCESSING  processing of the child's data by the
 *      library at all. Withdrawn: nothing new is recorded about the person;
 *      the school marks them as left and, once they owe nothing, the only
 *      thing left to do is person_anonymise().
 *  CONSENT_READING_HISTORY     keeping a personal reading history.
 *      Withdrawn: the person's history is deleted at once (table
 *      reading_history when it exists) and no longer recorded (the loans
 *      issue calls consent_has() before recording).
 *  CONSENT_NAME_TO_CLASSMATES  showing the child's name to classmates
 *      (leaderboards, shared lists). Without it the child is shown as
 *      «Ученик 5А» (message privacy.student_of_class) instead of the name.
 *  CONSENT_PUBLISH_WORKS       publishing the child's works with their name
 *      (a separate consent to distribution, 152-ФЗ ст. 10.1). Withdrawn:
 *      the child's works are unpublished (the works issue adds that to the
 *      withdrawal effects) and not published again. */
enum consent_kind {
    CONSENT_LIBRARY_PROCESSING,
    CONSENT_READING_HISTORY,
    CONSENT_NAME_TO_CLASSMATES,
    CONSENT_PUBLISH_WORKS,
    CONSENT__MAX
};

/* "library_processing", … (static); NULL when out of range. */
const char *consent_kind_name(enum consent_kind k);
/* The reverse; false for an unknown name. */
bool consent_kind_parse(const char *name, enum consent_kind *out);

struct consent {
    int64_t id;
    int64_t org_id;
    int64_t person_id;    /* the child */
    enum consent_kind kind;
    const char *given_at;
    int64_t given_by;     /* the parent/guardian, or the staff member who
                             recorded a paper consent */
    int64_t taken_by;     /* the staff member who took it */
    const char *withdrawn_at; /* NULL while in force */
    int64_t withdrawn_by;     /* 0 while in force */
    const char *note;         /* free text, NULL when none (kept short) */
};

#define CONSENT_NOTE_MAX 500 /* characters */

/* Records a consent of kind for person, given by given_by and taken by
 * taken_by (both people of the school; taken_by may equal given_by for a
 * paper consent). Returns 0 and *id (may be NULL); IBC_EINVAL (field
 * "kind", "note"), IBC_ENOTFOUND when a person is not of this school,
 * IBC_ECONFLICT when a consent of that kind is already in force, IBC_EDB. */
int consent_give(struct db *db, int64_t org_id, int64_t person_id,
                 enum consent_kind kind, int64_t given_by, int64_t taken_by,
                 const char *note, int64_t *id, struct ibc_error *err);
/* Withdraws the consent of kind in force for person, by withdrawn_by, and
 * applies the kind's effect (see enum consent_kind) in the same
 * transaction. Returns 0, IBC_ENOTFOUND when none is in force, IBC_EINVAL,
 * IBC_EDB. */
int consent_withdraw(struct db *db, int64_t org_id, int64_t person_id,
                     enum consent_kind kind, int64_t withdrawn_by,
                     struct ibc_error *err);
/* True when a consent of kind is in force for the person of this school
 * (false on a database error: without a known consent, do not). */
bool consent_has(struct db *db, int64_t org_id, int64_t person_id,
                 enum consent_kind kind);
/* All consents of a person, in force and withdrawn, newest first, into
 * *out (arena a). Returns 0 or IBC_EDB. */
int consent_list(struct db *db, struct arena *a, int64_t org_id,
                 int64_t person_id, struct consent **out, size_t *n,
                 struct ibc_error *err);

/* ================= keyed pseudonyms (pseudonym.c) ================= */

/* The pseudonym of a person for statistics of "distinct people": 32 hex
 * digits of HMAC-SHA256(key, decimal person id) where key is the school's
 * secret for that school year (table pseudonym_key, 32 random bytes made
 * on first use). Stable within a school year, different across years and
 * schools, not reversible without the key (deleting a year's key makes its
 * pseudonyms unlinkable for good). school_year is the year the school year
 * starts (2026 for 2026/27). Returns 0, IBC_EINVAL (a year out of
 * 2000..2200), IBC_EDB. */
int pseudonym_of(struct db *db, int64_t org_id, int64_t person_id,
                 int school_year, char out[33], struct ibc_error *err);
/* The school year a moment falls in (starts on 1 September, Moscow time):
 * 2026 for 2026-09-01 … 2027-08-31. */
int privacy_school_year(time_t t);

/* ================= settings, rollups (privacy_store.c) ================= */

#define PRIVACY_RETENTION_DEFAULT 90 /* days */
#define PRIVACY_POLICY_MAX 50000     /* characters */

/* The school's retention period in days (org_setting retention_days;
 * PRIVACY_RETENTION_DEFAULT when unset or not a number in 1..3650). */
int privacy_retention_days(struct db *db, int64_t org_id);
/* Sets it. IBC_EINVAL (field "retention_days") outside 1..3650. */
int privacy_set_retention_days(struct db *db, int64_t org_id, int days,
                               struct ibc_error *err);
/* The school's own privacy-policy text (org_setting privacy_policy), or
 * NULL when it uses the default (arena a). Returns 0 or IBC_EDB. */
int privacy_policy_get(struct db *db, struct arena *a, int64_t org_id,
                       const char **text, struct ibc_error *err);
/* Sets the text; NULL or blank returns to the default. IBC_EINVAL (field
 * "text") when longer than PRIVACY_POLICY_MAX characters or not UTF-8. */
int privacy_policy_set(struct db *db, int64_t org_id, const char *text,
                       struct ibc_error *err);

/* Adds count to the rollup (org, day "YYYY-MM-DD", metric, dim1 = class
 * level or 0, dim2 = subject or ""), creating the row. Returns 0 or
 * IBC_EDB. */
int privacy_stat_add(struct db *db, int64_t org_id, const char *day,
                     const char *metric, int dim1, const char *dim2,
                     int64_t count, struct ibc_error *err);
/* The count of one rollup cell (0 when absent). */
int64_t privacy_stat_get(struct db *db, int64_t org_id, const char *day,
                         const char *metric, int dim1, const char *dim2);

/* Whether a table exists (tables later issues add: loan, search_log,
 * reading_history). Returns 0 and *exists, or IBC_EDB. */
int privacy_table_exists(struct db *db, const char *table, bool *exists,
                         struct ibc_error *err);

/* ---- for the module's own files (retention.c, anonymise.c,
 * pseudonym.c); the SQL behind them is in privacy_store.c ---- */

/* The school's key for school_year as 64 hex digits into out: the stored
 * one, or candidate_hex stored now when there is none (two callers racing
 * both get the one stored first). Returns 0 or IBC_EDB. */
int privacy_key_get_or_create(struct db *db, int64_t org_id, int school_year,
                              const char *candidate_hex, char out[65],
                              struct ibc_error *err);
/* Ids of every school, ascending (arena a). */
int privacy_org_ids(struct db *db, struct arena *a, int64_t **ids, size_t *n,
                    struct ibc_error *err);
/* Clears client_addr of the school's audit rows with at < before; *n gets
 * how many. */
int privacy_blank_addrs(struct db *db, int64_t org_id, const char *before,
                        int64_t *n, struct ibc_error *err);
/* Counts search_log rows with at < before into stat_daily (metric
 * "search") and deletes them; nothing when the table does not exist. */
int privacy_search_purge(struct db *db, int64_t org_id, const char *before,
                         int64_t *rolled, int64_t *deleted,
                         struct ibc_error *err);
/* The person's status text ("active", "left", "anonymised") into *status
 * (static string); IBC_ENOTFOUND when not of this school. */
int privacy_person_status(struct db *db, int64_t org_id, int64_t person_id,
                          const char **status, struct ibc_error *err);
/* The number of loans not returned (0 when table loan does not exist). */
int privacy_open_loans(struct db *db, int64_t org_id, int64_t person_id,
                       int64_t *n, struct ibc_error *err);
/* Replaces the person's personal data with neutral values, deletes the
 * free text of their consents, their parent links and codes and their
 * sessions and API tokens. Inside the caller's transaction. */
int privacy_person_scrub(struct db *db, int64_t org_id, int64_t person_id,
                         struct ibc_error *err);

/* ================= retention (retention.c) ================= */

/* What one retention run did (summed over schools). */
struct retention_stats {
    int64_t orgs;            /* schools looked at */
    int64_t addrs_blanked;   /* audit_log rows whose client_addr was cleared */
    int64_t search_deleted;  /* search_log rows deleted */
    int64_t search_rolled;   /* of them, counted into stat_daily first */
};

/* One retention run at time now, for every school: clears client_addr of
 * audit rows older than the school's period (at < now - days), and deletes
 * the free-text search log (table search_log, when it exists: columns
 * org_id, at, class_level INTEGER NULL, subject TEXT NULL, …) older than
 * the period after counting it into stat_daily as metric "search" by day,
 * class level and subject. One transaction per school. stats may be NULL.
 * Returns 0, IBC_EDB. */
int privacy_retention_run(struct db *db, time_t now,
                          struct retention_stats *stats,
                          struct ibc_error *err);

#define PRIVACY_RETENTION_JOB "privacy.retention"

/* Registers the job kind "privacy.retention" (privacy_retention_run at the
 * current time) and schedules it daily. Call before jobs_start(). Returns
 * 0 or IBC_EINVAL. */
int privacy_jobs_register(struct jobs *jobs);

/* ================= anonymisation (anonymise.c) ================= */

/* True when the person still owes the library anything (today: a row of
 * table loan, when it exists, with returned_at NULL; later issues extend
 * this). *owes_what (may be NULL) gets a short description (arena a may
 * be NULL then). Returns 0, IBC_EDB. */
int privacy_person_owes(struct db *db, struct arena *a, int64_t org_id,
                        int64_t person_id, bool *owes, const char **owes_what,
                        struct ibc_error *err);

/* Anonymises a person who left: in one transaction replaces the names,
 * login ("anon-<id>"), birth date and e-mail with neutral values, sets
 * status 'anonymised', deletes the free text of their consents, their
 * parent links, parent codes and sessions, and writes an audit row. The
 * person id stays, so counts and statistics stay. Refuses with
 * IBC_ECONFLICT and a clear message while the person owes anything
 * (privacy_person_owes) or is still active (mark them as left first);
 * IBC_ENOTFOUND for a person not of this school. Anonymising an
 * anonymised person again does nothing and returns 0. The system is the
 * actor; person_anonymise_by() names one. */
int person_anonymise(struct db *db, int64_t org_id, int64_t person_id,
                     struct ibc_error *err);
int person_anonymise_by(struct db *db, int64_t org_id, int64_t person_id,
                        int64_t actor_id, const char *actor_login,
                        const char *client_addr, struct ibc_error *err);

/* ================= pages (privacy_pages.c) ================= */

int privacy_policy_page(struct req *req);      /* GET /privacy */
int privacy_policy_edit_page(struct req *req); /* GET /privacy/edit */
int privacy_policy_save(struct req *req);      /* POST /privacy/edit */
int audit_page(struct req *req);               /* GET /audit */
int audit_csv_page(struct req *req);           /* GET /audit.csv */
int consent_page(struct req *req);             /* GET /people/{id}/consents */
int consent_post(struct req *req);             /* POST /people/{id}/consents */

#endif
