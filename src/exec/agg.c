/*
 * agg.c — the five aggregates.  NULL and MISSING inputs are skipped; over no input COUNT is 0
 * and the others are NULL (standard SQL; MinIO's SUM = 0 is a known deviation we do not copy).
 * CSV fields are untyped text: SUM and AVG read them as numbers (an empty or non-numeric
 * field counts as NULL and is skipped); MIN and MAX skip empty fields and compare the others
 * as numbers when they parse, else as strings, with every number ordered before every string;
 * they return the field's own text.
 *
 * SUM and AVG add INT and DECIMAL values exactly (DECIMAL up to 38 digits) and FLOAT values
 * exactly too, apart (fsum.h); a sum with any FLOAT value is FLOAT: the exact total rounded
 * once.  So the result does not depend on the order of the rows or on how the input was cut
 * (threads, splits, partials), and is the correctly rounded sum (Python's math.fsum).
 */
#include "exec/program.h"

#include "exec/fsum.h"

#include <string.h>

pluck_code pl_agg_step(pl_eval_ctx *ctx, const pl_aggregate *a, pl_agg_state *st)
{
    if (a->kind == PL_AGG_COUNT_STAR) {
        st->count++;
        return PLUCK_OK;
    }
    pl_value v, num;
    pluck_code rc = pl_eval(ctx, a->arg, &v);
    if (rc)
        return rc;
    if (pl_v_absent(&v))
        return PLUCK_OK;
    switch (a->kind) {
    case PL_AGG_COUNT: st->count++; return PLUCK_OK;
    case PL_AGG_SUM:
    case PL_AGG_AVG:
        if (!pl_value_as_number(&v, &num)) {
            if (v.untyped)
                return PLUCK_OK;
            return pl_eval_fail(ctx, a->arg, PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE,
                                "%s needs numbers, got %s", a->kind == PL_AGG_SUM ? "SUM" : "AVG",
                                pl_type_name((pl_type)v.type));
        }
        st->count++;
        if (num.type == PL_FLOAT) {
            if (!st->fsum && !(st->fsum = pl_fsum_create()))
                return pl_eval_fail(ctx, a->arg, PLUCK_E_OUT_OF_MEMORY, "Out of memory");
            pl_fsum_add(st->fsum, num.u.f);
            return PLUCK_OK;
        }
        if (!st->any) {
            st->acc = num;
            st->any = true;
            return PLUCK_OK;
        }
        rc = pl_arith('+', &st->acc, &num, &st->acc);
        if (rc)
            return pl_eval_fail(ctx, a->arg, rc, "Integer overflow in %s",
                                a->kind == PL_AGG_SUM ? "SUM" : "AVG");
        return PLUCK_OK;
    case PL_AGG_MIN:
    case PL_AGG_MAX: {
        if (v.untyped && v.u.s.len == 0)
            return PLUCK_OK; /* an empty CSV field would otherwise win MAX over every number */
        /* a CSV field keeps its text (1E2 stays 1E2); pl_value_order reads it as a number */
        if (st->any) {
            int c = pl_value_order(&v, &st->acc);
            if (a->kind == PL_AGG_MIN ? c >= 0 : c <= 0)
                return PLUCK_OK;
        }
        if (v.type == PL_STRING) { /* the record's bytes go away: keep a copy */
            st->keep.len = 0;
            if (!pl_buf_append(&st->keep, v.u.s.p, v.u.s.len))
                return pl_eval_fail(ctx, a->arg, PLUCK_E_OUT_OF_MEMORY, "Out of memory");
            v.u.s.p = st->keep.data;
        }
        st->acc = v;
        st->any = true;
        return PLUCK_OK;
    }
    default: return PLUCK_OK;
    }
}

pluck_code pl_agg_final(pl_eval_ctx *ctx, const pl_aggregate *a, const pl_agg_state *st,
                        pl_value *out)
{
    if (a->kind == PL_AGG_COUNT_STAR || a->kind == PL_AGG_COUNT) {
        *out = pl_v_int((int64_t)st->count);
        return PLUCK_OK;
    }
    if (!st->any && !st->fsum) {
        *out = pl_v_null();
        return PLUCK_OK;
    }
    pl_value sum = st->acc;
    if (st->fsum) /* the INT/DECIMAL part as a double, then one rounding of the whole */
        sum = pl_v_float(pl_fsum_value(st->fsum, st->any ? pl_to_double(&st->acc) : -0.0));
    if (a->kind == PL_AGG_SUM) {
        *out = sum;
        return PLUCK_OK;
    }
    if (a->kind != PL_AGG_AVG) {
        *out = st->acc;
        /* MIN/MAX of CSV fields: a field whose text is a number's canonical form is that
         * number (so JSON shows a number); other text (007, 1E2) stays as written */
        pl_value num;
        if (out->type == PL_STRING && out->untyped && pl_value_as_number(out, &num)) {
            char tmp[PL_TEXT_MAX];
            const char *p;
            size_t n = pl_value_text(&num, tmp, &p);
            if (n == out->u.s.len && !memcmp(p, out->u.s.p, n))
                *out = num;
        }
        return PLUCK_OK;
    }
    pl_value cnt = pl_v_int((int64_t)st->count);
    if (sum.type == PL_INT) /* AVG of integers is an exact DECIMAL: AVG(80, 81) = 80.5 */
        sum = pl_decimal_make(sum.u.i, 0);
    pluck_code rc = pl_arith('/', &sum, &cnt, out);
    return rc ? pl_eval_fail(ctx, a->arg, rc, "AVG failed") : PLUCK_OK;
}

void pl_agg_state_free(pl_agg_state *st)
{
    pl_buf_free(&st->keep);
    pl_fsum_free(st->fsum);
    st->fsum = NULL;
}

void pl_agg_reset(pl_agg_state *st)
{
    st->count = 0;
    st->any = false;
    pl_fsum_free(st->fsum);
    st->fsum = NULL;
    st->keep.len = 0; /* the buffer is kept for the next string */
}

/* Parallel executors (commit/lanes.c) each aggregate their blocks; the committer folds them in
 * input order.  COUNT and exact sums (INT, FLOAT, and DECIMAL while every partial sum fits 38
 * digits) come out as in one pass; a DECIMAL one that had to be rounded (decimal.h) is added
 * in a different order and may differ in the last digits. */
pluck_code pl_agg_merge(const pl_aggregate *a, pl_agg_state *st, const pl_agg_state *from)
{
    st->count += from->count;
    if ((a->kind == PL_AGG_SUM || a->kind == PL_AGG_AVG) && from->fsum) {
        if (!st->fsum && !(st->fsum = pl_fsum_create()))
            return PLUCK_E_OUT_OF_MEMORY;
        pl_fsum_merge(st->fsum, from->fsum);
    }
    if (a->kind == PL_AGG_COUNT_STAR || a->kind == PL_AGG_COUNT || !from->any)
        return PLUCK_OK;
    if (a->kind == PL_AGG_SUM || a->kind == PL_AGG_AVG) {
        if (!st->any) {
            st->acc = from->acc;
            st->any = true;
            return PLUCK_OK;
        }
        return pl_arith('+', &st->acc, &from->acc, &st->acc);
    }
    /* MIN / MAX: the earlier value wins ties, as when stepping */
    if (st->any) {
        int c = pl_value_order(&from->acc, &st->acc);
        if (a->kind == PL_AGG_MIN ? c >= 0 : c <= 0)
            return PLUCK_OK;
    }
    st->acc = from->acc;
    if (from->acc.type == PL_STRING) {
        st->keep.len = 0;
        if (!pl_buf_append(&st->keep, from->acc.u.s.p, from->acc.u.s.len))
            return PLUCK_E_OUT_OF_MEMORY;
        st->acc.u.s.p = st->keep.data;
    }
    st->any = true;
    return PLUCK_OK;
}
