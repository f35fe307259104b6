/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry point: the UTF-8 decoder, repair and JSON string escaper of src/util,
 * checked against a reference decoder and json-c.
 * The work and the checks are in targets.c, shared with the replay test.
 */
#include "targets.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hp_fuzz_utf8(data, size);
    return 0;
}
