/*
 * test_fsum.c — the exact FLOAT sum (src/exec/fsum.c) against values known without it:
 * sums whose exact value is a double (so the correctly rounded result is that double)
 * where adding in order rounds away from it, cancellation past the double range,
 * subnormals, ties to even, signed zero, infinities and NaN, and the text form's round
 * trip through pl_fsum_parse, merged in pieces in every order.
 */
#include <criterion/criterion.h>

#include "exec/fsum.h"

#include <math.h>
#include <string.h>

static double sum_of(const double *v, size_t n)
{
    pl_fsum *s = pl_fsum_create();
    cr_assert(s);
    for (size_t i = 0; i < n; i++)
        pl_fsum_add(s, v[i]);
    double r = pl_fsum_value(s, -0.0);
    pl_fsum_free(s);
    return r;
}

Test(fsum, exact_where_sequential_rounds)
{
    double tenth[10];
    for (int i = 0; i < 10; i++)
        tenth[i] = 0.1;
    /* ten times the double nearest 0.1 is 1.0000000000000000555..., nearest double 1.0;
     * adding in order gives 0.9999999999999999 */
    cr_assert_eq(sum_of(tenth, 10), 1.0);
    double big[] = {1e308, 1e308, -1e308}; /* in order: inf */
    cr_assert_eq(sum_of(big, 3), 1e308);
    double tiny[] = {1.0, 0x1p-60, -1.0}; /* in order: 0 */
    cr_assert_eq(sum_of(tiny, 3), 0x1p-60);
    double sub[] = {0x1p-1074, 0x1p-1074, 0x1p-1074, -0x1p-1073};
    cr_assert_eq(sum_of(sub, 4), 0x1p-1074);
    double ovf[] = {1e308, 1e308};
    cr_assert(isinf(sum_of(ovf, 2)) && sum_of(ovf, 2) > 0);
}

Test(fsum, ties_to_even_and_sticky_bits)
{
    double a[] = {0x1p53, 1.0}; /* 2^53 + 1: a tie, to even 2^53 */
    cr_assert_eq(sum_of(a, 2), 0x1p53);
    double b[] = {0x1p53, 1.0, 0x1p-100}; /* just above the tie: up */
    cr_assert_eq(sum_of(b, 3), 0x1p53 + 2);
    double c[] = {0x1p53 + 2, 1.0}; /* a tie, to even 2^53 + 4 */
    cr_assert_eq(sum_of(c, 2), 0x1p53 + 4);
}

Test(fsum, signed_zero_infinities_nan)
{
    double nz[] = {-0.0, -0.0};
    cr_assert(sum_of(nz, 2) == 0 && signbit(sum_of(nz, 2)));
    double z[] = {-0.0, 0.0};
    cr_assert(sum_of(z, 2) == 0 && !signbit(sum_of(z, 2)));
    double inf[] = {INFINITY, 1.0};
    cr_assert(isinf(sum_of(inf, 2)));
    double both[] = {INFINITY, -INFINITY};
    cr_assert(isnan(sum_of(both, 2)));
    double n[] = {NAN, 1.0};
    cr_assert(isnan(sum_of(n, 2)));
    pl_fsum *s = pl_fsum_create();
    pl_fsum_add(s, -0.0);
    cr_assert(!signbit(pl_fsum_value(s, 0.0))); /* an INT/DECIMAL part of 0: +0 */
    cr_assert_eq(pl_fsum_value(s, 2.5), 2.5);
    pl_fsum_free(s);
}

Test(fsum, text_round_trip_and_merge_in_pieces)
{
    const double v[] = {1e300, -3.5, 0x1p-1074, 0.1, -1e300, 7e22, -0.0, 1e-300, 123456.789};
    const size_t n = sizeof v / sizeof v[0];
    double whole = sum_of(v, n);
    for (size_t cut = 0; cut <= n; cut++) {
        pl_fsum *a = pl_fsum_create(), *b = pl_fsum_create(), *t = pl_fsum_create();
        for (size_t i = 0; i < n; i++)
            pl_fsum_add(i < cut ? a : b, v[i]);
        char text[PL_FSUM_TEXT_MAX];
        size_t len = pl_fsum_text(b, text);
        cr_assert(len < sizeof text);
        cr_assert(pl_fsum_parse(t, text, len), "%.*s", (int)len, text);
        pl_fsum_merge(t, a); /* later piece first: the order does not matter */
        cr_assert_eq(pl_fsum_value(t, -0.0), whole, "cut %zu", cut);
        pl_fsum_free(a);
        pl_fsum_free(b);
        pl_fsum_free(t);
    }
    pl_fsum *t = pl_fsum_create();
    cr_assert(!pl_fsum_parse(t, ":+0x", 4));
    cr_assert(!pl_fsum_parse(t, "q:+1", 4));
    cr_assert(!pl_fsum_parse(t, ":1", 2));
    cr_assert(!pl_fsum_parse(t, ":+01", 4));
    cr_assert(pl_fsum_parse(t, "z:+0", 4));
    cr_assert(signbit(pl_fsum_value(t, -0.0)));
    pl_fsum_free(t);
}
