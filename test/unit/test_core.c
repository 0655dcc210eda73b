/* ibc — tests of src/core: arena, buf, utf8, str, time, err. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/embed.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "core/utf8.h"
#include "harness.h"

TEST(arena_allocations_are_aligned_and_independent)
{
    struct arena *a = arena_new();
    char *s = arena_strdup(a, "Библиотека");
    for (int i = 0; i < 1000; i++) {
        void *p = arena_alloc(a, (size_t)i + 1);
        CHECK(((uintptr_t)p % _Alignof(max_align_t)) == 0);
        memset(p, 0xAB, (size_t)i + 1);
    }
    /* a big allocation beyond the chunk size */
    char *big = arena_alloc(a, 3u << 20);
    memset(big, 1, 3u << 20);
    CHECK_EQ_STR(s, "Библиотека");
    CHECK_EQ_STR(arena_printf(a, "%s № %d", "Школа", 12), "Школа № 12");
    CHECK(arena_strdup(a, NULL) == NULL);
    CHECK_EQ_STR(arena_strndup(a, "abcdef", 3), "abc");
    arena_reset(a);
    CHECK_EQ_INT(arena_used(a), 0);
    CHECK_EQ_STR(arena_strdup(a, "после сброса"), "после сброса");
    arena_free(a);
    arena_free(NULL);
}

TEST(buf_grows_and_stays_terminated)
{
    struct buf b = BUF_INIT;
    CHECK_EQ_STR(buf_cstr(&b), "");
    for (int i = 0; i < 1000; i++) {
        buf_printf(&b, "%d,", i);
    }
    CHECK(b.len > 2000);
    CHECK(b.data[b.len] == '\0');
    CHECK(str_starts(b.data, "0,1,2,"));
    buf_clear(&b);
    buf_puts(&b, "ё");
    buf_putc(&b, '!');
    CHECK_EQ_STR(buf_cstr(&b), "ё!");
    size_t len;
    char *p = buf_detach(&b, &len);
    CHECK_EQ_INT(len, 3);
    CHECK_EQ_STR(p, "ё!");
    CHECK(b.data == NULL && b.len == 0);
    free(p);
    buf_reset(&b);
}

TEST(utf8_accepts_well_formed_and_rejects_the_rest)
{
    CHECK(utf8_valid("Ёжик в тумане", strlen("Ёжик в тумане")));
    CHECK(utf8_valid("😀", 4));
    CHECK(!utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
    CHECK(!utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
    CHECK(!utf8_valid("\xF4\x90\x80\x80", 4)); /* above U+10FFFF */
    CHECK(!utf8_valid("\xD0", 1));             /* truncated */
    CHECK(!utf8_valid("a\0b", 3));             /* NUL */
    CHECK(!utf8_valid("\xFF", 1));
    /* cp1251 "Привет" is not UTF-8 */
    CHECK(!utf8_valid("\xCF\xF0\xE8\xE2\xE5\xF2", 6));
    CHECK_EQ_INT(utf8_length("Школа № 12"), 10);
    uint32_t cp;
    CHECK_EQ_INT(utf8_decode("ё", 2, &cp), 2);
    CHECK_EQ_INT(cp, 0x451);
}

TEST(str_to_i64_parses_whole_numbers_only)
{
    int64_t v;
    CHECK(str_to_i64("42", &v) && v == 42);
    CHECK(str_to_i64("-7", &v) && v == -7);
    CHECK(str_to_i64("9223372036854775807", &v) && v == INT64_MAX);
    CHECK(!str_to_i64("9223372036854775808", &v));
    CHECK(!str_to_i64("", &v));
    CHECK(!str_to_i64(NULL, &v));
    CHECK(!str_to_i64("12abc", &v));
    CHECK(!str_to_i64(" 12", &v));
    CHECK(!str_to_i64("-", &v));
    char hex[9];
    str_hex(hex, (const unsigned char *)"\x01\xab\xff\x00", 4);
    CHECK_EQ_STR(hex, "01abff00");
    char small[4];
    CHECK_EQ_INT(str_copy(small, "abcdef", sizeof(small)), 6);
    CHECK_EQ_STR(small, "abc");
}

TEST(time_iso_round_trip_and_russian_dates)
{
    time_t t;
    CHECK(time_parse_iso("2026-09-01T05:00:00Z", &t));
    char iso[32];
    time_iso(iso, t);
    CHECK_EQ_STR(iso, "2026-09-01T05:00:00Z");
    char d[32];
    time_format_date(d, t, "ru");
    CHECK_EQ_STR(d, "01.09.2026");
    time_format_date(d, t, "en");
    CHECK_EQ_STR(d, "1 Sep 2026");
    /* 22:30 UTC on 31 Dec is already 1 Jan in Moscow */
    CHECK(time_parse_iso("2026-12-31T22:30:00Z", &t));
    time_format_date(d, t, "ru");
    CHECK_EQ_STR(d, "01.01.2027");
    CHECK(!time_parse_iso("2026-13-01T00:00:00Z", &t));
    CHECK(!time_parse_iso("2026-09-01 05:00:00", &t));
    CHECK(!time_parse_iso("2026-09-01T05:00:00Zjunk", &t));
}

TEST(errors_map_to_http_statuses)
{
    CHECK_EQ_INT(ibc_err_http_status(IBC_EINVAL), 400);
    CHECK_EQ_INT(ibc_err_http_status(IBC_ENOTFOUND), 404);
    CHECK_EQ_INT(ibc_err_http_status(IBC_EPERM), 403);
    CHECK_EQ_INT(ibc_err_http_status(IBC_ETOOBIG), 413);
    CHECK_EQ_INT(ibc_err_http_status(IBC_EDB), 500);
    CHECK_EQ_INT(ibc_err_http_status(-99), 500);
    CHECK_EQ_STR(ibc_err_name(IBC_ECONFLICT), "ECONFLICT");
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(ibc_fail_field(&err, IBC_EINVAL, "title", "нужно %d", 1),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "title");
    CHECK_EQ_STR(err.msg, "нужно 1");
    CHECK_EQ_INT(ibc_fail(NULL, IBC_EIO, "x"), IBC_EIO);
}

TEST(embedded_files_are_sorted_and_found)
{
    CHECK(embed_count > 0);
    for (size_t i = 1; i < embed_count; i++) {
        CHECK(strcmp(embed_files[i - 1].name, embed_files[i].name) < 0);
    }
    const struct embed_file *f = embed_find("web/templates/layout.html");
    CHECK(f != NULL);
    CHECK_CONTAINS((const char *)f->data, "<!DOCTYPE html>");
    CHECK(f->etag[0] == '"');
    CHECK(embed_find("web/templates/nope.html") == NULL);
}
