/* ibc — login slips as PDF; see slips.h.
 *
 * Layout: A4 portrait (595 × 842 pt), 2 columns × 4 rows of slips with
 * dashed cut lines; each slip is laid out with pango (DejaVu Sans, falls
 * back through fontconfig), so long Russian names wrap instead of running
 * off the slip. The password and codes use a monospaced face so that 1/l
 * and 0/O cannot be confused (the generators avoid them anyway). */
#include "print/slips.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "core/utf8.h"

#define PAGE_W 595.0
#define PAGE_H 842.0
#define MARGIN 28.0
#define COLS 2
#define ROWS 4
#define PAD 12.0

static cairo_status_t write_buf(void *closure, const unsigned char *data,
                                unsigned int len)
{
    buf_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

/* Draws text at (x, y) within width w; returns the height used. */
static double text(cairo_t *cr, double x, double y, double w,
                   const char *font, const char *s)
{
    PangoLayout *lay = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(lay, fd);
    pango_layout_set_width(lay, (int)(w * PANGO_SCALE));
    pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(lay, s, -1);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, lay);
    int pw, ph;
    pango_layout_get_size(lay, &pw, &ph);
    pango_font_description_free(fd);
    g_object_unref(lay);
    return (double)ph / PANGO_SCALE;
}

/* "label: value" on one line, the value in monospace bold. */
static double field(cairo_t *cr, double x, double y, double w,
                    const char *label, const char *value)
{
    double h = text(cr, x, y + 1, w * 0.28, "DejaVu Sans 9", label);
    double h2 = text(cr, x + w * 0.28, y - 1, w * 0.72,
                     "DejaVu Sans Mono Bold 11", value);
    return (h > h2 ? h : h2) + 3;
}

static void draw_slip(cairo_t *cr, const struct slip *s,
                      const struct slip_labels *l, double x0, double y0,
                      double w, double h)
{
    /* dashed cut frame */
    static const double dash[] = {4.0, 3.0};
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    cairo_set_line_width(cr, 0.6);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_stroke(cr);
    cairo_restore(cr);

    cairo_set_source_rgb(cr, 0, 0, 0);
    double x = x0 + PAD, y = y0 + PAD - 2, iw = w - 2 * PAD;
    y += text(cr, x, y, iw, "DejaVu Sans 8", l->school) + 1;
    y += text(cr, x, y, iw, "DejaVu Sans Bold 10.5", s->name);
    if (s->class_name && *s->class_name) {
        y += text(cr, x, y, iw, "DejaVu Sans 9", s->class_name);
    }
    y += 4;
    y += field(cr, x, y, iw, l->login, s->login);
    y += field(cr, x, y, iw, l->password, s->password);
    y += text(cr, x, y, iw, "DejaVu Sans Italic 7.5", l->change_note) + 3;
    if (s->parent_code && *s->parent_code) {
        cairo_save(cr);
        cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
        cairo_set_line_width(cr, 0.4);
        cairo_move_to(cr, x, y + 1);
        cairo_line_to(cr, x + iw, y + 1);
        cairo_stroke(cr);
        cairo_restore(cr);
        y += 4;
        /* Whole, never cut: a fixed buffer would cut a long date or label
         * in the middle of a character and hand pango invalid UTF-8. */
        struct buf head = BUF_INIT;
        if (s->code_until && *s->code_until) {
            buf_printf(&head, "%s (%s %s)", l->parent_code, l->valid_until,
                       s->code_until);
        } else {
            buf_puts(&head, l->parent_code);
        }
        y += text(cr, x, y, iw, "DejaVu Sans 8", buf_cstr(&head)) + 1;
        buf_reset(&head);
        y += text(cr, x, y, iw, "DejaVu Sans Mono Bold 11", s->parent_code);
    }
    (void)y;
    struct buf addr = BUF_INIT;
    buf_printf(&addr, "%s: %s", l->address, l->url);
    text(cr, x, y0 + h - PAD - 10, iw, "DejaVu Sans 7.5", buf_cstr(&addr));
    buf_reset(&addr);
}

/* Valid UTF-8 without Unicode noncharacters (U+FDD0..U+FDEF, U+xxFFFE,
 * U+xxFFFF): cairo refuses those in PDF text ("input string not valid
 * UTF-8"), which would fail the whole sheet after drawing began. */
static bool ok_text(const char *s)
{
    if (!s) {
        return true;
    }
    size_t len = strlen(s);
    if (!utf8_valid(s, len)) {
        return false;
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t k = utf8_decode(s + i, len - i, &cp);
        if (k == 0 || (cp >= 0xFDD0 && cp <= 0xFDEF) ||
            (cp & 0xFFFE) == 0xFFFE) {
            return false;
        }
        i += k;
    }
    return true;
}

/* The labels carry outside text too: the school's name and the sign-in
 * address built from the request's Host header. */
static bool ok_labels(const struct slip_labels *l)
{
    const char *const all[] = {l->school,      l->heading,     l->address,
                               l->url,         l->login,       l->password,
                               l->change_note, l->parent_code, l->valid_until};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (!all[i] || !ok_text(all[i])) {
            return false;
        }
    }
    return true;
}

int slips_render_pdf(const struct slip *slips, size_t n,
                     const struct slip_labels *labels, struct buf *out,
                     struct ibc_error *err)
{
    if (n == 0 || n > 2000) {
        return ibc_fail(err, IBC_EINVAL, "1 to 2000 slips, not %zu", n);
    }
    if (!ok_labels(labels)) {
        return ibc_fail(err, IBC_EINVAL,
                        "slips: missing or invalid text in the labels");
    }
    for (size_t i = 0; i < n; i++) {
        const struct slip *s = &slips[i];
        if (!s->name || !s->login || !s->password || !ok_text(s->name) ||
            !ok_text(s->class_name) || !ok_text(s->login) ||
            !ok_text(s->password) || !ok_text(s->parent_code) ||
            !ok_text(s->code_until)) {
            return ibc_fail(err, IBC_EINVAL, "slip %zu: missing or "
                            "invalid text", i + 1);
        }
    }
    cairo_surface_t *surf =
        cairo_pdf_surface_create_for_stream(write_buf, out, PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE,
                                   labels->heading);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "ibc");
    cairo_t *cr = cairo_create(surf);
    double cw = (PAGE_W - 2 * MARGIN) / COLS;
    double ch = (PAGE_H - 2 * MARGIN) / ROWS;
    for (size_t i = 0; i < n; i++) {
        size_t k = i % (COLS * ROWS);
        if (i > 0 && k == 0) {
            cairo_show_page(cr);
        }
        double x = MARGIN + (double)(k % COLS) * cw;
        double y = MARGIN + (double)(k / COLS) * ch;
        draw_slip(cr, &slips[i], labels, x, y, cw, ch);
    }
    cairo_show_page(cr);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    if (st == CAIRO_STATUS_SUCCESS) {
        st = cairo_surface_status(surf);
    }
    cairo_surface_destroy(surf);
    if (st != CAIRO_STATUS_SUCCESS) {
        return ibc_fail(err, IBC_EIO, "PDF: %s", cairo_status_to_string(st));
    }
    return 0;
}
