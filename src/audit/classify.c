/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an audited document is: a resource the engine evaluated, a document
 * with no pod spec (skipped), or an object of a kind the engine cannot read
 * that still holds containers (not evaluated: never reported as a pass).
 * Which kinds the engine reads is the engine's answer, not a list kept here.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

/* Deeper than any pod template nests in a real resource; the loader caps
 * the depth of the tree anyway, this only bounds the walk. */
#define MAX_WALK_DEPTH 64

/* Appends ".key" or "[i]" to the path at[0..*len) within size; false when
 * it does not fit (the path is then left as it was). */
static bool push(char *at, size_t size, size_t *len, const char *key, size_t index)
{
    int n;
    if (key != NULL) {
        n = snprintf(at + *len, size - *len, "%s%s", *len > 0 ? "." : "", key);
    } else {
        n = snprintf(at + *len, size - *len, "[%zu]", index);
    }
    if (n < 0 || (size_t)n >= size - *len) {
        at[*len] = '\0';
        return false;
    }
    *len += (size_t)n;
    return true;
}

/* Depth-first, in document order: the first `containers` member that is an
 * array. */
static bool find_containers(struct json_object *v, char *at, size_t size, size_t len, int depth)
{
    if (depth > MAX_WALK_DEPTH) {
        return false;
    }
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, val)
        {
            size_t l = len;
            bool fits = push(at, size, &l, key, 0);
            if (strcmp(key, "containers") == 0 && json_object_is_type(val, json_type_array)) {
                return true; /* a path too long for the buffer is cut, not lost */
            }
            if (fits && find_containers(val, at, size, l, depth + 1)) {
                return true;
            }
            at[len] = '\0';
        }
    } else if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            size_t l = len;
            if (push(at, size, &l, NULL, i) &&
                find_containers(json_object_array_get_idx(v, i), at, size, l, depth + 1)) {
                return true;
            }
            at[len] = '\0';
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
    if (f->has_podspec) {
        return AUD_EVALUATED;
    }
    /* No apiVersion and kind: no Kubernetes object (the caller refuses half
     * an identity), so whatever it holds is not a workload. */
    if (size == 0 || !json_object_object_get_ex(obj, "kind", NULL)) {
        return AUD_SKIPPED;
    }
    return find_containers(obj, at, size, 0, 0) ? AUD_NOT_EVALUATED : AUD_SKIPPED;
}
