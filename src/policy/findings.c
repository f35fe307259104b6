/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storage for findings. The first 16 findings and 2 KiB of strings live inside
 * struct hp_findings, so a clean or nearly clean object costs no allocation;
 * beyond that, findings grow on the heap and strings go to chained blocks
 * that never move (so earlier string pointers stay valid).
 */
#include "findings.h"

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

void hp_findings_init(struct hp_findings *f)
{
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
    f->has_podspec = false;
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

char *hp_findings_strndup(struct hp_findings *f, const char *s, size_t n)
{
    char *p = arena_alloc(f, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

const char *hp_findings_printf(struct hp_findings *f, const char *fmt, ...)
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

void hp_findings_push(struct hp_findings *f, const struct hp_finding *item)
{
    if (f->len == f->cap) {
        size_t cap = f->cap * 2;
        struct hp_finding *items = hp_xmalloc(cap * sizeof(*items));
        memcpy(items, f->items, f->len * sizeof(*items));
        if (f->items != f->inline_items) {
            free(f->items);
        }
        f->items = items;
        f->cap = cap;
    }
    f->items[f->len++] = *item;
    if (item->action == HP_ACTION_DENY) {
        f->n_deny++;
    } else if (item->action == HP_ACTION_WARN) {
        f->n_warn++;
    }
}
