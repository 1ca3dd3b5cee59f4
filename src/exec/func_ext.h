/*
 * func_ext.h — what the three files of scalar functions share: the argument helpers func.c
 * defines (NULL propagation, type checks, UTF-8 character counting), and the functions
 * pluck adds with -X (string ones in func_ext.c, numeric ones in func_num.c).  Every
 * function's row is in func.c's one table.
 */
#ifndef PL_FUNC_EXT_H
#define PL_FUNC_EXT_H

#include "exec/program.h"

/* The shape of every scalar function (pl_func_impl is a pointer to one). */
typedef pluck_code pl_fn(pl_eval_ctx *ctx, const pl_node *n, const pl_value *args,
                         uint32_t nargs, pl_value *out);

/* Argument helpers (func.c). */
bool pl_fn_null_if_absent(const pl_value *a, uint32_t na, pl_value *out); /* any NULL/MISSING: *out = NULL */
pluck_code pl_fn_need_string(pl_eval_ctx *ctx, const pl_node *n, const pl_value *v); /* the type error */
static inline pluck_code pl_fn_string_arg(pl_eval_ctx *ctx, const pl_node *n, const pl_value *v)
{
    return v->type == PL_STRING ? PLUCK_OK : pl_fn_need_string(ctx, n, v);
}
static inline pluck_code pl_fn_string_args(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a,
                                           uint32_t na)
{
    for (uint32_t i = 0; i < na; i++)
        if (a[i].type != PL_STRING)
            return pl_fn_need_string(ctx, n, &a[i]);
    return PLUCK_OK;
}
pluck_code pl_fn_oom(pl_eval_ctx *ctx, const pl_node *n);
bool pl_fn_int_arg(const pl_value *v, int64_t *out); /* a number, clamped to INT64 */
int64_t pl_utf8_chars(const char *p, size_t len);              /* code points in p */
size_t pl_utf8_offset(const char *p, size_t len, int64_t k);   /* bytes before code point k */

/* func_ext.c */
pl_fn pl_fn_concat, pl_fn_replace, pl_fn_strpos, pl_fn_lpad, pl_fn_rpad, pl_fn_regexp_matches;
/* func_num.c */
pl_fn pl_fn_round, pl_fn_abs, pl_fn_floor, pl_fn_ceil;

#endif /* PL_FUNC_EXT_H */
