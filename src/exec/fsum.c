/*
 * fsum.c — the exact sum of doubles (see fsum.h).
 *
 * The accumulator is an integer in units of 2^-1074 held in LIMBS signed 64-bit limbs of
 * 32 bits each (limb i weighs 2^(32 i)).  A double is at most 2^1024 = 2^2098 units, so 66
 * limbs hold one; 70 leave room for 2^64 additions.  Adding spreads the 53-bit significand
 * over three limbs without carrying; the limbs are carried (normalized to 0 .. 2^32 - 1,
 * the top one signed) every 2^30 additions and before any read, so no limb overflows.
 */
#include "exec/fsum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LIMBS 70
#define CARRY_EVERY (1u << 30)

struct pl_fsum {
    int64_t limb[LIMBS];
    uint32_t pending; /* additions since the last carry */
    bool nan, pinf, minf;
    bool all_negzero; /* every value added so far was -0 (and at least one was added) */
    bool any;
};

pl_fsum *pl_fsum_create(void)
{
    pl_fsum *s = malloc(sizeof *s);
    if (s)
        pl_fsum_clear(s);
    return s;
}

void pl_fsum_free(pl_fsum *s) { free(s); }

void pl_fsum_clear(pl_fsum *s)
{
    memset(s, 0, sizeof *s);
}

static void carry(int64_t *limb)
{
    for (int i = 0; i < LIMBS - 1; i++) {
        int64_t c = limb[i] >> 32; /* arithmetic: floor division by 2^32 */
        limb[i] = (int64_t)((uint64_t)limb[i] & 0xFFFFFFFFu);
        limb[i + 1] += c;
    }
}

static void normalize(pl_fsum *s)
{
    if (s->pending) {
        carry(s->limb);
        s->pending = 0;
    }
}

static void add_exact(pl_fsum *s, double x)
{
    int e;
    double m = frexp(x, &e); /* x = m 2^e, 0.5 <= |m| < 1 */
    int64_t sig = (int64_t)ldexp(m, 53); /* exact: |sig| < 2^53 */
    int pos = e - 53 + 1074;             /* x = sig 2^(pos - 1074) */
    if (pos < 0) {                       /* subnormal: the low bits are zeros */
        sig /= (int64_t)1 << -pos;
        pos = 0;
    }
    bool neg = sig < 0;
    uint64_t mag = (uint64_t)(neg ? -sig : sig);
    int i = pos / 32, sh = pos % 32;
    /* mag << sh spans up to 85 bits: three limbs */
    uint64_t lo = (mag << sh) & 0xFFFFFFFFu;
    uint64_t mid = sh ? (mag >> (32 - sh)) & 0xFFFFFFFFu : (mag >> 32) & 0xFFFFFFFFu;
    uint64_t hi = sh ? mag >> (64 - sh) : 0;
    int64_t sign = neg ? -1 : 1;
    s->limb[i] += sign * (int64_t)lo;
    s->limb[i + 1] += sign * (int64_t)mid;
    if (hi)
        s->limb[i + 2] += sign * (int64_t)hi;
    if (++s->pending >= CARRY_EVERY)
        normalize(s);
}

void pl_fsum_add(pl_fsum *s, double x)
{
    bool negzero = x == 0 && signbit(x);
    s->all_negzero = (s->any ? s->all_negzero : true) && negzero;
    s->any = true;
    if (isnan(x)) {
        s->nan = true;
        return;
    }
    if (isinf(x)) {
        if (x > 0)
            s->pinf = true;
        else
            s->minf = true;
        return;
    }
    if (x != 0)
        add_exact(s, x);
}

void pl_fsum_merge(pl_fsum *s, const pl_fsum *from)
{
    if (!from->any)
        return;
    s->all_negzero = (s->any ? s->all_negzero : true) && from->all_negzero;
    s->any = true;
    s->nan |= from->nan;
    s->pinf |= from->pinf;
    s->minf |= from->minf;
    pl_fsum f = *from;
    normalize(&f);
    normalize(s);
    for (int i = 0; i < LIMBS; i++)
        s->limb[i] += f.limb[i];
    s->pending = 1;
    normalize(s);
}

/* Magnitude of the normalized limbs l into m (limbs 0 .. 2^32 - 1); returns the sign. */
static bool magnitude(const int64_t *l, int64_t *m)
{
    bool neg = l[LIMBS - 1] < 0;
    for (int i = 0; i < LIMBS; i++)
        m[i] = neg ? -l[i] : l[i];
    if (neg)
        carry(m);
    return neg;
}

/* The correctly rounded double of the nonnegative integer m (normalized limbs) 2^-1074. */
static double round_units(const int64_t *m)
{
    int top = LIMBS - 1;
    while (top >= 0 && m[top] == 0)
        top--;
    if (top < 0)
        return 0.0;
    int bits = 64 - __builtin_clzll((uint64_t)m[top]) + 32 * top; /* bit length */
    if (bits <= 53) {
        uint64_t v = 0;
        for (int i = top; i >= 0; i--)
            v = v << 32 | (uint64_t)m[i];
        return ldexp((double)v, -1074); /* exact */
    }
    /* the top 64 bits, and whether any bit below them is set */
    int low = bits - 64; /* index of the lowest bit taken (may be negative) */
    uint64_t t = 0;
    bool sticky = false;
    for (int b = 0; b < 64; b++) {
        int k = low + b;
        uint64_t bit = k >= 0 ? ((uint64_t)m[k / 32] >> (k % 32)) & 1 : 0;
        t |= bit << b;
    }
    for (int k = 0; k < low && !sticky; k++)
        sticky = ((uint64_t)m[k / 32] >> (k % 32)) & 1;
    uint64_t r = t >> 11, rem = t & 0x7FF;
    if (rem > 0x400 || (rem == 0x400 && (sticky || (r & 1))))
        r++;
    return ldexp((double)r, low + 11 - 1074); /* r <= 2^53: exact; overflow gives inf */
}

double pl_fsum_value(const pl_fsum *s, double extra)
{
    if (s->nan || (s->pinf && s->minf) || isnan(extra) ||
        (isinf(extra) && ((extra > 0 && s->minf) || (extra < 0 && s->pinf))))
        return NAN;
    if (s->pinf || (isinf(extra) && extra > 0))
        return INFINITY;
    if (s->minf || (isinf(extra) && extra < 0))
        return -INFINITY;
    pl_fsum t = *s;
    if (extra != 0)
        add_exact(&t, extra);
    t.pending = 1;
    normalize(&t);
    int64_t m[LIMBS];
    bool neg = magnitude(t.limb, m);
    double v = round_units(m);
    if (v == 0) /* IEEE: -0 only when every term was -0 (extra -0: no other part) */
        return s->all_negzero && extra == 0 && signbit(extra) ? -0.0 : 0.0;
    return neg ? -v : v;
}

size_t pl_fsum_text(const pl_fsum *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (s->nan)
        out[n++] = 'n';
    if (s->pinf)
        out[n++] = 'p';
    if (s->minf)
        out[n++] = 'm';
    if (s->any && s->all_negzero)
        out[n++] = 'z';
    out[n++] = ':';
    pl_fsum t = *s;
    t.pending = 1;
    normalize(&t);
    int64_t m[LIMBS];
    out[n++] = magnitude(t.limb, m) ? '-' : '+';
    bool lead = true;
    for (int i = LIMBS - 1; i >= 0; i--)
        for (int d = 7; d >= 0; d--) {
            int h = (int)(((uint64_t)m[i] >> (4 * d)) & 15);
            if (lead && h == 0)
                continue;
            lead = false;
            out[n++] = hex[h];
        }
    if (lead)
        out[n++] = '0';
    return n;
}

bool pl_fsum_parse(pl_fsum *s, const char *p, size_t n)
{
    pl_fsum_clear(s);
    size_t i = 0;
    for (; i < n && p[i] != ':'; i++) {
        switch (p[i]) {
        case 'n': s->nan = true; break;
        case 'p': s->pinf = true; break;
        case 'm': s->minf = true; break;
        case 'z': s->all_negzero = true; break;
        default: return false;
        }
    }
    if (i + 2 > n || p[i] != ':' || (p[i + 1] != '+' && p[i + 1] != '-'))
        return false;
    bool neg = p[i + 1] == '-';
    const char *h = p + i + 2;
    size_t hn = n - i - 2;
    if (hn == 0 || hn > (size_t)(LIMBS - 1) * 8 || (hn > 1 && h[0] == '0'))
        return false;
    for (size_t k = 0; k < hn; k++) {
        char c = h[hn - 1 - k];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return false;
        s->limb[k / 8] += (int64_t)v << (4 * (k % 8));
    }
    if (neg)
        for (int k = 0; k < LIMBS; k++)
            s->limb[k] = -s->limb[k];
    s->pending = 1;
    normalize(s);
    s->any = true; /* a partial writes the state of at least one value */
    if (s->all_negzero && (s->nan || s->pinf || s->minf))
        s->all_negzero = false; /* a -0 only run has no other flag */
    return true;
}
