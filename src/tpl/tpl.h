/* ibc — templates that escape by default for their context.
 *
 * Syntax (a Mustache subset, see docs/TEMPLATES.md):
 *   {{name}}          a value, escaped for where it stands (below)
 *   {{a.b}}           dotted lookup
 *   {{#name}}…{{/name}}  section: repeats for each item of a list, enters an
 *                     object, or shows once if a value is true/non-empty
 *   {{^name}}…{{/name}}  inverted: shows when missing/false/empty list
 *   {{> partial}}     includes another template by name (no extension)
 *   {{@msg.key}}      a message from the language catalogue (i18n),
 *                     escaped for its context; {var} inside the message is
 *                     filled from the view model
 *   {{{name}}}        raw, unescaped output: only for HTML the server itself
 *                     produced (grep for "{{{" in review)
 *   {{! comment }}
 *
 * Context-aware escaping is decided when the template is parsed: the parser
 * follows the HTML around each tag and picks
 *   - HTML text          -> &amp; &lt; &gt; &quot; &#39;
 *   - a quoted attribute -> the same (an unquoted attribute is a parse error)
 *   - the start of a URL attribute (href, src, action, formaction, poster,
 *     cite, data) -> scheme check (only http, https, mailto, tel, relative;
 *     else "#blocked") then attribute escaping
 *   - inside a URL attribute after its start -> percent-encoding
 *   - inside <script> … </script> -> a JSON string literal with <, >, &,
 *     U+2028 and U+2029 escaped
 *   - inside <style> or an on* / style attribute -> a parse error
 *   - templates named *.svg are parsed as XML: the same escaping, no named
 *     entities beyond the XML five.
 * Parse errors name the file and line. */
#ifndef IBC_TPL_TPL_H
#define IBC_TPL_TPL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

struct tpl_set;   /* all parsed templates; immutable after load */
struct tpl_vm;    /* a view model (an object of named values) */

/* Message lookup for {{@key}}: returns the text for key in lang or NULL. */
typedef const char *(*tpl_msg_fn)(void *ctx, const char *lang,
                                  const char *key);

struct tpl_set *tpl_set_new(void);
void tpl_set_free(struct tpl_set *set);   /* accepts NULL */
/* Parses one template; name like "home" or "layout" (no extension, the
 * extension of `filename` decides HTML or SVG mode). Errors: IBC_EPARSE with
 * "file:line: message". */
int tpl_add(struct tpl_set *set, const char *name, const char *filename,
            const char *text, size_t len, struct ibc_error *err);
/* Checks that every {{> partial}} exists and, if msg is set, every {{@key}}
 * exists in lang `check_lang`. Call once after adding all templates. */
int tpl_link(struct tpl_set *set, tpl_msg_fn msg, void *msg_ctx,
             const char *check_lang, struct ibc_error *err);
bool tpl_exists(const struct tpl_set *set, const char *name);

/* View models live in an arena; strings are copied into it. */
struct tpl_vm *tpl_vm_new(struct arena *a);
void tpl_set_str(struct tpl_vm *vm, const char *key, const char *val);
void tpl_set_strf(struct tpl_vm *vm, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tpl_set_int(struct tpl_vm *vm, const char *key, int64_t val);
void tpl_set_bool(struct tpl_vm *vm, const char *key, bool val);
/* Trusted HTML for {{{key}}}; escaped anyway if used as {{key}}. */
void tpl_set_html(struct tpl_vm *vm, const char *key, const char *html);
/* A nested object (created on first call, same object after). */
struct tpl_vm *tpl_obj(struct tpl_vm *vm, const char *key);
/* Appends a new object to the list `key` (creating the list) and returns it. */
struct tpl_vm *tpl_list_add(struct tpl_vm *vm, const char *key);
/* Appends a string to the list `key` (creating the list); inside
 * {{#key}}…{{/key}} the item is {{.}}. */
void tpl_list_add_str(struct tpl_vm *vm, const char *key, const char *val);
/* Declares an empty list (so {{^key}} shows); keeps an existing list. */
void tpl_list(struct tpl_vm *vm, const char *key);

/* Renders template `name` with vm into out. lang selects the catalogue for
 * {{@key}}. Returns 0, or IBC_ENOTFOUND for an unknown template. */
int tpl_render(const struct tpl_set *set, const char *name,
               const struct tpl_vm *vm, const char *lang, struct buf *out,
               struct ibc_error *err);

/* The escapers, usable from C too. */
void tpl_esc_html(struct buf *out, const char *s);
void tpl_esc_url_component(struct buf *out, const char *s);
/* Writes a JSON string literal (with quotes) safe inside <script>. */
void tpl_esc_js(struct buf *out, const char *s);
/* True if a URL is safe to put at the start of href/src. */
bool tpl_url_safe(const char *s);

#endif
