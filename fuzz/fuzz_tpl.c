/* ibc — fuzz target: the template parser and renderer.
 *
 * Each input is parsed as a template twice, as HTML ("main.html") and as
 * SVG ("main.svg"), next to a few fixed partials (one recursing forever).
 * When it parses, it is linked (a fixed message table; unknown keys make
 * the link fail, which is fine) and rendered in ru and en with a view model
 * full of hostile strings. Besides the sanitizers, these invariants are
 * checked (each unless the template's own text has the marker):
 *   - the output is valid UTF-8;
 *   - the tag "<x-evil" from the view model never appears unescaped;
 *   - re-tokenizing the output (no sections there, so the tracker's view is
 *     exact) never finds "javascript:" at the start of a URL attribute, nor
 *     an attribute named "onfuzz" (a marker inside the values);
 *   - a failed render leaves the output buffer as it was. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/utf8.h"
#include "tpl/tpl.h"
#include "tpl/tpl_int.h"

#define EVIL                                                                   \
    "<x-evil a=\"1\" b='2'>&amp;</x-evil> onfuzz=1 \" onfuzz=\"1 ' onfuzz='1 "

struct markers {
    bool evil, js, onfuzz; /* the template text has them itself */
};

static bool has_ci(const uint8_t *p, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && (p[i + k] | 0x20) == needle[k]) {
            k++;
        }
        if (k == m) {
            return true;
        }
    }
    return false;
}

static const char *fuzz_msg(void *ctx, const char *lang, const char *key)
{
    (void)ctx;
    if (strcmp(lang, "ru") != 0) {
        return NULL;
    }
    if (strcmp(key, "a") == 0) {
        return "Привет, {name}! {list.name} {obj.inner} {evil} {{x}";
    }
    if (strcmp(key, "b") == 0) {
        return "javascript:{evil}";
    }
    if (strcmp(key, "c.d") == 0) {
        return "{";
    }
    return NULL;
}

static struct tpl_vm *view_model(struct arena *a)
{
    struct tpl_vm *vm = tpl_vm_new(a);
    tpl_set_str(vm, "name", "Маша");
    tpl_set_str(vm, "evil", EVIL);
    tpl_set_str(vm, "url", "javascript:alert(1)//" EVIL);
    tpl_set_str(vm, "js2", " \tJaVaScRiPt:alert(2)");
    tpl_set_str(vm, "ok_url", "https://example.org/?a=1&b=" EVIL);
    tpl_set_str(vm, "ls", "\xE2\x80\xA8\xE2\x80\xA9</script><!--");
    tpl_set_html(vm, "html", "<b>trusted</b>");
    tpl_set_int(vm, "n", -42);
    tpl_set_int(vm, "zero", 0);
    tpl_set_bool(vm, "t", true);
    tpl_set_bool(vm, "f", false);
    tpl_list(vm, "empty");
    struct tpl_vm *o = tpl_obj(vm, "obj");
    tpl_set_str(o, "inner", EVIL);
    tpl_set_str(tpl_obj(o, "deep"), "x", EVIL);
    for (int i = 0; i < 3; i++) {
        struct tpl_vm *it = tpl_list_add(vm, "list");
        tpl_set_str(it, "name", EVIL);
        tpl_set_int(it, "i", i);
        tpl_list_add_str(it, "tags", EVIL);
        tpl_list_add_str(it, "tags", "");
    }
    tpl_list_add_str(vm, "strs", EVIL);
    return vm;
}

/* Re-reads the output as a browser would (the tracker, without sections)
 * and checks where the hostile values landed. */
static void check_output(const char *out, size_t n, bool svg,
                         const struct markers *m)
{
    struct tpl_html h;
    tpl_html_init(&h, svg);
    uint32_t line = 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t esc;
        if (!m->js && !tpl_html_value(&h, false, &esc) &&
            esc == TPL_ESC_URL_START &&
            has_ci((const uint8_t *)out + i, n - i > 11 ? 11 : n - i,
                   "javascript:")) {
            abort(); /* an unchecked URL start */
        }
        if (tpl_html_feed(&h, out + i, 1, &line)) {
            return; /* e.g. "<!" in a script: nothing more to learn */
        }
        const char *a = tpl_html_attr_name(&h);
        if (!m->onfuzz && a && strstr(a, "onfuzz")) {
            abort(); /* a value broke out of its attribute */
        }
    }
}

static void render_one(const struct tpl_set *set, const struct tpl_vm *vm,
                       const char *lang, bool svg, const struct markers *m)
{
    struct buf out = BUF_INIT;
    buf_puts(&out, "prefix|");
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = tpl_render(set, "main", vm, lang, &out, &err);
    if (rc != 0 && (out.len != 7 || strcmp(out.data, "prefix|") != 0)) {
        abort(); /* a failed render must not leave partial output */
    }
    if (!utf8_valid(out.data, out.len)) {
        abort();
    }
    if (!m->evil && strstr(out.data, "<x-evil")) {
        abort(); /* a value escaped for the wrong context */
    }
    check_output(out.data + 7, out.len - 7, svg, m);
    buf_reset(&out);
}

static void run(const uint8_t *data, size_t size, const char *file,
                const struct tpl_vm *vm, const struct markers *m)
{
    static const char *const partials[][3] = {
        {"row", "row.html", "<li>{{name}}{{#tags}}[{{.}}]{{/tags}}</li>\n"},
        {"self", "self.html", "x{{> self}}"},
        {"icon", "icon.svg", "<svg><title>{{name}}</title></svg>"},
        {"dot", "dot.svg", "<circle r=\"{{n}}\"/>"},
    };
    struct tpl_set *set = tpl_set_new();
    struct ibc_error err = IBC_ERROR_INIT;
    for (size_t i = 0; i < sizeof(partials) / sizeof(partials[0]); i++) {
        if (tpl_add(set, partials[i][0], partials[i][1], partials[i][2],
                    strlen(partials[i][2]), &err) != 0) {
            abort();
        }
    }
    if (tpl_add(set, "main", file, (const char *)data, size, &err) == 0) {
        (void)tpl_link(set, fuzz_msg, NULL, "ru", &err);
        bool svg = strstr(file, ".svg") != NULL;
        render_one(set, vm, "ru", svg, m);
        render_one(set, vm, "en", svg, m);
    } else if (err.msg[0] == '\0') {
        abort(); /* every error must say something */
    }
    tpl_set_free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    /* The template's own text, with every {{tag}} removed: a comment or an
     * empty section can join "<x-ev" and "il" in the output. */
    uint8_t *lit = malloc(size ? size : 1);
    size_t nl = 0;
    for (size_t i = 0; i < size;) {
        if (i + 1 < size && data[i] == '{' && data[i + 1] == '{') {
            size_t j = i + 2;
            while (j + 1 < size && !(data[j] == '}' && data[j + 1] == '}')) {
                j++;
            }
            i = j + 2;
            continue;
        }
        lit[nl++] = data[i++];
    }
    struct markers m = {
        .evil = has_ci(data, size, "x-evil") || has_ci(lit, nl, "x-evil"),
        .js = has_ci(data, size, "javascript") || has_ci(lit, nl, "javascript"),
        .onfuzz = has_ci(data, size, "onfuzz") || has_ci(lit, nl, "onfuzz"),
    };
    free(lit);
    struct arena *a = arena_new();
    struct tpl_vm *vm = view_model(a);
    run(data, size, "main.html", vm, &m);
    run(data, size, "main.svg", vm, &m);
    arena_free(a);
    return 0;
}
