/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardpod certs`: makes (or rotates) the webhook's serving certificate for a
 * Kubernetes Service, signed by a CA that is kept across runs, prints the
 * caBundle and can fill a webhook configuration template; `hardpod certs
 * inspect` describes a certificate and says whether it expires soon. All
 * X.509 work is the library's (hardpod/tls.h); this file parses flags,
 * checks names and formats output.
 */
#include "cmd.h"

#include "hardpod/buf.h"
#include "hardpod/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LABEL_MAX 63
#define DNS_MAX 253
#define CN_MAX 64 /* X.509's upper bound for a commonName */
#define MAX_DAYS 3650
#define TEMPLATE_MAX ((size_t)1 << 20)
#define RENDERED_MAX ((size_t)16 << 20)
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
            "                          ${SERVICE} with NAME and ${NAMESPACE} with NS; FILE\n"
            "                          must contain ${CA_BUNDLE}\n"
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

static bool is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Why s is not a DNS-1123 label (what Kubernetes requires of Service and
 * namespace names), or NULL when it is one. */
static const char *label_problem(const char *s, char *why, size_t size)
{
    size_t n = strlen(s);
    if (n == 0) {
        return "it is empty";
    }
    if (n > LABEL_MAX) {
        snprintf(why, size, "it is %zu characters long, the limit is %d", n, LABEL_MAX);
        return why;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_alnum_lower(s[i]) && s[i] != '-') {
            unsigned char c = (unsigned char)s[i];
            if (c >= 'A' && c <= 'Z') {
                snprintf(why, size, "'%c': uppercase letters are not allowed (use '%c')", c,
                         c - 'A' + 'a');
            } else if (c >= 0x20 && c < 0x7f) {
                snprintf(why, size, "'%c' is not allowed: use lowercase letters, digits and '-'",
                         c);
            } else {
                snprintf(why, size,
                         "byte 0x%02x is not allowed: use lowercase letters, digits and '-'", c);
            }
            return why;
        }
    }
    if (!is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1])) {
        return "it must start and end with a lowercase letter or digit";
    }
    return NULL;
}

/* A hostname for --dns: dot-separated labels of letters, digits and '-'
 * (each 1-63 long, not starting or ending with '-'), the first possibly "*". */
static bool is_dns_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > DNS_MAX) {
        return false;
    }
    const char *label = s;
    for (bool first = true;; first = false) {
        const char *dot = strchr(label, '.');
        size_t len = dot != NULL ? (size_t)(dot - label) : strlen(label);
        bool wildcard = first && len == 1 && label[0] == '*' && dot != NULL;
        if (!wildcard) {
            if (len == 0 || len > LABEL_MAX || label[0] == '-' || label[len - 1] == '-') {
                return false;
            }
            for (size_t i = 0; i < len; i++) {
                char c = label[i];
                if (!is_alnum_lower(c) && !(c >= 'A' && c <= 'Z') && c != '-') {
                    return false;
                }
            }
        }
        if (dot == NULL) {
            return true;
        }
        label = dot + 1;
    }
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
    if (!is_dns_name(name)) {
        return hp_cmd_usage_error("certs",
                                  "--dns \"%s\" is not a DNS name (dot-separated labels of "
                                  "letters, digits and '-', optionally starting with \"*.\")",
                                  name);
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
    char why[128];
    const char *problem;

    if (a->service == NULL) {
        return hp_cmd_usage_error("certs", "--service is required (the webhook's Service name)");
    }
    if (a->ns == NULL) {
        return hp_cmd_usage_error("certs", "--namespace is required (the Service's namespace)");
    }
    if (a->out == NULL) {
        return hp_cmd_usage_error("certs", "--out is required (the directory to write to)");
    }
    if ((problem = label_problem(a->service, why, sizeof(why))) != NULL) {
        return hp_cmd_usage_error("certs", "--service \"%s\" is not a valid DNS-1123 label: %s",
                                  a->service, problem);
    }
    if ((problem = label_problem(a->ns, why, sizeof(why))) != NULL) {
        return hp_cmd_usage_error("certs", "--namespace \"%s\" is not a valid DNS-1123 label: %s",
                                  a->ns, problem);
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

/* mkdir -p with mode 0700 for every directory it creates; the last one gets
 * exactly 0700 whatever the umask. */
static int make_out_dir(const char *dir)
{
    char path[PATH_MAX];
    struct stat st;
    size_t n = strlen(dir);

    if (n >= sizeof(path)) {
        return failure("%s: path is too long", dir);
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') {
            continue;
        }
        char saved = path[i];
        path[i] = '\0';
        bool last = saved == '\0' || path[i + 1] == '\0';
        if (mkdir(path, 0700) == 0) {
            if (last && chmod(path, 0700) != 0) {
                int e = errno;
                return failure("%s: %s", path, strerror(e));
            }
        } else if (errno != EEXIST) {
            int e = errno;
            return failure("cannot create the directory %s: %s", path, strerror(e));
        }
        path[i] = saved;
        if (last) {
            break;
        }
    }
    if (stat(dir, &st) != 0) {
        int e = errno;
        return failure("%s: %s", dir, strerror(e));
    }
    if (!S_ISDIR(st.st_mode)) {
        return failure("%s: %s", dir, strerror(ENOTDIR));
    }
    return 0;
}

/* Reads a whole file of at most max bytes into b. */
static int read_text(const char *path, size_t max, struct hp_buf *b)
{
    char chunk[8192];
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        return failure("--webhook-config %s: %s", path, strerror(e));
    }
    hp_buf_init(b, max);
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0 && !hp_buf_append(b, chunk, n)) {
            rc = failure("--webhook-config %s: larger than %zu KiB", path, max / 1024);
            break;
        }
        if (n < sizeof(chunk)) {
            if (ferror(f)) {
                int e = errno;
                rc = failure("--webhook-config %s: %s", path, strerror(e));
            }
            break;
        }
    }
    fclose(f);
    if (rc == 0 && memchr(hp_buf_str(b), '\0', b->len) != NULL) {
        rc = failure("--webhook-config %s: not a text file (it contains NUL bytes)", path);
    }
    if (rc != 0) {
        hp_buf_cleanup(b);
    }
    return rc;
}

static int load_template(const char *path, struct hp_buf *tmpl)
{
    int rc = read_text(path, TEMPLATE_MAX, tmpl);
    if (rc == 0 && strstr(hp_buf_str(tmpl), "${CA_BUNDLE}") == NULL) {
        hp_buf_cleanup(tmpl);
        rc = failure("--webhook-config %s: the template has no ${CA_BUNDLE} placeholder "
                     "(write caBundle: \"${CA_BUNDLE}\" in its clientConfig)",
                     path);
    }
    return rc;
}

struct placeholder {
    const char *name; /* "${NAME}" */
    const char *value;
};

/* Replaces every known placeholder; unknown ${...} are kept and reported. */
static int render_template(const char *path, const char *tmpl, const struct placeholder *ph,
                           size_t n_ph, struct hp_buf *out)
{
    size_t line = 1;
    hp_buf_init(out, RENDERED_MAX);
    for (const char *p = tmpl; *p != '\0';) {
        bool done = false;
        for (size_t i = 0; i < n_ph && !done; i++) {
            size_t len = strlen(ph[i].name);
            if (strncmp(p, ph[i].name, len) == 0) {
                hp_buf_puts(out, ph[i].value);
                p += len;
                done = true;
            }
        }
        if (done) {
            continue;
        }
        if (p[0] == '$' && p[1] == '{') {
            size_t len = strspn(p + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
            if (len > 0 && p[2 + len] == '}') {
                fprintf(stderr,
                        "hardpod certs: warning: %s:%zu: unknown placeholder %.*s left as is\n",
                        path, line, (int)len + 3, p);
            }
        }
        line += *p == '\n' ? 1 : 0;
        hp_buf_putc(out, *p++);
    }
    if (out->overflow) {
        hp_buf_cleanup(out);
        return failure("--webhook-config %s: the filled-in template is larger than %zu MiB", path,
                       RENDERED_MAX >> 20);
    }
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Replaces path atomically (temporary file beside it, fsync, rename), mode 0644. */
static int write_file(const char *path, const char *data, size_t len)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        return failure("%s: path is too long", path);
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        return failure("cannot create a temporary file beside %s: %s", path, strerror(e));
    }
    int rc = 0;
    if (fchmod(fd, 0644) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        rc = failure("%s: %s", tmp, strerror(e));
    }
    if (close(fd) != 0 && rc == 0) {
        int e = errno;
        rc = failure("%s: %s", tmp, strerror(e));
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        int e = errno;
        rc = failure("cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    if (rc != 0) {
        unlink(tmp);
    }
    return rc;
}

static int write_webhook_config(const struct gen_args *a, const char *tmpl, const char *bundle,
                                const char *dest)
{
    struct hp_buf out;
    const struct placeholder ph[] = {
        {"${CA_BUNDLE}", bundle},
        {"${SERVICE}", a->service},
        {"${NAMESPACE}", a->ns},
    };
    int rc = render_template(a->webhook_config, tmpl, ph, sizeof(ph) / sizeof(ph[0]), &out);
    if (rc == 0) {
        rc = write_file(dest, hp_buf_str(&out), out.len);
        hp_buf_cleanup(&out);
    }
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
    char when[40];
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
    hp_cmd_format_time(leaf->not_after, when, sizeof(when));
    printf("serial: %s\nnotAfter: %s\ncaBundle: %s\n", leaf->serial, when, bundle);
}

static int run_generate(const struct gen_args *a)
{
    struct gen_paths p;
    struct hp_buf tmpl;
    struct hp_tls_info leaf;
    struct hp_error err;
    char *bundle = NULL;
    size_t bundle_len = 0;

    memset(&tmpl, 0, sizeof(tmpl));
    memset(&leaf, 0, sizeof(leaf));
    int rc = join(p.ca_crt, a->out, "ca.crt");
    rc = rc != 0 ? rc : join(p.ca_key, a->out, "ca.key");
    rc = rc != 0 ? rc : join(p.tls_crt, a->out, "tls.crt");
    rc = rc != 0 ? rc : join(p.tls_key, a->out, "tls.key");
    rc = rc != 0 ? rc : join(p.webhook, a->out, WEBHOOK_CONFIG_NAME);
    /* A broken template must fail before the certificate is rotated. */
    if (rc == 0 && a->webhook_config != NULL) {
        rc = load_template(a->webhook_config, &tmpl);
    }
    rc = rc != 0 ? rc : make_out_dir(a->out);
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
        rc = write_webhook_config(a, hp_buf_str(&tmpl), bundle, p.webhook);
        if (rc != 0) {
            goto out;
        }
    }
    print_result(a, &p, ca_reused, &leaf, bundle);
out:
    hp_buf_cleanup(&tmpl);
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
