/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/obs: the metrics registry shared by the update functions
 * (metrics.c) and the renderer (render.c). Every counter is a relaxed atomic;
 * the only lock guards insertion into the kind table. Not part of the public API.
 */
#ifndef OBS_INTERNAL_H
#define OBS_INTERNAL_H

#include "hardpod/obs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define OBS_N_OPS 5       /* CREATE, UPDATE, DELETE, CONNECT, other */
#define OBS_N_DECISIONS 4 /* allowed, denied, warned, error */
#define OBS_N_ACTIONS 2   /* warn, deny */
#define OBS_N_RESULTS 2   /* success, failure */
#define OBS_N_BUCKETS 14  /* 13 finite upper bounds and +Inf */
#define OBS_MAX_KINDS 64  /* distinct kinds before everything else counts as "other" */
#define OBS_KIND_MAX 64   /* bytes per kind name, NUL included */
#define OBS_VERSION_MAX 128

/* Counters of one kind label value. */
struct obs_kind {
    char name[OBS_KIND_MAX]; /* written once, before the slot is published */
    atomic_uint_fast64_t requests[OBS_N_OPS][OBS_N_DECISIONS];
    atomic_uint_fast64_t would_deny;
};

struct obs_registry {
    /* Slots [0, n_kinds) are published (release store after the name is
     * written); slot OBS_MAX_KINDS is "other". */
    struct obs_kind kinds[OBS_MAX_KINDS + 1];
    atomic_size_t n_kinds;
    pthread_mutex_t kinds_lock; /* serialises insertion only */

    /* Per-bucket (not cumulative) counts; the renderer accumulates them.
     * The sum is kept in integer nanoseconds so that it is a plain fetch_add. */
    atomic_uint_fast64_t duration_buckets[OBS_N_BUCKETS];
    atomic_uint_fast64_t duration_sum_ns;

    atomic_uint_fast64_t dry_run;
    atomic_uint_fast64_t findings[HP_CHECK_COUNT][OBS_N_ACTIONS];
    atomic_uint_fast64_t config_reloads[OBS_N_RESULTS];
    atomic_uint_fast64_t cert_reloads[OBS_N_RESULTS];
    atomic_uint_fast64_t connections_refused;
    atomic_int_least64_t cert_not_after;
    atomic_uint_fast64_t memory_budget;      /* bytes */
    atomic_uint_fast64_t memory_in_use;      /* bytes charged now */
    atomic_uint_fast64_t memory_peak;        /* most bytes charged at once */
    atomic_uint_fast64_t memory_waits;       /* requests that waited for memory */
    atomic_uint_fast64_t memory_rejected[2]; /* [0] could never fit, [1] waited too long */

    char version[OBS_VERSION_MAX]; /* set by hp_metrics_init only */
};

/* The process-wide registry (metrics.c). */
extern struct obs_registry obs_registry;

/* Label value names, indexed like the arrays above. */
extern const char *const obs_op_names[OBS_N_OPS];
extern const char *const obs_decision_names[OBS_N_DECISIONS];
extern const char *const obs_result_names[OBS_N_RESULTS];
/* Histogram upper bounds as numbers (finite ones) and as rendered "le" values. */
extern const double obs_bucket_bounds[OBS_N_BUCKETS - 1];
extern const char *const obs_bucket_labels[OBS_N_BUCKETS];

#endif
