/* ibc — unit tests of the template engine: escaping in every HTML context
 * (with attack strings), sections, partials, messages, parse errors with
 * their lines, SVG mode. Each test asserts the exact bytes a browser gets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/i18n.h"
#include "core/arena.h"
#include "core/buf.h"
#include "harness.h"
#include "tpl/tpl.h"

/* ---- helpers ---- */

/* Messages for {{@key}}: a fixed table, ru and en. */
static const char *test_msg(void *ctx, const char *lang, const char *key)
{
    (void)ctx;
    static const char *const table[][3] = {
        {"ru", "hello", "Привет, {name}!"},
        {"en", "hello", "Hello, {name}!"},
        {"ru", "plain", "Книги & журналы"},
        {"ru", "only_ru", "Только по-русски"},
        {"ru", "q", "{q} и ещё"},
        {"ru", "nested", "{user.name} взял {count} книги"},
        {"ru", "braces", "{not closed {} {{name}} {name}"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(table[i][0], lang ? lang : "ru") == 0 &&
            strcmp(table[i][1], key) == 0) {
            return table[i][2];
        }
    }
    return NULL;
}

static struct buf results[4];
static int next_result;

/* Renders an already linked set; returns the output or "ERR <msg>". The
 * string stays valid for the next three calls. */
static const char *render_set(struct tpl_set *set, const char *name,
                              struct tpl_vm *vm, const char *lang)
{
    struct buf *b = &results[next_result++ % 4];
    buf_clear(b);
    struct ibc_error err = IBC_ERROR_INIT;
    if (tpl_render(set, name, vm, lang, b, &err) != 0) {
        buf_clear(b);
        buf_printf(b, "ERR %s", err.msg);
    }
    return buf_cstr(b);
}

/* Parses text as "t" from t.html (or the given file), links with test_msg
 * against ru, renders in lang. Returns output, or "ERR <msg>" on a parse,
 * link or render error. */
static const char *render_file(const char *file, const char *text,
                               struct tpl_vm *vm, const char *lang)
{
    struct tpl_set *set = tpl_set_new();
    struct ibc_error err = IBC_ERROR_INIT;
    const char *out;
    if (tpl_add(set, "t", file, text, strlen(text), &err) != 0 ||
        tpl_link(set, test_msg, NULL, "ru", &err) != 0) {
        struct buf *b = &results[next_result++ % 4];
        buf_clear(b);
        buf_printf(b, "ERR %s", err.msg);
        out = buf_cstr(b);
    } else {
        out = render_set(set, "t", vm, lang);
    }
    tpl_set_free(set);
    return out;
}

static const char *R(const char *text, struct tpl_vm *vm)
{
    return render_file("t.html", text, vm, "ru");
}

/* The parse error of text (as t.html), or "OK". */
static const char *perr_file(const char *file, const char *text)
{
    struct tpl_set *set = tpl_set_new();
    struct ibc_error err = IBC_ERROR_INIT;
    struct buf *b = &results[next_result++ % 4];
    buf_clear(b);
    int rc = tpl_add(set, "t", file, text, strlen(text), &err);
    if (rc == 0) {
        buf_puts(b, "OK");
    } else {
        buf_printf(b, "%s %s", ibc_err_name(rc), err.msg);
    }
    tpl_set_free(set);
    return buf_cstr(b);
}

static const char *perr(const char *text)
{
    return perr_file("t.html", text);
}

/* Renders {{v}} (in the given surrounding) with v = val. */
static const char *with_val(const char *text, const char *val)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "v", val);
    const char *out = R(text, vm);
    arena_free(a);
    return out;
}

__attribute__((destructor)) static void free_results(void)
{
    for (int i = 0; i < 4; i++) {
        buf_reset(&results[i]);
    }
}

/* ---- escaping, context by context ---- */

TEST(text_escapes_the_five)
{
    CHECK_EQ_STR(
        with_val("<p>{{v}}</p>", "<script>alert(\"x\") & 'y'</script>"),
        "<p>&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;"
        "&lt;/script&gt;</p>");
    CHECK_EQ_STR(with_val("{{v}}", "Война и мир — ёлка"), "Война и мир — ёлка");
    CHECK_EQ_STR(with_val("a{{v}}b", ""), "ab");
}

TEST(quoted_attribute_cannot_be_left)
{
    CHECK_EQ_STR(
        with_val("<a title=\"{{v}}\">x</a>", "\" onmouseover=\"alert(1)"),
        "<a title=\"&quot; onmouseover=&quot;alert(1)\">x</a>");
    CHECK_EQ_STR(with_val("<a title='{{v}}'>x</a>", "' onmouseover='alert(1)"),
                 "<a title='&#39; onmouseover=&#39;alert(1)'>x</a>");
    CHECK_EQ_STR(with_val("<input value=\"{{v}}\">", "a>b<c"),
                 "<input value=\"a&gt;b&lt;c\">");
    /* data-* attributes are ordinary ones, "data" alone is a URL. */
    CHECK_EQ_STR(with_val("<div data-id=\"{{v}}\"></div>", "javascript:x"),
                 "<div data-id=\"javascript:x\"></div>");
}

TEST(url_attribute_start_blocks_bad_schemes)
{
    const char *t = "<a href=\"{{v}}\">x</a>";
    CHECK_EQ_STR(with_val(t, "javascript:alert(1)"),
                 "<a href=\"#blocked\">x</a>");
    CHECK_EQ_STR(with_val(t, " JaVaScRiPt:alert(1)"),
                 "<a href=\"#blocked\">x</a>");
    CHECK_EQ_STR(with_val(t, "\x01\x02javascript:alert(1)"),
                 "<a href=\"#blocked\">x</a>");
    CHECK_EQ_STR(with_val(t, "java\tscr\nipt:alert(1)"),
                 "<a href=\"#blocked\">x</a>");
    CHECK_EQ_STR(with_val(t, "data:text/html,<script>alert(1)</script>"),
                 "<a href=\"#blocked\">x</a>");
    CHECK_EQ_STR(with_val(t, "vbscript:msgbox"), "<a href=\"#blocked\">x</a>");
    CHECK_EQ_STR(
        with_val(t, "https://example.org/?a=1&b=\"2\""),
        "<a href=\"https://example.org/?a=1&amp;b=&quot;2&quot;\">x</a>");
    CHECK_EQ_STR(with_val(t, "HTTP://EXAMPLE.ORG"),
                 "<a href=\"HTTP://EXAMPLE.ORG\">x</a>");
    CHECK_EQ_STR(with_val(t, "mailto:lib@school.ru"),
                 "<a href=\"mailto:lib@school.ru\">x</a>");
    CHECK_EQ_STR(with_val(t, "tel:+7 495 000"),
                 "<a href=\"tel:+7 495 000\">x</a>");
    CHECK_EQ_STR(with_val(t, "/books/12?x=a:b"),
                 "<a href=\"/books/12?x=a:b\">x</a>");
    CHECK_EQ_STR(with_val(t, "page:2"), "<a href=\"#blocked\">x</a>");
    CHECK_EQ_STR(with_val(t, ""), "<a href=\"\">x</a>");
    /* Leading blanks in the template do not move the start. */
    CHECK_EQ_STR(with_val("<a href=\"  {{v}}\">", "javascript:x"),
                 "<a href=\"  #blocked\">");
    /* Other URL attributes, any case. */
    CHECK_EQ_STR(with_val("<img SRC='{{v}}'>", "javascript:x"),
                 "<img SRC='#blocked'>");
    CHECK_EQ_STR(with_val("<form action=\"{{v}}\"></form>", "javascript:x"),
                 "<form action=\"#blocked\"></form>");
    CHECK_EQ_STR(
        with_val("<button formaction=\"{{v}}\"></button>", "javascript:x"),
        "<button formaction=\"#blocked\"></button>");
    CHECK_EQ_STR(with_val("<object data=\"{{v}}\"></object>", "javascript:x"),
                 "<object data=\"#blocked\"></object>");
}

TEST(url_attribute_later_is_percent_encoded)
{
    CHECK_EQ_STR(with_val("<a href=\"/search?q={{v}}\">", "a b&c/d:e\"<й"),
                 "<a href=\"/search?q=a%20b%26c%2Fd%3Ae%22%3C%D0%B9\">");
    CHECK_EQ_STR(with_val("<a href=\"x{{v}}\">", "javascript:alert(1)"),
                 "<a href=\"xjavascript%3Aalert%281%29\">");
    /* The second value in the same URL is "later" too. */
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "base", "/b");
    tpl_set_str(vm, "id", "1/2");
    CHECK_EQ_STR(R("<a href=\"{{base}}{{id}}\">", vm), "<a href=\"/b1%2F2\">");
    arena_free(a);
}

TEST(script_body_is_a_json_string)
{
    const char *t = "<script>var t = {{v}};</script>";
    CHECK_EQ_STR(with_val(t, "</script><script>alert(1)</script>"),
                 "<script>var t = \"\\u003c/script\\u003e\\u003cscript\\u003e"
                 "alert(1)\\u003c/script\\u003e\";</script>");
    CHECK_EQ_STR(with_val(t, "a\xE2\x80\xA8"
                             "b\xE2\x80\xA9"
                             "c"),
                 "<script>var t = \"a\\u2028b\\u2029c\";</script>");
    CHECK_EQ_STR(
        with_val(t, "\"quoted\" \\ & 'x'\n"),
        "<script>var t = \"\\\"quoted\\\" \\\\ \\u0026 'x'\\n\";</script>");
    CHECK_EQ_STR(with_val(t, "<!--"),
                 "<script>var t = \"\\u003c!--\";</script>");
    CHECK_EQ_STR(with_val(t, ""), "<script>var t = \"\";</script>");
    /* Missing values are empty strings, not a syntax error. */
    CHECK_EQ_STR(R("<script>f({{none}});</script>", NULL),
                 "<script>f(\"\");</script>");
    /* JSON data blocks use the same context. */
    CHECK_EQ_STR(with_val("<script type=\"application/json\">{\"t\":{{v}}}"
                          "</script>",
                          "<b>"),
                 "<script type=\"application/json\">{\"t\":\"\\u003cb\\u003e\"}"
                 "</script>");
    /* After </script> we are back in text. */
    CHECK_EQ_STR(with_val("<script>x()</script>{{v}}", "<i>"),
                 "<script>x()</script>&lt;i&gt;");
    /* A </scripty> is not the end. */
    CHECK_EQ_STR(with_val("<script>a</scripty>{{v}}</script>", "<"),
                 "<script>a</scripty>\"\\u003c\"</script>");
}

TEST(script_types)
{
    /* JavaScript and JSON types get JSON string literals… */
    CHECK_EQ_STR(with_val("<script type=\"module\">f({{v}})</script>", "<"),
                 "<script type=\"module\">f(\"\\u003c\")</script>");
    CHECK_EQ_STR(
        with_val("<script type='Application/LD+JSON '>{{v}}</script>", "x"),
        "<script type='Application/LD+JSON '>\"x\"</script>");
    CHECK_EQ_STR(
        with_val("<script async type=text/javascript>{{v}}</script>", "x"),
        "<script async type=text/javascript>\"x\"</script>");
    CHECK_EQ_STR(with_val("<script type=\"\">{{v}}</script>", "x"),
                 "<script type=\"\">\"x\"</script>");
    /* …other types are data that scripts insert as HTML: refused. */
    CHECK_EQ_STR(perr("<script type=\"text/template\">\n<a title=\"{{t}}\">"
                      "</script>"),
                 "EPARSE t.html:2: {{t}}: values are not allowed inside a "
                 "<script> whose type is not JavaScript or JSON");
    CHECK_EQ_STR(perr("<script type=\"text/html\" type=\"module\">{{t}}"
                      "</script>"),
                 "EPARSE t.html:1: {{t}}: values are not allowed inside a "
                 "<script> whose type is not JavaScript or JSON");
    CHECK_EQ_STR(perr("<script type=\"{{t}}\"></script>"),
                 "EPARSE t.html:1: {{t}}: values are not allowed in the type "
                 "of a <script>");
    /* Without values, any type is fine, and the script ends as usual. */
    CHECK_EQ_STR(with_val("<script type=\"text/x-tpl\"><b></script>{{v}}", "<"),
                 "<script type=\"text/x-tpl\"><b></script>&lt;");
}

TEST(rcdata_title_and_textarea)
{
    CHECK_EQ_STR(with_val("<title>{{v}}</title>", "</title><script>alert(1)"),
                 "<title>&lt;/title&gt;&lt;script&gt;alert(1)</title>");
    CHECK_EQ_STR(
        with_val("<textarea name=\"t\">{{v}}</textarea>", "</textarea><b>x"),
        "<textarea name=\"t\">&lt;/textarea&gt;&lt;b&gt;x</textarea>");
    /* Inside RCDATA, markup is text: no URL checks apply to it. */
    CHECK_EQ_STR(with_val("<title><a href=\"{{v}}\"></title>", "javascript:x"),
                 "<title><a href=\"javascript:x\"></title>");
}

TEST(raw_only_for_trusted_html)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_html(vm, "h", "<b>bold</b>");
    tpl_set_str(vm, "s", "<b>str</b>");
    CHECK_EQ_STR(R("{{{h}}}|{{h}}|{{{s}}}", vm),
                 "<b>bold</b>|&lt;b&gt;bold&lt;/b&gt;|&lt;b&gt;str&lt;/b&gt;");
    CHECK_EQ_STR(R("<p title=\"{{{h}}}\">", vm), "<p title=\"<b>bold</b>\">");
    /* In <script>, trusted text (e.g. from the JSON writer) goes as is. */
    tpl_set_html(vm, "json", "{\"a\":1}");
    CHECK_EQ_STR(R("<script>var d = {{{json}}};</script>", vm),
                 "<script>var d = {\"a\":1};</script>");
    CHECK_EQ_STR(R("{{{ h }}}", vm), "<b>bold</b>");
    arena_free(a);
}

TEST(values_of_every_type)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_int(vm, "n", 42);
    tpl_set_int(vm, "neg", -9223372036854775807LL - 1);
    tpl_set_bool(vm, "yes", true);
    tpl_set_bool(vm, "no", false);
    tpl_set_strf(vm, "f", "%d книг из %s", 3, "<10>");
    tpl_obj(vm, "o");
    tpl_list_add(vm, "l");
    CHECK_EQ_STR(
        R("{{n}} {{neg}} {{yes}} {{no}} {{f}} [{{o}}] [{{l}}] "
          "[{{missing}}] [{{missing.deeper}}]",
          vm),
        "42 -9223372036854775808 true false 3 книг из &lt;10&gt; [] [] "
        "[] []");
    /* Setting a key again replaces its value. */
    tpl_set_str(vm, "n", "forty-two");
    CHECK_EQ_STR(R("{{n}}", vm), "forty-two");
    tpl_set_str(vm, "nul", NULL);
    CHECK_EQ_STR(R("[{{nul}}]{{#nul}}shown{{/nul}}", vm), "[]");
    arena_free(a);
}

/* ---- sections ---- */

TEST(section_over_list_of_objects)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "school", "Школа №1");
    const char *titles[] = {"Азбука", "<Букварь>", "Война & мир"};
    for (int i = 0; i < 3; i++) {
        struct tpl_vm *b = tpl_list_add(vm, "books");
        tpl_set_str(b, "title", titles[i]);
        tpl_set_int(b, "id", i + 1);
    }
    CHECK_EQ_STR(
        R("<ul>{{#books}}<li><a href=\"/b/{{id}}\">{{title}}</a> "
          "({{school}})</li>{{/books}}</ul>",
          vm),
        "<ul><li><a href=\"/b/1\">Азбука</a> (Школа №1)</li>"
        "<li><a href=\"/b/2\">&lt;Букварь&gt;</a> (Школа №1)</li>"
        "<li><a href=\"/b/3\">Война &amp; мир</a> (Школа №1)</li></ul>");
    arena_free(a);
}

TEST(section_objects_bools_strings)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    struct tpl_vm *u = tpl_obj(vm, "user");
    tpl_set_str(u, "name", "Аня");
    CHECK(tpl_obj(vm, "user") == u);
    tpl_set_bool(vm, "t", true);
    tpl_set_bool(vm, "f", false);
    tpl_set_str(vm, "s", "строка");
    tpl_set_str(vm, "empty", "");
    tpl_set_int(vm, "zero", 0);
    tpl_set_int(vm, "one", 1);
    tpl_obj(vm, "emptyobj");
    CHECK_EQ_STR(R("{{#user}}[{{name}}]{{/user}}"
                   "{{#t}}T{{/t}}{{#f}}F{{/f}}"
                   "{{#s}}({{.}}){{/s}}{{#empty}}E{{/empty}}"
                   "{{#zero}}0{{/zero}}{{#one}}1{{/one}}"
                   "{{#emptyobj}}O{{/emptyobj}}{{#missing}}M{{/missing}}",
                   vm),
                 "[Аня]T(строка)1O");
    CHECK_EQ_STR(R("{{^user}}a{{/user}}{{^t}}b{{/t}}{{^f}}c{{/f}}"
                   "{{^empty}}d{{/empty}}{{^zero}}e{{/zero}}"
                   "{{^missing}}g{{/missing}}",
                   vm),
                 "cdeg");
    arena_free(a);
}

TEST(empty_and_declared_lists)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_list(vm, "loans");
    const char *t = "{{#loans}}<li>{{title}}</li>{{/loans}}"
                    "{{^loans}}<p>Нет выдач</p>{{/loans}}";
    CHECK_EQ_STR(R(t, vm), "<p>Нет выдач</p>");
    tpl_set_str(tpl_list_add(vm, "loans"), "title", "Азбука");
    tpl_list(vm, "loans"); /* keeps the items */
    CHECK_EQ_STR(R(t, vm), "<li>Азбука</li>");
    CHECK_EQ_STR(R(t, NULL), "<p>Нет выдач</p>");
    arena_free(a);
}

TEST(lists_of_strings_and_dot)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_list_add_str(vm, "tags", "поэзия");
    tpl_list_add_str(vm, "tags", "<xss>");
    tpl_list_add_str(vm, "tags", NULL);
    CHECK_EQ_STR(R("{{#tags}}[{{.}}]{{/tags}}", vm), "[поэзия][&lt;xss&gt;][]");
    CHECK_EQ_STR(R("{{#tags}}<a href=\"/t/{{.}}\">{{/tags}}", vm),
                 "<a href=\"/t/%D0%BF%D0%BE%D1%8D%D0%B7%D0%B8%D1%8F\">"
                 "<a href=\"/t/%3Cxss%3E\"><a href=\"/t/\">");
    arena_free(a);
}

TEST(nested_lists_walk_outward)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "sep", ",");
    for (int i = 0; i < 2; i++) {
        struct tpl_vm *s = tpl_list_add(vm, "shelves");
        tpl_set_int(s, "n", i);
        for (int j = 0; j < 2; j++) {
            struct tpl_vm *b = tpl_list_add(s, "books");
            tpl_set_int(b, "id", j);
        }
    }
    CHECK_EQ_STR(R("{{#shelves}}{{#books}}{{n}}.{{id}}{{sep}}{{/books}}"
                   "{{/shelves}}",
                   vm),
                 "0.0,0.1,1.0,1.1,");
    arena_free(a);
}

TEST(dotted_names)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    struct tpl_vm *u = tpl_obj(vm, "user");
    tpl_set_str(u, "name", "Иван");
    tpl_set_str(tpl_obj(u, "school"), "name", "Школа <2>");
    struct tpl_vm *in = tpl_obj(vm, "inner");
    tpl_obj(in, "user"); /* a user without a name */
    CHECK_EQ_STR(R("{{user.name}} / {{user.school.name}} / [{{user.nope}}] "
                   "[{{nope.name}}] [{{user.name.deeper}}]",
                   vm),
                 "Иван / Школа &lt;2&gt; / [] [] []");
    /* Only the first segment walks outward (Mustache): inner.user has no
     * name, so the outer user's name is not used. */
    CHECK_EQ_STR(R("{{#inner}}[{{user.name}}]{{/inner}}", vm), "[]");
    CHECK_EQ_STR(R("{{#user.school}}{{name}}{{/user.school}}", vm),
                 "Школа &lt;2&gt;");
    arena_free(a);
}

TEST(standalone_lines_and_trimmed_names)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_list_add_str(vm, "items", "a");
    tpl_list_add_str(vm, "items", "b");
    CHECK_EQ_STR(R("<ul>\n"
                   "  {{#items}}\n"
                   "  <li>{{.}}</li>\n"
                   "  {{/items}}\n"
                   "  {{! a comment line }}\n"
                   "</ul>\n",
                   vm),
                 "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n");
    /* Not standalone: two tags, or text, on the line. */
    CHECK_EQ_STR(R("x {{#items}}{{.}}{{/items}} y\n", vm), "x ab y\n");
    CHECK_EQ_STR(R("{{# items }}{{ . }}{{/ items }}|{{  items.x  }}|\r\n", vm),
                 "ab||\r\n");
    CHECK_EQ_STR(R("a\r\n  {{#items}}\r\n{{.}}\r\n{{/items}}\r\nz", vm),
                 "a\r\na\r\nb\r\nz");
    CHECK_EQ_STR(R("{{!\n multi-line\n comment }}ok", vm), "ok");
    arena_free(a);
}

/* ---- partials ---- */

static struct tpl_set *set_of(const char *const *files, size_t n,
                              struct ibc_error *err, int *rc)
{
    struct tpl_set *set = tpl_set_new();
    *rc = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        char name[64];
        snprintf(name, sizeof(name), "%s", files[i]);
        char *dot = strrchr(name, '.');
        if (dot) {
            *dot = '\0';
        }
        *rc = tpl_add(set, name, files[i], files[i + 1], strlen(files[i + 1]),
                      err);
        if (*rc) {
            return set;
        }
    }
    *rc = tpl_link(set, test_msg, NULL, "ru", err);
    return set;
}

TEST(partials_share_the_context)
{
    const char *files[] = {
        "page.html",
        ("<main>{{> header}}{{#books}}{{> book/row}}{{/books}}"
         "</main>\n"),
        "header.html",
        "<h1>{{title}}</h1>\n",
        "book/row.html",
        "<p>{{title}} — {{site}}</p>\n",
    };
    struct ibc_error err = IBC_ERROR_INIT;
    int rc;
    struct tpl_set *set = set_of(files, 6, &err, &rc);
    CHECK_EQ_STR(err.msg, "");
    CHECK_EQ_INT(rc, 0);
    CHECK(tpl_exists(set, "book/row"));
    CHECK(!tpl_exists(set, "book/row.html"));
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "title", "Каталог");
    tpl_set_str(vm, "site", "ИБЦ");
    tpl_set_str(tpl_list_add(vm, "books"), "title", "<Азбука>");
    tpl_set_str(tpl_list_add(vm, "books"), "title", "Букварь");
    CHECK_EQ_STR(render_set(set, "page", vm, "ru"),
                 "<main><h1>Каталог</h1>\n<p>&lt;Азбука&gt; — ИБЦ</p>\n"
                 "<p>Букварь — ИБЦ</p>\n</main>\n");
    arena_free(a);
    tpl_set_free(set);
}

TEST(partial_missing_fails_link_and_render)
{
    const char *files[] = {"page.html", "a\nb {{> nope}}\n"};
    struct ibc_error err = IBC_ERROR_INIT;
    int rc;
    struct tpl_set *set = set_of(files, 2, &err, &rc);
    CHECK_EQ_INT(rc, IBC_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "page.html:2: {{> nope}}: no such template");
    /* Rendering anyway resolves by name and fails the same way, leaving
     * the output buffer as it was. */
    struct buf out = BUF_INIT;
    buf_puts(&out, "kept");
    ibc_error_clear(&err);
    CHECK_EQ_INT(tpl_render(set, "page", NULL, "ru", &out, &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "page.html:2: {{> nope}}: no such template");
    CHECK_EQ_STR(buf_cstr(&out), "kept");
    ibc_error_clear(&err);
    CHECK_EQ_INT(tpl_render(set, "nothing", NULL, "ru", &out, &err),
                 IBC_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "no template 'nothing'");
    buf_reset(&out);
    tpl_set_free(set);
}

TEST(partial_recursion_is_limited)
{
    const char *files[] = {"loop.html", "x{{> loop}}", "a.html",
                           "{{> b}}",   "b.html",      "{{> a}}"};
    struct ibc_error err = IBC_ERROR_INIT;
    int rc;
    struct tpl_set *set = set_of(files, 6, &err, &rc);
    CHECK_EQ_INT(rc, 0);
    struct buf out = BUF_INIT;
    buf_puts(&out, "before|");
    CHECK_EQ_INT(tpl_render(set, "loop", NULL, "ru", &out, &err),
                 IBC_EINTERNAL);
    CHECK_EQ_STR(err.msg, "loop.html:1: {{> loop}}: partials nested deeper "
                          "than 16");
    CHECK_EQ_STR(buf_cstr(&out), "before|");
    CHECK_EQ_INT(tpl_render(set, "a", NULL, "ru", &out, &err), IBC_EINTERNAL);
    buf_reset(&out);
    tpl_set_free(set);
}

TEST(partial_recursion_over_a_tree)
{
    const char *files[] = {"tree.html",
                           ("<ul>{{#children}}<li>{{name}}{{> tree}}</li>"
                            "{{/children}}</ul>")};
    struct ibc_error err = IBC_ERROR_INIT;
    int rc;
    struct tpl_set *set = set_of(files, 2, &err, &rc);
    CHECK_EQ_INT(rc, 0);
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    struct tpl_vm *n1 = tpl_list_add(vm, "children");
    tpl_set_str(n1, "name", "Наука");
    struct tpl_vm *n2 = tpl_list_add(n1, "children");
    tpl_set_str(n2, "name", "Физика");
    tpl_list(n2, "children");
    CHECK_EQ_STR(render_set(set, "tree", vm, "ru"),
                 "<ul><li>Наука<ul><li>Физика<ul></ul></li></ul></li></ul>");
    arena_free(a);
    tpl_set_free(set);
}

TEST(partial_only_in_text)
{
    CHECK_EQ_STR(perr("<a href=\"{{> x}}\">"),
                 "EPARSE t.html:1: {{>x}}: a partial may only stand in text, "
                 "not in a URL attribute value");
    CHECK_EQ_STR(perr("<script>\n{{> x}}</script>"),
                 "EPARSE t.html:2: {{>x}}: a partial may only stand in text, "
                 "not in <script>");
}

TEST(duplicate_template_name)
{
    struct tpl_set *set = tpl_set_new();
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(tpl_add(set, "x", "web/templates/x.html", "a", 1, &err), 0);
    CHECK_EQ_INT(tpl_add(set, "x", "web/templates/x.svg", "b", 1, &err),
                 IBC_ECONFLICT);
    CHECK_EQ_STR(err.msg, "web/templates/x.svg: template 'x' already comes "
                          "from web/templates/x.html");
    CHECK_EQ_INT(tpl_add(set, "", "e.html", "b", 1, &err), IBC_EINVAL);
    tpl_set_free(set);
    tpl_set_free(NULL);
}

/* ---- messages ---- */

TEST(messages_with_placeholders)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "name", "<Маша>");
    tpl_set_str(vm, "q", "a&b c");
    tpl_set_str(tpl_obj(vm, "user"), "name", "Петя");
    tpl_set_int(vm, "count", 3);
    CHECK_EQ_STR(render_file("t.html", "<p>{{@hello}}</p>", vm, "ru"),
                 "<p>Привет, &lt;Маша&gt;!</p>");
    CHECK_EQ_STR(render_file("t.html", "<p>{{@hello}}</p>", vm, "en"),
                 "<p>Hello, &lt;Маша&gt;!</p>");
    CHECK_EQ_STR(R("<input placeholder=\"{{@plain}}\">", vm),
                 "<input placeholder=\"Книги &amp; журналы\">");
    CHECK_EQ_STR(R("<script>alert({{@hello}})</script>", vm),
                 "<script>alert(\"Привет, \\u003cМаша\\u003e!\")</script>");
    CHECK_EQ_STR(R("<a href=\"/s?q={{@q}}\">", vm),
                 "<a href=\"/s?q=a%26b%20c%20%D0%B8%20%D0%B5%D1%89%D1%91\">");
    CHECK_EQ_STR(R("{{@nested}}", vm), "Петя взял 3 книги");
    /* A lone '{', '{}' and '{{…}}' stay literal; unknown names are empty. */
    CHECK_EQ_STR(R("{{@braces}}", vm),
                 "{not closed {} {&lt;Маша&gt;} &lt;Маша&gt;");
    /* Placeholders resolve in the section's context. */
    tpl_set_str(tpl_list_add(vm, "people"), "name", "Оля");
    CHECK_EQ_STR(R("{{#people}}{{@hello}}{{/people}}", vm), "Привет, Оля!");
    arena_free(a);
}

TEST(messages_fall_back_to_the_key)
{
    /* Linked against ru, rendered in en where the key is unknown. */
    CHECK_EQ_STR(render_file("t.html", "{{@only_ru}}", NULL, "en"), "only_ru");
    CHECK_EQ_STR(render_file("t.html", "{{@only_ru}}", NULL, "ru"),
                 "Только по-русски");
    /* Without a message function, keys are written. */
    struct tpl_set *set = tpl_set_new();
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(tpl_add(set, "t", "t.html", "{{@some.key}}", 13, &err), 0);
    CHECK_EQ_INT(tpl_link(set, NULL, NULL, NULL, &err), 0);
    CHECK_EQ_STR(render_set(set, "t", NULL, "ru"), "some.key");
    tpl_set_free(set);
}

TEST(messages_missing_in_check_language_fail_link)
{
    CHECK_EQ_STR(R("<p>\n{{@hello}}\n<b>{{@no.such-key}}</b></p>", NULL),
                 "ERR t.html:3: {{@no.such-key}}: no message 'no.such-key' "
                 "in the 'ru' catalogue");
    CHECK_EQ_STR(perr("{{@Bad Key}}"),
                 "EPARSE t.html:1: bad message key in {{@Bad Key}}: keys use "
                 "a-z 0-9 _ . -");
}

static const char *i18n_msg(void *ctx, const char *lang, const char *key)
{
    return i18n_get(ctx, lang, key);
}

TEST(messages_from_i18n_catalogues)
{
    struct i18n *i = i18n_new();
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(i18n_parse(i, "ru",
                            "t.greet = Здравствуйте, {name}!\n"
                            "t.only = Только ru\n",
                            &err),
                 0);
    CHECK_EQ_INT(i18n_parse(i, "en", "t.greet = Hello, {name}!\n", &err), 0);
    struct tpl_set *set = tpl_set_new();
    const char *text = "{{@t.greet}} {{@t.only}}";
    CHECK_EQ_INT(tpl_add(set, "t", "t.html", text, strlen(text), &err), 0);
    CHECK_EQ_INT(tpl_link(set, i18n_msg, i, "ru", &err), 0);
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "name", "Ann & Bob");
    CHECK_EQ_STR(render_set(set, "t", vm, "en"),
                 "Hello, Ann &amp; Bob! Только ru");
    CHECK_EQ_STR(render_set(set, "t", vm, "ru"),
                 "Здравствуйте, Ann &amp; Bob! Только ru");
    CHECK_EQ_STR(render_set(set, "t", vm, NULL),
                 "Здравствуйте, Ann &amp; Bob! Только ru");
    arena_free(a);
    tpl_set_free(set);
    i18n_free(i);
}

/* ---- parse errors, each with its line ---- */

TEST(errors_unterminated_and_bad_tags)
{
    CHECK_EQ_STR(perr("a\nb\nc {{name\n"),
                 "EPARSE t.html:3: unterminated {{: no }} follows");
    CHECK_EQ_STR(perr("a\n{{{name}}\n"),
                 "EPARSE t.html:2: unterminated {{{: no }}} follows");
    CHECK_EQ_STR(perr("{{}}"), "EPARSE t.html:1: empty tag {{}}");
    CHECK_EQ_STR(perr("\n{{# }}"), "EPARSE t.html:2: empty tag {{#}}");
    CHECK_EQ_STR(perr("{{a b}}"),
                 "EPARSE t.html:1: bad name in {{a b}}: names use A-Z a-z 0-9 "
                 "_ - joined by dots");
    CHECK_EQ_STR(perr("{{a..b}}"),
                 "EPARSE t.html:1: bad name in {{a..b}}: names use A-Z a-z 0-9 "
                 "_ - joined by dots");
    CHECK_EQ_STR(perr("{{#.a}}{{/.a}}"),
                 "EPARSE t.html:1: bad name in {{#.a}}: names use A-Z a-z 0-9 "
                 "_ - joined by dots");
    CHECK_EQ_STR(perr("\n\n{{&raw}}"),
                 "EPARSE t.html:3: {{&…}} is not supported (see "
                 "docs/TEMPLATES.md)");
    CHECK_EQ_STR(perr("{{=<% %>=}}"),
                 "EPARSE t.html:1: {{=…}} is not supported (see "
                 "docs/TEMPLATES.md)");
    CHECK_EQ_STR(perr("{{> bad name}}"),
                 "EPARSE t.html:1: bad name in {{>bad name}}: names use A-Z "
                 "a-z 0-9 _ - joined by dots");
    /* Lines count newlines inside tags and comments too. */
    CHECK_EQ_STR(perr("{{!\n\n}}{{#a\n}}\n{{b"),
                 "EPARSE t.html:5: unterminated {{: no }} follows");
}

TEST(errors_unbalanced_sections)
{
    CHECK_EQ_STR(perr("{{#a}}\nx\n{{/b}}"),
                 "EPARSE t.html:3: {{/b}} does not match {{#a}} opened on "
                 "line 1");
    CHECK_EQ_STR(perr("x\n{{/a}}"), "EPARSE t.html:2: {{/a}} closes nothing");
    CHECK_EQ_STR(perr("x\n{{^a}}\n{{#b}}{{/b}}\n"),
                 "EPARSE t.html:2: {{^a}} is never closed");
    CHECK_EQ_STR(perr("{{#a}}{{#b}}{{/a}}{{/b}}"),
                 "EPARSE t.html:1: {{/a}} does not match {{#b}} opened on "
                 "line 1");
    struct buf deep = BUF_INIT;
    for (int i = 0; i < 65; i++) {
        buf_puts(&deep, "{{#a}}");
    }
    CHECK_EQ_STR(perr(buf_cstr(&deep)),
                 "EPARSE t.html:1: {{#a}}: sections nested deeper than 64");
    buf_reset(&deep);
}

TEST(errors_forbidden_contexts)
{
    CHECK_EQ_STR(perr("<style>\nbody { color: {{c}} }\n</style>"),
                 "EPARSE t.html:2: {{c}}: values are not allowed inside "
                 "<style>");
    CHECK_EQ_STR(perr("<p\n style=\"color: {{c}}\">"),
                 "EPARSE t.html:2: {{c}}: values are not allowed in a style "
                 "attribute: use a class");
    CHECK_EQ_STR(perr("<button onclick=\"go('{{c}}')\">"),
                 "EPARSE t.html:1: {{c}}: values are not allowed in an event "
                 "handler attribute (on…): pass data in a data-* attribute");
    CHECK_EQ_STR(perr("<body ONLOAD='{{c}}'>"),
                 "EPARSE t.html:1: {{c}}: values are not allowed in an event "
                 "handler attribute (on…): pass data in a data-* attribute");
    CHECK_EQ_STR(perr("<a href={{u}}>"),
                 "EPARSE t.html:1: {{u}}: a value in an unquoted attribute: "
                 "put the attribute value in double quotes");
    CHECK_EQ_STR(perr("<a title=x{{u}}>"),
                 "EPARSE t.html:1: {{u}}: a value in an unquoted attribute: "
                 "put the attribute value in double quotes");
    CHECK_EQ_STR(perr("a\n<!-- {{secret}} -->"),
                 "EPARSE t.html:2: {{secret}}: values are not allowed inside "
                 "an HTML comment, doctype or <!…> declaration (use {{! }} for "
                 "template comments)");
    CHECK_EQ_STR(perr("<!-- {{@hello}} -->"),
                 "EPARSE t.html:1: {{@hello}}: values are not allowed inside "
                 "an HTML comment, doctype or <!…> declaration (use {{! }} for "
                 "template comments)");
    CHECK_EQ_STR(perr("<{{tag}}>"),
                 "EPARSE t.html:1: {{tag}}: a value right after '<': write "
                 "&lt; for a literal '<'");
    CHECK_EQ_STR(perr("<input {{attrs}}>"),
                 "EPARSE t.html:1: {{attrs}}: a value inside a tag: values may "
                 "only stand in text or in a quoted attribute value");
    CHECK_EQ_STR(perr("<iframe srcdoc=\"{{h}}\"></iframe>"),
                 "EPARSE t.html:1: {{h}}: values are not allowed in a srcdoc "
                 "attribute");
    CHECK_EQ_STR(perr("<a href=\"{{{u}}}\">"),
                 "EPARSE t.html:1: {{{u}}}: {{{ }}} is not allowed in a URL "
                 "attribute: use {{ }}");
    CHECK_EQ_STR(perr("<title>{{{t}}}</title>"),
                 "EPARSE t.html:1: {{{t}}}: {{{ }}} is not allowed inside "
                 "<title> or <textarea>: use {{ }}");
    CHECK_EQ_STR(perr("<script>var s = \"{{s}}\";</script>"),
                 "EPARSE t.html:1: {{s}}: inside <script> a value is written "
                 "as a quoted JSON string: remove the quotes around the tag");
    CHECK_EQ_STR(perr("<script>\nif (a <!--b) {}</script>"),
                 "EPARSE t.html:2: '<!' inside <script> is not supported "
                 "(write '< !' or move the script to a file)");
    CHECK_EQ_STR(perr("<xmp>{{x}}</xmp>"),
                 "EPARSE t.html:1: {{x}}: values are not allowed inside <xmp>, "
                 "<iframe>, <noembed>, <noframes> or <plaintext>");
    /* Comments end where browsers end them. */
    CHECK_EQ_STR(perr("<!-->{{a}}<!--->{{b}}<!-- --!>{{c}}<!---->{{d}}"), "OK");
    CHECK_EQ_STR(perr("<!-- -- > {{a}} -->"),
                 "EPARSE t.html:1: {{a}}: values are not allowed inside an "
                 "HTML comment, doctype or <!…> declaration (use {{! }} for "
                 "template comments)");
    CHECK_EQ_STR(perr("<!DOCTYPE html>{{a}}<?x y?>{{b}}</ x>{{c}}"), "OK");
}

TEST(errors_sections_must_keep_context)
{
    CHECK_EQ_STR(perr("{{#a}}<a href=\"{{/a}}\">"),
                 "EPARSE t.html:1: {{/a}}: the section ends in a URL "
                 "attribute value but began in text on line 1; a section must "
                 "end in the HTML context it began in");
    CHECK_EQ_STR(perr("\n{{#a}}<script>{{/a}}x</script>"),
                 "EPARSE t.html:2: {{/a}}: the section ends in <script> but "
                 "began in text on line 2; a section must end in the HTML "
                 "context it began in");
    CHECK_EQ_STR(perr("<scr{{#a}}ipt{{/a}}>"),
                 "EPARSE t.html:1: {{/a}}: the section ends in a tag but began "
                 "in a tag on line 1; a section must end in the HTML context "
                 "it began in");
    /* An optional attribute: fine, and what follows is checked. */
    CHECK_EQ_STR(perr("<a {{#x}}href{{/x}}=\"{{u}}\">"),
                 "EPARSE t.html:1: after a {{/section}} inside a tag, write a "
                 "space, '/' or '>' (it is unclear which attribute this text "
                 "belongs to)");
    /* Rendered, " =" would give the value to title; skipped, it would
     * start an attribute named "=": refused either way. */
    CHECK_EQ_STR(perr("<a{{#x}} title{{/x}} =\"a>b\" href=\"{{u}}\">"),
                 "EPARSE t.html:1: '=' after a {{/section}} inside a tag: it "
                 "is unclear which attribute the value belongs to");
    CHECK_EQ_STR(perr("<a{{#x}} title=\"t\"{{/x}}{{v}}>"),
                 "EPARSE t.html:1: {{v}}: a value inside a tag: values may "
                 "only stand in text or in a quoted attribute value");
}

TEST(errors_template_end_and_utf8)
{
    CHECK_EQ_STR(perr("<p>\n<a href=\"x"),
                 "EPARSE t.html:2: the template ends inside a URL attribute "
                 "value");
    CHECK_EQ_STR(perr("<script>\nx\n"),
                 "EPARSE t.html:3: the template ends inside <script>");
    CHECK_EQ_STR(perr("<!-- open"),
                 "EPARSE t.html:1: the template ends inside an HTML comment "
                 "or declaration");
    CHECK_EQ_STR(perr("<svg><g>"),
                 "EPARSE t.html:1: the template ends inside text inside "
                 "<svg>/<math>");
    CHECK_EQ_STR(perr("ok\nok\n\xC3(bad"),
                 "EPARSE t.html:3: invalid UTF-8 or a NUL byte");
    struct tpl_set *set = tpl_set_new();
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(tpl_add(set, "t", "t.html", "a\0b", 3, &err), IBC_EPARSE);
    CHECK_EQ_STR(err.msg, "t.html:1: invalid UTF-8 or a NUL byte");
    tpl_set_free(set);
}

/* ---- sections inside tags and URLs ---- */

TEST(optional_attributes)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_bool(vm, "sel", true);
    tpl_set_bool(vm, "dis", false);
    const char *t = "<option value=\"1\"{{#sel}} selected{{/sel}}"
                    "{{#dis}} disabled{{/dis}}>x</option>"
                    "<option{{#sel}} selected{{/sel}}>{{v}}</option>";
    tpl_set_str(vm, "v", "<y>");
    CHECK_EQ_STR(R(t, vm), "<option value=\"1\" selected>x</option>"
                           "<option selected>&lt;y&gt;</option>");
    tpl_set_bool(vm, "sel", false);
    CHECK_EQ_STR(R(t, vm), "<option value=\"1\">x</option>"
                           "<option>&lt;y&gt;</option>");
    /* Optional attributes followed by ordinary ones. */
    CHECK_EQ_STR(R("<input{{#sel}} required{{/sel}} name=\"{{v}}\""
                   "{{#dis}} disabled{{/dis}} {{#sel}}checked{{/sel}}/>",
                   vm),
                 "<input name=\"&lt;y&gt;\" />");
    /* A class list built with sections stays an attribute value. */
    CHECK_EQ_STR(R("<li class=\"item{{#sel}} on{{/sel}}{{^sel}} off{{/sel}}\""
                   " title=\"{{v}}\">",
                   vm),
                 "<li class=\"item off\" title=\"&lt;y&gt;\">");
    arena_free(a);
}

TEST(url_after_a_section_is_later)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_bool(vm, "abs", false);
    tpl_set_str(vm, "u", "javascript:alert(1)");
    /* Whether or not the section ran, {{u}} is not at the start: it is
     * percent-encoded, so it can never bring its own scheme. */
    CHECK_EQ_STR(R("<a href=\"{{#abs}}https://x.ru/{{/abs}}{{u}}\">", vm),
                 "<a href=\"javascript%3Aalert%281%29\">");
    arena_free(a);
}

/* ---- SVG ---- */

TEST(svg_mode)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "t", "<&'\">");
    tpl_set_str(vm, "u", "javascript:alert(1)");
    const char *t = "<?xml version=\"1.0\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                    "xmlns:xlink=\"http://www.w3.org/1999/xlink\">"
                    "<title>{{t}}</title><text x=\"1\">{{t}}</text>"
                    "<a xlink:href=\"{{u}}\"><rect/></a>"
                    "<a href=\"{{u}}\"/></svg>\n";
    CHECK_EQ_STR(render_file("t.svg", t, vm, "ru"),
                 "<?xml version=\"1.0\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                 "xmlns:xlink=\"http://www.w3.org/1999/xlink\">"
                 "<title>&lt;&amp;&#39;&quot;&gt;</title>"
                 "<text x=\"1\">&lt;&amp;&#39;&quot;&gt;</text>"
                 "<a xlink:href=\"#blocked\"><rect/></a>"
                 "<a href=\"#blocked\"/></svg>\n");
    /* In SVG, <title> is an ordinary element: markup in it is markup, so
     * URL checks apply (in HTML it would be RCDATA). */
    CHECK_EQ_STR(render_file("t.svg",
                             "<svg><title><a href=\"{{u}}\"/></title>"
                             "</svg>",
                             vm, "ru"),
                 "<svg><title><a href=\"#blocked\"/></title></svg>");
    CHECK_EQ_STR(perr_file("t.svg", "<svg><script>{{x}}</script></svg>"),
                 "EPARSE t.svg:1: {{x}}: values are not allowed inside "
                 "<script> or <style> in SVG");
    CHECK_EQ_STR(perr_file("t.svg", "<svg><![CDATA[ {{x}} ]]></svg>"),
                 "EPARSE t.svg:1: {{x}}: values are not allowed inside a CDATA "
                 "section");
    CHECK_EQ_STR(perr_file("t.svg", "<svg><![CDATA[ x ]]>{{x}}<script/>{{y}}"
                                    "</svg>"),
                 "OK");
    /* SVG animation can set href: its value attributes are URLs. */
    CHECK_EQ_STR(render_file("t.svg",
                             "<svg><a><animate attributeName=\"href\" "
                             "values=\"{{u}}\" to='{{u}}'/></a></svg>",
                             vm, "ru"),
                 "<svg><a><animate attributeName=\"href\" values=\"#blocked\" "
                 "to='#blocked'/></a></svg>");
    arena_free(a);
}

TEST(inline_svg_in_html)
{
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "u", "javascript:alert(1)");
    /* Inside inline <svg>, <title> is not RCDATA either. */
    CHECK_EQ_STR(R("<svg><title><a href=\"{{u}}\"></a></title></svg>"
                   "<title><a href=\"{{u}}\"></title>",
                   vm),
                 "<svg><title><a href=\"#blocked\"></a></title></svg>"
                 "<title><a href=\"javascript:alert(1)\"></title>");
    CHECK_EQ_STR(perr("<svg><script>{{x}}</script></svg>"),
                 "EPARSE t.html:1: {{x}}: values are not allowed inside "
                 "<script> or <style> in SVG");
    CHECK_EQ_STR(perr("<svg/><script>{{x}}</script>"), "OK");
    arena_free(a);
    /* A partial inside inline <svg> must be an SVG template. */
    const char *files[] = {"page.html", "<svg>{{> icon}}</svg>", "icon.html",
                           "<path d=\"M0\"/>"};
    struct ibc_error err = IBC_ERROR_INIT;
    int rc;
    struct tpl_set *set = set_of(files, 4, &err, &rc);
    CHECK_EQ_INT(rc, IBC_EPARSE);
    CHECK_EQ_STR(err.msg, "page.html:1: {{> icon}} stands inside <svg> but "
                          "icon.html is not an .svg template");
    tpl_set_free(set);
    const char *files2[] = {
        "page.html", "<p>{{> logo}}</p><svg>{{> dot}}</svg>",
        "logo.svg",  "<svg><title>{{name}}</title></svg>",
        "dot.svg",   "<circle r=\"{{r}}\"/>"};
    set = set_of(files2, 6, &err, &rc);
    CHECK_EQ_INT(rc, 0);
    a = arena_new();
    vm = tpl_vm_new(a);
    tpl_set_str(vm, "name", "ИБЦ");
    tpl_set_int(vm, "r", 5);
    CHECK_EQ_STR(render_set(set, "page", vm, "ru"),
                 "<p><svg><title>ИБЦ</title></svg></p><svg><circle r=\"5\"/>"
                 "</svg>");
    arena_free(a);
    tpl_set_free(set);
}

/* ---- the escapers from C ---- */

TEST(escapers_directly)
{
    struct buf b = BUF_INIT;
    tpl_esc_html(&b, "a<b>&\"'");
    CHECK_EQ_STR(buf_cstr(&b), "a&lt;b&gt;&amp;&quot;&#39;");
    buf_clear(&b);
    tpl_esc_url_component(&b, "Aa0-._~ /?#[]@!$&'()*+,;=%й");
    CHECK_EQ_STR(buf_cstr(&b), "Aa0-._~%20%2F%3F%23%5B%5D%40%21%24%26%27%28%29"
                               "%2A%2B%2C%3B%3D%25%D0%B9");
    buf_clear(&b);
    tpl_esc_js(&b, "\x01\x1f\x7f<\xff>");
    CHECK_EQ_STR(buf_cstr(&b),
                 "\"\\u0001\\u001f\x7f\\u003c\xEF\xBF\xBD\\u003e\"");
    buf_clear(&b);
    tpl_esc_js(&b, NULL);
    CHECK_EQ_STR(buf_cstr(&b), "\"\"");
    buf_reset(&b);
    CHECK(tpl_url_safe("/a"));
    CHECK(tpl_url_safe("a/b:c"));
    CHECK(tpl_url_safe("?x=javascript:1"));
    CHECK(tpl_url_safe("#frag:x"));
    CHECK(tpl_url_safe("books"));
    CHECK(tpl_url_safe(""));
    CHECK(tpl_url_safe(NULL));
    CHECK(tpl_url_safe("https://x"));
    CHECK(tpl_url_safe("\thttps://x"));
    CHECK(tpl_url_safe("MailTo:x@y"));
    CHECK(tpl_url_safe("TEL:1"));
    CHECK(!tpl_url_safe("javascript:x"));
    CHECK(!tpl_url_safe("  \x0bjavascript:x"));
    CHECK(!tpl_url_safe("j\na\rv\ta\nscript:x"));
    CHECK(!tpl_url_safe("data:x"));
    CHECK(!tpl_url_safe("file:///etc/passwd"));
    CHECK(!tpl_url_safe("httpss:x"));
    CHECK(!tpl_url_safe("http s:x"));
    CHECK(!tpl_url_safe(":x"));
}

/* ---- speed ---- */

TEST(render_is_fast)
{
    const char *home =
        "<!DOCTYPE html>\n<html lang=\"{{lang}}\">\n<head>\n"
        "<title>{{title}} — {{school.name}}</title>\n"
        "<link rel=\"stylesheet\" href=\"{{css_url}}\">\n</head>\n<body>\n"
        "<nav aria-label=\"{{@plain}}\"><ul>\n"
        "  {{#nav}}\n"
        "  <li><a href=\"{{href}}\"{{#current}} aria-current=\"page\""
        "{{/current}}>{{label}}</a></li>\n"
        "  {{/nav}}\n</ul></nav>\n<main>\n"
        "  {{#news}}\n  <article><h2><a href=\"/news/{{id}}\">{{title}}</a>"
        "</h2><p>{{summary}}</p></article>\n  {{/news}}\n"
        "  {{^news}}<p>—</p>{{/news}}\n</main>\n"
        "<footer>{{@hello}}</footer>\n</body>\n</html>\n";
    struct tpl_set *set = tpl_set_new();
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(tpl_add(set, "home", "home.html", home, strlen(home), &err),
                 0);
    CHECK_EQ_INT(tpl_link(set, test_msg, NULL, "ru", &err), 0);
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "lang", "ru");
    tpl_set_str(vm, "title", "Главная");
    tpl_set_str(vm, "css_url", "/static/css/ibc.css?v=1");
    tpl_set_str(tpl_obj(vm, "school"), "name", "Школа № 1");
    tpl_set_str(vm, "name", "гость");
    for (int i = 0; i < 5; i++) {
        struct tpl_vm *n = tpl_list_add(vm, "nav");
        tpl_set_str(n, "href", "/news");
        tpl_set_str(n, "label", "Новости");
        tpl_set_bool(n, "current", i == 1);
    }
    for (int i = 0; i < 10; i++) {
        struct tpl_vm *n = tpl_list_add(vm, "news");
        tpl_set_int(n, "id", i);
        tpl_set_str(n, "title", "Новые поступления в библиотеку");
        tpl_set_str(n, "summary",
                    "В библиотеку поступили книги & журналы "
                    "для 5–9 классов.");
    }
    struct buf out = BUF_INIT;
    int runs = 20000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    for (int i = 0; i < runs; i++) {
        buf_clear(&out);
        CHECK_EQ_INT(tpl_render(set, "home", vm, "ru", &out, &err), 0);
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
                 (double)(t1.tv_nsec - t0.tv_nsec)) /
                1e3 / runs;
    printf("    home-like page: %zu bytes in %.2f µs (CPU) per render\n",
           out.len, us);
    CHECK_CONTAINS(buf_cstr(&out), "<a href=\"/news\" aria-current=\"page\">");
    CHECK_CONTAINS(buf_cstr(&out), "книги &amp; журналы");
    CHECK(us < 500); /* generous: sanitizer builds are ~10x slower */
    buf_reset(&out);
    arena_free(a);
    tpl_set_free(set);
}
