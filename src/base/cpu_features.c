#include "base/cpu_features.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && defined(VKC_HAVE_X86_KERNELS)
#define VKC_X86 1
#endif

static vkc_cpu_isa probe(void)
{
#ifdef VKC_X86
    /* libgcc's probe checks XGETBV too: a CPU with AVX-512 under an OS that
     * does not save the ZMM registers reports no AVX-512. */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
        return VKC_CPU_ISA_AVX512;
    if (__builtin_cpu_supports("avx2")) return VKC_CPU_ISA_AVX2;
#endif
    return VKC_CPU_ISA_BASE;
}

static vkc_cpu_isa hardware_isa, default_isa;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
    vkc_cpu_isa isa = hardware_isa = probe();
    const char *v = getenv("VKCALIB_DISABLE");
    /* The same comma list as the GPU features (vk/context.c), matched the
     * same way. */
    if (v && strstr(v, "avx512") && isa > VKC_CPU_ISA_AVX2) isa = VKC_CPU_ISA_AVX2;
    if (v && strstr(v, "avx2")) isa = VKC_CPU_ISA_BASE;
    default_isa = isa;
}

vkc_cpu_isa vkc_cpu_isa_hardware(void)
{
    pthread_once(&once, init);
    return hardware_isa;
}

vkc_cpu_isa vkc_cpu_isa_default(void)
{
    pthread_once(&once, init);
    return default_isa;
}

const char *vkc_cpu_isa_name(vkc_cpu_isa isa)
{
    static const char *const names[VKC_CPU_ISA_COUNT] = {"base", "avx2", "avx512"};
    return (unsigned)isa < VKC_CPU_ISA_COUNT ? names[isa] : "unknown";
}
