/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Positions and paths: where each member of a collection was written, kept
 * beside the json-c tree as each collection's userdata (so that aliases,
 * which share collections, share their positions too), and the quoting and
 * key paths that messages use to name a value. Nothing here parses.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest slice of a user's value or key that is quoted in a message. */
#define QUOTE_MAX 48

struct mf_pos_list {
    struct hp_manifest_pos *v;
    size_t n;
    size_t cap;
};

static void pos_list_free(struct json_object *obj, void *userdata)
{
    struct mf_pos_list *l = userdata;
    (void)obj;
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->v[i].text);
    }
    free(l->v);
    free(l);
}

void mf_pos_attach(struct json_object *obj)
{
    json_object_set_userdata(obj, hp_xcalloc(1, sizeof(struct mf_pos_list)), pos_list_free);
}

static char *text_dup(const char *s, size_t n)
{
    /* Copied with its length: an escaped "\0" must not shorten it. */
    char *copy = hp_xmalloc(n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

void mf_pos_append(struct json_object *obj, const struct hp_manifest_pos *pos)
{
    struct mf_pos_list *l = json_object_get_userdata(obj);

    if (l == NULL) {
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = hp_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n] = *pos;
    l->v[l->n].text = pos->text != NULL ? text_dup(pos->text, pos->len) : NULL;
    l->n++;
}

void mf_pos_replace(struct json_object *obj, size_t i, const struct hp_manifest_pos *pos)
{
    struct mf_pos_list *l = json_object_get_userdata(obj);

    if (l == NULL || i >= l->n) {
        return;
    }
    free((char *)l->v[i].text);
    l->v[i] = *pos;
    l->v[i].text = pos->text != NULL ? text_dup(pos->text, pos->len) : NULL;
}

size_t mf_pos_cost(size_t n)
{
    /* A slot with doubling's slack, and the text's own chunk. */
    return 2 * sizeof(struct hp_manifest_pos) + hp_manifest_budget_malloc_cost(n + 1);
}

struct hp_manifest_pos *mf_pos_dup(const struct hp_manifest_pos *pos)
{
    struct hp_manifest_pos *p = hp_xmalloc(sizeof(*p));
    *p = *pos;
    p->text = pos->text != NULL ? text_dup(pos->text, pos->len) : NULL;
    return p;
}

const struct hp_manifest_pos *hp_manifest_pos_get(const struct json_object *obj, size_t i)
{
    const struct mf_pos_list *l;

    if (!json_object_is_type(obj, json_type_object) && !json_object_is_type(obj, json_type_array)) {
        return NULL;
    }
    /* json-c's getter takes a non-const object but only reads it. */
    l = json_object_get_userdata((struct json_object *)obj);
    return l != NULL && i < l->n ? &l->v[i] : NULL;
}

void hp_manifest_quote(char *dst, size_t size, const char *s, size_t len)
{
    size_t cut = len;
    size_t o = 0;

    if (cut > QUOTE_MAX) {
        cut = QUOTE_MAX;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0u) == 0x80u) {
            cut--;
        }
    }
    for (size_t i = 0; i < cut && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c < 0x20u || c == 0x7Fu) {
            o += (size_t)snprintf(dst + o, size - o, "\\x%02X", c);
        } else {
            dst[o++] = (char)c;
        }
    }
    if (cut < len && o + 4 <= size) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o < size ? o : size - 1] = '\0';
}

void hp_manifest_path_key(char *dst, size_t size, const char *parent, const char *key)
{
    char quoted[HP_MANIFEST_QUOTE_SIZE];
    int n;

    hp_manifest_quote(quoted, sizeof(quoted), key, strlen(key));
    /* Paths only appear in messages: a cut one is still useful. */
    if (parent == NULL || parent[0] == '\0') {
        n = snprintf(dst, size, "%s", quoted);
    } else {
        n = snprintf(dst, size, "%s.%s", parent, quoted);
    }
    if (n < 0 || (size_t)n >= size) {
        dst[size - 1] = '\0';
    }
}

void hp_manifest_path_index(char *dst, size_t size, const char *parent, size_t i)
{
    int n = snprintf(dst, size, "%s[%zu]", parent != NULL ? parent : "", i);
    if (n < 0 || (size_t)n >= size) {
        dst[size - 1] = '\0';
    }
}
