/* ibc — Russian collation and search folding (ICU, locale "ru").
 *
 * Sorting. Both databases must order titles and names the Russian way, but
 * neither can be relied on for it (SQLite compares bytes; PostgreSQL's
 * result depends on how the server was set up). So a sortable column gets
 * a companion sort-key column filled with collate_key(): the ICU sort key
 * as lowercase hex text. Hex keeps the byte order of the key, so plain
 * ORDER BY on the key column gives the same, correct order everywhere —
 * provided the column compares bytewise:
 *   SQLite:     sort_key TEXT            (BINARY is SQLite's default)
 *   PostgreSQL: sort_key TEXT COLLATE "C"  (otherwise the database's
 *               locale collation applies; put this in a .pg.sql file)
 * The collator is ICU's "ru" with numeric ordering on ("Том 2" before
 * "Том 10"), tertiary strength: Cyrillic before Latin, «ё» sorts with «е»
 * (Еж, Ёж, Ежевика), lower case before upper case when otherwise equal.
 * Keys depend on the ICU collation version (collate_version()); when it
 * changes, stored keys must be recomputed.
 *
 * Searching. collate_fold() maps text to its search form: NFC, full
 * Unicode case folding, then ё -> е, so «Ёлка», «ЁЛКА» and «елка» are equal.
 *
 * Threads. An ICU UCollator must not be shared by threads that use it at
 * the same time, so each thread opens its own on first use (kept in
 * thread-specific storage) and it is closed automatically when the thread
 * exits. A thread that lives until exit() (main) may call
 * collate_thread_cleanup() at the end to free it; it is harmless to call
 * at any time (the next use opens a new one). No call here fails: if ICU
 * cannot open the collator (its data missing), keys fall back to the UTF-8
 * bytes in hex and an error is logged. */
#ifndef IBC_TEXT_COLLATE_H
#define IBC_TEXT_COLLATE_H

#include <stddef.h>

struct arena;

/* The sort key of a UTF-8 string as lowercase hex (arena). Invalid UTF-8
 * is read with U+FFFD in place of bad bytes. NULL -> NULL. */
char *collate_key(struct arena *a, const char *utf8);

/* <0, 0, >0 like strcmp, in the same order as the keys. NULL sorts
 * first. */
int collate_cmp(const char *a, const char *b);

/* The search form of s (arena): lower-case by full case folding, ё -> е,
 * NFC. NULL -> NULL. */
char *collate_fold(struct arena *a, const char *s);

/* The ICU collator version, e.g. "153.112" (for stored-key upkeep), into
 * out (at least 32 bytes). */
void collate_version(char *out, size_t n);

/* Closes this thread's collator now (see Threads above). */
void collate_thread_cleanup(void);

#endif
