/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request targets: which route a path names and, for the admission paths,
 * what a namespace's hardpod.dev labels chose. The API server picks one
 * webhook per request by its namespaceSelector (hardpod webhook-config
 * writes them), and that webhook's path carries the labels' values:
 * /validate[/enforce/PROFILE][/warn/PROFILE] or /validate/invalid/LABEL.
 * Pure: a table-driven unit test feeds it paths.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#define VALIDATE "/validate"

/* The next path segment of *p (after its '/'), into seg; false at the end. */
static bool next_segment(const char **p, char *seg, size_t cap)
{
    if (**p != '/') {
        return false;
    }
    const char *s = *p + 1;
    size_t n = strcspn(s, "/");
    if (n >= cap) {
        n = cap - 1; /* too long for any name: kept cut, and so unknown */
    }
    memcpy(seg, s, n);
    seg[n] = '\0';
    *p = s + strcspn(s, "/");
    return true;
}

static bool not_found(struct srv_route *out, const char *msg)
{
    out->kind = SRV_ROUTE_NOT_FOUND;
    out->has_enforce = out->has_warn = false; /* a 404 carries no choice */
    snprintf(out->why, sizeof(out->why), "not found: %s", msg);
    return false;
}

/* Reads "/LABEL/PROFILE" for label ("enforce" or "warn") at *p when it is
 * next; false with out->why when the profile is unknown. */
static bool label_part(const char **p, const char *label, bool *has, enum hp_profile *profile,
                       struct srv_route *out)
{
    const char *at = *p;
    char seg[32];
    if (!next_segment(&at, seg, sizeof(seg)) || strcmp(seg, label) != 0) {
        return true; /* not this label: the caller goes on */
    }
    if (!next_segment(&at, seg, sizeof(seg)) || seg[0] == '\0') {
        return not_found(out, "a profile must follow /enforce or /warn");
    }
    if (!hp_profile_lookup(seg, profile)) {
        char why[128];
        snprintf(why, sizeof(why),
                 "\"%.24s\" is not a profile (hardened, psa-restricted, psa-baseline or none)",
                 seg);
        return not_found(out, why);
    }
    *has = true;
    *p = at;
    return true;
}

bool srv_route_parse(const char *url, bool plain, struct srv_route *out)
{
    memset(out, 0, sizeof(*out));
    if (strcmp(url, "/healthz") == 0) {
        out->kind = SRV_ROUTE_HEALTHZ;
        return true;
    }
    if (strcmp(url, "/readyz") == 0) {
        out->kind = SRV_ROUTE_READYZ;
        return true;
    }
    if (strcmp(url, "/metrics") == 0) {
        out->kind = SRV_ROUTE_METRICS;
        return true;
    }
    size_t n = strlen(VALIDATE);
    if (strncmp(url, VALIDATE, n) != 0 || (url[n] != '\0' && url[n] != '/')) {
        return not_found(out, "the routes are POST /validate, GET /healthz, GET /readyz and "
                              "GET /metrics");
    }
    if (plain) {
        return not_found(out, "the routes are POST /validate, GET /healthz, GET /readyz and "
                              "GET /metrics");
    }
    out->admission = true;
    const char *p = url + n;
    char seg[32];
    const char *at = p;
    if (next_segment(&at, seg, sizeof(seg)) && strcmp(seg, "invalid") == 0) {
        if (next_segment(&at, seg, sizeof(seg)) && *at == '\0') {
            if (strcmp(seg, "enforce") == 0) {
                out->bad_label = SRV_LABEL_ENFORCE;
            } else if (strcmp(seg, "warn") == 0) {
                out->bad_label = SRV_LABEL_WARN;
            }
        }
        if (out->bad_label == NULL) {
            return not_found(out, "the paths for an invalid label are /validate/invalid/enforce "
                                  "and /validate/invalid/warn");
        }
        out->kind = SRV_ROUTE_VALIDATE;
        return true;
    }
    if (!label_part(&p, "enforce", &out->has_enforce, &out->enforce, out) ||
        !label_part(&p, "warn", &out->has_warn, &out->warn, out)) {
        return false;
    }
    if (*p != '\0') {
        return not_found(out, "the admission paths are /validate[/enforce/PROFILE][/warn/PROFILE] "
                              "and /validate/invalid/{enforce,warn}");
    }
    out->kind = SRV_ROUTE_VALIDATE;
    return true;
}
