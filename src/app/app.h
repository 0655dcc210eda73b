/* ibc — the application context: configuration and shared state that is
 * built at start-up and read by every request and command.
 *
 * There are no mutable globals (STYLE.md rule 3): a struct app is passed to
 * whoever needs it. After app_open() returns, only its connection pool and
 * the job system change, and both lock internally. */
#ifndef IBC_APP_APP_H
#define IBC_APP_APP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

struct db;
struct tpl_set;
struct i18n;
struct jobs;
struct throttle;

/* Settings from the command line / environment (cli parses them). */
struct app_config {
    const char *data_dir;   /* --data / IBC_DATA, default "./data" */
    const char *db_url;     /* --db, default sqlite:<data_dir>/ibc.db */
    const char *org_code;   /* --org, the school for commands; may be NULL */
    const char *listen;     /* --listen, default "127.0.0.1" */
    int port;               /* --port, default 8080; 0 = any free port */
    int workers;            /* --workers, HTTP threads (and DB connections) */
    int job_workers;        /* background job threads */
    const char *assets_dir; /* --assets-dir: serve templates/static from disk */
    const char *trusted;    /* --trusted: CIDRs exempt from per-address limits,
                               and whose X-Forwarded-For is believed */
    int max_conn_per_ip;    /* per-address connection limit for others */
    bool demo;              /* --demo: seed the demo school if empty */
    bool quiet;             /* no access log */
    const char *tls_cert;   /* --tls-cert: PEM certificate (chain) for HTTPS */
    const char *tls_key;    /* --tls-key: PEM private key for HTTPS */
    const char *run_as;     /* --user: drop to this user after binding */
    const char *smtp_url;   /* --smtp: smtp://host:port for the outbox */
    const char *mail_from;  /* sender address of notifications */
};

struct app {
    struct app_config cfg;
    char db_url[1024];        /* resolved database URL */
    unsigned char secret[32]; /* server secret (data/secret), for CSRF HMAC */
    struct tpl_set *tpl;      /* parsed templates */
    struct i18n *i18n;        /* message catalogues */
    struct jobs *jobs;        /* background jobs; NULL until started */
    struct throttle *throttle; /* sign-in and rate counters (auth/auth.h);
                                  locks internally */
    const char *version;      /* IBC_VERSION */

    /* The connection pool: one connection per worker, handed out whole. */
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    struct db **pool;
    bool *pool_busy;
    int pool_n;
};

/* Fills cfg with the defaults (reading IBC_DATA). */
void app_config_defaults(struct app_config *cfg);
/* Opens the application: data folder, secret, templates, catalogues. Does
 * not touch the database (commands that need it call app_db_open). */
int app_open(struct app *app, const struct app_config *cfg,
             struct ibc_error *err);
void app_close(struct app *app);
/* Opens one new connection to the app's database (caller closes). */
int app_db_open(struct app *app, struct db **out, struct ibc_error *err);
/* Creates a pool of n connections; verifies the schema is current (refuses
 * to start on a newer or altered schema: IBC_ECONFLICT). */
int app_pool_open(struct app *app, int n, struct ibc_error *err);
/* Takes a connection from the pool, waiting if all are busy. */
struct db *app_db_acquire(struct app *app);
void app_db_release(struct app *app, struct db *db);

#endif
