/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decode_dump FILE...: reads each file through the audit's own reading path
 * (aud_input, aud_scan, List and AdmissionReview unwrapping) and prints every
 * object that path hands to the engine, as compact JSON with sorted keys, one
 * a line, under a "FILE <path>" line. A document the reader refuses prints
 * "ERROR <message>" in its place; an object the engine then cannot evaluate
 * is followed by "EVALERROR <message>", which is no reading error. The
 * kubectl differential test compares this with what kubectl creates from the
 * same files; it judges nothing.
 */
#include "audit/internal.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dump {
    struct aud_report *report;
    size_t printed; /* report entries already looked at */
    size_t verdict; /* index of the entry the engine's verdict on the last object takes */
    bool evaluated; /* an object was handed to the engine, and verdict is set */
    FILE *out;
};

static void put_string(FILE *out, const char *s, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
        } else if (c < 0x20) {
            fprintf(out, "\\u%04x", c);
        } else {
            fputc(c, out);
        }
    }
    fputc('"', out);
}

/* Doubles print as doubles even when integral ("1000.0"), so that the
 * comparison sees the engine's type and not only the value. */
static void put_double(FILE *out, double d)
{
    char buf[64];
    if (isnan(d)) {
        fputs("NaN", out);
        return;
    }
    if (isinf(d)) {
        fputs(d > 0 ? "Infinity" : "-Infinity", out);
        return;
    }
    snprintf(buf, sizeof(buf), "%.17g", d);
    fputs(buf, out);
    if (strpbrk(buf, ".e") == NULL) {
        fputs(".0", out);
    }
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_value(FILE *out, struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        fputs("null", out);
        break;
    case json_type_boolean:
        fputs(json_object_get_boolean(v) ? "true" : "false", out);
        break;
    case json_type_int:
        /* json-c keeps integers above INT64_MAX as uint64. */
        if (json_object_get_int64(v) == INT64_MAX) {
            fprintf(out, "%" PRIu64, json_object_get_uint64(v));
        } else {
            fprintf(out, "%" PRId64, json_object_get_int64(v));
        }
        break;
    case json_type_double:
        put_double(out, json_object_get_double(v));
        break;
    case json_type_string:
        put_string(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    case json_type_array: {
        size_t n = json_object_array_length(v);
        fputc('[', out);
        for (size_t i = 0; i < n; i++) {
            if (i > 0) {
                fputc(',', out);
            }
            put_value(out, json_object_array_get_idx(v, i));
        }
        fputc(']', out);
        break;
    }
    case json_type_object: {
        size_t n = (size_t)json_object_object_length(v);
        const char **keys = hp_xmalloc((n > 0 ? n : 1) * sizeof(*keys));
        size_t k = 0;
        json_object_object_foreach(v, key, val)
        {
            (void)val;
            keys[k++] = key;
        }
        qsort(keys, k, sizeof(*keys), compare_keys);
        fputc('{', out);
        for (size_t i = 0; i < k; i++) {
            if (i > 0) {
                fputc(',', out);
            }
            put_string(out, keys[i], strlen(keys[i]));
            fputc(':', out);
            put_value(out, json_object_object_get(v, keys[i]));
        }
        fputc('}', out);
        free(keys);
        break;
    }
    }
}

/* Prints the error entries the report gained since the last call, so that
 * they come out in input order between the objects. */
static void flush_errors(struct dump *d)
{
    for (; d->printed < d->report->len; d->printed++) {
        const struct aud_entry *e = &d->report->entries[d->printed];
        if (e->error == NULL) {
            continue;
        }
        fputs(d->evaluated && d->printed == d->verdict ? "EVALERROR " : "ERROR ", d->out);
        if (e->line > 0) {
            fprintf(d->out, "line %zu: ", e->line);
        }
        for (const char *p = e->error; *p != '\0'; p++) {
            fputc(*p == '\n' ? ' ' : *p, d->out);
        }
        fputc('\n', d->out);
    }
}

static void on_object(void *arg, const char *file, size_t line, struct json_object *obj)
{
    struct dump *d = arg;
    (void)file;
    (void)line;
    flush_errors(d);
    put_value(d->out, obj);
    fputc('\n', d->out);
    /* The engine's verdict (a resource or an error entry) comes next. */
    d->evaluated = true;
    d->verdict = d->report->len;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: decode_dump FILE...\n");
        return 2;
    }
    struct hp_policy policy;
    hp_policy_init(&policy, HP_PROFILE_HARDENED);
    struct hp_audit_options o;
    memset(&o, 0, sizeof(o));
    o.policy = &policy;
    struct aud_report report;
    aud_report_init(&report);
    struct aud_ctx cx;
    aud_ctx_init(&cx, &o, &report);
    struct dump d = {.report = &report, .out = stdout};
    cx.on_object = on_object;
    cx.on_object_arg = &d;
    for (int i = 1; i < argc && !report.stopped; i++) {
        printf("FILE %s\n", argv[i]);
        aud_input(&cx, argv[i]);
        flush_errors(&d);
    }
    int rc = report.stopped ? 2 : 0;
    aud_ctx_cleanup(&cx);
    aud_report_cleanup(&report);
    hp_policy_cleanup(&policy);
    return rc;
}
