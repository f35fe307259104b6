/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the inputs of an audit: stdin, files named on the command line
 * (whatever their extension; a Dockerfile by its name) and directory trees
 * (only *.yaml, *.yml, *.json and Dockerfiles, in byte order of their names, symlinked directories
 * followed but never twice on one path, so a symlink loop ends). An input is read block by block
 * and handed on as it is read, so it may be of any size; the block buffer and every copy the
 * readers keep are charged to the run's memory budget before they are allocated.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Directory nesting deeper than this is reported instead of walked. */
#define MAX_DEPTH 64

/* The directories on the path from the walk's root to the current one. */
struct walk {
    dev_t dev[MAX_DEPTH + 1];
    ino_t ino[MAX_DEPTH + 1];
    size_t depth;
};

size_t aud_src_need(struct aud_src *s, size_t n)
{
    if (s->f == NULL || s->err != 0) {
        return s->len - s->pos;
    }
    if (s->len - s->pos < n && s->pos > 0) {
        memmove(s->own, s->own + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->pos = 0;
    }
    while (s->len - s->pos < n && s->len < s->cap) {
        size_t got = fread(s->own + s->len, 1, s->cap - s->len, s->f);
        s->len += got;
        if (got == 0) {
            if (ferror(s->f)) {
                s->err = errno != 0 ? errno : EIO;
            }
            /* A terminal may deliver more after an end of file: stop here for good. */
            s->f = NULL;
            break;
        }
    }
    return s->len - s->pos;
}

/* How far kubectl's reader looks for the `{` of a JSON stream. */
#define SNIFF_BYTES 4096

/* The length of the UTF-8 sequence at p[0..n) when it encodes a character
 * that Go's unicode.IsSpace accepts; 0 otherwise. */
static size_t space_len(const unsigned char *p, size_t n)
{
    if (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r')) {
        return 1;
    }
    if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0)) {
        return 2; /* U+0085, U+00A0 */
    }
    if (n < 3) {
        return 0;
    }
    unsigned cp = ((unsigned)(p[0] & 0x0f) << 12) | ((unsigned)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
    if ((p[0] & 0xf0) != 0xe0 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) {
        return 0;
    }
    bool space = cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
                 cp == 0x202f || cp == 0x205f || cp == 0x3000;
    return space ? 3 : 0;
}

bool aud_src_is_json(struct aud_src *s)
{
    size_t n = aud_src_need(s, SNIFF_BYTES);
    const unsigned char *p = s->p + s->pos;
    if (n > SNIFF_BYTES) {
        n = SNIFF_BYTES;
    }
    for (size_t i = 0; i < n;) {
        size_t k = space_len(p + i, n - i);
        if (k == 0) {
            return p[i] == '{';
        }
        i += k;
    }
    return false;
}

bool aud_text_append(struct aud_text *t, struct hp_manifest_budget *b, const void *p, size_t n,
                     bool *over_cap)
{
    *over_cap = false;
    if (n > t->max - t->len) {
        *over_cap = true;
        return false;
    }
    if (t->len + n > t->cap) {
        size_t want = t->cap == 0 ? 4096 : t->cap;
        while (want < t->len + n) {
            want = want > SIZE_MAX / 2 ? SIZE_MAX : want * 2;
        }
        if (want > t->max) {
            want = t->max;
        }
        size_t cost = hp_manifest_budget_malloc_cost(want);
        /* realloc may copy: the old and the new buffer are both alive until it returns. */
        if (!hp_manifest_budget_charge(b, cost)) {
            return false;
        }
        t->data = hp_xrealloc(t->data, want);
        hp_manifest_budget_release(b, t->charged);
        t->charged = cost;
        t->cap = want;
    }
    if (n > 0) {
        memcpy(t->data + t->len, p, n);
        t->len += n;
    }
    return true;
}

void aud_text_cleanup(struct aud_text *t, struct hp_manifest_budget *b)
{
    free(t->data);
    hp_manifest_budget_release(b, t->charged);
    size_t max = t->max;
    memset(t, 0, sizeof(*t));
    t->max = max;
}

/* Reads one file (or stdin when path is NULL) and scans it under the name
 * file, block by block: only the block buffer and what the readers copy of
 * one document are held, whatever the input's size. */
static void read_file(struct aud_ctx *cx, const char *path, const char *file)
{
    size_t cost = hp_manifest_budget_malloc_cost(AUD_SRC_BLOCK);
    if (!hp_manifest_budget_charge(&cx->budget, cost)) {
        char limit[160];
        aud_report_error(cx->report, file, 0, "cannot read: a read buffer does not fit in %s",
                         hp_manifest_budget_describe(&cx->budget, limit, sizeof(limit)));
        return;
    }
    FILE *f = path != NULL ? fopen(path, "rb") : stdin;
    if (f == NULL) {
        int e = errno;
        hp_manifest_budget_release(&cx->budget, cost);
        aud_report_error(cx->report, file, 0, "cannot open: %s", strerror(e));
        return;
    }
    struct aud_src s = {.f = f, .cap = AUD_SRC_BLOCK};
    s.own = hp_xmalloc(AUD_SRC_BLOCK);
    s.p = s.own;
    aud_scan_src(cx, file, &s);
    if (s.err != 0 && !cx->report->stopped) {
        aud_report_error(cx->report, file, 0, "cannot read: %s", strerror(s.err));
    }
    if (f != stdin) {
        fclose(f);
    }
    free(s.own);
    hp_manifest_budget_release(&cx->budget, cost);
}

static bool has_manifest_ext(const char *name)
{
    static const char *const exts[] = {".yaml", ".yml", ".json"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcmp(name + n - e, exts[i]) == 0) {
            return true;
        }
    }
    return false;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    bool slash = n > 0 && dir[n - 1] == '/';
    size_t size = n + strlen(name) + 2;
    char *p = hp_xmalloc(size);
    snprintf(p, size, "%s%s%s", dir, slash ? "" : "/", name);
    return p;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry names of dir, sorted, without "." and "..". NULL on error (reported). */
static char **list_dir(struct aud_ctx *cx, const char *dir, size_t *n_out)
{
    char **names = NULL;
    size_t n = 0;
    size_t cap = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        int e = errno;
        aud_report_error(cx->report, dir, 0, "cannot open directory: %s", strerror(e));
        return NULL;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (de == NULL) {
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = hp_xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = hp_xstrdup(de->d_name);
    }
    if (errno != 0) {
        int e = errno;
        aud_report_error(cx->report, dir, 0, "cannot read directory: %s", strerror(e));
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof(*names), compare_names);
    }
    *n_out = n;
    return names;
}

static bool on_path(const struct walk *w, const struct stat *st)
{
    for (size_t i = 0; i < w->depth; i++) {
        if (w->dev[i] == st->st_dev && w->ino[i] == st->st_ino) {
            return true;
        }
    }
    return false;
}

static void walk_dir(struct aud_ctx *cx, const char *dir, struct walk *w);

static void walk_entry(struct aud_ctx *cx, const char *path, const char *name, struct walk *w)
{
    struct stat st;
    if (cx->report->stopped) {
        return;
    }
    if (stat(path, &st) != 0) {
        int e = errno;
        /* A dangling symlink that looks like a manifest is an input we cannot read. */
        if (has_manifest_ext(name)) {
            aud_report_error(cx->report, path, 0, "cannot open: %s", strerror(e));
        }
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        if (on_path(w, &st)) {
            return; /* a symlink back to an ancestor */
        }
        if (w->depth >= MAX_DEPTH) {
            aud_report_error(cx->report, path, 0,
                             "directory nesting deeper than %d levels; not walked", MAX_DEPTH);
            return;
        }
        w->dev[w->depth] = st.st_dev;
        w->ino[w->depth] = st.st_ino;
        w->depth++;
        walk_dir(cx, path, w);
        w->depth--;
    } else if (S_ISREG(st.st_mode) && has_manifest_ext(name)) {
        read_file(cx, path, path);
    } else if (S_ISREG(st.st_mode) && aud_is_dockerfile_name(name)) {
        aud_dockerfile(cx, path);
    }
}

static void walk_dir(struct aud_ctx *cx, const char *dir, struct walk *w)
{
    size_t n = 0;
    char **names = list_dir(cx, dir, &n);
    for (size_t i = 0; i < n; i++) {
        char *path = join(dir, names[i]);
        walk_entry(cx, path, names[i], w);
        free(path);
        free(names[i]);
    }
    free(names);
}

void aud_input(struct aud_ctx *cx, const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0) {
        read_file(cx, NULL, "-");
        return;
    }
    if (stat(path, &st) != 0) {
        int e = errno;
        aud_report_error(cx->report, path, 0, "cannot open: %s", strerror(e));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (aud_is_dockerfile_name(path)) {
            aud_dockerfile(cx, path);
        } else {
            read_file(cx, path, path);
        }
        return;
    }
    struct walk *w = hp_xcalloc(1, sizeof(*w));
    w->dev[0] = st.st_dev;
    w->ino[0] = st.st_ino;
    w->depth = 1;
    walk_dir(cx, path, w);
    free(w);
}
