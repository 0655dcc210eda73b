/* ibc — tests of the language and low-vision preferences (web/prefs.c). */
#include "harness.h"
#include "web/prefs.h"

TEST(a11y_cookie_round_trip)
{
    struct a11y a;
    a11y_parse("s3-blue-i0-w1", &a);
    CHECK(a.on);
    CHECK_EQ_INT(a.size, 3);
    CHECK_EQ_INT(a.scheme, A11Y_SCHEME_BLUE);
    CHECK(!a.images);
    CHECK(a.wide);
    char out[16];
    a11y_format(&a, out);
    CHECK_EQ_STR(out, "s3-blue-i0-w1");
    struct arena *ar = arena_new();
    CHECK_EQ_STR(a11y_classes(ar, &a),
                 "a11y a11y-s3 a11y-blue a11y-noimg a11y-wide");
    a11y_parse("s1-wb-i1-w0", &a);
    CHECK_EQ_STR(a11y_classes(ar, &a), "a11y a11y-s1 a11y-wb");
    arena_free(ar);
}

TEST(a11y_cookie_junk_means_off)
{
    const char *bad[] = {"", "s4-bw-i1-w0", "s1-red-i1-w0", "s1-bw-i2-w0",
                         "s1-bw-i1-w0x", "s1-bw", "<script>", "s1-bw-i1-w1-"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct a11y a;
        a11y_parse(bad[i], &a);
        CHECK(!a.on);
        char out[16];
        a11y_format(&a, out);
        CHECK_EQ_STR(out, "");
    }
    struct a11y a;
    a11y_parse(NULL, &a);
    CHECK(!a.on);
}

static struct req *form_req(struct arena *ar, const char *body)
{
    struct req *r = arena_zalloc(ar, sizeof(*r));
    r->arena = ar;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(http_parse_urlencoded(ar, &r->form, body, strlen(body), &err),
                 0);
    return r;
}

TEST(a11y_form_applies_settings)
{
    struct arena *ar = arena_new();
    struct a11y a;
    a11y_parse("", &a);
    struct ibc_error err = IBC_ERROR_INIT;
    /* one button of the bar switches the version on */
    CHECK_EQ_INT(a11y_apply_form(form_req(ar, "size=2"), &a, &err), 0);
    CHECK(a.on);
    CHECK_EQ_INT(a.size, 2);
    CHECK_EQ_INT(a11y_apply_form(form_req(ar, "scheme=wb&images=0"), &a, &err),
                 0);
    CHECK_EQ_INT(a.scheme, A11Y_SCHEME_WB);
    CHECK(!a.images);
    /* the settings page sends a11y=off with the other radios: off wins */
    CHECK_EQ_INT(a11y_apply_form(
                     form_req(ar, "a11y=off&size=3&scheme=bw&images=1"), &a,
                     &err),
                 0);
    CHECK(!a.on);
    CHECK_EQ_INT(a11y_apply_form(form_req(ar, "size=9"), &a, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "size");
    CHECK_EQ_INT(a11y_apply_form(form_req(ar, "scheme=pink"), &a, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "scheme");
    CHECK_EQ_INT(a11y_apply_form(form_req(ar, "spacing=huge"), &a, &err),
                 IBC_EINVAL);
    CHECK_EQ_STR(err.field, "spacing");
    arena_free(ar);
}
