/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resources: every container but an ephemeral one (which cannot declare
 * them) sets the CPU and memory requests and limits that the policy's
 * `require` option names.
 */
#include "internal.h"

#include <json-c/json.h>

static bool quantity_set(struct json_object *v)
{
    if (json_object_is_type(v, json_type_string)) {
        return json_object_get_string_len(v) > 0;
    }
    return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

void pol_resources_ctr(struct pol_eval *e)
{
    if (e->list == HP_LIST_EPHEMERAL) {
        return;
    }
    static const struct {
        unsigned bit;
        const char *group;
        const char *name;
        const char *fix;
    } fields[] = {
        {HP_RES_REQUESTS_CPU, "requests", "cpu", "resources: {requests: {cpu: 100m}}"},
        {HP_RES_REQUESTS_MEMORY, "requests", "memory", "resources: {requests: {memory: 128Mi}}"},
        {HP_RES_LIMITS_CPU, "limits", "cpu", "resources: {limits: {cpu: 500m}}"},
        {HP_RES_LIMITS_MEMORY, "limits", "memory", "resources: {limits: {memory: 256Mi}}"},
    };
    static const char *const groups[] = {"requests", "limits"};
    static const char *const names[] = {"cpu", "memory"};
    struct json_object *group[2];
    struct json_object *values[4];
    hp_k8s_pick(e->cf.resources, groups, 2, group);
    hp_k8s_pick(group[0], names, 2, values);
    hp_k8s_pick(group[1], names, 2, values + 2);
    for (size_t i = 0; i < 4; i++) {
        if ((e->p->resources_require & fields[i].bit) == 0) {
            continue;
        }
        struct json_object *v = values[i];
        if (quantity_set(v)) {
            continue;
        }
        pol_emit(e, HP_CHECK_RESOURCES, true,
                 pol_path(e, "%s.resources.%s.%s", e->cpath, fields[i].group, fields[i].name),
                 fields[i].fix, "%s must set resources.%s.%s%s", e->who, fields[i].group,
                 fields[i].name, v != NULL ? " to a quantity" : "");
    }
}
