/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy values: check, action and profile names, the built-in profiles, and
 * the storage of findings (a small inline arena that spills to the heap only
 * when an object has many findings). No I/O.
 */
#include "hardpod/policy.h"

#include <stdlib.h>
#include <string.h>

static const char *const check_names[HP_CHECK_COUNT] = {
    [HP_CHECK_RUN_AS_NON_ROOT] = "runAsNonRoot",
    [HP_CHECK_RUN_AS_USER] = "runAsUser",
    [HP_CHECK_RUN_AS_GROUP] = "runAsGroup",
    [HP_CHECK_ALLOW_PRIVILEGE_ESCALATION] = "allowPrivilegeEscalation",
    [HP_CHECK_PRIVILEGED] = "privileged",
    [HP_CHECK_CAPABILITIES] = "capabilities",
    [HP_CHECK_READ_ONLY_ROOT_FILESYSTEM] = "readOnlyRootFilesystem",
    [HP_CHECK_RESOURCES] = "resources",
    [HP_CHECK_HOST_NAMESPACES] = "hostNamespaces",
    [HP_CHECK_HOST_PATH_VOLUMES] = "hostPathVolumes",
    [HP_CHECK_HOST_PORTS] = "hostPorts",
    [HP_CHECK_PROC_MOUNT] = "procMount",
    [HP_CHECK_SYSCTLS] = "sysctls",
    [HP_CHECK_SELINUX_OPTIONS] = "seLinuxOptions",
    [HP_CHECK_APPARMOR_PROFILE] = "appArmorProfile",
    [HP_CHECK_WINDOWS_HOST_PROCESS] = "windowsHostProcess",
    [HP_CHECK_HOST_PROBES_AND_HOST_LIFECYCLE] = "hostProbesAndHostLifecycle",
    [HP_CHECK_SECCOMP_PROFILE] = "seccompProfile",
    [HP_CHECK_RESTRICTED_VOLUMES] = "restrictedVolumes",
    [HP_CHECK_PRIVILEGED_PORTS] = "privilegedPorts",
    [HP_CHECK_DOTNET_DIAGNOSTICS] = "dotnetDiagnostics",
    [HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN] = "automountServiceAccountToken",
};

static const char *const action_names[] = {"off", "warn", "deny"};
static const char *const profile_names[] = {"hardened", "psa-restricted", "psa-baseline", "none"};

const char *hp_check_name(enum hp_check c)
{
    return (unsigned)c < HP_CHECK_COUNT ? check_names[c] : "unknown";
}

bool hp_check_lookup(const char *name, enum hp_check *out)
{
    for (int i = 0; i < HP_CHECK_COUNT; i++) {
        if (strcmp(check_names[i], name) == 0) {
            *out = (enum hp_check)i;
            return true;
        }
    }
    return false;
}

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

/* The checks of Pod Security Admission's baseline level. */
static const enum hp_check psa_baseline_checks[] = {
    HP_CHECK_HOST_NAMESPACES,      HP_CHECK_PRIVILEGED,
    HP_CHECK_CAPABILITIES,         HP_CHECK_HOST_PATH_VOLUMES,
    HP_CHECK_HOST_PORTS,           HP_CHECK_APPARMOR_PROFILE,
    HP_CHECK_SELINUX_OPTIONS,      HP_CHECK_PROC_MOUNT,
    HP_CHECK_SECCOMP_PROFILE,      HP_CHECK_SYSCTLS,
    HP_CHECK_WINDOWS_HOST_PROCESS, HP_CHECK_HOST_PROBES_AND_HOST_LIFECYCLE,
};

/* The checks that the restricted level adds, or tightens, on top of baseline. */
static const enum hp_check psa_restricted_checks[] = {
    HP_CHECK_RESTRICTED_VOLUMES, HP_CHECK_ALLOW_PRIVILEGE_ESCALATION,
    HP_CHECK_RUN_AS_NON_ROOT,    HP_CHECK_RUN_AS_USER,
    HP_CHECK_SECCOMP_PROFILE,    HP_CHECK_CAPABILITIES,
    HP_CHECK_PROC_MOUNT,
};

static void set_checks(struct hp_policy *p, const enum hp_check *list, size_t n,
                       enum hp_action action, enum hp_level level)
{
    for (size_t i = 0; i < n; i++) {
        p->checks[list[i]].action = action;
        p->checks[list[i]].level = level;
    }
}

static void init_hardened(struct hp_policy *p)
{
    for (int i = 0; i < HP_CHECK_COUNT; i++) {
        p->checks[i].action = HP_ACTION_DENY;
        p->checks[i].level = HP_LEVEL_HARDENED;
    }
    /* Pod Security Admission semantics where hardpod has no stricter rule of its own. */
    set_checks(p, psa_baseline_checks, sizeof(psa_baseline_checks) / sizeof(psa_baseline_checks[0]),
               HP_ACTION_DENY, HP_LEVEL_BASELINE);
    p->checks[HP_CHECK_CAPABILITIES].level = HP_LEVEL_HARDENED;
    p->checks[HP_CHECK_SECCOMP_PROFILE] =
        (struct hp_check_config){HP_ACTION_WARN, HP_LEVEL_RESTRICTED};
    p->checks[HP_CHECK_RESTRICTED_VOLUMES] =
        (struct hp_check_config){HP_ACTION_WARN, HP_LEVEL_RESTRICTED};
    p->checks[HP_CHECK_PRIVILEGED_PORTS].action = HP_ACTION_WARN;
    p->checks[HP_CHECK_DOTNET_DIAGNOSTICS].action = HP_ACTION_WARN;
    p->checks[HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN].action = HP_ACTION_OFF;
}

void hp_policy_init(struct hp_policy *p, enum hp_profile profile)
{
    memset(p, 0, sizeof(*p));
    p->profile = profile;
    p->min_uid = 1;
    p->min_gid = 1;
    p->resources_require = HP_RES_ALL;
    switch (profile) {
    case HP_PROFILE_HARDENED:
        init_hardened(p);
        break;
    case HP_PROFILE_PSA_RESTRICTED:
        set_checks(p, psa_baseline_checks,
                   sizeof(psa_baseline_checks) / sizeof(psa_baseline_checks[0]), HP_ACTION_DENY,
                   HP_LEVEL_BASELINE);
        set_checks(p, psa_restricted_checks,
                   sizeof(psa_restricted_checks) / sizeof(psa_restricted_checks[0]), HP_ACTION_DENY,
                   HP_LEVEL_RESTRICTED);
        p->windows_exemptions = true;
        break;
    case HP_PROFILE_PSA_BASELINE:
        set_checks(p, psa_baseline_checks,
                   sizeof(psa_baseline_checks) / sizeof(psa_baseline_checks[0]), HP_ACTION_DENY,
                   HP_LEVEL_BASELINE);
        p->windows_exemptions = true;
        break;
    case HP_PROFILE_NONE:
        break;
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
    }
    free(p->exemptions);
    memset(p, 0, sizeof(*p));
}
