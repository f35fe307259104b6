/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What hardpod reads of an AdmissionReview, as data: the policy engine's read
 * set plus the request fields the admission decoder reads. The admission
 * scanner keeps only these parts of a request body before json-c builds a
 * tree, so that memory follows what is evaluated, not what was sent. A check
 * that reads a new field adds it here; tests/unit/check_scan.c proves, over
 * every fixture and thousands of edits of them, that the pruned body gets the
 * same answer as the whole one.
 */
#ifndef HARDPOD_READSET_H
#define HARDPOD_READSET_H

#include <stddef.h>

/* How a JSON value at one place is read. */
enum hp_read_kind {
    HP_READ_KEEP,     /* read as a whole: kept as sent */
    HP_READ_OBJECT,   /* an object: the listed members are read, the others are not */
    HP_READ_ARRAY,    /* an array: every element is read as .elem */
    HP_READ_SHAPE,    /* an object of which only the member names (and null) are read, and
                       * the "name" member: every other member's value is kept as {} or []
                       * when it is a container, as sent otherwise (pod volumes) */
    HP_READ_PREFIXED, /* an object: only the members whose name starts with .prefix are
                       * read (annotations) */
    HP_READ_ENV,      /* a container's env: only the elements whose string "name" starts
                       * with one of .names are read; the others become null, which keeps
                       * every index (findings name env[i]) */
};

/* Marks on the members whose bytes the scanner records (see adm_json_prune):
 * which side of an UPDATE, and the pod spec of each workload shape. */
enum hp_read_mark {
    HP_MARK_NONE,
    HP_MARK_OBJECT,          /* request.object */
    HP_MARK_OLD_OBJECT,      /* request.oldObject */
    HP_MARK_SPEC,            /* object.spec (Pod) */
    HP_MARK_TEMPLATE_SPEC,   /* object.spec.template.spec (Deployment and the like) */
    HP_MARK_CRON_SPEC,       /* object.spec.jobTemplate.spec.template.spec (CronJob) */
    HP_MARK_PODTEMPLATE_SPEC /* object.template.spec (PodTemplate) */
};
#define HP_MARK_SPECS 4 /* HP_MARK_SPEC .. HP_MARK_PODTEMPLATE_SPEC */

struct hp_read_node;

struct hp_read_member {
    const char *key; /* exact bytes, no escapes */
    const struct hp_read_node *node;
    enum hp_read_mark mark;
};

struct hp_read_node {
    enum hp_read_kind kind;
    const struct hp_read_member *members; /* HP_READ_OBJECT */
    size_t n_members;
    const struct hp_read_node *elem; /* HP_READ_ARRAY */
    const char *const *names;        /* HP_READ_PREFIXED (one prefix) and HP_READ_ENV */
    size_t n_names;
};

/* The root of an AdmissionReview body. Static; never NULL. */
const struct hp_read_node *hp_policy_read_set(void);

#endif
