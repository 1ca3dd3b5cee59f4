/*
 * parse.c — recursive-descent parser from tokens (tokenize.c) to the tree of ast.h.
 *
 * Binary operators are parsed by precedence climbing, so one nesting level of the SQL costs
 * a handful of C frames whatever the number of precedence levels.  Recursion is counted and
 * capped at PL_MAX_DEPTH; left-associative chains (a+b+c...) do not recurse while parsing
 * but still build deep trees, so the finished trees are measured too: later passes may
 * then recurse over them freely.
 *
 * Error codes and messages imitate S3 Select's: the offending token is named by its class
 * and text ("KEYWORD:'from'", "OPERATOR:'%'", "EOF") and every message ends with its
 * position.  Where S3's choice is unknown the closest code of its published list is used.
 */
#include "sql/ast.h"
#include "sql/tokenize.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Binding strength of the binary levels, weakest first (§3.5 of the S3 notes). */
enum {
    PREC_NONE = 0,
    PREC_OR,
    PREC_AND,
    PREC_NOT, /* prefix NOT: below the comparisons, so NOT a = b is NOT (a = b) */
    PREC_CMP, /* = <> != < <= > >= [NOT] BETWEEN/IN/LIKE, IS: non-associative */
    PREC_CONCAT,
    PREC_ADD,
    PREC_MUL
};

typedef struct parser {
    const char *sql;
    size_t len;
    pl_arena *arena;
    pluck_error *err;
    const pl_token *tok; /* ends with PL_TK_EOF */
    uint32_t ntok, i;
    int depth;
    pluck_code rc; /* the first error; later failures only unwind */
} parser;

typedef struct expr_vec {
    pl_expr **v;
    uint32_t n, cap;
} expr_vec;

static pl_expr *parse_expr(parser *p);
static pl_expr *parse_bin(parser *p, int min_prec);
static pl_expr *parse_operand(parser *p);

int pl_is_reserved_word(const char *word, size_t len)
{
    return pl_keyword_lookup(word, len) != PL_KW_NONE;
}

/* ---- tokens ---------------------------------------------------------------------------- */

static const pl_token *cur(const parser *p) { return &p->tok[p->i]; }

static const pl_token *peek(const parser *p, uint32_t k)
{
    uint32_t j = p->i + k;
    return &p->tok[j < p->ntok ? j : p->ntok - 1];
}

static void advance(parser *p)
{
    if (p->i + 1 < p->ntok)
        p->i++;
}

static bool is_kw(const pl_token *t, pl_keyword kw)
{
    return t->type == PL_TK_KEYWORD && t->kw == kw;
}

static bool accept_kw(parser *p, pl_keyword kw)
{
    if (!is_kw(cur(p), kw))
        return false;
    advance(p);
    return true;
}

static bool accept(parser *p, pl_tok_type type)
{
    if (cur(p)->type != type)
        return false;
    advance(p);
    return true;
}

static bool is_name(const pl_token *t)
{
    return t->type == PL_TK_IDENT || t->type == PL_TK_QIDENT;
}

static bool is_operator(pl_tok_type t)
{
    switch (t) {
    case PL_TK_PLUS: case PL_TK_MINUS: case PL_TK_STAR: case PL_TK_SLASH: case PL_TK_PERCENT:
    case PL_TK_CONCAT: case PL_TK_EQ: case PL_TK_NE: case PL_TK_LT: case PL_TK_LE: case PL_TK_GT:
    case PL_TK_GE:
        return true;
    default:
        return false;
    }
}

/* S3's names for token classes, as they appear in its messages. */
static const char *tok_class(const pl_token *t)
{
    switch (t->type) {
    case PL_TK_EOF: return "EOF";
    case PL_TK_IDENT: return "IDENTIFIER";
    case PL_TK_QIDENT: return "QUOTED_IDENTIFIER";
    case PL_TK_KEYWORD: return "KEYWORD";
    case PL_TK_INT: case PL_TK_DECIMAL: case PL_TK_FLOAT: case PL_TK_STRING: case PL_TK_ION:
        return "LITERAL";
    case PL_TK_LPAREN: return "LEFT_PAREN";
    case PL_TK_RPAREN: return "RIGHT_PAREN";
    case PL_TK_COMMA: return "COMMA";
    case PL_TK_DOT: return "DOT";
    case PL_TK_SEMI: return "SEMICOLON";
    case PL_TK_LBRACKET: return "LEFT_BRACKET";
    case PL_TK_RBRACKET: return "RIGHT_BRACKET";
    default: return "OPERATOR";
    }
}

/* "KEYWORD:'from'", "LITERAL:'abc'", "EOF": the token as S3 names it in messages. */
static void describe(const parser *p, const pl_token *t, char *buf, size_t cap)
{
    if (t->type == PL_TK_EOF) {
        snprintf(buf, cap, "EOF");
        return;
    }
    char text[64];
    if (t->type == PL_TK_KEYWORD) {
        snprintf(text, sizeof text, "%s", pl_keyword_name(t->kw));
    } else {
        const char *s = p->sql + t->pos;
        size_t n = t->len;
        if (t->type == PL_TK_STRING || t->type == PL_TK_QIDENT || t->type == PL_TK_ION)
            s++, n -= 2; /* the quotes are not part of the value */
        pl_sql_excerpt(text, sizeof text, s, n);
    }
    snprintf(buf, cap, "%s:'%s'", tok_class(t), text);
}

/* Upper-case copy of a keyword or function name, for messages ("COUNT", "INT"). */
static const char *upper(char *buf, size_t cap, const char *s)
{
    size_t n = 0;
    for (; s[n] && n + 1 < cap; n++)
        buf[n] = s[n] >= 'a' && s[n] <= 'z' ? (char)(s[n] - 'a' + 'A') : s[n];
    buf[n] = '\0';
    return buf;
}

/* ---- errors ------------------------------------------------------------------------------ */

/* The parser's functions return nodes, NULL on an error, so they cannot use
 * PL_RETURN_SQL_ERROR_IF: fail_at() records the first error (pl_error_sql's message and
 * position) in p->rc and returns NULL for `return fail_at(...)`; later ones are dropped. */
static void *fail_at(parser *p, pluck_code code, uint32_t pos, const char *fmt, ...)
    PL_PRINTF(4, 5);

static void *fail_at(parser *p, pluck_code code, uint32_t pos, const char *fmt, ...)
{
    if (p->rc != PLUCK_OK)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    p->rc = pl_error_vsql(p->err, code, p->sql, p->len, pos, fmt, ap);
    va_end(ap);
    return NULL;
}

/* Fail at token t with a message "<prefix><t described> ". */
static void *fail_tok(parser *p, pluck_code code, const pl_token *t, const char *prefix)
{
    char d[96];
    describe(p, t, d, sizeof d);
    return fail_at(p, code, t->pos, "%s%s ", prefix, d);
}

static void *oom(parser *p)
{
    if (p->rc == PLUCK_OK)
        p->rc = pl_error_fail(p->err, PLUCK_E_OUT_OF_MEMORY, "Out of memory.");
    return NULL;
}

/* The token cannot start or continue an expression here. */
static void *unexpected_term(parser *p, const pl_token *t)
{
    if (t->type == PL_TK_KEYWORD)
        return fail_tok(p, PLUCK_E_PARSE_UNEXPECTED_KEYWORD, t, "Unexpected keyword found ");
    if (is_operator(t->type))
        return fail_tok(p, PLUCK_E_PARSE_UNEXPECTED_OPERATOR, t, "Unexpected operator ");
    switch (t->type) {
    case PL_TK_EOF: case PL_TK_RPAREN: case PL_TK_COMMA: case PL_TK_SEMI: case PL_TK_RBRACKET:
        return fail_tok(p, PLUCK_E_PARSE_EXPECTED_EXPRESSION, t, "Expected expression, found ");
    default:
        return fail_tok(p, PLUCK_E_PARSE_UNEXPECTED_TOKEN, t, "Unexpected token found ");
    }
}

static bool expect_kw(parser *p, pl_keyword kw, const char *upper)
{
    if (accept_kw(p, kw))
        return true;
    char prefix[48];
    snprintf(prefix, sizeof prefix, "Expected keyword %s, found ", upper);
    fail_tok(p, PLUCK_E_PARSE_EXPECTED_KEYWORD, cur(p), prefix);
    return false;
}

static bool expect_rparen(parser *p)
{
    if (accept(p, PL_TK_RPAREN))
        return true;
    fail_tok(p, PLUCK_E_PARSE_EXPECTED_RIGHT_PAREN_BUILTIN_FUNCTION_CALL, cur(p),
             "Expected right parenthesis, found ");
    return false;
}

static bool expect_comma(parser *p)
{
    if (accept(p, PL_TK_COMMA))
        return true;
    fail_tok(p, PLUCK_E_PARSE_EXPECTED_ARGUMENT_DELIMITER, cur(p),
             "Expected argument delimiter COMMA, found ");
    return false;
}

static bool enter(parser *p)
{
    if (p->depth >= PL_MAX_DEPTH) {
        fail_at(p, PLUCK_E_MAX_OPERATORS_EXCEEDED, cur(p)->pos,
                "Expressions are nested deeper than %d levels ", PL_MAX_DEPTH);
        return false;
    }
    p->depth++;
    return true;
}

static void leave(parser *p) { p->depth--; }

/* ---- tree building ----------------------------------------------------------------------- */

static pl_expr *new_expr(parser *p, pl_expr_kind kind, uint32_t pos)
{
    pl_expr *e = pl_arena_alloc(p->arena, sizeof *e);
    if (!e)
        return oom(p);
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->pos = pos;
    e->type_p = e->type_s = -1;
    return e;
}

static bool set_args(parser *p, pl_expr *e, pl_expr *a, pl_expr *b, pl_expr *c, uint32_t n)
{
    e->args = pl_arena_alloc(p->arena, n * sizeof *e->args);
    if (!e->args) {
        oom(p);
        return false;
    }
    pl_expr *all[3] = {a, b, c};
    for (uint32_t k = 0; k < n; k++)
        e->args[k] = all[k];
    e->nargs = n;
    return true;
}

static pl_expr *node(parser *p, pl_expr_kind kind, int op, uint32_t pos, pl_expr *a, pl_expr *b)
{
    pl_expr *e = new_expr(p, kind, pos);
    if (!e || !set_args(p, e, a, b, NULL, b ? 2 : 1))
        return NULL;
    e->op = op;
    return e;
}

static bool vec_push(parser *p, expr_vec *v, pl_expr *e)
{
    if (v->n == v->cap) {
        /* The arena cannot grow in place; doubling keeps the waste under 2x. */
        uint32_t cap = v->cap ? v->cap * 2 : 4;
        pl_expr **nv = pl_arena_alloc(p->arena, cap * sizeof *nv);
        if (!nv) {
            oom(p);
            return false;
        }
        if (v->n)
            memcpy(nv, v->v, v->n * sizeof *nv);
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = e;
    return true;
}

static char *token_value(parser *p, const pl_token *t, uint32_t *len)
{
    char *s = pl_token_value(p->arena, p->sql, t, len);
    if (!s)
        oom(p);
    return s;
}

static char *lower_name(parser *p, const pl_token *t)
{
    char *s = token_value(p, t, NULL);
    if (s)
        for (char *c = s; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
    return s;
}

/* Decimal digits of an INT token; saturates, since a bigger value means "no limit" anyway
 * for LIMIT and is rejected by callers that care. */
static uint64_t int_value(const parser *p, const pl_token *t)
{
    uint64_t v = 0;
    for (uint32_t k = 0; k < t->len; k++) {
        unsigned d = (unsigned)(p->sql[t->pos + k] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return UINT64_MAX;
        v = v * 10 + d;
    }
    return v;
}

/* ---- primaries --------------------------------------------------------------------------- */

static pl_expr *parse_literal(parser *p)
{
    const pl_token *t = cur(p);
    pl_expr *e = new_expr(p, PL_E_LITERAL, t->pos);
    if (!e)
        return NULL;
    switch (t->type) {
    case PL_TK_INT: e->lit_kind = PL_LIT_INT; break;
    case PL_TK_DECIMAL: e->lit_kind = PL_LIT_DECIMAL; break;
    case PL_TK_FLOAT: e->lit_kind = PL_LIT_FLOAT; break;
    case PL_TK_STRING: e->lit_kind = PL_LIT_STRING; break;
    case PL_TK_ION: e->lit_kind = PL_LIT_ION; break;
    default:
        switch (t->kw) {
        case PL_KW_TRUE: e->lit_kind = PL_LIT_TRUE; break;
        case PL_KW_FALSE: e->lit_kind = PL_LIT_FALSE; break;
        case PL_KW_MISSING: e->lit_kind = PL_LIT_MISSING; break;
        default: e->lit_kind = PL_LIT_NULL; break;
        }
        advance(p);
        return e;
    }
    e->text = token_value(p, t, &e->text_len);
    if (!e->text)
        return NULL;
    advance(p);
    return e;
}

/* _1, _2, ...: positional only when nothing but digits follows the underscore. */
static bool positional_index(const parser *p, const pl_token *t, uint32_t *index)
{
    const char *s = p->sql + t->pos;
    if (t->type != PL_TK_IDENT || t->len < 2 || s[0] != '_')
        return false;
    uint64_t v = 0;
    for (uint32_t k = 1; k < t->len; k++) {
        if (s[k] < '0' || s[k] > '9')
            return false;
        if (v < UINT32_MAX) /* saturate: any huge index is past the end of every row */
            v = v * 10 + (uint64_t)(s[k] - '0');
    }
    *index = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    return true;
}

/* name | "Name" | _N, each optionally after qualifier "." */
static pl_expr *parse_column(parser *p)
{
    const pl_token *t = cur(p);
    pl_expr *e = new_expr(p, PL_E_COLUMN, t->pos);
    if (!e)
        return NULL;
    if (peek(p, 1)->type == PL_TK_DOT) {
        e->qualifier = token_value(p, t, NULL);
        if (!e->qualifier)
            return NULL;
        e->qualifier_quoted = t->type == PL_TK_QIDENT;
        e->qualifier_pos = t->pos;
        advance(p);
        advance(p);
        t = cur(p);
        if (t->type == PL_TK_STAR)
            return fail_at(p, PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, t->pos,
                           "alias.* is only allowed as an item of the SELECT list ");
        if (!is_name(t))
            return fail_at(p, PLUCK_E_PARSE_INVALID_PATH_COMPONENT, t->pos,
                           "Invalid Path component, expecting either an IDENTIFIER or STAR, "
                           "got: %s,",
                           tok_class(t));
    }
    if (!positional_index(p, t, &e->index)) {
        e->name = token_value(p, t, NULL);
        if (!e->name)
            return NULL;
        e->name_quoted = t->type == PL_TK_QIDENT;
    }
    advance(p);
    t = cur(p);
    if (t->type == PL_TK_DOT || t->type == PL_TK_LBRACKET)
        return fail_tok(p, PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, t,
                        "Paths into a CSV field are not supported, found ");
    return e;
}

static bool is_aggregate(pl_keyword kw)
{
    return kw == PL_KW_COUNT || kw == PL_KW_SUM || kw == PL_KW_AVG || kw == PL_KW_MIN ||
           kw == PL_KW_MAX;
}

/* Reserved words that name functions S3 Select supports; they are called like any name. */
static bool is_callable_keyword(pl_keyword kw)
{
    switch (kw) {
    case PL_KW_COUNT: case PL_KW_SUM: case PL_KW_AVG: case PL_KW_MIN: case PL_KW_MAX:
    case PL_KW_COALESCE: case PL_KW_NULLIF: case PL_KW_CHAR_LENGTH: case PL_KW_CHARACTER_LENGTH:
    case PL_KW_LOWER: case PL_KW_UPPER: case PL_KW_SUBSTRING: case PL_KW_TRIM: case PL_KW_EXTRACT:
    case PL_KW_POSITION: /* a pluck extension: the binder refuses it without -X */
        return true;
    default:
        return false;
    }
}

static pl_datepart datepart_of(const pl_token *t, bool with_timezone)
{
    if (t->type != PL_TK_KEYWORD)
        return PL_DP_NONE;
    switch (t->kw) {
    case PL_KW_YEAR: return PL_DP_YEAR;
    case PL_KW_MONTH: return PL_DP_MONTH;
    case PL_KW_DAY: return PL_DP_DAY;
    case PL_KW_HOUR: return PL_DP_HOUR;
    case PL_KW_MINUTE: return PL_DP_MINUTE;
    case PL_KW_SECOND: return PL_DP_SECOND;
    case PL_KW_TIMEZONE_HOUR: return with_timezone ? PL_DP_TIMEZONE_HOUR : PL_DP_NONE;
    case PL_KW_TIMEZONE_MINUTE: return with_timezone ? PL_DP_TIMEZONE_MINUTE : PL_DP_NONE;
    default: return PL_DP_NONE;
    }
}

static bool parse_datepart(parser *p, pl_expr *e, bool with_timezone)
{
    e->op = PL_FORM_DATEPART;
    e->datepart = datepart_of(cur(p), with_timezone);
    if (e->datepart == PL_DP_NONE) {
        fail_tok(p, PLUCK_E_PARSE_EXPECTED_DATE_PART, cur(p), "Expected date part, found ");
        return false;
    }
    advance(p);
    return true;
}

/* SUBSTRING(s FROM a [FOR b]) | SUBSTRING(s, a [, b]) */
static bool parse_substring(parser *p, expr_vec *args)
{
    pl_expr *s = parse_expr(p);
    if (!s || !vec_push(p, args, s))
        return false;
    pl_keyword more;
    if (accept_kw(p, PL_KW_FROM)) {
        more = PL_KW_FOR;
    } else if (accept(p, PL_TK_COMMA)) {
        more = PL_KW_NONE;
    } else {
        fail_tok(p, PLUCK_E_PARSE_EXPECTED_ARGUMENT_DELIMITER, cur(p),
                 "Expected argument delimiter COMMA or keyword FROM, found ");
        return false;
    }
    pl_expr *a = parse_expr(p);
    if (!a || !vec_push(p, args, a))
        return false;
    if (more == PL_KW_FOR ? accept_kw(p, PL_KW_FOR) : accept(p, PL_TK_COMMA)) {
        pl_expr *b = parse_expr(p);
        if (!b || !vec_push(p, args, b))
            return false;
    }
    return expect_rparen(p);
}

/* TRIM([[LEADING|TRAILING|BOTH] [chars] FROM] s): args = s [, chars] */
static bool parse_trim(parser *p, pl_expr *e, expr_vec *args)
{
    pl_expr *s = NULL, *chars = NULL;
    e->op = PL_FORM_TRIM_BOTH;
    const pl_token *t = cur(p);
    bool spec = true;
    if (is_kw(t, PL_KW_LEADING))
        e->op = PL_FORM_TRIM_LEADING;
    else if (is_kw(t, PL_KW_TRAILING))
        e->op = PL_FORM_TRIM_TRAILING;
    else if (!is_kw(t, PL_KW_BOTH))
        spec = false;
    if (spec)
        advance(p);
    if (accept_kw(p, PL_KW_FROM)) {
        s = parse_expr(p);
    } else {
        pl_expr *first = parse_expr(p);
        if (!first)
            return false;
        if (accept_kw(p, PL_KW_FROM)) {
            chars = first;
            s = parse_expr(p);
        } else if (spec) {
            expect_kw(p, PL_KW_FROM, "FROM");
            return false;
        } else {
            s = first;
        }
    }
    if (!s || !vec_push(p, args, s) || (chars && !vec_push(p, args, chars)))
        return false;
    return expect_rparen(p);
}

/* name(args): the current token is the name, the next one '('. */
static pl_expr *parse_call(parser *p)
{
    const pl_token *name = cur(p);
    pl_keyword kw = name->type == PL_TK_KEYWORD ? name->kw : PL_KW_NONE;
    pl_expr *e = new_expr(p, PL_E_CALL, name->pos);
    if (!e || !(e->func = lower_name(p, name)))
        return NULL;
    advance(p);
    advance(p);
    expr_vec args = {0};
    bool ok;
    if (kw == PL_KW_SUBSTRING) {
        ok = parse_substring(p, &args);
    } else if (kw == PL_KW_TRIM) {
        ok = parse_trim(p, e, &args);
    } else if (kw == PL_KW_POSITION) {
        /* POSITION(sub IN s): the operands bind tighter than IN; passed as (s, sub) */
        pl_expr *sub, *s;
        ok = (sub = parse_operand(p)) && expect_kw(p, PL_KW_IN, "IN") && (s = parse_expr(p)) &&
             vec_push(p, &args, s) && vec_push(p, &args, sub) && expect_rparen(p);
    } else if (kw == PL_KW_EXTRACT) {
        pl_expr *ts;
        ok = parse_datepart(p, e, true) && expect_kw(p, PL_KW_FROM, "FROM") &&
             (ts = parse_expr(p)) && vec_push(p, &args, ts) && expect_rparen(p);
    } else if (kw == PL_KW_NONE &&
               (strcmp(e->func, "date_add") == 0 || strcmp(e->func, "date_diff") == 0)) {
        pl_expr *a, *b;
        ok = parse_datepart(p, e, false) && expect_comma(p) && (a = parse_expr(p)) &&
             vec_push(p, &args, a) && expect_comma(p) && (b = parse_expr(p)) &&
             vec_push(p, &args, b) && expect_rparen(p);
    } else {
        ok = true;
        uint32_t nstar = 0;
        if (!accept(p, PL_TK_RPAREN)) {
            for (;;) {
                const pl_token *t = cur(p);
                pl_tok_type next = peek(p, 1)->type;
                if (t->type == PL_TK_STAR && (next == PL_TK_RPAREN || next == PL_TK_COMMA)) {
                    char fn[48];
                    if (kw != PL_KW_COUNT)
                        return fail_at(p, PLUCK_E_PARSE_UNSUPPORTED_CALL_WITH_STAR, t->pos,
                                       "Function %s does not accept * as an argument; only "
                                       "COUNT(*) does ",
                                       upper(fn, sizeof fn, e->func));
                    e->star = true;
                    nstar++;
                    advance(p);
                } else if (is_kw(t, PL_KW_DISTINCT) && is_aggregate(kw) && args.n == 0 &&
                           !e->distinct && next != PL_TK_STAR) {
                    /* COUNT(DISTINCT x): an extension, the binder refuses it without -X */
                    e->distinct = true;
                    e->distinct_pos = t->pos;
                    advance(p);
                    continue;
                } else if (is_kw(t, PL_KW_DISTINCT) || is_kw(t, PL_KW_ALL)) {
                    return fail_tok(p, PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, t,
                                    "Set quantifiers in function calls are not supported, found ");
                } else {
                    pl_expr *a = parse_expr(p);
                    if (!a || !vec_push(p, &args, a))
                        return NULL;
                }
                if (accept(p, PL_TK_COMMA))
                    continue;
                if (!expect_rparen(p))
                    return NULL;
                break;
            }
        }
        char fn[8];
        if (is_aggregate(kw) && args.n + nstar != 1)
            return fail_at(p, PLUCK_E_PARSE_NON_UNARY_AGREGATE_FUNCTION_CALL, name->pos,
                           "Aggregate function %s takes exactly one argument, found %u ",
                           upper(fn, sizeof fn, e->func), (unsigned)(args.n + nstar));
    }
    if (!ok)
        return NULL;
    e->args = args.v;
    e->nargs = args.n;
    return e;
}

static bool parse_type_param(parser *p, int *out)
{
    const pl_token *t = cur(p);
    uint64_t v;
    if (t->type != PL_TK_INT || (v = int_value(p, t)) > 1000) {
        fail_tok(p, PLUCK_E_PARSE_INVALID_TYPE_PARAM, t,
                 "Expected an integer from 0 to 1000 as type parameter, found ");
        return false;
    }
    *out = (int)v;
    advance(p);
    return true;
}

/* CAST(expr AS type) with DECIMAL/NUMERIC taking an optional (precision[, scale]). */
static pl_expr *parse_cast(parser *p)
{
    const pl_token *cast = cur(p);
    advance(p);
    if (!accept(p, PL_TK_LPAREN))
        return fail_tok(p, PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_AFTER_CAST, cur(p),
                        "Expected left parenthesis after CAST, found ");
    pl_expr *arg = parse_expr(p);
    if (!arg)
        return NULL;
    const pl_token *t = cur(p);
    if (t->type == PL_TK_COMMA || t->type == PL_TK_RPAREN)
        return fail_tok(p, PLUCK_E_PARSE_CAST_ARITY, t,
                        "CAST takes one expression, AS and a type name, found ");
    if (!expect_kw(p, PL_KW_AS, "AS"))
        return NULL;
    pl_expr *e = node(p, PL_E_CAST, 0, cast->pos, arg, NULL);
    if (!e)
        return NULL;
    t = cur(p);
    int type = -1;
    if (t->type == PL_TK_KEYWORD) {
        switch (t->kw) {
        case PL_KW_BOOL: case PL_KW_BOOLEAN: type = PL_T_BOOL; break;
        case PL_KW_INT: case PL_KW_INTEGER: type = PL_T_INT; break;
        case PL_KW_FLOAT: type = PL_T_FLOAT; break;
        case PL_KW_DECIMAL: case PL_KW_NUMERIC: type = PL_T_DECIMAL; break;
        case PL_KW_STRING: type = PL_T_STRING; break;
        case PL_KW_TIMESTAMP: type = PL_T_TIMESTAMP; break;
        default: break;
        }
    }
    if (type < 0)
        return fail_tok(p, PLUCK_E_PARSE_EXPECTED_TYPE_NAME, t, "Expected type name, found ");
    e->cast_type = (pl_cast_type)type;
    advance(p);
    if (cur(p)->type == PL_TK_LPAREN) {
        char name[24];
        if (type != PL_T_DECIMAL)
            return fail_at(p, PLUCK_E_PARSE_INVALID_TYPE_PARAM, cur(p)->pos,
                           "Type %s takes no parameters ",
                           upper(name, sizeof name, pl_keyword_name(t->kw)));
        advance(p);
        if (!parse_type_param(p, &e->type_p))
            return NULL;
        if (accept(p, PL_TK_COMMA) && !parse_type_param(p, &e->type_s))
            return NULL;
        if (!accept(p, PL_TK_RPAREN))
            return fail_tok(p, PLUCK_E_PARSE_INVALID_TYPE_PARAM, cur(p),
                            "Expected right parenthesis after the type parameters, found ");
    }
    return expect_rparen(p) ? e : NULL;
}

/* CASE [operand] WHEN ... THEN ... [ELSE ...] END: args = operand|NULL, pairs, [else] */
static pl_expr *parse_case(parser *p)
{
    const pl_token *t = cur(p);
    pl_expr *e = new_expr(p, PL_E_CASE, t->pos);
    if (!e)
        return NULL;
    advance(p);
    expr_vec args = {0};
    pl_expr *operand = NULL;
    t = cur(p);
    if (!is_kw(t, PL_KW_WHEN) && !is_kw(t, PL_KW_ELSE) && !is_kw(t, PL_KW_END) &&
        !is_kw(t, PL_KW_THEN) && !(operand = parse_expr(p)))
        return NULL;
    if (!is_kw(cur(p), PL_KW_WHEN))
        return fail_tok(p, PLUCK_E_PARSE_EXPECTED_WHEN_CLAUSE, cur(p),
                        "Expected WHEN clause in CASE, found ");
    if (!vec_push(p, &args, operand))
        return NULL;
    while (accept_kw(p, PL_KW_WHEN)) {
        pl_expr *w = parse_expr(p);
        if (!w || !vec_push(p, &args, w) || !expect_kw(p, PL_KW_THEN, "THEN"))
            return NULL;
        pl_expr *r = parse_expr(p);
        if (!r || !vec_push(p, &args, r))
            return NULL;
    }
    if (accept_kw(p, PL_KW_ELSE)) {
        pl_expr *r = parse_expr(p);
        if (!r || !vec_push(p, &args, r))
            return NULL;
        e->has_else = true;
    }
    if (!expect_kw(p, PL_KW_END, "END"))
        return NULL;
    e->args = args.v;
    e->nargs = args.n;
    return e;
}

static pl_expr *parse_primary(parser *p)
{
    const pl_token *t = cur(p);
    switch (t->type) {
    case PL_TK_INT: case PL_TK_DECIMAL: case PL_TK_FLOAT: case PL_TK_STRING: case PL_TK_ION:
        return parse_literal(p);
    case PL_TK_IDENT:
        if (peek(p, 1)->type == PL_TK_LPAREN)
            return parse_call(p);
        return parse_column(p);
    case PL_TK_QIDENT:
        return parse_column(p);
    case PL_TK_LPAREN: {
        advance(p);
        pl_expr *e = parse_expr(p);
        if (e && !accept(p, PL_TK_RPAREN))
            return fail_tok(p, PLUCK_E_PARSE_EXPECTED_TOKEN_TYPE, cur(p),
                            "Expected RIGHT_PAREN, found ");
        return e;
    }
    case PL_TK_KEYWORD:
        switch (t->kw) {
        case PL_KW_TRUE: case PL_KW_FALSE: case PL_KW_NULL: case PL_KW_MISSING:
            return parse_literal(p);
        case PL_KW_CASE:
            return parse_case(p);
        case PL_KW_CAST:
            return parse_cast(p);
        default:
            break;
        }
        if (is_callable_keyword(t->kw)) {
            if (peek(p, 1)->type == PL_TK_LPAREN)
                return parse_call(p);
            char prefix[64], name[24];
            snprintf(prefix, sizeof prefix, "Expected left parenthesis after %s, found ",
                     upper(name, sizeof name, pl_keyword_name(t->kw)));
            return fail_tok(p, PLUCK_E_PARSE_EXPECTED_LEFT_PAREN_BUILTIN_FUNCTION_CALL,
                            peek(p, 1), prefix);
        }
        return unexpected_term(p, t);
    default:
        return unexpected_term(p, t);
    }
}

/* Prefix - and +; + only checks that a term follows. */
static pl_expr *parse_unary(parser *p)
{
    const pl_token *t = cur(p);
    if (t->type != PL_TK_MINUS && t->type != PL_TK_PLUS)
        return parse_primary(p);
    advance(p);
    if (!enter(p))
        return NULL;
    pl_expr *arg = parse_unary(p);
    leave(p);
    if (!arg || t->type == PL_TK_PLUS)
        return arg;
    return node(p, PL_E_NEG, 0, t->pos, arg, NULL);
}

/* ---- binary operators -------------------------------------------------------------------- */

static int infix_prec(const pl_token *t)
{
    switch (t->type) {
    case PL_TK_KEYWORD:
        switch (t->kw) {
        case PL_KW_OR: return PREC_OR;
        case PL_KW_AND: return PREC_AND;
        case PL_KW_NOT: case PL_KW_BETWEEN: case PL_KW_IN: case PL_KW_LIKE: case PL_KW_IS:
            return PREC_CMP;
        default: return PREC_NONE;
        }
    case PL_TK_EQ: case PL_TK_NE: case PL_TK_LT: case PL_TK_LE: case PL_TK_GT: case PL_TK_GE:
        return PREC_CMP;
    case PL_TK_CONCAT: return PREC_CONCAT;
    case PL_TK_PLUS: case PL_TK_MINUS: return PREC_ADD;
    case PL_TK_STAR: case PL_TK_SLASH: case PL_TK_PERCENT: return PREC_MUL;
    default: return PREC_NONE;
    }
}

/* The operands of comparison-level operators bind tighter than any comparison. */
static pl_expr *parse_operand(parser *p) { return parse_bin(p, PREC_CONCAT); }

/* IN (a, b, ...) or IN [a, b, ...] */
static pl_expr *parse_in_list(parser *p, pl_expr *e)
{
    pl_tok_type close;
    if (accept(p, PL_TK_LPAREN))
        close = PL_TK_RPAREN;
    else if (accept(p, PL_TK_LBRACKET))
        close = PL_TK_RBRACKET;
    else
        return fail_tok(p, PLUCK_E_PARSE_EXPECTED_TOKEN_TYPE, cur(p),
                        "Expected LEFT_PAREN after IN, found ");
    expr_vec list = {0};
    if (!vec_push(p, &list, e->args[0]))
        return NULL;
    do {
        pl_expr *x = parse_expr(p);
        if (!x || !vec_push(p, &list, x))
            return NULL;
    } while (accept(p, PL_TK_COMMA));
    if (!accept(p, close))
        return fail_tok(p, PLUCK_E_PARSE_EXPECTED_TOKEN_TYPE, cur(p),
                        close == PL_TK_RPAREN ? "Expected RIGHT_PAREN, found "
                                              : "Expected RIGHT_BRACKET, found ");
    e->args = list.v;
    e->nargs = list.n;
    return e;
}

/* left op right, left [NOT] BETWEEN/IN/LIKE ..., left IS [NOT] NULL|MISSING */
static pl_expr *parse_comparison(parser *p, pl_expr *left)
{
    const pl_token *t = cur(p);
    bool negated = false;
    if (is_kw(t, PL_KW_NOT)) {
        const pl_token *n = peek(p, 1);
        if (!is_kw(n, PL_KW_BETWEEN) && !is_kw(n, PL_KW_IN) && !is_kw(n, PL_KW_LIKE))
            return fail_tok(p, PLUCK_E_PARSE_EXPECTED_KEYWORD, n,
                            "Expected keyword BETWEEN, IN or LIKE after NOT, found ");
        negated = true;
        advance(p);
        t = cur(p);
    }
    advance(p);
    pl_expr *e = NULL, *a, *b;
    switch (t->type) {
    case PL_TK_EQ: case PL_TK_NE: case PL_TK_LT: case PL_TK_LE: case PL_TK_GT: case PL_TK_GE: {
        static const pl_cmp_op ops[] = {
            [PL_TK_EQ] = PL_CMP_EQ, [PL_TK_NE] = PL_CMP_NE, [PL_TK_LT] = PL_CMP_LT,
            [PL_TK_LE] = PL_CMP_LE, [PL_TK_GT] = PL_CMP_GT, [PL_TK_GE] = PL_CMP_GE,
        };
        if (!(a = parse_operand(p)))
            return NULL;
        return node(p, PL_E_CMP, (int)ops[t->type], left->pos, left, a);
    }
    default:
        break;
    }
    switch (t->kw) {
    case PL_KW_BETWEEN:
        if (!(a = parse_operand(p)) || !expect_kw(p, PL_KW_AND, "AND") ||
            !(b = parse_operand(p)))
            return NULL;
        if ((e = new_expr(p, PL_E_BETWEEN, left->pos)) && !set_args(p, e, left, a, b, 3))
            return NULL;
        break;
    case PL_KW_IN:
        if ((e = node(p, PL_E_IN, 0, left->pos, left, NULL)))
            e = parse_in_list(p, e);
        break;
    case PL_KW_LIKE:
        if (!(a = parse_operand(p)))
            return NULL;
        b = NULL;
        if (accept_kw(p, PL_KW_ESCAPE) && !(b = parse_operand(p)))
            return NULL;
        if ((e = new_expr(p, PL_E_LIKE, left->pos)) && !set_args(p, e, left, a, b, b ? 3 : 2))
            return NULL;
        break;
    default: { /* IS */
        negated = accept_kw(p, PL_KW_NOT);
        int what = is_kw(cur(p), PL_KW_NULL)      ? PL_IS_NULL
                   : is_kw(cur(p), PL_KW_MISSING) ? PL_IS_MISSING
                                                  : 0;
        if (!what)
            return fail_tok(p, PLUCK_E_PARSE_EXPECTED_KEYWORD, cur(p),
                            "Expected keyword NULL or MISSING after IS, found ");
        advance(p);
        e = node(p, PL_E_IS, what, left->pos, left, NULL);
        break;
    }
    }
    if (e)
        e->negated = negated;
    return e;
}

static pl_expr *parse_bin(parser *p, int min_prec)
{
    if (!enter(p))
        return NULL;
    pl_expr *left;
    const pl_token *t = cur(p);
    if (min_prec <= PREC_NOT && is_kw(t, PL_KW_NOT)) {
        advance(p);
        left = parse_bin(p, PREC_NOT);
        if (left)
            left = node(p, PL_E_NOT, 0, t->pos, left, NULL);
    } else {
        left = parse_unary(p);
    }
    while (left) {
        t = cur(p);
        int prec = infix_prec(t);
        if (prec == PREC_NONE || prec < min_prec)
            break;
        if (prec == PREC_CMP) {
            left = parse_comparison(p, left);
            if (left && infix_prec(cur(p)) == PREC_CMP) /* a = b = c: not associative */
                left = unexpected_term(p, cur(p));
            continue;
        }
        advance(p);
        pl_expr *right = parse_bin(p, prec + 1);
        if (!right) {
            left = NULL;
            break;
        }
        switch (t->type) {
        case PL_TK_KEYWORD:
            left = node(p, t->kw == PL_KW_OR ? PL_E_OR : PL_E_AND, 0, left->pos, left, right);
            break;
        case PL_TK_CONCAT:
            left = node(p, PL_E_CONCAT, 0, left->pos, left, right);
            break;
        default: /* + - * / % */
            left = node(p, PL_E_ARITH, p->sql[t->pos], left->pos, left, right);
            break;
        }
    }
    leave(p);
    return left;
}

static pl_expr *parse_expr(parser *p) { return parse_bin(p, PREC_OR); }

/* Fails when the tree is deeper than PL_MAX_DEPTH, using a bounded explicit stack. */
static bool check_height(parser *p, const pl_expr *root)
{
    struct {
        const pl_expr *e;
        uint32_t next;
    } st[PL_MAX_DEPTH];
    if (!root)
        return true;
    int sp = 1;
    st[0].e = root;
    st[0].next = 0;
    while (sp > 0) {
        const pl_expr *e = st[sp - 1].e;
        if (st[sp - 1].next >= e->nargs) {
            sp--;
            continue;
        }
        const pl_expr *c = e->args[st[sp - 1].next++];
        if (!c)
            continue;
        if (sp == PL_MAX_DEPTH) {
            fail_at(p, PLUCK_E_MAX_OPERATORS_EXCEEDED, c->pos,
                    "Expressions are nested deeper than %d levels ", PL_MAX_DEPTH);
            return false;
        }
        st[sp].e = c;
        st[sp].next = 0;
        sp++;
    }
    return true;
}

/* ---- the statement ----------------------------------------------------------------------- */

typedef struct item_vec {
    pl_select_item *v;
    uint32_t n, cap;
} item_vec;

static pl_select_item *item_push(parser *p, item_vec *v)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 8;
        pl_select_item *nv = pl_arena_alloc(p->arena, cap * sizeof *nv);
        if (!nv)
            return oom(p);
        if (v->n)
            memcpy(nv, v->v, v->n * sizeof *nv);
        v->v = nv;
        v->cap = cap;
    }
    pl_select_item *it = &v->v[v->n++];
    memset(it, 0, sizeof *it);
    return it;
}

/* [AS] alias after a select item or the table; false only on error. */
static bool parse_alias(parser *p, const char **alias, bool *quoted)
{
    bool as = accept_kw(p, PL_KW_AS);
    const pl_token *t = cur(p);
    if (!is_name(t)) {
        if (as)
            fail_tok(p, PLUCK_E_PARSE_EXPECTED_IDENT_FOR_ALIAS, t,
                     "Expected identifier for alias, found ");
        return !as;
    }
    if (!(*alias = token_value(p, t, NULL)))
        return false;
    if (quoted)
        *quoted = t->type == PL_TK_QIDENT;
    advance(p);
    return true;
}

/* '*' must stand alone.  alias.* alone becomes select_star with star_qualifier; next to
 * other items (S3's error text implies that is allowed) it is an item whose expr is NULL,
 * as ast.h specifies - the item has no field for its qualifier, so that is not kept. */
static bool parse_select_list(parser *p, pl_select *sel)
{
    item_vec items = {0};
    const char *qualifier = NULL; /* of a lone alias.* */
    for (;;) {
        const pl_token *t = cur(p);
        if (t->type == PL_TK_STAR) {
            if (items.n > 0 || peek(p, 1)->type == PL_TK_COMMA) {
                fail_at(p, PLUCK_E_PARSE_ASTERISK_IS_NOT_ALONE_IN_SELECT_LIST, t->pos,
                        "Other expressions are not allowed in the SELECT list when '*' is "
                        "used without dot notation ");
                return false;
            }
            advance(p);
            sel->select_star = true;
            sel->star_pos = t->pos;
            return true;
        }
        pl_select_item *it = item_push(p, &items);
        if (!it)
            return false;
        it->pos = t->pos;
        if (is_name(t) && peek(p, 1)->type == PL_TK_DOT && peek(p, 2)->type == PL_TK_STAR) {
            if (!(qualifier = token_value(p, t, NULL)))
                return false;
            advance(p);
            advance(p);
            advance(p);
        } else {
            if (!(it->expr = parse_expr(p)) || !parse_alias(p, &it->alias, NULL))
                return false;
        }
        if (!accept(p, PL_TK_COMMA))
            break;
    }
    if (items.n == 1 && !items.v[0].expr) {
        sel->select_star = true;
        sel->star_qualifier = qualifier;
        sel->star_pos = items.v[0].pos;
        return true;
    }
    sel->items = items.v;
    sel->nitems = items.n;
    return true;
}

/* A token that cannot follow the clauses parsed so far. */
static void *unexpected_clause(parser *p)
{
    const pl_token *t = cur(p);
    if (is_kw(t, PL_KW_GROUP) || is_kw(t, PL_KW_ORDER) || is_kw(t, PL_KW_HAVING)) {
        char kw[16];
        return fail_at(p, PLUCK_E_PARSE_EXPECTED_IDENT_FOR_GROUP_NAME, t->pos,
                       "%s is not supported ", upper(kw, sizeof kw, pl_keyword_name(t->kw)));
    }
    return fail_tok(p, PLUCK_E_PARSE_UNEXPECTED_TOKEN, t, "Unexpected token found ");
}

static bool is_join_token(const pl_token *t)
{
    if (t->type == PL_TK_COMMA)
        return true;
    switch (t->type == PL_TK_KEYWORD ? t->kw : PL_KW_NONE) {
    case PL_KW_JOIN: case PL_KW_INNER: case PL_KW_LEFT: case PL_KW_RIGHT: case PL_KW_FULL:
    case PL_KW_OUTER: case PL_KW_CROSS: case PL_KW_NATURAL:
        return true;
    default:
        return false;
    }
}

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

static bool parse_from(parser *p, pl_select *sel)
{
    const pl_token *t = cur(p);
    if (!is_kw(t, PL_KW_FROM)) {
        if (t->type == PL_TK_EOF || t->type == PL_TK_SEMI || is_kw(t, PL_KW_WHERE) ||
            is_kw(t, PL_KW_LIMIT))
            fail_tok(p, PLUCK_E_PARSE_SELECT_MISSING_FROM, t,
                     "SELECT is missing the FROM clause, found ");
        else
            unexpected_clause(p);
        return false;
    }
    advance(p);
    t = cur(p);
    if (t->type == PL_TK_LPAREN) {
        fail_at(p, PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, t->pos, "Subqueries are not supported ");
        return false;
    }
    if (!is_name(t)) {
        fail_tok(p, PLUCK_E_PARSE_UNEXPECTED_TOKEN, t, "Expected S3Object, found ");
        return false;
    }
    if (!(sel->table_name = token_value(p, t, NULL)))
        return false;
    if (!ieq(sel->table_name, "s3object")) {
        fail_tok(p, PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, t, "Only S3Object can be queried, found ");
        return false;
    }
    sel->table_pos = t->pos;
    advance(p);
    t = cur(p);
    if (t->type == PL_TK_LBRACKET || t->type == PL_TK_DOT) {
        fail_tok(p, PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, t,
                 "Paths after S3Object are not supported for CSV, found ");
        return false;
    }
    if (!parse_alias(p, &sel->table_alias, &sel->table_alias_quoted))
        return false;
    if (is_join_token(cur(p))) {
        fail_tok(p, PLUCK_E_PARSE_MALFORMED_JOIN, cur(p), "JOIN is not supported, found ");
        return false;
    }
    return true;
}

static bool parse_limit(parser *p, pl_select *sel)
{
    const pl_token *sign = cur(p);
    if (sign->type == PL_TK_MINUS || sign->type == PL_TK_PLUS)
        advance(p);
    else
        sign = NULL;
    const pl_token *t = cur(p);
    if (t->type != PL_TK_INT) {
        fail_tok(p, PLUCK_E_PARSE_EXPECTED_NUMBER, t, "Expected number for LIMIT, found ");
        return false;
    }
    uint64_t v = int_value(p, t);
    if (sign && sign->type == PL_TK_MINUS && v != 0) {
        fail_at(p, PLUCK_E_EVALUATOR_NEGATIVE_LIMIT, sign->pos,
                "LIMIT must not be negative ");
        return false;
    }
    sel->has_limit = true;
    sel->limit = v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
    sel->limit_pos = (sign ? sign : t)->pos;
    advance(p);
    return true;
}

/* Expect BY after GROUP / ORDER. */
static bool expect_by(parser *p)
{
    if (accept_kw(p, PL_KW_BY))
        return true;
    fail_tok(p, PLUCK_E_PARSE_EXPECTED_KEYWORD, cur(p), "Expected keyword BY, found ");
    return false;
}

/* Comma-separated expressions into an arena array (the list is short: copy as it grows). */
static bool parse_expr_list(parser *p, pl_expr ***out, uint32_t *n)
{
    uint32_t cap = 0;
    pl_expr **v = NULL;
    do {
        pl_expr *e = parse_expr(p);
        if (!e)
            return false;
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            pl_expr **nv = pl_arena_alloc(p->arena, cap * sizeof *nv);
            if (!nv)
                return oom(p) != NULL;
            if (*n)
                memcpy(nv, v, *n * sizeof *nv);
            v = nv;
        }
        v[(*n)++] = e;
    } while (accept(p, PL_TK_COMMA));
    *out = v;
    return true;
}

/* GROUP BY, HAVING and ORDER BY: pluck's extensions beyond S3 Select.  They are parsed
 * here always; the binder refuses them unless the query enables extensions. */
static bool parse_extensions(parser *p, pl_select *sel)
{
    const pl_token *t = cur(p);
    if (is_kw(t, PL_KW_GROUP)) {
        sel->group_pos = t->pos;
        advance(p);
        if (!expect_by(p) || !parse_expr_list(p, &sel->group_by, &sel->ngroup_by))
            return false;
    }
    t = cur(p);
    if (is_kw(t, PL_KW_HAVING)) {
        sel->having_pos = t->pos;
        advance(p);
        if (!(sel->having = parse_expr(p)))
            return false;
    }
    t = cur(p);
    if (is_kw(t, PL_KW_ORDER)) {
        sel->order_pos = t->pos;
        advance(p);
        uint32_t n = 0, cap = 0;
        if (!expect_by(p))
            return false;
        do {
            pl_expr *e = parse_expr(p);
            if (!e)
                return false;
            bool desc = false;
            if (accept_kw(p, PL_KW_DESC))
                desc = true;
            else
                accept_kw(p, PL_KW_ASC);
            uint8_t nulls = 0;
            t = cur(p);
            if (t->type == PL_TK_IDENT && t->len == 5 && !strncasecmp(p->sql + t->pos, "nulls", 5)) {
                advance(p);
                if (accept_kw(p, PL_KW_FIRST)) {
                    nulls = PL_NULLS_FIRST;
                } else if (accept_kw(p, PL_KW_LAST)) {
                    nulls = PL_NULLS_LAST;
                } else {
                    fail_tok(p, PLUCK_E_PARSE_EXPECTED_KEYWORD, cur(p),
                             "Expected FIRST or LAST after NULLS, found ");
                    return false;
                }
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                pl_order_item *nv = pl_arena_alloc(p->arena, cap * sizeof *nv);
                if (!nv)
                    return oom(p) != NULL;
                if (n)
                    memcpy(nv, sel->order_by, n * sizeof *nv);
                sel->order_by = nv;
            }
            sel->order_by[n].expr = e;
            sel->order_by[n].desc = desc;
            sel->order_by[n].nulls = nulls;
            n++;
        } while (accept(p, PL_TK_COMMA));
        sel->norder_by = n;
    }
    return true;
}

static pl_select *parse_statement(parser *p)
{
    const pl_token *t = cur(p);
    if (!is_kw(t, PL_KW_SELECT))
        return fail_tok(p, PLUCK_E_PARSE_EXPECTED_KEYWORD, t, "Expected keyword SELECT, found ");
    advance(p);
    pl_select *sel = pl_arena_alloc(p->arena, sizeof *sel);
    if (!sel)
        return oom(p);
    memset(sel, 0, sizeof *sel);
    t = cur(p);
    if (is_kw(t, PL_KW_DISTINCT)) {
        /* SELECT DISTINCT: an extension, the binder refuses it without -X */
        sel->distinct = true;
        sel->distinct_pos = t->pos;
        advance(p);
        t = cur(p);
    } else if (is_kw(t, PL_KW_ALL)) {
        return fail_tok(p, PLUCK_E_PARSE_UNSUPPORTED_SYNTAX, t,
                        "Set quantifiers are not supported, found ");
    }
    if (is_kw(t, PL_KW_FROM) || t->type == PL_TK_EOF || t->type == PL_TK_SEMI)
        return fail_tok(p, PLUCK_E_PARSE_EMPTY_SELECT, t, "Expected a SELECT list, found ");
    if (!parse_select_list(p, sel) || !parse_from(p, sel))
        return NULL;
    if (accept_kw(p, PL_KW_WHERE) && !(sel->where = parse_expr(p)))
        return NULL;
    if (!parse_extensions(p, sel))
        return NULL;
    if (accept_kw(p, PL_KW_LIMIT) && !parse_limit(p, sel))
        return NULL;
    accept(p, PL_TK_SEMI);
    if (cur(p)->type != PL_TK_EOF)
        return unexpected_clause(p);
    for (uint32_t k = 0; k < sel->nitems; k++)
        if (!check_height(p, sel->items[k].expr))
            return NULL;
    if (!check_height(p, sel->where) || !check_height(p, sel->having))
        return NULL;
    for (uint32_t k = 0; k < sel->ngroup_by; k++)
        if (!check_height(p, sel->group_by[k]))
            return NULL;
    for (uint32_t k = 0; k < sel->norder_by; k++)
        if (!check_height(p, sel->order_by[k].expr))
            return NULL;
    return sel;
}

pluck_code pl_parse(const char *sql, size_t len, pl_arena *arena, pl_select **out,
                    pluck_error *err)
{
    *out = NULL;
    if (!sql) {
        sql = "";
        len = 0;
    }
    parser p = {.sql = sql, .len = len, .arena = arena, .err = err};
    pl_token *tok;
    pluck_code rc = pl_tokenize(sql, len, arena, &tok, &p.ntok, err);
    if (rc != PLUCK_OK)
        return rc;
    p.tok = tok;
    pl_select *sel = parse_statement(&p);
    if (!sel)
        return p.rc != PLUCK_OK ? p.rc : PLUCK_E_INTERNAL_ERROR;
    *out = sel;
    return PLUCK_OK;
}
