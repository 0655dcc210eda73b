/* ibc — time helpers; see time.h. */
#include "core/time.h"

#include <stdio.h>
#include <string.h>

void time_iso(char out[32], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void time_now_iso(char out[32])
{
    time_iso(out, time(NULL));
}

bool time_parse_iso(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
        s[n] != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60) {
        return false;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = timegm(&tm);
    return true;
}

void time_format_date(char out[32], time_t t, const char *lang)
{
    static const char *en_months[] = {"Jan", "Feb", "Mar", "Apr",
                                      "May", "Jun", "Jul", "Aug",
                                      "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    time_t local = t + 3 * 3600; /* Moscow time until schools set a zone */
    gmtime_r(&local, &tm);
    if (lang && strcmp(lang, "en") == 0) {
        snprintf(out, 32, "%d %s %d", tm.tm_mday, en_months[tm.tm_mon],
                 tm.tm_year + 1900);
    } else {
        snprintf(out, 32, "%02d.%02d.%04d", tm.tm_mday, tm.tm_mon + 1,
                 tm.tm_year + 1900);
    }
}
