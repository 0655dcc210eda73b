/* ibc — the demo school that `make run` shows. Later issues add their demo
 * data here (readers, books, loans…). */
#ifndef IBC_DEMO_DEMO_H
#define IBC_DEMO_DEMO_H

#include <stdbool.h>
#include <stdio.h>

#include "core/err.h"

struct db;

/* Creates the demo school (code "demo") and its data unless it exists.
 * Sets *created. One transaction: all or nothing. */
int demo_seed(struct db *db, bool *created, struct ibc_error *err);
/* True for the demo school's code: its accounts have published
 * passwords, so sign-in to them needs a server started with --demo. */
bool demo_is_demo_org(const char *code);
/* Prints the demo's logins and what to look at (to stdout at start). */
void demo_print_logins(FILE *f, const char *base_url);

#endif
