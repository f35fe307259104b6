/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whole files, the way every module reads and writes them: a capped read into
 * memory, a write that retries until every byte is out, and a replace that a
 * crash can never leave half-written (temporary file beside the destination,
 * fsync, rename, fsync of the directory). Errors name the path and carry the
 * errno text. No shared state; thread-safe.
 */
#ifndef HARDPOD_FILE_H
#define HARDPOD_FILE_H

#include "hardpod/error.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads the whole of path (a regular file, a pipe or a device such as
 * /dev/stdin), at most max bytes, into a NUL-terminated heap buffer.
 * *data is owned by the caller (free(), or hp_file_free_secret for key
 * material), *len its length without the NUL; the bytes may contain NULs.
 * Errors, with *data NULL and *len 0: HP_ERR_IO "PATH: No such file or
 * directory" when it cannot be opened, "PATH: cannot read: ..." when a read
 * fails; HP_ERR_LIMIT "PATH: the file is N bytes, over the limit of MAX" (or,
 * for a stream, "PATH: the file is over the limit of MAX bytes"). The
 * buffers left behind while the read grows are wiped, so a key read with it
 * leaves no copy on the heap once the caller wipes the result. */
enum hp_err hp_file_read(const char *path, size_t max, char **data, size_t *len,
                         struct hp_error *err);

/* Wipes data[0..len) (the compiler may not drop it) and frees it; NULL is a no-op. */
void hp_file_free_secret(char *data, size_t len);

/* Writes all of data to fd, retrying after EINTR and short writes. On error
 * (HP_ERR_IO "NAME: <errno text>") some bytes may have been written. name
 * only labels the message. */
enum hp_err hp_file_write_all(int fd, const char *name, const void *data, size_t len,
                              struct hp_error *err);

/* A file written to a temporary name beside its destination, waiting to be
 * renamed over it. The caller's storage; fill it with hp_file_stage. */
struct hp_file_staged {
    char tmp[PATH_MAX];
    char dst[PATH_MAX];
    bool pending; /* tmp exists and still has to be renamed or removed */
};

/* Writes data to a new, unpredictably named file beside path
 * (".NAME.XXXXXX.tmp" in the same directory, created O_EXCL), gives it
 * exactly mode whatever the umask, fsyncs it and records it in st. path is
 * not touched yet. On error nothing is left behind and st is not pending. */
enum hp_err hp_file_stage(const char *path, const void *data, size_t len, mode_t mode,
                          struct hp_file_staged *st, struct hp_error *err);

/* Renames every pending file of st[0..n) over its destination, in order,
 * then fsyncs each destination's directory so that the renames survive a
 * crash. Stops at the first failure; files already renamed stay renamed and
 * the others stay pending for hp_file_discard. */
enum hp_err hp_file_commit(struct hp_file_staged *st, size_t n, struct hp_error *err);

/* Removes the temporary files of st[0..n) that were not committed. */
void hp_file_discard(struct hp_file_staged *st, size_t n);

/* hp_file_stage, then hp_file_commit: replaces path atomically with data,
 * with mode. Readers see the old file or the new one, never a part. */
enum hp_err hp_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                            struct hp_error *err);

/* Creates dir and any missing parents (like mkdir -p), each new one with
 * mode; a dir that this call creates gets exactly mode whatever the umask.
 * HP_ERR_IO naming the part that failed, or "DIR: Not a directory". */
enum hp_err hp_file_mkdir_p(const char *dir, mode_t mode, struct hp_error *err);

#endif
