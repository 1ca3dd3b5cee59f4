/*
 * func_ext.h — implementations of the string functions pluck adds with -X (func_ext.c);
 * their rows are in func.c's table.
 */
#ifndef PL_FUNC_EXT_H
#define PL_FUNC_EXT_H

#include "exec/program.h"

pluck_code pl_fn_concat(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                        pl_value *out);
pluck_code pl_fn_replace(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                         pl_value *out);
pluck_code pl_fn_strpos(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                        pl_value *out);
pluck_code pl_fn_lpad(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                      pl_value *out);
pluck_code pl_fn_rpad(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                      pl_value *out);
pluck_code pl_fn_regexp_matches(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a,
                                uint32_t na, pl_value *out);

/* func_num.c */
pluck_code pl_fn_round(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                       pl_value *out);
pluck_code pl_fn_abs(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                     pl_value *out);
pluck_code pl_fn_floor(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                       pl_value *out);
pluck_code pl_fn_ceil(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                      pl_value *out);

#endif /* PL_FUNC_EXT_H */
