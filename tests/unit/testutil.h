/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the Check suites: fixture paths, file reading, JSON parsing. */
#ifndef HP_TESTUTIL_H
#define HP_TESTUTIL_H

#include <check.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Reads a whole file; aborts the test with a message if it cannot. Caller frees. */
char *tu_read_file(const char *path, size_t *len);
/* Writes data[0..len) (or the string text) to path, failing the test on error. */
void tu_write_file(const char *path, const void *data, size_t len);
void tu_write_text(const char *path, const char *text);
/* Writes the concatenation of the files a and b to path. */
void tu_concat_files(const char *path, const char *a, const char *b);
/* Parses JSON text; fails the test with json-c's message if it is invalid. Caller puts. */
struct json_object *tu_json(const char *text);
/* Directory of the conformance corpus, or NULL when it is absent. */
const char *tu_corpus_dir(void);
/* Directory of tests/fixtures. */
const char *tu_fixtures_dir(void);
/* Makes a new directory ROOT/t-XXXXXX into dir (PATH_MAX bytes); fails the
 * test if it cannot. */
void tu_make_tmp(const char *root, char *dir);
/* Removes the tree at dir (if dir is not empty) and empties dir. */
void tu_rm_tree(char *dir);

/* Scratch directories: tu_root is made and removed by tu_run_in_tmpdir;
 * tu_dir is a new directory below it for each test, as a checked fixture:
 * tcase_add_checked_fixture(tc, tu_scratch_setup, tu_scratch_teardown). */
extern char tu_root[PATH_MAX];
extern char tu_dir[PATH_MAX];
void tu_scratch_setup(void);
void tu_scratch_teardown(void);
/* "dir/name" in one of 8 rotating static buffers (enough for one assertion);
 * fails the test when the path is too long. */
const char *tu_path(const char *dir, const char *name);

/* Runs the suite in fork mode and returns the process exit code (0 when all passed). */
int tu_run(Suite *s);
/* Makes root (PATH_MAX bytes) a new directory /tmp/PREFIX-XXXXXX, runs the
 * suite make() returns (its fixtures use root), removes root and returns the
 * exit code. */
int tu_run_in_tmpdir(Suite *(*make)(void), char *root, const char *prefix);

#endif
