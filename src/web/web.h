/* ibc — small helpers shared by the page handlers of every module. */
#ifndef IBC_WEB_WEB_H
#define IBC_WEB_WEB_H

#include "http/http.h"

struct org;

/* The school of this request (cached on req); NULL if the database holds
 * none. The people issue will resolve it from the signed-in account or the
 * host name in a municipal database. */
const struct org *web_org(struct req *req);
/* A message of the request's language (the key itself when unknown). */
const char *web_msg(struct req *req, const char *key);

#endif
