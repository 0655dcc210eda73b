/* ibc — unit tests of the message catalogues: the .msg format, its errors
 * (each naming its line), all-or-nothing parsing, fallback to Russian, the
 * language choice and the embedded catalogues. */
#include <stdio.h>
#include <string.h>

#include "app/i18n.h"
#include "core/buf.h"
#include "core/embed.h"
#include "harness.h"

/* Parses text as lang into a fresh catalogue; returns "OK" or the error. */
static char errbuf[600];

static const char *parse_err(const char *lang, const char *text)
{
    struct i18n *i = i18n_new();
    struct ibc_error err = IBC_ERROR_INIT;
    int rc = i18n_parse(i, lang, text, &err);
    if (rc == 0) {
        strcpy(errbuf, "OK");
    } else {
        snprintf(errbuf, sizeof(errbuf), "%s %s", ibc_err_name(rc), err.msg);
    }
    i18n_free(i);
    return errbuf;
}

TEST(format_basics)
{
    struct i18n *i = i18n_new();
    struct ibc_error err = IBC_ERROR_INIT;
    const char *text = "\xEF\xBB\xBF# comment = not a message\n"
                       "\n"
                       "home.title = Главная\n"
                       "  indented.key\t=\t  Отступ  \t\n"
                       "nospace=Без пробелов\n"
                       "crlf = Windows\r\n"
                       "   # indented comment\n"
                       "multi = Строка 1\\nСтрока 2 \\\\ слэш\n"
                       "hello = Привет, {name}! = {x}\n"
                       "empty =\n"
                       "a-b_c.9 = ok\n"
                       "last = без перевода строки";
    CHECK_EQ_INT(i18n_parse(i, "ru", text, &err), 0);
    CHECK_EQ_STR(i18n_get(i, "ru", "home.title"), "Главная");
    CHECK_EQ_STR(i18n_get(i, "ru", "indented.key"), "Отступ");
    CHECK_EQ_STR(i18n_get(i, "ru", "nospace"), "Без пробелов");
    CHECK_EQ_STR(i18n_get(i, "ru", "crlf"), "Windows");
    CHECK_EQ_STR(i18n_get(i, "ru", "multi"), "Строка 1\nСтрока 2 \\ слэш");
    CHECK_EQ_STR(i18n_get(i, "ru", "hello"), "Привет, {name}! = {x}");
    CHECK_EQ_STR(i18n_get(i, "ru", "empty"), "");
    CHECK_EQ_STR(i18n_get(i, "ru", "a-b_c.9"), "ok");
    CHECK_EQ_STR(i18n_get(i, "ru", "last"), "без перевода строки");
    CHECK(i18n_get(i, "ru", "comment") == NULL);
    CHECK(i18n_get(i, "ru", "# comment") == NULL);
    CHECK(i18n_get(i, "ru", "Home.title") == NULL);
    CHECK(i18n_get(i, "ru", "home") == NULL);
    CHECK_EQ_INT(i18n_parse(i, "ru", "", &err), 0);
    i18n_free(i);
    i18n_free(NULL);
}

TEST(many_keys)
{
    struct i18n *i = i18n_new();
    struct ibc_error err = IBC_ERROR_INIT;
    struct buf b = BUF_INIT;
    for (int k = 0; k < 2000; k++) {
        buf_printf(&b, "key.%d = значение %d\n", k, k);
    }
    CHECK_EQ_INT(i18n_parse(i, "ru", buf_cstr(&b), &err), 0);
    char key[32], want[64];
    for (int k = 0; k < 2000; k += 37) {
        snprintf(key, sizeof(key), "key.%d", k);
        snprintf(want, sizeof(want), "значение %d", k);
        CHECK_EQ_STR(i18n_get(i, "ru", key), want);
    }
    CHECK(i18n_get(i, "ru", "key.2000") == NULL);
    buf_reset(&b);
    i18n_free(i);
}

TEST(errors_name_the_line)
{
    CHECK_EQ_STR(parse_err("ru", "a = 1\n\nb = 2\na = 3\n"),
                 "EPARSE i18n/ru.msg:4: duplicate key 'a' (first on line 1)");
    CHECK_EQ_STR(parse_err("ru", "ok = 1\nNot.lower = x\n"),
                 "EPARSE i18n/ru.msg:2: bad character 'N' in a key (keys use "
                 "a-z 0-9 _ . -)");
    CHECK_EQ_STR(parse_err("en", "ok = 1\nkey:x = y\n"),
                 "EPARSE i18n/en.msg:2: bad character ':' in a key (keys use "
                 "a-z 0-9 _ . -)");
    CHECK_EQ_STR(parse_err("ru", "# c\njust text\n"),
                 "EPARSE i18n/ru.msg:2: expected 'key = text'");
    CHECK_EQ_STR(parse_err("ru", "key\n"),
                 "EPARSE i18n/ru.msg:1: expected 'key = text'");
    CHECK_EQ_STR(parse_err("ru", "\n\n = text\n"),
                 "EPARSE i18n/ru.msg:3: expected 'key = text'");
    CHECK_EQ_STR(parse_err("ru", "a = x\\ty\n"),
                 "EPARSE i18n/ru.msg:1: unknown escape '\\t' (only \\n and "
                 "\\\\)");
    CHECK_EQ_STR(parse_err("ru", "a = 1\nb = end\\\n"),
                 "EPARSE i18n/ru.msg:2: a lone '\\' at the end");
    CHECK_EQ_STR(parse_err("ru", "a = 1\r\nb = \xD0\r\n"),
                 "EPARSE i18n/ru.msg:2: invalid UTF-8");
    CHECK_EQ_STR(parse_err("RU", "a = 1\n"), "EINVAL bad language code 'RU'");
    CHECK_EQ_STR(parse_err("", "a = 1\n"), "EINVAL bad language code ''");
    CHECK_EQ_STR(parse_err("ru/../x", "a = 1\n"),
                 "EINVAL bad language code 'ru/../x'");
    char longkey[200];
    memset(longkey, 'k', 129);
    strcpy(longkey + 129, " = x\n");
    CHECK_EQ_STR(parse_err("ru", longkey),
                 "EPARSE i18n/ru.msg:1: key longer than 128 bytes");
}

TEST(parse_is_all_or_nothing)
{
    struct i18n *i = i18n_new();
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(i18n_parse(i, "ru", "first = 1\n", &err), 0);
    CHECK_EQ_INT(i18n_parse(i, "ru", "second = 2\nbad line\n", &err),
                 IBC_EPARSE);
    CHECK(i18n_get(i, "ru", "second") == NULL);
    CHECK_EQ_STR(i18n_get(i, "ru", "first"), "1");
    /* A key from an earlier text of the same language is a duplicate. */
    CHECK_EQ_INT(i18n_parse(i, "ru", "third = 3\n\nfirst = again\n", &err),
                 IBC_EPARSE);
    CHECK_EQ_STR(err.msg, "i18n/ru.msg:3: duplicate key 'first' (first on "
                          "line 1)");
    CHECK(i18n_get(i, "ru", "third") == NULL);
    /* The same key in another language is fine. */
    CHECK_EQ_INT(i18n_parse(i, "en", "first = one\n", &err), 0);
    i18n_free(i);
}

TEST(fallback_to_russian)
{
    struct i18n *i = i18n_new();
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(i18n_parse(i, "ru", "both = Оба\nonly_ru = Только ru\n", &err),
                 0);
    CHECK_EQ_INT(i18n_parse(i, "en", "both = Both\n", &err), 0);
    CHECK_EQ_STR(i18n_get(i, "en", "both"), "Both");
    CHECK_EQ_STR(i18n_get(i, "ru", "both"), "Оба");
    CHECK_EQ_STR(i18n_get(i, "en", "only_ru"), "Только ru");
    CHECK_EQ_STR(i18n_get(i, "de", "both"), "Оба");
    CHECK_EQ_STR(i18n_get(i, NULL, "both"), "Оба");
    CHECK(i18n_get(i, "en", "nowhere") == NULL);
    CHECK(i18n_get(i, "ru", "nowhere") == NULL);
    CHECK(i18n_get(i, "en", NULL) == NULL);
    CHECK(i18n_get(NULL, "en", "both") == NULL);
    CHECK_EQ_INT(i18n_check(i, &err), 0);
    i18n_free(i);
}

TEST(every_key_must_exist_in_russian)
{
    struct i18n *i = i18n_new();
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(i18n_parse(i, "ru", "a = А\n", &err), 0);
    CHECK_EQ_INT(i18n_parse(i, "en", "a = A\n# x\nzz = Z\nb = B\n", &err), 0);
    CHECK_EQ_INT(i18n_check(i, &err), IBC_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "i18n/en.msg:3: key 'zz' is not in i18n/ru.msg "
                          "(every key must exist in Russian)");
    i18n_free(i);
    i = i18n_new();
    CHECK_EQ_INT(i18n_parse(i, "en", "a = A\n", &err), 0);
    CHECK_EQ_INT(i18n_check(i, &err), IBC_ENOTFOUND);
    CHECK_EQ_STR(err.msg, "i18n/ru.msg: no Russian catalogue (the reference)");
    i18n_free(i);
}

TEST(language_choice)
{
    CHECK_EQ_STR(i18n_lang("en"), "en");
    CHECK_EQ_STR(i18n_lang("en-US"), "en");
    CHECK_EQ_STR(i18n_lang("EN_gb"), "en");
    CHECK_EQ_STR(i18n_lang("en,ru;q=0.5"), "en");
    CHECK_EQ_STR(i18n_lang("ru"), "ru");
    CHECK_EQ_STR(i18n_lang("ru-RU"), "ru");
    CHECK_EQ_STR(i18n_lang("de"), "ru");
    CHECK_EQ_STR(i18n_lang("e"), "ru");
    CHECK_EQ_STR(i18n_lang("eng"), "ru");
    CHECK_EQ_STR(i18n_lang(""), "ru");
    CHECK_EQ_STR(i18n_lang(NULL), "ru");
}

/* The first "key = text" line of an embedded catalogue (no escapes in it
 * assumed), so this test follows whatever the catalogues hold. */
static bool first_message(const char *file, char *key, size_t kn, char *text,
                          size_t tn)
{
    const struct embed_file *f = embed_find(file);
    if (!f) {
        return false;
    }
    const char *p = (const char *)f->data;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (n > 0 && p[0] != '#' && eq) {
            const char *ke = eq;
            while (ke > p && ke[-1] == ' ') {
                ke--;
            }
            const char *ts = eq + 1;
            while (ts < p + n && *ts == ' ') {
                ts++;
            }
            snprintf(key, kn, "%.*s", (int)(ke - p), p);
            snprintf(text, tn, "%.*s", (int)(p + n - ts), ts);
            return !strchr(text, '\\');
        }
        p = nl ? nl + 1 : p + n;
    }
    return false;
}

TEST(embedded_catalogues_load)
{
    struct i18n *i = NULL;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(i18n_load(&i, &err), 0);
    CHECK(i != NULL);
    char key[200], text[600];
    CHECK(first_message("i18n/ru.msg", key, sizeof(key), text, sizeof(text)));
    CHECK_EQ_STR(i18n_get(i, "ru", key), text);
    CHECK_EQ_STR(i18n_get(i, "de", key), text);
    if (first_message("i18n/en.msg", key, sizeof(key), text, sizeof(text))) {
        CHECK_EQ_STR(i18n_get(i, "en", key), text);
    }
    i18n_free(i);
}
