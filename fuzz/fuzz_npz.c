/* libFuzzer target: an .npz image in memory, every member read fully. */
#include "fuzz_readers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vkc_msg msg;
    (void)vkc_fuzz_npz(data, size, &msg);
    return 0;
}
