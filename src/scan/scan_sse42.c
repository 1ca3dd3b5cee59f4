/*
 * scan_sse42.c — the SSE4.2 kernel, for x86-64 CPUs without AVX2: four 16-byte compares per
 * 64-byte block and byte, the quote state by carry-less multiply.  Compiled through
 * per-function target attributes and only called after CPUID said the CPU has SSE4.2,
 * PCLMUL and POPCNT (scan.c).
 */
#include "scan/scan_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <string.h>

#define PL_KTARGET __attribute__((target("sse4.2,pclmul,popcnt")))
/* The primitives and the block loop must inline into one function: a block passed by
 * value to a call goes through memory. */
#define PL_KINLINE __attribute__((always_inline))
#define PL_KNAME(x) x##sse42

typedef __m128i pl_kvec;
/* Four named members, not an array: kept in registers when passed by value. */
typedef struct pl_kblk {
    __m128i a, b, c, d;
} pl_kblk;

PL_KTARGET static inline PL_KINLINE pl_kvec pl_ksplat(unsigned char c) { return _mm_set1_epi8((char)c); }

PL_KTARGET static inline PL_KINLINE pl_kblk pl_kload(const char *p)
{
    pl_kblk x;
    x.a = _mm_loadu_si128((const __m128i *)(const void *)p);
    x.b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    x.c = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
    x.d = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
    return x;
}

PL_KTARGET static inline PL_KINLINE uint64_t pl_keq(pl_kblk x, pl_kvec v)
{
    uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x.a, v));
    uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x.b, v));
    uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x.c, v));
    uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x.d, v));
    return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}

/* Prefix XOR by carry-less multiplication by all ones (see scan_avx2.c). */
PL_KTARGET static inline PL_KINLINE uint64_t pl_kprefix_xor(uint64_t q)
{
    __m128i x = _mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)q), _mm_set1_epi8(-1), 0);
    return (uint64_t)_mm_cvtsi128_si64(x);
}

#include "scan/scan_kernel.h"
#endif
