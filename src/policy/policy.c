/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy values: action and profile names, and the built-in profiles, whose
 * per-check actions and levels come from the registry's rows. No I/O.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const action_names[] = {"off", "warn", "deny"};
static const char *const profile_names[] = {"hardened", "psa-restricted", "psa-baseline", "none"};

const char *hp_action_name(enum hp_action a)
{
    return (unsigned)a <= HP_ACTION_DENY ? action_names[a] : "unknown";
}

bool hp_action_lookup(const char *name, enum hp_action *out)
{
    for (int i = 0; i <= HP_ACTION_DENY; i++) {
        if (strcmp(action_names[i], name) == 0) {
            *out = (enum hp_action)i;
            return true;
        }
    }
    return false;
}

const char *hp_profile_name(enum hp_profile p)
{
    return (unsigned)p <= HP_PROFILE_NONE ? profile_names[p] : "unknown";
}

bool hp_profile_lookup(const char *name, enum hp_profile *out)
{
    for (int i = 0; i <= HP_PROFILE_NONE; i++) {
        if (strcmp(profile_names[i], name) == 0) {
            *out = (enum hp_profile)i;
            return true;
        }
    }
    return false;
}

void hp_policy_init(struct hp_policy *p, enum hp_profile profile)
{
    memset(p, 0, sizeof(*p));
    p->profile = profile;
    p->min_uid = 1;
    p->min_gid = 1;
    p->resources_require = HP_RES_ALL;
    p->windows_exemptions =
        profile == HP_PROFILE_PSA_RESTRICTED || profile == HP_PROFILE_PSA_BASELINE;
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        const struct pol_check *k = &pol_checks[c];
        switch (profile) {
        case HP_PROFILE_HARDENED:
            p->checks[c] = k->hardened;
            break;
        case HP_PROFILE_PSA_RESTRICTED:
            p->checks[c] = k->psa_restricted;
            break;
        case HP_PROFILE_PSA_BASELINE:
            p->checks[c] = k->psa_baseline;
            break;
        case HP_PROFILE_NONE:
            break;
        }
    }
}

void hp_policy_cleanup(struct hp_policy *p)
{
    for (size_t i = 0; i < p->n_allow_add; i++) {
        free(p->allow_add[i]);
    }
    for (size_t i = 0; i < p->n_exemptions; i++) {
        struct hp_exemption *e = &p->exemptions[i];
        free(e->pattern);
        free(e->reason);
        for (size_t j = 0; j < e->n_namespaces; j++) {
            free(e->namespaces[j]);
        }
        free(e->namespaces);
        for (size_t j = 0; j < e->n_kinds; j++) {
            free(e->kinds[j]);
        }
        free(e->kinds);
        for (size_t j = 0; j < e->n_names; j++) {
            free(e->names[j]);
        }
        free(e->names);
    }
    free(p->exemptions);
    hp_k8s_kinds_free(p->kinds);
    memset(p, 0, sizeof(*p));
}

long hp_policy_kestrel_low_port(const char *value, bool urls)
{
    return pol_kestrel_low_port(value, urls);
}
