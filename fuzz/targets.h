/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the fuzz harnesses do with one input, shared by the libFuzzer entry
 * points (fuzz/fuzz_*.c) and the replay test (tests/unit/check_fuzz_regress.c)
 * so that both run the same code. Each target calls the library exactly as
 * the server or `hardpod audit` does, then checks the documented properties
 * of the result (valid JSON out, caps respected, errors that name their
 * place); a property that does not hold aborts with a message on stderr.
 */
#ifndef HP_FUZZ_TARGETS_H
#define HP_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* Every target returns the kind of result as a static string, so a replay can
 * compare it with the kind a fixture expects. */

/* A request body through hp_admission_handle with the default config
 * (hardened, enforce), twice on the same per-thread state, as a server thread
 * reuses it: "allowed", "denied", "warned", "invalid" or "limit". */
const char *hp_fuzz_admission(const uint8_t *data, size_t size);

/* A config file through hp_config_parse; a config that loads is then used to
 * answer a fixed AdmissionReview: "ok", "invalid" or "limit". */
const char *hp_fuzz_config(const uint8_t *data, size_t size);

/* A manifest stream as `hardpod audit` reads one file: hp_manifest_parse,
 * then every document through the engine and the JSON, SARIF and text
 * reports: "clean", "denied", "error" (some document could not be loaded or
 * evaluated) or "limit" (the stream itself is over a cap). */
const char *hp_fuzz_manifest(const uint8_t *data, size_t size);

/* The UTF-8 helpers of src/util against a reference decoder:
 * "valid" or "invalid". */
const char *hp_fuzz_utf8(const uint8_t *data, size_t size);

/* A Dockerfile through hp_dockerfile_parse, with no option and with the
 * final stage named as --target and a build argument: "ok", "invalid" or
 * "limit". The facts must hold together: ports in 1..65535 or unresolved,
 * a value either resolved or naming its variable, the base image's
 * environment first. */
const char *hp_fuzz_dockerfile(const uint8_t *data, size_t size);

/* The targets by name, for the replay test; NULL for an unknown name. */
typedef const char *(*hp_fuzz_target)(const uint8_t *data, size_t size);
hp_fuzz_target hp_fuzz_target_get(const char *name);

#endif
