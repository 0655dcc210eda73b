/* ibc — logging to stderr with the current request id.
 *
 * Each line: "2026-11-26T01:02:03Z LEVEL [reqid] message". The request id is
 * thread-local and set by the HTTP layer for the duration of a request, so a
 * database error logged deep in a store carries the id of the request that
 * caused it (and the access log line of that request shows the same id). */
#ifndef IBC_CORE_LOG_H
#define IBC_CORE_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_set_request_id(const char *id); /* NULL clears; copied */
const char *log_request_id(void);        /* "" when none */
void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes an already-formatted line (the access log) unconditionally. */
void log_line(const char *line);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
