/* ibc — hidden test commands: `ibc test-render`, `ibc test-collate`.
 *
 * They expose internals to shell tests and to people debugging: a template
 * rendered with a few values, lines sorted in Russian order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/i18n.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "text/collate.h"
#include "tpl/tpl.h"

int cmd_test_render(struct cli *c)
{
    const char *lang = cli_opt(c, "--lang");
    int n = cli_finish_opts(c);
    if (n < 1) {
        return cli_usage_error(c, "which template?");
    }
    struct app app;
    struct ibc_error err = IBC_ERROR_INIT;
    if (app_open(&app, &c->cfg, &err)) {
        return cli_error(&err);
    }
    struct arena *a = arena_new();
    struct tpl_vm *vm = tpl_vm_new(a);
    for (int i = 1; i < n; i++) {
        char *eq = strchr(c->argv[i], '=');
        if (!eq) {
            arena_free(a);
            app_close(&app);
            return cli_usage_error(c, "values are key=value, not \"%s\"",
                                   c->argv[i]);
        }
        char *key = arena_strndup(a, c->argv[i], (size_t)(eq - c->argv[i]));
        tpl_set_str(vm, key, eq + 1);
    }
    struct buf out = BUF_INIT;
    int status = 0;
    if (tpl_render(app.tpl, c->argv[0], vm, i18n_lang(lang), &out, &err)) {
        status = cli_error(&err);
    } else {
        fwrite(buf_cstr(&out), 1, out.len, stdout);
    }
    buf_reset(&out);
    arena_free(a);
    app_close(&app);
    return status;
}

static int cmp_lines(const void *x, const void *y)
{
    return collate_cmp(*(char *const *)x, *(char *const *)y);
}

int cmd_test_collate(struct cli *c)
{
    if (cli_finish_opts(c)) {
        return cli_usage_error(c, "test-collate reads stdin only");
    }
    char **lines = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t len = 0;
    ssize_t got;
    while ((got = getline(&line, &len, stdin)) >= 0) {
        if (got && line[got - 1] == '\n') {
            line[got - 1] = '\0';
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            lines = xrealloc(lines, cap * sizeof(*lines));
        }
        lines[n++] = xstrdup(line);
    }
    free(line);
    qsort(lines, n, sizeof(*lines), cmp_lines);
    for (size_t i = 0; i < n; i++) {
        puts(lines[i]);
        free(lines[i]);
    }
    free(lines);
    return 0;
}
