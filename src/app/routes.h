/* ibc — the route table: every URL the server answers, with the permission
 * and flags it needs, in one place (src/app/routes.c). */
#ifndef IBC_APP_ROUTES_H
#define IBC_APP_ROUTES_H

#include <stddef.h>

#include "http/http.h"

extern const struct route app_routes[];
extern const size_t app_routes_n;

#endif
