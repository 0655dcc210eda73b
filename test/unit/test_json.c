/* ibc — unit tests of the JSON writer: structure, commas, every escape,
 * invalid UTF-8 and the depth guard. Outputs are compared byte for byte. */
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "harness.h"
#include "web/json.h"

static struct buf out;

__attribute__((destructor)) static void free_out(void)
{
    buf_reset(&out);
}

/* json_write_string(s) as a C string (valid until the next call). */
static const char *lit(const char *s)
{
    buf_clear(&out);
    json_write_string(&out, s);
    return buf_cstr(&out);
}

TEST(object_with_members_and_arrays)
{
    struct buf b = BUF_INIT;
    struct json j;
    json_init(&j, &b);
    json_obj_open(&j, NULL);
    json_put_str(&j, "title", "Война и мир");
    json_put_int(&j, "count", 3);
    json_put_bool(&j, "available", true);
    json_put_bool(&j, "lost", false);
    json_put_null(&j, "due");
    json_put_str(&j, "note", NULL);
    json_arr_open(&j, "items");
    json_put_int(&j, NULL, 1);
    json_obj_open(&j, NULL);
    json_put_str(&j, "barcode", "0001");
    json_obj_close(&j);
    json_arr_open(&j, NULL);
    json_arr_close(&j);
    json_obj_open(&j, NULL);
    json_obj_close(&j);
    json_arr_close(&j);
    json_obj_open(&j, "empty");
    json_obj_close(&j);
    json_obj_close(&j);
    CHECK_EQ_STR(buf_cstr(&b),
                 "{\"title\":\"Война и мир\",\"count\":3,\"available\":true,"
                 "\"lost\":false,\"due\":null,\"note\":null,"
                 "\"items\":[1,{\"barcode\":\"0001\"},[],{}],\"empty\":{}}");
    CHECK_EQ_INT(j.depth, 0);
    buf_reset(&b);
}

TEST(top_level_array_and_int_limits)
{
    struct buf b = BUF_INIT;
    struct json j;
    json_init(&j, &b);
    json_arr_open(&j, NULL);
    json_put_int(&j, NULL, INT64_MAX);
    json_put_int(&j, NULL, INT64_MIN);
    json_put_int(&j, NULL, 0);
    json_put_int(&j, NULL, -1);
    json_put_str(&j, NULL, "");
    json_arr_close(&j);
    CHECK_EQ_STR(buf_cstr(&b), "[9223372036854775807,-9223372036854775808,0,"
                               "-1,\"\"]");
    buf_reset(&b);
}

TEST(keys_are_escaped_too)
{
    struct buf b = BUF_INIT;
    struct json j;
    json_init(&j, &b);
    json_obj_open(&j, NULL);
    json_put_int(&j, "a\"b</script>", 1);
    json_obj_close(&j);
    CHECK_EQ_STR(buf_cstr(&b), "{\"a\\\"b\\u003c/script\\u003e\":1}");
    buf_reset(&b);
}

TEST(string_escapes_rfc8259)
{
    CHECK_EQ_STR(lit("plain"), "\"plain\"");
    CHECK_EQ_STR(lit(""), "\"\"");
    CHECK_EQ_STR(lit(NULL), "null");
    CHECK_EQ_STR(lit("q\"b\\s/"), "\"q\\\"b\\\\s/\"");
    CHECK_EQ_STR(lit("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
    CHECK_EQ_STR(lit("\x01\x0b\x1f\x7f"), "\"\\u0001\\u000b\\u001f\x7f\"");
}

TEST(string_escapes_for_html_script)
{
    CHECK_EQ_STR(lit("</script><script>alert(1)</script>"),
                 "\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"
                 "\\u003c/script\\u003e\"");
    CHECK_EQ_STR(lit("a&b <!-- -->"), "\"a\\u0026b \\u003c!-- --\\u003e\"");
    CHECK_EQ_STR(lit("x\xE2\x80\xA8y\xE2\x80\xA9z"), "\"x\\u2028y\\u2029z\"");
    /* Neighbours of U+2028 pass through. */
    CHECK_EQ_STR(lit("\xE2\x80\xA7\xE2\x80\xAA"),
                 "\"\xE2\x80\xA7\xE2\x80\xAA\"");
    CHECK_EQ_STR(lit("ёЁ€😀"), "\"ёЁ€😀\"");
}

TEST(invalid_utf8_becomes_replacement_char)
{
#define FFFD "\xEF\xBF\xBD"
    CHECK_EQ_STR(lit("a\xFF"
                     "b"),
                 "\"a" FFFD "b\"");
    /* A truncated sequence is one U+FFFD (maximal subpart). */
    CHECK_EQ_STR(lit("\xE2\x82x"), "\"" FFFD "x\"");
    CHECK_EQ_STR(lit("\xF0\x9F\x98"), "\"" FFFD "\"");
    /* Overlong '/', a surrogate, above U+10FFFF: one per byte. */
    CHECK_EQ_STR(lit("\xC0\xAF"), "\"" FFFD FFFD "\"");
    CHECK_EQ_STR(lit("\xED\xA0\x80"), "\"" FFFD FFFD FFFD "\"");
    CHECK_EQ_STR(lit("\xF4\x90\x80\x80"), "\"" FFFD FFFD FFFD FFFD "\"");
    /* A lone continuation byte, and a lead byte before ASCII. */
    CHECK_EQ_STR(lit("\x80<"), "\"" FFFD "\\u003c\"");
    CHECK_EQ_STR(lit("\xC3\""), "\"" FFFD "\\\"\"");
#undef FFFD
}

TEST(depth_guard_keeps_output_valid)
{
    struct buf b = BUF_INIT;
    struct json j;
    json_init(&j, &b);
    for (int i = 0; i < 40; i++) {
        json_arr_open(&j, NULL);
    }
    json_put_int(&j, NULL, 7); /* too deep: dropped */
    for (int i = 0; i < 40; i++) {
        json_arr_close(&j);
    }
    json_arr_close(&j); /* one too many: ignored */
    struct buf want = BUF_INIT;
    for (int i = 0; i < JSON_MAX_DEPTH - 1; i++) {
        buf_putc(&want, '[');
    }
    buf_puts(&want, "null");
    for (int i = 0; i < JSON_MAX_DEPTH - 1; i++) {
        buf_putc(&want, ']');
    }
    CHECK_EQ_STR(buf_cstr(&b), buf_cstr(&want));
    CHECK_EQ_INT(j.depth, 0);
    buf_reset(&want);
    buf_reset(&b);
}

TEST(depth_guard_in_an_object_keeps_the_key)
{
    struct buf b = BUF_INIT;
    struct json j;
    json_init(&j, &b);
    for (int i = 0; i < JSON_MAX_DEPTH - 1; i++) {
        json_obj_open(&j, i ? "k" : NULL);
    }
    json_obj_open(&j, "deep");
    json_put_str(&j, "lost", "x");
    json_obj_close(&j);
    json_put_int(&j, "after", 1); /* back at a live level */
    for (int i = 0; i < JSON_MAX_DEPTH - 1; i++) {
        json_obj_close(&j);
    }
    const char *s = buf_cstr(&b);
    CHECK_CONTAINS(s, "{\"k\":{\"deep\":null,\"after\":1}}");
    CHECK_NOT_CONTAINS(s, "lost");
    CHECK_EQ_INT(j.depth, 0);
    buf_reset(&b);
}
