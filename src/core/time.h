/* ibc — time as the database and the interface want it. */
#ifndef IBC_CORE_TIME_H
#define IBC_CORE_TIME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* "2026-11-26T01:02:03Z" (UTC) into out[32]. */
void time_now_iso(char out[32]);
void time_iso(char out[32], time_t t);
/* Parses the ISO form above; false on anything else. */
bool time_parse_iso(const char *s, time_t *out);
/* ДД.ММ.ГГГГ (Russian) or "26 Nov 2026" style per lang, in local time of
 * the school (UTC+3 Moscow by default until the school's zone is set). */
void time_format_date(char out[32], time_t t, const char *lang);

#endif
