/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/audit: the report model that the readers fill (input.c,
 * scan.c) and the renderers print (render_*.c), and the run's memory budget.
 * Entries keep input order; every string in the model is owned by it, and
 * charged to the budget before it is copied. Not part of the public API.
 */
#ifndef AUD_INTERNAL_H
#define AUD_INTERNAL_H

#include "hardpod/audit.h"
#include "hardpod/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A copy of one engine finding that outlives the hp_findings it came from.
 * Its strings are interned in the report's storage (see report.c): the pods
 * of one workload share them, and share the whole array of findings. */
struct aud_finding {
    enum hp_check check;
    enum hp_action action;
    const char *container; /* NULL for pod-level findings */
    const char *path;
    const char *message;
    const char *fix; /* may be NULL */
    bool exempt;     /* downgraded to a warning by an exemption */
    /* Where the field (or its nearest written parent) is in the file, when
     * the input was read with positions (YAML), or the Dockerfile line of an
     * image finding; 0 when unknown: the resource's line stands for it. */
    size_t line;
    size_t column;
};

/* What became of a document that was read. Evaluated resources pass, warn
 * or are denied by their findings; the others never pass. */
enum aud_status {
    AUD_EVALUATED,     /* the engine read its pod spec */
    AUD_SKIPPED,       /* no Kubernetes object, or one with no pod spec */
    AUD_NOT_EVALUATED, /* a kind the engine cannot read that holds containers */
};

/* One resource or one error, in the order the inputs were read. Every string
 * is held by the report's storage and lives as long as the report. */
struct aud_entry {
    const char *file;        /* as given on the command line, "-" for stdin */
    size_t line;             /* 1-based; 0 when the entry concerns the whole file */
    const char *error;       /* non-NULL makes this an error entry */
    const char *api_version; /* NULL when absent (also for the fields below) */
    const char *kind;
    const char *ns;
    const char *name;
    const char *uid;        /* metadata.uid */
    const char *owner_kind; /* the controlling ownerReference (controller: true) */
    const char *owner_name;
    const char *owner_uid;
    enum aud_status status;             /* of a resource entry */
    const char *containers_at;          /* AUD_NOT_EVALUATED: where the containers are */
    const struct aud_finding *findings; /* shared with entries that have the same findings */
    size_t n_findings;
    size_t n_deny;
    size_t n_warn;
    /* Set by aud_group: the index of the shown entry this one is folded
     * into (SIZE_MAX: shown), and on a shown entry the resources and the
     * pods folded into it. */
    size_t top;
    size_t covers;
    size_t covers_pods;
    bool image;             /* a Dockerfile or an image config, not a Kubernetes object */
    const char *image_from; /* a Dockerfile's base image (after FROM stage), when known */
    /* --format patch (patch.c): the patch's YAML below metadata (its
     * fields besides name and namespace, indented by 2) and beside it (the
     * spec), NULL when no finding could be patched; and one comment line
     * per finding that is not patched, and per thing to review. */
    const char *patch_meta;
    const char *patch_spec;
    const char *patch_notes;
    size_t n_patched;
};

/* The report's storage (report.c): an arena of interned strings and arrays of
 * findings. */
struct aud_store;

struct aud_report {
    struct aud_entry *entries; /* owned */
    size_t len;
    size_t cap;
    size_t n_resources;
    size_t n_denied; /* resources with at least one deny finding */
    size_t n_warned; /* resources without deny findings and with a warn finding */
    size_t n_errors;
    size_t n_passed;                   /* evaluated without deny or warn findings */
    size_t n_skipped;                  /* AUD_SKIPPED resources */
    size_t n_not_evaluated;            /* AUD_NOT_EVALUATED resources */
    size_t n_objects;                  /* resources with apiVersion and kind */
    size_t n_images;                   /* Dockerfiles and image configs */
    struct hp_manifest_budget *budget; /* borrowed; may be NULL (no limit) */
    size_t charged;                    /* what the entries and the storage hold of the budget */
    struct aud_store *store;           /* owned */
    bool stopped;      /* an entry did not fit: the last entry says so, nothing follows */
    size_t n_folded;   /* resources folded into an owner by aud_group */
    bool grouped;      /* aud_group has run: entries with top != SIZE_MAX are folded */
    bool group_failed; /* aud_group did not fit in the budget: nothing is folded */
};

/* Shared state of one run: the options, the memory budget that the input
 * buffers, the trees, the engine's findings and the report all charge, and
 * the findings storage that every evaluation reuses. */
struct aud_ctx {
    const struct hp_audit_options *o;
    struct hp_manifest_limits limits;
    size_t max_file_bytes;
    struct aud_report *report;
    struct hp_manifest_budget budget;
    struct hp_findings findings;
    size_t findings_charged; /* what the findings storage holds of the budget */
    /* Test seam: when set, called with every object just before the engine
     * evaluates it (obj borrowed for the call). */
    void (*on_object)(void *arg, const char *file, size_t line, struct json_object *obj);
    void *on_object_arg;
    /* --image-map (images.c): the facts of each mapped image, and the
     * engine's way to them (NULL without a map). */
    struct aud_image *images;
    size_t n_images;
    const struct hp_image_facts *(*image_lookup)(void *arg, const char *image);
};

/* Sets up cx for a run of o that fills report (initialised by the caller):
 * limits left zeroed in o mean the manifest defaults, max_memory 0 means
 * the default ceiling. The report charges cx's budget from now on. */
void aud_ctx_init(struct aud_ctx *cx, const struct hp_audit_options *o, struct aud_report *report);
void aud_ctx_cleanup(struct aud_ctx *cx);

void aud_report_init(struct aud_report *r);
void aud_report_cleanup(struct aud_report *r);
/* Appends an error entry; the message is printf-formatted. When the entry
 * does not fit in the budget, the report stops instead (see stopped). */
void aud_report_error(struct aud_report *r, const char *file, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends a resource entry that copies f's findings and obj's identity; when
 * the copy does not fit in the budget, the report stops instead. */
void aud_report_resource(struct aud_report *r, const char *file, size_t line,
                         struct json_object *obj, const char *ns_fallback,
                         const struct hp_findings *f);
/* Folds each resource into its highest controlling owner in the report
 * that has every finding it has (see group.c). */
void aud_group(struct aud_report *r);
/* ", covers 12 pods and 3 more resources" / " (owned by ReplicaSet api-5d8f)"
 * for a shown resource, or "" (buf is always written). */
const char *aud_entry_grouping(const struct aud_entry *e, char *buf, size_t size);
/* 2 with errors, whatever fail_on says; else 1 when fail_on (HP_AUDIT_FAIL_*
 * bits, 0 for the default) names something the report holds; else 0. */
int aud_report_fail_code(const struct aud_report *r, unsigned fail_on);
/* aud_report_fail_code with the default: 2 with errors, else 1 with denials, else 0. */
int aud_report_exit_code(const struct aud_report *r);
/* fail_on with 0 replaced by the default, HP_AUDIT_FAIL_DENY. */
unsigned aud_fail_on(unsigned fail_on);
/* Whether a resource entry fails the run under fail_on (normalised). */
bool aud_entry_fails(const struct aud_entry *e, unsigned fail_on);

/* The status of an object that the engine evaluated into f: evaluated when
 * the engine found a pod spec (the engine, not a list here, knows which
 * kinds it reads); otherwise not evaluated when it holds a `containers`
 * (or `initContainers`, `ephemeralContainers`) array anywhere (its path,
 * "spec.template.spec.containers", is written to at; one too long for size,
 * at least 4, ends in "..."), else skipped. */
enum aud_status aud_classify(struct json_object *obj, const struct hp_findings *f, char *at,
                             size_t size);
/* Whether an entry is shown on its own: not folded into its owner by
 * aud_group. */
static inline bool aud_entry_shown(const struct aud_report *r, const struct aud_entry *e)
{
    return !r->grouped || e->top == SIZE_MAX;
}
/* Why a skipped or not-evaluated entry was not judged, written into buf. */
const char *aud_entry_reason(const struct aud_entry *e, char *buf, size_t size);
/* "PASS", "WARN", "DENY", "SKIP" or "NOT EVALUATED". */
const char *aud_entry_verdict(const struct aud_entry *e);

/* "FILE:LINE" (or "FILE" for line 0); the caller frees it. */
char *aud_entry_source(const struct aud_entry *e);
/* Where finding f of entry e was written: "FILE:LINE:COLUMN", "FILE:LINE"
 * (a Dockerfile line), or the entry's source when the field was not
 * located; the caller frees it. */
char *aud_finding_source(const struct aud_entry *e, const struct aud_finding *f);
/* "Kind ns/name" for messages, written into buf. */
const char *aud_entry_label(const struct aud_entry *e, char *buf, size_t size);

/* Where path (a finding's field path) was written in root, a tree loaded
 * with positions: the line and column of the field's key, or of its nearest
 * written parent when the field is missing. False when root has no
 * positions or not even the path's first step exists. */
bool aud_locate(struct json_object *root, const char *path, size_t *line, size_t *column);

/* ---- images (images.c) ---- */

struct aud_image;
struct hp_image_facts;
/* Whether a file's name makes it a Dockerfile: `Dockerfile` or
 * `Containerfile`, alone or after a prefix ending in '.', '_' or '-'
 * (`api.Dockerfile`, `prod-Dockerfile`), each with any `.suffix`
 * (`Dockerfile.prod`), or `*.dockerfile`; never `*.dockerignore`. */
bool aud_is_dockerfile_name(const char *name);
/* Audits one Dockerfile, or one image config, as a report entry. */
void aud_dockerfile(struct aud_ctx *cx, const char *path);
void aud_image_config(struct aud_ctx *cx, const char *path);
/* Reads the images of --image-map (errors go to the report). */
void aud_images_load(struct aud_ctx *cx);
void aud_images_cleanup(struct aud_ctx *cx);
/* Appends the entry of an image judged into f (report.c). */
void aud_report_image(struct aud_report *r, const char *file, const struct hp_image_facts *img,
                      const struct hp_findings *f);

/* ---- reading (input.c, scan.c, json_stream.c) ---- */

/* A buffered reader of one input: a FILE read in blocks of AUD_SRC_BLOCK
 * bytes (a buffer charged to the run's budget), or bytes already in memory.
 * Nothing else of the input is held: the readers copy what they must keep. */
#define AUD_SRC_BLOCK ((size_t)64 * 1024)
struct aud_src {
    FILE *f;                /* NULL when p holds the whole input */
    const unsigned char *p; /* p[pos..len) are read and not yet consumed */
    unsigned char *own;     /* the block buffer, when f is set */
    size_t pos;
    size_t len;
    size_t cap;
    int err; /* errno of a failed read; reading then stops */
};

/* Makes at least n bytes available at s->p + s->pos (n <= AUD_SRC_BLOCK),
 * unless the input ends first; returns how many are available. */
size_t aud_src_need(struct aud_src *s, size_t n);

/* The next byte, consumed or not; -1 at the end (or after a read error). */
static inline int aud_src_peek(struct aud_src *s)
{
    return s->pos < s->len || aud_src_need(s, 1) > 0 ? s->p[s->pos] : -1;
}
static inline int aud_src_get(struct aud_src *s)
{
    return s->pos < s->len || aud_src_need(s, 1) > 0 ? s->p[s->pos++] : -1;
}

/* Whether the input is a JSON stream, as kubectl decides: within its first
 * 4096 bytes, Unicode whitespace and then `{`. */
bool aud_src_is_json(struct aud_src *s);

/* A growable copy of input text, held to max bytes and charged to the
 * budget as it grows. */
struct aud_text {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
    size_t charged;
};
/* Appends p[0..n): false, with nothing appended, when the result would pass
 * t->max or its growth does not fit in b (*over_cap tells which). */
bool aud_text_append(struct aud_text *t, struct hp_manifest_budget *b, const void *p, size_t n,
                     bool *over_cap);
void aud_text_cleanup(struct aud_text *t, struct hp_manifest_budget *b);

/* Reads every document of data[0..len) (the contents of file) into the report. */
void aud_scan(struct aud_ctx *cx, const char *file, const char *data, size_t len);
/* Reads a whole input from s: JSON or YAML as kubectl tells them apart. */
void aud_scan_src(struct aud_ctx *cx, const char *file, struct aud_src *s);
/* Reads one command-line path: "-", a file or a directory tree. */
void aud_input(struct aud_ctx *cx, const char *path);

/* Reads a JSON stream (json_stream.c): concatenated JSON values, each one a
 * document; the elements of an object's top-level "items" array are read
 * and evaluated one at a time. */
void aud_scan_json(struct aud_ctx *cx, const char *file, struct aud_src *s);

/* A list as kubectl's unstructured decoder sees it: any object with an
 * `items` member. Its items are evaluated as they are read; an item with
 * neither kind nor apiVersion takes the list's (its kind without the "List"
 * suffix), which may only be known at the list's end: such items wait,
 * charged to the budget. */
struct aud_pending;
struct aud_list {
    const char *file;
    size_t line;  /* where the object starts */
    size_t count; /* items read so far */
    char *kind;   /* owned; what the items inherit, when known at their turn */
    char *api_version;
    bool early; /* kind and apiVersion were known when the items began */
    struct aud_pending *pending;
    size_t n_pending;
    size_t cap_pending;
    size_t pending_charged;
};
/* head: the object's members read before its items (may be NULL). */
void aud_list_begin(struct aud_ctx *cx, struct aud_list *l, const char *file, size_t line,
                    struct json_object *head);
/* One element of items (borrowed; a reference is taken if it must wait). */
void aud_list_item(struct aud_ctx *cx, struct aud_list *l, size_t line, struct json_object *item);
/* obj: the whole object, items left out or empty; NULL when it could not be
 * read (the waiting items are then dropped). Frees what l holds. */
void aud_list_end(struct aud_ctx *cx, struct aud_list *l, struct json_object *obj);
/* A document that is one object (YAML document or JSON value), whole. */
void aud_doc_object(struct aud_ctx *cx, const char *file, size_t line, struct json_object *obj);

/* What json-c 0.16 takes for the tree of a JSON text with these counts
 * (json_stream.c): an upper bound, charged before it parses. */
struct aud_json_counts {
    size_t objects, arrays, members, elements, strings, string_bytes, scalars;
};
size_t aud_json_cost(const struct aud_json_counts *c);

/* A streaming JSON writer with json-c's pretty layout (json_out.c): open a
 * container, then key+value for each member or item+value for each element,
 * then close it. Nothing is held but the nesting. */
#define AUD_JSON_MAX_DEPTH 16
struct aud_json {
    FILE *out;
    size_t depth;
    char close[AUD_JSON_MAX_DEPTH];
    bool had[AUD_JSON_MAX_DEPTH]; /* the container has a member or element */
};
void aud_json_init(struct aud_json *w, FILE *out);
void aud_json_open(struct aud_json *w, char bracket); /* '{' or '[', as a value */
void aud_json_close(struct aud_json *w);
void aud_json_key(struct aud_json *w, const char *key);
void aud_json_item(struct aud_json *w);
void aud_json_string(struct aud_json *w, const char *s); /* NULL: null */
void aud_json_int(struct aud_json *w, int64_t v);
void aud_json_bool(struct aud_json *w, bool v);
/* A json-c value (borrowed; NULL: null), printed at the current depth. */
void aud_json_value(struct aud_json *w, struct json_object *v);

/* Runs the engine on in into cx->findings, with its storage held to what
 * is left of the budget (scan.c); findings that did not fit are an error. */
enum hp_err aud_eval(struct aud_ctx *cx, const struct hp_eval_input *in, struct hp_error *err);
/* --format patch: works out the patch of the report's last entry, the
 * resource that in (borrowed) evaluated, and keeps it in the entry (see
 * patch.c); the report stops when it does not fit. The patched copy of the
 * resource is evaluated again, which overwrites cx->findings. */
void aud_patch_entry(struct aud_ctx *cx, const struct hp_eval_input *in);
/* The length of the character at s[0..n) when a YAML comment can carry
 * it, else 0 (control characters, what YAML reads as a line break, bytes
 * that are not UTF-8). */
size_t aud_comment_char(const char *s, size_t n);
/* Appends s as a YAML scalar that reads back as the same string: plain
 * when that is safe, else double-quoted with every character YAML cannot
 * carry, or would read as a line break, escaped. */
void aud_yaml_string(struct hp_buf *b, const char *s);
/* Keeps the patch strings in entry e (copied into the report's storage);
 * false when they do not fit. */
bool aud_report_set_patch(struct aud_report *r, struct aud_entry *e, const char *meta,
                          const char *spec, const char *notes, size_t n_patched);

/* Renderers. They only read the report, and print it as they go; profile is
 * the name for the summary. */
void aud_render_text(const struct aud_report *r, const char *profile, bool color, FILE *out);
void aud_render_json(const struct aud_report *r, FILE *out);
void aud_render_sarif(const struct aud_report *r, const struct hp_policy *p, FILE *out);
/* What a renderer may allocate per entry while printing (the PolicyReport's
 * sort index); every entry is charged for it when it is added. */
#define AUD_RENDER_SLOT_BYTES (2 * sizeof(void *))
void aud_render_junit(const struct aud_report *r, const char *profile, unsigned fail_on, FILE *out);
/* The most results text one PolicyReport holds (by a bound on its compact
 * JSON); more are cut into reports named hardpod-NS-2, -3, ... The API
 * server stores objects up to 1.5 MiB, and `kubectl apply` doubles an
 * object with its last-applied annotation. */
#define AUD_POLICYREPORT_MAX_BYTES ((size_t)512 * 1024)
/* A kustomize Component whose patches set the fields the findings ask for. */
void aud_render_patch(const struct aud_report *r, const char *profile, FILE *out);
void aud_render_policyreport(const struct aud_report *r, const struct hp_policy *p,
                             unsigned fail_on, int64_t now, FILE *out);

#endif
