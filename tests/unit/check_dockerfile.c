/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/image/dockerfile.c, lex.c and bases.c: the Dockerfile
 * reader against BuildKit's rules (directives, continuations, heredocs,
 * stages, ARG and ENV substitution, USER and EXPOSE, limits), the base image
 * table, and the facts of the real Dockerfiles of the conformance corpus.
 */
#include "hardpod/buf.h"
#include "hardpod/image.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void put_value(struct hp_buf *b, const struct hp_image_value *v)
{
    if (v->text != NULL) {
        hp_buf_puts(b, v->text);
    } else if (v->unresolved != NULL) {
        hp_buf_printf(b, "?%s", v->unresolved);
    } else {
        hp_buf_puts(b, "-");
    }
}

/* The facts in one line: base stage user ports env; "*" marks a value set
 * by the base image table, "?X" an unresolved variable X. */
static char *summary(const struct hp_image_facts *f)
{
    struct hp_buf b;
    hp_buf_init(&b, 0);
    hp_buf_printf(&b, "base=%s", f->base != NULL ? f->base : "-");
    if (f->base == NULL && f->base_ref.unresolved != NULL) {
        hp_buf_printf(&b, "?%s", f->base_ref.unresolved);
    }
    hp_buf_printf(&b, " stage=%s user=%s", f->stage != NULL ? f->stage : "-",
                  f->user.from_base ? "*" : "");
    put_value(&b, &f->user);
    hp_buf_puts(&b, " ports=");
    for (size_t i = 0; i < f->n_ports; i++) {
        const struct hp_image_port *p = &f->ports[i];
        if (i > 0) {
            hp_buf_putc(&b, ',');
        }
        if (p->value.text == NULL) {
            hp_buf_printf(&b, "?%s", p->value.unresolved);
        } else if (p->port_last != 0) {
            hp_buf_printf(&b, "%u-%u/%s", p->port, p->port_last, p->proto);
        } else {
            hp_buf_printf(&b, "%u/%s", p->port, p->proto);
        }
    }
    hp_buf_puts(&b, " env=");
    for (size_t i = 0; i < f->n_env; i++) {
        if (i > 0) {
            hp_buf_putc(&b, ';');
        }
        hp_buf_printf(&b, "%s%s=", f->env[i].value.from_base ? "*" : "", f->env[i].name);
        put_value(&b, &f->env[i].value);
    }
    return hp_buf_take(&b, NULL);
}

#define BASE8 "*APP_UID=1654;*ASPNETCORE_HTTP_PORTS=8080;*DOTNET_RUNNING_IN_CONTAINER=true"

struct parse_case {
    const char *name;
    const char *text;
    const char *target;
    const char *args; /* "A=1,B=2" build arguments */
    const char *want; /* summary, or "!N:text" for error code N and a message part */
};

static const struct parse_case cases[] = {
    /* lines */
    {"continuation", "FROM scratch\nENV A=1 \\\n  B=2\n", NULL, NULL,
     "base=scratch stage=- user=- ports= env=A=1;B=2"},
    {"comment and empty line inside a continuation",
     "FROM scratch\nENV A=1 \\\n# USER root\n\n    \n  B=2\nUSER 5\n", NULL, NULL,
     "base=scratch stage=- user=5 ports= env=A=1;B=2"},
    {"continuation at the end of the file", "FROM scratch\nUSER 5 \\", NULL, NULL,
     "base=scratch stage=- user=5 ports= env="},
    {"an escaped escape does not continue", "FROM scratch\nENV A=x\\\\\nUSER 1\n", NULL, NULL,
     "base=scratch stage=- user=1 ports= env=A=x\\"},
    {"comment ending in the escape does not continue", "FROM scratch\n# note \\\nUSER 1\n", NULL,
     NULL, "base=scratch stage=- user=1 ports= env="},
    {"CRLF", "FROM scratch\r\nUSER 5\r\nENV A=1\r\n", NULL, NULL,
     "base=scratch stage=- user=5 ports= env=A=1"},
    {"byte order mark",
     "\xef\xbb\xbf"
     "FROM scratch\nUSER 4\n",
     NULL, NULL, "base=scratch stage=- user=4 ports= env="},
    {"instructions in any case", "from scratch\nuser 12\nExpose 80\n", NULL, NULL,
     "base=scratch stage=- user=12 ports=80/tcp env="},
    /* directives */
    {"escape directive", "# escape=`\nFROM scratch\nENV A=C:\\dir `\n B=`$X\n", NULL, NULL,
     "base=scratch stage=- user=- ports= env=A=C:\\dir;B=$X"},
    {"directives with syntax and check",
     "# syntax=docker/dockerfile:1\n# check=skip=all\n#escape = `\nFROM scratch\nUSER 1 `\n2\n",
     NULL, NULL, "base=scratch stage=- user=1 2 ports= env="},
    {"a directive after a comment is a comment", "# hello\n# escape=`\nFROM scratch\nENV A=x `\n",
     NULL, NULL, "!1:line 4: Syntax error - can't find = in \"`\""},
    {"a directive after a blank line is a comment", "\n# escape=`\nFROM scratch\nUSER a\\\n1\n",
     NULL, NULL, "base=scratch stage=- user=a1 ports= env="},
    {"duplicate directive", "# escape=\\\n# ESCAPE=`\nFROM scratch\n", NULL, NULL,
     "!1:line 2: only one escape parser directive"},
    {"invalid escape", "# escape=x\nFROM scratch\n", NULL, NULL,
     "!1:line 1: invalid escape token 'x'"},
    /* heredocs */
    {"heredoc body is not read", "FROM scratch\nRUN <<EOF\nUSER root\nEXPOSE 22\nEOF\nUSER 1000\n",
     NULL, NULL, "base=scratch stage=- user=1000 ports= env="},
    {"heredoc with <<-", "FROM scratch\nRUN <<-EOF\n\tUSER root\n\tEOF\nUSER 7\n", NULL, NULL,
     "base=scratch stage=- user=7 ports= env="},
    {"two heredocs on a line", "FROM scratch\nRUN <<A cat <<B\nUSER root\nA\nUSER 0\nB\nUSER 9\n",
     NULL, NULL, "base=scratch stage=- user=9 ports= env="},
    {"COPY heredoc", "FROM scratch\nCOPY <<EOF /x\nEXPOSE 1\nEOF\nUSER 3\n", NULL, NULL,
     "base=scratch stage=- user=3 ports= env="},
    {"quoted heredoc name after blanks",
     "FROM scratch\nRUN cat << \"END\" > /f\nUSER root\nEND\nUSER 6\n", NULL, NULL,
     "base=scratch stage=- user=6 ports= env="},
    {"heredoc of a continued instruction",
     "FROM scratch\nRUN --mount=type=cache,target=/x \\\n  <<EOF\nUSER root\nEOF\nUSER 8\n", NULL,
     NULL, "base=scratch stage=- user=8 ports= env="},
    {"ONBUILD heredoc", "FROM scratch\nONBUILD RUN <<EOF\nUSER root\nEOF\nUSER 2\n", NULL, NULL,
     "base=scratch stage=- user=2 ports= env="},
    {"no heredoc in JSON form", "FROM scratch\nRUN [\"sh\", \"-c\", \"cat <<EOF\"]\nUSER 3\n", NULL,
     NULL, "base=scratch stage=- user=3 ports= env="},
    {"no heredoc in quotes", "FROM scratch\nRUN echo \"<<EOF\"\nUSER 3\n", NULL, NULL,
     "base=scratch stage=- user=3 ports= env="},
    {"no heredoc in USER", "FROM scratch\nUSER <<EOF\n", NULL, NULL,
     "base=scratch stage=- user=<<EOF ports= env="},
    {"unterminated heredoc", "FROM scratch\nRUN <<EOF\nUSER root\n", NULL, NULL,
     "!1:line 2: unterminated heredoc"},
    /* ARG */
    {"global ARG in FROM", "ARG BASE=mcr.microsoft.com/dotnet/aspnet:8.0\nFROM ${BASE}\n", NULL,
     NULL, "base=mcr.microsoft.com/dotnet/aspnet:8.0 stage=- user=- ports= env=" BASE8},
    {"global ARG is not seen in a stage", "ARG P=80\nFROM alpine:3\nEXPOSE $P\n", NULL, NULL,
     "base=alpine:3 stage=- user=- ports=?P env="},
    {"global ARG redeclared", "ARG P=80\nFROM alpine:3\nARG P\nEXPOSE $P\n", NULL, NULL,
     "base=alpine:3 stage=- user=- ports=80/tcp env="},
    {"build argument overrides a global ARG", "ARG P=80\nFROM alpine:3\nARG P\nEXPOSE $P\n", NULL,
     "P=8080", "base=alpine:3 stage=- user=- ports=8080/tcp env="},
    {"build argument overrides a stage ARG", "FROM scratch\nARG U=1000\nUSER $U\n", NULL, "U=0",
     "base=scratch stage=- user=0 ports= env="},
    {"ARG without a value is unresolved", "FROM scratch\nARG U\nUSER $U\n", NULL, NULL,
     "base=scratch stage=- user=?U ports= env="},
    {"global ARG without a value in FROM", "ARG IMG\nFROM $IMG\nUSER 1\n", NULL, NULL,
     "base=-?IMG stage=- user=1 ports= env="},
    {"platform ARGs are unknown",
     "FROM --platform=$BUILDPLATFORM scratch\nARG TARGETARCH\n"
     "ENV A=$TARGETARCH\n",
     NULL, NULL, "base=scratch stage=- user=- ports= env=A=?TARGETARCH"},
    {"ARGs of one instruction in order", "FROM scratch\nARG A=1 B=$A\nENV C=$B\n", NULL, NULL,
     "base=scratch stage=- user=- ports= env=C=1"},
    {"ENV values are substituted before any is set", "FROM scratch\nENV A=1\nENV A=2 B=$A\n", NULL,
     NULL, "base=scratch stage=- user=- ports= env=A=2;B=1"},
    {"ENV over ARG", "FROM scratch\nARG X=1\nENV X=2\nENV Y=$X\n", NULL, NULL,
     "base=scratch stage=- user=- ports= env=X=2;Y=2"},
    /* stages */
    {"stage chain inherits ENV USER EXPOSE",
     "FROM alpine:3 AS base\nENV A=1\nUSER 10\nEXPOSE 81\nFROM golang AS build\nUSER 0\n"
     "FROM base AS final\nENV B=$A\n",
     NULL, NULL, "base=alpine:3 stage=final user=10 ports=81/tcp env=A=1;B=1"},
    {"stage chain inherits ARG values", "FROM alpine AS a\nARG V=5\nFROM a\nUSER $V\n", NULL, NULL,
     "base=alpine stage=- user=5 ports= env="},
    {"stage names are case-insensitive", "FROM alpine AS Build\nUSER 5\nFROM build\n", NULL, NULL,
     "base=alpine stage=- user=5 ports= env="},
    {"FROM with an upper-case stage name", "FROM alpine AS build\nFROM Build\n", NULL, NULL,
     "!1:line 2: FROM Build: stage names are lower case"},
    {"FROM takes no stage index", "FROM alpine AS a\nUSER 5\nFROM 0\n", NULL, NULL,
     "base=0 stage=- user=- ports= env="},
    {"FROM a later stage is an image", "FROM b AS a\nFROM alpine AS b\nUSER 1\n", "a", NULL,
     "base=b stage=a user=- ports= env="},
    {"--target", "FROM alpine:3 AS base\nUSER 10\nFROM base AS final\nUSER 20\n", "BASE", NULL,
     "base=alpine:3 stage=base user=10 ports= env="},
    {"unknown --target", "FROM alpine:3 AS base\nFROM base AS final\n", "nope", NULL,
     "!1:--target nope: no stage of that name (the stages are: base, final)"},
    {"invalid stage name", "FROM alpine AS 1abc\n", NULL, NULL,
     "!1:line 1: invalid name for build stage"},
    {"FROM with two arguments", "FROM alpine b\n", NULL, NULL,
     "!1:line 1: FROM requires either one or three arguments"},
    {"FROM with an unknown flag", "FROM --pull alpine\n", NULL, NULL,
     "!1:line 1: unknown flag: --pull"},
    {"scratch", "FROM scratch\n", NULL, NULL, "base=scratch stage=- user=- ports= env="},
    /* quoting and substitution */
    {"ENV quoting", "FROM scratch\nENV A=\"x y\" B='$HOME' C=a\\ b D=\"$A\"\n", NULL, NULL,
     "base=scratch stage=- user=- ports= env=A=x y;B=$HOME;C=a b;D="},
    {"ENV legacy form", "FROM scratch\nENV A 1  \"2\"\n", NULL, NULL,
     "base=scratch stage=- user=- ports= env=A=1  2"},
    {"modifiers",
     "FROM scratch\nARG E=\nARG S=set\nENV A=${U:-d1} B=${E:-d2} C=${E-d3} D=${S:+alt} "
     "F=${U+alt} G=${S+alt} H=${E:+x}\n",
     NULL, NULL, "base=scratch stage=- user=- ports= env=A=d1;B=d2;C=;D=alt;F=;G=alt;H="},
    {"escaped dollar", "FROM scratch\nENV A=\\$HOME B=\"\\$X\" C=$ D=a$\n", NULL, NULL,
     "base=scratch stage=- user=- ports= env=A=$HOME;B=$X;C=$;D=a$"},
    {"unresolved variables", "FROM alpine\nENV A=$FOO\nENV B=${A}x\nUSER $BAR\nEXPOSE $PORT 80\n",
     NULL, NULL, "base=alpine stage=- user=?BAR ports=?PORT,80/tcp env=A=?FOO;B=?A"},
    {"unresolved default", "FROM alpine\nENV A=${FOO:-80}\n", NULL, NULL,
     "base=alpine stage=- user=- ports= env=A=?FOO"},
    {"pattern modifiers are not evaluated", "FROM scratch\nARG V=v1.2\nENV A=${V#v} B=${Z%x}\n",
     NULL, NULL, "base=scratch stage=- user=- ports= env=A=?V;B="},
    {"replacement on an unset or empty name",
     "FROM scratch\nARG S=x\nENV A=${/a/b} B=${Z//*/r} C=${Z/a/r} D=${S/a/r}\n", NULL, NULL,
     "base=scratch stage=- user=- ports= env=A=;B=r;C=;D=?S"},
    {"${X?} unset", "FROM scratch\nENV A=${X?unset}\n", NULL, NULL, "!1:line 2: X: unset"},
    {"${X:?} empty", "FROM scratch\nARG X=\nENV A=${X:?}\n", NULL, NULL,
     "!1:line 3: X: is not allowed to be empty"},
    {"words of ENV split before substitution", "FROM scratch\nENV A=${X?must be set}\n", NULL, NULL,
     "!1:line 2: Syntax error - can't find = in \"be\""},
    {"bad substitution", "FROM scratch\nENV A=${}\n", NULL, NULL,
     "!1:line 2: syntax error: bad substitution"},
    {"missing brace", "FROM scratch\nUSER ${A\n", NULL, NULL, "!1:line 2: syntax error: missing"},
    {"unclosed quote", "FROM scratch\nUSER \"app\n", NULL, NULL,
     "!1:line 2: unexpected end of statement while looking for matching double-quote"},
    {"ENV name from an unknown variable", "FROM alpine\nENV $K=1\n", NULL, NULL,
     "!1:line 2: ENV $K: the name depends on K"},
    /* USER */
    {"USER quoted", "FROM scratch\nUSER \"app\"\n", NULL, NULL,
     "base=scratch stage=- user=app ports= env="},
    {"USER uid:gid", "FROM scratch\nUSER 1000:1000\n", NULL, NULL,
     "base=scratch stage=- user=1000:1000 ports= env="},
    {"USER name:group", "FROM scratch\nUSER friendlyusername:friendlygroupname\n", NULL, NULL,
     "base=scratch stage=- user=friendlyusername:friendlygroupname ports= env="},
    {"USER $APP_UID on aspnet:8.0", "FROM mcr.microsoft.com/dotnet/aspnet:8.0\nUSER $APP_UID\n",
     NULL, NULL, "base=mcr.microsoft.com/dotnet/aspnet:8.0 stage=- user=1654 ports= env=" BASE8},
    {"USER $APP_UID on an unknown base", "FROM example.com/aspnet:8.0\nUSER $APP_UID\n", NULL, NULL,
     "base=example.com/aspnet:8.0 stage=- user=?APP_UID ports= env="},
    {"USER $APP_UID:$APP_UID on scratch", "FROM scratch\nUSER $APP_UID:$APP_UID\n", NULL, NULL,
     "base=scratch stage=- user=: ports= env="},
    {"chiseled base user", "FROM mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled\nEXPOSE 8080\n",
     NULL, NULL,
     "base=mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled stage=- user=*1654 ports=8080/tcp "
     "env=" BASE8},
    {"chiseled base user overridden",
     "FROM mcr.microsoft.com/dotnet/runtime:9.0-noble-chiseled AS b\nUSER root\nFROM b\n", NULL,
     NULL,
     "base=mcr.microsoft.com/dotnet/runtime:9.0-noble-chiseled stage=- user=root ports= "
     "env=" BASE8},
    {"base env replaced in place",
     "FROM mcr.microsoft.com/dotnet/aspnet:8.0\nENV X=1 ASPNETCORE_HTTP_PORTS=80\n", NULL, NULL,
     "base=mcr.microsoft.com/dotnet/aspnet:8.0 stage=- user=- ports= env=*APP_UID=1654;"
     "ASPNETCORE_HTTP_PORTS=80;*DOTNET_RUNNING_IN_CONTAINER=true;X=1"},
    {"USER without an argument", "FROM scratch\nUSER\n", NULL, NULL,
     "!1:line 2: USER requires exactly one argument"},
    /* EXPOSE */
    {"EXPOSE forms", "FROM scratch\nEXPOSE 80/tcp 8080/udp 53/UDP 8000-8010 9000/sctp 80\n", NULL,
     NULL, "base=scratch stage=- user=- ports=80/tcp,8080/udp,53/udp,8000-8010/tcp,9000/sctp env="},
    {"EXPOSE with a host port", "FROM scratch\nEXPOSE 8080:80\n", NULL, NULL,
     "base=scratch stage=- user=- ports=80/tcp env="},
    {"EXPOSE of a variable with two ports",
     "FROM scratch\nARG PORTS=\"80 443/tcp\"\nEXPOSE $PORTS\n", NULL, NULL,
     "base=scratch stage=- user=- ports=80/tcp,443/tcp env="},
    {"EXPOSE 70000", "FROM scratch\nEXPOSE 70000\n", NULL, NULL,
     "!1:line 2: EXPOSE 70000: invalid port: value out of range"},
    {"EXPOSE bad proto", "FROM scratch\nEXPOSE 80/foo\n", NULL, NULL,
     "!1:line 2: EXPOSE 80/foo: invalid port: invalid proto"},
    {"EXPOSE name", "FROM scratch\n\nEXPOSE http\n", NULL, NULL,
     "!1:line 3: EXPOSE http: invalid port"},
    {"EXPOSE 0", "FROM scratch\nEXPOSE 0\n", NULL, NULL, "!1:line 2: EXPOSE 0: port 0"},
    {"EXPOSE reversed range", "FROM scratch\nEXPOSE 90-80\n", NULL, NULL,
     "!1:line 2: EXPOSE 90-80: invalid port: invalid port range"},
    {"EXPOSE without ports", "FROM scratch\nEXPOSE\n", NULL, NULL,
     "!1:line 2: EXPOSE requires at least one argument"},
    /* refused files */
    {"empty", "", NULL, NULL, "!1:empty"},
    {"only comments", "# one\n\n# two\n", NULL, NULL, "!1:no instructions"},
    {"no FROM", "ARG A=1\n", NULL, NULL, "!1:no FROM"},
    {"instruction before FROM", "RUN x\nFROM scratch\n", NULL, NULL,
     "!1:line 1: no build stage in current context"},
    {"unknown instruction", "FROM scratch\nFOO bar\n", NULL, NULL,
     "!1:line 2: unknown instruction: FOO"},
    {"ENV without a value in a stage not built", "FROM alpine AS a\nENV A\nFROM scratch\n", NULL,
     NULL, "!1:line 2: ENV must have two arguments"},
    {"ARG with a blank name", "FROM scratch\nARG =1\n", NULL, NULL,
     "!1:line 2: ARG names can not be blank"},
    {"ENV with a flag", "FROM scratch\nENV --x A=1\n", NULL, NULL, "!1:line 2: unknown flag: --x"},
    {"JSON array of numbers", "FROM scratch\nCMD [1, 2]\n", NULL, NULL,
     "!1:line 2: when using JSON array syntax"},
};

static void build_args(const char *spec, struct hp_image_arg *a, size_t *n, char *store)
{
    *n = 0;
    if (spec == NULL) {
        return;
    }
    snprintf(store, 256, "%s", spec);
    for (char *p = store; p != NULL && *p != '\0';) {
        char *comma = strchr(p, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
        char *eq = strchr(p, '=');
        *eq = '\0';
        a[*n].name = p;
        a[(*n)++].value = eq + 1;
        p = comma != NULL ? comma + 1 : NULL;
    }
}

static void check_case(const struct parse_case *c)
{
    struct hp_image_arg args[8];
    char store[256];
    struct hp_dockerfile_options o = {.target = c->target, .build_args = args};
    build_args(c->args, args, &o.n_build_args, store);
    struct hp_image_facts f;
    hp_image_facts_init(&f);
    struct hp_error err;
    enum hp_err rc = hp_dockerfile_parse(c->text, strlen(c->text), &o, &f, &err);
    if (c->want[0] == '!') {
        int code = c->want[1] - '0';
        ck_assert_msg((int)rc == code && strstr(err.msg, c->want + 3) != NULL,
                      "%s: expected error %d \"%s\", got %d \"%s\"", c->name, code, c->want + 3,
                      (int)rc, err.msg);
        ck_assert_msg(f.n_env == 0 && f.n_ports == 0 && f.base == NULL, "%s: facts left", c->name);
    } else {
        ck_assert_msg(rc == HP_OK, "%s: expected success, got %d \"%s\"", c->name, (int)rc,
                      err.msg);
        char *got = summary(&f);
        ck_assert_msg(strcmp(got, c->want) == 0, "%s:\n  expected %s\n  got      %s", c->name,
                      c->want, got);
        free(got);
    }
    hp_image_facts_cleanup(&f);
}

START_TEST(test_dockerfile_cases)
{
    check_case(&cases[_i]);
}
END_TEST

START_TEST(test_dockerfile_lines_and_values)
{
    const char *text = "ARG V=8080\nFROM mcr.microsoft.com/dotnet/aspnet:8.0 AS final\nARG V\n"
                       "ENV \\\n  PORT=$V\nUSER \"$APP_UID\"\nEXPOSE ${V}/tcp 8000-8010\n";
    struct hp_image_facts f;
    hp_image_facts_init(&f);
    struct hp_error err;
    ck_assert_int_eq(hp_dockerfile_parse(text, strlen(text), NULL, &f, &err), HP_OK);
    ck_assert_str_eq(f.base_ref.text, "mcr.microsoft.com/dotnet/aspnet:8.0");
    ck_assert_str_eq(f.base_ref.written, "mcr.microsoft.com/dotnet/aspnet:8.0");
    ck_assert_uint_eq(f.base_ref.line, 2);
    ck_assert_uint_eq(f.n_stages, 1);
    ck_assert_ptr_eq(f.base_info, hp_image_base_lookup("mcr.microsoft.com/dotnet/aspnet:8.0"));
    ck_assert_str_eq(f.user.text, "1654");
    ck_assert_str_eq(f.user.written, "\"$APP_UID\"");
    ck_assert_uint_eq(f.user.line, 6);
    ck_assert(!f.user.from_base);
    const struct hp_image_env *e = hp_image_facts_env(&f, "PORT");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->value.text, "8080");
    ck_assert_str_eq(e->value.written, "$V");
    ck_assert_uint_eq(e->value.line, 4);
    ck_assert_uint_eq(f.n_ports, 2);
    ck_assert_str_eq(f.ports[0].value.written, "${V}/tcp");
    ck_assert_str_eq(f.ports[0].value.text, "8080/tcp");
    ck_assert_uint_eq(f.ports[0].value.line, 7);
    ck_assert_uint_eq(f.ports[1].port, 8000);
    ck_assert_uint_eq(f.ports[1].port_last, 8010);
    e = hp_image_facts_env(&f, "APP_UID");
    ck_assert(e->value.from_base && e->value.line == 0 && e->value.written == NULL);
    hp_image_facts_cleanup(&f);
}
END_TEST

static void expect_limit(const char *text, size_t len, size_t max, const char *part)
{
    struct hp_dockerfile_options o = {.max_bytes = max};
    struct hp_image_facts f;
    hp_image_facts_init(&f);
    struct hp_error err;
    enum hp_err rc = hp_dockerfile_parse(text, len, &o, &f, &err);
    ck_assert_msg(rc == HP_ERR_LIMIT && strstr(err.msg, part) != NULL,
                  "expected a limit \"%s\", got %d \"%s\"", part, (int)rc, err.msg);
    hp_image_facts_cleanup(&f);
}

START_TEST(test_dockerfile_limits)
{
    const char *small = "FROM scratch\nUSER 1\n";
    expect_limit(small, strlen(small), 10, "over the limit of 10 bytes");

    /* A physical line past BuildKit's 64 KiB. */
    size_t n = 70000;
    char *big = malloc(n + 32);
    memcpy(big, "FROM scratch\nENV A=", 19);
    memset(big + 19, 'x', n);
    expect_limit(big, n + 19, 0, "line 2: a line longer than 65535 bytes");

    /* Doubling a value 30 times: a billion bytes if nothing stopped it. */
    struct hp_buf b;
    hp_buf_init(&b, 0);
    hp_buf_puts(&b, "FROM scratch\nARG V0=0123456789abcdef\n");
    for (int i = 1; i <= 30; i++) {
        hp_buf_printf(&b, "ARG V%d=$V%d$V%d\n", i, i - 1, i - 1);
    }
    expect_limit(b.data, b.len, 0, "more text than hardpod reads");
    hp_buf_reset(&b);

    /* Too many variables, stages, instructions. */
    hp_buf_puts(&b, "FROM scratch\n");
    for (int i = 0; i < 600; i++) {
        hp_buf_printf(&b, "ARG A%d=1\n", i);
    }
    expect_limit(b.data, b.len, 0, "more than 512 variables");
    hp_buf_reset(&b);
    for (int i = 0; i < 1001; i++) {
        hp_buf_printf(&b, "FROM scratch AS s%d\n", i);
    }
    expect_limit(b.data, b.len, 0, "more than 1000 stages");
    hp_buf_reset(&b);
    hp_buf_puts(&b, "FROM scratch\n");
    for (int i = 0; i < 20001; i++) {
        hp_buf_puts(&b, "RUN x\n");
    }
    expect_limit(b.data, b.len, 0, "more than 20000 instructions");
    hp_buf_reset(&b);

    /* Nesting of ${...} past the cap. */
    hp_buf_puts(&b, "FROM scratch\nENV A=");
    for (int i = 0; i < 40; i++) {
        hp_buf_puts(&b, "${X:-");
    }
    for (int i = 0; i < 40; i++) {
        hp_buf_putc(&b, '}');
    }
    expect_limit(b.data, b.len, 0, "nested");
    hp_buf_cleanup(&b);
    free(big);
}
END_TEST

/* ---- the base image table ---- */

static const struct {
    const char *ref;
    const char *user; /* "-" when the row has no user, NULL when no row matches */
    const char *env_part;
} bases[] = {
    {"mcr.microsoft.com/dotnet/aspnet:8.0", "-", "ASPNETCORE_HTTP_PORTS=8080"},
    {"mcr.microsoft.com/dotnet/aspnet:10.0", "-", "APP_UID=1654"},
    {"mcr.microsoft.com/dotnet/runtime-deps:8.0.30-noble-amd64", "-", "APP_UID=1654"},
    {"mcr.microsoft.com/dotnet/aspnet:9.0-alpine", "-", "ASPNETCORE_HTTP_PORTS=8080"},
    {"mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled", "1654", "APP_UID=1654"},
    {"mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra", "1654", "APP_UID=1654"},
    {"mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled-composite", "1654", "APP_UID=1654"},
    {"mcr.microsoft.com/dotnet/runtime:9.0-azurelinux3.0-distroless", "1654", "APP_UID=1654"},
    {"mcr.microsoft.com/dotnet/aspnet:8.0-cbl-mariner2.0-distroless", "app", "APP_UID=1654"},
    {"mcr.microsoft.com/dotnet/aspnet:6.0", "-", "ASPNETCORE_URLS=http://+:80\n"},
    {"mcr.microsoft.com/dotnet/aspnet:7.0-bookworm-slim", "-", "ASPNETCORE_URLS=http://+:80\n"},
    {"mcr.microsoft.com/dotnet/aspnet:7.0-jammy-chiseled", "1654", "ASPNETCORE_URLS=http://+:8080"},
    {"mcr.microsoft.com/dotnet/runtime-deps:6.0-cbl-mariner2.0-distroless", "app",
     "ASPNETCORE_URLS=http://+:8080"},
    {"mcr.microsoft.com/dotnet/aspnet:8.0@sha256:0123456789abcdef", "-", "APP_UID=1654"},
    {"mcr.microsoft.com/dotnet/sdk:8.0", NULL, NULL},
    {"mcr.microsoft.com/dotnet/aspnet", NULL, NULL},
    {"mcr.microsoft.com/dotnet/aspnet:latest", NULL, NULL},
    {"mcr.microsoft.com/dotnet/aspnet@sha256:0123456789abcdef", NULL, NULL},
    {"mcr.microsoft.com/dotnet/aspnet:5.0", NULL, NULL},
    {"mcr.microsoft.com/dotnet/aspnet:11.0", NULL, NULL},
    {"mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2022", NULL, NULL},
    {"mcr.microsoft.com/dotnet/aspnet:8.0-windowsservercore-ltsc2022", NULL, NULL},
    {"mcr.microsoft.com/dotnet/aspnet:8.0x", NULL, NULL},
    {"example.com/dotnet/aspnet:8.0", NULL, NULL},
    {"alpine:3", NULL, NULL},
    {"scratch", NULL, NULL},
    {"", NULL, NULL},
};

START_TEST(test_dockerfile_base_lookup)
{
    for (size_t i = 0; i < N_ELEMS(bases); i++) {
        const struct hp_image_base *b = hp_image_base_lookup(bases[i].ref);
        if (bases[i].user == NULL) {
            ck_assert_msg(b == NULL, "%s: expected no entry, got \"%s\"", bases[i].ref,
                          b != NULL ? b->tags : "");
            continue;
        }
        ck_assert_msg(b != NULL, "%s: expected an entry", bases[i].ref);
        const char *user = b->user != NULL ? b->user : "-";
        ck_assert_msg(strcmp(user, bases[i].user) == 0, "%s: user: expected %s, got %s",
                      bases[i].ref, bases[i].user, user);
        char env[512];
        snprintf(env, sizeof(env), "%s\n", b->env);
        ck_assert_msg(strstr(env, bases[i].env_part) != NULL, "%s: env: expected %s in %s",
                      bases[i].ref, bases[i].env_part, b->env);
        ck_assert(b->dotnet);
    }
    ck_assert_ptr_null(hp_image_base_lookup(NULL));
}
END_TEST

START_TEST(test_dockerfile_base_table)
{
    size_t n = 0;
    const struct hp_image_base *t = hp_image_base_table(&n);
    ck_assert_uint_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(strncmp(t[i].repository, "mcr.microsoft.com/dotnet/", 25) == 0, "%s",
                      t[i].repository);
        ck_assert_msg(strncmp(t[i].source, "https://github.com/dotnet/dotnet-docker/blob/", 45) ==
                          0,
                      "row %zu: source %s", i, t[i].source);
        ck_assert(t[i].tags != NULL && t[i].env != NULL);
    }
}
END_TEST

/* ---- the corpus ---- */

static const struct {
    const char *file;
    const char *want;
} corpus[] = {
    {"Logitar-Identity__Logitar.Identity.Demo.Dockerfile",
     "base=mcr.microsoft.com/dotnet/aspnet:8.0 stage=final user=app ports=8080/tcp,8081/tcp "
     "env=" BASE8},
    {"PrometheusToAdx__KustoWriterApp.Dockerfile",
     "base=mcr.microsoft.com/dotnet/aspnet:8.0 stage=final user=app ports=8080/tcp,8081/tcp "
     "env=" BASE8},
    {"aws-dotnet-deploy__WebAppNet8WithCustomDockerFile.Dockerfile",
     "base=mcr.microsoft.com/dotnet/aspnet:8.0 stage=final user=app ports=8080/tcp,8081/tcp "
     "env=*APP_UID=1654;ASPNETCORE_HTTP_PORTS=80;*DOTNET_RUNNING_IN_CONTAINER=true"},
    {"aws-dotnet-deploy__WebAppWithDockerFile.Dockerfile",
     "base=mcr.microsoft.com/dotnet/aspnet:6.0 stage=final user=- ports=80/tcp,443/tcp "
     "env=*ASPNETCORE_URLS=http://+:80;*DOTNET_RUNNING_IN_CONTAINER=true"},
    {"dotnet-docker__aspnetapp.Dockerfile",
     "base=mcr.microsoft.com/dotnet/aspnet:10.0 stage=- user=1654 ports=8080/tcp env=" BASE8},
    {"dotnet-docker__aspnetapp.Dockerfile.chiseled",
     "base=mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled stage=- user=*1654 "
     "ports=8080/tcp env=" BASE8},
    {"dotnet-podcasts__ListenTogether.Hub.Dockerfile",
     "base=mcr.microsoft.com/dotnet/aspnet:7.0 stage=final user=- ports=80/tcp,443/tcp "
     "env=*ASPNETCORE_URLS=http://+:80;*DOTNET_RUNNING_IN_CONTAINER=true"},
    {"dotnet-podcasts__Podcast.API.Dockerfile",
     "base=mcr.microsoft.com/dotnet/aspnet:7.0 stage=final user=- ports=80/tcp,443/tcp "
     "env=*ASPNETCORE_URLS=http://+:80;*DOTNET_RUNNING_IN_CONTAINER=true"},
    {"ofqual-recognition-citizen-api__Dockerfile",
     "base=mcr.microsoft.com/dotnet/aspnet:8.0 stage=final user=1654 ports=8080/tcp,8081/tcp "
     "env=" BASE8},
    {"reddog-code__OrderService.Dockerfile",
     "base=mcr.microsoft.com/dotnet/aspnet:6.0 stage=final user=- ports=80/tcp "
     "env=ASPNETCORE_URLS=http://+:80;*DOTNET_RUNNING_IN_CONTAINER=true"},
};

START_TEST(test_dockerfile_corpus)
{
    const char *dir = tu_corpus_dir();
    if (dir == NULL) {
        printf("test_dockerfile_corpus: SKIP: no corpus (HP_CORPUS_DIR)\n");
        return;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/dotnet/dockerfiles/%s", dir, corpus[_i].file);
    size_t len;
    char *data = tu_read_file(path, &len);
    struct hp_image_facts f;
    hp_image_facts_init(&f);
    struct hp_error err;
    enum hp_err rc = hp_dockerfile_parse(data, len, NULL, &f, &err);
    ck_assert_msg(rc == HP_OK, "%s: %s", corpus[_i].file, err.msg);
    char *got = summary(&f);
    ck_assert_msg(strcmp(got, corpus[_i].want) == 0, "%s:\n  expected %s\n  got      %s",
                  corpus[_i].file, corpus[_i].want, got);
    ck_assert_uint_eq(f.n_stages, strstr(corpus[_i].file, "dotnet-docker") != NULL ? 2 : 4);
    free(got);
    hp_image_facts_cleanup(&f);
    free(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dockerfile");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_dockerfile_cases, 0, (int)N_ELEMS(cases));
    tcase_add_test(tc, test_dockerfile_lines_and_values);
    tcase_add_test(tc, test_dockerfile_limits);
    tcase_add_test(tc, test_dockerfile_base_lookup);
    tcase_add_test(tc, test_dockerfile_base_table);
    tcase_add_loop_test(tc, test_dockerfile_corpus, 0, (int)N_ELEMS(corpus));
    suite_add_tcase(s, tc);
    return tu_run(s);
}
