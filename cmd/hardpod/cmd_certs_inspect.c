/* SPDX-License-Identifier: Apache-2.0 */
/* `hardpod certs inspect FILE`: describes a certificate and warns before it expires. */
#include "cmd.h"
#include "hardpod/time.h"
#include "hardpod/tls.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_WARN_DAYS 36500
#define DEFAULT_WARN_DAYS 30
#define DAY_SECONDS 86400

enum {
    OPT_WARN_DAYS = 256,
};

static const struct option inspect_options[] = {
    {"warn-days", required_argument, NULL, OPT_WARN_DAYS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void print_inspect_help(FILE *out)
{
    fprintf(out, "usage: hardpod certs inspect FILE [--warn-days N]\n\n"
                 "Describes the certificate in FILE (PEM, or DER; for a PEM chain or bundle, the\n"
                 "first certificate): subject, issuer, serial, subjectAltNames (one per line),\n"
                 "notBefore and notAfter (RFC 3339, UTC), days left, key type, whether it is a\n"
                 "CA and its extended key usage, then a status line.\n\n"
                 "flags:\n"
                 "  --warn-days N   how many days of validity must remain for exit status 0,\n"
                 "                  0-36500 (default 30)\n"
                 "  -h, --help      show this help\n\n"
                 "example:\n"
                 "  hardpod certs inspect ./certs/tls.crt --warn-days 60\n\n"
                 "exit status: 0 when the certificate is valid for more than N more days; 1 when\n"
                 "it expires within N days, has expired or is not valid yet (the status line\n"
                 "says which); 2 on a usage error or when FILE cannot be read or holds no\n"
                 "certificate.\n");
}

static void print_info(const char *path, const struct hp_tls_info *in, int64_t now)
{
    char before[HP_TIME_TEXT_MAX];
    char after[HP_TIME_TEXT_MAX];
    hp_time_format(in->not_before, before, sizeof(before));
    hp_time_format(in->not_after, after, sizeof(after));

    printf("file:          %s\n", path);
    if (in->n_certs > 1) {
        printf("certificates:  %zu in the file; the first is described\n", in->n_certs);
    }
    printf("subject:       %s\n", in->subject[0] != '\0' ? in->subject : "(empty)");
    printf("issuer:        %s%s\n", in->issuer[0] != '\0' ? in->issuer : "(empty)",
           in->self_signed ? " (self-signed)" : "");
    printf("serial:        %s\n", in->serial);
    for (size_t i = 0; i < in->n_dns; i++) {
        printf("san:           DNS:%s\n", in->dns[i]);
    }
    for (size_t i = 0; i < in->n_ips; i++) {
        printf("san:           IP:%s\n", in->ips[i]);
    }
    if (in->n_dns + in->n_ips == 0) {
        printf("san:           (none)\n");
    }
    printf("not before:    %s\n", before);
    printf("not after:     %s\n", after);
    printf("days left:     %lld\n", (long long)hp_tls_info_days_left(in, now));
    printf("key type:      %s\n", in->key_type);
    if (in->is_ca && in->path_len >= 0) {
        printf("is CA:         yes (path length %ld)\n", in->path_len);
    } else {
        printf("is CA:         %s\n", in->is_ca ? "yes" : "no");
    }
    printf("ext key usage: %s\n",
           in->has_eku ? (in->eku[0] != '\0' ? in->eku : "(empty)") : "(none: any purpose)");
}

/* Prints the status line and returns the exit status. */
static int print_status(const struct hp_tls_info *in, int64_t now, long warn_days)
{
    char when[HP_TIME_TEXT_MAX];
    int64_t days = hp_tls_info_days_left(in, now);
    if (now > in->not_after) {
        hp_time_format(in->not_after, when, sizeof(when));
        printf("status:        EXPIRED at %s (%lld days ago)\n", when, (long long)-days - 1);
        return 1;
    }
    if (now < in->not_before) {
        hp_time_format(in->not_before, when, sizeof(when));
        printf("status:        NOT VALID YET: valid from %s\n", when);
        return 1;
    }
    if (in->not_after - now <= (int64_t)warn_days * DAY_SECONDS) {
        hp_time_format(in->not_after, when, sizeof(when));
        printf("status:        EXPIRES SOON: at %s, within --warn-days %ld\n", when, warn_days);
        return 1;
    }
    printf("status:        valid for %lld more days (more than --warn-days %ld)\n", (long long)days,
           warn_days);
    return 0;
}

int hp_cmd_certs_inspect(int argc, char **argv)
{
    long warn_days = DEFAULT_WARN_DAYS;
    struct hp_tls_info info;
    struct hp_error err;

    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, ":h", inspect_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'h':
            print_inspect_help(stdout);
            return 0;
        case OPT_WARN_DAYS:
            if (!hp_cmd_number(optarg, 0, MAX_WARN_DAYS, &warn_days)) {
                return hp_cmd_usage_error(
                    "certs inspect",
                    "--warn-days: expected a whole number from 0 to %d, got \"%s\"", MAX_WARN_DAYS,
                    optarg);
            }
            break;
        case ':':
            return hp_cmd_usage_error("certs inspect", "%s needs a value", argv[optind - 1]);
        default:
            return hp_cmd_usage_error("certs inspect", "unknown flag %s", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        return hp_cmd_usage_error("certs inspect", "which certificate? give a FILE");
    }
    if (argc - optind > 1) {
        return hp_cmd_usage_error("certs inspect", "one FILE at a time; unexpected \"%s\"",
                                  argv[optind + 1]);
    }
    const char *path = argv[optind];
    if (hp_tls_inspect(path, &info, &err) != HP_OK) {
        fprintf(stderr, "hardpod certs inspect: %s\n", err.msg);
        return 2;
    }
    int64_t now = (int64_t)time(NULL);
    print_info(path, &info, now);
    int rc = print_status(&info, now, warn_days);
    hp_tls_info_cleanup(&info);
    return rc;
}
