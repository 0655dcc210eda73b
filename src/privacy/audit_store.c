/* ibc — the audit log: all SQL about table audit_log, and its CSV export.
 *
 * Every staff action and every view or export of a person's data is one
 * row: who (person id and login as text, so the row survives the person),
 * when, what (an action name such as "person.view"), on what (object type
 * and id), short details and the client address (cleared by the retention
 * job, retention.c). Rows are never changed otherwise and never deleted
 * except with their school. See privacy.h. */
#include "privacy/privacy.h"

#include <string.h>

#include "core/str.h"
#include "core/time.h"
#include "db/db.h"

/* action: [a-z0-9._-]{1,64} */
static bool valid_action(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-')) {
            return false;
        }
    }
    return true;
}

/* Copies at most max bytes of s into out (size max + 1), cut before a
 * UTF-8 continuation byte so no character is split. */
static void cut_utf8(char *out, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

int audit_write_entry(struct db *db, const struct audit_entry *e,
                      struct ibc_error *err)
{
    if (!valid_action(e->action)) {
        return ibc_fail_field(err, IBC_EINVAL, "action",
                              "an audit action is 1–64 characters of "
                              "a-z, 0-9, '.', '_' and '-'");
    }
    char now[32];
    const char *at = e->at;
    if (!at) {
        time_now_iso(now);
        at = now;
    }
    char details[AUDIT_DETAILS_MAX + 1];
    if (e->details) {
        cut_utf8(details, e->details, AUDIT_DETAILS_MAX);
    }
    int rc = db_run(
        db, err,
        "INSERT INTO audit_log (org_id, at, actor_person_id, actor_login, "
        "action, object_type, object_id, details, client_addr) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        DB_I64(e->org_id), DB_TXT(at),
        e->actor_id > 0 ? DB_I64(e->actor_id) : DB_NUL,
        DB_TXT(e->actor_login ? e->actor_login : ""), DB_TXT(e->action),
        e->object_type ? DB_TXT(e->object_type) : DB_NUL,
        e->object_id > 0 ? DB_I64(e->object_id) : DB_NUL,
        e->details ? DB_TXT(details) : DB_NUL,
        str_empty(e->client_addr) ? DB_NUL : DB_TXT(e->client_addr), DB_END);
    return rc < 0 ? rc : 0;
}

int audit_write(struct db *db, int64_t org_id, int64_t actor_id,
                const char *actor_login, const char *action,
                const char *object_type, int64_t object_id,
                const char *details, const char *client_addr,
                struct ibc_error *err)
{
    struct audit_entry e = {.org_id = org_id,
                            .actor_id = actor_id,
                            .actor_login = actor_login,
                            .action = action,
                            .object_type = object_type,
                            .object_id = object_id,
                            .details = details,
                            .client_addr = client_addr};
    return audit_write_entry(db, &e, err);
}

/* ---- listing ---- */

#define AUDIT_COLS                                                             \
    "SELECT id, org_id, at, actor_person_id, actor_login, action, "          \
    "object_type, object_id, details, client_addr FROM audit_log "

/* The bound values of a filter, in the order of the WHERE built below. */
struct bindings {
    struct db_arg v[12];
    int n;
};

/* Appends the WHERE clause for org_id and f to sql (only fixed fragments;
 * values are bound). */
static void build_where(struct buf *sql, struct bindings *b, int64_t org_id,
                        const struct audit_filter *f)
{
    buf_puts(sql, "WHERE org_id = ?");
    b->v[b->n++] = DB_I64(org_id);
    if (!str_empty(f->since)) {
        buf_puts(sql, " AND at >= ?");
        b->v[b->n++] = DB_TXT(f->since);
    }
    if (!str_empty(f->until)) {
        buf_puts(sql, " AND at < ?");
        b->v[b->n++] = DB_TXT(f->until);
    }
    if (!str_empty(f->actor_login)) {
        buf_puts(sql, " AND actor_login = ?");
        b->v[b->n++] = DB_TXT(f->actor_login);
    }
    if (f->actor_id > 0) {
        buf_puts(sql, " AND actor_person_id = ?");
        b->v[b->n++] = DB_I64(f->actor_id);
    }
    if (!str_empty(f->action)) {
        size_t n = strlen(f->action);
        if (f->action[n - 1] == '.') {
            /* a prefix: substr, not LIKE, since '_' is a LIKE wildcard */
            buf_puts(sql, " AND substr(action, 1, ?) = ?");
            b->v[b->n++] = DB_I64((int64_t)n);
        } else {
            buf_puts(sql, " AND action = ?");
        }
        b->v[b->n++] = DB_TXT(f->action);
    }
    if (!str_empty(f->object_type)) {
        buf_puts(sql, " AND object_type = ?");
        b->v[b->n++] = DB_TXT(f->object_type);
        if (f->object_id > 0) {
            buf_puts(sql, " AND object_id = ?");
            b->v[b->n++] = DB_I64(f->object_id);
        }
    }
}

static int bind_all(struct db_stmt *st, const struct bindings *b)
{
    for (int i = 0; i < b->n; i++) {
        int rc = b->v[i].type == DB_ARG_I64
                     ? db_bind_int64(st, i + 1, b->v[i].i)
                     : db_bind_text(st, i + 1, b->v[i].s);
        if (rc) {
            return rc;
        }
    }
    return 0;
}

static void read_row(struct db_stmt *st, struct arena *a,
                     struct audit_entry *e)
{
    e->id = db_col_int64(st, 0);
    e->org_id = db_col_int64(st, 1);
    e->at = arena_strdup(a, db_col_text(st, 2));
    e->actor_id = db_col_int64(st, 3);
    e->actor_login = arena_strdup(a, db_col_text(st, 4));
    e->action = arena_strdup(a, db_col_text(st, 5));
    e->object_type = arena_strdup(a, db_col_text(st, 6));
    e->object_id = db_col_int64(st, 7);
    e->details = arena_strdup(a, db_col_text(st, 8));
    e->client_addr = arena_strdup(a, db_col_text(st, 9));
}

/* One page: limit rows after offset, newest first. */
static int list_page(struct db *db, struct arena *a, int64_t org_id,
                     const struct audit_filter *f, int64_t offset, int limit,
                     struct audit_entry **out, size_t *n,
                     struct ibc_error *err)
{
    struct buf sql = BUF_INIT;
    struct bindings b = {.n = 0};
    buf_puts(&sql, AUDIT_COLS);
    build_where(&sql, &b, org_id, f);
    buf_puts(&sql, " ORDER BY id DESC LIMIT ? OFFSET ?");
    b.v[b.n++] = DB_I64(limit);
    b.v[b.n++] = DB_I64(offset);
    struct db_stmt *st = NULL;
    *out = arena_zalloc(a, sizeof(**out) * (size_t)(limit > 0 ? limit : 1));
    *n = 0;
    int rc = db_prepare(db, &st, buf_cstr(&sql), err);
    if (rc) {
        goto out;
    }
    if ((rc = bind_all(st, &b)) != 0) {
        ibc_fail(err, rc, "audit_list: %s", db_errmsg(db));
        goto out;
    }
    while ((rc = db_step(st)) == DB_ROW && *n < (size_t)limit) {
        read_row(st, a, &(*out)[(*n)++]);
    }
    if (rc < 0) {
        ibc_fail(err, rc, "audit_list: %s", db_errmsg(db));
    } else {
        rc = 0;
    }
out:
    db_finalize(st);
    buf_reset(&sql);
    return rc;
}

int audit_list(struct db *db, struct arena *a, int64_t org_id,
               const struct audit_filter *f, struct audit_entry **out,
               size_t *n, bool *more, struct ibc_error *err)
{
    int limit = f->limit <= 0 ? 50 : f->limit > 10000 ? 10000 : f->limit;
    int64_t offset = f->offset > 0 ? f->offset : 0;
    /* one row more than asked tells whether another page follows */
    int rc = list_page(db, a, org_id, f, offset, limit + 1, out, n, err);
    if (rc) {
        return rc;
    }
    if (more) {
        *more = *n > (size_t)limit;
    }
    if (*n > (size_t)limit) {
        *n = (size_t)limit;
    }
    return 0;
}

/* ---- CSV ---- */

void privacy_csv_cell(struct buf *out, const char *s)
{
    if (!s || !*s) {
        return;
    }
    bool guard = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                 s[0] == '\t' || s[0] == '\r';
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) {
        buf_putc(out, '"');
    }
    if (guard) {
        buf_putc(out, '\'');
    }
    for (const char *p = s; *p; p++) {
        if (*p == '"') {
            buf_putc(out, '"');
        }
        buf_putc(out, *p);
    }
    if (quote) {
        buf_putc(out, '"');
    }
}

static void csv_int(struct buf *out, int64_t v)
{
    if (v > 0) {
        buf_printf(out, "%lld", (long long)v);
    }
}

int audit_export_csv(struct db *db, int64_t org_id,
                     const struct audit_filter *f,
                     const char *const header[8], struct buf *out,
                     size_t *rows, struct ibc_error *err)
{
    size_t total = 0;
    buf_puts(out, "\xEF\xBB\xBF"); /* UTF-8 BOM: Excel then reads Cyrillic */
    for (int i = 0; i < 8; i++) {
        if (i) {
            buf_putc(out, ',');
        }
        privacy_csv_cell(out, header[i]);
    }
    buf_puts(out, "\r\n");
    struct arena *a = arena_new();
    int rc = 0;
    const int page = 1000;
    for (int64_t offset = 0; total < AUDIT_CSV_MAX; offset += page) {
        struct audit_entry *es;
        size_t n;
        arena_reset(a);
        rc = list_page(db, a, org_id, f, offset, page, &es, &n, err);
        if (rc) {
            break;
        }
        for (size_t i = 0; i < n && total < AUDIT_CSV_MAX; i++, total++) {
            const struct audit_entry *e = &es[i];
            privacy_csv_cell(out, e->at);
            buf_putc(out, ',');
            privacy_csv_cell(out, e->actor_login);
            buf_putc(out, ',');
            privacy_csv_cell(out, e->action);
            buf_putc(out, ',');
            privacy_csv_cell(out, e->object_type);
            buf_putc(out, ',');
            csv_int(out, e->object_id);
            buf_putc(out, ',');
            privacy_csv_cell(out, e->details);
            buf_putc(out, ',');
            privacy_csv_cell(out, e->client_addr);
            buf_putc(out, ',');
            csv_int(out, e->id);
            buf_puts(out, "\r\n");
        }
        if (n < (size_t)page) {
            break;
        }
    }
    arena_free(a);
    if (rows) {
        *rows = total;
    }
    return rc;
}
