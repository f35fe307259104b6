/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/audit: the report model that the readers fill (input.c,
 * scan.c) and the renderers print (render_*.c), and the run's memory budget.
 * Entries keep input order; every string in the model is owned by it, and
 * charged to the budget before it is copied. Not part of the public API.
 */
#ifndef HP_AUDIT_INTERNAL_H
#define HP_AUDIT_INTERNAL_H

#include "hardpod/audit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A copy of one engine finding that outlives the hp_findings it came from. */
struct hp_audit_finding {
    enum hp_check check;
    enum hp_action action;
    char *container; /* owned; NULL for pod-level findings */
    char *path;      /* owned */
    char *message;   /* owned */
    char *fix;       /* owned; may be NULL */
};

/* One resource or one error, in the order the inputs were read. */
struct hp_audit_entry {
    char *file;        /* owned; as given on the command line, "-" for stdin */
    size_t line;       /* 1-based; 0 when the entry concerns the whole file */
    char *error;       /* owned; non-NULL makes this an error entry */
    char *api_version; /* owned; NULL when absent (also for the fields below) */
    char *kind;
    char *ns;
    char *name;
    struct hp_audit_finding *findings; /* owned */
    size_t n_findings;
    size_t n_deny;
    size_t n_warn;
};

struct hp_audit_report {
    struct hp_audit_entry *entries; /* owned */
    size_t len;
    size_t cap;
    size_t n_resources;
    size_t n_denied; /* resources with at least one deny finding */
    size_t n_warned; /* resources without deny findings and with a warn finding */
    size_t n_errors;
    struct hp_manifest_budget *budget; /* borrowed; may be NULL (no limit) */
    size_t charged;                    /* what the entries hold of the budget */
    bool stopped; /* an entry did not fit: the last entry says so, nothing follows */
};

/* Shared state of one run: the options, the memory budget that the input
 * buffers, the trees, the engine's findings and the report all charge, and
 * the findings storage that every evaluation reuses. */
struct hp_audit_ctx {
    const struct hp_audit_options *o;
    struct hp_manifest_limits limits;
    size_t max_file_bytes;
    struct hp_audit_report *report;
    struct hp_manifest_budget budget;
    struct hp_findings findings;
    size_t findings_charged; /* what the findings storage holds of the budget */
};

/* Sets up cx for a run of o that fills report (initialised by the caller):
 * limits left zeroed in o mean the manifest defaults, max_memory 0 means
 * the default ceiling. The report charges cx's budget from now on. */
void hp_audit_ctx_init(struct hp_audit_ctx *cx, const struct hp_audit_options *o,
                       struct hp_audit_report *report);
void hp_audit_ctx_cleanup(struct hp_audit_ctx *cx);

void hp_audit_report_init(struct hp_audit_report *r);
void hp_audit_report_cleanup(struct hp_audit_report *r);
/* Appends an error entry; the message is printf-formatted. When the entry
 * does not fit in the budget, the report stops instead (see stopped). */
void hp_audit_report_error(struct hp_audit_report *r, const char *file, size_t line,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Appends a resource entry that copies f's findings and obj's identity; when
 * the copy does not fit in the budget, the report stops instead. */
void hp_audit_report_resource(struct hp_audit_report *r, const char *file, size_t line,
                              struct json_object *obj, const char *ns_fallback,
                              const struct hp_findings *f);
/* 2 with errors, else 1 with denials, else 0. */
int hp_audit_report_exit_code(const struct hp_audit_report *r);

/* "FILE:LINE" (or "FILE" for line 0); the caller frees it. */
char *hp_audit_entry_source(const struct hp_audit_entry *e);
/* "Kind ns/name" for messages, written into buf. */
const char *hp_audit_entry_label(const struct hp_audit_entry *e, char *buf, size_t size);

/* Reads every document of data[0..len) (the contents of file) into the report. */
void hp_audit_scan(struct hp_audit_ctx *cx, const char *file, const char *data, size_t len);
/* Reads one command-line path: "-", a file or a directory tree. */
void hp_audit_input(struct hp_audit_ctx *cx, const char *path);

/* A streaming JSON writer with json-c's pretty layout (json_out.c): open a
 * container, then key+value for each member or item+value for each element,
 * then close it. Nothing is held but the nesting. */
#define HP_AUDIT_JSON_MAX_DEPTH 16
struct hp_audit_json {
    FILE *out;
    size_t depth;
    char close[HP_AUDIT_JSON_MAX_DEPTH];
    bool had[HP_AUDIT_JSON_MAX_DEPTH]; /* the container has a member or element */
};
void hp_audit_json_init(struct hp_audit_json *w, FILE *out);
void hp_audit_json_open(struct hp_audit_json *w, char bracket); /* '{' or '[', as a value */
void hp_audit_json_close(struct hp_audit_json *w);
void hp_audit_json_key(struct hp_audit_json *w, const char *key);
void hp_audit_json_item(struct hp_audit_json *w);
void hp_audit_json_string(struct hp_audit_json *w, const char *s); /* NULL: null */
void hp_audit_json_int(struct hp_audit_json *w, int64_t v);
void hp_audit_json_bool(struct hp_audit_json *w, bool v);
/* A json-c value (borrowed; NULL: null), printed at the current depth. */
void hp_audit_json_value(struct hp_audit_json *w, struct json_object *v);

/* Renderers. They only read the report, and print it as they go; profile is
 * the name for the summary. */
void hp_audit_render_text(const struct hp_audit_report *r, const char *profile, bool color,
                          FILE *out);
void hp_audit_render_json(const struct hp_audit_report *r, FILE *out);
void hp_audit_render_sarif(const struct hp_audit_report *r, const struct hp_policy *p, FILE *out);

#endif
