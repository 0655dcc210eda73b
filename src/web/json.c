/* ibc — the JSON writer (kcgi's kjson shape); see json.h.
 *
 * The writer only appends to a struct buf and tracks, per nesting level,
 * whether a comma is due. String escaping is the template engine's
 * JSON-literal escaper (tpl_esc_js_n), so pages and the API share one
 * implementation of "RFC 8259 + safe inside <script>".
 *
 * Depth guard: opening a container at JSON_MAX_DEPTH - 1 levels writes
 * `null` instead and ignores everything until the matching close, so the
 * output stays well-formed JSON; closing more than was opened is ignored.
 * Both are caller bugs, not data errors, so they are not reported. */
#include "web/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tpl/tpl_int.h"

void json_init(struct json *j, struct buf *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
    j->first[0] = true;
}

void json_write_string(struct buf *out, const char *s)
{
    if (!s) {
        buf_append(out, "null", 4);
        return;
    }
    tpl_esc_js_n(out, s, strlen(s));
}

/* True when writing at the current depth is allowed (not past the guard). */
static bool live(const struct json *j)
{
    return j->depth < JSON_MAX_DEPTH;
}

/* Writes the comma (if due) and the key (if any) before a member. */
static void member(struct json *j, const char *key)
{
    if (!j->first[j->depth]) {
        buf_putc(j->out, ',');
    }
    j->first[j->depth] = false;
    if (key) {
        json_write_string(j->out, key);
        buf_putc(j->out, ':');
    }
}

static void open_container(struct json *j, const char *key, char c)
{
    if (!live(j)) {
        j->depth++;
        return;
    }
    member(j, key);
    if (j->depth + 1 >= JSON_MAX_DEPTH) {
        buf_append(j->out, "null", 4);
        j->depth = JSON_MAX_DEPTH; /* ignore until the matching close */
        return;
    }
    buf_putc(j->out, c);
    j->depth++;
    j->first[j->depth] = true;
}

static void close_container(struct json *j, char c)
{
    if (j->depth == 0) {
        return;
    }
    if (j->depth > JSON_MAX_DEPTH) {
        j->depth--;
        return;
    }
    if (j->depth == JSON_MAX_DEPTH) {
        j->depth = JSON_MAX_DEPTH - 1; /* the elided container */
        return;
    }
    buf_putc(j->out, c);
    j->depth--;
}

void json_obj_open(struct json *j, const char *key)
{
    open_container(j, key, '{');
}

void json_obj_close(struct json *j)
{
    close_container(j, '}');
}

void json_arr_open(struct json *j, const char *key)
{
    open_container(j, key, '[');
}

void json_arr_close(struct json *j)
{
    close_container(j, ']');
}

void json_put_str(struct json *j, const char *key, const char *val)
{
    if (live(j)) {
        member(j, key);
        json_write_string(j->out, val);
    }
}

void json_put_int(struct json *j, const char *key, int64_t val)
{
    if (live(j)) {
        member(j, key);
        buf_printf(j->out, "%" PRId64, val);
    }
}

void json_put_bool(struct json *j, const char *key, bool val)
{
    if (live(j)) {
        member(j, key);
        buf_puts(j->out, val ? "true" : "false");
    }
}

void json_put_null(struct json *j, const char *key)
{
    if (live(j)) {
        member(j, key);
        buf_append(j->out, "null", 4);
    }
}
