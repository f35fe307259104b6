/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A JSON stream as kubectl reads one: concatenated JSON values, each a
 * document. A byte scanner finds where each value ends without building
 * anything; json-c then parses one value at a time. An object's top-level
 * "items" array is not parsed whole: each element is copied and parsed alone
 * and handed to the list reader, so a List of any length takes the memory of
 * its largest element. Every copy and tree is charged to the run's budget
 * before it is made. A syntax error ends the input, as it ends kubectl's.
 */
#include "internal.h"

#include "hardpod/k8s.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a member name compared with "items". */
#define KEY_MAX 16

struct js {
    struct aud_ctx *cx;
    const char *file;
    struct aud_src *s;
    size_t line; /* of the next byte, 1-based */
    bool failed; /* a syntax error was reported: nothing more is read */
    bool over;   /* the value being copied passed its cap: the rest was skipped */
    struct json_tokener *tok;
    struct aud_text text;              /* the value being copied */
    struct aud_text env;               /* an object's members but its items */
    struct aud_json_counts counts;     /* of the value being scanned */
    struct aud_json_counts env_counts; /* of what env holds */
};

size_t aud_json_cost(const struct aud_json_counts *c)
{
    /* json-c 0.16 on glibc, per value (docs/performance.md has the
     * measurement): an empty object 792 bytes, an object member 32 to 137
     * as the table grows, an empty array 152, an array slot 8 (16 with
     * growth), a number or boolean 72 to 104, a string 88 plus its length;
     * the tokener keeps a copy of the longest string. Rounded up. */
    size_t values = c->strings > c->members ? c->strings - c->members : 0; /* not keys */
    return 16384 + 800 * c->objects + 160 * c->arrays + 160 * c->members + 16 * c->elements +
           96 * values + 112 * c->scalars + 2 * c->string_bytes;
}

static int peek(struct js *j)
{
    return aud_src_peek(j->s);
}

static int next(struct js *j)
{
    int c = aud_src_get(j->s);
    if (c == '\n') {
        j->line++;
    }
    return c;
}

static void skip_ws(struct js *j)
{
    for (;;) {
        int c = peek(j);
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            return;
        }
        next(j);
    }
}

/* Reports a syntax error at the current line and stops the input. */
static void syntax(struct js *j, const char *what)
{
    if (!j->failed) {
        aud_report_error(j->cx->report, j->file, j->line,
                         "invalid JSON: %s; the rest of the input is not read (kubectl stops "
                         "there too)",
                         what);
    }
    j->failed = true;
}

static const char *describe_start(int c)
{
    switch (c) {
    case '[':
        return "an array";
    case '{':
        return "an object";
    case '"':
        return "a string";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        return "a number";
    }
}

/* Scanner state within one value. */
struct scan {
    char stack[HP_MANIFEST_PATH_MAX]; /* open brackets; depth <= max_depth */
    size_t depth;
    bool in_string;
    bool escape;
    int u_left; /* hex digits of a \u escape still to come */
    int zeros;
    bool scalar; /* the value is a bare number or literal */
    bool expect; /* a value starts at the next byte that is not blank */
    size_t max_depth;
};

/* Appends p[0..n) to out (NULL: nothing is kept); past its cap, the value
 * is still scanned to its end, and j->over says so. */
static bool keep(struct js *j, struct aud_text *out, const unsigned char *p, size_t n)
{
    bool over_cap = false;
    if (out == NULL || j->over || n == 0) {
        return true;
    }
    if (!aud_text_append(out, &j->cx->budget, p, n, &over_cap)) {
        if (!over_cap) {
            char limit[160];
            aud_report_error(j->cx->report, j->file, j->line,
                             "cannot read: a JSON value of more than %zu bytes does not fit in %s",
                             out->len,
                             hp_manifest_budget_describe(&j->cx->budget, limit, sizeof(limit)));
            j->failed = true;
            return false;
        }
        j->over = true;
    }
    return true;
}

/* One byte of a value outside strings; returns 1 when the value ended
 * with it, -1 when it ended before it, 0 to go on; a fault sets *bad. */
static int step(struct js *j, struct scan *sc, unsigned char ch, const char **bad)
{
    if (sc->scalar) {
        if (ch == ',' || ch == ']' || ch == '}' || ch == ' ' || ch == '\t' || ch == '\r' ||
            ch == '\n' || ch == '"' || ch == '{' || ch == '[') {
            return -1;
        }
        return 0;
    }
    if (sc->expect && ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
        sc->expect = false;
        if (ch != '"' && ch != '{' && ch != '[') {
            j->counts.scalars++;
        }
    }
    switch (ch) {
    case '"':
        sc->in_string = true;
        j->counts.strings++;
        return 0;
    case '{':
    case '[':
        if (sc->depth >= sc->max_depth) {
            *bad = "nesting deeper than the limit";
            return 0;
        }
        sc->stack[sc->depth++] = (char)ch;
        if (ch == '{') {
            j->counts.objects++;
        } else {
            j->counts.arrays++;
            j->counts.elements++;
            sc->expect = true;
        }
        return 0;
    case '}':
    case ']':
        if (sc->depth == 0 || sc->stack[sc->depth - 1] != (ch == '}' ? '{' : '[')) {
            *bad = "a closing bracket that does not match";
            return 0;
        }
        sc->depth--;
        return sc->depth == 0 ? 1 : 0;
    case ':':
        j->counts.members++;
        sc->expect = true;
        return 0;
    case ',':
        if (sc->depth > 0 && sc->stack[sc->depth - 1] == '[') {
            j->counts.elements++;
            sc->expect = true;
        }
        return 0;
    case '\n':
        j->line++;
        return 0;
    default:
        return 0;
    }
}

/* One byte of a string; returns true when the string ended with it. */
static bool string_step(struct scan *sc, unsigned char ch, const char **bad)
{
    if (sc->u_left > 0) {
        sc->zeros += ch == '0';
        if (--sc->u_left == 0 && sc->zeros == 4) {
            *bad = "\\u0000 (NUL) in a string, which hardpod does not read";
        }
        return false;
    }
    if (sc->escape) {
        sc->escape = false;
        if (ch == 'u') {
            sc->u_left = 4;
            sc->zeros = 0;
        }
        return false;
    }
    if (ch == '\\') {
        sc->escape = true;
    } else if (ch == '"') {
        sc->in_string = false;
        return sc->depth == 0;
    } else if (ch < 0x20) {
        *bad = "a control character in a string";
    }
    return false;
}

/* Reads one value from the input, copying it to out (NULL: skipped). False
 * on a syntax error (reported) or when it cannot be kept. */
static bool scan_value(struct js *j, struct aud_text *out)
{
    struct scan sc = {.max_depth = j->cx->limits.max_depth};
    const char *bad = NULL;
    int c = peek(j);

    if (sc.max_depth > sizeof(sc.stack)) {
        sc.max_depth = sizeof(sc.stack);
    }
    j->over = false;
    if (c < 0) {
        syntax(j, "the input ends where a value is expected");
        return false;
    }
    if (c != '{' && c != '[' && c != '"' && c != '-' && c != 't' && c != 'f' && c != 'n' &&
        (c < '0' || c > '9')) {
        char what[64];
        if (c > 0x20 && c < 0x7f) {
            snprintf(what, sizeof(what), "invalid character '%c' where a value starts", c);
        } else {
            snprintf(what, sizeof(what), "invalid byte 0x%02x where a value starts", (unsigned)c);
        }
        syntax(j, what);
        return false;
    }
    sc.scalar = c != '{' && c != '[' && c != '"';
    if (c == '"') {
        /* The opening quote, then the string as inside a container. */
        next(j);
        sc.in_string = true;
        j->counts.strings++;
        if (!keep(j, out, (const unsigned char *)"\"", 1)) {
            return false;
        }
    } else if (sc.scalar) {
        j->counts.scalars++;
    }
    for (;;) {
        if (peek(j) < 0) {
            if (sc.scalar) {
                return true;
            }
            syntax(j, "the input ends inside a value");
            return false;
        }
        struct aud_src *s = j->s;
        const unsigned char *p = s->p + s->pos;
        size_t n = s->len - s->pos;
        size_t i = 0;
        int end = 0;
        for (; i < n && end == 0 && bad == NULL; i++) {
            if (sc.in_string) {
                end = string_step(&sc, p[i], &bad) ? 1 : 0;
            } else {
                end = step(j, &sc, p[i], &bad);
            }
        }
        if (end < 0) {
            i--; /* the byte after a bare scalar is not its own */
        }
        if (!keep(j, out, p, i)) {
            return false;
        }
        s->pos += i;
        if (bad != NULL) {
            syntax(j, bad);
            return false;
        }
        if (end != 0) {
            return true;
        }
    }
}

/* Makes numbers what kubectl posts for them: it decodes a number that is
 * not an integer's text (1e3, 1.0, -0.0) as a float64 and encodes it
 * without a fraction when it has none, so the API server reads an integer.
 * False when a number is not finite (1e400), which kubectl refuses. */
static bool as_posted(struct json_object *v)
{
    if (json_object_is_type(v, json_type_double)) {
        return isfinite(json_object_get_double(v));
    }
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, val)
        {
            if (json_object_is_type(val, json_type_double)) {
                double d = json_object_get_double(val);
                if (!isfinite(d)) {
                    return false;
                }
                if (d == trunc(d) && fabs(d) < 9223372036854775808.0) {
                    json_object_object_add(v, key, json_object_new_int64((int64_t)d));
                }
            } else if (!as_posted(val)) {
                return false;
            }
        }
        return true;
    }
    if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            struct json_object *val = json_object_array_get_idx(v, i);
            if (json_object_is_type(val, json_type_double)) {
                double d = json_object_get_double(val);
                if (!isfinite(d)) {
                    return false;
                }
                if (d == trunc(d) && fabs(d) < 9223372036854775808.0) {
                    json_object_array_put_idx(v, i, json_object_new_int64((int64_t)d));
                }
            } else if (!as_posted(val)) {
                return false;
            }
        }
    }
    return true;
}

/* json-c's tree of t's text (NULL for null), charged first (*charged); *ok
 * false with the problem reported (what names the value) when it cannot be
 * parsed or does not fit. */
static struct json_object *parse(struct js *j, const struct aud_text *t, size_t line,
                                 const char *what, size_t *charged, bool *ok)
{
    struct aud_json_counts c = j->counts;
    c.string_bytes = t->len;
    size_t cost = aud_json_cost(&c);
    *charged = 0;
    *ok = false;
    if (!hp_manifest_budget_charge(&j->cx->budget, cost)) {
        char limit[160];
        aud_report_error(j->cx->report, j->file, line, "%s (%zu bytes of JSON) does not fit in %s",
                         what, t->len,
                         hp_manifest_budget_describe(&j->cx->budget, limit, sizeof(limit)));
        return NULL;
    }
    *charged = cost;
    json_tokener_reset(j->tok);
    struct json_object *obj = json_tokener_parse_ex(j->tok, t->data, (int)t->len);
    enum json_tokener_error jerr = json_tokener_get_error(j->tok);
    if (jerr == json_tokener_continue) {
        /* A bare number ends with the input: a NUL tells json-c so. */
        obj = json_tokener_parse_ex(j->tok, "", 1);
        jerr = json_tokener_get_error(j->tok);
    }
    if (jerr != json_tokener_success) {
        json_object_put(obj);
        char msg[HP_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s: %s", what, json_tokener_error_desc(jerr));
        size_t at = j->line;
        j->line = line;
        syntax(j, msg);
        j->line = at;
        hp_manifest_budget_release(&j->cx->budget, cost);
        *charged = 0;
        return NULL;
    }
    if (!as_posted(obj)) {
        json_object_put(obj);
        aud_report_error(j->cx->report, j->file, line,
                         "%s: a number out of range (kubectl refuses it too)", what);
        return NULL;
    }
    *ok = true;
    return obj;
}

/* Whether the JSON string raw[0..n) (quotes included) decodes to "items":
 * escapes are decoded as JSON decodes them, so "it\u0065ms" is items too. */
static bool is_items_key(const char *raw, size_t n)
{
    char key[KEY_MAX];
    size_t k = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned c = (unsigned char)raw[i];
        if (c == '\\' && i + 2 < n) {
            c = (unsigned char)raw[++i];
            if (c == 'u' && i + 4 < n) {
                char hex[5] = {raw[i + 1], raw[i + 2], raw[i + 3], raw[i + 4], 0};
                char *end = NULL;
                unsigned long v = strtoul(hex, &end, 16);
                if (end != hex + 4 || v > 0x7f) {
                    return false; /* not a letter of "items" */
                }
                c = (unsigned)v;
                i += 4;
            }
        }
        if (k == KEY_MAX) {
            return false;
        }
        key[k++] = (char)c;
    }
    return k == 5 && memcmp(key, "items", 5) == 0;
}

static void reset_counts(struct js *j)
{
    memset(&j->counts, 0, sizeof(j->counts));
}

/* The elements of an items array, one at a time. */
static void read_items(struct js *j, struct aud_list *l)
{
    next(j); /* [ */
    skip_ws(j);
    if (peek(j) == ']') {
        next(j);
        return;
    }
    for (size_t i = 0; !j->failed && !j->cx->report->stopped; i++) {
        skip_ws(j);
        size_t line = j->line;
        j->text.len = 0;
        reset_counts(j);
        if (!scan_value(j, &j->text)) {
            return;
        }
        if (j->over) {
            aud_report_error(j->cx->report, j->file, line,
                             "items[%zu]: larger than the limit of %zu bytes for one object", i,
                             j->text.max);
            l->count++;
        } else {
            char what[48];
            size_t charged = 0;
            snprintf(what, sizeof(what), "items[%zu]", i);
            bool ok = false;
            struct json_object *item = parse(j, &j->text, line, what, &charged, &ok);
            if (j->failed) {
                return;
            }
            if (!ok) {
                l->count++;
            } else {
                aud_list_item(j->cx, l, line, item);
            }
            json_object_put(item);
            hp_manifest_budget_release(&j->cx->budget, charged);
        }
        skip_ws(j);
        int c = next(j);
        if (c == ']') {
            return;
        }
        if (c != ',') {
            syntax(j, "expected , or ] after an element of items");
            return;
        }
    }
}

/* The items member's value, at the input. */
static void read_items_member(struct js *j, struct aud_list *l, bool *bad)
{
    int c = peek(j);
    if (c == '[') {
        read_items(j, l);
        return;
    }
    j->text.len = 0;
    reset_counts(j);
    if (!scan_value(j, &j->text)) {
        return;
    }
    /* null is a list of nothing; anything else is refused. */
    if (!(c == 'n' && j->text.len == 4 && memcmp(j->text.data, "null", 4) == 0)) {
        aud_report_error(j->cx->report, j->file, l->line,
                         "items: expected a list, got %s; an object with an items member is a "
                         "list to kubectl, which refuses this one",
                         describe_start(c));
        *bad = true;
    }
}

/* The members read so far, as an object (for the list's kind), or NULL
 * when they cannot be read yet (the object's end says why). */
static struct json_object *head_of(struct js *j, size_t *charged)
{
    bool over = false;
    struct aud_json_counts c = j->env_counts;
    c.objects++;
    c.string_bytes = j->env.len;
    *charged = 0;
    if (!hp_manifest_budget_charge(&j->cx->budget, aud_json_cost(&c))) {
        return NULL;
    }
    *charged = aud_json_cost(&c);
    if (!aud_text_append(&j->env, &j->cx->budget, "}", 1, &over)) {
        return NULL;
    }
    json_tokener_reset(j->tok);
    struct json_object *head = json_tokener_parse_ex(j->tok, j->env.data, (int)j->env.len);
    json_tokener_reset(j->tok);
    j->env.len--;
    return head;
}

/* One top-level object: its members but items are copied into j->env and
 * parsed at its end; its items, if any, are read one at a time. */
static void read_object(struct js *j)
{
    size_t line = j->line;
    struct aud_list l;
    bool in_list = false;
    bool bad = false;
    bool any = false;
    bool over = false;
    struct aud_text key = {.max = (size_t)1024 * 1024};

    next(j); /* { */
    j->env.len = 0;
    memset(&j->env_counts, 0, sizeof(j->env_counts));
    aud_text_append(&j->env, &j->cx->budget, "{", 1, &over);
    skip_ws(j);
    if (peek(j) == '}') {
        next(j);
        goto done;
    }
    for (;;) {
        skip_ws(j);
        if (peek(j) != '"') {
            syntax(j, "expected a member name");
            goto out;
        }
        key.len = 0;
        if (!scan_value(j, &key) || j->over) {
            if (!j->failed) {
                syntax(j, "a member name longer than 1 MiB");
            }
            goto out;
        }
        skip_ws(j);
        if (next(j) != ':') {
            syntax(j, "expected : after a member name");
            goto out;
        }
        skip_ws(j);
        if (is_items_key(key.data, key.len)) {
            if (!in_list) {
                size_t charged = 0;
                struct json_object *head = head_of(j, &charged);
                aud_list_begin(j->cx, &l, j->file, line, head);
                json_object_put(head);
                hp_manifest_budget_release(&j->cx->budget, charged);
                in_list = true;
            } else {
                aud_report_error(j->cx->report, j->file, j->line,
                                 "items is given twice; kubectl creates only the last one's "
                                 "objects, and hardpod read both");
                bad = true;
            }
            read_items_member(j, &l, &bad);
        } else {
            reset_counts(j);
            if ((any && !aud_text_append(&j->env, &j->cx->budget, ",", 1, &over)) ||
                !aud_text_append(&j->env, &j->cx->budget, key.data, key.len, &over) ||
                !aud_text_append(&j->env, &j->cx->budget, ":", 1, &over)) {
                j->over = true;
            } else if (!scan_value(j, &j->env)) {
                goto out;
            }
            j->env_counts.objects += j->counts.objects;
            j->env_counts.arrays += j->counts.arrays;
            j->env_counts.members += j->counts.members + 1;
            j->env_counts.elements += j->counts.elements;
            j->env_counts.strings += j->counts.strings + 1;
            j->env_counts.scalars += j->counts.scalars;
            if (j->over) {
                aud_report_error(j->cx->report, j->file, line,
                                 "an object larger than the limit of %zu bytes; not read",
                                 j->env.max);
                j->failed = true;
                goto out;
            }
            any = true;
        }
        if (j->failed || j->cx->report->stopped) {
            goto out;
        }
        skip_ws(j);
        int c = next(j);
        if (c == '}') {
            break;
        }
        if (c != ',') {
            syntax(j, "expected , or } after a member");
            goto out;
        }
    }
done:
    if (!aud_text_append(&j->env, &j->cx->budget, "}", 1, &over)) {
        aud_report_error(j->cx->report, j->file, line,
                         "an object larger than the limit of %zu bytes; not read", j->env.max);
        goto out;
    }
    {
        size_t charged = 0;
        j->counts = j->env_counts;
        j->counts.objects++;
        bool ok = false;
        struct json_object *obj = parse(j, &j->env, line, "the object", &charged, &ok);
        if (in_list) {
            aud_list_end(j->cx, &l, bad ? NULL : obj);
            in_list = false;
        } else if (obj != NULL) {
            aud_doc_object(j->cx, j->file, line, obj);
        }
        json_object_put(obj);
        hp_manifest_budget_release(&j->cx->budget, charged);
    }
out:
    if (in_list) {
        aud_list_end(j->cx, &l, NULL);
    }
    aud_text_cleanup(&key, &j->cx->budget);
}

void aud_scan_json(struct aud_ctx *cx, const char *file, struct aud_src *s)
{
    struct js j = {.cx = cx, .file = file, .s = s, .line = 1};
    j.text.max = cx->max_file_bytes;
    j.env.max = cx->max_file_bytes;
    j.tok = json_tokener_new_ex((int)cx->limits.max_depth);
    if (j.tok == NULL) {
        hp_oom();
    }
    json_tokener_set_flags(j.tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    while (!j.failed && !cx->report->stopped) {
        skip_ws(&j);
        int c = peek(&j);
        if (c < 0) {
            break;
        }
        size_t line = j.line;
        if (c == '{') {
            read_object(&j);
            continue;
        }
        /* kubectl skips a null, and refuses any other value that is not an
         * object (its decoder cannot read it as one), then goes on. */
        j.text.len = 0;
        reset_counts(&j);
        if (!scan_value(&j, c == '[' ? NULL : &j.text)) {
            break;
        }
        if (c != '[' && !j.over) {
            size_t charged = 0;
            bool ok = false;
            struct json_object *v = parse(&j, &j.text, line, "a value", &charged, &ok);
            json_object_put(v);
            hp_manifest_budget_release(&cx->budget, charged);
            if (!ok) {
                break;
            }
            if (v == NULL) {
                continue; /* null */
            }
        }
        aud_report_error(cx->report, file, line,
                         "%s at the top level of a JSON stream is not a Kubernetes object "
                         "(kubectl refuses it too)",
                         describe_start(c));
    }
    json_tokener_free(j.tok);
    aud_text_cleanup(&j.text, &cx->budget);
    aud_text_cleanup(&j.env, &cx->budget);
}
