/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardpod audit`: parses the flags, loads the policy (a config file, a
 * built-in profile, optionally narrowed with --only) and runs the library's
 * audit over the paths. Usage errors name the problem and exit 2.
 */
#include "cmd.h"

#include "hardpod/audit.h"
#include "hardpod/config.h"
#include "hardpod/time.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    OPT_CONFIG = 256,
    OPT_PROFILE,
    OPT_ONLY,
    OPT_FORMAT,
    OPT_FAIL_ON,
    OPT_NO_GROUP,
    OPT_COLOR,
    OPT_MAX_MEMORY,
    OPT_NOW,
    OPT_DOCKERFILE,
    OPT_IMAGE_CONFIG,
    OPT_IMAGE_MAP,
    OPT_TARGET,
    OPT_BUILD_ARG,
};

/* --max-memory bounds: enough for small inputs, and far past any machine. */
#define MAX_MEMORY_MIN (1l << 20)
#define MAX_MEMORY_MAX (1l << 40)

/* --now is a testing aid for exemption expiry and is left out of --help. */
static const struct option long_options[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"only", required_argument, NULL, OPT_ONLY},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"no-group", no_argument, NULL, OPT_NO_GROUP},
    {"color", required_argument, NULL, OPT_COLOR},
    {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
    {"now", required_argument, NULL, OPT_NOW},
    {"dockerfile", required_argument, NULL, OPT_DOCKERFILE},
    {"image-config", required_argument, NULL, OPT_IMAGE_CONFIG},
    {"image-map", required_argument, NULL, OPT_IMAGE_MAP},
    {"target", required_argument, NULL, OPT_TARGET},
    {"build-arg", required_argument, NULL, OPT_BUILD_ARG},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct audit_args {
    const char *config;
    const char *profile;
    const char *only;
    const char *format;
    const char *fail_on;
    bool no_group;
    const char *color;
    const char *max_memory;
    const char *now;
    bool help;
    char **paths;
    size_t n_paths;
    /* The repeatable flags; each array has room for argc values. */
    const char **dockerfiles;
    size_t n_dockerfiles;
    const char **image_configs;
    size_t n_image_configs;
    struct hp_audit_image_map *image_map;
    size_t n_image_map;
    const char *target;
    struct hp_image_arg *build_args;
    size_t n_build_args;
};

static void args_cleanup(struct audit_args *a)
{
    free(a->dockerfiles);
    free(a->image_configs);
    free(a->image_map);
    free(a->build_args);
}

/* Splits "NAME=VALUE" at its first '=' into *name (a copy kept in argv: the
 * '=' is overwritten) and *value; false when there is no '=' or no NAME. */
static bool split_pair(char *s, const char **name, const char **value)
{
    char *eq = strchr(s, '=');
    if (eq == NULL || eq == s) {
        return false;
    }
    *eq = '\0';
    *name = s;
    *value = eq + 1;
    return true;
}

static void print_checks(FILE *out)
{
    size_t col = 2;
    fputs("  ", out);
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        const char *name = hp_check_name((enum hp_check)c);
        size_t n = strlen(name) + (c + 1 < HP_CHECK_COUNT ? 1 : 0);
        if (col > 2 && col + 1 + n > 78) {
            fputs("\n  ", out);
            col = 2;
        } else if (col > 2) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%s%s", name, c + 1 < HP_CHECK_COUNT ? "," : "");
        col += n;
    }
    fputc('\n', out);
}

static void print_help(FILE *out)
{
    fputs("usage: hardpod audit [flags] PATH...\n\n"
          "Checks Kubernetes manifests against the policy, without a cluster, and reports\n"
          "every finding. PATH is a file (read whatever its extension; a Dockerfile by\n"
          "its name), a directory (searched recursively for *.yaml, *.yml, *.json and\n"
          "Dockerfiles, in sorted order) or - for stdin. YAML streams, JSON streams,\n"
          "lists and AdmissionReviews are read as kubectl apply -f reads them: any\n"
          "object with items is a list of its items.\n"
          "Inputs are streamed (a list's items one at a time), so they may be of any\n"
          "size; one YAML document or one JSON object may be at most 64 MiB.\n\n"
          "flags:\n"
          "  --config FILE        read the policy (profile, check overrides, exemptions,\n"
          "                       custom kinds) from FILE\n"
          "  --profile NAME       built-in profile: hardened (the default), psa-restricted,\n"
          "                       psa-baseline or none; with --config it replaces the\n"
          "                       file's profile\n"
          "  --only CHECK[,...]   run only these checks; the others are off. A named\n"
          "                       check that the profile or config leaves off runs with\n"
          "                       action deny (so --profile none --only CHECK runs it)\n"
          "  --format FORMAT      text (the default), json, sarif (SARIF 2.1.0, for code\n"
          "                       scanning), junit (JUnit XML, for CI test reports),\n"
          "                       policyreport (wgpolicyk8s.io/v1alpha2 PolicyReports in a\n"
          "                       v1 List, for kubectl apply) or patch (a kustomize\n"
          "                       Component of strategic-merge patches that set the fields\n"
          "                       the findings ask for; requests and limits are \"<set: ...>\"\n"
          "                       placeholders to replace; what no patch fixes is listed in\n"
          "                       comments)\n"
          "  --fail-on WHAT       what makes the exit status 1: deny (the default), warn\n"
          "                       (warnings too) or never, optionally with not-evaluated\n"
          "                       (resources hardpod cannot read), e.g. deny,not-evaluated.\n"
          "                       Inputs that cannot be read exit 2 even with never\n"
          "  --no-group           list every resource. By default a resource whose\n"
          "                       controlling owner (ownerReferences, controller: true)\n"
          "                       is in the input with the same findings is shown once,\n"
          "                       on its highest such owner, with the pods it covers\n"
          "  --color WHEN         colour the text report: auto (the default: when stdout is\n"
          "                       a terminal and NO_COLOR is unset), always or never\n"
          "  --max-memory BYTES   the memory ceiling of the run (default 256Mi): input\n"
          "                       buffers, parse trees (YAML aliases expanded), findings\n"
          "                       and the report; an input that does not fit is an error\n"
          "                       (exit 2). A number, or one with a Ki, Mi or Gi suffix\n"
          "  -h, --help           show this help\n"
          "\nimages (docs/images.md):\n"
          "  Dockerfiles found in PATH by name (Dockerfile, Containerfile, Dockerfile.*,\n"
          "  *.Dockerfile) are audited too: the final stage's user, ports and .NET\n"
          "  settings, read as BuildKit builds them, with no registry access.\n"
          "  --dockerfile FILE    audit FILE as a Dockerfile, whatever its name\n"
          "  --image-config FILE  audit a built image: the JSON of `podman image inspect`,\n"
          "                       `docker image inspect` or an OCI image config\n"
          "  --image-map IMAGE=FILE\n"
          "                       containers whose image is IMAGE (exactly, or a glob such\n"
          "                       as 'registry/app:*') run the image FILE describes (a\n"
          "                       Dockerfile or an image config): findings that only the\n"
          "                       two together show, such as runAsNonRoot without\n"
          "                       runAsUser on an image whose user is a name\n"
          "  --target STAGE       the Dockerfile stage that is built (default: the last)\n"
          "  --build-arg NAME=VALUE\n"
          "                       a build argument, as docker build --build-arg sets it\n\n"
          "checks:\n",
          out);
    print_checks(out);
    fputs("\nstatus of each document:\n"
          "  PASS, WARN, DENY  evaluated: by its findings\n"
          "  SKIP              no Kubernetes object, or a kind without a pod spec\n"
          "                    (ConfigMap, Kustomization, ...)\n"
          "  NOT EVALUATED     a kind hardpod cannot read that holds containers (a custom\n"
          "                    resource with a pod template it has no mapping for):\n"
          "                    never a pass\n"
          "\nexit status:\n"
          "  0  nothing fails under --fail-on (by default: nothing is denied)\n"
          "  1  a resource fails under --fail-on (by default: has a deny finding)\n"
          "  2  an input could not be read, parsed or evaluated (whatever --fail-on\n"
          "     says), or a usage or config error\n",
          out);
}

/* Parses argv into a; returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, struct audit_args *a)
{
    opterr = 0;
    optind = 0;
    size_t room = (size_t)argc + 1;
    a->dockerfiles = hp_xcalloc(room, sizeof(*a->dockerfiles));
    a->image_configs = hp_xcalloc(room, sizeof(*a->image_configs));
    a->image_map = hp_xcalloc(room, sizeof(*a->image_map));
    a->build_args = hp_xcalloc(room, sizeof(*a->build_args));
    for (;;) {
        int c = getopt_long(argc, argv, ":h", long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_CONFIG:
            a->config = optarg;
            break;
        case OPT_PROFILE:
            a->profile = optarg;
            break;
        case OPT_ONLY:
            a->only = optarg;
            break;
        case OPT_FORMAT:
            a->format = optarg;
            break;
        case OPT_FAIL_ON:
            a->fail_on = optarg;
            break;
        case OPT_NO_GROUP:
            a->no_group = true;
            break;
        case OPT_COLOR:
            a->color = optarg;
            break;
        case OPT_MAX_MEMORY:
            a->max_memory = optarg;
            break;
        case OPT_NOW:
            a->now = optarg;
            break;
        case OPT_DOCKERFILE:
            a->dockerfiles[a->n_dockerfiles++] = optarg;
            break;
        case OPT_IMAGE_CONFIG:
            a->image_configs[a->n_image_configs++] = optarg;
            break;
        case OPT_IMAGE_MAP: {
            struct hp_audit_image_map *m = &a->image_map[a->n_image_map];
            if (!split_pair(optarg, &m->image, &m->path) || m->path[0] == '\0') {
                return hp_cmd_usage_error("audit", "--image-map: '%s' is not IMAGE=PATH", optarg);
            }
            a->n_image_map++;
            break;
        }
        case OPT_TARGET:
            a->target = optarg;
            break;
        case OPT_BUILD_ARG: {
            struct hp_image_arg *b = &a->build_args[a->n_build_args];
            if (!split_pair(optarg, &b->name, &b->value)) {
                return hp_cmd_usage_error("audit", "--build-arg: '%s' is not NAME=VALUE", optarg);
            }
            a->n_build_args++;
            break;
        }
        case 'h':
            a->help = true;
            break;
        case ':':
            return hp_cmd_usage_error("audit", "option '%s' needs a value", argv[optind - 1]);
        default:
            return hp_cmd_usage_error("audit", "unknown option '%s'", argv[optind - 1]);
        }
    }
    a->paths = argv + optind;
    a->n_paths = (size_t)(argc - optind);
    return -1;
}

/* Turns off every check that --only does not name, and turns on with action
 * deny a named check that the profile or config leaves off: --only asks for
 * these checks to run, whatever the profile (a config's warn is kept). The
 * checks array belongs to the config loaded for this run, so nothing else
 * sees the change. */
static int apply_only(const char *list, struct hp_policy *p)
{
    uint32_t keep = 0;
    const char *s = list;
    for (;;) {
        size_t n = strcspn(s, ",");
        char name[64];
        enum hp_check c;
        if (n == 0 || n >= sizeof(name)) {
            return hp_cmd_usage_error("audit", "--only: %s check name in '%s'",
                                      n == 0 ? "empty" : "unknown", list);
        }
        memcpy(name, s, n);
        name[n] = '\0';
        if (!hp_check_lookup(name, &c)) {
            return hp_cmd_usage_error("audit", "--only: unknown check '%s'", name);
        }
        keep |= 1u << c;
        if (p->checks[c].action == HP_ACTION_OFF) {
            fprintf(stderr,
                    "hardpod audit: note: check %s is off in profile %s; --only runs it with "
                    "action deny\n",
                    name, hp_profile_name(p->profile));
            p->checks[c].action = HP_ACTION_DENY;
        }
        if (s[n] == '\0') {
            break;
        }
        s += n + 1;
    }
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        if ((keep & (1u << c)) == 0) {
            p->checks[c].action = HP_ACTION_OFF;
        }
    }
    return -1;
}

/* Loads the policy into cfg (initialised by the caller); returns -1 or the exit status. */
static int load_policy(const struct audit_args *a, struct hp_config *cfg)
{
    enum hp_profile profile;
    if (a->profile != NULL && !hp_profile_lookup(a->profile, &profile)) {
        return hp_cmd_usage_error(
            "audit", "unknown profile '%s' (hardened, psa-restricted, psa-baseline, none)",
            a->profile);
    }
    if (a->config != NULL) {
        struct hp_error err;
        hp_error_clear(&err);
        if (hp_config_load(a->config, a->profile != NULL ? &profile : NULL, cfg, &err) != HP_OK) {
            fprintf(stderr, "hardpod: %s\n", err.msg);
            return 2;
        }
    } else if (a->profile != NULL) {
        hp_policy_cleanup(&cfg->policy);
        hp_policy_init(&cfg->policy, profile);
    }
    return a->only != NULL ? apply_only(a->only, &cfg->policy) : -1;
}

/* Fills the options from the flags; returns -1 or the exit status. */
static int set_options(const struct audit_args *a, struct hp_audit_options *o)
{
    o->format = HP_AUDIT_TEXT;
    o->no_group = a->no_group;
    if (a->format != NULL && !hp_audit_format_lookup(a->format, &o->format)) {
        return hp_cmd_usage_error(
            "audit", "unknown format '%s' (text, json, sarif, junit, policyreport, patch)",
            a->format);
    }
    if (a->fail_on != NULL) {
        struct hp_error err;
        hp_error_clear(&err);
        if (hp_audit_fail_on_parse(a->fail_on, &o->fail_on, &err) != HP_OK) {
            return hp_cmd_usage_error("audit", "--fail-on: %s", err.msg);
        }
    }
    const char *color = a->color != NULL ? a->color : "auto";
    if (strcmp(color, "auto") == 0) {
        const char *no_color = getenv("NO_COLOR");
        o->color = isatty(STDOUT_FILENO) && (no_color == NULL || no_color[0] == '\0');
    } else if (strcmp(color, "always") == 0 || strcmp(color, "never") == 0) {
        o->color = color[0] == 'a';
    } else {
        return hp_cmd_usage_error("audit", "unknown --color value '%s' (auto, always, never)",
                                  color);
    }
    o->now = (int64_t)time(NULL);
    if (a->now != NULL) {
        struct hp_error err;
        hp_error_clear(&err);
        if (hp_time_parse(a->now, &o->now, &err) != HP_OK) {
            return hp_cmd_usage_error("audit", "--now: %s", err.msg);
        }
    }
    o->dockerfiles = a->dockerfiles;
    o->n_dockerfiles = a->n_dockerfiles;
    o->image_configs = a->image_configs;
    o->n_image_configs = a->n_image_configs;
    o->image_map = a->image_map;
    o->n_image_map = a->n_image_map;
    o->target = a->target;
    o->build_args = a->build_args;
    o->n_build_args = a->n_build_args;
    o->limits = hp_manifest_default_limits;
    o->max_file_bytes = 0;
    if (a->max_memory != NULL) {
        long bytes = 0;
        if (!hp_cmd_size(a->max_memory, MAX_MEMORY_MIN, MAX_MEMORY_MAX, &bytes)) {
            return hp_cmd_usage_error(
                "audit",
                "--max-memory: '%s' is not a size from 1Mi to 1024Gi (bytes, or Ki, Mi, Gi)",
                a->max_memory);
        }
        o->limits.max_memory = (size_t)bytes;
    }
    return -1;
}

int hp_cmd_audit(int argc, char **argv)
{
    struct audit_args a = {0};
    struct hp_audit_options o = {0};
    struct hp_config cfg;
    int rc = parse_args(argc, argv, &a);
    hp_config_init(&cfg);
    if (rc >= 0) {
        goto out;
    }
    if (a.help) {
        print_help(stdout);
        rc = 0;
        goto out;
    }
    rc = set_options(&a, &o);
    if (rc >= 0) {
        goto out;
    }
    if (a.n_paths == 0 && a.n_dockerfiles == 0 && a.n_image_configs == 0) {
        rc = hp_cmd_usage_error("audit", "no PATH given (use - for stdin)");
        goto out;
    }
    rc = load_policy(&a, &cfg);
    if (rc >= 0) {
        goto out;
    }
    o.policy = &cfg.policy;
    o.profile_name = hp_profile_name(cfg.policy.profile);
    rc = hp_audit_run(&o, a.paths, a.n_paths, stdout);
out:
    hp_config_cleanup(&cfg);
    args_cleanup(&a);
    return rc;
}
