/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry point: a Dockerfile through hp_dockerfile_parse, with and
 * without --target and a build argument, checking that the facts hold together.
 * The work and the checks are in targets.c, shared with the replay test.
 */
#include "targets.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hp_fuzz_dockerfile(data, size);
    return 0;
}
