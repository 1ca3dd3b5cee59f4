/*
 * program.h — a compiled query: the bound expression tree the executor interprets, the table
 * of column references (resolved against the header at the start of each run), aggregate
 * slots, output names, and the pushdown facts (highest column needed, LIMIT).
 *
 * bind.c builds it from the syntax tree; eval.c evaluates it; the executor (exec.c) drives it over input.
 * Everything here is immutable after compile, so one pluck_query serves many runs.
 */
#ifndef PL_PROGRAM_H
#define PL_PROGRAM_H

#include "exec/value.h"
#include "sql/ast.h"

typedef enum pl_node_op {
    PL_N_CONST,
    PL_N_COL,     /* column reference: colref */
    PL_N_NEG,
    PL_N_NOT,
    PL_N_AND,
    PL_N_OR,
    PL_N_ARITH,   /* sub: + - * / % */
    PL_N_CONCAT,
    PL_N_CMP,     /* sub: pl_cmp_op */
    PL_N_LIKE,    /* args: value, pattern [, escape] */
    PL_N_BETWEEN,
    PL_N_IN,
    PL_N_IS,      /* sub: PL_IS_NULL / PL_IS_MISSING */
    PL_N_CAST,    /* sub: pl_cast_type */
    PL_N_CASE,    /* args as in the AST; has_else */
    PL_N_FUNC,    /* fn */
    PL_N_AGG,     /* value of aggregate slot `agg` (only in the SELECT list of an aggregate query) */
    PL_N_GROUPKEY, /* value of GROUP BY expression `key` for the current group */
    /* specializations chosen by the binder for the common filter shapes; each gives the same
     * result as the general node it replaces */
    PL_N_CMP_STR,  /* args[0] sub args[1]: args[1] a STRING constant */
    PL_N_CMP_NUM,  /* args[0] sub args[1]: args[1] a numeric constant */
    PL_N_LIKE_LIT  /* args[0] LIKE constant pattern whose only wildcards are leading/trailing %:
                    * sub = pl_like_shape, k = the literal between them */
} pl_node_op;

typedef enum pl_like_shape { PL_LIKE_EXACT, PL_LIKE_PREFIX, PL_LIKE_SUFFIX, PL_LIKE_CONTAINS } pl_like_shape;

typedef struct pl_node pl_node;
typedef struct pl_eval_ctx pl_eval_ctx;

/* A scalar function: evaluates already-evaluated arguments. */
typedef pluck_code (*pl_func_impl)(pl_eval_ctx *ctx, const pl_node *n, const pl_value *args,
                                   uint32_t nargs, pl_value *out);

typedef enum pl_agg_kind { PL_AGG_COUNT_STAR, PL_AGG_COUNT, PL_AGG_SUM, PL_AGG_AVG, PL_AGG_MIN, PL_AGG_MAX } pl_agg_kind;

/* One row of the function table (func.c). */
typedef struct pl_func {
    const char *name;   /* lower case */
    int min_args, max_args;
    int agg;            /* -1 for scalar functions, else pl_agg_kind */
    pl_func_impl impl;  /* scalar only */
    int ext;            /* 1: a pluck extension, known only with -X (func_ext.c) */
} pl_func;

const pl_func *pl_func_find(const char *lower_name);

struct pl_node {
    uint8_t op;      /* pl_node_op */
    uint8_t sub;
    bool negated;
    bool has_else;
    uint32_t pos;    /* SQL offset for error messages */
    pl_value k;      /* PL_N_CONST */
    uint32_t colref; /* PL_N_COL */
    uint32_t agg;    /* PL_N_AGG */
    uint32_t key;    /* PL_N_GROUPKEY */
    int form;        /* PL_N_FUNC: pl_call_form */
    pl_datepart datepart;
    const pl_func *fn;
    const struct pl_regex *re; /* REGEXP_MATCHES with a constant pattern: compiled by bind */
    pl_node **args;
    uint32_t nargs;
};

/* A column reference as written; exec.c maps each to a field index per run. */
typedef struct pl_colref {
    const char *name;  /* NULL for positional */
    bool quoted;
    uint32_t index;    /* positional: 1-based N */
    uint32_t pos;
} pl_colref;

typedef struct pl_aggregate {
    pl_agg_kind kind;
    pl_node *arg;      /* NULL for COUNT(*) */
    bool distinct;     /* COUNT(DISTINCT x) ...: each value once per group (distinct.c) */
} pl_aggregate;

typedef struct pl_out_col {
    pl_node *expr;
    const char *name;  /* JSON key: alias, column name as written, or _N by position */
    bool header_key;   /* no alias and a header-name column: the key is the header's spelling */
} pl_out_col;

struct pluck_query {
    pl_arena arena;
    struct pluck_params params;
    char *sql;          /* copy, for messages */
    size_t sql_len;
    bool select_star;
    pl_out_col *cols;
    uint32_t ncols;
    pl_node *where;     /* NULL when absent */
    pl_colref *colrefs;
    uint32_t ncolrefs;
    pl_aggregate *aggs;
    uint32_t naggs;
    bool is_aggregate;      /* results come from accumulated groups, not per record */
    bool distinct;          /* SELECT DISTINCT (extension) */
    bool distinct_rows;     /* ... done on the output rows (SELECT DISTINCT * or over
                             * aggregates); else it became a GROUP BY of the SELECT list */
    bool has_distinct_aggs; /* some aggregate is DISTINCT */
    pl_node **group_by;     /* GROUP BY expressions (extension) */
    uint32_t ngroup_by;
    pl_node *having;        /* evaluated per group */
    pl_node **order_by;     /* ORDER BY keys (extension) */
    bool *order_desc;
    uint8_t *order_nulls;   /* 0, PL_NULLS_FIRST or PL_NULLS_LAST, per key */
    uint32_t norder_by;
    bool has_limit;
    uint64_t limit;
    uint32_t max_positional; /* highest _N referenced (pushdown when no names are used) */
    const char *prefilter;   /* a literal every selected record contains in its raw bytes */
    uint32_t prefilter_len;  /* (0: no prefilter) — see exec/prefilter.c */
    bool uses_names;         /* some reference is by header name */
};

/* Build the program from a parsed statement (bind.c). */
pluck_code pl_bind(struct pluck_query *q, const pl_select *sel, pluck_error *err);

/* ---- evaluation (eval.c) --------------------------------------------------------------- */

struct pl_eval_ctx {
    const struct pluck_query *q;
    const int32_t *colmap;     /* [ncolrefs] field index (0-based) or -1 (MISSING) */
    const void *fields;        /* pl_field* of the current record */
    uint32_t nfields;
    const pl_value *agg_values; /* final aggregate values, for the SELECT list of aggregates */
    const pl_value *group_keys; /* the current group's GROUP BY values */
    pl_arena *scratch;         /* strings built during evaluation; reset per record */
    pluck_error *err;
};

/* Evaluate n for the current record.  Returns PLUCK_OK or an evaluation error with
 * ctx->err filled (code, message naming the SQL position). */
pluck_code pl_eval(pl_eval_ctx *ctx, const pl_node *n, pl_value *out);

/* Evaluate a condition: *truth = 1 TRUE, 0 FALSE, 2 unknown (NULL, MISSING, not a BOOL). */
pluck_code pl_eval_cond(pl_eval_ctx *ctx, const pl_node *n, int *truth);

/* Report an evaluation error at node n. */
pluck_code pl_eval_fail(pl_eval_ctx *ctx, const pl_node *n, pluck_code code, const char *fmt, ...)
    PL_PRINTF(4, 5);

/* Compare as the SQL comparison operators do: -1/0/1, PL_CMP_UNKNOWN (NULL/MISSING, or a CSV
 * field that does not read as the other side's type) or PL_CMP_TYPES (different types:
 * never equal, not ordered). */
enum { PL_CMP_UNKNOWN = 2, PL_CMP_TYPES = 3 };
int pl_compare(const pl_value *a, const pl_value *b);

/* Timestamp view of a value: a TIMESTAMP, or an untyped CSV field holding Ion text. */
bool pl_value_as_ts(const pl_value *v, pl_ts *out);

/* CAST(v AS type) */
pluck_code pl_cast(pl_eval_ctx *ctx, const pl_node *n, const pl_value *v, int type, pl_value *out);

/* ---- aggregates (agg.c) ---------------------------------------------------------------- */

typedef struct pl_agg_state {
    uint64_t count;
    pl_value acc;     /* running SUM / MIN / MAX (valid once any is set) */
    bool any;
    pl_buf keep;      /* bytes of a string MIN/MAX, which must outlive the record */
    struct pl_fsum *fsum; /* SUM/AVG: the exact sum of the FLOAT values (fsum.h), NULL until
                           * one; acc then sums only the INT and DECIMAL ones */
} pl_agg_state;

pluck_code pl_agg_step(pl_eval_ctx *ctx, const pl_aggregate *a, pl_agg_state *st);
void pl_agg_state_free(pl_agg_state *st);
/* Back to the state of no rows (a lane starting its next block). */
void pl_agg_reset(pl_agg_state *st);
/* Fold the state of later rows (from) into st, as if they had been stepped into it. */
pluck_code pl_agg_merge(const pl_aggregate *a, pl_agg_state *st, const pl_agg_state *from);
pluck_code pl_agg_final(pl_eval_ctx *ctx, const pl_aggregate *a, const pl_agg_state *st,
                        pl_value *out);

#endif /* PL_PROGRAM_H */
