/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardpod webhook-config`: writes the ValidatingWebhookConfiguration from a
 * template, a caBundle (or cert-manager's CA injection) and the profiles the
 * namespace labels may name. The library does the work (the template in
 * hardpod/tls.h, the expansion in hardpod/webhook.h); this file parses
 * flags, calls it and writes the file.
 */
#include "cmd.h"

#include "hardpod/file.h"
#include "hardpod/tls.h"
#include "hardpod/webhook.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    OPT_TEMPLATE = 256,
    OPT_SERVICE,
    OPT_NAMESPACE,
    OPT_CA_BUNDLE_FILE,
    OPT_INJECT_CA_FROM,
    OPT_PROFILES,
    OPT_NO_LABELS,
    OPT_OUT,
};

static const struct option options[] = {
    {"template", required_argument, NULL, OPT_TEMPLATE},
    {"service", required_argument, NULL, OPT_SERVICE},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"ca-bundle-file", required_argument, NULL, OPT_CA_BUNDLE_FILE},
    {"inject-ca-from", required_argument, NULL, OPT_INJECT_CA_FROM},
    {"profiles", required_argument, NULL, OPT_PROFILES},
    {"no-labels", no_argument, NULL, OPT_NO_LABELS},
    {"out", required_argument, NULL, OPT_OUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct args {
    const char *template_path;
    const char *service;
    const char *ns;
    const char *ca_bundle_file;
    const char *inject_ca_from;
    const char *out;
    uint32_t profiles;
};

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: hardpod webhook-config --template FILE --service NAME --namespace NS\n"
            "           (--ca-bundle-file CA.crt | --inject-ca-from NS/CERT) [flags]\n\n"
            "Writes hardpod's ValidatingWebhookConfiguration from a template (such as\n"
            "deploy/webhook/webhook.yaml.in), with ${CA_BUNDLE}, ${SERVICE} and ${NAMESPACE}\n"
            "filled in. For each of the template's webhooks (pods, workloads) it writes one\n"
            "webhook per choice of the namespace labels hardpod.dev/enforce and\n"
            "hardpod.dev/warn (each absent or one of the profiles), whose namespaceSelectors\n"
            "exclude one another, so that the API server calls exactly one of them per\n"
            "request, with a path that names the choice (/validate/enforce/psa-baseline);\n"
            "and three that refuse a label value that names no profile\n"
            "(/validate/invalid/enforce, /validate/invalid/warn). A namespace without the\n"
            "labels gets the template's webhook as it is (/validate: the config's profile\n"
            "and mode). With every profile that is 28 webhooks per template webhook.\n"
            "`hardpod certs --webhook-config` writes the same with every profile.\n\n"
            "flags:\n"
            "  --template FILE          the template (must contain ${CA_BUNDLE})\n"
            "  --service NAME           the Service in front of hardpod (a DNS-1123 label)\n"
            "  --namespace NS           its namespace (a DNS-1123 label)\n"
            "  --ca-bundle-file FILE    the CA certificate (PEM) the API server trusts:\n"
            "                           its base64 is the caBundle\n"
            "  --inject-ca-from NS/CERT no caBundle: cert-manager's cainjector injects the\n"
            "                           CA of Certificate NS/CERT (the annotation\n"
            "                           cert-manager.io/inject-ca-from is added)\n"
            "  --profiles LIST          the profiles a label may name, comma-separated\n"
            "                           (default: hardened,psa-restricted,psa-baseline,none);\n"
            "                           any other value is refused like a misspelt one\n"
            "  --no-labels              the template's webhooks only: labels are ignored\n"
            "  --out FILE               write FILE (replaced atomically) instead of stdout\n"
            "  -h, --help               show this help\n\n"
            "example:\n"
            "  hardpod webhook-config --template deploy/webhook/webhook.yaml.in \\\n"
            "      --service hardpod --namespace hardpod-system \\\n"
            "      --ca-bundle-file certs/ca.crt --profiles hardened,psa-restricted \\\n"
            "      --out certs/webhook-config.yaml\n\n"
            "exit status: 0 when the configuration was written, 2 on a usage error or when\n"
            "a file cannot be read or written or the template is not one hardpod can expand.\n");
}

__attribute__((format(printf, 1, 2))) static int failure(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("hardpod webhook-config: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

static int parse_option(struct args *a, int c, char **argv, bool *no_labels)
{
    struct hp_error err;
    switch (c) {
    case OPT_TEMPLATE:
        a->template_path = optarg;
        return 0;
    case OPT_SERVICE:
        a->service = optarg;
        return 0;
    case OPT_NAMESPACE:
        a->ns = optarg;
        return 0;
    case OPT_CA_BUNDLE_FILE:
        a->ca_bundle_file = optarg;
        return 0;
    case OPT_INJECT_CA_FROM:
        a->inject_ca_from = optarg;
        return 0;
    case OPT_PROFILES:
        if (hp_webhook_profiles_parse(optarg, &a->profiles, &err) != HP_OK) {
            return hp_cmd_usage_error("webhook-config", "--profiles: %s", err.msg);
        }
        if (a->profiles == 0) {
            return hp_cmd_usage_error("webhook-config",
                                      "--profiles: name at least one profile (or use --no-labels)");
        }
        return 0;
    case OPT_NO_LABELS:
        *no_labels = true;
        return 0;
    case OPT_OUT:
        a->out = optarg;
        return 0;
    case ':':
        return hp_cmd_usage_error("webhook-config", "%s needs a value", argv[optind - 1]);
    default:
        return hp_cmd_usage_error("webhook-config", "unknown flag %s", argv[optind - 1]);
    }
}

/* "NS/NAME", both DNS-1123 labels. */
static bool ns_name(const char *s)
{
    const char *slash = strchr(s, '/');
    if (slash == NULL || strchr(slash + 1, '/') != NULL || (size_t)(slash - s) > 63) {
        return false;
    }
    char ns[64];
    memcpy(ns, s, (size_t)(slash - s));
    ns[slash - s] = '\0';
    struct hp_error err;
    return hp_tls_dns_check(ns, HP_TLS_DNS_LABEL, &err) == HP_OK &&
           hp_tls_dns_check(slash + 1, HP_TLS_DNS_SAN, &err) == HP_OK;
}

static int check_args(const struct args *a, bool no_labels, bool profiles_set)
{
    struct hp_error err;
    if (a->template_path == NULL) {
        return hp_cmd_usage_error("webhook-config", "--template is required");
    }
    if (a->service == NULL || a->ns == NULL) {
        return hp_cmd_usage_error("webhook-config", "--service and --namespace are required");
    }
    if (hp_tls_dns_check(a->service, HP_TLS_DNS_LABEL, &err) != HP_OK ||
        hp_tls_dns_check(a->ns, HP_TLS_DNS_LABEL, &err) != HP_OK) {
        return hp_cmd_usage_error("webhook-config",
                                  "--service and --namespace must be DNS-1123 labels: %s", err.msg);
    }
    if ((a->ca_bundle_file == NULL) == (a->inject_ca_from == NULL)) {
        return hp_cmd_usage_error("webhook-config",
                                  "give exactly one of --ca-bundle-file and --inject-ca-from");
    }
    if (a->inject_ca_from != NULL && !ns_name(a->inject_ca_from)) {
        return hp_cmd_usage_error("webhook-config",
                                  "--inject-ca-from: expected NAMESPACE/CERTIFICATE, got \"%s\"",
                                  a->inject_ca_from);
    }
    if (no_labels && profiles_set) {
        return hp_cmd_usage_error("webhook-config",
                                  "--no-labels and --profiles exclude each other");
    }
    return 0;
}

static void warn_unknown(void *ctx, size_t line, const char *text, size_t len)
{
    fprintf(stderr,
            "hardpod webhook-config: warning: %s:%zu: unknown placeholder %.*s left as is\n",
            (const char *)ctx, line, (int)len, text);
}

static int run(const struct args *a)
{
    struct hp_error err;
    char *tmpl = NULL;
    char *bundle = NULL;
    char *filled = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    if (hp_tls_template_load(a->template_path, &tmpl, &err) != HP_OK ||
        (a->ca_bundle_file != NULL &&
         hp_tls_bundle_load(a->ca_bundle_file, &bundle, &len, &err) != HP_OK)) {
        rc = failure("%s", err.msg);
        goto out;
    }
    const struct hp_tls_template_vars v = {
        .ca_bundle = bundle != NULL ? bundle : "", .service = a->service, .ns = a->ns};
    const struct hp_webhook_gen g = {.source = a->template_path,
                                     .profiles = a->profiles,
                                     .drop_ca_bundle = bundle == NULL,
                                     .inject_ca_from = a->inject_ca_from};
    if (hp_tls_template_render(a->template_path, tmpl, &v, warn_unknown, (void *)a->template_path,
                               &filled, &len, &err) != HP_OK ||
        hp_webhook_config_generate(filled, len, &g, &text, &len, &err) != HP_OK) {
        rc = failure("%s", err.msg);
        goto out;
    }
    if (a->out == NULL) {
        if (fwrite(text, 1, len, stdout) != len) {
            rc = failure("cannot write the output");
        }
    } else if (hp_file_replace(a->out, text, len, 0644, &err) != HP_OK) {
        rc = failure("%s", err.msg);
    }
out:
    free(tmpl);
    free(bundle);
    free(filled);
    free(text);
    return rc;
}

int hp_cmd_webhook_config(int argc, char **argv)
{
    struct args a = {.profiles = HP_WEBHOOK_ALL_PROFILES};
    bool no_labels = false;
    bool profiles_set = false;
    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, ":h", options, NULL);
        if (c == -1) {
            break;
        }
        if (c == 'h') {
            print_help(stdout);
            return 0;
        }
        profiles_set = profiles_set || c == OPT_PROFILES;
        int rc = parse_option(&a, c, argv, &no_labels);
        if (rc != 0) {
            return rc;
        }
    }
    if (optind < argc) {
        return hp_cmd_usage_error("webhook-config", "unexpected argument \"%s\"", argv[optind]);
    }
    int rc = check_args(&a, no_labels, profiles_set);
    if (rc != 0) {
        return rc;
    }
    if (no_labels) {
        a.profiles = 0;
    }
    return run(&a);
}
