/* ibc — keyed pseudonyms for statistics of "distinct people".
 *
 * An event that needs to count distinct people (readers of a month, say)
 * carries pseudonym_of() instead of the person id: HMAC-SHA256 (libsodium)
 * of the decimal person id with a secret of the school for the school year.
 * Keys live in table pseudonym_key and are made on first use from 32
 * random bytes, so pseudonyms are stable within a school year, differ from
 * year to year and from school to school, and cannot be turned back into
 * a person without the key. See privacy.h. */
#include "privacy/privacy.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/str.h"

int privacy_school_year(time_t t)
{
    /* the school year starts on 1 September in Moscow time (UTC+3) */
    time_t msk = t + 3 * 3600;
    struct tm tm;
    gmtime_r(&msk, &tm);
    int year = tm.tm_year + 1900;
    return tm.tm_mon >= 8 ? year : year - 1;
}

int pseudonym_of(struct db *db, int64_t org_id, int64_t person_id,
                 int school_year, char out[33], struct ibc_error *err)
{
    out[0] = '\0';
    if (school_year < 2000 || school_year > 2200) {
        return ibc_fail_field(err, IBC_EINVAL, "school_year",
                              "a school year is 2000..2200");
    }
    if (sodium_init() < 0) {
        return ibc_fail(err, IBC_EINTERNAL, "libsodium failed to start");
    }
    unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
    char candidate[65], hex[65];
    randombytes_buf(key, sizeof(key));
    str_hex(candidate, key, sizeof(key));
    int rc = privacy_key_get_or_create(db, org_id, school_year, candidate,
                                       hex, err);
    if (rc) {
        goto out;
    }
    if (sodium_hex2bin(key, sizeof(key), hex, 64, NULL, NULL, NULL) != 0) {
        rc = ibc_fail(err, IBC_EDB, "pseudonym_key: a malformed key");
        goto out;
    }
    char id[24];
    int len = snprintf(id, sizeof(id), "%lld", (long long)person_id);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)id, (size_t)len, key);
    str_hex(out, mac, 16); /* 128 bits are plenty to tell people apart */
    sodium_memzero(mac, sizeof(mac));
out:
    sodium_memzero(key, sizeof(key));
    sodium_memzero(candidate, sizeof(candidate));
    sodium_memzero(hex, sizeof(hex));
    return rc;
}
