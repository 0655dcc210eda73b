/* ibc — `ibc user add|passwd|list` and `ibc org add|list`: the school's
 * accounts and the schools themselves from a terminal. They call the same
 * store functions as the admin pages (people.h, org.h). The database is
 * migrated first, as `ibc demo` and `ibc serve` do, so they work on a new
 * data folder. Bad input exits 1 naming the option at fault; usage errors
 * exit 2. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/str.h"
#include "core/utf8.h"
#include "db/db.h"
#include "db/migrate.h"
#include "org/org.h"
#include "people/people.h"

/* The option a store's field error is about, for messages. */
static const char *field_option(const char *field)
{
    static const struct {
        const char *field, *opt;
    } map[] = {
        {"login", "LOGIN"},
        {"last_name", "--name"},
        {"first_name", "--name"},
        {"middle_name", "--name"},
        {"name", "--name"},
        {"birth_date", "--birth"},
        {"email", "--email"},
        {"roles", "--role"},
        {"class_id", "--class"},
        {"class", "--class"},
        {"password", "--password"},
        {"code", "CODE"},
        {"short_name", "--short-name"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(field, map[i].field) == 0) {
            return map[i].opt;
        }
    }
    return field;
}

/* Prints "ibc: OPTION: message" (or plain cli_error); returns 1. */
static int field_error(const struct ibc_error *err)
{
    if (!err->field[0]) {
        return cli_error(err);
    }
    fprintf(stderr, "ibc: %s: %s\n", field_option(err->field),
            err->msg[0] ? err->msg : ibc_err_name(err->code));
    return 1;
}

/* Opens the app and a migrated connection. Returns 0 or an exit status. */
static int open_db(struct cli *c, struct app *app, struct db **db)
{
    struct ibc_error err = IBC_ERROR_INIT;
    if (app_open(app, &c->cfg, &err)) {
        return cli_error(&err);
    }
    if (app_db_open(app, db, &err) || migrate_apply(*db, NULL, &err)) {
        db_close(*db);
        *db = NULL;
        app_close(app);
        return cli_error(&err);
    }
    return 0;
}

static void close_db(struct app *app, struct db *db)
{
    db_close(db);
    app_close(app);
}

/* The school of the command: --org CODE, else the only one. */
static int pick_school(struct cli *c, struct db *db, struct arena *a,
                       struct org *o)
{
    struct ibc_error err = IBC_ERROR_INIT;
    if (c->cfg.org_code) {
        if (org_get_by_code(db, a, c->cfg.org_code, o, &err)) {
            return field_error(&err);
        }
        return 0;
    }
    int64_t n = 0;
    if (org_count(db, &n, &err)) {
        return cli_error(&err);
    }
    if (n == 0) {
        fprintf(stderr, "ibc: the database holds no school yet: create one "
                        "with `ibc org add CODE --name … --short-name …`\n");
        return 1;
    }
    if (n > 1) {
        fprintf(stderr,
                "ibc: the database holds %lld schools: name one with "
                "--org CODE (see `ibc org list`)\n",
                (long long)n);
        return 1;
    }
    if (org_get_default(db, a, o, &err)) {
        return cli_error(&err);
    }
    return 0;
}

/* Splits "Фамилия Имя [Отчество…]" at spaces into the three names
 * (the rest after the second word is the middle name: «Гусейн оглы»). */
static int split_name(struct arena *a, const char *full, const char **last,
                      const char **first, const char **middle)
{
    char *s = arena_strdup(a, full);
    char *w[3] = {NULL, NULL, NULL};
    int n = 0;
    char *p = s;
    while (*p && n < 3) {
        while (*p == ' ') {
            p++;
        }
        if (!*p) {
            break;
        }
        w[n++] = p;
        if (n == 3) {
            break;
        }
        while (*p && *p != ' ') {
            p++;
        }
        if (*p) {
            *p++ = '\0';
        }
    }
    if (n < 2) {
        fprintf(stderr, "ibc: --name: give the last and the first name "
                        "(and the middle name if there is one): "
                        "--name \"Иванова Мария Петровна\"\n");
        return 1;
    }
    if (w[2]) { /* trim trailing spaces of the middle part */
        size_t len = strlen(w[2]);
        while (len && w[2][len - 1] == ' ') {
            w[2][--len] = '\0';
        }
    }
    *last = w[0];
    *first = w[1];
    *middle = w[2];
    return 0;
}

int cmd_user_add(struct cli *c)
{
    const char *name = cli_opt(c, "--name");
    const char *role = cli_opt(c, "--role");
    const char *cls = cli_opt(c, "--class");
    const char *birth = cli_opt(c, "--birth");
    const char *email = cli_opt(c, "--email");
    const char *password = cli_opt(c, "--password");
    if (cli_finish_opts(c) != 1) {
        return cli_usage_error(c, "user add takes one LOGIN");
    }
    if (!name || !role) {
        return cli_usage_error(c, "user add needs --name and --role");
    }
    struct arena *a = arena_new();
    struct ibc_error err = IBC_ERROR_INIT;
    struct person_input in = {
        .login = c->argv[0], .birth_date = birth, .email = email};
    int status =
        split_name(a, name, &in.last_name, &in.first_name, &in.middle_name);
    if (status == 0 && role_parse_list(role, &in.roles, &err)) {
        status = field_error(&err);
    }
    if (status) {
        arena_free(a);
        return status;
    }
    struct app app;
    struct db *db = NULL;
    if ((status = open_db(c, &app, &db))) {
        arena_free(a);
        return status;
    }
    struct org o;
    char pw[16];
    if ((status = pick_school(c, db, a, &o))) {
        goto out;
    }
    if (cls) {
        struct school_class sc;
        if (class_find(db, a, o.id, cls, 0, &sc, &err)) {
            status = field_error(&err);
            goto out;
        }
        in.class_id = sc.id;
    }
    if (password) {
        in.password = password;
        in.must_change_password = false;
    } else {
        if (person_generate_password(pw)) {
            fprintf(stderr, "ibc: cannot generate a password\n");
            status = 1;
            goto out;
        }
        in.password = pw;
        in.must_change_password = true;
    }
    int64_t id = 0;
    if (person_create(db, o.id, &in, &id, &err)) {
        status = field_error(&err);
        goto out;
    }
    struct person p;
    if (person_get(db, a, o.id, id, &p, &err)) {
        status = cli_error(&err);
        goto out;
    }
    printf("created %s (%s %s) in %s (%s)\n", p.login, p.last_name,
           p.first_name, o.short_name, o.code);
    if (!password) {
        printf("one-time password: %s (to be changed at the first "
               "sign-in)\n",
               pw);
    }
out:
    close_db(&app, db);
    arena_free(a);
    return status;
}

int cmd_user_passwd(struct cli *c)
{
    const char *password = cli_opt(c, "--password");
    if (cli_finish_opts(c) != 1) {
        return cli_usage_error(c, "user passwd takes one LOGIN");
    }
    struct app app;
    struct db *db = NULL;
    int status = open_db(c, &app, &db);
    if (status) {
        return status;
    }
    struct arena *a = arena_new();
    struct ibc_error err = IBC_ERROR_INIT;
    struct org o;
    struct person p;
    char pw[16];
    if ((status = pick_school(c, db, a, &o))) {
        goto out;
    }
    if (person_get_by_login(db, a, o.id, c->argv[0], &p, &err)) {
        fprintf(stderr, "ibc: LOGIN: no user \"%s\" in %s (%s)\n", c->argv[0],
                o.short_name, o.code);
        status = 1;
        goto out;
    }
    if (!password) {
        if (person_generate_password(pw)) {
            fprintf(stderr, "ibc: cannot generate a password\n");
            status = 1;
            goto out;
        }
    }
    if (person_set_password(db, o.id, p.id, password ? password : pw, true,
                            &err)) {
        status = field_error(&err);
        goto out;
    }
    printf("password of %s changed; to be changed at the next sign-in\n",
           p.login);
    if (!password) {
        printf("one-time password: %s\n", pw);
    }
out:
    close_db(&app, db);
    arena_free(a);
    return status;
}

/* Prints s left-aligned in width characters (not bytes). */
static void put_cell(const char *s, size_t width)
{
    s = s ? s : "";
    size_t n = utf8_valid(s, strlen(s)) ? utf8_length(s) : strlen(s);
    fputs(s, stdout);
    for (; n < width; n++) {
        putchar(' ');
    }
}

static size_t text_width(const char *s)
{
    return s ? utf8_length(s) : 0;
}

int cmd_user_list(struct cli *c)
{
    const char *role = cli_opt(c, "--role");
    const char *cls = cli_opt(c, "--class");
    if (cli_finish_opts(c) != 0) {
        return cli_usage_error(c, "user list takes no arguments");
    }
    struct ibc_error err = IBC_ERROR_INIT;
    unsigned mask = 0;
    if (role && role_parse_list(role, &mask, &err)) {
        return field_error(&err);
    }
    struct app app;
    struct db *db = NULL;
    int status = open_db(c, &app, &db);
    if (status) {
        return status;
    }
    struct arena *a = arena_new();
    struct org o;
    int64_t class_id = 0;
    if ((status = pick_school(c, db, a, &o))) {
        goto out;
    }
    if (cls) {
        struct school_class sc;
        if (class_find(db, a, o.id, cls, 0, &sc, &err)) {
            status = field_error(&err);
            goto out;
        }
        class_id = sc.id;
    }
    struct person *v;
    size_t n;
    if (person_list(db, a, o.id, mask, class_id, &v, &n, &err)) {
        status = cli_error(&err);
        goto out;
    }
    const char **names = arena_alloc(a, (n + 1) * sizeof(*names));
    const char **roles = arena_alloc(a, (n + 1) * sizeof(*roles));
    size_t w_login = 5, w_name = 4, w_roles = 5;
    for (size_t i = 0; i < n; i++) {
        names[i] = arena_printf(a, "%s %s%s%s", v[i].last_name, v[i].first_name,
                                v[i].middle_name ? " " : "",
                                v[i].middle_name ? v[i].middle_name : "");
        roles[i] = role_format(a, v[i].roles);
        size_t w;
        if ((w = text_width(v[i].login)) > w_login) {
            w_login = w;
        }
        if ((w = text_width(names[i])) > w_name) {
            w_name = w;
        }
        if ((w = text_width(roles[i])) > w_roles) {
            w_roles = w;
        }
    }
    put_cell("login", w_login + 2);
    put_cell("name", w_name + 2);
    put_cell("roles", w_roles + 2);
    printf("class\n");
    for (size_t i = 0; i < n; i++) {
        put_cell(v[i].login, w_login + 2);
        put_cell(names[i], w_name + 2);
        put_cell(roles[i], w_roles + 2);
        printf("%s\n", v[i].class_name ? v[i].class_name : "");
    }
out:
    close_db(&app, db);
    arena_free(a);
    return status;
}

int cmd_org_add(struct cli *c)
{
    struct org o = {0};
    o.name = cli_opt(c, "--name");
    o.short_name = cli_opt(c, "--short-name");
    o.city = cli_opt(c, "--city");
    if (cli_finish_opts(c) != 1) {
        return cli_usage_error(c, "org add takes one CODE");
    }
    if (!o.name || !o.short_name) {
        return cli_usage_error(c, "org add needs --name and --short-name");
    }
    o.code = c->argv[0];
    struct app app;
    struct db *db = NULL;
    int status = open_db(c, &app, &db);
    if (status) {
        return status;
    }
    struct ibc_error err = IBC_ERROR_INIT;
    int64_t id = 0;
    if (org_create(db, &o, &id, &err)) {
        status = field_error(&err);
    } else {
        printf("created school %s (%s)\n", o.code, o.short_name);
    }
    close_db(&app, db);
    return status;
}

int cmd_org_list(struct cli *c)
{
    if (cli_finish_opts(c) != 0) {
        return cli_usage_error(c, "org list takes no arguments");
    }
    struct app app;
    struct db *db = NULL;
    int status = open_db(c, &app, &db);
    if (status) {
        return status;
    }
    struct arena *a = arena_new();
    struct ibc_error err = IBC_ERROR_INIT;
    struct org *v;
    size_t n;
    if (org_list(db, a, &v, &n, &err)) {
        status = cli_error(&err);
    } else {
        size_t w_code = 4, w_short = 10, w_city = 4;
        for (size_t i = 0; i < n; i++) {
            size_t w;
            if ((w = text_width(v[i].code)) > w_code) {
                w_code = w;
            }
            if ((w = text_width(v[i].short_name)) > w_short) {
                w_short = w;
            }
            if ((w = text_width(v[i].city)) > w_city) {
                w_city = w;
            }
        }
        put_cell("code", w_code + 2);
        put_cell("short name", w_short + 2);
        put_cell("city", w_city + 2);
        printf("name\n");
        for (size_t i = 0; i < n; i++) {
            put_cell(v[i].code, w_code + 2);
            put_cell(v[i].short_name, w_short + 2);
            put_cell(v[i].city, w_city + 2);
            printf("%s\n", v[i].name);
        }
    }
    close_db(&app, db);
    arena_free(a);
    return status;
}
