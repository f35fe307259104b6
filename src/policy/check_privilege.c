/* SPDX-License-Identifier: Apache-2.0 */
/*
 * allowPrivilegeEscalation, privileged, readOnlyRootFilesystem and
 * procMount: what a container may do beyond an ordinary process (gain
 * privileges, reach the node's devices, change its image's files, see an
 * unmasked /proc). Each reads the container's own securityContext: none of
 * these fields exists at pod level.
 */
#include "internal.h"

#include <json-c/json.h>
#include <string.h>

/* A boolean field that must have the value want. */
static void must_be(struct pol_eval *e, enum hp_check c, const char *field,
                    struct json_object *value, bool want, const char *fix)
{
    struct hp_bool_val v = pol_sc_bool(e, value);
    if (v.state == HP_V_OK && v.value == want) {
        return;
    }
    char why[160];
    pol_emit(e, c, true, pol_sc_path(e, field), fix, "%s must set securityContext.%s=%s%s", e->who,
             field, want ? "true" : "false",
             pol_sc_why(e, v.state, field,
                        v.state == HP_V_OK ? (want ? " (it is false)" : " (it is true)") : "", why,
                        sizeof(why)));
}

/* Pod Security Admission exempts Windows pods from allowPrivilegeEscalation. */
bool pol_allow_privilege_escalation_applies(const struct pol_eval *e, enum hp_check c)
{
    (void)c;
    return !(e->p->windows_exemptions && e->windows);
}

void pol_allow_privilege_escalation_ctr(struct pol_eval *e)
{
    must_be(e, HP_CHECK_ALLOW_PRIVILEGE_ESCALATION, "allowPrivilegeEscalation",
            e->scf.allow_privilege_escalation, false,
            "securityContext: {allowPrivilegeEscalation: false}");
}

void pol_privileged_ctr(struct pol_eval *e)
{
    struct hp_bool_val v = pol_sc_bool(e, e->scf.privileged);
    if (v.state == HP_V_UNSET || (v.state == HP_V_OK && !v.value)) {
        return;
    }
    char why[160];
    pol_emit(e, HP_CHECK_PRIVILEGED, true, pol_sc_path(e, "privileged"),
             "securityContext: {privileged: false}", "%s must not be privileged%s", e->who,
             pol_sc_why(e, v.state, "privileged", "", why, sizeof(why)));
}

void pol_read_only_root_filesystem_ctr(struct pol_eval *e)
{
    must_be(e, HP_CHECK_READ_ONLY_ROOT_FILESYSTEM, "readOnlyRootFilesystem",
            e->scf.read_only_root_filesystem, true,
            "securityContext: {readOnlyRootFilesystem: true}");
}

/* Below the restricted level, Pod Security Admission lets a pod in a user
 * namespace (spec.hostUsers: false) unmask /proc. */
bool pol_proc_mount_applies(const struct pol_eval *e, enum hp_check c)
{
    return !(pol_level(e, c) != HP_LEVEL_RESTRICTED && e->host_users_false);
}

void pol_proc_mount_ctr(struct pol_eval *e)
{
    struct json_object *v = e->scf.proc_mount;
    if (!e->sc_bad && v == NULL) {
        return;
    }
    const char *s = hp_k8s_string(v);
    if (s != NULL && strcmp(s, "Default") == 0) {
        return;
    }
    pol_emit(e, HP_CHECK_PROC_MOUNT, true, pol_sc_path(e, "procMount"),
             "securityContext: {procMount: Default} (or remove it)",
             "%s securityContext.procMount must be Default, not \"%.64s\"", e->who,
             s != NULL ? s : "(invalid)");
}
