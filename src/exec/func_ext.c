/*
 * func_ext.c — the string functions pluck adds beyond S3 Select (with -X): CONCAT, REPLACE,
 * STRPOS / POSITION(sub IN s), LPAD, RPAD and REGEXP_MATCHES.  Their rows are in func.c's
 * one table (marked as extensions); they work on UTF-8 code points as CHAR_LENGTH and
 * SUBSTRING do.  REGEXP_MATCHES runs regex.c's linear-time engine.
 */
#include "exec/func_ext.h"

#include "exec/regex.h"

#include <string.h>

#define PAD_MAX (1u << 20) /* longest LPAD/RPAD result, in characters */

static bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* CONCAT(a, b, ...): the text of each argument, NULL and MISSING skipped (as PostgreSQL and
 * DuckDB); never NULL.  Unlike ||, numbers are welcome (their text). */
pluck_code pl_fn_concat(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                        pl_value *out)
{
    size_t total = 0;
    char tmp[PL_TEXT_MAX];
    const char *p;
    for (uint32_t i = 0; i < na; i++)
        if (!pl_v_absent(&a[i]))
            total += a[i].type == PL_STRING ? a[i].u.s.len : pl_value_text(&a[i], tmp, &p);
    if (total > UINT32_MAX / 2)
        return pl_fn_oom(ctx, n);
    char *s = pl_arena_alloc(ctx->scratch, total + 1);
    if (!s)
        return pl_fn_oom(ctx, n);
    size_t o = 0;
    for (uint32_t i = 0; i < na; i++) {
        if (pl_v_absent(&a[i]))
            continue;
        size_t len = pl_value_text(&a[i], tmp, &p);
        memcpy(s + o, p, len);
        o += len;
    }
    *out = pl_v_str(s, (uint32_t)o, false);
    return PLUCK_OK;
}

/* REPLACE(s, from, to): every non-overlapping occurrence, left to right; an empty `from`
 * leaves s as it is. */
pluck_code pl_fn_replace(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                         pl_value *out)
{
    if (pl_fn_null_if_absent(a, na, out))
        return PLUCK_OK;
    pluck_code rc = pl_fn_string_args(ctx, n, a, 3);
    if (rc)
        return rc;
    const char *s = a[0].u.s.p, *f = a[1].u.s.p, *t = a[2].u.s.p;
    size_t sl = a[0].u.s.len, fl = a[1].u.s.len, tl = a[2].u.s.len;
    if (fl == 0 || fl > sl) {
        *out = pl_v_str(s, (uint32_t)sl, false);
        return PLUCK_OK;
    }
    size_t count = 0;
    for (size_t i = 0; i + fl <= sl;) {
        if (!memcmp(s + i, f, fl)) {
            count++;
            i += fl;
        } else {
            i++;
        }
    }
    size_t total = sl - count * fl + count * tl;
    if (total > UINT32_MAX / 2)
        return pl_fn_oom(ctx, n);
    char *r = pl_arena_alloc(ctx->scratch, total + 1);
    if (!r)
        return pl_fn_oom(ctx, n);
    size_t o = 0;
    for (size_t i = 0; i < sl;) {
        if (i + fl <= sl && !memcmp(s + i, f, fl)) {
            memcpy(r + o, t, tl);
            o += tl;
            i += fl;
        } else {
            r[o++] = s[i++];
        }
    }
    *out = pl_v_str(r, (uint32_t)o, false);
    return PLUCK_OK;
}

/* STRPOS(s, sub) and POSITION(sub IN s) (the parser passes s first): the 1-based character
 * position of the first occurrence, 0 when there is none, 1 for an empty sub. */
pluck_code pl_fn_strpos(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                        pl_value *out)
{
    if (pl_fn_null_if_absent(a, na, out))
        return PLUCK_OK;
    pluck_code rc = pl_fn_string_args(ctx, n, a, 2);
    if (rc)
        return rc;
    const char *s = a[0].u.s.p, *f = a[1].u.s.p;
    size_t sl = a[0].u.s.len, fl = a[1].u.s.len;
    int64_t chars = 0;
    for (size_t i = 0; i + fl <= sl; i++) {
        if (is_cont((unsigned char)s[i]))
            continue;
        chars++;
        if (!fl || !memcmp(s + i, f, fl)) {
            *out = pl_v_int(chars);
            return PLUCK_OK;
        }
    }
    *out = pl_v_int(fl == 0 ? 1 : 0);
    return PLUCK_OK;
}

/* LPAD / RPAD(s, n [, fill]): s cut or padded with fill (default one space, repeated and cut
 * to fit) to n characters, as PostgreSQL; an empty fill cannot pad (s only cut). */
static pluck_code pad(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                      pl_value *out, bool left)
{
    if (pl_fn_null_if_absent(a, na, out))
        return PLUCK_OK;
    pluck_code rc = pl_fn_string_arg(ctx, n, &a[0]);
    if (!rc && na > 2)
        rc = pl_fn_string_arg(ctx, n, &a[2]);
    if (rc)
        return rc;
    pl_value num;
    if (!pl_value_as_number(&a[1], &num) || num.type != PL_INT)
        return pl_eval_fail(ctx, n, PLUCK_E_INCORRECT_SQL_FUNCTION_ARGUMENT_TYPE,
                            "Function %s expects an integer length", n->fn->name);
    if (num.u.i > (int64_t)PAD_MAX)
        return pl_eval_fail(ctx, n, PLUCK_E_ILLEGAL_SQL_FUNCTION_ARGUMENT,
                            "Function %s: a length above %u characters", n->fn->name, PAD_MAX);
    int64_t want = num.u.i < 0 ? 0 : num.u.i;
    const char *s = a[0].u.s.p;
    size_t sl = a[0].u.s.len;
    const char *f = na > 2 ? a[2].u.s.p : " ";
    size_t fl = na > 2 ? a[2].u.s.len : 1;
    int64_t have = pl_utf8_chars(s, sl);
    if (have >= want || fl == 0) {
        size_t cut = pl_utf8_offset(s, sl, want < have ? want : have);
        *out = pl_v_str(s, (uint32_t)cut, false);
        return PLUCK_OK;
    }
    int64_t need = want - have; /* fill characters */
    /* bytes of the fill: whole copies, then a prefix of need % count characters */
    int64_t fc = pl_utf8_chars(f, fl);
    size_t fill_bytes = (size_t)(need / fc) * fl + pl_utf8_offset(f, fl, need % fc);
    char *r = pl_arena_alloc(ctx->scratch, sl + fill_bytes + 1);
    if (!r)
        return pl_fn_oom(ctx, n);
    char *fp = left ? r : r + sl;
    memcpy(left ? r + fill_bytes : r, s, sl);
    size_t o = 0;
    while (o + fl <= fill_bytes) {
        memcpy(fp + o, f, fl);
        o += fl;
    }
    memcpy(fp + o, f, fill_bytes - o);
    *out = pl_v_str(r, (uint32_t)(sl + fill_bytes), false);
    return PLUCK_OK;
}

pluck_code pl_fn_lpad(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                      pl_value *out)
{
    return pad(ctx, n, a, na, out, true);
}

pluck_code pl_fn_rpad(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a, uint32_t na,
                      pl_value *out)
{
    return pad(ctx, n, a, na, out, false);
}

/* REGEXP_MATCHES(s, pattern): TRUE when the pattern matches somewhere in s (anchor with ^ and
 * $ for a whole match).  A constant pattern is compiled once by the binder (n->re). */
pluck_code pl_fn_regexp_matches(pl_eval_ctx *ctx, const pl_node *n, const pl_value *a,
                                uint32_t na, pl_value *out)
{
    if (pl_fn_null_if_absent(a, na, out))
        return PLUCK_OK;
    pluck_code rc = pl_fn_string_args(ctx, n, a, 2);
    if (rc)
        return rc;
    const pl_regex *re = n->re;
    pl_regex *own = NULL;
    if (!re) {
        char msg[160];
        own = pl_regex_compile(a[1].u.s.p, a[1].u.s.len, msg, sizeof msg);
        if (!own)
            return pl_eval_fail(ctx, n, PLUCK_E_ILLEGAL_SQL_FUNCTION_ARGUMENT,
                                "REGEXP_MATCHES: %s", msg);
        re = own;
    }
    int m = pl_regex_search(re, a[0].u.s.p, a[0].u.s.len);
    pl_regex_free(own);
    if (m < 0)
        return pl_fn_oom(ctx, n);
    *out = pl_v_bool(m == 1);
    return PLUCK_OK;
}
