/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a finding's field was written: walks a finding's path
 * (`spec.containers[0].securityContext.privileged`,
 * `metadata.annotations["a.b/c"]`) through a tree loaded with positions, and
 * gives the line and column of the deepest part of the path that exists: the
 * field itself, or its nearest written parent when the field is missing. Only
 * reads the tree.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* The next step of path at *p: a key (dotted or ["quoted"]) or an index.
 * Returns false at the end of the path or on a step it cannot read. */
struct step {
    const char *key; /* into path; not NUL-terminated */
    size_t key_len;
    size_t index;
    bool is_index;
};

static bool next_step(const char **p, struct step *s)
{
    const char *c = *p;
    if (*c == '.') {
        c++;
    }
    if (*c == '\0') {
        return false;
    }
    memset(s, 0, sizeof(*s));
    if (c[0] == '[' && c[1] == '"') {
        /* A key written as ["..."]: it ends at the first "] (the engine
         * quotes keys that hold dots, and a key never holds "]). */
        const char *end = strstr(c + 2, "\"]");
        if (end == NULL) {
            return false;
        }
        s->key = c + 2;
        s->key_len = (size_t)(end - (c + 2));
        *p = end + 2;
        return true;
    }
    if (c[0] == '[') {
        char *end = NULL;
        unsigned long long n = strtoull(c + 1, &end, 10);
        if (end == c + 1 || *end != ']') {
            return false;
        }
        s->is_index = true;
        s->index = (size_t)n;
        *p = end + 1;
        return true;
    }
    size_t n = strcspn(c, ".[");
    if (n == 0) {
        return false;
    }
    s->key = c;
    s->key_len = n;
    *p = c + n;
    return true;
}

/* The member i of obj and its position for step s, or false. */
static bool find(struct json_object *obj, const struct step *s, struct json_object **child,
                 const struct hp_manifest_pos **pos)
{
    if (s->is_index) {
        if (!json_object_is_type(obj, json_type_array) ||
            s->index >= json_object_array_length(obj)) {
            return false;
        }
        *child = json_object_array_get_idx(obj, s->index);
        *pos = hp_manifest_pos_get(obj, s->index);
        return *pos != NULL;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        return false;
    }
    size_t i = 0;
    json_object_object_foreach(obj, key, val)
    {
        if (strlen(key) == s->key_len && memcmp(key, s->key, s->key_len) == 0) {
            *child = val;
            *pos = hp_manifest_pos_get(obj, i);
            return *pos != NULL;
        }
        i++;
    }
    return false;
}

bool aud_locate(struct json_object *root, const char *path, size_t *line, size_t *column)
{
    const struct hp_manifest_pos *best = NULL;
    struct json_object *at = root;
    struct step s;
    const char *p = path;
    while (at != NULL && next_step(&p, &s)) {
        const struct hp_manifest_pos *pos = NULL;
        struct json_object *child = NULL;
        if (!find(at, &s, &child, &pos)) {
            break;
        }
        best = pos;
        at = child;
    }
    if (best == NULL) {
        return false;
    }
    /* A mapping member is annotated at its key, which is where a reader
     * looks for it; a sequence element at its value. */
    *line = best->key_line != 0 ? best->key_line : best->line;
    *column = best->key_line != 0 ? best->key_column : best->column;
    return true;
}
