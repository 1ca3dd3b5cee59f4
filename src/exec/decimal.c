/*
 * decimal.c — the exact numeric core (see decimal.h for the rules).
 *
 * Exact intermediate results live in `big`, a 512-bit unsigned magnitude (eight 64-bit
 * limbs, least significant first) with the sign kept apart.  512 bits hold every value the
 * operations make: a 38-digit coefficient times 10^77 (division's widest numerator) is below
 * 10^115 < 2^383, and a product of two coefficients is below 10^76.  Rounding happens once,
 * in fit(), from the exact value (or the exact truncated quotient and a sticky remainder).
 */
#include "exec/decimal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

#define NW 8

typedef struct big {
    uint64_t w[NW];
} big;

static const uint64_t P10[20] = {1ULL,
                                 10ULL,
                                 100ULL,
                                 1000ULL,
                                 10000ULL,
                                 100000ULL,
                                 1000000ULL,
                                 10000000ULL,
                                 100000000ULL,
                                 1000000000ULL,
                                 10000000000ULL,
                                 100000000000ULL,
                                 1000000000000ULL,
                                 10000000000000ULL,
                                 100000000000000ULL,
                                 1000000000000000ULL,
                                 10000000000000000ULL,
                                 100000000000000000ULL,
                                 1000000000000000000ULL,
                                 10000000000000000000ULL};

static const u128 DEC_LIMIT = (u128)10000000000000000000ULL * 10000000000000000000ULL; /* 1e38 */

/* ---- 512-bit magnitudes ------------------------------------------------------------------ */

static void big_set(big *b, u128 v)
{
    memset(b, 0, sizeof *b);
    b->w[0] = (uint64_t)v;
    b->w[1] = (uint64_t)(v >> 64);
}

static bool big_zero(const big *b)
{
    for (int i = 0; i < NW; i++)
        if (b->w[i])
            return false;
    return true;
}

/* The value when it fits 128 bits (callers know it does). */
static u128 big_u128(const big *b) { return (u128)b->w[1] << 64 | b->w[0]; }

static bool big_fits_u128(const big *b)
{
    for (int i = 2; i < NW; i++)
        if (b->w[i])
            return false;
    return true;
}

static int big_bits(const big *b)
{
    for (int i = NW - 1; i >= 0; i--)
        if (b->w[i])
            return i * 64 + 64 - __builtin_clzll(b->w[i]);
    return 0;
}

static int big_cmp(const big *a, const big *b)
{
    for (int i = NW - 1; i >= 0; i--)
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

static void big_add(big *a, const big *b)
{
    uint64_t carry = 0;
    for (int i = 0; i < NW; i++) {
        u128 t = (u128)a->w[i] + b->w[i] + carry;
        a->w[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
}

/* a -= b, with a >= b */
static void big_sub(big *a, const big *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < NW; i++) {
        uint64_t x = a->w[i], y = b->w[i];
        uint64_t d = x - y - borrow;
        borrow = (x < y) || (x - y < borrow);
        a->w[i] = d;
    }
}

/* Limbs in use: loops stop there (most values here are a few limbs long). */
static int big_len(const big *b)
{
    int n = NW;
    while (n > 0 && !b->w[n - 1])
        n--;
    return n;
}

static void big_mul_u64(big *a, uint64_t m)
{
    uint64_t carry = 0;
    int n = big_len(a);
    for (int i = 0; i < NW && (i < n || carry); i++) {
        u128 t = (u128)a->w[i] * m + carry;
        a->w[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
}

static void big_mul_pow10(big *a, int k)
{
    for (; k >= 19; k -= 19)
        big_mul_u64(a, P10[19]);
    if (k > 0)
        big_mul_u64(a, P10[k]);
}

static void big_pow10(big *a, int k)
{
    big_set(a, 1);
    big_mul_pow10(a, k);
}

/* r = a * b (both below 2^256 here, so nothing is lost) */
static void big_mul(big *r, const big *a, const big *b)
{
    big t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < NW; i++) {
        if (!a->w[i])
            continue;
        uint64_t carry = 0;
        for (int j = 0; i + j < NW; j++) {
            u128 p = (u128)a->w[i] * b->w[j] + t.w[i + j] + carry;
            t.w[i + j] = (uint64_t)p;
            carry = (uint64_t)(p >> 64);
        }
    }
    *r = t;
}

static void big_shl(big *a, int k)
{
    if (k <= 0)
        return;
    int words = k / 64, bits = k % 64;
    for (int i = NW - 1; i >= 0; i--) {
        uint64_t hi = i - words >= 0 ? a->w[i - words] : 0;
        uint64_t lo = i - words - 1 >= 0 ? a->w[i - words - 1] : 0;
        a->w[i] = bits ? (hi << bits) | (lo >> (64 - bits)) : hi;
    }
}

static void big_shr1(big *a)
{
    for (int i = 0; i < NW; i++)
        a->w[i] = (a->w[i] >> 1) | (i + 1 < NW ? a->w[i + 1] << 63 : 0);
}

/* a /= d; returns the remainder */
static uint64_t big_div_u64(big *a, uint64_t d)
{
    u128 rem = 0;
    for (int i = big_len(a) - 1; i >= 0; i--) {
        u128 cur = rem << 64 | a->w[i];
        a->w[i] = (uint64_t)(cur / d);
        rem = cur % d;
    }
    return (uint64_t)rem;
}

/* q = n / d, r = n % d (d != 0).  A divisor of one limb divides limb by limb; a wider one
 * shift-subtracts, one step per quotient bit. */
static void big_divmod(const big *n, const big *d, big *q, big *r)
{
    int bd = big_bits(d);
    if (bd <= 64) {
        *q = *n;
        big_set(r, big_div_u64(q, d->w[0]));
        return;
    }
    *r = *n;
    memset(q, 0, sizeof *q);
    int shift = big_bits(n) - bd;
    if (shift < 0)
        return;
    big dd = *d;
    big_shl(&dd, shift);
    for (int i = shift; i >= 0; i--) {
        if (big_cmp(r, &dd) >= 0) {
            big_sub(r, &dd);
            q->w[i / 64] |= 1ULL << (i % 64);
        }
        big_shr1(&dd);
    }
}

/* Number of decimal digits (0 for zero). */
static int big_digits(const big *b)
{
    big t = *b;
    int d = 0;
    while (!big_fits_u128(&t) || t.w[1]) { /* >= 2^64 > 10^19: at least one more group */
        big_div_u64(&t, P10[19]);
        d += 19;
    }
    uint64_t v = t.w[0];
    int k = 0;
    while (k < 20 && v >= P10[k])
        k++;
    return d + k;
}

/* ---- rounding ---------------------------------------------------------------------------- */

/* Divide the magnitude m by 10^r (r >= 1) and round per mode; sticky says the true value
 * lies a little above m (a nonzero remainder dropped earlier). */
static void round_pow10(big *m, int r, pl_round_mode mode, bool neg, bool sticky)
{
    big rem, half;
    if (r <= 19) {
        big_set(&rem, big_div_u64(m, P10[r]));
    } else {
        big p, q;
        big_pow10(&p, r);
        big_divmod(m, &p, &q, &rem);
        *m = q;
    }
    big_pow10(&half, r - 1);
    big_mul_u64(&half, 5);
    int c = big_cmp(&rem, &half);
    bool inexact = sticky || !big_zero(&rem), up;
    switch (mode) {
    case PL_ROUND_HALF_EVEN: up = c > 0 || (c == 0 && (sticky || (m->w[0] & 1))); break;
    case PL_ROUND_HALF_UP: up = c >= 0; break;
    case PL_ROUND_FLOOR: up = neg && inexact; break;
    case PL_ROUND_CEILING: up = !neg && inexact; break;
    default: up = false; break;
    }
    if (up) {
        big one;
        big_set(&one, 1);
        big_add(m, &one);
    }
}

static pl_value make_dec(bool neg, const big *m, int32_t scale)
{
    pl_i128 c = (pl_i128)big_u128(m);
    return pl_decimal_make(neg ? -c : c, scale);
}

/* Round the exact magnitude m * 10^-s (plus a sticky bit) to a DECIMAL.  False when the
 * value is outside the DECIMAL range: the caller makes a FLOAT from the exact value. */
static bool fit(bool neg, const big *exact, int32_t s, bool sticky, pl_value *out)
{
    big mm = *exact, *m = &mm; /* the caller still needs the exact value for a FLOAT */
    if (big_zero(m)) {
        if (sticky)
            return false; /* nonzero but below every digit kept: tiny */
        *out = pl_decimal_make(0, s < PL_DEC_MAX_DIGITS ? s : PL_DEC_MAX_DIGITS);
        return true;
    }
    int d = big_digits(m);
    int e = d - 1 - s; /* the value is d.ddd * 10^e */
    if (e < -PL_DEC_MAX_DIGITS || e >= PL_DEC_MAX_DIGITS)
        return false;
    int r = 0;
    if (s - PL_DEC_MAX_DIGITS > r)
        r = s - PL_DEC_MAX_DIGITS;
    if (d - PL_DEC_MAX_DIGITS > r)
        r = d - PL_DEC_MAX_DIGITS;
    if (r > 0) {
        round_pow10(m, r, PL_ROUND_HALF_EVEN, neg, sticky);
        s -= r;
        if (!big_fits_u128(m) || big_u128(m) >= DEC_LIMIT) { /* carried to 10^38 */
            big_div_u64(m, 10);
            s--;
        }
        if (s < 0)
            return false;
    }
    *out = make_dec(neg, m, s);
    return true;
}

/* ---- conversion to binary64 ---------------------------------------------------------------- */

/* The double nearest to p / r (both nonzero, below 2^400): a quotient of 55 or 56 bits and
 * the remainder as a sticky bit, rounded to 53 bits half even. */
static double ratio_to_double(bool neg, const big *p, const big *r)
{
    big n = *p, d = *r, q, rem;
    int sh = 55 - (big_bits(&n) - big_bits(&d));
    if (sh >= 0)
        big_shl(&n, sh);
    else
        big_shl(&d, -sh);
    big_divmod(&n, &d, &q, &rem);
    uint64_t m = q.w[0]; /* < 2^56 */
    int drop = 64 - __builtin_clzll(m) - 53;
    uint64_t lost = m & ((1ULL << drop) - 1), halfway = 1ULL << (drop - 1);
    m >>= drop;
    if (lost > halfway || (lost == halfway && (!big_zero(&rem) || (m & 1))))
        m++;
    double f = ldexp((double)m, drop - sh);
    return neg ? -f : f;
}

double pl_dec_to_double(pl_i128 coef, int32_t scale)
{
    static const double exact10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    pl_i128 lim = (pl_i128)1 << 53;
    if (coef > -lim && coef < lim && scale >= 0 && scale <= 22)
        return (double)coef / exact10[scale]; /* both exact: IEEE rounds the quotient once */
    if (coef == 0)
        return 0;
    bool neg = coef < 0;
    big p, r;
    big_set(&p, neg ? (u128)0 - (u128)coef : (u128)coef);
    big_pow10(&r, scale);
    return ratio_to_double(neg, &p, &r);
}

/* ---- operands ---------------------------------------------------------------------------- */

typedef struct dec {
    bool neg;
    big m;
    int32_t scale;
} dec;

static void split(const pl_value *v, dec *d)
{
    pl_i128 c = v->type == PL_INT ? (pl_i128)v->u.i : v->u.d;
    d->neg = c < 0;
    big_set(&d->m, d->neg ? (u128)0 - (u128)c : (u128)c);
    d->scale = v->type == PL_INT ? 0 : v->scale;
}

/* m * 10^-s as a FLOAT */
static pl_value float_of(bool neg, const big *m, int32_t s)
{
    if (big_zero(m))
        return pl_v_float(neg ? -0.0 : 0.0);
    big r;
    big_pow10(&r, s);
    return pl_v_float(ratio_to_double(neg, m, &r));
}

pl_value pl_dec_normalize(pl_value v)
{
    if (v.u.d == 0) {
        v.scale = 0;
        return v;
    }
    while (v.scale > 0 && v.u.d % 10 == 0) {
        v.u.d /= 10;
        v.scale--;
    }
    return v;
}

pluck_code pl_dec_arith(int op, const pl_value *a, const pl_value *b, pl_value *out)
{
    dec x, y;
    split(a, &x);
    split(b, &y);
    switch (op) {
    case '+':
    case '-': {
        int32_t s = x.scale > y.scale ? x.scale : y.scale;
        big_mul_pow10(&x.m, s - x.scale);
        big_mul_pow10(&y.m, s - y.scale);
        if (op == '-')
            y.neg = !y.neg;
        bool neg;
        if (x.neg == y.neg) {
            big_add(&x.m, &y.m);
            neg = x.neg;
        } else if (big_cmp(&x.m, &y.m) >= 0) {
            big_sub(&x.m, &y.m);
            neg = x.neg;
        } else {
            big_sub(&y.m, &x.m);
            x.m = y.m;
            neg = y.neg;
        }
        if (big_zero(&x.m))
            neg = false;
        if (!fit(neg, &x.m, s, false, out))
            *out = float_of(neg, &x.m, s);
        return PLUCK_OK;
    }
    case '*': {
        big m;
        big_mul(&m, &x.m, &y.m);
        bool neg = !big_zero(&m) && x.neg != y.neg;
        int32_t s = x.scale + y.scale;
        if (!fit(neg, &m, s, false, out))
            *out = float_of(neg, &m, s);
        return PLUCK_OK;
    }
    case '/': {
        if (big_zero(&y.m))
            return PLUCK_E_DIVISION_BY_ZERO;
        if (big_zero(&x.m)) {
            *out = pl_decimal_make(0, 0);
            return PLUCK_OK;
        }
        bool neg = x.neg != y.neg;
        /* the quotient truncated at 39 fractional digits, the rest as a sticky bit: fit()
         * rounds it to at most 38 digits (at least one digit is always dropped) */
        big n = x.m, q, rem;
        big_mul_pow10(&n, PL_DEC_MAX_DIGITS + 1 + y.scale - x.scale);
        big_divmod(&n, &y.m, &q, &rem);
        if (fit(neg, &q, PL_DEC_MAX_DIGITS + 1, !big_zero(&rem), out)) {
            *out = pl_dec_normalize(*out);
            return PLUCK_OK;
        }
        /* outside the DECIMAL range: the FLOAT nearest to the exact ratio */
        big p = x.m, r = y.m;
        if (y.scale > x.scale)
            big_mul_pow10(&p, y.scale - x.scale);
        else
            big_mul_pow10(&r, x.scale - y.scale);
        *out = pl_v_float(ratio_to_double(neg, &p, &r));
        return PLUCK_OK;
    }
    default: { /* '%': the sign of the dividend, |result| < |divisor| and <= |dividend| */
        if (big_zero(&y.m))
            return PLUCK_E_DIVISION_BY_ZERO;
        int32_t s = x.scale > y.scale ? x.scale : y.scale;
        big_mul_pow10(&x.m, s - x.scale);
        big_mul_pow10(&y.m, s - y.scale);
        big q, rem;
        big_divmod(&x.m, &y.m, &q, &rem);
        *out = make_dec(x.neg && !big_zero(&rem), &rem, s);
        return PLUCK_OK;
    }
    }
}

void pl_dec_quantize(const pl_value *a, int32_t scale, pl_round_mode mode, pl_value *out)
{
    dec x;
    split(a, &x);
    if (scale >= x.scale || scale > PL_DEC_MAX_DIGITS) {
        *out = a->type == PL_INT ? pl_decimal_make(a->u.i, 0) : *a;
        return;
    }
    int32_t r = x.scale - scale;
    if (r > 2 * PL_DEC_MAX_DIGITS + 1) {
        /* |a| < 10^38 and the unit 10^-scale is above 10^39: a is 0 or one unit away from
         * it, decided by the same shorter division; the unit itself is a FLOAT */
        round_pow10(&x.m, 2 * PL_DEC_MAX_DIGITS + 1, mode, x.neg, false);
        if (big_zero(&x.m)) {
            *out = pl_decimal_make(0, 0);
        } else {
            char t[24];
            snprintf(t, sizeof t, "%s1e%ld", x.neg ? "-" : "", -(long)scale);
            *out = pl_v_float(strtod(t, NULL));
        }
        return;
    }
    round_pow10(&x.m, r, mode, x.neg, false);
    bool neg = x.neg && !big_zero(&x.m);
    if (scale >= 0) {
        *out = make_dec(neg, &x.m, scale);
        return;
    }
    big_mul_pow10(&x.m, -scale);
    if (!big_fits_u128(&x.m) || big_u128(&x.m) >= DEC_LIMIT)
        *out = float_of(neg, &x.m, 0);
    else
        *out = make_dec(neg, &x.m, 0);
}

/* ---- exact comparison ---------------------------------------------------------------------- */

static int sign_of(const dec *d) { return big_zero(&d->m) ? 0 : d->neg ? -1 : 1; }

int pl_dec_cmp(const pl_value *a, const pl_value *b)
{
    if (a->type == PL_DECIMAL && b->type == PL_DECIMAL && a->scale == b->scale)
        return (a->u.d > b->u.d) - (a->u.d < b->u.d);
    dec x, y;
    split(a, &x);
    split(b, &y);
    int sx = sign_of(&x), sy = sign_of(&y);
    if (sx != sy || sx == 0)
        return (sx > sy) - (sx < sy);
    if (x.scale < y.scale)
        big_mul_pow10(&x.m, y.scale - x.scale);
    else
        big_mul_pow10(&y.m, x.scale - y.scale);
    int c = big_cmp(&x.m, &y.m);
    return sx < 0 ? -c : c;
}

int pl_dec_cmp_float(const pl_value *a, double f)
{
    dec x;
    split(a, &x);
    int sx = sign_of(&x), sf = (f > 0) - (f < 0);
    if (sx != sf || sx == 0)
        return (sx > sf) - (sx < sf);
    double af = fabs(f);
    int c; /* |a| against |f| */
    if (af >= 0x1p127) { /* beyond every DECIMAL (10^38 < 2^127) */
        c = -1;
    } else if (af < 0x1p-140) { /* below every nonzero DECIMAL (10^-38 > 2^-127) */
        c = 1;
    } else {
        int ex;
        double fr = frexp(af, &ex);
        uint64_t m = (uint64_t)ldexp(fr, 53);
        int e = ex - 53; /* |f| = m * 2^e, e in [-193, 74] */
        big l = x.m, r;  /* compare |coef| * 2^-e with m * 2^e * 10^scale */
        big_set(&r, m);
        big_mul_pow10(&r, x.scale);
        if (e < 0)
            big_shl(&l, -e);
        else
            big_shl(&r, e);
        c = big_cmp(&l, &r);
    }
    return sx < 0 ? -c : c;
}

bool pl_dec_from_double_exact(double f, pl_value *out)
{
    if (!isfinite(f))
        return false;
    if (f == 0) {
        *out = pl_decimal_make(0, 0);
        return true;
    }
    bool neg = f < 0;
    int ex;
    double fr = frexp(fabs(f), &ex);
    uint64_t m = (uint64_t)ldexp(fr, 53);
    int e = ex - 53;
    int tz = __builtin_ctzll(m);
    m >>= tz;
    e += tz;
    big b;
    big_set(&b, m);
    int32_t s = 0;
    if (e >= 0) {
        if (e > 127)
            return false;
        big_shl(&b, e);
    } else {
        s = -e; /* m * 2^e = m * 5^s / 10^s, and m * 5^s is odd: exactly s decimals */
        if (s > PL_DEC_MAX_DIGITS)
            return false;
        for (int i = 0; i < s; i++)
            big_mul_u64(&b, 5);
    }
    if (!big_fits_u128(&b) || big_u128(&b) >= DEC_LIMIT)
        return false;
    *out = make_dec(neg, &b, s);
    return true;
}
