/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files and messages for src/tls: capped reads that wipe key material they
 * copy, writes that replace a file atomically (temporary file beside it,
 * fsync, rename), OpenSSL error reasons and certificate times. Knows nothing
 * about X.509 beyond ASN1_TIME.
 */
#include "tls/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void hp_tls_ssl_reason(char *buf, size_t size)
{
    size_t used = 0;
    unsigned long e;
    const char *data = NULL;
    int flags = 0;

    buf[0] = '\0';
    /* Drain the whole queue even when the buffer is full, so that stale
     * errors never leak into the next call's message. */
    while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        char one[256];
        ERR_error_string_n(e, one, sizeof(one));
        bool has_data = (flags & ERR_TXT_STRING) && data != NULL && data[0] != '\0';
        if (used + 1 >= size) {
            continue;
        }
        int n = snprintf(buf + used, size - used, "%s%s%s%s%s", used > 0 ? "; " : "", one,
                         has_data ? " (" : "", has_data ? data : "", has_data ? ")" : "");
        if (n < 0 || (size_t)n >= size - used) {
            used = size - 1;
        } else {
            used += (size_t)n;
        }
    }
    if (used == 0) {
        snprintf(buf, size, "no reason given");
    }
}

enum hp_err hp_tls_ssl_fail(struct hp_error *err, const char *what)
{
    char reason[HP_TLS_REASON_MAX];
    hp_tls_ssl_reason(reason, sizeof(reason));
    return hp_error_set(err, HP_ERR_CRYPTO, "%s: %s", what, reason);
}

void hp_tls_free_secret(char *data, size_t len)
{
    if (data != NULL) {
        OPENSSL_cleanse(data, len);
        free(data);
    }
}

/* Moves used bytes into a larger buffer, wiping the old one (it may hold a key). */
static char *grow(char *buf, size_t used, size_t cap)
{
    char *bigger = hp_xmalloc(cap);
    memcpy(bigger, buf, used);
    hp_tls_free_secret(buf, used);
    return bigger;
}

static enum hp_err too_large(const char *path, struct hp_error *err)
{
    return hp_error_set(err, HP_ERR_LIMIT, "%s: file is larger than %zu KiB", path,
                        HP_TLS_FILE_MAX / 1024);
}

enum hp_err hp_tls_read_file(const char *path, char **data, size_t *len, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    char *buf = NULL;
    size_t used = 0;
    size_t cap = 4096;
    struct stat st;

    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        rc = hp_error_set(err, HP_ERR_IO, "%s: %s", path, strerror(e));
        goto out;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0) {
        if ((uintmax_t)st.st_size > HP_TLS_FILE_MAX) {
            rc = too_large(path, err);
            goto out;
        }
        /* One spare byte beyond the size lets the next read see EOF without
         * growing; a file that grew meanwhile still hits the cap below. */
        cap = (size_t)st.st_size + 2;
    }
    buf = hp_xmalloc(cap);
    for (;;) {
        if (used + 1 >= cap) {
            if (cap >= HP_TLS_FILE_MAX + 2) {
                rc = too_large(path, err);
                goto out;
            }
            size_t next = cap * 2 > HP_TLS_FILE_MAX + 2 ? HP_TLS_FILE_MAX + 2 : cap * 2;
            buf = grow(buf, used, next);
            cap = next;
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            rc = hp_error_set(err, HP_ERR_IO, "%s: %s", path, strerror(e));
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
    hp_tls_free_secret(buf, used);
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

void hp_tls_format_time(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(buf, size, "@%lld", (long long)t);
    }
}

enum hp_err hp_tls_asn1_time(const ASN1_TIME *t, int64_t *out, struct hp_error *err)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        return hp_tls_ssl_fail(err, "cannot read a certificate time");
    }
    *out = (int64_t)timegm(&tm);
    return HP_OK;
}

enum hp_err hp_tls_path(char *dst, size_t size, const char *dir, const char *name,
                        struct hp_error *err)
{
    int n = snprintf(dst, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        return hp_error_set(err, HP_ERR_LIMIT, "%s/%s: path is too long", dir, name);
    }
    return HP_OK;
}

/* Creates a fresh, unpredictably named file beside st->dst. */
static enum hp_err create_temp(const char *dir, const char *name, mode_t mode,
                               struct hp_tls_staged *st, int *fd, struct hp_error *err)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned char rnd[6];
        if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1) {
            return hp_tls_ssl_fail(err, "cannot name a temporary file");
        }
        int n = snprintf(st->tmp, sizeof(st->tmp), "%s/.%s.%02x%02x%02x%02x%02x%02x.tmp", dir, name,
                         rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
        if (n < 0 || (size_t)n >= sizeof(st->tmp)) {
            return hp_error_set(err, HP_ERR_LIMIT, "%s/%s: path is too long", dir, name);
        }
        *fd = open(st->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (*fd >= 0) {
            return HP_OK;
        }
        int e = errno;
        if (e != EEXIST) {
            return hp_error_set(err, HP_ERR_IO, "%s: %s", st->tmp, strerror(e));
        }
    }
    return hp_error_set(err, HP_ERR_IO, "%s: cannot create a temporary file", st->dst);
}

static enum hp_err write_all(int fd, const char *path, const void *data, size_t len,
                             struct hp_error *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            return hp_error_set(err, HP_ERR_IO, "%s: %s", path, strerror(e));
        }
        p += n;
        len -= (size_t)n;
    }
    return HP_OK;
}

enum hp_err hp_tls_stage(const char *dir, const char *name, const void *data, size_t len,
                         mode_t mode, struct hp_tls_staged *st, struct hp_error *err)
{
    int fd = -1;
    st->pending = false;
    enum hp_err rc = hp_tls_path(st->dst, sizeof(st->dst), dir, name, err);
    if (rc != HP_OK) {
        goto out;
    }
    rc = create_temp(dir, name, mode, st, &fd, err);
    if (rc != HP_OK) {
        goto out;
    }
    st->pending = true;
    /* The mode is part of the contract (keys 0600, certificates 0644), so it
     * must not depend on the caller's umask. */
    if (fchmod(fd, mode) != 0) {
        int e = errno;
        rc = hp_error_set(err, HP_ERR_IO, "%s: %s", st->tmp, strerror(e));
        goto out;
    }
    rc = write_all(fd, st->tmp, data, len, err);
    if (rc != HP_OK) {
        goto out;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        rc = hp_error_set(err, HP_ERR_IO, "%s: %s", st->tmp, strerror(e));
        goto out;
    }
    int closed = close(fd);
    fd = -1;
    if (closed != 0) {
        int e = errno;
        rc = hp_error_set(err, HP_ERR_IO, "%s: %s", st->tmp, strerror(e));
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

enum hp_err hp_tls_commit(const char *dir, struct hp_tls_staged *st, size_t n, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    int fd = -1;
    for (size_t i = 0; i < n; i++) {
        if (!st[i].pending) {
            continue;
        }
        if (rename(st[i].tmp, st[i].dst) != 0) {
            int e = errno;
            rc = hp_error_set(err, HP_ERR_IO, "cannot rename %s to %s: %s", st[i].tmp, st[i].dst,
                              strerror(e));
            goto out;
        }
        st[i].pending = false;
    }
    /* Make the renames themselves durable. Some file systems cannot fsync a
     * directory (EINVAL); the files are complete either way. */
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL)) {
        int e = errno;
        rc = hp_error_set(err, HP_ERR_IO, "%s: %s", dir, strerror(e));
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

void hp_tls_discard(struct hp_tls_staged *st, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (st[i].pending) {
            unlink(st[i].tmp);
            st[i].pending = false;
        }
    }
}

bool hp_tls_contains(const char *data, size_t len, const char *needle)
{
    return memmem(data, len, needle, strlen(needle)) != NULL;
}

/* Whether the newest queued error says the input held no PEM block of the
 * wanted type (rather than a broken one). */
bool hp_tls_no_pem_block(void)
{
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/* Copies src into buf, ending a truncated copy with "...". */
void hp_tls_clip(char *buf, size_t size, const char *src, size_t len)
{
    if (len < size) {
        memcpy(buf, src, len);
        buf[len] = '\0';
        return;
    }
    memcpy(buf, src, size - 4);
    memcpy(buf + size - 4, "...", 4);
}

enum hp_err hp_tls_format_serial(const X509 *cert, char *buf, size_t size, struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    char *hex = NULL;

    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    if (bn != NULL) {
        hex = BN_bn2hex(bn);
    }
    if (hex == NULL) {
        rc = hp_tls_ssl_fail(err, "cannot read the certificate serial");
        goto out;
    }
    /* BN_bn2hex prints whole bytes ("0A1B"); we print the number ("A1B"). */
    size_t sign = hex[0] == '-' ? 1 : 0;
    const char *digits = hex + sign;
    while (digits[0] == '0' && digits[1] != '\0') {
        digits++;
    }
    buf[0] = '-';
    hp_tls_clip(buf + sign, size - sign, digits, strlen(digits));
out:
    OPENSSL_free(hex);
    BN_free(bn);
    return rc;
}

enum hp_err hp_tls_read_leaf(const char *path, const char *pem, size_t len, X509 **out, BIO **rest,
                             struct hp_error *err)
{
    enum hp_err rc = HP_OK;
    char reason[HP_TLS_REASON_MAX];

    *out = NULL;
    *rest = BIO_new_mem_buf(pem, (int)len);
    if (*rest == NULL) {
        return hp_tls_ssl_fail(err, path);
    }
    *out = PEM_read_bio_X509(*rest, NULL, NULL, NULL);
    if (*out == NULL) {
        bool none = hp_tls_no_pem_block();
        hp_tls_ssl_reason(reason, sizeof(reason));
        if (none) {
            bool key = hp_tls_contains(pem, len, "PRIVATE KEY-----");
            rc = hp_error_set(err, HP_ERR_INVALID, "%s: no PEM certificate found%s (%s)", path,
                              key ? ": the file holds a private key" : "", reason);
        } else {
            rc =
                hp_error_set(err, HP_ERR_INVALID, "%s: invalid PEM certificate (%s)", path, reason);
        }
        BIO_free(*rest);
        *rest = NULL;
    }
    return rc;
}
