
/*
 * Copyright (C) push approval module developers
 *
 * The store connections of one worker: one for commands, one subscribed to
 * the zone's decision channel.  Both are nginx peer connections driven by
 * the event loop (TLS through ngx_ssl for rediss://); hiredis only formats
 * commands and reads replies.  A connection that fails, refuses us or does
 * not answer within the store's timeout is closed and opened again with a
 * back-off of at most 1 s; meanwhile the host carries on with its zone.
 */


#include "ngx_http_push_approval_store.h"


#define NGX_HTTP_PUSH_APPROVAL_STORE_TICK       100    /* ms */
#define NGX_HTTP_PUSH_APPROVAL_STORE_PING       1000   /* ms */
#define NGX_HTTP_PUSH_APPROVAL_STORE_BACKOFF    1000   /* ms, at most */
#define NGX_HTTP_PUSH_APPROVAL_STORE_OUT_MAX    (1024 * 1024)
#define NGX_HTTP_PUSH_APPROVAL_STORE_READ       16384


static void ngx_http_push_approval_store_connect(
    ngx_http_push_approval_store_conn_t *sc);
static void ngx_http_push_approval_store_retry(ngx_event_t *ev);
static void ngx_http_push_approval_store_fail(
    ngx_http_push_approval_store_conn_t *sc, const char *what);
static void ngx_http_push_approval_store_close(
    ngx_http_push_approval_store_conn_t *sc);
static void ngx_http_push_approval_store_connected(ngx_event_t *ev);
#if (NGX_SSL)
static void ngx_http_push_approval_store_ssl_handshake(
    ngx_http_push_approval_store_conn_t *sc);
static void ngx_http_push_approval_store_ssl_done(ngx_connection_t *c);
#endif
static void ngx_http_push_approval_store_hello(
    ngx_http_push_approval_store_conn_t *sc);
static ngx_int_t ngx_http_push_approval_store_hello_queue(
    ngx_http_push_approval_store_conn_t *sc, int argc, const char **argv,
    const size_t *argvlen);
static void ngx_http_push_approval_store_hello_done(void *data,
    redisReply *reply);
static ngx_int_t ngx_http_push_approval_store_queue(
    ngx_http_push_approval_store_conn_t *sc, int argc, const char **argv,
    const size_t *argvlen, ngx_http_push_approval_store_done_pt handler,
    void *data);
static void ngx_http_push_approval_store_write(ngx_event_t *ev);
static void ngx_http_push_approval_store_read(ngx_event_t *ev);
static void ngx_http_push_approval_store_reply(
    ngx_http_push_approval_store_conn_t *sc, redisReply *reply);
static void ngx_http_push_approval_store_answer(
    ngx_http_push_approval_store_conn_t *sc, redisReply *reply);
static void ngx_http_push_approval_store_tick(ngx_event_t *ev);


/* timer debug logging reads an event's data as a connection */
static ngx_connection_t  ngx_http_push_approval_store_dummy;


void
ngx_http_push_approval_store_start(ngx_http_push_approval_store_t *st)
{
    ngx_uint_t                            i;
    ngx_http_push_approval_store_conn_t  *sc;

    ngx_http_push_approval_store_dummy.fd = (ngx_socket_t) -1;

    for (i = 0; i < 2; i++) {
        sc = i ? &st->sub : &st->cmd;

        ngx_memzero(sc, sizeof(ngx_http_push_approval_store_conn_t));

        sc->store = st;
        sc->subscriber = i;
        ngx_queue_init(&sc->cmds);

        sc->retry.handler = ngx_http_push_approval_store_retry;
        sc->retry.data = sc;
        sc->retry.log = st->log;
        sc->retry.cancelable = 1;

        ngx_http_push_approval_store_connect(sc);
    }

    st->ping.handler = ngx_http_push_approval_store_tick;
    st->ping.data = &ngx_http_push_approval_store_dummy;
    st->ping.log = st->log;
    st->ping.cancelable = 1;

    ngx_add_timer(&st->ping, NGX_HTTP_PUSH_APPROVAL_STORE_TICK);
}


void
ngx_http_push_approval_store_stop(ngx_http_push_approval_store_t *st)
{
    if (st->ping.timer_set) {
        ngx_del_timer(&st->ping);
    }

    if (st->cmd.store) {
        ngx_http_push_approval_store_close(&st->cmd);
    }

    if (st->sub.store) {
        ngx_http_push_approval_store_close(&st->sub);
    }

    if (st->cmd.retry.timer_set) {
        ngx_del_timer(&st->cmd.retry);
    }

    if (st->sub.retry.timer_set) {
        ngx_del_timer(&st->sub.retry);
    }
}


ngx_uint_t
ngx_http_push_approval_store_up(ngx_http_push_approval_store_t *st)
{
    return st->cmd.state == NGX_HTTP_PUSH_APPROVAL_STORE_READY
           && st->sub.state == NGX_HTTP_PUSH_APPROVAL_STORE_READY;
}


/* counted always, logged at most once per 10 s per worker */

void
ngx_http_push_approval_store_error(ngx_http_push_approval_store_t *st,
    const char *what)
{
    ngx_http_push_approval_metric(st->shm_zone->data,
                                  NGX_HTTP_PUSH_APPROVAL_M_STORE_ERRORS, 1);

    if (ngx_time() - st->warned < 10) {
        return;
    }

    st->warned = ngx_time();

    ngx_log_error(NGX_LOG_WARN, st->log, 0,
                  "push_approval store \"%V\" for zone \"%V\": %s, %s",
                  &st->url_text, &st->zone_name, what,
                  st->fail_closed ? "refusing requests that need it"
                                  : "carrying on with the local zone");
}


/* why the store fails: at error with each warning, at info in between */

ngx_uint_t
ngx_http_push_approval_store_level(ngx_http_push_approval_store_t *st)
{
    return (ngx_time() - st->warned < 10) ? NGX_LOG_INFO : NGX_LOG_ERR;
}


/* NGX_DECLINED: the store is not there now, nothing was queued */

ngx_int_t
ngx_http_push_approval_store_command(ngx_http_push_approval_store_t *st,
    int argc, const char **argv, const size_t *argvlen,
    ngx_http_push_approval_store_done_pt handler, void *data,
    ngx_http_push_approval_store_cmd_t **cmdp)
{
    ngx_int_t  rc;

    if (st->cmd.state != NGX_HTTP_PUSH_APPROVAL_STORE_READY) {
        return NGX_DECLINED;
    }

    rc = ngx_http_push_approval_store_queue(&st->cmd, argc, argv, argvlen,
                                            handler, data);

    if (rc == NGX_OK && cmdp) {
        /* the command just queued: whoever waits may cancel its handler */
        *cmdp = ngx_queue_data(ngx_queue_last(&st->cmd.cmds),
                               ngx_http_push_approval_store_cmd_t, queue);
    }

    return rc;
}


static void
ngx_http_push_approval_store_connect(ngx_http_push_approval_store_conn_t *sc)
{
    ngx_int_t                        rc;
    ngx_connection_t                *c;
    ngx_http_push_approval_store_t  *st;

    st = sc->store;

    sc->reader = redisReaderCreate();
    if (sc->reader == NULL) {
        ngx_log_error(NGX_LOG_ALERT, st->log, 0,
                      "push_approval store: out of memory");
        ngx_http_push_approval_store_fail(sc, "out of memory");
        return;
    }

    ngx_memzero(&sc->peer, sizeof(ngx_peer_connection_t));

    /* a name with several addresses: each try takes the next one */
    sc->addr = (sc->addr + 1) % st->url.naddrs;

    sc->peer.sockaddr = st->url.addrs[sc->addr].sockaddr;
    sc->peer.socklen = st->url.addrs[sc->addr].socklen;
    sc->peer.name = &st->url_text;
    sc->peer.get = ngx_event_get_peer;
    sc->peer.log = st->log;
    sc->peer.log_error = NGX_ERROR_ERR;

    sc->state = NGX_HTTP_PUSH_APPROVAL_STORE_CONNECTING;
    sc->started = ngx_current_msec;

    rc = ngx_event_connect_peer(&sc->peer);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        ngx_http_push_approval_store_fail(sc, "cannot connect");
        return;
    }

    c = sc->peer.connection;
    c->data = sc;

    /* refusals are ours to report, at most every 10 s (store_error) */
    c->log_error = NGX_ERROR_INFO;

    c->pool = ngx_create_pool(1024, st->log);
    if (c->pool == NULL) {
        ngx_http_push_approval_store_fail(sc, "out of memory");
        return;
    }
    c->read->handler = ngx_http_push_approval_store_read;
    c->write->handler = ngx_http_push_approval_store_connected;

    if (rc == NGX_AGAIN) {
        return;
    }

    ngx_http_push_approval_store_connected(c->write);
}


static void
ngx_http_push_approval_store_connected(ngx_event_t *ev)
{
    int                                   err;
    socklen_t                             len;
    ngx_connection_t                     *c;
    ngx_http_push_approval_store_conn_t  *sc;

    c = ev->data;
    sc = c->data;

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = ngx_socket_errno;
    }

    if (err) {
        ngx_http_push_approval_store_fail(sc, "cannot connect");
        return;
    }

    c->write->handler = ngx_http_push_approval_store_write;

#if (NGX_SSL)
    if (sc->store->tls) {
        ngx_http_push_approval_store_ssl_handshake(sc);
        return;
    }
#endif

    ngx_http_push_approval_store_hello(sc);
}


#if (NGX_SSL)

static void
ngx_http_push_approval_store_ssl_handshake(
    ngx_http_push_approval_store_conn_t *sc)
{
    ngx_int_t                        rc;
    ngx_connection_t                *c;
    ngx_http_push_approval_store_t  *st;

    st = sc->store;
    c = sc->peer.connection;

    if (ngx_ssl_create_connection(st->ssl, c, NGX_SSL_BUFFER|NGX_SSL_CLIENT)
        != NGX_OK)
    {
        ngx_http_push_approval_store_fail(sc, "TLS failed");
        return;
    }

    if (st->host.len && ngx_inet_addr(st->host.data, st->host.len)
                        == INADDR_NONE)
    {
        u_char  name[256];

        if (st->host.len < sizeof(name)) {
            ngx_memcpy(name, st->host.data, st->host.len);
            name[st->host.len] = '\0';
            (void) SSL_set_tlsext_host_name(c->ssl->connection, name);
        }
    }

    rc = ngx_ssl_handshake(c);

    if (rc == NGX_AGAIN) {
        c->ssl->handler = ngx_http_push_approval_store_ssl_done;
        return;
    }

    ngx_http_push_approval_store_ssl_done(c);
}


static void
ngx_http_push_approval_store_ssl_done(ngx_connection_t *c)
{
    long                                  rc;
    ngx_http_push_approval_store_conn_t  *sc;

    sc = c->data;

    if (!c->ssl->handshaked) {
        ngx_http_push_approval_store_fail(sc, "TLS handshake failed");
        return;
    }

    rc = SSL_get_verify_result(c->ssl->connection);

    if (rc != X509_V_OK) {
        ngx_log_error(ngx_http_push_approval_store_level(sc->store),
                      c->log, 0,
                      "push_approval store \"%V\": certificate verify "
                      "error: (%l:%s)", &sc->store->url_text, rc,
                      X509_verify_cert_error_string(rc));
        ngx_http_push_approval_store_fail(sc, "certificate refused");
        return;
    }

    if (ngx_ssl_check_host(c, &sc->store->host) != NGX_OK) {
        ngx_log_error(ngx_http_push_approval_store_level(sc->store),
                      c->log, 0,
                      "push_approval store \"%V\": certificate does not "
                      "match \"%V\"", &sc->store->url_text,
                      &sc->store->host);
        ngx_http_push_approval_store_fail(sc, "certificate refused");
        return;
    }

    c->read->handler = ngx_http_push_approval_store_read;
    c->write->handler = ngx_http_push_approval_store_write;

    ngx_http_push_approval_store_hello(sc);
}

#endif


/* AUTH, SELECT and, on the subscriber, SUBSCRIBE: pipelined at once */

static void
ngx_http_push_approval_store_hello(ngx_http_push_approval_store_conn_t *sc)
{
    int                              n;
    u_char                           db[NGX_INT_T_LEN];
    size_t                           len[3];
    const char                      *argv[3];
    ngx_http_push_approval_store_t  *st;

    st = sc->store;
    sc->state = NGX_HTTP_PUSH_APPROVAL_STORE_HELLO;
    sc->hello = 0;

    if (st->password.len) {
        n = 0;
        argv[n] = "AUTH";
        len[n++] = 4;

        if (st->user.len) {
            argv[n] = (const char *) st->user.data;
            len[n++] = st->user.len;
        }

        argv[n] = (const char *) st->password.data;
        len[n++] = st->password.len;

        if (ngx_http_push_approval_store_hello_queue(sc, n, argv, len)
            != NGX_OK)
        {
            return;
        }
    }

    if (st->db) {
        argv[0] = "SELECT";
        len[0] = 6;
        argv[1] = (const char *) db;
        len[1] = ngx_sprintf(db, "%ui", st->db) - db;

        if (ngx_http_push_approval_store_hello_queue(sc, 2, argv, len)
            != NGX_OK)
        {
            return;
        }
    }

    if (sc->subscriber) {
        argv[0] = "SUBSCRIBE";
        len[0] = 9;
        argv[1] = (const char *) st->channel.data;
        len[1] = st->channel.len;

    } else {
        argv[0] = "PING";
        len[0] = 4;
    }

    (void) ngx_http_push_approval_store_hello_queue(sc,
                                                    sc->subscriber ? 2 : 1,
                                                    argv, len);
}


/* one command of the hello, counted until its answer comes */

static ngx_int_t
ngx_http_push_approval_store_hello_queue(
    ngx_http_push_approval_store_conn_t *sc, int argc, const char **argv,
    const size_t *argvlen)
{
    if (ngx_http_push_approval_store_queue(sc, argc, argv, argvlen,
                                  ngx_http_push_approval_store_hello_done, sc)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sc->hello++;

    return NGX_OK;
}


static void
ngx_http_push_approval_store_hello_done(void *data, redisReply *reply)
{
    ngx_http_push_approval_store_conn_t  *sc = data;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        /* the store's own words, never our password */
        ngx_log_error(ngx_http_push_approval_store_level(sc->store),
                      sc->store->log, 0,
                      "push_approval store \"%V\" refused us: %*s",
                      &sc->store->url_text,
                      ngx_min(reply->len, 200), reply->str);
        ngx_http_push_approval_store_fail(sc, "refused");
        return;
    }

    if (--sc->hello) {
        return;
    }

    sc->state = NGX_HTTP_PUSH_APPROVAL_STORE_READY;
    sc->backoff = 0;

    if (ngx_http_push_approval_store_up(sc->store)) {
        if (sc->store->warned) {
            ngx_log_error(NGX_LOG_NOTICE, sc->store->log, 0,
                          "push_approval store \"%V\" for zone \"%V\" "
                          "is back", &sc->store->url_text,
                          &sc->store->zone_name);
            sc->store->warned = 0;
        }
    }
}


static ngx_int_t
ngx_http_push_approval_store_queue(ngx_http_push_approval_store_conn_t *sc,
    int argc, const char **argv, const size_t *argvlen,
    ngx_http_push_approval_store_done_pt handler, void *data)
{
    int                                  len;
    char                                *cmd;
    u_char                              *out;
    size_t                               size;
    ngx_http_push_approval_store_cmd_t  *sc_cmd;

    len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
    if (len < 0) {
        ngx_http_push_approval_store_fail(sc, "out of memory");
        return NGX_ERROR;
    }

    if (sc->out_len + len > NGX_HTTP_PUSH_APPROVAL_STORE_OUT_MAX) {
        redisFreeCommand(cmd);
        ngx_http_push_approval_store_fail(sc, "too far behind");
        return NGX_ERROR;
    }

    if (sc->out_len + len > sc->out_size) {
        size = ngx_max(4096, 2 * (sc->out_len + len));

        out = ngx_alloc(size, sc->store->log);
        if (out == NULL) {
            redisFreeCommand(cmd);
            ngx_http_push_approval_store_fail(sc, "out of memory");
            return NGX_ERROR;
        }

        if (sc->out_len) {
            ngx_memcpy(out, sc->out, sc->out_len);
        }

        if (sc->out) {
            ngx_free(sc->out);
        }

        sc->out = out;
        sc->out_size = size;
    }

    sc_cmd = ngx_alloc(sizeof(ngx_http_push_approval_store_cmd_t),
                       sc->store->log);
    if (sc_cmd == NULL) {
        redisFreeCommand(cmd);
        ngx_http_push_approval_store_fail(sc, "out of memory");
        return NGX_ERROR;
    }

    ngx_memcpy(sc->out + sc->out_len, cmd, len);
    sc->out_len += len;
    redisFreeCommand(cmd);

    sc_cmd->handler = handler;
    sc_cmd->data = data;
    sc_cmd->sent = ngx_current_msec;
    ngx_queue_insert_tail(&sc->cmds, &sc_cmd->queue);

    /*
     * sent from the posted events: commands of one cycle go out together,
     * and a failure never calls a handler back before its caller returns
     */

    if (!sc->peer.connection->write->posted) {
        ngx_post_event(sc->peer.connection->write, &ngx_posted_events);
    }

    return NGX_OK;
}


static void
ngx_http_push_approval_store_write(ngx_event_t *ev)
{
    ssize_t                               n;
    ngx_connection_t                     *c;
    ngx_http_push_approval_store_conn_t  *sc;

    c = ev->data;
    sc = c->data;

    while (sc->out_sent < sc->out_len) {
        n = c->send(c, sc->out + sc->out_sent, sc->out_len - sc->out_sent);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                ngx_http_push_approval_store_fail(sc, "write failed");
            }

            return;
        }

        if (n == NGX_ERROR || n == 0) {
            ngx_http_push_approval_store_fail(sc, "write failed");
            return;
        }

        sc->out_sent += n;
    }

    sc->out_sent = 0;
    sc->out_len = 0;
}


static void
ngx_http_push_approval_store_read(ngx_event_t *ev)
{
    void                                 *reply;
    ssize_t                               n;
    ngx_connection_t                     *c;
    ngx_http_push_approval_store_conn_t  *sc;
    u_char                         buf[NGX_HTTP_PUSH_APPROVAL_STORE_READ];

    c = ev->data;
    sc = c->data;

    for ( ;; ) {
        n = c->recv(c, buf, sizeof(buf));

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == NGX_ERROR || n == 0) {
            ngx_http_push_approval_store_fail(sc, "connection lost");
            return;
        }

        if (redisReaderFeed(sc->reader, (const char *) buf, n) != REDIS_OK) {
            ngx_http_push_approval_store_fail(sc, "protocol error");
            return;
        }

        for ( ;; ) {
            reply = NULL;

            if (redisReaderGetReply(sc->reader, &reply) != REDIS_OK) {
                ngx_http_push_approval_store_fail(sc, "protocol error");
                return;
            }

            if (reply == NULL) {
                break;
            }

            ngx_http_push_approval_store_reply(sc, reply);
            freeReplyObject(reply);

            if (sc->peer.connection != c) {
                /* failed on the way */
                return;
            }
        }
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_http_push_approval_store_fail(sc, "read failed");
    }
}


static void
ngx_http_push_approval_store_reply(ngx_http_push_approval_store_conn_t *sc,
    redisReply *reply)
{
    if (sc->subscriber
        && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3
        && reply->element[0]->type == REDIS_REPLY_STRING
        && reply->element[0]->len == 7
        && ngx_strncmp(reply->element[0]->str, "message", 7) == 0)
    {
        ngx_http_push_approval_store_receive(sc->store, reply);
        return;
    }

    if (ngx_queue_empty(&sc->cmds)) {
        ngx_http_push_approval_store_fail(sc, "unexpected reply");
        return;
    }

    ngx_http_push_approval_store_answer(sc, reply);
}


/* the oldest command waiting gets its reply (NULL: none comes) */

static void
ngx_http_push_approval_store_answer(ngx_http_push_approval_store_conn_t *sc,
    redisReply *reply)
{
    ngx_queue_t                         *q;
    ngx_http_push_approval_store_cmd_t  *cmd;

    q = ngx_queue_head(&sc->cmds);
    ngx_queue_remove(q);
    cmd = ngx_queue_data(q, ngx_http_push_approval_store_cmd_t, queue);

    if (cmd->handler) {
        cmd->handler(cmd->data, reply);
    }

    ngx_free(cmd);
}


/* what was waiting learns that nothing comes; then a new try, later */

static void
ngx_http_push_approval_store_fail(ngx_http_push_approval_store_conn_t *sc,
    const char *what)
{
    ngx_http_push_approval_store_t  *st;

    st = sc->store;

    ngx_http_push_approval_store_close(sc);
    ngx_http_push_approval_store_error(st, what);

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    sc->backoff = sc->backoff ? ngx_min(2 * sc->backoff,
                                        NGX_HTTP_PUSH_APPROVAL_STORE_BACKOFF)
                              : 50;

    if (!sc->retry.timer_set) {
        ngx_add_timer(&sc->retry, sc->backoff);
    }
}


static void
ngx_http_push_approval_store_close(ngx_http_push_approval_store_conn_t *sc)
{
    ngx_connection_t  *c;

    sc->state = NGX_HTTP_PUSH_APPROVAL_STORE_DOWN;

    c = sc->peer.connection;
    sc->peer.connection = NULL;

    if (c) {
#if (NGX_SSL)
        if (c->ssl) {
            c->ssl->no_wait_shutdown = 1;
            c->ssl->no_send_shutdown = 1;
            (void) ngx_ssl_shutdown(c);
        }
#endif
        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        if (c->pool) {
            ngx_destroy_pool(c->pool);
        }

        ngx_close_connection(c);
    }

    if (sc->reader) {
        redisReaderFree(sc->reader);
        sc->reader = NULL;
    }

    sc->out_len = 0;
    sc->out_sent = 0;

    while (!ngx_queue_empty(&sc->cmds)) {
        ngx_http_push_approval_store_answer(sc, NULL);
    }

    if (sc->out) {
        ngx_free(sc->out);
        sc->out = NULL;
        sc->out_size = 0;
    }
}


static void
ngx_http_push_approval_store_retry(ngx_event_t *ev)
{
    ngx_http_push_approval_store_connect(ev->data);
}


/*
 * a store that takes longer than the timeout to answer, or to let us in,
 * counts as down; an idle command connection is pinged once a second
 */

static void
ngx_http_push_approval_store_tick(ngx_event_t *ev)
{
    size_t                                len[1];
    ngx_uint_t                            i;
    const char                           *argv[1];
    ngx_queue_t                          *q;
    ngx_http_push_approval_store_t       *st;
    ngx_http_push_approval_store_cmd_t   *cmd;
    ngx_http_push_approval_store_conn_t  *sc;

    /* the event is the store's own: find the store around it */
    st = (ngx_http_push_approval_store_t *)
             ((u_char *) ev - offsetof(ngx_http_push_approval_store_t, ping));

    st->ping_due++;

    for (i = 0; i < 2; i++) {
        sc = i ? &st->sub : &st->cmd;

        if (sc->peer.connection == NULL) {
            continue;
        }

        if (sc->state != NGX_HTTP_PUSH_APPROVAL_STORE_READY) {
            if (ngx_current_msec - sc->started
                > ngx_max(st->timeout, NGX_HTTP_PUSH_APPROVAL_STORE_PING))
            {
                ngx_http_push_approval_store_fail(sc, "no answer");
            }

            continue;
        }

        if (!ngx_queue_empty(&sc->cmds)) {
            q = ngx_queue_head(&sc->cmds);
            cmd = ngx_queue_data(q, ngx_http_push_approval_store_cmd_t,
                                 queue);

            if (ngx_current_msec - cmd->sent > st->timeout) {
                ngx_http_push_approval_store_fail(sc, "no answer in time");
            }

            continue;
        }

        if (st->ping_due % (NGX_HTTP_PUSH_APPROVAL_STORE_PING
                            / NGX_HTTP_PUSH_APPROVAL_STORE_TICK) == 0)
        {
            argv[0] = "PING";
            len[0] = 4;

            (void) ngx_http_push_approval_store_queue(sc, 1, argv, len,
                                                      NULL, NULL);
        }
    }

    if (!ngx_exiting) {
        ngx_add_timer(ev, NGX_HTTP_PUSH_APPROVAL_STORE_TICK);
    }
}
