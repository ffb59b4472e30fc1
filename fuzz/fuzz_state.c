/* libFuzzer target: a calibration state file (.vkch) parsed from memory,
 * and, when it parses, merged with itself. Half the inputs get a correct
 * CRC-32 written over their last four bytes, so that mutations reach the
 * field checks behind the checksum instead of stopping at it. */
#include "write/state.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    if (size >= 8 && (data[size - 1] & 1)) { /* that byte is part of the CRC anyway */
        uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(size - 4));
        for (int k = 0; k < 4; k++) buf[size - 4 + k] = (uint8_t)(c >> (8 * k));
    }
    vkc_state a, b;
    vkc_msg msg;
    if (vkc_state_parse(buf, size, &a, &msg) == VKC_OK) {
        if (vkc_state_parse(buf, size, &b, &msg) == VKC_OK) {
            (void)vkc_state_merge(&a, &b, &msg);
            vkc_state_free(&b);
        }
        vkc_state_free(&a);
    }
    free(buf);
    return 0;
}
