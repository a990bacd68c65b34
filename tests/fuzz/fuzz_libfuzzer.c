/* libFuzzer entry point; the target is chosen at build time (-DOMSI_FUZZ_TARGET="img"). */
#include "tests/fuzz/fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const omsi_fuzz_target *target;
    if (!target)
        target = omsi_fuzz_target_by_name(OMSI_FUZZ_TARGET);
    omsi_fuzz_run(target, data, size);
    return 0;
}
