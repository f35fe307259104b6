/* SPDX-License-Identifier: Apache-2.0 */
/* The strict JSON validator and the AdmissionReview pruner (see scan.h). */
#include "scan.h"

#include <stdint.h>
#include <string.h>

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Most levels the validator tracks; deeper limits are clamped to it. */
#define STACK_MAX 128

static bool fail(struct hp_json_problem *p, size_t at, const char *what)
{
    p->at = at;
    p->what = what;
    return false;
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && is_ws((unsigned char)s[i])) {
        i++;
    }
    return i;
}

/* Index of the first quote, backslash or control byte at or after i, or n. */
static size_t string_run(const char *s, size_t n, size_t i)
{
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t q = w ^ (ONES * '"');
        uint64_t b = w ^ (ONES * '\\');
        uint64_t found = (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w)) & HIGHS;
        if (found != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* The lowest flag is exact: borrows only run towards higher bytes,
             * which are the later ones here. */
            return i + (size_t)__builtin_ctzll(found) / 8;
#else
            break;
#endif
        }
        i += 8;
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c < 0x20) {
            break;
        }
        i++;
    }
    return i;
}

/* s[*pi] is an opening quote; moves *pi past the closing one. */
static bool scan_string(const char *s, size_t n, size_t *pi, struct hp_json_problem *p)
{
    size_t i = *pi + 1;
    for (;;) {
        i = string_run(s, n, i);
        if (i >= n) {
            return fail(p, n, "unexpected end of data");
        }
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            *pi = i + 1;
            return true;
        }
        if (c < 0x20) {
            return fail(p, i, c == 0 ? "NUL byte" : "control character in a string");
        }
        if (i + 1 >= n) {
            return fail(p, n, "unexpected end of data");
        }
        c = (unsigned char)s[i + 1];
        if (c == 'u') {
            for (size_t k = 2; k < 6; k++) {
                if (i + k >= n) {
                    return fail(p, n, "unexpected end of data");
                }
                if (!is_hex((unsigned char)s[i + k])) {
                    return fail(p, i + k, "invalid string sequence");
                }
            }
            i += 6;
        } else if (c != '\0' && strchr("\"\\/bfnrt", c) != NULL) {
            i += 2;
        } else {
            return fail(p, i + 1, "invalid string sequence");
        }
    }
}

static bool digits(const char *s, size_t n, size_t *pi, struct hp_json_problem *p)
{
    size_t i = *pi;
    if (i >= n) {
        return fail(p, n, "unexpected end of data");
    }
    if (!is_digit((unsigned char)s[i])) {
        return fail(p, i, "number expected");
    }
    while (i < n && is_digit((unsigned char)s[i])) {
        i++;
    }
    *pi = i;
    return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(const char *s, size_t n, size_t *pi, struct hp_json_problem *p)
{
    size_t i = *pi;
    if (s[i] == '-') {
        i++;
    }
    if (i < n && s[i] == '0') {
        i++;
    } else if (!digits(s, n, &i, p)) {
        return false;
    }
    if (i < n && s[i] == '.') {
        i++;
        if (!digits(s, n, &i, p)) {
            return false;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        if (!digits(s, n, &i, p)) {
            return false;
        }
    }
    *pi = i;
    return true;
}

static bool scan_literal(const char *s, size_t n, size_t *pi, const char *word,
                         struct hp_json_problem *p)
{
    size_t len = strlen(word);
    for (size_t k = 0; k < len; k++) {
        if (*pi + k >= n) {
            return fail(p, n, "unexpected end of data");
        }
        if (s[*pi + k] != word[k]) {
            return fail(p, *pi + k, "unexpected character");
        }
    }
    *pi += len;
    return true;
}

/* ---- what the scan leaves out --------------------------------------------- */

enum level { NONE, ROOT, REQUEST, OBJECT, METADATA, ANNOTATIONS };

enum action { KEEP, DROP, DESCEND };

static bool key_is(const char *key, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(key, lit, len) == 0;
}

/* What to do with the member named key[0..len) (raw bytes between the
 * quotes) of an object at level lv; *next is the level of its value. */
static enum action classify(enum level lv, const char *key, size_t len, enum level *next)
{
    switch (lv) {
    case ROOT:
        *next = REQUEST;
        return key_is(key, len, "request") ? DESCEND : KEEP;
    case REQUEST:
        *next = OBJECT;
        return key_is(key, len, "object") || key_is(key, len, "oldObject") ? DESCEND : KEEP;
    case OBJECT:
        *next = METADATA;
        if (key_is(key, len, "status")) {
            return DROP;
        }
        return key_is(key, len, "metadata") ? DESCEND : KEEP;
    case METADATA:
        *next = ANNOTATIONS;
        if (key_is(key, len, "managedFields")) {
            return DROP;
        }
        return key_is(key, len, "annotations") ? DESCEND : KEEP;
    case ANNOTATIONS:
        return key_is(key, len, "kubectl.kubernetes.io/last-applied-configuration") ? DROP : KEEP;
    case NONE:
        break;
    }
    return KEEP;
}

/* An open array or object. */
struct frame {
    unsigned char type;  /* '{' or '[' */
    unsigned char level; /* enum level of an object whose members may be cut */
    unsigned char act;   /* enum action for the current member */
    unsigned char next;  /* enum level of the current member's value */
    bool kept_before;    /* a member before the current one stays */
    size_t comma;        /* the comma before the current member, when there is one */
    size_t key;          /* where the current member's key starts */
};

static void add_cut(struct hp_json_cuts *c, size_t from, size_t to, struct frame *f)
{
    if (c->n == HP_JSON_MAX_CUTS) {
        f->kept_before = true; /* no room: the member stays */
        return;
    }
    c->at[c->n][0] = from;
    c->at[c->n][1] = to;
    c->n++;
}

/* The member of object f whose value ended at value_end is complete; s[after]
 * is the comma or brace that follows it. Leaves it out with one comma next
 * to it when it is to be dropped. */
static void member_done(struct hp_json_cuts *c, struct frame *f, const char *s, size_t value_end,
                        size_t after)
{
    if (f->act != DROP) {
        f->kept_before = true;
    } else if (f->kept_before) {
        add_cut(c, f->comma, value_end, f);
    } else {
        add_cut(c, f->key, s[after] == ',' ? after + 1 : value_end, f);
    }
    f->act = KEEP;
}

/* A scalar or the opening of a container at s[*pi]; *opened says which. */
static bool scan_value(const char *s, size_t n, size_t *pi, bool *opened, struct hp_json_problem *p)
{
    *opened = false;
    switch (s[*pi]) {
    case '{':
    case '[':
        *opened = true;
        (*pi)++;
        return true;
    case '"':
        return scan_string(s, n, pi, p);
    case 't':
        return scan_literal(s, n, pi, "true", p);
    case 'f':
        return scan_literal(s, n, pi, "false", p);
    case 'n':
        return scan_literal(s, n, pi, "null", p);
    default:
        if (s[*pi] == '-' || is_digit((unsigned char)s[*pi])) {
            return scan_number(s, n, pi, p);
        }
        return fail(p, *pi, s[*pi] == '\0' ? "NUL byte" : "unexpected character");
    }
}

bool hp_json_scan(const char *s, size_t n, int max_depth, struct hp_json_cuts *cuts,
                  struct hp_json_problem *p)
{
    struct frame stack[STACK_MAX];
    int limit = max_depth < STACK_MAX ? max_depth : STACK_MAX;
    int depth = 0; /* open containers */
    if (cuts != NULL) {
        cuts->n = 0;
    }
    size_t i = skip_ws(s, n, 0);
    enum { VALUE, KEY, AFTER } state = VALUE;
    for (;;) {
        if (i >= n) {
            return fail(p, n, "unexpected end of data");
        }
        if (state == VALUE) {
            /* This value sits at level depth + 1. */
            if (depth + 1 > limit) {
                return fail(p, i, "nesting depth exceeds the limit");
            }
            char open = s[i];
            bool opened;
            if (!scan_value(s, n, &i, &opened, p)) {
                return false;
            }
            if (opened) {
                struct frame *parent = depth > 0 ? &stack[depth - 1] : NULL;
                enum level lv = NONE;
                if (open == '{' && cuts != NULL) {
                    lv = parent == NULL ? ROOT : parent->act == DESCEND ? parent->next : NONE;
                }
                stack[depth++] = (struct frame){
                    .type = (unsigned char)open, .level = (unsigned char)lv, .act = KEEP};
                i = skip_ws(s, n, i);
                if (i >= n || s[i] != (open == '{' ? '}' : ']')) {
                    state = open == '{' ? KEY : VALUE;
                    continue;
                }
                i++; /* an empty container */
                depth--;
            }
        } else if (state == KEY) {
            if (s[i] != '"') {
                return fail(p, i, "quoted object property name expected");
            }
            struct frame *f = &stack[depth - 1];
            f->key = i;
            if (!scan_string(s, n, &i, p)) {
                return false;
            }
            if (f->level != NONE) {
                enum level next = NONE;
                f->act = (unsigned char)classify((enum level)f->level, s + f->key + 1,
                                                 i - f->key - 2, &next);
                f->next = (unsigned char)next;
            }
            i = skip_ws(s, n, i);
            if (i >= n) {
                return fail(p, n, "unexpected end of data");
            }
            if (s[i] != ':') {
                return fail(p, i, "object property name separator ':' expected");
            }
            i = skip_ws(s, n, i + 1);
            state = VALUE;
            continue;
        } else { /* AFTER: s[i] follows a value inside stack[depth - 1] */
            struct frame *f = &stack[depth - 1];
            bool object = f->type == '{';
            if (s[i] == ',') {
                f->comma = i;
                i = skip_ws(s, n, i + 1);
                state = object ? KEY : VALUE;
                continue;
            }
            if (s[i] != (object ? '}' : ']')) {
                return fail(p, i,
                            object ? "object value separator ',' expected"
                                   : "array value separator ',' expected");
            }
            i++;
            depth--;
        }
        /* A value ended at i: a scalar, or a container that just closed. */
        size_t value_end = i;
        i = skip_ws(s, n, i);
        if (depth == 0) {
            if (i < n) {
                return fail(p, i, s[i] == '\0' ? "NUL byte" : "trailing data");
            }
            return true;
        }
        struct frame *f = &stack[depth - 1];
        if (f->type == '{' && f->level != NONE && i < n && (s[i] == ',' || s[i] == '}')) {
            member_done(cuts, f, s, value_end, i);
        }
        state = AFTER;
    }
}

void hp_json_cut(const char *s, size_t n, const struct hp_json_cuts *cuts, struct hp_buf *out)
{
    hp_buf_reset(out);
    size_t at = 0;
    for (size_t k = 0; k < cuts->n; k++) {
        hp_buf_append(out, s + at, cuts->at[k][0] - at);
        at = cuts->at[k][1];
    }
    hp_buf_append(out, s + at, n - at);
}
