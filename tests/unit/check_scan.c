/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/admission/scan.c and the pruned parse path: the strict
 * validator accepts exactly JSON (and everything it accepts, json-c accepts
 * too), the pruner leaves out exactly the members it names with the commas
 * right, and the pruned path answers every fixture, corpus review and
 * thousands of mutations of them byte for byte like the full parse.
 */
#include "admission/internal.h"
#include "hardpod/admission.h"
#include "hardpod/config.h"
#include "hardpod/readset.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the validator -------------------------------------------------------- */

static bool json_c_accepts(const char *s, size_t n)
{
    struct json_tokener *tok = json_tokener_new_ex(HP_ADMISSION_MAX_DEPTH);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    struct json_object *o = json_tokener_parse_ex(tok, s, (int)n);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    if (e == json_tokener_continue) {
        /* the input ended inside a value: a NUL completes a bare number */
        o = json_tokener_parse_ex(tok, "", 1);
        e = json_tokener_get_error(tok);
        end = n;
    }
    bool ok = e == json_tokener_success;
    for (size_t i = end; ok && i < n; i++) {
        ok = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
    }
    json_object_put(o);
    json_tokener_free(tok);
    return ok;
}

static const struct {
    const char *text;
    bool valid;
    const char *what; /* for invalid ones: the problem named */
} validator_cases[] = {
    {"{}", true, NULL},
    {" [ ] ", true, NULL},
    {"{\"a\":[1,-2,3.5,-0.0e+7,1E9,0,\"x\",true,false,null,{}]}", true, NULL},
    {"\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD834\\uDD1E\"", true, NULL},
    {"{\"a\":\"\\ud800\"}", true, NULL}, /* a lone surrogate escape is grammatical */
    {"123456789012345678901234567890", true, NULL},
    {"1e999", true, NULL},
    {"{\"\":{\"\":[]}}", true, NULL},
    {"\"caf\xc3\xa9\"", true, NULL},
    {"", false, "unexpected end of data"},
    {"   ", false, "unexpected end of data"},
    {"{\"a\":1", false, "unexpected end of data"},
    {"{\"a\":\"x", false, "unexpected end of data"},
    {"{\"a\":01}", false, "object value separator ',' expected"},
    {"{\"a\":1.}", false, "number expected"},
    {"{\"a\":.5}", false, "unexpected character"},
    {"{\"a\":-}", false, "number expected"},
    {"{\"a\":1e}", false, "number expected"},
    {"{\"a\":+1}", false, "unexpected character"},
    {"{\"a\":NaN}", false, "unexpected character"},
    {"{\"a\":Infinity}", false, "unexpected character"},
    {"{\"a\":-Infinity}", false, "number expected"},
    {"{'a':1}", false, "quoted object property name expected"},
    {"{\"a\":'b'}", false, "unexpected character"},
    {"{\"a\":1,}", false, "quoted object property name expected"},
    {"[1,]", false, "unexpected character"},
    {"[1 2]", false, "array value separator ',' expected"},
    {"{\"a\" 1}", false, "object property name separator ':' expected"},
    {"{\"a\":\"x\ty\"}", false, "control character in a string"},
    {"{\"a\":\"\\x\"}", false, "invalid string sequence"},
    {"{\"a\":\"\\u12\"}", false, "invalid string sequence"},
    {"{\"a\":tru}", false, "unexpected character"},
    {"{\"a\":True}", false, "unexpected character"},
    {"{} x", false, "trailing data"},
    {"{}{}", false, "trailing data"},
    {"\x0c{}", false, "unexpected character"},
    {"/*c*/{}", false, "unexpected character"},
};

START_TEST(test_validator_cases)
{
    for (size_t i = 0; i < N_ELEMS(validator_cases); i++) {
        const char *t = validator_cases[i].text;
        struct adm_json_problem p = {0, NULL, ADM_JSON_SYNTAX};
        bool ok = adm_json_scan(t, strlen(t), HP_ADMISSION_MAX_DEPTH, NULL, &p);
        ck_assert_msg(ok == validator_cases[i].valid, "%s: valid=%d", t, ok);
        if (ok) {
            ck_assert_msg(json_c_accepts(t, strlen(t)), "%s: json-c refuses it", t);
        } else {
            ck_assert_msg(strcmp(p.what, validator_cases[i].what) == 0, "%s: %s at %zu", t, p.what,
                          p.at);
            ck_assert_uint_le(p.at, strlen(t));
        }
    }
}
END_TEST

static char *nested(const char *open, const char *inner, const char *close, int levels)
{
    size_t n = strlen(open) * (size_t)levels + strlen(inner) + strlen(close) * (size_t)levels;
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    char *p = s;
    for (int i = 0; i < levels; i++) {
        memcpy(p, open, strlen(open));
        p += strlen(open);
    }
    memcpy(p, inner, strlen(inner));
    p += strlen(inner);
    for (int i = 0; i < levels; i++) {
        memcpy(p, close, strlen(close));
        p += strlen(close);
    }
    *p = '\0';
    return s;
}

/* The nesting limit is json-c's, to the level: every shape just inside and
 * just outside it is judged the same by both. */
START_TEST(test_validator_depth_matches_json_c)
{
    const struct {
        const char *open, *inner, *close;
    } shapes[] = {{"[", "", "]"},        {"[", "1", "]"},          {"{\"a\":", "{}", "}"},
                  {"{\"a\":", "1", "}"}, {"[{\"k\":", "[]", "}]"}, {"[", "\"s\"", "]"}};
    for (size_t k = 0; k < N_ELEMS(shapes); k++) {
        for (int levels = 30; levels <= 70; levels++) {
            char *s = nested(shapes[k].open, shapes[k].inner, shapes[k].close, levels);
            struct adm_json_problem p;
            bool ours = adm_json_scan(s, strlen(s), HP_ADMISSION_MAX_DEPTH, NULL, &p);
            ck_assert_msg(ours == json_c_accepts(s, strlen(s)), "%s x%d%s: ours %d", shapes[k].open,
                          levels, shapes[k].inner, ours);
            free(s);
        }
    }
}
END_TEST

/* ---- the pruner ----------------------------------------------------------- */

#define R(x) "{\"request\":" x "}"
#define O(x) R("{\"object\":" x "}")
#define C(x) O("{\"spec\":{\"containers\":[" x "]}}")

static const struct {
    const char *in;
    const char *out; /* the copy: only what hardpod reads */
} prune_cases[] = {
    /* members nothing reads go, with one comma next to them */
    {O("{\"status\":{},\"spec\":1}"), O("{\"spec\":1}")},
    {O("{\"spec\":1,\"status\":{\"a\":[1,{\"b\":\"}\"}]}}"), O("{\"spec\":1}")},
    {O("{\"a\":1,\"status\":2,\"b\":3}"), O("{}")},
    {O("{\"a\":1,\"spec\":2,\"b\":3}"), O("{\"spec\":2}")},
    {O("{\"spec\":1,\"b\":3,\"metadata\":{}}"), O("{\"spec\":1,\"metadata\":{}}")},
    {"{ \"request\" : { \"object\" : { \"status\" : 2 , \"status\" : 3 , \"spec\" : 4 } } }",
     "{ \"request\" : { \"object\" : {    \"spec\" : 4 } } }"},
    {"{\"apiVersion\":\"v\",\"x\":[{}],\"kind\":\"k\"}", "{\"apiVersion\":\"v\",\"kind\":\"k\"}"},
    {R("{\"uid\":\"u\",\"options\":{\"a\":1},\"userInfo\":{\"username\":\"x\",\"groups\":[\"g\"]}"
       "}"),
     R("{\"uid\":\"u\",\"userInfo\":{\"username\":\"x\"}}")},
    /* annotations: only AppArmor's are read */
    {O("{\"metadata\":{\"name\":\"p\",\"managedFields\":[{\"f:a\":{}}],\"annotations\":{"
       "\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\","
       "\"container.apparmor.security.beta.kubernetes.io/c\":\"unconfined\",\"x\":\"y\"}}}"),
     O("{\"metadata\":{\"name\":\"p\",\"annotations\":{"
       "\"container.apparmor.security.beta.kubernetes.io/c\":\"unconfined\"}}}")},
    /* an escaped member name is kept whole, whatever it is */
    {O("{\"st\\u0061tus\":{\"a\":[1]}}"), O("{\"st\\u0061tus\":{\"a\":[1]}}")},
    /* a container of the wrong type is kept as {} or [] (its type is what is read) */
    {O("{\"spec\":{\"containers\":{\"a\":[1,2]},\"securityContext\":[1,{}]}}"),
     O("{\"spec\":{\"containers\":{},\"securityContext\":[]}}")},
    {C("\"x\",[1],{\"name\":\"a\",\"args\":[\"--x\"],\"securityContext\":{\"privileged\":true,"
       "\"x\":1}}"),
     C("\"x\",[],{\"name\":\"a\",\"securityContext\":{\"privileged\":true}}")},
    /* env: the variables nothing reads become null, every index stays */
    {C("{\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"DOTNET_X\",\"value\":\"0\"},"
       "{\"value\":\"2\",\"name\":\"ASPNETCORE_URLS\"},{\"name\":\"B\"},{},\"s\",{\"name\":1},"
       "{\"n\\u0061me\":\"B\"},{\"name\":\"\\u0041\"}]}"),
     C("{\"env\":[null,{\"name\":\"DOTNET_X\",\"value\":\"0\"},"
       "{\"value\":\"2\",\"name\":\"ASPNETCORE_URLS\"},null,{},\"s\",null,"
       "{\"n\\u0061me\":\"B\"},{\"name\":\"\\u0041\"}]}")},
    /* volumes: names and which sources they have */
    {O("{\"spec\":{\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/\"},\"configMap\":null,"
       "\"x\":[1],\"y\":2}]}}"),
     O("{\"spec\":{\"volumes\":[{\"name\":\"v\",\"hostPath\":{},\"configMap\":null,\"x\":[],"
       "\"y\":2}]}}")},
    /* workload templates and duplicated members */
    {O("{\"spec\":{\"replicas\":3,\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},"
       "\"spec\":{\"hostPID\":true,\"tolerations\":[]}}}}"),
     O("{\"spec\":{\"template\":{\"metadata\":{},\"spec\":{\"hostPID\":true}}}}")},
    {"{\"request\":{\"object\":{\"status\":1}},\"request\":{\"object\":{\"status\":2,\"spec\":3}}}",
     "{\"request\":{\"object\":{}},\"request\":{\"object\":{\"spec\":3}}}"},
    /* outside an AdmissionReview's shape nothing is read */
    {"[{\"request\":{\"object\":{\"status\":1}}}]", "[]"},
    {"7", "7"},
};

START_TEST(test_prune_cases)
{
    struct hp_buf out;
    hp_buf_init(&out, 0);
    for (size_t i = 0; i < N_ELEMS(prune_cases); i++) {
        const char *in = prune_cases[i].in;
        struct adm_json_problem p;
        struct adm_json_prune pr = {.root = hp_policy_read_set(), .out = &out};
        ck_assert_msg(adm_json_scan(in, strlen(in), 64, &pr, &p), "%s: %s", in, p.what);
        ck_assert_msg(strcmp(hp_buf_str(&out), prune_cases[i].out) == 0,
                      "case %zu:\n in  %s\n want %s\n got  %s", i, in, prune_cases[i].out,
                      hp_buf_str(&out));
        ck_assert_uint_le(out.len, strlen(in));
        ck_assert(adm_json_scan(out.data, out.len, 64, NULL, &p));
        /* what the copy holds is what json-c will build: its counts again */
        struct hp_buf again;
        hp_buf_init(&again, 0);
        struct adm_json_prune pr2 = {.root = hp_policy_read_set(), .out = &again};
        ck_assert(adm_json_scan(out.data, out.len, 64, &pr2, &p));
        ck_assert_msg(adm_json_cost(&pr.kept) == adm_json_cost(&pr2.all),
                      "case %zu: kept %zu, copy %zu", i, adm_json_cost(&pr.kept),
                      adm_json_cost(&pr2.all));
        hp_buf_cleanup(&again);
    }
    hp_buf_cleanup(&out);
}
END_TEST

/* The cost estimate is an upper bound of what json-c 0.16 allocates, for
 * every shape the measurements behind it used and for real reviews. */
static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

static void check_cost_bound(const char *text, size_t len)
{
    struct adm_json_problem p;
    struct hp_buf out;
    hp_buf_init(&out, 0);
    struct adm_json_prune pr = {.root = hp_policy_read_set(), .out = &out};
    ck_assert(adm_json_scan(text, len, 64, &pr, &p));
    struct json_tokener *tok = json_tokener_new_ex(64);
    size_t before = heap_in_use();
    struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    size_t after = heap_in_use();
    size_t used = after > before ? after - before : 0;
    ck_assert_ptr_nonnull(o);
    ck_assert_msg(used <= adm_json_cost(&pr.all), "%.60s...: json-c used %zu, estimate %zu", text,
                  used, adm_json_cost(&pr.all));
    json_object_put(o);
    json_tokener_free(tok);
    hp_buf_cleanup(&out);
}

START_TEST(test_cost_is_an_upper_bound)
{
    static const char *const items[] = {"{}",
                                        "[]",
                                        "null",
                                        "1",
                                        "1.5",
                                        "true",
                                        "\"\"",
                                        "\"abcdefgh\"",
                                        "{\"name\":\"FOO\",\"value\":\"x\"}",
                                        "{\"a\":null}",
                                        "[[],[]]"};
    for (size_t k = 0; k < N_ELEMS(items); k++) {
        for (size_t n = 1; n <= 100000; n *= 10) {
            size_t il = strlen(items[k]);
            char *s = malloc(n * (il + 1) + 3);
            ck_assert_ptr_nonnull(s);
            size_t at = 0;
            s[at++] = '[';
            for (size_t i = 0; i < n; i++) {
                if (i > 0) {
                    s[at++] = ',';
                }
                memcpy(s + at, items[k], il);
                at += il;
            }
            s[at++] = ']';
            s[at] = '\0';
            check_cost_bound(s, at);
            free(s);
        }
    }
    /* one object with many members */
    for (size_t n = 1; n <= 100000; n *= 10) {
        char *s = malloc(n * 24 + 3);
        ck_assert_ptr_nonnull(s);
        size_t at = 0;
        s[at++] = '{';
        for (size_t i = 0; i < n; i++) {
            at += (size_t)snprintf(s + at, 24, "%s\"k%07zu\":null", i > 0 ? "," : "", i);
        }
        s[at++] = '}';
        s[at] = '\0';
        check_cost_bound(s, at);
        free(s);
    }
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/admission/hardened-deployment.json", tu_fixtures_dir());
    size_t len = 0;
    char *text = tu_read_file(dir, &len);
    check_cost_bound(text, len);
    free(text);
}
END_TEST

/* ---- the pruned path answers like the full parse ---------------------------- */

struct bodies {
    char **data;
    size_t *len;
    size_t n, cap;
};

static void add_body(struct bodies *b, const char *data, size_t len)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->data = realloc(b->data, b->cap * sizeof(*b->data));
        b->len = realloc(b->len, b->cap * sizeof(*b->len));
        ck_assert(b->data != NULL && b->len != NULL);
    }
    b->data[b->n] = malloc(len + 1);
    ck_assert_ptr_nonnull(b->data[b->n]);
    memcpy(b->data[b->n], data, len);
    b->data[b->n][len] = '\0';
    b->len[b->n++] = len;
}

static void add_dir(struct bodies *b, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[1024];
        int w = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ck_assert_msg(w > 0 && (size_t)w < sizeof(path), "path too long: %s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);
        if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
            size_t len;
            char *data = tu_read_file(path, &len);
            add_body(b, data, len);
            free(data);
        } else if (depth > 0) {
            add_dir(b, path, depth - 1);
        }
    }
    closedir(d);
}

/* What the apiserver adds to every object: managedFields, status and, after
 * kubectl apply, the last-applied annotation, in varied positions. */
static void add_enriched(struct bodies *b, const char *data, size_t len, unsigned variant)
{
    struct json_object *root = json_tokener_parse(data);
    struct json_object *req = NULL;
    if (root == NULL || !json_object_object_get_ex(root, "request", &req) ||
        !json_object_is_type(req, json_type_object)) {
        json_object_put(root);
        return;
    }
    (void)len;
    const char *names[] = {"object", "oldObject"};
    for (size_t k = 0; k < 2; k++) {
        struct json_object *obj = NULL;
        if (!json_object_object_get_ex(req, names[k], &obj) ||
            !json_object_is_type(obj, json_type_object)) {
            continue;
        }
        struct json_object *meta = NULL;
        if (json_object_object_get_ex(obj, "metadata", &meta) &&
            !json_object_is_type(meta, json_type_object)) {
            continue;
        }
        /* Rebuilt so that the pruned members come first or last. */
        bool first = variant % 2 == 1;
        struct json_object *ann = NULL;
        if (meta != NULL) {
            json_object_object_get_ex(meta, "annotations", &ann);
        }
        if (ann != NULL && !json_object_is_type(ann, json_type_object)) {
            continue;
        }
        struct json_object *last_applied = json_object_new_string(
            "{\"spec\":{\"containers\":[{\"securityContext\":{\"privileged\":true}}]}}\n");
        struct json_object *new_ann = json_object_new_object();
        if (first) {
            json_object_object_add(new_ann, "kubectl.kubernetes.io/last-applied-configuration",
                                   last_applied);
        }
        if (ann != NULL) {
            json_object_object_foreach(ann, ak, av)
            {
                json_object_object_add(new_ann, ak, json_object_get(av));
            }
        }
        if (variant % 3 == 0) {
            /* read by the engine: must survive the pruning */
            json_object_object_add(new_ann, "container.apparmor.security.beta.kubernetes.io/app",
                                   json_object_new_string("unconfined"));
        }
        if (!first) {
            json_object_object_add(new_ann, "kubectl.kubernetes.io/last-applied-configuration",
                                   last_applied);
        }
        struct json_object *mf = json_tokener_parse(
            "[{\"manager\":\"kube-controller-manager\",\"operation\":\"Update\",\"fieldsType\":"
            "\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"a\\\"}"
            "\":{\".\":{},\"f:securityContext\":{\"f:privileged\":{}}}}}}}]");
        struct json_object *new_meta = json_object_new_object();
        if (first) {
            json_object_object_add(new_meta, "managedFields", mf);
        }
        if (meta != NULL) {
            json_object_object_foreach(meta, mk, mv)
            {
                if (strcmp(mk, "annotations") != 0) {
                    json_object_object_add(new_meta, mk, json_object_get(mv));
                }
            }
        }
        json_object_object_add(new_meta, "annotations", new_ann);
        if (!first) {
            json_object_object_add(new_meta, "managedFields", mf);
        }
        json_object_object_add(obj, "metadata", new_meta);
        json_object_object_add(obj, "status",
                               json_tokener_parse("{\"phase\":\"Running\",\"conditions\":"
                                                  "[{\"type\":\"Ready\",\"status\":\"True\"}]}"));
    }
    int flags = variant % 2 ? JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_SPACED;
    const char *text = json_object_to_json_string_ext(root, flags);
    add_body(b, text, strlen(text));
    json_object_put(root);
}

struct answer {
    enum hp_err rc;
    char msg[512];
    char *out;
    size_t out_len;
    enum hp_decision decision;
    enum hp_skip skip;
    size_t n_deny, n_warn;
    uint32_t checks;
};

/* full: json-c parses the whole body rather than the reduced copy. */
static void answer(struct hp_admission *a, const struct hp_admission_ctx *ctx, const char *body,
                   size_t len, bool full, struct answer *r)
{
    struct hp_admission_result res;
    struct hp_buf out;
    struct hp_error err;
    hp_error_clear(&err);
    hp_buf_init(&out, 0);
    memset(r, 0, sizeof(*r));
    r->rc = full ? adm_handle_full(a, ctx, body, len, &res, &out, &err)
                 : hp_admission_handle(a, ctx, body, len, &res, &out, &err);
    snprintf(r->msg, sizeof(r->msg), "%s", r->rc == HP_OK ? "" : err.msg);
    r->out_len = out.len;
    r->out = malloc(out.len + 1);
    ck_assert_ptr_nonnull(r->out);
    memcpy(r->out, out.len ? out.data : "", out.len);
    r->out[out.len] = '\0';
    if (r->rc == HP_OK) {
        r->decision = res.decision;
        r->skip = res.skip;
        r->n_deny = res.n_deny;
        r->n_warn = res.n_warn;
        r->checks = res.checks_fired;
    }
    hp_buf_cleanup(&out);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* One random edit of s: a byte replaced, deleted or inserted, or a cut. */
static size_t mutate(char *s, size_t len, size_t cap)
{
    static const char alphabet[] = "{}[],:\"\\ \t\nuU0123456789.eE+-truefalsenull/aZ\x80\xc3";
    size_t at = len ? (size_t)(rng() % len) : 0;
    char c = alphabet[rng() % (sizeof(alphabet) - 1)];
    switch (rng() % 4) {
    case 0:
        if (len > 0) {
            s[at] = c;
        }
        return len;
    case 1:
        if (len > 0) {
            memmove(s + at, s + at + 1, len - at - 1);
            return len - 1;
        }
        return len;
    case 2:
        if (len + 1 < cap) {
            memmove(s + at + 1, s + at, len - at);
            s[at] = c;
            return len + 1;
        }
        return len;
    default:
        return at;
    }
}

START_TEST(test_pruned_path_answers_like_full_parse)
{
    struct bodies b = {0};
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/admission", tu_fixtures_dir());
    add_dir(&b, dir, 0);
    if (tu_corpus_dir() != NULL) {
        snprintf(dir, sizeof(dir), "%s/admissionreview", tu_corpus_dir());
        add_dir(&b, dir, 2);
    }
    size_t originals = b.n;
    ck_assert_uint_gt(originals, 5);
    for (size_t i = 0; i < originals; i++) {
        add_enriched(&b, b.data[i], b.len[i], (unsigned)i);
    }
    size_t pruned_bodies = 0;

    /* A workload exemption reads owner references: pod-replicaset-owned.json
     * is exempt only if the pruned body keeps them. */
    static const char policy[] = "exemptions:\n  - kinds: [Deployment]\n    names: [legacy]\n"
                                 "    namespaces: [shop]\n    checks: [runAsNonRoot, runAsUser]\n"
                                 "    reason: r\n";
    struct hp_config config;
    hp_config_init(&config);
    ck_assert_int_eq(hp_config_parse(policy, strlen(policy), "policy", NULL, &config, NULL), HP_OK);
    struct hp_admission_ctx ctx = {
        .config = &config, .profile_name = "hardened", .now = 1700000000};
    struct hp_admission fast, full;
    hp_admission_init(&fast);
    hp_admission_init(&full);

    size_t compared = 0;
    size_t n = b.n;
    for (size_t i = 0; i < n; i++) {
        size_t cap = b.len[i] + 64;
        char *s = malloc(cap);
        ck_assert_ptr_nonnull(s);
        for (int m = 0; m <= 150; m++) {
            memcpy(s, b.data[i], b.len[i]);
            size_t len = b.len[i];
            /* m = 0 is the body itself; then 1 to 3 random edits */
            for (int k = 0; m > 0 && k < 1 + (int)(rng() % 3); k++) {
                len = mutate(s, len, cap);
            }
            struct adm_json_problem p;
            struct hp_buf copy;
            hp_buf_init(&copy, 0);
            struct adm_json_prune pr = {.root = hp_policy_read_set(), .out = &copy};
            if (m == 0 && adm_json_scan(s, len, HP_ADMISSION_MAX_DEPTH, &pr, &p) &&
                copy.len < len) {
                pruned_bodies++;
            }
            hp_buf_cleanup(&copy);
            struct answer x, y;
            answer(&fast, &ctx, s, len, false, &x);
            answer(&full, &ctx, s, len, true, &y);
            ck_assert_msg(x.rc == y.rc && strcmp(x.msg, y.msg) == 0,
                          "body %zu edit %d: pruned rc %d \"%s\", full rc %d \"%s\"", i, m, x.rc,
                          x.msg, y.rc, y.msg);
            ck_assert_msg(x.out_len == y.out_len && memcmp(x.out, y.out, x.out_len) == 0,
                          "body %zu edit %d: responses differ:\n%s\n%s", i, m, x.out, y.out);
            ck_assert(x.decision == y.decision && x.skip == y.skip && x.n_deny == y.n_deny &&
                      x.n_warn == y.n_warn && x.checks == y.checks);
            free(x.out);
            free(y.out);
            compared++;
        }
        free(s);
    }
    /* the enriched bodies must actually take the pruned path */
    ck_assert_uint_ge(pruned_bodies, b.n - originals);
    ck_assert_uint_gt(compared, 1000);

    hp_admission_cleanup(&fast);
    hp_admission_cleanup(&full);
    hp_config_cleanup(&config);
    for (size_t i = 0; i < b.n; i++) {
        free(b.data[i]);
    }
    free(b.data);
    free(b.len);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("scan");
    TCase *tc = tcase_create("scan");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_validator_cases);
    tcase_add_test(tc, test_validator_depth_matches_json_c);
    tcase_add_test(tc, test_prune_cases);
    tcase_add_test(tc, test_cost_is_an_upper_bound);
    tcase_add_test(tc, test_pruned_path_answers_like_full_parse);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
