/* ibc — the people module's logic without SQL: role names, validation of
 * logins, names and dates, and the generated one-time passwords of
 * children's login slips. See people.h. */
#include "people/people.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"

/* Index = bit number of enum role. */
static const char *const role_names[] = {
    "student", "teacher", "class_teacher", "librarian",
    "head",    "parent",  "admin",         "coordinator",
};

#define N_ROLES (sizeof(role_names) / sizeof(role_names[0]))

const char *role_name(unsigned role_bit)
{
    for (unsigned i = 0; i < N_ROLES; i++) {
        if (role_bit == (1u << i)) {
            return role_names[i];
        }
    }
    return NULL;
}

unsigned role_parse(const char *name)
{
    for (unsigned i = 0; name && i < N_ROLES; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            return 1u << i;
        }
    }
    return 0;
}

int role_parse_list(const char *list, unsigned *roles, struct ibc_error *err)
{
    *roles = 0;
    const char *p = list ? list : "";
    while (*p) {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        const char *start = p;
        while (*p && *p != ',' && *p != ' ') {
            p++;
        }
        if (p == start) {
            break;
        }
        char word[32];
        size_t n = (size_t)(p - start);
        unsigned bit = 0;
        if (n < sizeof(word)) {
            memcpy(word, start, n);
            word[n] = '\0';
            bit = role_parse(word);
        }
        if (!bit) {
            return ibc_fail_field(err, IBC_EINVAL, "roles",
                                  "unknown role \"%.*s\" (known: student, "
                                  "teacher, class_teacher, librarian, head, "
                                  "parent, admin, coordinator)",
                                  (int)(n > 40 ? 40 : n), start);
        }
        *roles |= bit;
    }
    if (!*roles) {
        return ibc_fail_field(err, IBC_EINVAL, "roles",
                              "at least one role is needed");
    }
    return 0;
}

char *role_format(struct arena *a, unsigned roles)
{
    char out[128] = "";
    size_t len = 0;
    for (unsigned i = 0; i < N_ROLES; i++) {
        if (roles & (1u << i)) {
            len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
                                    len ? "," : "", role_names[i]);
        }
    }
    return arena_strdup(a, out);
}

int person_login_normalise(const char *in, char out[PERSON_LOGIN_MAX + 1],
                           struct ibc_error *err)
{
    size_t n = in ? strlen(in) : 0;
    bool ok = n >= 3 && n <= PERSON_LOGIN_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = (char)tolower((unsigned char)in[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-')) {
            ok = false;
        }
        out[i] = c;
    }
    if (!ok) {
        out[0] = '\0';
        return ibc_fail_field(err, IBC_EINVAL, "login",
                              "a login is 3–40 characters: latin letters, "
                              "digits, '.', '_' and '-'");
    }
    out[n] = '\0';
    return 0;
}

static bool is_letter(uint32_t cp)
{
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')) {
        return true;
    }
    if (cp >= 0xC0 && cp <= 0x24F) { /* Latin-1 and Latin Extended-A/B */
        return cp != 0xD7 && cp != 0xF7;
    }
    /* Cyrillic, without the combining marks and signs U+0482–U+0489 */
    return (cp >= 0x400 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4FF);
}

static bool is_separator(uint32_t cp)
{
    return cp == ' ' || cp == '-' || cp == '\'' || cp == 0x2019;
}

bool person_name_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || !utf8_valid(name, len)) {
        return false;
    }
    size_t chars = 0;
    bool prev_sep = true; /* no separator first */
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_decode(name + i, len - i, &cp);
        if (k == 0) {
            return false;
        }
        if (is_separator(cp)) {
            if (prev_sep) {
                return false;
            }
            prev_sep = true;
        } else if (is_letter(cp)) {
            prev_sep = false;
        } else {
            return false;
        }
        i += k;
        chars++;
    }
    return !prev_sep && chars <= 100;
}

bool person_birth_date_valid(const char *date)
{
    if (!date || strlen(date) != 10 || date[4] != '-' || date[7] != '-') {
        return false;
    }
    for (int i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && !isdigit((unsigned char)date[i])) {
            return false;
        }
    }
    int y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 +
            (date[2] - '0') * 10 + (date[3] - '0');
    int m = (date[5] - '0') * 10 + (date[6] - '0');
    int d = (date[8] - '0') * 10 + (date[9] - '0');
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1) {
        return false;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) {
        return false;
    }
    time_t t = time(NULL) + 14 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    char today[16];
    strftime(today, sizeof(today), "%Y-%m-%d", &tm);
    return strcmp(date, today) <= 0;
}

/* 64 short words a Russian child reads and types without trouble. */
static const char *const pw_words[64] = {
    "kot",  "les",  "dom",  "mir",  "sad",  "sok",  "nos",  "rak",
    "lev",  "mak",  "pes",  "luk",  "sup",  "syr",  "dub",  "med",
    "mel",  "gus",  "kit",  "lis",  "ezh",  "luna", "reka", "gora",
    "roza", "zima", "leto", "nebo", "more", "pole", "sova", "utka",
    "muha", "kora", "lapa", "nota", "park", "tort", "most", "sila",
    "vera", "kasa", "ryba", "zuby", "guba", "shar", "chay", "ruka",
    "noga", "pila", "krot", "vata", "bant", "gong", "vaza", "zont",
    "kust", "luch", "mult", "sneg", "tigr", "fara", "hleb", "yula",
};

int person_generate_password(char out[16])
{
    if (sodium_init() < 0) {
        out[0] = '\0';
        return IBC_EINTERNAL;
    }
    const char *w1 = pw_words[randombytes_uniform(64)];
    const char *w2 = pw_words[randombytes_uniform(64)];
    char digits[5];
    for (int i = 0; i < 4; i++) {
        digits[i] = (char)('2' + randombytes_uniform(8));
    }
    digits[4] = '\0';
    snprintf(out, 16, "%s-%s-%s", w1, digits, w2);
    return 0;
}
