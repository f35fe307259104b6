/* SPDX-License-Identifier: Apache-2.0 */
/*
 * automountServiceAccountToken: the pod should not mount the service
 * account's API token unless it needs one (off in every built-in profile).
 */
#include "internal.h"

void pol_automount_service_account_token_pod(struct pol_eval *e)
{
    struct hp_bool_val v = hp_k8s_bool(e->pf.automount_sa_token);
    if (!(v.state == HP_V_OK && !v.value)) {
        pol_emit(e, HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN, false,
                 pol_path(e, "%s.automountServiceAccountToken", e->ps->prefix),
                 "automountServiceAccountToken: false",
                 "pod must set automountServiceAccountToken=false (mount a projected "
                 "token explicitly if the app needs API access)");
    }
}
