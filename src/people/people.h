/* ibc — the school's people: accounts, roles, classes, parents' links.
 *
 * A person is one account of one school (org) with one or more roles.
 * Students belong to a class («5А») of a school year; a class has a level
 * (1–11) and a class teacher. A parent is linked to their children. All SQL
 * about these tables lives in people_store.c / class_store.c; every
 * function takes the school (org_id) and never returns another school's
 * row (IBC_ENOTFOUND instead). Personal data is kept minimal (152-ФЗ):
 * names, login, class, date of birth (age marks), e-mail only for adults. */
#ifndef IBC_PEOPLE_PEOPLE_H
#define IBC_PEOPLE_PEOPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

struct db;

/* Roles, as bits: a person may hold several. */
enum role {
    ROLE_STUDENT = 1u << 0,
    ROLE_TEACHER = 1u << 1,
    ROLE_CLASS_TEACHER = 1u << 2, /* of the classes in school_class.teacher_id */
    ROLE_LIBRARIAN = 1u << 3,
    ROLE_HEAD = 1u << 4,          /* head of school */
    ROLE_PARENT = 1u << 5,
    ROLE_ADMIN = 1u << 6,         /* administrator of the school */
    ROLE_COORDINATOR = 1u << 7    /* municipal coordinator: all schools of the
                                     database, aggregates only */
};
#define ROLE__ALL 0xFFu

/* "student", "teacher", "class_teacher", "librarian", "head", "parent",
 * "admin", "coordinator" (static); NULL for an unknown bit. */
const char *role_name(unsigned role_bit);
/* Parses "student" etc.; 0 when unknown. */
unsigned role_parse(const char *name);
/* Parses a comma-separated list ("librarian,teacher"; spaces allowed) into
 * *roles. IBC_EINVAL (field "roles") for an empty list or an unknown
 * name. */
int role_parse_list(const char *list, unsigned *roles, struct ibc_error *err);
/* "librarian,teacher" for the bits of roles, in the enum's order (arena);
 * "" for none. */
char *role_format(struct arena *a, unsigned roles);

enum person_status {
    PERSON_ACTIVE,
    PERSON_LEFT,       /* left the school; kept until debts are settled */
    PERSON_ANONYMISED  /* names removed; counts stay for statistics */
};

struct person {
    int64_t id;
    int64_t org_id;
    const char *login;       /* unique within the school */
    const char *last_name;   /* Фамилия */
    const char *first_name;  /* Имя */
    const char *middle_name; /* Отчество; may be NULL */
    const char *birth_date;  /* YYYY-MM-DD; students; may be NULL */
    const char *email;       /* adults only; may be NULL */
    unsigned roles;          /* enum role bits */
    int64_t class_id;        /* a student's class, 0 when none */
    const char *class_name;  /* «5А», NULL when none */
    bool must_change_password;
    enum person_status status;
    const char *created_at;
};

/* Fields of a new or changed person; NULL/0 = not given. */
struct person_input {
    const char *login;
    const char *last_name;
    const char *first_name;
    const char *middle_name;
    const char *birth_date;
    const char *email;
    unsigned roles;
    int64_t class_id;
    const char *password;     /* plain text; hashed with argon2id */
    const char *password_hash; /* instead of password: an argon2id hash made
                                  by password_hash() (the demo seeds many
                                  people with one password, hashed once) */
    bool must_change_password;
};

/* Creates a person after validating every field (field errors: "login",
 * "last_name", "first_name", "middle_name", "birth_date", "email",
 * "roles", "class_id", "password"); IBC_ECONFLICT (field "login") if the
 * login is taken in this school.
 *   login: [a-z0-9._-]{3,40}, upper-case ASCII is lowered first;
 *   names: 1–100 characters, letters (Cyrillic, Latin) with single
 *     spaces, hyphens or apostrophes between them; middle_name optional
 *     (NULL or "" = none);
 *   birth_date: a real date YYYY-MM-DD from 1900 on, not in the future;
 *   email: optional, outbox_addr_valid();
 *   roles: non-zero, known bits only;
 *   class_id: a class of this school; required for students, refused for
 *     anyone else;
 *   password: optional (NULL: cannot sign in yet), password_check_policy().
 * Runs in the caller's transaction when one is open. */
int person_create(struct db *db, int64_t org_id, const struct person_input *in,
                  int64_t *id, struct ibc_error *err);
/* One person of this school; strings in a. */
int person_get(struct db *db, struct arena *a, int64_t org_id, int64_t id,
               struct person *out, struct ibc_error *err);
int person_get_by_login(struct db *db, struct arena *a, int64_t org_id,
                        const char *login, struct person *out,
                        struct ibc_error *err);
/* People of a school, sorted by class then Russian name order; role_mask 0
 * = everyone; class_id 0 = any class. */
int person_list(struct db *db, struct arena *a, int64_t org_id,
                unsigned role_mask, int64_t class_id, struct person **out,
                size_t *n, struct ibc_error *err);
/* A parent's linked children in this school, in the order of
 * person_list; strings in a. */
int person_list_children(struct db *db, struct arena *a, int64_t org_id,
                         int64_t parent_id, struct person **out, size_t *n,
                         struct ibc_error *err);
/* Sets a new password (argon2id) and the must-change flag. IBC_EINVAL
 * (field "password") against the policy, IBC_ENOTFOUND for a person not of
 * this school. */
int person_set_password(struct db *db, int64_t org_id, int64_t id,
                        const char *password, bool must_change,
                        struct ibc_error *err);
/* Checks a password: 0 and *id when right; IBC_EAUTH when the login is
 * unknown or the password wrong (the same answer, and the same time: a
 * dummy hash is verified for unknown logins). A person who left or was
 * anonymised, or has no password yet, cannot sign in (IBC_EAUTH too).
 * When the password is right but its hash was made with other parameters
 * (password_needs_rehash), a new hash is stored — only when no transaction
 * is open on db (a failure there is ignored: the sign-in stands). Throttling
 * is the caller's job. */
int person_check_password(struct db *db, int64_t org_id, const char *login,
                          const char *password, int64_t *id,
                          struct ibc_error *err);
/* Replaces the roles (validated as in person_create, field "roles").
 * Giving up ROLE_STUDENT takes the person out of their class; taking it
 * without a class is IBC_EINVAL (field "class_id"). IBC_ENOTFOUND for a
 * person not of this school. */
int person_set_roles(struct db *db, int64_t org_id, int64_t id,
                     unsigned roles, struct ibc_error *err);

/* Adds role bits (validated, field "roles") to a person of this school,
 * keeping the others; IBC_ENOTFOUND when there is none. */
int person_add_roles(struct db *db, int64_t org_id, int64_t id,
                     unsigned bits, struct ibc_error *err);

/* Validation helpers (also for forms). person_login_normalise lowers
 * ASCII letters of in into out and checks [a-z0-9._-]{3,40}: 0 or
 * IBC_EINVAL (field "login"). */
#define PERSON_LOGIN_MAX 40
int person_login_normalise(const char *in, char out[PERSON_LOGIN_MAX + 1],
                           struct ibc_error *err);
bool person_name_valid(const char *name);
/* A real date YYYY-MM-DD, from 1900-01-01 and not after today (today as
 * anywhere on Earth: UTC+14, so no school's today is refused). */
bool person_birth_date_valid(const char *date);

/* A one-time password for a child's login slip, easy to read and type:
 * word-digits-word as "kot-4827-sova", the words from a list of 64 short
 * transliterated Russian words (3–4 lower-case letters), the four digits
 * 2–9 (no 0/1 to confuse with o/l); always matches
 * ^[a-z]{3,4}-[2-9]{4}-[a-z]{3,4}$ and fits out with its NUL (24 random
 * bits: it is only good until the first sign-in, which must change it).
 * Returns 0 (IBC_EINTERNAL, out "", if libsodium cannot start). */
int person_generate_password(char out[16]);

/* A class of a school year. */
struct school_class {
    int64_t id;
    int64_t org_id;
    const char *name;        /* «5А» */
    int level;               /* 1..11 */
    int school_year;         /* the year it starts: 2026 for 2026/27 */
    int64_t teacher_id;      /* class teacher (a person), 0 when none */
};

/* Validates (fields "name", "level", "school_year", "teacher_id"): name
 * 1–20 characters of letters, digits, spaces and hyphens that begins with
 * its level («5А» is level 5); level 1–11; school_year 2000–2100;
 * teacher_id 0 or a teacher of this school, who gets ROLE_CLASS_TEACHER.
 * IBC_ECONFLICT (field "name") when the school has the class that year. */
int class_create(struct db *db, int64_t org_id, const char *name, int level,
                 int school_year, int64_t teacher_id, int64_t *id,
                 struct ibc_error *err);
int class_get(struct db *db, struct arena *a, int64_t org_id, int64_t id,
              struct school_class *out, struct ibc_error *err);
/* Classes of a school: newest school year first, then by level and name.
 * Strings in a. */
int class_list(struct db *db, struct arena *a, int64_t org_id,
               struct school_class **out, size_t *n, struct ibc_error *err);
/* The class named name («5А», «5а», «5 А» and «5-а» are equal) in
 * school_year, or in the newest year that has it when school_year is 0.
 * IBC_ENOTFOUND (field "class") when there is none. */
int class_find(struct db *db, struct arena *a, int64_t org_id,
               const char *name, int school_year, struct school_class *out,
               struct ibc_error *err);

/* Parent–child links. The child must be a student of this school
 * (IBC_EINVAL, field "child_id"), the parent a person of this school
 * (IBC_ENOTFOUND, field "parent_id"), who gets ROLE_PARENT. Linking twice
 * is harmless. */
int parent_link(struct db *db, int64_t org_id, int64_t parent_id,
                int64_t child_id, struct ibc_error *err);
/* True when parent_id is linked to child_id in this school. */
bool parent_is_linked(struct db *db, int64_t org_id, int64_t parent_id,
                      int64_t child_id);

/* One-time codes a school gives parents for a child: single use,
 * expiring (default 30 days), stored hashed. *code gets the text to print
 * (arena), e.g. "7KQ4-M2XD-9PLA": 12 characters from the 32 of
 * PARENT_CODE_ALPHABET (no 0/O, 1/I), grouped 4-4-4. valid_days <= 0
 * means 30; at most 365. IBC_ENOTFOUND (field "child_id") when the child
 * is not a person of this school, IBC_EINVAL when not a student. */
#define PARENT_CODE_ALPHABET "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#define PARENT_CODE_DAYS 30
int parent_code_issue(struct db *db, struct arena *a, int64_t org_id,
                      int64_t child_id, int valid_days, const char **code,
                      struct ibc_error *err);
/* Redeems a code: links parent_id to the child and uses the code up.
 * IBC_ENOTFOUND for a wrong code, IBC_ECONFLICT for a used one,
 * IBC_EUNAVAIL for an expired one (each with a clear message; field
 * "code"). The code is read without regard to case, spaces and dashes.
 * IBC_ENOTFOUND (field "parent_id") when the parent is not a person of
 * this school. The parent gets ROLE_PARENT. One transaction (the
 * caller's, when one is open). */
int parent_code_redeem(struct db *db, int64_t org_id, int64_t parent_id,
                       const char *code, int64_t *child_id,
                       struct ibc_error *err);


#endif
