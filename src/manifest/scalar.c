/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML scalar typing, as kubectl's YAML reader (go-yaml v2 behind
 * sigs.k8s.io/yaml, YAML 1.1) types scalars: yes/no/on/off are booleans,
 * 0x10 and 0o10 are integers, '_' is dropped from numbers, an untagged plain
 * (or `!!merge`) `<<` is a merge key, `!!binary` is base64-decoded, an
 * explicit standard tag forces the type, and a key becomes the JSON string
 * sigs.k8s.io/yaml makes of it. Pure: it knows nothing of trees, and
 * allocates only a decoded !!binary text and the json-c value asked for.
 */
#include "internal.h"

#include "hardpod/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_PREFIX "tag:yaml.org,2002:"
#define TAG_BINARY TAG_PREFIX "binary"
#define TAG_MERGE TAG_PREFIX "merge"
#define TAG_TIMESTAMP TAG_PREFIX "timestamp"
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
    /* "!", custom tags, !!merge, !!map and the like keep the text, as go-yaml v2 does;
     * mf_scalar_type handles !!binary and !!timestamp before this. */
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

/* Go's rule for '_' in a float literal, which ParseFloat applies to text that
 * starts with '.': each '_' sits between two digits. */
static bool underscore_ok(const char *s, size_t n)
{
    char saw = '^'; /* '0' digit, '_' underscore, '!' anything else */

    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            saw = '0';
        } else if (s[i] == '_') {
            if (saw != '0') {
                return false;
            }
            saw = '_';
        } else {
            if (saw == '_') {
                return false;
            }
            saw = '!';
        }
    }
    return saw != '_';
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
    /* go-yaml only tries numbers for these first characters; after a '.' it
     * hands the text to ParseFloat as written, elsewhere without its '_'. */
    if ((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' ||
        (s[0] == '.' && underscore_ok(s, n))) {
        resolve_number(s, n, v);
    }
}

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Go's base64.StdEncoding.DecodeString: padded, CR and LF skipped anywhere,
 * the unused bits of the last group ignored. Writes at most n / 4 * 3 bytes
 * to out; returns false on anything else. */
static bool base64_decode(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
    unsigned q[4];
    size_t j = 0;
    size_t o = 0;
    size_t i = 0;

    for (; i < n; i++) {
        if (s[i] == '\r' || s[i] == '\n') {
            continue;
        }
        if (s[i] == '=') {
            break;
        }
        int d = base64_value(s[i]);
        if (d < 0) {
            return false;
        }
        q[j++] = (unsigned)d;
        if (j == 4) {
            out[o++] = (unsigned char)(q[0] << 2 | q[1] >> 4);
            out[o++] = (unsigned char)((q[1] & 0xFu) << 4 | q[2] >> 2);
            out[o++] = (unsigned char)((q[2] & 0x3u) << 6 | q[3]);
            j = 0;
        }
    }
    if (i < n) {
        /* Padding ends a group of two (with "==") or three (with "="). */
        size_t pads = 0;
        for (; i < n; i++) {
            if (s[i] == '=') {
                pads++;
            } else if (s[i] != '\r' && s[i] != '\n') {
                return false;
            }
        }
        if (!((j == 2 && pads == 2) || (j == 3 && pads == 1))) {
            return false;
        }
        out[o++] = (unsigned char)(q[0] << 2 | q[1] >> 4);
        if (j == 3) {
            out[o++] = (unsigned char)((q[1] & 0xFu) << 4 | q[2] >> 2);
        }
        j = 0;
    }
    *outlen = o;
    return j == 0;
}

/* A !!binary scalar's text: decoded, then each byte that is not part of a
 * UTF-8 sequence becomes U+FFFD, as Go's JSON encoder writes a string that
 * holds such bytes (sigs.k8s.io/yaml passes every scalar through it). */
static bool decode_binary(const char *s, size_t n, struct mf_scalar *v)
{
    size_t len = 0;
    unsigned char *raw = hp_xmalloc(n / 4 * 3 + 1);
    bool ok = base64_decode(s, n, raw, &len);

    if (ok) {
        size_t o = 0;
        /* At most three bytes out for every byte in. */
        v->bytes = hp_xmalloc(len * 3 + 1);
        for (size_t i = 0; i < len;) {
            size_t k = hp_utf8_len((const char *)raw + i, len - i);
            if (k == 0) {
                memcpy(v->bytes + o, "\xef\xbf\xbd", 3);
                o += 3;
                i++;
            } else {
                memcpy(v->bytes + o, raw + i, k);
                o += k;
                i += k;
            }
        }
        v->bytes[o] = '\0';
        v->len = o;
    }
    free(raw);
    return ok;
}

size_t mf_scalar_binary_cost(size_t n)
{
    return hp_manifest_budget_malloc_cost(n / 4 * 3 + 1) +
           hp_manifest_budget_malloc_cost(n / 4 * 9 + 1);
}

void mf_scalar_cleanup(struct mf_scalar *v)
{
    free(v->bytes);
    v->bytes = NULL;
    v->len = 0;
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
        obj = v->bytes != NULL ? json_object_new_string_len(v->bytes, (int)v->len)
                               : json_object_new_string_len(s, (int)n);
        break;
    }
    if (obj == NULL) {
        hp_oom();
    }
    return obj;
}

/* go-yaml v2 reads a scalar as a string when it is quoted and untagged, or
 * when its tag is not one it resolves (`!`, custom tags, !!merge and the
 * like keep the text); otherwise an explicit standard tag forces the type
 * and a value it cannot hold is an error. `<<` is a merge key when untagged
 * and plain (or tagged `!`), or tagged !!merge. */
bool mf_scalar_type(const char *tag, const char *s, size_t n, bool implicit, struct mf_scalar *v,
                    char *msg, size_t msglen)
{
    enum mf_scalar_kind want = tag_kind(tag);
    int show = (int)(n < SHOW_MAX ? n : SHOW_MAX);

    memset(v, 0, sizeof(*v));
    v->kind = MF_SCALAR_STR;
    if (n == 2 && memcmp(s, "<<", 2) == 0 &&
        (implicit || (tag != NULL && strcmp(tag, TAG_MERGE) == 0))) {
        v->kind = MF_SCALAR_MERGE;
        return true;
    }
    if (tag == NULL && !implicit) {
        return true;
    }
    if (tag != NULL && strcmp(tag, TAG_BINARY) == 0) {
        if (!decode_binary(s, n, v)) {
            snprintf(msg, msglen, "!!binary value `%.*s` is not valid base64", show, s);
            return false;
        }
        return true;
    }
    if (tag != NULL && strcmp(tag, TAG_TIMESTAMP) == 0) {
        /* go-yaml checks it against Go's time layouts; hardpod does not
         * guess at them. */
        snprintf(msg, msglen, "the !!timestamp tag is not supported (on `%.*s`): remove the tag",
                 show, s);
        return false;
    }
    if (want != MF_SCALAR_STR) {
        resolve_plain(s, n, v);
    }
    if (want != MF_SCALAR_NONE && v->kind != want) {
        if (want == MF_SCALAR_FLOAT && v->kind == MF_SCALAR_INT && !v->is_uint) {
            v->kind = MF_SCALAR_FLOAT;
            v->d = (double)v->i;
        } else {
            snprintf(msg, msglen, "cannot decode %s `%.*s` as %s", kind_name(v->kind), show, s,
                     kind_name(want));
            return false;
        }
    }
    return true;
}

/* The exponent of "%e" text. */
static int exp_of(const char *e)
{
    const char *p = strchr(e, 'e');
    return p != NULL ? (int)strtol(p + 1, NULL, 10) : 0;
}

/* Go's strconv.FormatFloat(d, 'g', -1, 32): the shortest decimal that reads
 * back as the same float32, in exponent form below 1e-4 and from 1e6. */
static void format_float32(double d, char *buf, size_t size)
{
    float f = (float)d;
    char e[32];
    int digits = 1;

    if (isnan(f) || isinf(f)) {
        snprintf(buf, size, "%s", isnan(f) ? ".nan" : f > 0 ? ".inf" : "-.inf");
        return;
    }
    if (f == 0.0f) {
        snprintf(buf, size, "%s", signbit(f) ? "-0" : "0");
        return;
    }
    for (; digits < 9; digits++) {
        snprintf(e, sizeof(e), "%.*e", digits - 1, (double)f);
        if (strtof(e, NULL) == f) {
            break;
        }
    }
    snprintf(e, sizeof(e), "%.*e", digits - 1, (double)f);
    int exp = exp_of(e);
    if (exp < -4 || exp >= 6) {
        snprintf(buf, size, "%s", e);
    } else {
        int prec = digits - 1 - exp;
        snprintf(buf, size, "%.*f", prec > 0 ? prec : 0, (double)f);
    }
}

bool mf_scalar_key(const struct mf_scalar *v, const char *s, size_t n, char *buf, size_t size,
                   const char **key, size_t *len, char *msg, size_t msglen)
{
    int show = (int)(n < SHOW_MAX ? n : SHOW_MAX);

    switch (v->kind) {
    case MF_SCALAR_NULL:
        snprintf(msg, msglen, "a null mapping key%s%.*s%s: kubectl cannot read it", n ? " `" : "",
                 show, s, n ? "`" : "");
        return false;
    case MF_SCALAR_INT:
        if (v->is_uint) {
            snprintf(msg, msglen,
                     "mapping key `%.*s` is an integer above 2^63-1: kubectl cannot read it", show,
                     s);
            return false;
        }
        snprintf(buf, size, "%" PRId64, v->i);
        break;
    case MF_SCALAR_BOOL:
        snprintf(buf, size, "%s", v->b ? "true" : "false");
        break;
    case MF_SCALAR_FLOAT:
        format_float32(v->d, buf, size);
        break;
    case MF_SCALAR_MERGE:
        snprintf(buf, size, "<<");
        break;
    default:
        *key = v->bytes != NULL ? v->bytes : s;
        *len = v->bytes != NULL ? v->len : n;
        return true;
    }
    *key = buf;
    *len = strlen(buf);
    return true;
}
