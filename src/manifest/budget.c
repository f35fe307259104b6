/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memory budget: a counter that is charged before memory is allocated
 * and refuses a charge that would pass its limit. It allocates nothing and
 * knows nothing of what is charged; the estimates live with the code that
 * allocates (load.c for trees).
 */
#include "hardpod/manifest.h"

#include <stdint.h>
#include <stdio.h>

void hp_manifest_budget_init(struct hp_manifest_budget *b, size_t limit, const char *raise_hint)
{
    b->limit = limit;
    b->used = 0;
    b->peak = 0;
    b->raise_hint = raise_hint;
}

bool hp_manifest_budget_charge(struct hp_manifest_budget *b, size_t n)
{
    if (n > b->limit || b->used > b->limit - n) {
        return false;
    }
    b->used += n;
    if (b->used > b->peak) {
        b->peak = b->used;
    }
    return true;
}

void hp_manifest_budget_release(struct hp_manifest_budget *b, size_t n)
{
    /* More than was charged is a caller's bug; never wrap around. */
    b->used = n <= b->used ? b->used - n : 0;
}

size_t hp_manifest_budget_malloc_cost(size_t n)
{
    size_t c = n > SIZE_MAX - 23 ? SIZE_MAX & ~(size_t)15 : (n + 8 + 15) & ~(size_t)15;
    return c < 32 ? 32 : c;
}

const char *hp_manifest_format_size(size_t n, char *buf, size_t size)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    double v = (double)n / 1024;

    if (n < 1024) {
        snprintf(buf, size, "%zu bytes", n);
        return buf;
    }
    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    /* Whole numbers print without a fraction: "256 MiB", not "256.0 MiB". */
    if (v == (double)(uint64_t)v) {
        snprintf(buf, size, "%.0f %s", v, units[u]);
    } else {
        snprintf(buf, size, "%.1f %s", v, units[u]);
    }
    return buf;
}

const char *hp_manifest_budget_describe(const struct hp_manifest_budget *b, char *buf, size_t size)
{
    char limit[32];

    hp_manifest_format_size(b->limit, limit, sizeof(limit));
    if (b->raise_hint != NULL) {
        snprintf(buf, size, "the memory limit of %s (raise it with %s)", limit, b->raise_hint);
    } else {
        snprintf(buf, size, "the memory limit of %s", limit);
    }
    return buf;
}
