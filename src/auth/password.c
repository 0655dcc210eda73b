/* ibc — password hashing with argon2id (libsodium crypto_pwhash_str);
 * see password.h for the parameters and how they were chosen. */
#include "auth/password.h"

#include <sodium.h>
#include <string.h>

#include "core/utf8.h"

#define OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

/* A hash of 64 random hex digits that nobody knows, made once with OPS and
 * MEM; test_people checks that it still matches the parameters. */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=65536,t=2,p=1$Mz7utrqdHIVLu0EbvCuQiw$"
    "eFFEJ7JxrPtfZefEYpRVgr9rYgdMpTvL9Ln2GDZwWTQ";

_Static_assert(crypto_pwhash_STRBYTES <= PASSWORD_HASH_MAX,
               "PASSWORD_HASH_MAX too small");

int password_check_policy(const char *password, struct ibc_error *err)
{
    size_t len = password ? strlen(password) : 0;
    if (len == 0 || len > PASSWORD_MAX_BYTES || !utf8_valid(password, len)) {
        return ibc_fail_field(err, IBC_EINVAL, "password",
                              "a password of %d or more characters is needed",
                              PASSWORD_MIN_CHARS);
    }
    for (const unsigned char *p = (const unsigned char *)password; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return ibc_fail_field(err, IBC_EINVAL, "password",
                                  "the password holds a control character");
        }
    }
    if (utf8_length(password) < PASSWORD_MIN_CHARS) {
        return ibc_fail_field(err, IBC_EINVAL, "password",
                              "a password of %d or more characters is needed",
                              PASSWORD_MIN_CHARS);
    }
    return 0;
}

int password_hash(const char *password, char out[PASSWORD_HASH_MAX],
                  struct ibc_error *err)
{
    if (sodium_init() < 0) {
        return ibc_fail(err, IBC_EINTERNAL, "libsodium cannot start");
    }
    if (crypto_pwhash_str(out, password, strlen(password), OPS, MEM) != 0) {
        return ibc_fail(err, IBC_EINTERNAL,
                        "cannot hash the password (out of memory)");
    }
    return 0;
}

bool password_verify(const char *hash, const char *password)
{
    if (sodium_init() < 0 || !password) {
        return false;
    }
    if (!hash || strlen(hash) >= crypto_pwhash_STRBYTES ||
        strncmp(hash, crypto_pwhash_argon2id_STRPREFIX,
                strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0) {
        password_verify_dummy(password);
        return false;
    }
    /* libsodium's prototype wants a crypto_pwhash_STRBYTES array. */
    char buf[crypto_pwhash_STRBYTES] = "";
    memcpy(buf, hash, strlen(hash));
    return crypto_pwhash_str_verify(buf, password, strlen(password)) == 0;
}

void password_verify_dummy(const char *password)
{
    if (sodium_init() < 0) {
        return;
    }
    const char *p = password ? password : "";
    /* The result is meaningless; only the time spent matters. */
    if (crypto_pwhash_str_verify(dummy_hash, p, strlen(p)) == 0) {
        return;
    }
}

bool password_needs_rehash(const char *hash)
{
    if (!hash || sodium_init() < 0 || strlen(hash) >= crypto_pwhash_STRBYTES) {
        return true;
    }
    char buf[crypto_pwhash_STRBYTES] = "";
    memcpy(buf, hash, strlen(hash));
    return crypto_pwhash_str_needs_rehash(buf, OPS, MEM) != 0;
}

int password_hash_public(const char *password, char out[PASSWORD_HASH_MAX],
                         struct ibc_error *err)
{
    if (sodium_init() < 0) {
        return ibc_fail(err, IBC_EINTERNAL, "libsodium cannot start");
    }
    if (crypto_pwhash_str(out, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) != 0) {
        return ibc_fail(err, IBC_EINTERNAL,
                        "cannot hash the password (out of memory)");
    }
    return 0;
}
