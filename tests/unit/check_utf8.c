/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/util/utf8.c and src/util/json_text.c: the one UTF-8
 * decoder (every sequence class at its edges, against a reference that
 * decodes by code point), repair, and the JSON string escaper with its two
 * caps, which must cut only between characters and always leave valid JSON.
 */
#include "hardpod/buf.h"
#include "hardpod/json_text.h"
#include "hardpod/utf8.h"
#include "testutil.h"

#include <check.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *bytes;
    size_t n;
    size_t len; /* what hp_utf8_len says at the start */
} seqs[] = {
    {"a", 1, 1},
    {"\0", 1, 1},
    {"\x7f", 1, 1},
    {"\xc2\x80", 2, 2},
    {"\xdf\xbf", 2, 2},
    {"\xc0\xaf", 2, 0}, /* overlong */
    {"\xc1\xbf", 2, 0}, /* overlong */
    {"\xe0\xa0\x80", 3, 3},
    {"\xe0\x9f\xbf", 3, 0}, /* overlong */
    {"\xed\x9f\xbf", 3, 3}, /* U+D7FF */
    {"\xed\xa0\x80", 3, 0}, /* U+D800, a surrogate */
    {"\xed\xbf\xbf", 3, 0}, /* U+DFFF */
    {"\xee\x80\x80", 3, 3}, /* U+E000 */
    {"\xef\xbf\xbf", 3, 3},
    {"\xf0\x90\x80\x80", 4, 4},
    {"\xf0\x8f\xbf\xbf", 4, 0}, /* overlong */
    {"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF */
    {"\xf4\x90\x80\x80", 4, 0}, /* above U+10FFFF */
    {"\xf5\x80\x80\x80", 4, 0},
    {"\xf8\x88\x80\x80\x80", 5, 0},
    {"\xff", 1, 0},
    {"\x80", 1, 0}, /* a continuation byte alone */
    {"\xc3", 1, 0}, /* cut short by n */
    {"\xe6\x97", 2, 0},
    {"\xc3(", 2, 0},      /* not followed by a continuation byte */
    {"\xe6\x97\0", 4, 0}, /* a NUL ends the look */
};

START_TEST(test_utf8_len_edges)
{
    for (size_t i = 0; i < N_ELEMS(seqs); i++) {
        size_t got = hp_utf8_len(seqs[i].bytes, seqs[i].n);
        ck_assert_msg(got == seqs[i].len, "case %zu: expected %zu, got %zu", i, seqs[i].len, got);
        size_t bad = 99;
        bool valid = hp_utf8_valid(seqs[i].bytes, seqs[i].n, &bad);
        bool want = seqs[i].len == seqs[i].n || (seqs[i].len == 1 && seqs[i].n == 1);
        ck_assert_msg(valid == want, "case %zu: valid %d", i, valid);
        if (!valid) {
            ck_assert_uint_eq(bad, 0);
        }
    }
    ck_assert_uint_eq(hp_utf8_len("a", 0), 0);
}
END_TEST

/* The decoder by code point, for every code point: encode, then check. */
static size_t encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

START_TEST(test_utf8_every_code_point)
{
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        char b[4];
        size_t n = encode(cp, b);
        bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        size_t got = hp_utf8_len(b, n);
        if (got != (surrogate ? 0 : n)) {
            ck_abort_msg("U+%04X: expected %zu, got %zu", (unsigned)cp, surrogate ? 0 : n, got);
        }
    }
}
END_TEST

START_TEST(test_utf8_valid_runs)
{
    /* The fault is found at its offset past ASCII runs read eight and 32
     * bytes at a time. */
    for (size_t at = 0; at < 80; at++) {
        char s[100];
        memset(s, 'a', sizeof(s));
        memcpy(s + 10, "\xc3\xa9", 2);
        s[at < 10 || at > 11 ? at : 12] = (char)0xff;
        size_t bad = 0;
        ck_assert(!hp_utf8_valid(s, sizeof(s), &bad));
        ck_assert_uint_eq(bad, at < 10 || at > 11 ? at : 12);
    }
}
END_TEST

START_TEST(test_utf8_repair)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},       {"caf\xc3\xa9", "caf\xc3\xa9"}, {"a\xffz", "az"},
        {"cut \xe6\x97", "cut "}, {"\xc0\xaf\xed\xa0\x80x", "x"},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        char s[64];
        snprintf(s, sizeof(s), "%s", cases[i].in);
        size_t n = hp_utf8_repair(s);
        ck_assert_str_eq(s, cases[i].out);
        ck_assert_uint_eq(n, strlen(cases[i].out));
    }
}
END_TEST

/* hp_buf_put_json_string: every escape, U+FFFD for bad bytes, and a
 * result json-c reads back. */
START_TEST(test_json_text_escapes)
{
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"", 0, "\"\""},
        {"a\"b\\c/", 6, "\"a\\\"b\\\\c/\""},
        {"\n\r\t\b\f\x01\x1f\x7f", 8, "\"\\n\\r\\t\\u0008\\u000c\\u0001\\u001f\x7f\""},
        {"nul\0x", 5, "\"nul\\u0000x\""},
        {"\xc3\xa9\xff\xe2\x82", 5, "\"\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct hp_buf b;
        hp_buf_init(&b, 0);
        ck_assert(hp_buf_put_json_string(&b, cases[i].in, cases[i].n));
        ck_assert_msg(strcmp(hp_buf_str(&b), cases[i].out) == 0, "case %zu: expected %s, got %s", i,
                      cases[i].out, hp_buf_str(&b));
        struct json_object *o = json_tokener_parse(hp_buf_str(&b));
        ck_assert_msg(json_object_is_type(o, json_type_string), "case %zu", i);
        json_object_put(o);
        hp_buf_cleanup(&b);
    }
    /* A buffer cap stops the string; nothing after the refused piece. */
    struct hp_buf b;
    hp_buf_init(&b, 4);
    ck_assert(!hp_buf_put_json_string(&b, "ab\ncd", 5));
    ck_assert_str_eq(hp_buf_str(&b), "\"ab");
    hp_buf_cleanup(&b);
}
END_TEST

/* Both caps cut between characters: budget in decoded bytes, room in bytes
 * written; levels 2 escapes the escapes. */
START_TEST(test_json_text_caps)
{
    static const struct {
        const char *in;
        int levels;
        size_t budget, room;
        const char *out;
        bool cut;
    } cases[] = {
        {"abcdef", 1, 4, SIZE_MAX, "abcd", true},
        {"abcdef", 1, SIZE_MAX, 4, "abcd", true},
        {"abcdef", 1, 6, 6, "abcdef", false},
        {"ab\xc3\xa9", 1, 3, SIZE_MAX, "ab", true},
        {"ab\xc3\xa9", 1, SIZE_MAX, 3, "ab", true},
        {"ab\xc3\xa9", 1, 4, 4, "ab\xc3\xa9", false},
        {"a\nb", 1, 2, SIZE_MAX, "a\\n", true}, /* \n is one decoded byte */
        {"a\nb", 1, SIZE_MAX, 2, "a", true},    /* but two written */
        {"a\xff", 1, 3, SIZE_MAX, "a", true},   /* U+FFFD decodes to three */
        {"a\"b", 2, SIZE_MAX, SIZE_MAX, "a\\\\\\\"b", false},
        {"a\nb", 2, SIZE_MAX, SIZE_MAX, "a\\\\nb", false},
        {"a\x01", 2, SIZE_MAX, SIZE_MAX, "a\\\\u0001", false},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct hp_buf b;
        hp_buf_init(&b, 0);
        struct hp_json_text t;
        hp_json_text_init(&t, &b, cases[i].levels, cases[i].budget);
        t.room = cases[i].room;
        hp_json_text_puts(&t, cases[i].in);
        ck_assert_msg(strcmp(hp_buf_str(&b), cases[i].out) == 0 && t.cut == cases[i].cut,
                      "case %zu: expected \"%s\" cut %d, got \"%s\" cut %d", i, cases[i].out,
                      cases[i].cut, hp_buf_str(&b), t.cut);
        ck_assert_uint_eq(t.written, b.len);
        /* Counting only gives the same length. */
        struct hp_json_text c;
        hp_json_text_init(&c, NULL, cases[i].levels, cases[i].budget);
        c.room = cases[i].room;
        hp_json_text_puts(&c, cases[i].in);
        ck_assert_uint_eq(c.written, b.len);
        hp_buf_cleanup(&b);
    }
}
END_TEST

START_TEST(test_json_text_capped)
{
    struct hp_buf b;
    hp_buf_init(&b, 0);
    struct hp_json_text t;
    hp_json_text_init(&t, &b, 1, SIZE_MAX);
    hp_json_text_put_capped(&t, "short", 8);
    hp_json_text_raw(&t, "|", 1);
    hp_json_text_put_capped(&t, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x", 8); /* 9 decoded bytes */
    hp_json_text_raw(&t, "|", 1);
    ck_assert_str_eq(hp_buf_str(&b), "short|\xc3\xa9\xc3\xa9...|");
    ck_assert(!t.cut);
    ck_assert_uint_eq(hp_json_text_len("\xc3\xa9\xffx"), 6);
    ck_assert_uint_eq(hp_json_text_len(NULL), 0);
    hp_buf_cleanup(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_utf8_len_edges);
    tcase_add_test(tc, test_utf8_every_code_point);
    tcase_add_test(tc, test_utf8_valid_runs);
    tcase_add_test(tc, test_utf8_repair);
    tcase_add_test(tc, test_json_text_escapes);
    tcase_add_test(tc, test_json_text_caps);
    tcase_add_test(tc, test_json_text_capped);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
