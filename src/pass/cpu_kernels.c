/* The portable table (this file is compiled with the build's own flags:
 * SSE2 on x86-64) and the run-time choice between the tables. */
#include "pass/cpu_kernels_impl.h"

#include <stdatomic.h>

const vkc_cpu_kernels vkc_cpu_kernels_base = {VKC_CPU_ISA_BASE, kern_range, kern_hist, kern_fold, kern_widen};

const vkc_cpu_kernels *vkc_cpu_kernels_of(vkc_cpu_isa isa)
{
    if (isa == VKC_CPU_ISA_BASE) return &vkc_cpu_kernels_base;
#ifdef VKC_HAVE_X86_KERNELS
    if (isa > vkc_cpu_isa_hardware()) return NULL;
    if (isa == VKC_CPU_ISA_AVX2) return &vkc_cpu_kernels_avx2;
    if (isa == VKC_CPU_ISA_AVX512) return &vkc_cpu_kernels_avx512;
#endif
    return NULL;
}

/* VKC_CPU_ISA_COUNT: nothing forced. */
static _Atomic int forced = VKC_CPU_ISA_COUNT;

const vkc_cpu_kernels *vkc_cpu_kernels_get(void)
{
    int f = atomic_load_explicit(&forced, memory_order_relaxed);
    const vkc_cpu_kernels *k = f < VKC_CPU_ISA_COUNT ? vkc_cpu_kernels_of((vkc_cpu_isa)f) : NULL;
    return k ? k : vkc_cpu_kernels_of(vkc_cpu_isa_default());
}

int vkc_cpu_kernels_force(vkc_cpu_isa isa)
{
    if (isa != VKC_CPU_ISA_COUNT && !vkc_cpu_kernels_of(isa)) return 0;
    atomic_store(&forced, (int)isa);
    return 1;
}

static _Atomic uint64_t flush_window;

void vkc_cpu_set_flush_window(uint64_t elems)
{
    atomic_store(&flush_window, elems);
}

uint64_t vkc_cpu_flush_window(void)
{
    uint64_t w = atomic_load_explicit(&flush_window, memory_order_relaxed);
    return w && w < 0xffffffffull ? w : 0xffffffffull;
}
