/*
 * value.c — number parsing, exact decimal arithmetic, comparison and text rendering of SQL
 * values.  Decimals stay exact while their coefficient fits 38 digits; an operation whose
 * exact result would not fit falls back to FLOAT (documented in man/pluck.1).
 */
#include "exec/value.h"
#include "exec/decimal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pl_i128 DEC_LIMIT = (pl_i128)10000000000000000000ULL * (pl_i128)10000000000000000000ULL; /* 1e38 */

pl_value pl_decimal_make(pl_i128 coef, int32_t scale)
{
    pl_value v = {0};
    v.type = PL_DECIMAL;
    v.u.d = coef;
    v.scale = scale;
    return v;
}

const char *pl_type_name(pl_type t)
{
    static const char *const names[] = {"MISSING", "NULL",   "BOOL",     "INT",
                                        "FLOAT",   "DECIMAL", "STRING", "TIMESTAMP"};
    return (unsigned)t < PL_ARRAY_SIZE(names) ? names[t] : "?";
}

bool pl_parse_number(const char *p, size_t n, bool trim, pl_value *out)
{
    const char *e = p + n;
    if (trim) {
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
    }
    const char *s = p;
    bool neg = false;
    if (p < e && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    int digits = 0, sig = 0, frac = 0;
    pl_i128 coef = 0;
    uint64_t acc = 0; /* digits go here while they fit: 128-bit steps cost 3x more */
    bool dot = false, big = false;
    for (; p < e; p++) {
        unsigned c = (unsigned char)*p - '0';
        if (c <= 9) {
            digits++;
            if (dot)
                frac++;
            if (sig || c) {
                sig++;
            }
            if (sig > PL_DEC_MAX_DIGITS) {
                big = true;
            } else if (sig <= 18) {
                acc = acc * 10 + c;
            } else {
                if (sig == 19)
                    coef = acc;
                coef = coef * 10 + c;
            }
        } else if (*p == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    if (sig <= 18)
        coef = acc;
    if (digits == 0)
        return false;
    if (frac > PL_DEC_MAX_DIGITS)
        big = true; /* a DECIMAL's scale stays within 38: more fractional digits is a FLOAT */
    if (p == e && !dot && !big) {
        pl_i128 v = neg ? -coef : coef;
        if (v >= INT64_MIN && v <= INT64_MAX) {
            *out = pl_v_int((int64_t)v);
            return true;
        }
        /* integer too large for INT: exact DECIMAL when it fits */
        *out = pl_decimal_make(neg ? -coef : coef, 0);
        return true;
    }
    if (p < e) { /* exponent */
        if (*p != 'e' && *p != 'E')
            return false;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p == e)
            return false;
        while (p < e && (unsigned)((unsigned char)*p - '0') <= 9)
            p++;
        if (p != e)
            return false;
        big = true;
    }
    if (big) {
        char tmp[128];
        size_t len = (size_t)(e - s);
        if (len >= sizeof tmp) {
            /* Long digit strings: strtod needs a terminated copy; keep it bounded. */
            char *heap = malloc(len + 1);
            if (!heap)
                return false;
            memcpy(heap, s, len);
            heap[len] = '\0';
            *out = pl_v_float(strtod(heap, NULL));
            free(heap);
            return true;
        }
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        *out = pl_v_float(strtod(tmp, NULL));
        return true;
    }
    *out = pl_decimal_make(neg ? -coef : coef, frac);
    return true;
}

bool pl_value_as_number(const pl_value *v, pl_value *out)
{
    if (pl_v_numeric(v)) {
        *out = *v;
        return true;
    }
    if (v->type == PL_STRING && v->untyped)
        return pl_parse_number(v->u.s.p, v->u.s.len, false, out);
    return false;
}

double pl_to_double(const pl_value *v)
{
    switch (v->type) {
    case PL_INT: return (double)v->u.i;
    case PL_FLOAT: return v->u.f;
    case PL_DECIMAL: return pl_dec_to_double(v->u.d, v->scale); /* correctly rounded */
    case PL_BOOL: return v->u.b;
    default: return 0;
    }
}

static pl_i128 pow10_i128(int n)
{
    static const uint64_t small[] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL,
                                     1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
                                     10000000000ULL, 100000000000ULL, 1000000000000ULL,
                                     10000000000000ULL, 100000000000000ULL,
                                     1000000000000000ULL, 10000000000000000ULL,
                                     100000000000000000ULL, 1000000000000000000ULL};
    if (n <= 18)
        return small[n];
    return (pl_i128)small[18] * pow10_i128(n - 18);
}

/* Raise x's scale by k digits; false when the coefficient would reach 1e38. */
static bool rescale(pl_value *x, int32_t k)
{
    if (k > PL_DEC_MAX_DIGITS)
        return x->u.d == 0 ? (x->scale += k, true) : false;
    pl_i128 lim = pow10_i128(PL_DEC_MAX_DIGITS - k); /* 1e38 / 10^k, without a division */
    if (x->u.d >= lim || x->u.d <= -lim)
        return false;
    x->u.d *= pow10_i128(k);
    x->scale += k;
    return true;
}

/* Multiply the coefficient by 10^k keeping the scale (for exponents); false past 1e38. */
static bool rescale_up(pl_value *x, int32_t k)
{
    int32_t scale = x->scale;
    if (!rescale(x, k))
        return false;
    x->scale = scale;
    return true;
}

/* + - * of two decimals whose exact result is a DECIMAL computable in 128 bits (the rows of
 * a SUM over prices); false sends the operation to decimal.c, which gives the same answer for
 * these and handles everything else. */
static bool dec_fast(int op, const pl_value *a, const pl_value *b, pl_value *out)
{
    if (op != '+' && op != '-' && op != '*')
        return false;
    pl_value x = *a, y = *b;
    if (x.type == PL_INT)
        x = pl_decimal_make(x.u.i, 0);
    if (y.type == PL_INT)
        y = pl_decimal_make(y.u.i, 0);
    pl_i128 r;
    if (op == '*') {
        pl_i128 lim = (pl_i128)1 << 63;
        if (x.u.d >= lim || x.u.d <= -lim || y.u.d >= lim || y.u.d <= -lim ||
            x.scale + y.scale > PL_DEC_MAX_DIGITS)
            return false;
        *out = pl_decimal_make(x.u.d * y.u.d, x.scale + y.scale); /* below 2^126 < 1e38 */
        return true;
    }
    if (x.scale < y.scale ? !rescale(&x, y.scale - x.scale) : !rescale(&y, x.scale - y.scale))
        return false;
    if (op == '+' ? __builtin_add_overflow(x.u.d, y.u.d, &r) : __builtin_sub_overflow(x.u.d, y.u.d, &r))
        return false;
    if (r >= DEC_LIMIT || r <= -DEC_LIMIT)
        return false;
    *out = pl_decimal_make(r, x.scale);
    return true;
}

static pluck_code float_result(int op, double x, double y, pl_value *out)
{
    double r;
    switch (op) {
    case '+': r = x + y; break;
    case '-': r = x - y; break;
    case '*': r = x * y; break;
    case '/':
        if (y == 0)
            return PLUCK_E_DIVISION_BY_ZERO;
        r = x / y;
        break;
    default:
        if (y == 0)
            return PLUCK_E_DIVISION_BY_ZERO;
        r = fmod(x, y);
        break;
    }
    *out = pl_v_float(r);
    return PLUCK_OK;
}

pluck_code pl_arith(int op, const pl_value *a, const pl_value *b, pl_value *out)
{
    if (a->type == PL_INT && b->type == PL_INT) {
        int64_t x = a->u.i, y = b->u.i, r;
        switch (op) {
        case '+':
            if (__builtin_add_overflow(x, y, &r))
                return PLUCK_E_INTEGER_OVERFLOW;
            break;
        case '-':
            if (__builtin_sub_overflow(x, y, &r))
                return PLUCK_E_INTEGER_OVERFLOW;
            break;
        case '*':
            if (__builtin_mul_overflow(x, y, &r))
                return PLUCK_E_INTEGER_OVERFLOW;
            break;
        case '/':
            if (y == 0)
                return PLUCK_E_DIVISION_BY_ZERO;
            if (x == INT64_MIN && y == -1)
                return PLUCK_E_INTEGER_OVERFLOW;
            r = x / y;
            break;
        default:
            if (y == 0)
                return PLUCK_E_DIVISION_BY_ZERO;
            r = (x == INT64_MIN && y == -1) ? 0 : x % y;
            break;
        }
        *out = pl_v_int(r);
        return PLUCK_OK;
    }
    if (a->type == PL_FLOAT || b->type == PL_FLOAT)
        return float_result(op, pl_to_double(a), pl_to_double(b), out);
    /* INT with DECIMAL, DECIMAL with DECIMAL: exact, rounded once (decimal.c); the common
     * small cases in 128 bits first */
    if (dec_fast(op, a, b, out))
        return PLUCK_OK;
    return pl_dec_arith(op, a, b, out);
}

pluck_code pl_negate(const pl_value *a, pl_value *out)
{
    switch (a->type) {
    case PL_INT:
        if (a->u.i == INT64_MIN)
            return PLUCK_E_INTEGER_OVERFLOW;
        *out = pl_v_int(-a->u.i);
        return PLUCK_OK;
    case PL_FLOAT: *out = pl_v_float(-a->u.f); return PLUCK_OK;
    case PL_DECIMAL: *out = pl_decimal_make(-a->u.d, a->scale); return PLUCK_OK;
    default: *out = *a; return PLUCK_OK;
    }
}

int pl_num_cmp(const pl_value *a, const pl_value *b)
{
    if (a->type == PL_INT && b->type == PL_INT)
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    if (a->type == PL_DECIMAL && b->type == PL_DECIMAL && a->scale == b->scale)
        return (a->u.d > b->u.d) - (a->u.d < b->u.d);
    /* INT against a small DECIMAL (a CSV "15.8" against 400): 64-bit math when it fits */
    if ((a->type == PL_INT && b->type == PL_DECIMAL) || (a->type == PL_DECIMAL && b->type == PL_INT)) {
        const pl_value *i = a->type == PL_INT ? a : b, *d = a->type == PL_INT ? b : a;
        int64_t scaled;
        if (d->scale <= 18 && d->u.d >= INT64_MIN && d->u.d <= INT64_MAX &&
            !__builtin_mul_overflow(i->u.i, (int64_t)pow10_i128(d->scale), &scaled)) {
            int64_t c = (int64_t)d->u.d;
            int r = (scaled > c) - (scaled < c);
            return a->type == PL_INT ? r : -r;
        }
    }
    if (a->type == PL_FLOAT || b->type == PL_FLOAT) {
        if ((a->type == PL_FLOAT && isnan(a->u.f)) || (b->type == PL_FLOAT && isnan(b->u.f)))
            return PL_NUM_UNORDERED;
        if (a->type == PL_FLOAT && b->type == PL_FLOAT)
            return (a->u.f > b->u.f) - (a->u.f < b->u.f);
        /* a number against a FLOAT: exactly, not through a rounded double */
        return a->type == PL_FLOAT ? -pl_dec_cmp_float(b, a->u.f) : pl_dec_cmp_float(a, b->u.f);
    }
    return pl_dec_cmp(a, b); /* exact at any scales */
}

int pl_str_cmp(const pl_value *a, const pl_value *b)
{
    uint32_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return (a->u.s.len > b->u.s.len) - (a->u.s.len < b->u.s.len);
}

bool pl_decimal_from_double(double f, pl_value *out)
{
    if (!isfinite(f))
        return false;
    char tmp[PL_TEXT_MAX];
    const char *p;
    pl_value fv = pl_v_float(f);
    size_t n = pl_value_text(&fv, tmp, &p);
    /* the shortest text is positional or d.ddde±X: take the mantissa, then apply X */
    const char *e = memchr(p, 'e', n);
    pl_value r;
    if (!pl_parse_number(p, e ? (size_t)(e - p) : n, false, &r))
        return false;
    if (r.type == PL_INT)
        r = pl_decimal_make(r.u.i, 0);
    if (r.type != PL_DECIMAL)
        return false;
    if (e) {
        long x = strtol(e + 1, NULL, 10);
        long sc = (long)r.scale - x;
        if (sc < 0) {
            if (-sc > PL_DEC_MAX_DIGITS || !rescale_up(&r, (int32_t)-sc))
                return false;
            sc = 0;
        }
        if (sc > PL_DEC_MAX_DIGITS)
            return false;
        r.scale = (int32_t)sc;
    }
    *out = r;
    return true;
}

/* Shortest text that reads back as the same double, positional for ordinary magnitudes
 * (1e-7 <= |x| < 1e21) so values never print as 1e+06. */
static size_t float_text(double f, char *tmp)
{
    if (isnan(f))
        return (size_t)snprintf(tmp, PL_TEXT_MAX, "NaN");
    if (isinf(f))
        return (size_t)snprintf(tmp, PL_TEXT_MAX, f < 0 ? "-Infinity" : "Infinity");
    if (f == 0)
        return (size_t)snprintf(tmp, PL_TEXT_MAX, signbit(f) ? "-0" : "0");
    char e[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, f);
        if (strtod(e, NULL) == f)
            break;
    }
    /* e is "[-]d.ddde[+-]XX": split digits and exponent */
    char digits[24];
    int nd = 0, exp10;
    const char *q = e;
    bool neg = *q == '-';
    if (neg)
        q++;
    for (; *q && *q != 'e'; q++)
        if (*q != '.')
            digits[nd++] = *q;
    exp10 = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (exp10 < -7 || exp10 >= 21)
        return (size_t)snprintf(tmp, PL_TEXT_MAX, "%s%c%s%.*se%d", neg ? "-" : "", digits[0],
                                nd > 1 ? "." : "", nd - 1, digits + 1, exp10);
    char *o = tmp;
    if (neg)
        *o++ = '-';
    if (exp10 < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > exp10; i--)
            *o++ = '0';
        memcpy(o, digits, (size_t)nd);
        o += nd;
    } else {
        for (int i = 0; i <= exp10 || i < nd; i++) {
            if (i == exp10 + 1)
                *o++ = '.';
            *o++ = i < nd ? digits[i] : '0';
        }
    }
    *o = '\0';
    return (size_t)(o - tmp);
}

size_t pl_i128_text(pl_i128 c, int32_t scale, char *tmp)
{
    char rev[48];
    int n = 0;
    bool neg = c < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)c : (unsigned __int128)c;
    do {
        rev[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale)
        rev[n++] = '0';
    char *o = tmp;
    if (neg)
        *o++ = '-';
    for (int i = n - 1; i >= 0; i--) {
        *o++ = rev[i];
        if (i == scale && scale > 0)
            *o++ = '.';
    }
    *o = '\0';
    return (size_t)(o - tmp);
}

size_t pl_value_text(const pl_value *v, char *tmp, const char **p)
{
    *p = tmp;
    switch (v->type) {
    case PL_STRING: *p = v->u.s.p; return v->u.s.len;
    case PL_INT: return (size_t)snprintf(tmp, PL_TEXT_MAX, "%lld", (long long)v->u.i);
    case PL_FLOAT: return float_text(v->u.f, tmp);
    case PL_DECIMAL: return pl_i128_text(v->u.d, v->scale, tmp);
    case PL_BOOL: *p = v->u.b ? "true" : "false"; return v->u.b ? 4 : 5;
    case PL_TIMESTAMP: return pl_ts_format(&v->u.ts, tmp);
    default: *p = ""; return 0;
    }
}

static int type_rank(const pl_value *v)
{
    switch (v->type) {
    case PL_MISSING:
    case PL_NULL: return 0;
    case PL_BOOL: return 1;
    case PL_TIMESTAMP: return 3;
    case PL_STRING: return 4;
    default: return 2;
    }
}

int pl_value_order(const pl_value *a, const pl_value *b)
{
    pl_value x = *a, y = *b;
    if (x.type == PL_STRING && x.untyped)
        pl_value_as_number(a, &x);
    if (y.type == PL_STRING && y.untyped)
        pl_value_as_number(b, &y);
    int ra = type_rank(&x), rb = type_rank(&y);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    switch (ra) {
    case 0: return 0;
    case 1: return (int)x.u.b - (int)y.u.b;
    case 2: {
        /* NaN sorts after every other number and equals itself here (ORDER BY, MIN/MAX) */
        int c = pl_num_cmp(&x, &y);
        if (c == PL_NUM_UNORDERED) {
            bool xn = x.type == PL_FLOAT && isnan(x.u.f), yn = y.type == PL_FLOAT && isnan(y.u.f);
            return (int)xn - (int)yn;
        }
        return c;
    }
    case 3: return pl_ts_cmp(&x.u.ts, &y.u.ts);
    default: return pl_str_cmp(&x, &y);
    }
}
