/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML scalar typing, as kubectl's YAML reader (go-yaml v2 behind
 * sigs.k8s.io/yaml, YAML 1.1) types scalars: yes/no/on/off are booleans,
 * 0x10 and 0o10 are integers, '_' is dropped from numbers, a plain `<<` is a
 * merge key, and an explicit standard tag forces the type. Pure: it knows
 * nothing of trees, and allocates nothing except the json-c value asked for.
 */
#include "internal.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_PREFIX "tag:yaml.org,2002:"
#define SHOW_MAX 40 /* bytes of a scalar quoted in a message */

static const struct {
    const char *text;
    enum mf_scalar_kind kind;
    int v; /* bool value; for floats 0 = NaN, 1 = +Inf, -1 = -Inf */
} words[] = {
    {"~", MF_SCALAR_NULL, 0},       {"null", MF_SCALAR_NULL, 0},    {"Null", MF_SCALAR_NULL, 0},
    {"NULL", MF_SCALAR_NULL, 0},    {"y", MF_SCALAR_BOOL, 1},       {"Y", MF_SCALAR_BOOL, 1},
    {"yes", MF_SCALAR_BOOL, 1},     {"Yes", MF_SCALAR_BOOL, 1},     {"YES", MF_SCALAR_BOOL, 1},
    {"on", MF_SCALAR_BOOL, 1},      {"On", MF_SCALAR_BOOL, 1},      {"ON", MF_SCALAR_BOOL, 1},
    {"true", MF_SCALAR_BOOL, 1},    {"True", MF_SCALAR_BOOL, 1},    {"TRUE", MF_SCALAR_BOOL, 1},
    {"n", MF_SCALAR_BOOL, 0},       {"N", MF_SCALAR_BOOL, 0},       {"no", MF_SCALAR_BOOL, 0},
    {"No", MF_SCALAR_BOOL, 0},      {"NO", MF_SCALAR_BOOL, 0},      {"off", MF_SCALAR_BOOL, 0},
    {"Off", MF_SCALAR_BOOL, 0},     {"OFF", MF_SCALAR_BOOL, 0},     {"false", MF_SCALAR_BOOL, 0},
    {"False", MF_SCALAR_BOOL, 0},   {"FALSE", MF_SCALAR_BOOL, 0},   {".nan", MF_SCALAR_FLOAT, 0},
    {".NaN", MF_SCALAR_FLOAT, 0},   {".NAN", MF_SCALAR_FLOAT, 0},   {".inf", MF_SCALAR_FLOAT, 1},
    {".Inf", MF_SCALAR_FLOAT, 1},   {".INF", MF_SCALAR_FLOAT, 1},   {"+.inf", MF_SCALAR_FLOAT, 1},
    {"+.Inf", MF_SCALAR_FLOAT, 1},  {"+.INF", MF_SCALAR_FLOAT, 1},  {"-.inf", MF_SCALAR_FLOAT, -1},
    {"-.Inf", MF_SCALAR_FLOAT, -1}, {"-.INF", MF_SCALAR_FLOAT, -1},
};

static const char *kind_name(enum mf_scalar_kind k)
{
    static const char *const names[] = {"!!str", "!!str",   "!!null", "!!bool",
                                        "!!int", "!!float", "!!merge"};
    return names[k];
}

static enum mf_scalar_kind tag_kind(const char *tag)
{
    static const struct {
        const char *name;
        enum mf_scalar_kind kind;
    } tags[] = {{"str", MF_SCALAR_STR},
                {"null", MF_SCALAR_NULL},
                {"bool", MF_SCALAR_BOOL},
                {"int", MF_SCALAR_INT},
                {"float", MF_SCALAR_FLOAT}};

    if (tag == NULL) {
        return MF_SCALAR_NONE;
    }
    if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
        for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
            if (strcmp(tag + strlen(TAG_PREFIX), tags[i].name) == 0) {
                return tags[i].kind;
            }
        }
    }
    /* "!", !!binary, !!timestamp and custom tags keep the text, as go-yaml v2 does. */
    return MF_SCALAR_STR;
}

/* The float syntax go-yaml accepts: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool float_syntax(const char *p, size_t n)
{
    size_t i = 0;
    size_t digits = 0;

    if (i < n && (p[i] == '+' || p[i] == '-')) {
        i++;
    }
    if (i < n && p[i] == '.') {
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
            digits++;
        }
    } else {
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
            digits++;
        }
        if (digits > 0 && i < n && p[i] == '.') {
            for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
            }
        }
    }
    if (digits == 0) {
        return false;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        size_t exp = 0;
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) {
            i++;
        }
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
            exp++;
        }
        if (exp == 0) {
            return false;
        }
    }
    return i == n;
}

/* p is NUL-terminated and matches float_syntax. The decimal point is '.' because
 * hardpod never calls setlocale. Overflow is not a float, as in Go's ParseFloat. */
static bool parse_float(const char *p, struct mf_scalar *v)
{
    errno = 0;
    double d = strtod(p, NULL);
    if (errno == ERANGE && isinf(d)) {
        return false;
    }
    v->kind = MF_SCALAR_FLOAT;
    v->d = d;
    return true;
}

static unsigned digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return (unsigned)(c - '0');
    }
    if (c >= 'a' && c <= 'f') {
        return (unsigned)(c - 'a' + 10);
    }
    if (c >= 'A' && c <= 'F') {
        return (unsigned)(c - 'A' + 10);
    }
    return 99;
}

/* Go's strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64) (which takes no sign). */
static bool parse_int(const char *p, size_t n, struct mf_scalar *v)
{
    size_t i = 0;
    unsigned base = 10;
    uint64_t acc = 0;
    bool neg = false;
    bool over = false;

    if (n > 0 && (p[0] == '+' || p[0] == '-')) {
        neg = p[0] == '-';
        i = 1;
    }
    if (i < n && p[i] == '0' && i + 1 < n) {
        char c = (char)(p[i + 1] | 0x20);
        base = c == 'x' ? 16 : c == 'b' ? 2 : 8;
        i += (c == 'x' || c == 'b' || c == 'o') ? 2 : 1;
    }
    if (i == n) {
        return false;
    }
    for (; i < n; i++) {
        unsigned d = digit_value(p[i]);
        if (d >= base) {
            return false;
        }
        if (acc > (UINT64_MAX - d) / base) {
            over = true;
        } else {
            acc = acc * base + d;
        }
    }
    if (over) {
        return false;
    }
    v->kind = MF_SCALAR_INT;
    if (!neg && acc <= (uint64_t)INT64_MAX) {
        v->i = (int64_t)acc;
    } else if (neg && acc <= (uint64_t)INT64_MAX) {
        v->i = -(int64_t)acc;
    } else if (neg && acc == (uint64_t)INT64_MAX + 1) {
        v->i = INT64_MIN;
    } else if (p[0] != '+' && !neg) {
        v->is_uint = true;
        v->u = acc;
    } else {
        return false;
    }
    return true;
}

/* Numbers: go-yaml drops every '_' before trying int, then float. */
static void resolve_number(const char *s, size_t n, struct mf_scalar *v)
{
    char small[64];
    char *p = n < sizeof(small) ? small : hp_xmalloc(n + 1);
    size_t len = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] != '_') {
            p[len++] = s[i];
        }
    }
    p[len] = '\0';
    if (!parse_int(p, len, v) && !(float_syntax(p, len) && parse_float(p, v))) {
        v->kind = MF_SCALAR_STR;
    }
    if (p != small) {
        free(p);
    }
}

static void resolve_plain(const char *s, size_t n, struct mf_scalar *v)
{
    memset(v, 0, sizeof(*v));
    if (n == 0) {
        v->kind = MF_SCALAR_NULL;
        return;
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i].text) == n && memcmp(words[i].text, s, n) == 0) {
            v->kind = words[i].kind;
            v->b = words[i].v != 0;
            v->d = words[i].v == 0 ? (double)NAN : words[i].v * (double)INFINITY;
            return;
        }
    }
    v->kind = MF_SCALAR_STR;
    /* go-yaml only tries numbers for these first characters. */
    if ((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' || s[0] == '.') {
        resolve_number(s, n, v);
    }
}

struct json_object *mf_scalar_json(const struct mf_scalar *v, const char *s, size_t n)
{
    struct json_object *obj;

    switch (v->kind) {
    case MF_SCALAR_NULL:
        return NULL;
    case MF_SCALAR_BOOL:
        obj = json_object_new_boolean(v->b);
        break;
    case MF_SCALAR_INT:
        obj = v->is_uint ? json_object_new_uint64(v->u) : json_object_new_int64(v->i);
        break;
    case MF_SCALAR_FLOAT:
        obj = json_object_new_double(v->d);
        break;
    case MF_SCALAR_MERGE:
        obj = json_object_new_string("<<");
        break;
    default:
        obj = json_object_new_string_len(s, (int)n);
        break;
    }
    if (obj == NULL) {
        hp_oom();
    }
    return obj;
}

/* An explicit standard tag forces the type; a value the tag cannot hold is an
 * error. Only plain untagged scalars are guessed. */
bool mf_scalar_type(const char *tag, const char *s, size_t n, bool plain, struct mf_scalar *v,
                    char *msg, size_t msglen)
{
    enum mf_scalar_kind want = tag_kind(tag);

    memset(v, 0, sizeof(*v));
    v->kind = MF_SCALAR_STR;
    if (want != MF_SCALAR_STR && (want != MF_SCALAR_NONE || plain)) {
        resolve_plain(s, n, v);
    }
    /* go-yaml resolves a plain untagged `<<` to !!merge: a merge key. */
    if (want == MF_SCALAR_NONE && plain && n == 2 && memcmp(s, "<<", 2) == 0) {
        v->kind = MF_SCALAR_MERGE;
    }
    if (want != MF_SCALAR_NONE && v->kind != want) {
        if (want == MF_SCALAR_FLOAT && v->kind == MF_SCALAR_INT) {
            v->kind = MF_SCALAR_FLOAT;
            v->d = v->is_uint ? (double)v->u : (double)v->i;
        } else {
            snprintf(msg, msglen, "cannot decode %s `%.*s` as %s", kind_name(v->kind),
                     (int)(n < SHOW_MAX ? n : SHOW_MAX), s, kind_name(want));
            return false;
        }
    }
    return true;
}
