/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's shared state: the flags and counters that the request
 * handlers and the lifecycle both read, and the current config, reference
 * counted so that a reload never frees a config that a request still reads.
 * Loads a config when asked; deciding when to reload is watch.c's job.
 */
#include "internal.h"

#include "hardpod/file.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct srv_state srv_state;

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static struct srv_config *current_config;

struct srv_config *srv_config_get(void)
{
    pthread_mutex_lock(&config_lock);
    struct srv_config *c = current_config;
    c->refs++;
    pthread_mutex_unlock(&config_lock);
    return c;
}

static void config_free(struct srv_config *c)
{
    hp_config_cleanup(&c->config);
    for (int p = 0; p <= HP_PROFILE_NONE; p++) {
        hp_config_cleanup(&c->by_profile[p]);
    }
    free(c);
}

/* Loads c->config and, from the same bytes, c->by_profile. */
static enum hp_err load_all(struct srv_config *c, const struct hp_server_options *o,
                            struct hp_error *err)
{
    char *data = NULL;
    size_t len = 0;
    enum hp_err rc = HP_OK;
    if (o->config_path == NULL) {
        if (o->profile != NULL) {
            hp_policy_cleanup(&c->config.policy);
            hp_policy_init(&c->config.policy, *o->profile);
        }
        for (int p = 0; p <= HP_PROFILE_NONE; p++) {
            hp_policy_cleanup(&c->by_profile[p].policy);
            hp_policy_init(&c->by_profile[p].policy, (enum hp_profile)p);
        }
        return HP_OK;
    }
    /* One read: every profile's config is the same file. */
    rc = hp_file_read(o->config_path, HP_CONFIG_MAX_BYTES, &data, &len, err);
    if (rc == HP_OK) {
        rc = hp_config_parse(data, len, o->config_path, o->profile, &c->config, err);
    }
    for (int p = 0; rc == HP_OK && p <= HP_PROFILE_NONE; p++) {
        const enum hp_profile profile = (enum hp_profile)p;
        rc = hp_config_parse(data, len, o->config_path, &profile, &c->by_profile[p], err);
    }
    free(data);
    return rc;
}

void srv_config_put(struct srv_config *c)
{
    pthread_mutex_lock(&config_lock);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&config_lock);
    if (last) {
        config_free(c);
    }
}

enum hp_err srv_config_load(const struct hp_server_options *o, struct hp_error *err)
{
    struct srv_config *c = hp_xcalloc(1, sizeof(*c));
    hp_config_init(&c->config);
    for (int p = 0; p <= HP_PROFILE_NONE; p++) {
        hp_config_init(&c->by_profile[p]);
    }
    enum hp_err rc = load_all(c, o, err);
    if (rc != HP_OK) {
        config_free(c);
        return rc;
    }
    if (o->mode != NULL) {
        c->config.mode = *o->mode;
    }
    snprintf(c->profile, sizeof(c->profile), "%s", hp_profile_name(c->config.policy.profile));
    c->refs = 1; /* the server's own reference */
    pthread_mutex_lock(&config_lock);
    struct srv_config *old = current_config;
    current_config = c;
    pthread_mutex_unlock(&config_lock);
    if (old != NULL) {
        srv_config_put(old);
    }
    return HP_OK;
}

void srv_config_drop(void)
{
    pthread_mutex_lock(&config_lock);
    struct srv_config *last = current_config;
    current_config = NULL;
    pthread_mutex_unlock(&config_lock);
    if (last != NULL) {
        srv_config_put(last);
    }
}
