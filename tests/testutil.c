#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int vkc_test_failures;
int vkc_test_checks;

int vkc_test_end(void)
{
    int passed = vkc_test_checks - vkc_test_failures;
    printf("%d passed, %d failed\n", passed, vkc_test_failures);
    if (vkc_test_checks == 0) {
        fprintf(stderr, "no checks ran\n");
        return 1;
    }
    return vkc_test_failures ? 1 : 0;
}

uint64_t vkc_rng_next(vkc_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double vkc_rng_uniform(vkc_rng *r)
{
    return (double)(vkc_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double vkc_rng_normal(vkc_rng *r)
{
    double u1 = vkc_rng_uniform(r), u2 = vkc_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint16_t vkc_test_half_rz(float f)
{
    uint32_t b = vkc_f32_bits(f), s = (b >> 16) & 0x8000u, e = (b >> 23) & 0xffu, m = b & 0x7fffffu;
    if (e == 0xff) return (uint16_t)(s | 0x7c00u | (m ? 0x200u : 0));
    int x = (int)e - 112;
    if (x >= 31) return (uint16_t)(s | 0x7c00u);
    if (x <= 0) return x < -10 ? (uint16_t)s : (uint16_t)(s | ((m | 0x800000u) >> (14 - x)));
    return (uint16_t)(s | (uint32_t)x << 10 | m >> 13);
}

void *vkc_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
    long sz = ftell(f);
    if (sz < 0) { fclose(f); return NULL; }
    rewind(f);
    char *buf = malloc((size_t)sz + 1);
    if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) { free(buf); buf = NULL; }
    fclose(f);
    if (buf) { buf[sz] = 0; *len = (size_t)sz; }
    return buf;
}

double vkc_test_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void vkc_test_fmt_f(char *buf, size_t n, long double v)
{
    snprintf(buf, n, "%.17Lg", v);
}

void vkc_test_fmt_i(char *buf, size_t n, long long v)
{
    snprintf(buf, n, "%lld", v);
}

void vkc_test_fmt_u(char *buf, size_t n, unsigned long long v)
{
    snprintf(buf, n, "%llu", v);
}

void vkc_test_fmt_s(char *buf, size_t n, const char *v)
{
    if (v) snprintf(buf, n, "\"%.80s\"", v);
    else snprintf(buf, n, "NULL");
}

void vkc_test_fmt_p(char *buf, size_t n, const volatile void *v)
{
    snprintf(buf, n, "%p", (const void *)v);
}
