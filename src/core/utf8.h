/* ibc — UTF-8 validation and decoding (hand-written: a few lines that no
 * library we link offers without pulling in a whole converter). */
#ifndef IBC_CORE_UTF8_H
#define IBC_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). NUL bytes are rejected too: no text we accept
 * from outside needs them. */
bool utf8_valid(const char *s, size_t len);

/* Decodes one code point at s (len bytes available). Returns the number of
 * bytes used (1..4) and sets *cp, or returns 0 on malformed input. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Number of code points in a valid UTF-8 string. */
size_t utf8_length(const char *s);

#endif
