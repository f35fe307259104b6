/* SPDX-License-Identifier: Apache-2.0 */
/*
 * capabilities: drop ALL, add only what the level allows. Capability names
 * are compared exactly at the Pod Security Admission levels, and normalised
 * (trimmed, upper-cased, CAP_ prefix removed) at the hardened level, because
 * container runtimes accept those spellings too.
 */
#include "internal.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const baseline_caps[] = {
    "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",       "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT",
};

/* Trims, upper-cases and strips a CAP_ prefix into out. */
static void normalise(const char *in, size_t len, char *out, size_t size)
{
    while (len > 0 && isspace((unsigned char)*in)) {
        in++, len--;
    }
    while (len > 0 && isspace((unsigned char)in[len - 1])) {
        len--;
    }
    if (len >= 4 && strncasecmp(in, "CAP_", 4) == 0) {
        in += 4, len -= 4;
    }
    size_t n = 0;
    for (; n < len && n + 1 < size; n++) {
        out[n] = (char)toupper((unsigned char)in[n]);
    }
    out[n] = '\0';
}

static bool cap_allowed(const struct pol_eval *e, enum hp_level level, const char *name, size_t len)
{
    if (level == HP_LEVEL_RESTRICTED) {
        return strcmp(name, "NET_BIND_SERVICE") == 0;
    }
    if (level == HP_LEVEL_BASELINE) {
        for (size_t i = 0; i < sizeof(baseline_caps) / sizeof(baseline_caps[0]); i++) {
            if (strcmp(baseline_caps[i], name) == 0) {
                return true;
            }
        }
        return false;
    }
    char norm[64];
    normalise(name, len, norm, sizeof(norm));
    for (size_t i = 0; i < e->p->n_allow_add; i++) {
        if (strcmp(e->p->allow_add[i], norm) == 0) {
            return true;
        }
    }
    return false;
}

static void check_add(struct pol_eval *e, const char *who, enum hp_level level,
                      struct json_object *add)
{
    const char *fix =
        level == HP_LEVEL_BASELINE
            ? "add only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, "
              "NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID or SYS_CHROOT"
            : "securityContext: {capabilities: {drop: [ALL]}} (remove add)";
    if (!json_object_is_type(add, json_type_array)) {
        pol_emit(e, HP_CHECK_CAPABILITIES, true,
                 pol_path(e, "%s.securityContext.capabilities.add", e->cpath), fix,
                 "%s securityContext.capabilities.add must be a list", who);
        return;
    }
    size_t n = json_object_array_length(add);
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(add, i);
        const char *s = hp_k8s_string(c);
        if (s != NULL && cap_allowed(e, level, s, (size_t)json_object_get_string_len(c))) {
            continue;
        }
        pol_emit(e, HP_CHECK_CAPABILITIES, true,
                 pol_path(e, "%s.securityContext.capabilities.add[%zu]", e->cpath, i), fix,
                 "%s must not add capability \"%.64s\"", who, s != NULL ? s : "(not a string)");
    }
}

static void check_drop(struct pol_eval *e, const char *who, enum hp_level level,
                       struct json_object *drop)
{
    bool exact = false;
    bool any_case = false;
    size_t n = json_object_is_type(drop, json_type_array) ? json_object_array_length(drop) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(drop, i);
        const char *s = hp_k8s_string(c);
        exact = exact || (s != NULL && strcmp(s, "ALL") == 0);
        any_case = any_case || (s != NULL && strcasecmp(s, "ALL") == 0);
    }
    const char *fix = "securityContext: {capabilities: {drop: [ALL]}}";
    if (exact || (any_case && level == HP_LEVEL_HARDENED)) {
        if (!exact) {
            pol_emit_action(e, HP_CHECK_CAPABILITIES, HP_ACTION_WARN, true,
                            pol_path(e, "%s.securityContext.capabilities.drop", e->cpath), fix,
                            "%s drops \"all\": write ALL in upper case, because Pod Security "
                            "Admission rejects other spellings",
                            who);
        }
        return;
    }
    pol_emit(e, HP_CHECK_CAPABILITIES, true,
             pol_path(e, "%s.securityContext.capabilities.drop", e->cpath), fix,
             "%s must drop ALL capabilities (securityContext.capabilities.drop must contain "
             "ALL)",
             who);
}

void pol_capabilities_ctr(struct pol_eval *e)
{
    const char *who = e->who; /* filled in when a finding is emitted */
    enum hp_level level = pol_level(e, HP_CHECK_CAPABILITIES);
    if (level == HP_LEVEL_RESTRICTED && e->p->windows_exemptions && e->windows) {
        /* PSA exempts Windows pods from restricted's drop-ALL and
         * NET_BIND_SERVICE-only rule, not from baseline's list of
         * capabilities that may be added, which restricted includes. */
        level = HP_LEVEL_BASELINE;
    }
    struct json_object *caps = e->scf.capabilities;
    if (e->sc_bad || (caps != NULL && !json_object_is_type(caps, json_type_object))) {
        pol_emit(e, HP_CHECK_CAPABILITIES, true,
                 pol_path(e, "%s.securityContext.capabilities", e->cpath),
                 "securityContext: {capabilities: {drop: [ALL]}}",
                 "%s securityContext.capabilities must be an object", who);
        return;
    }
    static const char *const keys[] = {"add", "drop"};
    struct json_object *add_drop[2];
    hp_k8s_pick(caps, keys, 2, add_drop);
    if (add_drop[0] != NULL) {
        check_add(e, who, level, add_drop[0]);
    }
    if (level != HP_LEVEL_BASELINE) {
        check_drop(e, who, level, add_drop[1]);
    }
}
