/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry point: a manifest file as `hardpod audit` reads it: the multi-document
 * YAML/JSON loader, every object through the policy engine, and the text,
 * JSON and SARIF reports.
 * The work and the checks are in targets.c, shared with the replay test.
 */
#include "targets.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hp_fuzz_manifest(data, size);
    return 0;
}
