/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's shared state: the flags and counters that the request
 * handlers and the lifecycle both read, and the current config, reference
 * counted so that a reload never frees a config that a request still reads.
 * Loads a config when asked; deciding when to reload is watch.c's job.
 */
#include "internal.h"

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
    free(c);
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
    enum hp_err rc = HP_OK;
    if (o->config_path != NULL) {
        rc = hp_config_load(o->config_path, o->profile, &c->config, err);
    } else if (o->profile != NULL) {
        hp_policy_cleanup(&c->config.policy);
        hp_policy_init(&c->config.policy, *o->profile);
    }
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
