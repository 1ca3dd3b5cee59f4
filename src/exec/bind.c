/*
 * bind.c — the resolver: turns the syntax tree into the program the executor runs.
 *
 * It checks what the grammar cannot: the table is S3Object, qualifiers name the declared
 * alias, header names are only used with FileHeaderInfo USE, positions start at 1, functions
 * exist with the right number of arguments, aggregates are not nested, not in WHERE and not
 * mixed with per-row columns.  It folds literals into constants, numbers the column
 * references (matched to the header per run), and gives every output column its JSON key.
 */
#include "exec/func_ext.h"
#include "exec/program.h"
#include "exec/regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct binder {
    struct pluck_query *q;
    const pl_select *sel;
    pluck_error *err;
    bool in_agg;     /* inside an aggregate's argument */
    bool agg_ok;     /* aggregates allowed here (SELECT list) */
    bool aliases;    /* a bare name may be a SELECT alias (HAVING, ORDER BY: extensions) */
    /* growable tables, in the arena (rebuilt by doubling) */
    uint32_t colref_cap, agg_cap;
} binder;

static bool is_s3object(const char *s) { return s && !strcasecmp(s, "s3object"); }

/* A qualifier is valid when it names the declared alias (unquoted: any case), or S3Object
 * when no alias was declared. */
static bool qualifier_ok(const pl_select *sel, const char *qual, bool quoted)
{
    if (!qual)
        return true;
    if (sel->table_alias) {
        if (quoted || sel->table_alias_quoted)
            return !strcmp(qual, sel->table_alias);
        return !strcasecmp(qual, sel->table_alias);
    }
    return is_s3object(qual);
}

static pluck_code add_colref(binder *b, const pl_expr *e, uint32_t *id)
{
    struct pluck_query *q = b->q;
    if (q->ncolrefs == b->colref_cap) {
        uint32_t cap = b->colref_cap ? b->colref_cap * 2 : 16;
        pl_colref *n = pl_arena_alloc(&q->arena, cap * sizeof *n);
        PL_RETURN_ERROR_IF(!n, b->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        if (q->ncolrefs)
            memcpy(n, q->colrefs, q->ncolrefs * sizeof *n);
        q->colrefs = n;
        b->colref_cap = cap;
    }
    pl_colref *c = &q->colrefs[q->ncolrefs];
    c->name = e->name;
    c->quoted = e->name_quoted;
    c->index = e->index;
    c->pos = e->pos;
    *id = q->ncolrefs++;
    return PLUCK_OK;
}

static pluck_code add_agg(binder *b, pl_agg_kind kind, pl_node *arg, bool distinct, uint32_t *id)
{
    struct pluck_query *q = b->q;
    if (q->naggs == b->agg_cap) {
        uint32_t cap = b->agg_cap ? b->agg_cap * 2 : 8;
        pl_aggregate *n = pl_arena_alloc(&q->arena, cap * sizeof *n);
        PL_RETURN_ERROR_IF(!n, b->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        if (q->naggs)
            memcpy(n, q->aggs, q->naggs * sizeof *n);
        q->aggs = n;
        b->agg_cap = cap;
    }
    q->aggs[q->naggs].kind = kind;
    q->aggs[q->naggs].arg = arg;
    q->aggs[q->naggs].distinct = distinct;
    if (distinct)
        q->has_distinct_aggs = true;
    *id = q->naggs++;
    return PLUCK_OK;
}

static pluck_code bind_literal(binder *b, const pl_expr *e, pl_value *v)
{
    switch (e->lit_kind) {
    case PL_LIT_NULL: *v = pl_v_null(); return PLUCK_OK;
    case PL_LIT_MISSING: *v = pl_v_missing(); return PLUCK_OK;
    case PL_LIT_TRUE: *v = pl_v_bool(true); return PLUCK_OK;
    case PL_LIT_FALSE: *v = pl_v_bool(false); return PLUCK_OK;
    case PL_LIT_STRING: *v = pl_v_str(e->text, e->text_len, false); return PLUCK_OK;
    case PL_LIT_INT:
    case PL_LIT_DECIMAL:
    case PL_LIT_FLOAT:
        PL_RETURN_SQL_ERROR_IF(!pl_parse_number(e->text, e->text_len, false, v), b->err,
                               PLUCK_E_LEXER_INVALID_LITERAL, b->q->sql, b->q->sql_len, e->pos,
                               "Invalid literal %s at @POS@.", e->text);
        /* an integer literal beyond 64 bits stays exact as a DECIMAL (up to 38 digits) */
        return PLUCK_OK;
    case PL_LIT_ION: {
        /* Ion numbers and booleans are understood; Ion timestamps come with TIMESTAMP. */
        if (pl_parse_number(e->text, e->text_len, false, v))
            return PLUCK_OK;
        if (!strcasecmp(e->text, "true") || !strcasecmp(e->text, "false")) {
            *v = pl_v_bool(!strcasecmp(e->text, "true"));
            return PLUCK_OK;
        }
        pl_ts t;
        if (pl_ts_parse(e->text, e->text_len, &t)) {
            *v = pl_v_ts(&t);
            return PLUCK_OK;
        }
        return pl_error_sql(b->err, PLUCK_E_LEXER_INVALID_ION_LITERAL, b->q->sql, b->q->sql_len,
                            e->pos, "Invalid Ion literal `%s` at @POS@.", e->text);
    }
    }
    return PLUCK_OK;
}

static pluck_code bind_expr(binder *b, const pl_expr *e, pl_node **out);

static pluck_code bind_args(binder *b, const pl_expr *e, pl_node *n)
{
    n->nargs = e->nargs;
    if (!e->nargs)
        return PLUCK_OK;
    n->args = pl_arena_alloc(&b->q->arena, e->nargs * sizeof *n->args);
    PL_RETURN_ERROR_IF(!n->args, b->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    for (uint32_t i = 0; i < e->nargs; i++) {
        n->args[i] = NULL;
        if (!e->args[i])
            continue; /* searched CASE has no operand */
        pluck_code rc = bind_expr(b, e->args[i], &n->args[i]);
        if (rc)
            return rc;
    }
    return PLUCK_OK;
}

static pluck_code bind_column(binder *b, const pl_expr *e, pl_node *n)
{
    struct pluck_query *q = b->q;
    const pl_select *sel = b->sel;
    PL_RETURN_SQL_ERROR_IF(!qualifier_ok(sel, e->qualifier, e->qualifier_quoted), b->err,
                           PLUCK_E_INVALID_TABLE_ALIAS, b->q->sql, b->q->sql_len, e->qualifier_pos,
                           "Invalid table alias is specified at @POS@. Please check the "
                           "file and try again.");
    if (e->name) {
        PL_RETURN_SQL_ERROR_IF(q->params.header != PL_HDR_USE, b->err, PLUCK_E_INVALID_COLUMN_INDEX,
                               b->q->sql, b->q->sql_len, e->pos,
                               "The column index at @POS@ is invalid. Please check the "
                               "service documentation and try again.");
        q->uses_names = true;
    } else {
        PL_RETURN_SQL_ERROR_IF(e->index == 0, b->err, PLUCK_E_INVALID_COLUMN_INDEX, b->q->sql,
                               b->q->sql_len, e->pos,
                               "The column index at @POS@ is invalid. Please check the "
                               "service documentation and try again.");
        if (e->index > q->max_positional)
            q->max_positional = e->index;
    }
    n->op = PL_N_COL;
    return add_colref(b, e, &n->colref);
}

/* A constant REGEXP_MATCHES pattern is compiled once, into the query's arena; a bad one is
 * a compile-time error. */
static pluck_code bind_regex(binder *b, pl_node *n)
{
    char msg[160];
    const pl_value *k = &n->args[1]->k;
    pl_regex *re = pl_regex_compile(k->u.s.p, k->u.s.len, msg, sizeof msg);
    PL_RETURN_SQL_ERROR_IF(!re, b->err, PLUCK_E_ILLEGAL_SQL_FUNCTION_ARGUMENT, b->q->sql,
                           b->q->sql_len, n->args[1]->pos, "REGEXP_MATCHES: %s, at @POS@.", msg);
    void *copy = pl_arena_alloc(&b->q->arena, pl_regex_size(re));
    if (copy)
        memcpy(copy, re, pl_regex_size(re));
    pl_regex_free(re);
    PL_RETURN_ERROR_IF(!copy, b->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    n->re = copy;
    return PLUCK_OK;
}

static pluck_code bind_call(binder *b, const pl_expr *e, pl_node *n)
{
    const pl_func *fn = pl_func_find(e->func);
    PL_RETURN_SQL_ERROR_IF(!fn, b->err, PLUCK_E_UNSUPPORTED_FUNCTION, b->q->sql, b->q->sql_len,
                           e->pos, "Unsupported function %s at @POS@.", e->func);
    PL_RETURN_SQL_ERROR_IF(fn->ext && !b->q->params.extensions, b->err,
                           PLUCK_E_UNSUPPORTED_FUNCTION, b->q->sql, b->q->sql_len, e->pos,
                           "Unsupported function %s at @POS@ (a pluck extension: add -X).",
                           e->func);
    PL_RETURN_SQL_ERROR_IF(e->star && fn->agg != PL_AGG_COUNT, b->err,
                           PLUCK_E_PARSE_UNSUPPORTED_CALL_WITH_STAR, b->q->sql, b->q->sql_len,
                           e->pos, "Function %s does not accept * as an argument at @POS@.",
                           e->func);
    PL_RETURN_SQL_ERROR_IF(!e->star &&
                               ((int)e->nargs < fn->min_args || (int)e->nargs > fn->max_args),
                           b->err,
                           fn->agg >= 0 ? PLUCK_E_PARSE_NON_UNARY_AGREGATE_FUNCTION_CALL
                                        : PLUCK_E_EVALUATOR_INVALID_ARGUMENTS,
                           b->q->sql, b->q->sql_len, e->pos,
                           "Wrong number of arguments for function %s at @POS@.", e->func);
    if (fn->agg >= 0) {
        PL_RETURN_SQL_ERROR_IF(
            !b->agg_ok, b->err, PLUCK_E_UNSUPPORTED_SQL_STRUCTURE, b->q->sql, b->q->sql_len, e->pos,
            "Aggregate function %s is not allowed here (only in the SELECT list) at "
            "@POS@.",
            e->func);
        PL_RETURN_SQL_ERROR_IF(b->in_agg, b->err, PLUCK_E_UNSUPPORTED_SQL_STRUCTURE, b->q->sql,
                               b->q->sql_len, e->pos,
                               "Aggregate functions cannot be nested at @POS@.");
        PL_RETURN_SQL_ERROR_IF(e->distinct && !b->q->params.extensions, b->err,
                               PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, b->q->sql, b->q->sql_len,
                               e->distinct_pos,
                               "Set quantifiers in function calls are not supported (DISTINCT is a "
                               "pluck extension: -X) at @POS@.");
        pl_node *arg = NULL;
        if (!e->star) {
            b->in_agg = true;
            pluck_code rc = bind_expr(b, e->args[0], &arg);
            b->in_agg = false;
            if (rc)
                return rc;
        }
        pl_agg_kind kind = e->star ? PL_AGG_COUNT_STAR : (pl_agg_kind)fn->agg;
        n->op = PL_N_AGG;
        return add_agg(b, kind, arg, e->distinct, &n->agg);
    }
    n->op = PL_N_FUNC;
    n->fn = fn;
    n->form = e->op;
    n->datepart = e->datepart;
    pluck_code rc = bind_args(b, e, n);
    if (!rc && fn->impl == pl_fn_regexp_matches && n->args[1]->op == PL_N_CONST &&
        n->args[1]->k.type == PL_STRING)
        rc = bind_regex(b, n);
    return rc;
}

/* Pick a specialized node for `expr op constant` and simple LIKE patterns, the shapes that
 * dominate filters (eval.c evaluates them without building intermediate values). */
static void specialize(pl_node *n)
{
    if (n->op == PL_N_CMP) {
        if (n->args[0]->op == PL_N_CONST && n->args[1]->op != PL_N_CONST) {
            static const uint8_t flip[] = {[PL_CMP_EQ] = PL_CMP_EQ, [PL_CMP_NE] = PL_CMP_NE,
                                           [PL_CMP_LT] = PL_CMP_GT, [PL_CMP_LE] = PL_CMP_GE,
                                           [PL_CMP_GT] = PL_CMP_LT, [PL_CMP_GE] = PL_CMP_LE};
            pl_node *t = n->args[0];
            n->args[0] = n->args[1];
            n->args[1] = t;
            n->sub = flip[n->sub];
        }
        const pl_value *k = &n->args[1]->k;
        if (n->args[1]->op != PL_N_CONST || n->args[0]->op == PL_N_CONST)
            return;
        if (k->type == PL_STRING)
            n->op = PL_N_CMP_STR;
        else if (pl_v_numeric(k))
            n->op = PL_N_CMP_NUM;
        return;
    }
    if (n->op != PL_N_LIKE || n->nargs != 2 || n->args[1]->op != PL_N_CONST ||
        n->args[1]->k.type != PL_STRING)
        return;
    const char *p = n->args[1]->k.u.s.p;
    uint32_t len = n->args[1]->k.u.s.len;
    bool lead = len > 0 && p[0] == '%';
    bool trail = len > (lead ? 1u : 0u) && p[len - 1] == '%';
    const char *lit = p + lead;
    uint32_t litlen = len - lead - trail;
    for (uint32_t i = 0; i < litlen; i++)
        if (lit[i] == '%' || lit[i] == '_')
            return;
    n->op = PL_N_LIKE_LIT;
    n->sub = lead && trail ? PL_LIKE_CONTAINS : lead ? PL_LIKE_SUFFIX : trail ? PL_LIKE_PREFIX
                                                                          : PL_LIKE_EXACT;
    n->k = pl_v_str(lit, litlen, false);
}

/* The SELECT item whose AS alias is the bare (unqualified, unquoted) name e, or NULL. */
static const pl_select_item *alias_item(const binder *b, const pl_expr *e)
{
    if (e->kind != PL_E_COLUMN || !e->name || e->qualifier || e->name_quoted)
        return NULL;
    for (uint32_t i = 0; i < b->sel->nitems; i++)
        if (b->sel->items[i].alias && b->sel->items[i].expr &&
            !strcasecmp(b->sel->items[i].alias, e->name))
            return &b->sel->items[i];
    return NULL;
}

static pluck_code bind_expr(binder *b, const pl_expr *e, pl_node **out)
{
    const pl_select_item *it = b->aliases ? alias_item(b, e) : NULL;
    if (it) {
        /* HAVING n > 2, ORDER BY -n: the alias stands for its expression */
        b->aliases = false;
        pluck_code rc = bind_expr(b, it->expr, out);
        b->aliases = true;
        return rc;
    }
    pl_node *n = pl_arena_alloc(&b->q->arena, sizeof *n);
    PL_RETURN_ERROR_IF(!n, b->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    memset(n, 0, sizeof *n);
    *out = n;
    n->pos = e->pos;
    n->negated = e->negated;
    n->has_else = e->has_else;
    switch (e->kind) {
    case PL_E_LITERAL: n->op = PL_N_CONST; return bind_literal(b, e, &n->k);
    case PL_E_COLUMN: return bind_column(b, e, n);
    case PL_E_CALL: return bind_call(b, e, n);
    case PL_E_NEG:
        /* -9223372036854775808 is an INT (the literal 9223372036854775808 alone is not) */
        if (e->args[0]->kind == PL_E_LITERAL && e->args[0]->lit_kind == PL_LIT_INT &&
            e->args[0]->text_len == 19 && !memcmp(e->args[0]->text, "9223372036854775808", 19)) {
            n->op = PL_N_CONST;
            n->k = pl_v_int(INT64_MIN);
            return PLUCK_OK;
        }
        n->op = PL_N_NEG;
        break;
    case PL_E_NOT: n->op = PL_N_NOT; break;
    case PL_E_AND: n->op = PL_N_AND; break;
    case PL_E_OR: n->op = PL_N_OR; break;
    case PL_E_ARITH: n->op = PL_N_ARITH; n->sub = (uint8_t)e->op; break;
    case PL_E_CONCAT: n->op = PL_N_CONCAT; break;
    case PL_E_CMP: n->op = PL_N_CMP; n->sub = (uint8_t)e->op; break;
    case PL_E_LIKE: n->op = PL_N_LIKE; break;
    case PL_E_BETWEEN: n->op = PL_N_BETWEEN; break;
    case PL_E_IN: n->op = PL_N_IN; break;
    case PL_E_IS: n->op = PL_N_IS; n->sub = (uint8_t)e->op; break;
    case PL_E_CAST:
        n->op = PL_N_CAST;
        n->sub = (uint8_t)e->cast_type;
        break;
    case PL_E_CASE: n->op = PL_N_CASE; break;
    }
    pluck_code rc = bind_args(b, e, n);
    if (!rc)
        specialize(n);
    return rc;
}

static const char *column_key(binder *b, const pl_expr *e, uint32_t i)
{
    char tmp[32];
    if (e && e->kind == PL_E_COLUMN && e->name)
        return e->name;
    if (e && e->kind == PL_E_COLUMN)
        snprintf(tmp, sizeof tmp, "_%u", e->index);
    else
        snprintf(tmp, sizeof tmp, "_%u", i + 1);
    return pl_arena_strndup(&b->q->arena, tmp, strlen(tmp));
}

/* ---- GROUP BY: matching group expressions and checking what is left ------------------ */

static bool colref_equal(const struct pluck_query *q, uint32_t x, uint32_t y)
{
    const pl_colref *a = &q->colrefs[x], *b = &q->colrefs[y];
    if (!a->name || !b->name)
        return !a->name && !b->name && a->index == b->index;
    if (a->quoted != b->quoted)
        return false;
    return a->quoted ? !strcmp(a->name, b->name) : !strcasecmp(a->name, b->name);
}

static bool const_equal(const pl_value *a, const pl_value *b)
{
    if (a->type != b->type)
        return false;
    char ta[PL_TEXT_MAX], tb[PL_TEXT_MAX];
    const char *pa, *pb;
    size_t la = pl_value_text(a, ta, &pa), lb = pl_value_text(b, tb, &pb);
    return la == lb && !memcmp(pa, pb, la);
}

/* Structural equality of two bound expressions (aggregates never match). */
static bool node_equal(const struct pluck_query *q, const pl_node *a, const pl_node *b)
{
    if (!a || !b)
        return a == b;
    if (a->op != b->op || a->sub != b->sub || a->negated != b->negated ||
        a->has_else != b->has_else || a->nargs != b->nargs || a->fn != b->fn ||
        a->form != b->form || a->datepart != b->datepart || a->op == PL_N_AGG)
        return false;
    if (a->op == PL_N_CONST && !const_equal(&a->k, &b->k))
        return false;
    if (a->op == PL_N_COL && !colref_equal(q, a->colref, b->colref))
        return false;
    for (uint32_t i = 0; i < a->nargs; i++)
        if (!node_equal(q, a->args[i], b->args[i]))
            return false;
    return true;
}

/* Replace every subtree equal to a GROUP BY expression by a reference to that key. */
static pluck_code rewrite_keys(binder *b, pl_node **np)
{
    struct pluck_query *q = b->q;
    pl_node *n = *np;
    if (!n)
        return PLUCK_OK;
    for (uint32_t k = 0; k < q->ngroup_by; k++) {
        if (node_equal(q, n, q->group_by[k])) {
            pl_node *g = pl_arena_alloc(&q->arena, sizeof *g);
            PL_RETURN_ERROR_IF(!g, b->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
            memset(g, 0, sizeof *g);
            g->op = PL_N_GROUPKEY;
            g->key = k;
            g->pos = n->pos;
            *np = g;
            return PLUCK_OK;
        }
    }
    for (uint32_t i = 0; i < n->nargs; i++) {
        pluck_code rc = rewrite_keys(b, &n->args[i]);
        if (rc)
            return rc;
    }
    return PLUCK_OK;
}

/* A column reference left outside aggregates (after rewriting), or NULL. */
static const pl_node *find_column(const pl_node *n)
{
    if (!n)
        return NULL;
    if (n->op == PL_N_COL)
        return n;
    for (uint32_t i = 0; i < n->nargs; i++) {
        const pl_node *c = find_column(n->args[i]);
        if (c)
            return c;
    }
    return NULL;
}

/* In a grouped or aggregate query every column must sit inside an aggregate or match a
 * GROUP BY expression. */
static pluck_code check_grouped(binder *b, pl_node **np)
{
    pluck_code rc = rewrite_keys(b, np);
    if (rc)
        return rc;
    const pl_node *c = find_column(*np);
    if (!c)
        return PLUCK_OK;
    PL_RETURN_SQL_ERROR_IF(b->q->ngroup_by, b->err, PLUCK_E_UNSUPPORTED_SQL_STRUCTURE, b->q->sql,
                           b->q->sql_len, c->pos,
                           "The column at @POS@ must appear in GROUP BY or be used in an aggregate "
                           "function.");
    return pl_error_sql(
        b->err, PLUCK_E_UNSUPPORTED_SQL_STRUCTURE, b->q->sql, b->q->sql_len, c->pos,
        "Aggregate and non-aggregate expressions cannot be mixed in the SELECT list at "
        "@POS@.");
}

/* GROUP BY item: a SELECT alias, a 1-based SELECT position, or an expression. */
static pluck_code bind_group_item(binder *b, const pl_expr *e, pl_node **out)
{
    const pl_select *sel = b->sel;
    const pl_select_item *it = alias_item(b, e);
    if (e->kind == PL_E_LITERAL && e->lit_kind == PL_LIT_INT) {
        unsigned long k = strtoul(e->text, NULL, 10);
        PL_RETURN_SQL_ERROR_IF(
            sel->select_star || k < 1 || k > sel->nitems || !sel->items[k - 1].expr, b->err,
            PLUCK_E_INVALID_COLUMN_INDEX, b->q->sql, b->q->sql_len, e->pos,
            "GROUP BY position %s is not in the SELECT list at @POS@.", e->text);
        it = &sel->items[k - 1];
    }
    return bind_expr(b, it ? it->expr : e, out);
}

/* ORDER BY item: a SELECT alias, a 1-based SELECT position, or an expression. */
static pluck_code bind_order_item(binder *b, const pl_expr *e, pl_node **out)
{
    struct pluck_query *q = b->q;
    if (e->kind == PL_E_COLUMN && e->name && !e->qualifier && !e->name_quoted) {
        for (uint32_t i = 0; i < q->ncols; i++)
            if (!strcasecmp(q->cols[i].name, e->name)) {
                *out = q->cols[i].expr;
                return PLUCK_OK;
            }
    }
    if (e->kind == PL_E_LITERAL && e->lit_kind == PL_LIT_INT) {
        unsigned long k = strtoul(e->text, NULL, 10);
        PL_RETURN_SQL_ERROR_IF(k < 1 || k > q->ncols, b->err, PLUCK_E_INVALID_COLUMN_INDEX,
                               b->q->sql, b->q->sql_len, e->pos,
                               "ORDER BY position %s is not in the SELECT list at @POS@.", e->text);
        *out = q->cols[k - 1].expr;
        return PLUCK_OK;
    }
    return bind_expr(b, e, out);
}

/* ---- literal prefilter ------------------------------------------------------------------ */

/* A literal that must appear in the raw text of every record the condition selects:
 * `column = 'lit'` or `column LIKE '%lit%'` (any shape) in the AND-chain of WHERE.  The
 * longest one wins: it is the rarest.  NULL when there is none. */
static const pl_value *required_literal(const pl_node *n)
{
    if (!n)
        return NULL;
    if (n->op == PL_N_AND) {
        const pl_value *a = required_literal(n->args[0]), *b = required_literal(n->args[1]);
        if (!a || (b && b->u.s.len > a->u.s.len))
            return b;
        return a;
    }
    if (n->op == PL_N_CMP_STR && n->sub == PL_CMP_EQ && n->args[0]->op == PL_N_COL)
        return &n->args[1]->k;
    if (n->op == PL_N_LIKE_LIT && !n->negated && n->args[0]->op == PL_N_COL)
        return &n->k;
    return NULL;
}

/* A condition whose evaluation can raise no error: columns and constants compared,
 * matched, tested and combined, nothing cast, computed or called. */
static bool cannot_fail(const pl_node *n)
{
    switch ((pl_node_op)n->op) {
    case PL_N_CONST:
    case PL_N_COL: return true;
    case PL_N_NOT:
    case PL_N_AND:
    case PL_N_OR:
    case PL_N_CMP:
    case PL_N_CMP_STR:
    case PL_N_CMP_NUM:
    case PL_N_LIKE_LIT:
    case PL_N_BETWEEN:
    case PL_N_IN:
    case PL_N_IS:
        for (uint32_t i = 0; i < n->nargs; i++)
            if (n->args[i] && !cannot_fail(n->args[i]))
                return false;
        return true;
    default: return false;
    }
}

/* The prefilter looks for the literal in raw bytes, so it must read there exactly as in the
 * field: no quote or escape character (quoting could change its bytes), no delimiter, and
 * records that are lines (a newline record delimiter, no quoted newlines).  And skipping a
 * line must not skip an error: a line without the literal can still fail in a conjunct
 * evaluated before the literal's, or after it when its column is MISSING (unknown, so AND
 * goes on), so only a WHERE that cannot fail is prefiltered. */
static void choose_prefilter(struct pluck_query *q)
{
    const pl_value *lit = required_literal(q->where);
    const pl_dialect *d = &q->params.in;
    if (!lit || !cannot_fail(q->where) || lit->u.s.len == 0 || d->allow_quoted_record_delim || d->record_delim.len != 1 ||
        d->record_delim.s[0] != '\n')
        return;
    for (uint32_t i = 0; i < lit->u.s.len; i++) {
        int c = (unsigned char)lit->u.s.p[i];
        if (c == d->quote || c == d->escape || c == d->field_delim || c == '\n' || c == '\r')
            return;
    }
    q->prefilter = lit->u.s.p;
    q->prefilter_len = lit->u.s.len;
}

pluck_code pl_bind(struct pluck_query *q, const pl_select *sel, pluck_error *err)
{
    binder bb = {.q = q, .sel = sel, .err = err};
    binder *b = &bb;
    pluck_code rc;

    PL_RETURN_SQL_ERROR_IF(
        sel->distinct && !q->params.extensions, b->err, PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, b->q->sql,
        b->q->sql_len, sel->distinct_pos,
        "Set quantifiers are not supported (SELECT DISTINCT is a pluck extension: "
        "-X) at @POS@.");
    if ((sel->ngroup_by || sel->having || sel->norder_by) && !q->params.extensions) {
        uint32_t pos = sel->ngroup_by ? sel->group_pos : sel->having ? sel->having_pos
                                                                     : sel->order_pos;
        const char *kw = sel->ngroup_by ? "GROUP" : sel->having ? "HAVING" : "ORDER";
        return pl_error_sql(b->err, PLUCK_E_PARSE_EXPECTED_IDENT_FOR_GROUP_NAME, b->q->sql,
                            b->q->sql_len, pos, "%s is not supported at @POS@.", kw);
    }
    PL_RETURN_SQL_ERROR_IF(!is_s3object(sel->table_name), b->err, PLUCK_E_UNSUPPORTED_SQL_STRUCTURE,
                           b->q->sql, b->q->sql_len, sel->table_pos,
                           "Unknown table %s: the only table is S3Object, at @POS@.",
                           sel->table_name ? sel->table_name : "");
    if (sel->select_star && sel->star_qualifier && !qualifier_ok(sel, sel->star_qualifier, false))
        return pl_error_sql(b->err, PLUCK_E_INVALID_TABLE_ALIAS, b->q->sql, b->q->sql_len,
                            sel->star_pos,
                            "Invalid table alias is specified at @POS@. Please check the "
                            "file and try again.");
    q->select_star = sel->select_star;
    if (sel->where && (rc = bind_expr(b, sel->where, &q->where)))
        return rc;
    q->ngroup_by = sel->ngroup_by;
    if (sel->ngroup_by) {
        q->group_by = pl_arena_alloc(&q->arena, sel->ngroup_by * sizeof *q->group_by);
        PL_RETURN_ERROR_IF(!q->group_by, b->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        for (uint32_t i = 0; i < sel->ngroup_by; i++)
            if ((rc = bind_group_item(b, sel->group_by[i], &q->group_by[i])))
                return rc;
    }
    b->agg_ok = true;
    if (!sel->select_star) {
        q->cols = pl_arena_alloc(&q->arena, sel->nitems * sizeof *q->cols);
        PL_RETURN_ERROR_IF(!q->cols, b->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        q->ncols = sel->nitems;
        for (uint32_t i = 0; i < sel->nitems; i++) {
            const pl_select_item *it = &sel->items[i];
            if (!it->expr) /* alias.* beside other items: S3 does not define what it returns */
                return pl_error_sql(
                    b->err, PLUCK_E_PARSE_ASTERISK_IS_NOT_ALONE_IN_SELECT_LIST, b->q->sql,
                    b->q->sql_len, it->pos,
                    "Other expressions are not allowed in the SELECT list when * is "
                    "used, at @POS@.");
            if ((rc = bind_expr(b, it->expr, &q->cols[i].expr)))
                return rc;
            q->cols[i].name = it->alias ? it->alias : column_key(b, it->expr, i);
            q->cols[i].header_key = !it->alias && it->expr->kind == PL_E_COLUMN && it->expr->name;
            PL_RETURN_ERROR_IF(!q->cols[i].name, b->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        }
    }
    /* SELECT DISTINCT over plain expressions is a GROUP BY of the SELECT list; over * or
     * aggregates it removes repeated output rows (run.c, distinct.c) */
    q->distinct = sel->distinct;
    if (sel->distinct && !sel->select_star && !q->naggs && !sel->ngroup_by && !sel->having) {
        q->ngroup_by = sel->nitems;
        q->group_by = pl_arena_alloc(&q->arena, sel->nitems * sizeof *q->group_by);
        PL_RETURN_ERROR_IF(!q->group_by, b->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        b->agg_ok = false;
        for (uint32_t i = 0; i < sel->nitems; i++)
            if ((rc = bind_expr(b, sel->items[i].expr, &q->group_by[i])))
                return rc;
        b->agg_ok = true;
    } else if (sel->distinct) {
        q->distinct_rows = true;
    }
    b->aliases = true;
    if (sel->having && (rc = bind_expr(b, sel->having, &q->having)))
        return rc;
    if (sel->norder_by) {
        q->norder_by = sel->norder_by;
        q->order_by = pl_arena_alloc(&q->arena, sel->norder_by * sizeof *q->order_by);
        q->order_desc = pl_arena_alloc(&q->arena, sel->norder_by);
        q->order_nulls = pl_arena_alloc(&q->arena, sel->norder_by);
        PL_RETURN_ERROR_IF(!q->order_by || !q->order_desc || !q->order_nulls, b->err,
                           PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
        for (uint32_t i = 0; i < sel->norder_by; i++) {
            q->order_desc[i] = sel->order_by[i].desc;
            q->order_nulls[i] = sel->order_by[i].nulls;
            if ((rc = bind_order_item(b, sel->order_by[i].expr, &q->order_by[i])))
                return rc;
        }
    }
    b->agg_ok = false;
    b->aliases = false;
    q->is_aggregate = q->naggs > 0 || q->ngroup_by > 0 || q->having;
    if (q->is_aggregate) {
        PL_RETURN_SQL_ERROR_IF(q->select_star, b->err, PLUCK_E_UNSUPPORTED_SQL_STRUCTURE, b->q->sql,
                               b->q->sql_len, sel->star_pos,
                               "SELECT * cannot be used with GROUP BY or HAVING at @POS@.");
        for (uint32_t i = 0; i < q->ncols; i++)
            if ((rc = check_grouped(b, &q->cols[i].expr)))
                return rc;
        if ((rc = check_grouped(b, &q->having)))
            return rc;
        for (uint32_t i = 0; i < q->norder_by; i++) {
            if (q->distinct && !q->distinct_rows) {
                const pl_node *c;
                if ((rc = rewrite_keys(b, &q->order_by[i])))
                    return rc;
                PL_RETURN_SQL_ERROR_IF(
                    (c = find_column(q->order_by[i])), b->err, PLUCK_E_UNSUPPORTED_SQL_STRUCTURE,
                    b->q->sql, b->q->sql_len, c->pos,
                    "With SELECT DISTINCT, ORDER BY may only use what the SELECT "
                    "list shows; the column at @POS@ is not in it.");
            }
            if ((rc = check_grouped(b, &q->order_by[i])))
                return rc;
        }
    }
    choose_prefilter(q);
    if (sel->has_limit) {
        PL_RETURN_SQL_ERROR_IF(sel->limit < 0, b->err, PLUCK_E_EVALUATOR_NEGATIVE_LIMIT, b->q->sql,
                               b->q->sql_len, sel->limit_pos,
                               "LIMIT must not be negative at @POS@.");
        q->has_limit = true;
        q->limit = (uint64_t)sel->limit;
    }
    return PLUCK_OK;
}
