/* ibc — printed login slips: one A4 sheet per class, ten slips a page to
 * cut apart, each with a child's login, one-time password and the code
 * that links a parent (issue #3). Rendered with cairo + pango, so Cyrillic
 * text is shaped and wrapped properly, into PDF bytes in memory. */
#ifndef IBC_PRINT_SLIPS_H
#define IBC_PRINT_SLIPS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* One slip: everything is plain UTF-8 text, borrowed. */
struct slip {
    const char *name;        /* «Иванов Пётр» */
    const char *class_name;  /* «5А» */
    const char *login;
    const char *password;    /* one-time, to change at first sign-in */
    const char *parent_code; /* NULL: no code on this slip */
    const char *code_until;  /* «26.12.2026» */
};

/* The words on every slip, in the interface language (from i18n). */
struct slip_labels {
    const char *school;      /* «Школа № 12» */
    const char *heading;     /* «Вход в библиотеку» */
    const char *address;     /* «Адрес» */
    const char *url;         /* where to sign in */
    const char *login;       /* «Логин» */
    const char *password;    /* «Пароль» */
    const char *change_note; /* «при первом входе задайте свой пароль» */
    const char *parent_code; /* «Код для родителей» */
    const char *valid_until; /* «действует до» */
};

/* Renders n slips (n ≥ 1, at most 2000) as A4 pages into out (PDF).
 * Returns 0, IBC_EINVAL for no slips or bad text (invalid UTF-8, a Unicode
 * noncharacter, or NULL where text is required, in a slip or a label;
 * nothing is drawn then),
 * IBC_EIO when cairo fails. */
int slips_render_pdf(const struct slip *slips, size_t n,
                     const struct slip_labels *labels, struct buf *out,
                     struct ibc_error *err);

#endif
