/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardpod audit`: runs the policy engine over manifests on disk or stdin
 * (YAML streams, JSON objects, Lists, AdmissionReviews) and reports the
 * findings as text, JSON or SARIF 2.1.0. Reading and rendering live here; the
 * judgement is the engine's.
 */
#ifndef HARDPOD_AUDIT_H
#define HARDPOD_AUDIT_H

#include "hardpod/manifest.h"
#include "hardpod/policy.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum hp_audit_format {
    HP_AUDIT_TEXT,
    HP_AUDIT_JSON,
    HP_AUDIT_SARIF,
};

struct hp_audit_options {
    const struct hp_policy *policy; /* borrowed */
    const char *profile_name;       /* for messages and SARIF; borrowed */
    enum hp_audit_format format;
    bool color;            /* ANSI colour in text output */
    int64_t now;           /* unix seconds, for exemption expiry */
    size_t max_file_bytes; /* per YAML document or JSON object held whole (inputs are
                            * streamed); 0 = the manifest default (64 MiB) */
    /* max_bytes 0 = the manifest defaults. max_memory is the ceiling of the
     * whole run (0 = 256 MiB): input buffers, the tree of the document being
     * audited, the engine's findings and the report are charged to it before
     * they are allocated. */
    struct hp_manifest_limits limits;
};

/* Audits every path ("-" is stdin; directories are walked recursively for
 * *.yaml, *.yml and *.json, in sorted order) and writes the report to out.
 * Returns the exit code: 0 when nothing is denied, 1 when any resource has a
 * deny finding, 2 when any input could not be read or parsed or did not fit
 * in limits.max_memory (the other inputs are still audited and reported,
 * unless the report itself is full: it then ends with an error that says
 * so). Inputs are read as kubectl reads them and streamed: documents one at
 * a time, and the items of a list one at a time, so memory does not grow
 * with the length of a stream or of a list. */
int hp_audit_run(const struct hp_audit_options *o, char *const *paths, size_t n_paths, FILE *out);

bool hp_audit_format_lookup(const char *name, enum hp_audit_format *out);

#endif
