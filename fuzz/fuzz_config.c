/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry point: a config file (YAML or JSON) through hp_config_parse, with and
 * without a --profile override; a config that loads then answers a fixed
 * AdmissionReview.
 * The work and the checks are in targets.c, shared with the replay test.
 */
#include "targets.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hp_fuzz_config(data, size);
    return 0;
}
