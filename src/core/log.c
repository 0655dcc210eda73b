/* ibc — logging; see log.h. */
#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static atomic_int level = LOG_INFO;
static _Thread_local char req_id[24];

void log_set_level(enum log_level lvl)
{
    atomic_store(&level, (int)lvl);
}

enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load(&level);
}

void log_set_request_id(const char *id)
{
    snprintf(req_id, sizeof(req_id), "%s", id ? id : "");
}

const char *log_request_id(void)
{
    return req_id;
}

void log_line(const char *line)
{
    /* One fputs per line keeps lines whole across threads (stdio locks). */
    fputs(line, stderr);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const char *names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    if ((int)lvl > atomic_load(&level)) {
        return;
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[2200];
    snprintf(line, sizeof(line), "%s %s [%s] %s\n", ts, names[lvl],
             req_id[0] ? req_id : "-", msg);
    log_line(line);
}
