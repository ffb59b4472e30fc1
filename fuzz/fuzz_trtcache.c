/* libFuzzer target: a TensorRT calibration cache parsed from memory (the
 * buffer is not NUL-terminated, as the parser promises to handle). */
#include "write/trtcache.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vkc_trtcache cache;
    vkc_msg msg;
    memset(&cache, 0, sizeof cache);
    (void)vkc_trtcache_parse((const char *)data, size, &cache, &msg);
    /* Freeing is harmless after a failure too (trtcache.h), and freeing
     * always lets LeakSanitizer catch a parse that leaks on either path. */
    vkc_trtcache_free(&cache);
    return 0;
}
