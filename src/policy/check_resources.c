/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resources: every container but an ephemeral one (which cannot declare
 * them) sets the CPU and memory requests and limits that the policy's
 * `require` option names, each to a positive quantity. Quantities are read
 * as the API server reads them (k8s.io/apimachinery's resource.Quantity):
 * what it refuses is a finding, and zero or a negative value counts as
 * unset, because the kubelet sets no memory limit and no CFS quota for 0.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Go's strconv.ParseInt(s, 10, 64): an optional sign and at least one digit,
 * within int64. The exponent is then cut to 32 bits, as the API server does. */
static bool exponent_of(const char *s, size_t n, int32_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i++;
    }
    if (i == n) {
        return false;
    }
    uint64_t v = 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (!digit(s[i])) {
            return false;
        }
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    uint64_t bits = neg ? (uint64_t)0 - v : v;
    *out = (int32_t)(uint32_t)(bits & 0xFFFFFFFFu);
    return true;
}

/* The suffix's power: base 10 (decimal SI and e/E exponents) or 2 (binary SI). */
static bool suffix_of(const char *s, size_t n, int *base, int32_t *exp)
{
    static const struct {
        const char *text;
        int base;
        int32_t exp;
    } table[] = {
        {"", 10, 0},   {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"k", 10, 3},  {"M", 10, 6},
        {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18}, {"Ki", 2, 10}, {"Mi", 2, 20},
        {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strlen(table[i].text) == n && memcmp(table[i].text, s, n) == 0) {
            *base = table[i].base;
            *exp = table[i].exp;
            return true;
        }
    }
    if (n > 1 && (s[0] == 'e' || s[0] == 'E')) {
        *base = 10;
        return exponent_of(s + 1, n - 1, exp);
    }
    return false;
}

enum pol_quantity pol_quantity_parse(const char *s, size_t n)
{
    if (n == 0) {
        return POL_QTY_BAD;
    }
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i++;
    }
    bool any_digit = false;
    bool nonzero = false;
    for (; i < n && digit(s[i]); i++) {
        any_digit = true;
        nonzero = nonzero || s[i] != '0';
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && digit(s[i]); i++) {
            any_digit = true;
            nonzero = nonzero || s[i] != '0';
        }
    }
    /* The suffix: letters of the suffixes, then an optional signed number. */
    static const char letters[] = "eEinumkKMGTP";
    size_t suffix = i;
    while (i < n && memchr(letters, s[i], sizeof(letters) - 1) != NULL) {
        i++;
    }
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        i++;
    }
    while (i < n && digit(s[i])) {
        i++;
    }
    int base;
    int32_t exp;
    if (i != n || !suffix_of(s + suffix, n - suffix, &base, &exp)) {
        return POL_QTY_BAD;
    }
    if (!any_digit) {
        /* A number part without a digit ("", "-", ".", as in "Mi") is zero
         * when the API server's int64 path takes it and refused when its
         * decimal path must parse it: decimal scales down to 1e-9, binary
         * suffixes up to Ti. */
        bool fast = base == 10 ? exp >= -9 : exp <= 40;
        return fast ? POL_QTY_ZERO : POL_QTY_BAD;
    }
    if (!nonzero) {
        return POL_QTY_ZERO;
    }
    return neg ? POL_QTY_NEGATIVE : POL_QTY_POSITIVE;
}

/* Length of the Unicode white space (Go's unicode.IsSpace) that starts at
 * s[0..n), or 0. */
static size_t space_at(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))) {
        return 1;
    }
    if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0)) {
        return 2;
    }
    if (n < 3) {
        return 0;
    }
    unsigned cp = ((unsigned)(s[0] & 0x0F) << 12) | ((unsigned)(s[1] & 0x3F) << 6) | (s[2] & 0x3Fu);
    if ((s[0] & 0xF0) != 0xE0 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) {
        return 0;
    }
    bool space = cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
                 cp == 0x202F || cp == 0x205F || cp == 0x3000;
    return space ? 3 : 0;
}

/* Length of the white space that ends s[0..n), or 0. */
static size_t space_before(const unsigned char *s, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        if (space_at(s + n - k, k) == k) {
            return k;
        }
    }
    return 0;
}

enum pol_quantity pol_quantity_of(struct json_object *v)
{
    if (v == NULL) {
        return POL_QTY_UNSET;
    }
    const char *s;
    size_t n;
    switch (json_object_get_type(v)) {
    case json_type_string:
        s = json_object_get_string(v);
        n = (size_t)json_object_get_string_len(v);
        break;
    case json_type_int:
    case json_type_double:
        /* The API server parses the number's text as a quantity; json-c
         * keeps a double's text as written. */
        s = json_object_get_string(v);
        n = strlen(s);
        break;
    default:
        return POL_QTY_BAD;
    }
    /* The API server trims white space around a quantity it decodes. */
    const unsigned char *u = (const unsigned char *)s;
    size_t k;
    while ((k = space_at(u, n)) > 0) {
        u += k;
        n -= k;
    }
    while ((k = space_before(u, n)) > 0) {
        n -= k;
    }
    return pol_quantity_parse((const char *)u, n);
}

/* The value for a message: quoted and cut, control characters as '?'. */
static const char *quote(struct json_object *v, char *buf, size_t size)
{
    if (!json_object_is_type(v, json_type_string)) {
        if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
            snprintf(buf, size, "%.40s", json_object_get_string(v));
            return buf;
        }
        return hp_k8s_describe(v, buf, size);
    }
    return hp_k8s_quote(json_object_get_string(v), (size_t)json_object_get_string_len(v), buf,
                        size);
}

void pol_resources_ctr(struct pol_eval *e)
{
    if (e->list == HP_LIST_EPHEMERAL) {
        return;
    }
    static const struct {
        unsigned bit;
        const char *group;
        const char *name;
        const char *fix;
    } fields[] = {
        {HP_RES_REQUESTS_CPU, "requests", "cpu", "resources: {requests: {cpu: 100m}}"},
        {HP_RES_REQUESTS_MEMORY, "requests", "memory", "resources: {requests: {memory: 128Mi}}"},
        {HP_RES_LIMITS_CPU, "limits", "cpu", "resources: {limits: {cpu: 500m}}"},
        {HP_RES_LIMITS_MEMORY, "limits", "memory", "resources: {limits: {memory: 256Mi}}"},
    };
    static const char *const groups[] = {"requests", "limits"};
    static const char *const names[] = {"cpu", "memory"};
    struct json_object *group[2];
    struct json_object *values[4];
    hp_k8s_pick(e->cf.resources, groups, 2, group);
    hp_k8s_pick(group[0], names, 2, values);
    hp_k8s_pick(group[1], names, 2, values + 2);
    for (size_t i = 0; i < 4; i++) {
        if ((e->p->resources_require & fields[i].bit) == 0) {
            continue;
        }
        struct json_object *v = values[i];
        enum pol_quantity q = pol_quantity_of(v);
        if (q == POL_QTY_POSITIVE) {
            continue;
        }
        pol_names(e);
        const char *path =
            pol_path(e, "%s.resources.%s.%s", e->cpath, fields[i].group, fields[i].name);
        char what[64];
        if (q == POL_QTY_UNSET) {
            pol_emit(e, HP_CHECK_RESOURCES, true, path, fields[i].fix,
                     "%s must set resources.%s.%s", e->who, fields[i].group, fields[i].name);
        } else if (q == POL_QTY_BAD) {
            pol_emit(e, HP_CHECK_RESOURCES, true, path, fields[i].fix,
                     "%s resources.%s.%s is not a quantity: %s (write a number with an optional "
                     "suffix, such as 500m, 0.5, 128Mi or 1G)",
                     e->who, fields[i].group, fields[i].name, quote(v, what, sizeof(what)));
        } else {
            pol_emit(e, HP_CHECK_RESOURCES, true, path, fields[i].fix,
                     "%s must set resources.%s.%s to a positive quantity, not %s (%s)", e->who,
                     fields[i].group, fields[i].name, quote(v, what, sizeof(what)),
                     q == POL_QTY_NEGATIVE ? "a negative quantity is refused by the API server"
                     : i >= 2              ? "a limit of zero is no limit to the kubelet"
                                           : "a request of zero reserves nothing");
        }
    }
}
