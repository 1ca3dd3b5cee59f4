/*
 * test_value.c — SQL values without a query (src/exec/value.c): number parsing, exact
 * decimal arithmetic and its fallbacks, numeric comparison across types, and rendering as
 * text (floats in shortest round-trip positional form, decimals with their scale).
 *
 * Cases are written as text on both sides: operands are parsed with pl_parse_number, the
 * result is rendered with pl_value_text, and both the type and the exact text are checked.
 */
#include <criterion/criterion.h>

#include "exec/value.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------------------- */

typedef struct vtext {
    char s[PL_TEXT_MAX + 1];
} vtext;

/* The value's text, NUL-terminated. */
static vtext text_of(const pl_value *v)
{
    vtext t;
    char tmp[PL_TEXT_MAX];
    const char *p;
    size_t n = pl_value_text(v, tmp, &p);
    cr_assert_leq(n, PL_TEXT_MAX, "rendered text too long: %zu bytes", n);
    memcpy(t.s, p, n);
    t.s[n] = '\0';
    return t;
}

static pl_value parse_ok(const char *s, bool trim)
{
    pl_value v;
    memset(&v, 0xAB, sizeof v);
    cr_assert(pl_parse_number(s, strlen(s), trim, &v), "'%s' should parse as a number", s);
    return v;
}

static pl_value num(const char *s) { return parse_ok(s, false); }

static void expect_parse(const char *s, bool trim, pl_type type, const char *want)
{
    pl_value v = parse_ok(s, trim);
    cr_assert_eq(v.type, type, "'%s': type %s, want %s", s, pl_type_name((pl_type)v.type),
                 pl_type_name(type));
    vtext t = text_of(&v);
    cr_assert_str_eq(t.s, want, "'%s' renders as '%s', want '%s'", s, t.s, want);
}

static void expect_not_number(const char *s, size_t n, bool trim)
{
    pl_value v = pl_v_int(12345);
    cr_assert_not(pl_parse_number(s, n, trim, &v), "'%.*s' should not parse", (int)n, s);
}

static void expect_arith(const char *a, int op, const char *b, pl_type type, const char *want)
{
    pl_value x = num(a), y = num(b), r;
    pluck_code rc = pl_arith(op, &x, &y, &r);
    cr_assert_eq(rc, PLUCK_OK, "%s %c %s failed with %s", a, op, b, pluck_code_name(rc));
    cr_assert_eq(r.type, type, "%s %c %s: type %s, want %s", a, op, b,
                 pl_type_name((pl_type)r.type), pl_type_name(type));
    vtext t = text_of(&r);
    cr_assert_str_eq(t.s, want, "%s %c %s = '%s', want '%s'", a, op, b, t.s, want);
}

static void expect_arith_v(pl_value x, int op, pl_value y, pl_type type, const char *want)
{
    pl_value r;
    pluck_code rc = pl_arith(op, &x, &y, &r);
    cr_assert_eq(rc, PLUCK_OK, "op %c failed with %s", op, pluck_code_name(rc));
    cr_assert_eq(r.type, type, "op %c: type %s, want %s", op, pl_type_name((pl_type)r.type),
                 pl_type_name(type));
    vtext t = text_of(&r);
    cr_assert_str_eq(t.s, want, "op %c = '%s', want '%s'", op, t.s, want);
}

/* The error leaves *out untouched. */
static void expect_arith_error(pl_value x, int op, pl_value y, pluck_code want)
{
    pl_value r = pl_v_int(777);
    pluck_code rc = pl_arith(op, &x, &y, &r);
    cr_assert_eq(rc, want, "op %c gave %s, want %s", op, pluck_code_name(rc),
                 pluck_code_name(want));
    cr_assert_eq(r.type, PL_INT, "out was modified on error");
    cr_assert_eq(r.u.i, 777, "out was modified on error");
}

static void expect_float_text(double f, const char *want)
{
    pl_value v = pl_v_float(f);
    vtext t = text_of(&v);
    cr_assert_str_eq(t.s, want, "%.17g renders as '%s', want '%s'", f, t.s, want);
}

/* The text of a finite float must read back as the same double. */
static void expect_round_trip(double f)
{
    pl_value v = pl_v_float(f);
    vtext t = text_of(&v);
    double back = strtod(t.s, NULL);
    cr_assert(back == f, "%.17g renders as '%s' which reads back as %.17g", f, t.s, back);
}

static int cmp_text(const char *a, const char *b)
{
    pl_value x = num(a), y = num(b);
    return pl_num_cmp(&x, &y);
}

/* ---- pl_parse_number ------------------------------------------------------------------- */

Test(value_parse, integers)
{
    expect_parse("0", false, PL_INT, "0");
    expect_parse("42", false, PL_INT, "42");
    expect_parse("-42", false, PL_INT, "-42");
    expect_parse("+7", false, PL_INT, "7");
    expect_parse("007", false, PL_INT, "7");
    expect_parse("-0", false, PL_INT, "0");
    pl_value v = num("123456789012");
    cr_assert_eq(v.u.i, 123456789012LL);
}

Test(value_parse, int64_limits)
{
    pl_value v = num("9223372036854775807");
    cr_assert_eq(v.type, PL_INT);
    cr_assert_eq(v.u.i, INT64_MAX);
    v = num("-9223372036854775808");
    cr_assert_eq(v.type, PL_INT);
    cr_assert_eq(v.u.i, INT64_MIN);
}

Test(value_parse, beyond_int64_is_exact_decimal)
{
    expect_parse("9223372036854775808", false, PL_DECIMAL, "9223372036854775808");
    expect_parse("-9223372036854775809", false, PL_DECIMAL, "-9223372036854775809");
    pl_value v = num("9223372036854775808");
    cr_assert_eq(v.scale, 0);
    /* 38 digits still fit a DECIMAL exactly */
    expect_parse("99999999999999999999999999999999999999", false, PL_DECIMAL,
                 "99999999999999999999999999999999999999");
    expect_parse("-12345678901234567890123456789012345678", false, PL_DECIMAL,
                 "-12345678901234567890123456789012345678");
}

Test(value_parse, too_many_digits_is_float)
{
    /* 39 significant digits: no longer exact, a FLOAT */
    pl_value v = num("100000000000000000000000000000000000000");
    cr_assert_eq(v.type, PL_FLOAT);
    cr_assert(v.u.f == 1e38);
    v = num("1234567890123456789012345678901234567890.5");
    cr_assert_eq(v.type, PL_FLOAT);
    cr_assert(v.u.f == 1234567890123456789012345678901234567890.5);
    /* longer than any stack buffer: 1 followed by 199 zeros */
    char big[201];
    big[0] = '1';
    memset(big + 1, '0', 199);
    big[200] = '\0';
    v = num(big);
    cr_assert_eq(v.type, PL_FLOAT);
    cr_assert(v.u.f == 1e199);
    /* leading zeros are not significant */
    v = num("0000000000000000000000000000000000000000000012");
    cr_assert_eq(v.type, PL_INT);
    cr_assert_eq(v.u.i, 12);
}

Test(value_parse, decimals)
{
    expect_parse(".5", false, PL_DECIMAL, "0.5");
    expect_parse("5.", false, PL_DECIMAL, "5");
    expect_parse("1.50", false, PL_DECIMAL, "1.50");
    expect_parse("-0.05", false, PL_DECIMAL, "-0.05");
    expect_parse("+2.25", false, PL_DECIMAL, "2.25");
    expect_parse("0.000", false, PL_DECIMAL, "0.000");
    expect_parse("-.5", false, PL_DECIMAL, "-0.5");
    pl_value v = num("1.50");
    cr_assert_eq(v.scale, 2);
    cr_assert(v.u.d == 150);
    v = num(".5");
    cr_assert_eq(v.scale, 1);
    cr_assert(v.u.d == 5);
    v = num("5.");
    cr_assert_eq(v.scale, 0);
    cr_assert(v.u.d == 5);
    /* a decimal with 38 significant digits is still exact */
    expect_parse("1234567890123456789.0123456789012345678", false, PL_DECIMAL,
                 "1234567890123456789.0123456789012345678");
}

Test(value_parse, exponent_is_float)
{
    pl_value v = num("1e3");
    cr_assert_eq(v.type, PL_FLOAT);
    cr_assert(v.u.f == 1000.0);
    v = num("1E-2");
    cr_assert_eq(v.type, PL_FLOAT);
    cr_assert(v.u.f == 0.01);
    v = num("-1.5e+2");
    cr_assert_eq(v.type, PL_FLOAT);
    cr_assert(v.u.f == -150.0);
    v = num(".5e1");
    cr_assert_eq(v.type, PL_FLOAT);
    cr_assert(v.u.f == 5.0);
    v = num("5.e0");
    cr_assert_eq(v.type, PL_FLOAT);
    cr_assert(v.u.f == 5.0);
    expect_parse("1e6", false, PL_FLOAT, "1000000");
}

Test(value_parse, junk)
{
    static const char *const bad[] = {"",    "-",    "+",   ".",    "-.",  "abc", "1a",
                                      "1e",  "1e+",  "1e-", "e5",   "1..2", "1.2.3",
                                      "--1", "+-1",  "1e5x", "0x10", "1,5", "1 2", "1e2.5",
                                      "NaN", "inf",  "1-",  "1.5.", "١"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_not_number(bad[i], strlen(bad[i]), false);
}

Test(value_parse, length_is_respected)
{
    /* only the first n bytes are looked at: no NUL terminator needed */
    pl_value v;
    cr_assert(pl_parse_number("12345", 2, false, &v));
    cr_assert_eq(v.type, PL_INT);
    cr_assert_eq(v.u.i, 12);
    cr_assert(pl_parse_number("1.5e3", 3, false, &v));
    cr_assert_eq(v.type, PL_DECIMAL);
    cr_assert_str_eq(text_of(&v).s, "1.5");
    expect_not_number("12", 0, false);
}

Test(value_parse, trim_flag)
{
    expect_not_number(" 1", 2, false);
    expect_not_number("1 ", 2, false);
    expect_not_number("\t1", 2, false);
    expect_parse(" 1", true, PL_INT, "1");
    expect_parse("1 ", true, PL_INT, "1");
    expect_parse(" \t-2.50\t ", true, PL_DECIMAL, "-2.50");
    expect_parse("  1e2  ", true, PL_FLOAT, "100");
    /* trimming is of the ends only, and only spaces and tabs */
    expect_not_number("1 2", 3, true);
    expect_not_number("   ", 3, true);
    expect_not_number("\n1", 2, true);
    expect_not_number("- 1", 3, true);
}

/* ---- pl_arith: integers ------------------------------------------------------------------ */

Test(value_arith, int_basics)
{
    expect_arith("2", '+', "3", PL_INT, "5");
    expect_arith("2", '-', "3", PL_INT, "-1");
    expect_arith("-4", '*', "3", PL_INT, "-12");
    expect_arith("7", '%', "3", PL_INT, "1");
    expect_arith("-7", '%', "3", PL_INT, "-1");
    expect_arith("7", '%', "-3", PL_INT, "1");
}

Test(value_arith, int_division_truncates)
{
    expect_arith("7", '/', "2", PL_INT, "3");
    expect_arith("-7", '/', "2", PL_INT, "-3");
    expect_arith("7", '/', "-2", PL_INT, "-3");
    expect_arith("-7", '/', "-2", PL_INT, "3");
    expect_arith("1", '/', "3", PL_INT, "0");
}

Test(value_arith, int_overflow)
{
    expect_arith_error(pl_v_int(INT64_MAX), '+', pl_v_int(1), PLUCK_E_INTEGER_OVERFLOW);
    expect_arith_error(pl_v_int(INT64_MIN), '-', pl_v_int(1), PLUCK_E_INTEGER_OVERFLOW);
    expect_arith_error(pl_v_int(INT64_MIN), '+', pl_v_int(-1), PLUCK_E_INTEGER_OVERFLOW);
    expect_arith_error(pl_v_int(INT64_MAX), '*', pl_v_int(2), PLUCK_E_INTEGER_OVERFLOW);
    expect_arith_error(pl_v_int(INT64_MIN), '*', pl_v_int(-1), PLUCK_E_INTEGER_OVERFLOW);
    expect_arith_error(pl_v_int(INT64_MIN), '/', pl_v_int(-1), PLUCK_E_INTEGER_OVERFLOW);
    expect_arith_error(pl_v_int(4294967296LL), '*', pl_v_int(4294967296LL),
                       PLUCK_E_INTEGER_OVERFLOW);
    /* right at the edges is fine */
    expect_arith_v(pl_v_int(INT64_MAX - 1), '+', pl_v_int(1), PL_INT, "9223372036854775807");
    expect_arith_v(pl_v_int(INT64_MIN + 1), '-', pl_v_int(1), PL_INT, "-9223372036854775808");
    expect_arith_v(pl_v_int(INT64_MIN), '%', pl_v_int(-1), PL_INT, "0");
    pl_value r;
    pl_value mn = pl_v_int(INT64_MIN);
    cr_assert_eq(pl_negate(&mn, &r), PLUCK_E_INTEGER_OVERFLOW);
    pl_value mx = pl_v_int(INT64_MAX);
    cr_assert_eq(pl_negate(&mx, &r), PLUCK_OK);
    cr_assert_eq(r.u.i, -INT64_MAX);
}

Test(value_arith, division_by_zero)
{
    expect_arith_error(pl_v_int(1), '/', pl_v_int(0), PLUCK_E_DIVISION_BY_ZERO);
    expect_arith_error(pl_v_int(1), '%', pl_v_int(0), PLUCK_E_DIVISION_BY_ZERO);
    expect_arith_error(pl_v_int(0), '/', pl_v_int(0), PLUCK_E_DIVISION_BY_ZERO);
    expect_arith_error(num("1.5"), '/', num("0.0"), PLUCK_E_DIVISION_BY_ZERO);
    expect_arith_error(num("1.5"), '%', num("0"), PLUCK_E_DIVISION_BY_ZERO);
    expect_arith_error(pl_v_int(3), '/', num("0.00"), PLUCK_E_DIVISION_BY_ZERO);
    expect_arith_error(pl_v_float(1.0), '/', pl_v_float(0.0), PLUCK_E_DIVISION_BY_ZERO);
    expect_arith_error(pl_v_float(1.0), '%', pl_v_int(0), PLUCK_E_DIVISION_BY_ZERO);
    expect_arith_error(pl_v_int(1), '/', pl_v_float(-0.0), PLUCK_E_DIVISION_BY_ZERO);
}

/* ---- pl_arith: decimals ------------------------------------------------------------------- */

Test(value_arith, decimal_exactness)
{
    expect_arith("0.1", '+', "0.2", PL_DECIMAL, "0.3");
    expect_arith("1.10", '*', "2", PL_DECIMAL, "2.20");
    expect_arith("1.10", '+', "2.205", PL_DECIMAL, "3.305");
    expect_arith("0.3", '-', "0.1", PL_DECIMAL, "0.2");
    expect_arith("0.1", '-', "0.15", PL_DECIMAL, "-0.05");
    expect_arith("1.5", '*', "1.5", PL_DECIMAL, "2.25");
    expect_arith("-0.5", '*', "0.1", PL_DECIMAL, "-0.05");
    expect_arith("5.5", '%', "2", PL_DECIMAL, "1.5");
    expect_arith("19.99", '*', "3", PL_DECIMAL, "59.97");
}

Test(value_arith, decimal_sum_stays_exact)
{
    /* ten times 0.1 is exactly 1.0 — not 0.9999999999999999 */
    pl_value acc = num("0.1"), tenth = num("0.1");
    for (int i = 1; i < 10; i++)
        cr_assert_eq(pl_arith('+', &acc, &tenth, &acc), PLUCK_OK);
    cr_assert_eq(acc.type, PL_DECIMAL);
    cr_assert_str_eq(text_of(&acc).s, "1.0");
}

Test(value_arith, decimal_division)
{
    expect_arith("1.0", '/', "8", PL_DECIMAL, "0.125");
    expect_arith("161", '/', "2.0", PL_DECIMAL, "80.5");
    expect_arith("6.0", '/', "3", PL_DECIMAL, "2");
    expect_arith("-1.5", '/', "0.5", PL_DECIMAL, "-3");
    expect_arith("1", '/', "0.25", PL_DECIMAL, "4");

    /* 1/3 and 2/3: a long run of digits, the last one rounded half up */
    pl_value r;
    pl_value one = num("1.0"), two = num("2.0"), mtwo = num("-2.0"), three = pl_v_int(3);
    cr_assert_eq(pl_arith('/', &one, &three, &r), PLUCK_OK);
    cr_assert_eq(r.type, PL_DECIMAL);
    vtext t = text_of(&r);
    cr_assert_geq(strlen(t.s), 20, "1/3 = '%s' has too few digits", t.s);
    cr_assert_eq(strncmp(t.s, "0.", 2), 0, "1/3 = '%s'", t.s);
    cr_assert_eq(strspn(t.s + 2, "3"), strlen(t.s) - 2, "1/3 = '%s'", t.s);

    cr_assert_eq(pl_arith('/', &two, &three, &r), PLUCK_OK);
    t = text_of(&r);
    size_t n = strlen(t.s);
    cr_assert_geq(n, 20, "2/3 = '%s'", t.s);
    cr_assert_eq(strspn(t.s + 2, "6"), n - 3, "2/3 = '%s'", t.s);
    cr_assert_eq(t.s[n - 1], '7', "2/3 = '%s' should round the last digit up", t.s);

    cr_assert_eq(pl_arith('/', &mtwo, &three, &r), PLUCK_OK);
    t = text_of(&r);
    n = strlen(t.s);
    cr_assert_eq(strncmp(t.s, "-0.666666", 9), 0, "-2/3 = '%s'", t.s);
    cr_assert_eq(t.s[n - 1], '7', "-2/3 = '%s' should round away from zero", t.s);
}

/* With a 38-digit dividend the quotient gets no fractional digits at all (the dividend
 * cannot be scaled up), so 1e37 / 3e37 is 0 instead of 0.333...; with a dividend above
 * 8.5e37 the half-up rounding test `absrem * 2` also overflows __int128 (UB). */
Test(value_arith, decimal_division_large_operands)
{
    pl_value a = num("10000000000000000000000000000000000000"); /* 1e37, a DECIMAL */
    pl_value b = num("30000000000000000000000000000000000000");
    pl_value r;
    cr_assert_eq(pl_arith('/', &a, &b, &r), PLUCK_OK);
    double q = pl_to_double(&r);
    cr_assert(q > 0.3333333333 && q < 0.3333333334, "1e37 / 3e37 = %s", text_of(&r).s);

    pl_value c = num("9000000000000000000000000000000000000.0");
    pl_value d = num("9999999999999999999999999999999999999.9");
    cr_assert_eq(pl_arith('/', &c, &d, &r), PLUCK_OK);
    q = pl_to_double(&r);
    cr_assert(q > 0.8999999999 && q < 0.9000000001, "9e36 / 1e37 = %s", text_of(&r).s);
}

/* The documented rule is that a decimal result that does not fit 38 digits becomes a FLOAT;
 * 1e-20 * 1e-20 = 1e-40 is instead truncated to a DECIMAL zero with scale 38. */
Test(value_arith, decimal_product_underflow_becomes_float)
{
    pl_value a = num("0.00000000000000000001"), r;
    cr_assert_eq(pl_arith('*', &a, &a, &r), PLUCK_OK);
    cr_assert_eq(r.type, PL_FLOAT, "1e-20 * 1e-20 = %s (%s)", text_of(&r).s,
                 pl_type_name((pl_type)r.type));
    cr_assert(fabs(r.u.f / 1e-40 - 1) < 1e-12);
}

Test(value_arith, mixed_int_decimal)
{
    expect_arith("2", '+', "0.5", PL_DECIMAL, "2.5");
    expect_arith("0.5", '+', "2", PL_DECIMAL, "2.5");
    expect_arith("3", '*', "1.25", PL_DECIMAL, "3.75");
    expect_arith("10", '-', "0.01", PL_DECIMAL, "9.99");
    expect_arith("1", '/', "2.0", PL_DECIMAL, "0.5");
    /* an integer beyond INT64 (a DECIMAL) with an INT */
    expect_arith("9223372036854775808", '+', "1", PL_DECIMAL, "9223372036854775809");
    expect_arith("9223372036854775808", '-', "9223372036854775807", PL_DECIMAL, "1");
}

Test(value_arith, mixed_with_float)
{
    expect_arith_v(pl_v_int(1), '+', pl_v_float(0.5), PL_FLOAT, "1.5");
    expect_arith_v(pl_v_float(0.5), '*', pl_v_int(4), PL_FLOAT, "2");
    expect_arith_v(num("0.1"), '+', pl_v_float(0.2), PL_FLOAT, "0.30000000000000004");
    expect_arith_v(pl_v_float(7.5), '%', pl_v_int(2), PL_FLOAT, "1.5");
    expect_arith_v(pl_v_float(1.0), '/', pl_v_int(4), PL_FLOAT, "0.25");
    expect_arith("1e2", '+', "1", PL_FLOAT, "101");
}

Test(value_arith, decimal_overflow_falls_back_to_float)
{
    /* 38 nines + 1 needs 39 digits: the result is a FLOAT, not an error */
    pl_value big = num("99999999999999999999999999999999999999");
    pl_value r;
    pl_value one = pl_v_int(1);
    cr_assert_eq(pl_arith('+', &big, &one, &r), PLUCK_OK);
    cr_assert_eq(r.type, PL_FLOAT);
    cr_assert(r.u.f == 1e38);
    pl_value h = num("10000000000000000000000000000000000000"); /* 1e37 */
    pl_value k = pl_v_int(1000);
    cr_assert_eq(pl_arith('*', &h, &k, &r), PLUCK_OK);
    cr_assert_eq(r.type, PL_FLOAT);
    cr_assert(fabs(r.u.f / 1e40 - 1) < 1e-15, "1e37 * 1000 = %.17g", r.u.f);
}

/* ---- pl_num_cmp ---------------------------------------------------------------------------- */

Test(value_cmp, across_types)
{
    cr_assert_eq(cmp_text("1", "2"), -1);
    cr_assert_eq(cmp_text("2", "1"), 1);
    cr_assert_eq(cmp_text("5", "5"), 0);
    cr_assert_eq(cmp_text("1", "1.0"), 0);
    cr_assert_eq(cmp_text("1.50", "1.5"), 0);
    cr_assert_eq(cmp_text("2", "1.99"), 1);
    cr_assert_eq(cmp_text("-1.5", "-1"), -1);
    cr_assert_eq(cmp_text("0.1", "0.10000000000000000000000000000000000001"), -1);
    cr_assert_eq(cmp_text("9223372036854775808", "9223372036854775807"), 1);
    cr_assert_eq(cmp_text("-9223372036854775809", "-9223372036854775808"), -1);
    cr_assert_eq(cmp_text("1e1", "10"), 0);
    cr_assert_eq(cmp_text("1e1", "10.5"), -1);
    cr_assert_eq(cmp_text("0.5", "1e-1"), 1);

    pl_value f = pl_v_float(0.5), i = pl_v_int(1), d = num("0.5");
    cr_assert_eq(pl_num_cmp(&f, &i), -1);
    cr_assert_eq(pl_num_cmp(&i, &f), 1);
    cr_assert_eq(pl_num_cmp(&f, &d), 0);
    pl_value mz = pl_v_float(-0.0), z = pl_v_int(0);
    cr_assert_eq(pl_num_cmp(&mz, &z), 0);
    /* decimals whose scales cannot be aligned within 38 digits still compare */
    pl_value huge = num("10000000000000000000000000000000000000"), tiny = num("0.00001");
    cr_assert_eq(pl_num_cmp(&huge, &tiny), 1);
    cr_assert_eq(pl_num_cmp(&tiny, &huge), -1);
}

Test(value_cmp, strings)
{
    pl_value a = pl_v_str("abc", 3, false), b = pl_v_str("abd", 3, false);
    pl_value ab = pl_v_str("ab", 2, false), e = pl_v_str("", 0, false);
    pl_value hi = pl_v_str("\xc3\xa9", 2, false); /* é sorts after every ASCII letter */
    cr_assert_eq(pl_str_cmp(&a, &b), -1);
    cr_assert_eq(pl_str_cmp(&b, &a), 1);
    cr_assert_eq(pl_str_cmp(&a, &a), 0);
    cr_assert_eq(pl_str_cmp(&ab, &a), -1);
    cr_assert_eq(pl_str_cmp(&e, &ab), -1);
    cr_assert_eq(pl_str_cmp(&e, &e), 0);
    cr_assert_eq(pl_str_cmp(&hi, &b), 1);
}

/* ---- pl_value_text ------------------------------------------------------------------------ */

Test(value_text, floats_positional)
{
    expect_float_text(1e6, "1000000");
    expect_float_text(0.1, "0.1");
    expect_float_text(1.5, "1.5");
    expect_float_text(100.0, "100");
    expect_float_text(123.456, "123.456");
    expect_float_text(-1e6, "-1000000");
    expect_float_text(0.5, "0.5");
    expect_float_text(1.0 / 3.0, "0.3333333333333333");
    expect_float_text(0.1 + 0.2, "0.30000000000000004");
    expect_float_text(9007199254740992.0, "9007199254740992");
    expect_float_text(1e20, "100000000000000000000");
    expect_float_text(123e18, "123000000000000000000");
    expect_float_text(0.001, "0.001");
    expect_float_text(1e-6, "0.000001");
    expect_float_text(1.5e-7, "0.00000015");
    expect_float_text(-2.5e-7, "-0.00000025");
}

Test(value_text, floats_exponent_form)
{
    expect_float_text(1e21, "1e21");
    expect_float_text(1.5e21, "1.5e21");
    expect_float_text(-1e21, "-1e21");
    expect_float_text(1e100, "1e100");
    expect_float_text(1e-8, "1e-8");
    expect_float_text(9.9e-8, "9.9e-8");
    expect_float_text(1.25e-10, "1.25e-10");
    expect_float_text(DBL_MAX, "1.7976931348623157e308");
    expect_float_text(5e-324, "5e-324");
}

Test(value_text, float_boundary_just_below_1e21)
{
    /* the largest double below 1e21 is still positional */
    double f = nextafter(1e21, 0);
    pl_value v = pl_v_float(f);
    vtext t = text_of(&v);
    cr_assert_eq(strchr(t.s, 'e'), NULL, "'%s' should be positional", t.s);
    cr_assert_eq(strlen(t.s), 21, "'%s'", t.s);
    expect_round_trip(f);
}

Test(value_text, float_specials)
{
    expect_float_text(0.0, "0");
    expect_float_text(-0.0, "-0");
    expect_float_text(NAN, "NaN");
    expect_float_text(INFINITY, "Infinity");
    expect_float_text(-INFINITY, "-Infinity");
}

Test(value_text, floats_round_trip)
{
    static const double cases[] = {0.1,     0.2,      0.7,     1.1,         2.675,
                                   1e-5,    3.14159,  1e15,    1e16 + 2,    123456.789e3,
                                   1e-7,    1.5e-7,   9.99e20, 4.35,        0.000123,
                                   1e300,   1e-300,   DBL_MIN, DBL_EPSILON, 1.0 / 7.0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_round_trip(cases[i]);
        expect_round_trip(-cases[i]);
    }
}

Test(value_text, decimals_with_scale)
{
    cr_assert_str_eq(text_of(&(pl_value){0}).s, ""); /* MISSING */
    pl_value v = pl_decimal_make(150, 2);
    cr_assert_str_eq(text_of(&v).s, "1.50");
    v = pl_decimal_make(-5, 2);
    cr_assert_str_eq(text_of(&v).s, "-0.05");
    v = pl_decimal_make(-5, 0);
    cr_assert_str_eq(text_of(&v).s, "-5");
    v = pl_decimal_make(0, 3);
    cr_assert_str_eq(text_of(&v).s, "0.000");
    v = pl_decimal_make(5, 1);
    cr_assert_str_eq(text_of(&v).s, "0.5");
    v = pl_decimal_make(-12345, 3);
    cr_assert_str_eq(text_of(&v).s, "-12.345");
    v = pl_decimal_make(1, 10);
    cr_assert_str_eq(text_of(&v).s, "0.0000000001");
    v = pl_decimal_make(0, 0);
    cr_assert_str_eq(text_of(&v).s, "0");
    pl_i128 c = 0;
    for (int i = 0; i < 38; i++)
        c = c * 10 + 9;
    v = pl_decimal_make(-c, 38);
    cr_assert_str_eq(text_of(&v).s, "-0.99999999999999999999999999999999999999");
    v = pl_decimal_make(c, 0);
    cr_assert_str_eq(text_of(&v).s, "99999999999999999999999999999999999999");
}

Test(value_text, other_types)
{
    pl_value v = pl_v_int(INT64_MIN);
    cr_assert_str_eq(text_of(&v).s, "-9223372036854775808");
    v = pl_v_int(0);
    cr_assert_str_eq(text_of(&v).s, "0");
    v = pl_v_bool(true);
    cr_assert_str_eq(text_of(&v).s, "true");
    v = pl_v_bool(false);
    cr_assert_str_eq(text_of(&v).s, "false");
    v = pl_v_null();
    cr_assert_str_eq(text_of(&v).s, "");
    v = pl_v_missing();
    cr_assert_str_eq(text_of(&v).s, "");

    /* a string points at its own bytes, whatever their length */
    static const char s[] = "hello, world";
    char tmp[PL_TEXT_MAX];
    const char *p = NULL;
    v = pl_v_str(s, 5, true);
    cr_assert_eq(pl_value_text(&v, tmp, &p), 5);
    cr_assert_eq(p, s);
}

Test(value_text, type_names)
{
    cr_assert_str_eq(pl_type_name(PL_MISSING), "MISSING");
    cr_assert_str_eq(pl_type_name(PL_NULL), "NULL");
    cr_assert_str_eq(pl_type_name(PL_INT), "INT");
    cr_assert_str_eq(pl_type_name(PL_DECIMAL), "DECIMAL");
    cr_assert_str_eq(pl_type_name(PL_FLOAT), "FLOAT");
    cr_assert_str_eq(pl_type_name(PL_STRING), "STRING");
    cr_assert_str_eq(pl_type_name(PL_BOOL), "BOOL");
}

/* ---- conversions ---------------------------------------------------------------------------- */

Test(value_convert, as_number)
{
    pl_value out;
    pl_value u = pl_v_str("2.5", 3, true);
    cr_assert(pl_value_as_number(&u, &out));
    cr_assert_eq(out.type, PL_DECIMAL);
    cr_assert_str_eq(text_of(&out).s, "2.5");
    /* a typed string (a literal) has no numeric reading */
    pl_value t = pl_v_str("2.5", 3, false);
    cr_assert_not(pl_value_as_number(&t, &out));
    pl_value empty = pl_v_str("", 0, true);
    cr_assert_not(pl_value_as_number(&empty, &out));
    pl_value b = pl_v_bool(true), n = pl_v_null();
    cr_assert_not(pl_value_as_number(&b, &out));
    cr_assert_not(pl_value_as_number(&n, &out));
    pl_value i = pl_v_int(9);
    cr_assert(pl_value_as_number(&i, &out));
    cr_assert_eq(out.u.i, 9);
}

Test(value_convert, to_double)
{
    pl_value d = num("1.25"), i = pl_v_int(-3), f = pl_v_float(0.5);
    cr_assert(pl_to_double(&d) == 1.25);
    cr_assert(pl_to_double(&i) == -3.0);
    cr_assert(pl_to_double(&f) == 0.5);
    pl_value t = num("0.1");
    cr_assert(pl_to_double(&t) == 0.1);
}

Test(value_convert, decimal_from_double)
{
    pl_value out;
    cr_assert(pl_decimal_from_double(0.1, &out));
    cr_assert_eq(out.type, PL_DECIMAL);
    cr_assert_str_eq(text_of(&out).s, "0.1");
    cr_assert(pl_decimal_from_double(100.0, &out));
    cr_assert_eq(out.type, PL_DECIMAL);
    cr_assert_str_eq(text_of(&out).s, "100");
    cr_assert(pl_decimal_from_double(-2.75, &out));
    cr_assert_str_eq(text_of(&out).s, "-2.75");
    cr_assert_not(pl_decimal_from_double(NAN, &out));
    cr_assert_not(pl_decimal_from_double(INFINITY, &out));
}

/* 1e21 and 1e-8 are finite and exactly representable as DECIMALs within 38 digits, but the
 * conversion goes through the float's text, which is in exponent form for them, and the
 * parsed exponent form is a FLOAT: the conversion fails (and CAST(1e21 AS DECIMAL) is
 * CastFailed). */
Test(value_convert, decimal_from_double_exponent_range)
{
    pl_value out;
    cr_assert(pl_decimal_from_double(1e21, &out));
    cr_assert_eq(out.type, PL_DECIMAL);
    cr_assert_str_eq(text_of(&out).s, "1000000000000000000000");
    cr_assert(pl_decimal_from_double(1e-8, &out));
    cr_assert_eq(out.type, PL_DECIMAL);
    cr_assert_str_eq(text_of(&out).s, "0.00000001");
    cr_assert(pl_decimal_from_double(1.5e25, &out));
    cr_assert_str_eq(text_of(&out).s, "15000000000000000000000000");
}

/* F15 (tests/HARDENING.md): decimal sums and differences near 1e38 overflowed __int128
 * (undefined behaviour), and a quotient scaled up by 10 wrapped: 7e37 / 0.2 gave
 * 9717633079061536536625392568231788544.  Past 1e38 the result is a FLOAT. */
Test(value_arith, decimal_near_the_limit)
{
    static const char n9e37[] = "90000000000000000000000000000000000000";
    expect_arith(n9e37, '+', n9e37, PL_FLOAT, "1.8e38");
    expect_arith("-90000000000000000000000000000000000000", '-', n9e37, PL_FLOAT, "-1.8e38");
    expect_arith("70000000000000000000000000000000000000", '/', "0.2", PL_FLOAT, "3.5e38");
    expect_arith("68000000000000000000000000000000000000", '/', "0.2", PL_FLOAT, "3.4e38");
    expect_arith("20000000000000000000000000000000000000", '/', "0.5", PL_DECIMAL,
                 "40000000000000000000000000000000000000");
    expect_arith("9999999999999999999999999999999999999", '/', "0.1", PL_DECIMAL,
                 "99999999999999999999999999999999999990");
    expect_arith("99999999999999999999999999999999999999", '-', "1", PL_DECIMAL,
                 "99999999999999999999999999999999999998");
    expect_arith("99999999999999999999999999999999999999", '+', "1", PL_FLOAT, "1e38");
}
