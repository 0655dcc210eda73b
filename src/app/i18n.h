/* ibc — message catalogues (Russian first, English on request).
 *
 * Catalogues are files i18n/<lang>.msg embedded at build time, one message a
 * line: `key = text` (see docs/HACKING.md). Russian is the reference: every
 * key must exist in ru; a key missing in another language falls back to ru. */
#ifndef IBC_APP_I18N_H
#define IBC_APP_I18N_H

#include "core/err.h"

struct i18n;

int i18n_load(struct i18n **out, struct ibc_error *err); /* from embed */
void i18n_free(struct i18n *i);
/* Text for key in lang, falling back to ru; NULL when unknown. */
const char *i18n_get(const struct i18n *i, const char *lang, const char *key);
/* Normalises a requested language: "en" or "ru" (default). */
const char *i18n_lang(const char *requested);
/* Parses one catalogue text (for tests and fuzzing). */
int i18n_parse(struct i18n *i, const char *lang, const char *text,
               struct ibc_error *err);
struct i18n *i18n_new(void);
/* Checks that every key of every language exists in ru (i18n_load does
 * this); IBC_ENOTFOUND naming the first offending file:line otherwise. */
int i18n_check(const struct i18n *i, struct ibc_error *err);

#endif
