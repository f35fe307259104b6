/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a container image runs with, read offline: the final stage of a
 * Dockerfile as BuildKit builds it (src/image/dockerfile.c), or the config
 * that `podman image inspect`, `docker image inspect` or an OCI image config
 * blob prints (src/image/config.c), and the documented defaults of
 * well-known base images (src/image/bases.c). The policy engine judges these
 * facts (hp_policy_eval_image in hardpod/policy.h). No I/O: callers read the
 * files.
 */
#ifndef HARDPOD_IMAGE_H
#define HARDPOD_IMAGE_H

#include "hardpod/error.h"

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* A value as an instruction, a config or a base image set it. */
struct hp_image_value {
    char *text;       /* owned; with variables substituted; NULL when unset */
    char *written;    /* owned; as written in the file, for messages; NULL
                       * for a config or a base default */
    char *unresolved; /* owned; the first variable ("APP_UID") that has no
                       * value, when text could not be resolved (text is then
                       * NULL); never guessed */
    size_t line;      /* 1-based line of the instruction; 0 for a config or
                       * a base default */
    bool from_base;   /* set by the base image table, not by the file */
};

/* One EXPOSE port (Dockerfile) or Config.ExposedPorts key. */
struct hp_image_port {
    unsigned port;               /* 1..65535; 0 when unresolved; the lowest of a range */
    unsigned port_last;          /* EXPOSE 8000-8010: the range's last port (> port);
                                  * 0 for a single port */
    char proto[8];               /* "tcp", "udp" or "sctp" */
    struct hp_image_value value; /* the port as written ("80/tcp", "$PORT") */
};

struct hp_image_env {
    char *name; /* owned */
    struct hp_image_value value;
};

enum hp_image_source {
    HP_IMAGE_DOCKERFILE,
    HP_IMAGE_CONFIG,
};

struct hp_image_base;

/* The final stage's facts. Variables are substituted as BuildKit does
 * (ARG, ENV and the base image's environment); a value that cannot be
 * resolved keeps its variable name in `unresolved`. */
struct hp_image_facts {
    enum hp_image_source source;
    char *base;                     /* owned; Dockerfile: the external image the final stage
                                     * starts from, after following `FROM stage` ("scratch"
                                     * for scratch); NULL for a config or when unresolved */
    struct hp_image_value base_ref; /* the FROM of the final stage, as written
                                     * and resolved (its line is the FROM's) */
    char *stage;                    /* owned; the final stage's name (AS name); NULL */
    size_t n_stages;                /* stages in the file (1 for a config) */
    struct hp_image_value user;     /* USER, or the base image's default user
                                     * (from_base); text NULL when neither sets one
                                     * (the image runs as root); "" when USER
                                     * expands to nothing (root too) */
    struct hp_image_port *ports;    /* owned; in the order exposed */
    size_t n_ports;
    struct hp_image_env *env; /* owned; in the order first set, the base's
                               * environment first; a later ENV of the same
                               * name replaces the value in place */
    size_t n_env;
    const struct hp_image_base *base_info; /* the table's entry for base, or NULL */
};

void hp_image_facts_init(struct hp_image_facts *f);
void hp_image_facts_cleanup(struct hp_image_facts *f);
/* The variable name's entry in f->env, or NULL. Borrowed. */
const struct hp_image_env *hp_image_facts_env(const struct hp_image_facts *f, const char *name);

/* ---- Dockerfiles (dockerfile.c) ---- */

/* A build argument given as --build-arg NAME=VALUE. */
struct hp_image_arg {
    const char *name;
    const char *value;
};

struct hp_dockerfile_options {
    const char *target;                    /* --target: the stage that counts; NULL: the last */
    const struct hp_image_arg *build_args; /* borrowed */
    size_t n_build_args;
    size_t max_bytes; /* 0: HP_DOCKERFILE_MAX_BYTES */
};

#define HP_DOCKERFILE_MAX_BYTES ((size_t)1024 * 1024)
/* What hp_dockerfile_parse may allocate while it runs, whatever the input:
 * the charge a caller with a memory budget makes for the call. */
#define HP_DOCKERFILE_MAX_MEMORY ((size_t)24 * 1024 * 1024)

/* Reads data[0..len) as BuildKit's Dockerfile frontend does (parser
 * directives, escape character, line continuations, comments, heredocs,
 * multi-stage builds, ARG/ENV substitution) and fills out (initialised by
 * the caller) with the final stage's facts, with the base image table's
 * defaults applied. Returns HP_ERR_INVALID with "line N: ..." for a file
 * BuildKit would refuse (no FROM, an unknown instruction, a bad
 * substitution or port; an unknown --target, without a line), or
 * HP_ERR_LIMIT past max_bytes or another cap (docs/images.md lists them).
 * On error out is left empty. opt may be NULL. Pure; its transient memory
 * stays under about 24 MB whatever the input (substitution output is
 * capped at 16 MiB). */
enum hp_err hp_dockerfile_parse(const char *data, size_t len,
                                const struct hp_dockerfile_options *opt, struct hp_image_facts *out,
                                struct hp_error *err);

/* ---- image configs (config.c) ---- */

/* Reads the output of `podman image inspect` or `docker image inspect` (an
 * array of one object with "Config"), one such object, or an OCI image
 * config blob ("config"): Config.User, Config.ExposedPorts and Config.Env.
 * Fills out (initialised by the caller). HP_ERR_INVALID with the JSON path
 * for a shape it cannot read, or an array of more than one image. */
enum hp_err hp_image_config_decode(struct json_object *root, struct hp_image_facts *out,
                                   struct hp_error *err);

/* ---- well-known base images (bases.c) ---- */

/* What a base image sets that changes a verdict, with where that is
 * documented. */
struct hp_image_base {
    const char *repository; /* "mcr.microsoft.com/dotnet/aspnet" */
    const char *tags;       /* which tags: a description for docs ("8.0 and later") */
    const char *user;       /* the default USER; NULL: root */
    const char *env;        /* "NAME=VALUE" lines it sets, '\n'-separated; NULL */
    bool dotnet;            /* a .NET runtime image (diagnostics matter) */
    const char *source;     /* URL of the documentation or Dockerfile */
};

/* The table's entry for an image reference ("mcr.microsoft.com/dotnet/aspnet:8.0",
 * "...:10.0-noble-chiseled", with or without a digest), or NULL when the
 * image is unknown (no assumption is made). */
const struct hp_image_base *hp_image_base_lookup(const char *ref);

/* Every entry, for docs and tests; *n set to the count. */
const struct hp_image_base *hp_image_base_table(size_t *n);

#endif
