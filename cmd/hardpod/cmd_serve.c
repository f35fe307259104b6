/* SPDX-License-Identifier: Apache-2.0 */
/* `hardpod serve`: parses flags into server options, runs the server, and
 * prints what it reports (the --dev banner, a start-up error) to stderr. */
#include "cmd.h"
#include "hardpod/server.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_LISTEN = 256,
    OPT_METRICS_LISTEN,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_TLS_PRIORITIES,
    OPT_CLIENT_CA,
    OPT_CONFIG,
    OPT_PROFILE,
    OPT_MODE,
    OPT_THREADS,
    OPT_MAX_BODY,
    OPT_MAX_CONNECTIONS,
    OPT_IDLE_TIMEOUT,
    OPT_REQUEST_TIMEOUT,
    OPT_SHUTDOWN_DELAY,
    OPT_DRAIN_TIMEOUT,
    OPT_WATCH_INTERVAL,
    OPT_BODY_TIMEOUT,
    OPT_MEMORY_BUDGET,
    OPT_LOG_LEVEL,
    OPT_DEV,
};

static const struct option long_options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"tls-priorities", required_argument, NULL, OPT_TLS_PRIORITIES},
    {"client-ca", required_argument, NULL, OPT_CLIENT_CA},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"mode", required_argument, NULL, OPT_MODE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-body-bytes", required_argument, NULL, OPT_MAX_BODY},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT},
    {"shutdown-delay", required_argument, NULL, OPT_SHUTDOWN_DELAY},
    {"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
    {"watch-interval", required_argument, NULL, OPT_WATCH_INTERVAL},
    {"body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT},
    {"memory-budget", required_argument, NULL, OPT_MEMORY_BUDGET},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"dev", no_argument, NULL, OPT_DEV},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Tells a first-time user of --dev how to try the server. */
static void print_dev_banner(const struct hp_server_info *info)
{
    fprintf(stderr,
            "\nhardpod is serving the default policy with throw-away certificates in %s.\n"
            "Try it:\n\n"
            "  curl --cacert %s/ca.crt https://localhost:%u/validate \\\n"
            "    -H 'Content-Type: application/json' \\\n"
            "    --data @tests/fixtures/admission/aspnet-template-deployment.json\n\n",
            info->dev_dir, info->dev_dir, info->port);
}

/* Starts the server and serves until SIGTERM or SIGINT: 0 after a clean
 * shutdown, 2 when it cannot start (the reason on stderr). */
static int serve(const struct hp_server_options *o)
{
    struct hp_server_info info;
    struct hp_error err;
    if (hp_server_start(o, &info, &err) != HP_OK) {
        fprintf(stderr, "hardpod: %s\n", err.msg);
        return 2;
    }
    if (info.dev_dir != NULL) {
        print_dev_banner(&info);
    }
    if (hp_server_run(&err) != HP_OK) {
        fprintf(stderr, "hardpod: %s\n", err.msg);
        return 2;
    }
    return 0;
}

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: hardpod serve [flags]\n\n"
            "Runs the HTTPS validating admission webhook. The kube-apiserver POSTs\n"
            "AdmissionReviews (admission.k8s.io/v1 or v1beta1) to /validate.\n\n"
            "flags:\n"
            "  --listen ADDR:PORT         HTTPS address (default 0.0.0.0:8443, or 127.0.0.1:8443\n"
            "                             with --dev; IPv6 as [::]:8443)\n"
            "  --tls-cert FILE            serving certificate chain, PEM (RSA or ECDSA)\n"
            "  --tls-key FILE             its private key, PEM\n"
            "  --tls-priorities STRING    GnuTLS priority string (default: TLS 1.2 and 1.3,\n"
            "                             ECDHE with AEAD ciphers only)\n"
            "  --client-ca FILE           CA certificates (PEM): only clients with a certificate\n"
            "                             they issued complete the TLS handshake (default: any\n"
            "                             client); reloaded when the file changes. The kubelet's\n"
            "                             HTTPS probes then fail: probe --metrics-listen instead\n"
            "  --dev                      make a throw-away CA and a certificate for localhost,\n"
            "                             127.0.0.1 and ::1, and print a curl command to try\n"
            "  --config FILE              policy file (YAML or JSON); reloaded on SIGHUP and\n"
            "                             when the file changes\n"
            "  --profile NAME             hardened (default), psa-restricted, psa-baseline or\n"
            "                             none; replaces the config file's profile\n"
            "  --mode MODE                enforce (default) or audit (never deny: report\n"
            "                             would-be denials as warnings); replaces the file's\n"
            "  --metrics-listen ADDR:PORT also serve /metrics, /healthz and /readyz over plain\n"
            "                             HTTP on this address\n"
            "  --threads N                worker threads (default: one per core)\n"
            "  --max-body-bytes N         largest request body (default 7340032, 7 MiB)\n"
            "  --max-connections N        concurrent connections (default 10000)\n"
            "  --idle-timeout SECONDS     how long a keep-alive connection may idle between\n"
            "                             requests (default 120; above the apiserver's 90)\n"
            "  --request-timeout SECONDS  how long a connection may stay silent while a request\n"
            "                             is arriving, which sheds slow clients (default 10)\n"
            "  --shutdown-delay SECONDS   after SIGTERM, keep serving with /readyz failing so\n"
            "                             endpoints drop the pod (default 5)\n"
            "  --drain-timeout SECONDS    then wait this long for running requests (default 20)\n"
            "  --watch-interval SECONDS   how often the certificate, client CA and config files\n"
            "                             are checked for changes (default 2; 0: never)\n"
            "  --body-timeout SECONDS     the most a request body may take to arrive, in all\n"
            "                             (default 10); a slower one is cut\n"
            "  --memory-budget BYTES      memory for request bodies and their parse trees, all\n"
            "                             requests together (default 25165824, 24 MiB); a\n"
            "                             request that does not fit waits, up to its ?timeout=\n"
            "                             (503 then), and one that never could gets 413. At least\n"
            "                             twice --max-body-bytes\n"
            "  --log-level LEVEL          debug, info (default), warn or error\n"
            "  -h, --help                 show this help\n\n"
            "routes:\n"
            "  POST /validate   AdmissionReview in, AdmissionReview out\n"
            "  GET  /healthz    200 while the process runs\n"
            "  GET  /readyz     200 when certificate and policy are loaded and not draining\n"
            "  GET  /metrics    Prometheus text format\n\n"
            "signals: SIGHUP reloads the config, the certificate and the client CA; SIGTERM\n"
            "and SIGINT drain and exit 0.\n"
            "exit status: 0 after a clean shutdown, 2 when it cannot start.\n");
}

struct limit {
    int opt;
    const char *name;
    long min, max;
};

static const struct limit limits[] = {
    {OPT_THREADS, "--threads", 0, 256},
    {OPT_MAX_BODY, "--max-body-bytes", 1024, 64L << 20},
    {OPT_MAX_CONNECTIONS, "--max-connections", 1, 1000000},
    {OPT_IDLE_TIMEOUT, "--idle-timeout", 1, 86400},
    {OPT_REQUEST_TIMEOUT, "--request-timeout", 1, 3600},
    {OPT_SHUTDOWN_DELAY, "--shutdown-delay", 0, 3600},
    {OPT_DRAIN_TIMEOUT, "--drain-timeout", 0, 3600},
    {OPT_WATCH_INTERVAL, "--watch-interval", 0, 3600},
    {OPT_BODY_TIMEOUT, "--body-timeout", 1, 3600},
    {OPT_MEMORY_BUDGET, "--memory-budget", 1L << 20, 64L << 30},
};

static int set_number(struct hp_server_options *o, int opt, const char *arg)
{
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        const struct limit *l = &limits[i];
        long v;
        if (l->opt != opt) {
            continue;
        }
        if (!hp_cmd_number(arg, l->min, l->max, &v)) {
            return hp_cmd_usage_error("serve",
                                      "%s: expected a whole number from %ld to %ld, got \"%s\"",
                                      l->name, l->min, l->max, arg);
        }
        switch (opt) {
        case OPT_THREADS:
            o->threads = (unsigned)v;
            break;
        case OPT_MAX_BODY:
            o->max_body_bytes = (size_t)v;
            break;
        case OPT_MAX_CONNECTIONS:
            o->max_connections = (unsigned)v;
            break;
        case OPT_IDLE_TIMEOUT:
            o->idle_timeout = (unsigned)v;
            break;
        case OPT_REQUEST_TIMEOUT:
            o->request_timeout = (unsigned)v;
            break;
        case OPT_SHUTDOWN_DELAY:
            o->shutdown_delay = (unsigned)v;
            break;
        case OPT_DRAIN_TIMEOUT:
            o->drain_timeout = (unsigned)v;
            break;
        case OPT_BODY_TIMEOUT:
            o->body_timeout = (unsigned)v;
            break;
        case OPT_MEMORY_BUDGET:
            o->memory_budget = (size_t)v;
            break;
        default:
            o->watch_interval = (unsigned)v;
            break;
        }
        return 0;
    }
    return hp_cmd_usage_error("serve", "unknown option");
}

int hp_cmd_serve(int argc, char **argv)
{
    struct hp_server_options o;
    hp_server_options_init(&o);
    enum hp_profile profile;
    enum hp_mode mode;
    bool listen_set = false;
    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, ":h", long_options, NULL);
        if (c == -1) {
            break;
        }
        int rc = 0;
        switch (c) {
        case 'h':
            print_help(stdout);
            return 0;
        case OPT_LISTEN:
            o.listen = optarg;
            listen_set = true;
            break;
        case OPT_METRICS_LISTEN:
            o.metrics_listen = optarg;
            break;
        case OPT_TLS_CERT:
            o.tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            o.tls_key = optarg;
            break;
        case OPT_TLS_PRIORITIES:
            o.tls_priorities = optarg;
            break;
        case OPT_CLIENT_CA:
            o.client_ca = optarg;
            break;
        case OPT_CONFIG:
            o.config_path = optarg;
            break;
        case OPT_DEV:
            o.dev = true;
            break;
        case OPT_PROFILE:
            if (!hp_profile_lookup(optarg, &profile)) {
                return hp_cmd_usage_error(
                    "serve",
                    "--profile: unknown profile \"%s\" (hardened, psa-restricted, "
                    "psa-baseline or none)",
                    optarg);
            }
            o.profile = &profile;
            break;
        case OPT_MODE:
            if (!hp_mode_lookup(optarg, &mode)) {
                return hp_cmd_usage_error("serve", "--mode: expected enforce or audit, got \"%s\"",
                                          optarg);
            }
            o.mode = &mode;
            break;
        case OPT_LOG_LEVEL:
            if (!hp_log_level_lookup(optarg, &o.log_level)) {
                return hp_cmd_usage_error(
                    "serve", "--log-level: expected debug, info, warn or error, got \"%s\"",
                    optarg);
            }
            break;
        case ':':
            return hp_cmd_usage_error("serve", "%s needs a value", argv[optind - 1]);
        case '?':
            return hp_cmd_usage_error("serve", "unknown flag %s", argv[optind - 1]);
        default:
            rc = set_number(&o, c, optarg);
            break;
        }
        if (rc != 0) {
            return rc;
        }
    }
    if (optind < argc) {
        return hp_cmd_usage_error("serve", "unexpected argument \"%s\"", argv[optind]);
    }
    if (o.dev && (o.tls_cert != NULL || o.tls_key != NULL)) {
        return hp_cmd_usage_error("serve",
                                  "--dev makes its own certificate: drop --tls-cert and --tls-key");
    }
    if (!o.dev && (o.tls_cert == NULL || o.tls_key == NULL)) {
        return hp_cmd_usage_error(
            "serve", "--tls-cert and --tls-key are required (or --dev to try it locally)");
    }
    if (o.memory_budget / 2 < o.max_body_bytes) {
        return hp_cmd_usage_error("serve",
                                  "--memory-budget (%zu) must be at least twice --max-body-bytes "
                                  "(%zu): a body and its reduced copy are held at once",
                                  o.memory_budget, o.max_body_bytes);
    }
    if (o.dev && !listen_set) {
        o.listen = "127.0.0.1:8443"; /* throw-away certificates: loopback only */
    }
    return serve(&o);
}
