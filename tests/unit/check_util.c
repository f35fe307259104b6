/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/util's file, time and buffer plumbing: capped reads of
 * files and streams with their exact messages, atomic replaces (content,
 * mode whatever the umask, nothing left behind), mkdir -p, write_all, RFC 3339
 * formatting, and hp_buf_take handing a buffer's memory on.
 */
#include "hardpod/buf.h"
#include "hardpod/file.h"
#include "hardpod/time.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The names in tu_dir, space-separated, in readdir order. */
static void list_dir(char *out, size_t size)
{
    DIR *d = opendir(tu_dir);
    ck_assert_ptr_nonnull(d);
    out[0] = '\0';
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            size_t used = strlen(out);
            snprintf(out + used, size - used, "%s%s", used > 0 ? " " : "", de->d_name);
        }
    }
    closedir(d);
}

static void assert_msg(const struct hp_error *err, const char *want)
{
    ck_assert_msg(strcmp(err->msg, want) == 0, "expected message\n  \"%s\"\ngot\n  \"%s\"", want,
                  err->msg);
}

START_TEST(test_util_file_read_contents)
{
    static const char bytes[] = "a\0b\nc";
    struct hp_error err = {0};
    char *data = NULL;
    size_t len = 99;

    tu_write_file(tu_path(tu_dir, "f"), bytes, sizeof(bytes) - 1);
    ck_assert_int_eq(hp_file_read(tu_path(tu_dir, "f"), 1024, &data, &len, &err), HP_OK);
    ck_assert_uint_eq(len, sizeof(bytes) - 1);
    ck_assert_msg(memcmp(data, bytes, len) == 0 && data[len] == '\0', "contents differ");
    hp_file_free_secret(data, len);

    tu_write_file(tu_path(tu_dir, "empty"), "", 0);
    ck_assert_int_eq(hp_file_read(tu_path(tu_dir, "empty"), 1024, &data, &len, &err), HP_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(data, "");
    free(data);

    /* Exactly at the cap is fine, one byte more is not. */
    tu_write_file(tu_path(tu_dir, "cap"), "0123456789", 10);
    ck_assert_int_eq(hp_file_read(tu_path(tu_dir, "cap"), 10, &data, &len, &err), HP_OK);
    ck_assert_uint_eq(len, 10);
    free(data);
}
END_TEST

START_TEST(test_util_file_read_errors)
{
    struct hp_error err = {0};
    char want[PATH_MAX + 128];
    char *data = (char *)"not touched";
    size_t len = 99;

    tu_write_file(tu_path(tu_dir, "big"), "0123456789", 10);
    ck_assert_int_eq(hp_file_read(tu_path(tu_dir, "big"), 9, &data, &len, &err), HP_ERR_LIMIT);
    ck_assert_msg(data == NULL && len == 0, "out not emptied on error");
    snprintf(want, sizeof(want), "%s: the file is 10 bytes, over the limit of 9",
             tu_path(tu_dir, "big"));
    assert_msg(&err, want);

    ck_assert_int_eq(hp_file_read(tu_path(tu_dir, "missing"), 9, &data, &len, &err), HP_ERR_IO);
    snprintf(want, sizeof(want), "%s: No such file or directory", tu_path(tu_dir, "missing"));
    assert_msg(&err, want);

    ck_assert_int_eq(hp_file_read(tu_dir, 9, &data, &len, &err), HP_ERR_IO);
    snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tu_dir);
    assert_msg(&err, want);

    /* A stream has no size to check up front: the cap stops the read. */
    ck_assert_int_eq(hp_file_read("/dev/zero", 5000, &data, &len, &err), HP_ERR_LIMIT);
    assert_msg(&err, "/dev/zero: the file is over the limit of 5000 bytes");
    ck_assert_int_eq(hp_file_read("/dev/zero", 0, &data, &len, &err), HP_ERR_LIMIT);
    ck_assert_int_eq(hp_file_read("/dev/null", 0, &data, &len, &err), HP_OK);
    ck_assert_uint_eq(len, 0);
    free(data);
}
END_TEST

/* A pipe delivers in pieces; the read grows its buffer and keeps every byte. */
START_TEST(test_util_file_read_stream)
{
    int fds[2];
    struct hp_error err = {0};
    char path[64];
    char *data = NULL;
    size_t len = 0;
    size_t total = 100000;

    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        char chunk[1000];
        for (size_t i = 0; i < total / sizeof(chunk); i++) {
            memset(chunk, 'a' + (int)(i % 26), sizeof(chunk));
            if (write(fds[1], chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk)) {
                _exit(1);
            }
        }
        _exit(0);
    }
    close(fds[1]);
    snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
    enum hp_err rc = hp_file_read(path, total, &data, &len, &err);
    close(fds[0]);
    ck_assert_msg(rc == HP_OK, "expected HP_OK, got %d: %s", rc, err.msg);
    ck_assert_uint_eq(len, total);
    ck_assert_int_eq(data[0], 'a');
    ck_assert_int_eq(data[total - 1], 'a' + (int)((total / 1000 - 1) % 26));
    free(data);
}
END_TEST

START_TEST(test_util_file_replace)
{
    struct hp_error err = {0};
    char names[512];
    struct stat st;

    mode_t old = umask(077);
    tu_write_text(tu_path(tu_dir, "out.yaml"), "old contents, longer than the new\n");
    enum hp_err rc = hp_file_replace(tu_path(tu_dir, "out.yaml"), "new\n", 4, 0644, &err);
    umask(old);
    ck_assert_msg(rc == HP_OK, "expected HP_OK, got %d: %s", rc, err.msg);
    size_t len = 0;
    char *data = tu_read_file(tu_path(tu_dir, "out.yaml"), &len);
    ck_assert_str_eq(data, "new\n");
    free(data);
    ck_assert_int_eq(stat(tu_path(tu_dir, "out.yaml"), &st), 0);
    ck_assert_msg((st.st_mode & 07777) == 0644, "mode %o, want 644 whatever the umask",
                  st.st_mode & 07777);

    ck_assert_int_eq(hp_file_replace(tu_path(tu_dir, "key"), "k", 1, 0600, &err), HP_OK);
    ck_assert_int_eq(stat(tu_path(tu_dir, "key"), &st), 0);
    ck_assert_msg((st.st_mode & 07777) == 0600, "mode %o, want 600", st.st_mode & 07777);

    list_dir(names, sizeof(names));
    ck_assert_msg(strstr(names, ".tmp") == NULL, "temporary files left: \"%s\"", names);

    /* A relative path is replaced in the current directory. */
    char cwd[PATH_MAX];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_int_eq(chdir(tu_dir), 0);
    rc = hp_file_replace("rel", "r", 1, 0644, &err);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_msg(rc == HP_OK, "relative: %s", err.msg);
    ck_assert_int_eq(stat(tu_path(tu_dir, "rel"), &st), 0);
}
END_TEST

START_TEST(test_util_file_replace_errors)
{
    struct hp_error err = {0};
    char names[512];
    char want[PATH_MAX + 128];

    /* A directory in the way: the rename fails and the temporary file goes. */
    ck_assert_int_eq(mkdir(tu_path(tu_dir, "d"), 0700), 0);
    ck_assert_int_eq(hp_file_replace(tu_path(tu_dir, "d"), "x", 1, 0644, &err), HP_ERR_IO);
    ck_assert_msg(strstr(err.msg, "d: Is a directory") != NULL, "got \"%s\"", err.msg);
    list_dir(names, sizeof(names));
    ck_assert_str_eq(names, "d");

    ck_assert_int_eq(hp_file_replace(tu_path(tu_dir, "nodir/f"), "x", 1, 0644, &err), HP_ERR_IO);
    snprintf(want, sizeof(want),
             "cannot create a temporary file beside %s: No such file or directory",
             tu_path(tu_dir, "nodir/f"));
    assert_msg(&err, want);

    /* Staged but not committed: discard removes the temporary file only. */
    struct hp_file_staged st;
    ck_assert_int_eq(hp_file_stage(tu_path(tu_dir, "staged"), "s", 1, 0644, &st, &err), HP_OK);
    ck_assert(st.pending);
    hp_file_discard(&st, 1);
    ck_assert(!st.pending);
    list_dir(names, sizeof(names));
    ck_assert_str_eq(names, "d");
}
END_TEST

START_TEST(test_util_file_write_all)
{
    struct hp_error err = {0};
    int fds[2];
    char got[8] = {0};

    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(hp_file_write_all(fds[1], "pipe", "hello", 5, &err), HP_OK);
    ck_assert_int_eq(read(fds[0], got, sizeof(got)), 5);
    ck_assert_str_eq(got, "hello");
    close(fds[0]);
    close(fds[1]);
    ck_assert_int_eq(hp_file_write_all(fds[1], "closed", "x", 1, &err), HP_ERR_IO);
    assert_msg(&err, "closed: Bad file descriptor");
}
END_TEST

START_TEST(test_util_file_mkdir_p)
{
    struct hp_error err = {0};
    struct stat st;
    char want[PATH_MAX + 128];

    mode_t old = umask(077);
    enum hp_err rc = hp_file_mkdir_p(tu_path(tu_dir, "a/b/c/"), 0750, &err);
    umask(old);
    ck_assert_msg(rc == HP_OK, "expected HP_OK, got %d: %s", rc, err.msg);
    ck_assert_int_eq(stat(tu_path(tu_dir, "a/b/c"), &st), 0);
    ck_assert_msg((st.st_mode & 07777) == 0750, "mode %o, want 750 whatever the umask",
                  st.st_mode & 07777);
    ck_assert_int_eq(hp_file_mkdir_p(tu_path(tu_dir, "a/b"), 0700, &err), HP_OK);

    tu_write_text(tu_path(tu_dir, "file"), "x");
    ck_assert_int_eq(hp_file_mkdir_p(tu_path(tu_dir, "file"), 0700, &err), HP_ERR_IO);
    snprintf(want, sizeof(want), "%s: Not a directory", tu_path(tu_dir, "file"));
    assert_msg(&err, want);
    ck_assert_int_eq(hp_file_mkdir_p(tu_path(tu_dir, "file/sub"), 0700, &err), HP_ERR_IO);
    snprintf(want, sizeof(want), "cannot create the directory %s: Not a directory",
             tu_path(tu_dir, "file/sub"));
    assert_msg(&err, want);
    ck_assert_int_eq(hp_file_mkdir_p("", 0700, &err), HP_ERR_INVALID);
}
END_TEST

static const struct {
    int64_t t;
    const char *want;
} time_cases[] = {
    {0, "1970-01-01T00:00:00Z"},
    {1800000000, "2027-01-15T08:00:00Z"},
    {951782400, "2000-02-29T00:00:00Z"},
    {-1, "1969-12-31T23:59:59Z"},
    {253402300799, "9999-12-31T23:59:59Z"},
};

START_TEST(test_util_time_format)
{
    char buf[HP_TIME_TEXT_MAX];
    hp_time_format(time_cases[_i].t, buf, sizeof(buf));
    ck_assert_msg(strcmp(buf, time_cases[_i].want) == 0, "%lld: expected %s, got %s",
                  (long long)time_cases[_i].t, time_cases[_i].want, buf);
    /* And back: the parser reads what the formatter writes. */
    int64_t back = 0;
    struct hp_error err = {0};
    ck_assert_int_eq(hp_time_parse(buf, &back, &err), HP_OK);
    ck_assert_msg(back == time_cases[_i].t, "%s: parsed back as %lld", buf, (long long)back);
}
END_TEST

START_TEST(test_util_time_format_small)
{
    char small[8];
    hp_time_format(0, small, sizeof(small));
    ck_assert_str_eq(small, "@0");
    char none[1] = {'x'};
    hp_time_format(0, none, 0);
    ck_assert_int_eq(none[0], 'x');
}
END_TEST

START_TEST(test_util_buf_take)
{
    struct hp_buf b;
    size_t len = 0;

    hp_buf_init(&b, 16);
    ck_assert(hp_buf_puts(&b, "hello"));
    char *data = hp_buf_take(&b, &len);
    ck_assert_str_eq(data, "hello");
    ck_assert_uint_eq(len, 5);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.max, 16);
    /* The buffer is usable again, cap included; the taken memory is ours. */
    ck_assert(hp_buf_puts(&b, "again"));
    ck_assert(!hp_buf_puts(&b, "and much too long"));
    ck_assert_str_eq(data, "hello");
    free(data);
    hp_buf_cleanup(&b);

    hp_buf_init(&b, 0);
    data = hp_buf_take(&b, NULL);
    ck_assert_ptr_nonnull(data);
    ck_assert_str_eq(data, "");
    free(data);
}
END_TEST

static Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("file");
    tcase_add_checked_fixture(tc, tu_scratch_setup, tu_scratch_teardown);
    tcase_add_test(tc, test_util_file_read_contents);
    tcase_add_test(tc, test_util_file_read_errors);
    tcase_add_test(tc, test_util_file_read_stream);
    tcase_add_test(tc, test_util_file_replace);
    tcase_add_test(tc, test_util_file_replace_errors);
    tcase_add_test(tc, test_util_file_write_all);
    tcase_add_test(tc, test_util_file_mkdir_p);
    suite_add_tcase(s, tc);
    tc = tcase_create("time and buffers");
    tcase_add_loop_test(tc, test_util_time_format, 0, (int)N_ELEMS(time_cases));
    tcase_add_test(tc, test_util_time_format_small);
    tcase_add_test(tc, test_util_buf_take);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(util_suite, tu_root, "hp-util");
}
