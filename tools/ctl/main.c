/*
 * push-approval-ctl: option parsing, help texts and the commands.
 *
 * Exit status: 0 approved / created / valid, 1 denied / invalid,
 * 2 expired or timed out, 3 error, 64 usage.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ctl.h"


#define PACTL_CMD_SECRET        0x01
#define PACTL_CMD_USER_ADD      0x02
#define PACTL_CMD_USER_STATUS   0x04
#define PACTL_CMD_FACTORS       0x08
#define PACTL_CMD_PUSH          0x10
#define PACTL_CMD_SIGN          0x20
#define PACTL_CMD_CHECK         0x40
#define PACTL_CMD_NONE          0x80
#define PACTL_CMD_INVITE        0x100
#define PACTL_CMD_REVOKE        0x200

#define PACTL_CMD_NET                                                        \
    (PACTL_CMD_USER_ADD|PACTL_CMD_USER_STATUS|PACTL_CMD_FACTORS|PACTL_CMD_PUSH)
#define PACTL_CMD_CB            (PACTL_CMD_SIGN|PACTL_CMD_CHECK)
#define PACTL_CMD_ALL           0x3ff

#define PACTL_OPT_ARG           0x01
#define PACTL_OPT_MULTI         0x02

#define PACTL_SECRET_BYTES      48

#define PACTL_DEFAULT_MESSAGE   "Approval requested by push-approval-ctl"


enum {
    PACTL_O_HELP = 0,
    PACTL_O_PROVIDER,
    PACTL_O_API_URL,
    PACTL_O_API_KEY_FILE,
    PACTL_O_CREDENTIALS_FILE,
    PACTL_O_SERVICE,
    PACTL_O_CONNECT_TIMEOUT,
    PACTL_O_MAX_TIME,
    PACTL_O_RETRIES,
    PACTL_O_EMAIL,
    PACTL_O_PHONE,
    PACTL_O_COUNTRY_CODE,
    PACTL_O_IDENTITY,
    PACTL_O_FACTOR,
    PACTL_O_MESSAGE,
    PACTL_O_DETAIL,
    PACTL_O_HIDDEN,
    PACTL_O_TIMEOUT,
    PACTL_O_WAIT,
    PACTL_O_POLL,
    PACTL_O_URL,
    PACTL_O_BODY_FILE,
    PACTL_O_PARAM,
    PACTL_O_METHOD,
    PACTL_O_NONCE,
    PACTL_O_SIGNATURE,
    PACTL_O_MAX_AGE,
    PACTL_O_SECRET_FILE,
    PACTL_O_TTL,
    PACTL_O_LAST
};


typedef struct {
    const char             *name;
    unsigned                flags;
    unsigned                cmds;
} pactl_opt_t;


typedef struct {
    unsigned                cmd;
    const char             *cmd_name;
    const char             *val[PACTL_O_LAST];
    int                     seen[PACTL_O_LAST];
    const char             *pos[4];
    int                     npos;
    pactl_pairs_t           details;
    pactl_pairs_t           hidden;
    pactl_pairs_t           params;
    pactl_conf_t            conf;
} pactl_args_t;


typedef struct {
    const char             *word1;
    const char             *word2;
    unsigned                cmd;
    int                     nargs;
    const char             *help;
} pactl_cmd_t;


static int pactl_usage(pactl_args_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void pactl_global_help(FILE *f);
static void pactl_group_help(FILE *f, const char *group);
static const char *pactl_cmd_named(pactl_args_t *a);
static int pactl_check_service(pactl_args_t *a);
static void pactl_waiting(int tty, const char *id, double left);
static int pactl_parse(pactl_args_t *a, int argc, char **argv);
static int pactl_add_pair(pactl_args_t *a, int id, const char *arg);
static int pactl_number(pactl_args_t *a, int id, double min, double max,
    double *out);
static int pactl_common(pactl_args_t *a);
static int pactl_cmd_secret(pactl_args_t *a);
static int pactl_cmd_user_add(pactl_args_t *a);
static int pactl_cmd_user_status(pactl_args_t *a);
static int pactl_cmd_factors(pactl_args_t *a);
static int pactl_cmd_push(pactl_args_t *a);
static size_t pactl_utf8_chars(const char *s);
static int pactl_cmd_callback(pactl_args_t *a, int check);
static int pactl_callback_verify(pactl_args_t *a, int check,
    const char *body, size_t len, int json, const char *method);
static int pactl_callback_authy(pactl_args_t *a, int check,
    const char *body, size_t len, int json, const char *method);
static int pactl_looks_like_json(const char *p, size_t len);
static int pactl_cmd_invite(pactl_args_t *a);
static int pactl_cmd_revoke(pactl_args_t *a);


static const pactl_opt_t  pactl_opts[PACTL_O_LAST] = {
    { "help", 0, PACTL_CMD_ALL },
    { "provider", PACTL_OPT_ARG, PACTL_CMD_NET|PACTL_CMD_CB },
    { "api-url", PACTL_OPT_ARG, PACTL_CMD_NET },
    { "api-key-file", PACTL_OPT_ARG, PACTL_CMD_NET|PACTL_CMD_CB },
    { "credentials-file", PACTL_OPT_ARG, PACTL_CMD_NET|PACTL_CMD_CB },
    { "service", PACTL_OPT_ARG, PACTL_CMD_NET },
    { "connect-timeout", PACTL_OPT_ARG, PACTL_CMD_NET },
    { "max-time", PACTL_OPT_ARG, PACTL_CMD_NET|PACTL_CMD_REVOKE },
    { "retries", PACTL_OPT_ARG, PACTL_CMD_NET },
    { "email", PACTL_OPT_ARG, PACTL_CMD_USER_ADD },
    { "phone", PACTL_OPT_ARG, PACTL_CMD_USER_ADD },
    { "country-code", PACTL_OPT_ARG, PACTL_CMD_USER_ADD },
    { "identity", PACTL_OPT_ARG, PACTL_CMD_PUSH },
    { "factor", PACTL_OPT_ARG, PACTL_CMD_PUSH },
    { "message", PACTL_OPT_ARG, PACTL_CMD_PUSH },
    { "detail", PACTL_OPT_ARG|PACTL_OPT_MULTI, PACTL_CMD_PUSH },
    { "hidden", PACTL_OPT_ARG|PACTL_OPT_MULTI, PACTL_CMD_PUSH },
    { "timeout", PACTL_OPT_ARG, PACTL_CMD_PUSH },
    { "wait", 0, PACTL_CMD_PUSH },
    { "poll", PACTL_OPT_ARG, PACTL_CMD_PUSH },
    { "url", PACTL_OPT_ARG, PACTL_CMD_CB|PACTL_CMD_REVOKE },
    { "body-file", PACTL_OPT_ARG, PACTL_CMD_CB },
    { "param", PACTL_OPT_ARG|PACTL_OPT_MULTI, PACTL_CMD_CB },
    { "method", PACTL_OPT_ARG, PACTL_CMD_CB },
    { "nonce", PACTL_OPT_ARG, PACTL_CMD_CB },
    { "signature", PACTL_OPT_ARG, PACTL_CMD_CHECK },
    { "max-age", PACTL_OPT_ARG, PACTL_CMD_CHECK },
    { "secret-file", PACTL_OPT_ARG, PACTL_CMD_INVITE },
    { "ttl", PACTL_OPT_ARG, PACTL_CMD_INVITE }
};


#define PACTL_HELP_VERIFY                                                    \
"  --credentials-file F      Verify: line 1 ACCOUNT_SID:AUTH_TOKEN or\n"     \
"                            API_KEY_SID:SECRET, line 2 the auth token\n"    \
"  --service VA...           Verify service SID (or VERIFY_SERVICE_SID)\n"

#define PACTL_HELP_AUTHY                                                     \
"  --api-key-file F          Authy API key file (or AUTHY_API_KEY)\n"

#define PACTL_HELP_NET                                                       \
"  --connect-timeout S       connect timeout (default 5)\n"                  \
"  --max-time S              total time per request (default 15)\n"          \
"  --retries N               retries on 429, 5xx, failures (default 3)\n"

#define PACTL_HELP_CONN                                                      \
"Provider options:\n"                                                        \
"  --provider verify|authy   provider (default verify)\n"                    \
PACTL_HELP_VERIFY                                                            \
PACTL_HELP_AUTHY                                                             \
"  --api-url URL             API base (default https://verify.twilio.com\n"  \
"                            or https://api.authy.com; http for loopback)\n" \
PACTL_HELP_NET                                                               \
"Environment: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, VERIFY_SERVICE_SID,\n"  \
"AUTHY_API_KEY (files given as options win).\n"

#define PACTL_HELP_CONN_AUTHY                                                \
"Provider options:\n"                                                        \
PACTL_HELP_AUTHY                                                             \
"  --api-url URL             API base (default https://api.authy.com;\n"     \
"                            http only for a loopback host)\n"              \
PACTL_HELP_NET                                                               \
"Environment: AUTHY_API_KEY (a file given as option wins).\n"

#define PACTL_HELP_CONN_VERIFY                                               \
"Provider options:\n"                                                        \
PACTL_HELP_VERIFY                                                            \
"  --api-url URL             API base (default https://verify.twilio.com;\n" \
"                            http only for a loopback host)\n"              \
PACTL_HELP_NET                                                               \
"Environment: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, VERIFY_SERVICE_SID\n"   \
"(files given as options win).\n"

#define PACTL_HELP_CB                                                        \
"  --provider verify|authy   signature dialect (default verify)\n"           \
"  --url URL                 the URL the provider calls (required)\n"        \
"  --body-file F             raw body: JSON, or a form body\n"               \
"  --param NAME=VALUE        a form parameter (repeatable)\n"                \
"  --method POST|GET         (default POST)\n"                               \
"  --nonce N                 Authy nonce (unix time; default now)\n"         \
"  --credentials-file F      Verify: the auth token (line 2, or line 1 of\n" \
"                            an account SID); or TWILIO_AUTH_TOKEN\n"        \
"  --api-key-file F          Authy: the API key; or AUTHY_API_KEY\n"


static const pactl_cmd_t  pactl_cmds[] = {

    { "secret", NULL, PACTL_CMD_SECRET, 0,
      "Usage: " PACTL_PROG " secret\n"
      "Print a new random secret line (48 random bytes, base64url) for\n"
      "push_approval_secret_file.\n" },

    { "authy", "user-add", PACTL_CMD_USER_ADD, 0,
      "Usage: " PACTL_PROG " authy user-add --email E --phone P "
      "--country-code C [options]\n"
      "Register an Authy user; print the Authy ID.\n"
      "  --email E                 the user's e-mail address (required)\n"
      "  --phone P                 the phone number, national part "
      "(required)\n"
      "  --country-code C          the country calling code, e.g. 1 or 44\n"
      "                            (required)\n"
      PACTL_HELP_CONN_AUTHY },

    { "authy", "user-status", PACTL_CMD_USER_STATUS, 1,
      "Usage: " PACTL_PROG " authy user-status AUTHY_ID [options]\n"
      "Print an Authy user's status, one \"key: value\" per line.\n"
      PACTL_HELP_CONN_AUTHY },

    { "verify", "factors", PACTL_CMD_FACTORS, 1,
      "Usage: " PACTL_PROG " verify factors IDENTITY [options]\n"
      "List the identity's Verify factors: sid, friendly name, status,\n"
      "type, tab-separated, one per line.\n"
      PACTL_HELP_CONN_VERIFY },

    { "push", NULL, PACTL_CMD_PUSH, 0,
      "Usage: " PACTL_PROG " push --identity ID [options]\n"
      "Create an approval with the provider and print its id.\n"
      "  --identity ID             Verify identity or Authy ID (required)\n"
      "  --factor YF...            Verify factor (default: the identity's\n"
      "                            verified push factor)\n"
      "  --message M               message shown on the phone\n"
      "  --detail LABEL=VALUE      shown detail (repeatable)\n"
      "  --hidden KEY=VALUE        hidden detail (repeatable)\n"
      "  --timeout S               expiry and wait limit (default 60)\n"
      "  --wait                    wait for the decision; print it (what it\n"
      "                            waits for goes to stderr)\n"
      "  --poll S                  status poll interval (default 2)\n"
      "Exit: 0 approved (created without --wait), 1 denied, 2 expired or\n"
      "timed out, 3 error, 64 usage.\n"
      PACTL_HELP_CONN },

    { "sign-callback", NULL, PACTL_CMD_SIGN, 0,
      "Usage: " PACTL_PROG " sign-callback --url URL "
      "(--body-file F | --param N=V...) [options]\n"
      "Print the signature header(s) the provider would send.\n"
      PACTL_HELP_CB
      "A Verify JSON body needs bodySHA256=<hex> in the URL.\n" },

    { "verify-callback", NULL, PACTL_CMD_CHECK, 0,
      "Usage: " PACTL_PROG " verify-callback --url URL --signature S "
      "(--body-file F | --param N=V...) [options]\n"
      "Check a webhook signature: print \"valid\" (exit 0) or\n"
      "\"invalid: reason\" (exit 1).\n"
      PACTL_HELP_CB
      "  --signature S             the received signature (required)\n"
      "  --max-age S               Authy: reject a nonce further than S\n"
      "                            seconds from now (default: no check)\n" },

    { "invite", NULL, PACTL_CMD_INVITE, 1,
      "Usage: " PACTL_PROG " invite --secret-file F IDENTITY [--ttl TIME]\n"
      "Print an invite code that lets IDENTITY enrol its first device\n"
      "through push_approval_enroll (form field invite=CODE). It is\n"
      "signed with line 1 of the secret file and usable once.\n"
      "  --secret-file F           the push_approval_secret_file (required)\n"
      "  --ttl TIME                validity: 90, 90s, 30m, 24h, 7d\n"
      "                            (default 24h)\n" },

    { "revoke", NULL, PACTL_CMD_REVOKE, 1,
      "Usage: " PACTL_PROG " revoke --url URL IDENTITY [--max-time S]\n"
      "End IDENTITY's remembered and pending approvals: POST to a\n"
      "push_approval_revoke location (credentials may go in the URL).\n"
      "  --url URL                 the revoke location (required)\n"
      "  --max-time S              total time (default 15)\n" },

    { NULL, NULL, 0, 0, NULL }
};


/* "authy --help", "verify --help": that group's subcommands */

static void
pactl_group_help(FILE *f, const char *group)
{
    const pactl_cmd_t  *c;

    if (strcmp(group, "authy") != 0 && strcmp(group, "verify") != 0) {
        pactl_global_help(f);
        return;
    }

    fprintf(f, "Usage: " PACTL_PROG " %s SUBCOMMAND [options]\n\n"
            "Subcommands:\n", group);

    for (c = pactl_cmds; c->word1; c++) {
        if (c->word2 && strcmp(c->word1, group) == 0) {
            fprintf(f, "  %s\n", c->word2);
        }
    }

    fprintf(f, "\nRun \"" PACTL_PROG " %s SUBCOMMAND --help\" for its "
            "options.\n", group);
}


/* the command named so far, for "Try ... --help" before it is resolved */

static const char *
pactl_cmd_named(pactl_args_t *a)
{
    const pactl_cmd_t  *c;

    if (a->cmd_name || a->npos == 0) {
        return a->cmd_name;
    }

    for (c = pactl_cmds; c->word1; c++) {
        if (strcmp(c->word1, a->pos[0]) != 0) {
            continue;
        }

        if (c->word2 == NULL) {
            return c->word1;
        }

        if (a->npos > 1 && strcmp(c->word2, a->pos[1]) == 0) {
            return c->cmd == PACTL_CMD_USER_ADD ? "authy user-add"
                   : c->cmd == PACTL_CMD_USER_STATUS ? "authy user-status"
                   : "verify factors";
        }
    }

    return (strcmp(a->pos[0], "authy") == 0 ? "authy"
            : strcmp(a->pos[0], "verify") == 0 ? "verify" : NULL);
}


static void
pactl_global_help(FILE *f)
{
    fprintf(f,
        "Usage: " PACTL_PROG " COMMAND [options]\n"
        "Operator tool for ngx_http_push_approval_module.\n"
        "\n"
        "Commands:\n"
        "  secret                    print a new secret line\n"
        "  authy user-add            register an Authy user\n"
        "  authy user-status ID      show an Authy user's status\n"
        "  verify factors IDENTITY   list an identity's Verify factors\n"
        "  push --identity ID        send an approval request\n"
        "  sign-callback             sign a webhook (testing)\n"
        "  verify-callback           check a webhook signature\n"
        "  invite IDENTITY           print an invite for a first device\n"
        "  revoke IDENTITY           end an identity's approvals\n"
        "\n"
        "Run \"" PACTL_PROG " COMMAND --help\" for a command's options.\n");
}


static int
pactl_usage(pactl_args_t *a, const char *fmt, ...)
{
    va_list      ap;
    const char  *name;

    fprintf(stderr, PACTL_PROG ": ");

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);

    name = pactl_cmd_named(a);

    fprintf(stderr, "\nTry \"" PACTL_PROG "%s%s --help\".\n",
            name ? " " : "", name ? name : "");

    return PACTL_EXIT_USAGE;
}


static int
pactl_add_pair(pactl_args_t *a, int id, const char *arg)
{
    const char     *eq;
    pactl_pairs_t  *p;

    eq = strchr(arg, '=');

    if (eq == NULL || eq == arg) {
        return pactl_usage(a, "--%s needs NAME=VALUE, not \"%s\"",
                           pactl_opts[id].name, arg);
    }

    p = (id == PACTL_O_DETAIL) ? &a->details
        : (id == PACTL_O_HIDDEN) ? &a->hidden : &a->params;

    if (pactl_pairs_add(p, arg, (size_t) (eq - arg), eq + 1, strlen(eq + 1))
        != 0)
    {
        return PACTL_EXIT_ERROR;
    }

    return 0;
}


static int
pactl_parse(pactl_args_t *a, int argc, char **argv)
{
    int                 i, id, rc, done;
    size_t              nlen;
    const char         *arg, *name, *value, *eq;
    const pactl_cmd_t  *c;

    done = 0;
    rc = 0;

    for (i = 1; i < argc; i++) {
        arg = argv[i];

        if (done || arg[0] != '-' || arg[1] == '\0') {
            if (a->npos == (int) (sizeof(a->pos) / sizeof(a->pos[0]))) {
                return pactl_usage(a, "too many arguments");
            }

            a->pos[a->npos++] = arg;
            continue;
        }

        if (strcmp(arg, "--") == 0) {
            done = 1;
            continue;
        }

        if (strcmp(arg, "-h") == 0) {
            arg = "--help";
        }

        if (arg[1] != '-') {
            return pactl_usage(a, "unknown option \"%s\"", arg);
        }

        name = arg + 2;
        eq = strchr(name, '=');
        nlen = eq ? (size_t) (eq - name) : strlen(name);

        for (id = 0; id < PACTL_O_LAST; id++) {
            if (strlen(pactl_opts[id].name) == nlen
                && strncmp(pactl_opts[id].name, name, nlen) == 0)
            {
                break;
            }
        }

        if (id == PACTL_O_LAST) {
            return pactl_usage(a, "unknown option \"--%.*s\"", (int) nlen,
                             name);
        }

        value = NULL;

        if (pactl_opts[id].flags & PACTL_OPT_ARG) {
            if (eq) {
                value = eq + 1;

            } else if (i + 1 < argc) {
                value = argv[++i];

            } else {
                return pactl_usage(a, "option \"--%s\" needs a value",
                                 pactl_opts[id].name);
            }

        } else if (eq) {
            return pactl_usage(a, "option \"--%s\" takes no value",
                             pactl_opts[id].name);
        }

        if (a->seen[id] && !(pactl_opts[id].flags & PACTL_OPT_MULTI)
            && id != PACTL_O_HELP)
        {
            return pactl_usage(a, "option \"--%s\" given twice",
                             pactl_opts[id].name);
        }

        a->seen[id]++;
        a->val[id] = value;

        if (pactl_opts[id].flags & PACTL_OPT_MULTI) {
            rc = pactl_add_pair(a, id, value);
            if (rc != 0) {
                return rc;
            }
        }
    }

    /* the command: one or two words */

    a->cmd = PACTL_CMD_NONE;

    if (a->npos > 0) {
        for (c = pactl_cmds; c->word1; c++) {
            if (strcmp(c->word1, a->pos[0]) != 0) {
                continue;
            }

            if (c->word2 == NULL) {
                break;
            }

            if (a->npos > 1 && strcmp(c->word2, a->pos[1]) == 0) {
                break;
            }
        }

        if (c->word1 == NULL) {
            if (a->seen[PACTL_O_HELP]) {
                pactl_group_help(stdout, a->pos[0]);
                return -1;
            }

            if (strcmp(a->pos[0], "authy") == 0
                || strcmp(a->pos[0], "verify") == 0)
            {
                return pactl_usage(a, "unknown or missing %s subcommand",
                                   a->pos[0]);
            }

            return pactl_usage(a, "unknown command \"%s\"", a->pos[0]);
        }

        a->cmd = c->cmd;
        a->cmd_name = c->word2 ? (strcmp(c->word1, "authy") == 0
                                  ? (c->cmd == PACTL_CMD_USER_ADD
                                     ? "authy user-add" : "authy user-status")
                                  : "verify factors")
                               : c->word1;

        if (a->seen[PACTL_O_HELP]) {
            fputs(c->help, stdout);
            return -1;
        }

        if (a->npos - (c->word2 ? 2 : 1) != c->nargs) {
            return pactl_usage(a, "%s argument%s", c->nargs ? "missing"
                                                            : "unexpected",
                               c->nargs ? "" : "(s)");
        }

    } else if (a->seen[PACTL_O_HELP]) {
        pactl_global_help(stdout);
        return -1;

    } else {
        return pactl_usage(a, "no command given");
    }

    if (rc != 0) {
        return rc;
    }

    for (id = 0; id < PACTL_O_LAST; id++) {
        if (a->seen[id] && !(pactl_opts[id].cmds & a->cmd)) {
            return pactl_usage(a, "option \"--%s\" is not valid for %s",
                               pactl_opts[id].name, a->cmd_name);
        }
    }

    return 0;
}


static int
pactl_number(pactl_args_t *a, int id, double min, double max, double *out)
{
    char        *end;
    double       v;
    const char  *s;

    s = a->val[id];

    if (s == NULL) {
        return 0;
    }

    v = strtod(s, &end);

    if (end == s || *end != '\0' || !(v >= min && v <= max)) {
        return pactl_usage(a, "invalid --%s \"%s\" (%g to %g)",
                           pactl_opts[id].name, s, min, max);
    }

    *out = v;

    return 0;
}


/* provider and connection settings shared by the commands */

static int
pactl_common(pactl_args_t *a)
{
    double         v;
    const char    *p;
    pactl_conf_t  *cf;

    cf = &a->conf;

    cf->connect_timeout = 5;
    cf->max_time = 15;
    cf->retries = 3;

    p = a->val[PACTL_O_PROVIDER];

    if (a->cmd == PACTL_CMD_USER_ADD || a->cmd == PACTL_CMD_USER_STATUS) {
        if (p != NULL && strcmp(p, "authy") != 0) {
            return pactl_usage(a, "%s needs --provider authy", a->cmd_name);
        }

        cf->provider = PACTL_PROVIDER_AUTHY;

    } else if (a->cmd == PACTL_CMD_FACTORS) {
        if (p != NULL && strcmp(p, "verify") != 0) {
            return pactl_usage(a, "%s needs --provider verify", a->cmd_name);
        }

        cf->provider = PACTL_PROVIDER_VERIFY;

    } else if (p == NULL || strcmp(p, "verify") == 0) {
        cf->provider = PACTL_PROVIDER_VERIFY;

    } else if (strcmp(p, "authy") == 0) {
        cf->provider = PACTL_PROVIDER_AUTHY;

    } else {
        return pactl_usage(a, "unknown provider \"%s\" (verify or authy)", p);
    }

    cf->api_url = a->val[PACTL_O_API_URL];
    cf->api_key_file = a->val[PACTL_O_API_KEY_FILE];
    cf->credentials_file = a->val[PACTL_O_CREDENTIALS_FILE];
    cf->service = a->val[PACTL_O_SERVICE];

    /* a bad option value is a usage error (64), not a failure (3) */

    if (cf->api_url && pactl_http_check_url(cf->api_url) != 0) {
        return pactl_usage(a, "invalid --api-url \"%s\"", cf->api_url);
    }

    if (pactl_check_service(a) != 0) {
        return PACTL_EXIT_USAGE;
    }

    if (pactl_number(a, PACTL_O_CONNECT_TIMEOUT, 0.1, 300,
                     &cf->connect_timeout) != 0
        || pactl_number(a, PACTL_O_MAX_TIME, 0.1, 3600, &cf->max_time) != 0)
    {
        return PACTL_EXIT_USAGE;
    }

    v = cf->retries;

    if (pactl_number(a, PACTL_O_RETRIES, 0, 10, &v) != 0) {
        return PACTL_EXIT_USAGE;
    }

    cf->retries = (int) v;

    if (v != (double) cf->retries) {
        return pactl_usage(a, "invalid --retries \"%s\"",
                           a->val[PACTL_O_RETRIES]);
    }

    return 0;
}


/* a Verify service SID, as nginx checks push_approval_verify_service */

static int
pactl_check_service(pactl_args_t *a)
{
    const char  *s;

    s = a->val[PACTL_O_SERVICE];

    if (s == NULL) {
        return 0;
    }

    if (strlen(s) != 34 || strncmp(s, "VA", 2) != 0
        || strspn(s + 2, "0123456789abcdef") != 32)
    {
        return pactl_usage(a, "invalid --service \"%s\", expected \"VA\" "
                           "and 32 hex digits", s);
    }

    return 0;
}


static int
pactl_cmd_secret(pactl_args_t *a)
{
    unsigned char  raw[PACTL_SECRET_BYTES];
    pactl_buf_t    b;

    (void) a;

    memset(&b, 0, sizeof(pactl_buf_t));

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        fprintf(stderr, PACTL_PROG ": RAND_bytes() failed\n");
        return PACTL_EXIT_ERROR;
    }

    if (pactl_buf_add_base64(&b, raw, sizeof(raw), 1) != 0) {
        OPENSSL_cleanse(raw, sizeof(raw));
        return PACTL_EXIT_ERROR;
    }

    OPENSSL_cleanse(raw, sizeof(raw));

    printf("%s\n", b.data);

    pactl_buf_wipe(&b);

    return fflush(stdout) == 0 ? PACTL_EXIT_OK : PACTL_EXIT_ERROR;
}


static int
pactl_cmd_user_add(pactl_args_t *a)
{
    const char  *email, *phone, *cc;

    email = a->val[PACTL_O_EMAIL];
    phone = a->val[PACTL_O_PHONE];
    cc = a->val[PACTL_O_COUNTRY_CODE];

    if (email == NULL || phone == NULL || cc == NULL) {
        return pactl_usage(a, "--email, --phone and --country-code are "
                           "required");
    }

    if (*cc == '+') {
        cc++;
    }

    if (*cc == '\0' || strspn(cc, "0123456789") != strlen(cc)) {
        return pactl_usage(a, "invalid --country-code \"%s\"",
                           a->val[PACTL_O_COUNTRY_CODE]);
    }

    if (pactl_conf_load(&a->conf, 1, 0) != 0) {
        return PACTL_EXIT_ERROR;
    }

    return pactl_authy_user_add(&a->conf, email, phone, cc) == 0
           ? PACTL_EXIT_OK : PACTL_EXIT_ERROR;
}


static int
pactl_cmd_user_status(pactl_args_t *a)
{
    const char  *id;

    id = a->pos[2];

    if (!pactl_authy_valid_identity(id)) {
        return pactl_usage(a, "invalid Authy ID \"%s\" (a positive "
                           "integer)", id);
    }

    if (pactl_conf_load(&a->conf, 1, 0) != 0) {
        return PACTL_EXIT_ERROR;
    }

    return pactl_authy_user_status(&a->conf, id) == 0
           ? PACTL_EXIT_OK : PACTL_EXIT_ERROR;
}


static int
pactl_cmd_factors(pactl_args_t *a)
{
    const char  *id;

    id = a->pos[2];

    if (!pactl_verify_valid_identity(id)) {
        return pactl_usage(a, "invalid Verify identity \"%s\" (8-64 "
                           "letters, digits and -)", id);
    }

    if (pactl_conf_load(&a->conf, 1, 0) != 0) {
        return PACTL_EXIT_ERROR;
    }

    return pactl_verify_factors(&a->conf, id) == 0
           ? PACTL_EXIT_OK : PACTL_EXIT_ERROR;
}


/* characters, not bytes: Authy counts a details key in characters */

static size_t
pactl_utf8_chars(const char *s)
{
    size_t  n;

    for (n = 0; *s; s++) {
        if ((*s & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


static int
pactl_cmd_push(pactl_args_t *a)
{
    int             rc, verify, tty;
    char           *id;
    size_t          i;
    double          timeout, poll, deadline, left;
    pactl_buf_t     json;
    pactl_push_t    p;
    pactl_status_e  st;

    static const char  *names[] = {
        "pending", "approved", "denied", "expired", "error"
    };

    memset(&p, 0, sizeof(pactl_push_t));
    memset(&json, 0, sizeof(pactl_buf_t));

    verify = (a->conf.provider == PACTL_PROVIDER_VERIFY);

    p.identity = a->val[PACTL_O_IDENTITY];
    p.factor = a->val[PACTL_O_FACTOR];
    p.message = a->val[PACTL_O_MESSAGE] ? a->val[PACTL_O_MESSAGE]
                                         : PACTL_DEFAULT_MESSAGE;
    p.details = &a->details;
    p.hidden = &a->hidden;

    if (p.identity == NULL) {
        return pactl_usage(a, "--identity is required");
    }

    if (verify ? !pactl_verify_valid_identity(p.identity)
               : !pactl_authy_valid_identity(p.identity))
    {
        return pactl_usage(a, verify
                           ? "invalid Verify identity \"%s\" (8-64 letters, "
                             "digits and -)"
                           : "invalid Authy ID \"%s\" (a positive integer)",
                           p.identity);
    }

    if (p.factor != NULL
        && (!verify || strncmp(p.factor, "YF", 2) != 0
            || strspn(p.factor, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz0123456789")
               != strlen(p.factor)))
    {
        return pactl_usage(a, "--factor takes a Verify factor SID (YF...)");
    }

    if (*p.message == '\0') {
        return pactl_usage(a, "--message must not be empty");
    }

    if (verify) {
        if (strlen(p.message) > 256) {
            return pactl_usage(a, "--message: at most 256 characters for "
                               "Verify");
        }

        if (a->details.nelts > 20) {
            return pactl_usage(a, "at most 20 --detail for Verify");
        }

        for (i = 0; i < a->details.nelts; i++) {
            if (strlen(a->details.elts[i].name) > 36
                || strlen(a->details.elts[i].value) > 128)
            {
                return pactl_usage(a, "--detail: label at most 36, value "
                                   "at most 128 characters for Verify");
            }
        }

        if (a->hidden.nelts) {
            if (pactl_json_object_string(&json, &a->hidden) != 0) {
                return PACTL_EXIT_ERROR;
            }

            i = json.len;
            pactl_buf_free(&json);

            if (i > 1024) {
                return pactl_usage(a, "--hidden: at most 1024 characters of "
                                   "JSON for Verify");
            }
        }

    } else {
        for (i = 0; i < a->details.nelts; i++) {
            if (pactl_utf8_chars(a->details.elts[i].name) > 20) {
                return pactl_usage(a, "--detail: label at most 20 "
                                   "characters for Authy");
            }
        }
    }

    timeout = 60;
    poll = 2;

    if (pactl_number(a, PACTL_O_TIMEOUT, 1, verify ? 3600 : 86400, &timeout)
        != 0
        || pactl_number(a, PACTL_O_POLL, 0.1, 3600, &poll) != 0)
    {
        return PACTL_EXIT_USAGE;
    }

    if (a->val[PACTL_O_POLL] && !a->seen[PACTL_O_WAIT]) {
        return pactl_usage(a, "--poll needs --wait");
    }

    p.timeout = (long) timeout;

    if (pactl_conf_load(&a->conf, 1, 0) != 0) {
        return PACTL_EXIT_ERROR;
    }

    deadline = pactl_now() + timeout;

    rc = verify ? pactl_verify_push(&a->conf, &p, &id)
                : pactl_authy_push(&a->conf, &p, &id);

    if (rc != 0) {
        return PACTL_EXIT_ERROR;
    }

    printf("%s\n", id);
    fflush(stdout);

    if (!a->seen[PACTL_O_WAIT]) {
        free(id);
        return PACTL_EXIT_OK;
    }

    tty = isatty(STDERR_FILENO);

    fprintf(stderr, "waiting up to %.0f s for %s to approve or deny %s on "
            "the phone%s", timeout, p.identity, id, tty ? " " : "...\n");

    for ( ;; ) {
        left = deadline - pactl_now();

        pactl_waiting(tty, id, left);
        pactl_sleep(left < poll ? left : poll);

        rc = verify ? pactl_verify_status(&a->conf, p.identity, id, &st)
                    : pactl_authy_status(&a->conf, id, &st);

        if (rc != 0) {
            free(id);
            return PACTL_EXIT_ERROR;
        }

        if (st != PACTL_STATUS_PENDING) {
            break;
        }

        if (pactl_now() >= deadline) {
            pactl_waiting(tty, NULL, 0);
            free(id);
            printf("timeout\n");
            return PACTL_EXIT_EXPIRED;
        }
    }

    pactl_waiting(tty, NULL, 0);
    free(id);

    printf("%s\n", names[st]);

    switch (st) {

    case PACTL_STATUS_APPROVED:
        return PACTL_EXIT_OK;

    case PACTL_STATUS_DENIED:
        return PACTL_EXIT_DENIED;

    case PACTL_STATUS_EXPIRED:
        return PACTL_EXIT_EXPIRED;

    default:
        return PACTL_EXIT_ERROR;
    }
}


/* a spinner on a terminal while waiting; NULL id ends its line */

static void
pactl_waiting(int tty, const char *id, double left)
{
    static unsigned     n;
    static const char   spin[] = "|/-\\";

    if (!tty) {
        return;
    }

    if (id == NULL) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
        return;
    }

    fprintf(stderr, "\r%c %3.0f s left ", spin[n++ % 4], left > 0 ? left : 0);
    fflush(stderr);
}


static int
pactl_looks_like_json(const char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
            return p[i] == '{' || p[i] == '[';
        }
    }

    return 0;
}


static int
pactl_callback_verify(pactl_args_t *a, int check, const char *body,
    size_t len, int json, const char *method)
{
    int            rc, n, hashed, ok;
    char          *alt;
    const char    *url;
    pactl_buf_t    sig, want, got;
    pactl_pairs_t  form, *params;

    memset(&sig, 0, sizeof(pactl_buf_t));
    memset(&want, 0, sizeof(pactl_buf_t));
    memset(&got, 0, sizeof(pactl_buf_t));
    memset(&form, 0, sizeof(pactl_pairs_t));

    url = a->val[PACTL_O_URL];
    alt = NULL;
    rc = PACTL_EXIT_ERROR;

    if (strcmp(method, "GET") == 0 && (body || a->params.nelts)) {
        return pactl_usage(a, "Verify signs GET callbacks by URL only: "
                           "no --param or --body-file");
    }

    hashed = pactl_sig_url_has_body_hash(url, &got);
    if (hashed < 0) {
        goto done;
    }

    params = &a->params;

    if (hashed || json) {
        /* the JSON variant: the URL carries the body hash, no params */

        if (pactl_sig_body_hash(body ? body : "", body ? len : 0, &want)
            != 0)
        {
            goto done;
        }

        if (!hashed) {
            if (check) {
                printf("invalid: no bodySHA256 in the URL for a JSON "
                       "body\n");
                rc = PACTL_EXIT_DENIED;
                goto done;
            }

            fprintf(stderr, PACTL_PROG ": a JSON body is signed through "
                    "the URL: add bodySHA256=%s to --url\n", want.data);
            rc = PACTL_EXIT_USAGE;
            goto done;
        }

        for (n = 0; n < (int) got.len; n++) {
            if (got.data[n] >= 'A' && got.data[n] <= 'F') {
                got.data[n] |= 0x20;
            }
        }

        if (!pactl_sig_equal(got.data, want.data)) {
            if (check) {
                printf("invalid: body hash mismatch\n");
                rc = PACTL_EXIT_DENIED;
                goto done;
            }

            fprintf(stderr, PACTL_PROG ": bodySHA256 in --url does not "
                    "match the body (%s)\n", want.data);
            rc = PACTL_EXIT_USAGE;
            goto done;
        }

        params = &form;

    } else if (body != NULL) {
        if (pactl_pairs_parse_form(&form, body, len) != 0) {
            goto done;
        }

        params = &form;
    }

    if (pactl_sig_twilio(a->conf.auth_token, url, params, &sig) != 0) {
        goto done;
    }

    if (!check) {
        printf("X-Twilio-Signature: %s\n", sig.data);
        rc = PACTL_EXIT_OK;
        goto done;
    }

    ok = pactl_sig_equal(sig.data, a->val[PACTL_O_SIGNATURE]);

    /* the provider may have signed the URL with or without its port */

    n = pactl_sig_url_variants(url, &alt);
    if (n < 0) {
        goto done;
    }

    if (n > 0) {
        sig.len = 0;

        if (pactl_sig_twilio(a->conf.auth_token, alt, params, &sig) != 0) {
            goto done;
        }

        ok |= pactl_sig_equal(sig.data, a->val[PACTL_O_SIGNATURE]);
    }

    if (ok) {
        printf("valid\n");
        rc = PACTL_EXIT_OK;

    } else {
        printf("invalid: signature mismatch\n");
        rc = PACTL_EXIT_DENIED;
    }

done:

    free(alt);
    pactl_buf_wipe(&sig);
    pactl_buf_free(&want);
    pactl_buf_free(&got);
    pactl_pairs_free(&form);

    return rc;
}


static int
pactl_callback_authy(pactl_args_t *a, int check, const char *body,
    size_t len, int json, const char *method)
{
    int          rc;
    char         now[32];
    long         age;
    double       max_age;
    const char  *nonce;
    pactl_buf_t  params, sig;

    memset(&params, 0, sizeof(pactl_buf_t));
    memset(&sig, 0, sizeof(pactl_buf_t));

    nonce = a->val[PACTL_O_NONCE];
    max_age = 0;

    if (nonce == NULL) {
        snprintf(now, sizeof(now), "%lld", (long long) time(NULL));
        nonce = now;
    }

    if (*nonce == '\0' || strspn(nonce, "0123456789") != strlen(nonce)
        || strlen(nonce) > 18)
    {
        return pactl_usage(a, "invalid --nonce \"%s\" (unix time)", nonce);
    }

    if (check && pactl_number(a, PACTL_O_MAX_AGE, 0, 1e9, &max_age) != 0) {
        return PACTL_EXIT_USAGE;
    }

    rc = pactl_sig_authy_params(body, len, json, a->val[PACTL_O_URL],
                                strcmp(method, "GET") == 0, &a->params,
                                &params);
    if (rc != 0) {
        if (rc > 0 && check) {
            printf("invalid: unparsable JSON body\n");
            return PACTL_EXIT_DENIED;
        }

        pactl_buf_free(&params);
        return PACTL_EXIT_ERROR;
    }

    rc = PACTL_EXIT_ERROR;

    if (pactl_sig_authy(a->conf.authy_key, nonce, method,
                        a->val[PACTL_O_URL], params.data, &sig) != 0)
    {
        goto done;
    }

    if (!check) {
        printf("X-Authy-Signature: %s\nX-Authy-Signature-Nonce: %s\n",
               sig.data, nonce);
        rc = PACTL_EXIT_OK;
        goto done;
    }

    if (!pactl_sig_equal(sig.data, a->val[PACTL_O_SIGNATURE])) {
        printf("invalid: signature mismatch\n");
        rc = PACTL_EXIT_DENIED;
        goto done;
    }

    if (max_age > 0) {
        age = (long) (time(NULL) - strtoll(nonce, NULL, 10));

        if (age > (long) max_age || -age > (long) max_age) {
            printf("invalid: nonce %ld seconds from now, more than "
                   "--max-age\n", age < 0 ? -age : age);
            rc = PACTL_EXIT_DENIED;
            goto done;
        }
    }

    printf("valid\n");
    rc = PACTL_EXIT_OK;

done:

    pactl_buf_free(&params);
    pactl_buf_wipe(&sig);

    return rc;
}


static int
pactl_cmd_callback(pactl_args_t *a, int check)
{
    int           rc, json;
    double        max_age;
    const char   *method, *body_file, *nonce;
    pactl_buf_t   body;

    memset(&body, 0, sizeof(pactl_buf_t));

    max_age = 0;
    body_file = a->val[PACTL_O_BODY_FILE];
    method = a->val[PACTL_O_METHOD] ? a->val[PACTL_O_METHOD] : "POST";

    if (strcasecmp(method, "POST") == 0) {
        method = "POST";

    } else if (strcasecmp(method, "GET") == 0) {
        method = "GET";

    } else {
        return pactl_usage(a, "--method must be POST or GET");
    }

    if (a->val[PACTL_O_URL] == NULL) {
        return pactl_usage(a, "--url is required");
    }

    if (strncmp(a->val[PACTL_O_URL], "https://", 8) != 0
        && strncmp(a->val[PACTL_O_URL], "http://", 7) != 0)
    {
        return pactl_usage(a, "--url must be an absolute http(s) URL");
    }

    if (body_file != NULL && a->params.nelts) {
        return pactl_usage(a, "--body-file and --param exclude each other");
    }

    if (check && a->val[PACTL_O_SIGNATURE] == NULL) {
        return pactl_usage(a, "--signature is required");
    }

    if (a->conf.provider == PACTL_PROVIDER_VERIFY) {
        if (a->val[PACTL_O_NONCE] || a->val[PACTL_O_MAX_AGE]) {
            return pactl_usage(a, "--nonce and --max-age are for Authy only");
        }

    } else if (check && a->val[PACTL_O_NONCE] == NULL) {
        return pactl_usage(a, "--nonce is required for Authy");
    }

    /* option values are checked before any credential is read */

    nonce = a->val[PACTL_O_NONCE];

    if (nonce != NULL
        && (*nonce == '\0' || strspn(nonce, "0123456789") != strlen(nonce)
            || strlen(nonce) > 18))
    {
        return pactl_usage(a, "invalid --nonce \"%s\" (unix time)", nonce);
    }

    if (pactl_number(a, PACTL_O_MAX_AGE, 0, 1e9, &max_age) != 0) {
        return PACTL_EXIT_USAGE;
    }

    if (pactl_conf_load(&a->conf, 0, 1) != 0) {
        return PACTL_EXIT_ERROR;
    }

    json = 0;

    if (body_file != NULL) {
        if (pactl_read_file(body_file, &body) != 0) {
            pactl_buf_free(&body);
            return PACTL_EXIT_ERROR;
        }

        json = pactl_looks_like_json(body.data, body.len);
    }

    if (a->conf.provider == PACTL_PROVIDER_VERIFY) {
        rc = pactl_callback_verify(a, check, body.data, body.len, json,
                                   method);

    } else {
        rc = pactl_callback_authy(a, check, body.data, body.len, json,
                                  method);
    }

    pactl_buf_free(&body);

    return rc;
}


static int
pactl_cmd_invite(pactl_args_t *a)
{
    long  ttl;

    if (a->val[PACTL_O_SECRET_FILE] == NULL) {
        return pactl_usage(a, "--secret-file is required");
    }

    ttl = 86400;

    if (a->val[PACTL_O_TTL] != NULL) {
        ttl = pactl_parse_ttl(a->val[PACTL_O_TTL]);

        if (ttl < 0) {
            return pactl_usage(a, "invalid --ttl \"%s\" (90, 90s, 30m, 24h, "
                               "7d; at most a year)", a->val[PACTL_O_TTL]);
        }
    }

    return pactl_invite(a->val[PACTL_O_SECRET_FILE], a->pos[1], ttl);
}


static int
pactl_cmd_revoke(pactl_args_t *a)
{
    const char  *url;

    url = a->val[PACTL_O_URL];

    if (url == NULL) {
        return pactl_usage(a, "--url is required");
    }

    if (pactl_gate_url(url) != 0) {
        return pactl_usage(a, "--url must be https (plain http only for a "
                           "loopback host)");
    }

    return pactl_revoke(url, a->pos[1], a->conf.max_time);
}


int
main(int argc, char **argv)
{
    int           rc;
    pactl_args_t  a;

    memset(&a, 0, sizeof(pactl_args_t));

    rc = pactl_parse(&a, argc, argv);

    if (rc != 0) {
        rc = (rc < 0) ? PACTL_EXIT_OK : rc;
        goto done;
    }

    if (a.cmd != PACTL_CMD_SECRET) {
        rc = pactl_common(&a);
        if (rc != 0) {
            goto done;
        }
    }

    if (a.cmd & (PACTL_CMD_NET|PACTL_CMD_REVOKE)) {
        if (pactl_http_init() != 0) {
            rc = PACTL_EXIT_ERROR;
            goto done;
        }
    }

    switch (a.cmd) {

    case PACTL_CMD_SECRET:
        rc = pactl_cmd_secret(&a);
        break;

    case PACTL_CMD_USER_ADD:
        rc = pactl_cmd_user_add(&a);
        break;

    case PACTL_CMD_USER_STATUS:
        rc = pactl_cmd_user_status(&a);
        break;

    case PACTL_CMD_FACTORS:
        rc = pactl_cmd_factors(&a);
        break;

    case PACTL_CMD_PUSH:
        rc = pactl_cmd_push(&a);
        break;

    case PACTL_CMD_SIGN:
        rc = pactl_cmd_callback(&a, 0);
        break;

    case PACTL_CMD_INVITE:
        rc = pactl_cmd_invite(&a);
        break;

    case PACTL_CMD_REVOKE:
        rc = pactl_cmd_revoke(&a);
        break;

    default: /* PACTL_CMD_CHECK */
        rc = pactl_cmd_callback(&a, 1);
        break;
    }

    if (a.cmd & (PACTL_CMD_NET|PACTL_CMD_REVOKE)) {
        pactl_http_cleanup();
    }

done:

    pactl_conf_free(&a.conf);
    pactl_pairs_free(&a.details);
    pactl_pairs_free(&a.hidden);
    pactl_pairs_free(&a.params);

    if (fflush(stdout) != 0 && rc == PACTL_EXIT_OK) {
        rc = PACTL_EXIT_ERROR;
    }

    return rc;
}
