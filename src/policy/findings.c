/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storage for findings. The first 16 findings and 2 KiB of strings live inside
 * struct hp_findings, so a clean or nearly clean object costs no allocation;
 * beyond that, findings grow on the heap and strings go to chained blocks
 * that never move (so earlier string pointers stay valid). The heap is
 * counted, and can be held to a ceiling that callers ask about first.
 */
#include "internal.h"

#include "hardpod/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hp_arena_block {
    struct hp_arena_block *next;
    size_t size;
    char data[];
};

#define BLOCK_SIZE 8192
/* malloc's header and rounding on top of what is asked for. */
#define MALLOC_SLACK 16

void hp_findings_init(struct hp_findings *f)
{
    /* Zeroes max_bytes too: no limit until a caller sets one. */
    memset(f, 0, offsetof(struct hp_findings, inline_items));
    f->items = f->inline_items;
    f->cap = sizeof(f->inline_items) / sizeof(f->inline_items[0]);
    f->blocks = NULL;
    f->arena_pos = f->inline_arena;
    f->arena_left = sizeof(f->inline_arena);
}

static void free_blocks(struct hp_findings *f)
{
    struct hp_arena_block *b = f->blocks;
    while (b != NULL) {
        struct hp_arena_block *next = b->next;
        free(b);
        b = next;
    }
    f->blocks = NULL;
}

void hp_findings_reset(struct hp_findings *f)
{
    /* Keep a grown item array for reuse; drop spilled string blocks. */
    free_blocks(f);
    f->len = 0;
    f->n_deny = 0;
    f->n_warn = 0;
    f->n_dropped = 0;
    f->has_podspec = false;
    f->bytes = f->items != f->inline_items ? f->cap * sizeof(*f->items) + MALLOC_SLACK : 0;
    f->arena_pos = f->inline_arena;
    f->arena_left = sizeof(f->inline_arena);
}

void hp_findings_cleanup(struct hp_findings *f)
{
    free_blocks(f);
    if (f->items != f->inline_items) {
        free(f->items);
    }
    hp_findings_init(f);
}

static char *arena_alloc(struct hp_findings *f, size_t n)
{
    if (n > f->arena_left) {
        size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;
        struct hp_arena_block *b = hp_xmalloc(sizeof(*b) + size);
        f->bytes += sizeof(*b) + size + MALLOC_SLACK;
        b->next = f->blocks;
        b->size = size;
        f->blocks = b;
        f->arena_pos = b->data;
        f->arena_left = size;
    }
    char *p = f->arena_pos;
    f->arena_pos += n;
    f->arena_left -= n;
    return p;
}

char *pol_findings_strndup(struct hp_findings *f, const char *s, size_t n)
{
    char *p = arena_alloc(f, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

const char *pol_findings_printf(struct hp_findings *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->arena_pos, f->arena_left, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return "";
    }
    if ((size_t)n < f->arena_left) {
        return arena_alloc(f, (size_t)n + 1);
    }
    char *p = arena_alloc(f, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void pol_findings_push(struct hp_findings *f, const struct hp_finding *item)
{
    if (f->len == f->cap) {
        size_t cap = f->cap * 2;
        struct hp_finding *items = hp_xmalloc(cap * sizeof(*items));
        memcpy(items, f->items, f->len * sizeof(*items));
        if (f->items != f->inline_items) {
            free(f->items);
            f->bytes -= f->cap * sizeof(*items) + MALLOC_SLACK;
        }
        f->items = items;
        f->cap = cap;
        f->bytes += cap * sizeof(*items) + MALLOC_SLACK;
    }
    f->items[f->len++] = *item;
    if (item->action == HP_ACTION_DENY) {
        f->n_deny++;
    } else if (item->action == HP_ACTION_WARN) {
        f->n_warn++;
    }
}

void hp_findings_set_max_bytes(struct hp_findings *f, size_t max)
{
    f->max_bytes = max;
}

size_t hp_findings_bytes(const struct hp_findings *f)
{
    return f->bytes;
}

bool pol_findings_room(const struct hp_findings *f, size_t n)
{
    size_t more = 0;
    if (f->max_bytes == 0) {
        return true;
    }
    /* Once one is dropped, so are the rest: what is stored is a prefix. */
    if (f->n_dropped > 0) {
        return false;
    }
    if (f->len == f->cap) {
        /* The new array; the old one is freed only after the copy. */
        more += f->cap * 2 * sizeof(*f->items) + MALLOC_SLACK;
    }
    if (n > f->arena_left) {
        /* The strings are copied one by one, and each may open a block. */
        more += n + 3 * (sizeof(struct hp_arena_block) + BLOCK_SIZE + MALLOC_SLACK);
    }
    return f->bytes <= f->max_bytes && more <= f->max_bytes - f->bytes;
}

void pol_findings_drop(struct hp_findings *f, enum hp_action action)
{
    f->n_dropped++;
    if (action == HP_ACTION_DENY) {
        f->n_deny++;
    } else if (action == HP_ACTION_WARN) {
        f->n_warn++;
    }
}
