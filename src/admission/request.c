/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoding an AdmissionReview request: checks the envelope and every request
 * field hardpod reads, naming the JSON path of the first problem. Reads the
 * parsed document in place (borrowed views, no copies); never evaluates.
 * The webhook's decoder (adm_request_decode) and the one for stored reviews
 * (hp_admission_review_decode) share the rules of get_string and get_object.
 */
#include "internal.h"

#include "hardpod/k8s.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const char v1[] = "admission.k8s.io/v1";
static const char v1beta1[] = "admission.k8s.io/v1beta1";

/* A value for messages: a string quoted as hp_k8s_quote does; other types
 * as hp_k8s_describe names them. Always NUL-terminated. */
static const char *describe(struct json_object *v, char *buf, size_t size)
{
    if (!json_object_is_type(v, json_type_string)) {
        return hp_k8s_describe(v, buf, size);
    }
    return hp_k8s_quote(json_object_get_string(v), (size_t)json_object_get_string_len(v), buf,
                        size);
}

/* The member key of obj: false when absent; *out is NULL for JSON null. */
static bool member(struct json_object *obj, const char *key, struct json_object **out)
{
    *out = NULL;
    return json_object_object_get_ex(obj, key, out);
}

static enum hp_err missing_or_type(const char *path, struct json_object *v, bool present,
                                   const char *want, struct hp_error *err)
{
    char what[HP_K8S_QUOTE_MAX + 32];
    if (!present) {
        return hp_error_set(err, HP_ERR_INVALID, "%s: missing", path);
    }
    return hp_error_set(err, HP_ERR_INVALID, "%s: expected %s, got %s", path, want,
                        describe(v, what, sizeof(what)));
}

/* Reads the string member key of obj. Absent or null gives *out NULL when
 * optional and an error when required. A string holding a NUL character is
 * an error: every later comparison would see only its first part. */
static enum hp_err get_string(struct json_object *obj, const char *key, const char *path,
                              bool required, const char **out, size_t *len, struct hp_error *err)
{
    struct json_object *v;
    bool present = member(obj, key, &v);
    *out = NULL;
    if (v == NULL && !required) {
        return HP_OK;
    }
    if (!json_object_is_type(v, json_type_string)) {
        return missing_or_type(path, v, present, "string", err);
    }
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (strlen(s) != n) {
        return hp_error_set(err, HP_ERR_INVALID, "%s: contains a NUL character", path);
    }
    *out = s;
    if (len != NULL) {
        *len = n;
    }
    return HP_OK;
}

/* Reads the object member key of obj, with get_string's rules. */
static enum hp_err get_object(struct json_object *obj, const char *key, const char *path,
                              bool required, struct json_object **out, struct hp_error *err)
{
    struct json_object *v;
    bool present = member(obj, key, &v);
    *out = NULL;
    if (v == NULL && !required) {
        return HP_OK;
    }
    if (!json_object_is_type(v, json_type_object)) {
        return missing_or_type(path, v, present, "object", err);
    }
    *out = v;
    return HP_OK;
}

static enum hp_err decode_envelope(struct json_object *root, struct adm_request *r,
                                   struct hp_error *err)
{
    char what[HP_K8S_QUOTE_MAX + 32];
    struct json_object *v;
    if (!member(root, "apiVersion", &v)) {
        return hp_error_set(err, HP_ERR_INVALID, "apiVersion: missing");
    }
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    if (s != NULL && strcmp(s, v1) == 0 && (size_t)json_object_get_string_len(v) == strlen(v1)) {
        r->api_version = v1;
    } else if (s != NULL && strcmp(s, v1beta1) == 0 &&
               (size_t)json_object_get_string_len(v) == strlen(v1beta1)) {
        r->api_version = v1beta1;
        r->v1beta1 = true;
    } else {
        return hp_error_set(err, HP_ERR_INVALID, "apiVersion: expected \"%s\" or \"%s\", got %s",
                            v1, v1beta1, describe(v, what, sizeof(what)));
    }
    if (!member(root, "kind", &v)) {
        return hp_error_set(err, HP_ERR_INVALID, "kind: missing");
    }
    s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    if (s == NULL || strcmp(s, "AdmissionReview") != 0 ||
        json_object_get_string_len(v) != (int)strlen("AdmissionReview")) {
        return hp_error_set(err, HP_ERR_INVALID, "kind: expected \"AdmissionReview\", got %s",
                            describe(v, what, sizeof(what)));
    }
    return HP_OK;
}

static enum hp_err decode_kind(struct json_object *req, struct adm_request *r, struct hp_error *err)
{
    struct json_object *gvk;
    size_t n = 0;
    enum hp_err rc = get_object(req, "kind", "request.kind", true, &gvk, err);
    if (rc == HP_OK) {
        rc = get_string(gvk, "group", "request.kind.group", false, &r->group, NULL, err);
    }
    if (rc == HP_OK) {
        rc = get_string(gvk, "version", "request.kind.version", true, &r->version, &n, err);
    }
    if (rc == HP_OK && n == 0) {
        rc = hp_error_set(err, HP_ERR_INVALID, "request.kind.version: must not be empty");
    }
    if (rc == HP_OK) {
        rc = get_string(gvk, "kind", "request.kind.kind", true, &r->kind, &n, err);
    }
    if (rc == HP_OK && n == 0) {
        rc = hp_error_set(err, HP_ERR_INVALID, "request.kind.kind: must not be empty");
    }
    if (r->group == NULL) {
        r->group = "";
    }
    return rc;
}

static enum hp_err decode_operation(struct json_object *req, struct adm_request *r,
                                    struct hp_error *err)
{
    static const char *const ops[] = {"CREATE", "UPDATE", "DELETE", "CONNECT"};
    struct json_object *v;
    bool present = member(req, "operation", &v);
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    for (size_t i = 0; s != NULL && i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(s, ops[i]) == 0 && (size_t)json_object_get_string_len(v) == strlen(ops[i])) {
            r->operation = ops[i];
            r->op = (enum adm_op)i;
            return HP_OK;
        }
    }
    if (!present) {
        return hp_error_set(err, HP_ERR_INVALID, "request.operation: missing");
    }
    char what[HP_K8S_QUOTE_MAX + 32];
    return hp_error_set(err, HP_ERR_INVALID,
                        "request.operation: expected one of CREATE, UPDATE, DELETE, CONNECT, "
                        "got %s",
                        describe(v, what, sizeof(what)));
}

/* The optional request.namespace and request.userInfo.username (NULL when
 * absent), read the same way by the webhook and by hardpod audit. */
static enum hp_err decode_ns_user(struct json_object *req, const char **ns, const char **username,
                                  struct hp_error *err)
{
    struct json_object *user = NULL;
    enum hp_err rc = get_string(req, "namespace", "request.namespace", false, ns, NULL, err);
    if (rc == HP_OK) {
        rc = get_object(req, "userInfo", "request.userInfo", false, &user, err);
    }
    if (rc == HP_OK && user != NULL) {
        rc = get_string(user, "username", "request.userInfo.username", false, username, NULL, err);
    }
    return rc;
}

/* The optional request.resource, which says where the object was sent (the
 * kind alone does not: the pods resource takes other kinds on subresources). */
static enum hp_err decode_resource(struct json_object *req, struct adm_request *r,
                                   struct hp_error *err)
{
    struct json_object *gvr = NULL;
    enum hp_err rc = get_object(req, "resource", "request.resource", false, &gvr, err);
    if (rc == HP_OK && gvr != NULL) {
        rc = get_string(gvr, "group", "request.resource.group", false, &r->res_group, NULL, err);
        if (r->res_group == NULL) {
            r->res_group = "";
        }
    }
    if (rc == HP_OK && gvr != NULL) {
        rc = get_string(gvr, "resource", "request.resource.resource", false, &r->resource, NULL,
                        err);
    }
    return rc;
}

/* The optional fields: subResource, resource, namespace, name, userInfo.username, dryRun. */
static enum hp_err decode_optional(struct json_object *req, struct adm_request *r,
                                   struct hp_error *err)
{
    struct json_object *v;
    enum hp_err rc =
        get_string(req, "subResource", "request.subResource", false, &r->sub_resource, NULL, err);
    if (rc == HP_OK) {
        rc = decode_resource(req, r, err);
    }
    if (rc == HP_OK) {
        rc = get_string(req, "name", "request.name", false, &r->name, NULL, err);
    }
    if (rc == HP_OK) {
        rc = decode_ns_user(req, &r->ns, &r->username, err);
    }
    if (rc == HP_OK && member(req, "dryRun", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_boolean)) {
            rc = missing_or_type("request.dryRun", v, true, "boolean", err);
        } else {
            r->dry_run = json_object_get_boolean(v);
        }
    }
    if (r->sub_resource != NULL && r->sub_resource[0] == '\0') {
        r->sub_resource = NULL;
    }
    if (r->ns == NULL) {
        r->ns = "";
    }
    return rc;
}

/* request.name, else the object's (for DELETE the old object's) metadata.name,
 * else its generateName. */
static void resolve_name(struct adm_request *r)
{
    if (r->name != NULL && r->name[0] != '\0') {
        return;
    }
    struct json_object *obj = r->object != NULL ? r->object : r->old_object;
    struct json_object *meta = hp_k8s_field(obj, "metadata");
    const char *name = hp_k8s_string(hp_k8s_field(meta, "name"));
    const char *gen = hp_k8s_string(hp_k8s_field(meta, "generateName"));
    r->name = "";
    if (name != NULL && name[0] != '\0') {
        r->name = name;
    } else if (gen != NULL && gen[0] != '\0') {
        r->name = gen;
        r->name_generated = true;
    }
}

enum hp_err adm_request_decode(struct json_object *root, struct adm_request *r,
                               struct hp_error *err)
{
    char what[HP_K8S_QUOTE_MAX + 32];
    struct json_object *req = NULL;
    size_t uid_len = 0;
    enum hp_err rc = HP_OK;
    memset(r, 0, sizeof(*r));
    if (!json_object_is_type(root, json_type_object)) {
        rc = hp_error_set(err, HP_ERR_INVALID, "request body: expected object, got %s",
                          describe(root, what, sizeof(what)));
        goto out;
    }
    rc = decode_envelope(root, r, err);
    if (rc == HP_OK) {
        rc = get_object(root, "request", "request", true, &req, err);
    }
    if (rc == HP_OK) {
        rc = get_string(req, "uid", "request.uid", true, &r->uid, &uid_len, err);
    }
    if (rc == HP_OK && uid_len == 0) {
        rc = hp_error_set(err, HP_ERR_INVALID, "request.uid: must not be empty");
    }
    r->uid_len = uid_len;
    if (rc == HP_OK) {
        rc = decode_kind(req, r, err);
    }
    if (rc == HP_OK) {
        rc = decode_operation(req, r, err);
    }
    if (rc == HP_OK) {
        rc = decode_optional(req, r, err);
    }
    if (rc != HP_OK) {
        goto out;
    }
    /* DELETE and CONNECT are never evaluated, so their objects are not checked. */
    bool update = r->op == ADM_OP_UPDATE;
    if (update || r->op == ADM_OP_CREATE) {
        rc = get_object(req, "object", "request.object", true, &r->object, err);
    } else {
        r->object = hp_k8s_field(req, "object");
        r->old_object = hp_k8s_field(req, "oldObject");
    }
    if (rc == HP_OK && update) {
        rc = get_object(req, "oldObject", "request.oldObject", true, &r->old_object, err);
    }
    if (rc == HP_OK) {
        resolve_name(r);
    }
out:
    return rc;
}

enum hp_err hp_admission_review_decode(struct json_object *root, struct hp_admission_review *out,
                                       struct hp_error *err)
{
    struct json_object *req = NULL;
    memset(out, 0, sizeof(*out));
    enum hp_err rc = get_object(root, "request", "request", true, &req, err);
    if (rc == HP_OK) {
        rc = get_object(req, "object", "request.object", true, &out->object, err);
    }
    if (rc == HP_OK) {
        rc = decode_ns_user(req, &out->ns, &out->username, err);
    }
    if (out->ns != NULL && out->ns[0] == '\0') {
        out->ns = NULL;
    }
    return rc;
}
