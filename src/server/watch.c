/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The files the server serves from: the certificate and key, the client CA
 * and the config. Loads them at start-up, and reloads them on SIGHUP and
 * when they change on disk (Kubernetes swaps a Secret or ConfigMap volume
 * through a symlink). A broken new file is logged and the old one stays in
 * use. Never stops the server and never waits for a signal (server.c does).
 */
#include "internal.h"

#include "hardpod/obs.h"
#include "hardpod/time.h"

#include <sys/stat.h>
#include <time.h>

/* stat follows symlinks, so an atomic ..data symlink swap shows up as a new
 * inode. */
static struct srv_file_id file_id_of(const char *path)
{
    struct srv_file_id id = {0};
    struct stat st;
    if (path != NULL && stat(path, &st) == 0) {
        id.exists = true;
        id.dev = st.st_dev;
        id.ino = st.st_ino;
        id.size = st.st_size;
        id.mtime = st.st_mtim;
    }
    return id;
}

static bool file_id_eq(const struct srv_file_id *a, const struct srv_file_id *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void snapshot(const struct hp_server_options *o, struct srv_watch *w)
{
    w->cert = file_id_of(o->tls_cert);
    w->key = file_id_of(o->tls_key);
    w->client_ca = file_id_of(o->client_ca);
    w->config = file_id_of(o->config_path);
}

static bool certs_reload(const struct hp_server_options *o, const char *why)
{
    struct hp_tls_pair pair;
    struct hp_error err;
    if (srv_certs_load(o->tls_cert, o->tls_key, (int64_t)time(NULL), &pair, &err) != HP_OK) {
        hp_metrics_cert_reload(false);
        hp_log(HP_LOG_ERROR, "certificate reload rejected; the previous certificate stays in use",
               (struct hp_log_field[]){HP_LOG_S("reason", why), HP_LOG_S("error", err.msg)}, 2);
        return false;
    }
    hp_metrics_cert_reload(true);
    hp_metrics_cert_expiry(pair.not_after);
    hp_log(HP_LOG_INFO, "certificate loaded",
           (struct hp_log_field[]){HP_LOG_S("reason", why), HP_LOG_S("serial", pair.serial),
                                   HP_LOG_S("subject", pair.subject),
                                   HP_LOG_S("keyType", pair.key_type),
                                   HP_LOG_I("notAfter", pair.not_after)},
           5);
    hp_tls_pair_cleanup(&pair);
    return true;
}

/* Loads the client CA file (--client-ca); reason says why ("start-up" or
 * what triggered a reload). */
static enum hp_err client_ca_load(const struct hp_server_options *o, const char *reason,
                                  struct hp_error *err)
{
    struct hp_tls_ca ca;
    enum hp_err rc = srv_clientca_load(o->client_ca, (int64_t)time(NULL), &ca, err);
    if (rc != HP_OK) {
        return rc;
    }
    hp_log(HP_LOG_INFO, "client CA loaded",
           (struct hp_log_field[]){
               HP_LOG_S("reason", reason), HP_LOG_S("path", o->client_ca),
               HP_LOG_S("subject", ca.subject), HP_LOG_I("certificates", ca.n_certs),
               HP_LOG_I("validCertificates", ca.n_valid), HP_LOG_I("notAfter", ca.not_after)},
           6);
    hp_tls_ca_cleanup(&ca);
    return HP_OK;
}

static void client_ca_reload(const struct hp_server_options *o, const char *why)
{
    struct hp_error err;
    if (o->client_ca != NULL && client_ca_load(o, why, &err) != HP_OK) {
        hp_log(HP_LOG_ERROR, "client CA reload rejected; the previous client CA stays in use",
               (struct hp_log_field[]){HP_LOG_S("reason", why), HP_LOG_S("error", err.msg)}, 2);
    }
}

/* Logs each exemption of the config just loaded that has already expired,
 * once per load (start-up and every reload): it no longer applies, which
 * whoever keeps the config should hear of rather than find out from a
 * denial. */
static void log_expired(const struct hp_server_options *o)
{
    struct srv_config *c = srv_config_get();
    const struct hp_policy *p = &c->config.policy;
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < p->n_exemptions; i++) {
        const struct hp_exemption *x = &p->exemptions[i];
        if (!hp_exemption_expired(x, now)) {
            continue;
        }
        char expires[HP_TIME_TEXT_MAX];
        hp_time_format(x->expires, expires, sizeof(expires));
        hp_log(HP_LOG_WARN, "exemption expired; it no longer applies",
               (struct hp_log_field[]){HP_LOG_S("path", o->config_path),
                                       HP_LOG_I("line", (int64_t)x->line),
                                       HP_LOG_S("reason", x->reason), HP_LOG_S("expires", expires)},
               4);
    }
    srv_config_put(c);
}

static bool config_reload(const struct hp_server_options *o, const char *why)
{
    struct hp_error err;
    if (srv_config_load(o, &err) != HP_OK) {
        hp_metrics_config_reload(false);
        hp_log(HP_LOG_ERROR, "config reload rejected; the previous config stays in force",
               (struct hp_log_field[]){HP_LOG_S("reason", why), HP_LOG_S("error", err.msg)}, 2);
        return false;
    }
    hp_metrics_config_reload(true);
    struct srv_config *c = srv_config_get();
    hp_log(HP_LOG_INFO, "config loaded",
           (struct hp_log_field[]){HP_LOG_S("reason", why), HP_LOG_S("profile", c->profile),
                                   HP_LOG_S("mode", hp_mode_name(c->config.mode)),
                                   HP_LOG_S("path", o->config_path)},
           4);
    srv_config_put(c);
    log_expired(o);
    return true;
}

enum hp_err srv_watch_start(struct srv_watch *w, const struct hp_server_options *o,
                            struct hp_error *err)
{
    /* Before the files are read: a change made while they are read is then
     * seen by the first poll. */
    snapshot(o, w);
    enum hp_err rc = srv_config_load(o, err);
    if (rc != HP_OK) {
        return rc;
    }
    log_expired(o);
    struct hp_tls_pair pair;
    rc = srv_certs_load(o->tls_cert, o->tls_key, (int64_t)time(NULL), &pair, err);
    if (rc != HP_OK) {
        return rc;
    }
    hp_metrics_cert_expiry(pair.not_after);
    hp_tls_pair_cleanup(&pair);
    if (o->client_ca != NULL) {
        return client_ca_load(o, "start-up", err);
    }
    return HP_OK;
}

void srv_watch_poll(struct srv_watch *w, const struct hp_server_options *o)
{
    struct srv_watch now;
    snapshot(o, &now);
    if (!file_id_eq(&now.cert, &w->cert) || !file_id_eq(&now.key, &w->key)) {
        certs_reload(o, "certificate files changed");
    }
    if (o->client_ca != NULL && !file_id_eq(&now.client_ca, &w->client_ca)) {
        client_ca_reload(o, "client CA file changed");
    }
    if (o->config_path != NULL && !file_id_eq(&now.config, &w->config)) {
        config_reload(o, "config file changed");
    }
    *w = now;
    /* Handshakes take milliseconds; a replaced pair is kept for ten minutes. */
    srv_certs_collect((int64_t)time(NULL), 600);
}

void srv_watch_reload(struct srv_watch *w, const struct hp_server_options *o, const char *why)
{
    config_reload(o, why);
    certs_reload(o, why);
    client_ca_reload(o, why);
    snapshot(o, w);
}
