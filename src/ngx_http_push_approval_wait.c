
/*
 * Copyright (C) push approval module developers
 *
 * The waiting page of the browser flow, with its JSON status endpoint
 * (long-polled), and the remember cookie it sets on approval.  The
 * protected side (the redirect here, the wait token) is in _browser.c.
 */


#include "ngx_http_push_approval.h"

#include <openssl/rand.h>


#define NGX_HTTP_PUSH_APPROVAL_LONG_POLL     25000  /* ms */
#define NGX_HTTP_PUSH_APPROVAL_PAGE_POLL     2000   /* ms */

/* what the page shows: the decision states, then two of its own */
#define NGX_HTTP_PUSH_APPROVAL_W_PENDING     NGX_HTTP_PUSH_APPROVAL_PENDING
#define NGX_HTTP_PUSH_APPROVAL_W_APPROVED    NGX_HTTP_PUSH_APPROVAL_APPROVED
#define NGX_HTTP_PUSH_APPROVAL_W_DENIED      NGX_HTTP_PUSH_APPROVAL_DENIED
#define NGX_HTTP_PUSH_APPROVAL_W_EXPIRED     NGX_HTTP_PUSH_APPROVAL_EXPIRED
#define NGX_HTTP_PUSH_APPROVAL_W_ERROR       4
#define NGX_HTTP_PUSH_APPROVAL_W_INVALID     5


typedef struct {
    ngx_http_push_approval_token_t  token;
    ngx_uint_t                      json;
    ngx_uint_t                      wait_cookie_ok;
} ngx_http_push_approval_page_t;


/* the waiting page's own context: the approval context comes first */

typedef struct {
    ngx_http_push_approval_ctx_t    ctx;
    ngx_http_push_approval_page_t  *page;
} ngx_http_push_approval_wait_ctx_t;


static ngx_int_t ngx_http_push_approval_wait_cookie(ngx_http_request_t *r,
    ngx_str_t *name, u_char *hash);
static ngx_int_t ngx_http_push_approval_wait_method(ngx_http_request_t *r);
static ngx_int_t ngx_http_push_approval_wait_token_check(
    ngx_http_request_t *r, ngx_http_push_approval_page_t *page);
static ngx_int_t ngx_http_push_approval_long_poll(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_page_t *page);
static ngx_uint_t ngx_http_push_approval_wait_state(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_page_t *page);
static void ngx_http_push_approval_long_poll_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_push_approval_answer(ngx_http_request_t *r,
    ngx_http_push_approval_page_t *page, ngx_uint_t state);
static ngx_int_t ngx_http_push_approval_page(ngx_http_request_t *r,
    ngx_http_push_approval_page_t *page, ngx_uint_t state);
static void ngx_http_push_approval_page_text(
    ngx_http_push_approval_page_t *page, ngx_uint_t state, ngx_str_t *title,
    ngx_str_t *text);
static u_char *ngx_http_push_approval_page_main(u_char *p,
    ngx_http_push_approval_page_t *page, ngx_uint_t state, ngx_str_t *title,
    ngx_str_t *text);
static u_char *ngx_http_push_approval_html(u_char *dst, ngx_str_t *s);


/* the page is self-contained: its style and script carry a nonce */

static const char  ngx_http_push_approval_page_head[] =
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width,"
    "initial-scale=1\"><meta name=\"robots\" content=\"noindex\">"
    "%s<noscript><meta http-equiv=\"refresh\" content=\"3\"></noscript>%s"
    "<style nonce=\"%*s\">"
    "body{font:18px/1.5 system-ui,sans-serif;margin:0;background:#f3f4f6;"
    "color:#111827}"
    "main{max-width:30rem;margin:8vh auto;padding:1.5rem 2rem;"
    "background:#fff;border-radius:12px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.15)}"
    "h1{font-size:1.5rem;line-height:1.25;margin-top:0}"
    ".msg{font-weight:600;overflow-wrap:anywhere}"
    ".code{font-size:3rem;font-weight:700;letter-spacing:.2em;"
    "text-align:center;margin:.5rem 0;padding:.25rem 0 .25rem .2em;"
    "background:#eef2ff;border-radius:8px}"
    ".left{color:#4b5563}a{color:#1d4ed8;font-weight:600}"
    ".spin{display:inline-block;width:.8em;height:.8em;margin-right:.5em;"
    "vertical-align:-.05em;border:3px solid #c7d2fe;"
    "border-top-color:#1d4ed8;border-radius:9em;"
    "animation:ngx-push-spin 1s linear infinite}"
    "@keyframes ngx-push-spin{to{transform:rotate(360deg)}}"
    "@media (prefers-reduced-motion:reduce){.spin{animation:none}}"
    "@media (max-width:32rem){main{margin:0;border-radius:0;"
    "min-height:100vh;box-sizing:border-box;padding:1.25rem}}"
    "</style><title>";


static const char  ngx_http_push_approval_page_script[] =
    "<script nonce=\"%*s\">(function(){"
    "function $(i){return document.getElementById(i);}"
    "var left=$('left'),text=$('text'),head=$('head'),again=$('again'),"
    "code=$('code'),n=left?parseInt(left.getAttribute('data-left'),10):0,"
    "url=location.pathname+location.search+'&format=json',"
    "was=[head.textContent,text.textContent],"
    "said={denied:['Request denied',"
    "'The request was denied on your phone.'],"
    "expired:['Request expired','The request was not answered in time.'],"
    "invalid:['Link expired','This approval link is not valid any more.'],"
    "error:['Approval unavailable','The approval service cannot be reached "
    "just now. This page keeps trying.']};"
    "if(left){setInterval(function(){if(n>0){n--;left.textContent=n;}},"
    "1000);}"
    "function show(s){var w=said[s]||was;head.textContent=w[0];"
    "document.title=w[0];text.textContent=w[1];"
    "if(s!=='error'&&s!=='pending'){again.hidden=false;"
    "if(left){left.parentNode.hidden=true;}if(code){code.hidden=true;}}}"
    "function poll(){var x=new XMLHttpRequest();x.open('GET',url);"
    "x.timeout=35000;x.onload=function(){var j;"
    "try{j=JSON.parse(x.responseText);}catch(e){j={status:'error'};}"
    "if(j.status==='approved'){location.replace(j.return||'/');return;}"
    "show(j.status);if(j.status==='pending'){poll();return;}"
    "if(j.status==='error'){setTimeout(poll,3000);}};"
    "x.onerror=x.ontimeout=function(){setTimeout(poll,3000);};x.send();}"
    "poll();})();</script>";


static ngx_str_t  ngx_http_push_approval_wait_states[] = {
    ngx_string("pending"),
    ngx_string("approved"),
    ngx_string("denied"),
    ngx_string("expired"),
    ngx_string("error"),
    ngx_string("invalid")
};


static ngx_int_t
ngx_http_push_approval_wait_cookie(ngx_http_request_t *r, ngx_str_t *name,
    u_char *hash)
{
    u_char     buf[128], mine[NGX_HTTP_PUSH_APPROVAL_WAIT_HASH];
    ngx_str_t  wait_name, value;

    if (name->len + sizeof("_wait_00000000") > sizeof(buf)) {
        return NGX_DECLINED;
    }

    wait_name.data = buf;
    wait_name.len = ngx_sprintf(buf, "%V_wait_%08xD", name,
                                ngx_http_push_approval_wait_id(hash))
                    - buf;

    if (ngx_http_push_approval_cookie_find(r, &wait_name, &value)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    ngx_http_push_approval_wait_hash(&value, mine);

    return ngx_http_push_approval_mac_equal(mine, hash, sizeof(mine));
}


/* the page and its status endpoint answer GET and HEAD, with no body */

static ngx_int_t
ngx_http_push_approval_wait_method(ngx_http_request_t *r)
{
    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    return ngx_http_discard_request_body(r);
}


ngx_int_t
ngx_http_push_approval_wait_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_str_t                           arg;
    ngx_uint_t                          state;
    ngx_http_push_approval_ctx_t       *ctx;
    ngx_http_push_approval_page_t      *page;
    ngx_http_push_approval_wait_ctx_t  *wctx;
    ngx_http_push_approval_loc_conf_t  *plcf;

    rc = ngx_http_push_approval_wait_method(r);
    if (rc != NGX_OK) {
        return rc;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_push_approval_module);

    page = ngx_pcalloc(r->pool, sizeof(ngx_http_push_approval_page_t));
    if (page == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_arg(r, (u_char *) "format", 6, &arg) == NGX_OK
        && arg.len == 4 && ngx_strncmp(arg.data, "json", 4) == 0)
    {
        page->json = 1;
    }

    rc = ngx_http_push_approval_wait_token_check(r, page);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_http_push_approval_answer(r, page,
                                            NGX_HTTP_PUSH_APPROVAL_W_INVALID);
    }

    page->wait_cookie_ok =
        (ngx_http_push_approval_wait_cookie(r, &page->token.cookie_name,
                                            page->token.wait_hash)
         == NGX_OK);

    wctx = ngx_http_push_approval_new_ctx(r,
                                     sizeof(ngx_http_push_approval_wait_ctx_t));
    if (wctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    wctx->page = page;
    ctx = &wctx->ctx;

    ctx->conf = plcf;
    ctx->zone = plcf->handler_zone->data;
    ctx->identity = page->token.identity;
    ctx->scope = page->token.scope;
    ctx->approval_id = page->token.id;
    ctx->poll = NGX_HTTP_PUSH_APPROVAL_PAGE_POLL;

    ngx_http_push_approval_key(ctx->approval_key,
                               NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL,
                               &ctx->approval_id, NULL, NULL);

    state = ngx_http_push_approval_wait_state(r, ctx, page);

    if (state != NGX_HTTP_PUSH_APPROVAL_W_PENDING || !page->json) {
        return ngx_http_push_approval_answer(r, page, state);
    }

    return ngx_http_push_approval_long_poll(r, ctx, page);
}


/*
 * the page's signed token, from its "t" argument: NGX_DECLINED when it is
 * invalid or past its time
 */

static ngx_int_t
ngx_http_push_approval_wait_token_check(ngx_http_request_t *r,
    ngx_http_push_approval_page_t *page)
{
    u_char      *work;
    ngx_str_t    arg, *secrets;
    ngx_uint_t   n;

    secrets = ngx_http_push_approval_secrets(r, &n);

    if (ngx_http_arg(r, (u_char *) "t", 1, &arg) != NGX_OK
        || arg.len > 16384)
    {
        return NGX_DECLINED;
    }

    work = ngx_pnalloc(r->pool, arg.len);
    if (work == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_push_approval_token_decode(&page->token, work, arg.data,
                                            arg.len, secrets, n)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "push approval: invalid wait token");

        return NGX_DECLINED;
    }

    if (page->token.expires < ngx_time()
        || page->token.created + page->token.timeout
           + NGX_HTTP_PUSH_APPROVAL_TOKEN_GRACE < ngx_time())
    {
        /* a signed token past its time: the page can still link back */
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the status endpoint held until a decision, or 25 s */

static ngx_int_t
ngx_http_push_approval_long_poll(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_page_t *page)
{
    time_t  left;

    if (ngx_http_push_approval_watch(r, ctx, ctx->approval_key,
                                     NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->timer.handler = ngx_http_push_approval_long_poll_handler;
    ctx->timer.data = r;
    ctx->timer.log = r->connection->log;

    /* no decision comes when the protected location gives up: wake then */

    left = page->token.created + page->token.timeout - ngx_time();

    if (left >= 0 && left < NGX_HTTP_PUSH_APPROVAL_LONG_POLL / 1000) {
        ngx_add_timer(&ctx->timer, (ngx_msec_t) left * 1000 + 1000);

    } else {
        ngx_add_timer(&ctx->timer, NGX_HTTP_PUSH_APPROVAL_LONG_POLL);
    }

    r->read_event_handler = ngx_http_test_reading;
    r->main->count++;

    return NGX_DONE;
}


/*
 * the approval's state in this zone; an approval this host never saw (the
 * page was started on another host) is entered as pending, so that the
 * provider is asked, at most every 2 s
 */

static ngx_uint_t
ngx_http_push_approval_wait_state(ngx_http_request_t *r,
    ngx_http_push_approval_ctx_t *ctx, ngx_http_push_approval_page_t *page)
{
    time_t                              now;
    ngx_uint_t                          state, failed, poll;
    ngx_msec_t                          next;
    ngx_http_push_approval_node_t      *pn;
    ngx_http_push_approval_token_t     *t;
    ngx_http_push_approval_approval_t  *ap, from;

    t = &page->token;
    now = ngx_time();
    poll = 0;

    ngx_shmtx_lock(&ctx->zone->shpool->mutex);

    pn = ngx_http_push_approval_lookup(ctx->zone, ctx->approval_key,
                                       NGX_HTTP_PUSH_APPROVAL_NODE_APPROVAL);

    if (pn == NULL) {
        ngx_memzero(&from, sizeof(ngx_http_push_approval_approval_t));

        from.provider = (u_char) t->provider;
        /* the credentials this page asks the provider with */
        ngx_http_push_approval_providers[ctx->conf->provider]->account(
                                                    ctx->conf, from.account);
        from.created = t->created;
        from.code = (u_char) t->code;
        from.next_poll = ngx_current_msec;

        pn = ngx_http_push_approval_add(ctx->zone, ctx->approval_key,
                                        t->expires, &t->id, &t->identity,
                                        &from);
    }

    if (pn == NULL) {
        ngx_shmtx_unlock(&ctx->zone->shpool->mutex);
        return NGX_HTTP_PUSH_APPROVAL_W_ERROR;
    }

    ap = &pn->v.approval;
    state = ap->state;
    failed = ap->poll_failed;

    if (state == NGX_HTTP_PUSH_APPROVAL_PENDING
        && now >= t->created + t->timeout)
    {
        /* the protected location gave up on it: so does the page */
        state = NGX_HTTP_PUSH_APPROVAL_EXPIRED;
    }

    if (state == NGX_HTTP_PUSH_APPROVAL_PENDING && (!page->json || failed)) {
        poll = 1;
    }

    ngx_shmtx_unlock(&ctx->zone->shpool->mutex);

    if (poll
        && ngx_http_push_approval_claim_poll(ctx->zone, ctx->approval_key,
                                             NGX_HTTP_PUSH_APPROVAL_PAGE_POLL,
                                             &next)
           == NGX_OK)
    {
        /*
         * a page without JavaScript asks on each refresh; after a failed
         * poll the status endpoint asks again and waits for the answer,
         * so that "error" lasts only while the provider cannot be asked
         */
        ngx_http_push_approval_fetch(r, ctx);

        if (failed && page->json) {
            return NGX_HTTP_PUSH_APPROVAL_W_PENDING;
        }
    }

    if (state == NGX_HTTP_PUSH_APPROVAL_PENDING && failed) {
        return NGX_HTTP_PUSH_APPROVAL_W_ERROR;
    }

    /* the page's first four states are the decision states */
    return state;
}


static void
ngx_http_push_approval_long_poll_handler(ngx_event_t *ev)
{
    ngx_int_t                       rc;
    ngx_uint_t                      state;
    ngx_connection_t               *c;
    ngx_http_request_t             *r;
    ngx_http_push_approval_ctx_t   *ctx;
    ngx_http_push_approval_page_t  *page;

    ctx = ngx_http_push_approval_woken(ev);
    if (ctx == NULL) {
        return;
    }

    r = ev->data;
    c = r->connection;
    /* the approval context is the wait context's first member */
    page = ((ngx_http_push_approval_wait_ctx_t *) ctx)->page;

    state = ngx_http_push_approval_wait_state(r, ctx, page);

    if (state == NGX_HTTP_PUSH_APPROVAL_W_PENDING && !ev->timedout) {

        if (ctx->poll_now) {
            ctx->poll_now = 0;
            ngx_http_push_approval_fetch(r, ctx);
            ngx_http_run_posted_requests(c);
        }

        return;
    }

    /* a failed poll is told at the next one: the page then says "error" */

    ctx->poll_now = 0;

    ev->timedout = 0;
    ctx->done = 1;

    ngx_http_push_approval_release(ctx);

    r->read_event_handler = ngx_http_block_reading;

    rc = ngx_http_push_approval_answer(r, page, state);

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/* the JSON status, or the HTML page; on approval the remember cookie */

static ngx_int_t
ngx_http_push_approval_answer(ngx_http_request_t *r,
    ngx_http_push_approval_page_t *page, ngx_uint_t state)
{
    u_char                          *p, *json;
    size_t                           len;
    ngx_table_elt_t                 *h;
    ngx_http_push_approval_token_t  *t;

    t = &page->token;

    if (state == NGX_HTTP_PUSH_APPROVAL_W_APPROVED && page->wait_cookie_ok
        && t->remember)
    {
        /* exactly the cookie the protected location would issue */

        if (ngx_http_push_approval_set_cookie_bound(r, &t->cookie_name,
                                              &t->identity, &t->scope,
                                              t->remember, t->secure,
                                              t->samesite, &t->cookie_domain,
                                              t->bind)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (!page->json) {
        if (state == NGX_HTTP_PUSH_APPROVAL_W_APPROVED) {
            /* on to the return URI, with JavaScript or without */

            h = ngx_http_push_approval_add_header(r, "Location",
                                                  &t->return_uri);
            if (h == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            r->headers_out.location = h;

            return NGX_HTTP_SEE_OTHER;
        }

        return ngx_http_push_approval_page(r, page, state);
    }

    if (state == NGX_HTTP_PUSH_APPROVAL_W_INVALID) {
        ngx_str_set(&t->return_uri, "");
    }

    len = sizeof("{\"status\":\"\",\"return\":\"\"}\n") + 16
          + 6 * t->return_uri.len;

    json = ngx_pnalloc(r->pool, len);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(json, "{\"status\":\"%V\"",
                    &ngx_http_push_approval_wait_states[state]);

    if (t->return_uri.len) {
        p = ngx_cpymem(p, ",\"return\":\"", sizeof(",\"return\":\"") - 1);
        p += ngx_http_push_approval_json_escape(p, &t->return_uri, 4096);
        *p++ = '"';
    }

    p = ngx_cpymem(p, "}\n", 2);

    if (ngx_http_push_approval_no_store(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_push_approval_send(r,
                                   (state == NGX_HTTP_PUSH_APPROVAL_W_INVALID)
                                   ? NGX_HTTP_BAD_REQUEST : NGX_HTTP_OK,
                                   "application/json", json, p);
}


static u_char *
ngx_http_push_approval_html(u_char *dst, ngx_str_t *s)
{
    return (u_char *) ngx_escape_html(dst, s->data, s->len);
}


static ngx_int_t
ngx_http_push_approval_page(ngx_http_request_t *r,
    ngx_http_push_approval_page_t *page, ngx_uint_t state)
{
    u_char                          *p, *html, nonce_raw[16], nonce[24];
    size_t                           len, nonce_len;
    ngx_str_t                        title, text, csp;
    ngx_http_push_approval_token_t  *t;

    t = &page->token;

    ngx_http_push_approval_page_text(page, state, &title, &text);

    if (RAND_bytes(nonce_raw, sizeof(nonce_raw)) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    nonce_len = ngx_http_push_approval_base64url_encode(nonce, nonce_raw,
                                                        sizeof(nonce_raw));

    len = sizeof(ngx_http_push_approval_page_head) + 2 * nonce_len
          + sizeof(ngx_http_push_approval_page_script) + 1024
          + 6 * (title.len * 2 + text.len + t->message.len
                 + 2 * t->return_uri.len);

    html = ngx_pnalloc(r->pool, len);
    if (html == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(html, ngx_http_push_approval_page_head,
                    (state == NGX_HTTP_PUSH_APPROVAL_W_PENDING
                     || state == NGX_HTTP_PUSH_APPROVAL_W_ERROR) ? "" : "<!--",
                    (state == NGX_HTTP_PUSH_APPROVAL_W_PENDING
                     || state == NGX_HTTP_PUSH_APPROVAL_W_ERROR) ? "" : "-->",
                    nonce_len, nonce);

    p = ngx_http_push_approval_html(p, &title);
    p = ngx_http_push_approval_page_main(p, page, state, &title, &text);

    if (state == NGX_HTTP_PUSH_APPROVAL_W_PENDING
        || state == NGX_HTTP_PUSH_APPROVAL_W_ERROR)
    {
        p = ngx_sprintf(p, ngx_http_push_approval_page_script,
                        nonce_len, nonce);
    }

    p = ngx_cpymem(p, "</body></html>\n", sizeof("</body></html>\n") - 1);

    /* a strict policy: only this page's own style and script run */

    csp.data = ngx_pnalloc(r->pool, 256 + 2 * nonce_len);
    if (csp.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    csp.len = ngx_sprintf(csp.data,
                          "default-src 'none'; style-src 'nonce-%*s'; "
                          "script-src 'nonce-%*s'; connect-src 'self'; "
                          "base-uri 'none'; form-action 'none'; "
                          "frame-ancestors 'none'",
                          nonce_len, nonce, nonce_len, nonce)
              - csp.data;

    if (ngx_http_push_approval_add_header(r, "Content-Security-Policy", &csp)
        == NULL
        || ngx_http_push_approval_no_store(r) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_push_approval_send(r,
                                   (state == NGX_HTTP_PUSH_APPROVAL_W_INVALID)
                                   ? NGX_HTTP_BAD_REQUEST : NGX_HTTP_OK,
                                   "text/html; charset=utf-8", html, p);
}


/* the page's title and text for its state */

static void
ngx_http_push_approval_page_text(ngx_http_push_approval_page_t *page,
    ngx_uint_t state, ngx_str_t *title, ngx_str_t *text)
{
    ngx_http_push_approval_token_t  *t;

    t = &page->token;

    switch (state) {

    case NGX_HTTP_PUSH_APPROVAL_W_PENDING:
        ngx_str_set(title, "Approve on your phone");
        ngx_str_set(text, "We sent a request to your phone. Open it and "
                           "tap Approve to continue. This page goes on "
                           "by itself once you have answered.");
        break;

    case NGX_HTTP_PUSH_APPROVAL_W_DENIED:
        ngx_str_set(title, "Request denied");
        ngx_str_set(text, "The request was denied on your phone.");
        break;

    case NGX_HTTP_PUSH_APPROVAL_W_EXPIRED:
        ngx_str_set(title, "Request expired");
        ngx_str_set(text, "The request was not answered in time.");
        break;

    case NGX_HTTP_PUSH_APPROVAL_W_ERROR:
        ngx_str_set(title, "Approval unavailable");
        ngx_str_set(text, "The approval service cannot be reached just "
                           "now. This page keeps trying.");
        break;

    default:
        ngx_str_set(title, "Link expired");
        ngx_str_set(text, "This approval link is not valid any more.");
        ngx_str_null(&t->message);
        t->code = 0;

        if (t->return_uri.len == 0) {
            ngx_str_set(&t->return_uri, "/");
        }

        break;
    }
}


/* the page's <main>: what it says, the code, the time left, the link */

static u_char *
ngx_http_push_approval_page_main(u_char *p,
    ngx_http_push_approval_page_t *page, ngx_uint_t state, ngx_str_t *title,
    ngx_str_t *text)
{
    time_t                           left;
    ngx_str_t                        link;
    ngx_http_push_approval_token_t  *t;

    t = &page->token;

    ngx_str_set(&link, "Try again");

    left = t->created + t->timeout - ngx_time();
    if (left < 0) {
        left = 0;
    }

    p = ngx_cpymem(p, "</title></head><body><main><h1 id=\"head\">",
                   sizeof("</title></head><body><main><h1 id=\"head\">") - 1);
    p = ngx_http_push_approval_html(p, title);
    p = ngx_cpymem(p, "</h1>", 5);

    if (t->message.len) {
        p = ngx_cpymem(p, "<p class=\"msg\">", sizeof("<p class=\"msg\">") - 1);
        p = ngx_http_push_approval_html(p, &t->message);
        p = ngx_cpymem(p, "</p>", 4);
    }

    if (t->code && state == NGX_HTTP_PUSH_APPROVAL_W_PENDING) {
        p = ngx_sprintf(p, "<div id=\"code\"><p>Check that your phone "
                        "shows this code:</p><p class=\"code\" "
                        "aria-label=\"code\">%ui</p></div>", t->code);
    }

    p = ngx_cpymem(p, "<p id=\"text\" role=\"status\" aria-live=\"polite\">",
                   sizeof("<p id=\"text\" role=\"status\" "
                          "aria-live=\"polite\">") - 1);
    p = ngx_http_push_approval_html(p, text);
    p = ngx_cpymem(p, "</p>", 4);

    if (state == NGX_HTTP_PUSH_APPROVAL_W_PENDING) {
        p = ngx_sprintf(p, "<p class=\"left\"><span class=\"spin\" "
                        "aria-hidden=\"true\"></span>Time left: "
                        "<span id=\"left\" data-left=\"%T\">%T</span> s"
                        "</p>", left, left);
    }

    p = ngx_cpymem(p, "<p><a id=\"again\" href=\"",
                   sizeof("<p><a id=\"again\" href=\"") - 1);
    p = ngx_http_push_approval_html(p, &t->return_uri);
    p = ngx_cpymem(p, "\"", 1);

    if (state == NGX_HTTP_PUSH_APPROVAL_W_PENDING
        || state == NGX_HTTP_PUSH_APPROVAL_W_ERROR)
    {
        p = ngx_cpymem(p, " hidden", sizeof(" hidden") - 1);
    }

    p = ngx_cpymem(p, ">", 1);
    p = ngx_http_push_approval_html(p, &link);
    p = ngx_cpymem(p, "</a></p></main>", sizeof("</a></p></main>") - 1);

    return p;
}
