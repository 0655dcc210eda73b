/* ibc — the one error type; see err.h. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fill(struct ibc_error *err, int code, const char *field,
                 const char *fmt, va_list ap)
{
    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int ibc_fail(struct ibc_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        fill(err, code, NULL, fmt, ap);
        va_end(ap);
    }
    return code;
}

int ibc_fail_field(struct ibc_error *err, int code, const char *field,
                   const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        fill(err, code, field, fmt, ap);
        va_end(ap);
    }
    return code;
}

void ibc_error_clear(struct ibc_error *err)
{
    if (err) {
        memset(err, 0, sizeof(*err));
    }
}

static const struct {
    const char *name;
    int status;
} table[IBC_ERR__COUNT] = {
    {"OK", 200},        {"EINVAL", 400},   {"ENOTFOUND", 404},
    {"ECONFLICT", 409}, {"EPERM", 403},    {"EAUTH", 401},
    {"EDB", 500},       {"EIO", 500},      {"EPARSE", 400},
    {"ETOOBIG", 413},   {"EUNAVAIL", 503}, {"EMETHOD", 405},
    {"EINTERNAL", 500},
};

const char *ibc_err_name(int code)
{
    int i = -code;
    return (i >= 0 && i < IBC_ERR__COUNT) ? table[i].name : "EUNKNOWN";
}

int ibc_err_http_status(int code)
{
    int i = -code;
    return (i >= 0 && i < IBC_ERR__COUNT) ? table[i].status : 500;
}
