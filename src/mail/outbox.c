/* ibc — the notification outbox: queueing, the RFC 5322 message, and the
 * sender with its retry schedule. The SMTP exchange itself is in smtp.c.
 *
 * Base64 comes from libsodium (sodium_bin2base64), random Message-IDs from
 * its randombytes_buf; only the RFC 2047 and MIME framing around them is
 * written here. */
#include "mail/outbox.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/utf8.h"
#include "db/db.h"
#include "jobs/jobs.h"

#define OUTBOX_MAX_BODY (1024 * 1024) /* bytes of body text we accept */
#define OUTBOX_MAX_SUBJECT 900        /* bytes of subject text */

void outbox_config_defaults(struct outbox_config *cfg)
{
    *cfg = (struct outbox_config){
        .smtp_url = NULL,
        .mail_from = NULL,
        .max_attempts = 10,
        .batch = 100,
        .timeout_s = 60,
        .interval_s = 30,
    };
}

/* ---- addresses ---- */

/* RFC 5322 atext: the characters of a dot-atom besides the dots. */
static bool atext(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

bool outbox_addr_valid(const char *addr)
{
    size_t n = addr ? strlen(addr) : 0;
    const char *at = n ? strchr(addr, '@') : NULL;
    if (n < 3 || n > 254 || !at || at == addr || at - addr > 64) {
        return false;
    }
    size_t local = (size_t)(at - addr);
    for (size_t i = 0; i < local; i++) {
        if (addr[i] == '.') {
            if (i == 0 || i == local - 1 || addr[i - 1] == '.') {
                return false;
            }
        } else if (!atext(addr[i])) {
            return false;
        }
    }
    /* The domain: labels of letters, digits and inner hyphens. */
    const char *d = at + 1;
    int labels = 0;
    while (*d) {
        const char *start = d;
        while ((*d >= 'a' && *d <= 'z') || (*d >= 'A' && *d <= 'Z') ||
               (*d >= '0' && *d <= '9') || *d == '-') {
            d++;
        }
        size_t len = (size_t)(d - start);
        if (len == 0 || len > 63 || start[0] == '-' || d[-1] == '-') {
            return false;
        }
        labels++;
        if (*d == '.') {
            d++;
            if (!*d) {
                return false; /* trailing dot */
            }
        } else if (*d) {
            return false;
        }
    }
    return labels >= 2;
}

/* ---- queueing ---- */

/* Subjects: one line of UTF-8 text without control characters. */
static bool subject_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > OUTBOX_MAX_SUBJECT || !utf8_valid(s, n)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

int outbox_enqueue(struct db *db, int64_t org_id, const char *to,
                   const char *subject, const char *body, int64_t *id,
                   struct ibc_error *err)
{
    if (org_id <= 0) {
        return ibc_fail_field(err, IBC_EINVAL, "org_id",
                              "a message belongs to a school");
    }
    if (!outbox_addr_valid(to)) {
        return ibc_fail_field(err, IBC_EINVAL, "to",
                              "not a valid e-mail address: %.100s",
                              to ? to : "(none)");
    }
    if (!subject || !subject_valid(subject)) {
        return ibc_fail_field(err, IBC_EINVAL, "subject",
                              "the subject must be one line of 1 to %d "
                              "bytes of UTF-8 text",
                              OUTBOX_MAX_SUBJECT);
    }
    size_t body_len = body ? strlen(body) : 0;
    if (body_len > OUTBOX_MAX_BODY || !utf8_valid(body ? body : "", body_len)) {
        return ibc_fail_field(err, IBC_EINVAL, "body",
                              "the text must be UTF-8, at most %d bytes",
                              OUTBOX_MAX_BODY);
    }
    char now_s[JOBS_TIME_LEN];
    jobs_time_fmt(time(NULL), now_s);
    struct db_stmt *st;
    int rc = db_prepare_args(
        db, &st, err,
        "INSERT INTO outbox (org_id, to_addr, subject, body, state, attempts, "
        "next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?) "
        "RETURNING id",
        DB_I64(org_id), DB_TXT(to), DB_TXT(subject), DB_TXT(body ? body : ""),
        DB_TXT(now_s), DB_TXT(now_s), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW && id) {
        *id = db_col_int64(st, 0);
    }
    if (rc == IBC_ECONFLICT) {
        ibc_fail_field(err, rc, "org_id",
                       "cannot queue mail for school "
                       "%lld: %s",
                       (long long)org_id, db_errmsg(db));
    } else if (rc < 0) {
        ibc_fail(err, rc, "queueing mail: %s", db_errmsg(db));
    }
    db_finalize(st);
    return rc < 0 ? rc : 0;
}

int outbox_get(struct db *db, int64_t id, struct outbox_msg *out,
               struct arena *a, struct ibc_error *err)
{
    struct db_stmt *st;
    int rc = db_prepare_args(
        db, &st, err,
        "SELECT id, org_id, to_addr, subject, body, state, attempts, "
        "next_attempt_at, last_error, created_at, sent_at "
        "FROM outbox WHERE id = ?",
        DB_I64(id), DB_END);
    if (rc) {
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        out->id = db_col_int64(st, 0);
        out->org_id = db_col_int64(st, 1);
        out->to_addr = arena_strdup(a, db_col_text(st, 2));
        out->subject = arena_strdup(a, db_col_text(st, 3));
        out->body = arena_strdup(a, db_col_text(st, 4));
        out->state = arena_strdup(a, db_col_text(st, 5));
        out->attempts = (int)db_col_int64(st, 6);
        out->next_attempt_at = arena_strdup(a, db_col_text(st, 7));
        out->last_error = arena_strdup(a, db_col_text(st, 8));
        out->created_at = arena_strdup(a, db_col_text(st, 9));
        out->sent_at = arena_strdup(a, db_col_text(st, 10));
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = ibc_fail(err, IBC_ENOTFOUND, "no message %lld", (long long)id);
    } else {
        rc = ibc_fail(err, rc, "reading a message: %s", db_errmsg(db));
    }
    db_finalize(st);
    return rc;
}

/* ---- the message ---- */

/* Appends base64 of p[0..n) (no line breaks). */
static void put_base64(struct buf *out, const unsigned char *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    buf_grow(out, cap);
    sodium_bin2base64(out->data + out->len, cap, p, n,
                      sodium_base64_VARIANT_ORIGINAL);
    out->len += strlen(out->data + out->len);
}

/* True when s can stand in a header as it is: printable ASCII, no "=?"
 * that a reader would take for an encoded-word, short enough for one line. */
static bool header_plain(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max || strstr(s, "=?")) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

/* Appends s as RFC 2047 encoded-words "=?UTF-8?B?…?=", at most 39 bytes of
 * text each (64 characters a word) cut at character boundaries, folded
 * with CRLF SP between words. */
static void put_encoded_words(struct buf *out, const char *s)
{
    size_t n = strlen(s), pos = 0;
    while (pos < n) {
        size_t take = 0;
        while (pos + take < n) {
            uint32_t cp;
            size_t len = utf8_decode(s + pos + take, n - pos - take, &cp);
            if (len == 0) {
                len = 1; /* not reached for checked input */
            }
            if (take + len > 39) {
                break;
            }
            take += len;
        }
        if (pos) {
            buf_puts(out, "\r\n ");
        }
        buf_puts(out, "=?UTF-8?B?");
        put_base64(out, (const unsigned char *)s + pos, take);
        buf_puts(out, "?=");
        pos += take;
    }
}

/* The domain of an address ("example.org"), for the Message-ID. */
static const char *addr_domain(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at ? at + 1 : "localhost";
}

void outbox_build_message(const struct outbox_config *cfg, const char *to,
                          const char *subject, const char *body, time_t now,
                          struct buf *out)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&now, &tm);
    buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
               days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
               tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);

    unsigned char rnd[12];
    char hex[sizeof(rnd) * 2 + 1];
    if (sodium_init() < 0) {
        /* libsodium could not start (no entropy source): fall back on the
         * clock and the buffer address, still unique enough per host. */
        uint64_t z = (uint64_t)now ^ (uint64_t)(uintptr_t)out;
        memcpy(rnd, &z, sizeof(z));
        memset(rnd + sizeof(z), 0, sizeof(rnd) - sizeof(z));
    } else {
        randombytes_buf(rnd, sizeof(rnd));
    }
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    buf_printf(out, "Message-ID: <%lld.%s@%s>\r\n", (long long)now, hex,
               addr_domain(cfg->mail_from));

    const char *from = cfg->mail_from ? cfg->mail_from : "";
    buf_puts(out, "From: ");
    if (cfg->from_name && *cfg->from_name) {
        const char *nm = cfg->from_name;
        bool quotable = header_plain(nm, 200);
        if (quotable) {
            buf_putc(out, '"');
            for (const char *p = nm; *p; p++) {
                if (*p == '"' || *p == '\\') {
                    buf_putc(out, '\\');
                }
                buf_putc(out, *p);
            }
            buf_putc(out, '"');
        } else {
            put_encoded_words(out, nm);
        }
        /* Fold before the address when it would make the line too long. */
        const char *nl = out->data;
        for (const char *p = out->data; p < out->data + out->len; p++) {
            if (*p == '\n') {
                nl = p + 1;
            }
        }
        size_t line = (size_t)(out->data + out->len - nl);
        buf_puts(out, line + strlen(from) + 3 > 78 ? "\r\n " : " ");
        buf_printf(out, "<%s>\r\n", from);
    } else {
        buf_printf(out, "%s\r\n", from);
    }
    buf_printf(out, "To: %s\r\n", to);
    buf_puts(out, "Subject: ");
    if (header_plain(subject, 78 - 9)) {
        buf_puts(out, subject);
    } else {
        put_encoded_words(out, subject);
    }
    buf_puts(out, "\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: base64\r\n"
                  "Auto-Submitted: auto-generated\r\n"
                  "\r\n");

    /* The body in canonical form (CRLF line ends, RFC 2046 4.1.1), then
     * base64 in lines of 76 characters (57 bytes). */
    struct buf text = BUF_INIT;
    for (const char *p = body; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            if (*p == '\r' && p[1] == '\n') {
                p++;
            }
            buf_puts(&text, "\r\n");
        } else {
            buf_putc(&text, *p);
        }
    }
    if (text.len && (text.len < 2 || text.data[text.len - 1] != '\n')) {
        buf_puts(&text, "\r\n");
    }
    for (size_t off = 0; off < text.len; off += 57) {
        size_t n = text.len - off < 57 ? text.len - off : 57;
        put_base64(out, (const unsigned char *)text.data + off, n);
        buf_puts(out, "\r\n");
    }
    buf_reset(&text);
}

/* ---- sending ---- */

long outbox_backoff(int n)
{
    static const long steps[] = {60, 300, 1800, 7200, 21600, 43200};
    int n_steps = (int)(sizeof(steps) / sizeof(steps[0]));
    if (n < 1) {
        n = 1;
    }
    return n <= n_steps ? steps[n - 1] : 86400;
}

/* A message leased for sending. */
struct leased {
    int64_t id;
    char *to, *subject, *body; /* arena */
    int attempts;              /* before this one */
};

/* Takes the next due message and leases it until lease_until so that a
 * concurrent sender passes over it. Returns 1, 0 (none due) or negative. */
static int lease_next(struct db *db, const char *now_s, const char *lease_s,
                      struct leased *out, struct arena *a,
                      struct ibc_error *err)
{
    const char *sql =
        db_backend(db) == DB_PG
            ? "UPDATE outbox SET next_attempt_at = ? WHERE id = (SELECT id "
              "FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? "
              "ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
              "AND state = 'queued' "
              "RETURNING id, to_addr, subject, body, attempts"
            : "UPDATE outbox SET next_attempt_at = ? WHERE id = (SELECT id "
              "FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? "
              "ORDER BY next_attempt_at, id LIMIT 1) "
              "AND state = 'queued' "
              "RETURNING id, to_addr, subject, body, attempts";
    int rc = db_begin(db, DB_TX_WRITE, err);
    if (rc) {
        return rc;
    }
    struct db_stmt *st;
    rc = db_prepare_args(db, &st, err, sql, DB_TXT(lease_s), DB_TXT(now_s),
                         DB_END);
    if (rc) {
        db_rollback(db);
        return rc;
    }
    rc = db_step(st);
    if (rc == DB_ROW) {
        out->id = db_col_int64(st, 0);
        out->to = arena_strdup(a, db_col_text(st, 1));
        out->subject = arena_strdup(a, db_col_text(st, 2));
        out->body = arena_strdup(a, db_col_text(st, 3));
        out->attempts = (int)db_col_int64(st, 4);
        int more = db_step(st);
        rc = more < 0 ? more : 1;
    }
    if (rc < 0) {
        ibc_fail(err, rc, "taking mail to send: %s", db_errmsg(db));
        db_finalize(st);
        db_rollback(db);
        return rc;
    }
    db_finalize(st);
    int crc = db_commit(db, err);
    return crc ? crc : rc;
}

/* Records the outcome of one attempt. */
static int record(struct db *db, const struct outbox_config *cfg,
                  const struct leased *m, int send_rc, const char *error,
                  time_t now, struct ibc_error *err)
{
    char now_s[JOBS_TIME_LEN];
    jobs_time_fmt(now, now_s);
    int attempts = m->attempts + 1;
    if (send_rc == 0) {
        return db_run(db, err,
                      "UPDATE outbox SET state = 'sent', sent_at = ?, "
                      "attempts = ?, last_error = NULL WHERE id = ?",
                      DB_TXT(now_s), DB_I64(attempts), DB_I64(m->id), DB_END);
    }
    int max = cfg->max_attempts > 0 ? cfg->max_attempts : 10;
    if (send_rc == IBC_EINVAL || attempts >= max) {
        log_warn("outbox: message %lld to %s failed for good: %s",
                 (long long)m->id, m->to, error);
        return db_run(db, err,
                      "UPDATE outbox SET state = 'failed', attempts = ?, "
                      "last_error = ? WHERE id = ?",
                      DB_I64(attempts), DB_TXT(error), DB_I64(m->id), DB_END);
    }
    char next_s[JOBS_TIME_LEN];
    jobs_time_fmt(now + outbox_backoff(attempts), next_s);
    log_info("outbox: message %lld to %s not sent (attempt %d), next at %s: "
             "%s",
             (long long)m->id, m->to, attempts, next_s, error);
    return db_run(db, err,
                  "UPDATE outbox SET attempts = ?, last_error = ?, "
                  "next_attempt_at = ? WHERE id = ?",
                  DB_I64(attempts), DB_TXT(error), DB_TXT(next_s),
                  DB_I64(m->id), DB_END);
}

typedef bool (*stop_fn)(void *arg);

/* outbox_send_due, with a check between messages for the job runner. */
static int send_due(struct db *db, const struct outbox_config *cfg, int *n_sent,
                    stop_fn stop, void *stop_arg, struct ibc_error *err)
{
    if (n_sent) {
        *n_sent = 0;
    }
    if (!cfg->mail_from || !outbox_addr_valid(cfg->mail_from)) {
        return ibc_fail_field(err, IBC_EINVAL, "mail_from",
                              "the sender address of notifications is not "
                              "set or not valid");
    }
    if (!cfg->smtp_url || !*cfg->smtp_url) {
        log_debug("outbox: no SMTP server configured; mail waits");
        return 0;
    }
    time_t now = cfg->now ? cfg->now : time(NULL);
    int timeout = cfg->timeout_s > 0 ? cfg->timeout_s : 60;
    int batch = cfg->batch > 0 ? cfg->batch : 100;
    char now_s[JOBS_TIME_LEN], lease_s[JOBS_TIME_LEN];
    jobs_time_fmt(now, now_s);
    jobs_time_fmt(now + (2 * timeout > 600 ? 2 * timeout : 600), lease_s);

    struct arena *a = arena_new();
    struct buf msg = BUF_INIT;
    int rc = 0;
    for (int i = 0; i < batch; i++) {
        if (stop && stop(stop_arg)) {
            break;
        }
        arena_reset(a);
        struct leased m = {0};
        rc = lease_next(db, now_s, lease_s, &m, a, err);
        if (rc <= 0) {
            break;
        }
        buf_clear(&msg);
        outbox_build_message(cfg, m.to, m.subject, m.body, now, &msg);
        struct ibc_error serr = IBC_ERROR_INIT;
        bool reached = true;
        int src = outbox_smtp_send(cfg, m.to, msg.data, msg.len, NULL, &reached,
                                   &serr);
        rc = record(db, cfg, &m, src, serr.msg, now, err);
        if (rc < 0) {
            break;
        }
        if (src == 0 && n_sent) {
            (*n_sent)++;
        }
        if (src != 0 && !reached) {
            break; /* the relay is down: the rest waits for the next run */
        }
    }
    buf_reset(&msg);
    arena_free(a);
    return rc < 0 ? rc : 0;
}

int outbox_send_due(struct db *db, const struct outbox_config *cfg, int *n_sent,
                    struct ibc_error *err)
{
    return send_due(db, cfg, n_sent, NULL, NULL, err);
}

/* ---- the job ---- */

static bool job_stop(void *arg)
{
    return job_cancelled(arg);
}

/* The "outbox.send" job: one run of the sender. */
static int outbox_job(struct job_ctx *jc)
{
    const struct outbox_config *cfg = jc->ctx;
    int n = 0;
    int rc = send_due(jc->db, cfg, &n, job_stop, jc, &jc->err);
    char result[64];
    snprintf(result, sizeof(result), "{\"sent\":%d}", n);
    job_set_result(jc, result);
    if (rc == 0 && n > 0) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%d message(s) sent", n);
        job_progress(jc, n, n, msg);
    }
    return rc;
}

int outbox_jobs_register(struct jobs *j, const struct outbox_config *cfg)
{
    int interval = cfg->interval_s > 0 ? cfg->interval_s : 30;
    jobs_register(j, "outbox.send", outbox_job, (void *)cfg);
    return jobs_schedule(j, "outbox.send", "outbox.send", interval);
}
