/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whole-file plumbing shared by the library and the command: capped reads
 * that wipe the copies they outgrow (the file may be a private key), writes
 * that finish, atomic replaces and mkdir -p. Knows nothing about what the
 * bytes mean.
 */
#include "hardpod/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void hp_file_free_secret(char *data, size_t len)
{
    if (data != NULL) {
        explicit_bzero(data, len);
        free(data);
    }
}

static enum hp_err io_error(struct hp_error *err, const char *path, const char *what, int e)
{
    return hp_error_set(err, HP_ERR_IO, "%s: %s%s", path, what, strerror(e));
}

/* Moves used bytes into a larger buffer, wiping the old one. */
static char *grow(char *buf, size_t used, size_t cap)
{
    char *bigger = hp_xmalloc(cap);
    if (used > 0) {
        memcpy(bigger, buf, used);
    }
    hp_file_free_secret(buf, used);
    return bigger;
}

enum hp_err hp_file_read(const char *path, size_t max, char **data, size_t *len,
                         struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    char *buf = NULL;
    size_t used = 0;
    size_t cap = 4096;
    struct stat st;

    *data = NULL;
    *len = 0;
    if (max > SIZE_MAX / 2) {
        max = SIZE_MAX / 2;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = io_error(err, path, "", errno);
        goto out;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0) {
        if ((uintmax_t)st.st_size > max) {
            rc = hp_error_set(err, HP_ERR_LIMIT, "%s: the file is %jd bytes, over the limit of %zu",
                              path, (intmax_t)st.st_size, max);
            goto out;
        }
        /* One spare byte beyond the size lets the next read see EOF without
         * growing; a file that grew meanwhile still hits the cap below. */
        cap = (size_t)st.st_size + 2;
    }
    if (cap > max + 2) {
        cap = max + 2;
    }
    buf = hp_xmalloc(cap);
    for (;;) {
        if (used + 1 >= cap) {
            if (cap >= max + 2) {
                rc = hp_error_set(err, HP_ERR_LIMIT, "%s: the file is over the limit of %zu bytes",
                                  path, max);
                goto out;
            }
            size_t next = cap > (max + 2) / 2 ? max + 2 : cap * 2;
            buf = grow(buf, used, next);
            cap = next;
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = io_error(err, path, "cannot read: ", errno);
            goto out;
        }
        if (n == 0) {
            break;
        }
        used += (size_t)n;
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    buf = NULL;
out:
    hp_file_free_secret(buf, used);
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

enum hp_err hp_file_write_all(int fd, const char *name, const void *data, size_t len,
                              struct hp_error *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return io_error(err, name, "", errno);
        }
        if (n == 0) {
            /* POSIX leaves this to devices; retrying could spin forever. */
            return io_error(err, name, "", EIO);
        }
        p += n;
        len -= (size_t)n;
    }
    return HP_OK;
}

/* Length of the directory part of path ("a/b" -> 1, "b" -> 0, "/b" -> 1). */
static size_t dir_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        return 0;
    }
    return slash == path ? 1 : (size_t)(slash - path);
}

/* Creates a fresh temporary file beside path, named after it. */
static enum hp_err create_temp(const char *path, struct hp_file_staged *st, int *fd,
                               struct hp_error *err)
{
    size_t dlen = dir_len(path);
    const char *base = path + dlen + (dlen > 0 && path[dlen] == '/' ? 1 : 0);
    int n = snprintf(st->tmp, sizeof(st->tmp), "%.*s%s.%s.XXXXXX.tmp", (int)dlen, path,
                     dlen > 0 && path[dlen] == '/' ? "/" : "", base);
    if (n < 0 || (size_t)n >= sizeof(st->tmp)) {
        return hp_error_set(err, HP_ERR_LIMIT, "%s: path is too long", path);
    }
    /* mkostemps creates the file O_EXCL with mode 0600 and a random name. */
    *fd = mkostemps(st->tmp, 4, O_CLOEXEC);
    if (*fd < 0) {
        int e = errno;
        return hp_error_set(err, HP_ERR_IO, "cannot create a temporary file beside %s: %s", path,
                            strerror(e));
    }
    return HP_OK;
}

enum hp_err hp_file_stage(const char *path, const void *data, size_t len, mode_t mode,
                          struct hp_file_staged *st, struct hp_error *err)
{
    int fd = -1;
    enum hp_err rc = HP_OK;

    st->pending = false;
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(st->dst)) {
        return hp_error_set(err, n == 0 ? HP_ERR_INVALID : HP_ERR_LIMIT, "%s: %s", path,
                            n == 0 ? "empty path" : "path is too long");
    }
    memcpy(st->dst, path, n + 1);
    rc = create_temp(path, st, &fd, err);
    if (rc != HP_OK) {
        goto out;
    }
    st->pending = true;
    /* The mode is part of callers' contracts (keys 0600, certificates
     * 0644), so it must not depend on the umask. */
    if (fchmod(fd, mode) != 0) {
        rc = io_error(err, st->tmp, "", errno);
        goto out;
    }
    rc = hp_file_write_all(fd, st->tmp, data, len, err);
    if (rc != HP_OK) {
        goto out;
    }
    if (fsync(fd) != 0) {
        rc = io_error(err, st->tmp, "", errno);
        goto out;
    }
    int closed = close(fd);
    fd = -1;
    if (closed != 0) {
        rc = io_error(err, st->tmp, "", errno);
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    if (rc != HP_OK && st->pending) {
        unlink(st->tmp);
        st->pending = false;
    }
    return rc;
}

/* Makes a rename in path's directory durable. Some file systems cannot
 * fsync a directory (EINVAL); the files are complete either way. */
static enum hp_err sync_dir(const char *path, struct hp_error *err)
{
    char dir[PATH_MAX];
    size_t dlen = dir_len(path);
    if (dlen == 0) {
        memcpy(dir, ".", 2);
    } else {
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL)) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
        }
        return io_error(err, dir, "", e);
    }
    close(fd);
    return HP_OK;
}

enum hp_err hp_file_commit(struct hp_file_staged *st, size_t n, struct hp_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!st[i].pending) {
            continue;
        }
        if (rename(st[i].tmp, st[i].dst) != 0) {
            int e = errno;
            return hp_error_set(err, HP_ERR_IO, "cannot rename %s to %s: %s", st[i].tmp, st[i].dst,
                                strerror(e));
        }
        st[i].pending = false;
    }
    for (size_t i = 0; i < n; i++) {
        /* One fsync per directory: staged files usually share one. */
        bool seen = false;
        size_t dl = dir_len(st[i].dst);
        for (size_t j = 0; j < i && !seen; j++) {
            seen = dir_len(st[j].dst) == dl && strncmp(st[j].dst, st[i].dst, dl) == 0;
        }
        enum hp_err rc = seen ? HP_OK : sync_dir(st[i].dst, err);
        if (rc != HP_OK) {
            return rc;
        }
    }
    return HP_OK;
}

void hp_file_discard(struct hp_file_staged *st, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (st[i].pending) {
            unlink(st[i].tmp);
            st[i].pending = false;
        }
    }
}

enum hp_err hp_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                            struct hp_error *err)
{
    struct hp_file_staged st;
    enum hp_err rc = hp_file_stage(path, data, len, mode, &st, err);
    if (rc == HP_OK) {
        rc = hp_file_commit(&st, 1, err);
    }
    hp_file_discard(&st, 1);
    return rc;
}

enum hp_err hp_file_mkdir_p(const char *dir, mode_t mode, struct hp_error *err)
{
    char path[PATH_MAX];
    struct stat st;
    size_t n = strlen(dir);

    if (n == 0) {
        return hp_error_set(err, HP_ERR_INVALID, "the directory name is empty");
    }
    if (n >= sizeof(path)) {
        return hp_error_set(err, HP_ERR_LIMIT, "%s: path is too long", dir);
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') {
            continue;
        }
        char saved = path[i];
        path[i] = '\0';
        bool last = saved == '\0' || path[i + 1] == '\0';
        if (mkdir(path, mode) == 0) {
            if (last && chmod(path, mode) != 0) {
                return io_error(err, path, "", errno);
            }
        } else if (errno != EEXIST) {
            int e = errno;
            return hp_error_set(err, HP_ERR_IO, "cannot create the directory %s: %s", path,
                                strerror(e));
        }
        path[i] = saved;
        if (last) {
            break;
        }
    }
    if (stat(dir, &st) != 0) {
        return io_error(err, dir, "", errno);
    }
    if (!S_ISDIR(st.st_mode)) {
        return io_error(err, dir, "", ENOTDIR);
    }
    return HP_OK;
}
