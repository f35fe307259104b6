/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry point: an AdmissionReview request body, as POST /validate hands it to
 * hp_admission_handle: strict parse, evaluation with the default policy
 * (hardened, enforce) and the encoded response.
 * The work and the checks are in targets.c, shared with the replay test.
 */
#include "targets.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hp_fuzz_admission(data, size);
    return 0;
}
