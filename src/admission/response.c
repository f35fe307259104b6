/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encoding the AdmissionReview response by hand into one buffer: the deny
 * message, the warnings and the audit annotations, each capped, every string
 * escaped and cut on a UTF-8 boundary (hardpod/json_text.h) so that the
 * output is always valid JSON. Builds no json-c objects and allocates nothing
 * besides the output buffer. Also names the result's enums for logs and
 * metrics.
 */
#include "internal.h"

#include "hardpod/json_text.h"

#include <stdint.h>
#include <string.h>

/* Appends a string literal that needs no escaping. */
#define TEXT_LIT(t, lit) hp_json_text_raw((t), (lit), sizeof(lit) - 1)

static size_t len_bound(const char *s)
{
    return s != NULL ? 3 * strlen(s) : 0;
}

const char *hp_decision_name(enum hp_decision d)
{
    switch (d) {
    case HP_DECISION_ALLOWED:
        return "allowed";
    case HP_DECISION_DENIED:
        return "denied";
    case HP_DECISION_WARNED:
        return "warned";
    }
    return "unknown";
}

const char *hp_skip_name(enum hp_skip s)
{
    switch (s) {
    case HP_SKIP_NONE:
        return "none";
    case HP_SKIP_OPERATION:
        return "operation";
    case HP_SKIP_SUBRESOURCE:
        return "subresource";
    case HP_SKIP_UNCHANGED:
        return "unchanged";
    case HP_SKIP_NO_POD_SPEC:
        return "no-pod-spec";
    case HP_SKIP_UNREADABLE:
        return "unreadable";
    case HP_SKIP_BAD_LABEL:
        return "bad-label";
    }
    return "unknown";
}

/* One finding as a warning or message item:
 * [<who>][would deny: ][exempt: <reason>: ]<check>: <detail> (<path>). */
struct item {
    const char *who;    /* the hardpod.dev/warn profile's name, or NULL */
    const char *lead;   /* "would deny: " or NULL (after who: " would deny: " or " warns: ") */
    const char *reason; /* the exemption's reason, or NULL */
    const char *check;
    const char *detail;
    const char *path;
};

static struct item item_of(const struct hp_finding *x, bool would_deny)
{
    return (struct item){
        .lead = would_deny ? "would deny: " : NULL,
        .reason = x->exempt ? (x->exempt_reason != NULL ? x->exempt_reason : "") : NULL,
        .check = hp_check_name(x->check),
        .detail = x->detail,
        .path = x->path,
    };
}

/* Decoded length of the item; with bound, a cheap upper limit instead
 * (an invalid UTF-8 byte decodes to 3). */
static size_t item_len(const struct item *it, bool bound)
{
    size_t (*len)(const char *) = bound ? len_bound : hp_json_text_len;
    size_t n = len(it->check) + 2 + len(it->detail) + 2 + len(it->path) + 1;
    if (it->who != NULL) {
        n += len(it->who);
    }
    if (it->lead != NULL) {
        n += strlen(it->lead);
    }
    if (it->reason != NULL) {
        n += strlen("exempt: ") + len(it->reason) + 2;
    }
    return n;
}

static void put_item(struct hp_json_text *t, const struct item *it)
{
    if (it->who != NULL) {
        hp_json_text_puts(t, it->who);
    }
    if (it->lead != NULL) {
        hp_json_text_raw(t, it->lead, strlen(it->lead));
    }
    if (it->reason != NULL) {
        TEXT_LIT(t, "exempt: ");
        hp_json_text_puts(t, it->reason);
        TEXT_LIT(t, ": ");
    }
    hp_json_text_puts(t, it->check);
    TEXT_LIT(t, ": ");
    hp_json_text_puts(t, it->detail);
    TEXT_LIT(t, " (");
    hp_json_text_puts(t, it->path);
    TEXT_LIT(t, ")");
}

/* Writes `<Kind> "<ns>/<name>"`; without a namespace, `<Kind> "<name>"`. */
static void put_subject(struct hp_json_text *t, const struct adm_request *r)
{
    hp_json_text_put_capped(t, r->kind, 63);
    hp_json_text_puts(t, " \"");
    if (r->ns[0] != '\0') {
        hp_json_text_put_capped(t, r->ns, 63);
        TEXT_LIT(t, "/");
    }
    if (r->name[0] == '\0') {
        TEXT_LIT(t, "<unnamed>");
    } else {
        hp_json_text_put_capped(t, r->name, 253);
        if (r->name_generated) {
            TEXT_LIT(t, "*");
        }
    }
    hp_json_text_puts(t, "\"");
}

/* The status message of a denial, listing every deny finding until the cap. */
static void put_message(struct hp_buf *out, const struct adm_request *r, const char *profile,
                        const struct hp_findings *f)
{
    /* Room for "; ... and N more" within the cap. */
    struct hp_json_text t;
    hp_json_text_init(&t, out, 1, ADM_MAX_MESSAGE - 40);
    size_t shown = 0;
    hp_buf_putc(out, '"');
    put_subject(&t, r);
    hp_json_text_puts(&t, " violates hardpod policy \"");
    hp_json_text_put_capped(&t, profile, 63);
    hp_json_text_puts(&t, "\": ");
    for (size_t i = 0; i < f->len; i++) {
        const struct hp_finding *x = &f->items[i];
        if (x->action != HP_ACTION_DENY) {
            continue;
        }
        struct item it = item_of(x, false);
        size_t sep = shown > 0 ? 2 : 0;
        if (item_len(&it, true) + sep > t.budget && item_len(&it, false) + sep > t.budget) {
            break;
        }
        if (shown > 0) {
            TEXT_LIT(&t, "; ");
        }
        put_item(&t, &it);
        shown++;
    }
    if (shown < f->n_deny) {
        hp_buf_printf(out, "%s... and %zu more", shown > 0 ? "; " : "", f->n_deny - shown);
    }
    hp_buf_putc(out, '"');
}

/* Why an object sent for a Pod that hardpod cannot read is refused. */
static void put_unreadable(struct hp_json_text *t, const struct adm_request *r)
{
    hp_json_text_puts(t, "hardpod cannot read kind \"");
    hp_json_text_put_capped(t, r->kind, 63);
    hp_json_text_puts(t, "\" (");
    if (r->group[0] != '\0') {
        hp_json_text_put_capped(t, r->group, 63);
        TEXT_LIT(t, "/");
    }
    hp_json_text_put_capped(t, r->version, 63);
    TEXT_LIT(t, ") sent for pods");
    if (r->sub_resource != NULL) {
        TEXT_LIT(t, "/");
        hp_json_text_put_capped(t, r->sub_resource, 63);
    }
    TEXT_LIT(t, ", so it cannot check the pod's containers: only a v1 Pod or EphemeralContainers "
                "object is read there");
}

/* The status message of a refusal of an unreadable object. */
static void put_unreadable_message(struct hp_buf *out, const struct adm_request *r,
                                   const char *profile)
{
    struct hp_json_text t;
    hp_json_text_init(&t, out, 1, (size_t)ADM_MAX_MESSAGE);
    hp_buf_putc(out, '"');
    put_subject(&t, r);
    hp_json_text_puts(&t, " is refused by hardpod policy \"");
    hp_json_text_put_capped(&t, profile, 63);
    hp_json_text_puts(&t, "\": ");
    put_unreadable(&t, r);
    hp_buf_putc(out, '"');
}

/* The status message of a refusal for a namespace label that names no
 * profile. */
static void put_bad_label_message(struct hp_buf *out, const struct adm_request *r,
                                  const char *label)
{
    struct hp_json_text t;
    hp_json_text_init(&t, out, 1, (size_t)ADM_MAX_MESSAGE);
    hp_buf_putc(out, '"');
    put_subject(&t, r);
    hp_json_text_puts(&t, " is refused by hardpod: the label ");
    hp_json_text_put_capped(&t, label, 63);
    hp_json_text_puts(&t, " of namespace \"");
    hp_json_text_put_capped(&t, r->ns, 63);
    hp_json_text_puts(&t,
                      "\" is not a hardpod profile offered in this cluster (hardpod's profiles: "
                      "hardened, psa-restricted, psa-baseline, none); every Pod and workload "
                      "there is refused until the label is corrected or removed");
    hp_buf_putc(out, '"');
}

/* Whether finding x becomes a warning in this mode. */
static bool is_warning(const struct hp_finding *x, enum hp_mode mode)
{
    return x->action == HP_ACTION_WARN || mode == HP_MODE_AUDIT;
}

/* One warning: at most HP_ADMISSION_MAX_WARNING decoded bytes, cut on a
 * character boundary and ending with "..." when longer. */
static void put_warning_item(struct hp_buf *out, const struct item *it)
{
    bool cut = item_len(it, false) > HP_ADMISSION_MAX_WARNING;
    struct hp_json_text t;
    hp_json_text_init(&t, out, 1, HP_ADMISSION_MAX_WARNING - (cut ? 3 : 0));
    hp_buf_putc(out, '"');
    put_item(&t, it);
    hp_buf_puts(out, cut ? "...\"" : "\"");
}

static void put_warning(struct hp_buf *out, const struct hp_finding *x, enum hp_mode mode)
{
    struct item it = item_of(x, mode == HP_MODE_AUDIT && x->action == HP_ACTION_DENY);
    put_warning_item(out, &it);
}

/* Whether the enforced findings f already hold a finding of x's check at
 * x's path: the warn profile's copy of it would only repeat it. */
static bool reported(const struct hp_findings *f, const struct hp_finding *x)
{
    for (size_t i = 0; i < f->len; i++) {
        if (f->items[i].check == x->check && strcmp(f->items[i].path, x->path) == 0) {
            return true;
        }
    }
    return false;
}

/* The warnings: the enforced profile's, then (when the request is allowed,
 * as Pod Security Admission does) the hardpod.dev/warn profile's findings
 * that the first did not report, all within ADM_MAX_WARNINGS. */
static void put_warnings(struct hp_buf *out, const struct hp_admission_result *res, bool denied)
{
    const struct hp_findings *f = res->findings;
    const struct hp_findings *wf = denied ? NULL : res->warn_findings;
    size_t total = 0;
    for (size_t i = 0; i < f->len; i++) {
        total += is_warning(&f->items[i], res->mode);
    }
    size_t extra = wf != NULL ? wf->len + wf->n_dropped : 0;
    if (total + extra == 0) {
        return;
    }
    size_t shown = total <= ADM_MAX_WARNINGS ? total : ADM_MAX_WARNINGS - 1;
    size_t k = 0;
    hp_buf_puts(out, ",\"warnings\":[");
    for (size_t i = 0; i < f->len && k < shown; i++) {
        if (is_warning(&f->items[i], res->mode)) {
            hp_buf_puts(out, k++ > 0 ? "," : "");
            put_warning(out, &f->items[i], res->mode);
        }
    }
    if (shown < total) {
        hp_buf_printf(out, "%s\"... and %zu more findings\"", k > 0 ? "," : "", total - shown);
        k++;
        wf = NULL; /* no room left */
        extra = 0;
    }
    /* One slot stays free for the count of what does not fit. */
    size_t i = 0;
    for (; wf != NULL && i < wf->len && k < ADM_MAX_WARNINGS - 1; i++) {
        const struct hp_finding *x = &wf->items[i];
        if (reported(f, x)) {
            extra--;
            continue;
        }
        struct item it = item_of(x, false);
        it.who = res->warn_profile;
        it.lead = x->action == HP_ACTION_DENY ? " would deny: " : " warns: ";
        hp_buf_puts(out, k++ > 0 ? "," : "");
        put_warning_item(out, &it);
        extra--;
    }
    if (wf != NULL && extra > 0) {
        /* The rest is not compared with the enforced findings: "at most". */
        hp_buf_printf(out, "%s\"... and at most %zu more findings under ", k > 0 ? "," : "", extra);
        struct hp_json_text t;
        hp_json_text_init(&t, out, 1, 64);
        hp_json_text_puts(&t, res->warn_profile);
        hp_buf_putc(out, '"');
    }
    hp_buf_putc(out, ']');
}

/* One element of the findings annotation, a JSON object inside a JSON
 * string: the literals below are written escaped once already, the values
 * from the object are escaped twice. Returns the bytes written (counted
 * only when out is NULL). */
static size_t put_finding_json(struct hp_buf *out, const struct hp_finding *x, bool comma)
{
    struct hp_json_text t;
    hp_json_text_init(&t, out, 2, SIZE_MAX);
    if (comma) {
        TEXT_LIT(&t, ",");
    }
    TEXT_LIT(&t, "{\\\"check\\\":\\\"");
    hp_json_text_puts(&t, hp_check_name(x->check));
    TEXT_LIT(&t, "\\\",\\\"action\\\":\\\"");
    hp_json_text_puts(&t, hp_action_name(x->action));
    if (x->container != NULL) {
        TEXT_LIT(&t, "\\\",\\\"container\\\":\\\"");
        hp_json_text_puts(&t, x->container);
        TEXT_LIT(&t, "\\\",\\\"path\\\":\\\"");
    } else {
        TEXT_LIT(&t, "\\\",\\\"container\\\":null,\\\"path\\\":\\\"");
    }
    hp_json_text_puts(&t, x->path);
    TEXT_LIT(&t, "\\\"}");
    return t.written;
}

static const char *decision_label(const struct hp_admission_result *res)
{
    if (res->mode == HP_MODE_AUDIT && res->n_deny > 0) {
        return "would-deny";
    }
    return hp_decision_name(res->decision);
}

/* The hardpod.dev/warn profile's verdict: ,"warnProfile":..,"warnDecision":.. */
static void put_warn_annotations(struct hp_buf *out, const struct hp_admission_result *res)
{
    const struct hp_findings *wf = res->warn_findings;
    if (res->warn_profile == NULL || wf == NULL) {
        return;
    }
    hp_buf_puts(out, ",\"warnProfile\":");
    hp_buf_put_json_string(out, res->warn_profile, strlen(res->warn_profile));
    hp_buf_printf(out, ",\"warnDecision\":\"%s\"",
                  wf->n_deny > 0                ? "would-deny"
                  : wf->len + wf->n_dropped > 0 ? "warned"
                                                : "allowed");
}

static void put_annotations(struct hp_buf *out, const struct hp_admission_result *res,
                            const char *profile)
{
    const struct hp_findings *f = res->findings;
    const struct hp_findings *wf = res->warn_findings;
    if (res->skip == HP_SKIP_BAD_LABEL) {
        hp_buf_puts(out, ",\"auditAnnotations\":{\"decision\":\"denied\",\"badLabel\":");
        hp_buf_put_json_string(out, res->bad_label, strlen(res->bad_label));
        hp_buf_putc(out, '}');
        return;
    }
    if (res->skip == HP_SKIP_UNREADABLE) {
        hp_buf_printf(out,
                      ",\"auditAnnotations\":{\"decision\":\"%s\",\"mode\":\"%s\",\"profile\":",
                      decision_label(res), hp_mode_name(res->mode));
        hp_buf_put_json_string(out, profile, strlen(profile));
        hp_buf_puts(out, ",\"unreadable\":\"kind\"}");
        return;
    }
    bool warn_found = wf != NULL && wf->len + wf->n_dropped > 0;
    if ((f == NULL || f->len == 0) && !warn_found) {
        return;
    }
    hp_buf_printf(out, ",\"auditAnnotations\":{\"decision\":\"%s\",\"mode\":\"%s\",\"profile\":",
                  decision_label(res), hp_mode_name(res->mode));
    hp_buf_put_json_string(out, profile, strlen(profile));
    put_warn_annotations(out, res);
    if (f == NULL || f->len == 0) {
        hp_buf_putc(out, '}');
        return;
    }
    hp_buf_puts(out, ",\"findings\":\"[");
    /* Room for the closing bracket and the omitted-count element. */
    size_t room = ADM_MAX_FINDINGS_ANNOTATION - 40;
    size_t used = 2;
    size_t shown = 0;
    for (; shown < f->len; shown++) {
        /* Counting exactly costs as much as writing: do it only near the cap.
         * A byte escaped twice takes at most 7 bytes (\\u00XX). */
        const struct hp_finding *x = &f->items[shown];
        size_t bound = 128 + 7 * (strlen(x->container ? x->container : "") + strlen(x->path));
        if (used + bound > room && used + put_finding_json(NULL, x, shown > 0) > room) {
            break;
        }
        used += put_finding_json(out, x, shown > 0);
    }
    if (shown < f->len) {
        hp_buf_printf(out, "%s{\\\"omitted\\\":%zu}", shown > 0 ? "," : "", f->len - shown);
    }
    hp_buf_puts(out, "]\"}");
}

enum hp_err adm_response_encode(const struct adm_request *r, const struct hp_admission_result *res,
                                const char *profile, struct hp_buf *out, struct hp_error *err)
{
    bool denied = res->decision == HP_DECISION_DENIED;
    hp_buf_puts(out, "{\"apiVersion\":\"");
    hp_buf_puts(out, r->api_version);
    hp_buf_puts(out, "\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
    hp_buf_put_json_string(out, r->uid, r->uid_len);
    hp_buf_puts(out, denied ? ",\"allowed\":false" : ",\"allowed\":true");
    bool unreadable = res->skip == HP_SKIP_UNREADABLE;
    if (denied) {
        hp_buf_puts(out, ",\"status\":{\"code\":403,\"reason\":\"Forbidden\",\"message\":");
        if (res->skip == HP_SKIP_BAD_LABEL) {
            put_bad_label_message(out, r, res->bad_label);
        } else if (unreadable) {
            put_unreadable_message(out, r, profile);
        } else {
            put_message(out, r, profile, res->findings);
        }
        hp_buf_putc(out, '}');
    }
    if (unreadable && !denied) {
        struct hp_json_text t;
        hp_json_text_init(&t, out, 1, HP_ADMISSION_MAX_WARNING - strlen("would deny: "));
        hp_buf_puts(out, ",\"warnings\":[\"would deny: ");
        put_unreadable(&t, r);
        hp_buf_puts(out, "\"]");
    } else if (res->findings != NULL) {
        put_warnings(out, res, denied);
    }
    put_annotations(out, res, profile);
    hp_buf_puts(out, "}}");
    if (out->overflow) {
        return hp_error_set(err, HP_ERR_LIMIT, "response: larger than the output cap of %zu bytes",
                            out->max);
    }
    return HP_OK;
}
