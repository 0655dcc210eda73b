/* ibc — a tiny SMTP server for tests ("sink"), on 127.0.0.1 in a thread.
 *
 * Hand-written: Debian has full mail servers and Python's aiosmtpd, but
 * nothing small enough to live inside a C test program, and the tests need
 * to script faults (temporary refusals, dropped connections) on demand.
 *
 * It speaks just enough SMTP for libcurl: EHLO/HELO, MAIL FROM, RCPT TO,
 * DATA (with dot-unstuffing), RSET, NOOP, QUIT, one connection at a time,
 * several transactions per connection. Every accepted message is recorded
 * (envelope sender, recipients, raw DATA with CRLF line ends). Faults are
 * scripted with smtp_sink_fault(): the next N transactions get the given
 * fault, after which the sink behaves again.
 *
 * Use from a test program: #include "smtp_sink.h" and, in exactly one file
 * of the program, #include "smtp_sink.c" (the Makefile links unit tests with
 * test/harness.c only, so the sink is compiled into the test that uses it).
 *
 *   struct smtp_sink s;
 *   CHECK(smtp_sink_start(&s) == 0);
 *   ... send to smtp_sink_url(&s) ...
 *   CHECK(smtp_sink_wait(&s, 1, 5000));
 *   struct smtp_sink_msg m; smtp_sink_get(&s, 0, &m); ... m.data ...
 *   smtp_sink_stop(&s);
 */
#ifndef IBC_TEST_SMTP_SINK_H
#define IBC_TEST_SMTP_SINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define SMTP_SINK_MAX_MSGS 64
#define SMTP_SINK_MAX_RCPT 8

/* What goes wrong in a scripted transaction. */
enum smtp_sink_fault {
    SMTP_SINK_OK,       /* no fault */
    SMTP_SINK_451_MAIL, /* "451" in answer to MAIL FROM */
    SMTP_SINK_451_DATA, /* takes the whole DATA, then answers "451" */
    SMTP_SINK_550_RCPT, /* "550 no such user" to every RCPT TO */
    SMTP_SINK_DROP      /* closes the connection on MAIL FROM, no reply */
};

/* One received message; strings are heap, owned by the sink. */
struct smtp_sink_msg {
    char *from;                     /* envelope sender, without <> */
    char *rcpt[SMTP_SINK_MAX_RCPT]; /* envelope recipients, without <> */
    int n_rcpt;
    char *data; /* the message as sent, dot-unstuffed */
    size_t len; /* bytes in data */
};

struct smtp_sink {
    int listen_fd; /* bound to 127.0.0.1:port */
    int port;      /* the free port the kernel chose */
    char url[64];  /* "smtp://127.0.0.1:PORT" */
    pthread_t thread;
    pthread_mutex_t mu;         /* guards everything below */
    pthread_cond_t cv;          /* signalled when a message arrives */
    bool stop;                  /* asks the thread to end */
    enum smtp_sink_fault fault; /* scripted fault ... */
    int fault_n;                /* ... for this many more transactions */
    int n_conns;                /* connections accepted so far */
    int n_tx;                   /* MAIL FROM commands seen so far */
    int n_msgs;
    struct smtp_sink_msg msgs[SMTP_SINK_MAX_MSGS];
};

/* Binds 127.0.0.1 on a free port and starts the thread. Returns 0 or -1
 * (errno-style failure, message on stderr). */
int smtp_sink_start(struct smtp_sink *s);
/* Stops the thread, closes the socket and frees the recorded messages. */
void smtp_sink_stop(struct smtp_sink *s);
/* "smtp://127.0.0.1:PORT"; borrowed from s. */
const char *smtp_sink_url(struct smtp_sink *s);
/* Scripts a fault for the next n transactions (n = 0 clears it). */
void smtp_sink_fault(struct smtp_sink *s, enum smtp_sink_fault f, int n);
/* Messages received so far. */
int smtp_sink_count(struct smtp_sink *s);
/* MAIL FROM commands seen so far (accepted or not). */
int smtp_sink_transactions(struct smtp_sink *s);
/* Waits until at least n messages have arrived; false on timeout. */
bool smtp_sink_wait(struct smtp_sink *s, int n, int timeout_ms);
/* Copies message i (0-based) into *out: the pointers stay owned by the
 * sink and valid until smtp_sink_stop(). False when there is no such. */
bool smtp_sink_get(struct smtp_sink *s, int i, struct smtp_sink_msg *out);

#endif
