/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the request targets (src/server/route.c): one table row per
 * path, with the route it must name and, on the admission paths, what the
 * namespace's hardpod.dev labels chose. tests/e2e/test_serve_labels.sh sends
 * reviews to the same paths on the real server.
 */
#include "server/internal.h"
#include "testutil.h"

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define NO -1 /* the label is not in the path */

struct target {
    const char *url;
    bool plain;
    enum srv_route_kind kind;
    bool admission;
    int enforce; /* enum hp_profile, or NO */
    int warn;
    const char *bad_label;
    const char *why; /* SRV_ROUTE_NOT_FOUND: the start of the message */
};

#define VALID(url, e, w)                                                                           \
    {                                                                                              \
        url, false, SRV_ROUTE_VALIDATE, true, e, w, NULL, NULL                                     \
    }
#define MISSING(url, why)                                                                          \
    {                                                                                              \
        url, false, SRV_ROUTE_NOT_FOUND, true, NO, NO, NULL, why                                   \
    }

static const struct target targets[] = {
    {"/healthz", false, SRV_ROUTE_HEALTHZ, false, NO, NO, NULL, NULL},
    {"/readyz", false, SRV_ROUTE_READYZ, false, NO, NO, NULL, NULL},
    {"/metrics", true, SRV_ROUTE_METRICS, false, NO, NO, NULL, NULL},
    VALID("/validate", NO, NO),
    VALID("/validate/enforce/hardened", HP_PROFILE_HARDENED, NO),
    VALID("/validate/enforce/psa-restricted", HP_PROFILE_PSA_RESTRICTED, NO),
    VALID("/validate/enforce/psa-baseline", HP_PROFILE_PSA_BASELINE, NO),
    VALID("/validate/enforce/none", HP_PROFILE_NONE, NO),
    VALID("/validate/warn/hardened", NO, HP_PROFILE_HARDENED),
    VALID("/validate/warn/none", NO, HP_PROFILE_NONE),
    VALID("/validate/enforce/psa-baseline/warn/hardened", HP_PROFILE_PSA_BASELINE,
          HP_PROFILE_HARDENED),
    VALID("/validate/enforce/none/warn/none", HP_PROFILE_NONE, HP_PROFILE_NONE),
    {"/validate/invalid/enforce", false, SRV_ROUTE_VALIDATE, true, NO, NO, SRV_LABEL_ENFORCE, NULL},
    {"/validate/invalid/warn", false, SRV_ROUTE_VALIDATE, true, NO, NO, SRV_LABEL_WARN, NULL},
    /* Everything else under /validate is a 404, never an admission path. */
    MISSING("/validate/", "not found: the admission paths are"),
    MISSING("/validate/enforce", "not found: a profile must follow"),
    MISSING("/validate/enforce/", "not found: a profile must follow"),
    MISSING("/validate/enforce/Hardened", "not found: \"Hardened\" is not a profile"),
    MISSING("/validate/enforce/restricted", "not found: \"restricted\" is not a profile"),
    MISSING("/validate/warn/bogus", "not found: \"bogus\" is not a profile"),
    MISSING("/validate/enforce/hardened/", "not found: the admission paths are"),
    MISSING("/validate/enforce/hardened/warn", "not found: a profile must follow"),
    MISSING("/validate/warn/hardened/enforce/hardened", "not found: the admission paths are"),
    MISSING("/validate/enforce/hardened/enforce/none", "not found: the admission paths are"),
    MISSING("/validate/warn/none/warn/none", "not found: the admission paths are"),
    MISSING("/validate//enforce/hardened", "not found: the admission paths are"),
    MISSING("/validate/enforce/hardened/extra", "not found: the admission paths are"),
    MISSING("/validate/enforce/hardenedhardenedhardenedhardenedhardened",
            "not found: \"hardenedhardenedhardened\" is not a profile"),
    MISSING("/validate/invalid", "not found: the paths for an invalid label"),
    MISSING("/validate/invalid/", "not found: the paths for an invalid label"),
    MISSING("/validate/invalid/audit", "not found: the paths for an invalid label"),
    MISSING("/validate/invalid/enforce/x", "not found: the paths for an invalid label"),
    MISSING("/validate/extra", "not found: the admission paths are"),
    {"/validatex", false, SRV_ROUTE_NOT_FOUND, false, NO, NO, NULL, "not found: the routes are"},
    {"/", false, SRV_ROUTE_NOT_FOUND, false, NO, NO, NULL, "not found: the routes are"},
    {"/nope", false, SRV_ROUTE_NOT_FOUND, false, NO, NO, NULL, "not found: the routes are"},
    /* The plain metrics listener serves no admission path. */
    {"/validate", true, SRV_ROUTE_NOT_FOUND, false, NO, NO, NULL, "not found: the routes are"},
    {"/validate/enforce/hardened", true, SRV_ROUTE_NOT_FOUND, false, NO, NO, NULL,
     "not found: the routes are"},
};

START_TEST(test_route_targets)
{
    const struct target *t = &targets[_i];
    struct srv_route r;
    memset(&r, 0x5a, sizeof(r));
    bool found = srv_route_parse(t->url, t->plain, &r);
    ck_assert_msg(r.kind == t->kind, "%s: route %d, expected %d", t->url, (int)r.kind,
                  (int)t->kind);
    ck_assert_msg(found == (t->kind != SRV_ROUTE_NOT_FOUND), "%s: returned %d", t->url, found);
    ck_assert_msg(r.admission == t->admission, "%s: admission %d, expected %d", t->url, r.admission,
                  t->admission);
    int enforce = r.has_enforce ? (int)r.enforce : NO;
    int warn = r.has_warn ? (int)r.warn : NO;
    ck_assert_msg(enforce == t->enforce, "%s: enforce %d, expected %d", t->url, enforce,
                  t->enforce);
    ck_assert_msg(warn == t->warn, "%s: warn %d, expected %d", t->url, warn, t->warn);
    if (t->bad_label == NULL) {
        ck_assert_msg(r.bad_label == NULL, "%s: bad label %s, expected none", t->url, r.bad_label);
    } else {
        ck_assert_msg(r.bad_label != NULL && strcmp(r.bad_label, t->bad_label) == 0,
                      "%s: bad label %s, expected %s", t->url,
                      r.bad_label != NULL ? r.bad_label : "(none)", t->bad_label);
    }
    if (t->why != NULL) {
        ck_assert_msg(strncmp(r.why, t->why, strlen(t->why)) == 0,
                      "%s: message \"%s\", expected it to start with \"%s\"", t->url, r.why,
                      t->why);
    }
}
END_TEST

/* Every profile's name is accepted after both labels, in both orders of
 * presence: the paths hardpod webhook-config writes all route. */
START_TEST(test_route_every_profile)
{
    for (int e = -1; e <= HP_PROFILE_NONE; e++) {
        for (int w = -1; w <= HP_PROFILE_NONE; w++) {
            char url[128] = "/validate";
            size_t n = strlen(url);
            if (e >= 0) {
                n += (size_t)snprintf(url + n, sizeof(url) - n, "/enforce/%s",
                                      hp_profile_name((enum hp_profile)e));
            }
            if (w >= 0) {
                snprintf(url + n, sizeof(url) - n, "/warn/%s", hp_profile_name((enum hp_profile)w));
            }
            struct srv_route r;
            ck_assert_msg(srv_route_parse(url, false, &r), "%s: %s", url, r.why);
            ck_assert_msg(r.kind == SRV_ROUTE_VALIDATE && r.bad_label == NULL, "%s", url);
            ck_assert_msg((r.has_enforce ? (int)r.enforce : -1) == e, "%s: enforce", url);
            ck_assert_msg((r.has_warn ? (int)r.warn : -1) == w, "%s: warn", url);
        }
    }
}
END_TEST

static Suite *route_suite(void)
{
    Suite *s = suite_create("route");
    TCase *tc = tcase_create("targets");
    tcase_add_loop_test(tc, test_route_targets, 0, (int)(sizeof(targets) / sizeof(targets[0])));
    tcase_add_test(tc, test_route_every_profile);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(route_suite());
}
