/* Replays a fuzz target's corpus without libFuzzer: feeds every file named
 * on the command line to LLVMFuzzerTestOneInput, which aborts on a broken
 * invariant. So the seed corpus runs in every ctest, gcc build included. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "%s: cannot open\n", argv[i]);
            return 1;
        }
        size_t cap = 1 << 16, n = 0;
        uint8_t *buf = malloc(cap);
        size_t got;
        while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
            n += got;
            if (n == cap) {
                uint8_t *b = realloc(buf, cap *= 2);
                if (!b) free(buf);
                buf = b;
            }
        }
        fclose(f);
        if (!buf) return 1;
        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
    }
    printf("%d passed, 0 failed\n", argc - 1);
    return 0;
}
