/*
 * eval.c — the expression interpreter: one record at a time over the bound tree.
 *
 * Semantics (decided where S3 Select is silent; man/pluck.1 documents them):
 *  - three-valued logic; WHERE keeps a record only when its condition is TRUE;
 *  - comparisons with NULL or MISSING are unknown (NULL);
 *  - an untyped CSV field compared with a number is read as a number; when it does not
 *    parse the comparison is unknown (the record is dropped, the query goes on);
 *    two untyped fields compare as numbers when both parse, else as strings;
 *  - values of different types are never equal; ordering them is unknown;
 *  - arithmetic propagates MISSING, then NULL; an untyped field that is not a number
 *    (e.g. empty) gives NULL; a typed non-number is InvalidDataType.
 */
#include "exec/program.h"
#include "scan/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

pluck_code pl_eval_fail(pl_eval_ctx *ctx, const pl_node *n, pluck_code code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pl_error_sql(ctx->err, code, ctx->q->sql, ctx->q->sql_len, n ? n->pos : 0,
                        "%s (expression at @POS@)", msg);
}

static pluck_code arith_error(pl_eval_ctx *ctx, const pl_node *n, pluck_code rc)
{
    if (rc == PLUCK_E_INTEGER_OVERFLOW)
        return pl_eval_fail(ctx, n, rc, "Integer overflow");
    if (rc == PLUCK_E_DIVISION_BY_ZERO)
        return pl_eval_fail(ctx, n, rc, "Division by zero");
    return pl_eval_fail(ctx, n, rc, "Arithmetic failed");
}

/* ---- comparison ------------------------------------------------------------------------ */

bool pl_value_as_ts(const pl_value *v, pl_ts *out)
{
    if (v->type == PL_TIMESTAMP) {
        *out = v->u.ts;
        return true;
    }
    return v->type == PL_STRING && v->untyped && pl_ts_parse(v->u.s.p, v->u.s.len, out);
}

enum { CMP_UNKNOWN = PL_CMP_UNKNOWN, CMP_TYPES = PL_CMP_TYPES };

int pl_compare(const pl_value *a, const pl_value *b)
{
    if (pl_v_absent(a) || pl_v_absent(b))
        return CMP_UNKNOWN;
    if (a->type == PL_STRING && b->type == PL_STRING) {
        if (a->untyped && b->untyped) {
            pl_value x, y;
            if (pl_value_as_number(a, &x) && pl_value_as_number(b, &y))
                return pl_num_cmp(&x, &y);
        }
        return pl_str_cmp(a, b);
    }
    if (pl_v_numeric(a) || pl_v_numeric(b)) {
        pl_value x, y;
        bool ax = pl_value_as_number(a, &x), by = pl_value_as_number(b, &y);
        if (ax && by)
            return pl_num_cmp(&x, &y);
        if ((!ax && a->untyped) || (!by && b->untyped))
            return CMP_UNKNOWN;
        return CMP_TYPES;
    }
    if (a->type == PL_TIMESTAMP || b->type == PL_TIMESTAMP) {
        /* a CSV field against a timestamp is read as Ion timestamp text */
        pl_ts x, y;
        if (!pl_value_as_ts(a, &x) || !pl_value_as_ts(b, &y))
            return (a->untyped || b->untyped) ? CMP_UNKNOWN : CMP_TYPES;
        return pl_ts_cmp(&x, &y);
    }
    if (a->type == PL_BOOL || b->type == PL_BOOL) {
        const pl_value *s = a->type == PL_BOOL ? b : a;
        const pl_value *o = a->type == PL_BOOL ? a : b;
        bool sv;
        if (s->type == PL_BOOL)
            sv = s->u.b;
        else if (s->untyped && s->u.s.len == 4 && !strncasecmp(s->u.s.p, "true", 4))
            sv = true;
        else if (s->untyped && s->u.s.len == 5 && !strncasecmp(s->u.s.p, "false", 5))
            sv = false;
        else
            return s->untyped ? CMP_UNKNOWN : CMP_TYPES;
        int c = (int)(a->type == PL_BOOL ? o->u.b : sv) - (int)(a->type == PL_BOOL ? sv : o->u.b);
        return (c > 0) - (c < 0);
    }
    return CMP_TYPES;
}

static pl_value cmp_result(int op, int c)
{
    if (c == CMP_UNKNOWN)
        return pl_v_null();
    if (c == PL_NUM_UNORDERED) /* NaN: IEEE says every comparison is false but <> */
        return pl_v_bool(op == PL_CMP_NE);
    if (c == CMP_TYPES) {
        if (op == PL_CMP_EQ)
            return pl_v_bool(false);
        if (op == PL_CMP_NE)
            return pl_v_bool(true);
        return pl_v_null();
    }
    switch (op) {
    case PL_CMP_EQ: return pl_v_bool(c == 0);
    case PL_CMP_NE: return pl_v_bool(c != 0);
    case PL_CMP_LT: return pl_v_bool(c < 0);
    case PL_CMP_LE: return pl_v_bool(c <= 0);
    case PL_CMP_GT: return pl_v_bool(c > 0);
    default: return pl_v_bool(c >= 0);
    }
}

/* 0 false, 1 true, 2 unknown */
static int truth(const pl_value *v)
{
    if (v->type == PL_BOOL)
        return v->u.b;
    return 2;
}

static pl_value from_truth(int t) { return t == 2 ? pl_v_null() : pl_v_bool(t); }

/* NOT BETWEEN / NOT IN: negate a known truth; unknown stays unknown. */
static int negated_truth(const pl_node *n, int t) { return n->negated && t != 2 ? !t : t; }
static pl_value negate_if(const pl_node *n, int t) { return from_truth(negated_truth(n, t)); }

/* ---- LIKE ------------------------------------------------------------------------------- */

static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Pattern element at p: sets *lit (literal bytes) or returns '%' / '_' for wildcards. */
static int pat_next(const char *p, const char *pe, int esc, const char **lit, size_t *litlen,
                    size_t *adv)
{
    if (esc >= 0 && (unsigned char)*p == esc) {
        *lit = p + 1;
        *litlen = utf8_len((unsigned char)p[1]);
        *adv = 1 + *litlen;
        return 0;
    }
    if (*p == '%' || *p == '_') {
        *adv = 1;
        return *p;
    }
    *lit = p;
    *litlen = utf8_len((unsigned char)*p);
    if (*litlen > (size_t)(pe - p))
        *litlen = (size_t)(pe - p);
    *adv = *litlen;
    return 0;
}

/* Iterative matcher with single backtrack point per '%' (the classic glob algorithm):
 * O(len(s) * len(p)) worst case, no recursion. */
static bool like_match(const char *s, size_t sn, const char *p, size_t pn, int esc)
{
    const char *se = s + sn, *pe = p + pn;
    const char *star_p = NULL, *star_s = NULL;
    while (s < se) {
        if (p < pe) {
            const char *lit;
            size_t litlen, adv;
            int w = pat_next(p, pe, esc, &lit, &litlen, &adv);
            if (w == '%') {
                star_p = p + adv;
                star_s = s;
                p += adv;
                continue;
            }
            if (w == '_') {
                size_t cl = utf8_len((unsigned char)*s);
                s += cl > (size_t)(se - s) ? (size_t)(se - s) : cl;
                p += adv;
                continue;
            }
            if (litlen <= (size_t)(se - s) && !memcmp(s, lit, litlen)) {
                s += litlen;
                p += adv;
                continue;
            }
        }
        if (!star_p)
            return false;
        size_t cl = utf8_len((unsigned char)*star_s);
        star_s += cl > (size_t)(se - star_s) ? (size_t)(se - star_s) : cl;
        s = star_s;
        p = star_p;
    }
    while (p < pe && *p == '%' && !(esc >= 0 && (unsigned char)*p == esc))
        p++;
    return p == pe;
}

static pluck_code check_pattern(pl_eval_ctx *ctx, const pl_node *n, const pl_value *pat, int esc)
{
    if (esc < 0)
        return PLUCK_OK;
    const char *p = pat->u.s.p, *pe = p + pat->u.s.len;
    for (; p < pe; p++) {
        if ((unsigned char)*p != esc)
            continue;
        if (p + 1 >= pe || (p[1] != '%' && p[1] != '_' && (unsigned char)p[1] != esc))
            return pl_eval_fail(ctx, n, PLUCK_E_EVALUATOR_LIKE_PATTERN_INVALID_ESCAPE_SEQUENCE,
                                "Invalid escape sequence in LIKE pattern");
        p++;
    }
    return PLUCK_OK;
}

static pluck_code eval_like(pl_eval_ctx *ctx, const pl_node *n, pl_value *out)
{
    pl_value v, pat, e;
    pluck_code rc;
    if ((rc = pl_eval(ctx, n->args[0], &v)) || (rc = pl_eval(ctx, n->args[1], &pat)))
        return rc;
    int esc = -1;
    if (n->nargs > 2) {
        if ((rc = pl_eval(ctx, n->args[2], &e)))
            return rc;
        if (e.type != PL_STRING || e.u.s.len != 1)
            return pl_eval_fail(ctx, n->args[2],
                                PLUCK_E_EVALUATOR_LIKE_PATTERN_INVALID_ESCAPE_SEQUENCE,
                                "The LIKE escape must be a single character");
        esc = (unsigned char)e.u.s.p[0];
    }
    if (pl_v_absent(&v) || pl_v_absent(&pat)) {
        *out = pl_v_null();
        return PLUCK_OK;
    }
    if (v.type != PL_STRING || pat.type != PL_STRING)
        return pl_eval_fail(ctx, n, PLUCK_E_LIKE_INVALID_INPUTS,
                            "LIKE needs string operands, got %s LIKE %s",
                            pl_type_name((pl_type)v.type), pl_type_name((pl_type)pat.type));
    if ((rc = check_pattern(ctx, n, &pat, esc)))
        return rc;
    bool m = like_match(v.u.s.p, v.u.s.len, pat.u.s.p, pat.u.s.len, esc);
    *out = pl_v_bool(m != n->negated);
    return PLUCK_OK;
}

/* ---- CAST ------------------------------------------------------------------------------ */

static const char *const cast_names[] = {"BOOL", "INT", "FLOAT", "DECIMAL", "STRING", "TIMESTAMP"};

static pluck_code cast_failed(pl_eval_ctx *ctx, const pl_node *n, const pl_value *v, int type)
{
    char tmp[PL_TEXT_MAX];
    const char *p;
    size_t len = pl_value_text(v, tmp, &p);
    return pl_eval_fail(ctx, n, PLUCK_E_CAST_FAILED,
                        "Attempt to convert from one data type to another failed: cast from %s "
                        "to %s ('%.*s')",
                        pl_type_name((pl_type)v->type), cast_names[type],
                        (int)(len > 60 ? 60 : len), p);
}

/* strtod (correctly rounded in glibc) over text pl_parse_number accepted, spaces trimmed */
static double text_to_double(const char *p, uint32_t len, const pl_value *num)
{
    while (len && (*p == ' ' || *p == '\t'))
        p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    char tmp[128];
    char *s = len < sizeof tmp ? tmp : malloc((size_t)len + 1);
    if (!s) /* out of memory: the parsed value, also correctly rounded (only -0 differs) */
        return pl_to_double(num);
    memcpy(s, p, len);
    s[len] = '\0';
    double f = strtod(s, NULL);
    if (s != tmp)
        free(s);
    return f;
}

/* pl_v_str into *out member by member: the struct pl_v_str builds on the stack was copied
 * back with 16-byte loads of partly written words, which stalled on store forwarding (a
 * tenth of an ORDER BY's CPU in perf annotate).  out may be the value p came from. */
static inline void set_str(pl_value *out, const char *p, uint32_t len, bool untyped)
{
    out->u.d = 0;
    out->type = PL_STRING;
    out->untyped = untyped;
    out->scale = 0;
    out->u.s.p = p;
    out->u.s.len = len;
}

pluck_code pl_cast(pl_eval_ctx *ctx, const pl_node *n, const pl_value *v, int type, pl_value *out)
{
    pl_value num;
    if (pl_v_absent(v)) {
        *out = *v;
        return PLUCK_OK;
    }
    switch ((pl_cast_type)type) {
    case PL_T_STRING: {
        if (v->type == PL_STRING) {
            set_str(out, v->u.s.p, v->u.s.len, false);
            return PLUCK_OK;
        }
        char tmp[PL_TEXT_MAX];
        const char *p;
        size_t len = pl_value_text(v, tmp, &p);
        char *s = pl_arena_strndup(ctx->scratch, p, len);
        if (!s)
            return pl_eval_fail(ctx, n, PLUCK_E_OUT_OF_MEMORY, "Out of memory");
        *out = pl_v_str(s, (uint32_t)len, false);
        return PLUCK_OK;
    }
    case PL_T_BOOL:
        if (v->type == PL_BOOL) {
            *out = *v;
            return PLUCK_OK;
        }
        if (v->type == PL_STRING) {
            const char *p = v->u.s.p;
            uint32_t l = v->u.s.len;
            while (l && (*p == ' ' || *p == '\t'))
                p++, l--;
            while (l && (p[l - 1] == ' ' || p[l - 1] == '\t'))
                l--;
            if (l == 4 && !strncasecmp(p, "true", 4)) {
                *out = pl_v_bool(true);
                return PLUCK_OK;
            }
            if (l == 5 && !strncasecmp(p, "false", 5)) {
                *out = pl_v_bool(false);
                return PLUCK_OK;
            }
            return cast_failed(ctx, n, v, type);
        }
        *out = pl_v_bool(pl_to_double(v) != 0);
        return PLUCK_OK;
    case PL_T_TIMESTAMP: {
        pl_ts t;
        if (v->type == PL_TIMESTAMP) {
            *out = *v;
            return PLUCK_OK;
        }
        if (v->type != PL_STRING)
            return cast_failed(ctx, n, v, type);
        const char *p = v->u.s.p;
        uint32_t l = v->u.s.len;
        while (l && (*p == ' ' || *p == '\t'))
            p++, l--;
        while (l && (p[l - 1] == ' ' || p[l - 1] == '\t'))
            l--;
        if (!pl_ts_parse(p, l, &t))
            return cast_failed(ctx, n, v, type);
        *out = pl_v_ts(&t);
        return PLUCK_OK;
    }
    default: break;
    }
    if (v->type == PL_TIMESTAMP)
        return cast_failed(ctx, n, v, type);
    /* numeric targets */
    if (v->type == PL_STRING) {
        if (!pl_parse_number(v->u.s.p, v->u.s.len, true, &num))
            return cast_failed(ctx, n, v, type);
    } else if (v->type == PL_BOOL) {
        num = pl_v_int(v->u.b);
    } else {
        num = *v;
    }
    switch ((pl_cast_type)type) {
    case PL_T_INT:
        if (num.type == PL_INT) {
            *out = num;
        } else if (num.type == PL_DECIMAL) {
            pl_i128 c = num.u.d;
            for (int32_t s = num.scale; s > 0; s--)
                c /= 10; /* truncate toward zero */
            if (c > INT64_MAX || c < INT64_MIN)
                return pl_eval_fail(ctx, n, PLUCK_E_INTEGER_OVERFLOW, "Integer overflow in CAST");
            *out = pl_v_int((int64_t)c);
        } else {
            double f = num.u.f; /* truncated toward zero; -2^63 itself is in range */
            if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
                return pl_eval_fail(ctx, n, PLUCK_E_INTEGER_OVERFLOW, "Integer overflow in CAST");
            *out = pl_v_int((int64_t)f);
        }
        return PLUCK_OK;
    case PL_T_FLOAT:
        if (v->type == PL_STRING) { /* one rounding from the text's exact value (and -0) */
            *out = pl_v_float(text_to_double(v->u.s.p, v->u.s.len, &num));
            return PLUCK_OK;
        }
        *out = pl_v_float(pl_to_double(&num)); /* DECIMAL: correctly rounded */
        return PLUCK_OK;
    case PL_T_DECIMAL:
        if (num.type == PL_INT)
            *out = pl_decimal_make(num.u.i, 0);
        else if (num.type == PL_DECIMAL)
            *out = num;
        else if (!pl_decimal_from_double(num.u.f, out))
            return cast_failed(ctx, n, v, type);
        return PLUCK_OK;
    default: return cast_failed(ctx, n, v, type);
    }
}

/* ---- arithmetic -------------------------------------------------------------------------- */

static pluck_code eval_arith(pl_eval_ctx *ctx, const pl_node *n, pl_value *out)
{
    pl_value a, b, x, y;
    pluck_code rc;
    if ((rc = pl_eval(ctx, n->args[0], &a)) || (rc = pl_eval(ctx, n->args[1], &b)))
        return rc;
    if (a.type == PL_MISSING || b.type == PL_MISSING) {
        *out = pl_v_missing();
        return PLUCK_OK;
    }
    if (a.type == PL_NULL || b.type == PL_NULL) {
        *out = pl_v_null();
        return PLUCK_OK;
    }
    bool ax = pl_value_as_number(&a, &x), by = pl_value_as_number(&b, &y);
    if (!ax || !by) {
        const pl_value *bad = !ax ? &a : &b;
        if (bad->untyped) {
            *out = pl_v_null();
            return PLUCK_OK;
        }
        return pl_eval_fail(ctx, n, PLUCK_E_INVALID_DATA_TYPE,
                            "Arithmetic needs numbers, got %s", pl_type_name((pl_type)bad->type));
    }
    rc = pl_arith(n->sub, &x, &y, out);
    return rc ? arith_error(ctx, n, rc) : PLUCK_OK;
}

static pluck_code eval_concat(pl_eval_ctx *ctx, const pl_node *n, pl_value *out)
{
    pl_value a, b;
    pluck_code rc;
    if ((rc = pl_eval(ctx, n->args[0], &a)) || (rc = pl_eval(ctx, n->args[1], &b)))
        return rc;
    if (pl_v_absent(&a) || pl_v_absent(&b)) {
        *out = a.type == PL_MISSING || b.type == PL_MISSING ? pl_v_missing() : pl_v_null();
        return PLUCK_OK;
    }
    char ta[PL_TEXT_MAX], tb[PL_TEXT_MAX];
    const char *pa, *pb;
    size_t la = pl_value_text(&a, ta, &pa), lb = pl_value_text(&b, tb, &pb);
    if (la + lb > UINT32_MAX)
        return pl_eval_fail(ctx, n, PLUCK_E_COLUMN_TOO_LONG, "String too long");
    char *s = pl_arena_alloc(ctx->scratch, la + lb + 1);
    if (!s)
        return pl_eval_fail(ctx, n, PLUCK_E_OUT_OF_MEMORY, "Out of memory");
    memcpy(s, pa, la);
    memcpy(s + la, pb, lb);
    *out = pl_v_str(s, (uint32_t)(la + lb), false);
    return PLUCK_OK;
}

/* ---- specialized filters ----------------------------------------------------------------- */

/* CAST(column AS INT|DECIMAL) read straight from the field.  False means "take the general
 * path" (a missing field, text that is not a plain number, a float that needs converting),
 * which also produces the errors; true results equal pl_cast's. */
static bool cast_col_fast(pl_eval_ctx *ctx, const pl_node *n, pl_value *out)
{
    if (n->op != PL_N_CAST || n->args[0]->op != PL_N_COL ||
        (n->sub != PL_T_INT && n->sub != PL_T_DECIMAL))
        return false;
    int32_t idx = ctx->colmap[n->args[0]->colref];
    if (idx < 0 || (uint32_t)idx >= ctx->nfields)
        return false;
    const pl_field *f = (const pl_field *)ctx->fields + idx;
    pl_value x;
    if (!pl_parse_number(f->p, f->len, true, &x))
        return false;
    if (x.type == PL_INT) {
        *out = n->sub == PL_T_INT ? x : pl_decimal_make(x.u.i, 0);
        return true;
    }
    if (x.type == PL_DECIMAL && n->sub == PL_T_DECIMAL) {
        *out = x;
        return true;
    }
    return false;
}

/* The left operand of a specialized node: a CSV field read in place when it is a column. */
static pluck_code left_value(pl_eval_ctx *ctx, const pl_node *n, pl_value *out)
{
    const pl_node *a = n->args[0];
    if (a->op != PL_N_COL)
        return pl_eval(ctx, a, out);
    int32_t idx = ctx->colmap[a->colref];
    if (idx < 0 || (uint32_t)idx >= ctx->nfields) {
        *out = pl_v_missing();
    } else {
        const pl_field *f = (const pl_field *)ctx->fields + idx;
        *out = pl_v_str(f->p, f->len, true);
    }
    return PLUCK_OK;
}

static pluck_code eval_cmp_const(pl_eval_ctx *ctx, const pl_node *n, pl_value *out)
{
    pl_value a;
    pluck_code rc = left_value(ctx, n, &a);
    if (rc)
        return rc;
    const pl_value *k = &n->args[1]->k;
    if (n->op == PL_N_CMP_STR && a.type == PL_STRING) {
        *out = cmp_result(n->sub, pl_str_cmp(&a, k));
        return PLUCK_OK;
    }
    pl_value x;
    if (n->op == PL_N_CMP_NUM && a.type == PL_STRING && a.untyped) {
        *out = pl_parse_number(a.u.s.p, a.u.s.len, false, &x) ? cmp_result(n->sub, pl_num_cmp(&x, k))
                                                                : pl_v_null();
        return PLUCK_OK;
    }
    *out = cmp_result(n->sub, pl_compare(&a, k));
    return PLUCK_OK;
}

/* First occurrence of needle in hay (memmem is a GNU extension). */
static bool contains(const char *hay, uint32_t n, const char *needle, uint32_t nn)
{
    if (nn == 0)
        return true;
    const char *end = hay + n;
    while ((size_t)(end - hay) >= nn) {
        const char *c = memchr(hay, needle[0], (size_t)(end - hay) - nn + 1);
        if (!c)
            return false;
        if (!memcmp(c, needle, nn))
            return true;
        hay = c + 1;
    }
    return false;
}

static bool has_suffix(const char *p, uint32_t n, const char *s, uint32_t sn)
{
    return n >= sn && !memcmp(p + n - sn, s, sn);
}

static pluck_code eval_like_lit(pl_eval_ctx *ctx, const pl_node *n, pl_value *out)
{
    pl_value a;
    pluck_code rc = left_value(ctx, n, &a);
    if (rc)
        return rc;
    if (pl_v_absent(&a)) {
        *out = pl_v_null();
        return PLUCK_OK;
    }
    if (a.type != PL_STRING)
        return pl_eval_fail(ctx, n, PLUCK_E_LIKE_INVALID_INPUTS,
                            "LIKE needs string operands, got %s LIKE STRING",
                            pl_type_name((pl_type)a.type));
    const char *p = a.u.s.p, *lit = n->k.u.s.p;
    uint32_t len = a.u.s.len, ll = n->k.u.s.len;
    bool m;
    switch ((pl_like_shape)n->sub) {
    case PL_LIKE_EXACT: m = len == ll && !memcmp(p, lit, ll); break;
    case PL_LIKE_PREFIX: m = len >= ll && !memcmp(p, lit, ll); break;
    case PL_LIKE_SUFFIX: m = has_suffix(p, len, lit, ll); break;
    default: m = contains(p, len, lit, ll); break;
    }
    *out = pl_v_bool(m != n->negated);
    return PLUCK_OK;
}

/* A function call.  Its argument array lives in this frame, not in pl_eval's, so deep
 * expression trees (up to PL_MAX_DEPTH) recurse through small frames. */
static __attribute__((noinline)) pluck_code eval_func(pl_eval_ctx *ctx, const pl_node *n,
                                                      pl_value *out)
{
    pl_value args[32];
    if (n->nargs > PL_ARRAY_SIZE(args))
        return pl_eval_fail(ctx, n, PLUCK_E_EVALUATOR_INVALID_ARGUMENTS, "Too many arguments");
    for (uint32_t i = 0; i < n->nargs; i++) {
        pluck_code rc = pl_eval(ctx, n->args[i], &args[i]);
        if (rc)
            return rc;
    }
    return n->fn->impl(ctx, n, args, n->nargs, out);
}

/* ---- the interpreter ------------------------------------------------------------------- */

pluck_code pl_eval(pl_eval_ctx *ctx, const pl_node *n, pl_value *out)
{
    pl_value a, b, c;
    pluck_code rc;
    switch ((pl_node_op)n->op) {
    case PL_N_CONST: *out = n->k; return PLUCK_OK;
    case PL_N_COL: {
        int32_t idx = ctx->colmap[n->colref];
        if (idx < 0 || (uint32_t)idx >= ctx->nfields) {
            *out = pl_v_missing();
        } else {
            const pl_field *f = (const pl_field *)ctx->fields + idx;
            set_str(out, f->p, f->len, true);
        }
        return PLUCK_OK;
    }
    case PL_N_NEG:
        if ((rc = pl_eval(ctx, n->args[0], &a)))
            return rc;
        if (pl_v_absent(&a)) {
            *out = a;
            return PLUCK_OK;
        }
        if (!pl_value_as_number(&a, &b)) {
            if (a.untyped) {
                *out = pl_v_null();
                return PLUCK_OK;
            }
            return pl_eval_fail(ctx, n, PLUCK_E_INVALID_DATA_TYPE, "Negation needs a number");
        }
        rc = pl_negate(&b, out);
        return rc ? arith_error(ctx, n, rc) : PLUCK_OK;
    case PL_N_NOT:
        if ((rc = pl_eval(ctx, n->args[0], &a)))
            return rc;
        {
            int t = truth(&a);
            *out = from_truth(t == 2 ? 2 : !t);
        }
        return PLUCK_OK;
    case PL_N_AND:
    case PL_N_OR: {
        if ((rc = pl_eval(ctx, n->args[0], &a)))
            return rc;
        int ta = truth(&a);
        bool is_and = n->op == PL_N_AND;
        if (ta == (is_and ? 0 : 1)) { /* short circuit */
            *out = pl_v_bool(!is_and);
            return PLUCK_OK;
        }
        if ((rc = pl_eval(ctx, n->args[1], &b)))
            return rc;
        int tb = truth(&b);
        if (tb == (is_and ? 0 : 1))
            *out = pl_v_bool(!is_and);
        else if (ta == 2 || tb == 2)
            *out = pl_v_null();
        else
            *out = pl_v_bool(is_and);
        return PLUCK_OK;
    }
    case PL_N_ARITH: return eval_arith(ctx, n, out);
    case PL_N_CONCAT: return eval_concat(ctx, n, out);
    case PL_N_CMP:
        if ((rc = pl_eval(ctx, n->args[0], &a)) || (rc = pl_eval(ctx, n->args[1], &b)))
            return rc;
        *out = cmp_result(n->sub, pl_compare(&a, &b));
        return PLUCK_OK;
    case PL_N_LIKE: return eval_like(ctx, n, out);
    case PL_N_BETWEEN: {
        if ((rc = pl_eval(ctx, n->args[0], &a)) || (rc = pl_eval(ctx, n->args[1], &b)) ||
            (rc = pl_eval(ctx, n->args[2], &c)))
            return rc;
        pl_value lo = cmp_result(PL_CMP_GE, pl_compare(&a, &b));
        pl_value hi = cmp_result(PL_CMP_LE, pl_compare(&a, &c));
        int t1 = truth(&lo), t2 = truth(&hi);
        *out = negate_if(n, (t1 == 0 || t2 == 0) ? 0 : (t1 == 2 || t2 == 2) ? 2 : 1);
        return PLUCK_OK;
    }
    case PL_N_IN: {
        if ((rc = pl_eval(ctx, n->args[0], &a)))
            return rc;
        int t = 0;
        for (uint32_t i = 1; i < n->nargs && t != 1; i++) {
            if ((rc = pl_eval(ctx, n->args[i], &b)))
                return rc;
            pl_value r = cmp_result(PL_CMP_EQ, pl_compare(&a, &b));
            int ti = truth(&r);
            if (ti == 1)
                t = 1;
            else if (ti == 2)
                t = 2;
        }
        *out = negate_if(n, t);
        return PLUCK_OK;
    }
    case PL_N_IS: {
        if ((rc = pl_eval(ctx, n->args[0], &a)))
            return rc;
        bool r = n->sub == PL_IS_MISSING ? a.type == PL_MISSING : pl_v_absent(&a);
        *out = pl_v_bool(r != n->negated);
        return PLUCK_OK;
    }
    case PL_N_CAST:
        if (cast_col_fast(ctx, n, out))
            return PLUCK_OK;
        if ((rc = pl_eval(ctx, n->args[0], &a)))
            return rc;
        return pl_cast(ctx, n, &a, n->sub, out);
    case PL_N_CASE: {
        uint32_t i = 1, pairs_end = n->nargs - (n->has_else ? 1 : 0);
        bool simple = n->args[0] != NULL;
        if (simple && (rc = pl_eval(ctx, n->args[0], &a)))
            return rc;
        for (; i + 1 < pairs_end; i += 2) {
            if ((rc = pl_eval(ctx, n->args[i], &b)))
                return rc;
            pl_value r = simple ? cmp_result(PL_CMP_EQ, pl_compare(&a, &b)) : b;
            if (truth(&r) == 1)
                return pl_eval(ctx, n->args[i + 1], out);
        }
        if (n->has_else)
            return pl_eval(ctx, n->args[n->nargs - 1], out);
        *out = pl_v_null();
        return PLUCK_OK;
    }
    case PL_N_FUNC: return eval_func(ctx, n, out);
    case PL_N_CMP_STR:
    case PL_N_CMP_NUM: return eval_cmp_const(ctx, n, out);
    case PL_N_LIKE_LIT: return eval_like_lit(ctx, n, out);
    case PL_N_GROUPKEY:
        if (!ctx->group_keys)
            return pl_eval_fail(ctx, n, PLUCK_E_INTERNAL_ERROR, "Group key evaluated per record");
        *out = ctx->group_keys[n->key];
        return PLUCK_OK;
    case PL_N_AGG:
        if (!ctx->agg_values)
            return pl_eval_fail(ctx, n, PLUCK_E_INTERNAL_ERROR, "Aggregate evaluated per record");
        *out = ctx->agg_values[n->agg];
        return PLUCK_OK;
    }
    return pl_eval_fail(ctx, n, PLUCK_E_INTERNAL_ERROR, "Unknown expression node");
}

/* ---- conditions ---------------------------------------------------------------------------
 * WHERE and HAVING only need TRUE / FALSE / unknown.  pl_eval_cond answers that for the
 * shapes filters are made of without building values: AND/OR/NOT short-circuit here, and
 * `column op 'text'` compares the field's bytes in place.  Everything else goes through
 * pl_eval, so results are identical by construction. */

static int cmp_truth(int op, int c)
{
    if (c == PL_NUM_UNORDERED)
        return op == PL_CMP_NE;
    switch (op) {
    case PL_CMP_EQ: return c == 0;
    case PL_CMP_NE: return c != 0;
    case PL_CMP_LT: return c < 0;
    case PL_CMP_LE: return c <= 0;
    case PL_CMP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* memcmp's sign for the short strings of field-vs-literal compares (dates, codes), inline:
 * eight bytes at a time, big-endian so the first differing byte decides. */
static inline int bytes_cmp(const char *a, const char *b, uint32_t m)
{
    uint32_t i = 0;
    for (; i + 8 <= m; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            x = __builtin_bswap64(x);
            y = __builtin_bswap64(y);
#endif
            return x < y ? -1 : 1;
        }
    }
    for (; i < m; i++)
        if (a[i] != b[i])
            return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
    return 0;
}

pluck_code pl_eval_cond(pl_eval_ctx *ctx, const pl_node *n, int *truth_out)
{
    pluck_code rc;
    int a, b;
    switch ((pl_node_op)n->op) {
    case PL_N_AND:
    case PL_N_OR: {
        bool is_and = n->op == PL_N_AND;
        if ((rc = pl_eval_cond(ctx, n->args[0], &a)))
            return rc;
        if (a == (is_and ? 0 : 1)) {
            *truth_out = a;
            return PLUCK_OK;
        }
        if ((rc = pl_eval_cond(ctx, n->args[1], &b)))
            return rc;
        if (b == (is_and ? 0 : 1))
            *truth_out = b;
        else
            *truth_out = (a == 2 || b == 2) ? 2 : a;
        return PLUCK_OK;
    }
    case PL_N_NOT:
        if ((rc = pl_eval_cond(ctx, n->args[0], &a)))
            return rc;
        *truth_out = a == 2 ? 2 : !a;
        return PLUCK_OK;
    case PL_N_CMP_STR:
        if (n->args[0]->op == PL_N_COL) {
            int32_t idx = ctx->colmap[n->args[0]->colref];
            if (idx < 0 || (uint32_t)idx >= ctx->nfields) {
                *truth_out = 2; /* MISSING compares unknown */
                return PLUCK_OK;
            }
            const pl_field *f = (const pl_field *)ctx->fields + idx;
            const pl_value *k = &n->args[1]->k;
            uint32_t m = f->len < k->u.s.len ? f->len : k->u.s.len;
            int c = bytes_cmp(f->p, k->u.s.p, m);
            if (!c)
                c = (f->len > k->u.s.len) - (f->len < k->u.s.len);
            *truth_out = cmp_truth(n->sub, c);
            return PLUCK_OK;
        }
        break;
    case PL_N_CMP_NUM: {
        pl_value x;
        if (cast_col_fast(ctx, n->args[0], &x)) {
            *truth_out = cmp_truth(n->sub, pl_num_cmp(&x, &n->args[1]->k));
            return PLUCK_OK;
        }
        break;
    }
    case PL_N_BETWEEN: {
        /* CAST(column AS ...) BETWEEN number AND number, the shape of range filters */
        const pl_node *lo = n->args[1], *hi = n->args[2];
        pl_value x;
        if (lo->op == PL_N_CONST && hi->op == PL_N_CONST && pl_v_numeric(&lo->k) &&
            pl_v_numeric(&hi->k) && cast_col_fast(ctx, n->args[0], &x)) {
            *truth_out = negated_truth(n, cmp_truth(PL_CMP_GE, pl_num_cmp(&x, &lo->k)) &&
                                                 cmp_truth(PL_CMP_LE, pl_num_cmp(&x, &hi->k)));
            return PLUCK_OK;
        }
        break;
    }
    default: break;
    }
    pl_value v;
    if ((rc = pl_eval(ctx, n, &v)))
        return rc;
    *truth_out = truth(&v);
    return PLUCK_OK;
}
