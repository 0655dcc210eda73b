/* ibc — pages: the shared layout every HTML page is rendered in.
 *
 * A handler builds a view model for its own template and calls page_render();
 * the layout adds what every page has: <html lang>, the school's name, the
 * navigation, the language switch, the version for the visually impaired
 * (classes from the a11y cookie), the CSRF token for forms, the footer. */
#ifndef IBC_WEB_PAGE_H
#define IBC_WEB_PAGE_H

#include "http/http.h"
#include "tpl/tpl.h"

/* A view model in the request's arena with the common keys set (lang,
 * csrf, a11y, school). */
struct tpl_vm *page_vm(struct req *req);
/* Renders template `name` with vm inside the layout into req->out as
 * text/html, status req->status (200 unless set). title is the page title
 * (plain text; escaped). Returns 0 or an error (the caller returns it and
 * the dispatcher shows the error page). */
int page_render(struct req *req, const char *name, struct tpl_vm *vm,
                const char *title);
/* The error page for status/message (HTML), used by http_error(). */
void page_error(struct req *req, int status, const char *message);

#endif
