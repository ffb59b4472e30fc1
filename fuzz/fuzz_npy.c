/* libFuzzer target: an .npy image in memory, opened and read fully. */
#include "fuzz_readers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vkc_msg msg;
    (void)vkc_fuzz_npy(data, size, &msg);
    return 0;
}
