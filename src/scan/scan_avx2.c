/*
 * scan_avx2.c — the AVX2 kernel: two 32-byte compares per 64-byte block and byte, the
 * quote state by carry-less multiply.  Compiled for every x86-64 build through
 * per-function target attributes (never -march), and only called after CPUID said the CPU
 * has AVX2, BMI1/2, PCLMUL and POPCNT (scan.c).
 */
#include "scan/scan_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <string.h>

#define PL_KTARGET __attribute__((target("avx2,bmi,bmi2,pclmul,popcnt")))
/* The primitives and the block loop must inline into one function: a block passed by
 * value to a call goes through memory. */
#define PL_KINLINE __attribute__((always_inline))
#define PL_KNAME(x) x##avx2

typedef __m256i pl_kvec;
typedef struct pl_kblk {
    __m256i lo, hi;
} pl_kblk;

PL_KTARGET static inline PL_KINLINE pl_kvec pl_ksplat(unsigned char c) { return _mm256_set1_epi8((char)c); }

PL_KTARGET static inline PL_KINLINE pl_kblk pl_kload(const char *p)
{
    pl_kblk x;
    x.lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
    x.hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    return x;
}

PL_KTARGET static inline PL_KINLINE uint64_t pl_keq(pl_kblk x, pl_kvec v)
{
    uint32_t a = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x.lo, v));
    uint32_t b = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x.hi, v));
    return (uint64_t)a | (uint64_t)b << 32;
}

/* Bit i of the result is the XOR of bits 0..i of q: 1 from an opening quote up to (not
 * including) the quote that closes it.  Carry-less multiplication by all ones is exactly
 * that prefix sum over GF(2). */
PL_KTARGET static inline PL_KINLINE uint64_t pl_kprefix_xor(uint64_t q)
{
    __m128i x = _mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)q), _mm_set1_epi8(-1), 0);
    return (uint64_t)_mm_cvtsi128_si64(x);
}

#include "scan/scan_kernel.h"
#endif
