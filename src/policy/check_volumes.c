/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hostPathVolumes and restrictedVolumes, in one walk over the pod's volumes:
 * both rows name pol_volumes_pod with one pod_order, so a volume's findings
 * of the two checks stay together and the walk runs once when both are on.
 */
#include "internal.h"

#include <json-c/json.h>
#include <string.h>

/* The volume source keys that Pod Security Admission's restricted level allows. */
static bool restricted_volume_ok(const char *key)
{
    static const char *const ok[] = {"configMap", "csi",   "downwardAPI",           "emptyDir",
                                     "ephemeral", "image", "persistentVolumeClaim", "projected",
                                     "secret"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (strcmp(ok[i], key) == 0) {
            return true;
        }
    }
    return false;
}

static void one_volume(struct pol_eval *e, struct json_object *vol, size_t i, bool host_path,
                       bool restricted)
{
    const char *name = "";
    struct json_object *n = hp_k8s_field(vol, "name");
    if (json_object_is_type(n, json_type_string)) {
        name = hp_k8s_string(n) != NULL ? hp_k8s_string(n) : "";
    }
    bool has_source = false;
    json_object_object_foreach(vol, key, val)
    {
        if (strcmp(key, "name") == 0 || val == NULL) {
            continue;
        }
        has_source = true;
        if (host_path && strcmp(key, "hostPath") == 0) {
            pol_emit(e, HP_CHECK_HOST_PATH_VOLUMES, false,
                     pol_path(e, "%s.volumes[%zu].hostPath", e->ps->prefix, i),
                     "use an emptyDir, configMap, secret or persistentVolumeClaim volume instead",
                     "volume \"%.63s\" must not use hostPath", name);
        }
        if (restricted && strcmp(key, "gitRepo") == 0) {
            /* The kubelet runs git on the node for it, hooks included: denied
             * at hardened whatever the action (pol_floor). */
            pol_emit_action(e, HP_CHECK_RESTRICTED_VOLUMES,
                            pol_floor(e, HP_CHECK_RESTRICTED_VOLUMES), false,
                            pol_path(e, "%s.volumes[%zu].%s", e->ps->prefix, i, key),
                            "clone the repository in an init container into an emptyDir volume",
                            "volume \"%.63s\" must not use gitRepo, which runs git on the node as "
                            "root (CVE-2024-10220)",
                            name);
        } else if (restricted && !restricted_volume_ok(key)) {
            pol_emit(e, HP_CHECK_RESTRICTED_VOLUMES, false,
                     pol_path(e, "%s.volumes[%zu].%s", e->ps->prefix, i, key),
                     "use configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
                     "persistentVolumeClaim, projected or secret volumes",
                     "volume \"%.63s\" uses the restricted volume type %.64s", name, key);
        }
    }
    /* A volume without a source is defaulted to emptyDir by the API server. */
    (void)has_source;
}

void pol_volumes_pod(struct pol_eval *e)
{
    bool host_path = pol_on(e, HP_CHECK_HOST_PATH_VOLUMES);
    bool restricted = pol_on(e, HP_CHECK_RESTRICTED_VOLUMES);
    if (!host_path && !restricted) {
        return;
    }
    struct json_object *vols = e->pf.volumes;
    if (vols == NULL) {
        return;
    }
    /* A list or volume of the wrong type cannot be read: it is a finding of
     * both checks that read volumes, so neither can be passed by it. */
    static const enum hp_check readers[] = {HP_CHECK_HOST_PATH_VOLUMES,
                                            HP_CHECK_RESTRICTED_VOLUMES};
    bool on[] = {host_path, restricted};
    if (!json_object_is_type(vols, json_type_array)) {
        char why[128];
        pol_bad(e->ps->spec, "volumes", why, sizeof(why));
        for (size_t r = 0; r < 2; r++) {
            if (on[r]) {
                pol_emit(e, readers[r], false, pol_path(e, "%s.volumes", e->ps->prefix),
                         "volumes: [...]", "pod volumes must be a list: %s", why);
            }
        }
        return;
    }
    size_t n = json_object_array_length(vols);
    for (size_t i = 0; i < n; i++) {
        struct json_object *vol = json_object_array_get_idx(vols, i);
        if (json_object_is_type(vol, json_type_object)) {
            one_volume(e, vol, i, host_path, restricted);
            continue;
        }
        for (size_t r = 0; r < 2; r++) {
            if (on[r]) {
                pol_emit(e, readers[r], false, pol_path(e, "%s.volumes[%zu]", e->ps->prefix, i),
                         "volumes: [{name: ..., emptyDir: {}}]", "pod volume %zu is not an object",
                         i);
            }
        }
    }
}
