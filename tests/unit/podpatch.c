/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers: JSON patching by path, workload wrapping, findings rendering. */
#include "podpatch.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits the next path segment: returns key (into buf) and index (or -1). */
static const char *segment(const char *p, char *key, size_t size, long *index)
{
    size_t n = strcspn(p, ".[");
    ck_assert_msg(n < size, "path segment too long");
    memcpy(key, p, n);
    key[n] = '\0';
    p += n;
    *index = -1;
    if (*p == '[') {
        *index = strtol(p + 1, (char **)&p, 10);
        ck_assert_msg(*p == ']', "bad index in path");
        p++;
    }
    if (*p == '.') {
        p++;
    }
    return p;
}

void pp_apply(struct json_object *obj, const char *patch)
{
    bool del = patch[0] == '-';
    char path[256];
    const char *eq = strchr(patch, '=');
    size_t plen = del ? strlen(patch + 1) : (size_t)(eq - patch);
    ck_assert_msg(del || eq != NULL, "patch needs '=': %s", patch);
    memcpy(path, patch + del, plen);
    path[plen] = '\0';
    struct json_object *cur = obj;
    const char *p = path;
    while (*p != '\0') {
        char key[128];
        long index;
        p = segment(p, key, sizeof(key), &index);
        bool last = *p == '\0';
        struct json_object *next = NULL;
        if (last && index < 0) {
            if (del) {
                json_object_object_del(cur, key);
            } else {
                struct json_object *v = json_tokener_parse(eq + 1);
                ck_assert_msg(v != NULL || strcmp(eq + 1, "null") == 0, "bad JSON in %s", patch);
                json_object_object_add(cur, key, v);
            }
            return;
        }
        if (!json_object_object_get_ex(cur, key, &next) || next == NULL) {
            ck_assert_msg(index < 0, "missing array %s in %s", key, patch);
            next = json_object_new_object();
            json_object_object_add(cur, key, next);
        }
        if (index >= 0) {
            ck_assert_msg(json_object_is_type(next, json_type_array), "%s is not an array", key);
            if (last) {
                ck_assert_msg(!del, "cannot delete array elements");
                json_object_array_put_idx(next, (size_t)index, json_tokener_parse(eq + 1));
                return;
            }
            next = json_object_array_get_idx(next, (size_t)index);
            ck_assert_msg(next != NULL, "index out of range in %s", patch);
        }
        cur = next;
    }
}

struct json_object *pp_wrap(struct json_object *pod, const char *api_version, const char *kind)
{
    struct json_object *spec = NULL;
    struct json_object *meta = NULL;
    json_object_object_get_ex(pod, "spec", &spec);
    json_object_object_get_ex(pod, "metadata", &meta);
    struct json_object *tmpl = json_object_new_object();
    json_object_object_add(tmpl, "metadata", json_object_get(meta));
    json_object_object_add(tmpl, "spec", json_object_get(spec));
    struct json_object *w = json_object_new_object();
    json_object_object_add(w, "apiVersion", json_object_new_string(api_version));
    json_object_object_add(w, "kind", json_object_new_string(kind));
    json_object_object_add(w, "metadata", json_object_get(meta));
    if (strcmp(kind, "PodTemplate") == 0) {
        json_object_object_add(w, "template", tmpl);
        return w;
    }
    struct json_object *wspec = json_object_new_object();
    if (strcmp(kind, "CronJob") == 0) {
        struct json_object *job = json_object_new_object();
        struct json_object *jobspec = json_object_new_object();
        json_object_object_add(jobspec, "template", tmpl);
        json_object_object_add(job, "spec", jobspec);
        json_object_object_add(wspec, "schedule", json_object_new_string("*/5 * * * *"));
        json_object_object_add(wspec, "jobTemplate", job);
    } else {
        json_object_object_add(wspec, "template", tmpl);
    }
    json_object_object_add(w, "spec", wspec);
    return w;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *pp_render(const struct hp_findings *f, char *buf, size_t size)
{
    char **lines = calloc(f->len + 1, sizeof(char *));
    for (size_t i = 0; i < f->len; i++) {
        const struct hp_finding *x = &f->items[i];
        char line[600];
        snprintf(line, sizeof(line), "%s|%s|%s|%s", hp_check_name(x->check),
                 hp_action_name(x->action), x->container ? x->container : "-", x->path);
        lines[i] = strdup(line);
    }
    qsort(lines, f->len, sizeof(char *), cmp_str);
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < f->len; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? "\n" : "", lines[i]);
        if (n > 0 && (size_t)n < size - used) {
            used += (size_t)n;
        }
        free(lines[i]);
    }
    free(lines);
    return buf;
}

struct json_object *pp_pod_with_containers(size_t n, const char *prefix, int digits)
{
    struct json_object *pod = json_object_new_object();
    json_object_object_add(pod, "apiVersion", json_object_new_string("v1"));
    json_object_object_add(pod, "kind", json_object_new_string("Pod"));
    struct json_object *spec = json_object_new_object();
    struct json_object *ctrs = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s%0*zu", prefix, digits, i);
        struct json_object *c = json_object_new_object();
        json_object_object_add(c, "name", json_object_new_string(name));
        json_object_array_add(ctrs, c);
    }
    json_object_object_add(spec, "containers", ctrs);
    json_object_object_add(pod, "spec", spec);
    return pod;
}

const struct hp_finding *pp_missing_deny(const struct hp_findings *want,
                                         const struct hp_findings *got, bool any_action,
                                         int skip_check)
{
    for (size_t i = 0; i < want->len; i++) {
        const struct hp_finding *w = &want->items[i];
        if (w->action != HP_ACTION_DENY || (int)w->check == skip_check) {
            continue;
        }
        bool found = false;
        for (size_t j = 0; j < got->len && !found; j++) {
            const struct hp_finding *g = &got->items[j];
            found = g->check == w->check && strcmp(g->path, w->path) == 0 &&
                    (any_action || g->action == HP_ACTION_DENY);
        }
        if (!found) {
            return w;
        }
    }
    return NULL;
}
