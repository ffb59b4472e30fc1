/* The AVX2 table: cpu_kernels_impl.h compiled with -mavx2 (CMakeLists.txt),
 * used only where cpuid says the CPU and the OS run AVX2. */
#include "pass/cpu_kernels_impl.h"

const vkc_cpu_kernels vkc_cpu_kernels_avx2 = {VKC_CPU_ISA_AVX2, kern_range, kern_hist, kern_fold, kern_widen};
