/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --format patch: the strategic-merge patch that sets the fields a
 * resource's findings ask for, worked out while the object is at hand (an
 * env entry's name, the entries of a list that a merge replaces whole), by
 * the registry's patch rules for each finding's check and path, never from
 * the fix text. A finding that no rule patches becomes a comment line that
 * says why: nothing is dropped silently. Only the kinds whose list merge
 * keys kustomize knows are patched; a strategic merge of any other kind
 * would replace its containers list instead of merging it.
 */
#include "internal.h"

#include "hardpod/buf.h"
#include "hardpod/k8s.h"
#include "hardpod/utf8.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The patch of one resource while it is worked out. */
struct plan {
    struct aud_ctx *cx;
    struct json_object *obj;  /* the resource (borrowed) */
    struct json_object *root; /* the patch (owned) */
    struct hp_podspec ps;
    struct hp_buf notes;
    size_t n_patched;
    bool *patched; /* per finding of the entry: a rule patched it */
};

/* (apiVersion, kind) pairs whose schema kustomize has: their containers,
 * initContainers, ephemeralContainers and env merge by name. */
static bool kustomize_knows(const char *api_version, const char *kind)
{
    static const struct {
        const char *api_version;
        const char *kind;
    } known[] = {
        {"v1", "Pod"},
        {"v1", "ReplicationController"},
        {"v1", "PodTemplate"},
        {"apps/v1", "Deployment"},
        {"apps/v1", "StatefulSet"},
        {"apps/v1", "DaemonSet"},
        {"apps/v1", "ReplicaSet"},
        {"batch/v1", "Job"},
        {"batch/v1", "CronJob"},
        {"batch/v1beta1", "CronJob"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(known[i].api_version, api_version) == 0 && strcmp(known[i].kind, kind) == 0) {
            return true;
        }
    }
    return false;
}

size_t aud_comment_char(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    size_t k = hp_utf8_len(s, n);
    const unsigned char *u = (const unsigned char *)s;
    bool bad = k == 0 || c < 0x20 || c == 0x7f || (k == 2 && c == 0xc2 && u[1] < 0xa0) ||
               (k == 3 && c == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) ||
               (k == 3 && c == 0xef && u[1] == 0xbb && u[2] == 0xbf);
    return bad ? 0 : k;
}

/* Appends s to a comment line. */
static void note_text(struct hp_buf *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = aud_comment_char(s + i, n - i);
        if (k == 0) {
            hp_buf_putc(b, '?');
            k = hp_utf8_len(s + i, n - i);
            i += k > 0 ? k : 1;
        } else {
            hp_buf_append(b, s + i, k);
            i += k;
        }
    }
}

/* One comment line about finding f: "CHECK PATH: why". */
static void note(struct plan *p, const struct aud_finding *f, const char *why)
{
    hp_buf_puts(&p->notes, f != NULL ? "#   not patched: " : "#   no patch: ");
    if (f != NULL) {
        note_text(&p->notes, hp_check_name(f->check));
        hp_buf_putc(&p->notes, ' ');
        note_text(&p->notes, f->path);
        hp_buf_puts(&p->notes, ": ");
    }
    note_text(&p->notes, why);
    hp_buf_putc(&p->notes, '\n');
}

static void review(struct plan *p, const char *what)
{
    hp_buf_puts(&p->notes, "#   review: ");
    note_text(&p->notes, what);
    hp_buf_putc(&p->notes, '\n');
}

/* Whether rule pattern at matches all of rest: "[*]" stands for "[N]" or
 * "[\"key\"]". */
static bool at_matches(const char *at, const char *rest)
{
    while (*at != '\0') {
        if (strncmp(at, "[*]", 3) == 0) {
            if (*rest != '[') {
                return false;
            }
            const char *end = rest[1] == '"' ? strstr(rest + 2, "\"]") : strchr(rest, ']');
            if (end == NULL) {
                return false;
            }
            rest = end + (rest[1] == '"' ? 2 : 1);
            at += 3;
            continue;
        }
        if (*at++ != *rest++) {
            return false;
        }
    }
    return *rest == '\0';
}

static const struct hp_patch_rule *rule_for(enum hp_check c, const char *rest)
{
    const struct hp_check_info *info = hp_check_info_get(c);
    for (size_t i = 0; info != NULL && i < HP_CHECK_MAX_PATCH_RULES; i++) {
        if (info->patch[i].at != NULL && at_matches(info->patch[i].at, rest)) {
            return &info->patch[i];
        }
    }
    return NULL;
}

/* The member key of object o, created as {} when absent. */
static struct json_object *child(struct json_object *o, const char *key, size_t n)
{
    char k[256];
    snprintf(k, sizeof(k), "%.*s", (int)(n < sizeof(k) - 1 ? n : sizeof(k) - 1), key);
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_object)) {
        v = json_object_new_object();
        if (v == NULL || json_object_object_add(o, k, v) != 0) {
            hp_oom();
        }
    }
    return v;
}

/* Walks the dotted path[0..n) from the patch node *pn and the object node
 * *on together, creating the patch's objects; false when the object holds
 * something other than an object on the way. */
static bool walk(struct json_object **pn, struct json_object **on, const char *path, size_t n)
{
    const char *s = path;
    const char *end = path + n;
    while (s < end) {
        const char *dot = memchr(s, '.', (size_t)(end - s));
        size_t len = (size_t)((dot != NULL ? dot : end) - s);
        char k[256];
        snprintf(k, sizeof(k), "%.*s", (int)(len < sizeof(k) - 1 ? len : sizeof(k) - 1), s);
        struct json_object *next = NULL;
        if (*on != NULL && json_object_object_get_ex(*on, k, &next) && next != NULL &&
            !json_object_is_type(next, json_type_object)) {
            return false;
        }
        *on = next;
        *pn = child(*pn, s, len);
        s += len + 1;
    }
    return true;
}

static void put(struct json_object *o, const char *key, struct json_object *v)
{
    if (json_object_object_add(o, key, v) != 0) {
        hp_oom();
    }
}

/* A fresh copy of a list entry (positions are not copied); NULL (dropped
 * from the patch's list) for what is not a scalar. */
static struct json_object *copy_scalar(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_string:
        return json_object_new_string_len(json_object_get_string(v), json_object_get_string_len(v));
    case json_type_int:
        return json_object_new_int64(json_object_get_int64(v));
    case json_type_boolean:
        return json_object_new_boolean(json_object_get_boolean(v));
    case json_type_double:
        return json_object_new_double(json_object_get_double(v));
    default:
        return NULL;
    }
}

/* The patch's copy of the object's list at key of pn/on: strategic merge
 * replaces such lists whole, so the patch carries every entry it keeps.
 * Removed entries are nulls, which the writer leaves out. */
static struct json_object *list_copy(struct json_object *pn, struct json_object *on,
                                     const char *key)
{
    struct json_object *have = NULL;
    if (json_object_object_get_ex(pn, key, &have) && json_object_is_type(have, json_type_array)) {
        return have;
    }
    struct json_object *list = json_object_new_array();
    struct json_object *orig = hp_k8s_field(on, key);
    size_t n = json_object_is_type(orig, json_type_array) ? json_object_array_length(orig) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object_array_add(list, copy_scalar(json_object_array_get_idx(orig, i)));
    }
    put(pn, key, list);
    return list;
}

/* The env entry named name in the container patch cp, created with it. */
static struct json_object *env_entry(struct json_object *cp, const char *name)
{
    struct json_object *env = NULL;
    if (!json_object_object_get_ex(cp, "env", &env) || !json_object_is_type(env, json_type_array)) {
        env = json_object_new_array();
        put(cp, "env", env);
    }
    size_t n = json_object_array_length(env);
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(env, i);
        const char *s = hp_k8s_string(hp_k8s_field(e, "name"));
        if (s != NULL && strcmp(s, name) == 0) {
            return e;
        }
    }
    struct json_object *e = json_object_new_object();
    put(e, "name", json_object_new_string(name));
    json_object_array_add(env, e);
    return e;
}

/* Sets env NAME=VALUE in the container patch cp (oc: the container). */
static const char *set_env(struct json_object *cp, struct json_object *oc, const char *name,
                           const char *value)
{
    struct json_object *env = hp_k8s_field(oc, "env");
    size_t n = json_object_is_type(env, json_type_array) ? json_object_array_length(env) : 0;
    size_t seen = 0;
    bool value_from = false;
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(env, i);
        const char *s = hp_k8s_string(hp_k8s_field(e, "name"));
        if (s != NULL && strcmp(s, name) == 0) {
            seen++;
            value_from = value_from || hp_k8s_field(e, "valueFrom") != NULL;
        }
    }
    if (seen > 1) {
        return "env sets the variable more than once: a merge by name cannot tell them apart";
    }
    struct json_object *e = env_entry(cp, name);
    put(e, "value", json_object_new_string(value));
    if (value_from) {
        put(e, "valueFrom", NULL);
    }
    return NULL;
}

/* Moves the ports below 1024 of a Kestrel setting: 80 to 8080, 443 to 8443,
 * in a ';'-separated list of URLs (urls) or of ports. NULL when another low
 * port is named, or the value cannot be read. */
static char *kestrel_moved(const char *value, bool urls, long *from)
{
    struct hp_buf b;
    hp_buf_init(&b, 4096);
    const char *p = value;
    bool ok = true;
    *from = -1;
    while (ok) {
        size_t n = strcspn(p, urls ? ";" : ";,");
        char part[512];
        snprintf(part, sizeof(part), "%.*s", (int)(n < sizeof(part) - 1 ? n : sizeof(part) - 1), p);
        long port = hp_policy_kestrel_low_port(part, urls);
        if (port < 0) {
            hp_buf_append(&b, p, n);
        } else if (port != 80 && port != 443) {
            ok = false;
        } else {
            *from = port;
            const char *to = port == 80 ? "8080" : "8443";
            /* The last ":80" of the part, or a URL without a port. */
            char num[24]; /* room for any long */
            snprintf(num, sizeof(num), ":%ld", port);
            const char *at = NULL;
            for (const char *q = strstr(part, num); q != NULL; q = strstr(q + 1, num)) {
                if (q[strlen(num)] == '\0' || q[strlen(num)] == '/' || q[strlen(num)] == ' ') {
                    at = q;
                }
            }
            if (!urls) {
                size_t lead = strspn(part, " \t");
                size_t len = strcspn(part + lead, " \t");
                hp_buf_append(&b, part, lead);
                hp_buf_puts(&b, to);
                hp_buf_puts(&b, part + lead + len);
            } else if (at != NULL) {
                hp_buf_append(&b, part, (size_t)(at - part) + 1);
                hp_buf_puts(&b, to);
                hp_buf_puts(&b, at + strlen(num));
            } else {
                /* "http://host" or "http://host/path": the port goes after the host. */
                const char *host = strstr(part, "://");
                const char *slash = host != NULL ? strchr(host + 3, '/') : NULL;
                size_t cut = slash != NULL ? (size_t)(slash - part) : strcspn(part, " \t");
                hp_buf_append(&b, part, cut);
                hp_buf_putc(&b, ':');
                hp_buf_puts(&b, to);
                hp_buf_puts(&b, part + cut);
            }
        }
        p += n;
        if (*p == '\0') {
            break;
        }
        hp_buf_putc(&b, *p++);
    }
    if (!ok || b.overflow || *from < 0) {
        hp_buf_cleanup(&b);
        return NULL;
    }
    return hp_buf_take(&b, NULL);
}

/* Where a finding's path points, relative to the pod spec. */
struct where {
    enum { AT_POD, AT_CONTAINER, AT_METADATA } level;
    const char *rest; /* below the pod spec, the container or the metadata */
    enum hp_container_list list;
    size_t index;
};

static bool locate(const struct plan *p, const char *path, struct where *w)
{
    const char *pre = p->ps.prefix;
    size_t n = strlen(pre);
    const char *mp = p->ps.metadata_prefix;
    if (mp != NULL && strncmp(path, mp, strlen(mp)) == 0 && path[strlen(mp)] == '.') {
        w->level = AT_METADATA;
        w->rest = path + strlen(mp) + 1;
        return true;
    }
    if (strncmp(path, pre, n) != 0 || path[n] != '.') {
        return false;
    }
    const char *rest = path + n + 1;
    for (int l = 0; l < HP_LIST_COUNT; l++) {
        const char *name = hp_k8s_list_name((enum hp_container_list)l);
        size_t k = strlen(name);
        if (strncmp(rest, name, k) != 0 || rest[k] != '[') {
            continue;
        }
        char *end = NULL;
        unsigned long long i = strtoull(rest + k + 1, &end, 10);
        if (end == rest + k + 1 || end[0] != ']' || end[1] != '.') {
            return false;
        }
        w->level = AT_CONTAINER;
        w->list = (enum hp_container_list)l;
        w->index = (size_t)i;
        w->rest = end + 2;
        return true;
    }
    w->level = AT_POD;
    w->rest = rest;
    return true;
}

/* The patch node of the container of finding f (created with its name),
 * and the container itself in *oc; NULL with *why set when it cannot be
 * addressed by name. */
static struct json_object *container_patch(struct plan *p, const struct aud_finding *f,
                                           const struct where *w, struct json_object *pod_patch,
                                           struct json_object **oc, const char **why)
{
    const char *lname = hp_k8s_list_name(w->list);
    struct json_object *list = hp_k8s_field(p->ps.spec, lname);
    *oc = json_object_is_type(list, json_type_array) && w->index < json_object_array_length(list)
              ? json_object_array_get_idx(list, w->index)
              : NULL;
    const char *name = hp_k8s_string(hp_k8s_field(*oc, "name"));
    if (name == NULL || f->container == NULL || strcmp(name, f->container) != 0) {
        *why = "the container has no name that a merge can find it by";
        return NULL;
    }
    struct json_object *plist = NULL;
    if (!json_object_object_get_ex(pod_patch, lname, &plist)) {
        plist = json_object_new_array();
        put(pod_patch, lname, plist);
    }
    size_t n = json_object_array_length(plist);
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(plist, i);
        if (strcmp(hp_k8s_string(hp_k8s_field(c, "name")), name) == 0) {
            return c;
        }
    }
    struct json_object *c = json_object_new_object();
    put(c, "name", json_object_new_string(name));
    json_object_array_add(plist, c);
    return c;
}

/* The index at the end of rest[0..len), "a.b[N]"; the list path's length
 * in *n. */
static bool last_index_of(const char *rest, size_t len, size_t *n, size_t *index)
{
    const char *br = NULL;
    for (size_t i = 0; i < len; i++) {
        br = rest[i] == '[' ? rest + i : br;
    }
    char *end = NULL;
    if (br == NULL || br[1] < '0' || br[1] > '9') {
        return false;
    }
    unsigned long long i = strtoull(br + 1, &end, 10);
    if (end != rest + len - 1 || *end != ']') {
        return false;
    }
    *n = (size_t)(br - rest);
    *index = (size_t)i;
    return true;
}

static bool last_index(const char *rest, size_t *n, size_t *index)
{
    return last_index_of(rest, strlen(rest), n, index);
}

/* The node of a dotted path below root, created. */
static struct json_object *node_at(struct json_object *root, const char *path)
{
    struct json_object *pn = root;
    struct json_object *on = NULL;
    if (path[0] != '\0') {
        walk(&pn, &on, path, strlen(path));
    }
    return pn;
}

static int64_t id_for(const struct plan *p, enum hp_patch_op op)
{
    int64_t min = op == HP_PATCH_UID ? p->cx->o->policy->min_uid : p->cx->o->policy->min_gid;
    return min > 10001 ? min : 10001;
}

/* A value set at the leaf of rest (dotted) below node pn / on. */
static const char *set_leaf(struct json_object *pn, struct json_object *on, const char *rest,
                            struct json_object *v)
{
    const char *dot = strrchr(rest, '.');
    size_t n = dot != NULL ? (size_t)(dot - rest) : 0;
    if (!walk(&pn, &on, rest, n)) {
        json_object_put(v);
        return "a field on the way is not an object: correct its type by hand";
    }
    const char *key = dot != NULL ? dot + 1 : rest;
    struct json_object *old = hp_k8s_field(on, key);
    if (old != NULL &&
        (json_object_is_type(old, json_type_object) || json_object_is_type(old, json_type_array)) &&
        v != NULL) {
        json_object_put(v);
        return "the field has the wrong type: correct it by hand";
    }
    put(pn, key, v);
    return NULL;
}

/* Applies rule r of finding f at w; NULL when patched, else why not. */
static const char *apply(struct plan *p, const struct aud_finding *f, const struct hp_patch_rule *r,
                         const struct where *w)
{
    struct json_object *pod_patch = node_at(p->root, p->ps.prefix);
    struct json_object *pn = pod_patch;
    struct json_object *on = p->ps.spec;
    const char *why = NULL;
    if (w->level == AT_METADATA) {
        pn = node_at(p->root, p->ps.metadata_prefix);
        on = p->ps.metadata;
    } else if (w->level == AT_CONTAINER) {
        pn = container_patch(p, f, w, pod_patch, &on, &why);
        if (pn == NULL) {
            return why;
        }
    }
    switch (r->op) {
    case HP_PATCH_NONE:
        return r->value;
    case HP_PATCH_SET: {
        struct json_object *v = json_tokener_parse(r->value);
        return set_leaf(pn, on, w->rest, v);
    }
    case HP_PATCH_UID:
    case HP_PATCH_GID:
        return set_leaf(pn, on, w->rest, json_object_new_int64(id_for(p, r->op)));
    case HP_PATCH_PLACEHOLDER:
        return set_leaf(pn, on, w->rest, json_object_new_string(r->value));
    case HP_PATCH_DELETE:
        return set_leaf(pn, on, w->rest, NULL);
    case HP_PATCH_LIST_ADD: {
        const char *dot = strrchr(w->rest, '.');
        size_t n = dot != NULL ? (size_t)(dot - w->rest) : 0;
        if (!walk(&pn, &on, w->rest, n)) {
            return "a field on the way is not an object: correct its type by hand";
        }
        struct json_object *list = list_copy(pn, on, dot != NULL ? dot + 1 : w->rest);
        size_t len = json_object_array_length(list);
        for (size_t i = 0; i < len; i++) {
            const char *s = hp_k8s_string(json_object_array_get_idx(list, i));
            if (s != NULL && strcasecmp(s, r->value) == 0) {
                json_object_array_put_idx(list, i, NULL);
            }
        }
        json_object_array_add(list, json_object_new_string(r->value));
        return NULL;
    }
    case HP_PATCH_LIST_REMOVE: {
        size_t n;
        size_t index;
        if (!last_index(w->rest, &n, &index)) {
            return "hardpod cannot read the path";
        }
        const char *dot = NULL;
        for (size_t i = 0; i < n; i++) {
            dot = w->rest[i] == '.' ? w->rest + i : dot;
        }
        size_t head = dot != NULL ? (size_t)(dot - w->rest) : 0;
        if (!walk(&pn, &on, w->rest, head)) {
            return "a field on the way is not an object: correct its type by hand";
        }
        char key[128];
        const char *k = dot != NULL ? dot + 1 : w->rest;
        size_t klen = n - (size_t)(k - w->rest);
        snprintf(key, sizeof(key), "%.*s", (int)(klen < 127 ? klen : 127), k);
        struct json_object *list = list_copy(pn, on, key);
        if (index >= json_object_array_length(list)) {
            return "hardpod cannot find the entry";
        }
        json_object_array_put_idx(list, index, NULL);
        return NULL;
    }
    case HP_PATCH_ANNOTATION: {
        const char *q = strstr(w->rest, "[\"");
        size_t len = q != NULL ? strlen(q) : 0;
        if (q == NULL || len < 4 || strcmp(q + len - 2, "\"]") != 0) {
            return "hardpod cannot read the annotation's name";
        }
        char key[512];
        snprintf(key, sizeof(key), "%.*s", (int)(len - 4 < 511 ? len - 4 : 511), q + 2);
        struct json_object *ann = hp_k8s_field(p->ps.metadata, "annotations");
        if (hp_k8s_field(ann, key) == NULL) {
            return "the annotation's name is longer than the finding shows";
        }
        put(child(pn, "annotations", 11), key, json_object_new_string(r->value));
        return NULL;
    }
    case HP_PATCH_ENV: {
        if (w->level != AT_CONTAINER) {
            return "not a container's env";
        }
        char name[128];
        const char *eq = strchr(r->value, '=');
        size_t nl = eq != NULL ? (size_t)(eq - r->value) : 0;
        snprintf(name, sizeof(name), "%.*s", (int)(nl < 127 ? nl : 127), r->value);
        return set_env(pn, on, name, eq != NULL ? eq + 1 : "");
    }
    case HP_PATCH_KESTREL: {
        size_t n_list;
        size_t index;
        struct json_object *env = hp_k8s_field(on, "env");
        if (w->level != AT_CONTAINER || strncmp(w->rest, "env[", 4) != 0 ||
            !last_index_of(w->rest, strlen(w->rest) - strlen(".value"), &n_list, &index) ||
            !json_object_is_type(env, json_type_array) || index >= json_object_array_length(env)) {
            return "hardpod cannot find the env entry";
        }
        struct json_object *e = json_object_array_get_idx(env, index);
        const char *name = hp_k8s_string(hp_k8s_field(e, "name"));
        const char *value = hp_k8s_string(hp_k8s_field(e, "value"));
        if (name == NULL || value == NULL) {
            return "hardpod cannot read the env entry";
        }
        long from = -1;
        char *moved = kestrel_moved(value, strcmp(name, "ASPNETCORE_URLS") == 0, &from);
        if (moved == NULL) {
            return "a port below 1024 other than 80 or 443: choose one above 1023 yourself";
        }
        why = set_env(pn, on, name, moved);
        free(moved);
        if (why == NULL) {
            char what[256];
            snprintf(what, sizeof(what),
                     "Kestrel moves from port %ld to %s (%.64s): point the containerPort, the "
                     "probes and the Service's targetPort at it",
                     from, from == 80 ? "8080" : "8443", name);
            review(p, what);
        }
        return why;
    }
    }
    return "no patch rule";
}

static bool one_finding(struct plan *p, const struct aud_finding *f)
{
    const struct hp_check_info *info = hp_check_info_get(f->check);
    if (f->exempt) {
        note(p, f, "exempted by the policy");
        return false;
    }
    if (info != NULL && info->no_patch != NULL) {
        note(p, f, info->no_patch);
        return false;
    }
    struct where w = {.level = AT_POD};
    if (!locate(p, f->path, &w)) {
        note(p, f, "the field is outside the pod spec");
        return false;
    }
    const struct hp_patch_rule *r = rule_for(f->check, w.rest);
    if (r == NULL) {
        note(p, f, "no patch for this field (it has the wrong type, or holds no value to set)");
        return false;
    }
    const char *why = apply(p, f, r, &w);
    if (why != NULL) {
        note(p, f, why);
        return false;
    }
    p->n_patched++;
    return true;
}

/* ---- writing the patch as YAML ---- */

static void put_string(struct hp_buf *b, const char *s, size_t n);

/* A plain scalar YAML reads back as the same string. */
static bool plain_ok(const char *s)
{
    static const char *const reserved[] = {"y",   "n",    "yes",   "no",  "on",
                                           "off", "true", "false", "null"};
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) {
        return false;
    }
    for (const char *q = s; *q != '\0'; q++) {
        bool ok = (*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
                  (*q >= '0' && *q <= '9') || *q == '_' || *q == '-' || *q == '.' || *q == '/';
        if (!ok) {
            return false;
        }
    }
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (strcasecmp(s, reserved[i]) == 0) {
            return false;
        }
    }
    return true;
}

/* s as a YAML double-quoted scalar: every character YAML cannot carry, or
 * would read as a line break, escaped. */
static void put_quoted(struct hp_buf *b, const char *s, size_t n)
{
    hp_buf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = hp_utf8_len(s + i, n - i);
        unsigned cp = c;
        if (k == 2) {
            cp = ((c & 0x1fu) << 6) | ((unsigned char)s[i + 1] & 0x3fu);
        } else if (k == 3) {
            cp = ((c & 0x0fu) << 12) | (((unsigned char)s[i + 1] & 0x3fu) << 6) |
                 ((unsigned char)s[i + 2] & 0x3fu);
        }
        if (k == 0) {
            hp_buf_puts(b, "\\uFFFD");
            i++;
            continue;
        }
        if (c == '"' || c == '\\') {
            hp_buf_putc(b, '\\');
            hp_buf_putc(b, (char)c);
        } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 ||
                   cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff) {
            hp_buf_printf(b, "\\u%04X", cp);
        } else {
            hp_buf_append(b, s + i, k);
        }
        i += k;
    }
    hp_buf_putc(b, '"');
}

void aud_yaml_string(struct hp_buf *b, const char *s)
{
    put_string(b, s, strlen(s));
}

static void put_string(struct hp_buf *b, const char *s, size_t n)
{
    if (strlen(s) == n && plain_ok(s)) {
        hp_buf_append(b, s, n);
    } else {
        put_quoted(b, s, n);
    }
}

static void put_scalar(struct hp_buf *b, struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        hp_buf_puts(b, "null");
        break;
    case json_type_string:
        put_string(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    case json_type_boolean:
        hp_buf_puts(b, json_object_get_boolean(v) ? "true" : "false");
        break;
    case json_type_int:
        hp_buf_printf(b, "%lld", (long long)json_object_get_int64(v));
        break;
    default:
        hp_buf_puts(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        break;
    }
}

static void indent(struct hp_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hp_buf_putc(b, ' ');
    }
}

static size_t live_items(struct json_object *a)
{
    size_t n = 0;
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        n += json_object_array_get_idx(a, i) != NULL;
    }
    return n;
}

static void emit_map(struct hp_buf *b, struct json_object *o, size_t ind, bool first_done);

/* The value of a member or list item, after "key:" or "-". */
static void emit_value(struct hp_buf *b, struct json_object *v, size_t ind)
{
    if (json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0) {
        hp_buf_putc(b, '\n');
        emit_map(b, v, ind + 2, false);
    } else if (json_object_is_type(v, json_type_object)) {
        hp_buf_puts(b, " {}\n");
    } else if (json_object_is_type(v, json_type_array) && live_items(v) > 0) {
        hp_buf_putc(b, '\n');
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            struct json_object *item = json_object_array_get_idx(v, i);
            if (item == NULL) {
                continue;
            }
            indent(b, ind);
            hp_buf_puts(b, "- ");
            if (json_object_is_type(item, json_type_object) &&
                json_object_object_length(item) > 0) {
                emit_map(b, item, ind + 2, true);
            } else {
                put_scalar(b, item);
                hp_buf_putc(b, '\n');
            }
        }
    } else if (json_object_is_type(v, json_type_array)) {
        /* Every entry removed: the field goes. */
        hp_buf_puts(b, " null\n");
    } else {
        hp_buf_putc(b, ' ');
        put_scalar(b, v);
        hp_buf_putc(b, '\n');
    }
}

/* first_done: the first key goes on the current line (after "- "). */
static void emit_map(struct hp_buf *b, struct json_object *o, size_t ind, bool first_done)
{
    bool inline_key = first_done;
    json_object_object_foreach(o, key, val)
    {
        if (!inline_key) {
            indent(b, ind);
        }
        inline_key = false;
        put_string(b, key, strlen(key));
        hp_buf_putc(b, ':');
        emit_value(b, val, ind);
    }
}

/* ---- the entry point ---- */

static bool merged_by_name(const char *key)
{
    return strcmp(key, "containers") == 0 || strcmp(key, "initContainers") == 0 ||
           strcmp(key, "ephemeralContainers") == 0 || strcmp(key, "env") == 0;
}

/* Removes what a rule created and then did not fill: empty objects, and
 * the entries of a list merged by name that hold nothing but the name. */
static void prune(struct json_object *o)
{
    const char *drop[64];
    size_t n_drop = 0;
    json_object_object_foreach(o, key, val)
    {
        if (json_object_is_type(val, json_type_object)) {
            prune(val);
        } else if (json_object_is_type(val, json_type_array) && merged_by_name(key)) {
            for (size_t i = json_object_array_length(val); i-- > 0;) {
                struct json_object *item = json_object_array_get_idx(val, i);
                prune(item);
                if (json_object_object_length(item) <= 1) {
                    json_object_array_del_idx(val, i, 1);
                }
            }
        }
        bool empty =
            (json_object_is_type(val, json_type_object) && json_object_object_length(val) == 0) ||
            (json_object_is_type(val, json_type_array) && merged_by_name(key) &&
             json_object_array_length(val) == 0);
        if (empty && n_drop < sizeof(drop) / sizeof(drop[0])) {
            drop[n_drop++] = key;
        }
    }
    for (size_t i = 0; i < n_drop; i++) {
        json_object_object_del(o, drop[i]);
    }
}

static void keep_plan(struct aud_ctx *cx, struct aud_entry *e, struct plan *p)
{
    struct hp_buf meta;
    struct hp_buf spec;
    hp_buf_init(&meta, 0);
    hp_buf_init(&spec, 0);
    if (p->n_patched > 0) {
        json_object_object_foreach(p->root, key, val)
        {
            if (strcmp(key, "metadata") == 0) {
                emit_map(&meta, val, 2, false);
            } else {
                put_string(&spec, key, strlen(key));
                hp_buf_putc(&spec, ':');
                emit_value(&spec, val, 0);
            }
        }
    }
    /* What the buffers hold is charged while they are copied. */
    size_t cost = meta.cap + spec.cap + p->notes.cap;
    if (hp_manifest_budget_charge(&cx->budget, cost)) {
        aud_report_set_patch(cx->report, e, p->n_patched > 0 ? hp_buf_str(&meta) : NULL,
                             p->n_patched > 0 ? hp_buf_str(&spec) : NULL,
                             p->notes.len > 0 ? hp_buf_str(&p->notes) : NULL, p->n_patched);
        hp_manifest_budget_release(&cx->budget, cost);
    } else {
        aud_report_set_patch(cx->report, e, NULL, NULL,
                             "#   not patched: the patch does not fit in --max-memory\n", 0);
    }
    hp_buf_cleanup(&meta);
    hp_buf_cleanup(&spec);
}

/* ---- checking the patch: the patched object evaluated again ---- */

/* A copy of a tree without its positions (json-c's own copy refuses
 * values that carry them). */
static int copy_node(struct json_object *src, struct json_object *parent, const char *key,
                     size_t index, struct json_object **dst)
{
    (void)parent, (void)key, (void)index;
    switch (json_object_get_type(src)) {
    case json_type_object:
        *dst = json_object_new_object();
        break;
    case json_type_array:
        *dst = json_object_new_array_ext((int)json_object_array_length(src));
        break;
    default:
        *dst = copy_scalar(src);
        break;
    }
    if (*dst == NULL) {
        hp_oom();
    }
    return 2; /* and no userdata: the positions stay with the original */
}

static void count(struct json_object *v, struct aud_json_counts *c)
{
    switch (json_object_get_type(v)) {
    case json_type_object: {
        c->objects++;
        json_object_object_foreach(v, key, val)
        {
            c->members++;
            c->strings++;
            c->string_bytes += strlen(key);
            count(val, c);
        }
        break;
    }
    case json_type_array:
        c->arrays++;
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            c->elements++;
            count(json_object_array_get_idx(v, i), c);
        }
        break;
    case json_type_string:
        c->strings++;
        c->string_bytes += (size_t)json_object_get_string_len(v);
        break;
    default:
        c->scalars++;
        break;
    }
}

/* The patch's value as it lands in the object: a placeholder stands for
 * the positive quantity the user will write, lists lose removed entries. */
static struct json_object *landed(struct json_object *v)
{
    if (json_object_is_type(v, json_type_string) &&
        strncmp(json_object_get_string(v), "<set: ", 6) == 0) {
        return json_object_new_string("1");
    }
    if (json_object_is_type(v, json_type_array)) {
        struct json_object *a = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            struct json_object *item = json_object_array_get_idx(v, i);
            if (item != NULL) {
                json_object_array_add(a, landed(item));
            }
        }
        return a;
    }
    if (json_object_is_type(v, json_type_object)) {
        struct json_object *o = json_object_new_object();
        json_object_object_foreach(v, key, val)
        {
            put(o, key, landed(val));
        }
        return o;
    }
    return v != NULL ? copy_scalar(v) : NULL;
}

/* A strategic merge of patch into dst, as kustomize does it for the kinds
 * it knows: objects merge, null removes, the container lists and env merge
 * by name, any other list is replaced. */
static void merge(struct json_object *dst, struct json_object *patch)
{
    json_object_object_foreach(patch, key, pv)
    {
        struct json_object *dv = NULL;
        json_object_object_get_ex(dst, key, &dv);
        if (pv == NULL || (json_object_is_type(pv, json_type_array) && !merged_by_name(key) &&
                           live_items(pv) == 0)) {
            json_object_object_del(dst, key);
        } else if (json_object_is_type(pv, json_type_object)) {
            if (!json_object_is_type(dv, json_type_object)) {
                dv = json_object_new_object();
                put(dst, key, dv);
            }
            merge(dv, pv);
        } else if (json_object_is_type(pv, json_type_array) && merged_by_name(key)) {
            if (!json_object_is_type(dv, json_type_array)) {
                dv = json_object_new_array();
                put(dst, key, dv);
            }
            for (size_t i = 0; i < json_object_array_length(pv); i++) {
                struct json_object *item = json_object_array_get_idx(pv, i);
                const char *name = hp_k8s_string(hp_k8s_field(item, "name"));
                struct json_object *to = NULL;
                for (size_t j = 0; name != NULL && j < json_object_array_length(dv); j++) {
                    struct json_object *d = json_object_array_get_idx(dv, j);
                    const char *dn = hp_k8s_string(hp_k8s_field(d, "name"));
                    to = dn != NULL && strcmp(dn, name) == 0 ? d : to;
                }
                if (json_object_is_type(to, json_type_object)) {
                    merge(to, item);
                } else {
                    json_object_array_add(dv, landed(item));
                }
            }
        } else {
            put(dst, key, landed(pv));
        }
    }
}

/* A finding of a patched object's evaluation, kept across evaluations. */
struct seen {
    enum hp_check check;
    char *path;
    char *container;
};

static bool has(const struct aud_entry *e, const struct hp_finding *f)
{
    for (size_t i = 0; i < e->n_findings; i++) {
        if (e->findings[i].check == f->check && strcmp(e->findings[i].path, f->path) == 0) {
            return true;
        }
    }
    return false;
}

/* Evaluates the resource with the patch applied. Findings that a rule
 * patched and that are still there are listed (a rule that does not do
 * what it says); findings that only the patched object has (a read-only
 * root filesystem makes a .NET container need its diagnostics off) are
 * patched in turn, or listed. Three rounds at most. */
static void verify(struct plan *p, const struct aud_entry *e, const struct hp_eval_input *in)
{
    /* The copy of the object, and the patch's own tree (a few nodes per
     * finding), are charged while both are alive: the peak of the step. */
    struct aud_json_counts c = {0};
    count(p->obj, &c);
    count(p->root, &c);
    size_t cost = aud_json_cost(&c);
    if (!hp_manifest_budget_charge(&p->cx->budget, cost)) {
        review(p, "the patched resource was not evaluated again: it does not fit in --max-memory");
        return;
    }
    struct seen added[16];
    size_t n_added = 0;
    for (int round = 0; round < 3; round++) {
        struct json_object *copy = NULL;
        if (json_object_deep_copy(p->obj, &copy, copy_node) != 0) {
            hp_oom();
        }
        merge(copy, p->root);
        struct hp_eval_input again = *in;
        again.object = copy;
        struct hp_error err;
        hp_error_clear(&err);
        bool more = false;
        if (aud_eval(p->cx, &again, &err) != HP_OK) {
            review(p, "the patched resource cannot be evaluated again");
            json_object_put(copy);
            break;
        }
        const struct hp_findings *f = &p->cx->findings;
        for (size_t i = 0; i < f->len; i++) {
            const struct hp_finding *x = &f->items[i];
            bool known = has(e, x);
            for (size_t j = 0; !known && j < n_added; j++) {
                known = added[j].check == x->check && strcmp(added[j].path, x->path) == 0;
            }
            if (known) {
                continue;
            }
            if (n_added == sizeof(added) / sizeof(added[0])) {
                break;
            }
            struct seen *s = &added[n_added++];
            s->check = x->check;
            s->path = hp_xstrdup(x->path);
            s->container = x->container != NULL ? hp_xstrdup(x->container) : NULL;
            struct aud_finding af = {
                .check = x->check,
                .path = s->path,
                .container = s->container,
                .exempt = x->exempt,
            };
            size_t notes = p->notes.len;
            if (one_finding(p, &af)) {
                p->n_patched--; /* counted as the findings of the entry only */
                char what[600];
                snprintf(what, sizeof(what), "also set %.64s %.400s: it appears once patched",
                         hp_check_name(x->check), x->path);
                review(p, what);
                more = true;
            } else if (p->notes.len > notes) {
                /* one_finding said why it is not patched; say when it appears. */
                p->notes.len = notes;
                p->notes.data[notes] = '\0';
                note(p, &af, "appears once patched, and no patch fixes it");
            }
        }
        json_object_put(copy);
        if (!more) {
            break;
        }
    }
    /* What was patched and is still there. */
    const struct hp_findings *f = &p->cx->findings;
    for (size_t i = 0; i < f->len; i++) {
        bool listed = false;
        for (size_t j = 0; j < e->n_findings && !listed; j++) {
            const struct aud_finding *o = &e->findings[j];
            listed = p->patched[j] && o->check == f->items[i].check &&
                     strcmp(o->path, f->items[i].path) == 0;
        }
        if (listed) {
            struct aud_finding af = {.check = f->items[i].check, .path = f->items[i].path};
            note(p, &af, "still there once patched");
        }
    }
    for (size_t j = 0; j < n_added; j++) {
        free(added[j].path);
        free(added[j].container);
    }
    hp_manifest_budget_release(&p->cx->budget, cost);
}

void aud_patch_entry(struct aud_ctx *cx, const struct hp_eval_input *in)
{
    struct aud_report *r = cx->report;
    if (r->stopped || r->len == 0) {
        return;
    }
    struct aud_entry *e = &r->entries[r->len - 1];
    if (e->error != NULL || e->status != AUD_EVALUATED || e->n_findings == 0) {
        return;
    }
    struct json_object *obj = in->object;
    struct plan p = {.cx = cx, .obj = obj};
    hp_buf_init(&p.notes, 0);
    const char *api_version = e->api_version != NULL ? e->api_version : "";
    const char *kind = e->kind != NULL ? e->kind : "";
    struct hp_error err;
    hp_error_clear(&err);
    enum hp_workload wl = hp_k8s_workload(api_version, kind);
    if (!kustomize_knows(api_version, kind)) {
        char why[256];
        snprintf(why, sizeof(why),
                 "kustomize has no schema for %.64s %.64s, so a strategic merge would replace its "
                 "container lists instead of merging them%s",
                 api_version, kind,
                 wl != HP_WORKLOAD_NONE && wl != HP_WORKLOAD_CUSTOM
                     ? ": move it to the current apiVersion"
                     : "");
        note(&p, NULL, why);
    } else if (e->name == NULL) {
        note(&p, NULL, "no metadata.name: a patch cannot target it");
    } else if (hp_k8s_podspec_find(obj, wl, &p.ps, &err) != HP_OK || p.ps.spec == NULL) {
        note(&p, NULL, "hardpod cannot find its pod spec");
    } else {
        p.root = json_object_new_object();
        p.patched = hp_xcalloc(e->n_findings, sizeof(*p.patched));
        for (size_t i = 0; i < e->n_findings; i++) {
            p.patched[i] = one_finding(&p, &e->findings[i]);
        }
        if (p.n_patched > 0) {
            verify(&p, e, in);
        }
        prune(p.root);
    }
    if (p.root == NULL) {
        /* The resource has no patch: each finding is listed all the same. */
        for (size_t i = 0; i < e->n_findings; i++) {
            note(&p, &e->findings[i], "no patch for this resource (above)");
        }
    }
    keep_plan(cx, e, &p);
    free(p.patched);
    json_object_put(p.root);
    hp_buf_cleanup(&p.notes);
}
