/* Host/shader layouts, defined once: the push-constant blocks of the shaders,
 * the words of the records they read and write, and their specialization
 * constant ids. Included by the shaders (GLSL, through
 * GL_GOOGLE_include_directive: glslang defines VULKAN) and by C, so that a
 * field can never differ between the two.
 *
 * A push-constant block is a list of 32-bit scalar fields, F(type, name)
 * with type uint, int or float. A shader declares its block with
 *     VKC_PUSH_BLOCK(VKC_HIST_PUSH, pc)
 * which expands to `layout(push_constant) uniform ... { uint n; ... } pc;`;
 * C gets `typedef struct vkc_hist_push { uint32_t n; ... } vkc_hist_push;`
 * from the same list. 32-bit scalars only: their offsets are 4 * position
 * in both languages, which the static asserts at the end check on the C
 * side. Record words and constants are plain #defines with a u suffix, the
 * same token in both languages. */
#ifndef VKC_SHADER_LAYOUT_H
#define VKC_SHADER_LAYOUT_H

/* ---- range pass (shaders/range.comp) ----------------------------------- */
/* Record, binding 1: order keys of min and max, |x| max bits, then the
 * counts of one flush window (< 2^32 each). */
#define VKC_RANGE_MIN_KEY 0u
#define VKC_RANGE_MAX_KEY 1u
#define VKC_RANGE_ABS_BITS 2u
#define VKC_RANGE_FINITE 3u
#define VKC_RANGE_ZEROS 4u
#define VKC_RANGE_NAN 5u
#define VKC_RANGE_POS_INF 6u
#define VKC_RANGE_NEG_INF 7u
#define VKC_RANGE_KEYS 3u   /* words [0, 3) are min/max keys, the rest counts */
#define VKC_RANGE_COUNTS 5u /* words [3, 8) */
#define VKC_RANGE_WORDS 8u

#define VKC_RANGE_PUSH(F) F(uint, n) F(uint, first)

/* Specialization constants. LOADS: 0 = the grid-stride loop, k = the tile
 * loop with k 16-byte loads per invocation per tile (at most
 * VKC_RANGE_MAX_LOADS). */
#define VKC_RANGE_SC_LOCAL 0
#define VKC_RANGE_SC_SUBGROUP 1
#define VKC_RANGE_SC_DTYPE 2
#define VKC_RANGE_SC_LOADS 3
#define VKC_RANGE_SC_COUNT 4u
#define VKC_RANGE_MAX_LOADS 8u

/* ---- histogram pass (shaders/hist.comp) -------------------------------- */
/* kind: multiply mode VKC_HIST_MUL_ABS (|x| over [0, A]) or
 * VKC_HIST_MUL_SIGNED (x over [lo, hi]); edge mode the VKC_EDGE_* flags.
 * hot0: the first of the HOT bins variant A counts in registers; any value
 * in [0, BINS - HOT] gives the same counts, it only decides which bins are
 * fast. */
#define VKC_HIST_MUL_ABS 0u
#define VKC_HIST_MUL_SIGNED 1u
#define VKC_EDGE_ABS 1u  /* bin |x| (else x) */
#define VKC_EDGE_SKIP 2u /* values with key(t) <= skip_key are not counted */
#define VKC_EDGE_DROP 4u /* values below e_0 or above e_N are not counted */

#define VKC_HIST_PUSH(F) F(uint, n) F(uint, kind) F(float, inv) F(float, lo) F(uint, first) F(uint, skip_key) \
    F(uint, hot0)

/* Specialization constants (hist.comp's header says what each does). */
#define VKC_HIST_SC_LOCAL 0
#define VKC_HIST_SC_BINS 1
#define VKC_HIST_SC_SHARED 2       /* use a shared-memory histogram */
#define VKC_HIST_SC_SHARED_WORDS 3 /* its length in words */
#define VKC_HIST_SC_DTYPE 4
#define VKC_HIST_SC_EDGES 5
#define VKC_HIST_SC_LOADS 6    /* 0: the grid-stride loop; k: the tile loop, k 16-byte loads */
#define VKC_HIST_SC_HOT 7      /* A: bins counted in registers, 0..VKC_HIST_MAX_HOT */
#define VKC_HIST_SC_MATCH 8    /* B: ballot rounds of match aggregation (0: off) */
#define VKC_HIST_SC_COPIES 9   /* C: shared copies, invocation lid adds to copy lid % COPIES */
#define VKC_HIST_SC_PACK16 10  /* D: two 16-bit counters per shared word */
#define VKC_HIST_SC_COUNT 11u
#define VKC_HIST_MAX_HOT 4u
#define VKC_HIST_MAX_LOADS 8u
/* D: elements a workgroup may count between two flushes of its 16-bit
 * counters, so that none can pass 65535. */
#define VKC_HIST_PACK16_ROUND 65535u

/* ---- recorder fold (shaders/fold.comp) --------------------------------- */
/* Totals of a range record: the keys at the same words as the record, the
 * five counts as (low, high) pairs from word VKC_FOLD_TOTAL_COUNTS. */
#define VKC_FOLD_TOTAL_COUNTS 4u
#define VKC_FOLD_TOTAL_WORDS 14u
#define VKC_FOLD_LOCAL 64u
#define VKC_FOLD_PUSH(F) F(uint, src) F(uint, dst) F(uint, n) F(uint, keys)

/* ---- quality pass (shaders/measure.comp) ------------------------------- */
/* Records: one per workgroup, VKC_MEASURE_WORDS words: the exact sums of
 * t*t and e*e (224-bit fixed point, VKC_MEASURE_SUM_WORDS words each, least
 * significant first, bit 0 = 2^-32), then the clipped and finite counts. */
#define VKC_MEASURE_SUM_WORDS 7u
#define VKC_MEASURE_SIGNAL 0u
#define VKC_MEASURE_NOISE 7u
#define VKC_MEASURE_CLIPPED 14u
#define VKC_MEASURE_FINITE 15u
#define VKC_MEASURE_WORDS 16u
/* r = 1/scale in float32; lo, hi = qmin - zp, qmax - zp as floats. */
#define VKC_MEASURE_PUSH(F) F(uint, n) F(float, r) F(float, lo) F(float, hi)

/* ---- entropy search (shaders/entropy.comp) ----------------------------- */
/* Tensor record at t * VKC_KL_REC words of binding 0. BINS and PRE are word
 * offsets of the bins region (per bin: float(h), float(ln h - ln hmax)) and
 * the prefix region (per position 0..n: uint64 prefix sum as two words, the
 * prefix count of non-empty bins). MAP: VKC_KL_MAP_*. */
#define VKC_KL_N 0u
#define VKC_KL_START 1u
#define VKC_KL_STRIDE 2u
#define VKC_KL_LEVELS 3u
#define VKC_KL_NCAND 4u
#define VKC_KL_BINS 5u
#define VKC_KL_PRE 6u
#define VKC_KL_OUT 7u
#define VKC_KL_TOTAL 8u /* float32 bits */
#define VKC_KL_HMAX 9u  /* float32 bits */
#define VKC_KL_MAP 10u
#define VKC_KL_REC 12u
#define VKC_KL_BIN_WORDS 2u
#define VKC_KL_PRE_WORDS 3u
#define VKC_KL_MAP_MODELOPT 0u /* bin j in level floor(j L / i) */
#define VKC_KL_MAP_BLOCKS 1u   /* floor(i / L) bins a level, the last one the rest */

/* ---- MSE search (shaders/mse.comp) ------------------------------------- */
/* Tensor record at t * VKC_MSE_REC words; COUNTS is the word offset of its
 * float32 counts, OUT of its first candidate's result. */
#define VKC_MSE_N 0u
#define VKC_MSE_START 1u
#define VKC_MSE_NCAND 2u
#define VKC_MSE_BOUND 3u
#define VKC_MSE_COUNTS 4u
#define VKC_MSE_OUT 5u
#define VKC_MSE_REC 8u

/* Specialization constants of entropy.comp and mse.comp. */
#define VKC_SEARCH_SC_LOCAL 0
#define VKC_SEARCH_SC_SUBGROUP 1
#define VKC_SEARCH_SC_COUNT 2u

/* ---- two-sided searches (shaders/asym_entropy.comp, asym_mse.comp) ----- */
/* Push constants: the first width index of the dispatch, and the element
 * offsets of its first window and first cell in the bound ranges. */
#define VKC_ASYM_PUSH(F) F(uint, row0) F(uint, win_base) F(uint, cell_base)
/* The packed data starts with VKC_ASYM_HDR header words; the arrays follow
 * (src/search/asym_gpu.c). Entropy's header: n, start, rows (n - start +
 * 1), cells per width, the total as two words and as a float, 1/c, the
 * prefix error bound, the levels, the zero bin every window holds. */
#define VKC_ASYM_HDR 16u
#define VKC_AKL_N 0u
#define VKC_AKL_START 1u
#define VKC_AKL_ROWS 2u
#define VKC_AKL_CPR 3u
#define VKC_AKL_TLO 4u
#define VKC_AKL_THI 5u
#define VKC_AKL_TF 6u   /* float32 bits */
#define VKC_AKL_CINV 7u /* float32 bits */
#define VKC_AKL_KPRE 8u /* float32 bits */
#define VKC_AKL_LEVELS 9u
#define VKC_AKL_ZB 10u
/* MSE's header: n, start, rows, cells per width, the non-empty bins, then
 * as floats lo / w, the total, the bound Gb and eta = 18 U Gb. */
#define VKC_AMSE_N 0u
#define VKC_AMSE_START 1u
#define VKC_AMSE_ROWS 2u
#define VKC_AMSE_CPR 3u
#define VKC_AMSE_NNZ 4u
#define VKC_AMSE_LAM 5u
#define VKC_AMSE_TF 6u
#define VKC_AMSE_GB 7u
#define VKC_AMSE_ETA 8u

/* ---- read ceiling (shaders/stream_read.comp, for bench/gpu_sweep) ------ */
#define VKC_STREAM_PUSH(F) F(uint, quads) F(uint, magic)
#define VKC_STREAM_SC_LOCAL 0
#define VKC_STREAM_SC_LOADS 1
#define VKC_STREAM_SC_COUNT 2u
#define VKC_STREAM_MAX_LOADS 8u

/* ------------------------------------------------------------------------ */
#ifdef VULKAN /* GLSL */

#define VKC_GLSL_FIELD_(type, name) type name;
#define VKC_PUSH_BLOCK(list, inst) layout(push_constant) uniform list##_block { list(VKC_GLSL_FIELD_) } inst;

#else /* C */

#include <stddef.h>
#include <stdint.h>

#define VKC_CTYPE_uint uint32_t
#define VKC_CTYPE_int int32_t
#define VKC_CTYPE_float float
#define VKC_C_FIELD_(type, name) VKC_CTYPE_##type name;
#define VKC_COUNT_FIELD_(type, name) +1
#define VKC_PUSH_STRUCT(list, ctype)                                                                 \
    typedef struct ctype {                                                                           \
        list(VKC_C_FIELD_)                                                                           \
    } ctype;                                                                                         \
    _Static_assert(sizeof(ctype) == 4 * (0 list(VKC_COUNT_FIELD_)), #ctype ": 32-bit fields, no padding"); \
    _Static_assert(sizeof(ctype) <= 128, #ctype ": within the 128 bytes every device offers")

VKC_PUSH_STRUCT(VKC_RANGE_PUSH, vkc_range_push);
VKC_PUSH_STRUCT(VKC_HIST_PUSH, vkc_hist_push);
VKC_PUSH_STRUCT(VKC_FOLD_PUSH, vkc_fold_push);
VKC_PUSH_STRUCT(VKC_MEASURE_PUSH, vkc_measure_push);
VKC_PUSH_STRUCT(VKC_STREAM_PUSH, vkc_stream_push);
VKC_PUSH_STRUCT(VKC_ASYM_PUSH, vkc_asym_push);

/* Every field 4 bytes and the struct 4 bytes a field: offsets are 4 * the
 * field's position, as std430 gives the GLSL block. */
#define VKC_FIELD_SIZE_(type, name) _Static_assert(sizeof(VKC_CTYPE_##type) == 4, #name " is 32 bits");
VKC_HIST_PUSH(VKC_FIELD_SIZE_)
VKC_MEASURE_PUSH(VKC_FIELD_SIZE_)
_Static_assert(offsetof(vkc_hist_push, hot0) == 24, "hist push: hot0 at word 6");
_Static_assert(offsetof(vkc_measure_push, hi) == 12, "measure push: hi at word 3");
_Static_assert(VKC_MEASURE_NOISE == VKC_MEASURE_SUM_WORDS && VKC_MEASURE_CLIPPED == 2 * VKC_MEASURE_SUM_WORDS,
               "measure record: two sums, then the counts");
_Static_assert(VKC_RANGE_KEYS + VKC_RANGE_COUNTS == VKC_RANGE_WORDS, "range record: keys then counts");
_Static_assert(VKC_FOLD_TOTAL_COUNTS >= VKC_RANGE_KEYS &&
                   VKC_FOLD_TOTAL_WORDS == VKC_FOLD_TOTAL_COUNTS + 2 * VKC_RANGE_COUNTS,
               "recorder totals: keys, then five 64-bit counts");
_Static_assert(VKC_KL_MAP < VKC_KL_REC && VKC_MSE_OUT < VKC_MSE_REC, "search records hold their fields");
_Static_assert(VKC_AKL_ZB < VKC_ASYM_HDR && VKC_AMSE_ETA < VKC_ASYM_HDR, "two-sided headers fit");
_Static_assert(sizeof(vkc_asym_push) == 12, "two-sided push: three words");

#endif
#endif
