/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the Check suites. */
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    ck_assert_int_eq(fstat(fileno(f), &st), 0);
    size_t n = (size_t)st.st_size;
    char *data = malloc(n + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_msg(fread(data, 1, n, f) == n, "short read on %s", path);
    data[n] = '\0';
    fclose(f);
    if (len != NULL) {
        *len = n;
    }
    return data;
}

void tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
    ck_assert_msg(fwrite(data, 1, len, f) == len, "short write on %s", path);
    ck_assert_msg(fclose(f) == 0, "cannot write %s: %s", path, strerror(errno));
}

void tu_write_text(const char *path, const char *text)
{
    tu_write_file(path, text, strlen(text));
}

void tu_concat_files(const char *path, const char *a, const char *b)
{
    size_t na;
    size_t nb;
    char *da = tu_read_file(a, &na);
    char *db = tu_read_file(b, &nb);
    char *both = malloc(na + nb + 1);
    ck_assert_ptr_nonnull(both);
    memcpy(both, da, na);
    memcpy(both + na, db, nb);
    tu_write_file(path, both, na + nb);
    free(both);
    free(da);
    free(db);
}

struct json_object *tu_json(const char *text)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *obj = json_tokener_parse_ex(tok, text, (int)strlen(text));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    ck_assert_msg(jerr == json_tokener_success, "bad test JSON (%s): %s",
                  json_tokener_error_desc(jerr), text);
    json_tokener_free(tok);
    return obj;
}

const char *tu_corpus_dir(void)
{
    const char *dir = getenv("HP_CORPUS_DIR");
    struct stat st;
    if (dir == NULL || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return NULL;
    }
    return dir;
}

const char *tu_fixtures_dir(void)
{
    const char *dir = getenv("HP_FIXTURES_DIR");
    return dir != NULL ? dir : "tests/fixtures";
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int tu_run_in_tmpdir(Suite *(*make)(void), char *root, const char *prefix)
{
    int n = snprintf(root, PATH_MAX, "/tmp/%s-XXXXXX", prefix);
    if (n <= 0 || n >= PATH_MAX || mkdtemp(root) == NULL) {
        fprintf(stderr, "mkdtemp /tmp/%s-XXXXXX: %s\n", prefix, strerror(errno));
        return EXIT_FAILURE;
    }
    int rc = tu_run(make());
    tu_rm_tree(root);
    return rc;
}

char tu_root[PATH_MAX];
char tu_dir[PATH_MAX];

void tu_scratch_setup(void)
{
    tu_make_tmp(tu_root, tu_dir);
}

void tu_scratch_teardown(void)
{
    tu_rm_tree(tu_dir);
}

const char *tu_path(const char *dir, const char *name)
{
    static char bufs[8][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 8];
    int n = snprintf(b, PATH_MAX, "%s/%s", dir, name);
    ck_assert_msg(n > 0 && n < PATH_MAX, "path too long: %s/%s", dir, name);
    return b;
}

void tu_make_tmp(const char *root, char *dir)
{
    int n = snprintf(dir, PATH_MAX, "%s/t-XXXXXX", root);
    ck_assert_msg(n > 0 && n < PATH_MAX, "path too long");
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void tu_rm_tree(char *dir)
{
    if (dir[0] != '\0') {
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        dir[0] = '\0';
    }
}
