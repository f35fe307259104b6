/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small YAML writer for the generated webhook configuration: block style
 * for mappings, flow style for lists of scalars, and quoting whenever a
 * reader could take a string for something else. Writes what json-c holds;
 * nothing here reads YAML.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Whether s can be written plain and read back as the same string by a
 * YAML 1.1 reader (kubectl's, PyYAML) and a YAML 1.2 one. */
static bool plain_ok(const char *s)
{
    static const char *const special[] = {"y",   "n",    "yes",   "no",  "on",
                                          "off", "true", "false", "null"};
    if (s[0] == '\0' || strchr("0123456789.+-~", s[0]) != NULL) {
        return false; /* empty, or it may read as a number or null */
    }
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
        if (strcasecmp(s, special[i]) == 0) {
            return false;
        }
    }
    for (const char *p = s; *p != '\0'; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr("._/-", *p) != NULL;
        if (!ok) {
            return false;
        }
    }
    return true;
}

static void put_string(struct hp_buf *out, const char *s, size_t len)
{
    if (strlen(s) == len && plain_ok(s)) {
        hp_buf_append(out, s, len);
    } else {
        hp_buf_put_json_string(out, s, len);
    }
}

static void put_scalar(struct hp_buf *out, struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        hp_buf_puts(out, "null");
        break;
    case json_type_boolean:
        hp_buf_puts(out, json_object_get_boolean(v) ? "true" : "false");
        break;
    case json_type_int:
        hp_buf_printf(out, "%lld", (long long)json_object_get_int64(v));
        break;
    case json_type_double:
        hp_buf_puts(out, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        break;
    case json_type_string:
        put_string(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    default:
        break;
    }
}

static bool is_collection(struct json_object *v)
{
    return json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array);
}

static void indent(struct hp_buf *out, int n)
{
    for (int i = 0; i < n; i++) {
        hp_buf_putc(out, ' ');
    }
}

static void put_map(struct hp_buf *out, struct json_object *map, int level, bool first_inline);

/* A list whose items are all scalars: ["a", "b"]. */
static bool scalar_list(struct json_object *list)
{
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        if (is_collection(json_object_array_get_idx(list, i))) {
            return false;
        }
    }
    return true;
}

static void put_flow_list(struct hp_buf *out, struct json_object *list)
{
    size_t n = json_object_array_length(list);
    hp_buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(list, i);
        hp_buf_puts(out, i > 0 ? ", " : "");
        if (json_object_is_type(v, json_type_string)) {
            hp_buf_put_json_string(out, json_object_get_string(v),
                                   (size_t)json_object_get_string_len(v));
        } else {
            put_scalar(out, v);
        }
    }
    hp_buf_putc(out, ']');
}

/* The items of a block list at level (each "- " at 2 * level spaces). */
static void put_block_list(struct hp_buf *out, struct json_object *list, int level)
{
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(list, i);
        indent(out, 2 * level);
        hp_buf_puts(out, "- ");
        if (json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0) {
            put_map(out, v, level + 1, true);
        } else if (json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
            put_flow_list(out, v); /* a list in a list: hardpod's templates have none */
            hp_buf_putc(out, '\n');
        } else if (json_object_is_type(v, json_type_object)) {
            hp_buf_puts(out, "{}\n");
        } else if (json_object_is_type(v, json_type_array)) {
            hp_buf_puts(out, "[]\n");
        } else {
            put_scalar(out, v);
            hp_buf_putc(out, '\n');
        }
    }
}

/* The members of map at level; with first_inline, the first one follows a
 * "- " already written. */
static void put_map(struct hp_buf *out, struct json_object *map, int level, bool first_inline)
{
    bool first = true;
    json_object_object_foreach(map, key, v)
    {
        if (!(first && first_inline)) {
            indent(out, 2 * level);
        }
        first = false;
        put_string(out, key, strlen(key));
        hp_buf_putc(out, ':');
        if (json_object_is_type(v, json_type_object)) {
            if (json_object_object_length(v) == 0) {
                hp_buf_puts(out, " {}\n");
            } else {
                hp_buf_putc(out, '\n');
                put_map(out, v, level + 1, false);
            }
        } else if (json_object_is_type(v, json_type_array)) {
            if (json_object_array_length(v) == 0 || scalar_list(v)) {
                hp_buf_putc(out, ' ');
                put_flow_list(out, v);
                hp_buf_putc(out, '\n');
            } else {
                hp_buf_putc(out, '\n');
                put_block_list(out, v, level + 1);
            }
        } else {
            hp_buf_putc(out, ' ');
            put_scalar(out, v);
            hp_buf_putc(out, '\n');
        }
    }
}

void wh_yaml_write(struct hp_buf *out, struct json_object *obj)
{
    put_map(out, obj, 0, false);
}
