/* ibc — the home page and news (route handlers). */
#ifndef IBC_HOME_HOME_H
#define IBC_HOME_HOME_H

#include "http/http.h"

int home_page(struct req *req);       /* GET / */
int news_index_page(struct req *req); /* GET /news */
int news_item_page(struct req *req);  /* GET /news/{id} */

#endif
