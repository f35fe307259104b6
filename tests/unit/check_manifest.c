/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the manifest loader: document splitting and lines, scalar
 * typing, tags, anchors and merge keys, positions and the problems reported
 * to callers that word their own messages, limits, the memory budget (its
 * estimates held against glibc's own count), JSON input, and the .NET
 * conformance corpus (skipped when the corpus is absent).
 */
#include "hardpod/manifest.h"
#include "testutil.h"

#include <dirent.h>
#include <json-c/json.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW(o) json_object_to_json_string_ext((o), JSON_C_TO_STRING_PLAIN)
/* A string literal that may hold NUL bytes, as pointer and length. */
#define BYTES(lit) (lit), sizeof(lit) - 1

static void parse_len(const char *text, size_t len, const struct hp_manifest_limits *lim,
                      struct hp_manifest *m)
{
    struct hp_error err = {0};
    enum hp_err rc = hp_manifest_parse(text, len, lim, m, &err);
    ck_assert_msg(rc == HP_OK, "hp_manifest_parse: expected HP_OK, got %d (%s) for input:\n%.200s",
                  (int)rc, err.msg, text);
}

static void parse(const char *text, struct hp_manifest *m)
{
    parse_len(text, strlen(text), NULL, m);
}

static void assert_len(const struct hp_manifest *m, size_t want)
{
    ck_assert_msg(m->len == want, "expected %zu documents, got %zu", want, m->len);
}

static void assert_doc_json(const struct hp_manifest_doc *d, const char *expected)
{
    struct json_object *want = tu_json(expected);
    ck_assert_msg(d->error == NULL, "expected %s, got error: %s", expected, d->error);
    ck_assert_msg(json_object_equal(d->obj, want), "expected %s\n     got %s", SHOW(want),
                  SHOW(d->obj));
    json_object_put(want);
}

static void assert_doc_error(const struct hp_manifest_doc *d, const char *needle)
{
    ck_assert_msg(d->error != NULL, "expected an error containing '%s', got none (object %s)",
                  needle, SHOW(d->obj));
    ck_assert_msg(strstr(d->error, needle) != NULL, "expected an error containing '%s', got '%s'",
                  needle, d->error);
    ck_assert_msg(d->obj == NULL, "a failed document must have no object, got %s", SHOW(d->obj));
}

/* Parses a one-document input and checks its JSON form. */
static void check_one(const char *yaml, const char *json)
{
    struct hp_manifest m;
    parse(yaml, &m);
    ck_assert_msg(m.len == 1, "expected 1 document for '%s', got %zu", yaml, m.len);
    assert_doc_json(&m.docs[0], json);
    hp_manifest_cleanup(&m);
}

/* Parses a one-document input and checks that it failed with needle in the message. */
static void check_one_error(const char *yaml, const char *needle)
{
    struct hp_manifest m;
    parse(yaml, &m);
    ck_assert_msg(m.len == 1, "expected 1 document for '%s', got %zu", yaml, m.len);
    assert_doc_error(&m.docs[0], needle);
    hp_manifest_cleanup(&m);
}

static void assert_lines(const struct hp_manifest *m, const size_t *want, size_t n)
{
    assert_len(m, n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(m->docs[i].line == want[i], "document %zu: expected line %zu, got %zu", i,
                      want[i], m->docs[i].line);
    }
}

START_TEST(test_manifest_multi_doc_lines)
{
    const char *yaml = "# leading comment\n" /* 1 */
                       "apiVersion: v1\n"    /* 2 */
                       "kind: A\n"           /* 3 */
                       "---\n"               /* 4 */
                       "# comment\n"         /* 5 */
                       "\n"                  /* 6 */
                       "kind: B\n"           /* 7 */
                       "--- \n"              /* 8 */
                       "kind: C\n"           /* 9 */
                       "...\n"               /* 10 */
                       "---\n"               /* 11 */
                       "kind: D\n"           /* 12 */
                       "---#: |\n"           /* 13 */
                       "kind: E\n"           /* 14 */
                       "---\t# tab\n"        /* 15 */
                       "kind: F\n";          /* 16 */
    const size_t lines[] = {2, 7, 9, 12, 14, 16};
    const char *kinds[] = {"A", "B", "C", "D", "E", "F"};
    struct hp_manifest m;

    parse(yaml, &m);
    assert_lines(&m, lines, 6);
    for (size_t i = 0; i < 6; i++) {
        struct json_object *kind = NULL;
        ck_assert_msg(m.docs[i].error == NULL, "document %zu: unexpected error %s", i,
                      m.docs[i].error);
        ck_assert(json_object_object_get_ex(m.docs[i].obj, "kind", &kind));
        ck_assert_str_eq(json_object_get_string(kind), kinds[i]);
    }
    hp_manifest_cleanup(&m);
}
END_TEST

/* kubectl's reader ends a document at every `---` line, so a directive is
 * a document of its own, which go-yaml refuses; what follows a `...` in a
 * document is never read. */
START_TEST(test_manifest_yaml_directive)
{
    const char *yaml = "%YAML 1.1\n" /* 1 */
                       "---\n"
                       "kind: A\n" /* 3 */
                       "...\n"
                       "%YAML 1.1\n"
                       "# comment\n"
                       "---\n"
                       "kind: B\n"; /* 8 */
    const size_t lines[] = {1, 3, 8};
    struct hp_manifest m;

    parse(yaml, &m);
    assert_lines(&m, lines, 3);
    assert_doc_error(&m.docs[0], "line 2: did not find expected <document start>");
    assert_doc_json(&m.docs[1], "{\"kind\":\"A\"}");
    assert_doc_json(&m.docs[2], "{\"kind\":\"B\"}");
    hp_manifest_cleanup(&m);
}
END_TEST

START_TEST(test_manifest_crlf)
{
    const size_t lines[] = {1, 3};
    struct hp_manifest m;

    parse("a: 1\r\n---\r\nb: 2\r\n", &m);
    assert_lines(&m, lines, 2);
    assert_doc_json(&m.docs[0], "{\"a\":1}");
    assert_doc_json(&m.docs[1], "{\"b\":2}");
    hp_manifest_cleanup(&m);
}
END_TEST

START_TEST(test_manifest_malformed_middle_doc)
{
    const char *yaml = "kind: A\n"                       /* 1 */
                       "---\n"                           /* 2 */
                       "kind: B\n"                       /* 3 */
                       "spec:\n"                         /* 4 */
                       "  image: [YOUR NAME]/x:latest\n" /* 5 */
                       "---\n"                           /* 6 */
                       "kind: C\n"                       /* 7 */
                       "---\n"                           /* 8 */
                       "a: \"unterminated\n"             /* 9 */
                       "---\n"                           /* 10 */
                       "kind: D\n";                      /* 11 */
    const size_t lines[] = {1, 3, 7, 9, 11};
    struct hp_manifest m;

    parse(yaml, &m);
    assert_lines(&m, lines, 5);
    assert_doc_json(&m.docs[0], "{\"kind\":\"A\"}");
    assert_doc_error(&m.docs[1], "line 5: did not find expected key");
    assert_doc_error(&m.docs[1], "started at line 5");
    assert_doc_json(&m.docs[2], "{\"kind\":\"C\"}");
    assert_doc_error(&m.docs[3], "line 10:");
    assert_doc_error(&m.docs[3], "quoted scalar that started at line 9");
    assert_doc_json(&m.docs[4], "{\"kind\":\"D\"}");
    hp_manifest_cleanup(&m);
}
END_TEST

struct scalar_case {
    const char *yaml;     /* value text after "v: " */
    enum json_type type;  /* expected type */
    const char *expected; /* JSON text, or for doubles a strtod() input */
};

static const struct scalar_case scalar_cases[] = {
    /* null */
    {"", json_type_null, "null"},
    {"~", json_type_null, "null"},
    {"null", json_type_null, "null"},
    {"Null", json_type_null, "null"},
    {"NULL", json_type_null, "null"},
    /* every YAML 1.1 boolean spelling */
    {"y", json_type_boolean, "true"},
    {"Y", json_type_boolean, "true"},
    {"yes", json_type_boolean, "true"},
    {"Yes", json_type_boolean, "true"},
    {"YES", json_type_boolean, "true"},
    {"on", json_type_boolean, "true"},
    {"On", json_type_boolean, "true"},
    {"ON", json_type_boolean, "true"},
    {"true", json_type_boolean, "true"},
    {"True", json_type_boolean, "true"},
    {"TRUE", json_type_boolean, "true"},
    {"n", json_type_boolean, "false"},
    {"N", json_type_boolean, "false"},
    {"no", json_type_boolean, "false"},
    {"No", json_type_boolean, "false"},
    {"NO", json_type_boolean, "false"},
    {"off", json_type_boolean, "false"},
    {"Off", json_type_boolean, "false"},
    {"OFF", json_type_boolean, "false"},
    {"false", json_type_boolean, "false"},
    {"False", json_type_boolean, "false"},
    {"FALSE", json_type_boolean, "false"},
    /* integers; above 2^63-1 they are floats, as kubectl's JSON round trip
     * makes them, and an integral float is an integer */
    {"0", json_type_int, "0"},
    {"42", json_type_int, "42"},
    {"-17", json_type_int, "-17"},
    {"+5", json_type_int, "5"},
    {"0x1F", json_type_int, "31"},
    {"0X1f", json_type_int, "31"},
    {"-0x10", json_type_int, "-16"},
    {"0o17", json_type_int, "15"},
    {"017", json_type_int, "15"},
    {"0b101", json_type_int, "5"},
    {"-0b11", json_type_int, "-3"},
    {"1_000_000", json_type_int, "1000000"},
    {"0x_ff", json_type_int, "255"},
    {"9223372036854775807", json_type_int, "9223372036854775807"},
    {"-9223372036854775808", json_type_int, "-9223372036854775808"},
    {"9223372036854775808", json_type_double, "9223372036854775808"},
    {"18446744073709551615", json_type_double, "18446744073709551615"},
    {"0xFFFFFFFFFFFFFFFF", json_type_double, "18446744073709551615"},
    /* floats: integers beyond 64 bits, and integral floats at or above 2^63 */
    {"18446744073709551616", json_type_double, "18446744073709551616"},
    {"-9223372036854775809", json_type_int, "-9223372036854775808"},
    {"08", json_type_int, "8"},
    {"1.5", json_type_double, "1.5"},
    {"-0.25", json_type_double, "-0.25"},
    {".5", json_type_double, "0.5"},
    {"+.5", json_type_double, "0.5"},
    {"1.", json_type_int, "1"},
    {"1e3", json_type_int, "1000"},
    {"1.5E-2", json_type_double, "0.015"},
    {"6.02e+23", json_type_double, "6.02e23"},
    {"1_000.5", json_type_double, "1000.5"},
    {"1__0.5", json_type_double, "10.5"},
    {".5_5", json_type_double, "0.55"},
    {"-.5_5", json_type_double, "-0.55"},
    /* strings: quoted numbers and words stay strings, and so does everything unresolvable */
    {"'42'", json_type_string, "\"42\""},
    {"\"true\"", json_type_string, "\"true\""},
    {"'0x10'", json_type_string, "\"0x10\""},
    {"\"null\"", json_type_string, "\"null\""},
    {"''", json_type_string, "\"\""},
    {"|-\n  42", json_type_string, "\"42\""},
    {">-\n  yes", json_type_string, "\"yes\""},
    {"abc", json_type_string, "\"abc\""},
    {"yes please", json_type_string, "\"yes please\""},
    {"True1", json_type_string, "\"True1\""},
    {"0x", json_type_string, "\"0x\""},
    {"0b2", json_type_string, "\"0b2\""},
    {"1.2.3", json_type_string, "\"1.2.3\""},
    {"0x1FFFFFFFFFFFFFFFF", json_type_string, "\"0x1FFFFFFFFFFFFFFFF\""},
    {"1e999", json_type_string, "\"1e999\""},
    {"12:30", json_type_string, "\"12:30\""},
    {"+", json_type_string, "\"+\""},
    {".", json_type_string, "\".\""},
    /* after a '.', Go's ParseFloat takes a '_' only between digits */
    {"._5", json_type_string, "\"._5\""},
    {".5__5", json_type_string, "\".5__5\""},
    {".5_", json_type_string, "\".5_\""},
    {".5_e3", json_type_string, "\".5_e3\""},
    /* a timestamp stays its text */
    {"2001-12-14", json_type_string, "\"2001-12-14\""},
    /* tagged `!`: the text, whatever it looks like */
    {"! 12", json_type_string, "\"12\""},
    {"! true", json_type_string, "\"true\""},
    {"nginx:1.25", json_type_string, "\"nginx:1.25\""},
};

static void check_scalar(const struct scalar_case *c)
{
    char yaml[128];
    struct hp_manifest m;
    struct json_object *v = NULL;

    snprintf(yaml, sizeof(yaml), "v: %s\n", c->yaml);
    parse(yaml, &m);
    ck_assert_msg(m.len == 1 && m.docs[0].error == NULL, "'%s': expected a document, got %s",
                  c->yaml, m.len ? m.docs[0].error : "none");
    ck_assert_msg(json_object_object_get_ex(m.docs[0].obj, "v", &v), "'%s': no key v", c->yaml);
    ck_assert_msg(json_object_get_type(v) == c->type, "'%s': expected type %s, got %s (%s)",
                  c->yaml, json_type_to_name(c->type), json_type_to_name(json_object_get_type(v)),
                  SHOW(v));
    if (c->type == json_type_double) {
        double want = strtod(c->expected, NULL);
        double got = json_object_get_double(v);
        ck_assert_msg(isnan(want) ? isnan(got) : got == want, "'%s': expected %s, got %.17g",
                      c->yaml, c->expected, got);
    } else if (c->type != json_type_null) {
        ck_assert_msg(strcmp(SHOW(v), c->expected) == 0, "'%s': expected %s, got %s", c->yaml,
                      c->expected, SHOW(v));
    }
    hp_manifest_cleanup(&m);
}

START_TEST(test_manifest_scalar_types)
{
    for (size_t i = 0; i < sizeof(scalar_cases) / sizeof(scalar_cases[0]); i++) {
        check_scalar(&scalar_cases[i]);
    }
}
END_TEST

/* go-yaml types a key like a value, and sigs.k8s.io/yaml then makes a
 * string of it: integers in decimal, booleans as true/false, floats as Go's
 * shortest float32 text. */
START_TEST(test_manifest_keys_as_kubectl)
{
    check_one("1: a\ntrue: b\n0x10: c\n'q': d\nno: e\n1_000: f\n+5: g\n010: h\n'yes': i\n",
              "{\"1\":\"a\",\"true\":\"b\",\"16\":\"c\",\"q\":\"d\",\"false\":\"e\","
              "\"1000\":\"f\",\"5\":\"g\",\"8\":\"h\",\"yes\":\"i\"}");
    check_one("1.5: a\n1e6: b\n.inf: c\n-.Inf: d\n.nan: e\n0.1: f\n3.14159265358979: g\n1e-5: h\n"
              "123456.7: i\n-0.0: j\n2.: l\n",
              "{\"1.5\":\"a\",\"1e+06\":\"b\",\".inf\":\"c\",\"-.inf\":\"d\",\".nan\":\"e\","
              "\"0.1\":\"f\",\"3.1415927\":\"g\",\"1e-05\":\"h\",\"123456.7\":\"i\",\"-0\":\"j\","
              "\"2\":\"l\"}");
    /* 1e300 is beyond float32. */
    check_one("1e300: k\n", "{\".inf\":\"k\"}");
    /* Keys that kubectl makes the same string are one key written twice. */
    check_one_error("y: a\nOn: b\n", "duplicate key \"true\" at line 2");
    check_one_error("1: a\n'1': b\n", "duplicate key \"1\" at line 2");
    check_one_error("0x1: a\n1: b\n", "duplicate key \"1\" at line 2");
    /* A key kubectl cannot convert stops the document. */
    check_one_error("a: 1\n~: c\n", "line 2: a null mapping key `~`: kubectl cannot read it");
    check_one_error("? \n: c\n", "line 1: a null mapping key: kubectl cannot read it");
    check_one_error("n: &n null\n*n : c\n", "line 2: a null mapping key");
    check_one_error("18446744073709551615: c\n", "is an integer above 2^63-1");
    /* `<<` is a merge key only plain and untagged (or tagged `!` or !!merge). */
    check_one("'<<': a\n", "{\"<<\":\"a\"}");
    check_one("!!str <<: a\n", "{\"<<\":\"a\"}");
    check_one("m: &m <<\n*m : a\n", "{\"m\":\"<<\",\"<<\":\"a\"}");
    check_one_error("? [a]\n: b\n", "line 1: mapping keys must be scalars");
    check_one_error("x: 1\n{a: 1}: b\n", "line 2: mapping keys must be scalars");
    check_one_error("a: &l [1]\n*l : b\n", "line 2: mapping key *l is not a scalar");
}
END_TEST

START_TEST(test_manifest_tags)
{
    static const struct {
        const char *yaml;
        const char *json;
    } ok[] = {
        {"v: !!str 42", "{\"v\":\"42\"}"},
        {"v: !!str true", "{\"v\":\"true\"}"},
        {"v: !!str", "{\"v\":\"\"}"},
        {"v: !!int \"42\"", "{\"v\":42}"},
        {"v: !!int 0x10", "{\"v\":16}"},
        {"v: !!float 1", "{\"v\":1}"},
        {"v: !!float \"2.5\"", "{\"v\":2.5}"},
        {"v: !!bool yes", "{\"v\":true}"},
        {"v: !!bool 'false'", "{\"v\":false}"},
        {"v: !!null ''", "{\"v\":null}"},
        {"v: !!null ~", "{\"v\":null}"},
        {"v: !<tag:yaml.org,2002:int> '7'", "{\"v\":7}"},
        {"v: ! 12", "{\"v\":\"12\"}"},
        {"v: !custom 12", "{\"v\":\"12\"}"},
        /* go-yaml decodes !!binary (CR and LF skipped); a byte that is not
         * UTF-8 becomes U+FFFD, as Go's JSON encoder writes it. */
        {"v: !!binary aGk=", "{\"v\":\"hi\"}"},
        {"v: !!binary |\n  aG9z\n  dFBJRA==\n", "{\"v\":\"hostPID\"}"},
        {"v: !<tag:yaml.org,2002:binary> aG9zdElQQw==", "{\"v\":\"hostIPC\"}"},
        {"v: !!binary /w==", "{\"v\":\"\\ufffd\"}"},
        {"v: !!binary 4pyT/w==", "{\"v\":\"\\u2713\\ufffd\"}"},
        {"v: !!binary ''", "{\"v\":\"\"}"},
        {"v: !!merge <<", "{\"v\":\"<<\"}"},
        {"v: <<", "{\"v\":\"<<\"}"},
        {"v: !!float -3", "{\"v\":-3}"},
        {"v: !<tag:yaml.org,2002:str> 12", "{\"v\":\"12\"}"},
        {"v: !<!!int> 12", "{\"v\":\"12\"}"},
        {"v: !!seq [1]", "{\"v\":[1]}"},
    };
    static const struct {
        const char *yaml;
        const char *needle;
    } bad[] = {
        {"v: !!int abc", "line 1: cannot decode !!str `abc` as !!int"},
        {"a: 1\nv: !!int 1.5", "line 2: cannot decode !!float `1.5` as !!int"},
        {"v: !!bool 1", "cannot decode !!int `1` as !!bool"},
        {"v: !!null x", "cannot decode !!str `x` as !!null"},
        {"v: !!float abc", "cannot decode !!str `abc` as !!float"},
        {"v: !!float 18446744073709551615",
         "cannot decode !!int `18446744073709551615` as !!float"},
        {"v: !!int", "cannot decode !!null `` as !!int"},
        {"v: !!binary aGk", "!!binary value `aGk` is not valid base64"},
        {"v: !!binary 'aG k='", "is not valid base64"},
        {"v: !!binary aGk=aGk=", "is not valid base64"},
        {"v: !!binary a===", "is not valid base64"},
        {"v: !!timestamp 2001-12-14", "the !!timestamp tag is not supported"},
    };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        check_one(ok[i].yaml, ok[i].json);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        check_one_error(bad[i].yaml, bad[i].needle);
    }
}
END_TEST

START_TEST(test_manifest_anchors_aliases)
{
    struct hp_manifest m;
    struct json_object *base = NULL;
    struct json_object *copy = NULL;

    check_one("base: &b {x: 1, w: [2]}\n"
              "copy: *b\n"
              "list: &l [1, two]\n"
              "again: *l\n"
              "name: &n hello\n"
              "name2: *n\n"
              "*n : from-alias\n"
              "re: &n bye\n"
              "name3: *n\n",
              "{\"base\":{\"x\":1,\"w\":[2]},\"copy\":{\"x\":1,\"w\":[2]},\"list\":[1,\"two\"],"
              "\"again\":[1,\"two\"],\"name\":\"hello\",\"name2\":\"hello\","
              "\"hello\":\"from-alias\",\"re\":\"bye\",\"name3\":\"bye\"}");
    check_one_error("a: 1\nb: *nope\n", "line 2: undefined alias *nope");
    check_one_error("a: &x [1, *x]\n", "line 1: recursive alias *x");

    /* Aliases share the anchored object rather than copying it. */
    parse("base: &b {x: 1}\ncopy: *b\n", &m);
    ck_assert(json_object_object_get_ex(m.docs[0].obj, "base", &base));
    ck_assert(json_object_object_get_ex(m.docs[0].obj, "copy", &copy));
    ck_assert_ptr_eq(base, copy);
    hp_manifest_cleanup(&m);
}
END_TEST

/* go-yaml v2 replays a merged mapping into the one that holds the `<<`,
 * where the `<<` is written: it replaces the keys written before it, keys
 * written after it replace its values, and of a sequence of mappings the
 * earlier win. */
START_TEST(test_manifest_merge_keys)
{
    check_one("defaults: &d {a: 1, b: 2}\n"
              "other: &o {b: 3, c: 4}\n"
              "one:\n"
              "  <<: *d\n"
              "  b: 20\n"
              "two:\n"
              "  <<: [*d, *o]\n"
              "three:\n"
              "  a: 0\n"
              "  <<: {a: 9, z: 26}\n"
              "four:\n"
              "  \"<<\": literal\n"
              "five:\n"
              "  <<: *d\n"
              "  <<: *o\n"
              "six:\n"
              "  a: 0\n"
              "  <<: [{a: 7}, {a: 8, b: 8}]\n"
              "  b: 5\n"
              "seven:\n"
              "  <<: {<<: *o, c: 40}\n",
              "{\"defaults\":{\"a\":1,\"b\":2},\"other\":{\"b\":3,\"c\":4},"
              "\"one\":{\"a\":1,\"b\":20},\"two\":{\"a\":1,\"b\":2,\"c\":4},"
              "\"three\":{\"a\":9,\"z\":26},\"four\":{\"<<\":\"literal\"},"
              "\"five\":{\"a\":1,\"b\":3,\"c\":4},\"six\":{\"a\":7,\"b\":5},"
              "\"seven\":{\"b\":3,\"c\":40}}");
    /* Tagged merge keys merge too. */
    check_one("a: {x: 0, !!merge <<: {x: 1}}\n", "{\"a\":{\"x\":1}}");
    check_one("a: {x: 0, !<tag:yaml.org,2002:merge> <<: {x: 1}}\n", "{\"a\":{\"x\":1}}");
    check_one("a: {x: 0, ! <<: {x: 1}}\n", "{\"a\":{\"x\":1}}");
    check_one("a: {x: 0, !!merge '<<': {x: 1}}\n", "{\"a\":{\"x\":1}}");
    check_one_error("a:\n  <<: 5\n", "line 2: the value of a << merge key must be a mapping");
    check_one_error("a:\n  <<: [{x: 1}, 2]\n", "line 2: the value of a << merge key");
    check_one_error("l: &l [{x: 1}]\na:\n  <<: *l\n", "line 3: the value of a << merge key");
    check_one_error("l: &l {x: 1}\na:\n  <<: [[*l]]\n", "line 3: the value of a << merge key");
    check_one_error("a:\n  <<:\n", "line 2: the value of a << merge key");
    /* A key written twice is still refused, a merge between or not. */
    check_one_error("a:\n  x: 1\n  <<: {x: 2}\n  x: 3\n", "duplicate key \"x\" at line 4");
    check_one_error("a:\n  <<: {x: 2}\n  x: 3\n  x: 4\n", "duplicate key \"x\" at line 4");
    /* A typed key next to a merge may be read either way by kubectl. */
    check_one_error("a: {<<: {x: 1}}\nb: {1: x, '1': y}\n", "cannot also have a mapping key");
    check_one_error("b: {1: x}\na: {<<: {x: 1}}\n", "line 2: a document with a << merge key");
}
END_TEST

/* Each of these made `hardpod audit` pass a Pod that kubectl creates
 * privileged or with hostPID; each now reads as kubectl reads it. */
START_TEST(test_manifest_kubectl_attacks)
{
    static const struct {
        const char *yaml;
        const char *json;
    } cases[] = {
        {"securityContext:\n  privileged: false\n  <<: {privileged: true}\n",
         "{\"securityContext\":{\"privileged\":true}}"},
        {"kind: ConfigMap\n<<: {kind: Pod}\n", "{\"kind\":\"Pod\"}"},
        {"spec:\n  !!merge <<: {hostPID: true}\n", "{\"spec\":{\"hostPID\":true}}"},
        {"spec:\n  !!binary aG9zdFBJRA==: true\n", "{\"spec\":{\"hostPID\":true}}"},
        {"spec:\n  hostPID: !!binary dHJ1ZQ==\n", "{\"spec\":{\"hostPID\":\"true\"}}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_one(cases[i].yaml, cases[i].json);
    }
}
END_TEST

/* kubectl's reader: a line that starts with `---` ends a document when the
 * rest is blank or a comment and is then dropped (the first line of a stream
 * is kept: there `---#: |` is a key); any other such line is an error. */
START_TEST(test_manifest_separators_as_kubectl)
{
    struct hp_manifest m;
    struct hp_error err = {0};
    static const char *const bad[] = {
        "a: 1\n--- {kind: Pod}\n", "a: 1\n----\n",       "a: 1\n--- !!map\n",
        "a: 1\n---x: 1\n",         "a: 1\n--- |\n  x\n",
    };

    parse("kind: ConfigMap\ndata:\n  a: |\n---#: |\nkind: Pod\n", &m);
    assert_len(&m, 2);
    assert_doc_json(&m.docs[0], "{\"kind\":\"ConfigMap\",\"data\":{\"a\":\"\"}}");
    assert_doc_json(&m.docs[1], "{\"kind\":\"Pod\"}");
    ck_assert_uint_eq(m.docs[1].line, 5);
    hp_manifest_cleanup(&m);

    parse("a: 1\n--- # c\nb: 2\n---  \t\nc: 3\n---\xc2\xa0#x\nd: 4\n", &m);
    assert_len(&m, 4);
    assert_doc_json(&m.docs[3], "{\"d\":4}");
    hp_manifest_cleanup(&m);

    /* First in the stream, `---#: |` is a key with a block scalar. */
    parse("---#: |\n  text\n", &m);
    assert_len(&m, 1);
    assert_doc_json(&m.docs[0], "{\"---#\":\"text\\n\"}");
    hp_manifest_cleanup(&m);

    /* A blank line before the first `---` makes a document of its own. */
    parse("\n---#: |\nkind: Pod\n", &m);
    assert_len(&m, 1);
    assert_doc_json(&m.docs[0], "{\"kind\":\"Pod\"}");
    hp_manifest_cleanup(&m);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(hp_manifest_parse(bad[i], strlen(bad[i]), NULL, &m, &err) == HP_ERR_INVALID,
                      "'%s': expected an error", bad[i]);
        ck_assert_msg(strstr(err.msg, "line 2: a line that starts with `---`") != NULL,
                      "'%s': got '%s'", bad[i], err.msg);
        ck_assert_uint_eq(m.len, 0);
    }

    /* What follows a `...` is never read, its syntax included. */
    parse("kind: ConfigMap\n...\nkind: Pod\nspec: {hostPID: true}\n", &m);
    assert_len(&m, 1);
    assert_doc_json(&m.docs[0], "{\"kind\":\"ConfigMap\"}");
    hp_manifest_cleanup(&m);
    parse("a: 1\n...\n]]]: [\n", &m);
    assert_doc_json(&m.docs[0], "{\"a\":1}");
    hp_manifest_cleanup(&m);
    /* A lone `...` is a document go-yaml refuses. */
    parse("a: 1\n---\n...\n", &m);
    assert_len(&m, 2);
    assert_doc_error(&m.docs[1], "did not find expected node content");
    hp_manifest_cleanup(&m);
}
END_TEST

/* go-yaml v2 ends a plain scalar at `?` inside [...] and {...}; libyaml
 * keeps it, so such a document is refused, and so is `[a:]`, which
 * go-yaml reads as "a:" and libyaml refuses. */
START_TEST(test_manifest_flow_scalars)
{
    check_one_error("v: [a?b]\n", "line 1: plain scalar `a?b` holds a `?` inside [...] or {...}");
    check_one_error("v: {a: b?}\n", "plain scalar `b?` holds a `?`");
    check_one_error("v: [a:]\n", "line 1: found unexpected ':'");
    /* The escape \/ is libyaml's, not go-yaml's, and \' go-yaml's only. */
    check_one_error("a: 1\nv: \"x\\/y\"\n", "line 2: the escape \\/ in a double-quoted scalar");
    check_one_error("v: \"é\\\\\\/\"\n", "the escape \\/");
    check_one_error("v: \"a\\'b\"\n", "found unknown escape character");
    check_one("v: \"a\\\\/b\"\nw: 'a\\/b'\nx: a\\/b\nz: \"ü/\"\n",
              "{\"v\":\"a\\\\/b\",\"w\":\"a\\\\/b\",\"x\":\"a\\\\/b\",\"z\":\"ü/\"}");
    check_one("v: a?b\nw: ['a?b', ?x]\n", "{\"v\":\"a?b\",\"w\":[\"a?b\",{\"x\":null}]}");
}
END_TEST

/* Go's JSON encoder refuses NaN and infinities, so kubectl refuses the
 * document; as keys they are text. */
START_TEST(test_manifest_nan_values)
{
    static const char *const values[] = {".inf", ".Inf", "-.INF",       "+.inf",
                                         ".nan", ".NaN", "!!float .nan"};
    char yaml[64];
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        snprintf(yaml, sizeof(yaml), "v: %s\n", values[i]);
        check_one_error(yaml, "is not a number JSON can hold: kubectl cannot read it");
    }
    check_one_error("&x .nan : 1\nv: *x\n", "line 2: `.nan` is not a number JSON can hold");
    check_one("v: '.inf'\n", "{\"v\":\".inf\"}");
}
END_TEST

START_TEST(test_manifest_alias_bomb_limited)
{
    const char *bomb =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    const char *small = "a: &a [1,2,3,4,5,6,7,8,9]\nb: [*a, *a]\n";
    struct hp_manifest_limits lim = hp_manifest_default_limits;
    struct hp_manifest m;

    /* The memory budget stops it first, at the first alias that does not fit... */
    check_one_error(bomb, "line 7: alias *f, which expands to 75.5 MiB, does not fit in the "
                          "memory limit of 256 MiB");
    /* ...and the node count without it. */
    lim.max_memory = SIZE_MAX;
    parse_len(bomb, strlen(bomb), &lim, &m);
    assert_len(&m, 1);
    assert_doc_error(&m.docs[0], "more than 4000000 nodes");
    hp_manifest_cleanup(&m);
    lim.max_memory = hp_manifest_default_limits.max_memory;

    /* root, 2 keys, the anchored list (10), the list of aliases (1) and 2 x 10 expanded */
    lim.max_nodes = 34;
    parse_len(small, strlen(small), &lim, &m);
    assert_len(&m, 1);
    ck_assert_msg(m.docs[0].error == NULL, "expected success at the limit, got %s",
                  m.docs[0].error);
    hp_manifest_cleanup(&m);
    lim.max_nodes = 33;
    parse_len(small, strlen(small), &lim, &m);
    assert_len(&m, 1);
    assert_doc_error(&m.docs[0], "line 2: document has more than 33 nodes");
    hp_manifest_cleanup(&m);
}
END_TEST

static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
    size_t hl = strlen(head);
    size_t ul = strlen(unit);
    size_t tl = strlen(tail);
    char *s = malloc(hl + ul * times + tl + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, head, hl);
    for (size_t i = 0; i < times; i++) {
        memcpy(s + hl + i * ul, unit, ul);
    }
    memcpy(s + hl + ul * times, tail, tl + 1);
    return s;
}

START_TEST(test_manifest_depth_bomb_limited)
{
    size_t big = (size_t)10 * 1024 * 1024;
    char *s = malloc(big + 1);
    struct hp_manifest m;
    char *ok;
    char *deep;

    /* 10 MB of '[' on one line must fail at depth 65, not after reading it all into a tree. */
    ck_assert_ptr_nonnull(s);
    memset(s, '[', big);
    s[big] = '\0';
    parse_len(s, big, NULL, &m);
    assert_len(&m, 1);
    assert_doc_error(&m.docs[0], "line 1: nesting deeper than 64 levels");
    hp_manifest_cleanup(&m);
    free(s);

    /* Block style: "- - - ..." */
    s = repeat("", "- ", 100000, "x\n");
    parse(s, &m);
    assert_doc_error(&m.docs[0], "nesting deeper than 64 levels");
    hp_manifest_cleanup(&m);
    free(s);

    /* Exactly 64 levels load; 65 do not. */
    ok = repeat("[", "[", 63, "");
    s = repeat(ok, "]", 64, "");
    free(ok);
    parse(s, &m);
    assert_len(&m, 1);
    ck_assert_msg(m.docs[0].error == NULL, "64 levels: unexpected error %s", m.docs[0].error);
    hp_manifest_cleanup(&m);
    free(s);
    deep = repeat("---\n", "{a: ", 65, "1");
    s = repeat(deep, "}", 65, "\n");
    free(deep);
    parse(s, &m);
    assert_doc_error(&m.docs[0], "line 2: nesting deeper than 64 levels");
    hp_manifest_cleanup(&m);
    free(s);
}
END_TEST

/* Loads text's one document with a budget of limit bytes and returns what
 * the loaded tree holds of it (0 when it failed); *error gets a copy of the
 * error or NULL, *peak the budget's peak. The budget is back at 0 after. */
static size_t load_with(const char *text, size_t limit, char **error, size_t *peak)
{
    struct hp_manifest_budget b;
    struct hp_manifest_reader r;
    struct hp_manifest_doc doc;
    struct hp_error err = {0};
    size_t charged;

    hp_manifest_budget_init(&b, limit, "--max-memory");
    ck_assert_int_eq(hp_manifest_reader_init(&r, text, strlen(text), NULL, &b, &err), HP_OK);
    ck_assert_msg(hp_manifest_reader_next(&r, &doc), "no document in %.80s", text);
    ck_assert_msg((doc.obj == NULL) != (doc.error == NULL), "object %p, error %s", (void *)doc.obj,
                  doc.error);
    charged = doc.charged;
    ck_assert_msg(b.used == charged, "budget holds %zu bytes, the document %zu", b.used, charged);
    *error = doc.error != NULL ? strdup(doc.error) : NULL;
    *peak = b.peak;
    hp_manifest_doc_cleanup(&doc);
    ck_assert_msg(!hp_manifest_reader_next(&r, &doc), "expected one document");
    hp_manifest_reader_cleanup(&r);
    ck_assert_msg(b.used == 0, "%zu bytes still charged after cleanup", b.used);
    return charged;
}

START_TEST(test_manifest_memory_limit)
{
    static const char *const docs[] = {
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - {name: c}\n",
        "- {}\n- {}\n- [x, y]\n- 'long string value with some text'\n- 1.5\n- true\n",
        "a: &a {x: [1, 2, 3], v: z}\nb: *a\nc: {<<: *a, w: 1}\n",
        "{\"items\": [{\"a\": 1}, {\"b\": [2, 3]}, null], \"kind\": \"List\"}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        char *error = NULL;
        size_t peak = 0;
        size_t tree = load_with(docs[i], SIZE_MAX, &error, &peak);
        ck_assert_msg(error == NULL && tree > 0 && peak >= tree, "doc %zu: %s", i, error);

        /* Just enough: it loads, with the same charge. */
        size_t again = load_with(docs[i], peak, &error, &peak);
        ck_assert_msg(error == NULL, "doc %zu with a limit of its peak %zu: %s", i, peak, error);
        ck_assert_msg(again == tree, "doc %zu: %zu bytes, then %zu", i, tree, again);

        /* One byte less: an error that names a line, the limit and the flag. */
        ck_assert_uint_eq(load_with(docs[i], peak - 1, &error, &peak), 0);
        ck_assert_msg(error != NULL && strncmp(error, "line ", 5) == 0 &&
                          strstr(error, "does not fit in the memory limit of ") != NULL &&
                          strstr(error, "(raise it with --max-memory)") != NULL,
                      "doc %zu with a limit of %zu: expected the budget's error, got %s", i,
                      peak - 1, error);
        free(error);
    }
}
END_TEST

START_TEST(test_manifest_memory_alias_expanded)
{
    char *error = NULL;
    size_t peak = 0;
    /* An alias is charged what it expands to: as much as the text written out. */
    size_t aliased = load_with("a: &a {x: [1, 2, 3], y: z}\nb: *a\n", SIZE_MAX, &error, &peak);
    size_t written =
        load_with("a: {x: [1, 2, 3], y: z}\nb: {x: [1, 2, 3], y: z}\n", SIZE_MAX, &error, &peak);
    ck_assert_msg(aliased == written, "aliased %zu bytes, written out %zu", aliased, written);

    /* A bomb stops at its first alias that does not fit, whatever the node limit. */
    ck_assert_uint_eq(load_with("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                                "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
                                (size_t)1 << 20, &error, &peak),
                      0);
    ck_assert_msg(error != NULL && strstr(error, "line 4: alias *c, which expands to ") != NULL &&
                      strstr(error, "does not fit in the memory limit of 1 MiB") != NULL,
                  "got %s", error);
    free(error);
}
END_TEST

START_TEST(test_manifest_memory_streams)
{
    /* 50 documents of about 500 KiB of tree each: a 1 MiB budget holds one
     * at a time (with libyaml's share), never two. */
    char *list = repeat("---\nitems:\n", "- {a: 1, b: [x, y]}\n", 300, "");
    char *stream = repeat("", list, 50, "");
    struct hp_manifest_budget b;
    struct hp_manifest_reader r;
    struct hp_manifest_doc doc;
    struct hp_manifest_limits lim = hp_manifest_default_limits;
    struct hp_manifest m;
    size_t n = 0;
    size_t failed = 0;

    hp_manifest_budget_init(&b, (size_t)1 << 20, NULL);
    ck_assert_int_eq(hp_manifest_reader_init(&r, stream, strlen(stream), NULL, &b, NULL), HP_OK);
    while (hp_manifest_reader_next(&r, &doc)) {
        ck_assert_msg(doc.error == NULL, "document %zu: %s", n, doc.error);
        ck_assert_msg(doc.charged > (size_t)400 * 1024, "document %zu: only %zu bytes", n,
                      doc.charged);
        n++;
        hp_manifest_doc_cleanup(&doc);
    }
    hp_manifest_reader_cleanup(&r);
    ck_assert_uint_eq(n, 50);
    ck_assert_msg(b.used == 0 && b.peak <= b.limit, "used %zu, peak %zu", b.used, b.peak);

    /* hp_manifest_parse keeps every tree, so only the first fits. */
    lim.max_memory = (size_t)1 << 20;
    parse_len(stream, strlen(stream), &lim, &m);
    assert_len(&m, 50);
    for (size_t i = 0; i < m.len; i++) {
        failed += m.docs[i].error != NULL;
    }
    ck_assert_msg(m.docs[0].error == NULL && failed == 49, "%zu of 50 documents failed (first: %s)",
                  failed, m.docs[0].error != NULL ? m.docs[0].error : "ok");
    assert_doc_error(&m.docs[49], "does not fit in the memory limit of 1 MiB");
    hp_manifest_cleanup(&m);
    free(list);
    free(stream);
}
END_TEST

struct items_seen {
    size_t n;
    size_t lines[8];
    char text[8][64];
    size_t root_line;
    size_t used_max; /* the budget's use while an item is handed over */
    struct hp_manifest_budget *b;
};

static void collect_item(void *arg, struct json_object *item, size_t line, struct json_object *root,
                         size_t root_line)
{
    struct items_seen *s = arg;
    (void)root;
    if (s->n < 8) {
        s->lines[s->n] = line;
        snprintf(s->text[s->n], sizeof(s->text[0]), "%s",
                 json_object_to_json_string_ext(item, JSON_C_TO_STRING_PLAIN));
    }
    s->root_line = root_line;
    if (s->b->used > s->used_max) {
        s->used_max = s->b->used;
    }
    s->n++;
}

START_TEST(test_manifest_items_handed_over)
{
    /* Items one at a time, at their lines, anchors alive for later items,
     * and the document comes with its items emptied. */
    const char *text = "---\nkind: List\nitems:\n- &a {x: 1}\n- [*a]\n- plain\nmore: 1\n";
    struct hp_manifest_budget b;
    struct hp_manifest_reader r;
    struct hp_manifest_doc doc;
    struct items_seen seen = {.b = &b};

    hp_manifest_budget_init(&b, (size_t)1 << 20, NULL);
    ck_assert_int_eq(hp_manifest_reader_init(&r, text, strlen(text), NULL, &b, NULL), HP_OK);
    hp_manifest_reader_set_first_line(&r, 10);
    r.on_item = collect_item;
    r.on_item_arg = &seen;
    ck_assert(hp_manifest_reader_next(&r, &doc));
    ck_assert_msg(doc.error == NULL, "%s", doc.error);
    ck_assert_uint_eq(seen.n, 3);
    ck_assert_uint_eq(seen.root_line, 12);
    ck_assert_uint_eq(seen.lines[0], 14);
    ck_assert_uint_eq(seen.lines[2], 16);
    ck_assert_str_eq(seen.text[0], "{\"x\":1}");
    ck_assert_str_eq(seen.text[1], "[{\"x\":1}]");
    ck_assert_str_eq(seen.text[2], "\"plain\"");
    ck_assert_str_eq(json_object_to_json_string_ext(doc.obj, JSON_C_TO_STRING_PLAIN),
                     "{\"kind\":\"List\",\"items\":[],\"more\":1}");
    hp_manifest_doc_cleanup(&doc);
    ck_assert(!hp_manifest_reader_next(&r, &doc));
    hp_manifest_reader_cleanup(&r);
    ck_assert_uint_eq(b.used, 0);

    /* 3000 items of about 2 KiB of tree each: the budget holds one at a time. */
    char *list = repeat("items:\n", "- {a: 1, b: [x, y], c: {d: e}}\n", 3000, "");
    struct items_seen many = {.b = &b};
    hp_manifest_budget_init(&b, (size_t)1 << 20, NULL);
    ck_assert_int_eq(hp_manifest_reader_init(&r, list, strlen(list), NULL, &b, NULL), HP_OK);
    r.on_item = collect_item;
    r.on_item_arg = &many;
    ck_assert(hp_manifest_reader_next(&r, &doc));
    ck_assert_msg(doc.error == NULL, "%s", doc.error);
    ck_assert_uint_eq(many.n, 3000);
    hp_manifest_doc_cleanup(&doc);
    hp_manifest_reader_cleanup(&r);
    ck_assert_msg(b.used == 0 && b.peak < (size_t)600 * 1024, "used %zu, peak %zu", b.used, b.peak);
    free(list);
}
END_TEST

/* The heap in use, as glibc counts it. */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

START_TEST(test_manifest_memory_estimate)
{
    /* Big shapes, so that allocator noise is small beside them. */
    static const struct {
        const char *name;
        const char *head;
        const char *unit;
        size_t times;
        const char *tail;
    } shapes[] = {
        {"empty mappings", "", "- {}\n", 50000, ""},
        {"empty sequences", "[", "[],", 50000, "[]]"},
        {"empty strings", "", "- ''\n", 50000, ""},
        {"integers", "", "- 12345\n", 50000, ""},
        {"env entries", "env:\n", "- {name: VARIABLE_NAME, value: some-value}\n", 30000, ""},
        {"long strings", "",
         "- 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\n", 30000, ""},
    };
    const char *sanitize = getenv("HP_SANITIZE");

    if (sanitize != NULL && sanitize[0] != '\0') {
        /* The sanitizers replace malloc; there is no glibc count to compare with. */
        return;
    }
    /* One more shape: a mapping of 50000 keys, which grows json-c's hash table. */
    size_t keys_len = 50000 * 12 + 8;
    char *keys = malloc(keys_len);
    ck_assert_ptr_nonnull(keys);
    size_t at = 0;
    for (int k = 0; k < 50000; k++) {
        at += (size_t)snprintf(keys + at, keys_len - at, "k%06d: 1\n", k);
    }
    for (size_t i = 0; i <= sizeof(shapes) / sizeof(shapes[0]); i++) {
        bool last = i == sizeof(shapes) / sizeof(shapes[0]);
        const char *name = last ? "keys of one mapping" : shapes[i].name;
        char *text =
            last ? keys : repeat(shapes[i].head, shapes[i].unit, shapes[i].times, shapes[i].tail);
        struct hp_manifest_budget b;
        struct hp_manifest_reader r;
        struct hp_manifest_doc doc;

        hp_manifest_budget_init(&b, SIZE_MAX, NULL);
        ck_assert_int_eq(hp_manifest_reader_init(&r, text, strlen(text), NULL, &b, NULL), HP_OK);
        malloc_trim(0);
        size_t before = heap_in_use();
        ck_assert(hp_manifest_reader_next(&r, &doc));
        size_t real = heap_in_use() - before;
        ck_assert_msg(doc.error == NULL, "%s: %s", name, doc.error);
        /* An upper bound, and a close one. */
        ck_assert_msg(doc.charged >= real && doc.charged <= real + real / 2 + 65536,
                      "%s: charged %zu bytes, glibc counts %zu", name, doc.charged, real);
        hp_manifest_doc_cleanup(&doc);
        hp_manifest_reader_cleanup(&r);
        free(text);
    }
}
END_TEST

START_TEST(test_manifest_duplicate_keys)
{
    struct hp_manifest m;

    check_one_error("a: 1\nb: 2\na: 3\n", "duplicate key \"a\" at line 3");
    check_one_error("{\"a\": 1, \"a\": 2}", "duplicate key \"a\" at line 1");
    check_one("a: {x: 1}\nb: {x: 2}\n", "{\"a\":{\"x\":1},\"b\":{\"x\":2}}");

    parse("kind: A\n---\nspec:\n  x: 1\n  y: 2\n  x: 3\n", &m);
    assert_len(&m, 2);
    assert_doc_json(&m.docs[0], "{\"kind\":\"A\"}");
    assert_doc_error(&m.docs[1], "duplicate key \"x\" at line 6");
    hp_manifest_cleanup(&m);
}
END_TEST

/* Loads text with hp_manifest_load_one; the caller cleans doc up. */
static enum hp_err load_one(const char *text, struct hp_manifest_doc *doc)
{
    struct hp_manifest_budget b;
    hp_manifest_budget_init(&b, HP_MANIFEST_DEFAULT_MAX_MEMORY, NULL);
    enum hp_err rc = hp_manifest_load_one(text, strlen(text), NULL, &b, doc);
    ck_assert_msg(rc != HP_OK || doc->error == NULL, "HP_OK with an error: %s", doc->error);
    return rc;
}

static void assert_pos(const struct hp_manifest_pos *p, const char *what, size_t line,
                       size_t column, size_t key_line, const char *text, bool plain)
{
    ck_assert_msg(p != NULL, "%s: no position", what);
    ck_assert_msg(p->line == line && p->column == column && p->key_line == key_line,
                  "%s: expected %zu:%zu (key line %zu), got %zu:%zu (key line %zu)", what, line,
                  column, key_line, p->line, p->column, p->key_line);
    if (text == NULL) {
        ck_assert_msg(p->text == NULL, "%s: expected no text, got \"%s\"", what, p->text);
    } else {
        ck_assert_msg(p->text != NULL && strcmp(p->text, text) == 0 && p->plain == plain,
                      "%s: expected %s\"%s\", got %s\"%s\"", what, plain ? "plain " : "", text,
                      p->plain ? "plain " : "", p->text != NULL ? p->text : "(null)");
    }
}

START_TEST(test_manifest_positions)
{
    struct hp_manifest_doc doc;
    const char *text = "# head\n"
                       "base: &b {x: 'on', w: 0x10}\n"
                       "list:\n"
                       "  - off\n"
                       "  - *b\n"
                       "merged:\n"
                       "  <<: *b\n"
                       "  z: ~\n";
    ck_assert_int_eq(load_one(text, &doc), HP_OK);
    assert_pos(doc.root_pos, "root", 2, 1, 0, NULL, false);
    struct json_object *root = doc.obj;
    struct json_object *base = json_object_object_get(root, "base");
    struct json_object *list = json_object_object_get(root, "list");
    struct json_object *merged = json_object_object_get(root, "merged");
    assert_pos(hp_manifest_pos_get(root, 0), "base", 2, 7, 2, NULL, false);
    assert_pos(hp_manifest_pos_get(root, 1), "list", 4, 3, 3, NULL, false);
    assert_pos(hp_manifest_pos_get(base, 0), "base.x", 2, 14, 2, "on", false);
    assert_pos(hp_manifest_pos_get(base, 1), "base.w", 2, 23, 2, "0x10", true);
    /* The typed value is still what kubectl makes of it. */
    ck_assert_int_eq(json_object_get_int(json_object_object_get(base, "w")), 16);
    assert_pos(hp_manifest_pos_get(list, 0), "list[0]", 4, 5, 0, "off", true);
    assert_pos(hp_manifest_pos_get(list, 1), "list[1] (an alias)", 5, 5, 0, NULL, false);
    ck_assert_ptr_eq(hp_manifest_pos_get(list, 2), NULL);
    /* Merged keys come where the `<<` is, each at the place it was written. */
    assert_pos(hp_manifest_pos_get(merged, 0), "merged.x (merged)", 2, 14, 2, "on", false);
    assert_pos(hp_manifest_pos_get(merged, 2), "merged.z", 8, 6, 8, "~", true);
    hp_manifest_doc_cleanup(&doc);

    /* A key the merge replaces takes the merged position; one written after
     * the merge takes its own, in the same place. */
    ck_assert_int_eq(load_one("a: 0\n<<: {a: 1, b: 1, c: 1}\nb: 2\n", &doc), HP_OK);
    ck_assert_str_eq(SHOW(doc.obj), "{\"a\":1,\"b\":2,\"c\":1}");
    assert_pos(hp_manifest_pos_get(doc.obj, 0), "a (merged)", 2, 9, 2, "1", true);
    assert_pos(hp_manifest_pos_get(doc.obj, 1), "b (written after)", 3, 4, 3, "2", true);
    assert_pos(hp_manifest_pos_get(doc.obj, 2), "c (merged)", 2, 21, 2, "1", true);
    hp_manifest_doc_cleanup(&doc);

    /* Without positions there are none. */
    struct hp_manifest m;
    parse("a: [1]\n", &m);
    ck_assert_ptr_eq(hp_manifest_pos_get(m.docs[0].obj, 0), NULL);
    ck_assert_ptr_eq(m.docs[0].root_pos, NULL);
    hp_manifest_cleanup(&m);
}
END_TEST

static const struct fault_case {
    const char *text;
    enum hp_manifest_fault_kind kind;
    enum hp_err code;
    size_t line;
    size_t other_line;
    const char *path;
    const char *problem;
} fault_cases[] = {
    {"a:\n  b: 1\n  c: [1, {d: 2,\n     d: 3}]\n", HP_MANIFEST_FAULT_DUPLICATE, HP_ERR_INVALID, 4,
     3, "a.c[1].d", "duplicate key \"d\""},
    {"a: 1\nb: [x\n", HP_MANIFEST_FAULT_SYNTAX, HP_ERR_INVALID, 3, 2, "b[1]",
     "did not find expected ',' or ']'"},
    {"a:\n  ? [x]\n  : y\n", HP_MANIFEST_FAULT_KEY, HP_ERR_INVALID, 2, 0, "a", "a list"},
    {"a: *nope\n", HP_MANIFEST_FAULT_ALIAS, HP_ERR_INVALID, 1, 0, "a", "undefined alias *nope"},
    {"a: [[[[1]]]]\n", HP_MANIFEST_FAULT_DEPTH, HP_ERR_LIMIT, 1, 0, "a[0][0][0]",
     "nesting deeper than 4 levels"},
    {"a: !!int x\n", HP_MANIFEST_FAULT_OTHER, HP_ERR_INVALID, 1, 0, "a",
     "cannot decode !!str `x` as !!int"},
    {"a: 1\n---\nb: 2\n", HP_MANIFEST_FAULT_SECOND_DOC, HP_ERR_INVALID, 2, 0, "",
     "a second document"},
    {"a: \"\xff\"\n", HP_MANIFEST_FAULT_ENCODING, HP_ERR_INVALID, 1, 0, "",
     "invalid UTF-8 (byte 0xff)"},
};

START_TEST(test_manifest_faults)
{
    const struct fault_case *tc = &fault_cases[_i];
    struct hp_manifest_limits lim = hp_manifest_default_limits;
    struct hp_manifest_budget b;
    struct hp_manifest_doc doc;
    lim.max_depth = 4;
    hp_manifest_budget_init(&b, HP_MANIFEST_DEFAULT_MAX_MEMORY, NULL);
    enum hp_err rc = hp_manifest_load_one(tc->text, strlen(tc->text), &lim, &b, &doc);
    ck_assert_msg(rc == tc->code, "%s: expected %d, got %d", tc->text, tc->code, rc);
    ck_assert_msg(doc.fault != NULL && doc.error != NULL && doc.obj == NULL,
                  "%s: expected a fault and an error only", tc->text);
    const struct hp_manifest_fault *f = doc.fault;
    ck_assert_msg(f->kind == tc->kind && f->line == tc->line && f->other_line == tc->other_line,
                  "%s: expected kind %d at line %zu (other %zu), got kind %d at line %zu (other "
                  "%zu)",
                  tc->text, tc->kind, tc->line, tc->other_line, f->kind, f->line, f->other_line);
    ck_assert_msg(strcmp(f->path, tc->path) == 0 && strcmp(f->problem, tc->problem) == 0,
                  "%s: expected \"%s\" at \"%s\", got \"%s\" at \"%s\"", tc->text, tc->problem,
                  tc->path, f->problem, f->path);
    hp_manifest_doc_cleanup(&doc);
    ck_assert_uint_eq(b.used, 0);
}
END_TEST

START_TEST(test_manifest_load_one)
{
    struct hp_manifest_doc doc;
    /* Empty and null documents around the one that counts are no second document. */
    ck_assert_int_eq(load_one("# only a comment\n---\n", &doc), HP_OK);
    ck_assert_ptr_eq(doc.obj, NULL);
    hp_manifest_doc_cleanup(&doc);
    ck_assert_int_eq(load_one("a: 1\n---\n~\n...\n", &doc), HP_OK);
    ck_assert_str_eq(SHOW(doc.obj), "{\"a\":1}");
    hp_manifest_doc_cleanup(&doc);
    /* A second document is named where its content starts after a `...`. */
    ck_assert_int_eq(load_one("a: 1\n...\n# note\nb: 2\n", &doc), HP_ERR_INVALID);
    ck_assert_uint_eq(doc.fault->line, 4);
    hp_manifest_doc_cleanup(&doc);
    /* A broken second document says what is wrong with it. */
    ck_assert_int_eq(load_one("a: 1\n---\nb: [\n", &doc), HP_ERR_INVALID);
    ck_assert_int_eq(doc.fault->kind, HP_MANIFEST_FAULT_SYNTAX);
    hp_manifest_doc_cleanup(&doc);
}
END_TEST

START_TEST(test_manifest_paths)
{
    char buf[HP_MANIFEST_PATH_MAX];
    char small[12];
    hp_manifest_path_key(buf, sizeof(buf), "", "spec");
    ck_assert_str_eq(buf, "spec");
    hp_manifest_path_key(buf, sizeof(buf), "spec", "a\"b\tc");
    ck_assert_str_eq(buf, "spec.a\\\"b\\x09c");
    hp_manifest_path_index(buf, sizeof(buf), "spec.containers", 12);
    ck_assert_str_eq(buf, "spec.containers[12]");
    hp_manifest_path_key(small, sizeof(small), "spec.containers", "x");
    ck_assert_str_eq(small, "spec.contai");
    hp_manifest_quote(buf, sizeof(buf), "0123456789012345678901234567890123456789012345678901", 52);
    ck_assert_str_eq(buf, "012345678901234567890123456789012345678901234567...");
}
END_TEST

START_TEST(test_manifest_max_docs)
{
    struct hp_manifest_limits lim = hp_manifest_default_limits;
    struct hp_error err = {0};
    struct hp_manifest m;
    const char *three = "a: 1\n---\nb: 2\n---\n# empty\n---\nc: 3\n";
    enum hp_err rc;

    lim.max_docs = 2;
    rc = hp_manifest_parse(three, strlen(three), &lim, &m, &err);
    ck_assert_msg(rc == HP_ERR_LIMIT, "expected HP_ERR_LIMIT, got %d", (int)rc);
    ck_assert_msg(strstr(err.msg, "more than 2 YAML documents") != NULL, "message: %s", err.msg);
    ck_assert_ptr_null(m.docs);
    ck_assert_uint_eq(m.len, 0);

    /* Empty documents do not count. */
    lim.max_docs = 3;
    parse_len(three, strlen(three), &lim, &m);
    assert_len(&m, 3);
    hp_manifest_cleanup(&m);
}
END_TEST

START_TEST(test_manifest_max_bytes)
{
    struct hp_manifest_limits lim = hp_manifest_default_limits;
    struct hp_error err = {0};
    struct hp_manifest m;
    const char *doc = "a: 1\n"; /* 5 bytes */
    enum hp_err rc;

    ck_assert_uint_eq(hp_manifest_default_limits.max_bytes, (size_t)64 * 1024 * 1024);
    ck_assert_uint_eq(hp_manifest_default_limits.max_docs, 10000);
    ck_assert_uint_eq(hp_manifest_default_limits.max_depth, 64);
    ck_assert_uint_eq(hp_manifest_default_limits.max_nodes, 4000000);
    ck_assert_uint_eq(hp_manifest_default_limits.max_memory, (size_t)256 * 1024 * 1024);

    lim.max_bytes = 4;
    rc = hp_manifest_parse(doc, 5, &lim, &m, &err);
    ck_assert_msg(rc == HP_ERR_LIMIT, "expected HP_ERR_LIMIT, got %d", (int)rc);
    ck_assert_msg(strstr(err.msg, "5 bytes") != NULL, "message: %s", err.msg);
    ck_assert_ptr_null(m.docs);
    ck_assert_uint_eq(m.len, 0);
    ck_assert_int_eq(hp_manifest_parse(doc, 5, &lim, &m, NULL), HP_ERR_LIMIT);

    lim.max_bytes = 5;
    parse_len(doc, 5, &lim, &m);
    assert_len(&m, 1);
    hp_manifest_cleanup(&m);
}
END_TEST

START_TEST(test_manifest_item_lines_list)
{
    const char *yaml = "---\n"                               /* 1 */
                       "kind: Other\n"                       /* 2 */
                       "---\n"                               /* 3 */
                       "apiVersion: v1\n"                    /* 4 */
                       "kind: List\n"                        /* 5 */
                       "items:\n"                            /* 6 */
                       "- apiVersion: v1\n"                  /* 7 */
                       "  kind: Pod\n"                       /* 8 */
                       "-\n"                                 /* 9 */
                       "  apiVersion: v1\n"                  /* 10 */
                       "  kind: Pod\n"                       /* 11 */
                       "# comment\n"                         /* 12 */
                       "- {apiVersion: v1, kind: Service}\n" /* 13 */
                       "spec:\n"                             /* 14 */
                       "  items: [1, 2]\n";                  /* 15 */
    const size_t want[] = {7, 10, 13};
    struct hp_manifest m;

    parse(yaml, &m);
    assert_len(&m, 2);
    ck_assert_uint_eq(m.docs[0].n_item_lines, 0);
    ck_assert_ptr_null(m.docs[0].item_lines);
    ck_assert_uint_eq(m.docs[1].line, 4);
    ck_assert_msg(m.docs[1].n_item_lines == 3, "expected 3 item lines, got %zu",
                  m.docs[1].n_item_lines);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_msg(m.docs[1].item_lines[i] == want[i], "item %zu: expected line %zu, got %zu", i,
                      want[i], m.docs[1].item_lines[i]);
    }
    hp_manifest_cleanup(&m);

    /* items that is not a sequence, or not at the root, records nothing */
    parse("items: {a: 1}\n---\nspec:\n  items:\n  - 1\n", &m);
    assert_len(&m, 2);
    ck_assert_uint_eq(m.docs[0].n_item_lines, 0);
    ck_assert_uint_eq(m.docs[1].n_item_lines, 0);
    hp_manifest_cleanup(&m);
}
END_TEST

START_TEST(test_manifest_bom)
{
    struct hp_manifest m;

    parse("\xef\xbb\xbf"
          "a: 1\n---\nb: 2\n",
          &m);
    assert_len(&m, 2);
    ck_assert_uint_eq(m.docs[0].line, 1);
    ck_assert_uint_eq(m.docs[1].line, 3);
    assert_doc_json(&m.docs[0], "{\"a\":1}");
    hp_manifest_cleanup(&m);

    check_one("\xef\xbb\xbf{\"a\": [1]}", "{\"a\":[1]}");
}
END_TEST

START_TEST(test_manifest_json_inputs)
{
    static const struct {
        const char *json;
        const char *expected;
    } cases[] = {
        {"{\"a\":1,\"b\":[true,null]}", "{\"a\":1,\"b\":[true,null]}"},
        {"{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null\n  ]\n}\n",
         "{\"a\":1,\"b\":[true,null]}"},
        {"{\n\t\"a\": 1,\n\t\"b\": [\n\t\t2.5\n\t]\n}\n", "{\"a\":1,\"b\":[2.5]}"},
        {"{\"s\":\"caf\\u00e9 a\\/b\"}", "{\"s\":\"caf\\u00e9 a/b\"}"},
        {"{\"n\":-12,\"f\":1.5e3,\"big\":18446744073709551615,\"e\":{},\"l\":[]}",
         "{\"n\":-12,\"f\":1500.0,\"big\":1.8446744073709552e19,\"e\":{},\"l\":[]}"},
        {"[1, \"two\", {\"three\": 3}]", "[1,\"two\",{\"three\":3}]"},
    };
    const char *list = "{\n"                                                /* 1 */
                       "  \"apiVersion\": \"v1\",\n"                        /* 2 */
                       "  \"kind\": \"List\",\n"                            /* 3 */
                       "  \"items\": [\n"                                   /* 4 */
                       "    {\"apiVersion\": \"v1\", \"kind\": \"Pod\"},\n" /* 5 */
                       "    {\n"                                            /* 6 */
                       "      \"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\"\n"
                       "    }\n"
                       "  ]\n"
                       "}\n";
    struct hp_manifest m;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_one(cases[i].json, cases[i].expected);
    }
    parse(list, &m);
    assert_len(&m, 1);
    assert_doc_json(&m.docs[0], "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":["
                                "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"},"
                                "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}]}");
    ck_assert_uint_eq(m.docs[0].n_item_lines, 2);
    ck_assert_uint_eq(m.docs[0].item_lines[0], 5);
    ck_assert_uint_eq(m.docs[0].item_lines[1], 6);
    hp_manifest_cleanup(&m);
}
END_TEST

START_TEST(test_manifest_bad_bytes)
{
    static const struct {
        const char *data;
        size_t len;
        const char *needle;
    } cases[] = {
        {BYTES("{\"a\": \"\xff\"}"), "line 1: invalid UTF-8 (byte 0xff)"},
        {BYTES("a: 1\nb: \xc0\xaf\n"), "line 2: invalid UTF-8"}, /* overlong '/' */
        {BYTES("a: \xed\xa0\x80\n"), "line 1: invalid UTF-8"},   /* surrogate */
        {BYTES("a: \xe2\x82"), "line 1: invalid UTF-8"},         /* truncated */
        {BYTES("a: 1\nb: \0\n"), "line 2: NUL character in input"},
        {BYTES("{\"a\":\0}"), "line 1: NUL character in input"},
        {BYTES("a: 1\nb: \x01\n"), "line 2: control characters are not allowed"},
    };
    struct hp_manifest m;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        parse_len(cases[i].data, cases[i].len, NULL, &m);
        ck_assert_msg(m.len == 1, "case %zu: expected 1 document, got %zu", i, m.len);
        assert_doc_error(&m.docs[0], cases[i].needle);
        hp_manifest_cleanup(&m);
    }

    /* The bad document does not stop its neighbours. */
    parse_len(BYTES("a: 1\n---\nb: \xff\n---\nc: 3\n"), NULL, &m);
    assert_len(&m, 3);
    assert_doc_json(&m.docs[0], "{\"a\":1}");
    assert_doc_error(&m.docs[1], "line 3: invalid UTF-8");
    assert_doc_json(&m.docs[2], "{\"c\":3}");
    hp_manifest_cleanup(&m);
}
END_TEST

START_TEST(test_manifest_empty_input)
{
    static const char *const empties[] = {
        "",
        "\n\n   \n",
        "---\n",
        "--- # nothing\n---\n",
        "\xef\xbb\xbf",
        "--- # nothing\n...\n",
        "---\nnull\n",
        "~\n",
    };
    struct hp_manifest m = {0};

    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        parse(empties[i], &m);
        ck_assert_msg(m.len == 0, "'%s': expected 0 documents, got %zu", empties[i], m.len);
        ck_assert_ptr_null(m.docs);
        hp_manifest_cleanup(&m);
    }
    ck_assert_int_eq(hp_manifest_parse(NULL, 0, NULL, &m, NULL), HP_OK);
    ck_assert_uint_eq(m.len, 0);
    hp_manifest_cleanup(&m);
    hp_manifest_cleanup(&m);
    hp_manifest_cleanup(NULL);
}
END_TEST

START_TEST(test_manifest_comment_only_doc)
{
    const size_t lines[] = {1, 7};
    struct hp_manifest m;

    parse("# just a comment\n", &m);
    assert_len(&m, 0);
    hp_manifest_cleanup(&m);

    parse("a: 1\n---\n# only a comment\n  # indented comment\n\n---\nb: 2\n", &m);
    assert_lines(&m, lines, 2);
    assert_doc_json(&m.docs[1], "{\"b\":2}");
    hp_manifest_cleanup(&m);
}
END_TEST

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name);
    size_t s = strlen(suffix);
    return n >= s && strcmp(name + n - s, suffix) == 0;
}

/* Calls fn on every *.yaml / *.yml file in dir; returns how many. */
static size_t for_each_yaml(const char *dir, void (*fn)(const char *path))
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t count = 0;
    char path[4096];

    ck_assert_msg(d != NULL, "cannot open %s", dir);
    while ((e = readdir(d)) != NULL) {
        if (!has_suffix(e->d_name, ".yaml") && !has_suffix(e->d_name, ".yml")) {
            continue;
        }
        int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ck_assert_msg(n > 0 && (size_t)n < sizeof(path), "path too long: %s/%s", dir, e->d_name);
        fn(path);
        count++;
    }
    closedir(d);
    return count;
}

static void load_clean(const char *path)
{
    size_t len = 0;
    char *data = tu_read_file(path, &len);
    struct hp_manifest m;

    parse_len(data, len, NULL, &m);
    ck_assert_msg(m.len > 0, "%s: no documents", path);
    for (size_t i = 0; i < m.len; i++) {
        ck_assert_msg(m.docs[i].error == NULL, "%s: document %zu (line %zu): %s", path, i,
                      m.docs[i].line, m.docs[i].error);
        ck_assert_msg(json_object_is_type(m.docs[i].obj, json_type_object),
                      "%s: document %zu (line %zu) is not a mapping", path, i, m.docs[i].line);
    }
    hp_manifest_cleanup(&m);
    free(data);
}

static void load_malformed(const char *path)
{
    size_t len = 0;
    char *data = tu_read_file(path, &len);
    struct hp_manifest m;
    size_t errors = 0;

    parse_len(data, len, NULL, &m);
    for (size_t i = 0; i < m.len; i++) {
        const char *e = m.docs[i].error;
        const char *at = e != NULL ? strstr(e, "line ") : NULL;
        if (e == NULL) {
            continue;
        }
        ck_assert_msg(at != NULL && at[5] >= '1' && at[5] <= '9',
                      "%s: document %zu: error without a line number: %s", path, i, e);
        errors++;
    }
    ck_assert_msg(errors > 0, "%s: expected at least one document error, got none", path);
    hp_manifest_cleanup(&m);
    free(data);
}

START_TEST(test_manifest_corpus_loads)
{
    const char *corpus = tu_corpus_dir();
    char dir[4096];

    if (corpus == NULL) {
        printf("test_manifest_corpus_loads: skipped, HP_CORPUS_DIR not found\n");
        return;
    }
    snprintf(dir, sizeof(dir), "%s/dotnet/manifests", corpus);
    ck_assert_msg(for_each_yaml(dir, load_clean) > 0, "no manifests in %s", dir);
}
END_TEST

START_TEST(test_manifest_corpus_malformed)
{
    const char *corpus = tu_corpus_dir();
    char dir[4096];
    size_t n;

    if (corpus == NULL) {
        printf("test_manifest_corpus_malformed: skipped, HP_CORPUS_DIR not found\n");
        return;
    }
    snprintf(dir, sizeof(dir), "%s/dotnet/manifests/malformed", corpus);
    n = for_each_yaml(dir, load_malformed);
    ck_assert_msg(n == 2, "expected 2 malformed manifests in %s, found %zu", dir, n);
}
END_TEST

static Suite *manifest_suite(void)
{
    Suite *s = suite_create("manifest");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_manifest_multi_doc_lines);
    tcase_add_test(tc, test_manifest_yaml_directive);
    tcase_add_test(tc, test_manifest_crlf);
    tcase_add_test(tc, test_manifest_malformed_middle_doc);
    tcase_add_test(tc, test_manifest_scalar_types);
    tcase_add_test(tc, test_manifest_keys_as_kubectl);
    tcase_add_test(tc, test_manifest_tags);
    tcase_add_test(tc, test_manifest_anchors_aliases);
    tcase_add_test(tc, test_manifest_merge_keys);
    tcase_add_test(tc, test_manifest_kubectl_attacks);
    tcase_add_test(tc, test_manifest_separators_as_kubectl);
    tcase_add_test(tc, test_manifest_nan_values);
    tcase_add_test(tc, test_manifest_flow_scalars);
    tcase_add_test(tc, test_manifest_alias_bomb_limited);
    tcase_add_test(tc, test_manifest_items_handed_over);
    tcase_add_test(tc, test_manifest_depth_bomb_limited);
    tcase_add_test(tc, test_manifest_memory_limit);
    tcase_add_test(tc, test_manifest_memory_alias_expanded);
    tcase_add_test(tc, test_manifest_memory_streams);
    tcase_add_test(tc, test_manifest_memory_estimate);
    tcase_add_test(tc, test_manifest_duplicate_keys);
    tcase_add_test(tc, test_manifest_positions);
    tcase_add_loop_test(tc, test_manifest_faults, 0,
                        (int)(sizeof(fault_cases) / sizeof(fault_cases[0])));
    tcase_add_test(tc, test_manifest_load_one);
    tcase_add_test(tc, test_manifest_paths);
    tcase_add_test(tc, test_manifest_max_docs);
    tcase_add_test(tc, test_manifest_max_bytes);
    tcase_add_test(tc, test_manifest_item_lines_list);
    tcase_add_test(tc, test_manifest_bom);
    tcase_add_test(tc, test_manifest_json_inputs);
    tcase_add_test(tc, test_manifest_bad_bytes);
    tcase_add_test(tc, test_manifest_empty_input);
    tcase_add_test(tc, test_manifest_comment_only_doc);
    tcase_add_test(tc, test_manifest_corpus_loads);
    tcase_add_test(tc, test_manifest_corpus_malformed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(manifest_suite());
}
