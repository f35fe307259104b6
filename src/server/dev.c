/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --dev: a throw-away CA and a serving certificate for localhost, 127.0.0.1
 * and ::1 in a temporary directory, removed when the server stops. Prints
 * nothing: the command prints the banner that names the directory.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const dev_files[] = {"ca.crt", "ca.key", "tls.crt", "tls.key"};

enum hp_err srv_dev_start(struct srv_dev *d, struct hp_error *err)
{
    const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    int n = snprintf(d->dir, sizeof(d->dir), "%s/hardpod-dev-XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof(d->dir)) {
        d->dir[0] = '\0';
        return hp_error_set(err, HP_ERR_INVALID,
                            "TMPDIR is too long for the dev certificates' directory (%zu bytes at "
                            "most): set TMPDIR to a shorter path",
                            sizeof(d->dir) - sizeof("/hardpod-dev-XXXXXX"));
    }
    if (mkdtemp(d->dir) == NULL) {
        int e = errno;
        d->dir[0] = '\0';
        return hp_error_set(err, HP_ERR_IO, "cannot create a directory for dev certificates: %s",
                            strerror(e));
    }
    static const char *const dns[] = {"localhost"};
    static const char *const ips[] = {"127.0.0.1", "::1"};
    struct hp_tls_gen g = {
        .key_type = HP_TLS_KEY_ECDSA_P256,
        .days = 7,
        .ca_days = 7,
        .common_name = "localhost",
        .dns = dns,
        .n_dns = 1,
        .ips = ips,
        .n_ips = 2,
    };
    snprintf(d->cert, sizeof(d->cert), "%s/tls.crt", d->dir);
    snprintf(d->key, sizeof(d->key), "%s/tls.key", d->dir);
    return hp_tls_generate(d->dir, &g, NULL, NULL, err);
}

void srv_dev_cleanup(struct srv_dev *d)
{
    if (d->dir[0] == '\0') {
        return;
    }
    char path[sizeof(d->dir) + 16];
    for (size_t i = 0; i < sizeof(dev_files) / sizeof(dev_files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", d->dir, dev_files[i]);
        unlink(path);
    }
    rmdir(d->dir);
    d->dir[0] = '\0';
}
