/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON front end: a request body is read once by the strict scanner,
 * which validates it (JSON, depth, UTF-8, no escaped NUL), refuses it with
 * the offset of its fault, or copies what hardpod reads; json-c then parses
 * the copy with a reused strict tokener. Knows nothing of what the fields
 * mean: request.c decodes them, admission.c decides.
 */
#include "internal.h"

#include "hardpod/readset.h"
#include "hardpod/utf8.h"

#include <json-c/json.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

/* json-c's own words for a fault it finds too, when the tree it would build
 * before finding it is small (a hostile body must not make json-c allocate
 * hundreds of times its size just to name a fault). */
#define WORDING_MAX_COST (1u << 20)

static enum hp_err bad_json(const char *body, size_t scanned, size_t at,
                            enum json_tokener_error jerr, struct hp_error *err)
{
    /* json-c stops at a NUL as if the input ended there: name the byte. */
    const char *nul = memchr(body, '\0', scanned);
    if (nul != NULL) {
        return hp_error_set(err, HP_ERR_INVALID, "invalid JSON at byte %zu: NUL byte",
                            (size_t)(nul - body));
    }
    if (jerr == json_tokener_error_depth) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "invalid JSON at byte %zu: nesting depth exceeds %d", at,
                            HP_ADMISSION_MAX_DEPTH);
    }
    return hp_error_set(err, HP_ERR_INVALID, "invalid JSON at byte %zu: %s", at,
                        json_tokener_error_desc(jerr));
}

enum hp_err adm_json_parse(struct hp_admission *a, const char *text, size_t len,
                           struct json_object **root, struct hp_error *err)
{
    json_tokener_reset(a->tok);
    *root = json_tokener_parse_ex(a->tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(a->tok);
    size_t end = json_tokener_get_parse_end(a->tok);
    if (jerr == json_tokener_continue) {
        /* The input ended inside a value. A NUL tells json-c so, which
         * completes a bare number and makes anything else an error. */
        *root = json_tokener_parse_ex(a->tok, "", 1);
        jerr = json_tokener_get_error(a->tok);
        end = len;
    }
    enum hp_err rc = HP_OK;
    if (jerr != json_tokener_success) {
        rc = bad_json(text, end < len ? end + 1 : len, end, jerr, err);
    }
    for (size_t i = end; rc == HP_OK && i < len; i++) {
        char c = text[i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            rc = hp_error_set(err, HP_ERR_INVALID, "invalid JSON at byte %zu: %s", i,
                              c == '\0' ? "NUL byte" : "trailing data");
        }
    }
    if (rc != HP_OK) {
        json_object_put(*root);
        *root = NULL;
    }
    return rc;
}

/* The first "\u0000" escape in body (a "u0000" preceded by an odd run of
 * backslashes), or NULL. */
static const char *escaped_nul(const char *body, size_t len)
{
    const char *end = body + len;
    for (const char *p = body; (p = memchr(p, '\\', (size_t)(end - p))) != NULL;) {
        const char *run = p;
        while (p < end && *p == '\\') {
            p++;
        }
        /* An odd run ends in a backslash that escapes what follows it. */
        if ((p - run) % 2 == 1 && end - p >= 5 && memcmp(p, "u0000", 5) == 0) {
            return p - 1;
        }
    }
    return NULL;
}

static enum hp_err bad_utf8(size_t at, struct hp_error *err)
{
    return hp_error_set(err, HP_ERR_INVALID, "invalid JSON at byte %zu: invalid UTF-8", at);
}

static enum hp_err bad_nul(size_t at, struct hp_error *err)
{
    return hp_error_set(err, HP_ERR_INVALID,
                        "invalid JSON at byte %zu: \\u0000 (NUL) is not accepted in strings", at);
}

/* The error for a body the scanner refused at p->at. The scanner read every
 * byte before p->at and found it sound, and p->at is where a character
 * starts; a body is refused first for bad UTF-8, then for an escaped NUL,
 * then for its syntax, wherever each is: the rest is looked at only here,
 * on the way out. Where json-c finds a syntax fault too, it is described in
 * json-c's words; json-c alone accepts a few forms (NaN, single quotes,
 * "1.", a raw tab in a string) that JSON does not. */
static enum hp_err refuse(struct hp_admission *a, const char *body, size_t len,
                          const struct adm_json_prune *pr, const struct adm_json_problem *p,
                          struct hp_error *err)
{
    size_t bad = 0;
    if (p->fault == ADM_JSON_UTF8) {
        return bad_utf8(p->at, err);
    }
    if (!hp_utf8_valid(body + p->at, len - p->at, &bad)) {
        return bad_utf8(p->at + bad, err);
    }
    if (p->fault == ADM_JSON_NUL) {
        return bad_nul(p->at, err);
    }
    const char *nul = escaped_nul(body + p->at, len - p->at);
    if (nul != NULL) {
        return bad_nul((size_t)(nul - body), err);
    }
    struct json_object *tree = NULL;
    if (adm_json_cost(&pr->all) <= WORDING_MAX_COST &&
        adm_json_parse(a, body, len, &tree, err) != HP_OK) {
        return HP_ERR_INVALID;
    }
    json_object_put(tree);
    return hp_error_set(err, HP_ERR_INVALID, "invalid JSON at byte %zu: %s", p->at, p->what);
}

void hp_admission_body_init(struct hp_admission_body *b)
{
    memset(b, 0, sizeof(*b));
    hp_buf_init(&b->text, 0);
}

void hp_admission_body_cleanup(struct hp_admission_body *b)
{
    hp_buf_cleanup(&b->text);
    memset(b, 0, sizeof(*b));
}

enum hp_err adm_body_prepare(struct hp_admission *a, const char *body, size_t len, bool full,
                             struct hp_admission_body *b, struct hp_error *err)
{
    hp_buf_reset(&b->text);
    b->cost = 0;
    memset(b->same_spec, 0, sizeof(b->same_spec));
    if (len == 0) {
        return hp_error_set(err, HP_ERR_INVALID, "empty request body");
    }
    if (len > INT_MAX) {
        return hp_error_set(err, HP_ERR_LIMIT, "request body: %zu bytes is too large", len);
    }
    struct adm_json_problem problem;
    struct adm_json_prune pr = {.root = hp_policy_read_set(), .out = &b->text};
    /* The copy is never longer than the body: one allocation, charged as
     * such by the server. */
    hp_buf_reserve(&b->text, len);
    if (!adm_json_scan(body, len, HP_ADMISSION_MAX_DEPTH, &pr, &problem)) {
        hp_buf_reset(&b->text);
        return refuse(a, body, len, &pr, &problem, err);
    }
    /* An UPDATE leaves a pod spec unchanged when its bytes are the same as
     * oldObject's: the API server encodes both with one encoder (Go sorts map
     * keys), so equal specs are equal bytes. A member name with an escape
     * on either side could hide a second spec from the byte ranges: then
     * nothing counts as unchanged. */
    for (size_t k = 0; k < HP_MARK_SPECS; k++) {
        const size_t *x = pr.spec[0][k];
        const size_t *y = pr.spec[1][k];
        b->same_spec[k] = pr.has_spec[0][k] && pr.has_spec[1][k] && !pr.escaped[0] &&
                          !pr.escaped[1] && x[1] - x[0] == y[1] - y[0] &&
                          memcmp(body + x[0], body + y[0], x[1] - x[0]) == 0;
    }
    b->cost = adm_json_cost(&pr.kept);
    b->whole = full;
    if (full) {
        hp_buf_reset(&b->text);
        hp_buf_append(&b->text, body, len);
        b->cost = adm_json_cost(&pr.all);
    }
    return HP_OK;
}

enum hp_err hp_admission_prepare(struct hp_admission *a, const struct hp_config *config,
                                 const char *body, size_t len, struct hp_admission_body *b,
                                 struct hp_error *err)
{
    bool whole = config != NULL && config->policy.kinds != NULL;
    return adm_body_prepare(a, body, len, whole, b, err);
}
