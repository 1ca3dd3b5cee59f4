/*
 * test_decimal.c — the exact numeric core's own API (src/exec/decimal.h), the parts the SQL
 * suites reach only indirectly: quantizing with each rounding mode (what ROUND, FLOOR and
 * CEIL build on), exact comparison against doubles, correctly rounded conversion to double,
 * and exact double -> DECIMAL.  Expected values were computed with Python's decimal and
 * fractions modules.
 */
#include <criterion/criterion.h>

#include "exec/decimal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static pl_value num(const char *s)
{
    pl_value v;
    cr_assert(pl_parse_number(s, strlen(s), false, &v), "'%s' should parse", s);
    return v;
}

static void expect_text(const pl_value *v, pl_type type, const char *want, const char *what)
{
    char tmp[PL_TEXT_MAX + 1];
    const char *p;
    size_t n = pl_value_text(v, tmp, &p);
    char got[PL_TEXT_MAX + 1];
    memcpy(got, p, n);
    got[n] = '\0';
    cr_expect_eq(v->type, type, "%s: type %s", what, pl_type_name((pl_type)v->type));
    cr_expect_str_eq(got, want, "%s = '%s', want '%s'", what, got, want);
}

static void quant(const char *a, int32_t scale, pl_round_mode mode, pl_type type,
                  const char *want)
{
    pl_value x = num(a), r;
    pl_dec_quantize(&x, scale, mode, &r);
    char what[160];
    snprintf(what, sizeof what, "quantize(%s, %d, mode %d)", a, (int)scale, (int)mode);
    expect_text(&r, type, want, what);
}

Test(decimal_api, quantize_modes)
{
    quant("2.5", 0, PL_ROUND_HALF_EVEN, PL_DECIMAL, "2");
    quant("3.5", 0, PL_ROUND_HALF_EVEN, PL_DECIMAL, "4");
    quant("2.5", 0, PL_ROUND_HALF_UP, PL_DECIMAL, "3");
    quant("-2.5", 0, PL_ROUND_HALF_UP, PL_DECIMAL, "-3");
    quant("-2.5", 0, PL_ROUND_HALF_EVEN, PL_DECIMAL, "-2");
    quant("2.4999", 0, PL_ROUND_HALF_UP, PL_DECIMAL, "2");
    quant("1.239", 2, PL_ROUND_DOWN, PL_DECIMAL, "1.23");
    quant("-1.239", 2, PL_ROUND_DOWN, PL_DECIMAL, "-1.23");
    quant("1.231", 2, PL_ROUND_CEILING, PL_DECIMAL, "1.24");
    quant("-1.239", 2, PL_ROUND_CEILING, PL_DECIMAL, "-1.23");
    quant("1.239", 2, PL_ROUND_FLOOR, PL_DECIMAL, "1.23");
    quant("-1.231", 2, PL_ROUND_FLOOR, PL_DECIMAL, "-1.24");
    quant("-0.4", 0, PL_ROUND_HALF_UP, PL_DECIMAL, "0"); /* no negative zero */
    quant("1.5", 3, PL_ROUND_HALF_UP, PL_DECIMAL, "1.5");  /* finer than it is: unchanged */
    quant("7", 2, PL_ROUND_HALF_UP, PL_DECIMAL, "7");      /* an INT becomes a DECIMAL */
}

Test(decimal_api, quantize_negative_scale)
{
    quant("1234.5", -2, PL_ROUND_HALF_UP, PL_DECIMAL, "1200");
    quant("1250", -2, PL_ROUND_HALF_EVEN, PL_DECIMAL, "1200");
    quant("1250", -2, PL_ROUND_HALF_UP, PL_DECIMAL, "1300");
    quant("-1250", -2, PL_ROUND_FLOOR, PL_DECIMAL, "-1300");
    quant("99999999999999999999999999999999999999", -1, PL_ROUND_HALF_UP, PL_FLOAT, "1e38");
    quant("5", -100, PL_ROUND_CEILING, PL_FLOAT, "1e100");
    quant("5", -100, PL_ROUND_HALF_UP, PL_DECIMAL, "0");
    quant("-5", -100, PL_ROUND_FLOOR, PL_FLOAT, "-1e100");
}

Test(decimal_api, cmp_float_exact)
{
    pl_value a = num("0.1"), b = num("9007199254740993"), c = num("0.5"), z = num("0");
    cr_expect_lt(pl_dec_cmp_float(&a, 0.1), 0); /* 0.1 < 0.1000000000000000055... */
    cr_expect_gt(pl_dec_cmp_float(&b, 9007199254740992.0), 0);
    cr_expect_eq(pl_dec_cmp_float(&c, 0.5), 0);
    cr_expect_eq(pl_dec_cmp_float(&z, -0.0), 0);
    cr_expect_lt(pl_dec_cmp_float(&z, 5e-324), 0);
    cr_expect_gt(pl_dec_cmp_float(&c, -INFINITY), 0);
    cr_expect_lt(pl_dec_cmp_float(&c, 1e300), 0);
}

Test(decimal_api, to_double_correctly_rounded)
{
    /* 9007199254740993 is halfway between two doubles: ties to even */
    cr_expect_eq(pl_dec_to_double((pl_i128)90071992547409930, 1), 9007199254740992.0);
    pl_value v = num("-0.20808285477019192590411662301385273567");
    cr_expect_eq(pl_dec_to_double(v.u.d, v.scale), -0.20808285477019192);
    pl_value w = num("0.00000000000000000000000000000000000001");
    cr_expect_eq(pl_dec_to_double(w.u.d, w.scale), 1e-38);
}

Test(decimal_api, from_double_exact)
{
    pl_value r;
    cr_assert(pl_dec_from_double_exact(0.5, &r));
    expect_text(&r, PL_DECIMAL, "0.5", "0.5");
    cr_assert(pl_dec_from_double_exact(-1024.0, &r));
    expect_text(&r, PL_DECIMAL, "-1024", "-1024");
    cr_assert(pl_dec_from_double_exact(0.1, &r) == false); /* 55 decimals */
    cr_assert(pl_dec_from_double_exact(1e39, &r) == false);
    cr_assert(pl_dec_from_double_exact(1e38, &r)); /* 99999999999999997748809823456034029568 */
    cr_assert(pl_dec_from_double_exact(NAN, &r) == false);
}
