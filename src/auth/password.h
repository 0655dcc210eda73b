/* ibc — password hashing: argon2id through libsodium.
 *
 * Hashes are libsodium's self-describing strings ("$argon2id$v=19$m=…"),
 * so the parameters travel with each hash and can be raised later:
 * password_needs_rehash() tells a sign-in that the stored hash was made
 * with other parameters, and the caller stores a fresh one.
 *
 * Parameters: crypto_pwhash_OPSLIMIT_INTERACTIVE (2 passes) and
 * crypto_pwhash_MEMLIMIT_INTERACTIVE (64 MiB). Measured on the build
 * machine (2 cores, libsodium 1.0.18): 72–78 ms per hash (best of 10);
 * 3 passes over 32 MiB took 32–41 ms, 2 passes over 32 MiB 23 ms. The
 * interactive pair is the one inside the 50–100 ms budget at <= 64 MiB.
 * Memory per concurrent sign-in is 64 MiB: 30 simultaneous sign-ins need
 * about 2 GiB for the moment they run (see bench/ for the measurement).
 *
 * Unknown logins: password_verify_dummy() verifies against a fixed hash
 * made with the same parameters, so a wrong login costs the same time as
 * a wrong password and timing does not tell which logins exist. */
#ifndef IBC_AUTH_PASSWORD_H
#define IBC_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* Room for a hash string, NUL included (crypto_pwhash_STRBYTES). */
#define PASSWORD_HASH_MAX 128
/* Accepted password lengths: characters (code points) and bytes. */
#define PASSWORD_MIN_CHARS 8
#define PASSWORD_MAX_BYTES 256

/* Checks a new password: valid UTF-8 without control characters, at
 * least PASSWORD_MIN_CHARS characters, at most PASSWORD_MAX_BYTES bytes.
 * Returns 0 or IBC_EINVAL with field "password". */
int password_check_policy(const char *password, struct ibc_error *err);

/* Hashes password into out (PASSWORD_HASH_MAX bytes). Does not apply the
 * policy (call password_check_policy first). Returns 0, or IBC_EINTERNAL
 * when libsodium cannot start or runs out of memory. */
int password_hash(const char *password, char out[PASSWORD_HASH_MAX],
                  struct ibc_error *err);

/* The cheapest argon2id, for passwords that are public anyway (the demo
 * school's, printed at every start): seeding stays fast, also under the
 * sanitizers. password_needs_rehash() is true for such a hash, so the first
 * sign-in upgrades it. Never use it for a real account. */
int password_hash_public(const char *password, char out[PASSWORD_HASH_MAX],
                         struct ibc_error *err);

/* True when password matches hash. A NULL or malformed hash verifies the
 * dummy hash instead (same time) and is false. */
bool password_verify(const char *hash, const char *password);

/* Burns the time of one verification (for unknown logins). */
void password_verify_dummy(const char *password);

/* True when hash was made with other parameters (or is not one of ours)
 * and should be replaced by password_hash() at the next sign-in. */
bool password_needs_rehash(const char *hash);

#endif
