/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one UTF-8 decoder (see hardpod/utf8.h). Validity only: nothing here
 * converts, normalises or allocates.
 */
#include "hardpod/utf8.h"

#include <stdint.h>
#include <string.h>

size_t hp_utf8_len(const char *s, size_t n)
{
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    const unsigned char *p = (const unsigned char *)s;
    if (n == 0) {
        return 0;
    }
    unsigned char c = p[0];
    if (c < 0x80) {
        return 1;
    }
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || len > n) {
        return 0;
    }
    uint32_t cp = c & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

bool hp_utf8_valid(const char *s, size_t n, size_t *bad_at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* ASCII runs, 32 and then 8 bytes at a time. */
        if (i + 32 <= n) {
            uint64_t w[4];
            memcpy(w, p + i, 32);
            if (((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull) == 0) {
                i += 32;
                continue;
            }
        }
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        size_t len = hp_utf8_len(s + i, n - i);
        if (len == 0) {
            if (bad_at != NULL) {
                *bad_at = i;
            }
            return false;
        }
        i += len;
    }
    return true;
}

size_t hp_utf8_repair(char *s)
{
    size_t n = strlen(s);
    if (hp_utf8_valid(s, n, NULL)) {
        return n;
    }
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        size_t len = hp_utf8_len(s + i, n - i);
        if (len == 0) {
            i++;
            continue;
        }
        memmove(s + out, s + i, len);
        out += len;
        i += len;
    }
    s[out] = '\0';
    return out;
}
