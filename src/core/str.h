/* ibc — small string helpers. */
#ifndef IBC_CORE_STR_H
#define IBC_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool str_eq(const char *a, const char *b);          /* NULL-safe */
bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);
bool str_empty(const char *s);                      /* NULL or "" */
/* Parses a whole decimal int64; false on junk, overflow or empty. */
bool str_to_i64(const char *s, int64_t *out);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void str_hex(char *out, const unsigned char *p, size_t n);
/* Copies src into dst of size n, always NUL-terminated; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t n);

#endif
