/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The subcommands of the hardpod binary. Each takes its own argv (argv[0] is
 * the command name), prints to stdout and stderr, and returns the process
 * exit status: 0 success, 2 usage or input errors, others per command.
 */
#ifndef HP_CMD_H
#define HP_CMD_H

/* Prints "hardpod CMD: <message>" and "see 'hardpod CMD --help'" to stderr
 * and returns 2, the exit status of a usage error. */
int hp_cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* `hardpod audit [flags] PATH...`: 0 nothing denied, 1 denials, 2 errors. */
int hp_cmd_audit(int argc, char **argv);

/* `hardpod serve [flags]`: runs the webhook; 0 after a clean shutdown, 2 when it cannot start. */
int hp_cmd_serve(int argc, char **argv);

#endif
