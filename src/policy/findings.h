/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to src/policy: appending findings and arena strings. */
#ifndef HP_POLICY_FINDINGS_H
#define HP_POLICY_FINDINGS_H

#include "hardpod/policy.h"

/* Copies a printf-formatted string into the findings' arena; the result lives
 * until the next reset. Never NULL. */
const char *hp_findings_printf(struct hp_findings *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies s[0..n) and a terminating NUL into the findings' arena. */
char *hp_findings_strndup(struct hp_findings *f, const char *s, size_t n);

/* Appends a finding (strings must already live in the arena or be static). */
void hp_findings_push(struct hp_findings *f, const struct hp_finding *item);

/* True when one more finding whose strings take n bytes (terminators
 * included) fits in max_bytes. Ask before copying the strings. */
bool hp_findings_room(const struct hp_findings *f, size_t n);

/* Counts a finding that did not fit: its action still counts. */
void hp_findings_drop(struct hp_findings *f, enum hp_action action);

#endif
