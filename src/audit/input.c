/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the inputs of an audit: stdin, files named on the command line
 * (whatever their extension) and directory trees (only *.yaml, *.yml and
 * *.json, in byte order of their names, symlinked directories followed but
 * never twice on one path, so a symlink loop ends). Every read is capped, and
 * its buffer is charged to the run's memory budget before it grows.
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

/* Reads f to the end into a heap buffer of at most cap bytes, charged to
 * budget (*charged on return, also on failure: the caller releases it). */
static enum hp_err read_all(FILE *f, size_t cap, struct hp_manifest_budget *budget, char **out,
                            size_t *out_len, size_t *charged, struct hp_error *err)
{
    char *buf = NULL;
    size_t size = 0;
    size_t len = 0;
    enum hp_err rc = HP_OK;
    *charged = 0;
    if (cap >= SIZE_MAX / 2) {
        cap = SIZE_MAX / 2;
    }
    for (;;) {
        if (len == size) {
            if (size > cap) {
                rc = hp_error_set(err, HP_ERR_LIMIT, "larger than the limit of %zu bytes", cap);
                goto out;
            }
            /* One byte past the cap tells a file of exactly cap bytes from a larger one. */
            size_t want = size == 0 ? (size_t)64 * 1024 : size * 2;
            want = want > cap + 1 ? cap + 1 : want;
            size_t cost = hp_manifest_budget_malloc_cost(want);
            if (!hp_manifest_budget_charge(budget, cost)) {
                char limit[160];
                rc = hp_error_set(err, HP_ERR_LIMIT,
                                  "cannot read: %zu bytes read so far, and more do not fit in %s",
                                  len, hp_manifest_budget_describe(budget, limit, sizeof(limit)));
                goto out;
            }
            /* realloc may copy: old and new buffer are both alive until it returns. */
            buf = hp_xrealloc(buf, want);
            hp_manifest_budget_release(budget, *charged);
            *charged = cost;
            size = want;
        }
        size_t n = fread(buf + len, 1, size - len, f);
        len += n;
        if (n == 0) {
            int e = errno;
            if (ferror(f)) {
                rc = hp_error_set(err, HP_ERR_IO, "cannot read: %s", strerror(e));
                goto out;
            }
            break;
        }
    }
out:
    if (rc != HP_OK) {
        free(buf);
        buf = NULL;
        len = 0;
    }
    *out = buf;
    *out_len = len;
    return rc;
}

/* Reads one file (or stdin when path is NULL) and scans it under the name file. */
static void read_file(struct aud_ctx *cx, const char *path, const char *file)
{
    struct hp_error err;
    char *data = NULL;
    size_t len = 0;
    hp_error_clear(&err);
    FILE *f = path != NULL ? fopen(path, "rb") : stdin;
    if (f == NULL) {
        int e = errno;
        aud_report_error(cx->report, file, 0, "cannot open: %s", strerror(e));
        return;
    }
    size_t charged = 0;
    enum hp_err rc = read_all(f, cx->max_file_bytes, &cx->budget, &data, &len, &charged, &err);
    if (f != stdin) {
        fclose(f);
    }
    if (rc == HP_OK) {
        aud_scan(cx, file, data, len);
    }
    free(data);
    hp_manifest_budget_release(&cx->budget, charged);
    if (rc != HP_OK) {
        aud_report_error(cx->report, file, 0, "%s", err.msg);
    }
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
        read_file(cx, path, path);
        return;
    }
    struct walk *w = hp_xcalloc(1, sizeof(*w));
    w->dev[0] = st.st_dev;
    w->ino[0] = st.st_ino;
    w->depth = 1;
    walk_dir(cx, path, w);
    free(w);
}
