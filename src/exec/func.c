/*
 * func.c — the one table of SQL functions (SQLite's func.c pattern): each row gives a
 * function's name, arity and implementation; aggregates are rows whose `agg` names their
 * kind (their arithmetic lives in agg.c).  bind.c looks names up here, so adding a function
 * is adding a row.
 */
#include "exec/func_ext.h"
#include "exec/program.h"
#include "exec/casemap.h"

#include <string.h>

pluck_code pl_fn_need_string(pl_eval_ctx *ctx, const pl_node *n, const pl_value *v)
{
    return pl_eval_fail(ctx, n, PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE,
                        "Function %s expects a string, got %s", n->fn->name,
                        pl_type_name((pl_type)v->type));
}

static bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* Most functions are NULL when any argument is NULL or MISSING. */
bool pl_fn_null_if_absent(const pl_value *a, uint32_t na, pl_value *out)
{
    for (uint32_t i = 0; i < na; i++)
        if (pl_v_absent(&a[i])) {
            *out = pl_v_null();
            return true;
        }
    return false;
}

int64_t pl_utf8_chars(const char *p, size_t len)
{
    int64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += !is_cont((unsigned char)p[i]);
    return n;
}

pluck_code pl_fn_oom(pl_eval_ctx *ctx, const pl_node *n)
{
    return pl_eval_fail(ctx, n, PLUCK_E_OUT_OF_MEMORY, "Out of memory");
}

static pluck_code fn_coalesce(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                              pl_value *out)
{
    for (uint32_t i = 0; i < na; i++)
        if (!pl_v_absent(&a[i])) {
            *out = a[i];
            return PLUCK_OK;
        }
    *out = pl_v_null();
    return PLUCK_OK;
}

static pluck_code fn_nullif(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                            pl_value *out)
{
    if (pl_v_absent(&a[0])) {
        *out = pl_v_null();
        return PLUCK_OK;
    }
    /* NULL exactly when a = b is TRUE, with the same rules as the = operator */
    *out = pl_compare(&a[0], &a[1]) == 0 ? pl_v_null() : a[0];
    return PLUCK_OK;
}

static pluck_code fn_char_length(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a,
                                 uint32_t na, pl_value *out)
{
    if (pl_v_absent(&a[0])) {
        *out = a[0];
        return PLUCK_OK;
    }
    if (a[0].type != PL_STRING)
        return pl_fn_need_string(ctx, n, &a[0]);
    *out = pl_v_int(pl_utf8_chars(a[0].u.s.p, a[0].u.s.len));
    return PLUCK_OK;
}

static pluck_code map_case(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, pl_value *out,
                           bool upper)
{
    if (pl_v_absent(&a[0])) {
        *out = a[0];
        return PLUCK_OK;
    }
    if (a[0].type != PL_STRING)
        return pl_fn_need_string(ctx, n, &a[0]);
    const unsigned char *p = (const unsigned char *)a[0].u.s.p;
    uint32_t len = a[0].u.s.len;
    /* a mapped character grows by at most one byte, and never from one byte (casemap.h):
     * twice the input is room */
    unsigned char *s = pl_arena_alloc(ctx->scratch, (size_t)len * 2 + 1);
    if (!s)
        return pl_eval_fail(ctx, n, PLUCK_E_OUT_OF_MEMORY, "Out of memory");
    uint32_t o = 0;
    for (uint32_t i = 0; i < len;) {
        unsigned char c = p[i];
        uint32_t cp, k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                                   : (c & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = k > 0 && i + k <= len;
        for (uint32_t j = 1; ok && j < k; j++)
            ok = is_cont(p[i + j]);
        if (!ok) { /* a stray byte (input past the checked prefix): unchanged */
            s[o++] = c;
            i++;
            continue;
        }
        cp = k == 1 ? c : c & (0x7F >> k);
        for (uint32_t j = 1; j < k; j++)
            cp = cp << 6 | (p[i + j] & 0x3F);
        i += k;
        cp = pl_case_map(cp, upper);
        if (cp < 0x80) {
            s[o++] = (unsigned char)cp;
        } else if (cp < 0x800) {
            s[o++] = (unsigned char)(0xC0 | (cp >> 6));
            s[o++] = (unsigned char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s[o++] = (unsigned char)(0xE0 | (cp >> 12));
            s[o++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            s[o++] = (unsigned char)(0x80 | (cp & 0x3F));
        } else {
            s[o++] = (unsigned char)(0xF0 | (cp >> 18));
            s[o++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            s[o++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            s[o++] = (unsigned char)(0x80 | (cp & 0x3F));
        }
    }
    *out = pl_v_str((const char *)s, o, false);
    return PLUCK_OK;
}

static pluck_code fn_lower(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                           pl_value *out)
{
    return map_case(ctx, n, a, out, false);
}

static pluck_code fn_upper(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                           pl_value *out)
{
    return map_case(ctx, n, a, out, true);
}

bool pl_fn_int_arg(const pl_value *v, int64_t *out)
{
    pl_value x;
    if (!pl_value_as_number(v, &x))
        return false;
    if (x.type == PL_INT) {
        *out = x.u.i;
        return true;
    }
    double f = pl_to_double(&x); /* clamp: a cast of an out-of-range double is undefined */
    if (f != f)
        return false;
    *out = f >= 9.2e18 ? INT64_MAX : f <= -9.2e18 ? INT64_MIN : (int64_t)f;
    return true;
}

/* Byte offset of the code point with 0-based index k (clamped to len). */
size_t pl_utf8_offset(const char *p, size_t len, int64_t k)
{
    size_t i = 0;
    while (i < len && k > 0) {
        i++;
        while (i < len && is_cont((unsigned char)p[i]))
            i++;
        k--;
    }
    return i;
}

/* SUBSTRING with the SQL-standard window: characters [start, start+len-1] clipped to
 * [1, char_length]; without len, from max(start, 1). */
static pluck_code fn_substring(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                               pl_value *out)
{
    if (pl_fn_null_if_absent(a, na, out))
        return PLUCK_OK;
    if (a[0].type != PL_STRING)
        return pl_fn_need_string(ctx, n, &a[0]);
    int64_t start, len = 0;
    if (!pl_fn_int_arg(&a[1], &start) || (na > 2 && !pl_fn_int_arg(&a[2], &len)))
        return pl_eval_fail(ctx, n, PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE,
                            "SUBSTRING positions must be integers");
    if (na > 2 && len < 0)
        return pl_eval_fail(ctx, n, PLUCK_E_ILLEGAL_SQL_FUNCTION_ARGUMENT,
                            "SUBSTRING length must not be negative");
    int64_t total = pl_utf8_chars(a[0].u.s.p, a[0].u.s.len);
    int64_t from = start < 1 ? 1 : start;
    int64_t to = total; /* inclusive, 1-based */
    if (na > 2) {
        int64_t end = start > INT64_MAX - len ? INT64_MAX : start + len - 1;
        if (end < to)
            to = end;
    }
    if (from > to) {
        *out = pl_v_str("", 0, false);
        return PLUCK_OK;
    }
    uint32_t b0 = (uint32_t)pl_utf8_offset(a[0].u.s.p, a[0].u.s.len, from - 1);
    uint32_t b1 = (uint32_t)pl_utf8_offset(a[0].u.s.p, a[0].u.s.len, to);
    *out = pl_v_str(a[0].u.s.p + b0, b1 - b0, false);
    return PLUCK_OK;
}

static bool in_set(const char *set, uint32_t setlen, const char *p, uint32_t cl)
{
    for (uint32_t i = 0; i + cl <= setlen;) {
        uint32_t l = 1;
        while (i + l < setlen && is_cont((unsigned char)set[i + l]))
            l++;
        if (l == cl && !memcmp(set + i, p, cl))
            return true;
        i += l;
    }
    return false;
}

/* TRIM([LEADING|TRAILING|BOTH] [chars] FROM s): chars is a set of characters; default " ". */
static pluck_code fn_trim(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                          pl_value *out)
{
    if (pl_fn_null_if_absent(a, na, out))
        return PLUCK_OK;
    if (a[0].type != PL_STRING)
        return pl_fn_need_string(ctx, n, &a[0]);
    if (na > 1 && a[1].type != PL_STRING)
        return pl_fn_need_string(ctx, n, &a[1]);
    const char *set = na > 1 ? a[1].u.s.p : " ";
    uint32_t setlen = na > 1 ? a[1].u.s.len : 1;
    const char *p = a[0].u.s.p;
    uint32_t b = 0, e = a[0].u.s.len;
    bool lead = n->form != PL_FORM_TRIM_TRAILING, trail = n->form != PL_FORM_TRIM_LEADING;
    while (lead && b < e) {
        uint32_t l = 1;
        while (b + l < e && is_cont((unsigned char)p[b + l]))
            l++;
        if (!in_set(set, setlen, p + b, l))
            break;
        b += l;
    }
    while (trail && e > b) {
        uint32_t s = e - 1;
        while (s > b && is_cont((unsigned char)p[s]))
            s--;
        if (!in_set(set, setlen, p + s, e - s))
            break;
        e = s;
    }
    *out = pl_v_str(p + b, e - b, false);
    return PLUCK_OK;
}

/* ---- date and time ------------------------------------------------------------------- */

static pluck_code need_ts(pl_eval_ctx *ctx, const pl_node *n, const pl_value *v, pl_ts *out)
{
    if (pl_value_as_ts(v, out))
        return PLUCK_OK;
    return pl_eval_fail(ctx, n, PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE,
                        "Function %s expects a timestamp, got %s", n->fn->name,
                        pl_type_name((pl_type)v->type));
}

static pluck_code fn_utcnow(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                            pl_value *out)
{
    pl_ts t = pl_ts_now();
    *out = pl_v_ts(&t);
    return PLUCK_OK;
}

static pluck_code fn_to_timestamp(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a,
                                  uint32_t na, pl_value *out)
{
    if (pl_fn_null_if_absent(a, na, out))
        return PLUCK_OK;
    if (a[0].type != PL_STRING || (na > 1 && a[1].type != PL_STRING))
        return pl_fn_need_string(ctx, n, a[0].type != PL_STRING ? &a[0] : &a[1]);
    pl_ts t;
    if (na == 1) {
        if (!pl_ts_parse(a[0].u.s.p, a[0].u.s.len, &t))
            return pl_eval_fail(ctx, n, PLUCK_E_VALUE_PARSE_FAILURE,
                                "'%.*s' is not a timestamp",
                                (int)(a[0].u.s.len > 60 ? 60 : a[0].u.s.len), a[0].u.s.p);
    } else {
        char msg[200] = "";
        pluck_code rc = pl_ts_parse_pattern(a[0].u.s.p, a[0].u.s.len, a[1].u.s.p, a[1].u.s.len,
                                            &t, msg);
        if (rc == PLUCK_E_CAST_FAILED) /* the text, not the pattern, is wrong */
            rc = PLUCK_E_VALUE_PARSE_FAILURE;
        if (rc)
            return pl_eval_fail(ctx, n, rc, "%s", msg);
    }
    *out = pl_v_ts(&t);
    return PLUCK_OK;
}

static pluck_code fn_to_string(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                               pl_value *out)
{
    if (pl_v_absent(&a[0]) || pl_v_absent(&a[1])) {
        *out = pl_v_null();
        return PLUCK_OK;
    }
    pl_ts t;
    pluck_code rc = need_ts(ctx, n, &a[0], &t);
    if (rc)
        return rc;
    if (a[1].type != PL_STRING)
        return pl_fn_need_string(ctx, n, &a[1]);
    pl_buf b = {0};
    char msg[200] = "";
    rc = pl_ts_to_string(&t, a[1].u.s.p, a[1].u.s.len, &b, msg);
    if (!rc) {
        char *s = pl_arena_strndup(ctx->scratch, b.data ? b.data : "", b.len);
        if (!s)
            rc = PLUCK_E_OUT_OF_MEMORY;
        else
            *out = pl_v_str(s, (uint32_t)b.len, false);
    }
    pl_buf_free(&b);
    return rc ? pl_eval_fail(ctx, n, rc, "%s", msg[0] ? msg : "TO_STRING failed") : PLUCK_OK;
}

static pluck_code fn_extract(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                             pl_value *out)
{
    if (pl_v_absent(&a[0])) {
        *out = pl_v_null();
        return PLUCK_OK;
    }
    pl_ts t;
    int64_t v;
    pluck_code rc = need_ts(ctx, n, &a[0], &t);
    if (rc)
        return rc;
    if (!pl_ts_extract(&t, n->datepart, &v))
        return pl_eval_fail(ctx, n, PLUCK_E_EVALUATOR_INVALID_ARGUMENTS,
                            "EXTRACT cannot take this part from a timestamp");
    *out = pl_v_int(v);
    return PLUCK_OK;
}

static pluck_code fn_date_add(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                              pl_value *out)
{
    if (pl_v_absent(&a[0]) || pl_v_absent(&a[1])) {
        *out = pl_v_null();
        return PLUCK_OK;
    }
    int64_t q;
    pl_ts t, r;
    pl_value num;
    if (!pl_value_as_number(&a[0], &num) || num.type != PL_INT)
        return pl_eval_fail(ctx, n, PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE,
                            "DATE_ADD expects an integer quantity");
    q = num.u.i;
    pluck_code rc = need_ts(ctx, n, &a[1], &t);
    if (!rc)
        rc = pl_ts_add(&t, n->datepart, q, &r);
    if (rc)
        return rc == PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE
                   ? rc
                   : pl_eval_fail(ctx, n, rc, "DATE_ADD result is out of range");
    *out = pl_v_ts(&r);
    return PLUCK_OK;
}

static pluck_code fn_date_diff(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                               pl_value *out)
{
    if (pl_v_absent(&a[0]) || pl_v_absent(&a[1])) {
        *out = pl_v_null();
        return PLUCK_OK;
    }
    pl_ts x, y;
    int64_t d;
    pluck_code rc = need_ts(ctx, n, &a[0], &x);
    if (!rc)
        rc = need_ts(ctx, n, &a[1], &y);
    if (rc)
        return rc;
    if ((rc = pl_ts_diff(&x, &y, n->datepart, &d)))
        return pl_eval_fail(ctx, n, rc, "DATE_DIFF failed");
    *out = pl_v_int(d);
    return PLUCK_OK;
}

static const pl_func func_table[] = {
    /* name                min max  agg            impl  ext */
    {"avg", 1, 1, PL_AGG_AVG, NULL, 0},
    {"char_length", 1, 1, -1, fn_char_length, 0},
    {"character_length", 1, 1, -1, fn_char_length, 0},
    {"coalesce", 1, 32, -1, fn_coalesce, 0},
    {"count", 1, 1, PL_AGG_COUNT, NULL, 0},
    {"date_add", 2, 2, -1, fn_date_add, 0},
    {"date_diff", 2, 2, -1, fn_date_diff, 0},
    {"extract", 1, 1, -1, fn_extract, 0},
    {"lower", 1, 1, -1, fn_lower, 0},
    {"max", 1, 1, PL_AGG_MAX, NULL, 0},
    {"min", 1, 1, PL_AGG_MIN, NULL, 0},
    {"nullif", 2, 2, -1, fn_nullif, 0},
    {"substring", 2, 3, -1, fn_substring, 0},
    {"sum", 1, 1, PL_AGG_SUM, NULL, 0},
    {"to_string", 2, 2, -1, fn_to_string, 0},
    {"to_timestamp", 1, 2, -1, fn_to_timestamp, 0},
    {"trim", 1, 2, -1, fn_trim, 0},
    {"upper", 1, 1, -1, fn_upper, 0},
    {"utcnow", 0, 0, -1, fn_utcnow, 0},
    /* pluck extensions (-X): func_ext.c, func_num.c */
    {"abs", 1, 1, -1, pl_fn_abs, 1},
    {"ceil", 1, 1, -1, pl_fn_ceil, 1},
    {"ceiling", 1, 1, -1, pl_fn_ceil, 1},
    {"concat", 1, 32, -1, pl_fn_concat, 1},
    {"floor", 1, 1, -1, pl_fn_floor, 1},
    {"lpad", 2, 3, -1, pl_fn_lpad, 1},
    {"position", 2, 2, -1, pl_fn_strpos, 1}, /* POSITION(sub IN s): the parser passes s, sub */
    {"regexp_matches", 2, 2, -1, pl_fn_regexp_matches, 1},
    {"replace", 3, 3, -1, pl_fn_replace, 1},
    {"round", 1, 2, -1, pl_fn_round, 1},
    {"rpad", 2, 3, -1, pl_fn_rpad, 1},
    {"strpos", 2, 2, -1, pl_fn_strpos, 1},
};

const pl_func *pl_func_find(const char *lower_name)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(func_table); i++)
        if (!strcmp(func_table[i].name, lower_name))
            return &func_table[i];
    return NULL;
}
