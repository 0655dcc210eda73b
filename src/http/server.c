/* ibc — the HTTP server: the only file that sees libmicrohttpd.
 *
 * MHD runs an internal pool of cfg.workers threads (epoll where available)
 * on a listening socket we open ourselves (IPv4 or IPv6, port 0 allowed).
 * For each request this adapter:
 *   - creates the request's arena and struct req in the URI-log callback,
 *     which MHD calls with the raw request-target before it decodes
 *     anything (so the dispatcher sees %00 and bad UTF-8 and can refuse
 *     them, and `ibc test-http` parses exactly the same text);
 *   - on the first access call fills method, headers and peer, checks the
 *     header and target limits and the route's body limit against
 *     Content-Length, and answers at once (413/414/431) when they are
 *     exceeded — MHD then closes the connection without reading the body;
 *   - collects the body (a chunked body over the limit is read and dropped,
 *     then answered with 413);
 *   - calls http_dispatch() and hands the finished response to MHD;
 *   - in the completion callback writes the access log line and frees the
 *     arena.
 * Limits against slow or greedy clients: a connection timeout, a memory
 * limit per connection (headers), a total connection limit, and a limit of
 * connections per address for peers outside cfg.trusted (a whole school
 * shares one address behind NAT, so the school network and a reverse proxy
 * go in --trusted). A connection is counted from accept to close: the
 * accept-policy callback reserves a place, MHD's connection notification
 * carries it to the connection and gives it back when it closes.
 * Stopping: http_server_stop() stops accepting (MHD_quiesce_daemon), waits
 * until the requests in flight have been answered, then stops MHD. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/str.h"
#include "core/xalloc.h"

#define CONN_TIMEOUT_S 30          /* idle or slow connections are closed */
#define CONN_MEMORY (64 * 1024) /* per connection: request line, headers;
                                   MHD zeroes it after every request, so
                                   it is kept small (bench/README.md) */
#define CONN_LIMIT 2048            /* connections in all */
#define SLOT_BUCKETS 256
/* A body over its limit is read and dropped so the client gets its 413;
 * past this much more, the connection is simply closed. */
#define DRAIN_MAX (8 * 1024 * 1024)

/* Connections open from one untrusted address. */
struct slot {
    struct slot *next;
    unsigned char key[17]; /* family (4/6) + address bytes */
    int count;
};

struct http_server {
    struct app *app;
    struct MHD_Daemon *mhd;
    struct netacl *trusted;
    int per_ip;              /* 0: no per-address limit */
    char url[128];
    int listen_fd;
    pthread_mutex_t mu;      /* guards slots and inflight */
    pthread_cond_t idle;     /* inflight reached 0 */
    struct slot *slots[SLOT_BUCKETS];
    int inflight;            /* requests between request line and completion */
    atomic_bool stopping;
    atomic_llong refusal_logged; /* time() of the last refusal logged */
    bool tls;                /* HTTPS (libmicrohttpd with GnuTLS) */
    char *tls_cert;          /* PEM text, heap */
    char *tls_key;           /* PEM text, heap; wiped at stop */
};

/* One request: lives in its own arena, from the request line to the
 * completion callback. */
struct sreq {
    struct req req;
    struct http_server *srv;
    struct timespec start;
    bool started;            /* the first access call happened */
    bool too_big;            /* the body went over the limit */
    size_t limit;            /* body limit of the route */
    size_t dropped;          /* body bytes dropped after the limit */
    struct buf body;
    int status;              /* 0 until answered */
    size_t sent;             /* body bytes sent */
};

/* ---- per-address connection counting ---- */

/* The accept-policy callback and MHD's STARTED notification run one after
 * the other on the same thread for one connection; the reservation made in
 * the first is handed to the second through this thread-local slot. */
static _Thread_local unsigned char *pending_key;
static _Thread_local struct http_server *pending_srv;

static bool addr_key(const struct sockaddr *sa, unsigned char key[17])
{
    memset(key, 0, 17);
    if (sa->sa_family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            key[0] = 4;
            memcpy(key + 1, a->s6_addr + 12, 4);
        } else {
            key[0] = 6;
            memcpy(key + 1, a->s6_addr, 16);
        }
        return true;
    }
    return false;
}

static unsigned bucket(const unsigned char key[17])
{
    unsigned h = 2166136261u;
    for (int i = 0; i < 17; i++) {
        h = (h ^ key[i]) * 16777619u;
    }
    return h % SLOT_BUCKETS;
}

/* Takes one place for key; false when the address has its fill. */
static bool slot_take(struct http_server *s, const unsigned char key[17])
{
    bool ok = true;
    pthread_mutex_lock(&s->mu);
    struct slot **head = &s->slots[bucket(key)], *p;
    for (p = *head; p; p = p->next) {
        if (memcmp(p->key, key, 17) == 0) {
            break;
        }
    }
    if (!p) {
        p = xcalloc(1, sizeof(*p));
        memcpy(p->key, key, 17);
        p->next = *head;
        *head = p;
    }
    if (p->count >= s->per_ip) {
        ok = false;
    } else {
        p->count++;
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static void slot_give(struct http_server *s, const unsigned char key[17])
{
    pthread_mutex_lock(&s->mu);
    for (struct slot **pp = &s->slots[bucket(key)]; *pp; pp = &(*pp)->next) {
        struct slot *p = *pp;
        if (memcmp(p->key, key, 17) == 0) {
            if (--p->count <= 0) {
                *pp = p->next;
                free(p);
            }
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

/* Gives back a reservation whose connection never started. */
static void pending_drop(void)
{
    if (pending_key) {
        slot_give(pending_srv, pending_key);
        free(pending_key);
        pending_key = NULL;
        pending_srv = NULL;
    }
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr,
                                 socklen_t addrlen)
{
    struct http_server *s = cls;
    (void)addrlen;
    pending_drop();
    unsigned char key[17];
    if (s->per_ip <= 0 || !addr_key(addr, key) ||
        netacl_match_sa(s->trusted, addr)) {
        return MHD_YES;
    }
    if (!slot_take(s, key)) {
        /* One line a second at most: a flood must not flood the log. */
        long long now = (long long)time(NULL);
        long long last = atomic_load(&s->refusal_logged);
        if (now == last ||
            !atomic_compare_exchange_strong(&s->refusal_logged, &last, now)) {
            return MHD_NO;
        }
        char text[64];
        netacl_addr_text(addr, text);
        log_warn("refused a connection from %s: it has %d open already "
                 "(--max-conn-per-ip; add the network to --trusted if it "
                 "is a school or a proxy)", text, s->per_ip);
        return MHD_NO;
    }
    pending_key = xmalloc(17);
    memcpy(pending_key, key, 17);
    pending_srv = s;
    return MHD_YES;
}

/* What a connection holds between its requests. */
struct sconn {
    unsigned char *key;   /* per-address slot taken, or NULL (trusted) */
    struct sreq *pending; /* a request MHD has not completed yet */
};

static void finish_request(struct http_server *s, struct sreq *r,
                           enum MHD_RequestTerminationCode toe);

static struct sconn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    (void)c;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct sconn *sc = xcalloc(1, sizeof(*sc));
        sc->key = pending_srv == s ? pending_key : NULL;
        if (pending_srv == s) {
            pending_key = NULL;
            pending_srv = NULL;
        }
        *socket_context = sc;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        struct sconn *sc = *socket_context;
        /* libmicrohttpd closes some malformed requests (e.g. more query
         * fields than its pool holds) without calling the completion
         * callback: finish them here so nothing leaks. */
        if (sc->pending) {
            finish_request(s, sc->pending,
                           MHD_REQUEST_TERMINATED_WITH_ERROR);
        }
        if (sc->key) {
            slot_give(s, sc->key);
            free(sc->key);
        }
        free(sc);
        *socket_context = NULL;
    }
}

/* ---- requests ---- */

/* Keeps the URI as received: the dispatcher decodes and checks it. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *uri)
{
    (void)cls;
    (void)c;
    return strlen(uri);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct http_server *s = cls;
    struct arena *a = arena_new();
    struct sreq *r = arena_zalloc(a, sizeof(*r));
    http_req_init(&r->req, s->app, a);
    r->srv = s;
    /* The socket's peer, for the log of a request MHD refuses itself;
     * fill() refines it with X-Forwarded-For. */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        char peer[64];
        netacl_addr_text(ci->client_addr, peer);
        r->req.peer = arena_strdup(a, peer);
    }
    buf_init(&r->body);
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    if (strlen(uri) > HTTP_MAX_TARGET) {
        r->req.bad_status = 414;
        r->req.target = arena_strndup(a, uri, 256);
    } else {
        r->req.target = arena_strdup(a, uri);
    }
    pthread_mutex_lock(&s->mu);
    s->inflight++;
    pthread_mutex_unlock(&s->mu);
    struct sconn *sc = conn_of(c);
    if (sc) {
        sc->pending = r;
    }
    return r;
}

struct header_count {
    struct sreq *r;
    size_t bytes;
    size_t n;
};

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind,
                                  const char *key, size_t key_size,
                                  const char *value, size_t value_size)
{
    struct header_count *hc = cls;
    (void)kind;
    hc->bytes += key_size + value_size + 4;
    if (++hc->n > HTTP_MAX_HEADERS || hc->bytes > HTTP_MAX_HEADER_BYTES) {
        return MHD_NO;
    }
    char *name = arena_strndup(hc->r->req.arena, key, key_size);
    http_req_add_header(&hc->r->req, name, value ? value : "",
                        value ? value_size : 0);
    return MHD_YES;
}

static bool is_ip(const char *s)
{
    unsigned char b[16];
    return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* The client's address: the peer, or — when the peer is a trusted proxy —
 * the nearest untrusted address in X-Forwarded-For. */
static const char *client_addr(struct sreq *r, const struct sockaddr *sa)
{
    char peer[64];
    netacl_addr_text(sa, peer);
    const char *xff = req_header(&r->req, "x-forwarded-for");
    if (!sa || !xff || !netacl_match_sa(r->srv->trusted, sa)) {
        return arena_strdup(r->req.arena, peer);
    }
    const char *proto = req_header(&r->req, "x-forwarded-proto");
    r->req.https = proto && strcmp(proto, "https") == 0;
    char *list = arena_strdup(r->req.arena, xff);
    const char *pick = NULL;
    for (char *end = list + strlen(list); end > list;) {
        char *comma = end;
        while (comma > list && comma[-1] != ',') {
            comma--;
        }
        *end = '\0';
        char *item = comma;
        item += strspn(item, " \t");
        size_t n = strlen(item);
        while (n && (item[n - 1] == ' ' || item[n - 1] == '\t')) {
            item[--n] = '\0';
        }
        if (!is_ip(item)) {
            break; /* garbage: trust nothing further left */
        }
        pick = item;
        if (!netacl_match_text(r->srv->trusted, item)) {
            break;
        }
        end = comma > list ? comma - 1 : list;
    }
    return pick ? pick : arena_strdup(r->req.arena, peer);
}

static void fill(struct sreq *r, struct MHD_Connection *c, const char *method)
{
    r->req.method = arena_strdup(r->req.arena, method);
    struct header_count hc = {r, 0, 0};
    int n = MHD_get_connection_values_n(c, MHD_HEADER_KIND, add_header, &hc);
    (void)n;
    if ((hc.n > HTTP_MAX_HEADERS || hc.bytes > HTTP_MAX_HEADER_BYTES) &&
        !r->req.bad_status) {
        r->req.bad_status = 431;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    r->req.peer = client_addr(r, ci ? ci->client_addr : NULL);
    if (r->srv->tls) {
        r->req.https = true;
    }
}

/* Hands the dispatched response to MHD. */
static enum MHD_Result answer(struct sreq *r, struct MHD_Connection *c)
{
    struct req *req = &r->req;
    http_dispatch(req);
    size_t len;
    const void *body = http_resp_body(req, &len);
    struct MHD_Response *resp;
    if (req->body_ref) {
        resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
                                               MHD_RESPMEM_PERSISTENT);
    } else {
        size_t n;
        char *data = buf_detach(&req->out, &n);
        resp = MHD_create_response_from_buffer_with_free_callback(n, data,
                                                                  free);
    }
    if (!resp) {
        log_set_request_id(NULL);
        return MHD_NO;
    }
    if (req->content_type) {
        MHD_add_response_header(resp, "Content-Type", req->content_type);
    }
    if (req->https) {
        /* Browsers that once came over HTTPS keep to it (a year). */
        MHD_add_response_header(resp, "Strict-Transport-Security",
                                "max-age=31536000");
    }
    for (size_t i = 0; i < req->resp_headers.n; i++) {
        MHD_add_response_header(resp, req->resp_headers.items[i].name,
                                req->resp_headers.items[i].value);
    }
    /* After a malformed request the rest of the stream cannot be trusted
     * to start a new request: close. */
    if (atomic_load(&r->srv->stopping) || req->bad_status) {
        MHD_add_response_header(resp, "Connection", "close");
    }
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)req->status, resp);
    MHD_destroy_response(resp);
    r->status = req->status;
    r->sent = http_resp_bodyless(req) ? 0 : len;
    log_set_request_id(NULL);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct http_server *s = cls;
    (void)url;
    (void)version;
    struct sreq *r = *req_cls;
    if (!r) {
        /* MHD always calls on_uri first; be safe anyway. */
        r = *req_cls = on_uri(s, url, c);
    }
    if (!r->started) {
        r->started = true;
        log_set_request_id(r->req.id);
        fill(r, c, method);
        if (!r->req.bad_status) {
            r->limit = http_body_limit(&r->req);
            const char *cl = req_header(&r->req, "content-length");
            int64_t n;
            if (cl && str_to_i64(cl, &n) && n > (int64_t)r->limit) {
                r->req.bad_status = 413;
            }
        }
        if (r->req.bad_status) {
            return answer(r, c); /* early: MHD will not read the body */
        }
        log_set_request_id(NULL);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->too_big &&
            *upload_data_size > r->limit - r->body.len) {
            r->too_big = true;
            r->dropped = r->body.len;
            buf_reset(&r->body);
        }
        if (r->too_big) {
            r->dropped += *upload_data_size;
            if (r->dropped > r->limit + DRAIN_MAX) {
                return MHD_NO; /* an endless body: hang up */
            }
        } else {
            buf_append(&r->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->status) {
        return MHD_YES;
    }
    log_set_request_id(r->req.id);
    if (r->too_big) {
        r->req.bad_status = 413;
    } else if (r->body.len) {
        r->req.body = r->body.data;
        r->req.body_len = r->body.len;
    }
    return answer(r, c);
}

/* Writes a path for the log: bytes outside printable ASCII as %XX (the
 * target is percent-encoded already; this keeps a line one line). */
static void log_path(struct buf *b, const char *target)
{
    size_t n = strcspn(target, "?");
    if (n > 200) {
        n = 200;
    }
    /* A password-reset link carries its secret in the path: keep it out
     * of the log. */
    if (strncmp(target, "/reset/", 7) == 0 && n > 7) {
        buf_puts(b, "/reset/(token)");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)target[i];
        if (c <= 0x20 || c >= 0x7f) {
            buf_printf(b, "%%%02X", c);
        } else {
            buf_putc(b, (char)c);
        }
    }
    if (!n) {
        buf_putc(b, '-');
    }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct sreq *r = *req_cls;
    if (!r) {
        return;
    }
    *req_cls = NULL;
    struct sconn *sc = conn_of(c);
    if (sc && sc->pending == r) {
        sc->pending = NULL;
    }
    finish_request(s, r, toe);
}

/* Logs the access line of r and frees it; the in-flight count drops. */
static void finish_request(struct http_server *s, struct sreq *r,
                           enum MHD_RequestTerminationCode toe)
{
    if (!s->app->cfg.quiet) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - r->start.tv_sec) * 1000L +
                  (now.tv_nsec - r->start.tv_nsec) / 1000000L;
        char ts[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        struct buf line = BUF_INIT;
        buf_printf(&line, "%s ACCESS [%s] %s %s ", ts, r->req.id,
                   r->req.peer, r->started ? r->req.method : "-");
        log_path(&line, r->req.target);
        if (r->status) {
            buf_printf(&line, " %d", r->status);
        } else {
            buf_printf(&line, " -");
        }
        buf_printf(&line, " %zu %ldms", r->sent, ms);
        if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED) {
            buf_puts(&line, " timeout");
        } else if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
            buf_puts(&line, " aborted");
        }
        buf_putc(&line, '\n');
        log_line(buf_cstr(&line));
        buf_reset(&line);
    }
    buf_reset(&r->body);
    http_req_reset(&r->req);
    arena_free(r->req.arena); /* r itself lives there */
    pthread_mutex_lock(&s->mu);
    if (--s->inflight == 0) {
        pthread_cond_broadcast(&s->idle);
    }
    pthread_mutex_unlock(&s->mu);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') {
        msg[--n] = '\0';
    }
    log_info("libmicrohttpd: %s", msg);
}

/* ---- start and stop ---- */

/* Opens the listening socket on addr:port; fills url with the real port. */
static int open_listener(struct http_server *s, const char *addr, int port,
                         struct ibc_error *err)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ports[16];
    snprintf(ports, sizeof(ports), "%d", port);
    int rc = getaddrinfo(addr, ports, &hints, &ai);
    if (rc != 0) {
        return ibc_fail(err, IBC_EINVAL, "cannot listen on %s: %s", addr,
                        gai_strerror(rc));
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0) {
        freeaddrinfo(ai);
        return ibc_fail(err, IBC_EIO, "socket: %s", strerror(errno));
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6) {
        /* "::" serves IPv4 too; a specific IPv6 address only itself. */
        const struct in6_addr *a6 =
            &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        int v6only = IN6_IS_ADDR_UNSPECIFIED(a6) ? 0 : 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 511) != 0) {
        int e = errno;
        close(fd);
        freeaddrinfo(ai);
        return ibc_fail(err, IBC_EIO, "cannot listen on %s port %d: %s",
                        addr, port, strerror(e));
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    char host[64];
    int real_port;
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        real_port = ntohs(s6->sin6_port);
        snprintf(s->url, sizeof(s->url), "http://[%s]:%d/", host, real_port);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        real_port = ntohs(s4->sin_port);
        snprintf(s->url, sizeof(s->url), "http://%s:%d/", host, real_port);
    }
    s->listen_fd = fd;
    return 0;
}

/* Reads a PEM file whole (at most 1 MiB) into a heap string. */
static char *read_pem(const char *path, struct ibc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ibc_fail(err, IBC_EIO, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct buf b = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < (1u << 20)) {
        buf_append(&b, chunk, n);
    }
    fclose(f);
    if (!strstr(buf_cstr(&b), "-----BEGIN ")) {
        ibc_fail(err, IBC_EINVAL, "%s is not a PEM file", path);
        buf_reset(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

/* HTTPS: both files are needed; the key stays in memory only. */
static int load_tls(struct http_server *s, const char *cert, const char *key,
                    struct ibc_error *err)
{
    if (!cert || !key) {
        return ibc_fail(err, IBC_EINVAL,
                        "HTTPS needs both --tls-cert and --tls-key");
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        return ibc_fail(err, IBC_EUNAVAIL,
                        "this libmicrohttpd was built without TLS");
    }
    if (!(s->tls_cert = read_pem(cert, err)) ||
        !(s->tls_key = read_pem(key, err))) {
        return err ? err->code : IBC_EIO;
    }
    s->tls = true;
    return 0;
}

int http_server_start(struct http_server **out, struct app *app,
                      struct ibc_error *err)
{
    *out = NULL;
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->app = app;
    s->listen_fd = -1;
    s->per_ip = app->cfg.max_conn_per_ip;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->idle, NULL);
    atomic_init(&s->stopping, false);
    atomic_init(&s->refusal_logged, 0);
    int rc = netacl_parse(&s->trusted, app->cfg.trusted, err);
    if (rc == 0) {
        rc = open_listener(s, app->cfg.listen ? app->cfg.listen : "127.0.0.1",
                           app->cfg.port, err);
    }
    if (rc) {
        http_server_stop(s, 0);
        return rc;
    }
    struct MHD_OptionItem tls_opts[3] = {{MHD_OPTION_END, 0, NULL},
                                         {MHD_OPTION_END, 0, NULL},
                                         {MHD_OPTION_END, 0, NULL}};
    if (app->cfg.tls_cert || app->cfg.tls_key) {
        rc = load_tls(s, app->cfg.tls_cert, app->cfg.tls_key, err);
        if (rc) {
            http_server_stop(s, 0);
            return rc;
        }
        tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                              s->tls_key};
        tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                              s->tls_cert};
        if (strncmp(s->url, "http://", 7) == 0) {
            char url[sizeof(s->url)];
            snprintf(url, sizeof(url), "https://%s", s->url + 7);
            memcpy(s->url, url, sizeof(s->url));
        }
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (s->tls ? MHD_USE_TLS : 0);
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES
                 ? MHD_USE_EPOLL
                 : MHD_USE_POLL;
    unsigned workers = app->cfg.workers > 0 ? (unsigned)app->cfg.workers : 1;
    s->mhd = MHD_start_daemon(
        flags, 0, on_accept, s, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, workers,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
    if (!s->mhd) {
        http_server_stop(s, 0);
        return ibc_fail(err, IBC_EIO, "the HTTP server did not start");
    }
    *out = s;
    return 0;
}

const char *http_server_url(const struct http_server *s)
{
    return s->url;
}

void http_server_stop(struct http_server *s, int grace_ms)
{
    if (!s) {
        return;
    }
    atomic_store(&s->stopping, true);
    if (s->mhd) {
        MHD_socket fd = MHD_quiesce_daemon(s->mhd);
        if (fd != MHD_INVALID_SOCKET) {
            close(fd);
            s->listen_fd = -1;
        }
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += grace_ms / 1000;
        deadline.tv_nsec += (long)(grace_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&s->mu);
        while (s->inflight > 0) {
            if (pthread_cond_timedwait(&s->idle, &s->mu, &deadline) ==
                ETIMEDOUT) {
                log_warn("stopping with %d request(s) unfinished",
                         s->inflight);
                break;
            }
        }
        pthread_mutex_unlock(&s->mu);
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
    }
    for (int i = 0; i < SLOT_BUCKETS; i++) {
        while (s->slots[i]) {
            struct slot *n = s->slots[i]->next;
            free(s->slots[i]);
            s->slots[i] = n;
        }
    }
    netacl_free(s->trusted);
    if (s->tls_key) {
        explicit_bzero(s->tls_key, strlen(s->tls_key));
    }
    free(s->tls_key);
    free(s->tls_cert);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->idle);
    free(s);
}

const char *http_server_lib_version(void)
{
    return MHD_get_version();
}
