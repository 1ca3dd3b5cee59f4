/*
 * func_num.c — ROUND, ABS, FLOOR, CEIL / CEILING (pluck extensions, -X), exact on INT and
 * DECIMAL through decimal.c's pl_dec_quantize; their rows are in func.c's table.
 *
 * ROUND(x [, d]) rounds half away from zero, as SQL engines do (ROUND(2.5) = 3,
 * ROUND(-2.5) = -3), to d digits after the point (d may be negative: ROUND(1234, -2) =
 * 1200).  The result keeps x's type: INT stays INT, DECIMAL stays DECIMAL (with at most d
 * digits after the point: ROUND(1.5, 3) is 1.5), FLOAT stays FLOAT (its exact binary value is rounded:
 * ROUND(2.675, 2) of a FLOAT is 2.67 because the double nearest 2.675 is a little less; a
 * DECIMAL literal or CSV text 2.675 rounds exactly to 2.68).  An untyped CSV field is read as the number it spells, so
 * ROUND(_3, 1) over "2.25" is the exact DECIMAL 2.3.  FLOOR and CEIL return an INT when the
 * result fits in 64 bits, else a DECIMAL of scale 0.
 */
#include "exec/func_ext.h"

#include "exec/decimal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A numeric argument (a CSV field read as the number it spells), or an error.  As in
 * arithmetic, CSV text that is not a number (an empty field) makes the result NULL: *out
 * is then NULL. */
static pluck_code num_arg(pl_eval_ctx *ctx, const pl_node *n, const pl_value *v, pl_value *out)
{
    if (pl_value_as_number(v, out))
        return PLUCK_OK;
    if (v->type == PL_STRING && v->untyped) {
        *out = pl_v_null();
        return PLUCK_OK;
    }
    return pl_eval_fail(ctx, n, PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE,
                        "Function %s expects a number, got %s", n->fn->name,
                        v->type == PL_STRING ? "text that is not a number"
                                             : pl_type_name((pl_type)v->type));
}

/* A DECIMAL of scale 0 as an INT when it fits. */
static pl_value int_if_fits(pl_value v)
{
    if (v.type == PL_DECIMAL && v.scale == 0 && v.u.d >= INT64_MIN && v.u.d <= INT64_MAX)
        return pl_v_int((int64_t)v.u.d);
    return v;
}

/* ROUND of a FLOAT: its exact binary value (all of its digits, which printf gives exactly)
 * rounded half away from zero at d digits, then the nearest double to that. */
static double round_float(double f, int d)
{
    if (!isfinite(f) || d > 400)
        return f;
    char buf[1800], dig[1800];
    snprintf(buf, sizeof buf, "%.1100f", fabs(f)); /* every fractional bit, exactly */
    const char *dot = strchr(buf, '.');
    int ilen = (int)(dot - buf), nd = 0;
    for (const char *c = buf; *c; c++)
        if (*c != '.')
            dig[nd++] = *c;
    int keep = ilen + d; /* digits kept from the start */
    if (keep < 0)
        return 0.0;
    bool up = keep < nd && dig[keep] >= '5';
    int i = keep - 1;
    for (; up && i >= 0; i--) {
        if (dig[i] == '9') {
            dig[i] = '0';
        } else {
            dig[i]++;
            up = false;
        }
    }
    char num[1900];
    int o = 0;
    if (f < 0)
        num[o++] = '-';
    if (up)
        num[o++] = '1'; /* carried past the first digit */
    for (int k = 0; k < ilen; k++)
        num[o++] = k < keep ? dig[k] : '0';
    if (keep > ilen) {
        num[o++] = '.';
        for (int k = ilen; k < keep; k++)
            num[o++] = dig[k];
    }
    num[o] = '\0';
    double r = strtod(num, NULL);
    return r == 0 ? 0.0 : r; /* no -0 */
}

pluck_code pl_fn_round(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                       pl_value *out)
{
    if (pl_fn_null_if_absent(a, na, out))
        return PLUCK_OK;
    pl_value x, dv;
    pluck_code rc = num_arg(ctx, n, &a[0], &x);
    if (rc || (*out = x, x.type == PL_NULL))
        return rc;
    int64_t d = 0;
    if (na > 1) {
        if ((rc = num_arg(ctx, n, &a[1], &dv)) || (*out = dv, dv.type == PL_NULL))
            return rc;
        if (dv.type != PL_INT)
            return pl_eval_fail(ctx, n, PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE,
                                "ROUND expects an integer number of digits");
        d = dv.u.i < -40 ? -40 : dv.u.i > 40 ? 40 : dv.u.i;
    }
    if (x.type == PL_FLOAT) {
        *out = pl_v_float(round_float(x.u.f, (int)d));
        return PLUCK_OK;
    }
    if (x.type == PL_INT && d >= 0) {
        *out = x;
        return PLUCK_OK;
    }
    pl_dec_quantize(&x, (int32_t)d, PL_ROUND_HALF_UP, out);
    if (x.type == PL_INT) {
        pl_value r = int_if_fits(*out);
        if (r.type != PL_INT)
            return pl_eval_fail(ctx, n, PLUCK_E_INTEGER_OVERFLOW, "ROUND overflows an INT");
        *out = r;
    }
    return PLUCK_OK;
}

static pluck_code floor_ceil(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a,
                             uint32_t na, pl_value *out, bool up)
{
    if (pl_fn_null_if_absent(a, na, out))
        return PLUCK_OK;
    pl_value x;
    pluck_code rc = num_arg(ctx, n, &a[0], &x);
    if (rc || (*out = x, x.type == PL_NULL))
        return rc;
    if (x.type == PL_INT) {
        *out = x;
    } else if (x.type == PL_FLOAT) {
        *out = pl_v_float(up ? ceil(x.u.f) : floor(x.u.f));
    } else {
        pl_dec_quantize(&x, 0, up ? PL_ROUND_CEILING : PL_ROUND_FLOOR, out);
        *out = int_if_fits(*out);
    }
    return PLUCK_OK;
}

pluck_code pl_fn_floor(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                       pl_value *out)
{
    return floor_ceil(ctx, n, a, na, out, false);
}

pluck_code pl_fn_ceil(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                      pl_value *out)
{
    return floor_ceil(ctx, n, a, na, out, true);
}

pluck_code pl_fn_abs(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                     pl_value *out)
{
    if (pl_fn_null_if_absent(a, na, out))
        return PLUCK_OK;
    pl_value x;
    pluck_code rc = num_arg(ctx, n, &a[0], &x);
    if (rc || (*out = x, x.type == PL_NULL))
        return rc;
    switch (x.type) {
    case PL_INT:
        if (x.u.i == INT64_MIN)
            return pl_eval_fail(ctx, n, PLUCK_E_INTEGER_OVERFLOW, "ABS overflows an INT");
        *out = pl_v_int(x.u.i < 0 ? -x.u.i : x.u.i);
        return PLUCK_OK;
    case PL_FLOAT: *out = pl_v_float(fabs(x.u.f)); return PLUCK_OK;
    default:
        *out = x;
        if (x.u.d < 0)
            out->u.d = -x.u.d;
        return PLUCK_OK;
    }
}
