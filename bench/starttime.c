/* ibc — bench helper: time from exec to the first answered request.
 *
 * Not part of the server: bench/run.sh compiles it into bench/out/ and uses
 * it for the cold-start figures. It forks and execs a server command, finds
 * its port (from the "serving http://HOST:PORT/" line the server prints on
 * stdout, or given with -p for servers that print nothing, such as nginx),
 * then connects and sends "GET PATH" until an answer with status 200 comes
 * back in full. It prints one line of figures in milliseconds:
 *
 *   serving_ms=…  first200_ms=…  stop_ms=…  status=…
 *
 * serving_ms is exec → the port line (absent with -p), first200_ms is exec →
 * the last byte of the first 200 response, stop_ms is SIGTERM → the process
 * has exited (the graceful stop). The clock starts just before fork(), so the
 * figures include fork/exec and dynamic linking, which is what a user waits
 * for. Written by hand because hyperfine and curl cannot see "first 200"
 * from inside one process start without adding their own process start-ups.
 *
 * `starttime -F` prints a free loopback TCP port (for nginx's config).
 *
 * Exit status: 0 on success, 1 when the server did not answer 200 within
 * the timeout (-t, default 10000 ms) or died, 2 on a usage error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Monotonic time in milliseconds (fractional). */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Binds port 0 on loopback and prints the port the kernel chose. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;

    if (fd < 0) {
        perror("socket");
        return 1;
    }
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0
        || getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("bind");
        close(fd);
        return 1;
    }
    printf("%d\n", ntohs(sa.sin_port));
    close(fd);
    return 0;
}

/* One GET over a fresh connection. Returns the HTTP status of a complete
 * response (read to EOF: the request says Connection: close), 0 when the
 * connection was refused or broke, -1 on a timeout. */
static int try_get(int port, const char *path, double deadline)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    char req[512];
    char buf[16384];
    char head[16] = "";
    size_t got = 0;
    int status = 0;

    if (fd < 0) {
        return 0;
    }
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return 0;
    }
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
             "Connection: close\r\n\r\n", path, port);
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
        close(fd);
        return 0;
    }
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)(deadline - now_ms());
        ssize_t n;

        if (left <= 0) {
            close(fd);
            return -1;
        }
        if (poll(&p, 1, left) <= 0) {
            continue;
        }
        n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        if (got < sizeof head - 1) {
            size_t take = sizeof head - 1 - got;
            if (take > (size_t)n) {
                take = (size_t)n;
            }
            memcpy(head + got, buf, take);
            head[got + take] = '\0';
        }
        got += (size_t)n;
    }
    close(fd);
    if (strncmp(head, "HTTP/1.", 7) == 0 && strlen(head) >= 12) {
        status = atoi(head + 9);
    }
    return status;
}

/* Reads the child's stdout until a line with "http://HOST:PORT" appears.
 * Returns the port, 0 on EOF, -1 on a timeout. */
static int read_port(int fd, double deadline)
{
    char line[4096];
    size_t len = 0;

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)(deadline - now_ms());
        ssize_t n;
        char *nl;

        if (left <= 0) {
            return -1;
        }
        if (poll(&p, 1, left) <= 0) {
            continue;
        }
        n = read(fd, line + len, sizeof line - 1 - len);
        if (n <= 0) {
            return 0;
        }
        len += (size_t)n;
        line[len] = '\0';
        while ((nl = strchr(line, '\n')) != NULL) {
            char *u;
            *nl = '\0';
            u = strstr(line, "http://");
            if (u != NULL) {
                char *colon = strchr(u + 7, ':');
                if (colon != NULL) {
                    return atoi(colon + 1);
                }
            }
            len -= (size_t)(nl + 1 - line);
            memmove(line, nl + 1, len + 1);
        }
        if (len == sizeof line - 1) {
            len = 0; /* an endless line without the URL: drop it */
        }
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: starttime [-p PORT] [-u PATH] [-t MS] -- CMD [ARG...]\n"
            "       starttime -F   (print a free loopback port)\n");
}

int main(int argc, char **argv)
{
    int port = 0;
    const char *path = "/";
    int timeout = 10000;
    int opt;
    int pipefd[2];
    pid_t pid;
    double t0, t_serving = -1, t_200 = -1, t_stop, deadline;
    int status = 0, wstatus;

    while ((opt = getopt(argc, argv, "+p:u:t:F")) != -1) {
        switch (opt) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'u':
            path = optarg;
            break;
        case 't':
            timeout = atoi(optarg);
            break;
        case 'F':
            return free_port();
        default:
            usage();
            return 2;
        }
    }
    if (optind >= argc) {
        usage();
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        perror("pipe");
        return 2;
    }

    t0 = now_ms();
    deadline = t0 + timeout;
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        execvp(argv[optind], argv + optind);
        perror(argv[optind]);
        _exit(127);
    }
    close(pipefd[1]);

    if (port == 0) {
        port = read_port(pipefd[0], deadline);
        if (port <= 0) {
            fprintf(stderr, "starttime: no port line from the server (%s)\n",
                    port < 0 ? "timeout" : "stdout closed");
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return 1;
        }
        t_serving = now_ms();
    }
    /* Poll: connect and GET until a complete 200. A refused connection is
     * retried after 0.2 ms; another status (e.g. 503 while starting) too. */
    while (now_ms() < deadline) {
        status = try_get(port, path, deadline);
        if (status == 200) {
            t_200 = now_ms();
            break;
        }
        if (waitpid(pid, &wstatus, WNOHANG) == pid) {
            fprintf(stderr, "starttime: server exited before answering\n");
            return 1;
        }
        usleep(200);
    }

    t_stop = now_ms();
    kill(pid, SIGTERM);
    waitpid(pid, &wstatus, 0);
    t_stop = now_ms() - t_stop;
    close(pipefd[0]);

    if (t_200 < 0) {
        fprintf(stderr, "starttime: no 200 on %s within %d ms (last %d)\n",
                path, timeout, status);
        return 1;
    }
    if (t_serving >= 0) {
        printf("serving_ms=%.2f ", t_serving - t0);
    }
    printf("first200_ms=%.2f stop_ms=%.2f exit=%d\n", t_200 - t0, t_stop,
           WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
                              : 128 + WTERMSIG(wstatus));
    return 0;
}
