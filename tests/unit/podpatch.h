/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers: build objects by patching a base document, and compare findings. */
#ifndef HP_PODPATCH_H
#define HP_PODPATCH_H

#include "hardpod/policy.h"

#include <json-c/json.h>

/* A container securityContext and resources that pass hardened, and a Pod
 * (an init container and a container, both named) that passes it. */
#define PP_HARDENED_SC                                                                             \
    "{\"allowPrivilegeEscalation\":false,\"privileged\":false,\"readOnlyRootFilesystem\":true,"    \
    "\"capabilities\":{\"drop\":[\"ALL\"]}}"
#define PP_HARDENED_RES                                                                            \
    "{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"},\"limits\":{\"cpu\":\"1\",\"memory\":"   \
    "\"128Mi\"}}"
#define PP_HARDENED_POD                                                                            \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"shop\"}" \
    ","                                                                                            \
    "\"spec\":{\"securityContext\":{\"runAsNonRoot\":true,\"runAsUser\":10001,\"runAsGroup\":"     \
    "10001,"                                                                                       \
    "\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"                                           \
    "\"initContainers\":[{\"name\":\"init\",\"image\":\"busybox\","                                \
    "\"securityContext\":" PP_HARDENED_SC ",\"resources\":" PP_HARDENED_RES "}],"                  \
    "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\",\"securityContext\":" PP_HARDENED_SC    \
    ",\"resources\":" PP_HARDENED_RES "}]}}"

/* Applies "path=json" (set, creating objects on the way) or "-path" (delete)
 * to obj. Paths are dotted with [N] indexes: "spec.containers[0].name". */
void pp_apply(struct json_object *obj, const char *patch);

/* Wraps a Pod's spec and metadata into a workload of the given kind (a new object). */
struct json_object *pp_wrap(struct json_object *pod, const char *api_version, const char *kind);

/* A new Pod whose spec holds n containers with only a name: prefix and the
 * container's index in at least digits digits ("c007"). Caller puts. */
struct json_object *pp_pod_with_containers(size_t n, const char *prefix, int digits);

/* Renders findings as sorted lines "check|action|container|path" joined by '\n'
 * into buf, for comparison and for printing in failure messages. */
const char *pp_render(const struct hp_findings *f, char *buf, size_t size);

/* The first deny finding of want that got lacks (the same check at the same
 * path: a deny, or any action when any_action), skipping check skip_check
 * (-1: none); NULL when got has them all. How "one profile is never weaker
 * than another" is tested. */
const struct hp_finding *pp_missing_deny(const struct hp_findings *want,
                                         const struct hp_findings *got, bool any_action,
                                         int skip_check);

#endif
