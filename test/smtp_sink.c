/* ibc — the test SMTP sink; see smtp_sink.h (hand-written for the same
 * reason given there). Included into the one test program that uses it. */
#include "smtp_sink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A connection with a small read buffer; lines are read whole. */
struct sink_conn {
    struct smtp_sink *s;
    int fd;
    char in[4096];
    size_t in_len, in_pos;
    int idle_ms; /* waited without data; the client is dropped after 10 s */
};

static bool sink_stopping(struct smtp_sink *s)
{
    pthread_mutex_lock(&s->mu);
    bool stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

/* Sends the whole string; false when the peer is gone. */
static bool sink_send(struct sink_conn *c, const char *text)
{
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        off += (size_t)n;
    }
    return true;
}

/* Reads one line into line (of size cap) without its CRLF (or LF). Longer
 * lines are truncated (the rest is skipped). Returns the length, or -1 on
 * end of input, error, stop or a 10-second idle client. */
static long sink_read_line(struct sink_conn *c, char *line, size_t cap)
{
    size_t n = 0;
    for (;;) {
        while (c->in_pos < c->in_len) {
            char ch = c->in[c->in_pos++];
            if (ch == '\n') {
                if (n > 0 && line[n - 1] == '\r') {
                    n--;
                }
                line[n] = '\0';
                return (long)n;
            }
            if (n + 1 < cap) {
                line[n++] = ch;
            }
        }
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int r = poll(&p, 1, 100);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0 || sink_stopping(c->s)) {
            return -1;
        }
        if (r == 0) {
            c->idle_ms += 100;
            if (c->idle_ms >= 10000) {
                return -1;
            }
            continue;
        }
        c->idle_ms = 0;
        ssize_t got = recv(c->fd, c->in, sizeof(c->in), 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return -1;
        }
        c->in_len = (size_t)got;
        c->in_pos = 0;
    }
}

/* "MAIL FROM:<a@b> SIZE=1" -> "a@b" (heap). */
static char *sink_path_arg(const char *line)
{
    const char *lt = strchr(line, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (!lt || !gt) {
        const char *colon = strchr(line, ':');
        return strdup(colon ? colon + 1 : "");
    }
    return strndup(lt + 1, (size_t)(gt - lt - 1));
}

static void sink_msg_free(struct smtp_sink_msg *m)
{
    free(m->from);
    for (int i = 0; i < m->n_rcpt; i++) {
        free(m->rcpt[i]);
    }
    free(m->data);
    memset(m, 0, sizeof(*m));
}

/* Takes the fault for a new transaction (and counts it down). */
static enum smtp_sink_fault sink_next_fault(struct smtp_sink *s)
{
    pthread_mutex_lock(&s->mu);
    enum smtp_sink_fault f = SMTP_SINK_OK;
    s->n_tx++;
    if (s->fault_n > 0) {
        f = s->fault;
        s->fault_n--;
    }
    pthread_mutex_unlock(&s->mu);
    return f;
}

/* Reads DATA lines up to the lone ".", unstuffing; appends to m->data.
 * False when the connection ends first. */
static bool sink_read_data(struct sink_conn *c, struct smtp_sink_msg *m)
{
    char line[2048];
    size_t cap = 4096;
    m->data = malloc(cap);
    m->len = 0;
    for (;;) {
        long n = sink_read_line(c, line, sizeof(line));
        if (n < 0) {
            return false;
        }
        if (strcmp(line, ".") == 0) {
            m->data[m->len] = '\0';
            return true;
        }
        const char *p = line[0] == '.' ? line + 1 : line; /* RFC 5321 4.5.2 */
        size_t len = strlen(p);
        while (m->len + len + 3 > cap) {
            cap *= 2;
            m->data = realloc(m->data, cap);
        }
        memcpy(m->data + m->len, p, len);
        m->len += len;
        m->data[m->len++] = '\r';
        m->data[m->len++] = '\n';
    }
}

/* One SMTP session, until QUIT, a fault that drops it, or an error. */
static void sink_session(struct sink_conn *c)
{
    struct smtp_sink *s = c->s;
    struct smtp_sink_msg m = {0};
    enum smtp_sink_fault fault = SMTP_SINK_OK;
    bool in_tx = false;
    char line[2048];

    if (!sink_send(c, "220 127.0.0.1 ibc test sink ESMTP\r\n")) {
        return;
    }
    while (sink_read_line(c, line, sizeof(line)) >= 0) {
        bool ok = true;
        if (strncasecmp(line, "EHLO", 4) == 0) {
            ok = sink_send(c, "250-127.0.0.1 hello\r\n250-8BITMIME\r\n"
                              "250 HELP\r\n");
        } else if (strncasecmp(line, "HELO", 4) == 0) {
            ok = sink_send(c, "250 127.0.0.1 hello\r\n");
        } else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
            sink_msg_free(&m);
            fault = sink_next_fault(s);
            if (fault == SMTP_SINK_DROP) {
                break;
            }
            if (fault == SMTP_SINK_451_MAIL) {
                ok = sink_send(c, "451 4.3.0 try again later\r\n");
                continue;
            }
            m.from = sink_path_arg(line + 10);
            in_tx = true;
            ok = sink_send(c, "250 2.1.0 sender ok\r\n");
        } else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
            if (!in_tx) {
                ok = sink_send(c, "503 5.5.1 MAIL first\r\n");
            } else if (fault == SMTP_SINK_550_RCPT) {
                ok = sink_send(c, "550 5.1.1 no such user here\r\n");
            } else if (m.n_rcpt == SMTP_SINK_MAX_RCPT) {
                ok = sink_send(c, "452 4.5.3 too many recipients\r\n");
            } else {
                m.rcpt[m.n_rcpt++] = sink_path_arg(line + 8);
                ok = sink_send(c, "250 2.1.5 recipient ok\r\n");
            }
        } else if (strcasecmp(line, "DATA") == 0) {
            if (!in_tx || m.n_rcpt == 0) {
                ok = sink_send(c, "503 5.5.1 RCPT first\r\n");
                continue;
            }
            if (!sink_send(c, "354 end data with <CR><LF>.<CR><LF>\r\n") ||
                !sink_read_data(c, &m)) {
                break;
            }
            in_tx = false;
            if (fault == SMTP_SINK_451_DATA) {
                sink_msg_free(&m);
                ok = sink_send(c, "451 4.3.0 local problem, try later\r\n");
                continue;
            }
            pthread_mutex_lock(&s->mu);
            if (s->n_msgs < SMTP_SINK_MAX_MSGS) {
                s->msgs[s->n_msgs++] = m;
                memset(&m, 0, sizeof(m));
            }
            pthread_cond_broadcast(&s->cv);
            pthread_mutex_unlock(&s->mu);
            sink_msg_free(&m);
            ok = sink_send(c, "250 2.0.0 queued\r\n");
        } else if (strcasecmp(line, "RSET") == 0) {
            sink_msg_free(&m);
            in_tx = false;
            fault = SMTP_SINK_OK;
            ok = sink_send(c, "250 2.0.0 reset\r\n");
        } else if (strncasecmp(line, "NOOP", 4) == 0) {
            ok = sink_send(c, "250 2.0.0 ok\r\n");
        } else if (strcasecmp(line, "QUIT") == 0) {
            sink_send(c, "221 2.0.0 bye\r\n");
            break;
        } else {
            ok = sink_send(c, "502 5.5.2 command not implemented\r\n");
        }
        if (!ok) {
            break;
        }
    }
    sink_msg_free(&m);
}

static void *sink_main(void *arg)
{
    struct smtp_sink *s = arg;
    while (!sink_stopping(s)) {
        struct pollfd p = {.fd = s->listen_fd, .events = POLLIN};
        int r = poll(&p, 1, 50);
        if (r <= 0) {
            continue;
        }
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) {
            continue;
        }
        pthread_mutex_lock(&s->mu);
        s->n_conns++;
        pthread_mutex_unlock(&s->mu);
        struct sink_conn *c = calloc(1, sizeof(*c));
        c->s = s;
        c->fd = fd;
        sink_session(c);
        close(fd);
        free(c);
    }
    return NULL;
}

int smtp_sink_start(struct smtp_sink *s)
{
    memset(s, 0, sizeof(*s));
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->listen_fd < 0) {
        perror("smtp_sink: socket");
        return -1;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(s->listen_fd, 8) != 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("smtp_sink: bind/listen");
        close(s->listen_fd);
        return -1;
    }
    s->port = ntohs(a.sin_port);
    snprintf(s->url, sizeof(s->url), "smtp://127.0.0.1:%d", s->port);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thread, NULL, sink_main, s) != 0) {
        perror("smtp_sink: pthread_create");
        close(s->listen_fd);
        return -1;
    }
    return 0;
}

void smtp_sink_stop(struct smtp_sink *s)
{
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    for (int i = 0; i < s->n_msgs; i++) {
        sink_msg_free(&s->msgs[i]);
    }
    s->n_msgs = 0;
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}

const char *smtp_sink_url(struct smtp_sink *s)
{
    return s->url;
}

void smtp_sink_fault(struct smtp_sink *s, enum smtp_sink_fault f, int n)
{
    pthread_mutex_lock(&s->mu);
    s->fault = f;
    s->fault_n = n;
    pthread_mutex_unlock(&s->mu);
}

int smtp_sink_count(struct smtp_sink *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->n_msgs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int smtp_sink_transactions(struct smtp_sink *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->n_tx;
    pthread_mutex_unlock(&s->mu);
    return n;
}

bool smtp_sink_wait(struct smtp_sink *s, int n, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (s->n_msgs < n) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT) {
            break;
        }
    }
    bool ok = s->n_msgs >= n;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

bool smtp_sink_get(struct smtp_sink *s, int i, struct smtp_sink_msg *out)
{
    pthread_mutex_lock(&s->mu);
    bool ok = i >= 0 && i < s->n_msgs;
    if (ok) {
        *out = s->msgs[i];
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}
