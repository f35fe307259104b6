/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardpod audit`: runs the policy engine over manifests on disk or stdin
 * (YAML streams, JSON objects, Lists, AdmissionReviews) and reports the
 * findings as text, JSON, SARIF 2.1.0, JUnit XML or wgpolicyk8s.io
 * PolicyReports, or turns them into patches that fix what they can. Reading and rendering live
 * here; the judgement is the engine's.
 */
#ifndef HARDPOD_AUDIT_H
#define HARDPOD_AUDIT_H

#include "hardpod/image.h"
#include "hardpod/manifest.h"
#include "hardpod/policy.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum hp_audit_format {
    HP_AUDIT_TEXT,
    HP_AUDIT_JSON,
    HP_AUDIT_SARIF,
    HP_AUDIT_JUNIT,
    HP_AUDIT_POLICYREPORT,
    HP_AUDIT_PATCH, /* a kustomize Component of strategic-merge patches */
};

/* What makes the run exit 1 (--fail-on). A threshold, DENY (the default) or
 * WARN (which includes deny), or NEVER; NOT_EVALUATED may be added to DENY or
 * WARN. Read errors exit 2 whatever these say. */
enum {
    HP_AUDIT_FAIL_DENY = 1u << 0,
    HP_AUDIT_FAIL_WARN = 1u << 1,
    HP_AUDIT_FAIL_NOT_EVALUATED = 1u << 2,
    HP_AUDIT_FAIL_NEVER = 1u << 3,
};

/* --image-map IMAGE=PATH: the containers whose image is IMAGE (exactly, or
 * as a glob) run the image that the Dockerfile or image config at PATH
 * describes. */
struct hp_audit_image_map {
    const char *image;
    const char *path;
};

struct hp_audit_options {
    const struct hp_policy *policy; /* borrowed */
    const char *profile_name;       /* for messages and SARIF; borrowed */
    enum hp_audit_format format;
    unsigned fail_on;      /* HP_AUDIT_FAIL_* bits; 0 = HP_AUDIT_FAIL_DENY */
    bool color;            /* ANSI colour in text output */
    bool no_group;         /* list every resource; by default a resource whose
                            * controlling owner is in the input and has the same
                            * findings is shown once, on that owner */
    int64_t now;           /* unix seconds, for exemption expiry */
    size_t max_file_bytes; /* per YAML document or JSON object held whole (inputs are
                            * streamed); 0 = the manifest default (64 MiB) */
    /* max_bytes 0 = the manifest defaults. max_memory is the ceiling of the
     * whole run (0 = 256 MiB): input buffers, the tree of the document being
     * audited, the engine's findings and the report are charged to it before
     * they are allocated. */
    struct hp_manifest_limits limits;
    /* The image side (docs/images.md). Dockerfiles found by name in the
     * paths are audited too; these name more, all borrowed. */
    const char *const *dockerfiles; /* --dockerfile: read as Dockerfiles whatever their name */
    size_t n_dockerfiles;
    const char *const *image_configs; /* --image-config: `podman image inspect` output */
    size_t n_image_configs;
    const struct hp_audit_image_map *image_map; /* --image-map */
    size_t n_image_map;
    const char *target; /* --target: the Dockerfile stage that counts; NULL: the last */
    const struct hp_image_arg *build_args; /* --build-arg */
    size_t n_build_args;
};

/* Audits every path ("-" is stdin; directories are walked recursively for
 * *.yaml, *.yml and *.json, in sorted order) and writes the report to out.
 * Returns the exit code: 2 when any input could not be read or parsed or did
 * not fit in limits.max_memory, whatever o->fail_on says; else 1 when a
 * resource fails under o->fail_on (by default: has a deny finding); else 0.
 * (With errors, the other inputs are still audited and reported,
 * unless the report itself is full: it then ends with an error that says
 * so). Inputs are read as kubectl reads them and streamed: documents one at
 * a time, and the items of a list one at a time, so memory does not grow
 * with the length of a stream or of a list. */
int hp_audit_run(const struct hp_audit_options *o, char *const *paths, size_t n_paths, FILE *out);

bool hp_audit_format_lookup(const char *name, enum hp_audit_format *out);

/* Parses a --fail-on value: a comma list of one threshold (deny, warn,
 * never) and optionally not-evaluated ("deny,not-evaluated"; not-evaluated
 * alone keeps the deny threshold). On error returns HP_ERR_INVALID with a
 * message naming the bad word. */
enum hp_err hp_audit_fail_on_parse(const char *s, unsigned *out, struct hp_error *err);

#endif
