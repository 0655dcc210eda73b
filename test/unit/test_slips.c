/* ibc — login slips as PDF (print/slips.c): the text a child reads off
 * the printed slip, checked with poppler's pdftotext (a reader nobody here
 * wrote), and the page count for a class. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "print/slips.h"

static const struct slip_labels labels = {
    .school = "Школа № 12",
    .heading = "Вход в библиотеку",
    .address = "Адрес",
    .url = "http://127.0.0.1:8080/",
    .login = "Логин",
    .password = "Пароль",
    .change_note = "при первом входе задайте свой пароль",
    .parent_code = "Код для родителей",
    .valid_until = "действует до",
};

/* Writes the PDF, runs pdftotext, returns its text (static buffer). */
static const char *pdf_text(const struct buf *pdf, int *pages)
{
    static char text[65536];
    char path[512], cmd[1200];
    snprintf(path, sizeof(path), "%s/slips.pdf", test_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    fwrite(pdf->data, 1, pdf->len, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "pdfinfo '%s' | awk '/^Pages:/ {print $2}'",
             path);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    CHECK(fscanf(p, "%d", pages) == 1);
    pclose(p);
    snprintf(cmd, sizeof(cmd), "pdftotext -layout '%s' -", path);
    p = popen(cmd, "r");
    CHECK(p != NULL);
    size_t n = fread(text, 1, sizeof(text) - 1, p);
    text[n] = '\0';
    CHECK_EQ_INT(pclose(p), 0);
    return text;
}

TEST(a_slip_reads_back_from_the_pdf)
{
    struct slip s = {.name = "Ёлкина Анастасия",
                     .class_name = "5А",
                     .login = "elkina.a",
                     .password = "kot-4821-les",
                     .parent_code = "7KQ4-M2XD-9PLA",
                     .code_until = "26.12.2026"};
    struct buf out = BUF_INIT;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(slips_render_pdf(&s, 1, &labels, &out, &err), 0);
    CHECK(out.len > 1000);
    CHECK(memcmp(out.data, "%PDF-", 5) == 0);
    int pages = 0;
    const char *t = pdf_text(&out, &pages);
    CHECK_EQ_INT(pages, 1);
    CHECK_CONTAINS(t, "Ёлкина Анастасия");
    CHECK_CONTAINS(t, "5А");
    CHECK_CONTAINS(t, "elkina.a");
    CHECK_CONTAINS(t, "kot-4821-les");
    CHECK_CONTAINS(t, "7KQ4-M2XD-9PLA");
    CHECK_CONTAINS(t, "действует до");
    CHECK_CONTAINS(t, "26.12.2026");
    CHECK_CONTAINS(t, "Код для родителей");
    CHECK_CONTAINS(t, "Школа № 12");
    buf_reset(&out);
}

TEST(a_class_of_23_takes_three_pages)
{
    struct slip s[23];
    char names[23][64], logins[23][32];
    for (int i = 0; i < 23; i++) {
        snprintf(names[i], sizeof(names[i]), "Ученик Номер %d", i + 1);
        snprintf(logins[i], sizeof(logins[i]), "pupil%02d", i + 1);
        s[i] = (struct slip){.name = names[i], .class_name = "7Б",
                             .login = logins[i], .password = "sova-1234-dom"};
    }
    struct buf out = BUF_INIT;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(slips_render_pdf(s, 23, &labels, &out, &err), 0);
    int pages = 0;
    const char *t = pdf_text(&out, &pages);
    CHECK_EQ_INT(pages, 3);
    CHECK_CONTAINS(t, "pupil01");
    CHECK_CONTAINS(t, "pupil23");
    CHECK_NOT_CONTAINS(t, "Код для родителей"); /* no codes on these */
    buf_reset(&out);
}

TEST(bad_slips_are_refused)
{
    struct buf out = BUF_INIT;
    struct ibc_error err = IBC_ERROR_INIT;
    CHECK_EQ_INT(slips_render_pdf(NULL, 0, &labels, &out, &err), IBC_EINVAL);
    struct slip s = {.name = "\xff\xfe", .login = "x", .password = "y"};
    CHECK_EQ_INT(slips_render_pdf(&s, 1, &labels, &out, &err), IBC_EINVAL);
    CHECK_CONTAINS(err.msg, "slip 1");
    /* a noncharacter (U+FFFE) is valid UTF-8 but cairo refuses it in PDF
     * text: refused up front, naming the slip (found by fuzz_slips) */
    struct slip s3 = {.name = "Имя\xef\xbf\xbe", .login = "x", .password = "y"};
    CHECK_EQ_INT(slips_render_pdf(&s3, 1, &labels, &out, &err), IBC_EINVAL);
    CHECK_CONTAINS(err.msg, "slip 1");
    /* the labels carry outside text too (the Host header in the URL) */
    struct slip_labels bad_labels = labels;
    bad_labels.url = "http://\xff/";
    struct slip ok = {.name = "Имя", .login = "x", .password = "y"};
    CHECK_EQ_INT(slips_render_pdf(&ok, 1, &bad_labels, &out, &err),
                 IBC_EINVAL);
    struct slip s2 = {.name = "Имя", .login = NULL, .password = "y"};
    CHECK_EQ_INT(slips_render_pdf(&s2, 1, &labels, &out, &err), IBC_EINVAL);
    CHECK_EQ_INT(out.len, 0);
    buf_reset(&out);
}
