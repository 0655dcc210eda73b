/* ibc — who is asking: sessions, API tokens, throttling, permissions.
 *
 * A browser signs in with a login and a password (auth_pages.c) and gets a
 * session: 256 random bits in a cookie, only their SHA-256 in the session
 * table, so a copy of the database opens no session. A script sends an API
 * token (`ibc user token LOGIN`) as `Authorization: Bearer …`; tokens are
 * stored hashed too, carry a scope (read: GET only; write: everything the
 * person may do) and can be revoked. The dispatcher resolves the caller
 * once per request (auth_resolve) into req->user, then asks perm_allows()
 * for the route's permission and auth_route_scope() for its scope; both
 * live in perm.c and are the only places that decide access.
 *
 * Failed sign-ins and anonymous form posts are counted in memory
 * (throttle.c) per client address and per account-and-address, and answered
 * with 429 and Retry-After — never by sleeping in a worker, never by locking
 * an account (a classmate must not be able to lock a child out).
 *
 * session.c and token.c hold the SQL of their own tables (session,
 * api_token), as jobs/ and mail/ do for theirs. */
#ifndef IBC_AUTH_AUTH_H
#define IBC_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/http.h"

struct db;
struct person;

/* ---- the caller ---- */

enum auth_via {
    AUTH_VIA_SESSION, /* the session cookie of a browser */
    AUTH_VIA_TOKEN    /* Authorization: Bearer */
};

enum token_scope {
    TOKEN_READ,  /* GET and HEAD only */
    TOKEN_WRITE  /* whatever the person may do */
};

/* The signed-in caller (req->user); arena of the request. */
struct auth_user {
    int64_t person_id;
    int64_t org_id;
    const char *login;
    const char *name;         /* "Фамилия Имя" for the header */
    unsigned roles;           /* enum role bits (people/people.h) */
    int64_t class_id;         /* a student's class, 0 when none */
    const char *class_name;
    bool must_change_password;
    enum auth_via via;
    enum token_scope scope;   /* tokens only; sessions are TOKEN_WRITE */
    int64_t token_id;         /* tokens only */
    const char *session_hash; /* sessions only: hex SHA-256 of the cookie */
};

/* ---- sessions (session.c) ---- */

#define AUTH_TOKEN_BYTES 32            /* 256 random bits */
#define AUTH_TOKEN_HEX (2 * AUTH_TOKEN_BYTES)
#define AUTH_SESSION_LIFETIME (12 * 3600) /* absolute, seconds */
#define AUTH_IDLE_DEFAULT_MIN 30       /* org_setting session_idle_minutes */
#define AUTH_SEEN_EVERY 60             /* last_seen_at written at most … */
/* The cookie: with the __Host- prefix under TLS (the browser then insists
 * on Secure, Path=/ and no Domain, so a sibling subdomain cannot plant
 * one). Browsers refuse __Host- cookies without Secure, so on plain HTTP —
 * loopback, a school LAN without TLS — the bare name is used. */
#define AUTH_COOKIE_TLS "__Host-ibc_session"
#define AUTH_COOKIE_PLAIN "ibc_session"

struct session {
    char id_hash[65];         /* hex SHA-256 of the cookie value */
    int64_t org_id;
    int64_t person_id;
    time_t created_at;
    time_t last_seen_at;
    time_t expires_at;
    int idle_minutes;         /* the school's idle timeout in force */
};

/* The cookie name for this request (TLS or not); static string. */
const char *session_cookie_name(const struct req *req);
/* hex SHA-256 of a token into out[65]. */
void auth_hash_token(const char *token, char out[65]);
/* Creates a session for a person at time now: a fresh random token
 * (AUTH_TOKEN_HEX hex digits into token[AUTH_TOKEN_HEX + 1]) whose hash is
 * stored. addr and agent may be NULL. Returns 0 or IBC_EDB. */
int session_create(struct db *db, int64_t org_id, int64_t person_id,
                   const char *addr, const char *agent, time_t now,
                   char token[AUTH_TOKEN_HEX + 1], struct ibc_error *err);
/* Finds the live session of a cookie value in this school at time now;
 * IBC_EAUTH when unknown, of another school, past its absolute lifetime or
 * idle longer than the school allows (such a row is deleted). Updates
 * last_seen_at when it is more than AUTH_SEEN_EVERY seconds old. */
int session_lookup(struct db *db, int64_t org_id, const char *token,
                   time_t now, struct session *out, struct ibc_error *err);
/* Deletes the session of a cookie value (sign-out); 0 also when absent. */
int session_delete(struct db *db, int64_t org_id, const char *token,
                   struct ibc_error *err);
/* Deletes every session of a person except keep_hash (may be NULL). */
int session_delete_person(struct db *db, int64_t org_id, int64_t person_id,
                          const char *keep_hash, struct ibc_error *err);
/* The school's idle timeout in minutes (AUTH_IDLE_DEFAULT_MIN unless
 * org_setting session_idle_minutes says 1..1440). */
int session_idle_minutes(struct db *db, int64_t org_id);

/* ---- API tokens (token.c) ---- */

#define AUTH_API_PREFIX "ibc_"  /* tokens read "ibc_" + 64 hex digits */
#define AUTH_API_LEN (4 + AUTH_TOKEN_HEX)

struct api_token {
    int64_t id;
    int64_t org_id;
    int64_t person_id;
    const char *name;
    enum token_scope scope;
    const char *created_at;
    const char *last_used_at; /* NULL when never used */
    const char *revoked_at;   /* NULL when live */
};

/* "read" / "write" (static); token_scope_parse returns -1 when unknown. */
const char *token_scope_name(enum token_scope s);
int token_scope_parse(const char *s);
/* Creates a token for a person; the text (shown once) goes to
 * token[AUTH_API_LEN + 1], only its hash is stored. */
int token_create(struct db *db, int64_t org_id, int64_t person_id,
                 const char *name, enum token_scope scope, int64_t *id,
                 char token[AUTH_API_LEN + 1], struct ibc_error *err);
/* Checks a token of this school at time now: IBC_EAUTH when unknown or
 * revoked. Updates last_used_at (at most once a minute). Strings in a. */
int token_verify(struct db *db, struct arena *a, int64_t org_id,
                 const char *token, time_t now, struct api_token *out,
                 struct ibc_error *err);
/* Revokes a person's token (person_id 0: any person of the school);
 * IBC_ENOTFOUND when there is no such live token. */
int token_revoke(struct db *db, int64_t org_id, int64_t person_id,
                 int64_t id, struct ibc_error *err);
/* A person's tokens, newest first; arena a. */
int token_list(struct db *db, struct arena *a, int64_t org_id,
               int64_t person_id, struct api_token **out, size_t *n,
               struct ibc_error *err);

/* ---- throttling (throttle.c) ---- */

/* Failed sign-ins: per account-and-address (the owner elsewhere is never
 * locked out) and, higher, per address (a whole school shares one NAT
 * address). Anonymous POSTs and /api: per address. */
#define AUTH_FAIL_WINDOW 900   /* seconds */
#define AUTH_FAIL_PER_ACCOUNT 5
#define AUTH_FAIL_PER_ADDR 50
#define AUTH_RATE_WINDOW 60
#define AUTH_RATE_PER_ADDR 300
#define AUTH_THROTTLE_SLOTS 8192

struct throttle;

/* A table of at most slots counters (rounded up to a power of two); keys
 * are hashed with a random key, so nobody can aim collisions. When full,
 * the stalest counter is forgotten. Caller frees with throttle_free(). */
struct throttle *throttle_new(size_t slots);
void throttle_free(struct throttle *t); /* accepts NULL */
/* 0 when key has fewer than limit events in its current window, else the
 * seconds until the window ends (for Retry-After, at least 1). */
int throttle_check(struct throttle *t, const char *key, int limit,
                   int window, time_t now);
/* Counts one event for key. */
void throttle_add(struct throttle *t, const char *key, int window, time_t now);
/* check and, when allowed, add: one locked step. */
int throttle_hit(struct throttle *t, const char *key, int limit, int window,
                 time_t now);
/* Forgets key (a successful sign-in clears its account counter). */
void throttle_clear(struct throttle *t, const char *key);
/* Counters in use (for tests of the bound). */
size_t throttle_used(struct throttle *t);

/* ---- the caller of a request (session.c) ---- */

/* Fills req->user from `Authorization: Bearer` or the session cookie.
 * A Bearer token that is unknown or revoked is IBC_EAUTH (401: a script
 * should hear it); a stale cookie is dropped (the caller is anonymous and
 * the cookie is deleted). Needs req->db. */
int auth_resolve(struct req *req);
/* Signs req's browser in as person p (a new session; the old one, if any,
 * is deleted: no fixation) and sets the cookie. */
int auth_sign_in(struct req *req, const struct person *p);
/* Deletes req's session and its cookie. */
int auth_sign_out(struct req *req);

/* ---- permissions and scopes (perm.c) ---- */

/* Whether roles satisfy perm (no caller: roles 0, signed_in false). */
bool perm_roles_allow(unsigned roles, bool signed_in, enum perm perm);
/* The name of a permission ("public", "signed-in", …) and of a scope
 * mask ("own|child|class|school"); static / arena. */
const char *perm_name(enum perm p);
const char *scope_names(struct arena *a, unsigned scope);
/* The one scope decision for a person as the subject of a route: 0 when
 * the caller u may see person_id through one of the scope bits,
 * IBC_ENOTFOUND when the person is not of the caller's school (or does
 * not exist: existence is not revealed), IBC_EPERM otherwise. */
int auth_scope_person(struct db *db, const struct auth_user *u,
                      unsigned scope, int64_t person_id,
                      struct ibc_error *err);
/* Checks the matched route's scope for req (subject from the {id} path
 * argument): 0, IBC_ENOTFOUND or IBC_EPERM. Routes without a subject: 0. */
int auth_route_scope(struct req *req);

/* ---- pages (auth_pages.c) ---- */

int auth_signin_page(struct req *req);   /* GET /signin */
int auth_signin_post(struct req *req);   /* POST /signin */
int auth_signout_post(struct req *req);  /* POST /signout */
int auth_password_page(struct req *req); /* GET /password */
int auth_password_post(struct req *req); /* POST /password */
int auth_me_api(struct req *req);        /* GET /api/v1/me */
int auth_person_page(struct req *req);   /* GET /people/{id} */
/* A local path to return to: starts with one '/', no scheme or host;
 * "/" otherwise. */
const char *auth_safe_back(const char *back);

/* ---- the second factor: TOTP (totp.c, totp_store.c) ----
 *
 * Staff may turn on a TOTP second factor (RFC 6238: HMAC-SHA1, 30-s
 * steps, 6 digits, liboath) at /account/2fa. The 20-byte secret is stored
 * only sealed (crypto_secretbox_easy) under a key derived from the server
 * secret; a code is accepted once (person_totp.last_step). A person with
 * TOTP who gives the right password gets no session but a pending sign-in
 * (its own cookie and table row, 5 minutes) that can only send the code
 * to /signin/code. */

#define TOTP_SECRET_BYTES 20  /* 160 bits, as RFC 4226 recommends */
#define TOTP_KEY_BYTES 32     /* crypto_secretbox_KEYBYTES */
#define TOTP_STEP 30          /* seconds */
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1         /* steps either side of now */
#define TOTP_PENDING_LIFETIME 300 /* seconds for the code after the password */
#define TOTP_SETUP_LIFETIME 1800  /* seconds to confirm a new secret */
#define TOTP_COOKIE_TLS "__Host-ibc_2fa"
#define TOTP_COOKIE_PLAIN "ibc_2fa"

/* Which key totp_derive_key() derives. */
enum totp_key_use {
    TOTP_KEY_STORE = 1, /* seals secrets in person_totp */
    TOTP_KEY_SETUP = 2  /* seals a secret waiting for confirmation in a form */
};

/* The key for a use, derived from the server secret (crypto_kdf). */
void totp_derive_key(const unsigned char server_secret[32],
                     enum totp_key_use use,
                     unsigned char key[TOTP_KEY_BYTES]);
/* A fresh random secret. */
void totp_new_secret(unsigned char secret[TOTP_SECRET_BYTES]);
/* Seals n bytes under key: hex of nonce, MAC and ciphertext (arena). */
const char *totp_seal(struct arena *a, const unsigned char key[TOTP_KEY_BYTES],
                      const unsigned char *plain, size_t n);
/* Opens what totp_seal() made into out (exactly n bytes); IBC_EINVAL when
 * the text is malformed, of another length or fails authentication. */
int totp_open(const unsigned char key[TOTP_KEY_BYTES], const char *sealed,
              unsigned char *out, size_t n);
/* Checks a code (6 digits; blanks ignored) against secret at time now
 * within ±TOTP_WINDOW steps; the step it belongs to goes to *step.
 * IBC_EAUTH when it matches no step. */
int totp_code_step(const unsigned char secret[TOTP_SECRET_BYTES],
                   const char *code, time_t now, int64_t *step);
/* The current code for secret at now into out[TOTP_DIGITS + 1] (tests). */
int totp_code_at(const unsigned char secret[TOTP_SECRET_BYTES], time_t now,
                 char out[TOTP_DIGITS + 1]);
/* The secret in base32 (RFC 4648, 32 letters), plain or in groups of four
 * separated by blanks; arena. */
const char *totp_base32(struct arena *a,
                        const unsigned char secret[TOTP_SECRET_BYTES],
                        bool groups);
/* otpauth://totp/ibc:LOGIN?secret=…&issuer=ibc (login percent-encoded);
 * arena. */
const char *totp_uri(struct arena *a, const char *login,
                     const unsigned char secret[TOTP_SECRET_BYTES]);
/* text as a QR code (libqrencode, level M) in inline SVG markup: one rect
 * per run of dark modules, a 4-module quiet zone, role="img" labelled by
 * the element with id label_id (the page's text alternative). NULL when
 * the text does not fit a QR code. Arena. */
const char *totp_qr_svg(struct arena *a, const char *text,
                        const char *label_id);

/* Store (totp_store.c): person_totp and totp_pending. */
/* Whether person has TOTP enabled. */
int totp_enabled(struct db *db, int64_t org_id, int64_t person_id, bool *on,
                 struct ibc_error *err);
/* The person's secret (opened with the TOTP_KEY_STORE key) and last
 * accepted step; IBC_ENOTFOUND when TOTP is off, IBC_EINTERNAL when the
 * stored secret does not open (another server secret). */
int totp_get(struct db *db, int64_t org_id, int64_t person_id,
             const unsigned char key[TOTP_KEY_BYTES],
             unsigned char secret[TOTP_SECRET_BYTES], int64_t *last_step,
             struct ibc_error *err);
/* Turns TOTP on (or replaces the secret) with secret sealed under key;
 * last_step is the step of the code that confirmed it. */
int totp_enable(struct db *db, int64_t org_id, int64_t person_id,
                const unsigned char key[TOTP_KEY_BYTES],
                const unsigned char secret[TOTP_SECRET_BYTES],
                int64_t last_step, time_t now, struct ibc_error *err);
/* Turns TOTP off; IBC_ENOTFOUND when it was off. */
int totp_disable(struct db *db, int64_t org_id, int64_t person_id,
                 struct ibc_error *err);
/* Records step as used, atomically only if it is later than the last
 * used one; IBC_EAUTH (a replay) otherwise, IBC_ENOTFOUND when off. */
int totp_use_step(struct db *db, int64_t org_id, int64_t person_id,
                  int64_t step, struct ibc_error *err);
/* Checks a person's code at now and uses its step: 0, IBC_EAUTH when
 * wrong or already used (err->field "code"), IBC_ENOTFOUND when off. */
int totp_verify(struct db *db, int64_t org_id, int64_t person_id,
                const unsigned char key[TOTP_KEY_BYTES], const char *code,
                time_t now, struct ibc_error *err);
/* A pending sign-in of person for TOTP_PENDING_LIFETIME from now: the
 * token (hex) for the cookie goes to token, only its hash is stored;
 * back is where to go afterwards. Expired pending rows are purged. */
int totp_pending_create(struct db *db, int64_t org_id, int64_t person_id,
                        const char *back, time_t now,
                        char token[AUTH_TOKEN_HEX + 1],
                        struct ibc_error *err);
/* The pending sign-in of a cookie value at now: person and back (arena);
 * IBC_EAUTH when unknown, of another school or expired. */
int totp_pending_lookup(struct db *db, struct arena *a, int64_t org_id,
                        const char *token, time_t now, int64_t *person_id,
                        const char **back, struct ibc_error *err);
/* Deletes the pending sign-in of a cookie value; 0 also when absent. */
int totp_pending_delete(struct db *db, int64_t org_id, const char *token,
                        struct ibc_error *err);

/* Throttling of codes, per person-and-address and per address (the
 * sign-in throttle): the seconds to wait (and a Retry-After header set on
 * req) or 0; a wrong code counts, a right one clears the person's count. */
int totp_throttle_wait(struct req *req, int64_t org_id, int64_t person_id,
                       time_t now);
void totp_throttle_note(struct req *req, int64_t org_id, int64_t person_id,
                        bool ok, time_t now);

/* Pages. */
const char *totp_cookie_name(const struct req *req); /* static */
int totp_account_page(struct req *req);  /* GET /account/2fa */
int totp_account_post(struct req *req);  /* POST /account/2fa */
int auth_code_page(struct req *req);     /* GET /signin/code (auth_pages.c) */
int auth_code_post(struct req *req);     /* POST /signin/code */

/* ---- password reset by e-mail (reset_store.c, reset_pages.c) ----
 *
 * An adult who forgot their password asks at /reset with their login or
 * e-mail address; the answer is the same page whether or not such a
 * person exists. An active adult with an e-mail address gets a link
 * /reset/TOKEN through the outbox: 256 random bits, only their SHA-256
 * stored, good for RESET_LIFETIME and once. Students never get a mail:
 * the librarian resets a child's password and reprints the slip. */

#define RESET_LIFETIME 3600   /* seconds a link is good */
#define RESET_PER_ADDR 10     /* requests per address per AUTH_FAIL_WINDOW */
#define RESET_PER_PERSON 3    /* mails per person per RESET_LIFETIME */
#define RESET_MATCH_MAX 5     /* people one e-mail address may name */

/* The active people of a school whose e-mail address is email (ASCII
 * case ignored), at most RESET_MATCH_MAX, by id: *ids (arena a) and *n
 * (0 when none). Returns 0 or IBC_EDB. */
int reset_find_email(struct db *db, struct arena *a, int64_t org_id,
                     const char *email, int64_t **ids, size_t *n,
                     struct ibc_error *err);
/* A new reset for a person of the school at time now: the token (hex) for
 * the link goes to token, only its hash is stored; it expires at now +
 * RESET_LIFETIME. Rows of the school that expired over a day ago are
 * purged. IBC_ENOTFOUND when the person is not of this school. Runs in
 * the caller's transaction when one is open. */
int reset_create(struct db *db, int64_t org_id, int64_t person_id,
                 time_t now, char token[AUTH_TOKEN_HEX + 1],
                 struct ibc_error *err);
/* Checks a link's token at now: 0 and *person_id (may be NULL);
 * IBC_ENOTFOUND when malformed, unknown or of another school,
 * IBC_EUNAVAIL when expired, IBC_ECONFLICT when already used. */
int reset_check(struct db *db, int64_t org_id, const char *token, time_t now,
                int64_t *person_id, struct ibc_error *err);
/* Uses a link: checks it as reset_check() does and the password against
 * password_check_policy() (IBC_EINVAL, field "password"), then, in one
 * transaction, marks it and the person's other open links used, stores
 * the password (no forced change) and deletes the person's sessions.
 * *person_id (may be NULL) gets the person. Opens its own transaction
 * (none may be open). */
int reset_use(struct db *db, int64_t org_id, const char *token,
              const char *password, time_t now, int64_t *person_id,
              struct ibc_error *err);

/* Pages. */
int reset_request_page(struct req *req); /* GET /reset */
int reset_request_post(struct req *req); /* POST /reset */
int reset_form_page(struct req *req);    /* GET /reset/{token} */
int reset_form_post(struct req *req);    /* POST /reset/{token} */

#endif
