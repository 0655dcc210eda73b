/* ibc — the notification outbox: e-mail queued in the database and sent
 * over SMTP (libcurl) with retries.
 *
 * Code that wants to tell someone something calls outbox_enqueue() — inside
 * its own transaction if it likes, so a notice is queued exactly when the
 * change it reports is committed. The sender, outbox_send_due(), takes the
 * due messages one by one, builds an RFC 5322 message (UTF-8 plain text,
 * base64 body, RFC 2047 subject), and hands it to the SMTP relay from the
 * configuration. A message that fails is retried after 1 min, 5 min, 30 min,
 * 2 h, 6 h, 12 h, then daily, and marked 'failed' after max_attempts tries,
 * or at once when the server refuses it for good (a 5xx reply). The sender
 * runs as the job kind "outbox.send" on a schedule (outbox_jobs_register).
 *
 * Rows: table outbox (sql/migrations/0002_jobs*.sql), one per message,
 * state 'queued' → 'sent' | 'failed'. */
#ifndef IBC_MAIL_OUTBOX_H
#define IBC_MAIL_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"

struct arena;
struct buf;
struct db;
struct jobs;

/* How to send; outbox_config_defaults() fills the defaults shown. The
 * strings are borrowed and must outlive the senders that use them. */
struct outbox_config {
    const char *smtp_url;  /* "smtp://host:port" or "smtps://…" (NULL:
                              nothing is sent, messages wait) */
    const char *mail_from; /* envelope sender and From: address */
    const char *from_name; /* display name for From: (UTF-8), or NULL */
    const char *username;  /* SMTP AUTH user, or NULL for none */
    const char *password;  /* SMTP AUTH password */
    bool require_tls;      /* refuse to send without TLS (STARTTLS) (false:
                              TLS when the server offers it) */
    int max_attempts;      /* tries before 'failed' (10) */
    int batch;             /* most messages per outbox_send_due() (100) */
    int timeout_s;         /* whole SMTP exchange of one message (60) */
    int interval_s;        /* schedule of the "outbox.send" job (30) */
    time_t now;            /* the clock; 0 = time(NULL) (tests set it) */
};

void outbox_config_defaults(struct outbox_config *cfg);

/* A stored message; strings in the arena given to outbox_get(). */
struct outbox_msg {
    int64_t id;
    int64_t org_id;
    const char *to_addr;
    const char *subject;
    const char *body;
    const char *state; /* "queued", "sent", "failed" */
    int attempts;
    const char *next_attempt_at; /* ISO-8601 UTC */
    const char *last_error;      /* NULL when none */
    const char *created_at;
    const char *sent_at; /* NULL until sent */
};

/* True for an address we can send to: ASCII local@domain, local part of
 * dot-atoms (at most 64 bytes), domain of letters, digits and hyphens with
 * at least one dot, at most 254 bytes in all. */
bool outbox_addr_valid(const char *addr);

/* Queues a message for school org_id. body is UTF-8 plain text (any line
 * ends). Returns 0 and sets *id (may be NULL); IBC_EINVAL with field "to"
 * (bad address), "subject" (empty, too long, control characters, bad
 * UTF-8) or "body" (bad UTF-8, over 1 MB); IBC_ECONFLICT (field "org_id")
 * for an unknown school; IBC_EDB. */
int outbox_enqueue(struct db *db, int64_t org_id, const char *to,
                   const char *subject, const char *body, int64_t *id,
                   struct ibc_error *err);

/* Reads message id (strings in arena a). Returns 0, IBC_ENOTFOUND, IBC_EDB. */
int outbox_get(struct db *db, int64_t id, struct outbox_msg *out,
               struct arena *a, struct ibc_error *err);

/* Sends the messages that are due at cfg->now (or the clock): each is
 * leased (so a concurrent sender skips it), sent, and marked sent or given
 * its next attempt. Stops early when the relay cannot be reached at all.
 * *n_sent (may be NULL) counts the messages sent. SMTP failures are stored
 * in the rows, not returned: returns 0, IBC_EINVAL (no mail_from
 * configured) or IBC_EDB. */
int outbox_send_due(struct db *db, const struct outbox_config *cfg, int *n_sent,
                    struct ibc_error *err);

/* Seconds to wait after the n-th failed attempt (n >= 1): 60, 300, 1800,
 * 7200, 21600, 43200, then 86400. */
long outbox_backoff(int n);

/* Builds the RFC 5322 message: Date (from now), Message-ID (random, at the
 * domain of mail_from), From, To, Subject (RFC 2047 base64 encoded-words
 * when not plain ASCII), MIME-Version, Content-Type text/plain; charset=
 * utf-8, Content-Transfer-Encoding base64, Auto-Submitted; CRLF line ends.
 * Appends to out. The inputs must have passed outbox_enqueue's checks. */
void outbox_build_message(const struct outbox_config *cfg, const char *to,
                          const char *subject, const char *body, time_t now,
                          struct buf *out);

/* Sends one ready message (as outbox_build_message makes) to `to` through
 * cfg->smtp_url with libcurl (smtp.c). Returns 0; or IBC_EUNAVAIL for a
 * temporary failure (4xx reply, network), IBC_EINVAL for a permanent one
 * (5xx reply, bad URL), with err describing it. *smtp_code (may be NULL)
 * gets the server's last reply code, 0 when there was none. *reached (may be
 * NULL) tells whether a connection to the server was made. */
int outbox_smtp_send(const struct outbox_config *cfg, const char *to,
                     const char *msg, size_t len, int *smtp_code, bool *reached,
                     struct ibc_error *err);

/* Registers the job kind "outbox.send" (which runs outbox_send_due with
 * cfg) on j and schedules it every cfg->interval_s seconds. cfg is
 * borrowed and must outlive j. Call before jobs_start(). Returns 0 or
 * IBC_EINVAL. */
int outbox_jobs_register(struct jobs *j, const struct outbox_config *cfg);

#endif
