/*
 * scan_neon.c — the AArch64 Advanced SIMD kernel: four 16-byte compares per 64-byte block
 * and byte, narrowed to a 64-bit mask.  The prefix XOR is a shift-and-XOR ladder rather
 * than PMULL: PMULL belongs to the optional crypto extension (absent on e.g. the
 * Cortex-A72 of the Raspberry Pi 4), and six shifts cost little next to the compares.
 * Compiled only for AArch64, where Advanced SIMD is always present.
 */
#include "scan/scan_internal.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#define PL_KTARGET
/* The primitives and the block loop must inline into one function: a block passed by
 * value to a call goes through memory. */
#define PL_KINLINE __attribute__((always_inline))
#define PL_KNAME(x) x##neon

typedef uint8x16_t pl_kvec;
/* Four named members, not an array: kept in registers when passed by value. */
typedef struct pl_kblk {
    uint8x16_t a, b, c, d;
} pl_kblk;

static inline PL_KINLINE pl_kvec pl_ksplat(unsigned char c) { return vdupq_n_u8(c); }

static inline PL_KINLINE pl_kblk pl_kload(const char *p)
{
    pl_kblk x;
    x.a = vld1q_u8((const uint8_t *)p);
    x.b = vld1q_u8((const uint8_t *)p + 16);
    x.c = vld1q_u8((const uint8_t *)p + 32);
    x.d = vld1q_u8((const uint8_t *)p + 48);
    return x;
}

static inline PL_KINLINE uint64_t pl_keq(pl_kblk x, pl_kvec v)
{
    /* Each compare gives 0xFF per matching byte; keep one distinct bit per byte position
     * within 8, then add neighbours pairwise until each byte holds 8 positions' bits. */
    const uint8x16_t bits = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    uint8x16_t a = vandq_u8(vceqq_u8(x.a, v), bits);
    uint8x16_t b = vandq_u8(vceqq_u8(x.b, v), bits);
    uint8x16_t c = vandq_u8(vceqq_u8(x.c, v), bits);
    uint8x16_t d = vandq_u8(vceqq_u8(x.d, v), bits);
    uint8x16_t s = vpaddq_u8(vpaddq_u8(a, b), vpaddq_u8(c, d));
    s = vpaddq_u8(s, s);
    return vgetq_lane_u64(vreinterpretq_u64_u8(s), 0);
}

static inline PL_KINLINE uint64_t pl_kprefix_xor(uint64_t q)
{
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q ^= q << 8;
    q ^= q << 16;
    q ^= q << 32;
    return q;
}

#include "scan/scan_kernel.h"
#endif
