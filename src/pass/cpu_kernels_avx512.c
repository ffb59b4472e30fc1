/* The AVX-512 table: cpu_kernels_impl.h compiled with -mavx512f -mavx512bw
 * -mavx512vl and 512-bit vectors preferred (CMakeLists.txt), used only
 * where cpuid says the CPU and the OS run them. */
#include "pass/cpu_kernels_impl.h"

const vkc_cpu_kernels vkc_cpu_kernels_avx512 = {VKC_CPU_ISA_AVX512, kern_range, kern_hist, kern_fold, kern_widen};
