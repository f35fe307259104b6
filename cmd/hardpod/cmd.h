/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The subcommands of the hardpod binary. Each takes its own argv (argv[0] is
 * the command name), prints to stdout and stderr, and returns the process
 * exit status: 0 success, 2 usage or input errors, others per command.
 */
#ifndef HP_CMD_H
#define HP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Prints "hardpod CMD: <message>" and "see 'hardpod CMD --help'" to stderr
 * and returns 2, the exit status of a usage error. */
int hp_cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a whole decimal number in [min, max] (no sign, no trailing text). */
bool hp_cmd_number(const char *s, long min, long max, long *out);

/* Parses a size in bytes, a whole decimal number with an optional Ki, Mi or Gi
 * suffix ("512Mi"), into [min, max]. */
bool hp_cmd_size(const char *s, long min, long max, long *out);

/* `hardpod audit [flags] PATH...`: 0 nothing denied, 1 denials, 2 errors. */
int hp_cmd_audit(int argc, char **argv);

/* `hardpod serve [flags]`: runs the webhook; 0 after a clean shutdown, 2 when it cannot start. */
int hp_cmd_serve(int argc, char **argv);

/* `hardpod certs [flags]` and `hardpod certs inspect FILE`: makes the
 * webhook's CA and serving certificate (0 written, 2 errors), or describes a
 * certificate (0 valid, 1 expiring or expired, 2 errors). */
int hp_cmd_certs(int argc, char **argv);

/* `hardpod webhook-config [flags]`: writes the webhook configuration with
 * one webhook per namespace label choice; 0 written, 2 errors. */
int hp_cmd_webhook_config(int argc, char **argv);

/* `hardpod certs inspect FILE`: 0 valid, 1 expires within --warn-days or expired, 2 errors. */
int hp_cmd_certs_inspect(int argc, char **argv);

#endif
