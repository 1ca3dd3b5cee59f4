/*
 * decimal.h — the exact numeric core: DECIMAL arithmetic, rounding, exact comparison and
 * correctly rounded conversion to FLOAT.
 *
 * A DECIMAL is coef * 10^-scale with |coef| < 10^38 and 0 <= scale <= 38 (pl_value's u.d and
 * scale).  Every operation computes its exact result in a wider integer (up to 512 bits),
 * then rounds it once to the nearest DECIMAL (half even) that has at most 38 digits and at
 * most 38 of them after the point.  When the exact result's magnitude is outside the DECIMAL
 * range (|x| >= 10^38, or 0 < |x| < 10^-38), or rounding carries it to 10^38, the result is
 * the FLOAT nearest to the exact value (one rounding).  The rules table is in man/pluck.1
 * ("Numbers").
 *
 * Functions for other files (ROUND, ABS, FLOOR, CEIL build on pl_dec_quantize):
 *   pl_dec_arith     + - * / % of two INT/DECIMAL values (INTs are read as scale 0)
 *   pl_dec_quantize  round a DECIMAL to a given scale (also negative) with a rounding mode
 *   pl_dec_cmp       exact order of two INT/DECIMAL values, any scales
 *   pl_dec_cmp_float exact order of an INT/DECIMAL and a finite double
 *   pl_dec_to_double correctly rounded DECIMAL -> binary64
 *   pl_dec_from_double_exact  a double whose exact value is a DECIMAL (for GROUP BY keys)
 *   pl_dec_normalize drop trailing fractional zeros (1.500 -> 1.5)
 *
 * E.g. ROUND(x, d) of a DECIMAL or INT x is pl_dec_quantize(&x, d, PL_ROUND_HALF_UP, &out),
 * FLOOR(x) is pl_dec_quantize(&x, 0, PL_ROUND_FLOOR, &out), CEIL the same with
 * PL_ROUND_CEILING, and ABS is pl_negate (value.h) of a negative x; a FLOAT x has its own
 * <math.h> function.
 */
#ifndef PL_DECIMAL_H
#define PL_DECIMAL_H

#include "exec/value.h"

typedef enum pl_round_mode {
    PL_ROUND_HALF_EVEN, /* the arithmetic's own rounding */
    PL_ROUND_HALF_UP,   /* half away from zero (SQL ROUND) */
    PL_ROUND_DOWN,      /* toward zero (truncate) */
    PL_ROUND_FLOOR,     /* toward -infinity */
    PL_ROUND_CEILING    /* toward +infinity */
} pl_round_mode;

/* op is one of + - * / %.  a and b are INT or DECIMAL.  *out becomes a DECIMAL, or a FLOAT
 * when the exact result is outside the DECIMAL range (see above).  Returns
 * PLUCK_E_DIVISION_BY_ZERO for / and % by zero, else PLUCK_OK. */
pluck_code pl_dec_arith(int op, const pl_value *a, const pl_value *b, pl_value *out);

/* Round DECIMAL (or INT) a to `scale` fractional digits (negative: to a multiple of
 * 10^-scale) with the given mode.  The result is a DECIMAL with scale max(scale, 0), or a
 * FLOAT when rounding carries it to 10^38 or more.  Scales above 38 return a unchanged. */
void pl_dec_quantize(const pl_value *a, int32_t scale, pl_round_mode mode, pl_value *out);

/* <0, 0, >0: exact, whatever the scales.  a and b are INT or DECIMAL. */
int pl_dec_cmp(const pl_value *a, const pl_value *b);

/* <0, 0, >0: exact order of INT/DECIMAL a against the finite double f. */
int pl_dec_cmp_float(const pl_value *a, double f);

/* The binary64 nearest to coef * 10^-scale (ties to even). */
double pl_dec_to_double(pl_i128 coef, int32_t scale);

/* When the finite double f is exactly a DECIMAL (at most 38 digits, scale <= 38), set *out
 * to it (normalized) and return true. */
bool pl_dec_from_double_exact(double f, pl_value *out);

/* The same value without trailing fractional zeros (and 0 at scale 0). */
pl_value pl_dec_normalize(pl_value v);

#endif /* PL_DECIMAL_H */
