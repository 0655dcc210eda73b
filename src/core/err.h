/* ibc — the one error type.
 *
 * Functions that can fail return int: 0 (IBC_OK) on success or a negative
 * enum ibc_err. When the caller passes a struct ibc_error, the failing function
 * fills in a human-readable message and, for bad input, the name of the field
 * at fault, so a form can show the message next to that field. Business
 * outcomes (a refused loan) are not errors: they are result enums. */
#ifndef IBC_CORE_ERR_H
#define IBC_CORE_ERR_H

enum ibc_err {
    IBC_OK = 0,
    IBC_EINVAL = -1,    /* bad input from a user or a client (400/422) */
    IBC_ENOTFOUND = -2, /* no such thing (404) */
    IBC_ECONFLICT = -3, /* already exists / changed meanwhile (409) */
    IBC_EPERM = -4,     /* signed in but not allowed (403) */
    IBC_EAUTH = -5,     /* must sign in (401 / redirect) */
    IBC_EDB = -6,       /* database failure (500) */
    IBC_EIO = -7,       /* file or network failure (500) */
    IBC_EPARSE = -8,    /* malformed data: MARC, XML, HTTP, template (400) */
    IBC_ETOOBIG = -9,   /* over a size limit (413) */
    IBC_EUNAVAIL = -10, /* temporarily unavailable, try later (503) */
    IBC_EMETHOD = -11,  /* method not allowed (405) */
    IBC_EINTERNAL = -12 /* a bug (500) */
};

#define IBC_ERR__COUNT 13

/* Details of a failure; zero-initialise with IBC_ERROR_INIT. */
struct ibc_error {
    int code;        /* enum ibc_err */
    char field[64];  /* form field at fault, "" if none */
    char msg[512];   /* message for logs or users (UTF-8) */
};

#define IBC_ERROR_INIT {0, "", ""}

/* Fills err (if non-NULL) and returns code, so `return ibc_fail(...)` works. */
int ibc_fail(struct ibc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, naming the form field at fault. */
int ibc_fail_field(struct ibc_error *err, int code, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ibc_error_clear(struct ibc_error *err);
const char *ibc_err_name(int code);  /* "EINVAL"…; static string */
int ibc_err_http_status(int code);   /* the one mapping to HTTP status */

#endif
