/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for src/audit/group.c: resources folded into their highest
 * controlling owner in the report when it has every finding they have. */
#include "audit/internal.h"
#include "testutil.h"

#include <check.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const struct hp_finding common[] = {
    {.check = HP_CHECK_RUN_AS_NON_ROOT,
     .action = HP_ACTION_DENY,
     .container = "app",
     .path = "p",
     .message = "runAsNonRoot is not set"},
    {.check = HP_CHECK_RESOURCES,
     .action = HP_ACTION_WARN,
     .container = "app",
     .path = "p",
     .message = "no memory limit"},
};
static const struct hp_finding extra = {.check = HP_CHECK_PRIVILEGED,
                                        .action = HP_ACTION_DENY,
                                        .container = "debug",
                                        .path = "p",
                                        .message = "privileged"};

/* Adds an object with n of the common findings (plus the extra one). */
static void add(struct aud_report *r, const char *json, size_t n, bool with_extra)
{
    struct hp_finding items[3];
    struct hp_findings f;
    memset(&f, 0, sizeof(f));
    memcpy(items, common, n * sizeof(items[0]));
    if (with_extra) {
        items[n++] = extra;
    }
    f.items = items;
    f.len = n;
    for (size_t i = 0; i < n; i++) {
        if (items[i].action == HP_ACTION_DENY) {
            f.n_deny++;
        } else {
            f.n_warn++;
        }
    }
    struct json_object *obj = json_tokener_parse(json);
    ck_assert_ptr_nonnull(obj);
    aud_report_resource(r, "dump.json", r->len + 1, obj, NULL, &f);
    json_object_put(obj);
}

/* An object's JSON: kind, name, uid (or ""), and its controlling owner
 * (owner_kind NULL: none). */
static const char *obj(char *buf, size_t size, const char *kind, const char *ns, const char *name,
                       const char *uid, const char *owner_kind, const char *owner_name,
                       const char *owner_uid, bool controller)
{
    char refs[256] = "";
    if (owner_kind != NULL) {
        snprintf(refs, sizeof(refs),
                 ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"%s\",\"name\":\"%s\""
                 "%s%s%s,\"controller\":%s}]",
                 owner_kind, owner_name, owner_uid[0] ? ",\"uid\":\"" : "", owner_uid,
                 owner_uid[0] ? "\"" : "", controller ? "true" : "false");
    }
    snprintf(buf, size,
             "{\"apiVersion\":\"v1\",\"kind\":\"%s\",\"metadata\":{\"namespace\":\"%s\","
             "\"name\":\"%s\"%s%s%s%s}}",
             kind, ns, name, uid[0] ? ",\"uid\":\"" : "", uid, uid[0] ? "\"" : "", refs);
    return buf;
}

#define OBJ(...) obj(buf, sizeof(buf), __VA_ARGS__)

START_TEST(test_group_chain_by_uid)
{
    char buf[512];
    struct aud_report r;
    aud_report_init(&r);
    /* Listed children first, as `kubectl get pods,deploy,rs` prints them. */
    add(&r, OBJ("Pod", "shop", "api-1", "P1", "ReplicaSet", "api-5d8f", "R", true), 2, false);
    add(&r, OBJ("Pod", "shop", "api-2", "P2", "ReplicaSet", "api-5d8f", "R", true), 2, false);
    add(&r, OBJ("Pod", "shop", "api-3", "P3", "ReplicaSet", "api-5d8f", "R", true), 2, true);
    add(&r, OBJ("Pod", "shop", "web-1", "P4", "ReplicaSet", "web-77aa", "GONE", true), 2, false);
    add(&r, OBJ("ReplicaSet", "shop", "api-5d8f", "R", "Deployment", "api", "D", true), 2, false);
    add(&r, OBJ("Deployment", "shop", "api", "D", NULL, NULL, NULL, false), 2, false);
    aud_group(&r);
    ck_assert(r.grouped);
    ck_assert_uint_eq(r.entries[0].top, 5);
    ck_assert_uint_eq(r.entries[1].top, 5);
    ck_assert_uint_eq(r.entries[4].top, 5);
    /* A finding of its own keeps a pod shown; it still names its owner. */
    ck_assert_uint_eq(r.entries[2].top, SIZE_MAX);
    ck_assert_str_eq(r.entries[2].owner_name, "api-5d8f");
    /* An owner that is not in the input. */
    ck_assert_uint_eq(r.entries[3].top, SIZE_MAX);
    ck_assert_str_eq(r.entries[3].owner_kind, "ReplicaSet");
    ck_assert_uint_eq(r.entries[5].top, SIZE_MAX);
    ck_assert_uint_eq(r.entries[5].covers, 3);
    ck_assert_uint_eq(r.entries[5].covers_pods, 2);
    /* Verdicts do not change. */
    ck_assert_uint_eq(r.n_resources, 6);
    ck_assert_uint_eq(r.n_denied, 6);
    aud_report_cleanup(&r);
}
END_TEST

START_TEST(test_group_by_name_without_uids)
{
    char buf[512];
    struct aud_report r;
    aud_report_init(&r);
    add(&r, OBJ("Deployment", "shop", "api", "", NULL, NULL, NULL, false), 2, false);
    add(&r, OBJ("ReplicaSet", "shop", "api-5d8f", "", "Deployment", "api", "", true), 2, false);
    /* Same name in another namespace: not its owner. */
    add(&r, OBJ("ReplicaSet", "other", "api-5d8f", "", "Deployment", "api", "", true), 2, false);
    /* controller: false is a reference, not the controller. */
    add(&r, OBJ("Pod", "shop", "p", "", "ReplicaSet", "api-5d8f", "", false), 2, false);
    aud_group(&r);
    ck_assert_uint_eq(r.entries[1].top, 0);
    ck_assert_uint_eq(r.entries[2].top, SIZE_MAX);
    ck_assert_uint_eq(r.entries[3].top, SIZE_MAX);
    ck_assert_ptr_null(r.entries[3].owner_kind);
    ck_assert_uint_eq(r.entries[0].covers, 1);
    ck_assert_uint_eq(r.entries[0].covers_pods, 0);
    aud_report_cleanup(&r);
}
END_TEST

START_TEST(test_group_nearest_covering_owner)
{
    char buf[512];
    struct aud_report r;
    aud_report_init(&r);
    /* The ReplicaSet of an old template has a finding the Deployment no
     * longer has: it stays shown, and its pod folds into it. */
    add(&r, OBJ("Deployment", "shop", "api", "D", NULL, NULL, NULL, false), 1, false);
    add(&r, OBJ("ReplicaSet", "shop", "api-old", "R", "Deployment", "api", "D", true), 2, false);
    add(&r, OBJ("Pod", "shop", "api-old-1", "P", "ReplicaSet", "api-old", "R", true), 2, false);
    /* A pod with fewer findings than its owner folds into it. */
    add(&r, OBJ("Pod", "shop", "api-old-2", "Q", "ReplicaSet", "api-old", "R", true), 1, false);
    aud_group(&r);
    ck_assert_uint_eq(r.entries[1].top, SIZE_MAX);
    ck_assert_uint_eq(r.entries[2].top, 1);
    /* The highest shown owner that covers it: the Deployment. */
    ck_assert_uint_eq(r.entries[3].top, 0);
    ck_assert_uint_eq(r.entries[1].covers_pods, 1);
    ck_assert_uint_eq(r.entries[0].covers_pods, 1);
    aud_report_cleanup(&r);
}
END_TEST

START_TEST(test_group_cycles_and_self)
{
    char buf[512];
    struct aud_report r;
    aud_report_init(&r);
    add(&r, OBJ("ReplicaSet", "ns", "a", "A", "ReplicaSet", "b", "B", true), 2, false);
    add(&r, OBJ("ReplicaSet", "ns", "b", "B", "ReplicaSet", "a", "A", true), 2, false);
    add(&r, OBJ("ReplicaSet", "ns", "c", "C", "ReplicaSet", "c", "C", true), 2, false);
    /* Below a cycle: not followed either. */
    add(&r, OBJ("Pod", "ns", "p", "P", "ReplicaSet", "a", "A", true), 2, false);
    aud_report_error(&r, "dump.json", 9, "an error entry is never folded");
    aud_group(&r);
    for (size_t i = 0; i < r.len; i++) {
        ck_assert_msg(r.entries[i].top == SIZE_MAX, "entry %zu folded", i);
        ck_assert_uint_eq(r.entries[i].covers, 0);
    }
    aud_report_cleanup(&r);
}
END_TEST

START_TEST(test_group_many)
{
    /* 20,000 pods under 100 Deployments through 100 ReplicaSets. */
    char buf[512];
    char name[64];
    char owner[64];
    char uid[64];
    char ouid[64];
    struct aud_report r;
    aud_report_init(&r);
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof(name), "app%d-rs-%d", i % 100, i);
        snprintf(owner, sizeof(owner), "app%d-rs", i % 100);
        snprintf(uid, sizeof(uid), "pod-%d", i);
        snprintf(ouid, sizeof(ouid), "rs-%d", i % 100);
        add(&r, OBJ("Pod", "ns", name, uid, "ReplicaSet", owner, ouid, true), 2, false);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "app%d-rs", i);
        snprintf(owner, sizeof(owner), "app%d", i);
        snprintf(uid, sizeof(uid), "rs-%d", i);
        snprintf(ouid, sizeof(ouid), "dep-%d", i);
        add(&r, OBJ("ReplicaSet", "ns", name, uid, "Deployment", owner, ouid, true), 2, false);
        snprintf(uid, sizeof(uid), "dep-%d", i);
        add(&r, OBJ("Deployment", "ns", owner, uid, NULL, NULL, NULL, false), 2, false);
    }
    aud_group(&r);
    size_t shown = 0;
    size_t pods = 0;
    for (size_t i = 0; i < r.len; i++) {
        if (r.entries[i].top == SIZE_MAX) {
            shown++;
            pods += r.entries[i].covers_pods;
            ck_assert_str_eq(r.entries[i].kind, "Deployment");
            ck_assert_uint_eq(r.entries[i].covers_pods, 200);
        }
    }
    ck_assert_uint_eq(shown, 100);
    ck_assert_uint_eq(pods, 20000);
    aud_report_cleanup(&r);
}
END_TEST

static Suite *group_suite(void)
{
    Suite *s = suite_create("group");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_group_chain_by_uid);
    tcase_add_test(tc, test_group_by_name_without_uids);
    tcase_add_test(tc, test_group_nearest_covering_owner);
    tcase_add_test(tc, test_group_cycles_and_self);
    tcase_add_test(tc, test_group_many);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(group_suite());
}
