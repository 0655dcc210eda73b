/* ibc — fuzz target: the message catalogue parser.
 *
 * The input (up to its first NUL) is parsed as the ru catalogue and again
 * as en into the same object; a few lookups and the cross-language check
 * follow. Invariants: a failed parse says why (non-empty message naming
 * i18n/<lang>.msg) and adds nothing; every text returned is valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/i18n.h"
#include "core/utf8.h"

static void check_text(const char *s)
{
    if (s && !utf8_valid(s, strlen(s))) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    char *text = malloc(size + 1);
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    struct i18n *i = i18n_new();
    struct ibc_error err = IBC_ERROR_INIT;
    static const char *const keys[] = {"a", "home.title", "x", "a.b", "k"};
    int rc = i18n_parse(i, "ru", text, &err);
    if (rc != 0) {
        if (strncmp(err.msg, "i18n/ru.msg:", 12) != 0) {
            abort();
        }
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            if (i18n_get(i, "ru", keys[k])) {
                abort(); /* all or nothing */
            }
        }
    }
    (void)i18n_parse(i, "en", text, &err);
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        check_text(i18n_get(i, "ru", keys[k]));
        check_text(i18n_get(i, "en", keys[k]));
        check_text(i18n_get(i, "de", keys[k]));
    }
    (void)i18n_check(i, &err);
    (void)i18n_lang(text);
    i18n_free(i);
    free(text);
    return 0;
}
