/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy engine: (Kubernetes object, policy) -> findings. Pure: no I/O, no
 * clock (the caller passes the time for exemption expiry), no logging and no
 * globals, so it is re-entrant and callable from any server thread on a
 * parsed object without copying it.
 */
#ifndef HARDPOD_POLICY_H
#define HARDPOD_POLICY_H

#include "hardpod/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct hp_k8s_kinds;
struct hp_image_facts;

/* Check ids. Their names (hp_check_name) are user-facing API: config keys,
 * metric labels and message prefixes. Never renumber or rename. Everything
 * else about a check is its row in the registry (src/policy/registry.c);
 * docs/adding-a-check.md says how to add one. */
enum hp_check {
    HP_CHECK_RUN_AS_NON_ROOT,
    HP_CHECK_RUN_AS_USER,
    HP_CHECK_RUN_AS_GROUP,
    HP_CHECK_ALLOW_PRIVILEGE_ESCALATION,
    HP_CHECK_PRIVILEGED,
    HP_CHECK_CAPABILITIES,
    HP_CHECK_READ_ONLY_ROOT_FILESYSTEM,
    HP_CHECK_RESOURCES,
    HP_CHECK_HOST_NAMESPACES,
    HP_CHECK_HOST_PATH_VOLUMES,
    HP_CHECK_HOST_PORTS,
    HP_CHECK_PROC_MOUNT,
    HP_CHECK_SYSCTLS,
    HP_CHECK_SELINUX_OPTIONS,
    HP_CHECK_APPARMOR_PROFILE,
    HP_CHECK_WINDOWS_HOST_PROCESS,
    HP_CHECK_HOST_PROBES_AND_HOST_LIFECYCLE,
    HP_CHECK_SECCOMP_PROFILE,
    HP_CHECK_RESTRICTED_VOLUMES,
    HP_CHECK_PRIVILEGED_PORTS,
    HP_CHECK_DOTNET_DIAGNOSTICS,
    HP_CHECK_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN,
    HP_CHECK_COUNT
};

enum hp_action {
    HP_ACTION_OFF,
    HP_ACTION_WARN,
    HP_ACTION_DENY,
};

/* Which semantics a check follows. Hardened is hardpod's own (stricter);
 * baseline and restricted reproduce Pod Security Admission's levels. */
enum hp_level {
    HP_LEVEL_HARDENED,
    HP_LEVEL_BASELINE,
    HP_LEVEL_RESTRICTED,
};

enum hp_profile {
    HP_PROFILE_HARDENED,
    HP_PROFILE_PSA_RESTRICTED,
    HP_PROFILE_PSA_BASELINE,
    HP_PROFILE_NONE,
};

/* Bits of the `resources` check's `require` option. */
enum {
    HP_RES_REQUESTS_CPU = 1u << 0,
    HP_RES_REQUESTS_MEMORY = 1u << 1,
    HP_RES_LIMITS_CPU = 1u << 2,
    HP_RES_LIMITS_MEMORY = 1u << 3,
    HP_RES_ALL = 0xFu,
};

struct hp_check_config {
    enum hp_action action;
    enum hp_level level;
};

enum hp_exemption_kind {
    HP_EXEMPT_NAMESPACE, /* every finding of objects in a matching namespace */
    HP_EXEMPT_USERNAME,  /* every finding of requests by a matching user (server only) */
    HP_EXEMPT_IMAGE,     /* findings of `checks` on containers whose image matches */
    HP_EXEMPT_WORKLOAD,  /* findings of `checks` on the workloads that kinds and names
                          * select in namespaces (see hp_policy_eval) */
};

/* One exemption. Patterns are shell globs (fnmatch without flags). */
struct hp_exemption {
    enum hp_exemption_kind kind;
    char *pattern;       /* owned: namespace, username or image glob; NULL for a workload */
    uint32_t checks;     /* IMAGE and WORKLOAD: bit (1u << check) per exempted check */
    char **namespaces;   /* owned; IMAGE and WORKLOAD: namespace globs that limit it */
    size_t n_namespaces; /* 0 = every namespace (IMAGE only: WORKLOAD needs one) */
    char **kinds;        /* owned; WORKLOAD: kinds, matched exactly ("Deployment") */
    size_t n_kinds;
    char **names; /* owned; WORKLOAD: globs of object names */
    size_t n_names;
    char *reason;    /* owned; mandatory */
    int64_t expires; /* unix seconds after which it stops applying; 0 = never */
    size_t line;     /* config line, for messages */
};

/* True when x has an expiry and now is past it: it no longer applies. */
static inline bool hp_exemption_expired(const struct hp_exemption *x, int64_t now)
{
    return x->expires != 0 && now > x->expires;
}

#define HP_POLICY_MAX_ALLOW_ADD 64

/* A policy. Immutable once loaded; share it freely between threads. */
struct hp_policy {
    enum hp_profile profile;
    struct hp_check_config checks[HP_CHECK_COUNT];
    int64_t min_uid;                          /* runAsUser: minimum effective UID (default 1) */
    int64_t min_gid;                          /* runAsGroup: minimum effective GID (default 1) */
    unsigned resources_require;               /* HP_RES_* bits (default HP_RES_ALL) */
    char *allow_add[HP_POLICY_MAX_ALLOW_ADD]; /* owned; capabilities allowed in add,
                                               * uppercase without CAP_ */
    size_t n_allow_add;
    bool windows_exemptions;         /* PSA's exemptions for spec.os.name=windows */
    struct hp_exemption *exemptions; /* owned */
    size_t n_exemptions;
    struct hp_k8s_kinds *kinds; /* owned; custom kinds from the config, NULL: only the
                                 * built-in ones (see hardpod/k8s.h) */
};

/* Initialises p to a built-in profile with no exemptions. */
void hp_policy_init(struct hp_policy *p, enum hp_profile profile);
/* Frees what p owns; p may be initialised again. */
void hp_policy_cleanup(struct hp_policy *p);

/* The most config options a check takes besides `action`. */
#define HP_CHECK_MAX_OPTIONS 4

/* How `hardpod audit --format patch` turns a finding into a strategic-merge
 * patch: what it does at the field the finding's path names. */
enum hp_patch_op {
    HP_PATCH_NONE,        /* no patch: value says why, for the output */
    HP_PATCH_SET,         /* set the field to value, a JSON literal ("true", "\"Default\"") */
    HP_PATCH_UID,         /* set the field to 10001, or to the policy's minUID when higher */
    HP_PATCH_GID,         /* the same with minGID */
    HP_PATCH_PLACEHOLDER, /* set the field to value, a string the API server refuses */
    HP_PATCH_DELETE,      /* remove the field */
    HP_PATCH_LIST_ADD,    /* the list (replaced whole by a strategic merge) keeps its
                           * entries, its spellings of value in another case removed,
                           * and gains value */
    HP_PATCH_LIST_REMOVE, /* the list entry at the path's last index is removed */
    HP_PATCH_ANNOTATION,  /* the annotation the path names is set to value */
    HP_PATCH_ENV,         /* the container's env sets value, "NAME=VALUE" */
    HP_PATCH_KESTREL,     /* the Kestrel setting at env[i] moves port 80 to 8080 and 443
                           * to 8443 (any other port below 1024: no patch) */
};

/* One rule: at is the end of a finding's path below the container, the pod
 * spec or the pod's metadata, "[*]" standing for any index; the first rule
 * whose at matches the whole rest of the path applies. */
struct hp_patch_rule {
    const char *at; /* NULL: unused */
    enum hp_patch_op op;
    const char *value;
};
#define HP_CHECK_MAX_PATCH_RULES 6

/* What the registry of checks says about one check, for the modules that
 * name, configure or report it. Every string is static. */
struct hp_check_info {
    const char *name;                          /* config key, metric label, SARIF rule id */
    const char *options[HP_CHECK_MAX_OPTIONS]; /* config options besides action; unused: NULL */
    const char *title;                         /* SARIF shortDescription */
    const char *description;                   /* SARIF fullDescription: one sentence */
    const char *help;                          /* SARIF help: how to fix it */
    /* --format patch: the rules for this check's findings, or no_patch, why
     * none of them can be a patch. Every check has one or the other. */
    struct hp_patch_rule patch[HP_CHECK_MAX_PATCH_RULES];
    const char *no_patch;
};

/* The registry's row for c (borrowed, static); NULL for an unknown id. */
const struct hp_check_info *hp_check_info_get(enum hp_check c);

/* Names of checks and profiles, as used in config files and messages. */
const char *hp_check_name(enum hp_check c);
bool hp_check_lookup(const char *name, enum hp_check *out);
const char *hp_action_name(enum hp_action a);
bool hp_action_lookup(const char *name, enum hp_action *out);
const char *hp_profile_name(enum hp_profile p);
bool hp_profile_lookup(const char *name, enum hp_profile *out);

/* One violation. Strings are owned by the hp_findings that holds it. */
struct hp_finding {
    enum hp_check check;
    enum hp_action action; /* WARN or DENY (an exempted finding is WARN) */
    bool exempt;           /* downgraded to WARN by an exemption */
    const char *container; /* container name; NULL for pod-level findings */
    const char
        *path; /* field path in the object, e.g. spec.containers[0].securityContext.privileged */
    const char *message;       /* what is wrong; starts with "exempt: <reason>: " when exempt */
    const char *detail;        /* message without the exemption prefix */
    const char *exempt_reason; /* the exemption's reason; NULL when not exempt */
    const char *fix;           /* YAML to add, e.g. "securityContext: {privileged: false}" */
    size_t line;               /* image findings: the Dockerfile line it concerns; 0 otherwise */
};

struct hp_arena_block;

/* Findings of one evaluation. Caller-owned storage: init once, reuse across
 * evaluations (hp_policy_eval resets it), cleanup at the end. Evaluations
 * that find nothing allocate nothing. Must not be moved while in use. */
struct hp_findings {
    struct hp_finding *items;
    size_t len;
    size_t n_deny;    /* deny findings, stored or dropped */
    size_t n_warn;    /* warn findings, stored or dropped */
    size_t n_dropped; /* counted but not stored: they did not fit in max_bytes */
    bool has_podspec; /* at least one pod spec was found and evaluated */
    /* internal */
    size_t cap;
    size_t max_bytes; /* 0: no limit */
    size_t bytes;     /* heap held: spilled string blocks and a grown item array */
    struct hp_finding inline_items[16];
    struct hp_arena_block *blocks;
    char *arena_pos;
    size_t arena_left;
    char inline_arena[2048];
};

void hp_findings_init(struct hp_findings *f);
void hp_findings_reset(struct hp_findings *f);
void hp_findings_cleanup(struct hp_findings *f);

/* Holds the heap that later evaluations may take to max bytes (0, the
 * default, for no limit): the first finding that would need more, and every
 * one after it, is counted in n_deny or n_warn and in n_dropped but not
 * stored, so the verdict stays right and the stored ones are a prefix. For a
 * caller with a memory ceiling (hardpod audit): a finding's cost is bounded,
 * but their number grows with the object. */
void hp_findings_set_max_bytes(struct hp_findings *f, size_t max);

/* The heap f holds now, in bytes: string blocks and a grown item array. */
size_t hp_findings_bytes(const struct hp_findings *f);

/* What to evaluate. All pointers are borrowed for the call. */
struct hp_eval_input {
    struct json_object *object; /* the Kubernetes object */
    const char *api_version;    /* NULL: read apiVersion from the object */
    const char *kind;           /* NULL: read kind from the object */
    const char *ns;             /* NULL: read metadata.namespace (for exemptions) */
    const char *username;       /* NULL: username exemptions do not apply */
    int64_t now;                /* unix seconds, for exemption expiry */
    /* Optional: the facts of a container's image (audit --image-map), for
     * the failures that only the two together show (runAsNonRoot against
     * the image's user; privilegedPorts and dotnetDiagnostics against its
     * environment); NULL, or a NULL answer, when the image is not known.
     * Called with image_arg and the container's image, once per container
     * that names one, on the calling thread; the answer is borrowed for
     * the call to hp_policy_eval. */
    const struct hp_image_facts *(*image)(void *arg, const char *image);
    void *image_arg;
};

/* Evaluates in against p and fills out (reset first). Every pod spec of the
 * object is evaluated: the one of a built-in workload, or each one that the
 * paths of a custom kind reach (p->kinds, then the built-in entries), with
 * findings at their real paths. Objects of kinds without a pod spec, and
 * custom resources that hold none, give no findings (out->has_podspec
 * false).
 *
 * A workload exemption applies in its namespaces (in->ns, else
 * metadata.namespace) to an object whose own kind and metadata.name it
 * names, or whose controlling owner (the metadata.ownerReferences entry with
 * controller: true) it names by kind and name. An owner that is a ReplicaSet
 * whose name ends in "-" and a pod-template-hash (1 to 10 characters of
 * "bcdfghjklmnpqrstvwxz2456789") also stands for the Deployment named by the
 * rest; a Job whose name ends in "-" and 1 to 19 digits (the CronJob
 * controller's minutes since the epoch) also stands for that CronJob. No
 * label or annotation is read for exemptions. Returns HP_ERR_INVALID
 * with the JSON path when the object's structure cannot be walked (a pod spec,
 * container list or container that is not an object/array); type errors in
 * individual fields are findings, never errors, so that bad input fails closed.
 * Thread-safe for distinct out. */
enum hp_err hp_policy_eval(const struct hp_policy *p, const struct hp_eval_input *in,
                           struct hp_findings *out, struct hp_error *err);

/* Judges an image's facts (hardpod/image.h) against p's checks and fills
 * out (reset first): the user it runs as (runAsNonRoot, runAsUser,
 * runAsGroup), the ports it listens on (privilegedPorts) and .NET
 * diagnostics on a read-only root filesystem (dotnetDiagnostics), each with
 * the check's configured action (off: no finding). Each finding's path
 * names the instruction or config field ("USER", "EXPOSE 80",
 * "ENV ASPNETCORE_URLS", "FROM" for a base image's default, "Config.User",
 * "Config.Env[ASPNETCORE_URLS]"), its line the Dockerfile line (0 for a
 * config), and its container is NULL. Exemptions do not apply: an image
 * alone has no namespace, user or deployed name to match them against.
 * HP_ERR_INTERNAL only when p or img is NULL. Pure; thread-safe for
 * distinct out. */
enum hp_err hp_policy_eval_image(const struct hp_policy *p, const struct hp_image_facts *img,
                                 struct hp_findings *out, struct hp_error *err);

/* The first port below 1024 that one of Kestrel's listen settings names,
 * as the privilegedPorts check reads it: value is a ';'-separated list of
 * URLs when urls (ASPNETCORE_URLS; a URL without a port means 80 or 443),
 * else of ports (ASPNETCORE_HTTP_PORTS, ASPNETCORE_HTTPS_PORTS). -1 when
 * there is none. */
long hp_policy_kestrel_low_port(const char *value, bool urls);

/* True when out holds at least one DENY finding. */
static inline bool hp_findings_denied(const struct hp_findings *f)
{
    return f->n_deny > 0;
}

#endif
