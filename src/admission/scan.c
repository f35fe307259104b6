/* SPDX-License-Identifier: Apache-2.0 */
/* The strict JSON scanner and the AdmissionReview pruner (see internal.h). */
#include "internal.h"

#include "hardpod/utf8.h"

#include <stdint.h>
#include <string.h>

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Most levels the validator tracks; deeper limits are clamped to it. */
#define STACK_MAX 128

static bool fail(struct adm_json_problem *p, size_t at, const char *what)
{
    p->at = at;
    p->what = what;
    p->fault = ADM_JSON_SYNTAX;
    return false;
}

static bool fail_as(struct adm_json_problem *p, size_t at, enum adm_json_fault fault,
                    const char *what)
{
    fail(p, at, what);
    p->fault = fault;
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

/* Index of the first quote, backslash, control byte or byte of 0x80 and
 * above at or after i, or n. */
static size_t string_run(const char *s, size_t n, size_t i)
{
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t q = w ^ (ONES * '"');
        uint64_t b = w ^ (ONES * '\\');
        uint64_t found =
            (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w) | w) & HIGHS;
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
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
            break;
        }
        i++;
    }
    return i;
}

/* s[*pi] is an opening quote; moves *pi past the closing one. */
static bool scan_string(const char *s, size_t n, size_t *pi, struct adm_json_problem *p)
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
        if (c >= 0x80) {
            size_t len = hp_utf8_len(s + i, n - i);
            if (len == 0) {
                return fail_as(p, i, ADM_JSON_UTF8, "invalid UTF-8");
            }
            i += len;
            continue;
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
            /* json-c cuts object keys at a NUL, so "privileged\u0000x" would
             * alias "privileged" while the API server keeps them apart. */
            if (memcmp(s + i + 2, "0000", 4) == 0) {
                return fail_as(p, i, ADM_JSON_NUL, "\\u0000 (NUL) is not accepted in strings");
            }
            i += 6;
        } else if (c != '\0' && strchr("\"\\/bfnrt", c) != NULL) {
            i += 2;
        } else {
            return fail(p, i + 1, "invalid string sequence");
        }
    }
}

static bool digits(const char *s, size_t n, size_t *pi, struct adm_json_problem *p)
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
static bool scan_number(const char *s, size_t n, size_t *pi, struct adm_json_problem *p)
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
                         struct adm_json_problem *p)
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

/* A scalar or the opening of a container at s[*pi]; *opened says which. */
static bool scan_value(const char *s, size_t n, size_t *pi, bool *opened,
                       struct adm_json_problem *p)
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

/* ---- what the scan keeps ------------------------------------------------------ */

/* How the bytes of one value are treated. */
enum mode {
    M_KEEP,   /* copied and counted */
    M_DROP,   /* neither */
    M_HOLLOW, /* a container becomes {} or [] (counted once); a scalar is kept */
    M_FILTER, /* a container read by a node: each member or element decided by it */
};

/* An open array or object. */
struct frame {
    unsigned char type;              /* '{' or '[' */
    unsigned char mode;              /* enum mode of this container's content */
    signed char side;                /* 0 inside request.object, 1 inside oldObject, else -1 */
    unsigned char act;               /* enum mode of the current member's or element's value */
    unsigned char mark;              /* enum hp_read_mark of the current member */
    bool after_comma;                /* the current member follows a comma (left out of the copy) */
    bool kept_before;                /* a member before the current one is in the copy */
    bool hollow_skip;                /* M_HOLLOW container: its bytes up to the close are skipped */
    bool env_elem;                   /* an element object of an env list */
    bool env_name;                   /* ... whose current member is "name" */
    bool env_keep;                   /* env list: the current element is read */
    const struct hp_read_node *node; /* M_FILTER: how the members or elements are read */
    const struct hp_read_node *child; /* the current member's or element's node */
    size_t value_start;               /* where the current member's or element's value starts */
    size_t out_mark;                  /* env list: the copy's length before the current element */
    struct adm_json_counts snap;      /* env list: the counts before the current element */
};

struct pruner {
    const char *s;
    struct adm_json_prune *pr; /* NULL: validate only */
    size_t copied;             /* s[0..copied) is in the copy or was left out */
};

static void flush(struct pruner *z, size_t to)
{
    if (to > z->copied) {
        hp_buf_append(z->pr->out, z->s + z->copied, to - z->copied);
        z->copied = to;
    }
}

static bool has_escape(const char *s, size_t len)
{
    return memchr(s, '\\', len) != NULL;
}

static bool starts_with_any(const char *s, size_t len, const struct hp_read_node *node)
{
    for (size_t k = 0; k < node->n_names; k++) {
        size_t pl = strlen(node->names[k]);
        if (len >= pl && memcmp(s, node->names[k], pl) == 0) {
            return true;
        }
    }
    return false;
}

/* The mode of a member named key[0..len) (raw bytes between the quotes) of
 * an object read by node, its node and mark. */
static enum mode classify(const struct hp_read_node *node, const char *key, size_t len,
                          const struct hp_read_node **child, unsigned char *mark)
{
    *child = NULL;
    *mark = HP_MARK_NONE;
    if (has_escape(key, len)) {
        return M_KEEP; /* json-c decodes it: keep and parse it, whatever it names */
    }
    switch (node->kind) {
    case HP_READ_OBJECT:
        for (size_t k = 0; k < node->n_members; k++) {
            const struct hp_read_member *m = &node->members[k];
            if (strlen(m->key) == len && memcmp(m->key, key, len) == 0) {
                *child = m->node;
                *mark = (unsigned char)m->mark;
                return m->node->kind == HP_READ_KEEP ? M_KEEP : M_FILTER;
            }
        }
        return M_DROP;
    case HP_READ_SHAPE:
        return len == 4 && memcmp(key, "name", 4) == 0 ? M_KEEP : M_HOLLOW;
    case HP_READ_PREFIXED:
        return starts_with_any(key, len, node) ? M_KEEP : M_DROP;
    default:
        return M_KEEP;
    }
}

static bool node_wants(const struct hp_read_node *node, char open)
{
    bool array = node->kind == HP_READ_ARRAY || node->kind == HP_READ_ENV;
    return array == (open == '[');
}

static void count_open(struct adm_json_counts *c, char open)
{
    if (open == '{') {
        c->objects++;
    } else {
        c->arrays++;
    }
}

static void count_scalar(struct adm_json_counts *c, const char *s, size_t from, size_t to)
{
    if (s[from] == '"') {
        c->strings++;
        c->string_bytes += to - from - 2;
    } else if (s[from] != 'n') {
        c->scalars++;
    }
}

static bool counted(enum mode m)
{
    return m != M_DROP;
}

size_t adm_json_cost(const struct adm_json_counts *c)
{
    /* json-c 0.16 on glibc, measured per value with mallinfo2 (bytes in use
     * after json_tokener_parse_ex, chunk overhead included, 1,000 to
     * 100,000 values; docs/performance.md): an empty object 792, an object
     * member 32 to 137 as the table grows, an empty array 152, an array
     * slot 8 (16 with growth), a number or boolean 72 to 104, a string 88
     * plus its length. Each figure here is rounded up. */
    return 16384 + 800 * c->objects + 160 * c->members + c->key_bytes + 160 * c->arrays +
           16 * c->elements + 112 * c->scalars + 96 * c->strings + c->string_bytes;
}

/* A value of frame f's container (or the root, f NULL) starts at s[i]: the
 * mode it is read in. */
static enum mode value_mode(struct pruner *z, struct frame *f)
{
    if (z->pr == NULL) {
        return M_DROP;
    }
    if (f == NULL) {
        return M_FILTER;
    }
    switch ((enum mode)f->mode) {
    case M_FILTER:
        return (enum mode)f->act;
    case M_KEEP:
        return M_KEEP;
    default:
        return M_DROP;
    }
}

/* Before an element of frame f (an array) at s[i]: what it is read as. */
static void element_start(struct pruner *z, struct frame *f, size_t i)
{
    f->value_start = i;
    if (f->mode == M_KEEP) {
        z->pr->kept.elements++;
    }
    if (f->mode != M_FILTER) {
        return;
    }
    const struct hp_read_node *node = f->node;
    if (node->kind == HP_READ_ENV) {
        flush(z, i);
        f->out_mark = z->pr->out->len;
        f->env_keep = false;
        f->act = M_KEEP;
        f->child = NULL;
        z->pr->kept.elements++;
        f->snap = z->pr->kept;
        return;
    }
    f->child = node->elem;
    f->act = node->elem->kind == HP_READ_KEEP ? M_KEEP : M_FILTER;
    z->pr->kept.elements++;
}

/* The element of array frame f that started at f->value_start ended at end. */
static void element_done(struct pruner *z, struct frame *f, size_t end)
{
    if (f->mode != M_FILTER || f->node->kind != HP_READ_ENV || f->env_keep) {
        return;
    }
    char c = z->s[f->value_start];
    /* A variable nothing reads becomes null: one array slot, its index kept.
     * A shorter one stays, so the copy is never longer than the body. */
    if ((c == '{' || c == '[') && end - f->value_start >= 4) {
        z->pr->out->len = f->out_mark;
        hp_buf_append(z->pr->out, "null", 4);
        z->copied = end;
        z->pr->kept = f->snap;
    }
}

/* The key of the current member of object frame f is s[key..key_end). */
static void member_start(struct pruner *z, struct frame *f, size_t key, size_t key_end)
{
    const char *k = z->s + key + 1;
    size_t len = key_end - key - 2;
    if (f->env_elem) {
        f->env_name = len == 4 && memcmp(k, "name", 4) == 0;
        if (has_escape(k, len)) {
            (f - 1)->env_keep = true;
        }
    }
    if (f->mode == M_KEEP) {
        z->pr->kept.members++;
        z->pr->kept.key_bytes += len;
    }
    if (f->mode != M_FILTER) {
        return;
    }
    if (!f->after_comma) {
        flush(z, key);
    }
    const struct hp_read_node *child;
    unsigned char mark;
    enum mode m = classify(f->node, k, len, &child, &mark);
    if (m == M_KEEP && has_escape(k, len) && f->side >= 0) {
        z->pr->escaped[f->side] = true;
    }
    f->act = (unsigned char)m;
    f->child = child;
    f->mark = mark;
    if (m != M_DROP) {
        if (f->after_comma && f->kept_before) {
            hp_buf_append(z->pr->out, ",", 1);
        }
        z->pr->kept.members++;
        z->pr->kept.key_bytes += len;
    }
}

/* The current member of object frame f, whose value started at
 * f->value_start, ended at end. */
static void member_done(struct pruner *z, struct frame *f, size_t end)
{
    if (f->mode != M_FILTER) {
        return;
    }
    if (f->act == M_DROP) {
        z->copied = end;
    } else {
        f->kept_before = true;
    }
    if (f->side >= 0 && f->mark >= HP_MARK_SPEC) {
        size_t m = (size_t)f->mark - HP_MARK_SPEC;
        z->pr->spec[f->side][m][0] = f->value_start;
        z->pr->spec[f->side][m][1] = end;
        z->pr->has_spec[f->side][m] = true;
    }
    f->after_comma = false;
    f->act = M_DROP;
}

/* A container opens at s[i] as a value read in mode m; fills its frame. */
static void container_open(struct pruner *z, struct frame *parent, struct frame *f, char open,
                           size_t i, enum mode m)
{
    *f = (struct frame){.type = (unsigned char)open, .side = parent != NULL ? parent->side : -1};
    if (z->pr == NULL) {
        f->mode = M_DROP;
        return;
    }
    z->pr->all.objects += open == '{';
    z->pr->all.arrays += open == '[';
    const struct hp_read_node *node = parent == NULL ? z->pr->root : parent->child;
    if (m == M_FILTER && !node_wants(node, open)) {
        m = M_HOLLOW; /* a wrong type is read as "object" or "array", never inside */
    }
    if (parent != NULL && parent->mode == M_FILTER && parent->type == '{') {
        if (parent->mark == HP_MARK_OBJECT) {
            f->side = 0;
        } else if (parent->mark == HP_MARK_OLD_OBJECT) {
            f->side = 1;
        }
    }
    f->env_elem = parent != NULL && parent->mode == M_FILTER && parent->node->kind == HP_READ_ENV &&
                  open == '{';
    switch (m) {
    case M_HOLLOW:
        flush(z, i);
        hp_buf_append(z->pr->out, open == '{' ? "{}" : "[]", 2);
        count_open(&z->pr->kept, open);
        f->mode = M_DROP;
        f->hollow_skip = true;
        break;
    case M_FILTER:
        count_open(&z->pr->kept, open);
        f->mode = M_FILTER;
        f->node = node;
        break;
    case M_KEEP:
        count_open(&z->pr->kept, open);
        f->mode = M_KEEP;
        break;
    case M_DROP:
        f->mode = M_DROP;
        break;
    }
}

bool adm_json_scan(const char *s, size_t n, int max_depth, struct adm_json_prune *pr,
                   struct adm_json_problem *p)
{
    struct frame stack[STACK_MAX];
    int limit = max_depth < STACK_MAX ? max_depth : STACK_MAX;
    int depth = 0; /* open containers */
    struct pruner z = {s, pr, 0};
    if (pr != NULL) {
        hp_buf_reset(pr->out);
        memset(&pr->kept, 0, sizeof(pr->kept));
        memset(&pr->all, 0, sizeof(pr->all));
        memset(pr->has_spec, 0, sizeof(pr->has_spec));
        memset(pr->escaped, 0, sizeof(pr->escaped));
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
            struct frame *parent = depth > 0 ? &stack[depth - 1] : NULL;
            if (parent != NULL && parent->type == '[' && pr != NULL) {
                pr->all.elements++;
                element_start(&z, parent, i);
            } else if (parent != NULL) {
                parent->value_start = i;
            }
            enum mode m = value_mode(&z, parent);
            char open = s[i];
            size_t start = i;
            bool opened;
            if (!scan_value(s, n, &i, &opened, p)) {
                return false;
            }
            if (opened) {
                container_open(&z, parent, &stack[depth], open, start, m);
                depth++;
                i = skip_ws(s, n, i);
                if (i >= n || s[i] != (open == '{' ? '}' : ']')) {
                    state = open == '{' ? KEY : VALUE;
                    continue;
                }
                i++; /* an empty container */
                depth--;
                if (stack[depth].hollow_skip) {
                    z.copied = i;
                }
            } else if (pr != NULL) {
                count_scalar(&pr->all, s, start, i);
                if (counted(m)) {
                    count_scalar(&pr->kept, s, start, i);
                }
                if (parent != NULL && parent->env_name && s[start] == '"') {
                    /* the name of an env variable: read when it is one of the node's */
                    const char *v = s + start + 1;
                    size_t len = i - start - 2;
                    if (has_escape(v, len) || starts_with_any(v, len, (parent - 1)->node)) {
                        (parent - 1)->env_keep = true;
                    }
                }
            }
        } else if (state == KEY) {
            if (s[i] != '"') {
                return fail(p, i, "quoted object property name expected");
            }
            struct frame *f = &stack[depth - 1];
            size_t key = i;
            if (!scan_string(s, n, &i, p)) {
                return false;
            }
            if (pr != NULL) {
                pr->all.members++;
                pr->all.key_bytes += i - key - 2;
                member_start(&z, f, key, i);
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
                if (object && f->mode == M_FILTER) {
                    flush(&z, i);
                    z.copied = i + 1; /* member_start writes the comma when it is needed */
                    f->after_comma = true;
                }
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
            if (stack[depth].hollow_skip) {
                z.copied = i;
            }
        }
        /* A value ended at i: a scalar, or a container that just closed. */
        size_t value_end = i;
        i = skip_ws(s, n, i);
        if (depth == 0) {
            if (i < n) {
                return fail(p, i, s[i] == '\0' ? "NUL byte" : "trailing data");
            }
            if (pr != NULL) {
                flush(&z, n);
            }
            return true;
        }
        if (pr != NULL) {
            struct frame *f = &stack[depth - 1];
            if (f->type == '{') {
                member_done(&z, f, value_end);
            } else {
                element_done(&z, f, value_end);
            }
            if (f->type == '{' && f->env_elem && f->env_name) {
                f->env_name = false;
            }
        }
        state = AFTER;
    }
}
