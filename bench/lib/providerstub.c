/*
 * providerstub: a stand-in for Twilio Verify's create-challenge call that
 * keeps up with thousands of creates a second (the Python sandbox answers a
 * few hundred): epoll, non-blocking, one request per connection.
 *
 *   providerstub -p PORT
 *
 * Answers POST .../Entities/IDENTITY/Challenges with 201 and
 *   {"sid":"YC<the identity's digits, zero-padded to 32>","status":"pending"}
 * and anything else with 404.  Prints "ready" once listening and, on
 * SIGTERM, "creates N" before it exits.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    char    buf[8192];
    size_t  len;
} req_t;

static volatile sig_atomic_t  stop;
static long                   creates;

static void
on_term(int sig)
{
    (void) sig;
    stop = 1;
}

/* the whole request is in: headers and Content-Length bytes of body */
static int
complete(req_t *q)
{
    char    *end, *cl;
    size_t   body = 0;

    q->buf[q->len] = '\0';
    end = strstr(q->buf, "\r\n\r\n");
    if (end == NULL) {
        return 0;
    }

    cl = strcasestr(q->buf, "\r\nContent-Length:");
    if (cl && cl < end) {
        body = strtoul(cl + 17, NULL, 10);
    }

    return q->len >= (size_t) (end + 4 - q->buf) + body;
}

static void
answer(int fd, req_t *q)
{
    char        out[512], json[128], digits[40], *p, *e;
    size_t      nd = 0;
    int         n;

    p = strstr(q->buf, "/Entities/");
    e = p ? strstr(p, "/Challenges ") : NULL;

    if (strncmp(q->buf, "POST ", 5) != 0 || p == NULL || e == NULL) {
        n = snprintf(out, sizeof(out), "HTTP/1.1 404 Not Found\r\n"
                     "Content-Type: application/json\r\nContent-Length: 2"
                     "\r\nConnection: close\r\n\r\n{}");
        (void) write(fd, out, n);
        return;
    }

    for (p += 10; p < e && nd < 32; p++) {
        if (isdigit((unsigned char) *p)) {
            digits[nd++] = *p;
        }
    }
    digits[nd] = '\0';

    n = snprintf(json, sizeof(json), "{\"sid\":\"YC%032ld\","
                 "\"status\":\"pending\"}", strtol(digits, NULL, 10));
    n = snprintf(out, sizeof(out), "HTTP/1.1 201 Created\r\n"
                 "Content-Type: application/json\r\nContent-Length: %d\r\n"
                 "Connection: close\r\n\r\n%s", n, json);
    (void) write(fd, out, n);
    creates++;
}

int
main(int argc, char **argv)
{
    int                 port = 0, ls, ep, one = 1, opt, m, k, fd;
    req_t             **reqs;
    ssize_t             r;
    struct rlimit       rl;
    struct sockaddr_in  sin;
    struct epoll_event  ev, evs[256];

    while ((opt = getopt(argc, argv, "p:")) != -1) {
        if (opt == 'p') {
            port = atoi(optarg);
        }
    }

    if (port <= 0) {
        fprintf(stderr, "usage: providerstub -p PORT\n");
        return 2;
    }

    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGTERM, on_term);
    signal(SIGPIPE, SIG_IGN);

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    reqs = calloc(rl.rlim_cur > 1048576 ? 1048576 : rl.rlim_cur,
                  sizeof(req_t *));

    ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (bind(ls, (struct sockaddr *) &sin, sizeof(sin)) < 0
        || listen(ls, 4096) < 0)
    {
        perror("listen");
        return 1;
    }

    ep = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.fd = ls;
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);

    printf("ready\n");

    while (!stop) {
        m = epoll_wait(ep, evs, 256, 200);

        for (k = 0; k < m; k++) {
            fd = evs[k].data.fd;

            if (fd == ls) {
                while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    reqs[fd] = calloc(1, sizeof(req_t));
                    ev.events = EPOLLIN;
                    ev.data.fd = fd;
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }

            r = read(fd, reqs[fd]->buf + reqs[fd]->len,
                     sizeof(reqs[fd]->buf) - 1 - reqs[fd]->len);

            if (r < 0 && errno == EAGAIN) {
                continue;
            }

            if (r > 0) {
                reqs[fd]->len += r;
                if (!complete(reqs[fd])
                    && reqs[fd]->len < sizeof(reqs[fd]->buf) - 1)
                {
                    continue;
                }
                answer(fd, reqs[fd]);
            }

            free(reqs[fd]);
            reqs[fd] = NULL;
            close(fd);
        }
    }

    printf("creates %ld\n", creates);

    return 0;
}
