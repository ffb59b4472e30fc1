/* Which x86 vector instruction sets the CPU backend may use, decided at run
 * time (cpuid and the OS's saved register state), never by a build flag:
 * one binary runs the fastest path a machine has. */
#ifndef VKC_CPU_FEATURES_H
#define VKC_CPU_FEATURES_H

/* Levels, each implying the ones below it. */
typedef enum vkc_cpu_isa {
    VKC_CPU_ISA_BASE = 0,   /* the portable C path (SSE2 on x86-64) */
    VKC_CPU_ISA_AVX2 = 1,   /* AVX2 */
    VKC_CPU_ISA_AVX512 = 2, /* AVX-512 F, BW, VL */
    VKC_CPU_ISA_COUNT = 3
} vkc_cpu_isa;

/* The highest level this machine runs (this build compiled in, the CPU has,
 * and the OS saves the registers of). */
vkc_cpu_isa vkc_cpu_isa_hardware(void);

/* vkc_cpu_isa_hardware less what VKCALIB_DISABLE masks: "avx512" drops to
 * AVX2, "avx2" to the portable path (an AVX-512 machine included), so that
 * tests cover every path on one machine. Read once per process. */
vkc_cpu_isa vkc_cpu_isa_default(void);

const char *vkc_cpu_isa_name(vkc_cpu_isa isa);

#endif
