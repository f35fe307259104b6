/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardpod certs`: makes (or rotates) the webhook's serving certificate for a
 * Kubernetes Service, signed by a CA that is kept across runs, prints the
 * caBundle and can fill a webhook configuration template; `hardpod certs
 * inspect` describes a certificate and says whether it expires soon. The
 * library does the work (X.509, name checks and the template in
 * hardpod/tls.h, files in hardpod/file.h); this file parses flags, calls it
 * and prints.
 */
#include "cmd.h"

#include "hardpod/file.h"
#include "hardpod/time.h"
#include "hardpod/tls.h"
#include "hardpod/webhook.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DNS_MAX 253
#define CN_MAX 64 /* X.509's upper bound for a commonName */
#define MAX_DAYS 3650
#define WEBHOOK_CONFIG_NAME "webhook-config.yaml"

enum {
    OPT_SERVICE = 256,
    OPT_NAMESPACE,
    OPT_OUT,
    OPT_DAYS,
    OPT_CA_DAYS,
    OPT_KEY_TYPE,
    OPT_DNS,
    OPT_IP,
    OPT_CA_CERT,
    OPT_CA_KEY,
    OPT_WEBHOOK_CONFIG,
};

static const struct option gen_options[] = {
    {"service", required_argument, NULL, OPT_SERVICE},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"out", required_argument, NULL, OPT_OUT},
    {"days", required_argument, NULL, OPT_DAYS},
    {"ca-days", required_argument, NULL, OPT_CA_DAYS},
    {"key-type", required_argument, NULL, OPT_KEY_TYPE},
    {"dns", required_argument, NULL, OPT_DNS},
    {"ip", required_argument, NULL, OPT_IP},
    {"ca-cert", required_argument, NULL, OPT_CA_CERT},
    {"ca-key", required_argument, NULL, OPT_CA_KEY},
    {"webhook-config", required_argument, NULL, OPT_WEBHOOK_CONFIG},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct gen_args {
    const char *service;
    const char *ns;
    const char *out;
    const char *ca_cert;
    const char *ca_key;
    const char *webhook_config;
    int days;
    int ca_days;
    bool ca_days_set;
    enum hp_tls_key_type key_type;
    const char **dns; /* borrowed from argv; the array is owned */
    size_t n_dns;
    const char **ips;
    size_t n_ips;
};

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: hardpod certs --service NAME --namespace NS --out DIR [flags]\n"
            "       hardpod certs inspect FILE [--warn-days N]\n\n"
            "Makes the webhook's serving certificate, signed by a CA of its own, for the\n"
            "Kubernetes Service NAME in namespace NS. Writes ca.crt, ca.key, tls.crt and\n"
            "tls.key into DIR (created with mode 0700 if missing; keys get mode 0600) and\n"
            "prints the files written, the serving certificate's serial and notAfter, and\n"
            "the base64 caBundle for the webhook configuration on a line of its own:\n"
            "  caBundle: LS0tLS1CRUdJTi...\n\n"
            "The certificate names NAME, NAME.NS, NAME.NS.svc and NAME.NS.svc.cluster.local\n"
            "(its common name is NAME.NS.svc), plus every --dns and --ip. When DIR already\n"
            "holds ca.crt and ca.key, that CA is reused unchanged: running the command again\n"
            "rotates the serving certificate and keeps the caBundle.\n\n"
            "flags:\n"
            "  --service NAME          the Service in front of the webhook (a DNS-1123 label:\n"
            "                          a-z, 0-9 and '-', at most 63, starting and ending with\n"
            "                          a letter or digit)\n"
            "  --namespace NS          its namespace (a DNS-1123 label)\n"
            "  --out DIR               where to write the files\n"
            "  --days N                serving certificate validity in days, 1-3650\n"
            "                          (default 365)\n"
            "  --ca-days N             a new CA's validity in days, 1-3650 (default 3650);\n"
            "                          ignored when a CA is reused\n"
            "  --key-type TYPE         ecdsa-p256 (default) or rsa-2048, for the serving key\n"
            "                          and a new CA's key\n"
            "  --dns NAME              one more DNS name for the certificate (repeatable)\n"
            "  --ip ADDR               an IPv4 or IPv6 address for the certificate (repeatable)\n"
            "  --ca-cert FILE          sign with this existing CA certificate (PEM) instead of\n"
            "                          DIR/ca.crt; needs --ca-key. Nothing is written to\n"
            "                          DIR/ca.crt or DIR/ca.key, and the caBundle is FILE\n"
            "  --ca-key FILE           that CA's private key (PEM, unencrypted)\n"
            "  --webhook-config FILE   also write DIR/webhook-config.yaml from the template\n"
            "                          FILE, replacing ${CA_BUNDLE} with the caBundle,\n"
            "                          ${SERVICE} with NAME and ${NAMESPACE} with NS (FILE\n"
            "                          must contain ${CA_BUNDLE}), with one webhook per\n"
            "                          choice of the namespace labels hardpod.dev/enforce\n"
            "                          and hardpod.dev/warn over every profile, as\n"
            "                          `hardpod webhook-config` writes it (see its --help to\n"
            "                          offer fewer profiles)\n"
            "  -h, --help              show this help\n\n"
            "example:\n"
            "  hardpod certs --service hardpod --namespace hardpod-system --out ./certs \\\n"
            "      --webhook-config deploy/webhook/webhook.yaml.in\n"
            "  kubectl -n hardpod-system create secret tls hardpod-tls \\\n"
            "      --cert ./certs/tls.crt --key ./certs/tls.key\n"
            "  kubectl apply -f ./certs/webhook-config.yaml\n\n"
            "exit status: 0 when the files were written, 2 on a usage error or when a file\n"
            "cannot be read, generated or written.\n");
}

/* "hardpod certs: <message>" on stderr; returns exit status 2. */
__attribute__((format(printf, 1, 2))) static int failure(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("hardpod certs: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

static bool same_ip(const char *a, const char *b)
{
    unsigned char x[16];
    unsigned char y[16];
    if (inet_pton(AF_INET, a, x) == 1) {
        return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
    }
    return inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1 &&
           memcmp(x, y, 16) == 0;
}

static int add_dns(struct gen_args *a, const char *name)
{
    struct hp_error err;
    if (hp_tls_dns_check(name, HP_TLS_DNS_SAN, &err) != HP_OK) {
        return hp_cmd_usage_error("certs",
                                  "--dns \"%s\" is not a DNS name: %s (dot-separated labels of "
                                  "letters, digits and '-', optionally starting with \"*.\")",
                                  name, err.msg);
    }
    a->dns[a->n_dns++] = name;
    return 0;
}

static int add_ip(struct gen_args *a, const char *text)
{
    unsigned char bytes[16];
    if (inet_pton(AF_INET, text, bytes) != 1 && inet_pton(AF_INET6, text, bytes) != 1) {
        return hp_cmd_usage_error("certs", "--ip \"%s\" is not an IPv4 or IPv6 address", text);
    }
    for (size_t i = 0; i < a->n_ips; i++) {
        if (same_ip(a->ips[i], text)) {
            return 0;
        }
    }
    a->ips[a->n_ips++] = text;
    return 0;
}

static int parse_days(const char *flag, const char *arg, int *out)
{
    long v;
    if (!hp_cmd_number(arg, 1, MAX_DAYS, &v)) {
        return hp_cmd_usage_error("certs",
                                  "%s: expected a whole number of days from 1 to %d, got "
                                  "\"%s\"",
                                  flag, MAX_DAYS, arg);
    }
    *out = (int)v;
    return 0;
}

static int parse_key_type(const char *arg, enum hp_tls_key_type *out)
{
    if (strcmp(arg, "ecdsa-p256") == 0) {
        *out = HP_TLS_KEY_ECDSA_P256;
    } else if (strcmp(arg, "rsa-2048") == 0) {
        *out = HP_TLS_KEY_RSA_2048;
    } else {
        return hp_cmd_usage_error("certs",
                                  "--key-type: expected ecdsa-p256 or rsa-2048, got \"%s\"", arg);
    }
    return 0;
}

static int parse_gen_option(struct gen_args *a, int c, char **argv)
{
    switch (c) {
    case OPT_SERVICE:
        a->service = optarg;
        return 0;
    case OPT_NAMESPACE:
        a->ns = optarg;
        return 0;
    case OPT_OUT:
        a->out = optarg;
        return 0;
    case OPT_DAYS:
        return parse_days("--days", optarg, &a->days);
    case OPT_CA_DAYS:
        a->ca_days_set = true;
        return parse_days("--ca-days", optarg, &a->ca_days);
    case OPT_KEY_TYPE:
        return parse_key_type(optarg, &a->key_type);
    case OPT_DNS:
        return add_dns(a, optarg);
    case OPT_IP:
        return add_ip(a, optarg);
    case OPT_CA_CERT:
        a->ca_cert = optarg;
        return 0;
    case OPT_CA_KEY:
        a->ca_key = optarg;
        return 0;
    case OPT_WEBHOOK_CONFIG:
        a->webhook_config = optarg;
        return 0;
    case ':':
        return hp_cmd_usage_error("certs", "%s needs a value", argv[optind - 1]);
    default:
        return hp_cmd_usage_error("certs", "unknown flag %s", argv[optind - 1]);
    }
}

static int check_gen_args(const struct gen_args *a)
{
    struct hp_error err;

    if (a->service == NULL) {
        return hp_cmd_usage_error("certs", "--service is required (the webhook's Service name)");
    }
    if (a->ns == NULL) {
        return hp_cmd_usage_error("certs", "--namespace is required (the Service's namespace)");
    }
    if (a->out == NULL) {
        return hp_cmd_usage_error("certs", "--out is required (the directory to write to)");
    }
    if (hp_tls_dns_check(a->service, HP_TLS_DNS_LABEL, &err) != HP_OK) {
        return hp_cmd_usage_error("certs", "--service \"%s\" is not a valid DNS-1123 label: %s",
                                  a->service, err.msg);
    }
    if (hp_tls_dns_check(a->ns, HP_TLS_DNS_LABEL, &err) != HP_OK) {
        return hp_cmd_usage_error("certs", "--namespace \"%s\" is not a valid DNS-1123 label: %s",
                                  a->ns, err.msg);
    }
    if (a->out[0] == '\0') {
        return hp_cmd_usage_error("certs", "--out: the directory name is empty");
    }
    if ((a->ca_cert == NULL) != (a->ca_key == NULL)) {
        return hp_cmd_usage_error("certs", "--ca-cert and --ca-key must be given together");
    }
    if (a->ca_days_set && a->days > a->ca_days) {
        return hp_cmd_usage_error("certs",
                                  "--days %d exceeds --ca-days %d: the serving certificate would "
                                  "outlive its CA",
                                  a->days, a->ca_days);
    }
    return 0;
}

static int parse_gen_args(int argc, char **argv, struct gen_args *a, bool *help)
{
    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, ":h", gen_options, NULL);
        if (c == -1) {
            break;
        }
        if (c == 'h') {
            *help = true;
            return 0;
        }
        int rc = parse_gen_option(a, c, argv);
        if (rc != 0) {
            return rc;
        }
    }
    if (optind < argc) {
        return hp_cmd_usage_error(
            "certs",
            "unexpected argument \"%s\" (to describe a certificate: hardpod certs inspect "
            "FILE)",
            argv[optind]);
    }
    return check_gen_args(a);
}

/* Prints a template's unknown placeholder, which is kept as it is. */
static void warn_unknown(void *ctx, size_t line, const char *text, size_t len)
{
    fprintf(stderr, "hardpod certs: warning: %s:%zu: unknown placeholder %.*s left as is\n",
            (const char *)ctx, line, (int)len, text);
}

/* Fills tmpl with bundle and writes the webhook configuration to dest; with
 * dest NULL only checks that it can be written (before anything is rotated). */
static int write_webhook_config(const struct gen_args *a, const char *tmpl, const char *bundle,
                                const char *dest)
{
    struct hp_error err;
    const struct hp_tls_template_vars v = {.ca_bundle = bundle, .service = a->service, .ns = a->ns};
    const struct hp_webhook_gen g = {.source = a->webhook_config,
                                     .profiles = HP_WEBHOOK_ALL_PROFILES};
    char *filled = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = 0;

    if (hp_tls_template_render(a->webhook_config, tmpl, &v, dest != NULL ? warn_unknown : NULL,
                               (void *)a->webhook_config, &filled, &len, &err) != HP_OK ||
        hp_webhook_config_generate(filled, len, &g, &text, &len, &err) != HP_OK) {
        rc = failure("--webhook-config %s", err.msg);
    } else if (dest != NULL && hp_file_replace(dest, text, len, 0644, &err) != HP_OK) {
        rc = failure("%s", err.msg);
    }
    free(filled);
    free(text);
    return rc;
}

static int join(char *dst, const char *dir, const char *name)
{
    int n = snprintf(dst, PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_MAX) {
        return failure("%s/%s: path is too long", dir, name);
    }
    return 0;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The four names the apiserver may use for the Service, then every --dns
 * that is not one of them. names holds 4 + n_dns entries. */
static size_t service_names(const struct gen_args *a, char svc[4][DNS_MAX + 1], const char **names)
{
    size_t n = 0;
    snprintf(svc[0], DNS_MAX + 1, "%s", a->service);
    snprintf(svc[1], DNS_MAX + 1, "%s.%s", a->service, a->ns);
    snprintf(svc[2], DNS_MAX + 1, "%s.%s.svc", a->service, a->ns);
    snprintf(svc[3], DNS_MAX + 1, "%s.%s.svc.cluster.local", a->service, a->ns);
    for (size_t i = 0; i < 4; i++) {
        names[n++] = svc[i];
    }
    for (size_t i = 0; i < a->n_dns; i++) {
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++) {
            dup = strcasecmp(names[j], a->dns[i]) == 0;
        }
        if (!dup) {
            names[n++] = a->dns[i];
        }
    }
    return n;
}

struct gen_paths {
    char ca_crt[PATH_MAX];
    char ca_key[PATH_MAX];
    char tls_crt[PATH_MAX];
    char tls_key[PATH_MAX];
    char webhook[PATH_MAX];
};

static int generate(const struct gen_args *a)
{
    struct hp_error err;
    char svc[4][DNS_MAX + 1];
    const char **names = hp_xcalloc(4 + a->n_dns, sizeof(*names));
    struct hp_tls_gen g = {
        .key_type = a->key_type,
        .days = a->days,
        .ca_days = a->ca_days,
        .common_name = NULL,
        .dns = names,
        .n_dns = service_names(a, svc, names),
        .ips = a->ips,
        .n_ips = a->n_ips,
    };
    /* Clients match subjectAltNames and ignore the CN, but X.509 caps it at
     * 64 bytes; a longer NAME.NS.svc falls back to NAME. */
    g.common_name = strlen(svc[2]) <= CN_MAX ? svc[2] : svc[0];
    if (g.common_name == svc[0]) {
        fprintf(stderr,
                "hardpod certs: note: %s is longer than %d bytes, the X.509 limit for a common "
                "name; the common name is %s (clients check the subjectAltNames)\n",
                svc[2], CN_MAX, svc[0]);
    }
    int rc = 0;
    if (hp_tls_generate(a->out, &g, a->ca_cert, a->ca_key, &err) != HP_OK) {
        rc = failure("%s", err.msg);
    }
    free(names);
    return rc;
}

static void print_result(const struct gen_args *a, const struct gen_paths *p, bool ca_reused,
                         const struct hp_tls_info *leaf, const char *bundle)
{
    char when[HP_TIME_TEXT_MAX];
    if (a->ca_cert != NULL) {
        printf("used: %s (--ca-cert; nothing written to %s or %s)\n", a->ca_cert, p->ca_crt,
               p->ca_key);
    } else if (ca_reused) {
        printf("kept: %s and %s (the existing CA: the caBundle is unchanged)\n", p->ca_crt,
               p->ca_key);
    } else {
        printf("wrote: %s\nwrote: %s\n", p->ca_crt, p->ca_key);
    }
    printf("wrote: %s\nwrote: %s\n", p->tls_crt, p->tls_key);
    if (a->webhook_config != NULL) {
        printf("wrote: %s\n", p->webhook);
    }
    hp_time_format(leaf->not_after, when, sizeof(when));
    printf("serial: %s\nnotAfter: %s\ncaBundle: %s\n", leaf->serial, when, bundle);
}

static int run_generate(const struct gen_args *a)
{
    struct gen_paths p;
    char *tmpl = NULL;
    struct hp_tls_info leaf;
    struct hp_error err;
    char *bundle = NULL;
    size_t bundle_len = 0;

    memset(&leaf, 0, sizeof(leaf));
    int rc = join(p.ca_crt, a->out, "ca.crt");
    rc = rc != 0 ? rc : join(p.ca_key, a->out, "ca.key");
    rc = rc != 0 ? rc : join(p.tls_crt, a->out, "tls.crt");
    rc = rc != 0 ? rc : join(p.tls_key, a->out, "tls.key");
    rc = rc != 0 ? rc : join(p.webhook, a->out, WEBHOOK_CONFIG_NAME);
    /* A broken template must fail before the certificate is rotated. */
    if (rc == 0 && a->webhook_config != NULL) {
        if (hp_tls_template_load(a->webhook_config, &tmpl, &err) != HP_OK) {
            rc = failure("--webhook-config %s", err.msg);
        } else {
            rc = write_webhook_config(a, tmpl, "", NULL);
        }
    }
    if (rc == 0 && hp_file_mkdir_p(a->out, 0700, &err) != HP_OK) {
        rc = failure("%s", err.msg);
    }
    if (rc != 0) {
        goto out;
    }
    bool ca_reused = a->ca_cert == NULL && exists(p.ca_crt) && exists(p.ca_key);
    rc = generate(a);
    if (rc != 0) {
        goto out;
    }
    if (hp_tls_bundle_load(a->ca_cert != NULL ? a->ca_cert : p.ca_crt, &bundle, &bundle_len,
                           &err) != HP_OK ||
        hp_tls_inspect(p.tls_crt, &leaf, &err) != HP_OK) {
        rc = failure("%s", err.msg);
        goto out;
    }
    if (a->webhook_config != NULL) {
        rc = write_webhook_config(a, tmpl, bundle, p.webhook);
        if (rc != 0) {
            goto out;
        }
    }
    print_result(a, &p, ca_reused, &leaf, bundle);
out:
    free(tmpl);
    hp_tls_info_cleanup(&leaf);
    free(bundle);
    return rc;
}

/* ---- inspect -------------------------------------------------------------- */

int hp_cmd_certs(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "inspect") == 0) {
        return hp_cmd_certs_inspect(argc - 1, argv + 1);
    }
    struct gen_args a = {
        .key_type = HP_TLS_KEY_ECDSA_P256,
        .days = 365,
        .ca_days = 3650,
        .dns = hp_xcalloc((size_t)argc, sizeof(char *)),
        .ips = hp_xcalloc((size_t)argc, sizeof(char *)),
    };
    bool help = false;
    int rc = parse_gen_args(argc, argv, &a, &help);
    if (rc == 0 && help) {
        print_help(stdout);
    } else if (rc == 0) {
        rc = run_generate(&a);
    }
    free(a.dns);
    free(a.ips);
    return rc;
}
