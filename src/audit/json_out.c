/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A streaming JSON writer for the reports: prints values as they come, in
 * exactly the layout of json-c's JSON_C_TO_STRING_PRETTY (two-space indent,
 * `"key":value`, `[\n  ]` for an empty array), so that a report of any size
 * costs no tree. Strings are escaped by json-c itself, one at a time.
 */
#include "internal.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>

#define FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)

void aud_json_init(struct aud_json *w, FILE *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
}

static void indent(const struct aud_json *w, size_t level)
{
    for (size_t i = 0; i < level; i++) {
        fputs("  ", w->out);
    }
}

/* Before a member or element: the separator and the indent of this depth. */
static void next(struct aud_json *w)
{
    if (w->depth == 0) {
        return;
    }
    if (w->had[w->depth - 1]) {
        fputs(",\n", w->out);
    }
    w->had[w->depth - 1] = true;
    indent(w, w->depth);
}

void aud_json_open(struct aud_json *w, char bracket)
{
    fputc(bracket, w->out);
    fputc('\n', w->out);
    /* The reports nest a few levels; deeper is a programmer's error. */
    if (w->depth < AUD_JSON_MAX_DEPTH) {
        w->close[w->depth] = bracket == '{' ? '}' : ']';
        w->had[w->depth] = false;
        w->depth++;
    }
}

void aud_json_close(struct aud_json *w)
{
    if (w->depth == 0) {
        return;
    }
    w->depth--;
    if (w->had[w->depth]) {
        fputc('\n', w->out);
    }
    indent(w, w->depth);
    fputc(w->close[w->depth], w->out);
}

void aud_json_key(struct aud_json *w, const char *key)
{
    next(w);
    aud_json_string(w, key);
    fputc(':', w->out);
}

void aud_json_item(struct aud_json *w)
{
    next(w);
}

void aud_json_value(struct aud_json *w, struct json_object *v)
{
    if (v == NULL) {
        fputs("null", w->out);
        return;
    }
    /* json-c prints a nested value's lines at the indent of its depth: the
     * same text as a top-level value with that indent after each newline
     * (newlines inside strings are escaped, so every one is layout). */
    const char *s = json_object_to_json_string_ext(v, FLAGS);
    for (const char *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
        fwrite(s, 1, (size_t)(nl - s + 1), w->out);
        indent(w, w->depth);
    }
    fputs(s, w->out);
}

void aud_json_string(struct aud_json *w, const char *s)
{
    if (s == NULL) {
        fputs("null", w->out);
        return;
    }
    struct json_object *v = json_object_new_string(s);
    if (v == NULL) {
        hp_oom();
    }
    fputs(json_object_to_json_string_ext(v, FLAGS), w->out);
    json_object_put(v);
}

void aud_json_int(struct aud_json *w, int64_t v)
{
    fprintf(w->out, "%" PRId64, v);
}

void aud_json_bool(struct aud_json *w, bool v)
{
    fputs(v ? "true" : "false", w->out);
}
