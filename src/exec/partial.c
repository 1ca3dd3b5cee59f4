/*
 * partial.c — partial aggregates: a run's state written as text instead of its result
 * (pluck_run_set_partial), and pluck_merge, which reads any number of such partials of one
 * query and writes the result a single run over all their inputs would have written.
 *
 * The text format is documented in man/pluck-partial.5 (version 2):
 *
 *   pluck-partial 2
 *   sql <escaped SQL text>
 *   param <cli-name> <escaped value>        one per parameter of the table (not threads,
 *                                           max-memory, temp-dir)
 *   shape groups <nkeys> <naggs> <kind>...  (an aggregate query)
 *   shape sorted <nkeys>                    (ORDER BY without aggregates)
 *   g <key>... (<count> <acc>)...           one line per group, in order of first appearance
 *   r <key>... <escaped row>                one line per top-n candidate, in order
 *   end <number of g/r lines>
 *
 * A value token is its type letter and its exact contents: m (MISSING), n (NULL), b0/b1,
 * i<int>, d<coefficient>:<scale> (DECIMAL), f<16 hex digits: the IEEE-754 bits> (FLOAT),
 * s<escaped> (STRING), u<escaped> (a CSV field's text, untyped), t<Ion text> (TIMESTAMP);
 * `-` is an aggregate with no value yet.  SUM and AVG add a third token: x<fsum text> (the
 * exact sum of their FLOAT values, fsum.h) or `-`.  Escaping turns %, bytes below 0x21 and 0x7F into
 * %XX, so tokens never hold a space or a newline.
 *
 * Why the merge is exact: a partial keeps what the run would have folded its later rows
 * into (counts, exact INT/DECIMAL sums, AVG as sum and count, MIN/MAX values with their
 * original text, groups in first-seen order, top-n rows in order with their sort keys); the
 * merge folds partials in the order given with the same pl_agg_merge the lanes use, and then
 * ends an ordinary run, so HAVING, ORDER BY, LIMIT and the writers are the run's own.
 */
#include "commit/commit.h"
#include "exec/fsum.h"
#include "run/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARTIAL_VERSION 2

static const char *const agg_names[] = {"count_star", "count", "sum", "avg", "min", "max"};

/* SUM and AVG carry a third token: the exact sum of their FLOAT values (fsum.h). */
static bool has_fsum(const pl_aggregate *a)
{
    return a->kind == PL_AGG_SUM || a->kind == PL_AGG_AVG;
}

/* ---- tokens ------------------------------------------------------------------------------ */

static bool put(pl_buf *b, const char *s) { return pl_buf_append(b, s, strlen(s)); }

static bool put_escaped(pl_buf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!pl_buf_reserve(b, 3 * n))
        return false;
    char *o = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c == '%' || c == 0x7F) {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    b->len = (size_t)(o - b->data);
    return true;
}

static bool put_i128(pl_buf *b, pl_i128 c)
{
    char out[48];
    return pl_buf_append(b, out, pl_i128_text(c, 0, out));
}

static bool put_value(pl_buf *b, const pl_value *v)
{
    char tmp[PL_TEXT_MAX];
    switch (v->type) {
    case PL_MISSING: return put(b, "m");
    case PL_NULL: return put(b, "n");
    case PL_BOOL: return put(b, v->u.b ? "b1" : "b0");
    case PL_INT: snprintf(tmp, sizeof tmp, "i%lld", (long long)v->u.i); return put(b, tmp);
    case PL_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &v->u.f, sizeof bits);
        snprintf(tmp, sizeof tmp, "f%016llx", (unsigned long long)bits);
        return put(b, tmp);
    }
    case PL_DECIMAL:
        snprintf(tmp, sizeof tmp, ":%d", (int)v->scale);
        return put(b, "d") && put_i128(b, v->u.d) && put(b, tmp);
    case PL_STRING:
        return put(b, v->untyped ? "u" : "s") && put_escaped(b, v->u.s.p, v->u.s.len);
    case PL_TIMESTAMP: {
        char ts[64];
        size_t n = pl_ts_format(&v->u.ts, ts);
        return put(b, "t") && pl_buf_append(b, ts, n);
    }
    }
    return false;
}

/* The shape line of a query's partial (also what the merge expects of its partials). */
static bool put_shape(pl_buf *b, const pluck_query *q)
{
    char tmp[64];
    if (!q->is_aggregate) {
        snprintf(tmp, sizeof tmp, "shape sorted %u", (unsigned)q->norder_by);
        return put(b, tmp);
    }
    snprintf(tmp, sizeof tmp, "shape groups %u %u", (unsigned)q->ngroup_by, (unsigned)q->naggs);
    if (!put(b, tmp))
        return false;
    for (uint32_t a = 0; a < q->naggs; a++)
        if (!put(b, " ") || !put(b, agg_names[q->aggs[a].kind]))
            return false;
    return true;
}

/* The lines every partial of a query begins with, up to and including the shape. */
static bool put_header(pl_buf *b, const pluck_query *q)
{
    char v[64];
    if (!put(b, "sql ") || !put_escaped(b, q->sql, q->sql_len) || !put(b, "\n"))
        return false;
    for (int i = 0; i < PLUCK_PARAM_COUNT; i++) {
        if (i == PLUCK_PARAM_THREADS || i == PLUCK_PARAM_MAX_MEMORY || i == PLUCK_PARAM_TEMP_DIR)
            continue; /* how the run was done, not what it answers; a merge elsewhere spills
                       * to its own temporary directory, never to one a partial names */
        size_t n = pluck_params_get(&q->params, (pluck_param)i, v, sizeof v);
        if (n >= sizeof v)
            return false;
        if (!put(b, "param ") || !put(b, pluck_param_get_info((pluck_param)i)->cli_name) ||
            !put(b, " ") || !put_escaped(b, v, n) || !put(b, "\n"))
            return false;
    }
    return put_shape(b, q) && put(b, "\n");
}

/* ---- writing: the run's end in partial mode ----------------------------------------------- */

pluck_code pluck_run_set_partial(pluck_run *r)
{
    if (!r)
        return PLUCK_E_INVALID_REQUEST_PARAMETER;
    const pluck_query *q = r->q;
    if (!q->is_aggregate && !q->norder_by)
        return pl_commit_fail(&r->c, PLUCK_E_UNSUPPORTED_SQL_OPERATION,
                              "A partial result needs an aggregate query (COUNT, SUM, AVG, MIN, "
                              "MAX, GROUP BY) or ORDER BY; the results of a filter can simply "
                              "be concatenated.");
    if (q->has_distinct_aggs || (!q->is_aggregate && q->distinct_rows))
        return pl_commit_fail(&r->c, PLUCK_E_UNSUPPORTED_SQL_OPERATION,
                              "DISTINCT has no partial form (the sets of values seen would have "
                              "to travel): run the query over the whole input.");
    if (q->params.output_header)
        return pl_commit_fail(&r->c, PLUCK_E_UNSUPPORTED_SQL_OPERATION,
                              "A partial has no OUTPUT_HEADER record (its names may come from "
                              "the input's header row).");
    r->x->partial = true;
    return PLUCK_OK;
}

static pluck_code oom(pl_exec *x) { return pl_exec_fail(x, PLUCK_E_OUT_OF_MEMORY, "Out of memory."); }

/* Hand the output buffer to the committer once it is large, as rows are. */
static pluck_code maybe_flush(pl_exec *x)
{
    if (x->out.buf.len < PL_FLUSH_AT || !x->sink)
        return PLUCK_OK;
    pluck_code rc = pl_commit_write(x->sink, &x->out.buf);
    return rc ? (x->state = rc) : PLUCK_OK; /* the committer holds the error */
}

pluck_code pl_partial_write(pl_exec *x)
{
    const pluck_query *q = x->q;
    pl_buf *b = &x->out.buf;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "pluck-partial %d\n", PARTIAL_VERSION);
    if (!put(b, tmp) || !put_header(b, q))
        return oom(x);
    uint64_t lines = 0;
    if (q->is_aggregate) {
        size_t n = pl_groups_count(x->groups);
        for (size_t i = 0; i < n; i++, lines++) {
            const pl_group *g = pl_groups_at(x->groups, i);
            if (!put(b, "g"))
                return oom(x);
            for (uint32_t k = 0; k < q->ngroup_by; k++)
                if (!put(b, " ") || !put_value(b, &g->keys[k]))
                    return oom(x);
            for (uint32_t a = 0; a < q->naggs; a++) {
                const pl_agg_state *st = &g->aggs[a];
                snprintf(tmp, sizeof tmp, " %llu ", (unsigned long long)st->count);
                if (!put(b, tmp) || !(st->any ? put_value(b, &st->acc) : put(b, "-")))
                    return oom(x);
                if (has_fsum(&q->aggs[a])) { /* the exact sum of its FLOAT values */
                    char fs[PL_FSUM_TEXT_MAX];
                    if (!put(b, " ") || !(st->fsum ? put(b, "x") && pl_buf_append(
                                                         b, fs, pl_fsum_text(st->fsum, fs))
                                                   : put(b, "-")))
                        return oom(x);
                }
            }
            if (!put(b, "\n"))
                return oom(x);
            if (maybe_flush(x))
                return x->state;
        }
    } else {
        /* ORDER BY: the rows the sorter kept (its LIMIT), in order, with their keys */
        pluck_code rc = pl_sorter_finish(x->topn);
        for (; !rc; lines++) {
            const char *row;
            size_t len;
            if ((rc = pl_sorter_next_keyed(x->topn, x->keys, &row, &len)))
                break;
            if (!put(b, "r"))
                return oom(x);
            for (uint32_t k = 0; k < q->norder_by; k++)
                if (!put(b, " ") || !put_value(b, &x->keys[k]))
                    return oom(x);
            if (!put(b, " ") || !put_escaped(b, row, len) || !put(b, "\n"))
                return oom(x);
            if (maybe_flush(x))
                return x->state;
        }
        if (pluck_is_error(rc))
            return pl_exec_fail(x, rc, "%s", pl_sorter_message(x->topn));
    }
    snprintf(tmp, sizeof tmp, "end %llu\n", (unsigned long long)lines);
    if (!put(b, tmp))
        return oom(x);
    return PLUCK_OK;
}

/* ---- reading: pluck_merge ------------------------------------------------------------------ */

struct pluck_merge {
    pluck_write_fn write;
    void *wop;
    pluck_error err;
    pluck_code state;
    pl_buf line;        /* the line being gathered */
    uint64_t lineno;    /* of the whole merge input, for messages */
    uint64_t npartials; /* partials completed */
    bool in_partial;
    bool in_header;     /* between "pluck-partial" and "shape" */
    uint64_t body_lines;
    pl_buf hdr;         /* the first partial's header lines, which every other must repeat */
    pl_buf cur;         /* the current partial's header lines */
    pluck_query *q;
    pluck_run *r;
    pl_value *keys;
    pl_buf strs;        /* unescaped strings of the current line */
    pl_fsum *fs;        /* a FLOAT sum read from the current line */
};

pluck_merge *pluck_merge_create(pluck_write_fn write, void *opaque)
{
    pluck_merge *m = calloc(1, sizeof *m);
    if (m) {
        m->write = write;
        m->wop = opaque;
    }
    return m;
}

void pluck_merge_free(pluck_merge *m)
{
    if (!m)
        return;
    pluck_run_free(m->r);
    pluck_query_free(m->q);
    free(m->keys);
    pl_buf_free(&m->line);
    pl_buf_free(&m->hdr);
    pl_buf_free(&m->cur);
    pl_buf_free(&m->strs);
    pl_fsum_free(m->fs);
    free(m);
}

const pluck_error *pluck_merge_error(const pluck_merge *m)
{
    if (m->r && m->err.code == PLUCK_OK)
        return pluck_run_error(m->r);
    return &m->err;
}

static pluck_code bad(pluck_merge *m, pluck_code code, const char *what)
{
    if (!pluck_is_error(m->state)) {
        pl_error_set(&m->err, code, "Partial aggregate, line %llu: %s",
                     (unsigned long long)m->lineno, what);
        m->state = code;
    }
    return m->state;
}

static pluck_code malformed(pluck_merge *m, const char *what)
{
    return bad(m, PLUCK_E_INVALID_DATA_SOURCE, what);
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
         : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Unescape p[0..n) onto the end of m->strs (room reserved per line); NULL when malformed. */
static const char *unescape(pluck_merge *m, const char *p, size_t n, uint32_t *len)
{
    char *start = m->strs.data + m->strs.len, *o = start;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '%') {
            *o++ = p[i];
            continue;
        }
        if (i + 2 >= n)
            return NULL;
        int h = hexval((unsigned char)p[i + 1]), l = hexval((unsigned char)p[i + 2]);
        if (h < 0 || l < 0)
            return NULL;
        *o++ = (char)(h << 4 | l);
        i += 2;
    }
    *len = (uint32_t)(o - start);
    m->strs.len += *len;
    return start;
}

static bool parse_u64(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool parse_i128(const char *p, size_t n, pl_i128 *out)
{
    bool neg = n && p[0] == '-';
    size_t i = neg;
    if (i == n || n - i > PL_DEC_MAX_DIGITS)
        return false;
    unsigned __int128 v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = neg ? -(pl_i128)v : (pl_i128)v;
    return true;
}

static bool parse_value(pluck_merge *m, const char *p, size_t n, pl_value *v)
{
    if (n == 0)
        return false;
    const char *s = p + 1;
    size_t sn = n - 1;
    switch (p[0]) {
    case 'm': *v = pl_v_missing(); return sn == 0;
    case 'n': *v = pl_v_null(); return sn == 0;
    case 'b':
        *v = pl_v_bool(sn == 1 && s[0] == '1');
        return sn == 1 && (s[0] == '0' || s[0] == '1');
    case 'i': {
        bool neg = sn && s[0] == '-';
        uint64_t u;
        if (!parse_u64(s + neg, sn - neg, &u) || u > (uint64_t)INT64_MAX + neg)
            return false;
        *v = pl_v_int(neg ? (int64_t)(0 - u) : (int64_t)u);
        return true;
    }
    case 'f': {
        uint64_t bits = 0;
        if (sn != 16)
            return false;
        for (size_t i = 0; i < 16; i++) {
            int h = hexval((unsigned char)s[i]);
            if (h < 0)
                return false;
            bits = bits << 4 | (uint64_t)h;
        }
        double f;
        memcpy(&f, &bits, sizeof f);
        *v = pl_v_float(f);
        return true;
    }
    case 'd': {
        const char *colon = memchr(s, ':', sn);
        pl_i128 c;
        uint64_t scale;
        if (!colon || !parse_i128(s, (size_t)(colon - s), &c) ||
            !parse_u64(colon + 1, sn - (size_t)(colon + 1 - s), &scale) ||
            scale > PL_DEC_MAX_DIGITS)
            return false;
        *v = pl_decimal_make(c, (int32_t)scale);
        return true;
    }
    case 's':
    case 'u': {
        uint32_t len;
        const char *t = unescape(m, s, sn, &len);
        if (!t)
            return false;
        *v = pl_v_str(t, len, p[0] == 'u');
        return true;
    }
    case 't': {
        pl_ts ts;
        if (!pl_ts_parse(s, sn, &ts))
            return false;
        *v = pl_v_ts(&ts);
        return true;
    }
    default: return false;
    }
}

/* Next space-separated token of the line from *pos; false at the end. */
static bool token(const pl_buf *line, size_t *pos, const char **p, size_t *n)
{
    if (*pos >= line->len)
        return false;
    const char *s = line->data + *pos;
    const char *e = memchr(s, ' ', line->len - *pos);
    *n = e ? (size_t)(e - s) : line->len - *pos;
    *p = s;
    *pos += *n + 1;
    return true;
}

/* The first partial's header is complete: compile its query and start the run. */
static pluck_code start_query(pluck_merge *m)
{
    pluck_params *params = pluck_params_create();
    if (!params)
        return bad(m, PLUCK_E_OUT_OF_MEMORY, "out of memory");
    pl_buf sql = {0};
    size_t pos = 0;
    pluck_code rc = PLUCK_OK;
    /* m->cur holds the header lines, each ending with \n */
    while (pos < m->cur.len && rc == PLUCK_OK) {
        const char *ls = m->cur.data + pos, *le = memchr(ls, '\n', m->cur.len - pos);
        size_t ln = (size_t)(le - ls);
        pos += ln + 1;
        if (ln > 4 && !memcmp(ls, "sql ", 4)) {
            if (!pl_buf_reserve(&m->strs, ln)) {
                rc = bad(m, PLUCK_E_OUT_OF_MEMORY, "out of memory");
                break;
            }
            uint32_t n;
            const char *t = unescape(m, ls + 4, ln - 4, &n);
            if (!t || !pl_buf_append(&sql, t, n))
                rc = malformed(m, "bad sql line");
        } else if (ln > 6 && !memcmp(ls, "param ", 6)) {
            const char *name = ls + 6, *sp = memchr(name, ' ', ln - 6);
            if (!sp) {
                rc = malformed(m, "bad param line");
                break;
            }
            char nm[64];
            size_t nl = (size_t)(sp - name);
            if (nl >= sizeof nm || !pl_buf_reserve(&m->strs, ln)) {
                rc = malformed(m, "bad param line");
                break;
            }
            memcpy(nm, name, nl);
            nm[nl] = '\0';
            pluck_param id = pluck_param_find(nm);
            uint32_t vn;
            const char *val = unescape(m, sp + 1, (size_t)(ls + ln - sp - 1), &vn);
            pluck_error e;
            if (id == PLUCK_PARAM_COUNT || strcmp(pluck_param_get_info(id)->cli_name, nm))
                rc = malformed(m, "unknown parameter (a partial from a newer pluck?)");
            else if (!val || pluck_params_set(params, id, val, vn, &e) != PLUCK_OK)
                rc = malformed(m, "bad parameter value");
        }
        m->strs.len = 0;
    }
    if (rc == PLUCK_OK) {
        pluck_error e;
        m->q = pluck_query_compile(sql.data ? sql.data : "", sql.len, params, &e);
        if (!m->q) {
            m->err = e;
            rc = m->state = e.code;
        }
    }
    pl_buf_free(&sql);
    pluck_params_free(params);
    if (rc)
        return rc;
    if ((!m->q->is_aggregate && !m->q->norder_by) || m->q->has_distinct_aggs ||
        (!m->q->is_aggregate && m->q->distinct_rows) || m->q->params.output_header)
        return malformed(m, "the query has no partial form");
    pl_buf shape = {0};
    bool ok = put_header(&shape, m->q);
    /* the header this pluck writes for that query must be the one read: same version of
     * the parameter table, same aggregates */
    if (!ok || shape.len != m->cur.len || memcmp(shape.data, m->cur.data, shape.len)) {
        pl_buf_free(&shape);
        return malformed(m, "the header does not match its query (another pluck version?)");
    }
    pl_buf_free(&shape);
    uint32_t nk = m->q->is_aggregate ? m->q->ngroup_by : m->q->norder_by;
    m->keys = calloc(nk ? nk : 1, sizeof *m->keys);
    m->fs = pl_fsum_create();
    m->r = pluck_run_create(m->q, m->write, m->wop);
    if (!m->keys || !m->fs || !m->r)
        return bad(m, PLUCK_E_OUT_OF_MEMORY, "out of memory");
    return PLUCK_OK;
}

/* A "g" or "r" line of the body. */
static pluck_code body_line(pluck_merge *m, size_t pos)
{
    const pluck_query *q = m->q;
    bool group = m->line.data[0] == 'g';
    if (group != q->is_aggregate)
        return malformed(m, "a line of the wrong kind for this query");
    if (!pl_buf_reserve(&m->strs, m->line.len))
        return bad(m, PLUCK_E_OUT_OF_MEMORY, "out of memory");
    uint32_t nk = group ? q->ngroup_by : q->norder_by;
    const char *p;
    size_t n;
    for (uint32_t k = 0; k < nk; k++)
        if (!token(&m->line, &pos, &p, &n) || !parse_value(m, p, n, &m->keys[k]))
            return malformed(m, "bad key");
    if (!group) {
        /* a top-n candidate: into the run's sorter, after those of earlier partials, so
         * equal keys keep input order */
        uint32_t len;
        const char *row;
        if (!token(&m->line, &pos, &p, &n) || pos < m->line.len ||
            !(row = unescape(m, p, n, &len)))
            return malformed(m, "bad row");
        pl_exec *x = m->r->x;
        pluck_code rc = pl_sorter_add(x->topn, m->keys, row, len);
        if (rc)
            return bad(m, rc, pl_sorter_message(x->topn));
        return PLUCK_OK;
    }
    pl_group *g = m->r->x->single;
    if (nk) {
        pluck_code rc = pl_groups_find(m->r->x->groups, m->keys, &g);
        if (rc == PLUCK_E_TOO_MANY_GROUPS)
            return bad(m, rc, "more groups than max-groups: raise max-groups");
        if (rc)
            return bad(m, rc, "out of memory");
    }
    for (uint32_t a = 0; a < q->naggs; a++) {
        pl_agg_state from = {0};
        if (!token(&m->line, &pos, &p, &n) || !parse_u64(p, n, &from.count) ||
            !token(&m->line, &pos, &p, &n))
            return malformed(m, "bad aggregate state");
        if (!(n == 1 && p[0] == '-')) {
            if (!parse_value(m, p, n, &from.acc))
                return malformed(m, "bad aggregate value");
            from.any = true;
        }
        if (has_fsum(&q->aggs[a])) {
            if (!token(&m->line, &pos, &p, &n))
                return malformed(m, "bad aggregate state (no FLOAT sum)");
            if (!(n == 1 && p[0] == '-')) {
                if (n < 2 || p[0] != 'x' || !pl_fsum_parse(m->fs, p + 1, n - 1))
                    return malformed(m, "bad FLOAT sum");
                from.fsum = m->fs;
            }
        }
        pluck_code rc = pl_agg_merge(&q->aggs[a], &g->aggs[a], &from);
        if (rc)
            return bad(m, rc, rc == PLUCK_E_OUT_OF_MEMORY ? "out of memory"
                                                          : "the merged sum overflows");
    }
    if (pos < m->line.len)
        return malformed(m, "extra tokens after the aggregates");
    return PLUCK_OK;
}

static pluck_code take_line(pluck_merge *m)
{
    pl_buf *l = &m->line;
    m->lineno++;
    m->strs.len = 0;
    size_t pos = 0;
    const char *p;
    size_t n;
    if (!m->in_partial) {
        char want[32];
        int wn = snprintf(want, sizeof want, "pluck-partial %d", PARTIAL_VERSION);
        if (l->len > 14 && !memcmp(l->data, "pluck-partial ", 14) &&
            !(l->len == (size_t)wn && !memcmp(l->data, want, (size_t)wn)))
            return malformed(m, "unsupported partial format version");
        if (!(l->len == (size_t)wn && !memcmp(l->data, want, (size_t)wn)))
            return malformed(m, "not a pluck partial (it begins with \"pluck-partial 2\")");
        m->in_partial = m->in_header = true;
        m->body_lines = 0;
        m->cur.len = 0;
        return PLUCK_OK;
    }
    if (m->in_header) {
        if (!pl_buf_append(&m->cur, l->data, l->len) || !pl_buf_append(&m->cur, "\n", 1))
            return bad(m, PLUCK_E_OUT_OF_MEMORY, "out of memory");
        if (l->len >= 6 && !memcmp(l->data, "shape ", 6)) {
            m->in_header = false;
            if (!m->q) {
                pluck_code rc = start_query(m);
                if (rc)
                    return rc;
                if (!pl_buf_append(&m->hdr, m->cur.data, m->cur.len))
                    return bad(m, PLUCK_E_OUT_OF_MEMORY, "out of memory");
            } else if (m->cur.len != m->hdr.len || memcmp(m->cur.data, m->hdr.data, m->hdr.len)) {
                return bad(m, PLUCK_E_INVALID_REQUEST_PARAMETER,
                           "this partial is of another query or other parameters than the "
                           "first one");
            }
        } else if (!(l->len >= 4 && !memcmp(l->data, "sql ", 4)) &&
                   !(l->len >= 6 && !memcmp(l->data, "param ", 6))) {
            return malformed(m, "unexpected line in the header");
        }
        return PLUCK_OK;
    }
    if (!token(l, &pos, &p, &n))
        return malformed(m, "empty line");
    if (n == 3 && !memcmp(p, "end", 3)) {
        uint64_t count;
        if (!token(l, &pos, &p, &n) || !parse_u64(p, n, &count) || pos < l->len)
            return malformed(m, "bad end line");
        if (count != m->body_lines)
            return bad(m, PLUCK_E_TRUNCATED_INPUT, "the partial has lost lines");
        m->in_partial = false;
        m->npartials++;
        return PLUCK_OK;
    }
    if (n != 1 || (p[0] != 'g' && p[0] != 'r'))
        return malformed(m, "unexpected line");
    m->body_lines++;
    return body_line(m, pos);
}

pluck_code pluck_merge_feed(pluck_merge *m, const void *data, size_t len)
{
    if (!m)
        return PLUCK_E_INVALID_REQUEST_PARAMETER;
    const char *p = data;
    while (len && !pluck_is_error(m->state)) {
        const char *nl = memchr(p, '\n', len);
        size_t n = nl ? (size_t)(nl - p) : len;
        if (!pl_buf_append(&m->line, p, n))
            return bad(m, PLUCK_E_OUT_OF_MEMORY, "out of memory");
        if (!nl)
            break;
        take_line(m);
        m->line.len = 0;
        p += n + 1;
        len -= n + 1;
    }
    return m->state;
}

pluck_code pluck_merge_finish(pluck_merge *m)
{
    if (!m)
        return PLUCK_E_INVALID_REQUEST_PARAMETER;
    if (pluck_is_error(m->state))
        return m->state;
    if (m->line.len) {
        m->lineno++;
        return bad(m, PLUCK_E_TRUNCATED_INPUT, "the last line has no newline (cut short?)");
    }
    if (m->in_partial)
        return bad(m, PLUCK_E_TRUNCATED_INPUT, "the partial ends before its end line");
    if (!m->r)
        return bad(m, PLUCK_E_INVALID_DATA_SOURCE, "no partial given");
    pluck_code rc = pluck_run_finish(m->r);
    if (pluck_is_error(rc))
        m->state = rc;
    return rc;
}
