/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration: the policy (profile, per-check overrides, exemptions, the
 * custom resources that hold pod specs) and the admission mode, read from a
 * YAML or JSON file. Validation is strict: an unknown key, a wrong type, an
 * unknown check id or a bad value is an error that names the file, the line
 * and the key. A config is immutable once loaded; the server swaps whole
 * configs on reload.
 */
#ifndef HARDPOD_CONFIG_H
#define HARDPOD_CONFIG_H

#include "hardpod/error.h"
#include "hardpod/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hp_mode {
    HP_MODE_ENFORCE, /* deny findings deny */
    HP_MODE_AUDIT,   /* never deny: would-be denials become warnings */
};

/* A per-namespace mode override; the first matching pattern wins. */
struct hp_namespace_mode {
    char *pattern; /* owned; namespace glob */
    enum hp_mode mode;
    size_t line;
};

struct hp_config {
    struct hp_policy policy;
    enum hp_mode mode;
    struct hp_namespace_mode *ns_modes; /* owned */
    size_t n_ns_modes;
};

/* The size cap for a config file (1 MiB). */
#define HP_CONFIG_MAX_BYTES (1u << 20)

/* Initialises c to the defaults: profile hardened, mode enforce, nothing exempt. */
void hp_config_init(struct hp_config *c);
void hp_config_cleanup(struct hp_config *c);

/* Parses a config document from data[0..len). source names the input in
 * messages ("hardpod.yaml:12: checks.runAsUser.minUID: expected an integer").
 * When profile is non-NULL it replaces the file's `profile` (the CLI's
 * --profile) before the file's check overrides apply. On error out is left
 * initialised to the defaults and must still be cleaned up. out must be freshly
 * initialised (hp_config_init), not hold a loaded config. Returns
 * HP_ERR_INVALID for a bad document, HP_ERR_LIMIT for the size, depth and
 * alias caps. The file's own `profile` is validated even when overridden. */
enum hp_err hp_config_parse(const char *data, size_t len, const char *source,
                            const enum hp_profile *profile, struct hp_config *out,
                            struct hp_error *err);

/* Reads the file at path (at most HP_CONFIG_MAX_BYTES) and parses it;
 * HP_ERR_IO (naming the path and errno) when it cannot be read. */
enum hp_err hp_config_load(const char *path, const enum hp_profile *profile, struct hp_config *out,
                           struct hp_error *err);

/* The mode in force for a namespace. Cluster-scoped objects (ns NULL or "")
 * always get the global mode. */
enum hp_mode hp_config_mode_for(const struct hp_config *c, const char *ns);

const char *hp_mode_name(enum hp_mode m);
bool hp_mode_lookup(const char *name, enum hp_mode *out);

#endif
