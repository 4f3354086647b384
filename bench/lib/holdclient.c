/*
 * holdclient: opens N connections to 127.0.0.1:PORT, sends one
 * "GET PATH HTTP/1.1" with Connection: close on each, and waits for every
 * response (read to EOF), with epoll and non-blocking sockets.
 *
 *   holdclient -p PORT -n N [-u PATH] [-H 'Name: value']... [-t SECONDS]
 *              [-c MAX_CONNECTING] [-U PREFIX] [-f FILE]
 *
 * -U PREFIX: each request its own identity, "X-User: PREFIX%08d" with the
 * connection's number from 1; -f FILE: the requests themselves, raw and
 * separated by NUL bytes, one per connection (-n: how many to send).
 *
 * Prints (stdout, line-buffered):
 *   sent N T            when every request is written (T: epoch seconds)
 *   done answered=A ok=O other=X errors=E first=T1 last=T2
 *                       at the end (all answered, or the timeout, counted
 *                       from "sent")
 * "ok" counts 2xx responses; T1/T2 are the epoch times of the first and
 * last complete response.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char   *req;
    size_t  reqlen;
    int     fd;
    int     state;      /* 0 connecting, 1 sending, 2 reading, 3 done */
    size_t  sent;
    int     status;
    char    head[16];
    size_t  hlen;
} conn_t;

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    int                 port = 0, n = 0, maxc = 256, ep, opened = 0;
    int                 connecting = 0, sentall = 0, nsent = 0, answered = 0;
    int                 ok = 0, other = 0, errors = 0, opt;
    double              timeout = 60, tsent = 0, first = 0, last = 0;
    char                req[4096], hdrs[3072] = "";
    const char         *path = "/p/index.html", *users = NULL;
    const char         *file = NULL;
    size_t              reqlen;
    conn_t             *c;
    struct rlimit       rl;
    struct sockaddr_in  sin;
    struct epoll_event  ev, evs[512];

    while ((opt = getopt(argc, argv, "p:n:u:H:t:c:U:f:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'n': n = atoi(optarg); break;
        case 'u': path = optarg; break;
        case 't': timeout = atof(optarg); break;
        case 'c': maxc = atoi(optarg); break;
        case 'U': users = optarg; break;
        case 'f': file = optarg; break;
        case 'H':
            if (strlen(hdrs) + strlen(optarg) + 3 >= sizeof(hdrs)) {
                fprintf(stderr, "headers too long\n");
                return 2;
            }
            strcat(hdrs, optarg);
            strcat(hdrs, "\r\n");
            break;
        default:
            fprintf(stderr, "usage: holdclient -p PORT -n N [-u PATH] "
                    "[-H HDR]... [-t S] [-c MAXCONNECTING]\n");
            return 2;
        }
    }

    if (port <= 0 || n <= 0) {
        fprintf(stderr, "-p and -n are required\n");
        return 2;
    }

    setvbuf(stdout, NULL, _IOLBF, 0);

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t) n + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    reqlen = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost"
                      "\r\n%sConnection: close\r\n\r\n", path, hdrs);

    c = calloc(n, sizeof(conn_t));

    if (file) {
        /* raw requests, NUL-separated */
        FILE    *f = fopen(file, "r");
        char    *all, *p;
        long     size;
        int      i;

        if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
            perror(file);
            return 2;
        }
        size = ftell(f);
        rewind(f);
        all = malloc(size + 1);
        if (fread(all, 1, size, f) != (size_t) size) {
            perror(file);
            return 2;
        }
        all[size] = '\0';
        fclose(f);

        for (i = 0, p = all; i < n; i++) {
            if (p >= all + size) {
                fprintf(stderr, "%s: only %d requests\n", file, i);
                return 2;
            }
            c[i].req = p;
            c[i].reqlen = strlen(p);
            p += c[i].reqlen + 1;
        }

    } else {
        int  i;

        for (i = 0; i < n; i++) {
            if (users == NULL) {
                c[i].req = req;
                c[i].reqlen = reqlen;
                continue;
            }
            c[i].req = malloc(sizeof(req) + 64);
            c[i].reqlen = snprintf(c[i].req, sizeof(req) + 64,
                                   "GET %s HTTP/1.1\r\nHost: localhost\r\n"
                                   "X-User: %s%08d\r\n%sConnection: close"
                                   "\r\n\r\n", path, users, i + 1, hdrs);
        }
    }
    ep = epoll_create1(0);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    for ( ;; ) {
        int     k, m;
        double  left;

        /* open more connections, a bounded number at a time */

        while (opened < n && connecting < maxc) {
            conn_t *cn = &c[opened];

            cn->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            if (cn->fd < 0) {
                perror("socket");
                return 1;
            }

            if (connect(cn->fd, (struct sockaddr *) &sin, sizeof(sin)) < 0
                && errno != EINPROGRESS)
            {
                perror("connect");
                return 1;
            }

            ev.events = EPOLLOUT;
            ev.data.u32 = opened;
            epoll_ctl(ep, EPOLL_CTL_ADD, cn->fd, &ev);
            opened++;
            connecting++;
        }

        if (!sentall && nsent == n) {
            sentall = 1;
            tsent = now();
            printf("sent %d %.6f\n", n, tsent);
        }

        if (answered + errors == n) {
            break;
        }

        if (sentall) {
            left = tsent + timeout - now();
            if (left <= 0) {
                break;
            }

        } else {
            left = timeout;
        }

        m = epoll_wait(ep, evs, 512, (int) (left * 1000) + 1);

        for (k = 0; k < m; k++) {
            conn_t  *cn = &c[evs[k].data.u32];
            char     buf[16384];
            ssize_t  r;

            if (cn->state == 0 || cn->state == 1) {
                int       err = 0;
                socklen_t len = sizeof(err);

                if (cn->state == 0) {
                    getsockopt(cn->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                    if (err) {
                        errors++;
                        connecting--;
                        cn->state = 3;
                        close(cn->fd);
                        continue;
                    }
                    cn->state = 1;
                    connecting--;
                }

                r = write(cn->fd, cn->req + cn->sent,
                          cn->reqlen - cn->sent);
                if (r < 0) {
                    if (errno == EAGAIN) {
                        continue;
                    }
                    errors++;
                    cn->state = 3;
                    close(cn->fd);
                    continue;
                }

                cn->sent += r;
                if (cn->sent == cn->reqlen) {
                    cn->state = 2;
                    nsent++;
                    ev.events = EPOLLIN;
                    ev.data.u32 = evs[k].data.u32;
                    epoll_ctl(ep, EPOLL_CTL_MOD, cn->fd, &ev);
                }

                continue;
            }

            if (cn->state != 2) {
                continue;
            }

            for ( ;; ) {
                r = read(cn->fd, buf, sizeof(buf));

                if (r > 0) {
                    if (cn->hlen < sizeof(cn->head) - 1) {
                        size_t take = sizeof(cn->head) - 1 - cn->hlen;
                        if ((size_t) r < take) {
                            take = r;
                        }
                        memcpy(cn->head + cn->hlen, buf, take);
                        cn->hlen += take;
                    }
                    continue;
                }

                if (r < 0 && errno == EAGAIN) {
                    break;
                }

                /* EOF or error: the response is complete */

                cn->state = 3;
                close(cn->fd);

                if (r < 0 || cn->hlen < 12) {
                    errors++;
                    break;
                }

                answered++;
                last = now();
                if (first == 0) {
                    first = last;
                }

                cn->status = atoi(cn->head + 9);
                if (cn->status >= 200 && cn->status < 300) {
                    ok++;
                } else {
                    other++;
                }

                break;
            }
        }
    }

    printf("done answered=%d ok=%d other=%d errors=%d first=%.6f "
           "last=%.6f\n", answered, ok, other, errors, first, last);

    return 0;
}
