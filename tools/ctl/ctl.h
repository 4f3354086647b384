/*
 * push-approval-ctl: shared types and prototypes.
 *
 * The tool is split by concern: main.c (options and commands), buf.c
 * (growable buffers, encoders), conf.c (credentials), http.c (libcurl with
 * retries), json.c (yajl helpers), verify.c and authy.c (provider
 * dialects), sig.c (webhook signatures).
 */

#ifndef PACTL_CTL_H
#define PACTL_CTL_H

#include <stddef.h>
#include <yajl/yajl_tree.h>


#define PACTL_PROG             "push-approval-ctl"

#define PACTL_EXIT_OK          0
#define PACTL_EXIT_DENIED      1
#define PACTL_EXIT_EXPIRED     2
#define PACTL_EXIT_ERROR       3
#define PACTL_EXIT_USAGE       64

#define PACTL_PROVIDER_VERIFY  0
#define PACTL_PROVIDER_AUTHY   1

#define PACTL_VERIFY_URL       "https://verify.twilio.com"
#define PACTL_AUTHY_URL        "https://api.authy.com"


typedef struct {
    char                   *data;
    size_t                  len;
    size_t                  cap;
} pactl_buf_t;


typedef struct {
    char                   *name;
    char                   *value;
} pactl_pair_t;


typedef struct {
    pactl_pair_t           *elts;
    size_t                  nelts;
    size_t                  nalloc;
} pactl_pairs_t;


typedef struct {
    int                     provider;
    const char             *api_url;
    const char             *api_key_file;
    const char             *credentials_file;
    const char             *service;

    /* secrets, wiped by pactl_conf_free() */
    char                   *authy_key;
    char                   *user;
    char                   *secret;
    char                   *auth_token;

    double                  connect_timeout;
    double                  max_time;
    int                     retries;
} pactl_conf_t;


typedef struct {
    long                    status;
    pactl_buf_t             body;
    long                    retry_after;
} pactl_resp_t;


/* what a push command asks for */
typedef struct {
    const char             *identity;
    const char             *factor;
    const char             *message;
    pactl_pairs_t          *details;
    pactl_pairs_t          *hidden;
    long                    timeout;
} pactl_push_t;


/* a provider approval status, as the tool reports it */
typedef enum {
    PACTL_STATUS_PENDING = 0,
    PACTL_STATUS_APPROVED,
    PACTL_STATUS_DENIED,
    PACTL_STATUS_EXPIRED,
    PACTL_STATUS_ERROR
} pactl_status_e;


/* buf.c */
int pactl_buf_add(pactl_buf_t *b, const char *p, size_t n);
int pactl_buf_adds(pactl_buf_t *b, const char *s);
int pactl_buf_printf(pactl_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pactl_buf_free(pactl_buf_t *b);
void pactl_buf_wipe(pactl_buf_t *b);
int pactl_buf_add_pct(pactl_buf_t *b, const char *p, size_t n, int plus);
int pactl_buf_add_form(pactl_buf_t *b, const char *name, const char *value);
int pactl_buf_add_base64(pactl_buf_t *b, const unsigned char *p, size_t n,
    int url);
int pactl_buf_add_hex(pactl_buf_t *b, const unsigned char *p, size_t n);
char *pactl_pct_decode(const char *p, size_t n, size_t *outlen);
int pactl_pairs_add(pactl_pairs_t *a, const char *name, size_t nlen,
    const char *value, size_t vlen);
void pactl_pairs_free(pactl_pairs_t *a);
int pactl_pairs_parse_form(pactl_pairs_t *a, const char *p, size_t n);
int pactl_read_file(const char *path, pactl_buf_t *b);
void *pactl_alloc(size_t n);
char *pactl_strndup(const char *p, size_t n);
void pactl_wipe_str(char **s);
void pactl_sleep(double seconds);
double pactl_now(void);

/* conf.c */
int pactl_conf_read_lines(const char *path, char ***lines, size_t *n);
void pactl_conf_free_lines(char **lines, size_t n);
int pactl_conf_load(pactl_conf_t *cf, int need_api, int need_token);
void pactl_conf_free(pactl_conf_t *cf);
const char *pactl_provider_name(int provider);

/* http.c */
int pactl_http_init(void);
void pactl_http_cleanup(void);
int pactl_http_check_url(const char *url);
int pactl_http_request(pactl_conf_t *cf, const char *method,
    const char *path, const char *form, pactl_resp_t *resp);
void pactl_resp_free(pactl_resp_t *resp);

/* gate.c */
int pactl_gate_url(const char *url);
long pactl_parse_ttl(const char *s);
int pactl_invite(const char *secret_file, const char *identity, long ttl);
int pactl_revoke(const char *url, const char *identity, double max_time);

/* json.c */
yajl_val pactl_json_parse(const char *text, size_t len);
yajl_val pactl_json_get(yajl_val v, const char *key);
const char *pactl_json_text(yajl_val v, char *buf, size_t size);
int pactl_json_object_string(pactl_buf_t *b, pactl_pairs_t *pairs);
int pactl_json_field_string(pactl_buf_t *b, const char *label,
    const char *value);
int pactl_provider_check(pactl_conf_t *cf, pactl_resp_t *resp,
    yajl_val *tree);

/* verify.c */
int pactl_verify_valid_identity(const char *id);
int pactl_verify_factors(pactl_conf_t *cf, const char *identity);
int pactl_verify_push(pactl_conf_t *cf, pactl_push_t *p, char **id);
int pactl_verify_status(pactl_conf_t *cf, const char *identity,
    const char *id, pactl_status_e *st);

/* authy.c */
int pactl_authy_valid_identity(const char *id);
int pactl_authy_user_add(pactl_conf_t *cf, const char *email,
    const char *phone, const char *cc);
int pactl_authy_user_status(pactl_conf_t *cf, const char *id);
int pactl_authy_push(pactl_conf_t *cf, pactl_push_t *p, char **id);
int pactl_authy_status(pactl_conf_t *cf, const char *id,
    pactl_status_e *st);

/* sig.c */
int pactl_sig_twilio(const char *key, const char *url, pactl_pairs_t *params,
    pactl_buf_t *out);
int pactl_sig_authy_params(const char *body, size_t len, int json,
    const char *url, int get, pactl_pairs_t *extra, pactl_buf_t *out);
int pactl_sig_authy(const char *key, const char *nonce, const char *method,
    const char *url, const char *params, pactl_buf_t *out);
int pactl_sig_url_has_body_hash(const char *url, pactl_buf_t *hex);
int pactl_sig_body_hash(const char *body, size_t len, pactl_buf_t *hex);
int pactl_sig_url_variants(const char *url, char **alt);
int pactl_sig_equal(const char *a, const char *b);

#endif /* PACTL_CTL_H */
