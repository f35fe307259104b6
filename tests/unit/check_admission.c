/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the admission module: AdmissionReview v1 and v1beta1 round
 * trips, decisions in enforce and audit mode, exemptions, the requests that
 * are never evaluated, every class of malformed input, the caps on messages
 * and warnings, and the fixtures under tests/fixtures/admission. Every
 * response is parsed back with a strict tokener: the output is always JSON.
 */
#include "hardpod/admission.h"
#include "podpatch.h"
#include "testutil.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC_FIELDS                                                                                  \
    "\"runAsNonRoot\":true,\"runAsUser\":10001,\"runAsGroup\":10001,"                              \
    "\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true,"                          \
    "\"capabilities\":{\"drop\":[\"ALL\"]},\"seccompProfile\":{\"type\":\"RuntimeDefault\"}"
#define SC "{" SC_FIELDS ",\"privileged\":false}"
#define RES                                                                                        \
    "{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"},\"limits\":{\"cpu\":\"1\",\"memory\":"   \
    "\"128Mi\"}}"
#define CTR(name, port)                                                                            \
    "{\"name\":\"" name "\",\"image\":\"registry.example.com/shop/web:1\",\"ports\":"              \
    "[{\"containerPort\":" port "}],\"securityContext\":" SC ",\"resources\":" RES "}"
#define POD                                                                                        \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":"        \
    "\"shop\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"securityContext\":{\"runAsNonRoot\":true," \
    "\"runAsUser\":10001,\"runAsGroup\":10001,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"  \
    "\"containers\":[" CTR("app", "8080") "]}}"

static const char base_review[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"uid-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
    "\"namespace\":\"shop\",\"name\":\"web\",\"operation\":\"CREATE\","
    "\"userInfo\":{\"username\":\"alice\"},\"object\":" POD ",\"oldObject\":null,"
    "\"dryRun\":false}}";

#define O "request.object."
#define CSC O "spec.containers[0].securityContext"
#define PRIV CSC ".privileged=true"
#define PORT80 O "spec.containers[0].ports[0].containerPort=80"
#define DEBUG_PRIV                                                                                 \
    O "spec.ephemeralContainers=[{\"name\":\"debug\",\"image\":\"busybox\",\"securityContext\":"   \
      "{" SC_FIELDS ",\"privileged\":true}}]"

#define DENY_PRIV                                                                                  \
    "privileged: container \"app\" must not be privileged "                                        \
    "(spec.containers[0].securityContext.privileged)"
#define WARN_PORT                                                                                  \
    "privilegedPorts: container \"app\" declares port 80: a non-root process cannot bind ports "   \
    "below 1024 (\"SocketException (13): Permission denied\") "                                    \
    "(spec.containers[0].ports[0].containerPort)"
#define VIOLATES "Pod \"shop/web\" violates hardpod policy \"hardened\": "
#define UNREADABLE_CM                                                                              \
    "hardpod policy \"hardened\": hardpod cannot read kind \"ConfigMap\" (v1) sent for pods, so "  \
    "it cannot check the pod's containers: only a v1 Pod or EphemeralContainers object is read "   \
    "there"
#define EPH_OBJ(ctrs)                                                                              \
    "{\"apiVersion\":\"v1\",\"kind\":\"EphemeralContainers\",\"metadata\":{\"name\":\"web\","      \
    "\"namespace\":\"shop\"},\"ephemeralContainers\":" ctrs "}"
#define EPH_PRIV                                                                                   \
    "[{\"name\":\"debug\",\"image\":\"busybox\",\"securityContext\":{" SC_FIELDS                   \
    ",\"privileged\":true}}]"
#define EPH_GOOD "[{\"name\":\"debug\",\"image\":\"busybox\",\"securityContext\":" SC "}]"
#define EPH_UPDATE(ctrs)                                                                           \
    UPDATE AND "request.subResource=\"ephemeralcontainers\"" AND                                   \
               "request.kind.kind=\"EphemeralContainers\"" AND "request.object=" EPH_OBJ(ctrs) AND \
        "request.oldObject=" EPH_OBJ("[]")

/* One handler with its config and output, reused across requests as a
 * server thread reuses it. */
struct env {
    struct hp_config cfg;
    struct hp_admission a;
    struct hp_buf out;
    struct hp_admission_result res;
    struct hp_error err;
    struct json_object *resp; /* the parsed response, or NULL */
};

static void env_init(struct env *e, const char *config)
{
    memset(e, 0, sizeof(*e));
    hp_config_init(&e->cfg);
    if (config != NULL) {
        struct hp_error err;
        enum hp_err rc = hp_config_parse(config, strlen(config), "test.yaml", NULL, &e->cfg, &err);
        ck_assert_msg(rc == HP_OK, "bad test config: %s", err.msg);
    }
    hp_admission_init(&e->a);
    hp_buf_init(&e->out, 0);
}

static void env_cleanup(struct env *e)
{
    json_object_put(e->resp);
    hp_buf_cleanup(&e->out);
    hp_admission_cleanup(&e->a);
    hp_config_cleanup(&e->cfg);
}

/* Parses text strictly as exactly one JSON value; NULL when it is not. */
static struct json_object *strict_parse(const char *text, size_t len)
{
    struct json_tokener *tok = json_tokener_new_ex(1000);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

/* Handles body; on success checks that the output is one strict JSON value. */
static enum hp_err run(struct env *e, const char *body, size_t len)
{
    struct hp_admission_ctx ctx = {
        .config = &e->cfg, .profile_name = "hardened", .now = 1767225600}; /* 2026-01-01 */
    json_object_put(e->resp);
    e->resp = NULL;
    hp_error_clear(&e->err);
    enum hp_err rc = hp_admission_handle(&e->a, &ctx, body, len, &e->res, &e->out, &e->err);
    if (rc != HP_OK) {
        ck_assert_msg(e->out.len == 0, "output after an error: %s", hp_buf_str(&e->out));
        return rc;
    }
    e->resp = strict_parse(hp_buf_str(&e->out), e->out.len);
    ck_assert_msg(e->resp != NULL, "response is not JSON: %s", hp_buf_str(&e->out));
    return rc;
}

/* The value at a dotted path of o, or NULL. */
static struct json_object *at(struct json_object *o, const char *path)
{
    char key[64];
    while (o != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");
        ck_assert(n < sizeof(key));
        memcpy(key, path, n);
        key[n] = '\0';
        path += n + (path[n] == '.');
        if (!json_object_object_get_ex(o, key, &o)) {
            return NULL;
        }
    }
    return o;
}

static const char *str_at(struct json_object *o, const char *path)
{
    struct json_object *v = at(o, path);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The response's warnings joined by '\n' into buf ("" for none). */
static const char *warnings_of(struct json_object *resp, char *buf, size_t size)
{
    struct json_object *w = at(resp, "response.warnings");
    size_t used = 0;
    size_t count = w != NULL ? json_object_array_length(w) : 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? "\n" : "",
                         json_object_get_string(json_object_array_get_idx(w, i)));
        used += n > 0 && (size_t)n < size - used ? (size_t)n : 0;
    }
    return buf;
}

/* Separates patches in one string. */
#define AND "|"

/* Applies the AND-separated patches (podpatch syntax) to r. */
static void apply_all(struct json_object *r, const char *patches)
{
    char one[1024];
    while (patches != NULL && *patches != '\0') {
        size_t n = strcspn(patches, AND);
        ck_assert(n < sizeof(one));
        memcpy(one, patches, n);
        one[n] = '\0';
        pp_apply(r, one);
        patches += n + (patches[n] == AND[0]);
    }
}

/* Builds a request from base_review: applies patch; then, when update is
 * non-NULL, copies the object to oldObject and applies update. Returns the
 * serialised body (freed by the caller). */
static char *build(const char *patch, const char *update)
{
    struct json_object *r = tu_json(base_review);
    apply_all(r, patch);
    if (update != NULL) {
        struct json_object *copy = NULL;
        ck_assert_int_eq(json_object_deep_copy(at(r, "request.object"), &copy, NULL), 0);
        json_object_object_add(at(r, "request"), "oldObject", copy);
        apply_all(r, update);
    }
    char *body = strdup(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
    json_object_put(r);
    return body;
}

struct acase {
    const char *name;
    const char *config; /* YAML; NULL: the defaults */
    const char *patch;  /* AND-separated */
    const char *update; /* non-NULL: oldObject = object, then these patches */
    enum hp_decision decision;
    enum hp_skip skip;
    const char *message;    /* exact status message; NULL: allowed */
    const char *warnings;   /* exact, joined by '\n'; "" for none */
    const char *annotation; /* auditAnnotations.decision; NULL: none */
};

#define UPDATE "request.operation=\"UPDATE\""
/* An Argo Rollout whose template is the Pod. */
#define ROLLOUT                                                                                    \
    "request.kind={\"group\":\"argoproj.io\",\"version\":\"v1alpha1\",\"kind\":\"Rollout\"}" AND   \
    "request.resource={\"group\":\"argoproj.io\",\"version\":\"v1alpha1\",\"resource\":"           \
    "\"rollouts\"}" AND                                                                            \
    "request.object={\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Rollout\",\"metadata\":"   \
    "{\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":{\"template\":" POD "}}"
#define RO_PRIV O "spec.template.spec.containers[0].securityContext.privileged=true"
#define RO_DENY_PRIV                                                                               \
    "Rollout \"shop/web\" violates hardpod policy \"hardened\": privileged: container \"app\" "    \
    "must not be privileged (spec.template.spec.containers[0].securityContext.privileged)"
/* The Pod as a custom resource whose spec is a pod spec. */
#define WIDGET                                                                                     \
    "request.kind={\"group\":\"example.com\",\"version\":\"v1\",\"kind\":\"Widget\"}" AND          \
    "request.resource={\"group\":\"example.com\",\"version\":\"v1\",\"resource\":\"widgets\"}" AND \
        O "apiVersion=\"example.com/v1\"" AND O "kind=\"Widget\""
#define AUDIT_NS "namespaceModes: [{namespace: \"sh*\", mode: audit}]\n"

static const struct acase cases[] = {
    {"hardened pod allowed", NULL, NULL, NULL, HP_DECISION_ALLOWED, HP_SKIP_NONE, NULL, "", NULL},
    {"privileged denied", NULL, PRIV, NULL, HP_DECISION_DENIED, HP_SKIP_NONE, VIOLATES DENY_PRIV,
     "", "denied"},
    {"port 80 warned", NULL, PORT80, NULL, HP_DECISION_WARNED, HP_SKIP_NONE, NULL, WARN_PORT,
     "warned"},
    {"deny with a warning", NULL, PRIV AND PORT80, NULL, HP_DECISION_DENIED, HP_SKIP_NONE,
     VIOLATES DENY_PRIV, WARN_PORT, "denied"},
    {"two denials in one message", NULL, PRIV AND CSC ".allowPrivilegeEscalation=true", NULL,
     HP_DECISION_DENIED, HP_SKIP_NONE,
     VIOLATES "allowPrivilegeEscalation: container \"app\" must set "
              "securityContext.allowPrivilegeEscalation=false (it is true) "
              "(spec.containers[0].securityContext.allowPrivilegeEscalation); " DENY_PRIV,
     "", "denied"},
    {"audit mode would deny", "mode: audit\n", PRIV AND PORT80, NULL, HP_DECISION_WARNED,
     HP_SKIP_NONE, NULL, "would deny: " DENY_PRIV "\n" WARN_PORT, "would-deny"},
    {"namespaceModes audit", AUDIT_NS, PRIV, NULL, HP_DECISION_WARNED, HP_SKIP_NONE, NULL,
     "would deny: " DENY_PRIV, "would-deny"},
    {"namespaceModes other namespace enforces", AUDIT_NS, PRIV AND "request.namespace=\"prod\"",
     NULL, HP_DECISION_DENIED, HP_SKIP_NONE,
     "Pod \"prod/web\" violates hardpod policy \"hardened\": " DENY_PRIV, "", "denied"},
    {"namespace exemption", "exemptions: [{namespace: shop, reason: legacy team}]\n", PRIV, NULL,
     HP_DECISION_WARNED, HP_SKIP_NONE, NULL, "exempt: legacy team: " DENY_PRIV, "warned"},
    {"username exemption", "exemptions: [{username: alice, reason: \"break-glass\"}]\n", PRIV, NULL,
     HP_DECISION_WARNED, HP_SKIP_NONE, NULL, "exempt: break-glass: " DENY_PRIV, "warned"},
    {"username exemption for another user", "exemptions: [{username: bob, reason: x}]\n", PRIV,
     NULL, HP_DECISION_DENIED, HP_SKIP_NONE, VIOLATES DENY_PRIV, "", "denied"},
    {"DELETE skipped", NULL, PRIV AND "request.operation=\"DELETE\"", "request.object=null",
     HP_DECISION_ALLOWED, HP_SKIP_OPERATION, NULL, "", NULL},
    {"CONNECT skipped", NULL, PRIV AND "request.operation=\"CONNECT\"", NULL, HP_DECISION_ALLOWED,
     HP_SKIP_OPERATION, NULL, "", NULL},
    {"status subresource skipped", NULL, PRIV AND UPDATE AND "request.subResource=\"status\"", "",
     HP_DECISION_ALLOWED, HP_SKIP_SUBRESOURCE, NULL, "", NULL},
    {"ephemeralcontainers evaluated", NULL,
     UPDATE AND "request.subResource=\"ephemeralcontainers\"", DEBUG_PRIV, HP_DECISION_DENIED,
     HP_SKIP_NONE,
     VIOLATES "privileged: ephemeral container \"debug\" must not be privileged "
              "(spec.ephemeralContainers[0].securityContext.privileged)",
     "", "denied"},
    {"UPDATE of labels only", NULL, PRIV AND UPDATE, O "metadata.labels.team=\"x\"",
     HP_DECISION_ALLOWED, HP_SKIP_UNCHANGED, NULL, "", NULL},
    {"UPDATE of the spec", NULL, UPDATE, PRIV, HP_DECISION_DENIED, HP_SKIP_NONE, VIOLATES DENY_PRIV,
     "", "denied"},
    {"UPDATE of an AppArmor annotation", NULL, UPDATE,
     O "metadata.annotations={\"container.apparmor.security.beta.kubernetes.io/app\":"
       "\"unconfined\"}",
     HP_DECISION_DENIED, HP_SKIP_NONE,
     VIOLATES "appArmorProfile: annotation container.apparmor.security.beta.kubernetes.io/app "
              "must be runtime/default or localhost/<profile>, not \"unconfined\" "
              "(metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/app\"])",
     "", "denied"},
    {"kind without a pod spec", NULL,
     "request.kind.kind=\"ConfigMap\"" AND O "kind=\"ConfigMap\"" AND PRIV AND
     "request.resource.resource=\"configmaps\"",
     NULL, HP_DECISION_ALLOWED, HP_SKIP_NO_POD_SPEC, NULL, "", NULL},
    {"kind without a pod spec, no resource named", NULL,
     "request.kind.kind=\"ConfigMap\"" AND O "kind=\"ConfigMap\"" AND "-request.resource", NULL,
     HP_DECISION_ALLOWED, HP_SKIP_NO_POD_SPEC, NULL, "", NULL},
    {"Rollout evaluated", NULL, ROLLOUT AND RO_PRIV, NULL, HP_DECISION_DENIED, HP_SKIP_NONE,
     RO_DENY_PRIV, "", "denied"},
    {"Rollout allowed", NULL, ROLLOUT, NULL, HP_DECISION_ALLOWED, HP_SKIP_NONE, NULL, "", NULL},
    {"Rollout UPDATE of labels only", NULL, ROLLOUT AND RO_PRIV AND UPDATE,
     O "metadata.labels.team=\"x\"", HP_DECISION_ALLOWED, HP_SKIP_UNCHANGED, NULL, "", NULL},
    {"Rollout UPDATE of the template", NULL, ROLLOUT AND UPDATE, RO_PRIV, HP_DECISION_DENIED,
     HP_SKIP_NONE, RO_DENY_PRIV, "", "denied"},
    {"Rollout UPDATE to a workloadRef", NULL, ROLLOUT AND RO_PRIV AND UPDATE,
     "-" O "spec.template" AND O "spec.workloadRef={\"kind\":\"Deployment\",\"name\":\"web\"}",
     HP_DECISION_ALLOWED, HP_SKIP_NO_POD_SPEC, NULL, "", NULL},
    {"custom kind without an entry", NULL, WIDGET AND PRIV, NULL, HP_DECISION_ALLOWED,
     HP_SKIP_NO_POD_SPEC, NULL, "", NULL},
    {"custom kind from the config",
     "customKinds: [{group: example.com, kind: Widget, podSpecs: "
     "[spec]}]\n",
     WIDGET AND PRIV, NULL, HP_DECISION_DENIED, HP_SKIP_NONE,
     "Widget \"shop/web\" violates hardpod policy \"hardened\": " DENY_PRIV, "", "denied"},
    /* Whatever hardpod cannot read on the pods resource is refused, never
     * allowed as a kind without a pod spec. */
    {"unreadable kind on pods denied", NULL,
     "request.kind.kind=\"ConfigMap\"" AND O "kind=\"ConfigMap\"" AND PRIV, NULL,
     HP_DECISION_DENIED, HP_SKIP_UNREADABLE, "ConfigMap \"shop/web\" is refused by " UNREADABLE_CM,
     "", "denied"},
    {"unreadable kind on pods in audit mode", "mode: audit\n",
     "request.kind.kind=\"ConfigMap\"" AND O "kind=\"ConfigMap\"", NULL, HP_DECISION_WARNED,
     HP_SKIP_UNREADABLE, NULL,
     "would deny: hardpod cannot read kind \"ConfigMap\" (v1) sent for pods, so it cannot check "
     "the pod's containers: only a v1 Pod or EphemeralContainers object is read there",
     "would-deny"},
    {"Pod of another group on pods denied", NULL, "request.kind.group=\"example.com\"", NULL,
     HP_DECISION_DENIED, HP_SKIP_UNREADABLE,
     "Pod \"shop/web\" is refused by hardpod policy \"hardened\": hardpod cannot read kind "
     "\"Pod\" (example.com/v1) sent for pods, so it cannot check the pod's containers: only a v1 "
     "Pod or EphemeralContainers object is read there",
     "", "denied"},
    {"unreadable kind on ephemeralcontainers without a resource", NULL,
     UPDATE AND "-request.resource" AND "request.subResource=\"ephemeralcontainers\"" AND
                "request.kind.kind=\"Scale\"",
     "", HP_DECISION_DENIED, HP_SKIP_UNREADABLE,
     "Scale \"shop/web\" is refused by hardpod policy \"hardened\": hardpod cannot read kind "
     "\"Scale\" (v1) sent for pods/ephemeralcontainers, so it cannot check the pod's containers: "
     "only a v1 Pod or EphemeralContainers object is read there",
     "", "denied"},
    /* Kubernetes 1.16 to 1.21: the subresource takes an EphemeralContainers
     * object, whose containers are evaluated. */
    {"EphemeralContainers evaluated", NULL, EPH_UPDATE(EPH_PRIV), NULL, HP_DECISION_DENIED,
     HP_SKIP_NONE,
     "EphemeralContainers \"shop/web\" violates hardpod policy \"hardened\": privileged: "
     "ephemeral container \"debug\" must not be privileged "
     "(ephemeralContainers[0].securityContext.privileged)",
     "", "denied"},
    {"EphemeralContainers hardened allowed", NULL, EPH_UPDATE(EPH_GOOD), NULL, HP_DECISION_ALLOWED,
     HP_SKIP_NONE, NULL, "", NULL},
    {"EphemeralContainers without a resource named", NULL,
     EPH_UPDATE(EPH_PRIV) AND "-request.resource", NULL, HP_DECISION_DENIED, HP_SKIP_NONE,
     "EphemeralContainers \"shop/web\" violates hardpod policy \"hardened\": privileged: "
     "ephemeral container \"debug\" must not be privileged "
     "(ephemeralContainers[0].securityContext.privileged)",
     "", "denied"},
    {"generateName", NULL,
     PRIV AND "-request.name" AND "-" O "metadata.name" AND O "metadata.generateName=\"web-\"",
     NULL, HP_DECISION_DENIED, HP_SKIP_NONE,
     "Pod \"shop/web-*\" violates hardpod policy \"hardened\": " DENY_PRIV, "", "denied"},
    {"no name at all", NULL, PRIV AND "-request.name" AND "-" O "metadata.name", NULL,
     HP_DECISION_DENIED, HP_SKIP_NONE,
     "Pod \"shop/<unnamed>\" violates hardpod policy \"hardened\": " DENY_PRIV, "", "denied"},
    {"no namespace", NULL, PRIV AND "-request.namespace", NULL, HP_DECISION_DENIED, HP_SKIP_NONE,
     "Pod \"web\" violates hardpod policy \"hardened\": " DENY_PRIV, "", "denied"},
};

START_TEST(test_admission_cases)
{
    const struct acase *c = &cases[_i];
    struct env e;
    env_init(&e, c->config);
    char *body = build(c->patch, c->update);
    enum hp_err rc = run(&e, body, strlen(body));
    ck_assert_msg(rc == HP_OK, "%s: unexpected error: %s", c->name, e.err.msg);
    ck_assert_msg(e.res.decision == c->decision, "%s: decision: expected %s, got %s", c->name,
                  hp_decision_name(c->decision), hp_decision_name(e.res.decision));
    ck_assert_msg(e.res.skip == c->skip, "%s: skip: expected %s, got %s", c->name,
                  hp_skip_name(c->skip), hp_skip_name(e.res.skip));
    bool allowed = json_object_get_boolean(at(e.resp, "response.allowed"));
    ck_assert_msg(allowed == (c->message == NULL), "%s: allowed is %d", c->name, allowed);
    ck_assert_str_eq(str_at(e.resp, "response.uid"), "uid-1");
    if (c->message != NULL) {
        ck_assert_int_eq(json_object_get_int(at(e.resp, "response.status.code")), 403);
        ck_assert_str_eq(str_at(e.resp, "response.status.reason"), "Forbidden");
        const char *msg = str_at(e.resp, "response.status.message");
        ck_assert_msg(msg != NULL && strcmp(msg, c->message) == 0,
                      "%s: message:\nexpected %s\nactual   %s", c->name, c->message, msg);
    } else {
        ck_assert_msg(at(e.resp, "response.status") == NULL, "%s: status on an allow", c->name);
    }
    char buf[8192];
    const char *w = warnings_of(e.resp, buf, sizeof(buf));
    ck_assert_msg(strcmp(w, c->warnings) == 0, "%s: warnings:\nexpected %s\nactual   %s", c->name,
                  c->warnings, w);
    const char *ann = str_at(e.resp, "response.auditAnnotations.decision");
    ck_assert_msg(c->annotation == NULL ? ann == NULL : ann && !strcmp(ann, c->annotation),
                  "%s: auditAnnotations.decision: expected %s, got %s", c->name,
                  c->annotation ? c->annotation : "(none)", ann ? ann : "(none)");
    free(body);
    env_cleanup(&e);
}
END_TEST

/* The config's custom kinds are not in the read set: a config with them has
 * the whole body kept, and a body reduced under a config without them is
 * refused, never read in part. */
START_TEST(test_admission_custom_kinds_whole_body)
{
    struct env e;
    env_init(&e, "customKinds: [{group: example.com, kind: Widget, podTemplates: "
                 "[\"spec.parts[*].template\"]}]\n");
    struct json_object *r = tu_json(base_review);
    apply_all(r, WIDGET AND PRIV);
    struct json_object *obj = at(r, "request.object");
    struct json_object *parts = json_object_new_array();
    struct json_object *part = json_object_new_object();
    struct json_object *tmpl = json_object_new_object();
    json_object_object_add(tmpl, "spec", json_object_get(at(obj, "spec")));
    json_object_object_add(part, "template", tmpl);
    json_object_array_add(parts, part);
    struct json_object *spec = json_object_new_object();
    json_object_object_add(spec, "parts", parts);
    json_object_object_add(obj, "spec", spec);
    const char *body = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
    size_t len = strlen(body);

    struct hp_config plain;
    hp_config_init(&plain);
    struct hp_admission_body b;
    struct hp_error err;
    hp_admission_body_init(&b);
    ck_assert_int_eq(hp_admission_prepare(&e.a, &e.cfg, body, len, &b, &err), HP_OK);
    ck_assert(b.whole && b.text.len == len);
    struct hp_admission_ctx ctx = {.config = &e.cfg, .profile_name = "hardened", .now = 1767225600};
    ck_assert_int_eq(hp_admission_handle_body(&e.a, &ctx, &b, &e.res, &e.out, &err), HP_OK);
    ck_assert_int_eq(e.res.decision, HP_DECISION_DENIED);
    ck_assert_msg(strstr(hp_buf_str(&e.out),
                         "(spec.parts[0].template.spec.containers[0].securityContext.privileged)"),
                  "%s", hp_buf_str(&e.out));

    /* Reduced under a config without customKinds, handled under one with them. */
    ck_assert_int_eq(hp_admission_prepare(&e.a, &plain, body, len, &b, &err), HP_OK);
    ck_assert(!b.whole && b.text.len < len);
    hp_error_clear(&err);
    ck_assert_int_eq(hp_admission_handle_body(&e.a, &ctx, &b, &e.res, &e.out, &err),
                     HP_ERR_INVALID);
    ck_assert_str_eq(err.msg, "request.kind: Widget is read through the config's customKinds, "
                              "which changed while this request was read; send it again");
    /* The one-shot path keeps the whole body itself. */
    ck_assert_int_eq(run(&e, body, len), HP_OK);
    ck_assert_int_eq(e.res.decision, HP_DECISION_DENIED);

    hp_admission_body_cleanup(&b);
    hp_config_cleanup(&plain);
    json_object_put(r);
    env_cleanup(&e);
}
END_TEST

START_TEST(test_admission_result_fields)
{
    struct env e;
    env_init(&e, "mode: audit\n");
    char *body = build(PRIV AND PORT80 AND "request.dryRun=true", NULL);
    ck_assert_int_eq(run(&e, body, strlen(body)), HP_OK);
    ck_assert_str_eq(e.res.uid, "uid-1");
    ck_assert_str_eq(e.res.kind, "Pod");
    ck_assert_str_eq(e.res.ns, "shop");
    ck_assert_str_eq(e.res.name, "web");
    ck_assert_str_eq(e.res.operation, "CREATE");
    ck_assert_str_eq(e.res.username, "alice");
    ck_assert(e.res.dry_run);
    ck_assert(!e.res.v1beta1);
    ck_assert_int_eq(e.res.mode, HP_MODE_AUDIT);
    ck_assert_uint_eq(e.res.n_deny, 1);
    ck_assert_uint_eq(e.res.n_warn, 1);
    ck_assert_uint_eq(e.res.checks_fired,
                      (1u << HP_CHECK_PRIVILEGED) | (1u << HP_CHECK_PRIVILEGED_PORTS));
    ck_assert_uint_eq(e.res.findings->len, 2);
    ck_assert_str_eq(str_at(e.resp, "response.auditAnnotations.mode"), "audit");
    ck_assert_str_eq(str_at(e.resp, "response.auditAnnotations.profile"), "hardened");
    const char *f = str_at(e.resp, "response.auditAnnotations.findings");
    const char *want = "[{\"check\":\"privileged\",\"action\":\"deny\",\"container\":\"app\","
                       "\"path\":\"spec.containers[0].securityContext.privileged\"},"
                       "{\"check\":\"privilegedPorts\",\"action\":\"warn\",\"container\":\"app\","
                       "\"path\":\"spec.containers[0].ports[0].containerPort\"}]";
    ck_assert_msg(f && strcmp(f, want) == 0, "findings:\nexpected %s\nactual   %s", want, f);
    free(body);
    env_cleanup(&e);
}
END_TEST

START_TEST(test_admission_round_trip)
{
    static const char *const versions[] = {"admission.k8s.io/v1", "admission.k8s.io/v1beta1"};
    for (size_t i = 0; i < 2; i++) {
        struct env e;
        env_init(&e, NULL);
        /* A uid that needs escaping must come back byte for byte. */
        char patch[160];
        snprintf(patch, sizeof(patch), "apiVersion=\"%s\"" AND "%s", versions[i],
                 "request.uid=\"a\\\"b\\\\c\\u00e9\\n\"");
        char *body = build(patch, NULL);
        ck_assert_int_eq(run(&e, body, strlen(body)), HP_OK);
        ck_assert_str_eq(str_at(e.resp, "apiVersion"), versions[i]);
        ck_assert_str_eq(str_at(e.resp, "kind"), "AdmissionReview");
        ck_assert_str_eq(str_at(e.resp, "response.uid"), "a\"b\\c\xc3\xa9\n");
        ck_assert_int_eq(e.res.v1beta1, i == 1);
        free(body);
        env_cleanup(&e);
    }
}
END_TEST

/* Malformed bodies, given raw. */
struct raw_case {
    const char *name;
    const char *body;
    size_t len; /* 0: strlen(body) */
    const char *want;
};

static const struct raw_case raw_cases[] = {
    {"empty body", "", 0, "empty request body"},
    {"whitespace only", "  \n", 0, "invalid JSON at byte 3: unexpected end of data"},
    {"truncated", "{\"apiVersion\":\"admission.k8s.io/v1\"", 0,
     "invalid JSON at byte 35: unexpected end of data"},
    {"trailing garbage", "{\"a\":1} x", 0, "invalid JSON at byte 8: trailing data"},
    {"second document", "{}{}", 0, "invalid JSON at byte 2: trailing data"},
    {"invalid UTF-8", "{\"a\":\"\xff\"}", 0, "invalid JSON at byte 6: invalid UTF-8"},
    {"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", 0, "invalid JSON at byte 6: invalid UTF-8"},
    {"UTF-16 surrogate", "{\"a\":\"\xed\xa0\x80\"}", 0, "invalid JSON at byte 6: invalid UTF-8"},
    {"above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", 0, "invalid JSON at byte 6: invalid UTF-8"},
    {"escaped NUL in a key", "{\"a\\u0000b\":1}", 0,
     "invalid JSON at byte 3: \\u0000 (NUL) is not accepted in strings"},
    {"escaped backslash before u0000 is text", "{\"a\\\\u0000\":1}", 0, "apiVersion: missing"},
    {"truncated UTF-8 sequence", "{\"a\":\"\xe6\x97\"}", 0,
     "invalid JSON at byte 6: invalid UTF-8"},
    {"NUL in a string", "{\"a\":\"b\0c\"}", 11, "invalid JSON at byte 7: NUL byte"},
    {"NUL after the value", "{}\0", 3, "invalid JSON at byte 2: NUL byte"},
    {"single quotes", "{\"a\":'b'}", 0, "invalid JSON at byte 5: unexpected character"},
    {"trailing comma", "{\"a\":1,}", 0, "invalid JSON at byte 7: unexpected character"},
    {"a bare number", "42", 0, "request body: expected object, got integer 42"},
    {"an array", "[]", 0, "request body: expected object, got array"},
    /* One pass finds the first fault, but the kinds keep their order: bad
     * UTF-8 anywhere, then an escaped NUL anywhere, then the syntax. */
    {"bad UTF-8 after a syntax fault", "{\"a\":'b',\"c\":\"\xff\"}", 0,
     "invalid JSON at byte 14: invalid UTF-8"},
    {"bad UTF-8 outside a string", "{\"a\":1}\xc3", 0, "invalid JSON at byte 7: invalid UTF-8"},
    {"bad UTF-8 after an escaped NUL", "{\"\\u0000\":\"\xc0\xaf\"}", 0,
     "invalid JSON at byte 11: invalid UTF-8"},
    {"escaped NUL after a syntax fault", "{\"a\" 1, \"b\\u0000\":1}", 0,
     "invalid JSON at byte 10: \\u0000 (NUL) is not accepted in strings"},
    {"escaped NUL after trailing data", "{} \\\\\\u0000", 0,
     "invalid JSON at byte 5: \\u0000 (NUL) is not accepted in strings"},
    {"valid UTF-8 across a fault", "{\"a\":x\xc3\xa9}", 0,
     "invalid JSON at byte 5: unexpected character"},
};

START_TEST(test_admission_malformed_syntax)
{
    const struct raw_case *c = &raw_cases[_i];
    struct env e;
    env_init(&e, NULL);
    size_t len = c->len ? c->len : strlen(c->body);
    ck_assert_int_eq(run(&e, c->body, len), HP_ERR_INVALID);
    ck_assert_msg(strcmp(e.err.msg, c->want) == 0, "%s:\nexpected %s\nactual   %s", c->name,
                  c->want, e.err.msg);
    env_cleanup(&e);
}
END_TEST

START_TEST(test_admission_deep_nesting)
{
    struct env e;
    env_init(&e, NULL);
    size_t n = 100000;
    char *body = malloc(2 * n);
    memset(body, '[', n);
    memset(body + n, ']', n);
    ck_assert_int_eq(run(&e, body, 2 * n), HP_ERR_INVALID);
    ck_assert_str_eq(e.err.msg, "invalid JSON at byte 64: nesting depth exceeds 64");
    free(body);
    env_cleanup(&e);
}
END_TEST

/* Well-formed JSON that is not a valid AdmissionReview. */
struct schema_case {
    const char *name;
    const char *patch;
    const char *want;
};

static const struct schema_case schema_cases[] = {
    {"wrong apiVersion", "apiVersion=\"admission.k8s.io/v2\"",
     "apiVersion: expected \"admission.k8s.io/v1\" or \"admission.k8s.io/v1beta1\", got "
     "\"admission.k8s.io/v2\""},
    {"apiVersion a number", "apiVersion=1",
     "apiVersion: expected \"admission.k8s.io/v1\" or \"admission.k8s.io/v1beta1\", got "
     "integer 1"},
    {"missing apiVersion", "-apiVersion", "apiVersion: missing"},
    {"wrong kind", "kind=\"AdmissionResponse\"",
     "kind: expected \"AdmissionReview\", got \"AdmissionResponse\""},
    {"missing request", "-request", "request: missing"},
    {"request null", "request=null", "request: expected object, got null"},
    {"missing uid", "-request.uid", "request.uid: missing"},
    {"empty uid", "request.uid=\"\"", "request.uid: must not be empty"},
    {"uid a number", "request.uid=7", "request.uid: expected string, got integer 7"},
    {"kind a string", "request.kind=\"Pod\"", "request.kind: expected object, got \"Pod\""},
    {"empty kind.kind", "request.kind.kind=\"\"", "request.kind.kind: must not be empty"},
    {"missing kind.version", "-request.kind.version", "request.kind.version: missing"},
    {"wrong operation", "request.operation=\"PATCH\"",
     "request.operation: expected one of CREATE, UPDATE, DELETE, CONNECT, got \"PATCH\""},
    {"lowercase operation", "request.operation=\"create\"",
     "request.operation: expected one of CREATE, UPDATE, DELETE, CONNECT, got \"create\""},
    {"long operation is cut",
     "request.operation=\"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ\"",
     "request.operation: expected one of CREATE, UPDATE, DELETE, CONNECT, got "
     "\"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUV...\""},
    {"missing operation", "-request.operation", "request.operation: missing"},
    {"object a string", "request.object=\"x\"", "request.object: expected object, got \"x\""},
    {"object missing on CREATE", "-request.object", "request.object: missing"},
    {"oldObject missing on UPDATE", "request.operation=\"UPDATE\"",
     "request.oldObject: expected object, got null"},
    {"namespace a number", "request.namespace=1",
     "request.namespace: expected string, got integer 1"},
    {"dryRun a string", "request.dryRun=\"true\"",
     "request.dryRun: expected boolean, got \"true\""},
    {"userInfo an array", "request.userInfo=[]", "request.userInfo: expected object, got array"},
    {"containers not an array", O "spec.containers={}",
     "request.object.spec.containers: expected array, got object"},
    {"container not an object", O "spec.containers=[1]",
     "request.object.spec.containers[0]: expected object, got integer 1"},
    {"spec missing", "-" O "spec", "request.object.spec: missing"},
};

START_TEST(test_admission_malformed_schema)
{
    const struct schema_case *c = &schema_cases[_i];
    struct env e;
    env_init(&e, NULL);
    char *body = build(c->patch, NULL);
    ck_assert_int_eq(run(&e, body, strlen(body)), HP_ERR_INVALID);
    ck_assert_msg(strcmp(e.err.msg, c->want) == 0, "%s:\nexpected %s\nactual   %s", c->name,
                  c->want, e.err.msg);
    free(body);
    env_cleanup(&e);
}
END_TEST

/* True when s[0..n) is valid UTF-8. */
static bool valid_utf8(const char *s, size_t n)
{
    struct json_object *o = NULL;
    char *q = malloc(n + 3);
    q[0] = '"';
    memcpy(q + 1, s, n);
    q[n + 1] = '"';
    o = strict_parse(q, n + 2);
    bool ok = o != NULL;
    json_object_put(o);
    free(q);
    return ok;
}

START_TEST(test_admission_warning_truncation)
{
    /* A long exemption reason of 3-byte characters, shifted by 0 to 2 ASCII
     * bytes so that the 252-byte cut lands on every position in a character. */
    for (size_t shift = 0; shift < 3; shift++) {
        char reason[512] = "";
        size_t used = 0;
        used += (size_t)snprintf(reason, sizeof(reason), "%.*s", (int)shift, "ab");
        for (int i = 0; i < 100; i++) {
            used += (size_t)snprintf(reason + used, sizeof(reason) - used, "\xe6\x97\xa5");
        }
        char config[700];
        snprintf(config, sizeof(config), "exemptions: [{namespace: shop, reason: \"%s\"}]\n",
                 reason);
        struct env e;
        env_init(&e, config);
        char *body = build(PRIV, NULL);
        ck_assert_int_eq(run(&e, body, strlen(body)), HP_OK);
        char full[1024];
        snprintf(full, sizeof(full), "exempt: %s: " DENY_PRIV, reason);
        size_t cut = HP_ADMISSION_MAX_WARNING - 3;
        while (cut > 0 && ((unsigned char)full[cut] & 0xC0) == 0x80) {
            cut--;
        }
        char want[HP_ADMISSION_MAX_WARNING + 1];
        snprintf(want, sizeof(want), "%.*s...", (int)cut, full);
        char buf[2048];
        const char *w = warnings_of(e.resp, buf, sizeof(buf));
        ck_assert_msg(strcmp(w, want) == 0, "shift %zu:\nexpected %s\nactual   %s", shift, want, w);
        ck_assert_uint_le(strlen(w), HP_ADMISSION_MAX_WARNING);
        ck_assert(valid_utf8(w, strlen(w)));
        free(body);
        env_cleanup(&e);
    }
}
END_TEST

/* A Pod with n containers, each listening on port 80 and privileged when asked. */
static char *many_containers(size_t n, bool privileged)
{
    struct json_object *r = tu_json(base_review);
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = tu_json(CTR("c", "80"));
        char name[32];
        snprintf(name, sizeof(name), "c%zu", i);
        json_object_object_add(c, "name", json_object_new_string(name));
        if (privileged) {
            pp_apply(c, "securityContext.privileged=true");
        }
        json_object_array_add(list, c);
    }
    json_object_object_add(at(r, "request.object.spec"), "containers", list);
    char *body = strdup(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
    json_object_put(r);
    return body;
}

/* ---- the namespace's hardpod.dev labels (the webhook path) ------------------ */

#define NO_LABEL -1
#define RO_FALSE CSC ".readOnlyRootFilesystem=false"
#define DENY_RO                                                                                    \
    "readOnlyRootFilesystem: container \"app\" must set securityContext.readOnlyRootFilesystem="   \
    "true (it is false) (spec.containers[0].securityContext.readOnlyRootFilesystem)"

struct lcase {
    const char *name;
    const char *config; /* YAML; NULL: the defaults */
    const char *patch;
    const char *update; /* non-NULL: an UPDATE (see build) */
    int enforce;        /* enum hp_profile of hardpod.dev/enforce, or NO_LABEL */
    int warn;           /* of hardpod.dev/warn, or NO_LABEL */
    const char *bad;    /* the label that names no profile, or NULL */
    enum hp_decision decision;
    const char *message;    /* the exact status message; NULL: allowed */
    const char *warnings;   /* exact, joined by '\n' */
    const char *annotation; /* auditAnnotations.warnDecision; NULL: none */
};

static const struct lcase lcases[] = {
    {"no label: the config's profile (hardened) denies", NULL, RO_FALSE, NULL, NO_LABEL, NO_LABEL,
     NULL, HP_DECISION_DENIED, VIOLATES DENY_RO, "", NULL},
    {"enforce psa-baseline admits what hardened denies", NULL, RO_FALSE, NULL,
     HP_PROFILE_PSA_BASELINE, NO_LABEL, NULL, HP_DECISION_ALLOWED, NULL, "", NULL},
    {"enforce psa-baseline still denies a privileged container", NULL, PRIV, NULL,
     HP_PROFILE_PSA_BASELINE, NO_LABEL, NULL, HP_DECISION_DENIED,
     "Pod \"shop/web\" violates hardpod policy \"psa-baseline\": " DENY_PRIV, "", NULL},
    {"enforce none admits a privileged container", NULL, PRIV, NULL, HP_PROFILE_NONE, NO_LABEL,
     NULL, HP_DECISION_ALLOWED, NULL, "", NULL},
    {"enforce hardened overrides the config's audit mode", "mode: audit\n", RO_FALSE, NULL,
     HP_PROFILE_HARDENED, NO_LABEL, NULL, HP_DECISION_DENIED, VIOLATES DENY_RO, "", NULL},
    {"enforce hardened overrides namespaceModes",
     "namespaceModes:\n  - {namespace: shop, mode: audit}\n", RO_FALSE, NULL, HP_PROFILE_HARDENED,
     NO_LABEL, NULL, HP_DECISION_DENIED, VIOLATES DENY_RO, "", NULL},
    {"warn hardened over enforce psa-baseline: the findings are warnings", NULL, RO_FALSE, NULL,
     HP_PROFILE_PSA_BASELINE, HP_PROFILE_HARDENED, NULL, HP_DECISION_WARNED, NULL,
     "hardened would deny: " DENY_RO, "would-deny"},
    {"warn psa-baseline over enforce psa-baseline: nothing found", NULL, RO_FALSE, NULL,
     HP_PROFILE_PSA_BASELINE, HP_PROFILE_PSA_BASELINE, NULL, HP_DECISION_ALLOWED, NULL, "", NULL},
    {"no warnings from warn when enforce denies", NULL, RO_FALSE AND PRIV, NULL,
     HP_PROFILE_PSA_BASELINE, HP_PROFILE_HARDENED, NULL, HP_DECISION_DENIED,
     "Pod \"shop/web\" violates hardpod policy \"psa-baseline\": " DENY_PRIV, "", "would-deny"},
    {"warn alone: the config's profile and mode still decide", "mode: audit\n", RO_FALSE, NULL,
     NO_LABEL, HP_PROFILE_PSA_BASELINE, NULL, HP_DECISION_WARNED, NULL, "would deny: " DENY_RO,
     "allowed"},
    {"warn alone in enforce mode: denied by the config's profile", NULL, RO_FALSE, NULL, NO_LABEL,
     HP_PROFILE_PSA_RESTRICTED, NULL, HP_DECISION_DENIED, VIOLATES DENY_RO, "", "allowed"},
    {"the config's check overrides apply on top of the label's profile",
     "checks:\n  readOnlyRootFilesystem: off\n", RO_FALSE, NULL, HP_PROFILE_HARDENED, NO_LABEL,
     NULL, HP_DECISION_ALLOWED, NULL, "", NULL},
    {"a check the config turns on applies under the label's profile too",
     "checks:\n  readOnlyRootFilesystem: warn\n", RO_FALSE, NULL, HP_PROFILE_PSA_BASELINE, NO_LABEL,
     NULL, HP_DECISION_WARNED, NULL, DENY_RO, NULL},
    {"warn repeats no finding that enforce already reported",
     "checks:\n  readOnlyRootFilesystem: warn\n", RO_FALSE, NULL, HP_PROFILE_HARDENED,
     HP_PROFILE_HARDENED, NULL, HP_DECISION_WARNED, NULL, DENY_RO, "warned"},
    {"exemptions apply under the label's profile",
     "exemptions:\n  - {namespace: shop, reason: legacy}\n", RO_FALSE, NULL, HP_PROFILE_HARDENED,
     NO_LABEL, NULL, HP_DECISION_WARNED, NULL, "exempt: legacy: " DENY_RO, NULL},
    {"a bad enforce label denies a clean Pod", NULL, "", NULL, NO_LABEL, NO_LABEL,
     "hardpod.dev/enforce", HP_DECISION_DENIED,
     "Pod \"shop/web\" is refused by hardpod: the label hardpod.dev/enforce of namespace \"shop\" "
     "is not a hardpod profile offered in this cluster (hardpod's profiles: hardened, "
     "psa-restricted, psa-baseline, none); every Pod and workload there is refused until the "
     "label is corrected or removed",
     "", NULL},
    {"a bad warn label denies in audit mode too", "mode: audit\n", "", NULL, NO_LABEL, NO_LABEL,
     "hardpod.dev/warn", HP_DECISION_DENIED,
     "Pod \"shop/web\" is refused by hardpod: the label hardpod.dev/warn of namespace \"shop\" "
     "is not a hardpod profile offered in this cluster (hardpod's profiles: hardened, "
     "psa-restricted, psa-baseline, none); every Pod and workload there is refused until the "
     "label is corrected or removed",
     "", NULL},
    {"a bad label lets a metadata-only update through", NULL, "",
     UPDATE AND O "metadata.labels.x=\"1\"", NO_LABEL, NO_LABEL, "hardpod.dev/enforce",
     HP_DECISION_ALLOWED, NULL, "", NULL},
};

START_TEST(test_admission_namespace_labels)
{
    const struct lcase *c = &lcases[_i];
    struct hp_config by_profile[HP_PROFILE_NONE + 1];
    struct env e;
    env_init(&e, c->config);
    for (int p = 0; p <= HP_PROFILE_NONE; p++) {
        const enum hp_profile profile = (enum hp_profile)p;
        const char *text = c->config != NULL ? c->config : "";
        struct hp_error err;
        hp_config_init(&by_profile[p]);
        ck_assert_int_eq(
            hp_config_parse(text, strlen(text), "test.yaml", &profile, &by_profile[p], &err),
            HP_OK);
    }
    static const enum hp_mode enforce = HP_MODE_ENFORCE;
    struct hp_admission_ctx ctx = {
        .config = &e.cfg, .profile_name = "hardened", .now = 1767225600, .bad_label = c->bad};
    if (c->enforce != NO_LABEL) {
        ctx.config = &by_profile[c->enforce];
        ctx.profile_name = hp_profile_name((enum hp_profile)c->enforce);
        ctx.mode = &enforce;
    }
    if (c->warn != NO_LABEL) {
        ctx.warn = &by_profile[c->warn].policy;
        ctx.warn_name = hp_profile_name((enum hp_profile)c->warn);
    }
    char *body = build(c->patch, c->update);
    enum hp_err rc = hp_admission_handle(&e.a, &ctx, body, strlen(body), &e.res, &e.out, &e.err);
    ck_assert_msg(rc == HP_OK, "%s: %s", c->name, e.err.msg);
    struct json_object *resp = strict_parse(hp_buf_str(&e.out), e.out.len);
    ck_assert_msg(resp != NULL, "%s: response is not JSON: %s", c->name, hp_buf_str(&e.out));
    ck_assert_msg(e.res.decision == c->decision, "%s: decision %s, expected %s\n%s", c->name,
                  hp_decision_name(e.res.decision), hp_decision_name(c->decision),
                  hp_buf_str(&e.out));
    const char *msg = str_at(resp, "response.status.message");
    if (c->message == NULL) {
        ck_assert_msg(msg == NULL, "%s: unexpected message %s", c->name, msg);
    } else {
        ck_assert_msg(msg != NULL && strcmp(msg, c->message) == 0,
                      "%s:\nexpected message: %s\nactual:           %s", c->name, c->message,
                      msg != NULL ? msg : "(none)");
    }
    char warnings[4096];
    warnings_of(resp, warnings, sizeof(warnings));
    ck_assert_msg(strcmp(warnings, c->warnings) == 0, "%s:\nexpected warnings: %s\nactual:    %s",
                  c->name, c->warnings, warnings);
    const char *wd = str_at(resp, "response.auditAnnotations.warnDecision");
    ck_assert_msg((wd == NULL && c->annotation == NULL) ||
                      (wd != NULL && c->annotation != NULL && strcmp(wd, c->annotation) == 0),
                  "%s: warnDecision %s, expected %s", c->name, wd ? wd : "(none)",
                  c->annotation ? c->annotation : "(none)");
    json_object_put(resp);
    free(body);
    for (int p = 0; p <= HP_PROFILE_NONE; p++) {
        hp_config_cleanup(&by_profile[p]);
    }
    env_cleanup(&e);
}
END_TEST

/* The warn profile's warnings share the response's cap of 64 with the
 * enforced ones, and what does not fit is counted. */
START_TEST(test_admission_warn_label_cap)
{
    struct env e;
    env_init(&e, NULL);
    struct hp_policy hardened;
    hp_policy_init(&hardened, HP_PROFILE_HARDENED);
    struct hp_config baseline;
    hp_config_init(&baseline);
    hp_policy_cleanup(&baseline.policy);
    hp_policy_init(&baseline.policy, HP_PROFILE_PSA_BASELINE);
    static const enum hp_mode enforce = HP_MODE_ENFORCE;
    struct hp_admission_ctx ctx = {.config = &baseline,
                                   .profile_name = "psa-baseline",
                                   .now = 1767225600,
                                   .mode = &enforce,
                                   .warn = &hardened,
                                   .warn_name = "hardened"};
    char *body = many_containers(70, false);
    ck_assert_int_eq(hp_admission_handle(&e.a, &ctx, body, strlen(body), &e.res, &e.out, &e.err),
                     HP_OK);
    struct json_object *resp = strict_parse(hp_buf_str(&e.out), e.out.len);
    ck_assert_ptr_nonnull(resp);
    struct json_object *w = at(resp, "response.warnings");
    ck_assert_uint_eq(json_object_array_length(w), 64);
    const char *last = json_object_get_string(json_object_array_get_idx(w, 63));
    ck_assert_msg(strncmp(last, "... and at most ", 16) == 0 &&
                      strstr(last, " more findings under hardened") != NULL,
                  "last warning: %s", last);
    ck_assert_msg(
        strncmp(json_object_get_string(json_object_array_get_idx(w, 0)), "hardened ", 9) == 0,
        "first warning: %s", json_object_get_string(json_object_array_get_idx(w, 0)));
    json_object_put(resp);
    free(body);
    hp_config_cleanup(&baseline);
    hp_policy_cleanup(&hardened);
    env_cleanup(&e);
}
END_TEST

START_TEST(test_admission_warning_count_cap)
{
    struct env e;
    env_init(&e, NULL);
    char *body = many_containers(70, false);
    ck_assert_int_eq(run(&e, body, strlen(body)), HP_OK);
    ck_assert_int_eq(e.res.decision, HP_DECISION_WARNED);
    ck_assert_uint_eq(e.res.n_warn, 70);
    struct json_object *w = at(e.resp, "response.warnings");
    ck_assert_uint_eq(json_object_array_length(w), 64);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(w, 63)),
                     "... and 7 more findings");
    free(body);
    env_cleanup(&e);
}
END_TEST

START_TEST(test_admission_message_and_annotation_caps)
{
    struct env e;
    env_init(&e, NULL);
    char *body = many_containers(500, true);
    ck_assert_int_eq(run(&e, body, strlen(body)), HP_OK);
    ck_assert_int_eq(e.res.decision, HP_DECISION_DENIED);
    ck_assert_uint_eq(e.res.n_deny, 500);
    const char *msg = str_at(e.resp, "response.status.message");
    size_t len = strlen(msg);
    ck_assert_uint_le(len, 32 * 1024);
    ck_assert_uint_gt(len, 30 * 1024);
    const char *more = strstr(msg, "; ... and ");
    ck_assert_msg(more != NULL, "no truncation mark at the end of %s", msg + len - 80);
    size_t shown = 0;
    for (const char *p = msg; (p = strstr(p, "privileged: container")) != NULL; p++) {
        shown++;
    }
    char tail[64];
    snprintf(tail, sizeof(tail), "; ... and %zu more", 500 - shown);
    ck_assert_str_eq(more, tail);
    const char *f = str_at(e.resp, "response.auditAnnotations.findings");
    ck_assert_uint_le(strlen(f), 16 * 1024);
    struct json_object *arr = strict_parse(f, strlen(f));
    ck_assert_msg(arr != NULL, "findings annotation is not JSON: %s", f);
    size_t n = json_object_array_length(arr);
    struct json_object *last = json_object_array_get_idx(arr, n - 1);
    ck_assert_int_eq(json_object_get_int(at(last, "omitted")), (int)(1000 - (n - 1)));
    json_object_put(arr);
    free(body);
    env_cleanup(&e);
}
END_TEST

START_TEST(test_admission_escaping)
{
    /* Names with quotes, backslashes, control characters and non-ASCII
     * text end up in the message, warnings and annotations. */
    struct env e;
    env_init(&e, NULL);
    /* json-c accepts overlong UTF-8 (\xc0\xaf): the output must not. */
    char *body =
        build(PRIV AND PORT80 AND O "spec.containers[0].name=\"a\\\"b\\\\c\\n\\u0001\\u00e9\"" AND
                                    "request.name=\"w\\\"e\"",
              NULL);
    ck_assert_int_eq(run(&e, body, strlen(body)), HP_OK);
    const char *msg = str_at(e.resp, "response.status.message");
    ck_assert_msg(strstr(msg, "Pod \"shop/w\"e\" violates") == msg, "message: %s", msg);
    ck_assert_msg(strstr(msg, "container \"a\"b\\c\n\x01\xc3\xa9\" must not be privileged"),
                  "message: %s", msg);
    const char *f = str_at(e.resp, "response.auditAnnotations.findings");
    struct json_object *arr = strict_parse(f, strlen(f));
    ck_assert_msg(arr != NULL, "findings annotation is not JSON: %s", f);
    ck_assert_str_eq(str_at(json_object_array_get_idx(arr, 0), "container"),
                     "a\"b\\c\n\x01\xc3\xa9");
    json_object_put(arr);
    free(body);
    env_cleanup(&e);
}
END_TEST

START_TEST(test_admission_escaping_every_ascii_byte)
{
    /* Bytes 0x01..0x7f in the name (message, escaped once) and in a
     * container name (findings annotation, escaped twice) come back intact. */
    char all[128];
    for (int c = 1; c < 128; c++) {
        all[c - 1] = (char)c;
    }
    all[127] = '\0';
    struct json_object *r = tu_json(base_review);
    pp_apply(r, PRIV);
    json_object_object_add(at(r, "request"), "name", json_object_new_string(all));
    struct json_object *ctr = json_object_array_get_idx(at(r, "request.object.spec.containers"), 0);
    json_object_object_add(ctr, "name", json_object_new_string(all));
    const char *body = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
    struct env e;
    env_init(&e, NULL);
    ck_assert_int_eq(run(&e, body, strlen(body)), HP_OK);
    char want[256];
    snprintf(want, sizeof(want), "Pod \"shop/%s\" violates ", all);
    const char *msg = str_at(e.resp, "response.status.message");
    ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "message: %s", msg);
    const char *f = str_at(e.resp, "response.auditAnnotations.findings");
    struct json_object *arr = strict_parse(f, strlen(f));
    ck_assert_msg(arr != NULL, "findings annotation is not JSON: %s", f);
    ck_assert_str_eq(str_at(json_object_array_get_idx(arr, 0), "container"), all);
    json_object_put(arr);
    json_object_put(r);
    env_cleanup(&e);
}
END_TEST

START_TEST(test_admission_large_body)
{
    struct env e;
    env_init(&e, NULL);
    struct json_object *r = tu_json(base_review);
    size_t n = 1024 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    json_object_object_add(at(r, "request.object.metadata"), "annotations",
                           json_object_new_object());
    json_object_object_add(at(r, "request.object.metadata.annotations"), "example.com/blob",
                           json_object_new_string(big));
    const char *body = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
    size_t len = strlen(body);
    ck_assert_uint_gt(len, n);
    /* Twice: the reused tokener and findings must not keep state. */
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(run(&e, body, len), HP_OK);
        ck_assert_int_eq(e.res.decision, HP_DECISION_ALLOWED);
        ck_assert_int_eq(e.res.skip, HP_SKIP_NONE);
    }
    free(big);
    json_object_put(r);
    env_cleanup(&e);
}
END_TEST

struct fixture_case {
    const char *file;
    enum hp_err rc;
    enum hp_decision decision;
    enum hp_skip skip;
    const char *api_version;
    const char *message; /* a prefix of the deny message, or of the error */
    size_t n_warnings;
};

static const struct fixture_case fixtures[] = {
    {"hardened-deployment.json", HP_OK, HP_DECISION_ALLOWED, HP_SKIP_NONE, "admission.k8s.io/v1",
     NULL, 0},
    {"aspnet-template-deployment.json", HP_OK, HP_DECISION_DENIED, HP_SKIP_NONE,
     "admission.k8s.io/v1",
     "Deployment \"shop/webapp\" violates hardpod policy \"hardened\": runAsNonRoot: container "
     "\"webapp\" must set securityContext.runAsNonRoot=true "
     "(spec.template.spec.containers[0].securityContext.runAsNonRoot); runAsUser: ",
     3},
    {"pod-bad-init.json", HP_OK, HP_DECISION_DENIED, HP_SKIP_NONE, "admission.k8s.io/v1",
     "Pod \"shop/web\" violates hardpod policy \"hardened\": runAsNonRoot: init container "
     "\"setup\" must set securityContext.runAsNonRoot=true (it is false) "
     "(spec.initContainers[0].securityContext.runAsNonRoot); runAsUser: init container \"setup\" "
     "must set securityContext.runAsUser to an integer >= 1, not 0 "
     "(spec.initContainers[0].securityContext.runAsUser); allowPrivilegeEscalation: ",
     0},
    {"update-metadata-only.json", HP_OK, HP_DECISION_ALLOWED, HP_SKIP_UNCHANGED,
     "admission.k8s.io/v1", NULL, 0},
    {"v1beta1-pod.json", HP_OK, HP_DECISION_WARNED, HP_SKIP_NONE, "admission.k8s.io/v1beta1", NULL,
     1},
    {"crd-analysistemplate.json", HP_OK, HP_DECISION_DENIED, HP_SKIP_NONE, "admission.k8s.io/v1",
     "AnalysisTemplate \"shop/api\" violates hardpod policy \"hardened\": hostNamespaces: pod "
     "must not share the host's namespaces: hostPID must be false "
     "(spec.metrics[2].provider.job.spec.template.spec.hostPID); privileged: container \"load\" "
     "must not be privileged "
     "(spec.metrics[2].provider.job.spec.template.spec.containers[0].securityContext.privileged)",
     0},
    {"crd-experiment.json", HP_OK, HP_DECISION_DENIED, HP_SKIP_NONE, "admission.k8s.io/v1",
     "Experiment \"shop/api\" violates hardpod policy \"hardened\": hostNamespaces: pod must not "
     "share the host's namespaces: hostPID must be false (spec.templates[1].template.spec.hostPID)",
     0},
    {"crd-scaledjob-pass.json", HP_OK, HP_DECISION_ALLOWED, HP_SKIP_NONE, "admission.k8s.io/v1",
     NULL, 0},
    {"crd-rollout-update-metadata.json", HP_OK, HP_DECISION_ALLOWED, HP_SKIP_UNCHANGED,
     "admission.k8s.io/v1", NULL, 0},
    {"crd-analysisrun-update.json", HP_OK, HP_DECISION_DENIED, HP_SKIP_NONE, "admission.k8s.io/v1",
     "AnalysisRun \"shop/api\" violates hardpod policy \"hardened\": hostNamespaces: pod must "
     "not share the host's namespaces: hostPID must be false "
     "(spec.metrics[2].provider.job.spec.template.spec.hostPID)",
     0},
    {"malformed.json", HP_ERR_INVALID, HP_DECISION_ALLOWED, HP_SKIP_NONE, NULL,
     "invalid JSON at byte ", 0},
};

START_TEST(test_admission_fixtures)
{
    /* One handler for every fixture, in order, as a server thread reuses it. */
    struct env e;
    env_init(&e, NULL);
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        const struct fixture_case *c = &fixtures[i];
        char path[1024];
        snprintf(path, sizeof(path), "%s/admission/%s", tu_fixtures_dir(), c->file);
        size_t len;
        char *body = tu_read_file(path, &len);
        enum hp_err rc = run(&e, body, len);
        ck_assert_msg(rc == c->rc, "%s: expected rc %d, got %d (%s)", c->file, c->rc, rc,
                      e.err.msg);
        if (rc != HP_OK) {
            ck_assert_msg(strncmp(e.err.msg, c->message, strlen(c->message)) == 0,
                          "%s: expected %s..., got %s", c->file, c->message, e.err.msg);
            ck_assert_msg(strstr(e.err.msg, "unexpected end of data"), "%s", e.err.msg);
            free(body);
            continue;
        }
        ck_assert_msg(e.res.decision == c->decision && e.res.skip == c->skip,
                      "%s: expected %s/%s, got %s/%s", c->file, hp_decision_name(c->decision),
                      hp_skip_name(c->skip), hp_decision_name(e.res.decision),
                      hp_skip_name(e.res.skip));
        ck_assert_str_eq(str_at(e.resp, "apiVersion"), c->api_version);
        const char *msg = str_at(e.resp, "response.status.message");
        ck_assert_msg(c->message ? msg && !strncmp(msg, c->message, strlen(c->message)) : !msg,
                      "%s: message:\nexpected %s...\nactual   %s", c->file,
                      c->message ? c->message : "(none)", msg ? msg : "(none)");
        struct json_object *w = at(e.resp, "response.warnings");
        size_t nw = w != NULL ? json_object_array_length(w) : 0;
        ck_assert_msg(nw == c->n_warnings, "%s: expected %zu warnings, got %zu", c->file,
                      c->n_warnings, nw);
        free(body);
    }
    env_cleanup(&e);
}
END_TEST

START_TEST(test_admission_corpus)
{
    const char *dir = tu_corpus_dir();
    if (dir == NULL) {
        printf("test_admission_corpus: SKIP: no corpus (HP_CORPUS_DIR)\n");
        return;
    }
    struct env e;
    env_init(&e, NULL);
    char path[1024];
    size_t len;
    snprintf(path, sizeof(path),
             "%s/admissionreview/k8s-api-testdata/"
             "admission.k8s.io.v1.AdmissionReview.json",
             dir);
    char *body = tu_read_file(path, &len);
    ck_assert_int_eq(run(&e, body, len), HP_ERR_INVALID);
    ck_assert_str_eq(e.err.msg, "request.operation: expected one of CREATE, UPDATE, DELETE, "
                                "CONNECT, got \"operationValue\"");
    free(body);
    snprintf(path, sizeof(path), "%s/admissionreview/k8s-docs/request-scale-update.v1.derived.json",
             dir);
    body = tu_read_file(path, &len);
    ck_assert_int_eq(run(&e, body, len), HP_OK);
    ck_assert_int_eq(e.res.decision, HP_DECISION_ALLOWED);
    ck_assert_int_eq(e.res.skip, HP_SKIP_SUBRESOURCE);
    ck_assert_str_eq(str_at(e.resp, "response.uid"), "705ab4f5-6393-11e8-b7cc-42010a800002");
    free(body);
    env_cleanup(&e);
}
END_TEST

/* The reader of stored reviews (hardpod audit) applies the webhook's rules. */
START_TEST(test_admission_review_decode)
{
    static const struct {
        const char *json;
        const char *want; /* NULL: decodes */
        const char *ns, *username;
    } reviews[] = {
        {"{\"request\":{\"object\":{}}}", NULL, NULL, NULL},
        {"{\"request\":{\"object\":{},\"namespace\":\"\",\"userInfo\":{}}}", NULL, NULL, NULL},
        {"{\"request\":{\"object\":{},\"namespace\":\"shop\",\"userInfo\":{\"username\":\"u\"}}}",
         NULL, "shop", "u"},
        {"{\"response\":{}}", "request: missing", NULL, NULL},
        {"{\"request\":[]}", "request: expected object, got array", NULL, NULL},
        {"{\"request\":{\"uid\":\"x\"}}", "request.object: missing", NULL, NULL},
        {"{\"request\":{\"object\":null}}", "request.object: expected object, got null", NULL,
         NULL},
        {"{\"request\":{\"object\":{},\"namespace\":\"a\\u0000b\"}}",
         "request.namespace: contains a NUL character", NULL, NULL},
        {"{\"request\":{\"object\":{},\"namespace\":1}}",
         "request.namespace: expected string, got integer 1", NULL, NULL},
        {"{\"request\":{\"object\":{},\"userInfo\":{\"username\":\"a\\u0000\"}}}",
         "request.userInfo.username: contains a NUL character", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(reviews) / sizeof(reviews[0]); i++) {
        struct json_object *root = json_tokener_parse(reviews[i].json);
        ck_assert_ptr_nonnull(root);
        struct hp_admission_review r;
        struct hp_error err;
        hp_error_clear(&err);
        enum hp_err rc = hp_admission_review_decode(root, &r, &err);
        if (reviews[i].want == NULL) {
            ck_assert_msg(rc == HP_OK, "case %zu: %s", i, err.msg);
            ck_assert_ptr_nonnull(r.object);
            ck_assert_msg((r.ns == NULL) == (reviews[i].ns == NULL) &&
                              (r.ns == NULL || strcmp(r.ns, reviews[i].ns) == 0),
                          "case %zu: namespace %s", i, r.ns != NULL ? r.ns : "(null)");
            ck_assert_msg((r.username == NULL) == (reviews[i].username == NULL) &&
                              (r.username == NULL || strcmp(r.username, reviews[i].username) == 0),
                          "case %zu: username %s", i, r.username != NULL ? r.username : "(null)");
        } else {
            ck_assert_int_eq(rc, HP_ERR_INVALID);
            ck_assert_msg(strcmp(err.msg, reviews[i].want) == 0,
                          "case %zu:\nexpected %s\nactual   %s", i, reviews[i].want, err.msg);
        }
        json_object_put(root);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("admission");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_admission_cases, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_admission_custom_kinds_whole_body);
    tcase_add_test(tc, test_admission_result_fields);
    tcase_add_test(tc, test_admission_round_trip);
    tcase_add_loop_test(tc, test_admission_malformed_syntax, 0,
                        (int)(sizeof(raw_cases) / sizeof(raw_cases[0])));
    tcase_add_test(tc, test_admission_deep_nesting);
    tcase_add_loop_test(tc, test_admission_malformed_schema, 0,
                        (int)(sizeof(schema_cases) / sizeof(schema_cases[0])));
    tcase_add_test(tc, test_admission_warning_truncation);
    tcase_add_test(tc, test_admission_warning_count_cap);
    tcase_add_loop_test(tc, test_admission_namespace_labels, 0,
                        (int)(sizeof(lcases) / sizeof(lcases[0])));
    tcase_add_test(tc, test_admission_warn_label_cap);
    tcase_add_test(tc, test_admission_message_and_annotation_caps);
    tcase_add_test(tc, test_admission_escaping);
    tcase_add_test(tc, test_admission_escaping_every_ascii_byte);
    tcase_add_test(tc, test_admission_large_body);
    tcase_add_test(tc, test_admission_fixtures);
    tcase_add_test(tc, test_admission_corpus);
    tcase_add_test(tc, test_admission_review_decode);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
