/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an audited document is: a resource the engine evaluated, a document
 * with no pod spec (skipped), or an object of a kind the engine cannot read
 * that still holds a container list (not evaluated: never reported as a
 * pass). Which kinds the engine reads is the engine's answer, not a list kept here.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Past the loader's cap on nesting (64 by default), so every container
 * list of a tree that was loaded is found; it only bounds the recursion. */
#define MAX_WALK_DEPTH 256

/* A member that names a container list of a pod spec. The init and
 * ephemeral lists count too: an object that holds only those (the
 * EphemeralContainers kind of Kubernetes 1.16 to 1.21) still runs code. */
static bool is_container_list(const char *key)
{
    return strcmp(key, "containers") == 0 || strcmp(key, "initContainers") == 0 ||
           strcmp(key, "ephemeralContainers") == 0;
}

/* The path length of a walk whose path no longer fits: the path then ends
 * in "..." and stays as it is below that point. */
#define CUT SIZE_MAX

/* Appends ".key" or "[i]" to the path at[0..*len) within size, keeping
 * room for "...". When it does not fit, the path ends in "..." and *len
 * becomes CUT. */
static void push(char *at, size_t size, size_t *len, const char *key, size_t index)
{
    if (*len == CUT || size - *len < 4) {
        return;
    }
    size_t room = size - *len - 3; /* "..." always fits after the path */
    int n;
    if (key != NULL) {
        n = snprintf(at + *len, room, "%s%s", *len > 0 ? "." : "", key);
    } else {
        n = snprintf(at + *len, room, "[%zu]", index);
    }
    if (n < 0 || (size_t)n >= room) {
        memcpy(at + *len, "...", 4);
        *len = CUT;
        return;
    }
    *len += (size_t)n;
}

/* Undoes the pushes below len. */
static void pop(char *at, size_t len)
{
    if (len != CUT) {
        at[len] = '\0';
    }
}

/* Depth-first, in document order: the first container list member that is
 * an array. A path too long for the buffer is cut, never a reason to stop
 * looking. */
static bool find_containers(struct json_object *v, char *at, size_t size, size_t len, int depth)
{
    if (depth > MAX_WALK_DEPTH) {
        return false;
    }
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, val)
        {
            size_t l = len;
            push(at, size, &l, key, 0);
            if ((is_container_list(key) && json_object_is_type(val, json_type_array)) ||
                find_containers(val, at, size, l, depth + 1)) {
                return true;
            }
            pop(at, len);
        }
    } else if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            size_t l = len;
            push(at, size, &l, NULL, i);
            if (find_containers(json_object_array_get_idx(v, i), at, size, l, depth + 1)) {
                return true;
            }
            pop(at, len);
        }
    }
    return false;
}

enum aud_status aud_classify(struct json_object *obj, const struct hp_findings *f, char *at,
                             size_t size)
{
    if (size > 0) {
        at[0] = '\0';
    }
    /* Findings too mean the engine read a pod spec. */
    if (f->has_podspec || f->len > 0 || f->n_deny > 0 || f->n_warn > 0) {
        return AUD_EVALUATED;
    }
    /* No apiVersion and kind: no Kubernetes object (the caller refuses half
     * an identity), so whatever it holds is not a workload. */
    if (size < 4 || !json_object_object_get_ex(obj, "kind", NULL)) {
        return AUD_SKIPPED;
    }
    return find_containers(obj, at, size, 0, 0) ? AUD_NOT_EVALUATED : AUD_SKIPPED;
}
