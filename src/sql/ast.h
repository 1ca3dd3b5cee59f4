/*
 * ast.h — the syntax tree of one S3 Select statement, as produced by the parser (parse.c)
 * and consumed by the binder (exec/bind.c).  Every node is allocated in a pl_arena and carries
 * the byte offset of its first token so later passes can report positions.
 *
 * The parser checks syntax only; names (aliases, columns, functions) are resolved by the
 * binder.  Strings in the tree are NUL-terminated copies in the arena, already unescaped
 * ('' -> ' in string literals, "" -> " in quoted identifiers).
 */
#ifndef PL_AST_H
#define PL_AST_H

#include "common/common.h"

typedef enum pl_expr_kind {
    PL_E_LITERAL, /* lit_kind, text */
    PL_E_COLUMN,  /* [qualifier.]name or [qualifier.]_N */
    PL_E_NEG,     /* -args[0] */
    PL_E_NOT,     /* NOT args[0] */
    PL_E_AND,     /* args[0] AND args[1] */
    PL_E_OR,      /* args[0] OR args[1] */
    PL_E_ARITH,   /* args[0] op args[1], op one of + - * / % (the character) */
    PL_E_CONCAT,  /* args[0] || args[1] */
    PL_E_CMP,     /* args[0] op args[1], op one of pl_cmp_op */
    PL_E_LIKE,    /* args[0] [NOT] LIKE args[1] [ESCAPE args[2]]; nargs 2 or 3 */
    PL_E_BETWEEN, /* args[0] [NOT] BETWEEN args[1] AND args[2] */
    PL_E_IN,      /* args[0] [NOT] IN (args[1] ... args[nargs-1]) */
    PL_E_IS,      /* args[0] IS [NOT] NULL|MISSING; op = PL_IS_NULL / PL_IS_MISSING */
    PL_E_CAST,    /* CAST(args[0] AS cast_type[(type_p[, type_s])]) */
    PL_E_CASE,    /* see below */
    PL_E_CALL     /* name(args...), incl. aggregates; star for COUNT(*); op for special forms */
} pl_expr_kind;

typedef enum pl_lit_kind {
    PL_LIT_NULL,
    PL_LIT_MISSING,
    PL_LIT_TRUE,
    PL_LIT_FALSE,
    PL_LIT_INT,     /* text: digits only (sign is a separate PL_E_NEG) */
    PL_LIT_DECIMAL, /* text: digits with one '.', e.g. "1.5", ".5", "5." */
    PL_LIT_FLOAT,   /* text: with an exponent, e.g. "1e3", "2.5E-2" */
    PL_LIT_STRING,  /* text: the unescaped string */
    PL_LIT_ION      /* text: the content between backticks, e.g. "2010-01-01T" */
} pl_lit_kind;

typedef enum pl_cmp_op { PL_CMP_EQ, PL_CMP_NE, PL_CMP_LT, PL_CMP_LE, PL_CMP_GT, PL_CMP_GE } pl_cmp_op;

enum { PL_IS_NULL = 1, PL_IS_MISSING = 2 };

/* CAST target types */
typedef enum pl_cast_type {
    PL_T_BOOL,
    PL_T_INT,
    PL_T_FLOAT,
    PL_T_DECIMAL,
    PL_T_STRING,
    PL_T_TIMESTAMP
} pl_cast_type;

/* special-form markers in PL_E_CALL.op */
typedef enum pl_call_form {
    PL_FORM_PLAIN = 0,
    PL_FORM_TRIM_BOTH,     /* TRIM([BOTH] [chars] FROM s): args = s [, chars] */
    PL_FORM_TRIM_LEADING,
    PL_FORM_TRIM_TRAILING,
    PL_FORM_DATEPART       /* EXTRACT/DATE_ADD/DATE_DIFF: datepart holds the part */
} pl_call_form;

typedef enum pl_datepart {
    PL_DP_NONE = 0,
    PL_DP_YEAR,
    PL_DP_MONTH,
    PL_DP_DAY,
    PL_DP_HOUR,
    PL_DP_MINUTE,
    PL_DP_SECOND,
    PL_DP_TIMEZONE_HOUR,
    PL_DP_TIMEZONE_MINUTE
} pl_datepart;

typedef struct pl_expr pl_expr;
struct pl_expr {
    pl_expr_kind kind;
    uint32_t pos;   /* byte offset in the SQL of the node's first token */
    int op;         /* operator / form, per kind */
    bool negated;   /* NOT LIKE, NOT BETWEEN, NOT IN, IS NOT */
    bool star;      /* COUNT(*) */
    bool distinct;  /* COUNT(DISTINCT x) and the other aggregates (extension) */
    uint32_t distinct_pos;

    /* PL_E_LITERAL */
    pl_lit_kind lit_kind;
    const char *text; /* literal text (NUL-terminated) */
    uint32_t text_len;

    /* PL_E_COLUMN */
    const char *qualifier;  /* alias or "S3Object" as written, NULL when unqualified */
    bool qualifier_quoted;
    uint32_t qualifier_pos;
    const char *name;       /* header name as written (unescaped), NULL for positional */
    bool name_quoted;       /* "Name": case-sensitive match */
    uint32_t index;         /* positional _N: N (may be 0: the binder rejects it) */

    /* PL_E_CAST */
    pl_cast_type cast_type;
    int type_p, type_s;     /* DECIMAL(p, s); -1 when absent */

    /* PL_E_CALL: lower-cased function name as written ("count", "substring", ...) */
    const char *func;
    pl_datepart datepart;

    /* operands.  PL_E_CASE: args[0] is the simple-CASE operand or NULL (searched CASE), then
     * WHEN/THEN pairs, then the ELSE result when has_else. */
    pl_expr **args;
    uint32_t nargs;
    bool has_else;
};

typedef struct pl_select_item {
    pl_expr *expr;      /* NULL for alias.* */
    const char *alias;  /* AS name (unescaped), NULL if none */
    uint32_t pos;
} pl_select_item;

enum { PL_NULLS_FIRST = 1, PL_NULLS_LAST = 2 };

typedef struct pl_order_item {
    pl_expr *expr;
    bool desc;
    uint8_t nulls; /* 0 (not given), PL_NULLS_FIRST, PL_NULLS_LAST */
} pl_order_item;

typedef struct pl_select {
    bool distinct;            /* SELECT DISTINCT (extension) */
    uint32_t distinct_pos;
    bool select_star;         /* SELECT * or SELECT alias.* (qualifier in star_qualifier) */
    const char *star_qualifier;
    uint32_t star_pos;
    pl_select_item *items;
    uint32_t nitems;
    const char *table_name;   /* as written: "S3Object" in any case */
    const char *table_alias;  /* NULL when none */
    bool table_alias_quoted;
    uint32_t table_pos;
    pl_expr *where;           /* NULL when absent */
    bool has_limit;
    int64_t limit;
    uint32_t limit_pos;
    /* extensions beyond S3 Select, parsed always and rejected by the binder unless the
     * query enables extensions (S3 answers ParseExpectedIdentForGroupName) */
    pl_expr **group_by;
    uint32_t ngroup_by;
    uint32_t group_pos;       /* GROUP keyword */
    pl_expr *having;
    uint32_t having_pos;
    pl_order_item *order_by;
    uint32_t norder_by;
    uint32_t order_pos;
} pl_select;

/* Parse one statement.  Returns PLUCK_OK and *out, or an error code with err filled with S3's
 * code, an S3-style message ending in "at line L, column C." and the SQL position.
 * Nesting deeper than PL_MAX_DEPTH fails with MaxOperatorsExceeded. */
#define PL_MAX_DEPTH 1000
pluck_code pl_parse(const char *sql, size_t len, pl_arena *arena, pl_select **out,
                    pluck_error *err);

/* 1 when word (case-insensitive, len bytes) is one of S3 Select's reserved words. */
int pl_is_reserved_word(const char *word, size_t len);

#endif /* PL_AST_H */
