/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ValidatingWebhookConfiguration that places hardpod's policy per
 * namespace: from a template's webhooks (pods, workloads), one webhook per
 * choice of the namespace labels hardpod.dev/enforce and hardpod.dev/warn,
 * whose namespaceSelectors exclude one another, each calling the path that
 * names the choice (hardpod serve reads it back), plus the webhooks that
 * refuse a label value naming no profile. No file I/O: the caller reads the
 * template and writes the result.
 */
#ifndef HARDPOD_WEBHOOK_H
#define HARDPOD_WEBHOOK_H

#include "hardpod/error.h"
#include "hardpod/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The namespace labels, in the style of Pod Security Admission's. */
#define HP_WEBHOOK_LABEL_ENFORCE "hardpod.dev/enforce"
#define HP_WEBHOOK_LABEL_WARN "hardpod.dev/warn"

/* Every profile, as a bit set for hp_webhook_gen.profiles. */
#define HP_WEBHOOK_ALL_PROFILES ((1u << (HP_PROFILE_NONE + 1)) - 1)

/* The template's webhooks' path: the one the label webhooks extend. */
#define HP_WEBHOOK_BASE_PATH "/validate"

/* How to generate; every pointer borrowed for the call. */
struct hp_webhook_gen {
    const char *source;         /* names the template in messages and in the header */
    uint32_t profiles;          /* bit (1u << profile) per profile a label may name;
                                 * 0: no label webhooks (the template's, unchanged) */
    bool drop_ca_bundle;        /* remove clientConfig.caBundle (cert-manager injects it) */
    const char *inject_ca_from; /* NULL, or "NS/NAME": cert-manager's
                                 * cert-manager.io/inject-ca-from annotation */
};

/* Reads text[0..len), a ValidatingWebhookConfiguration in YAML (or JSON)
 * whose placeholders are filled already (hp_tls_template_render), and
 * writes into *out (owned by the caller, free(); NUL-terminated, *out_len
 * bytes) the configuration to apply, in YAML with a header comment.
 *
 * For each of the template's webhooks W, whose clientConfig.service.path
 * must be HP_WEBHOOK_BASE_PATH and whose namespaceSelector may hold
 * matchExpressions but nothing on the hardpod.dev labels, it writes, with
 * W's own expressions first and every other field of W kept:
 * - for enforce and warn each absent (DoesNotExist) or one profile of
 *   g->profiles (In [p]): a webhook named [enforce-P.][warn-Q.]W.name
 *   calling HP_WEBHOOK_BASE_PATH[/enforce/P][/warn/Q]; with both absent it
 *   keeps W's name and path;
 * - invalid-enforce.W.name (enforce Exists and NotIn the profiles) calling
 *   /validate/invalid/enforce, and invalid-warn.W.name (enforce DoesNotExist)
 *   and invalid-warn.enforce-set.W.name (enforce In the profiles), both with
 *   warn Exists and NotIn the profiles, calling /validate/invalid/warn.
 * So every namespace matches exactly one webhook of each W. Errors
 * (HP_ERR_INVALID, naming g->source and the field): YAML that cannot be
 * read, not a ValidatingWebhookConfiguration, a webhook without a name or
 * with another path, a selector that already uses a hardpod.dev label, a
 * webhook name the expansion would make longer than 253 bytes;
 * HP_ERR_LIMIT for an input over 1 MiB. */
enum hp_err hp_webhook_config_generate(const char *text, size_t len, const struct hp_webhook_gen *g,
                                       char **out, size_t *out_len, struct hp_error *err);

/* Parses a comma-separated list of profile names ("hardened,psa-restricted")
 * into a bit set; HP_ERR_INVALID naming the first unknown or repeated name. */
enum hp_err hp_webhook_profiles_parse(const char *list, uint32_t *out, struct hp_error *err);

#endif
