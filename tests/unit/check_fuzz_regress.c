/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays tests/fixtures/fuzz/<harness>/ through the fuzz targets without
 * libFuzzer: every input that once crashed a harness, and hand-made hostile
 * ones (deep nesting, invalid UTF-8, NUL escapes, huge numbers, truncated
 * documents, alias bombs), must run without a crash or a broken property and
 * give the kind of result its name states: NAME.KIND.EXT, where KIND is what
 * the target returns (admission: allowed, denied, warned, invalid, limit;
 * config: ok, invalid, limit; dockerfile: ok, invalid, limit;
 * manifest: clean, denied, error, limit;
 * utf8: valid, invalid).
 */
/* tests/CMakeLists.txt builds each check_*.c on its own: the harnesses' code
 * is compiled in here so that the replay runs exactly what libFuzzer runs. */
#include "../../fuzz/targets.c"

#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const harnesses[] = {"admission", "config", "dockerfile", "manifest", "utf8"};
#define N_HARNESSES (sizeof(harnesses) / sizeof(harnesses[0]))

static const char *const kinds[N_HARNESSES][6] = {
    {"allowed", "denied", "warned", "invalid", "limit", NULL},
    {"ok", "invalid", "limit", NULL},
    {"ok", "invalid", "limit", NULL},
    {"clean", "denied", "error", "limit", NULL},
    {"valid", "invalid", NULL},
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The KIND of NAME.KIND.EXT into kind (size bytes); false if there is none. */
static bool expected_kind(const char *file, char *kind, size_t size)
{
    const char *ext = strrchr(file, '.');
    if (ext == NULL || ext == file) {
        return false;
    }
    const char *start = ext;
    while (start > file && start[-1] != '.') {
        start--;
    }
    size_t n = (size_t)(ext - start);
    if (start == file || n == 0 || n >= size) {
        return false;
    }
    memcpy(kind, start, n);
    kind[n] = '\0';
    return true;
}

static bool known_kind(size_t h, const char *kind)
{
    for (size_t i = 0; kinds[h][i] != NULL; i++) {
        if (strcmp(kinds[h][i], kind) == 0) {
            return true;
        }
    }
    return false;
}

/* The regular files of dir, sorted; the caller frees each and the array. */
static char **list_files(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    char **names = NULL;
    size_t len = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        names = realloc(names, (len + 1) * sizeof(*names));
        ck_assert_ptr_nonnull(names);
        names[len++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, len, sizeof(*names), by_name);
    *n = len;
    return names;
}

START_TEST(test_fuzz_regress_replay)
{
    size_t h = (size_t)_i;
    hp_fuzz_target target = hp_fuzz_target_get(harnesses[h]);
    ck_assert_msg(target != NULL, "no target %s", harnesses[h]);
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/fuzz/%s", tu_fixtures_dir(), harnesses[h]);
    size_t n = 0;
    char **files = list_files(dir, &n);
    ck_assert_msg(n > 0, "%s holds no inputs", dir);
    for (size_t i = 0; i < n; i++) {
        char kind[32];
        ck_assert_msg(expected_kind(files[i], kind, sizeof(kind)) && known_kind(h, kind),
                      "%s/%s: the name must be NAME.KIND.EXT with a KIND of the %s target", dir,
                      files[i], harnesses[h]);
        char path[PATH_MAX + 512];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        size_t len = 0;
        char *text = tu_read_file(path, &len);
        /* Exactly len bytes, as libFuzzer passes them: a sanitizer build
         * catches a read past the end. */
        uint8_t *data = malloc(len > 0 ? len : 1);
        ck_assert_ptr_nonnull(data);
        memcpy(data, text, len);
        free(text);
        const char *got = target(data, len);
        ck_assert_msg(strcmp(got, kind) == 0, "%s: expected %s, got %s", path, kind, got);
        free(data);
        free(files[i]);
    }
    free(files);
}
END_TEST

/* The target names resolve, and an unknown one does not. */
START_TEST(test_fuzz_regress_targets)
{
    for (size_t h = 0; h < N_HARNESSES; h++) {
        ck_assert_msg(hp_fuzz_target_get(harnesses[h]) != NULL, "no target %s", harnesses[h]);
    }
    ck_assert_msg(hp_fuzz_target_get("nonesuch") == NULL, "an unknown name resolved");
}
END_TEST

static Suite *fuzz_regress_suite(void)
{
    Suite *s = suite_create("fuzz_regress");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fuzz_regress_targets);
    tcase_add_loop_test(tc, test_fuzz_regress_replay, 0, (int)N_HARNESSES);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(fuzz_regress_suite());
}
