/*
 * fsum.h — the exact sum of FLOAT values, for SUM and AVG.
 *
 * Adding doubles one after another rounds at every step, so the result depends on the order
 * and on how the input was cut (threads, splits, partials).  Instead every FLOAT value is
 * added exactly into a fixed-point accumulator (units of 2^-1074, the smallest subnormal,
 * wide enough for any double and 2^64 additions) and rounded once, to nearest, ties to
 * even, at the end: the correctly rounded sum (what Python's math.fsum returns), whatever
 * the order or the cuts.  Infinities and NaN are counted apart, as IEEE adds them.
 */
#ifndef PL_FSUM_H
#define PL_FSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pl_fsum pl_fsum;

pl_fsum *pl_fsum_create(void); /* NULL on out of memory */
void pl_fsum_free(pl_fsum *s);  /* accepts NULL */
void pl_fsum_clear(pl_fsum *s); /* back to no values */
void pl_fsum_add(pl_fsum *s, double x);
/* s += from (from unchanged) */
void pl_fsum_merge(pl_fsum *s, const pl_fsum *from);
/* The correctly rounded value of the sum plus `extra` (added exactly first: the sum of a
 * SUM's INT and DECIMAL values, rounded to a double; -0.0 when there are none). */
double pl_fsum_value(const pl_fsum *s, double extra);

/* Text form for partials (pluck-partial(5)): FLAGS ':' SIGN HEX, where FLAGS is a subset of
 * "n" (a NaN was added), "p" (+inf), "m" (-inf), "z" (every value added was -0), SIGN '+'
 * or '-' and HEX the magnitude in units of 2^-1074, lower-case hex without leading zeros.
 * pl_fsum_text returns the length written to out (at most PL_FSUM_TEXT_MAX); pl_fsum_parse
 * returns false when the text is malformed. */
#define PL_FSUM_TEXT_MAX 640
size_t pl_fsum_text(const pl_fsum *s, char *out);
bool pl_fsum_parse(pl_fsum *s, const char *p, size_t n);

#endif /* PL_FSUM_H */
