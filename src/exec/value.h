/*
 * value.h — SQL values as the evaluator sees them, and the operations on them that do not
 * depend on a query: number parsing, exact decimal arithmetic, comparison, rendering as text.
 *
 * Types follow S3 Select (PartiQL): MISSING and NULL are distinct absent values; INT is a
 * signed 64-bit integer (overflow is an error); DECIMAL is exact base-10, a 128-bit
 * coefficient with a scale (value = coef * 10^-scale, up to 38 digits, 0 <= scale <= 38;
 * its arithmetic is in decimal.h); FLOAT is binary64.
 * A STRING that comes straight from a CSV field is "untyped": compared with a number it is
 * read as a number (see pl_value_as_number), the rule documented in man/pluck.1.
 */
#ifndef PL_VALUE_H
#define PL_VALUE_H

#include "common/common.h"
#include "exec/timestamp.h"

__extension__ typedef __int128 pl_i128;

typedef enum pl_type {
    PL_MISSING = 0,
    PL_NULL,
    PL_BOOL,
    PL_INT,
    PL_FLOAT,
    PL_DECIMAL,
    PL_STRING,
    PL_TIMESTAMP
} pl_type;

typedef struct pl_value {
    uint8_t type;    /* pl_type */
    bool untyped;    /* STRING taken from the CSV input */
    int32_t scale;   /* DECIMAL */
    union {
        bool b;
        int64_t i;
        double f;
        pl_i128 d;
        struct {
            const char *p;
            uint32_t len;
        } s;
        pl_ts ts;
    } u;
} pl_value;

#define PL_DEC_MAX_DIGITS 38

static inline pl_value pl_v_missing(void) { pl_value v = {0}; v.type = PL_MISSING; return v; }
static inline pl_value pl_v_null(void) { pl_value v = {0}; v.type = PL_NULL; return v; }
static inline pl_value pl_v_bool(bool b) { pl_value v = {0}; v.type = PL_BOOL; v.u.b = b; return v; }
static inline pl_value pl_v_int(int64_t i) { pl_value v = {0}; v.type = PL_INT; v.u.i = i; return v; }
static inline pl_value pl_v_float(double f) { pl_value v = {0}; v.type = PL_FLOAT; v.u.f = f; return v; }
static inline pl_value pl_v_str(const char *p, uint32_t len, bool untyped)
{
    pl_value v = {0};
    v.type = PL_STRING;
    v.untyped = untyped;
    v.u.s.p = p;
    v.u.s.len = len;
    return v;
}
static inline pl_value pl_v_ts(const pl_ts *t)
{
    pl_value v = {0};
    v.type = PL_TIMESTAMP;
    v.u.ts = *t;
    return v;
}
static inline bool pl_v_absent(const pl_value *v) { return v->type <= PL_NULL; }
static inline bool pl_v_numeric(const pl_value *v)
{
    return v->type == PL_INT || v->type == PL_FLOAT || v->type == PL_DECIMAL;
}

/* Parse numeric text ([+-]digits[.digits][(e|E)[+-]digits], also ".5" and "5.") into an INT
 * (integer text that fits), DECIMAL (a '.', at most 38 digits) or FLOAT (exponent, or too
 * many digits).  When trim is set, surrounding spaces and tabs are allowed.  Returns false
 * when the text is not a number. */
bool pl_parse_number(const char *p, size_t n, bool trim, pl_value *out);

/* Numeric view of a value: numbers as they are; untyped strings parsed as numbers.
 * Returns false when there is no numeric reading. */
bool pl_value_as_number(const pl_value *v, pl_value *out);

/* Arithmetic.  op is one of + - * / %.  On error returns the code (IntegerOverflow,
 * DivisionByZero) and leaves *out untouched. */
pluck_code pl_arith(int op, const pl_value *a, const pl_value *b, pl_value *out);
pluck_code pl_negate(const pl_value *a, pl_value *out);

/* Compare two numbers exactly (whatever their types and scales): -1, 0, 1, or
 * PL_NUM_UNORDERED when one is a FLOAT NaN (IEEE: every comparison false, <> true). */
#define PL_NUM_UNORDERED 4
int pl_num_cmp(const pl_value *a, const pl_value *b);
/* Compare two strings bytewise (UTF-8 code point order). */
int pl_str_cmp(const pl_value *a, const pl_value *b);

/* Total order used by MIN/MAX and ORDER BY: absent < BOOL < numbers < timestamps < strings;
 * an untyped string that reads as a number counts as that number; NaN sorts after every
 * other number and equal to itself.  Returns <0, 0, >0. */
int pl_value_order(const pl_value *a, const pl_value *b);

/* Conversions used by CAST and by aggregates. */
double pl_to_double(const pl_value *v); /* numbers only; DECIMAL correctly rounded */
bool pl_decimal_from_double(double f, pl_value *out);
pl_value pl_decimal_make(pl_i128 coef, int32_t scale);

/* Decimal text of coefficient c at scale (digits after the point; 0: an integer) into tmp,
 * which holds at least 48 bytes plus scale; returns its length. */
size_t pl_i128_text(pl_i128 c, int32_t scale, char *tmp);
/* Render a present value as text into tmp (at least PL_TEXT_MAX bytes) or point at its own
 * bytes; returns the length and sets *p.  Absent values render as "". */
#define PL_TEXT_MAX 64
size_t pl_value_text(const pl_value *v, char *tmp, const char **p);

/* Name of a type for messages ("STRING", "INT", ...). */
const char *pl_type_name(pl_type t);

#endif /* PL_VALUE_H */
