/* ibc — a JSON writer that owns all escaping (kcgi's kjson shape).
 *
 *   struct json j; json_init(&j, &buf);
 *   json_obj_open(&j, NULL);
 *     json_put_str(&j, "title", t); json_put_int(&j, "count", n);
 *     json_arr_open(&j, "items"); … json_arr_close(&j);
 *   json_obj_close(&j);
 *
 * Keys are given inside objects and must be NULL inside arrays. Strings are
 * escaped per RFC 8259, plus <, >, & and U+2028/2029 as \uXXXX, so the output
 * is also safe inside an HTML <script> element. Invalid UTF-8 in a value is
 * replaced by U+FFFD. */
#ifndef IBC_WEB_JSON_H
#define IBC_WEB_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

#define JSON_MAX_DEPTH 32

struct json {
    struct buf *out;
    int depth;
    bool first[JSON_MAX_DEPTH]; /* no member written yet at this depth */
};

void json_init(struct json *j, struct buf *out);
void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_put_str(struct json *j, const char *key, const char *val); /* NULL -> null */
void json_put_int(struct json *j, const char *key, int64_t val);
void json_put_bool(struct json *j, const char *key, bool val);
void json_put_null(struct json *j, const char *key);
/* Escapes one string literal (with quotes) into out. */
void json_write_string(struct buf *out, const char *s);

#endif
