/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/config: every key of the file format, every class of
 * error with its exact "file:line: key: problem" message, namespace modes,
 * time parsing, file loading and the size caps.
 */
#include "hardpod/config.h"
#include "hardpod/k8s.h"
#include "hardpod/time.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SRC "hardpod.yaml"
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static enum hp_err parse(const char *text, struct hp_config *c, struct hp_error *err)
{
    hp_error_clear(err);
    return hp_config_parse(text, strlen(text), SRC, NULL, c, err);
}

/* Fails unless c holds exactly the defaults of hp_config_init. */
static void assert_defaults(const struct hp_config *c, const char *name)
{
    struct hp_policy ref;
    hp_policy_init(&ref, HP_PROFILE_HARDENED);
    ck_assert_msg(c->mode == HP_MODE_ENFORCE, "%s: mode: expected enforce, got %s", name,
                  hp_mode_name(c->mode));
    ck_assert_msg(c->n_ns_modes == 0 && c->ns_modes == NULL, "%s: expected no namespaceModes",
                  name);
    ck_assert_msg(c->policy.profile == HP_PROFILE_HARDENED,
                  "%s: profile: expected hardened, got %s", name,
                  hp_profile_name(c->policy.profile));
    ck_assert_msg(memcmp(c->policy.checks, ref.checks, sizeof(ref.checks)) == 0,
                  "%s: checks differ from the hardened profile", name);
    ck_assert_msg(c->policy.min_uid == 1 && c->policy.min_gid == 1,
                  "%s: expected minUID/minGID 1/1, got %lld/%lld", name,
                  (long long)c->policy.min_uid, (long long)c->policy.min_gid);
    ck_assert_msg(c->policy.resources_require == ref.resources_require,
                  "%s: resources_require: expected %#x, got %#x", name, ref.resources_require,
                  c->policy.resources_require);
    ck_assert_msg(c->policy.n_allow_add == 0 && c->policy.n_exemptions == 0 &&
                      c->policy.exemptions == NULL,
                  "%s: expected no allowAdd and no exemptions", name);
    ck_assert_msg(c->policy.kinds == NULL, "%s: expected no customKinds", name);
    hp_policy_cleanup(&ref);
}

static void assert_action(const struct hp_config *c, enum hp_check k, enum hp_action want)
{
    enum hp_action got = c->policy.checks[k].action;
    ck_assert_msg(got == want, "%s: expected action %s, got %s", hp_check_name(k),
                  hp_action_name(want), hp_action_name(got));
}

static void assert_str(const char *what, const char *want, const char *got)
{
    ck_assert_msg(got != NULL && strcmp(want, got) == 0, "%s: expected \"%s\", got \"%s\"", what,
                  want, got != NULL ? got : "(null)");
}

/* ---- valid documents ---------------------------------------------------- */

static void verify_empty(const struct hp_config *c)
{
    assert_defaults(c, "empty document");
}

static void verify_profile_baseline(const struct hp_config *c)
{
    ck_assert_int_eq(c->policy.profile, HP_PROFILE_PSA_BASELINE);
    assert_action(c, HP_CHECK_PRIVILEGED, HP_ACTION_DENY);
    assert_action(c, HP_CHECK_READ_ONLY_ROOT_FILESYSTEM, HP_ACTION_OFF);
}

static void verify_profile_none(const struct hp_config *c)
{
    ck_assert_int_eq(c->policy.profile, HP_PROFILE_NONE);
    for (int k = 0; k < HP_CHECK_COUNT; k++) {
        assert_action(c, (enum hp_check)k, HP_ACTION_OFF);
    }
}

static void verify_mode_audit(const struct hp_config *c)
{
    ck_assert_int_eq(c->mode, HP_MODE_AUDIT);
}

static void verify_ns_modes(const struct hp_config *c)
{
    ck_assert_uint_eq(c->n_ns_modes, 2);
    assert_str("namespaceModes[0].namespace", "legacy-*", c->ns_modes[0].pattern);
    ck_assert_int_eq(c->ns_modes[0].mode, HP_MODE_AUDIT);
    ck_assert_uint_eq(c->ns_modes[0].line, 2);
    assert_str("namespaceModes[1].namespace", "prod", c->ns_modes[1].pattern);
    ck_assert_int_eq(c->ns_modes[1].mode, HP_MODE_ENFORCE);
    ck_assert_uint_eq(c->ns_modes[1].line, 4);
}

static void verify_actions(const struct hp_config *c)
{
    struct hp_policy ref;
    hp_policy_init(&ref, HP_PROFILE_HARDENED);
    assert_action(c, HP_CHECK_READ_ONLY_ROOT_FILESYSTEM, HP_ACTION_WARN);
    assert_action(c, HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN, HP_ACTION_DENY);
    assert_action(c, HP_CHECK_PRIVILEGED, HP_ACTION_OFF);
    assert_action(c, HP_CHECK_SECCOMP_PROFILE, HP_ACTION_OFF);
    for (int k = 0; k < HP_CHECK_COUNT; k++) {
        ck_assert_msg(c->policy.checks[k].level == ref.checks[k].level,
                      "%s: an action override changed the level", hp_check_name((enum hp_check)k));
    }
    hp_policy_cleanup(&ref);
}

static void verify_run_as(const struct hp_config *c)
{
    assert_action(c, HP_CHECK_RUN_AS_USER, HP_ACTION_WARN);
    ck_assert_int_eq(c->policy.min_uid, 1000);
    assert_action(c, HP_CHECK_RUN_AS_GROUP, HP_ACTION_DENY);
    ck_assert_int_eq(c->policy.min_gid, 2147483647);
}

static void verify_min_zero(const struct hp_config *c)
{
    ck_assert_int_eq(c->policy.min_uid, 0);
    ck_assert_int_eq(c->policy.min_gid, 0);
}

static void verify_allow_add(const struct hp_config *c)
{
    static const char *const want[] = {"NET_BIND_SERVICE", "CHOWN", "SYS_TIME"};
    ck_assert_uint_eq(c->policy.n_allow_add, N_ELEMS(want));
    for (size_t i = 0; i < N_ELEMS(want); i++) {
        assert_str("allowAdd", want[i], c->policy.allow_add[i]);
    }
}

static void verify_allow_add_empty(const struct hp_config *c)
{
    ck_assert_uint_eq(c->policy.n_allow_add, 0);
    assert_action(c, HP_CHECK_CAPABILITIES, HP_ACTION_WARN);
}

static void verify_require(const struct hp_config *c)
{
    ck_assert_uint_eq(c->policy.resources_require, HP_RES_LIMITS_MEMORY | HP_RES_REQUESTS_CPU);
}

static void verify_exempt_namespace(const struct hp_config *c)
{
    ck_assert_uint_eq(c->policy.n_exemptions, 1);
    const struct hp_exemption *e = &c->policy.exemptions[0];
    ck_assert_int_eq(e->kind, HP_EXEMPT_NAMESPACE);
    assert_str("pattern", "kube-*", e->pattern);
    assert_str("reason", "system components", e->reason);
    ck_assert_int_eq(e->expires, 1801439999); /* 2027-01-31T23:59:59Z */
    ck_assert_uint_eq(e->line, 2);
    ck_assert_uint_eq(e->checks, 0);
}

static void verify_exempt_username(const struct hp_config *c)
{
    ck_assert_uint_eq(c->policy.n_exemptions, 1);
    const struct hp_exemption *e = &c->policy.exemptions[0];
    ck_assert_int_eq(e->kind, HP_EXEMPT_USERNAME);
    assert_str("pattern", "system:serviceaccount:ci:deployer", e->pattern);
    ck_assert_int_eq(e->expires, 0);
}

static void verify_exempt_image(const struct hp_config *c)
{
    ck_assert_uint_eq(c->policy.n_exemptions, 2);
    const struct hp_exemption *e = &c->policy.exemptions[1];
    ck_assert_int_eq(e->kind, HP_EXEMPT_IMAGE);
    assert_str("pattern", "mcr.microsoft.com/dotnet/*", e->pattern);
    ck_assert_uint_eq(e->checks, (1u << HP_CHECK_READ_ONLY_ROOT_FILESYSTEM) |
                                     (1u << HP_CHECK_DOTNET_DIAGNOSTICS));
    ck_assert_uint_eq(e->n_namespaces, 2);
    assert_str("namespaces[0]", "shop", e->namespaces[0]);
    assert_str("namespaces[1]", "team-*", e->namespaces[1]);
    ck_assert_int_eq(e->expires, 1801389600); /* 12:00+02:00 */
    ck_assert_uint_eq(e->line, 3);
    assert_str("exemptions[0].reason", "shared", c->policy.exemptions[0].reason);
}

static void verify_exempt_workload(const struct hp_config *c)
{
    ck_assert_uint_eq(c->policy.n_exemptions, 2);
    const struct hp_exemption *e = &c->policy.exemptions[0];
    ck_assert_int_eq(e->kind, HP_EXEMPT_WORKLOAD);
    ck_assert_ptr_null(e->pattern);
    ck_assert_uint_eq(e->n_kinds, 2);
    assert_str("kinds[0]", "Deployment", e->kinds[0]);
    assert_str("kinds[1]", "Rollout", e->kinds[1]);
    ck_assert_uint_eq(e->n_names, 2);
    assert_str("names[0]", "legacy", e->names[0]);
    assert_str("names[1]", "batch-[a-c]*", e->names[1]);
    ck_assert_uint_eq(e->n_namespaces, 1);
    assert_str("namespaces[0]", "shop", e->namespaces[0]);
    /* No checks: every check. */
    ck_assert_uint_eq(e->checks, (1u << HP_CHECK_COUNT) - 1);
    assert_str("reason", "legacy app, being rebuilt", e->reason);
    ck_assert_int_eq(e->expires, 1801439999);
    ck_assert_uint_eq(e->line, 2);
    e = &c->policy.exemptions[1];
    ck_assert_int_eq(e->kind, HP_EXEMPT_WORKLOAD);
    ck_assert_uint_eq(e->checks, 1u << HP_CHECK_RUN_AS_NON_ROOT);
    assert_str("[1].kinds[0]", "CronJob", e->kinds[0]);
    ck_assert_uint_eq(e->line, 8);
}

static void verify_json(const struct hp_config *c)
{
    ck_assert_int_eq(c->policy.profile, HP_PROFILE_PSA_RESTRICTED);
    ck_assert_int_eq(c->mode, HP_MODE_AUDIT);
    assert_action(c, HP_CHECK_RUN_AS_USER, HP_ACTION_WARN);
    ck_assert_int_eq(c->policy.min_uid, 1000);
    ck_assert_uint_eq(c->policy.n_exemptions, 1);
    ck_assert_uint_eq(c->policy.exemptions[0].line, 4);
    ck_assert_uint_eq(c->n_ns_modes, 1);
}

static void verify_merge(const struct hp_config *c)
{
    assert_action(c, HP_CHECK_PRIVILEGED, HP_ACTION_WARN);
    assert_action(c, HP_CHECK_RUN_AS_USER, HP_ACTION_WARN);
    ck_assert_int_eq(c->policy.min_uid, 5);
    /* An aliased exemption is named where the alias stands. */
    ck_assert_uint_eq(c->policy.n_exemptions, 2);
    ck_assert_uint_eq(c->policy.exemptions[0].line, 7);
    ck_assert_uint_eq(c->policy.exemptions[1].line, 8);
}

static void verify_kinds(const struct hp_config *c)
{
    const struct hp_k8s_kinds *set = c->policy.kinds;
    ck_assert_ptr_nonnull(set);
    ck_assert_uint_eq(set->n, 2);
    const struct hp_k8s_kind *k = &set->items[0];
    assert_str("[0].group", "example.com", k->group);
    assert_str("[0].version", "*", k->version); /* the default */
    assert_str("[0].kind", "Workflow", k->kind);
    ck_assert_uint_eq(k->n_paths, 3);
    assert_str("[0].paths[0]", "spec.podSpec", k->paths[0]);
    /* A pod template's path names its pod spec. */
    assert_str("[0].paths[1]", "spec.steps[*].template.spec", k->paths[1]);
    assert_str("[0].paths[2]", "spec.onExit?.template.spec", k->paths[2]);
    ck_assert_ptr_null(k->reference);
    ck_assert_uint_eq(k->line, 2);
    k = &set->items[1];
    assert_str("[1].group", "*", k->group);
    assert_str("[1].version", "v2", k->version);
    assert_str("[1].kind", "Rollout", k->kind);
    ck_assert_uint_eq(k->n_paths, 1);
    assert_str("[1].paths[0]", "spec.template.spec", k->paths[0]);
    assert_str("[1].reference", "spec.workloadRef", k->reference);
    ck_assert_uint_eq(k->line, 9);
}

static const struct valid_case {
    const char *name;
    const char *text;
    void (*verify)(const struct hp_config *c);
} valid_cases[] = {
    {"empty", "", verify_empty},
    {"comment only", "# nothing here\n", verify_empty},
    {"empty mapping", "{}\n", verify_empty},
    {"bare document marker", "---\n", verify_empty},
    {"trailing empty documents", "mode: audit\n---\n---\n...\n", verify_mode_audit},
    {"null collections", "namespaceModes:\nchecks: ~\nexemptions: null\n", verify_empty},
    {"profile", "profile: psa-baseline\n", verify_profile_baseline},
    {"quoted profile", "profile: \"none\"\n", verify_profile_none},
    {"mode", "mode: audit\n", verify_mode_audit},
    {"namespaceModes",
     "namespaceModes:\n  - namespace: \"legacy-*\"\n    mode: audit\n  - {namespace: prod, mode: "
     "enforce}\n",
     verify_ns_modes},
    {"actions",
     "checks:\n  readOnlyRootFilesystem: warn\n  automountServiceAccountToken: deny\n"
     "  privileged: off\n  seccompProfile: 'off'\n",
     verify_actions},
    {"runAsUser and runAsGroup",
     "checks:\n  runAsUser: {action: warn, minUID: 1000}\n  runAsGroup:\n    minGID: 2147483647\n",
     verify_run_as},
    {"minUID zero", "checks: {runAsUser: {minUID: 0}, runAsGroup: {minGID: 0}}\n", verify_min_zero},
    {"allowAdd normalised",
     "checks:\n  capabilities:\n    allowAdd: [\" net_bind_service \", CAP_CHOWN, NET_BIND_SERVICE,"
     " cap_sys_time]\n",
     verify_allow_add},
    {"allowAdd empty", "checks:\n  capabilities: {action: warn, allowAdd: []}\n",
     verify_allow_add_empty},
    {"require",
     "checks:\n  resources:\n    require: [limits.memory, requests.cpu, limits.memory]\n",
     verify_require},
    {"namespace exemption",
     "exemptions:\n  - namespace: \"kube-*\"\n    reason: \"system components\"\n"
     "    expires: 2027-01-31\n",
     verify_exempt_namespace},
    {"username exemption",
     "exemptions:\n  - username: \"system:serviceaccount:ci:deployer\"\n    reason: ci\n",
     verify_exempt_username},
    {"image exemption with aliases",
     "exemptions:\n  - {namespace: a, reason: &why shared}\n"
     "  - image: \"mcr.microsoft.com/dotnet/*\"\n"
     "    checks: [readOnlyRootFilesystem, dotnetDiagnostics, readOnlyRootFilesystem]\n"
     "    namespaces: [shop, \"team-*\"]\n    reason: *why\n"
     "    expires: \"2027-01-31T12:00:00+02:00\"\n",
     verify_exempt_image},
    {"workload exemption",
     "exemptions:\n  - kinds: [Deployment, Rollout]\n    names: [legacy, \"batch-[a-c]*\"]\n"
     "    namespaces: [shop]\n    reason: legacy app, being rebuilt\n"
     "    expires: 2027-01-31\n"
     "  # a CronJob, one check\n"
     "  - {kinds: [CronJob], names: [backup], namespaces: [\"ops-*\"], checks: [runAsNonRoot],\n"
     "     reason: r}\n",
     verify_exempt_workload},
    {"JSON",
     "{\n  \"profile\": \"psa-restricted\", \"mode\": \"audit\",\n"
     "  \"checks\": {\"runAsUser\": {\"action\": \"warn\", \"minUID\": 1000}},\n"
     "  \"exemptions\": [{\"namespace\": \"kube-*\", \"reason\": \"system\"}],\n"
     "  \"namespaceModes\": [{\"namespace\": \"dev-*\", \"mode\": \"audit\"}]\n}\n",
     verify_json},
    {"merge keys and aliases",
     "checks:\n  privileged: &p {action: warn}\n  runAsUser:\n    <<: *p\n    minUID: 5\n"
     "exemptions:\n  - &e {namespace: a, reason: r}\n  - *e\n",
     verify_merge},
    {"empty documents before the config", "---\n---\nmode: audit\n", verify_mode_audit},
    {"customKinds",
     "customKinds:\n  - group: example.com\n    kind: Workflow\n    podSpecs: [spec.podSpec]\n"
     "    podTemplates:\n      - \"spec.steps[*].template\"\n      - spec.onExit?.template\n"
     "  # every group\n  - {group: \"*\", version: v2, kind: Rollout, podTemplates: "
     "[spec.template],\n     referencePath: spec.workloadRef}\n",
     verify_kinds},
    {"customKinds empty", "customKinds: []\n", verify_empty},
};

START_TEST(test_config_valid)
{
    const struct valid_case *tc = &valid_cases[_i];
    struct hp_config c;
    struct hp_error err = {0};
    enum hp_err rc = parse(tc->text, &c, &err);
    ck_assert_msg(rc == HP_OK, "%s: expected HP_OK, got %d: %s", tc->name, rc, err.msg);
    tc->verify(&c);
    hp_config_cleanup(&c);
}
END_TEST

START_TEST(test_config_profile_param)
{
    const char *text = "profile: psa-baseline\nchecks:\n  privileged: warn\n";
    const enum hp_profile none = HP_PROFILE_NONE;
    struct hp_config c;
    struct hp_error err = {0};
    enum hp_err rc = hp_config_parse(text, strlen(text), SRC, &none, &c, &err);
    ck_assert_msg(rc == HP_OK, "expected HP_OK, got %d: %s", rc, err.msg);
    ck_assert_msg(c.policy.profile == HP_PROFILE_NONE, "profile: expected none, got %s",
                  hp_profile_name(c.policy.profile));
    /* The file's overrides still apply, on top of the caller's profile. */
    assert_action(&c, HP_CHECK_PRIVILEGED, HP_ACTION_WARN);
    assert_action(&c, HP_CHECK_HOST_PORTS, HP_ACTION_OFF);
    hp_config_cleanup(&c);

    /* The file's profile is still validated. */
    text = "profile: strict\n";
    rc = hp_config_parse(text, strlen(text), SRC, &none, &c, &err);
    ck_assert_msg(rc == HP_ERR_INVALID, "bad file profile: expected HP_ERR_INVALID, got %d", rc);
    hp_config_cleanup(&c);

    /* With no file profile the parameter is used as is. */
    const enum hp_profile restricted = HP_PROFILE_PSA_RESTRICTED;
    rc = hp_config_parse("", 0, SRC, &restricted, &c, &err);
    ck_assert_msg(rc == HP_OK, "expected HP_OK, got %d: %s", rc, err.msg);
    ck_assert_int_eq(c.policy.profile, HP_PROFILE_PSA_RESTRICTED);
    hp_config_cleanup(&c);
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

static const struct error_case {
    const char *name;
    const char *text;
    const char *msg;
} error_cases[] = {
    {"unknown top key", "profile: hardened\nprofil: none\n",
     SRC ":2: profil: unknown key (expected one of: profile, mode, namespaceModes, checks, "
         "exemptions, customKinds)"},
    {"unknown profile", "profile: strict\n",
     SRC ":1: profile: unknown profile \"strict\" (expected one of: hardened, psa-restricted, "
         "psa-baseline, none)"},
    {"unknown mode", "mode: warn\n",
     SRC ":1: mode: unknown mode \"warn\" (expected one of: enforce, audit)"},
    {"mode not a string", "mode: [audit]\n", SRC ":1: mode: expected a string, got a list"},
    {"mode null", "mode:\n", SRC ":1: mode: expected a string, got null"},
    {"checks not a mapping", "checks: [privileged]\n",
     SRC ":1: checks: expected a mapping, got a list"},
    {"unknown check", "checks:\n  fooBar: deny\n", SRC ":2: checks.fooBar: unknown check id"},
    {"check suggestion by case", "checks:\n  readOnlyRootFileSystem: warn\n",
     SRC ":2: checks.readOnlyRootFileSystem: unknown check id (did you mean "
         "readOnlyRootFilesystem?)"},
    {"check suggestion by typo", "checks:\n  privilegd: deny\n",
     SRC ":2: checks.privilegd: unknown check id (did you mean privileged?)"},
    {"bad action", "checks:\n  privileged: block\n",
     SRC ":2: checks.privileged: unknown action \"block\" (expected one of: deny, warn, off)"},
    {"boolean is not an action", "checks:\n  privileged: false\n",
     SRC ":2: checks.privileged: unknown action \"false\" (expected one of: deny, warn, off)"},
    {"bad action in mapping", "checks:\n  privileged: {action: Deny}\n",
     SRC ":2: checks.privileged.action: unknown action \"Deny\" (expected one of: deny, warn, "
         "off)"},
    {"check value a list", "checks:\n  privileged: [deny]\n",
     SRC ":2: checks.privileged: expected an action (deny, warn, off) or a mapping, got a list"},
    {"unknown option", "checks:\n  privileged: {action: deny, level: baseline}\n",
     SRC ":2: checks.privileged.level: unknown key (expected one of: action)"},
    {"minUID non-integer", "checks:\n  runAsUser:\n    minUID: abc\n",
     SRC ":3: checks.runAsUser.minUID: expected an integer >= 0, got \"abc\""},
    {"minUID negative", "checks:\n  runAsUser:\n    minUID: -1\n",
     SRC ":3: checks.runAsUser.minUID: expected an integer >= 0, got \"-1\""},
    {"minUID huge", "checks:\n  runAsUser:\n    minUID: 2147483648\n",
     SRC ":3: checks.runAsUser.minUID: expected an integer <= 2147483647, got \"2147483648\""},
    {"minUID overflow", "checks:\n  runAsUser:\n    minUID: 99999999999999999999999\n",
     SRC ":3: checks.runAsUser.minUID: expected an integer <= 2147483647, got "
         "\"99999999999999999999999\""},
    {"minUID float", "checks:\n  runAsUser: {minUID: 1.5}\n",
     SRC ":2: checks.runAsUser.minUID: expected an integer >= 0, got \"1.5\""},
    {"minUID quoted", "checks:\n  runAsUser: {minUID: \"1000\"}\n",
     SRC ":2: checks.runAsUser.minUID: expected an integer >= 0, got the quoted string \"1000\""},
    {"minUID octal-looking", "checks:\n  runAsUser: {minUID: 0755}\n",
     SRC ":2: checks.runAsUser.minUID: expected a decimal integer without leading zeros, got "
         "\"0755\""},
    {"minGID a list", "checks:\n  runAsGroup: {minGID: [1]}\n",
     SRC ":2: checks.runAsGroup.minGID: expected an integer >= 0, got a list"},
    {"option on wrong check", "checks:\n  capabilities:\n    minUID: 1000\n",
     SRC ":3: checks.capabilities.minUID: minUID applies only to the runAsUser check"},
    {"allowAdd on wrong check", "checks:\n  privileged: {allowAdd: [NET_RAW]}\n",
     SRC ":2: checks.privileged.allowAdd: allowAdd applies only to the capabilities check"},
    {"bad capability", "checks:\n  capabilities:\n    allowAdd: [CHOWN, NET-ADMIN]\n",
     SRC ":3: checks.capabilities.allowAdd[1]: invalid capability \"NET-ADMIN\" (expected a "
         "name such as NET_BIND_SERVICE)"},
    {"bare CAP_ prefix", "checks:\n  capabilities:\n    allowAdd: [\"CAP_\"]\n",
     SRC ":3: checks.capabilities.allowAdd[0]: invalid capability \"CAP_\" (expected a name "
         "such as NET_BIND_SERVICE)"},
    {"allowAdd not a list", "checks:\n  capabilities: {allowAdd: NET_RAW}\n",
     SRC ":2: checks.capabilities.allowAdd: expected a list, got \"NET_RAW\""},
    {"require empty", "checks:\n  resources: {require: []}\n",
     SRC ":2: checks.resources.require: expected a non-empty list of requests.cpu, "
         "requests.memory, limits.cpu, limits.memory"},
    {"require unknown",
     "checks:\n  resources:\n    require:\n      - requests.cpu\n"
     "      - requests.gpu\n",
     SRC ":5: checks.resources.require[1]: unknown resource \"requests.gpu\" (expected one of: "
         "requests.cpu, requests.memory, limits.cpu, limits.memory)"},
    {"duplicate top key", "mode: audit\nprofile: none\nmode: enforce\n",
     SRC ":3: mode: duplicate key (first at line 1)"},
    {"duplicate check", "checks:\n  privileged: deny\n  privileged: warn\n",
     SRC ":3: checks.privileged: duplicate key (first at line 2)"},
    {"duplicate option", "checks:\n  runAsUser: {minUID: 1,\n    minUID: 2}\n",
     SRC ":3: checks.runAsUser.minUID: duplicate key (first at line 2)"},
    {"non-string key", "? [a]\n: b\n", SRC ":1: expected a string key, got a list"},
    {"exemption without reason", "exemptions:\n  - namespace: legacy\n",
     SRC ":2: exemptions[0]: missing reason (every exemption needs one)"},
    {"exemption with empty reason", "exemptions:\n  - namespace: legacy\n    reason: \"  \"\n",
     SRC ":3: exemptions[0].reason: expected a non-empty string"},
    {"exemption with two selectors",
     "exemptions:\n  - {namespace: a, reason: r}\n  - namespace: legacy\n    image: nginx\n"
     "    reason: r\n",
     SRC ":4: exemptions[1]: expected exactly one of namespace, username, image, kinds, got "
         "both namespace and image"},
    {"exemption without selector", "exemptions:\n  - reason: why\n",
     SRC ":2: exemptions[0]: expected exactly one of namespace, username, image, kinds"},
    {"exemption not a mapping", "exemptions:\n  - kube-system\n",
     SRC ":2: exemptions[0]: expected a mapping, got \"kube-system\""},
    {"exemption empty pattern", "exemptions:\n  - {namespace: \"\", reason: r}\n",
     SRC ":2: exemptions[0].namespace: expected a non-empty string"},
    {"image without checks", "exemptions:\n  - image: nginx\n    reason: r\n",
     SRC ":2: exemptions[0]: an image exemption needs checks (a list of the check ids it "
         "exempts)"},
    {"image with empty checks", "exemptions:\n  - {image: nginx, checks: [], reason: r}\n",
     SRC ":2: exemptions[0].checks: expected a non-empty list of check ids"},
    {"image with unknown check",
     "exemptions:\n  - image: nginx\n    reason: r\n"
     "    checks: [privileged, readonlyrootfilesystem]\n",
     SRC ":4: exemptions[0].checks[1]: unknown check id \"readonlyrootfilesystem\" (did you "
         "mean readOnlyRootFilesystem?)"},
    {"image with empty namespaces",
     "exemptions:\n  - {image: nginx, checks: [privileged], reason: r, namespaces: []}\n",
     SRC ":2: exemptions[0].namespaces: expected a non-empty list (leave namespaces out to exempt "
         "the image in every namespace)"},
    {"checks on a namespace exemption",
     "exemptions:\n  - namespace: a\n    reason: r\n    checks: [privileged]\n",
     SRC ":4: exemptions[0].checks: checks applies only to image and workload exemptions (a "
         "namespace or username exemption covers every check)"},
    {"namespaces on a username exemption",
     "exemptions:\n  - username: bob\n    reason: r\n    namespaces: [a]\n",
     SRC ":4: exemptions[0].namespaces: namespaces applies only to image and workload "
         "exemptions (a namespace or username exemption covers every check)"},
    {"unknown exemption key", "exemptions:\n  - namespace: a\n    reason: r\n    until: x\n",
     SRC ":4: exemptions[0].until: unknown key (expected one of: namespace, username, image, "
         "kinds, checks, namespaces, names, reason, expires)"},
    {"names without kinds", "exemptions:\n  - names: [legacy]\n    reason: r\n",
     SRC ":2: exemptions[0]: names needs kinds (the kinds of the workloads it names, such as "
         "[Deployment])"},
    {"names on a namespace exemption",
     "exemptions:\n  - namespace: shop\n    names: [legacy]\n    reason: r\n",
     SRC ":3: exemptions[0].names: names applies only to workload exemptions (with kinds)"},
    {"kinds and image", "exemptions:\n  - image: nginx\n    kinds: [Pod]\n    reason: r\n",
     SRC ":3: exemptions[0]: expected exactly one of namespace, username, image, kinds, got both "
         "image and kinds"},
    {"kinds not a list",
     "exemptions:\n  - {kinds: Deployment, names: [a], namespaces: [b], reason: r}\n",
     SRC ":2: exemptions[0].kinds: expected a list, got \"Deployment\""},
    {"kinds of a mapping",
     "exemptions:\n  - kinds:\n      - {kind: Deployment}\n    names: [a]\n"
     "    namespaces: [b]\n    reason: r\n",
     SRC ":3: exemptions[0].kinds[0]: expected a string, got a mapping"},
    {"kinds empty", "exemptions:\n  - {kinds: [], names: [a], namespaces: [b], reason: r}\n",
     SRC ":2: exemptions[0].kinds: expected a non-empty list (the kinds it exempts, such as "
         "[Deployment])"},
    {"kind with a group",
     "exemptions:\n  - kinds: [Pod, apps/Deployment]\n    names: [a]\n    namespaces: [b]\n"
     "    reason: r\n",
     SRC ":2: exemptions[0].kinds[1]: invalid kind \"apps/Deployment\" (expected a kind as "
         "objects write it, such as Deployment: letters and digits, no group or version)"},
    {"kind in the wrong case",
     "exemptions:\n  - kinds: [deployment]\n    names: [a]\n    namespaces: [b]\n"
     "    reason: r\n",
     SRC ":2: exemptions[0].kinds[0]: unknown kind \"deployment\" (kinds are case-sensitive: "
         "did you mean Deployment?)"},
    {"kinds without names",
     "exemptions:\n  - kinds: [Deployment]\n    namespaces: [shop]\n    reason: r\n",
     SRC ":2: exemptions[0]: a workload exemption needs names (globs of the names it exempts; "
         "\"*\" for every one)"},
    {"kinds without namespaces",
     "exemptions:\n  - kinds: [Deployment]\n    names: [legacy]\n    reason: r\n",
     SRC ":2: exemptions[0]: a workload exemption needs namespaces (the namespaces it applies "
         "in: names are unique only within one)"},
    {"names empty", "exemptions:\n  - {kinds: [Pod], names: [], namespaces: [b], reason: r}\n",
     SRC ":2: exemptions[0].names: expected a non-empty list (the names it exempts; \"*\" for "
         "every one)"},
    {"workload namespaces empty",
     "exemptions:\n  - {kinds: [Pod], names: [a], namespaces: [], reason: r}\n",
     SRC ":2: exemptions[0].namespaces: expected a non-empty list (a workload exemption applies "
         "only in the namespaces it names)"},
    {"name with a namespace",
     "exemptions:\n  - kinds: [Deployment]\n    names: [shop/legacy]\n    namespaces: [shop]\n"
     "    reason: r\n",
     SRC ":3: exemptions[0].names[0]: invalid name \"shop/legacy\": object names hold no / (put "
         "the namespace in namespaces)"},
    {"name an empty string",
     "exemptions:\n  - {kinds: [Pod], names: [a, \"\"], namespaces: [b], reason: r}\n",
     SRC ":2: exemptions[0].names[1]: expected a non-empty string"},
    {"name an unclosed bracket",
     "exemptions:\n  - kinds: [Pod]\n    names: [\"web-[0-9\"]\n    namespaces: [b]\n"
     "    reason: r\n",
     SRC ":3: exemptions[0].names[0]: invalid glob \"web-[0-9\": a [ without its closing ]"},
    {"namespace glob with a trailing backslash",
     "exemptions:\n  - kinds: [Pod]\n    names: [a]\n    namespaces: ['shop\\']\n"
     "    reason: r\n",
     SRC ":4: exemptions[0].namespaces[0]: invalid glob \"shop\\\\\": a trailing \\ escapes "
         "nothing"},
    {"workload checks unknown",
     "exemptions:\n  - kinds: [Pod]\n    names: [a]\n    namespaces: [b]\n"
     "    checks: [privilegd]\n    reason: r\n",
     SRC ":5: exemptions[0].checks[0]: unknown check id \"privilegd\" (did you mean "
         "privileged?)"},
    {"workload without reason", "exemptions:\n  - {kinds: [Pod], names: [a], namespaces: [b]}\n",
     SRC ":2: exemptions[0]: missing reason (every exemption needs one)"},
    {"bad expires", "exemptions:\n  - namespace: a\n    reason: r\n    expires: 2027-02-29\n",
     SRC ":4: exemptions[0].expires: invalid time \"2027-02-29\": day out of range for the month "
         "(expected YYYY-MM-DD or RFC 3339 such as 2027-01-31T12:00:00Z)"},
    {"expires at the epoch",
     "exemptions:\n  - namespace: a\n    reason: r\n    expires: 1970-01-01T00:00:00Z\n",
     SRC ":4: exemptions[0].expires: expected a time after 1970-01-01T00:00:00Z"},
    {"namespaceModes without mode", "namespaceModes:\n  - namespace: dev\n",
     SRC ":2: namespaceModes[0]: missing mode (each entry needs namespace and mode)"},
    {"namespaceModes bad mode", "namespaceModes:\n  - {namespace: dev, mode: dry-run}\n",
     SRC ":2: namespaceModes[0].mode: unknown mode \"dry-run\" (expected one of: enforce, audit)"},
    {"multiple documents", "mode: audit\n---\nmode: enforce\n",
     SRC ":2: a second YAML document (a config file holds exactly one)"},
    {"content after empty documents", "mode: audit\n---\n---\nmode: enforce\n",
     SRC ":3: a second YAML document (a config file holds exactly one)"},
    {"list root", "- mode\n- audit\n", SRC ":1: expected a mapping at the top level, got a list"},
    {"scalar root", "hardened\n", SRC ":1: expected a mapping at the top level, got \"hardened\""},
    {"YAML syntax error", "mode: audit\nchecks:\n  privileged: [deny\n",
     SRC ":4: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at "
         "line 3)"},
    {"YAML indentation error", "checks:\n  privileged: deny\n runAsUser: warn\n",
     SRC ":3: invalid YAML: did not find expected key (while parsing a block mapping at line 1)"},
    {"JSON syntax error", "{\"mode\": \"audit\",\n \"checks\": {\"privileged\": \"deny\"}\n",
     SRC ":3: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping at "
         "line 1)"},
    {"JSON wrong type", "{\n  \"checks\": {\n    \"runAsUser\": {\"minUID\": \"1000\"}}}\n",
     SRC ":3: checks.runAsUser.minUID: expected an integer >= 0, got the quoted string \"1000\""},
    {"undefined alias", "mode: *m\n", SRC ":1: invalid YAML: found undefined alias"},
    {"NUL in a string", "exemptions:\n  - {namespace: \"a\\0b\", reason: r}\n",
     SRC ":2: exemptions[0].namespace: the string contains a NUL character"},
    {"explicit tag that does not fit", "checks:\n  runAsUser: {minUID: !!int x}\n",
     SRC ":2: checks.runAsUser.minUID: cannot decode !!str `x` as !!int"},
    {"null key", "checks:\n  ~: deny\n", SRC ":2: checks: expected a string key, got null"},
    {"mapping key", "checks:\n  {a: b}: deny\n",
     SRC ":2: checks: expected a string key, got a mapping"},
    {"recursive alias", "exemptions: &x [*x]\n", SRC ":1: exemptions[0]: recursive alias *x"},
    {"merge of a scalar", "checks:\n  privileged:\n    <<: deny\n",
     SRC ":3: checks.privileged: the value of a << merge key must be a mapping or a sequence of "
         "mappings"},
    {"merged key not allowed", "checks:\n  privileged:\n    <<: {minUID: 1}\n",
     SRC ":3: checks.privileged.minUID: minUID applies only to the runAsUser check"},
    {"second document after an end marker", "mode: audit\n...\n\nmode: enforce\n",
     SRC ":4: a second YAML document (a config file holds exactly one)"},
    /* customKinds */
    {"customKinds not a list", "customKinds: {kind: Rollout}\n",
     SRC ":1: customKinds: expected a list, got a mapping"},
    {"customKinds entry not a mapping", "customKinds:\n  - Rollout\n",
     SRC ":2: customKinds[0]: expected a mapping, got \"Rollout\""},
    {"customKinds unknown key", "customKinds:\n  - group: a.io\n    kind: W\n    podSpec: [spec]\n",
     SRC ":4: customKinds[0].podSpec: unknown key (expected one of: group, version, kind, "
         "podSpecs, podTemplates, referencePath)"},
    {"customKinds without group", "customKinds:\n  - {kind: W, podSpecs: [spec]}\n",
     SRC ":2: customKinds[0]: missing group (each entry needs group and kind; write \"*\" for "
         "any group)"},
    {"customKinds without kind", "customKinds:\n  - {group: a.io, podSpecs: [spec]}\n",
     SRC ":2: customKinds[0]: missing kind (each entry needs group and kind; write \"*\" for "
         "any group)"},
    {"customKinds without paths", "customKinds:\n  - {group: a.io, kind: W}\n",
     SRC ":2: customKinds[0]: expected podSpecs or podTemplates: a non-empty list of the paths "
         "of the pod specs or pod templates inside W"},
    {"customKinds empty paths",
     "customKinds:\n  - {group: a.io, kind: W, podSpecs: [], podTemplates: ~}\n",
     SRC ":2: customKinds[0]: expected podSpecs or podTemplates: a non-empty list of the paths "
         "of the pod specs or pod templates inside W"},
    {"customKinds paths not a list",
     "customKinds:\n  - group: a.io\n    kind: W\n    podTemplates: spec.template\n",
     SRC ":4: customKinds[0].podTemplates: expected a list, got \"spec.template\""},
    {"customKinds core group", "customKinds:\n  - {group: \"\", kind: W, podSpecs: [spec]}\n",
     SRC ":2: customKinds[0].group: expected a non-empty string"},
    {"customKinds built-in group", "customKinds:\n  - {group: apps, kind: W, podSpecs: [spec]}\n",
     SRC ":2: customKinds[0].group: \"apps\" is a built-in group (its workloads are read "
         "already; custom resources live in a group with a dot, such as argoproj.io)"},
    {"customKinds bad group", "customKinds:\n  - {group: Argoproj.io, kind: W, podSpecs: [spec]}\n",
     SRC ":2: customKinds[0].group: invalid group \"Argoproj.io\" (expected \"*\" or a DNS "
         "subdomain with a dot, such as argoproj.io)"},
    {"customKinds bad version",
     "customKinds:\n  - group: a.io\n    version: v1/beta\n    kind: W\n    podSpecs: [spec]\n",
     SRC ":3: customKinds[0].version: invalid version \"v1/beta\" (expected \"*\" or a name such "
         "as v1alpha1)"},
    {"customKinds bad kind", "customKinds:\n  - {group: a.io, kind: \"*\", podSpecs: [spec]}\n",
     SRC ":2: customKinds[0].kind: invalid kind \"*\" (expected a name such as Rollout: letters "
         "and digits)"},
    {"customKinds unquoted star", "customKinds:\n  - {group: *, kind: W}\n",
     SRC ":2: invalid YAML: did not find expected alphabetic or numeric character (while "
         "scanning an alias at line 2)"},
    {"customKinds index path",
     "customKinds:\n  - group: a.io\n    kind: W\n    podSpecs:\n      - spec.jobs[0].spec\n",
     SRC ":5: customKinds[0].podSpecs[0]: invalid path \"spec.jobs[0].spec\": only [*] selects "
         "list elements (byte 10)"},
    {"customKinds empty step",
     "customKinds:\n  - {group: a.io, kind: W, podTemplates: [spec..template]}\n",
     SRC ":2: customKinds[0].podTemplates[0]: invalid path \"spec..template\": expected a field "
         "name (byte 6)"},
    {"customKinds trailing dot", "customKinds:\n  - {group: a.io, kind: W, podSpecs: [spec.]}\n",
     SRC ":2: customKinds[0].podSpecs[0]: invalid path \"spec.\": expected a field name after "
         "the last '.' (byte 6)"},
    {"customKinds bad character",
     "customKinds:\n  - {group: a.io, kind: W, podSpecs: [\"spec/template\"]}\n",
     SRC ":2: customKinds[0].podSpecs[0]: invalid path \"spec/template\": unexpected character "
         "(field names are letters, digits, '_' and '-') (byte 5)"},
    {"customKinds too many [*]",
     "customKinds:\n  - {group: a.io, kind: W, podSpecs: [\"a[*].b[*].c[*].d[*].e[*]\"]}\n",
     SRC ":2: customKinds[0].podSpecs[0]: invalid path \"a[*].b[*].c[*].d[*].e[*]\": 5 [*] steps, "
         "over the limit of 4"},
    {"customKinds too many paths",
     "customKinds:\n  - group: a.io\n    kind: W\n    podSpecs: [a, b, c, d, e]\n"
     "    podTemplates: [f, g, h, i]\n",
     SRC ":5: customKinds[0].podTemplates[3]: more than 8 paths in one entry (podSpecs and "
         "podTemplates together)"},
    {"customKinds path not a string",
     "customKinds:\n  - {group: a.io, kind: W, podSpecs: [{spec: x}]}\n",
     SRC ":2: customKinds[0].podSpecs[0]: expected a string, got a mapping"},
    {"customKinds reference with [*]",
     "customKinds:\n  - group: a.io\n    kind: W\n    podSpecs: [spec]\n"
     "    referencePath: \"spec.refs[*]\"\n",
     SRC ":5: customKinds[0].referencePath: expected a plain path of field names (no [*] or ?), "
         "such as spec.workloadRef"},
    {"customKinds duplicate",
     "customKinds:\n  - {group: a.io, kind: W, podSpecs: [spec]}\n"
     "  - {group: b.io, kind: W, podSpecs: [spec]}\n"
     "  - {group: a.io, version: \"*\", kind: W, podSpecs: [spec.x]}\n",
     SRC ":4: customKinds[2]: a second entry for group a.io, version *, kind W (the first is "
         "customKinds[0], at line 2)"},
    {"control bytes echoed safely", "mode: \"a\\\"b\\tc\"\n",
     SRC ":1: mode: unknown mode \"a\\\"b\\x09c\" (expected one of: enforce, audit)"},
};

START_TEST(test_config_errors)
{
    const struct error_case *tc = &error_cases[_i];
    struct hp_config c;
    struct hp_error err = {0};
    enum hp_err rc = parse(tc->text, &c, &err);
    ck_assert_msg(rc == HP_ERR_INVALID, "%s: expected HP_ERR_INVALID, got %d (%s)", tc->name, rc,
                  err.msg);
    ck_assert_msg(strcmp(err.msg, tc->msg) == 0, "%s:\n  expected: %s\n  actual:   %s", tc->name,
                  tc->msg, err.msg);
    assert_defaults(&c, tc->name);
    hp_config_cleanup(&c);
}
END_TEST

START_TEST(test_config_error_null_err)
{
    /* A NULL error record is allowed and the defaults are still left behind. */
    const char *text = "mode: audit\nexemptions:\n  - {namespace: a, reason: r}\n  - {}\n";
    struct hp_config c;
    ck_assert_int_eq(hp_config_parse(text, strlen(text), SRC, NULL, &c, NULL), HP_ERR_INVALID);
    assert_defaults(&c, "NULL err");
    hp_config_cleanup(&c);
}
END_TEST

START_TEST(test_config_invalid_utf8)
{
    struct hp_config c;
    struct hp_error err = {0};
    enum hp_err rc = parse("mode: audit\nprofile: \xff\n", &c, &err);
    ck_assert_msg(rc == HP_ERR_INVALID, "expected HP_ERR_INVALID, got %d", rc);
    ck_assert_msg(strncmp(err.msg, SRC ":2: invalid input: ", strlen(SRC ":2: invalid input: ")) ==
                      0,
                  "expected a reader error on line 2, got: %s", err.msg);
    hp_config_cleanup(&c);
}
END_TEST

START_TEST(test_config_allow_add_cap)
{
    char text[4096];
    size_t o = (size_t)snprintf(text, sizeof(text), "checks:\n  capabilities:\n    allowAdd:\n");
    for (int i = 0; i <= HP_POLICY_MAX_ALLOW_ADD; i++) {
        o += (size_t)snprintf(text + o, sizeof(text) - o, "      - CAP_%d\n", i);
    }
    ck_assert_uint_lt(o, sizeof(text));
    struct hp_config c;
    struct hp_error err = {0};
    enum hp_err rc = parse(text, &c, &err);
    ck_assert_msg(rc == HP_ERR_INVALID, "expected HP_ERR_INVALID, got %d", rc);
    const char *want = SRC ":68: checks.capabilities.allowAdd[64]: too many capabilities (at "
                           "most 64)";
    ck_assert_msg(strcmp(err.msg, want) == 0, "expected: %s\nactual:   %s", want, err.msg);
    hp_config_cleanup(&c);
}
END_TEST

START_TEST(test_config_alias_amplification)
{
    /* 2000 references to one exemption with 1000 namespaces: tiny text, 2M values. */
    size_t cap = 64 * 1024;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    size_t o = (size_t)snprintf(text, cap,
                                "exemptions:\n  - &e {image: x, checks: [privileged], "
                                "reason: r, namespaces: [n");
    for (int i = 1; i < 1000; i++) {
        o += (size_t)snprintf(text + o, cap - o, ",n");
    }
    o += (size_t)snprintf(text + o, cap - o, "]}\n");
    for (int i = 1; i < 2000; i++) {
        o += (size_t)snprintf(text + o, cap - o, "  - *e\n");
    }
    ck_assert_uint_lt(o, cap);
    struct hp_config c;
    struct hp_error err = {0};
    enum hp_err rc = parse(text, &c, &err);
    ck_assert_msg(rc == HP_ERR_LIMIT, "expected HP_ERR_LIMIT, got %d (%s)", rc, err.msg);
    ck_assert_msg(strstr(err.msg, "too many values after expanding aliases") != NULL,
                  "unexpected message: %s", err.msg);
    assert_defaults(&c, "alias amplification");
    hp_config_cleanup(&c);
    free(text);
}
END_TEST

START_TEST(test_config_deep_nesting)
{
    /* Deep flow nesting under the size cap must fail fast (libyaml is quadratic in it). */
    size_t depth = 200000;
    size_t len = strlen("checks: ") + 2 * depth;
    char *text = malloc(len + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, "checks: ", 8);
    memset(text + 8, '[', depth);
    memset(text + 8 + depth, ']', depth);
    text[len] = '\0';
    struct hp_config c;
    struct hp_error err = {0};
    enum hp_err rc = hp_config_parse(text, len, SRC, NULL, &c, &err);
    ck_assert_msg(rc == HP_ERR_LIMIT, "expected HP_ERR_LIMIT, got %d (%s)", rc, err.msg);
    const char *want = SRC ":1: nesting deeper than 32 levels";
    ck_assert_msg(strcmp(err.msg, want) == 0, "expected: %s\nactual:   %s", want, err.msg);
    assert_defaults(&c, "deep nesting");
    hp_config_cleanup(&c);
    free(text);
}
END_TEST

/* ---- sizes and files ---------------------------------------------------- */

/* Writes n bytes of a valid config (mode: audit, padded with a comment). */
static void write_padded(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    fputs("mode: audit\n#", f);
    for (size_t i = strlen("mode: audit\n#"); i < n - 1; i++) {
        fputc('x', f);
    }
    fputc('\n', f);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_config_oversized)
{
    size_t n = HP_CONFIG_MAX_BYTES + 1;
    char *text = malloc(n);
    ck_assert_ptr_nonnull(text);
    memset(text, '#', n);
    struct hp_config c;
    struct hp_error err = {0};
    enum hp_err rc = hp_config_parse(text, n, SRC, NULL, &c, &err);
    ck_assert_msg(rc == HP_ERR_LIMIT, "expected HP_ERR_LIMIT, got %d", rc);
    const char *want = SRC ": the config is 1048577 bytes, over the limit of 1048576";
    ck_assert_msg(strcmp(err.msg, want) == 0, "expected: %s\nactual:   %s", want, err.msg);
    assert_defaults(&c, "oversized");
    hp_config_cleanup(&c);
    free(text);

    char path[] = "/tmp/check_config_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    write_padded(path, HP_CONFIG_MAX_BYTES + 1);
    rc = hp_config_load(path, NULL, &c, &err);
    ck_assert_msg(rc == HP_ERR_LIMIT, "load: expected HP_ERR_LIMIT, got %d (%s)", rc, err.msg);
    ck_assert_msg(strstr(err.msg, path) != NULL, "message does not name %s: %s", path, err.msg);
    hp_config_cleanup(&c);

    /* Exactly at the cap is fine. */
    write_padded(path, HP_CONFIG_MAX_BYTES);
    rc = hp_config_load(path, NULL, &c, &err);
    ck_assert_msg(rc == HP_OK, "load at the cap: expected HP_OK, got %d (%s)", rc, err.msg);
    ck_assert_int_eq(c.mode, HP_MODE_AUDIT);
    hp_config_cleanup(&c);
    unlink(path);
}
END_TEST

START_TEST(test_config_load_missing)
{
    const char *path = "/nonexistent/hardpod.yaml";
    struct hp_config c;
    struct hp_error err = {0};
    hp_error_clear(&err);
    enum hp_err rc = hp_config_load(path, NULL, &c, &err);
    ck_assert_msg(rc == HP_ERR_IO, "expected HP_ERR_IO, got %d", rc);
    const char *want = "/nonexistent/hardpod.yaml: No such file or directory";
    ck_assert_msg(strcmp(err.msg, want) == 0, "expected: %s\nactual:   %s", want, err.msg);
    assert_defaults(&c, "missing file");
    hp_config_cleanup(&c);

    rc = hp_config_load("/tmp", NULL, &c, &err);
    ck_assert_msg(rc == HP_ERR_IO, "directory: expected HP_ERR_IO, got %d (%s)", rc, err.msg);
    ck_assert_msg(strstr(err.msg, "/tmp: cannot read: ") == err.msg, "unexpected: %s", err.msg);
    hp_config_cleanup(&c);
}
END_TEST

START_TEST(test_config_load_errors_name_file)
{
    char path[] = "/tmp/check_config_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = "mode: audit\nchecks:\n  runAsUser: {minUID: x}\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct hp_config c;
    struct hp_error err = {0};
    enum hp_err rc = hp_config_load(path, NULL, &c, &err);
    ck_assert_msg(rc == HP_ERR_INVALID, "expected HP_ERR_INVALID, got %d", rc);
    char want[256];
    snprintf(want, sizeof(want),
             "%s:3: checks.runAsUser.minUID: expected an integer >= 0, got "
             "\"x\"",
             path);
    ck_assert_msg(strcmp(err.msg, want) == 0, "expected: %s\nactual:   %s", want, err.msg);
    hp_config_cleanup(&c);
    unlink(path);
}
END_TEST

START_TEST(test_config_example_fixture)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/config/example.yaml", tu_fixtures_dir());
    struct hp_config c;
    struct hp_error err = {0};
    enum hp_err rc = hp_config_load(path, NULL, &c, &err);
    ck_assert_msg(rc == HP_OK, "%s: expected HP_OK, got %d: %s", path, rc, err.msg);
    ck_assert_int_eq(c.policy.profile, HP_PROFILE_HARDENED);
    ck_assert_int_eq(c.mode, HP_MODE_ENFORCE);
    ck_assert_uint_eq(c.n_ns_modes, 1);
    ck_assert_int_eq(hp_config_mode_for(&c, "legacy-shop"), HP_MODE_AUDIT);
    assert_action(&c, HP_CHECK_READ_ONLY_ROOT_FILESYSTEM, HP_ACTION_WARN);
    assert_action(&c, HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN, HP_ACTION_OFF);
    assert_action(&c, HP_CHECK_RESOURCES, HP_ACTION_WARN);
    ck_assert_int_eq(c.policy.min_uid, 1000);
    ck_assert_int_eq(c.policy.min_gid, 1000);
    ck_assert_uint_eq(c.policy.n_allow_add, 1);
    assert_str("allowAdd[0]", "NET_BIND_SERVICE", c.policy.allow_add[0]);
    ck_assert_uint_eq(c.policy.resources_require,
                      HP_RES_REQUESTS_CPU | HP_RES_REQUESTS_MEMORY | HP_RES_LIMITS_MEMORY);
    ck_assert_uint_eq(c.policy.n_exemptions, 4);
    ck_assert_int_eq(c.policy.exemptions[0].kind, HP_EXEMPT_NAMESPACE);
    ck_assert_int_eq(c.policy.exemptions[1].kind, HP_EXEMPT_USERNAME);
    ck_assert_int_eq(c.policy.exemptions[1].expires, 1801439999);
    const struct hp_exemption *img = &c.policy.exemptions[2];
    ck_assert_int_eq(img->kind, HP_EXEMPT_IMAGE);
    ck_assert_uint_eq(img->n_namespaces, 2);
    ck_assert_int_eq(img->expires, 1814371200); /* 2027-06-30T16:00:00Z */
    const struct hp_exemption *wl = &c.policy.exemptions[3];
    ck_assert_int_eq(wl->kind, HP_EXEMPT_WORKLOAD);
    ck_assert_uint_eq(wl->n_kinds, 2);
    ck_assert_uint_eq(wl->n_names, 2);
    ck_assert_uint_eq(wl->n_namespaces, 1);
    ck_assert_uint_eq(wl->checks, (1u << HP_CHECK_RUN_AS_NON_ROOT) | (1u << HP_CHECK_RUN_AS_USER));
    ck_assert_ptr_nonnull(c.policy.kinds);
    ck_assert_uint_eq(c.policy.kinds->n, 1);
    const struct hp_k8s_kind *k = &c.policy.kinds->items[0];
    assert_str("customKinds[0].kind", "Pipeline", k->kind);
    ck_assert_uint_eq(k->n_paths, 2);
    assert_str("customKinds[0].paths[0]", "spec.finally?.podSpec", k->paths[0]);
    assert_str("customKinds[0].paths[1]", "spec.stages[*].template.spec", k->paths[1]);
    hp_config_cleanup(&c);
}
END_TEST

/* ---- modes and times ---------------------------------------------------- */

START_TEST(test_config_mode_for)
{
    const char *text = "mode: audit\nnamespaceModes:\n"
                       "  - {namespace: \"prod-*\", mode: enforce}\n"
                       "  - {namespace: prod-sandbox, mode: audit}\n"
                       "  - {namespace: \"team-[ab]\", mode: enforce}\n";
    static const struct {
        const char *ns;
        enum hp_mode want;
    } cases[] = {
        {"prod-web", HP_MODE_ENFORCE}, {"prod-sandbox", HP_MODE_ENFORCE}, /* first wins */
        {"team-a", HP_MODE_ENFORCE},   {"team-c", HP_MODE_AUDIT},
        {"production", HP_MODE_AUDIT}, {"", HP_MODE_AUDIT},
        {NULL, HP_MODE_AUDIT},
    };
    struct hp_config c;
    struct hp_error err = {0};
    ck_assert_int_eq(parse(text, &c, &err), HP_OK);
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        enum hp_mode got = hp_config_mode_for(&c, cases[i].ns);
        ck_assert_msg(got == cases[i].want, "namespace %s: expected %s, got %s",
                      cases[i].ns != NULL ? cases[i].ns : "(null)", hp_mode_name(cases[i].want),
                      hp_mode_name(got));
    }
    hp_config_cleanup(&c);

    hp_config_init(&c);
    ck_assert_int_eq(hp_config_mode_for(&c, "any"), HP_MODE_ENFORCE);
    hp_config_cleanup(&c);
}
END_TEST

START_TEST(test_config_mode_names)
{
    enum hp_mode m;
    assert_str("enforce", "enforce", hp_mode_name(HP_MODE_ENFORCE));
    assert_str("audit", "audit", hp_mode_name(HP_MODE_AUDIT));
    ck_assert(hp_mode_lookup("enforce", &m) && m == HP_MODE_ENFORCE);
    ck_assert(hp_mode_lookup("audit", &m) && m == HP_MODE_AUDIT);
    ck_assert(!hp_mode_lookup("Audit", &m));
    ck_assert(!hp_mode_lookup("", &m));
}
END_TEST

static const struct time_case {
    const char *s;
    bool ok;
    int64_t want;
} time_cases[] = {
    {"2027-01-31", true, 1801439999},
    {"2024-02-29", true, 1709251199},
    {"2000-02-29", true, 951868799},
    {"1970-01-01", true, 86399},
    {"9999-12-31", true, 253402300799},
    {"2027-01-31T12:00:00Z", true, 1801396800},
    {"2027-01-31t12:00:00z", true, 1801396800},
    {"2027-01-31T12:00:00.999999Z", true, 1801396800},
    {"2027-01-31T12:00:00+02:00", true, 1801389600},
    {"2027-01-31T12:00:00-05:30", true, 1801416600},
    {"2027-01-31T12:00:00-00:00", true, 1801396800},
    {"2023-02-29", false, 0},
    {"2100-02-29", false, 0},
    {"2027-04-31", false, 0},
    {"2027-13-01", false, 0},
    {"2027-00-10", false, 0},
    {"2027-01-00", false, 0},
    {"2027-1-5", false, 0},
    {"27-01-31", false, 0},
    {"2027/01/31", false, 0},
    {"2027-01-31T24:00:00Z", false, 0},
    {"2027-01-31T12:60:00Z", false, 0},
    {"2027-01-31T12:00:60Z", false, 0},
    {"2027-01-31T12:00:00", false, 0},
    {"2027-01-31T12:00Z", false, 0},
    {"2027-01-31 12:00:00Z", false, 0},
    {"2027-01-31T12:00:00.Z", false, 0},
    {"2027-01-31T12:00:00+2:00", false, 0},
    {"2027-01-31T12:00:00+24:00", false, 0},
    {"2027-01-31T12:00:00+02:60", false, 0},
    {"2027-01-31T12:00:00Zjunk", false, 0},
    {"2027-01-31junk", false, 0},
    {" 2027-01-31", false, 0},
    {"", false, 0},
};

START_TEST(test_config_parse_time)
{
    const struct time_case *tc = &time_cases[_i];
    struct hp_error err = {0};
    int64_t got = -12345;
    hp_error_clear(&err);
    enum hp_err rc = hp_time_parse(tc->s, &got, &err);
    if (tc->ok) {
        ck_assert_msg(rc == HP_OK, "\"%s\": expected HP_OK, got %d: %s", tc->s, rc, err.msg);
        ck_assert_msg(got == tc->want, "\"%s\": expected %lld, got %lld", tc->s,
                      (long long)tc->want, (long long)got);
    } else {
        ck_assert_msg(rc == HP_ERR_INVALID, "\"%s\": expected HP_ERR_INVALID, got %d (value %lld)",
                      tc->s, rc, (long long)got);
        ck_assert_msg(strstr(err.msg, "invalid time \"") == err.msg, "\"%s\": message: %s", tc->s,
                      err.msg);
        ck_assert_msg(got == -12345, "\"%s\": out written on error", tc->s);
    }
}
END_TEST

START_TEST(test_config_parse_time_null)
{
    int64_t got = 0;
    ck_assert_int_eq(hp_time_parse(NULL, &got, NULL), HP_ERR_INVALID);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_config_valid, 0, (int)N_ELEMS(valid_cases));
    tcase_add_test(tc, test_config_profile_param);
    tcase_add_loop_test(tc, test_config_errors, 0, (int)N_ELEMS(error_cases));
    tcase_add_test(tc, test_config_error_null_err);
    tcase_add_test(tc, test_config_invalid_utf8);
    tcase_add_test(tc, test_config_allow_add_cap);
    tcase_add_test(tc, test_config_alias_amplification);
    tcase_add_test(tc, test_config_deep_nesting);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_test(tc, test_config_oversized);
    tcase_add_test(tc, test_config_load_missing);
    tcase_add_test(tc, test_config_load_errors_name_file);
    tcase_add_test(tc, test_config_example_fixture);
    suite_add_tcase(s, tc);

    tc = tcase_create("modes and times");
    tcase_add_test(tc, test_config_mode_for);
    tcase_add_test(tc, test_config_mode_names);
    tcase_add_loop_test(tc, test_config_parse_time, 0, (int)N_ELEMS(time_cases));
    tcase_add_test(tc, test_config_parse_time_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(config_suite());
}
