/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hardpod command line: picks a subcommand from argv[1] and hands it the
 * rest. Commands live in one table (name, function, summary) so that new ones
 * need a line here and a cmd_*.c file. No policy logic here.
 */
#include "cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
    {"serve", hp_cmd_serve, "run the HTTPS validating admission webhook"},
    {"audit", hp_cmd_audit, "check manifests against the policy, without a cluster"},
    {"certs", hp_cmd_certs, "make the webhook's CA and serving certificate, or inspect one"},
    {"webhook-config", hp_cmd_webhook_config,
     "write the webhook configuration, one webhook per namespace label choice"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "list the commands, or show one command's help"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

int hp_cmd_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "hardpod %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nsee 'hardpod %s --help'\n", cmd);
    return 2;
}

bool hp_cmd_number(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    if (s[0] < '0' || s[0] > '9') {
        return false;
    }
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

bool hp_cmd_size(const char *s, long min, long max, long *out)
{
    static const struct {
        const char *suffix;
        int shift;
    } units[] = {{"", 0}, {"Ki", 10}, {"Mi", 20}, {"Gi", 30}};
    char *end = NULL;
    if (s[0] < '0' || s[0] > '9') {
        return false;
    }
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0) {
        return false;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) != 0) {
            continue;
        }
        if (v > (LONG_MAX >> units[i].shift)) {
            return false;
        }
        v <<= units[i].shift;
        if (v < min || v > max) {
            return false;
        }
        *out = v;
        return true;
    }
    return false;
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

static bool is_help_flag(const char *s)
{
    return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

static void print_usage(FILE *out)
{
    fprintf(out, "usage: hardpod COMMAND [flags] [args]\n\n"
                 "hardpod is a Kubernetes admission webhook that hardens pods, and a CLI that\n"
                 "applies the same policy to manifests.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nRun 'hardpod COMMAND --help' for the flags of a command.\n");
}

static int cmd_version(int argc, char **argv)
{
    if (argc > 1 && is_help_flag(argv[1])) {
        printf("usage: hardpod version\n\nPrints the version of hardpod.\n\nflags:\n"
               "  -h, --help  show this help\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr,
                "hardpod version: unexpected argument '%s'\n"
                "see 'hardpod version --help'\n",
                argv[1]);
        return 2;
    }
    printf("hardpod %s\n", HP_VERSION);
    return 0;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2 || is_help_flag(argv[1])) {
        print_usage(stdout);
        return 0;
    }
    const struct command *c = find_command(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "hardpod: unknown command '%s'\nsee 'hardpod --help'\n", argv[1]);
        return 2;
    }
    char help_flag[] = "--help";
    char *sub_argv[] = {argv[1], help_flag, NULL};
    return c->run(2, sub_argv);
}

int main(int argc, char **argv)
{
    int rc;
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (is_help_flag(argv[1])) {
        rc = cmd_help(1, argv);
    } else if (strcmp(argv[1], "--version") == 0) {
        rc = cmd_version(1, argv);
    } else {
        const struct command *c = find_command(argv[1]);
        if (c == NULL) {
            fprintf(stderr, "hardpod: unknown command '%s'\nsee 'hardpod --help'\n", argv[1]);
            return 2;
        }
        rc = c->run(argc - 1, argv + 1);
    }
    /* A report that did not reach its reader must not look like a clean audit. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        fprintf(stderr, "hardpod: cannot write the output: %s\n", strerror(e));
        return 2;
    }
    return rc;
}
